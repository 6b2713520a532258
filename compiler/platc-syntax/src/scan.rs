//! A pre-pass over the raw text, before the grammar runs.
//!
//! It finds what a PEG parser reports badly or not at all: strings and block
//! comments that never close (reported at their start, not at end of file),
//! and nesting deeper than the compiler accepts (so that no later recursive
//! stage can overflow its stack). It also yields the top-level chunk starts
//! used to recover after a syntax error.

use platc_diag::{Diagnostic, FileId, Span};

/// Deepest nesting of brackets, braces and interpolations accepted.
pub const MAX_DEPTH: usize = 64;

pub struct ScanResult {
    pub diagnostics: Vec<Diagnostic>,
    /// Byte offsets of lines that start (at column 0, outside any bracket,
    /// string or comment) with a letter: candidate starts of top-level items.
    pub item_starts: Vec<usize>,
}

#[derive(Clone, Copy)]
enum Open {
    Bracket,
    /// `${` inside a string: closing `}` returns into the string.
    Interp,
}

pub fn scan(file: FileId, text: &str) -> ScanResult {
    let bytes = text.as_bytes();
    let mut diagnostics = Vec::new();
    let mut item_starts = Vec::new();
    let mut stack: Vec<(Open, usize)> = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    // Inside a string literal: its start offset.
    let mut in_string: Option<usize> = None;
    let span = |s: usize, e: usize| Span::new(file, s as u32, e as u32);

    while i < bytes.len() {
        let b = bytes[i];
        if let Some(start) = in_string {
            match b {
                b'"' => {
                    in_string = None;
                    i += 1;
                }
                b'\\' => i += 2,
                b'\n' => {
                    diagnostics.push(unterminated_string(span(start, i)));
                    in_string = None;
                    line_start = true;
                    i += 1;
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    if stack.len() >= MAX_DEPTH {
                        diagnostics.push(too_deep(span(i, i + 2)));
                        return ScanResult {
                            diagnostics,
                            item_starts,
                        };
                    }
                    stack.push((Open::Interp, start));
                    in_string = None;
                    i += 2;
                }
                _ => i += 1,
            }
            continue;
        }
        if line_start && stack.is_empty() && (b.is_ascii_alphabetic() || b == b'_') {
            item_starts.push(i);
        }
        line_start = false;
        match b {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => match text[i + 2..].find("*/") {
                Some(end) => {
                    i += 2 + end + 2;
                }
                None => {
                    diagnostics.push(
                        Diagnostic::error("E0102", "block comment is never closed", span(i, i + 2))
                            .with_label("this comment starts here")
                            .with_help("close the comment with `*/`"),
                    );
                    i = bytes.len();
                }
            },
            b'"' => {
                in_string = Some(i);
                i += 1;
            }
            b'(' | b'[' | b'{' => {
                if stack.len() >= MAX_DEPTH {
                    diagnostics.push(too_deep(span(i, i + 1)));
                    return ScanResult {
                        diagnostics,
                        item_starts,
                    };
                }
                stack.push((Open::Bracket, i));
                i += 1;
            }
            b')' | b']' | b'}' => {
                match stack.last() {
                    Some((Open::Interp, string_start)) if b == b'}' => {
                        in_string = Some(*string_start);
                        stack.pop();
                    }
                    Some((Open::Bracket, _)) => {
                        // Mismatched kinds are the grammar's to report.
                        stack.pop();
                    }
                    _ => {}
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    if let Some(start) = in_string {
        diagnostics.push(unterminated_string(span(start, bytes.len())));
    }
    for (open, start) in stack.iter().rev() {
        if let Open::Interp = open {
            diagnostics.push(
                Diagnostic::error(
                    "E0102",
                    "string interpolation is never closed",
                    span(*start, *start + 1),
                )
                .with_label("the string with the open `${` starts here")
                .with_help("close the interpolation with `}` and the string with `\"`"),
            );
            break;
        }
    }
    ScanResult {
        diagnostics,
        item_starts,
    }
}

fn unterminated_string(span: Span) -> Diagnostic {
    Diagnostic::error(
        "E0102",
        "string is never closed",
        Span::new(span.file, span.start, span.start + 1),
    )
    .with_label("this string starts here")
    .with_secondary(
        Span::new(span.file, span.end, span.end),
        "the line ends here",
    )
    .with_help("close the string with `\"` on the same line; use `\\n` for a line break")
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        "E0105",
        format!("nesting is deeper than {MAX_DEPTH} levels"),
        span,
    )
    .with_label("this opens one level too many")
    .with_help(
        "flatten the structure: name intermediate values or split them into several declarations",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&'static str> {
        scan(FileId(0), text)
            .diagnostics
            .iter()
            .map(|d| d.code)
            .collect()
    }

    #[test]
    fn balanced_text_is_clean() {
        assert!(codes("a { b = [1, (2)] c = \"x ${y} z\" } // \"\n/* \" */").is_empty());
    }

    #[test]
    fn unterminated_string_and_comment() {
        assert_eq!(codes("x = \"abc\n"), vec!["E0102"]);
        assert_eq!(codes("x = 1 /* never"), vec!["E0102"]);
        assert_eq!(codes("x = \"a ${ b "), vec!["E0102"]);
    }

    #[test]
    fn deep_nesting_is_reported_once() {
        let text = "[".repeat(10_000);
        assert_eq!(codes(&text), vec!["E0105"]);
        let interp = "\"${".repeat(10_000);
        assert_eq!(codes(&interp), vec!["E0105"]);
    }

    #[test]
    fn item_starts_are_top_level_lines() {
        let r = scan(FileId(0), "a {\n  b = 1\nc\n}\nd {}\n");
        assert_eq!(r.item_starts, vec![0, 16]);
    }
}
