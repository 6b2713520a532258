//! The facts of one chart as a graph of nodes, and the walks over it:
//! [`Facts::check`] for a whole values tree and [`Facts::knows`] for one path.
//!
//! A node stands for the value at some key path. Its children are the keys
//! the chart lists there; what happens to a key it does not list is its
//! [`Other`]. Nodes are shared: every use of a schema definition (say
//! Kubernetes' `Affinity`) points at the same nodes, and a recursive schema
//! gives a cycle. Walks therefore follow the value being checked, which is
//! finite, and never the graph alone.
//!
//! One flag is contextual: below a node marked `open` (a map that the chart
//! leaves free-form, such as `podAnnotations: {}`), keys the chart does not
//! list are accepted, unless a schema forbids them outright. See
//! [`Other::Unlisted`].

use serde_json::Value as Json;

/// One step of a key path: a map key, or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl std::fmt::Display for Seg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seg::Key(k) => f.write_str(k),
            Seg::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// Something in a values tree that the chart does not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: the offending key itself, or the value of the wrong type.
    pub path: Vec<Seg>,
    pub kind: ViolationKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViolationKind {
    /// The chart has no such key here; `known` = the keys it does have at
    /// that level (sorted), for did-you-mean.
    UnknownKey { known: Vec<String> },
    /// The chart's schema wants another type; strings like "integer",
    /// "string", "boolean", "object", "array", "number", "null", joined
    /// "integer or string".
    WrongType { expected: String, found: String },
    /// Not one of the chart's enum values (rendered as JSON, e.g.
    /// "\"CeleryExecutor\"").
    NotInEnum { allowed: Vec<String> },
}

/// The type of a node of a values tree, as JSON Schema names it: an
/// integer-valued number is an `Integer` (also when written `2.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Boolean,
    Integer,
    Number,
    String,
    Array,
    Object,
}

/// A values tree that [`Facts::check`] walks, by a handle to one of its
/// nodes: JSON (`&Json`), or the compiler's evaluated values, checked
/// without being converted to JSON first.
pub trait ValuesNode<'v>: Copy {
    fn kind(self) -> Kind;
    /// The node as JSON, to compare with a chart's `enum` (a scalar, in
    /// practice).
    fn to_json(self) -> Json;
    /// Calls `f` with each entry of a map, in order. (Generic, not a
    /// `dyn` closure: the check's closure is then inlined into the loop
    /// over a map's entries, not called through a pointer for each.)
    fn for_each_entry(self, f: impl FnMut(&'v str, Self));
    /// Calls `f` with each item of a list, in order.
    fn for_each_item(self, f: impl FnMut(Self));
}

impl<'v> ValuesNode<'v> for &'v Json {
    fn kind(self) -> Kind {
        match self {
            Json::Null => Kind::Null,
            Json::Bool(_) => Kind::Boolean,
            Json::Number(n) => {
                if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                    Kind::Integer
                } else {
                    Kind::Number
                }
            }
            Json::String(_) => Kind::String,
            Json::Array(_) => Kind::Array,
            Json::Object(_) => Kind::Object,
        }
    }
    fn to_json(self) -> Json {
        self.clone()
    }
    fn for_each_entry(self, mut f: impl FnMut(&'v str, Self)) {
        if let Json::Object(m) = self {
            m.iter().for_each(|(k, v)| f(k, v));
        }
    }
    fn for_each_item(self, f: impl FnMut(Self)) {
        if let Json::Array(items) = self {
            items.iter().for_each(f);
        }
    }
}

/// Index of a node in [`Facts::nodes`].
pub(crate) type NodeId = u32;

/// A set of JSON types, as a bit set; [`Types::ANY`] when the chart does
/// not constrain the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Types(pub(crate) u8);

impl Types {
    pub(crate) const NULL: u8 = 1;
    pub(crate) const BOOLEAN: u8 = 2;
    pub(crate) const INTEGER: u8 = 4;
    pub(crate) const NUMBER: u8 = 8;
    pub(crate) const STRING: u8 = 16;
    pub(crate) const ARRAY: u8 = 32;
    pub(crate) const OBJECT: u8 = 64;
    pub(crate) const ANY: Types = Types(127);

