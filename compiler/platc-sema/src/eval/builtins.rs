//! Evaluation of built-in function calls and of comprehensions.

use std::collections::BTreeMap;

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast;
use sha2::{Digest, Sha256};

use super::{duplicate_key, Env, Evaluator};
use crate::value::{InstId, Value};

impl Evaluator<'_, '_> {
    pub(super) fn call(&mut self, call: &ast::Call, env: &Env) -> Option<Value> {
        if call.func.name == "all" {
            return self.all(call, env);
        }
        let args: Vec<Value> = call
            .args
            .iter()
            .map(|a| self.eval(a, env))
            .collect::<Option<_>>()?;
        let arg_span = |n: usize| call.args.get(n).map(|a| a.span).unwrap_or(call.span);
        let value = match (call.func.name.as_str(), args.as_slice()) {
            ("len", [Value::List(l)]) => Value::Int(l.len() as i64),
            ("len", [Value::Map(m)]) => Value::Int(m.len() as i64),
            ("len", [Value::Str(s)]) => Value::Int(s.chars().count() as i64),
            ("lower", [Value::Str(s)]) => Value::Str(s.to_lowercase().into()),
            ("upper", [Value::Str(s)]) => Value::Str(s.to_uppercase().into()),
            ("join", [Value::List(l), Value::Str(sep)]) => {
                // A string's text is borrowed, the others' made.
                let parts: Vec<std::borrow::Cow<str>> = l
                    .iter()
                    .map(|v| match v {
                        Value::Str(s) => Some(std::borrow::Cow::Borrowed(&**s)),
                        v => v.interpolate().map(std::borrow::Cow::Owned),
                    })
                    .collect::<Option<_>>()?;
                // Charged before the text is built.
                let len = parts.iter().map(|p| p.len() as u64).sum::<u64>()
                    + (sep.len() as u64).saturating_mul(parts.len().saturating_sub(1) as u64);
                self.charge(1 + len / 64, call.span)?;
                Value::Str(parts.join(&**sep).into())
            }
            ("contains", [Value::List(l), x]) => Value::Bool(l.contains(x)),
            ("contains", [Value::Str(s), Value::Str(x)]) => Value::Bool(s.contains(&**x)),
            ("default", [Value::None, d]) => d.clone(),
            ("default", [v, _]) => v.clone(),
            ("replace", [Value::Str(s), Value::Str(from), Value::Str(to)]) => {
                if from.is_empty() {
                    return self.fail(arg_span(1), "`replace` needs a non-empty text to replace");
                }
                // Bound the result before building it.
                let n = s.matches(&**from).count() as u64;
                let len = s.len() as u64 + n * to.len() as u64;
                self.charge(1 + len / 64, call.span)?;
                Value::Str(s.replace(&**from, to).into())
            }
            ("split", [Value::Str(s), Value::Str(sep)]) => {
                if sep.is_empty() {
                    return self.fail(arg_span(1), "`split` needs a non-empty separator");
                }
                // Charged before it is built: a piece each, and the text.
                let pieces = s.matches(&**sep).count() as u64 + 1;
                self.charge(pieces.saturating_mul(2) + s.len() as u64 / 64, call.span)?;
                let parts: Vec<Value> = s.split(&**sep).map(|p| Value::Str(p.into())).collect();
                Value::list(parts)
            }
            ("trim", [Value::Str(s)]) => Value::Str(s.trim().into()),
            ("starts_with", [Value::Str(s), Value::Str(p)]) => Value::Bool(s.starts_with(&**p)),
            ("ends_with", [Value::Str(s), Value::Str(p)]) => Value::Bool(s.ends_with(&**p)),
            ("matches", [Value::Str(s), Value::Str(p)]) => {
                Value::Bool(crate::vocab::compiled_regex(p).ok()?.is_match(s))
            }
            ("pad_left", [Value::Str(s), Value::Int(width), Value::Str(fill)]) => {
                let mut chars = fill.chars();
                let (Some(c), None) = (chars.next(), chars.next()) else {
                    return self.fail(
                        arg_span(2),
                        "`pad_left` needs a fill of exactly one character",
                    );
                };
                let have = s.chars().count() as i64;
                let missing = width.saturating_sub(have).max(0) as u64;
                let bytes = missing.saturating_mul(c.len_utf8() as u64);
                self.charge(1 + bytes / 64, call.span)?;
                let mut out: String = std::iter::repeat_n(c, missing as usize).collect();
                out.push_str(s);
                Value::Str(out.into())
            }
            ("sha256", [Value::Str(s)]) => {
                let digest = Sha256::digest(s.as_bytes());
                Value::Str(
                    digest
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                        .into(),
                )
            }
            ("to_json", [v]) => {
                let json = v.to_json().unwrap_or(serde_json::Value::Null);
                let text = serde_json::to_string(&json).ok()?;
                self.charge(1 + text.len() as u64 / 64, call.span)?;
                Value::Str(text.into())
            }
            ("to_yaml", [v]) => {
                let json = v.to_json().unwrap_or(serde_json::Value::Null);
                let text = platc_yaml::to_string(&json);
                self.charge(1 + text.len() as u64 / 64, call.span)?;
                Value::Str(text.into())
            }
            ("keys", [Value::Map(m)]) => {
                self.charge(m.len() as u64, call.span)?;
                Value::list(m.keys().map(|k| Value::Str(k.clone())).collect())
            }
            _ => return None,
        };
        Some(value)
    }

