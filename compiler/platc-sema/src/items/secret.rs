//! Secrets: their names and their sources (`env`, `kubernetes_secret`,
//! `external_secret`).

use platc_diag::Diagnostic;
use platc_syntax::ast::{self, ExprKind};

use crate::analyze::Checker;
use crate::vocab::{regex_is_match, suggest_dns, INSTANCE_NAME, SECRET_SOURCES};

/// An environment variable a shell can export.
const ENV_VAR: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
/// A Kubernetes object name (RFC 1123 subdomain; the length is checked apart).
const DNS_SUBDOMAIN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// A key of a Secret's data.
const SECRET_KEY: &str = "^[-._a-zA-Z0-9]+$";

impl Checker<'_> {
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
        let expected = match name {
            "env" => 1,
            "kubernetes_secret" => 2,
            "external_secret" => 3,
            other => {
                let mut d = Diagnostic::error(
                    "E0315",
                    format!("unknown secret source `{other}`"),
                    call.func.span,
                )
                .with_label("not a secret source");
                let all = "the sources are env(\"VAR\"), kubernetes_secret(\"name\", \"key\") and external_secret(\"store\", \"path\", \"property\")";
                d = d.with_suggestion(other, SECRET_SOURCES.iter().copied(), Some(all.to_string()));
                self.err(d);
                return;
            }
        };
        if call.args.len() != expected {
            let sig = match name {
                "env" => "env(\"VARIABLE\")",
                "kubernetes_secret" => "kubernetes_secret(\"secret-name\", \"key\")",
                _ => "external_secret(\"store\", \"remote/path\", \"property\")",
            };
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
        for (k, a) in call.args.iter().enumerate() {
            match &a.kind {
                ExprKind::Str(lit) if lit.as_plain().is_some_and(|s| !s.is_empty()) => {
                    let text = lit.as_plain().unwrap_or_default();
                    // What each argument names must be valid where platc
                    // writes it: a shell variable in the deploy hint, a
                    // Kubernetes Secret name, a key of a Secret's data.
                    let (pattern, what): (&'static str, &str) = match (name, k) {
                        ("env", 0) => (ENV_VAR, "an environment variable name: letters, digits and `_`, not starting with a digit"),
                        ("kubernetes_secret", 0) | ("external_secret", 0) => (DNS_SUBDOMAIN, "a Kubernetes name: lowercase letters, digits, `-` and `.`, at most 253 characters"),
                        ("kubernetes_secret", 1) | ("external_secret", 2) => (SECRET_KEY, "a key of a Secret's data: letters, digits, `-`, `_` and `.`, at most 253 characters"),
                        _ => continue,
                    };
                    if text.len() > 253 || !regex_is_match(pattern, &text) {
                        self.err(
                            Diagnostic::error(
                                "E0315",
                                format!("{text:?} is not a valid argument of `{name}`"),
                                a.span,
                            )
                            .with_label(format!("must be {what}")),
                        );
                    }
                }
                _ => self.err(
                    Diagnostic::error(
                        "E0315",
                        format!("the arguments of `{name}` must be non-empty string literals"),
                        a.span,
                    )
                    .with_label("expected a string literal"),
                ),
            }
        }
    }
}
