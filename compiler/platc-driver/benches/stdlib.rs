//! `cargo bench -p platc-driver --bench stdlib`: the platform drawn from
//! every stdlib component (`synthetic::stdlib`: shared operators, ingress
//! and monitoring, then one lakehouse and warehouse per team namespace),
//! checked and built (all output files in memory) on one thread, at 1,000,
//! 2,500 and 10,000 instances. Prints the time per run, the output size
//! (and the part of it that is NetworkPolicies) and the peak resident
//! memory of the process. Target (issue 10): the build of 10,000 instances
//! under 1 s on one core.
//!
//! One thread: `platc_diag::par::threads()` reads `PLATC_THREADS` once per
//! process, so this binary sets it to 1 before any compilation
//! (`PLATC_BENCH_THREADS=N` measures N threads instead).
//! `PLATC_BENCH_INSTANCES=N` and `PLATC_BENCH_RUNS=N` measure one size.

mod common;

use std::time::Instant;

use platc_driver::{build_path, check_path, synthetic, Options};

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|n| n.parse().ok())
}

fn main() {
    let threads = std::env::var("PLATC_BENCH_THREADS").unwrap_or_else(|_| "1".to_string());
    // Before the first compilation, which reads it once.
    std::env::set_var("PLATC_THREADS", &threads);
    // `cargo test --benches` runs this binary too: keep that quick.
    let quick =
        std::env::args().any(|a| a == "--test") || std::env::var_os("PLATC_BENCH_QUICK").is_some();
    // (instances, runs): the largest size takes seconds a run (see
    // docs/performance.md, "Stdlib platform"), so it runs three times.
    let sizes: Vec<(usize, usize)> = if let Some(n) = env_usize("PLATC_BENCH_INSTANCES") {
        vec![(n, env_usize("PLATC_BENCH_RUNS").unwrap_or(3))]
    } else if quick {
        vec![(200, 1)]
    } else {
        vec![(1_000, 5), (2_500, 3), (10_000, 3)]
    };
    for (instances, runs) in sizes {
        measure(instances, runs, &threads);
    }
}

fn measure(instances: usize, runs: usize, threads: &str) {
    let (fs, root) = synthetic::stdlib(instances);
    let options = Options::default();
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let c = check_path(&fs, &root, &options).expect("generated project");
        times.push(start.elapsed());
        assert!(
            c.diagnostics.is_empty(),
            "the stdlib platform must check clean: {:?}",
            c.diagnostics.first()
        );
        assert_eq!(c.platform.map(|p| p.instances.len()), Some(instances));
    }
    let (med, min, max) = common::median(times);
    println!(
        "stdlib/check/{instances}-instances/{threads}-thread: median {med:.1} ms, min {min:.1} ms, max {max:.1} ms over {runs} runs; peak RSS {:.1} MiB",
        platc_driver::timings::peak_memory_mib().unwrap_or(f64::NAN),
    );
    let mut times = Vec::new();
    let (mut bytes, mut policies, mut count) = (0, 0, 0);
    for _ in 0..runs {
        let start = Instant::now();
        let b = build_path(&fs, &root, &options).expect("generated project");
        times.push(start.elapsed());
        assert!(!b.compilation.has_errors());
        bytes = b.files.iter().map(|f| f.contents.len()).sum::<usize>();
        policies = b
            .files
            .iter()
            .filter(|f| f.path.starts_with("kubernetes/networkpolicies-"))
            .map(|f| f.contents.len())
            .sum::<usize>();
        count = b.files.len();
    }
    let (med, min, max) = common::median(times);
    let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
    println!(
        "stdlib/build/{instances}-instances/{threads}-thread: median {med:.1} ms, min {min:.1} ms, max {max:.1} ms over {runs} runs; {count} files, {:.1} MiB of output ({:.1} MiB NetworkPolicies); peak RSS {:.1} MiB",
        mib(bytes),
        mib(policies),
        platc_driver::timings::peak_memory_mib().unwrap_or(f64::NAN),
    );
}
