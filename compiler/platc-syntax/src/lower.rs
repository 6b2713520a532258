//! Lowering of pest pairs into the typed AST. pest types never leave this
//! crate. Lowering never fails: malformed literals are reported and replaced
//! by a harmless value so that later stages still see the whole file.

use pest::iterators::Pair;

use crate::ast::*;
use crate::common::{self, trim_trivia};
use crate::Rule;
use platc_diag::{Diagnostic, FileId, Span};

pub struct Lowerer<'a> {
    pub file: FileId,
    pub text: &'a str,
    /// Added to pest's offsets: non-zero when a chunk is parsed alone.
    pub offset: usize,
    pub diagnostics: Vec<Diagnostic>,
}

type P<'i> = Pair<'i, Rule>;

/// The children of a pair, without keyword tokens.
fn kids(pair: P) -> impl Iterator<Item = P> {
    pair.into_inner()
        .filter(|p| !crate::is_keyword_token(p.as_rule()))
}

impl<'a> Lowerer<'a> {
    pub fn new(file: FileId, text: &'a str) -> Self {
        Lowerer {
            file,
            text,
            offset: 0,
            diagnostics: Vec::new(),
        }
    }

    fn span(&self, pair: &P) -> Span {
        let s = pair.as_span();
        let start = self.offset + s.start();
        let end = trim_trivia(self.text, start, self.offset + s.end());
        Span::new(self.file, start as u32, end as u32)
    }

