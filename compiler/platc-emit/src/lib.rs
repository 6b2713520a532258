//! Emitters: the checked platform → Helm values, Kubernetes manifests and
//! Terraform JSON, as in-memory files.
//!
//! Architecture invariant: platc-emit depends only on platc-sema. It never
//! touches the disk, never sees the AST, and knows no service by name: every
//! file comes from generic concepts (instance, chart, values, expose,
//! secret). The output tree is documented in `docs/output.md`.
//!
//! Everything is deterministic: key order follows the values (which the
//! checker keeps sorted) or is sorted where order has no meaning, and no
//! file holds a timestamp or an absolute path.

pub mod gitops;
pub mod helm;
mod json;
mod kubernetes;
mod network;
mod objects;
pub mod terraform;
pub use platc_yaml as yaml;
/// Writes a JSON output file as the Terraform files are written.
pub use terraform::to_file as json_file;

use std::collections::BTreeSet;

use platc_sema::{Instance, Platform, SecretSource, Value};

/// Maps and sets keyed by the platform's names and indices, hashed with
/// foldhash (as sema's are) rather than SipHash: emission looks up names
/// of every instance, and nothing it hashes comes from outside the
/// program.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// One file of the output tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative to the output directory, `/`-separated.
    pub path: String,
    pub contents: String,
}

/// What [`emit`] needs besides the platform: the graph's order and edges,
/// and the values of every instance after the user's values files.
pub struct EmitInput<'a> {
    pub platform: &'a Platform,
    /// Indices into `platform.instances`, dependencies first (a stable
    /// topological order).
    pub order: &'a [usize],
    /// The direct dependencies of each instance (indices), indexed like
    /// `platform.instances`.
    pub dependencies: &'a [Vec<usize>],
    /// The final Helm values of the instances with values files (the
    /// generated values with the user's files merged on top, see
    /// [`helm::merge`]), indexed like `platform.instances`; `None` (or no
    /// entry) for an instance without: its generated values are converted
    /// as its file is written, so that the whole platform's values are
    /// never held at once.
    pub values: &'a [Option<serde_json::Value>],
}

