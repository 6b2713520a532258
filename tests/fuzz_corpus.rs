//! Replays the saved fuzz corpus (`fuzz/corpus/<target>/`) and the saved
//! reproducers (`fuzz/regressions/`) through the invariants of the fuzz
//! targets, on stable Rust and without libFuzzer, so that every CI run
//! re-checks what the fuzzers once found interesting. See docs/fuzzing.md.
//!
//! Each corpus directory holds the inputs of its target; a regression is
//! replayed through every target. An input that fails is named in the panic
//! message together with the command that reproduces it under the fuzzer.

#[path = "common/fuzz.rs"]
mod fuzz;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir`, sorted; fails when the directory is missing (the
/// corpus is part of the repository).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read `{}`: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !is_documentation(p))
        .collect();
    files.sort();
    files
}

/// A README beside the inputs is not an input.
fn is_documentation(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "md")
}

/// Runs `target` on every input, catching panics so that one report names
/// every failing input.
fn replay(target: &str, run: fn(&[u8]), files: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for f in files {
        let data = std::fs::read(f).unwrap();
        if let Err(e) = std::panic::catch_unwind(|| run(&data)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!(
                "{target}: {}: {msg}\n  reproduce: cd fuzz && cargo +nightly fuzz run -a -s none {target} {}",
                f.display(),
                f.display()
            ));
        }
    }
    failures
}

/// Replays `fuzz/corpus/<target>/`, which must hold inputs.
fn replay_corpus(target: &str, run: fn(&[u8])) {
    let files = inputs(&fuzz_dir().join("corpus").join(target));
    assert!(
        !files.is_empty(),
        "fuzz/corpus/{target} is empty: run scripts/fuzz-seed"
    );
    let failures = replay(target, run, &files);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// One test per target, so that the harness replays them in parallel.

#[test]
fn parse_corpus() {
    replay_corpus("parse", fuzz::parse);
}

#[test]
fn check_corpus() {
    replay_corpus("check", fuzz::check);
}

#[test]
fn build_emit_corpus() {
    replay_corpus("build_emit", fuzz::build);
}

#[test]
fn regressions_stay_fixed() {
    let files = inputs(&fuzz_dir().join("regressions"));
    let mut failures = Vec::new();
    failures.extend(replay("parse", fuzz::parse, &files));
    failures.extend(replay("check", fuzz::check, &files));
    failures.extend(replay("build_emit", fuzz::build, &files));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
