//! The names an expression reads (free names, not bound inside it by a
//! comprehension), for the order of `let`s and param defaults.

use platc_syntax::ast::{self, ExprKind, RecordKey, StrPart};

/// Every name `e` reads that is not bound inside it, with `self` as
/// `"self"` and `platform` as `"platform"`, in order of appearance
/// (repeats included).
pub(crate) fn free_names(e: &ast::Expr, out: &mut Vec<String>) {
    walk(e, &mut Vec::new(), out);
}

fn string(s: &ast::StringLit, bound: &mut Vec<String>, out: &mut Vec<String>) {
    for p in &s.parts {
        if let StrPart::Interp(x) = p {
            walk(x, bound, out);
        }
    }
}

fn walk(e: &ast::Expr, bound: &mut Vec<String>, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Name(n) => {
            if !bound.contains(n) {
                out.push(n.clone());
            }
        }
        ExprKind::SelfRef => out.push("self".into()),
        ExprKind::Invalid(_) => {}
        ExprKind::Platform => out.push("platform".into()),
        ExprKind::Str(s) => string(s, bound, out),
        ExprKind::List(items) => items.iter().for_each(|i| walk(i, bound, out)),
        ExprKind::Record(entries) => {
            for en in entries {
                if let RecordKey::Computed(s) = &en.key {
                    string(s, bound, out);
                }
                walk(&en.value, bound, out);
            }
        }
        ExprKind::Field(b, _) | ExprKind::Unary(_, b) => walk(b, bound, out),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            walk(a, bound, out);
            walk(b, bound, out);
        }
        ExprKind::Call(c) => c.args.iter().for_each(|a| walk(a, bound, out)),
        ExprKind::If(c, a, b) => {
            walk(c, bound, out);
            walk(a, bound, out);
            walk(b, bound, out);
        }
        ExprKind::Comprehension(c) => {
            walk(&c.source, bound, out);
            let n = bound.len();
            bound.extend(c.key_var.iter().map(|k| k.name.clone()));
            bound.push(c.var.name.clone());
            for x in c.filter.iter().chain(c.key.iter()) {
                walk(x, bound, out);
            }
            walk(&c.value, bound, out);
            bound.truncate(n);
        }
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::None
        | ExprKind::Quantity(_) => {}
    }
}
