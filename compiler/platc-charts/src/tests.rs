//! Unit tests: the text format, the acceptance rules (the cases of
//! `tests/stdlib_chart_keys.rs`), `check`, the bundled facts and `Schema`.

use serde_json::json;

use crate::{bundled, Facts, Schema, Seg, Violation, ViolationKind};

const CHART: &str = "name: demo\nversion: 1.0.0\n";

fn facts(values: &str, schema: Option<serde_json::Value>) -> Facts {
    let schema = schema.map(|s| s.to_string());
    Facts::generate(CHART, values, schema.as_deref()).unwrap()
}

/// A dotted path; `[N]` segments are indices, `"..."` segments keep dots.
fn path(p: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut rest = p;
    while !rest.is_empty() {
        let (seg, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap();
            (Seg::Key(quoted[..end].to_string()), &quoted[end + 1..])
        } else if let Some(index) = rest.strip_prefix('[') {
            let end = index.find(']').unwrap();
            (Seg::Index(index[..end].parse().unwrap()), &index[end + 1..])
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            (Seg::Key(rest[..end].to_string()), &rest[end..])
        };
        out.push(seg);
        rest = after.strip_prefix('.').unwrap_or(after);
    }
    out
}

fn round_trip(f: &Facts) {
    let text = f.to_text();
    let back = Facts::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(&back, f, "{text}");
    assert_eq!(back.to_text(), text);
}

// ---------------------------------------------------------------- text format

#[test]
fn text_round_trips() {
    let schema = json!({
        "type": "object",
        "definitions": {
            "tree": { "type": "object", "properties": { "name": { "type": "string" }, "children": { "type": "array", "items": { "$ref": "#/definitions/tree" } } }, "additionalProperties": false }
        },
        "properties": {
            "mode": { "type": ["string", "null"], "enum": ["a", "b", null] },
            "count": { "type": "integer" },
            "tree": { "$ref": "#/definitions/tree" },
            "other": { "$ref": "#/definitions/tree" },
            "open": { "type": "object", "additionalProperties": { "type": "number" } },
            "self": { "$ref": "#" }
        }
    });
    let f = facts(
        "mode: a\ncount: 1\npodAnnotations: {}\nimage:\n  tag: v1\nlist: [1]\n",
        Some(schema),
    );
    round_trip(&f);
    let text = f.to_text();
    assert!(
        text.starts_with("chart demo 1.0.0\n@root object\n"),
        "{text}"
    );
    assert!(
        text.contains("mode null|string enum [\"a\",\"b\",null]\n"),
        "{text}"
    );
    assert!(text.contains("podAnnotations free\n"), "{text}");
    // The shared, recursive `tree` definition is written once.
    assert_eq!(text.matches("children").count(), 1, "{text}");
    assert!(f.knows(&path("tree.children[0].children[1].name")));
    assert!(!f.knows(&path("tree.children[0].children[1].nam")));
    assert!(f.knows(&path("self.self.other.name")), "`$ref: #`");
    assert!(
        !f.knows(&path("self.self.image")),
        "values.yaml is not the schema root"
    );
}

#[test]
fn hostile_keys_round_trip_and_check() {
    let keys = [
        "plain",
        "dotted.key",
        "with space",
        "quote\"d",
        "back\\slash",
        "new\nline",
        "",
        " leading",
        "@root",
        "=@1",
        "#comment",
        "*",
        "[]",
        "ünïcödé",
        "enum",
        "free",
        "closed",
        "-dash",
        "0",
    ];
    let mut values = String::new();
    for key in &keys {
        values.push_str(&format!(
            "{}:\n  inner: 1\n",
            serde_json::to_string(key).unwrap()
        ));
    }
    let f = facts(&values, None);
    round_trip(&f);
    for key in &keys {
        let inner = vec![Seg::Key(key.to_string()), Seg::Key("inner".into())];
        assert!(f.knows(&inner), "{key:?}");
        let wrong = vec![Seg::Key(key.to_string()), Seg::Key("inner.x".into())];
        assert!(!f.knows(&wrong), "{key:?}");
        let mut value = serde_json::Map::new();
        value.insert(key.to_string(), json!({ "inner": 2, "x": 3 }));
        let v = f.check(&serde_json::Value::Object(value));
        assert_eq!(v.len(), 1, "{key:?}: {v:?}");
        assert_eq!(
            v[0].path,
            vec![Seg::Key(key.to_string()), Seg::Key("x".into())]
        );
    }
    // Hostile chart names and versions too.
    let f = Facts::generate("name: \"my chart\"\nversion: \"1 0\"\n", "a: 1\n", None).unwrap();
    round_trip(&f);
    assert_eq!((f.chart(), f.version()), ("my chart", "1 0"));
}

