//! The JSON renderer: one object per diagnostic, one object per line.
//!
//! This is a machine interface: editors, CI annotators and scripts parse it,
//! so its shape is promised here and in `docs/diagnostics-json.md` (keep the
//! two in step).
//!
//! # Schema, version 1
//!
//! [`render_json`] writes [JSON Lines](https://jsonlines.org/): each
//! diagnostic is one JSON object on one line, ended by `\n`, in the order the
//! diagnostics were given. No diagnostics means no output at all. Keys always
//! appear in the order below, and every key is always present (absent values
//! are `null` or `[]`, never a missing key). Non-ASCII text is written as
//! UTF-8, not as `\u` escapes.
//!
//! ```json
//! {"version":1,"code":"E0202","name":"duplicate-definition","severity":"error","message":"`metadb` is defined more than once","location":{"file":"main.plat","start":{"byte":169,"line":14,"column":10},"end":{"byte":175,"line":14,"column":16}},"label":"defined again here","related":[{"location":{"file":"main.plat","start":{"byte":112,"line":9,"column":10},"end":{"byte":118,"line":9,"column":16}},"message":"first defined here"}],"notes":[],"help":"rename one of them"}
//! ```
//!
//! | key | type | meaning |
//! |---|---|---|
//! | `version` | integer | schema version, `1`; see [`JSON_SCHEMA_VERSION`] |
//! | `code` | string | diagnostic code such as `"E0301"` or `"W0201"` |
//! | `name` | string or null | the code's stable kebab-case name (`"type-mismatch"`), `null` if the code is not registered |
//! | `severity` | string | `"error"`, `"warning"` or `"note"` |
//! | `message` | string | one line saying what is wrong |
//! | `location` | location | where the problem is (the primary span) |
//! | `label` | string or null | the text attached to the primary span, `null` if it has none |
//! | `related` | array of related | other places involved (secondary spans), possibly in other files |
//! | `notes` | array of strings | extra facts, in order |
//! | `help` | string or null | what to do about it |
//!
//! A *location* is `{"file", "start", "end"}`: `file` is the file's display
//! name as a string (relative to the project root, or `std/...` for the
//! standard library); `start` and `end` are *positions*, `end` exclusive. A
//! zero-width location (`start` equal to `end`) points between two
//! characters, for example at the end of a file.
//!
//! A *position* is `{"byte", "line", "column"}`, all integers: `byte` is the
//! 0-based offset in bytes from the start of the file's UTF-8 text, `line` is
//! 1-based, and `column` is 1-based and counts Unicode scalar values (not
//! bytes, not UTF-16 code units, not display width) from the start of the
//! line. A position just after a line's final `\n` is column 1 of the next
//! line.
//!
//! A *related* entry is `{"location", "message"}`: a location and a string,
//! which is empty (`""`) when the secondary span has no text.
//!
//! The CLI writes its own errors (usage and I/O, exit code 2) with the same
//! keys under `--format json`: `code` and `location` are `null` and `name`
//! is `"command-error"` (docs/diagnostics-json.md, "Command errors").
//!
//! # Stability
//!
//! Within one `version`, fields are only ever added (to the end of an
//! object); existing keys keep their names, types, meaning and order. Removing
//! or renaming a key, changing its type or meaning, or adding a new
//! `severity` value increases `version`. Consumers should ignore keys they do
//! not know and check `version`.

use std::io;

use platc_diag::{Diagnostic, Label, SourceFile, SourceMap, Span};
use serde_json::{Map, Value};

use crate::clamp_offset;

/// The `version` every object carries. Bumped whenever a key is removed or
/// renamed or changes type or meaning; adding keys does not bump it.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Renders `diags` as JSON lines (see the [module documentation](self)).
pub fn render_json(map: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diag in diags {
        out.push_str(&WireDiagnostic::new(map, diag).to_json().to_string());
        out.push('\n');
    }
    out
}

