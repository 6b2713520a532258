//! A hand-written recursive-descent parser: from text straight to the AST,
//! for the files the grammar accepts, more than ten times faster than pest
//! and its lowering.
//!
//! `plat.pest` stays the definition of the language and pest the path that
//! reports syntax errors. This parser only takes the success path: the
//! moment it meets anything it is not sure the grammar accepts in exactly
//! this way, it gives up ([`parse`] returns `None`) and [`crate::parse`]
//! runs pest. Its contract: when it returns a module, pest accepts the text
//! and pest plus the lowering give the same module and the same
//! diagnostics (tests/descent.rs compares both on every file of the
//! repository and on mutations of them).
//!
//! How it stays exact:
//! - Each function mirrors one rule of the grammar, and skips trivia at
//!   exactly the places pest's implicit whitespace does (between the parts
//!   of a non-atomic rule, never inside an atomic one), never undoing a
//!   skip pest keeps: a rule ending in an optional part that is absent ends
//!   after the trivia, as pest's span does. Spans then go through the same
//!   [`common::trim_trivia`] as the lowering's.
//! - At each ordered choice it takes the first alternative that can start
//!   here, and it rules an earlier alternative out only when its first
//!   tokens prove pest's would fail. A repetition stops only where pest's
//!   next element would certainly fail. Once committed, any failure gives
//!   up the whole parse: the result is never a different parse, only
//!   sometimes none. Two places backtrack, because valid text needs it
//!   there: a postfix index that does not parse (`[a [1 2]]` is a list of
//!   two elements) and `if [` in values (a condition, or the key `if` with
//!   an index). Both are exact: inside an expression every failure is the
//!   grammar's, except the nesting bound, which ends the whole parse.
//! - Diagnostics of the lowering come from the same functions in
//!   [`common`], pushed in the lowering's order (source order, with the
//!   few places where the lowering skips a part mirrored).
//!
//! Recursion is bounded: [`MAX_NESTING`] levels of expressions, types and
//! `else if` chains, beyond which it gives up (the scan already refuses
//! nesting deeper than [`crate::MAX_DEPTH`]).

use std::cell::Cell;

use crate::ast::*;
use crate::common::{self, MAX_OPERATORS};
use platc_diag::{Diagnostic, FileId, Span};

/// Deepest recursion through expressions, types and `else if` chains.
const MAX_NESTING: usize = 2 * crate::MAX_DEPTH;

/// The module and the lowering's diagnostics, or `None` when the parser
/// gave up (the text may or may not be valid: pest decides).
///
/// `items` is how many items the file probably holds, the room the
/// module's list is made with (it is shrunk to its length at the end).
pub(crate) fn parse(file: FileId, text: &str, items: usize) -> Option<(Module, Vec<Diagnostic>)> {
    parse_measured(file, text, items).map(|(parsed, _)| parsed)
}

/// [`parse`], with the deepest nesting of expressions, types and `else if`
/// chains the parser entered (the depth [`MAX_NESTING`] bounds).
pub(crate) fn parse_measured(
    file: FileId,
    text: &str,
    items: usize,
) -> Option<((Module, Vec<Diagnostic>), usize)> {
    let mut p = Parser::new(file, text);
    let module = p.file(items)?;
    Some(((module, p.diags), p.max_depth))
}

/// Words the grammar reserves (`keyword` in plat.pest): never an `ident`.
fn is_reserved(w: &str) -> bool {
    matches!(
        w,
        "platform"
            | "import"
            | "component"
            | "interface"
            | "param"
            | "secret"
            | "environment"
            | "policy"
            | "allow"
            | "expose"
            | "provides"
            | "requires"
            | "chart"
            | "values"
            | "if"
            | "else"
            | "for"
            | "in"
            | "true"
            | "false"
            | "none"
            | "self"
    )
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    common::is_word_byte(b)
}

/// A component member, by the word(s) it starts with.
#[derive(Clone, Copy)]
enum Member {
    Chart,
    Provides,
    Requires,
    Param,
    Let,
    Assert,
    Resource,
    Network,
    Expose,
    Values,
}

/// A term of a type union, before it is known whether the union has one
/// term or more.
enum Term {
    Str(StringLit),
    /// Another type, the span of the term as written (a parenthesised type
    /// includes its parentheses), and the number of diagnostics before it.
    Other(TypeExpr, Span, usize),
}

struct Parser<'a> {
    file: FileId,
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    diags: Vec<Diagnostic>,
    depth: usize,
    /// The deepest `depth` reached.
    max_depth: usize,
    /// The nesting bound was passed: give up whatever else could parse.
    too_deep: bool,
    /// Offsets of every `//` in the text, ascending: a span without one
    /// ends where its last token ends (the fast path of `span`).
    slashes: Vec<usize>,
    /// The start and end of the word [`Self::word_at`] found last: the
    /// same word is asked for several times (whether an item, a member or
    /// an operand starts here, then the keyword or name itself), and is
    /// scanned once.
    last_word: Cell<(usize, usize)>,
    /// Where the lists of a node are gathered (attributes, expressions,
    /// record entries) until the node is made: then they move into a
    /// vector of exactly their length, not one grown by doubling. A
    /// node's list is what was pushed after it started (lists nest).
    attr_stack: Vec<Attr>,
    expr_stack: Vec<Expr>,
    entry_stack: Vec<RecordEntry>,
}

/// What was pushed onto `stack` since `mark`, moved into a vector of its
/// own of exactly that length.
fn take_from<T>(stack: &mut Vec<T>, mark: usize) -> Vec<T> {
    stack.split_off(mark)
}

impl<'a> Parser<'a> {
    fn new(file: FileId, text: &'a str) -> Self {
        let b = text.as_bytes();
        let mut slashes = Vec::new();
        platc_diag::for_each_byte(b, b'/', |at| {
            if b.get(at + 1) == Some(&b'/') {
                slashes.push(at);
            }
        });
        Parser {
            file,
            text,
            b,
            pos: 0,
            diags: Vec::new(),
            depth: 0,
            max_depth: 0,
            too_deep: false,
            slashes,
            last_word: Cell::new((usize::MAX, 0)),
            attr_stack: Vec::new(),
            expr_stack: Vec::new(),
            entry_stack: Vec::new(),
        }
    }

    // ------------------------------------------------------------ lexical

    /// The byte at `i`, or 0 past the end (0 starts no token).
    fn byte(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn peek(&self) -> u8 {
        self.byte(self.pos)
    }

    /// Where trivia starting at `i` ends: the grammar's implicit
    /// `(WHITESPACE | COMMENT)*`. A `/*` never closed is no comment.
    fn skip_from(&self, mut i: usize) -> usize {
        let b = self.b;
        while i < b.len() {
            match b[i] {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    i = match b[i + 2..].iter().position(|&c| c == b'\n') {
                        Some(n) => i + 2 + n,
                        None => b.len(),
                    };
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    match b[i + 2..].windows(2).position(|w| w == b"*/") {
                        Some(n) => i = i + 2 + n + 2,
                        None => return i,
                    }
                }
                _ => return i,
            }
        }
        i
    }

    fn skip(&mut self) {
        self.pos = self.skip_from(self.pos);
    }

