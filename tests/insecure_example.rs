//! `examples/insecure` fails on purpose: one platform with every ingress
//! and network mistake at once. Checking it reports each built-in ingress
//! and network policy (P1001 to P1005, P1401) and the platform's own
//! "notebooks are never public" (P0101), at the declaration to fix, in
//! human and JSON form; the snapshot is what a user sees. The tests that
//! build every example skip it (its `expect-errors` file).

use std::path::{Path, PathBuf};

use platc_driver::{check_path, Options, RealFs};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/insecure")
}

#[test]
fn every_ingress_and_network_diagnostic_at_once() {
    let c = check_path(&RealFs, &example(), &Options::default()).expect("readable");
    assert!(c.has_errors());
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code).collect();
    for expected in [
        "P1001", "P1002", "P1003", "P1004", "P1005", "P1401", "P0101",
    ] {
        assert!(
            codes.contains(&expected),
            "{expected} is reported: {codes:?}"
        );
    }
    // Nothing but policy findings: the platform is otherwise valid.
    assert!(codes.iter().all(|c| c.starts_with('P')), "{codes:?}");
    let human = platc_render::render_human(&c.sources, &c.diagnostics, false);
    let json = platc_render::render_json(&c.sources, &c.diagnostics);
    let summary = platc_render::summary(&c.diagnostics).unwrap_or_default();
    insta::assert_snapshot!(
        "insecure_example",
        format!("{human}{summary}\n\n----- json\n{json}")
    );
}

#[test]
fn the_marker_explains_itself() {
    let text = std::fs::read_to_string(example().join("expect-errors")).unwrap();
    assert!(text.contains("on purpose"));
}
