//! Every form of the graph points the same way (spec 6.9): from the
//! instance that refers to the one it refers to — JSON `from` → `to`, the
//! DOT and Mermaid arrows, and the SVG arrowheads, which sit on the box of
//! the instance referred to.

mod common;

use std::collections::BTreeSet;

use common::check::{self, Box2};
use common::{platform, SAMPLE};
use platc_graph::{build, render, Format};

/// `(from, to)` pairs of instance names.
type Pairs = BTreeSet<(String, String)>;

/// (from, to) of every JSON edge, and of every observing edge.
fn json_pairs(json: &str) -> (Pairs, Pairs) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let pairs = |key: &str| {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["from"].as_str().unwrap().to_string(),
                    e["to"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    (pairs("edges"), pairs("observes"))
}

/// The last point of an SVG path's `d`: where `marker-end` puts the head.
fn end_point(d: &str) -> (f64, f64) {
    let nums: Vec<f64> = d
        .split(|c: char| c.is_ascii_alphabetic() || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    (nums[nums.len() - 2], nums[nums.len() - 1])
}

fn touches(b: &Box2, (x, y): (f64, f64)) -> bool {
    let eps = 0.11;
    x >= b.x - eps && x <= b.x + b.w + eps && y >= b.y - eps && y <= b.y + b.h + eps
}

/// `orders` refers to `prom`; `prom` observes `orders` through `all(...)`,
/// and `lake` is observed but refers to nothing.
const OBSERVING: &str = r#"
platform "p" {}
interface Source {}
interface Store { url: string }
component scraper {
  param targets: list<Source> = all(Source)
  provides Store { url = "http://${self.name}" }
  values { n = len(targets) }
}
component db {
  param store: Store? = none
  provides Source
}
scraper prom {}
db orders { store = prom }
db lake {}
"#;

#[test]
fn every_form_points_from_the_dependent_to_its_dependency() {
    for (src, observing) in [(SAMPLE, false), (OBSERVING, true)] {
        check_directions(src, observing);
    }
}

fn check_directions(src: &str, observing: bool) {
    let p = platform(src);
    let g = build(&p).unwrap();
    let (edges, observes) = json_pairs(&render(&g, &p, Format::Json));
    assert!(!edges.is_empty());
    assert_eq!(!observes.is_empty(), observing);
    for (from, to) in &observes {
        assert_eq!(from, "prom", "the observer is `from`: {to}");
    }
    // The JSON form: `from` is the dependent.
    for (from, to) in &edges {
        let (f, t) = (g.index_of(from).unwrap(), g.index_of(to).unwrap());
        assert!(g.dependencies(f).contains(&t), "{from} depends on {to}");
    }

    let dot = render(&g, &p, Format::Dot);
    let dot_pairs: BTreeSet<(String, String)> = dot
        .lines()
        .filter_map(|l| {
            let (a, rest) = l.trim().split_once(" -> ")?;
            let b = rest.split(" [").next()?;
            Some((
                a.trim_matches('"').to_string(),
                b.trim_matches('"').to_string(),
            ))
        })
        .collect();
    let all: BTreeSet<_> = edges.union(&observes).cloned().collect();
    assert_eq!(dot_pairs, all, "{dot}");

    let mermaid = render(&g, &p, Format::Mermaid);
    let mermaid_pairs: BTreeSet<(String, String)> = mermaid
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let (a, rest) = l.split_once(" -->|").or_else(|| l.split_once(" -.->|"))?;
            let b = rest.rsplit("| ").next()?;
            Some((
                a.trim_start_matches("n_").to_string(),
                b.trim_start_matches("n_").to_string(),
            ))
        })
        .collect();
    assert_eq!(mermaid_pairs, all, "{mermaid}");

    // SVG: each arrow's head is on the box of the instance referred to,
    // not on the box of the one that refers.
    let svg = render(&g, &p, Format::Svg);
    let elements = check::xml(&svg).unwrap();
    let names: Vec<String> = elements
        .iter()
        .enumerate()
        .filter(|(_, e)| e.name == "g" && e.attr("id").is_some_and(|id| id.starts_with("node-")))
        .map(|(i, _)| elements[i + 1].text.split(' ').next().unwrap().to_string())
        .collect();
    let boxes = check::boxes(&elements, "node");
    assert_eq!(names.len(), boxes.len());
    let of = |n: &str| boxes[names.iter().position(|x| x == n).unwrap()];
    let mut seen = BTreeSet::new();
    for (k, e) in elements.iter().enumerate() {
        if e.name != "path" || e.attr("marker-end").is_none() {
            continue;
        }
        let title = &elements[k + 1];
        assert_eq!(title.name, "title");
        let (from, to) = if let Some((a, rest)) = title.text.split_once(" depends on ") {
            (a, rest.split(':').next().unwrap())
        } else {
            let (a, rest) = title.text.split_once(" observes ").unwrap();
            (a, rest.split(" (").next().unwrap())
        };
        let head = end_point(e.attr("d").unwrap());
        assert!(
            touches(&of(to), head),
            "{}: the head is on {to}",
            title.text
        );
        assert!(!touches(&of(from), head), "{}: not on {from}", title.text);
        seen.insert((from.to_string(), to.to_string()));
    }
    assert_eq!(seen, all, "one SVG arrow per edge");
}
