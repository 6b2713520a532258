//! What the tests that need real tools or `../shared` have in common: where
//! the tools and the reference data are, what a test does without them, and
//! the examples they run over.
//!
//! A test that cannot run must not look like a pass: under `CI=true` a
//! missing tool or missing reference data fails the test; otherwise the test
//! returns early and prints `skipped: REASON` straight to the terminal (not
//! through `println!`, which the test harness captures and shows only for
//! failures), so the skip shows in the `cargo test` output.
//!
//! Each test binary uses part of this module.
#![allow(dead_code)]

pub mod wiring;

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The root of the repository.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Whether the tests run in CI, where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Under CI, fails with `reason`; otherwise prints `skipped: REASON` where
/// the test summary shows it. The caller then returns.
pub fn skip_or_fail(reason: &str) {
    if in_ci() {
        panic!("{reason} (CI=true: a test that cannot run fails)");
    }
    // Bypasses the harness's output capture (it only captures the print
    // macros), so the reason is seen even when the test passes; the harness
    // names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "skipped: {reason} (in {test})");
}

/// A validator installed by scripts/install-validators.sh in
/// target/validators/bin, or `None` after [`skip_or_fail`].
pub fn tool(name: &str) -> Option<PathBuf> {
    let p = repo().join("target/validators/bin").join(name);
    if p.is_file() {
        return Some(p);
    }
    skip_or_fail(&format!(
        "{name} is not installed (run scripts/install-validators.sh)"
    ));
    None
}

/// `../shared/<path>` (a file or a directory), or `None` after
/// [`skip_or_fail`].
pub fn shared(path: &str) -> Option<PathBuf> {
    let p = repo().join("../shared").join(path);
    if p.exists() {
        return Some(p);
    }
    skip_or_fail(&format!("../shared/{path} not found"));
    None
}

/// Every example that builds: a directory of examples/ with a main.plat
/// and without an `expect-errors` file (an example that fails on purpose,
/// tests/insecure_example.rs), sorted.
pub fn examples() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("main.plat").is_file() && !p.join("expect-errors").exists())
        .collect();
    out.sort();
    out
}

/// A CRD schema as the API server applies it: an object with `properties`
/// and no `additionalProperties` or `x-kubernetes-preserve-unknown-fields`
/// knows no other field (the server would drop it silently: a mistake).
/// `metadata` is the server's own and stays open.
pub fn strict(mut schema: serde_json::Value) -> serde_json::Value {
    fn walk(v: &mut serde_json::Value, top: bool) {
        let Some(obj) = v.as_object_mut() else {
            return;
        };
        let open = obj.contains_key("additionalProperties")
            || obj.get("x-kubernetes-preserve-unknown-fields")
                == Some(&serde_json::Value::Bool(true));
        if obj.contains_key("properties") && !open {
            obj.insert(
                "additionalProperties".into(),
                serde_json::Value::Bool(false),
            );
        }
        // The API server matches `pattern` with Go's RE2, which has flag
        // groups (`^(?i)(abort|warn)?$`, in the PrometheusRule CRD); the
        // validator reads patterns as ECMA-262, which has none. The same
        // language, spelt without the flag.
        if let Some(serde_json::Value::String(p)) = obj.get_mut("pattern") {
            if let Some(rest) = p.strip_prefix("^(?i)") {
                *p = format!("^{}", case_insensitive(rest));
            }
        }
        if let Some(serde_json::Value::Object(props)) = obj.get_mut("properties") {
            for (name, p) in props.iter_mut() {
                if !(top && name == "metadata") {
                    walk(p, false);
                }
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(inner) = obj.get_mut(key) {
                walk(inner, false);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(serde_json::Value::Array(xs)) = obj.get_mut(key) {
                xs.iter_mut().for_each(|x| walk(x, false));
            }
        }
    }
    walk(&mut schema, true);
    schema
}

/// `pattern` with every ASCII letter outside a character class and an
/// escape matching both cases (`ab` as `[aA][bB]`).
fn case_insensitive(pattern: &str) -> String {
    let mut out = String::new();
    let (mut escaped, mut in_class) = (false, false);
    for c in pattern.chars() {
        match c {
            _ if escaped => {
                escaped = false;
                out.push(c);
            }
            '\\' => {
                escaped = true;
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            c if c.is_ascii_alphabetic() && !in_class => {
                out.push('[');
                out.push(c.to_ascii_lowercase());
                out.push(c.to_ascii_uppercase());
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// A custom resource as the API server stores it before validation: a
/// field whose value is `null` and whose schema is not `nullable: true` is
/// pruned (Kubernetes docs, "Defaulting and Nullable"), so a chart that
/// renders `postgresql:` with nothing below it is valid.
pub fn prune_nulls(doc: &mut serde_json::Value, schema: &serde_json::Value) {
    use serde_json::Value;
    match doc {
        Value::Object(fields) => {
            fields.retain(|name, v| {
                !v.is_null() || field_schema(schema, name)["nullable"] == Value::Bool(true)
            });
            for (name, v) in fields.iter_mut() {
                prune_nulls(v, field_schema(schema, name));
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| prune_nulls(v, &schema["items"])),
        _ => {}
    }
}

/// The schema of field `name` of an object schema (`Null` when unknown).
fn field_schema<'a>(schema: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    match &schema["properties"][name] {
        serde_json::Value::Null => &schema["additionalProperties"],
        s => s,
    }
}

/// Builds `text` as the root file of an in-memory project, in `environment`
/// (the base platform when `None`): the output tree, by path. Panics with
/// the rendered diagnostics when the platform has errors.
pub fn build_text(
    text: &str,
    environment: Option<&str>,
) -> std::collections::BTreeMap<String, String> {
    let mut fs = platc_driver::MemoryFs::new();
    fs.insert("/project/main.plat", text);
    let options = platc_driver::Options {
        environment: environment.map(str::to_string),
        ..platc_driver::Options::default()
    };
    let b = platc_driver::build_path(&fs, Path::new("/project"), &options).unwrap();
    let rendered =
        platc_render::render_human(&b.compilation.sources, &b.compilation.diagnostics, false);
    assert!(!b.compilation.has_errors(), "{rendered}");
    b.files.into_iter().map(|f| (f.path, f.contents)).collect()
}

/// The YAML documents of a multi-document file (a resources or manifests
/// file), as JSON values: comment-only and empty documents left out.
pub fn yaml_docs(text: &str) -> Vec<serde_json::Value> {
    text.split("\n---")
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
        })
        .map(|d| serde_yaml_ng::from_str::<serde_json::Value>(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}
