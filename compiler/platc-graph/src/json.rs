//! The platform graph as JSON, for tools and scripts. Keys appear in the
//! order below; the document is pretty-printed and ends with a newline.
//!
//! Schema, version 1 (a new key may be added within a version; removing or
//! changing one bumps `version`):
//!
//! ```text
//! {
//!   "version": 1,
//!   "platform": string,               // the platform's name
//!   "environment": string | null,     // the environment applied, if any
//!   "nodes": [                        // one per instance, in declaration order
//!     {
//!       "name": string,               // as written in the source (`meta_db`)
//!       "k8s_name": string,           // Kubernetes / Helm release name (`meta-db`)
//!       "component": string,
//!       "namespace": string,
//!       "chart": { "name": string, "version": string, "repository": string } | null
//!     }
//!   ],
//!   "edges": [                        // sorted by (from, to, flows), by declaration index
//!     {
//!       "from": string,               // the dependent instance's name
//!       "to": string,                 // the instance it depends on
//!       "flows": string,              // interface or component name, or "value"
//!       "attr": string                // the attribute holding the reference, or "requires"
//!     }
//!   ],
//!   "observes": [                     // `all(...)`: not dependencies; sorted likewise
//!     { "from": string, "to": string, "interface": string }   // `from` observes `to`
//!   ],
//!   "namespaces": [string],           // sorted, unique
//!   "order": [string]                 // instance names, dependencies first (deployment order)
//! }
//! ```

use platc_sema::Platform;
use serde_json::{json, Value};

use crate::{namespaces, PlatformGraph};

/// The version of the schema above.
pub const SCHEMA_VERSION: u32 = 1;

/// Renders `graph` as a JSON document.
pub fn render(graph: &PlatformGraph, platform: &Platform) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(graph, platform))
        .expect("a JSON value always serialises");
    text.push('\n');
    text
}

/// The JSON document as a value.
pub fn to_value(graph: &PlatformGraph, platform: &Platform) -> Value {
    let nodes: Vec<Value> = platform
        .instances
        .iter()
        .map(|inst| {
            json!({
                "name": inst.name,
                "k8s_name": inst.k8s_name,
                "component": inst.component,
                "namespace": inst.namespace,
                "chart": inst.chart.as_ref().map(|c| json!({
                    "name": c.name,
                    "version": c.version,
                    "repository": c.repository,
                })),
            })
        })
        .collect();
    let edges: Vec<Value> = graph
        .edges()
        .into_iter()
        .map(|e| {
            json!({
                "from": graph.name(e.from),
                "to": graph.name(e.to),
                "flows": e.flows,
                "attr": e.attr,
            })
        })
        .collect();
    let observes: Vec<Value> = graph
        .observes()
        .iter()
        .map(|e| {
            json!({
                "from": graph.name(e.from),
                "to": graph.name(e.to),
                "interface": e.flows,
            })
        })
        .collect();
    let order: Vec<&str> = graph.order().iter().map(|&i| graph.name(i)).collect();
    json!({
        "version": SCHEMA_VERSION,
        "platform": platform.name,
        "environment": platform.environment,
        "nodes": nodes,
        "edges": edges,
        "observes": observes,
        "namespaces": namespaces(platform),
        "order": order,
    })
}
