//! What the two front ends share: the lowering of pest pairs (`lower.rs`)
//! and the recursive-descent parser (`descent.rs`) build the same tree and
//! the same diagnostics from the same text, through these functions: spans
//! without trailing trivia, doc comments, escapes, numbers with units,
//! dates, operator folding and the limits on long constructs.

use crate::ast::*;
use platc_diag::{Diagnostic, Span};

/// Most operators in one expression, and most prefix or postfix operators on
/// one operand; beyond them later recursive stages could run out of stack.
pub const MAX_OPERATORS: usize = 256;

/// Whether each byte may be part of a word (`ident_char` of the grammar:
/// an ASCII letter, a digit or `_`): one load per byte, for the scanner and
/// the descent parser, which both walk every word of every file.
const WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    table
};

/// Whether `b` may be part of a word: an ASCII letter, a digit or `_`.
pub(crate) fn is_word_byte(b: u8) -> bool {
    WORD_BYTES[b as usize]
}

/// Where the run of word bytes starting at `i` ends.
pub(crate) fn word_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_word_byte(bytes[i]) {
        i += 1;
    }
    i
}

/// The `///` lines directly above `offset`, joined.
pub(crate) fn doc_before(text: &str, offset: usize) -> Option<String> {
    // The item must start its line (after indentation). Look back only
    // over that indentation: an item in the middle of a long line must
    // not rescan the line (linear time on any layout).
    let bytes = text.as_bytes();
    let mut start = offset.min(bytes.len());
    while start > 0 && matches!(bytes[start - 1], b' ' | b'\t' | b'\r') {
        start -= 1;
    }
    if start == 0 || bytes[start - 1] != b'\n' {
        return None;
    }
    let mut lines: Vec<&str> = Vec::new();
    // Each earlier line is scanned once, by the item that follows it.
    let mut rest = &text[..start - 1];
    loop {
        let (head, line) = match rest.rfind('\n') {
            Some(nl) => (&rest[..nl], &rest[nl + 1..]),
            None => ("", rest),
        };
        let trimmed = line.trim_start();
        match trimmed.strip_prefix("///") {
            Some(doc) if !doc.starts_with('/') => {
                lines.push(doc.strip_prefix(' ').unwrap_or(doc).trim_end());
            }
            _ => break,
        }
        if head.is_empty() && rest.rfind('\n').is_none() {
            break;
        }
        rest = head;
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}

/// A `YYYY-MM-DD` date (its shape checked by the grammar); E0106 when it is
/// no calendar day.
pub(crate) fn date(text: &str, span: Span, diagnostics: &mut Vec<Diagnostic>) -> Date {
    let year: u16 = text[0..4].parse().unwrap_or(0);
    let month: u8 = text[5..7].parse().unwrap_or(0);
    let day: u8 = text[8..10].parse().unwrap_or(0);
    let date = Date { year, month, day };
    if !date.is_calendar_date() {
        let days = date.days_in_month();
        diagnostics.push(
            Diagnostic::error("E0106", format!("`{text}` is not a calendar date"), span)
                .with_label(if days == 0 {
                    "the month must be 01 to 12".to_string()
                } else {
                    format!("this month has {days} days")
                })
                .with_help("write the date as YYYY-MM-DD, e.g. 2027-03-31"),
        );
    }
    date
}

/// A number literal, with its unit if any: an integer, a float or a
/// quantity in base units; E0104 (and an `Invalid` expression) when it is
/// malformed.
pub(crate) fn number(raw: &str, span: Span, diagnostics: &mut Vec<Diagnostic>) -> Expr {
    let split = raw
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    let bad = |diagnostics: &mut Vec<Diagnostic>, msg: String, help: &str| {
        diagnostics.push(
            Diagnostic::error("E0104", msg, span)
                .with_label("malformed literal")
                .with_help(help.to_string()),
        );
        Expr {
            kind: ExprKind::Invalid(raw.to_string()),
            span,
        }
    };
    if unit.is_empty() {
        if digits.contains('.') {
            return match digits.parse::<f64>() {
                Ok(f) if f.is_finite() => Expr {
                    kind: ExprKind::Float(f),
                    span,
                },
                _ => bad(
                    diagnostics,
                    format!("`{raw}` is not a valid number"),
                    "write a decimal number such as 0.5",
                ),
            };
        }
        return match digits.parse::<i64>() {
            Ok(i) => Expr {
                kind: ExprKind::Int(i),
                span,
            },
            Err(_) => bad(
                diagnostics,
                format!("integer `{raw}` does not fit in 64 bits"),
                "integers range from -9223372036854775808 to 9223372036854775807",
            ),
        };
    }
    let Some((kind, factor)) = unit_factor(unit) else {
        let known = "byte units Ki Mi Gi Ti Pi Ei k M G T P E, CPU unit m, durations ms s min h d";
        let number = &raw[..split];
        let fix = unit_suggestion(unit);
        let listed = fix.is_some();
        let help = match fix {
            Some(UnitFix::Bytes(binary, decimal, pow)) => format!(
                "write `{number}{binary}` ({binary}: 1024{pow} bytes, as Kubernetes manifests usually mean) or `{number}{decimal}` ({decimal}: 1000{pow} bytes)"
            ),
            Some(UnitFix::One(u)) => format!("write `{number}{u}`"),
            None => format!("the units are: {known}"),
        };
        let mut d = Diagnostic::error("E0104", format!("unknown unit `{unit}` in `{raw}`"), span)
            .with_label("malformed literal")
            .with_help(help);
        if listed {
            d = d.with_note(format!("the units are: {known}"));
        }
        diagnostics.push(d);
        return Expr {
            kind: ExprKind::Invalid(raw.to_string()),
            span,
        };
    };
    match scale(&digits, factor) {
        Some(amount) => Expr {
            kind: ExprKind::Quantity(Quantity {
                kind,
                amount,
                text: raw.into(),
            }),
            span,
        },
        None => {
            let base = match kind {
                QuantityKind::Bytes => "bytes",
                QuantityKind::Cpu => "millicores",
                QuantityKind::Duration => "milliseconds",
            };
            bad(
                diagnostics,
                format!("`{raw}` is not a whole number of {base} or is too large"),
                "use a smaller unit or fewer decimals",
            )
        }
    }
}

/// What an unknown unit was probably meant to be.
enum UnitFix {
    /// A byte unit: the binary and the decimal spelling (`Gi`, `G`), and
    /// the power of 1024 and 1000 they stand for, as text (`³`).
    Bytes(&'static str, &'static str, &'static str),
    /// One unit.
    One(&'static str),
}

/// The unit the language spells for one it does not know: `GB`, `gb`, `g`
/// are gibibytes or gigabytes, `GiB` and `gi` gibibytes; `sec`, `mins`,
/// `hours`, `S` are durations.
fn unit_suggestion(unit: &str) -> Option<UnitFix> {
    const BYTES: [(&str, &str, &str); 6] = [
        ("Ki", "k", ""),
        ("Mi", "M", "²"),
        ("Gi", "G", "³"),
        ("Ti", "T", "⁴"),
        ("Pi", "P", "⁵"),
        ("Ei", "E", "⁶"),
    ];
    let lower = unit.to_ascii_lowercase();
    let no_b = lower.strip_suffix('b').unwrap_or(&lower);
    let (letter, binary) = match no_b.strip_suffix('i') {
        Some(l) => (l, true),
        None => (no_b, false),
    };
    if let Some((bin, dec, pow)) = BYTES
        .iter()
        .find(|(_, d, _)| d.eq_ignore_ascii_case(letter))
    {
        return Some(if binary {
            UnitFix::One(bin)
        } else {
            UnitFix::Bytes(bin, dec, pow)
        });
    }
    Some(UnitFix::One(match lower.as_str() {
        "ms" | "msec" | "msecs" | "millis" | "millisecond" | "milliseconds" => "ms",
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "min" | "mins" | "minute" | "minutes" => "min",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        "d" | "day" | "days" => "d",
        _ => return None,
    }))
}

pub(crate) fn reduce(out: &mut Vec<Expr>, op: BinaryOp) {
    let rhs = out.pop().unwrap();
    let lhs = out.pop().unwrap();
    let span = lhs.span.to(rhs.span);
    out.push(Expr {
        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
        span,
    });
}

pub(crate) fn unescape(esc: &str) -> Option<char> {
    let rest = &esc[1..];
    match rest {
        "n" => Some('\n'),
        "r" => Some('\r'),
        "t" => Some('\t'),
        "\\" => Some('\\'),
        "\"" => Some('"'),
        "$" => Some('$'),
        _ => {
            let hex = rest.strip_prefix("u{")?.strip_suffix('}')?;
            char::from_u32(u32::from_str_radix(hex, 16).ok()?)
        }
    }
}

/// The kind and base-unit factor of a unit suffix.
fn unit_factor(unit: &str) -> Option<(QuantityKind, u64)> {
    use QuantityKind::*;
    Some(match unit {
        "Ki" => (Bytes, 1 << 10),
        "Mi" => (Bytes, 1 << 20),
        "Gi" => (Bytes, 1 << 30),
        "Ti" => (Bytes, 1 << 40),
        "Pi" => (Bytes, 1 << 50),
        "Ei" => (Bytes, 1 << 60),
        "k" => (Bytes, 1_000),
        "M" => (Bytes, 1_000_000),
        "G" => (Bytes, 1_000_000_000),
        "T" => (Bytes, 1_000_000_000_000),
        "P" => (Bytes, 1_000_000_000_000_000),
        "E" => (Bytes, 1_000_000_000_000_000_000),
        "m" => (Cpu, 1),
        "ms" => (Duration, 1),
        "s" => (Duration, 1_000),
        "min" => (Duration, 60_000),
        "h" => (Duration, 3_600_000),
        "d" => (Duration, 86_400_000),
        _ => return None,
    })
}

/// `digits` (decimal, maybe with a fraction) times `factor`, exactly.
fn scale(digits: &str, factor: u64) -> Option<u64> {
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let whole: u128 = whole.parse().ok()?;
    let mut total = whole.checked_mul(factor as u128)?;
    if !frac.is_empty() {
        if frac.len() > 18 {
            return None;
        }
        let f: u128 = frac.parse().ok()?;
        let denom = 10u128.pow(frac.len() as u32);
        let num = f.checked_mul(factor as u128)?;
        if num % denom != 0 {
            return None;
        }
        total = total.checked_add(num / denom)?;
    }
    u64::try_from(total).ok()
}

/// pest spans of rules that end in an optional or repeated part include the
/// whitespace and comments skipped before it; labels must not.
pub(crate) fn trim_trivia(text: &str, start: usize, mut end: usize) -> usize {
    loop {
        let s = &text[start..end];
        let trimmed = s.trim_end();
        end = start + trimmed.len();
        if trimmed.ends_with("*/") {
            if let Some(open) = trimmed.rfind("/*") {
                end = start + open;
                continue;
            }
        }
        // A line comment on the last line, outside any string.
        let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
        let line = &trimmed[line_start..];
        let mut in_string = false;
        let mut prev = '\0';
        let mut cut = None;
        for (i, c) in line.char_indices() {
            match c {
                '"' if prev != '\\' => in_string = !in_string,
                '/' if !in_string && prev == '/' => {
                    cut = Some(i - 1);
                    break;
                }
                _ => {}
            }
            prev = if prev == '\\' && c == '\\' { '\0' } else { c };
        }
        match cut {
            Some(c) => end = start + line_start + c,
            None => return end,
        }
    }
}

/// E0103: an escape the language does not know, `esc` as written.
pub(crate) fn unknown_escape(esc: &str, span: Span) -> Diagnostic {
    Diagnostic::error("E0103", format!("unknown escape sequence `{esc}`"), span)
        .with_label("not a known escape")
        .with_help(
            "the escapes are \\n \\r \\t \\\\ \\\" \\$ and \\u{HEX}; write `\\\\` for a backslash",
        )
}

/// E0101: a string of an enum type (`"a" | "${x}"`) with an interpolation.
pub(crate) fn interpolated_variant(span: Span) -> Diagnostic {
    Diagnostic::error(
        "E0101",
        "an enum variant cannot contain an interpolation",
        span,
    )
    .with_label("interpolation in a type")
}

/// E0101: something other than a string joined with `|` in a type.
pub(crate) fn not_a_variant(span: Span) -> Diagnostic {
    Diagnostic::error("E0101", "only string literals can be joined with `|`", span)
        .with_label("not a string literal")
        .with_help("an enum type lists its allowed strings: \"a\" | \"b\"; for other alternatives use an interface")
}

/// E0105 for an expression of more than [`MAX_OPERATORS`] operators.
pub(crate) fn too_many_operators(count: usize, span: Span) -> Diagnostic {
    Diagnostic::error(
        "E0105",
        format!("expression has {count} operators; at most {MAX_OPERATORS} are accepted"),
        span,
    )
    .with_label("this expression is too long")
    .with_help("split the expression into named parts")
}

/// E0105 for an operand with more than [`MAX_OPERATORS`] prefix and postfix
/// operators (the value itself counted).
pub(crate) fn too_long_chain(span: Span) -> Diagnostic {
    Diagnostic::error(
        "E0105",
        format!("more than {MAX_OPERATORS} prefix or postfix operators on one value"),
        span,
    )
    .with_label("this chain is too long")
}

/// A values tree is as deep as its longest path: bounded like any other
/// nesting, so that no later stage recurses without limit. Reports (E0105)
/// and cuts a longer path.
pub(crate) fn limit_key_path(path: &mut Vec<KeySegment>, diagnostics: &mut Vec<Diagnostic>) {
    if path.len() > crate::MAX_DEPTH {
        diagnostics.push(
            Diagnostic::error(
                "E0105",
                format!(
                    "key path has {} segments; at most {} are accepted",
                    path.len(),
                    crate::MAX_DEPTH
                ),
                path[crate::MAX_DEPTH].span.to(path[path.len() - 1].span),
            )
            .with_label("these segments are too many")
            .with_help("set a record value at a shorter path instead"),
        );
        path.truncate(crate::MAX_DEPTH);
    }
}

/// `operands` joined by `ops` (one fewer), by precedence: shunting-yard,
/// iterative, left associative.
pub(crate) fn fold_binary(operands: Vec<Expr>, ops: Vec<BinaryOp>) -> Expr {
    let mut out: Vec<Expr> = Vec::with_capacity(operands.len());
    let mut stack: Vec<BinaryOp> = Vec::new();
    let mut operands = operands.into_iter();
    out.extend(operands.next());
    for (op, rhs) in ops.into_iter().zip(operands) {
        while let Some(top) = stack.last() {
            if top.precedence() >= op.precedence() {
                let top = stack.pop().unwrap();
                reduce(&mut out, top);
            } else {
                break;
            }
        }
        stack.push(op);
        out.push(rhs);
    }
    while let Some(top) = stack.pop() {
        reduce(&mut out, top);
    }
    out.pop().unwrap()
}

/// Applies prefix operators (in source order, with the span of each) to
/// their operand, innermost first; a `-` written right before a number
/// literal becomes part of the literal.
pub(crate) fn apply_prefixes(mut e: Expr, prefixes: Vec<(UnaryOp, Span)>) -> Expr {
    for (op, pspan) in prefixes.into_iter().rev() {
        e = match (op, e.kind) {
            (UnaryOp::Neg, ExprKind::Int(i)) if pspan.end == e.span.start => Expr {
                kind: ExprKind::Int(-i),
                span: pspan.to(e.span),
            },
            (UnaryOp::Neg, ExprKind::Float(f)) if pspan.end == e.span.start => Expr {
                kind: ExprKind::Float(-f),
                span: pspan.to(e.span),
            },
            (op, kind) => {
                let inner = Expr { kind, span: e.span };
                Expr {
                    span: pspan.to(inner.span),
                    kind: ExprKind::Unary(op, Box::new(inner)),
                }
            }
        };
    }
    e
}

#[cfg(test)]
mod tests {

    /// The table of word bytes is the grammar's `ident_char`, byte for byte.
    #[test]
    fn word_bytes_are_letters_digits_and_underscore() {
        for b in 0..=255u8 {
            assert_eq!(
                is_word_byte(b),
                b.is_ascii_alphanumeric() || b == b'_',
                "{b}"
            );
        }
        assert_eq!(word_end(b"ab_9 c", 0), 4);
        assert_eq!(word_end(b"ab_9 c", 4), 4);
        assert_eq!(word_end("é_x".as_bytes(), 0), 0);
        assert_eq!(word_end(b"xyz", 1), 3);
    }
    use super::*;

    #[test]
    fn scale_is_exact() {
        assert_eq!(scale("20", 1 << 30), Some(20 << 30));
        assert_eq!(scale("1.5", 1 << 30), Some(3 << 29));
        assert_eq!(scale("0.5", 1), None);
        assert_eq!(scale("99999999999", 1 << 60), None);
    }

    #[test]
    fn unescape_known_escapes() {
        assert_eq!(unescape("\\n"), Some('\n'));
        assert_eq!(unescape("\\u{1F600}"), Some('😀'));
        assert_eq!(unescape("\\q"), None);
        assert_eq!(unescape("\\u{D800}"), None);
    }

    #[test]
    fn unknown_units_get_the_language_spelling() {
        let fix = |u: &str| match unit_suggestion(u) {
            Some(UnitFix::Bytes(binary, decimal, _)) => format!("{binary}|{decimal}"),
            Some(UnitFix::One(u)) => u.to_string(),
            None => "-".to_string(),
        };
        for (given, meant) in [
            ("GB", "Gi|G"),
            ("gb", "Gi|G"),
            ("g", "Gi|G"),
            ("K", "Ki|k"),
            ("MB", "Mi|M"),
            ("gi", "Gi"),
            ("GiB", "Gi"),
            ("TI", "Ti"),
            ("sec", "s"),
            ("S", "s"),
            ("mins", "min"),
            ("hours", "h"),
            ("days", "d"),
            ("msec", "ms"),
            ("x", "-"),
            ("e5", "-"),
        ] {
            assert_eq!(fix(given), meant, "{given}");
        }
    }
}
