//! The human renderer: rustc-style snippets through codespan-reporting.
//!
//! ```text
//! error[E0301]: mismatched types
//!   --> main.plat:6:23
//!   |
//! 6 |   api = service(port: "8080", replicas: 2)
//!   |         -------       ^^^^^^ expected `Int`, found `String`
//!   |         |
//!   |         in this instance of `service`
//!   |
//!   --> lib.plat:1:19
//!   |
//! 1 | component service(port: Int, replicas: Int = 1) {
//!   |                   --------- parameter `port` declared as `Int` here
//!   |
//!   = note: ports are whole numbers from 1 to 65535
//!   = note: strings are never converted to numbers implicitly
//!   = help: remove the quotes: `port: 8080`
//! ```
//!
//! Codespan and termcolor types stay private to this module.

use std::io;
use std::ops::Range;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{self as cs_files, Files};
use codespan_reporting::term::{self, termcolor};
use platc_diag::{Diagnostic, FileId, Label, Severity, SourceFile, SourceMap};

use crate::clamp_offset;

/// Renders `diags` as rustc-style text, each diagnostic followed by a blank
/// line. With `color` false the text contains no ANSI escape at all.
///
/// The [`summary`] line is not included.
pub fn render_human(map: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let mut out = Vec::new();
    write_human(&mut out, map, diags, color).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("rendered diagnostics are UTF-8")
}

/// Writes `diags` as [`render_human`] does, to `out` (for example a locked
/// stderr). With `color` true, styles are written as ANSI escape sequences;
/// deciding whether the terminal wants them is the caller's business.
pub fn write_human(
    out: &mut dyn io::Write,
    map: &SourceMap,
    diags: &[Diagnostic],
    color: bool,
) -> io::Result<()> {
    let config = term::Config {
        chars: term::Chars::ascii(),
        ..term::Config::default()
    };
    // Only the files a diagnostic points into are shown: only those are
    // scanned for hidden characters (a clean check of a large platform
    // scans none).
    let shown: std::collections::HashSet<u32> = diags
        .iter()
        .flat_map(|d| std::iter::once(&d.primary).chain(&d.secondary))
        .map(|l| l.span.file.0)
        .collect();
    let clean: Vec<Option<String>> = (0..map.len())
        .map(|i| {
            let shown = shown.contains(&(i as u32));
            shown
                .then(|| displayable_source(map.get(FileId(i as u32)).text()))
                .flatten()
        })
        .collect();
    let files = MapFiles(map, clean);
    let mut buffer = Vec::new();
    for diag in diags {
        buffer.clear();
        let mut ansi;
        let mut plain;
        let writer: &mut dyn termcolor::WriteColor = if color {
            ansi = termcolor::Ansi::new(&mut buffer);
            &mut ansi
        } else {
            plain = termcolor::NoColor::new(&mut buffer);
            &mut plain
        };
        term::emit(writer, &config, &files, &to_codespan(map, diag)).map_err(|err| match err {
            cs_files::Error::Io(err) => err,
            other => io::Error::other(other.to_string()),
        })?;
        let text = String::from_utf8_lossy(&buffer);
        out.write_all(trim_line_ends(&text).as_bytes())?;
    }
    Ok(())
}

/// Removes whitespace at the end of each line, keeping any escape sequence
/// found among it (codespan pads some lines, e.g. under a label pointer, and
/// trailing spaces are fragile in snapshot files).
fn trim_line_ends(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        // Everything up to the last visible character stays; after it only
        // the escape sequences (`ESC [ ... final byte`) do.
        let mut kept = 0;
        let mut escapes = String::new();
        let mut i = 0;
        while let Some(c) = body[i..].chars().next() {
            if c == '\x1b' {
                let n = escape_len(&body[i..]);
                escapes.push_str(&body[i..i + n]);
                i += n;
                continue;
            }
            if !c.is_whitespace() {
                kept = i + c.len_utf8();
                escapes.clear();
            }
            i += c.len_utf8();
        }
        out.push_str(&cap_width(&body[..kept]));
        out.push_str(&escapes);
        out.push_str(newline);
    }
    out
}