#[test]
fn bad_text_is_an_error_not_a_panic() {
    for text in [
        "",
        "chart",
        "chart a",
        "chart a b\n",
        "chart a b\nkey\n",
        "chart a b\n@root\n    deep\n",
        "chart a b\n@root\n x\n",
        "chart a b\n@root\nk =@7\n",
        "chart a b\n@root\nk =@\n",
        "chart a b\n@root\nk strange\n",
        "chart a b\n@root\nk enum [1,\n",
        "chart a b\n@root\nk enum nope\n",
        "chart a b\n@root\n\"unterminated\n",
        "chart a b\n@root\nk\nk\n",
        "chart a b\n@root free\n* string\n",
        "chart a b\n@root\n[] string\n[] string\n",
        "chart a b\n@root\n@root\n",
        "chart a b\n@root\nk =@1\n  child\n@1\n",
        "chart a b\n@x\n",
        "chart a b\n@root\nk free closed\n",
        "chart a b\n@root\nk string integer\n",
    ] {
        assert!(Facts::parse(text).is_err(), "{text:?} should not parse");
    }
    // Comments and blank lines are allowed anywhere.
    let f = Facts::parse("# c\n\nchart a b\n# c\n@root\n\nk\n").unwrap();
    assert!(f.knows(&path("k")));
}

// ---------------------------------------------------------------- acceptance rules

/// `values_yaml_rules` of tests/stdlib_chart_keys.rs.
#[test]
fn values_yaml_rules() {
    let f = facts(
        "image:\n  tag: v1\npodAnnotations: {}\nextraEnv: ~\nlist: [1]\nresources:\n  requests:\n    memory: 1Gi\nplain:\n  requests:\n    memory: 1Gi\n",
        None,
    );
    round_trip(&f);
    let ok = |p: &str| f.knows(&path(p));
    assert!(ok(""));
    assert!(ok("image.tag"));
    assert!(ok("image"));
    assert!(
        ok("podAnnotations.anything.below"),
        "an empty map is free-form"
    );
    assert!(ok("resources.requests.memory"));
    assert!(!ok("image.tags"));
    assert!(!ok("imag"));
    assert!(
        !ok("plain.requests.cpu"),
        "a non-empty map is not free-form"
    );
    assert!(
        ok("resources.requests.cpu"),
        "unlike the stdlib test: `resources` is free-form by name (freeform.rs)"
    );
    assert!(
        ok("extraEnv.name"),
        "unlike the stdlib test: a null default with no schema is a free-form slot"
    );
    assert!(!ok("list.x"), "a list has no keys");
    assert!(
        ok("list[0].x"),
        "list elements in values.yaml are examples, not a shape"
    );
    assert!(!ok("image.tag.x"), "a scalar has no keys");
}

/// `schema_rules` of tests/stdlib_chart_keys.rs.
#[test]
fn schema_rules() {
    let schema = json!({
        "definitions": {
            "listed": { "type": "object", "properties": { "a": {} } },
            "res": {
                "type": "object",
                "properties": { "limits": { "type": "object", "additionalProperties": { "type": "string" } } },
                "additionalProperties": false
            }
        },
        "type": "object",
        "properties": {
            "known": { "type": "integer" },
            "open": { "type": "object", "properties": { "a": {} }, "additionalProperties": false },
            "closed": { "type": "object", "properties": { "a": { "type": "string" } }, "additionalProperties": false },
            "loose": { "type": "object", "properties": { "a": { "type": "string" } } },
            "bare": { "type": "object" },
            "config": { "type": "object", "additionalProperties": { "type": "object", "additionalProperties": { "type": "string" } } },
            "res": { "$ref": "#/definitions/res", "type": "object", "description": "resources" },
            "refd": { "$ref": "#/definitions/listed", "type": "object" },
            "either": { "anyOf": [ { "type": "null" }, { "type": "object", "properties": { "x": {} }, "additionalProperties": false } ] },
            "both": { "allOf": [ { "properties": { "a": {} }, "additionalProperties": false }, { "properties": { "b": {} } } ] }
        }
    });
    let f = facts("known: 1\nopen: {}\n", Some(schema));
    round_trip(&f);
    let ok = |p: &str| f.knows(&path(p));
    assert!(ok("known"));
    assert!(ok("closed.a"), "a listed property");
    assert!(ok("bare.any.thing"), "an object without properties is open");
    assert!(
        ok("config.section.key"),
        "additionalProperties schemas are followed"
    );
    assert!(ok("res.limits.cpu"), "$ref is resolved");
    assert!(ok("either.x"), "anyOf members are tried");
    assert!(ok("loose.a"));
    assert!(
        ok("both.a"),
        "one allOf member declares it, none forbids it"
    );

    assert!(!ok("closed.b"));
    assert!(
        !ok("open.b"),
        "free-form in values.yaml, but the schema closes the map"
    );
    assert!(!ok("config.section.key.deeper"), "below a string");
    assert!(!ok("res.requests"));
    assert!(!ok("either.y"));
    assert!(!ok("both.b"), "every allOf member applies");
    assert!(
        !ok("loose.b"),
        "listed properties without additionalProperties are strict"
    );
    assert!(!ok("refd.b"), "`type` beside `$ref` does not open the map");
    assert!(!ok("known.x"));
    assert!(!ok("nothing"));
}