    fn error(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn ident(&self, pair: P) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    pub fn module(&mut self, file: P) -> Module {
        let mut items = Vec::new();
        for pair in kids(file) {
            if pair.as_rule() == Rule::EOI {
                continue;
            }
            items.push(self.item(pair));
        }
        Module { items }
    }

    pub fn item(&mut self, pair: P) -> Item {
        match pair.as_rule() {
            Rule::platform_decl => Item::Platform(self.platform(pair)),
            Rule::import_decl => Item::Import(self.import(pair)),
            Rule::component_decl => Item::Component(self.component(pair)),
            Rule::interface_decl => Item::Interface(self.interface(pair)),
            Rule::secret_decl => Item::Secret(self.secret(pair)),
            Rule::environment_decl => Item::Environment(self.environment(pair)),
            Rule::policy_decl => Item::Policy(self.policy(pair)),
            Rule::waiver_decl => Item::Waiver(self.waiver(pair)),
            Rule::instance_decl => Item::Instance(self.instance(pair)),
            r => unreachable!("not an item: {r:?}"),
        }
    }

    fn platform(&mut self, pair: P) -> PlatformDecl {
        let span = self.span(&pair);
        let mut inner = kids(pair);
        let name = self.string(inner.next().unwrap());
        let attrs = inner.map(|p| self.attr(p)).collect();
        PlatformDecl { name, attrs, span }
    }

    fn import(&mut self, pair: P) -> ImportDecl {
        let span = self.span(&pair);
        let mut inner = kids(pair);
        let path = self.string(inner.next().unwrap());
        let alias = inner.next().map(|p| self.ident(p));
        ImportDecl { path, alias, span }
    }

    fn interface(&mut self, pair: P) -> InterfaceDecl {
        let span = self.span(&pair);
        let doc = common::doc_before(self.text, span.start as usize);
        let mut inner = kids(pair);
        let name = self.ident(inner.next().unwrap());
        let fields = inner.map(|p| self.field_type(p)).collect();
        InterfaceDecl {
            name,
            doc,
            fields,
            span,
        }
    }

    fn component(&mut self, pair: P) -> ComponentDecl {
        let span = self.span(&pair);
        let doc = common::doc_before(self.text, span.start as usize);
        let mut inner = kids(pair);
        let name = self.ident(inner.next().unwrap());
        let mut c = ComponentDecl {
            name,
            doc,
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
            span,
        };
        for member in inner {
            let mspan = self.span(&member);
            match member.as_rule() {
                Rule::chart_decl => {
                    let mut it = kids(member);
                    let name = self.string(it.next().unwrap());
                    let version = self.string(it.next().unwrap());
                    let repository = self.string(it.next().unwrap());
                    let timeout = it
                        .find(|p| p.as_rule() == Rule::number)
                        .map(|p| self.number(&p));
                    c.charts.push(ChartDecl {
                        name,
                        version,
                        repository,
                        timeout,
                        span: mspan,
                    });
                }
                Rule::provides_decl => {
                    let mut it = kids(member).peekable();
                    let interface = self.type_name(it.next().unwrap());
                    let cond = match it.peek() {
                        Some(p) if p.as_rule() == Rule::member_cond => {
                            Some(self.member_cond(it.next().unwrap()))
                        }
                        _ => None,
                    };
                    let fields = it.map(|p| self.attr(p)).collect();
                    c.provides.push(ProvidesDecl {
                        interface,
                        cond,
                        fields,
                        span: mspan,
                    });
                }
                Rule::requires_decl => {
                    let mut it = kids(member);
                    let interface = self.type_name(it.next().unwrap());
                    let cond = it.next().map(|p| self.member_cond(p));
                    c.requires.push(RequiresDecl {
                        interface,
                        cond,
                        span: mspan,
                    });
                }
                Rule::let_decl => {
                    let doc = common::doc_before(self.text, mspan.start as usize);
                    let mut it = kids(member);
                    let name = self.ident(it.next().unwrap());
                    let value = self.expr(it.next().unwrap());
                    c.lets.push(LetDecl {
                        name,
                        doc,
                        value,
                        span: mspan,
                    });
                }
                Rule::resource_decl => {
                    let doc = common::doc_before(self.text, mspan.start as usize);
                    let mut it = kids(member).peekable();
                    let (cluster, route) = match it.peek().map(|p| p.as_rule()) {
                        Some(Rule::cluster_scope) => {
                            it.next();
                            (true, false)
                        }
                        Some(Rule::route_scope) => {
                            it.next();
                            (false, true)
                        }
                        _ => (false, false),
                    };
                    let name = self.ident(it.next().unwrap());
                    let api_version = self.string(it.next().unwrap());
                    let kind = self.ident(it.next().unwrap());
                    let each = match it.peek() {
                        Some(p) if p.as_rule() == Rule::resource_for => {
                            let f = it.next().unwrap();
                            let span = self.span(&f);
                            let mut parts = kids(f);
                            let var = self.ident(parts.next().unwrap());
                            let list = self.expr(parts.next().unwrap());
                            Some(ResourceFor { var, list, span })
                        }
                        _ => None,
                    };
                    let cond = match it.peek() {
                        Some(p) if p.as_rule() == Rule::member_cond => {
                            Some(self.member_cond(it.next().unwrap()))
                        }
                        _ => None,
                    };
                    let ready = match it.peek() {
                        Some(p) if p.as_rule() == Rule::ready_clause => {
                            let mut parts =
                                kids(it.next().unwrap()).filter(|p| p.as_rule() == Rule::string);
                            let first = parts.next().map(|p| self.string(p));
                            let second = parts.next().map(|p| self.string(p));
                            match (first, second) {
                                (Some(path), Some(pattern)) => Some(Ready::Field(path, pattern)),
                                (Some(condition), None) => Some(Ready::Condition(condition)),
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    let body = it.map(|p| self.value_stmt(p)).collect();
                    c.resources.push(ResourceDecl {
                        name,
                        doc,
                        api_version,
                        kind,
                        cluster,
                        route,
                        each,
                        cond,
                        ready,
                        body,
                        span: mspan,
                    });
                }
                Rule::assert_decl => {
                    let mut it = kids(member).peekable();
                    let route = it.next_if(|p| p.as_rule() == Rule::route_scope).is_some();
                    let cond = self.expr(it.next().unwrap());
                    let message = self.expr(it.next().unwrap());
                    c.asserts.push(AssertDecl {
                        route,
                        cond,
                        message,
                        span: mspan,
                    });
                }
                Rule::param_decl => {
                    let doc = common::doc_before(self.text, mspan.start as usize);
                    let mut it = kids(member);
                    let name = self.ident(it.next().unwrap());
                    let ty = self.type_expr(it.next().unwrap());
                    let default = it.next().map(|p| self.expr(p));
                    c.params.push(ParamDecl {
                        name,
                        doc,
                        ty,
                        default,
                        span: mspan,
                    });
                }
                Rule::expose_point => {
                    let doc = common::doc_before(self.text, mspan.start as usize);
                    let mut it = kids(member);
                    let name = self.ident(it.next().unwrap());
                    let attrs = it.map(|p| self.attr(p)).collect();
                    c.exposes.push(ExposePoint {
                        name,
                        doc,
                        attrs,
                        span: mspan,
                    });
                }
                Rule::network_decl => {
                    let attrs = kids(member).map(|p| self.attr(p)).collect();
                    c.networks.push(NetworkDecl { attrs, span: mspan });
                }
                Rule::values_block => {
                    let stmts = kids(member).map(|p| self.value_stmt(p)).collect();
                    c.values.push(ValuesBlock { stmts, span: mspan });
                }
                r => unreachable!("not a component member: {r:?}"),
            }
        }
        c
    }

    fn member_cond(&mut self, pair: P) -> Expr {
        self.expr(kids(pair).next().unwrap())
    }

    fn value_stmt(&mut self, pair: P) -> ValueStmt {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::value_assign => {
                let mut it = kids(pair);
                let path_pair = it.next().unwrap();
                let mut path = Vec::new();
                for seg in kids(path_pair) {
                    let sspan = self.span(&seg);
                    let kind = match seg.as_rule() {
                        Rule::word => KeyKind::Name(seg.as_str().into()),
                        Rule::key_index => KeyKind::Index(self.expr(kids(seg).next().unwrap())),
                        _ => {
                            let lit = self.string(seg);
                            match lit.as_plain() {
                                Some(s) => KeyKind::Name(s.into()),
                                None => KeyKind::Computed(lit),
                            }
                        }
                    };
                    path.push(KeySegment { kind, span: sspan });
                }
                // A values tree is as deep as its longest path: bounded like
                // any other nesting, so that no later stage recurses without
                // limit.
                common::limit_key_path(&mut path, &mut self.diagnostics);
                let value = self.expr(it.next().unwrap());
                ValueStmt::Assign { path, value, span }
            }
            Rule::value_if => {
                let mut it = kids(pair);
                let cond = self.expr(it.next().unwrap());
                let then = self.value_body(it.next().unwrap());
                let otherwise = match it.next() {
                    Some(p) if p.as_rule() == Rule::value_if => vec![self.value_stmt(p)],
                    Some(p) => self.value_body(p),
                    None => vec![],
                };
                ValueStmt::If {
                    cond,
                    then,
                    otherwise,
                    span,
                }
            }
            r => unreachable!("not a value statement: {r:?}"),
        }
    }

    fn value_body(&mut self, pair: P) -> Vec<ValueStmt> {
        kids(pair).map(|p| self.value_stmt(p)).collect()
    }

    fn secret(&mut self, pair: P) -> SecretDecl {
        let span = self.span(&pair);
        let doc = common::doc_before(self.text, span.start as usize);
        let mut it = kids(pair);
        let name = self.ident(it.next().unwrap());
        let source = self.call(it.next().unwrap());
        SecretDecl {
            name,
            doc,
            source,
            span,
        }
    }

    fn environment(&mut self, pair: P) -> EnvironmentDecl {
        let span = self.span(&pair);
        let mut it = kids(pair);
        let name = self.ident(it.next().unwrap());
        let overrides = it
            .map(|o| {
                let ospan = self.span(&o);
                let mut oi = kids(o);
                let target = oi
                    .next()
                    .unwrap()
                    .into_inner()
                    .map(|seg| match seg.as_rule() {
                        Rule::platform_ref => Ident {
                            name: "platform".to_string(),
                            span: self.span(&seg),
                        },
                        _ => self.ident(seg),
                    })
                    .collect();
                let value = self.expr(oi.next().unwrap());
                Override {
                    target,
                    value,
                    span: ospan,
                }
            })
            .collect();
        EnvironmentDecl {
            name,
            overrides,
            span,
        }
    }

    fn policy(&mut self, pair: P) -> PolicyDecl {
        let span = self.span(&pair);
        let doc = common::doc_before(self.text, span.start as usize);
        let mut it = kids(pair);
        let name = self.ident(it.next().unwrap());
        let sev = it.next().unwrap();
        let severity_span = self.span(&sev);
        let severity = if sev.as_str() == "deny" {
            PolicySeverity::Deny
        } else {
            PolicySeverity::Warn
        };
        let code = self.string(it.next().unwrap());
        let rules = it
            .map(|r| {
                let rspan = self.span(&r);
                let mut ri = kids(r);
                let var = self.ident(ri.next().unwrap());
                let collection = self.ident(ri.next().unwrap());
                let mut next = ri.next().unwrap();
                let filter = if next.as_rule() == Rule::expr {
                    let f = self.expr(next);
                    next = ri.next().unwrap();
                    Some(f)
                } else {
                    None
                };
                let subject = self.ident(next);
                let message = self.expr(ri.next().unwrap());
                let help = ri.next().map(|h| self.expr(h));
                PolicyRule {
                    var,
                    collection,
                    filter,
                    subject,
                    message,
                    help,
                    span: rspan,
                }
            })
            .collect();
        PolicyDecl {
            name,
            doc,
            severity,
            severity_span,
            code,
            rules,
            span,
        }
    }

    fn waiver(&mut self, pair: P) -> WaiverDecl {
        let span = self.span(&pair);
        let mut it = kids(pair);
        let policy = self.ident(it.next().unwrap());
        let mut edge = false;
        let mut target = Vec::new();
        for p in it.next().unwrap().into_inner() {
            if p.as_rule() == Rule::edge_arrow {
                edge = true;
            } else {
                target.push(self.ident(p));
            }
        }
        let reason = self.string(it.next().unwrap());
        let until = it.next().map(|d| {
            let dspan = self.span(&d);
            (
                common::date(d.as_str(), dspan, &mut self.diagnostics),
                dspan,
            )
        });
        WaiverDecl {
            policy,
            target,
            edge,
            reason,
            until,
            span,
        }
    }

    fn instance(&mut self, pair: P) -> InstanceDecl {
        let span = self.span(&pair);
        let doc = common::doc_before(self.text, span.start as usize);
        let mut it = kids(pair);
        let component = self.type_name(it.next().unwrap());
        let name = self.ident(it.next().unwrap());
        let mut attrs = Vec::new();
        let mut exposes = Vec::new();
        for m in it {
            match m.as_rule() {
                Rule::attr => attrs.push(self.attr(m)),
                Rule::expose_decl => {
                    let espan = self.span(&m);
                    let mut ei = kids(m);
                    let name = self.ident(ei.next().unwrap());
                    let attrs = ei.map(|p| self.attr(p)).collect();
                    exposes.push(ExposeDecl {
                        name,
                        attrs,
                        span: espan,
                    });
                }
                r => unreachable!("not an instance member: {r:?}"),
            }
        }
        InstanceDecl {
            component,
            name,
            doc,
            attrs,
            exposes,
            span,
        }
    }

    fn attr(&mut self, pair: P) -> Attr {
        let span = self.span(&pair);
        let mut it = kids(pair);
        let name = self.ident(it.next().unwrap());
        let value = self.expr(it.next().unwrap());
        Attr { name, value, span }
    }

    fn type_name(&mut self, pair: P) -> TypeName {
        let span = self.span(&pair);
        let mut parts: Vec<Ident> = kids(pair).map(|p| self.ident(p)).collect();
        let name = parts.pop().unwrap();
        TypeName {
            module: parts.pop(),
            name,
            span,
        }
    }

    fn field_type(&mut self, pair: P) -> FieldType {
        let span = self.span(&pair);
        let mut it = kids(pair);
        let name = self.ident(it.next().unwrap());
        let ty = self.type_expr(it.next().unwrap());
        FieldType { name, ty, span }
    }

    fn type_expr(&mut self, pair: P) -> TypeExpr {
        // type_expr = type_union optional?
        let span = self.span(&pair);
        let mut it = kids(pair);
        let union = it.next().unwrap();
        let union_span = self.span(&union);
        let terms: Vec<P> = kids(union).collect();
        let base = if terms.len() == 1 {
            self.type_term(terms.into_iter().next().unwrap())
        } else {
            let mut variants = Vec::new();
            for t in terms {
                let tspan = self.span(&t);
                if t.as_rule() == Rule::string {
                    let lit = self.string(t);
                    match lit.as_plain() {
                        Some(s) => variants.push((s, tspan)),
                        None => self.error(common::interpolated_variant(tspan)),
                    }
                } else {
                    self.error(common::not_a_variant(tspan));
                }
            }
            TypeExpr {
                kind: TypeExprKind::Enum(variants),
                span: union_span,
            }
        };
        if it.next().is_some() {
            TypeExpr {
                kind: TypeExprKind::Optional(Box::new(base)),
                span,
            }
        } else {
            base
        }
    }

    fn type_term(&mut self, pair: P) -> TypeExpr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::string => {
                let lit = self.string(pair);
                let value = lit.as_plain().unwrap_or_default();
                TypeExprKind::Enum(vec![(value, span)])
            }
            Rule::paren_type => return self.type_expr(kids(pair).next().unwrap()),
            Rule::list_type => {
                TypeExprKind::List(Box::new(self.type_expr(kids(pair).next().unwrap())))
            }
            Rule::map_type => {
                TypeExprKind::Map(Box::new(self.type_expr(kids(pair).next().unwrap())))
            }
            Rule::record_type => {
                TypeExprKind::Record(kids(pair).map(|f| self.field_type(f)).collect())
            }
            Rule::named_type => {
                let mut it = kids(pair);
                let name = self.type_name(it.next().unwrap());
                let constraint = it.next().map(|c| Box::new(self.constraint(c)));
                TypeExprKind::Named { name, constraint }
            }
            r => unreachable!("not a type term: {r:?}"),
        };
        TypeExpr { kind, span }
    }

    fn constraint(&mut self, pair: P) -> Constraint {
        let span = self.span(&pair);
        let inner = kids(pair).next().unwrap();
        let kind = match inner.as_rule() {
            Rule::pattern_constraint => {
                let s = kids(inner).next().unwrap();
                let sspan = self.span(&s);
                let lit = self.string(s);
                ConstraintKind::Pattern(lit.as_plain().unwrap_or_default(), sspan)
            }
            Rule::range_constraint => {
                let text = inner.as_str();
                let dots = inner.as_span().start() + text.find("..").unwrap();
                let mut lo = None;
                let mut hi = None;
                for b in kids(inner) {
                    let is_lo = b.as_span().start() < dots;
                    let e = self.bound(b);
                    if is_lo {
                        lo = Some(e);
                    } else {
                        hi = Some(e);
                    }
                }
                ConstraintKind::Range { lo, hi }
            }
            r => unreachable!("not a constraint: {r:?}"),
        };
        Constraint { kind, span }
    }

    fn bound(&mut self, pair: P) -> Expr {
        let span = self.span(&pair);
        let mut it = kids(pair);
        let first = it.next().unwrap();
        if first.as_rule() == Rule::neg {
            let num = self.number(&it.next().unwrap());
            Expr {
                kind: ExprKind::Unary(UnaryOp::Neg, Box::new(num)),
                span,
            }
        } else {
            self.number(&first)
        }
    }

    // ------------------------------------------------------------ expressions

    pub fn expr(&mut self, pair: P) -> Expr {
        let span = self.span(&pair);
        let mut operands: Vec<Expr> = Vec::new();
        let mut ops: Vec<(BinaryOp, Span)> = Vec::new();
        for p in kids(pair) {
            if p.as_rule() == Rule::operand {
                operands.push(self.operand(p));
            } else {
                let op = match p.as_rule() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    Rule::op_rem => BinaryOp::Rem,
                    Rule::op_in => BinaryOp::In,
                    r => unreachable!("not an operator: {r:?}"),
                };
                ops.push((op, self.span(&p)));
            }
        }
        if ops.len() > common::MAX_OPERATORS {
            self.error(common::too_many_operators(ops.len(), span));
            return Expr {
                kind: ExprKind::None,
                span,
            };
        }
        common::fold_binary(operands, ops.into_iter().map(|(op, _)| op).collect())
    }

