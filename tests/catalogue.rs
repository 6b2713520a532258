//! The catalogue is wired by typed references (issue 10): pointing Superset
//! at a second PostgreSQL in the analytics lakehouse changes Superset's
//! wiring and adds the new database, and changes nothing else.

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

fn analytics() -> String {
    std::fs::read_to_string(common::repo().join("examples/analytics/main.plat")).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn a_second_database_for_superset_changes_only_its_wiring() {
    let base = analytics();
    assert!(base.contains("  database = supersetdb\n"));
    let moved = base.replace("  database = supersetdb\n", "  database = reportsdb\n")
        + "\npostgres reportsdb {\n  database = \"superset\"\n  storage = 10Gi\n}\n";
    let before = common::build_text(&base, None);
    let after = common::build_text(&moved, None);

    // Nothing goes away; what is new is the new database's.
    let removed: Vec<&String> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    assert!(removed.is_empty(), "{removed:?}");
    let added: Vec<&String> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    assert_eq!(
        added,
        [
            "helm/reportsdb.values.yaml",
            "kubernetes/resources/reportsdb.yaml"
        ]
    );

    // Superset's values now name the new database's Secret and host.
    let dashboards = &after["helm/dashboards.values.yaml"];
    assert!(dashboards.contains("reportsdb-app"), "{dashboards}");
    assert!(!dashboards.contains("supersetdb"), "{dashboards}");

    // In Terraform, every module call but Superset's and the new one is as
    // it was; Superset's now depends on `reportsdb`.
    let (b, a) = (
        json(&before["terraform/main.tf.json"]),
        json(&after["terraform/main.tf.json"]),
    );
    let modules = |v: &Value| v["module"].as_object().unwrap().clone();
    let (bm, am) = (modules(&b), modules(&a));
    for (name, call) in &bm {
        if name != "dashboards" {
            assert_eq!(Some(call), am.get(name), "module {name} changed");
        }
    }
    let depends = am["dashboards"]["depends_on"].to_string();
    assert!(depends.contains("module.reportsdb"), "{depends}");
    assert!(!depends.contains("module.supersetdb"), "{depends}");
    assert_eq!(
        am.keys()
            .filter(|k| !bm.contains_key(*k))
            .collect::<Vec<_>>(),
        ["reportsdb"]
    );

    // Every other file is the same, but the lists of what there is and the
    // policies that follow the edges: Superset reaches `reportsdb` now.
    let allowed: BTreeMap<&str, ()> = [
        "helm/dashboards.values.yaml",
        "terraform/main.tf.json",
        "terraform/outputs.tf.json",
        "kubernetes/resources/kustomization.yaml",
        "kubernetes/networkpolicies-analytics.yaml",
        "audit.json",
        ".platc-output",
    ]
    .into_iter()
    .map(|p| (p, ()))
    .collect();
    for (path, text) in &before {
        if after[path] != *text {
            assert!(allowed.contains_key(path.as_str()), "{path} changed");
        }
    }
    let policies = &after["kubernetes/networkpolicies-analytics.yaml"];
    let reports = policies
        .split("\n---\n")
        .find(|d| d.contains("name: platc-reportsdb"))
        .expect("a policy for the new database");
    assert!(reports.contains("release: dashboards"), "{reports}");
}