#[test]
fn free_form_never_overrides_a_closed_schema() {
    let schema = json!({
        "type": "object",
        "properties": {
            "podAnnotations": { "type": "object", "properties": { "a": {} }, "additionalProperties": false },
            "labels": { "type": "object", "properties": { "a": { "type": "string" } } },
            "applicationLabels": { "type": "object", "properties": { "enabled": { "type": "boolean" }, "labels": {} } },
            "securityContext": { "type": "object", "properties": { "capabilities": { "type": "object", "properties": { "drop": {} } } } },
            "nodeSelector": { "type": ["object", "null"] },
            "tolerations": { "type": "array", "items": { "type": "object", "properties": { "key": { "type": "string" } }, "additionalProperties": false } }
        }
    });
    let f = facts(
        "podAnnotations:\n  a: x\nlabels:\n  a: x\napplicationLabels:\n  enabled: false\n  labels: []\nsecurityContext:\n  capabilities:\n    drop: [ALL]\nnodeSelector: ~\nextra: ~\ntolerations: []\n",
        Some(schema),
    );
    round_trip(&f);
    let ok = |p: &str| f.knows(&path(p));
    assert!(!ok("podAnnotations.b"), "additionalProperties: false wins");
    assert!(ok("labels.c"), "a free-form name opens a strict schema map");
    assert!(!ok("labels.a.c"), "but keeps its types");
    assert!(
        !ok("applicationLabels.enabledd"),
        "a map of settings is no string map"
    );
    assert!(ok("securityContext.runAsUser"));
    assert!(
        ok("securityContext.capabilities.add"),
        "open at every depth"
    );
    assert!(ok("nodeSelector.anything"), "the schema has no properties");
    assert!(
        ok("extra.anything"),
        "a null default the schema does not describe"
    );
    assert!(ok("tolerations[0].key"));
    assert!(!ok("tolerations[0].value"), "schema items are checked");
    assert!(!ok("tolerations.key"), "a list has no keys");
}

#[test]
fn a_null_default_with_schema_properties_is_not_free_form() {
    let schema = json!({
        "type": "object",
        "properties": {
            "tls": { "type": ["object", "null"], "properties": { "secretName": { "type": "string" } } }
        }
    });
    let f = facts("tls: ~\n", Some(schema));
    assert!(f.knows(&path("tls.secretName")));
    assert!(!f.knows(&path("tls.secretname")));
}

#[test]
fn required_only_members_do_not_open_a_map() {
    let schema = json!({
        "type": "object",
        "properties": {
            "ref": {
                "type": "object",
                "properties": { "name": { "type": "string" }, "key": { "type": "string" } },
                "anyOf": [ { "required": ["name"] }, { "required": ["key"] } ]
            },
            "typed": {
                "allOf": [ { "properties": { "a": {} } }, { "type": "object" } ]
            }
        }
    });
    let f = facts("", Some(schema));
    assert!(f.knows(&path("ref.name")));
    assert!(!f.knows(&path("ref.nam")));
    assert!(
        f.knows(&path("typed.b")),
        "an allOf member that is an open map opens it"
    );
}

#[test]
fn odd_schemas_and_files_are_read_without_panics() {
    let odd = [
        json!(true),
        json!(false),
        json!(5),
        json!({ "type": 5, "properties": [], "items": 3, "enum": 4, "allOf": {} }),
        json!({ "$ref": 7 }),
        json!({ "$ref": "#/nowhere" }),
        json!({ "$ref": "other.json#/x" }),
        json!({ "$ref": "#" }),
        json!({ "definitions": { "a": { "$ref": "#/definitions/b" }, "b": { "$ref": "#/definitions/a" } }, "$ref": "#/definitions/a" }),
        json!({ "definitions": { "a": { "allOf": [ { "$ref": "#/definitions/a" } ], "properties": { "x": { "$ref": "#/definitions/a" } } } }, "properties": { "a": { "$ref": "#/definitions/a" } } }),
        json!({ "anyOf": [], "oneOf": [ true, false ], "type": [] }),
        json!({ "type": "object", "properties": { "a": { "type": "string" } }, "allOf": [ { "type": "integer" } ] }),
        json!({ "properties": { "a": { "enum": [1] } }, "allOf": [ { "properties": { "a": { "enum": [2] } } } ] }),
        json!({ "$defs": { "x%25y": { "type": "string" } }, "properties": { "a": { "$ref": "#/$defs/x%2525y" } } }),
    ];
    for schema in odd {
        let f = Facts::generate(CHART, "a:\n  b: 1\n", Some(&schema.to_string()))
            .unwrap_or_else(|e| panic!("{schema}: {e}"));
        round_trip(&f);
        f.check(&json!({ "a": { "b": 1, "x": { "x": [1] } }, "z": "s" }));
    }
    assert!(Facts::generate(CHART, "a: [", None).is_err());
    assert!(Facts::generate(CHART, "a: 1", Some("{")).is_err());
    assert!(Facts::generate("version: 1", "a: 1", None).is_err());
    let f = Facts::generate(CHART, "", None).unwrap();
    assert!(
        f.knows(&path("anything.at.all")),
        "no values.yaml: nothing to go by"
    );
    let f = Facts::generate(CHART, "1: a\ntrue: b\n? [x]\n: c\n", None).unwrap();
    assert!(f.knows(&path("\"1\"")) && f.knows(&path("true")));
}

#[test]
fn pattern_properties_accept_their_schemas() {
    let schema = json!({
        "type": "object",
        "properties": {
            "annotations": { "type": "object", "additionalProperties": false, "patternProperties": { ".*": { "type": "string" } } }
        }
    });
    let f = facts("", Some(schema));
    assert!(f.knows(&path("annotations.any")));
    assert!(!f.knows(&path("annotations.any.deeper")));
    let v = f.check(&json!({ "annotations": { "a": 1 } }));
    assert_eq!(v.len(), 1);
    assert!(
        matches!(&v[0].kind, ViolationKind::WrongType { expected, .. } if expected == "string")
    );
}