    fn operand(&mut self, pair: P) -> Expr {
        let span = self.span(&pair);
        let mut prefixes: Vec<(UnaryOp, Span)> = Vec::new();
        let mut base: Option<Expr> = None;
        let mut count = 0usize;
        for p in kids(pair) {
            count += 1;
            if count > common::MAX_OPERATORS {
                self.error(common::too_long_chain(span));
                return Expr {
                    kind: ExprKind::None,
                    span,
                };
            }
            match p.as_rule() {
                Rule::neg => prefixes.push((UnaryOp::Neg, self.span(&p))),
                Rule::not => prefixes.push((UnaryOp::Not, self.span(&p))),
                Rule::field => {
                    let fspan = self.span(&p);
                    let name = self.ident(kids(p).next().unwrap());
                    let b = base.take().unwrap();
                    let s = b.span.to(fspan);
                    base = Some(Expr {
                        kind: ExprKind::Field(Box::new(b), name),
                        span: s,
                    });
                }
                Rule::index => {
                    let ispan = self.span(&p);
                    let idx = self.expr(kids(p).next().unwrap());
                    let b = base.take().unwrap();
                    let s = b.span.to(ispan);
                    base = Some(Expr {
                        kind: ExprKind::Index(Box::new(b), Box::new(idx)),
                        span: s,
                    });
                }
                _ => base = Some(self.primary(p)),
            }
        }
        common::apply_prefixes(base.unwrap(), prefixes)
    }

