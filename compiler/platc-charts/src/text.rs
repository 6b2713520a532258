//! The text form of chart facts: line-oriented, indented, diffable.
//!
//! From `stdlib/charts/airflow-1.22.0.facts`:
//!
//! ```text
//! chart airflow 1.22.0
//! @root object
//! affinity =@1
//! airflowConfigAnnotations object
//!   * string
//! airflowHome string
//! config object
//!   celery object
//!     flower_url_prefix boolean|number|string
//!     * boolean|number|string
//! images object closed
//!   airflow object closed
//!     pullPolicy string enum ["Always","Never","IfNotPresent"]
//! global free
//! @1 object closed
//! nodeAffinity object closed
//!   preferredDuringSchedulingIgnoredDuringExecution array
//!     [] object closed
//!       weight integer
//! ```
//!
//! - `chart NAME VERSION` names the chart.
//! - A block starts with `@root` (the whole values tree) or `@N` (a node
//!   used in several places, or recursively) and the node's attributes; its
//!   children follow, indented by two spaces per level below the block.
//! - A child line is a key, then either `=@N` (that block's node) or the
//!   child's attributes, then the child's own children, indented. The key is
//!   a plain word (first `[A-Za-z0-9_]`, then also `.`, `-`, `/`) or a JSON
//!   string. `*` stands for every key the node does not list (a schema's
//!   `additionalProperties`), `[]` for list elements.
//! - Attributes, in this order: the JSON types (`integer|string`; none
//!   written: any type); `free` (any other key, with anything below) or
//!   `closed` (no other key, even below a free-form map; implied by a type
//!   that is not `object`); with neither, other keys are rejected unless a
//!   node above is `open`; `open` (below here, keys not listed are accepted
//!   unless `closed`); `enum` and a JSON array, to the end of the line.
//! - A line starting with `#` is a comment.

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::generate::canonical;
use crate::tree::{Facts, Node, NodeId, Other, Types};

/// A key written as itself, or JSON-quoted when it is not a plain word.
fn write_key(out: &mut String, key: &str) {
    if is_plain(key) {
        out.push_str(key);
    } else {
        out.push_str(&Json::String(key.to_string()).to_string());
    }
}

/// A plain word: first `[A-Za-z0-9_]`, then also `.`, `-`, `/`. By bytes:
/// every byte allowed is ASCII, so a character of several bytes is not.
fn is_plain(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes
        .first()
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes[1..]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'))
}

fn write_attrs(out: &mut String, node: &Node) {
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !first {
            out.push(' ');
        }
        first = false;
    };
    if !node.types.is_any() {
        sep(out);
        let names: Vec<&str> = node.types.names().collect();
        out.push_str(&names.join("|"));
    }
    match node.other {
        Other::Any => {
            sep(out);
            out.push_str("free");
        }
        // Implied by a type that is not `object`.
        Other::Forbid if !node.types.allows(Types::OBJECT) => {}
        Other::Forbid => {
            sep(out);
            out.push_str("closed");
        }
        Other::Unlisted | Other::Node(_) => {}
    }
    if node.open {
        sep(out);
        out.push_str("open");
    }
    if let Some(values) = &node.enum_values {
        sep(out);
        out.push_str("enum ");
        out.push_str(&Json::Array(values.to_vec()).to_string());
    }
}

/// The children of a node, in the order they are written.
fn children(node: &Node) -> impl Iterator<Item = (Label<'_>, NodeId)> {
    let keys = node.keys.iter().map(|(k, id)| (Label::Key(k), *id));
    let other = match node.other {
        Other::Node(id) => Some((Label::Other, id)),
        _ => None,
    };
    let items = node.items.map(|id| (Label::Items, id));
    keys.chain(other).chain(items)
}

/// The children of a node being written, the next one to write, and their
/// indentation.
type Siblings<'a> = (Vec<(Label<'a>, NodeId)>, usize, usize);

#[derive(Clone, Copy)]
enum Label<'a> {
    Key(&'a str),
    Other,
    Items,
}

/// Shared nodes whose children take at most this many lines are repeated
/// where they are used rather than written as blocks.
const INLINE_LINES: usize = 2;

