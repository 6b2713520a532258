//! Policies as the checked platform carries them: their rules' expressions,
//! type-checked, ready to be evaluated against the elements of a collection
//! by the policy stage, which never sees the syntax tree.
//!
//! Also the record type of each collection's elements (spec 6.7): the
//! checker types rules with it, and the policy stage builds elements that
//! have it (its tests check that they do).

use crate::HashMap;
use std::collections::BTreeMap;
use std::sync::Arc;

use platc_diag::{Diagnostic, FileId, Span};
use platc_syntax::ast;

use crate::tables::Tables;
use crate::types::Ty;
use crate::value::Value;
use crate::vocab::SECRET_SOURCES;

mod items_read;

/// A type-checked expression of a policy rule: its `where` condition, its
/// message or its help.
#[derive(Debug, Clone)]
pub struct RuleExpr {
    expr: Arc<ast::Expr>,
}

impl RuleExpr {
    pub(crate) fn new(expr: &ast::Expr) -> Self {
        RuleExpr {
            expr: Arc::new(expr.clone()),
        }
    }

    pub fn span(&self) -> Span {
        self.expr.span
    }

    /// The fields of the rule's variable `var` that the expression reads
    /// (`e.host`, `e.auth`), or `None` when it may read any (the variable
    /// used whole, or shadowed by a comprehension's). The policy stage
    /// builds only what its rules read.
    pub fn reads(&self, var: &str) -> Option<std::collections::BTreeSet<String>> {
        let mut out = std::collections::BTreeSet::new();
        reads(&self.expr, var, &mut out).then_some(out)
    }

    /// Whether the expression, a rule's condition, is false whatever the
    /// element: it is a chain of `&&` whose first operands read nothing of
    /// `var`, and one of those is false for the platform (the ones before
    /// it true). Such a rule (`platform.environment == "prod" && ...` on
    /// another environment) fails for no element and no operand after
    /// that one is ever evaluated, so the policy stage skips it: nothing it
    /// reads is built.
    pub fn false_for_every_element(&self, var: &str, platform: &Value) -> bool {
        let mut operands = Vec::new();
        conjuncts(&self.expr, &mut operands);
        for operand in operands {
            let mut fields = std::collections::BTreeSet::new();
            if !reads(operand, var, &mut fields) || !fields.is_empty() {
                return false;
            }
            match crate::eval::eval_rule(operand, var, &Value::None, platform) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => return true,
                _ => return false,
            }
        }
        false
    }

    /// The leading operands of the expression's chain of `&&` (the whole
    /// expression when it is not one) that read of `var` nothing but
    /// fields among `fields`, as expressions of their own, in order. An
    /// element for which one of them is false (the ones before it true)
    /// fails the rule whatever its other fields, and nothing after that
    /// operand is evaluated: the policy stage evaluates them once for a
    /// whole group of elements that share those fields.
    pub fn leading_operands_reading(&self, var: &str, fields: &[&str]) -> Vec<RuleExpr> {
        let mut operands = Vec::new();
        conjuncts(&self.expr, &mut operands);
        let mut out = Vec::new();
        for operand in operands {
            let mut read = std::collections::BTreeSet::new();
            if !reads(operand, var, &mut read) || !read.iter().all(|f| fields.contains(&f.as_str()))
            {
                break;
            }
            out.push(RuleExpr::new(operand));
        }
        out
    }

    /// Evaluates the expression with the rule's variable `var` bound to
    /// `element` and `platform` to `platform` (see [`crate::Platform::value`]).
    /// An evaluation error (a failing built-in, the evaluation budget) is a
    /// diagnostic at the expression.
    pub fn eval(
        &self,
        var: &str,
        element: &Value,
        platform: &Value,
    ) -> Result<Value, Box<Diagnostic>> {
        crate::eval::eval_rule(&self.expr, var, element, platform).map_err(|mut ds| {
            Box::new(ds.pop().unwrap_or_else(|| {
                Diagnostic::error(
                    "E0319",
                    "this policy expression could not be evaluated",
                    self.expr.span,
                )
                .with_label("evaluation failed")
                .with_note("this is a bug in platc: an error went unreported")
            }))
        })
    }
}