/// Every output file of the default target (Terraform), sorted by path.
pub fn emit(input: &EmitInput) -> Vec<OutputFile> {
    let plan = Plan::new(input);
    // Each object is built once, for its manifest and for Terraform.
    let mut objects = objects::written(&plan, Some(objects::Form::Literal));
    let mut files = helm_and_kubernetes(&plan, &mut objects);
    files.extend(terraform::files(&plan, &objects));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Every output file of the Argo CD target, sorted by path: the Helm
/// values and Kubernetes manifests of [`emit`], and the Applications that
/// deliver them from the GitOps repository (`argocd/`), without Terraform.
pub fn emit_argocd(input: &EmitInput, argo: &gitops::ArgoCd) -> Vec<OutputFile> {
    let plan = Plan::new(input);
    let mut objects = objects::written(&plan, None);
    let mut files = helm_and_kubernetes(&plan, &mut objects);
    files.extend(gitops::argocd_files(input, argo));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// `helm/` and `kubernetes/`: what every target deploys.
/// The objects' YAML is moved into the manifests (`objects` keeps their
/// JSON).
fn helm_and_kubernetes(plan: &Plan, objects: &mut [objects::Written]) -> Vec<OutputFile> {
    // The values files, one per release, written on every core.
    let releases: Vec<usize> = plan
        .order
        .iter()
        .copied()
        .filter(|&i| plan.platform.instances[i].chart.is_some())
        .collect();
    let mut files = platc_diag::par::map(&releases, |&i| {
        let inst = &plan.platform.instances[i];
        OutputFile {
            path: concat(&["helm/", &file_name(&inst.k8s_name), ".values.yaml"]),
            contents: match plan.input.values.get(i) {
                Some(Some(v)) => helm::values_file(inst, v),
                _ => helm::generated_values_file(plan, inst),
            },
        }
    });
    files.extend(kubernetes::files(plan, objects));
    files
}

/// The text `write` writes, in a string of exactly its length. It is
/// written into a buffer the thread reuses, then copied once: a text grown
/// in place would be moved to ever larger blocks as it grows (each one
/// newly touched memory), and would keep the unused end of the last.
/// (Calls may nest: each takes a buffer of its own.)
pub(crate) fn exact_text(write: impl FnOnce(&mut String)) -> String {
    thread_local! {
        static BUFFERS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut buf = BUFFERS.with_borrow_mut(Vec::pop).unwrap_or_default();
    buf.clear();
    write(&mut buf);
    let text = buf.as_str().to_owned();
    BUFFERS.with_borrow_mut(|buffers| buffers.push(buf));
    text
}

/// The stores of shared values' texts ([`platc_yaml::SharedTexts`]) a
/// thread keeps: one for each kind of text written beside the YAML.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shared {
    /// The objects' YAML alone.
    Objects,
    /// The objects' YAML, and their JSON in Terraform's literal form.
    ObjectsJson,
    /// The Helm values' YAML.
    Values,
}

/// Calls `f` with this thread's store of texts of shared values of kind
/// `kind` for `plan`'s run: the values of one run are shared by address
/// ([`platc_yaml::Tree::shared`]), so a store is emptied when the thread
/// writes for another run (whose values may have taken the addresses of
/// those gone).
pub(crate) fn with_shared<R>(
    plan: &Plan,
    kind: Shared,
    f: impl FnOnce(&mut platc_yaml::SharedTexts) -> R,
) -> R {
    type Stores = [(u64, platc_yaml::SharedTexts); 3];
    thread_local! {
        static STORES: std::cell::RefCell<Option<Box<Stores>>> = const { std::cell::RefCell::new(None) };
    }
    STORES.with_borrow_mut(|stores| {
        let (run, texts) = &mut stores.get_or_insert_with(Default::default)[kind as usize];
        if *run != plan.run {
            texts.clear();
            *run = plan.run;
        }
        f(texts)
    })
}

/// A name made safe as one path component. The names platc puts in paths
/// (Kubernetes names, namespaces) are DNS labels already, copied as they
/// are after one pass; this only guards against a future caller passing
/// something else.
pub(crate) fn file_name(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    if s.chars().all(safe) && s.bytes().any(|b| b != b'.') {
        return s.to_string();
    }
    let cleaned: String = s.chars().map(|c| if safe(c) { c } else { '_' }).collect();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        format!("_{cleaned}")
    } else {
        cleaned
    }
}

/// The labels of everything platc creates in the cluster, sorted by key.
pub(crate) fn common_label_pairs(p: &Platform) -> [(&'static str, &str); 2] {
    [
        ("app.kubernetes.io/managed-by", "platc"),
        ("app.kubernetes.io/part-of", &p.name),
    ]
}

/// The labels of everything platc creates in the cluster, sorted, as JSON.
pub(crate) fn common_labels(p: &Platform) -> serde_json::Map<String, serde_json::Value> {
    common_label_pairs(p)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into()))
        .collect()
}

/// The labels of an object platc writes for an instance, sorted by key:
/// the common ones, its instance and its component.
pub(crate) fn instance_label_pairs<'p>(
    p: &'p Platform,
    inst: &'p Instance,
) -> [(&'static str, std::borrow::Cow<'p, str>); 4] {
    let [managed_by, part_of] = common_label_pairs(p);
    let component = if inst.component.contains('_') {
        inst.component.replace('_', "-").into()
    } else {
        inst.component.as_str().into()
    };
    [
        ("app.kubernetes.io/instance", inst.k8s_name.as_str().into()),
        (managed_by.0, managed_by.1.into()),
        ("app.kubernetes.io/name", component),
        (part_of.0, part_of.1.into()),
    ]
}

