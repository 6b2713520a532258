//! The catalogue is wired by typed references (issue 10): pointing Superset
//! at a second PostgreSQL in the lakehouse changes Superset's wiring and
//! adds the new database, and changes nothing else; removing Nessie is an
//! error at the parameters that named it. And every consumer has
//! credentials of its own: no consumer reads MinIO's root Secret, each
//! MinIO user's policy allows its buckets only, and no PostgreSQL cluster
//! serves two consumers. Every consumer of `ObjectStore` also takes a store
//! reached by workload identity: the ServiceAccounts of its pods that touch
//! the buckets name the role, and no key pair is referred to.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use platc_driver::{build_path, check_path, MemoryFs, Options, RealFs};
use serde_json::Value;

fn lakehouse() -> String {
    std::fs::read_to_string(common::repo().join("examples/lakehouse/main.plat")).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn a_second_database_for_superset_changes_only_its_wiring() {
    let base = lakehouse();
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
        "kubernetes/networkpolicies-lakehouse.yaml",
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
    let policies = &after["kubernetes/networkpolicies-lakehouse.yaml"];
    let reports = policies
        .split("\n---\n")
        .find(|d| d.contains("name: platc-reportsdb"))
        .expect("a policy for the new database");
    assert!(reports.contains("release: dashboards"), "{reports}");
}

/// Without the Nessie instance, Trino's `iceberg` and JupyterHub's
/// `catalogs` name an instance that does not exist: the check fails there,
/// rather than giving both an empty list of catalogs.
#[test]
fn removing_nessie_is_an_error_at_the_parameters_that_name_it() {
    let base = lakehouse();
    let start = base.find("/// The Iceberg catalog: tables under").unwrap();
    let block = base[start..].find("nessie lakehouse {").unwrap() + start;
    let end = base[block..].find("\n}\n").unwrap() + block + 3;
    let mut text = format!("{}{}", &base[..start], &base[end..]);
    // The waivers that name the instance go with it.
    text = text
        .lines()
        .filter(|l| !(l.starts_with("allow ") && l.contains(" for lakehouse ")))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!text.contains("nessie lakehouse"));

    let mut fs = MemoryFs::new();
    fs.insert("/project/main.plat", text.as_str());
    let c = check_path(&fs, Path::new("/project"), &Options::default()).unwrap();
    let errors: Vec<_> = c.diagnostics.iter().filter(|d| d.is_error()).collect();
    let at: Vec<(&str, String)> = errors
        .iter()
        .map(|d| {
            let span = d.primary.span;
            let line_start = text[..span.start as usize].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[span.start as usize..]
                .find('\n')
                .map_or(text.len(), |i| i + span.start as usize);
            (d.code, text[line_start..line_end].trim().to_string())
        })
        .collect();
    assert_eq!(
        at,
        [
            ("E0201", "iceberg = [lakehouse]".to_string()),
            ("E0201", "catalogs = [lakehouse]".to_string()),
        ],
        "{at:?}"
    );
    // Each points at the removed name inside the parameter's list, in the
    // instance of Trino and of JupyterHub.
    for (d, owner) in errors
        .iter()
        .zip(["trino query {", "jupyterhub notebooks {"])
    {
        let span = d.primary.span;
        assert_eq!(&text[span.start as usize..span.end as usize], "lakehouse");
        let instance = text[..span.start as usize].rfind("\n}\n").unwrap();
        assert!(
            text[instance..span.start as usize].contains(owner),
            "{owner}: {}",
            &text[instance..span.start as usize]
        );
    }
}

