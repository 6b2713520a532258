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

/// Renders the log (pretty-printed JSON, with a final newline).
pub fn render_sarif(
    map: &SourceMap,
    diags: &[Diagnostic],
    suppressed: &[Suppressed],
    extra_rules: &[SarifRule],
    tool_version: &str,
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
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "platc",
                    "version": tool_version,
                    "informationUri": EXPLAIN_URL,
                    "rules": rules,
                }
            },
            "originalUriBaseIds": {
                "PROJECTROOT": { "description": { "text": "The directory of the platform's main.plat." } }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
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
