//! The syntax of the platform language: a pest grammar (`plat.pest`), the
//! typed AST ([`ast`]) with byte spans on every node, and the lowering from
//! one to the other.
//!
//! Two front ends build the same tree: a hand-written recursive-descent
//! parser (`descent.rs`), fast, for text the grammar accepts, and pest with
//! the lowering, the definition of the language and the path that reports
//! syntax errors, taken whenever the first gives up. What they share (spans,
//! literals, the lowering's diagnostics) is in `common.rs`.
//!
//! Architecture invariant: this crate depends only on `platc-diag`. Parsing
//! never fails: [`parse`] returns a module (possibly partial) and the
//! diagnostics found. pest's types never leave the crate.

pub mod ast;
mod common;
mod descent;
pub mod fmt;
mod lower;
mod scan;

use pest::Parser as _;
use pest_derive::Parser;
use platc_diag::{Diagnostic, FileId, Span};

pub use common::MAX_OPERATORS;
pub use scan::MAX_DEPTH;

/// Largest source file accepted, in bytes.
pub const MAX_FILE_SIZE: usize = 8 * 1024 * 1024;

/// The grammar source, for tests that keep the spec in step with it.
pub const GRAMMAR: &str = include_str!("plat.pest");

#[derive(Parser)]
#[grammar = "plat.pest"]
struct PlatParser;

#[doc(hidden)]
pub use Rule as GrammarRule;

/// Whether a diagnostic of [`parse`] left the syntax tree whole, so that the
/// rest of the file can still be checked and its errors reported: a
/// malformed number or quantity (E0104) is lowered to
/// [`ast::ExprKind::Invalid`], which checking accepts as any type; a string
/// with an unknown escape (E0103) keeps the rest of its text; a date that is
/// no day (E0106) is never judged for expiry.
pub fn leaves_tree_whole(d: &Diagnostic) -> bool {
    // A malformed number (an `Invalid` expression, accepted as any type), an
    // unknown escape (the string keeps the rest of its text) and a date that
    // is not a day (a waiver's expiry, judged only when it is one).
    matches!(d.code, "E0103" | "E0104" | "E0106")
}

/// Parses one file. Never fails and never panics: on a syntax error the
/// module holds every item that parsed and the diagnostics say what did not.
pub fn parse(file: FileId, text: &str) -> (ast::Module, Vec<Diagnostic>) {
    if let Some(refused) = refuse(file, text) {
        return refused;
    }
    // The fast path for text the grammar accepts; pest decides the rest,
    // and reports the syntax errors.
    if let Some((parsed, depth)) = descent::parse_measured(file, text, text.len() / ITEM_BYTES) {
        if depth <= SHALLOW {
            return parsed;
        }
        let scan = scan::scan(file, text);
        if !scan.diagnostics.is_empty() {
            return (ast::Module::default(), scan.diagnostics);
        }
        return parsed;
    }
    let scan = scan::scan(file, text);
    if !scan.diagnostics.is_empty() {
        return (ast::Module::default(), scan.diagnostics);
    }
    parse_pest(file, text, &scan.item_starts)
}

/// Bytes per item the module's list is first made with room for (the teams'
/// files of instances and secrets take about 110): the list is shrunk to
/// its items afterwards, in place when it was at most twice too long.
const ITEM_BYTES: usize = 96;

/// Nesting of the descent parser (its depth of expressions, types and
/// `else if` chains) shallow enough that the scan cannot find text it took
/// nested too deeply, so that the scan is not run on it.
///
/// The scan reports strings, comments and brackets left open, and nesting
/// deeper than [`MAX_DEPTH`]. Text the descent parser takes is text pest
/// accepts (tests/descent.rs), so nothing is left open in it: only the
/// nesting could be reported. The scan counts brackets, interpolations,
/// type arguments and open `if`s; the descent parser enters a level for
/// each expression, type and `if` expression. Every bracket the scan
/// counts opens either an item's or a member's block (two levels at most),
/// or holds no expression or type (one more at most: `[]`, a constraint's
/// bounds), or holds an expression or a type the parser enters; and an
/// `if` the scan counts apart from its braces (in its condition, a
/// comprehension's filter while the body is read, an arm of an `else if`
/// chain) comes with a level of the parser of its own, or shares one with
/// one bracket. So the scan's depth is at most twice the parser's plus
/// three: at 16, 35, well below [`MAX_DEPTH`] (64). Deeper text is scanned
/// as before. tests/descent.rs compares [`parse`] with
/// [`parse_with_pest`] (which always scans first) on the repository, the
/// fuzz corpus, mutations and generated programs.
const SHALLOW: usize = 16;

