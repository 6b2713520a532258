//! A pre-pass over the raw text, before the grammar runs.
//!
//! It finds what a PEG parser reports badly or not at all: strings and block
//! comments that never close (reported at their start, not at end of file),
//! and nesting deeper than the compiler accepts (so that no later recursive
//! stage can overflow its stack). It also yields the top-level chunk starts
//! used to recover after a syntax error.
//!
//! Nesting counts brackets, braces and interpolations, and the `if`s that
//! nest without braces of their own: an `if` in the condition of another
//! (`if if c {..} ..`), and each arm of an `else if` chain, count one level
//! each until the construct ends (the `}` of its last branch), as they nest
//! in the parser. An `if` whose condition has no branch after it
//! (`requires X if c`, a comprehension's filter) ends with that condition.

use crate::common;
use platc_diag::{Diagnostic, FileId, Span};

/// Deepest nesting of brackets, braces and interpolations accepted.
pub const MAX_DEPTH: usize = 64;

pub struct ScanResult {
    pub diagnostics: Vec<Diagnostic>,
    /// Byte offsets of lines that start (at column 0, outside any bracket,
    /// string or comment) with a letter: candidate starts of top-level items.
    pub item_starts: Vec<usize>,
}

/// Where an `if` construct is: in its condition, in a branch, or between a
/// branch and the `else` that follows it.
#[derive(Clone, Copy, PartialEq)]
enum IfState {
    Cond,
    Body,
    Else,
}

#[derive(Clone, Copy)]
struct IfMark {
    /// The bracket depth the `if` is written at.
    depth: usize,
    state: IfState,
}

#[derive(Clone, Copy)]
enum Open {
    Bracket,
    /// `<` of `list<` or `map<`: type arguments nest like brackets.
    Angle,
    /// `${` inside a string: closing `}` returns into the string.
    Interp,
}

pub fn scan(file: FileId, text: &str) -> ScanResult {
    if let Some(plain) = scan_plain(file, text) {
        return plain;
    }
    scan_full(file, text)
}