    fn primary(&mut self, pair: P) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => return self.expr(kids(pair).next().unwrap()),
            Rule::list => ExprKind::List(kids(pair).map(|p| self.expr(p)).collect()),
            Rule::record => ExprKind::Record(
                kids(pair)
                    .map(|entry| {
                        let mut it = kids(entry);
                        let k = it.next().unwrap();
                        let key = if matches!(k.as_rule(), Rule::ident | Rule::word) {
                            let k = self.ident(k);
                            RecordKey::Plain(KeyName {
                                name: k.name.into(),
                                span: k.span,
                            })
                        } else {
                            let kspan = self.span(&k);
                            let lit = self.string(k);
                            match lit.as_plain() {
                                Some(name) => RecordKey::Plain(KeyName {
                                    name: name.into(),
                                    span: kspan,
                                }),
                                None => RecordKey::Computed(lit),
                            }
                        };
                        let value = self.expr(it.next().unwrap());
                        RecordEntry { key, value }
                    })
                    .collect(),
            ),
            Rule::cond_expr => {
                let mut it = kids(pair);
                let cond = self.expr(it.next().unwrap());
                let then = self.expr(it.next().unwrap());
                let other = it.next().unwrap();
                let otherwise = if other.as_rule() == Rule::cond_expr {
                    self.primary(other)
                } else {
                    self.expr(other)
                };
                ExprKind::If(Box::new(cond), Box::new(then), Box::new(otherwise))
            }
            Rule::list_comp | Rule::map_comp => {
                let is_map = pair.as_rule() == Rule::map_comp;
                let mut it = kids(pair);
                let mut head = kids(it.next().unwrap());
                let first = self.ident(head.next().unwrap());
                let mut rest: Vec<P> = head.collect();
                let (key_var, var) = if rest.first().map(|p| p.as_rule()) == Some(Rule::ident) {
                    let second = rest.remove(0);
                    (Some(first), self.ident(second))
                } else {
                    (None, first)
                };
                let mut rest = rest.into_iter();
                let source = self.expr(rest.next().unwrap());
                let filter = rest.next().map(|p| self.expr(p));
                let first_body = self.expr(it.next().unwrap());
                let (key, value) = if is_map {
                    (Some(first_body), self.expr(it.next().unwrap()))
                } else {
                    (None, first_body)
                };
                ExprKind::Comprehension(Box::new(Comprehension {
                    key_var,
                    var,
                    source,
                    filter,
                    key,
                    value,
                }))
            }
            Rule::call => ExprKind::Call(Box::new(self.call(pair))),
            Rule::string => ExprKind::Str(self.string(pair)),
            Rule::number => return self.number(&pair),
            Rule::lit_true => ExprKind::Bool(true),
            Rule::lit_false => ExprKind::Bool(false),
            Rule::lit_none => ExprKind::None,
            Rule::self_ref => ExprKind::SelfRef,
            Rule::platform_name => ExprKind::Platform,
            Rule::name => ExprKind::Name(pair.as_str().to_string()),
            r => unreachable!("not a primary: {r:?}"),
        };
        Expr { kind, span }
    }

    fn call(&mut self, pair: P) -> Call {
        let span = self.span(&pair);
        let mut it = kids(pair);
        let func = self.ident(it.next().unwrap());
        let args = it.map(|p| self.expr(p)).collect();
        Call { func, args, span }
    }

    fn number(&mut self, pair: &P) -> Expr {
        let span = self.span(pair);
        common::number(pair.as_str(), span, &mut self.diagnostics)
    }

    pub fn string(&mut self, pair: P) -> StringLit {
        let span = self.span(&pair);
        let mut parts: Vec<StrPart> = Vec::new();
        let mut text = String::new();
        for p in kids(pair) {
            match p.as_rule() {
                Rule::str_text => text.push_str(p.as_str()),
                Rule::escape => {
                    let espan = self.span(&p);
                    match common::unescape(p.as_str()) {
                        Some(c) => text.push(c),
                        None => self.error(common::unknown_escape(p.as_str(), espan)),
                    }
                }
                Rule::interp => {
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text).into()));
                    }
                    let e = self.expr(kids(p).next().unwrap());
                    parts.push(StrPart::Interp(Box::new(e)));
                }
                r => unreachable!("not a string part: {r:?}"),
            }
        }
        if !text.is_empty() || parts.is_empty() {
            parts.push(StrPart::Text(text.into()));
        }
        StringLit { parts, span }
    }
}

