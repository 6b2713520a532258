//! What the examples deploy, rendered by the real charts, is valid and
//! wired: every object passes strict schema validation, and everything a
//! pod reads exists, in its namespace, in time.
//!
//! For every example, for the base platform and every environment it
//! declares, the platform is built in memory, and every Helm release is
//! rendered the way Terraform installs it: `helm template RELEASE CHART -n
//! NAMESPACE -f VALUES --include-crds --skip-tests`, with the whole chart
//! archive of ../shared/charts, the release name and namespace of the
//! instance (its Kubernetes name and namespace), the emitted
//! `helm/<release>.values.yaml` (the only values document: the user's values
//! files are merged into it), and a `--set-string` placeholder for each
//! sensitive value (Terraform's `set_sensitive`). `--skip-tests` leaves out
//! the `helm test` hooks, which Terraform never runs. The release name,
//! namespace, chart and sensitive values come from the compiled platform,
//! not from the Terraform files.
//!
//! Every rendered object (CRDs included, and the pod templates that a
//! ConfigMap holds as YAML for an executor) is validated strictly: built-in
//! kinds with `kubernetes-validate --strict -k 1.31.0` (an object whose
//! kind it has no schema for fails too), custom resources against their CRD
//! in ../shared/crds/by-kind made strict as `common::strict` says, after
//! pruning the `null` fields that the API server prunes.
//!
//! Then the wiring of each build is checked on the rendered objects and
//! platc's own manifests, as `common::wiring` describes: references to
//! Secrets, ConfigMaps, ServiceAccounts and PersistentVolumeClaims, volume
//! mounts, install order, and objects that two releases would both create.
//! What the user must create beforehand is the one list under
//! `## Prerequisites` in the example's README.md, which is checked too:
//! every item is read by something, and lists the keys its
//! `kubernetes_secret(...)` declaration names.
//!
//! Besides the examples, the same checks run on an in-memory platform with
//! two instances of each stdlib component a team installs more than once
//! (`Project::twins`), and each Airflow release is held to what issue 8
//! found in the chart (`airflow_expectations`).
//!
//! Without helm, kubernetes-validate or check-jsonschema
//! (scripts/install-validators.sh), or without ../shared/charts or
//! ../shared/crds/by-kind, the test fails under CI=true and prints why it
//! skipped otherwise.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::wiring::{self, Cluster, Kind, Prerequisite, Source};
use platc_driver::{build_path, FileSystem, MemoryFs, Options, Platform, RealFs};
use serde_json::Value;

// ---------------------------------------------------------------- builds

/// One `helm template` run: the input of a release as Terraform installs it.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Render {
    release: String,
    namespace: String,
    chart: PathBuf,
    values: String,
    /// `--set-string` key paths, one per sensitive value.
    sensitive: Vec<String>,
}

/// One rendered document: its text as Helm printed it, and its value.
struct Doc {
    text: String,
    value: Value,
}

/// One build of one example: its platform, what platc emits, and the
/// releases to render.
struct Case {
    /// The project's name.
    project: String,
    label: String,
    platform: Platform,
    prerequisites: Vec<Prerequisite>,
    /// platc's own objects: (source, file, default namespace, object).
    platc: Vec<(Source, String, Value)>,
    /// (label, render).
    releases: Vec<(String, Render)>,
    /// Every release's transitive dependencies (releases).
    deps: BTreeMap<String, BTreeSet<String>>,
}

/// The whole chart archive of `name` at `version` in ../shared/charts.
fn chart_archive(charts: &Path, name: &str, version: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(charts)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    let dir = dirs.into_iter().find(|d| {
        let chart: Value = std::fs::read_to_string(d.join("Chart.yaml"))
            .ok()
            .and_then(|y| serde_yaml_ng::from_str(&y).ok())
            .unwrap_or_default();
        // The archive's name gives the version: Chart.yaml of some charts
        // (cert-manager, jupyterhub) holds a placeholder in git.
        chart["name"] == name && d.join(format!("{name}-{version}.tgz")).is_file()
    })?;
    Some(dir.join(format!("{name}-{version}.tgz")))
}

/// Built-in kinds of Kubernetes 1.31 that charts probe for by group,
/// version and kind.
const CLUSTER_KINDS: &[&str] = &[
    "policy/v1/PodDisruptionBudget",
    "autoscaling/v2/HorizontalPodAutoscaler",
    "networking.k8s.io/v1/Ingress",
    "networking.k8s.io/v1/IngressClass",
    "networking.k8s.io/v1/NetworkPolicy",
    "batch/v1/CronJob",
    "batch/v1/Job",
    "apps/v1/Deployment",
    "apps/v1/StatefulSet",
    "apps/v1/DaemonSet",
    "rbac.authorization.k8s.io/v1/Role",
    "rbac.authorization.k8s.io/v1/ClusterRole",
    "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration",
    "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration",
];