/// The scan of any text, `if`s and type arguments included.
fn scan_full(file: FileId, text: &str) -> ScanResult {
    let bytes = text.as_bytes();
    let mut diagnostics = Vec::new();
    let mut item_starts = Vec::new();
    let mut stack: Vec<(Open, usize)> = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    // Inside a string literal: its start offset.
    let mut in_string: Option<usize> = None;
    let mut ifs: Vec<IfMark> = Vec::new();
    // The last token ends an operand (a `{` after it opens an `if`'s branch,
    // not a record), and the last token was the word `else`.
    let mut after_operand = false;
    let mut after_else = false;
    // The last token was the word `list` or `map`.
    let mut after_type_word = false;
    // The first bracket closed by a `}`, `]` or `)` that starts its line
    // further left than the line the bracket was opened on: when the file
    // ends with a bracket open, it is the one that was left open (the
    // closing bracket belonged to an outer one).
    let mut misclosed: Option<usize> = None;
    let span = |s: usize, e: usize| Span::new(file, s as u32, e as u32);

    while i < bytes.len() {
        let b = bytes[i];
        if let Some(start) = in_string {
            match b {
                b'"' => {
                    in_string = None;
                    after_operand = true;
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
                    if stack.len() + open_ifs(&ifs) >= MAX_DEPTH {
                        diagnostics.push(too_deep(span(i, i + 2)));
                        return ScanResult {
                            diagnostics,
                            item_starts,
                        };
                    }
                    stack.push((Open::Interp, start));
                    in_string = None;
                    after_operand = false;
                    after_else = false;
                    i += 2;
                }
                // Plain text, up to the next byte that matters here.
                _ => i = string_run_end(bytes, i + 1),
            }
            continue;
        }
        if line_start && stack.is_empty() && (b.is_ascii_alphabetic() || b == b'_') {
            item_starts.push(i);
        }
        line_start = false;
        if common::is_word_byte(b) {
            let start = i;
            i = common::word_end(bytes, i);
            let word = &text[start..i];
            after_type_word = word == "list" || word == "map";
            match word {
                "if" => {
                    if stack.len() + open_ifs(&ifs) >= MAX_DEPTH {
                        diagnostics.push(too_deep(span(start, i)));
                        return ScanResult {
                            diagnostics,
                            item_starts,
                        };
                    }
                    ifs.push(IfMark {
                        depth: stack.len(),
                        state: IfState::Cond,
                    });
                    after_operand = false;
                    after_else = false;
                }
                "else" => {
                    after_operand = false;
                    after_else = true;
                }
                "in" | "for" | "where" | "fail" | "help" | "message" | "matches" => {
                    after_operand = false;
                    after_else = false;
                }
                _ => {
                    // A word right after an operand starts something new:
                    // an `if` still in its condition here had no braces
                    // (`requires X if c` followed by the next member).
                    if after_operand {
                        if let Some(top) = ifs.last() {
                            if top.depth == stack.len() && top.state == IfState::Cond {
                                ifs.pop();
                            }
                        }
                    }
                    after_operand = true;
                    after_else = false;
                }
            }
            continue;
        }
        match b {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b'/' if matches!(bytes.get(i + 1), Some(b'/' | b'*')) => {
                i = comment_end(text, i, file, &mut diagnostics);
            }
            b'"' => {
                in_string = Some(i);
                i += 1;
            }
            // Blanks change no state: the whole run at once.
            b' ' | b'\t' | b'\r' => {
                i += 1;
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r') {
                    i += 1;
                }
            }
            b'<' if after_type_word => {
                if stack.len() + open_ifs(&ifs) >= MAX_DEPTH {
                    diagnostics.push(too_deep(span(i, i + 1)));
                    return ScanResult {
                        diagnostics,
                        item_starts,
                    };
                }
                stack.push((Open::Angle, i));
                after_type_word = false;
                after_operand = false;
                after_else = false;
                i += 1;
            }
            b'>' if matches!(stack.last(), Some((Open::Angle, _))) => {
                stack.pop();
                after_operand = true;
                after_else = false;
                i += 1;
            }
            b'(' | b'[' | b'{' => {
                if b == b'{' {
                    // The brace of a branch of the innermost `if` here.
                    if let Some(top) = ifs.last_mut() {
                        if top.depth == stack.len()
                            && ((top.state == IfState::Cond && after_operand)
                                || (top.state == IfState::Else && after_else))
                        {
                            top.state = IfState::Body;
                        }
                    }
                }
                after_operand = false;
                after_else = false;
                if stack.len() + open_ifs(&ifs) >= MAX_DEPTH {
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
                // A `<` after `list` or `map` that was a comparison, not a
                // type, never closed: it ends with the bracket around it.
                while matches!(stack.last(), Some((Open::Angle, _))) {
                    stack.pop();
                }
                match stack.last() {
                    Some((Open::Interp, string_start)) if b == b'}' => {
                        in_string = Some(*string_start);
                        stack.pop();
                    }
                    Some((Open::Bracket, open)) => {
                        // Mismatched kinds are the grammar's to report.
                        let open = *open;
                        if misclosed.is_none()
                            && starts_line(bytes, i)
                            && indent(bytes, i) < indent(bytes, open)
                        {
                            misclosed = Some(open);
                        }
                        stack.pop();
                    }
                    _ => {}
                }
                i += 1;
                after_operand = true;
                after_else = false;
                // The `if`s inside the closed bracket have ended.
                let depth = stack.len();
                while ifs.last().is_some_and(|m| m.depth > depth) {
                    ifs.pop();
                }
                // A branch closed: the construct goes on with `else`, or
                // ends, and with it the chain of `else if`s it ends.
                if b == b'}' && in_string.is_none() {
                    if let Some(top) = ifs.last_mut() {
                        if top.depth == depth && top.state == IfState::Body {
                            if next_word_is_else(bytes, i) {
                                top.state = IfState::Else;
                            } else {
                                ifs.pop();
                                while ifs
                                    .last()
                                    .is_some_and(|m| m.depth == depth && m.state == IfState::Else)
                                {
                                    ifs.pop();
                                }
                            }
                        }
                    }
                }
            }
            _ => {
                after_operand = false;
                after_else = false;
                after_type_word = false;
                i += 1;
            }
        }
    }
    finish(
        file,
        text,
        &stack,
        in_string,
        misclosed,
        diagnostics,
        item_starts,
    )
}