/// The operands of a chain of `&&`, left to right.
fn conjuncts<'e>(e: &'e ast::Expr, out: &mut Vec<&'e ast::Expr>) {
    match &e.kind {
        ast::ExprKind::Binary(ast::BinaryOp::And, a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        _ => out.push(e),
    }
}

/// Adds to `out` the fields of `var` that `e` reads; false when `e` uses
/// `var` otherwise than through a field.
fn reads(e: &ast::Expr, var: &str, out: &mut std::collections::BTreeSet<String>) -> bool {
    use ast::ExprKind as K;
    match &e.kind {
        K::Field(base, f) => match &base.kind {
            K::Name(n) if n == var => {
                out.insert(f.name.clone());
                true
            }
            _ => reads(base, var, out),
        },
        K::Name(n) => n != var,
        K::Int(_) | K::Float(_) | K::Bool(_) | K::None | K::Quantity(_) | K::Invalid(_) => true,
        K::SelfRef | K::Platform => true,
        K::Str(s) => s.parts.iter().all(|p| match p {
            ast::StrPart::Text(_) => true,
            ast::StrPart::Interp(x) => reads(x, var, out),
        }),
        K::List(items) => items.iter().all(|x| reads(x, var, out)),
        K::Record(entries) => entries.iter().all(|en| {
            let key = match &en.key {
                ast::RecordKey::Plain(_) => true,
                ast::RecordKey::Computed(s) => s.parts.iter().all(|p| match p {
                    ast::StrPart::Text(_) => true,
                    ast::StrPart::Interp(x) => reads(x, var, out),
                }),
            };
            key && reads(&en.value, var, out)
        }),
        K::Index(a, b) | K::Binary(_, a, b) => reads(a, var, out) && reads(b, var, out),
        K::Unary(_, a) => reads(a, var, out),
        K::If(c, t, f) => reads(c, var, out) && reads(t, var, out) && reads(f, var, out),
        K::Call(c) => c.args.iter().all(|x| reads(x, var, out)),
        K::Comprehension(c) => {
            let shadows = c.var.name == var || c.key_var.as_ref().is_some_and(|k| k.name == var);
            !shadows
                && reads(&c.source, var, out)
                && c.filter.as_ref().is_none_or(|f| reads(f, var, out))
                && c.key.as_ref().is_none_or(|k| reads(k, var, out))
                && reads(&c.value, var, out)
        }
    }
}

/// The collections policies iterate over.
pub const COLLECTIONS: &[&str] = &["exposes", "instances", "secrets", "edges", "params"];

/// The kinds of edges in the `edges` collection.
pub const EDGE_KINDS: &[&str] = &["reference", "requires", "observes"];

/// The record type of the elements of collection `name`; `params` is the
/// type of `instances`' `params` field (see [`params_record`]).
pub(crate) fn collection_type(name: &str, params: &Ty) -> Option<Ty> {
    let s = || Ty::String;
    let opt = |t: Ty| Ty::Optional(Box::new(t));
    let list = |t: Ty| Ty::List(Box::new(t));
    let b = || Ty::Bool;
    let rec = |fields: Vec<(&str, Ty)>| {
        Ty::Record(
            fields
                .into_iter()
                .map(|(k, t)| (k.to_string(), t))
                .collect(),
        )
    };
    Some(match name {
        "exposes" => rec(vec![
            ("instance", s()),
            ("name", s()),
            ("component", s()),
            ("namespace", s()),
            ("host", s()),
            ("path", s()),
            ("auth", opt(Ty::Enum(vec!["sso".into(), "basic".into()]))),
            ("tls", b()),
            ("audit", b()),
            ("public", b()),
            ("port", Ty::Int),
            ("shared_with", list(s())),
        ]),
        "instances" => rec(vec![
            ("name", s()),
            ("component", s()),
            ("namespace", s()),
            ("environment", opt(s())),
            ("labels", Ty::Map(Box::new(s()))),
            ("provides", list(s())),
            ("chart", opt(s())),
            ("chart_version", opt(s())),
            ("params", params.clone()),
            ("images", list(s())),
            (
                "resources",
                list(rec(vec![("path", s()), ("requests", b()), ("limits", b())])),
            ),
            (
                "persistence",
                list(rec(vec![("path", s()), ("enabled", b())])),
            ),
        ]),
        "secrets" => rec(vec![
            ("name", s()),
            (
                "source",
                Ty::Enum(SECRET_SOURCES.iter().map(|s| s.to_string()).collect()),
            ),
            ("keys", list(s())),
            ("namespace", s()),
            ("readers", list(s())),
        ]),
        "edges" => rec(vec![
            ("from", s()),
            ("to", s()),
            (
                "kind",
                Ty::Enum(EDGE_KINDS.iter().map(|s| s.to_string()).collect()),
            ),
            ("interface", s()),
            ("attr", s()),
            ("from_namespace", s()),
            ("to_namespace", s()),
        ]),
        "params" => rec(vec![
            ("instance", s()),
            ("component", s()),
            ("namespace", s()),
            ("name", s()),
            ("type", s()),
            ("secret", b()),
            ("set", b()),
            ("value", opt(s())),
        ]),
        _ => return None,
    })
}

