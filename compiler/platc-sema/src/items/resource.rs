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
/// The type of a status condition (`Ready`, `Available`).
const CONDITION_TYPE: &str = "^[A-Za-z][A-Za-z0-9_.-]*$";
/// A field path as the Kubernetes provider's `wait.fields` takes it:
/// `status.phase`, `status.conditions[0].status`.
const FIELD_PATH: &str = "^[A-Za-z_][A-Za-z0-9_-]*(\\.[A-Za-z_][A-Za-z0-9_-]*|\\[[0-9]+\\])*$";

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
            let mut ctx = ctx.clone();
            if r.route {
                ctx.locals
                    .push((super::route::ROUTE.into(), super::route::route_ty()));
            }
            if let Some(each) = &r.each {
                self.check_resource_for(r, each, &mut ctx);
            }
            let ctx = &ctx;
            if let Some(c) = &r.cond {
                self.check_expr(c, &Ty::Bool, ctx);
            }
            if let Some(ready) = &r.ready {
                self.check_ready(ready);
            }
            let mut body_ctx = ctx.clone();
            body_ctx.open = true;
            body_ctx.in_resource = true;
            let mut assigned: Vec<Assigned> = Vec::new();
            self.check_value_stmts(&r.body, &mut body_ctx, &mut assigned);
            self.reserved_resource_keys(&r.body, r.cluster);
        }
    }

    /// `for VAR in LIST`: the list's elements are what `VAR` is in the
    /// condition and the body. A route resource is made per endpoint
    /// already and cannot go through a list as well.
    fn check_resource_for(
        &mut self,
        r: &ast::ResourceDecl,
        each: &ast::ResourceFor,
        ctx: &mut Ctx,
    ) {
        if r.route {
            self.err(
                Diagnostic::error(
                    "E0108",
                    "a route resource cannot have `for`",
                    each.span,
                )
                .with_label("a route resource is made once per endpoint already")
                .with_help("drop `route` to make one object per element, or drop `for` to make one per endpoint"),
            );
        }
        let list = self.infer(&each.list, ctx);
        let elem = match list.base() {
            Ty::List(e) => (**e).clone(),
            Ty::Unknown => Ty::Unknown,
            _ => {
                let t = self.ty(&list);
                self.err(
                    Diagnostic::error(
                        "E0301",
                        format!("a resource's `for` needs a list to go through, found `{t}`"),
                        each.list.span,
                    )
                    .with_label("not a list")
                    .with_help("e.g. `for source in all(MetricsSource)`, or a list param"),
                );
                Ty::Unknown
            }
        };
        ctx.locals.push((each.var.name.clone(), elem));
    }

    /// `ready "TYPE"` names a status condition type; `ready "PATH" =
    /// "PATTERN"` a field path of the object and a regular expression.
    fn check_ready(&mut self, ready: &ast::Ready) {
        let bad = |this: &mut Self, lit: &ast::StringLit, what: &str, help: &str| {
            let shown = lit
                .as_plain()
                .map_or("this".to_string(), |t| format!("{t:?}"));
            this.err(
                Diagnostic::error("E0305", format!("{shown} is not a valid {what}"), lit.span)
                    .with_label(format!("expected a {what}"))
                    .with_help(help.to_string()),
            );
        };
        match ready {
            ast::Ready::Condition(t) => match t.as_plain() {
                Some(c) if regex_is_match(CONDITION_TYPE, &c) => {}
                _ => bad(
                    self,
                    t,
                    "status condition type",
                    "e.g. `ready \"Ready\"` or `ready \"Available\"`",
                ),
            },
            ast::Ready::Field(path, pattern) => {
                match path.as_plain() {
                    Some(p) if regex_is_match(FIELD_PATH, &p) => {}
                    _ => bad(
                        self,
                        path,
                        "field path",
                        "e.g. `ready \"status.phase\" = \"^Running$\"`",
                    ),
                }
                match pattern.as_plain() {
                    Some(re) => {
                        if let Err(e) = regex::Regex::new(&re) {
                            let msg = e.to_string();
                            let last = msg.lines().last().unwrap_or("").trim().to_string();
                            self.err(
                                Diagnostic::error("E0313", format!("invalid pattern {re:?}"), pattern.span)
                                    .with_label(last)
                                    .with_help("the pattern is a regular expression the field's value must match"),
                            );
                        }
                    }
                    None => bad(
                        self,
                        pattern,
                        "pattern without interpolation",
                        "write the pattern as plain text",
                    ),
                }
            }
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
