//! Secrets: their names and their sources (`env`, `kubernetes_secret`,
//! `external_secret`), each with one key or several.

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast::{self, Expr, ExprKind, RecordKey};

use crate::analyze::Checker;
use crate::vocab::{regex_is_match, suggest_dns, INSTANCE_NAME, SECRET_SOURCES};

/// An environment variable a shell can export.
const ENV_VAR: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
/// A Kubernetes object name (RFC 1123 subdomain; the length is checked apart).
const DNS_SUBDOMAIN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// A key of a Secret's data.
const SECRET_KEY: &str = "^[-._a-zA-Z0-9]+$";
/// The most keys one secret may have.
pub(crate) const MAX_SECRET_KEYS: usize = 64;

/// The keys of a secret declaration, in the order written, each with what
/// fills it: the environment variable (`env`), or the key itself (a key of
/// an existing Secret, a property of an external store). `None` when the
/// source is malformed (the checker reports it).
pub(crate) fn secret_keys(s: &ast::SecretDecl) -> Option<Vec<(String, String)>> {
    let call = &s.source;
    let plain = |e: &Expr| match &e.kind {
        ExprKind::Str(lit) => lit.as_plain().filter(|t| !t.is_empty()),
        _ => None,
    };
    let list = |e: &Expr| match &e.kind {
        ExprKind::List(items) if !items.is_empty() => items
            .iter()
            .map(|i| plain(i).map(|k| (k.clone(), k)))
            .collect::<Option<Vec<_>>>(),
        _ => plain(e).map(|k| vec![(k.clone(), k)]),
    };
    match (call.func.name.as_str(), call.args.as_slice()) {
        ("env", [a]) => match &a.kind {
            ExprKind::Record(entries) if !entries.is_empty() => entries
                .iter()
                .map(|en| Some((plain_key(&en.key)?, plain(&en.value)?)))
                .collect(),
            _ => plain(a).map(|v| vec![("value".to_string(), v)]),
        },
        ("kubernetes_secret", [_, keys]) => list(keys),
        ("external_secret", [_, _, props]) => list(props),
        // The keys of a template are those of its map of texts (with no
        // source to name), or `value`.
        ("template", [texts, _]) => match &texts.kind {
            ExprKind::Record(entries) if !entries.is_empty() => entries
                .iter()
                .map(|en| Some((plain_key(&en.key)?, String::new())))
                .collect(),
            _ => Some(vec![("value".to_string(), String::new())]),
        },
        _ => None,
    }
}

/// The texts of a `template` secret, one per key (in the order of
/// [`secret_keys`]).
pub(crate) fn template_texts(s: &ast::SecretDecl) -> Vec<&Expr> {
    match (s.source.func.name.as_str(), s.source.args.first()) {
        ("template", Some(e)) => match &e.kind {
            ExprKind::Record(entries) => entries.iter().map(|en| &en.value).collect(),
            _ => vec![e],
        },
        _ => Vec::new(),
    }
}

/// The inputs of a `template` secret: placeholder name, the secret it
/// reads, and the key chosen with `secret["key"]` (with their spans).
pub(crate) fn template_inputs(s: &ast::SecretDecl) -> Vec<TemplateInput<'_>> {
    let Some(ExprKind::Record(entries)) = s.source.args.get(1).map(|a| &a.kind) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|en| {
            let name = en.key.plain()?;
            let (secret, key) = match &en.value.kind {
                ExprKind::Name(n) => (n.as_str(), None),
                ExprKind::Index(b, k) => match (&b.kind, &k.kind) {
                    (ExprKind::Name(n), ExprKind::Str(lit)) => (n.as_str(), Some(lit.as_plain()?)),
                    _ => return None,
                },
                _ => return None,
            };
            Some(TemplateInput {
                name: &name.name,
                secret,
                key,
                span: en.value.span,
                name_span: name.span,
            })
        })
        .collect()
}

/// One input of a `template` secret, as written.
pub(crate) struct TemplateInput<'a> {
    pub name: &'a str,
    pub secret: &'a str,
    pub key: Option<String>,
    pub span: Span,
    pub name_span: Span,
}

/// A placeholder name: a Go template field.
const PLACEHOLDER: &str = "^[A-Za-z_][A-Za-z0-9_]*$";

