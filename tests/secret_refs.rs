//! Nothing that builds clean may reference a Secret that does not exist in
//! the reader's namespace.
//!
//! For every example, for the base platform and every environment it
//! declares, every Helm release is rendered the way Terraform installs it
//! (`helm template` of the whole chart from ../shared/charts with the emitted
//! values file, a placeholder for each `set_sensitive` value, and without
//! the `helm test` hooks, which Terraform never runs). Every
//! Secret *reference* in what Helm renders and what platc emits must then be
//! satisfied by a Secret that will *exist* in the same namespace, with the
//! key it reads when the creator's keys are known.
//!
//! References: in every pod spec (found generically: any object with a
//! `containers` list, so Deployments, StatefulSets, Jobs, CronJobs, pod
//! templates of operators' resources, and pod templates that a ConfigMap
//! holds as YAML, like Airflow's `pod_template_file`), `env[].valueFrom.
//! secretKeyRef`, `envFrom[].secretRef`, `volumes[].secret`, `volumes[].
//! projected.sources[].secret` (with the keys of `items`) and
//! `imagePullSecrets`, unless marked `optional: true`; the Secrets a
//! CloudNativePG `Cluster` reads (bootstrap and superuser secrets, managed
//! roles' passwords, object-store credentials); and the Secrets an
//! `ExternalSecret` reads through a `SecretStore` of the Kubernetes provider
//! that the output creates (platc's store for template secrets).
//!
//! Creators: `Secret` objects that a release renders or platc emits
//! (kubernetes/, Terraform `kubernetes_manifest`), the targets of
//! `ExternalSecret`s, the Secrets CloudNativePG creates for a `Cluster`
//! (`NAME-app`; `NAME-superuser` with `enableSuperuserAccess`), and the
//! platform's `kubernetes_secret(...)` prerequisites, which the user creates,
//! in the namespaces (and with the keys) that the example's README.md tells
//! the user to create them in.
//!
//! Without helm (scripts/install-validators.sh) or ../shared the test fails
//! under CI=true and says it skipped otherwise, as tests/validators.rs does.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use platc_driver::{build_path, Options, Platform, RealFs};
use platc_sema::SecretSource;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn skip_or_fail(what: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what}");
    }
    eprintln!("skipped: {what}");
}

fn helm() -> Option<PathBuf> {
    let p = repo().join("target/validators/bin/helm");
    if p.is_file() {
        return Some(p);
    }
    skip_or_fail("helm is not installed (run scripts/install-validators.sh)");
    None
}

fn charts_dir() -> Option<PathBuf> {
    let p = repo().join("../shared/charts");
    if p.is_dir() {
        return Some(p);
    }
    skip_or_fail("../shared/charts not found");
    None
}

/// The keys of the Secrets CloudNativePG writes for a cluster's owner and
/// superuser (`pkg/specs/secrets.go`; docs: "Connecting from an
/// application", Secrets).
const CNPG_CREDENTIAL_KEYS: &[&str] = &[
    "username",
    "user",
    "password",
    "dbname",
    "host",
    "port",
    "pgpass",
    "uri",
    "jdbc-uri",
    "fqdn-uri",
    "fqdn-jdbc-uri",
];

/// One read of a Secret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Reference {
    namespace: String,
    secret: String,
    key: Option<String>,
    /// Who reads it: origin, object, container and field.
    reader: String,
}

/// A Secret that will exist.
#[derive(Debug, Clone)]
struct Creation {
    namespace: String,
    secret: String,
    /// `None` when its keys cannot be told from the output.
    keys: Option<BTreeSet<String>>,
    by: String,
}

/// Everything one build deploys: what reads Secrets and what creates them.
#[derive(Default)]
struct Cluster {
    references: BTreeSet<Reference>,
    creations: Vec<Creation>,
    /// `SecretStore`s of the Kubernetes provider: (namespace, name) → the
    /// namespace whose Secrets they read.
    stores: BTreeMap<(String, String), String>,
    /// ExternalSecret entries that read through a namespaced `SecretStore`:
    /// a reference when the store is one of the Kubernetes provider.
    store_reads: Vec<((String, String), Reference)>,
}

