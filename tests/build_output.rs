//! `platc build` on every example: the whole output tree is snapshotted (one
//! snapshot per file), every YAML and JSON file parses back, and two builds
//! are byte-identical.

use std::path::{Path, PathBuf};

use platc_driver::{build_path, Options, OutputFile, RealFs};

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        // Not the examples that fail on purpose (tests/insecure_example.rs).
        .filter(|p| p.join("main.plat").is_file() && !p.join("expect-errors").exists())
        .collect();
    out.sort();
    out
}

fn build(example: &Path, env: Option<&str>) -> Vec<OutputFile> {
    let options = Options {
        environment: env.map(str::to_string),
        ..Options::default()
    };
    let b = build_path(&RealFs, example, &options).unwrap();
    let rendered =
        platc_render::render_human(&b.compilation.sources, &b.compilation.diagnostics, false);
    assert!(
        !b.compilation.has_errors(),
        "{} must build:\n{rendered}",
        example.display()
    );
    assert!(!b.files.is_empty());
    b.files
}

#[test]
fn output_trees_are_snapshotted_file_by_file() {
    for ex in examples() {
        let name = ex.file_name().unwrap().to_string_lossy().to_string();
        for f in build(&ex, None) {
            let snapshot = format!("{name}__{}", f.path.replace('/', "__"));
            insta::with_settings!({ snapshot_path => "snapshots/build", prepend_module_to_snapshot => false }, {
                insta::assert_snapshot!(snapshot, f.contents);
            });
        }
    }
}

#[test]
fn every_file_parses_back() {
    for ex in examples() {
        let environments = platc_driver::check_path(&RealFs, &ex, &Options::default())
            .unwrap()
            .environments
            .unwrap_or_default();
        let envs = std::iter::once(None).chain(environments.iter().map(|e| Some(e.as_str())));
        for env in envs {
            for f in build(&ex, env) {
                if f.path.ends_with(".json") {
                    let v: serde_json::Value = serde_json::from_str(&f.contents)
                        .unwrap_or_else(|e| panic!("{}: {e}", f.path));
                    assert_eq!(
                        serde_json::to_string_pretty(&v).unwrap() + "\n",
                        f.contents,
                        "{} is canonical JSON",
                        f.path
                    );
                } else if f.path.ends_with(".yaml") {
                    // Every document (a resources file holds one per object).
                    for doc in serde_yaml_ng::Deserializer::from_str(&f.contents) {
                        let _: serde_json::Value = serde::Deserialize::deserialize(doc)
                            .unwrap_or_else(|e| panic!("{}: {e}", f.path));
                    }
                }
            }
        }
    }
}

#[test]
fn builds_are_deterministic() {
    for ex in examples() {
        let a = build(&ex, None);
        let b = build(&ex, None);
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((&x.path, &x.contents), (&y.path, &y.contents));
        }
        let root = ex.canonicalize().unwrap();
        for f in &a {
            assert!(
                !f.contents.contains(root.to_string_lossy().as_ref()),
                "{} holds an absolute path",
                f.path
            );
        }
    }
}

/// User strings that mean something to YAML or Terraform stay data.
#[test]
fn hostile_strings_are_escaped_for_each_target() {
    let dir = std::env::temp_dir().join(format!("platc-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let hostile = [
        "${var.kubeconfig}",
        "%{ if true }x%{ endif }",
        "yes",
        "no",
        "on",
        "null",
        "~",
        "*star",
        "&anchor",
        "key: value",
        "# not a comment",
        "0x1F",
        "017",
        "1e3",
        "- dash",
        "tab\there",
        "line\nbreak",
        "trailing ",
        "\u{202e}rtl",
    ];
    let entries: Vec<String> = hostile
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let escaped = h
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
                .replace('\t', "\\t")
                .replace("${", "\\${");
            format!("    k{i} = \"{escaped}\"")
        })
        .collect();
    let source = format!(
        r#"platform "hostile" {{
  domain = "example.com"
}}

interface Named {{
  label: string
}}

component app {{
  chart "app" version "1.0.0" from "https://charts.example.com"
  param label: string
  provides Named {{ label = label }}
  values {{
{}
  }}
}}

app web {{
  label = "\${{x}} %{{y}}"
}}
"#,
        entries.join("\n")
    );
    std::fs::write(dir.join("main.plat"), source).unwrap();
    let files = build(&dir, None);
    std::fs::remove_dir_all(&dir).unwrap();
    let values = files
        .iter()
        .find(|f| f.path == "helm/web.values.yaml")
        .unwrap();
    let parsed: serde_json::Value = serde_yaml_ng::from_str(&values.contents).unwrap();
    for (i, h) in hostile.iter().enumerate() {
        assert_eq!(
            parsed[format!("k{i}")],
            serde_json::Value::String(h.to_string()),
            "k{i} in\n{}",
            values.contents
        );
    }
    // Helm reads YAML 1.1: these must be quoted, not plain.
    for word in ["yes", "no", "on", "null"] {
        assert!(
            values.contents.contains(&format!("\"{word}\""))
                || values.contents.contains(&format!("'{word}'")),
            "{word} unquoted"
        );
    }
    // The provided field reaches Terraform in the root module's call.
    let module = files
        .iter()
        .find(|f| f.path == "terraform/main.tf.json")
        .unwrap();
    assert!(
        module.contents.contains("$${x} %%{y}"),
        "Terraform templates are escaped:\n{}",
        module.contents
    );
    assert!(!module.contents.contains("\"${x}"));
}

