//! Fuzz target `check`:
//! `check_source` on arbitrary text: never panics, every diagnostic is well
//! formed, and both renderers take them.
//!
//! The invariants live in `tests/common/fuzz.rs`, shared with the test that
//! replays the saved corpus (`tests/fuzz_corpus.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/fuzz.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| invariants::check(data));
