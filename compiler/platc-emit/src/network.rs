//! NetworkPolicies from the platform graph (docs/output.md, "Network
//! policies"): in every namespace whose instances all say which pods are
//! theirs (`network`, language 6.3.11), ingress is denied by default and
//! allowed along the graph's edges: an instance's own pods reach each
//! other; a consumer's pods reach its provider's (on the provider's
//! `ports`); an operator reaches what requires it; the ingress controller
//! reaches the instances whose endpoints it serves (an observing edge); and
//! `open_ports` accept anyone. Egress stays open (DNS, registries, identity
//! providers and object stores outside the cluster).

use std::collections::{BTreeMap, BTreeSet};

use platc_sema::{Instance, Platform};

use crate::kubernetes::HEADER;
use crate::yaml::{push_indent, push_str_entry, At};
use crate::{common_label_pairs, file_name, HashMap, Plan};

/// Whether an instance runs pods in its namespace: it has a chart, or
/// objects of its own (not those made per endpoint or per element, which
/// live elsewhere), which may be workloads or make an operator start some.
fn runs_pods(inst: &Instance) -> bool {
    inst.chart.is_some()
        || inst
            .resources
            .iter()
            .any(|r| r.route.is_none() && r.each.is_none() && r.namespace.is_some())
}

/// The namespaces whose every pod-running instance declares its pods: only
/// there can a default deny leave nothing unreachable that must be reached.
pub(crate) fn isolated_namespaces(p: &Platform) -> BTreeSet<String> {
    let mut ok: BTreeMap<&str, bool> = BTreeMap::new();
    for inst in &p.instances {
        if !runs_pods(inst) && inst.network.is_none() {
            continue;
        }
        let e = ok.entry(&inst.namespace).or_insert(true);
        *e &= inst.network.is_some();
    }
    ok.into_iter()
        .filter(|(_, isolated)| *isolated)
        .map(|(ns, _)| ns.to_string())
        .collect()
}

/// Why one instance may reach another.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Why {
    /// It refers to it (a reference edge), or observes it.
    Uses,
    /// It provides an interface the other requires: an operator reaching
    /// the resources it manages.
    Operates,
}

