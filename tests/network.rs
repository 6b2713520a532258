//! NetworkPolicies from the platform graph (spec 6.3.11): ingress denied
//! by default in every namespace whose instances all say which pods are
//! theirs, and allowed along the graph's edges. The fixture is
//! `tests/ui/ok-network-policies` (its diagnostics snapshot says it is
//! clean); tests/real_charts.rs validates the policies of the examples and
//! checks that they select every pod the charts render.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

fn fixture() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/ok-network-policies/main.plat");
    std::fs::read_to_string(path).unwrap()
}

fn build(text: &str, environment: Option<&str>) -> BTreeMap<String, String> {
    common::build_text(text, environment)
}

/// The NetworkPolicies of namespace `ns`, by name.
fn policies(files: &BTreeMap<String, String>, ns: &str) -> BTreeMap<String, Value> {
    let Some(text) = files.get(&format!("kubernetes/networkpolicies-{ns}.yaml")) else {
        return BTreeMap::new();
    };
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|d| -> Value { serde::Deserialize::deserialize(d).unwrap() })
        .map(|v| (v["metadata"]["name"].as_str().unwrap().to_string(), v))
        .collect()
}

/// The pod selector of the first peer of each ingress rule of `policy`.
fn pods_let_in(policies: &BTreeMap<String, Value>, policy: &str) -> Vec<Value> {
    policies[policy]["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["from"][0]["podSelector"].clone())
        .collect()
}

fn peer(ns: &str, pods: Value) -> Value {
    json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}, "podSelector": pods})
}

#[test]
fn namespaces_deny_ingress_and_allow_the_graph() {
    let files = build(&fixture(), None);
    let data = policies(&files, "data");
    assert_eq!(
        data["platc-default-deny-ingress"]["spec"],
        json!({"podSelector": {}, "policyTypes": ["Ingress"]})
    );
    let db = &data["platc-db"]["spec"];
    assert_eq!(
        db["podSelector"],
        json!({"matchLabels": {"cnpg.io/cluster": "db"}})
    );
    let ingress = db["ingress"].as_array().unwrap();
    assert_eq!(
        ingress,
        &[
            // Its own pods, and the workloads its resources declare.
            json!({"from": [
                {"podSelector": {"matchLabels": {"cnpg.io/cluster": "db"}}},
                {"podSelector": {"matchLabels": {"app.kubernetes.io/instance": "db"}}},
            ]}),
            // The operator it requires reaches it on every port.
            json!({"from": [peer("operators", json!({"matchLabels": {"app.kubernetes.io/instance": "ops"}}))]}),
            // Its consumers reach the ports it declares.
            json!({"from": [peer("apps", json!({"matchLabels": {"release": "web"}}))], "ports": [{"port": 5432, "protocol": "TCP"}]}),
            // A consumer that does not say which pods are its own: its namespace.
            json!({"from": [peer("legacy", json!({}))], "ports": [{"port": 5432, "protocol": "TCP"}]}),
        ]
    );
    // The operator: reached by what requires it, and by the API server on
    // its webhook port.
    let ops = &policies(&files, "operators")["platc-ops"]["spec"]["ingress"];
    assert_eq!(
        ops[1],
        json!({"from": [peer("data", json!({"matchLabels": {"cnpg.io/cluster": "db"}}))]})
    );
    assert_eq!(
        ops[2],
        json!({"ports": [{"port": 9443, "protocol": "TCP"}]})
    );
    // `legacy` says nothing of its pods: its namespace is left open.
    assert!(policies(&files, "legacy").is_empty());
    // The policies are applied with the namespaces, before any release.
    let kustomization = &files["kubernetes/kustomization.yaml"];
    for ns in ["apps", "data", "operators"] {
        assert!(kustomization.contains(&format!("- networkpolicies-{ns}.yaml")));
    }
}

