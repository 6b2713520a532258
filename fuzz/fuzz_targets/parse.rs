//! Fuzz target `parse`:
//! The parser on arbitrary text: never panics, and every diagnostic has a code,
//! a message and spans inside the text.
//!
//! The invariants live in `tests/common/fuzz.rs`, shared with the test that
//! replays the saved corpus (`tests/fuzz_corpus.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/fuzz.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| invariants::parse(data));
