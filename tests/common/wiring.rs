//! Cross-object wiring of what one build deploys: every Secret, ConfigMap,
//! ServiceAccount and PersistentVolumeClaim that something reads must be
//! created by something, in the reader's namespace, with the key it reads,
//! and by the time the reader needs it.
//!
//! References, in every pod spec (found generically: any object with a
//! `containers` list, so Deployments, StatefulSets, Jobs, CronJobs, pod
//! templates of operators' resources, and pod templates that a ConfigMap
//! holds as YAML, like Airflow's `pod_template_file`), unless marked
//! `optional: true`, and in the environment that JupyterHub's spawner gives
//! the notebook pods it starts (`singleuser.extraEnv` of the values the
//! chart keeps in its hub Secret, key `values.yaml`):
//! - Secrets: `env[].valueFrom.secretKeyRef`, `envFrom[].secretRef`,
//!   `volumes[].secret`, `volumes[].projected.sources[].secret` (with the
//!   keys of `items`) and `imagePullSecrets`;
//! - ConfigMaps: `configMapKeyRef`, `configMapRef`, `volumes[].configMap`
//!   and projected `configMap` sources (with the keys of `items`);
//! - the ServiceAccount `serviceAccountName`;
//! - PersistentVolumeClaims: `volumes[].persistentVolumeClaim.claimName`;
//!
//! and each container's `volumeMounts` must name a volume of the pod, or a
//! `volumeClaimTemplates` entry of its StatefulSet. Operators' resources
//! read too: the Secrets (and custom-query ConfigMaps) a CloudNativePG
//! `Cluster` reads, the Secrets an `ExternalSecret` reads through a
//! `SecretStore` of the Kubernetes provider that the output creates, and
//! that store's ServiceAccount and CA ConfigMap.
//!
//! Creators: the objects that a release renders or platc emits, the
//! `volumeClaimTemplates` of a StatefulSet (Kubernetes creates their claims),
//! the targets of `ExternalSecret`s, the Secrets CloudNativePG creates for a
//! `Cluster` (`NAME-app`; `NAME-superuser` with `enableSuperuserAccess`), what
//! Kubernetes creates in every namespace (the ServiceAccount `default`, the
//! ConfigMap `kube-root-ca.crt`), and the prerequisites that the example's
//! README.md lists (see [`prerequisites`]).
//!
//! In time: platc's `kubernetes/` manifests (applied first), the Secrets of
//! its Terraform root module (every module waits for them) and the
//! prerequisites exist before any release. Within a release, Helm creates
//! the `pre-install` hooks, then the release's objects, then the
//! `post-install` hooks, and Terraform applies the instance's resources
//! after its chart: a reader is satisfied by what its own phase or an
//! earlier one creates, and a hook with the delete policy `hook-succeeded`
//! exists only during its own phase. Across releases, a release may read
//! what another release (or an operator, for an object of that release)
//! creates only if it depends on it in the platform graph, since Terraform
//! installs releases without a dependency between them in any order. What
//! platc's own manifests read (External Secrets, applied before the releases)
//! is reconciled until it exists, so only its existence is checked.
//!
//! Two releases, or a release and platc, must not create the same object:
//! Helm refuses to install an object that another release owns.

use std::collections::{BTreeMap, BTreeSet};

use platc_driver::Platform;
use platc_sema::SecretSource;
use serde_json::Value;

/// The keys of the Secrets CloudNativePG writes for a cluster's owner and
/// superuser (`pkg/specs/secrets.go`; docs: "Connecting from an
/// application", Secrets).
pub const CNPG_CREDENTIAL_KEYS: &[&str] = &[
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

/// The kinds of object whose references are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Secret,
    ConfigMap,
    ServiceAccount,
    PersistentVolumeClaim,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Secret => "Secret",
            Kind::ConfigMap => "ConfigMap",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::PersistentVolumeClaim => "PersistentVolumeClaim",
        }
    }

    pub fn parse(kind: &str) -> Option<Kind> {
        [
            Kind::Secret,
            Kind::ConfigMap,
            Kind::ServiceAccount,
            Kind::PersistentVolumeClaim,
        ]
        .into_iter()
        .find(|k| k.name() == kind)
    }
}

/// The steps of one release's install, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    PreInstall,
    Install,
    PostInstall,
    /// Terraform's `kubernetes_manifest`s of the instance, after its chart.
    AfterChart,
}

impl Phase {
    fn describe(self) -> &'static str {
        match self {
            Phase::PreInstall => "a pre-install hook",
            Phase::Install => "the release's objects",
            Phase::PostInstall => "a post-install hook",
            Phase::AfterChart => "the resources Terraform applies after the chart",
        }
    }
}