/// A file too large or starting with a byte order mark: refused whole.
fn refuse(file: FileId, text: &str) -> Option<(ast::Module, Vec<Diagnostic>)> {
    if text.len() > MAX_FILE_SIZE {
        let d = Diagnostic::error(
            "E0107",
            format!("file is larger than {MAX_FILE_SIZE} bytes, the most accepted"),
            Span::new(file, 0, 0),
        )
        .with_label("this file is too large")
        .with_help("split the platform into several files joined by `import`");
        return Some((ast::Module::default(), vec![d]));
    }
    if text.starts_with('\u{feff}') {
        let d = Diagnostic::error(
            "E0101",
            "the file starts with a byte order mark",
            Span::new(file, 0, 3),
        )
        .with_label("invisible U+FEFF character")
        .with_help("save the file as UTF-8 without a byte order mark");
        return Some((ast::Module::default(), vec![d]));
    }
    None
}

/// [`parse`] without the recursive-descent parser: pest and the lowering
/// only, as `parse` was before it. For the tests and the benchmark that
/// compare both.
#[doc(hidden)]
pub fn parse_with_pest(file: FileId, text: &str) -> (ast::Module, Vec<Diagnostic>) {
    if let Some(refused) = refuse(file, text) {
        return refused;
    }
    let scan = scan::scan(file, text);
    if !scan.diagnostics.is_empty() {
        return (ast::Module::default(), scan.diagnostics);
    }
    parse_pest(file, text, &scan.item_starts)
}

/// The recursive-descent parser alone, on any text (no size, byte order
/// mark or nesting checks first): `None` when it gives up. When it returns
/// a module, [`parse_pest_only`] returns the same.
#[doc(hidden)]
pub fn parse_descent(file: FileId, text: &str) -> Option<(ast::Module, Vec<Diagnostic>)> {
    descent::parse(file, text, 0)
}

/// pest and the lowering alone, on any text: `None` when the grammar
/// rejects it.
#[doc(hidden)]
pub fn parse_pest_only(file: FileId, text: &str) -> Option<(ast::Module, Vec<Diagnostic>)> {
    let mut pairs = PlatParser::parse(Rule::file, text).ok()?;
    let mut lowerer = lower::Lowerer::new(file, text);
    let module = lowerer.module(pairs.next().expect("file rule"));
    Some((module, lowerer.diagnostics))
}

/// pest on the whole file, then item by item after a syntax error.
fn parse_pest(file: FileId, text: &str, item_starts: &[usize]) -> (ast::Module, Vec<Diagnostic>) {
    parse_pest_only(file, text).unwrap_or_else(|| parse_chunks(file, text, item_starts))
}