/// For each instance, the instances that may open connections to it, and
/// why.
///
/// An instance uses what it refers to and what it observes (but not what
/// its `network` block lists as `data`: Grafana reads the dashboards of
/// every metrics source, and talks to none), and, through them, what their
/// `provides` records are computed from: addresses are handed on through
/// interfaces (Trino learns the warehouse's object store from the Iceberg
/// catalog, and reads the bucket itself; it does not learn the catalog's
/// own database). An observed instance that runs no pods is
/// data the observer reads, not a service it talks to: what it refers to
/// is not reached through it (MinIO observes every `minio_access` to find
/// its own users; it does not talk to the servers of the others). The
/// ingress controller reaches the instances whose endpoints it serves, but
/// not what they use. An operator (the provider of an interface that its
/// requirer takes no provider of as a value) reaches what requires it.
fn callers(p: &Platform) -> Vec<BTreeMap<usize, Why>> {
    let index: HashMap<&str, usize> = p
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| (inst.name.as_str(), i))
        .collect();
    let pods: Vec<bool> = p.instances.iter().map(runs_pods).collect();
    // An observed instance without pods or a policy is left out: it is
    // not reached and hands nothing on. (Every MinIO observes every
    // `minio_access` of the platform: the edges would be quadratic.)
    let silent: Vec<bool> = p
        .instances
        .iter()
        .zip(&pods)
        .map(|(inst, &pods)| !pods && inst.network.is_none())
        .collect();
    // The edges each instance connects along (with whether they observe),
    // those it hands on to its consumers through its `provides` records,
    // and those of the ingress layer.
    let mut uses: Vec<Vec<(usize, bool)>> = vec![Vec::new(); p.instances.len()];
    let mut hands: Vec<Vec<(usize, bool)>> = vec![Vec::new(); p.instances.len()];
    let mut serves: Vec<Vec<usize>> = vec![Vec::new(); p.instances.len()];
    for (c, inst) in p.instances.iter().enumerate() {
        for r in &inst.references {
            let Some(&t) = index.get(r.target.as_str()) else {
                continue;
            };
            if !r.data {
                uses[c].push((t, false));
            }
            if r.hands_on {
                hands[c].push((t, false));
            }
        }
        for o in inst.observes.iter().filter(|o| o.reach) {
            let Some(&t) = index.get(o.target.as_str()) else {
                continue;
            };
            if o.interface == ROUTE {
                serves[c].push(t);
            } else if !silent[t] {
                if !o.data {
                    uses[c].push((t, true));
                }
                if o.hands_on {
                    hands[c].push((t, true));
                }
            }
        }
    }
    // The providers of each interface.
    let mut providers: HashMap<&str, Vec<usize>> = HashMap::default();
    for (o, inst) in p.instances.iter().enumerate() {
        for pr in &inst.provides {
            providers.entry(pr.interface.as_str()).or_default().push(o);
        }
    }
    let mut out = vec![BTreeMap::new(); p.instances.len()];
    // The walk from each instance marks what it has seen and followed
    // with the instance's stamp (its index + 1): no set is built or
    // cleared per instance.
    let mut seen = vec![0; p.instances.len()];
    let mut followed = vec![0; p.instances.len()];
    let mut reached = Vec::new();
    let mut stack: Vec<(usize, bool)> = Vec::new();
    for c in 0..p.instances.len() {
        let stamp = c + 1;
        // Everything reachable from `c` along `uses`.
        // (An instance first met as pod-less data may be met again by a
        // reference, and then followed.)
        reached.clear();
        stack.extend_from_slice(&uses[c]);
        while let Some((t, observed)) = stack.pop() {
            if t == c {
                continue;
            }
            if seen[t] != stamp {
                seen[t] = stamp;
                reached.push(t);
            }
            let data = observed && !pods[t];
            if !data && followed[t] != stamp {
                followed[t] = stamp;
                stack.extend_from_slice(&hands[t]);
            }
        }
        for &t in &serves[c] {
            if t != c && seen[t] != stamp {
                seen[t] = stamp;
                reached.push(t);
            }
        }
        for &t in &reached {
            out[t].entry(c).or_insert(Why::Uses);
        }
        // A requirer that takes none of the providers as a value (by a
        // reference or `all(...)`) requires an operator: it uses the
        // operator, and the operator reaches back to what it manages. One
        // that takes some of them is their client, and the requirement
        // only orders its deployment after them all: it reaches those it
        // takes, by the edges above, and no provider reaches back (Trino
        // requires `IcebergCatalog` to be installed after the catalogs'
        // Secrets exist, and talks to its own catalogs only).
        let inst = &p.instances[c];
        let taken = || {
            let refs = inst.references.iter().map(|r| r.target.as_str());
            let observed = inst.observes.iter().filter(|o| o.reach);
            refs.chain(observed.map(|o| o.target.as_str()))
                .filter_map(|t| index.get(t))
                .map(|&t| &p.instances[t])
        };
        for iface in &inst.requires {
            let Some(operators) = providers.get(iface.as_str()) else {
                continue;
            };
            if taken().any(|t| t.provides.iter().any(|pr| pr.interface == *iface)) {
                continue;
            }
            for &o in operators.iter().filter(|&&o| o != c) {
                out[o].entry(c).or_insert(Why::Uses);
                out[c].insert(o, Why::Operates);
            }
        }
    }
    out
}

/// The interface of the observing edges by which the ingress controller
/// serves endpoints (language 6.3.10).
const ROUTE: &str = "route";

/// `kubernetes/networkpolicies-NAMESPACE.yaml` for every isolated namespace.
pub(crate) fn files(plan: &Plan) -> Vec<crate::OutputFile> {
    let p = plan.platform;
    let isolated = isolated_namespaces(p);
    if isolated.is_empty() {
        return Vec::new();
    }
    let callers = callers(p);
    // The instances with `network` of each isolated namespace, in
    // deployment order.
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in &plan.order {
        let inst = &p.instances[i];
        if inst.network.is_some() && isolated.contains(&inst.namespace) {
            members.entry(&inst.namespace).or_default().push(i);
        }
    }
    let from_rules = from_rules(p, members.values().flatten().map(|&i| &callers[i]));
    let policies = Policies {
        plan,
        members,
        callers,
        from_rules,
    };
    // One file per namespace, written on every core. The documents have a
    // fixed shape: written as text, as the YAML writer would write them
    // (a test compares them with the YAML of their JSON).
    let isolated: Vec<&String> = isolated.iter().collect();
    platc_diag::par::map(&isolated, |&ns| {
        let contents = crate::exact_text(|out| policies.write(ns, out));
        crate::OutputFile {
            path: crate::concat(&["kubernetes/networkpolicies-", &file_name(ns), ".yaml"]),
            contents,
        }
    })
}

