//! Reading a user's Helm values file the way Helm does.
//!
//! Helm reads a values file with `sigs.k8s.io/yaml` (`chartutil.ReadValues`):
//! go-yaml v2 (`go.yaml.in/yaml/v2` v2.4.2, the code of `gopkg.in/yaml.v2`
//! v2.4.0) decodes the first document into Go values by YAML 1.1 rules,
//! `convertToJSONableObject` makes every map key a string, and
//! `json.Marshal` writes the JSON that becomes the values. YAML 1.2 parsers
//! read many scalars differently (a plain `yes` is a string to them, a
//! boolean to Helm), so this module follows Helm's steps itself, from the
//! YAML parser's events, where quoting and tags are still visible:
//!
//! 1. [`parse_events`] turns the events of the first document into a tree
//!    of nodes (as go-yaml's `parser` does), without expanding aliases, and
//!    bounds the file on the way (see below);
//! 2. [`Decoder`] walks the tree as go-yaml's `decoder` does: scalars
//!    resolve as `resolve` in resolve.go does (with the type check of its
//!    deferred function for explicit tags), `!!binary` is decoded, `<<`
//!    merges as `decoder.merge` does (later keys overwrite earlier ones,
//!    whichever side of `<<` they are on), and the alias-ratio rule of
//!    `decoder.unmarshal` ("document contains excessive aliasing") holds;
//! 3. keys become strings as `convertToJSONableObject` makes them, and
//!    what `json.Marshal` refuses (`.inf`, `.nan`) is refused.
//!
//! Whatever Helm refuses is an error with Helm's reason ([`HelmRefusal`]).
//! One thing Helm accepts is refused too: two keys that differ in YAML but
//! are the same string to Helm (`1` and `"1"`), of which Helm keeps one at
//! random ([`Problem::SameKey`]).
//!
//! The parser is yaml-rust2. Helm's parser is a port of libyaml, and the
//! two do not accept exactly the same texts: where yaml-rust2 reads the
//! file, libyaml (through serde_yaml_ng) must accept its first document
//! too, and where yaml-rust2 refuses it, libyaml's message is given when
//! libyaml refuses it as well, so that "Helm would reject this file too"
//! is only said when it is true. yaml-rust2 refuses a tab between `:` and
//! a value, which libyaml reads as a space: such tabs are read as spaces.
//!
//! Bounds, each a [`YamlError`] and never an abort:
//! - lists and maps nest at most [`MAX_DEPTH`] levels, aliases expanded;
//!   the parser is driven event by event, so deep nesting stops at the
//!   limit, in time linear in the text before it;
//! - a document holds at most [`MAX_VALUES`] values and [`MAX_TEXT`] bytes
//!   of scalar text once its aliases are expanded. Both are counted before
//!   anything is copied, from the sizes of the anchored nodes, so a
//!   "billion laughs" file stops after reading it once;
//! - positions for diagnostics keep at most [`MAX_POSITION_BYTES`] of
//!   paths; nodes past it are found by their nearest recorded ancestor.

use std::collections::HashMap;

use platc_charts::Seg;
use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// How deep lists and maps may nest in a values file, aliases expanded:
/// the default recursion limit of serde_json and serde_yaml_ng. Helm's
/// reader allows 10,000 levels (`max_flow_level` and `max_indents` in
/// go-yaml's scannerc.go); platc stops far earlier so that no later step
/// that recurses over values (merging, checking, writing) can run out of
/// stack. No real values file comes near it.
pub(crate) const MAX_DEPTH: usize = 128;

/// How many values (maps, lists and scalars, keys included) a values file
/// may hold once its aliases are expanded. A 50 KB "billion laughs" file
/// expands to 100 million; it stops here without being expanded.
pub(crate) const MAX_VALUES: usize = 1_000_000;

/// How many bytes of scalar text a values file may hold once its aliases
/// are expanded (four times the largest file read), so that an alias of a
/// long string repeated many times cannot fill memory either.
pub(crate) const MAX_TEXT: usize = 32 << 20;

/// Bytes of node paths kept for the positions of diagnostics.
const MAX_POSITION_BYTES: usize = 32 << 20;

/// The first document of `text` as JSON values with YAML 1.1 scalar
/// resolution.
#[cfg(test)]
pub(crate) fn parse(text: &str) -> Result<Value, YamlError> {
    read(text).map(|(v, _)| v)
}

/// Where a node of a YAML document is: byte ranges in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Located {
    /// The key of a map entry (none for list elements and the root).
    pub key: Option<(usize, usize)>,
    /// The value: a scalar's text, or the first character of a list or map.
    pub value: (usize, usize),
    /// Whether the value is a scalar.
    pub scalar: bool,
}

/// Every node of a document by its path (later occurrences of a repeated
/// key win, as in the value). Nodes that aliases repeat are found at the
/// alias.
pub(crate) type Positions = HashMap<Vec<Seg>, Located>;

/// Why a values file cannot be read as Helm values, and where (1-based
/// line and column, in characters).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct YamlError {
    pub problem: Problem,
    pub line: usize,
    pub column: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Problem {
    /// Not YAML. `helm`: libyaml, which Helm's parser is a port of,
    /// refuses it too, and `message` is libyaml's.
    Syntax { message: String, helm: bool },
    /// YAML that Helm's reader refuses.
    Helm(HelmRefusal),
    /// Two keys of one map that differ in YAML but are the same string key
    /// to Helm, which keeps one of them at random.
    SameKey {
        first: String,
        second: String,
        key: String,
    },
    /// Lists and maps nested deeper than [`MAX_DEPTH`]; `alias`: through
    /// aliases.
    TooDeep { alias: bool },
    /// More than [`MAX_VALUES`] values; `alias`: counting what aliases
    /// repeat.
    TooMany { alias: bool },
    /// More than [`MAX_TEXT`] bytes of text; `alias` as for `TooMany`.
    TooLong { alias: bool },
}

/// What Helm refuses, with the message its reader gives where it has one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum HelmRefusal {
    /// An explicit tag the text does not fit: go-yaml's "cannot decode
    /// !!str `30s` as a !!int" (`found` is what the text resolves to).
    Tag {
        found: String,
        text: String,
        tag: String,
    },
    /// "!!binary value contains invalid base64 data".
    Binary,
    /// "map merge requires map or sequence of maps as the value".
    MergeNotMap,
    /// A list or map as a key: go-yaml's "invalid map key".
    CollectionKey,
    /// "anchor 'NAME' value contains itself".
    ContainsItself { anchor: String },
    /// "document contains excessive aliasing": go-yaml refuses a document
    /// when, past 1,000 values, aliases make up more than 99% of them (less
    /// for large documents).
    ExcessiveAliasing,
    /// A null key: sigs.k8s.io/yaml's "unsupported map key of type: <nil>".
    NullKey { text: String },
    /// An integer key above 2^63 - 1, which go-yaml makes a uint64:
    /// "unsupported map key of type: uint64".
    BigKey { text: String },
    /// `.inf` or `.nan` as a value: JSON has no such numbers ("json:
    /// unsupported value: +Inf").
    NotJson { text: String },
}

/// Reads the first document of a values file as Helm does: the value,
/// with where each node is.
pub(crate) fn read(text: &str) -> Result<(Value, Positions), YamlError> {
    let doc = match parse_events(text) {
        Ok(doc) => doc,
        Err(Halt::Syntax { message, at, seen }) if message.contains("':' must be followed") => {
            match with_colon_tabs_as_spaces(text) {
                Some(Ok(doc)) => doc,
                Some(Err(halt)) => return Err(halt_error(text, halt)),
                None => return Err(halt_error(text, Halt::Syntax { message, at, seen })),
            }
        }
        Err(halt) => return Err(halt_error(text, halt)),
    };
    let decoded = Decoder::new(&doc, text).run();
    let end = doc.end;
    drop(doc);
    // Helm's parser refuses a text before it decodes anything.
    if let Some((message, line, column)) = libyaml_error(&text[..end]) {
        return Err(YamlError {
            problem: Problem::Syntax {
                message,
                helm: true,
            },
            line,
            column,
        });
    }
    decoded.map_err(|(problem, at)| located(text, problem, at))
}

/// Why reading stopped, at a byte offset.
enum Halt {
    /// yaml-rust2's error; events before byte `seen` were all counted.
    Syntax {
        message: String,
        at: usize,
        seen: usize,
    },
    Stop(Problem, usize),
}

fn halt_error(text: &str, halt: Halt) -> YamlError {
    match halt {
        Halt::Stop(problem, at) => located(text, problem, at),
        Halt::Syntax { message, at, seen } => match confirm(text, at, seen) {
            Some((message, line, column)) => YamlError {
                problem: Problem::Syntax {
                    message,
                    helm: true,
                },
                line,
                column,
            },
            None => located(
                text,
                Problem::Syntax {
                    message,
                    helm: false,
                },
                at,
            ),
        },
    }
}

fn located(text: &str, problem: Problem, at: usize) -> YamlError {
    let (line, column) = line_col(text, at);
    YamlError {
        problem,
        line,
        column,
    }
}

/// 1-based line and column (in characters) of byte `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = (0..=at.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

// ---------------------------------------------------------------------------
// libyaml's verdict

