//! The collections policies iterate over (spec 6.7): one record per
//! element, of the type `platc_sema::rule` gives the checker, with the
//! declaration it is about and what a waiver names to exempt it.

use std::collections::{BTreeMap, HashMap};

use platc_diag::Span;
use platc_graph::{PlatformGraph, OBSERVES_ATTR, REQUIRES_ATTR};
use platc_sema::{Instance, Platform, SecretSource, Value};

use crate::facts;
use crate::UserValues;

/// What a finding is about: what a waiver names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    Instance(String),
    /// `instance.point`
    Endpoint(String, String),
    Secret(String),
    /// `from -> to`
    Edge(String, String),
    /// A parameter of an instance.
    Param(String, String),
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Instance(i) | Subject::Secret(i) => write!(f, "{i}"),
            Subject::Endpoint(i, p) | Subject::Param(i, p) => write!(f, "{i}.{p}"),
            Subject::Edge(a, b) => write!(f, "{a} -> {b}"),
        }
    }
}

impl Subject {
    /// `instance`, `endpoint`, `secret`, `edge` or `param`.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Instance(_) => "instance",
            Subject::Endpoint(..) => "endpoint",
            Subject::Secret(_) => "secret",
            Subject::Edge(..) => "edge",
            Subject::Param(..) => "param",
        }
    }
}

/// One element of a collection.
#[derive(Debug, Clone)]
pub struct Element {
    pub value: Value,
    pub span: Span,
    pub subject: Subject,
}

/// The collections of one platform, each built on first use.
pub(crate) struct Collections<'p, 'v> {
    platform: &'p Platform,
    graph: &'p PlatformGraph,
    user_values: &'p UserValues<'v>,
    built: HashMap<&'static str, Vec<Element>>,
}

fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

fn opt(v: Option<&str>) -> Value {
    v.map_or(Value::None, s)
}

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::list(items.into_iter().map(s).collect())
}

