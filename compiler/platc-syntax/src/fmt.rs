//! The canonical formatter of `.plat` files (`platc fmt`).
//!
//! # Design: the concrete tree, not the AST
//!
//! The formatter prints the *concrete* syntax tree that pest builds, not the
//! AST. The AST is the wrong input for a formatter: it has no comments, it
//! groups a component's members by kind (a formatter must keep their order),
//! and it decodes literals (`1_000`, `\u{41}`, `20Gi` would come back in
//! another spelling). pest's tree keeps every token in source order with its
//! exact text and position.
//!
//! Comments are trivia to the grammar (`COMMENT` is silent), so they are not
//! in the tree either. They are found by scanning the text once, skipping the
//! text of string literals (known from the tree), and each is re-inserted
//! before the first token that follows it in the source:
//!
//! - a comment with code before it on its line stays at the end of that line
//!   (a *trailing* comment); trailing `//` comments on consecutive lines are
//!   aligned;
//! - a comment alone on its line stays alone on its line, indented like the
//!   line that follows it (doc comments `///` are such comments, so they stay
//!   directly above what they document);
//! - a block comment between tokens of one line stays between them.
//!
//! # Layout
//!
//! Two spaces per level. Item and member bodies (platform, component,
//! interface, instance, expose, values, resource, provides, environment,
//! policy, `if` in values) put one member per line; empty ones print `{}`.
//! Lists, records, record types, calls, comprehensions and conditional
//! expressions stay on one line unless the source breaks the line right
//! after their opening bracket: then they put one element per line (lists
//! and calls with a trailing comma, records without commas). Line breaks the
//! source makes before a binary or `|` operator (or after one), after `=`,
//! and before `version`, `from`, `timeout`, `message`, `where`, `fail`,
//! `help`, `reason`, `until` and a member's `if` are kept, as continuation
//! lines indented one level more; long lines are never wrapped otherwise.
//! Top-level items are separated by one blank line, except consecutive
//! `import`s, `secret`s or `allow`s, which keep the source's choice. Blank
//! lines between members and elements are kept, at most one.
//!
//! # Safety
//!
//! [`format`] refuses text with syntax errors, and checks its own output: it
//! must parse, lower to the same AST (spans aside) and hold the same
//! comments. If not, it returns [`FormatError::Internal`] rather than a text
//! that would change the platform.

use pest::iterators::Pair;
use pest::Parser as _;
use platc_diag::{Diagnostic, FileId};

use crate::ast::Module;
use crate::{PlatParser, Rule};

/// Why a text could not be formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The text has syntax errors (the same diagnostics `parse` reports).
    Syntax(Vec<Diagnostic>),
    /// The formatted text would not have the meaning or the comments of the
    /// input: a bug in the formatter. The input must be left as it is.
    Internal(String),
}

/// Formats one file in the canonical layout. Never panics: text that does
/// not parse gives [`FormatError::Syntax`].
pub fn format(file: FileId, text: &str) -> Result<String, FormatError> {
    let (module, diagnostics) = crate::parse(file, text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(FormatError::Syntax(diagnostics));
    }
    let (out, comments) = print(text).map_err(FormatError::Internal)?;
    // The output must mean what the input meant, comments included.
    let internal = |what: String| Err(FormatError::Internal(what));
    let scan = crate::scan::scan(file, &out);
    if let Some(d) = scan.diagnostics.first() {
        return internal(format!("the formatted text is refused: {}", d.message));
    }
    let root = match PlatParser::parse(Rule::file, &out) {
        Ok(mut pairs) => match pairs.next() {
            Some(root) => root,
            None => return internal("the parser returned no tree".into()),
        },
        Err(e) => return internal(format!("the formatted text does not parse: {e}")),
    };
    let out_comments: Vec<String> = collect_comments(&out, &root)
        .iter()
        .map(|c| comment_text(&out, c))
        .collect();
    let mut lowerer = crate::lower::Lowerer::new(file, &out);
    let again = lowerer.module(root);
    if let Some(d) = lowerer.diagnostics.first() {
        return internal(format!("the formatted text is refused: {}", d.message));
    }
    if fingerprint(&again) != fingerprint(&module) {
        return internal("the formatted text would have another syntax tree".into());
    }
    if out_comments != comments {
        return internal("the formatted text would not keep every comment".into());
    }
    Ok(out)
}

/// The syntax tree without its spans, as text: two files with the same
/// fingerprint have the same AST up to positions.
pub fn fingerprint(module: &Module) -> String {
    erase_spans(&format!("{module:?}"))
}

