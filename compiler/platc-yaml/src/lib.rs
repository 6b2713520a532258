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

use std::borrow::Cow;

use serde_json::Value;

pub mod bytes;

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
///
/// A map's or list's children are given by an iterator of the tree's own,
/// so that writing a node allocates nothing.
pub trait Tree<'a>: Copy {
    /// The entries of a map node that are written, in order: a tree may
    /// leave some out (as JSON conversion would).
    type Entries: Iterator<Item = (&'a str, Self)>;
    /// The items of a list node that are written, in order.
    type Items: Iterator<Item = Self>;
    /// This node.
    fn node(self) -> Node<'a, Self>;
    /// For a map or list node held in several places of the trees being
    /// written (one node, not equal ones): an identity it shares with no
    /// other node while the trees live (its address), so that its text,
    /// which depends only on the node and where it is written, may be
    /// written once and copied again ([`SharedTexts`]). `None` (the
    /// default) for any other node.
    #[inline]
    fn shared(self) -> Option<usize> {
        None
    }
}

/// One node of a [`Tree`].
pub enum Node<'a, T: Tree<'a>> {
    Null,
    Bool(bool),
    /// An integer, written in decimal.
    Int(i64),
    /// A number, as YAML text (`3`, `2.5`, `1.0`).
    Number(Cow<'a, str>),
    Str(Cow<'a, str>),
    Map(T::Entries),
    Seq(T::Items),
}

impl<'a, T: Tree<'a>> Node<'a, T> {
    /// The same node as a node of another tree, whose entries and items
    /// wrap this one's (to wrap one tree's nodes in a tree of one's own).
    pub fn wrap<U: Tree<'a>>(
        self,
        entries: impl FnOnce(T::Entries) -> U::Entries,
        items: impl FnOnce(T::Items) -> U::Items,
    ) -> Node<'a, U> {
        match self {
            Node::Null => Node::Null,
            Node::Bool(b) => Node::Bool(b),
            Node::Int(i) => Node::Int(i),
            Node::Number(n) => Node::Number(n),
            Node::Str(s) => Node::Str(s),
            Node::Map(m) => Node::Map(entries(m)),
            Node::Seq(s) => Node::Seq(items(s)),
        }
    }
}

/// The entries of a JSON object, as a [`Tree`]'s.
pub struct JsonEntries<'a>(serde_json::map::Iter<'a>);

impl<'a> Iterator for JsonEntries<'a> {
    type Item = (&'a str, &'a Value);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k.as_str(), v))
    }
}

impl<'a> Tree<'a> for &'a Value {
    type Entries = JsonEntries<'a>;
    type Items = std::slice::Iter<'a, Value>;
    fn node(self) -> Node<'a, Self> {
        match self {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Node::Int(i),
                None => Node::Number(number(n).into()),
            },
            Value::String(s) => Node::Str(s.as_str().into()),
            Value::Object(m) => Node::Map(JsonEntries(m.iter())),
            Value::Array(a) => Node::Seq(a.iter()),
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
    write_tree_beside(out, v, &mut ());
}

