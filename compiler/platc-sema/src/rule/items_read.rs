//! The fields of a list field's items that a rule's condition reads.
//!
//! `len([for r in i.resources if !r.requests || !r.limits: r]) > 0` reads
//! of each item of `i.resources` only `requests` and `limits`: items that
//! agree on those give the condition the same result, whatever their
//! `path`. The policy stage keys its memo of the condition by them.

use std::collections::BTreeSet;

use platc_syntax::ast;

use super::{reads, RuleExpr};

impl RuleExpr {
    /// The fields of the items of `var.field` (a list) that the expression
    /// reads, when it uses `var.field` only as the source of list
    /// comprehensions whose variable it reads only through fields (or, in
    /// a comprehension that is the one argument of `len`, takes whole as
    /// the value: the count depends on the filter alone). `None` when it
    /// may use an item, or the list, otherwise.
    pub fn item_fields_read(&self, var: &str, field: &str) -> Option<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        items_read(&self.expr, var, field, false, &mut out).then_some(out)
    }
}

/// Whether `e` is `var.field`.
fn is_field_of(e: &ast::Expr, var: &str, field: &str) -> bool {
    matches!(&e.kind, ast::ExprKind::Field(base, f)
        if f.name == field && matches!(&base.kind, ast::ExprKind::Name(n) if n == var))
}