/// Parse tests of the v0.2 constructs: what each lowers to.
#[cfg(test)]
mod v02 {
    use crate::ast::*;
    use platc_diag::FileId;

    fn component(body: &str) -> ComponentDecl {
        let text = format!("component c {{\n{body}\n}}");
        let (m, diags) = crate::parse(FileId(0), &text);
        assert!(diags.is_empty(), "{diags:?}");
        match m.items.into_iter().next() {
            Some(Item::Component(c)) => c,
            other => panic!("{other:?}"),
        }
    }

    fn expr(text: &str) -> Expr {
        let c = component(&format!("let x = {text}"));
        c.lets.into_iter().next().unwrap().value
    }

    #[test]
    fn conditional_expressions_chain_through_else_if() {
        let e = expr("if a { 1 } else if b { 2 } else { 3 }");
        let ExprKind::If(cond, then, other) = e.kind else {
            panic!()
        };
        assert_eq!(cond.kind, ExprKind::Name("a".into()));
        assert_eq!(then.kind, ExprKind::Int(1));
        assert!(matches!(other.kind, ExprKind::If(..)));
        // A conditional is a primary: `+` applies to the whole of it.
        let e = expr("if a { 1 } else { 2 } + 3");
        assert!(matches!(e.kind, ExprKind::Binary(BinaryOp::Add, ..)));
    }

