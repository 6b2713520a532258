//! The typing context of an expression, and the narrowing of optionals by
//! `if x != none` conditions.

use platc_syntax::ast::{self, BinaryOp, ExprKind};

use crate::analyze::Checker;
use crate::types::Ty;

/// Typing context of one expression.
#[derive(Clone, Default)]
pub(crate) struct Ctx {
    /// Local names: params, loop variables, narrowed optionals (last wins).
    pub locals: Vec<(String, Ty)>,
    /// Inside a component: `self` is available.
    pub in_component: bool,
    /// Inside a policy: like a component, checked once for every platform
    /// it may apply to.
    pub in_policy: bool,
    /// Instances and secrets are visible.
    pub globals: bool,
    /// Open data (values blocks): lists may mix element types.
    pub open: bool,
    /// In a resource body: no secret at all (a manifest is written out in
    /// full; only Helm values have an out-of-band channel).
    pub in_resource: bool,
    /// The file the expression is in (to resolve type names, as in
    /// `all(Interface)`), inside a component.
    pub file: Option<platc_diag::FileId>,
}

impl Ctx {
    pub(crate) fn lookup(&self, name: &str) -> Option<&Ty> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
    }
}

impl Checker<'_> {
    pub(crate) fn narrow(&self, ctx: &mut Ctx, names: &[String]) {
        for n in names {
            if let Some(Ty::Optional(inner)) = ctx.lookup(n).map(|t| t.base().clone()) {
                ctx.locals.push((n.clone(), *inner));
            }
        }
    }
}

pub(crate) fn narrowings(cond: &ast::Expr) -> (Vec<String>, Vec<String>) {
    match &cond.kind {
        ExprKind::Binary(BinaryOp::Ne, l, r) => match (&l.kind, &r.kind) {
            (ExprKind::Name(n), ExprKind::None) | (ExprKind::None, ExprKind::Name(n)) => {
                (vec![n.clone()], vec![])
            }
            _ => (vec![], vec![]),
        },
        ExprKind::Binary(BinaryOp::Eq, l, r) => match (&l.kind, &r.kind) {
            (ExprKind::Name(n), ExprKind::None) | (ExprKind::None, ExprKind::Name(n)) => {
                (vec![], vec![n.clone()])
            }
            _ => (vec![], vec![]),
        },
        ExprKind::Binary(BinaryOp::And, l, r) => {
            let (mut a, _) = narrowings(l);
            let (b, _) = narrowings(r);
            a.extend(b);
            (a, vec![])
        }
        // `!(a || b)` is rare; `a || b` is false only when both are false.
        ExprKind::Binary(BinaryOp::Or, l, r) => {
            let (_, mut a) = narrowings(l);
            let (_, b) = narrowings(r);
            a.extend(b);
            (vec![], a)
        }
        _ => (vec![], vec![]),
    }
}
