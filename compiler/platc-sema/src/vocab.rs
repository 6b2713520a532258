//! The language's fixed vocabulary: built-in type names, reserved instance
//! attributes, secret sources, and the name patterns Kubernetes imposes
//! (each compiled once per process).

use crate::HashMap;
use std::sync::Arc;

use crate::types::{Constraint, Ty};

pub(crate) const BUILTIN_TYPES: &[&str] = &[
    "string",
    "int",
    "float",
    "bool",
    "bytes",
    "cpu",
    "duration",
    "path",
    "secret",
    "secret_name",
];
pub(crate) const RESERVED_ATTRS: &[&str] = &["namespace", "values_files", "enabled"];
pub(crate) const SECRET_SOURCES: &[&str] =
    &["env", "kubernetes_secret", "external_secret", "template"];
pub(crate) const DNS_LABEL: &str = "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";
pub(crate) const INSTANCE_NAME: &str = "^[a-z]([a-z0-9_]*[a-z0-9])?$";

/// A host name an Ingress accepts: DNS labels of at most 63 characters,
/// optionally under a `*.` wildcard.
pub(crate) const HOST: &str =
    "^(\\*\\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$";
/// An HTTP path prefix.
pub(crate) const URL_PATH: &str = "^/[^\\s]*$";

/// What one of the compiler's fixed patterns asks for, in words (a user's
/// own pattern is shown as written).
pub(crate) fn describe_pattern(pattern: &str) -> Option<(&'static str, &'static str)> {
    Some(match pattern {
        DNS_LABEL => ("a DNS label", "use lowercase letters, digits and `-`, start with a letter, end with a letter or digit, at most 63 characters"),
        HOST => ("a host name", "use DNS labels of lowercase letters, digits and `-` (at most 63 characters each) joined by `.`, optionally after `*.`"),
        URL_PATH => ("a URL path", "start with `/`, without white space"),
        _ => return None,
    })
}

/// `string` constrained by one of the compiler's fixed patterns. The
/// constraint is made once per pattern and shared, so that its regex (and
/// the match cache the regex builds on first use) is shared too: a clone
/// of a regex starts with an empty cache, whose building showed in every
/// expose block checked.
pub(crate) fn pattern_ty(pattern: &'static str) -> Ty {
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<&'static str, Arc<Constraint>>>> = OnceLock::new();
    let constraint = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(pattern)
        .or_insert_with(|| Arc::new(Constraint::Pattern(cached_regex(pattern).clone())))
        .clone();
    Ty::Constrained(Box::new(Ty::String), constraint)
}

pub(crate) fn dns_label_ty() -> Ty {
    pattern_ty(DNS_LABEL)
}

/// Matches `text` against one of the compiler's own fixed patterns; each is
/// compiled once per process.
pub(crate) fn regex_is_match(pattern: &'static str, text: &str) -> bool {
    cached_regex(pattern).is_match(text)
}

/// A user's pattern (of `matches`), compiled once per thread and shared
/// (a clone of a `Regex` would start with an empty match cache): the
/// error says what is wrong with an invalid one. At most 1,000 patterns
/// are kept, so memory stays bounded; the patterns of a program are
/// literals, so that bounds nothing real.
pub(crate) fn compiled_regex(pattern: &str) -> Result<std::sync::Arc<regex::Regex>, String> {
    use std::cell::RefCell;
    use std::sync::Arc;
    // One cache per thread: the policy chunks evaluated on every core
    // match the same patterns without contending for a lock.
    thread_local! {
        static CACHE: RefCell<HashMap<String, Arc<regex::Regex>>> = RefCell::default();
    }
    if let Some(re) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(re);
    }
    let re = regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            msg.lines().last().unwrap_or("").trim().to_string()
        })?;
    let re = Arc::new(re);
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() < 1000 {
            cache.insert(pattern.to_string(), Arc::clone(&re));
        }
    });
    Ok(re)
}

fn cached_regex(pattern: &'static str) -> &'static regex::Regex {
    use std::sync::{Mutex, OnceLock};
    // A handful of fixed patterns: each is compiled once and kept for the
    // life of the process (a clone would rebuild the regex's match cache).
    static CACHE: OnceLock<Mutex<HashMap<&'static str, &'static regex::Regex>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    cache.entry(pattern).or_insert_with(|| {
        Box::leak(Box::new(
            regex::Regex::new(pattern).expect("the compiler's patterns are valid"),
        ))
    })
}

pub(crate) fn suggest_dns(name: &str) -> String {
    let mut s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!("p-{s}").trim_end_matches('-').to_string()
    } else {
        s.chars().take(63).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_suggestions() {
        assert_eq!(suggest_dns("My Platform"), "my-platform");
        assert_eq!(suggest_dns("9lives"), "p-9lives");
    }
}
