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
        .filter(|p| p.join("main.plat").is_file())
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
                    let _: serde_json::Value = serde_yaml_ng::from_str(&f.contents)
                        .unwrap_or_else(|e| panic!("{}: {e}", f.path));
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
