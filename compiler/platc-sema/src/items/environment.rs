//! Environments: each override names a platform field or an instance
//! parameter, and its value is checked against that field's type.

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast;

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
            if o.target.len() == 3 && o.target[0].name != "platform" {
                self.check_expose_override(o, &ctx);
                continue;
            }
            if o.target.len() != 2 {
                self.err(
                    Diagnostic::error("E0318", format!("`{}` cannot be overridden", key.join(".")), tspan)
                        .with_label("expected `instance.parameter`, `instance.expose.field` or `platform.field`")
                        .with_help("an environment overrides one parameter of one instance, e.g. `metadb.storage = 100Gi`, or one field of an expose block, e.g. `web.ui.auth = \"sso\"`"),
                );
                continue;
            }
            let (head, field) = (&o.target[0], &o.target[1]);
            if head.name == "platform" {
                let ty = match field.name.as_str() {
                    "domain" => Ty::String,
                    "namespace" => Ty::clone(&self.dns_label),
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
            let Some(inst) = self.override_instance(head, true) else {
                continue;
            };
            let Some(comp) = self.tables.instances[inst].2 else {
                continue;
            };
            let ty = match field.name.as_str() {
                "namespace" => self.dns_label.clone(),
                "values_files" => std::sync::Arc::new(Ty::List(Box::new(Ty::Path))),
                "enabled" => std::sync::Arc::new(Ty::Bool),
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

    /// `INSTANCE.POINT.FIELD = value`: one field of an expose block of the
    /// instance, in this environment.
    fn check_expose_override(&mut self, o: &ast::Override, ctx: &Ctx) {
        let (head, point, field) = (&o.target[0], &o.target[1], &o.target[2]);
        let Some(inst) = self.override_instance(head, false) else {
            return;
        };
        let decl = self.tables.instances[inst].0;
        let is_param = RESERVED_ATTRS.contains(&point.name.as_str())
            || self.tables.instances[inst].2.is_some_and(|c| {
                self.tables.comps[c.0 as usize]
                    .params
                    .iter()
                    .any(|p| p.name == point.name)
            });
        if is_param && !decl.exposes.iter().any(|e| e.name.name == point.name) {
            let key: Vec<&str> = o.target.iter().map(|i| i.name.as_str()).collect();
            let tspan = head.span.to(field.span);
            self.err(
                Diagnostic::error(
                    "E0318",
                    format!("`{}` cannot be overridden", key.join(".")),
                    tspan,
                )
                .with_label(format!(
                    "`{}` is a parameter: an environment sets it whole",
                    point.name
                ))
                .with_help(format!(
                    "override the whole parameter, e.g. `{}.{} = ...`",
                    head.name, point.name
                )),
            );
            return;
        }
        if !decl.exposes.iter().any(|e| e.name.name == point.name) {
            let exposed: Vec<&str> = decl.exposes.iter().map(|e| e.name.name.as_str()).collect();
            let mut d = Diagnostic::error(
                "E0314",
                format!(
                    "instance `{}` has no expose block `{}`",
                    head.name, point.name
                ),
                point.span,
            )
            .with_label("not exposed by this instance")
            .with_secondary(decl.name.span, "the instance is declared here");
            d = d.with_suggestion(
                &point.name,
                exposed.iter().copied(),
                Some(
                    "an environment can change the fields of an expose block the instance has; add the block to the instance first"
                        .to_string(),
                ),
            );
            self.err(d);
            return;
        }
        let fields = super::instance::expose_fields();
        match fields.iter().find(|(n, _)| *n == field.name) {
            Some((_, t)) => {
                if self.check_expr(&o.value, t, ctx) {
                    self.check_constant(&o.value, t);
                }
            }
            None => {
                let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                self.unknown_field_of("an expose block", &field.name, field.span, &names);
            }
        }
    }

    /// The instance an override names first, or the report of what else it
    /// names (a secret: E0318; nothing: E0201, with `platform` among the
    /// suggestions where a platform field may follow).
    fn override_instance(&mut self, head: &ast::Ident, platform_too: bool) -> Option<usize> {
        if self.tables.clashing.contains_key(&head.name) {
            // Defined twice (E0202): which one is overridden is unknown.
            return None;
        }
        match self.tables.globals.get(&head.name) {
            Some((Global::Instance(i), _)) => Some(*i),
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
                None
            }
            None => {
                let mut names: Vec<String> = self
                    .tables
                    .globals
                    .iter()
                    .filter(|(_, (g, _))| matches!(g, Global::Instance(_)))
                    .map(|(n, _)| n.clone())
                    .collect();
                if platform_too {
                    names.push("platform".to_string());
                }
                self.unknown_name("instance", &head.name, head.span, names, None);
                None
            }
        }
    }
}
