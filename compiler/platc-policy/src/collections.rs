//! The collections policies iterate over (spec 6.7): one record per
//! element, of the type `platc_sema::rule` gives the checker, with the
//! declaration it is about and what a waiver names to exempt it.

use std::collections::{BTreeSet, HashMap};

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

/// What a finding is about, borrowed from the platform: made into a
/// [`Subject`] only for the elements that fail a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectRef<'p> {
    Instance(&'p str),
    Endpoint(&'p str, &'p str),
    Secret(&'p str),
    Edge(&'p str, &'p str),
    Param(&'p str, &'p str),
}

impl SubjectRef<'_> {
    pub fn to_subject(self) -> Subject {
        match self {
            SubjectRef::Instance(i) => Subject::Instance(i.to_string()),
            SubjectRef::Endpoint(i, p) => Subject::Endpoint(i.to_string(), p.to_string()),
            SubjectRef::Secret(s) => Subject::Secret(s.to_string()),
            SubjectRef::Edge(a, b) => Subject::Edge(a.to_string(), b.to_string()),
            SubjectRef::Param(i, p) => Subject::Param(i.to_string(), p.to_string()),
        }
    }
}

/// One element of a collection.
#[derive(Debug, Clone)]
pub struct Element<'p> {
    /// The fields of its record that the rules read, each name once, in
    /// no particular order.
    pub fields: Vec<(&'static str, Value)>,
    /// The record, made of [`Self::fields`] when first asked for: most
    /// elements are settled without one (see [`crate::memo`]).
    record: std::cell::OnceCell<Value>,
    /// The offending declaration (see [`Self::span`]).
    at: At<'p>,
    pub subject: SubjectRef<'p>,
    /// The rules over the collection that may fail for the element, by
    /// their index among those rules (bit `k`: rule `k`): every one, but
    /// for a parameter whose declaration settles some (see
    /// [`ParamMasks`]).
    pub(crate) rules: u64,
}

impl<'p> Element<'p> {
    /// An element of the record of `fields`.
    fn new(
        fields: Vec<(&'static str, Value)>,
        at: impl Into<At<'p>>,
        subject: SubjectRef<'p>,
        rules: u64,
    ) -> Self {
        Element {
            fields,
            record: std::cell::OnceCell::new(),
            at: at.into(),
            subject,
            rules,
        }
    }

    /// The element's record, as the rules see it.
    pub fn record(&self) -> &Value {
        self.record.get_or_init(|| {
            Value::map_of(
                self.fields
                    .iter()
                    .map(|(k, v)| (key(k), v.clone()))
                    .collect(),
            )
        })
    }

    /// The offending declaration: found only for the elements that fail
    /// a rule.
    pub fn span(&self) -> Span {
        match self.at {
            At::Span(span) => span,
            At::Reference(from, to, attr) => from
                .references
                .iter()
                .find(|r| r.target == to && r.attr == attr)
                .map_or(from.span, |r| r.span),
        }
    }

    /// Field `name` of the record, if it has one.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }
}

/// Where an element's declaration is: a span, or the reference of an
/// edge, looked up in its instance's references only when a rule fails for
/// the edge (a scan of the instance's references, with a comparison of
/// names each: it was made for every edge).
#[derive(Debug, Clone, Copy)]
enum At<'p> {
    Span(Span),
    /// The reference of instance `.0` to the instance named `.1` by
    /// attribute `.2`; the instance's own span without one.
    Reference(&'p Instance, &'p str, &'p str),
}

impl From<Span> for At<'_> {
    fn from(span: Span) -> Self {
        At::Span(span)
    }
}

/// For each (component, parameter): the rules over `params` whose leading
/// operands, which read only the parameter's declaration, do not rule it
/// out (bit `k`: the `k`-th rule over `params`). A parameter of no rule is
/// not built at all.
pub(crate) type ParamMasks<'p> = FastMap<(&'p str, &'p str), u64>;

/// For each kind of edge, in [`platc_sema::rule::EDGE_KINDS`] order: the
/// rules over `edges` that its `kind` does not rule out (bit `k`: the
/// `k`-th rule over `edges`). An edge of no rule is not built.
pub(crate) type EdgeMasks = [u64; 3];

/// A hash map with a fast hasher: its keys are the program's own names
/// and the facts of its instances, looked up once or more per element.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// The fields of a `params` element that its declaration gives, the same
/// for every instance of the component.
pub(crate) const PARAM_DECLARATION_FIELDS: [&str; 4] = ["name", "component", "type", "secret"];