/// A values key path in the `--set` syntax of Helm (and of Terraform's
/// `set_sensitive`): `.`, `,`, `=`, `[` and `\` inside a key escaped.
fn set_path(path: &[String]) -> String {
    path.iter()
        .map(|segment| {
            let mut out = String::new();
            for c in segment.chars() {
                if matches!(c, '\\' | '.' | ',' | '=' | '[') {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Every string of platc's Terraform JSON as Terraform reads it.
fn terraform_text(v: &mut Value) {
    match v {
        Value::String(s) => *s = s.replace("$${", "${").replace("%%{", "%{"),
        Value::Array(xs) => xs.iter_mut().for_each(terraform_text),
        Value::Object(m) => m.values_mut().for_each(terraform_text),
        _ => {}
    }
}

/// A project to build: an example, or the twins below.
struct Project {
    /// `examples/NAME`, or what else it is.
    name: String,
    fs: Box<dyn FileSystem + Sync>,
    dir: PathBuf,
    /// Its README.md, with the list of prerequisites.
    readme: String,
}

impl Project {
    fn example(dir: &Path) -> Project {
        let name = dir.file_name().unwrap().to_string_lossy();
        Project {
            name: format!("examples/{name}"),
            fs: Box::new(RealFs),
            dir: dir.to_path_buf(),
            readme: std::fs::read_to_string(dir.join("README.md")).unwrap_or_default(),
        }
    }

    /// Two instances of each stdlib component whose chart a team would
    /// install more than once, in one namespace (the examples have two
    /// Airflows and two PostgreSQLs, but one MinIO): what one instance
    /// creates must not clash with what the other does. The Airflows differ
    /// in every switch the component has: executor, remote logs, admin user;
    /// so do the Nessies, Trinos (catalogs from `all(...)`, or chosen) and
    /// Supersets (admin user, Trino databases).
    fn twins() -> Project {
        let mut fs = MemoryFs::new();
        fs.insert("/twins/main.plat", TWINS);
        Project {
            name: "the stdlib twins (tests/real_charts.rs)".to_string(),
            fs: Box::new(fs),
            dir: PathBuf::from("/twins"),
            readme: TWINS_README.to_string(),
        }
    }
}

const TWINS: &str = r#"
platform "twins" {}

import "std/postgres"
import "std/minio"
import "std/airflow"
import "std/nessie"
import "std/trino"
import "std/superset"
import "std/clickhouse"

secret lake_root from kubernetes_secret("lake-root", ["rootUser", "rootPassword"])
secret admin from kubernetes_secret("airflow-admin", ["username", "password"])
secret superset_key from kubernetes_secret("superset-secret-key", "secret-key")
secret superset_admin from kubernetes_secret("superset-admin", ["username", "password"])
secret events_client from kubernetes_secret("events-client", "password")
secret flow_key from kubernetes_secret("flow-s3", ["accessKey", "secretKey"])
secret catalog_key from kubernetes_secret("catalog-s3", ["accessKey", "secretKey"])
secret reader_key from kubernetes_secret("reader-s3", ["accessKey", "secretKey"])

cloudnative_pg cnpg {}
postgres db_a { database = "airflow" }
postgres db_b { database = "airflow" }
minio lake_a {
    buckets = ["logs"]
    root_credentials = lake_root
}
minio lake_b {
    mode = "distributed"
    root_credentials = lake_root
}
minio_access flow_s3 {
    store = lake_a
    buckets = ["logs"]
    credentials = flow_key
}
minio_access catalog_s3 {
    store = lake_a
    buckets = ["logs"]
    credentials = catalog_key
}
minio_access reader_s3 {
    store = lake_a
    buckets = ["logs"]
    access = "readonly"
    user = "reader"
    credentials = reader_key
}
airflow flow_a {
    executor = "CeleryExecutor"
    database = db_a
    logs = flow_s3
    admin = admin
}
airflow flow_b {
    database = db_b
}
nessie cat_a {
    database = db_a
    store = catalog_s3
    bucket = "logs"
}
nessie cat_b {
    database = db_b
    store = catalog_s3
    bucket = "logs"
    prefix = "tables"
    replicas = 1
}
clickhouse_operator chop {}
clickhouse events {
    client_password = events_client
}
trino query_a {
    postgres = [db_a, db_b]
    object_store = reader_s3
}
trino query_b {
    iceberg = [cat_b]
    postgres = []
    clickhouse = []
    workers = 0
}
superset bi_a {
    database = db_a
    secret_key = superset_key
    admin = superset_admin
}
superset bi_b {
    database = db_b
    secret_key = superset_key
    trino = []
    replicas = 1
}
"#;

const TWINS_README: &str = "## Prerequisites

- Secret `lake-root` in namespace `twins`, keys `rootUser` and `rootPassword`: MinIO.
- Secret `airflow-admin` in namespace `twins`, keys `username` and `password`: Airflow.
- Secret `superset-secret-key` in namespace `twins`, key `secret-key`: Superset.
- Secret `superset-admin` in namespace `twins`, keys `username` and `password`: Superset.
- Secret `events-client` in namespace `twins`, key `password`: ClickHouse's client user, Trino.
- Secret `flow-s3` in namespace `twins`, keys `accessKey` and `secretKey`: a MinIO user, Airflow.
- Secret `catalog-s3` in namespace `twins`, keys `accessKey` and `secretKey`: a MinIO user, the Nessies.
- Secret `reader-s3` in namespace `twins`, keys `accessKey` and `secretKey`: a read-only MinIO user, Trino.
";

fn build_case(project: &Project, environment: Option<&str>, charts: &Path) -> Case {
    let name = &project.name;
    let label = match environment {
        None => format!("{name}, base platform"),
        Some(env) => format!("{name}, environment `{env}`"),
    };
    let options = Options {
        environment: environment.map(str::to_string),
        ..Options::default()
    };
    let b = build_path(project.fs.as_ref(), &project.dir, &options).unwrap();
    let rendered =
        platc_render::render_human(&b.compilation.sources, &b.compilation.diagnostics, false);
    assert!(
        !b.compilation.has_errors(),
        "{label} must build:\n{rendered}"
    );
    let platform = b.compilation.platform.clone().unwrap();
    let graph = b.compilation.graph.clone().unwrap();
    let files: BTreeMap<&str, &str> = b
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.contents.as_str()))
        .collect();

    // platc's manifests: kubernetes/ (applied first), the objects of
    // kubernetes/resources/<release>.yaml (Terraform applies them after the
    // instance's chart), and the kubernetes_manifest resources of the
    // Terraform root module (Secrets every module waits for). The modules'
    // kubernetes_manifests are the objects of kubernetes/resources.
    let mut platc = Vec::new();
    for (path, contents) in &files {
        if !path.starts_with("kubernetes/") || !path.ends_with(".yaml") {
            continue;
        }
        if path.ends_with("kustomization.yaml") {
            continue;
        }
        let source = match path.strip_prefix("kubernetes/resources/") {
            Some(file) => Source::AfterChart(file.trim_end_matches(".yaml").to_string()),
            None => Source::Platc,
        };
        for doc in serde_yaml_ng::Deserializer::from_str(contents) {
            let doc: Value = serde::Deserialize::deserialize(doc)
                .unwrap_or_else(|e| panic!("{label}: {path}: {e}"));
            if !doc.is_null() {
                platc.push((source.clone(), format!("platc {path}"), doc));
            }
        }
    }
    for (path, contents) in &files {
        let root = path
            .strip_prefix("terraform/")
            .is_some_and(|p| !p.contains('/') && p.ends_with(".tf.json"));
        if !root {
            continue;
        }
        let mut json: Value =
            serde_json::from_str(contents).unwrap_or_else(|e| panic!("{label}: {path}: {e}"));
        terraform_text(&mut json);
        for (name, r) in json["resource"]["kubernetes_manifest"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let origin = format!("platc {path} kubernetes_manifest.{name}");
            platc.push((Source::Platc, origin, r["manifest"].clone()));
        }
    }

    let mut releases = Vec::new();
    for inst in &platform.instances {
        let Some(chart) = &inst.chart else { continue };
        let archive = chart_archive(charts, &chart.name, &chart.version).unwrap_or_else(|| {
            panic!(
                "{label}: the archive of chart {} {} (instance {}) is not in ../shared/charts",
                chart.name, chart.version, inst.name
            )
        });
        let path = format!("helm/{}.values.yaml", inst.k8s_name);
        let values = files
            .get(path.as_str())
            .unwrap_or_else(|| panic!("{label}: no {path}"))
            .to_string();
        let origin = format!(
            "release {} (chart {} {})",
            inst.k8s_name, chart.name, chart.version
        );
        releases.push((
            origin,
            Render {
                release: inst.k8s_name.clone(),
                namespace: inst.namespace.clone(),
                chart: archive,
                values,
                sensitive: inst
                    .sensitive_values
                    .iter()
                    .map(|s| set_path(&s.path))
                    .collect(),
            },
        ));
    }

    // The graph's transitive dependencies, by release.
    let k8s = |name: &str| platform.instance(name).map(|i| i.k8s_name.clone());
    let mut deps = BTreeMap::new();
    for i in 0..graph.len() {
        let mut seen = BTreeSet::new();
        let mut stack = graph.dependencies(i);
        while let Some(d) = stack.pop() {
            if let Some(release) = k8s(graph.name(d)) {
                if seen.insert(release) {
                    stack.extend(graph.dependencies(d));
                }
            }
        }
        if let Some(release) = k8s(graph.name(i)) {
            deps.insert(release, seen);
        }
    }

    let prerequisites = wiring::prerequisites(&project.readme)
        .unwrap_or_else(|e| panic!("{name}: README.md, section Prerequisites:\n{e}"));
    Case {
        project: name.clone(),
        label,
        platform,
        prerequisites,
        platc,
        releases,
        deps,
    }
}

// ---------------------------------------------------------------- helm

impl Render {
    /// `helm template`, with the values in a file under `dir`.
    fn command(&self, helm: &Path, dir: &Path) -> Command {
        let values = dir.join(format!("{}.values.yaml", self.release));
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(&values, &self.values).unwrap();
        let mut cmd = Command::new(helm);
        cmd.arg("template")
            .arg(&self.release)
            .arg(&self.chart)
            .args(["-n", &self.namespace, "-f"])
            .arg(&values)
            .args(["--include-crds", "--skip-tests"]);
        // What a 1.31 cluster's discovery tells the Helm provider: charts
        // that probe for a kind (`.Capabilities.APIVersions.Has
        // "policy/v1/PodDisruptionBudget"`) render as they would there,
        // not for an API server that `helm template` imagines.
        cmd.args(["--kube-version", "1.31.0"]);
        for kind in CLUSTER_KINDS {
            cmd.args(["--api-versions", kind]);
        }
        for name in &self.sensitive {
            cmd.args(["--set-string", &format!("{name}=placeholder")]);
        }
        cmd
    }

    fn run(&self, helm: &Path, dir: &Path) -> Result<Vec<Doc>, String> {
        let mut cmd = self.command(helm, dir);
        let shown = format!("{cmd:?}");
        let out = cmd.output().map_err(|e| format!("cannot run helm: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{shown} fails:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        parse_rendered(&String::from_utf8_lossy(&out.stdout))
    }
}

/// Splits `helm template` output into its documents.
fn parse_rendered(out: &str) -> Result<Vec<Doc>, String> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in out.lines().chain(std::iter::once("---")) {
        if line == "---" {
            let text = std::mem::take(&mut current);
            let value: Value =
                serde_yaml_ng::from_str(&text).map_err(|e| format!("{e}\n{text}"))?;
            if !value.is_null() {
                docs.push(Doc { text, value });
            }
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    Ok(docs)
}

/// Runs `jobs` on two threads (the machine's cores), in any order.
fn parallel<T: Sync, R: Send>(jobs: &[T], f: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let r = f(i, job);
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

// ---------------------------------------------------------------- validation

/// One object to validate: its text (built-in kinds are validated as Helm
/// printed them: YAML 1.1, as the API server's client reads them) and where
/// it comes from.
struct Object<'a> {
    text: &'a str,
    value: &'a Value,
    origin: String,
}

/// The pod templates that a ConfigMap holds as YAML (an executor's
/// `pod_template_file`): objects too.
fn embedded_pods(doc: &Value) -> Vec<(String, String, Value)> {
    if doc["kind"] != "ConfigMap" {
        return Vec::new();
    }
    doc["data"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.ends_with(".yaml") || k.ends_with(".yml"))
        .filter_map(|(k, v)| {
            let text = v.as_str()?;
            let value: Value = serde_yaml_ng::from_str(text).ok()?;
            (value["kind"] == "Pod").then(|| (k.clone(), text.to_string(), value))
        })
        .collect()
}

/// Validates every object; returns the failures.
fn validate(objects: &[Object], kv: &Path, cj: &Path, crds: &Path, dir: &Path) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    let mut failures = Vec::new();
    let mut builtin = Vec::new();
    let mut custom: BTreeMap<(String, String, String), Vec<&Object>> = BTreeMap::new();
    for o in objects {
        let api = o.value["apiVersion"].as_str().unwrap_or("");
        let kind = o.value["kind"].as_str().unwrap_or("");
        let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
        if !group.is_empty() && crds.join(format!("{group}__{kind}.yaml")).is_file() {
            let id = (group.to_string(), kind.to_string(), version.to_string());
            custom.entry(id).or_default().push(o);
        } else {
            builtin.push(o);
        }
    }

    // Built-in kinds: kubernetes-validate, in two batches at once.
    let files: Vec<PathBuf> = builtin
        .iter()
        .enumerate()
        .map(|(n, o)| {
            let f = dir.join(format!("object-{n}.yaml"));
            std::fs::write(&f, o.text).unwrap();
            f
        })
        .collect();
    let half = files.len().div_ceil(2).max(1);
    let batches: Vec<&[PathBuf]> = files.chunks(half).collect();
    let outputs = parallel(&batches, |_, batch| {
        let out = Command::new(kv)
            .args(["--strict", "-k", "1.31.0"])
            .args(batch.iter())
            .output()
            .expect("run kubernetes-validate");
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    });
    let output = outputs.concat();
    for (f, o) in files.iter().zip(&builtin) {
        let name = format!("{} ", f.display());
        let lines: Vec<&str> = output.lines().filter(|l| l.contains(&name)).collect();
        let passed =
            lines.len() == 1 && lines[0].starts_with("INFO") && lines[0].contains(" passed ");
        if !passed {
            failures.push(format!(
                "{}: kubernetes-validate --strict -k 1.31.0:\n    {}",
                o.origin,
                if lines.is_empty() {
                    "no result".to_string()
                } else {
                    lines.join("\n    ")
                }
            ));
        }
    }

    // Custom resources: check-jsonschema against the strict CRD schema, one
    // run per kind and version.
    for (n, ((group, kind, version), objects)) in custom.iter().enumerate() {
        let crd_file = crds.join(format!("{group}__{kind}.yaml"));
        let crd: Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(&crd_file).unwrap()).unwrap();
        let Some(schema) = crd["spec"]["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["name"] == version.as_str())
            .map(|v| v["schema"]["openAPIV3Schema"].clone())
        else {
            for o in objects {
                failures.push(format!(
                    "{}: the CRD of {kind} ({group}) serves no version {version}",
                    o.origin
                ));
            }
            continue;
        };
        let schema_file = dir.join(format!("schema-{n}.json"));
        std::fs::write(&schema_file, common::strict(schema.clone()).to_string()).unwrap();
        let mut files = Vec::new();
        for (m, o) in objects.iter().enumerate() {
            let mut value = o.value.clone();
            common::prune_nulls(&mut value, &schema);
            let f = dir.join(format!("custom-{n}-{m}.json"));
            std::fs::write(&f, value.to_string()).unwrap();
            files.push(f);
        }
        let out = Command::new(cj)
            .arg("--schemafile")
            .arg(&schema_file)
            .args(&files)
            .output()
            .expect("run check-jsonschema");
        if !out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            let which: Vec<String> = files
                .iter()
                .zip(objects)
                .filter(|(f, _)| text.contains(&*f.to_string_lossy()))
                .map(|(f, o)| format!("    {} is {}", f.display(), o.origin))
                .collect();
            failures.push(format!(
                "{kind} ({group}/{version}) against its CRD, made strict:\n{text}{}",
                which.join("\n")
            ));
        }
    }
    failures
}

// ---------------------------------------------------------------- airflow

/// What issue 8 found in the Airflow releases stays fixed; the chart's own
/// behaviour, which the generic checks above cannot see:
/// - Terraform waits for a release's pods (`wait`), and Helm starts
///   post-install hooks only after that wait, while every Airflow pod waits
///   for the database migrations: no Job may be a post-install hook;
/// - the migration Job gets the database connection (`applyCustomEnv`);
/// - the chart's own metadata Secret (a connection to its bundled
///   PostgreSQL, password `postgres`) is not created;
/// - no user is created with a password written in the manifest (the
///   chart's default `admin`/`admin`);
/// - with remote logging, no pod has a log volume claim of its own.
fn airflow_expectations(r: &Render, docs: &[Doc]) -> Vec<String> {
    let mut problems = Vec::new();
    let values: Value = serde_yaml_ng::from_str(&r.values).unwrap_or_default();
    let remote_logs = values["config"]["logging"]["remote_logging"] == "True";
    let release = &r.release;
    let mut migrations = false;
    for d in docs {
        let v = &d.value;
        let kind = v["kind"].as_str().unwrap_or("");
        let name = v["metadata"]["name"].as_str().unwrap_or("");
        let hook = v["metadata"]["annotations"]["helm.sh/hook"]
            .as_str()
            .unwrap_or("");
        if kind == "Job" && hook.contains("post-install") {
            problems.push(format!(
                "Job/{name} is a post-install hook: Helm runs it only after Terraform's wait \
                 for the release's pods, which wait for the migrations"
            ));
        }
        if kind == "Secret" && name == format!("{release}-metadata") {
            problems.push(format!("the chart's own metadata Secret {name} is created"));
        }
        let log_claims = v["spec"]["volumeClaimTemplates"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t["metadata"]["name"] == "logs");
        if log_claims && remote_logs {
            problems.push(format!(
                "{kind}/{name} has a log volume claim per pod although the logs go to the \
                 object store"
            ));
        }
        let containers = v["spec"]["template"]["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten();
        for c in containers {
            let args: Vec<&str> = c["args"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for w in args.windows(2) {
                if matches!(w[0], "-p" | "--password") && !w[1].starts_with("$(") {
                    problems.push(format!(
                        "{kind}/{name} creates a user with a password written in the manifest"
                    ));
                }
            }
            if kind == "Job" && name == format!("{release}-run-airflow-migrations") {
                migrations = true;
                let connected = c["env"].as_array().into_iter().flatten().any(|e| {
                    e["name"] == "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
                        && e["valueFrom"]["secretKeyRef"].is_object()
                });
                if !connected {
                    problems.push(format!(
                        "Job/{name} has no AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: the migrations \
                         would not reach the database"
                    ));
                }
            }
        }
    }
    if !migrations {
        problems.push("no Job runs the database migrations".to_string());
    }
    problems
        .into_iter()
        .map(|p| format!("release {release} (Airflow): {p}"))
        .collect()
}

// ---------------------------------------------------------------- the test

#[test]
fn every_release_renders_valid_objects_whose_references_exist() {
    let (Some(helm), Some(kv), Some(cj)) = (
        common::tool("helm"),
        common::tool("kubernetes-validate"),
        common::tool("check-jsonschema"),
    ) else {
        return;
    };
    let (Some(charts), Some(crds)) = (common::shared("charts"), common::shared("crds/by-kind"))
    else {
        return;
    };
    let start = Instant::now();
    let dir = std::env::temp_dir().join(format!("platc-real-charts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let mut projects: Vec<Project> = common::examples()
        .iter()
        .map(|dir| Project::example(dir))
        .collect();
    projects.push(Project::twins());
    let mut cases = Vec::new();
    for project in &projects {
        let base = build_case(project, None, &charts);
        let environments = base.platform.environments.clone();
        cases.push(base);
        for env in &environments {
            cases.push(build_case(project, Some(env), &charts));
        }
    }

    // Render every distinct release once.
    let mut distinct: Vec<Render> = Vec::new();
    for (_, r) in cases.iter().flat_map(|c| &c.releases) {
        if !distinct.contains(r) {
            distinct.push(r.clone());
        }
    }
    let results = parallel(&distinct, |i, r| {
        r.run(&helm, &dir.join(format!("render-{i}")))
    });
    let rendered: HashMap<&Render, &Result<Vec<Doc>, String>> =
        distinct.iter().zip(&results).collect();
    let mut failures = Vec::new();
    for (r, result) in distinct.iter().zip(&results) {
        match result {
            Err(e) => failures.push(format!("release {} does not render: {e}", r.release)),
            Ok(docs) if r.chart.to_string_lossy().contains("/airflow-") => {
                failures.extend(airflow_expectations(r, docs))
            }
            Ok(_) => {}
        }
    }

    // Validate every distinct object (a release renders the same objects
    // in every environment that does not change it).
    let mut seen = BTreeSet::new();
    let mut objects = Vec::new();
    let mut pods = Vec::new();
    for (r, result) in distinct.iter().zip(&results) {
        for doc in result.iter().flatten() {
            if !seen.insert(doc.text.clone()) {
                continue;
            }
            let object = format!(
                "{}/{}",
                doc.value["kind"].as_str().unwrap_or("?"),
                doc.value["metadata"]["name"].as_str().unwrap_or("?")
            );
            let origin = format!(
                "release {} in namespace {}: {object}",
                r.release, r.namespace
            );
            for (key, text, value) in embedded_pods(&doc.value) {
                pods.push((format!("{origin}, pod template in key {key}"), text, value));
            }
            objects.push(Object {
                text: &doc.text,
                value: &doc.value,
                origin,
            });
        }
    }
    // platc's own objects, in every environment (tests/validators.rs
    // checks the files of the base platforms one by one).
    let mut emitted = Vec::new();
    for case in &cases {
        for (_, file, doc) in &case.platc {
            let text = doc.to_string();
            if seen.insert(text.clone()) {
                let object = format!(
                    "{file}: {}/{}",
                    doc["kind"].as_str().unwrap_or("?"),
                    doc["metadata"]["name"].as_str().unwrap_or("?")
                );
                emitted.push((format!("{} ({})", object, case.label), text, doc));
            }
        }
    }
    for (origin, text, value) in &pods {
        objects.push(Object {
            text,
            value,
            origin: origin.clone(),
        });
    }
    for (origin, text, value) in &emitted {
        objects.push(Object {
            text,
            value,
            origin: origin.clone(),
        });
    }
    let validated = objects.len();
    failures.extend(validate(&objects, &kv, &cj, &crds, &dir.join("validate")));

    // The wiring of every build.
    let mut references = 0;
    let mut read: BTreeMap<String, BTreeSet<(Kind, String, String)>> = BTreeMap::new();
    for case in &cases {
        let mut cluster = Cluster::default();
        for (source, origin, doc) in &case.platc {
            cluster.object(doc, &case.platform.namespace, source, origin);
        }
        for (origin, r) in &case.releases {
            if let Ok(docs) = rendered[r] {
                let source = Source::Release(r.release.clone());
                for d in docs {
                    cluster.object(&d.value, &r.namespace, &source, origin);
                }
            }
        }
        let mut problems = wiring::documented(&mut cluster, &case.platform, &case.prerequisites);
        assert!(
            !cluster.references.is_empty(),
            "{}: no reference found: the walk is broken",
            case.label
        );
        references += cluster.references.len();
        problems.extend(cluster.unsatisfied(&case.platform, &case.prerequisites, &case.deps));
        problems.extend(cluster.clashes());
        problems.extend(cluster.broken.iter().map(|b| format!("  {b}\n")));
        problems.extend(network_problems(case, &rendered));
        for p in &case.prerequisites {
            if cluster.is_read(p.kind, &p.namespace, &p.name) {
                let id = (p.kind, p.namespace.clone(), p.name.clone());
                read.entry(case.project.clone()).or_default().insert(id);
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{}:\n{}", case.label, problems.join("")));
        }
    }
    // A prerequisite nothing reads, in no environment, is stale.
    let mut projects_seen = BTreeSet::new();
    for case in &cases {
        if !projects_seen.insert(&case.project) {
            continue;
        }
        for p in &case.prerequisites {
            let id = (p.kind, p.namespace.clone(), p.name.clone());
            if !read.get(&case.project).is_some_and(|r| r.contains(&id)) {
                failures.push(format!(
                    "{}: README.md lists the prerequisite {} `{}` in namespace `{}`, \
                     which nothing reads in any environment",
                    case.project,
                    p.kind.name(),
                    p.name,
                    p.namespace
                ));
            }
        }
    }

    eprintln!(
        "{} builds, {} helm renders, {validated} objects validated, {references} references \
         checked in {:.1?}",
        cases.len(),
        distinct.len(),
        start.elapsed()
    );
    let mut once = BTreeSet::new();
    failures.retain(|f| once.insert(f.clone()));
    assert!(
        failures.is_empty(),
        "{} problem(s) in what the examples deploy (files under {}):\n\n{}",
        failures.len(),
        dir.display(),
        failures.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The pod template of a workload (or the pod itself), if it is one.
fn pod_template(doc: &Value) -> Option<&Value> {
    match doc["kind"].as_str()? {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicaSet" => {
            Some(&doc["spec"]["template"])
        }
        "CronJob" => Some(&doc["spec"]["jobTemplate"]["spec"]["template"]),
        "Pod" => Some(doc),
        _ => None,
    }
}

/// Whether `labels` carries every label of `selector` (`matchLabels`).
fn selects(selector: &Value, labels: &Value) -> bool {
    selector["matchLabels"]
        .as_object()
        .is_some_and(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

/// In every namespace platc isolates (a default deny of ingress), every
/// pod a release deploys, and every pod of platc's own workloads, is
/// selected by its instance's NetworkPolicy: otherwise nothing, not even
/// the other pods of its release, could reach it. (`helm test` pods, run
/// by hand only, are left out.)
fn network_problems(
    case: &Case,
    rendered: &HashMap<&Render, &Result<Vec<Doc>, String>>,
) -> Vec<String> {
    let policies: Vec<&Value> = case
        .platc
        .iter()
        .map(|(_, _, doc)| doc)
        .filter(|d| d["kind"] == "NetworkPolicy")
        .collect();
    let isolated: BTreeSet<&str> = policies
        .iter()
        .filter(|d| d["metadata"]["name"] == "platc-default-deny-ingress")
        .filter_map(|d| d["metadata"]["namespace"].as_str())
        .collect();
    let policy = |ns: &str, instance: &str| {
        policies.iter().copied().find(|d| {
            d["metadata"]["namespace"] == ns
                && d["metadata"]["name"].as_str() == Some(&format!("platc-{instance}"))
        })
    };
    let mut problems = Vec::new();
    // A release's pod must be selected by its instance's policy, which
    // lets in its own pods and its callers; one of platc's own workloads
    // (a Job that waits for a database) must be among the pods that
    // policy lets in, since it only connects out.
    let mut check = |ns: &str, instance: &str, what: String, pod: &Value, own: bool| {
        let labels = &pod["metadata"]["labels"];
        let ok = policy(ns, instance).is_some_and(|p| {
            if own {
                p["spec"]["ingress"][0]["from"]
                    .as_array()
                    .is_some_and(|from| from.iter().any(|f| selects(&f["podSelector"], labels)))
            } else {
                selects(&p["spec"]["podSelector"], labels)
            }
        });
        if !ok {
            let role = if own { "let in by" } else { "selected by" };
            problems.push(format!(
                "  {what} run in namespace `{ns}`, where ingress is denied by default, \
                 but are not {role} NetworkPolicy `platc-{instance}` (labels {labels})\n"
            ));
        }
    };
    for (_, r) in &case.releases {
        if !isolated.contains(r.namespace.as_str()) {
            continue;
        }
        let Ok(docs) = rendered[r] else { continue };
        for d in docs {
            let hook = d.value["metadata"]["annotations"]["helm.sh/hook"]
                .as_str()
                .unwrap_or("");
            if hook.split(',').any(|h| h.trim().starts_with("test")) {
                continue;
            }
            if let Some(pod) = pod_template(&d.value) {
                let what = format!(
                    "the pods of {} `{}` (release {})",
                    d.value["kind"].as_str().unwrap_or("?"),
                    d.value["metadata"]["name"].as_str().unwrap_or("?"),
                    r.release
                );
                check(&r.namespace, &r.release, what, pod, false);
            }
        }
    }
    for (_, file, doc) in &case.platc {
        let ns = doc["metadata"]["namespace"].as_str().unwrap_or("");
        let instance = doc["metadata"]["labels"]["app.kubernetes.io/instance"]
            .as_str()
            .unwrap_or("");
        if !isolated.contains(ns) || !file.starts_with("platc kubernetes/resources/") {
            continue;
        }
        if let Some(pod) = pod_template(doc) {
            let what = format!(
                "the pods of {} `{}` ({file})",
                doc["kind"].as_str().unwrap_or("?"),
                doc["metadata"]["name"].as_str().unwrap_or("?")
            );
            check(ns, instance, what, pod, true);
        }
    }
    problems
}

// ---------------------------------------------------------------- the checks themselves

/// Objects written here, as a release `apps` renders them.
fn cluster_of(objects: &str, source: &Source) -> Cluster {
    let mut cluster = Cluster::default();
    for doc in serde_yaml_ng::Deserializer::from_str(objects) {
        let doc: Value = serde::Deserialize::deserialize(doc).unwrap();
        cluster.object(&doc, "apps", source, "test");
    }
    cluster
}

fn platform_of(source: &str) -> Platform {
    let mut fs = MemoryFs::new();
    fs.insert("/p/main.plat", source);
    let b = build_path(&fs, Path::new("/p"), &Options::default()).unwrap();
    b.compilation.platform.unwrap()
}

/// The wiring check must find what is missing, in the wrong namespace or
/// without the key, and accept what an ExternalSecret, CloudNativePG,
/// Kubernetes or a documented prerequisite creates.
#[test]
fn the_check_reports_each_kind_of_unsatisfied_reference() {
    let objects = r#"
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: apps }
spec:
  template:
    spec:
      serviceAccountName: web
      imagePullSecrets: [{ name: registry }]
      volumes:
        - name: tls
          secret: { secretName: web-tls, items: [{ key: tls.crt, path: c }] }
        - name: maybe
          secret: { secretName: nowhere, optional: true }
        - name: all
          projected: { sources: [{ secret: { name: db-app } }, { configMap: { name: kube-root-ca.crt } }] }
        - name: settings
          configMap: { name: settings, items: [{ key: app.ini, path: app.ini }] }
        - name: data
          persistentVolumeClaim: { claimName: web-data }
      containers:
        - name: app
          volumeMounts: [{ name: tls, mountPath: /tls }, { name: cache, mountPath: /cache }]
          env:
            - name: DB
              valueFrom: { secretKeyRef: { name: db-app, key: uri } }
            - name: TOKEN
              valueFrom: { secretKeyRef: { name: token, key: value } }
            - name: OTHER
              valueFrom: { secretKeyRef: { name: elsewhere, key: value } }
            - name: OPTIONAL
              valueFrom: { secretKeyRef: { name: nowhere, key: x, optional: true } }
            - name: DSN
              valueFrom: { secretKeyRef: { name: dsn, key: url } }
            - name: RAW
              valueFrom: { secretKeyRef: { name: dsn, key: password } }
            - name: MODE
              valueFrom: { configMapKeyRef: { name: settings, key: mode } }
          envFrom: [{ secretRef: { name: lake-root } }, { configMapRef: { name: flags } }]
---
apiVersion: v1
kind: Secret
metadata: { name: web-tls, namespace: apps }
data: { tls.key: "" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: apps }
data: { app.ini: "" }
---
apiVersion: v1
kind: Secret
metadata: { name: elsewhere, namespace: other }
stringData: { value: x }
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: { name: platform-token, namespace: apps }
spec:
  target: { name: token }
  data: [{ secretKey: value, remoteRef: { key: k } }]
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: { name: db, namespace: apps }
spec: { instances: 1, enableSuperuserAccess: false }
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: { name: local, namespace: apps }
spec: { provider: { kubernetes: { remoteNamespace: apps, auth: { serviceAccount: { name: reader } } } } }
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: { name: dsn, namespace: apps }
spec:
  secretStoreRef: { name: local, kind: SecretStore }
  target:
    name: dsn
    template: { data: { url: "postgres://{{ .password }}@db" } }
  data:
    - secretKey: password
      remoteRef: { key: db-app, property: password }
    - secretKey: missing
      remoteRef: { key: db-password, property: value }
    - secretKey: external
      remoteRef: { key: vault/path, property: x }
      sourceRef: { storeRef: { name: vault, kind: ClusterSecretStore } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: executor, namespace: apps }
data:
  pod_template_file.yaml: |
    kind: Pod
    spec:
      containers:
        - name: base
          envFrom: [{ secretRef: { name: db-superuser } }]
---
apiVersion: v1
kind: Secret
metadata: { name: hub, namespace: apps }
data:
  # JupyterHub's values: `singleuser.extraEnv` reads `notebooks-s3`.
  values.yaml: c2luZ2xldXNlcjoKICBleHRyYUVudjoKICAgIFMzX0tFWToKICAgICAgdmFsdWVGcm9tOgogICAgICAgIHNlY3JldEtleVJlZjogeyBuYW1lOiBub3RlYm9va3MtczMsIGtleTogc2VjcmV0S2V5IH0KICAgIFBMQUlOOiB4Cg==
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: queue, namespace: apps }
spec:
  volumeClaimTemplates: [{ metadata: { name: logs } }]
  template:
    spec:
      containers:
        - name: q
          volumeMounts: [{ name: logs, mountPath: /logs }]
"#;
    let mut cluster = cluster_of(objects, &Source::Release("apps".into()));
    let readme = "# x\n\n## Prerequisites\n\n\
                  - Secret `lake-root` in namespace `data`, keys `rootUser` and `rootPassword`: x.\n\
                  - Secret `registry` in namespace `apps`, key `.dockerconfigjson`: pulls.\n\n  \
                  ```sh\n  kubectl -n apps create secret generic registry \\\n    \
                  --from-literal=.dockerconfigjson=x\n  ```\n\
                  - ServiceAccount `web` in namespace `apps`: x.\n\
                  - ServiceAccount `reader` in namespace `apps`: x.\n\n\
                  ## Next\n\n- Secret `ignored` in namespace `apps`: another section.\n";
    let documented = wiring::prerequisites(readme).unwrap();
    assert_eq!(
        documented
            .iter()
            .map(|d| (d.kind, d.name.as_str(), d.namespace.as_str(), d.keys.len()))
            .collect::<Vec<_>>(),
        [
            (Kind::Secret, "lake-root", "data", 2),
            (Kind::Secret, "registry", "apps", 1),
            (Kind::ServiceAccount, "web", "apps", 0),
            (Kind::ServiceAccount, "reader", "apps", 0),
        ]
    );
    let platform = platform_of(
        "platform \"p\" {}\nsecret lake from kubernetes_secret(\"lake-root\", \"rootUser\")\n\
         secret pull from kubernetes_secret(\"registry\", \".dockerconfigjson\")\n",
    );
    let mut report = wiring::documented(&mut cluster, &platform, &documented);
    report.extend(cluster.unsatisfied(&platform, &documented, &BTreeMap::new()));
    report.extend(cluster.broken.iter().cloned());
    let report = report.join("");
    for expected in [
        "Secret `web-tls` in namespace `apps`: the Secret exists but has no key `tls.crt`",
        "Secret `elsewhere` in namespace `apps`: it exists only in another namespace: `other`",
        "Secret `lake-root` in namespace `apps`: it is the prerequisite of `secret lake",
        "only in data",
        "Secret `db-superuser` in namespace `apps`: nothing creates it",
        "test: ConfigMap/executor, pod template in key pod_template_file.yaml, container base",
        "Secret `dsn` in namespace `apps`: the Secret exists but has no key `password`",
        "Secret `db-password` in namespace `apps`: nothing creates it",
        "test: ExternalSecret/dsn, data missing through SecretStore local",
        "ConfigMap `settings` in namespace `apps`: the ConfigMap exists but has no key `mode`",
        "ConfigMap `flags` in namespace `apps`: nothing creates it",
        "PersistentVolumeClaim `web-data` in namespace `apps`: nothing creates it",
        "test: Deployment/web, container app mounts `cache`, which is no volume of the pod",
        "Secret `notebooks-s3` in namespace `apps`: nothing creates it",
        "test: Secret/hub, the notebook pods it spawns, env S3_KEY",
    ] {
        assert!(report.contains(expected), "`{expected}` not in:\n{report}");
    }
    for satisfied in [
        "`db-app`",
        "`token`",
        "`registry`",
        "`nowhere`",
        "vault/path",
        "key `url`",
        "key `app.ini`",
        "kube-root-ca.crt",
        "ServiceAccount",
        "`logs`",
    ] {
        assert!(!report.contains(satisfied), "{satisfied} in:\n{report}");
    }
}

/// Existing is not enough: a pre-install hook cannot read what the release
/// creates later, a `hook-succeeded` hook is gone after its phase, and a
/// release reads what another release creates only if it depends on it.
#[test]
fn the_check_reports_what_exists_too_late() {
    let first = r#"
apiVersion: batch/v1
kind: Job
metadata:
  name: setup
  annotations: { helm.sh/hook: pre-install }
spec:
  template:
    spec:
      containers:
        - name: s
          envFrom: [{ configMapRef: { name: later } }, { secretRef: { name: early } }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: later }
data: {}
---
apiVersion: v1
kind: Secret
metadata:
  name: early
  annotations: { helm.sh/hook: "pre-install", helm.sh/hook-delete-policy: hook-succeeded }
data: {}
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: app }
spec:
  template:
    spec:
      containers:
        - name: a
          envFrom: [{ secretRef: { name: early } }, { configMapRef: { name: later } }]
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: shared }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: common }
"#;
    let second = r#"
apiVersion: apps/v1
kind: Deployment
metadata: { name: other }
spec:
  template:
    spec:
      serviceAccountName: shared
      containers: [{ name: o }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: common }
"#;
    let mut cluster = cluster_of(first, &Source::Release("one".into()));
    for doc in serde_yaml_ng::Deserializer::from_str(second) {
        let doc: Value = serde::Deserialize::deserialize(doc).unwrap();
        cluster.object(&doc, "apps", &Source::Release("two".into()), "two");
    }
    let platform = platform_of("platform \"p\" {}\n");
    let report = cluster
        .unsatisfied(&platform, &[], &BTreeMap::new())
        .join("");
    for expected in [
        "ConfigMap `later` in namespace `apps`: it does not exist yet when it is read: \
         test: ConfigMap/later is created by the release's objects, a later step of the \
         install than its reader (a pre-install hook)",
        "Secret `early` in namespace `apps`: it does not exist yet when it is read: test: \
         Secret/early is a pre-install hook with the delete policy `hook-succeeded`: Helm \
         deletes it once that step succeeded, before its reader (the release's objects) runs",
        "ServiceAccount `shared` in namespace `apps`: it does not exist yet when it is read: \
         test: ServiceAccount/shared belongs to release `one`, which release `two` does not \
         depend on",
    ] {
        assert!(report.contains(expected), "`{expected}` not in:\n{report}");
    }
    // With a dependency, `two` may read what `one` creates.
    let deps = BTreeMap::from([("two".to_string(), BTreeSet::from(["one".to_string()]))]);
    let report = cluster.unsatisfied(&platform, &[], &deps).join("");
    assert!(!report.contains("`shared`"), "{report}");
    let clashes = cluster.clashes().join("");
    assert!(
        clashes
            .contains("ConfigMap `common` in namespace `apps` is created by more than one owner"),
        "{clashes}"
    );
}

/// The list of prerequisites has one form; an item in another form, or a
/// command that creates something else than its item says, is an error.
#[test]
fn the_prerequisites_list_is_read_strictly() {
    let list = |body: &str| wiring::prerequisites(&format!("## Prerequisites\n\n{body}\n"));
    assert_eq!(list("Nothing to create.\n").unwrap(), []);
    assert_eq!(wiring::prerequisites("# No such section\n").unwrap(), []);
    let one = list("- ConfigMap `ca` in namespace `web`, keys `a.crt`, `b.crt` and `c.crt`: x\n")
        .unwrap();
    assert_eq!(one[0].keys.len(), 3);
    for (item, why) in [
        ("- Create the Secret `x` in `web`.", "unknown kind"),
        (
            "- Secret `x` in the namespace `web`: x",
            "`in namespace` must follow the name",
        ),
        (
            "- Secret `x` in namespace `web` with `a`: x",
            "the keys must follow",
        ),
        (
            "- Secret `x` in namespace `web`, keys `a` or `b`: x",
            "separated by",
        ),
        (
            "- Secret `x` in namespace `web`, key `a`: x\n\n  \
             ```sh\n  kubectl -n other create secret generic x --from-literal=a=1\n  ```",
            "does not match its item",
        ),
        (
            "- Secret `x` in namespace `web`, key `a`: x\n\n  \
             ```sh\n  kubectl -n web create secret generic y --from-literal=a=1\n  ```",
            "which the list does not name",
        ),
    ] {
        let e = list(item).unwrap_err();
        assert!(e.contains(why), "`{why}` not in: {e}");
    }
}

/// The validation is not vacuous: it rejects an unknown field of a built-in
/// kind and of a custom resource, a kind Kubernetes 1.31 does not serve,
/// and a version the CRD does not serve; it accepts a `null` field that the
/// API server prunes.
#[test]
fn validation_rejects_what_the_api_server_rejects() {
    let (Some(kv), Some(cj)) = (
        common::tool("kubernetes-validate"),
        common::tool("check-jsonschema"),
    ) else {
        return;
    };
    let Some(crds) = common::shared("crds/by-kind") else {
        return;
    };
    let texts = [
        "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ok }\ndata: { a: b }\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: bad }\ndatum: { a: b }\n",
        "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: { name: gone }\nspec: {}\n",
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: { name: ok }\n\
         spec: { instances: 1, postgresql: null, storage: { size: 1Gi } }\n",
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: { name: bad }\n\
         spec: { instances: 1, storage: { size: 1Gi }, replicas: 2 }\n",
        "apiVersion: postgresql.cnpg.io/v2\nkind: Cluster\nmetadata: { name: future }\nspec: {}\n",
    ];
    let values: Vec<Value> = texts
        .iter()
        .map(|t| serde_yaml_ng::from_str(t).unwrap())
        .collect();
    let objects: Vec<Object> = texts
        .iter()
        .zip(&values)
        .map(|(text, value)| Object {
            text,
            value,
            origin: format!("test {}", value["metadata"]["name"].as_str().unwrap()),
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("platc-real-charts-check-{}", std::process::id()));
    let failures = validate(&objects, &kv, &cj, &crds, &dir).join("\n");
    let _ = std::fs::remove_dir_all(&dir);
    for expected in [
        "test bad: kubernetes-validate",
        "test gone: kubernetes-validate",
        "Couldn't find schema for kind PodSecurityPolicy",
        "Additional properties are not allowed ('replicas' was unexpected)",
        "test future: the CRD of Cluster (postgresql.cnpg.io) serves no version v2",
    ] {
        assert!(
            failures.contains(expected),
            "`{expected}` not in:\n{failures}"
        );
    }
    assert!(!failures.contains("test ok"), "{failures}");
    assert!(failures.contains("is test bad"), "{failures}");
    assert!(!failures.contains("is test ok"), "{failures}");
}
