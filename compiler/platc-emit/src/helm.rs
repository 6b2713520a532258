//! Helm values: the generated values of an instance, Helm's merge of
//! values files, and the `--set` key syntax for sensitive values.

use platc_sema::Instance;
use serde_json::{Map, Value as Json};

/// The Helm values an instance's values blocks produce, as a JSON object in
/// key order (the source is sorted); see [`Value::to_json`]: a key whose
/// value is `none` is left out. Secrets are never here (they are in
/// [`Instance::sensitive_values`]).
pub fn generated_values(inst: &Instance) -> Json {
    Json::Object(
        inst.values
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_json()?)))
            .collect(),
    )
}

/// Merges `overlay` into `base` as Helm merges values files given with
/// `-f` in order: maps merge key by key, recursively; a list or scalar
/// replaces what was there (also a map, and a map replaces a scalar); keys
/// new in the overlay are added at the end.
///
/// A `null` in the overlay deletes the key the way Helm does: it stays in
/// the merged values as `null`, which Helm reads as "remove this key",
/// also from the chart's own defaults. (Dropping the key here instead
/// would bring the chart's default back.)
pub fn merge(base: &mut Json, overlay: Json) {
    match (base, overlay) {
        (Json::Object(b), Json::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing @ Json::Object(_)) if v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Removes the entry at `path` (keys of nested maps), if there is one.
pub(crate) fn remove_path(v: &mut Json, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for k in parents {
        match cur.as_object_mut().and_then(|m| m.get_mut(k)) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.shift_remove(last);
    }
}

/// A values key path in Helm's `--set` syntax, as the Terraform Helm
/// provider's `set_sensitive.name` takes it: keys joined by `.`, with `\`,
/// `.`, `[`, `,` and `=` inside a key escaped by a backslash
/// (`podLabels.app\.kubernetes\.io/team`).
pub fn set_path(path: &[String]) -> String {
    let mut out = String::new();
    for (i, key) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        for c in key.chars() {
            if matches!(c, '\\' | '.' | '[' | ',' | '=') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// The values file of one release: a header naming the release and chart,
/// then the values with every sensitive path removed (those reach Helm
/// only through Terraform's `set_sensitive`, which wins anyway).
pub(crate) fn values_file(inst: &Instance, values: &Json) -> String {
    let empty = Json::Object(Map::new());
    let mut values = std::borrow::Cow::Borrowed(if values.is_object() { values } else { &empty });
    for s in &inst.sensitive_values {
        remove_path(values.to_mut(), &s.path);
    }
    crate::exact_text(|text| {
        push_values_header(text, inst);
        crate::yaml::write_tree(text, values.as_ref());
    })
}

/// The values file of a release without values files of the user: its
/// generated values, written as they were evaluated (no JSON in between).
/// The same text as [`values_file`] of [`generated_values`]: sensitive
/// values are never among the generated ones (should one be, the values go
/// through [`values_file`], which removes it).
pub(crate) fn generated_values_file(plan: &crate::Plan, inst: &Instance) -> String {
    if inst
        .sensitive_values
        .iter()
        .any(|s| value_at(&inst.values, &s.path).is_some())
    {
        return values_file(inst, &generated_values(inst));
    }
    let entries = inst
        .values
        .iter()
        .filter(|(_, v)| v.is_written())
        .map(|(k, v)| (&**k, v));
    // The values after the header, in one text.
    // (The texts of the values shared by the instances of a component
    // written once.)
    crate::with_shared(plan, crate::Shared::Values, |shared| {
        crate::exact_text(|text| {
            push_values_header(text, inst);
            crate::yaml::write_map_document_beside(
                text,
                entries,
                &mut crate::yaml::Remember(shared),
            );
        })
    })
}

/// The value at `path` in generated values, if there is one.
fn value_at<'v>(
    values: &'v std::collections::BTreeMap<platc_sema::value::Str, platc_sema::Value>,
    path: &[String],
) -> Option<&'v platc_sema::Value> {
    let (first, rest) = path.split_first()?;
    let mut cur = values.get(first.as_str())?;
    for k in rest {
        match cur {
            platc_sema::Value::Map(m) => cur = m.get(k)?,
            _ => return None,
        }
    }
    Some(cur)
}

/// Writes the two comment lines that open a values file:
/// `# Helm values for release NAME (chart CHART VERSION),` (each part
/// made safe for a comment) and the note that platc generated it.
fn push_values_header(out: &mut String, inst: &Instance) {
    use crate::yaml::push_comment_text;
    out.push_str("# Helm values for release ");
    push_comment_text(out, &inst.k8s_name);
    if let Some(c) = &inst.chart {
        out.push_str(" (chart ");
        push_comment_text(out, &c.name);
        out.push(' ');
        push_comment_text(out, &c.version);
        out.push(')');
    }
    out.push_str(",\n# generated by platc: do not edit\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(base: Json, overlay: Json) -> Json {
        let mut b = base;
        merge(&mut b, overlay);
        b
    }

    /// The values files written from the evaluated values, their shared
    /// maps and repeated lines from what each thread remembers, are those
    /// of the values as JSON written by the YAML writer alone: for every
    /// release of every example, twice (the second time, all remembered).
    #[test]
    fn generated_values_files_are_those_of_their_json() {
        let mut compared = 0;
        for p in crate::example_platforms() {
            let input = crate::EmitInput {
                platform: &p,
                order: &[],
                dependencies: &[],
                values: &[],
            };
            let plan = crate::Plan::new(&input);
            for _ in 0..2 {
                for inst in p.instances.iter().filter(|i| i.chart.is_some()) {
                    assert_eq!(
                        generated_values_file(&plan, inst),
                        values_file(inst, &generated_values(inst)),
                        "{}",
                        inst.name
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 50, "{compared} values files compared");
    }

    #[test]
    fn merge_follows_helm() {
        let cases: &[(&str, Json, Json, Json)] = &[
            (
                "nested maps merge",
                json!({"a": {"b": 1, "c": 2}}),
                json!({"a": {"c": 3, "d": 4}}),
                json!({"a": {"b": 1, "c": 3, "d": 4}}),
            ),
            (
                "lists replace",
                json!({"l": [1, 2, 3], "k": 1}),
                json!({"l": [4]}),
                json!({"l": [4], "k": 1}),
            ),
            (
                "lists of maps replace, not merge",
                json!({"l": [{"a": 1}]}),
                json!({"l": [{"b": 2}]}),
                json!({"l": [{"b": 2}]}),
            ),
            (
                "scalars replace",
                json!({"s": "x", "n": 1}),
                json!({"s": "y", "n": 2.5}),
                json!({"s": "y", "n": 2.5}),
            ),
            (
                "null deletes (kept as null for Helm to remove, with the chart default)",
                json!({"a": 1, "b": 2}),
                json!({"a": null}),
                json!({"a": null, "b": 2}),
            ),
            (
                "null deletes a nested key",
                json!({"a": {"b": 1, "c": 2}}),
                json!({"a": {"b": null}}),
                json!({"a": {"b": null, "c": 2}}),
            ),
            (
                "null deletes a whole map",
                json!({"a": {"b": 1}}),
                json!({"a": null}),
                json!({"a": null}),
            ),
            (
                "overlay adds new keys at the end",
                json!({"a": 1}),
                json!({"z": {"y": 1}, "b": 2}),
                json!({"a": 1, "z": {"y": 1}, "b": 2}),
            ),
            (
                "a scalar replaces a map",
                json!({"a": {"b": 1}}),
                json!({"a": "flat"}),
                json!({"a": "flat"}),
            ),
            (
                "a map replaces a scalar",
                json!({"a": 1}),
                json!({"a": {"b": 1}}),
                json!({"a": {"b": 1}}),
            ),
            (
                "a map replaces null",
                json!({"a": null}),
                json!({"a": {"b": 1}}),
                json!({"a": {"b": 1}}),
            ),
            (
                "empty overlay changes nothing",
                json!({"a": 1}),
                json!({}),
                json!({"a": 1}),
            ),
            (
                "an empty map overlay keeps the base map",
                json!({"a": {"b": 1}}),
                json!({"a": {}}),
                json!({"a": {"b": 1}}),
            ),
        ];
        for (name, base, overlay, want) in cases {
            assert_eq!(&merged(base.clone(), overlay.clone()), want, "{name}");
        }
    }

    #[test]
    fn merge_keeps_base_key_order() {
        let m = merged(json!({"b": 1, "a": 2}), json!({"a": 3, "c": 4}));
        let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["b", "a", "c"]);
    }

    #[test]
    fn set_paths_escape_helm_syntax() {
        let p = |v: &[&str]| set_path(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(p(&["auth", "password"]), "auth.password");
        assert_eq!(
            p(&["podLabels", "app.kubernetes.io/team"]),
            r"podLabels.app\.kubernetes\.io/team"
        );
        assert_eq!(p(&["a,b=c[0]"]), r"a\,b\=c\[0]");
        assert_eq!(p(&[r"back\slash"]), r"back\\slash");
        assert_eq!(p(&["grafana.ini", "auth"]), r"grafana\.ini.auth");
    }

    #[test]
    fn remove_path_removes_only_that_entry() {
        let mut v = json!({"a": {"b": 1, "c": 2}, "d": 3});
        remove_path(&mut v, &["a".into(), "b".into()]);
        remove_path(&mut v, &["x".into(), "y".into()]);
        remove_path(&mut v, &["d".into(), "e".into()]);
        assert_eq!(v, json!({"a": {"c": 2}, "d": 3}));
    }
}