// ---------------------------------------------------------------- check

fn unknown(p: &str, known: &[&str]) -> Violation {
    Violation {
        path: path(p),
        kind: ViolationKind::UnknownKey {
            known: known.iter().map(|k| k.to_string()).collect(),
        },
    }
}

fn wrong(p: &str, expected: &str, found: &str) -> Violation {
    Violation {
        path: path(p),
        kind: ViolationKind::WrongType {
            expected: expected.into(),
            found: found.into(),
        },
    }
}

#[test]
fn check_reports_in_document_order() {
    let schema = json!({
        "type": "object",
        "properties": {
            "port": { "type": ["integer", "string"] },
            "mode": { "enum": ["a", "b"] },
            "ratio": { "type": "integer" },
            "items": { "type": "array", "items": { "type": "object", "properties": { "name": { "type": "string" } }, "additionalProperties": false } },
            "config": { "type": "object", "additionalProperties": { "type": "boolean" } }
        }
    });
    let f = facts(
        "image:\n  tag: v1\n  repository: x\nport: 80\nmode: a\n",
        Some(schema),
    );
    let values = json!({
        "zeta": { "deep": { "deeper": 1 } },
        "image": { "tga": "v2", "tag": null, "repository": { "x": 1 } },
        "port": true,
        "mode": "c",
        "ratio": 2.0,
        "items": [ { "name": "a" }, { "nme": "b" }, null, { "name": 1 } ],
        "config": { "a": true, "b": "yes" },
        "deleted": null
    });
    let v = f.check(&values);
    let allowed = vec!["\"a\"".to_string(), "\"b\"".to_string()];
    assert_eq!(
        v,
        vec![
            unknown(
                "zeta",
                &["config", "image", "items", "mode", "port", "ratio"]
            ),
            unknown("image.tga", &["repository", "tag"]),
            unknown("image.repository.x", &[]),
            wrong("port", "integer or string", "boolean"),
            Violation {
                path: path("mode"),
                kind: ViolationKind::NotInEnum { allowed }
            },
            unknown("items[1].nme", &["name"]),
            wrong("items[3].name", "string", "integer"),
            wrong("config.b", "boolean", "string"),
        ],
        "2.0 is an integer; null deletes a key; nothing below an unknown key"
    );
    assert!(f
        .check(&json!({ "ratio": 2.5 }))
        .iter()
        .any(|v| v == &wrong("ratio", "integer", "number")));
    assert!(f.check(&json!(null)).is_empty());
    assert_eq!(f.check(&json!({ "mode": "b", "port": "http" })), vec![]);
    assert_eq!(f.check(&json!([1, 2])), vec![wrong("", "object", "array")]);
}

/// Settling accepted scalars where they are met gives the violations of
/// visiting them, in the same order: wrong types, enums (which are always
/// visited), nulls in maps and lists, integral floats, hostile keys, values
/// below unknown keys, free-form maps, and the bundled airflow facts.
#[test]
fn settled_leaves_give_the_violations_of_visited_ones() {
    use crate::tree::Leaves;
    let schema = json!({
        "type": "object",
        "properties": {
            "port": { "type": ["integer", "string"] },
            "mode": { "enum": ["a", "b", 1] },
            "ratio": { "type": "integer" },
            "items": { "type": "array", "items": { "type": "object", "properties": { "name": { "type": "string" } }, "additionalProperties": false } },
            "ints": { "type": "array", "items": { "type": "integer" } },
            "config": { "type": "object", "additionalProperties": { "type": "boolean" } }
        }
    });
    let f = facts(
        "image:\n  tag: v1\n  repository: x\nport: 80\nmode: a\nfree: {}\nlist: []\n",
        Some(schema),
    );
    let airflow = bundled("airflow", "1.22.0").expect("bundled airflow");
    let inputs = [
        json!({
            "zeta": { "deep": { "deeper": 1 } },
            "image": { "tga": "v2", "tag": null, "repository": { "x": 1 } },
            "port": true, "mode": "c", "ratio": 2.0,
            "items": [ { "name": "a" }, { "nme": "b" }, null, { "name": 1 }, 7 ],
            "ints": [1, 2.0, 2.5, "x", null, [1], { "a": 1 }, true],
            "config": { "a": true, "b": "yes", "c": null },
            "deleted": null
        }),
        json!({ "mode": 1, "port": "http", "ratio": 2.5, "free": { "a": [1, { "b": null }] }, "list": [1, "x", null] }),
        json!({ "mode": "b", "image": { "tag": 1, "repository": "ünïcode", "\"dots.and spaces\"": "" } }),
        json!({ "": { "": "" }, "image": [], "port": {}, "ints": {} }),
        json!([1, 2]),
        json!(null),
        json!("text"),
        json!({ "executor": "CeleryExecutorr", "replicaz": 2, "workers": { "replicas": "two", "resources": { "limits": { "cpu": 1 } } } }),
        json!({ "images": { "airflow": { "pullPolicy": "Alwayss", "tag": 3.0, "repository": null } }, "env": [ { "name": "A", "value": "1" }, { "nme": "B" }, 5 ] }),
    ];
    let mut violations = 0;
    for values in &inputs {
        for facts in [&f, airflow] {
            let settled = facts.check_with(values, Leaves::Settle, None);
            assert_eq!(
                settled,
                facts.check_with(values, Leaves::Visit, None),
                "{values}"
            );
            violations += settled.len();
        }
    }
    assert!(violations > 20, "{violations} violations compared");
}

