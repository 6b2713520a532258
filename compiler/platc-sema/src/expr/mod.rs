//! Expressions: type inference and checking against an expected type
//! (`check_expr`, `infer`, operators, names, interpolation, built-in
//! calls). The typing context and `none` narrowing, field types and the
//! reports of mismatches are in the submodules.

use platc_diag::{did_you_mean, Diagnostic, Span};
use platc_syntax::ast::{self, BinaryOp, ExprKind, StrPart, UnaryOp};

use crate::analyze::Checker;
use crate::resolve::Def;
use crate::tables::Global;
use crate::types::{assignable, common, Mismatch, Ty};

mod calls;
mod comprehension;
mod ctx;
mod fields;
mod names;
mod report;

pub(crate) use ctx::{narrowings, Ctx};
use fields::{platform_ty, self_ty};
pub(crate) use names::free_names;
use report::enum_literal_mismatch;

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
                let quoted_none = s.as_plain().is_some_and(|v| v == "none")
                    && !matches!(inner.base(), Ty::Enum(vs) if vs.iter().any(|v| v == "none"));
                if quoted_none {
                    // YAML's habit: `none` is a keyword of the language.
                    self.err(
                        Diagnostic::error(
                            "E0301",
                            "\"none\" is a string, not the absence of a value",
                            e.span,
                        )
                        .with_label(format!("expected `{}`", self.ty(expected)))
                        .with_help("`none` is a keyword: write `none`, without quotes"),
                    );
                    return false;
                }
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
                    if let ast::RecordKey::Computed(k) = &en.key {
                        self.check_string(k, ctx);
                    }
                    ok &= self.check_expr(&en.value, elem, ctx);
                }
                return ok;
            }
            (ExprKind::Record(entries), Ty::Record(fields)) => {
                let mut ok = self.check_record_keys(entries);
                for en in entries {
                    let Some(key) = en.key.plain() else {
                        self.err(
                            Diagnostic::error(
                                "E0308",
                                "a computed key cannot name a field of a record type",
                                en.key.span(),
                            )
                            .with_label("computed key")
                            .with_help("write the field's name, or use a `map<T>` type"),
                        );
                        ok = false;
                        continue;
                    };
                    match fields.iter().find(|(n, _)| *n == key.name) {
                        Some((_, t)) => ok &= self.check_expr(&en.value, t, ctx),
                        None => {
                            let mut d = Diagnostic::error(
                                "E0308",
                                format!("the record type has no field `{}`", key.name),
                                key.span,
                            )
                            .with_label("unknown field");
                            d = d.with_suggestion(
                                &key.name,
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
                        && !entries
                            .iter()
                            .any(|en| en.key.plain().is_some_and(|k| k.name == *n))
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
            ExprKind::List(items) if ctx.open => {
                // Open data: elements may have different shapes.
                let mut elem: Option<Ty> = None;
                for i in items {
                    let t = self.infer(i, ctx);
                    elem = Some(match elem {
                        None => t,
                        Some(e) => common(&e, &t, &self.tables).unwrap_or(Ty::Data),
                    });
                }
                Ty::List(Box::new(match elem {
                    None | Some(Ty::NoneLit) => Ty::Unknown,
                    Some(t) => t,
                }))
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
                let computed = entries.iter().any(|en| en.key.plain().is_none());
                let mut fields = Vec::new();
                for en in entries {
                    if let ast::RecordKey::Computed(k) = &en.key {
                        self.check_string(k, ctx);
                    }
                    let t = self.infer(&en.value, ctx);
                    let name = en
                        .key
                        .plain()
                        .map(|k| k.name.to_string())
                        .unwrap_or_default();
                    fields.push((name, t));
                }
                if computed {
                    // Keys known only when evaluated: a map.
                    let mut elem = Ty::Unknown;
                    for (_, t) in &fields {
                        elem = common(&elem, t, &self.tables).unwrap_or(Ty::Data);
                    }
                    if !ctx.open && elem == Ty::Data {
                        self.err(
                            Diagnostic::error(
                                "E0301",
                                "a record with computed keys needs values of one type",
                                e.span,
                            )
                            .with_label("the values have different types")
                            .with_note("a computed key makes the record a `map<T>`"),
                        );
                        return Ty::Unknown;
                    }
                    return Ty::Map(Box::new(elem));
                }
                Ty::Record(fields)
            }
            ExprKind::If(cond, then, other) => {
                self.check_expr(cond, &Ty::Bool, ctx);
                let (pos, neg) = narrowings(cond);
                let mut then_ctx = ctx.clone();
                self.narrow(&mut then_ctx, &pos);
                let mut else_ctx = ctx.clone();
                self.narrow(&mut else_ctx, &neg);
                let a = self.infer(then, &then_ctx);
                let b = self.infer(other, &else_ctx);
                match common(&a, &b, &self.tables) {
                    Some(t) => t,
                    None if ctx.open => Ty::Data,
                    None => {
                        let (x, y) = (self.ty(&a), self.ty(&b));
                        self.err(
                            Diagnostic::error(
                                "E0301",
                                format!("the branches have different types: `{x}` and `{y}`"),
                                other.span,
                            )
                            .with_label(format!("this is {}", report::a_type(&y)))
                            .with_secondary(then.span, format!("this is {}", report::a_type(&x)))
                            .with_help(
                                "both branches of a conditional must give values of one type",
                            ),
                        );
                        Ty::Unknown
                    }
                }
            }
            ExprKind::Comprehension(c) => self.infer_comprehension(c, ctx),
            // Already reported (E0104): accepted as any type.
            ExprKind::Invalid(_) => {
                self.saw_invalid = true;
                Ty::Unknown
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
                // A component or policy is checked once for every platform
                // that may use it: there, the domain may be unset.
                let has_domain = !ctx.in_component
                    && !ctx.in_policy
                    && self
                        .tables
                        .platform
                        .is_some_and(|p| p.attrs.iter().any(|a| a.name.name == "domain"));
                platform_ty(has_domain, ctx.in_policy)
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
                    // One key of a secret with several.
                    Ty::Secret => {
                        self.check_expr(index, &Ty::String, ctx);
                        self.check_secret_index(base, index, ctx);
                        Ty::Secret
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
                // The right side runs only when the left did not decide:
                // `x != none && x.f`, `x == none || x.f`.
                let (pos, neg) = narrowings(l);
                let mut rctx = ctx.clone();
                self.narrow(&mut rctx, if op == BinaryOp::And { &pos } else { &neg });
                self.check_expr(r, &Ty::Bool, &rctx);
                Ty::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let lt = self.infer(l, ctx);
                let rt = self.infer(r, ctx);
                // An optional compares with a value of its inner type; an
                // enum with a string literal (checked just below).
                let strip = |t: &Ty| match t.base() {
                    Ty::Optional(inner) => inner.base().clone(),
                    t => t.clone(),
                };
                let (lb, rb) = (strip(&lt), strip(&rt));
                let literal =
                    |e: &ast::Expr| matches!(&e.kind, ExprKind::Str(s) if s.as_plain().is_some());
                let comparable = lt.is_unknown()
                    || rt.is_unknown()
                    || (lt == Ty::NoneLit && matches!(rt.base(), Ty::Optional(_) | Ty::NoneLit))
                    || (rt == Ty::NoneLit && matches!(lt.base(), Ty::Optional(_)))
                    || (lt != Ty::NoneLit
                        && rt != Ty::NoneLit
                        && (assignable(&lb, &rb, &self.tables).is_ok()
                            || assignable(&rb, &lb, &self.tables).is_ok()
                            || (matches!(lb, Ty::Enum(_)) && literal(r))
                            || (matches!(rb, Ty::Enum(_)) && literal(l))));
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
                    Ty::List(elem) if elem.contains_secret() => {
                        self.err(
                            Diagnostic::error("E0307", "`in` cannot look for a secret", r.span)
                                .with_label("a list of secrets")
                                .with_note(
                                    "comparing secrets would reveal something of their values",
                                )
                                .with_help("compare `.secret_name` or `.secret_key` instead"),
                        );
                    }
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
                        // Concatenation of any element types: a list of
                        // data when they have nothing in common.
                        if a.contains_secret() != b.contains_secret() {
                            let (x, y) = (self.ty(&lt), self.ty(&rt));
                            self.err(
                                Diagnostic::error(
                                    "E0307",
                                    format!("cannot join `{x}` and `{y}`"),
                                    span,
                                )
                                .with_label("only one of the lists holds secrets"),
                            );
                            return Ty::Unknown;
                        }
                        Ty::List(Box::new(common(a, b, &self.tables).unwrap_or(Ty::Data)))
                    }
                    (Ty::Record(a), Ty::Record(b)) if op == BinaryOp::Add => {
                        // Merge: the right side wins.
                        let mut fields: Vec<(String, Ty)> = a
                            .iter()
                            .filter(|(n, _)| !b.iter().any(|(m, _)| m == n))
                            .cloned()
                            .collect();
                        fields.extend(b.iter().cloned());
                        Ty::Record(fields)
                    }
                    (Ty::Record(_) | Ty::Map(_), Ty::Record(_) | Ty::Map(_))
                        if op == BinaryOp::Add =>
                    {
                        let elem = |t: &Ty| match t {
                            Ty::Map(e) => (**e).clone(),
                            Ty::Record(fs) => fs.iter().fold(Ty::Unknown, |acc, (_, t)| {
                                common(&acc, t, &self.tables).unwrap_or(Ty::Data)
                            }),
                            _ => Ty::Unknown,
                        };
                        let (x, y) = (elem(lt.base()), elem(rt.base()));
                        Ty::Map(Box::new(common(&x, &y, &self.tables).unwrap_or(Ty::Data)))
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

    /// `secret["key"]` on a secret named directly, with a literal key: the
    /// key must be one the declaration lists (E0308). Through a parameter
    /// the evaluator checks it per instance.
    fn check_secret_index(&mut self, base: &ast::Expr, index: &ast::Expr, ctx: &Ctx) {
        let (ExprKind::Name(n), ExprKind::Str(lit)) = (&base.kind, &index.kind) else {
            return;
        };
        let Some(key) = lit.as_plain() else { return };
        if ctx.lookup(n.as_str()).is_some() || !ctx.globals || self.tables.clashing.contains_key(n)
        {
            return;
        }
        let Some((Global::Secret(s), _)) = self.tables.globals.get(n.as_str()) else {
            return;
        };
        let decl = self.tables.secrets[*s];
        let Some(keys) = crate::items::secret::secret_keys(decl) else {
            return;
        };
        if keys.iter().any(|(k, _)| *k == key) {
            return;
        }
        let listed: Vec<String> = keys.iter().map(|(k, _)| format!("{k:?}")).collect();
        let d = Diagnostic::error(
            "E0308",
            format!("secret `{n}` has no key {key:?}"),
            index.span,
        )
        .with_label("no such key")
        .with_note(format!(
            "{} {}",
            if keys.len() == 1 {
                "its key is"
            } else {
                "its keys are"
            },
            listed.join(", ")
        ))
        .with_suggestion(&key, keys.iter().map(|(k, _)| k.as_str()), None);
        self.err(d);
    }

    fn infer_name(&mut self, n: &str, span: Span, ctx: &Ctx) -> Ty {
        if let Some(t) = ctx.lookup(n) {
            return t.clone();
        }
        if ctx.globals {
            if let Some(&secrets) = self.tables.clashing.get(n) {
                return if secrets { Ty::Secret } else { Ty::Unknown };
            }
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
        // Suggestions cost a pass over every global: after the first ones,
        // a file of thousands of unknown names gets its errors without them.
        if ctx.globals && self.suggestions_left > 0 {
            self.suggestions_left -= 1;
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
                Ty::String | Ty::SecretName | Ty::Int | Ty::Float | Ty::Bool | Ty::Bytes | Ty::Cpu | Ty::Duration | Ty::Path | Ty::Enum(_) | Ty::Unknown => {}
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
                        .with_label(format!("this is {}", report::a_type(&ts)));
                    if matches!(t.base(), Ty::Component(_) | Ty::Interface(_)) {
                        d = d.with_help("interpolate one of its fields, such as `.name`");
                    }
                    self.err(d);
                }
            }
        }
    }
}
