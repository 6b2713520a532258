//! A layered (Sugiyama-style) layout of the platform graph, computed by
//! platc itself so that `platc graph --format svg` needs no Graphviz.
//!
//! 1. Layers: an instance's layer is its [`PlatformGraph::layer`] (the
//!    longest path down to an instance without dependencies). Layers are
//!    columns, left to right, so dependencies sit left of their dependents.
//! 2. An arrow spanning several layers gets a dummy point in each layer it
//!    crosses, which takes a slot in that column: long arrows run between
//!    boxes instead of through them.
//! 3. Order within a column: the barycenter heuristic, sweeping down and
//!    up a few times, keeping the order with the fewest crossings; ties go
//!    to declaration order.
//! 4. Vertical positions: each column is placed as close as possible to
//!    the mean position of its neighbours in the previous column, keeping
//!    its order and a minimum gap (an isotonic regression, solved exactly
//!    by pool-adjacent-violators), over a few sweeps.
//! 5. Columns are as wide as their widest box; the gap after a column is
//!    wide enough for the widest arrow label in it.
//!
//! Boxes never overlap: columns do not share x ranges, and boxes in one
//! column keep at least the minimum gap. Everything is deterministic.

use std::cmp::Ordering;

use platc_sema::Platform;

use crate::{connections, PlatformGraph};

pub(crate) const MARGIN: f64 = 24.0;
pub(crate) const HEADER: f64 = 48.0;
pub(crate) const NODE_H: f64 = 46.0;
pub(crate) const NAME_SIZE: f64 = 13.0;
pub(crate) const SUB_SIZE: f64 = 10.0;
pub(crate) const LABEL_SIZE: f64 = 10.0;
pub(crate) const LABEL_H: f64 = 14.0;
pub(crate) const LABEL_PAD: f64 = 4.0;
const PAD_X: f64 = 14.0;
const MIN_NODE_W: f64 = 96.0;
const GAP_REAL: f64 = 22.0;
const GAP_DUMMY: f64 = 10.0;
const DUMMY_H: f64 = 6.0;
const MIN_GAP_X: f64 = 72.0;
/// Room on each side of a label for the curve and the arrowhead.
const LABEL_ROOM: f64 = 22.0;
const SWEEPS: usize = 4;
/// Beyond this many dummy points (very deep graphs with many long arrows),
/// long arrows are drawn directly, to keep the layout linear in size.
const MAX_DUMMIES: usize = 20_000;

/// A box, by its top-left corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// One piece of an arrow's path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Seg {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
    /// A horizontal-tangent cubic Bézier; else a straight line.
    pub curve: bool,
}

/// One arrow: from a dependency to a dependent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Route {
    /// The dependency (where the arrow starts).
    pub source: usize,
    /// The dependent (where the arrow points).
    pub target: usize,
    pub label: String,
    pub segs: Vec<Seg>,
    /// The label's box.
    pub label_box: Rect,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    pub width: f64,
    /// Where the drawing ends (the legend goes below).
    pub bottom: f64,
    /// One per instance.
    pub nodes: Vec<Rect>,
    pub routes: Vec<Route>,
}

/// A node of the layered graph: an instance or a dummy point of an arrow.
struct Item {
    layer: usize,
    /// The instance, for real nodes.
    real: Option<usize>,
    /// Tie-break: declaration order (dummies after the instance they leave).
    tie: (usize, usize),
    h: f64,
}

/// The estimated width of `text` at `size` pixels (Helvetica-like metrics,
/// rounded up so that text fits the boxes sized from it).
pub(crate) fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '\'' | '|' | '!' | '.' | ',' | ':' | ';' => 0.28,
            'f' | 't' | 'r' | 'I' | ' ' | '(' | ')' | '[' | ']' | '-' | '/' => 0.36,
            'm' | 'w' => 0.86,
            'M' | 'W' | '@' => 0.94,
            'A'..='Z' => 0.70,
            '0'..='9' => 0.58,
            '_' => 0.58,
            c if c.is_ascii() => 0.58,
            // Wide scripts and symbols.
            _ => 1.0,
        })
        .sum();
    em * size * if bold { 1.1 } else { 1.0 }
}

/// The second line of an instance's box.
pub(crate) fn subtitle(component: &str, namespace: &str) -> String {
    format!("{component} · {namespace}")
}

