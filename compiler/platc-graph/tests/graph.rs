//! Building the graph: edges, deployment order, cycles.

mod common;

use common::{platform, SAMPLE};
use platc_graph::{build, Edge, Format, REQUIRES_ATTR};

fn names(g: &platc_graph::PlatformGraph, idx: &[usize]) -> Vec<String> {
    idx.iter().map(|&i| g.name(i).to_string()).collect()
}

fn edge(from: usize, to: usize, flows: &str, attr: &str) -> Edge {
    Edge {
        from,
        to,
        flows: flows.into(),
        attr: attr.into(),
    }
}

#[test]
fn sample_edges_and_order() {
    let p = platform(SAMPLE);
    let g = build(&p).expect("no cycle");
    assert_eq!(g.len(), 6);
    // cnpg 0, meta_db 1, lake 2, orchestrator 3, dashboards 4, notebooks 5
    assert_eq!(
        g.edges(),
        vec![
            edge(1, 0, "PostgresOperator", REQUIRES_ATTR),
            edge(3, 1, "SqlDatabase", "database"),
            edge(3, 2, "ObjectStore", "logs"),
            edge(4, 1, "SqlDatabase", "database"),
            edge(4, 3, "value", "airflow_url"),
            edge(5, 2, "ObjectStore", REQUIRES_ATTR),
        ]
    );
    let borrowed: Vec<Edge> = g
        .edge_refs()
        .map(|e| edge(e.from, e.to, e.flows, e.attr))
        .collect();
    assert_eq!(borrowed, g.edges());
    assert_eq!(
        names(&g, g.order()),
        [
            "cnpg",
            "meta_db",
            "lake",
            "orchestrator",
            "dashboards",
            "notebooks"
        ]
    );
    assert_eq!(g.dependencies(3), vec![1, 2]);
    assert_eq!(g.dependencies(0), Vec::<usize>::new());
    assert_eq!(g.dependents(1), vec![3, 4]);
    assert_eq!(g.dependents(2), vec![3, 5]);
    assert_eq!(g.dependents(4), Vec::<usize>::new());
    assert_eq!(
        (0..6).map(|i| g.layer(i)).collect::<Vec<_>>(),
        vec![0, 1, 0, 2, 3, 1]
    );
    assert_eq!(g.index_of("lake"), Some(2));
    assert_eq!(g.index_of("nope"), None);
}

#[test]
fn order_is_stable_with_ties_by_declaration() {
    // No edges: declaration order.
    let p = platform(
        r#"
platform "p" {}
component c {}
c zeta {}
c alpha {}
c mid {}
"#,
    );
    let g = build(&p).unwrap();
    assert_eq!(g.order(), &[0, 1, 2]);

    // `first` waits for `last`; `middle` is ready before `last` by
    // declaration, and `first` goes as soon as `last` is placed.
    let p = platform(
        r#"
platform "p" {}
interface I {}
component dep { provides I }
component user { param to: I? = none }
user first { to = last }
user middle {}
dep last {}
user after { to = last }
"#,
    );
    let g = build(&p).unwrap();
    assert_eq!(names(&g, g.order()), ["middle", "last", "first", "after"]);
    // The same program built twice gives the same result.
    assert_eq!(build(&p).unwrap().order(), g.order());
    for format in Format::ALL {
        assert_eq!(
            platc_graph::render(&g, &p, format),
            platc_graph::render(&build(&p).unwrap(), &p, format)
        );
    }
}

#[test]
fn diamond_order() {
    let p = platform(
        r#"
platform "p" {}
interface I {}
component node {
  provides I
  param a: I? = none
  param b: I? = none
}
node top { a = left  b = right }
node right { a = bottom }
node left { a = bottom }
node bottom {}
"#,
    );
    let g = build(&p).unwrap();
    assert_eq!(names(&g, g.order()), ["bottom", "right", "left", "top"]);
    assert_eq!(g.dependencies(0), vec![1, 2]);
    assert_eq!(g.dependents(3), vec![1, 2]);
}