/// Where an object comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// platc's `kubernetes/` manifests and its Terraform root module: they
    /// exist before any release.
    Platc,
    /// `helm template` of a release (hooks found by their annotations).
    Release(String),
    /// A `kubernetes_manifest` of an instance's Terraform module, applied
    /// after its chart.
    AfterChart(String),
}

/// Who reads, and when: `release` is `None` for platc's own manifests,
/// which controllers reconcile until what they read exists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct At {
    pub release: Option<String>,
    pub phase: Phase,
}

/// When a created object exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    Before,
    Release {
        release: String,
        phase: Phase,
        /// A hook deleted once its phase succeeded.
        transient: bool,
    },
}

/// One read of an object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    pub key: Option<String>,
    /// Who reads it: origin, object, container and field.
    pub reader: String,
    pub at: At,
}

/// An object that will exist.
#[derive(Debug, Clone)]
pub struct Creation {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    /// The keys of a Secret or ConfigMap; `None` when they cannot be told.
    pub keys: Option<BTreeSet<String>>,
    pub by: String,
    pub when: When,
}

/// Everything one build deploys: what reads and what creates.
#[derive(Default)]
pub struct Cluster {
    pub references: BTreeSet<Reference>,
    pub creations: Vec<Creation>,
    /// `SecretStore`s of the Kubernetes provider: (namespace, name) → the
    /// namespace whose Secrets they read.
    stores: BTreeMap<(String, String), String>,
    /// ExternalSecret entries that read through a namespaced `SecretStore`:
    /// a reference when the store is one of the Kubernetes provider.
    store_reads: Vec<((String, String), Reference)>,
    /// Mistakes inside one object (a mount of no volume).
    pub broken: Vec<String>,
    /// (API group, kind, namespace, name) → owner (a release, or `platc`)
    /// → where it comes from.
    identities: BTreeMap<(String, String, String, String), BTreeMap<String, String>>,
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

/// Built-in kinds without a namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "ClusterRole",
    "ClusterRoleBinding",
    "CSIDriver",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "PersistentVolume",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
];

impl Cluster {
    fn read(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &Value,
        key: Option<&str>,
        reader: String,
        at: &At,
    ) {
        self.references.insert(Reference {
            kind,
            namespace: ns.to_string(),
            name: text(name).to_string(),
            key: key.map(str::to_string),
            reader,
            at: at.clone(),
        });
    }

    pub fn create(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        keys: Option<BTreeSet<String>>,
        by: String,
        when: When,
    ) {
        self.creations.push(Creation {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
            keys,
            by,
            when,
        });
    }

