//! `all(Interface)` wires a platform from its graph: an instance that
//! observes every `MetricsSource` lists them all, and adding a source adds
//! it to that list and changes nothing else of the output but the new
//! instance's own files and the module list.

use std::collections::BTreeMap;
use std::path::Path;

use platc_driver::{build_path, MemoryFs, Options};

fn fixture() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/ok-emit-observes/main.plat");
    std::fs::read_to_string(path).unwrap()
}

fn build(text: &str) -> BTreeMap<String, String> {
    let mut fs = MemoryFs::new();
    fs.insert("/project/main.plat", text);
    let b = build_path(&fs, Path::new("/project"), &Options::default()).unwrap();
    let rendered =
        platc_render::render_human(&b.compilation.sources, &b.compilation.diagnostics, false);
    assert!(!b.compilation.has_errors(), "{rendered}");
    b.files.into_iter().map(|f| (f.path, f.contents)).collect()
}

#[test]
fn the_observer_lists_every_source_and_only_them() {
    let files = build(&fixture());
    let prom = &files["helm/prom.values.yaml"];
    for source in ["orders", "events", "audit"] {
        assert!(prom.contains(&format!("{source}-metrics.")), "{prom}");
    }
    // `quiet` provides MetricsSource only when its metrics are on.
    assert!(!prom.contains("quiet"), "{prom}");
}

