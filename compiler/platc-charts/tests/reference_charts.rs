//! The facts in `stdlib/charts` are exactly what `scripts/chart-facts`
//! generates from the chart reference data in `../shared/charts`: one file
//! per chart folder, none without a folder, none edited by hand. And each
//! chart's own defaults pass its facts and its schema.
//!
//! The reference data lives outside the repository. When it is missing the
//! test prints `skipped: ../shared/charts not found` and passes, except under
//! CI (`CI=true`), where it fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use platc_charts::{source, Facts, Schema, ViolationKind};

fn charts_dir_or_skip() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/charts");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "the chart reference data is missing at {} (CI=true, so this is an error)",
            dir.display()
        );
    }
    // Past the harness's capture of the print macros: the reason shows
    // even though the test passes.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        b"skipped: ../shared/charts not found\n",
    );
    None
}

fn stdlib_charts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stdlib/charts")
}

/// The committed facts files: name → text.
fn committed() -> BTreeMap<String, String> {
    let dir = stdlib_charts();
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "facts"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn committed_facts_match_the_reference_data() {
    let Some(dir) = charts_dir_or_skip() else {
        return;
    };
    let mut committed = committed();
    let mut failures = Vec::new();
    let folders = source::chart_dirs(&dir).unwrap();
    assert!(!folders.is_empty(), "no chart folder in {}", dir.display());
    for folder in folders {
        let (name, text) =
            source::facts_file(&folder, "../shared/charts").unwrap_or_else(|e| panic!("{e}"));
        match committed.remove(&name) {
            None => failures.push(format!(
                "{} has no facts file stdlib/charts/{name}",
                folder.display()
            )),
            Some(have) if have != text => {
                let line = have
                    .lines()
                    .zip(text.lines())
                    .position(|(a, b)| a != b)
                    .map_or(have.lines().count().min(text.lines().count()), |i| i)
                    + 1;
                failures.push(format!(
                    "stdlib/charts/{name} differs from what {} gives (first at line {line})",
                    folder.display()
                ));
            }
            Some(_) => {}
        }
    }
    for name in committed.keys() {
        failures.push(format!(
            "stdlib/charts/{name} has no chart folder in {}",
            dir.display()
        ));
    }
    assert!(
        failures.is_empty(),
        "{}\nrun scripts/chart-facts to regenerate stdlib/charts",
        failures.join("\n")
    );
}

/// Every committed file parses, is embedded, and is in canonical form.
#[test]
fn committed_facts_are_bundled_and_canonical() {
    let committed = committed();
    assert!(!committed.is_empty(), "stdlib/charts has no facts");
    let bundled: Vec<(&str, &str)> = platc_charts::bundled_charts().collect();
    assert_eq!(bundled.len(), committed.len(), "every file is embedded");
    for (name, text) in &committed {
        let facts = Facts::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&source::file_name(&facts), name, "file named by its chart");
        let embedded = platc_charts::bundled(facts.chart(), facts.version())
            .unwrap_or_else(|| panic!("{name} is not embedded"));
        // Embedded as written (small nodes repeated inline kept apart):
        // the same facts once made canonical.
        assert_eq!(Facts::parse(&embedded.to_text()).as_ref(), Ok(&facts));
        let body = text
            .lines()
            .skip_while(|l| l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect::<String>();
        assert_eq!(body, facts.to_text(), "{name} is what to_text writes");
    }
}

/// A chart's values.yaml passes its own facts, and its own schema. One
/// exception: clickhouse writes YAML 1.1 booleans (`yes`, `no`), which Helm
/// reads as booleans and this YAML 1.2 reader as strings.
#[test]
fn chart_defaults_pass_their_own_facts_and_schema() {
    let Some(dir) = charts_dir_or_skip() else {
        return;
    };
    let yaml11_boolean = |values: &serde_json::Value, path: &[platc_charts::Seg]| {
        let mut node = values;
        for seg in path {
            node = match seg {
                platc_charts::Seg::Key(k) => &node[k.as_str()],
                platc_charts::Seg::Index(i) => &node[*i],
            };
        }
        matches!(node.as_str(), Some("yes" | "no" | "on" | "off" | "y" | "n"))
    };
    let mut failures = Vec::new();
    let mut schemas = 0;
    for folder in source::chart_dirs(&dir).unwrap() {
        let read = |file: &str| std::fs::read_to_string(folder.join(file)).ok();
        let values: serde_json::Value =
            serde_yaml_ng::from_str(&read("values.yaml").unwrap()).unwrap();
        let facts = source::generate_dir(&folder).unwrap();
        for v in facts.check(&values) {
            let yaml11 = matches!(&v.kind, ViolationKind::WrongType { expected, found }
                if expected == "boolean" && found == "string")
                && yaml11_boolean(&values, &v.path);
            if !yaml11 {
                failures.push(format!("{}: facts: {v:?}", folder.display()));
            }
        }
        let schema = match (read("values.schema.json"), read("values.schema.yaml")) {
            (Some(json), _) => Some(json),
            (None, Some(yaml)) => {
                let value: serde_json::Value = serde_yaml_ng::from_str(&yaml).unwrap();
                Some(value.to_string())
            }
            (None, None) => None,
        };
        let Some(schema) = schema else {
            continue;
        };
        schemas += 1;
        let schema = Schema::parse(&schema).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        for v in schema.validate(&values) {
            if !yaml11_boolean(&values, &v.path) {
                failures.push(format!("{}: schema: {v:?}", folder.display()));
            }
        }
    }
    assert!(schemas >= 10, "only {schemas} schemas checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
