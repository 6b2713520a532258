//! What platc knows about Helm charts.
//!
//! For each pinned chart, platc ships *facts* in `stdlib/charts/`: every
//! values key path with its type, its enum values, and whether it is
//! free-form. They are generated from the chart's `values.yaml` and
//! `values.schema.json` by `scripts/chart-facts` (the `chart-facts` binary of
//! this crate), and embedded into the compiler: [`bundled`] gives them by
//! chart name and version, [`Facts::check`] checks a whole values tree
//! against them. [`Schema`] validates values against a chart's full JSON
//! Schema, when a user points platc at one.
//!
//! The acceptance rules are those of `tests/stdlib_chart_keys.rs`, with the
//! differences listed in the module docs of `generate.rs`, which also say
//! how they become a graph of nodes; `text.rs` says what the text looks
//! like, and `freeform.rs` lists the maps that are free-form by name. The
//! generator also reads the subcharts vendored in the chart's Helm archive
//! (see [`source`]), so that `grafana.*` of kube-prometheus-stack is checked
//! against the grafana chart.
//!
//! # Architecture Invariant
//!
//! This crate knows charts, not platc: it depends on no other platc crate,
//! produces typed [`Violation`]s rather than diagnostics, and reads files
//! (and runs `tar`) only in [`source`], for the generator and its tests.
//! [`Facts::check`] and [`Facts::knows`] never panic, allocate a few buffers
//! and what they report, and need no stack proportional to the values' depth.

mod freeform;
mod generate;
mod schema;
pub mod source;
mod text;
mod tree;

use std::sync::OnceLock;

pub use schema::{Schema, SchemaViolation};
pub use tree::{Facts, Kind, Lookups, Seg, ValuesNode, Violation, ViolationKind};

impl Facts {
    /// Facts of the chart whose `Chart.yaml`, `values.yaml` and (optional)
    /// `values.schema.json` are given. The values keys of its dependencies
    /// are free-form here ([`source::generate_dir`] reads their charts).
    pub fn generate(
        chart_yaml: &str,
        values_yaml: &str,
        schema_json: Option<&str>,
    ) -> Result<Facts, String> {
        generate::generate(chart_yaml, values_yaml, schema_json)
    }
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// The facts shipped with platc, parsed on first use.
static PARSED: [OnceLock<Facts>; embedded::BUNDLED.len()] =
    [const { OnceLock::new() }; embedded::BUNDLED.len()];

/// Facts shipped with platc for chart `name` at `version` (the `name:` and
/// `version:` of its Chart.yaml, e.g. `("airflow", "1.22.0")`,
/// `("cluster", "0.8.1")`, `("cert-manager", "v1.21.1")`). Each file is
/// parsed once, on first use.
pub fn bundled(name: &str, version: &str) -> Option<&'static Facts> {
    let index = embedded::BUNDLED
        .iter()
        .position(|(n, v, _)| *n == name && *v == version)?;
    Some(PARSED[index].get_or_init(|| {
        let (_, _, text) = embedded::BUNDLED[index];
        // The files are generated and tested (`tests/reference_charts.rs`);
        // one that does not parse is a build error, not a user error.
        Facts::parse_as_written(text)
            .unwrap_or_else(|e| panic!("stdlib/charts facts of {name} {version} do not parse: {e}"))
    }))
}

/// Every chart whose facts ship with platc: `(name, version)`.
pub fn bundled_charts() -> impl Iterator<Item = (&'static str, &'static str)> {
    embedded::BUNDLED.iter().map(|(n, v, _)| (*n, *v))
}

#[cfg(test)]
mod tests;
