//! Filters over `all(I)` that compare a field: `[for g in all(I) if
//! g.server == self.name && ...: g]`. Every provider of `I` would have its
//! field read by every instance that filters, which is quadratic when each
//! instance of a component filters the providers of an interface (each
//! MinIO its accesses). Instead, the providers are indexed once by the
//! value of the field, and only those whose value equals the other side
//! (evaluated once) go through the filter; for the others the comparison
//! is false, so the filter is, and they would be dropped anyway.
//!
//! The result is the same as filtering every element: the candidates
//! still go through the whole filter in order, the field of a provider has
//! one value whoever reads it (an interface field is evaluated in its
//! provider), and what is not indexable (another form of filter, a field
//! that names a Secret, whose reads are checked per reader, or a compared
//! value that is not a string) takes the ordinary path.

use std::sync::Arc;

use platc_syntax::ast::{self, BinaryOp, ExprKind, StrPart};

use super::{Evaluator, FastMap};
use crate::value::{InstId, Value};

/// The providers of an interface, by position in `all(I)`, grouped by the
/// value of one of their fields.
pub(super) struct FieldIndex {
    /// Positions by string value (a value of another kind, `none`, never
    /// equals a string).
    by_value: FastMap<crate::value::Str, Vec<usize>>,
    /// Length of the `all(I)` list indexed.
    len: usize,
}

impl Evaluator<'_, '_> {
    /// The positions of `items` (the value of `c.source`, an `all(I)`
    /// call) that can pass the filter of `c`, in order: `Some(None)` when
    /// the filter is not of the indexable form (every element is a
    /// candidate), `None` when evaluating the compared value failed (as
    /// it would have for the first element).
    pub(super) fn filter_candidates(
        &mut self,
        c: &ast::Comprehension,
        env: &super::Env,
        len: usize,
    ) -> Option<Option<Vec<usize>>> {
        let (Some(filter), ExprKind::Call(call)) = (&c.filter, &c.source.kind) else {
            return Some(None);
        };
        let Some((field, other)) = compared_field(filter, c) else {
            return Some(None);
        };
        let Some(&iid) = self.t.all_calls.get(&(call.span.file.0, call.span.start)) else {
            return Some(None);
        };
        let iface = &self.t.ifaces[iid.0 as usize];
        // A read of a `secret_name` is checked per reader (E0327): such a
        // field takes the ordinary path.
        if super::shape::names_secret(&iface.fields, field) {
            return Some(None);
        }
        let iface = iface.decl.name.name.clone();
        let Value::Str(wanted) = self.eval(other, env)? else {
            return Some(None);
        };
        let key = (iface, field.to_string());
        let index = match self.field_index.get(&key) {
            Some(index) => index.clone(),
            None => {
                let index = self.build_field_index(&key.0, field, call.span);
                self.field_index.insert(key, index.clone());
                index
            }
        };
        let Some(index) = index.filter(|ix| ix.len == len) else {
            return Some(None);
        };
        Some(Some(
            index
                .by_value
                .get(&*wanted)
                .map(|p| p.to_vec())
                .unwrap_or_default(),
        ))
    }

    /// Reads `field` of every provider of `iface`; `None` when a read
    /// fails (the filter then reads them one by one and reports it where
    /// it happens).
    fn build_field_index(
        &mut self,
        iface: &str,
        field: &str,
        span: platc_diag::Span,
    ) -> Option<Arc<FieldIndex>> {
        let providers = self.providers(iface);
        let mut index = FieldIndex {
            by_value: FastMap::default(),
            len: providers.len(),
        };
        for (pos, &j) in providers.iter().enumerate() {
            if let Value::Str(s) = self.field(&Value::Instance(InstId(j as u32)), field, span)? {
                index.by_value.entry(s).or_default().push(pos);
            }
        }
        Some(Arc::new(index))
    }
}

