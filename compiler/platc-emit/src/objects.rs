//! The Kubernetes objects of an instance's resources as text, written
//! straight from the evaluated values: YAML for `kubernetes/resources/`
//! and one line of JSON each for Terraform. The same document as
//! [`crate::resource_manifest`] gives as JSON (a test compares them), built
//! without converting the values to JSON first.

use std::borrow::Cow;

use platc_sema::{Instance, Platform, Resource, Value};
use platc_yaml::{Node, Tree};

/// A node of an object: an evaluated value, a string platc adds, or a map
/// of them in the order written.
#[derive(Clone, Copy)]
enum Part<'a> {
    Value(&'a Value),
    Str(&'a str),
    Map(&'a [(&'a str, Part<'a>)]),
}

impl<'a> Tree<'a> for Part<'a> {
    type Entries = PartEntries<'a>;
    type Items = PartItems<'a>;
    fn node(self) -> Node<'a, Self> {
        match self {
            Part::Str(s) => Node::Str(Cow::Borrowed(s)),
            Part::Map(entries) => Node::Map(PartEntries::Own(entries.iter())),
            Part::Value(v) => v.node().wrap(PartEntries::Value, PartItems),
        }
    }
    #[inline]
    fn shared(self) -> Option<usize> {
        match self {
            Part::Value(v) => v.shared(),
            _ => None,
        }
    }
}

/// The entries of a [`Part`] map: its own, or a map value's.
enum PartEntries<'a> {
    Own(std::slice::Iter<'a, (&'a str, Part<'a>)>),
    Value(<&'a Value as Tree<'a>>::Entries),
}

impl<'a> Iterator for PartEntries<'a> {
    type Item = (&'a str, Part<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            PartEntries::Own(entries) => entries.next().copied(),
            PartEntries::Value(entries) => entries.next().map(|(k, v)| (k, Part::Value(v))),
        }
    }
}

/// The items of a [`Part`] list: a list value's.
struct PartItems<'a>(<&'a Value as Tree<'a>>::Items);

impl<'a> Iterator for PartItems<'a> {
    type Item = Part<'a>;
    fn next(&mut self) -> Option<Part<'a>> {
        self.0.next().map(Part::Value)
    }
}

/// Sets `key` in an ordered map as a JSON map with preserved order does:
/// in place when it is there, at the end otherwise.
fn set<'a>(m: &mut Vec<(&'a str, Part<'a>)>, key: &'a str, value: Part<'a>) {
    match m.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => m.push((key, value)),
    }
}

/// Removes `key` as a JSON map with preserved order does (`swap_remove`:
/// the last entry takes its place), so that the order is that of the
/// JSON document.
fn take<'a>(m: &mut Vec<(&'a str, Part<'a>)>, key: &str) -> Option<Part<'a>> {
    let at = m.iter().position(|(k, _)| *k == key)?;
    Some(m.swap_remove(at).1)
}

/// The written entries of a map value, in key order, with room for
/// `more`.
fn entries(v: &Value, more: usize) -> Vec<(&str, Part<'_>)> {
    let mut out = Vec::new();
    if let (Value::Map(m), Node::Map(entries)) = (v, Part::Value(v).node()) {
        out.reserve(m.len() + more);
        out.extend(entries);
    }
    out
}

