//! The SARIF renderer: one SARIF 2.1.0 log of one run of platc, for code
//! scanning services and IDEs (`platc check --format sarif`).
//!
//! Every diagnostic is a `result`; a failure that a waiver exempts is a
//! result too, with a `suppressions` entry that carries the waiver's reason
//! (so a reviewer sees what was waived, and a scanner does not count it).
//! Every code used is a `rule` of the tool driver, with the code's summary,
//! its long explanation (the page `platc explain CODE` prints) as help, and
//! a help URI to that page. Locations are relative to the project root
//! (`uriBaseId` `PROJECTROOT`); lines and columns are 1-based, columns
//! counted in Unicode scalar values (`columnKind` `unicodeCodePoints`).
//! `docs/sarif.md` documents the mapping.

use std::collections::BTreeMap;

use platc_diag::{Diagnostic, Severity, SourceMap, Span};
use serde_json::{json, Map, Value};

use crate::clamp_offset;

/// Where the explanation of each code is published: `EXPLAIN_URL` followed
/// by the code. The same text is in the log, as each rule's help.
pub const EXPLAIN_URL: &str = "https://platc.dev/explain/";

/// A rule that the registry does not know: a user's own policy.
#[derive(Debug, Clone)]
pub struct SarifRule {
    pub code: String,
    /// The policy's name.
    pub name: String,
    /// One line.
    pub summary: String,
    /// The policy's doc comment.
    pub help: Option<String>,
}

/// A result that a waiver exempts.
#[derive(Debug, Clone)]
pub struct Suppressed {
    pub diagnostic: Diagnostic,
    /// The waiver's reason.
    pub justification: String,
}

/// An error of the command itself that ended the run: a usage error, an
/// input that cannot be read, an output that cannot be written.
#[derive(Debug, Clone, Copy)]
pub struct SarifFailure<'a> {
    pub message: &'a str,
    pub help: Option<&'a str>,
    /// The process's exit code (2 for usage and I/O errors).
    pub exit_code: i32,
}

/// Renders the log (pretty-printed JSON, with a final newline). With
/// `failure`, the log of a run that analysed the platform and then failed
/// (its output could not be written): the results, and an invocation that
/// says the run failed (see [`render_sarif_failure`]).
pub fn render_sarif(
    map: &SourceMap,
    diags: &[Diagnostic],
    suppressed: &[Suppressed],
    extra_rules: &[SarifRule],
    tool_version: &str,
    failure: Option<&SarifFailure<'_>>,
) -> String {
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let codes = diags
        .iter()
        .map(|d| d.code)
        .chain(suppressed.iter().map(|s| s.diagnostic.code));
    let mut rules = Vec::new();
    for code in codes {
        if rule_index.contains_key(code) {
            continue;
        }
        rule_index.insert(code, rules.len());
        rules.push(rule(code, extra_rules));
    }
    let mut results: Vec<Value> = diags
        .iter()
        .map(|d| result(map, d, rule_index[d.code]))
        .collect();
    for s in suppressed {
        let mut r = result(map, &s.diagnostic, rule_index[s.diagnostic.code]);
        r["suppressions"] = json!([{
            "kind": "inSource",
            "status": "accepted",
            "justification": s.justification,
        }]);
        results.push(r);
    }
    let mut log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": tool(tool_version, rules),
            "originalUriBaseIds": {
                "PROJECTROOT": { "description": { "text": "The directory of the platform's main.plat." } }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    if let Some(f) = failure {
        log["runs"][0]["invocations"] = invocations(f);
    }
    pretty(&log)
}

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn tool(version: &str, rules: Vec<Value>) -> Value {
    json!({
        "driver": {
            "name": "platc",
            "version": version,
            "informationUri": EXPLAIN_URL,
            "rules": rules,
        }
    })
}

fn pretty(log: &Value) -> String {
    let mut out = serde_json::to_string_pretty(log).unwrap_or_default();
    out.push('\n');
    out
}

/// Renders the log of a run that could not look at the platform at all: an
/// error of the command itself (a usage error, a missing or unreadable
/// input, an output that cannot be written), which exits with `exit_code`.
///
/// As SARIF 2.1.0 says of a run that failed (appendix I, "Detecting
/// incomplete result sets"), the run has no `results` (absent, not empty:
/// nothing was analysed, which is not the same as nothing found), and its
/// one invocation has `executionSuccessful: false`, the exit code, and the
/// error as a tool execution notification of level `error`, with the help
/// after the message.
pub fn render_sarif_failure(failure: &SarifFailure<'_>, tool_version: &str) -> String {
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": tool(tool_version, Vec::new()),
            "invocations": invocations(failure),
        }]
    });
    pretty(&log)
}