    /// One Kubernetes object, deployed in `namespace` unless it names its
    /// own; `label` says where it comes from (a release, a platc file).
    pub fn object(&mut self, doc: &Value, namespace: &str, source: &Source, label: &str) {
        let kind = text(&doc["kind"]);
        // A CRD's schema mentions `containers` and `secretKeyRef`; it is
        // not an object that reads anything.
        if kind == "CustomResourceDefinition" || !doc.is_object() {
            return;
        }
        let name = text(&doc["metadata"]["name"]);
        let ns = doc["metadata"]["namespace"].as_str().unwrap_or(namespace);
        let object = format!("{label}: {kind}/{name}");
        let group = text(&doc["apiVersion"])
            .rsplit_once('/')
            .map_or("", |(g, _)| g);

        // When it exists, and when what it reads must exist.
        let annotations = &doc["metadata"]["annotations"];
        let hook = text(&annotations["helm.sh/hook"]);
        let (at, transient) = match source {
            Source::Platc => (None, false),
            Source::AfterChart(r) => (Some((r.clone(), Phase::AfterChart)), false),
            Source::Release(r) => {
                let phase = if hook.is_empty() {
                    Phase::Install
                } else if hook.split(',').any(|h| h.trim() == "pre-install") {
                    Phase::PreInstall
                } else {
                    Phase::PostInstall
                };
                let policy = text(&annotations["helm.sh/hook-delete-policy"]);
                let transient =
                    !hook.is_empty() && policy.split(',').any(|p| p.trim() == "hook-succeeded");
                (Some((r.clone(), phase)), transient)
            }
        };
        let when = match &at {
            None => When::Before,
            Some((release, phase)) => When::Release {
                release: release.clone(),
                phase: *phase,
                transient,
            },
        };
        let at = match at {
            None => At {
                release: None,
                phase: Phase::Install,
            },
            Some((release, phase)) => At {
                release: Some(release),
                phase,
            },
        };

        let scoped = if CLUSTER_SCOPED.contains(&kind) {
            ""
        } else {
            ns
        };
        let owner = match source {
            Source::Release(r) => r.clone(),
            _ => "platc".to_string(),
        };
        self.identities
            .entry((
                group.to_string(),
                kind.to_string(),
                scoped.to_string(),
                name.to_string(),
            ))
            .or_default()
            .entry(owner)
            .or_insert_with(|| object.clone());

        if group.is_empty() {
            if let Some(k) = Kind::parse(kind) {
                let keys = match k {
                    Kind::Secret | Kind::ConfigMap => Some(
                        ["data", "stringData", "binaryData"]
                            .iter()
                            .filter_map(|f| doc[*f].as_object())
                            .flat_map(|m| m.keys().cloned())
                            .collect(),
                    ),
                    _ => None,
                };
                self.create(k, ns, name, keys, object.clone(), when.clone());
            }
        }
        let mut claim_templates = Vec::new();
        match (group, kind) {
            ("", "ConfigMap") => {
                // Pod templates kept as YAML for an executor or operator
                // (Airflow's `pod_template_file.yaml`): the pods it starts
                // run in the ConfigMap's namespace, later (reconciled).
                for (key, value) in doc["data"].as_object().into_iter().flatten() {
                    if key.ends_with(".yaml") || key.ends_with(".yml") {
                        if let Ok(template) = serde_yaml_ng::from_str::<Value>(text(value)) {
                            let reader = format!("{object}, pod template in key {key}");
                            self.pod_specs(&template, ns, &reader, &at, &[]);
                        }
                    }
                }
                return;
            }
            ("", "Secret") => {
                // JupyterHub's hub keeps its chart values in its Secret; its
                // spawner starts the notebook pods, in the Secret's
                // namespace, with `singleuser.extraEnv` (a map of names to
                // values or `valueFrom`s, or a list of `env` entries).
                let Some(values) = doc["data"]["values.yaml"]
                    .as_str()
                    .and_then(base64_decode)
                    .and_then(|t| serde_yaml_ng::from_slice::<Value>(&t).ok())
                else {
                    return;
                };
                let env = &values["singleuser"]["extraEnv"];
                let entries: Vec<(String, &Value)> = match env {
                    Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v)).collect(),
                    Value::Array(xs) => xs
                        .iter()
                        .map(|e| (text(&e["name"]).to_string(), e))
                        .collect(),
                    _ => Vec::new(),
                };
                for (var, e) in entries {
                    let r = &e["valueFrom"]["secretKeyRef"];
                    if r.is_object() && !optional(r) {
                        let reader = format!("{object}, the notebook pods it spawns, env {var}");
                        self.read(
                            Kind::Secret,
                            ns,
                            &r["name"],
                            Some(text(&r["key"])),
                            reader,
                            &at,
                        );
                    }
                }
                return;
            }
            ("apps", "StatefulSet") => {
                // Kubernetes creates a claim per template and pod.
                for t in items(&doc["spec"]["volumeClaimTemplates"]) {
                    claim_templates.push(text(&t["metadata"]["name"]).to_string());
                }
            }
            ("external-secrets.io", "ExternalSecret") => {
                self.external_secret(doc, ns, &object, &at, &when)
            }
            ("external-secrets.io", "SecretStore") => {
                let kubernetes = &doc["spec"]["provider"]["kubernetes"];
                if kubernetes.is_object() {
                    // The provider's default remote namespace is `default`.
                    let remote = kubernetes["remoteNamespace"].as_str().unwrap_or("default");
                    let id = (ns.to_string(), name.to_string());
                    self.stores.insert(id, remote.to_string());
                    let sa = &kubernetes["auth"]["serviceAccount"];
                    if sa["name"].is_string() {
                        let sa_ns = sa["namespace"].as_str().unwrap_or(ns);
                        let reader = format!("{object}, auth.serviceAccount");
                        self.read(Kind::ServiceAccount, sa_ns, &sa["name"], None, reader, &at);
                    }
                    let ca = &kubernetes["server"]["caProvider"];
                    if let Some(k) = ca["type"].as_str().and_then(Kind::parse) {
                        let ca_ns = ca["namespace"].as_str().unwrap_or(ns);
                        let reader = format!("{object}, server.caProvider");
                        self.read(k, ca_ns, &ca["name"], ca["key"].as_str(), reader, &at);
                    }
                }
            }
            ("postgresql.cnpg.io", "Cluster") => {
                self.cnpg_cluster(doc, ns, name, &object, &at, &when)
            }
            _ => {}
        }
        self.pod_specs(doc, ns, &object, &at, &claim_templates);
    }

    /// Every pod spec inside `v`: any object with a `containers` list.
    fn pod_specs(&mut self, v: &Value, ns: &str, object: &str, at: &At, claims: &[String]) {
        match v {
            Value::Object(m) if m.get("containers").is_some_and(Value::is_array) => {
                self.pod_spec(v, ns, object, at, claims)
            }
            Value::Object(m) => m
                .values()
                .for_each(|x| self.pod_specs(x, ns, object, at, claims)),
            Value::Array(xs) => xs
                .iter()
                .for_each(|x| self.pod_specs(x, ns, object, at, claims)),
            _ => {}
        }
    }

    fn pod_spec(&mut self, spec: &Value, ns: &str, object: &str, at: &At, claims: &[String]) {
        let volumes: BTreeSet<&str> = items(&spec["volumes"])
            .iter()
            .map(|v| text(&v["name"]))
            .collect();
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for c in items(&spec[list]) {
                let container = format!("{object}, container {}", text(&c["name"]));
                for e in items(&c["env"]) {
                    for (field, kind) in [
                        ("secretKeyRef", Kind::Secret),
                        ("configMapKeyRef", Kind::ConfigMap),
                    ] {
                        let r = &e["valueFrom"][field];
                        if r.is_object() && !optional(r) {
                            let reader = format!("{container}, env {}", text(&e["name"]));
                            self.read(kind, ns, &r["name"], Some(text(&r["key"])), reader, at);
                        }
                    }
                }
                for e in items(&c["envFrom"]) {
                    for (field, kind) in [
                        ("secretRef", Kind::Secret),
                        ("configMapRef", Kind::ConfigMap),
                    ] {
                        let r = &e[field];
                        if r.is_object() && !optional(r) {
                            let reader = format!("{container}, envFrom");
                            self.read(kind, ns, &r["name"], None, reader, at);
                        }
                    }
                }
                for m in items(&c["volumeMounts"]) {
                    let name = text(&m["name"]);
                    if !volumes.contains(name) && !claims.iter().any(|c| c == name) {
                        self.broken.push(format!(
                            "{container} mounts `{name}`, which is no volume of the pod{}",
                            if claims.is_empty() {
                                String::new()
                            } else {
                                " nor a volumeClaimTemplate".to_string()
                            }
                        ));
                    }
                }
            }
        }
        for v in items(&spec["volumes"]) {
            let volume = format!("{object}, volume {}", text(&v["name"]));
            let s = &v["secret"];
            if s.is_object() && !optional(s) {
                self.volume(
                    Kind::Secret,
                    ns,
                    &s["secretName"],
                    &s["items"],
                    volume.clone(),
                    at,
                );
            }
            let m = &v["configMap"];
            if m.is_object() && !optional(m) {
                self.volume(
                    Kind::ConfigMap,
                    ns,
                    &m["name"],
                    &m["items"],
                    volume.clone(),
                    at,
                );
            }
            for source in items(&v["projected"]["sources"]) {
                for (field, kind) in [("secret", Kind::Secret), ("configMap", Kind::ConfigMap)] {
                    let s = &source[field];
                    if s.is_object() && !optional(s) {
                        let reader = format!("{volume} (projected)");
                        self.volume(kind, ns, &s["name"], &s["items"], reader, at);
                    }
                }
            }
            let claim = &v["persistentVolumeClaim"]["claimName"];
            if claim.is_string() {
                self.read(Kind::PersistentVolumeClaim, ns, claim, None, volume, at);
            }
        }
        for p in items(&spec["imagePullSecrets"]) {
            let reader = format!("{object}, imagePullSecrets");
            self.read(Kind::Secret, ns, &p["name"], None, reader, at);
        }
        let account = match &spec["serviceAccountName"] {
            Value::String(s) => Value::String(s.clone()),
            _ => spec["serviceAccount"].clone(),
        };
        if account.is_string() {
            let reader = format!("{object}, serviceAccountName");
            self.read(Kind::ServiceAccount, ns, &account, None, reader, at);
        }
    }

    /// A Secret or ConfigMap volume: the whole object, or the keys its
    /// `items` project.
    fn volume(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &Value,
        projected: &Value,
        reader: String,
        at: &At,
    ) {
        if items(projected).is_empty() {
            self.read(kind, ns, name, None, reader.clone(), at);
        }
        for item in items(projected) {
            self.read(kind, ns, name, Some(text(&item["key"])), reader.clone(), at);
        }
    }

    /// The External Secrets Operator writes `spec.target.name` (default: the
    /// ExternalSecret's name) with a key per `data` entry, or per entry of
    /// `target.template.data` when a template renders them, unless it only
    /// merges into an existing Secret or creates none. An entry read through
    /// a namespaced `SecretStore` of the Kubernetes provider reads a Secret.
    fn external_secret(&mut self, doc: &Value, ns: &str, object: &str, at: &At, when: &When) {
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
                    kind: Kind::Secret,
                    namespace: String::new(),
                    name: text(&d["remoteRef"]["key"]).to_string(),
                    key: d["remoteRef"]["property"].as_str().map(str::to_string),
                    reader,
                    at: at.clone(),
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
        let by = format!("{object} (target Secret)");
        self.create(Kind::Secret, ns, target, keys, by, when.clone());
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
    /// "Connecting from an application", Secrets; "Bootstrap"; "Backup";
    /// "Monitoring", custom queries). It creates its Secrets once it
    /// reconciles the `Cluster`: with the objects of the `Cluster`'s release.
    fn cnpg_cluster(
        &mut self,
        doc: &Value,
        ns: &str,
        name: &str,
        object: &str,
        at: &At,
        when: &When,
    ) {
        let spec = &doc["spec"];
        let basic_auth = ["username", "password"];
        let mut own_app_secret = false;
        for method in ["initdb", "recovery", "pg_basebackup"] {
            let secret = &spec["bootstrap"][method]["secret"]["name"];
            if secret.is_string() {
                own_app_secret = true;
                for key in basic_auth {
                    let reader = format!("{object}, spec.bootstrap.{method}.secret");
                    self.read(Kind::Secret, ns, secret, Some(key), reader, at);
                }
            }
        }
        let keys = || Some(CNPG_CREDENTIAL_KEYS.iter().map(|k| k.to_string()).collect());
        let operator = match when {
            When::Before => When::Before,
            When::Release { release, .. } => When::Release {
                release: release.clone(),
                phase: Phase::Install,
                transient: false,
            },
        };
        if !own_app_secret {
            let by = format!("CloudNativePG, for {object}");
            let app = format!("{name}-app");
            self.create(Kind::Secret, ns, &app, keys(), by, operator.clone());
        }
        let superuser = &spec["superuserSecret"]["name"];
        if superuser.is_string() {
            for key in basic_auth {
                let reader = format!("{object}, spec.superuserSecret");
                self.read(Kind::Secret, ns, superuser, Some(key), reader, at);
            }
        } else if spec["enableSuperuserAccess"] == Value::Bool(true) {
            let by = format!("CloudNativePG, for {object} (enableSuperuserAccess)");
            let su = format!("{name}-superuser");
            self.create(Kind::Secret, ns, &su, keys(), by, operator);
        }
        for role in items(&spec["managed"]["roles"]) {
            let secret = &role["passwordSecret"]["name"];
            if secret.is_string() {
                for key in basic_auth {
                    let reader = format!(
                        "{object}, spec.managed.roles[{}].passwordSecret",
                        text(&role["name"])
                    );
                    self.read(Kind::Secret, ns, secret, Some(key), reader, at);
                }
            }
        }
        for (field, kind) in [
            ("customQueriesConfigMap", Kind::ConfigMap),
            ("customQueriesSecret", Kind::Secret),
        ] {
            for sel in items(&spec["monitoring"][field]) {
                let reader = format!("{object}, spec.monitoring.{field}");
                self.read(kind, ns, &sel["name"], Some(text(&sel["key"])), reader, at);
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
                    self.read(
                        Kind::Secret,
                        ns,
                        &sel["name"],
                        Some(text(&sel["key"])),
                        reader,
                        at,
                    );
                }
            }
        }
        for (at_path, store) in object_stores {
            for (field, creds) in store.as_object().into_iter().flatten() {
                if !field.ends_with("Credentials") {
                    continue;
                }
                for (part, sel) in creds.as_object().into_iter().flatten() {
                    if sel["name"].is_string() && sel["key"].is_string() {
                        let reader =
                            format!("{object}, {at_path}.barmanObjectStore.{field}.{part}");
                        self.read(
                            Kind::Secret,
                            ns,
                            &sel["name"],
                            Some(text(&sel["key"])),
                            reader,
                            at,
                        );
                    }
                }
            }
        }
    }

    /// Whether anything reads the object.
    pub fn is_read(&self, kind: Kind, namespace: &str, name: &str) -> bool {
        self.references
            .iter()
            .chain(&self.store_references())
            .any(|r| r.kind == kind && r.namespace == namespace && r.name == name)
    }

    /// Objects that two owners (releases, or a release and platc) create.
    pub fn clashes(&self) -> Vec<String> {
        self.identities
            .iter()
            .filter(|(_, owners)| owners.len() > 1)
            .map(|((_, kind, ns, name), owners)| {
                let place = if ns.is_empty() {
                    String::new()
                } else {
                    format!(" in namespace `{ns}`")
                };
                format!(
                    "  {kind} `{name}`{place} is created by more than one owner, and Helm \
                     installs no object that another release owns: {}\n",
                    owners.values().cloned().collect::<Vec<_>>().join("; ")
                )
            })
            .collect()
    }

    /// Every reference that no creation satisfies, with what is wrong,
    /// grouped by object. `deps` holds every release's transitive
    /// dependencies (releases).
    pub fn unsatisfied(
        &self,
        platform: &Platform,
        documented: &[Prerequisite],
        deps: &BTreeMap<String, BTreeSet<String>>,
    ) -> Vec<String> {
        let mut problems: BTreeMap<(Kind, String, String, String), Vec<String>> = BTreeMap::new();
        let through_stores = self.store_references();
        for r in self.references.iter().chain(&through_stores) {
            if is_builtin(r) {
                continue;
            }
            let same: Vec<&Creation> = self
                .creations
                .iter()
                .filter(|c| c.kind == r.kind && c.namespace == r.namespace && c.name == r.name)
                .collect();
            let has_key = |c: &&&Creation| match (&r.key, &c.keys) {
                (Some(k), Some(keys)) => keys.contains(k),
                _ => true,
            };
            let with_key: Vec<&&Creation> = same.iter().filter(has_key).collect();
            let late: Vec<String> = with_key
                .iter()
                .filter_map(|c| {
                    in_time(&c.when, &r.at, deps)
                        .err()
                        .map(|e| format!("{} {e}", c.by))
                })
                .collect();
            if !with_key.is_empty() && late.len() < with_key.len() {
                continue;
            }
            let problem = if same.is_empty() {
                self.why_missing(r, platform, documented)
            } else if with_key.is_empty() {
                let creators: Vec<String> = same
                    .iter()
                    .map(|c| {
                        let keys = c.keys.iter().flatten().cloned().collect::<Vec<_>>();
                        format!("{} (keys: {})", c.by, keys.join(", "))
                    })
                    .collect();
                format!(
                    "the {} exists but has no key `{}`: created by {}",
                    r.kind.name(),
                    r.key.as_deref().unwrap_or(""),
                    creators.join("; ")
                )
            } else {
                format!("it does not exist yet when it is read: {}", late.join("; "))
            };
            let what = match &r.key {
                Some(k) => format!("key `{k}`"),
                None => format!("the whole {}", r.kind.name()),
            };
            problems
                .entry((r.kind, r.namespace.clone(), r.name.clone(), problem))
                .or_default()
                .push(format!("{what}, read by {}", r.reader));
        }
        problems
            .into_iter()
            .map(|((kind, ns, name, problem), readers)| {
                format!(
                    "  {} `{name}` in namespace `{ns}`: {problem}\n{}",
                    kind.name(),
                    shown(&readers)
                )
            })
            .collect()
    }

    fn why_missing(
        &self,
        r: &Reference,
        platform: &Platform,
        documented: &[Prerequisite],
    ) -> String {
        let prerequisite = platform.secrets.iter().find(|s| {
            r.kind == Kind::Secret
                && matches!(&s.source, SecretSource::KubernetesSecret { name } if *name == r.name)
        });
        if let Some(s) = prerequisite {
            let elsewhere: Vec<&str> = documented
                .iter()
                .filter(|d| d.kind == r.kind && d.name == r.name)
                .map(|d| d.namespace.as_str())
                .collect();
            return format!(
                "it is the prerequisite of `secret {} from kubernetes_secret(\"{}\", ...)`, \
                 which the user creates, but the Prerequisites list of README.md does not \
                 name it in namespace `{}` ({}); add it there, with its keys",
                s.name,
                r.name,
                r.namespace,
                if elsewhere.is_empty() {
                    "it names it in no namespace".to_string()
                } else {
                    format!("only in {}", elsewhere.join(", "))
                }
            );
        }
        let elsewhere: Vec<String> = self
            .creations
            .iter()
            .filter(|c| c.kind == r.kind && c.name == r.name)
            .map(|c| format!("`{}` (by {})", c.namespace, c.by))
            .collect();
        if !elsewhere.is_empty() {
            return format!(
                "it exists only in another namespace: {}; a pod reads objects of its own namespace only",
                elsewhere.join(", ")
            );
        }
        format!(
            "nothing creates it: no release renders it, platc emits no such {}, no operator \
             creates it from a rendered resource, and README.md lists no such prerequisite",
            r.kind.name()
        )
    }
}

