//! What the benchmarks share.

use std::time::Duration;

/// The allocator the `platc` binary uses: allocation-heavy compiles run
/// markedly faster on it than on the system's, and a benchmark measures
/// what users run.
#[global_allocator]
static ALLOCATOR: platc_alloc::MiMalloc = platc_alloc::MiMalloc;

/// The allocator's setting of a `platc` command that runs to an end (see
/// platc-alloc): each benchmark's `main` calls it first.
pub fn allocate_as_platc() {
    platc_alloc::keep_freed_memory();
}

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

/// `../shared/bench/gen.py n` written into a fresh temporary directory
/// named after `what`; `None` (and a line saying so) when the workload is
/// not there.
pub fn shared_workload(what: &str, n: usize) -> Option<std::path::PathBuf> {
    let gen = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/gen.py");
    if !gen.is_file() {
        println!("{what}: skipped, {} not found", gen.display());
        return None;
    }
    let dir = std::env::temp_dir().join(format!("platc-bench-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ok = std::process::Command::new("python3")
        .arg(&gen)
        .arg(n.to_string())
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "gen.py failed");
    Some(dir)
}
