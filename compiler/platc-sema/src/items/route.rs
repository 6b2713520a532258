//! Routes: the endpoints (expose blocks) of a platform, served by the
//! instances its `ingress` names. A component serves them through its
//! `route resource`s and `route assert`s, which see each endpoint as the
//! record `route` (spec 6.3.10).

use std::collections::BTreeMap;

use platc_diag::Diagnostic;
use platc_syntax::ast::{self, ExprKind};

use crate::analyze::Checker;
use crate::tables::Global;
use crate::types::Ty;
use crate::value::Value;

/// The name that holds the endpoint in route members.
pub(crate) const ROUTE: &str = "route";

/// The record type of `route`.
pub(crate) fn route_ty() -> Ty {
    let s = || Ty::String;
    let b = || Ty::Bool;
    Ty::Record(
        [
            ("instance", s()),
            ("name", s()),
            ("component", s()),
            ("namespace", s()),
            ("host", s()),
            ("path", s()),
            (
                "auth",
                Ty::Optional(Box::new(Ty::Enum(vec!["sso".into(), "basic".into()]))),
            ),
            ("tls", b()),
            ("audit", b()),
            ("public", b()),
            ("port", Ty::Int),
            ("service", s()),
            ("object_name", s()),
            ("tls_secret", s()),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .collect(),
    )
}

/// `route`'s value for endpoint `x` of instance `inst`.
pub(crate) fn route_value(inst: &crate::Instance, x: &crate::Expose) -> Value {
    let s = |t: &str| Value::Str(t.into());
    let object_name = format!("{}-{}", inst.k8s_name, x.name.replace('_', "-"));
    let mut m = BTreeMap::new();
    m.insert("instance".into(), s(&inst.name));
    m.insert("name".into(), s(&x.name));
    m.insert("component".into(), s(&inst.component));
    m.insert("namespace".into(), s(&inst.namespace));
    m.insert("host".into(), s(&x.host));
    m.insert("path".into(), s(&x.path));
    m.insert("auth".into(), x.auth.as_deref().map_or(Value::None, s));
    m.insert("tls".into(), Value::Bool(x.tls));
    m.insert("audit".into(), Value::Bool(x.audit));
    m.insert("public".into(), Value::Bool(x.public));
    m.insert("port".into(), Value::Int(x.port));
    m.insert("service".into(), s(&x.service));
    m.insert(
        "tls_secret".into(),
        Value::Str(format!("{object_name}-tls").into()),
    );
    m.insert("object_name".into(), Value::Str(object_name.into()));
    Value::map(m)
}

/// Whether component `decl` has route members.
pub(crate) fn serves_routes(decl: &ast::ComponentDecl) -> bool {
    decl.resources.iter().any(|r| r.route) || decl.asserts.iter().any(|a| a.route)
}

/// The instances `ingress = [...]` names (those that resolve), with the
/// span of each name.
pub(crate) fn ingress_names(p: &ast::PlatformDecl) -> Vec<(&str, platc_diag::Span)> {
    p.attrs
        .iter()
        .filter(|a| a.name.name == "ingress")
        .take(1)
        .flat_map(|a| match &a.value.kind {
            ExprKind::List(items) => items.as_slice(),
            _ => &[],
        })
        .filter_map(|e| match &e.kind {
            ExprKind::Name(n) => Some((n.as_str(), e.span)),
            _ => None,
        })
        .collect()
}

impl Checker<'_> {
    /// The platform block's `ingress`, once instances are checked.
    pub(crate) fn check_ingress(&mut self) {
        let Some(p) = self.tables.platform else {
            return;
        };
        if let Some(a) = p.attrs.iter().find(|a| a.name.name == "ingress") {
            self.check_ingress_attr(a);
        }
    }

    /// `ingress = [edge, letsencrypt]`: instances whose components serve
    /// routes, each named once.
    fn check_ingress_attr(&mut self, a: &ast::Attr) {
        let ExprKind::List(items) = &a.value.kind else {
            self.err(
                Diagnostic::error(
                    "E0301",
                    "`ingress` must be a list of instances",
                    a.value.span,
                )
                .with_label("expected a list such as `[edge, letsencrypt]`")
                .with_help("name the instances that serve the platform's endpoints: an ingress controller, a certificate issuer, an authentication proxy"),
            );
            return;
        };
        let mut seen: Vec<(&str, platc_diag::Span)> = Vec::new();
        for e in items {
            let ExprKind::Name(n) = &e.kind else {
                self.err(
                    Diagnostic::error("E0301", "`ingress` lists instances by name", e.span)
                        .with_label("not an instance name"),
                );
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(s, _)| s == n) {
                self.err(
                    Diagnostic::error("E0311", format!("`{n}` is listed twice"), e.span)
                        .with_label("listed again here")
                        .with_secondary(*first, "first listed here"),
                );
                continue;
            }
            seen.push((n, e.span));
            let inst = match self.tables.globals.get(n).map(|(g, _)| *g) {
                Some(Global::Instance(i)) => i,
                Some(Global::Secret(_)) => {
                    self.err(
                        Diagnostic::error(
                            "E0301",
                            format!("`{n}` is a secret, not an instance"),
                            e.span,
                        )
                        .with_label("expected an instance"),
                    );
                    continue;
                }
                None => {
                    let candidates = self
                        .tables
                        .instances
                        .iter()
                        .map(|(d, _, _)| d.name.name.clone())
                        .collect();
                    self.unknown_name("instance", n, e.span, candidates, None);
                    continue;
                }
            };
            let Some(comp) = self.tables.instances[inst].2 else {
                continue;
            };
            let decl = self.tables.comps[comp.0 as usize].decl;
            if !serves_routes(decl) {
                self.err(
                    Diagnostic::error(
                        "E0301",
                        format!("`{n}` cannot serve endpoints: component `{}` has no route members", decl.name.name),
                        e.span,
                    )
                    .with_label("serves no routes")
                    .with_secondary(decl.name.span, "this component declares no `route resource` or `route assert`")
                    .with_help("list the instances that serve endpoints: an ingress controller (std/traefik) and a certificate issuer (std/cert_manager); give the controller its authentication proxy"),
                );
            }
        }
    }

    /// A component with route members cannot also name a param or let
    /// `route`: there, `route` is the endpoint.
    pub(crate) fn check_route_name(&mut self, decl: &ast::ComponentDecl) {
        if !serves_routes(decl) {
            return;
        }
        let clash = decl
            .params
            .iter()
            .map(|p| &p.name)
            .chain(decl.lets.iter().map(|l| &l.name))
            .find(|n| n.name == ROUTE);
        if let Some(name) = clash {
            self.err(
                Diagnostic::error(
                    "E0202",
                    "`route` is defined by the component's route members",
                    name.span,
                )
                .with_label("this would hide the endpoint")
                .with_note("in a component with `route resource` or `route assert`, `route` names the endpoint being served")
                .with_help("rename this member"),
            );
        }
    }
}
