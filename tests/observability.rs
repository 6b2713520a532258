//! Observability wired from the platform graph: adding the monitoring
//! instances to the quickstart adds a ServiceMonitor (or PodMonitor) and a
//! PrometheusRule per metrics source, Grafana's data sources and
//! dashboards, and changes nothing else; removing a metrics source removes
//! exactly its objects; and every ServiceMonitor selects a Service that the
//! source's chart really renders, on a port of the declared name.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The monitoring instances that the test adds to the quickstart.
const MONITORING: &str = r#"
import "std/prometheus"
import "std/grafana"

secret grafana_admin from kubernetes_secret("grafana-admin", ["username", "password"])

kube_prometheus_stack monitoring {}

grafana dashboards {
  admin = grafana_admin
}

allow prod_secrets_external for grafana_admin reason "the test's own"
"#;

/// A second MinIO: one more metrics source.
const EXTRA_SOURCE: &str = r#"
minio spare {
  root_credentials = lake_root
}
"#;

fn quickstart() -> String {
    std::fs::read_to_string(common::repo().join("examples/quickstart/main.plat")).unwrap()
}

fn build(text: &str) -> BTreeMap<String, String> {
    common::build_text(text, None)
}

/// Every object platc writes under `kubernetes/resources/`.
fn objects(files: &BTreeMap<String, String>) -> Vec<Value> {
    files
        .iter()
        .filter(|(p, _)| {
            p.starts_with("kubernetes/resources/") && !p.ends_with("kustomization.yaml")
        })
        .flat_map(|(_, text)| common::yaml_docs(text))
        .collect()
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

/// Whether `small` is contained in `big`: every key of an object with a
/// contained value, every element of a list contained in the same list.
fn contained(small: &Value, big: &Value) -> bool {
    match (small, big) {
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .all(|(k, v)| b.get(k).is_some_and(|w| contained(v, w))),
        (Value::Array(a), Value::Array(b)) => a.iter().all(|v| b.contains(v)),
        _ => small == big,
    }
}

fn name(o: &Value) -> String {
    format!(
        "{}/{}/{}",
        o["kind"].as_str().unwrap_or("?"),
        o["metadata"]["namespace"].as_str().unwrap_or(""),
        o["metadata"]["name"].as_str().unwrap_or("?")
    )
}

#[test]
fn monitoring_adds_monitors_data_sources_and_dashboards_and_nothing_else() {
    let before = build(&quickstart());
    let after = build(&format!("{}\n{MONITORING}", quickstart()));

    // Nothing goes away.
    let removed: Vec<&String> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    assert!(removed.is_empty(), "{removed:?}");

    // No file of the quickstart changes but the lists of what there is,
    // which only grow.
    for (path, text) in &before {
        let new = &after[path];
        if new == text {
            continue;
        }
        let grows = match path.as_str() {
            // The audit records the policies' results: with a metrics
            // store, P1303 has nothing left to waive (below).
            "audit.json" => true,
            "terraform/main.tf.json" | "terraform/outputs.tf.json" => {
                let old: Value = serde_json::from_str(text).unwrap();
                let new: Value = serde_json::from_str(new).unwrap();
                contained(&old, &new)
            }
            // The monitoring stack scrapes the instances: their
            // NetworkPolicies gain rules, and keep every rule they had.
            p if p.starts_with("kubernetes/networkpolicies-") => {
                let docs = |t: &str| -> Vec<Value> {
                    serde_yaml_ng::Deserializer::from_str(t)
                        .map(|d| serde::Deserialize::deserialize(d).unwrap())
                        .collect()
                };
                let (old, new) = (docs(text), docs(new));
                old.iter().all(|o| {
                    new.iter()
                        .any(|n| n["metadata"] == o["metadata"] && contained(o, n))
                })
            }
            "kubernetes/resources/kustomization.yaml" | ".platc-output" => {
                let old: BTreeSet<&str> = text.lines().collect();
                let new: BTreeSet<&str> = new.lines().collect();
                old.is_subset(&new)
            }
            _ => false,
        };
        assert!(
            grows,
            "{path} changed:\n--- before\n{text}\n--- after\n{new}"
        );
    }

    // P1303 (prod_metrics_store): the quickstart waives it in `prod` for
    // its three metrics sources; with a metrics store it passes unwaived.
    let p1303 = |files: &BTreeMap<String, String>| -> Vec<(String, usize)> {
        let audit: Value = serde_json::from_str(&files["audit.json"]).unwrap();
        let policy = audit["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == "P1303")
            .unwrap()
            .clone();
        policy["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["status"].as_str().unwrap().to_string(),
                    r["waived"].as_array().unwrap().len(),
                )
            })
            .collect()
    };
    assert!(
        p1303(&before).iter().any(|(_, waived)| *waived == 3),
        "{:?}",
        p1303(&before)
    );
    assert!(
        p1303(&after)
            .iter()
            .all(|(status, waived)| status == "pass" && *waived == 0),
        "{:?}",
        p1303(&after)
    );

    // The new files are the new instances' own.
    let added: BTreeSet<&str> = after
        .keys()
        .filter(|p| !before.contains_key(*p))
        .map(String::as_str)
        .collect();
    for path in &added {
        assert!(
            path.contains("monitoring")
                || path.contains("dashboards")
                || path.starts_with("terraform/modules/kube_prometheus_stack/")
                || path.starts_with("terraform/modules/grafana/"),
            "unexpected new file {path}"
        );
    }

    // What the new objects are: the quickstart had none of these kinds.
    let old_objects = objects(&before);
    let new_objects: Vec<Value> = objects(&after)
        .into_iter()
        .filter(|o| !old_objects.contains(o))
        .collect();
    assert!(
        old_objects.iter().all(|o| objects(&after).contains(o)),
        "an object of the quickstart changed"
    );
    let kinds: BTreeSet<&str> = new_objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["PodMonitor", "PrometheusRule", "ServiceMonitor"]),
        "{:#?}",
        new_objects.iter().map(name).collect::<Vec<_>>()
    );

    // One ServiceMonitor per source scraped through a Service (MinIO's
    // cluster metrics, Airflow's StatsD exporter), one PodMonitor for
    // CloudNativePG's pods, each in the source's namespace, selecting its
    // labels and port.
    let monitors = of_kind(&new_objects, "ServiceMonitor");
    let expect = [
        (
            "lake",
            serde_json::json!({"app": "minio", "release": "lake", "monitoring": "true"}),
            "http",
            "/minio/v2/metrics/cluster",
        ),
        (
            "orchestrator",
            serde_json::json!({"tier": "airflow", "component": "statsd", "release": "orchestrator"}),
            "statsd-scrape",
            "/metrics",
        ),
    ];
    assert_eq!(monitors.len(), expect.len(), "{monitors:#?}");
    for (source, labels, port, path) in expect {
        let m = monitors
            .iter()
            .find(|m| m["spec"]["selector"]["matchLabels"] == labels)
            .unwrap_or_else(|| panic!("no ServiceMonitor for {source}: {monitors:#?}"));
        assert_eq!(m["metadata"]["namespace"], "quickstart");
        assert!(
            m["metadata"]["name"].as_str().unwrap().contains(source),
            "{m:#?}"
        );
        assert_eq!(m["spec"]["endpoints"][0]["port"], port);
        assert_eq!(m["spec"]["endpoints"][0]["path"], path);
    }
    let pod_monitors = of_kind(&new_objects, "PodMonitor");
    assert_eq!(pod_monitors.len(), 1, "{pod_monitors:#?}");
    assert_eq!(
        pod_monitors[0]["spec"]["selector"]["matchLabels"],
        serde_json::json!({"cnpg.io/cluster": "metadb", "cnpg.io/podRole": "instance"})
    );
    assert_eq!(
        pod_monitors[0]["spec"]["podMetricsEndpoints"][0]["port"],
        "metrics"
    );

    // A PrometheusRule per source, with its alerts.
    let rules = of_kind(&new_objects, "PrometheusRule");
    assert_eq!(rules.len(), 3, "{rules:#?}");
    let alerts: BTreeSet<&str> = rules
        .iter()
        .flat_map(|r| r["spec"]["groups"].as_array().unwrap())
        .flat_map(|g| g["rules"].as_array().unwrap())
        .map(|r| r["alert"].as_str().unwrap())
        .collect();
    for a in [
        "CNPGClusterOffline",
        "MinIONodesOffline",
        "AirflowSchedulerDown",
    ] {
        assert!(alerts.contains(a), "{alerts:?}");
    }

    // Grafana: the metrics store as its data source, and the dashboards
    // of MinIO and CloudNativePG (Airflow publishes none).
    let grafana: Value = serde_yaml_ng::from_str(&after["helm/dashboards.values.yaml"]).unwrap();
    let sources = &grafana["datasources"]["datasources.yaml"]["datasources"];
    assert_eq!(sources[0]["name"], "monitoring");
    assert_eq!(sources[0]["type"], "prometheus");
    assert_eq!(
        sources[0]["url"],
        "http://monitoring-prometheus.quickstart.svc:9090"
    );
    let dashboards: BTreeSet<&str> = grafana["dashboards"]["platform"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(dashboards, BTreeSet::from(["cloudnative-pg", "minio"]));

    // The bundled Grafana of kube-prometheus-stack is off: the platform
    // has its own.
    let kps: Value = serde_yaml_ng::from_str(&after["helm/monitoring.values.yaml"]).unwrap();
    assert_eq!(kps["grafana"]["enabled"], false);
}