#[test]
fn an_environment_changes_exactly_the_edges_it_changes() {
    let base = build(&fixture(), None);
    let lean = build(&fixture(), Some("lean"));
    let (b, l) = (policies(&base, "data"), policies(&lean, "data"));
    let rules =
        |p: &BTreeMap<String, Value>| p["platc-db"]["spec"]["ingress"].as_array().unwrap().clone();
    let (mut before, after) = (rules(&b), rules(&l));
    // Without `legacy`, its rule goes and nothing else changes.
    let gone = before.pop().unwrap();
    assert_eq!(
        gone["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "legacy"
    );
    assert_eq!(before, after);
    assert_eq!(policies(&base, "apps"), policies(&lean, "apps"));
}

#[test]
fn an_instance_without_pods_of_its_own_blocks_no_namespace() {
    // A component without a chart, whose only object is cluster-scoped,
    // runs no pods: the namespace stays isolated.
    let text = format!(
        "{}\ncomponent issuer {{\n  cluster resource it \"cert-manager.io/v1\" ClusterIssuer {{\n    spec.selfSigned = {{}}\n  }}\n}}\n\nissuer selfsigned {{ namespace = \"data\" }}\n",
        fixture()
    );
    let files = build(&text, None);
    assert!(policies(&files, "data").contains_key("platc-default-deny-ingress"));
    // One with a chart and no `network` opens its namespace.
    let text = fixture().replace(
        "oldapp legacy {\n  namespace = \"legacy\"",
        "oldapp legacy {\n  namespace = \"data\"",
    );
    let files = build(&text, None);
    assert!(policies(&files, "data").is_empty());
}

#[test]
fn addresses_handed_on_through_interfaces_are_reachable() {
    // `engine` observes every `Catalog`; `catalog` refers to `db`, and its
    // `Catalog` record hands the database's host on (through a let): the
    // engine reaches the catalog and, through it, the database.
    let text = catalog_platform(r#""postgres://${warehouse_host}""#);
    let files = build(&text, None);
    let data = policies(&files, "data");
    let from = |policy: &str| pods_let_in(&data, policy);
    let query = json!({"matchLabels": {"release": "query"}});
    assert!(from("platc-catalog").contains(&query));
    assert!(from("platc-db").contains(&query), "{:?}", from("platc-db"));
    // The catalog reaches the database it refers to, but not the engine.
    assert!(!from("platc-query").contains(&json!({"matchLabels": {"release": "catalog"}})));
}

#[test]
fn an_observed_instance_without_pods_hands_nothing_on() {
    // `server` observes every `Grant` to find its own; each grant refers
    // to its server. A grant runs no pods: it is data the server reads,
    // so a server reaches no other server through the other's grant. A
    // consumer that refers to a grant reaches the grant's server.
    let text = format!(
        "{}\n{}",
        fixture(),
        r#"
interface Grant {
  server_name: string
}

component server {
  param grants: list<Grant> = [for g in all(Grant) if g.server_name == self.name: g]
  chart "minio" version "5.4.0" from "https://charts.min.io/"
  network {
    pods = { release = self.name }
    ports = [9000]
  }
}

component grant {
  param server: server
  provides Grant { server_name = server.name }
}

component client {
  param grant: Grant
  chart "minio" version "5.4.0" from "https://charts.min.io/"
  network {
    pods = { release = self.name }
  }
}

server one { namespace = "data" }
server two { namespace = "data" }
grant one_grant { server = one }
grant two_grant { server = two }
client reader {
  namespace = "data"
  grant = two_grant
}
"#
    );
    let files = build(&text, None);
    let data = policies(&files, "data");
    let from = |policy: &str| pods_let_in(&data, policy);
    let pods = |name: &str| json!({"matchLabels": {"release": name}});
    assert!(
        !from("platc-two").contains(&pods("one")),
        "{:?}",
        from("platc-two")
    );
    assert!(
        !from("platc-one").contains(&pods("two")),
        "{:?}",
        from("platc-one")
    );
    assert!(
        from("platc-two").contains(&pods("reader")),
        "{:?}",
        from("platc-two")
    );
    assert!(!from("platc-one").contains(&pods("reader")));
}

#[test]
fn what_only_an_assertion_observes_is_not_reached() {
    // Each `solo` checks that it is alone in its namespace with `all(...)`
    // in an assertion: a check, not a connection. `dash` reads every
    // `Solo` in its values: it reaches them.
    let text = format!(
        "{}\n{}",
        fixture(),
        r#"
interface Solo {
  ns: string
}

component solo {
  chart "minio" version "5.4.0" from "https://charts.min.io/"
  provides Solo { ns = self.namespace }
  network {
    pods = { release = self.name }
    ports = [9000]
  }
  assert len([for s in all(Solo) if s.ns == self.namespace: s]) == 1
    message "one per namespace"
}

component dash {
  param solos: list<Solo> = all(Solo)
  chart "minio" version "5.4.0" from "https://charts.min.io/"
  network {
    pods = { release = self.name }
  }
  values {
    environment.TARGETS = join([for s in solos: s.ns], ",")
  }
}

solo first { namespace = "data" }
solo second { namespace = "other" }
dash board { namespace = "data" }
"#
    );
    let files = build(&text, None);
    let from = |ns: &str, policy: &str| -> Vec<Value> {
        policies(&files, ns)[policy]["spec"]["ingress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["from"][0].clone())
            .collect()
    };
    let first = from("data", "platc-first");
    assert!(
        !first.iter().any(|p| p.to_string().contains("\"second\"")),
        "{first:?}"
    );
    assert!(
        first.iter().any(|p| p.to_string().contains("\"board\"")),
        "{first:?}"
    );
}

#[test]
fn a_client_that_requires_an_interface_reaches_only_the_providers_it_takes() {
    // Each team's `engine` takes its own team's `Catalog` and requires the
    // interface, to be installed after every catalog: the requirement
    // orders deployment, it is not a connection. Team `a`'s engine reaches
    // team `a`'s catalog only, and no catalog reaches an engine. (`db`
    // requires the operator `ops`, which it takes as no value: `ops`
    // still reaches it, on every port.)
    let text = format!(
        "{}\n{}",
        fixture(),
        r#"
interface Catalog {
  uri: string
}

component catalog_server {
  chart "minio" version "5.4.0" from "https://charts.min.io/"
  provides Catalog { uri = "http://${self.name}" }
  network {
    pods = { release = self.name }
    ports = [9000]
  }
}

component engine {
  param catalogs: list<Catalog>
  requires Catalog if len(catalogs) > 0
  chart "minio" version "5.4.0" from "https://charts.min.io/"
  network {
    pods = { release = self.name }
  }
}

catalog_server a_catalog { namespace = "a" }
catalog_server b_catalog { namespace = "b" }
engine a_engine {
  namespace = "a"
  catalogs = [a_catalog]
}
engine b_engine {
  namespace = "b"
  catalogs = [b_catalog]
}

component checked {
  requires Catalog
  assert len(all(Catalog)) > 0 message "a catalog"
  chart "minio" version "5.4.0" from "https://charts.min.io/"
  network {
    pods = { release = self.name }
  }
}

checked a_checked { namespace = "a" }
"#
    );
    let files = build(&text, None);
    let (a, b) = (policies(&files, "a"), policies(&files, "b"));
    let pods = |name: &str| json!({"matchLabels": {"release": name}});
    let a_catalog = pods_let_in(&a, "platc-a-catalog");
    assert!(a_catalog.contains(&pods("a-engine")), "{a_catalog:?}");
    assert!(!a_catalog.contains(&pods("b-engine")), "{a_catalog:?}");
    let b_catalog = pods_let_in(&b, "platc-b-catalog");
    assert!(!b_catalog.contains(&pods("a-engine")), "{b_catalog:?}");
    // The engines are reached by their own pods alone.
    assert_eq!(pods_let_in(&a, "platc-a-engine"), [pods("a-engine")]);
    assert_eq!(pods_let_in(&b, "platc-b-engine"), [pods("b-engine")]);
    // A requirer that reads the providers only in an assertion takes none:
    // they reach it as its operators, and it reaches them.
    let checked = pods_let_in(&a, "platc-a-checked");
    assert!(checked.contains(&pods("a-catalog")), "{checked:?}");
    assert!(checked.contains(&pods("b-catalog")), "{checked:?}");
    assert!(a_catalog.contains(&pods("a-checked")), "{a_catalog:?}");
    // The operator still reaches what requires it.
    let db = pods_let_in(&policies(&files, "data"), "platc-db");
    assert!(db.contains(&json!({"matchLabels": {"app.kubernetes.io/instance": "ops"}})));
}

/// An engine that observes every catalog, and a catalog that refers to
/// its own database, with the catalog's record `uri = record` (which may
/// read the let `warehouse_host`, the database's host).
fn catalog_platform(record: &str) -> String {
    format!(
        "{}\n{}",
        fixture(),
        r#"
interface Catalog {
  uri: string
}

component catalog_server {
  param db: Database
  param mirror: Database? = none
  chart "minio" version "5.4.0" from "https://charts.min.io/"
  let warehouse_host = db.host
  provides Catalog { uri = RECORD }
  network {
    pods = { release = self.name }
  }
}

component engine {
  param catalogs: list<Catalog> = all(Catalog)
  chart "minio" version "5.4.0" from "https://charts.min.io/"
  network {
    pods = { release = self.name }
  }
}

catalog_server catalog {
  namespace = "data"
  db = db
}

engine query { namespace = "data" }
"#
        .replace("RECORD", record)
    )
}

#[test]
fn what_a_provides_record_does_not_read_is_not_handed_on() {
    let query = json!({"matchLabels": {"release": "query"}});
    // The catalog's record names the catalog only: the engine talks to
    // the catalog, and the catalog alone talks to its database.
    let files = build(&catalog_platform(r#""http://${self.name}""#), None);
    let data = policies(&files, "data");
    assert!(pods_let_in(&data, "platc-catalog").contains(&query));
    assert!(
        !pods_let_in(&data, "platc-db").contains(&query),
        "{:?}",
        pods_let_in(&data, "platc-db")
    );
    // Read in an `if` or a comprehension: handed on.
    for record in [
        r#"if mirror != none { "x" } else { "postgres://${db.host}" }"#,
        r#""${[for d in [db]: d.host][0]}""#,
    ] {
        let files = build(&catalog_platform(record), None);
        let data = policies(&files, "data");
        assert!(
            pods_let_in(&data, "platc-db").contains(&query),
            "{record}: {:?}",
            pods_let_in(&data, "platc-db")
        );
    }
}

#[test]
fn what_the_network_block_lists_as_data_is_not_reached() {
    // `viewer` reads every `Board` (by `all(...)`, in a param and in a
    // let) and the one store it is given as data, and talks to its
    // `store`: only the store lets it in.
    let text = format!(
        "{}\n{}",
        fixture(),
        r#"
interface Board {
  url: string
}

component board_source {
  chart "minio" version "5.4.0" from "https://charts.min.io/"
  provides Board { url = "https://boards.example.com/${self.name}" }
  network {
    pods = { release = self.name }
  }
}

component viewer {
  param boards: list<Board> = all(Board)
  param archive: Database? = none
  param store: Database
  let any_boards = len(all(Board)) > 0
  chart "minio" version "5.4.0" from "https://charts.min.io/"
  values {
    podAnnotations.boards = to_json([for b in boards: b.url])
    podAnnotations.enabled = to_json(any_boards)
    podAnnotations.archive = if archive != none { "yes" } else { "no" }
  }
  network {
    pods = { release = self.name }
    data = [boards, any_boards, archive]
  }
}

board_source one { namespace = "data" }
board_source two { namespace = "data" }
viewer screen {
  namespace = "data"
  store = db
  archive = db2
}
"#
    );
    let files = build(
        &text.replace(
            "database db {",
            "database db2 { namespace = \"data\" }\ndatabase db {",
        ),
        None,
    );
    let data = policies(&files, "data");
    let screen = json!({"matchLabels": {"release": "screen"}});
    for source in ["platc-one", "platc-two", "platc-db2"] {
        assert!(
            !pods_let_in(&data, source).contains(&screen),
            "{source}: {:?}",
            pods_let_in(&data, source)
        );
    }
    assert!(pods_let_in(&data, "platc-db").contains(&screen));
    // Without `data`, the viewer reaches them all.
    let files = build(
        &text
            .replace("    data = [boards, any_boards, archive]\n", "")
            .replace(
                "database db {",
                "database db2 { namespace = \"data\" }\ndatabase db {",
            ),
        None,
    );
    let data = policies(&files, "data");
    for source in ["platc-one", "platc-two", "platc-db2", "platc-db"] {
        assert!(
            pods_let_in(&data, source).contains(&screen),
            "{source}: {:?}",
            pods_let_in(&data, source)
        );
    }
}
