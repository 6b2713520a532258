//! Parallel evaluation gives what one thread gives: every ui fixture and
//! every example (in every environment) is built once on one thread and
//! once with each instance evaluated by a worker of its own (the smallest
//! chunks, so that every cross-instance read crosses workers), and the
//! diagnostics and every output file must be identical.
//!
//! One test in its own binary: it sets process-wide knobs
//! (`platc_diag::par::set_threads`, `platc_sema::set_instance_chunk`).

use std::path::{Path, PathBuf};

use platc_driver::{build_path, Options, RealFs};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["ui", "../examples"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            if e.path().join("main.plat").is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// The diagnostics (both forms) and the files of one build.
fn build(case: &Path, env: Option<&str>) -> String {
    let options = Options {
        environment: env.map(str::to_string),
        today: platc_syntax::ast::Date {
            year: 2026,
            month: 6,
            day: 1,
        },
        ..Options::default()
    };
    let Ok(b) = build_path(&RealFs, case, &options) else {
        return "unreadable".to_string();
    };
    let c = &b.compilation;
    let mut out = platc_render::render_human(&c.sources, &c.diagnostics, false);
    out.push_str(&platc_render::render_json(&c.sources, &c.diagnostics));
    for f in &b.files {
        out.push_str(&format!("\n----- {}\n{}", f.path, f.contents));
    }
    out
}

fn environments(case: &Path) -> Vec<Option<String>> {
    let envs = platc_driver::check_path(&RealFs, case, &Options::default())
        .ok()
        .and_then(|c| c.environments)
        .unwrap_or_default();
    std::iter::once(None)
        .chain(envs.into_iter().map(Some))
        .collect()
}

#[test]
fn parallel_evaluation_equals_one_thread() {
    let mut compared = 0;
    for case in cases() {
        for env in environments(&case) {
            platc_diag::par::set_threads(1);
            platc_sema::set_instance_chunk(0);
            let one = build(&case, env.as_deref());
            platc_diag::par::set_threads(2);
            platc_sema::set_instance_chunk(1);
            let parallel = build(&case, env.as_deref());
            if one != parallel {
                let line = one
                    .lines()
                    .zip(parallel.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                panic!(
                    "{} (environment {env:?}) differs at line {}:\none thread: {:?}\nparallel:   {:?}",
                    case.display(),
                    line + 1,
                    one.lines().nth(line),
                    parallel.lines().nth(line)
                );
            }
            compared += 1;
        }
    }
    platc_diag::par::set_threads(0);
    platc_sema::set_instance_chunk(0);
    assert!(compared > 100, "only {compared} builds compared");
}
