//! Every example in `spec/**/*.md` compiles: a ```plat block must check
//! without errors, a ```plat expect=CODE block must report CODE. Each block is
//! the root file of a throw-away project; a block without a `platform` block
//! is checked as a library. The grammar in spec/grammar.md must define every
//! rule of the compiler's pest grammar.

use std::path::{Path, PathBuf};

use platc_driver::{check_source, Options};
use platc_syntax::ast::Date;

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec")
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            markdown_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
}

struct Example {
    file: String,
    line: usize,
    expect: Option<String>,
    code: String,
}

fn examples() -> Vec<Example> {
    let mut files = Vec::new();
    markdown_files(&spec_dir(), &mut files);
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.strip_prefix(spec_dir()).unwrap().display().to_string();
        let mut lines = text.lines().enumerate();
        while let Some((n, line)) = lines.next() {
            let Some(info) = line.trim_start().strip_prefix("```plat") else {
                continue;
            };
            let info = info.trim();
            let expect = info.strip_prefix("expect=").map(|c| c.trim().to_string());
            assert!(
                info.is_empty() || expect.is_some(),
                "{name}:{}: unknown info string `plat {info}`",
                n + 1
            );
            let mut code = String::new();
            for (_, l) in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                code.push_str(l);
                code.push('\n');
            }
            out.push(Example {
                file: name.clone(),
                line: n + 1,
                expect,
                code,
            });
        }
    }
    out
}

#[test]
fn spec_examples_compile() {
    let examples = examples();
    assert!(
        examples.len() >= 20,
        "the spec should have examples, found {}",
        examples.len()
    );
    let mut failures = Vec::new();
    for ex in &examples {
        let options = Options {
            today: Date {
                year: 2026,
                month: 6,
                day: 1,
            },
            allow_missing_platform: ex.expect.as_deref() != Some("E0207"),
            environment: None,
            deny_warnings: false,
        };
        let c = check_source("main.plat", &ex.code, &options);
        let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code).collect();
        let ok = match &ex.expect {
            None => !c.has_errors(),
            Some(code) => codes.contains(&code.as_str()),
        };
        if !ok {
            let rendered = platc_render::render_human(&c.sources, &c.diagnostics, false);
            failures.push(format!(
                "{}:{} expected {}, got {codes:?}\n{}\n{rendered}",
                ex.file,
                ex.line,
                ex.expect.as_deref().unwrap_or("no errors"),
                ex.code
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} spec example(s) fail:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_code_page_has_an_example_that_triggers_it() {
    let examples = examples();
    for info in platc_diag::CODES {
        // Multi-file, size and build codes (which need files beside the
        // example) are shown as text; ui fixtures cover them.
        if [
            "E0107", "E0203", "E0204", "E0205", "E0208", "E0601", "E0602", "E0603", "E0606",
            "E0607", "E0609", "W0601",
        ]
        .contains(&info.code)
        {
            continue;
        }
        let page = format!("diagnostics/{}.md", info.code);
        assert!(
            examples
                .iter()
                .any(|e| e.file == page && e.expect.as_deref() == Some(info.code)),
            "{page} needs a ```plat expect={} example",
            info.code
        );
    }
}

#[test]
fn grammar_md_defines_every_rule() {
    let grammar = std::fs::read_to_string(spec_dir().join("grammar.md")).unwrap();
    for line in platc_syntax::GRAMMAR.lines() {
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty()
            || name.starts_with("//")
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        let defined = grammar
            .lines()
            .any(|l| l.split_once('=').is_some_and(|(n, _)| n.trim() == name));
        assert!(defined, "spec/grammar.md does not define rule `{name}`");
    }
}
