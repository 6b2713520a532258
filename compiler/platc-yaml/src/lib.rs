//! A deterministic YAML writer for JSON values.
//!
//! The output is block style (lists of maps included), keeps the key order
//! of the value, and is read identically by YAML 1.1 parsers (Helm, via
//! go-yaml) and YAML 1.2 parsers: every string that either would read as
//! something else (`yes`, `on`, `null`, `0o17`, `1:20`, `1e3`, …) is
//! double-quoted. Strings with control or invisible characters are quoted
//! with escapes, so nothing in the file is hidden from a reader. Long
//! strings that contain spaces are folded over several lines (within 80
//! columns where the words allow), so the files pass yamllint.

use serde_json::Value;

/// The column limit that long strings are folded to.
const WIDTH: usize = 80;
/// YAML limits implicit keys to 1024 characters; longer keys are written
/// as explicit keys (`? key`).
const MAX_IMPLICIT_KEY: usize = 1000;

/// A tree the writer can write, by a handle to one of its nodes: JSON
/// values (`&Value`), or anything of the same shape (the compiler's
/// evaluated values implement it, so that they are written without being
/// converted to JSON first; a handle may also mix them with nodes of its
/// own, as a Kubernetes object adds its metadata to an evaluated body).
pub trait Tree<'a>: Copy {
    /// This node. A map's or list's entries are those that are written:
    /// a tree may leave some out (as JSON conversion would).
    fn node(self) -> Node<'a, Self>;
}

/// One node of a [`Tree`].
pub enum Node<'a, T> {
    Null,
    Bool(bool),
    /// A number, as YAML text (`3`, `2.5`, `1.0`).
    Number(std::borrow::Cow<'a, str>),
    Str(std::borrow::Cow<'a, str>),
    Map(Vec<(&'a str, T)>),
    Seq(Vec<T>),
}

impl<'a, T> Node<'a, T> {
    /// The same node with its children as another handle (to wrap one
    /// tree's nodes in a tree of one's own).
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Node<'a, U> {
        match self {
            Node::Null => Node::Null,
            Node::Bool(b) => Node::Bool(b),
            Node::Number(n) => Node::Number(n),
            Node::Str(s) => Node::Str(s),
            Node::Map(m) => Node::Map(m.into_iter().map(|(k, v)| (k, f(v))).collect()),
            Node::Seq(items) => Node::Seq(items.into_iter().map(f).collect()),
        }
    }
}

impl<'a> Tree<'a> for &'a Value {
    fn node(self) -> Node<'a, Self> {
        match self {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(number(n).into()),
            Value::String(s) => Node::Str(s.as_str().into()),
            Value::Object(m) => Node::Map(m.iter().map(|(k, v)| (k.as_str(), v)).collect()),
            Value::Array(a) => Node::Seq(a.iter().collect()),
        }
    }
}

/// The YAML document of `v`, ending in a newline.
pub fn to_string(v: &Value) -> String {
    tree_to_string(v)
}

/// The YAML document of any [`Tree`], ending in a newline.
pub fn tree_to_string<'a, T: Tree<'a>>(v: T) -> String {
    let mut out = String::new();
    write_tree(&mut out, v);
    out
}

/// Appends the YAML document of any [`Tree`], ending in a newline, to
/// `out`.
pub fn write_tree<'a, T: Tree<'a>>(out: &mut String, v: T) {
    write_document(out, v.node());
}

/// The YAML document of a map given by its entries, ending in a newline.
pub fn map_to_string<'a, T: Tree<'a>>(entries: Vec<(&'a str, T)>) -> String {
    let mut out = String::new();
    write_map_document(&mut out, entries);
    out
}

/// Appends the YAML document of a map given by its entries, ending in a
/// newline, to `out`.
pub fn write_map_document<'a, T: Tree<'a>>(out: &mut String, entries: Vec<(&'a str, T)>) {
    write_document(out, Node::Map(entries));
}

fn write_document<'a, T: Tree<'a>>(out: &mut String, node: Node<'a, T>) {
    match node {
        Node::Map(m) if !m.is_empty() => write_map(out, &m, 0, false),
        Node::Seq(a) if !a.is_empty() => write_seq(out, &a, 0, false),
        n => {
            push_inline(out, &n, 0, 2);
            out.push('\n');
        }
    }
}

/// Several documents in one stream, separated by `---`.
pub fn to_string_multi(docs: &[Value]) -> String {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_string(d));
    }
    out
}

