//! JSON text written as it is built, byte for byte as serde_json writes
//! the same document (`to_string` for one line, `to_string_pretty` for
//! [`Pretty`]): the large files (Terraform's root module) are written
//! without building a `serde_json::Value` of them first.

use platc_yaml::bytes;
use serde_json::Value as Json;

/// A JSON string, escaped as serde_json escapes it.
pub(crate) fn string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    // Nearly all text has nothing to escape: tested a word at a time.
    if is_plain(s) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none needs escaping (nearly all
        // text): the output is megabytes of JSON, much of it JSON again.
        // In a word that has one, straight to the first.
        if i + 8 <= bytes.len() {
            let mask = escape_mask(bytes::word(bytes, i));
            if mask == 0 {
                i += 8;
                continue;
            }
            i += (mask.trailing_zeros() / 8) as usize;
        }
        let b = bytes[i];
        if needs_escape(b) {
            out.push_str(&s[start..i]);
            out.push_str(escape_text(b, false));
            start = i + 1;
        }
        i += 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Whether byte `b` is escaped in a JSON string: `"`, `\` or a control
/// character (below 0x20).
pub(crate) fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Appends the JSON escape of `b` (a byte that [`needs_escape`]) as
/// serde_json writes it (the reference for [`escape_text`]); `twice`: as that escape is written inside a
/// second JSON string (its backslash and any `"` or `\` escaped again).
#[cfg(test)]
pub(crate) fn push_escape(out: &mut String, b: u8, twice: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match b {
        b'"' => Some('"'),
        b'\\' => Some('\\'),
        b'\n' => Some('n'),
        b'\r' => Some('r'),
        b'\t' => Some('t'),
        0x08 => Some('b'),
        0x0C => Some('f'),
        _ => None,
    };
    out.push_str(if twice { "\\\\" } else { "\\" });
    match short {
        Some(c) => {
            if twice && matches!(c, '"' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        None => {
            out.push_str("u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

/// The JSON escape of each byte that [`needs_escape`] (by the byte; empty
/// for the others), as [`push_escape`] writes it: once, and inside a second
/// JSON string ([`escape_text`]).
const ESCAPES: [[&str; 0x5d]; 2] = [
    [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011",
        "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019",
        "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f", "", "", "\\\"", "", "",
        "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "", "", "\\\\",
    ],
    [
        "\\\\u0000",
        "\\\\u0001",
        "\\\\u0002",
        "\\\\u0003",
        "\\\\u0004",
        "\\\\u0005",
        "\\\\u0006",
        "\\\\u0007",
        "\\\\b",
        "\\\\t",
        "\\\\n",
        "\\\\u000b",
        "\\\\f",
        "\\\\r",
        "\\\\u000e",
        "\\\\u000f",
        "\\\\u0010",
        "\\\\u0011",
        "\\\\u0012",
        "\\\\u0013",
        "\\\\u0014",
        "\\\\u0015",
        "\\\\u0016",
        "\\\\u0017",
        "\\\\u0018",
        "\\\\u0019",
        "\\\\u001a",
        "\\\\u001b",
        "\\\\u001c",
        "\\\\u001d",
        "\\\\u001e",
        "\\\\u001f",
        "",
        "",
        "\\\\\\\"",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "\\\\\\\\",
    ],
];

/// The JSON escape of `b`, a byte that [`needs_escape`], as [`push_escape`]
/// writes it (`twice`: inside a second JSON string): one copy of a text
/// from a table, where the function tests and pushes piece by piece.
#[inline]
pub(crate) fn escape_text(b: u8, twice: bool) -> &'static str {
    ESCAPES[usize::from(twice)][usize::from(b)]
}

/// The bytes of `word` that are `"`, `\` or a control character (below
/// 0x20), as a [`bytes`] flag.
#[inline]
pub(crate) fn escape_mask(word: u64) -> u64 {
    bytes::below(word, 0x20) | bytes::equal(word, b'"') | bytes::equal(word, b'\\')
}

/// Whether `s` is written in a JSON string as it is: no byte of it is
/// `"`, `\` or a control character.
pub(crate) fn is_plain(s: &str) -> bool {
    bytes::none(s.as_bytes(), escape_mask)
}

/// A pretty-printed JSON document written as it is walked: two spaces of
/// indent, `"key": value`, one entry per line, `{}` and `[]` when empty.
///
/// Every value inside an object follows [`Pretty::key`]; every value
/// inside an array follows [`Pretty::item`].
pub(crate) struct Pretty {
    out: String,
    /// For each open object or array, whether it has an entry yet.
    open: Vec<bool>,
}

impl Pretty {
    /// A writer whose text has room for `bytes` (a large document grows
    /// without being copied to ever larger buffers).
    pub fn with_capacity(bytes: usize) -> Self {
        Pretty {
            out: String::with_capacity(bytes),
            open: Vec::new(),
        }
    }

    pub fn finish(self) -> String {
        debug_assert!(self.open.is_empty(), "every object and array is closed");
        self.out
    }

    fn newline(&mut self) {
        // Two spaces per open level.
        self.out.push('\n');
        platc_yaml::push_spaces(&mut self.out, 2 * self.open.len());
    }

    /// Starts an entry of the innermost object or array.
    fn entry(&mut self) {
        if let Some(has) = self.open.last_mut() {
            if std::mem::replace(has, true) {
                self.out.push(',');
            }
        }
        self.newline();
    }

    pub fn open_object(&mut self) {
        self.out.push('{');
        self.open.push(false);
    }

    pub fn close_object(&mut self) {
        self.close('}');
    }

    pub fn open_array(&mut self) {
        self.out.push('[');
        self.open.push(false);
    }

    pub fn close_array(&mut self) {
        self.close(']');
    }

    fn close(&mut self, c: char) {
        if self.open.pop() == Some(true) {
            self.newline();
        }
        self.out.push(c);
    }

    /// The key of the next entry of an object; its value follows.
    pub fn key(&mut self, k: &str) {
        self.entry();
        string(&mut self.out, k);
        self.out.push_str(": ");
    }

    /// The next element of an array; its value follows.
    pub fn item(&mut self) {
        self.entry();
    }

    pub fn str(&mut self, s: &str) {
        string(&mut self.out, s);
    }

    /// A string whose text is escaped already: what goes between the
    /// quotes.
    pub fn escaped_str(&mut self, escaped: &str) {
        self.out.reserve(escaped.len() + 2);
        self.out.push('"');
        self.out.push_str(escaped);
        self.out.push('"');
    }

    /// A user string as a Terraform expression: the JSON string of
    /// [`crate::terraform::escape`]`(s)`, written in one pass.
    pub fn lit(&mut self, s: &str) {
        self.out.push('"');
        crate::terraform::push_lit_body(&mut self.out, s, false);
        self.out.push('"');
    }

    /// The key of the next entry of an object, a user string as a
    /// Terraform expression ([`Self::lit`]). Its value follows.
    pub fn lit_key(&mut self, k: &str) {
        self.entry();
        self.lit(k);
        self.out.push_str(": ");
    }

    /// A whole value.
    pub fn value(&mut self, v: &Json) {
        match v {
            Json::Object(m) => {
                self.open_object();
                for (k, v) in m {
                    self.key(k);
                    self.value(v);
                }
                self.close_object();
            }
            Json::Array(items) => {
                self.open_array();
                for v in items {
                    self.item();
                    self.value(v);
                }
                self.close_array();
            }
            Json::String(s) => self.str(s),
            other => self.out.push_str(&other.to_string()),
        }
    }

    /// `key: value`, a whole value.
    pub fn entry_value(&mut self, k: &str, v: &Json) {
        self.key(k);
        self.value(v);
    }

    /// `key: "s"`.
    pub fn entry_str(&mut self, k: &str, s: &str) {
        self.key(k);
        self.str(s);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_does() {
        for s in [
            "plain",
            "quote \" and \\ back",
            "lines\nand\ttabs\r",
            "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f}",
            "é ü 中 \u{200b} \u{2028}",
            "",
        ] {
            let mut out = String::new();
            string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn escape_texts_are_those_pushed() {
        for b in (0..=255u8).filter(|&b| needs_escape(b)) {
            for twice in [false, true] {
                let mut want = String::new();
                push_escape(&mut want, b, twice);
                assert_eq!(escape_text(b, twice), want, "{b:#x} {twice}");
            }
        }
    }

    #[test]
    fn words_needing_an_escape_are_found() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = *b"abcdefgh";
                word[at] = b;
                let needs = b < 0x20 || b == b'"' || b == b'\\';
                assert_eq!(
                    escape_mask(u64::from_le_bytes(word)) != 0,
                    needs,
                    "{b:#x} at {at}"
                );
            }
        }
        // Bytes around the limits, together.
        let word = u64::from_le_bytes([0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff]);
        assert_eq!(escape_mask(word), 0);
        let word = u64::from_le_bytes([0x80, 0x00, 0xff, 0x20, 0x20, 0x20, 0x20, 0x20]);
        assert_ne!(escape_mask(word), 0);
    }

    #[test]
    fn plain_strings_are_those_written_as_they_are() {
        for s in [
            "",
            "plain",
            "0123456",
            "01234567",
            "012345678",
            "a\"",
            "0123456789\\",
            "é ü",
            "tab\there and more text",
            "\u{1f}",
            "long text without anything to escape",
        ] {
            let mut out = String::new();
            string(&mut out, s);
            assert_eq!(is_plain(s), out[1..out.len() - 1] == *s, "{s:?}");
        }
    }

    #[test]
    fn the_mask_points_at_the_first_byte_needing_an_escape() {
        let needing = [0x00, 0x01, 0x1f, b'"', b'\\'];
        let any = [
            0x00, 0x1f, 0x20, 0x21, b'"', 0x23, b'\\', 0x7f, 0x80, 0xff, b'a',
        ];
        for at in 0..8 {
            for &first in &needing {
                for &later in &any {
                    let mut word = *b"abcdefgh";
                    word[at] = first;
                    for b in word.iter_mut().skip(at + 1) {
                        *b = later;
                    }
                    let mask = escape_mask(u64::from_le_bytes(word));
                    assert_eq!(mask.trailing_zeros() / 8, at as u32, "{word:?}");
                }
            }
        }
    }

    #[test]
    fn long_strings_are_escaped_as_serde_json_does() {
        let mut s = String::new();
        for n in 0..600u32 {
            s.push(char::from_u32(n % 0x90).unwrap_or('x'));
            if n % 7 == 0 {
                s.push_str("{\"json\":\"in json\\n\"} é ");
            }
        }
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 100, s.len()] {
            let mut cut = len.min(s.len());
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            let mut out = String::new();
            string(&mut out, &s[..cut]);
            assert_eq!(out, serde_json::to_string(&s[..cut]).unwrap(), "{len}");
        }
    }

    #[test]
    fn documents_are_pretty_printed_as_serde_json_does() {
        let docs = [
            json!({}),
            json!([]),
            json!("s"),
            json!(null),
            json!({"a": {}, "b": [], "c": [{}, [], [[]], {"d": null}]}),
            json!({"x": [1, -2, 2.5, 1e-7, true, false, null, "t\"\n"], "y": {"z": {"w": "v"}}}),
            json!([{"k": "v", "l": ["m", {"n": [1]}]}, "o"]),
        ];
        for doc in docs {
            let mut w = Pretty::with_capacity(0);
            w.value(&doc);
            assert_eq!(
                w.finish(),
                serde_json::to_string_pretty(&doc).unwrap(),
                "{doc}"
            );
        }
    }

    #[test]
    fn deep_documents_are_indented_as_serde_json_does() {
        // Deeper than one run of the indent's spaces.
        let mut doc = json!({"leaf": [1, "x"]});
        for depth in 0..45 {
            doc = if depth % 2 == 0 {
                json!({ "k": doc, "n": depth })
            } else {
                json!([doc, depth])
            };
        }
        let mut w = Pretty::with_capacity(0);
        w.value(&doc);
        assert_eq!(w.finish(), serde_json::to_string_pretty(&doc).unwrap());
    }

    #[test]
    fn documents_written_entry_by_entry_are_pretty_printed() {
        let mut w = Pretty::with_capacity(0);
        w.open_object();
        w.entry_str("a", "b");
        w.key("list");
        w.open_array();
        w.item();
        w.str("x");
        w.item();
        w.open_object();
        w.close_object();
        w.close_array();
        w.key("empty");
        w.open_array();
        w.close_array();
        w.entry_value("v", &json!({"k": [1]}));
        w.close_object();
        let want = json!({"a": "b", "list": ["x", {}], "empty": [], "v": {"k": [1]}});
        assert_eq!(w.finish(), serde_json::to_string_pretty(&want).unwrap());
    }
}
