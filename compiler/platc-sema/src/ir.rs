//! The checked platform: everything later stages (graph, policy, emit)
//! need, evaluated, with the chosen environment's overrides applied. Later
//! stages read this and never the AST.

use std::collections::BTreeMap;
use std::sync::Arc;

use platc_diag::Span;

use crate::value::Value;

/// The checked platform.
#[derive(Debug, Clone)]
pub struct Platform {
    pub name: String,
    pub domain: Option<String>,
    /// The default namespace of instances.
    pub namespace: String,
    /// The environment applied, if any.
    pub environment: Option<String>,
    /// Every environment the program declares, in source order.
    pub environments: Vec<String>,
    /// In declaration order (root file first, then imports depth-first).
    pub instances: Vec<Instance>,
    pub secrets: Vec<Secret>,
    /// [`Platform::secret_index`]'s map: filled on first use.
    pub secret_positions: std::sync::OnceLock<std::collections::HashMap<String, usize>>,
    /// The charts whose full `values.schema.json` the user points at
    /// (`chart_schemas`), in source order.
    pub chart_schemas: Vec<ChartSchema>,
    /// The components of the instances, in order of first use: what a
    /// reusable module of each needs to document itself.
    pub components: Vec<ComponentInfo>,
    /// The instances that serve the platform's endpoints (`ingress`), in
    /// the order written: their route resources are in their `resources`.
    pub ingress: Vec<String>,
    /// Every policy of the program (the built-in packs' included), in
    /// source order: the root file first, then imports, then the packs.
    pub policies: Vec<Policy>,
    /// The built-in policy packs in force (`policy_packs`, else all).
    pub policy_packs: Vec<String>,
    /// Every waiver, in source order.
    pub waivers: Vec<Waiver>,
    /// The fields of the `params` record of the `instances` collection
    /// (spec 6.7): every element has all of them, `none` where its
    /// component has no such parameter.
    pub policy_param_fields: Vec<String>,
}

/// A policy: rules over the platform's collections (spec 6.7).
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    /// `P` and four digits.
    pub code: String,
    pub severity: PolicySeverity,
    /// Its doc comment: what `platc explain` and SARIF show.
    pub doc: Option<String>,
    /// The built-in pack that defines it (`ingress`), or `None` for the
    /// user's own.
    pub pack: Option<String>,
    pub rules: Vec<Rule>,
    /// The policy's name in its declaration.
    pub span: Span,
}

impl Policy {
    /// Whether it applies to `platform`: the user's own always, a pack's
    /// when the pack is in force.
    pub fn active(&self, platform: &Platform) -> bool {
        self.pack
            .as_ref()
            .is_none_or(|p| platform.policy_packs.contains(p))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySeverity {
    Deny,
    Warn,
}

impl PolicySeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicySeverity::Deny => "deny",
            PolicySeverity::Warn => "warn",
        }
    }
}

/// `for VAR in COLLECTION where FILTER fail VAR MESSAGE help HELP`
#[derive(Debug, Clone)]
pub struct Rule {
    pub collection: String,
    pub var: String,
    pub filter: Option<crate::rule::RuleExpr>,
    pub message: crate::rule::RuleExpr,
    pub help: Option<crate::rule::RuleExpr>,
    /// The whole rule.
    pub span: Span,
}

/// `allow POLICY for TARGET reason "WHY" until DATE`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub policy: String,
    pub target: WaiverTarget,
    pub reason: String,
    pub until: Option<platc_syntax::ast::Date>,
    /// Its date has passed: it waives nothing.
    pub expired: bool,
    pub span: Span,
}

/// What a waiver exempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaiverTarget {
    /// An instance: failures about it, its endpoints, parameters and the
    /// edges from it.
    Instance(String),
    /// One endpoint: `instance.point`.
    Endpoint(String, String),
    /// A secret.
    Secret(String),
    /// One edge of the graph: `from -> to`.
    Edge(String, String),
}

impl std::fmt::Display for WaiverTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaiverTarget::Instance(i) | WaiverTarget::Secret(i) => write!(f, "{i}"),
            WaiverTarget::Endpoint(i, p) => write!(f, "{i}.{p}"),
            WaiverTarget::Edge(a, b) => write!(f, "{a} -> {b}"),
        }
    }
}

impl Platform {
    /// The value of `platform` in expressions: its `name`, `domain`,
    /// `namespace` and `environment`.
    pub fn value(&self) -> Value {
        let s = |v: &str| Value::Str(v.into());
        let mut m = BTreeMap::new();
        m.insert("name".into(), s(&self.name));
        m.insert(
            "domain".into(),
            self.domain.as_deref().map_or(Value::None, s),
        );
        m.insert("namespace".into(), s(&self.namespace));
        m.insert(
            "environment".into(),
            self.environment.as_deref().map_or(Value::None, s),
        );
        Value::map(m)
    }

