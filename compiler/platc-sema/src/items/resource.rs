//! Resources: the Kubernetes objects a component declares. Their bodies are
//! checked like values, with what platc sets itself kept out.

use platc_diag::Diagnostic;
use platc_syntax::ast;

use super::component::Assigned;
use crate::analyze::Checker;
use crate::expr::Ctx;
use crate::types::Ty;
use crate::vocab::regex_is_match;

/// `group/version` or `version` (`v1`, `apps/v1`, `cert-manager.io/v1beta1`).
const API_VERSION: &str = "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+((alpha|beta)[0-9]+)?$";
/// A Kubernetes kind.
const KIND: &str = "^[A-Z][A-Za-z0-9]*$";

impl Checker<'_> {
    pub(crate) fn check_resources(&mut self, decl: &ast::ComponentDecl, ctx: &Ctx) {
        for (n, r) in decl.resources.iter().enumerate() {
            if let Some(prev) = decl.resources[..n]
                .iter()
                .find(|p| p.name.name == r.name.name)
            {
                self.duplicate(&r.name, prev.name.span);
            }
            match r.api_version.as_plain() {
                Some(v) if regex_is_match(API_VERSION, &v) => {}
                _ => self.err(
                    Diagnostic::error(
                        "E0305",
                        "a resource's apiVersion must be a plain `group/version` or `version`",
                        r.api_version.span,
                    )
                    .with_label("not an API version")
                    .with_help("e.g. \"v1\", \"apps/v1\" or \"cert-manager.io/v1\""),
                ),
            }
            if !regex_is_match(KIND, &r.kind.name) {
                self.err(
                    Diagnostic::error(
                        "E0305",
                        format!("`{}` is not a Kubernetes kind", r.kind.name),
                        r.kind.span,
                    )
                    .with_label("kinds are UpperCamelCase")
                    .with_help("e.g. `ConfigMap` or `ServiceMonitor`"),
                );
            }
            if let Some(c) = &r.cond {
                self.check_expr(c, &Ty::Bool, ctx);
            }
            let mut body_ctx = ctx.clone();
            body_ctx.open = true;
            body_ctx.in_resource = true;
            let mut assigned: Vec<Assigned> = Vec::new();
            self.check_value_stmts(&r.body, &mut body_ctx, &mut assigned);
            self.reserved_resource_keys(&r.body, r.cluster);
        }
    }

    /// `apiVersion`, `kind` and `metadata.namespace` are platc's to set.
    fn reserved_resource_keys(&mut self, stmts: &[ast::ValueStmt], cluster: bool) {
        for s in stmts {
            match s {
                ast::ValueStmt::Assign { path, .. } => {
                    let keys: Vec<&str> = path.iter().map_while(|k| k.name()).collect();
                    let why = match keys.as_slice() {
                        ["apiVersion", ..] | ["kind", ..] => Some("the resource's header sets it"),
                        ["metadata"] => Some("platc fills `metadata`: set its fields one by one"),
                        ["metadata", "namespace", ..] if !cluster => {
                            Some("platc sets the namespace of the instance")
                        }
                        ["metadata", "namespace", ..] => {
                            Some("a cluster-scoped resource has no namespace")
                        }
                        _ => None,
                    };
                    if let Some(why) = why {
                        let span = path[0].span.to(path[path.len() - 1].span);
                        self.err(
                            Diagnostic::error(
                                "E0311",
                                format!("`{}` cannot be set in a resource", keys.join(".")),
                                span,
                            )
                            .with_label(why)
                            .with_help("set `metadata.name`, `metadata.labels` or `metadata.annotations` instead, or leave it to platc"),
                        );
                    }
                }
                ast::ValueStmt::If {
                    then, otherwise, ..
                } => {
                    self.reserved_resource_keys(then, cluster);
                    self.reserved_resource_keys(otherwise, cluster);
                }
            }
        }
    }
}