/// Which nodes are written as blocks: the root, nodes in a cycle, and nodes
/// with several parents unless they are small.
fn blocks(nodes: &[Node]) -> Vec<bool> {
    let mut parents = vec![0usize; nodes.len()];
    for node in nodes {
        for (_, child) in children(node) {
            parents[child as usize] += 1;
        }
    }
    let mut block = vec![false; nodes.len()];
    block[0] = true;
    // Lines below each node when written inline, bottom-up by an explicit
    // depth-first walk; a node met again while on the walk is in a cycle.
    const UNKNOWN: usize = usize::MAX;
    const ON_WALK: usize = usize::MAX - 1;
    let mut lines = vec![UNKNOWN; nodes.len()];
    let mut stack: Vec<(NodeId, usize)> = vec![(0, 0)];
    lines[0] = ON_WALK;
    while let Some(&mut (id, ref mut next)) = stack.last_mut() {
        let kids: Vec<NodeId> = children(&nodes[id as usize]).map(|(_, c)| c).collect();
        if let Some(&child) = kids.get(*next) {
            *next += 1;
            match lines[child as usize] {
                UNKNOWN => {
                    lines[child as usize] = ON_WALK;
                    stack.push((child, 0));
                }
                ON_WALK => block[child as usize] = true,
                _ => {}
            }
            continue;
        }
        stack.pop();
        let total = kids
            .iter()
            .map(|&c| {
                let below = lines[c as usize];
                if block[c as usize] || below >= ON_WALK {
                    1
                } else {
                    1 + below
                }
            })
            .fold(0usize, usize::saturating_add);
        lines[id as usize] = total;
        if parents[id as usize] > 1 && total > INLINE_LINES {
            block[id as usize] = true;
        }
    }
    block
}

struct Writer<'f> {
    facts: &'f Facts,
    out: String,
    /// Nodes written as blocks: more than one parent (or a cycle).
    shared: Vec<bool>,
    /// Block labels, in order of first mention.
    labels: HashMap<NodeId, usize>,
    queue: Vec<NodeId>,
}

impl Writer<'_> {
    fn label(&mut self, id: NodeId) -> String {
        if id == 0 {
            return "@root".to_string();
        }
        let next = self.labels.len() + 1;
        let n = *self.labels.entry(id).or_insert_with(|| {
            self.queue.push(id);
            next
        });
        format!("@{n}")
    }

    /// The children of `id`, `depth` levels below its block.
    fn write_children(&mut self, id: NodeId, depth: usize) {
        let facts = self.facts;
        // An explicit stack: inline chains can be long.
        let mut stack: Vec<Siblings<'_>> =
            vec![(children(&facts.nodes[id as usize]).collect(), 0, depth)];
        while let Some((siblings, index, depth)) = stack.last_mut() {
            let Some(&(label, child)) = siblings.get(*index) else {
                stack.pop();
                continue;
            };
            *index += 1;
            let depth = *depth;
            for _ in 0..depth {
                self.out.push_str("  ");
            }
            match label {
                Label::Key(k) => write_key(&mut self.out, k),
                Label::Other => self.out.push('*'),
                Label::Items => self.out.push_str("[]"),
            }
            if self.shared[child as usize] {
                let label = self.label(child);
                self.out.push_str(" =");
                self.out.push_str(&label);
                self.out.push('\n');
                continue;
            }
            let child_node = &facts.nodes[child as usize];
            let mut attrs = String::new();
            write_attrs(&mut attrs, child_node);
            if !attrs.is_empty() {
                self.out.push(' ');
                self.out.push_str(&attrs);
            }
            self.out.push('\n');
            stack.push((children(child_node).collect(), 0, depth + 1));
        }
    }
}

impl Facts {
    /// The facts as text (see the module docs of `text.rs`): deterministic,
    /// and `Facts::parse(&f.to_text()) == Ok(f)`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str("chart ");
        write_key(&mut out, &self.chart);
        out.push(' ');
        write_key(&mut out, &self.version);
        out.push('\n');
        if self.nodes.is_empty() {
            return out;
        }
        let shared = blocks(&self.nodes);
        let mut w = Writer {
            facts: self,
            out,
            shared,
            labels: HashMap::new(),
            queue: Vec::new(),
        };
        let mut block: NodeId = 0;
        let mut next = 0;
        loop {
            let label = w.label(block);
            w.out.push_str(&label);
            let mut attrs = String::new();
            write_attrs(&mut attrs, &self.nodes[block as usize]);
            if !attrs.is_empty() {
                w.out.push(' ');
                w.out.push_str(&attrs);
            }
            w.out.push('\n');
            w.write_children(block, 0);
            if next == w.queue.len() {
                break;
            }
            block = w.queue[next];
            next += 1;
        }
        w.out
    }

    /// Reads facts written by [`Facts::to_text`].
    pub fn parse(text: &str) -> Result<Facts, String> {
        Parser::default().parse(text, Form::Any)
    }

    /// [`Self::parse`] of a text that [`Self::to_text`] wrote, its graph
    /// as written: the small nodes the text repeats inline under each
    /// parent stay apart, not merged. The graph is not canonical (not
    /// equal to [`Self::parse`]'s), but it accepts and rejects the same
    /// values the same way: merging nodes that are alike changes no walk.
    /// For the embedded facts, which are read at every run (a test checks
    /// that each of them made canonical is what [`Self::parse`] reads).
    pub(crate) fn parse_as_written(text: &str) -> Result<Facts, String> {
        Parser::default().parse(text, Form::AsWritten)
    }
}