/// A string as a YAML scalar on one line: plain when it reads back as the
/// same string in YAML 1.1 and 1.2, double-quoted with escapes otherwise.
pub fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

/// Text safe to put after `# ` in a comment: line breaks, control and
/// invisible characters are shown as escapes, so a comment stays one line.
pub fn comment_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if must_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = indent;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// The number of characters of `s`.
fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Whether every byte of `s` is printable ASCII (nothing to escape).
fn printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7F).contains(&b))
}

/// Writes `s` as a scalar ([`scalar`]); returns its width.
fn push_scalar(out: &mut String, s: &str) -> usize {
    if let Some(w) = plain_width(s) {
        out.push_str(s);
        w
    } else {
        let q = double_quoted(s);
        out.push_str(&q);
        width(&q)
    }
}

/// Scalars and empty collections. `col` is the column where the value
/// starts; a long string with spaces folds onto lines indented by `cont`.
fn push_inline<'a, T: Tree<'a>>(out: &mut String, v: &Node<'a, T>, col: usize, cont: usize) {
    match v {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Number(n) => out.push_str(n),
        Node::Str(s) => push_string_value(out, s, col, cont),
        Node::Map(_) => out.push_str("{}"),
        Node::Seq(_) => out.push_str("[]"),
    }
}

fn push_string_value(out: &mut String, s: &str, col: usize, cont: usize) {
    if let Some(w) = plain_width(s) {
        if col + w <= WIDTH || !s.contains(' ') {
            out.push_str(s);
            return;
        }
    } else {
        let quoted = double_quoted(s);
        if col + width(&quoted) <= WIDTH || !s.contains(' ') {
            out.push_str(&quoted);
            return;
        }
    }
    out.push_str(&folded(s, col, cont));
}

fn number(n: &serde_json::Number) -> String {
    if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
        // Rust prints the shortest text that reads back as the same f64,
        // never in exponent form; YAML needs a `.` to read a float.
        let mut s = format!("{f}");
        if !s.contains('.') && f.is_finite() {
            s.push_str(".0");
        }
        s
    } else {
        n.to_string()
    }
}

fn write_map<'a, T: Tree<'a>>(
    out: &mut String,
    m: &[(&'a str, T)],
    indent: usize,
    first_inline: bool,
) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 || !first_inline {
            pad(out, indent);
        }
        let colon_col = push_key(out, k, indent);
        match v.node() {
            Node::Map(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(out, &inner, indent + 2, false);
            }
            Node::Seq(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, &items, indent + 2, false);
            }
            n => {
                out.push(' ');
                push_inline(out, &n, colon_col + 1, indent + 2);
                out.push('\n');
            }
        }
    }
}

/// Writes key `k` of a block map and its `:`, the cursor at the key's
/// column (`indent`); returns the column just after the `:`.
fn push_key(out: &mut String, k: &str, indent: usize) -> usize {
    if width(k) > MAX_IMPLICIT_KEY {
        out.push_str("? ");
        push_scalar(out, k);
        out.push('\n');
        pad(out, indent);
        out.push(':');
        indent + 1
    } else {
        let colon_col = indent + push_scalar(out, k) + 1;
        out.push(':');
        colon_col
    }
}

/// Where an entry written by hand ([`push_str_entry`], [`push_block_key`],
/// [`push_raw_entry`]) starts: on its own line at `indent`, or as the first
/// entry of a list item, just after the `- ` the caller wrote (the item's
/// other entries are at `indent`, two past the dash).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum At {
    Line(usize),
    AfterDash(usize),
}

impl At {
    fn start(self, out: &mut String) -> usize {
        match self {
            At::Line(indent) => {
                pad(out, indent);
                indent
            }
            At::AfterDash(indent) => indent,
        }
    }
}

