//! What the editor features know of a program: parsed files (cached by
//! content), the definitions each file sees through its imports, the
//! platform's global names, and what is written at a given offset.
//!
//! Everything here works on syntax trees, possibly partial (a file with
//! syntax errors still gives every item that parsed), so hover, definition
//! and completion keep working while the text is being typed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

use platc_diag::{FileId, Span};
use platc_syntax::ast::{self, Expr, ExprKind, Item, StrPart};

use crate::overlay::{lexical, OverlayFs};
use crate::text::LineIndex;

/// One parsed text.
pub struct Parsed {
    pub text: String,
    pub module: ast::Module,
    pub lines: LineIndex,
}

/// Parsed files by content: after an edit only the changed text is parsed
/// again.
#[derive(Default)]
pub struct ParseCache {
    map: HashMap<u64, Arc<Parsed>>,
}

/// The most parsed texts kept; past it the cache starts afresh.
const CACHE_LIMIT: usize = 4096;

impl ParseCache {
    pub fn parse(&mut self, text: &str) -> Arc<Parsed> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let key = h.finish();
        if let Some(p) = self.map.get(&key) {
            if p.text == text {
                return p.clone();
            }
        }
        let (module, _) = platc_syntax::parse(FileId(0), text);
        let parsed = Arc::new(Parsed {
            text: text.to_string(),
            module,
            lines: LineIndex::new(text),
        });
        if self.map.len() >= CACHE_LIMIT {
            self.map.clear();
        }
        self.map.insert(key, parsed.clone());
        parsed
    }
}

/// Where a file comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    /// A user file, by canonical path.
    User(PathBuf),
    /// An embedded stdlib module (`std/postgres`).
    Std(&'static str),
}

/// A parsed file and where it is.
#[derive(Clone)]
pub struct Unit {
    pub loc: Loc,
    pub parsed: Arc<Parsed>,
}

/// One item of one file.
#[derive(Clone)]
pub struct ItemRef {
    pub unit: Unit,
    pub index: usize,
}

impl ItemRef {
    pub fn item(&self) -> &Item {
        &self.unit.parsed.module.items[self.index]
    }
    pub fn component(&self) -> Option<&ast::ComponentDecl> {
        match self.item() {
            Item::Component(c) => Some(c),
            _ => None,
        }
    }
    pub fn interface(&self) -> Option<&ast::InterfaceDecl> {
        match self.item() {
            Item::Interface(i) => Some(i),
            _ => None,
        }
    }
}

/// A place in a file: what definition and hover point at.
#[derive(Clone)]
pub struct Target {
    pub unit: Unit,
    pub span: Span,
}

/// Access to files for the features: open documents over the disk, the
/// stdlib, parsed through the cache; and the user files of the platform
/// the current file belongs to (for instances and secrets).
pub struct Db<'a> {
    pub fs: &'a OverlayFs,
    pub cache: &'a RefCell<ParseCache>,
    pub project: Vec<PathBuf>,
}

