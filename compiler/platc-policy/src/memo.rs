//! A rule's condition evaluated once per distinct value of what it reads.
//!
//! A condition that uses its variable only through fields (`e.auth`,
//! `i.images`) gives the same result, or the same error, for every element
//! whose fields it reads are identical: nothing else of the element reaches
//! the evaluator, and the platform is the same for the whole collection.
//! Thousands of elements share a handful of such values (`e.kind`,
//! `e.from_namespace` and `e.to_namespace`; an instance's images), so the
//! condition is evaluated for the first element of each and the result
//! reused for the others.
//!
//! "Identical" is stricter than `==`: floats compare by their bits (`0.0`
//! and `-0.0` print differently), quantities by their text too, so that a
//! reused result is the one the evaluator would give.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use foldhash::fast::FixedState;

use platc_diag::Diagnostic;
use platc_sema::{Rule, Value};

use crate::Element;

/// The result of a condition for one element.
pub(crate) type Outcome = Result<bool, Box<Diagnostic>>;

/// After this many elements, a memo that reused fewer than a quarter of its
/// results stops: each element then holds its own values, and building
/// keys would only add to evaluating.
const TRIAL: usize = 64;

/// The values of the fields a condition read (`None` for a field the
/// record lacks), and its outcome for them.
type Settled = (Vec<Option<Value>>, Outcome);

/// One rule's condition over the elements of one chunk, memoized by the
/// fields it reads (see the module documentation).
pub(crate) struct Condition<'r> {
    rule: &'r Rule,
    /// The fields the condition reads, sorted; `None`: no memo (no
    /// condition, or one that uses its variable whole).
    fields: Option<Vec<String>>,
    /// By the hash of the fields read: their values and the outcome.
    results: HashMap<u64, Vec<Settled>, FixedState>,
    looked_up: usize,
    reused: usize,
}

impl<'r> Condition<'r> {
    /// The condition of `rule`, memoized when `memoize` and it reads only
    /// fields of its variable.
    pub(crate) fn new(rule: &'r Rule, memoize: bool) -> Self {
        let fields = rule
            .filter
            .as_ref()
            .filter(|_| memoize)
            .and_then(|f| f.reads(&rule.var))
            .map(|set| set.into_iter().collect());
        Condition {
            rule,
            fields,
            results: HashMap::default(),
            looked_up: 0,
            reused: 0,
        }
    }

    /// Whether the condition holds for `el` (always, without a condition),
    /// as [`crate::holds`] evaluates it.
    pub(crate) fn holds(&mut self, el: &Element<'_>, platform: &Value) -> Outcome {
        let Some(fields) = &self.fields else {
            return crate::holds(self.rule, el, platform);
        };
        if self.looked_up == TRIAL && self.reused * 4 < TRIAL {
            self.fields = None;
            self.results = HashMap::default();
            return crate::holds(self.rule, el, platform);
        }
        self.looked_up += 1;
        let read = || fields.iter().map(|f| el.field(f));
        let mut h = FixedState::default().build_hasher();
        for v in read() {
            match v {
                Some(v) => hash_value(v, &mut h),
                None => h.write_u8(0xff),
            }
        }
        let same = read();
        let slot = self.results.entry(h.finish()).or_default();
        let found = slot.iter().find(|(key, _)| {
            key.len() == fields.len()
                && key.iter().zip(same.clone()).all(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => identical(a, b),
                    (None, None) => true,
                    _ => false,
                })
        });
        if let Some((_, outcome)) = found {
            self.reused += 1;
            return outcome.clone();
        }
        let outcome = crate::holds(self.rule, el, platform);
        slot.push((read().map(|v| v.cloned()).collect(), outcome.clone()));
        outcome
    }
}

/// Whether two values are the same in every respect the evaluator sees:
/// `==`, but floats by their bits and quantities with their text.
pub(crate) fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Quantity(x), Value::Quantity(y)) => x == y,
        (Value::List(x), Value::List(y)) if std::sync::Arc::ptr_eq(x, y) => true,
        (Value::Map(x), Value::Map(y)) if std::sync::Arc::ptr_eq(x, y) => true,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| identical(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && identical(va, vb))
        }
        (Value::Instance(x), Value::Instance(y)) => x == y,
        (Value::Secret(x), Value::Secret(y)) => x == y,
        _ => false,
    }
}

/// A hash of a value that agrees with [`identical`].
fn hash_value<H: Hasher>(v: &Value, h: &mut H) {
    std::mem::discriminant(v).hash(h);
    match v {
        Value::None => {}
        Value::Bool(b) => b.hash(h),
        Value::Int(i) => i.hash(h),
        Value::Float(f) => f.to_bits().hash(h),
        Value::Str(s) => s.hash(h),
        Value::Quantity(q) => q.hash(h),
        Value::List(l) => {
            l.len().hash(h);
            l.iter().for_each(|x| hash_value(x, h));
        }
        Value::Map(m) => {
            m.len().hash(h);
            for (k, x) in m.iter() {
                k.hash(h);
                hash_value(x, h);
            }
        }
        Value::Instance(i) => i.hash(h),
        Value::Secret(s) => s.hash(h),
    }
}

/// The hash of a value, for tests.
#[cfg(test)]
fn hash_of(v: &Value) -> u64 {
    let mut h = FixedState::default().build_hasher();
    hash_value(v, &mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    /// Values that are `==` but print differently are not identical; equal
    /// ones hash alike.
    #[test]
    fn identity_is_stricter_than_equality() {
        assert_eq!(Value::Float(0.0), Value::Float(-0.0));
        assert!(!identical(&Value::Float(0.0), &Value::Float(-0.0)));
        assert!(identical(&Value::Float(f64::NAN), &Value::Float(f64::NAN)));
        let list = |xs: &[&str]| Value::list(xs.iter().map(|x| s(x)).collect());
        let map = |kv: &[(&str, Value)]| {
            Value::map_of(kv.iter().map(|(k, v)| ((*k).into(), v.clone())).collect())
        };
        let a = map(&[("images", list(&["a:1", "ünï:2"])), ("n", Value::Int(1))]);
        let b = map(&[("n", Value::Int(1)), ("images", list(&["a:1", "ünï:2"]))]);
        assert!(identical(&a, &b));
        assert_eq!(hash_of(&a), hash_of(&b));
        for other in [
            map(&[("images", list(&["a:1"])), ("n", Value::Int(1))]),
            map(&[("images", list(&["a:1", "ünï:2"])), ("n", Value::Int(2))]),
            map(&[("images", list(&["a:1", "ünï:2"])), ("m", Value::Int(1))]),
            map(&[]),
            list(&[]),
            Value::None,
        ] {
            assert!(!identical(&a, &other), "{other:?}");
        }
        assert!(!identical(&list(&[]), &map(&[])));
        assert!(!identical(&s(""), &Value::None));
    }
}