    /// Names in the order they are written, as JSON Schema spells them.
    pub(crate) const NAMES: [(u8, &'static str); 7] = [
        (Types::NULL, "null"),
        (Types::BOOLEAN, "boolean"),
        (Types::INTEGER, "integer"),
        (Types::NUMBER, "number"),
        (Types::STRING, "string"),
        (Types::ARRAY, "array"),
        (Types::OBJECT, "object"),
    ];

    pub(crate) fn from_name(name: &str) -> Option<u8> {
        Types::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(bit, _)| *bit)
    }

    /// `number` includes `integer`; the set is kept without the redundant bit.
    pub(crate) fn normalized(bits: u8) -> Types {
        let bits = bits & Types::ANY.0;
        if bits == 0 || bits == Types::ANY.0 {
            return Types::ANY;
        }
        if bits & Types::NUMBER != 0 {
            let bits = bits & !Types::INTEGER;
            if bits | Types::INTEGER == Types::ANY.0 {
                return Types::ANY;
            }
            return Types(bits);
        }
        Types(bits)
    }

    pub(crate) fn is_any(self) -> bool {
        self == Types::ANY
    }

    pub(crate) fn allows(self, bit: u8) -> bool {
        self.0 & bit != 0 || (bit == Types::INTEGER && self.0 & Types::NUMBER != 0)
    }

    /// The type bit of a node.
    pub(crate) fn of<'v>(value: impl ValuesNode<'v>) -> u8 {
        match value.kind() {
            Kind::Null => Types::NULL,
            Kind::Boolean => Types::BOOLEAN,
            Kind::Integer => Types::INTEGER,
            Kind::Number => Types::NUMBER,
            Kind::String => Types::STRING,
            Kind::Array => Types::ARRAY,
            Kind::Object => Types::OBJECT,
        }
    }

    pub(crate) fn name_of(bit: u8) -> &'static str {
        Types::NAMES
            .iter()
            .find(|(b, _)| *b == bit)
            .map_or("value", |(_, n)| n)
    }

    /// The names of the set, in [`Types::NAMES`] order.
    pub(crate) fn names(self) -> impl Iterator<Item = &'static str> {
        Types::NAMES
            .iter()
            .filter(move |(bit, _)| self.0 & bit != 0)
            .map(|(_, n)| *n)
    }
}

/// What a node does with a key it does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Other {
    /// Rejected, also below a free-form map: the schema says
    /// `additionalProperties: false`, or the value is not an object.
    Forbid,
    /// Rejected, unless a node on the way down is `open`: a values.yaml map
    /// with content, or a schema that lists properties and says nothing
    /// about others.
    Unlisted,
    /// Accepted with anything below it.
    Any,
    /// Accepted, and checked against this node (`additionalProperties: {…}`).
    Node(NodeId),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Node {
    pub(crate) types: Types,
    /// The allowed values, when the schema has an `enum` or `const`.
    pub(crate) enum_values: Option<Box<[Json]>>,
    /// Listed keys, sorted by their UTF-8 bytes.
    pub(crate) keys: Box<[(Box<str>, NodeId)]>,
    pub(crate) other: Other,
    /// The shape of list elements; `None` accepts any element.
    pub(crate) items: Option<NodeId>,
    /// Below this node, [`Other::Unlisted`] keys are accepted.
    pub(crate) open: bool,
}

impl Node {
    /// A node that accepts anything.
    pub(crate) fn any() -> Node {
        Node {
            types: Types::ANY,
            enum_values: None,
            keys: Box::new([]),
            other: Other::Any,
            items: None,
            open: false,
        }
    }

    /// Accepts every value and every path below it, whatever the context.
    pub(crate) fn is_any(&self) -> bool {
        self.types.is_any()
            && self.enum_values.is_none()
            && self.keys.is_empty()
            && self.other == Other::Any
            && self.items.is_none()
    }