/// Calls `write` with the object of resource `r`: `apiVersion`, `kind`,
/// `metadata` (name, namespace, the `recommended` labels of its instance
/// ([`crate::instance_label_pairs`]) under the body's own labels, and the body's other metadata), then the
/// rest of the body.
fn with_object<R>(
    recommended: &[(&str, Cow<'_, str>)],
    r: &Resource,
    write: impl FnOnce(Part<'_>) -> R,
) -> R {
    // Each list made with room for all it may hold (grown, each was moved
    // to a larger block a time or two).
    let mut body: Vec<(&str, Part<'_>)> = Vec::with_capacity(r.body.len());
    body.extend(
        r.body
            .iter()
            .filter(|(_, v)| v.is_written())
            .map(|(k, v)| (&**k, Part::Value(v))),
    );
    let mut metadata = match take(&mut body, "metadata") {
        Some(Part::Value(v)) => entries(v, 0),
        _ => Vec::new(),
    };
    let mut labels: Vec<(&str, Part<'_>)> = match take(&mut metadata, "labels") {
        Some(Part::Value(own @ Value::Map(_))) => {
            let own = entries(own, recommended.len());
            let mut labels = Vec::with_capacity(own.capacity());
            labels.extend(recommended.iter().map(|(k, v)| (*k, Part::Str(v))));
            for (k, v) in own {
                set(&mut labels, k, v);
            }
            labels
        }
        _ => recommended
            .iter()
            .map(|(k, v)| (*k, Part::Str(v)))
            .collect(),
    };
    labels.sort_by(|a, b| a.0.cmp(b.0));
    let mut meta: Vec<(&str, Part<'_>)> = Vec::with_capacity(3 + metadata.len());
    meta.push(("name", Part::Str(&r.object_name)));
    if let Some(ns) = &r.namespace {
        meta.push(("namespace", Part::Str(ns)));
    }
    meta.push(("labels", Part::Map(&labels)));
    take(&mut metadata, "name");
    take(&mut metadata, "namespace");
    for (k, v) in metadata {
        set(&mut meta, k, v);
    }
    let mut object: Vec<(&str, Part<'_>)> = Vec::with_capacity(3 + body.len());
    object.extend([
        ("apiVersion", Part::Str(&r.api_version)),
        ("kind", Part::Str(&r.kind)),
        ("metadata", Part::Map(&meta)),
    ]);
    for (k, v) in body {
        set(&mut object, k, v);
    }
    write(Part::Map(&object))
}

/// The objects of one instance, written.
#[derive(Default)]
pub(crate) struct Written {
    /// All of them as one YAML stream (documents separated by `---`),
    /// after the header of a generated file: the file's text.
    pub yaml: String,
    /// Each as one line of JSON, in the order of the resources (what
    /// Terraform applies), in the form asked for ([`Form`]); empty when
    /// not asked for.
    pub json: Vec<String>,
}

/// How an object's JSON is written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// As `serde_json::to_string` writes it (what the literal form is
    /// compared with).
    #[cfg(test)]
    Json,
    /// As a Terraform expression, a user string ([`crate::terraform::escape`]),
    /// inside a JSON string: the text between the quotes of
    /// `json::string(escape(json))`, written in one pass. (Terraform's root
    /// module holds every object so.)
    Literal,
}

/// The objects of every instance, by instance (empty for one without
/// resources), each built once; with `json`, also as JSON in that form.
/// The instances are written on every core.
pub(crate) fn written(plan: &crate::Plan, json: Option<Form>) -> Vec<Written> {
    let p = plan.platform;
    let with: Vec<usize> = (0..p.instances.len())
        .filter(|&i| !p.instances[i].resources.is_empty())
        .collect();
    let done = platc_diag::par::map(&with, |&i| {
        let mut texts = Vec::new();
        let kind = match json {
            Some(_) => crate::Shared::ObjectsJson,
            None => crate::Shared::Objects,
        };
        let yaml = crate::with_shared(plan, kind, |shared| {
            crate::exact_text(|yaml| {
                yaml.push_str(crate::kubernetes::HEADER);
                objects(
                    p,
                    &p.instances[i],
                    yaml,
                    json.map(|form| (form, &mut texts)),
                    shared,
                );
            })
        });
        Written { yaml, json: texts }
    });
    let mut out: Vec<Written> = (0..p.instances.len()).map(|_| Written::default()).collect();
    for (i, w) in with.into_iter().zip(done) {
        out[i] = w;
    }
    out
}

/// The objects of `inst`'s resources as one YAML stream (documents
/// separated by `---`) appended to `yaml`, and with `json`, each as one
/// line of JSON in that form. The texts of shared values are kept in
/// `shared` (one store per form, and one for the YAML alone).
pub(crate) fn objects(
    p: &Platform,
    inst: &Instance,
    yaml: &mut String,
    mut json: Option<(Form, &mut Vec<String>)>,
    shared: &mut platc_yaml::SharedTexts,
) {
    // Made once per instance.
    let recommended = crate::instance_label_pairs(p, inst);
    for (i, r) in inst.resources.iter().enumerate() {
        if i > 0 {
            yaml.push_str("---\n");
        }
        with_object(&recommended, r, |object| match json.as_mut() {
            // Both texts in one walk.
            Some((form, out)) => out.push(crate::exact_text(|text| {
                platc_yaml::write_tree_beside(
                    yaml,
                    object,
                    &mut JsonBeside {
                        out: text,
                        form: *form,
                        shared: &mut *shared,
                    },
                );
            })),
            None => {
                platc_yaml::write_tree_beside(yaml, object, &mut platc_yaml::Remember(&mut *shared))
            }
        });
    }
}

/// An object's JSON, written beside its YAML ([`platc_yaml::Beside`]) as
/// [`write_json`] writes it.
struct JsonBeside<'o> {
    out: &'o mut String,
    form: Form,
    /// The texts of shared values, in this form.
    shared: &'o mut platc_yaml::SharedTexts,
}

impl<'a> platc_yaml::Beside<'a, Part<'a>> for JsonBeside<'_> {
    #[inline]
    fn open_map(&mut self) {
        self.out.push('{');
    }
    #[inline]
    fn key(&mut self, k: &'a str, first: bool, inert: bool) {
        if !first {
            self.out.push(',');
        }
        json_string(self.out, k, inert, self.form);
        self.out.push(':');
    }
    #[inline]
    fn close_map(&mut self) {
        self.out.push('}');
    }
    #[inline]
    fn open_seq(&mut self) {
        self.out.push('[');
    }
    #[inline]
    fn item(&mut self, first: bool) {
        if !first {
            self.out.push(',');
        }
    }
    #[inline]
    fn close_seq(&mut self) {
        self.out.push(']');
    }
    #[inline]
    fn leaf(&mut self, v: Part<'a>, node: &Node<'a, Part<'a>>, inert: bool) {
        let out = &mut *self.out;
        match node {
            Node::Null => out.push_str("null"),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Int(i) => platc_yaml::push_int(out, *i),
            // A float's YAML text is not serde_json's.
            Node::Number(_) | Node::Str(_) if matches!(v, Part::Value(Value::Float(_))) => {
                write_json(out, v, self.form)
            }
            Node::Number(n) => out.push_str(n),
            Node::Str(s) => json_string(out, s, inert, self.form),
            Node::Map(_) | Node::Seq(_) => write_json(out, v, self.form),
        }
    }
    const REMEMBERS: bool = true;
    #[inline]
    fn recall(&mut self, at: platc_yaml::Place, out: &mut String) -> bool {
        self.shared.recall(at, out, Some(self.out))
    }
    #[inline]
    fn mark(&self) -> usize {
        self.out.len()
    }
    #[inline]
    fn remember(&mut self, at: platc_yaml::Place, yaml: &str, mark: usize) {
        self.shared.remember(at, yaml, &self.out[mark..]);
    }
    #[inline]
    fn fixed_leaf(&self, v: Part<'a>, _: &Node<'a, Part<'a>>) -> bool {
        // A float's JSON is not its YAML's text.
        !matches!(v, Part::Value(Value::Float(_)))
    }
    #[inline]
    fn recall_line(&mut self, line: &platc_yaml::Line, out: &mut String) -> bool {
        self.shared.recall_line(line, out, Some(self.out))
    }
    #[inline]
    fn remember_line(&mut self, line: &platc_yaml::Line, yaml: &str, mark: usize) {
        self.shared.remember_line(line, yaml, &self.out[mark..]);
    }
}

/// `part` as compact JSON, as `serde_json::to_string` writes the JSON of
/// the value, in `form`. (Objects are written by [`JsonBeside`] in the walk
/// that writes their YAML; this walks them on its own, for a float and as
/// the tests' reference.)
fn write_json(out: &mut String, part: Part<'_>, form: Form) {
    if let Part::Value(Value::Float(f)) = part {
        // serde_json's shortest form (`1e-7`), not YAML's.
        match serde_json::Number::from_f64(*f) {
            Some(n) => out.push_str(&n.to_string()),
            None => json_string(out, &platc_sema::value::format_float(*f), false, form),
        }
        return;
    }
    match part.node() {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Node::Int(i) => platc_yaml::push_int(out, i),
        Node::Number(n) => out.push_str(&n),
        Node::Str(s) => json_string(out, &s, false, form),
        Node::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, k, false, form);
                out.push(':');
                write_json(out, v, form);
            }
            out.push('}');
        }
        Node::Seq(items) => {
            out.push('[');
            for (i, v) in items.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, v, form);
            }
            out.push(']');
        }
    }
}