/// The field names of the records of collection `name` (spec 6.7), sorted;
/// `None` for a name that is not a collection.
pub fn collection_fields(name: &str) -> Option<Vec<String>> {
    match collection_type(name, &Ty::Record(Vec::new()))? {
        Ty::Record(fields) => {
            let mut names: Vec<String> = fields.into_iter().map(|(k, _)| k).collect();
            names.sort();
            Some(names)
        }
        _ => None,
    }
}

/// Whether a value of type `t` is plain data a policy may read as a typed
/// field: no references to instances, no secrets.
fn is_plain(t: &Ty) -> bool {
    match t {
        Ty::String
        | Ty::Int
        | Ty::Float
        | Ty::Bool
        | Ty::Bytes
        | Ty::Cpu
        | Ty::Duration
        | Ty::Path
        | Ty::Enum(_) => true,
        Ty::List(t) | Ty::Map(t) | Ty::Optional(t) | Ty::Constrained(t, _) => is_plain(t),
        Ty::Record(fields) => fields.iter().all(|(_, t)| is_plain(t)),
        _ => false,
    }
}

fn strip(t: &Ty) -> Ty {
    match t {
        Ty::Constrained(t, _) => strip(t),
        Ty::Optional(t) => strip(t),
        Ty::List(t) => Ty::List(Box::new(strip(t))),
        Ty::Map(t) => Ty::Map(Box::new(strip(t))),
        Ty::Record(f) => Ty::Record(f.iter().map(|(k, t)| (k.clone(), strip(t))).collect()),
        t => t.clone(),
    }
}

/// The type of `instances`' `params` field: one optional field for every
/// parameter name of the program's components whose type is plain data
/// and the same in every component that declares it (`none` for an
/// instance whose component has no such parameter). A name declared with
/// different types, or holding references or secrets, is left out.
pub(crate) fn params_record(t: &Tables) -> Ty {
    let mut fields: BTreeMap<String, Option<Ty>> = BTreeMap::new();
    for c in &t.comps {
        for p in &c.params {
            let ty = strip(&p.ty);
            let entry = fields.entry(p.name.clone()).or_insert_with(|| {
                if is_plain(&p.ty) {
                    Some(ty.clone())
                } else {
                    None
                }
            });
            if entry.as_ref().is_some_and(|t| *t != ty) || !is_plain(&p.ty) {
                *entry = None;
            }
        }
    }
    Ty::Record(
        fields
            .into_iter()
            .filter_map(|(k, t)| Some((k, Ty::Optional(Box::new(t?)))))
            .collect(),
    )
}

/// The names of `params_record`'s fields, for the policy stage.
pub(crate) fn params_fields(t: &Tables) -> Vec<String> {
    match params_record(t) {
        Ty::Record(f) => f.into_iter().map(|(k, _)| k).collect(),
        _ => Vec::new(),
    }
}

