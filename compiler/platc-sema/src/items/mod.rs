//! Checking of the items of a program, one module per kind: components,
//! instances (with their expose blocks and requirements), environments,
//! policies, waivers, the platform block and secrets.

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast;

use crate::analyze::Checker;
use crate::types::Ty;

mod component;
mod environment;
mod instance;
mod members;
pub(crate) mod network;
mod platform;
mod policy;
mod resource;
pub(crate) mod route;
pub(crate) mod secret;
mod waiver;

/// The attributes of the platform block (and of `platform.` overrides).
const PLATFORM_FIELDS: &[&str] = &[
    "domain",
    "namespace",
    "chart_schemas",
    "policy_packs",
    "ingress",
];

impl Checker<'_> {
    /// Evaluates the constant `e` (a param default, a port, a namespace) and
    /// checks it against the constraints of `ty`.
    fn check_constant(&mut self, e: &ast::Expr, ty: &Ty) {
        let diags =
            crate::eval::check_constant_against(&self.tables, e, ty, &mut self.const_budget);
        self.sink.extend(diags);
    }
}

impl Checker<'_> {
    fn unknown_field_of(&mut self, what: &str, name: &str, span: Span, known: &[&str]) {
        let mut d = Diagnostic::error("E0303", format!("{what} has no attribute `{name}`"), span)
            .with_label("unknown attribute");
        d = d.with_suggestion(
            name,
            known.iter().copied(),
            Some(format!("the attributes are: {}", known.join(", "))),
        );
        self.err(d);
    }
}