/// Writes `key: value` and a line break, a block map's entry whose value
/// is a string, exactly as the writer writes it in a document (quoted and
/// folded as needed). For documents of a fixed shape built without a tree.
pub fn push_str_entry(out: &mut String, at: At, key: &str, value: &str) {
    let indent = at.start(out);
    let colon_col = push_key(out, key, indent);
    out.push(' ');
    push_string_value(out, value, colon_col + 1, indent + 2);
    out.push('\n');
}

/// Writes `key:` and a line break: an entry whose value, a non-empty map
/// or list, the caller writes next at `indent + 2`.
pub fn push_block_key(out: &mut String, at: At, key: &str) {
    let indent = at.start(out);
    push_key(out, key, indent);
    out.push('\n');
}

/// Writes `key: raw` and a line break, where `raw` is YAML text that is
/// written as it is: a number, `{}` or `[]`.
pub fn push_raw_entry(out: &mut String, at: At, key: &str, raw: &str) {
    let indent = at.start(out);
    push_key(out, key, indent);
    out.push(' ');
    out.push_str(raw);
    out.push('\n');
}

/// Writes `count` spaces: the indent of a list item's `- ` written by hand.
pub fn push_indent(out: &mut String, count: usize) {
    pad(out, count);
}

fn write_seq<'a, T: Tree<'a>>(out: &mut String, items: &[T], indent: usize, first_inline: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !first_inline {
            pad(out, indent);
        }
        out.push_str("- ");
        match item.node() {
            Node::Map(m) if !m.is_empty() => write_map(out, &m, indent + 2, true),
            Node::Seq(a) if !a.is_empty() => write_seq(out, &a, indent + 2, true),
            n => {
                push_inline(out, &n, indent + 2, indent + 2);
                out.push('\n');
            }
        }
    }
}

/// A long string as a double-quoted scalar folded at single spaces: in a
/// double-quoted scalar a line break between two words reads as one space.
/// Only spaces with a non-space on both sides are used, so no whitespace
/// is lost to the folding.
fn folded(s: &str, col: usize, cont: usize) -> String {
    // The words: the text between the spaces where a line may break.
    let mut words: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, _) in s.match_indices(' ') {
        let before = s[..i].chars().next_back();
        let after = s[i + 1..].chars().next();
        let breakable = matches!((before, after), (Some(b), Some(a)) if !b.is_whitespace() && !a.is_whitespace());
        if breakable {
            words.push(&s[start..i]);
            start = i + 1;
        }
    }
    words.push(&s[start..]);
    let mut out = String::with_capacity(s.len() + 2 + s.len() / WIDTH * (cont + 1));
    out.push('"');
    let mut width = col + 1;
    let mut escaped = String::new();
    for (i, w) in words.iter().enumerate() {
        // The word as written, and its width.
        let (text, len) = if printable_ascii(w) && !w.contains(['\\', '"']) {
            (*w, w.len())
        } else {
            escaped.clear();
            w.chars().for_each(|c| push_escaped(&mut escaped, c));
            (escaped.as_str(), escaped.chars().count())
        };
        let closing = usize::from(i + 1 == words.len());
        if i > 0 {
            if width + 1 + len + closing > WIDTH {
                out.push('\n');
                pad(&mut out, cont);
                width = cont;
            } else {
                out.push(' ');
                width += 1;
            }
        }
        out.push_str(text);
        width += len;
    }
    out.push('"');
    out
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    if printable_ascii(s) && !s.contains(['\\', '"']) {
        out.push_str(s);
    } else {
        for c in s.chars() {
            push_escaped(&mut out, c);
        }
    }
    out.push('"');
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\0' => out.push_str("\\0"),
        c if must_escape(c) => {
            let n = c as u32;
            if n <= 0xFF {
                out.push_str(&format!("\\x{n:02X}"));
            } else if n <= 0xFFFF {
                out.push_str(&format!("\\u{n:04X}"));
            } else {
                out.push_str(&format!("\\U{n:08X}"));
            }
        }
        c => out.push(c),
    }
}

