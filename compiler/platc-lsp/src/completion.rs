//! Completion. While a file is being typed it rarely parses, so where the
//! cursor is comes from a small scan of the text before it (brackets,
//! strings, comments and the tokens of each block), and what to offer from
//! the definitions of [`crate::index`].

use platc_diag::{FileId, Span};
use platc_syntax::ast::{self, Item};

use crate::index::{own_definitions, Db, ItemRef, Shape, Unit, EXPOSE_FIELDS, RESERVED_ATTRS};

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str,
    Num,
    /// A closed bracketed group.
    Group,
    Punct(char),
}

#[derive(Debug)]
struct Frame {
    open: char,
    /// The tokens of the enclosing frame before the bracket.
    header: Vec<Tok>,
    tokens: Vec<Tok>,
    /// Byte offset of the last token's end, and of the line it is on.
    line_start_tokens: usize,
}

/// Where the cursor is, as far as completion goes.
#[derive(Debug, PartialEq)]
pub enum Ctx {
    None,
    TopLevel,
    /// An instance body of component `C` (tokens of the name), attribute position.
    InstanceAttr(Vec<String>),
    /// After `ATTR =` in an instance of component `C`.
    InstanceValue(Vec<String>, String, bool),
    ExposeAttr,
    ExposeValue(String, bool),
    ComponentMember,
    /// An expression inside component `C`.
    ComponentExpr(String),
    /// An expression outside components: instances, secrets, `platform`.
    GlobalExpr,
    /// `BASE.` with the component around, if any.
    Member(Vec<String>, Option<String>),
    /// The start of an override in an environment: instances, `platform`.
    EnvironmentTarget,
    /// `INSTANCE.` as an environment override target.
    OverrideTarget(String),
    /// After `INSTANCE.PARAM =` in an environment.
    OverrideValue(String, String, bool),
    ImportPath,
    /// Where a type is written (`param x: |`): built-in types, components
    /// and interfaces.
    TypePosition,
    /// After `provides` or `requires`: interfaces.
    InterfacePosition,
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

const KEYWORDS_TOP: &[&str] = &[
    "import",
    "component",
    "interface",
    "secret",
    "environment",
    "policy",
    "allow",
    "platform",
];
const KEYWORDS_COMPONENT: &[&str] = &[
    "chart", "param", "let", "provides", "requires", "expose", "values", "assert", "resource",
];

/// The context at `offset` of `text`, and the start of the word typed so far.
pub fn context(text: &str, offset: usize) -> (Ctx, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_ident_char(*c))
        .last()
        .map(|(i, _)| i)
        .unwrap_or(offset);
    let scan = &text[..word_start];
    // Frames: the root, brackets, strings (`"`) and interpolations (`$`).
    let mut stack: Vec<Frame> = vec![Frame {
        open: 'R',
        header: Vec::new(),
        tokens: Vec::new(),
        line_start_tokens: 0,
    }];
    let bytes = scan.as_bytes();
    let mut i = 0;
    let mut last_newline_tokens: Vec<usize> = vec![0];
    while i < bytes.len() {
        let c = bytes[i] as char;
        let top = stack.last_mut().expect("root frame");
        if top.open == '"' {
            match c {
                '\\' => i += 2,
                '"' => {
                    stack.pop();
                    last_newline_tokens.pop();
                    push(&mut stack, Tok::Str);
                    i += 1;
                }
                '$' if bytes.get(i + 1) == Some(&b'{') => {
                    stack.push(Frame {
                        open: '$',
                        header: Vec::new(),
                        tokens: Vec::new(),
                        line_start_tokens: 0,
                    });
                    last_newline_tokens.push(0);
                    i += 2;
                }
                '\n' => {
                    // An unterminated string ends at the line's end.
                    stack.pop();
                    last_newline_tokens.pop();
                    push(&mut stack, Tok::Str);
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        match c {
            '/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                if i == bytes.len() {
                    // The cursor is in the comment.
                    return (Ctx::None, word_start);
                }
            }
            '/' if bytes.get(i + 1) == Some(&b'*') => match scan[i + 2..].find("*/") {
                Some(e) => i += e + 4,
                None => return (Ctx::None, word_start),
            },
            '\n' => {
                let top = stack.last_mut().expect("root frame");
                top.line_start_tokens = top.tokens.len();
                i += 1;
            }
            '"' => {
                stack.push(Frame {
                    open: '"',
                    header: Vec::new(),
                    tokens: Vec::new(),
                    line_start_tokens: 0,
                });
                last_newline_tokens.push(0);
                i += 1;
            }
            '{' | '[' | '(' => {
                let top = stack.last_mut().expect("root frame");
                let header = top.tokens.clone();
                stack.push(Frame {
                    open: c,
                    header,
                    tokens: Vec::new(),
                    line_start_tokens: 0,
                });
                last_newline_tokens.push(0);
                i += 1;
            }
            '}' | ']' | ')' => {
                if stack.len() > 1 {
                    let was = stack.pop().map(|f| f.open);
                    last_newline_tokens.pop();
                    if was == Some('$') {
                        // Back inside the string.
                        i += 1;
                        continue;
                    }
                }
                push(&mut stack, Tok::Group);
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let s = i;
                while i < bytes.len() && is_ident_char(bytes[i] as char) {
                    i += 1;
                }
                push(&mut stack, Tok::Ident(scan[s..i].to_string()));
            }
            c if c.is_ascii_digit() => {
                while i < bytes.len() && (is_ident_char(bytes[i] as char) || bytes[i] == b'.') {
                    i += 1;
                }
                push(&mut stack, Tok::Num);
            }
            c if c.is_whitespace() => i += 1,
            c => {
                push(&mut stack, Tok::Punct(c));
                i += c.len_utf8().max(1);
                while i < bytes.len() && !scan.is_char_boundary(i) {
                    i += 1;
                }
            }
        }
    }
    (classify(&stack), word_start)
}

fn push(stack: &mut [Frame], t: Tok) {
    if let Some(top) = stack.last_mut() {
        top.tokens.push(t);
    }
}

fn ident(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Block {
    Root,
    Component(String),
    Instance(Vec<String>),
    InstanceExpose,
    Environment,
    /// Values, resources, provides, expose points: expressions of a component.
    ComponentInner(String),
    Other,
}

/// The kind of each `{` block, from its header.
fn blocks(stack: &[Frame]) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for f in stack {
        let parent = out.last().cloned();
        let h = &f.header;
        let last = |k: usize| h.len().checked_sub(k).and_then(|i| h.get(i));
        let b = match (f.open, &parent) {
            ('R', _) => Block::Root,
            ('{', Some(Block::Root)) => {
                if ident(last(2)) == Some("component") {
                    Block::Component(ident(last(1)).unwrap_or("").to_string())
                } else if ident(last(2)) == Some("environment") {
                    Block::Environment
                } else if let (Some(n), Some(c)) = (ident(last(1)), ident(last(2))) {
                    if KEYWORDS_TOP.contains(&c) || c == "allow" {
                        Block::Other
                    } else {
                        let mut name = vec![c.to_string()];
                        if last(3) == Some(&Tok::Punct('.')) {
                            if let Some(m) = ident(last(4)) {
                                name.insert(0, m.to_string());
                            }
                        }
                        let _ = n;
                        Block::Instance(name)
                    }
                } else {
                    Block::Other
                }
            }
            ('{', Some(Block::Instance(_))) if ident(last(2)) == Some("expose") => {
                Block::InstanceExpose
            }
            ('{', Some(Block::Component(c))) | ('{', Some(Block::ComponentInner(c))) => {
                Block::ComponentInner(c.clone())
            }
            (_, Some(Block::Component(c))) | (_, Some(Block::ComponentInner(c))) => {
                Block::ComponentInner(c.clone())
            }
            _ => Block::Other,
        };
        out.push(b);
    }
    out
}

fn classify(stack: &[Frame]) -> Ctx {
    let top = stack.last().expect("root frame");
    let kinds = blocks(stack);
    let block = kinds.last().cloned().unwrap_or(Block::Other);
    let in_string = top.open == '"';
    let frame = if in_string {
        &stack[stack.len() - 2]
    } else {
        top
    };
    let frame_block = if in_string {
        kinds[kinds.len() - 2].clone()
    } else {
        block.clone()
    };
    let toks = &frame.tokens;
    let n = toks.len();
    let at_line_start = frame.line_start_tokens == n;
    let component_around = kinds.iter().rev().find_map(|k| match k {
        Block::Component(c) | Block::ComponentInner(c) => Some(c.clone()),
        _ => None,
    });
    if in_string {
        if ident(toks.last()) == Some("import") {
            return Ctx::ImportPath;
        }
        return value_ctx(&frame_block, toks, true).unwrap_or(Ctx::None);
    }
    // `BASE.` member access.
    if toks.last() == Some(&Tok::Punct('.')) {
        let mut base = Vec::new();
        let mut k = n - 1;
        loop {
            match (k.checked_sub(1).map(|j| &toks[j]), k) {
                (Some(Tok::Ident(s)), _) => {
                    base.insert(0, s.clone());
                    if k >= 2 && toks[k - 2] == Tok::Punct('.') {
                        k -= 2;
                        continue;
                    }
                }
                _ => base.clear(),
            }
            break;
        }
        if base.is_empty() {
            return Ctx::None;
        }
        if frame_block == Block::Environment && base.len() == 1 && at_line_start_before(frame, 2) {
            return Ctx::OverrideTarget(base.remove(0));
        }
        return Ctx::Member(base, component_around);
    }
    if let Some(v) = value_ctx(&frame_block, toks, false) {
        return v;
    }
    if matches!(frame_block, Block::Component(_)) {
        let last = |k: usize| n.checked_sub(k).and_then(|i| toks.get(i));
        if ident(last(1)).is_some_and(|w| w == "provides" || w == "requires") {
            return Ctx::InterfacePosition;
        }
        let param_colon = last(1) == Some(&Tok::Punct(':')) && ident(last(3)) == Some("param");
        // `list<`, `map<`, `|` of a type after a param's colon.
        let inner = matches!(last(1), Some(Tok::Punct('<')))
            && toks.iter().rev().take(8).any(|t| *t == Tok::Punct(':'));
        if param_colon || inner {
            return Ctx::TypePosition;
        }
    }
    match frame_block {
        Block::Root if at_line_start => Ctx::TopLevel,
        Block::Instance(c) if at_line_start || n == 0 => Ctx::InstanceAttr(c),
        Block::InstanceExpose if at_line_start || n == 0 => Ctx::ExposeAttr,
        Block::Component(_) if at_line_start || n == 0 => Ctx::ComponentMember,
        Block::Environment if at_line_start || n == 0 => Ctx::EnvironmentTarget,
        Block::Component(c) | Block::ComponentInner(c) => {
            if is_expr_position(toks) {
                Ctx::ComponentExpr(c)
            } else {
                Ctx::None
            }
        }
        Block::Instance(_) | Block::InstanceExpose | Block::Environment | Block::Other => {
            if is_expr_position(toks) && component_around.is_none() {
                Ctx::GlobalExpr
            } else if let Some(c) = component_around.filter(|_| is_expr_position(toks)) {
                Ctx::ComponentExpr(c)
            } else {
                Ctx::None
            }
        }
        Block::Root => Ctx::None,
    }
}

fn at_line_start_before(frame: &Frame, k: usize) -> bool {
    frame.tokens.len() >= k && frame.line_start_tokens == frame.tokens.len() - k
}

/// After an operator, `=`, `,`, `(` or `[`: an expression starts.
fn is_expr_position(toks: &[Tok]) -> bool {
    match toks.last() {
        None => true,
        Some(Tok::Punct(c)) => "=+-*/%!<>|&:,?".contains(*c),
        Some(Tok::Ident(s)) => matches!(s.as_str(), "if" | "else" | "in" | "message"),
        _ => false,
    }
}

/// `ATTR =` at the end of the tokens of an instance, expose block or
/// environment.
fn value_ctx(block: &Block, toks: &[Tok], quoted: bool) -> Option<Ctx> {
    let n = toks.len();
    if n < 2 || toks[n - 1] != Tok::Punct('=') {
        return None;
    }
    let attr = ident(toks.get(n - 2))?.to_string();
    match block {
        Block::Instance(c) => Some(Ctx::InstanceValue(c.clone(), attr, quoted)),
        Block::InstanceExpose => Some(Ctx::ExposeValue(attr, quoted)),
        Block::Environment if n >= 4 && toks[n - 3] == Tok::Punct('.') => {
            let inst = ident(toks.get(n - 4))?.to_string();
            Some(Ctx::OverrideValue(inst, attr, quoted))
        }
        _ => None,
    }
}

/// One completion, in offsets; the server turns it into LSP's shape.
#[derive(Debug)]
pub struct Candidate {
    pub label: String,
    pub kind: lsp_types::CompletionItemKind,
    pub detail: Option<String>,
    pub doc: Option<String>,
    pub insert: Option<String>,
    /// Text to insert at an offset besides (an `import` the item needs).
    pub extra: Option<(usize, String)>,
}

fn cand(label: &str, kind: lsp_types::CompletionItemKind, detail: Option<String>) -> Candidate {
    Candidate {
        label: label.to_string(),
        kind,
        detail,
        doc: None,
        insert: None,
        extra: None,
    }
}

fn type_name(parts: &[String]) -> ast::TypeName {
    let span = Span::new(FileId(0), 0, 0);
    let id = |s: &str| ast::Ident {
        name: s.to_string(),
        span,
    };
    ast::TypeName {
        module: if parts.len() > 1 {
            Some(id(&parts[0]))
        } else {
            None
        },
        name: id(parts.last().map(String::as_str).unwrap_or("")),
        span,
    }
}

use lsp_types::CompletionItemKind as K;

/// The candidates at `offset`, and the range they replace: the word typed
/// so far, or inside a string the text up to its closing quote.
pub fn complete(db: &Db, unit: &Unit, offset: usize) -> (Vec<Candidate>, usize, usize) {
    let text = &unit.parsed.text;
    let (ctx, start) = context(text, offset);
    let quoted = matches!(
        ctx,
        Ctx::InstanceValue(_, _, true)
            | Ctx::ExposeValue(_, true)
            | Ctx::OverrideValue(_, _, true)
            | Ctx::ImportPath
    );
    let mut end = offset.max(start);
    if quoted {
        let rest = &text[end..];
        let line = rest.find('\n').unwrap_or(rest.len());
        if let Some(q) = rest[..line].find('"') {
            end += q;
        }
    }
    let mut out = Vec::new();
    match ctx {
        Ctx::None => {}
        Ctx::TopLevel => {
            components(db, unit, &mut out);
            for k in KEYWORDS_TOP {
                out.push(cand(k, K::KEYWORD, None));
            }
        }
        Ctx::ImportPath => {
            for (name, _) in platc_driver::stdlib_modules() {
                if !name.starts_with("std/policies/") {
                    out.push(cand(name, K::MODULE, Some("stdlib module".into())));
                }
            }
        }
        Ctx::InstanceAttr(c) => {
            if let Some(comp) = db.find_type(unit, &type_name(&c)) {
                params(&comp, &mut out);
            }
            for (n, ty, doc) in RESERVED_ATTRS {
                let mut x = cand(n, K::PROPERTY, Some(ty.to_string()));
                x.doc = Some(doc.to_string());
                out.push(x);
            }
            out.push(cand("expose", K::KEYWORD, None));
        }
        Ctx::InstanceValue(c, attr, quoted) => {
            let comp = db.find_type(unit, &type_name(&c));
            param_values(db, unit, comp, &attr, quoted, &mut out);
        }
        Ctx::OverrideValue(inst, attr, quoted) => {
            let comp = instance_component(db, unit, &inst);
            param_values(db, unit, comp, &attr, quoted, &mut out);
        }
        Ctx::ExposeAttr => {
            for (n, ty, doc) in EXPOSE_FIELDS {
                let mut x = cand(n, K::PROPERTY, Some(ty.to_string()));
                x.doc = Some(doc.to_string());
                out.push(x);
            }
        }
        Ctx::ExposeValue(attr, quoted) => match attr.as_str() {
            "auth" => {
                enum_values(&["sso", "basic"], quoted, &mut out);
                if !quoted {
                    out.push(cand("none", K::KEYWORD, None));
                }
            }
            "tls" | "audit" | "public" if !quoted => bools(&mut out),
            _ => globals(db, unit, None, &mut out),
        },
        Ctx::ComponentMember => {
            for k in KEYWORDS_COMPONENT {
                out.push(cand(k, K::KEYWORD, None));
            }
        }
        Ctx::ComponentExpr(c) => {
            if let Some(comp) = own_component(unit, &c) {
                params(&comp, &mut out);
                if let Some(d) = comp.component() {
                    for l in &d.lets {
                        out.push(cand(&l.name.name, K::VARIABLE, Some("let".into())));
                    }
                }
            }
            out.push(cand("self", K::KEYWORD, None));
            out.push(cand("platform", K::KEYWORD, None));
        }
        Ctx::GlobalExpr => globals(db, unit, None, &mut out),
        Ctx::TypePosition | Ctx::InterfacePosition => {
            let interfaces_only = ctx == Ctx::InterfacePosition;
            if !interfaces_only {
                for (n, doc) in crate::index::BUILTIN_TYPES {
                    let mut x = cand(n, K::KEYWORD, Some("built-in type".into()));
                    x.doc = Some(doc.to_string());
                    out.push(x);
                }
            }
            for d in db.visible(unit) {
                match d.item() {
                    Item::Interface(i) => {
                        let mut x = cand(
                            &i.name.name,
                            K::INTERFACE,
                            Some(crate::features::loc_label(&d.unit.loc)),
                        );
                        x.doc = i.doc.clone();
                        out.push(x);
                    }
                    Item::Component(c) if !interfaces_only => {
                        let mut x = cand(
                            &c.name.name,
                            K::CLASS,
                            Some(crate::features::loc_label(&d.unit.loc)),
                        );
                        x.doc = c.doc.clone();
                        out.push(x);
                    }
                    _ => {}
                }
            }
        }
        Ctx::EnvironmentTarget => {
            for g in db.globals(unit) {
                if let Item::Instance(i) = g.item() {
                    out.push(cand(
                        &i.name.name,
                        K::VARIABLE,
                        Some(i.component.to_string()),
                    ));
                }
            }
            out.push(cand("platform", K::KEYWORD, None));
        }
        Ctx::OverrideTarget(inst) => {
            if let Some(comp) = instance_component(db, unit, &inst) {
                params(&comp, &mut out);
            }
            for (n, ty, _) in RESERVED_ATTRS {
                out.push(cand(n, K::PROPERTY, Some(ty.to_string())));
            }
        }
        Ctx::Member(base, comp) => {
            let cdecl = comp.as_deref().and_then(|c| own_component(unit, c));
            let shape = member_shape(db, unit, &base, cdecl.as_ref());
            for f in db.fields(unit, &shape) {
                let mut x = cand(&f.name, K::FIELD, Some(f.ty_text.clone()));
                x.doc = f.doc.clone().or_else(|| f.owner.clone());
                out.push(x);
            }
        }
    }
    (out, start, end)
}

fn member_shape(db: &Db, unit: &Unit, base: &[String], comp: Option<&ItemRef>) -> Shape {
    let cdecl = comp.and_then(|c| c.component());
    let mut shape = match base.first().map(String::as_str) {
        Some("self") if cdecl.is_some() => Shape::SelfRef,
        Some("platform") => Shape::Platform,
        Some(n) => db.name_shape(unit, n, cdecl),
        None => Shape::Unknown,
    };
    for field in base.iter().skip(1) {
        let fields = db.fields(unit, &shape);
        shape = match fields.into_iter().find(|f| &f.name == field) {
            Some(crate::index::Field {
                ty: Some((u, ty)), ..
            }) => db.type_shape(&u, &ty),
            _ => Shape::Unknown,
        };
    }
    shape
}

fn own_component(unit: &Unit, name: &str) -> Option<ItemRef> {
    own_definitions(unit)
        .into_iter()
        .find(|d| d.component().is_some_and(|c| c.name.name == name))
}

fn instance_component(db: &Db, unit: &Unit, inst: &str) -> Option<ItemRef> {
    let g = db.global(unit, inst)?;
    let Item::Instance(i) = g.item() else {
        return None;
    };
    db.find_type(&g.unit, &i.component)
}

fn params(comp: &ItemRef, out: &mut Vec<Candidate>) {
    let Some(c) = comp.component() else { return };
    for p in &c.params {
        let ty = comp.unit.parsed.text[p.ty.span.range()].to_string();
        let mut x = cand(&p.name.name, K::PROPERTY, Some(ty));
        x.doc = p.doc.clone();
        out.push(x);
    }
}

fn bools(out: &mut Vec<Candidate>) {
    out.push(cand("true", K::KEYWORD, None));
    out.push(cand("false", K::KEYWORD, None));
}

fn enum_values(values: &[&str], quoted: bool, out: &mut Vec<Candidate>) {
    for v in values {
        let mut x = cand(&format!("\"{v}\""), K::ENUM_MEMBER, None);
        x.insert = Some(if quoted {
            v.to_string()
        } else {
            format!("\"{v}\"")
        });
        x.label = v.to_string();
        out.push(x);
    }
}

/// The values that fit param `attr` of `comp`.
fn param_values(
    db: &Db,
    unit: &Unit,
    comp: Option<ItemRef>,
    attr: &str,
    quoted: bool,
    out: &mut Vec<Candidate>,
) {
    let param = comp.as_ref().and_then(|c| {
        let d = c.component()?;
        d.params.iter().find(|p| p.name.name == attr).cloned()
    });
    let Some(p) = param else {
        if attr == "enabled" && !quoted {
            bools(out);
        } else if !quoted {
            globals(db, unit, None, out);
        }
        return;
    };
    let comp = comp.expect("param found in a component");
    let mut ty = &p.ty;
    if let ast::TypeExprKind::Optional(inner) = &ty.kind {
        if !quoted {
            out.push(cand("none", K::KEYWORD, None));
        }
        ty = inner;
    }
    match &ty.kind {
        ast::TypeExprKind::Enum(values) => {
            let v: Vec<&str> = values.iter().map(|(s, _)| s.as_str()).collect();
            enum_values(&v, quoted, out);
        }
        ast::TypeExprKind::Named { name, .. } if !quoted => {
            if name.module.is_none() && name.name.name == "bool" {
                bools(out);
            } else if let Some(wanted) = db.find_type(&comp.unit, name) {
                globals(db, unit, Some(&wanted), out);
            } else {
                globals(db, unit, None, out);
            }
        }
        _ if !quoted => globals(db, unit, None, out),
        _ => {}
    }
}

/// Instances and secrets (those whose component is or provides `wanted`,
/// when given), and `platform`.
fn globals(db: &Db, unit: &Unit, wanted: Option<&ItemRef>, out: &mut Vec<Candidate>) {
    for g in db.globals(unit) {
        match g.item() {
            Item::Instance(i) => {
                if let Some(w) = wanted {
                    let Some(c) = db.find_type(&g.unit, &i.component) else {
                        continue;
                    };
                    if !fits(db, &c, w) {
                        continue;
                    }
                }
                let mut x = cand(&i.name.name, K::VARIABLE, Some(i.component.to_string()));
                x.doc = i.doc.clone();
                out.push(x);
            }
            Item::Secret(s) if wanted.is_none() => {
                out.push(cand(&s.name.name, K::VARIABLE, Some("secret".into())));
            }
            _ => {}
        }
    }
    if wanted.is_none() {
        out.push(cand("platform", K::KEYWORD, None));
    }
}

/// Whether an instance of component `c` may be passed where `wanted` (a
/// component or an interface) is expected.
fn fits(db: &Db, c: &ItemRef, wanted: &ItemRef) -> bool {
    let same = |a: &ItemRef, b: &ItemRef| a.unit.loc == b.unit.loc && a.index == b.index;
    if same(c, wanted) {
        return true;
    }
    c.component().is_some_and(|d| {
        d.provides.iter().any(|p| {
            db.find_type(&c.unit, &p.interface)
                .is_some_and(|i| same(&i, wanted))
        })
    })
}

/// Components visible in the file, then those of stdlib modules it does not
/// import yet (the item adds the import).
fn components(db: &Db, unit: &Unit, out: &mut Vec<Candidate>) {
    let visible = db.visible(unit);
    let mut seen = std::collections::HashSet::new();
    for d in &visible {
        if let Some(c) = d.component() {
            seen.insert(c.name.name.clone());
            let mut x = cand(
                &c.name.name,
                K::CLASS,
                Some(crate::features::loc_label(&d.unit.loc)),
            );
            x.doc = crate::features::component_md(d);
            out.push(x);
        }
    }
    let at = import_offset(unit);
    for (name, _) in platc_driver::stdlib_modules() {
        if name.starts_with("std/policies/") {
            continue;
        }
        let Some(u) = db.unit(&crate::index::Loc::Std(name)) else {
            continue;
        };
        for d in own_definitions(&u) {
            let Some(c) = d.component() else { continue };
            if !seen.insert(c.name.name.clone()) {
                continue;
            }
            let mut x = cand(
                &c.name.name,
                K::CLASS,
                Some(format!("{name} (adds `import \"{name}\"`)")),
            );
            x.doc = crate::features::component_md(&d);
            x.extra = Some((at, format!("import \"{name}\"\n")));
            out.push(x);
        }
    }
}

/// Where a new import goes: after the last import, else at the start.
fn import_offset(unit: &Unit) -> usize {
    let text = &unit.parsed.text;
    unit.parsed
        .module
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Import(d) => Some(d.span.end as usize),
            _ => None,
        })
        .max()
        .map(|end| {
            text[end..]
                .find('\n')
                .map(|n| end + n + 1)
                .unwrap_or(text.len())
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(src: &str) -> Ctx {
        let at = src.find('|').unwrap();
        let text = src.replace('|', "");
        context(&text, at).0
    }

    #[test]
    fn contexts() {
        assert_eq!(ctx("import \"std/postgres\"\n\npos|"), Ctx::TopLevel);
        assert_eq!(
            ctx("postgres db {\n  sto|\n}"),
            Ctx::InstanceAttr(vec!["postgres".into()])
        );
        assert_eq!(
            ctx("pg.postgres db { storage = 1Gi\n  |"),
            Ctx::InstanceAttr(vec!["pg".into(), "postgres".into()])
        );
        assert_eq!(
            ctx("airflow a {\n  executor = |\n}"),
            Ctx::InstanceValue(vec!["airflow".into()], "executor".into(), false)
        );
        assert_eq!(
            ctx("airflow a {\n  executor = \"Cel|\"\n}"),
            Ctx::InstanceValue(vec!["airflow".into()], "executor".into(), true)
        );
        assert_eq!(ctx("airflow a { expose web {\n  au|"), Ctx::ExposeAttr);
        assert_eq!(
            ctx("airflow a { expose web { auth = |"),
            Ctx::ExposeValue("auth".into(), false)
        );
        assert_eq!(ctx("component c {\n  pa|"), Ctx::ComponentMember);
        assert_eq!(
            ctx("component c {\n  param d: Db\n  values { host = d.|"),
            Ctx::Member(vec!["d".into()], Some("c".into()))
        );
        assert_eq!(
            ctx("app a { url = \"${db.|}\" }"),
            Ctx::Member(vec!["db".into()], None)
        );
        assert_eq!(ctx("import \"std/|\""), Ctx::ImportPath);
        assert_eq!(ctx("component c {\n  param db: Sql|"), Ctx::TypePosition);
        assert_eq!(ctx("component c {\n  param xs: list<|"), Ctx::TypePosition);
        assert_eq!(ctx("component c {\n  provides |"), Ctx::InterfacePosition);
        assert_eq!(ctx("// postgres db { |"), Ctx::None);
        assert_eq!(
            ctx("environment prod {\n  db.mode = \"a\"\n  |"),
            Ctx::EnvironmentTarget
        );
        assert_eq!(
            ctx("environment prod {\n  db.|"),
            Ctx::OverrideTarget("db".into())
        );
        assert_eq!(
            ctx("environment prod {\n  db.mode = |"),
            Ctx::OverrideValue("db".into(), "mode".into(), false)
        );
    }
}