/// libyaml's error on `text`, if it finds one: its message, line and
/// column. serde_yaml_ng parses with libyaml, the C library go-yaml v2 is a
/// port of, before it deserialises anything; `None` also when
/// deserialising stopped first for reasons of its own (a tag, its alias
/// limit), which say nothing about the syntax.
fn libyaml_error(text: &str) -> Option<(String, usize, usize)> {
    let e = serde_yaml_ng::from_str::<Value>(text).err()?;
    let message = e.to_string();
    // serde_yaml_ng shows libyaml's own errors as a struct in `Debug`
    // (`Error { kind: SCANNER, problem: .. }`), its other errors as
    // `Error("message")`; an unknown anchor is its loader's error.
    let from_libyaml =
        format!("{e:?}").starts_with("Error {") || message.starts_with("unknown anchor");
    if !from_libyaml {
        return None;
    }
    let at = e.location()?;
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    Some((message, at.line(), at.column()))
}

/// libyaml's error for a text yaml-rust2 refused at byte `at`, when
/// libyaml refuses it too. libyaml reads the text to the end of the line of
/// the error, which yaml-rust2 has bounded up to byte `seen`; past it, no
/// more than 64 KiB and no alias (which could expand without bound), else
/// there is no verdict. An error at the end of the shortened text may be
/// the shortening's, and is no verdict either.
fn confirm(text: &str, at: usize, seen: usize) -> Option<(String, usize, usize)> {
    let at = at.min(text.len());
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    let unbounded = &text[seen.min(at)..end];
    if unbounded.len() > 64 << 10 || unbounded.contains('*') {
        return None;
    }
    let (message, line, column) = libyaml_error(&text[..end])?;
    if end < text.len() && line > text[..end].matches('\n').count() {
        return None;
    }
    // go-yaml, unlike libyaml, reads `\'` in a double-quoted scalar (as `'`).
    let escape: Option<String> = text
        .lines()
        .nth(line.saturating_sub(1))
        .map(|l| l.chars().skip(column.saturating_sub(1)).take(2).collect());
    if message.contains("unknown escape") && escape.as_deref() == Some("\\'") {
        return None;
    }
    Some((message, line, column))
}

/// yaml-rust2 refuses a tab alone between `:` and a value (`key:<TAB>1`);
/// libyaml, and so Helm, reads it as a space. Reads the text with every tab
/// right after a `:` as a space (offsets unchanged), unless one of them is
/// inside a quoted or block scalar, where it is text: `None` then.
fn with_colon_tabs_as_spaces(text: &str) -> Option<Result<Doc, Halt>> {
    let mut bytes = text.as_bytes().to_vec();
    let mut tabs = Vec::new();
    for i in 1..bytes.len() {
        if bytes[i] == b'\t' && bytes[i - 1] == b':' {
            bytes[i] = b' ';
            tabs.push(i);
        }
    }
    let patched = String::from_utf8(bytes).ok()?;
    let doc = match parse_events(&patched) {
        Ok(doc) => doc,
        Err(halt) => return Some(Err(halt)),
    };
    if doc.inside_text(text, &tabs) {
        return None;
    }
    Some(Ok(doc))
}

// ---------------------------------------------------------------------------
// Events to nodes

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Scalar,
    Seq,
    Map,
    Alias,
}

/// A node of the document, in document order (a list or map is followed by
/// its elements), as go-yaml's `node`.
struct Node {
    kind: Kind,
    /// A scalar's text.
    text: String,
    style: TScalarStyle,
    /// The full tag (`tag:yaml.org,2002:int`, `!`, `!local`), if any.
    tag: Option<Box<str>>,
    /// Where the node is (see [`Reader::range`]).
    at: (usize, usize),
    /// A list or map: the index after its last element (0 while it is
    /// open); an alias: the node it names.
    link: u32,
    /// Values, bytes of scalar text and levels of lists and maps in the
    /// node, aliases expanded.
    size: u32,
    bytes: u32,
    depth: u32,
}

/// The first document as nodes.
struct Doc {
    nodes: Vec<Node>,
    root: Option<u32>,
    /// Where the first document ends: Helm reads no further.
    end: usize,
}

impl Doc {
    /// The node after `id` and its elements.
    fn next(&self, id: u32) -> u32 {
        match self.nodes[id as usize].kind {
            Kind::Seq | Kind::Map => self.nodes[id as usize].link,
            Kind::Scalar | Kind::Alias => id + 1,
        }
    }

    /// The elements of list or map `id`.
    fn children(&self, id: u32) -> Vec<u32> {
        let end = self.nodes[id as usize].link;
        let mut out = Vec::new();
        let mut c = id + 1;
        while c < end {
            out.push(c);
            c = self.next(c);
        }
        out
    }

    /// Whether any of the byte offsets `at` (ascending) is inside the text
    /// of a quoted or block scalar.
    fn inside_text(&self, text: &str, at: &[usize]) -> bool {
        // The nodes are in the order of the text.
        let mut at = at.iter().peekable();
        for (i, n) in self.nodes.iter().enumerate() {
            let (start, end) = match (n.kind, n.style) {
                (Kind::Scalar, TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted) => {
                    (n.at.0, quoted_end(text, n.at.0))
                }
                (Kind::Scalar, TScalarStyle::Literal | TScalarStyle::Folded) => {
                    // The text runs to the next node at most.
                    let next = self.nodes.get(i + 1).map_or(self.end, |m| m.at.0);
                    (n.at.0, next.max(n.at.0))
                }
                _ => continue,
            };
            while at.next_if(|&&a| a < start).is_some() {}
            if at.peek().is_some_and(|&&a| a < end) {
                return true;
            }
        }
        false
    }
}