/// Children remembered by their keys' addresses give the violations of
/// children looked up by text: for trees checked again (the same keys at
/// the same addresses), copies of them (the same text elsewhere), keys of
/// one text under different nodes, and two sets of facts.
#[test]
fn remembered_lookups_give_the_violations_of_searched_ones() {
    let f = facts(
        "image:\n  tag: v1\n  repository: x\nname: a\nnested:\n  name: b\n  image:\n    tag: v2\nfree: {}\n",
        None,
    );
    let airflow = bundled("airflow", "1.22.0").expect("bundled airflow");
    let inputs = [
        json!({ "image": { "tag": "v1", "tga": 1 }, "name": "x", "nested": { "name": 1, "image": { "tag": "a", "name": 2 } } }),
        json!({ "name": { "image": 1 }, "nested": { "nested": { "name": "x" } }, "free": { "name": 1, "image": 2 } }),
        json!({ "executor": "CeleryExecutorr", "replicaz": 2, "workers": { "replicas": "two", "resources": { "limits": { "cpu": 1 } } } }),
        json!({ "images": { "airflow": { "pullPolicy": "Alwayss", "tag": 3.0 } }, "workers": { "resources": { "limits": {} }, "replicaz": 1 } }),
        json!({ "": { "": "" }, "image": [], "workers": { "": 1 } }),
    ];
    let copies = inputs.clone();
    let mut compared = 0;
    for facts in [&f, airflow] {
        let mut lookups = crate::Lookups::new(facts);
        assert!(std::ptr::eq(lookups.facts(), facts));
        for _ in 0..2 {
            for values in inputs.iter().chain(&copies) {
                let expected = facts.check(values);
                assert_eq!(lookups.check(values), expected, "{values}");
                assert_eq!(lookups.clean(values), expected.is_empty(), "{values}");
                compared += expected.len();
            }
        }
    }
    assert!(compared > 20, "{compared} violations compared");
    // Tables small enough that keys take each other's slots.
    let keys: Vec<String> = airflow
        .nodes
        .iter()
        .flat_map(|n| n.keys.iter().map(|(k, _)| k.to_string()))
        .take(300)
        .chain(["", "nope", "zzz"].map(String::from))
        .collect();
    for slots in [1, 2, 64, 4096] {
        let mut found = crate::tree::Found::with_slots(slots);
        for round in 0..2 {
            for id in 0..airflow.node_count().min(40) as u32 {
                for k in &keys {
                    let k = if round == 0 { k.as_str() } else { &k[..] };
                    assert_eq!(
                        found.child(airflow, id, k),
                        airflow.child(id, k),
                        "{id} {k}"
                    );
                }
            }
        }
    }
}

/// The walk that only tells whether values are clean says so exactly
/// when the check finds nothing, on values clean and not, of the chart's
/// own keys and made up; and leaves values nested deeper than it goes to
/// the check (not clean, whatever the check finds).
#[test]
fn clean_values_are_those_the_check_finds_nothing_in() {
    let f = facts(
        "image:\n  tag: v1\n  repository: x\nname: a\nports: [1]\nfree: {}\nmode: a\n",
        Some(json!({ "properties": { "mode": { "enum": ["a", "b"] } } })),
    );
    let airflow = bundled("airflow", "1.22.0").expect("bundled airflow");
    let inputs = [
        json!({}),
        json!({ "image": { "tag": "v2" }, "name": null, "free": { "any": [1, { "x": 2 }] } }),
        json!({ "image": { "tag": "v2", "nope": 1 } }),
        json!({ "ports": [1, 2, "x"], "mode": "b" }),
        json!({ "mode": "c" }),
        json!({ "name": { "a": 1 } }),
        json!([1]),
        json!({ "executor": "CeleryExecutor", "workers": { "replicas": 2, "resources": { "limits": { "cpu": 1 } } } }),
        json!({ "executor": "CeleryExecutorr" }),
        json!({ "images": { "airflow": { "pullPolicy": "Always", "tag": "3.0" } }, "env": [ { "name": "A", "value": "1" } ] }),
        json!({ "images": { "airflow": { "pullPolicy": "Alwayss" } } }),
        json!({ "env": [ { "name": "A", "value": "1" }, { "nme": "B" } ] }),
    ];
    let mut clean = 0;
    for facts in [&f, airflow] {
        let mut lookups = crate::Lookups::new(facts);
        for values in &inputs {
            let expected = facts.check(values).is_empty();
            assert_eq!(lookups.clean(values), expected, "{values}");
            clean += usize::from(expected);
        }
    }
    assert!((4..=20).contains(&clean), "{clean} clean");
    // Deeper than the walk goes (a recursive chart): left to the check.
    let nested = Facts::parse(
        "chart c 1\n@root object\na =@1\nl array\n  [] =@1\n@1 object\na =@1\nl array\n  [] =@1\n",
    )
    .unwrap();
    for (depth, clean) in [(10, true), (30, true), (100, false)] {
        let (mut map, mut list) = (json!({}), json!({}));
        for _ in 0..depth {
            map = json!({ "a": map });
            list = json!({ "l": [list] });
        }
        for values in [&map, &list] {
            assert!(nested.check(values).is_empty());
            assert_eq!(crate::Lookups::new(&nested).clean(values), clean, "{depth}");
        }
    }
}