/// [`instance_label_pairs`] as JSON.
#[cfg(test)]
pub(crate) fn instance_labels(
    p: &Platform,
    inst: &Instance,
) -> serde_json::Map<String, serde_json::Value> {
    instance_label_pairs(p, inst)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_owned().into()))
        .collect()
}

/// The whole object of a resource as JSON: `apiVersion`, `kind`,
/// `metadata` (its name, namespace, the recommended labels under the
/// body's own labels, and the body's other metadata), then the rest of the
/// body. What `objects` writes without it, kept as the reference its test
/// compares with.
#[cfg(test)]
pub(crate) fn resource_manifest(
    p: &Platform,
    inst: &Instance,
    r: &platc_sema::Resource,
) -> serde_json::Value {
    use serde_json::Value as Json;
    let mut body: serde_json::Map<String, Json> = r
        .body
        .iter()
        .filter_map(|(k, v)| Some((k.to_string(), v.to_json()?)))
        .collect();
    let mut metadata = match body.remove("metadata") {
        Some(Json::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let mut labels = instance_labels(p, inst);
    if let Some(Json::Object(own)) = metadata.remove("labels") {
        labels.extend(own);
    }
    labels.sort_keys();
    let mut meta = serde_json::Map::new();
    meta.insert("name".into(), r.object_name.clone().into());
    if let Some(ns) = &r.namespace {
        meta.insert("namespace".into(), ns.clone().into());
    }
    meta.insert("labels".into(), Json::Object(labels));
    metadata.remove("name");
    metadata.remove("namespace");
    meta.extend(metadata);
    let mut out = serde_json::Map::new();
    out.insert("apiVersion".into(), r.api_version.clone().into());
    out.insert("kind".into(), r.kind.clone().into());
    out.insert("metadata".into(), Json::Object(meta));
    out.extend(body);
    Json::Object(out)
}

/// What the emitters share: the order, the values, and where each secret
/// is used.
pub(crate) struct Plan<'a> {
    pub input: &'a EmitInput<'a>,
    pub platform: &'a Platform,
    /// Every instance once, dependencies first: `input.order`, then any
    /// instance it misses, in declaration order.
    pub order: Vec<usize>,
    /// For each secret (indexed like `platform.secrets`), the instances that
    /// use it: in a parameter, a provided field or a sensitive value.
    pub secret_users: Vec<BTreeSet<usize>>,
    /// For each secret, the namespaces where its Kubernetes Secret must
    /// exist (when platc creates it): those of its users, or every
    /// instance namespace when no instance is known to use it.
    pub secret_namespaces: Vec<BTreeSet<String>>,
    /// This run of emission, among those of the process (never 0): what
    /// tells the texts of its shared values from another's
    /// ([`with_shared`]).
    pub run: u64,
}

impl<'a> Plan<'a> {
    fn new(input: &'a EmitInput<'a>) -> Self {
        let p = input.platform;
        let mut order: Vec<usize> = Vec::with_capacity(p.instances.len());
        let mut seen = vec![false; p.instances.len()];
        for i in input.order.iter().copied().chain(0..p.instances.len()) {
            if i < seen.len() && !seen[i] {
                seen[i] = true;
                order.push(i);
            }
        }
        let mut secret_users = vec![BTreeSet::new(); p.secrets.len()];
        for (i, inst) in p.instances.iter().enumerate() {
            for id in secrets_of(p, inst) {
                if let Some(users) = secret_users.get_mut(id) {
                    users.insert(i);
                }
            }
        }
        // A template secret reads its `env` inputs from their Kubernetes
        // Secrets where it is assembled: platc creates them there too.
        // (External inputs are read from their store directly.)
        for (t, secret) in p.secrets.iter().enumerate() {
            let SecretSource::Template { inputs, .. } = &secret.source else {
                continue;
            };
            let users = secret_users[t].clone();
            for input in inputs {
                if let Some(j) = p
                    .secret_index(&input.secret)
                    .filter(|&j| matches!(p.secrets[j].source, SecretSource::Env { .. }))
                {
                    secret_users[j].extend(users.iter().copied());
                }
            }
        }
        // (Each distinct namespace copied once: there are many instances
        // to a namespace.)
        let all: BTreeSet<String> = if p.instances.is_empty() {
            BTreeSet::from([p.namespace.clone()])
        } else {
            owned(p.instances.iter().map(|i| i.namespace.as_str()))
        };
        // A secret only templates read from its store directly is not
        // created anywhere.
        let read_by_templates: BTreeSet<&str> = p
            .secrets
            .iter()
            .flat_map(|s| match &s.source {
                SecretSource::Template { inputs, .. } => {
                    inputs.iter().map(|i| i.secret.as_str()).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        let mut secret_namespaces: Vec<BTreeSet<String>> = secret_users
            .iter()
            .zip(&p.secrets)
            .map(|(users, secret)| {
                if users.is_empty() && read_by_templates.contains(secret.name.as_str()) {
                    BTreeSet::new()
                } else if users.is_empty() {
                    all.clone()
                } else {
                    users
                        .iter()
                        .map(|&u| p.instances[u].namespace.clone())
                        .collect()
                }
            })
            .collect();
        // Wherever a template is assembled, its `env` inputs exist.
        for secret in &p.secrets {
            let SecretSource::Template { inputs, .. } = &secret.source else {
                continue;
            };
            let Some(t) = p.secret_index(&secret.name) else {
                continue;
            };
            let namespaces = secret_namespaces[t].clone();
            for input in inputs {
                if let Some(j) = p
                    .secret_index(&input.secret)
                    .filter(|&j| matches!(p.secrets[j].source, SecretSource::Env { .. }))
                {
                    secret_namespaces[j].extend(namespaces.iter().cloned());
                }
            }
        }
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Plan {
            input,
            platform: p,
            order,
            secret_users,
            secret_namespaces,
            run: RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Whether platc creates the Kubernetes Secret of secret `s` (from an
    /// environment variable, through Terraform).
    pub fn is_env(&self, s: usize) -> bool {
        matches!(self.platform.secrets[s].source, SecretSource::Env { .. })
    }

    /// Every namespace platc creates: those of the instances, and those its
    /// secrets are created in.
    pub fn namespaces(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<&str> = self
            .platform
            .instances
            .iter()
            .map(|i| i.namespace.as_str())
            .collect();
        for (s, ns) in self.secret_namespaces.iter().enumerate() {
            if !matches!(
                self.platform.secrets[s].source,
                SecretSource::KubernetesSecret { .. }
            ) {
                out.extend(ns.iter().map(String::as_str));
            }
        }
        if out.is_empty() {
            out.insert(&self.platform.namespace);
        }
        out.into_iter().map(str::to_owned).collect()
    }
}

/// The distinct texts of `names`, each copied once (a set of copies
/// would copy every repeat, and drop it).
fn owned<'s>(names: impl Iterator<Item = &'s str>) -> BTreeSet<String> {
    let distinct: BTreeSet<&str> = names.collect();
    distinct.into_iter().map(str::to_owned).collect()
}

/// The indices of the secrets an instance uses.
fn secrets_of(p: &Platform, inst: &Instance) -> BTreeSet<usize> {
    fn walk(v: &Value, out: &mut BTreeSet<usize>) {
        match v {
            Value::Secret(id) => {
                out.insert(id.secret as usize);
            }
            Value::List(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Map(m) => m.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    inst.args.values().for_each(|v| walk(v, &mut out));
    for prov in &inst.provides {
        prov.fields.values().for_each(|v| walk(v, &mut out));
    }
    for sv in &inst.sensitive_values {
        if let Some(i) = p.secret_index(&sv.secret) {
            out.insert(i);
        }
    }
    out
}

/// The URL of an exposed endpoint.
pub(crate) fn endpoint_url(e: &platc_sema::Expose) -> String {
    let scheme = if e.tls { "https://" } else { "http://" };
    let slash = if e.path.starts_with('/') { "" } else { "/" };
    concat(&[scheme, &e.host, slash, &e.path])
}

/// The in-cluster address of an exposed endpoint's Service.
pub(crate) fn service_address(inst: &Instance, e: &platc_sema::Expose) -> String {
    let mut port = String::new();
    platc_yaml::push_int(&mut port, e.port);
    concat(&[
        &e.service,
        ".",
        &inst.namespace,
        ".svc.cluster.local:",
        &port,
    ])
}

/// The texts of `parts` one after another, in a string of exactly their
/// length: what `format!` of them gives, without its machinery (parsing
/// the pieces, a write through `fmt::Write` each, and a string that grows).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// The checked platforms of every example that builds, each environment's
/// included: what the tests comparing two ways of writing run over.
#[cfg(test)]
pub(crate) fn example_platforms() -> Vec<platc_sema::Platform> {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(examples)
        .expect("the examples")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        if !dir.join("main.plat").is_file() || dir.join("expect-errors").exists() {
            continue;
        }
        let c = platc_driver::check_path(
            &platc_driver::RealFs,
            &dir,
            &platc_driver::Options::default(),
        )
        .expect("an example loads");
        out.extend(c.platform);
        out.extend(c.others);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A safe name is copied as it is: what the general path makes of it.
    #[test]
    fn file_names_are_safe_names() {
        fn reference(s: &str) -> String {
            let cleaned: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
                format!("_{cleaned}")
            } else {
                cleaned
            }
        }
        for s in [
            "",
            ".",
            "..",
            "...",
            "a",
            "t100-lake",
            "a.b",
            ".a",
            "a b",
            "é",
            "a/b",
            "_",
            "-",
            "A_9",
        ] {
            assert_eq!(file_name(s), reference(s), "{s:?}");
        }
    }

    /// The texts put together by [`concat`] are those `format!` gave:
    /// the endpoints' URLs and Services' addresses of every example, and
    /// texts of every kind.
    #[test]
    fn texts_put_together_are_those_of_format() {
        assert_eq!(concat(&[]), "");
        assert_eq!(concat(&["a", "", "é", "${x}"]), "aé${x}");
        let mut seen = 0;
        for p in example_platforms() {
            for inst in &p.instances {
                for e in &inst.exposes {
                    let scheme = if e.tls { "https" } else { "http" };
                    let slash = if e.path.starts_with('/') { "" } else { "/" };
                    assert_eq!(
                        endpoint_url(e),
                        format!("{scheme}://{}{slash}{}", e.host, e.path)
                    );
                    assert_eq!(
                        service_address(inst, e),
                        format!(
                            "{}.{}.svc.cluster.local:{}",
                            e.service, inst.namespace, e.port
                        )
                    );
                    seen += 1;
                }
            }
        }
        assert!(seen > 10, "{seen} endpoints");
    }

    /// The recommended labels are sorted by key (the objects' and the
    /// NetworkPolicies' label maps are written in that order), and are
    /// what they were when built as a JSON map.
    #[test]
    fn instance_labels_are_sorted_and_complete() {
        let mut seen = 0;
        for p in example_platforms() {
            for inst in &p.instances {
                let pairs = instance_label_pairs(&p, inst);
                assert!(pairs.windows(2).all(|w| w[0].0 < w[1].0), "{pairs:?}");
                let mut want = serde_json::Map::new();
                want.insert("app.kubernetes.io/managed-by".into(), "platc".into());
                want.insert("app.kubernetes.io/part-of".into(), p.name.clone().into());
                want.insert(
                    "app.kubernetes.io/instance".into(),
                    inst.k8s_name.clone().into(),
                );
                want.insert(
                    "app.kubernetes.io/name".into(),
                    inst.component.replace('_', "-").into(),
                );
                want.sort_keys();
                assert_eq!(instance_labels(&p, inst), want);
                seen += usize::from(inst.component.contains('_'));
            }
        }
        assert!(seen > 0, "a component name with `_` is among the examples");
    }
}