/// The fields of a collection's records that the active rules read:
/// `None` for every field.
pub(crate) type Need = Option<BTreeSet<String>>;

/// A [`Need`] as [`Rec`] asks it, once for every field of every element:
/// the few names read, compared with `==` (by length first), not looked up
/// in a tree of strings; and how many fields a record then holds.
struct Wanted {
    /// `None`: every field.
    names: Option<Box<[Box<str>]>>,
    /// The most fields a record holds, to make room for them at once.
    most: usize,
}

impl Wanted {
    /// What the rules read of collection `name`.
    fn of(name: &str, need: Need) -> Wanted {
        let most = match &need {
            Some(n) => n.len(),
            None => platc_sema::rule::collection_fields(name).map_or(0, |f| f.len()),
        };
        Wanted {
            names: need.map(|n| n.into_iter().map(String::into_boxed_str).collect()),
            most,
        }
    }

    /// Whether a rule reads field `name`.
    fn contains(&self, name: &str) -> bool {
        self.names
            .as_ref()
            .is_none_or(|n| n.iter().any(|x| **x == *name))
    }
}

/// What a [`Wanted`] answered for the fields one builder of records sets,
/// in the order it sets them: asked by name for the first record, then
/// known by the place of the name (its address and length) while the
/// builder sets the same literal names in the same order, as it does for
/// every element (it was a comparison of names for every field of every
/// element).
struct Fields<'n> {
    need: &'n Wanted,
    /// The `k`-th field set: its name, and whether a rule reads it.
    order: Vec<(&'static str, bool)>,
}

impl<'n> Fields<'n> {
    fn new(need: &'n Wanted) -> Self {
        Fields {
            need,
            order: Vec::new(),
        }
    }

    /// A record to fill.
    fn rec(&mut self) -> Rec<'_, 'n> {
        Rec {
            fields: Vec::with_capacity(self.need.most),
            known: self,
            k: 0,
        }
    }

    /// Whether a rule reads `name`, the `k`-th field set.
    fn wanted(&mut self, k: usize, name: &'static str) -> bool {
        match self.order.get(k) {
            Some(&(n, wanted)) if std::ptr::eq(n, name) => wanted,
            _ => {
                let wanted = self.need.contains(name);
                self.order.truncate(k);
                self.order.push((name, wanted));
                wanted
            }
        }
    }
}

/// A record with only the fields a rule reads: the others are never
/// computed (a rule that reads none of a costly field, such as an
/// instance's images, costs nothing for it).
struct Rec<'f, 'n> {
    known: &'f mut Fields<'n>,
    /// How many fields were offered.
    k: usize,
    /// The fields set, each name once.
    fields: Vec<(&'static str, Value)>,
}

impl Rec<'_, '_> {
    /// Sets field `name` (each name once) when a rule reads it.
    fn field(&mut self, name: &'static str, f: impl FnOnce() -> Value) -> &mut Self {
        let k = self.k;
        self.k += 1;
        if self.known.wanted(k, name) {
            debug_assert!(
                self.fields.iter().all(|(k, _)| *k != name),
                "`{name}` set twice"
            );
            self.fields.push((name, f()));
        }
        self
    }

    fn fields(&mut self) -> Vec<(&'static str, Value)> {
        std::mem::take(&mut self.fields)
    }
}

/// Builds the collections of one platform, with the fields their rules
/// read.
pub(crate) struct Collections<'p, 'v> {
    platform: &'p Platform,
    graph: &'p PlatformGraph,
    user_values: &'p UserValues<'v>,
    needs: HashMap<&'static str, Wanted>,
    /// Who claims each host and path: built once for the platform, not
    /// once per chunk (that made `exposes` quadratic in the instances).
    claims: std::sync::OnceLock<Claims<'p>>,
    /// The graph's edges (references and requires), listed once, their
    /// texts borrowed from the graph.
    graph_edges: std::sync::OnceLock<Vec<platc_graph::EdgeRef<'p>>>,
    /// Each component's parameters: their types as written, and whether
    /// they are secrets.
    param_types: std::sync::OnceLock<ParamTypes<'p>>,
    param_masks: Option<ParamMasks<'p>>,
    edge_masks: Option<EdgeMasks>,
    /// Each instance's name and namespace as string values, made once
    /// for every collection and chunk (see [`Self::names`]).
    names: std::sync::OnceLock<Vec<[Value; 2]>>,
}

/// The type as written and whether it is a secret, of each (component,
/// parameter).
type ParamTypes<'p> = FastMap<(&'p str, &'p str), (&'p str, bool)>;

