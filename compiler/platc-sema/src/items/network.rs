//! `network { pods = ... ports = ... open_ports = ... }`: which pods are an
//! instance's, and where they accept connections, so that the platform's
//! NetworkPolicies can follow its graph (language 6.3.11).

use std::sync::Arc;

use platc_diag::Diagnostic;
use platc_syntax::ast;

use crate::analyze::Checker;
use crate::expr::Ctx;
use crate::types::{Bound, Constraint, Ty};

/// The attributes of a network block.
pub(crate) const NETWORK_FIELDS: &[&str] = &["pods", "ports", "open_ports"];

/// A TCP port.
pub(crate) fn port_ty() -> Ty {
    Ty::Constrained(
        Box::new(Ty::Int),
        Arc::new(Constraint::Range {
            lo: Some(Bound::Int(1)),
            hi: Some(Bound::Int(65535)),
            text: "1..65535".into(),
        }),
    )
}

impl Checker<'_> {
    pub(crate) fn check_networks(&mut self, decl: &ast::ComponentDecl, ctx: &Ctx) {
        for (n, net) in decl.networks.iter().enumerate() {
            if n > 0 {
                self.err(
                    Diagnostic::error(
                        "E0311",
                        "a component has at most one `network` block",
                        net.span,
                    )
                    .with_label("second `network` block")
                    .with_secondary(decl.networks[0].span, "first `network` block")
                    .with_help("merge them into one"),
                );
                continue;
            }
            let mut seen: Vec<&ast::Ident> = Vec::new();
            let mut has_pods = false;
            for a in &net.attrs {
                if self.is_repeated(&seen, &a.name) {
                    continue;
                }
                seen.push(&a.name);
                match a.name.name.as_str() {
                    "pods" => {
                        has_pods = true;
                        self.check_expr(&a.value, &Ty::Map(Box::new(Ty::String)), ctx);
                    }
                    "ports" | "open_ports" => {
                        let ty = Ty::List(Box::new(port_ty()));
                        if self.check_expr(&a.value, &ty, ctx) {
                            self.check_constant(&a.value, &ty);
                        }
                    }
                    other => {
                        self.unknown_field_of("a network block", other, a.name.span, NETWORK_FIELDS)
                    }
                }
            }
            if !has_pods {
                self.err(
                    Diagnostic::error("E0302", "the `network` block has no `pods`", net.span)
                        .with_label("missing `pods`")
                        .with_help(
                            "add the labels every pod of the instance carries, e.g. `pods = { \"app.kubernetes.io/instance\" = self.name }`",
                        ),
                );
            }
        }
    }
}
