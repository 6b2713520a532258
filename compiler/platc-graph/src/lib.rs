//! The platform graph: one node per instance, one edge per dependency,
//! a stable deployment order, and renderings (DOT, Mermaid, JSON, SVG).
//!
//! An edge goes from the instance that depends (the one that refers, or
//! that requires an interface) to the instance it depends on. Edges come
//! from two sources:
//!
//! - every [`Reference`](platc_sema::Reference) of an instance: labelled with
//!   what flows along it (the param's interface or component type, or
//!   `value`) and the attribute that holds it;
//! - every `requires INTERFACE` of an instance's component: one edge to each
//!   instance that provides the interface, labelled with the interface name
//!   and the attribute `requires`. An instance that provides what it
//!   requires gets no edge to itself. An instance that takes some of the
//!   providers as values (by a reference, or `all(...)` outside its
//!   assertions) gets edges to those only.
//!
//! Edges with the same `(from, to, flows)` are merged; the merged edge keeps
//! the attribute of the first one (references in the platform's order, then
//! requires edges).
//!
//! Apart from them, an instance that reads `all(INTERFACE)` *observes* every
//! instance in the list ([`PlatformGraph::observes`], attribute
//! [`OBSERVES_ATTR`]). Observing does not order deployment (a Prometheus that
//! scrapes a database whose chart ships a ServiceMonitor is no cycle), so
//! these edges take no part in the order, the layers or cycles; the
//! renderings draw them dashed.
//!
//! Architecture invariant: the public API speaks instance indices (positions
//! in [`Platform::instances`]) and names; petgraph types never leave the
//! crate. Every form of the graph points the same way: [`Edge::from`] is
//! the dependent and [`Edge::to`] its dependency, and the DOT, Mermaid and
//! SVG arrows go from the one to the other (spec 6.9), with dependencies
//! drawn on the left.

pub mod dot;
pub mod json;
pub mod mermaid;
pub mod svg;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use foldhash::fast::FixedState;
use std::fmt;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use platc_sema::Platform;

/// A hash map with a fast hasher (the keys are the program's own names).
type FastMap<K, V> = HashMap<K, V, FixedState>;

/// The attribute of an edge that comes from a `requires` of the component.
pub const REQUIRES_ATTR: &str = "requires";
/// The attribute of an edge from `all(INTERFACE)`: the instance observes
/// the other, and is not ordered after it.
pub const OBSERVES_ATTR: &str = "observes";

/// A dependency: instance `from` depends on instance `to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Edge {
    /// The dependent: the instance that refers or requires.
    pub from: usize,
    /// The dependency: the instance referred to, or that provides.
    pub to: usize,
    /// What flows along the edge: an interface or component name, or
    /// `value` when the reference only reads fields.
    pub flows: String,
    /// The attribute that holds the reference (`database`,
    /// `expose.web.host`), or [`REQUIRES_ATTR`].
    pub attr: String,
}

/// The label petgraph carries on each edge: its texts shared, each
/// distinct one made once per graph (a few interface and attribute names
/// label thousands of edges).
#[derive(Debug, Clone)]
struct Label {
    flows: std::sync::Arc<str>,
    attr: std::sync::Arc<str>,
}

/// An edge of [`PlatformGraph::edge_refs`]: an [`Edge`] whose texts are
/// borrowed from the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeRef<'g> {
    pub from: usize,
    pub to: usize,
    pub flows: &'g str,
    pub attr: &'g str,
}

/// The platform graph of one checked platform.
#[derive(Debug, Clone)]
pub struct PlatformGraph {
    /// Node `i` is instance `i`: nodes are added in declaration order and
    /// never removed, so `NodeIndex::new(i)` is instance `i`.
    graph: DiGraph<(), Label>,
    names: Vec<String>,
    order: Vec<usize>,
    layers: Vec<usize>,
    /// `all(...)` edges, sorted; not in `graph`.
    observes: Vec<Edge>,
}