    /// The child at `key`, if the node lists it ([`Facts::child`] finds
    /// the same faster, once the facts are made).
    pub(crate) fn child(&self, key: &str) -> Option<NodeId> {
        self.keys
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()
            .map(|i| self.keys[i].1)
    }
}

/// What platc knows about one chart version: its name and version, and every
/// values key path with its type, enum values and whether it is free-form.
///
/// Built by [`Facts::generate`] from a chart's files, or read back by
/// [`Facts::parse`] from the text that [`Facts::to_text`] writes. Both give
/// the same canonical graph, so `parse(to_text(f)) == f`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub(crate) chart: String,
    pub(crate) version: String,
    /// Node 0 is the root: the whole values tree.
    pub(crate) nodes: Vec<Node>,
    /// The nodes' keys by their first bytes, for [`Facts::child`]; made
    /// from `nodes` by [`Facts::new`].
    index: KeyIndex,
}

/// The first eight bytes of each key of each node, as a big-endian number
/// (zero-padded): numbers order as the keys do wherever they differ, so a
/// lookup compares numbers and only the key it lands on as a string. (The
/// keys of a chart's root share few leading bytes; a string comparison for
/// each step of a binary search was most of the chart checks' lookups.)
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct KeyIndex {
    prefixes: Vec<u64>,
    /// Where the prefixes of node `i`'s keys start in `prefixes`.
    starts: Vec<u32>,
}

/// `key`'s first eight bytes as a big-endian number, zero-padded.
fn prefix(key: &str) -> u64 {
    let mut bytes = [0u8; 8];
    for (b, k) in bytes.iter_mut().zip(key.as_bytes()) {
        *b = *k;
    }
    u64::from_be_bytes(bytes)
}

impl KeyIndex {
    fn of(nodes: &[Node]) -> KeyIndex {
        let mut index = KeyIndex::default();
        for node in nodes {
            index.starts.push(index.prefixes.len() as u32);
            index
                .prefixes
                .extend(node.keys.iter().map(|(k, _)| prefix(k)));
        }
        index
    }
}

/// A path segment that borrows from the values being checked.
#[derive(Clone, Copy)]
enum SegRef<'v> {
    Key(&'v str),
    Index(usize),
}

impl SegRef<'_> {
    fn to_seg(self) -> Seg {
        match self {
            SegRef::Key(k) => Seg::Key(k.to_string()),
            SegRef::Index(i) => Seg::Index(i),
        }
    }
}

/// Whether [`Facts::check_with`] settles a scalar that its node accepts
/// where it is met, or visits it as any other value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Leaves {
    Settle,
    #[cfg_attr(not(test), allow(dead_code))]
    Visit,
}

/// One pending step of [`Facts::check`]'s walk.
struct Frame<'v, V> {
    step: Step<V>,
    /// The number of path segments that lead here.
    depth: usize,
    seg: Option<SegRef<'v>>,
}

enum Step<V> {
    /// Check `value` against `node`.
    Visit { value: V, node: NodeId, open: bool },
    /// Report the key that `seg` names as unknown in `node`.
    Unknown { node: NodeId },
}

impl Facts {
    /// The facts of chart `chart` at `version` whose nodes (node 0 the
    /// root) are `nodes`.
    pub(crate) fn new(chart: String, version: String, nodes: Vec<Node>) -> Facts {
        let index = KeyIndex::of(&nodes);
        Facts {
            chart,
            version,
            nodes,
            index,
        }
    }

    /// The child of node `id` at `key` that it lists, as [`Node::child`]
    /// finds it: a binary search over the keys' prefixes, then over the
    /// keys that share the prefix of `key`.
    pub(crate) fn child(&self, id: NodeId, key: &str) -> Option<NodeId> {
        let keys = &self.nodes[id as usize].keys;
        let start = self.index.starts[id as usize] as usize;
        let prefixes = &self.index.prefixes[start..start + keys.len()];
        let p = prefix(key);
        let lo = prefixes.partition_point(|&x| x < p);
        let hi = lo + prefixes[lo..].partition_point(|&x| x == p);
        keys[lo..hi]
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()
            .map(|i| keys[lo + i].1)
    }