    pub fn component(&self, name: &str) -> Option<&ComponentInfo> {
        self.components.iter().find(|c| c.name == name)
    }
}

/// A component as its users see it: its doc comment, chart, parameters,
/// interfaces and declared objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentInfo {
    pub name: String,
    pub doc: Option<String>,
    pub chart: Option<Chart>,
    pub params: Vec<ParamInfo>,
    /// Interfaces it provides (some perhaps under a condition).
    pub provides: Vec<String>,
    pub requires: Vec<String>,
    /// Its resources.
    pub resources: Vec<ResourceInfo>,
    /// Its expose points.
    pub exposes: Vec<String>,
}

/// A resource a component declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    pub name: String,
    pub api_version: String,
    pub kind: String,
    pub ready: Option<ReadyWhen>,
    /// A route resource: one object per endpoint the instance serves.
    pub route: bool,
    /// A fan-out resource (`for VAR in LIST`): one object per element.
    pub each: bool,
}

/// When an object counts as ready, so that what depends on it is deployed
/// after it is, not merely after it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadyWhen {
    /// The status condition of this type is `True`.
    Condition(String),
    /// The field at `path` matches the regular expression `pattern`.
    Field { path: String, pattern: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamInfo {
    pub name: String,
    /// The type as written.
    pub ty: String,
    pub doc: Option<String>,
    pub required: bool,
}

/// `chart_schemas = { "CHART" = "PATH" }`: a chart's full values schema,
/// relative to the file that names it (`span.file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartSchema {
    pub chart: String,
    pub path: String,
    pub span: Span,
}

impl Platform {
    pub fn instance(&self, name: &str) -> Option<&Instance> {
        self.instances.iter().find(|i| i.name == name)
    }

    pub fn secret(&self, name: &str) -> Option<&Secret> {
        self.secret_index(name).map(|i| &self.secrets[i])
    }

    /// The position of secret `name` in `secrets` (looked up in a map
    /// built on first use: emission looks secrets up per reader).
    pub fn secret_index(&self, name: &str) -> Option<usize> {
        let index = self.secret_positions.get_or_init(|| {
            let mut m = std::collections::HashMap::with_capacity(self.secrets.len());
            for (i, s) in self.secrets.iter().enumerate() {
                m.entry(s.name.clone()).or_insert(i);
            }
            m
        });
        match index.get(name) {
            Some(&i) if self.secrets.get(i).is_some_and(|s| s.name == name) => Some(i),
            // Not there, or `secrets` changed after the map was built.
            _ => self.secrets.iter().position(|s| s.name == name),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Instance {
    /// The name as written (`meta_db`).
    pub name: String,
    /// The Kubernetes form, also the Helm release name (`meta-db`).
    pub k8s_name: String,
    pub component: String,
    pub namespace: String,
    /// The chart the component deploys, if it has one.
    pub chart: Option<Chart>,
    /// Every parameter's value (defaults filled in), shared with the
    /// evaluation that computed it.
    pub args: std::sync::Arc<BTreeMap<crate::value::Str, Value>>,
    /// Where the instance sets each parameter it sets (the attribute).
    pub arg_spans: BTreeMap<crate::value::Str, Span>,
    /// The Helm values the component's values blocks produce: nested
    /// `Value::Map`s, never secrets (those are in `sensitive_values`).
    pub values: BTreeMap<crate::value::Str, Value>,
    /// Values entries whose value is a secret: delivered out of band.
    pub sensitive_values: Vec<SensitiveValue>,
    /// Where the values come from: every values statement of the
    /// component, in source order (shared by its instances).
    pub value_sources: Arc<[ValueSource]>,
    /// The user's own values files, in order, as written (relative to the
    /// file that declares them: `span.file`).
    pub values_files: Vec<ValuesFile>,
    /// The interfaces the component provides, with their evaluated fields.
    pub provides: Vec<Provided>,
    /// Interfaces the component requires from some other instance.
    pub requires: Vec<String>,
    pub exposes: Vec<Expose>,
    /// The instances this one refers to (edges of the platform graph), in
    /// attribute order, then source order.
    pub references: Vec<Reference>,
    /// The instances it observes through `all(Interface)`: they do not
    /// order deployment (6.9).
    pub observes: Vec<Observed>,
    /// The Kubernetes objects its component declares (those whose `if`
    /// holds), in declaration order.
    pub resources: Vec<Resource>,
    /// Its pods and the ports they accept connections on, when its
    /// component says (`network`, 6.3.11).
    pub network: Option<Network>,
    pub span: Span,
}

/// The pods of an instance, for the platform's NetworkPolicies.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Network {
    /// Labels every pod of the instance carries, and only its pods.
    pub pods: BTreeMap<String, String>,
    /// Ports the instances connected to it by the graph may reach; empty
    /// for every port.
    pub ports: Vec<u16>,
    /// Ports open to any client, in or out of the cluster.
    pub open_ports: Vec<u16>,
}

/// A Kubernetes object of an instance. The emitters write it whole:
/// `apiVersion`, `kind`, `metadata.name`, `metadata.namespace` (unless
/// cluster-scoped) and the recommended labels, then `body`.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The name in the component (`issuer`).
    pub name: String,
    pub api_version: String,
    pub kind: String,
    /// `metadata.name`: the body's, or `<instance>-<name>`.
    pub object_name: String,
    /// `None` for a cluster-scoped object.
    pub namespace: Option<String>,
    /// Everything the body sets (`metadata.labels` and the like included).
    pub body: BTreeMap<crate::value::Str, Value>,
    /// For a route resource, the endpoint it serves (`instance.point`);
    /// its namespace is the endpoint's.
    pub route: Option<String>,
    /// For a fan-out resource, the key of its object among the resource's
    /// objects: the element's instance name, else the object's name.
    pub each: Option<String>,
    pub span: Span,
}

/// An instance observed through `all(INTERFACE)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub target: String,
    pub interface: String,
    /// Whether the observer takes it as a value: false when only the
    /// component's `assert` conditions read it (a check that no other
    /// instance of the namespace collides with this one).
    pub reach: bool,
    /// Whether the observer's `provides` records are computed from it, so
    /// that its consumers learn its address (6.3.11).
    pub hands_on: bool,
    /// Whether the observer only reads it as data, never connecting to it:
    /// every call that takes it is in a member its `network` block lists
    /// under `data` (6.3.11).
    pub data: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub name: String,
    pub version: String,
    pub repository: String,
    /// How long an install or upgrade may take, in seconds: the chart's
    /// `timeout`, else Helm's default of 300.
    pub timeout_seconds: u64,
}

