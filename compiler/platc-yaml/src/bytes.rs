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

/// The bytes of `word` that a JSON string escapes (controls, `"` and
/// `\\`), and `{` (which may start a Terraform template sequence), as a
/// flag. Text without any is *inert*: written as it is inside a JSON
/// string and in a Terraform template, so that a writer of a tree's JSON
/// beside its YAML (`crate::Beside`) need not look at it again.
#[inline]
pub fn inert(word: u64) -> u64 {
    below(word, 0x20) | equal(word, b'"') | equal(word, b'\\') | equal(word, b'{')
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

/// The longest text a [`Memo`] remembers.
pub const MEMO_MAX: usize = 16;

/// Two words that, with its length, are a text of one to [`MEMO_MAX`]
/// bytes exactly: the first eight bytes and the last eight (which overlap
/// below 16), or for a shorter text, as [`short_word`] takes them (the
/// first four and last four below eight; the first, middle and last below
/// four), which are all of its bytes in their places. `None` for a longer
/// or empty text.
#[inline]
pub fn short_key(b: &[u8]) -> Option<(u64, u64)> {
    let n = b.len();
    match n {
        8..=MEMO_MAX => Some((word(b, 0), word(b, n - 8))),
        1..=7 => Some((short_word(b), 0)),
        _ => None,
    }
}

/// One remembered text: its [`short_key`], its length (0: none) and what
/// was computed for it.
#[derive(Clone, Copy)]
struct Slot {
    lo: u64,
    hi: u64,
    len: u32,
    value: u32,
}

/// How many texts a [`Memo`] holds (a power of two).
const MEMO_SLOTS: usize = 2048;

/// What a function of short texts gave for the last texts it was asked
/// about, by the text's [`short_key`] and length, which are the text: a
/// table of [`MEMO_SLOTS`] places, each text in the one its key hashes to
/// (a text takes the place of another that hashed there). Map keys repeat
/// by the thousand in what the writers write (`name`, `image`,
/// `app.kubernetes.io/name`): the few instructions of a hit replace a test
/// of every byte. For a thread-local (`const`-initialised, without a
/// destructor).
pub struct Memo {
    slots: [std::cell::Cell<Slot>; MEMO_SLOTS],
}

impl Default for Memo {
    fn default() -> Self {
        Self::new()
    }
}

impl Memo {
    pub const fn new() -> Self {
        const EMPTY: Slot = Slot {
            lo: 0,
            hi: 0,
            len: 0,
            value: 0,
        };
        Memo {
            slots: [const { std::cell::Cell::new(EMPTY) }; MEMO_SLOTS],
        }
    }

    /// `compute(b)`, remembered for a text of one to [`MEMO_MAX`] bytes
    /// (`compute` must depend on the bytes only); computed every time for
    /// others.
    #[inline]
    pub fn get(&self, b: &[u8], compute: impl FnOnce(&[u8]) -> u32) -> u32 {
        let Some((lo, hi)) = short_key(b) else {
            return compute(b);
        };
        let len = b.len() as u32;
        let hash = (lo ^ hi.rotate_left(29) ^ u64::from(len)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = &self.slots[(hash >> 53) as usize & (MEMO_SLOTS - 1)];
        let had = slot.get();
        if had.len == len && had.lo == lo && had.hi == hi {
            return had.value;
        }
        let value = compute(b);
        slot.set(Slot { lo, hi, len, value });
        value
    }
}

/// The longest text a [`LongMemo`] remembers.
pub const LONG_MEMO_MAX: usize = 32;

/// Four words that, with its length, are a text of `MEMO_MAX + 1` to
/// [`LONG_MEMO_MAX`] bytes exactly: its first sixteen bytes and its last
/// sixteen (which overlap below 32). `None` for a text of another length.
#[inline]
pub fn long_key(b: &[u8]) -> Option<[u64; 4]> {
    let n = b.len();
    (MEMO_MAX < n && n <= LONG_MEMO_MAX)
        .then(|| [word(b, 0), word(b, 8), word(b, n - 16), word(b, n - 8)])
}

/// One remembered text of a [`LongMemo`]: its [`long_key`], its length
/// (0: none) and what was computed for it.
#[derive(Clone, Copy)]
struct LongSlot {
    key: [u64; 4],
    len: u32,
    value: u32,
}

/// How many texts a [`LongMemo`] holds (a power of two).
const LONG_MEMO_SLOTS: usize = 256;

/// A [`Memo`] of texts of `MEMO_MAX + 1` to [`LONG_MEMO_MAX`] bytes, by
/// their [`long_key`] and length (which are the text): for the few longer
/// texts that repeat by the thousand, map keys such as
/// `app.kubernetes.io/managed-by`.
pub struct LongMemo {
    slots: [std::cell::Cell<LongSlot>; LONG_MEMO_SLOTS],
}

impl Default for LongMemo {
    fn default() -> Self {
        Self::new()
    }
}

impl LongMemo {
    pub const fn new() -> Self {
        const EMPTY: LongSlot = LongSlot {
            key: [0; 4],
            len: 0,
            value: 0,
        };
        LongMemo {
            slots: [const { std::cell::Cell::new(EMPTY) }; LONG_MEMO_SLOTS],
        }
    }

    /// `compute(b)`, remembered for a text of `MEMO_MAX + 1` to
    /// [`LONG_MEMO_MAX`] bytes (`compute` must depend on the bytes only);
    /// computed every time for others.
    #[inline]
    pub fn get(&self, b: &[u8], compute: impl FnOnce(&[u8]) -> u32) -> u32 {
        let Some(key) = long_key(b) else {
            return compute(b);
        };
        let len = b.len() as u32;
        let hash = (key[0] ^ key[1].rotate_left(17) ^ key[3].rotate_left(41) ^ u64::from(len))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = &self.slots[(hash >> 56) as usize & (LONG_MEMO_SLOTS - 1)];
        let had = slot.get();
        if had.len == len && had.key == key {
            return had.value;
        }
        let value = compute(b);
        slot.set(LongSlot { key, len, value });
        value
    }
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

    /// Texts of every length up to past [`MEMO_MAX`] that differ in one
    /// byte at any place have different keys (a key is its text), and the
    /// memo gives what the function gives for each, asked over and over in
    /// an order that makes texts take each other's places.
    #[test]
    fn memo_keys_are_their_texts() {
        for len in 1..=MEMO_MAX {
            let base = vec![b'a'; len];
            let key = short_key(&base).expect("short");
            for at in 0..len {
                let mut other = base.clone();
                other[at] = b'b';
                assert_ne!(short_key(&other), Some(key), "{at} of {len}");
            }
        }
        assert_eq!(short_key(b""), None);
        assert_eq!(short_key(&[b'a'; MEMO_MAX + 1]), None);
        // A function of every byte and the length.
        let f = |b: &[u8]| -> u32 {
            b.iter().fold(b.len() as u32, |h, &c| {
                h.wrapping_mul(31).wrapping_add(u32::from(c))
            })
        };
        let memo = Memo::new();
        let mut seed = 7u64;
        let mut texts = Vec::new();
        for _ in 0..20000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (seed >> 59) as usize + 1; // 1..=32
            let text: Vec<u8> = (0..len)
                .map(|k| b"ab:#{ \\"[(seed >> (k % 50)) as usize % 7])
                .collect();
            texts.push(text);
        }
        for round in 0..3 {
            for t in texts.iter().skip(round) {
                assert_eq!(memo.get(t, f), f(t), "{t:?}");
            }
        }
    }

    /// As [`memo_keys_are_their_texts`], for the [`LongMemo`]: texts of
    /// every length it holds that differ in one byte have different keys,
    /// and it gives what the function gives, for texts of every length
    /// (those it does not hold computed each time).
    #[test]
    fn long_memo_keys_are_their_texts() {
        for len in MEMO_MAX + 1..=LONG_MEMO_MAX {
            let base = vec![b'a'; len];
            let key = long_key(&base).expect("long");
            for at in 0..len {
                let mut other = base.clone();
                other[at] = b'b';
                assert_ne!(long_key(&other), Some(key), "{at} of {len}");
            }
        }
        assert_eq!(long_key(&[b'a'; MEMO_MAX]), None);
        assert_eq!(long_key(&[b'a'; LONG_MEMO_MAX + 1]), None);
        let f = |b: &[u8]| -> u32 {
            b.iter().fold(b.len() as u32, |h, &c| {
                h.wrapping_mul(31).wrapping_add(u32::from(c))
            })
        };
        let memo = LongMemo::new();
        let mut seed = 11u64;
        let mut texts = Vec::new();
        for _ in 0..20000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (seed >> 58) as usize + 1; // 1..=64
            let text: Vec<u8> = (0..len)
                .map(|k| b"ab:#{ \\"[(seed >> (k % 50)) as usize % 7])
                .collect();
            texts.push(text);
        }
        let mut held = 0;
        for round in 0..3 {
            for t in texts.iter().skip(round) {
                assert_eq!(memo.get(t, f), f(t), "{t:?}");
                held += usize::from(long_key(t).is_some());
            }
        }
        assert!(held > 10000, "{held} texts the memo holds");
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
