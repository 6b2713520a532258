//! Building the facts of a chart from its `values.yaml` and
//! `values.schema.json` (and those of its subcharts, when known).
//!
//! The acceptance rules are those of `tests/stdlib_chart_keys.rs` (see its
//! module docs), turned from a per-path question into one graph:
//!
//! - A key path is accepted when `values.yaml` has it, or it lies below a
//!   map that is free-form there (empty, `null` where the schema says nothing
//!   about the key, or a map that `freeform.rs` names); or when the schema
//!   declares it: a listed property, `additionalProperties: true` or a
//!   schema, an object schema that lists no properties at all.
//! - Whatever `values.yaml` shows, a key that the schema forbids is rejected:
//!   below `additionalProperties: false`, or below a value whose `type` is not
//!   `object`.
//! - An object schema that lists properties but says nothing about others is
//!   strict: other keys are rejected unless `values.yaml` shows them or the map
//!   is free-form there ([`Other::Unlisted`]).
//!
//! The schema is read as the stdlib test reads it: a node's `$ref` (local
//! `#/...` only) and `allOf` members all apply, and a key is declared when one
//! of them declares it; of `anyOf` and `oneOf` one member must apply. Beside a
//! `$ref` or a combinator a node's own keywords count for keys only when they
//! say something about keys. Types come only from the schema's `type`, enums
//! from `enum` and `const`; `values.yaml` defaults give no type (Helm
//! templates are lax).
//!
//! Where this differs from the stdlib test:
//!
//! - A `null` default is a free-form slot unless the schema describes the
//!   key (the test treats it as a scalar).
//! - Maps named in `freeform.rs` are free-form although they have content.
//! - A combinator member that only adds constraints (`{required: [...]}`)
//!   is neutral; the test takes it for an open map.
//! - List elements are checked against the schema's `items`; values.yaml
//!   lists are examples and give elements no shape.
//! - Each dependency in Chart.yaml gets the facts of its subchart under its
//!   values key (`alias` or `name`), as Helm passes it those values; when the
//!   subchart is not known, the key is free-form. `global` is free-form in a
//!   chart with dependencies: each subchart reads its own keys there.
//!
//! Two readings are looser than JSON Schema, where exactness would need
//! regular expressions or a per-path search: `patternProperties` accept every
//! key (checked against the union of their schemas), and of `anyOf` members
//! the union is taken level by level. `pattern`, `minimum` and the like are
//! not facts; [`crate::Schema`] checks them.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;

use crate::freeform;
use crate::tree::{Facts, Node, NodeId, Other, Types};

/// Schema nodes followed through `$ref`s and combinators before giving up
/// (the node then accepts anything).
const SCHEMA_DEPTH: usize = 200;
/// Nesting of values.yaml maps before giving up (the rest is free-form).
const VALUES_DEPTH: usize = 64;

/// A values.yaml value, reduced to what matters for keys.
#[derive(Debug)]
pub(crate) enum Value {
    Null,
    Scalar,
    List,
    Map(Vec<(String, Value)>),
}

impl Value {
    fn from_yaml(yaml: &serde_yaml_ng::Value) -> Value {
        use serde_yaml_ng::Value as Y;
        match yaml {
            Y::Null => Value::Null,
            Y::Bool(_) | Y::Number(_) | Y::String(_) => Value::Scalar,
            Y::Sequence(_) => Value::List,
            Y::Mapping(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (key_string(k), Value::from_yaml(v)))
                    .collect(),
            ),
            Y::Tagged(tagged) => Value::from_yaml(&tagged.value),
        }
    }
}

