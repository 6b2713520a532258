//! Collection of definitions, scopes, and the type checker.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use platc_diag::{did_you_mean, Diagnostic, FileId, Severity, Sink, Span};
use platc_syntax::ast::{self, BinaryOp, ExprKind, StrPart, TypeExprKind, UnaryOp};

use crate::eval::Evaluator;
use crate::types::{
    assignable, Bound, CompId, Constraint, Display, IfaceId, Mismatch, Provides, Ty, TypeNames,
};
use crate::{Analysis, Program};

pub(crate) const BUILTIN_TYPES: &[&str] = &[
    "string", "int", "float", "bool", "bytes", "cpu", "duration", "path", "secret",
];
pub(crate) const RESERVED_ATTRS: &[&str] = &["namespace", "values_files"];
/// Fields every instance reference has; interfaces cannot declare them.
const RESERVED_FIELDS: &[&str] = &["name", "namespace"];
const EXPOSE_POINT_FIELDS: &[&str] = &["port", "service"];
const PLATFORM_FIELDS: &[&str] = &["domain", "namespace"];
const FUNCTIONS: &[&str] = &["len", "lower", "upper", "join", "contains", "default"];
pub(crate) const SECRET_SOURCES: &[&str] = &["env", "kubernetes_secret", "external_secret"];
const COLLECTIONS: &[&str] = &["exposes", "instances", "secrets"];
pub(crate) const DNS_LABEL: &str = "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";
const INSTANCE_NAME: &str = "^[a-z][a-z0-9_]*$";

/// A definition that can be imported.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Def {
    Comp(CompId),
    Iface(IfaceId),
    Policy(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Global {
    Instance(usize),
    Secret(usize),
}

pub(crate) struct ParamInfo {
    pub name: String,
    pub ty: Ty,
    pub required: bool,
    pub span: Span,
}

pub(crate) struct CompInfo<'a> {
    pub decl: &'a ast::ComponentDecl,
    pub file: FileId,
    pub params: Vec<ParamInfo>,
    pub provides: Vec<IfaceId>,
}

pub(crate) struct IfaceInfo<'a> {
    pub decl: &'a ast::InterfaceDecl,
    pub fields: Vec<(String, Ty)>,
}

#[derive(Default)]
struct FileScope {
    /// name -> (definition, span of the definition, import index it came through)
    names: HashMap<String, (Def, Span, Option<usize>)>,
    aliases: HashMap<String, (FileId, usize)>,
}

/// Typing context of one expression.
#[derive(Clone, Default)]
pub(crate) struct Ctx {
    /// Local names: params, loop variables, narrowed optionals (last wins).
    pub locals: Vec<(String, Ty)>,
    /// Inside a component: `self` is available.
    pub in_component: bool,
    /// Instances and secrets are visible.
    pub globals: bool,
}

impl Ctx {
    fn lookup(&self, name: &str) -> Option<&Ty> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
    }
}

pub(crate) struct Checker<'a> {
    pub program: &'a Program<'a>,
    pub sink: Sink,
    pub comps: Vec<CompInfo<'a>>,
    pub ifaces: Vec<IfaceInfo<'a>>,
    pub policies: Vec<(&'a ast::PolicyDecl, FileId)>,
    pub instances: Vec<(&'a ast::InstanceDecl, FileId, Option<CompId>)>,
    pub secrets: Vec<&'a ast::SecretDecl>,
    pub environments: Vec<&'a ast::EnvironmentDecl>,
    pub waivers: Vec<&'a ast::WaiverDecl>,
    pub platform: Option<&'a ast::PlatformDecl>,
    pub globals: HashMap<String, (Global, Span)>,
    scopes: HashMap<FileId, FileScope>,
    used_imports: HashSet<(FileId, usize)>,
    /// Instance args that type-checked, ready for evaluation.
    pub typed_args: HashSet<(usize, String)>,
    /// Instances on a reference cycle (reported): never evaluated.
    pub on_cycle: HashSet<usize>,
    /// The type of namespaces, built once (its regex keeps a match cache).
    dns_label: Ty,
}

impl TypeNames for Checker<'_> {
    fn component_name(&self, id: CompId) -> &str {
        &self.comps[id.0 as usize].decl.name.name
    }
    fn interface_name(&self, id: IfaceId) -> &str {
        &self.ifaces[id.0 as usize].decl.name.name
    }
}

impl Provides for Checker<'_> {
    fn provides(&self, comp: CompId, iface: IfaceId) -> bool {
        self.comps[comp.0 as usize].provides.contains(&iface)
    }
}

impl<'a> Checker<'a> {
    pub fn run(program: &'a Program<'a>) -> Analysis {
        let mut c = Checker {
            program,
            sink: Sink::new(),
            comps: vec![],
            ifaces: vec![],
            policies: vec![],
            instances: vec![],
            secrets: vec![],
            environments: vec![],
            waivers: vec![],
            platform: None,
            globals: HashMap::new(),
            scopes: HashMap::new(),
            used_imports: HashSet::new(),
            typed_args: HashSet::new(),
            on_cycle: HashSet::new(),
            dns_label: dns_label_ty(),
        };
        c.collect();
        c.build_scopes();
        c.resolve_signatures();
        for i in 0..c.comps.len() {
            c.check_component(CompId(i as u32));
        }
        c.check_platform_block();
        for s in c.secrets.clone() {
            c.check_secret_source(s);
        }
        for i in 0..c.instances.len() {
            c.check_instance(i);
        }
        c.check_requirements();
        for i in 0..c.environments.len() {
            c.check_environment(i);
        }
        c.on_cycle = crate::refs::check_cycles(&mut c);
        for i in 0..c.policies.len() {
            c.check_policy(i);
        }
        c.check_policy_codes();
        for i in 0..c.waivers.len() {
            c.check_waiver(i);
        }
        c.report_unused_imports();
        let platform = {
            let env = program
                .environment
                .as_ref()
                .and_then(|n| c.environments.iter().find(|e| e.name.name == *n).copied());
            let mut ev = Evaluator::new(&c).with_environment(env);
            let p = ev.platform();
            let diags = ev.into_diagnostics();
            c.sink.extend(diags);
            p
        };
        let has_errors = c.sink.has_errors();
        Analysis {
            diagnostics: c.sink.finish(),
            platform: if has_errors { None } else { platform },
        }
    }

    pub fn ty(&self, t: &Ty) -> String {
        Display(t, self).to_string()
    }

    fn err(&mut self, d: Diagnostic) {
        self.sink.push(d);
    }

    // ------------------------------------------------------------ collection

    fn collect(&mut self) {
        let program = self.program;
        let mut seen_defs: HashMap<(FileId, String), Span> = HashMap::new();
        for unit in &program.units {
            for item in &unit.module.items {
                let local = |name: &ast::Ident,
                             seen: &mut HashMap<(FileId, String), Span>|
                 -> Option<Span> {
                    let key = (unit.file, name.name.clone());
                    if let Some(prev) = seen.get(&key) {
                        return Some(*prev);
                    }
                    seen.insert(key, name.span);
                    None
                };
                match item {
                    ast::Item::Platform(p) => {
                        if unit.file != program.root {
                            self.err(
                                Diagnostic::error(
                                    "E0108",
                                    "a platform block is only allowed in the root file",
                                    p.span,
                                )
                                .with_label("platform block in an imported file")
                                .with_help("move the platform block into the project's main.plat"),
                            );
                        } else if let Some(prev) = self.platform {
                            self.err(
                                Diagnostic::error("E0108", "a second platform block", p.name.span)
                                    .with_label("second platform block")
                                    .with_secondary(
                                        prev.name.span,
                                        "the platform is already declared here",
                                    )
                                    .with_help(
                                        "a project declares exactly one platform; merge the blocks",
                                    ),
                            );
                        } else {
                            self.platform = Some(p);
                        }
                    }
                    ast::Item::Import(_) => {}
                    ast::Item::Component(d) => {
                        if let Some(prev) = local(&d.name, &mut seen_defs) {
                            self.duplicate(&d.name, prev);
                        }
                        self.not_a_builtin_type(&d.name);
                        self.comps.push(CompInfo {
                            decl: d,
                            file: unit.file,
                            params: vec![],
                            provides: vec![],
                        });
                    }
                    ast::Item::Interface(d) => {
                        if let Some(prev) = local(&d.name, &mut seen_defs) {
                            self.duplicate(&d.name, prev);
                        }
                        self.not_a_builtin_type(&d.name);
                        self.ifaces.push(IfaceInfo {
                            decl: d,
                            fields: vec![],
                        });
                    }
                    ast::Item::Policy(d) => {
                        if let Some(prev) = local(&d.name, &mut seen_defs) {
                            self.duplicate(&d.name, prev);
                        } else if let Some((prev, _)) = self
                            .policies
                            .iter()
                            .find(|(p, _)| p.name.name == d.name.name)
                        {
                            // Waivers name policies without imports: unique platform-wide.
                            let prev = prev.name.span;
                            self.duplicate(&d.name, prev);
                        }
                        self.policies.push((d, unit.file));
                    }
                    ast::Item::Secret(d) => {
                        if unit.is_std {
                            self.misplaced_in_std(d.span, "secret");
                            continue;
                        }
                        let g = Global::Secret(self.secrets.len());
                        self.secrets.push(d);
                        self.add_global(&d.name, g);
                    }
                    ast::Item::Instance(d) => {
                        if unit.is_std {
                            self.misplaced_in_std(d.span, "instance");
                            continue;
                        }
                        let g = Global::Instance(self.instances.len());
                        self.instances.push((d, unit.file, None));
                        self.add_global(&d.name, g);
                    }
                    ast::Item::Environment(d) => {
                        if let Some(prev) = self
                            .environments
                            .iter()
                            .find(|e| e.name.name == d.name.name)
                        {
                            let prev = prev.name.span;
                            self.duplicate(&d.name, prev);
                        }
                        self.environments.push(d);
                    }
                    ast::Item::Waiver(d) => self.waivers.push(d),
                }
            }
        }
        if self.platform.is_none() && !program.allow_missing_platform {
            let root = program.root;
            self.err(
                Diagnostic::error(
                    "E0207",
                    "the root file declares no platform",
                    Span::new(root, 0, 0),
                )
                .with_label("expected a platform block in this file")
                .with_help("add `platform \"name\" { domain = \"example.com\" }` to the root file"),
            );
        }
    }

    /// Components and interfaces are types: they must not shadow a built-in.
    fn not_a_builtin_type(&mut self, name: &ast::Ident) {
        if BUILTIN_TYPES.contains(&name.name.as_str()) || name.name == "list" || name.name == "map"
        {
            self.err(
                Diagnostic::error(
                    "E0202",
                    format!("`{}` is the name of a built-in type", name.name),
                    name.span,
                )
                .with_label("cannot be redefined")
                .with_help("choose another name"),
            );
        }
    }

    fn misplaced_in_std(&mut self, span: Span, what: &str) {
        self.err(
            Diagnostic::error(
                "E0108",
                format!("a stdlib module cannot declare a {what}"),
                span,
            )
            .with_label("not allowed here"),
        );
    }

    fn duplicate(&mut self, name: &ast::Ident, prev: Span) {
        self.err(
            Diagnostic::error(
                "E0202",
                format!("`{}` is defined more than once", name.name),
                name.span,
            )
            .with_label("defined again here")
            .with_secondary(prev, "first defined here")
            .with_help("rename one of them"),
        );
    }

    fn add_global(&mut self, name: &ast::Ident, g: Global) {
        if let Some((_, prev)) = self.globals.get(&name.name) {
            let prev = *prev;
            self.duplicate(name, prev);
            return;
        }
        self.globals.insert(name.name.clone(), (g, name.span));
    }