/// The endpoints (`instance.point`) that claim each host and path.
type Claims<'p> = HashMap<(&'p str, &'p str), Vec<String>>;

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

/// The string values of one chunk's records, each text made once: an
/// instance's name is in each of its edges, a namespace in the records of
/// every instance in it.
#[derive(Default)]
struct Strs<'p>(FastMap<&'p str, Value>);

impl<'p> Strs<'p> {
    /// `v` as a string value.
    fn get(&mut self, v: &'p str) -> Value {
        self.0.entry(v).or_insert_with(|| s(v)).clone()
    }
}

fn opt(v: Option<&str>) -> Value {
    v.map_or(Value::None, s)
}

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::list(items.into_iter().map(s).collect())
}

/// A record of fields with distinct names: the reference the nested
/// records ([`resources_record`], [`persistence_record`]) are tested
/// against.
#[cfg(test)]
fn record(fields: Vec<(&str, Value)>) -> Value {
    Value::map_of(fields.into_iter().map(|(k, v)| (key(k), v)).collect())
}

/// The names of the fields of the records policies read: of every
/// collection's elements, and of the records in an instance's `resources`
/// and `persistence` lists.
const NESTED_FIELDS: [&str; 4] = ["path", "requests", "limits", "enabled"];

/// The key `name` of a record, shared: each field name of a collection is
/// made once for the process and cloned into every record that has it (it
/// was an allocation per field per record).
fn key(name: &str) -> platc_sema::value::Str {
    type Keys = std::collections::HashSet<platc_sema::value::Str, foldhash::fast::FixedState>;
    static KEYS: std::sync::LazyLock<Keys> = std::sync::LazyLock::new(|| {
        platc_sema::rule::COLLECTIONS
            .iter()
            .flat_map(|c| platc_sema::rule::collection_fields(c).unwrap_or_default())
            .map(|n| n.as_str().into())
            .chain(NESTED_FIELDS.iter().map(|n| (*n).into()))
            .collect()
    });
    KEYS.get(name).cloned().unwrap_or_else(|| name.into())
}

static ALL: Wanted = Wanted {
    names: None,
    most: 0,
};

impl<'p, 'v> Collections<'p, 'v> {
    pub fn new(
        platform: &'p Platform,
        graph: &'p PlatformGraph,
        user_values: &'p UserValues<'v>,
        needs: HashMap<&'static str, Need>,
    ) -> Self {
        Collections {
            platform,
            graph,
            user_values,
            needs: needs
                .into_iter()
                .map(|(k, n)| (k, Wanted::of(k, n)))
                .collect(),
            claims: std::sync::OnceLock::new(),
            graph_edges: std::sync::OnceLock::new(),
            param_types: std::sync::OnceLock::new(),
            param_masks: None,
            edge_masks: None,
            names: std::sync::OnceLock::new(),
        }
    }

    /// Builds only the `params` elements that some rule may fail, and
    /// marks which (see [`ParamMasks`]).
    pub fn with_param_masks(mut self, masks: ParamMasks<'p>) -> Self {
        self.param_masks = Some(masks);
        self
    }

    /// Builds only the edges that some rule may fail, and marks which
    /// (see [`EdgeMasks`]).
    pub fn with_edge_masks(mut self, masks: EdgeMasks) -> Self {
        self.edge_masks = Some(masks);
        self
    }

    /// Whether a collection's elements belong to instances, so that it can
    /// be built in chunks of instances (not edges or secrets).
    pub fn instance_units(name: &str) -> bool {
        matches!(name, "exposes" | "instances" | "params")
    }

    /// How many units collection `name` is made of, that [`Self::chunk`]
    /// takes ranges of: instances, edges, or one for the secrets.
    pub fn units(&self, name: &str) -> usize {
        match name {
            "edges" => self.graph_edges().len() + self.graph.observes().len(),
            _ if Self::instance_units(name) => self.platform.instances.len(),
            _ => 1,
        }
    }