/// Every example, built for the base platform and each environment: its
/// files, and the compiled platform's releases (name, chart, namespace).
#[allow(clippy::type_complexity)]
fn example_builds() -> Vec<(
    String,
    BTreeMap<String, String>,
    Vec<(String, String, String)>,
)> {
    let mut out = Vec::new();
    for ex in common::examples() {
        let name = ex.file_name().unwrap().to_string_lossy().to_string();
        let environments = check_path(&RealFs, &ex, &Options::default())
            .unwrap()
            .environments
            .unwrap_or_default();
        for env in std::iter::once(None).chain(environments.iter().map(|e| Some(e.clone()))) {
            let options = Options {
                environment: env.clone(),
                ..Options::default()
            };
            let b = build_path(&RealFs, &ex, &options).unwrap();
            assert!(!b.compilation.has_errors(), "{name} {env:?} must build");
            let files = b.files.into_iter().map(|f| (f.path, f.contents)).collect();
            let platform = b.compilation.platform.unwrap();
            let charts = platform
                .instances
                .iter()
                .filter_map(|i| {
                    let chart = i.chart.as_ref()?.name.clone();
                    Some((i.k8s_name.clone(), chart, i.namespace.clone()))
                })
                .collect();
            out.push((format!("{name} {env:?}"), files, charts));
        }
    }
    out
}

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap()
}

/// MinIO's root Secret is MinIO's alone: no other release's values, and
/// none of platc's own manifests, name it.
#[test]
fn no_consumer_reads_the_minio_root_secret() {
    let mut minios = 0;
    for (label, files, charts) in example_builds() {
        for (release, chart, namespace) in &charts {
            if chart != "minio" {
                continue;
            }
            minios += 1;
            let values = yaml(&files[&format!("helm/{release}.values.yaml")]);
            let root = values["existingSecret"].as_str().unwrap().to_string();
            // The releases of MinIO's namespace, but MinIO.
            let neighbours: BTreeSet<String> = charts
                .iter()
                .filter(|(r, _, ns)| ns == namespace && r != release)
                .map(|(r, _, _)| format!("helm/{r}.values.yaml"))
                .collect();
            for (path, text) in &files {
                let readers = neighbours.contains(path)
                    || path.starts_with("kubernetes/")
                    || path == "terraform/main.tf.json";
                if !readers {
                    continue;
                }
                // A Secret name is a word of its own: `lake-root` is not
                // `sales-lake-root`.
                let named = text.match_indices(root.as_str()).any(|(i, _)| {
                    let before = text[..i].chars().last();
                    let after = text[i + root.len()..].chars().next();
                    let word =
                        |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-');
                    !word(before) && !word(after)
                });
                assert!(
                    !named,
                    "{label}: {path} names the root Secret `{root}` of MinIO `{release}`"
                );
            }
        }
    }
    assert!(minios >= 6, "the examples have MinIOs: {minios}");
}