/// One values statement of a component: what it writes and what decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueSource {
    /// The fixed start of its key path (up to the first computed key or
    /// list index): `["config", "core"]` for `config.core."${k}" = ...`.
    pub path: Vec<String>,
    /// Whether `path` is the whole key path.
    pub exact: bool,
    /// The statement.
    pub span: Span,
    /// The component's params that decide the value: read by the value's
    /// expression or by an enclosing `if`, directly or through lets; sorted.
    pub params: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensitiveValue {
    /// The values key path, e.g. `["auth", "password"]`.
    pub path: Vec<String>,
    /// The name of the secret (see [`Platform::secret`]).
    pub secret: String,
    /// The key of the secret's data that holds the value.
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuesFile {
    pub path: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Provided {
    pub interface: String,
    pub fields: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expose {
    /// The expose point's name.
    pub name: String,
    pub host: String,
    pub path: String,
    pub auth: Option<String>,
    pub tls: bool,
    pub audit: bool,
    pub public: bool,
    /// From the component's expose point.
    pub port: i64,
    pub service: String,
    pub span: Span,
}

/// A reference from one instance to another, written in attribute `attr`
/// (`expose.NAME.FIELD` inside an expose block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub target: String,
    pub attr: String,
    /// What flows along the edge: the type of the parameter the reference
    /// is passed to (an interface or component name), or `value` when the
    /// reference only reads a field.
    pub flows: String,
    /// Whether the parameter is one the instance's `provides` records are
    /// computed from, so that its consumers learn this address (6.3.11).
    pub hands_on: bool,
    /// Whether the parameter is one its `network` block lists under `data`:
    /// the instance reads the target and never connects to it (6.3.11).
    pub data: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Secret {
    pub name: String,
    pub source: SecretSource,
    /// The Kubernetes Secret that holds the value.
    pub secret_name: String,
    /// The keys of its data, in the order declared: one for the plain
    /// forms (`value` for `env("VAR")`), or those listed.
    pub keys: Vec<String>,
    /// Whether the declaration lists its keys (`["a", "b"]`, `{ a = "VAR" }`)
    /// rather than naming the one key of a plain form.
    pub lists_keys: bool,
    pub span: Span,
}

impl Secret {
    /// The key a use of the secret reads: the one chosen, or the only one.
    pub fn key(&self, chosen: Option<u32>) -> Option<&str> {
        match chosen {
            Some(k) => self.keys.get(k as usize).map(String::as_str),
            None if self.keys.len() == 1 => Some(&self.keys[0]),
            None => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// Environment variables at deploy time, one per key (in the order of
    /// [`Secret::keys`]); platc's Terraform creates the Kubernetes Secret
    /// from sensitive variables.
    Env { variables: Vec<String> },
    /// An existing Kubernetes Secret.
    KubernetesSecret { name: String },
    /// An External Secrets Operator store: the properties of `path` are the
    /// keys of [`Secret::keys`].
    ExternalSecret { store: String, path: String },
    /// Assembled at deploy time from keys of other secrets, by the External
    /// Secrets Operator's templating: platc never sees the values.
    Template {
        /// One text per key (in the order of [`Secret::keys`]), evaluated,
        /// with `{{ .NAME }}` placeholders for the inputs.
        texts: Vec<String>,
        inputs: Vec<TemplateInput>,
    },
}

/// What a placeholder `{{ .name }}` of a template secret reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateInput {
    pub name: String,
    /// The secret read (never a template), and its key.
    pub secret: String,
    pub key: String,
}

/// A container image that an object says is built from the project's own
/// sources (spec 6.3.9, "Images built from local sources"): the
/// annotations `build.platc.dev/image`, `build.platc.dev/context` and
/// `build.platc.dev/dockerfile` of its `metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBuild {
    /// The image repository, without tag or digest.
    pub image: String,
    /// The build context, relative to the project root, `/`-separated.
    pub context: String,
    /// The Dockerfile, relative to `context`.
    pub dockerfile: String,
}

/// The annotation that names the build context of a locally built image.
pub const BUILD_CONTEXT_ANNOTATION: &str = "build.platc.dev/context";
/// The annotation that names its image repository.
pub const BUILD_IMAGE_ANNOTATION: &str = "build.platc.dev/image";
/// The annotation that names its Dockerfile (default `Dockerfile`).
pub const BUILD_DOCKERFILE_ANNOTATION: &str = "build.platc.dev/dockerfile";

impl Resource {
    /// The image this object says is built locally: `None` when it has no
    /// `build.platc.dev/context` annotation; `Some(Err(why))` when the
    /// annotations are not a valid build (see [`LocalBuild`]).
    pub fn local_build(&self) -> Option<Result<LocalBuild, String>> {
        let Some(Value::Map(meta)) = self.body.get("metadata") else {
            return None;
        };
        let Some(Value::Map(annotations)) = meta.get("annotations") else {
            return None;
        };
        let text = |k: &str| match annotations.get(k) {
            Some(Value::Str(s)) => Some(s.to_string()),
            _ => None,
        };
        annotations.get(BUILD_CONTEXT_ANNOTATION)?;
        Some((|| {
            let context = text(BUILD_CONTEXT_ANNOTATION)
                .ok_or_else(|| format!("`{BUILD_CONTEXT_ANNOTATION}` is not a string"))?;
            let image = text(BUILD_IMAGE_ANNOTATION).ok_or_else(|| {
                format!("`{BUILD_CONTEXT_ANNOTATION}` needs `{BUILD_IMAGE_ANNOTATION}`, the image repository")
            })?;
            let dockerfile = match annotations.get(BUILD_DOCKERFILE_ANNOTATION) {
                None => "Dockerfile".to_string(),
                Some(Value::Str(s)) => s.to_string(),
                Some(_) => return Err(format!("`{BUILD_DOCKERFILE_ANNOTATION}` is not a string")),
            };
            let relative = |what: &str, p: &str| {
                let ok = !p.is_empty()
                    && !p.starts_with('/')
                    && !p.contains('\\')
                    && p.split('/').all(|c| !c.is_empty() && c != "..")
                    && !p.chars().any(char::is_control);
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "the {what} {p:?} is not a relative path inside the project (`/`-separated, without `..`)"
                    ))
                }
            };
            relative("build context", &context)?;
            relative("Dockerfile", &dockerfile)?;
            let repository = is_image_repository(&image);
            if !repository {
                return Err(format!(
                    "the image {image:?} is not an image repository without tag (`registry.example.com/team/app`)"
                ));
            }
            Ok(LocalBuild {
                image,
                context,
                dockerfile,
            })
        })())
    }
}

/// An image repository without tag or digest: lowercase path components
/// of `[a-z0-9]` separated by `.`, `_`, `__` or `-`s, joined by `/`, the
/// first of which may be a registry host with a port.
fn is_image_repository(s: &str) -> bool {
    let mut parts = s.split('/');
    let first = parts.next().unwrap_or("");
    let (host, port) = match first.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (first, None),
    };
    let component = |c: &str| {
        !c.is_empty()
            && c.chars().all(|ch| {
                ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '_' | '-')
            })
            && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
            && c.ends_with(|ch: char| ch.is_ascii_alphanumeric())
    };
    component(host)
        && port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && parts.all(component)
}

impl Platform {
    /// Every locally built image of the platform, with the instance and
    /// resource that declare it, in instance order; invalid ones left out
    /// (the check reports them, E0608).
    pub fn local_builds(&self) -> Vec<(&Instance, &Resource, LocalBuild)> {
        let mut out = Vec::new();
        for inst in &self.instances {
            for r in &inst.resources {
                if let Some(Ok(b)) = r.local_build() {
                    out.push((inst, r, b));
                }
            }
        }
        out
    }
}