/// The policies and waivers of the checked program, for the IR.
pub(crate) fn lower(t: &Tables) -> (Vec<crate::Policy>, Vec<crate::Waiver>) {
    let secrets: HashMap<&str, ()> = t
        .secrets
        .iter()
        .map(|s| (s.name.name.as_str(), ()))
        .collect();
    // The program's own policies first, then the packs', each in source
    // order.
    let mut ordered: Vec<&(&ast::PolicyDecl, FileId)> = t.policies.iter().collect();
    ordered.sort_by_key(|(_, file)| t.packs.contains_key(file));
    let policies = ordered
        .into_iter()
        .map(|(p, file)| crate::Policy {
            name: p.name.name.clone(),
            code: p.code.as_plain().unwrap_or_default(),
            severity: match p.severity {
                ast::PolicySeverity::Deny => crate::PolicySeverity::Deny,
                ast::PolicySeverity::Warn => crate::PolicySeverity::Warn,
            },
            doc: p.doc.clone(),
            pack: pack_of(t, *file),
            rules: p
                .rules
                .iter()
                .map(|r| crate::Rule {
                    collection: r.collection.name.clone(),
                    var: r.var.name.clone(),
                    filter: r.filter.as_ref().map(RuleExpr::new),
                    message: RuleExpr::new(&r.message),
                    help: r.help.as_ref().map(RuleExpr::new),
                    span: r.span,
                })
                .collect(),
            span: p.name.span,
        })
        .collect();
    let waivers = t
        .waivers
        .iter()
        .map(|w| {
            let name = |k: usize| w.target.get(k).map(|i| i.name.clone()).unwrap_or_default();
            let target = if w.edge {
                crate::WaiverTarget::Edge(name(0), name(1))
            } else if w.target.len() == 2 {
                crate::WaiverTarget::Endpoint(name(0), name(1))
            } else if secrets.contains_key(name(0).as_str()) {
                crate::WaiverTarget::Secret(name(0))
            } else {
                crate::WaiverTarget::Instance(name(0))
            };
            let until = w.until.map(|(d, _)| d);
            crate::Waiver {
                policy: w.policy.name.clone(),
                target,
                reason: w.reason.as_plain().unwrap_or_default(),
                until,
                expired: match (until, t.today) {
                    (Some(u), Some(today)) => u.is_calendar_date() && u < today,
                    _ => false,
                },
                span: w.span,
            }
        })
        .collect();
    (policies, waivers)
}

fn pack_of(t: &Tables, file: FileId) -> Option<String> {
    t.packs.get(&file).cloned()
}

/// Every built-in pack's name, sorted.
pub(crate) fn pack_names(t: &Tables) -> Vec<String> {
    let mut names: Vec<String> = t.packs.values().cloned().collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_exprs(src: &str) -> Vec<RuleExpr> {
        let (module, diags) = platc_syntax::parse(FileId(0), src);
        assert!(diags.is_empty(), "{diags:?}");
        let Some(ast::Item::Policy(p)) = module.items.first() else {
            panic!("not a policy")
        };
        let r = &p.rules[0];
        r.filter
            .iter()
            .chain([&r.message])
            .map(RuleExpr::new)
            .collect()
    }

    #[test]
    fn reads_lists_the_fields_of_the_variable() {
        let es = rule_exprs(
            "policy p severity deny code \"P0001\" {\n  for e in exposes where e.public && len([for x in e.shared_with: x]) > 0\n    fail e \"${e.host}${e.path}\"\n}\n",
        );
        let fields = |k: usize| es[k].reads("e").map(|s| s.into_iter().collect::<Vec<_>>());
        assert_eq!(fields(0), Some(vec!["public".into(), "shared_with".into()]));
        assert_eq!(fields(1), Some(vec!["host".into(), "path".into()]));
    }

    #[test]
    fn a_variable_used_whole_or_shadowed_reads_everything() {
        let es = rule_exprs(
            "policy p severity deny code \"P0001\" {\n  for e in exposes where to_json(e) != \"\"\n    fail e \"${len([for e in [1]: e])}\"\n}\n",
        );
        assert_eq!(es[0].reads("e"), None);
        assert_eq!(es[1].reads("e"), None);
    }
}
