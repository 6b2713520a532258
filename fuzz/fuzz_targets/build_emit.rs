//! Fuzz target `build_emit` (`build` is a name cargo reserves):
//! `build_path` on an in-memory project whose `main.plat` is arbitrary text:
//! never panics; when the check finds no error, emitting succeeds and two
//! builds give the same files.
//!
//! The invariants live in `tests/common/fuzz.rs`, shared with the test that
//! replays the saved corpus (`tests/fuzz_corpus.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/fuzz.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| invariants::build(data));