    fn own_defs(&self, file: FileId) -> Vec<(String, Def, Span)> {
        let mut out = Vec::new();
        for (i, c) in self.comps.iter().enumerate() {
            if c.file == file {
                out.push((
                    c.decl.name.name.clone(),
                    Def::Comp(CompId(i as u32)),
                    c.decl.name.span,
                ));
            }
        }
        for (i, f) in self.ifaces.iter().enumerate() {
            if f.decl.name.span.file == file {
                out.push((
                    f.decl.name.name.clone(),
                    Def::Iface(IfaceId(i as u32)),
                    f.decl.name.span,
                ));
            }
        }
        for (i, (p, pf)) in self.policies.iter().enumerate() {
            if *pf == file {
                out.push((p.name.name.clone(), Def::Policy(i), p.name.span));
            }
        }
        out
    }

    fn build_scopes(&mut self) {
        let program = self.program;
        for unit in &program.units {
            let mut scope = FileScope::default();
            for (name, def, span) in self.own_defs(unit.file) {
                scope.names.entry(name).or_insert((def, span, None));
            }
            let imports = unit.module.items.iter().filter_map(|i| match i {
                ast::Item::Import(d) => Some(d),
                _ => None,
            });
            for (idx, (decl, target)) in imports.zip(&unit.imports).enumerate() {
                let Some(target) = target else {
                    // Not loaded: names from it are unknown; do not also warn.
                    self.used_imports.insert((unit.file, idx));
                    continue;
                };
                // A file that declares instances, secrets, environments or
                // waivers joins the platform through its import: used.
                let contributes = program.units.iter().any(|u| {
                    u.file == *target
                        && u.module.items.iter().any(|i| {
                            matches!(
                                i,
                                ast::Item::Instance(_)
                                    | ast::Item::Policy(_)
                                    | ast::Item::Secret(_)
                                    | ast::Item::Environment(_)
                                    | ast::Item::Waiver(_)
                            )
                        })
                });
                if contributes {
                    self.used_imports.insert((unit.file, idx));
                }
                if let Some(alias) = &decl.alias {
                    if let Some((_, span, _)) = scope.names.get(&alias.name) {
                        let span = *span;
                        self.duplicate(alias, span);
                    }
                    scope.aliases.insert(alias.name.clone(), (*target, idx));
                    continue;
                }
                for (name, def, span) in self.own_defs(*target) {
                    match scope.names.get(&name) {
                        Some((existing, _, _)) if *existing == def => {}
                        Some((_, prev, _)) => {
                            let prev = *prev;
                            self.err(
                                Diagnostic::error(
                                    "E0202",
                                    format!("`{name}` is defined more than once"),
                                    decl.path.span,
                                )
                                .with_label(format!("this import brings in another `{name}`"))
                                .with_secondary(prev, "already defined here")
                                .with_secondary(span, "the imported definition")
                                .with_help("import one of the modules with `as` to keep both"),
                            );
                        }
                        None => {
                            scope.names.insert(name, (def, span, Some(idx)));
                        }
                    }
                }
            }
            self.scopes.insert(unit.file, scope);
        }
    }

    /// Resolves a possibly qualified name in a file's scope.
    fn lookup_def(&mut self, file: FileId, module: Option<&ast::Ident>, name: &str) -> Option<Def> {
        let scope = self.scopes.get(&file)?;
        match module {
            None => {
                let (def, _, via) = *scope.names.get(name)?;
                if let Some(idx) = via {
                    self.used_imports.insert((file, idx));
                }
                Some(def)
            }
            Some(m) => {
                let (target, idx) = *scope.aliases.get(&m.name)?;
                self.used_imports.insert((file, idx));
                self.own_defs(target)
                    .into_iter()
                    .find(|(n, _, _)| n == name)
                    .map(|(_, d, _)| d)
            }
        }
    }

