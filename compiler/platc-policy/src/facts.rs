//! Facts about an instance that policies read, derived from what it
//! deploys by Helm's conventions, never by chart name: the images its
//! values and objects set, its `resources` blocks, and its `persistence`
//! switches.
//!
//! The values read are those platc writes for the instance, then the
//! user's values files over them, and the bodies of its objects. The
//! chart's own defaults are not: they are fixed by the exact chart version.

use platc_sema::value::Entries;
use platc_sema::{Instance, Value};
use serde_json::Value as Json;

/// A `resources` block: whether it sets requests and limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Resources {
    pub path: String,
    pub requests: bool,
    pub limits: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// Image references, sorted, without duplicates.
    pub images: Vec<String>,
    pub resources: Vec<Resources>,
    /// `(path of the persistence block, enabled)`.
    pub persistence: Vec<(String, bool)>,
}

/// A values tree, as platc evaluated it or as JSON (a values file merged
/// over it): the facts are read from either without converting one into
/// the other.
trait Node: Sized {
    /// Calls `f` on each entry of a map, in order; false when not a map.
    fn for_each_entry<'a>(&'a self, f: impl FnMut(&'a str, &'a Self)) -> bool;
    fn is_map(&self) -> bool;
    /// A map or a list: something that may hold facts below it.
    fn is_container(&self) -> bool;
    fn items(&self) -> Option<&[Self]>;
    /// A non-empty string, or a number as text.
    fn text(&self) -> Option<String>;
    fn boolean(&self) -> Option<bool>;
    fn get(&self, key: &str) -> Option<&Self>;
}

impl Node for Json {
    fn for_each_entry<'a>(&'a self, mut f: impl FnMut(&'a str, &'a Self)) -> bool {
        match self {
            Json::Object(m) => {
                m.iter().for_each(|(k, v)| f(k, v));
                true
            }
            _ => false,
        }
    }
    fn is_map(&self) -> bool {
        self.is_object()
    }
    fn is_container(&self) -> bool {
        matches!(self, Json::Object(_) | Json::Array(_))
    }
    fn items(&self) -> Option<&[Self]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }
    fn text(&self) -> Option<String> {
        match self {
            Json::String(s) if !s.is_empty() => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object()?.get(key)
    }
}

impl Node for Value {
    fn for_each_entry<'a>(&'a self, mut f: impl FnMut(&'a str, &'a Self)) -> bool {
        match self {
            Value::Map(m) => {
                m.iter().for_each(|(k, v)| f(k, v));
                true
            }
            _ => false,
        }
    }
    fn is_map(&self) -> bool {
        matches!(self, Value::Map(_))
    }
    fn is_container(&self) -> bool {
        matches!(self, Value::Map(_) | Value::List(_))
    }
    fn items(&self) -> Option<&[Self]> {
        match self {
            Value::List(l) => Some(l.as_slice()),
            _ => None,
        }
    }
    fn text(&self) -> Option<String> {
        match self {
            Value::Str(s) if !s.is_empty() => Some(s.to_string()),
            Value::Int(_) | Value::Float(_) | Value::Quantity(_) => self.interpolate(),
            _ => None,
        }
    }
    fn boolean(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn get(&self, key: &str) -> Option<&Self> {
        match self {
            Value::Map(m) => m.get(key),
            _ => None,
        }
    }
}

impl Facts {
    pub fn of(inst: &Instance, user: &[&Json]) -> Facts {
        let mut f = Facts::default();
        if user.is_empty() {
            // The values as evaluated: no conversion, no copy.
            for (k, child) in &inst.values {
                f.value_entry(k, child, &Path::Root, 0);
            }
        } else {
            let mut values = serde_json::Map::new();
            for (k, v) in &inst.values {
                if let Some(j) = v.to_json() {
                    values.insert(k.to_string(), j);
                }
            }
            let mut values = Json::Object(values);
            for u in user {
                merge(&mut values, u);
            }
            f.walk(&values, &mut Vec::new(), 0);
        }
        for r in &inst.resources {
            // The body's entries as a map's: walked where they are.
            let object = Path::Seg(Seg::Object(&r.kind, &r.object_name), &Path::Root);
            for (k, child) in &r.body {
                f.value_entry(k, child, &object, 0);
            }
        }
        f.images.sort();
        f.images.dedup();
        f
    }