#[test]
fn check_never_panics_on_deep_or_odd_json() {
    let f = facts("a:\n  b: 1\nfree: {}\n", None);
    // Deep enough that a recursive walk would overflow the small stack of
    // this thread. serde_json drops (and clones) values recursively, so they
    // are built here and leaked.
    let f2 = f.clone();
    let results = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let deep = |mixed: bool| {
                // Not `json!`, which would copy `v` recursively.
                let mut v = json!(1);
                for i in 0..5_000 {
                    v = if mixed && i % 2 == 0 {
                        serde_json::Value::Array(vec![v])
                    } else {
                        let mut map = serde_json::Map::new();
                        map.insert("free".to_string(), v);
                        serde_json::Value::Object(map)
                    };
                }
                v
            };
            let wrap = |key: &str, v: serde_json::Value| {
                let mut map = serde_json::Map::new();
                map.insert(key.to_string(), v);
                serde_json::Value::Object(map)
            };
            let free = wrap("free", deep(true));
            let below_unknown = wrap("a", deep(true));
            let nested = wrap("free", deep(false));
            let r = (f2.check(&free), f2.check(&below_unknown), f2.check(&nested));
            std::mem::forget((free, below_unknown, nested));
            r
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(results.0.is_empty());
    assert_eq!(results.1, vec![unknown("a.free", &["b"])]);
    assert!(results.2.is_empty());
    let values = json!({ "free": 1, "a": { "x": 1 } });
    for odd in [
        json!(1e308),
        json!(-0.0),
        json!(u64::MAX),
        json!(""),
        json!([]),
    ] {
        f.check(&odd);
        f.check(&json!({ "a": odd }));
    }
    // Facts without nodes (not from generate or parse) accept everything.
    let empty = Facts::new(String::new(), String::new(), Vec::new());
    assert!(empty.check(&values).is_empty());
}

// ---------------------------------------------------------------- bundled facts

/// Every embedded file read as written (as `bundled` reads it, the small
/// nodes the text repeats inline kept apart) is, made canonical, what the
/// general reading gives: the two graphs differ only by nodes alike that
/// one merges, so every walk gives the same. Checks of values built from
/// the chart's own keys, and of made-up ones, agree too.
#[test]
fn embedded_facts_as_written_are_the_canonical_ones() {
    let mut read = 0;
    let mut apart = 0;
    let mut violations = 0;
    for (name, version, text) in crate::embedded::BUNDLED {
        let general = Facts::parse(text).unwrap();
        let written = Facts::parse_as_written(text).unwrap();
        assert!(written.node_count() >= general.node_count());
        apart += written.node_count() - general.node_count();
        let merged = Facts::new(
            written.chart().to_string(),
            written.version().to_string(),
            crate::generate::canonical(written.nodes.clone(), 0),
        );
        assert_eq!(merged, general, "{name} {version}");
        // Values with every key of the root and of its children, set to
        // scalars of two types, and keys no chart has.
        let root = &general.nodes[0];
        for scalar in [json!("text"), json!(3), json!(null)] {
            let values: serde_json::Map<String, serde_json::Value> = root
                .keys
                .iter()
                .map(|(k, id)| {
                    let below: serde_json::Map<String, serde_json::Value> = general.nodes
                        [*id as usize]
                        .keys
                        .iter()
                        .map(|(k, _)| (k.to_string(), scalar.clone()))
                        .chain([("madeUp".to_string(), json!({ "x": [1, "a"] }))])
                        .collect();
                    (k.to_string(), serde_json::Value::Object(below))
                })
                .chain([("notAKey".to_string(), scalar.clone())])
                .collect();
            let values = serde_json::Value::Object(values);
            let expected = general.check(&values);
            assert_eq!(written.check(&values), expected, "{name} {version}");
            violations += expected.len();
        }
        read += 1;
    }
    assert!(read > 10, "{read} files");
    assert!(apart > 100, "{apart} nodes kept apart");
    assert!(violations > 100, "{violations} violations compared");
    // A text that is not canonical (two blocks alike) reads as written
    // with both blocks, and knows what the canonical reading knows.
    let text = "chart c 1\n@root object\na =@1\nb =@2\n@1 object\nx string\n@2 object\nx string\n";
    let general = Facts::parse(text).unwrap();
    let written = Facts::parse_as_written(text).unwrap();
    assert!(general.node_count() < written.node_count());
    for p in ["a.x", "b.x", "c", "a.y"] {
        assert_eq!(written.knows(&path(p)), general.knows(&path(p)), "{p}");
    }
}

