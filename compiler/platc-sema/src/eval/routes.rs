//! Serving the platform's endpoints: the instances that `ingress` names
//! check every endpoint with their `route assert`s and make their `route
//! resource`s for it, in the endpoint's namespace (spec 6.3.10).

use platc_diag::{Diagnostic, Span};

use super::{Env, Evaluator};
use crate::items::route::{ingress_names, route_value, ROUTE};
use crate::tables::Global;
use crate::value::Value;

impl Evaluator<'_, '_> {
    /// Adds the route resources of every instance of `ingress` to it, and
    /// an observing edge to every instance whose endpoints it serves.
    /// Returns the names of the serving instances.
    pub(super) fn serve_routes(
        &mut self,
        instances: &mut [crate::Instance],
        enabled: &[bool],
        off_at: &[Option<Span>],
    ) -> Vec<String> {
        let Some(p) = self.t.platform else {
            return Vec::new();
        };
        let mut served = Vec::new();
        for (name, span) in ingress_names(p) {
            let Some((Global::Instance(g), _)) = self.t.globals.get(name).copied() else {
                continue;
            };
            if !enabled[g] {
                let mut d = Diagnostic::error(
                    "E0325",
                    format!("the platform's ingress names `{name}`, which is switched off"),
                    span,
                )
                .with_label(format!("`{name}` is not deployed here"));
                if let Some(at) = off_at[g] {
                    d = d.with_secondary(at, format!("`{name}` is switched off here"));
                }
                if let Some(env) = self.env {
                    d = d.with_note(format!("in environment `{}`", env.name.name));
                }
                self.diagnostics.push(d.with_help(
                    "keep it enabled: nothing else would serve the platform's endpoints",
                ));
                continue;
            }
            served.push(name.to_string());
            let Some(k) = instances.iter().position(|x| x.name == name) else {
                continue;
            };
            let Some(comp) = self.t.instances[g].2 else {
                continue;
            };
            let cdecl = self.t.comps[comp.0 as usize].decl;
            let endpoints: Vec<(usize, usize)> = instances
                .iter()
                .enumerate()
                .flat_map(|(a, inst)| (0..inst.exposes.len()).map(move |b| (a, b)))
                .collect();
            let mut made = Vec::new();
            // What the ingress observes already: looked up once per
            // endpoint (a scan of its growing list was quadratic).
            let mut observed: crate::HashSet<String> = instances[k]
                .observes
                .iter()
                .map(|o| o.target.clone())
                .collect();
            for (a, b) in endpoints {
                let (inst, x) = (&instances[a], &instances[a].exposes[b]);
                let key = format!("{}.{}", inst.name, x.name);
                let base = format!("{}-{}", inst.k8s_name, x.name.replace('_', "-"));
                let namespace = inst.namespace.clone();
                let endpoint_span = x.span;
                let local = super::Local {
                    name: ROUTE,
                    value: route_value(inst, x),
                    outer: None,
                };
                let env = Env {
                    locals: Some(&local),
                    self_inst: Some(g),
                    reader: Some(a),
                };
                if !self.route_asserts(cdecl, &env, name, &key, endpoint_span) {
                    continue;
                }
                for r in cdecl.resources.iter().filter(|r| r.route) {
                    if let Some(Some(res)) = self.resource_ir(
                        r,
                        &env,
                        &format!("{base}-{}", r.name.name.replace('_', "-")),
                        &namespace,
                        Some(key.clone()),
                    ) {
                        made.push(res);
                    }
                }
                if a != k && observed.insert(inst.name.clone()) {
                    let target = instances[a].name.clone();
                    instances[k].observes.push(crate::Observed {
                        target,
                        interface: ROUTE.to_string(),
                        reach: true,
                        hands_on: false,
                        data: false,
                    });
                }
            }
            instances[k].resources.extend(made);
        }
        // (An `ingress` whose instances are switched off is E0325 above.)
        if ingress_names(p).is_empty() {
            self.unserved(instances);
        }
        served
    }

    /// Endpoints without an `ingress` to serve them: nothing routes to
    /// them, whatever their URL says (W0301, once, at the first).
    fn unserved(&mut self, instances: &[crate::Instance]) {
        let mut endpoints = instances
            .iter()
            .flat_map(|i| i.exposes.iter().map(move |x| (i, x)));
        let Some((first, x)) = endpoints.next() else {
            return;
        };
        let others = endpoints.count();
        let mut d = Diagnostic::new(
            "W0301",
            format!(
                "endpoint `{}.{}` is not served: the platform names no `ingress`",
                first.name, x.name
            ),
            platc_diag::Label::new(x.span, "nothing routes requests to this endpoint"),
        );
        if others > 0 {
            d = d.with_note(match others {
                1 => "nor is the platform's other endpoint".to_string(),
                n => format!("nor are the platform's {n} other endpoints"),
            });
        }
        self.diagnostics.push(d.with_help(
            "name the instances that serve endpoints in the platform block, e.g. `ingress = [edge, letsencrypt]` with a `traefik` and a `cluster_issuer` (std/traefik, std/cert_manager)",
        ));
    }

    /// The route assertions of `cdecl` for one endpoint: a failure is an
    /// error at the endpoint (E0324).
    fn route_asserts(
        &mut self,
        cdecl: &platc_syntax::ast::ComponentDecl,
        env: &Env,
        server: &str,
        endpoint: &str,
        at: Span,
    ) -> bool {
        let mut ok = true;
        for a in cdecl.asserts.iter().filter(|a| a.route) {
            match self.eval(&a.cond, env) {
                Some(Value::Bool(true)) => {}
                Some(Value::Bool(false)) => {
                    let Some(Value::Str(message)) = self.eval(&a.message, env) else {
                        return false;
                    };
                    let mut d = Diagnostic::error("E0324", message.to_string(), at)
                        .with_label(format!("`{server}` cannot serve endpoint `{endpoint}`"))
                        .with_secondary(a.cond.span, "this is false")
                        .with_note(format!(
                            "`{server}` (component `{}`) serves the platform's endpoints: the platform's `ingress` names it",
                            cdecl.name.name
                        ));
                    if let Some(env) = self.env {
                        d = d.with_note(format!("in environment `{}`", env.name.name));
                    }
                    self.diagnostics.push(d);
                    ok = false;
                }
                _ => return false,
            }
        }
        ok
    }
}
