//! Graphviz DOT: `dot -Tsvg platform.dot > platform.svg`.
//!
//! One cluster per namespace (sorted), nodes labelled `name\n(component)` in
//! declaration order, one arrow per pair of instances from the instance that
//! refers to the one it refers to (the dependent to its dependency, as
//! `from` and `to` in the JSON form), labelled with what flows along it;
//! `rankdir=RL` keeps dependencies on the left. Every identifier is a
//! quoted string.

use std::fmt::Write;

use platc_sema::Platform;

use crate::{connections, namespaces, PlatformGraph};

/// Renders `graph` as a DOT digraph.
pub fn render(graph: &PlatformGraph, platform: &Platform) -> String {
    let mut out = String::new();
    let title = match &platform.environment {
        Some(env) => format!("platform {} ({env})", platform.name),
        None => format!("platform {}", platform.name),
    };
    let _ = writeln!(out, "digraph {} {{", quote(&platform.name));
    let _ = writeln!(
        out,
        "  graph [label={}, labelloc=t, rankdir=RL, fontname=\"Helvetica\", nodesep=0.4, ranksep=0.9];",
        quote(&title)
    );
    out.push_str(
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f5f7fa\", fontname=\"Helvetica\", fontsize=12];\n",
    );
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10, color=\"#555555\"];\n");
    for (k, ns) in namespaces(platform).into_iter().enumerate() {
        out.push('\n');
        let _ = writeln!(out, "  subgraph {} {{", quote(&format!("cluster_{k}")));
        let _ = writeln!(
            out,
            "    graph [label={}, style=\"rounded,dashed\", color=\"#888888\"];",
            quote(&format!("namespace {ns}"))
        );
        for inst in platform.instances.iter().filter(|i| i.namespace == ns) {
            let label = format!("{}\n({})", inst.name, inst.component);
            let _ = writeln!(out, "    {} [label={}];", quote(&inst.name), quote(&label));
        }
        out.push_str("  }\n");
    }
    let conns = connections(graph);
    if !conns.is_empty() {
        out.push('\n');
    }
    for (from, to, flows) in conns {
        let _ = writeln!(
            out,
            "  {} -> {} [label={}];",
            quote(graph.name(from)),
            quote(graph.name(to)),
            quote(&flows.join(", "))
        );
    }
    // Observing (`all(...)`): dashed, and no constraint on the ranks.
    for e in graph.observes() {
        let _ = writeln!(
            out,
            "  {} -> {} [label={}, style=dashed, constraint=false];",
            quote(graph.name(e.from)),
            quote(graph.name(e.to)),
            quote(&format!("observes {}", e.flows))
        );
    }
    out.push_str("}\n");
    out
}

/// A DOT quoted string. Inside quotes only `"` needs escaping, but a
/// backslash starts an escape sequence in labels (`\n`, `\l`, `\N`), so it
/// is doubled; line breaks become `\n`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoting() {
        assert_eq!(quote("a"), "\"a\"");
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
        assert_eq!(quote("a\\b"), "\"a\\\\b\"");
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
        assert_eq!(quote("a\u{7}b"), "\"ab\"");
    }
}