#[test]
fn bundled_airflow() {
    let airflow = bundled("airflow", "1.22.0").expect("airflow facts ship");
    assert!(
        std::ptr::eq(airflow, bundled("airflow", "1.22.0").unwrap()),
        "parsed once"
    );
    assert!(bundled("airflow", "1.21.0").is_none());
    assert_eq!((airflow.chart(), airflow.version()), ("airflow", "1.22.0"));

    let v = airflow.check(&json!({ "images": { "airflow": { "pullPolicy": "Alwayss" } } }));
    assert_eq!(
        v,
        vec![Violation {
            path: path("images.airflow.pullPolicy"),
            kind: ViolationKind::NotInEnum {
                allowed: vec![
                    "\"Always\"".into(),
                    "\"Never\"".into(),
                    "\"IfNotPresent\"".into()
                ]
            }
        }]
    );
    // airflow's schema constrains `executor` by a pattern
    // (`...[A-Z][a-zA-Z0-9]+Executor`), not an enum; facts record types,
    // enums and keys only, so the typo passes here (Schema catches it).
    assert!(airflow
        .check(&json!({ "executor": "CeleryExecutorr" }))
        .is_empty());
    assert!(
        airflow.check(&json!({ "executor": 1 }))[0].kind
            == ViolationKind::WrongType {
                expected: "string".into(),
                found: "integer".into()
            }
    );

    let v = airflow.check(&json!({ "replicaz": 2 }));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, path("replicaz"));
    match &v[0].kind {
        ViolationKind::UnknownKey { known } => {
            assert!(known.iter().any(|k| k == "workers"), "{known:?}");
            assert!(known.windows(2).all(|w| w[0] < w[1]), "sorted");
        }
        other => panic!("{other:?}"),
    }
    let v = airflow.check(&json!({ "workers": { "replicas": "two" } }));
    assert_eq!(v, vec![wrong("workers.replicas", "integer", "string")]);
    assert!(airflow
        .check(&json!({
            "scheduler": { "podAnnotations": { "example.com/anything": "x" } },
            "airflowPodAnnotations": { "a": "b" },
            "workers": null,
            "config": { "logging": { "remote_logging": "True" }, "newsection": { "k": 1 } }
        }))
        .is_empty());
}

/// Key paths the stdlib writes (stdlib/std/*.plat values blocks) are known;
/// tests/stdlib_chart_keys.rs checks all of them against the raw charts.
#[test]
fn stdlib_value_paths_are_known() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "airflow",
            "1.22.0",
            &[
                "fullnameOverride",
                "executor",
                "postgresql.enabled",
                "enableBuiltInSecretEnvVars.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
                "enableBuiltInSecretEnvVars.AIRFLOW_CONN_AIRFLOW_DB",
                "secret[0].envName",
                "secret[0].secretName",
                "secret[0].secretKey",
                "env[0].name",
                "env[0].value",
                "config.logging.remote_logging",
                "config.logging.remote_base_log_folder",
                "workers.celery.replicas",
                "apiServer.replicas",
                "scheduler.replicas",
                "statsd.enabled",
                "dags.gitSync.enabled",
                "dags.gitSync.repo",
                "dags.gitSync.ref",
                "dags.gitSync.subPath",
                "apiServer.resources.requests.cpu",
            ],
        ),
        (
            "minio",
            "5.4.0",
            &[
                "fullnameOverride",
                "mode",
                "replicas",
                "persistence.size",
                "persistence.storageClass",
                "resources.requests.memory",
                "existingSecret",
                "users",
                "metrics.serviceMonitor.public",
                "buckets[0].name",
                "podAnnotations.\"example.com/anything\"",
            ],
        ),
        (
            "cloudnative-pg",
            "0.29.0",
            &[
                "replicaCount",
                "crds.create",
                "config.clusterWide",
                "monitoring.podMonitorEnabled",
            ],
        ),
        (
            "cluster",
            "0.8.1",
            &[
                "fullnameOverride",
                "type",
                "mode",
                "version.postgresql",
                "cluster.instances",
                "cluster.storage.size",
                "cluster.storage.storageClass",
                "cluster.enablePDB",
                "cluster.initdb.database",
                "cluster.initdb.owner",
                "cluster.resources.requests.cpu",
                "cluster.resources.requests.memory",
                "cluster.resources.limits.memory",
                "cluster.monitoring.enabled",
            ],
        ),
        ("cert-manager", "v1.21.1", &["crds.enabled", "replicaCount"]),
        (
            "jupyterhub",
            "4.4.0",
            &[
                "hub.config.JupyterHub.admin_access",
                "singleuser.storage.capacity",
            ],
        ),
    ];
    for (chart, version, paths) in cases {
        let facts = bundled(chart, version).unwrap_or_else(|| panic!("{chart} {version}"));
        for p in *paths {
            assert!(facts.knows(&path(p)), "{chart} {version}: {p}");
        }
    }
    // The made-up keys of the stdlib test's `made_up_keys_are_rejected_by_real_charts`.
    let airflow = bundled("airflow", "1.22.0").unwrap();
    let minio = bundled("minio", "5.4.0").unwrap();
    assert!(!minio.knows(&path("persistence.sizeInGigabytes")));
    assert!(
        !airflow.knows(&path("statsd.service.port")),
        "additionalProperties: false"
    );
    assert!(!airflow.knows(&path("workers.replicaCount")));
    assert!(
        !airflow.knows(&path("apiServer.resources.request.cpu")),
        "through $ref"
    );
    assert!(
        !airflow.knows(&path("secret[0].secretname")),
        "schema items"
    );
}

// ---------------------------------------------------------------- Schema