/// The byte after the closing quote of the quoted scalar at `start`.
fn quoted_end(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let Some(&quote) = b.get(start) else {
        return start;
    };
    let mut i = start + 1;
    while i < b.len() {
        if quote == b'"' && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == quote {
            if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

/// Char index (what the parser's marks count) to byte offset.
struct Offsets(Option<Vec<usize>>);

impl Offsets {
    fn new(text: &str) -> Offsets {
        if text.is_ascii() {
            Offsets(None)
        } else {
            Offsets(Some(text.char_indices().map(|(b, _)| b).collect()))
        }
    }

    fn byte(&self, char_index: usize, len: usize) -> usize {
        match &self.0 {
            None => char_index.min(len),
            Some(v) => v.get(char_index).copied().unwrap_or(len),
        }
    }
}

/// A list or map being read.
struct Open {
    node: u32,
    size: usize,
    bytes: usize,
    depth: u32,
}

/// Builds the nodes from the events and bounds them.
struct Reader<'t> {
    /// The text without its byte order mark, which starts at `base`.
    text: &'t str,
    base: usize,
    offsets: Offsets,
    nodes: Vec<Node>,
    stack: Vec<Open>,
    /// The node each anchor id names.
    anchors: HashMap<usize, u32>,
    root: Option<u32>,
    /// Values and bytes of text so far, aliases expanded; whether an alias
    /// has added to them.
    values: usize,
    bytes: usize,
    aliased: bool,
}

/// The nodes of the first document of `text`, bounded.
fn parse_events(text: &str) -> Result<Doc, Halt> {
    // libyaml skips a byte order mark; yaml-rust2 would read it as text.
    let (base, body) = match text.strip_prefix('\u{feff}') {
        Some(body) => ('\u{feff}'.len_utf8(), body),
        None => (0, text),
    };
    let mut r = Reader {
        text: body,
        base,
        offsets: Offsets::new(body),
        nodes: Vec::new(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        values: 0,
        bytes: 0,
        aliased: false,
    };
    let mut parser = Parser::new_from_str(body);
    let mut seen = base;
    loop {
        let (event, mark) = match parser.next_token() {
            Ok(e) => e,
            Err(e) => {
                let at = r.byte(e.marker());
                // yaml-rust2 counts flow levels in a byte.
                return Err(if e.info() == "recursion limit exceeded" {
                    Halt::Stop(Problem::TooDeep { alias: false }, at)
                } else {
                    Halt::Syntax {
                        message: e.info().to_string(),
                        at,
                        seen,
                    }
                });
            }
        };
        seen = r.byte(&mark);
        match event {
            Event::DocumentEnd | Event::StreamEnd => {
                return Ok(Doc {
                    nodes: r.nodes,
                    root: r.root,
                    end: seen,
                })
            }
            Event::Scalar(text, style, anchor, tag) => r.scalar(text, style, anchor, tag, mark)?,
            Event::SequenceStart(anchor, tag) => r.open(Kind::Seq, anchor, tag, mark)?,
            Event::MappingStart(anchor, tag) => r.open(Kind::Map, anchor, tag, mark)?,
            Event::SequenceEnd | Event::MappingEnd => r.close(),
            Event::Alias(anchor) => r.alias(anchor, mark)?,
            Event::StreamStart | Event::DocumentStart | Event::Nothing => {}
        }
    }
}

fn full_tag(tag: Tag) -> Box<str> {
    format!("{}{}", tag.handle, tag.suffix).into()
}

impl Reader<'_> {
    fn byte(&self, mark: &Marker) -> usize {
        self.base + self.offsets.byte(mark.index(), self.text.len())
    }

    /// The byte range of the node that starts at `mark`: a scalar's text
    /// as written (quotes included), else one character.
    fn range(&self, mark: &Marker, scalar: Option<(&str, TScalarStyle)>) -> (usize, usize) {
        let len = self.text.len();
        let start = self.offsets.byte(mark.index(), len);
        let rest = &self.text[start..];
        let width = match scalar {
            Some((t, TScalarStyle::Plain)) if rest.starts_with(t) && !t.is_empty() => t.len(),
            Some((_, TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted)) => {
                // To the next quote, or to the end of the line (looking no
                // further, so that many scalars on one line stay linear).
                let quote = rest.chars().next().unwrap_or('"');
                let body = &rest[quote.len_utf8().min(rest.len())..];
                match body.find([quote, '\n', '\r']) {
                    Some(i) if body[i..].starts_with(quote) => i + 2 * quote.len_utf8(),
                    Some(i) => i + quote.len_utf8(),
                    None => rest.len(),
                }
            }
            _ => rest.chars().next().map_or(0, char::len_utf8),
        };
        (self.base + start, self.base + start + width.min(rest.len()))
    }

    fn add(&mut self, node: Node, anchor: usize) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(node);
        if anchor > 0 {
            self.anchors.insert(anchor, id);
        }
        id
    }

    /// Counts `values` and `bytes` more, aliases expanded.
    fn count(&mut self, values: usize, bytes: usize, at: usize) -> Result<(), Halt> {
        self.values += values;
        self.bytes += bytes;
        let alias = self.aliased;
        if self.values > MAX_VALUES {
            Err(Halt::Stop(Problem::TooMany { alias }, at))
        } else if self.bytes > MAX_TEXT {
            Err(Halt::Stop(Problem::TooLong { alias }, at))
        } else {
            Ok(())
        }
    }

    /// A finished node joins the list or map being read.
    fn attach(&mut self, id: u32) {
        let n = &self.nodes[id as usize];
        let (size, bytes, depth) = (n.size as usize, n.bytes as usize, n.depth);
        match self.stack.last_mut() {
            Some(open) => {
                open.size += size;
                open.bytes += bytes;
                open.depth = open.depth.max(depth);
            }
            None => {
                self.root.get_or_insert(id);
            }
        }
    }

    fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<Tag>,
        mark: Marker,
    ) -> Result<(), Halt> {
        let at = self.range(&mark, Some((&text, style)));
        self.count(1, text.len(), at.0)?;
        let bytes = text.len() as u32;
        let id = self.add(
            Node {
                kind: Kind::Scalar,
                text,
                style,
                tag: tag.map(full_tag),
                at,
                link: 0,
                size: 1,
                bytes,
                depth: 0,
            },
            anchor,
        );
        self.attach(id);
        Ok(())
    }

    fn open(
        &mut self,
        kind: Kind,
        anchor: usize,
        tag: Option<Tag>,
        mark: Marker,
    ) -> Result<(), Halt> {
        let at = self.range(&mark, None);
        if self.stack.len() >= MAX_DEPTH {
            return Err(Halt::Stop(Problem::TooDeep { alias: false }, at.0));
        }
        self.count(1, 0, at.0)?;
        let id = self.add(
            Node {
                kind,
                text: String::new(),
                style: TScalarStyle::Plain,
                tag: tag.map(full_tag),
                at,
                link: 0,
                size: 1,
                bytes: 0,
                depth: 1,
            },
            anchor,
        );
        self.stack.push(Open {
            node: id,
            size: 1,
            bytes: 0,
            depth: 0,
        });
        Ok(())
    }

    fn close(&mut self) {
        let Some(open) = self.stack.pop() else {
            return;
        };
        let end = self.nodes.len() as u32;
        let n = &mut self.nodes[open.node as usize];
        n.link = end;
        n.size = open.size as u32;
        n.bytes = open.bytes as u32;
        n.depth = open.depth + 1;
        self.attach(open.node);
    }

    fn alias(&mut self, anchor: usize, mark: Marker) -> Result<(), Halt> {
        let at = self.range(&mark, None);
        let Some(&target) = self.anchors.get(&anchor) else {
            return Err(Halt::Syntax {
                message: "unknown anchor".into(),
                at: at.0,
                seen: at.0,
            });
        };
        let t = &self.nodes[target as usize];
        if t.kind != Kind::Scalar && t.link == 0 {
            // go-yaml registers an anchor before reading the node's
            // elements, so this alias would repeat the node inside itself.
            let name = self.text[at.0 - self.base..]
                .trim_start_matches('*')
                .split(|c: char| c.is_whitespace() || ",[]{}".contains(c))
                .next()
                .unwrap_or_default()
                .to_string();
            return Err(Halt::Stop(
                Problem::Helm(HelmRefusal::ContainsItself { anchor: name }),
                at.0,
            ));
        }
        let (size, bytes, depth) = (t.size, t.bytes, t.depth);
        if self.stack.len() + depth as usize > MAX_DEPTH {
            return Err(Halt::Stop(Problem::TooDeep { alias: true }, at.0));
        }
        self.aliased = true;
        self.count(size as usize, bytes as usize, at.0)?;
        let id = self.add(
            Node {
                kind: Kind::Alias,
                text: String::new(),
                style: TScalarStyle::Plain,
                tag: None,
                at,
                link: target,
                size,
                bytes,
                depth,
            },
            0,
        );
        self.attach(id);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Nodes to values, as go-yaml's decoder and sigs.k8s.io/yaml do

/// A Go value go-yaml decodes a scalar to (into `interface{}`).
#[derive(Clone, Debug, PartialEq)]
enum Go {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
}

/// A Go map key: keys are equal when Go's `==` says so (`1` the int and
/// `"1"` the string are two keys; NaN is never equal to a key).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum GoKey {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(u64),
    NaN(u64),
    Str(String),
}

/// A map being decoded, in key order.
#[derive(Default)]
struct GoMap {
    keys: Vec<GoKey>,
    entries: Vec<Entry>,
    index: HashMap<GoKey, usize>,
}

struct Entry {
    /// The key as a string, as sigs.k8s.io/yaml makes it.
    key: String,
    value: Value,
    /// Where the key is written.
    at: (usize, usize),
}

impl GoMap {
    /// Sets a key as `reflect.Value.SetMapIndex` does: a key already there
    /// takes the new value (and the new key: `0.0` then `-0.0` is `-0`).
    fn set(&mut self, go: GoKey, key: String, value: Value, at: (usize, usize)) {
        // Small maps are searched; larger ones indexed.
        const SMALL: usize = 16;
        let found = if self.entries.len() <= SMALL {
            self.keys.iter().position(|k| *k == go)
        } else {
            if self.index.is_empty() {
                self.index = self.keys.iter().cloned().zip(0..).collect();
            }
            self.index.get(&go).copied()
        };
        match found {
            Some(i) => self.entries[i] = Entry { key, value, at },
            None => {
                if self.entries.len() >= SMALL {
                    if self.index.is_empty() {
                        self.index = self.keys.iter().cloned().zip(0..).collect();
                    }
                    self.index.insert(go.clone(), self.entries.len());
                }
                self.keys.push(go);
                self.entries.push(Entry { key, value, at });
            }
        }
    }
}

type Failure = (Problem, usize);

struct Decoder<'d> {
    doc: &'d Doc,
    text: &'d str,
    /// go-yaml's `decodeCount`, `aliasCount` and `aliasDepth`.
    decodes: u64,
    aliased: u64,
    alias_depth: u32,
    /// The first error that go-yaml's decoding would not give, but the
    /// conversion to JSON after it: lowest rank first (keys Helm cannot
    /// make strings, then values JSON cannot hold, then keys that become
    /// the same string).
    late: Option<(u8, Failure)>,
    nans: u64,
    path: Vec<Seg>,
    path_bytes: usize,
    positions: Positions,
    position_bytes: usize,
}