#[test]
fn a_fourth_source_changes_only_what_it_must() {
    let before = build(&fixture());
    let after = build(&format!("{}\ndb ledger {{}}\n", fixture()));
    let mut changed: Vec<&str> = after
        .iter()
        .filter(|(path, text)| before.get(*path) != Some(text))
        .map(|(path, _)| path.as_str())
        .collect();
    changed.sort();
    let removed: Vec<&String> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    assert!(removed.is_empty(), "{removed:?}");
    assert_eq!(
        changed,
        [
            // The new instance's own release and module.
            "helm/ledger.values.yaml",
            // The observer's targets: the one change to an existing release.
            "helm/prom.values.yaml",
            // The root module calls one more module and exports its outputs.
            "terraform/main.tf.json",
            "terraform/outputs.tf.json",
        ]
        .into_iter()
        .chain(
            after
                .keys()
                .filter(|p| p.starts_with("terraform/modules/ledger"))
                .map(String::as_str)
        )
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    let prom = &after["helm/prom.values.yaml"];
    assert!(prom.contains("ledger-metrics.lab.svc:9187"), "{prom}");
}

#[test]
fn observing_does_not_order_deployment() {
    // `orders` refers to `prom` (it writes to the store), and `prom`
    // observes `orders`: no cycle, and `prom` is deployed first.
    let mut fs = MemoryFs::new();
    fs.insert("/project/main.plat", fixture());
    let (c, graph) =
        platc_driver::graph_path(&fs, Path::new("/project"), &Options::default()).unwrap();
    assert!(!c.has_errors());
    let g = graph.unwrap();
    let pos = |n: &str| {
        let i = g.index_of(n).unwrap();
        g.order().iter().position(|&x| x == i).unwrap()
    };
    assert!(pos("prom") < pos("orders"));
    let observes: Vec<(&str, &str)> = g
        .observes()
        .iter()
        .map(|e| (g.name(e.from), g.name(e.to)))
        .collect();
    assert_eq!(
        observes,
        [("prom", "orders"), ("prom", "events"), ("prom", "audit")]
    );
}

/// Over `all(...)` in a comprehension with an `if`, an instance observes
/// only what the condition keeps (language 5.8.1): a scraper that keeps
/// the sources of its own namespace observes those, and the graph, the
/// NetworkPolicies and the policies' `edges` see no edge to the others.
#[test]
fn a_filtered_all_observes_what_it_keeps() {
    let text = fixture().replace(
        "param targets: list<MetricsSource> = all(MetricsSource)",
        "param targets: list<MetricsSource> = [for s in all(MetricsSource) if s.namespace == self.namespace: s]",
    );
    let mut fs = MemoryFs::new();
    fs.insert("/project/main.plat", text);
    let (c, graph) =
        platc_driver::graph_path(&fs, Path::new("/project"), &Options::default()).unwrap();
    let rendered = platc_render::render_human(&c.sources, &c.diagnostics, false);
    assert!(!c.has_errors(), "{rendered}");
    let g = graph.unwrap();
    let observes: Vec<(&str, &str)> = g
        .observes()
        .iter()
        .map(|e| (g.name(e.from), g.name(e.to)))
        .collect();
    // `audit` is in namespace `audit`: filtered out, not observed.
    assert_eq!(observes, [("prom", "orders"), ("prom", "events")]);
    // Unfiltered, all three are (the test above).
}

/// A filter over `all(...)` that compares a field of the element (`g.server
/// == self.name`) is answered from an index of the providers by that field
/// (the providers are not each read by every reader): it keeps exactly
/// what the same filter keeps when it is not indexable (its comparison not
/// first), in the same order, with optional fields left unset and
/// providers in other namespaces.
#[test]
fn a_filter_comparing_a_field_keeps_what_any_filter_keeps() {
    let platform = |filter: &str| {
        format!(
            r#"platform "lab" {{}}

interface Grant {{
  server: string
  user: string
  tier: string?
}}

component server {{
  chart "server" version "1.0.0" from "https://charts.example.com"
  let grants = [for g in all(Grant) if {filter}: g]
  values {{
    users = [for g in grants: g.user]
    owners = [for g in grants: g.name]
  }}
}}

component access {{
  chart "access" version "1.0.0" from "https://charts.example.com"
  param server: string
  param user: string
  param tier: string? = none
  provides Grant {{
    server = server
    user = user
    tier = tier
  }}
  values {{ user = user }}
}}

server alpha {{}}
server beta {{}}
server gamma {{ namespace = "other" }}

access a1 {{ server = "beta" user = "u1" }}
access a2 {{ server = "alpha" user = "u2" tier = "gold" }}
access a3 {{ server = "beta" user = "u3" namespace = "other" }}
access a4 {{ server = "alpha" user = "u4" }}
access a5 {{ server = "gamma" user = "u5" tier = "gold" }}
access a6 {{ server = "alpha" user = "skip" }}
access a7 {{ server = "beta" user = "u7" tier = "gold" }}
"#
        )
    };
    let values = |filter: &str| {
        let files = build(&platform(filter));
        ["alpha", "beta", "gamma"]
            .map(|s| {
                let text = &files[&format!("helm/{s}.values.yaml")];
                // Without the header.
                text.lines()
                    .filter(|l| !l.starts_with('#'))
                    .map(|l| format!("{l}\n"))
                    .collect::<String>()
            })
            .join("---\n")
    };
    // Not indexable: the comparison is not the first operand.
    let plain = values("true && g.server == self.name && g.user != \"skip\"");
    assert_eq!(
        plain,
        "owners:\n  - a2\n  - a4\nusers:\n  - u2\n  - u4\n---\n\
         owners:\n  - a1\n  - a3\n  - a7\nusers:\n  - u1\n  - u3\n  - u7\n---\n\
         owners:\n  - a5\nusers:\n  - u5\n"
    );
    for indexed in [
        "g.server == self.name && g.user != \"skip\"",
        "self.name == g.server && g.user != \"skip\"",
        "g.server == \"${self.name}\" && \"skip\" != g.user",
    ] {
        assert_eq!(values(indexed), plain, "{indexed}");
    }
    // An optional field: providers that leave it unset are compared too.
    let gold = values("g.tier == \"gold\" && g.server == self.name");
    assert_eq!(
        gold,
        values("true && g.tier == \"gold\" && g.server == self.name")
    );
    assert!(gold.contains("- a2\n") && gold.contains("- a7\n") && !gold.contains("a1"));
    // Namespaces, a built-in field.
    assert_eq!(
        values("g.namespace == self.namespace"),
        values("true && g.namespace == self.namespace")
    );
}