/// The length in bytes of the escape sequence that starts `s` (with ESC):
/// `ESC [ ... final byte` for a control sequence, else the ESC alone.
fn escape_len(s: &str) -> usize {
    if !s[1..].starts_with('[') {
        return 1;
    }
    s[2..]
        .char_indices()
        .find(|&(_, c)| ('@'..='~').contains(&c))
        .map_or(s.len(), |(j, c)| 2 + j + c.len_utf8())
}

/// The most visible characters of a rendered line: a source line of
/// megabytes (one long line of generated code) is shown cut, with `…`, so
/// that a report stays readable and small. The location line above a
/// snippet still gives the exact line and column.
const MAX_LINE_WIDTH: usize = 1000;

/// `line` cut after [`MAX_LINE_WIDTH`] visible characters (escape
/// sequences do not count, and those after the cut are kept, so colours
/// are reset).
fn cap_width(line: &str) -> std::borrow::Cow<'_, str> {
    if line.len() <= MAX_LINE_WIDTH {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(MAX_LINE_WIDTH * 2);
    let mut visible = 0;
    let mut cut = false;
    let mut i = 0;
    while let Some(c) = line[i..].chars().next() {
        if c == '\x1b' {
            let n = escape_len(&line[i..]);
            out.push_str(&line[i..i + n]);
            i += n;
            continue;
        }
        i += c.len_utf8();
        if visible < MAX_LINE_WIDTH {
            out.push(c);
            visible += 1;
        } else if !cut {
            out.push('…');
            cut = true;
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The closing line after all diagnostics, or `None` when there are none:
///
/// * `error: could not compile the platform due to 2 errors; 1 warning emitted`
/// * `error: could not compile the platform due to 1 error`
/// * `warning: 3 warnings emitted`
/// * `note: 1 note emitted`
///
/// Counts after "emitted" list warnings, then notes, leaving out zeros.
pub fn summary(diags: &[Diagnostic]) -> Option<String> {
    let count = |severity| diags.iter().filter(|d| d.severity == severity).count();
    let (errors, warnings, notes) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note),
    );
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut others = Vec::new();
    if warnings > 0 {
        others.push(plural(warnings, "warning"));
    }
    if notes > 0 {
        others.push(plural(notes, "note"));
    }
    let others = others.join(", ");
    Some(if errors > 0 {
        let mut line = format!(
            "error: could not compile the platform due to {}",
            plural(errors, "error")
        );
        if !others.is_empty() {
            line.push_str(&format!("; {others} emitted"));
        }
        line
    } else if warnings > 0 {
        format!("warning: {others} emitted")
    } else if notes > 0 {
        format!("note: {others} emitted")
    } else {
        return None;
    })
}

fn to_codespan(map: &SourceMap, diag: &Diagnostic) -> cs::Diagnostic<FileId> {
    let severity = match diag.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Note => cs::Severity::Note,
    };
    let label = |style, label: &Label| {
        let file = map.get(label.span.file);
        let range = clamp_offset(file, label.span.start)
            ..clamp_offset(file, label.span.end.max(label.span.start));
        cs::Label::new(style, label.span.file, range).with_message(displayable(&label.message))
    };
    let mut labels = vec![label(cs::LabelStyle::Primary, &diag.primary)];
    labels.extend(
        diag.secondary
            .iter()
            .map(|l| label(cs::LabelStyle::Secondary, l)),
    );
    let mut notes: Vec<String> = diag
        .notes
        .iter()
        .map(|n| format!("note: {}", displayable(n)))
        .collect();
    notes.extend(
        diag.help
            .iter()
            .map(|h| format!("help: {}", displayable(h))),
    );
    cs::Diagnostic::new(severity)
        .with_code(diag.code)
        .with_message(displayable(&diag.message))
        .with_labels(labels)
        .with_notes(notes)
}