fn invocations(f: &SarifFailure<'_>) -> Value {
    let text = match f.help {
        Some(h) => format!("{}\nhelp: {h}", f.message),
        None => f.message.to_string(),
    };
    json!([{
        "executionSuccessful": false,
        "exitCode": f.exit_code,
        "toolExecutionNotifications": [{
            "level": "error",
            "message": { "text": text },
            "descriptor": { "id": "command-error" },
        }],
    }])
}

fn rule(code: &str, extra: &[SarifRule]) -> Value {
    let help_uri = format!("{EXPLAIN_URL}{code}");
    if let Some(info) = platc_diag::lookup(code) {
        return json!({
            "id": code,
            "name": info.name,
            "shortDescription": { "text": info.summary },
            "help": { "text": info.explanation, "markdown": info.explanation },
            "helpUri": help_uri,
            "defaultConfiguration": { "level": level(info.severity) },
        });
    }
    let mut r = Map::new();
    r.insert("id".into(), json!(code));
    if let Some(x) = extra.iter().find(|r| r.code == code) {
        r.insert("name".into(), json!(x.name));
        r.insert("shortDescription".into(), json!({ "text": x.summary }));
        if let Some(h) = &x.help {
            r.insert("help".into(), json!({ "text": h, "markdown": h }));
        }
    }
    Value::Object(r)
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn result(map: &SourceMap, d: &Diagnostic, rule_index: usize) -> Value {
    let mut message = d.message.clone();
    for n in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(n);
    }
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    let related: Vec<Value> = d
        .secondary
        .iter()
        .enumerate()
        .map(|(k, l)| {
            let mut loc = location(map, l.span);
            loc["id"] = json!(k + 1);
            if !l.message.is_empty() {
                loc["message"] = json!({ "text": l.message });
            }
            loc
        })
        .collect();
    let mut primary = location(map, d.primary.span);
    if !d.primary.message.is_empty() {
        primary["message"] = json!({ "text": d.primary.message });
    }
    let mut r = json!({
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": level(d.severity),
        "message": { "text": message },
        "locations": [primary],
    });
    if !related.is_empty() {
        r["relatedLocations"] = Value::Array(related);
    }
    r
}

fn location(map: &SourceMap, span: Span) -> Value {
    let file = map.get(span.file);
    let start = clamp_offset(file, span.start);
    let end = clamp_offset(file, span.end).max(start);
    let (sl, sc) = line_col(file.text(), start);
    let (el, ec) = line_col(file.text(), end);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(file.name()), "uriBaseId": "PROJECTROOT" },
            "region": {
                "startLine": sl,
                "startColumn": sc,
                "endLine": el,
                "endColumn": ec,
            }
        }
    })
}

/// 1-based line and column (in chars) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// A relative URI reference for a display name: each path segment
/// percent-encoded where RFC 3986 requires it.
fn uri(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_chars() {
        assert_eq!(line_col("ab\ncé d", 0), (1, 1));
        assert_eq!(line_col("ab\ncé d", 3), (2, 1));
        assert_eq!(line_col("ab\ncé d", 6), (2, 3));
    }

    #[test]
    fn uris_are_escaped() {
        assert_eq!(uri("lib/a b.plat"), "lib/a%20b.plat");
        assert_eq!(
            uri("std/policies/ingress.plat"),
            "std/policies/ingress.plat"
        );
    }
}