    /// The chart's name (the `name:` of its Chart.yaml).
    pub fn chart(&self) -> &str {
        &self.chart
    }

    /// The chart's version (the `version:` of its Chart.yaml).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// How many nodes the facts have (for size reports).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// Every violation in `values` (a whole Helm values tree as JSON), in a
    /// deterministic order (document order by path). Never panics on any
    /// JSON: the walk keeps its own stack, so depth costs heap, not stack.
    ///
    /// `null` is Helm's "delete this key" and is always accepted. Below an
    /// unknown key or a value of the wrong type nothing more is reported.
    pub fn check<'v, V: ValuesNode<'v>>(&self, values: V) -> Vec<Violation> {
        self.check_with(values, Leaves::Settle, None)
    }

    /// [`Self::check`], settling leaves as they are met or not: the
    /// violations are the same (a test checks it).
    pub(crate) fn check_with<'v, V: ValuesNode<'v>>(
        &self,
        values: V,
        leaves: Leaves,
        mut remembered: Option<&mut Found>,
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        if self.nodes.is_empty() {
            return out;
        }
        let mut path: Vec<SegRef<'_>> = Vec::new();
        let here = |path: &[SegRef<'_>]| path.iter().map(|s| s.to_seg()).collect::<Vec<_>>();
        let mut stack = vec![Frame {
            step: Step::Visit {
                value: values,
                node: 0,
                open: false,
            },
            depth: 0,
            seg: None,
        }];
        // The children of one value, pushed onto `stack` in reverse so that
        // they pop in document order.
        let mut children: Vec<Frame<'v, V>> = Vec::new();
        while let Some(frame) = stack.pop() {
            path.truncate(frame.depth.saturating_sub(1));
            if let Some(seg) = frame.seg {
                path.push(seg);
            }
            let (value, id, open) = match frame.step {
                Step::Unknown { node } => {
                    let known = self
                        .node(node)
                        .keys
                        .iter()
                        .map(|(k, _)| k.to_string())
                        .collect();
                    out.push(Violation {
                        path: here(&path),
                        kind: ViolationKind::UnknownKey { known },
                    });
                    continue;
                }
                Step::Visit { value, node, open } => (value, node, open),
            };
            let found = Types::of(value);
            if found == Types::NULL {
                continue;
            }
            let node = self.node(id);
            let open = open || node.open;
            if !node.types.allows(found) {
                out.push(Violation {
                    path: here(&path),
                    kind: ViolationKind::WrongType {
                        expected: node.types.names().collect::<Vec<_>>().join(" or "),
                        found: Types::name_of(found).to_string(),
                    },
                });
                continue;
            }
            if let Some(allowed) = &node.enum_values {
                let value = value.to_json();
                if !allowed.iter().any(|a| json_eq(a, &value)) {
                    out.push(Violation {
                        path: here(&path),
                        kind: ViolationKind::NotInEnum {
                            allowed: allowed.iter().map(Json::to_string).collect(),
                        },
                    });
                    continue;
                }
            }
            let depth = frame.depth + 1;
            match found {
                Types::OBJECT => value.for_each_entry(|key, child| {
                    // Helm deletes a key set to null: nothing to check.
                    if child.kind() == Kind::Null {
                        return;
                    }
                    let seg = Some(SegRef::Key(key));
                    let listed = match remembered.as_deref_mut() {
                        Some(r) => r.child(self, id, key),
                        None => self.child(id, key),
                    };
                    let target = match listed {
                        Some(target) => target,
                        None => match node.other {
                            Other::Node(target) => target,
                            Other::Any => return,
                            Other::Unlisted if open => return,
                            Other::Unlisted | Other::Forbid => {
                                children.push(Frame {
                                    step: Step::Unknown { node: id },
                                    depth,
                                    seg,
                                });
                                return;
                            }
                        },
                    };
                    if leaves == Leaves::Settle && self.fits_leaf(child, target) {
                        return;
                    }
                    children.push(Frame {
                        step: Step::Visit {
                            value: child,
                            node: target,
                            open,
                        },
                        depth,
                        seg,
                    });
                }),
                Types::ARRAY => {
                    if let Some(target) = node.items {
                        let mut i = 0;
                        value.for_each_item(|child| {
                            if leaves == Leaves::Settle && self.fits_leaf(child, target) {
                                i += 1;
                                return;
                            }
                            children.push(Frame {
                                step: Step::Visit {
                                    value: child,
                                    node: target,
                                    open,
                                },
                                depth,
                                seg: Some(SegRef::Index(i)),
                            });
                            i += 1;
                        });
                    }
                }
                _ => {}
            }
            stack.extend(children.drain(..).rev());
        }
        out
    }

    /// Whether [`Self::check`] finds nothing wrong in `values`, as far as
    /// this walk can tell: `true` only when it finds no violation. It walks
    /// as the check does but keeps no path, settles each value where it
    /// meets it (a call per map or list, no frame) and stops at the first
    /// violation; a tree nested deeper than [`CLEAN_DEPTH`] is left to the
    /// check (`false`), which keeps its own stack. Nearly every tree of
    /// generated values is clean, and the check of one that is not is made
    /// again to report it. A test compares it with the check.
    fn clean_with<'v, V: ValuesNode<'v>>(&self, values: V, found: &mut Found) -> bool {
        self.nodes.is_empty() || self.clean_value(values, 0, false, found, 0)
    }

    /// [`Self::clean_with`] of `value` at node `id`.
    fn clean_value<'v, V: ValuesNode<'v>>(
        &self,
        value: V,
        id: NodeId,
        open: bool,
        found: &mut Found,
        depth: usize,
    ) -> bool {
        if depth > CLEAN_DEPTH {
            return false;
        }
        let kind = Types::of(value);
        if kind == Types::NULL {
            return true;
        }
        let node = self.node(id);
        let open = open || node.open;
        if !node.types.allows(kind) {
            return false;
        }
        if let Some(allowed) = &node.enum_values {
            let value = value.to_json();
            if !allowed.iter().any(|a| json_eq(a, &value)) {
                return false;
            }
        }
        let mut clean = true;
        match kind {
            Types::OBJECT => value.for_each_entry(|key, child| {
                // After a violation the rest is not looked at.
                if !clean || child.kind() == Kind::Null {
                    return;
                }
                let target = match found.child(self, id, key) {
                    Some(target) => target,
                    None => match node.other {
                        Other::Node(target) => target,
                        Other::Any => return,
                        Other::Unlisted if open => return,
                        Other::Unlisted | Other::Forbid => {
                            clean = false;
                            return;
                        }
                    },
                };
                if !self.fits_leaf(child, target) {
                    clean = self.clean_value(child, target, open, found, depth + 1);
                }
            }),
            Types::ARRAY => {
                if let Some(target) = node.items {
                    value.for_each_item(|child| {
                        if clean && !self.fits_leaf(child, target) {
                            clean = self.clean_value(child, target, open, found, depth + 1);
                        }
                    });
                }
            }
            _ => {}
        }
        clean
    }

    /// Whether `value` is a scalar that `node` accepts as it is, with no
    /// `enum` to compare it with: visiting it would report nothing and
    /// visit nothing, so it is settled where it is met.
    fn fits_leaf<'v, V: ValuesNode<'v>>(&self, value: V, node: NodeId) -> bool {
        let bit = Types::of(value);
        if bit == Types::OBJECT || bit == Types::ARRAY {
            return false;
        }
        let node = self.node(node);
        bit == Types::NULL || (node.types.allows(bit) && node.enum_values.is_none())
    }

    /// Whether the chart has a value at `path`, or `path` lies below a
    /// free-form part. The empty path (the whole values tree) is known.
    pub fn knows(&self, path: &[Seg]) -> bool {
        if self.nodes.is_empty() {
            return false;
        }
        let mut id: NodeId = 0;
        let mut open = false;
        for seg in path {
            let node = self.node(id);
            open |= node.open;
            id = match seg {
                Seg::Key(key) => {
                    if !node.types.allows(Types::OBJECT) {
                        return false;
                    }
                    match self.child(id, key) {
                        Some(next) => next,
                        None => match node.other {
                            Other::Node(next) => next,
                            Other::Any => return true,
                            Other::Unlisted => return open,
                            Other::Forbid => return false,
                        },
                    }
                }
                Seg::Index(_) => {
                    if !node.types.allows(Types::ARRAY) {
                        return false;
                    }
                    match node.items {
                        Some(next) => next,
                        None => return true,
                    }
                }
            };
        }
        true
    }
}

/// How deep [`Facts::clean_with`] goes by calls before it leaves a tree
/// to the check, which keeps its own stack: values platc generates nest a
/// dozen levels at most.
const CLEAN_DEPTH: usize = 64;

/// The children a [`Lookups`] looked up: a table of [`Found::SLOTS`]
/// slots, each the last (node, key address, key length) whose hash led
/// there and the child it named. A slot taken by another key is
/// overwritten (the child is looked up again), so the table never grows.
pub(crate) struct Found {
    slots: Vec<(NodeId, usize, usize, Option<NodeId>)>,
}

impl Found {
    /// A power of two: the keys a chart's values use, with room.
    const SLOTS: usize = 4096;
    /// No key has this address (a slot not yet taken).
    const EMPTY: (NodeId, usize, usize, Option<NodeId>) = (0, 0, usize::MAX, None);

