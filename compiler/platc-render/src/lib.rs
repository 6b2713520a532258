//! Renders [`platc_diag::Diagnostic`]s for people and for tools.
//!
//! * [`render_human`] / [`write_human`]: rustc-style text through
//!   codespan-reporting, with or without ANSI colour; [`summary`] gives the
//!   closing "could not compile" line.
//! * [`render_json`] / [`write_json`]: JSON lines in the versioned schema
//!   documented in the [`json`] module and in `docs/diagnostics-json.md`.
//! * [`render_sarif`]: a SARIF 2.1.0 log (the [`sarif`] module and
//!   `docs/sarif.md`).
//!
//! Architecture invariant: this is the only crate that knows
//! codespan-reporting, and no codespan or termcolor type appears in its public
//! API. It depends on no platc crate but `platc-diag`. The JSON wire format is
//! owned here (hand-written wire structs, no `Serialize` on core types), so
//! changing the diagnostic model never silently changes the format.
//!
//! Both renderers expect every span to name a file of the [`SourceMap`] they
//! are given (they panic otherwise, like [`SourceMap::get`]); offsets past
//! the end of a file or inside a character are clamped back to the nearest
//! character boundary.
//!
//! [`SourceMap`]: platc_diag::SourceMap
//! [`SourceMap::get`]: platc_diag::SourceMap::get

mod human;
pub mod json;
pub mod sarif;

pub use human::{render_human, summary, write_human};
pub use json::{render_json, write_json, JSON_SCHEMA_VERSION};
pub use sarif::{render_sarif, render_sarif_failure, SarifFailure, SarifRule, Suppressed};

use platc_diag::SourceFile;

/// `offset` clamped to the text of `file` and back to a char boundary, the
/// way [`SourceFile::line_col`] clamps it.
fn clamp_offset(file: &SourceFile, offset: u32) -> usize {
    let text = file.text();
    let mut offset = (offset as usize).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Diagnostic sets shared by the tests of every renderer, so that each output
/// format is checked on the same input (ruff style).
#[cfg(test)]
mod fixtures {
    use platc_diag::{Diagnostic, Label, Severity, SourceMap, Span};

    /// The span of the `nth` (0-based) occurrence of `needle` in `file`.
    fn find(map: &SourceMap, file: platc_diag::FileId, needle: &str, nth: usize) -> Span {
        let text = map.get(file).text();
        let (start, _) = text
            .match_indices(needle)
            .nth(nth)
            .unwrap_or_else(|| panic!("fixture text has no {needle:?} #{nth}"));
        Span::new(file, start as u32, (start + needle.len()) as u32)
    }

    /// A type error whose labels span two files, with notes and help, and a
    /// warning with a primary label only.
    pub fn multi_file() -> (SourceMap, Vec<Diagnostic>) {
        let mut map = SourceMap::new();
        let main = map.add(
            "main.plat",
            concat!(
                "import \"lib.plat\"\n",
                "import \"util.plat\"\n",
                "\n",
                "platform shop {\n",
                "  db = postgres(version: \"16\")\n",
                "  api = service(port: \"8080\", replicas: 2)\n",
                "}\n",
            )
            .to_string(),
        );
        let lib = map.add(
            "lib.plat",
            concat!(
                "component service(port: Int, replicas: Int = 1) {\n",
                "  image = \"shop/api\"\n",
                "}\n",
            )
            .to_string(),
        );
        let warning = Diagnostic::new(
            "W0201",
            "unused import `util.plat`",
            Label::new(
                find(&map, main, "import \"util.plat\"", 0),
                "nothing from this file is used",
            ),
        )
        .with_help("remove this import");
        let error = Diagnostic::error("E0301", "mismatched types", find(&map, main, "\"8080\"", 0))
            .with_label("expected `Int`, found `String`")
            .with_secondary(
                find(&map, lib, "port: Int", 0),
                "parameter `port` declared as `Int` here",
            )
            .with_secondary(
                find(&map, main, "service", 0),
                "in this instance of `service`",
            )
            .with_note("ports are whole numbers from 1 to 65535")
            .with_note("strings are never converted to numbers implicitly")
            .with_help("remove the quotes: `port: 8080`");
        assert_eq!(warning.severity, Severity::Warning);
        (map, vec![warning, error])
    }

    /// Labels after multi-byte and double-width characters, and a zero-width
    /// span at the very end of a file that ends with a newline.
    pub fn unicode_eof() -> (SourceMap, Vec<Diagnostic>) {
        let mut map = SourceMap::new();
        let file = map.add(
            "café.plat",
            concat!("platform café {\n", "  motd = \"héllo 日本\" + grüße\n",).to_string(),
        );
        let unknown = Diagnostic::error(
            "E0201",
            "cannot find `grüße` in this scope",
            find(&map, file, "grüße", 0),
        )
        .with_label("not found in this scope");
        let len = map.get(file).text().len() as u32;
        let eof = Diagnostic::error("E0101", "unexpected end of file", Span::new(file, len, len))
            .with_label("expected `}`")
            .with_secondary(find(&map, file, "{", 0), "unclosed block starts here");
        (map, vec![unknown, eof])
    }
}
