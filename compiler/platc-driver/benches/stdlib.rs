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
//! process, so each run's process gets `PLATC_THREADS=1`
//! (`PLATC_BENCH_THREADS=N` measures N threads instead).
//! `PLATC_BENCH_INSTANCES=N` and `PLATC_BENCH_RUNS=N` measure one size.
//!
//! Each run is a process of its own (this binary, started again with
//! `PLATC_BENCH_CHILD` set), as every `platc` command is: a run in the
//! heap that earlier runs left behind measures that heap as well (in one
//! process, parsing the 10,000-instance platform took 88 ms in the first
//! run and 134 to 170 ms in the later ones). The child generates the
//! platform, then times one check or build, and prints its time and peak
//! memory, which is then that of one run.
//!
//! This machine's speed varies by up to half from one hour to the next,
//! so the 10,000-instance build is also measured against a *floor*: the
//! shared workload's (`../shared/bench/gen.py 10000`) program that only
//! parses its `expected.json` with serde_json and prints it again, which
//! its README measured at 0.44 s on the reference machine (the `floor`
//! benchmark's program: the system's allocator, its output to a file on
//! tmpfs). The floor runs as a process of its own, timed whole by this
//! one, alternated with the builds; the build's time is then given as a
//! multiple of the floor and in seconds at the reference machine's floor
//! (`PLATC_BENCH_FLOOR=0` leaves it out). It needs `python3`,
//! `../shared/bench` and the `floor` bench built beside this one
//! (`cargo bench -p platc-driver --bench stdlib --bench floor`, or all of
//! the package's benches), and says so when one is missing.

mod common;

use std::time::Instant;

use platc_driver::{build_path, check_path, synthetic, Options};

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|n| n.parse().ok())
}

/// What a child run measures: `check` or `build`, of `instances`.
const CHILD: &str = "PLATC_BENCH_CHILD";

fn main() {
    common::allocate_as_platc();
    if let Ok(job) = std::env::var(CHILD) {
        child(&job);
        return;
    }
    let threads = std::env::var("PLATC_BENCH_THREADS").unwrap_or_else(|_| "1".to_string());
    // `cargo test --benches` runs this binary too, without the `--bench`
    // that `cargo bench` passes: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench")
        || std::env::var_os("PLATC_BENCH_QUICK").is_some();
    // (instances, runs): the largest size takes about a second a run (see
    // docs/performance.md, "Stdlib platform").
    let sizes: Vec<(usize, usize)> = if let Some(n) = env_usize("PLATC_BENCH_INSTANCES") {
        vec![(n, env_usize("PLATC_BENCH_RUNS").unwrap_or(5))]
    } else if quick {
        vec![(200, 1)]
    } else {
        vec![(1_000, 5), (2_500, 5), (10_000, 7)]
    };
    for (instances, runs) in sizes {
        for job in ["check", "build"] {
            measure(job, instances, runs, &threads);
        }
    }
    if !quick && env_usize("PLATC_BENCH_FLOOR") != Some(0) {
        against_floor(10_000, env_usize("PLATC_BENCH_RUNS").unwrap_or(7), &threads);
    }
}

/// What the shared workload's README measured its floor at, on the
/// reference machine (10,000 services, median of six interleaved runs).
const REFERENCE_FLOOR_SECONDS: f64 = 0.44;

/// The `floor` benchmark's program, built beside this one by `cargo bench`
/// (the newest, should several builds be there).
fn floor_program() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("floor-") && !name.contains('.')
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}

