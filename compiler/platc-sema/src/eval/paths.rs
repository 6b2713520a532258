//! Values key paths: computing their segments (computed keys, list
//! indices) and setting a value at a path, with the conflicts that only
//! evaluation can see (E0311) and indices out of range (E0319).

use std::collections::BTreeMap;
use std::sync::Arc;

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast::{self, KeyKind};

use super::{Env, Evaluator};
use crate::value::{Str, Value};

/// One evaluated segment of a key path.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Key<'k> {
    Name(Name<'k>),
    Index(i64),
}

/// The text of a name segment: written in the program (borrowed from it,
/// and shared with it when a map takes it as a key), or computed (shared
/// as it is).
#[derive(Clone, Debug)]
pub(super) enum Name<'k> {
    Written(&'k Str),
    Computed(Str),
}

impl Name<'_> {
    pub(super) fn as_str(&self) -> &str {
        match self {
            Name::Written(n) => n,
            Name::Computed(n) => n,
        }
    }

    /// The name as a map key.
    fn key(&self) -> Str {
        match self {
            Name::Written(n) => Str::clone(n),
            Name::Computed(n) => n.clone(),
        }
    }
}

impl PartialEq for Name<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// The paths of the values blocks being evaluated: those set so far, and
/// the keys of the statement at hand (one vector for all of them).
pub(super) struct Paths<'k> {
    pub(super) assigned: Vec<Assigned<'k>>,
    pub(super) keys: Vec<Key<'k>>,
}

impl Paths<'_> {
    /// Room for about as many paths as `blocks` have top-level statements.
    pub(super) fn for_blocks(blocks: &[&[ast::ValueStmt]]) -> Self {
        Paths {
            assigned: Vec::with_capacity(blocks.iter().map(|b| b.len()).sum()),
            keys: Vec::new(),
        }
    }
}

/// A path set earlier in the same values blocks.
pub(super) struct Assigned<'k> {
    /// The path as written.
    path: &'k [ast::KeySegment],
    /// Its keys when a segment is computed or an index; `None` when every
    /// segment is fixed text (its names are its keys, and conflicts with
    /// another fixed path were reported by the checker).
    computed: Option<Vec<Key<'k>>>,
    span: Span,
}

impl<'k> Assigned<'k> {
    fn fixed(&self) -> bool {
        self.computed.is_none()
    }

    /// Its keys (made again for a fixed path: only to report a clash).
    fn keys(&self) -> Vec<Key<'k>> {
        match &self.computed {
            Some(keys) => keys.clone(),
            None => self
                .path
                .iter()
                .filter_map(|seg| match &seg.kind {
                    KeyKind::Name(n) => Some(Key::Name(Name::Written(n))),
                    _ => None,
                })
                .collect(),
        }
    }
}

