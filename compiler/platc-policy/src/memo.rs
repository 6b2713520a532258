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
use std::sync::Arc;

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
    /// For each field read that is a list whose items the condition reads
    /// only through some of their fields (`r.requests`, `r.limits` of
    /// `i.resources`, not `r.path`): those fields, sorted. Lists whose
    /// items agree on them give the same outcome (see
    /// [`platc_sema::rule::RuleExpr::item_fields_read`]), so they are one
    /// key: the paths in an instance's `resources` name its objects, and no
    /// two instances' lists are otherwise identical.
    items: Vec<Option<Vec<String>>>,
    /// By the hash of the fields read: their values and the outcome.
    results: HashMap<u64, Vec<Settled>, FixedState>,
    /// Where the fields read sit in the elements.
    layout: Layout,
    looked_up: usize,
    reused: usize,
    /// The condition's leading operands that read one field only, when it
    /// reads more than one: settled once per value of that field.
    guard: Option<Guard>,
    /// When the condition reads one field and it is a list or a map: the
    /// outcome for each such value by its address. The elements of a chunk
    /// share one value for identical facts (an instance's images or
    /// `resources`), so most are settled by their address, without hashing
    /// and comparing their contents. Every element, and so every address,
    /// lives as long as the chunk, which outlives the condition: no address
    /// is reused for another value while it is remembered.
    by_address: HashMap<usize, Outcome, FixedState>,
    /// How many elements were settled by address (for tests).
    #[cfg(test)]
    settled_by_address: usize,
}

/// The leading operands of a condition's chain of `&&` that read of the
/// element one field only (`e.kind == "reference"` in `e.kind ==
/// "reference" && e.from_namespace != e.to_namespace`), evaluated once per
/// distinct value of that field. An element for which one is false (the
/// ones before it true) fails the condition whatever its other fields:
/// `&&` evaluates no operand after it. Thousands of elements share a
/// handful of such values, so the memo of the whole condition then sees
/// only the elements the guard lets through, and its keys are fewer.
struct Guard {
    /// The field read.
    field: [String; 1],
    operands: Vec<platc_sema::rule::RuleExpr>,
    /// Each value of the field seen (`None`: the element lacks it), and
    /// whether an operand is false for it.
    settled: Vec<(Option<Value>, bool)>,
    layout: Layout,
}

/// A guard that settled this many values stops: the field is not one that
/// elements share.
const GUARD_VALUES: usize = 16;

impl Guard {
    /// The guard of `rule`'s condition, which reads `fields`: on the first
    /// field (in name order) that its leading operands read alone.
    fn of(rule: &Rule, fields: &[String]) -> Option<Guard> {
        let filter = rule.filter.as_ref()?;
        if fields.len() < 2 {
            return None;
        }
        fields.iter().find_map(|f| {
            let operands = filter.leading_operands_reading(&rule.var, &[f.as_str()]);
            (!operands.is_empty()).then(|| Guard {
                field: [f.clone()],
                operands,
                settled: Vec::new(),
                layout: Layout::default(),
            })
        })
    }

    /// Whether the guard rules `el` out (the condition is false for it);
    /// `None` when it cannot tell (it gave up).
    fn rules_out(&mut self, rule: &Rule, el: &Element<'_>, platform: &Value) -> Option<bool> {
        self.layout.locate(&self.field, &el.fields);
        let v = self.layout.read(&el.fields).next().flatten();
        let found = self.settled.iter().find(|(k, _)| match (k, v) {
            (Some(a), Some(b)) => identical(a, b),
            (None, None) => true,
            _ => false,
        });
        if let Some((_, out)) = found {
            return Some(*out);
        }
        if self.settled.len() == GUARD_VALUES {
            return None;
        }
        // A record of the field alone: the operands read nothing else.
        let record = Value::map_of(
            v.map(|v| (self.field[0].as_str().into(), v.clone()))
                .into_iter()
                .collect(),
        );
        // Stops at the first operand not true, as `&&` does; one that
        // fails to evaluate, or is not a boolean, leaves the element to
        // the whole condition (which reports it).
        let first_not_true = self
            .operands
            .iter()
            .map(|op| op.eval(&rule.var, &record, platform))
            .find(|v| !matches!(v, Ok(Value::Bool(true))));
        let out = matches!(first_not_true, Some(Ok(Value::Bool(false))));
        self.settled.push((v.cloned(), out));
        Some(out)
    }
}

