//! Reading a user's Helm values file the way Helm does.
//!
//! Helm parses values with YAML 1.1 rules (go-yaml v2 behind
//! sigs.k8s.io/yaml): a plain `yes`, `on` or `off` is a boolean, `0755` is
//! an octal number, and map keys become strings. YAML 1.2 parsers read those
//! scalars as strings, and platc would then write them back quoted, changing
//! what the chart receives. This module resolves plain scalars by the 1.1
//! rules from the parser's events, where quoting is still visible.

use std::collections::HashMap;

use platc_charts::Seg;
use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The first document of `text` as JSON values with YAML 1.1 scalar
/// resolution, or `None` when this parser cannot read it (the caller then
/// keeps its YAML 1.2 reading).
#[cfg(test)]
pub(crate) fn parse(text: &str) -> Option<Value> {
    parse_located(text).map(|(v, _)| v)
}

/// Where a node of a YAML document is: byte ranges in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Located {
    /// The key of a map entry (none for list elements and the root).
    pub key: Option<(usize, usize)>,
    /// The value: a scalar's text, or the first character of a list or map.
    pub value: (usize, usize),
    /// Whether the value is a scalar.
    pub scalar: bool,
}

/// Every node of a document by its path (later occurrences of a repeated
/// key win, as in the value).
pub(crate) type Positions = HashMap<Vec<Seg>, Located>;

/// [`parse`], with where every node is.
pub(crate) fn parse_located(text: &str) -> Option<(Value, Positions)> {
    let mut builder = Builder {
        offsets: Offsets::new(text),
        text,
        ..Builder::default()
    };
    Parser::new_from_str(text).load(&mut builder, false).ok()?;
    if builder.failed {
        return None;
    }
    Some((builder.root.unwrap_or(Value::Null), builder.positions))
}

/// Char index (what the parser's marks count) to byte offset.
#[derive(Default)]
struct Offsets(Option<Vec<usize>>);

impl Offsets {
    fn new(text: &str) -> Offsets {
        if text.is_ascii() {
            Offsets(None)
        } else {
            Offsets(Some(text.char_indices().map(|(b, _)| b).collect()))
        }
    }

    fn byte(&self, char_index: usize, len: usize) -> usize {
        match &self.0 {
            None => char_index.min(len),
            Some(v) => v.get(char_index).copied().unwrap_or(len),
        }
    }
}

enum Frame {
    Seq(Vec<Value>, usize),
    /// The map, the key waiting for its value (and where it is), the anchor.
    Map(Map<String, Value>, Option<(String, (usize, usize))>, usize),
}

#[derive(Default)]
struct Builder<'t> {
    stack: Vec<Frame>,
    root: Option<Value>,
    anchors: HashMap<usize, Value>,
    failed: bool,
    text: &'t str,
    offsets: Offsets,
    /// The path of the node being read.
    path: Vec<Seg>,
    positions: Positions,
}

impl Builder<'_> {
    fn push_value(&mut self, v: Value, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, v.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(v);
                }
            }
            Some(Frame::Seq(items, _)) => items.push(v),
            Some(Frame::Map(map, key, _)) => match key.take() {
                None => self.failed = true,
                Some((k, _)) if k == "<<" => merge_keys(map, v),
                Some((k, _)) => {
                    map.insert(k, v);
                }
            },
        }
    }

    /// The byte range of the node that starts at `mark`: a scalar's text
    /// as written (quotes included), else one character.
    fn range(&self, mark: Marker, scalar: Option<(&str, TScalarStyle)>) -> (usize, usize) {
        let len = self.text.len();
        let start = self.offsets.byte(mark.index(), len);
        let rest = &self.text[start..];
        let line_end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let width = match scalar {
            Some((t, TScalarStyle::Plain)) if rest.starts_with(t) && !t.is_empty() => t.len(),
            Some((_, TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted)) => {
                let quote = rest.chars().next().unwrap_or('"');
                let body = &rest[quote.len_utf8().min(rest.len())..line_end.max(1).min(rest.len())];
                match body.find(quote) {
                    Some(i) => i + 2 * quote.len_utf8(),
                    None => line_end,
                }
            }
            _ => rest.chars().next().map_or(0, char::len_utf8),
        };
        (start, start + width.min(rest.len()))
    }

    /// A node starts at `mark`: either the key of a map entry (remembered
    /// until its value comes) or a value, whose position is recorded.
    /// Returns whether it is a key.
    fn on_node(
        &mut self,
        mark: Marker,
        scalar: Option<(&str, TScalarStyle)>,
        key: Option<&Value>,
    ) -> bool {
        let range = self.range(mark, scalar);
        let seg = match self.stack.last_mut() {
            None => None,
            Some(Frame::Seq(items, _)) => Some((Seg::Index(items.len()), None)),
            Some(Frame::Map(_, pending, _)) => match pending {
                None => {
                    // A key; collections as keys are not Helm's business.
                    let k = key.map(key_string).unwrap_or_default();
                    *pending = Some((k, range));
                    return true;
                }
                Some((k, at)) => Some((Seg::Key(k.clone()), Some(*at))),
            },
        };
        let mut path = self.path.clone();
        let key_at = match seg {
            Some((s, at)) => {
                path.push(s);
                at
            }
            None => None,
        };
        self.positions.insert(
            path,
            Located {
                key: key_at,
                value: range,
                scalar: scalar.is_some(),
            },
        );
        false
    }

    /// Entering a list or map: its children's paths start with its own.
    fn enter(&mut self) {
        match self.stack.last() {
            Some(Frame::Seq(items, _)) => self.path.push(Seg::Index(items.len())),
            Some(Frame::Map(_, Some((k, _)), _)) => self.path.push(Seg::Key(k.clone())),
            _ => {}
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let v = resolve(text.clone(), style, tag.as_ref());
                if !self.on_node(mark, Some((&text, style)), Some(&v)) {
                    self.push_value(v, anchor);
                } else if anchor > 0 {
                    self.anchors.insert(anchor, v);
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.on_node(mark, None, None) {
                    // A collection as a key: Helm cannot read it either.
                    self.failed = true;
                    return;
                }
                self.enter();
                self.stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq(Vec::new(), anchor)
                } else {
                    Frame::Map(Map::new(), None, anchor)
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (v, anchor) = match self.stack.pop() {
                    Some(Frame::Seq(items, a)) => (Value::Array(items), a),
                    Some(Frame::Map(map, _, a)) => (Value::Object(map), a),
                    None => {
                        self.failed = true;
                        return;
                    }
                };
                if !self.stack.is_empty() {
                    self.path.pop();
                }
                self.push_value(v, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(v) => {
                    if !self.on_node(mark, None, Some(&v)) {
                        self.push_value(v, 0);
                    }
                }
                None => self.failed = true,
            },
            _ => {}
        }
    }
}