    /// The elements of collection `name` that belong to the instances in
    /// `range` (every element, for a collection not of instances), or
    /// `None` for a name that is not a collection (the checker has reported
    /// it).
    pub fn chunk(&self, name: &str, range: std::ops::Range<usize>) -> Option<Vec<Element<'_>>> {
        let all = &self.platform.instances;
        let insts: &'p [Instance] = &all[range.start.min(all.len())..range.end.min(all.len())];
        Some(match name {
            "exposes" => self.exposes(insts),
            "instances" => self.instances(range.start, insts),
            "secrets" => self.secrets(),
            "edges" => self.edges(range),
            "params" => self.params(insts),
            _ => return None,
        })
    }

    /// The name and the namespace of instance `i` as string values, shared
    /// by every record that holds them: an instance's name is in each of
    /// its edges, endpoints and parameters.
    fn names(&self, i: usize) -> &[Value; 2] {
        let all = self.names.get_or_init(|| {
            self.platform
                .instances
                .iter()
                .map(|i| [s(&i.name), s(&i.namespace)])
                .collect()
        });
        &all[i]
    }

    fn need(&self, collection: &str) -> &Wanted {
        self.needs.get(collection).unwrap_or(&ALL)
    }

    fn exposes(&self, insts: &'p [Instance]) -> Vec<Element<'p>> {
        let need = self.need("exposes");
        let mut fields = Fields::new(need);
        // Who claims each host and path (when a rule asks).
        let empty = Claims::new();
        let claims = if need.contains("shared_with") {
            self.claims.get_or_init(|| {
                let mut claims = Claims::new();
                for i in &self.platform.instances {
                    for e in &i.exposes {
                        claims
                            .entry((e.host.as_str(), e.path.as_str()))
                            .or_default()
                            .push(format!("{}.{}", i.name, e.name));
                    }
                }
                claims
            })
        } else {
            &empty
        };
        let mut out = Vec::new();
        let mut strs = Strs::default();
        for i in insts {
            for e in &i.exposes {
                let value = fields
                    .rec()
                    .field("instance", || strs.get(&i.name))
                    .field("name", || s(&e.name))
                    .field("component", || strs.get(&i.component))
                    .field("namespace", || strs.get(&i.namespace))
                    .field("host", || s(&e.host))
                    .field("path", || s(&e.path))
                    .field("auth", || opt(e.auth.as_deref()))
                    .field("tls", || Value::Bool(e.tls))
                    .field("audit", || Value::Bool(e.audit))
                    .field("public", || Value::Bool(e.public))
                    .field("port", || Value::Int(e.port))
                    .field("shared_with", || {
                        let me = format!("{}.{}", i.name, e.name);
                        strings(
                            claims
                                .get(&(e.host.as_str(), e.path.as_str()))
                                .into_iter()
                                .flatten()
                                .filter(|o| **o != me)
                                .map(String::as_str),
                        )
                    })
                    .fields();
                out.push(Element::new(
                    value,
                    e.span,
                    SubjectRef::Endpoint(&i.name, &e.name),
                    u64::MAX,
                ));
            }
        }
        out
    }

    /// The elements of `insts`, the instances from index `first` on.
    fn instances(&self, first: usize, insts: &'p [Instance]) -> Vec<Element<'p>> {
        let p = self.platform;
        let need = self.need("instances");
        let mut fields = Fields::new(need);
        let wants_facts = ["images", "resources", "persistence"]
            .iter()
            .any(|f| need.contains(f));
        let mut shared = SharedFacts::default();
        let mut strs = Strs::default();
        insts
            .iter()
            .enumerate()
            .map(|(n, i)| {
                let facts = if wants_facts {
                    facts::Facts::of(i, &(self.user_values)(i))
                } else {
                    facts::Facts::default()
                };
                let value = fields
                    .rec()
                    // Texts made once: the names for the platform, a
                    // chart's name and version for the chunk.
                    .field("name", || self.names(first + n)[0].clone())
                    .field("component", || strs.get(&i.component))
                    .field("namespace", || strs.get(&i.namespace))
                    .field("environment", || opt(p.environment.as_deref()))
                    .field("labels", || {
                        Value::map(
                            [
                                ("app.kubernetes.io/instance", i.k8s_name.as_str()),
                                ("app.kubernetes.io/managed-by", "platc"),
                                ("app.kubernetes.io/name", i.component.as_str()),
                                ("app.kubernetes.io/part-of", p.name.as_str()),
                            ]
                            .into_iter()
                            .map(|(k, v)| (k.into(), s(v)))
                            .collect(),
                        )
                    })
                    .field("provides", || {
                        strings(i.provides.iter().map(|x| x.interface.as_str()))
                    })
                    .field("chart", || {
                        i.chart.as_ref().map_or(Value::None, |c| strs.get(&c.name))
                    })
                    .field("chart_version", || {
                        i.chart
                            .as_ref()
                            .map_or(Value::None, |c| strs.get(&c.version))
                    })
                    .field("params", || params_record(p, i))
                    .field("images", || shared.images(facts.images))
                    .field("resources", || shared.resources(facts.resources))
                    .field("persistence", || shared.persistence(facts.persistence))
                    .fields();
                Element::new(value, i.span, SubjectRef::Instance(&i.name), u64::MAX)
            })
            .collect()
    }

    fn secrets(&self) -> Vec<Element<'p>> {
        let p = self.platform;
        if p.secrets.is_empty() {
            return Vec::new();
        }
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
        let need = self.need("secrets");
        let mut fields = Fields::new(need);
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
                let value = fields
                    .rec()
                    .field("name", || s(&sec.name))
                    .field("source", || s(source))
                    .field("keys", || strings(sec.keys.iter().map(String::as_str)))
                    .field("namespace", || s(namespace))
                    .field("readers", || strings(rs.iter().map(|i| i.name.as_str())))
                    .fields();
                Element::new(value, sec.span, SubjectRef::Secret(&sec.name), u64::MAX)
            })
            .collect()
    }

    /// The graph's edges: references and requires.
    fn graph_edges(&self) -> &[platc_graph::EdgeRef<'p>] {
        self.graph_edges
            .get_or_init(|| self.graph.edge_refs().collect())
    }

    /// The edges in `range` of the platform's edges: the graph's
    /// (references and requires), then what instances observe (borrowed
    /// from the graph, not copied).
    fn edges(&self, range: std::ops::Range<usize>) -> Vec<Element<'_>> {
        let p = self.platform;
        let graph_edges = self.graph_edges();
        let observes = self.graph.observes();
        let n = graph_edges.len();
        let total = n + observes.len();
        let (a, b) = (range.start.min(total), range.end.min(total));
        let kinded = graph_edges[a.min(n)..b.min(n)]
            .iter()
            .map(|e| {
                let kind = if e.attr == REQUIRES_ATTR {
                    "requires"
                } else {
                    "reference"
                };
                (*e, kind)
            })
            .chain(observes[a.max(n) - n..b.max(n) - n].iter().map(|e| {
                let e = platc_graph::EdgeRef {
                    from: e.from,
                    to: e.to,
                    flows: &e.flows,
                    attr: &e.attr,
                };
                (e, "observes")
            }));
        let need = self.need("edges");
        let mut fields = Fields::new(need);
        let mut strs = Strs::default();
        kinded
            .filter_map(|(e, kind)| {
                let rules = self.edge_masks.map_or(u64::MAX, |m| {
                    platc_sema::rule::EDGE_KINDS
                        .iter()
                        .position(|k| *k == kind)
                        .map_or(u64::MAX, |i| m[i])
                });
                if rules == 0 {
                    return None;
                }
                let from = p.instances.get(e.from)?;
                let to = p.instances.get(e.to)?;
                let at = match kind {
                    "reference" => At::Reference(from, &to.name, e.attr),
                    _ => At::Span(from.span),
                };
                let attr = if kind == "observes" {
                    OBSERVES_ATTR
                } else {
                    e.attr
                };
                let value = fields
                    .rec()
                    .field("from", || self.names(e.from)[0].clone())
                    .field("to", || self.names(e.to)[0].clone())
                    .field("kind", || strs.get(kind))
                    .field("interface", || strs.get(e.flows))
                    .field("attr", || strs.get(attr))
                    .field("from_namespace", || self.names(e.from)[1].clone())
                    .field("to_namespace", || self.names(e.to)[1].clone())
                    .fields();
                Some(Element::new(
                    value,
                    at,
                    SubjectRef::Edge(&from.name, &to.name),
                    rules,
                ))
            })
            .collect()
    }

    fn params(&self, insts: &'p [Instance]) -> Vec<Element<'p>> {
        let p = self.platform;
        let need = self.need("params");
        let mut fields = Fields::new(need);
        let mut out = Vec::new();
        let types = self.param_types.get_or_init(|| {
            let mut types = ParamTypes::default();
            // The first component of a name, as `Platform::component`.
            for c in &p.components {
                for x in &c.params {
                    let secret = x.ty == "secret" || x.ty == "secret?";
                    types
                        .entry((c.name.as_str(), x.name.as_str()))
                        .or_insert((x.ty.as_str(), secret));
                }
            }
            types
        });
        for i in insts {
            for (name, v) in i.args.iter() {
                let rules = self.param_masks.as_ref().map_or(u64::MAX, |m| {
                    m.get(&(i.component.as_str(), &**name))
                        .copied()
                        .unwrap_or(u64::MAX)
                });
                if rules == 0 {
                    continue;
                }
                let (ty, secret) = types
                    .get(&(i.component.as_str(), &**name))
                    .copied()
                    .unwrap_or(("", false));
                let value = match v {
                    Value::Str(_) => v.clone(),
                    _ => Value::None,
                };
                let set = i.arg_spans.contains_key(name);
                out.push(Element::new(
                    fields
                        .rec()
                        .field("instance", || s(&i.name))
                        .field("component", || s(&i.component))
                        .field("namespace", || s(&i.namespace))
                        .field("name", || s(name))
                        .field("type", || s(ty))
                        .field("secret", || Value::Bool(secret))
                        .field("set", || Value::Bool(set))
                        .field("value", || value)
                        .fields(),
                    i.arg_spans.get(name).copied().unwrap_or(i.span),
                    SubjectRef::Param(&i.name, name),
                    rules,
                ));
            }
        }
        out
    }
}

