//! Fan-out resources (spec 6.3.9): `resource … for VAR in LIST` makes an
//! object per element; an element that is an instance puts its object in
//! that instance's namespace. The fixture is `tests/ui/ok-fanout-resources`
//! (its diagnostics snapshot says it is clean).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

fn fixture() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/ok-fanout-resources/main.plat");
    std::fs::read_to_string(path).unwrap()
}

fn build(text: &str, environment: Option<&str>) -> BTreeMap<String, String> {
    common::build_text(text, environment)
}

fn docs(yaml: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

/// (kind, namespace, name) of every object `prometheus` makes.
fn identities(files: &BTreeMap<String, String>) -> Vec<(String, String, String)> {
    docs(&files["kubernetes/resources/prometheus.yaml"])
        .iter()
        .map(|o| {
            let s = |v: &Value| v.as_str().unwrap().to_string();
            (
                s(&o["kind"]),
                s(&o["metadata"]["namespace"]),
                s(&o["metadata"]["name"]),
            )
        })
        .collect()
}

fn id(kind: &str, ns: &str, name: &str) -> (String, String, String) {
    (kind.into(), ns.into(), name.into())
}

#[test]
fn each_source_gets_its_object_in_its_own_namespace() {
    let files = build(&fixture(), None);
    assert_eq!(
        identities(&files),
        [
            id("ServiceMonitor", "infra", "prometheus-monitor-nodes"),
            id("ServiceMonitor", "apps", "prometheus-monitor-queues"),
            // `minio` fails the condition; the body names the object.
            id("ConfigMap", "lab", "prometheus-dashboard-postgres"),
        ]
    );
    let objs = docs(&files["kubernetes/resources/prometheus.yaml"]);
    // The element is bound in the body; the owner's labels are on it.
    assert_eq!(
        objs[1]["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"],
        "queues"
    );
    assert_eq!(
        objs[1]["metadata"]["labels"]["app.kubernetes.io/instance"],
        "prometheus"
    );
    // `quiet` does not provide MetricsSource: nothing is made for it.
    assert!(!files["kubernetes/resources/prometheus.yaml"].contains("quiet"));
}

#[test]
fn terraform_applies_one_manifest_per_element() {
    let files = build(&fixture(), None);
    let root: Value = serde_json::from_str(&files["terraform/main.tf.json"]).unwrap();
    let each = &root["module"]["prometheus"]["each_objects"];
    let keys = |r: &str| -> Vec<String> { each[r].as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys("monitor"), ["nodes", "queues"]);
    assert_eq!(keys("board"), ["prometheus-dashboard-postgres"]);
    let queues: Value = serde_json::from_str(each["monitor"]["queues"].as_str().unwrap()).unwrap();
    assert_eq!(queues["metadata"]["namespace"], "apps");
    let module: Value =
        serde_json::from_str(&files["terraform/modules/monitoring/main.tf.json"]).unwrap();
    let monitor = &module["resource"]["kubernetes_manifest"]["monitor"];
    assert_eq!(
        monitor["for_each"],
        "${lookup(var.each_objects, \"monitor\", {})}"
    );
    assert_eq!(monitor["manifest"], "${yamldecode(each.value)}");
    assert!(module["variable"]["each_objects"].is_object());
    // The elements' namespaces are made before any module applies.
    for ns in ["infra", "apps", "lab"] {
        assert!(files.contains_key(&format!("kubernetes/namespace-{ns}.yaml")));
    }
}

#[test]
fn removing_a_source_removes_exactly_its_object() {
    let before = build(&fixture(), None);
    let text = fixture().replace("exporter queues { namespace = \"apps\" }\n", "");
    let text = text.replace("environment small {\n  queues.enabled = false\n}\n", "");
    let after = build(&text, None);
    let (b, a) = (identities(&before), identities(&after));
    let gone: Vec<_> = b.iter().filter(|x| !a.contains(x)).collect();
    assert_eq!(
        gone,
        [&id("ServiceMonitor", "apps", "prometheus-monitor-queues")]
    );
    assert_eq!(a.len(), b.len() - 1);
    // An environment that switches the source off does the same.
    let small = build(&fixture(), Some("small"));
    assert_eq!(identities(&small), a);
}