fn items(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn optional(selector: &Value) -> bool {
    selector["optional"] == Value::Bool(true)
}

impl Cluster {
    fn read(&mut self, namespace: &str, secret: &Value, key: Option<&str>, reader: String) {
        self.references.insert(Reference {
            namespace: namespace.to_string(),
            secret: text(secret).to_string(),
            key: key.map(str::to_string),
            reader,
        });
    }

    fn create(
        &mut self,
        namespace: &str,
        secret: &str,
        keys: Option<BTreeSet<String>>,
        by: String,
    ) {
        self.creations.push(Creation {
            namespace: namespace.to_string(),
            secret: secret.to_string(),
            keys,
            by,
        });
    }

    /// One Kubernetes object, deployed in `namespace` unless it names its
    /// own; `origin` says where it comes from (a release, platc's output).
    fn object(&mut self, doc: &Value, namespace: &str, origin: &str) {
        let kind = text(&doc["kind"]);
        // A CRD's schema mentions `containers` and `secretKeyRef`; it is
        // not an object that reads anything.
        if kind == "CustomResourceDefinition" || !doc.is_object() {
            return;
        }
        let name = text(&doc["metadata"]["name"]);
        let ns = doc["metadata"]["namespace"].as_str().unwrap_or(namespace);
        let object = format!("{origin}: {kind}/{name}");
        let group = text(&doc["apiVersion"])
            .rsplit_once('/')
            .map_or("", |(g, _)| g);
        match (group, kind) {
            ("", "Secret") => {
                let keys = ["data", "stringData"]
                    .iter()
                    .filter_map(|f| doc[*f].as_object())
                    .flat_map(|m| m.keys().cloned())
                    .collect();
                self.create(ns, name, Some(keys), object.clone());
            }
            ("", "ConfigMap") => {
                // Pod templates kept as YAML for an executor or operator
                // (Airflow's `pod_template_file.yaml`): the pods it starts
                // run in the ConfigMap's namespace.
                for (key, value) in doc["data"].as_object().into_iter().flatten() {
                    if key.ends_with(".yaml") || key.ends_with(".yml") {
                        if let Ok(template) = serde_yaml_ng::from_str::<Value>(text(value)) {
                            let reader = format!("{object}, pod template in key {key}");
                            self.pod_specs(&template, ns, &reader);
                        }
                    }
                }
            }
            ("external-secrets.io", "ExternalSecret") => self.external_secret(doc, ns, &object),
            ("external-secrets.io", "SecretStore") => {
                let kubernetes = &doc["spec"]["provider"]["kubernetes"];
                if kubernetes.is_object() {
                    // The provider's default remote namespace is `default`.
                    let remote = kubernetes["remoteNamespace"].as_str().unwrap_or("default");
                    let id = (ns.to_string(), name.to_string());
                    self.stores.insert(id, remote.to_string());
                }
            }
            ("postgresql.cnpg.io", "Cluster") => self.cnpg_cluster(doc, ns, name, &object),
            _ => {}
        }
        self.pod_specs(doc, ns, &object);
    }

    /// Every pod spec inside `v`: any object with a `containers` list.
    fn pod_specs(&mut self, v: &Value, ns: &str, object: &str) {
        match v {
            Value::Object(m) if m.get("containers").is_some_and(Value::is_array) => {
                self.pod_spec(v, ns, object)
            }
            Value::Object(m) => m.values().for_each(|x| self.pod_specs(x, ns, object)),
            Value::Array(xs) => xs.iter().for_each(|x| self.pod_specs(x, ns, object)),
            _ => {}
        }
    }

    fn pod_spec(&mut self, spec: &Value, ns: &str, object: &str) {
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for c in items(&spec[list]) {
                let container = format!("{object}, container {}", text(&c["name"]));
                for e in items(&c["env"]) {
                    let r = &e["valueFrom"]["secretKeyRef"];
                    if r.is_object() && !optional(r) {
                        let reader = format!("{container}, env {}", text(&e["name"]));
                        self.read(ns, &r["name"], Some(text(&r["key"])), reader);
                    }
                }
                for e in items(&c["envFrom"]) {
                    let r = &e["secretRef"];
                    if r.is_object() && !optional(r) {
                        self.read(ns, &r["name"], None, format!("{container}, envFrom"));
                    }
                }
            }
        }
        for v in items(&spec["volumes"]) {
            let volume = format!("{object}, volume {}", text(&v["name"]));
            let s = &v["secret"];
            if s.is_object() && !optional(s) {
                self.volume(ns, &s["secretName"], &s["items"], volume.clone());
            }
            for source in items(&v["projected"]["sources"]) {
                let s = &source["secret"];
                if s.is_object() && !optional(s) {
                    self.volume(ns, &s["name"], &s["items"], format!("{volume} (projected)"));
                }
            }
        }
        for p in items(&spec["imagePullSecrets"]) {
            self.read(ns, &p["name"], None, format!("{object}, imagePullSecrets"));
        }
    }

    /// A Secret volume: the whole Secret, or the keys its `items` project.
    fn volume(&mut self, ns: &str, secret: &Value, projected: &Value, reader: String) {
        if items(projected).is_empty() {
            self.read(ns, secret, None, reader.clone());
        }
        for item in items(projected) {
            self.read(ns, secret, Some(text(&item["key"])), reader.clone());
        }
    }

    /// The External Secrets Operator writes `spec.target.name` (default: the
    /// ExternalSecret's name) with a key per `data` entry, or per entry of
    /// `target.template.data` when a template renders them, unless it only
    /// merges into an existing Secret or creates none. An entry read through
    /// a namespaced `SecretStore` of the Kubernetes provider reads a Secret.
    fn external_secret(&mut self, doc: &Value, ns: &str, object: &str) {
        let spec = &doc["spec"];
        for d in items(&spec["data"]) {
            let store = match &d["sourceRef"]["storeRef"] {
                s if s.is_object() => s,
                _ => &spec["secretStoreRef"],
            };
            if store["kind"].as_str().unwrap_or("SecretStore") == "SecretStore" {
                let reader = format!(
                    "{object}, data {} through SecretStore {}",
                    text(&d["secretKey"]),
                    text(&store["name"])
                );
                let reference = Reference {
                    namespace: String::new(),
                    secret: text(&d["remoteRef"]["key"]).to_string(),
                    key: d["remoteRef"]["property"].as_str().map(str::to_string),
                    reader,
                };
                let store = (ns.to_string(), text(&store["name"]).to_string());
                self.store_reads.push((store, reference));
            }
        }
        let policy = spec["target"]["creationPolicy"].as_str().unwrap_or("Owner");
        if policy == "Merge" || policy == "None" {
            return;
        }
        let target = spec["target"]["name"]
            .as_str()
            .unwrap_or(text(&doc["metadata"]["name"]));
        let template = &spec["target"]["template"];
        let known =
            items(&spec["dataFrom"]).is_empty() && items(&template["templateFrom"]).is_empty();
        let keys = known.then(|| {
            let data = items(&spec["data"])
                .iter()
                .map(|d| text(&d["secretKey"]).to_string());
            let rendered: BTreeSet<String> = template["data"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k.clone())
                .collect();
            if rendered.is_empty() {
                data.collect()
            } else if template["mergePolicy"] == "Merge" {
                rendered.into_iter().chain(data).collect()
            } else {
                rendered
            }
        });
        self.create(ns, target, keys, format!("{object} (target Secret)"));
    }

    /// The Secrets that ExternalSecrets read through the output's own
    /// `SecretStore`s (a store the output does not create is external).
    fn store_references(&self) -> Vec<Reference> {
        self.store_reads
            .iter()
            .filter_map(|(store, r)| {
                let remote = self.stores.get(store)?;
                Some(Reference {
                    namespace: remote.clone(),
                    ..r.clone()
                })
            })
            .collect()
    }

    /// What CloudNativePG reads and creates for a `Cluster` (docs:
    /// "Connecting from an application", Secrets; "Bootstrap"; "Backup").
    fn cnpg_cluster(&mut self, doc: &Value, ns: &str, name: &str, object: &str) {
        let spec = &doc["spec"];
        let basic_auth = ["username", "password"];
        let mut own_app_secret = false;
        for method in ["initdb", "recovery", "pg_basebackup"] {
            let secret = &spec["bootstrap"][method]["secret"]["name"];
            if secret.is_string() {
                own_app_secret = true;
                for key in basic_auth {
                    let reader = format!("{object}, spec.bootstrap.{method}.secret");
                    self.read(ns, secret, Some(key), reader);
                }
            }
        }
        let keys = || Some(CNPG_CREDENTIAL_KEYS.iter().map(|k| k.to_string()).collect());
        if !own_app_secret {
            let by = format!("CloudNativePG, for {object}");
            self.create(ns, &format!("{name}-app"), keys(), by);
        }
        let superuser = &spec["superuserSecret"]["name"];
        if superuser.is_string() {
            for key in basic_auth {
                let reader = format!("{object}, spec.superuserSecret");
                self.read(ns, superuser, Some(key), reader);
            }
        } else if spec["enableSuperuserAccess"] == Value::Bool(true) {
            let by = format!("CloudNativePG, for {object} (enableSuperuserAccess)");
            self.create(ns, &format!("{name}-superuser"), keys(), by);
        }
        for role in items(&spec["managed"]["roles"]) {
            let secret = &role["passwordSecret"]["name"];
            if secret.is_string() {
                for key in basic_auth {
                    let reader = format!(
                        "{object}, spec.managed.roles[{}].passwordSecret",
                        text(&role["name"])
                    );
                    self.read(ns, secret, Some(key), reader);
                }
            }
        }
        // Object-store credentials: `{ name, key }` selectors under
        // `*Credentials` of the backup store and of external clusters.
        let mut object_stores = vec![("spec.backup", &spec["backup"]["barmanObjectStore"])];
        for ext in items(&spec["externalClusters"]) {
            object_stores.push(("spec.externalClusters", &ext["barmanObjectStore"]));
            for field in ["password", "sslKey", "sslCert", "sslRootCert"] {
                let sel = &ext[field];
                if sel["name"].is_string() {
                    let reader = format!(
                        "{object}, spec.externalClusters[{}].{field}",
                        text(&ext["name"])
                    );
                    self.read(ns, &sel["name"], Some(text(&sel["key"])), reader);
                }
            }
        }
        for (at, store) in object_stores {
            for (field, creds) in store.as_object().into_iter().flatten() {
                if !field.ends_with("Credentials") {
                    continue;
                }
                for (part, sel) in creds.as_object().into_iter().flatten() {
                    if sel["name"].is_string() && sel["key"].is_string() {
                        let reader = format!("{object}, {at}.barmanObjectStore.{field}.{part}");
                        self.read(ns, &sel["name"], Some(text(&sel["key"])), reader);
                    }
                }
            }
        }
    }

    /// Every reference that no creation satisfies, with what is wrong,
    /// grouped by Secret: (namespace, secret) → (problem, readers).
    fn unsatisfied(&self, platform: &Platform, documented: &[Documented]) -> Vec<String> {
        let mut problems: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
        let through_stores = self.store_references();
        for r in self.references.iter().chain(&through_stores) {
            let same: Vec<&Creation> = self
                .creations
                .iter()
                .filter(|c| c.namespace == r.namespace && c.secret == r.secret)
                .collect();
            let has_key = |c: &&Creation| match (&r.key, &c.keys) {
                (Some(k), Some(keys)) => keys.contains(k),
                _ => true,
            };
            if same.iter().any(has_key) {
                continue;
            }
            let problem = if same.is_empty() {
                self.why_missing(r, platform, documented)
            } else {
                let creators: Vec<String> = same
                    .iter()
                    .map(|c| {
                        let keys = c.keys.iter().flatten().cloned().collect::<Vec<_>>();
                        format!("{} (keys: {})", c.by, keys.join(", "))
                    })
                    .collect();
                format!(
                    "the Secret exists but has no key `{}`: created by {}",
                    r.key.as_deref().unwrap_or(""),
                    creators.join("; ")
                )
            };
            let key = match &r.key {
                Some(k) => format!("key `{k}`"),
                None => "the whole Secret".to_string(),
            };
            problems
                .entry((r.namespace.clone(), r.secret.clone(), problem))
                .or_default()
                .push(format!("{key}, read by {}", r.reader));
        }
        problems
            .into_iter()
            .map(|((ns, secret, problem), readers)| {
                format!(
                    "  Secret `{secret}` in namespace `{ns}`: {problem}\n{}",
                    readers
                        .iter()
                        .map(|r| format!("    - {r}\n"))
                        .collect::<String>()
                )
            })
            .collect()
    }

    fn why_missing(&self, r: &Reference, platform: &Platform, documented: &[Documented]) -> String {
        let prerequisite = platform.secrets.iter().find(
            |s| matches!(&s.source, SecretSource::KubernetesSecret { name } if *name == r.secret),
        );
        if let Some(s) = prerequisite {
            let elsewhere: Vec<&str> = documented
                .iter()
                .filter(|d| d.secret == r.secret)
                .map(|d| d.namespace.as_str())
                .collect();
            return format!(
                "it is the prerequisite of `secret {} from kubernetes_secret(\"{}\", ...)`, \
                 which the user creates, but README.md does not tell the user to create it \
                 in namespace `{}` ({}); say so in README.md, with its keys",
                s.name,
                r.secret,
                r.namespace,
                if elsewhere.is_empty() {
                    "it names no namespace for it".to_string()
                } else {
                    format!("only in {}", elsewhere.join(", "))
                }
            );
        }
        let elsewhere: Vec<String> = self
            .creations
            .iter()
            .filter(|c| c.secret == r.secret)
            .map(|c| format!("`{}` (by {})", c.namespace, c.by))
            .collect();
        if !elsewhere.is_empty() {
            return format!(
                "it exists only in another namespace: {}; a Pod reads Secrets of its own namespace only",
                elsewhere.join(", ")
            );
        }
        "nothing creates it: no release renders it, platc emits no such Secret or \
         ExternalSecret, no operator creates it from a rendered resource, and it is no \
         `kubernetes_secret` prerequisite of the platform"
            .to_string()
    }
}