/// Writes `diags` as [`render_json`] does, to `out`.
pub fn write_json(
    out: &mut dyn io::Write,
    map: &SourceMap,
    diags: &[Diagnostic],
) -> io::Result<()> {
    for diag in diags {
        serde_json::to_writer(&mut *out, &WireDiagnostic::new(map, diag).to_json())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

// Wire structs: the schema as Rust types. Each `to_json` inserts its keys in
// schema order (serde_json is built with `preserve_order`).

struct WireDiagnostic<'a> {
    version: u32,
    code: &'a str,
    name: Option<&'static str>,
    severity: &'static str,
    message: &'a str,
    location: WireLocation<'a>,
    label: Option<&'a str>,
    related: Vec<WireRelated<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
}

struct WireLocation<'a> {
    file: &'a str,
    start: WirePosition,
    end: WirePosition,
}

struct WirePosition {
    byte: usize,
    line: usize,
    column: usize,
}

struct WireRelated<'a> {
    location: WireLocation<'a>,
    message: &'a str,
}

impl<'a> WireDiagnostic<'a> {
    fn new(map: &'a SourceMap, diag: &'a Diagnostic) -> Self {
        let Label { span, message } = &diag.primary;
        WireDiagnostic {
            version: JSON_SCHEMA_VERSION,
            code: diag.code,
            name: platc_diag::lookup(diag.code).map(|info| info.name),
            severity: diag.severity.as_str(),
            message: &diag.message,
            location: WireLocation::new(map, *span),
            label: Some(message.as_str()).filter(|m| !m.is_empty()),
            related: diag
                .secondary
                .iter()
                .map(|label| WireRelated {
                    location: WireLocation::new(map, label.span),
                    message: &label.message,
                })
                .collect(),
            notes: &diag.notes,
            help: diag.help.as_deref(),
        }
    }

    fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("version".into(), self.version.into());
        obj.insert("code".into(), self.code.into());
        obj.insert("name".into(), self.name.into());
        obj.insert("severity".into(), self.severity.into());
        obj.insert("message".into(), self.message.into());
        obj.insert("location".into(), self.location.to_json());
        obj.insert("label".into(), self.label.into());
        obj.insert(
            "related".into(),
            self.related.iter().map(WireRelated::to_json).collect(),
        );
        obj.insert(
            "notes".into(),
            self.notes.iter().map(String::as_str).collect(),
        );
        obj.insert("help".into(), self.help.into());
        obj.into()
    }
}

impl<'a> WireLocation<'a> {
    fn new(map: &'a SourceMap, span: Span) -> Self {
        let file = map.get(span.file);
        WireLocation {
            file: file.name(),
            start: WirePosition::new(file, span.start),
            end: WirePosition::new(file, span.end.max(span.start)),
        }
    }

    fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("file".into(), self.file.into());
        obj.insert("start".into(), self.start.to_json());
        obj.insert("end".into(), self.end.to_json());
        obj.into()
    }
}

impl WirePosition {
    fn new(file: &SourceFile, offset: u32) -> Self {
        let byte = clamp_offset(file, offset);
        let lc = file.line_col(byte);
        WirePosition {
            byte,
            line: lc.line,
            column: lc.column,
        }
    }

    fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("byte".into(), self.byte.into());
        obj.insert("line".into(), self.line.into());
        obj.insert("column".into(), self.column.into());
        obj.into()
    }
}