/// Recovery: parses each top-level chunk on its own, so that one run reports
/// the syntax errors of every broken item, not only the first.
fn parse_chunks(file: FileId, text: &str, starts: &[usize]) -> (ast::Module, Vec<Diagnostic>) {
    // Tracking parse attempts makes pest's errors precise (which tokens were
    // expected) but slows every parse, so it is switched on at the first
    // error only. It stays on: turning it off could race with another
    // thread's error report and make messages depend on timing.
    pest::set_error_detail(true);
    let mut bounds: Vec<usize> = starts.to_vec();
    if bounds.first() != Some(&0) {
        bounds.insert(0, 0);
    }
    bounds.push(text.len());
    let mut module = ast::Module::default();
    let mut diagnostics = Vec::new();
    let mut lowerer = lower::Lowerer::new(file, text);
    for w in bounds.windows(2) {
        let (start, end) = (w[0], w[1]);
        let chunk = &text[start..end];
        match PlatParser::parse(Rule::file, chunk) {
            Ok(mut pairs) => {
                lowerer.offset = start;
                let file_pair = pairs.next().expect("file rule");
                for pair in file_pair.into_inner() {
                    if pair.as_rule() != Rule::EOI {
                        module.items.push(lowerer.item(pair));
                    }
                }
            }
            Err(e) => diagnostics.push(syntax_error(file, chunk, start, &e)),
        }
    }
    diagnostics.extend(lowerer.diagnostics);
    (module, diagnostics)
}

/// Keyword tokens: atomic in the grammar so that a keyword must end at a
/// word boundary, and skipped by the lowering.
pub(crate) fn is_keyword_token(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_platform
            | Rule::kw_import
            | Rule::kw_as
            | Rule::kw_component
            | Rule::kw_interface
            | Rule::kw_param
            | Rule::kw_secret
            | Rule::kw_environment
            | Rule::kw_policy
            | Rule::kw_allow
            | Rule::kw_expose
            | Rule::kw_provides
            | Rule::kw_requires
            | Rule::kw_chart
            | Rule::kw_version
            | Rule::kw_from
            | Rule::kw_values
            | Rule::kw_if
            | Rule::kw_else
            | Rule::kw_for
            | Rule::kw_in
            | Rule::kw_where
            | Rule::kw_fail
            | Rule::kw_help
            | Rule::kw_severity
            | Rule::kw_code
            | Rule::kw_reason
            | Rule::kw_until
            | Rule::kw_matches
            | Rule::kw_let
            | Rule::kw_assert
            | Rule::kw_message
            | Rule::kw_resource
            | Rule::kw_cluster
            | Rule::kw_route
            | Rule::kw_network
    )
}

/// The keyword a `kw_*` rule matches.
fn keyword_text(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::kw_platform => "platform",
        Rule::kw_import => "import",
        Rule::kw_as => "as",
        Rule::kw_component => "component",
        Rule::kw_interface => "interface",
        Rule::kw_param => "param",
        Rule::kw_secret => "secret",
        Rule::kw_environment => "environment",
        Rule::kw_policy => "policy",
        Rule::kw_allow => "allow",
        Rule::kw_expose => "expose",
        Rule::kw_provides => "provides",
        Rule::kw_requires => "requires",
        Rule::kw_chart => "chart",
        Rule::kw_version => "version",
        Rule::kw_from => "from",
        Rule::kw_values => "values",
        Rule::kw_if => "if",
        Rule::kw_else => "else",
        Rule::kw_for => "for",
        Rule::kw_in => "in",
        Rule::kw_where => "where",
        Rule::kw_fail => "fail",
        Rule::kw_help => "help",
        Rule::kw_severity => "severity",
        Rule::kw_code => "code",
        Rule::kw_reason => "reason",
        Rule::kw_until => "until",
        Rule::kw_matches => "matches",
        Rule::kw_let => "let",
        Rule::kw_assert => "assert",
        Rule::kw_message => "message",
        Rule::kw_resource => "resource",
        Rule::kw_cluster => "cluster",
        Rule::kw_route => "route",
        Rule::kw_network => "network",
        _ => return None,
    })
}