/// A Secret that the README tells the user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Documented {
    secret: String,
    namespace: String,
    keys: BTreeSet<String>,
}

/// The Secrets a README tells the user to create, from
/// - a `kubectl create secret generic NAME -n NS --from-literal=KEY=...`
///   command (continued over lines ending in `\`), or
/// - prose: within one paragraph or list item, "the Secret `NAME`" with
///   "the namespace `NS`" or "the `NS` namespace", and its keys as "key(s)
///   `A`, `B` and `C`".
fn documented_secrets(readme: &str) -> Vec<Documented> {
    let mut out = Vec::new();
    // Logical lines: shell continuations joined.
    let joined = readme.replace("\\\n", " ");
    for line in joined.lines().filter(|l| l.contains("kubectl")) {
        out.extend(kubectl_create_secret(line));
    }
    let mut in_code = false;
    let mut block = String::new();
    let mut blocks = Vec::new();
    for line in readme.lines() {
        let t = line.trim_start();
        if t.starts_with("```") {
            in_code = !in_code;
            blocks.push(std::mem::take(&mut block));
            continue;
        }
        let item = t.starts_with("- ") || t.starts_with("* ");
        if in_code || t.is_empty() || item || t.starts_with('#') {
            blocks.push(std::mem::take(&mut block));
        }
        if !in_code && !t.is_empty() && !t.starts_with('#') {
            block.push_str(t);
            block.push(' ');
        }
    }
    blocks.push(block);
    for b in blocks.iter().filter(|b| !b.is_empty()) {
        out.extend(prose(b));
    }
    out
}