/// Characters never written as themselves: C0 and C1 controls, DEL, line
/// and paragraph separators (line breaks in YAML 1.1), the byte order
/// mark, non-characters, and invisible formatting characters (zero-width
/// and bidirectional controls) that would hide what a file says.
fn must_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1F}'
        | '\u{7F}'..='\u{9F}'
        | '\u{AD}'
        | '\u{200B}'..='\u{200F}'
        | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{FFFE}'
        | '\u{FFFF}'
    ) || (c as u32 & 0xFFFE) == 0xFFFE
        || ('\u{FDD0}'..='\u{FDEF}').contains(&c)
        || ('\u{E0000}'..='\u{E007F}').contains(&c)
}

/// Scalars that YAML 1.1 or 1.2 reads as something other than a string
/// (case-insensitively, which also catches forms neither version has but
/// that some parser might).
const SPECIAL: &[&str] = &[
    "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", ".inf", "+.inf", "-.inf",
    ".nan", "<<", "=",
];

/// Whether `s` may be written as a plain scalar.
fn is_plain_safe(s: &str) -> bool {
    plain_width(s).is_some()
}

/// The width of `s` ([`width`]) when it may be written as a plain scalar.
fn plain_width(s: &str) -> Option<usize> {
    let first = s.chars().next()?;
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return None;
    }
    // `...` and `---` at the start of a line end or start a document.
    if s.starts_with(' ') || s.ends_with(' ') || s.ends_with(':') || s.starts_with("...") {
        return None;
    }
    // `: ` and ` #` (a mapping, a comment), and whether anything needs a
    // closer look, in one pass.
    let b = s.as_bytes();
    let mut ascii = true;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b':' if b.get(i + 1) == Some(&b' ') => return None,
            b' ' if b.get(i + 1) == Some(&b'#') => return None,
            0x20..=0x7E => {}
            _ => ascii = false,
        }
    }
    if !ascii && s.chars().any(must_escape) {
        return None;
    }
    // (No special word is longer than 5 bytes: compared without copying.)
    if s.len() <= 5 && SPECIAL.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return None;
    }
    if looks_numeric(s) {
        return None;
    }
    Some(if ascii { s.len() } else { s.chars().count() })
}