/// A dependency cycle. Sema rejects cycles of references (E0320); one can
/// still arise through `requires` edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    names: Vec<String>,
    edges: Vec<Edge>,
}

impl Cycle {
    /// The instances on the cycle, each depending on the next and the last
    /// on the first; starts at the instance declared first. Never empty.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The edges of the cycle: `edges()[k]` goes from `names()[k]` to
    /// `names()[(k + 1) % len]` (its attribute is `requires` or the
    /// attribute holding a reference, whose span is in the platform).
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "instances depend on each other in a cycle: ")?;
        for name in &self.names {
            write!(f, "{name} -> ")?;
        }
        match self.names.first() {
            Some(first) => write!(f, "{first}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Cycle {}

/// Builds the graph of `platform` and its deployment order.
pub fn build(platform: &Platform) -> Result<PlatformGraph, Cycle> {
    let n = platform.instances.len();
    let index: FastMap<&str, usize> = platform
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| (inst.name.as_str(), i))
        .collect();

    // The providers of each interface, in declaration order.
    let mut providers: FastMap<&str, Vec<usize>> = FastMap::default();
    for (to, provider) in platform.instances.iter().enumerate() {
        for p in &provider.provides {
            providers.entry(p.interface.as_str()).or_default().push(to);
        }
    }
    let provided: HashSet<(usize, &str), FixedState> = providers
        .iter()
        .flat_map(|(iface, tos)| tos.iter().map(move |&to| (to, *iface)))
        .collect();
    // (from, to, flows, attr), sorted by (from, to, flows); of edges with
    // the same key the first written is kept: an instance's references in
    // order, then its requires edges. Made instance by instance, each
    // instance's few edges sorted (stably) by themselves.
    let mut edges: Vec<(usize, usize, &str, &str)> = Vec::new();
    let mut taken: Vec<usize> = Vec::new();
    let mut takes: Vec<usize> = Vec::new();
    for (from, inst) in platform.instances.iter().enumerate() {
        let first = edges.len();
        // The instances it takes as values: by a reference, or by
        // `all(...)` outside its assertions (each once).
        taken.clear();
        for r in &inst.references {
            let Some(&to) = index.get(r.target.as_str()) else {
                debug_assert!(false, "reference to unknown instance `{}`", r.target);
                continue;
            };
            edges.push((from, to, r.flows.as_str(), r.attr.as_str()));
            taken.push(to);
        }
        taken.extend(
            inst.observes
                .iter()
                .filter(|o| o.reach)
                .filter_map(|o| index.get(o.target.as_str()).copied()),
        );
        taken.sort_unstable();
        taken.dedup();
        for interface in &inst.requires {
            let all = providers
                .get(interface.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            // A requirer that takes some providers depends on those; one
            // that takes none (an operator's), on every provider. (What it
            // takes is few: looked up in the providers, not the reverse.)
            takes.clear();
            takes.extend(
                taken
                    .iter()
                    .copied()
                    .filter(|t| provided.contains(&(*t, interface.as_str()))),
            );
            let targets = if takes.is_empty() { all } else { &takes };
            for &to in targets {
                if to != from {
                    edges.push((from, to, interface.as_str(), REQUIRES_ATTR));
                }
            }
        }
        edges[first..].sort_by(|a, b| (a.1, a.2).cmp(&(b.1, b.2)));
    }
    edges.dedup_by(|b, a| (a.0, a.1, a.2) == (b.0, b.1, b.2));

    let mut graph = DiGraph::with_capacity(n, edges.len());
    for _ in 0..n {
        graph.add_node(());
    }
    let mut texts: FastMap<&str, std::sync::Arc<str>> = FastMap::default();
    let mut text = |t| -> std::sync::Arc<str> {
        texts
            .entry(t)
            .or_insert_with(|| std::sync::Arc::from(t))
            .clone()
    };
    // The dependencies of each instance, sorted and each once: the edges
    // are sorted by (from, to).
    let mut dependencies = Adjacency::with_capacity(n, edges.len());
    for &(from, to, flows, attr) in &edges {
        graph.add_edge(
            NodeIndex::new(from),
            NodeIndex::new(to),
            Label {
                flows: text(flows),
                attr: text(attr),
            },
        );
        dependencies.push(from, to);
    }
    let dependencies = dependencies.finish(n);
    let dependents = dependencies.reversed(n);

    // Sorted and each once before their texts are copied (the attribute
    // is the same for all).
    let mut observed: Vec<(usize, usize, &str)> = Vec::new();
    for (from, inst) in platform.instances.iter().enumerate() {
        for o in &inst.observes {
            let Some(&to) = index.get(o.target.as_str()) else {
                continue;
            };
            if to != from {
                observed.push((from, to, o.interface.as_str()));
            }
        }
    }
    observed.sort_unstable();
    observed.dedup();
    let observes = observed
        .into_iter()
        .map(|(from, to, flows)| Edge {
            from,
            to,
            flows: flows.to_string(),
            attr: OBSERVES_ATTR.to_string(),
        })
        .collect();

    let mut g = PlatformGraph {
        graph,
        names: platform.instances.iter().map(|i| i.name.clone()).collect(),
        order: Vec::new(),
        layers: Vec::new(),
        observes,
    };
    g.order = g.kahn(&dependencies, &dependents)?;
    g.layers = longest_path_layers(&g.order, &dependencies);
    Ok(g)
}

/// For each instance, a sorted list of instances without repeats (its
/// dependencies, or its dependents), as ranges of one vector: made once,
/// where asking the graph made, sorted and deduplicated a vector per
/// instance and question.
#[derive(Debug, PartialEq, Eq)]
struct Adjacency {
    /// Where the list of instance `i` starts in `items` (`n + 1` entries
    /// once finished).
    starts: Vec<usize>,
    items: Vec<usize>,
}

impl Adjacency {
    fn with_capacity(n: usize, pairs: usize) -> Adjacency {
        Adjacency {
            starts: Vec::with_capacity(n + 1),
            items: Vec::with_capacity(pairs),
        }
    }

    /// Adds `b` to the list of `a`: pairs come sorted by `(a, b)`; a pair
    /// met again is dropped.
    fn push(&mut self, a: usize, b: usize) {
        while self.starts.len() <= a {
            self.starts.push(self.items.len());
        }
        if self.starts[a] < self.items.len() && self.items.last() == Some(&b) {
            return;
        }
        self.items.push(b);
    }

    fn finish(mut self, n: usize) -> Adjacency {
        while self.starts.len() <= n {
            self.starts.push(self.items.len());
        }
        self
    }

    fn of(&self, i: usize) -> &[usize] {
        &self.items[self.starts[i]..self.starts[i + 1]]
    }

    /// The reverse lists: `a` in the list of `b` for each `b` in the list
    /// of `a`; sorted, as `a` is visited in order.
    fn reversed(&self, n: usize) -> Adjacency {
        let mut starts = vec![0usize; n + 1];
        for &b in &self.items {
            starts[b + 1] += 1;
        }
        for i in 0..n {
            starts[i + 1] += starts[i];
        }
        let mut next = starts.clone();
        let mut items = vec![0usize; self.items.len()];
        for a in 0..n {
            for &b in self.of(a) {
                items[next[b]] = a;
                next[b] += 1;
            }
        }
        Adjacency { starts, items }
    }
}

/// The layer of each instance (see [`PlatformGraph::layer`]), from a
/// deployment order and the dependencies.
fn longest_path_layers(order: &[usize], dependencies: &Adjacency) -> Vec<usize> {
    let mut layers = vec![0; order.len()];
    for &i in order {
        layers[i] = dependencies
            .of(i)
            .iter()
            .map(|&d| layers[d] + 1)
            .max()
            .unwrap_or(0);
    }
    layers
}

impl PlatformGraph {
    /// The number of instances (nodes).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name of instance `i`.
    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// The index of the instance called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Every instance, dependencies before their dependents; among instances
    /// whose dependencies are all placed, the one declared first comes
    /// first. Emitters deploy in this order.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The instances `i` depends on directly, sorted by declaration index.
    pub fn dependencies(&self, i: usize) -> Vec<usize> {
        self.neighbors(i, Direction::Outgoing)
    }

    /// The instances that depend on `i` directly, sorted by declaration index.
    pub fn dependents(&self, i: usize) -> Vec<usize> {
        self.neighbors(i, Direction::Incoming)
    }

    /// Every edge, as [`Self::edges`] gives them, with the texts borrowed.
    pub fn edge_refs(&self) -> impl ExactSizeIterator<Item = EdgeRef<'_>> + '_ {
        // The edges were added sorted by `(from, to, flows)`, each key
        // once: the order `edges` sorts them into.
        self.graph.edge_indices().map(|e| {
            let (a, b) = self
                .graph
                .edge_endpoints(e)
                .expect("an edge of the graph has endpoints");
            let label = &self.graph[e];
            EdgeRef {
                from: a.index(),
                to: b.index(),
                flows: &label.flows,
                attr: &label.attr,
            }
        })
    }

    /// Every edge, sorted by `(from, to, flows)`.
    pub fn edges(&self) -> Vec<Edge> {
        let mut edges: Vec<Edge> = self
            .graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = self.graph.edge_endpoints(e)?;
                let label = &self.graph[e];
                Some(Edge {
                    from: a.index(),
                    to: b.index(),
                    flows: label.flows.to_string(),
                    attr: label.attr.to_string(),
                })
            })
            .collect();
        edges.sort();
        edges
    }

    /// The `all(...)` edges: `from` observes `to`, with the interface as
    /// `flows` and [`OBSERVES_ATTR`] as `attr`; sorted. They are not
    /// dependencies: not in [`Self::edges`], the order or the layers.
    pub fn observes(&self) -> &[Edge] {
        &self.observes
    }

    /// The layer of instance `i`: 0 without dependencies, else one more than
    /// the deepest of its dependencies (the longest path to an instance
    /// without dependencies). Instances of one layer never depend on each
    /// other and can be deployed together.
    pub fn layer(&self, i: usize) -> usize {
        self.layers[i]
    }

    fn neighbors(&self, i: usize, dir: Direction) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .graph
            .neighbors_directed(NodeIndex::new(i), dir)
            .map(|n| n.index())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Kahn's algorithm with a min-heap of ready instances: the smallest
    /// declaration index whose dependencies are all placed goes next.
    fn kahn(&self, dependencies: &Adjacency, dependents: &Adjacency) -> Result<Vec<usize>, Cycle> {
        let n = self.len();
        let mut missing: Vec<usize> = (0..n).map(|i| dependencies.of(i).len()).collect();
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|&i| missing[i] == 0).map(Reverse).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for &d in dependents.of(i) {
                missing[d] -= 1;
                if missing[d] == 0 {
                    ready.push(Reverse(d));
                }
            }
        }
        if order.len() == n {
            Ok(order)
        } else {
            Err(self.find_cycle(&missing))
        }
    }

    /// A cycle among the instances Kahn's algorithm could not place. Each of
    /// them has a dependency that is not placed either, so walking from one
    /// to its first unplaced dependency must revisit an instance.
    fn find_cycle(&self, missing: &[usize]) -> Cycle {
        let start = (0..self.len())
            .find(|&i| missing[i] > 0)
            .expect("an unplaced instance");
        let mut path = vec![start];
        let mut seen = HashMap::from([(start, 0usize)]);
        let begin = loop {
            let here = *path.last().expect("non-empty path");
            let next = self
                .dependencies(here)
                .into_iter()
                .find(|&d| missing[d] > 0)
                .expect("an unplaced instance has an unplaced dependency");
            if let Some(&at) = seen.get(&next) {
                break at;
            }
            seen.insert(next, path.len());
            path.push(next);
        };
        let mut cycle = path.split_off(begin);
        let first = cycle
            .iter()
            .enumerate()
            .min_by_key(|&(_, &i)| i)
            .map(|(k, _)| k)
            .unwrap_or(0);
        cycle.rotate_left(first);
        let all = self.edges();
        let edges = (0..cycle.len())
            .map(|k| {
                let (from, to) = (cycle[k], cycle[(k + 1) % cycle.len()]);
                all.iter()
                    .find(|e| e.from == from && e.to == to)
                    .cloned()
                    .expect("the cycle follows edges")
            })
            .collect();
        Cycle {
            names: cycle.iter().map(|&i| self.names[i].clone()).collect(),
            edges,
        }
    }
}

