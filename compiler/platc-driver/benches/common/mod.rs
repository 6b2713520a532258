//! What the benchmarks share.

use std::time::Duration;

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
