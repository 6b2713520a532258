//! The fields of values: of records, instance references (their own fields
//! and those of the interfaces they provide), secrets, `self` and
//! `platform`.

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast;

use crate::analyze::Checker;
use crate::types::Ty;

impl Checker<'_> {
    pub(crate) fn field_type(&mut self, bt: &Ty, field: &ast::Ident, base_span: Span) -> Ty {
        let f = field.name.as_str();
        let fields: Vec<(String, Ty)> = match bt.base() {
            Ty::Unknown => return Ty::Unknown,
            Ty::Record(fs) => fs.clone(),
            Ty::Component(c) => {
                let mut fs = instance_base_fields();
                for i in &self.tables.comps[c.0 as usize].provides {
                    fs.extend(self.tables.ifaces[i.0 as usize].fields.iter().cloned());
                }
                fs
            }
            Ty::Interface(i) => {
                let mut fs = instance_base_fields();
                fs.extend(self.tables.ifaces[i.0 as usize].fields.iter().cloned());
                fs
            }
            Ty::Secret => vec![
                ("secret_name".into(), Ty::String),
                ("secret_key".into(), Ty::String),
                ("secret_keys".into(), Ty::List(Box::new(Ty::String))),
            ],
            Ty::Optional(_) => {
                let t = self.ty(bt);
                self.err(
                    Diagnostic::error(
                        "E0310",
                        format!("cannot read `.{f}` of the optional `{t}`"),
                        base_span,
                    )
                    .with_label("this may be `none`")
                    .with_help("check it first with `if value != none { ... }`"),
                );
                return Ty::Unknown;
            }
            other => {
                let t = self.ty(other);
                self.err(
                    Diagnostic::error("E0308", format!("`{t}` has no field `{f}`"), field.span)
                        .with_label("values of this type have no fields"),
                );
                return Ty::Unknown;
            }
        };
        match fields.iter().find(|(n, _)| n == f) {
            Some((_, t)) => t.clone(),
            None => {
                let t = self.ty(bt);
                let mut d =
                    Diagnostic::error("E0308", format!("`{t}` has no field `{f}`"), field.span)
                        .with_label("unknown field");
                let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                let all =
                    (!names.is_empty()).then(|| format!("the fields are: {}", names.join(", ")));
                d = d.with_suggestion(f, names.iter().copied(), all);
                self.err(d);
                Ty::Unknown
            }
        }
    }
}

fn instance_base_fields() -> Vec<(String, Ty)> {
    vec![
        ("name".into(), Ty::String),
        ("namespace".into(), Ty::String),
    ]
}

pub(crate) fn self_ty() -> Ty {
    Ty::Record(instance_base_fields())
}

/// `platform.domain` is a `string` when the platform block sets it, and
/// `string?` when it does not. In a policy, `platform.provides` lists the
/// interfaces that the platform's instances provide (spec 6.7).
pub(crate) fn platform_ty(has_domain: bool, in_policy: bool) -> Ty {
    let domain = if has_domain {
        Ty::String
    } else {
        Ty::Optional(Box::new(Ty::String))
    };
    let mut fields = vec![
        ("name".into(), Ty::String),
        ("domain".into(), domain),
        ("namespace".into(), Ty::String),
        ("environment".into(), Ty::Optional(Box::new(Ty::String))),
    ];
    if in_policy {
        fields.push(("provides".into(), Ty::List(Box::new(Ty::String))));
    }
    Ty::Record(fields)
}