/// An output format of [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// JSON, schema version 1 (see [`json`]).
    Json,
    /// A standalone SVG drawing, laid out by platc.
    Svg,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Dot, Format::Mermaid, Format::Json, Format::Svg];

    /// The name used on the command line: `dot`, `mermaid`, `json`, `svg`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Dot => "dot",
            Format::Mermaid => "mermaid",
            Format::Json => "json",
            Format::Svg => "svg",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Dot => "dot",
            Format::Mermaid => "mmd",
            Format::Json => "json",
            Format::Svg => "svg",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!("unknown graph format `{s}` (expected dot, mermaid, json or svg)")
            })
    }
}

/// The largest graph drawn as SVG: its layout and drawing grow faster than
/// the graph, and a drawing of thousands of boxes is unreadable anyway.
/// Larger graphs are rendered in the text formats.
pub const MAX_SVG_INSTANCES: usize = 1_000;
/// The most arrows (connected pairs of instances) drawn as SVG.
pub const MAX_SVG_CONNECTIONS: usize = 5_000;

/// Whether the graph is too large to draw as SVG ([`MAX_SVG_INSTANCES`],
/// [`MAX_SVG_CONNECTIONS`]): its instance and arrow counts when it is.
pub fn too_large_for_svg(graph: &PlatformGraph) -> Option<(usize, usize)> {
    let arrows = connections(graph).len();
    (graph.len() > MAX_SVG_INSTANCES || arrows > MAX_SVG_CONNECTIONS)
        .then_some((graph.len(), arrows))
}