/// The values of the facts of the instances of one chunk, each made once:
/// instances of one component mostly have the same images and the same
/// `resources` and `persistence` blocks, which their records then share
/// (and the memo of a condition that reads them compares by pointer).
#[derive(Default)]
struct SharedFacts {
    images: FastMap<Vec<String>, Value>,
    resources: FastMap<Vec<facts::Resources>, Value>,
    persistence: FastMap<Vec<(String, bool)>, Value>,
}

impl SharedFacts {
    /// The `images` field: the image references.
    fn images(&mut self, images: Vec<String>) -> Value {
        shared(&mut self.images, images, |images| {
            strings(images.iter().map(String::as_str))
        })
    }

    /// The `resources` field: a record per `resources` block.
    fn resources(&mut self, resources: Vec<facts::Resources>) -> Value {
        shared(&mut self.resources, resources, |resources| {
            Value::list(
                resources
                    .iter()
                    .map(|r| resources_record(&r.path, r.requests, r.limits))
                    .collect(),
            )
        })
    }

    /// The `persistence` field: a record per `persistence` switch.
    fn persistence(&mut self, persistence: Vec<(String, bool)>) -> Value {
        shared(&mut self.persistence, persistence, |persistence| {
            Value::list(
                persistence
                    .iter()
                    .map(|(path, on)| persistence_record(path, *on))
                    .collect(),
            )
        })
    }
}

