//! The crate dependency rules of docs/architecture.md, checked from the
//! manifests.

use std::path::Path;

fn platc_deps(krate: &str) -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../compiler")
        .join(krate)
        .join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps {
            if let Some((name, _)) = line.split_once(['=', '.']) {
                let name = name.trim();
                if name.starts_with("platc") {
                    out.push(name.to_string());
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn crates_depend_only_on_earlier_stages() {
    let allowed: &[(&str, &[&str])] = &[
        ("platc-diag", &[]),
        ("platc-syntax", &["platc-diag"]),
        ("platc-yaml", &[]),
        // Knows charts, not platc.
        ("platc-charts", &[]),
        ("platc-sema", &["platc-diag", "platc-syntax", "platc-yaml"]),
        ("platc-graph", &["platc-sema"]),
        // Over the checked platform and its graph.
        ("platc-policy", &["platc-diag", "platc-graph", "platc-sema"]),
        ("platc-emit", &["platc-diag", "platc-sema", "platc-yaml"]),
        (
            "platc-driver",
            &[
                "platc-charts",
                "platc-diag",
                "platc-emit",
                "platc-graph",
                "platc-policy",
                "platc-sema",
                "platc-syntax",
            ],
        ),
        ("platc-render", &["platc-diag"]),
        // The language server: the driver's check, syntax trees, formatting.
        ("platc-lsp", &["platc-diag", "platc-driver", "platc-syntax"]),
        // The allocator and its one setting: knows no platc crate.
        ("platc-alloc", &[]),
        (
            "platc-cli",
            &[
                "platc-alloc",
                "platc-diag",
                "platc-driver",
                "platc-lsp",
                "platc-render",
            ],
        ),
    ];
    for (krate, deps) in allowed {
        let actual = platc_deps(krate);
        for d in &actual {
            assert!(deps.contains(&d.as_str()), "{krate} must not depend on {d}");
        }
    }
}

#[test]
fn only_the_renderer_knows_codespan_and_only_the_cli_knows_clap() {
    for krate in [
        "platc-diag",
        "platc-syntax",
        "platc-yaml",
        "platc-sema",
        "platc-graph",
        "platc-policy",
        "platc-emit",
        "platc-driver",
        "platc-render",
        "platc-lsp",
        "platc-cli",
    ] {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../compiler")
                .join(krate)
                .join("Cargo.toml"),
        )
        .unwrap();
        if krate != "platc-render" {
            assert!(
                !text.contains("codespan"),
                "{krate} must not use codespan-reporting"
            );
        }
        if krate != "platc-cli" {
            assert!(
                !text.contains("clap") && !text.contains("miette"),
                "{krate} must not use clap or miette"
            );
        }
    }
}

/// Every crate inherits the workspace's lints, which forbid `unsafe`,
/// except platc-alloc, which denies it and allows it only on its call
/// into mimalloc (docs/architecture.md).
#[test]
fn only_the_allocator_crate_may_use_unsafe() {
    let compiler = Path::new(env!("CARGO_MANIFEST_DIR")).join("../compiler");
    let mut crates = 0;
    for entry in std::fs::read_dir(&compiler).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        crates += 1;
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let inherits = text.contains("[lints]\nworkspace = true");
        if name == "platc-alloc" {
            assert!(!inherits && text.contains("unsafe_code = \"deny\""));
            let source = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
            assert_eq!(
                source.matches("unsafe {").count(),
                2,
                "platc-alloc: one call to set the option, one (in tests) to read it"
            );
        } else {
            assert!(inherits, "{name} must inherit the workspace's lints");
        }
    }
    assert!(crates >= 13, "the crates under compiler/");
    let workspace =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml"))
            .unwrap();
    assert!(workspace.contains("[workspace.lints.rust]\nunsafe_code = \"forbid\""));
}