/// What the scan reports once the text is read: a string, bracket or
/// interpolation still open.
fn finish(
    file: FileId,
    text: &str,
    stack: &[(Open, usize)],
    in_string: Option<usize>,
    misclosed: Option<usize>,
    mut diagnostics: Vec<Diagnostic>,
    item_starts: Vec<usize>,
) -> ScanResult {
    let span = |s: usize, e: usize| Span::new(file, s as u32, e as u32);
    if let Some(start) = in_string {
        diagnostics.push(unterminated_string(span(start, text.len())));
    }
    let interp_open = stack.iter().any(|(o, _)| matches!(o, Open::Interp));
    let innermost = stack
        .iter()
        .rev()
        .find(|(o, _)| matches!(o, Open::Bracket))
        .map(|(_, s)| *s);
    if let (Some(innermost), false, true) = (innermost, interp_open, diagnostics.is_empty()) {
        // Reported here, at the bracket, rather than by the grammar at the
        // first item after it (which it would take for the bracket's
        // contents) or at the end of the file.
        diagnostics.push(unclosed(text, misclosed.unwrap_or(innermost), file));
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

/// Bytes [`scan_plain`] passes over outside strings: none of them changes
/// its state. The others are line ends, `/` (a comment may start), `"`,
/// brackets, `<` (a type argument may open: the plain scan gives up) and
/// `i` (an `if` may start: the same).
const PLAIN_SKIP: [bool; 256] = {
    let mut table = [true; 256];
    let stops = b"\n/\"()[]{}<i";
    let mut k = 0;
    while k < stops.len() {
        table[stops[k] as usize] = false;
        k += 1;
    }
    table
};

/// Where the run of [`PLAIN_SKIP`] bytes from `i` ends: eight bytes at a
/// time while all eight are passed over (one test for the eight), then
/// byte by byte.
fn plain_run_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        // `&`, not `&&`: eight loads and one branch.
        if !chunk
            .iter()
            .fold(true, |all, &b| all & PLAIN_SKIP[b as usize])
        {
            break;
        }
        i += 8;
    }
    while i < bytes.len() && PLAIN_SKIP[bytes[i] as usize] {
        i += 1;
    }
    i
}

/// [`scan`] for text without an `if` or a `<` outside strings and comments
/// (most files: instances and their attributes), `None` as soon as it
/// meets one. Without them no `if` is ever open and no type argument
/// either, so the words and the other tokens change nothing the scan
/// reports: what is left is strings, comments, brackets, interpolations
/// and line starts, and the bytes between them are passed over a run at a
/// time. Its result is the one of the full scan (tested below).
fn scan_plain(file: FileId, text: &str) -> Option<ScanResult> {
    let bytes = text.as_bytes();
    let mut diagnostics = Vec::new();
    let mut item_starts = Vec::new();
    let mut stack: Vec<(Open, usize)> = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    let mut in_string: Option<usize> = None;
    let mut misclosed: Option<usize> = None;
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
                        return Some(ScanResult {
                            diagnostics,
                            item_starts,
                        });
                    }
                    stack.push((Open::Interp, start));
                    in_string = None;
                    i += 2;
                }
                _ => i = string_run_end(bytes, i + 1),
            }
            continue;
        }
        if line_start {
            line_start = false;
            if stack.is_empty() && (b.is_ascii_alphabetic() || b == b'_') {
                item_starts.push(i);
            }
        }
        match b {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b'/' if matches!(bytes.get(i + 1), Some(b'/' | b'*')) => {
                i = comment_end(text, i, file, &mut diagnostics);
            }
            b'"' => {
                in_string = Some(i);
                i += 1;
            }
            b'<' => return None,
            b'i' => {
                // A word starting here (the byte before is no word byte:
                // runs are passed over from a stop, and a stop ends none).
                let starts_word = i == 0 || !common::is_word_byte(bytes[i - 1]);
                let end = common::word_end(bytes, i);
                if starts_word && end == i + 2 && bytes[i + 1] == b'f' {
                    return None;
                }
                i = end;
            }
            b'(' | b'[' | b'{' => {
                if stack.len() >= MAX_DEPTH {
                    diagnostics.push(too_deep(span(i, i + 1)));
                    return Some(ScanResult {
                        diagnostics,
                        item_starts,
                    });
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
                    Some((Open::Bracket, open)) => {
                        let open = *open;
                        if misclosed.is_none()
                            && starts_line(bytes, i)
                            && indent(bytes, i) < indent(bytes, open)
                        {
                            misclosed = Some(open);
                        }
                        stack.pop();
                    }
                    _ => {}
                }
                i += 1;
            }
            _ => i = plain_run_end(bytes, i + 1),
        }
    }
    Some(finish(
        file,
        text,
        &stack,
        in_string,
        misclosed,
        diagnostics,
        item_starts,
    ))
}