/// The first readers of an object, and how many more there are.
fn shown(readers: &[String]) -> String {
    const MAX: usize = 6;
    let mut out: String = readers
        .iter()
        .take(MAX)
        .map(|r| format!("    - {r}\n"))
        .collect();
    if readers.len() > MAX {
        out.push_str(&format!("    - and {} more\n", readers.len() - MAX));
    }
    out
}

/// What Kubernetes creates in every namespace.
fn is_builtin(r: &Reference) -> bool {
    match r.kind {
        Kind::ServiceAccount => r.name == "default",
        Kind::ConfigMap => {
            r.name == "kube-root-ca.crt" && r.key.as_deref().is_none_or(|k| k == "ca.crt")
        }
        _ => false,
    }
}

/// Whether an object created `when` exists when `at` reads it; the error
/// says why not.
fn in_time(when: &When, at: &At, deps: &BTreeMap<String, BTreeSet<String>>) -> Result<(), String> {
    let When::Release {
        release,
        phase,
        transient,
    } = when
    else {
        return Ok(());
    };
    let Some(reader) = &at.release else {
        return Ok(());
    };
    if reader == release {
        if *phase > at.phase {
            return Err(format!(
                "is created by {}, a later step of the install than its reader ({}): Helm \
                 creates the pre-install hooks, then the release's objects, then the \
                 post-install hooks, each step waiting for the one before",
                phase.describe(),
                at.phase.describe()
            ));
        }
        if *transient && *phase != at.phase {
            return Err(format!(
                "is {} with the delete policy `hook-succeeded`: Helm deletes it once that \
                 step succeeded, before its reader ({}) runs",
                phase.describe(),
                at.phase.describe()
            ));
        }
        return Ok(());
    }
    if *transient {
        return Err(format!(
            "is a hook of release `{release}` that Helm deletes once it succeeded"
        ));
    }
    if !deps.get(reader).is_some_and(|d| d.contains(release)) {
        return Err(format!(
            "belongs to release `{release}`, which release `{reader}` does not depend on: \
             Terraform may install `{reader}` first, and its install waits for pods that \
             cannot start"
        ));
    }
    Ok(())
}