/// A YAML map key as Helm sees it: keys become strings.
fn key_string(key: &serde_yaml_ng::Value) -> String {
    use serde_yaml_ng::Value as Y;
    match key {
        Y::String(s) => s.clone(),
        Y::Null => "null".to_string(),
        Y::Bool(b) => b.to_string(),
        Y::Number(n) => n.to_string(),
        Y::Tagged(t) => key_string(&t.value),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// What `Chart.yaml` says that matters here.
struct ChartMeta {
    name: String,
    version: String,
    /// The values key of each dependency (its `alias`, else its `name`),
    /// with its chart name.
    dependencies: Vec<(String, String)>,
    /// Some dependency has `tags`: the values key `tags` switches them.
    tags: bool,
}

fn chart_meta(chart_yaml: &str) -> Result<ChartMeta, String> {
    use serde_yaml_ng::Value as Y;
    let meta: Y = serde_yaml_ng::from_str(chart_yaml)
        .map_err(|e| format!("Chart.yaml: invalid YAML: {e}"))?;
    let text = |v: Option<&Y>| match v {
        Some(Y::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Y::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let field =
        |key: &str| text(meta.get(key)).ok_or_else(|| format!("Chart.yaml has no `{key}:`"));
    let mut dependencies = Vec::new();
    let mut tags = false;
    if let Some(Y::Sequence(deps)) = meta.get("dependencies") {
        for dep in deps {
            let Some(name) = text(dep.get("name")) else {
                return Err("Chart.yaml has a dependency without `name:`".to_string());
            };
            let key = text(dep.get("alias")).unwrap_or_else(|| name.clone());
            tags |= matches!(dep.get("tags"), Some(Y::Sequence(t)) if !t.is_empty());
            dependencies.push((key, name));
        }
    }
    Ok(ChartMeta {
        name: field("name")?,
        version: field("version")?,
        dependencies,
        tags,
    })
}

/// The files of a chart, and of its subcharts when they are known.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChartFiles {
    pub(crate) chart_yaml: String,
    pub(crate) values_yaml: String,
    pub(crate) schema_json: Option<String>,
    /// The charts in its `charts/` folder; `None` when they are not known
    /// (then every dependency's values are free-form).
    pub(crate) subcharts: Option<Vec<ChartFiles>>,
    /// The texts of its templates (`templates/*`), when known: a key they
    /// read (`.Values.config.existingSecret`) is a key of the chart even
    /// where values.yaml only mentions it in a comment.
    pub(crate) templates: Vec<String>,
}

/// The values key paths that template texts read as `.Values.a.b.c`
/// (also `$.Values...`) outside comments, sorted and without repeats. Keys
/// reached through `index`, `with` or a variable are not found.
pub(crate) fn template_keys(templates: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for text in templates {
        // Template comments (`{{/* ... */}}`) document keys, often of other
        // charts or versions: they read nothing.
        let mut code = String::with_capacity(text.len());
        let mut tail = text.as_str();
        while let Some(open) = tail.find("/*") {
            code.push_str(&tail[..open]);
            tail = match tail[open..].find("*/") {
                Some(close) => &tail[open + close + 2..],
                None => "",
            };
        }
        code.push_str(tail);
        let mut rest = code.as_str();
        while let Some(at) = rest.find(".Values.") {
            let after = &rest[at + ".Values".len()..];
            let mut path = Vec::new();
            let mut s = after;
            while let Some(tail) = s.strip_prefix('.') {
                let len = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                if len == 0 || tail.as_bytes()[0].is_ascii_digit() {
                    break;
                }
                path.push(tail[..len].to_string());
                s = &tail[len..];
            }
            if !path.is_empty() {
                out.push(path);
            }
            rest = &rest[at + 1..];
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Adds each of `paths` that values.yaml lacks as a `null` default (a slot
/// the templates read). It goes down through maps only, and stops at what
/// values.yaml already leaves free-form (an empty map, a `null`): nothing
/// values.yaml says is changed or narrowed.
fn add_template_keys(yaml: &mut serde_yaml_ng::Value, paths: &[Vec<String>]) {
    use serde_yaml_ng::Value as Y;
    if paths.is_empty() {
        return;
    }
    if yaml.is_null() {
        *yaml = Y::Mapping(Default::default());
    }
    for path in paths {
        let mut node = &mut *yaml;
        for (k, key) in path.iter().enumerate() {
            let Y::Mapping(map) = node else {
                break;
            };
            let key = Y::String(key.clone());
            if !map.contains_key(&key) {
                let mut leaf = Y::Null;
                for inner in path[k + 1..].iter().rev() {
                    let mut m = serde_yaml_ng::Mapping::new();
                    m.insert(Y::String(inner.clone()), leaf);
                    leaf = Y::Mapping(m);
                }
                map.insert(key, leaf);
                break;
            }
            let next = map.get_mut(&key).expect("present");
            match next {
                Y::Mapping(m) if !m.is_empty() => node = next,
                _ => break,
            }
        }
    }
}
/// Subcharts nested deeper than this are free-form.
const SUBCHART_DEPTH: usize = 8;

pub(crate) fn generate(
    chart_yaml: &str,
    values_yaml: &str,
    schema_json: Option<&str>,
) -> Result<Facts, String> {
    let files = ChartFiles {
        chart_yaml: chart_yaml.to_string(),
        values_yaml: values_yaml.to_string(),
        schema_json: schema_json.map(str::to_string),
        subcharts: None,
        templates: Vec::new(),
    };
    generate_files(&files).map(|(facts, _)| facts)
}

/// The facts of a chart and its subcharts, and notes on the subcharts for
/// the file header.
pub(crate) fn generate_files(files: &ChartFiles) -> Result<(Facts, Vec<String>), String> {
    let mut b = Builder::new();
    let mut notes = Vec::new();
    let (meta, root) = b.chart(files, 0, "", &mut notes)?;
    let (nodes, root) = b.finish(root);
    let nodes = canonical(nodes, root);
    let facts = Facts::new(meta.name, meta.version, nodes);
    Ok((facts, notes))
}

impl Builder {
    /// Lowers one chart: its schema, its subcharts (each under its values
    /// key, as Helm passes them their values), and its values.yaml.
    fn chart(
        &mut self,
        files: &ChartFiles,
        depth: usize,
        prefix: &str,
        notes: &mut Vec<String>,
    ) -> Result<(ChartMeta, NodeId), String> {
        let meta = chart_meta(&files.chart_yaml)?;
        let mut yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&files.values_yaml)
            .map_err(|e| format!("values.yaml: invalid YAML: {e}"))?;
        yaml.apply_merge()
            .map_err(|e| format!("values.yaml: {e}"))?;
        add_template_keys(&mut yaml, &template_keys(&files.templates));
        let values = Value::from_yaml(&yaml);
        let mut root_schema = match &files.schema_json {
            Some(text) => {
                let schema: Json = serde_json::from_str(text)
                    .map_err(|e| format!("values.schema.json: invalid JSON: {e}"))?;
                let lowered = self.schema(&schema, &schema);
                self.flush();
                // The memo is by address, valid while `schema` lives.
                self.schemas.clear();
                lowered
            }
            None => Other::Unlisted,
        };
        if !meta.dependencies.is_empty() {
            let mut keys = BTreeMap::new();
            for (key, name) in &meta.dependencies {
                let found = files.subcharts.iter().flatten().find_map(|s| {
                    let m = chart_meta(&s.chart_yaml).ok()?;
                    (&m.name == name).then_some((s, m.version))
                });
                let id = match found {
                    Some((sub, version)) if depth < SUBCHART_DEPTH => {
                        notes.push(format!("`{prefix}{key}`: subchart {name} {version}."));
                        let (_, id) = self
                            .chart(sub, depth + 1, &format!("{prefix}{key}."), notes)
                            .map_err(|e| format!("subchart {name}: {e}"))?;
                        id
                    }
                    _ => {
                        notes.push(format!(
                            "`{prefix}{key}`: subchart {name} is not known; free-form."
                        ));
                        self.any
                    }
                };
                keys.insert(key.clone().into_boxed_str(), id);
            }
            // Subcharts read their own keys of `global`, which Helm shares.
            keys.insert("global".into(), self.any);
            if meta.tags {
                keys.insert("tags".into(), self.any);
            }
            let dependencies = self.push(Node {
                keys: keys.into_iter().collect(),
                other: Other::Unlisted,
                ..Node::any()
            });
            root_schema = self.and(&[root_schema, Other::Node(dependencies)]);
        }
        let chart = std::mem::replace(&mut self.chart, meta.name.clone());
        let path = std::mem::take(&mut self.path);
        let root = self.values(&values, root_schema, false, 0);
        self.chart = chart;
        self.path = path;
        let root = match root {
            Some(id) => id,
            // The schema rejects every key: `false` or a non-object root.
            None => self.push(Node {
                other: Other::Forbid,
                ..Node::any()
            }),
        };
        Ok((meta, root))
    }
}

/// Where a node of the [`Builder`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Complete,
    /// A schema being lowered: its content is not known yet.
    Lowering,
    /// Stands for another node (a schema that is another schema plus
    /// nothing, or a merge).
    Alias(NodeId),
    /// A merge or opening that waits for [`Builder::flush`].
    Deferred,
    /// A deferred operation being computed (to cut cycles).
    Computing,
}

/// An operation on nodes whose content was not known when it was asked for.
#[derive(Debug, Clone)]
enum Op {
    Merge(Vec<NodeId>, bool),
    Open(NodeId),
}

/// Builds the graph. Schemas are lowered depth-first; a `$ref` may point at
/// a schema that is still being lowered (recursion), so operations that
/// read a node's content (merging, opening) wait until every schema is
/// lowered, then run in [`Builder::flush`].
struct Builder {
    /// The chart whose values.yaml is being merged, for [`freeform`].
    chart: String,
    nodes: Vec<Node>,
    state: Vec<State>,
    any: NodeId,
    /// Schema nodes already lowered, by address in the parsed schema.
    schemas: HashMap<usize, NodeId>,
    ands: HashMap<Vec<NodeId>, NodeId>,
    ors: HashMap<Vec<NodeId>, NodeId>,
    opened: HashMap<NodeId, NodeId>,
    /// Deferred operations, in the order they were asked for.
    deferred: Vec<NodeId>,
    ops: HashMap<NodeId, Op>,
    depth: usize,
    /// The values.yaml key path being merged, for [`freeform`].
    path: Vec<String>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            chart: String::new(),
            nodes: vec![Node::any()],
            state: vec![State::Complete],
            any: 0,
            schemas: HashMap::new(),
            ands: HashMap::new(),
            ors: HashMap::new(),
            opened: HashMap::new(),
            deferred: Vec::new(),
            ops: HashMap::new(),
            depth: 0,
            path: Vec::new(),
        }
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.push_with(node, State::Complete)
    }

    fn push_with(&mut self, node: Node, state: State) -> NodeId {
        self.nodes.push(node);
        self.state.push(state);
        (self.nodes.len() - 1) as NodeId
    }

    /// The node `id` stands for.
    fn resolve(&self, mut id: NodeId) -> NodeId {
        while let State::Alias(target) = self.state[id as usize] {
            id = target;
        }
        id
    }

    fn ready(&self, id: NodeId) -> bool {
        self.state[self.resolve(id) as usize] == State::Complete
    }

    fn node(&self, id: NodeId) -> &Node {
        &self.nodes[self.resolve(id) as usize]
    }

    /// What `id` does with `key`: a listed child, or its [`Other`].
    fn child_of(&self, id: NodeId, key: &str) -> Other {
        let node = self.node(id);
        match node.child(key) {
            Some(child) => Other::Node(child),
            None => node.other,
        }
    }

    /// Says nothing: the identity of [`Builder::and`].
    fn is_neutral(&self, id: NodeId) -> bool {
        self.ready(id) && {
            let n = self.node(id);
            n.types.is_any()
                && n.enum_values.is_none()
                && n.keys.is_empty()
                && n.other == Other::Unlisted
                && n.items.is_none()
                && !n.open
        }
    }

    // ------------------------------------------------------------ schema

    /// Lowers one schema; `true` and `false` become [`Other::Any`] and
    /// [`Other::Forbid`], every object schema a node.
    fn schema(&mut self, root: &Json, schema: &Json) -> Other {
        let Json::Object(_) = schema else {
            return match schema {
                Json::Bool(false) => Other::Forbid,
                _ => Other::Any,
            };
        };
        let address = schema as *const Json as usize;
        if let Some(&id) = self.schemas.get(&address) {
            return Other::Node(id);
        }
        if self.depth >= SCHEMA_DEPTH {
            return Other::Any;
        }
        // Reserved before descending, so that a recursive `$ref` finds it.
        let slot = self.push_with(Node::any(), State::Lowering);
        self.schemas.insert(address, slot);
        self.depth += 1;
        let result = self.schema_node(root, schema);
        self.depth -= 1;
        let content = match result {
            Other::Node(id) if self.resolve(id) == slot => {
                // `S = S`: a reference cycle that says nothing.
                Node::any()
            }
            Other::Node(id) => {
                self.state[slot as usize] = State::Alias(id);
                return Other::Node(slot);
            }
            Other::Any => Node::any(),
            Other::Unlisted => Node {
                other: Other::Unlisted,
                ..Node::any()
            },
            Other::Forbid => Node {
                other: Other::Forbid,
                ..Node::any()
            },
        };
        self.nodes[slot as usize] = content;
        self.state[slot as usize] = State::Complete;
        Other::Node(slot)
    }
    fn schema_node(&mut self, root: &Json, schema: &Json) -> Other {
        let has = |key: &str| schema.get(key).is_some();
        let composite = has("$ref") || has("allOf") || has("anyOf") || has("oneOf");
        let constrains_keys = has("properties")
            || has("additionalProperties")
            || has("patternProperties")
            || !declared_types(schema).allows(Types::OBJECT);
        let own = self.own_node(root, schema, composite && !constrains_keys);
        let mut parts = vec![Other::Node(own)];
        if let Some(target) = schema.get("$ref").and_then(Json::as_str) {
            if let Some(found) = resolve_ref(root, target) {
                parts.push(self.schema(root, found));
            }
        }
        let members = |key: &str| {
            schema
                .get(key)
                .and_then(Json::as_array)
                .map(|a| a.iter().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        for member in members("allOf") {
            parts.push(self.member(root, member));
        }
        for key in ["anyOf", "oneOf"] {
            let alternatives = members(key);
            if !alternatives.is_empty() {
                let lowered: Vec<Other> =
                    alternatives.iter().map(|m| self.member(root, m)).collect();
                parts.push(self.or(&lowered));
            }
        }
        self.and(&parts)
    }

    /// A member of `allOf`, `anyOf` or `oneOf`. A member that only adds
    /// constraints such as `required` (`anyOf: [{required: [value]},
    /// {required: [valueFrom]}]`, common in Kubernetes-derived schemas) says
    /// nothing about keys: it is neutral, where the stdlib test's reading
    /// would take it for an open map and accept every key of its parent.
    fn member(&mut self, root: &Json, member: &Json) -> Other {
        const SHAPING: &[&str] = &[
            "type",
            "properties",
            "additionalProperties",
            "patternProperties",
            "items",
            "enum",
            "const",
            "$ref",
            "allOf",
            "anyOf",
            "oneOf",
        ];
        match member {
            Json::Object(map) if !SHAPING.iter().any(|k| map.contains_key(*k)) => Other::Unlisted,
            _ => self.schema(root, member),
        }
    }

    /// A schema's own keywords. When `neutral`, they say nothing about keys
    /// (types, enum and items still count).
    fn own_node(&mut self, root: &Json, schema: &Json, neutral: bool) -> NodeId {
        let types = declared_types(schema);
        let enum_values = match (schema.get("enum"), schema.get("const")) {
            (Some(Json::Array(values)), _) => Some(values.clone().into_boxed_slice()),
            (_, Some(value)) => Some(vec![value.clone()].into_boxed_slice()),
            _ => None,
        };
        let items = match schema.get("items") {
            Some(Json::Array(tuple)) => {
                let lowered: Vec<Other> = tuple.iter().map(|m| self.schema(root, m)).collect();
                self.or(&lowered)
            }
            Some(items) => self.schema(root, items),
            None => Other::Any,
        };
        let items = match items {
            Other::Node(id) => Some(id),
            _ => None,
        };
        let mut node = Node {
            types,
            enum_values,
            items,
            other: Other::Unlisted,
            ..Node::any()
        };
        if neutral {
            return self.push(node);
        }
        if !types.allows(Types::OBJECT) {
            node.other = Other::Forbid;
            return self.push(node);
        }
        let mut keys = BTreeMap::new();
        if let Some(Json::Object(properties)) = schema.get("properties") {
            for (key, property) in properties {
                match self.schema(root, property) {
                    Other::Node(id) => {
                        keys.insert(key.clone().into_boxed_str(), id);
                    }
                    Other::Any | Other::Unlisted => {
                        keys.insert(key.clone().into_boxed_str(), self.any);
                    }
                    Other::Forbid => {}
                }
            }
        }
        let listed = matches!(schema.get("properties"), Some(Json::Object(p)) if !p.is_empty());
        let mut other = match schema.get("additionalProperties") {
            Some(extra) => self.schema(root, extra),
            None if listed => Other::Unlisted,
            None => Other::Any,
        };
        if let Some(Json::Object(patterns)) = schema.get("patternProperties") {
            let mut alternatives = vec![other];
            for pattern in patterns.values() {
                alternatives.push(self.schema(root, pattern));
            }
            other = self.or(&alternatives);
        }
        node.keys = keys.into_iter().collect();
        node.other = other;
        self.push(node)
    }

    // ------------------------------------------------------------ combining

    /// Every part applies: a key is forbidden when one part forbids it, and
    /// declared when one declares it. A part that accepts anything opens the
    /// others (their unlisted keys are accepted).
    fn and(&mut self, parts: &[Other]) -> Other {
        if parts.contains(&Other::Forbid) {
            return Other::Forbid;
        }
        let mut ids: Vec<NodeId> = parts
            .iter()
            .filter_map(|p| match p {
                Other::Node(id) => Some(self.resolve(*id)),
                _ => None,
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > 1 {
            ids.retain(|&id| !self.is_neutral(id));
            if ids.is_empty() {
                ids.push(self.push(Node {
                    other: Other::Unlisted,
                    ..Node::any()
                }));
            }
        }
        let opens = parts.contains(&Other::Any);
        if ids.is_empty() {
            return if opens { Other::Any } else { Other::Unlisted };
        }
        let id = if ids.len() == 1 {
            ids[0]
        } else {
            self.merge(ids, true)
        };
        Other::Node(if opens { self.open(id) } else { id })
    }

    /// One alternative applies: the union, level by level.
    fn or(&mut self, alternatives: &[Other]) -> Other {
        if alternatives.contains(&Other::Any) {
            return Other::Any;
        }
        let mut ids: Vec<NodeId> = alternatives
            .iter()
            .filter_map(|p| match p {
                Other::Node(id) => Some(self.resolve(*id)),
                _ => None,
            })
            .collect();
        if ids.is_empty() {
            return if alternatives.contains(&Other::Unlisted) || alternatives.is_empty() {
                Other::Unlisted
            } else {
                Other::Forbid
            };
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.len() == 1 {
            return Other::Node(ids[0]);
        }
        Other::Node(self.merge(ids, false))
    }

    /// The conjunction (`all`) or union of several nodes, as a new node.
    fn merge(&mut self, ids: Vec<NodeId>, all: bool) -> NodeId {
        let memo = if all { &self.ands } else { &self.ors };
        if let Some(&id) = memo.get(&ids) {
            return id;
        }
        let slot = self.push_with(Node::any(), State::Deferred);
        if all {
            self.ands.insert(ids.clone(), slot);
        } else {
            self.ors.insert(ids.clone(), slot);
        }
        let ready = ids.iter().all(|&id| self.ready(id));
        let op = Op::Merge(ids, all);
        if ready {
            self.run(slot, op);
        } else {
            self.defer(slot, op);
        }
        slot
    }

    /// `id` with its unlisted keys accepted, at every depth.
    fn open(&mut self, id: NodeId) -> NodeId {
        let id = self.resolve(id);
        if let Some(&opened) = self.opened.get(&id) {
            return opened;
        }
        if self.ready(id) && self.node(id).open {
            return id;
        }
        let slot = self.push_with(Node::any(), State::Deferred);
        self.opened.insert(id, slot);
        if self.ready(id) {
            self.run(slot, Op::Open(id));
        } else {
            self.defer(slot, Op::Open(id));
        }
        slot
    }

    fn defer(&mut self, slot: NodeId, op: Op) {
        self.ops.insert(slot, op);
        self.deferred.push(slot);
    }

    /// Runs every deferred operation; after it, every node is complete.
    fn flush(&mut self) {
        let mut next = 0;
        while next < self.deferred.len() {
            let slot = self.deferred[next];
            next += 1;
            self.force(slot);
        }
        self.deferred.clear();
        self.ops.clear();
    }

    /// Makes `id` complete; `false` when it depends on its own content
    /// (a cycle of merges), in which case it is left out where it is used.
    fn force(&mut self, id: NodeId) -> bool {
        let id = self.resolve(id);
        match self.state[id as usize] {
            State::Complete => true,
            State::Deferred => {
                let op = self.ops.get(&id).cloned().expect("a deferred operation");
                self.run(id, op);
                true
            }
            State::Computing | State::Lowering | State::Alias(_) => false,
        }
    }

    fn run(&mut self, slot: NodeId, op: Op) {
        self.state[slot as usize] = State::Computing;
        let node = match op {
            Op::Open(id) => {
                if self.force(id) {
                    let mut node = self.node(id).clone();
                    node.open = true;
                    node
                } else {
                    Node {
                        other: Other::Unlisted,
                        open: true,
                        ..Node::any()
                    }
                }
            }
            Op::Merge(ids, all) => {
                let mut inputs = Vec::with_capacity(ids.len());
                for id in ids {
                    if self.force(id) {
                        inputs.push(self.resolve(id));
                    }
                }
                self.merged(&inputs, all)
            }
        };
        self.nodes[slot as usize] = node;
        self.state[slot as usize] = State::Complete;
    }

    /// The content of the conjunction or union of complete nodes.
    fn merged(&mut self, ids: &[NodeId], all: bool) -> Node {
        let nodes: Vec<Node> = ids.iter().map(|&id| self.node(id).clone()).collect();
        let Some(first) = nodes.first() else {
            return Node {
                other: Other::Unlisted,
                ..Node::any()
            };
        };
        let mut types = first.types;
        let mut enum_values = first.enum_values.clone();
        for n in &nodes[1..] {
            if all {
                types = Types::normalized(types.0 & n.types.0);
                enum_values = match (enum_values, &n.enum_values) {
                    (Some(a), Some(b)) => Some(
                        a.iter()
                            .filter(|x| b.iter().any(|y| crate::tree::json_eq(x, y)))
                            .cloned()
                            .collect(),
                    ),
                    (a, b) => a.or_else(|| b.clone()),
                };
                // Contradicting enums: checked no further.
                if enum_values.as_ref().is_some_and(|v| v.is_empty()) {
                    enum_values = None;
                }
            } else {
                types = Types::normalized(types.0 | n.types.0);
                enum_values = match (enum_values, &n.enum_values) {
                    (Some(a), Some(b)) => {
                        let mut union = a.into_vec();
                        for y in b.iter() {
                            if !union.iter().any(|x| crate::tree::json_eq(x, y)) {
                                union.push(y.clone());
                            }
                        }
                        Some(union.into_boxed_slice())
                    }
                    _ => None,
                };
            }
        }
        let mut names: Vec<&str> = nodes
            .iter()
            .flat_map(|n| n.keys.iter().map(|(k, _)| k.as_ref()))
            .collect();
        names.sort_unstable();
        names.dedup();
        let names: Vec<String> = names.into_iter().map(str::to_string).collect();
        let mut keys = Vec::with_capacity(names.len());
        for name in names {
            let parts: Vec<Other> = nodes
                .iter()
                .map(|n| match n.child(&name) {
                    Some(child) => Other::Node(child),
                    None => n.other,
                })
                .collect();
            let child = if all {
                self.and(&parts)
            } else {
                self.or(&parts)
            };
            match child {
                Other::Node(id) => keys.push((name.into_boxed_str(), id)),
                Other::Any | Other::Unlisted => keys.push((name.into_boxed_str(), self.any)),
                Other::Forbid => {}
            }
        }
        let others: Vec<Other> = nodes.iter().map(|n| n.other).collect();
        let other = if all {
            self.and(&others)
        } else {
            self.or(&others)
        };
        let items: Vec<Other> = nodes
            .iter()
            .map(|n| n.items.map_or(Other::Any, Other::Node))
            .collect();
        let items = match if all {
            self.and(&items)
        } else {
            self.or(&items)
        } {
            Other::Node(id) => Some(id),
            _ => None,
        };
        Node {
            types,
            enum_values,
            keys: keys.into_boxed_slice(),
            other,
            items,
            open: nodes.iter().any(|n| n.open),
        }
    }

    /// The nodes with every reference resolved, and the root.
    fn finish(mut self, root: NodeId) -> (Vec<Node>, NodeId) {
        self.flush();
        let resolved: Vec<NodeId> = (0..self.nodes.len() as NodeId)
            .map(|id| self.resolve(id))
            .collect();
        let map = |id: NodeId| resolved[id as usize];
        for node in &mut self.nodes {
            for (_, child) in node.keys.iter_mut() {
                *child = map(*child);
            }
            if let Other::Node(id) = node.other {
                node.other = Other::Node(map(id));
            }
            node.items = node.items.map(map);
        }
        (self.nodes, map(root))
    }

    // ------------------------------------------------------------ values.yaml

    /// The node for a values.yaml value at the current path, given what the
    /// schema says there; `None` when the schema forbids the key. `open`:
    /// an ancestor is free-form.
    fn values(&mut self, value: &Value, schema: Other, open: bool, depth: usize) -> Option<NodeId> {
        let schema = match schema {
            Other::Forbid => return None,
            Other::Any => return Some(self.any),
            Other::Unlisted => return Some(self.values_only(value, open, depth)),
            Other::Node(id) => id,
        };
        let entries = match value {
            Value::Map(entries) if !entries.is_empty() => entries,
            // Empty: free-form in values.yaml, but the schema still applies.
            Value::Map(_) => return Some(self.open(schema)),
            // `null`, a scalar or a list: the schema says it all.
            _ => return Some(schema),
        };
        if depth >= VALUES_DEPTH {
            return Some(self.open(schema));
        }
        let free = freeform::is_free_form(&self.chart, &self.path, all_scalars(entries));
        let mut node = self.node(schema).clone();
        let open_below = open || free || node.open;
        let mut keys: BTreeMap<Box<str>, NodeId> = node.keys.iter().cloned().collect();
        for (key, child) in entries {
            let in_schema = self.child_of(schema, key);
            self.path.push(key.clone());
            let lowered = self.values(child, in_schema, open_below, depth + 1);
            self.path.pop();
            if let Some(id) = lowered {
                keys.insert(key.clone().into_boxed_str(), id);
            }
        }
        node.keys = keys.into_iter().collect();
        node.open |= free;
        Some(self.push(node))
    }

    /// The node for a values.yaml value that no schema describes.
    fn values_only(&mut self, value: &Value, open: bool, depth: usize) -> NodeId {
        let entries = match value {
            // Below a free-form map, with no schema to forbid anything.
            _ if open => return self.any,
            // `{}` and `null`: a free-form slot.
            Value::Null => return self.any,
            Value::Map(entries) if entries.is_empty() => return self.any,
            Value::Map(entries) => entries,
            // A scalar or a list: no keys below (list elements are examples,
            // not a shape, so they are not checked).
            Value::Scalar | Value::List => {
                return self.push(Node {
                    other: Other::Unlisted,
                    ..Node::any()
                })
            }
        };
        if depth >= VALUES_DEPTH
            || freeform::is_free_form(&self.chart, &self.path, all_scalars(entries))
        {
            return self.any;
        }
        let mut keys = BTreeMap::new();
        for (key, child) in entries {
            self.path.push(key.clone());
            let id = self.values_only(child, false, depth + 1);
            self.path.pop();
            keys.insert(key.clone().into_boxed_str(), id);
        }
        self.push(Node {
            keys: keys.into_iter().collect(),
            other: Other::Unlisted,
            ..Node::any()
        })
    }
}

fn all_scalars(entries: &[(String, Value)]) -> bool {
    entries
        .iter()
        .all(|(_, v)| matches!(v, Value::Scalar | Value::Null))
}

/// The `type` of a schema node; [`Types::ANY`] when it has none.
fn declared_types(schema: &Json) -> Types {
    let bits = match schema.get("type") {
        Some(Json::String(name)) => Types::from_name(name).unwrap_or(Types::ANY.0),
        Some(Json::Array(names)) => names
            .iter()
            .map(|n| {
                n.as_str()
                    .and_then(Types::from_name)
                    .unwrap_or(Types::ANY.0)
            })
            .fold(0, |a, b| a | b),
        _ => Types::ANY.0,
    };
    Types::normalized(bits)
}

/// A local `$ref` (`#`, `#/definitions/...`, `#/$defs/...`); other
/// references are not followed.
fn resolve_ref<'a>(root: &'a Json, target: &str) -> Option<&'a Json> {
    let pointer = target.strip_prefix('#')?;
    if pointer.contains('%') {
        root.pointer(&percent_decode(pointer))
    } else {
        root.pointer(pointer)
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------- canonical form

/// The children of a node, in order: its keys', its other keys', its
/// items'.
fn edges(n: &Node) -> impl Iterator<Item = NodeId> + '_ {
    let other = match n.other {
        Other::Node(id) => Some(id),
        _ => None,
    };
    n.keys.iter().map(|(_, id)| *id).chain(other).chain(n.items)
}

/// The canonical form of a graph: the nodes reachable from `root`, with
/// equivalent nodes merged (partition refinement, as in automaton
/// minimisation) and numbered in depth-first order from the root, which
/// becomes node 0. Generation and parsing both end here, so equal facts
/// are equal values.
pub(crate) fn canonical(mut nodes: Vec<Node>, root: NodeId) -> Vec<Node> {
    let live = normalize(&mut nodes, root);

    // Partition refinement: start from what a node says itself, split by
    // the classes of its children until nothing splits.
    let mut class = vec![usize::MAX; nodes.len()];
    {
        let mut ids: FastMap<LocalKey<'_>, usize> = FastMap::default();
        for &i in &live {
            let n = ids.len();
            class[i] = *ids.entry(LocalKey::of(&nodes[i])).or_insert(n);
        }
    }
    let mut count = live.iter().map(|&i| class[i]).max().map_or(0, |m| m + 1);
    loop {
        let mut ids: FastMap<(usize, Vec<usize>), usize> = FastMap::default();
        let mut next = class.clone();
        for &i in &live {
            let signature = (
                class[i],
                edges(&nodes[i]).map(|c| class[c as usize]).collect(),
            );
            let n = ids.len();
            next[i] = *ids.entry(signature).or_insert(n);
        }
        let new_count = ids.len();
        class = next;
        if new_count == count {
            break;
        }
        count = new_count;
    }

    numbered(nodes, root, &class, count)
}

/// The normalisations of [`canonical`] that merge nothing: a child that
/// accepts anything written as such, the keys of what cannot be an object
/// and the items of what cannot be a list dropped, `open` kept only above
/// an `Unlisted` node. The nodes reachable from `root`, in order.
fn normalize(nodes: &mut [Node], root: NodeId) -> Vec<usize> {
    // A child that accepts anything is written as such.
    loop {
        let mut changed = false;
        for i in 0..nodes.len() {
            if let Other::Node(id) = nodes[i].other {
                if nodes[id as usize].is_any() {
                    nodes[i].other = Other::Any;
                    changed = true;
                }
            }
            if let Some(id) = nodes[i].items {
                if nodes[id as usize].is_any() {
                    nodes[i].items = None;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    // A value that cannot be an object has no keys, one that cannot be a
    // list no elements: such nodes are `closed` whatever they listed.
    for node in nodes.iter_mut() {
        if !node.types.allows(Types::OBJECT) {
            node.keys = Box::new([]);
            node.other = Other::Forbid;
        }
        if !node.types.allows(Types::ARRAY) {
            node.items = None;
        }
    }
    // Reachable nodes.
    let mut reachable = vec![false; nodes.len()];
    let mut stack = vec![root];
    reachable[root as usize] = true;
    while let Some(id) = stack.pop() {
        for next in edges(&nodes[id as usize]) {
            if !reachable[next as usize] {
                reachable[next as usize] = true;
                stack.push(next);
            }
        }
    }
    let live: Vec<usize> = (0..nodes.len()).filter(|&i| reachable[i]).collect();

    // `open` matters only where a node below is `Unlisted`.
    let mut needs_open: Vec<bool> = nodes.iter().map(|n| n.other == Other::Unlisted).collect();
    loop {
        let mut changed = false;
        for &i in &live {
            if !needs_open[i] && edges(&nodes[i]).any(|c| needs_open[c as usize]) {
                needs_open[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for &i in &live {
        if !needs_open[i] {
            nodes[i].open = false;
        }
    }
    live
}

/// The classes of `class` (`count` of them) as nodes, numbered depth-first
/// from the root, children in order; each class made of its first node so
/// reached.
fn numbered(mut nodes: Vec<Node>, root: NodeId, class: &[usize], count: usize) -> Vec<Node> {
    // Number the classes depth-first from the root, children in order.
    let mut number = vec![u32::MAX; count];
    let mut representative = Vec::with_capacity(count);
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        let c = class[id as usize];
        if number[c] != u32::MAX {
            continue;
        }
        number[c] = representative.len() as u32;
        representative.push(id);
        let mut children: Vec<NodeId> = edges(&nodes[id as usize]).collect();
        children.reverse();
        for child in children {
            if number[class[child as usize]] == u32::MAX {
                stack.push(child);
            }
        }
    }
    let renumber = |id: NodeId| number[class[id as usize]];
    // Each representative is taken once: moved, not copied.
    representative
        .iter()
        .map(|&id| {
            let n = std::mem::replace(&mut nodes[id as usize], Node::any());
            let mut keys = n.keys;
            for (_, c) in keys.iter_mut() {
                *c = renumber(*c);
            }
            Node {
                types: n.types,
                enum_values: n.enum_values,
                keys,
                other: match n.other {
                    Other::Node(c) => Other::Node(renumber(c)),
                    other => other,
                },
                items: n.items.map(renumber),
                open: n.open,
            }
        })
        .collect()
}

/// A hash map with a fast hasher, for the partitions of [`canonical`]: it
/// runs for every bundled chart the first time a platform uses it, where
/// SipHash was a third of reading the chart's facts.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// What a node says itself, for the first partition.
#[derive(PartialEq, Eq, Hash)]
struct LocalKey<'a> {
    types: Types,
    enum_values: Option<String>,
    keys: Vec<&'a str>,
    other: u8,
    items: bool,
    open: bool,
}

impl<'a> LocalKey<'a> {
    fn of(n: &'a Node) -> LocalKey<'a> {
        LocalKey {
            types: n.types,
            enum_values: n
                .enum_values
                .as_ref()
                .map(|v| serde_json::to_string(v).unwrap_or_default()),
            keys: n.keys.iter().map(|(k, _)| k.as_ref()).collect(),
            other: match n.other {
                Other::Forbid => 0,
                Other::Unlisted => 1,
                Other::Any => 2,
                Other::Node(_) => 3,
            },
            items: n.items.is_some(),
            open: n.open,
        }
    }
}