impl<'d> Decoder<'d> {
    fn new(doc: &'d Doc, text: &'d str) -> Decoder<'d> {
        Decoder {
            doc,
            text,
            decodes: 0,
            aliased: 0,
            alias_depth: 0,
            late: None,
            nans: 0,
            path: Vec::new(),
            path_bytes: 0,
            positions: Positions::new(),
            position_bytes: 0,
        }
    }

    fn run(mut self) -> Result<(Value, Positions), Failure> {
        let value = match self.doc.root {
            None => Value::Null,
            Some(root) => {
                // The document node counts as one decode.
                self.decodes = 1;
                self.value(root, None, true)?
            }
        };
        match self.late.take() {
            Some((_, failure)) => Err(failure),
            None => Ok((value, self.positions)),
        }
    }

    fn source(&self, at: (usize, usize)) -> String {
        self.text.get(at.0..at.1).unwrap_or_default().to_string()
    }

    fn later(&mut self, rank: u8, problem: Problem, at: usize) {
        if self.late.as_ref().is_none_or(|(r, _)| rank < *r) {
            self.late = Some((rank, (problem, at)));
        }
    }

    /// go-yaml's count of decodes and its alias-ratio rule
    /// (`decoder.unmarshal`, `allowedAliasRatio`).
    fn count(&mut self, id: u32) -> Result<(), Failure> {
        self.decodes += 1;
        if self.alias_depth > 0 {
            self.aliased += 1;
        }
        if self.aliased > 100
            && self.decodes > 1000
            && self.aliased as f64 / self.decodes as f64 > allowed_alias_ratio(self.decodes)
        {
            return Err((
                Problem::Helm(HelmRefusal::ExcessiveAliasing),
                self.doc.nodes[id as usize].at.0,
            ));
        }
        Ok(())
    }

    fn record(&mut self, id: u32, key: Option<(usize, usize)>) {
        let cost = self.path_bytes + 64;
        if self.position_bytes + cost > MAX_POSITION_BYTES {
            return;
        }
        self.position_bytes += cost;
        let n = &self.doc.nodes[id as usize];
        self.positions.insert(
            self.path.clone(),
            Located {
                key,
                value: n.at,
                scalar: n.kind == Kind::Scalar,
            },
        );
    }

    fn push(&mut self, seg: Seg) {
        self.path_bytes += seg_bytes(&seg);
        self.path.push(seg);
    }

    fn pop(&mut self) {
        if let Some(seg) = self.path.pop() {
            self.path_bytes -= seg_bytes(&seg);
        }
    }

    /// The value of node `id` (`key`: where its key is); `record`: whether
    /// its position and its elements' are recorded (not for what an alias
    /// repeats).
    fn value(
        &mut self,
        id: u32,
        key: Option<(usize, usize)>,
        record: bool,
    ) -> Result<Value, Failure> {
        self.count(id)?;
        if record {
            self.record(id, key);
        }
        let doc = self.doc;
        let n = &doc.nodes[id as usize];
        match n.kind {
            Kind::Scalar => {
                let go = resolve_node(n).map_err(|r| (Problem::Helm(r), n.at.0))?;
                Ok(self.json(go, n.at))
            }
            Kind::Seq => {
                let mut items = Vec::new();
                for (i, c) in doc.children(id).into_iter().enumerate() {
                    if record {
                        self.push(Seg::Index(i));
                    }
                    let v = self.value(c, None, record);
                    if record {
                        self.pop();
                    }
                    items.push(v?);
                }
                Ok(Value::Array(items))
            }
            Kind::Map => {
                let mut map = GoMap::default();
                self.fill(id, &mut map, record)?;
                Ok(self.object(map))
            }
            Kind::Alias => {
                self.alias_depth += 1;
                let v = self.value(n.link, None, false);
                self.alias_depth -= 1;
                v
            }
        }
    }

    /// Decodes the entries of map `id` into `map` (`decoder.mapping`).
    fn fill(&mut self, id: u32, map: &mut GoMap, record: bool) -> Result<(), Failure> {
        let doc = self.doc;
        let end = doc.nodes[id as usize].link;
        let mut c = id + 1;
        while c < end {
            let k = c;
            let v = doc.next(k);
            c = doc.next(v);
            if is_merge(&doc.nodes[k as usize]) {
                self.merge(v, map)?;
                continue;
            }
            let (go, key) = self.key(k)?;
            let key_at = doc.nodes[k as usize].at;
            if record {
                self.push(Seg::Key(key.clone()));
            }
            let value = self.value(v, Some(key_at), record);
            if record {
                self.pop();
            }
            map.set(go, key, value?, key_at);
        }
        Ok(())
    }

    /// A key as Go has it, and as the string sigs.k8s.io/yaml makes of it.
    fn key(&mut self, k: u32) -> Result<(GoKey, String), Failure> {
        self.count(k)?;
        let doc = self.doc;
        let n = &doc.nodes[k as usize];
        let target = match n.kind {
            Kind::Alias => {
                self.alias_depth += 1;
                let counted = self.count(n.link);
                self.alias_depth -= 1;
                counted?;
                &doc.nodes[n.link as usize]
            }
            _ => n,
        };
        if target.kind != Kind::Scalar {
            return Err((Problem::Helm(HelmRefusal::CollectionKey), n.at.0));
        }
        let go = resolve_node(target).map_err(|r| (Problem::Helm(r), n.at.0))?;
        Ok(match go {
            Go::Null => {
                let text = self.source(n.at);
                self.later(1, Problem::Helm(HelmRefusal::NullKey { text }), n.at.0);
                (GoKey::Null, "null".into())
            }
            Go::Uint(u) => {
                let text = self.source(n.at);
                self.later(1, Problem::Helm(HelmRefusal::BigKey { text }), n.at.0);
                (GoKey::Uint(u), u.to_string())
            }
            Go::Bool(b) => (GoKey::Bool(b), b.to_string()),
            Go::Int(i) => (GoKey::Int(i), i.to_string()),
            Go::Float(f) if f.is_nan() => {
                self.nans += 1;
                (GoKey::NaN(self.nans), go_float_key(f))
            }
            // Go's `==` has 0.0 equal to -0.0.
            Go::Float(f) => (GoKey::Float((f + 0.0).to_bits()), go_float_key(f)),
            Go::Str(s) => (GoKey::Str(s.clone()), s),
        })
    }

    /// `<<: VALUE` (`decoder.merge`): the entries of a map, an alias of one,
    /// or of each in a list of them (the last first, so that earlier ones
    /// win), go into `map` over what it has; later keys go over them.
    fn merge(&mut self, v: u32, map: &mut GoMap) -> Result<(), Failure> {
        let doc = self.doc;
        let n = &doc.nodes[v as usize];
        match n.kind {
            Kind::Map => {
                self.count(v)?;
                self.fill(v, map, false)
            }
            Kind::Alias => self.merge_alias(v, map),
            Kind::Seq => {
                for &item in doc.children(v).iter().rev() {
                    match doc.nodes[item as usize].kind {
                        Kind::Map => {
                            self.count(item)?;
                            self.fill(item, map, false)?;
                        }
                        Kind::Alias => self.merge_alias(item, map)?,
                        Kind::Scalar | Kind::Seq => {
                            return Err(merge_not_map(doc.nodes[item as usize].at.0))
                        }
                    }
                }
                Ok(())
            }
            Kind::Scalar => Err(merge_not_map(n.at.0)),
        }
    }

    fn merge_alias(&mut self, a: u32, map: &mut GoMap) -> Result<(), Failure> {
        let n = &self.doc.nodes[a as usize];
        if self.doc.nodes[n.link as usize].kind != Kind::Map {
            return Err(merge_not_map(n.at.0));
        }
        self.count(a)?;
        self.alias_depth += 1;
        let r = self
            .count(n.link)
            .and_then(|()| self.fill(n.link, map, false));
        self.alias_depth -= 1;
        r
    }

    /// A decoded map as JSON.
    fn object(&mut self, map: GoMap) -> Value {
        let mut out = Map::new();
        let mut written: Vec<(usize, usize)> = Vec::with_capacity(map.entries.len());
        for e in map.entries {
            if out.contains_key(&e.key) && self.late.as_ref().is_none_or(|(r, _)| *r > 3) {
                let first = out
                    .keys()
                    .position(|k| *k == e.key)
                    .map_or(e.at, |i| written[i]);
                let problem = Problem::SameKey {
                    first: self.source(first),
                    second: self.source(e.at),
                    key: e.key.clone(),
                };
                self.later(3, problem, e.at.0);
            }
            if !out.contains_key(&e.key) {
                written.push(e.at);
            }
            out.insert(e.key, e.value);
        }
        Value::Object(out)
    }

    /// A decoded scalar as JSON (`json.Marshal`).
    fn json(&mut self, go: Go, at: (usize, usize)) -> Value {
        match go {
            Go::Null => Value::Null,
            Go::Bool(b) => Value::Bool(b),
            Go::Int(i) => Value::from(i),
            Go::Uint(u) => Value::from(u),
            Go::Float(f) => match Number::from_f64(f) {
                Some(n) => Value::Number(n),
                None => {
                    let text = self.source(at);
                    self.later(2, Problem::Helm(HelmRefusal::NotJson { text }), at.0);
                    Value::Null
                }
            },
            Go::Str(s) => Value::String(s),
        }
    }
}

fn seg_bytes(seg: &Seg) -> usize {
    std::mem::size_of::<Seg>()
        + match seg {
            Seg::Key(k) => k.len(),
            Seg::Index(_) => 0,
        }
}

fn merge_not_map(at: usize) -> Failure {
    (Problem::Helm(HelmRefusal::MergeNotMap), at)
}

