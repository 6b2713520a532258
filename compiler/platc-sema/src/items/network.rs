//! `network { pods = ... ports = ... open_ports = ... data = [...] }`:
//! which pods are an instance's, where they accept connections, and what it
//! only reads, so that the platform's NetworkPolicies can follow its graph
//! (language 6.3.11); and which of its edges an instance's `provides`
//! records hand on to its consumers.

use std::collections::HashSet;
use std::sync::Arc;

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast::{self, ExprKind};

use crate::analyze::Checker;
use crate::expr::Ctx;
use crate::types::{Bound, Constraint, Ty};

/// The attributes of a network block.
pub(crate) const NETWORK_FIELDS: &[&str] = &["pods", "ports", "open_ports", "data"];

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
                    "data" => self.check_data_members(decl, &a.value),
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

    /// `data = [NAME, ...]`: a list of the component's params and lets,
    /// written as plain names (not evaluated).
    fn check_data_members(&mut self, decl: &ast::ComponentDecl, value: &ast::Expr) {
        let ExprKind::List(items) = &value.kind else {
            self.err(
                Diagnostic::error(
                    "E0301",
                    "`data` must be a list of the component's params and lets",
                    value.span,
                )
                .with_label("not a list of names")
                .with_help("write the names of the params and lets whose instances the component reads and never connects to, e.g. `data = [sources]`"),
            );
            return;
        };
        let members: Vec<&str> = decl
            .params
            .iter()
            .map(|p| p.name.name.as_str())
            .chain(decl.lets.iter().map(|l| l.name.name.as_str()))
            .collect();
        let mut seen: Vec<&str> = Vec::new();
        for item in items {
            let ExprKind::Name(name) = &item.kind else {
                self.err(
                    Diagnostic::error(
                        "E0301",
                        "an entry of `data` must be the name of a param or let of the component",
                        item.span,
                    )
                    .with_label("not a name")
                    .with_help("name the param or let itself, e.g. `data = [sources]`; `data` is not evaluated"),
                );
                continue;
            };
            if !members.contains(&name.as_str()) {
                let d = Diagnostic::error(
                    "E0201",
                    format!(
                        "component `{}` has no param or let `{name}`",
                        decl.name.name
                    ),
                    item.span,
                )
                .with_label("not a member of the component")
                .with_suggestion(
                    name,
                    members.iter().copied(),
                    Some("`data` names params and lets of the component".to_string()),
                );
                self.err(d);
                continue;
            }
            if seen.contains(&name.as_str()) {
                self.err(
                    Diagnostic::error(
                        "E0311",
                        format!("`{name}` is listed twice in `data`"),
                        item.span,
                    )
                    .with_label("listed again")
                    .with_help("list each member once"),
                );
                continue;
            }
            seen.push(name);
        }
    }
}

/// Where a component's edges go on to, by the member of the component
/// they come from (language 6.3.11). A consumer learns what an instance's
/// `provides` records say, and nothing else of it (the params and lets of
/// a component are not fields of its instances, 5.5): the instances whose
/// fields those records are computed from are *handed on* to it. And an
/// instance *reads as data*, without connecting to them, the instances of
/// the members its `network` block lists under `data`.
#[derive(Debug, Default)]
pub(crate) struct MemberFlows<'a> {
    /// Params that the `provides` records read, directly or through lets
    /// and other params' defaults.
    pub handed_params: HashSet<&'a str>,
    /// The expressions of the component whose `all(...)` calls hand on:
    /// the `provides` fields, and the handed params' defaults and lets.
    pub handed_spans: Vec<Span>,
    /// Params listed under `data`.
    pub data_params: HashSet<&'a str>,
    /// The defaults of the params and the values of the lets listed under
    /// `data`.
    pub data_spans: Vec<Span>,
}

impl MemberFlows<'_> {
    /// Whether an `all(...)` call at `call`, made in an instance whose
    /// attributes and environment overrides are `attrs` (name, value), is
    /// handed on and is read as data.
    pub(crate) fn call<'x>(
        &self,
        call: Span,
        attrs: impl Iterator<Item = (&'x str, &'x ast::Expr)>,
    ) -> (bool, bool) {
        let inside = |s: &Span| s.file == call.file && s.start <= call.start && call.end <= s.end;
        let mut handed = self.handed_spans.iter().any(inside);
        let mut data = self.data_spans.iter().any(inside);
        for (name, value) in attrs {
            if inside(&value.span) {
                handed |= self.handed_params.contains(name);
                data |= self.data_params.contains(name);
            }
        }
        (handed, data)
    }
}

/// The flows of a component's members (see [`MemberFlows`]).
pub(crate) fn member_flows(decl: &ast::ComponentDecl) -> MemberFlows<'_> {
    let mut out = MemberFlows::default();
    let param = |n: &str| decl.params.iter().find(|p| p.name.name == n);
    let let_ = |n: &str| decl.lets.iter().find(|l| l.name.name == n);
    // What the provides records read, closed over lets and defaults.
    let mut names: Vec<String> = Vec::new();
    for p in &decl.provides {
        for f in &p.fields {
            out.handed_spans.push(f.value.span);
            crate::expr::free_names(&f.value, &mut names);
        }
    }
    let mut done: HashSet<String> = HashSet::new();
    while let Some(n) = names.pop() {
        if !done.insert(n.clone()) {
            continue;
        }
        if let Some(p) = param(&n) {
            out.handed_params.insert(p.name.name.as_str());
            if let Some(d) = &p.default {
                out.handed_spans.push(d.span);
                crate::expr::free_names(d, &mut names);
            }
        } else if let Some(l) = let_(&n) {
            out.handed_spans.push(l.value.span);
            crate::expr::free_names(&l.value, &mut names);
        }
    }
    // What the network block lists as data.
    let data = decl
        .networks
        .first()
        .and_then(|n| n.attrs.iter().find(|a| a.name.name == "data"));
    if let Some(ExprKind::List(items)) = data.map(|a| &a.value.kind) {
        for item in items {
            let ExprKind::Name(n) = &item.kind else {
                continue;
            };
            if let Some(p) = param(n) {
                out.data_params.insert(p.name.name.as_str());
                out.data_spans.extend(p.default.as_ref().map(|d| d.span));
            } else if let Some(l) = let_(n) {
                out.data_spans.push(l.value.span);
            }
        }
    }
    out
}