/// Where the plain text of a string literal that goes on at `i` ends: at
/// the next quote, backslash, line end or `$` (which may open an
/// interpolation), each of which the scan looks at on its own.
/// Where the comment that starts at `i` (`//` or `/*`) ends: the end of
/// its line, or past its `*/`. A block comment never closed runs to the
/// end of the text, and is reported (E0102).
fn comment_end(text: &str, i: usize, file: FileId, diagnostics: &mut Vec<Diagnostic>) -> usize {
    if text.as_bytes()[i + 1] == b'/' {
        return text[i..].find('\n').map_or(text.len(), |n| i + n);
    }
    match text[i + 2..].find("*/") {
        Some(end) => i + 2 + end + 2,
        None => {
            diagnostics.push(
                Diagnostic::error(
                    "E0102",
                    "block comment is never closed",
                    Span::new(file, i as u32, i as u32 + 2),
                )
                .with_label("this comment starts here")
                .with_help("close the comment with `*/`"),
            );
            text.len()
        }
    }
}

fn string_run_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && !matches!(bytes[i], b'"' | b'\\' | b'\n' | b'$') {
        i += 1;
    }
    i
}

/// The `if`s that nest without a brace of their own open: in their
/// condition, or waiting for the next arm of their chain. (One in a branch
/// is counted by the branch's brace.)
fn open_ifs(ifs: &[IfMark]) -> usize {
    ifs.iter().filter(|m| m.state != IfState::Body).count()
}

/// Whether the next word after `i` (past white space and comments) is `else`.
fn next_word_is_else(bytes: &[u8], mut i: usize) -> bool {
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes[i..].starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if bytes[i..].starts_with(b"/*") {
            match bytes[i + 2..].windows(2).position(|w| w == b"*/") {
                Some(end) => i += 2 + end + 2,
                None => return false,
            }
        } else {
            break;
        }
    }
    bytes[i..].starts_with(b"else")
        && !bytes
            .get(i + 4)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Whether only blanks precede offset `i` on its line.
fn starts_line(bytes: &[u8], i: usize) -> bool {
    bytes[..i]
        .iter()
        .rev()
        .take_while(|b| **b != b'\n')
        .all(|b| *b == b' ' || *b == b'\t')
}

/// The indentation (leading blanks) of the line holding offset `i`.
fn indent(bytes: &[u8], i: usize) -> usize {
    let start = bytes[..i]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    bytes[start..]
        .iter()
        .take_while(|b| **b == b' ' || **b == b'\t')
        .count()
}