fn kubectl_create_secret(line: &str) -> Option<Documented> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words
        .windows(3)
        .position(|w| w == ["create", "secret", "generic"])?;
    let secret = words.get(at + 3)?.to_string();
    let mut namespace = None;
    let mut keys = BTreeSet::new();
    for (i, w) in words.iter().enumerate() {
        if *w == "-n" || *w == "--namespace" {
            namespace = words.get(i + 1).map(|s| s.to_string());
        } else if let Some(ns) = w.strip_prefix("--namespace=") {
            namespace = Some(ns.to_string());
        }
        let literal = w
            .strip_prefix("--from-literal=")
            .or_else(|| w.strip_prefix("--from-file="));
        if let Some((key, _)) = literal.and_then(|l| l.split_once('=')) {
            keys.insert(key.to_string());
        }
    }
    Some(Documented {
        secret,
        namespace: namespace?,
        keys,
    })
}

fn prose(block: &str) -> Vec<Documented> {
    let parts: Vec<&str> = block.split('`').collect();
    let mut secrets = Vec::new();
    let mut namespaces = Vec::new();
    let mut keys = BTreeSet::new();
    let mut previous_was_key = false;
    // Code spans are the odd parts; the text around them says what they are.
    for i in (1..parts.len().saturating_sub(1)).step_by(2) {
        let code = parts[i];
        let before = parts[i - 1].trim_end().to_lowercase();
        let after = parts[i + 1].trim_start().to_lowercase();
        let is_key = before.ends_with("key")
            || before.ends_with("keys")
            || (previous_was_key && matches!(before.trim(), "," | "and" | ", and" | "or"));
        previous_was_key = false;
        if code.contains(char::is_whitespace) {
            continue;
        }
        if before.ends_with("secret") {
            secrets.push(code.to_string());
        } else if before.ends_with("namespace") || after.starts_with("namespace") {
            namespaces.push(code.to_string());
        } else if is_key {
            keys.insert(code.to_string());
            previous_was_key = true;
        }
    }
    let mut out = Vec::new();
    for s in &secrets {
        for ns in &namespaces {
            out.push(Documented {
                secret: s.clone(),
                namespace: ns.clone(),
                keys: keys.clone(),
            });
        }
    }
    out
}

