//! Resolution of type expressions: named types, records, enums and
//! optionals, range and pattern constraints with their bounds, and the
//! signatures of interfaces (fields) and components (params, provides).

use crate::HashMap;
use std::sync::Arc;

use platc_diag::{Diagnostic, FileId, Span};
use platc_syntax::ast::{self, ExprKind, TypeExprKind, UnaryOp};

use crate::analyze::Checker;
use crate::resolve::Def;
use crate::tables::ParamInfo;
use crate::types::{Bound, Constraint, IfaceId, Ty, TypeNames};
use crate::vocab::{BUILTIN_TYPES, RESERVED_ATTRS};

/// Fields every instance reference has; interfaces cannot declare them.
const RESERVED_FIELDS: &[&str] = &["name", "namespace"];

impl Checker<'_> {
    /// Resolves a type expression written in `file`.
    pub(crate) fn resolve_type(&mut self, file: FileId, t: &ast::TypeExpr) -> Ty {
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
                let mut seen: crate::HashSet<&str> = crate::HashSet::default();
                for (v, span) in variants {
                    if !seen.insert(v.as_str()) {
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

    pub(crate) fn resolve_type_name(&mut self, file: FileId, name: &ast::TypeName) -> Ty {
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
                "secret_name" => Some(Ty::SecretName),
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
                    if !self.has_alias(file, &m.name) {
                        let aliases = self.alias_names(file);
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

    pub(crate) fn resolve_type_name_quiet(&mut self, file: FileId, name: &ast::TypeName) -> Ty {
        match self.lookup_def(file, name.module.as_ref(), &name.name.name) {
            Some(Def::Iface(i)) => Ty::Interface(i),
            Some(Def::Comp(c)) => Ty::Component(c),
            _ => Ty::Unknown,
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
                    Ok(re) => Ty::Constrained(Box::new(base), Arc::new(Constraint::Pattern(re))),
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
                    Arc::new(Constraint::Range {
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
    pub(crate) fn resolve_signatures(&mut self) {
        for i in 0..self.tables.ifaces.len() {
            let decl = self.tables.ifaces[i].decl;
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
            self.tables.ifaces[i].fields = fields;
        }
        for i in 0..self.tables.comps.len() {
            let decl = self.tables.comps[i].decl;
            let file = self.tables.comps[i].file;
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
                        .with_note(
                            "every instance has `namespace`, `values_files` and `enabled` already",
                        )
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
                let default = p.default.as_ref().map(|d| {
                    let mut names = Vec::new();
                    crate::expr::free_names(d, &mut names);
                    (d, !names.is_empty())
                });
                params.push(ParamInfo {
                    name: p.name.name.clone(),
                    key: p.name.name.as_str().into(),
                    ty: std::sync::Arc::new(ty),
                    required,
                    span: p.name.span,
                    default,
                });
            }
            self.tables.comps[i].param_index = decl
                .params
                .iter()
                .filter_map(|p| {
                    let k = params.iter().position(|q| q.name == p.name.name)?;
                    Some((p.name.name.as_str(), k))
                })
                .collect();
            // The frame of an instance: its params, then its lets (a
            // name met twice keeps its first place; the checker reports
            // it).
            let mut members: HashMap<&str, usize> = params
                .iter()
                .enumerate()
                .filter_map(|(k, p)| {
                    Some((
                        decl.params
                            .iter()
                            .find(|d| d.name.name == p.name)?
                            .name
                            .name
                            .as_str(),
                        k,
                    ))
                })
                .collect();
            for l in &decl.lets {
                let next = members.len();
                members.entry(l.name.name.as_str()).or_insert(next);
            }
            self.tables.comps[i].members = members;
            self.tables.comps[i].params = params;
            // `instance.field` must name one field: provided interfaces may
            // not share field names.
            let mut owner: HashMap<String, (IfaceId, Span)> = HashMap::default();
            for (at, id) in provides_at.iter().zip(&provides) {
                let fields: Vec<String> = self.tables.ifaces[id.0 as usize]
                    .fields
                    .iter()
                    .map(|(f, _)| f.clone())
                    .collect();
                for field in fields {
                    match owner.get(&field) {
                        Some((other, other_at)) if other != id => {
                            let (other, other_at) = (*other, *other_at);
                            let (a, b) = (
                                self.tables.interface_name(other).to_string(),
                                self.tables.interface_name(*id).to_string(),
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
            self.tables.comps[i].provides = provides;
        }
    }
}

/// The source text of a simple literal expression (for messages).
pub(crate) fn expr_text(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Float(f) => crate::value::format_float(*f),
        ExprKind::Quantity(q) => q.text.to_string(),
        ExprKind::Unary(UnaryOp::Neg, inner) => format!("-{}", expr_text(inner)),
        _ => "…".into(),
    }
}
