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
