//! Policy evaluation: every active policy of a checked platform, rule by
//! rule, over the collections built from the platform and its graph
//! (spec 6.7), with the waivers applied (6.8).
//!
//! Input: a [`Platform`] and its [`PlatformGraph`], and the user's values
//! files of each instance (for the facts about images and resources).
//! Output: an [`Evaluation`]: every finding, waived or not, and the result
//! of every policy; [`Evaluation::diagnostics`] turns the unwaived findings
//! into diagnostics under the policies' codes.
//!
//! Architecture invariant: reads the checked platform and the graph, never
//! the syntax tree; expressions are evaluated through
//! [`platc_sema::rule::RuleExpr`]. Knows no service by name: the facts it
//! derives from values (images, resources, persistence) follow Helm's
//! conventions, not any chart's.

pub mod audit;
mod collections;
mod facts;

use platc_diag::{Diagnostic, Label, Severity, Span};
use platc_graph::PlatformGraph;
use platc_sema::{Platform, PolicySeverity, WaiverTarget};

pub use collections::{Element, Subject};

/// The result of evaluating the policies of one platform.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The environment of the platform (`None`: the base platform).
    pub environment: Option<String>,
    /// Every failure, waived or not, in policy order, then element order.
    pub findings: Vec<Finding>,
    /// Errors in evaluating a rule (a failing built-in): reported as they
    /// are.
    pub errors: Vec<Diagnostic>,
}

/// One element for which a rule of a policy fails.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The index of the policy in [`Platform::policies`].
    pub policy: usize,
    pub policy_name: String,
    /// The built-in pack of the policy, if any.
    pub pack: Option<String>,
    pub code: &'static str,
    pub severity: PolicySeverity,
    pub message: String,
    pub help: Option<String>,
    /// The offending declaration.
    pub span: Span,
    /// The rule that failed: its `where` condition.
    pub rule_span: Span,
    pub subject: Subject,
    /// The index in [`Platform::waivers`] of the waiver that exempts it.
    pub waived_by: Option<usize>,
    /// The reason of that waiver.
    pub waiver_reason: Option<String>,
    /// An expired waiver that would have matched it: its declaration and
    /// date.
    pub expired_waiver: Option<(Span, Option<String>)>,
}

/// Values files of an instance, by instance name: what the user adds to
/// the values platc writes.
pub type UserValues<'a> = dyn Fn(&str) -> Vec<&'a serde_json::Value> + 'a;

/// Evaluates every active policy of `platform`.
pub fn evaluate(
    platform: &Platform,
    graph: &PlatformGraph,
    user_values: &UserValues<'_>,
) -> Evaluation {
    let mut out = Evaluation {
        environment: platform.environment.clone(),
        findings: Vec::new(),
        errors: Vec::new(),
    };
    let active: Vec<usize> = (0..platform.policies.len())
        .filter(|&i| platform.policies[i].active(platform))
        .collect();
    if active.is_empty() {
        return out;
    }
    let mut built = collections::Collections::new(platform, graph, user_values);
    let pvalue = platform.value();
    for &pi in &active {
        let policy = &platform.policies[pi];
        let code = platc_diag::intern_code(&policy.code);
        for rule in &policy.rules {
            let Some(elements) = built.get(&rule.collection) else {
                continue;
            };
            for el in elements {
                let holds = match &rule.filter {
                    None => true,
                    Some(f) => match f.eval(&rule.var, &el.value, &pvalue) {
                        Ok(platc_sema::Value::Bool(b)) => b,
                        Ok(_) => false,
                        Err(d) => {
                            out.errors.push(*d);
                            // One failing expression is reported once.
                            break;
                        }
                    },
                };
                if !holds {
                    continue;
                }
                let text = |e: &platc_sema::rule::RuleExpr| -> Result<String, Box<Diagnostic>> {
                    match e.eval(&rule.var, &el.value, &pvalue)? {
                        platc_sema::Value::Str(s) => Ok(s),
                        v => Ok(v.interpolate().unwrap_or_default()),
                    }
                };
                let message = match text(&rule.message) {
                    Ok(m) => m,
                    Err(d) => {
                        out.errors.push(*d);
                        break;
                    }
                };
                let help = match rule.help.as_ref().map(text).transpose() {
                    Ok(h) => h,
                    Err(d) => {
                        out.errors.push(*d);
                        break;
                    }
                };
                let matching = |expired: bool| {
                    platform.waivers.iter().position(|w| {
                        w.policy == policy.name
                            && w.expired == expired
                            && waives(&w.target, &el.subject)
                    })
                };
                let waived_by = matching(false);
                out.findings.push(Finding {
                    policy: pi,
                    policy_name: policy.name.clone(),
                    pack: policy.pack.clone(),
                    code,
                    severity: policy.severity,
                    message,
                    help,
                    span: el.span,
                    // The condition that held (the whole rule without one).
                    rule_span: rule.filter.as_ref().map_or(rule.span, |f| f.span()),
                    subject: el.subject.clone(),
                    waived_by,
                    waiver_reason: waived_by.map(|w| platform.waivers[w].reason.clone()),
                    expired_waiver: matching(true).map(|w| {
                        let w = &platform.waivers[w];
                        (w.span, w.until.map(|d| d.to_string()))
                    }),
                });
            }
        }
    }
    out
}