#[test]
fn removing_a_metrics_source_removes_exactly_its_objects() {
    let with = build(&format!("{}\n{MONITORING}\n{EXTRA_SOURCE}", quickstart()));
    let without = build(&format!("{}\n{MONITORING}", quickstart()));
    let with_objects = objects(&with);
    let without_objects = objects(&without);
    assert!(
        without_objects.iter().all(|o| with_objects.contains(o)),
        "removing `spare` changed another object"
    );
    let gone: Vec<String> = with_objects
        .iter()
        .filter(|o| !without_objects.contains(o))
        .map(name)
        .collect();
    let monitors: Vec<&String> = gone
        .iter()
        .filter(|n| n.starts_with("ServiceMonitor/"))
        .collect();
    assert_eq!(monitors.len(), 1, "{gone:?}");
    assert!(monitors[0].contains("spare"), "{gone:?}");
    // And its alerts; nothing else.
    assert!(
        gone.iter().all(|n| n.contains("spare")
            && (n.starts_with("ServiceMonitor/") || n.starts_with("PrometheusRule/"))),
        "{gone:?}"
    );
    // Grafana is unchanged: the MinIO dashboard is `lake`'s too.
    assert_eq!(
        with["helm/dashboards.values.yaml"],
        without["helm/dashboards.values.yaml"]
    );
}

