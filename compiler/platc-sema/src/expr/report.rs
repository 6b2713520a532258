//! Reports of expressions of the wrong type: mismatches against the
//! expected type, operands an operator cannot take, repeated record keys
//! and string literals no enum value matches.

use platc_diag::Diagnostic;
use platc_syntax::ast::{self, ExprKind};

use crate::analyze::Checker;
use crate::types::{Mismatch, Ty, TypeNames};

impl Checker<'_> {
    /// Reports a plain key written twice in one record literal (computed
    /// keys are compared when evaluated).
    pub(crate) fn check_record_keys(&mut self, entries: &[ast::RecordEntry]) -> bool {
        let mut ok = true;
        for (i, en) in entries.iter().enumerate() {
            let Some(key) = en.key.plain() else { continue };
            if let Some(prev) = entries[..i]
                .iter()
                .filter_map(|p| p.key.plain())
                .find(|p| p.name == key.name)
            {
                self.dup_key(&key.name, key.span, prev.span);
                ok = false;
            }
        }
        ok
    }

    pub(crate) fn report_mismatch(
        &mut self,
        e: &ast::Expr,
        actual: &Ty,
        expected: &Ty,
        m: Mismatch,
    ) {
        let (a, x) = (self.ty(actual), self.ty(expected));
        let d = match m {
            Mismatch::Type => {
                let mut d = Diagnostic::error("E0301", format!("expected `{x}`, found `{a}`"), e.span).with_label(format!("this is {}", a_type(&a)));
                if let (Ty::Component(c), Ty::Interface(i)) = (actual.base(), expected.base()) {
                    let (cn, iname) = (self.tables.component_name(*c).to_string(), self.tables.interface_name(*i).to_string());
                    d = d
                        .with_note(format!("component `{cn}` does not provide `{iname}`"))
                        .with_help(format!("pass an instance of a component that provides `{iname}`"));
                } else if matches!(expected.base(), Ty::Enum(_)) && matches!(actual.base(), Ty::String) {
                    d = d.with_help("only a string literal can be checked against the allowed values");
                } else if matches!((actual.base(), expected.base()), (Ty::Float, Ty::Int)) {
                    d = d.with_help("write a whole number");
                }
                if let Some(help) = quoted_literal_help(e, expected).or_else(|| unquoted_enum_help(e, expected)) {
                    d = d.with_help(help);
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

    pub(crate) fn operand_error(&mut self, e: &ast::Expr, t: &Ty, op: &str) {
        let ts = self.ty(t);
        let mut d = Diagnostic::error(
            "E0301",
            format!("operator `{op}` cannot be applied to `{ts}`"),
            e.span,
        )
        .with_label(format!("this is {}", a_type(&ts)));
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
}

/// A type's name with its article, as a label says it: "an `int`", "a
/// `string`".
pub(crate) fn a_type(t: &str) -> String {
    let vowel = t.starts_with(|c: char| "aeiouAEIOU".contains(c));
    format!("{} `{t}`", if vowel { "an" } else { "a" })
}

/// YAML's habit of quoting numbers: `"20Gi"` or `"3"` given where a
/// quantity, a number or a bool is expected, the help to drop the quotes.
fn quoted_literal_help(e: &ast::Expr, expected: &Ty) -> Option<String> {
    let ExprKind::Str(lit) = &e.kind else {
        return None;
    };
    let text = lit.as_plain()?;
    let mut expected = expected.base();
    while let Ty::Optional(inner) = expected {
        expected = inner.base();
    }
    let digits_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let is_number = number.starts_with(|c: char| c.is_ascii_digit())
        && number.parse::<f64>().is_ok()
        && !number.contains('_');
    let fits = match expected {
        Ty::Int => is_number && unit.is_empty() && !number.contains('.'),
        Ty::Float => is_number && unit.is_empty(),
        // A plain number of cores is a cpu value too (`2`, `0.5`).
        Ty::Cpu => is_number && (unit.is_empty() || unit == "m"),
        Ty::Bytes | Ty::Duration => {
            is_number && unit.chars().all(|c| c.is_ascii_alphabetic()) && !unit.is_empty()
        }
        Ty::Bool => text == "true" || text == "false",
        _ => false,
    };
    fits.then(|| format!("drop the quotes: write `{text}`; `\"{text}\"` is a string"))
}

/// The other way round: `16` where the allowed values are strings and
/// `"16"` is one of them.
fn unquoted_enum_help(e: &ast::Expr, expected: &Ty) -> Option<String> {
    let text = match &e.kind {
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Float(f) => f.to_string(),
        ExprKind::Quantity(q) => q.text.to_string(),
        _ => return None,
    };
    let mut expected = expected.base();
    while let Ty::Optional(inner) = expected {
        expected = inner.base();
    }
    let Ty::Enum(variants) = expected else {
        return None;
    };
    variants
        .contains(&text)
        .then(|| format!("the allowed values are strings: write `\"{text}\"`, in quotes"))
}

/// When `ty` is an enum (or optional enum) and `other` a string literal that
/// is none of its values: the literal and the values.
pub(crate) fn enum_literal_mismatch(ty: &Ty, other: &ast::Expr) -> Option<(String, Vec<String>)> {
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
