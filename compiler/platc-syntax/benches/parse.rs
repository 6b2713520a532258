//! `cargo bench -p platc-syntax --bench parse`: parses every file of the
//! generated 10,000-instance stdlib platform, on one thread, with pest and
//! its lowering (`parse_with_pest`) and with the recursive-descent parser
//! (`parse`), and prints the median time of each. Target: the parse phase
//! of that platform well under 0.1 s.
//!
//! This crate cannot generate the platform (the generator is in
//! platc-driver, which depends on it), so it reads it from
//! `PLATC_PARSE_BENCH_DIR`, or `/tmp/sl10k`, written by
//!
//! ```text
//! cargo run --release -p platc-driver --example stdlib_platform -- 10000 /tmp/sl10k
//! ```
//!
//! When it is missing it says so and measures the repository's own `.plat`
//! files instead. `PLATC_BENCH_RUNS=N` sets the number of runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use platc_diag::FileId;

fn main() {
    // `cargo test --benches` runs this binary too, without the `--bench`
    // that `cargo bench` passes: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench")
        || std::env::var_os("PLATC_BENCH_QUICK").is_some();
    let runs = std::env::var("PLATC_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 1 } else { 11 });
    let dir = std::env::var_os("PLATC_PARSE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/sl10k"));
    let platform = read_all(&dir);
    if platform.is_empty() {
        println!(
            "parse/stdlib-10000: skipped, no .plat files under {} (write them with \
             `cargo run --release -p platc-driver --example stdlib_platform -- 10000 {}` \
             or set PLATC_PARSE_BENCH_DIR)",
            dir.display(),
            dir.display()
        );
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = read_all(&repo.join("stdlib"));
        files.extend(read_all(&repo.join("examples")));
        measure("parse/repository-stdlib-and-examples", &files, runs);
    } else {
        measure("parse/stdlib-10000", &platform, runs);
    }
}

/// The `.plat` files under `dir`, sorted by path, read into memory.
fn read_all(dir: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    walk(dir, &mut paths);
    paths.sort();
    paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "plat") {
            out.push(p);
        }
    }
}

fn measure(name: &str, files: &[String], runs: usize) {
    let bytes: usize = files.iter().map(String::len).sum();
    // The same result both ways, before timing either.
    for text in files {
        assert!(
            platc_syntax::parse(FileId(0), text) == platc_syntax::parse_with_pest(FileId(0), text),
            "the two parsers differ"
        );
    }
    let time =
        |parse: fn(FileId, &str) -> (platc_syntax::ast::Module, Vec<platc_diag::Diagnostic>)| {
            let mut times = Vec::new();
            for _ in 0..runs {
                let start = Instant::now();
                let mut items = 0;
                for (i, text) in files.iter().enumerate() {
                    let (module, diags) = parse(FileId(i as u32), text);
                    assert!(diags.is_empty(), "{:?}", diags.first());
                    items += module.items.len();
                }
                times.push(start.elapsed());
                std::hint::black_box(items);
            }
            median(times)
        };
    let (pest, pest_min) = time(platc_syntax::parse_with_pest);
    let (descent, descent_min) = time(platc_syntax::parse);
    println!(
        "{name}: {} files, {:.1} MiB; pest median {pest:.1} ms (min {pest_min:.1}), \
         descent median {descent:.1} ms (min {descent_min:.1}), {:.1}x, over {runs} runs",
        files.len(),
        bytes as f64 / (1024.0 * 1024.0),
        pest / descent,
    );
}

/// The median and the minimum, in milliseconds.
fn median(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(times[times.len() / 2]), ms(times[0]))
}
