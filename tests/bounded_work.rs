//! Inputs that used to take minutes, or megabytes of output, now finish
//! quickly with their diagnostics (issue: bounded work on any input). The
//! tests do not time anything (benchmarks do); a regression to quadratic
//! behaviour makes them slow enough to notice in CI's test time.

use std::path::Path;

use platc_driver::{check_path, check_source, MemoryFs, Options, MAX_DIAGNOSTICS_PER_CODE};

fn codes(c: &platc_driver::Compilation) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code).collect()
}

const COMPONENT: &str =
    "component c { chart \"c\" version \"1.0.0\" from \"https://charts.example.com\" }\n";

/// Doc comments were looked up by rescanning the line before each item:
/// quadratic on one long line.
#[test]
fn a_hundred_thousand_instances_on_one_line_check() {
    let line: Vec<String> = (0..100_000).map(|i| format!("c i{i} {{}}")).collect();
    let text = format!("platform \"p\" {{}}\n{COMPONENT}{}\n", line.join(" "));
    let c = check_source("main.plat", &text, &Options::default());
    assert!(codes(&c).is_empty(), "{:?}", codes(&c));
    assert_eq!(c.platform.map(|p| p.instances.len()), Some(100_000));
}

/// Duplicate variants were found by a linear search per variant.
#[test]
fn an_enum_of_fifty_thousand_variants_checks() {
    let variants: Vec<String> = (0..50_000).map(|i| format!("\"v{i}\"")).collect();
    let text = format!(
        "platform \"p\" {{}}\ncomponent c {{ param e: {} = \"v0\" }}\nc x {{ e = \"v49999\" }}\n",
        variants.join(" | ")
    );
    let c = check_source("main.plat", &text, &Options::default());
    assert!(codes(&c).is_empty(), "{:?}", codes(&c));
}

/// Import cycles were found by a linear search of the loading stack, and
/// each file's definitions by a scan of all definitions.
#[test]
fn an_import_chain_of_five_thousand_files_checks() {
    let mut fs = MemoryFs::new();
    let n = 5_000;
    fs.insert(
        "/project/main.plat",
        "platform \"p\" {}\nimport \"./m/f0\"\ncomponent c {\n  param x: I4999? = none\n}\n",
    );
    for i in 0..n {
        let next = if i + 1 < n {
            format!("import \"./f{}\"\n", i + 1)
        } else {
            String::new()
        };
        fs.insert(
            format!("/project/m/f{i}.plat"),
            format!("{next}interface I{i} {{}}\n"),
        );
    }
    let c = check_path(&fs, Path::new("/project"), &Options::default()).unwrap();
    // Each link imports the next and uses nothing of it: a warning each,
    // capped; and the last interface is not visible from main.plat.
    assert!(codes(&c).contains(&"E0201"), "{:?}", codes(&c));
}

/// A hundred files importing each other: thousands of cycles and unused
/// imports. Each cycle's report used to parse every file on it again; and
/// the report is capped per code, the last one shown saying how many more.
#[test]
fn mutual_imports_give_a_capped_report() {
    let mut fs = MemoryFs::new();
    let n = 60;
    let root: String = (0..n).map(|i| format!("import \"./f{i}\"\n")).collect();
    fs.insert("/project/main.plat", format!("platform \"p\" {{}}\n{root}"));
    for i in 0..n {
        let imports: String = (0..n)
            .filter(|&j| j != i)
            .map(|j| format!("import \"./f{j}\"\n"))
            .collect();
        fs.insert(
            format!("/project/f{i}.plat"),
            format!("{imports}interface I{i} {{}}\n"),
        );
    }
    let c = check_path(&fs, Path::new("/project"), &Options::default()).unwrap();
    let cycles: Vec<_> = c.diagnostics.iter().filter(|d| d.code == "E0204").collect();
    assert_eq!(cycles.len(), MAX_DIAGNOSTICS_PER_CODE);
    let last = cycles.last().unwrap();
    assert!(
        last.notes
            .iter()
            .any(|n| n.contains("more diagnostics of this kind (E0204) not shown")),
        "{:?}",
        last.notes
    );
    // Every cycle has its import labelled, from the loading stack.
    assert!(cycles.iter().all(|d| !d.secondary.is_empty()));
}

/// A long key written for every instance amplified 300 KB of source into
/// almost 1 GB of output; the keys are now charged to the evaluation budget.
#[test]
fn long_keys_over_many_instances_hit_the_budget() {
    let key = format!("\"{}\"", "k".repeat(5_000));
    let path = vec![key; 60].join(".");
    let instances: String = (0..3_000).map(|i| format!("c i{i} {{}}\n")).collect();
    let text = format!(
        "platform \"p\" {{}}\ncomponent c {{ chart \"c\" version \"1.0.0\" from \"https://charts.example.com\"\n values {{ {path} = 1 }} }}\n{instances}"
    );
    let c = check_source("main.plat", &text, &Options::default());
    assert_eq!(codes(&c), ["E0322"]);
    // The report shows the long line cut, not 300 KB of it.
    let human = platc_render::render_human(&c.sources, &c.diagnostics, false);
    assert!(human.len() < 8_000, "{} bytes", human.len());
    assert!(human.contains('…'));
}