    #[test]
    fn comprehensions_lower_variables_filter_and_key() {
        let e = expr("[for i, b in buckets if i > 0: { name = b }]");
        let ExprKind::Comprehension(c) = e.kind else {
            panic!()
        };
        assert_eq!(c.key_var.as_ref().map(|v| v.name.as_str()), Some("i"));
        assert_eq!(c.var.name, "b");
        assert_eq!(c.source.kind, ExprKind::Name("buckets".into()));
        assert!(c.filter.is_some() && c.key.is_none());
        assert!(matches!(c.value.kind, ExprKind::Record(_)));

        let e = expr("{for b in buckets: \"${b}-x\" = b}");
        let ExprKind::Comprehension(c) = e.kind else {
            panic!()
        };
        assert!(c.key_var.is_none() && c.filter.is_none());
        assert!(matches!(c.key.as_ref().unwrap().kind, ExprKind::Str(_)));
        assert_eq!(c.value.kind, ExprKind::Name("b".into()));
    }

    #[test]
    fn record_keys_may_be_computed() {
        let e = expr("{ plain = 1, \"a.b\" = 2, \"${n}\" = 3 }");
        let ExprKind::Record(entries) = e.kind else {
            panic!()
        };
        assert_eq!(entries[0].key.plain().unwrap().name, "plain");
        assert_eq!(entries[1].key.plain().unwrap().name, "a.b");
        assert!(matches!(entries[2].key, RecordKey::Computed(_)));
    }