/// The platform's `kubernetes_secret(...)` prerequisites, created by the
/// user where the README says, with the keys the README names and those the
/// declaration lists.
fn prerequisites(cluster: &mut Cluster, platform: &Platform, documented: &[Documented]) {
    for s in &platform.secrets {
        let SecretSource::KubernetesSecret { name } = &s.source else {
            continue;
        };
        for d in documented.iter().filter(|d| d.secret == *name) {
            let mut keys = d.keys.clone();
            keys.extend(s.keys.iter().cloned());
            let by = format!(
                "the user, as README.md says (prerequisite of `secret {}`)",
                s.name
            );
            cluster.create(&d.namespace, name, Some(keys), by);
        }
    }
}

/// Splits `helm template` output into its documents, leaving out CRDs
/// (large, and they read nothing) before parsing.
fn parse_rendered(out: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in out.lines().chain(std::iter::once("---")) {
        if line == "---" {
            let doc = std::mem::take(&mut current);
            if doc.lines().any(|l| l == "kind: CustomResourceDefinition") {
                continue;
            }
            let v: Value = serde_yaml_ng::from_str(&doc).map_err(|e| format!("{e}\n{doc}"))?;
            if !v.is_null() {
                docs.push(v);
            }
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    Ok(docs)
}

/// One `helm template` run: the input of a release as Terraform installs it.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Render {
    release: String,
    namespace: String,
    chart: PathBuf,
    values: String,
    sensitive: Vec<String>,
}

impl Render {
    fn run(&self, helm: &Path) -> Result<Vec<Value>, String> {
        let mut cmd = Command::new(helm);
        cmd.arg("template")
            .arg(&self.release)
            .arg(&self.chart)
            .args(["-n", &self.namespace, "--skip-tests", "-f", "-"]);
        for name in &self.sensitive {
            cmd.args(["--set-string", &format!("{name}=placeholder")]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run helm: {e}"))?;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(self.values.as_bytes())
            .map_err(|e| e.to_string())?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        parse_rendered(&String::from_utf8_lossy(&out.stdout))
    }
}

/// Renders every distinct release with two helm processes at a time.
fn render_all(helm: &Path, renders: Vec<Render>) -> HashMap<Render, Result<Vec<Value>, String>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(HashMap::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(r) = renders.get(i) else { break };
                let result = r.run(helm);
                results.lock().unwrap().insert(r.clone(), result);
            });
        }
    });
    results.into_inner().unwrap()
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
        chart["name"] == name && chart["version"] == version
    })?;
    let mut archives: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tgz"))
        .collect();
    archives.sort();
    archives.pop()
}

