//! The platform block: its name and attributes (`domain`, `namespace`,
//! `chart_schemas`, `policy_packs`).

use platc_diag::Diagnostic;
use platc_syntax::ast;

use super::PLATFORM_FIELDS;
use crate::analyze::Checker;
use crate::expr::Ctx;
use crate::types::Ty;
use crate::vocab::{regex_is_match, suggest_dns, DNS_LABEL};

impl Checker<'_> {
    pub(crate) fn check_platform_block(&mut self) {
        let Some(p) = self.tables.platform else {
            return;
        };
        if let Some(name) = p.name.as_plain() {
            if !regex_is_match(DNS_LABEL, &name) || name.len() > 63 {
                self.err(
                    Diagnostic::error("E0305", format!("platform name {name:?} is not a valid Kubernetes label value"), p.name.span)
                        .with_label("must be lowercase letters, digits and `-`, start with a letter, at most 63 characters")
                        .with_note("the name becomes the `app.kubernetes.io/part-of` label")
                        .with_help(format!("e.g. {:?}", suggest_dns(&name))),
                );
            }
        } else {
            self.err(
                Diagnostic::error(
                    "E0301",
                    "the platform name must be a plain string",
                    p.name.span,
                )
                .with_label("interpolation not allowed here"),
            );
        }
        let ctx = Ctx::default();
        let mut seen: Vec<&ast::Ident> = Vec::new();
        for a in &p.attrs {
            if self.is_repeated(&seen, &a.name) {
                continue;
            }
            seen.push(&a.name);
            match a.name.name.as_str() {
                "domain" => {
                    self.check_expr(&a.value, &Ty::String, &ctx);
                }
                "namespace" => {
                    if self.check_expr(&a.value, &Ty::String, &ctx) {
                        let ty = self.dns_label.clone();
                        self.check_constant(&a.value, &ty);
                    }
                }
                // Chart name -> path of the chart's full values.schema.json,
                // written out (the driver reads the files).
                "chart_schemas" => {
                    let ty = Ty::Map(Box::new(Ty::Path));
                    if !self.check_expr(&a.value, &ty, &ctx) {
                        continue;
                    }
                    let literal = match &a.value.kind {
                        ast::ExprKind::Record(entries) => entries.iter().all(|e| {
                            e.key.plain().is_some()
                                && matches!(&e.value.kind, ast::ExprKind::Str(s) if s.as_plain().is_some())
                        }),
                        _ => false,
                    };
                    if !literal {
                        self.err(
                            Diagnostic::error(
                                "E0301",
                                "`chart_schemas` must be written as a map of fixed strings",
                                a.value.span,
                            )
                            .with_label("not a literal map")
                            .with_help("write `chart_schemas = { \"airflow\" = \"charts/airflow/values.schema.json\" }`"),
                        );
                    }
                }
                // The built-in policy packs in force: a list of their names.
                "policy_packs" => {
                    let mut packs: Vec<String> = self
                        .program
                        .units
                        .iter()
                        .filter_map(|u| u.policy_pack.clone())
                        .collect();
                    packs.sort();
                    packs.dedup();
                    let ty = Ty::List(Box::new(Ty::Enum(packs)));
                    if self.check_expr(&a.value, &ty, &ctx) {
                        self.check_constant(&a.value, &ty);
                    }
                }
                // The instances that serve the platform's endpoints: checked
                // once instances know their components (`check_ingress`).
                "ingress" => {}
                other => {
                    self.unknown_field_of("the platform block", other, a.name.span, PLATFORM_FIELDS)
                }
            }
        }
    }
}