/// A JSON string of `s` in `form`. (Numbers, `true`, `false`, `null` and
/// the JSON punctuation are the same in both forms: only strings differ.
/// Template sequences are only ever inside strings, and JSON's escapes
/// neither make nor break one, so escaping each string for Terraform is
/// escaping the whole text.) `inert`: `s` is known to be
/// [`platc_yaml::bytes::inert`] (the YAML writer looked it up), and is
/// written as it is.
#[inline(always)]
fn json_string(out: &mut String, s: &str, inert: bool, form: Form) {
    match form {
        #[cfg(test)]
        Form::Json => crate::json::string(out, s),
        Form::Literal => {
            // The quotes escaped, and the text escaped twice, in one pass
            // (nearly all text has nothing to escape).
            out.reserve(s.len() + 4);
            out.push_str("\\\"");
            if inert {
                out.push_str(s);
            } else {
                crate::terraform::push_lit_body(out, s, true);
            }
            out.push_str("\\\"");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_as_serde_json_writes_them() {
        for f in [0.5, 1.0, 1e-7, 1e21, -2.25, 123456.789, f64::MAX] {
            let mut out = String::new();
            write_json(&mut out, Part::Value(&Value::Float(f)), Form::Json);
            assert_eq!(
                out,
                serde_json::to_string(&Value::Float(f).to_json().unwrap()).unwrap()
            );
        }
    }
}

/// The objects written straight from the values are those of their JSON
/// documents ([`crate::resource_manifest`]), byte for byte: in YAML and in
/// JSON, for every resource of every example and of a program whose
/// resources set metadata every way they can.
#[cfg(test)]
mod same_as_json {
    use super::*;

    const TRICKY: &str = r#"
platform "lab" {}

component thing {
  param extra: map<string>? = none
  param ratio: float = 0.000001
  resource config "v1" ConfigMap {
    metadata.labels = { "app.kubernetes.io/instance" = "mine", zone = "a", gone = none }
    metadata.annotations = { note = "quote \" back \\ tab \t", tmpl = "a %{b} c$%{d}" }
    metadata.name = "ignored"
    metadata.finalizers = ["x"]
    metadata.ownerReferences = []
    metadata.zone = "z"
    binaryData = {}
    data = { a = "1", b = none, "c.d" = "yes", e = "${ratio}" }
    immutable = true
    yyy = 1
    zzz = { list = [1, 2.5, ratio, none, "s"], empty = [] }
  }
  resource other "example.com/v1" Thing {
    metadata.labels = "not a map"
    spec.extra = extra
    spec.big = 1000000000000000000000.0
    spec.small = ratio
    aaa = 1
  }
}

thing one {}
"#;

    fn check(platform: &Platform) -> usize {
        let mut compared = 0;
        // One store of shared texts per form for the whole platform, as
        // each thread keeps for a run: texts of values shared between
        // instances, and lines, are written again from them.
        let mut stores: [platc_yaml::SharedTexts; 3] = Default::default();
        for inst in &platform.instances {
            if inst.resources.is_empty() {
                continue;
            }
            let docs: Vec<serde_json::Value> = inst
                .resources
                .iter()
                .map(|r| crate::resource_manifest(platform, inst, r))
                .collect();
            let mut texts = Vec::new();
            let mut yaml = String::new();
            objects(
                platform,
                inst,
                &mut yaml,
                Some((Form::Json, &mut texts)),
                &mut stores[0],
            );
            let mut literals = Vec::new();
            let mut yaml_with_literals = String::new();
            objects(
                platform,
                inst,
                &mut yaml_with_literals,
                Some((Form::Literal, &mut literals)),
                &mut stores[1],
            );
            let mut yaml_alone = String::new();
            objects(platform, inst, &mut yaml_alone, None, &mut stores[2]);
            assert_eq!(yaml_with_literals, yaml, "{}", inst.name);
            assert_eq!(yaml_alone, yaml, "{}", inst.name);
            for (text, literal) in texts.iter().zip(&literals) {
                let mut want = String::new();
                crate::json::string(&mut want, &crate::terraform::escape(text));
                assert_eq!(*literal, want[1..want.len() - 1], "{}", inst.name);
            }
            assert_eq!(yaml, platc_yaml::to_string_multi(&docs), "{}", inst.name);
            let json: Vec<String> = docs
                .iter()
                .map(|d| serde_json::to_string(d).unwrap())
                .collect();
            assert_eq!(texts, json, "{}", inst.name);
            // The JSON written beside the YAML is that of a walk of its
            // own, in both forms.
            let recommended = crate::instance_label_pairs(platform, inst);
            for (i, r) in inst.resources.iter().enumerate() {
                for (form, got) in [(Form::Json, &texts[i]), (Form::Literal, &literals[i])] {
                    let mut alone = String::new();
                    with_object(&recommended, r, |o| write_json(&mut alone, o, form));
                    assert_eq!(*got, alone, "{}", inst.name);
                }
            }
            compared += docs.len();
        }
        compared
    }

    #[test]
    fn objects_are_those_of_their_json() {
        let c = platc_driver::check_source("main.plat", TRICKY, &platc_driver::Options::default());
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        assert_eq!(check(c.platform.as_ref().unwrap()), 2);
        let compared: usize = crate::example_platforms().iter().map(check).sum();
        assert!(compared > 50, "{compared} objects compared");
    }
}