/// Converts pest's error into a diagnostic that says what was expected and
/// what was found, at the exact position.
fn syntax_error(
    file: FileId,
    chunk: &str,
    offset: usize,
    err: &pest::error::Error<Rule>,
) -> Diagnostic {
    let pos = match (err.parse_attempts(), &err.location) {
        (Some(a), _) => a.max_position,
        (None, pest::error::InputLocation::Pos(p)) => *p,
        (None, pest::error::InputLocation::Span((s, _))) => *s,
    };
    let found = describe_found(chunk, pos);
    let mut expected: Vec<String> = Vec::new();
    if let Some(attempts) = err.parse_attempts() {
        for token in attempts.expected_tokens() {
            let token = token.to_string();
            let is_range = token.chars().count() == 4 && token.get(1..3) == Some("..");
            if is_range
                || token == "BUILTIN_RULE"
                || token == "_"
                || token.trim().is_empty()
                || token == "//"
                || token == "/*"
            {
                continue;
            }
            push_unique(&mut expected, format!("`{token}`"));
        }
        for stack in attempts.call_stacks() {
            let rule = stack.parent.or(stack.deepest.get_rule().copied());
            if let Some(rule) = rule {
                if let Some(name) = describe_rule(rule) {
                    push_unique(&mut expected, name);
                }
            }
        }
    }
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &err.variant {
        for rule in positives {
            if let Some(name) = describe_rule(*rule) {
                push_unique(&mut expected, name);
            }
        }
    }
    // Every way to start an expression is an alternative: say so once.
    if expected.iter().any(|e| e == "`[`") && expected.iter().any(|e| e == "`(`") {
        expected = vec!["an expression".to_string()];
    }
    let item = describe_rule(Rule::file).unwrap_or_default();
    if expected.len() > 1 {
        expected.retain(|e| *e != item);
    }
    expected.sort();
    let message = match expected.len() {
        0 => format!("unexpected {found}"),
        1 => format!("expected {}, found {found}", expected[0]),
        n if n <= 10 => format!(
            "expected {} or {}, found {found}",
            expected[..n - 1].join(", "),
            expected[n - 1]
        ),
        _ => format!("unexpected {found}"),
    };
    let at = offset + pos;
    let width = found_width(chunk, pos);
    let d = Diagnostic::error(
        "E0101",
        message,
        Span::new(file, at as u32, (at + width) as u32),
    )
    .with_label("unexpected here");
    match habit_hint(chunk, pos) {
        Some(help) => d.with_help(help),
        None => d,
    }
}