pub(crate) fn layout(graph: &PlatformGraph, platform: &Platform) -> Layout {
    let n = graph.len();
    if n == 0 {
        return Layout {
            width: 2.0 * MARGIN,
            bottom: MARGIN + HEADER,
            nodes: Vec::new(),
            routes: Vec::new(),
        };
    }

    // Items: instances first (item i = instance i), then dummies.
    let mut items: Vec<Item> = (0..n)
        .map(|i| Item {
            layer: graph.layer(i),
            real: Some(i),
            tie: (i, 0),
            h: NODE_H,
        })
        .collect();
    let conns = connections(graph);
    let dummies: usize = conns
        .iter()
        .map(|&(dependent, dependency, _)| graph.layer(dependent) - graph.layer(dependency) - 1)
        .sum();
    let use_dummies = dummies <= MAX_DUMMIES;
    let mut chains: Vec<(usize, usize, String, Vec<usize>)> = Vec::new();
    for (dependent, dependency, flows) in conns {
        let (from, to) = (dependency, dependent);
        let mut chain = vec![from];
        let crossed = if use_dummies {
            graph.layer(from) + 1..graph.layer(to)
        } else {
            0..0
        };
        for layer in crossed {
            chain.push(items.len());
            items.push(Item {
                layer,
                real: None,
                tie: (from, to + 1),
                h: DUMMY_H,
            });
        }
        chain.push(to);
        chains.push((from, to, flows.join(", "), chain));
    }
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    for (_, _, _, chain) in &chains {
        for w in chain.windows(2) {
            down[w[0]].push(w[1]);
            up[w[1]].push(w[0]);
        }
    }

    let layer_count = items.iter().map(|it| it.layer).max().unwrap_or(0) + 1;
    let layers = order_layers(&items, &up, &down, layer_count);

    // Vertical positions (centres).
    let mut y = vec![0.0f64; items.len()];
    let sep = |a: usize, b: usize| {
        let gap = if items[a].real.is_some() && items[b].real.is_some() {
            GAP_REAL
        } else {
            GAP_DUMMY
        };
        items[a].h / 2.0 + items[b].h / 2.0 + gap
    };
    let mut tallest: f64 = 0.0;
    for layer in &layers {
        let mut at = 0.0;
        for (k, &it) in layer.iter().enumerate() {
            if k > 0 {
                at += sep(layer[k - 1], it);
            }
            y[it] = at;
        }
        tallest = tallest.max(at);
    }
    for layer in &layers {
        if let Some(&last) = layer.last() {
            let shift = (tallest - y[last]) / 2.0;
            for &it in layer {
                y[it] += shift;
            }
        }
    }
    let place = |y: &mut [f64], layer: &[usize], nbrs: &[&Vec<Vec<usize>>]| {
        let desired: Vec<f64> = layer
            .iter()
            .map(|&it| {
                let (sum, count) = nbrs
                    .iter()
                    .flat_map(|adj| adj[it].iter())
                    .fold((0.0, 0usize), |(s, c), &o| (s + y[o], c + 1));
                if count == 0 {
                    y[it]
                } else {
                    sum / count as f64
                }
            })
            .collect();
        let seps: Vec<f64> = layer.windows(2).map(|w| sep(w[0], w[1])).collect();
        for (&it, v) in layer.iter().zip(isotonic(&desired, &seps)) {
            y[it] = v;
        }
    };
    for _ in 0..SWEEPS {
        for layer in layers.iter().skip(1) {
            place(&mut y, layer, &[&up]);
        }
        for layer in layers.iter().rev().skip(1) {
            place(&mut y, layer, &[&down]);
        }
    }
    for layer in &layers {
        place(&mut y, layer, &[&up, &down]);
    }

    // Columns.
    let node_w: Vec<f64> = platform
        .instances
        .iter()
        .map(|inst| {
            let name = text_width(&inst.name, NAME_SIZE, true);
            let sub = text_width(&subtitle(&inst.component, &inst.namespace), SUB_SIZE, false);
            (name.max(sub) + 2.0 * PAD_X).max(MIN_NODE_W).ceil()
        })
        .collect();
    let mut col_w = vec![MIN_NODE_W; layer_count];
    for i in 0..n {
        let l = items[i].layer;
        col_w[l] = col_w[l].max(node_w[i]);
    }
    let label_w: Vec<f64> = chains
        .iter()
        .map(|(_, _, label, _)| (text_width(label, LABEL_SIZE, false) + 2.0 * LABEL_PAD).ceil())
        .collect();
    let mut gap_w = vec![MIN_GAP_X; layer_count];
    for ((_, to, _, _), w) in chains.iter().zip(&label_w) {
        let g = items[*to].layer - 1;
        gap_w[g] = gap_w[g].max(w + 2.0 * LABEL_ROOM);
    }
    let mut col_x = vec![MARGIN; layer_count];
    for l in 1..layer_count {
        col_x[l] = col_x[l - 1] + col_w[l - 1] + gap_w[l - 1];
    }
    let right = col_x[layer_count - 1] + col_w[layer_count - 1];

    // Ports: arrows leave a box's right side and enter its left side spread
    // out, ordered by where they come from or go to.
    let port = |it: usize, others: &[usize]| -> Vec<(usize, f64)> {
        let mut sorted = others.to_vec();
        sorted.sort_by(|&a, &b| y[a].total_cmp(&y[b]).then(a.cmp(&b)));
        let h = items[it].h;
        let count = sorted.len() as f64;
        sorted
            .into_iter()
            .enumerate()
            .map(|(k, o)| {
                let py = if items[it].real.is_some() {
                    y[it] - h / 2.0 + 8.0 + (h - 16.0) * (k as f64 + 1.0) / (count + 1.0)
                } else {
                    y[it]
                };
                (o, py)
            })
            .collect()
    };
    let out_ports: Vec<Vec<(usize, f64)>> =
        (0..items.len()).map(|it| port(it, &down[it])).collect();
    let in_ports: Vec<Vec<(usize, f64)>> = (0..items.len()).map(|it| port(it, &up[it])).collect();
    let port_y = |ports: &[(usize, f64)], other: usize| {
        ports
            .iter()
            .find(|(o, _)| *o == other)
            .map(|(_, py)| *py)
            .expect("a port per neighbour")
    };

    let mut routes: Vec<Route> = Vec::new();
    for ((from, to, label, chain), w) in chains.into_iter().zip(label_w) {
        let mut segs = Vec::new();
        let mut at = (
            col_x[items[from].layer] + col_w[items[from].layer],
            port_y(&out_ports[from], chain[1]),
        );
        for pair in chain.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let l = items[b].layer;
            let entry = (col_x[l], port_y(&in_ports[b], a));
            segs.push(Seg {
                x0: at.0,
                y0: at.1,
                x1: entry.0,
                y1: entry.1,
                curve: true,
            });
            at = entry;
            if items[b].real.is_none() {
                let exit = (col_x[l] + col_w[l], y[b]);
                segs.push(Seg {
                    x0: at.0,
                    y0: at.1,
                    x1: exit.0,
                    y1: exit.1,
                    curve: false,
                });
                at = exit;
            }
        }
        // The label sits in the middle of the gap before the target, on the
        // last curve (which may cross several columns without dummies).
        let last = *segs.last().expect("an arrow has a segment");
        let lt = items[to].layer;
        let cx = col_x[lt] - gap_w[lt - 1] / 2.0;
        let cy = curve_y_at(&last, cx);
        routes.push(Route {
            source: from,
            target: to,
            label,
            segs,
            label_box: Rect {
                x: cx - w / 2.0,
                y: cy - LABEL_H / 2.0,
                w,
                h: LABEL_H,
            },
        });
    }

    // Labels in one gap share an x range: keep them apart vertically.
    for g in 0..layer_count {
        let mut in_gap: Vec<usize> = (0..routes.len())
            .filter(|&r| items[routes[r].target].layer == g + 1)
            .collect();
        in_gap.sort_by(|&a, &b| {
            routes[a]
                .label_box
                .y
                .total_cmp(&routes[b].label_box.y)
                .then(a.cmp(&b))
        });
        let desired: Vec<f64> = in_gap.iter().map(|&r| routes[r].label_box.y).collect();
        let seps = vec![LABEL_H + 2.0; in_gap.len().saturating_sub(1)];
        for (&r, v) in in_gap.iter().zip(isotonic(&desired, &seps)) {
            routes[r].label_box.y = v;
        }
    }

    // Shift everything below the header.
    let mut nodes: Vec<Rect> = (0..n)
        .map(|i| {
            let l = items[i].layer;
            Rect {
                x: col_x[l],
                y: y[i] - NODE_H / 2.0,
                w: col_w[l],
                h: NODE_H,
            }
        })
        .collect();
    let top = nodes
        .iter()
        .map(|r| r.y)
        .chain(routes.iter().map(|r| r.label_box.y))
        .chain(
            routes
                .iter()
                .flat_map(|r| r.segs.iter().map(|s| s.y0.min(s.y1))),
        )
        .fold(f64::INFINITY, f64::min);
    let bottom = nodes
        .iter()
        .map(|r| r.y + r.h)
        .chain(routes.iter().map(|r| r.label_box.y + r.label_box.h))
        .chain(
            routes
                .iter()
                .flat_map(|r| r.segs.iter().map(|s| s.y0.max(s.y1))),
        )
        .fold(f64::NEG_INFINITY, f64::max);
    let shift = MARGIN + HEADER - top;
    for r in &mut nodes {
        r.y += shift;
    }
    for route in &mut routes {
        route.label_box.y += shift;
        for s in &mut route.segs {
            s.y0 += shift;
            s.y1 += shift;
        }
    }
    Layout {
        width: right + MARGIN,
        bottom: bottom + shift,
        nodes,
        routes,
    }
}

