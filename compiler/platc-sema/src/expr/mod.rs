//! Expressions: type inference and checking against an expected type
//! (`check_expr`, `infer`, operators, names, interpolation, built-in
//! calls). The typing context and `none` narrowing, field types and the
//! reports of mismatches are in the submodules.

use platc_diag::{did_you_mean, Diagnostic, Span};
use platc_syntax::ast::{self, BinaryOp, ExprKind, StrPart, UnaryOp};

use crate::analyze::Checker;
use crate::resolve::Def;
use crate::tables::Global;
use crate::types::{assignable, Mismatch, Ty};
use crate::vocab::SECRET_SOURCES;

mod ctx;
mod fields;
mod report;

pub(crate) use ctx::{narrowings, Ctx};
use fields::{platform_ty, self_ty};
use report::enum_literal_mismatch;

const FUNCTIONS: &[&str] = &["len", "lower", "upper", "join", "contains", "default"];

impl Checker<'_> {
    /// Checks `e` against `expected`; reports and returns false on mismatch.
    pub(crate) fn check_expr(&mut self, e: &ast::Expr, expected: &Ty, ctx: &Ctx) -> bool {
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
        match assignable(&actual, expected, &self.tables) {
            Ok(()) => true,
            Err(m) => {
                self.report_mismatch(e, &actual, expected, m);
                false
            }
        }
    }

    /// Infers the type of `e`, reporting errors inside it.
    pub(crate) fn infer(&mut self, e: &ast::Expr, ctx: &Ctx) -> Ty {
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
                        .tables
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
                    || assignable(&lt, &rt, &self.tables).is_ok()
                    || assignable(&rt, &lt, &self.tables).is_ok();
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
                } else if assignable(&lt, &rt, &self.tables).is_err()
                    && assignable(&rt, &lt, &self.tables).is_err()
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
                        if assignable(b, a, &self.tables).is_ok() {
                            lt.base().clone()
                        } else if assignable(a, b, &self.tables).is_ok() {
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
            if let Some((g, _)) = self.tables.globals.get(n) {
                return match *g {
                    Global::Secret(_) => Ty::Secret,
                    Global::Instance(i) => {
                        let (decl, file, resolved) = self.tables.instances[i];
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
            candidates.extend(self.tables.globals.keys().cloned());
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
}