#[test]
fn requires_edges_go_to_every_provider() {
    let p = platform(
        r#"
platform "p" {}
interface Metrics {}
component exporter { provides Metrics }
component scraper { requires Metrics }
component both {
  provides Metrics
  requires Metrics
}
scraper prometheus {}
exporter a {}
both self_scraping {}
exporter b {}
"#,
    );
    let g = build(&p).unwrap();
    assert_eq!(
        g.edges(),
        vec![
            edge(0, 1, "Metrics", "requires"),
            edge(0, 2, "Metrics", "requires"),
            edge(0, 3, "Metrics", "requires"),
            // No edge of `self_scraping` to itself.
            edge(2, 1, "Metrics", "requires"),
            edge(2, 3, "Metrics", "requires"),
        ]
    );
    assert_eq!(
        names(&g, g.order()),
        ["a", "b", "self_scraping", "prometheus"]
    );
}

#[test]
fn requires_edges_go_to_the_providers_taken_when_some_are() {
    // `one` takes catalog `a` as a value: its requirement orders it after
    // `a` only. `every` takes them all by `all(...)`; `blind` takes none,
    // and depends on every provider. `checker` reads every catalog in an
    // assertion only: a check, not a use, so it depends on every provider.
    let p = platform(
        r#"
platform "p" {}
interface Catalog {
  uri: string
}
component catalog {
  provides Catalog { uri = self.name }
}
component engine {
  param catalogs: list<Catalog> = all(Catalog)
  requires Catalog
}
component operated {
  requires Catalog
}
component checker {
  requires Catalog
  assert len(all(Catalog)) > 0 message "a catalog"
}
catalog a {}
catalog b {}
engine one { catalogs = [a] }
engine every {}
operated blind {}
checker check {}
"#,
    );
    let g = build(&p).unwrap();
    let targets = |i: usize| {
        let mut t: Vec<(usize, String)> = g
            .edges()
            .into_iter()
            .filter(|e| e.from == i)
            .map(|e| (e.to, e.attr))
            .collect();
        t.sort();
        t
    };
    assert_eq!(
        targets(2),
        [(0, "catalogs".to_string()), (0, "requires".to_string())]
    );
    assert_eq!(
        targets(3),
        [(0, "requires".to_string()), (1, "requires".to_string())]
    );
    assert_eq!(
        targets(4),
        [(0, "requires".to_string()), (1, "requires".to_string())]
    );
    assert_eq!(
        targets(5),
        [(0, "requires".to_string()), (1, "requires".to_string())]
    );
}

#[test]
fn identical_edges_are_merged_distinct_labels_kept() {
    let p = platform(
        r#"
platform "p" {}
interface SqlDatabase {
  host: string
  port: int
}
component db {
  provides SqlDatabase {
    host = "db"
    port = 5432
  }
}
component app {
  requires SqlDatabase
  param database: SqlDatabase
  param host: string = "localhost"
  param port: int = 1
}
db main {}
app web {
  database = main
  host = main.host
  port = main.port
}
"#,
    );
    let g = build(&p).unwrap();
    // `database` and the requires edge carry SqlDatabase: one edge, with the
    // reference's attribute; `host` and `port` both carry a value: one edge,
    // with the first attribute.
    assert_eq!(
        g.edges(),
        vec![
            edge(1, 0, "SqlDatabase", "database"),
            edge(1, 0, "value", "host"),
        ]
    );
    assert_eq!(g.dependencies(1), vec![0]);
    assert_eq!(g.dependents(0), vec![1]);
}