/// Removes every `Span { .. }` from a `Debug` rendering.
fn erase_spans(debug: &str) -> String {
    const MARK: &str = "Span { file: FileId(";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(i) = rest.find(MARK) {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        match after.find('}') {
            Some(j) => {
                out.push('_');
                rest = &after[j + 1..];
            }
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The comments of a text that parses, in order, each with the trailing
/// whitespace of its lines removed (what the formatter keeps of them).
/// `None` when the text does not parse.
pub fn comment_texts(text: &str) -> Option<Vec<String>> {
    let root = PlatParser::parse(Rule::file, text).ok()?.next()?;
    Some(
        collect_comments(text, &root)
            .iter()
            .map(|c| comment_text(text, c))
            .collect(),
    )
}

// ---------------------------------------------------------------- comments

#[derive(Clone, Copy, Debug)]
struct Comment {
    start: usize,
    end: usize,
    block: bool,
    /// Only whitespace before it on its line.
    own_line: bool,
    /// Only whitespace after it on its line.
    newline_after: bool,
}

/// Every comment of the text: the grammar's trivia, found outside the text
/// parts of string literals.
fn collect_comments(text: &str, root: &Pair<Rule>) -> Vec<Comment> {
    let strings: Vec<(usize, usize)> = root
        .clone()
        .into_inner()
        .flatten()
        .filter(|p| matches!(p.as_rule(), Rule::str_text | Rule::escape))
        .map(|p| (p.as_span().start(), p.as_span().end()))
        .collect();
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut k = 0;
    let mut i = 0;
    while i < bytes.len() {
        while k < strings.len() && strings[k].1 <= i {
            k += 1;
        }
        if k < strings.len() && strings[k].0 <= i {
            i = strings[k].1;
            continue;
        }
        if bytes[i] == b'/' && matches!(bytes.get(i + 1), Some(b'/') | Some(b'*')) {
            let block = bytes[i + 1] == b'*';
            let end = if block {
                text[i + 2..]
                    .find("*/")
                    .map_or(text.len(), |j| i + 2 + j + 2)
            } else {
                text[i..].find('\n').map_or(text.len(), |j| i + j)
            };
            let before = text[..i].trim_end_matches([' ', '\t', '\r']);
            let after = text[end..].trim_start_matches([' ', '\t', '\r']);
            out.push(Comment {
                start: i,
                end,
                block,
                own_line: before.is_empty() || before.ends_with('\n'),
                newline_after: after.is_empty() || after.starts_with('\n'),
            });
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// A comment's text without trailing whitespace on any of its lines.
fn comment_text(text: &str, c: &Comment) -> String {
    let raw = &text[c.start..c.end];
    if c.block {
        raw.split('\n')
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        raw.trim_end().to_string()
    }
}

// ---------------------------------------------------------------- printer

/// What must come before the next token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Break {
    /// Nothing: the token continues the line.
    None,
    /// A continuation line, one level deeper than the block.
    Cont,
    /// A new line at the block's level.
    Line,
}

struct Line {
    indent: usize,
    text: String,
    /// Where a trailing `//` comment starts in `text` (its code ends there).
    comment_at: Option<usize>,
    /// The line ends in a `//` comment: nothing more may go on it.
    closed: bool,
}

/// Where to go back to when a bracket closes.
struct Frame {
    indent: usize,
    line_indent: usize,
}

struct Printer<'a> {
    src: &'a str,
    comments: Vec<Comment>,
    /// The next comment not printed yet.
    next: usize,
    lines: Vec<Line>,
    cur: Line,
    /// Level of the current block's members.
    indent: usize,
    brk: Break,
    /// A blank line before the next line.
    blank: bool,
    /// A space before the next token even where none is usual (after an
    /// inline block comment).
    space: bool,
    /// End of the last token or comment printed from the source.
    last_end: usize,
    /// The current line holds only comments so far, started by this break:
    /// what follows a trailing `//` comment on it starts the same way.
    resume: Break,
}

type P<'a> = Pair<'a, Rule>;

/// Prints a text that parses, and gives the texts of its comments; an error
/// only when pest, against `parse`, rejects it.
fn print(text: &str) -> Result<(String, Vec<String>), String> {
    let root = PlatParser::parse(Rule::file, text)
        .map_err(|e| format!("the text no longer parses: {e}"))?
        .next()
        .ok_or("the parser returned no tree")?;
    let mut p = Printer {
        src: text,
        comments: collect_comments(text, &root),
        next: 0,
        lines: Vec::new(),
        cur: Line {
            indent: 0,
            text: String::new(),
            comment_at: None,
            closed: false,
        },
        indent: 0,
        brk: Break::None,
        blank: false,
        space: false,
        last_end: 0,
        resume: Break::None,
    };
    let comments = p.comments.iter().map(|c| comment_text(text, c)).collect();
    p.file(root);
    Ok((p.finish(), comments))
}

/// Keywords before which a line break of the source is kept.
fn is_soft_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_version
            | Rule::kw_from
            | Rule::kw_timeout
            | Rule::kw_message
            | Rule::kw_where
            | Rule::kw_fail
            | Rule::kw_help
            | Rule::kw_reason
            | Rule::kw_until
    )
}

/// How the elements of a bracketed sequence are separated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seq {
    /// `[a, b]`; one per line with a trailing comma.
    List,
    /// `{ a = 1, b = 2 }`; one per line without commas.
    Record,
}

impl<'a> Printer<'a> {
    // ------------------------------------------------------------ output

    fn finish(mut self) -> String {
        self.brk = Break::Line;
        self.flush_comments(usize::MAX);
        self.end_line();
        align_trailing_comments(&mut self.lines);
        let mut out = String::new();
        for line in &self.lines {
            let text = line
                .text
                .split('\n')
                .map(str::trim_end)
                .collect::<Vec<_>>()
                .join("\n");
            if !text.is_empty() {
                for _ in 0..line.indent {
                    out.push_str("  ");
                }
            }
            out.push_str(&text);
            out.push('\n');
        }
        out
    }

    fn end_line(&mut self) {
        if self.cur.text.is_empty() {
            return;
        }
        let line = std::mem::replace(
            &mut self.cur,
            Line {
                indent: self.indent,
                text: String::new(),
                comment_at: None,
                closed: false,
            },
        );
        self.lines.push(line);
    }

    /// Writes `text`, after the break or space it needs.
    fn put(&mut self, text: &str, sp: bool) {
        if self.cur.text.is_empty() {
            if self.lines.is_empty() {
                self.cur.indent = self.indent;
                self.brk = Break::None;
                self.blank = false;
            } else if self.brk == Break::None {
                self.brk = Break::Line;
            }
        }
        if self.brk != Break::None {
            let level = match self.brk {
                Break::Cont => self.indent + 1,
                _ => self.indent,
            };
            self.end_line();
            if self.blank && !self.lines.is_empty() {
                self.lines.push(Line {
                    indent: 0,
                    text: String::new(),
                    comment_at: None,
                    closed: false,
                });
            }
            self.cur.indent = level;
            self.brk = Break::None;
            self.blank = false;
        } else if !self.cur.text.is_empty() && (sp || self.space) {
            self.cur.text.push(' ');
        }
        self.space = false;
        self.resume = Break::None;
        self.cur.text.push_str(text);
    }

    /// The current line's code ends with an opening bracket: no blank line
    /// may follow it.
    fn after_open(&self) -> bool {
        let code = match self.cur.comment_at {
            Some(at) => &self.cur.text[..at],
            None => &self.cur.text,
        };
        let code = code.trim_end();
        code.is_empty() && self.lines.is_empty() || code.ends_with(['{', '[', '('])
    }

    /// A blank line of the source before `pos` is kept (at most one), where
    /// a new line starts at the block's level.
    fn keep_blank(&mut self, pos: usize) {
        if self.brk == Break::Line
            && !self.after_open()
            && self.src[self.last_end.min(pos)..pos].matches('\n').count() >= 2
        {
            self.blank = true;
        }
    }

    /// A token of the source at `start..end`.
    fn tok(&mut self, text: &str, start: usize, end: usize, sp: bool) {
        self.flush_comments(start);
        self.keep_blank(start);
        self.put(text, sp);
        self.last_end = self.last_end.max(end);
    }

    /// A token that is a whole pair (a leaf of the tree).
    fn leaf(&mut self, p: &P<'a>, sp: bool) {
        let s = p.as_span();
        self.tok(s.as_str(), s.start(), s.end(), sp);
    }

    /// One character of punctuation at `pos` in the source.
    fn punct(&mut self, text: &str, pos: usize, sp: bool) {
        self.tok(text, pos, pos + text.len(), sp);
    }

    /// The source breaks the line between the last token and `pos`: so does
    /// the output (a continuation line).
    fn soft(&mut self, pos: usize) {
        if self.src[self.last_end.min(pos)..pos].contains('\n') {
            self.brk = self.brk.max(Break::Cont);
        }
    }

    fn flush_comments(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next).copied() {
            if c.start >= pos {
                break;
            }
            self.next += 1;
            let text = comment_text(self.src, &c);
            // Nothing can follow a `//` comment on its line.
            let after_line_comment = self.cur.closed;
            if c.own_line || self.cur.text.is_empty() || after_line_comment {
                let kind = match self.brk {
                    Break::None if self.cur.text.is_empty() => Break::Line,
                    Break::None => Break::Cont,
                    k => k,
                };
                let kind = if after_line_comment && !c.own_line {
                    kind.max(Break::Cont)
                } else {
                    kind
                };
                self.brk = kind;
                self.keep_blank(c.start);
                self.put(&text, false);
                self.cur.closed = !c.block;
                if c.block && !c.newline_after {
                    self.space = true;
                    self.resume = kind;
                } else {
                    self.brk = kind;
                }
            } else {
                if !c.block {
                    self.cur.comment_at = Some(self.cur.text.len());
                    self.cur.closed = true;
                }
                self.cur.text.push(' ');
                self.cur.text.push_str(&text);
                if c.block && !c.newline_after {
                    self.space = true;
                } else {
                    let next = match self.resume {
                        Break::None => Break::Cont,
                        k => k,
                    };
                    self.brk = self.brk.max(next);
                }
            }
            self.last_end = self.last_end.max(c.end);
        }
    }

    /// Marks the comments inside `..end` as printed (they were part of a
    /// token printed verbatim).
    fn skip_comments(&mut self, end: usize) {
        while self.comments.get(self.next).is_some_and(|c| c.start < end) {
            self.next += 1;
        }
    }

    /// After an opening bracket just printed: its members go one level
    /// deeper than its line.
    fn open(&mut self) -> Frame {
        let frame = Frame {
            indent: self.indent,
            line_indent: self.cur.indent,
        };
        self.indent = self.cur.indent + 1;
        frame
    }

    /// Closes a multi-line bracket at `pos`, on a line of its own aligned
    /// with the line that opened it.
    fn close(&mut self, text: &str, pos: usize, frame: Frame) {
        self.brk = Break::Line;
        self.flush_comments(pos);
        self.indent = frame.line_indent;
        self.brk = Break::Line;
        self.put(text, false);
        self.last_end = self.last_end.max(pos + text.len());
        self.indent = frame.indent;
    }

    /// Closes a one-line bracket at `pos`.
    fn close_inline(&mut self, text: &str, pos: usize, sp: bool) {
        self.flush_comments(pos);
        self.put(text, sp);
        self.last_end = self.last_end.max(pos + text.len());
    }

    // ------------------------------------------------------------ positions

    /// The end of a pair without the whitespace and comments pest includes
    /// after a trailing optional or repeated part.
    fn exact_end(&self, p: &P) -> usize {
        let start = p.as_span().start();
        let mut end = p.as_span().end();
        loop {
            while end > start && self.src.as_bytes()[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            match self.comments.binary_search_by_key(&end, |c| c.end) {
                Ok(i) if self.comments[i].start >= start => end = self.comments[i].start,
                _ => return end,
            }
        }
    }

    /// The first position at or after `pos` that is not whitespace or a
    /// comment.
    fn skip_trivia(&self, mut pos: usize) -> usize {
        let bytes = self.src.as_bytes();
        loop {
            while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            match self.comments.binary_search_by_key(&pos, |c| c.start) {
                Ok(i) => pos = self.comments[i].end,
                Err(_) => return pos,
            }
        }
    }

    fn has_newline(&self, from: usize, to: usize) -> bool {
        from < to && self.src[from..to].contains('\n')
    }

    /// A comment starts in `from..to`.
    fn comment_in(&self, from: usize, to: usize) -> bool {
        self.comments[self.next..]
            .iter()
            .take_while(|c| c.start < to)
            .any(|c| c.start >= from)
    }

    // ------------------------------------------------------------ items

    fn file(&mut self, root: P<'a>) {
        let mut prev: Option<Rule> = None;
        for item in root.into_inner() {
            if item.as_rule() == Rule::EOI {
                continue;
            }
            let rule = item.as_rule();
            if let Some(prev) = prev {
                self.brk = Break::Line;
                let together = prev == rule
                    && matches!(
                        rule,
                        Rule::import_decl | Rule::secret_decl | Rule::waiver_decl
                    );
                if !together {
                    self.blank = true;
                }
            }
            self.node(item, false);
            prev = Some(rule);
        }
    }

    /// A pair of any rule.
    fn node(&mut self, p: P<'a>, sp: bool) {
        match p.as_rule() {
            Rule::platform_decl
            | Rule::component_decl
            | Rule::interface_decl
            | Rule::environment_decl
            | Rule::policy_decl
            | Rule::instance_decl
            | Rule::expose_point
            | Rule::expose_decl
            | Rule::values_block
            | Rule::resource_decl
            | Rule::provides_decl
            | Rule::value_body => self.block(p, sp),
            Rule::import_decl
            | Rule::secret_decl
            | Rule::waiver_decl
            | Rule::chart_decl
            | Rule::requires_decl
            | Rule::assert_decl
            | Rule::policy_rule
            | Rule::pattern_constraint
            | Rule::cluster_scope
            | Rule::route_scope
            | Rule::platform_ref
            | Rule::platform_name
            | Rule::name => self.words(p, sp),
            Rule::member_cond | Rule::resource_for => {
                self.soft(p.as_span().start());
                self.words(p, sp);
            }
            Rule::ready_clause => self.ready(p, sp),
            Rule::param_decl => self.param(p, sp),
            Rule::let_decl
            | Rule::attr
            | Rule::value_assign
            | Rule::override_decl
            | Rule::record_entry => self.assign(p, sp),
            Rule::field_type => self.field_type(p, sp),
            Rule::value_if => self.words(p, sp),
            Rule::key_path | Rule::override_target | Rule::type_name => self.path(p, sp),
            Rule::waiver_target => self.waiver_target(p, sp),
            Rule::key_index | Rule::index => self.index(p, sp),
            Rule::type_expr | Rule::named_type | Rule::bound => self.glued(p, sp),
            Rule::operand => self.operand(p, sp),
            Rule::optional => self.leaf(&p, false),
            Rule::type_union => self.type_union(p, sp),
            Rule::paren_type | Rule::paren | Rule::constraint => self.paren(p, sp),
            Rule::list_type | Rule::map_type => self.type_arg(p, sp),
            Rule::record_type => self.seq(p, sp, Seq::Record),
            Rule::range_constraint => self.range(p, sp),
            Rule::expr => self.expr(p, sp),
            Rule::field => {
                let start = p.as_span().start();
                self.punct(".", start, sp);
                for w in p.into_inner() {
                    self.leaf(&w, false);
                }
            }
            Rule::cond_expr => self.cond_expr(p, sp, None),
            Rule::comp_head => self.comp_head(p, sp),
            Rule::list_comp | Rule::map_comp => self.comprehension(p, sp),
            Rule::list => self.seq(p, sp, Seq::List),
            Rule::record => self.seq(p, sp, Seq::Record),
            Rule::call => self.call(p, sp),
            Rule::string => self.string(p, sp),
            _ if p.clone().into_inner().next().is_none() => {
                if is_soft_keyword(p.as_rule()) {
                    self.soft(p.as_span().start());
                }
                self.leaf(&p, sp);
            }
            // A rule this formatter does not know (a newer grammar): as written.
            _ => self.verbatim(p, sp),
        }
    }

    fn verbatim(&mut self, p: P<'a>, sp: bool) {
        let start = p.as_span().start();
        let end = self.exact_end(&p);
        let src = self.src;
        self.tok(&src[start..end], start, end, sp);
        self.skip_comments(end);
    }

    /// Children separated by spaces.
    fn words(&mut self, p: P<'a>, sp: bool) {
        for (i, c) in p.into_inner().enumerate() {
            self.node(c, sp || i > 0);
        }
    }

    /// Children glued together.
    fn glued(&mut self, p: P<'a>, sp: bool) {
        for (i, c) in p.into_inner().enumerate() {
            self.node(c, sp && i == 0);
        }
    }

    /// Prefix operators, a primary and postfix operators, glued; except
    /// that `- 5` keeps its space: the parser folds `-5` into a negative
    /// literal, but not `- 5`.
    fn operand(&mut self, p: P<'a>, sp: bool) {
        let mut prev: Option<(Rule, usize)> = None;
        for (i, c) in p.into_inner().enumerate() {
            let rule = c.as_rule();
            let start = c.as_span().start();
            let spaced = match prev {
                Some((Rule::neg, end)) => matches!(rule, Rule::neg | Rule::number) && start != end,
                _ => false,
            };
            prev = Some((rule, c.as_span().end()));
            self.node(c, (sp && i == 0) || spaced);
        }
    }

    /// A header, then `{`, one member per line, and `}`. The members are
    /// the children after the `{`.
    fn block(&mut self, p: P<'a>, sp: bool) {
        let close = self.exact_end(&p).saturating_sub(1);
        let mut head_end = p.as_span().start();
        let mut brace = None;
        let mut members = Vec::new();
        let mut first = true;
        for c in p.clone().into_inner() {
            if brace.is_none() {
                let at = self.skip_trivia(head_end);
                if at < c.as_span().start() && self.src.as_bytes()[at] == b'{' {
                    brace = Some(at);
                }
            }
            if brace.is_some() {
                members.push(c);
            } else {
                head_end = self.exact_end(&c);
                self.node(c, sp || !first);
                first = false;
            }
        }
        let brace = brace.unwrap_or_else(|| self.skip_trivia(head_end));
        if self.src.as_bytes().get(brace) != Some(&b'{') || brace > close {
            // `provides X` without braces.
            return;
        }
        if members.is_empty() && !self.comment_in(brace, close) {
            if p.as_rule() == Rule::provides_decl {
                // `provides X {}` says no more than `provides X`.
                return;
            }
            self.punct("{", brace, !first || sp);
            self.close_inline("}", close, false);
            return;
        }
        // Comments between the header and `{` go into the block, unless
        // one is on a line of its own: a `///` there must not become the
        // documentation of the first member.
        let own_line = self.comments[self.next..]
            .iter()
            .take_while(|c| c.start < brace)
            .any(|c| c.start >= head_end && c.own_line);
        if own_line {
            self.punct("{", brace, !first || sp);
        } else {
            self.put("{", !first || sp);
        }
        let frame = self.open();
        for m in members {
            self.brk = Break::Line;
            self.node(m, false);
        }
        self.close("}", close, frame);
    }

    /// `param name: type (= default)?`
    fn param(&mut self, p: P<'a>, sp: bool) {
        let mut prev_end = p.as_span().start();
        for c in p.into_inner() {
            let end = self.exact_end(&c);
            match c.as_rule() {
                Rule::kw_param => self.leaf(&c, sp),
                Rule::ident => self.leaf(&c, true),
                Rule::type_expr => {
                    self.punct_after(":", prev_end, false);
                    self.node(c, true);
                }
                _ => self.equals_then(prev_end, c),
            }
            prev_end = end;
        }
    }

    /// Punctuation the grammar does not name, found after `from` in the
    /// source (comments before it stay before it).
    fn punct_after(&mut self, text: &str, from: usize, sp: bool) {
        let pos = self.skip_trivia(from);
        if self.src[pos..].starts_with(text) {
            self.punct(text, pos, sp);
        } else {
            self.put(text, sp);
        }
    }

    /// ` = value` after a token ending at `from`, keeping a line break
    /// after `=`.
    fn equals_then(&mut self, from: usize, value: P<'a>) {
        self.punct_after("=", from, true);
        self.soft(value.as_span().start());
        self.node(value, true);
    }

    /// `target = value` (attributes, lets, values, overrides, record entries).
    fn assign(&mut self, p: P<'a>, sp: bool) {
        let kids: Vec<P<'a>> = p.into_inner().collect();
        let Some((value, target)) = kids.split_last() else {
            return;
        };
        let mut prev_end = 0;
        for (i, c) in target.iter().enumerate() {
            prev_end = self.exact_end(c);
            self.node(c.clone(), sp || i > 0);
        }
        self.equals_then(prev_end, value.clone());
    }

    /// `name: type`
    fn field_type(&mut self, p: P<'a>, sp: bool) {
        let mut it = p.into_inner();
        let mut prev_end = 0;
        if let Some(name) = it.next() {
            prev_end = name.as_span().end();
            self.leaf(&name, sp);
        }
        if let Some(ty) = it.next() {
            self.punct_after(":", prev_end, false);
            self.node(ty, true);
        }
    }

    /// `ready "TYPE"` or `ready "PATH" = "PATTERN"`
    fn ready(&mut self, p: P<'a>, sp: bool) {
        let mut strings = 0;
        let mut prev_end = 0;
        for c in p.into_inner() {
            let end = c.as_span().end();
            if c.as_rule() == Rule::string {
                strings += 1;
                if strings == 2 {
                    self.punct_after("=", prev_end, true);
                }
                self.node(c, true);
            } else {
                self.leaf(&c, sp);
            }
            prev_end = end;
        }
    }

    /// Segments joined by `.`; indices glued.
    fn path(&mut self, p: P<'a>, sp: bool) {
        for (i, c) in p.into_inner().enumerate() {
            match c.as_rule() {
                Rule::key_index => self.node(c, false),
                _ if i == 0 => self.node(c, sp),
                _ => {
                    self.put(".", false);
                    self.node(c, false);
                }
            }
        }
    }

    /// `instance`, `instance.expose`, or another form of a newer grammar
    /// (`a -> b`): names joined by `.`, other tokens spaced.
    fn waiver_target(&mut self, p: P<'a>, sp: bool) {
        let mut prev_name = false;
        for (i, c) in p.into_inner().enumerate() {
            let is_name = c.as_rule() == Rule::ident;
            if i == 0 {
                self.node(c, sp);
            } else if is_name && prev_name {
                self.put(".", false);
                self.node(c, false);
            } else {
                self.node(c, true);
            }
            prev_name = is_name;
        }
    }

    /// `[expr]`, glued to what it indexes.
    fn index(&mut self, p: P<'a>, sp: bool) {
        let start = p.as_span().start();
        let close = self.exact_end(&p).saturating_sub(1);
        self.punct("[", start, sp);
        for c in p.into_inner() {
            self.node(c, false);
        }
        self.close_inline("]", close, false);
    }

    /// `(inner)`
    fn paren(&mut self, p: P<'a>, sp: bool) {
        let start = p.as_span().start();
        let close = self.exact_end(&p).saturating_sub(1);
        self.punct("(", start, sp);
        for c in p.into_inner() {
            self.node(c, false);
        }
        self.close_inline(")", close, false);
    }

    /// `list<T>` and `map<T>`.
    fn type_arg(&mut self, p: P<'a>, sp: bool) {
        let start = p.as_span().start();
        let close = self.exact_end(&p).saturating_sub(1);
        let word = if p.as_rule() == Rule::list_type {
            "list"
        } else {
            "map"
        };
        self.punct(word, start, sp);
        self.put("<", false);
        for c in p.into_inner() {
            self.node(c, false);
        }
        self.close_inline(">", close, false);
    }

    /// `a | b | c`
    fn type_union(&mut self, p: P<'a>, sp: bool) {
        for (i, c) in p.into_inner().enumerate() {
            if i > 0 {
                self.soft(c.as_span().start());
                self.put("|", true);
            }
            self.node(c, sp || i > 0);
        }
    }

    /// `lo..hi`, either bound optional.
    fn range(&mut self, p: P<'a>, sp: bool) {
        let start = p.as_span().start();
        let kids: Vec<P<'a>> = p.into_inner().collect();
        let (lo, hi) = match kids.as_slice() {
            [a, b] => (Some(a.clone()), Some(b.clone())),
            [a] if a.as_span().start() == start => (Some(a.clone()), None),
            [a] => (None, Some(a.clone())),
            _ => (None, None),
        };
        match lo {
            Some(lo) => {
                self.node(lo, sp);
                self.put("..", false);
            }
            None => self.put("..", sp),
        }
        if let Some(hi) = hi {
            self.node(hi, false);
        }
    }

    // ------------------------------------------------------------ expressions

    /// Operands and infix operators; a line break of the source around an
    /// operator is kept, before it (unless a comment follows the operator).
    fn expr(&mut self, p: P<'a>, sp: bool) {
        let mut prev_end = p.as_span().start();
        let mut it = p.into_inner();
        if let Some(first) = it.next() {
            prev_end = self.exact_end(&first);
            self.node(first, sp);
        }
        while let Some(op) = it.next() {
            let op_start = op.as_span().start();
            let op_end = op.as_span().end();
            let operand = it.next();
            let next_start = operand.as_ref().map_or(op_end, |o| o.as_span().start());
            // After the operator, a comment makes its own line break.
            let after =
                self.has_newline(op_end, next_start) && !self.comment_in(op_end, next_start);
            if self.has_newline(prev_end, op_start) || after {
                self.brk = self.brk.max(Break::Cont);
            }
            let text = op.as_str().to_string();
            self.tok(&text, op_start, op_end, true);
            if let Some(operand) = operand {
                prev_end = self.exact_end(&operand);
                self.node(operand, true);
            }
        }
    }

    /// `if c { a } else { b }`: on one line, or one branch per block when
    /// the source breaks the line after the first `{`.
    fn cond_expr(&mut self, p: P<'a>, sp: bool, multi: Option<bool>) {
        let end = self.exact_end(&p);
        let kids: Vec<P<'a>> = p.into_inner().collect();
        // kw_if, cond, then, kw_else, (cond_expr | expr)
        let [kw_if, cond, then, kw_else, other] = kids.as_slice() else {
            return;
        };
        let open1 = self.skip_trivia(self.exact_end(cond));
        let multi = multi.unwrap_or_else(|| self.has_newline(open1 + 1, then.as_span().start()));
        self.leaf(kw_if, sp);
        self.node(cond.clone(), true);
        let close1 = self.skip_trivia(self.exact_end(then));
        self.branch(then.clone(), open1, close1, multi);
        self.leaf(kw_else, true);
        if other.as_rule() == Rule::cond_expr {
            self.cond_expr(other.clone(), true, Some(multi));
        } else {
            let open2 = self.skip_trivia(kw_else.as_span().end());
            self.branch(other.clone(), open2, end.saturating_sub(1), multi);
        }
    }

    /// `{ expr }` of a conditional expression.
    fn branch(&mut self, e: P<'a>, open: usize, close: usize, multi: bool) {
        self.punct("{", open, true);
        if multi {
            let frame = self.open();
            self.brk = Break::Line;
            self.node(e, false);
            self.close("}", close, frame);
        } else {
            self.node(e, true);
            self.close_inline("}", close, true);
        }
    }

    /// `for k, v in source if filter:`
    fn comp_head(&mut self, p: P<'a>, sp: bool) {
        let p_end = p.clone();
        let mut names = 0;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => {
                    names += 1;
                    if names == 2 {
                        self.put(",", false);
                    }
                    self.leaf(&c, true);
                }
                Rule::kw_for => self.leaf(&c, sp),
                Rule::kw_if => {
                    self.soft(c.as_span().start());
                    self.leaf(&c, true);
                }
                _ => self.node(c, true),
            }
        }
        let colon = self.exact_end(&p_end).saturating_sub(1);
        self.punct(":", colon, false);
    }

    /// `[for ...: body]` and `{ for ...: key = value }`.
    fn comprehension(&mut self, p: P<'a>, sp: bool) {
        let start = p.as_span().start();
        let close = self.exact_end(&p).saturating_sub(1);
        let map = p.as_rule() == Rule::map_comp;
        let (open, shut) = if map { ("{", "}") } else { ("[", "]") };
        let kids: Vec<P<'a>> = p.into_inner().collect();
        let Some(head) = kids.first() else {
            return;
        };
        let multi = self.has_newline(start + 1, head.as_span().start());
        self.punct(open, start, sp);
        let frame = if multi {
            let f = self.open();
            self.brk = Break::Line;
            Some(f)
        } else {
            None
        };
        self.node(head.clone(), map);
        let rest = &kids[1..];
        for (i, c) in rest.iter().enumerate() {
            if map && i == 1 {
                let key_end = self.exact_end(&rest[0]);
                self.equals_then(key_end, c.clone());
            } else {
                self.soft(c.as_span().start());
                self.node(c.clone(), true);
            }
        }
        match frame {
            Some(f) => self.close(shut, close, f),
            None => self.close_inline(shut, close, map),
        }
    }

    /// `f(a, b)`
    fn call(&mut self, p: P<'a>, sp: bool) {
        let mut it = p.clone().into_inner();
        let Some(name) = it.next() else {
            return;
        };
        let name_end = name.as_span().end();
        self.leaf(&name, sp);
        let open = self.skip_trivia(name_end);
        let close = self.exact_end(&p).saturating_sub(1);
        let args: Vec<P<'a>> = it.collect();
        self.elements(open, close, ("(", ")"), args, Seq::List, false);
    }

    /// A list, record or record type.
    fn seq(&mut self, p: P<'a>, sp: bool, kind: Seq) {
        let start = p.as_span().start();
        let close = self.exact_end(&p).saturating_sub(1);
        let brackets = if p.as_rule() == Rule::list {
            ("[", "]")
        } else {
            ("{", "}")
        };
        let items: Vec<P<'a>> = p.into_inner().collect();
        self.elements(start, close, brackets, items, kind, sp);
    }

    /// Bracketed elements: on one line, or one per line when the source
    /// breaks the line after the opening bracket.
    fn elements(
        &mut self,
        open: usize,
        close: usize,
        (o, c): (&str, &str),
        items: Vec<P<'a>>,
        kind: Seq,
        sp: bool,
    ) {
        let first = items.first().map_or(close, |i| i.as_span().start());
        let multi = self.has_newline(open + 1, first);
        self.punct(o, open, sp);
        if items.is_empty() && !self.comment_in(open, close) {
            self.close_inline(c, close, false);
            return;
        }
        if multi {
            let frame = self.open();
            for item in items {
                self.brk = Break::Line;
                self.node(item, false);
                if kind == Seq::List {
                    self.put(",", false);
                }
            }
            self.close(c, close, frame);
        } else {
            let inner_space = kind == Seq::Record;
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    self.put(",", false);
                }
                self.node(item, inner_space || i > 0);
            }
            self.close_inline(c, close, inner_space);
        }
    }

    /// A string literal: its text and escapes as written, interpolations
    /// formatted. A string whose interpolations span lines is kept as written.
    fn string(&mut self, p: P<'a>, sp: bool) {
        if p.as_str().contains('\n') {
            return self.verbatim(p, sp);
        }
        let start = p.as_span().start();
        let end = p.as_span().end();
        self.punct("\"", start, sp);
        for part in p.into_inner() {
            match part.as_rule() {
                Rule::interp => {
                    let s = part.as_span().start();
                    let close = self.exact_end(&part).saturating_sub(1);
                    self.punct("${", s, false);
                    for e in part.into_inner() {
                        self.node(e, false);
                    }
                    self.close_inline("}", close, false);
                }
                _ => self.leaf(&part, false),
            }
        }
        self.close_inline("\"", end.saturating_sub(1), false);
    }
}

/// Trailing `//` comments of consecutive lines start in one column.
fn align_trailing_comments(lines: &mut [Line]) {
    let mut i = 0;
    while i < lines.len() {
        if lines[i].comment_at.is_none() || lines[i].text.contains('\n') {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < lines.len() && lines[j].comment_at.is_some() && !lines[j].text.contains('\n') {
            j += 1;
        }
        let width = |l: &Line| {
            let at = l.comment_at.unwrap_or(0);
            l.indent * 2 + l.text[..at].trim_end().chars().count()
        };
        let column = lines[i..j].iter().map(width).max().unwrap_or(0) + 1;
        for line in &mut lines[i..j] {
            let at = line.comment_at.unwrap_or(0);
            let code = line.text[..at].trim_end().to_string();
            let comment = line.text[at..].trim_start().to_string();
            let pad = column - (line.indent * 2 + code.chars().count());
            line.text = format!("{code}{}{comment}", " ".repeat(pad));
            line.comment_at = Some(code.len());
        }
        i = j;
    }
}

#[cfg(test)]
mod tests;