/// What a text of facts is known to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Anything: its graph is made canonical.
    Any,
    /// Written by [`Facts::to_text`]: its graph is kept as written, the
    /// nodes repeated inline apart (see [`Facts::parse_as_written`]).
    AsWritten,
}

#[derive(Default)]
struct Parser {
    nodes: Vec<Node>,
    /// Block label → node; `None` until its block is read.
    blocks: HashMap<String, (NodeId, bool)>,
}

/// A node being read: its children arrive on the following lines.
struct Open {
    id: NodeId,
    depth: usize,
    keys: Vec<(Box<str>, NodeId)>,
    /// `false` for a reference line (`key =@N`), which has no children.
    inline: bool,
}

impl Parser {
    fn block(&mut self, label: &str) -> NodeId {
        if let Some((id, _)) = self.blocks.get(label) {
            return *id;
        }
        self.nodes.push(Node::any());
        let id = (self.nodes.len() - 1) as NodeId;
        self.blocks.insert(label.to_string(), (id, false));
        id
    }

    fn parse(mut self, text: &str, form: Form) -> Result<Facts, String> {
        let mut chart: Option<(String, String)> = None;
        let mut stack: Vec<Open> = Vec::new();
        let mut root: Option<NodeId> = None;
        for (index, line) in text.lines().enumerate() {
            let at = |e: String| format!("line {}: {e}", index + 1);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if chart.is_none() {
                let rest = line
                    .strip_prefix("chart ")
                    .ok_or_else(|| at("expected `chart NAME VERSION`".to_string()))?;
                let (name, rest) = read_key(rest).map_err(at)?;
                let rest = rest
                    .strip_prefix(' ')
                    .ok_or_else(|| at("expected a version after the chart name".to_string()))?;
                let (version, rest) = read_key(rest).map_err(at)?;
                if !rest.is_empty() {
                    return Err(at(format!("unexpected `{rest}`")));
                }
                chart = Some((name, version));
                continue;
            }
            if let Some(label) = line.strip_prefix('@') {
                self.finish(&mut stack, 0)?;
                let (label, attrs) = label.split_once(' ').unwrap_or((label, ""));
                let label = format!("@{label}");
                if label != "@root"
                    && (label.len() < 2 || !label[1..].bytes().all(|b| b.is_ascii_digit()))
                {
                    return Err(at(format!("`{label}` is not a block label")));
                }
                let id = self.block(&label);
                let seen = self.blocks.get_mut(&label).map(|b| &mut b.1);
                if let Some(seen) = seen {
                    if *seen {
                        return Err(at(format!("block `{label}` is written twice")));
                    }
                    *seen = true;
                }
                if label == "@root" {
                    root = Some(id);
                }
                read_attrs(attrs, &mut self.nodes[id as usize]).map_err(at)?;
                stack.push(Open {
                    id,
                    depth: 0,
                    keys: Vec::new(),
                    inline: true,
                });
                continue;
            }
            let spaces = line.len() - line.trim_start_matches(' ').len();
            if spaces % 2 != 0 {
                return Err(at("indentation is not a multiple of two spaces".to_string()));
            }
            // Block children are at depth 1 (no indentation).
            let depth = spaces / 2 + 1;
            if stack.is_empty() {
                return Err(at("a key outside of any block".to_string()));
            }
            self.finish(&mut stack, depth)?;
            let parent = stack
                .last()
                .filter(|p| p.depth + 1 == depth)
                .ok_or_else(|| at("indented deeper than its parent".to_string()))?;
            if !parent.inline {
                return Err(at("children below a `=@N` reference".to_string()));
            }
            let body = &line[spaces..];
            let (label, rest) = if let Some(rest) = body.strip_prefix('*') {
                (Label::Other, rest)
            } else if let Some(rest) = body.strip_prefix("[]") {
                (Label::Items, rest)
            } else {
                (Label::Key(""), body)
            };
            let (key, rest) = match label {
                Label::Key(_) => {
                    let (key, rest) = read_key(rest).map_err(at)?;
                    (Some(key), rest)
                }
                _ => (None, rest),
            };
            let rest = match rest.strip_prefix(' ') {
                Some(rest) => rest,
                None if rest.is_empty() => rest,
                None => return Err(at(format!("unexpected `{rest}` after the key"))),
            };
            let (child, inline) = if let Some(target) = rest.strip_prefix('=') {
                if !target.starts_with('@') || target.contains(' ') {
                    return Err(at(format!("`={target}` is not a block reference")));
                }
                (self.block(target), false)
            } else {
                self.nodes.push(Node::any());
                let id = (self.nodes.len() - 1) as NodeId;
                read_attrs(rest, &mut self.nodes[id as usize]).map_err(at)?;
                (id, true)
            };
            let parent = stack.last_mut().expect("checked above");
            let parent_id = parent.id;
            match key {
                Some(key) => parent.keys.push((key.into_boxed_str(), child)),
                None => {
                    let node = &mut self.nodes[parent_id as usize];
                    match label {
                        Label::Other => {
                            if node.other != Other::Unlisted {
                                return Err(at(
                                    "`*` beside `free`, `closed` or another `*`".to_string()
                                ));
                            }
                            node.other = Other::Node(child);
                        }
                        _ => {
                            if node.items.is_some() {
                                return Err(at("a second `[]`".to_string()));
                            }
                            node.items = Some(child);
                        }
                    }
                }
            }
            stack.push(Open {
                id: child,
                depth,
                keys: Vec::new(),
                inline,
            });
        }
        self.finish(&mut stack, 0)?;
        let (chart, version) = chart.ok_or("no `chart NAME VERSION` line")?;
        let root = root.ok_or("no `@root` block")?;
        if let Some(label) = self
            .blocks
            .iter()
            .filter(|(_, (_, seen))| !seen)
            .map(|(label, _)| label)
            .min()
        {
            return Err(format!("block `{label}` is referenced but not written"));
        }
        let nodes = match form {
            // The root is the first node read (the `@root` line opens the
            // first block); the walks start at node 0.
            Form::AsWritten if root == 0 => self.nodes,
            _ => canonical(self.nodes, root),
        };
        Ok(Facts::new(chart, version, nodes))
    }