/// `<<: *base` (or a list of them) merges the maps' keys, earlier keys win.
fn merge_keys(map: &mut Map<String, Value>, v: Value) {
    let sources = match v {
        Value::Array(items) => items,
        other => vec![other],
    };
    for s in sources {
        if let Value::Object(m) = s {
            for (k, v) in m {
                map.entry(k).or_insert(v);
            }
        }
    }
}

/// Map keys are strings in JSON: resolved scalars print as Helm does.
fn key_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn resolve(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.suffix == "str" {
            return Value::String(text);
        }
    }
    if style != TScalarStyle::Plain {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        _ => {}
    }
    if let Some(i) = parse_int(&text) {
        return Value::Number(i.into());
    }
    if is_float(&text) {
        if let Some(n) = text
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
        {
            return Value::Number(n);
        }
    }
    Value::String(text)
}

/// go-yaml v2: Go's integer syntax with base prefixes (`0x`, `0o`, `0b`,
/// and a leading `0` for octal) and `_` separators.
fn parse_int(text: &str) -> Option<i64> {
    let (neg, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() || !body.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let digits = body.replace('_', "");
    let (radix, rest) = if let Some(r) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, r.to_string())
    } else if let Some(r) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, r.to_string())
    } else if let Some(r) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, r.to_string())
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, digits[1..].to_string())
    } else {
        (10, digits)
    };
    if rest.is_empty() {
        return None;
    }
    let magnitude = i64::from_str_radix(&rest, radix).ok()?;
    Some(if neg { -magnitude } else { magnitude })
}

/// go-yaml v2's float syntax: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()),
        Some((int, frac)) => {
            !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        }
    };
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_scalars_follow_yaml_1_1() {
        let v = parse(
            "a: yes\nb: off\nc: 'yes'\nd: \"on\"\ne: 0755\nf: 0x1F\ng: 1_000\nh: 1.5\ni: 1e3\nj: ~\nk: version1\nl: 2024-01-01\nm: !!str true\no: -12\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "a": true, "b": false, "c": "yes", "d": "on", "e": 493, "f": 31, "g": 1000,
                "h": 1.5, "i": 1000.0, "j": null, "k": "version1", "l": "2024-01-01", "m": "true", "o": -12
            })
        );
    }

    #[test]
    fn keys_become_strings_and_structure_is_kept() {
        // Like Helm: `on`, `y` and `n` as keys are booleans, printed as strings.
        let v =
            parse("y: 1\non: push\n1: one\nlist:\n  - a\n  - {b: no}\nblock: |\n  yes\n").unwrap();
        assert_eq!(
            v,
            json!({"true": "push", "1": "one", "list": ["a", {"b": false}], "block": "yes\n"})
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let v = parse("base: &b\n  x: 1\n  z: 2\nchild:\n  <<: *b\n  z: 3\ncopy: *b\n").unwrap();
        assert_eq!(
            v,
            json!({"base": {"x": 1, "z": 2}, "child": {"x": 1, "z": 3}, "copy": {"x": 1, "z": 2}})
        );
    }

    #[test]
    fn every_node_has_its_place() {
        let text = "# é comment\nworkers:\n  replicas: two\n  'quoted key': \"x\"\nlist:\n  - a\n  - {b: no}\n";
        let (_, at) = parse_located(text).unwrap();
        let path = |p: &[&str]| -> Vec<Seg> {
            p.iter()
                .map(|s| match s.parse::<usize>() {
                    Ok(i) => Seg::Index(i),
                    Err(_) => Seg::Key(s.to_string()),
                })
                .collect()
        };
        let slice = |r: (usize, usize)| &text[r.0..r.1];
        let replicas = at[&path(&["workers", "replicas"])];
        assert_eq!(slice(replicas.key.unwrap()), "replicas");
        assert_eq!(slice(replicas.value), "two");
        assert!(replicas.scalar);
        let quoted = at[&path(&["workers", "quoted key"])];
        assert_eq!(slice(quoted.key.unwrap()), "'quoted key'");
        assert_eq!(slice(quoted.value), "\"x\"");
        assert_eq!(slice(at[&path(&["list", "0"])].value), "a");
        assert_eq!(at[&path(&["list", "0"])].key, None);
        let b = at[&path(&["list", "1", "b"])];
        assert_eq!(slice(b.key.unwrap()), "b");
        assert_eq!(slice(b.value), "no");
        assert!(!at[&path(&["workers"])].scalar);
    }

    #[test]
    fn empty_and_broken_input() {
        assert_eq!(parse(""), Some(Value::Null));
        assert_eq!(parse("a: [1, 2\n"), None);
    }
}