/// The placeholders of a template text, as (start, end, name) in bytes,
/// or the byte offset of a `{{` or `}}` that is not one of
/// `{{ .NAME }}`.
pub(crate) fn placeholders(text: &str) -> Result<Vec<(usize, usize, &str)>, usize> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("{{").map(|i| i + at) {
        if let Some(stray) = text[at..i].find("}}") {
            return Err(at + stray);
        }
        let Some(close) = text[i..].find("}}").map(|c| c + i) else {
            return Err(i);
        };
        let inner = text[i + 2..close].trim();
        match inner.strip_prefix('.') {
            Some(name) if regex_is_match(PLACEHOLDER, name) => out.push((i, close + 2, name)),
            _ => return Err(i),
        }
        at = close + 2;
    }
    match text[at..].find("}}") {
        Some(stray) => Err(at + stray),
        None => Ok(out),
    }
}

/// Whether the declaration lists its keys (a list or a map), rather than
/// naming the one key of the plain forms.
pub(crate) fn lists_keys(s: &ast::SecretDecl) -> bool {
    let keys = match s.source.func.name.as_str() {
        "template" => s.source.args.first(),
        _ => s.source.args.last(),
    };
    keys.is_some_and(|a| matches!(a.kind, ExprKind::List(_) | ExprKind::Record(_)))
}

fn plain_key(k: &RecordKey) -> Option<String> {
    match k {
        RecordKey::Plain(i) => Some(i.name.to_string()),
        RecordKey::Computed(_) => None,
    }
}

/// The name of the deploy-time variable that carries key `key` of secret
/// `secret` (spec 6.5): `secret_NAME` for the plain forms, and
/// `secret_NAME__KEY` (the key's punctuation made `_`) when the
/// declaration lists its keys. Terraform reads it as `TF_VAR_...`.
pub fn secret_variable(secret: &str, lists_keys: bool, key: &str) -> String {
    if lists_keys {
        format!("secret_{secret}__{}", key_identifier(key))
    } else {
        format!("secret_{secret}")
    }
}