/// Adds to `out` the fields of `var.field`'s items that `e` reads; false
/// when `e` uses the list or an item otherwise, or binds `var` again.
/// `counted`: `e` is the one argument of `len`.
fn items_read(
    e: &ast::Expr,
    var: &str,
    field: &str,
    counted: bool,
    out: &mut BTreeSet<String>,
) -> bool {
    use ast::ExprKind as K;
    if is_field_of(e, var, field) {
        return false;
    }
    let go = |x: &ast::Expr, out: &mut BTreeSet<String>| items_read(x, var, field, false, out);
    let interp = |s: &ast::StringLit, out: &mut BTreeSet<String>| {
        s.parts.iter().all(|p| match p {
            ast::StrPart::Text(_) => true,
            ast::StrPart::Interp(x) => go(x, out),
        })
    };
    match &e.kind {
        // Another field of `var`: not the list.
        K::Field(base, _) if matches!(&base.kind, K::Name(n) if n == var) => true,
        K::Field(base, _) => go(base, out),
        K::Name(n) => n != var,
        K::Int(_) | K::Float(_) | K::Bool(_) | K::None | K::Quantity(_) | K::Invalid(_) => true,
        K::SelfRef | K::Platform => true,
        K::Str(s) => interp(s, out),
        K::List(items) => items.iter().all(|x| go(x, out)),
        K::Record(entries) => entries.iter().all(|en| {
            let key = match &en.key {
                ast::RecordKey::Plain(_) => true,
                ast::RecordKey::Computed(s) => interp(s, out),
            };
            key && go(&en.value, out)
        }),
        K::Index(a, b) | K::Binary(_, a, b) => go(a, out) && go(b, out),
        K::Unary(_, a) => go(a, out),
        K::If(c, t, f) => go(c, out) && go(t, out) && go(f, out),
        K::Call(c) if c.func.name == "len" && c.args.len() == 1 => {
            items_read(&c.args[0], var, field, true, out)
        }
        K::Call(c) => c.args.iter().all(|x| go(x, out)),
        K::Comprehension(c) => {
            let binds =
                |n: &str| c.var.name == n || c.key_var.as_ref().is_some_and(|k| k.name == n);
            if binds(var) {
                return false;
            }
            // The list itself may be the source; anywhere else in the
            // comprehension it is looked at as everywhere.
            let over_items = is_field_of(&c.source, var, field);
            let parts_read = (over_items || go(&c.source, out))
                && c.filter.as_ref().is_none_or(|f| go(f, out))
                && c.key.as_ref().is_none_or(|k| go(k, out))
                && go(&c.value, out);
            if !parts_read || !over_items {
                return parts_read;
            }
            let item = c.var.name.as_str();
            let whole_item_counted = counted && matches!(&c.value.kind, K::Name(n) if n == item);
            c.key_var.is_none()
                && c.key.is_none()
                && c.filter.as_ref().is_none_or(|f| reads(f, item, out))
                && (whole_item_counted || reads(&c.value, item, out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;
    use platc_diag::FileId;

    fn condition(cond: &str) -> RuleExpr {
        let src = format!(
            "policy p severity deny code \"P0001\" {{\n  for i in instances where {cond}\n    fail i \"x\"\n}}\n"
        );
        let (module, diags) = platc_syntax::parse(FileId(0), &src);
        assert!(diags.is_empty(), "{diags:?}");
        let Some(ast::Item::Policy(p)) = module.items.first() else {
            panic!("not a policy")
        };
        RuleExpr::new(p.rules[0].filter.as_ref().expect("a condition"))
    }

    const READ: &[(&str, Option<&[&str]>)] = &[
        (
            "len([for r in i.resources if !r.requests || !r.limits: r]) > 0",
            Some(&["limits", "requests"]),
        ),
        (
            "len([for r in i.resources if r.requests: r.limits]) > 0 && i.name != \"\"",
            Some(&["limits", "requests"]),
        ),
        ("len(i.images) > 0", Some(&[])),
        ("i.name == \"a\"", Some(&[])),
        // The items taken whole, not counted: their paths are in the list.
        ("[for r in i.resources if !r.requests: r] == []", None),
        ("len([for r in i.resources: r.path]) > 0", Some(&["path"])),
        (
            "join([for r in i.resources: r.path], \",\") == \"\"",
            Some(&["path"]),
        ),
        ("len(i.resources) > 0", None),
        ("i.resources == []", None),
        ("len([for k, r in i.resources: r]) > 0", None),
        (
            "len([for r in i.resources if to_json(r) != \"\": r]) > 0",
            None,
        ),
        ("len([for r in i.resources: [for r in [1]: r]]) > 0", None),
        ("len([for i in [1]: i]) > 0", None),
        ("to_json(i) != \"\"", None),
        ("len([for r in [for x in i.resources: x]: r]) > 0", None),
    ];

    #[test]
    fn the_fields_read_of_the_items() {
        for (cond, want) in READ {
            let got = condition(cond).item_fields_read("i", "resources");
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
            assert_eq!(got, want, "{cond}");
        }
    }

    /// Items that agree on the fields read give the condition the same
    /// result, whatever their other fields.
    #[test]
    fn items_alike_on_the_fields_read_give_the_same_result() {
        let item = |path: &str, requests: bool, limits: bool, extra: bool| {
            let mut entries = vec![
                ("path".into(), Value::Str(path.into())),
                ("requests".into(), Value::Bool(requests)),
                ("limits".into(), Value::Bool(limits)),
            ];
            if extra {
                entries.push(("zz".into(), Value::Int(1)));
            }
            Value::map_of(entries)
        };
        let element = |items: Vec<Value>| {
            Value::map_of(vec![
                ("name".into(), Value::Str("a".into())),
                ("resources".into(), Value::list(items)),
            ])
        };
        let platform = Value::map_of(Vec::new());
        for (cond, want) in READ {
            let Some(read) = want else { continue };
            let e = condition(cond);
            for (rq, lm) in [(true, true), (true, false), (false, true), (false, false)] {
                let base = element(vec![
                    item("x.resources", rq, lm, false),
                    item("y", true, true, false),
                ]);
                let other = element(vec![
                    item("other.path", rq, lm, true),
                    item("z", true, true, false),
                ]);
                let a = e.eval("i", &base, &platform).map_err(|d| d.message.clone());
                let b = e
                    .eval("i", &other, &platform)
                    .map_err(|d| d.message.clone());
                if read.contains(&"path") {
                    continue;
                }
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{cond}");
            }
        }
    }
}