/// Whether a waiver of `target` exempts a finding about `subject`.
pub fn waives(target: &WaiverTarget, subject: &Subject) -> bool {
    match (target, subject) {
        (WaiverTarget::Instance(i), Subject::Instance(j))
        | (WaiverTarget::Instance(i), Subject::Endpoint(j, _))
        | (WaiverTarget::Instance(i), Subject::Param(j, _))
        | (WaiverTarget::Instance(i), Subject::Edge(j, _)) => i == j,
        (WaiverTarget::Endpoint(i, p), Subject::Endpoint(j, q)) => i == j && p == q,
        (WaiverTarget::Secret(s), Subject::Secret(t)) => s == t,
        (WaiverTarget::Edge(a, b), Subject::Edge(c, d)) => a == c && b == d,
        _ => false,
    }
}

impl Evaluation {
    /// The diagnostics of the unwaived findings (`deny`: error, `warn`:
    /// warning), then the evaluation errors.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .findings
            .iter()
            .filter(|f| f.waived_by.is_none())
            .map(Finding::diagnostic)
            .collect();
        out.extend(self.errors.iter().cloned());
        out
    }

    /// How many findings of policy `p` are not waived.
    pub fn failures(&self, p: usize) -> usize {
        self.findings
            .iter()
            .filter(|f| f.policy == p && f.waived_by.is_none())
            .count()
    }
}

impl Finding {
    /// The diagnostic of the finding (what is reported when no waiver
    /// exempts it).
    pub fn diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic {
            code: self.code,
            severity: match self.severity {
                PolicySeverity::Deny => Severity::Error,
                PolicySeverity::Warn => Severity::Warning,
            },
            message: self.message.clone(),
            primary: Label::new(self.span, format!("fails policy `{}`", self.policy_name)),
            secondary: vec![Label::new(
                self.rule_span,
                format!(
                    "the rule of `{}` ({})",
                    self.policy_name,
                    self.severity.as_str()
                ),
            )],
            notes: Vec::new(),
            help: self.help.clone(),
        };
        if let Some((span, until)) = &self.expired_waiver {
            d.secondary.push(Label::new(
                *span,
                match until {
                    Some(u) => format!("this waiver expired on {u}"),
                    None => "this waiver has expired".to_string(),
                },
            ));
        }
        if let Some(pack) = &self.pack {
            d.notes.push(format!(
                "policy `{}` is in the built-in `{pack}` pack; `platc explain {}` says more",
                self.policy_name, self.code
            ));
        }
        d
    }
}