#[test]
fn schema_validates_values() {
    let schema = Schema::parse(
        &json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {
                "replicas": { "type": "integer", "minimum": 1 },
                "executor": { "type": "string", "pattern": "^[A-Z][a-zA-Z]+Executor$" },
                "map": { "type": "object", "additionalProperties": { "type": "string" } },
                "list": { "type": "array", "items": { "type": "string" } }
            },
            "additionalProperties": false
        })
        .to_string(),
    )
    .unwrap();
    assert!(schema
        .validate(&json!({ "replicas": 2, "executor": "CeleryExecutor" }))
        .is_empty());
    let v = schema.validate(&json!({
        "replicas": 0,
        "executor": "CeleryExecutorr",
        "map": { "0": 1 },
        "list": ["a", 2],
        "extra": { "long": "x".repeat(500) }
    }));
    let paths: Vec<Vec<Seg>> = v.iter().map(|v| v.path.clone()).collect();
    assert!(paths.contains(&path("replicas")), "{v:?}");
    assert!(paths.contains(&path("executor")), "{v:?}");
    assert!(
        paths.contains(&vec![Seg::Key("map".into()), Seg::Key("0".into())]),
        "a key `0`: {v:?}"
    );
    assert!(paths.contains(&path("list[1]")), "{v:?}");
    assert!(
        v.iter()
            .any(|v| v.path.is_empty() && v.message.contains("extra")),
        "{v:?}"
    );
    for violation in &v {
        assert!(!violation.message.contains('\n'), "{violation:?}");
        assert!(violation.message.len() <= 400, "{violation:?}");
    }
}

#[test]
fn schema_errors() {
    assert!(Schema::parse("not json").is_err());
    assert!(Schema::parse(r#"{"type": "nonsense"}"#).is_err());
    // Remote references are not fetched.
    let err = Schema::parse(r#"{"$ref": "https://example.com/other.json"}"#).unwrap_err();
    assert!(!err.contains('\n'), "{err}");
    // Unknown `$schema` URIs that Helm charts use.
    let schema =
        Schema::parse(r#"{"$schema": "http://json-schema.org/schema#", "type": "object"}"#);
    assert!(schema.is_ok(), "{schema:?}");
}

#[test]
fn template_keys_are_what_templates_read_outside_comments() {
    let templates = vec!["{{/* .Values.documented.only is in a comment */}}\n\
         name: {{ .Values.config.existingSecret | default (include \"x\" .) }}\n\
         {{- if $.Values.fullnameOverride }}{{ .Values.a_b.c1 }}{{ end }}\n\
         {{ .Values.list.0 }} {{ index .Values \"skipped\" }}"
        .to_string()];
    let keys = crate::generate::template_keys(&templates);
    let shown: Vec<String> = keys.iter().map(|k| k.join(".")).collect();
    assert_eq!(
        shown,
        [
            "a_b.c1",
            "config.existingSecret",
            "fullnameOverride",
            "list"
        ]
    );
}

#[test]
fn keys_templates_read_are_known_and_nothing_values_yaml_says_narrows() {
    let files = crate::generate::ChartFiles {
        chart_yaml: "name: c\nversion: 1.0.0\n".into(),
        values_yaml: "config:\n  clientID: x\ngoogle: {}\nport: 80\n".into(),
        schema_json: None,
        subcharts: None,
        templates: vec![
            "{{ .Values.config.existingSecret }} {{ .Values.google.adminEmail }} \
             {{ .Values.port.name }} {{ .Values.fullnameOverride }}"
                .into(),
        ],
    };
    let (f, _) = crate::generate::generate_files(&files).expect("facts");
    assert!(f.knows(&path("config.existingSecret")));
    assert!(f.knows(&path("config.clientID")));
    assert!(f.knows(&path("fullnameOverride")));
    // `google: {}` stays free-form: any key below it.
    assert!(f.knows(&path("google.anything")));
    // A scalar in values.yaml is not turned into a map.
    assert!(!f.knows(&path("port.name")));
    assert!(!f.knows(&path("config.existingSecrets")));
}

/// The keys' prefix index finds what a binary search over the keys finds,
/// in every node of every bundled chart: each key, and keys next to it
/// (a prefix of it, it with a byte added, bytes changed in and past the
/// first eight, empty, not ASCII).
#[test]
fn indexed_children_are_the_listed_children() {
    let mut looked_up = 0;
    for (name, version) in crate::bundled_charts() {
        let f = crate::bundled(name, version).unwrap();
        for (id, node) in f.nodes.iter().enumerate() {
            let id = id as crate::tree::NodeId;
            let mut probes: Vec<String> = vec![String::new(), "é".into(), "\0".into()];
            for (k, _) in node.keys.iter() {
                let k: &str = k;
                probes.push(k.to_string());
                probes.push(format!("{k}\0"));
                probes.push(format!("{k}z"));
                probes.push(k.chars().rev().collect());
                for n in [1, 7, 8, 9] {
                    if let Some((i, _)) = k.char_indices().nth(n) {
                        probes.push(k[..i].to_string());
                        probes.push(format!("{}~{}", &k[..i], &k[i..]));
                    }
                }
            }
            for p in &probes {
                assert_eq!(f.child(id, p), node.child(p), "{name}: {p:?}");
                looked_up += 1;
            }
        }
    }
    assert!(looked_up > 10_000, "{looked_up}");
}