/// What the NetworkPolicies of every isolated namespace are written from.
struct Policies<'p> {
    plan: &'p Plan<'p>,
    /// The instances with `network` of each isolated namespace, in
    /// deployment order.
    members: BTreeMap<&'p str, Vec<usize>>,
    /// [`callers`].
    callers: Vec<BTreeMap<usize, Why>>,
    /// [`from_rules`] of the members' callers.
    from_rules: Vec<Option<String>>,
}

impl Policies<'_> {
    /// Writes the NetworkPolicies of isolated namespace `ns` to `out`: its
    /// default deny, then a policy per member (instances with `network`).
    fn write(&self, ns: &str, out: &mut String) {
        let p = self.plan.platform;
        out.push_str(HEADER);
        policy_head(
            out,
            "platc-default-deny-ingress",
            ns,
            &common_label_pairs(p),
        );
        out.push_str("  podSelector: {}\n");
        ingress_only(out);
        for &i in self.members.get(ns).into_iter().flatten() {
            let inst = &p.instances[i];
            let Some(net) = &inst.network else {
                continue;
            };
            out.push_str("---\n");
            policy_head(
                out,
                &crate::concat(&["platc-", &inst.k8s_name]),
                ns,
                &crate::instance_label_pairs(p, inst),
            );
            selector(out, "  podSelector:\n", 2, &net.pods);
            ingress_only(out);
            out.push_str("  ingress:\n");
            // Its own pods: a chart's parts talk to each other, and the
            // workloads its resources declare carry its instance label.
            out.push_str("    - from:\n");
            selector(out, "        - podSelector:\n", 10, &net.pods);
            let own = [("app.kubernetes.io/instance", inst.k8s_name.as_str())];
            let pods_are_own =
                net.pods.len() == 1 && net.pods.get(own[0].0).map(String::as_str) == Some(own[0].1);
            if !pods_are_own {
                out.push_str("        - podSelector:\n            matchLabels:\n");
                for (k, v) in own {
                    push_str_entry(out, At::Line(14), k, v);
                }
            }
            // The member's ports, written once for all its callers.
            let ports = (!net.ports.is_empty()).then(|| {
                let mut text = String::from("      ports:\n");
                push_ports(&mut text, &net.ports);
                text
            });
            for (&c, why) in &self.callers[i] {
                let Some(from) = &self.from_rules[c] else {
                    continue;
                };
                out.push_str(from);
                if let (Why::Uses, Some(ports)) = (why, &ports) {
                    out.push_str(ports);
                }
            }
            if !net.open_ports.is_empty() {
                out.push_str("    - ports:\n");
                push_ports(out, &net.open_ports);
            }
        }
    }
}

/// For each instance among the `callers` (of members of isolated
/// namespaces), the start of the rule by which it reaches a member
/// ([`from_rule`]), indexed like the instances: written once, though most
/// reach several members and some (operators, the ingress controller,
/// monitoring) a member of every namespace. `None` for the others, and
/// for an instance that neither runs pods nor declares them: nothing
/// comes from it.
fn from_rules<'c>(
    p: &Platform,
    callers: impl Iterator<Item = &'c BTreeMap<usize, Why>>,
) -> Vec<Option<String>> {
    let mut out = vec![None; p.instances.len()];
    // Each caller is looked at once, however many members it reaches:
    // [`runs_pods`] goes through its resources, and a caller without pods
    // (the ingress layer's objects, made per endpoint it serves: thousands)
    // was looked at again for every member it reaches.
    let mut looked = vec![false; p.instances.len()];
    for c in callers.flat_map(BTreeMap::keys).copied() {
        if std::mem::replace(&mut looked[c], true) {
            continue;
        }
        let caller = &p.instances[c];
        if runs_pods(caller) || caller.network.is_some() {
            let mut text = String::with_capacity(256);
            from_rule(&mut text, caller);
            out[c] = Some(text);
        }
    }
    out
}