impl<'r> Condition<'r> {
    /// The condition of `rule`, memoized when `memoize` and it reads only
    /// fields of its variable.
    pub(crate) fn new(rule: &'r Rule, memoize: bool) -> Self {
        let fields: Option<Vec<String>> = rule
            .filter
            .as_ref()
            .filter(|_| memoize)
            .and_then(|f| f.reads(&rule.var))
            .map(|set| set.into_iter().collect());
        let guard = fields.as_deref().and_then(|f| Guard::of(rule, f));
        let items = match (&rule.filter, &fields) {
            (Some(filter), Some(fields)) => fields
                .iter()
                .map(|f| {
                    filter
                        .item_fields_read(&rule.var, f)
                        .map(|set| set.into_iter().collect())
                })
                .collect(),
            _ => Vec::new(),
        };
        Condition {
            rule,
            fields,
            items,
            results: HashMap::default(),
            layout: Layout::default(),
            looked_up: 0,
            reused: 0,
            guard,
            by_address: HashMap::default(),
            #[cfg(test)]
            settled_by_address: 0,
        }
    }

    /// Whether the condition has a [`Guard`].
    #[cfg(test)]
    pub(crate) fn guarded(&self) -> bool {
        self.guard.is_some()
    }

    /// Whether the condition holds for `el` (always, without a condition),
    /// as [`crate::holds`] evaluates it.
    pub(crate) fn holds(&mut self, el: &Element<'_>, platform: &Value) -> Outcome {
        if let Some(guard) = &mut self.guard {
            match guard.rules_out(self.rule, el, platform) {
                Some(true) => return Ok(false),
                Some(false) => {}
                None => self.guard = None,
            }
        }
        let Some(fields) = &self.fields else {
            return crate::holds(self.rule, el, platform);
        };
        if self.looked_up == TRIAL && self.reused * 4 < TRIAL {
            self.fields = None;
            self.results = HashMap::default();
            self.by_address = HashMap::default();
            return crate::holds(self.rule, el, platform);
        }
        self.looked_up += 1;
        self.layout.locate(fields, &el.fields);
        let read = || self.layout.read(&el.fields);
        let items = &self.items;
        let by_items = |k: usize| items.get(k).and_then(|i| i.as_deref());
        let address = match read().next() {
            _ if by_items(0).is_some() => None,
            Some(Some(Value::List(l))) if fields.len() == 1 => Some(Arc::as_ptr(l) as usize),
            Some(Some(Value::Map(m))) if fields.len() == 1 => Some(Arc::as_ptr(m) as usize),
            _ => None,
        };
        if let Some(outcome) = address.and_then(|a| self.by_address.get(&a)) {
            self.reused += 1;
            #[cfg(test)]
            {
                self.settled_by_address += 1;
            }
            return outcome.clone();
        }
        let mut h = FixedState::default().build_hasher();
        for (k, v) in read().enumerate() {
            match v {
                Some(v) => hash_read(v, by_items(k), &mut h),
                None => h.write_u8(0xff),
            }
        }
        let slot = self.results.entry(h.finish()).or_default();
        let found = slot.iter().find(|(key, _)| {
            key.len() == fields.len()
                && key
                    .iter()
                    .zip(read())
                    .enumerate()
                    .all(|(k, (a, b))| match (a, b) {
                        (Some(a), Some(b)) => identical_read(a, b, by_items(k)),
                        (None, None) => true,
                        _ => false,
                    })
        });
        let outcome = match found {
            Some((_, outcome)) => {
                self.reused += 1;
                outcome.clone()
            }
            None => {
                let outcome = crate::holds(self.rule, el, platform);
                slot.push((read().map(|v| v.cloned()).collect(), outcome.clone()));
                outcome
            }
        };
        if let Some(a) = address {
            self.by_address.insert(a, outcome.clone());
        }
        outcome
    }

    /// How many elements the condition settled by a result it had.
    #[cfg(test)]
    pub(crate) fn reused(&self) -> usize {
        self.reused
    }

    /// How many elements the condition settled by address.
    #[cfg(test)]
    pub(crate) fn settled_by_address(&self) -> usize {
        self.settled_by_address
    }
}

/// Where the fields a condition reads sit among an element's fields:
/// found by name for the first element, then reused for every element
/// whose field names are the same literals in the same order (compared by
/// address and length, not by text), as all the elements one collection
/// builds are. An element laid out otherwise is looked up again.
#[derive(Default)]
struct Layout {
    /// The field names of the element last located.
    names: Vec<&'static str>,
    /// The index among them of each field read (`None`: not there).
    at: Vec<Option<usize>>,
}

