//! What the benchmarks share.

use std::time::Duration;

/// The allocator the `platc` binary uses: allocation-heavy compiles run
/// markedly faster on it than on the system's, and a benchmark measures
/// what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The median, minimum and maximum of `times`, in milliseconds.
pub fn median(mut times: Vec<Duration>) -> (f64, f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
    )
}