    /// `all(Interface)`: every instance switched on whose component
    /// provides the interface for real, by name. The instance evaluating it
    /// observes them.
    fn all(&mut self, call: &ast::Call, env: &Env) -> Option<Value> {
        let (iface, providers) = self.all_providers(call)?;
        let mut out = Vec::with_capacity(providers.len());
        for &j in providers.iter() {
            if let Some(from) = env.self_inst {
                if from != j {
                    self.observes.push((from, j, iface.clone(), call.span));
                }
            }
            out.push(Value::Instance(crate::value::InstId(j as u32)));
        }
        Some(Value::list(out))
    }

    /// The interface of an `all(...)` call and its providers, charged,
    /// not observed.
    fn all_providers(&mut self, call: &ast::Call) -> Option<(String, super::Providers)> {
        let iid = *self.t.all_calls.get(&(call.span.file.0, call.span.start))?;
        let iface = self.t.ifaces[iid.0 as usize].decl.name.name.clone();
        let providers = self.providers(&iface);
        self.charge(1 + providers.len() as u64, call.span)?;
        Some((iface, providers))
    }

    fn fail(&mut self, span: Span, what: &str) -> Option<Value> {
        self.diagnostics.push(
            Diagnostic::error("E0319", what.to_string(), span).with_label("invalid argument"),
        );
        None
    }

    /// `[for ...: body]` and `{for ...: key = body}`: the body once per
    /// element (of a map, in key order) for which the filter holds.
    pub(super) fn comprehension(
        &mut self,
        c: &ast::Comprehension,
        span: Span,
        env: &Env,
    ) -> Option<Value> {
        // Over `all(I)` with a filter, what the filter drops is not
        // observed (spec 5.8.1): MinIO's grants are the accesses whose
        // server it is, not every access of the platform. The elements
        // are the providers; only those that can pass the filter are
        // gone through (see `index`).
        let filtered_all = match (&c.filter, &c.source.kind) {
            (Some(_), ast::ExprKind::Call(call)) if call.func.name == "all" => Some(call),
            _ => None,
        };
        // (interface, span of the call) of a filtered `all(...)`: the
        // elements the filter keeps are observed.
        let mut observed = None;
        // The elements are gone through where they are, not copied into a
        // vector of (key, element) first.
        let (list_src, map_src, all_src);
        let (mut list_it, mut map_it, mut all_it);
        let items: &mut dyn Iterator<Item = (Value, Value)> = if let Some(call) = filtered_all {
            let (iface, providers) = self.all_providers(call)?;
            self.charge(providers.len() as u64, c.source.span)?;
            let candidates = if providers.len() > 1 {
                self.filter_candidates(c, env, providers.len())?
            } else {
                None
            };
            observed = Some((iface, call.span));
            let keep = candidates.unwrap_or_else(|| (0..providers.len()).collect());
            all_src = (providers, keep);
            all_it = all_src.1.iter().map(|&p| {
                (
                    Value::Int(p as i64),
                    Value::Instance(InstId(all_src.0[p] as u32)),
                )
            });
            &mut all_it
        } else {
            match self.eval(&c.source, env)? {
                Value::List(l) => {
                    self.charge(l.len() as u64, c.source.span)?;
                    list_src = l;
                    list_it = list_src
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (Value::Int(i as i64), v.clone()));
                    &mut list_it
                }
                Value::Map(m) => {
                    self.charge(m.len() as u64, c.source.span)?;
                    map_src = m;
                    map_it = map_src
                        .iter()
                        .map(|(k, v)| (Value::Str(k.clone()), v.clone()));
                    &mut map_it
                }
                _ => return None,
            }
        };
        // The variables are bound per element, on the stack, in front of
        // the ones around them.
        let mut list = Vec::new();
        let mut map = BTreeMap::new();
        for (k, v) in items {
            let key_local = c.key_var.as_ref().map(|kv| super::Local {
                name: &kv.name,
                value: k,
                outer: env.locals,
            });
            let kept = match (&v, &observed, env.self_inst) {
                (Value::Instance(j), Some(o), Some(from)) if j.0 as usize != from => {
                    Some((from, j.0 as usize, o))
                }
                _ => None,
            };
            let local = super::Local {
                name: &c.var.name,
                value: v,
                outer: key_local.as_ref().or(env.locals),
            };
            let inner = env.with_local(&local);
            if let Some(f) = &c.filter {
                match self.eval(f, &inner)? {
                    Value::Bool(true) => {}
                    Value::Bool(false) => continue,
                    _ => return None,
                }
            }
            if let Some((from, j, (iface, at))) = kept {
                // The element is kept: it is observed.
                self.observes.push((from, j, iface.clone(), *at));
            }
            let value = self.eval(&c.value, &inner)?;
            self.charge(value.weight(), span)?;
            match &c.key {
                None => list.push(value),
                Some(key) => {
                    let Value::Str(k) = self.eval(key, &inner)? else {
                        return None;
                    };
                    if map.insert(k.clone(), value).is_some() {
                        self.diagnostics.push(duplicate_key(&k, key.span, span));
                        return None;
                    }
                }
            }
        }
        Some(if c.key.is_some() {
            Value::map(map)
        } else {
            Value::list(list)
        })
    }
}
