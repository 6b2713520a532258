//! UI tests: every `tests/ui/<case>/main.plat` is built (in memory) and
//! its diagnostics are snapshotted in both output forms (human, without
//! colour, and JSON lines). A case named after a code (`E0301-...`) must
//! report that code; a case named `ok-...` must have no error. Together the
//! cases must trigger every registered code.

use std::collections::BTreeSet;
use std::path::Path;

use platc_driver::{build_path, build_path_with, ArgoCd, BuildOptions, Options, RealFs, Target};
use platc_syntax::ast::Date;

fn options() -> Options {
    Options {
        today: Date {
            year: 2026,
            month: 6,
            day: 1,
        },
        allow_missing_platform: false,
        environment: None,
        deny_warnings: false,
    }
}

fn render(path: &Path, emit: bool) -> (String, BTreeSet<&'static str>) {
    // Build (in memory): checking, then reading the values files. A case
    // with a file `target-argocd` beside its `main.plat` is built as
    // `platc build --target argocd` builds it.
    let argocd = path.with_file_name("target-argocd").exists();
    let b = if argocd {
        let build = BuildOptions {
            target: Target::ArgoCd(ArgoCd {
                repo_url: "https://git.example.com/team/platform.git".into(),
                revision: "HEAD".into(),
                path: "out".into(),
                namespace: "argocd".into(),
                project: "default".into(),
            }),
            ..BuildOptions::default()
        };
        build_path_with(&RealFs, path, &options(), &build)
    } else {
        build_path(&RealFs, path, &options())
    }
    .expect("fixture is readable");
    let mut files = String::new();
    if emit {
        // `ok-emit-*` cases show the Helm values, the resources and the
        // External Secrets they produce, too.
        for f in b.files.iter().filter(|f| {
            [
                "helm/",
                "kubernetes/resources/",
                "kubernetes/externalsecret-",
                "kubernetes/secretstore-",
            ]
            .iter()
            .any(|p| f.path.starts_with(p))
        }) {
            files.push_str(&format!("\n----- {}\n{}", f.path, f.contents));
        }
    }
    let c = b.compilation;
    let human = platc_render::render_human(&c.sources, &c.diagnostics, false);
    let json = platc_render::render_json(&c.sources, &c.diagnostics);
    let summary = platc_render::summary(&c.diagnostics).unwrap_or_else(|| "clean".to_string());
    let codes = c.diagnostics.iter().map(|d| d.code).collect();
    (
        format!("{human}{summary}\n\n----- json\n{json}{files}"),
        codes,
    )
}

#[test]
fn ui_cases() {
    let mut seen: BTreeSet<&'static str> = BTreeSet::new();
    insta::glob!("ui/*/main.plat", |path| {
        let case = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let (out, codes) = render(path, case.starts_with("ok-emit-"));
        if let Some(ok) = case.strip_prefix("ok-") {
            assert!(
                !codes.iter().any(|c| c.starts_with('E')),
                "case ok-{ok} must be free of errors:\n{out}"
            );
        } else {
            let code = &case[..5];
            assert!(
                codes.contains(code),
                "case {case} must report {code}:\n{out}"
            );
        }
        seen.extend(codes);
        insta::assert_snapshot!(out);
    });
    // E0107 needs a file over the size limit: generated, see large_input.rs.
    seen.insert("E0107");
    let missing: Vec<&str> = platc_diag::CODES
        .iter()
        .map(|c| c.code)
        .filter(|c| !seen.contains(c))
        .collect();
    assert!(missing.is_empty(), "no ui case triggers {missing:?}");
}