/// Anything that a YAML 1.1 or 1.2 resolver might read as a number (or a
/// timestamp): an optional sign, then a digit or `.`, then only
/// characters of numbers in any base, exponents, `_`, `:` (sexagesimal),
/// and `-`, `t`, `z` and spaces (timestamps). Over-approximates on purpose
/// (`1.2.3` is quoted).
fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let Some(first) = body.chars().next() else {
        return false;
    };
    if !(first.is_ascii_digit() || first == '.') {
        return false;
    }
    if first == '.' && !body[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    body.chars()
        .all(|c| c.is_ascii_hexdigit() || "xXoO_.:+-tTzZ ".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The folding as first written, one character at a time: the
    /// reference for [`folded`].
    fn folded_reference(s: &str, col: usize, cont: usize) -> String {
        let chars: Vec<char> = s.chars().collect();
        let mut words: Vec<String> = vec![String::new()];
        for (i, &c) in chars.iter().enumerate() {
            let breakable = c == ' '
                && i > 0
                && i + 1 < chars.len()
                && !chars[i - 1].is_whitespace()
                && !chars[i + 1].is_whitespace();
            if breakable {
                words.push(String::new());
            } else {
                push_escaped(words.last_mut().expect("one word"), c);
            }
        }
        let mut out = String::from("\"");
        let mut width = col + 1;
        for (i, w) in words.iter().enumerate() {
            let len = w.chars().count();
            let closing = usize::from(i + 1 == words.len());
            if i > 0 {
                if width + 1 + len + closing > WIDTH {
                    out.push('\n');
                    pad(&mut out, cont);
                    width = cont;
                } else {
                    out.push(' ');
                    width += 1;
                }
            }
            out.push_str(w);
            width += len;
        }
        out.push('"');
        out
    }

    #[test]
    fn folding_is_that_of_the_reference() {
        let pieces = [
            "word",
            " ",
            "  ",
            "é",
            "\u{a0}",
            "\t",
            "\"",
            "\\",
            "\u{200b}",
            "longerword",
            "x",
            "\n",
            "ünïcödé",
            "-",
            "\u{3000}",
        ];
        let mut seed = 7u64;
        for _ in 0..3000 {
            let mut s = String::new();
            let n = (seed % 40) as usize;
            for _ in 0..n {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            for (col, cont) in [(0, 2), (10, 4), (79, 6), (90, 8)] {
                assert_eq!(
                    folded(&s, col, cont),
                    folded_reference(&s, col, cont),
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn entries_written_by_hand_are_those_of_the_tree() {
        let long =
            "a long value with spaces that goes well past the eighty columns of the line limit";
        let key = "k".repeat(MAX_IMPLICIT_KEY + 1);
        let doc = json!({
            "top": {
                "plain": "x",
                "quoted": "yes",
                "folded": long,
                key.as_str(): "v",
                "n": 8080,
                "empty": {},
                "items": [{"first": long, "second": "on"}, {"port": 1}],
            }
        });
        let mut out = String::new();
        push_block_key(&mut out, At::Line(0), "top");
        push_str_entry(&mut out, At::Line(2), "plain", "x");
        push_str_entry(&mut out, At::Line(2), "quoted", "yes");
        push_str_entry(&mut out, At::Line(2), "folded", long);
        push_str_entry(&mut out, At::Line(2), &key, "v");
        push_raw_entry(&mut out, At::Line(2), "n", "8080");
        push_raw_entry(&mut out, At::Line(2), "empty", "{}");
        push_block_key(&mut out, At::Line(2), "items");
        push_indent(&mut out, 4);
        out.push_str("- ");
        push_str_entry(&mut out, At::AfterDash(6), "first", long);
        push_str_entry(&mut out, At::Line(6), "second", "on");
        push_indent(&mut out, 4);
        out.push_str("- ");
        push_raw_entry(&mut out, At::AfterDash(6), "port", "1");
        assert_eq!(out, to_string(&doc));
    }

    fn reads_back(v: &Value) {
        let text = to_string(v);
        let back: Value = serde_yaml_ng::from_str(&text)
            .unwrap_or_else(|e| panic!("does not parse: {e}\n{text}"));
        assert_eq!(&back, v, "round trip of\n{text}");
    }

    /// Strings that YAML 1.1 (Helm) or 1.2 would read as non-strings, or
    /// that break the syntax when plain.
    const HOSTILE: &[&str] = &[
        "",
        " ",
        " lead",
        "trail ",
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "null",
        "Null",
        "NULL",
        "~",
        ".inf",
        "-.inf",
        "+.inf",
        ".Inf",
        ".nan",
        ".NaN",
        "0",
        "-1",
        "+1",
        "007",
        "0o17",
        "017",
        "0x1F",
        "0b101",
        "1e3",
        "1E-3",
        "1.5",
        ".5",
        "1_000",
        "1:20",
        "1:20.5",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "2001-12-14T21:59:43Z",
        "1.2.3",
        "- item",
        "-",
        "?",
        "? x",
        ":",
        ":x",
        ",",
        "[a]",
        "]",
        "{a: 1}",
        "}",
        "#c",
        "&a",
        "*a",
        "!tag",
        "|",
        ">",
        "'q'",
        "\"q\"",
        "%x",
        "@x",
        "`x`",
        "a: b",
        "a #b",
        "a:",
        "<<",
        "=",
        "line\nbreak",
        "tab\there",
        "cr\rhere",
        "nul\0",
        "bell\u{7}",
        "del\u{7f}",
        "nel\u{85}",
        "ls\u{2028}",
        "bom\u{feff}",
        "zw\u{200b}",
        "rlo\u{202e}",
        "---",
        "...",
        "%{x}",
    ];

    /// Strings that look tricky but are fine plain.
    const PLAIN_TRICKY: &[&str] = &["\\back", "quote\"inside", "${x}", "a'b", "C:\\dir", "50%"];

    #[test]
    fn hostile_strings_are_quoted() {
        for s in HOSTILE {
            let out = scalar(s);
            assert!(
                out.starts_with('"') && out.ends_with('"'),
                "{s:?} must be quoted, got {out}"
            );
            assert!(
                !out[1..out.len() - 1].contains('\n'),
                "{s:?} stays on one line"
            );
        }
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        for s in [
            "hello",
            "20Gi",
            "500m",
            "1h",
            "3min",
            "KubernetesExecutor",
            "a b",
            "a:b",
            "a#b",
            "https://example.com/x?y=1",
            "é",
            "s3://bucket/key",
            "metadb-rw.demo.svc",
            "app.kubernetes.io/name",
            "yess",
            "nope",
            "+",
            "a-b",
            ".",
            "v1.2.3",
        ] {
            assert_eq!(scalar(s), s, "{s:?} can be plain");
        }
    }

    #[test]
    fn escapes_are_yaml_escapes() {
        assert_eq!(scalar("a\nb\tc\"d\\"), r#""a\nb\tc\"d\\""#);
        assert_eq!(scalar("x\u{7}"), r#""x\x07""#);
        assert_eq!(scalar("x\u{202e}"), r#""x\u202E""#);
        assert_eq!(scalar("x\u{E0001}"), r#""x\U000E0001""#);
        assert_eq!(comment_text("a\nb"), "a\\nb");
    }

    #[test]
    fn hostile_strings_read_back_as_themselves() {
        let mut m = serde_json::Map::new();
        for s in HOSTILE.iter().chain(PLAIN_TRICKY) {
            m.insert((*s).to_string(), Value::String((*s).to_string()));
        }
        let v = Value::Object(m);
        reads_back(&v);
        reads_back(&json!({"list": HOSTILE, "plain": PLAIN_TRICKY}));
        for s in PLAIN_TRICKY {
            assert_eq!(scalar(s), *s);
        }
    }

    #[test]
    fn nested_values_read_back() {
        let v = json!({
            "replicaCount": 2,
            "ratio": 0.5,
            "whole": 3.0,
            "big": 1e300,
            "tiny": 1e-7,
            "neg": -4,
            "u": u64::MAX,
            "enabled": true,
            "nothing": null,
            "empty_map": {},
            "empty_list": [],
            "env": [
                {"name": "A", "value": "yes"},
                {"name": "B", "value": {"nested": [1, 2]}},
                {},
                [],
                [[1, 2], [], {"k": "v"}],
                "plain",
            ],
            "a.b": {"c/d": {"e": [{"f": [{"g": 1}]}]}},
            "podLabels": {"app.kubernetes.io/tier": "web"},
        });
        reads_back(&v);
        reads_back(&json!({}));
        reads_back(&json!([]));
        reads_back(&json!([1, {"a": [2]}]));
        reads_back(&json!("yes"));
        reads_back(&json!(null));
    }

    #[test]
    fn long_keys_become_explicit_keys() {
        let long = "k".repeat(1500);
        let v = json!({ long.clone(): {"a": 1}, "list": [{ long: 2 }] });
        let text = to_string(&v);
        assert!(text.starts_with("? "));
        reads_back(&v);
    }

    #[test]
    fn long_strings_fold_within_the_width_and_read_back() {
        let sentence = "the quick brown fox jumps over the lazy dog ".repeat(6);
        let odd =
            "two  spaces and\ttabs and a very long word ".repeat(5) + &"x".repeat(120) + " end ";
        let v = json!({
            "description": sentence.trim_end(),
            "spaced": sentence,
            "odd": odd,
            "nested": {"deeper": {"list": [sentence.trim_end(), {"k": odd}]}},
        });
        let text = to_string(&v);
        for line in text.lines() {
            let long_word = line.trim().split(' ').any(|w| w.chars().count() > 40);
            assert!(
                line.chars().count() <= WIDTH || long_word,
                "too long: {line}"
            );
        }
        reads_back(&v);
    }

    #[test]
    fn block_style_snapshot() {
        let v = json!({
            "image": {"repository": "nginx", "tag": "1.25"},
            "replicaCount": 3,
            "ratio": 1.0,
            "country": "NO",
            "version": "1.10",
            "env": [
                {"name": "MODE", "value": "on"},
                {"name": "EMPTY", "value": ""},
            ],
            "matrix": [[1, 2], ["a"]],
            "annotations": {},
            "args": [],
            "script": "echo hi\nexit 0\n",
            "nothing": null,
        });
        insta::assert_snapshot!(to_string(&v));
    }
}