/// The field and the compared expression of a filter whose first operand
/// (of its `&&`s) is `x.field == other` or `other == x.field`, with `x`
/// the comprehension's element and `other` not reading it (nor the index).
fn compared_field<'e>(
    filter: &'e ast::Expr,
    c: &ast::Comprehension,
) -> Option<(&'e str, &'e ast::Expr)> {
    let mut first = filter;
    while let ExprKind::Binary(BinaryOp::And, l, _) = &first.kind {
        first = l;
    }
    let ExprKind::Binary(BinaryOp::Eq, l, r) = &first.kind else {
        return None;
    };
    let names: Vec<&str> = std::iter::once(c.var.name.as_str())
        .chain(c.key_var.as_ref().map(|k| k.name.as_str()))
        .collect();
    let element_field = |e: &'e ast::Expr| match &e.kind {
        ExprKind::Field(base, f) if matches!(&base.kind, ExprKind::Name(n) if *n == c.var.name) => {
            Some(f.name.as_str())
        }
        _ => None,
    };
    let (field, other) = match (element_field(l), element_field(r)) {
        (Some(f), None) => (f, &**r),
        (None, Some(f)) => (f, &**l),
        _ => return None,
    };
    (!mentions_any(other, &names)).then_some((field, other))
}

/// Whether `e` mentions any of `names` (shadowing aside: a conservative
/// answer).
fn mentions_any(e: &ast::Expr, names: &[&str]) -> bool {
    let m = |x: &ast::Expr| mentions_any(x, names);
    match &e.kind {
        ExprKind::Name(n) => names.contains(&n.as_str()),
        ExprKind::Str(s) => s
            .parts
            .iter()
            .any(|p| matches!(p, StrPart::Interp(x) if m(x))),
        ExprKind::List(items) => items.iter().any(m),
        ExprKind::Record(entries) => entries.iter().any(|en| {
            m(&en.value)
                || matches!(&en.key, ast::RecordKey::Computed(s)
                    if s.parts.iter().any(|p| matches!(p, StrPart::Interp(x) if m(x))))
        }),
        ExprKind::Field(b, _) | ExprKind::Unary(_, b) => m(b),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => m(a) || m(b),
        ExprKind::Call(call) => call.args.iter().any(m),
        ExprKind::If(a, b, x) => m(a) || m(b) || m(x),
        ExprKind::Comprehension(c) => {
            m(&c.source)
                || c.filter.as_ref().is_some_and(m)
                || c.key.as_ref().is_some_and(m)
                || m(&c.value)
        }
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::None
        | ExprKind::Quantity(_)
        | ExprKind::SelfRef
        | ExprKind::Platform
        | ExprKind::Invalid(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comprehension(src: &str) -> ast::Comprehension {
        let text = format!("component c {{\n  let x = {src}\n}}\n");
        let (module, diags) = platc_syntax::parse(platc_diag::FileId(0), &text);
        assert!(diags.is_empty(), "{diags:?}");
        let Some(ast::Item::Component(comp)) = module.items.first() else {
            panic!("a component")
        };
        let ExprKind::Comprehension(c) = &comp.lets[0].value.kind else {
            panic!("a comprehension")
        };
        (**c).clone()
    }

    fn compared(src: &str) -> Option<String> {
        let c = comprehension(src);
        compared_field(c.filter.as_ref()?, &c).map(|(f, _)| f.to_string())
    }

    #[test]
    fn finds_the_leading_comparison_of_a_field() {
        assert_eq!(
            compared("[for g in all(A) if g.server == self.name && g.ns == \"x\": g]").as_deref(),
            Some("server")
        );
        assert_eq!(
            compared("[for g in all(A) if \"a\" == g.host: g]").as_deref(),
            Some("host")
        );
    }

    #[test]
    fn leaves_other_filters_alone() {
        // Not the first operand of the `&&`s.
        assert_eq!(
            compared("[for g in all(A) if ok && g.server == \"a\": g]"),
            None
        );
        // Not `==`.
        assert_eq!(compared("[for g in all(A) if g.server != \"a\": g]"), None);
        assert_eq!(
            compared("[for g in all(A) if g.a == \"x\" || true: g]"),
            None
        );
        // The other side reads the element or its index.
        assert_eq!(compared("[for g in all(A) if g.a == g.b: g]"), None);
        assert_eq!(compared("[for i, g in all(A) if g.a == \"${i}\": g]"), None);
        assert_eq!(
            compared("[for g in all(A) if g.a == [for h in xs if h == g: h][0]: g]"),
            None
        );
        // A field of something else.
        assert_eq!(compared("[for g in all(A) if self.a == \"x\": g]"), None);
    }
}
