//! Environments: each override names a platform field or an instance
//! parameter, and its value is checked against that field's type.

use platc_diag::{Diagnostic, Span};

use super::PLATFORM_FIELDS;
use crate::analyze::Checker;
use crate::expr::Ctx;
use crate::tables::Global;
use crate::types::Ty;
use crate::vocab::RESERVED_ATTRS;

impl Checker<'_> {
    pub(crate) fn check_environment(&mut self, idx: usize) {
        let env = self.tables.environments[idx];
        let ctx = Ctx {
            globals: true,
            ..Ctx::default()
        };
        let mut seen: Vec<(Vec<String>, Span)> = Vec::new();
        for o in &env.overrides {
            let key: Vec<String> = o.target.iter().map(|i| i.name.clone()).collect();
            let tspan = o
                .target
                .first()
                .unwrap()
                .span
                .to(o.target.last().unwrap().span);
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                self.err(
                    Diagnostic::error(
                        "E0311",
                        format!(
                            "`{}` is overridden more than once in environment `{}`",
                            key.join("."),
                            env.name.name
                        ),
                        tspan,
                    )
                    .with_label("overridden again here")
                    .with_secondary(*first, "first overridden here"),
                );
                continue;
            }
            seen.push((key.clone(), tspan));
            if o.target.len() != 2 {
                self.err(
                    Diagnostic::error("E0318", format!("`{}` cannot be overridden", key.join(".")), tspan)
                        .with_label("expected `instance.parameter` or `platform.field`")
                        .with_help("an environment overrides one parameter of one instance, e.g. `metadb.storage = 100Gi`"),
                );
                continue;
            }
            let (head, field) = (&o.target[0], &o.target[1]);
            if head.name == "platform" {
                let ty = match field.name.as_str() {
                    "domain" => Ty::String,
                    "namespace" => self.dns_label.clone(),
                    other => {
                        self.unknown_field_of(
                            "the platform block",
                            other,
                            field.span,
                            PLATFORM_FIELDS,
                        );
                        continue;
                    }
                };
                if self.check_expr(&o.value, &ty, &ctx) {
                    self.check_constant(&o.value, &ty);
                }
                continue;
            }
            let inst = match self.tables.globals.get(&head.name) {
                Some((Global::Instance(i), _)) => *i,
                Some((Global::Secret(_), _)) => {
                    self.err(
                        Diagnostic::error(
                            "E0318",
                            format!("`{}` is a secret; secrets cannot be overridden", head.name),
                            head.span,
                        )
                        .with_label("not an instance")
                        .with_help("declare a second secret and pass it to the instance instead"),
                    );
                    continue;
                }
                None => {
                    let names: Vec<String> = self
                        .tables
                        .globals
                        .iter()
                        .filter(|(_, (g, _))| matches!(g, Global::Instance(_)))
                        .map(|(n, _)| n.clone())
                        .chain(std::iter::once("platform".to_string()))
                        .collect();
                    self.unknown_name("instance", &head.name, head.span, names, None);
                    continue;
                }
            };
            let Some(comp) = self.tables.instances[inst].2 else {
                continue;
            };
            let ty = match field.name.as_str() {
                "namespace" => self.dns_label.clone(),
                "values_files" => Ty::List(Box::new(Ty::Path)),
                n => match self.tables.comps[comp.0 as usize]
                    .params
                    .iter()
                    .find(|p| p.name == n)
                {
                    Some(p) => p.ty.clone(),
                    None => {
                        let comp_name = self.tables.comps[comp.0 as usize].decl.name.name.clone();
                        let mut names: Vec<&str> = self.tables.comps[comp.0 as usize]
                            .params
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect();
                        names.extend(RESERVED_ATTRS);
                        let mut d = Diagnostic::error(
                            "E0303",
                            format!("component `{comp_name}` has no parameter `{n}`"),
                            field.span,
                        )
                        .with_label("unknown parameter");
                        d = d.with_suggestion(n, names.iter().copied(), None);
                        self.err(d);
                        continue;
                    }
                },
            };
            if self.check_expr(&o.value, &ty, &ctx) {
                self.check_constant(&o.value, &ty);
            }
        }
    }
}