    fn new() -> Found {
        Found::with_slots(Found::SLOTS)
    }

    /// A table of `n` slots (a power of two).
    pub(crate) fn with_slots(n: usize) -> Found {
        debug_assert!(n.is_power_of_two());
        Found {
            slots: vec![Found::EMPTY; n],
        }
    }

    /// The child of node `id` at `key`, as [`Facts::child`] finds it.
    pub(crate) fn child(&mut self, facts: &Facts, id: NodeId, key: &str) -> Option<NodeId> {
        let (at, len) = (key.as_ptr() as usize, key.len());
        let h =
            (at as u64 ^ (u64::from(id) << 32) ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mask = self.slots.len() - 1;
        let slot = &mut self.slots[(h >> 40) as usize & mask];
        // The same text at the same address: the same key.
        if slot.0 == id && slot.1 == at && slot.2 == len {
            return slot.3;
        }
        let child = facts.child(id, key);
        *slot = (id, at, len, child);
        child
    }
}

/// [`Facts::check`] for many values trees that share their keys' text (an
/// evaluated platform's values hold one copy of each key the program
/// writes, for every instance): the child of a node that a key names is
/// found once per node and key, and remembered by the key's address,
/// which is cheaper to compare than the text is to search for (that search
/// was a third of the chart checks).
///
/// Every key looked up is borrowed for `'v`, which the `Lookups` does not
/// outlive: no key it remembers is freed, so no other text can come to
/// the same address while it remembers it.
pub struct Lookups<'f, 'v> {
    facts: &'f Facts,
    found: Found,
    keys: std::marker::PhantomData<&'v str>,
}

impl<'f, 'v> Lookups<'f, 'v> {
    pub fn new(facts: &'f Facts) -> Self {
        Lookups {
            facts,
            found: Found::new(),
            keys: std::marker::PhantomData,
        }
    }

    /// The facts checked against.
    pub fn facts(&self) -> &'f Facts {
        self.facts
    }

    /// [`Facts::check`] of `values`.
    pub fn check<V: ValuesNode<'v>>(&mut self, values: V) -> Vec<Violation> {
        self.facts
            .check_with(values, Leaves::Settle, Some(&mut self.found))
    }

    /// Whether `values` are known to pass [`Facts::check`]: `true` only
    /// when it would report nothing; `false` when it may report something
    /// (check them then to know what). Faster than the check, which keeps
    /// the path of each value for what it reports.
    pub fn clean<V: ValuesNode<'v>>(&mut self, values: V) -> bool {
        self.facts.clean_with(values, &mut self.found)
    }
}

/// JSON equality as JSON Schema's `enum` means it: numbers compare by value
/// (`1` equals `1.0`).
pub(crate) fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            if x == y {
                return true;
            }
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            }
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}