    /// The word (`ident_start ~ ident_char*`) at `i`, or "".
    fn word_at(&self, i: usize) -> &'a str {
        let (start, end) = self.last_word.get();
        if start == i {
            return &self.text[start..end];
        }
        let b = self.b;
        if i >= b.len() || !is_ident_start(b[i]) {
            return "";
        }
        let end = common::word_end(b, i + 1);
        self.last_word.set((i, end));
        &self.text[i..end]
    }

    fn word(&self) -> &'a str {
        self.word_at(self.pos)
    }

    /// A keyword token (`kw_*`): the word must be exactly `kw`.
    fn kw(&mut self, kw: &str) -> Option<()> {
        if self.word() == kw {
            self.pos += kw.len();
            Some(())
        } else {
            None
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        if self.peek() == c {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// The span of a rule from `start` to `end` (pest's end, maybe after
    /// trivia), trimmed as the lowering trims it.
    fn span(&self, start: usize, end: usize) -> Span {
        let b = self.b;
        let mut e = end;
        while e > start && matches!(b[e - 1], b' ' | b'\t' | b'\r' | b'\n') {
            e -= 1;
        }
        let last = if e > start { b[e - 1] } else { 0 };
        // `trim_end` also trims vertical tab and form feed.
        let plain_end = last.is_ascii()
            && !matches!(last, 0 | b'/' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
        let end = if plain_end && !self.slashes_in(start, e) {
            // Only ASCII whitespace after the last token and no `//` in
            // the span: nothing for trim_trivia to cut.
            e
        } else {
            common::trim_trivia(self.text, start, end)
        };
        Span::new(self.file, start as u32, end as u32)
    }

    /// Whether a `//` lies wholly inside `start..end`.
    fn slashes_in(&self, start: usize, end: usize) -> bool {
        let i = self.slashes.partition_point(|&p| p < start);
        self.slashes.get(i).is_some_and(|&p| p + 1 < end)
    }

    /// The span of an atomic token: nothing to trim.
    fn tok(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start as u32, end as u32)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        self.max_depth = self.max_depth.max(self.depth);
        if self.depth > MAX_NESTING {
            self.too_deep = true;
            return None;
        }
        Some(())
    }

    /// Runs `f`; when it fails, restores the position, the diagnostics
    /// and the depth it started with. Only where the grammar would try
    /// something else after a failure that is the grammar's, not the
    /// nesting bound's: callers check `too_deep`.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let (pos, diags, depth) = (self.pos, self.diags.len(), self.depth);
        let stacks = (
            self.attr_stack.len(),
            self.expr_stack.len(),
            self.entry_stack.len(),
        );
        let result = f(self);
        if result.is_none() {
            self.pos = pos;
            self.diags.truncate(diags);
            self.depth = depth;
            // What a failed node had gathered is no one's.
            self.attr_stack.truncate(stacks.0);
            self.expr_stack.truncate(stacks.1);
            self.entry_stack.truncate(stacks.2);
        }
        result
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// `ident`: a word that is not reserved.
    fn ident(&mut self) -> Option<Ident> {
        let w = self.word();
        if w.is_empty() || is_reserved(w) {
            return None;
        }
        let start = self.pos;
        self.pos += w.len();
        Some(Ident {
            name: w.to_string(),
            span: self.tok(start, self.pos),
        })
    }

    fn at_ident(&self) -> bool {
        let w = self.word();
        !w.is_empty() && !is_reserved(w)
    }

    /// `word`: any word, keywords included.
    fn any_word(&mut self) -> Option<Ident> {
        let w = self.word();
        if w.is_empty() {
            return None;
        }
        let start = self.pos;
        self.pos += w.len();
        Some(Ident {
            name: w.to_string(),
            span: self.tok(start, self.pos),
        })
    }

    /// `number`: digits (with `_`), a fraction, letters of a unit.
    fn number(&mut self) -> Option<Expr> {
        let b = self.b;
        let start = self.pos;
        if !self.peek().is_ascii_digit() {
            return None;
        }
        let mut i = start + 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
        if self.byte(i) == b'.' && self.byte(i + 1).is_ascii_digit() {
            i += 2;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        self.pos = i;
        Some(common::number(
            &self.text[start..i],
            self.tok(start, i),
            &mut self.diags,
        ))
    }

    /// `string`: text, escapes and `${expr}` interpolations.
    fn string(&mut self) -> Option<StringLit> {
        let b = self.b;
        let start = self.pos;
        self.expect(b'"')?;
        let mut parts: Vec<StrPart> = Vec::new();
        let mut text = String::new();
        loop {
            match self.peek() {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    let es = self.pos;
                    let len = match self.unicode_escape_len(es) {
                        Some(n) => n,
                        None => 1 + self.text[es + 1..].chars().next()?.len_utf8(),
                    };
                    self.pos = es + len;
                    let esc = &self.text[es..es + len];
                    match common::unescape(esc) {
                        Some(c) => text.push(c),
                        None => {
                            let span = self.span(es, es + len);
                            self.diags.push(common::unknown_escape(esc, span));
                        }
                    }
                }
                b'$' if self.byte(self.pos + 1) == b'{' => {
                    self.pos += 2;
                    self.skip();
                    let e = self.expr()?;
                    self.skip();
                    self.expect(b'}')?;
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text).into()));
                    }
                    parts.push(StrPart::Interp(Box::new(e)));
                }
                b'\n' => return None,
                _ if self.pos >= b.len() => return None,
                _ => {
                    let s = self.pos;
                    let mut i = s;
                    while i < b.len() {
                        match b[i] {
                            b'"' | b'\\' | b'\n' => break,
                            b'$' if b.get(i + 1) == Some(&b'{') => break,
                            _ => i += 1,
                        }
                    }
                    self.pos = i;
                    let run = &self.text[s..i];
                    if text.is_empty() && parts.is_empty() && self.peek() == b'"' {
                        // The whole string is one run of text: share it
                        // without an intermediate copy.
                        self.pos += 1;
                        return Some(StringLit {
                            parts: vec![StrPart::Text(arcstr::ArcStr::from(run))],
                            span: self.span(start, self.pos),
                        });
                    }
                    text.push_str(run);
                }
            }
        }
        if !text.is_empty() || parts.is_empty() {
            parts.push(StrPart::Text(text.into()));
        }
        Some(StringLit {
            parts,
            span: self.span(start, self.pos),
        })
    }

    /// The length of `\u{HEX}` (1 to 6 digits) at `at`, if one is there.
    fn unicode_escape_len(&self, at: usize) -> Option<usize> {
        if self.byte(at + 1) != b'u' || self.byte(at + 2) != b'{' {
            return None;
        }
        let mut n = 0;
        while n < 6 && self.byte(at + 3 + n).is_ascii_hexdigit() {
            n += 1;
        }
        (n > 0 && self.byte(at + 3 + n) == b'}').then_some(n + 4)
    }

    // ------------------------------------------------------------ items

    fn file(&mut self, items: usize) -> Option<Module> {
        let mut items = Vec::with_capacity(items);
        self.skip();
        loop {
            let save = self.pos;
            self.skip();
            let w = self.word();
            let item_start = matches!(
                w,
                "platform"
                    | "import"
                    | "component"
                    | "interface"
                    | "secret"
                    | "environment"
                    | "policy"
                    | "allow"
            ) || (!w.is_empty() && !is_reserved(w));
            if !item_start {
                self.pos = save;
                break;
            }
            items.push(self.item()?);
        }
        self.skip();
        // Every node took what it gathered; anything left would be a bug
        // here, and pest then decides.
        let gathered_all =
            self.attr_stack.is_empty() && self.expr_stack.is_empty() && self.entry_stack.is_empty();
        items.shrink_to_fit();
        (self.pos == self.b.len() && gathered_all).then_some(Module { items })
    }

    fn item(&mut self) -> Option<Item> {
        Some(match self.word() {
            "platform" => Item::Platform(self.platform()?),
            "import" => Item::Import(self.import()?),
            "component" => Item::Component(self.component()?),
            "interface" => Item::Interface(self.interface()?),
            "secret" if self.is_secret_decl() => Item::Secret(self.secret()?),
            "environment" => Item::Environment(self.environment()?),
            "policy" => Item::Policy(self.policy()?),
            "allow" => Item::Waiver(self.waiver()?),
            _ => Item::Instance(self.instance()?),
        })
    }

    /// `secret NAME from`: a secret declaration. Anything else after
    /// `secret` cannot be one, and is an instance of the type `secret`.
    fn is_secret_decl(&self) -> bool {
        let i = self.skip_from(self.pos + "secret".len());
        let w = self.word_at(i);
        if w.is_empty() || is_reserved(w) {
            return false;
        }
        let i = self.skip_from(i + w.len());
        self.word_at(i) == "from"
    }

    fn platform(&mut self) -> Option<PlatformDecl> {
        let start = self.pos;
        self.kw("platform")?;
        self.skip();
        let name = self.string()?;
        self.skip();
        let attrs = self.attr_block()?;
        Some(PlatformDecl {
            name,
            attrs,
            span: self.span(start, self.pos),
        })
    }

    /// `"{" ~ attr* ~ "}"`
    fn attr_block(&mut self) -> Option<Vec<Attr>> {
        self.expect(b'{')?;
        let mark = self.attr_stack.len();
        loop {
            let save = self.pos;
            self.skip();
            if !self.at_ident() {
                self.pos = save;
                break;
            }
            let attr = self.attr()?;
            self.attr_stack.push(attr);
        }
        self.skip();
        self.expect(b'}')?;
        Some(take_from(&mut self.attr_stack, mark))
    }

    fn attr(&mut self) -> Option<Attr> {
        let start = self.pos;
        let name = self.ident()?;
        self.skip();
        self.expect(b'=')?;
        self.skip();
        let value = self.expr()?;
        Some(Attr {
            name,
            value,
            span: self.span(start, self.pos),
        })
    }

    fn import(&mut self) -> Option<ImportDecl> {
        let start = self.pos;
        self.kw("import")?;
        self.skip();
        let path = self.string()?;
        self.skip();
        let mut alias = None;
        if self.word() == "as" {
            let save = self.pos;
            self.pos += 2;
            self.skip();
            alias = self.ident();
            if alias.is_none() {
                self.pos = save;
            }
        }
        Some(ImportDecl {
            path,
            alias,
            span: self.span(start, self.pos),
        })
    }

    fn interface(&mut self) -> Option<InterfaceDecl> {
        let start = self.pos;
        self.kw("interface")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.expect(b'{')?;
        let fields = self.fields()?;
        self.skip();
        self.expect(b'}')?;
        Some(InterfaceDecl {
            name,
            doc: common::doc_before(self.text, start),
            fields,
            span: self.span(start, self.pos),
        })
    }

    /// `(field_type ~ ","?)*`
    fn fields(&mut self) -> Option<Vec<FieldType>> {
        let mut fields = Vec::new();
        loop {
            let save = self.pos;
            self.skip();
            if !self.at_ident() {
                self.pos = save;
                break;
            }
            fields.push(self.field_type()?);
            self.skip();
            if self.peek() == b',' {
                self.pos += 1;
            }
        }
        Some(fields)
    }

    fn field_type(&mut self) -> Option<FieldType> {
        let start = self.pos;
        let name = self.ident()?;
        self.skip();
        self.expect(b':')?;
        self.skip();
        let ty = self.type_expr()?;
        Some(FieldType {
            name,
            ty,
            span: self.span(start, self.pos),
        })
    }

    fn component(&mut self) -> Option<ComponentDecl> {
        let start = self.pos;
        self.kw("component")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.expect(b'{')?;
        let mut c = ComponentDecl {
            name,
            doc: common::doc_before(self.text, start),
            charts: vec![],
            provides: vec![],
            requires: vec![],
            params: vec![],
            lets: vec![],
            asserts: vec![],
            resources: vec![],
            networks: vec![],
            exposes: vec![],
            values: vec![],
            span: Span::new(self.file, 0, 0),
        };
        loop {
            let save = self.pos;
            self.skip();
            let Some(kind) = self.member_kind() else {
                self.pos = save;
                break;
            };
            self.member(kind, &mut c)?;
        }
        self.skip();
        self.expect(b'}')?;
        c.span = self.span(start, self.pos);
        Some(c)
    }

    /// Which member starts here, in the grammar's order of alternatives.
    fn member_kind(&self) -> Option<Member> {
        Some(match self.word() {
            "chart" => Member::Chart,
            "provides" => Member::Provides,
            "requires" => Member::Requires,
            "param" => Member::Param,
            "let" => Member::Let,
            "assert" => Member::Assert,
            // `route assert` or `route resource`.
            "route" => {
                let i = self.skip_from(self.pos + "route".len());
                if self.word_at(i) == "assert" {
                    Member::Assert
                } else {
                    Member::Resource
                }
            }
            "cluster" | "resource" => Member::Resource,
            "network" => Member::Network,
            "expose" => Member::Expose,
            "values" => Member::Values,
            _ => return None,
        })
    }

    fn member(&mut self, kind: Member, c: &mut ComponentDecl) -> Option<()> {
        let start = self.pos;
        match kind {
            Member::Chart => {
                self.kw("chart")?;
                self.skip();
                let name = self.string()?;
                self.skip();
                self.kw("version")?;
                self.skip();
                let version = self.string()?;
                self.skip();
                self.kw("from")?;
                self.skip();
                let repository = self.string()?;
                self.skip();
                let mut timeout = None;
                if self.word() == "timeout" {
                    let save = self.pos;
                    self.pos += "timeout".len();
                    self.skip();
                    if self.peek().is_ascii_digit() {
                        timeout = Some(self.number()?);
                    } else {
                        self.pos = save;
                    }
                }
                c.charts.push(ChartDecl {
                    name,
                    version,
                    repository,
                    timeout,
                    span: self.span(start, self.pos),
                });
            }
            Member::Provides => {
                self.kw("provides")?;
                self.skip();
                let interface = self.type_name()?;
                self.skip();
                let cond = self.member_cond()?;
                self.skip();
                let fields = if self.peek() == b'{' {
                    self.attr_block()?
                } else {
                    vec![]
                };
                c.provides.push(ProvidesDecl {
                    interface,
                    cond,
                    fields,
                    span: self.span(start, self.pos),
                });
            }
            Member::Requires => {
                self.kw("requires")?;
                self.skip();
                let interface = self.type_name()?;
                self.skip();
                let cond = self.member_cond()?;
                c.requires.push(RequiresDecl {
                    interface,
                    cond,
                    span: self.span(start, self.pos),
                });
            }
            Member::Param => {
                self.kw("param")?;
                self.skip();
                let name = self.ident()?;
                self.skip();
                self.expect(b':')?;
                self.skip();
                let ty = self.type_expr()?;
                self.skip();
                let default = if self.peek() == b'=' {
                    self.pos += 1;
                    self.skip();
                    Some(self.expr()?)
                } else {
                    None
                };
                c.params.push(ParamDecl {
                    name,
                    doc: common::doc_before(self.text, start),
                    ty,
                    default,
                    span: self.span(start, self.pos),
                });
            }
            Member::Let => {
                self.kw("let")?;
                self.skip();
                let name = self.ident()?;
                self.skip();
                self.expect(b'=')?;
                self.skip();
                let value = self.expr()?;
                c.lets.push(LetDecl {
                    name,
                    doc: common::doc_before(self.text, start),
                    value,
                    span: self.span(start, self.pos),
                });
            }
            Member::Assert => {
                let route = self.word() == "route";
                if route {
                    self.pos += "route".len();
                    self.skip();
                }
                self.kw("assert")?;
                self.skip();
                let cond = self.expr()?;
                self.skip();
                self.kw("message")?;
                self.skip();
                let message = self.expr()?;
                c.asserts.push(AssertDecl {
                    route,
                    cond,
                    message,
                    span: self.span(start, self.pos),
                });
            }
            Member::Resource => {
                let (cluster, route) = match self.word() {
                    "cluster" => (true, false),
                    "route" => (false, true),
                    _ => (false, false),
                };
                if cluster || route {
                    self.pos += self.word().len();
                    self.skip();
                }
                self.kw("resource")?;
                self.skip();
                let name = self.ident()?;
                self.skip();
                let api_version = self.string()?;
                self.skip();
                let kind = self.any_word()?;
                self.skip();
                let each = if self.word() == "for" {
                    let fstart = self.pos;
                    self.pos += 3;
                    self.skip();
                    let var = self.ident()?;
                    self.skip();
                    self.kw("in")?;
                    self.skip();
                    let list = self.expr()?;
                    Some(ResourceFor {
                        var,
                        list,
                        span: self.span(fstart, self.pos),
                    })
                } else {
                    None
                };
                self.skip();
                let cond = self.member_cond()?;
                self.skip();
                let ready = if self.word() == "ready" {
                    self.pos += "ready".len();
                    self.skip();
                    let first = self.string()?;
                    self.skip();
                    let mut second = None;
                    if self.peek() == b'=' {
                        let save = self.pos;
                        self.pos += 1;
                        self.skip();
                        if self.peek() == b'"' {
                            second = Some(self.string()?);
                        } else {
                            self.pos = save;
                        }
                    }
                    Some(match second {
                        Some(pattern) => Ready::Field(first, pattern),
                        None => Ready::Condition(first),
                    })
                } else {
                    None
                };
                self.skip();
                let body = self.value_body()?;
                c.resources.push(ResourceDecl {
                    name,
                    doc: common::doc_before(self.text, start),
                    api_version,
                    kind,
                    cluster,
                    route,
                    each,
                    cond,
                    ready,
                    body,
                    span: self.span(start, self.pos),
                });
            }
            Member::Network => {
                self.kw("network")?;
                self.skip();
                let attrs = self.attr_block()?;
                c.networks.push(NetworkDecl {
                    attrs,
                    span: self.span(start, self.pos),
                });
            }
            Member::Expose => {
                self.kw("expose")?;
                self.skip();
                let name = self.ident()?;
                self.skip();
                let attrs = self.attr_block()?;
                c.exposes.push(ExposePoint {
                    name,
                    doc: common::doc_before(self.text, start),
                    attrs,
                    span: self.span(start, self.pos),
                });
            }
            Member::Values => {
                self.kw("values")?;
                self.skip();
                let stmts = self.value_body()?;
                c.values.push(ValuesBlock {
                    stmts,
                    span: self.span(start, self.pos),
                });
            }
        }
        Some(())
    }

    /// `member_cond?`: `if expr`, when the word here is `if`. The outer
    /// `None` gives up.
    fn member_cond(&mut self) -> Option<Option<Expr>> {
        if self.word() != "if" {
            return Some(None);
        }
        self.pos += 2;
        self.skip();
        Some(Some(self.expr()?))
    }

    /// `"{" ~ value_stmt* ~ "}"`
    fn value_body(&mut self) -> Option<Vec<ValueStmt>> {
        self.expect(b'{')?;
        let mut stmts = Vec::new();
        loop {
            let save = self.pos;
            self.skip();
            if self.word().is_empty() && self.peek() != b'"' {
                self.pos = save;
                break;
            }
            stmts.push(self.value_stmt()?);
        }
        self.skip();
        self.expect(b'}')?;
        Some(stmts)
    }

    fn value_stmt(&mut self) -> Option<ValueStmt> {
        if self.word() == "if" {
            match self.byte(self.skip_from(self.pos + 2)) {
                // `if = ...` and `if.x = ...` set a key named `if`: no
                // expression starts with `=` or `.`.
                b'=' | b'.' => {}
                // `if [c] { ... }` or `if[0] = ...`. When the statement
                // parses as an assignment, the grammar's first choice
                // fails: the condition would end at its `=` (a single
                // one, as no expression starts with `=`), not at a `{`.
                b'[' => {
                    if let Some(stmt) = self.attempt(Self::value_if) {
                        return Some(stmt);
                    }
                    if self.too_deep {
                        return None;
                    }
                }
                _ => return self.value_if(),
            }
        }
        self.value_assign()
    }

    /// `key_path ~ "=" ~ expr`
    fn value_assign(&mut self) -> Option<ValueStmt> {
        let start = self.pos;
        let mut path = vec![self.key_segment()?];
        loop {
            let save = self.pos;
            self.skip();
            match self.peek() {
                b'.' => {
                    self.pos += 1;
                    self.skip();
                    if self.word().is_empty() && self.peek() != b'"' {
                        self.pos = save;
                        break;
                    }
                    path.push(self.key_segment()?);
                }
                b'[' => {
                    let istart = self.pos;
                    self.pos += 1;
                    self.skip();
                    let index = self.expr()?;
                    self.skip();
                    self.expect(b']')?;
                    path.push(KeySegment {
                        kind: KeyKind::Index(index),
                        span: self.span(istart, self.pos),
                    });
                }
                _ => {
                    self.pos = save;
                    break;
                }
            }
        }
        common::limit_key_path(&mut path, &mut self.diags);
        self.skip();
        self.expect(b'=')?;
        self.skip();
        let value = self.expr()?;
        Some(ValueStmt::Assign {
            path,
            value,
            span: self.span(start, self.pos),
        })
    }

    /// `word | string` in a key path.
    fn key_segment(&mut self) -> Option<KeySegment> {
        if self.peek() == b'"' {
            let lit = self.string()?;
            let span = lit.span;
            let kind = match lit.as_plain() {
                Some(s) => KeyKind::Name(s.into()),
                None => KeyKind::Computed(lit),
            };
            return Some(KeySegment { kind, span });
        }
        let w = self.any_word()?;
        Some(KeySegment {
            kind: KeyKind::Name(w.name.into()),
            span: w.span,
        })
    }

    fn value_if(&mut self) -> Option<ValueStmt> {
        self.enter()?;
        let start = self.pos;
        self.kw("if")?;
        self.skip();
        let cond = self.expr()?;
        self.skip();
        let then = self.value_body()?;
        self.skip();
        // `else` then `if` or `{`; any other `else` is the key of the
        // next statement (`else = 1`).
        let mut otherwise = vec![];
        if self.word() == "else" {
            let after = self.skip_from(self.pos + 4);
            if self.word_at(after) == "if" {
                self.pos = after;
                otherwise.push(self.value_if()?);
            } else if self.byte(after) == b'{' {
                self.pos = after;
                otherwise = self.value_body()?;
            }
        }
        self.leave();
        Some(ValueStmt::If {
            cond,
            then,
            otherwise,
            span: self.span(start, self.pos),
        })
    }

    fn secret(&mut self) -> Option<SecretDecl> {
        let start = self.pos;
        self.kw("secret")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.kw("from")?;
        self.skip();
        let source = self.call()?;
        Some(SecretDecl {
            name,
            doc: common::doc_before(self.text, start),
            source,
            span: self.span(start, self.pos),
        })
    }

    fn environment(&mut self) -> Option<EnvironmentDecl> {
        let start = self.pos;
        self.kw("environment")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.expect(b'{')?;
        let mut overrides = Vec::new();
        loop {
            let save = self.pos;
            self.skip();
            if !self.at_ident() && self.word() != "platform" {
                self.pos = save;
                break;
            }
            overrides.push(self.override_decl()?);
        }
        self.skip();
        self.expect(b'}')?;
        Some(EnvironmentDecl {
            name,
            overrides,
            span: self.span(start, self.pos),
        })
    }

    fn override_decl(&mut self) -> Option<Override> {
        let start = self.pos;
        let mut target = vec![if self.word() == "platform" {
            self.pos += "platform".len();
            Ident {
                name: "platform".to_string(),
                span: self.tok(start, self.pos),
            }
        } else {
            self.ident()?
        }];
        // `("." ~ word)+`
        loop {
            let save = self.pos;
            self.skip();
            if self.peek() != b'.' {
                self.pos = save;
                break;
            }
            self.pos += 1;
            self.skip();
            match self.any_word() {
                Some(w) => target.push(w),
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        if target.len() < 2 {
            return None;
        }
        self.skip();
        self.expect(b'=')?;
        self.skip();
        let value = self.expr()?;
        Some(Override {
            target,
            value,
            span: self.span(start, self.pos),
        })
    }

    fn policy(&mut self) -> Option<PolicyDecl> {
        let start = self.pos;
        self.kw("policy")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.kw("severity")?;
        self.skip();
        let sev_start = self.pos;
        let severity = match self.word() {
            "deny" => PolicySeverity::Deny,
            "warn" => PolicySeverity::Warn,
            _ => return None,
        };
        self.pos += 4;
        let severity_span = self.tok(sev_start, self.pos);
        self.skip();
        self.kw("code")?;
        self.skip();
        let code = self.string()?;
        self.skip();
        self.expect(b'{')?;
        let mut rules = Vec::new();
        loop {
            let save = self.pos;
            self.skip();
            if self.word() != "for" {
                self.pos = save;
                break;
            }
            rules.push(self.policy_rule()?);
        }
        self.skip();
        self.expect(b'}')?;
        Some(PolicyDecl {
            name,
            doc: common::doc_before(self.text, start),
            severity,
            severity_span,
            code,
            rules,
            span: self.span(start, self.pos),
        })
    }

    fn policy_rule(&mut self) -> Option<PolicyRule> {
        let start = self.pos;
        self.kw("for")?;
        self.skip();
        let var = self.ident()?;
        self.skip();
        self.kw("in")?;
        self.skip();
        let collection = self.ident()?;
        self.skip();
        let filter = if self.word() == "where" {
            self.pos += "where".len();
            self.skip();
            Some(self.expr()?)
        } else {
            None
        };
        self.skip();
        self.kw("fail")?;
        self.skip();
        let subject = self.ident()?;
        self.skip();
        let message = self.expr()?;
        self.skip();
        let help = if self.word() == "help" {
            self.pos += "help".len();
            self.skip();
            Some(self.expr()?)
        } else {
            None
        };
        Some(PolicyRule {
            var,
            collection,
            filter,
            subject,
            message,
            help,
            span: self.span(start, self.pos),
        })
    }

    fn waiver(&mut self) -> Option<WaiverDecl> {
        let start = self.pos;
        self.kw("allow")?;
        self.skip();
        let policy = self.ident()?;
        self.skip();
        self.kw("for")?;
        self.skip();
        let mut target = vec![self.ident()?];
        let mut edge = false;
        self.skip();
        let save = self.pos;
        let sep = match (self.peek(), self.byte(self.pos + 1)) {
            (b'.', _) => Some(1),
            (b'-', b'>') => Some(2),
            _ => None,
        };
        if let Some(len) = sep {
            self.pos += len;
            self.skip();
            match self.ident() {
                Some(second) => {
                    target.push(second);
                    edge = len == 2;
                }
                None => self.pos = save,
            }
        }
        self.skip();
        self.kw("reason")?;
        self.skip();
        let reason = self.string()?;
        self.skip();
        let until = if self.word() == "until" {
            self.pos += "until".len();
            self.skip();
            Some(self.date()?)
        } else {
            None
        };
        Some(WaiverDecl {
            policy,
            target,
            edge,
            reason,
            until,
            span: self.span(start, self.pos),
        })
    }

    /// `date`: `YYYY-MM-DD`, not followed by a name character.
    fn date(&mut self) -> Option<(Date, Span)> {
        let s = self.pos;
        let digits =
            |r: std::ops::Range<usize>| r.into_iter().all(|i| self.byte(s + i).is_ascii_digit());
        let shape = digits(0..4)
            && self.byte(s + 4) == b'-'
            && digits(5..7)
            && self.byte(s + 7) == b'-'
            && digits(8..10)
            && !is_ident_char(self.byte(s + 10));
        if !shape {
            return None;
        }
        self.pos = s + 10;
        let span = self.tok(s, self.pos);
        let date = common::date(&self.text[s..self.pos], span, &mut self.diags);
        Some((date, span))
    }

    fn instance(&mut self) -> Option<InstanceDecl> {
        let start = self.pos;
        let component = self.type_name()?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.expect(b'{')?;
        let mark = self.attr_stack.len();
        let mut exposes = Vec::new();
        loop {
            let save = self.pos;
            self.skip();
            if self.word() == "expose" {
                let estart = self.pos;
                self.pos += "expose".len();
                self.skip();
                let name = self.ident()?;
                self.skip();
                let attrs = self.attr_block()?;
                exposes.push(ExposeDecl {
                    name,
                    attrs,
                    span: self.span(estart, self.pos),
                });
            } else if self.at_ident() {
                let attr = self.attr()?;
                self.attr_stack.push(attr);
            } else {
                self.pos = save;
                break;
            }
        }
        self.skip();
        self.expect(b'}')?;
        Some(InstanceDecl {
            component,
            name,
            doc: common::doc_before(self.text, start),
            attrs: take_from(&mut self.attr_stack, mark),
            exposes,
            span: self.span(start, self.pos),
        })
    }

    // ------------------------------------------------------------ types

    /// `type_name`: `(ident | secret) ~ ("." ~ ident)?`
    fn type_name(&mut self) -> Option<TypeName> {
        let start = self.pos;
        let first = if self.word() == "secret" {
            self.pos += "secret".len();
            Ident {
                name: "secret".to_string(),
                span: self.tok(start, self.pos),
            }
        } else {
            self.ident()?
        };
        self.skip();
        let mut module = None;
        let mut name = first;
        if self.peek() == b'.' {
            let save = self.pos;
            self.pos += 1;
            self.skip();
            match self.ident() {
                Some(second) => module = Some(std::mem::replace(&mut name, second)),
                None => self.pos = save,
            }
        }
        Some(TypeName {
            module,
            name,
            span: self.span(start, self.pos),
        })
    }

    fn type_expr(&mut self) -> Option<TypeExpr> {
        self.enter()?;
        let start = self.pos;
        let base = self.type_union()?;
        self.skip();
        let ty = if self.peek() == b'?' {
            self.pos += 1;
            TypeExpr {
                kind: TypeExprKind::Optional(Box::new(base)),
                span: self.span(start, self.pos),
            }
        } else {
            base
        };
        self.leave();
        Some(ty)
    }

    /// `type_term ~ ("|" ~ type_term)*`: one term is itself; more must all
    /// be strings (an enum), reported as the lowering does otherwise.
    fn type_union(&mut self) -> Option<TypeExpr> {
        let start = self.pos;
        let mut pending = Some(self.type_term()?);
        let mut variants = Vec::new();
        loop {
            let save = self.pos;
            self.skip();
            if self.peek() != b'|' {
                self.pos = save;
                break;
            }
            self.pos += 1;
            self.skip();
            if !self.at_type_term() {
                self.pos = save;
                break;
            }
            if let Some(first) = pending.take() {
                self.variant(first, &mut variants);
            }
            let term = self.type_term()?;
            self.variant(term, &mut variants);
        }
        match pending {
            Some(Term::Str(lit)) => {
                let span = lit.span;
                let value = lit.as_plain().unwrap_or_default();
                Some(TypeExpr {
                    kind: TypeExprKind::Enum(vec![(value, span)]),
                    span,
                })
            }
            Some(Term::Other(ty, _, _)) => Some(ty),
            None => Some(TypeExpr {
                kind: TypeExprKind::Enum(variants),
                span: self.span(start, self.pos),
            }),
        }
    }

    /// One term of a union of several: a plain string is a variant;
    /// anything else is reported, and what it reported itself dropped (the
    /// lowering never looks inside it).
    fn variant(&mut self, term: Term, variants: &mut Vec<(String, Span)>) {
        match term {
            Term::Str(lit) => match lit.as_plain() {
                Some(s) => variants.push((s, lit.span)),
                None => self.diags.push(common::interpolated_variant(lit.span)),
            },
            Term::Other(_, span, diags_before) => {
                self.diags.truncate(diags_before);
                self.diags.push(common::not_a_variant(span));
            }
        }
    }

    fn at_type_term(&self) -> bool {
        matches!(self.peek(), b'"' | b'(' | b'{') || {
            let w = self.word();
            w == "secret" || (!w.is_empty() && !is_reserved(w))
        }
    }

    fn type_term(&mut self) -> Option<Term> {
        let start = self.pos;
        let diags_before = self.diags.len();
        let other =
            |this: &Self, ty: TypeExpr| Term::Other(ty, this.span(start, this.pos), diags_before);
        match self.peek() {
            b'"' => return Some(Term::Str(self.string()?)),
            b'(' => {
                self.pos += 1;
                self.skip();
                let ty = self.type_expr()?;
                self.skip();
                self.expect(b')')?;
                return Some(other(self, ty));
            }
            b'{' => {
                self.pos += 1;
                let fields = self.fields()?;
                self.skip();
                self.expect(b'}')?;
                let ty = TypeExpr {
                    kind: TypeExprKind::Record(fields),
                    span: self.span(start, self.pos),
                };
                return Some(other(self, ty));
            }
            _ => {}
        }
        for (word, list) in [("list", true), ("map", false)] {
            if self.text[start..].starts_with(word)
                && self.byte(self.skip_from(start + word.len())) == b'<'
            {
                self.pos = self.skip_from(start + word.len()) + 1;
                self.skip();
                let inner = Box::new(self.type_expr()?);
                self.skip();
                self.expect(b'>')?;
                let kind = if list {
                    TypeExprKind::List(inner)
                } else {
                    TypeExprKind::Map(inner)
                };
                let ty = TypeExpr {
                    kind,
                    span: self.span(start, self.pos),
                };
                return Some(other(self, ty));
            }
        }
        let name = self.type_name()?;
        self.skip();
        let constraint = if self.peek() == b'(' {
            Some(Box::new(self.constraint()?))
        } else {
            None
        };
        let ty = TypeExpr {
            kind: TypeExprKind::Named { name, constraint },
            span: self.span(start, self.pos),
        };
        Some(other(self, ty))
    }

    fn constraint(&mut self) -> Option<Constraint> {
        let start = self.pos;
        self.expect(b'(')?;
        self.skip();
        let kind = if self.word() == "matches" {
            self.pos += "matches".len();
            self.skip();
            let lit = self.string()?;
            let span = lit.span;
            ConstraintKind::Pattern(lit.as_plain().unwrap_or_default(), span)
        } else {
            let lo = self.bound()?;
            self.skip();
            if !self.text[self.pos..].starts_with("..") {
                return None;
            }
            self.pos += 2;
            self.skip();
            let hi = self.bound()?;
            ConstraintKind::Range { lo, hi }
        };
        self.skip();
        self.expect(b')')?;
        Some(Constraint {
            kind,
            span: self.span(start, self.pos),
        })
    }

    /// `bound?`: `-`? number. The outer `None` gives up.
    fn bound(&mut self) -> Option<Option<Expr>> {
        let start = self.pos;
        match self.peek() {
            b'-' => {
                self.pos += 1;
                self.skip();
                let num = self.number()?;
                Some(Some(Expr {
                    kind: ExprKind::Unary(UnaryOp::Neg, Box::new(num)),
                    span: self.span(start, self.pos),
                }))
            }
            b'0'..=b'9' => Some(Some(self.number()?)),
            _ => Some(None),
        }
    }

    // ------------------------------------------------------------ expressions

    /// Whether an operand can start here; when not, pest's fails too.
    fn at_operand(&self) -> bool {
        match self.peek() {
            b'-' | b'!' | b'(' | b'[' | b'{' | b'"' | b'0'..=b'9' => true,
            _ => {
                let w = self.word();
                !w.is_empty()
                    && (!is_reserved(w)
                        || matches!(w, "if" | "true" | "false" | "none" | "self" | "platform"))
            }
        }
    }

    /// The infix operator here and its length, in the grammar's order.
    fn infix(&self) -> Option<(BinaryOp, usize)> {
        let two = (self.peek(), self.byte(self.pos + 1));
        Some(match two {
            (b'|', b'|') => (BinaryOp::Or, 2),
            (b'&', b'&') => (BinaryOp::And, 2),
            (b'=', b'=') => (BinaryOp::Eq, 2),
            (b'!', b'=') => (BinaryOp::Ne, 2),
            (b'<', b'=') => (BinaryOp::Le, 2),
            (b'>', b'=') => (BinaryOp::Ge, 2),
            (b'<', _) => (BinaryOp::Lt, 1),
            (b'>', _) => (BinaryOp::Gt, 1),
            (b'+', _) => (BinaryOp::Add, 1),
            (b'-', _) => (BinaryOp::Sub, 1),
            (b'*', _) => (BinaryOp::Mul, 1),
            (b'/', _) => (BinaryOp::Div, 1),
            (b'%', _) => (BinaryOp::Rem, 1),
            _ if self.word() == "in" => (BinaryOp::In, 2),
            _ => return None,
        })
    }

    fn expr(&mut self) -> Option<Expr> {
        self.enter()?;
        let start = self.pos;
        let first = self.operand()?;
        self.skip();
        let mut operands: Vec<Expr> = Vec::new();
        let mut ops: Vec<BinaryOp> = Vec::new();
        loop {
            let save = self.pos;
            self.skip();
            let Some((op, len)) = self.infix() else {
                self.pos = save;
                break;
            };
            self.pos += len;
            self.skip();
            if !self.at_operand() {
                self.pos = save;
                break;
            }
            ops.push(op);
            operands.push(self.operand()?);
        }
        self.leave();
        if ops.is_empty() {
            return Some(first);
        }
        let span = self.span(start, self.pos);
        if ops.len() > MAX_OPERATORS {
            self.diags.push(common::too_many_operators(ops.len(), span));
            return Some(Expr {
                kind: ExprKind::None,
                span,
            });
        }
        operands.insert(0, first);
        Some(common::fold_binary(operands, ops))
    }

    /// `prefix* ~ primary ~ postfix*`
    fn operand(&mut self) -> Option<Expr> {
        let start = self.pos;
        let mut prefixes: Vec<(UnaryOp, Span)> = Vec::new();
        // Prefixes, the value and postfixes, counted as the lowering counts
        // them: past MAX_OPERATORS it reports the chain and lowers nothing
        // more, so what the rest reports is dropped.
        let mut count = 0usize;
        let mut cut: Option<usize> = None;
        fn tally(count: &mut usize, cut: &mut Option<usize>, diags: usize) {
            *count += 1;
            if *count > MAX_OPERATORS && cut.is_none() {
                *cut = Some(diags);
            }
        }
        loop {
            let op = match self.peek() {
                b'-' => UnaryOp::Neg,
                b'!' => UnaryOp::Not,
                _ => break,
            };
            tally(&mut count, &mut cut, self.diags.len());
            prefixes.push((op, self.tok(self.pos, self.pos + 1)));
            self.pos += 1;
            self.skip();
        }
        tally(&mut count, &mut cut, self.diags.len());
        let mut base = self.primary()?;
        self.skip();
        loop {
            let save = self.pos;
            self.skip();
            match self.peek() {
                b'.' => {
                    let fstart = self.pos;
                    self.pos += 1;
                    self.skip();
                    let Some(name) = self.any_word() else {
                        self.pos = save;
                        break;
                    };
                    tally(&mut count, &mut cut, self.diags.len());
                    let span = base.span.to(self.span(fstart, self.pos));
                    base = Expr {
                        kind: ExprKind::Field(Box::new(base), name),
                        span,
                    };
                }
                b'[' => {
                    // When no index parses here, the operand ends before
                    // the `[`: in a list it starts the next element
                    // (`[a [1, 2]]`, `[a []]`).
                    let istart = self.pos;
                    let (cut_before, diags) = (cut, self.diags.len());
                    tally(&mut count, &mut cut, self.diags.len());
                    let Some(index) = self.attempt(|p| {
                        p.pos += 1;
                        p.skip();
                        let index = p.expr()?;
                        p.skip();
                        p.expect(b']')?;
                        Some(index)
                    }) else {
                        if self.too_deep {
                            return None;
                        }
                        cut = cut_before;
                        self.diags.truncate(diags);
                        self.pos = save;
                        break;
                    };
                    let span = base.span.to(self.span(istart, self.pos));
                    base = Expr {
                        kind: ExprKind::Index(Box::new(base), Box::new(index)),
                        span,
                    };
                }
                _ => {
                    self.pos = save;
                    break;
                }
            }
        }
        if let Some(mark) = cut {
            self.diags.truncate(mark);
            let span = self.span(start, self.pos);
            self.diags.push(common::too_long_chain(span));
            return Some(Expr {
                kind: ExprKind::None,
                span,
            });
        }
        Some(if prefixes.is_empty() {
            base
        } else {
            common::apply_prefixes(base, prefixes)
        })
    }

    fn primary(&mut self) -> Option<Expr> {
        let start = self.pos;
        match self.peek() {
            b'(' => {
                self.pos += 1;
                self.skip();
                let e = self.expr()?;
                self.skip();
                self.expect(b')')?;
                Some(e)
            }
            b'[' => {
                if self.word_at(self.skip_from(start + 1)) == "for" {
                    return self.comprehension(false);
                }
                self.pos += 1;
                let mark = self.expr_stack.len();
                loop {
                    let save = self.pos;
                    self.skip();
                    if !self.at_operand() {
                        self.pos = save;
                        break;
                    }
                    let item = self.expr()?;
                    self.expr_stack.push(item);
                    self.skip();
                    if self.peek() == b',' {
                        self.pos += 1;
                    }
                }
                self.skip();
                self.expect(b']')?;
                Some(Expr {
                    kind: ExprKind::List(take_from(&mut self.expr_stack, mark)),
                    span: self.span(start, self.pos),
                })
            }
            b'{' => {
                // `{for x in ...}` is a map comprehension, `{for = 1}` a
                // record with the key `for`.
                let i = self.skip_from(start + 1);
                if self.word_at(i) == "for" && self.byte(self.skip_from(i + 3)) != b'=' {
                    return self.comprehension(true);
                }
                self.record()
            }
            b'"' => {
                let lit = self.string()?;
                let span = lit.span;
                Some(Expr {
                    kind: ExprKind::Str(lit),
                    span,
                })
            }
            b'0'..=b'9' => self.number(),
            _ => {
                let w = self.word();
                let kind = match w {
                    "" => return None,
                    "if" => return self.cond_expr(),
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "none" => ExprKind::None,
                    "self" => ExprKind::SelfRef,
                    "platform" => ExprKind::Platform,
                    w if is_reserved(w) => return None,
                    w => {
                        let end = start + w.len();
                        if self.byte(self.skip_from(end)) == b'(' {
                            let call = self.call()?;
                            let span = call.span;
                            return Some(Expr {
                                kind: ExprKind::Call(Box::new(call)),
                                span,
                            });
                        }
                        ExprKind::Name(w.to_string())
                    }
                };
                self.pos = start + w.len();
                Some(Expr {
                    kind,
                    span: self.tok(start, self.pos),
                })
            }
        }
    }

    fn record(&mut self) -> Option<Expr> {
        let start = self.pos;
        self.expect(b'{')?;
        let mark = self.entry_stack.len();
        loop {
            let save = self.pos;
            self.skip();
            let key = if self.peek() == b'"' {
                let lit = self.string()?;
                match lit.as_plain() {
                    Some(name) => RecordKey::Plain(KeyName {
                        name: name.into(),
                        span: lit.span,
                    }),
                    None => RecordKey::Computed(lit),
                }
            } else if let Some(w) = self.any_word() {
                RecordKey::Plain(KeyName {
                    name: w.name.into(),
                    span: w.span,
                })
            } else {
                self.pos = save;
                break;
            };
            self.skip();
            self.expect(b'=')?;
            self.skip();
            let value = self.expr()?;
            self.entry_stack.push(RecordEntry { key, value });
            self.skip();
            if self.peek() == b',' {
                self.pos += 1;
            }
        }
        self.skip();
        self.expect(b'}')?;
        Some(Expr {
            kind: ExprKind::Record(take_from(&mut self.entry_stack, mark)),
            span: self.span(start, self.pos),
        })
    }

    /// `list_comp` (`[for ...: value]`) or `map_comp` (`{for ...: key = value}`).
    fn comprehension(&mut self, map: bool) -> Option<Expr> {
        let start = self.pos;
        self.pos += 1;
        self.skip();
        self.kw("for")?;
        self.skip();
        let first = self.ident()?;
        self.skip();
        let (key_var, var) = if self.peek() == b',' {
            self.pos += 1;
            self.skip();
            (Some(first), self.ident()?)
        } else {
            (None, first)
        };
        self.skip();
        self.kw("in")?;
        self.skip();
        let source = self.expr()?;
        self.skip();
        let filter = if self.word() == "if" {
            self.pos += 2;
            self.skip();
            Some(self.expr()?)
        } else {
            None
        };
        self.skip();
        self.expect(b':')?;
        self.skip();
        let body = self.expr()?;
        self.skip();
        let (key, value) = if map {
            self.expect(b'=')?;
            self.skip();
            let value = self.expr()?;
            self.skip();
            self.expect(b'}')?;
            (Some(body), value)
        } else {
            self.expect(b']')?;
            (None, body)
        };
        Some(Expr {
            kind: ExprKind::Comprehension(Box::new(Comprehension {
                key_var,
                var,
                source,
                filter,
                key,
                value,
            })),
            span: self.span(start, self.pos),
        })
    }

    /// `if c { a } else { b }`, `else if` nesting another.
    fn cond_expr(&mut self) -> Option<Expr> {
        self.enter()?;
        let start = self.pos;
        self.kw("if")?;
        self.skip();
        let cond = self.expr()?;
        self.skip();
        let then = self.braced_expr()?;
        self.skip();
        self.kw("else")?;
        self.skip();
        let otherwise = if self.word() == "if" {
            self.cond_expr()?
        } else {
            self.braced_expr()?
        };
        self.leave();
        Some(Expr {
            kind: ExprKind::If(Box::new(cond), Box::new(then), Box::new(otherwise)),
            span: self.span(start, self.pos),
        })
    }

    /// `"{" ~ expr ~ "}"`
    fn braced_expr(&mut self) -> Option<Expr> {
        self.expect(b'{')?;
        self.skip();
        let e = self.expr()?;
        self.skip();
        self.expect(b'}')?;
        Some(e)
    }

    /// `ident ~ "(" ~ (expr ~ ("," ~ expr)* ~ ","?)? ~ ")"`
    fn call(&mut self) -> Option<Call> {
        let start = self.pos;
        let func = self.ident()?;
        self.skip();
        self.expect(b'(')?;
        self.skip();
        let mark = self.expr_stack.len();
        if self.at_operand() {
            let arg = self.expr()?;
            self.expr_stack.push(arg);
            loop {
                let save = self.pos;
                self.skip();
                if self.peek() != b',' {
                    self.pos = save;
                    break;
                }
                self.pos += 1;
                self.skip();
                if !self.at_operand() {
                    self.pos = save;
                    break;
                }
                let arg = self.expr()?;
                self.expr_stack.push(arg);
            }
            self.skip();
            if self.peek() == b',' {
                self.pos += 1;
            }
        }
        self.skip();
        self.expect(b')')?;
        Some(Call {
            func,
            args: take_from(&mut self.expr_stack, mark),
            span: self.span(start, self.pos),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The descent parser's result on `text`, checked against pest and the
    /// lowering: `None` when it gave up.
    fn same(text: &str) -> Option<(Module, Vec<Diagnostic>)> {
        let descent = parse(FileId(0), text, 0);
        if let Some(d) = &descent {
            // Only then: pest itself overflows its stack on nesting the
            // scan refuses before either parser runs.
            let pest = crate::parse_pest_only(FileId(0), text);
            let p = pest
                .as_ref()
                .unwrap_or_else(|| panic!("pest rejects {text:?}"));
            assert_eq!(d, p, "{text:?}");
            assert_eq!(format!("{d:?}"), format!("{p:?}"), "{text:?}");
        }
        descent
    }

    /// The remembered word is the word scanned afresh, whatever positions
    /// are asked for and in whatever order (the same one again, the end of
    /// the text, bytes that start no word, the middle of a word).
    #[test]
    fn remembered_words_are_the_words_at_each_position() {
        let text = "component c_1 {\n  x = if9 (y) \"é\" ab_c\n}";
        let p = Parser::new(FileId(0), text);
        let fresh = |i: usize| -> &str {
            let b = text.as_bytes();
            if i >= b.len() || !is_ident_start(b[i]) {
                return "";
            }
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            &text[i..j]
        };
        let n = text.len();
        let order = (0..=n + 1)
            .chain((0..=n + 1).rev())
            .chain((0..=n).flat_map(|i| [i, i, (i * 7) % (n + 1)]));
        for i in order {
            assert_eq!(p.word_at(i), fresh(i), "at {i}");
        }
    }

    /// Text the grammar accepts, which the descent parser must take.
    fn takes(text: &str) -> (Module, Vec<Diagnostic>) {
        assert!(
            crate::parse_pest_only(FileId(0), text).is_some(),
            "pest rejects {text:?}"
        );
        same(text).unwrap_or_else(|| panic!("the descent parser gave up on {text:?}"))
    }

    /// Text the grammar rejects: the descent parser must give up.
    fn refuses(text: &str) {
        assert!(parse(FileId(0), text, 0).is_none(), "took {text:?}");
        assert!(
            crate::parse_pest_only(FileId(0), text).is_none(),
            "pest took {text:?}"
        );
    }

    /// The value of `let x = EXPR` in a component, with the diagnostics.
    fn expr(text: &str) -> (Expr, Vec<Diagnostic>) {
        let (m, diags) = takes(&format!("component c {{\n  let x = {text}\n}}\n"));
        let Some(Item::Component(c)) = m.items.into_iter().next() else {
            panic!("not a component")
        };
        (c.lets.into_iter().next().unwrap().value, diags)
    }

    fn codes(diags: &[Diagnostic]) -> Vec<&str> {
        diags.iter().map(|d| d.code).collect()
    }

    #[test]
    fn keywords_end_at_a_word_boundary() {
        // Reserved words are names when they are a prefix of a longer one.
        takes("iffy i {}\nselfish s { a = self_x }\nc x { a = ina  b = formula  c = in_ }");
        takes("c x { a = b in c }");
        refuses("c x { a = b ina }");
        refuses("if x {}");
        refuses("c self {}");
        // Contextual keywords are names wherever they are not expected.
        takes("as as { from = 1  version = 2  message = 3  route = 4 }");
        takes(
            "component c { param let: int = 1  param resource: int = 2  param cluster: int = 3 }",
        );
        takes("c x { a = true_ b = nonex c = platformy d = selfx }");
        let (e, _) = expr("self.platform.in.if");
        assert!(matches!(e.kind, ExprKind::Field(..)));
    }

    #[test]
    fn minus_is_binary_between_operands_and_folds_into_literals() {
        let (e, _) = expr("a-b");
        assert!(matches!(e.kind, ExprKind::Binary(BinaryOp::Sub, ..)));
        let (e, _) = expr("a - -b");
        let ExprKind::Binary(BinaryOp::Sub, _, rhs) = e.kind else {
            panic!()
        };
        assert!(matches!(rhs.kind, ExprKind::Unary(UnaryOp::Neg, _)));
        assert_eq!(expr("-1").0.kind, ExprKind::Int(-1));
        assert_eq!(expr("-0.5").0.kind, ExprKind::Float(-0.5));
        assert!(matches!(
            expr("- 1").0.kind,
            ExprKind::Unary(UnaryOp::Neg, _)
        ));
        // Each `-` right before a literal folds into it.
        assert_eq!(expr("--1").0.kind, ExprKind::Int(1));
        assert!(matches!(
            expr("- -1").0.kind,
            ExprKind::Unary(UnaryOp::Neg, _)
        ));
        for text in [
            "a--b",
            "1-1",
            "!a && -b",
            "!!a",
            "a - - - 1",
            "-a.b[0]",
            "- /* c */ 1",
        ] {
            expr(text);
        }
    }

    #[test]
    fn operators_bind_by_precedence_left_to_right() {
        for text in [
            "a || b && c == d != e < f <= g > h >= i in j + k - l * m / n % o",
            "a * b + c",
            "a + b * c",
            "a - b - c",
            "a / b / c",
            "(a || b) && c",
            "a<=b",
            "a>=b",
            "a<b",
            "a>b",
            "a==b",
            "a!=b",
            "a//c\n + b",
            "a /* c */ / b",
            "x in [1, 2]",
            "\"a\" in xs && !(1 in ys)",
        ] {
            expr(text);
        }
        let (e, _) = expr("1 + 2 * 3 - 4");
        let ExprKind::Binary(BinaryOp::Sub, lhs, _) = e.kind else {
            panic!()
        };
        assert!(matches!(lhs.kind, ExprKind::Binary(BinaryOp::Add, ..)));
        // An operator without a right operand ends the expression there.
        refuses("c x { a = b + }");
        refuses("c x { a = b < }");
    }

    #[test]
    fn strings_hold_escapes_and_nested_interpolations() {
        for text in [
            r#""plain""#,
            r#""""#,
            r#""a\nb\t\"\\\$""#,
            r#""\u{1F600}\u{e9}""#,
            r#""$x $ {x}""#,
            r#""${a}""#,
            r#""x${ a + 1 }y${b}""#,
            r#""${ {k = "}"}.k }""#,
            r#""${"${"deep"}"}""#,
            r#""${[for s in xs: "${s}-"]}""#,
            r#""é ${"ü"} ✓""#,
            r#""http://example.com/a//b""#,
            r#""${"a//b"}" // trailing"#,
        ] {
            let (e, diags) = expr(text);
            assert!(matches!(e.kind, ExprKind::Str(_)), "{text}");
            assert!(diags.is_empty(), "{text}: {diags:?}");
        }
        // Unknown escapes: reported (E0103), the rest of the text kept.
        for (text, escape) in [
            (r#""a\qb""#, r"\q"),
            (r#""\u{zz}""#, r"\u"),
            (r#""\u{1234567}""#, r"\u"),
            (r#""\u{D800}""#, r"\u{D800}"),
            (r#""\é""#, r"\é"),
            (r#""a\ b""#, r"\ "),
        ] {
            let (_, diags) = expr(text);
            assert_eq!(codes(&diags), ["E0103"], "{text}");
            assert!(
                diags[0].message.contains(escape),
                "{text}: {}",
                diags[0].message
            );
        }
        refuses("c x { a = \"no end }");
        refuses("c x { a = \"line\nbreak\" }");
        refuses("c x { a = \"${\" }");
        refuses("c x { a = \"${}\" }");
        refuses("c x { a = \"\\");
    }

    #[test]
    fn conditionals_chain_through_else_if() {
        let (e, _) = expr("if a { 1 } else if b { 2 } else if c { 3 } else { 4 }");
        let ExprKind::If(_, _, otherwise) = e.kind else {
            panic!()
        };
        assert!(matches!(otherwise.kind, ExprKind::If(..)));
        expr("if if a { b } else { c } { 1 } else { 2 }");
        expr("if a == {} { {} } else { [] }");
        refuses("c x { a = if a { 1 } }");
        refuses("c x { a = if a { 1 } else }");
        takes(
            "component c { values {\n if a { x = 1 } else if b { y = 2 } else { z = 3 }\n \
             if c { w = 1 }\n if = 1\n if.x = 2\n else = 3\n for = 4\n} }",
        );
        // `if [` starts a condition or the key `if` with an index; an
        // `else` not followed by `if` or `{` is the next key.
        let (m, _) = takes(
            "component c { values {\n if [a] == b { x = 1 }\n if[0] = 1\n if [0].a[1] = 2\n \
             if c { } else = 3\n if c { } else.x = 4\n} }",
        );
        let Some(Item::Component(c)) = m.items.first() else {
            panic!()
        };
        let ifs: Vec<bool> = c.values[0]
            .stmts
            .iter()
            .map(|s| matches!(s, ValueStmt::If { .. }))
            .collect();
        assert_eq!(ifs, [true, false, false, true, false, true, false]);
        refuses("component c { values { if [0] = 1 { } } }");
        refuses("component c { values { if c { } else if = 1 } }");
    }

    #[test]
    fn records_and_map_comprehensions_start_alike() {
        let (e, _) = expr("{for = 1, in = 2}");
        assert!(matches!(e.kind, ExprKind::Record(_)));
        let (e, _) = expr("{for k, v in m if v != none: \"${k}\" = v}");
        assert!(matches!(e.kind, ExprKind::Comprehension(_)));
        let (e, _) = expr("[for x in xs: x]");
        assert!(matches!(e.kind, ExprKind::Comprehension(_)));
        for text in [
            "{}",
            "{a = 1 b = 2}",
            "{a = 1, b = 2,}",
            "{\"a.b\" = 1, \"${k}\" = 2}",
            "{ /* c */ for /* c */ = 1 }",
            "[for i, x in xs: {i = i}]",
            "[]",
            "[1, 2,]",
            "[1 2]",
            "{for x in xs: x = x}.a",
            "[for x in [for y in ys: y]: x][0]",
            // An index that does not parse ends the element: the next
            // starts at its `[`.
            "[a [1, 2]]",
            "[a [1 2]]",
            "[a []]",
            "[a [for x in xs: x]]",
            "[a [1,]]",
            "[a[0] [1]]",
        ] {
            expr(text);
        }
        refuses("c x { a = {for} }");
        refuses("c x { a = {for x in xs} }");
        refuses("c x { a = [for x in xs] }");
    }

    #[test]
    fn types_take_lists_maps_records_unions_and_constraints() {
        let params = [
            "list<string>",
            "list <map<int>>",
            "list",
            "map",
            "listx",
            "list_of_x",
            "secret",
            "secret?",
            "{ a: int, b: list<{ c: secret }> }?",
            "(\"a\" | \"b\")?",
            "\"a\" | \"b\" | \"c\"",
            "\"only\"",
            "int(1..)",
            "int(..5)",
            "int(-5..-1)",
            "int(- 5..5)",
            "bytes(1Gi..20Gi)",
            "string(matches \"^[a-z]+$\")",
            "m.Type",
            "(int)",
            "((list<int>))",
        ];
        for ty in params {
            let (m, diags) = takes(&format!("component c {{ param p: {ty} }}"));
            assert!(diags.is_empty(), "{ty}: {diags:?}");
            assert_eq!(m.items.len(), 1);
        }
        // Unions of other types: reported as the lowering does, and what the
        // other terms would report is not.
        for (ty, n) in [
            ("\"a\" | int", 1),
            ("int | \"a\"", 1),
            ("\"a\" | \"${x}\"", 1),
            ("int | list<int> | (bool)", 3),
            ("\"a\" | int(1xyz..)", 1),
            ("int(1xyz..) | \"a\"", 1),
        ] {
            let (_, diags) = takes(&format!("component c {{ param p: {ty} }}"));
            assert_eq!(codes(&diags), vec!["E0101"; n], "{ty}");
        }
        let (_, diags) = takes("component c { param p: int(1xyz..) }");
        assert_eq!(codes(&diags), ["E0104"]);
        refuses("component c { param p: list<int }");
        refuses("component c { param p: int(1) }");
        refuses("component c { param p: \"a\" || \"b\" }");
    }

    #[test]
    fn numbers_and_units_lower_like_the_lowering() {
        for (text, code) in [
            ("1_000", None),
            ("0.5", None),
            ("20Gi", None),
            ("5min", None),
            ("1.5Gi", None),
            ("500m", None),
            ("30s", None),
            ("100ms", None),
            ("2h", None),
            ("1d", None),
            ("3xx", Some("E0104")),
            ("20GB", Some("E0104")),
            ("0.5m", Some("E0104")),
            ("99999999999999999999", Some("E0104")),
            ("99999999999Ei", Some("E0104")),
            ("1_0.25", None),
            ("1.x", None),
        ] {
            let (_, diags) = same(&format!("c x {{ a = {text} }}"))
                .unwrap_or_else(|| panic!("gave up on {text}"));
            assert_eq!(diags.first().map(|d| d.code), code, "{text}");
        }
        // A number ends before `_` after its fraction: `_5` is a name.
        refuses("c x { a = 1_0.2_5 }");
        let (e, _) = expr("20Gi");
        assert!(
            matches!(e.kind, ExprKind::Quantity(Quantity { amount, .. }) if amount == 20 << 30)
        );
    }

    #[test]
    fn dates_are_checked_in_waivers() {
        let (_, diags) = takes("allow p for a reason \"r\" until 2028-02-29");
        assert!(diags.is_empty());
        for date in ["2030-02-30", "2030-13-01", "0000-01-01", "2030-00-10"] {
            let (m, diags) = takes(&format!("allow p for a.b reason \"r\" until {date}"));
            assert_eq!(codes(&diags), ["E0106"], "{date}");
            assert_eq!(m.items.len(), 1);
        }
        takes("allow p for a -> b reason \"r\"\nallow p for a reason \"r\" // c");
        refuses("allow p for a reason \"r\" until 2030-01-011");
        // Not a date: `until` is then the type of an instance.
        refuses("allow p for a reason \"r\" until 2030-01-01c x {}");
        refuses("allow p for a reason \"r\" until 2030-1-01");
    }

    #[test]
    fn spans_end_before_trailing_trivia_as_the_lowering_trims() {
        for text in [
            "c x { a = 1 // one\n b = 2 /* two */ }",
            "c x { a = \"x\" /* \" */ }",
            "c x { a = \"x\" /* \" */ // c\n}",
            "c x { a = b /* x /* y */ }",
            "c x { a = b\t\r\n\u{b}}",
            "c x { a = \"${\"//\"}\" }",
            "c x { a = 1 /* a *//* b */ }",
            "component c { param p: int /* c */ = 1 // d\n param q: string(matches \"//\") }",
            "component c { provides A if x // c\n requires B if y /* c */ }",
            "import \"a\" // c\nimport \"b\" as b /* c */",
        ] {
            same(text);
        }
    }

    #[test]
    fn doc_comments_are_read_before_items_and_members() {
        let (m, _) = takes(
            "/// The component.\n///   indented\n//// not a doc\n/// Doc.\ncomponent c {\n  /// A param.\n  \
             param p: int = 1\n  /// A let.\n  let l = 1\n  /// An expose.\n  expose web { port = 1 }\n}\n\
             /// An instance.\nc x {}\n   /// After indentation.\n   c y {}\n/// Secret.\nsecret s from env(\"S\")\r\n",
        );
        assert_eq!(m.items.len(), 4);
    }

    #[test]
    fn items_and_members_of_every_kind() {
        takes(include_str!("all_constructs.plat"));
        takes("");
        takes("// only a comment");
        takes("\r\n/* block */\r\n");
        takes("secret s from env(\"X\", \"y\",)\nsecret s {}\nsecret.x i {}\nsecret from from f()");
        refuses("secret from from {}");
        takes("environment e { platform.domain = \"d\"  a.b.c = 1  a . if = 2 }");
        takes(
            "component c {\n chart \"c\" version \"1\" from \"r\"\n chart \"c\" version \"1\" from \"r\" timeout 5min\n \
             route assert a message \"m\"\n assert b message \"${m}\"\n route resource r \"v1\" Kind {}\n \
             cluster resource r \"v1\" if for t in xs if t ready \"R\" = \"x\" { a = 1 }\n \
             resource r \"v1\" K ready \"Ready\" { }\n network { pods = {} }\n values { a[0].\"b\".c[i + 1] = 1 }\n}",
        );
        takes("policy p severity warn code \"P1\" { for x in xs fail x \"m\" for y in ys where y.a fail y \"m\" help \"h\" }");
        refuses("policy p severity denyx code \"P1\" {}");
        refuses("c x { expose = 1 }");
        refuses("c x {} }");
        refuses("import \"a\"\nas b {}");
    }

    #[test]
    fn non_ascii_text_outside_strings_is_refused() {
        refuses("c é {}");
        refuses("c x { a = é }");
        refuses("c x\u{a0}{}");
        same("c x { a = \"é\" } // é\n/* ü */");
    }

    #[test]
    fn long_chains_and_paths_are_limited_as_the_lowering_limits_them() {
        let many = |sep: &str, n: usize| vec!["a"; n].join(sep);
        for n in [256, 257, 300] {
            let (_, diags) = expr(&many(" + ", n + 1));
            assert_eq!(codes(&diags), if n > 256 { vec!["E0105"] } else { vec![] });
            let (_, diags) = expr(&format!("a{}", ".b".repeat(n)));
            assert_eq!(codes(&diags), if n >= 256 { vec!["E0105"] } else { vec![] });
            let (_, diags) = expr(&format!("{}a", "!".repeat(n)));
            assert_eq!(codes(&diags), if n >= 256 { vec!["E0105"] } else { vec![] });
        }
        // What the dropped part of a chain would report is not reported.
        let (_, diags) = expr(&format!("a{}[1xyz]", ".b".repeat(300)));
        assert_eq!(codes(&diags), ["E0105"]);
        let (_, diags) = expr(&format!("[1xyz]{}", ".b".repeat(300)));
        assert_eq!(codes(&diags), ["E0104", "E0105"]);
        for n in [64, 65, 80] {
            let (_, diags) = takes(&format!(
                "component c {{ values {{ {} = 1 }} }}",
                many(".", n)
            ));
            assert_eq!(codes(&diags), if n > 64 { vec!["E0105"] } else { vec![] });
        }
    }

    #[test]
    fn nesting_is_bounded_without_panicking() {
        for n in [10, 64, 300, 5000] {
            let text = format!("c x {{ a = {}1{} }}", "[".repeat(n), "]".repeat(n));
            assert_eq!(same(&text).is_some(), n <= 64, "{n}");
            let text = format!("c x {{ a = {}1{} }}", "\"${".repeat(n), "}\"".repeat(n));
            assert_eq!(same(&text).is_some(), n <= 64, "{n}");
            let text = format!("c x {{ a = {}{} }}", "if a { 1 } else ".repeat(n), "{ 1 }");
            assert_eq!(same(&text).is_some(), n <= 64, "{n}");
            let text = format!("c x {{ a = {}1{} }}", "(".repeat(n), ")".repeat(n));
            // Beyond its bound it gives up.
            assert_eq!(same(&text).is_some(), n <= 64, "{n}");
        }
    }

    #[test]
    fn truncated_text_never_panics() {
        let text = include_str!("all_constructs.plat");
        for (i, _) in text.char_indices() {
            same(&text[..i]);
        }
    }
}