/// What is written beside a tree's YAML, in the same walk: told of every
/// node as the writer meets it, in the document's order (a map's entries,
/// a list's items, each leaf), so that a second text of the same tree
/// (its JSON) is written without walking the tree again.
///
/// Every value inside a map follows [`Beside::key`]; every value inside a
/// list follows [`Beside::item`]. A leaf is any node but a map or list.
pub trait Beside<'a, T: Tree<'a>> {
    fn open_map(&mut self);
    /// The key of the next entry of the innermost map (`first`: its first).
    /// `inert`: the writer knows the key to be [`bytes::inert`] text (it
    /// looked the key up for its own text); `false` when it does not know.
    fn key(&mut self, k: &'a str, first: bool, inert: bool);
    fn close_map(&mut self);
    fn open_seq(&mut self);
    /// The next item of the innermost list (`first`: its first).
    fn item(&mut self, first: bool);
    fn close_seq(&mut self);
    /// A leaf: its handle, and its node as the YAML writer has it;
    /// `inert` as for [`Beside::key`], of a string leaf's text.
    fn leaf(&mut self, v: T, node: &Node<'a, T>, inert: bool);

    /// Whether the writer asks this beside for the texts of shared nodes
    /// ([`Tree::shared`]) with [`Beside::recall`] and gives them to it
    /// with [`Beside::remember`]: false (the default), it never does.
    const REMEMBERS: bool = false;
    /// The texts of the shared node at `at`, when remembered: its YAML
    /// appended to `out`, and what was written beside it written again
    /// (the writer then writes nothing more of it, and tells nothing of
    /// its nodes). False when not remembered.
    #[inline]
    fn recall(&mut self, _at: Place, _out: &mut String) -> bool {
        false
    }
    /// Where the text written beside is (its length so far): what
    /// [`Beside::remember`] is given back.
    #[inline]
    fn mark(&self) -> usize {
        0
    }
    /// The texts of the shared node at `at`, just written: its YAML, and
    /// what was written beside since `mark`.
    #[inline]
    fn remember(&mut self, _at: Place, _yaml: &str, _mark: usize) {}
    /// Whether what is written beside leaf `v` (a scalar, `node`) is a
    /// function of its node alone, so that an entry of it may be written
    /// again as it was ([`Beside::recall_line`]). True by default.
    #[inline]
    fn fixed_leaf(&self, _v: T, _node: &Node<'a, T>) -> bool {
        true
    }
    /// As [`Beside::recall`], for an entry whose value is a scalar: its
    /// key and value as written before at the same place, from the key to
    /// the line's end.
    #[inline]
    fn recall_line(&mut self, _line: &Line, _out: &mut String) -> bool {
        false
    }
    /// As [`Beside::remember`], for an entry whose value is a scalar.
    #[inline]
    fn remember_line(&mut self, _line: &Line, _yaml: &str, _mark: usize) {}
}

/// An entry of a block map whose value is a scalar, as a [`SharedTexts`]
/// remembers it: where it is written (its indent, whether it is its map's
/// first), its key and its value (a kind, and its bytes), by content: a
/// key and value of up to [`LINE_TEXT_LONGEST`] bytes each are their
/// lengths and four words each ([`text_words`]).
pub struct Line {
    /// The indent, the first flag, the value's kind, and the lengths.
    meta: u64,
    key: [u64; 4],
    value: [u64; 4],
    hash: u64,
}

impl Line {
    #[inline]
    fn new(indent: usize, first: bool, key: &[u8], kind: u8, value: &[u8]) -> Option<Self> {
        if key.len() > LINE_TEXT_LONGEST || value.len() > LINE_TEXT_LONGEST {
            return None;
        }
        let meta = (indent as u64) << 48
            | (key.len() as u64) << 32
            | (value.len() as u64) << 16
            | u64::from(first) << 8
            | u64::from(kind);
        let (key, value) = (text_words(key), text_words(value));
        let hash = (meta ^ key[0] ^ key[3].rotate_left(19)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (value[0] ^ value[1].rotate_left(29)).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        Some(Line {
            meta,
            key,
            value,
            hash,
        })
    }

    /// Whether `slot` remembers this line.
    #[inline]
    fn is(&self, slot: &LineSlot) -> bool {
        ((slot.meta ^ self.meta)
            | (slot.key[0] ^ self.key[0])
            | (slot.key[1] ^ self.key[1])
            | (slot.key[2] ^ self.key[2])
            | (slot.key[3] ^ self.key[3])
            | (slot.value[0] ^ self.value[0])
            | (slot.value[1] ^ self.value[1])
            | (slot.value[2] ^ self.value[2])
            | (slot.value[3] ^ self.value[3]))
            == 0
    }
}

/// Four words that, with its length, are a text of up to
/// [`LINE_TEXT_LONGEST`] bytes: as [`bytes::short_key`] and
/// [`bytes::long_key`] take them.
#[inline]
fn text_words(b: &[u8]) -> [u64; 4] {
    let n = b.len();
    if n > bytes::MEMO_MAX {
        [
            bytes::word(b, 0),
            bytes::word(b, 8),
            bytes::word(b, n - 16),
            bytes::word(b, n - 8),
        ]
    } else if n >= 8 {
        [bytes::word(b, 0), bytes::word(b, n - 8), 0, 0]
    } else if n > 0 {
        [bytes::short_key(b).map_or(0, |(lo, _)| lo), 0, 0, 0]
    } else {
        [0; 4]
    }
}

/// One remembered [`Line`], and where its texts are.
#[derive(Clone, Copy, Default)]
struct LineSlot {
    meta: u64,
    key: [u64; 4],
    value: [u64; 4],
    text: u32,
    yaml: u32,
    beside: u32,
}

/// How many lines a [`SharedTexts`] holds (a power of two): each in the
/// place its hash gives.
const LINE_SLOTS: usize = 4096;

/// The most bytes of texts a [`SharedTexts`] keeps for its lines; past it
/// they are forgotten, and remembered anew.
const LINE_TEXT_MAX: usize = 1 << 24;

/// Where a shared node ([`Tree::shared`]) is written, which with its
/// identity decides its text: the value of a map's entry or an item of a
/// list, at an indent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Place {
    id: usize,
    /// The indent, times two, plus one for a list's item.
    at: usize,
}

/// The texts of shared nodes ([`Tree::shared`]), by [`Place`]: their YAML
/// and what was written beside them, in two texts of their own (no
/// string per node). For the trees of one run: an identity is an address,
/// which another node may take once the first is gone. One store serves
/// one kind of [`Beside`].
#[derive(Default)]
pub struct SharedTexts {
    at: std::collections::HashMap<Place, [u32; 4], BuildPlace>,
    yaml: String,
    beside: String,
    /// The lines ([`Line`]), by their hash: compared by content, so that
    /// they hold whatever run wrote them. (Empty until the first.)
    lines: Vec<LineSlot>,
    /// Their YAML and what was written beside them.
    line_texts: String,
}

impl SharedTexts {
    /// Forgets every text.
    pub fn clear(&mut self) {
        self.at.clear();
        self.yaml.clear();
        self.beside.clear();
        self.clear_lines();
    }

    fn clear_lines(&mut self) {
        self.lines.clear();
        self.line_texts.clear();
    }

    /// Writes the texts remembered at `at`: the YAML to `out`, the text
    /// beside to `beside` (when there is one). False when none is.
    #[inline]
    pub fn recall(&self, at: Place, out: &mut String, beside: Option<&mut String>) -> bool {
        match self.at.get(&at) {
            Some(&[y0, y1, b0, b1]) => {
                out.push_str(&self.yaml[y0 as usize..y1 as usize]);
                if let Some(beside) = beside {
                    beside.push_str(&self.beside[b0 as usize..b1 as usize]);
                }
                true
            }
            None => false,
        }
    }

    /// Remembers the texts at `at`. (Texts beyond 4 GB in all are not
    /// remembered.)
    pub fn remember(&mut self, at: Place, yaml: &str, beside: &str) {
        let (Ok(y), Ok(b)) = (
            u32::try_from(self.yaml.len() + yaml.len()),
            u32::try_from(self.beside.len() + beside.len()),
        ) else {
            return;
        };
        let ends = [self.yaml.len() as u32, y, self.beside.len() as u32, b];
        self.yaml.push_str(yaml);
        self.beside.push_str(beside);
        self.at.insert(at, ends);
    }

    /// Writes the texts of `line` when remembered: the YAML to `out`, the
    /// text beside to `beside` (when there is one). False when not.
    #[inline]
    pub fn recall_line(&self, line: &Line, out: &mut String, beside: Option<&mut String>) -> bool {
        let Some(slot) = self
            .lines
            .get((line.hash >> 52) as usize & (LINE_SLOTS - 1))
        else {
            return false;
        };
        if !line.is(slot) {
            return false;
        }
        let (t, y) = (slot.text as usize, slot.yaml as usize);
        out.push_str(&self.line_texts[t..t + y]);
        if let Some(beside) = beside {
            beside.push_str(&self.line_texts[t + y..t + y + slot.beside as usize]);
        }
        true
    }

    /// Remembers the texts of `line` (in the place of any other line of
    /// its hash).
    pub fn remember_line(&mut self, line: &Line, yaml: &str, beside: &str) {
        if self.line_texts.len() + yaml.len() + beside.len() > LINE_TEXT_MAX {
            self.clear_lines();
        }
        if self.lines.is_empty() {
            self.lines = vec![LineSlot::default(); LINE_SLOTS];
        }
        let slot = LineSlot {
            meta: line.meta,
            key: line.key,
            value: line.value,
            text: self.line_texts.len() as u32,
            yaml: yaml.len() as u32,
            beside: beside.len() as u32,
        };
        self.line_texts.push_str(yaml);
        self.line_texts.push_str(beside);
        self.lines[(line.hash >> 52) as usize & (LINE_SLOTS - 1)] = slot;
    }
}

/// The hash of a [`Place`]: its two words mixed by a multiplication
/// (addresses and indents, nothing from outside the program).
#[derive(Clone, Copy, Default)]
struct BuildPlace;

impl std::hash::BuildHasher for BuildPlace {
    type Hasher = PlaceHasher;
    fn build_hasher(&self) -> PlaceHasher {
        PlaceHasher(0)
    }
}

#[derive(Clone, Copy)]
struct PlaceHasher(u64);

impl std::hash::Hasher for PlaceHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(26) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Nothing beside, and the texts of shared nodes remembered: the YAML
/// alone, each shared node's written once.
pub struct Remember<'s>(pub &'s mut SharedTexts);

impl<'a, T: Tree<'a>> Beside<'a, T> for Remember<'_> {
    #[inline(always)]
    fn open_map(&mut self) {}
    #[inline(always)]
    fn key(&mut self, _: &'a str, _: bool, _: bool) {}
    #[inline(always)]
    fn close_map(&mut self) {}
    #[inline(always)]
    fn open_seq(&mut self) {}
    #[inline(always)]
    fn item(&mut self, _: bool) {}
    #[inline(always)]
    fn close_seq(&mut self) {}
    #[inline(always)]
    fn leaf(&mut self, _: T, _: &Node<'a, T>, _: bool) {}
    const REMEMBERS: bool = true;
    #[inline]
    fn recall(&mut self, at: Place, out: &mut String) -> bool {
        self.0.recall(at, out, None)
    }
    #[inline]
    fn remember(&mut self, at: Place, yaml: &str, _: usize) {
        self.0.remember(at, yaml, "");
    }
    #[inline]
    fn recall_line(&mut self, line: &Line, out: &mut String) -> bool {
        self.0.recall_line(line, out, None)
    }
    #[inline]
    fn remember_line(&mut self, line: &Line, yaml: &str, _: usize) {
        self.0.remember_line(line, yaml, "");
    }
}

/// Nothing beside: the YAML alone.
impl<'a, T: Tree<'a>> Beside<'a, T> for () {
    #[inline(always)]
    fn open_map(&mut self) {}
    #[inline(always)]
    fn key(&mut self, _: &'a str, _: bool, _: bool) {}
    #[inline(always)]
    fn close_map(&mut self) {}
    #[inline(always)]
    fn open_seq(&mut self) {}
    #[inline(always)]
    fn item(&mut self, _: bool) {}
    #[inline(always)]
    fn close_seq(&mut self) {}
    #[inline(always)]
    fn leaf(&mut self, _: T, _: &Node<'a, T>, _: bool) {}
}

/// Appends the YAML document of any [`Tree`], ending in a newline, to
/// `out`, and tells `beside` of every node on the way ([`Beside`]).
pub fn write_tree_beside<'a, T: Tree<'a>, B: Beside<'a, T>>(
    out: &mut String,
    v: T,
    beside: &mut B,
) {
    match v.node() {
        Node::Map(mut entries) => {
            beside.open_map();
            match entries.next() {
                Some(first) => write_map(out, first, entries, 0, false, beside),
                None => out.push_str("{}\n"),
            }
            beside.close_map();
        }
        Node::Seq(mut items) => {
            beside.open_seq();
            match items.next() {
                Some(first) => write_seq(out, first, items, 0, false, beside),
                None => out.push_str("[]\n"),
            }
            beside.close_seq();
        }
        n => {
            let inert = push_inline(out, &n, 0, 2);
            beside.leaf(v, &n, inert);
            out.push('\n');
        }
    }
}

/// The YAML document of a map given by its entries, ending in a newline.
pub fn map_to_string<'a, T: Tree<'a>>(entries: impl IntoIterator<Item = (&'a str, T)>) -> String {
    let mut out = String::new();
    write_map_document(&mut out, entries);
    out
}

/// Appends the YAML document of a map given by its entries, ending in a
/// newline, to `out`.
pub fn write_map_document<'a, T: Tree<'a>>(
    out: &mut String,
    entries: impl IntoIterator<Item = (&'a str, T)>,
) {
    write_map_document_beside(out, entries, &mut ());
}

/// [`write_map_document`], telling `beside` of every node on the way
/// ([`Beside`]).
pub fn write_map_document_beside<'a, T: Tree<'a>, B: Beside<'a, T>>(
    out: &mut String,
    entries: impl IntoIterator<Item = (&'a str, T)>,
    beside: &mut B,
) {
    let mut entries = entries.into_iter();
    beside.open_map();
    match entries.next() {
        Some(first) => write_map(out, first, entries, 0, false, beside),
        None => out.push_str("{}\n"),
    }
    beside.close_map();
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
    let mut out = String::with_capacity(s.len() + 2);
    push_scalar(&mut out, s);
    out
}

/// Text safe to put after `# ` in a comment: line breaks, control and
/// invisible characters are shown as escapes, so a comment stays one line.
pub fn comment_text(s: &str) -> String {
    let mut out = String::new();
    push_comment_text(&mut out, s);
    out
}

/// Writes `s` as [`comment_text`] gives it. Text of printable ASCII (nearly
/// all) is copied as it is, after one test a word at a time.
pub fn push_comment_text(out: &mut String, s: &str) {
    if bytes::none(s.as_bytes(), bytes::unprintable) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if must_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    push_spaces(out, indent);
}

/// Writes `n` spaces. The indents written are even and short: each of
/// those up to 32 is a text of a length known where it is pushed (a
/// store, not a call to fill memory); others are copied a run at a time
/// ([`push_spaces_runs`]).
#[inline]
pub fn push_spaces(out: &mut String, n: usize) {
    match n {
        0 => {}
        2 => out.push_str("  "),
        4 => out.push_str("    "),
        6 => out.push_str("      "),
        8 => out.push_str("        "),
        10 => out.push_str("          "),
        12 => out.push_str("            "),
        14 => out.push_str("              "),
        16 => out.push_str("                "),
        18 => out.push_str("                  "),
        20 => out.push_str("                    "),
        22 => out.push_str("                      "),
        24 => out.push_str("                        "),
        26 => out.push_str("                          "),
        28 => out.push_str("                            "),
        30 => out.push_str("                              "),
        32 => out.push_str("                                "),
        _ => push_spaces_runs(out, n),
    }
}

/// [`push_spaces`] a run at a time.
#[inline(never)]
fn push_spaces_runs(out: &mut String, count: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = count;
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

/// Writes `s` as a scalar ([`scalar`]); returns its width.
fn push_scalar(out: &mut String, s: &str) -> usize {
    if let Some(w) = plain_width(s) {
        out.push_str(s);
        w
    } else {
        push_double_quoted(out, s)
    }
}

/// Writes `i` in decimal, as `i64`'s `Display` does, without formatting
/// machinery.
pub fn push_int(out: &mut String, i: i64) {
    let mut digits = [0u8; 20];
    let mut n = i.unsigned_abs();
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
}

/// Scalars and empty collections. `col` is the column where the value
/// starts; a long string with spaces folds onto lines indented by `cont`.
/// Returns whether a string is known to be [`bytes::inert`].
fn push_inline<'a, T: Tree<'a>>(
    out: &mut String,
    v: &Node<'a, T>,
    col: usize,
    cont: usize,
) -> bool {
    match v {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(i) => push_int(out, *i),
        Node::Number(n) => out.push_str(n),
        Node::Str(s) => return push_string_value(out, s, col, cont),
        Node::Map(_) => out.push_str("{}"),
        Node::Seq(_) => out.push_str("[]"),
    }
    false
}

/// Writes a string value starting at column `col`, folded onto lines
/// indented by `cont` when long; returns whether it is known to be
/// [`bytes::inert`].
fn push_string_value(out: &mut String, s: &str, col: usize, cont: usize) -> bool {
    let look = look(s);
    if let Some(w) = look.plain {
        if col + w <= WIDTH || !s.contains(' ') {
            out.push_str(s);
            return look.inert;
        }
    } else if col + 2 + width(s) > WIDTH && s.contains(' ') {
        // Too wide for its line whatever its escapes (each character is
        // at least one column): folded, not written whole first.
        push_folded(out, s, col, cont);
        return look.inert;
    } else {
        // Written, and taken back when it must fold.
        let start = out.len();
        let w = push_double_quoted(out, s);
        if col + w <= WIDTH || !s.contains(' ') {
            return look.inert;
        }
        out.truncate(start);
    }
    push_folded(out, s, col, cont);
    look.inert
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

/// Writes a non-empty block map, its entries `first` and then `rest`, at
/// `indent`; with `first_inline`, the first entry follows the `- ` of a
/// list item the caller wrote.
fn write_map<'a, T: Tree<'a>, B: Beside<'a, T>>(
    out: &mut String,
    first: (&'a str, T),
    rest: impl Iterator<Item = (&'a str, T)>,
    indent: usize,
    first_inline: bool,
    beside: &mut B,
) {
    write_entry(out, first, true, indent, !first_inline, beside);
    for entry in rest {
        write_entry(out, entry, false, indent, true, beside);
    }
}

/// Writes one entry of a block map at `indent` (after padding to it when
/// `padded`), its value on the same line or as a block below (`first`:
/// the map's first entry).
fn write_entry<'a, T: Tree<'a>, B: Beside<'a, T>>(
    out: &mut String,
    (k, v): (&'a str, T),
    first: bool,
    indent: usize,
    padded: bool,
    beside: &mut B,
) {
    if padded {
        pad(out, indent);
    }
    let node = v.node();
    if B::REMEMBERS && !matches!(node, Node::Map(_) | Node::Seq(_)) {
        write_leaf_entry(out, k, v, node, first, indent, beside);
        return;
    }
    let (colon_col, inert) = push_key(out, k, indent);
    beside.key(k, first, inert);
    // A shared map or list: its text as written before at this place.
    let shared = match node {
        Node::Map(_) | Node::Seq(_) if B::REMEMBERS => {
            v.shared().map(|id| Place { id, at: indent * 2 })
        }
        _ => None,
    };
    let marks = match shared {
        Some(at) if beside.recall(at, out) => return,
        Some(_) => (out.len(), beside.mark()),
        None => (0, 0),
    };
    match node {
        Node::Map(mut inner) => {
            beside.open_map();
            match inner.next() {
                Some(first) => {
                    out.push('\n');
                    write_map(out, first, inner, indent + 2, false, beside);
                }
                None => out.push_str(" {}\n"),
            }
            beside.close_map();
        }
        Node::Seq(mut items) => {
            beside.open_seq();
            match items.next() {
                Some(first) => {
                    out.push('\n');
                    write_seq(out, first, items, indent + 2, false, beside);
                }
                None => out.push_str(" []\n"),
            }
            beside.close_seq();
        }
        n => {
            out.push(' ');
            let inert = push_inline(out, &n, colon_col + 1, indent + 2);
            beside.leaf(v, &n, inert);
            out.push('\n');
        }
    }
    if let Some(at) = shared {
        beside.remember(at, &out[marks.0..], marks.1);
    }
}

/// Writes an entry whose value is a scalar (`node`, of `v`), for a
/// beside that remembers: as it was written before at the same place
/// ([`Line`]), or written and remembered. The cursor is at `indent`.
#[inline(never)]
fn write_leaf_entry<'a, T: Tree<'a>, B: Beside<'a, T>>(
    out: &mut String,
    k: &'a str,
    v: T,
    node: Node<'a, T>,
    first: bool,
    indent: usize,
    beside: &mut B,
) {
    let int;
    let (kind, value): (u8, &[u8]) = match &node {
        Node::Str(s) => (b's', s.as_bytes()),
        Node::Int(i) => {
            int = i.to_le_bytes();
            (b'i', &int)
        }
        Node::Bool(b) => (b'b', if *b { b"t" } else { b"f" }),
        Node::Null => (b'n', b""),
        _ => (0, b""),
    };
    // (Long texts are seldom written twice.)
    let line = match kind != 0 && beside.fixed_leaf(v, &node) {
        true => Line::new(indent, first, k.as_bytes(), kind, value),
        false => None,
    };
    if let Some(line) = &line {
        if beside.recall_line(line, out) {
            return;
        }
    }
    let marks = (out.len(), beside.mark());
    let (colon_col, inert) = push_key(out, k, indent);
    beside.key(k, first, inert);
    out.push(' ');
    let inert = push_inline(out, &node, colon_col + 1, indent + 2);
    beside.leaf(v, &node, inert);
    out.push('\n');
    if let Some(line) = &line {
        beside.remember_line(line, &out[marks.0..], marks.1);
    }
}

/// The longest key or value of a [`Line`] remembered.
const LINE_TEXT_LONGEST: usize = bytes::LONG_MEMO_MAX;

/// Writes key `k` of a block map and its `:`, the cursor at the key's
/// column (`indent`); returns the column just after the `:`, and whether
/// the key is known to be [`bytes::inert`] (a short key, looked up).
fn push_key(out: &mut String, k: &str, indent: usize) -> (usize, bool) {
    // (No key of fewer bytes has more characters.)
    if k.len() > MAX_IMPLICIT_KEY && width(k) > MAX_IMPLICIT_KEY {
        out.push_str("? ");
        push_scalar(out, k);
        out.push('\n');
        pad(out, indent);
        out.push(':');
        (indent + 1, false)
    } else {
        let look = look_key(k);
        let w = match look.plain {
            Some(w) => {
                out.push_str(k);
                w
            }
            None => push_double_quoted(out, k),
        };
        out.push(':');
        (indent + w + 1, look.inert)
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
    let (colon_col, _) = push_key(out, key, indent);
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

/// Writes a non-empty block list, its items `first` and then `rest`, at
/// `indent`; with `first_inline`, the first item follows the `- ` of a
/// list item the caller wrote.
fn write_seq<'a, T: Tree<'a>, B: Beside<'a, T>>(
    out: &mut String,
    first: T,
    rest: impl Iterator<Item = T>,
    indent: usize,
    first_inline: bool,
    beside: &mut B,
) {
    beside.item(true);
    write_item(out, first, indent, !first_inline, beside);
    for item in rest {
        beside.item(false);
        write_item(out, item, indent, true, beside);
    }
}

/// Writes one item of a block list at `indent` (after padding to it when
/// `padded`): `- ` and the item, a map's or list's first entry on the
/// same line.
fn write_item<'a, T: Tree<'a>, B: Beside<'a, T>>(
    out: &mut String,
    item: T,
    indent: usize,
    padded: bool,
    beside: &mut B,
) {
    if padded {
        pad(out, indent);
    }
    out.push_str("- ");
    let node = item.node();
    // A shared map or list: its text as written before at this place.
    let shared = match node {
        Node::Map(_) | Node::Seq(_) if B::REMEMBERS => item.shared().map(|id| Place {
            id,
            at: indent * 2 + 1,
        }),
        _ => None,
    };
    let marks = match shared {
        Some(at) if beside.recall(at, out) => return,
        Some(_) => (out.len(), beside.mark()),
        None => (0, 0),
    };
    match node {
        Node::Map(mut m) => {
            beside.open_map();
            match m.next() {
                Some(first) => write_map(out, first, m, indent + 2, true, beside),
                None => out.push_str("{}\n"),
            }
            beside.close_map();
        }
        Node::Seq(mut items) => {
            beside.open_seq();
            match items.next() {
                Some(first) => write_seq(out, first, items, indent + 2, true, beside),
                None => out.push_str("[]\n"),
            }
            beside.close_seq();
        }
        n => {
            let inert = push_inline(out, &n, indent + 2, indent + 2);
            beside.leaf(item, &n, inert);
            out.push('\n');
        }
    }
    if let Some(at) = shared {
        beside.remember(at, &out[marks.0..], marks.1);
    }
}

/// A long string as a double-quoted scalar folded at single spaces: in a
/// double-quoted scalar a line break between two words reads as one space.
/// Only spaces with a non-space on both sides are used, so no whitespace
/// is lost to the folding.
#[cfg(test)]
fn folded(s: &str, col: usize, cont: usize) -> String {
    let mut out = String::new();
    push_folded(&mut out, s, col, cont);
    out
}

/// Writes `s` folded ([`folded`]) to `out`: word by word as the breaks are
/// found (no list of the words is made). ASCII (nearly all text that is
/// folded: descriptions, PromQL, scripts) is written a line at a time
/// ([`push_folded_ascii`]).
fn push_folded(out: &mut String, s: &str, col: usize, cont: usize) {
    out.reserve(s.len() + 2 + s.len() / WIDTH * (cont + 1));
    // A text written between quotes as it is (most) has no word that is
    // not: tested once, not word by word (each byte is judged on its own).
    if quotes_as_is(s) {
        push_folded_ascii::<AS_IS>(out, s, col, cont);
    } else if bytes::none(s.as_bytes(), bytes::unprintable) {
        push_folded_ascii::<SLASHED>(out, s, col, cont);
    } else if s.is_ascii() {
        push_folded_ascii::<ESCAPED>(out, s, col, cont);
    } else {
        push_folded_words(out, s, col, cont);
    }
}

/// What ASCII text [`push_folded_ascii`] writes: printable without `"` or
/// `\` (written as it is)...
const AS_IS: u8 = 0;
/// ... printable (a `\` before each `"` and `\`)...
const SLASHED: u8 = 1;
/// ... or any (with controls and DEL, escaped: `\n`, `\x01`).
const ESCAPED: u8 = 2;

/// How many columns more than one the escape of ASCII byte `c` takes
/// between double quotes ([`push_escaped`]), for a byte that is not
/// written as itself: `"`, `\`, a control or DEL.
#[inline]
fn escape_extra(c: u8) -> usize {
    match c {
        b'"' | b'\\' | b'\n' | b'\t' | b'\r' | 0 => 1,
        // `\xNN`.
        _ => 3,
    }
}

/// Whether ASCII byte `c` of text of the kind `MODE` says is whitespace
/// (`char::is_whitespace`): a space, a tab, a line break, a vertical tab,
/// a form feed or a carriage return; in printable text ([`AS_IS`],
/// [`SLASHED`]) only the space can be.
#[inline]
fn is_ascii_space<const MODE: u8>(c: u8) -> bool {
    if MODE == ESCAPED {
        matches!(c, b' ' | 0x09..=0x0D)
    } else {
        c == b' '
    }
}

/// [`push_folded`] of ASCII `s` (of the kind `MODE` says: [`AS_IS`],
/// [`SLASHED`], [`ESCAPED`]): a line may break at a space between two
/// bytes that are not whitespace; each word's width is its length and the
/// columns its escapes add ([`escape_extra`]). One pass finds the breaks
/// and counts those, eight bytes at a time between the bytes that matter;
/// each line is then copied whole (with its words and the spaces between
/// them), not word by word.
fn push_folded_ascii<const MODE: u8>(out: &mut String, s: &str, col: usize, cont: usize) {
    let b = s.as_bytes();
    out.push('"');
    let mut width = col + 1;
    // Where the current line starts in `s`, the current word, and the
    // columns the escapes of the word so far add.
    let mut line = 0;
    let mut start = 0;
    let mut slashes = 0;
    let mut i = 0;
    loop {
        let found = next_special::<MODE>(b, i);
        match found {
            Some(at) if b[at] != b' ' => {
                slashes += escape_extra(b[at]);
                i = at + 1;
                continue;
            }
            // A space where no line may break: inside the word.
            Some(at)
                if at == 0
                    || at + 1 == b.len()
                    || is_ascii_space::<MODE>(b[at - 1])
                    || is_ascii_space::<MODE>(b[at + 1]) =>
            {
                i = at + 1;
                continue;
            }
            _ => {}
        }
        // The word ends at a break, or is the last.
        let len = found.unwrap_or(b.len()) - start + slashes;
        let closing = usize::from(found.is_none());
        if start > 0 {
            if width + 1 + len + closing > WIDTH {
                // The line so far, without the space it breaks at.
                push_quoted_ascii::<MODE>(out, &s[line..start - 1]);
                out.push('\n');
                pad(out, cont);
                line = start;
                width = cont;
            } else {
                width += 1;
            }
        }
        width += len;
        match found {
            Some(at) => {
                start = at + 1;
                i = start;
                slashes = 0;
            }
            None => break,
        }
    }
    push_quoted_ascii::<MODE>(out, &s[line..]);
    out.push('"');
}

/// Writes ASCII `s` of the kind `MODE` says between double quotes: as it
/// is ([`AS_IS`]), with its `"` and `\` escaped ([`push_slashed`]), or
/// escaped in full ([`push_escaped_str`]).
#[inline]
fn push_quoted_ascii<const MODE: u8>(out: &mut String, s: &str) {
    match MODE {
        AS_IS => out.push_str(s),
        SLASHED => push_slashed(out, s),
        _ => push_escaped_str(out, s),
    }
}

/// The first byte of `b` at or after `from` that is a space or a byte not
/// written as itself in text of the kind `MODE` says (none for
/// [`AS_IS`]; `"` and `\`; those, controls and DEL): eight bytes at a
/// time.
#[inline]
fn next_special<const MODE: u8>(b: &[u8], from: usize) -> Option<usize> {
    let flag = |w: u64| {
        let space = bytes::equal(w, b' ');
        match MODE {
            AS_IS => space,
            SLASHED => space | bytes::equal(w, b'"') | bytes::equal(w, b'\\'),
            _ => space | escape_look(w),
        }
    };
    let mut i = from;
    while i + 8 <= b.len() {
        let found = flag(bytes::word(b, i));
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| match MODE {
            AS_IS => c == b' ',
            SLASHED => matches!(c, b' ' | b'"' | b'\\'),
            _ => matches!(c, b' ' | b'"' | b'\\' | 0..=0x1F | 0x7F),
        })
        .map(|k| i + k)
}

/// [`push_folded`] of any text, word by word.
fn push_folded_words(out: &mut String, s: &str, col: usize, cont: usize) {
    out.push('"');
    let mut width = col + 1;
    let mut start = 0;
    // A word with something to escape beyond `"` and `\`, escaped (made
    // when first needed, and reused).
    let mut escaped = String::new();
    loop {
        // The word: the text up to the next space where a line may break.
        let end = next_break(s, start);
        let w = &s[start..end.unwrap_or(s.len())];
        // How the word is written: as it is; printable ASCII with a `\`
        // before each `"` and `\` (a PromQL query's words), written so
        // straight to `out`, its width known from the count of them; or
        // escaped in full in `escaped`.
        let (len, slashes) = if bytes::none(w.as_bytes(), bytes::unprintable) {
            let slashes = count_slashed(w.as_bytes());
            (w.len() + slashes, slashes)
        } else {
            escaped.clear();
            escaped.reserve(w.len() + 16);
            push_escaped_str(&mut escaped, w);
            (crate::width(&escaped), usize::MAX)
        };
        let closing = usize::from(end.is_none());
        if start > 0 {
            if width + 1 + len + closing > WIDTH {
                out.push('\n');
                pad(out, cont);
                width = cont;
            } else {
                out.push(' ');
                width += 1;
            }
        }
        match slashes {
            0 => out.push_str(w),
            usize::MAX => out.push_str(&escaped),
            _ => push_slashed(out, w),
        }
        width += len;
        match end {
            Some(at) => start = at + 1,
            None => break,
        }
    }
    out.push('"');
}

/// How many bytes of `b` are `"` or `\`.
#[inline]
fn count_slashed(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'"' || c == b'\\').count()
}

/// Writes printable ASCII `w` escaped for a double-quoted scalar: a `\`
/// before each `"` and `\` (their escapes, [`push_escaped`]), the runs
/// between copied whole (each `"` or `\` starts the next run), passed
/// over eight bytes at a time.
fn push_slashed(out: &mut String, w: &str) {
    let b = w.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while let Some(at) = next_slashed(b, i) {
        out.push_str(&w[run..at]);
        out.push('\\');
        run = at;
        i = at + 1;
    }
    out.push_str(&w[run..]);
}

/// The first `"` or `\` of `b` at or after `from`: eight bytes at a time.
#[inline]
fn next_slashed(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 8 <= b.len() {
        let w = bytes::word(b, i);
        let found = bytes::equal(w, b'"') | bytes::equal(w, b'\\');
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|k| i + k)
}

/// The first space of `s` at or after `from` where a line may break: one
/// with a non-space character on both sides, so that no whitespace is
/// lost to the folding. (Words are short: their bytes are passed over in a
/// loop, not by a search that is set up anew for each word.)
fn next_break(s: &str, from: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = from;
    while let Some(found) = b[i..].iter().position(|&c| c == b' ') {
        let at = i + found;
        let before = s[..at].chars().next_back();
        let after = s[at + 1..].chars().next();
        if matches!((before, after), (Some(b), Some(a)) if !b.is_whitespace() && !a.is_whitespace())
        {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Writes `s` double-quoted, with escapes; returns the width written.
fn push_double_quoted(out: &mut String, s: &str) -> usize {
    if quotes_as_is(s) {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return s.len() + 2;
    }
    let start = out.len();
    out.push('"');
    push_escaped_str(out, s);
    out.push('"');
    width(&out[start..])
}

/// The bytes of `word` that a double-quoted scalar does not hold as they
/// are (see [`push_escaped`]), or that may start such a character (any
/// byte beyond ASCII), as a [`bytes`] flag.
fn escape_look(word: u64) -> u64 {
    bytes::unprintable(word) | bytes::equal(word, b'\\') | bytes::equal(word, b'"')
}

/// Whether `s` is written between double quotes as it is: printable
/// ASCII without `\` or `"`.
fn quotes_as_is(s: &str) -> bool {
    bytes::none(s.as_bytes(), escape_look)
}

/// Writes `s` with every character escaped as [`push_escaped`] does: the
/// runs of characters written as themselves are copied whole, passed over
/// eight bytes at a time.
fn push_escaped_str(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if i + 8 <= b.len() {
            let flag = escape_look(bytes::word(b, i));
            if flag == 0 {
                i += 8;
                continue;
            }
            // Straight to the first byte to look at.
            i += (flag.trailing_zeros() / 8) as usize;
        }
        let c = match b[i] {
            0x20..=0x7E if b[i] != b'\\' && b[i] != b'"' => {
                i += 1;
                continue;
            }
            0..=0x7F => char::from(b[i]),
            // A character beyond ASCII starts here (a byte at a boundary:
            // runs are passed over whole characters).
            _ => s[i..].chars().next().expect("a character"),
        };
        let len = c.len_utf8();
        if c.is_ascii() || must_escape(c) {
            out.push_str(&s[start..i]);
            push_escaped(out, c);
            start = i + len;
        }
        i += len;
    }
    out.push_str(&s[start..]);
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

/// Whether `s` is a scalar that YAML 1.1 or 1.2 reads as something other
/// than a string: `y`, `yes`, `n`, `no`, `true`, `false`, `on`, `off`,
/// `null`, `~`, `.inf`, `+.inf`, `-.inf`, `.nan`, `<<` or `=`, in any case
/// (which also catches forms neither version has but that some parser
/// might). Its lower-case bytes are matched against them all at once.
fn is_special(s: &[u8]) -> bool {
    let mut lower = [0u8; 5];
    // (No special word is longer than 5 bytes.)
    let Some(lower) = lower.get_mut(..s.len()) else {
        return false;
    };
    for (l, c) in lower.iter_mut().zip(s) {
        *l = c.to_ascii_lowercase();
    }
    matches!(
        &*lower,
        b"y" | b"yes"
            | b"n"
            | b"no"
            | b"true"
            | b"false"
            | b"on"
            | b"off"
            | b"null"
            | b"~"
            | b".inf"
            | b"+.inf"
            | b"-.inf"
            | b".nan"
            | b"<<"
            | b"="
    )
}

/// What the first byte of a text tells [`plain_width`], as bits: whether
/// it may not start a plain scalar at all ([`INDICATOR`]), may start one of
/// the special words ([`WORD`]), or a number or `...` ([`NUMBER`]). Most
/// texts start with a byte that is none of these, and are spared the
/// tests of the last two.
const INDICATOR: u8 = 1;
const WORD: u8 = 2;
const NUMBER: u8 = 4;

/// The [`INDICATOR`], [`WORD`] and [`NUMBER`] bits of each byte.
static FIRST: [u8; 256] = {
    let mut t = [0u8; 256];
    // YAML's indicators, and a space (lost to a reader).
    let indicators = b"-?:,[]{}#&*!|>'\"%@` ";
    let mut i = 0;
    while i < indicators.len() {
        t[indicators[i] as usize] |= INDICATOR;
        i += 1;
    }
    // The first bytes of the special words, in either case.
    let words = b"yYnNtTfFoO~.+-<=";
    let mut i = 0;
    while i < words.len() {
        t[words[i] as usize] |= WORD;
        i += 1;
    }
    // What a number (signed, or a fraction) or `...` starts with.
    let numbers = b"0123456789.+-";
    let mut i = 0;
    while i < numbers.len() {
        t[numbers[i] as usize] |= NUMBER;
        i += 1;
    }
    t
};

/// The width of `s` ([`width`]) when it may be written as a plain scalar.
/// Looks at bytes: every character it tests for is ASCII, and no byte of
/// a character beyond ASCII is. The first byte's [`FIRST`] bits tell which
/// tests can find anything; the rest is one test a word at a time. A
/// short text's answer is remembered ([`bytes::Memo`]): keys repeat.
fn plain_width(s: &str) -> Option<usize> {
    look(s).plain
}

/// What the writers need to know of a text: [`plain_width`], and whether
/// it is [`bytes::inert`] (known only for a short text, which is looked
/// up; `false` for a longer one, which is not tested for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Look {
    plain: Option<usize>,
    inert: bool,
}

/// The bit of a remembered [`Look`] that says it is inert; the bits
/// below it hold the plain width plus one (0: not plain).
const INERT: u32 = 1 << 8;

/// The [`Look`] of `s`. A short text's is remembered ([`bytes::Memo`]):
/// keys repeat, and their JSON is written beside their YAML.
#[inline]
fn look(s: &str) -> Look {
    thread_local! {
        static LOOKS: bytes::Memo = const { bytes::Memo::new() };
    }
    if s.len() > bytes::MEMO_MAX {
        return Look {
            plain: plain_width_of(s),
            inert: false,
        };
    }
    // (The bytes are those of `s`.)
    let found = LOOKS.with(|memo| memo.get(s.as_bytes(), |b| look_value(s, b)));
    Look {
        plain: ((found & (INERT - 1)) as usize).checked_sub(1),
        inert: found & INERT != 0,
    }
}

/// The [`Look`] of a map key: as [`look`], and a key of up to
/// [`bytes::LONG_MEMO_MAX`] bytes is remembered too ([`bytes::LongMemo`]),
/// with whether it is inert: few keys are that long, and they repeat by
/// the thousand (`app.kubernetes.io/managed-by`).
#[inline]
fn look_key(k: &str) -> Look {
    thread_local! {
        static LONG_LOOKS: bytes::LongMemo = const { bytes::LongMemo::new() };
    }
    if !(bytes::MEMO_MAX + 1..=bytes::LONG_MEMO_MAX).contains(&k.len()) {
        return look(k);
    }
    // (The bytes are those of `k`.)
    let found = LONG_LOOKS.with(|memo| memo.get(k.as_bytes(), |b| look_value(k, b)));
    Look {
        plain: ((found & (INERT - 1)) as usize).checked_sub(1),
        inert: found & INERT != 0,
    }
}

/// A [`Look`] of `s` (whose bytes are `b`) as a memo holds it: the plain
/// width plus one (0: not plain), and [`INERT`].
fn look_value(s: &str, b: &[u8]) -> u32 {
    let plain = plain_width_of(s).map_or(0, |w| w as u32 + 1);
    plain
        | if bytes::none(b, bytes::inert) {
            INERT
        } else {
            0
        }
}

/// [`plain_width`], found.
fn plain_width_of(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let (&first, &last) = (b.first()?, b.last()?);
    let class = FIRST[usize::from(first)];
    if class & INDICATOR != 0 || last == b' ' || last == b':' {
        return None;
    }
    // `: ` and ` #` (a mapping, a comment), and whether anything beyond
    // printable ASCII needs a closer look: nearly all text has none of
    // `:`, `#` or such bytes, and is tested a word at a time.
    let ascii = bytes::none(b, needs_look) || look_closer(b)?;
    if !ascii && s.chars().any(must_escape) {
        return None;
    }
    if class & WORD != 0 && is_special(b) {
        return None;
    }
    // `...` at the start of a line ends a document.
    if class & NUMBER != 0 && (b.starts_with(b"...") || looks_numeric(b)) {
        return None;
    }
    Some(if ascii { s.len() } else { s.chars().count() })
}

/// The bytes of `word` that are `:`, `#`, or not printable ASCII (a
/// control, DEL, or a byte of a character beyond ASCII), as a
/// [`bytes`] flag.
fn needs_look(word: u64) -> u64 {
    bytes::unprintable(word) | bytes::equal(word, b':') | bytes::equal(word, b'#')
}

/// For a text some byte of which [`needs_look`]: `None` when it holds `: `
/// or ` #` (a mapping, a comment), else whether it is all printable ASCII.
/// Eight bytes at a time while none needs a look.
fn look_closer(b: &[u8]) -> Option<bool> {
    let mut ascii = true;
    let mut i = 0;
    while i < b.len() {
        if i + 8 <= b.len() && needs_look(bytes::word(b, i)) == 0 {
            i += 8;
            continue;
        }
        let end = (i + 8).min(b.len());
        for j in i..end {
            match b[j] {
                b':' if b.get(j + 1) == Some(&b' ') => return None,
                b'#' if j > 0 && b[j - 1] == b' ' => return None,
                0x20..=0x7E => {}
                _ => ascii = false,
            }
        }
        i = end;
    }
    Some(ascii)
}

/// Anything that a YAML 1.1 or 1.2 resolver might read as a number (or a
/// timestamp): an optional sign, then a digit or `.`, then only
/// characters of numbers in any base, exponents, `_`, `:` (sexagesimal),
/// and `-`, `t`, `z` and spaces (timestamps). Over-approximates on purpose
/// (`1.2.3` is quoted). On the bytes of the text: every such character
/// is ASCII.
fn looks_numeric(s: &[u8]) -> bool {
    let body = match s {
        [b'+' | b'-', rest @ ..] => rest,
        _ => s,
    };
    match body {
        [b'.', next, ..] if next.is_ascii_digit() => {}
        [first, ..] if first.is_ascii_digit() => {}
        _ => return false,
    }
    body.iter().all(|&c| {
        c.is_ascii_hexdigit()
            || matches!(
                c,
                b'x' | b'X'
                    | b'o'
                    | b'O'
                    | b'_'
                    | b'.'
                    | b':'
                    | b'+'
                    | b'-'
                    | b't'
                    | b'T'
                    | b'z'
                    | b'Z'
                    | b' '
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` texts drawn from `pieces` by a fixed generator starting at
    /// `seed`: each of fewer than `max` pieces, a piece drawn among
    /// `pieces.len() * spread` where those past the end are plain `x`.
    fn random_texts(
        pieces: &[&str],
        mut seed: u64,
        count: usize,
        max: u64,
        spread: usize,
    ) -> Vec<String> {
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let mut s = String::new();
            for _ in 0..seed % max {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let k = (seed >> 33) as usize % (pieces.len() * spread);
                s.push_str(pieces.get(k).unwrap_or(&"x"));
            }
            seed = seed.wrapping_add(1);
            out.push(s);
        }
        out
    }
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

    /// [`plain_width`] as first written, one character at a time: the
    /// reference for the byte-wise one.
    fn plain_width_reference(s: &str) -> Option<usize> {
        let first = s.chars().next()?;
        if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
            return None;
        }
        if s.starts_with(' ') || s.ends_with(' ') || s.ends_with(':') || s.starts_with("...") {
            return None;
        }
        if s.contains(": ") || s.contains(" #") || s.chars().any(must_escape) {
            return None;
        }
        if s.len() <= 5 && SPECIAL.iter().any(|w| w.eq_ignore_ascii_case(s)) {
            return None;
        }
        let body = s.strip_prefix(['+', '-']).unwrap_or(s);
        let numeric = body.chars().next().is_some_and(|first| {
            (first.is_ascii_digit()
                || (first == '.' && body[1..].starts_with(|c: char| c.is_ascii_digit())))
                && body
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || "xXoO_.:+-tTzZ ".contains(c))
        });
        (!numeric).then(|| s.chars().count())
    }

    #[test]
    fn plain_width_is_that_of_the_reference() {
        let pieces = [
            "a",
            "1",
            "0x",
            ".",
            "-",
            "+",
            ":",
            " ",
            "#",
            "é",
            "\u{85}",
            "\u{200b}",
            "e",
            "t",
            "z",
            "_",
            "yes",
            "no",
            "~",
            "...",
            "'",
            "\"",
            "%",
            "@",
            "`",
            "[",
            "ü1",
            "\n",
            "longer-text",
            "app.kubernetes.io/name",
            "a:b#c",
            "\u{7f}",
            "\t",
            "0123456",
        ];
        let mut cases: Vec<String> = HOSTILE
            .iter()
            .chain(PLAIN_TRICKY)
            .map(|s| s.to_string())
            .collect();
        cases.extend(random_texts(&pieces, 11, 20000, 12, 1));
        // Twice: found, then remembered.
        for s in cases.iter().chain(&cases) {
            assert_eq!(plain_width(s), plain_width_reference(s), "{s:?}");
        }
    }

    /// Every byte (and characters beyond ASCII) first, before texts that
    /// make a special word, a number, `...`, or nothing in particular: the
    /// first byte's bits ([`FIRST`]) leave out no test that finds something.
    #[test]
    fn plain_width_of_every_first_byte_is_that_of_the_reference() {
        let rests = [
            "", "es", "o", "rue", "alse", "n", "ff", "ull", "inf", "nf", "nan", "<", "1", "23",
            ".5", "x10", "e3", "..", "..x", ":", " ", ": x", " #x", "abc", "Ab:c", "\u{85}",
        ];
        let mut firsts: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
        firsts.extend(["é", "\u{85}", "\u{200b}", "\u{feff}"].map(String::from));
        for first in &firsts {
            for rest in rests {
                let s = format!("{first}{rest}");
                assert_eq!(plain_width(&s), plain_width_reference(&s), "{s:?}");
            }
        }
    }

    /// Scalars that YAML 1.1 or 1.2 reads as something other than a string
    /// (case-insensitively): the reference for [`is_special`].
    const SPECIAL: &[&str] = &[
        "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", ".inf", "+.inf", "-.inf",
        ".nan", "<<", "=",
    ];

    #[test]
    fn special_words_are_those_of_the_list() {
        let letters = b"yYeEsSnNoOtTrRuUfFaAlLiI~.+-<=xz";
        let mut seed = 13u64;
        let mut cases: Vec<String> = SPECIAL
            .iter()
            .flat_map(|w| [w.to_string(), w.to_ascii_uppercase(), format!("{w}x")])
            .collect();
        for _ in 0..50000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (seed >> 60) as usize % 7;
            let s: String = (0..n)
                .map(|k| char::from(letters[(seed >> (4 * k + 8)) as usize % letters.len()]))
                .collect();
            cases.push(s);
        }
        for s in &cases {
            let want = SPECIAL.iter().any(|w| w.eq_ignore_ascii_case(s));
            assert_eq!(is_special(s.as_bytes()), want, "{s:?}");
        }
    }

    #[test]
    fn strings_are_escaped_as_char_by_char() {
        let mut all = String::new();
        for n in (0..0x3000).chain(0xFDC0..0x10000).chain(0xE0000..0xE0090) {
            all.extend(char::from_u32(n));
        }
        for s in HOSTILE
            .iter()
            .copied()
            .chain([all.as_str(), "plain", "é\u{85}x\"\\"])
        {
            let mut want = String::new();
            s.chars().for_each(|c| push_escaped(&mut want, c));
            let mut got = String::new();
            push_escaped_str(&mut got, s);
            assert_eq!(got, want, "{s:?}");
        }
    }

    /// Texts of every length up to a few words, with what must be escaped
    /// (and characters beyond ASCII that need not) at every place: escaped
    /// as one character at a time, and held as they are exactly when they
    /// are printable ASCII without `\` or `"`.
    #[test]
    fn escapes_are_found_at_every_place() {
        let pieces = [
            "a",
            "b",
            "\"",
            "\\",
            "\n",
            "\t",
            "é",
            "\u{85}",
            "\u{200b}",
            "\u{7f}",
            "\u{1f}",
            "ü",
            "中",
            "\u{E0001}",
            " ",
            "{",
        ];
        // Mostly plain text, so that whole words pass.
        for s in random_texts(&pieces, 5, 20000, 24, 3) {
            let mut want = String::new();
            s.chars().for_each(|c| push_escaped(&mut want, c));
            let mut got = String::new();
            push_escaped_str(&mut got, &s);
            assert_eq!(got, want, "{s:?}");
            let as_is = s.bytes().all(|b| (0x20..0x7F).contains(&b)) && !s.contains(['\\', '"']);
            assert_eq!(quotes_as_is(&s), as_is, "{s:?}");
        }
    }

    #[test]
    fn comment_text_escapes_what_must_be_escaped() {
        for s in HOSTILE
            .iter()
            .chain(PLAIN_TRICKY)
            .chain(&["é ü 中", "", "a\u{7f}b"])
        {
            let want: String = s
                .chars()
                .flat_map(|c| {
                    let escaped: Vec<char> = if must_escape(c) {
                        c.escape_default().collect()
                    } else {
                        vec![c]
                    };
                    escaped
                })
                .collect();
            assert_eq!(comment_text(s), want, "{s:?}");
        }
    }

    #[test]
    fn integers_are_written_as_display_writes_them() {
        for i in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            12345,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut out = String::from("x");
            push_int(&mut out, i);
            assert_eq!(out, format!("x{i}"));
        }
    }

    /// A text's [`Look`] is its plain width and, for a short text, whether
    /// it is inert, found or remembered.
    #[test]
    fn looks_are_plain_widths_and_inertness() {
        let pieces = [
            "a", "1", ":", " ", "#", "\"", "\\", "{", "}", "$", "é", "\n", "\u{7f}", "yes", "-",
        ];
        let texts = random_texts(&pieces, 17, 20000, 40, 2);
        let mut inert = 0;
        let mut long_inert = 0;
        for s in texts.iter().chain(&texts) {
            let got = look(s);
            assert_eq!(got.plain, plain_width_reference(s), "{s:?}");
            let is_inert = !s
                .bytes()
                .any(|b| b < 0x20 || matches!(b, b'"' | b'\\' | b'{'));
            let short = (1..=bytes::MEMO_MAX).contains(&s.len());
            assert_eq!(got.inert, short && is_inert, "{s:?}");
            inert += usize::from(got.inert);
            // A key's look is the same, and it is known to be inert up to
            // the longer memo's length.
            let key = look_key(s);
            assert_eq!(key.plain, got.plain, "{s:?}");
            let remembered = (1..=bytes::LONG_MEMO_MAX).contains(&s.len());
            assert_eq!(key.inert, remembered && is_inert, "{s:?}");
            long_inert += usize::from(key.inert && !short);
        }
        assert!(inert > 1000, "{inert} inert texts");
        assert!(long_inert > 200, "{long_inert} long inert keys");
    }

    #[test]
    fn spaces_are_those_of_the_runs() {
        for n in 0..200 {
            let mut got = String::from("x");
            push_spaces(&mut got, n);
            let mut want = String::from("x");
            push_spaces_runs(&mut want, n);
            assert_eq!(got, want);
            assert_eq!(got, format!("x{}", " ".repeat(n)));
        }
    }

    /// ASCII texts with every kind of whitespace, control and escape
    /// around their spaces.
    #[test]
    fn ascii_folding_is_that_of_the_reference() {
        let pieces = [
            "word",
            " ",
            "  ",
            "\t",
            "\n",
            "\r",
            "\u{b}",
            "\u{c}",
            "\u{1c}",
            "\u{1f}",
            "\u{0}",
            "\u{7}",
            "\u{7f}",
            "\"",
            "\\",
            "{",
            "longerword",
            "x",
            "-",
        ];
        let mut folded_ascii = 0;
        for s in random_texts(&pieces, 23, 20000, 40, 1) {
            assert!(s.is_ascii());
            for (col, cont) in [(0, 2), (10, 4), (79, 6), (90, 8)] {
                let got = folded(&s, col, cont);
                assert_eq!(got, folded_reference(&s, col, cont), "{s:?}");
                folded_ascii += usize::from(got.contains('\n'));
            }
        }
        assert!(
            folded_ascii > 1000,
            "{folded_ascii} texts over several lines"
        );
    }

    /// Printable ASCII, folded a line at a time ([`push_folded_ascii`]),
    /// with and without `"` and `\` to escape, and runs of spaces where no
    /// line may break.
    #[test]
    fn printable_ascii_folding_is_that_of_the_reference() {
        let pieces = [
            "word",
            " ",
            "  ",
            "   ",
            "\"",
            "\\",
            "longerword",
            "x",
            "-",
            "{a}",
            "up{namespace=\"t0\",",
            "averyveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword",
        ];
        let (mut slashed, mut several) = (0, 0);
        for s in random_texts(&pieces, 29, 20000, 60, 1) {
            assert!(bytes::none(s.as_bytes(), bytes::unprintable));
            slashed += usize::from(!quotes_as_is(&s));
            for (col, cont) in [(0, 2), (10, 4), (79, 6), (90, 8)] {
                let got = folded(&s, col, cont);
                assert_eq!(got, folded_reference(&s, col, cont), "{s:?}");
                several += usize::from(got.contains('\n'));
            }
        }
        assert!(slashed > 5000, "{slashed} texts with quotes to escape");
        assert!(several > 5000, "{several} texts over several lines");
    }

    /// ASCII with controls and DEL (scripts: line breaks, tabs), folded a
    /// line at a time ([`push_folded_ascii`] of [`ESCAPED`]): as the
    /// reference folds it and as word by word ([`push_folded_words`]),
    /// with whitespace of every kind beside the spaces.
    #[test]
    fn ascii_with_controls_folding_is_that_of_the_reference() {
        let pieces = [
            "word",
            " ",
            "  ",
            "\n",
            "\t",
            "\r",
            "\u{b}",
            "\u{c}",
            "\u{0}",
            "\u{1}",
            "\u{1b}",
            "\u{1f}",
            "\u{7f}",
            "\"",
            "\\",
            "longerword",
            "x",
            "echo \"$X\"\n",
            "averyveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword",
        ];
        let (mut escaped, mut several) = (0, 0);
        for s in random_texts(&pieces, 31, 20000, 60, 1) {
            assert!(s.is_ascii());
            let controls = !bytes::none(s.as_bytes(), bytes::unprintable);
            escaped += usize::from(controls);
            for (col, cont) in [(0, 2), (10, 4), (79, 6), (90, 8)] {
                let got = folded(&s, col, cont);
                assert_eq!(got, folded_reference(&s, col, cont), "{s:?}");
                if controls {
                    let mut words = String::new();
                    push_folded_words(&mut words, &s, col, cont);
                    assert_eq!(got, words, "{s:?}");
                }
                several += usize::from(got.contains('\n'));
            }
        }
        assert!(escaped > 5000, "{escaped} texts with controls to escape");
        assert!(several > 5000, "{several} texts over several lines");
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
            "\u{1}",
            "\u{7f}",
            "\u{85}",
            "\u{feff}",
            "\u{e0001}",
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
        // Texts quoted as they are, whole (tested once, not word by
        // word), of every length up to a few lines.
        let plain = ["word", " ", "  ", "longerword", "x", "-", "{a}", "=:"];
        let mut as_is = 0;
        for _ in 0..3000 {
            let mut s = String::new();
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = ((seed >> 33) % 80) as usize;
            for _ in 0..n {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push_str(plain[(seed >> 33) as usize % plain.len()]);
            }
            as_is += usize::from(quotes_as_is(&s) && s.len() > WIDTH);
            for (col, cont) in [(0, 2), (10, 4), (79, 6), (90, 8)] {
                assert_eq!(
                    folded(&s, col, cont),
                    folded_reference(&s, col, cont),
                    "{s:?}"
                );
            }
        }
        assert!(as_is > 500, "{as_is} long texts quoted as they are");
    }

    /// Compact JSON written beside the YAML, from the events alone: what
    /// [`Beside`] is told is the whole tree, in order.
    struct JsonBeside(String);

    impl<'a> Beside<'a, &'a Value> for JsonBeside {
        fn open_map(&mut self) {
            self.0.push('{');
        }
        fn key(&mut self, k: &'a str, first: bool, inert: bool) {
            if !first {
                self.0.push(',');
            }
            assert!(!inert || bytes::none(k.as_bytes(), bytes::inert), "{k:?}");
            self.0.push_str(&serde_json::to_string(k).unwrap());
            self.0.push(':');
        }
        fn close_map(&mut self) {
            self.0.push('}');
        }
        fn open_seq(&mut self) {
            self.0.push('[');
        }
        fn item(&mut self, first: bool) {
            if !first {
                self.0.push(',');
            }
        }
        fn close_seq(&mut self) {
            self.0.push(']');
        }
        fn leaf(&mut self, v: &'a Value, node: &Node<'a, &'a Value>, inert: bool) {
            assert!(!matches!(node, Node::Map(_) | Node::Seq(_)));
            if let Node::Str(s) = node {
                assert!(!inert || bytes::none(s.as_bytes(), bytes::inert), "{s:?}");
            } else {
                assert!(!inert, "only a string is inert");
            }
            self.0.push_str(&serde_json::to_string(v).unwrap());
        }
    }

    #[test]
    fn what_is_written_beside_is_the_whole_tree() {
        let docs = [
            json!({}),
            json!([]),
            json!("s"),
            json!(null),
            json!(1.5),
            json!({"a": {}, "b": [], "c": [{}, [], [[]], {"d": null}], "e": [[1, [2, {}]], []]}),
            json!({"x": [1, -2, 2.5, true, false, null, "t\"\n"], "y": {"z": {"w": "v"}}}),
            json!([{"k": "v", "l": ["m", {"n": [1]}]}, "o", [{"p": {}}]]),
            json!({"k".repeat(1500): {"a": 1}, "list": [{"k".repeat(1200): [2]}]}),
        ];
        for doc in docs {
            let mut yaml = String::new();
            let mut json = JsonBeside(String::new());
            write_tree_beside(&mut yaml, &doc, &mut json);
            assert_eq!(yaml, to_string(&doc), "{doc}");
            assert_eq!(json.0, serde_json::to_string(&doc).unwrap(), "{doc}");
        }
    }

    /// JSON values told as shared: every map and list by its address.
    #[derive(Clone, Copy)]
    struct Told<'a>(&'a Value);

    impl<'a> Tree<'a> for Told<'a> {
        type Entries =
            std::iter::Map<JsonEntries<'a>, fn((&'a str, &'a Value)) -> (&'a str, Told<'a>)>;
        type Items = std::iter::Map<std::slice::Iter<'a, Value>, fn(&'a Value) -> Told<'a>>;
        fn node(self) -> Node<'a, Self> {
            fn entry<'a>((k, v): (&'a str, &'a Value)) -> (&'a str, Told<'a>) {
                (k, Told(v))
            }
            self.0.node().wrap(
                |e| e.map(entry as fn((&'a str, &'a Value)) -> (&'a str, Told<'a>)),
                |i| i.map(Told as fn(&'a Value) -> Told<'a>),
            )
        }
        fn shared(self) -> Option<usize> {
            matches!(self.0, Value::Object(_) | Value::Array(_))
                .then_some(self.0 as *const Value as usize)
        }
    }

    /// [`JsonBeside`] remembering shared nodes and lines.
    struct RememberingJson(JsonBeside, SharedTexts);

    impl<'a> Beside<'a, Told<'a>> for RememberingJson {
        fn open_map(&mut self) {
            Beside::<&Value>::open_map(&mut self.0);
        }
        fn key(&mut self, k: &'a str, first: bool, inert: bool) {
            Beside::<&Value>::key(&mut self.0, k, first, inert);
        }
        fn close_map(&mut self) {
            Beside::<&Value>::close_map(&mut self.0);
        }
        fn open_seq(&mut self) {
            Beside::<&Value>::open_seq(&mut self.0);
        }
        fn item(&mut self, first: bool) {
            Beside::<&Value>::item(&mut self.0, first);
        }
        fn close_seq(&mut self) {
            Beside::<&Value>::close_seq(&mut self.0);
        }
        fn leaf(&mut self, v: Told<'a>, _: &Node<'a, Told<'a>>, inert: bool) {
            self.0.leaf(v.0, &v.0.node(), inert);
        }
        const REMEMBERS: bool = true;
        fn recall(&mut self, at: Place, out: &mut String) -> bool {
            self.1.recall(at, out, Some(&mut self.0 .0))
        }
        fn mark(&self) -> usize {
            self.0 .0.len()
        }
        fn remember(&mut self, at: Place, yaml: &str, mark: usize) {
            self.1.remember(at, yaml, &self.0 .0[mark..]);
        }
        fn recall_line(&mut self, line: &Line, out: &mut String) -> bool {
            self.1.recall_line(line, out, Some(&mut self.0 .0))
        }
        fn remember_line(&mut self, line: &Line, yaml: &str, mark: usize) {
            self.1.remember_line(line, yaml, &self.0 .0[mark..]);
        }
    }

