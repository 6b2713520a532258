//! The recursive-descent parser against pest and the lowering, which define
//! the language: on every `.plat` file of the repository and every input of
//! the parser's fuzz corpus, and on many mutations of a few files. Whenever
//! the descent parser returns a module, pest must accept the text and give
//! the same module (spans included) and the same diagnostics; and it must
//! not give up on any file of the standard library or the examples.

use std::path::{Path, PathBuf};

use platc_diag::FileId;
use platc_syntax::{parse, parse_descent, parse_pest_only, parse_with_pest};
use proptest::prelude::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "plat") {
            out.push(p);
        }
    }
}

/// Whether the descent parser and pest agree on `text`: `Err` says how
/// they differ. `Ok(true)` when the descent parser returned a module.
fn agree(text: &str) -> Result<bool, String> {
    let Some(descent) = parse_descent(FileId(0), text) else {
        return Ok(false);
    };
    let Some(pest) = parse_pest_only(FileId(0), text) else {
        return Err("the descent parser accepted text pest rejects".to_string());
    };
    // Debug output also tells -0.0 from 0.0.
    if descent != pest || format!("{descent:?}") != format!("{pest:?}") {
        return Err(format!(
            "different results\n--- descent\n{descent:#?}\n--- pest\n{pest:#?}"
        ));
    }
    Ok(true)
}

#[test]
fn every_file_of_the_repository_parses_the_same() {
    let mut files = Vec::new();
    walk(&repo(), &mut files);
    assert!(files.len() > 100, "found only {} .plat files", files.len());
    let (mut accepted, mut fast) = (0, 0);
    let mut gave_up = Vec::new();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue; // not UTF-8: a ui case of its own.
        };
        let name = path
            .strip_prefix(repo())
            .unwrap_or(path)
            .display()
            .to_string();
        let took = agree(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The public entry point, scan and recovery included, is unchanged.
        assert!(
            parse(FileId(0), &text) == parse_with_pest(FileId(0), &text),
            "{name}: parse differs from parse_with_pest"
        );
        if parse_pest_only(FileId(0), &text).is_some() {
            accepted += 1;
            if took {
                fast += 1;
            } else {
                gave_up.push(name);
            }
        }
    }
    eprintln!(
        "{} files, {accepted} accepted by pest, {fast} parsed by the descent parser",
        files.len()
    );
    assert!(accepted > 100, "only {accepted} files parse");
    assert!(
        gave_up.is_empty(),
        "the descent parser gave up on files pest accepts: {gave_up:?}"
    );
}

#[test]
fn the_fuzz_corpus_parses_the_same() {
    let mut count = 0;
    let mut entries = Vec::new();
    for target in ["parse", "check"] {
        let dir = repo().join("fuzz/corpus").join(target);
        let Ok(dir) = std::fs::read_dir(&dir) else {
            panic!("cannot read {}", dir.display());
        };
        entries.extend(dir);
    }
    for entry in entries {
        let path = entry.unwrap().path();
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = agree(&text) {
            panic!("{}: {e}", path.display());
        }
        count += 1;
    }
    assert!(count > 10, "only {count} corpus inputs");
}

/// A few files with many constructs, mutated.
fn samples() -> Vec<String> {
    let root = repo();
    [
        "compiler/platc-syntax/src/all_constructs.plat",
        "stdlib/std/postgres.plat",
        "stdlib/std/airflow.plat",
        "examples/quickstart/main.plat",
    ]
    .iter()
    .filter_map(|p| std::fs::read_to_string(root.join(p)).ok())
    .collect()
}

/// Tokens and words worth inserting: keywords, contextual keywords, and
/// pieces of the grammar's trickier rules.
const INSERTS: &[&str] = &[
    "if",
    "else",
    "for",
    "in",
    "self",
    "secret",
    "platform",
    "none",
    "true",
    "route",
    "cluster",
    "resource",
    "assert",
    "message",
    "values",
    "let",
    "as",
    "from",
    "until",
    "where",
    "fail",
    "help",
    "list<",
    "map<",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "${",
    "\\",
    "=",
    "==",
    "-",
    "--",
    ".",
    "..",
    ",",
    ":",
    "?",
    "|",
    "->",
    "//",
    "/*",
    "*/",
    "0",
    "1.5",
    "1_0",
    "20Gi",
    "5min",
    "3xx",
    "2030-02-30",
    " ",
    "\n",
    "é",
];

/// Positions to mutate at: token boundaries, where mutations matter.
fn boundaries(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = vec![0, text.len()];
    for i in 1..b.len() {
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        if word(b[i]) != word(b[i - 1]) || !word(b[i]) {
            if text.is_char_boundary(i) {
                out.push(i);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 600,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutations_parse_the_same(
        sample in 0usize..4,
        at in any::<prop::sample::Index>(),
        to in any::<prop::sample::Index>(),
        insert in 0..INSERTS.len(),
        kind in 0u8..5,
    ) {
        let texts = samples();
        let text = &texts[sample % texts.len()];
        let cuts = boundaries(text);
        let (a, b) = {
            let (x, y) = (cuts[at.index(cuts.len())], cuts[to.index(cuts.len())]);
            (x.min(y), x.max(y))
        };
        let mutated = match kind {
            // Truncate.
            0 => text[..a].to_string(),
            // Delete a range (a token when the ends are near).
            1 => format!("{}{}", &text[..a], &text[b..]),
            // Insert a token.
            2 => format!("{}{}{}", &text[..a], INSERTS[insert], &text[a..]),
            // Duplicate a range.
            3 => format!("{}{}", &text[..b], &text[a..]),
            // Replace a range by a token.
            _ => format!("{}{}{}", &text[..a], INSERTS[insert], &text[b..]),
        };
        if let Err(e) = agree(&mutated) {
            return Err(TestCaseError::fail(format!("{e}\n--- text\n{mutated}")));
        }
    }
}

#[test]
fn single_character_edits_parse_the_same() {
    // Deleting each character (but whitespace), and inserting a token at
    // every fourth boundary, of the sample of every construct: systematic,
    // where the random test samples.
    let text =
        std::fs::read_to_string(repo().join("compiler/platc-syntax/src/all_constructs.plat"))
            .unwrap();
    for (n, at) in boundaries(&text).into_iter().enumerate() {
        let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
        if !text[at..end].trim().is_empty() {
            let deleted = format!("{}{}", &text[..at], &text[end..]);
            if let Err(e) = agree(&deleted) {
                panic!("deleting at {at}: {e}");
            }
        }
        if n % 4 != 0 {
            continue;
        }
        let insert = ["if", "{", "\"", "-", ".", "in", "}"][(n / 4) % 7];
        let inserted = format!("{}{}{}", &text[..at], insert, &text[at..]);
        if let Err(e) = agree(&inserted) {
            panic!("inserting {insert:?} at {at}: {e}");
        }
    }
}