/// Characters that must not reach a terminal as they are: control
/// characters (an ESC starts an escape sequence), and the invisible and
/// bidirectional ones that make text read other than it is.
fn hidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// A message with every hidden character written as an escape (`\u{202e}`).
fn displayable(text: &str) -> String {
    if !text.chars().any(hidden) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if hidden(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A source text safe to print, with every byte where it was (the labels'
/// offsets stay right): a hidden character becomes a visible one of the
/// same UTF-8 length (`?`, `¿` or `\u{FFFD}`). `None` when nothing is hidden.
fn displayable_source(text: &str) -> Option<String> {
    if !text.chars().any(hidden) {
        return None;
    }
    Some(
        text.chars()
            .map(|c| {
                if !hidden(c) {
                    return c;
                }
                match c.len_utf8() {
                    1 => '?',
                    2 => '\u{BF}',
                    _ => '\u{FFFD}',
                }
            })
            .collect(),
    )
}

/// codespan's view of a [`SourceMap`], with the texts made displayable.
struct MapFiles<'m>(&'m SourceMap, Vec<Option<String>>);

impl MapFiles<'_> {
    fn file(&self, id: FileId) -> Result<&SourceFile, cs_files::Error> {
        if (id.0 as usize) < self.0.len() {
            Ok(self.0.get(id))
        } else {
            Err(cs_files::Error::FileMissing)
        }
    }
}

impl<'a> Files<'a> for MapFiles<'_> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, cs_files::Error> {
        Ok(self.file(id)?.name())
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, cs_files::Error> {
        match self.1.get(id.0 as usize) {
            Some(Some(clean)) => Ok(clean),
            _ => Ok(self.file(id)?.text()),
        }
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, cs_files::Error> {
        Ok(self.file(id)?.line_index(byte_index))
    }

    fn column_number(
        &'a self,
        id: FileId,
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, cs_files::Error> {
        // The same column the JSON renderer reports.
        Ok(self.file(id)?.line_col(byte_index).column)
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<Range<usize>, cs_files::Error> {
        let file = self.file(id)?;
        let starts = file.line_starts();
        // Like codespan's `SimpleFile`: one past the last line is the end of
        // the text, further is an error.
        let start_of = |line: usize| match line.cmp(&starts.len()) {
            std::cmp::Ordering::Less => Ok(starts[line]),
            std::cmp::Ordering::Equal => Ok(file.text().len()),
            std::cmp::Ordering::Greater => Err(cs_files::Error::LineTooLarge {
                given: line,
                max: starts.len() - 1,
            }),
        };
        Ok(start_of(line_index)?..start_of(line_index + 1)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn hidden_characters_never_reach_the_terminal() {
        let mut map = SourceMap::new();
        let text = "x = \"a\u{202E}b\" y = \"\x1b[31mred\u{200B}\"\n";
        let file = map.add("main.plat", text.to_string());
        let start = text.find("\"\x1b").unwrap() as u32;
        let d = Diagnostic::error(
            "E0301",
            "bad \u{202E}message",
            platc_diag::Span::new(file, start, start + 10),
        )
        .with_label("label \x1b[2J")
        .with_help("help \u{2066}");
        let out = render_human(&map, &[d], false);
        assert!(!out.chars().any(hidden), "{out:?}");
        assert!(out.contains("bad \\u{202e}message"), "{out}");
        // The label still points under the string it names.
        let source_line = out.lines().find(|l| l.contains("x = ")).unwrap();
        let caret_line = out.lines().find(|l| l.contains('^')).unwrap();
        let column = |l: &str, c: char| {
            l.char_indices()
                .find(|&(_, x)| x == c)
                .map(|(i, _)| l[..i].chars().count())
        };
        assert_eq!(
            column(source_line, '?'),
            column(caret_line, '^').map(|c| c + 1)
        );
    }

    #[test]
    fn multi_file() {
        let (map, diags) = fixtures::multi_file();
        insta::assert_snapshot!(render_human(&map, &diags, false));
    }

    #[test]
    fn unicode_eof() {
        let (map, diags) = fixtures::unicode_eof();
        insta::assert_snapshot!(render_human(&map, &diags, false));
    }

    #[test]
    fn no_colour_means_no_escapes() {
        for (map, diags) in [fixtures::multi_file(), fixtures::unicode_eof()] {
            assert!(!render_human(&map, &diags, false).contains('\x1b'));
        }
    }

    #[test]
    fn colour_uses_ansi_escapes() {
        let (map, diags) = fixtures::multi_file();
        let coloured = render_human(&map, &diags, true);
        assert!(coloured.contains("\x1b["), "{coloured:?}");
        // Only styling is added: without the escapes the text is the same.
        assert_eq!(strip_ansi(&coloured), render_human(&map, &diags, false));
    }

    #[test]
    fn no_diagnostics_render_nothing() {
        let map = SourceMap::new();
        assert_eq!(render_human(&map, &[], false), "");
        assert_eq!(summary(&[]), None);
    }

    #[test]
    fn summary_counts_each_severity() {
        let (_, diags) = fixtures::multi_file();
        assert_eq!(
            summary(&diags).as_deref(),
            Some("error: could not compile the platform due to 1 error; 1 warning emitted")
        );
        let (_, diags) = fixtures::unicode_eof();
        assert_eq!(
            summary(&diags).as_deref(),
            Some("error: could not compile the platform due to 2 errors")
        );
        let warning = fixtures::multi_file().1.remove(0);
        let note = warning.clone().with_severity(Severity::Note);
        assert_eq!(
            summary(std::slice::from_ref(&warning)).as_deref(),
            Some("warning: 1 warning emitted")
        );
        assert_eq!(
            summary(&[warning.clone(), warning.clone(), note.clone()]).as_deref(),
            Some("warning: 2 warnings, 1 note emitted")
        );
        assert_eq!(
            summary(&[note.clone(), note]).as_deref(),
            Some("note: 2 notes emitted")
        );
    }

    #[test]
    fn out_of_range_spans_are_clamped() {
        let mut map = SourceMap::new();
        let file = map.add("x.plat", "é".to_string());
        // 1 is inside 'é', 99 is past the end.
        let diag = Diagnostic::error("E0101", "bad", platc_diag::Span::new(file, 1, 99));
        let text = render_human(&map, &[diag], false);
        assert!(text.contains("x.plat:1:1"), "{text}");
    }

    #[test]
    fn line_ends_are_trimmed_around_escapes() {
        assert_eq!(trim_line_ends("a  \n  |   \nb"), "a\n  |\nb");
        assert_eq!(
            trim_line_ends("\x1b[1mab \x1b[0m  \n"),
            "\x1b[1mab\x1b[0m\n"
        );
        assert_eq!(
            trim_line_ends("x \x1b[34m y\x1b[0m \n"),
            "x \x1b[34m y\x1b[0m\n"
        );
        assert_eq!(trim_line_ends("   \n\n"), "\n\n");
        assert_eq!(trim_line_ends("日本 é "), "日本 é");
    }

    #[test]
    fn rendered_lines_have_no_trailing_whitespace() {
        for (map, diags) in [fixtures::multi_file(), fixtures::unicode_eof()] {
            for color in [false, true] {
                let text = render_human(&map, &diags, color);
                for line in strip_ansi(&text).lines() {
                    assert_eq!(line, line.trim_end(), "{text}");
                }
            }
        }
    }

    /// Removes `ESC [ ... m` sequences (all termcolor's Ansi writer emits).
    fn strip_ansi(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