    fn walk<'a, N: Node>(&mut self, v: &'a N, path: &mut Vec<Seg<'a>>, depth: usize) {
        // Values files are bounded in depth when read (128); so are the
        // values platc writes. Stop well past that, never overflow.
        if depth > 256 {
            return;
        }
        let is_map = v.for_each_entry(|k, child| self.entry(k, child, path, depth));
        if !is_map {
            if let Some(items) = v.items() {
                // An item that holds nothing is no fact: only entries of
                // maps are.
                for (n, child) in items.iter().enumerate() {
                    if child.is_container() {
                        path.push(Seg::Index(n));
                        self.walk(child, path, depth + 1);
                        path.pop();
                    }
                }
            }
        }
    }
}

impl Facts {
    /// The facts of entry `k` of a map at `path`, and of what it holds.
    fn entry<'a, N: Node>(
        &mut self,
        k: &'a str,
        child: &'a N,
        path: &mut Vec<Seg<'a>>,
        depth: usize,
    ) {
        // A scalar holds nothing below it, and is a fact only as an image.
        if !child.is_container() {
            if k == "image" {
                self.images.extend(child.text());
            }
            return;
        }
        path.push(Seg::Key(k));
        match k {
            "image" => {
                if child.is_map() {
                    if let Some(image) = image_of(child) {
                        self.images.push(image);
                    }
                } else if let Some(s) = child.text() {
                    self.images.push(s);
                }
            }
            // A volume claim's `resources` asks for storage: not a
            // container's.
            "resources" if child.is_map() => {
                if let Some((requests, limits)) = container_resources(child) {
                    self.resources.push(Resources {
                        path: dotted(path),
                        requests,
                        limits,
                    })
                }
            }
            "persistence" => {
                if let Some(on) = child.get("enabled").and_then(Node::boolean) {
                    self.persistence.push((dotted(path), on));
                }
            }
            _ => {}
        }
        self.walk(child, path, depth + 1);
        path.pop();
    }
}

