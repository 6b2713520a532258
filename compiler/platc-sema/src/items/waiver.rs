//! Waivers: the policy and the instance, endpoint, secret or edge they
//! name, their reason and their expiry date.

use platc_diag::{Diagnostic, Severity};
use platc_syntax::ast;

use crate::analyze::Checker;
use crate::tables::Global;

impl Checker<'_> {
    pub(crate) fn check_waiver(&mut self, idx: usize) {
        let w = self.waivers[idx];
        if !self
            .policies
            .iter()
            .any(|(p, _)| p.name.name == w.policy.name)
        {
            let names: Vec<String> = self
                .policies
                .iter()
                .map(|(p, _)| p.name.name.clone())
                .collect();
            let mut d = Diagnostic::error(
                "E0501",
                format!("no policy named `{}`", w.policy.name),
                w.policy.span,
            )
            .with_label("unknown policy");
            d = d.with_suggestion(
                &w.policy.name,
                names.iter().map(String::as_str),
                Some("a waiver names a policy that is declared or imported".to_string()),
            );
            self.err(d);
        }
        if w.edge {
            for end in &w.target {
                if !matches!(
                    self.tables.globals.get(&end.name),
                    Some((Global::Instance(_), _))
                ) {
                    self.unknown_waiver_target(end, false);
                }
            }
        } else {
            self.check_waiver_target(w);
        }
        if w.reason.as_plain().is_none() {
            // A reason is a record for people reading the platform later:
            // fixed text, never computed.
            self.err(
                Diagnostic::error(
                    "E0504",
                    "a waiver's reason cannot contain an interpolation",
                    w.reason.span,
                )
                .with_label("interpolation in the reason")
                .with_help("write the reason as plain text"),
            );
        } else if w.reason.as_plain().is_some_and(|r| r.trim().is_empty()) {
            self.err(
                Diagnostic::error("E0504", "a waiver needs a reason", w.reason.span)
                    .with_label("empty reason")
                    .with_help("say why the policy does not apply here, for the next reviewer"),
            );
        }
        if let Some((date, span)) = w.until {
            // An invalid date is E0106 already: no expiry to judge.
            if date.is_calendar_date() && date < self.program.today {
                self.err(
                    Diagnostic::new(
                        "W0501",
                        format!("waiver of `{}` expired on {date}", w.policy.name),
                        platc_diag::Label::new(span, "this date has passed"),
                    )
                    .with_severity(Severity::Warning)
                    .with_note("an expired waiver no longer applies: the policy is enforced again")
                    .with_help("fix the finding, or renew the waiver with a new date and reason"),
                );
            }
        }
    }

    /// An instance, an endpoint `instance.point`, or a secret.
    fn check_waiver_target(&mut self, w: &ast::WaiverDecl) {
        let name = &w.target[0];
        if self.tables.clashing.contains_key(&name.name) {
            // Defined twice (E0202): which one is waived is unknown.
            return;
        }
        match self.tables.globals.get(&name.name) {
            Some((Global::Instance(i), _)) => {
                if let Some(point) = w.target.get(1) {
                    let decl = self.tables.instances[*i].0;
                    if !decl.exposes.iter().any(|e| e.name.name == point.name) {
                        let names: Vec<&str> =
                            decl.exposes.iter().map(|e| e.name.name.as_str()).collect();
                        let mut d = Diagnostic::error(
                            "E0502",
                            format!(
                                "instance `{}` exposes no endpoint `{}`",
                                name.name, point.name
                            ),
                            point.span,
                        )
                        .with_label("unknown endpoint")
                        .with_secondary(decl.name.span, "instance declared here");
                        d = d.with_suggestion(&point.name, names.iter().copied(), None);
                        self.err(d);
                    }
                }
            }
            Some((Global::Secret(_), _)) => {
                if let Some(point) = w.target.get(1) {
                    self.err(
                        Diagnostic::error(
                            "E0502",
                            format!("secret `{}` has no endpoints", name.name),
                            point.span,
                        )
                        .with_label("a secret is waived as a whole")
                        .with_help(format!("write `for {}`", name.name)),
                    );
                }
            }
            None => self.unknown_waiver_target(name, true),
        }
    }

    fn unknown_waiver_target(&mut self, name: &ast::Ident, secrets_too: bool) {
        let names: Vec<String> = self
            .tables
            .globals
            .iter()
            .filter(|(_, (g, _))| secrets_too || matches!(g, Global::Instance(_)))
            .map(|(n, _)| n.clone())
            .collect();
        let what = if secrets_too {
            "instance or secret"
        } else {
            "instance"
        };
        let mut d = Diagnostic::error(
            "E0502",
            format!("no {what} named `{}`", name.name),
            name.span,
        )
        .with_label("unknown waiver target");
        d = d.with_suggestion(&name.name, names.iter().map(String::as_str), None);
        self.err(d);
    }
}