/// The names of the fields of nested records, made once for the process.
struct NestedKeys {
    path: platc_sema::value::Str,
    requests: platc_sema::value::Str,
    limits: platc_sema::value::Str,
    enabled: platc_sema::value::Str,
}

static NESTED_KEYS: std::sync::LazyLock<NestedKeys> = std::sync::LazyLock::new(|| NestedKeys {
    path: key("path"),
    requests: key("requests"),
    limits: key("limits"),
    enabled: key("enabled"),
});

/// A `resources` block's record: what [`record`] makes of its fields,
/// from entries in key order (no lookup of the names, no sort).
fn resources_record(path: &str, requests: bool, limits: bool) -> Value {
    let k = &*NESTED_KEYS;
    Value::map_of_sorted(vec![
        (k.limits.clone(), Value::Bool(limits)),
        (k.path.clone(), s(path)),
        (k.requests.clone(), Value::Bool(requests)),
    ])
}

/// A `persistence` switch's record, as [`resources_record`].
fn persistence_record(path: &str, enabled: bool) -> Value {
    let k = &*NESTED_KEYS;
    Value::map_of_sorted(vec![
        (k.enabled.clone(), Value::Bool(enabled)),
        (k.path.clone(), s(path)),
    ])
}

/// The value `make` gives for `key`, made once per distinct key.
fn shared<K: Eq + std::hash::Hash>(
    made: &mut FastMap<K, Value>,
    key: K,
    make: impl FnOnce(&K) -> Value,
) -> Value {
    if let Some(v) = made.get(&key) {
        return v.clone();
    }
    let v = make(&key);
    made.insert(key, v.clone());
    v
}