/// The y of a curve segment where it crosses `x` (its x grows
/// monotonically with the parameter, so bisection finds it).
fn curve_y_at(s: &Seg, x: f64) -> f64 {
    let dx = (s.x1 - s.x0) / 2.0;
    let bezier = |t: f64, p0: f64, p1: f64, p2: f64, p3: f64| {
        let u = 1.0 - t;
        u * u * u * p0 + 3.0 * u * u * t * p1 + 3.0 * u * t * t * p2 + t * t * t * p3
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..40 {
        let mid = (lo + hi) / 2.0;
        if bezier(mid, s.x0, s.x0 + dx, s.x1 - dx, s.x1) < x {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    bezier((lo + hi) / 2.0, s.y0, s.y0, s.y1, s.y1)
}

/// The order of the items in each layer.
fn order_layers(
    items: &[Item],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    layer_count: usize,
) -> Vec<Vec<usize>> {
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); layer_count];
    for (it, item) in items.iter().enumerate() {
        layers[item.layer].push(it);
    }
    let mut pos = vec![0usize; items.len()];
    layers[0].sort_by_key(|&it| items[it].tie);
    set_positions(&layers[0], &mut pos);
    for layer in layers.iter_mut().skip(1) {
        sort_by_barycenter(layer, items, up, &mut pos);
    }

    let mut best = layers.clone();
    let mut best_crossings = crossings(&layers, items, down, &pos);
    for _ in 0..SWEEPS {
        for layer in layers.iter_mut().rev().skip(1) {
            sort_by_barycenter(layer, items, down, &mut pos);
        }
        let c = crossings(&layers, items, down, &pos);
        if c < best_crossings {
            best_crossings = c;
            best = layers.clone();
        }
        for layer in layers.iter_mut().skip(1) {
            sort_by_barycenter(layer, items, up, &mut pos);
        }
        let c = crossings(&layers, items, down, &pos);
        if c < best_crossings {
            best_crossings = c;
            best = layers.clone();
        }
    }
    best
}

fn set_positions(layer: &[usize], pos: &mut [usize]) {
    for (k, &it) in layer.iter().enumerate() {
        pos[it] = k;
    }
}

/// Sorts one layer by the mean position of each item's neighbours in the
/// adjacent layer (`nbrs`); an item without neighbours keeps its position.
fn sort_by_barycenter(layer: &mut [usize], items: &[Item], nbrs: &[Vec<usize>], pos: &mut [usize]) {
    let key = |it: usize| -> f64 {
        if nbrs[it].is_empty() {
            pos[it] as f64
        } else {
            nbrs[it].iter().map(|&o| pos[o] as f64).sum::<f64>() / nbrs[it].len() as f64
        }
    };
    let mut keyed: Vec<(f64, (usize, usize), usize)> = layer
        .iter()
        .map(|&it| (key(it), items[it].tie, it))
        .collect();
    keyed.sort_by(|a, b| match a.0.total_cmp(&b.0) {
        Ordering::Equal => a.1.cmp(&b.1),
        o => o,
    });
    for (slot, (_, _, it)) in layer.iter_mut().zip(keyed) {
        *slot = it;
    }
    set_positions(layer, pos);
}

/// The number of arrow crossings between adjacent layers (counting
/// inversions with a Fenwick tree).
fn crossings(layers: &[Vec<usize>], items: &[Item], down: &[Vec<usize>], pos: &[usize]) -> usize {
    let mut total = 0;
    for l in 0..layers.len().saturating_sub(1) {
        let mut pairs: Vec<(usize, usize)> = layers[l]
            .iter()
            .flat_map(|&a| {
                down[a]
                    .iter()
                    .filter(|&&b| items[b].layer == l + 1)
                    .map(move |&b| (pos[a], pos[b]))
            })
            .collect();
        pairs.sort_unstable();
        let size = layers[l + 1].len();
        let mut tree = vec![0usize; size + 1];
        for (seen, &(_, b)) in pairs.iter().enumerate() {
            // Earlier pairs ending at or before b do not cross this one.
            let mut not_after = 0;
            let mut k = b + 1;
            while k > 0 {
                not_after += tree[k];
                k &= k - 1;
            }
            total += seen - not_after;
            let mut k = b + 1;
            while k <= size {
                tree[k] += 1;
                k += k & k.wrapping_neg();
            }
        }
    }
    total
}

/// The positions closest (least squares) to `desired` that keep their order
/// with at least `seps[k]` between positions `k` and `k + 1`
/// (pool-adjacent-violators on the positions minus the minimum offsets).
pub(crate) fn isotonic(desired: &[f64], seps: &[f64]) -> Vec<f64> {
    let mut offsets = Vec::with_capacity(desired.len());
    let mut acc = 0.0;
    for k in 0..desired.len() {
        if k > 0 {
            acc += seps[k - 1];
        }
        offsets.push(acc);
    }
    // Blocks of (sum, count), each with one mean value.
    let mut blocks: Vec<(f64, usize)> = Vec::new();
    for (d, o) in desired.iter().zip(&offsets) {
        blocks.push((d - o, 1));
        while blocks.len() > 1 {
            let (s2, c2) = blocks[blocks.len() - 1];
            let (s1, c1) = blocks[blocks.len() - 2];
            if s1 / c1 as f64 > s2 / c2 as f64 {
                blocks.pop();
                let last = blocks.len() - 1;
                blocks[last] = (s1 + s2, c1 + c2);
            } else {
                break;
            }
        }
    }
    let mut out = Vec::with_capacity(desired.len());
    for (s, c) in blocks {
        let mean = s / c as f64;
        for _ in 0..c {
            let k = out.len();
            out.push(mean + offsets[k]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_keeps_order_and_gaps() {
        assert_eq!(isotonic(&[0.0, 100.0], &[10.0]), vec![0.0, 100.0]);
        assert_eq!(isotonic(&[0.0, 0.0], &[10.0]), vec![-5.0, 5.0]);
        let got = isotonic(&[5.0, 0.0, 0.0], &[10.0, 10.0]);
        let want = [-25.0 / 3.0, 5.0 / 3.0, 35.0 / 3.0];
        assert!(
            got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-9),
            "{got:?}"
        );
        assert!(isotonic(&[], &[]).is_empty());
    }

    #[test]
    fn crossing_count() {
        // Layer 0: items 0, 1; layer 1: items 2, 3. 0->3 and 1->2 cross.
        let items: Vec<Item> = [0, 0, 1, 1]
            .into_iter()
            .map(|layer| Item {
                layer,
                real: None,
                tie: (0, 0),
                h: 0.0,
            })
            .collect();
        let items = &items;
        let layers = vec![vec![0, 1], vec![2, 3]];
        let down = vec![vec![3], vec![2], vec![], vec![]];
        let pos = vec![0, 1, 0, 1];
        assert_eq!(crossings(&layers, items, &down, &pos), 1);
        let down = vec![vec![2], vec![3], vec![], vec![]];
        assert_eq!(crossings(&layers, items, &down, &pos), 0);
        // Shared endpoints never cross.
        let down = vec![vec![2, 3], vec![3], vec![], vec![]];
        assert_eq!(crossings(&layers, items, &down, &pos), 0);
    }

    #[test]
    fn curve_midpoint() {
        let s = Seg {
            x0: 0.0,
            y0: 0.0,
            x1: 100.0,
            y1: 50.0,
            curve: true,
        };
        assert!((curve_y_at(&s, 50.0) - 25.0).abs() < 1e-6);
        assert!(curve_y_at(&s, 10.0) < 5.0);
        assert!(curve_y_at(&s, 90.0) > 45.0);
    }

    #[test]
    fn text_widths_grow_with_text() {
        assert!(text_width("metadb", 13.0, true) > text_width("metadb", 13.0, false));
        assert!(text_width("mmmm", 10.0, false) > text_width("iiii", 10.0, false));
    }
}