/// The facts of evaluated values, walked without the [`Node`] trait's
/// closures and without a vector of segments: each level's segment lives
/// on the stack and points to its parent's, so that nothing is pushed or
/// popped for the many entries that hold no fact (what the reference walk,
/// [`Facts::walk`], does for every container it enters). A scalar entry is
/// a fact only as `image`; a map's entries are read from its vector (or
/// B-tree) directly. Gives what [`Facts::walk`] gives (tests compare them).
impl Facts {
    /// The facts of entry `k` of a map at `path`, and of what it holds:
    /// a scalar settled here, in the loop over the map's entries (most
    /// entries; a call each was a sixth of the walk).
    #[inline(always)]
    fn value_entry<'a>(&mut self, k: &'a str, child: &'a Value, path: &Path<'a>, depth: usize) {
        match child {
            Value::Map(_) | Value::List(_) => self.container_entry(k, child, path, depth),
            // A scalar holds nothing below it, and is a fact only as an image.
            _ => {
                if k == "image" {
                    self.images.extend(child.text());
                }
            }
        }
    }

    /// [`Self::value_entry`] of a map or a list.
    fn container_entry<'a>(&mut self, k: &'a str, child: &'a Value, path: &Path<'a>, depth: usize) {
        let here = Path::Seg(Seg::Key(k), path);
        if matches!(k, "image" | "resources" | "persistence") {
            self.container_fact(k, child, &here);
        }
        self.walk_value(child, &here, depth + 1);
    }

    /// The fact of entry `k`, a map or a list at `here`, when its key
    /// names one. Apart from the walk (and not inlined into it): few
    /// entries are facts, and the walk's frame is then smaller, with fewer
    /// registers saved and restored for every map and list it enters.
    #[inline(never)]
    fn container_fact<'a>(&mut self, k: &'a str, child: &'a Value, here: &Path<'a>) {
        match k {
            // A list is no image (it has no text).
            "image" if child.is_map() => {
                if let Some(image) = image_of(child) {
                    self.images.push(image);
                }
            }
            "resources" if child.is_map() => {
                if let Some((requests, limits)) = container_resources(child) {
                    self.resources.push(Resources {
                        path: here.dotted(),
                        requests,
                        limits,
                    })
                }
            }
            "persistence" => {
                if let Some(on) = child.get("enabled").and_then(Node::boolean) {
                    self.persistence.push((here.dotted(), on));
                }
            }
            _ => {}
        }
    }

    /// The facts below `v`, a map or a list at `path`.
    fn walk_value<'a>(&mut self, v: &'a Value, path: &Path<'a>, depth: usize) {
        // As in [`Facts::walk`]: stop well past any depth values have.
        if depth > 256 {
            return;
        }
        match v {
            Value::Map(m) => match &***m {
                Entries::Small(entries) => {
                    for (k, child) in entries {
                        self.value_entry(k, child, path, depth);
                    }
                }
                Entries::Large(entries) => {
                    for (k, child) in entries {
                        self.value_entry(k, child, path, depth);
                    }
                }
            },
            Value::List(items) => {
                // An item that holds nothing is no fact: only entries of
                // maps are.
                for (n, child) in items.iter().enumerate() {
                    if matches!(child, Value::Map(_) | Value::List(_)) {
                        self.walk_value(child, &Path::Seg(Seg::Index(n), path), depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

/// A path in a values tree, from the entry walked back to the root: each
/// segment on the stack of the walk that entered it.
enum Path<'p> {
    Root,
    Seg(Seg<'p>, &'p Path<'p>),
}

impl Path<'_> {
    /// `a.b[0].c`: built only for what is reported.
    fn dotted(&self) -> String {
        let mut out = String::with_capacity(128);
        self.write(&mut out);
        out
    }

    /// Writes the path, its parent's first, as [`dotted`] writes segments.
    fn write(&self, out: &mut String) {
        if let Path::Seg(seg, parent) = self {
            parent.write(out);
            seg.write(out);
        }
    }
}

/// A segment of a path in a values tree.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
    /// An object of the instance, by kind and name: the key `KIND/NAME`.
    Object(&'a str, &'a str),
}

/// `a.b[0].c`: built only for what is reported.
fn dotted(path: &[Seg]) -> String {
    let mut out = String::with_capacity(64);
    for s in path {
        s.write(&mut out);
    }
    out
}

impl Seg<'_> {
    /// Writes the segment after those of `out`.
    fn write(&self, out: &mut String) {
        match self {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(n) => {
                out.push('[');
                // An index below 10 (nearly every one) without formatting.
                match u8::try_from(*n) {
                    Ok(d) if d < 10 => out.push(char::from(b'0' + d)),
                    _ => out.push_str(&n.to_string()),
                }
                out.push(']');
            }
            Seg::Object(kind, name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(kind);
                out.push('/');
                out.push_str(name);
            }
        }
    }
}

/// Whether a `resources` map sets requests and limits, read in one pass
/// over its entries; `None` when it claims storage (a volume claim's, not
/// a container's).
fn container_resources<N: Node>(r: &N) -> Option<(bool, bool)> {
    let (mut requests, mut limits, mut storage) = (false, false, false);
    r.for_each_entry(|k, v| {
        let set = match k {
            "requests" => &mut requests,
            "limits" => &mut limits,
            _ => return,
        };
        storage |= v.get("storage").is_some();
        let mut any = false;
        *set = v.for_each_entry(|_, _| any = true) && any;
    });
    (!storage).then_some((requests, limits))
}

#[cfg(test)]
fn claims_storage<N: Node>(r: &N) -> bool {
    ["requests", "limits"]
        .iter()
        .any(|k| r.get(k).is_some_and(|m| m.get("storage").is_some()))
}

#[cfg(test)]
fn nonempty<N: Node>(v: Option<&N>) -> bool {
    let mut any = false;
    v.is_some_and(|m| m.for_each_entry(|_, _| any = true)) && any
}

/// The reference an `image: { registry, repository, tag, digest }` map
/// sets. A map without a tag or digest leaves the chart's default one (of
/// the pinned chart version) in force: no reference of its own.
fn image_of<N: Node>(m: &N) -> Option<String> {
    let repository = m
        .get("repository")
        .and_then(Node::text)
        .or_else(|| m.get("name").and_then(Node::text))?;
    let tag = m.get("tag").and_then(Node::text);
    let digest = m.get("digest").and_then(Node::text);
    if tag.is_none() && digest.is_none() {
        return None;
    }
    let mut image = match m.get("registry").and_then(Node::text) {
        Some(r) => format!("{r}/{repository}"),
        None => repository,
    };
    if let Some(t) = tag {
        image.push(':');
        image.push_str(&t);
    }
    if let Some(d) = digest {
        image.push('@');
        image.push_str(&d);
    }
    Some(image)
}

/// Helm's merge of a values file over the values: maps merge key by key,
/// anything else replaces.
fn merge(base: &mut Json, over: &Json) {
    match (base, over) {
        (Json::Object(b), Json::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts(v: Json) -> Facts {
        let mut f = Facts::default();
        f.walk(&v, &mut Vec::new(), 0);
        f
    }

    #[test]
    fn images_in_both_forms() {
        let f = facts(json!({
            "image": { "repository": "apache/airflow", "tag": "3.0.2" },
            "sidecar": { "image": "busybox:latest" },
            "pinned": { "image": { "registry": "ghcr.io", "repository": "a/b", "digest": "sha256:00" } },
            "default": { "image": { "repository": "x/y", "tag": "" } },
        }));
        assert_eq!(
            f.images,
            vec![
                "apache/airflow:3.0.2",
                "busybox:latest",
                "ghcr.io/a/b@sha256:00"
            ]
        );
    }

    #[test]
    fn resources_and_persistence_by_path() {
        let f = facts(json!({
            "workers": { "resources": { "requests": { "cpu": "1" }, "limits": {} } },
            "jobs": [ "x", 1, { "resources": { "limits": { "memory": "1Gi" } } } ],
            "persistence": { "enabled": false, "size": "1Gi" },
            "claim": { "spec": { "resources": { "requests": { "storage": "1Gi" } } } },
        }));
        assert_eq!(
            f.resources,
            vec![
                Resources {
                    path: "workers.resources".into(),
                    requests: true,
                    limits: false
                },
                Resources {
                    path: "jobs[2].resources".into(),
                    requests: false,
                    limits: true
                },
            ]
        );
        assert_eq!(f.persistence, vec![("persistence".to_string(), false)]);
    }

    /// Resources read in one pass are what looking up each key gives.
    #[test]
    fn resources_in_one_pass_as_by_lookup() {
        let cases = [
            json!({}),
            json!({ "requests": { "cpu": "1" }, "limits": {} }),
            json!({ "requests": {}, "limits": { "memory": "1Gi" } }),
            json!({ "requests": { "cpu": "1" }, "limits": { "cpu": "2" }, "other": 1 }),
            json!({ "requests": { "storage": "1Gi" } }),
            json!({ "limits": { "storage": "1Gi", "cpu": "1" }, "requests": { "cpu": 1 } }),
            json!({ "requests": "text", "limits": [1] }),
            json!({ "requests": null, "limits": { "storage": null } }),
            json!({ "storage": "1Gi" }),
        ];
        for r in &cases {
            let by_lookup = (!claims_storage(r))
                .then(|| (nonempty(r.get("requests")), nonempty(r.get("limits"))));
            assert_eq!(container_resources(r), by_lookup, "{r}");
            let v = from_json(r);
            assert_eq!(container_resources(&v), by_lookup, "{r}");
        }
    }

    #[test]
    fn evaluated_values_give_the_same_facts_as_json() {
        let j = json!({
            "image": { "repository": "a/b", "tag": "1.2" },
            "w": { "resources": { "requests": { "cpu": "1" }, "limits": { "memory": "1Gi" } } },
            "persistence": { "enabled": true },
        });
        let v = from_json(&j);
        let mut f = Facts::default();
        f.walk(&v, &mut Vec::new(), 0);
        assert_eq!(f, facts(j));
    }

    /// The facts of an instance as the general walk finds them (through
    /// the [`Node`] trait, a vector of segments): what [`Facts::of`] must
    /// give without values files.
    fn reference(inst: &Instance) -> Facts {
        let mut f = Facts::default();
        let mut path = Vec::new();
        for (k, child) in &inst.values {
            f.entry(k, child, &mut path, 0);
        }
        for r in &inst.resources {
            path.clear();
            path.push(Seg::Object(&r.kind, &r.object_name));
            for (k, child) in &r.body {
                f.entry(k, child, &mut path, 0);
            }
        }
        f.images.sort();
        f.images.dedup();
        f
    }

    /// The walk of evaluated values finds what the general walk finds: on
    /// every instance of every example, and on values with images in both
    /// forms, lists in lists, indexes of two digits, maps large enough to
    /// be B-trees, and nesting deeper than the walks go.
    #[test]
    fn evaluated_values_walked_directly_as_in_general() {
        let mut compared = Facts::default();
        for (dir, c) in crate::example_checks() {
            for p in c.platforms() {
                for inst in &p.instances {
                    let fast = Facts::of(inst, &[]);
                    assert_eq!(fast, reference(inst), "{}: {}", dir.display(), inst.name);
                    compared.images.extend(fast.images);
                    compared.resources.extend(fast.resources);
                    compared.persistence.extend(fast.persistence);
                }
            }
        }
        assert!(compared.images.len() > 10, "{:?}", compared.images);
        assert!(compared.resources.iter().any(|r| r.path.contains('/')));
        assert!(!compared.persistence.is_empty());
        // Values made here: every form the walks tell apart.
        let wide: serde_json::Map<String, Json> = (0..40)
            .map(|n| {
                (
                    format!("k{n}"),
                    json!({ "image": format!("w{n}:1"), "n": n }),
                )
            })
            .collect();
        let mut deep = json!({ "image": "deepest:1" });
        for n in 0..300 {
            deep = if n % 2 == 0 {
                json!({ "resources": { "limits": { "cpu": 1 } }, "d": deep })
            } else {
                json!([deep])
            };
        }
        let j = json!({
            "image": { "registry": "r", "repository": "a/b", "tag": "1.2" },
            "number": { "image": 7 },
            "empty": { "image": "" },
            "w": { "resources": { "requests": { "cpu": "1" }, "limits": { "memory": "1Gi" } } },
            "claim": { "resources": { "requests": { "storage": "1Gi" } } },
            "persistence": { "enabled": true },
            "off": { "persistence": { "enabled": false }, "image": ["x:1"] },
            "lists": [[{ "image": "in:1" }], "s", 1, [], { "resources": {} }],
            "many": (0..12).map(|n| json!({ "persistence": { "enabled": n % 2 == 0 } })).collect::<Vec<_>>(),
            "wide": wide,
            "deep": deep,
        });
        let v = from_json(&j);
        let Value::Map(m) = &v else { panic!("a map") };
        let mut fast = Facts::default();
        let object = Path::Seg(Seg::Object("Deployment", "x"), &Path::Root);
        for root in [&Path::Root, &object] {
            for (k, child) in m.iter() {
                fast.value_entry(k, child, root, 0);
            }
        }
        let mut slow = Facts::default();
        for root in [vec![], vec![Seg::Object("Deployment", "x")]] {
            let mut path = root;
            for (k, child) in m.iter() {
                slow.entry(k, child, &mut path, 0);
            }
        }
        assert_eq!(fast, slow);
        assert!(
            fast.images.iter().any(|i| i == "w39:1"),
            "{:?}",
            fast.images
        );
        assert!(fast.images.iter().any(|i| i == "7"), "{:?}", fast.images);
        assert!(fast
            .persistence
            .iter()
            .any(|(p, _)| p == "many[11].persistence"));
        assert!(fast
            .resources
            .iter()
            .any(|r| r.path.starts_with("Deployment/x.deep[0].d")));
        assert!(
            !fast.images.iter().any(|i| i == "deepest:1"),
            "past the depth walked"
        );
        // A map of more than 32 entries is a B-tree.
        let Value::Map(wide) = m.get("wide").unwrap() else {
            panic!("a map")
        };
        assert!(matches!(&***wide, Entries::Large(_)));
    }

    fn from_json(j: &Json) -> Value {
        match j {
            Json::Object(m) => Value::map(
                m.iter()
                    .map(|(k, v)| (k.as_str().into(), from_json(v)))
                    .collect(),
            ),
            Json::Array(a) => Value::list(a.iter().map(from_json).collect()),
            Json::String(s) => Value::Str(s.as_str().into()),
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Int(n.as_i64().unwrap_or_default()),
            Json::Null => Value::None,
        }
    }

    #[test]
    fn user_values_merge_over_platc_values() {
        let mut base = json!({ "a": { "b": 1, "c": 2 }, "l": [1] });
        merge(&mut base, &json!({ "a": { "b": 3 }, "l": [2, 3] }));
        assert_eq!(base, json!({ "a": { "b": 3, "c": 2 }, "l": [2, 3] }));
    }
}
