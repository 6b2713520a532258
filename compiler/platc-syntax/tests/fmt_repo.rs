//! Every `.plat` file of the repository (examples, the standard library, the
//! ui fixtures, the grammar sample) and every ```plat block of the spec and
//! the docs goes through the formatter: the output is a fixed point, has the
//! same syntax tree (spans aside) and the same comments. Files with syntax
//! errors must be refused, never formatted. Nothing is rewritten on disk.

mod common;

use common::{repo, walk};
use platc_diag::FileId;
use platc_syntax::fmt::{comment_texts, fingerprint, format, FormatError};

/// Checks one text; `Err` says what went wrong.
fn check(text: &str) -> Result<bool, String> {
    let (module, diags) = platc_syntax::parse(FileId(0), text);
    let broken = diags.iter().any(|d| d.is_error());
    let formatted = match format(FileId(0), text) {
        Ok(f) if broken => return Err(format!("a file with syntax errors was formatted:\n{f}")),
        Ok(f) => f,
        Err(FormatError::Syntax(_)) if broken => return Ok(false),
        Err(e) => return Err(format!("{e:?}")),
    };
    let again = format(FileId(0), &formatted).map_err(|e| format!("output refused: {e:?}"))?;
    if again != formatted {
        return Err(format!(
            "not idempotent\n--- once\n{formatted}\n--- twice\n{again}"
        ));
    }
    let (reparsed, diags) = platc_syntax::parse(FileId(0), &formatted);
    if !diags.is_empty() {
        return Err(format!("output has diagnostics: {diags:?}"));
    }
    if fingerprint(&reparsed) != fingerprint(&module) {
        return Err(format!("the syntax tree changed\n--- output\n{formatted}"));
    }
    if comment_texts(&formatted) != comment_texts(text) {
        return Err(format!("comments changed\n--- output\n{formatted}"));
    }
    Ok(true)
}

#[test]
fn every_plat_file_of_the_repository_round_trips() {
    let mut files = Vec::new();
    for dir in ["examples", "stdlib", "tests", "compiler", "spec", "docs"] {
        walk(&repo().join(dir), "plat", &mut files);
    }
    assert!(files.len() >= 100, "found only {} .plat files", files.len());
    let mut failures = Vec::new();
    let mut formatted = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue; // not UTF-8: a fixture of E0208
        };
        match check(&text) {
            Ok(true) => formatted += 1,
            Ok(false) => {}
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(formatted >= 80, "only {formatted} files formatted");
}

/// The saved fuzz corpus (`fuzz/corpus/<target>/`, the inputs the
/// robustness fuzzers found interesting, hostile ones included): every
/// input that parses formats to a fixed point with the same tree and
/// comments; every input that does not is refused.
#[test]
fn every_input_of_the_fuzz_corpus_round_trips() {
    let mut files = Vec::new();
    for target in ["parse", "check", "build_emit"] {
        let dir = repo().join("fuzz/corpus").join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!("no fuzz corpus at {}", dir.display());
        };
        files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
    }
    files.sort();
    assert!(
        files.len() >= 1000,
        "found only {} corpus inputs",
        files.len()
    );
    let mut failures = Vec::new();
    let mut formatted = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue; // not UTF-8: refused before parsing
        };
        match check(&text) {
            Ok(true) => formatted += 1,
            Ok(false) => {}
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(formatted >= 100, "only {formatted} corpus inputs formatted");
}

/// The ```plat blocks of the spec and the docs.
#[test]
fn every_plat_example_of_the_documentation_round_trips() {
    let mut pages = Vec::new();
    walk(&repo().join("spec"), "md", &mut pages);
    walk(&repo().join("docs"), "md", &mut pages);
    pages.push(repo().join("README.md"));
    let mut failures = Vec::new();
    let mut blocks = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        let mut lines = text.lines().enumerate();
        while let Some((n, line)) = lines.next() {
            if !line.trim_start().starts_with("```plat") {
                continue;
            }
            let mut code = String::new();
            for (_, l) in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                code.push_str(l);
                code.push('\n');
            }
            blocks += 1;
            if let Err(e) = check(&code) {
                failures.push(format!("{}:{}: {e}", page.display(), n + 1));
            }
        }
    }
    assert!(blocks >= 20, "found only {blocks} examples");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The fenced blocks of `info` (e.g. "plat") in `text`, in order.
fn blocks(text: &str, info: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() != format!("```{info}") {
            continue;
        }
        let mut code = String::new();
        for l in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            code.push_str(l);
            code.push('\n');
        }
        out.push(code);
    }
    out
}

/// The examples of the formatting documentation say the truth: each
/// ```plat block is canonical, and the ```text block before it (if any)
/// formats to it.
#[test]
fn the_formatting_documentation_shows_canonical_layouts() {
    let docs = std::fs::read_to_string(repo().join("docs/fmt.md")).unwrap();
    let spec = std::fs::read_to_string(repo().join("spec/language.md")).unwrap();
    let start = spec
        .find("### 6.11 Canonical formatting")
        .expect("spec section 6.11");
    let end = spec[start..]
        .find("\n## ")
        .map_or(spec.len(), |e| start + e);
    for (page, text) in [
        ("docs/fmt.md", docs.as_str()),
        ("spec 6.11", &spec[start..end]),
    ] {
        let plat = blocks(text, "plat");
        assert!(!plat.is_empty(), "{page} has no plat example");
        for code in &plat {
            let out = format(FileId(0), code).unwrap_or_else(|e| panic!("{page}: {e:?}"));
            assert_eq!(&out, code, "{page}: an example is not canonical");
        }
        for (messy, tidy) in blocks(text, "text").iter().zip(&plat) {
            if platc_syntax::parse(FileId(0), messy).1.is_empty() {
                let out = format(FileId(0), messy).unwrap();
                assert_eq!(
                    &out, tidy,
                    "{page}: the example before does not format to the one after"
                );
            }
        }
    }
}