fn record(fields: Vec<(&str, Value)>) -> Value {
    Value::map(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

impl<'p, 'v> Collections<'p, 'v> {
    pub fn new(
        platform: &'p Platform,
        graph: &'p PlatformGraph,
        user_values: &'p UserValues<'v>,
    ) -> Self {
        Collections {
            platform,
            graph,
            user_values,
            built: HashMap::new(),
        }
    }

    /// The elements of collection `name`, or `None` for a name that is not
    /// a collection (the checker has reported it).
    pub fn get(&mut self, name: &str) -> Option<&[Element]> {
        let key: &'static str = platc_sema::rule::COLLECTIONS.iter().find(|c| **c == name)?;
        if !self.built.contains_key(key) {
            let elements = match key {
                "exposes" => self.exposes(),
                "instances" => self.instances(),
                "secrets" => self.secrets(),
                "edges" => self.edges(),
                "params" => self.params(),
                _ => return None,
            };
            self.built.insert(key, elements);
        }
        self.built.get(key).map(Vec::as_slice)
    }

    fn exposes(&self) -> Vec<Element> {
        // Who claims each host and path.
        let mut claims: HashMap<(&str, &str), Vec<String>> = HashMap::new();
        for i in &self.platform.instances {
            for e in &i.exposes {
                claims
                    .entry((e.host.as_str(), e.path.as_str()))
                    .or_default()
                    .push(format!("{}.{}", i.name, e.name));
            }
        }
        let mut out = Vec::new();
        for i in &self.platform.instances {
            for e in &i.exposes {
                let me = format!("{}.{}", i.name, e.name);
                let others: Vec<&str> = claims
                    .get(&(e.host.as_str(), e.path.as_str()))
                    .map(|v| v.iter().filter(|o| **o != me).map(String::as_str).collect())
                    .unwrap_or_default();
                let value = record(vec![
                    ("instance", s(&i.name)),
                    ("name", s(&e.name)),
                    ("component", s(&i.component)),
                    ("namespace", s(&i.namespace)),
                    ("host", s(&e.host)),
                    ("path", s(&e.path)),
                    ("auth", opt(e.auth.as_deref())),
                    ("tls", Value::Bool(e.tls)),
                    ("audit", Value::Bool(e.audit)),
                    ("public", Value::Bool(e.public)),
                    ("port", Value::Int(e.port)),
                    ("shared_with", strings(others)),
                ]);
                out.push(Element {
                    value,
                    span: e.span,
                    subject: Subject::Endpoint(i.name.clone(), e.name.clone()),
                });
            }
        }
        out
    }

    fn instances(&self) -> Vec<Element> {
        let p = self.platform;
        p.instances
            .iter()
            .map(|i| {
                let user = (self.user_values)(&i.name);
                let facts = facts::Facts::of(i, &user);
                let labels: BTreeMap<String, Value> = [
                    ("app.kubernetes.io/instance", i.k8s_name.as_str()),
                    ("app.kubernetes.io/managed-by", "platc"),
                    ("app.kubernetes.io/name", i.component.as_str()),
                    ("app.kubernetes.io/part-of", p.name.as_str()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), s(v)))
                .collect();
                let value = record(vec![
                    ("name", s(&i.name)),
                    ("component", s(&i.component)),
                    ("namespace", s(&i.namespace)),
                    ("environment", opt(p.environment.as_deref())),
                    ("labels", Value::map(labels)),
                    (
                        "provides",
                        strings(i.provides.iter().map(|x| x.interface.as_str())),
                    ),
                    ("chart", opt(i.chart.as_ref().map(|c| c.name.as_str()))),
                    (
                        "chart_version",
                        opt(i.chart.as_ref().map(|c| c.version.as_str())),
                    ),
                    ("params", params_record(p, i)),
                    ("images", strings(facts.images.iter().map(String::as_str))),
                    (
                        "resources",
                        Value::list(
                            facts
                                .resources
                                .iter()
                                .map(|r| {
                                    record(vec![
                                        ("path", s(&r.path)),
                                        ("requests", Value::Bool(r.requests)),
                                        ("limits", Value::Bool(r.limits)),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                    (
                        "persistence",
                        Value::list(
                            facts
                                .persistence
                                .iter()
                                .map(|(path, on)| {
                                    record(vec![("path", s(path)), ("enabled", Value::Bool(*on))])
                                })
                                .collect(),
                        ),
                    ),
                ]);
                Element {
                    value,
                    span: i.span,
                    subject: Subject::Instance(i.name.clone()),
                }
            })
            .collect()
    }

    fn secrets(&self) -> Vec<Element> {
        let p = self.platform;
        // The instances that read each secret.
        let mut readers: HashMap<u32, Vec<&Instance>> = HashMap::new();
        for inst in &p.instances {
            let mut ids = Vec::new();
            for v in inst.args.values() {
                secret_ids(v, &mut ids);
            }
            for sv in &inst.sensitive_values {
                if let Some(k) = p.secrets.iter().position(|s| s.name == sv.secret) {
                    ids.push(k as u32);
                }
            }
            ids.sort();
            ids.dedup();
            for id in ids {
                readers.entry(id).or_default().push(inst);
            }
        }
        p.secrets
            .iter()
            .enumerate()
            .map(|(k, sec)| {
                let rs = readers.get(&(k as u32)).map(Vec::as_slice).unwrap_or(&[]);
                let namespace = rs.first().map_or(p.namespace.as_str(), |i| &i.namespace);
                let source = match &sec.source {
                    SecretSource::Env { .. } => "env",
                    SecretSource::KubernetesSecret { .. } => "kubernetes_secret",
                    SecretSource::ExternalSecret { .. } => "external_secret",
                    SecretSource::Template { .. } => "template",
                };
                let value = record(vec![
                    ("name", s(&sec.name)),
                    ("source", s(source)),
                    ("keys", strings(sec.keys.iter().map(String::as_str))),
                    ("namespace", s(namespace)),
                    ("readers", strings(rs.iter().map(|i| i.name.as_str()))),
                ]);
                Element {
                    value,
                    span: sec.span,
                    subject: Subject::Secret(sec.name.clone()),
                }
            })
            .collect()
    }

    fn edges(&self) -> Vec<Element> {
        let p = self.platform;
        let g = self.graph;
        let mut edges: Vec<(platc_graph::Edge, &str)> = g
            .edges()
            .into_iter()
            .map(|e| {
                let kind = if e.attr == REQUIRES_ATTR {
                    "requires"
                } else {
                    "reference"
                };
                (e, kind)
            })
            .collect();
        edges.extend(g.observes().iter().map(|e| (e.clone(), "observes")));
        edges
            .into_iter()
            .filter_map(|(e, kind)| {
                let from = p.instances.get(e.from)?;
                let to = p.instances.get(e.to)?;
                let span = match kind {
                    "reference" => from
                        .references
                        .iter()
                        .find(|r| r.target == to.name && r.attr == e.attr)
                        .map_or(from.span, |r| r.span),
                    _ => from.span,
                };
                let attr = if kind == "observes" {
                    OBSERVES_ATTR
                } else {
                    e.attr.as_str()
                };
                let value = record(vec![
                    ("from", s(&from.name)),
                    ("to", s(&to.name)),
                    ("kind", s(kind)),
                    ("interface", s(&e.flows)),
                    ("attr", s(attr)),
                    ("from_namespace", s(&from.namespace)),
                    ("to_namespace", s(&to.namespace)),
                ]);
                Some(Element {
                    value,
                    span,
                    subject: Subject::Edge(from.name.clone(), to.name.clone()),
                })
            })
            .collect()
    }

    fn params(&self) -> Vec<Element> {
        let p = self.platform;
        let mut out = Vec::new();
        for i in &p.instances {
            let info = p.component(&i.component);
            for (name, v) in &i.args {
                let ty = info
                    .and_then(|c| c.params.iter().find(|x| &x.name == name))
                    .map_or(String::new(), |x| x.ty.clone());
                let secret = ty == "secret" || ty == "secret?";
                let value = match v {
                    Value::Str(text) => s(text),
                    _ => Value::None,
                };
                let set = i.arg_spans.contains_key(name);
                out.push(Element {
                    value: record(vec![
                        ("instance", s(&i.name)),
                        ("component", s(&i.component)),
                        ("namespace", s(&i.namespace)),
                        ("name", s(name)),
                        ("type", s(&ty)),
                        ("secret", Value::Bool(secret)),
                        ("set", Value::Bool(set)),
                        ("value", value),
                    ]),
                    span: i.arg_spans.get(name).copied().unwrap_or(i.span),
                    subject: Subject::Param(i.name.clone(), name.clone()),
                });
            }
        }
        out
    }
}

/// The instance's parameters as the `params` record: every field of
/// [`Platform::policy_param_fields`], `none` where the instance has no
/// such parameter.
fn params_record(p: &Platform, i: &Instance) -> Value {
    Value::map(
        p.policy_param_fields
            .iter()
            .map(|f| {
                let v = match i.args.get(f) {
                    Some(v) if plain(v) => v.clone(),
                    _ => Value::None,
                };
                (f.clone(), v)
            })
            .collect(),
    )
}

fn plain(v: &Value) -> bool {
    match v {
        Value::Instance(_) | Value::Secret(_) => false,
        Value::List(l) => l.iter().all(plain),
        Value::Map(m) => m.values().all(plain),
        _ => true,
    }
}

fn secret_ids(v: &Value, out: &mut Vec<u32>) {
    match v {
        Value::Secret(id) => out.push(id.secret),
        Value::List(l) => l.iter().for_each(|v| secret_ids(v, out)),
        Value::Map(m) => m.values().for_each(|v| secret_ids(v, out)),
        _ => {}
    }
}
