//! Checks of evaluated values against the constraints of their types:
//! ranges, patterns, and whole non-negative quantities.

use platc_diag::{Diagnostic, Span};

use crate::types::{Bound, Constraint, Ty};
use crate::value::Value;

/// Checks a value against the constraints inside `ty`. Reports and
/// returns false on a violation.
pub(super) fn check_value(diags: &mut Vec<Diagnostic>, v: &Value, ty: &Ty, span: Span) -> bool {
    match (ty, v) {
        (Ty::Constrained(inner, c), v) => {
            if !check_value(diags, v, inner, span) {
                return false;
            }
            check_constraint(diags, v, inner, c, span)
        }
        (Ty::Optional(_), Value::None) => true,
        (Ty::Optional(inner), v) => check_value(diags, v, inner, span),
        (Ty::List(elem), Value::List(items)) => {
            items.iter().all(|i| check_value(diags, i, elem, span))
        }
        (Ty::Map(elem), Value::Map(m)) => m.values().all(|i| check_value(diags, i, elem, span)),
        (Ty::Record(fields), Value::Map(m)) => fields.iter().all(|(n, t)| match m.get(n) {
            Some(v) => check_value(diags, v, t, span),
            None => true,
        }),
        (Ty::Cpu, v) => check_quantity(
            diags,
            v,
            1000,
            "cpu",
            "a whole number of millicores, e.g. 500m or 2",
            span,
        ),
        (Ty::Bytes, v) => check_quantity(
            diags,
            v,
            1,
            "bytes",
            "a whole number of bytes, e.g. 512Mi",
            span,
        ),
        _ => true,
    }
}

/// A plain number given for a quantity (`2` cores, `0.5` cores, `1024`
/// bytes) must be a whole, non-negative number of the base unit.
fn check_quantity(
    diags: &mut Vec<Diagnostic>,
    v: &Value,
    per_unit: i128,
    tname: &str,
    what: &str,
    span: Span,
) -> bool {
    let ok = match v {
        Value::Int(i) => *i >= 0,
        Value::Float(f) => {
            let base = f * per_unit as f64;
            *f >= 0.0 && base.fract() == 0.0 && base < u64::MAX as f64
        }
        _ => true,
    };
    if !ok {
        let shown = v.interpolate().unwrap_or_default();
        diags.push(
            Diagnostic::error(
                "E0304",
                format!("{shown} is not a valid `{tname}` value"),
                span,
            )
            .with_label(if shown.starts_with('-') {
                "negative"
            } else {
                "not a whole number of the base unit"
            })
            .with_help(format!("write {what}")),
        );
    }
    ok
}

fn check_constraint(
    diags: &mut Vec<Diagnostic>,
    v: &Value,
    base: &Ty,
    c: &Constraint,
    span: Span,
) -> bool {
    match c {
        Constraint::Pattern(re) => {
            let Value::Str(s) = v else { return true };
            if re.is_match(s) {
                return true;
            }
            let d = match crate::vocab::describe_pattern(re.as_str()) {
                Some((what, how)) => {
                    Diagnostic::error("E0305", format!("{s:?} is not {what}"), span)
                        .with_label(format!("not {what}"))
                        .with_help(how)
                }
                None => Diagnostic::error(
                    "E0305",
                    format!("{s:?} does not match the pattern {:?}", re.as_str()),
                    span,
                )
                .with_label("does not match")
                .with_help(format!("write a value that matches {:?}", re.as_str())),
            };
            diags.push(d);
            false
        }
        Constraint::Range { lo, hi, text } => {
            let n = match (v, base.base()) {
                (Value::Int(i), Ty::Cpu) => Bound::Int(*i as i128 * 1000),
                (Value::Float(f), Ty::Cpu) => Bound::Int((f * 1000.0) as i128),
                (Value::Int(i), Ty::Float) => Bound::Float(*i as f64),
                (Value::Int(i), _) => Bound::Int(*i as i128),
                (Value::Float(f), _) => Bound::Float(*f),
                (Value::Quantity(q), _) => Bound::Int(q.amount as i128),
                _ => return true,
            };
            let below = lo.is_some_and(|l| less(n, l));
            let above = hi.is_some_and(|h| less(h, n));
            if !below && !above {
                return true;
            }
            let shown = v.interpolate().unwrap_or_default();
            let tname = match base.base() {
                Ty::Int => "int",
                Ty::Float => "float",
                Ty::Bytes => "bytes",
                Ty::Cpu => "cpu",
                _ => "duration",
            };
            // A plain number of bytes where a quantity was meant (`storage =
            // 20`, as in a chart's `size: 20` in gibibytes): the unit that
            // puts it in the range.
            let unit = match (v, base.base()) {
                (Value::Int(i), Ty::Bytes) if below && *i > 0 => [("Gi", 30), ("Mi", 20)]
                    .into_iter()
                    .find(|(_, shift)| {
                        let n = Bound::Int((*i as i128) << shift);
                        !lo.is_some_and(|l| less(n, l)) && !hi.is_some_and(|h| less(h, n))
                    })
                    .map(|(u, _)| format!("{i}{u}")),
                _ => None,
            };
            let help = match unit {
                Some(q) => format!(
                    "a number without a unit counts bytes: write `{q}`, or choose a value in {text}"
                ),
                None => format!("choose a value in {text}"),
            };
            diags.push(
                Diagnostic::error(
                    "E0304",
                    format!("{shown} is outside the allowed range {text}"),
                    span,
                )
                .with_label(if below { "too small" } else { "too large" })
                .with_note(format!("the type is `{tname}({text})`"))
                .with_help(help),
            );
            false
        }
    }
}

fn less(a: Bound, b: Bound) -> bool {
    match (a, b) {
        (Bound::Int(a), Bound::Int(b)) => a < b,
        (Bound::Float(a), Bound::Float(b)) => a < b,
        (Bound::Int(a), Bound::Float(b)) => (a as f64) < b,
        (Bound::Float(a), Bound::Int(b)) => a < b as f64,
    }
}
