//! Values: what expressions evaluate to. Secrets stay references: platc
//! never knows, and so can never print, a secret's value.

use std::collections::BTreeMap;
use std::sync::Arc;

use platc_syntax::ast::QuantityKind;

/// Index of an instance in [`crate::Platform::instances`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstId(pub u32);
/// A secret: its index in [`crate::Platform::secrets`], and the key chosen
/// with `secret["key"]` (an index into [`crate::Secret::keys`]), if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretId {
    pub secret: u32,
    pub key: Option<u32>,
}

impl SecretId {
    /// The whole secret, no key chosen.
    pub fn whole(secret: u32) -> SecretId {
        SecretId { secret, key: None }
    }
}

/// The text of a string value, and a map's key: shared, behind one
/// pointer (its length is beside the text, not in the pointer as in an
/// `Arc<str>`), so that a value is two words and a map entry three.
pub type Str = arcstr::ArcStr;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text, shared: reading a string again (a param in every element of a
    /// comprehension, a field of a record) copies a pointer, not the text.
    Str(Str),
    /// A quantity in its base unit, with the literal text when it came from
    /// one literal (used to print it as the user wrote it). Behind a
    /// pointer: quantities are rare, and unboxed they would make every
    /// value a third larger.
    Quantity(Arc<Quantity>),
    /// Lists and maps are shared, not copied, when a value is read again
    /// (a param used in every element of a comprehension): evaluation stays
    /// linear in what it builds.
    List(Arc<List>),
    /// Records and maps; keys sorted.
    Map(Arc<Map>),
    Instance(InstId),
    Secret(SecretId),
}

/// A quantity value (see [`Value::Quantity`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Quantity {
    pub kind: QuantityKind,
    /// In the base unit: bytes, or thousandths of a CPU.
    pub amount: u64,
    /// The literal as written, when the value came from one literal.
    pub text: Option<Str>,
}

impl Quantity {
    /// The quantity as text: the literal as written, or its amount in the
    /// largest unit that divides it.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match &self.text {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => std::borrow::Cow::Owned(format_quantity(self.kind, self.amount)),
        }
    }
}

/// The elements of a list value, and its weight (see [`Value::weight`]).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct List {
    items: Vec<Value>,
    weight: u64,
}

/// The entries of a map or record value, and its weight.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Map {
    entries: Entries,
    weight: u64,
}

/// The entries of a map, in key order. Most maps of a platform's values
/// hold a handful of keys, for which a B-tree's node of eleven would be
/// mostly empty: up to [`SMALL`] entries are kept in one sorted vector of
/// exactly their number; a map that grows past it becomes a B-tree, so
/// that building a large map key by key stays fast.
#[derive(Clone, Debug, PartialEq)]
pub enum Entries {
    Small(Vec<(Str, Value)>),
    Large(BTreeMap<Str, Value>),
}

/// The most entries a map keeps in a vector.
const SMALL: usize = 32;

impl Default for Entries {
    fn default() -> Self {
        Entries::Small(Vec::new())
    }
}