/// A user's values file is read as Helm reads it (YAML 1.1): a plain `yes`
/// is a boolean and `0755` an octal number, while quoted strings stay
/// strings; the merged values file says so explicitly.
#[test]
fn user_values_files_are_read_with_helms_yaml_rules() {
    let dir = std::env::temp_dir().join(format!("platc-yaml11-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("main.plat"),
        r#"platform "yaml" {}

component app {
  chart "app" version "1.0.0" from "https://charts.example.com"
}

app web {
  values_files = ["web.yaml"]
}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("web.yaml"),
        "ingress:\n  enabled: yes\nmode: 0755\nname: 'yes'\nlevel: on\n",
    )
    .unwrap();
    let files = build(&dir, None);
    std::fs::remove_dir_all(&dir).unwrap();
    let values = files
        .iter()
        .find(|f| f.path == "helm/web.values.yaml")
        .unwrap();
    let parsed: serde_json::Value = serde_yaml_ng::from_str(&values.contents).unwrap();
    assert_eq!(
        parsed,
        serde_json::json!({"ingress": {"enabled": true}, "mode": 493, "name": "yes", "level": true}),
        "{}",
        values.contents
    );
}

/// Invisible and bidirectional characters in the user's strings reach no
/// output file raw: YAML quotes them with escapes, Terraform JSON escapes
/// them, so what a reviewer reads is what the tools see.
#[test]
fn no_output_file_carries_hidden_characters() {
    let text = "platform \"p\" {}\n\
        component c {\n  chart \"c\" version \"1.0.0\" from \"https://charts.example.com\"\n  \
        param note: string = \"\"\n  values { note = note }\n  expose ui { port = 80 }\n}\n\
        c x {\n  note = \"safe \u{202E} evil \u{2066}x\u{2069}\"\n  \
        expose ui { host = \"x.example.com\" path = \"/a\u{200B}b\" auth = \"sso\" }\n}\n";
    let mut fs = platc_driver::MemoryFs::new();
    fs.insert("/project/main.plat", text);
    let b = build_path(&fs, Path::new("/project"), &Options::default()).unwrap();
    assert!(!b.compilation.has_errors());
    let hidden = |c: char| matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    for f in &b.files {
        assert!(
            !f.contents.chars().any(hidden),
            "{} carries a hidden character",
            f.path
        );
    }
    // And it is all still there, escaped.
    let tf = &b
        .files
        .iter()
        .find(|f| f.path == "terraform/outputs.tf.json")
        .unwrap()
        .contents;
    assert!(tf.contains("\\u200b"), "{tf}");
}

/// The root output `provided` is written once: for an instance with a
/// module, it is the module's output (`${module.NAME.provided}`), and that
/// module is given the fields; an instance without a module has its
/// fields there as they are.
#[test]
fn provided_outputs_name_the_modules_given_the_fields() {
    for example in examples() {
        let files = build(&example, None);
        let json = |path: &str| -> serde_json::Value {
            let f = files.iter().find(|f| f.path == path).unwrap();
            serde_json::from_str(&f.contents).unwrap()
        };
        let (main, outputs) = (
            json("terraform/main.tf.json"),
            json("terraform/outputs.tf.json"),
        );
        let modules = main["module"].as_object().cloned().unwrap_or_default();
        let provided = outputs["output"]["provided"]["value"].as_object().unwrap();
        let mut referenced = std::collections::BTreeSet::new();
        for (instance, value) in provided {
            match value {
                serde_json::Value::String(s) => {
                    let module = s
                        .strip_prefix("${module.")
                        .and_then(|s| s.strip_suffix(".provided}"))
                        .unwrap_or_else(|| panic!("{}: {instance}: {s}", example.display()));
                    let given = &modules[module]["provided"];
                    assert!(
                        given.as_object().is_some_and(|m| !m.is_empty()),
                        "{}: module {module} is not given `provided`",
                        example.display()
                    );
                    referenced.insert(module.to_string());
                }
                serde_json::Value::Object(fields) => {
                    assert!(!fields.is_empty());
                    assert!(
                        !modules.contains_key(&instance.replace('-', "_")),
                        "{}: {instance} has a module but its fields are written out",
                        example.display()
                    );
                }
                other => panic!("{}: {instance}: {other}", example.display()),
            }
        }
        let given: std::collections::BTreeSet<String> = modules
            .iter()
            .filter(|(_, m)| m.get("provided").is_some())
            .map(|(name, _)| name.clone())
            .collect();
        assert_eq!(referenced, given, "{}", example.display());
    }
}
