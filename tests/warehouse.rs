//! Druid in the warehouse example (issue 10): its metadata store and deep
//! storage come from the `SqlDatabase` and `ObjectStore` it is given, its
//! credentials from a Secret that no output holds the values of, Superset
//! registers it, and its assertions reject what Druid cannot run with.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use platc_driver::Options;
use serde_json::Value;

fn warehouse() -> String {
    std::fs::read_to_string(common::repo().join("examples/warehouse/main.plat")).unwrap()
}

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap()
}

/// `text` with `old` replaced by `new`, which must occur exactly once.
fn edit(text: &str, old: &str, new: &str) -> String {
    assert_eq!(text.matches(old).count(), 1, "{old}");
    text.replace(old, new)
}

/// The values of the settings that carry credentials, in a values map.
fn credential_settings(config: &Value) -> Vec<(String, String)> {
    config
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| {
            k.contains("password") || k.ends_with("accessKey") || k.ends_with("secretKey")
        })
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

#[test]
fn druid_takes_its_metadata_store_and_deep_storage_from_the_interfaces() {
    let base = warehouse();
    let files = common::build_text(&base, None);
    let olap = yaml(&files["helm/olap.values.yaml"]);
    let vars = &olap["configVars"];
    assert_eq!(
        vars["druid_metadata_storage_connector_connectURI"],
        "jdbc:postgresql://druiddb-rw.warehouse.svc:5432/druid"
    );
    assert_eq!(vars["druid_metadata_storage_connector_user"], "druid");
    assert_eq!(vars["druid_storage_type"], "s3");
    assert_eq!(vars["druid_storage_bucket"], "druid");
    assert_eq!(vars["druid_storage_baseKey"], "druid/segments");
    assert_eq!(vars["druid_indexer_logs_s3Bucket"], "druid");
    assert_eq!(
        vars["druid_s3_endpoint_url"],
        "http://lake.warehouse.svc:9000"
    );
    assert_eq!(olap["postgresql"]["enabled"], false);
    // The credentials Secret is mounted, and assembled in the cluster from
    // the database's Secret and the store's.
    assert_eq!(
        olap["gCloudStorage"]["secretName"],
        "warehouse-druid-credentials"
    );
    let assembled = yaml(&files["kubernetes/externalsecret-warehouse-druid-credentials.yaml"]);
    let reads: Vec<(String, String)> = assembled["spec"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let r = &d["remoteRef"];
            (
                r["key"].as_str().unwrap().to_string(),
                r["property"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        reads,
        [
            ("druiddb-app".to_string(), "password".to_string()),
            ("druid-s3".to_string(), "accessKey".to_string()),
            ("druid-s3".to_string(), "secretKey".to_string()),
        ]
    );
    // Superset registers Druid through its router, and installs its driver.
    let dashboards = &files["helm/dashboards.values.yaml"];
    assert!(dashboards.contains("pydruid=="), "{dashboards}");
    assert!(
        dashboards.contains("druid://%s:%d/druid/v2/sql/"),
        "{dashboards}"
    );
    assert!(
        dashboards.contains(r#"(\"olap\", \"olap-router.warehouse.svc\","#),
        "{dashboards}"
    );

    // Another database and another object store (an external bucket):
    // Druid's connection follows them, nothing in the component names them.
    let moved = edit(
        &edit(&base, "  database = druiddb\n", "  database = olapdb\n"),
        "  deep_storage = druid_s3\n  bucket = \"druid\"\n",
        "  deep_storage = archive\n  bucket = \"olap-segments\"\n",
    ) + r#"
import "std/s3"
secret archive_keys from kubernetes_secret("archive-keys", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
postgres olapdb {
  database = "olap"
}
s3_bucket archive {
  endpoint = "https://s3.eu-west-1.amazonaws.com"
  region = "eu-west-1"
  buckets = ["olap-segments"]
  credentials = archive_keys
}
allow prod_secrets_external for archive_keys reason "test"
allow prod_metrics_store for olapdb reason "test"
"#;
    let files = common::build_text(&moved, None);
    let olap = yaml(&files["helm/olap.values.yaml"]);
    let vars = &olap["configVars"];
    assert_eq!(
        vars["druid_metadata_storage_connector_connectURI"],
        "jdbc:postgresql://olapdb-rw.warehouse.svc:5432/olap"
    );
    assert_eq!(vars["druid_metadata_storage_connector_user"], "olap");
    assert_eq!(vars["druid_storage_bucket"], "olap-segments");
    assert_eq!(
        vars["druid_s3_endpoint_url"],
        "https://s3.eu-west-1.amazonaws.com"
    );
    assert_eq!(vars["druid_s3_endpoint_signingRegion"], "eu-west-1");
    assert_eq!(vars["AWS_REGION"], "eu-west-1");

    // Without Druid, Superset neither registers it nor installs its driver.
    let mut without = edit(
        &base,
        "druid olap {\n  database = druiddb\n  deep_storage = druid_s3\n  bucket = \"druid\"\n  credentials = druid_credentials\n}\n",
        "",
    );
    without = edit(
        &without,
        "import \"std/druid\"      // component `druid`\n",
        "",
    );
    // The declarations only Druid reads: its password and the template.
    let start = without.find("secret druiddb_password").unwrap();
    let end = without[start..].find("\n})\n").unwrap() + start + 4;
    without.replace_range(start..end, "");
    without = edit(
        &without,
        "allow prod_secrets_external for druiddb_password",
        "// allow prod_secrets_external for druiddb_password",
    );
    for line in [
        "olap.historicals = 4",
        "olap.segment_cache_gib = 200",
        "olap.middle_managers = 3",
    ] {
        without = edit(&without, line, "");
    }
    let files = common::build_text(&without, None);
    let dashboards = &files["helm/dashboards.values.yaml"];
    assert!(!dashboards.contains("druid"), "{dashboards}");
}

#[test]
fn no_credential_of_druid_is_written_out() {
    let files = common::build_text(&warehouse(), Some("prod"));
    let olap = yaml(&files["helm/olap.values.yaml"]);
    // Common settings: the chart's default password is emptied, no key pair.
    assert_eq!(
        credential_settings(&olap["configVars"]),
        [(
            "druid_metadata_storage_connector_password".to_string(),
            String::new()
        )]
    );
    // The processes that mount the Secret read each value from its file.
    for process in ["coordinator", "overlord", "historical", "middleManager"] {
        let settings = credential_settings(&olap[process]["config"]);
        let expected: Vec<(String, String)> = [
            (
                "druid_metadata_storage_connector_password",
                "metadata-password",
            ),
            ("druid_s3_accessKey", "s3-access-key"),
            ("druid_s3_secretKey", "s3-secret-key"),
        ]
        .iter()
        .map(|(k, f)| {
            (
                k.to_string(),
                format!("${{file:UTF-8:/var/secrets/google/{f}}}"),
            )
        })
        .collect();
        assert_eq!(settings, expected, "{process}");
    }
    for process in ["broker", "router"] {
        assert!(
            credential_settings(&olap[process]["config"]).is_empty(),
            "{process}"
        );
    }
    // No sensitive Helm value: nothing of Druid's passes through Terraform.
    let main: Value = serde_json::from_str(&files["terraform/main.tf.json"]).unwrap();
    let module = main["module"]["olap"].to_string();
    assert!(
        !module.contains("sensitive") && !module.contains("var.secret_"),
        "{module}"
    );

    // Rendered by the real chart (when helm is installed): no container
    // of any process, and no ConfigMap, holds a credential but those
    // references.
    let (Some(helm), Some(chart)) = (
        common::tool("helm"),
        common::shared("charts/druid/druid-37.0.2.tgz"),
    ) else {
        common::skip_or_fail(
            "helm or ../shared/charts/druid is missing (scripts/install-validators.sh)",
        );
        return;
    };
    let dir = std::env::temp_dir().join(format!("platc-warehouse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let values = dir.join("olap.values.yaml");
    std::fs::write(&values, &files["helm/olap.values.yaml"]).unwrap();
    let out = Command::new(helm)
        .args(["template", "olap"])
        .arg(&chart)
        .args(["-n", "warehouse", "-f"])
        .arg(&values)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered = String::from_utf8(out.stdout).unwrap();
    let mut mounted = BTreeMap::new();
    for doc in serde_yaml_ng::Deserializer::from_str(&rendered) {
        let doc: Value = serde::Deserialize::deserialize(doc).unwrap();
        let kind = doc["kind"].as_str().unwrap_or_default();
        let name = doc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if kind == "ConfigMap" && name == "olap" {
            assert_eq!(
                credential_settings(&doc["data"]),
                [(
                    "druid_metadata_storage_connector_password".to_string(),
                    String::new()
                )]
            );
        }
        let pod = &doc["spec"]["template"]["spec"];
        for container in pod["containers"].as_array().into_iter().flatten() {
            if container["name"] != "druid" {
                continue;
            }
            for env in container["env"].as_array().into_iter().flatten() {
                let key = env["name"].as_str().unwrap();
                if key.contains("password")
                    || key.ends_with("accessKey")
                    || key.ends_with("secretKey")
                {
                    let value = env["value"].as_str().unwrap();
                    assert!(
                        value.starts_with("${file:UTF-8:/var/secrets/google/"),
                        "{name}: {key}={value}"
                    );
                }
            }
            let secret = pod["volumes"]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|v| v["secret"]["secretName"].as_str());
            mounted.insert(name.clone(), secret.map(str::to_string));
        }
    }
    let expected: BTreeMap<String, Option<String>> = [
        ("olap-broker", None),
        ("olap-coordinator", Some("warehouse-druid-credentials")),
        ("olap-historical", Some("warehouse-druid-credentials")),
        ("olap-middle-manager", Some("warehouse-druid-credentials")),
        ("olap-overlord", Some("warehouse-druid-credentials")),
        ("olap-router", None),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
    .collect();
    assert_eq!(mounted, expected);
}

#[test]
fn druid_rejects_what_it_cannot_run_with() {
    let base = warehouse();
    let cases = [
        // Deep storage in a bucket the store does not have.
        (
            edit(&base, "  bucket = \"druid\"\n  credentials", "  bucket = \"segments\"\n  credentials"),
            "is bucket `segments`, which the object store does not have",
        ),
        // An even ZooKeeper ensemble.
        (
            edit(&base, "  credentials = druid_credentials\n", "  credentials = druid_credentials\n  zookeeper_replicas = 4\n"),
            "`olap` has 4 ZooKeeper servers",
        ),
        // A credentials Secret without the store's key pair.
        (
            edit(&base, "  credentials = druid_credentials\n", "  credentials = lake_root\n"),
            "must be a Secret with the keys `metadata-password`, `s3-access-key` and `s3-secret-key`",
        ),
    ];
    for (text, message) in cases {
        let c = platc_driver::check_source("main.plat", &text, &Options::default());
        let errors: Vec<String> = c
            .diagnostics
            .iter()
            .filter(|d| d.code == "E0324")
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(errors.len(), 1, "{message}: {errors:?}");
        assert!(errors[0].contains(message), "{errors:?}");
    }
}

/// The chart's key Secret has a fixed name, so two Druids cannot share a
/// namespace: each of them says so, and a Druid in another namespace is
/// not counted.
#[test]
fn two_druids_cannot_share_a_namespace() {
    let second = |namespace: &str| {
        format!(
            "{}\ndruid olap2 {{\n  database = druiddb\n  deep_storage = druid_s3\n  bucket = \"druid\"\n  credentials = druid_credentials\n{namespace}}}\n",
            warehouse()
        )
    };
    let sharing = |text: &str| -> Vec<String> {
        platc_driver::check_source("main.plat", text, &Options::default())
            .diagnostics
            .iter()
            .filter(|d| d.code == "E0324" && d.message.contains("is not the only Druid"))
            .map(|d| d.message.clone())
            .collect()
    };
    let errors = sharing(&second(""));
    assert_eq!(errors.len(), 2, "{errors:?}");
    for name in ["olap", "olap2"] {
        assert!(
            errors.iter().any(|e| e.starts_with(&format!(
                "`{name}` is not the only Druid in namespace `warehouse`"
            ))),
            "{errors:?}"
        );
    }
    assert_eq!(
        sharing(&second("  namespace = \"olap2\"\n")),
        Vec::<String>::new()
    );
}