    /// Closes the nodes at `depth` and deeper: their keys are complete.
    fn finish(&mut self, stack: &mut Vec<Open>, depth: usize) -> Result<(), String> {
        while stack.last().is_some_and(|o| o.depth >= depth) {
            let open = stack.pop().expect("checked");
            if !open.inline {
                continue;
            }
            let mut keys = open.keys;
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            if let Some(w) = keys.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(format!("key `{}` is listed twice", w[0].0));
            }
            self.nodes[open.id as usize].keys = keys.into_boxed_slice();
        }
        Ok(())
    }
}

/// Reads a key (plain or JSON-quoted) from the start of `text`.
fn read_key(text: &str) -> Result<(String, &str), String> {
    if text.starts_with('"') {
        let bytes = text.as_bytes();
        let mut i = 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => {
                    let key: String = serde_json::from_str(&text[..=i])
                        .map_err(|e| format!("bad quoted key: {e}"))?;
                    return Ok((key, &text[i + 1..]));
                }
                _ => i += 1,
            }
        }
        return Err("unterminated quoted key".to_string());
    }
    // A space is one byte, never inside a character of several.
    let end = text.bytes().position(|b| b == b' ').unwrap_or(text.len());
    let key = &text[..end];
    if !is_plain(key) {
        return Err(format!("`{key}` is not a plain key; quote it"));
    }
    Ok((key.to_string(), &text[end..]))
}

fn read_attrs(text: &str, node: &mut Node) -> Result<(), String> {
    node.other = Other::Unlisted;
    let mut rest = text;
    let mut types_seen = false;
    while !rest.is_empty() {
        let (word, after) = rest.split_once(' ').unwrap_or((rest, ""));
        match word {
            "free" | "closed" => {
                if node.other != Other::Unlisted {
                    return Err("both `free` and `closed`".to_string());
                }
                node.other = if word == "free" {
                    Other::Any
                } else {
                    Other::Forbid
                };
            }
            "open" => node.open = true,
            "enum" => {
                let values: Vec<Json> =
                    serde_json::from_str(after).map_err(|e| format!("bad enum values: {e}"))?;
                node.enum_values = Some(values.into_boxed_slice());
                return Ok(());
            }
            _ if !types_seen => {
                let mut bits = 0;
                for name in word.split('|') {
                    bits |= Types::from_name(name)
                        .ok_or_else(|| format!("unknown attribute `{word}`"))?;
                }
                node.types = Types::normalized(bits);
                types_seen = true;
            }
            _ => return Err(format!("unknown attribute `{word}`")),
        }
        rest = after;
    }
    Ok(())
}
