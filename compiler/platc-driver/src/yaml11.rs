//! Reading a user's Helm values file the way Helm does.
//!
//! Helm parses values with YAML 1.1 rules (go-yaml v2 behind
//! sigs.k8s.io/yaml): a plain `yes`, `on` or `off` is a boolean, `0755` is
//! an octal number, and map keys become strings. YAML 1.2 parsers read those
//! scalars as strings, and platc would then write them back quoted, changing
//! what the chart receives. This module resolves plain scalars by the 1.1
//! rules from the parser's events, where quoting is still visible.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The first document of `text` as JSON values with YAML 1.1 scalar
/// resolution, or `None` when this parser cannot read it (the caller then
/// keeps its YAML 1.2 reading).
pub(crate) fn parse(text: &str) -> Option<Value> {
    let mut builder = Builder::default();
    Parser::new_from_str(text).load(&mut builder, false).ok()?;
    if builder.failed {
        return None;
    }
    Some(builder.root.unwrap_or(Value::Null))
}

enum Frame {
    Seq(Vec<Value>, usize),
    Map(Map<String, Value>, Option<String>, usize),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    anchors: HashMap<usize, Value>,
    failed: bool,
}

impl Builder {
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
                None => *key = Some(key_string(&v)),
                Some(k) if k == "<<" => merge_keys(map, v),
                Some(k) => {
                    map.insert(k, v);
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let v = resolve(text, style, tag.as_ref());
                self.push_value(v, anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(Vec::new(), anchor)),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map(Map::new(), None, anchor)),
            Event::SequenceEnd | Event::MappingEnd => {
                let (v, anchor) = match self.stack.pop() {
                    Some(Frame::Seq(items, a)) => (Value::Array(items), a),
                    Some(Frame::Map(map, _, a)) => (Value::Object(map), a),
                    None => {
                        self.failed = true;
                        return;
                    }
                };
                self.push_value(v, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(v) => self.push_value(v, 0),
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
    fn empty_and_broken_input() {
        assert_eq!(parse(""), Some(Value::Null));
        assert_eq!(parse("a: [1, 2\n"), None);
    }
}