/// go-yaml's `allowedAliasRatio`: 99% up to 400,000 decodes, falling to
/// 10% at 4,000,000.
fn allowed_alias_ratio(decodes: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decodes <= LOW {
        0.99
    } else if decodes >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decodes - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// go-yaml's `isMerge`: a `<<` key that is plain (or tagged `!` or
/// `!!merge`); a quoted `"<<"` is an ordinary key.
fn is_merge(n: &Node) -> bool {
    n.kind == Kind::Scalar
        && n.text == "<<"
        && match n.tag.as_deref() {
            None => n.style == TScalarStyle::Plain,
            Some(tag) => tag == "!" || tag == MERGE,
        }
}

// ---------------------------------------------------------------------------
// Scalars, as go-yaml v2's resolve.go and decode.go read them

const STR: &str = "tag:yaml.org,2002:str";
const BOOL: &str = "tag:yaml.org,2002:bool";
const INT: &str = "tag:yaml.org,2002:int";
const FLOAT: &str = "tag:yaml.org,2002:float";
const NULL: &str = "tag:yaml.org,2002:null";
const TIMESTAMP: &str = "tag:yaml.org,2002:timestamp";
const BINARY: &str = "tag:yaml.org,2002:binary";
const MERGE: &str = "tag:yaml.org,2002:merge";

fn short_tag(tag: &str) -> String {
    match tag.strip_prefix("tag:yaml.org,2002:") {
        Some(name) => format!("!!{name}"),
        None => tag.to_string(),
    }
}

fn resolve_node(n: &Node) -> Result<Go, HelmRefusal> {
    scalar(&n.text, n.style == TScalarStyle::Plain, n.tag.as_deref())
}

/// A scalar decoded into `interface{}` (`decoder.scalar`).
fn scalar(text: &str, plain: bool, tag: Option<&str>) -> Result<Go, HelmRefusal> {
    let tag = match tag {
        // Quoted and block scalars without a tag are strings.
        None if !plain => return Ok(Go::Str(text.to_string())),
        None => "",
        Some(tag) => tag,
    };
    if tag == BINARY {
        // The bytes become a Go string, which json.Marshal writes with each
        // byte that is not UTF-8 as U+FFFD.
        return go_base64(text)
            .map(|b| Go::Str(go_json_string(b)))
            .ok_or(HelmRefusal::Binary);
    }
    if !matches!(tag, "" | STR | BOOL | INT | FLOAT | NULL | TIMESTAMP) {
        // `!`, local tags and the other tags leave the text as it is.
        return Ok(Go::Str(text.to_string()));
    }
    let (found, value) = resolve(tag, text);
    if tag.is_empty() || tag == found || tag == STR {
        return Ok(value);
    }
    if let (FLOAT, Go::Int(i)) = (tag, &value) {
        return Ok(Go::Float(*i as f64));
    }
    Err(HelmRefusal::Tag {
        found: short_tag(found),
        text: text.to_string(),
        tag: short_tag(tag),
    })
}

/// go-yaml's `resolve` for a resolvable tag: what the text is, by its
/// first character's hint.
fn resolve(tag: &str, text: &str) -> (&'static str, Go) {
    let hint = match text.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    };
    if hint != 0 && tag != STR {
        match text {
            "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
                return (BOOL, Go::Bool(true))
            }
            "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off"
            | "OFF" => return (BOOL, Go::Bool(false)),
            "" | "~" | "null" | "Null" | "NULL" => return (NULL, Go::Null),
            ".nan" | ".NaN" | ".NAN" => return (FLOAT, Go::Float(f64::NAN)),
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
                return (FLOAT, Go::Float(f64::INFINITY))
            }
            "-.inf" | "-.Inf" | "-.INF" => return (FLOAT, Go::Float(f64::NEG_INFINITY)),
            _ => {}
        }
        match hint {
            b'.' => {
                if let Some(f) = go_parse_float(text) {
                    return (FLOAT, Go::Float(f));
                }
            }
            b'D' | b'S' => {
                // Timestamps stay strings when decoded into `interface{}`.
                if (tag.is_empty() || tag == TIMESTAMP) && go_timestamp(text) {
                    return (TIMESTAMP, Go::Str(text.to_string()));
                }
                let plain = text.replace('_', "");
                if let Some(i) = go_parse_int(&plain) {
                    return (INT, Go::Int(i));
                }
                if let Some(u) = go_parse_uint(&plain) {
                    return (INT, Go::Uint(u));
                }
                if yaml_style_float(&plain) {
                    if let Some(f) = go_parse_float(&plain) {
                        return (FLOAT, Go::Float(f));
                    }
                }
                // resolve.go's own `0b`/`-0b` cases after this are what
                // `strconv.ParseInt` with base 0 already reads.
            }
            _ => {}
        }
    }
    (STR, Go::Str(text.to_string()))
}

/// Go's `strconv.ParseInt(s, 0, 64)` (no underscores left in `s`).
fn go_parse_int(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = go_parse_uint(body)?;
    if negative {
        if magnitude <= 1 << 63 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)`: `0x`, `0o`, `0b` prefixes (with at
/// least one digit after them) and a leading `0` for octal.
fn go_parse_uint(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (radix, digits) = if b[0] == b'0' && b.len() >= 3 && b[1] | 0x20 == b'x' {
        (16, &s[2..])
    } else if b[0] == b'0' && b.len() >= 3 && b[1] | 0x20 == b'o' {
        (8, &s[2..])
    } else if b[0] == b'0' && b.len() >= 3 && b[1] | 0x20 == b'b' {
        (2, &s[2..])
    } else if b[0] == b'0' {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        n = n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// go-yaml v2's `yamlStyleFloat`:
/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text (what reaches it
/// here): `_` only between digits, an error past the largest float.
fn go_parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let (mut digits, mut dot, mut underscores) = (false, false, false);
    while i < b.len() {
        match b[i] {
            b'_' => underscores = true,
            b'.' if !dot => dot = true,
            b'0'..=b'9' => digits = true,
            _ => break,
        }
        i += 1;
    }
    if !digits {
        return None;
    }
    if i < b.len() && b[i] | 0x20 == b'e' {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            underscores |= b[i] == b'_';
            i += 1;
        }
    }
    if i != b.len() || (underscores && !go_underscores_ok(s)) {
        return None;
    }
    let f: f64 = s.replace('_', "").parse().ok()?;
    f.is_finite().then_some(f)
}

/// Go's `underscoreOK` for decimal text: each `_` between two digits.
fn go_underscores_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mut saw = b'^';
    for c in s.bytes() {
        if c.is_ascii_digit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
    }
    saw != b'_'
}

/// go-yaml's `parseTimestamp`: four digits and `-`, then one of the
/// layouts `2006-1-2T15:4:5.999999999Z07:00` (`T` or `t`),
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`, as Go's `time.Parse` reads
/// them (one or two digits per field, ranges checked).
fn go_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: u32 = s[..4].parse().unwrap_or(0);
    let mut r = &b[5..];
    // Go's `getnum`: one or two digits.
    let num = |r: &mut &[u8]| -> Option<u32> {
        let d0 = r.first().filter(|c| c.is_ascii_digit())?;
        let mut n = u32::from(d0 - b'0');
        *r = &r[1..];
        if let Some(d1) = r.first().filter(|c| c.is_ascii_digit()) {
            n = n * 10 + u32::from(d1 - b'0');
            *r = &r[1..];
        }
        Some(n)
    };
    let lit =
        |r: &mut &[u8], c: u8| -> Option<()> { (r.first() == Some(&c)).then(|| *r = &r[1..]) };
    let parsed = (|| -> Option<bool> {
        let month = num(&mut r)?;
        lit(&mut r, b'-')?;
        let day = num(&mut r)?;
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        if day < 1 || day > days {
            return None;
        }
        let zone = match r.first() {
            None => return Some(true),
            Some(b'T' | b't') => true,
            Some(b' ') => false,
            Some(_) => return None,
        };
        r = &r[1..];
        let hour = num(&mut r)?;
        lit(&mut r, b':')?;
        let minute = num(&mut r)?;
        lit(&mut r, b':')?;
        let second = num(&mut r)?;
        if hour >= 24 || minute >= 60 || second >= 60 {
            return None;
        }
        if r.len() >= 2 && matches!(r[0], b'.' | b',') && r[1].is_ascii_digit() {
            r = &r[1..];
            while r.first().is_some_and(u8::is_ascii_digit) {
                r = &r[1..];
            }
        }
        if zone {
            if r.first() == Some(&b'Z') {
                r = &r[1..];
            } else {
                let two = |d: &[u8]| -> Option<u32> {
                    (d.len() == 2 && d.iter().all(u8::is_ascii_digit))
                        .then(|| u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0'))
                };
                if r.len() < 6 || !matches!(r[0], b'+' | b'-') || r[3] != b':' {
                    return None;
                }
                if two(&r[1..3])? > 24 || two(&r[4..6])? > 60 {
                    return None;
                }
                r = &r[6..];
            }
        }
        Some(r.is_empty())
    })();
    parsed == Some(true)
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard base64, line
/// breaks skipped, bits past the last byte ignored.
fn go_base64(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text.bytes().filter(|&c| c != b'\r' && c != b'\n').collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let quanta = clean.len() / 4;
    let mut out = Vec::with_capacity(quanta * 3);
    for (qi, q) in clean.chunks(4).enumerate() {
        let mut n = 4;
        let mut bits = 0u32;
        for (j, &c) in q.iter().enumerate() {
            if c == b'=' {
                let padding_ok = qi + 1 == quanta && (j == 3 || (j == 2 && q[3] == b'='));
                if !padding_ok {
                    return None;
                }
                n = j;
                break;
            }
            bits |= value(c)? << (18 - 6 * j);
        }
        out.extend_from_slice(&bits.to_be_bytes()[1..n]);
    }
    Some(out)
}

/// A Go string of any bytes as `json.Marshal` writes it: each byte that
/// does not start valid UTF-8 becomes U+FFFD.
fn go_json_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let bytes = e.into_bytes();
            let mut out = String::new();
            let mut rest = &bytes[..];
            loop {
                match std::str::from_utf8(rest) {
                    Ok(s) => {
                        out.push_str(s);
                        return out;
                    }
                    Err(e) => {
                        let (good, bad) = rest.split_at(e.valid_up_to());
                        out.push_str(std::str::from_utf8(good).unwrap_or_default());
                        out.push('\u{fffd}');
                        rest = &bad[1..];
                    }
                }
            }
        }
    }
}

