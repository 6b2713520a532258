//! Phase timings for profiling: with `PLATC_TIMINGS=1` in the environment,
//! each phase of a compilation prints its wall time to standard error, and
//! on Linux the resident memory at its end and the peak so far
//! (`platc: phase NAME  12.3 ms  rss 80 MB  peak 95 MB`). Nothing else reads or changes; without
//! the variable a phase costs one cached flag test.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PLATC_TIMINGS").is_some_and(|v| v != "0"))
}

/// Runs `f` as the phase `name`.
pub fn phase<T>(name: &str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    let memory = match (status_mb("VmRSS:"), status_mb("VmHWM:")) {
        (Some(rss), Some(peak)) => format!("  rss {rss:.0} MB  peak {peak:.0} MB"),
        _ => String::new(),
    };
    eprintln!(
        "platc: phase {name:<12} {:>8.1} ms{memory}",
        start.elapsed().as_secs_f64() * 1000.0
    );
    out
}

/// The peak resident memory of the process so far, in MiB (Linux; `None`
/// elsewhere): what the benchmarks report.
pub fn peak_memory_mib() -> Option<f64> {
    status_mb("VmHWM:")
}

/// A memory figure of `/proc/self/status`, in MiB.
fn status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