/// The Terraform-variable form of a key: letters, digits and `_`.
fn key_identifier(key: &str) -> String {
    key.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Whether `a` and `b` have the same [`key_identifier`], without making
/// either.
fn same_identifier(a: &str, b: &str) -> bool {
    let plain = |c: char| if c.is_ascii_alphanumeric() { c } else { '_' };
    a.chars().map(plain).eq(b.chars().map(plain))
}

/// What an argument of a secret source must be.
#[derive(Clone, Copy)]
enum Arg {
    EnvVar,
    SecretName,
    Key,
    /// Anything non-empty (a remote path).
    Text,
}

impl Arg {
    fn rule(self) -> Option<(&'static str, &'static str)> {
        match self {
            Arg::EnvVar => Some((ENV_VAR, "an environment variable name: letters, digits and `_`, not starting with a digit")),
            Arg::SecretName => Some((DNS_SUBDOMAIN, "a Kubernetes name: lowercase letters, digits, `-` and `.`, at most 253 characters")),
            Arg::Key => Some((SECRET_KEY, "a key of a Secret's data: letters, digits, `-`, `_` and `.`, at most 253 characters")),
            Arg::Text => None,
        }
    }
}

impl Checker<'_> {
    /// Two secrets whose deploy-time variables would have the same name
    /// (`a__b`, and `a` with a listed key `b`) are an error (E0202).
    pub(crate) fn check_secret_variables(&mut self) {
        let mut seen: crate::HashMap<String, (String, Span)> = Default::default();
        for s in self.tables.secrets.clone() {
            let Some(keys) = secret_keys(s) else { continue };
            let lists = lists_keys(s);
            for (key, _) in keys {
                let var = secret_variable(&s.name.name, lists, &key);
                match seen.get(&var) {
                    Some((other, span)) if *other != s.name.name => {
                        self.err(
                            Diagnostic::error(
                                "E0202",
                                format!(
                                    "secrets `{other}` and `{}` would share the deploy-time variable `{var}`",
                                    s.name.name
                                ),
                                s.name.span,
                            )
                            .with_label("this secret's variable clashes")
                            .with_secondary(*span, "with this secret's")
                            .with_help("rename one of the secrets"),
                        );
                        break;
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(var, (s.name.name.clone(), s.name.span));
                    }
                }
            }
        }
    }

    /// Checks a secret declaration's source call.
    pub(crate) fn check_secret_source(&mut self, s: &ast::SecretDecl) {
        if !regex_is_match(INSTANCE_NAME, &s.name.name) {
            self.err(
                Diagnostic::error(
                    "E0305",
                    format!(
                        "secret name `{}` is not usable as a Kubernetes name",
                        s.name.name
                    ),
                    s.name.span,
                )
                .with_label("must be lowercase letters, digits and `_`, start with a letter")
                .with_note(
                    "the name becomes part of the generated Secret's name (`_` turns into `-`)",
                )
                .with_help(format!(
                    "e.g. `{}`",
                    suggest_dns(&s.name.name).replace('-', "_")
                )),
            );
        }
        let call = &s.source;
        let name = call.func.name.as_str();
        let (expected, sig) = match name {
            "env" => (1, "env(\"VARIABLE\") or env({ \"key\" = \"VARIABLE\", ... })"),
            "kubernetes_secret" => (2, "kubernetes_secret(\"secret-name\", \"key\") or kubernetes_secret(\"secret-name\", [\"key\", ...])"),
            "external_secret" => (3, "external_secret(\"store\", \"remote/path\", \"property\") or external_secret(\"store\", \"remote/path\", [\"property\", ...])"),
            "template" => (2, "template(\"text with {{ .name }}\", { name = secret, ... }) or template({ \"key\" = \"text\", ... }, { name = secret, ... })"),
            other => {
                let mut d = Diagnostic::error(
                    "E0315",
                    format!("unknown secret source `{other}`"),
                    call.func.span,
                )
                .with_label("not a secret source");
                let all = "the sources are env(\"VAR\"), kubernetes_secret(\"name\", \"key\"), external_secret(\"store\", \"path\", \"property\") and template(\"text\", { name = secret })";
                d = d.with_suggestion(other, SECRET_SOURCES.iter().copied(), Some(all.to_string()));
                self.err(d);
                return;
            }
        };
        if call.args.len() != expected {
            self.err(
                Diagnostic::error(
                    "E0315",
                    format!(
                        "`{name}` takes {expected} argument{}, found {}",
                        if expected == 1 { "" } else { "s" },
                        call.args.len()
                    ),
                    call.span,
                )
                .with_label("wrong number of arguments")
                .with_help(format!("write `{sig}`")),
            );
            return;
        }
        if name == "template" {
            self.check_template_shape(s);
            return;
        }
        let last = call.args.len() - 1;
        for (k, a) in call.args.iter().enumerate() {
            let rule = match (name, k) {
                ("env", _) => Arg::EnvVar,
                (_, 0) => Arg::SecretName,
                (_, k) if k == last => Arg::Key,
                _ => Arg::Text,
            };
            match (&a.kind, name) {
                // The keys: a list of them, or for `env` a map from key to
                // variable.
                (ExprKind::List(items), "kubernetes_secret" | "external_secret") if k == last => {
                    if !self.check_key_count(name, items.len(), a.span) {
                        continue;
                    }
                    let mut keys = Vec::new();
                    for item in items {
                        if self.check_secret_arg(name, item, Arg::Key) {
                            if let ExprKind::Str(lit) = &item.kind {
                                keys.push((lit.as_plain().unwrap_or_default(), item.span));
                            }
                        }
                    }
                    self.check_distinct_keys(name, &keys);
                }
                (ExprKind::Record(entries), "env") => {
                    if !self.check_key_count(name, entries.len(), a.span) {
                        continue;
                    }
                    let mut keys = Vec::new();
                    for en in entries {
                        match (&en.key, plain_key(&en.key)) {
                            (_, Some(key)) if valid(Arg::Key, &key) => {
                                keys.push((key, en.key.span()));
                            }
                            (key, Some(text)) => self.bad_arg(name, &text, key.span(), Arg::Key),
                            (key, None) => self.err(
                                Diagnostic::error(
                                    "E0315",
                                    format!("the keys of `{name}` must be fixed text"),
                                    key.span(),
                                )
                                .with_label("interpolated key"),
                            ),
                        }
                        self.check_secret_arg(name, &en.value, Arg::EnvVar);
                    }
                    self.check_distinct_keys(name, &keys);
                }
                _ => {
                    self.check_secret_arg(name, a, rule);
                }
            }
        }
    }

    /// The shape of `template(TEXTS, INPUTS)`: keys of a map of texts, and
    /// inputs that name secrets (not templates), each with a placeholder
    /// name. The texts are typed after the instances (they may read them):
    /// [`Checker::check_secret_templates`].
    fn check_template_shape(&mut self, s: &ast::SecretDecl) {
        let [texts, inputs] = s.source.args.as_slice() else {
            return;
        };
        if let ExprKind::Record(entries) = &texts.kind {
            if self.check_key_count("template", entries.len(), texts.span) {
                let mut keys = Vec::new();
                for en in entries {
                    match plain_key(&en.key) {
                        Some(key) if valid(Arg::Key, &key) => keys.push((key, en.key.span())),
                        Some(key) => self.bad_arg("template", &key, en.key.span(), Arg::Key),
                        None => self.err(
                            Diagnostic::error(
                                "E0315",
                                "the keys of `template` must be fixed text",
                                en.key.span(),
                            )
                            .with_label("interpolated key"),
                        ),
                    }
                }
                self.check_distinct_keys("template", &keys);
            }
        }
        let ExprKind::Record(entries) = &inputs.kind else {
            self.err(
                Diagnostic::error("E0315", "the inputs of `template` must be a map of secrets", inputs.span)
                    .with_label("expected `{ name = secret, ... }`")
                    .with_help("name each secret the text reads: `{ password = db_password }` fills `{{ .password }}`"),
            );
            return;
        };
        let written = template_inputs(s);
        for en in entries {
            let Some(name) = en.key.plain() else {
                self.err(
                    Diagnostic::error(
                        "E0315",
                        "the input names of `template` must be fixed text",
                        en.key.span(),
                    )
                    .with_label("interpolated name"),
                );
                continue;
            };
            if !regex_is_match(PLACEHOLDER, &name.name) {
                self.err(
                    Diagnostic::error(
                        "E0315",
                        format!("{:?} cannot name a template input", name.name),
                        name.span,
                    )
                    .with_label("must be letters, digits and `_`, not starting with a digit")
                    .with_note("the text reads it as `{{ .NAME }}`"),
                );
                continue;
            }
            let Some(input) = written.iter().find(|w| w.span == en.value.span) else {
                self.err(
                    Diagnostic::error("E0315", "a template input must name a secret", en.value.span)
                        .with_label("not a secret's name")
                        .with_help("write the name of a secret declaration, or one of its keys: `db[\"password\"]`"),
                );
                continue;
            };
            match self.tables.globals.get(input.secret) {
                Some((crate::tables::Global::Secret(j), _)) => {
                    let other = self.tables.secrets[*j];
                    if other.source.func.name == "template" {
                        self.err(
                            Diagnostic::error(
                                "E0315",
                                format!("secret `{}` is a template too", input.secret),
                                en.value.span,
                            )
                            .with_label("a template cannot read another template")
                            .with_help("read the secrets that template reads instead"),
                        );
                    } else if let (Some(key), Some(keys)) = (&input.key, secret_keys(other)) {
                        if !keys.iter().any(|(k, _)| k == key) {
                            let listed: Vec<String> =
                                keys.iter().map(|(k, _)| format!("{k:?}")).collect();
                            self.err(
                                Diagnostic::error(
                                    "E0308",
                                    format!("secret `{}` has no key {key:?}", input.secret),
                                    en.value.span,
                                )
                                .with_label("no such key")
                                .with_note(format!("its keys are {}", listed.join(", "))),
                            );
                        }
                    }
                    // An input without a key of a secret with several is
                    // E0328, reported when the secret is evaluated.
                }
                _ => self.err(
                    Diagnostic::error(
                        "E0201",
                        format!("unknown secret `{}`", input.secret),
                        en.value.span,
                    )
                    .with_label("not a secret of the platform"),
                ),
            }
        }
    }

    /// Types the texts of `template` secrets: strings, which may read
    /// instances and `platform` but no secret (E0307).
    pub(crate) fn check_secret_templates(&mut self) {
        let ctx = crate::expr::Ctx {
            globals: true,
            ..Default::default()
        };
        for s in self.tables.secrets.clone() {
            if s.source.func.name != "template" || s.source.args.len() != 2 {
                continue;
            }
            for text in template_texts(s) {
                self.check_expr(text, &crate::types::Ty::String, &ctx);
            }
        }
    }

    fn check_key_count(&mut self, name: &str, n: usize, span: Span) -> bool {
        if (1..=MAX_SECRET_KEYS).contains(&n) {
            return true;
        }
        self.err(
            Diagnostic::error(
                "E0315",
                format!("`{name}` takes 1 to {MAX_SECRET_KEYS} keys, found {n}"),
                span,
            )
            .with_label(if n == 0 { "no keys" } else { "too many keys" }),
        );
        false
    }

    /// Two keys that are the same, or that become the same Terraform
    /// variable name, are an error.
    fn check_distinct_keys(&mut self, name: &str, keys: &[(String, Span)]) {
        for (k, (key, span)) in keys.iter().enumerate() {
            let Some((first, first_span)) = keys[..k]
                .iter()
                .find(|(other, _)| same_identifier(other, key))
            else {
                continue;
            };
            let d = if first == key {
                Diagnostic::error(
                    "E0311",
                    format!("key {key:?} of `{name}` is listed twice"),
                    *span,
                )
                .with_label("listed again here")
                .with_secondary(*first_span, "first listed here")
            } else {
                Diagnostic::error(
                    "E0315",
                    format!("keys {first:?} and {key:?} of `{name}` differ only in punctuation"),
                    *span,
                )
                .with_label("clashes with an earlier key")
                .with_secondary(*first_span, "this key")
                .with_note(format!(
                    "each key has its own Terraform variable, and both would be `{}`",
                    key_identifier(key)
                ))
            };
            self.err(d.with_help("give every key a distinct name"));
        }
    }

    /// Checks one argument that must be a string literal; true when valid.
    fn check_secret_arg(&mut self, name: &str, a: &Expr, rule: Arg) -> bool {
        match &a.kind {
            ExprKind::Str(lit) if lit.plain().is_some_and(|s| !s.is_empty()) => {
                let text = lit.plain().unwrap_or_default();
                if valid(rule, &text) {
                    return true;
                }
                self.bad_arg(name, &text, a.span, rule);
                false
            }
            _ => {
                self.err(
                    Diagnostic::error(
                        "E0315",
                        format!("the arguments of `{name}` must be non-empty string literals"),
                        a.span,
                    )
                    .with_label("expected a string literal"),
                );
                false
            }
        }
    }

    fn bad_arg(&mut self, name: &str, text: &str, span: Span, rule: Arg) {
        let what = rule.rule().map_or("non-empty", |(_, what)| what);
        self.err(
            Diagnostic::error(
                "E0315",
                format!("{text:?} is not a valid argument of `{name}`"),
                span,
            )
            .with_label(format!("must be {what}")),
        );
    }
}

/// What each argument names must be valid where platc writes it: a shell
/// variable in the deploy hint, a Kubernetes Secret name, a key of a
/// Secret's data.
fn valid(rule: Arg, text: &str) -> bool {
    match rule.rule() {
        Some((pattern, _)) => text.len() <= 253 && regex_is_match(pattern, text),
        None => !text.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Comparing keys as identifiers without making them agrees with
    /// making both and comparing.
    #[test]
    fn same_identifier_agrees_with_key_identifier() {
        let keys = [
            "",
            "a",
            "A",
            "a.b",
            "a-b",
            "a_b",
            "ab",
            "a..b",
            "a__b",
            "été",
            "__t_",
            "ét",
            "a.b.",
            "password",
            "pass-word",
            "pass.word",
            "x1",
            "x-1",
            "1x",
            "é",
            "_",
            "-",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(
                    same_identifier(a, b),
                    key_identifier(a) == key_identifier(b),
                    "{a:?} and {b:?}"
                );
            }
        }
    }
}