#[test]
fn without_a_prometheus_operator_there_are_no_monitors() {
    let files = build(&quickstart());
    let objects = objects(&files);
    for kind in ["ServiceMonitor", "PodMonitor", "PrometheusRule"] {
        assert!(of_kind(&objects, kind).is_empty(), "{kind}");
    }
}

/// The Services a release renders: (name, labels, port names).
fn rendered_services(
    helm: &Path,
    release: &str,
    namespace: &str,
    chart: &Path,
    values: &str,
) -> Vec<(String, BTreeMap<String, String>, Vec<String>)> {
    let dir = std::env::temp_dir().join(format!("platc-observability-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{release}.values.yaml"));
    std::fs::write(&file, values).unwrap();
    let out = Command::new(helm)
        .args(["template", release])
        .arg(chart)
        .args(["-n", namespace, "-f"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "helm template {release}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::yaml_docs(&String::from_utf8_lossy(&out.stdout))
        .into_iter()
        .filter(|d| d["kind"] == "Service")
        .map(|s| {
            let labels = s["metadata"]["labels"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let ports = s["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect();
            (
                s["metadata"]["name"].as_str().unwrap().to_string(),
                labels,
                ports,
            )
        })
        .collect()
}

/// The chart archive of a release, from the header of its values file
/// (`# Helm values for release R (chart NAME VERSION),`).
fn chart_of(charts: &Path, values: &str) -> Option<std::path::PathBuf> {
    let header = values.lines().next()?;
    let inside = header.split("(chart ").nth(1)?.trim_end_matches("),");
    let (name, version) = inside.split_once(' ')?;
    std::fs::read_dir(charts)
        .ok()?
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .map(|f| f.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|f| f.to_string_lossy() == format!("{name}-{version}.tgz"))
        })
}

#[test]
fn every_service_monitor_selects_a_service_its_source_renders() {
    let Some(helm) = common::tool("helm") else {
        return;
    };
    let Some(charts) = common::shared("charts") else {
        return;
    };
    // The observability example, and every other metrics source of the
    // stdlib (Nessie, the ClickHouse operator) beside a Prometheus.
    let extra = r#"
import "std/nessie"
import "std/clickhouse"
secret catalog_key from kubernetes_secret("catalog-s3", ["accessKey", "secretKey"])
minio_access catalog_s3 {
  store = lake
  buckets = ["raw"]
  credentials = catalog_key
}
nessie catalog {
  database = metadb
  store = catalog_s3
  bucket = "raw"
}
clickhouse_operator chop {}
allow prod_metrics_store for catalog reason "the test's own"
allow prod_secrets_external for catalog_key reason "the test's own"
"#;
    let example =
        std::fs::read_to_string(common::repo().join("examples/observability/main.plat")).unwrap();
    let files = build(&format!("{example}\n{extra}"));
    let objects = objects(&files);
    let monitors = of_kind(&objects, "ServiceMonitor");
    assert!(monitors.len() >= 4, "{monitors:#?}");
    let mut checked = Vec::new();
    for m in monitors {
        let namespace = m["metadata"]["namespace"].as_str().unwrap();
        let selector = m["spec"]["selector"]["matchLabels"].as_object().unwrap();
        let port = m["spec"]["endpoints"][0]["port"].as_str().unwrap();
        // The source's release: the instance whose values render a
        // Service with these labels.
        let mut found = None;
        for (path, values) in files.iter().filter(|(p, _)| p.starts_with("helm/")) {
            let release = path
                .trim_start_matches("helm/")
                .trim_end_matches(".values.yaml");
            if !selector.values().any(|v| v == release) {
                continue;
            }
            let Some(chart) = chart_of(&charts, values) else {
                common::skip_or_fail(&format!("no chart archive for {path}"));
                return;
            };
            for (service, labels, ports) in
                rendered_services(&helm, release, namespace, &chart, values)
            {
                let selects = selector
                    .iter()
                    .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str());
                if selects && ports.iter().any(|p| p == port) {
                    found = Some(format!("{release}: Service {service}, port {port}"));
                }
            }
        }
        let found = found.unwrap_or_else(|| {
            panic!(
                "ServiceMonitor {} selects no Service of its source's chart with a port `{port}`",
                name(m)
            )
        });
        checked.push(found);
    }
    eprintln!("{}", checked.join("\n"));
}