impl Db<'_> {
    pub fn unit(&self, loc: &Loc) -> Option<Unit> {
        let text = match loc {
            Loc::Std(name) => platc_driver::stdlib_modules()
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.to_string())?,
            Loc::User(p) => self.fs.text(p)?,
        };
        let parsed = self.cache.borrow_mut().parse(&text);
        Some(Unit {
            loc: loc.clone(),
            parsed,
        })
    }

    /// Where `import "PATH"` in `from` leads, when it names a module or
    /// file that exists.
    pub fn resolve_import(&self, from: &Loc, path: &str) -> Option<Loc> {
        if let Some(rest) = path.strip_prefix("std/") {
            let name = format!("std/{rest}");
            return platc_driver::stdlib_modules()
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(n, _)| Loc::Std(n));
        }
        if !(path.starts_with("./") || path.starts_with("../")) {
            return None;
        }
        let Loc::User(from) = from else { return None };
        let mut target = from.parent()?.join(path);
        if target.extension().is_none() {
            target.set_extension("plat");
        }
        let target = lexical(&target);
        use platc_driver::FileSystem;
        self.fs
            .is_file(&target)
            .then(|| Loc::User(OverlayFs::key(&target)))
    }

    /// The imports of a unit: alias and where each leads.
    pub fn imports(&self, unit: &Unit) -> Vec<(Option<String>, Unit)> {
        let mut out = Vec::new();
        for item in &unit.parsed.module.items {
            if let Item::Import(d) = item {
                let Some(path) = d.path.as_plain() else {
                    continue;
                };
                if let Some(u) = self
                    .resolve_import(&unit.loc, &path)
                    .and_then(|l| self.unit(&l))
                {
                    out.push((d.alias.as_ref().map(|a| a.name.clone()), u));
                }
            }
        }
        out
    }

    /// The components, interfaces and policies visible in `unit` without a
    /// qualifier: its own and those of its unaliased imports.
    pub fn visible(&self, unit: &Unit) -> Vec<ItemRef> {
        let mut out = own_definitions(unit);
        for (alias, u) in self.imports(unit) {
            if alias.is_none() {
                out.extend(own_definitions(&u));
            }
        }
        out
    }

    /// The component or interface a type name denotes in `unit`.
    pub fn find_type(&self, unit: &Unit, name: &ast::TypeName) -> Option<ItemRef> {
        let candidates = match &name.module {
            Some(alias) => self
                .imports(unit)
                .into_iter()
                .filter(|(a, _)| a.as_deref() == Some(alias.name.as_str()))
                .flat_map(|(_, u)| own_definitions(&u))
                .collect(),
            None => self.visible(unit),
        };
        candidates.into_iter().find(|d| {
            matches!(d.item(), Item::Component(c) if c.name.name == name.name.name)
                || matches!(d.item(), Item::Interface(i) if i.name.name == name.name.name)
        })
    }

    /// The user files of the platform (the current one included).
    pub fn project_units(&self, current: &Unit) -> Vec<Unit> {
        let mut out = vec![current.clone()];
        for p in &self.project {
            let loc = Loc::User(p.clone());
            if loc != current.loc {
                if let Some(u) = self.unit(&loc) {
                    out.push(u);
                }
            }
        }
        out
    }

    /// The instances and secrets of the platform.
    pub fn globals(&self, current: &Unit) -> Vec<ItemRef> {
        if matches!(current.loc, Loc::Std(_)) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for u in self.project_units(current) {
            for (index, item) in u.parsed.module.items.iter().enumerate() {
                if matches!(item, Item::Instance(_) | Item::Secret(_)) {
                    out.push(ItemRef {
                        unit: u.clone(),
                        index,
                    });
                }
            }
        }
        out
    }

    pub fn global(&self, current: &Unit, name: &str) -> Option<ItemRef> {
        self.globals(current).into_iter().find(|g| match g.item() {
            Item::Instance(i) => i.name.name == name,
            Item::Secret(s) => s.name.name == name,
            _ => false,
        })
    }

    /// Every policy of the program: the platform's files and the stdlib.
    pub fn policy(&self, current: &Unit, name: &str) -> Option<ItemRef> {
        let std = platc_driver::stdlib_modules()
            .iter()
            .filter_map(|(n, _)| self.unit(&Loc::Std(n)));
        self.project_units(current)
            .into_iter()
            .chain(std)
            .flat_map(|u| {
                (0..u.parsed.module.items.len()).map(move |index| ItemRef {
                    unit: u.clone(),
                    index,
                })
            })
            .find(|r| matches!(r.item(), Item::Policy(p) if p.name.name == name))
    }

    /// The shape of what an expression denotes, for field access.
    pub fn shape(&self, unit: &Unit, expr: &Expr, comp: Option<&ast::ComponentDecl>) -> Shape {
        match &expr.kind {
            ExprKind::SelfRef => Shape::SelfRef,
            ExprKind::Platform => Shape::Platform,
            ExprKind::Name(n) => self.name_shape(unit, n, comp),
            ExprKind::Field(base, field) => {
                let fields = self.fields(unit, &self.shape(unit, base, comp));
                match fields.into_iter().find(|f| f.name == field.name) {
                    Some(Field {
                        ty: Some((u, ty)), ..
                    }) => self.type_shape(&u, &ty),
                    _ => Shape::Unknown,
                }
            }
            _ => Shape::Unknown,
        }
    }

    pub fn name_shape(&self, unit: &Unit, name: &str, comp: Option<&ast::ComponentDecl>) -> Shape {
        match comp {
            Some(c) => match c.params.iter().find(|p| p.name.name == name) {
                Some(p) => self.type_shape(unit, &p.ty),
                None => Shape::Unknown,
            },
            None => match self.global(unit, name) {
                Some(g) => match g.item() {
                    Item::Instance(i) => match self.find_type(&g.unit, &i.component) {
                        Some(c) if c.component().is_some() => Shape::Component(c),
                        _ => Shape::Unknown,
                    },
                    _ => Shape::Secret,
                },
                None => Shape::Unknown,
            },
        }
    }

    pub fn type_shape(&self, unit: &Unit, ty: &ast::TypeExpr) -> Shape {
        match &ty.kind {
            ast::TypeExprKind::Optional(inner) => self.type_shape(unit, inner),
            ast::TypeExprKind::Named { name, .. }
                if name.module.is_none() && name.name.name == "secret" =>
            {
                Shape::Secret
            }
            ast::TypeExprKind::Named { name, .. } => match self.find_type(unit, name) {
                Some(d) if d.component().is_some() => Shape::Component(d),
                Some(d) => Shape::Interface(d),
                None => Shape::Unknown,
            },
            ast::TypeExprKind::Record(fields) => Shape::Record(
                unit.clone(),
                fields
                    .iter()
                    .map(|f| (f.name.clone(), f.ty.clone()))
                    .collect(),
            ),
            _ => Shape::Unknown,
        }
    }

    /// The fields of a shape, as `e.FIELD` reads them (spec 5.5).
    pub fn fields(&self, unit: &Unit, shape: &Shape) -> Vec<Field> {
        let builtin = |name: &str, ty: &str, doc: &str| Field {
            name: name.to_string(),
            ty_text: ty.to_string(),
            doc: Some(doc.to_string()),
            owner: None,
            ty: None,
            target: None,
        };
        let instance = || {
            vec![
                builtin(
                    "name",
                    "string",
                    "The instance's Kubernetes name (its name with `_` replaced by `-`).",
                ),
                builtin(
                    "namespace",
                    "string",
                    "The namespace the instance is deployed to.",
                ),
            ]
        };
        let iface_fields = |d: &ItemRef| -> Vec<Field> {
            let Some(i) = d.interface() else {
                return Vec::new();
            };
            i.fields
                .iter()
                .map(|f| Field {
                    name: f.name.name.clone(),
                    ty_text: d.unit.parsed.text[f.ty.span.range()].to_string(),
                    doc: None,
                    owner: Some(format!("interface `{}`", i.name.name)),
                    ty: Some((d.unit.clone(), f.ty.clone())),
                    target: Some(Target {
                        unit: d.unit.clone(),
                        span: f.name.span,
                    }),
                })
                .collect()
        };
        match shape {
            Shape::SelfRef => instance(),
            Shape::Platform => vec![
                builtin("name", "string", "The platform name."),
                builtin("namespace", "string", "The platform namespace."),
                builtin("domain", "string?", "The platform domain."),
                builtin(
                    "environment",
                    "string?",
                    "The environment being evaluated, `none` for the base platform.",
                ),
            ],
            Shape::Secret => vec![
                builtin(
                    "secret_name",
                    "string",
                    "The name of the Kubernetes Secret.",
                ),
                builtin(
                    "secret_key",
                    "string",
                    "The key of the value in the Secret.",
                ),
                builtin("secret_keys", "list<string>", "Every key of the Secret."),
            ],
            Shape::Interface(d) => {
                let mut out = instance();
                out.extend(iface_fields(d));
                out
            }
            Shape::Component(d) => {
                let mut out = instance();
                if let Some(c) = d.component() {
                    for p in &c.provides {
                        if let Some(i) = self.find_type(&d.unit, &p.interface) {
                            out.extend(iface_fields(&i));
                        }
                    }
                }
                out
            }
            Shape::Record(u, fields) => fields
                .iter()
                .map(|(n, ty)| Field {
                    name: n.name.clone(),
                    ty_text: u.parsed.text[ty.span.range()].to_string(),
                    doc: None,
                    owner: None,
                    ty: Some((u.clone(), ty.clone())),
                    target: Some(Target {
                        unit: u.clone(),
                        span: n.span,
                    }),
                })
                .collect(),
            Shape::Unknown => {
                let _ = unit;
                Vec::new()
            }
        }
    }
}