impl Evaluator<'_, '_> {
    /// The keys of `path`, into `out` (emptied first: one vector serves
    /// the statements of a block).
    pub(super) fn key_path<'k>(
        &mut self,
        path: &'k [ast::KeySegment],
        env: &Env,
        out: &mut Vec<Key<'k>>,
    ) -> Option<()> {
        out.clear();
        for seg in path {
            out.push(match &seg.kind {
                KeyKind::Name(n) => Key::Name(Name::Written(n)),
                KeyKind::Computed(lit) => match self.eval_str(lit, lit.span, env)? {
                    Value::Str(s) => Key::Name(Name::Computed(s)),
                    _ => return None,
                },
                KeyKind::Index(e) => match self.eval(e, env)? {
                    Value::Int(i) => Key::Index(i),
                    _ => return None,
                },
            });
        }
        Some(())
    }

    /// Sets `v` at `keys` in `out`: maps and lists on the way are created;
    /// an index may name an element or the end of the list (appending).
    pub(super) fn set_path<'k>(
        &mut self,
        out: &mut BTreeMap<Str, Value>,
        assigned: &mut Vec<Assigned<'k>>,
        path: &'k [ast::KeySegment],
        keys: &[Key<'k>],
        v: Value,
    ) -> Option<()> {
        let fixed = path.iter().all(|s| matches!(s.kind, KeyKind::Name(_)));
        let span = path.first()?.span.to(path.last()?.span);
        let result = place_in_map(out, keys, v);
        if result.is_err() {
            if let super::skeleton::ValuesMode::OnSkeleton { clashed } = &mut self.values_mode {
                // Placed onto a skeleton: the statements are evaluated
                // again in their written order, which reports this.
                *clashed = true;
                return None;
            }
        }
        match result {
            Ok(()) => {
                assigned.push(Assigned {
                    path,
                    computed: (!fixed).then(|| keys.to_vec()),
                    span,
                });
                Some(())
            }
            // Two fixed paths: the checker has reported them.
            Err(Clash::Taken) if fixed && assigned.iter().all(Assigned::fixed) => Some(()),
            Err(Clash::Taken) => {
                let shown = show(keys);
                let mut d = Diagnostic::error(
                    "E0311",
                    format!("values key `{shown}` is set more than once"),
                    span,
                )
                .with_label("set here")
                .with_help("a key holds either one value or nested keys; set each key once");
                if let Some((first, first_keys)) =
                    assigned.iter().map(|a| (a, a.keys())).find(|(_, a_keys)| {
                        let n = a_keys.len().min(keys.len());
                        a_keys[..n] == keys[..n]
                    })
                {
                    d = d
                        .with_secondary(first.span, format!("`{}` is set here", show(&first_keys)));
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

pub(super) enum Clash {
    /// Something is already set there.
    Taken,
    /// Index, list length, segment position.
    Index(i64, usize, usize),
}

/// [`place`] in the top-level map of a values tree.
pub(super) fn place_in_map(
    root: &mut BTreeMap<Str, Value>,
    keys: &[Key],
    v: Value,
) -> Result<(), Clash> {
    let Some((Key::Name(name), rest)) = keys.split_first() else {
        // The top of a values tree is a map: an index there names nothing.
        return Err(Clash::Taken);
    };
    let Some(next) = rest.first() else {
        if root.contains_key(name.as_str()) {
            return Err(Clash::Taken);
        }
        root.insert(name.key(), v);
        return Ok(());
    };
    // The key is made only when it is new.
    let entry = match root.get_mut(name.as_str()) {
        Some(entry) => entry,
        None => root.entry(name.key()).or_insert_with(|| fresh(next)),
    };
    match entry {
        Value::Map(_) | Value::List(_) => place(entry, keys, 1, v),
        _ => Err(Clash::Taken),
    }
}

/// An empty map, or an empty list where the next segment is an index.
fn fresh(next: &Key) -> Value {
    match next {
        Key::Index(_) => Value::list(Vec::new()),
        Key::Name(_) => Value::empty_map(),
    }
}

/// Sets `v` at `keys[from..]` inside `cur`, the value at `keys[..from]`.
fn place(cur: &mut Value, keys: &[Key], from: usize, v: Value) -> Result<(), Clash> {
    let mut cur = cur;
    for (n, k) in keys.iter().enumerate().skip(from) {
        let last = n + 1 == keys.len();
        let fresh = || keys.get(n + 1).map_or_else(Value::empty_map, fresh);
        cur = match (cur, k) {
            (Value::Map(m), Key::Name(name)) => {
                let m = Arc::make_mut(m).entries_mut();
                if last {
                    // `v` goes in only where nothing is set; taken out of
                    // the closure when it is not called.
                    let mut v = Some(v);
                    let (_, inserted) = m.get_or_insert_with(
                        name.as_str(),
                        || name.key(),
                        || v.take().expect("called once"),
                    );
                    return if inserted { Ok(()) } else { Err(Clash::Taken) };
                }
                // The key is made only when it is new.
                let (entry, _) = m.get_or_insert_with(name.as_str(), || name.key(), fresh);
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
                out.push_str(n.as_str());
            }
            Key::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names compare by their text, written or computed.
    #[test]
    fn names_compare_by_text() {
        let a = Str::from("a");
        assert_eq!(Name::Written(&a), Name::Computed("a".into()));
        assert_ne!(Name::Written(&a), Name::Computed("b".into()));
    }
}
