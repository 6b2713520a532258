//! `platc policy list`, and the SARIF log of `--format sarif`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use platc_driver::{check_path, Compilation, RealFs};

use crate::{fail, options, print_diagnostics, DiagnosticArgs, Format};

/// Lists the policies of the platform at `path`: those in force, or with
/// `all` every one (a pack's not in force marked `off`).
pub(crate) fn list(path: PathBuf, all: bool, format: Format) -> ExitCode {
    let c = match check_path(&RealFs, &path, &options(None)) {
        Ok(c) => c,
        Err(e) => return fail(&e, e.help()),
    };
    if c.policies.is_empty() && c.has_errors() {
        // The program did not check: there is no platform to list.
        let args = DiagnosticArgs {
            format: match format {
                Format::Human => Format::Human,
                _ => Format::Json,
            },
            color: crate::ColorChoice::Auto,
            deny_warnings: false,
        };
        let _ = print_diagnostics(&c, &args);
        return ExitCode::from(1);
    }
    let mut rows: Vec<Row> = c
        .policies
        .iter()
        .map(|p| Row {
            code: p.code.clone(),
            name: p.name.clone(),
            severity: p.severity.as_str(),
            pack: p.pack.clone(),
            active: p.pack.as_ref().is_none_or(|k| c.policy_packs.contains(k)),
            source: location(&c, p.span),
        })
        .filter(|r| all || r.active)
        .collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code).then_with(|| a.name.cmp(&b.name)));
    let text = match format {
        Format::Human => human(&rows),
        _ => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code,
                        "name": r.name,
                        "severity": r.severity,
                        "pack": r.pack,
                        "active": r.active,
                        "source": r.source,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
            s.push('\n');
            s
        }
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(
            format!("cannot write the list: {e}"),
            "check standard output".into(),
        ),
    }
}

struct Row {
    code: String,
    name: String,
    severity: &'static str,
    pack: Option<String>,
    active: bool,
    source: String,
}

fn location(c: &Compilation, span: platc_diag::Span) -> String {
    let file = c.sources.get(span.file);
    let lc = file.line_col(span.start as usize);
    format!("{}:{}", file.name(), lc.line)
}

fn human(rows: &[Row]) -> String {
    let cells = |r: &Row| {
        [
            r.code.clone(),
            if r.active {
                r.severity.to_string()
            } else {
                "off".to_string()
            },
            r.name.clone(),
            r.pack.clone().unwrap_or_else(|| "(platform)".to_string()),
            r.source.clone(),
        ]
    };
    let header = ["CODE", "SEVERITY", "POLICY", "PACK", "DECLARED AT"].map(String::from);
    let mut table: Vec<[String; 5]> = vec![header];
    table.extend(rows.iter().map(cells));
    let widths: Vec<usize> = (0..5)
        .map(|k| {
            table
                .iter()
                .map(|r| r[k].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in &table {
        let line: Vec<String> = (0..5)
            .map(|k| format!("{:<w$}", r[k], w = widths[k]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "{} polic{} in force\n",
        rows.iter().filter(|r| r.active).count(),
        if rows.iter().filter(|r| r.active).count() == 1 {
            "y"
        } else {
            "ies"
        }
    ));
    out
}

/// The explanation of a policy code of the platform at `project`: its
/// name, severity, where it is declared and its doc comment. `None` when the
/// project cannot be read or declares no policy with that code.
pub(crate) fn explain(code: &str, project: &std::path::Path) -> Option<String> {
    if !(code.len() == 5 && code.starts_with(['P', 'p'])) {
        return None;
    }
    let code = code.to_ascii_uppercase();
    let c = check_path(&RealFs, project, &options(None)).ok()?;
    let p = c.policies.iter().find(|p| p.code == code)?;
    let mut text = format!(
        "# {}: {}\n\nA policy of this platform ({}), declared at {}.\n",
        p.code,
        p.name,
        p.severity.as_str(),
        location(&c, p.span)
    );
    match &p.doc {
        Some(doc) => text.push_str(&format!("\n{}\n", doc.trim_end())),
        None => text.push_str("\nIts declaration has no doc comment (`///` above `policy`).\n"),
    }
    text.push_str(&format!(
        "\nA failure is {}. To exempt one instance, endpoint, secret or edge, with a reason:\n\n    allow {} for TARGET reason \"...\"\n",
        if p.severity.as_str() == "deny" { "an error" } else { "a warning" },
        p.name
    ));
    Some(text)
}

/// The SARIF log of a compilation: its diagnostics, and the failures that
/// waivers exempt as suppressed results; with `failure`, the log of a run
/// that then failed (its output could not be written).
pub(crate) fn sarif(c: &Compilation, failure: Option<&platc_render::SarifFailure<'_>>) -> String {
    let mut seen = std::collections::HashSet::new();
    let suppressed: Vec<platc_render::Suppressed> = c
        .policy
        .iter()
        .flat_map(|e| &e.findings)
        .filter(|f| f.waived_by.is_some())
        .filter_map(|f| {
            let d = f.diagnostic();
            // The same failure in several environments is one result.
            seen.insert((d.code, d.message.clone(), d.primary.span))
                .then(|| platc_render::Suppressed {
                    diagnostic: d,
                    justification: f.waiver_reason.clone().unwrap_or_default(),
                })
        })
        .collect();
    let rules: Vec<platc_render::SarifRule> = c
        .policies
        .iter()
        .map(|p| platc_render::SarifRule {
            code: p.code.clone(),
            name: p.name.clone(),
            summary: format!("policy `{}` ({})", p.name, p.severity.as_str()),
            help: p.doc.clone(),
        })
        .collect();
    platc_render::render_sarif(
        &c.sources,
        &c.diagnostics,
        &suppressed,
        &rules,
        env!("CARGO_PKG_VERSION"),
        failure,
    )
}