/// A float map key as sigs.k8s.io/yaml writes it:
/// `strconv.FormatFloat(k, 'g', -1, 32)`, with `.inf`, `-.inf`, `.nan`.
fn go_float_key(f: f64) -> String {
    let x = f as f32;
    if x.is_nan() {
        return ".nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    // The shortest digits that read back as the same float32.
    let e = format!("{x:e}");
    let (negative, e) = match e.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, e.as_str()),
    };
    let (mantissa, exp) = e.split_once('e').unwrap_or((e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::from(if negative { "-" } else { "" });
    if digits == "0" {
        out.push('0');
        return out;
    }
    let nd = digits.len() as i32;
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&format!(
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        ));
    } else if exp < 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-exp - 1) as usize));
        out.push_str(&digits);
    } else if exp + 1 >= nd {
        out.push_str(&digits);
        out.push_str(&"0".repeat((exp + 1 - nd) as usize));
    } else {
        out.push_str(&digits[..(exp + 1) as usize]);
        out.push('.');
        out.push_str(&digits[(exp + 1) as usize..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// How Helm reads edge cases: each row is a values file and what
    /// sigs.k8s.io/yaml's YAMLToJSON makes of it (JSON), or `!` and the
    /// problem platc reports. Every row was checked against go-yaml v2.4.0
    /// and sigs.k8s.io/yaml 1.3.0 themselves (the code Helm runs: go-yaml
    /// v2.4.2 only renamed its module), Helm's error rows erring there too;
    /// `!SameKey` rows are the ones where Helm keeps one of two keys at
    /// random. Numbers compare as float64, as Helm holds them. The sources,
    /// for each group: resolve.go `resolve` and `resolveMap` (plain
    /// scalars), its deferred check (explicit tags), decode.go `scalar`
    /// (binary, timestamps), `mapping`/`merge`/`isMerge` (keys, merges),
    /// `unmarshal`/`allowedAliasRatio` (aliasing), and sigs.k8s.io/yaml's
    /// `convertToJSONableObject` (key strings) and `json.Marshal` (`.inf`).
    const HELM: &[(&str, &str)] = &[
        // YAML 1.1 booleans and nulls; only these spellings.
        ("v: yes", r#"{"v":true}"#),
        ("v: Yes", r#"{"v":true}"#),
        ("v: YES", r#"{"v":true}"#),
        ("v: y", r#"{"v":true}"#),
        ("v: Y", r#"{"v":true}"#),
        ("v: on", r#"{"v":true}"#),
        ("v: ON", r#"{"v":true}"#),
        ("v: True", r#"{"v":true}"#),
        ("v: no", r#"{"v":false}"#),
        ("v: N", r#"{"v":false}"#),
        ("v: off", r#"{"v":false}"#),
        ("v: Off", r#"{"v":false}"#),
        ("v: FALSE", r#"{"v":false}"#),
        ("v: yEs", r#"{"v":"yEs"}"#),
        ("v: oN", r#"{"v":"oN"}"#),
        ("v: ~", r#"{"v":null}"#),
        ("v: Null", r#"{"v":null}"#),
        ("v: NULL", r#"{"v":null}"#),
        ("v:", r#"{"v":null}"#),
        ("v: nULL", r#"{"v":"nULL"}"#),
        // Integers: Go's ParseInt with base 0 after removing every `_`.
        ("v: 0755", r#"{"v":493}"#),
        ("v: 0o17", r#"{"v":15}"#),
        ("v: 0O17", r#"{"v":15}"#),
        ("v: 0x1F", r#"{"v":31}"#),
        ("v: 0X1f", r#"{"v":31}"#),
        ("v: 0b101", r#"{"v":5}"#),
        ("v: 0B101", r#"{"v":5}"#),
        ("v: -0x1F", r#"{"v":-31}"#),
        ("v: +12", r#"{"v":12}"#),
        ("v: -0", r#"{"v":0}"#),
        ("v: 00", r#"{"v":0}"#),
        ("v: 1_000", r#"{"v":1000}"#),
        ("v: 1__0", r#"{"v":10}"#),
        ("v: 1_", r#"{"v":1}"#),
        ("v: -_1", r#"{"v":-1}"#),
        ("v: _1", r#"{"v":"_1"}"#),
        ("v: 0x_1F", r#"{"v":31}"#),
        ("v: 0x", r#"{"v":"0x"}"#),
        ("v: 0b", r#"{"v":"0b"}"#),
        ("v: 0o8", r#"{"v":"0o8"}"#),
        ("v: 9223372036854775807", r#"{"v":9223372036854775807}"#),
        ("v: -9223372036854775808", r#"{"v":-9223372036854775808}"#),
        ("v: 9223372036854775808", r#"{"v":9223372036854775808}"#),
        ("v: 18446744073709551615", r#"{"v":18446744073709551615}"#),
        ("v: 0xFFFFFFFFFFFFFFFF", r#"{"v":18446744073709551615}"#),
        ("v: 0x1FFFFFFFFFFFFFFFF", r#"{"v":"0x1FFFFFFFFFFFFFFFF"}"#),
        // Past 64 bits, the float pattern.
        ("v: 18446744073709551616", r#"{"v":18446744073709552000}"#),
        ("v: -9223372036854775809", r#"{"v":-9223372036854775808}"#),
        // Floats: yamlStyleFloat after removing `_`, or a leading `.`.
        ("v: 08", r#"{"v":8}"#),
        ("v: 09.5", r#"{"v":9.5}"#),
        ("v: 1_000.5", r#"{"v":1000.5}"#),
        ("v: 1_0e1_0", r#"{"v":100000000000}"#),
        ("v: 1e3", r#"{"v":1000}"#),
        ("v: 1E3", r#"{"v":1000}"#),
        ("v: 1e+3", r#"{"v":1000}"#),
        ("v: 1.5e-3", r#"{"v":0.0015}"#),
        ("v: 1.", r#"{"v":1}"#),
        ("v: .5", r#"{"v":0.5}"#),
        ("v: +.5", r#"{"v":0.5}"#),
        ("v: -.5", r#"{"v":-0.5}"#),
        ("v: .5_0", r#"{"v":0.5}"#),
        ("v: ._5", r#"{"v":"._5"}"#),
        ("v: .", r#"{"v":"."}"#),
        ("v: .e3", r#"{"v":".e3"}"#),
        ("v: 1e", r#"{"v":"1e"}"#),
        ("v: 1e400", r#"{"v":"1e400"}"#),
        ("v: .5e400", r#"{"v":".5e400"}"#),
        ("v: 1e-400", r#"{"v":0}"#),
        ("v: .iNf", r#"{"v":".iNf"}"#),
        ("v: +.nan", r#"{"v":"+.nan"}"#),
        // JSON has no infinities or NaN: json.Marshal fails.
        ("v: .inf", "!NotJson"),
        ("v: -.Inf", "!NotJson"),
        ("v: +.INF", "!NotJson"),
        ("v: .NaN", "!NotJson"),
        ("v: [1, .nan]", "!NotJson"),
        // Strings: everything else, and all quoted or block scalars.
        ("v: 2024-01-01", r#"{"v":"2024-01-01"}"#),
        (
            "v: 2001-12-14t21:59:43.10-05:00",
            r#"{"v":"2001-12-14t21:59:43.10-05:00"}"#,
        ),
        ("v: 1:20", r#"{"v":"1:20"}"#),
        ("v: 1,000", r#"{"v":"1,000"}"#),
        ("v: 0x1p3", r#"{"v":"0x1p3"}"#),
        ("v: 10.0.0.1", r#"{"v":"10.0.0.1"}"#),
        ("v: <<", r#"{"v":"<<"}"#),
        ("v: \"yes\"", r#"{"v":"yes"}"#),
        ("v: '0755'", r#"{"v":"0755"}"#),
        ("v: \"1_000.5\"", r#"{"v":"1_000.5"}"#),
        ("v: |\n  yes\n", r#"{"v":"yes\n"}"#),
        ("v: >-\n  12\n", r#"{"v":"12"}"#),
        ("v: \"\\x41\\u00e9\"", r#"{"v":"Aé"}"#),
        // Explicit tags: resolved as plain text, then the type must fit
        // (an integer fits !!float).
        ("v: !!int \"12\"", r#"{"v":12}"#),
        ("v: !!int '0x1F'", r#"{"v":31}"#),
        ("v: !!int 1.5", "!Tag"),
        ("v: !!int abc", "!Tag"),
        ("v: !!int ~", "!Tag"),
        ("v: !!int 2001-01-01", "!Tag"),
        ("v: !!float \"1\"", r#"{"v":1}"#),
        ("v: !!float 1e3", r#"{"v":1000}"#),
        ("v: !!float 18446744073709551615", "!Tag"),
        ("v: !!float abc", "!Tag"),
        ("v: !!float 1e400", "!Tag"),
        ("v: !!float .inf", "!NotJson"),
        ("v: !!bool \"yes\"", r#"{"v":true}"#),
        ("v: !!bool 'off'", r#"{"v":false}"#),
        ("v: !!bool maybe", "!Tag"),
        ("v: !!bool 1", "!Tag"),
        ("v: !!bool", "!Tag"),
        ("v: !!str 12", r#"{"v":"12"}"#),
        ("v: !!str yes", r#"{"v":"yes"}"#),
        ("v: !!str ~", r#"{"v":"~"}"#),
        ("v: !!str", r#"{"v":""}"#),
        ("v: !!null \"\"", r#"{"v":null}"#),
        ("v: !!null ~", r#"{"v":null}"#),
        ("v: !!null x", "!Tag"),
        ("v: !!timestamp 2001-12-14", r#"{"v":"2001-12-14"}"#),
        (
            "v: !!timestamp 2001-12-14T21:59:43.10Z",
            r#"{"v":"2001-12-14T21:59:43.10Z"}"#,
        ),
        (
            "v: !!timestamp \"2001-12-14 21:59:43.10\"",
            r#"{"v":"2001-12-14 21:59:43.10"}"#,
        ),
        ("v: !!timestamp 2000-2-29", r#"{"v":"2000-2-29"}"#),
        ("v: !!timestamp 2001-02-29", "!Tag"),
        ("v: !!timestamp 2001-12-14T21:59:43", "!Tag"),
        ("v: !!timestamp 12", "!Tag"),
        ("v: ! 12", r#"{"v":"12"}"#),
        ("v: !local 12", r#"{"v":"12"}"#),
        ("v: !!seq x", r#"{"v":"x"}"#),
        ("v: !!str [1, yes]", r#"{"v":[1,true]}"#),
        // Binary: base64 decoded, bytes that are not UTF-8 as U+FFFD.
        ("v: !!binary aGVsbG8=", r#"{"v":"hello"}"#),
        ("v: !!binary |\n  aGVs\n  bG8=\n", r#"{"v":"hello"}"#),
        ("v: !!binary aGVsbG9=", r#"{"v":"hello"}"#),
        ("v: !!binary \"\"", r#"{"v":""}"#),
        ("v: !!binary gA==", r#"{"v":"\ufffd"}"#),
        ("v: !!binary 4oKs", r#"{"v":"€"}"#),
        ("v: !!binary aGVsbG8", "!Binary"),
        ("v: !!binary \"aGVs bG8=\"", "!Binary"),
        ("v: !!binary aG==aGVs", "!Binary"),
        // Keys become strings: ints in decimal, floats as float32 %g.
        ("1: a", r#"{"1":"a"}"#),
        ("0x10: a", r#"{"16":"a"}"#),
        ("yes: a", r#"{"true":"a"}"#),
        ("off: a", r#"{"false":"a"}"#),
        ("1.5: a", r#"{"1.5":"a"}"#),
        ("1e3: a", r#"{"1000":"a"}"#),
        ("1e6: a", r#"{"1e+06":"a"}"#),
        ("123456.0: a", r#"{"123456":"a"}"#),
        ("0.1: a", r#"{"0.1":"a"}"#),
        ("0.0001: a", r#"{"0.0001":"a"}"#),
        ("0.00001: a", r#"{"1e-05":"a"}"#),
        ("123456789.0: a", r#"{"1.2345679e+08":"a"}"#),
        ("1e300: a", r#"{".inf":"a"}"#),
        (".inf: a", r#"{".inf":"a"}"#),
        ("-.inf: a", r#"{"-.inf":"a"}"#),
        (".nan: a", r#"{".nan":"a"}"#),
        ("-0.0: a", r#"{"-0":"a"}"#),
        ("2024-01-01: a", r#"{"2024-01-01":"a"}"#),
        ("!!str 1: a", r#"{"1":"a"}"#),
        ("? |\n  block\n: v", r#"{"block\n":"v"}"#),
        ("~: a", "!NullKey"),
        ("null: a", "!NullKey"),
        ("9223372036854775808: a", "!BigKey"),
        ("[1]: a", "!CollectionKey"),
        ("? {a: 1}\n: b", "!CollectionKey"),
        ("a: &k [1]\n*k : b", "!CollectionKey"),
        // Repeated keys: the later wins when Go sees one key...
        ("a: 1\na: 2", r#"{"a":2}"#),
        ("yes: 1\non: 2", r#"{"true":2}"#),
        ("1: a\n01: b", r#"{"1":"b"}"#),
        ("0.0: a\n-0.0: b", r#"{"-0":"b"}"#),
        // ...and Helm keeps one at random when two Go keys meet as one.
        ("1: a\n\"1\": b", "!SameKey"),
        ("true: a\n\"true\": b", "!SameKey"),
        ("1: a\n1.0: b", "!SameKey"),
        (".nan: a\n.nan: b", "!SameKey"),
        // Merge keys: a plain `<<` only; merged keys go over earlier
        // ones and under later ones.
        (
            "b: &b {x: 1, z: 2}\nc:\n  <<: *b\n  z: 3",
            r#"{"b":{"x":1,"z":2},"c":{"x":1,"z":3}}"#,
        ),
        (
            "b: &b {x: 1, z: 2}\nc:\n  z: 3\n  <<: *b",
            r#"{"b":{"x":1,"z":2},"c":{"x":1,"z":2}}"#,
        ),
        (
            "a: &a {x: 1}\nb: &b {x: 2, w: 2}\nc:\n  <<: [*a, *b]",
            r#"{"a":{"x":1},"b":{"x":2,"w":2},"c":{"x":1,"w":2}}"#,
        ),
        ("c:\n  <<: {x: 1}\n  w: 2", r#"{"c":{"x":1,"w":2}}"#),
        // `y` and `n` are booleans as keys too.
        ("y: 1\nn: 2", r#"{"true":1,"false":2}"#),
        ("\"<<\": 1", r#"{"<<":1}"#),
        ("'<<': {a: 1}", r#"{"<<":{"a":1}}"#),
        ("!!str <<: 1", r#"{"<<":1}"#),
        ("!!merge \"<<\": {a: 1}", r#"{"a":1}"#),
        ("! \"<<\": {a: 1}", r#"{"a":1}"#),
        ("a: &a 1\nc:\n  <<: *a", "!MergeNotMap"),
        ("c:\n  <<: 1", "!MergeNotMap"),
        ("c:\n  <<: [1]", "!MergeNotMap"),
        ("a: &a [1]\nc:\n  <<: [*a]", "!MergeNotMap"),
        // Anchors and aliases.
        (
            "a: &x 1\nb: *x\nc: &x 2\nd: *x",
            r#"{"a":1,"b":1,"c":2,"d":2}"#,
        ),
        ("&k a: 1\nb: *k", r#"{"a":1,"b":"a"}"#),
        ("a: &k x\n*k : 1", r#"{"a":"x","x":1}"#),
        ("a: &x [*x]", "!ContainsItself"),
        ("a: &x {b: *x}", "!ContainsItself"),
        // Documents: only the first is read; a byte order mark is skipped.
        ("a: 1\n---\nb: [", r#"{"a":1}"#),
        ("", "null"),
        ("# only a comment\n", "null"),
        ("---\n", "null"),
        ("\u{feff}a: 1", r#"{"a":1}"#),
        ("- 1\n- yes", "[1,true]"),
        // A tab after `:`; tabs as indentation, which libyaml refuses.
        ("key:\tvalue\nm:\t1", r#"{"key":"value","m":1}"#),
        ("a:\n  - b\n  -\tc", "!Syntax"),
        ("a:\n\tb: 1", "!Syntax"),
        ("a: [1, 2", "!Syntax"),
        ("a: b: c", "!Syntax"),
        // Known differences, where platc refuses what Helm reads (and says
        // so): `\'` in double quotes (go-yaml only), a tab after `:`
        // inside quotes and another outside, a comment right after `]`.
        ("a: \"it\\'s\"", "!PlatcSyntax"),
        ("a: \"x:\ty\"\nb:\t1", "!PlatcSyntax"),
        ("a: [1, 2]#c", "!PlatcSyntax"),
    ];

    /// The name of a problem, as the table writes it.
    fn kind(p: &Problem) -> &'static str {
        match p {
            Problem::Syntax { helm: true, .. } => "Syntax",
            Problem::Syntax { helm: false, .. } => "PlatcSyntax",
            Problem::Helm(r) => match r {
                HelmRefusal::Tag { .. } => "Tag",
                HelmRefusal::Binary => "Binary",
                HelmRefusal::MergeNotMap => "MergeNotMap",
                HelmRefusal::CollectionKey => "CollectionKey",
                HelmRefusal::ContainsItself { .. } => "ContainsItself",
                HelmRefusal::ExcessiveAliasing => "ExcessiveAliasing",
                HelmRefusal::NullKey { .. } => "NullKey",
                HelmRefusal::BigKey { .. } => "BigKey",
                HelmRefusal::NotJson { .. } => "NotJson",
            },
            Problem::SameKey { .. } => "SameKey",
            Problem::TooDeep { .. } => "TooDeep",
            Problem::TooMany { .. } => "TooMany",
            Problem::TooLong { .. } => "TooLong",
        }
    }

    /// JSON equality with numbers as float64, as Helm holds them.
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
            }
            _ => a == b,
        }
    }

    #[test]
    fn helm_reads_edge_cases_alike() {
        let mut wrong = Vec::new();
        for (yaml, want) in HELM {
            let got = parse(yaml);
            let ok = match (want.strip_prefix('!'), &got) {
                (Some(k), Err(e)) => kind(&e.problem) == k,
                (None, Ok(v)) => same(v, &serde_json::from_str(want).unwrap()),
                _ => false,
            };
            if !ok {
                wrong.push(format!("{yaml:?}: want {want}, got {got:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn ints_and_floats_keep_their_kind() {
        // Go's int and float64 are both numbers to Helm; platc keeps which
        // one it was, so that a chart sees `8` written back, not `8.0`.
        let v = parse("i: 0x10\nu: 18446744073709551615\nf: 1e3\ng: !!float 2").unwrap();
        assert!(v["i"].is_i64());
        assert!(v["u"].is_u64() && !v["u"].is_i64());
        assert!(v["f"].is_f64() && v["g"].is_f64());
    }

    #[test]
    fn problems_say_where_they_are() {
        let e = parse("a: 1\nb:\n  c: !!int 30s\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 12));
        assert_eq!(
            e.problem,
            Problem::Helm(HelmRefusal::Tag {
                found: "!!str".into(),
                text: "30s".into(),
                tag: "!!int".into(),
            })
        );
        let e = parse("é: 1\nb: .inf\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 4));
        let e = parse("1: a\nb: c\n\"1\": d\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
        assert_eq!(
            e.problem,
            Problem::SameKey {
                first: "1".into(),
                second: "\"1\"".into(),
                key: "1".into()
            }
        );
        // Helm's decoding errors come before its conversion's.
        let e = parse("a: .nan\n~: 1\nb: !!bool maybe\n").unwrap_err();
        assert_eq!(kind(&e.problem), "Tag");
        let e = parse("a: .nan\n~: 1\n").unwrap_err();
        assert_eq!(kind(&e.problem), "NullKey");
    }

    #[test]
    fn syntax_errors_say_whether_helm_agrees() {
        // libyaml's message, which is Helm's, where libyaml refuses too.
        let e = parse("replicaCount: 2\nresources:\n  limits: [1, 2\n").unwrap_err();
        assert_eq!(
            e.problem,
            Problem::Syntax {
                message: "did not find expected ',' or ']'".into(),
                helm: true
            }
        );
        assert_eq!((e.line, e.column), (4, 1));
        let e = parse("a: 1\nb: c: d\ne: 2\n").unwrap_err();
        assert_eq!(kind(&e.problem), "Syntax");
        assert_eq!((e.line, e.column), (2, 5));
        // yaml-rust2 alone refuses a comment right after `]`.
        let e = parse("a: [1, 2]#c\n").unwrap_err();
        assert_eq!(kind(&e.problem), "PlatcSyntax");
        // A tab after `:` inside a quoted string is text: not read as a
        // space, so the tab elsewhere is refused.
        let e = parse("a: \"x:\ty\"\nb:\t1\n").unwrap_err();
        assert_eq!(kind(&e.problem), "PlatcSyntax");
        assert_eq!(parse("a: \"x:\ty\"\nb: 1\n").unwrap()["a"], "x:\ty");
        // libyaml alone refuses a tab before a list entry's value.
        let e = parse("a:\n  - b\n  -\tc\n").unwrap_err();
        assert_eq!((kind(&e.problem), e.line), ("Syntax", 3));
    }

    #[test]
    fn excessive_aliasing_is_refused_as_helm_does() {
        // 1,000 values, repeated 200 times: aliases make up 99.4% of what
        // go-yaml decodes, over its 99%; 100 times (98.9%) is fine.
        let list = format!("a: &a [{}]\n", vec!["x"; 1000].join(", "));
        let aliases = |n: usize| format!("b: [{}]\n", vec!["*a"; n].join(", "));
        let e = parse(&(list.clone() + &aliases(200))).unwrap_err();
        assert_eq!(kind(&e.problem), "ExcessiveAliasing");
        assert_eq!(parse(&(list + &aliases(100))).unwrap()["b"][99][999], "x");
    }

    #[test]
    fn deep_nesting_stops_at_the_limit() {
        for text in [
            "[".repeat(100_000),
            format!("x: {}", "{".repeat(100_000)),
            "- ".repeat(100_000),
            format!("x: {}1{}", "[".repeat(200), "]".repeat(200)),
            (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect(),
        ] {
            let e = parse(&text).unwrap_err();
            assert_eq!(
                e.problem,
                Problem::TooDeep { alias: false },
                "{}",
                &text[..20]
            );
        }
        let ok = format!("{}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let over = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&over).is_err());
        // Aliases can nest what each anchor holds: counted expanded.
        let mut text = format!("a0: &a0 {}1{}\n", "[".repeat(100), "]".repeat(100));
        text.push_str(&format!(
            "a1: &a1 {}*a0{}\n",
            "[".repeat(100),
            "]".repeat(100)
        ));
        let e = parse(&text).unwrap_err();
        assert_eq!(e.problem, Problem::TooDeep { alias: true });
        assert_eq!(e.line, 2);
    }

    #[test]
    fn alias_bombs_stop_before_expanding() {
        // 50 KB that expands to 100 million values ("billion laughs").
        let mut text = format!("a0: &a0 [{}]\n", vec!["lol"; 10_000].join(","));
        for i in 1..=4 {
            text.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![format!("*a{}", i - 1); 10].join(",")
            ));
        }
        assert!(text.len() < 50_000);
        let e = parse(&text).unwrap_err();
        assert_eq!(e.problem, Problem::TooMany { alias: true });
        assert_eq!(e.line, 3);
        // One long string repeated: bounded by its bytes.
        let text = format!(
            "s: &s \"{}\"\nb: [{}]\n",
            "x".repeat(1 << 20),
            vec!["*s"; 64].join(",")
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.problem, Problem::TooLong { alias: true });
        // Merges count too.
        let mut text = format!(
            "m0: &m0 {{{}}}\n",
            (0..1000)
                .map(|i| format!("k{i}: 1"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for i in 1..=4 {
            let refs = (0..10)
                .map(|_| format!("{{<<: *m{}}}", i - 1))
                .collect::<Vec<_>>()
                .join(", ");
            text.push_str(&format!("m{i}: &m{i} [{refs}]\n"));
        }
        assert_eq!(
            parse(&text).unwrap_err().problem,
            Problem::TooMany { alias: true }
        );
    }

    #[test]
    fn large_files_are_bounded_too() {
        let text = format!("[{}]", vec!["1"; MAX_VALUES].join(","));
        assert_eq!(
            parse(&text).unwrap_err().problem,
            Problem::TooMany { alias: false }
        );
    }

    #[test]
    fn plain_scalars_follow_yaml_1_1() {
        let v = parse(
            "a: yes\nb: off\nc: 'yes'\nd: \"on\"\ne: 0755\nf: 0x1F\ng: 1_000\nh: 1.5\ni: 1e3\nj: ~\nk: version1\nl: 2024-01-01\nm: !!str true\no: -12\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "a": true, "b": false, "c": "yes", "d": "on", "e": 493, "f": 31, "g": 1000,
                "h": 1.5, "i": 1000.0, "j": null, "k": "version1", "l": "2024-01-01", "m": "true", "o": -12
            })
        );
    }

    #[test]
    fn keys_become_strings_and_structure_is_kept() {
        // Like Helm: `on`, `y` and `n` as keys are booleans, printed as strings.
        let v =
            parse("y: 1\non: push\n1: one\nlist:\n  - a\n  - {b: no}\nblock: |\n  yes\n").unwrap();
        assert_eq!(
            v,
            json!({"true": "push", "1": "one", "list": ["a", {"b": false}], "block": "yes\n"})
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let v = parse("base: &b\n  x: 1\n  z: 2\nchild:\n  <<: *b\n  z: 3\ncopy: *b\n").unwrap();
        assert_eq!(
            v,
            json!({"base": {"x": 1, "z": 2}, "child": {"x": 1, "z": 3}, "copy": {"x": 1, "z": 2}})
        );
    }

    #[test]
    fn every_node_has_its_place() {
        let text = "# é comment\nworkers:\n  replicas: two\n  'quoted key': \"x\"\nlist:\n  - a\n  - {b: no}\nbase: &b {c: 1}\ncopy: *b\nmerged:\n  <<: *b\n  d: 2\n";
        let (_, at) = read(text).unwrap();
        let path = |p: &[&str]| -> Vec<Seg> {
            p.iter()
                .map(|s| match s.parse::<usize>() {
                    Ok(i) => Seg::Index(i),
                    Err(_) => Seg::Key(s.to_string()),
                })
                .collect()
        };
        let slice = |r: (usize, usize)| &text[r.0..r.1];
        let replicas = at[&path(&["workers", "replicas"])];
        assert_eq!(slice(replicas.key.unwrap()), "replicas");
        assert_eq!(slice(replicas.value), "two");
        assert!(replicas.scalar);
        let quoted = at[&path(&["workers", "quoted key"])];
        assert_eq!(slice(quoted.key.unwrap()), "'quoted key'");
        assert_eq!(slice(quoted.value), "\"x\"");
        assert_eq!(slice(at[&path(&["list", "0"])].value), "a");
        assert_eq!(at[&path(&["list", "0"])].key, None);
        let b = at[&path(&["list", "1", "b"])];
        assert_eq!(slice(b.key.unwrap()), "b");
        assert_eq!(slice(b.value), "no");
        assert!(!at[&path(&["workers"])].scalar);
        // What an alias repeats is found at the alias.
        assert_eq!(slice(at[&path(&["copy"])].value), "*");
        assert!(!at.contains_key(&path(&["copy", "c"])));
        assert_eq!(slice(at[&path(&["merged", "d"])].value), "2");
        // A byte order mark shifts nothing.
        let (_, at) = read("\u{feff}a: 1\n").unwrap();
        assert_eq!(at[&path(&["a"])].value, (6, 7));
    }

    #[test]
    fn go_helpers_match_go() {
        // strconv.FormatFloat(f, 'g', -1, 32)
        for (f, s) in [
            (1.5, "1.5"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-0.0, "-0"),
            (0.0, "0"),
            (-2.5e-7, "-2.5e-07"),
            (1e300, ".inf"),
        ] {
            assert_eq!(go_float_key(f), s, "{f}");
        }
        assert_eq!(
            go_json_string(vec![b'a', 0xe2, 0x82, b'b']),
            "a\u{fffd}\u{fffd}b"
        );
        assert!(go_timestamp("2001-12-14t21:59:43.10-05:00"));
        assert!(go_timestamp("2001-1-2 3:4:5"));
        assert!(!go_timestamp("2001-13-01"));
        assert!(!go_timestamp("2001-12-14T21:59:43+05"));
        assert_eq!(go_parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(go_parse_int("9223372036854775808"), None);
    }
}