/// `apiVersion`, `kind`, `metadata`, and `spec:` of a NetworkPolicy, with
/// `labels` sorted by key.
fn policy_head(out: &mut String, name: &str, ns: &str, labels: &[(&str, impl AsRef<str>)]) {
    out.push_str("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n");
    push_str_entry(out, At::Line(2), "name", name);
    push_str_entry(out, At::Line(2), "namespace", ns);
    if labels.is_empty() {
        out.push_str("  labels: {}\n");
    } else {
        out.push_str("  labels:\n");
        for (k, v) in labels {
            push_str_entry(out, At::Line(4), k, v.as_ref());
        }
    }
    out.push_str("spec:\n");
}

/// `policyTypes: [Ingress]`, in the spec.
fn ingress_only(out: &mut String) {
    // (The keys of these documents are plain: written as the writer
    // writes them, without looking at them.)
    out.push_str("  policyTypes:\n    - Ingress\n");
}

/// `podSelector: {matchLabels: labels}`: `head` is the text of its key
/// (`podSelector:` and a line break, indented, after a dash or not) whose
/// entries are at `indent`.
fn selector(out: &mut String, head: &str, indent: usize, labels: &BTreeMap<String, String>) {
    out.push_str(head);
    match_labels(out, indent + 2, labels);
}

/// `matchLabels: labels` at `indent`.
fn match_labels(out: &mut String, indent: usize, labels: &BTreeMap<String, String>) {
    push_indent(out, indent);
    if labels.is_empty() {
        out.push_str("matchLabels: {}\n");
    } else {
        out.push_str("matchLabels:\n");
        for (k, v) in labels {
            push_str_entry(out, At::Line(indent + 2), k, v);
        }
    }
}

/// The items of a rule's `ports:` list, at 8.
fn push_ports(out: &mut String, ports: &[u16]) {
    for &port in ports {
        out.push_str("        - port: ");
        platc_yaml::push_int(out, i64::from(port));
        out.push_str("\n          protocol: TCP\n");
    }
}

/// The start of the rule by which `caller` reaches a member: from its
/// namespace and pods. (A rule with ports goes on with them.)
fn from_rule(out: &mut String, caller: &Instance) {
    out.push_str("    - from:\n        - namespaceSelector:\n            matchLabels:\n");
    push_str_entry(
        out,
        At::Line(14),
        "kubernetes.io/metadata.name",
        &caller.namespace,
    );
    // A caller that does not say which pods are its own is known by its
    // namespace alone.
    match &caller.network {
        Some(n) => selector(out, "          podSelector:\n", 10, &n.pods),
        None => out.push_str("          podSelector: {}\n"),
    }
}

/// The NetworkPolicies as JSON documents written by the YAML writer: the
/// reference [`files`] is compared with.
#[cfg(test)]
pub(crate) mod reference {
    use super::*;
    use crate::yaml;
    use serde_json::json;
    use serde_json::{Map, Value as Json};

    fn ports(ports: &[u16]) -> Json {
        Json::Array(
            ports
                .iter()
                .map(|p| json!({"port": p, "protocol": "TCP"}))
                .collect(),
        )
    }

    fn selector(labels: &BTreeMap<String, String>) -> Json {
        json!({ "matchLabels": labels })
    }