/// Help for the habits people bring from YAML and Kubernetes manifests, when
/// the grammar stops at one: `storage: 20Gi` (a YAML key) and `ops-db` (a
/// Kubernetes name, where the language's names take `_`).
fn habit_hint(chunk: &str, pos: usize) -> Option<String> {
    let bytes = chunk.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    match bytes.get(pos)? {
        b':' => {
            let before = chunk[..pos].trim_end_matches([' ', '\t']);
            // A name, or a values key path (`persistence.size`,
            // `"grafana.ini".auth`).
            let key = key_path_before(before);
            if !key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '"') {
                return None;
            }
            let rest = chunk[pos + 1..].lines().next().unwrap_or("").trim();
            let rest = rest.split("//").next().unwrap_or("").trim();
            Some(if rest.is_empty() {
                format!("`=` sets a value, not `:` as in YAML: write `{key} = ...`")
            } else {
                format!("`=` sets a value, not `:` as in YAML: write `{key} = {rest}`")
            })
        }
        b'-' if pos > 0
            && is_word(bytes[pos - 1])
            && bytes.get(pos + 1).is_some_and(|b| is_word(*b)) =>
        {
            let start = after_last(&chunk[..pos], |c| {
                !(c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
            let end = chunk[pos..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .map_or(chunk.len(), |p| pos + p);
            let name = &chunk[start..end];
            Some(format!(
                "names cannot contain `-`: write `{}` (its Kubernetes name still has `-`)",
                name.replace('-', "_")
            ))
        }
        _ => None,
    }
}

/// The key path that `text` ends with: names and quoted keys joined by
/// `.` (`persistence.size`, `"grafana.ini".auth`, `"été"`); empty when
/// it ends with neither.
fn key_path_before(text: &str) -> &str {
    let mut start = text.len();
    loop {
        let rest = &text[..start];
        let segment = match rest.strip_suffix('"') {
            Some(open) => match open.rfind('"') {
                Some(q) => q,
                None => break,
            },
            None => after_last(rest, |c| !(c.is_ascii_alphanumeric() || c == '_')),
        };
        if segment == start {
            break;
        }
        start = segment;
        match text[..start].strip_suffix('.') {
            Some(before_dot) if !before_dot.is_empty() => start = before_dot.len(),
            _ => break,
        }
    }
    text[start..].trim_start_matches('.')
}

/// Where the text after the last character of `text` that `stop` holds
/// for begins (0 when there is none): past the whole character, which
/// may be more than one byte.
fn after_last(text: &str, stop: impl Fn(char) -> bool) -> usize {
    text.char_indices()
        .rev()
        .find(|&(_, c)| stop(c))
        .map_or(0, |(p, c)| p + c.len_utf8())
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn describe_rule(rule: Rule) -> Option<String> {
    if let Some(kw) = keyword_text(rule) {
        return Some(format!("`{kw}`"));
    }
    Some(match rule {
        Rule::ident | Rule::name | Rule::word => "a name",
        Rule::string => "a string",
        Rule::number => "a number",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::expr | Rule::operand => "an expression",
        Rule::type_expr | Rule::type_union | Rule::named_type | Rule::type_name => "a type",
        Rule::attr => "an attribute (`name = value`)",
        Rule::severity => "`deny` or `warn`",
        // Members that may start with a contextual keyword before theirs.
        Rule::route_scope => "`route`",
        Rule::assert_decl => "`assert`",
        Rule::file => "an item (platform, import, component, interface, secret, environment, policy, allow or an instance)",
        Rule::EOI => "end of file",
        _ => return None,
    }
    .to_string())
}

fn describe_found(chunk: &str, pos: usize) -> String {
    let rest = &chunk[pos.min(chunk.len())..];
    match rest.chars().next() {
        None => "end of file".to_string(),
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
            let w: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(40)
                .collect();
            format!("`{w}`")
        }
        Some('\n') => "end of line".to_string(),
        Some(c) if c.is_whitespace() => "whitespace".to_string(),
        Some(c) => format!("`{}`", c.escape_debug()),
    }
}

fn found_width(chunk: &str, pos: usize) -> usize {
    let rest = &chunk[pos.min(chunk.len())..];
    match rest.chars().next() {
        None => 0,
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .map(char::len_utf8)
            .sum(),
        Some(c) => c.len_utf8(),
    }
}

#[cfg(test)]
mod grammar_coverage {
    use super::*;
    use std::collections::BTreeSet;

    /// Every named (non-silent) rule of the grammar produces at least one
    /// node when parsing `all_constructs.plat`: each construct has a parse
    /// test, and a rule that can never match would be caught here.
    #[test]
    fn every_rule_is_exercised() {
        let text = include_str!("all_constructs.plat");
        let pairs = PlatParser::parse(Rule::file, text).unwrap_or_else(|e| panic!("{e}"));
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut stack: Vec<_> = pairs.collect();
        while let Some(p) = stack.pop() {
            seen.insert(format!("{:?}", p.as_rule()));
            stack.extend(p.into_inner());
        }
        let mut missing = Vec::new();
        for line in GRAMMAR.lines() {
            let Some((name, body)) = line.split_once('=') else {
                continue;
            };
            let name = name.trim();
            let body = body.trim_start();
            let named = body.starts_with('{')
                || body.starts_with("@{")
                || body.starts_with("${")
                || body.starts_with("!{");
            // `keyword` is only ever used in a negative lookahead.
            if !named
                || name == "keyword"
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                continue;
            }
            if !seen.contains(name) {
                missing.push(name.to_string());
            }
        }
        assert!(missing.is_empty(), "rules never exercised: {missing:?}");
    }

    #[test]
    fn the_sample_lowers_without_diagnostics() {
        let (module, diags) = parse(FileId(0), include_str!("all_constructs.plat"));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(module.items.len(), 11);
    }
}

#[cfg(test)]
mod habits {
    use super::*;

    /// The hints find the key or name before `:` or in `a-b` by whole
    /// characters: a letter of several bytes just before it is not cut
    /// (it was, and panicked, found by `fmt_roundtrip`'s damaged
    /// programs).
    #[test]
    fn keys_and_names_after_letters_of_several_bytes() {
        let text = "x = étésize: 20Gi";
        let pos = text.find(':').unwrap();
        assert_eq!(
            habit_hint(text, pos).as_deref(),
            Some("`=` sets a value, not `:` as in YAML: write `size = 20Gi`")
        );
        let text = "étéops-db";
        let pos = text.find('-').unwrap();
        assert_eq!(
            habit_hint(text, pos).as_deref(),
            Some("names cannot contain `-`: write `ops_db` (its Kubernetes name still has `-`)")
        );
        let text = "été: x";
        assert_eq!(habit_hint(text, text.find(':').unwrap()), None);
        for text in ["é:", "é-a", "a\u{1F600}b-c", "\u{1F600}:"] {
            for pos in 0..text.len() {
                if text.is_char_boundary(pos) {
                    let _ = habit_hint(text, pos);
                }
            }
        }
    }

    #[test]
    fn key_paths_of_names_and_quoted_keys() {
        assert_eq!(
            key_path_before("x = { persistence.size"),
            "persistence.size"
        );
        assert_eq!(
            key_path_before("  \"grafana.ini\".auth"),
            "\"grafana.ini\".auth"
        );
        assert_eq!(key_path_before("{ \"été\""), "\"été\"");
        assert_eq!(key_path_before("{ a.\"b c\".d"), "a.\"b c\".d");
        assert_eq!(key_path_before("x = 1 +"), "");
        assert_eq!(key_path_before("été"), "");
        assert_eq!(key_path_before("\"open"), "open");
        assert_eq!(key_path_before("unclosed\""), "");
        assert_eq!(key_path_before(".a"), "a");
    }

    #[test]
    fn after_last_steps_over_whole_characters() {
        assert_eq!(after_last("abc", |c| c == ' '), 0);
        assert_eq!(after_last("a b", |c| c == ' '), 2);
        assert_eq!(after_last("aéb", |c| !c.is_ascii()), 3);
        assert_eq!(after_last("a\u{1F600}", |c| !c.is_ascii()), 5);
    }
}

#[cfg(test)]
mod scan_skipped {
    use super::*;

    /// Around the depth where the scan is skipped and up to the scan's
    /// bound, every kind of nesting: `parse` gives what scanning first
    /// gives (E0105 past the bound).
    #[test]
    fn nesting_is_reported_whether_or_not_scanned_first() {
        let kinds: [(&str, &str); 10] = [
            ("[", "]"),
            ("{a = ", "}"),
            ("f(", ")"),
            ("(", ")"),
            ("\"${", "}\""),
            ("[for a in b if c: ", "]"),
            ("{for a in b if c: k = ", "}"),
            ("if c { ", " } else { 0 }"),
            ("if c { 1 } else if d { ", " } else { 2 }"),
            ("-[", "]"),
        ];
        let mut reported = 0;
        for (open, close) in kinds {
            for n in 1..=70 {
                let text = format!("a b {{\n  x = {}1{}\n}}\n", open.repeat(n), close.repeat(n));
                let scanned = parse_with_pest(FileId(0), &text);
                reported += usize::from(scanned.1.iter().any(|d| d.code == "E0105"));
                assert!(parse(FileId(0), &text) == scanned, "{n} x {open:?}");
            }
        }
        for n in 1..=70 {
            let ty = format!(
                "component c {{\n  param p: {}int{}\n}}\n",
                "list<".repeat(n),
                ">".repeat(n)
            );
            let values = format!(
                "component c {{\n  values {{ {}a = 1{} }}\n}}\n",
                "if c { ".repeat(n),
                " }".repeat(n)
            );
            for text in [ty, values] {
                let scanned = parse_with_pest(FileId(0), &text);
                reported += usize::from(scanned.1.iter().any(|d| d.code == "E0105"));
                assert!(parse(FileId(0), &text) == scanned, "{text}");
            }
        }
        assert!(reported > 50, "{reported}");
    }
}