/// An object that the README tells the user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prerequisite {
    pub kind: Kind,
    pub name: String,
    pub namespace: String,
    pub keys: BTreeSet<String>,
}

/// The heading of the one list of prerequisites in an example's README.
pub const PREREQUISITES: &str = "## Prerequisites";

/// The prerequisites of an example: the items of the list in the section
/// `## Prerequisites` of its README.md, each of the form
///
/// ```text
/// - KIND `NAME` in namespace `NAMESPACE`, keys `A`, `B` and `C`: why ...
/// ```
///
/// (`key `A`` for one key; no keys part for a ServiceAccount or claim)
/// where KIND is `Secret`, `ConfigMap`, `ServiceAccount` or
/// `PersistentVolumeClaim`. Whatever else the section says (an
/// introduction, commands under an item) is for the reader; every
/// `kubectl create secret generic` or `kubectl create configmap` command in
/// it must create an item of the list, in its namespace, with exactly its
/// keys. A README without the section lists nothing.
pub fn prerequisites(readme: &str) -> Result<Vec<Prerequisite>, String> {
    let mut lines = readme.lines().skip_while(|l| l.trim_end() != PREREQUISITES);
    if lines.next().is_none() {
        return Ok(Vec::new());
    }
    let section: Vec<&str> = lines
        .take_while(|l| !l.starts_with("# ") && !l.starts_with("## "))
        .collect();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    // Items: a line starting with `- ` at the margin, with its indented
    // continuation lines up to the first blank line.
    let mut in_code = false;
    let mut i = 0;
    while i < section.len() {
        let line = section[i];
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with("- ") {
            let mut item = line[2..].trim().to_string();
            let mut j = i + 1;
            while j < section.len()
                && !section[j].trim().is_empty()
                && section[j].starts_with(' ')
                && !section[j].trim_start().starts_with("```")
            {
                item.push(' ');
                item.push_str(section[j].trim());
                j += 1;
            }
            match item_of(&item) {
                Ok(p) => out.push(p),
                Err(e) => errors.push(e),
            }
            i = j;
            continue;
        }
        i += 1;
    }
    // The commands must create what the list says.
    let joined = section.join("\n").replace("\\\n", " ");
    for line in joined.lines().filter(|l| l.contains("kubectl")) {
        let Some(cmd) = kubectl_create(line) else {
            continue;
        };
        // The item of the same object: in the command's namespace when
        // the list names one there (a Secret of one name in each team's
        // namespace), else any of that name.
        let same = |p: &&Prerequisite| p.kind == cmd.kind && p.name == cmd.name;
        match out
            .iter()
            .filter(same)
            .find(|p| p.namespace == cmd.namespace)
            .or_else(|| out.iter().find(same))
        {
            None => errors.push(format!(
                "a command creates the {} `{}`, which the list does not name",
                cmd.kind.name(),
                cmd.name
            )),
            Some(p) if p.namespace != cmd.namespace || p.keys != cmd.keys => errors.push(format!(
                "the command that creates the {} `{}` does not match its item: it creates it \
                 in namespace `{}` with the keys {:?}, the item says namespace `{}` and keys {:?}",
                cmd.kind.name(),
                cmd.name,
                cmd.namespace,
                cmd.keys,
                p.namespace,
                p.keys
            )),
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.join("\n"))
    }
}