    #[test]
    fn key_paths_take_indices_and_computed_segments() {
        let c = component("values { a[0].\"${n}\".\"c.d\"[i + 1] = 1 }");
        let ValueStmt::Assign { path, .. } = &c.values[0].stmts[0] else {
            panic!()
        };
        assert_eq!(path.len(), 5);
        assert_eq!(path[0].name(), Some("a"));
        assert!(matches!(&path[1].kind, KeyKind::Index(e) if e.kind == ExprKind::Int(0)));
        assert!(matches!(path[2].kind, KeyKind::Computed(_)));
        assert_eq!(path[3].name(), Some("c.d"));
        assert!(matches!(path[4].kind, KeyKind::Index(_)));
    }

    #[test]
    fn members_let_assert_and_conditional_interfaces() {
        let c = component(
            "/// doc\nlet rw = \"x\"\nassert n > 1 message \"too few\"\n\
             provides A if n > 1 { f = 1 }\nprovides B\nrequires C if ha\nrequires D",
        );
        assert_eq!(c.lets[0].name.name, "rw");
        assert_eq!(c.lets[0].doc.as_deref(), Some("doc"));
        assert!(matches!(
            c.asserts[0].cond.kind,
            ExprKind::Binary(BinaryOp::Gt, ..)
        ));
        assert!(matches!(c.asserts[0].message.kind, ExprKind::Str(_)));
        assert!(c.provides[0].cond.is_some() && c.provides[0].fields.len() == 1);
        assert!(c.provides[1].cond.is_none());
        assert!(c.requires[0].cond.is_some() && c.requires[1].cond.is_none());
    }

