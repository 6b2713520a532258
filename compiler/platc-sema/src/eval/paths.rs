//! Values key paths: computing their segments (computed keys, list
//! indices) and setting a value at a path, with the conflicts that only
//! evaluation can see (E0311) and indices out of range (E0319).

use std::collections::BTreeMap;
use std::sync::Arc;

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast::{self, ExprKind, KeyKind};

use super::{Env, Evaluator};
use crate::value::Value;

/// One evaluated segment of a key path.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Key {
    Name(String),
    Index(i64),
}

/// A path set earlier in the same values blocks.
pub(super) struct Assigned {
    keys: Vec<Key>,
    /// Every segment was fixed text: conflicts with another fixed path
    /// were reported by the checker.
    fixed: bool,
    span: Span,
}

impl Evaluator<'_, '_> {
    pub(super) fn key_path(&mut self, path: &[ast::KeySegment], env: &Env) -> Option<Vec<Key>> {
        let mut out = Vec::with_capacity(path.len());
        for seg in path {
            out.push(match &seg.kind {
                KeyKind::Name(n) => Key::Name(n.clone()),
                KeyKind::Computed(lit) => {
                    let e = ast::Expr {
                        kind: ExprKind::Str(lit.clone()),
                        span: lit.span,
                    };
                    match self.eval(&e, env)? {
                        Value::Str(s) => Key::Name(s.to_string()),
                        _ => return None,
                    }
                }
                KeyKind::Index(e) => match self.eval(e, env)? {
                    Value::Int(i) => Key::Index(i),
                    _ => return None,
                },
            });
        }
        Some(out)
    }

    /// Sets `v` at `keys` in `out`: maps and lists on the way are created;
    /// an index may name an element or the end of the list (appending).
    pub(super) fn set_path(
        &mut self,
        out: &mut BTreeMap<String, Value>,
        assigned: &mut Vec<Assigned>,
        path: &[ast::KeySegment],
        keys: Vec<Key>,
        v: Value,
    ) -> Option<()> {
        let fixed = path.iter().all(|s| matches!(s.kind, KeyKind::Name(_)));
        let span = path.first()?.span.to(path.last()?.span);
        let mut root = Value::map(std::mem::take(out));
        let result = place(&mut root, &keys, v);
        let Value::Map(m) = root else { unreachable!() };
        *out = Arc::unwrap_or_clone(m).into_entries();
        match result {
            Ok(()) => {
                assigned.push(Assigned { keys, fixed, span });
                Some(())
            }
            // Two fixed paths: the checker has reported them.
            Err(Clash::Taken) if fixed && assigned.iter().all(|a| a.fixed) => Some(()),
            Err(Clash::Taken) => {
                let shown = show(&keys);
                let mut d = Diagnostic::error(
                    "E0311",
                    format!("values key `{shown}` is set more than once"),
                    span,
                )
                .with_label("set here")
                .with_help("a key holds either one value or nested keys; set each key once");
                if let Some(first) = assigned.iter().find(|a| {
                    let n = a.keys.len().min(keys.len());
                    a.keys[..n] == keys[..n]
                }) {
                    d = d
                        .with_secondary(first.span, format!("`{}` is set here", show(&first.keys)));
                }
                self.diagnostics.push(d);
                None
            }
            Err(Clash::Index(i, len, at)) => {
                let seg_span = path.get(at).map(|s| s.span).unwrap_or(span);
                self.diagnostics.push(
                    Diagnostic::error(
                        "E0319",
                        format!("index {i} is out of range for a list of {len} items"),
                        seg_span,
                    )
                    .with_label("out of range")
                    .with_help(format!(
                        "an index names an element (0..{}) or the end of the list ({len}), which appends",
                        len.saturating_sub(1)
                    )),
                );
                None
            }
        }
    }
}

enum Clash {
    /// Something is already set there.
    Taken,
    /// Index, list length, segment position.
    Index(i64, usize, usize),
}

fn place(cur: &mut Value, keys: &[Key], v: Value) -> Result<(), Clash> {
    let mut cur = cur;
    for (n, k) in keys.iter().enumerate() {
        let last = n + 1 == keys.len();
        let fresh = || match keys.get(n + 1) {
            Some(Key::Index(_)) => Value::list(Vec::new()),
            _ => Value::map(BTreeMap::new()),
        };
        cur = match (cur, k) {
            (Value::Map(m), Key::Name(name)) => {
                let m = Arc::make_mut(m).entries_mut();
                if last {
                    if m.contains_key(name) {
                        return Err(Clash::Taken);
                    }
                    m.insert(name.clone(), v);
                    return Ok(());
                }
                // The key is copied only when it is new.
                if !m.contains_key(name) {
                    m.insert(name.clone(), fresh());
                }
                let Some(entry) = m.get_mut(name) else {
                    return Err(Clash::Taken);
                };
                if !matches!(entry, Value::Map(_) | Value::List(_)) {
                    return Err(Clash::Taken);
                }
                entry
            }
            (Value::List(l), Key::Index(i)) => {
                let l = Arc::make_mut(l).items_mut();
                let len = l.len();
                let idx = match usize::try_from(*i) {
                    Ok(idx) if idx <= len => idx,
                    _ => return Err(Clash::Index(*i, len, n)),
                };
                if last {
                    if idx < len {
                        return Err(Clash::Taken);
                    }
                    l.push(v);
                    return Ok(());
                }
                if idx == len {
                    l.push(fresh());
                }
                let entry = &mut l[idx];
                if !matches!(entry, Value::Map(_) | Value::List(_)) {
                    return Err(Clash::Taken);
                }
                entry
            }
            // A map where a list is indexed, or the other way round.
            _ => return Err(Clash::Taken),
        };
    }
    Err(Clash::Taken)
}

fn show(keys: &[Key]) -> String {
    let mut out = String::new();
    for k in keys {
        match k {
            Key::Name(n) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(n);
            }
            Key::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}
