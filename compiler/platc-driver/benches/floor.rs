//! The shared workload's *floor* (`../shared/bench/README.md`): a program
//! that only parses `expected.json` with serde_json and prints it again,
//! on the system's allocator as the README's was. (Its serde_json keeps
//! key order, as the workspace's does; that parses about 4 % slower than
//! serde_json's default, in the measured build's favour.) The stdlib benchmark
//! runs it, as a process of its own, alternated with its builds, to
//! measure them against this machine's speed of the minute (see
//! `benches/stdlib.rs`); `PLATC_FLOOR_INPUT` names the file. Run on its
//! own (`cargo bench`), it has nothing to do.

use std::io::Write;

fn main() {
    let Some(path) = std::env::var_os("PLATC_FLOOR_INPUT") else {
        println!("floor: run by the stdlib benchmark (PLATC_FLOOR_INPUT names the JSON file)");
        return;
    };
    let text = std::fs::read_to_string(path).expect("expected.json");
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let printed = serde_json::to_string(&value).expect("printed");
    let mut out = std::io::stdout().lock();
    out.write_all(printed.as_bytes()).expect("written");
}