/// The entries of a map, in key order.
pub enum Iter<'m> {
    Small(std::slice::Iter<'m, (Str, Value)>),
    Large(std::collections::btree_map::Iter<'m, Str, Value>),
}

impl<'m> Iterator for Iter<'m> {
    type Item = (&'m Str, &'m Value);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Small(i) => i.next().map(|(k, v)| (k, v)),
            Iter::Large(i) => i.next(),
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Small(i) => i.size_hint(),
            Iter::Large(i) => i.size_hint(),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Small(i) => i.next_back().map(|(k, v)| (k, v)),
            Iter::Large(i) => i.next_back(),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// `a.cmp(b)` for the keys of a map: their first bytes decide most
/// comparisons (of a search among a map's keys) without a call to compare
/// the rest.
#[inline]
fn key_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.as_bytes().first(), b.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

impl Entries {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Entries::Small(v) => v
                .binary_search_by(|(k, _)| key_cmp(k, key))
                .ok()
                .map(|i| &v[i].1),
            Entries::Large(m) => m.get(key),
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self {
            Entries::Small(v) => v
                .binary_search_by(|(k, _)| key_cmp(k, key))
                .ok()
                .map(move |i| &mut v[i].1),
            Entries::Large(m) => m.get_mut(key),
        }
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`; the value it had, if any.
    pub fn insert(&mut self, key: Str, value: Value) -> Option<Value> {
        match self {
            Entries::Small(v) => match v.binary_search_by(|(k, _)| key_cmp(k, &key)) {
                Ok(i) => Some(std::mem::replace(&mut v[i].1, value)),
                Err(i) if v.len() < SMALL => {
                    v.insert(i, (key, value));
                    None
                }
                Err(_) => {
                    let mut m: BTreeMap<Str, Value> = std::mem::take(v).into_iter().collect();
                    m.insert(key, value);
                    *self = Entries::Large(m);
                    None
                }
            },
            Entries::Large(m) => m.insert(key, value),
        }
    }

    /// The value at `key`, set to `make()` first when there is none (with
    /// `new_key()` as the key: made only then), and whether it was: one
    /// search where `contains_key`, `insert` and `get_mut` take three.
    pub fn get_or_insert_with(
        &mut self,
        key_text: &str,
        new_key: impl FnOnce() -> Str,
        make: impl FnOnce() -> Value,
    ) -> (&mut Value, bool) {
        // A full vector that is to grow becomes a B-tree first.
        if let Entries::Small(v) = self {
            if v.len() >= SMALL && v.binary_search_by(|(k, _)| key_cmp(k, key_text)).is_err() {
                *self = Entries::Large(std::mem::take(v).into_iter().collect());
            }
        }
        match self {
            Entries::Small(v) => match v.binary_search_by(|(k, _)| key_cmp(k, key_text)) {
                Ok(i) => (&mut v[i].1, false),
                Err(i) => {
                    v.insert(i, (new_key(), make()));
                    (&mut v[i].1, true)
                }
            },
            Entries::Large(m) => {
                let inserted = !m.contains_key(key_text);
                if inserted {
                    m.insert(new_key(), make());
                }
                (m.get_mut(key_text).expect("present"), inserted)
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Entries::Small(v) => v.len(),
            Entries::Large(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Entries::Small(v) => Iter::Small(v.iter()),
            Entries::Large(m) => Iter::Large(m.iter()),
        }
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Str> + ExactSizeIterator {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.iter().map(|(_, v)| v)
    }
}

impl<'m> IntoIterator for &'m Entries {
    type Item = (&'m Str, &'m Value);
    type IntoIter = Iter<'m>;
    fn into_iter(self) -> Iter<'m> {
        self.iter()
    }
}

impl std::ops::Deref for List {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.items
    }
}

impl std::ops::Deref for Map {
    type Target = Entries;
    fn deref(&self) -> &Entries {
        &self.entries
    }
}

impl List {
    pub fn new(items: Vec<Value>) -> Self {
        let weight = items.iter().fold(1u64, |w, v| w.saturating_add(v.weight()));
        List { items, weight }
    }

    pub fn weight(&self) -> u64 {
        self.weight
    }

    /// For building a tree in place (values key paths); the weight is then
    /// that of the list when it was made.
    pub fn items_mut(&mut self) -> &mut Vec<Value> {
        &mut self.items
    }
}

impl Map {
    pub fn new(entries: BTreeMap<Str, Value>) -> Self {
        let weight = entries
            .values()
            .fold(1u64, |w, v| w.saturating_add(v.weight()));
        let entries = if entries.len() <= SMALL {
            // A B-tree iterates in key order: the vector comes sorted.
            Entries::Small(entries.into_iter().collect())
        } else {
            Entries::Large(entries)
        };
        Map { entries, weight }
    }

    /// A map of entries already in key order, with distinct keys (a
    /// record literal whose order is known, see `eval::records`).
    pub fn from_sorted_entries(entries: Vec<(Str, Value)>) -> Self {
        if entries.len() > SMALL {
            return Map::new(entries.into_iter().collect());
        }
        debug_assert!(
            entries.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted, distinct keys"
        );
        let weight = entries
            .iter()
            .fold(1u64, |w, (_, v)| w.saturating_add(v.weight()));
        Map {
            entries: Entries::Small(entries),
            weight,
        }
    }

    /// A map of entries with distinct keys, in any order: sorted here,
    /// without a B-tree in between when they are few.
    pub fn from_entries(mut entries: Vec<(Str, Value)>) -> Self {
        if entries.len() > SMALL {
            return Map::new(entries.into_iter().collect());
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Map::from_sorted_entries(entries)
    }

    pub fn weight(&self) -> u64 {
        self.weight
    }

    pub fn entries_mut(&mut self) -> &mut Entries {
        &mut self.entries
    }

    pub fn into_entries(self) -> BTreeMap<Str, Value> {
        match self.entries {
            Entries::Small(v) => v.into_iter().collect(),
            Entries::Large(m) => m,
        }
    }
}

impl Value {
    /// A quantity of `amount` in the base unit of `kind`, with the literal
    /// text it came from, if any.
    pub fn quantity(kind: QuantityKind, amount: u64, text: Option<Str>) -> Value {
        Value::Quantity(Arc::new(Quantity { kind, amount, text }))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(List::new(items)))
    }

    pub fn map(entries: BTreeMap<Str, Value>) -> Value {
        Value::Map(Arc::new(Map::new(entries)))
    }

    /// An empty map: what `Value::map(BTreeMap::new())` makes, without a
    /// B-tree to take apart.
    pub fn empty_map() -> Value {
        Value::Map(Arc::new(Map {
            entries: Entries::default(),
            weight: 1,
        }))
    }

    /// A map of entries with distinct keys, in any order
    /// ([`Map::from_entries`]).
    pub fn map_of(entries: Vec<(Str, Value)>) -> Value {
        Value::Map(Arc::new(Map::from_entries(entries)))
    }

    /// [`Value::map_of`] of entries already in key order, distinct.
    pub fn map_of_sorted(entries: Vec<(Str, Value)>) -> Value {
        Value::Map(Arc::new(Map::from_sorted_entries(entries)))
    }

    /// How much the value weighs against the evaluation budget: 1 for a
    /// scalar, 1 and a unit per 64 bytes for a string, and for a list or
    /// map 1 plus the weight of every element, counted as often as it
    /// appears (sharing saves memory, but writing the value out costs its
    /// full size).
    pub fn weight(&self) -> u64 {
        match self {
            Value::Str(s) => 1 + s.len() as u64 / 64,
            Value::List(l) => l.weight,
            Value::Map(m) => m.weight,
            _ => 1,
        }
    }

    /// The text of a value inside an interpolation, if it has one.
    pub fn interpolate(&self) -> Option<String> {
        Some(match self {
            Value::Str(s) => s.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Bool(b) => b.to_string(),
            Value::Quantity(q) => q.text().into_owned(),
            _ => return None,
        })
    }
}

impl Value {
    /// The value as data (Helm values, `to_json`, `to_yaml`): quantities
    /// become their text (`"20Gi"`, `"500m"`), ints and floats numbers.
    /// `none` means absent: a map entry or list element that is `none` is
    /// left out, and a `none` on its own gives `None`. Secrets and instance
    /// references have no data form (the checker never lets them through
    /// as data) and are left out too.
    /// Whether the value is written out (by [`Value::to_json`] or as
    /// YAML): not `none`, an instance or a secret.
    pub fn is_written(&self) -> bool {
        !matches!(self, Value::None | Value::Instance(_) | Value::Secret(_))
    }

    pub fn to_json(&self) -> Option<serde_json::Value> {
        use serde_json::Value as Json;
        Some(match self {
            Value::None => return None,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or_else(|| Json::String(format_float(*f))),
            Value::Str(s) => Json::String(s.to_string()),
            Value::Quantity(q) => Json::String(q.text().into_owned()),
            Value::List(items) => Json::Array(items.iter().filter_map(Value::to_json).collect()),
            Value::Map(m) => Json::Object(
                m.iter()
                    .filter_map(|(k, v)| Some((k.to_string(), v.to_json()?)))
                    .collect(),
            ),
            Value::Instance(_) | Value::Secret(_) => return None,
        })
    }
}

/// Values are written as YAML as they are, not converted to JSON first:
/// the same document as [`Value::to_json`] would give (entries that are
/// `none`, instances or secrets are left out; quantities are their text).
impl<'a> platc_yaml::Tree<'a> for &'a Value {
    type Entries = WrittenEntries<'a>;
    type Items = WrittenItems<'a>;
    fn node(self) -> platc_yaml::Node<'a, Self> {
        use platc_yaml::Node;
        use std::borrow::Cow;
        match self {
            Value::None | Value::Instance(_) | Value::Secret(_) => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Int(i) => Node::Int(*i),
            Value::Float(f) if f.is_finite() => {
                // As JSON's number would be written: the shortest text
                // that reads back as the same f64, with a `.`.
                let mut s = format!("{f}");
                if !s.contains('.') {
                    s.push_str(".0");
                }
                Node::Number(Cow::Owned(s))
            }
            Value::Float(f) => Node::Str(Cow::Owned(format_float(*f))),
            Value::Str(s) => Node::Str(Cow::Borrowed(s)),
            Value::Quantity(q) => Node::Str(q.text()),
            Value::List(items) => Node::Seq(WrittenItems(items.iter())),
            Value::Map(m) => Node::Map(WrittenEntries(m.iter())),
        }
    }

    /// A list or map held in several places (the skeletons' literal maps,
    /// shared by every instance of a component): its address.
    #[inline]
    fn shared(self) -> Option<usize> {
        match self {
            Value::List(items) if Arc::strong_count(items) > 1 => {
                Some(Arc::as_ptr(items) as *const () as usize)
            }
            Value::Map(m) if Arc::strong_count(m) > 1 => Some(Arc::as_ptr(m) as *const () as usize),
            _ => None,
        }
    }
}

/// The items of a list value that are written ([`Value::is_written`]):
/// how the YAML writer walks a list.
pub struct WrittenItems<'a>(std::slice::Iter<'a, Value>);

impl<'a> Iterator for WrittenItems<'a> {
    type Item = &'a Value;
    fn next(&mut self) -> Option<&'a Value> {
        self.0.find(|v| v.is_written())
    }
}

/// The entries of a map value that are written ([`Value::is_written`]),
/// in key order: how the YAML writer walks a map.
pub struct WrittenEntries<'a>(Iter<'a>);

impl<'a> Iterator for WrittenEntries<'a> {
    type Item = (&'a str, &'a Value);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.find(|(_, v)| v.is_written()).map(|(k, v)| (&**k, v))
    }
}

pub fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// The canonical text of a quantity: the largest unit that divides it.
pub fn format_quantity(kind: QuantityKind, amount: u64) -> String {
    let units: &[(&str, u64)] = match kind {
        QuantityKind::Bytes => &[
            ("Ei", 1 << 60),
            ("Pi", 1 << 50),
            ("Ti", 1 << 40),
            ("Gi", 1 << 30),
            ("Mi", 1 << 20),
            ("Ki", 1 << 10),
        ],
        QuantityKind::Cpu => &[("", 1000), ("m", 1)],
        QuantityKind::Duration => &[
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("min", 60_000),
            ("s", 1000),
            ("ms", 1),
        ],
    };
    if amount == 0 {
        return match kind {
            QuantityKind::Bytes => "0".into(),
            QuantityKind::Cpu => "0".into(),
            QuantityKind::Duration => "0s".into(),
        };
    }
    for (suffix, factor) in units {
        if amount.is_multiple_of(*factor) {
            return format!("{}{suffix}", amount / factor);
        }
    }
    amount.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value is two words: a map entry or list element of a large
    /// platform's values stays small (a quantity is behind a pointer, a
    /// string's length beside its text), and a map entry is three.
    #[test]
    fn a_value_is_two_words() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<(Str, Value)>(), 24);
    }

    /// Written as YAML directly, a value gives the text its JSON gives.
    #[test]
    fn yaml_of_a_value_is_yaml_of_its_json() {
        let m = |entries: Vec<(&str, Value)>| {
            Value::map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
        };
        let s = |t: &str| Value::Str(t.into());
        let long = "a long sentence with spaces that goes well past the eighty columns of a values file line";
        let v = m(vec![
            ("none", Value::None),
            ("instance", Value::Instance(InstId(3))),
            ("secret", Value::Secret(SecretId::whole(0))),
            ("all_none", m(vec![("a", Value::None), ("b", Value::None)])),
            ("empty_list", Value::list(vec![])),
            (
                "only_none",
                Value::list(vec![Value::None, Value::Instance(InstId(1))]),
            ),
            (
                "ints",
                Value::list(vec![Value::Int(0), Value::Int(-7), Value::Int(i64::MAX)]),
            ),
            (
                "floats",
                Value::list(
                    [1.0, 2.5, -0.0, 1e20, 1e-7, f64::NAN, f64::INFINITY]
                        .into_iter()
                        .map(Value::Float)
                        .collect(),
                ),
            ),
            (
                "quantities",
                Value::list(vec![
                    Value::quantity(QuantityKind::Bytes, 1 << 30, None),
                    Value::quantity(QuantityKind::Cpu, 500, Some("500m".into())),
                ]),
            ),
            (
                "strings",
                Value::list(vec![
                    s("yes"),
                    s("0o17"),
                    s(""),
                    s("a: b"),
                    s("tab\there"),
                    s(long),
                ]),
            ),
            (
                "bools",
                Value::list(vec![Value::Bool(true), Value::Bool(false)]),
            ),
            (
                "nested",
                Value::list(vec![
                    m(vec![
                        ("x", s("1")),
                        ("y", Value::None),
                        ("z", Value::list(vec![m(vec![])])),
                    ]),
                    Value::list(vec![Value::list(vec![]), s("k")]),
                ]),
            ),
            ("app.kubernetes.io/name", s("weird key")),
            (&"k".repeat(1100), s("an explicit key")),
        ]);
        let json = v.to_json().unwrap();
        assert_eq!(platc_yaml::tree_to_string(&v), platc_yaml::to_string(&json));
        let Value::Map(entries) = &v else {
            unreachable!()
        };
        let top: Vec<(&str, &Value)> = entries
            .iter()
            .filter(|(_, v)| v.is_written())
            .map(|(k, v)| (&**k, v))
            .collect();
        assert_eq!(platc_yaml::map_to_string(top), platc_yaml::to_string(&json));
    }

    /// A map answers like a B-tree whatever the order of its inserts and
    /// its size, small (a vector) or large (a B-tree).
    #[test]
    fn entries_behave_like_a_btree() {
        for n in [0usize, 1, 5, SMALL, SMALL + 1, 200] {
            let mut keys: Vec<Str> = (0..n)
                .map(|i| format!("k{:03}", (i * 37) % n.max(1)).into())
                .collect();
            keys.dedup();
            let mut ours = Entries::default();
            let mut want = BTreeMap::new();
            for (i, k) in keys.iter().enumerate() {
                let v = Value::Int(i as i64);
                assert_eq!(ours.insert(k.clone(), v.clone()), want.insert(k.clone(), v));
            }
            // Inserting again replaces.
            if let Some(k) = keys.first() {
                let v = Value::Bool(true);
                assert_eq!(ours.insert(k.clone(), v.clone()), want.insert(k.clone(), v));
            }
            assert_eq!(ours.len(), want.len());
            assert!(ours.iter().eq(want.iter()), "n = {n}");
            assert!(ours.iter().rev().eq(want.iter().rev()));
            for k in &keys {
                assert_eq!(ours.get(k), want.get(k));
                assert!(ours.contains_key(k));
            }
            assert_eq!(ours.get("absent"), None);
            assert_eq!(
                matches!(ours, Entries::Large(_)),
                want.len() > SMALL,
                "n = {n}"
            );
            let map = Map::new(want.clone());
            assert!(map.iter().eq(want.iter()));
            assert_eq!(map.clone().into_entries(), want);
        }
    }

    /// A map of entries already sorted is the map `from_entries` makes
    /// of them in any order (entries and weight).
    #[test]
    fn sorted_entries_make_the_same_map() {
        let entries: Vec<(Str, Value)> = vec![
            ("a".into(), Value::Int(1)),
            ("b".into(), Value::Str("x".repeat(200).into())),
            (
                "c".into(),
                Value::list(vec![Value::Int(2), Value::Bool(true)]),
            ),
        ];
        let mut shuffled = entries.clone();
        shuffled.reverse();
        let sorted = Value::map_of_sorted(entries);
        let made = Value::map_of(shuffled);
        assert_eq!(sorted, made);
        assert_eq!(sorted.weight(), made.weight());
    }

    #[test]
    fn an_empty_map_is_the_map_of_no_entries() {
        assert_eq!(Value::empty_map(), Value::map(BTreeMap::new()));
        assert_eq!(
            Value::empty_map().weight(),
            Value::map(BTreeMap::new()).weight()
        );
    }

    /// `get_or_insert_with` sets a key only when it is absent, calls
    /// `make` only then, and keeps the map ordered across the switch from a
    /// vector to a B-tree, as `contains_key`, `insert` and `get_mut` do.
    /// Keys compare as strings do.
    #[test]
    fn keys_compare_as_strings() {
        let keys = [
            "",
            "a",
            "b",
            "ab",
            "abc",
            "abd",
            "B",
            "é",
            "éa",
            "e",
            "z",
            "zz",
            "0",
            "\u{10000}",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(key_cmp(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn get_or_insert_with_inserts_only_what_is_absent() {
        for n in [1usize, 5, SMALL, SMALL + 1, 200] {
            let mut ours = Entries::default();
            let mut want: BTreeMap<Str, Value> = BTreeMap::new();
            // Every key twice, in a scattered order.
            for round in 0..2 {
                for i in 0..n {
                    let k: Str = format!("k{:03}", (i * 37) % n).into();
                    let mut called = false;
                    let (v, inserted) = ours.get_or_insert_with(
                        &k,
                        || k.clone(),
                        || {
                            called = true;
                            Value::Int(round)
                        },
                    );
                    let absent = !want.contains_key(&*k);
                    assert_eq!((inserted, called), (absent, absent), "{k} in round {round}");
                    let expected = want.entry(k).or_insert(Value::Int(round));
                    assert_eq!(v, expected);
                }
            }
            assert!(ours.iter().eq(want.iter()), "n = {n}");
            assert_eq!(matches!(ours, Entries::Large(_)), n > SMALL, "n = {n}");
        }
    }

    #[test]
    fn quantities_print_in_the_largest_exact_unit() {
        assert_eq!(format_quantity(QuantityKind::Bytes, 20 << 30), "20Gi");
        assert_eq!(format_quantity(QuantityKind::Bytes, 1500), "1500");
        assert_eq!(format_quantity(QuantityKind::Cpu, 2000), "2");
        assert_eq!(format_quantity(QuantityKind::Cpu, 500), "500m");
        assert_eq!(format_quantity(QuantityKind::Duration, 90_000), "90s");
    }
}