    /// `kubernetes/networkpolicies-NAMESPACE.yaml` for every isolated namespace.
    pub(crate) fn files(plan: &Plan) -> Vec<crate::OutputFile> {
        let p = plan.platform;
        let isolated = isolated_namespaces(p);
        if isolated.is_empty() {
            return Vec::new();
        }
        let callers = callers(p);
        // The instances with `network` of each isolated namespace, in
        // deployment order.
        let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &i in &plan.order {
            let inst = &p.instances[i];
            if inst.network.is_some() && isolated.contains(&inst.namespace) {
                members.entry(&inst.namespace).or_default().push(i);
            }
        }
        // One file per namespace, written on every core.
        let isolated: Vec<&String> = isolated.iter().collect();
        platc_diag::par::map(&isolated, |&ns| {
            let labels = crate::common_labels(p);
            let mut docs = vec![json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "platc-default-deny-ingress", "namespace": ns, "labels": labels},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
            })];
            for &i in members.get(ns.as_str()).into_iter().flatten() {
                let inst = &p.instances[i];
                let Some(net) = &inst.network else {
                    continue;
                };
                let mut rules: Vec<Json> = Vec::new();
                // Its own pods: a chart's parts talk to each other, and the
                // workloads its resources declare carry its instance label.
                let own = BTreeMap::from([(
                    "app.kubernetes.io/instance".to_string(),
                    inst.k8s_name.clone(),
                )]);
                let mut from = vec![json!({"podSelector": selector(&net.pods)})];
                if own != net.pods {
                    from.push(json!({"podSelector": selector(&own)}));
                }
                rules.push(json!({"from": from}));
                for (&c, why) in &callers[i] {
                    let caller = &p.instances[c];
                    if !runs_pods(caller) && caller.network.is_none() {
                        continue;
                    }
                    let mut peer = Map::new();
                    peer.insert(
                        "namespaceSelector".into(),
                        json!({"matchLabels": {"kubernetes.io/metadata.name": caller.namespace}}),
                    );
                    // A caller that does not say which pods are its own is
                    // known by its namespace alone.
                    let pods = caller
                        .network
                        .as_ref()
                        .map_or(json!({}), |n| selector(&n.pods));
                    peer.insert("podSelector".into(), pods);
                    let mut rule = Map::new();
                    rule.insert("from".into(), json!([Json::Object(peer)]));
                    if *why == Why::Uses && !net.ports.is_empty() {
                        rule.insert("ports".into(), ports(&net.ports));
                    }
                    rules.push(Json::Object(rule));
                }
                if !net.open_ports.is_empty() {
                    rules.push(json!({"ports": ports(&net.open_ports)}));
                }
                let mut labels = crate::instance_labels(p, inst);
                labels.sort_keys();
                docs.push(json!({
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": {"name": format!("platc-{}", inst.k8s_name), "namespace": ns, "labels": labels},
                    "spec": {
                        "podSelector": selector(&net.pods),
                        "policyTypes": ["Ingress"],
                        "ingress": rules,
                    },
                }));
            }
            crate::OutputFile {
                path: format!("kubernetes/networkpolicies-{}.yaml", file_name(ns)),
                contents: format!("{HEADER}{}", yaml::to_string_multi(&docs)),
            }
        })
    }
}

/// The files written as text are those of the JSON documents, byte for
/// byte: for every example, and for a platform whose labels need quoting
/// and whose pods and ports are declared every way they can be.
#[cfg(test)]
mod same_as_json {
    use super::*;
    use crate::EmitInput;

    const TRICKY: &str = r#"
platform "lab" {}

component web {
  param team: string = "a"
  param ports: list<int> = [8080]
  param open: list<int> = []
  param pods: map<string> = {}
  resource deploy "apps/v1" Deployment {
    spec.replicas = 1
  }
  network {
    pods = pods
    ports = ports
    open_ports = open
  }
}

component client {
  param target: web
  resource deploy "apps/v1" Deployment {
    spec.replicas = 1
  }
  network {
    pods = { "app.kubernetes.io/instance" = self.name }
  }
}

component outside {
  param target: web
  resource deploy "apps/v1" Deployment {
    spec.replicas = 1
  }
}

web front {
  pods = { "app.kubernetes.io/instance" = "front" }
  open = [80, 443]
}
web back {
  pods = { app = "yes", "on" = "1.0", "example.com/y" = "null", n = "0o17" }
}
web nothing {
  ports = []
  pods = { app = "nothing" }
}
client user { target = back }
client other { target = nothing }
client again { target = back }
outside stranger {
  target = back
  namespace = "elsewhere"
}
"#;

    fn compare(platform: &Platform) -> usize {
        let order: Vec<usize> = (0..platform.instances.len()).collect();
        let dependencies = vec![Vec::new(); platform.instances.len()];
        let input = EmitInput {
            platform,
            order: &order,
            dependencies: &dependencies,
            values: &[],
        };
        let plan = Plan::new(&input);
        let got = files(&plan);
        let want = reference::files(&plan);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.path, w.path);
            assert_eq!(g.contents, w.contents, "{}", g.path);
        }
        got.len()
    }

    #[test]
    fn network_policies_are_those_of_their_json() {
        let c = platc_driver::check_source("main.plat", TRICKY, &platc_driver::Options::default());
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        assert_eq!(compare(c.platform.as_ref().unwrap()), 1);
        let compared: usize = crate::example_platforms().iter().map(compare).sum();
        assert!(compared > 10, "{compared} files compared");
    }
}