    #[test]
    fn resources_lower_scope_kind_condition_and_body() {
        let c = component(
            "/// The issuer.\ncluster resource issuer \"cert-manager.io/v1\" ClusterIssuer { spec.selfSigned = {} }\n\
             resource mon \"monitoring.coreos.com/v1\" ServiceMonitor if ha { spec.endpoints[0].port = \"m\" }",
        );
        let (a, b) = (&c.resources[0], &c.resources[1]);
        assert!(a.cluster && !b.cluster);
        assert_eq!(a.doc.as_deref(), Some("The issuer."));
        assert_eq!(
            a.api_version.as_plain().as_deref(),
            Some("cert-manager.io/v1")
        );
        assert_eq!(
            (a.kind.name.as_str(), b.kind.name.as_str()),
            ("ClusterIssuer", "ServiceMonitor")
        );
        assert!(a.cond.is_none() && b.cond.is_some());
        assert_eq!(a.body.len(), 1);
        // `resource` and `cluster` stay names elsewhere.
        let (m, diags) = crate::parse(
            FileId(0),
            "component c { param resource: int = 1 param cluster: int = 2 }",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(m.items.len(), 1);
    }

    #[test]
    fn new_contextual_keywords_stay_names() {
        let text = "component c { param let: int = 1 param message: string = \"m\" \
                    param assert: bool = true values { let = let message = message } }\n\
                    c let { message = \"x\" }";
        let (m, diags) = crate::parse(FileId(0), text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(m.items.len(), 2);
    }

    #[test]
    fn a_conditional_without_else_is_a_syntax_error() {
        let (_, diags) = crate::parse(FileId(0), "component c { let x = if a { 1 } }");
        assert_eq!(diags[0].code, "E0101");
    }
}
