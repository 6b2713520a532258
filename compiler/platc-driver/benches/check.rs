//! `cargo bench -p platc-driver`: checks and builds generated platforms and
//! prints the time per run and the peak resident memory of the process.
//! Targets, on one core (the pipeline is single-threaded): checking 10,000
//! instances over 100 files under 0.5 s and 200 MB; building them (all
//! output files in memory) under 1.5 s, with output size growing linearly.
//!
//! Then the shared workload (`../shared/bench/gen.py`, the same platform in
//! KCL, Pkl and Jsonnet, with their measured times in its README) at 10,000
//! services, read from disk: check, and build with the output in memory.

mod common;

use std::time::{Duration, Instant};

use platc_driver::{build_path, check_path, synthetic, Options, RealFs};

fn main() {
    common::allocate_as_platc();
    // `cargo test --benches` runs this binary too, without the `--bench`
    // that `cargo bench` passes: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench")
        || std::env::var_os("PLATC_BENCH_QUICK").is_some();
    let (instances, files, runs) = if quick {
        (500, 10, 1)
    } else {
        (10_000, 100, 10)
    };
    let (fs, root) = synthetic::generate(instances, files);
    let options = Options::default();
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let c = check_path(&fs, &root, &options).expect("generated project");
        times.push(start.elapsed());
        assert!(!c.has_errors(), "generated platform must be clean");
        // The generated instances, and the edge that serves their endpoints.
        assert_eq!(c.platform.map(|p| p.instances.len()), Some(instances + 1));
    }
    let (med, min, max) = common::median(times);
    println!(
        "check/{instances}-instances-{files}-files: median {med:.1} ms, min {min:.1} ms, max {max:.1} ms over {runs} runs; peak RSS {:.1} MiB",
        platc_driver::timings::peak_memory_mib().unwrap_or(f64::NAN),
    );
    // Build at three sizes to show the output grows linearly.
    let sizes: &[usize] = if quick {
        &[500]
    } else {
        &[2_500, 5_000, 10_000]
    };
    for &n in sizes {
        let (fs, root) = synthetic::generate(n, (n / 100).max(1));
        let mut times = Vec::new();
        let mut bytes = 0;
        let mut count = 0;
        for _ in 0..runs.min(5) {
            let start = Instant::now();
            let b = build_path(&fs, &root, &options).expect("generated project");
            times.push(start.elapsed());
            assert!(!b.compilation.has_errors());
            bytes = b.files.iter().map(|f| f.contents.len()).sum::<usize>();
            count = b.files.len();
        }
        let (med, min, max) = common::median(times);
        println!(
            "build/{n}-instances: median {med:.1} ms, min {min:.1} ms, max {max:.1} ms; {count} files, {:.1} MiB of output ({:.0} bytes per instance); peak RSS {:.1} MiB",
            bytes as f64 / (1024.0 * 1024.0),
            bytes as f64 / n as f64,
            platc_driver::timings::peak_memory_mib().unwrap_or(f64::NAN),
        );
    }
    shared_workload(if quick { 200 } else { 10_000 }, runs.min(5));
    observers(if quick { 500 } else { 10_000 }, runs.min(5));
}

/// A wide platform: `n` services that require one operator and provide a
/// metrics interface, and 100 observers each listing them with `all(...)`
/// (the requirements and the observing must stay linear).
fn observers(n: usize, runs: usize) {
    let mut text = String::from(
        "platform \"wide\" {}\ninterface Op {}\ninterface Src { port: int }\n\
         component op { provides Op }\n\
         component scraper { param t: list<Src> = all(Src)  values { n = len(t) } }\n\
         component svc { requires Op  provides Src { port = 1 } }\nop o {}\n",
    );
    for i in 0..n {
        text.push_str(&format!("svc s{i} {{}}\n"));
    }
    for i in 0..100 {
        text.push_str(&format!("scraper sc{i} {{}}\n"));
    }
    let mut fs = platc_driver::MemoryFs::new();
    fs.insert("/wide/main.plat", text);
    let root = std::path::Path::new("/wide");
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let c = check_path(&fs, root, &Options::default()).expect("generated project");
        times.push(start.elapsed());
        assert!(!c.has_errors());
    }
    let (med, min, _) = common::median(times);
    println!("observers/{n}-services-100-observers: check median {med:.1} ms (min {min:.1}) over {runs} runs");
}

/// `../shared/bench/gen.py N`: checked and built from a temporary directory.
fn shared_workload(n: usize, runs: usize) {
    let Some(dir) = common::shared_workload("shared-workload", n) else {
        return;
    };
    let root = dir.join("platc");
    let options = Options::default();
    let mut check_times = Vec::new();
    let mut build_times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let c = check_path(&RealFs, &root, &options).expect("generated project");
        check_times.push(start.elapsed());
        assert!(!c.has_errors(), "the shared workload must check clean");
        let start = Instant::now();
        let b = build_path(&RealFs, &root, &options).expect("generated project");
        build_times.push(start.elapsed());
        assert!(!b.compilation.has_errors());
    }
    let (cm, cmin, _) = common::median(check_times);
    let (bm, bmin, _) = common::median(build_times);
    println!(
        "shared-workload/{n}-services: check median {cm:.1} ms (min {cmin:.1}), build median {bm:.1} ms (min {bmin:.1}) over {runs} runs; peak RSS {:.1} MiB",
        platc_driver::timings::peak_memory_mib().unwrap_or(f64::NAN),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