/// A string of platc's Terraform JSON as Terraform reads it.
fn terraform_text(v: &Value) -> String {
    text(v).replace("$${", "${").replace("%%{", "%{")
}

/// One build of one example: its platform, what platc emits, and the
/// releases to render.
struct Case {
    label: String,
    platform: Platform,
    documented: Vec<Documented>,
    emitted: Cluster,
    releases: Vec<(String, Render)>,
}

fn build_case(example: &Path, environment: Option<&str>, charts: &Path) -> Case {
    let name = example.file_name().unwrap().to_string_lossy().to_string();
    let label = match environment {
        None => format!("examples/{name}, base platform"),
        Some(env) => format!("examples/{name}, environment `{env}`"),
    };
    let options = Options {
        environment: environment.map(str::to_string),
        ..Options::default()
    };
    let b = build_path(&RealFs, example, &options).unwrap();
    let rendered =
        platc_render::render_human(&b.compilation.sources, &b.compilation.diagnostics, false);
    assert!(
        !b.compilation.has_errors(),
        "{label} must build:\n{rendered}"
    );
    let platform = b.compilation.platform.clone().unwrap();
    let files: BTreeMap<&str, &str> = b
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.contents.as_str()))
        .collect();
    let readme = std::fs::read_to_string(example.join("README.md")).unwrap_or_default();

    let mut emitted = Cluster::default();
    for (path, contents) in &files {
        if path.starts_with("kubernetes/") && path.ends_with(".yaml") {
            for doc in serde_yaml_ng::Deserializer::from_str(contents) {
                let doc: Value = serde::Deserialize::deserialize(doc)
                    .unwrap_or_else(|e| panic!("{label}: {path}: {e}"));
                emitted.object(&doc, "default", &format!("platc {path}"));
            }
        }
    }
    let json = |path: &str| -> Value {
        let contents = files
            .get(path)
            .unwrap_or_else(|| panic!("{label}: no {path}"));
        serde_json::from_str(contents).unwrap_or_else(|e| panic!("{label}: {path}: {e}"))
    };
    let main = json("terraform/main.tf.json");
    for (name, r) in main["resource"]["kubernetes_manifest"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let origin = format!("platc terraform kubernetes_manifest.{name}");
        emitted.object(&r["manifest"], "default", &origin);
    }

    let mut releases = Vec::new();
    for (module, m) in main["module"].as_object().into_iter().flatten() {
        let source = terraform_text(&m["source"]);
        let dir = source.trim_start_matches("./");
        let sub = json(&format!("terraform/{dir}/main.tf.json"));
        let release = &sub["resource"]["helm_release"]["this"];
        let (chart, version) = (text(&release["chart"]), text(&release["version"]));
        let archive = chart_archive(charts, chart, version).unwrap_or_else(|| {
            panic!("{label}: chart {chart} {version} (module.{module}) is not in ../shared/charts")
        });
        // One values document: "${file(\"${path.module}/../helm/NAME.values.yaml\")}".
        let [values] = items(&m["values"]) else {
            panic!("{label}: module.{module} has not one values document")
        };
        let expr = text(values);
        let path = expr
            .split_once("/../")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(p, _)| p)
            .unwrap_or_else(|| panic!("{label}: module.{module}: values {expr}"));
        let values = files
            .get(path)
            .unwrap_or_else(|| panic!("{label}: no {path}"))
            .to_string();
        assert!(
            items(&m["extra_values"]).is_empty(),
            "{label}: module.{module} has extra_values, which this test does not render"
        );
        let sensitive = items(&release["set_sensitive"])
            .iter()
            .map(terraform_text)
            .collect();
        let release_name = terraform_text(&m["release_name"]);
        let origin = format!("release {release_name} (chart {chart} {version})");
        releases.push((
            origin,
            Render {
                release: release_name,
                namespace: terraform_text(&m["namespace"]),
                chart: archive,
                values,
                sensitive,
            },
        ));
    }
    Case {
        label,
        platform,
        documented: documented_secrets(&readme),
        emitted,
        releases,
    }
}