/// A `{`, `[` or `(` at offset `at` that is never closed.
fn unclosed(text: &str, at: usize, file: FileId) -> Diagnostic {
    let open = &text[at..at + 1];
    let close = match open {
        "{" => "}",
        "[" => "]",
        _ => ")",
    };
    // The line that opens it, for the help: `postgres metadb {`.
    let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
    let opener = text[line_start..=at].trim();
    Diagnostic::error(
        "E0101",
        format!("this `{open}` is never closed"),
        Span::new(file, at as u32, at as u32 + 1),
    )
    .with_label(format!(
        "`{open}` opened here, without a matching `{close}`"
    ))
    .with_help(format!("add `{close}` where the block of `{opener}` ends"))
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

    /// A string's plain run stops at the first byte the scan must look at,
    /// as stepping one byte at a time does.
    #[test]
    fn string_runs_stop_where_bytes_matter() {
        let text = "ab c\té ${x} \\\" q\"\nz$";
        let b = text.as_bytes();
        for i in 0..=b.len() {
            let mut j = i;
            while j < b.len() && !b"\"\\\n$".contains(&b[j]) {
                j += 1;
            }
            assert_eq!(string_run_end(b, i), j, "from {i}");
        }
    }

    fn same_result(a: &ScanResult, b: &ScanResult) -> bool {
        a.item_starts == b.item_starts
            && format!("{:?}", a.diagnostics) == format!("{:?}", b.diagnostics)
    }

    /// A run passed over ends at the first stop byte, as a byte loop finds.
    #[test]
    fn plain_runs_end_at_the_first_stop() {
        let text = "  namespace = \"t0\"\n  a_b = x.y  // c\n  q = f(1, [2]) {} < i é";
        let b = text.as_bytes();
        for i in 0..=b.len() {
            let mut j = i;
            while j < b.len() && PLAIN_SKIP[b[j] as usize] {
                j += 1;
            }
            assert_eq!(plain_run_end(b, i), j, "from {i}");
        }
    }

    /// Where the plain scan answers, it answers as the full scan does; it
    /// gives up on every text with an `if` or a `<` outside strings.
    #[test]
    fn the_plain_scan_is_the_full_scan() {
        const TOKENS: [&str; 34] = [
            "a", "if", "iff", "xif", "i", "f", "else", "list", "<", ">", " ", "\t", "\n", "\n",
            "\"", "\"", "\\", "${", "$", "{", "}", "(", ")", "[", "]", "/", "//", "/*", "*/", "=",
            "1", "é", "_x", "\n  }",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut answered = 0;
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let text: String = (0..len)
                .map(|_| TOKENS[(next() % TOKENS.len() as u64) as usize])
                .collect();
            let full = scan_full(FileId(0), &text);
            if let Some(plain) = scan_plain(FileId(0), &text) {
                answered += 1;
                assert!(same_result(&plain, &full), "{text:?}");
            }
        }
        assert!(answered > 2_000, "{answered}");
        for (text, plain) in [
            ("a { b = if c { 1 } else { 2 } }", false),
            ("a { b = x if c }", false),
            ("/* x */if", false),
            ("\"s\"if", false),
            ("c { p: list<int> }", false),
            ("a { b = \"if <\" }", true),
            ("// if <\na {}", true),
            ("iff = 1 xif = 2 if_ = 3 i = f", true),
        ] {
            assert_eq!(scan_plain(FileId(0), text).is_some(), plain, "{text}");
        }
        // Deep nesting, and the repository's files (which have `if`s).
        for text in [
            "[".repeat(100),
            "\"${".repeat(100),
            "a {\n  b = \"${x}\"\n".into(),
        ] {
            let plain = scan_plain(FileId(0), &text).expect("plain");
            assert!(
                same_result(&plain, &scan_full(FileId(0), &text)),
                "{text:?}"
            );
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut dirs = vec![
            root.join("stdlib"),
            root.join("examples"),
            root.join("tests"),
        ];
        let (mut files, mut plain_files) = (0, 0);
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "plat") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    files += 1;
                    if let Some(plain) = scan_plain(FileId(0), &text) {
                        plain_files += 1;
                        let full = scan_full(FileId(0), &text);
                        assert!(same_result(&plain, &full), "{}", path.display());
                    }
                }
            }
        }
        assert!(files > 0 && plain_files > 0, "{files} {plain_files}");
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

    /// The span of the one diagnostic reported, as text.
    fn blamed(text: &str) -> &str {
        let r = scan(FileId(0), text);
        assert_eq!(r.diagnostics.len(), 1, "{text}");
        let sp = r.diagnostics[0].primary.span;
        &text[sp.start as usize..]
    }

    #[test]
    fn an_unclosed_bracket_is_reported_where_it_opens() {
        // The innermost bracket still open at the end of the file.
        let text = "a {
  x = 1

b {
  y = [1
}
";
        assert!(blamed(text).starts_with("[1"));
        // A later item closed its own brace: the first one is blamed.
        let text = "a {
  x = 1

b {
  y = 2
}
";
        assert!(blamed(text).starts_with(
            "{
  x"
        ));
        // A `}` less indented than the line of the brace it closes
        // belonged to an outer brace: the inner one was left open.
        let text = "a {
  e w {
    h = 1
}
b {}
";
        assert!(blamed(text).starts_with(
            "{
    h"
        ));
        assert!(codes("a { b = [1, (2)] }").is_empty());
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

    fn nested_ifs(n: usize) -> String {
        format!(
            "component c {{ let v = {}true{} }}",
            "if ".repeat(n),
            " { true } else { false }".repeat(n)
        )
    }

    fn chain(n: usize) -> String {
        let arms: String = (0..n)
            .map(|i| format!("if k == {i} {{ {i} }} else "))
            .collect();
        format!("component c {{ let v = {arms}{{ -1 }} }}")
    }

    #[test]
    fn ifs_nest_like_brackets() {
        // The component's braces are one level; the innermost `if` has its
        // branch open, which counts instead of it.
        assert!(codes(&nested_ifs(MAX_DEPTH - 1)).is_empty());
        assert_eq!(codes(&nested_ifs(MAX_DEPTH)), ["E0105"]);
        assert!(codes(&chain(MAX_DEPTH - 1)).is_empty());
        assert_eq!(codes(&chain(MAX_DEPTH)), ["E0105"]);
        assert_eq!(codes(&chain(100_000)), ["E0105"]);
    }

    #[test]
    fn ifs_one_after_another_do_not_nest() {
        let stmts: String = (0..1000)
            .map(|i| format!("if a == {i} {{ x{i} = 1 }} else if b {{ y{i} = 2 }}\n"))
            .collect();
        assert!(codes(&format!("component c {{ values {{ {stmts} }} }}")).is_empty());
        // `requires ... if` has no braces: it ends with its component.
        let members: String = (0..100).map(|i| format!("requires I{i} if c\n")).collect();
        let comps = format!("component a {{ {members} }}\n").repeat(3);
        assert!(codes(&comps).is_empty());
    }

    #[test]
    fn records_in_conditions_do_not_end_the_if() {
        // `{}` inside a condition is a record, not the branch: still nested.
        let text = format!(
            "component c {{ let v = {}true{} }}",
            "if {} == ".repeat(100),
            " { 1 } else { 2 }".repeat(100)
        );
        assert_eq!(codes(&text), ["E0105"]);
    }

    #[test]
    fn type_arguments_nest_like_brackets() {
        let nested = |n: usize| {
            format!(
                "component c {{ param p: {}int{} }}",
                "list<\n".repeat(n),
                ">".repeat(n)
            )
        };
        assert!(codes(&nested(MAX_DEPTH - 1)).is_empty());
        assert_eq!(codes(&nested(MAX_DEPTH)), ["E0105"]);
        assert_eq!(codes(&nested(400_000)), ["E0105"]);
        // A param called `list` compared with `<` is no type argument.
        let text =
            "component c { param list: int = 1 values { a = if list < 2 { 1 } else { 2 } } }";
        assert!(codes(&text.repeat(100)).is_empty());
    }
}
