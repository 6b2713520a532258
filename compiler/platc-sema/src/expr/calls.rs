//! Built-in functions: their signatures and the checks of their
//! arguments.

use platc_diag::Diagnostic;
use platc_syntax::ast;

use super::Ctx;
use crate::analyze::Checker;
use crate::types::{Mismatch, Ty};
use crate::vocab::SECRET_SOURCES;

pub(crate) const FUNCTIONS: &[&str] = &[
    "len",
    "lower",
    "upper",
    "join",
    "contains",
    "default",
    "replace",
    "split",
    "trim",
    "starts_with",
    "ends_with",
    "matches",
    "pad_left",
    "to_json",
    "to_yaml",
    "sha256",
    "keys",
    "all",
];

impl Checker<'_> {
    pub(super) fn infer_call(&mut self, call: &ast::Call, ctx: &Ctx) -> Ty {
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
                        Ty::List(elem) if elem.contains_secret() => {
                            self.err(
                                Diagnostic::error(
                                    "E0307",
                                    "`contains` cannot look for a secret",
                                    call.args[0].span,
                                )
                                .with_label("a list of secrets")
                                .with_note(
                                    "comparing secrets would reveal something of their values",
                                )
                                .with_help("compare `.secret_name` or `.secret_key` instead"),
                            );
                        }
                        Ty::List(elem) => {
                            self.check_expr(&call.args[1], &elem, ctx);
                        }
                        Ty::String | Ty::Enum(_) => {
                            self.check_expr(&call.args[1], &Ty::String, ctx);
                        }
                        Ty::Unknown => {}
                        other => {
                            let ts = self.ty(&other);
                            self.err(
                                Diagnostic::error(
                                    "E0315",
                                    format!("`contains` needs a list or a string, found `{ts}`"),
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
            "replace" | "split" | "starts_with" | "ends_with" | "trim" | "sha256" => {
                let (n, result, sig) = match name {
                    "replace" => (3, Ty::String, "replace(string, string, string) -> string"),
                    "split" => (
                        2,
                        Ty::List(Box::new(Ty::String)),
                        "split(string, string) -> list<string>",
                    ),
                    "starts_with" => (2, Ty::Bool, "starts_with(string, string) -> bool"),
                    "ends_with" => (2, Ty::Bool, "ends_with(string, string) -> bool"),
                    "trim" => (1, Ty::String, "trim(string) -> string"),
                    _ => (1, Ty::String, "sha256(string) -> string"),
                };
                if arity(self, n, sig) {
                    for a in &call.args {
                        self.check_expr(a, &Ty::String, ctx);
                    }
                }
                result
            }
            "matches" => {
                if arity(self, 2, "matches(string, string) -> bool") {
                    self.check_expr(&call.args[0], &Ty::String, ctx);
                    // The pattern is fixed text, compiled once and checked
                    // here.
                    match &call.args[1].kind {
                        ast::ExprKind::Str(lit) if lit.as_plain().is_some() => {
                            let re = lit.as_plain().unwrap_or_default();
                            if let Err(e) = crate::vocab::compiled_regex(&re) {
                                self.err(
                                    Diagnostic::error(
                                        "E0313",
                                        format!("invalid pattern {re:?}"),
                                        call.args[1].span,
                                    )
                                    .with_label(e)
                                    .with_help(
                                        "the second argument of `matches` is a regular expression",
                                    ),
                                );
                            }
                        }
                        _ => self.err(
                            Diagnostic::error(
                                "E0313",
                                "the pattern of `matches` must be a string literal",
                                call.args[1].span,
                            )
                            .with_label("not a fixed pattern")
                            .with_help(
                                "write the regular expression as a plain string, e.g. \"^prod-\"",
                            ),
                        ),
                    }
                }
                Ty::Bool
            }
            "pad_left" => {
                if arity(self, 3, "pad_left(string, int, string) -> string") {
                    self.check_expr(&call.args[0], &Ty::String, ctx);
                    self.check_expr(&call.args[1], &Ty::Int, ctx);
                    self.check_expr(&call.args[2], &Ty::String, ctx);
                }
                Ty::String
            }
            "to_json" | "to_yaml" => {
                if arity(self, 1, &format!("{name}(T) -> string")) {
                    let mut data_ctx = ctx.clone();
                    data_ctx.open = true;
                    let t = self.infer(&call.args[0], &data_ctx);
                    if t.contains_secret() {
                        self.err(
                            Diagnostic::error(
                                "E0307",
                                format!("`{name}` cannot take a secret"),
                                call.args[0].span,
                            )
                            .with_label("holds a secret")
                            .with_note("the text would carry the secret's value in clear text")
                            .with_help("deliver the secret on its own, as a values entry or a Secret reference"),
                        );
                    } else if matches!(t.base(), Ty::Component(_) | Ty::Interface(_)) {
                        self.err(
                            Diagnostic::error(
                                "E0315",
                                format!("`{name}` needs data, found an instance reference"),
                                call.args[0].span,
                            )
                            .with_label("an instance reference")
                            .with_help("pass one of its fields"),
                        );
                    } else if matches!(t.base(), Ty::Optional(_) | Ty::NoneLit) {
                        self.report_mismatch(&call.args[0], &t, &Ty::Data, Mismatch::PossiblyNone);
                    }
                }
                Ty::String
            }
            "keys" => {
                let sig = "keys(map<T>) -> list<string>";
                if !arity(self, 1, sig) {
                    return Ty::Unknown;
                }
                let t = self.infer(&call.args[0], ctx);
                match t.base() {
                    Ty::Map(_) | Ty::Record(_) | Ty::Unknown => {}
                    other => {
                        let ts = self.ty(other);
                        self.err(
                            Diagnostic::error(
                                "E0315",
                                format!("`{name}` needs a map, found `{ts}`"),
                                call.args[0].span,
                            )
                            .with_label("wrong argument type"),
                        );
                    }
                }
                Ty::List(Box::new(Ty::String))
            }
            "all" => self.infer_all(call, ctx),
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

    /// `all(Interface)`: every instance of the platform that provides the
    /// interface, as a list. Only inside components, whose instances it
    /// observes.
    fn infer_all(&mut self, call: &ast::Call, ctx: &Ctx) -> Ty {
        let sig = "all(Interface) -> list<Interface>";
        if call.args.len() != 1 {
            self.err(
                Diagnostic::error(
                    "E0315",
                    format!("`all` takes 1 argument, found {}", call.args.len()),
                    call.span,
                )
                .with_label("wrong number of arguments")
                .with_help(format!("the signature is `{sig}`")),
            );
            return Ty::Unknown;
        }
        let (Some(file), true) = (ctx.file, ctx.in_component) else {
            self.err(
                Diagnostic::error(
                    "E0315",
                    "`all` is only available inside a component",
                    call.span,
                )
                .with_label("not inside a component")
                .with_help("give the component a parameter whose default is `all(Interface)`"),
            );
            return Ty::Unknown;
        };
        let arg = &call.args[0];
        let name = match &arg.kind {
            ast::ExprKind::Name(n) => ast::TypeName {
                module: None,
                name: ast::Ident {
                    name: n.clone(),
                    span: arg.span,
                },
                span: arg.span,
            },
            ast::ExprKind::Field(base, field) if matches!(base.kind, ast::ExprKind::Name(_)) => {
                let ast::ExprKind::Name(m) = &base.kind else {
                    unreachable!()
                };
                ast::TypeName {
                    module: Some(ast::Ident {
                        name: m.clone(),
                        span: base.span,
                    }),
                    name: field.clone(),
                    span: arg.span,
                }
            }
            _ => {
                self.err(
                    Diagnostic::error("E0315", "`all` takes the name of an interface", arg.span)
                        .with_label("not an interface name")
                        .with_help(format!(
                            "the signature is `{sig}`, e.g. `all(MetricsSource)`"
                        )),
                );
                return Ty::Unknown;
            }
        };
        match self.resolve_type_name(file, &name) {
            Ty::Interface(iid) => {
                self.tables
                    .all_calls
                    .insert((call.span.file.0, call.span.start), iid);
                Ty::List(Box::new(Ty::Interface(iid)))
            }
            Ty::Unknown => Ty::Unknown,
            other => {
                let t = self.ty(&other);
                self.err(
                    Diagnostic::error("E0315", format!("`{t}` is not an interface"), arg.span)
                        .with_label("`all` takes an interface")
                        .with_help("name an interface, such as `MetricsSource`"),
                );
                Ty::Unknown
            }
        }
    }
}