/// One item: ``KIND `NAME` in namespace `NS`[, key(s) `A`[, `B`] [and `C`]]: ...``.
fn item_of(item: &str) -> Result<Prerequisite, String> {
    let form = "write `- KIND `NAME` in namespace `NAMESPACE`, keys `A` and `B`: why`";
    let bad = |why: &str| format!("cannot read the item `{item}`: {why}; {form}");
    let head = item.split_once("`:").map_or(item, |(h, _)| h);
    // Code spans are the odd parts; the text around them says what they are.
    let closed = format!("{head}`");
    let parts: Vec<&str> = closed.split('`').collect();
    if parts.len() < 5 {
        return Err(bad("too few names in backquotes"));
    }
    let kind = Kind::parse(parts[0].trim()).ok_or_else(|| bad("unknown kind"))?;
    if parts[2] != " in namespace " {
        return Err(bad("`in namespace` must follow the name"));
    }
    let mut keys = BTreeSet::new();
    let rest = &parts[4..parts.len() - 1];
    if !rest.is_empty() {
        if !matches!(rest[0], ", keys " | ", key ") {
            return Err(bad(
                "the keys must follow the namespace as `, keys `A` and `B``",
            ));
        }
        for (n, part) in rest[1..].iter().enumerate() {
            if n % 2 == 0 {
                keys.insert(part.to_string());
            } else if !matches!(*part, ", " | " and " | ", and ") {
                return Err(bad("keys are separated by `, ` and `and`"));
            }
        }
    }
    Ok(Prerequisite {
        kind,
        name: parts[1].to_string(),
        namespace: parts[3].to_string(),
        keys,
    })
}

