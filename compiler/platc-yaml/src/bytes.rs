//! Text tested eight bytes at a time: the writers (this crate's YAML, and
//! platc-emit's JSON) look for the few bytes that need care (quotes,
//! controls, `:`, `{`, ...) in megabytes of text where nearly no byte
//! does.
//!
//! A *flag* is a function of a word (eight bytes, little-endian) that sets
//! the high bit of the bytes it flags, exactly up to the first one: it is
//! zero exactly when no byte is flagged, and its lowest set bit is in the
//! first flagged byte. (A byte below a bound sets its high bit in
//! `(w - n * ONES) & !w & HIGH`; borrows only run towards later bytes, so
//! only bits after the first flagged byte can be wrong.) A flag must judge
//! each byte on its own, whatever its place in the word.

/// One in every byte.
pub const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
pub const HIGH: u64 = 0x8080_8080_8080_8080;

/// The bytes of `word` below `n` (`n <= 0x80`), as a flag.
#[inline]
pub fn below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(u64::from(n) * ONES) & !word & HIGH
}

/// The bytes of `word` equal to `b`, as a flag.
#[inline]
pub fn equal(word: u64, b: u8) -> u64 {
    below(word ^ (u64::from(b) * ONES), 1)
}

/// The bytes of `word` that are not printable ASCII (controls, DEL, and
/// every byte of a character beyond ASCII), as a flag.
#[inline]
pub fn unprintable(word: u64) -> u64 {
    below(word, 0x20) | (word & HIGH) | equal(word, 0x7F)
}

/// The word of the eight bytes of `b` at `at`.
#[inline]
pub fn word(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes"))
}

/// A word made of the bytes of `b` (one to eight of them), each at least
/// once and nothing else: a short text (or the end of a longer one) is
/// tested in one word.
#[inline]
fn short_word(b: &[u8]) -> u64 {
    let n = b.len();
    debug_assert!((1..=8).contains(&n));
    if n >= 4 {
        // The first four and the last four, which overlap below eight.
        let first = u32::from_le_bytes(b[..4].try_into().expect("four bytes"));
        let last = u32::from_le_bytes(b[n - 4..].try_into().expect("four bytes"));
        u64::from(first) | u64::from(last) << 32
    } else {
        // The first, the middle and the last (all of them), repeated.
        let three = u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16;
        three | three << 24 | three << 48
    }
}

/// Whether `flag` flags no byte of `b`: its words, the last one
/// overlapping the one before when the length is not a multiple of eight.
#[inline]
pub fn none(b: &[u8], flag: impl Fn(u64) -> u64) -> bool {
    let n = b.len();
    if n < 8 {
        return n == 0 || flag(short_word(b)) == 0;
    }
    let mut at = 0;
    while at + 8 <= n {
        if flag(word(b, at)) != 0 {
            return false;
        }
        at += 8;
    }
    at == n || flag(word(b, n - 8)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value at every place of texts of every length up to 20,
    /// the rest of the text a byte no flag below flags.
    #[test]
    fn none_is_exact_for_every_byte_at_every_place() {
        /// A flag's name, the flag, and which bytes it flags.
        type Case = (&'static str, fn(u64) -> u64, fn(u8) -> bool);
        let flags: [Case; 4] = [
            ("control", |w| below(w, 0x20), |b| b < 0x20),
            ("colon", |w| equal(w, b':'), |b| b == b':'),
            ("brace", |w| equal(w, b'{'), |b| b == b'{'),
            ("unprintable", unprintable, |b| !(0x20..0x7F).contains(&b)),
        ];
        for (name, flag, flags_byte) in flags {
            for len in 1..=20 {
                for at in 0..len {
                    for b in 0..=255u8 {
                        let mut text = vec![b'a'; len];
                        text[at] = b;
                        assert_eq!(
                            none(&text, flag),
                            !flags_byte(b),
                            "{name}: {b:#x} at {at} of {len}"
                        );
                    }
                }
            }
            assert!(none(b"", flag));
        }
    }

    #[test]
    fn short_words_hold_every_byte_and_nothing_else() {
        for len in 1..=8 {
            let text: Vec<u8> = (1..=len as u8).collect();
            let word = short_word(&text).to_le_bytes();
            for b in &text {
                assert!(word.contains(b), "{b} of {text:?}");
            }
            assert!(word.iter().all(|b| text.contains(b)), "{word:?}");
        }
    }
}