    fn scope_names(&self, file: FileId) -> Vec<String> {
        self.scopes
            .get(&file)
            .map(|s| s.names.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn unknown_name(
        &mut self,
        what: &str,
        name: &str,
        span: Span,
        candidates: Vec<String>,
        help: Option<&str>,
    ) {
        let mut d = Diagnostic::error("E0201", format!("unknown {what} `{name}`"), span)
            .with_label("not found in this scope");
        d = d.with_suggestion(
            name,
            candidates.iter().map(String::as_str),
            help.map(str::to_string),
        );
        self.err(d);
    }

    fn report_unused_imports(&mut self) {
        let program = self.program;
        for unit in &program.units {
            if unit.is_std {
                continue;
            }
            let imports = unit.module.items.iter().filter_map(|i| match i {
                ast::Item::Import(d) => Some(d),
                _ => None,
            });
            for (idx, decl) in imports.enumerate() {
                if !self.used_imports.contains(&(unit.file, idx)) {
                    let path = decl.path.as_plain().unwrap_or_default();
                    self.err(
                        Diagnostic::new(
                            "W0201",
                            format!("import `{path}` is never used"),
                            platc_diag::Label::new(decl.span, "nothing from this module is used"),
                        )
                        .with_help("remove the import"),
                    );
                }
            }
        }
    }

    // ------------------------------------------------------------ types

    /// Resolves a type expression written in `file`.
    pub fn resolve_type(&mut self, file: FileId, t: &ast::TypeExpr) -> Ty {
        match &t.kind {
            TypeExprKind::Named { name, constraint } => {
                let base = self.resolve_type_name(file, name);
                match constraint {
                    None => base,
                    Some(c) => self.resolve_constraint(base, c),
                }
            }
            TypeExprKind::List(e) => Ty::List(Box::new(self.resolve_type(file, e))),
            TypeExprKind::Map(e) => Ty::Map(Box::new(self.resolve_type(file, e))),
            TypeExprKind::Record(fields) => {
                let mut out: Vec<(String, Ty)> = Vec::new();
                for f in fields {
                    if let Some(prev) = fields
                        .iter()
                        .find(|g| g.name.name == f.name.name && g.span.start < f.span.start)
                    {
                        self.duplicate(&f.name, prev.name.span);
                        continue;
                    }
                    let ty = self.resolve_type(file, &f.ty);
                    out.push((f.name.name.clone(), ty));
                }
                Ty::Record(out)
            }
            TypeExprKind::Enum(variants) => {
                let mut out: Vec<String> = Vec::new();
                for (v, span) in variants {
                    if out.contains(v) {
                        self.err(
                            Diagnostic::error(
                                "E0202",
                                format!("enum variant {v:?} is listed twice"),
                                *span,
                            )
                            .with_label("listed again here"),
                        );
                    } else {
                        out.push(v.clone());
                    }
                }
                Ty::Enum(out)
            }
            TypeExprKind::Optional(inner) => {
                let t = self.resolve_type(file, inner);
                match t {
                    Ty::Optional(_) => t,
                    t => Ty::Optional(Box::new(t)),
                }
            }
        }
    }

    fn resolve_type_name(&mut self, file: FileId, name: &ast::TypeName) -> Ty {
        if name.module.is_none() {
            let t = match name.name.name.as_str() {
                "string" => Some(Ty::String),
                "int" => Some(Ty::Int),
                "float" => Some(Ty::Float),
                "bool" => Some(Ty::Bool),
                "bytes" => Some(Ty::Bytes),
                "cpu" => Some(Ty::Cpu),
                "duration" => Some(Ty::Duration),
                "path" => Some(Ty::Path),
                "secret" => Some(Ty::Secret),
                _ => None,
            };
            if let Some(t) = t {
                return t;
            }
        }
        match self.lookup_def(file, name.module.as_ref(), &name.name.name) {
            Some(Def::Comp(c)) => Ty::Component(c),
            Some(Def::Iface(i)) => Ty::Interface(i),
            Some(Def::Policy(_)) => {
                self.err(
                    Diagnostic::error(
                        "E0301",
                        format!("`{name}` is a policy, not a type"),
                        name.span,
                    )
                    .with_label("expected a type"),
                );
                Ty::Unknown
            }
            None => {
                if let Some(m) = &name.module {
                    if !self
                        .scopes
                        .get(&file)
                        .is_some_and(|s| s.aliases.contains_key(&m.name))
                    {
                        let aliases: Vec<String> = self
                            .scopes
                            .get(&file)
                            .map(|s| s.aliases.keys().cloned().collect())
                            .unwrap_or_default();
                        self.unknown_name(
                            "module alias",
                            &m.name,
                            m.span,
                            aliases,
                            Some("import the module with `import \"std/...\" as NAME`"),
                        );
                        return Ty::Unknown;
                    }
                }
                let mut candidates = self.scope_names(file);
                candidates.extend(BUILTIN_TYPES.iter().map(|s| s.to_string()));
                self.unknown_name(
                    "type",
                    &name.to_string(),
                    name.span,
                    candidates,
                    Some("types are the built-in types, components and interfaces in scope; is an import missing?"),
                );
                Ty::Unknown
            }
        }
    }

    fn resolve_constraint(&mut self, base: Ty, c: &ast::Constraint) -> Ty {
        match &c.kind {
            ast::ConstraintKind::Pattern(pattern, span) => {
                if base != Ty::String {
                    self.err(
                        Diagnostic::error(
                            "E0321",
                            format!(
                                "a pattern constraint needs a string type, not `{}`",
                                self.ty(&base)
                            ),
                            c.span,
                        )
                        .with_label("pattern on a non-string type"),
                    );
                    return base;
                }
                match regex::Regex::new(pattern) {
                    Ok(re) => Ty::Constrained(Box::new(base), Rc::new(Constraint::Pattern(re))),
                    Err(e) => {
                        let msg = e.to_string();
                        let last = msg.lines().last().unwrap_or("").trim().to_string();
                        self.err(
                            Diagnostic::error(
                                "E0313",
                                format!("invalid pattern {pattern:?}"),
                                *span,
                            )
                            .with_label(last)
                            .with_help("patterns use Rust regex syntax: https://docs.rs/regex"),
                        );
                        base
                    }
                }
            }
            ast::ConstraintKind::Range { lo, hi } => {
                let kind_ok = matches!(
                    base,
                    Ty::Int | Ty::Float | Ty::Bytes | Ty::Cpu | Ty::Duration
                );
                if !kind_ok {
                    self.err(
                        Diagnostic::error(
                            "E0321",
                            format!(
                                "a range constraint needs a numeric or quantity type, not `{}`",
                                self.ty(&base)
                            ),
                            c.span,
                        )
                        .with_label("range on a non-numeric type"),
                    );
                    return base;
                }
                let lo_b = lo.as_ref().and_then(|e| self.bound(&base, e));
                let hi_b = hi.as_ref().and_then(|e| self.bound(&base, e));
                if let (Some(a), Some(b)) = (lo_b, hi_b) {
                    let empty = match (a, b) {
                        (Bound::Int(a), Bound::Int(b)) => a > b,
                        (Bound::Float(a), Bound::Float(b)) => a > b,
                        _ => false,
                    };
                    if empty {
                        self.err(
                            Diagnostic::error(
                                "E0321",
                                "the range is empty: its lower bound is above its upper bound",
                                c.span,
                            )
                            .with_label("no value fits this range"),
                        );
                    }
                }
                let text = {
                    let src = |e: &Option<ast::Expr>| e.as_ref().map(expr_text).unwrap_or_default();
                    format!("{}..{}", src(lo), src(hi))
                };
                Ty::Constrained(
                    Box::new(base),
                    Rc::new(Constraint::Range {
                        lo: lo_b,
                        hi: hi_b,
                        text,
                    }),
                )
            }
        }
    }

    fn bound(&mut self, base: &Ty, e: &ast::Expr) -> Option<Bound> {
        let (neg, inner) = match &e.kind {
            ExprKind::Unary(UnaryOp::Neg, inner) => (true, &**inner),
            _ => (false, e),
        };
        let sign = if neg { -1i128 } else { 1 };
        let b = match (&inner.kind, base) {
            (ExprKind::Int(i), Ty::Int) | (ExprKind::Int(i), Ty::Bytes) => {
                Some(Bound::Int(sign * *i as i128))
            }
            (ExprKind::Int(i), Ty::Float) => Some(Bound::Float(sign as f64 * *i as f64)),
            (ExprKind::Float(f), Ty::Float) => Some(Bound::Float(sign as f64 * f)),
            (ExprKind::Int(i), Ty::Cpu) => Some(Bound::Int(sign * *i as i128 * 1000)),
            (ExprKind::Float(f), Ty::Cpu) if (f * 1000.0).fract() == 0.0 => {
                Some(Bound::Int(sign * (f * 1000.0) as i128))
            }
            (ExprKind::Quantity(q), t) if t.quantity_kind() == Some(q.kind) => {
                Some(Bound::Int(sign * q.amount as i128))
            }
            _ => None,
        };
        if b.is_none() {
            self.err(
                Diagnostic::error(
                    "E0321",
                    format!(
                        "`{}` is not a valid bound for `{}`",
                        expr_text(e),
                        self.ty(base)
                    ),
                    e.span,
                )
                .with_label("bound of the wrong kind"),
            );
        }
        b
    }

    /// Resolves interface fields and component params and provides.
    fn resolve_signatures(&mut self) {
        for i in 0..self.ifaces.len() {
            let decl = self.ifaces[i].decl;
            let file = decl.span.file;
            let mut fields: Vec<(String, Ty)> = Vec::new();
            for f in &decl.fields {
                if let Some(prev) = decl
                    .fields
                    .iter()
                    .find(|g| g.name.name == f.name.name && g.span.start < f.span.start)
                {
                    self.duplicate(&f.name, prev.name.span);
                    continue;
                }
                if RESERVED_FIELDS.contains(&f.name.name.as_str()) {
                    self.err(
                        Diagnostic::error(
                            "E0202",
                            format!("`{}` is a field every instance has already", f.name.name),
                            f.name.span,
                        )
                        .with_label("reserved field name")
                        .with_note(
                            "`name` and `namespace` of an instance come from the instance itself",
                        )
                        .with_help("choose another name"),
                    );
                    continue;
                }
                let t = self.resolve_type(file, &f.ty);
                fields.push((f.name.name.clone(), t));
            }
            self.ifaces[i].fields = fields;
        }
        for i in 0..self.comps.len() {
            let decl = self.comps[i].decl;
            let file = self.comps[i].file;
            let mut provides = Vec::new();
            let mut provides_at: Vec<Span> = Vec::new();
            for p in &decl.provides {
                match self.resolve_type_name(file, &p.interface) {
                    Ty::Interface(id) => {
                        if provides.contains(&id) {
                            self.err(
                                Diagnostic::error(
                                    "E0311",
                                    format!("`{}` is provided twice", p.interface),
                                    p.interface.span,
                                )
                                .with_label("provided again here"),
                            );
                        }
                        provides.push(id);
                        provides_at.push(p.interface.span);
                    }
                    Ty::Unknown => {}
                    other => {
                        let t = self.ty(&other);
                        self.err(
                            Diagnostic::error("E0301", format!("`{t}` is not an interface"), p.interface.span)
                                .with_label("expected an interface")
                                .with_help("a component can only provide interfaces, declared with `interface NAME { ... }`"),
                        );
                    }
                }
            }
            let mut params: Vec<ParamInfo> = Vec::new();
            for p in &decl.params {
                if RESERVED_ATTRS.contains(&p.name.name.as_str()) {
                    self.err(
                        Diagnostic::error(
                            "E0202",
                            format!("`{}` is a reserved instance attribute", p.name.name),
                            p.name.span,
                        )
                        .with_label("cannot be a parameter name")
                        .with_note("every instance has `namespace` and `values_files` already")
                        .with_help("choose another name"),
                    );
                    continue;
                }
                if let Some(prev) = params.iter().find(|q| q.name == p.name.name) {
                    let prev = prev.span;
                    self.duplicate(&p.name, prev);
                    continue;
                }
                let ty = self.resolve_type(file, &p.ty);
                let required = p.default.is_none() && !matches!(ty.base(), Ty::Optional(_));
                params.push(ParamInfo {
                    name: p.name.name.clone(),
                    ty,
                    required,
                    span: p.name.span,
                });
            }
            self.comps[i].params = params;
            // `instance.field` must name one field: provided interfaces may
            // not share field names.
            let mut owner: HashMap<String, (IfaceId, Span)> = HashMap::new();
            for (at, id) in provides_at.iter().zip(&provides) {
                let fields: Vec<String> = self.ifaces[id.0 as usize]
                    .fields
                    .iter()
                    .map(|(f, _)| f.clone())
                    .collect();
                for field in fields {
                    match owner.get(&field) {
                        Some((other, other_at)) if other != id => {
                            let (other, other_at) = (*other, *other_at);
                            let (a, b) = (
                                self.interface_name(other).to_string(),
                                self.interface_name(*id).to_string(),
                            );
                            self.err(
                                Diagnostic::error(
                                    "E0202",
                                    format!("`{a}` and `{b}` both have a field `{field}`"),
                                    *at,
                                )
                                .with_label(format!("`{}.{field}` would be ambiguous", decl.name.name))
                                .with_secondary(other_at, format!("`{a}` is provided here"))
                                .with_help("a component can only provide interfaces whose field names differ; rename one field"),
                            );
                        }
                        _ => {
                            owner.insert(field, (*id, *at));
                        }
                    }
                }
            }
            self.comps[i].provides = provides;
        }
    }

    // ------------------------------------------------------------ components

    fn check_component(&mut self, id: CompId) {
        let decl = self.comps[id.0 as usize].decl;
        let file = self.comps[id.0 as usize].file;
        // chart
        for (n, chart) in decl.charts.iter().enumerate() {
            if n > 0 {
                self.err(
                    Diagnostic::error("E0311", "a component deploys at most one chart", chart.span)
                        .with_label("second chart")
                        .with_secondary(decl.charts[0].span, "first chart")
                        .with_help("split the component in two"),
                );
                continue;
            }
            self.check_chart(chart);
        }
        let mut ctx = Ctx {
            in_component: true,
            ..Ctx::default()
        };
        let params: Vec<(String, Ty)> = self.comps[id.0 as usize]
            .params
            .iter()
            .map(|p| (p.name.clone(), p.ty.clone()))
            .collect();
        // defaults: checked without other params in scope
        for p in &decl.params {
            if let Some(default) = &p.default {
                let Some(ty) = params
                    .iter()
                    .find(|(n, _)| *n == p.name.name)
                    .map(|(_, t)| t.clone())
                else {
                    continue;
                };
                let default_ctx = Ctx::default();
                if self.check_expr(default, &ty, &default_ctx) {
                    crate::eval::check_constant_against(self, default, &ty);
                }
            }
        }
        ctx.locals = params;
        // requires
        for r in &decl.requires {
            match self.resolve_type_name(file, r) {
                Ty::Interface(_) | Ty::Unknown => {}
                other => {
                    let t = self.ty(&other);
                    self.err(
                        Diagnostic::error("E0301", format!("`{t}` is not an interface"), r.span)
                            .with_label("expected an interface"),
                    );
                }
            }
        }
        // provides
        for p in &decl.provides {
            let Ty::Interface(iid) = self.resolve_type_name_quiet(file, &p.interface) else {
                continue;
            };
            let fields = self.ifaces[iid.0 as usize].fields.clone();
            let iface_name = self.ifaces[iid.0 as usize].decl.name.name.clone();
            let mut seen: Vec<&ast::Ident> = Vec::new();
            for attr in &p.fields {
                if self.is_repeated(&seen, &attr.name) {
                    continue;
                }
                seen.push(&attr.name);
                match fields.iter().find(|(n, _)| *n == attr.name.name) {
                    Some((_, t)) => {
                        self.check_expr(&attr.value, t, &ctx);
                    }
                    None => {
                        let mut d = Diagnostic::error(
                            "E0309",
                            format!("interface `{iface_name}` has no field `{}`", attr.name.name),
                            attr.name.span,
                        )
                        .with_label("not a field of the interface");
                        d = d.with_suggestion(
                            &attr.name.name,
                            fields.iter().map(|(n, _)| n.as_str()),
                            None,
                        );
                        self.err(d);
                    }
                }
            }
            let missing: Vec<&str> = fields
                .iter()
                .filter(|(n, t)| {
                    !seen.iter().any(|s| s.name == *n) && !matches!(t.base(), Ty::Optional(_))
                })
                .map(|(n, _)| n.as_str())
                .collect();
            if !missing.is_empty() {
                let list = missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.err(
                    Diagnostic::error(
                        "E0309",
                        format!(
                            "`{}` does not set {list} of interface `{iface_name}`",
                            decl.name.name
                        ),
                        p.interface.span,
                    )
                    .with_label("incomplete provides block")
                    .with_secondary(
                        self.ifaces[iid.0 as usize].decl.name.span,
                        "the interface is declared here",
                    )
                    .with_help(format!("set {list} in this provides block")),
                );
            }
        }
        // expose points
        for (n, e) in decl.exposes.iter().enumerate() {
            if let Some(prev) = decl.exposes[..n]
                .iter()
                .find(|x| x.name.name == e.name.name)
            {
                self.duplicate(&e.name, prev.name.span);
            }
            let port_ty = Ty::Constrained(
                Box::new(Ty::Int),
                Rc::new(Constraint::Range {
                    lo: Some(Bound::Int(1)),
                    hi: Some(Bound::Int(65535)),
                    text: "1..65535".into(),
                }),
            );
            let mut has_port = false;
            let mut seen: Vec<&ast::Ident> = Vec::new();
            for a in &e.attrs {
                if self.is_repeated(&seen, &a.name) {
                    continue;
                }
                seen.push(&a.name);
                match a.name.name.as_str() {
                    "port" => {
                        has_port = true;
                        if self.check_expr(&a.value, &port_ty, &ctx) {
                            crate::eval::check_constant_against(self, &a.value, &port_ty);
                        }
                    }
                    "service" => {
                        self.check_expr(&a.value, &Ty::String, &ctx);
                    }
                    other => self.unknown_field_of(
                        "expose point",
                        other,
                        a.name.span,
                        EXPOSE_POINT_FIELDS,
                    ),
                }
            }
            if !has_port {
                self.err(
                    Diagnostic::error(
                        "E0302",
                        format!("expose point `{}` has no `port`", e.name.name),
                        e.name.span,
                    )
                    .with_label("missing `port`")
                    .with_help("add `port = 8080` (the container or service port)"),
                );
            }
        }
        // values
        // Several values blocks act as one: a key is set once in all of them.
        let mut assigned: Vec<(Vec<String>, Span)> = Vec::new();
        for block in &decl.values {
            self.check_value_stmts(&block.stmts, &mut ctx.clone(), &mut assigned);
        }
    }

    fn resolve_type_name_quiet(&mut self, file: FileId, name: &ast::TypeName) -> Ty {
        match self.lookup_def(file, name.module.as_ref(), &name.name.name) {
            Some(Def::Iface(i)) => Ty::Interface(i),
            Some(Def::Comp(c)) => Ty::Component(c),
            _ => Ty::Unknown,
        }
    }

    fn check_chart(&mut self, chart: &ast::ChartDecl) {
        let plain = |s: &ast::StringLit| s.as_plain();
        match plain(&chart.name) {
            Some(n)
                if !n.is_empty()
                    && n.chars().all(|c| {
                        c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' || c == '/'
                    }) => {}
            _ => self.err(
                Diagnostic::error(
                    "E0312",
                    "chart name must be a plain, non-empty chart name",
                    chart.name.span,
                )
                .with_label("not a chart name")
                .with_help("write the chart's name as in its Chart.yaml, e.g. \"postgresql\""),
            ),
        }
        match plain(&chart.version) {
            Some(v) if is_exact_semver(&v) => {}
            Some(v) => self.err(
                Diagnostic::error(
                    "E0312",
                    format!("chart version {v:?} is not an exact version"),
                    chart.version.span,
                )
                .with_label("ranges and wildcards are not allowed")
                .with_note("an exact version makes every build reproducible")
                .with_help("pin one release, e.g. \"1.22.0\""),
            ),
            None => self.err(
                Diagnostic::error(
                    "E0312",
                    "chart version cannot be interpolated",
                    chart.version.span,
                )
                .with_label("must be a literal version"),
            ),
        }
        match plain(&chart.repository) {
            Some(r)
                if (r.starts_with("https://") && r.len() > 8)
                    || (r.starts_with("oci://") && r.len() > 6) => {}
            _ => self.err(
                Diagnostic::error(
                    "E0312",
                    "chart repository must be an https:// or oci:// URL",
                    chart.repository.span,
                )
                .with_label("not a chart repository URL")
                .with_help(
                    "e.g. \"https://charts.example.com\" or \"oci://registry.example.com/charts\"",
                ),
            ),
        }
    }

    /// Reports `name` when an earlier entry of `seen` has its name (the first
    /// assignment is the one that counts).
    fn is_repeated(&mut self, seen: &[&ast::Ident], name: &ast::Ident) -> bool {
        match seen.iter().find(|s| s.name == name.name) {
            Some(first) => {
                let first = first.span;
                self.dup_assign(name, first);
                true
            }
            None => false,
        }
    }

    fn dup_assign(&mut self, name: &ast::Ident, first: Span) {
        self.err(
            Diagnostic::error(
                "E0311",
                format!("`{}` is set more than once", name.name),
                name.span,
            )
            .with_label("set again here")
            .with_secondary(first, "first set here")
            .with_help("remove one of the assignments"),
        );
    }

    fn unknown_field_of(&mut self, what: &str, name: &str, span: Span, known: &[&str]) {
        let mut d = Diagnostic::error("E0303", format!("{what} has no attribute `{name}`"), span)
            .with_label("unknown attribute");
        d = d.with_suggestion(
            name,
            known.iter().copied(),
            Some(format!("the attributes are: {}", known.join(", "))),
        );
        self.err(d);
    }

    fn check_value_stmts(
        &mut self,
        stmts: &[ast::ValueStmt],
        ctx: &mut Ctx,
        assigned: &mut Vec<(Vec<String>, Span)>,
    ) {
        for s in stmts {
            match s {
                ast::ValueStmt::Assign { path, value, .. } => {
                    let keys: Vec<String> = path.iter().map(|k| k.name.clone()).collect();
                    let path_span = path.first().unwrap().span.to(path.last().unwrap().span);
                    if let Some((other, first)) = assigned.iter().find(|(p, _)| {
                        let n = p.len().min(keys.len());
                        p[..n] == keys[..n]
                    }) {
                        let what = if *other == keys {
                            format!("values key `{}` is set more than once", keys.join("."))
                        } else {
                            format!(
                                "values keys `{}` and `{}` overlap",
                                other.join("."),
                                keys.join(".")
                            )
                        };
                        self.err(
                            Diagnostic::error("E0311", what, path_span)
                                .with_label("set here")
                                .with_secondary(*first, "also set here")
                                .with_help("a key holds either one value or nested keys; set each key once"),
                        );
                    } else {
                        assigned.push((keys, path_span));
                    }
                    let t = self.infer(value, ctx);
                    if t.contains_secret() && t.base() != &Ty::Secret {
                        self.err(
                            Diagnostic::error("E0307", "a secret inside a list or record cannot be a Helm value", value.span)
                                .with_label("holds a secret")
                                .with_note("only a secret on its own is delivered out of band; inside a structure it would be written in clear text")
                                .with_help("assign the secret to its own values key"),
                        );
                    }
                    if matches!(t.base(), Ty::Optional(_) | Ty::NoneLit) {
                        self.err(
                            Diagnostic::error(
                                "E0310",
                                format!("the optional `{}` cannot be a Helm value", self.ty(&t)),
                                value.span,
                            )
                            .with_label("this may be `none`")
                            .with_note("a `null` Helm value deletes the chart's default for the key")
                            .with_help("set the key inside `if value != none { ... }`, or use `default(value, fallback)`"),
                        );
                    }
                    if matches!(t.base(), Ty::Component(_) | Ty::Interface(_)) {
                        self.err(
                            Diagnostic::error(
                                "E0301",
                                "an instance reference cannot be a Helm value",
                                value.span,
                            )
                            .with_label(format!("this is a `{}`", self.ty(&t)))
                            .with_help(
                                "use one of its fields, such as `.name` or an interface field",
                            ),
                        );
                    }
                }
                ast::ValueStmt::If {
                    cond,
                    then,
                    otherwise,
                    ..
                } => {
                    self.check_expr(cond, &Ty::Bool, ctx);
                    let (pos, neg) = narrowings(cond);
                    let mut then_ctx = ctx.clone();
                    self.narrow(&mut then_ctx, &pos);
                    let mut then_assigned = assigned.clone();
                    self.check_value_stmts(then, &mut then_ctx, &mut then_assigned);
                    let mut else_ctx = ctx.clone();
                    self.narrow(&mut else_ctx, &neg);
                    let mut else_assigned = assigned.clone();
                    self.check_value_stmts(otherwise, &mut else_ctx, &mut else_assigned);
                    // keys set in either branch count as set afterwards
                    for entry in then_assigned.into_iter().chain(else_assigned) {
                        if !assigned.iter().any(|(p, _)| *p == entry.0) {
                            assigned.push(entry);
                        }
                    }
                }
            }
        }
    }

    fn narrow(&self, ctx: &mut Ctx, names: &[String]) {
        for n in names {
            if let Some(Ty::Optional(inner)) = ctx.lookup(n).map(|t| t.base().clone()) {
                ctx.locals.push((n.clone(), *inner));
            }
        }
    }

    // ------------------------------------------------------------ platform & instances

    fn check_platform_block(&mut self) {
        let Some(p) = self.platform else { return };
        if let Some(name) = p.name.as_plain() {
            if !regex_is_match(DNS_LABEL, &name) || name.len() > 63 {
                self.err(
                    Diagnostic::error("E0305", format!("platform name {name:?} is not a valid Kubernetes label value"), p.name.span)
                        .with_label("must be lowercase letters, digits and `-`, start with a letter, at most 63 characters")
                        .with_note("the name becomes the `app.kubernetes.io/part-of` label")
                        .with_help(format!("e.g. {:?}", suggest_dns(&name))),
                );
            }
        } else {
            self.err(
                Diagnostic::error(
                    "E0301",
                    "the platform name must be a plain string",
                    p.name.span,
                )
                .with_label("interpolation not allowed here"),
            );
        }
        let ctx = Ctx::default();
        let mut seen: Vec<&ast::Ident> = Vec::new();
        for a in &p.attrs {
            if self.is_repeated(&seen, &a.name) {
                continue;
            }
            seen.push(&a.name);
            match a.name.name.as_str() {
                "domain" => {
                    self.check_expr(&a.value, &Ty::String, &ctx);
                }
                "namespace" => {
                    if self.check_expr(&a.value, &Ty::String, &ctx) {
                        let ty = self.dns_label.clone();
                        crate::eval::check_constant_against(self, &a.value, &ty);
                    }
                }
                other => {
                    self.unknown_field_of("the platform block", other, a.name.span, PLATFORM_FIELDS)
                }
            }
        }
    }

    fn check_instance(&mut self, idx: usize) {
        let (decl, file, _) = self.instances[idx];
        if !regex_is_match(INSTANCE_NAME, &decl.name.name) || decl.name.name.len() > 53 {
            self.err(
                Diagnostic::error("E0305", format!("instance name `{}` is not usable as a Kubernetes name", decl.name.name), decl.name.span)
                    .with_label("must be lowercase letters, digits and `_`, start with a letter, at most 53 characters")
                    .with_note("the name becomes the Helm release name (`_` turns into `-`)")
                    .with_help(format!("e.g. `{}`", suggest_dns(&decl.name.name).replace('-', "_"))),
            );
        }
        let comp = match self.lookup_def(
            file,
            decl.component.module.as_ref(),
            &decl.component.name.name,
        ) {
            Some(Def::Comp(c)) => c,
            Some(Def::Iface(i)) => {
                let iname = self.ifaces[i.0 as usize].decl.name.name.clone();
                let providers: Vec<String> = self
                    .comps
                    .iter()
                    .filter(|c| c.provides.contains(&i))
                    .map(|c| format!("`{}`", c.decl.name.name))
                    .collect();
                let mut d = Diagnostic::error(
                    "E0317",
                    format!("`{iname}` is an interface, not a component"),
                    decl.component.span,
                )
                .with_label("cannot be instantiated")
                .with_secondary(
                    self.ifaces[i.0 as usize].decl.name.span,
                    "declared as an interface here",
                );
                if !providers.is_empty() {
                    d = d.with_help(format!(
                        "instantiate a component that provides it: {}",
                        providers.join(", ")
                    ));
                }
                self.err(d);
                return;
            }
            Some(Def::Policy(_)) => {
                self.err(
                    Diagnostic::error(
                        "E0317",
                        format!("`{}` is a policy, not a component", decl.component),
                        decl.component.span,
                    )
                    .with_label("cannot be instantiated"),
                );
                return;
            }
            None => {
                let candidates: Vec<String> = self
                    .scopes
                    .get(&file)
                    .map(|s| {
                        s.names
                            .iter()
                            .filter(|(_, (d, _, _))| matches!(d, Def::Comp(_)))
                            .map(|(n, _)| n.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                self.unknown_name(
                    "component",
                    &decl.component.to_string(),
                    decl.component.span,
                    candidates,
                    Some("import the module that defines it, e.g. `import \"std/postgres\"`"),
                );
                return;
            }
        };
        self.instances[idx].2 = Some(comp);
        let ctx = Ctx {
            globals: true,
            ..Ctx::default()
        };
        let params: Vec<(String, Ty, bool, Span)> = self.comps[comp.0 as usize]
            .params
            .iter()
            .map(|p| (p.name.clone(), p.ty.clone(), p.required, p.span))
            .collect();
        let mut seen: Vec<&ast::Ident> = Vec::new();
        for a in &decl.attrs {
            if self.is_repeated(&seen, &a.name) {
                continue;
            }
            seen.push(&a.name);
            let ty = match a.name.name.as_str() {
                "namespace" => self.dns_label.clone(),
                "values_files" => Ty::List(Box::new(Ty::Path)),
                n => match params.iter().find(|p| p.0 == n) {
                    Some(p) => p.1.clone(),
                    None => {
                        let comp_name = self.comps[comp.0 as usize].decl.name.name.clone();
                        let mut names: Vec<&str> = params.iter().map(|p| p.0.as_str()).collect();
                        names.extend(RESERVED_ATTRS);
                        let mut d = Diagnostic::error(
                            "E0303",
                            format!("component `{comp_name}` has no parameter `{n}`"),
                            a.name.span,
                        )
                        .with_label("unknown parameter")
                        .with_secondary(
                            self.comps[comp.0 as usize].decl.name.span,
                            "component declared here",
                        );
                        let all = format!("the parameters are: {}", names.join(", "));
                        d = d.with_suggestion(n, names.iter().copied(), Some(all));
                        self.err(d);
                        continue;
                    }
                },
            };
            if self.check_expr(&a.value, &ty, &ctx) {
                self.typed_args.insert((idx, a.name.name.clone()));
            }
        }
        for (name, _, required, pspan) in &params {
            if *required && !seen.iter().any(|s| s.name == *name) {
                let comp_name = self.comps[comp.0 as usize].decl.name.name.clone();
                self.err(
                    Diagnostic::error(
                        "E0302",
                        format!(
                            "instance `{}` does not set required parameter `{name}`",
                            decl.name.name
                        ),
                        decl.name.span,
                    )
                    .with_label(format!("`{name}` is missing"))
                    .with_secondary(
                        *pspan,
                        format!("`{name}` is declared here without a default"),
                    )
                    .with_help(format!("add `{name} = ...` to the `{comp_name}` instance")),
                );
            }
        }
        // expose blocks
        let points: Vec<String> = self.comps[comp.0 as usize]
            .decl
            .exposes
            .iter()
            .map(|e| e.name.name.clone())
            .collect();
        for (n, e) in decl.exposes.iter().enumerate() {
            if let Some(prev) = decl.exposes[..n]
                .iter()
                .find(|x| x.name.name == e.name.name)
            {
                self.dup_assign(&e.name, prev.name.span);
                continue;
            }
            if !points.contains(&e.name.name) {
                let comp_name = self.comps[comp.0 as usize].decl.name.name.clone();
                let mut d = Diagnostic::error(
                    "E0314",
                    format!(
                        "component `{comp_name}` has no expose point `{}`",
                        e.name.name
                    ),
                    e.name.span,
                )
                .with_label("unknown expose point");
                let fallback = if points.is_empty() {
                    format!("`{comp_name}` declares no expose points")
                } else {
                    format!("the expose points are: {}", points.join(", "))
                };
                d = d.with_suggestion(
                    &e.name.name,
                    points.iter().map(String::as_str),
                    Some(fallback),
                );
                self.err(d);
            }
            self.check_expose_fields(e, &ctx);
        }
    }

    fn check_expose_fields(&mut self, e: &ast::ExposeDecl, ctx: &Ctx) {
        let fields = expose_fields();
        let mut seen: Vec<&ast::Ident> = Vec::new();
        for a in &e.attrs {
            if self.is_repeated(&seen, &a.name) {
                continue;
            }
            seen.push(&a.name);
            match fields.iter().find(|(n, _)| *n == a.name.name) {
                Some((_, t)) => {
                    self.check_expr(&a.value, t, ctx);
                }
                None => {
                    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                    self.unknown_field_of("an expose block", &a.name.name, a.name.span, &names);
                }
            }
        }
        if !seen.iter().any(|s| s.name == "host") {
            self.err(
                Diagnostic::error(
                    "E0302",
                    format!("expose block `{}` does not set `host`", e.name.name),
                    e.name.span,
                )
                .with_label("missing `host`")
                .with_help("add `host = \"name.${platform.domain}\"`"),
            );
        }
    }

    fn check_requirements(&mut self) {
        let mut reported: HashSet<usize> = HashSet::new();
        let provided: HashSet<IfaceId> = self
            .instances
            .iter()
            .filter_map(|(_, _, c)| *c)
            .flat_map(|c| self.comps[c.0 as usize].provides.iter().copied())
            .collect();
        for idx in 0..self.instances.len() {
            let Some(comp) = self.instances[idx].2 else {
                continue;
            };
            let cdecl = self.comps[comp.0 as usize].decl;
            let cfile = self.comps[comp.0 as usize].file;
            for r in &cdecl.requires {
                let Ty::Interface(iid) = self.resolve_type_name_quiet(cfile, r) else {
                    continue;
                };
                let met = provided.contains(&iid);
                if met || !reported.insert(comp.0 as usize) {
                    continue;
                }
                let iname = self.ifaces[iid.0 as usize].decl.name.name.clone();
                let providers: Vec<String> = self
                    .comps
                    .iter()
                    .filter(|c| c.provides.contains(&iid))
                    .map(|c| format!("`{}`", c.decl.name.name))
                    .collect();
                let decl = self.instances[idx].0;
                let mut d = Diagnostic::error(
                    "E0316",
                    format!(
                        "`{}` requires an instance that provides `{iname}`, and there is none",
                        cdecl.name.name
                    ),
                    decl.name.span,
                )
                .with_label(format!(
                    "this `{}` needs an instance providing `{iname}`",
                    cdecl.name.name
                ))
                .with_secondary(r.span, "required here");
                d = if providers.is_empty() {
                    d.with_help(format!(
                        "add an instance of a component that provides `{iname}`"
                    ))
                } else {
                    d.with_help(format!("add an instance of {}", providers.join(" or ")))
                };
                self.err(d);
            }
        }
    }

    fn check_environment(&mut self, idx: usize) {
        let env = self.environments[idx];
        let ctx = Ctx {
            globals: true,
            ..Ctx::default()
        };
        let mut seen: Vec<(Vec<String>, Span)> = Vec::new();
        for o in &env.overrides {
            let key: Vec<String> = o.target.iter().map(|i| i.name.clone()).collect();
            let tspan = o
                .target
                .first()
                .unwrap()
                .span
                .to(o.target.last().unwrap().span);
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                self.err(
                    Diagnostic::error(
                        "E0311",
                        format!(
                            "`{}` is overridden more than once in environment `{}`",
                            key.join("."),
                            env.name.name
                        ),
                        tspan,
                    )
                    .with_label("overridden again here")
                    .with_secondary(*first, "first overridden here"),
                );
                continue;
            }
            seen.push((key.clone(), tspan));
            if o.target.len() != 2 {
                self.err(
                    Diagnostic::error("E0318", format!("`{}` cannot be overridden", key.join(".")), tspan)
                        .with_label("expected `instance.parameter` or `platform.field`")
                        .with_help("an environment overrides one parameter of one instance, e.g. `metadb.storage = 100Gi`"),
                );
                continue;
            }
            let (head, field) = (&o.target[0], &o.target[1]);
            if head.name == "platform" {
                let ty = match field.name.as_str() {
                    "domain" => Ty::String,
                    "namespace" => self.dns_label.clone(),
                    other => {
                        self.unknown_field_of(
                            "the platform block",
                            other,
                            field.span,
                            PLATFORM_FIELDS,
                        );
                        continue;
                    }
                };
                if self.check_expr(&o.value, &ty, &ctx) {
                    crate::eval::check_constant_against(self, &o.value, &ty);
                }
                continue;
            }
            let inst = match self.globals.get(&head.name) {
                Some((Global::Instance(i), _)) => *i,
                Some((Global::Secret(_), _)) => {
                    self.err(
                        Diagnostic::error(
                            "E0318",
                            format!("`{}` is a secret; secrets cannot be overridden", head.name),
                            head.span,
                        )
                        .with_label("not an instance")
                        .with_help("declare a second secret and pass it to the instance instead"),
                    );
                    continue;
                }
                None => {
                    let names: Vec<String> = self
                        .globals
                        .iter()
                        .filter(|(_, (g, _))| matches!(g, Global::Instance(_)))
                        .map(|(n, _)| n.clone())
                        .chain(std::iter::once("platform".to_string()))
                        .collect();
                    self.unknown_name("instance", &head.name, head.span, names, None);
                    continue;
                }
            };
            let Some(comp) = self.instances[inst].2 else {
                continue;
            };
            let ty = match field.name.as_str() {
                "namespace" => self.dns_label.clone(),
                "values_files" => Ty::List(Box::new(Ty::Path)),
                n => match self.comps[comp.0 as usize]
                    .params
                    .iter()
                    .find(|p| p.name == n)
                {
                    Some(p) => p.ty.clone(),
                    None => {
                        let comp_name = self.comps[comp.0 as usize].decl.name.name.clone();
                        let mut names: Vec<&str> = self.comps[comp.0 as usize]
                            .params
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect();
                        names.extend(RESERVED_ATTRS);
                        let mut d = Diagnostic::error(
                            "E0303",
                            format!("component `{comp_name}` has no parameter `{n}`"),
                            field.span,
                        )
                        .with_label("unknown parameter");
                        d = d.with_suggestion(n, names.iter().copied(), None);
                        self.err(d);
                        continue;
                    }
                },
            };
            if self.check_expr(&o.value, &ty, &ctx) {
                crate::eval::check_constant_against(self, &o.value, &ty);
            }
        }
    }

    fn check_policy(&mut self, idx: usize) {
        let (p, _) = self.policies[idx];
        match p.code.as_plain() {
            Some(c) if regex_is_match("^P[0-9]{4}$", &c) => {}
            _ => self.err(
                Diagnostic::error("E0503", "a policy code must look like `P0101`", p.code.span)
                    .with_label("not a policy code")
                    .with_help("write `P` followed by four digits"),
            ),
        }
        if p.rules.is_empty() {
            self.err(
                Diagnostic::error(
                    "E0503",
                    format!("policy `{}` has no rules", p.name.name),
                    p.name.span,
                )
                .with_label("empty policy")
                .with_help("add a rule: `for e in exposes where ... fail e \"message\"`"),
            );
        }
        for r in &p.rules {
            let Some(elem) = collection_type(&r.collection.name) else {
                self.unknown_name(
                    "collection",
                    &r.collection.name,
                    r.collection.span,
                    COLLECTIONS.iter().map(|s| s.to_string()).collect(),
                    Some("the collections are exposes, instances and secrets"),
                );
                continue;
            };
            let ctx = Ctx {
                locals: vec![(r.var.name.clone(), elem)],
                ..Ctx::default()
            };
            if let Some(f) = &r.filter {
                self.check_expr(f, &Ty::Bool, &ctx);
            }
            if r.subject.name != r.var.name {
                self.err(
                    Diagnostic::error(
                        "E0503",
                        format!("`fail` must name the loop variable `{}`", r.var.name),
                        r.subject.span,
                    )
                    .with_label("not the loop variable")
                    .with_secondary(r.var.span, "the loop variable"),
                );
            }
            self.check_expr(&r.message, &Ty::String, &ctx);
            if let Some(h) = &r.help {
                self.check_expr(h, &Ty::String, &ctx);
            }
        }
    }

    fn check_policy_codes(&mut self) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        for (p, _) in self.policies.clone() {
            let Some(code) = p.code.as_plain() else {
                continue;
            };
            if let Some(prev) = seen.get(&code) {
                let prev = *prev;
                self.err(
                    Diagnostic::error(
                        "E0202",
                        format!("policy code `{code}` is used twice"),
                        p.code.span,
                    )
                    .with_label("used again here")
                    .with_secondary(prev, "first used here")
                    .with_help("every policy needs its own code"),
                );
            } else {
                seen.insert(code, p.code.span);
            }
        }
    }

    fn check_waiver(&mut self, idx: usize) {
        let w = self.waivers[idx];
        if !self
            .policies
            .iter()
            .any(|(p, _)| p.name.name == w.policy.name)
        {
            let names: Vec<String> = self
                .policies
                .iter()
                .map(|(p, _)| p.name.name.clone())
                .collect();
            let mut d = Diagnostic::error(
                "E0501",
                format!("no policy named `{}`", w.policy.name),
                w.policy.span,
            )
            .with_label("unknown policy");
            d = d.with_suggestion(
                &w.policy.name,
                names.iter().map(String::as_str),
                Some("a waiver names a policy that is declared or imported".to_string()),
            );
            self.err(d);
        }
        let inst_name = &w.target[0];
        match self.globals.get(&inst_name.name) {
            Some((Global::Instance(i), _)) => {
                if let Some(point) = w.target.get(1) {
                    let decl = self.instances[*i].0;
                    if !decl.exposes.iter().any(|e| e.name.name == point.name) {
                        let names: Vec<&str> =
                            decl.exposes.iter().map(|e| e.name.name.as_str()).collect();
                        let mut d = Diagnostic::error(
                            "E0502",
                            format!(
                                "instance `{}` exposes no endpoint `{}`",
                                inst_name.name, point.name
                            ),
                            point.span,
                        )
                        .with_label("unknown endpoint")
                        .with_secondary(decl.name.span, "instance declared here");
                        d = d.with_suggestion(&point.name, names.iter().copied(), None);
                        self.err(d);
                    }
                }
            }
            _ => {
                let names: Vec<String> = self
                    .globals
                    .iter()
                    .filter(|(_, (g, _))| matches!(g, Global::Instance(_)))
                    .map(|(n, _)| n.clone())
                    .collect();
                let mut d = Diagnostic::error(
                    "E0502",
                    format!("no instance named `{}`", inst_name.name),
                    inst_name.span,
                )
                .with_label("unknown waiver target");
                d = d.with_suggestion(&inst_name.name, names.iter().map(String::as_str), None);
                self.err(d);
            }
        }
        if w.reason.as_plain().is_some_and(|r| r.trim().is_empty()) {
            self.err(
                Diagnostic::error("E0504", "a waiver needs a reason", w.reason.span)
                    .with_label("empty reason")
                    .with_help("say why the policy does not apply here, for the next reviewer"),
            );
        }
        if let Some((date, span)) = w.until {
            if date < self.program.today {
                self.err(
                    Diagnostic::new(
                        "W0501",
                        format!("waiver of `{}` expired on {date}", w.policy.name),
                        platc_diag::Label::new(span, "this date has passed"),
                    )
                    .with_severity(Severity::Warning)
                    .with_note("an expired waiver no longer applies: the policy is enforced again")
                    .with_help("fix the finding, or renew the waiver with a new date and reason"),
                );
            }
        }
    }

    // ------------------------------------------------------------ expressions

    /// Checks `e` against `expected`; reports and returns false on mismatch.
    pub fn check_expr(&mut self, e: &ast::Expr, expected: &Ty, ctx: &Ctx) -> bool {
        let exp = expected.base();
        match (&e.kind, exp) {
            (ExprKind::Str(s), Ty::Enum(variants)) => {
                if let Some(v) = s.as_plain() {
                    if variants.contains(&v) {
                        return true;
                    }
                    let list = variants
                        .iter()
                        .map(|v| format!("{v:?}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let mut d = Diagnostic::error(
                        "E0301",
                        format!("{v:?} is not one of the allowed values"),
                        e.span,
                    )
                    .with_label(format!("expected one of {list}"));
                    if let Some(s) = did_you_mean(&v, variants.iter().map(String::as_str)) {
                        d = d.with_help(format!("did you mean {s:?}?"));
                    }
                    self.err(d);
                    return false;
                }
            }
            (ExprKind::Str(s), Ty::Optional(inner)) if matches!(inner.base(), Ty::Enum(_)) => {
                let _ = s;
                return self.check_expr(e, inner, ctx);
            }
            (ExprKind::List(items), Ty::List(elem)) => {
                let mut ok = true;
                for i in items {
                    ok &= self.check_expr(i, elem, ctx);
                }
                return ok;
            }
            (ExprKind::List(_), Ty::Optional(inner))
            | (ExprKind::Record(_), Ty::Optional(inner)) => {
                return self.check_expr(e, inner, ctx);
            }
            (ExprKind::Record(entries), Ty::Map(elem)) => {
                let mut ok = self.check_record_keys(entries);
                for en in entries {
                    ok &= self.check_expr(&en.value, elem, ctx);
                }
                return ok;
            }
            (ExprKind::Record(entries), Ty::Record(fields)) => {
                let mut ok = self.check_record_keys(entries);
                for en in entries {
                    match fields.iter().find(|(n, _)| *n == en.key.name) {
                        Some((_, t)) => ok &= self.check_expr(&en.value, t, ctx),
                        None => {
                            let mut d = Diagnostic::error(
                                "E0308",
                                format!("the record type has no field `{}`", en.key.name),
                                en.key.span,
                            )
                            .with_label("unknown field");
                            d = d.with_suggestion(
                                &en.key.name,
                                fields.iter().map(|(n, _)| n.as_str()),
                                None,
                            );
                            self.err(d);
                            ok = false;
                        }
                    }
                }
                for (n, t) in fields {
                    if !matches!(t.base(), Ty::Optional(_))
                        && !entries.iter().any(|en| en.key.name == *n)
                    {
                        self.err(
                            Diagnostic::error(
                                "E0302",
                                format!("the record does not set required field `{n}`"),
                                e.span,
                            )
                            .with_label(format!("`{n}` is missing"))
                            .with_help(format!("add `{n} = ...`")),
                        );
                        ok = false;
                    }
                }
                return ok;
            }
            _ => {}
        }
        let actual = self.infer(e, ctx);
        if actual.is_unknown() {
            return false;
        }
        match assignable(&actual, expected, self) {
            Ok(()) => true,
            Err(m) => {
                self.report_mismatch(e, &actual, expected, m);
                false
            }
        }
    }

    fn check_record_keys(&mut self, entries: &[ast::RecordEntry]) -> bool {
        let mut ok = true;
        for (i, en) in entries.iter().enumerate() {
            if let Some(prev) = entries[..i].iter().find(|p| p.key.name == en.key.name) {
                self.dup_assign(&en.key, prev.key.span);
                ok = false;
            }
        }
        ok
    }

    fn report_mismatch(&mut self, e: &ast::Expr, actual: &Ty, expected: &Ty, m: Mismatch) {
        let (a, x) = (self.ty(actual), self.ty(expected));
        let d = match m {
            Mismatch::Type => {
                let mut d = Diagnostic::error("E0301", format!("expected `{x}`, found `{a}`"), e.span).with_label(format!("this is a `{a}`"));
                if let (Ty::Component(c), Ty::Interface(i)) = (actual.base(), expected.base()) {
                    let (cn, iname) = (self.component_name(*c).to_string(), self.interface_name(*i).to_string());
                    d = d
                        .with_note(format!("component `{cn}` does not provide `{iname}`"))
                        .with_help(format!("pass an instance of a component that provides `{iname}`"));
                } else if matches!(expected.base(), Ty::Enum(_)) && matches!(actual.base(), Ty::String) {
                    d = d.with_help("only a string literal can be checked against the allowed values");
                } else if matches!((actual.base(), expected.base()), (Ty::Float, Ty::Int)) {
                    d = d.with_help("write a whole number");
                }
                d
            }
            Mismatch::Unit(ak, ek) => {
                let example = match ek {
                    ast::QuantityKind::Bytes => "512Mi or 20Gi",
                    ast::QuantityKind::Cpu => "500m or 2",
                    ast::QuantityKind::Duration => "30s or 5min",
                };
                Diagnostic::error("E0306", format!("expected {}, found {}", ek.describe(), ak.describe()), e.span)
                    .with_label(format!("this is {}", ak.describe()))
                    .with_help(format!("write {}, e.g. {example}", ek.describe()))
            }
            Mismatch::SecretLeak => Diagnostic::error("E0307", format!("a secret cannot be used as `{x}`"), e.span)
                .with_label("this is a secret")
                .with_note("a secret's value must never be written in clear text")
                .with_help("pass it to a parameter typed `secret`, or use `.secret_name` / `.secret_key` to refer to where it is stored"),
            Mismatch::PossiblyNone => Diagnostic::error("E0310", format!("expected `{x}`, found the optional `{a}`"), e.span)
                .with_label("this may be `none`")
                .with_help("check it first with `if value != none { ... }`, or use `default(value, fallback)`"),
            Mismatch::ExtraField(f) => Diagnostic::error("E0308", format!("`{a}` has a field `{f}` that `{x}` does not have"), e.span)
                .with_label("unexpected field"),
            Mismatch::MissingField(f) => Diagnostic::error("E0302", format!("`{a}` lacks the required field `{f}` of `{x}`"), e.span)
                .with_label(format!("`{f}` is missing")),
        };
        self.err(d);
    }

    /// Infers the type of `e`, reporting errors inside it.
    pub fn infer(&mut self, e: &ast::Expr, ctx: &Ctx) -> Ty {
        match &e.kind {
            ExprKind::Int(_) => Ty::Int,
            ExprKind::Float(_) => Ty::Float,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::None => Ty::NoneLit,
            ExprKind::Quantity(q) => Ty::from_quantity(q.kind),
            ExprKind::Str(s) => {
                self.check_string(s, ctx);
                Ty::String
            }
            ExprKind::List(items) => {
                let mut elem: Option<Ty> = None;
                for i in items {
                    match &elem {
                        None => {
                            let t = self.infer(i, ctx);
                            elem = Some(if t == Ty::NoneLit { Ty::Unknown } else { t });
                        }
                        Some(Ty::Int) if matches!(i.kind, ExprKind::Float(_)) => {
                            // int and float elements have the common type float
                            elem = Some(Ty::Float);
                        }
                        Some(t) => {
                            let t = t.clone();
                            self.check_expr(i, &t, ctx);
                        }
                    }
                }
                Ty::List(Box::new(elem.unwrap_or(Ty::Unknown)))
            }
            ExprKind::Record(entries) => {
                self.check_record_keys(entries);
                let mut fields = Vec::new();
                for en in entries {
                    let t = self.infer(&en.value, ctx);
                    fields.push((en.key.name.clone(), t));
                }
                Ty::Record(fields)
            }
            ExprKind::Name(n) => self.infer_name(n, e.span, ctx),
            ExprKind::SelfRef => {
                if ctx.in_component {
                    self_ty()
                } else {
                    self.err(
                        Diagnostic::error(
                            "E0201",
                            "`self` is only available inside a component",
                            e.span,
                        )
                        .with_label("no `self` here")
                        .with_help("refer to an instance by its name"),
                    );
                    Ty::Unknown
                }
            }
            ExprKind::Platform => {
                // A component is checked once for every platform that may use
                // it: there, the domain may be unset.
                let has_domain = !ctx.in_component
                    && self
                        .platform
                        .is_some_and(|p| p.attrs.iter().any(|a| a.name.name == "domain"));
                platform_ty(has_domain)
            }
            ExprKind::Field(base, field) => {
                let bt = self.infer(base, ctx);
                self.field_type(&bt, field, base.span)
            }
            ExprKind::Index(base, index) => {
                let bt = self.infer(base, ctx);
                match bt.base().clone() {
                    Ty::List(elem) => {
                        self.check_expr(index, &Ty::Int, ctx);
                        *elem
                    }
                    Ty::Map(elem) => {
                        self.check_expr(index, &Ty::String, ctx);
                        *elem
                    }
                    Ty::Unknown => Ty::Unknown,
                    Ty::Optional(_) => {
                        self.report_mismatch(
                            base,
                            &bt,
                            &Ty::List(Box::new(Ty::Unknown)),
                            Mismatch::PossiblyNone,
                        );
                        Ty::Unknown
                    }
                    other => {
                        let t = self.ty(&other);
                        self.err(
                            Diagnostic::error(
                                "E0301",
                                format!("`{t}` cannot be indexed"),
                                base.span,
                            )
                            .with_label("not a list or map"),
                        );
                        Ty::Unknown
                    }
                }
            }
            ExprKind::Call(call) => self.infer_call(call, ctx),
            ExprKind::Unary(op, inner) => match op {
                UnaryOp::Not => {
                    self.check_expr(inner, &Ty::Bool, ctx);
                    Ty::Bool
                }
                UnaryOp::Neg => {
                    let t = self.infer(inner, ctx);
                    match t.base() {
                        Ty::Int | Ty::Float | Ty::Unknown => t.base().clone(),
                        _ => {
                            self.operand_error(inner, &t, "-");
                            Ty::Unknown
                        }
                    }
                }
            },
            ExprKind::Binary(op, l, r) => self.infer_binary(*op, l, r, e.span, ctx),
        }
    }

    fn operand_error(&mut self, e: &ast::Expr, t: &Ty, op: &str) {
        let ts = self.ty(t);
        let mut d = Diagnostic::error(
            "E0301",
            format!("operator `{op}` cannot be applied to `{ts}`"),
            e.span,
        )
        .with_label(format!("this is a `{ts}`"));
        if matches!(t.base(), Ty::Optional(_)) {
            d = Diagnostic::error(
                "E0310",
                format!("operator `{op}` cannot be applied to the optional `{ts}`"),
                e.span,
            )
            .with_label("this may be `none`")
            .with_help(
                "check it first with `if value != none { ... }`, or use `default(value, fallback)`",
            );
        } else if t.base() == &Ty::Secret {
            d = Diagnostic::error(
                "E0307",
                format!("operator `{op}` cannot be applied to a secret"),
                e.span,
            )
            .with_label("this is a secret")
            .with_note(
                "a secret's value is never known to platc and must never be written in clear text",
            );
        } else if op == "+" && matches!(t.base(), Ty::String) {
            d = d.with_help("join strings with interpolation: \"${a}${b}\"");
        }
        self.err(d);
    }

    fn infer_binary(
        &mut self,
        op: BinaryOp,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
        ctx: &Ctx,
    ) -> Ty {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                self.check_expr(l, &Ty::Bool, ctx);
                self.check_expr(r, &Ty::Bool, ctx);
                Ty::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let lt = self.infer(l, ctx);
                let rt = self.infer(r, ctx);
                let comparable = lt.is_unknown()
                    || rt.is_unknown()
                    || (lt == Ty::NoneLit && matches!(rt.base(), Ty::Optional(_) | Ty::NoneLit))
                    || (rt == Ty::NoneLit && matches!(lt.base(), Ty::Optional(_)))
                    || assignable(&lt, &rt, self).is_ok()
                    || assignable(&rt, &lt, self).is_ok();
                let impossible =
                    enum_literal_mismatch(&lt, r).or_else(|| enum_literal_mismatch(&rt, l));
                if lt.base() == &Ty::Secret || rt.base() == &Ty::Secret {
                    let which = if lt.base() == &Ty::Secret { l } else { r };
                    self.operand_error(which, &Ty::Secret, op.symbol());
                } else if let Some((lit, variants)) = impossible {
                    let list = variants
                        .iter()
                        .map(|v| format!("{v:?}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let d = Diagnostic::error(
                        "E0301",
                        format!("{lit:?} is not one of the values this can hold"),
                        span,
                    )
                    .with_label(format!("the comparison is always {}", op == BinaryOp::Ne))
                    .with_note(format!("the allowed values are {list}"));
                    let d = match did_you_mean(&lit, variants.iter().map(String::as_str)) {
                        Some(s) => d.with_help(format!("did you mean {s:?}?")),
                        None => d,
                    };
                    self.err(d);
                } else if !comparable {
                    let (a, b) = (self.ty(&lt), self.ty(&rt));
                    let mut d = Diagnostic::error(
                        "E0301",
                        format!("cannot compare `{a}` with `{b}`"),
                        span,
                    )
                    .with_label("the two sides have different types");
                    if rt == Ty::NoneLit || lt == Ty::NoneLit {
                        d = d.with_help("only optional values can be compared with `none`");
                    }
                    self.err(d);
                }
                Ty::Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let lt = self.infer(l, ctx);
                let rt = self.infer(r, ctx);
                let ordered = |t: &Ty| {
                    matches!(
                        t.base(),
                        Ty::Int | Ty::Float | Ty::Bytes | Ty::Cpu | Ty::Duration | Ty::Unknown
                    )
                };
                if !ordered(&lt) {
                    self.operand_error(l, &lt, op.symbol());
                } else if !ordered(&rt) {
                    self.operand_error(r, &rt, op.symbol());
                } else if assignable(&lt, &rt, self).is_err() && assignable(&rt, &lt, self).is_err()
                {
                    let (a, b) = (self.ty(&lt), self.ty(&rt));
                    self.err(
                        Diagnostic::error(
                            "E0301",
                            format!("cannot compare `{a}` with `{b}`"),
                            span,
                        )
                        .with_label("the two sides have different types"),
                    );
                }
                Ty::Bool
            }
            BinaryOp::In => {
                let rt = self.infer(r, ctx);
                match rt.base().clone() {
                    Ty::List(elem) => {
                        self.check_expr(l, &elem, ctx);
                    }
                    Ty::Map(_) => {
                        self.check_expr(l, &Ty::String, ctx);
                    }
                    Ty::Unknown => {}
                    other => {
                        let t = self.ty(&other);
                        self.err(
                            Diagnostic::error(
                                "E0301",
                                format!("`in` needs a list or a map on its right, found `{t}`"),
                                r.span,
                            )
                            .with_label("not a list or map"),
                        );
                    }
                }
                Ty::Bool
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                let lt = self.infer(l, ctx);
                let rt = self.infer(r, ctx);
                if lt.is_unknown() || rt.is_unknown() {
                    return Ty::Unknown;
                }
                match (lt.base(), rt.base()) {
                    (Ty::Int, Ty::Int) => Ty::Int,
                    (Ty::Int | Ty::Float, Ty::Int | Ty::Float) => Ty::Float,
                    (Ty::List(a), Ty::List(b)) if op == BinaryOp::Add => {
                        if assignable(b, a, self).is_ok() {
                            lt.base().clone()
                        } else if assignable(a, b, self).is_ok() {
                            rt.base().clone()
                        } else {
                            let (x, y) = (self.ty(&lt), self.ty(&rt));
                            self.err(
                                Diagnostic::error(
                                    "E0301",
                                    format!("cannot join `{x}` and `{y}`"),
                                    span,
                                )
                                .with_label("the lists hold different types"),
                            );
                            Ty::Unknown
                        }
                    }
                    (a, b) => {
                        let numeric = |t: &Ty| matches!(t, Ty::Int | Ty::Float);
                        if !numeric(a) {
                            self.operand_error(l, &lt, op.symbol());
                        } else if !numeric(b) {
                            self.operand_error(r, &rt, op.symbol());
                        }
                        Ty::Unknown
                    }
                }
            }
        }
    }

    fn infer_name(&mut self, n: &str, span: Span, ctx: &Ctx) -> Ty {
        if let Some(t) = ctx.lookup(n) {
            return t.clone();
        }
        if ctx.globals {
            if let Some((g, _)) = self.globals.get(n) {
                return match *g {
                    Global::Secret(_) => Ty::Secret,
                    Global::Instance(i) => {
                        let (decl, file, resolved) = self.instances[i];
                        match resolved {
                            Some(c) => Ty::Component(c),
                            None => match self.lookup_def(
                                file,
                                decl.component.module.as_ref(),
                                &decl.component.name.name,
                            ) {
                                Some(Def::Comp(c)) => Ty::Component(c),
                                _ => Ty::Unknown,
                            },
                        }
                    }
                };
            }
        }
        let mut candidates: Vec<String> = ctx.locals.iter().map(|(n, _)| n.clone()).collect();
        if ctx.globals {
            candidates.extend(self.globals.keys().cloned());
        }
        candidates.push("platform".into());
        if ctx.in_component {
            candidates.push("self".into());
        }
        let help = if ctx.in_component {
            Some("inside a component, only its parameters, `self` and `platform` are in scope; pass other values in as parameters")
        } else {
            None
        };
        self.unknown_name("name", n, span, candidates, help);
        Ty::Unknown
    }

    fn field_type(&mut self, bt: &Ty, field: &ast::Ident, base_span: Span) -> Ty {
        let f = field.name.as_str();
        let fields: Vec<(String, Ty)> = match bt.base() {
            Ty::Unknown => return Ty::Unknown,
            Ty::Record(fs) => fs.clone(),
            Ty::Component(c) => {
                let mut fs = instance_base_fields();
                for i in &self.comps[c.0 as usize].provides {
                    fs.extend(self.ifaces[i.0 as usize].fields.iter().cloned());
                }
                fs
            }
            Ty::Interface(i) => {
                let mut fs = instance_base_fields();
                fs.extend(self.ifaces[i.0 as usize].fields.iter().cloned());
                fs
            }
            Ty::Secret => vec![
                ("secret_name".into(), Ty::String),
                ("secret_key".into(), Ty::String),
            ],
            Ty::Optional(_) => {
                let t = self.ty(bt);
                self.err(
                    Diagnostic::error(
                        "E0310",
                        format!("cannot read `.{f}` of the optional `{t}`"),
                        base_span,
                    )
                    .with_label("this may be `none`")
                    .with_help("check it first with `if value != none { ... }`"),
                );
                return Ty::Unknown;
            }
            other => {
                let t = self.ty(other);
                self.err(
                    Diagnostic::error("E0308", format!("`{t}` has no field `{f}`"), field.span)
                        .with_label("values of this type have no fields"),
                );
                return Ty::Unknown;
            }
        };
        match fields.iter().find(|(n, _)| n == f) {
            Some((_, t)) => t.clone(),
            None => {
                let t = self.ty(bt);
                let mut d =
                    Diagnostic::error("E0308", format!("`{t}` has no field `{f}`"), field.span)
                        .with_label("unknown field");
                let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                let all =
                    (!names.is_empty()).then(|| format!("the fields are: {}", names.join(", ")));
                d = d.with_suggestion(f, names.iter().copied(), all);
                self.err(d);
                Ty::Unknown
            }
        }
    }

    fn check_string(&mut self, s: &ast::StringLit, ctx: &Ctx) {
        for part in &s.parts {
            let StrPart::Interp(e) = part else { continue };
            let t = self.infer(e, ctx);
            match t.base() {
                Ty::String | Ty::Int | Ty::Float | Ty::Bool | Ty::Bytes | Ty::Cpu | Ty::Duration | Ty::Path | Ty::Enum(_) | Ty::Unknown => {}
                Ty::Secret => self.err(
                    Diagnostic::error("E0307", "a secret cannot be interpolated into a string", e.span)
                        .with_label("this is a secret")
                        .with_note("the string would carry the secret's value in clear text")
                        .with_help("pass the secret to a parameter typed `secret`, or interpolate `.secret_name` to name where it is stored"),
                ),
                Ty::Optional(_) | Ty::NoneLit => self.err(
                    Diagnostic::error("E0310", format!("the optional `{}` cannot be interpolated", self.ty(&t)), e.span)
                        .with_label("this may be `none`")
                        .with_help("check it first with `if value != none { ... }`, or use `default(value, fallback)`"),
                ),
                _ => {
                    let ts = self.ty(&t);
                    let mut d = Diagnostic::error("E0301", format!("`{ts}` cannot be interpolated into a string"), e.span)
                        .with_label(format!("this is a `{ts}`"));
                    if matches!(t.base(), Ty::Component(_) | Ty::Interface(_)) {
                        d = d.with_help("interpolate one of its fields, such as `.name`");
                    }
                    self.err(d);
                }
            }
        }
    }

    fn infer_call(&mut self, call: &ast::Call, ctx: &Ctx) -> Ty {
        let name = call.func.name.as_str();
        let arity = |this: &mut Self, n: usize, sig: &str| -> bool {
            if call.args.len() != n {
                this.err(
                    Diagnostic::error(
                        "E0315",
                        format!(
                            "`{name}` takes {n} argument{}, found {}",
                            if n == 1 { "" } else { "s" },
                            call.args.len()
                        ),
                        call.span,
                    )
                    .with_label("wrong number of arguments")
                    .with_help(format!("the signature is `{sig}`")),
                );
                false
            } else {
                true
            }
        };
        match name {
            "len" => {
                if arity(self, 1, "len(list | map | string) -> int") {
                    let t = self.infer(&call.args[0], ctx);
                    if !matches!(
                        t.base(),
                        Ty::List(_) | Ty::Map(_) | Ty::String | Ty::Record(_) | Ty::Unknown
                    ) {
                        let ts = self.ty(&t);
                        self.err(
                            Diagnostic::error(
                                "E0315",
                                format!("`len` needs a list, map or string, found `{ts}`"),
                                call.args[0].span,
                            )
                            .with_label("wrong argument type"),
                        );
                    }
                }
                Ty::Int
            }
            "lower" | "upper" => {
                if arity(self, 1, &format!("{name}(string) -> string")) {
                    self.check_expr(&call.args[0], &Ty::String, ctx);
                }
                Ty::String
            }
            "join" => {
                if arity(self, 2, "join(list<string>, string) -> string") {
                    self.check_expr(&call.args[0], &Ty::List(Box::new(Ty::String)), ctx);
                    self.check_expr(&call.args[1], &Ty::String, ctx);
                }
                Ty::String
            }
            "contains" => {
                if arity(self, 2, "contains(list<T>, T) -> bool") {
                    let t = self.infer(&call.args[0], ctx);
                    match t.base().clone() {
                        Ty::List(elem) => {
                            self.check_expr(&call.args[1], &elem, ctx);
                        }
                        Ty::Unknown => {}
                        other => {
                            let ts = self.ty(&other);
                            self.err(
                                Diagnostic::error(
                                    "E0315",
                                    format!("`contains` needs a list, found `{ts}`"),
                                    call.args[0].span,
                                )
                                .with_label("wrong argument type"),
                            );
                        }
                    }
                }
                Ty::Bool
            }
            "default" => {
                if arity(self, 2, "default(T?, T) -> T") {
                    let t = self.infer(&call.args[0], ctx);
                    match t.base().clone() {
                        Ty::Optional(inner) => {
                            self.check_expr(&call.args[1], &inner, ctx);
                            return *inner;
                        }
                        Ty::Unknown => return Ty::Unknown,
                        other => {
                            let ts = self.ty(&other);
                            self.err(
                                Diagnostic::error(
                                    "E0315",
                                    format!("`default` needs an optional value, found `{ts}`"),
                                    call.args[0].span,
                                )
                                .with_label("this is never `none`")
                                .with_help("use the value directly"),
                            );
                            return other;
                        }
                    }
                }
                Ty::Unknown
            }
            s if SECRET_SOURCES.contains(&s) => {
                self.err(
                    Diagnostic::error(
                        "E0315",
                        format!("`{s}` can only be used in a secret declaration"),
                        call.func.span,
                    )
                    .with_label("not allowed in an expression")
                    .with_help(format!("declare `secret NAME from {s}(...)` and use NAME")),
                );
                Ty::Unknown
            }
            other => {
                let mut d = Diagnostic::error(
                    "E0315",
                    format!("unknown function `{other}`"),
                    call.func.span,
                )
                .with_label("not a built-in function");
                let all = format!("the built-in functions are: {}", FUNCTIONS.join(", "));
                d = d.with_suggestion(other, FUNCTIONS.iter().copied(), Some(all));
                self.err(d);
                Ty::Unknown
            }
        }
    }

    /// Checks a secret declaration's source call.
    pub fn check_secret_source(&mut self, s: &ast::SecretDecl) {
        if !regex_is_match(INSTANCE_NAME, &s.name.name) {
            self.err(
                Diagnostic::error(
                    "E0305",
                    format!(
                        "secret name `{}` is not usable as a Kubernetes name",
                        s.name.name
                    ),
                    s.name.span,
                )
                .with_label("must be lowercase letters, digits and `_`, start with a letter")
                .with_note(
                    "the name becomes part of the generated Secret's name (`_` turns into `-`)",
                )
                .with_help(format!(
                    "e.g. `{}`",
                    suggest_dns(&s.name.name).replace('-', "_")
                )),
            );
        }
        let call = &s.source;
        let name = call.func.name.as_str();
        let expected = match name {
            "env" => 1,
            "kubernetes_secret" => 2,
            "external_secret" => 3,
            other => {
                let mut d = Diagnostic::error(
                    "E0315",
                    format!("unknown secret source `{other}`"),
                    call.func.span,
                )
                .with_label("not a secret source");
                let all = "the sources are env(\"VAR\"), kubernetes_secret(\"name\", \"key\") and external_secret(\"store\", \"path\", \"property\")";
                d = d.with_suggestion(other, SECRET_SOURCES.iter().copied(), Some(all.to_string()));
                self.err(d);
                return;
            }
        };
        if call.args.len() != expected {
            let sig = match name {
                "env" => "env(\"VARIABLE\")",
                "kubernetes_secret" => "kubernetes_secret(\"secret-name\", \"key\")",
                _ => "external_secret(\"store\", \"remote/path\", \"property\")",
            };
            self.err(
                Diagnostic::error(
                    "E0315",
                    format!(
                        "`{name}` takes {expected} argument{}, found {}",
                        if expected == 1 { "" } else { "s" },
                        call.args.len()
                    ),
                    call.span,
                )
                .with_label("wrong number of arguments")
                .with_help(format!("write `{sig}`")),
            );
            return;
        }
        for a in &call.args {
            match &a.kind {
                ExprKind::Str(lit) if lit.as_plain().is_some_and(|s| !s.is_empty()) => {}
                _ => self.err(
                    Diagnostic::error(
                        "E0315",
                        format!("the arguments of `{name}` must be non-empty string literals"),
                        a.span,
                    )
                    .with_label("expected a string literal"),
                ),
            }
        }
    }
}

// ---------------------------------------------------------------- helpers

fn narrowings(cond: &ast::Expr) -> (Vec<String>, Vec<String>) {
    match &cond.kind {
        ExprKind::Binary(BinaryOp::Ne, l, r) => match (&l.kind, &r.kind) {
            (ExprKind::Name(n), ExprKind::None) | (ExprKind::None, ExprKind::Name(n)) => {
                (vec![n.clone()], vec![])
            }
            _ => (vec![], vec![]),
        },
        ExprKind::Binary(BinaryOp::Eq, l, r) => match (&l.kind, &r.kind) {
            (ExprKind::Name(n), ExprKind::None) | (ExprKind::None, ExprKind::Name(n)) => {
                (vec![], vec![n.clone()])
            }
            _ => (vec![], vec![]),
        },
        ExprKind::Binary(BinaryOp::And, l, r) => {
            let (mut a, _) = narrowings(l);
            let (b, _) = narrowings(r);
            a.extend(b);
            (a, vec![])
        }
        _ => (vec![], vec![]),
    }
}

/// When `ty` is an enum (or optional enum) and `other` a string literal that
/// is none of its values: the literal and the values.
fn enum_literal_mismatch(ty: &Ty, other: &ast::Expr) -> Option<(String, Vec<String>)> {
    let inner = match ty.base() {
        Ty::Optional(t) => t.base(),
        t => t,
    };
    let (Ty::Enum(variants), ExprKind::Str(lit)) = (inner, &other.kind) else {
        return None;
    };
    let lit = lit.as_plain()?;
    (!variants.contains(&lit)).then(|| (lit, variants.clone()))
}

fn instance_base_fields() -> Vec<(String, Ty)> {
    vec![
        ("name".into(), Ty::String),
        ("namespace".into(), Ty::String),
    ]
}

fn self_ty() -> Ty {
    Ty::Record(instance_base_fields())
}

/// `platform.domain` is a `string` when the platform block sets it, and
/// `string?` when it does not.
pub(crate) fn platform_ty(has_domain: bool) -> Ty {
    let domain = if has_domain {
        Ty::String
    } else {
        Ty::Optional(Box::new(Ty::String))
    };
    Ty::Record(vec![
        ("name".into(), Ty::String),
        ("domain".into(), domain),
        ("namespace".into(), Ty::String),
    ])
}

fn dns_label_ty() -> Ty {
    Ty::Constrained(
        Box::new(Ty::String),
        Rc::new(Constraint::Pattern(cached_regex(DNS_LABEL).clone())),
    )
}

fn expose_fields() -> Vec<(String, Ty)> {
    vec![
        ("host".into(), Ty::String),
        ("path".into(), Ty::String),
        (
            "auth".into(),
            Ty::Optional(Box::new(Ty::Enum(vec!["sso".into(), "basic".into()]))),
        ),
        ("tls".into(), Ty::Bool),
        ("audit".into(), Ty::Bool),
        ("public".into(), Ty::Bool),
    ]
}

fn collection_type(name: &str) -> Option<Ty> {
    let s = || Ty::String;
    Some(match name {
        "exposes" => Ty::Record(vec![
            ("instance".into(), s()),
            ("name".into(), s()),
            ("host".into(), s()),
            ("path".into(), s()),
            (
                "auth".into(),
                Ty::Optional(Box::new(Ty::Enum(vec!["sso".into(), "basic".into()]))),
            ),
            ("tls".into(), Ty::Bool),
            ("audit".into(), Ty::Bool),
            ("public".into(), Ty::Bool),
        ]),
        "instances" => Ty::Record(vec![
            ("name".into(), s()),
            ("component".into(), s()),
            ("namespace".into(), s()),
            ("provides".into(), Ty::List(Box::new(s()))),
            ("chart".into(), Ty::Optional(Box::new(s()))),
        ]),
        "secrets" => Ty::Record(vec![
            ("name".into(), s()),
            (
                "source".into(),
                Ty::Enum(SECRET_SOURCES.iter().map(|s| s.to_string()).collect()),
            ),
        ]),
        _ => return None,
    })
}

/// Matches `text` against one of the compiler's own fixed patterns; each is
/// compiled once per process.
pub(crate) fn regex_is_match(pattern: &'static str, text: &str) -> bool {
    cached_regex(pattern).is_match(text)
}

fn cached_regex(pattern: &'static str) -> &'static regex::Regex {
    use std::sync::{Mutex, OnceLock};
    // A handful of fixed patterns: each is compiled once and kept for the
    // life of the process (a clone would rebuild the regex's match cache).
    static CACHE: OnceLock<Mutex<HashMap<&'static str, &'static regex::Regex>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    cache.entry(pattern).or_insert_with(|| {
        Box::leak(Box::new(
            regex::Regex::new(pattern).expect("the compiler's patterns are valid"),
        ))
    })
}

fn suggest_dns(name: &str) -> String {
    let mut s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!("p-{s}").trim_end_matches('-').to_string()
    } else {
        s.chars().take(63).collect()
    }
}

/// Exact semantic version: MAJOR.MINOR.PATCH, optional leading `v`,
/// optional `-prerelease` and `+build`.
fn is_exact_semver(v: &str) -> bool {
    regex_is_match(
        r"^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$",
        v,
    )
}

/// The source text of a simple literal expression (for messages).
pub(crate) fn expr_text(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Float(f) => crate::value::format_float(*f),
        ExprKind::Quantity(q) => q.text.clone(),
        ExprKind::Unary(UnaryOp::Neg, inner) => format!("-{}", expr_text(inner)),
        _ => "…".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_is_exact() {
        assert!(is_exact_semver("1.22.0"));
        assert!(is_exact_semver("v1.21.1"));
        assert!(is_exact_semver("1.0.0-rc.1+build.5"));
        for bad in ["^1.2.0", "~1.2", "1.x", ">=1.0.0", "*", "1.2", "01.2.3", ""] {
            assert!(!is_exact_semver(bad), "{bad}");
        }
    }

    #[test]
    fn dns_suggestions() {
        assert_eq!(suggest_dns("My Platform"), "my-platform");
        assert_eq!(suggest_dns("9lives"), "p-9lives");
    }
}