/// The instance's parameters as the `params` record: every field of
/// [`Platform::policy_param_fields`], `none` where the instance has no
/// such parameter.
fn params_record(p: &Platform, i: &Instance) -> Value {
    Value::map(
        p.policy_param_fields
            .iter()
            .map(|f| {
                let v = match i.args.get(f.as_str()) {
                    Some(v) if plain(v) => v.clone(),
                    _ => Value::None,
                };
                (f.as_str().into(), v)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The nested records made from sorted entries are the ones [`record`]
    /// makes: equal, identical as the memo compares them, and with their
    /// keys in the same order.
    #[test]
    fn nested_records_as_record_makes_them() {
        for path in ["", "a.resources", "jobs[2].resources", "ünï"] {
            for (requests, limits) in [(true, true), (true, false), (false, true), (false, false)] {
                let fast = resources_record(path, requests, limits);
                let slow = record(vec![
                    ("path", s(path)),
                    ("requests", Value::Bool(requests)),
                    ("limits", Value::Bool(limits)),
                ]);
                assert_eq!(fast, slow);
                assert!(crate::memo::identical(&fast, &slow));
                assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
            }
            for on in [true, false] {
                let fast = persistence_record(path, on);
                let slow = record(vec![("path", s(path)), ("enabled", Value::Bool(on))]);
                assert_eq!(fast, slow);
                assert!(crate::memo::identical(&fast, &slow));
                assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
            }
        }
    }

    /// Every element of every collection has exactly the fields of its
    /// record type, as the checker types rules with them.
    #[test]
    fn elements_have_the_fields_of_their_type() {
        let src = include_str!("../../../examples/quickstart/main.plat");
        let c = platc_driver::check_source("main.plat", src, &platc_driver::Options::default());
        let p = c.platform.as_ref().expect("the quickstart checks");
        let g = c.graph.as_ref().expect("and has a graph");
        let none = |_: &Instance| Vec::new();
        let cs = Collections::new(p, g, &none, HashMap::new());
        for name in platc_sema::rule::COLLECTIONS {
            let want = platc_sema::rule::collection_fields(name).unwrap();
            let elements = cs.chunk(name, 0..p.instances.len()).unwrap();
            assert!(!elements.is_empty(), "the quickstart has {name}");
            for el in elements {
                let Value::Map(m) = el.record() else {
                    panic!("{name}: not a record")
                };
                let got: Vec<&str> = m.keys().map(|k| &**k).collect();
                assert_eq!(got, want.to_vec(), "{name}");
            }
        }
    }

    /// A need asked field by field answers as the set of names it was
    /// made of, and without one every field is wanted.
    #[test]
    fn wanted_fields_are_the_needed_names() {
        let names = ["from", "to", "kind", "from_namespace", "x"];
        let need: Need = Some(names.iter().map(|n| n.to_string()).collect());
        let set = need.clone().unwrap();
        let wanted = Wanted::of("edges", need);
        let all = Wanted::of("edges", None);
        assert_eq!(all.most, 7);
        for probe in [
            "from",
            "fro",
            "fromx",
            "to",
            "to_namespace",
            "kind",
            "",
            "x",
            "attr",
        ] {
            assert_eq!(wanted.contains(probe), set.contains(probe), "{probe}");
            assert!(all.contains(probe));
        }
    }

    /// Records filled through [`Fields`] hold the fields the need asks
    /// for: for a builder that sets the same literals every time, one
    /// that sets names of the same text at other addresses, in another
    /// order, or fewer of them.
    #[test]
    fn known_fields_are_the_needed_ones() {
        let need: Need = Some(
            ["from", "kind", "x"]
                .map(String::from)
                .into_iter()
                .collect(),
        );
        let wanted = Wanted::of("edges", need);
        let leaked = |t: &str| -> &'static str { Box::leak(t.to_string().into_boxed_str()) };
        let orders: Vec<Vec<&'static str>> = vec![
            vec!["from", "to", "kind", "attr"],
            vec!["from", "to", "kind", "attr"],
            vec![leaked("from"), "to", leaked("kind"), "attr"],
            vec!["kind", "from", "to"],
            vec!["from"],
            vec!["to", "x", "attr", "from", "kind"],
            vec!["from", "to", "kind", "attr"],
        ];
        let mut fields = Fields::new(&wanted);
        for names in &orders {
            let mut rec = fields.rec();
            for (k, name) in names.iter().enumerate() {
                rec.field(name, || Value::Int(k as i64));
            }
            let got: Vec<(&str, Value)> = rec.fields();
            let expected: Vec<(&str, Value)> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| wanted.contains(n))
                .map(|(k, n)| (*n, Value::Int(k as i64)))
                .collect();
            assert_eq!(got, expected, "{names:?}");
        }
    }

    /// The keys of records are shared text with the names asked for; a
    /// name of no collection is made as it is.
    #[test]
    fn record_keys_are_shared() {
        let names = platc_sema::rule::COLLECTIONS
            .iter()
            .flat_map(|c| platc_sema::rule::collection_fields(c).unwrap())
            .chain(NESTED_FIELDS.iter().map(|n| n.to_string()));
        for name in names {
            let (a, b) = (key(&name), key(&name));
            assert_eq!(&*a, name);
            assert!(platc_sema::value::Str::ptr_eq(&a, &b), "{name}");
        }
        assert_eq!(&*key("no_such_field"), "no_such_field");
        let a = record(vec![("path", s("x")), ("enabled", Value::Bool(true))]);
        let b = record(vec![("enabled", Value::Bool(false)), ("path", s("y"))]);
        let (Value::Map(a), Value::Map(b)) = (a, b) else {
            panic!("records are maps")
        };
        for (ka, kb) in a.keys().zip(b.keys()) {
            assert!(platc_sema::value::Str::ptr_eq(ka, kb), "{ka}");
        }
    }

    /// With a need, only the fields read are built.
    #[test]
    fn only_the_fields_read_are_built() {
        let src = include_str!("../../../examples/quickstart/main.plat");
        let c = platc_driver::check_source("main.plat", src, &platc_driver::Options::default());
        let p = c.platform.as_ref().unwrap();
        let g = c.graph.as_ref().unwrap();
        let none = |_: &Instance| Vec::new();
        let need: Need = Some(["name".to_string()].into_iter().collect());
        let cs = Collections::new(p, g, &none, [("instances", need)].into_iter().collect());
        for el in cs.chunk("instances", 0..p.instances.len()).unwrap() {
            let Value::Map(m) = el.record() else { panic!() };
            assert_eq!(m.keys().map(|k| &**k).collect::<Vec<_>>(), ["name"]);
        }
    }

    /// The edges are the graph's then the observed ones, with their kinds,
    /// and the span of each is found as it was made for every edge: the
    /// reference's of a reference edge (the instance's without one), the
    /// instance's otherwise; in chunks of any size.
    #[test]
    fn edges_and_their_spans() {
        let src = include_str!("../../../examples/quickstart/main.plat");
        let c = platc_driver::check_source("main.plat", src, &platc_driver::Options::default());
        let p = c.platform.as_ref().unwrap();
        let g = c.graph.as_ref().unwrap();
        let none = |_: &Instance| Vec::new();
        let cs = Collections::new(p, g, &none, HashMap::new());
        let mut expected: Vec<(Value, Span)> = Vec::new();
        let graph_edges = g.edges();
        let kinded = graph_edges
            .iter()
            .map(|e| {
                (
                    e,
                    if e.attr == REQUIRES_ATTR {
                        "requires"
                    } else {
                        "reference"
                    },
                )
            })
            .chain(g.observes().iter().map(|e| (e, "observes")));
        for (e, kind) in kinded {
            let (from, to) = (&p.instances[e.from], &p.instances[e.to]);
            let span = match kind {
                "reference" => from
                    .references
                    .iter()
                    .find(|r| r.target == to.name && r.attr == e.attr)
                    .map_or(from.span, |r| r.span),
                _ => from.span,
            };
            expected.push((s(kind), span));
        }
        assert!(expected.iter().any(|(k, _)| *k == s("observes")));
        let n = cs.units("edges");
        assert_eq!(n, expected.len());
        for size in [1, 3, n] {
            let mut got: Vec<(Value, Span)> = Vec::new();
            for a in (0..n).step_by(size) {
                for el in cs.chunk("edges", a..a + size).unwrap() {
                    got.push((el.field("kind").unwrap().clone(), el.span()));
                }
            }
            assert_eq!(got, expected, "chunks of {size}");
        }
        assert!(expected
            .iter()
            .any(|(k, span)| *k == s("reference") && p.instances.iter().all(|i| i.span != *span)));
    }
}