/// A `kubectl create secret generic NAME` or `kubectl create configmap NAME`
/// command: what it creates, where, with which keys.
fn kubectl_create(line: &str) -> Option<Prerequisite> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (kind, at) = if let Some(at) = words
        .windows(3)
        .position(|w| w == ["create", "secret", "generic"])
    {
        (Kind::Secret, at + 3)
    } else {
        let at = words
            .windows(2)
            .position(|w| w == ["create", "configmap"])?;
        (Kind::ConfigMap, at + 2)
    };
    let name = words.get(at)?.to_string();
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
    Some(Prerequisite {
        kind,
        name,
        namespace: namespace.unwrap_or_else(|| "default".to_string()),
        keys,
    })
}

/// The prerequisites as objects that exist before any release; and what
/// the README gets wrong about the platform's `kubernetes_secret(...)`
/// secrets: a declared key the item does not list.
pub fn documented(
    cluster: &mut Cluster,
    platform: &Platform,
    documented: &[Prerequisite],
) -> Vec<String> {
    let mut problems = Vec::new();
    for d in documented {
        let by = format!(
            "the user, as the Prerequisites of README.md say ({} `{}`)",
            d.kind.name(),
            d.name
        );
        let keys = matches!(d.kind, Kind::Secret | Kind::ConfigMap).then(|| d.keys.clone());
        cluster.create(d.kind, &d.namespace, &d.name, keys, by, When::Before);
    }
    for s in &platform.secrets {
        let SecretSource::KubernetesSecret { name } = &s.source else {
            continue;
        };
        for d in documented
            .iter()
            .filter(|d| d.kind == Kind::Secret && d.name == *name)
        {
            let missing: Vec<&String> = s.keys.iter().filter(|k| !d.keys.contains(*k)).collect();
            if s.lists_keys && !missing.is_empty() {
                problems.push(format!(
                    "  README.md: the Prerequisites item of Secret `{name}` in namespace `{}` \
                     does not list the keys {missing:?} that `secret {}` declares\n",
                    d.namespace, s.name
                ));
            }
        }
    }
    problems
}

/// Standard base64 (with or without padding), as Kubernetes writes a
/// Secret's `data`; none for any other text.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