#[test]
fn cycle_through_requires_lists_every_instance() {
    // `platc check` rejects the cycle itself, so the program leaves out the
    // requirement that closes it and the test adds it to the checked IR:
    // the graph must find cycles in any IR it is given.
    let mut p = platform(
        r#"
platform "p" {}
interface A {}
interface B {}
interface C {}
component ca {
  provides A
  requires C
}
component cb {
  provides B
  requires A
}
component cc {
  provides C
}
component free {}
free outside {}
cb b {}
ca a {}
cc c {}
"#,
    );
    close_cycle(&mut p, "c", "B");
    let err = build(&p).expect_err("a cycle");
    // b requires A (a), a requires C (c), c requires B (b).
    assert_eq!(err.names(), ["b", "a", "c"]);
    assert_eq!(
        err.edges(),
        vec![
            edge(1, 2, "A", "requires"),
            edge(2, 3, "C", "requires"),
            edge(3, 1, "B", "requires"),
        ]
    );
    assert_eq!(
        err.to_string(),
        "instances depend on each other in a cycle: b -> a -> c -> b"
    );
}

#[test]
fn cycle_mixing_a_reference_and_requires() {
    let mut p = platform(
        r#"
platform "p" {}
interface Store {}
interface Operator {}
component operator {
  provides Operator
  param state: Store? = none
}
component store {
  provides Store
}
store s3 {}
operator op { state = s3 }
"#,
    );
    close_cycle(&mut p, "s3", "Operator");
    let err = build(&p).expect_err("a cycle");
    assert_eq!(err.names(), ["s3", "op"]);
    assert_eq!(
        err.edges(),
        vec![
            edge(0, 1, "Operator", "requires"),
            edge(1, 0, "Store", "state"),
        ]
    );
}

/// Adds `requires iface` to instance `name` of a checked platform.
fn close_cycle(p: &mut platc_driver::Platform, name: &str, iface: &str) {
    let inst = p.instances.iter_mut().find(|i| i.name == name).unwrap();
    inst.requires.push(iface.to_string());
}

#[test]
fn empty_platform() {
    let p = platform("platform \"empty\" {}\n");
    let g = build(&p).unwrap();
    assert!(g.is_empty());
    assert!(g.order().is_empty());
    assert!(g.edges().is_empty());
    for format in Format::ALL {
        let out = platc_graph::render(&g, &p, format);
        assert!(out.ends_with('\n'), "{format}");
    }
}

#[test]
fn formats_parse_by_name() {
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>(), Ok(f));
    }
    assert!("png".parse::<Format>().is_err());
    assert_eq!(Format::Mermaid.extension(), "mmd");
}

#[test]
fn observing_is_drawn_but_does_not_order_deployment() {
    // `db` refers to `prom`; `prom` observes `db` through `all(...)`.
    let p = platform(
        r#"
platform "p" {}
interface Source {}
interface Store { url: string }
component scraper {
  param targets: list<Source> = all(Source)
  provides Store { url = "http://${self.name}" }
  values { n = len(targets) }
}
component db {
  param store: Store
  provides Source
}
scraper prom {}
db orders { store = prom }
"#,
    );
    let g = build(&p).expect("observing is not a cycle");
    let (prom, orders) = (g.index_of("prom").unwrap(), g.index_of("orders").unwrap());
    assert_eq!(g.order(), [prom, orders]);
    assert_eq!(g.dependencies(prom), Vec::<usize>::new());
    assert_eq!(
        g.observes(),
        [platc_graph::Edge {
            from: prom,
            to: orders,
            flows: "Source".into(),
            attr: platc_graph::OBSERVES_ATTR.into(),
        }]
    );
    let dot = platc_graph::render(&g, &p, Format::Dot);
    assert!(
        dot.contains(
            r#""prom" -> "orders" [label="observes Source", style=dashed, constraint=false];"#
        ),
        "{dot}"
    );
    let mermaid = platc_graph::render(&g, &p, Format::Mermaid);
    assert!(mermaid.contains("-.->|\"observes Source\"|"), "{mermaid}");
    let json = platc_graph::render(&g, &p, Format::Json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["observes"],
        serde_json::json!([{ "from": "prom", "to": "orders", "interface": "Source" }])
    );
    let svg = platc_graph::render(&g, &p, Format::Svg);
    assert!(svg.contains("stroke-dasharray") && svg.contains("prom observes orders (Source)"));
}