fn examples() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("main.plat").is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn every_secret_the_examples_read_exists_in_the_readers_namespace() {
    let Some(helm) = helm() else { return };
    let Some(charts) = charts_dir() else { return };
    let start = std::time::Instant::now();
    let mut cases = Vec::new();
    for example in examples() {
        let base = build_case(&example, None, &charts);
        let environments = base.platform.environments.clone();
        cases.push(base);
        for env in &environments {
            cases.push(build_case(&example, Some(env), &charts));
        }
    }
    let mut distinct: Vec<Render> = Vec::new();
    for (_, r) in cases.iter().flat_map(|c| &c.releases) {
        if !distinct.contains(r) {
            distinct.push(r.clone());
        }
    }
    let renders = distinct.len();
    let rendered = render_all(&helm, distinct);

    let mut failures = Vec::new();
    let mut references = 0;
    for mut case in cases {
        let mut cluster = std::mem::take(&mut case.emitted);
        for (origin, r) in &case.releases {
            match &rendered[r] {
                Ok(docs) => docs
                    .iter()
                    .for_each(|d| cluster.object(d, &r.namespace, origin)),
                Err(e) => failures.push(format!(
                    "{}: helm template fails for {origin}:\n{e}",
                    case.label
                )),
            }
        }
        prerequisites(&mut cluster, &case.platform, &case.documented);
        assert!(
            !cluster.references.is_empty(),
            "{}: no Secret reference found: the walk is broken",
            case.label
        );
        references += cluster.references.len();
        let problems = cluster.unsatisfied(&case.platform, &case.documented);
        if !problems.is_empty() {
            failures.push(format!("{}:\n{}", case.label, problems.join("")));
        }
    }
    eprintln!(
        "checked {references} Secret references in {renders} helm renders in {:.1?}",
        start.elapsed()
    );
    assert!(
        failures.is_empty(),
        "Secrets read where nothing creates them (every such pod fails to start):\n\n{}",
        failures.join("\n")
    );
}