/// Renders the graph of `platform` (built by [`build`] from the same
/// platform). Every format ends with a newline and is deterministic.
pub fn render(graph: &PlatformGraph, platform: &Platform, format: Format) -> String {
    debug_assert_eq!(graph.len(), platform.instances.len());
    match format {
        Format::Dot => dot::render(graph, platform),
        Format::Mermaid => mermaid::render(graph, platform),
        Format::Json => json::render(graph, platform),
        Format::Svg => svg::render(graph, platform),
    }
}

/// The namespaces of the instances, sorted and unique.
pub(crate) fn namespaces(platform: &Platform) -> Vec<&str> {
    let mut out: Vec<&str> = platform
        .instances
        .iter()
        .map(|i| i.namespace.as_str())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The edges grouped per (from, to) pair, with the flows of each pair in
/// edge order: what the drawings show as one arrow.
pub(crate) fn connections(graph: &PlatformGraph) -> Vec<(usize, usize, Vec<String>)> {
    let mut out: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for e in graph.edges() {
        match out.last_mut() {
            Some((f, t, flows)) if *f == e.from && *t == e.to => flows.push(e.flows),
            _ => out.push((e.from, e.to, vec![e.flows])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A graph of `n` instances and the edges `pairs` (sorted, with
    /// repeats, as `build` adds them), its dependencies and dependents.
    fn graph(n: usize, mut pairs: Vec<(usize, usize)>) -> (PlatformGraph, Adjacency, Adjacency) {
        pairs.sort();
        let mut graph = DiGraph::new();
        for _ in 0..n {
            graph.add_node(());
        }
        let mut dependencies = Adjacency::with_capacity(n, pairs.len());
        for &(a, b) in &pairs {
            let label = Label {
                flows: "x".into(),
                attr: "a".into(),
            };
            graph.add_edge(NodeIndex::new(a), NodeIndex::new(b), label);
            dependencies.push(a, b);
        }
        let dependencies = dependencies.finish(n);
        let dependents = dependencies.reversed(n);
        let g = PlatformGraph {
            graph,
            names: (0..n).map(|i| format!("i{i}")).collect(),
            order: Vec::new(),
            layers: Vec::new(),
            observes: Vec::new(),
        };
        (g, dependencies, dependents)
    }

    /// Kahn's algorithm as it was, asking the graph for neighbours.
    fn kahn_by_neighbours(g: &PlatformGraph) -> Result<Vec<usize>, Cycle> {
        let n = g.len();
        let mut missing: Vec<usize> = (0..n).map(|i| g.dependencies(i).len()).collect();
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|&i| missing[i] == 0).map(Reverse).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for d in g.dependents(i) {
                missing[d] -= 1;
                if missing[d] == 0 {
                    ready.push(Reverse(d));
                }
            }
        }
        if order.len() == n {
            Ok(order)
        } else {
            Err(g.find_cycle(&missing))
        }
    }

    /// The lists made once are the graph's neighbours, and give the order,
    /// layers and cycles that asking the graph gave: on graphs with
    /// repeated edges, chains, diamonds, isolated instances and cycles.
    #[test]
    fn adjacency_gives_what_neighbours_gave() {
        // A small deterministic generator (no dependency for tests).
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        let mut cases: Vec<(usize, Vec<(usize, usize)>)> = vec![
            (0, vec![]),
            (1, vec![]),
            (3, vec![(0, 1), (0, 1), (1, 2), (0, 2)]),
            (4, vec![(3, 0), (2, 0), (1, 3), (1, 2)]),
            (3, vec![(0, 1), (1, 2), (2, 0)]),
        ];
        for _ in 0..200 {
            let n = 1 + next(30);
            let m = next(3 * n);
            // Acyclic (from a later instance to an earlier one, or the
            // reverse) or not.
            let mode = next(3);
            let pairs = (0..m)
                .map(|_| (next(n), next(n)))
                .filter(|(a, b)| a != b)
                .map(|(a, b)| match mode {
                    0 => (a.max(b), a.min(b)),
                    1 => (a.min(b), a.max(b)),
                    _ => (a, b),
                })
                .collect();
            cases.push((n, pairs));
        }
        let (mut orders, mut cycles) = (0, 0);
        for (n, pairs) in cases {
            let (g, deps, dependents) = graph(n, pairs.clone());
            for i in 0..n {
                assert_eq!(deps.of(i), g.dependencies(i), "{pairs:?}");
                assert_eq!(dependents.of(i), g.dependents(i), "{pairs:?}");
            }
            let expected = kahn_by_neighbours(&g);
            let got = g.kahn(&deps, &dependents);
            assert_eq!(got, expected, "{pairs:?}");
            match got {
                Ok(order) => {
                    orders += 1;
                    let by_neighbours: Vec<usize> = {
                        let mut layers = vec![0; n];
                        for &i in &order {
                            layers[i] = g
                                .dependencies(i)
                                .into_iter()
                                .map(|d| layers[d] + 1)
                                .max()
                                .unwrap_or(0);
                        }
                        layers
                    };
                    assert_eq!(longest_path_layers(&order, &deps), by_neighbours);
                }
                Err(_) => cycles += 1,
            }
        }
        assert!(
            orders > 50 && cycles > 20,
            "{orders} orders, {cycles} cycles"
        );
    }
}
