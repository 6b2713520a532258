//! Policies: their codes (well-formed and unique) and rules over the
//! platform's collections.

use crate::HashMap;

use platc_diag::{Diagnostic, Span};

use crate::analyze::Checker;
use crate::expr::Ctx;
use crate::rule::{collection_type, COLLECTIONS};
use crate::types::Ty;
use crate::vocab::regex_is_match;

impl Checker<'_> {
    pub(crate) fn check_policy(&mut self, idx: usize) {
        let (p, file) = self.policies[idx];
        let in_pack = self
            .program
            .units
            .iter()
            .any(|u| u.file == file && u.policy_pack.is_some());
        match p.code.as_plain() {
            Some(c) if regex_is_match("^P1[0-9]{3}$", &c) && !in_pack => self.err(
                Diagnostic::error(
                    "E0503",
                    format!("policy code `{c}` is reserved for the built-in policy packs"),
                    p.code.span,
                )
                .with_label("a built-in pack's code")
                .with_help("pick a code outside P1000-P1999, e.g. `P0101`"),
            ),
            Some(c) if regex_is_match("^P[0-9]{4}$", &c) => {}
            _ => self.err(
                Diagnostic::error("E0503", "a policy code must look like `P0101`", p.code.span)
                    .with_label("not a policy code")
                    .with_help("write `P` followed by four digits"),
            ),
        }
        if p.rules.is_empty() {
            self.err(
                Diagnostic::error(
                    "E0503",
                    format!("policy `{}` has no rules", p.name.name),
                    p.name.span,
                )
                .with_label("empty policy")
                .with_help("add a rule: `for e in exposes where ... fail e \"message\"`"),
            );
        }
        let params = crate::rule::params_record(&self.tables);
        for r in &p.rules {
            let Some(elem) = collection_type(&r.collection.name, &params) else {
                self.unknown_name(
                    "collection",
                    &r.collection.name,
                    r.collection.span,
                    COLLECTIONS.iter().map(|s| s.to_string()).collect(),
                    Some("the collections are exposes, instances, secrets, edges and params"),
                );
                continue;
            };
            let ctx = Ctx {
                locals: vec![(r.var.name.clone(), elem)],
                in_policy: true,
                ..Ctx::default()
            };
            if let Some(f) = &r.filter {
                self.check_expr(f, &Ty::Bool, &ctx);
            }
            if r.subject.name != r.var.name {
                self.err(
                    Diagnostic::error(
                        "E0503",
                        format!("`fail` must name the loop variable `{}`", r.var.name),
                        r.subject.span,
                    )
                    .with_label("not the loop variable")
                    .with_secondary(r.var.span, "the loop variable"),
                );
            }
            self.check_expr(&r.message, &Ty::String, &ctx);
            if let Some(h) = &r.help {
                self.check_expr(h, &Ty::String, &ctx);
            }
        }
    }

    pub(crate) fn check_policy_codes(&mut self) {
        let mut seen: HashMap<String, Span> = HashMap::default();
        for (p, _) in self.policies.clone() {
            let Some(code) = p.code.as_plain() else {
                continue;
            };
            if let Some(prev) = seen.get(&code) {
                let prev = *prev;
                self.err(
                    Diagnostic::error(
                        "E0202",
                        format!("policy code `{code}` is used twice"),
                        p.code.span,
                    )
                    .with_label("used again here")
                    .with_secondary(prev, "first used here")
                    .with_help("every policy needs its own code"),
                );
            } else {
                seen.insert(code, p.code.span);
            }
        }
    }
}
