//! `cargo bench -p platc-driver`: checks a generated platform of 10,000
//! instances over 100 files and prints the time per check and the peak
//! resident memory of the process. Target: under 0.5 s and 200 MB on one
//! core (the pipeline is single-threaded).

use std::time::{Duration, Instant};

use platc_driver::{check_path, synthetic, Options};

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    // `cargo test --benches` runs this binary too: keep that quick.
    let quick =
        std::env::args().any(|a| a == "--test") || std::env::var_os("PLATC_BENCH_QUICK").is_some();
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
        assert_eq!(c.platform.map(|p| p.instances.len()), Some(instances));
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "check/{instances}-instances-{files}-files: median {:.1} ms, min {:.1} ms, max {:.1} ms over {runs} runs; peak RSS {:.1} MiB",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        peak_rss_mib().unwrap_or(f64::NAN),
    );
}