impl WireRelated<'_> {
    fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("location".into(), self.location.to_json());
        obj.insert("message".into(), self.message.into());
        obj.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    /// Pretty-printed copies of each line, easier to review than one long
    /// line per diagnostic; the raw lines are snapshotted too.
    fn pretty(jsonl: &str) -> String {
        jsonl
            .lines()
            .map(|line| {
                let value: Value = serde_json::from_str(line).expect("each line is JSON");
                serde_json::to_string_pretty(&value).unwrap()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn multi_file() {
        let (map, diags) = fixtures::multi_file();
        let out = render_json(&map, &diags);
        insta::assert_snapshot!(out);
        insta::assert_snapshot!("multi_file_pretty", pretty(&out));
    }

    #[test]
    fn unicode_eof() {
        let (map, diags) = fixtures::unicode_eof();
        let out = render_json(&map, &diags);
        insta::assert_snapshot!(out);
        insta::assert_snapshot!("unicode_eof_pretty", pretty(&out));
    }

    #[test]
    fn write_json_matches_render_json() {
        for (map, diags) in [fixtures::multi_file(), fixtures::unicode_eof()] {
            let mut out = Vec::new();
            write_json(&mut out, &map, &diags).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), render_json(&map, &diags));
        }
    }

    const KEYS: &[&str] = &[
        "version", "code", "name", "severity", "message", "location", "label", "related", "notes",
        "help",
    ];
    const LOCATION_KEYS: &[&str] = &["file", "start", "end"];
    const POSITION_KEYS: &[&str] = &["byte", "line", "column"];
    const RELATED_KEYS: &[&str] = &["location", "message"];

    fn keys(value: &Value) -> Vec<&str> {
        value
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect()
    }

    fn check_location(location: &Value) {
        assert_eq!(keys(location), LOCATION_KEYS);
        assert!(location["file"].is_string());
        for end in ["start", "end"] {
            assert_eq!(keys(&location[end]), POSITION_KEYS);
            for key in POSITION_KEYS {
                assert!(location[end][key].is_u64(), "{key} is an integer");
            }
        }
    }

    #[test]
    fn every_line_parses_with_keys_in_schema_order() {
        for (map, diags) in [fixtures::multi_file(), fixtures::unicode_eof()] {
            let out = render_json(&map, &diags);
            assert!(out.ends_with('\n'));
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(lines.len(), diags.len());
            for (line, diag) in lines.iter().zip(&diags) {
                let value: Value = serde_json::from_str(line).expect("each line is one JSON value");
                assert_eq!(keys(&value), KEYS);
                assert_eq!(value["version"], JSON_SCHEMA_VERSION);
                assert_eq!(value["code"], diag.code);
                assert_eq!(value["severity"], diag.severity.as_str());
                check_location(&value["location"]);
                let related = value["related"].as_array().unwrap();
                assert_eq!(related.len(), diag.secondary.len());
                for entry in related {
                    assert_eq!(keys(entry), RELATED_KEYS);
                    check_location(&entry["location"]);
                    assert!(entry["message"].is_string());
                }
                assert!(value["notes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(Value::is_string));
            }
        }
    }

    #[test]
    fn positions_agree_with_the_source_map() {
        for (map, diags) in [fixtures::multi_file(), fixtures::unicode_eof()] {
            for (line, diag) in render_json(&map, &diags).lines().zip(&diags) {
                let value: Value = serde_json::from_str(line).unwrap();
                let span = diag.primary.span;
                let file = map.get(span.file);
                let location = &value["location"];
                assert_eq!(location["file"], file.name());
                for (key, offset) in [("start", span.start), ("end", span.end)] {
                    let lc = file.line_col(offset as usize);
                    assert_eq!(location[key]["byte"], offset);
                    assert_eq!(location[key]["line"], lc.line);
                    assert_eq!(location[key]["column"], lc.column);
                }
            }
        }
    }

    #[test]
    fn unregistered_codes_and_bare_labels_give_null() {
        let mut map = SourceMap::new();
        let file = map.add("x.plat", "abc".to_string());
        let diag = Diagnostic {
            code: "E9999",
            severity: platc_diag::Severity::Error,
            message: "internal".into(),
            primary: Label::new(Span::new(file, 0, 1), ""),
            secondary: vec![Label::new(Span::new(file, 2, 3), "")],
            notes: Vec::new(),
            help: None,
        };
        let value: Value = serde_json::from_str(render_json(&map, &[diag]).trim_end()).unwrap();
        assert_eq!(value["name"], Value::Null);
        assert_eq!(value["label"], Value::Null);
        assert_eq!(value["help"], Value::Null);
        assert_eq!(value["notes"], serde_json::json!([]));
        assert_eq!(value["related"][0]["message"], "");
    }

    #[test]
    fn no_diagnostics_no_output() {
        assert_eq!(render_json(&SourceMap::new(), &[]), "");
    }

    /// The Markdown page documents every key the renderer writes.
    #[test]
    fn markdown_documents_every_key() {
        let doc = include_str!("../../../docs/diagnostics-json.md");
        for key in KEYS
            .iter()
            .chain(LOCATION_KEYS)
            .chain(POSITION_KEYS)
            .chain(RELATED_KEYS)
        {
            assert!(
                doc.contains(&format!("| `{key}` |")),
                "docs/diagnostics-json.md has no row for `{key}`"
            );
        }
        assert!(doc.contains(&format!("\"version\":{JSON_SCHEMA_VERSION}")));
    }
}