    /// Shared nodes and lines written again from what was remembered are
    /// what the writer writes of them, YAML and JSON beside, wherever they
    /// are (entries and items, at every indent, first or not), and values
    /// that only look alike are not taken for each other.
    #[test]
    fn remembered_texts_are_those_written() {
        let long =
            "a long value with spaces that goes well past the eighty columns of the line limit";
        let shared = [
            json!({"a": 1, "b": "yes", "c": [1, "1e3", {"d": null, "e": true}], "f": {}, "g": []}),
            json!([{"name": "x", "value": long}, ["y", 2], {"app.kubernetes.io/instance": "t1-lake"}]),
            json!({"key of thirty-two bytes exactly!": "value of seventeen", "k": false, "n": -7}),
            json!({"k": "1", "l": 1, "m": "true", "o": true, "p": "", "q": null, "r": "null"}),
        ];
        let mut plain_store = SharedTexts::default();
        let mut json_store = SharedTexts::default();
        let mut remembered = 0;
        // The same nodes as an entry's value and as items, at several
        // indents, in one document. (All of them live while the stores
        // do: a node is known by its address.)
        let docs: Vec<Value> = shared
            .iter()
            .map(|x| json!({"top": x, "list": [x, [x]], "deep": {"in": {"x": x}}, "first": [{"x": x, "y": x}]}))
            .collect();
        for round in 0..3 {
            for (i, doc) in docs.iter().enumerate() {
                let told: Vec<(&str, Told)> = match doc {
                    Value::Object(m) => m.iter().map(|(k, v)| (k.as_str(), Told(v))).collect(),
                    _ => unreachable!(),
                };
                let want = to_string(doc);
                let mut yaml = String::new();
                write_map_document_beside(
                    &mut yaml,
                    told.iter().copied(),
                    &mut Remember(&mut plain_store),
                );
                assert_eq!(yaml, want, "{round} {i}");
                let mut yaml = String::new();
                let mut beside =
                    RememberingJson(JsonBeside(String::new()), std::mem::take(&mut json_store));
                write_map_document_beside(&mut yaml, told.iter().copied(), &mut beside);
                assert_eq!(yaml, want, "{round} {i}");
                assert_eq!(
                    beside.0 .0,
                    serde_json::to_string(doc).unwrap(),
                    "{round} {i}"
                );
                json_store = beside.1;
                remembered = json_store.line_texts.len();
            }
        }
        assert!(remembered > 0 && !json_store.at.is_empty());
        // Values that only look alike: the same texts as other kinds.
        let mut store = SharedTexts::default();
        for doc in [
            json!({"v": 1}),
            json!({"v": "1"}),
            json!({"v": true}),
            json!({"v": "t"}),
            json!({"v": null}),
            json!({"v": ""}),
            json!({"v": "abcdefghijklmnopq"}),
            json!({"v": "abcdefghijklmnopr"}),
            json!({"v": "abcdefghijklmnopq1abcdefghijklmnopq"}),
            json!({"v": "abcdefghijklmnopq2abcdefghijklmnopq"}),
        ] {
            for _ in 0..2 {
                let mut yaml = String::new();
                write_tree_beside(&mut yaml, Told(&doc), &mut Remember(&mut store));
                assert_eq!(yaml, to_string(&doc));
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
