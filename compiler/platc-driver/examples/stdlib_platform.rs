//! Writes the stdlib benchmark's platform (`synthetic::stdlib`) to a
//! directory, to build it with `platc` and read or profile what it makes:
//!
//! ```text
//! cargo run --release -p platc-driver --example stdlib_platform -- 2000 /tmp/stdlib-2000
//! PLATC_THREADS=1 PLATC_TIMINGS=1 target/release/platc build /tmp/stdlib-2000 -o /tmp/out
//! ```

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: stdlib_platform INSTANCES DIRECTORY";
    let instances: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let dir = PathBuf::from(args.next().expect(usage));
    for (path, text) in platc_driver::synthetic::stdlib_files(instances) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
}
