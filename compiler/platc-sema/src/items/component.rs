//! Components: charts, param defaults, requires, provides blocks, expose
//! points and values statements.

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast;

use crate::analyze::Checker;
use crate::expr::{narrowings, Ctx};
use crate::types::{CompId, Ty};
use crate::vocab::regex_is_match;

const EXPOSE_POINT_FIELDS: &[&str] = &["port", "service"];

/// A values path already assigned: its fixed keys (all of them, or the
/// prefix before the first computed or index segment).
#[derive(Clone)]
pub(super) struct Assigned {
    keys: Vec<String>,
    fixed: bool,
    span: Span,
}

/// True when `e` reads none of the component's names (nor `self` or
/// `platform`): a default that is the same for every instance and every
/// environment.
fn is_constant(e: &ast::Expr) -> bool {
    let mut names = Vec::new();
    crate::expr::free_names(e, &mut names);
    names.is_empty()
}

/// The range of a chart's `timeout`, in milliseconds (30s to 2h).
const MIN_TIMEOUT_MS: u64 = 30_000;
const MAX_TIMEOUT_MS: u64 = 7_200_000;

impl Checker<'_> {
    pub(crate) fn check_component(&mut self, id: CompId) {
        let decl = self.tables.comps[id.0 as usize].decl;
        let file = self.tables.comps[id.0 as usize].file;
        // chart
        for (n, chart) in decl.charts.iter().enumerate() {
            if n > 0 {
                self.err(
                    Diagnostic::error("E0311", "a component deploys at most one chart", chart.span)
                        .with_label("second chart")
                        .with_secondary(decl.charts[0].span, "first chart")
                        .with_help("split the component in two"),
                );
                continue;
            }
            self.check_chart(chart);
        }
        let mut ctx = Ctx {
            in_component: true,
            file: Some(file),
            ..Ctx::default()
        };
        let params: Vec<(String, Ty)> = self.tables.comps[id.0 as usize]
            .params
            .iter()
            .map(|p| (p.name.clone(), Ty::clone(&p.ty)))
            .collect();
        ctx.locals = params.clone();
        // lets, in the order they depend on each other (cycles: E0323)
        self.check_lets(decl, &mut ctx);
        // defaults: may use params, lets, `self` and `platform`. One that
        // uses none of the component's names is a constant, checked here
        // once; the others are checked for every instance that uses them.
        for p in &decl.params {
            if let Some(default) = &p.default {
                let Some(ty) = params
                    .iter()
                    .find(|(n, _)| *n == p.name.name)
                    .map(|(_, t)| t.clone())
                else {
                    continue;
                };
                if self.check_expr(default, &ty, &ctx) && is_constant(default) {
                    self.check_constant(default, &ty);
                }
            }
        }
        // requires (if COND)
        for r in &decl.requires {
            match self.resolve_type_name(file, &r.interface) {
                Ty::Interface(_) | Ty::Unknown => {}
                other => {
                    let t = self.ty(&other);
                    self.err(
                        Diagnostic::error(
                            "E0301",
                            format!("`{t}` is not an interface"),
                            r.interface.span,
                        )
                        .with_label("expected an interface"),
                    );
                }
            }
            if let Some(c) = &r.cond {
                self.check_expr(c, &Ty::Bool, &ctx);
            }
        }
        // assertions
        self.check_route_name(decl);
        for a in &decl.asserts {
            let mut actx = ctx.clone();
            if a.route {
                actx.locals
                    .push((super::route::ROUTE.into(), super::route::route_ty()));
            }
            self.check_expr(&a.cond, &Ty::Bool, &actx);
            self.check_expr(&a.message, &Ty::String, &actx);
        }
        // resources
        self.check_resources(decl, &ctx);
        // network
        self.check_networks(decl, &ctx);
        // provides
        for p in &decl.provides {
            if let Some(c) = &p.cond {
                self.check_expr(c, &Ty::Bool, &ctx);
            }
            let Ty::Interface(iid) = self.resolve_type_name_quiet(file, &p.interface) else {
                continue;
            };
            let fields = self.tables.ifaces[iid.0 as usize].fields.clone();
            let iface_name = self.tables.ifaces[iid.0 as usize].decl.name.name.clone();
            let mut seen: Vec<&ast::Ident> = Vec::new();
            for attr in &p.fields {
                if self.is_repeated(&seen, &attr.name) {
                    continue;
                }
                seen.push(&attr.name);
                match fields.iter().find(|(n, _)| *n == attr.name.name) {
                    Some((_, t)) => {
                        self.check_expr(&attr.value, t, &ctx);
                    }
                    None => {
                        let mut d = Diagnostic::error(
                            "E0309",
                            format!("interface `{iface_name}` has no field `{}`", attr.name.name),
                            attr.name.span,
                        )
                        .with_label("not a field of the interface");
                        d = d.with_suggestion(
                            &attr.name.name,
                            fields.iter().map(|(n, _)| n.as_str()),
                            None,
                        );
                        self.err(d);
                    }
                }
            }
            let missing: Vec<&str> = fields
                .iter()
                .filter(|(n, t)| {
                    !seen.iter().any(|s| s.name == *n) && !matches!(t.base(), Ty::Optional(_))
                })
                .map(|(n, _)| n.as_str())
                .collect();
            if !missing.is_empty() {
                let list = missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.err(
                    Diagnostic::error(
                        "E0309",
                        format!(
                            "`{}` does not set {list} of interface `{iface_name}`",
                            decl.name.name
                        ),
                        p.interface.span,
                    )
                    .with_label("incomplete provides block")
                    .with_secondary(
                        self.tables.ifaces[iid.0 as usize].decl.name.span,
                        "the interface is declared here",
                    )
                    .with_help(format!("set {list} in this provides block")),
                );
            }
        }
        // expose points
        for (n, e) in decl.exposes.iter().enumerate() {
            if let Some(prev) = decl.exposes[..n]
                .iter()
                .find(|x| x.name.name == e.name.name)
            {
                self.duplicate(&e.name, prev.name.span);
            }
            let port_ty = super::network::port_ty();
            let mut has_port = false;
            let mut seen: Vec<&ast::Ident> = Vec::new();
            for a in &e.attrs {
                if self.is_repeated(&seen, &a.name) {
                    continue;
                }
                seen.push(&a.name);
                match a.name.name.as_str() {
                    "port" => {
                        has_port = true;
                        if self.check_expr(&a.value, &port_ty, &ctx) {
                            self.check_constant(&a.value, &port_ty);
                        }
                    }
                    "service" => {
                        self.check_expr(&a.value, &Ty::String, &ctx);
                    }
                    other => self.unknown_field_of(
                        "expose point",
                        other,
                        a.name.span,
                        EXPOSE_POINT_FIELDS,
                    ),
                }
            }
            if !has_port {
                self.err(
                    Diagnostic::error(
                        "E0302",
                        format!("expose point `{}` has no `port`", e.name.name),
                        e.name.span,
                    )
                    .with_label("missing `port`")
                    .with_help("add `port = 8080` (the container or service port)"),
                );
            }
        }
        // values
        // Several values blocks act as one: a key is set once in all of them.
        let mut assigned: Vec<Assigned> = Vec::new();
        let mut values_ctx = ctx.clone();
        values_ctx.open = true;
        for block in &decl.values {
            self.check_value_stmts(&block.stmts, &mut values_ctx.clone(), &mut assigned);
        }
    }

    fn check_chart(&mut self, chart: &ast::ChartDecl) {
        let plain = |s: &ast::StringLit| s.as_plain();
        match plain(&chart.name) {
            Some(n)
                if !n.is_empty()
                    && n.chars().all(|c| {
                        c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' || c == '/'
                    }) => {}
            _ => self.err(
                Diagnostic::error(
                    "E0312",
                    "chart name must be a plain, non-empty chart name",
                    chart.name.span,
                )
                .with_label("not a chart name")
                .with_help("write the chart's name as in its Chart.yaml, e.g. \"postgresql\""),
            ),
        }
        match plain(&chart.version) {
            Some(v) if is_exact_semver(&v) => {}
            Some(v) => self.err(
                Diagnostic::error(
                    "E0312",
                    format!("chart version {v:?} is not an exact version"),
                    chart.version.span,
                )
                .with_label("ranges and wildcards are not allowed")
                .with_note("an exact version makes every build reproducible")
                .with_help("pin one release, e.g. \"1.22.0\""),
            ),
            None => self.err(
                Diagnostic::error(
                    "E0312",
                    "chart version cannot be interpolated",
                    chart.version.span,
                )
                .with_label("must be a literal version"),
            ),
        }
        match plain(&chart.repository) {
            Some(r)
                if (r.starts_with("https://") && r.len() > 8)
                    || (r.starts_with("oci://") && r.len() > 6) => {}
            _ => self.err(
                Diagnostic::error(
                    "E0312",
                    "chart repository must be an https:// or oci:// URL",
                    chart.repository.span,
                )
                .with_label("not a chart repository URL")
                .with_help(
                    "e.g. \"https://charts.example.com\" or \"oci://registry.example.com/charts\"",
                ),
            ),
        }
        if let Some(t) = &chart.timeout {
            match &t.kind {
                ast::ExprKind::Quantity(q) if q.kind == ast::QuantityKind::Duration => {
                    if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&q.amount) {
                        self.err(
                            Diagnostic::error(
                                "E0304",
                                format!("a chart timeout of {} is out of range", q.text),
                                t.span,
                            )
                            .with_label("must be from 30s to 2h")
                            .with_help("give the time an install or upgrade of this chart may take, e.g. `10min`"),
                        );
                    }
                }
                _ => self.err(
                    Diagnostic::error("E0306", "a chart timeout must be a duration", t.span)
                        .with_label("not a duration")
                        .with_help("write a duration literal, e.g. `timeout 10min`"),
                ),
            }
        }
    }

    pub(super) fn check_value_stmts(
        &mut self,
        stmts: &[ast::ValueStmt],
        ctx: &mut Ctx,
        assigned: &mut Vec<Assigned>,
    ) {
        for s in stmts {
            match s {
                ast::ValueStmt::Assign { path, value, .. } => {
                    for seg in path {
                        match &seg.kind {
                            ast::KeyKind::Name(_) => {}
                            ast::KeyKind::Computed(k) => {
                                self.check_expr(
                                    &ast::Expr {
                                        kind: ast::ExprKind::Str(k.clone()),
                                        span: k.span,
                                    },
                                    &Ty::String,
                                    ctx,
                                );
                            }
                            ast::KeyKind::Index(i) => {
                                self.check_expr(i, &Ty::Int, ctx);
                            }
                        }
                    }
                    // Conflicts between fixed paths are found here; a path
                    // with a computed or index segment is compared by its
                    // fixed prefix here, and in full when evaluated.
                    let prefix: Vec<String> = path
                        .iter()
                        .map_while(|k| k.name().map(str::to_string))
                        .collect();
                    let fixed = prefix.len() == path.len();
                    let path_span = path.first().unwrap().span.to(path.last().unwrap().span);
                    let clash = assigned.iter().find(|a| {
                        let n = a.keys.len().min(prefix.len());
                        match (a.fixed, fixed) {
                            (true, true) => a.keys[..n] == prefix[..n],
                            // the fixed path sets a value at or above the other's prefix
                            (true, false) => {
                                a.keys.len() <= prefix.len() && a.keys[..] == prefix[..n]
                            }
                            (false, true) => {
                                prefix.len() <= a.keys.len() && prefix[..] == a.keys[..n]
                            }
                            (false, false) => false,
                        }
                    });
                    if let Some(other) = clash {
                        let show = |keys: &[String], fixed: bool| {
                            if fixed {
                                keys.join(".")
                            } else {
                                format!("{}...", keys.join("."))
                            }
                        };
                        let what = if other.fixed && fixed && other.keys == prefix {
                            format!("values key `{}` is set more than once", prefix.join("."))
                        } else {
                            format!(
                                "values keys `{}` and `{}` overlap",
                                show(&other.keys, other.fixed),
                                show(&prefix, fixed)
                            )
                        };
                        let first = other.span;
                        self.err(
                            Diagnostic::error("E0311", what, path_span)
                                .with_label("set here")
                                .with_secondary(first, "also set here")
                                .with_help("a key holds either one value or nested keys; set each key once"),
                        );
                    } else {
                        assigned.push(Assigned {
                            keys: prefix,
                            fixed,
                            span: path_span,
                        });
                    }
                    let t = self.infer(value, ctx);
                    if ctx.in_resource && t.contains_secret() {
                        self.err(
                            Diagnostic::error("E0307", "a secret cannot be written into a resource", value.span)
                                .with_label("holds a secret")
                                .with_note("a resource is written out in full, in clear text")
                                .with_help("refer to the Kubernetes Secret that holds it instead: `.secret_name` and `.secret_key`"),
                        );
                    } else if t.contains_secret() && t.base() != &Ty::Secret {
                        self.err(
                            Diagnostic::error("E0307", "a secret inside a list or record cannot be a Helm value", value.span)
                                .with_label("holds a secret")
                                .with_note("only a secret on its own is delivered out of band; inside a structure it would be written in clear text")
                                .with_help("assign the secret to its own values key"),
                        );
                    }
                    if matches!(t.base(), Ty::Component(_) | Ty::Interface(_)) {
                        self.err(
                            Diagnostic::error(
                                "E0301",
                                "an instance reference cannot be a Helm value",
                                value.span,
                            )
                            .with_label(format!("this is a `{}`", self.ty(&t)))
                            .with_help(
                                "use one of its fields, such as `.name` or an interface field",
                            ),
                        );
                    }
                }
                ast::ValueStmt::If {
                    cond,
                    then,
                    otherwise,
                    ..
                } => {
                    self.check_expr(cond, &Ty::Bool, ctx);
                    let (pos, neg) = narrowings(cond);
                    let mut then_ctx = ctx.clone();
                    self.narrow(&mut then_ctx, &pos);
                    let mut then_assigned = assigned.clone();
                    self.check_value_stmts(then, &mut then_ctx, &mut then_assigned);
                    let mut else_ctx = ctx.clone();
                    self.narrow(&mut else_ctx, &neg);
                    let mut else_assigned = assigned.clone();
                    self.check_value_stmts(otherwise, &mut else_ctx, &mut else_assigned);
                    // keys set in either branch count as set afterwards
                    for entry in then_assigned.into_iter().chain(else_assigned) {
                        if !assigned
                            .iter()
                            .any(|a| a.keys == entry.keys && a.fixed == entry.fixed)
                        {
                            assigned.push(entry);
                        }
                    }
                }
            }
        }
    }
}

/// Exact semantic version: MAJOR.MINOR.PATCH, optional leading `v`,
/// optional `-prerelease` and `+build`.
fn is_exact_semver(v: &str) -> bool {
    regex_is_match(
        r"^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$",
        v,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_is_exact() {
        assert!(is_exact_semver("1.22.0"));
        assert!(is_exact_semver("v1.21.1"));
        assert!(is_exact_semver("1.0.0-rc.1+build.5"));
        for bad in ["^1.2.0", "~1.2", "1.x", ">=1.0.0", "*", "1.2", "01.2.3", ""] {
            assert!(!is_exact_semver(bad), "{bad}");
        }
    }
}
