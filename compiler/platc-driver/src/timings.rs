//! Phase timings for profiling: with `PLATC_TIMINGS=1` in the environment,
//! each phase of a compilation prints its wall time to standard error
//! (`platc: phase NAME  12.3 ms`). Nothing else reads or changes; without
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
    eprintln!(
        "platc: phase {name:<12} {:>8.1} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );
    out
}