/// In the lakehouse, each consumer of the object store reads the Secret of
/// one MinIO user, whose policy allows that consumer's buckets and nothing
/// else.
#[test]
fn each_minio_user_has_a_policy_for_its_buckets_only() {
    let files = common::build_text(&lakehouse(), None);
    let lake = yaml(&files["helm/lake.values.yaml"]);
    let policies: BTreeMap<&str, &Value> = lake["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), &p["statements"]))
        .collect();
    // Secret name -> (user, the policy's resources, its actions).
    let mut users = BTreeMap::new();
    for u in lake["users"].as_array().unwrap() {
        let policy = policies[u["policy"].as_str().unwrap()];
        let mut resources = BTreeSet::new();
        let mut actions = BTreeSet::new();
        for st in policy.as_array().unwrap() {
            assert!(st.get("effect").is_none() || st["effect"] == "Allow");
            resources.extend(
                st["resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string()),
            );
            actions.extend(
                st["actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string()),
            );
        }
        assert!(
            u.get("secretKey").is_none(),
            "a user's secret key is never a literal: {u}"
        );
        assert!(
            actions
                .iter()
                .all(|a| a.starts_with("s3:") && !a.contains('*')),
            "{actions:?}"
        );
        assert!(!actions.contains("s3:CreateBucket") && !actions.contains("s3:DeleteBucket"));
        users.insert(
            u["existingSecret"].as_str().unwrap().to_string(),
            (u["accessKey"].as_str().unwrap().to_string(), resources),
        );
    }
    let only = |bucket: &str| {
        BTreeSet::from([
            format!("arn:aws:s3:::{bucket}"),
            format!("arn:aws:s3:::{bucket}/*"),
        ])
    };
    for (release, bucket) in [
        ("lakehouse", "warehouse"),
        ("query", "warehouse"),
        ("notebooks", "warehouse"),
        ("pipelines", "logs"),
    ] {
        let values = &files[&format!("helm/{release}.values.yaml")];
        let read: Vec<_> = users
            .iter()
            .filter(|(secret, _)| values.contains(&format!(": {secret}\n")))
            .collect();
        assert_eq!(read.len(), 1, "{release} reads the Secrets of {read:?}");
        let (secret, (user, resources)) = read[0];
        assert_eq!(
            *resources,
            only(bucket),
            "the policy of {user} ({secret}), read by {release}"
        );
    }
    assert_eq!(users.len(), 4, "{users:?}");

    // MinIO observes the users' instances (`all(MinioAccess)`): no
    // install order, so no cycle with the consumers that are installed
    // after it. MinIO depends on nothing; its consumers depend on it.
    let main: Value = serde_json::from_str(&files["terraform/main.tf.json"]).unwrap();
    assert!(
        main["module"]["lake"].get("depends_on").is_none(),
        "{}",
        main["module"]["lake"]
    );
    for consumer in ["lakehouse", "query", "notebooks", "pipelines"] {
        let depends = main["module"][consumer]["depends_on"].to_string();
        assert!(depends.contains("\"module.lake\""), "{consumer}: {depends}");
    }
}

/// PostgreSQL is a cluster per consumer (std/postgres): in every example,
/// no `postgres` instance is the database of two instances.
#[test]
fn every_postgres_cluster_serves_one_consumer() {
    for (label, files, charts) in example_builds() {
        let main: Value = serde_json::from_str(&files["terraform/main.tf.json"]).unwrap();
        let modules = main["module"].as_object().unwrap();
        for (release, chart, _) in &charts {
            if chart != "cluster" {
                continue;
            }
            let module = release.replace('-', "_");
            let consumers: Vec<&String> = modules
                .iter()
                .filter(|(_, call)| {
                    call["depends_on"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|d| d == &format!("module.{module}"))
                })
                .map(|(name, _)| name)
                .collect();
            assert!(
                consumers.len() <= 1,
                "{label}: `{release}` serves {consumers:?}"
            );
        }
    }
}

/// Every `secretKeyRef` under a value (env of containers, any depth).
fn secret_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("secretKeyRef") {
                out.push(r["name"].as_str().unwrap_or_default().to_string());
            }
            m.values().for_each(|v| secret_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| secret_refs(v, out)),
        _ => {}
    }
}

/// external-s3 reaches two buckets by workload identity: the archive app's
/// ServiceAccount and Loki's (as the real chart renders it) name the role,
/// and neither reads a key pair from a Secret.
#[test]
fn workload_identity_annotates_service_accounts_and_reads_no_key_pair() {
    let ex = common::repo().join("examples/external-s3");
    let b = build_path(&RealFs, &ex, &Options::default()).unwrap();
    assert!(!b.compilation.has_errors());
    let files: BTreeMap<String, String> =
        b.files.into_iter().map(|f| (f.path, f.contents)).collect();
    let role = "eks.amazonaws.com/role-arn";

    // The app: its ServiceAccount names the role, its pod runs as it and
    // reads no Secret.
    let archive = common::yaml_docs(&files["kubernetes/resources/archive.yaml"]);
    let account = archive
        .iter()
        .find(|d| d["kind"] == "ServiceAccount")
        .unwrap();
    assert_eq!(
        account["metadata"]["annotations"][role],
        "arn:aws:iam::123456789012:role/lakehouse-archive"
    );
    let job = archive.iter().find(|d| d["kind"] == "CronJob").unwrap();
    let pod = &job["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], account["metadata"]["name"]);
    let mut refs = Vec::new();
    secret_refs(pod, &mut refs);
    assert!(refs.is_empty(), "the archive job reads Secrets: {refs:?}");

    // A consumer with a key pair keeps it, and no annotation.
    let pipelines = &files["helm/pipelines.values.yaml"];
    assert!(pipelines.contains("pipelines-aws") && !pipelines.contains(role));

    // Loki, rendered by its chart.
    let Some(helm) = common::tool("helm") else {
        return;
    };
    let Some(charts) = common::shared("charts") else {
        return;
    };
    let values = &files["helm/logs.values.yaml"];
    assert!(!values.contains("LOKI_S3_ACCESS_KEY"), "{values}");
    let docs = render(&helm, &charts, "logs", "external-s3", values);
    let accounts: BTreeMap<String, &Value> = docs
        .iter()
        .filter(|d| d["kind"] == "ServiceAccount")
        .map(|d| (d["metadata"]["name"].as_str().unwrap().to_string(), d))
        .collect();
    let mut pods = 0;
    for d in &docs {
        let kind = d["kind"].as_str().unwrap_or_default();
        if !["StatefulSet", "Deployment", "DaemonSet"].contains(&kind) {
            continue;
        }
        let spec = &d["spec"]["template"]["spec"];
        let mut refs = Vec::new();
        secret_refs(spec, &mut refs);
        assert!(
            refs.is_empty(),
            "{kind} {} reads {refs:?}",
            d["metadata"]["name"]
        );
        // The pods that write to S3: Loki's own (not the gateway's nginx).
        let image = spec["containers"][0]["image"].as_str().unwrap_or_default();
        if !image.contains("grafana/loki:") {
            continue;
        }
        pods += 1;
        let sa = spec["serviceAccountName"].as_str().unwrap();
        assert_eq!(
            accounts[sa]["metadata"]["annotations"][role],
            "arn:aws:iam::123456789012:role/lakehouse-logs",
            "{kind} {} runs as {sa}",
            d["metadata"]["name"]
        );
    }
    assert!(pods > 0, "Loki renders its pods");
}

/// `s3_bucket` takes exactly one of a key pair and a role, and every
/// consumer of `ObjectStore` takes either.
#[test]
fn every_consumer_takes_a_key_pair_or_a_role() {
    let head = r#"
platform "p" {}
import "std/s3"
import "std/postgres"
import "std/nessie"
import "std/trino"
import "std/jupyterhub"
import "std/airflow"
import "std/druid"
import "std/ingress"
secret key from kubernetes_secret("s3", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
cloudnative_pg cnpg {}
postgres db { database = "x" }
"#;
    let store = |body: &str| {
        format!(
            "s3_bucket store {{\n  endpoint = \"https://s3.eu-west-1.amazonaws.com\"\n  buckets = [\"b-1\"]\n{body}}}\n"
        )
    };
    let role = "  role_arn = \"arn:aws:iam::123456789012:role/r\"\n";
    let errors = |text: String| {
        let mut fs = MemoryFs::new();
        fs.insert("/p/main.plat", text);
        let c = check_path(&fs, Path::new("/p"), &Options::default()).unwrap();
        c.diagnostics
            .iter()
            .filter(|d| d.severity == platc_diag::Severity::Error)
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
    };
    // Both or neither.
    for body in [String::new(), format!("{role}  credentials = key\n")] {
        let e = errors(format!("{head}{}", store(&body)));
        assert!(
            e.iter().any(|m| m.contains("exactly one of `credentials`")),
            "{e:?}"
        );
    }
    // Either alone is clean.
    for body in [role.to_string(), "  credentials = key\n".to_string()] {
        let e = errors(format!("{head}{}", store(&body)));
        assert!(e.is_empty(), "{e:?}");
    }
    // A key pair is a Secret of the store's namespace (E0327 elsewhere); a
    // role is no Secret, and is read across namespaces.
    let app = "import \"std/app\"\napp x {\n  namespace = \"other\"\n  image = \"registry.example.com/x\"\n  tag = \"1\"\n  object_store = store\n}\n";
    let with_key = errors(format!("{head}{}{app}", store("  credentials = key\n")));
    assert!(
        with_key
            .iter()
            .any(|m| m.contains("reads the Secret `store.credentials_secret`")),
        "{with_key:?}"
    );
    let with_role = errors(format!("{head}{}{app}", store(role)));
    assert!(with_role.is_empty(), "{with_role:?}");
    let jupyterhub = "secret c from kubernetes_secret(\"c\", [\"client-id\", \"client-secret\"])\noidc_issuer i { issuer_url = \"https://login.example.com\" }\njupyterhub j { login = i  client = c  host = \"j.example.com\"";
    let consumers = [
        "nessie n { database = db  store = store  bucket = \"b-1\" }".to_string(),
        "trino t { iceberg = []  object_store = store }".to_string(),
        format!("{jupyterhub}  catalogs = []  object_store = store }}"),
        "airflow a { database = db  logs = store  logs_bucket = \"b-1\" }".to_string(),
        "secret d from kubernetes_secret(\"d\", [\"metadata-password\", \"s3-access-key\", \"s3-secret-key\"])\ndruid o { database = db  deep_storage = store  bucket = \"b-1\"  credentials = d }".to_string(),
        // The catalog's clients without a store of their own read the
        // data as the catalog does: by its role, or with its key pair.
        format!("nessie n {{ database = db  store = store  bucket = \"b-1\" }}\ntrino t {{}}\n{jupyterhub} }}"),
    ];
    for consumer in &consumers {
        for body in ["  credentials = key\n", role] {
            let e = errors(format!("{head}{}{consumer}\n", store(body)));
            assert!(e.is_empty(), "{consumer} with {body}: {e:?}");
        }
    }
    // Druid's Secret holds the key pair only when the store has one.
    let druid = "secret d from kubernetes_secret(\"d\", \"metadata-password\")\ndruid o { database = db  deep_storage = store  bucket = \"b-1\"  credentials = d }\n";
    assert!(errors(format!("{head}{}{druid}", store(role))).is_empty());
    let e = errors(format!("{head}{}{druid}", store("  credentials = key\n")));
    assert!(
        e.iter()
            .any(|m| m.contains("`metadata-password`, `s3-access-key` and `s3-secret-key`")),
        "{e:?}"
    );
    // One ServiceAccount names one role: Trino and the notebooks refuse
    // catalogs read by different roles, and take them through one store
    // of their own.
    let two = format!(
        "{}{}nessie n {{ database = db  store = store  bucket = \"b-1\" }}\nnessie m {{ database = db  store = other  bucket = \"b-1\" }}\n",
        store(role),
        store(role)
            .replace("s3_bucket store", "s3_bucket other")
            .replace("role/r", "role/o")
    );
    let trino = errors(format!("{head}{two}trino t {{}}\n"));
    assert!(
        trino.iter().any(|m| m.contains("different roles")),
        "{trino:?}"
    );
    let notebooks = errors(format!("{head}{two}{jupyterhub} }}\n"));
    assert!(
        notebooks.iter().any(|m| m.contains("different roles")),
        "{notebooks:?}"
    );
    let own = store(role)
        .replace("s3_bucket store", "s3_bucket own")
        .replace("role/r", "role/t");
    let e = errors(format!(
        "{head}{two}{own}trino t {{ object_store = own }}\n{jupyterhub}  object_store = own }}\n"
    ));
    assert!(e.is_empty(), "{e:?}");
}

/// Renders the values file `values` of release `release` with its real
/// chart (named on the file's first line), in namespace `namespace`.
fn render(helm: &Path, charts: &Path, release: &str, namespace: &str, values: &str) -> Vec<Value> {
    let inside = values
        .lines()
        .next()
        .unwrap()
        .split("(chart ")
        .nth(1)
        .unwrap();
    let (name, version) = inside.trim_end_matches("),").split_once(' ').unwrap();
    let chart = charts.join(name).join(format!("{name}-{version}.tgz"));
    assert!(chart.is_file(), "{}", chart.display());
    let dir = std::env::temp_dir().join(format!("platc-identity-{}-{release}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("values.yaml");
    std::fs::write(&file, values).unwrap();
    let out = std::process::Command::new(helm)
        .args(["template", release])
        .arg(&chart)
        .args(["-n", namespace, "-f"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{release}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::yaml_docs(&String::from_utf8_lossy(&out.stdout))
}

/// In external-s3's environment `eks`, Nessie, Trino, the notebooks,
/// Airflow and Druid reach S3 by role: as their real charts render them,
/// the ServiceAccount of every pod that reads or writes the buckets names
/// the service's role (and those of the pods that do not, none), and no
/// key pair is referred to anywhere.
#[test]
fn every_consumer_reaches_s3_by_role_in_eks() {
    let ex = common::repo().join("examples/external-s3");
    let options = Options {
        environment: Some("eks".to_string()),
        ..Options::default()
    };
    let b = build_path(&RealFs, &ex, &options).unwrap();
    assert!(!b.compilation.has_errors());
    let files: BTreeMap<String, String> =
        b.files.into_iter().map(|f| (f.path, f.contents)).collect();
    let role = "eks.amazonaws.com/role-arn";
    let arn = |name: &str| format!("arn:aws:iam::123456789012:role/lakehouse-{name}");

    // No key pair anywhere: none of the four Secrets (the Terraform
    // outputs list every declared secret's name, `secret_names`, whether
    // used or not), no key setting.
    for (path, text) in &files {
        let mut text = text.clone();
        if path == "terraform/outputs.tf.json" {
            let mut v = json(&text);
            v["output"].as_object_mut().unwrap().remove("secret_names");
            text = v.to_string();
        }
        for secret in ["catalog-aws", "query-aws", "notebooks-aws", "pipelines-aws"] {
            assert!(!text.contains(secret), "{path} refers to {secret}");
        }
    }
    for release in ["lakehouse", "query", "notebooks", "pipelines", "events"] {
        let values = &files[&format!("helm/{release}.values.yaml")];
        for key in [
            "ACCESS_KEY",
            "accessKeySecret",
            "aws-access-key",
            "s3_accessKey",
            "s3-access-key",
        ] {
            assert!(!values.contains(key), "{release} sets {key}:\n{values}");
        }
    }

    // The notebooks run as the ServiceAccount the component creates.
    let notebooks = yaml(&files["helm/notebooks.values.yaml"]);
    let account = common::yaml_docs(&files["kubernetes/resources/notebooks.yaml"])
        .into_iter()
        .find(|d| d["kind"] == "ServiceAccount")
        .unwrap();
    assert_eq!(
        notebooks["singleuser"]["serviceAccountName"],
        account["metadata"]["name"]
    );
    assert_eq!(
        account["metadata"]["annotations"][role],
        arn("notebooks").as_str()
    );
    // It exists before the chart can start a notebook: the module applies
    // it first (a notebook started without it would not start).
    let module = json(&files["terraform/modules/jupyterhub/main.tf.json"]);
    let resources = &module["resource"];
    assert_eq!(
        resources["helm_release"]["this"]["depends_on"],
        serde_json::json!(["kubernetes_manifest.notebook_account"])
    );
    assert!(resources["kubernetes_manifest"]["notebook_account"]
        .get("depends_on")
        .is_none());
    let env = &notebooks["singleuser"]["extraEnv"];
    let mut refs = Vec::new();
    secret_refs(env, &mut refs);
    assert!(refs.is_empty(), "the notebooks read {refs:?}");
    assert!(env["PYICEBERG_CATALOG__LAKEHOUSE__URI"].is_string());

    let Some(helm) = common::tool("helm") else {
        return;
    };
    let Some(charts) = common::shared("charts") else {
        return;
    };
    // Per release: its role, and each workload with whether it reaches S3.
    type Workloads = &'static [(&'static str, bool)];
    let expected: [(&str, &str, Workloads); 4] = [
        ("lakehouse", "catalog", &[("lakehouse", true)]),
        (
            "query",
            "query",
            &[("query-coordinator", true), ("query-worker", true)],
        ),
        (
            "pipelines",
            "pipelines",
            &[
                ("pipelines-api-server", true),
                ("pipelines-dag-processor", true),
                ("pipelines-scheduler", true),
                ("pipelines-triggerer", true),
                ("pipelines-statsd", false),
                ("pipelines-run-airflow-migrations", false),
                ("pipelines-create-user", false),
            ],
        ),
        (
            "events",
            "events",
            &[
                ("events-coordinator", true),
                ("events-overlord", true),
                ("events-historical", true),
                ("events-middle-manager", true),
                ("events-broker", false),
                ("events-router", false),
                ("events-zookeeper", false),
            ],
        ),
    ];
    for (release, role_name, workloads) in expected {
        let docs = render(
            &helm,
            &charts,
            release,
            "external-s3",
            &files[&format!("helm/{release}.values.yaml")],
        );
        let accounts: BTreeMap<String, &Value> = docs
            .iter()
            .filter(|d| d["kind"] == "ServiceAccount")
            .map(|d| (d["metadata"]["name"].as_str().unwrap().to_string(), d))
            .collect();
        let annotated = |sa: &str| {
            let a = &accounts
                .get(sa)
                .unwrap_or_else(|| panic!("{release}: no ServiceAccount {sa}"))["metadata"]
                ["annotations"][role];
            assert!(
                a.is_null() || a == arn(role_name).as_str(),
                "{release}: {sa} names {a}"
            );
            !a.is_null()
        };
        let mut seen = BTreeSet::new();
        for d in &docs {
            let kind = d["kind"].as_str().unwrap_or_default();
            if !["StatefulSet", "Deployment", "Job"].contains(&kind) {
                continue;
            }
            let name = d["metadata"]["name"].as_str().unwrap();
            let spec = &d["spec"]["template"]["spec"];
            let mut refs = Vec::new();
            secret_refs(spec, &mut refs);
            assert!(
                refs.iter().all(|r| !r.ends_with("-aws")),
                "{kind} {name} reads {refs:?}"
            );
            let Some((_, s3)) = workloads.iter().find(|(w, _)| *w == name) else {
                continue;
            };
            seen.insert(name.to_string());
            let sa = spec["serviceAccountName"].as_str().unwrap();
            assert_eq!(annotated(sa), *s3, "{kind} {name} runs as {sa}");
        }
        let listed: BTreeSet<String> = workloads.iter().map(|(w, _)| w.to_string()).collect();
        assert_eq!(seen, listed, "{release} renders these workloads");

        // What each service reads its configuration from.
        let config: String = docs
            .iter()
            .filter(|d| d["kind"] == "ConfigMap")
            .flat_map(|d| d["data"].as_object().into_iter().flatten())
            .map(|(_, v)| v.as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
            .join("\n");
        match release {
            "lakehouse" => {
                assert!(config.contains("s3.default-options.auth-type=APPLICATION_GLOBAL"));
                assert!(!config.contains("access-key"), "{config}");
            }
            "query" => {
                assert!(config.contains("fs.native-s3.enabled=true"));
                assert!(!config.contains("s3.aws-access-key"), "{config}");
            }
            "pipelines" => {
                // KubernetesExecutor's task pods run as the workers'
                // ServiceAccount, which names the role.
                let template = docs
                    .iter()
                    .filter(|d| d["kind"] == "ConfigMap")
                    .find_map(|d| d["data"]["pod_template_file.yaml"].as_str())
                    .unwrap();
                let pod: Value = serde_yaml_ng::from_str(template).unwrap();
                let sa = pod["spec"]["serviceAccountName"].as_str().unwrap();
                assert!(annotated(sa), "task pods run as {sa}");
            }
            _ => {}
        }
    }
}