/// What an expression denotes, as far as field access goes.
pub enum Shape {
    SelfRef,
    Platform,
    Secret,
    /// A reference to an instance of this component.
    Component(ItemRef),
    /// A reference to a provider of this interface.
    Interface(ItemRef),
    Record(Unit, Vec<(ast::Ident, ast::TypeExpr)>),
    Unknown,
}

/// A field of a shape.
pub struct Field {
    pub name: String,
    pub ty_text: String,
    pub doc: Option<String>,
    /// `interface `X`` when the field is an interface's.
    pub owner: Option<String>,
    pub ty: Option<(Unit, ast::TypeExpr)>,
    pub target: Option<Target>,
}

/// The components, interfaces and policies a file defines.
pub fn own_definitions(unit: &Unit) -> Vec<ItemRef> {
    unit.parsed
        .module
        .items
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Item::Component(_) | Item::Interface(_) | Item::Policy(_)))
        .map(|(index, _)| ItemRef {
            unit: unit.clone(),
            index,
        })
        .collect()
}

/// Something written in a file that a feature can explain.
#[derive(Clone, Copy)]
pub enum Occ<'m> {
    Component(&'m ast::ComponentDecl),
    Interface(&'m ast::InterfaceDecl),
    Field(&'m ast::InterfaceDecl, &'m ast::FieldType),
    Param(&'m ast::ComponentDecl, &'m ast::ParamDecl),
    Let(&'m ast::ComponentDecl, &'m ast::LetDecl),
    ExposePoint(&'m ast::ComponentDecl, &'m ast::ExposePoint),
    Instance(&'m ast::InstanceDecl),
    Secret(&'m ast::SecretDecl),
    Policy(&'m ast::PolicyDecl),
    /// A component or interface named in a type or an instance.
    TypeRef(&'m ast::TypeName),
    Import(&'m ast::ImportDecl),
    /// An instance's attribute: a param of its component.
    Attr(&'m ast::InstanceDecl, &'m ast::Ident),
    /// An instance's expose block: an expose point of its component.
    Expose(&'m ast::InstanceDecl, &'m ast::Ident),
    /// A field of an instance's `expose` block (`host`, `auth`, ...).
    ExposeField(&'m ast::Ident),
    /// A name in an expression, inside a component or not.
    Name(&'m str, Option<&'m ast::ComponentDecl>),
    /// A comprehension variable (bound at the span).
    Local(Span),
    /// `base.field`.
    Member(&'m Expr, &'m ast::Ident, Option<&'m ast::ComponentDecl>),
    /// Segment `k` of an environment override's target.
    Override(&'m ast::Override, usize),
    WaiverPolicy(&'m ast::WaiverDecl),
    WaiverTarget(&'m ast::WaiverDecl, usize),
    /// A field set in a `provides` block: a field of the interface.
    ProvidesField(&'m ast::ProvidesDecl, &'m ast::Attr),
}

/// The innermost occurrence at `offset` (between two characters of it, or
/// just after it).
pub fn occurrence_at(module: &ast::Module, offset: usize) -> Option<Occ<'_>> {
    let mut all = Vec::new();
    let mut w = Walker {
        out: &mut all,
        locals: Vec::new(),
    };
    for item in &module.items {
        w.item(item);
    }
    let offset = offset as u32;
    all.into_iter()
        .filter(|(s, _)| s.start <= offset && offset <= s.end)
        .min_by_key(|(s, _)| s.end - s.start)
        .map(|(_, o)| o)
}

struct Walker<'m, 'o> {
    out: &'o mut Vec<(Span, Occ<'m>)>,
    /// Comprehension variables in scope.
    locals: Vec<&'m ast::Ident>,
}

impl<'m> Walker<'m, '_> {
    fn push(&mut self, span: Span, o: Occ<'m>) {
        self.out.push((span, o));
    }

    fn item(&mut self, item: &'m Item) {
        match item {
            Item::Platform(p) => {
                for a in &p.attrs {
                    self.expr(&a.value, None);
                }
            }
            Item::Import(d) => self.push(d.path.span, Occ::Import(d)),
            Item::Component(c) => self.component(c),
            Item::Interface(i) => {
                self.push(i.name.span, Occ::Interface(i));
                for f in &i.fields {
                    self.push(f.name.span, Occ::Field(i, f));
                    self.ty(&f.ty, None);
                }
            }
            Item::Secret(s) => {
                self.push(s.name.span, Occ::Secret(s));
            }
            Item::Environment(e) => {
                for o in &e.overrides {
                    for (k, seg) in o.target.iter().enumerate() {
                        self.push(seg.span, Occ::Override(o, k));
                    }
                    self.expr(&o.value, None);
                }
            }
            Item::Policy(p) => {
                self.push(p.name.span, Occ::Policy(p));
                for r in &p.rules {
                    self.locals.push(&r.var);
                    if let Some(f) = &r.filter {
                        self.expr(f, None);
                    }
                    self.expr(&r.message, None);
                    if let Some(h) = &r.help {
                        self.expr(h, None);
                    }
                    self.locals.pop();
                }
            }
            Item::Waiver(w) => {
                self.push(w.policy.span, Occ::WaiverPolicy(w));
                for (k, seg) in w.target.iter().enumerate() {
                    self.push(seg.span, Occ::WaiverTarget(w, k));
                }
            }
            Item::Instance(i) => {
                self.push(i.name.span, Occ::Instance(i));
                self.push(i.component.span, Occ::TypeRef(&i.component));
                for a in &i.attrs {
                    self.push(a.name.span, Occ::Attr(i, &a.name));
                    self.expr(&a.value, None);
                }
                for e in &i.exposes {
                    self.push(e.name.span, Occ::Expose(i, &e.name));
                    for a in &e.attrs {
                        self.push(a.name.span, Occ::ExposeField(&a.name));
                        self.expr(&a.value, None);
                    }
                }
            }
        }
    }

    fn component(&mut self, c: &'m ast::ComponentDecl) {
        let cx = Some(c);
        self.push(c.name.span, Occ::Component(c));
        for p in &c.params {
            self.push(p.name.span, Occ::Param(c, p));
            self.ty(&p.ty, cx);
            if let Some(d) = &p.default {
                self.expr(d, cx);
            }
        }
        for l in &c.lets {
            self.push(l.name.span, Occ::Let(c, l));
            self.expr(&l.value, cx);
        }
        for ch in &c.charts {
            if let Some(t) = &ch.timeout {
                self.expr(t, cx);
            }
        }
        for p in &c.provides {
            self.push(p.interface.span, Occ::TypeRef(&p.interface));
            if let Some(e) = &p.cond {
                self.expr(e, cx);
            }
            for a in &p.fields {
                self.push(a.name.span, Occ::ProvidesField(p, a));
                self.expr(&a.value, cx);
            }
        }
        for r in &c.requires {
            self.push(r.interface.span, Occ::TypeRef(&r.interface));
            if let Some(e) = &r.cond {
                self.expr(e, cx);
            }
        }
        for a in &c.asserts {
            self.expr(&a.cond, cx);
            self.expr(&a.message, cx);
        }
        for e in &c.exposes {
            self.push(e.name.span, Occ::ExposePoint(c, e));
            for a in &e.attrs {
                self.expr(&a.value, cx);
            }
        }
        for r in &c.resources {
            let n = self.locals.len();
            if let Some(each) = &r.each {
                self.expr(&each.list, cx);
                self.locals.push(&each.var);
            }
            if let Some(e) = &r.cond {
                self.expr(e, cx);
            }
            self.stmts(&r.body, cx);
            self.locals.truncate(n);
        }
        for v in &c.values {
            self.stmts(&v.stmts, cx);
        }
    }

    fn stmts(&mut self, stmts: &'m [ast::ValueStmt], cx: Option<&'m ast::ComponentDecl>) {
        for s in stmts {
            match s {
                ast::ValueStmt::Assign { path, value, .. } => {
                    for seg in path {
                        match &seg.kind {
                            ast::KeyKind::Index(e) => self.expr(e, cx),
                            ast::KeyKind::Computed(s) => self.string(s, cx),
                            ast::KeyKind::Name(_) => {}
                        }
                    }
                    self.expr(value, cx);
                }
                ast::ValueStmt::If {
                    cond,
                    then,
                    otherwise,
                    ..
                } => {
                    self.expr(cond, cx);
                    self.stmts(then, cx);
                    self.stmts(otherwise, cx);
                }
            }
        }
    }

    fn ty(&mut self, ty: &'m ast::TypeExpr, cx: Option<&'m ast::ComponentDecl>) {
        match &ty.kind {
            ast::TypeExprKind::Named { name, constraint } => {
                self.push(name.span, Occ::TypeRef(name));
                if let Some(c) = constraint {
                    if let ast::ConstraintKind::Range { lo, hi } = &c.kind {
                        for e in lo.iter().chain(hi) {
                            self.expr(e, cx);
                        }
                    }
                }
            }
            ast::TypeExprKind::List(t)
            | ast::TypeExprKind::Map(t)
            | ast::TypeExprKind::Optional(t) => self.ty(t, cx),
            ast::TypeExprKind::Record(fields) => {
                for f in fields {
                    self.ty(&f.ty, cx);
                }
            }
            ast::TypeExprKind::Enum(_) => {}
        }
    }

    fn string(&mut self, s: &'m ast::StringLit, cx: Option<&'m ast::ComponentDecl>) {
        for part in &s.parts {
            if let StrPart::Interp(e) = part {
                self.expr(e, cx);
            }
        }
    }

    fn expr(&mut self, e: &'m Expr, cx: Option<&'m ast::ComponentDecl>) {
        match &e.kind {
            ExprKind::Name(n) => match self.locals.iter().rev().find(|l| l.name == *n) {
                Some(l) => {
                    let at = l.span;
                    self.push(e.span, Occ::Local(at));
                }
                None => self.push(e.span, Occ::Name(n, cx)),
            },
            ExprKind::Str(s) => self.string(s, cx),
            ExprKind::List(items) => {
                for i in items {
                    self.expr(i, cx);
                }
            }
            ExprKind::Record(entries) => {
                for en in entries {
                    if let ast::RecordKey::Computed(s) = &en.key {
                        self.string(s, cx);
                    }
                    self.expr(&en.value, cx);
                }
            }
            ExprKind::Field(base, field) => {
                self.expr(base, cx);
                self.push(field.span, Occ::Member(base, field, cx));
            }
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                self.expr(a, cx);
                self.expr(b, cx);
            }
            ExprKind::Call(c) => {
                for a in &c.args {
                    self.expr(a, cx);
                }
            }
            ExprKind::Unary(_, a) => self.expr(a, cx),
            ExprKind::If(a, b, c) => {
                self.expr(a, cx);
                self.expr(b, cx);
                self.expr(c, cx);
            }
            ExprKind::Comprehension(c) => {
                self.expr(&c.source, cx);
                let n = self.locals.len();
                self.locals.extend(c.key_var.iter());
                self.locals.push(&c.var);
                if let Some(f) = &c.filter {
                    self.expr(f, cx);
                }
                if let Some(k) = &c.key {
                    self.expr(k, cx);
                }
                self.expr(&c.value, cx);
                self.locals.truncate(n);
            }
            // Literals, `self` and `platform` name nothing to look up.
            _ => {}
        }
    }
}

/// The names of the built-in types, with what each is.
pub const BUILTIN_TYPES: &[(&str, &str)] = &[
    ("string", "Text."),
    (
        "int",
        "A 64-bit integer; `int(1..64)` constrains its range.",
    ),
    ("float", "A floating-point number."),
    ("bool", "`true` or `false`."),
    ("bytes", "A byte quantity: `512Mi`, `20Gi`, `1T`."),
    ("cpu", "A CPU quantity: `500m`, `2`."),
    ("duration", "A duration: `30s`, `10min`, `1h`."),
    ("path", "A file path, relative to the file that names it."),
    ("secret_name", "The name of a Kubernetes Secret."),
    (
        "secret",
        "A reference to a secret: where its value lives, never the value.",
    ),
    ("list", "`list<T>`: a list of `T`."),
    ("map", "`map<T>`: a map from strings to `T`."),
];

/// The fields of an instance's `expose` block (spec 6.4.3).
pub const EXPOSE_FIELDS: &[(&str, &str, &str)] = &[
    ("host", "string", "The host name of the endpoint (required)."),
    ("path", "string", "The path prefix routed to the service; default `\"/\"`."),
    (
        "auth",
        "(\"sso\" | \"basic\")?",
        "`\"sso\"`: behind the single-sign-on proxy; `\"basic\"`: HTTP basic auth; `none`: no authentication (the default).",
    ),
    ("tls", "bool", "Serve with TLS; default `true`."),
    ("audit", "bool", "Write an audit log of the requests; default `false`."),
    ("public", "bool", "Reachable from outside the organisation's network; default `false`."),
];

/// The reserved attributes of every instance (spec 6.4.2).
pub const RESERVED_ATTRS: &[(&str, &str, &str)] = &[
    (
        "namespace",
        "string",
        "The Kubernetes namespace of the instance; default: the platform namespace.",
    ),
    (
        "values_files",
        "list<path>",
        "The user's own Helm values files, merged after the generated values, in order.",
    ),
    (
        "enabled",
        "bool",
        "Whether the instance is part of the platform; default `true`.",
    ),
];
