//! A Mermaid flowchart (`flowchart RL`), for Markdown documentation.
//!
//! One subgraph per namespace (sorted), one node per instance in
//! declaration order, one arrow per pair of instances from the instance that
//! refers to the one it refers to (the dependent to its dependency, as in
//! the JSON form; dependencies on the left), labelled with what flows along
//! it. Node ids are `n_` followed by the instance name reduced to ASCII
//! letters, digits and `_` (made unique with the declaration index when
//! needed), so they never collide with Mermaid keywords such as `end`;
//! labels are quoted, with `"`, `#`, `<`, `>` and `&` written as Mermaid
//! entity codes.

use std::collections::HashSet;
use std::fmt::Write;

use platc_sema::Platform;

use crate::{connections, namespaces, PlatformGraph};

/// Renders `graph` as a Mermaid flowchart.
pub fn render(graph: &PlatformGraph, platform: &Platform) -> String {
    let ids = node_ids(platform);
    let mut out = String::new();
    let _ = match &platform.environment {
        Some(env) => writeln!(out, "%% platform {} ({env})", one_line(&platform.name)),
        None => writeln!(out, "%% platform {}", one_line(&platform.name)),
    };
    out.push_str("flowchart RL\n");
    for (k, ns) in namespaces(platform).into_iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph ns_{k}[\"{}\"]",
            label(&format!("namespace {ns}"))
        );
        for (i, inst) in platform.instances.iter().enumerate() {
            if inst.namespace == ns {
                let _ = writeln!(
                    out,
                    "    {}[\"{}<br/>({})\"]",
                    ids[i],
                    label(&inst.name),
                    label(&inst.component)
                );
            }
        }
        out.push_str("  end\n");
    }
    for (from, to, flows) in connections(graph) {
        let _ = writeln!(
            out,
            "  {} -->|\"{}\"| {}",
            ids[from],
            label(&flows.join(", ")),
            ids[to]
        );
    }
    // Observing (`all(...)`): a dotted arrow.
    for e in graph.observes() {
        let _ = writeln!(
            out,
            "  {} -.->|\"{}\"| {}",
            ids[e.from],
            label(&format!("observes {}", e.flows)),
            ids[e.to]
        );
    }
    out
}

/// Unique node ids, one per instance.
fn node_ids(platform: &Platform) -> Vec<String> {
    let mut used = HashSet::new();
    platform
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            let base: String = inst
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let mut id = format!("n_{base}");
            if !used.insert(id.clone()) {
                id = format!("n{i}_{base}");
                used.insert(id.clone());
            }
            id
        })
        .collect()
}

/// Text inside a quoted Mermaid label.
fn label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '\n' => out.push_str("<br/>"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Text of a `%%` comment: one line.
fn one_line(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(label("a\"b#c<d>&e"), "a#quot;b#35;c#lt;d#gt;#amp;e");
        assert_eq!(label("a\nb"), "a<br/>b");
    }
}