/// The build of `instances` in `runs` processes, alternated with as many
/// runs of the floor (see the module's documentation).
fn against_floor(instances: usize, runs: usize, threads: &str) {
    let Some(dir) = common::shared_workload("stdlib-build-against-floor", 10_000) else {
        return;
    };
    let expected = dir.join("expected.json");
    let Some(floor_exe) = floor_program() else {
        println!("stdlib/build-against-floor: skipped, the `floor` benchmark's program was not found beside this one: build it too (`cargo bench -p platc-driver --bench stdlib --bench floor`)");
        return;
    };
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let mut builds = Vec::new();
    let mut floors = Vec::new();
    for _ in 0..runs {
        // Its output goes to a file, on tmpfs where there is one, as the
        // README's did.
        let shm = std::path::Path::new("/dev/shm");
        let printed = if shm.is_dir() { shm } else { dir.as_path() }
            .join(format!("platc-bench-floor-{}.json", std::process::id()));
        let sink = std::fs::File::create(&printed).expect("a file for the floor");
        let start = Instant::now();
        let status = std::process::Command::new(&floor_exe)
            .env("PLATC_FLOOR_INPUT", &expected)
            .stdout(sink)
            .status()
            .expect("the floor starts");
        floors.push(start.elapsed());
        assert!(status.success(), "the floor run failed");
        let out = std::process::Command::new(&exe)
            .env(CHILD, format!("build:{instances}"))
            .env("PLATC_THREADS", threads)
            .output()
            .expect("a child run starts");
        assert!(out.status.success(), "the build run failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let nanos = text.split(' ').next().and_then(|n| n.parse().ok());
        builds.push(std::time::Duration::from_nanos(nanos.expect("nanoseconds")));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(format!(
        "/dev/shm/platc-bench-floor-{}.json",
        std::process::id()
    ));
    let (build, _, _) = common::median(builds);
    let (floor, floor_min, _) = common::median(floors);
    let ratio = build / floor;
    println!(
        "stdlib/build/{instances}-instances/{threads}-thread against the floor: build median {build:.1} ms, floor median {floor:.1} ms (min {floor_min:.1}) over {runs} alternated runs; the build takes {ratio:.2} floors, {:.2} s at the reference machine's floor of {REFERENCE_FLOOR_SECONDS} s",
        ratio * REFERENCE_FLOOR_SECONDS
    );
}

/// Runs `job` on `instances` in `runs` fresh processes, and prints the
/// median, minimum and maximum time, and what the last run reported.
fn measure(job: &str, instances: usize, runs: usize, threads: &str) {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let mut times = Vec::new();
    let mut last = String::new();
    for _ in 0..runs {
        let out = std::process::Command::new(&exe)
            .env(CHILD, format!("{job}:{instances}"))
            // Read once per process, before the first compilation.
            .env("PLATC_THREADS", threads)
            .output()
            .expect("a child run starts");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "the {job} run failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (nanos, rest) = text
            .trim_end()
            .split_once(' ')
            .expect("the child prints its time first");
        times.push(std::time::Duration::from_nanos(
            nanos.parse().expect("nanoseconds"),
        ));
        last = rest.to_string();
    }
    let (med, min, max) = common::median(times);
    println!(
        "stdlib/{job}/{instances}-instances/{threads}-thread: median {med:.1} ms, min {min:.1} ms, max {max:.1} ms over {runs} runs, each a process of its own; {last}"
    );
}

/// One timed run in this process: prints its time in nanoseconds, then
/// what it made and its peak memory.
fn child(job: &str) {
    let (job, instances) = job.split_once(':').expect("job:instances");
    let instances: usize = instances.parse().expect("a number of instances");
    let (fs, root) = synthetic::stdlib(instances);
    let options = Options::default();
    let start = Instant::now();
    let made = if job == "check" {
        let c = check_path(&fs, &root, &options).expect("generated project");
        let took = start.elapsed();
        assert!(
            c.diagnostics.is_empty(),
            "the stdlib platform must check clean: {:?}",
            c.diagnostics.first()
        );
        assert_eq!(c.platform.map(|p| p.instances.len()), Some(instances));
        (took, String::new())
    } else {
        let b = build_path(&fs, &root, &options).expect("generated project");
        let took = start.elapsed();
        assert!(!b.compilation.has_errors());
        let bytes = b.files.iter().map(|f| f.contents.len()).sum::<usize>();
        let policies = b
            .files
            .iter()
            .filter(|f| f.path.starts_with("kubernetes/networkpolicies-"))
            .map(|f| f.contents.len())
            .sum::<usize>();
        let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
        (
            took,
            format!(
                "{} files, {:.1} MiB of output ({:.1} MiB NetworkPolicies); ",
                b.files.len(),
                mib(bytes),
                mib(policies)
            ),
        )
    };
    let (took, what) = made;
    println!(
        "{} {what}peak RSS {:.1} MiB",
        took.as_nanos(),
        platc_driver::timings::peak_memory_mib().unwrap_or(f64::NAN),
    );
}
