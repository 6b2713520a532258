//! The invariants of the fuzz targets (`fuzz/fuzz_targets/*.rs`), shared
//! with the test that replays their saved corpus on every CI run
//! (`tests/fuzz_corpus.rs`). Both include this file with `#[path]`, so a
//! corpus entry means the same thing under libFuzzer and under `cargo test`.
//!
//! Every function takes arbitrary bytes, reads them as UTF-8 text (invalid
//! sequences replaced, so that mutations which break UTF-8 still reach the
//! parser) and panics when an invariant does not hold:
//!
//! - [`parse`]: parsing never panics; every diagnostic has a code, a message
//!   and spans inside the text, on character boundaries.
//! - [`check`]: the same for `check_source` (spans may point into the
//!   embedded stdlib), and both renderers (human, JSON) take the diagnostics.
//! - [`build`] (target `build_emit`): `build_path` on an in-memory project whose `main.plat` is the
//!   text; when the check reports no error, emitting succeeds (the checked
//!   platform and its graph are there, some files come out, with safe,
//!   unique, sorted paths) and a second build gives the same bytes. The
//!   first environment the platform declares is built too.
//!
//! Nothing touches the disk and nothing depends on the clock (the date is
//! fixed), so a failure reproduces from the input alone.
#![allow(dead_code)]

use std::path::Path;

use platc_diag::{Diagnostic, SourceMap};
use platc_driver::{build_path, check_source, Build, MemoryFs, Options};
use platc_syntax::ast::Date;

/// The name of the root file under test.
pub const ROOT_FILE: &str = "main.plat";

/// The project directory of [`build`] in its in-memory file system.
pub const PROJECT: &str = "/fuzz";

/// Options with a fixed date, so that waiver expiry does not depend on the
/// day the input is replayed.
pub fn options() -> Options {
    Options {
        today: Date {
            year: 2026,
            month: 1,
            day: 1,
        },
        ..Options::default()
    }
}

/// The text the compiler sees for `data`.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// `parse` target: the parser on the text.
pub fn parse(data: &[u8]) {
    let text = text(data);
    let mut map = SourceMap::new();
    let file = map.add(ROOT_FILE, text.clone());
    let (_module, diagnostics) = platc_syntax::parse(file, &text);
    diagnostics_are_well_formed(&map, &diagnostics);
}

/// `check` target: `check_source` on the text, then both renderers.
pub fn check(data: &[u8]) {
    let text = text(data);
    let compilation = check_source(ROOT_FILE, &text, &options());
    diagnostics_are_well_formed(&compilation.sources, &compilation.diagnostics);
    let errors = compilation.has_errors();
    assert_eq!(
        compilation.platform.is_some(),
        !errors,
        "a checked platform exactly when there is no error"
    );
    let human = platc_render::render_human(&compilation.sources, &compilation.diagnostics, false);
    let json = platc_render::render_json(&compilation.sources, &compilation.diagnostics);
    // JSON Lines: one object per diagnostic.
    let lines: Vec<&str> = json.lines().collect();
    assert_eq!(
        lines.len(),
        compilation.diagnostics.len(),
        "render_json gave not one line per diagnostic"
    );
    for line in lines {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(line) {
            panic!("render_json gave invalid JSON ({e}): {line}");
        }
    }
    if !compilation.diagnostics.is_empty() {
        assert!(!human.is_empty(), "render_human gave nothing");
    }
}

/// `build_emit` target: build the in-memory project twice and compare.
pub fn build(data: &[u8]) {
    let mut fs = MemoryFs::new();
    fs.insert(Path::new(PROJECT).join(ROOT_FILE), text(data));
    let options = options();
    let first = build_once(&fs, &options);
    if first.compilation.has_errors() {
        return;
    }
    let second = build_once(&fs, &options);
    assert!(
        !second.compilation.has_errors(),
        "the second build of the same input reports an error"
    );
    assert_eq!(
        first.files.len(),
        second.files.len(),
        "build is not deterministic"
    );
    for (a, b) in first.files.iter().zip(&second.files) {
        assert_eq!(a.path, b.path, "build is not deterministic");
        assert!(
            a.contents == b.contents,
            "build is not deterministic: `{}` differs between two builds",
            a.path
        );
    }
    // An environment switches instances off and overrides parameters: its
    // build is another platform to emit.
    let environment = first
        .compilation
        .environments
        .as_ref()
        .and_then(|envs| envs.first().cloned());
    if let Some(env) = environment {
        let options = Options {
            environment: Some(env.clone()),
            ..options
        };
        let b = build_once(&fs, &options);
        assert!(
            !b.compilation.has_errors(),
            "the base platform is clean, but building environment `{env}` reports an error \
             that its check did not"
        );
    }
}

/// One build, its invariants checked. The project is always there and its
/// root file is text, so `build_path` has no reason to refuse it.
fn build_once(fs: &MemoryFs, options: &Options) -> Build {
    let build = match build_path(fs, Path::new(PROJECT), options) {
        Ok(b) => b,
        Err(e) => panic!("build_path refused the in-memory project: {e}"),
    };
    let c = &build.compilation;
    diagnostics_are_well_formed(&c.sources, &c.diagnostics);
    if c.has_errors() {
        assert!(build.files.is_empty(), "files emitted despite errors");
        assert!(c.platform.is_none(), "a checked platform despite errors");
        return build;
    }
    assert!(c.platform.is_some(), "no error but no checked platform");
    assert!(c.graph.is_some(), "no error but no platform graph");
    assert!(!build.files.is_empty(), "a clean platform emitted nothing");
    let mut previous: Option<&str> = None;
    for f in &build.files {
        let p = f.path.as_str();
        assert!(
            !p.is_empty()
                && !p.starts_with('/')
                && !p.contains('\\')
                && p.split('/').all(|c| !c.is_empty() && c != "." && c != ".."),
            "unsafe output path {p:?}"
        );
        if let Some(prev) = previous {
            assert!(
                prev < p,
                "output paths not sorted and unique: {prev:?}, {p:?}"
            );
        }
        previous = Some(p);
    }
    build
}

/// Every diagnostic has a code and a message, and every span lies inside its
/// file, on character boundaries.
pub fn diagnostics_are_well_formed(map: &SourceMap, diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        assert!(
            !d.code.trim().is_empty(),
            "diagnostic without a code: {d:?}"
        );
        assert!(
            !d.message.trim().is_empty(),
            "diagnostic {} without a message: {d:?}",
            d.code
        );
        for label in std::iter::once(&d.primary).chain(&d.secondary) {
            let span = label.span;
            assert!(
                (span.file.0 as usize) < map.len(),
                "diagnostic {} points into file {:?} of {}",
                d.code,
                span.file,
                map.len()
            );
            let text = map.get(span.file).text();
            assert!(
                span.start <= span.end && span.end as usize <= text.len(),
                "diagnostic {} has span {}..{} outside its file of {} bytes",
                d.code,
                span.start,
                span.end,
                text.len()
            );
            assert!(
                text.is_char_boundary(span.start as usize)
                    && text.is_char_boundary(span.end as usize),
                "diagnostic {} has span {}..{} inside a character",
                d.code,
                span.start,
                span.end
            );
        }
    }
}