/// The check itself, on objects written here: it must find what is
/// missing, in the wrong namespace or without the key, and accept what an
/// ExternalSecret, CloudNativePG or a documented prerequisite creates.
#[test]
fn the_check_reports_each_kind_of_unsatisfied_reference() {
    let objects = r#"
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: apps }
spec:
  template:
    spec:
      imagePullSecrets: [{ name: registry }]
      volumes:
        - name: tls
          secret: { secretName: web-tls, items: [{ key: tls.crt, path: c }] }
        - name: maybe
          secret: { secretName: nowhere, optional: true }
        - name: all
          projected: { sources: [{ secret: { name: db-app } }] }
      containers:
        - name: app
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
          envFrom: [{ secretRef: { name: lake-root } }]
---
apiVersion: v1
kind: Secret
metadata: { name: web-tls, namespace: apps }
data: { tls.key: "" }
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
spec: { provider: { kubernetes: { remoteNamespace: apps } } }
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
"#;
    let mut cluster = Cluster::default();
    for doc in serde_yaml_ng::Deserializer::from_str(objects) {
        let doc: Value = serde::Deserialize::deserialize(doc).unwrap();
        cluster.object(&doc, "default", "test");
    }
    let readme = "Before deploying, create the Secret `lake-root` (keys `rootUser` and\n\
                  `rootPassword`) in the `data` namespace.\n\n\
                  ```sh\nkubectl -n apps create secret generic registry \\\n  \
                  --from-literal=.dockerconfigjson=x\n```\n";
    let documented = documented_secrets(readme);
    assert_eq!(
        documented
            .iter()
            .map(|d| (d.secret.as_str(), d.namespace.as_str(), d.keys.len()))
            .collect::<Vec<_>>(),
        [("registry", "apps", 1), ("lake-root", "data", 2)]
    );
    let mut fs = platc_driver::MemoryFs::new();
    fs.insert(
        "/p/main.plat",
        "platform \"p\" {}\nsecret lake from kubernetes_secret(\"lake-root\", \"rootUser\")\n\
         secret pull from kubernetes_secret(\"registry\", \".dockerconfigjson\")\n",
    );
    let b = build_path(&fs, Path::new("/p"), &Options::default()).unwrap();
    let platform = b.compilation.platform.unwrap();
    prerequisites(&mut cluster, &platform, &documented);
    let report = cluster.unsatisfied(&platform, &documented).join("");
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
    ] {
        assert!(!report.contains(satisfied), "{satisfied} in:\n{report}");
    }
}