impl Layout {
    /// Finds the fields `wanted` among `fields`, unless they are laid out
    /// as the last ones.
    fn locate(&mut self, wanted: &[String], fields: &[(&'static str, Value)]) {
        let same = self.names.len() == fields.len()
            && self.at.len() == wanted.len()
            && self
                .names
                .iter()
                .zip(fields)
                .all(|(a, (b, _))| std::ptr::eq(*a, *b));
        if same {
            return;
        }
        self.names = fields.iter().map(|(k, _)| *k).collect();
        self.at = wanted
            .iter()
            .map(|w| fields.iter().position(|(k, _)| *k == w.as_str()))
            .collect();
    }

    /// The values of the fields read, located by [`Self::locate`].
    fn read<'e>(
        &self,
        fields: &'e [(&'static str, Value)],
    ) -> impl Iterator<Item = Option<&'e Value>> + Clone + use<'_, 'e> {
        self.at.iter().map(|i| i.map(|i| &fields[i].1))
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

/// Whether `a` and `b` are identical in what a condition reads of them:
/// when `items` is given and both are lists, their items only in those
/// fields (an item that is not a map whole); otherwise whole.
fn identical_read(a: &Value, b: &Value, items: Option<&[String]>) -> bool {
    match (a, b, items) {
        (Value::List(x), Value::List(y), Some(fields)) => {
            x.len() == y.len()
                && x.iter().zip(y.iter()).all(|(a, b)| match (a, b) {
                    (Value::Map(a), Value::Map(b)) => {
                        // In key order, both.
                        let mut a = a.iter().filter(|(k, _)| is_read(k, fields));
                        let mut b = b.iter().filter(|(k, _)| is_read(k, fields));
                        loop {
                            match (a.next(), b.next()) {
                                (None, None) => break true,
                                (Some((ka, va)), Some((kb, vb)))
                                    if ka == kb && identical(va, vb) => {}
                                _ => break false,
                            }
                        }
                    }
                    (a, b) => identical(a, b),
                })
        }
        _ => identical(a, b),
    }
}

/// Whether `key` is one of the item fields read.
fn is_read(key: &str, fields: &[String]) -> bool {
    fields.iter().any(|f| f == key)
}

/// A hash of a value that agrees with [`identical_read`].
fn hash_read<H: Hasher>(v: &Value, items: Option<&[String]>, h: &mut H) {
    match (v, items) {
        (Value::List(l), Some(fields)) => {
            std::mem::discriminant(v).hash(h);
            l.len().hash(h);
            for x in l.iter() {
                match x {
                    Value::Map(m) => {
                        h.write_u8(0xfe);
                        for (k, x) in m.iter().filter(|(k, _)| is_read(k, fields)) {
                            k.hash(h);
                            hash_value(x, h);
                        }
                    }
                    x => hash_value(x, h),
                }
            }
        }
        _ => hash_value(v, h),
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

    /// Located fields are the fields of that name, for elements laid out
    /// alike, in another order, with other fields, or with names of the
    /// same text at other addresses.
    #[test]
    fn located_fields_are_the_named_ones() {
        let wanted = ["b".to_string(), "c".to_string(), "a".to_string()];
        let by_name = |fields: &[(&'static str, Value)]| -> Vec<Option<Value>> {
            wanted
                .iter()
                .map(|w| fields.iter().find(|(k, _)| *k == w).map(|(_, v)| v.clone()))
                .collect()
        };
        let leaked = |t: &str| -> &'static str { Box::leak(t.to_string().into_boxed_str()) };
        let layouts: Vec<Vec<(&'static str, Value)>> = vec![
            vec![("a", s("1")), ("b", s("2"))],
            vec![("a", s("3")), ("b", s("4"))],
            vec![("b", s("5")), ("a", s("6"))],
            vec![("b", s("7")), ("c", s("8")), ("a", s("9"))],
            vec![
                (leaked("b"), s("10")),
                (leaked("c"), s("11")),
                ("a", s("12")),
            ],
            vec![
                (leaked("x"), s("13")),
                (leaked("c"), s("14")),
                ("a", s("15")),
            ],
            vec![],
            vec![("a", s("16")), ("b", s("17"))],
        ];
        let mut layout = Layout::default();
        for fields in &layouts {
            layout.locate(&wanted, fields);
            let got: Vec<Option<Value>> = layout.read(fields).map(|v| v.cloned()).collect();
            assert_eq!(got, by_name(fields), "{fields:?}");
        }
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
