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
mod memo;

use platc_diag::{Diagnostic, Label, Severity, Span};
use platc_graph::PlatformGraph;
use platc_sema::{Platform, PolicySeverity, WaiverTarget};

pub use collections::{Element, Subject, SubjectRef};

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

/// The values files of an instance, read: what the user adds to the values
/// platc writes.
pub type UserValues<'a> = dyn Fn(&platc_sema::Instance) -> Vec<&'a serde_json::Value> + Sync + 'a;

/// Evaluates every active policy of `platform`.
pub fn evaluate(
    platform: &Platform,
    graph: &PlatformGraph,
    user_values: &UserValues<'_>,
) -> Evaluation {
    evaluate_with(platform, graph, user_values, Paths::FAST)
}

/// Which of the fast paths of [`evaluate`] to take: each gives the result
/// of the general path (tests check it).
#[derive(Clone, Copy)]
struct Paths {
    /// Settle parameters by their declarations ([`param_masks`]).
    settle_params: bool,
    /// Evaluate a condition once per distinct value of the fields it reads
    /// ([`memo`]).
    memoize_conditions: bool,
    /// Settle edges by their kind ([`edge_masks`]).
    settle_edges: bool,
}

impl Paths {
    const FAST: Paths = Paths {
        settle_params: true,
        memoize_conditions: true,
        settle_edges: true,
    };
}

/// [`evaluate`], by the fast paths `paths` asks for.
fn evaluate_with(
    platform: &Platform,
    graph: &PlatformGraph,
    user_values: &UserValues<'_>,
    paths: Paths,
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
    // What each collection's records must hold: the fields the active
    // rules read.
    let pvalue = policy_platform_value(platform);
    // Rules that fail for no element whatever it is (a condition on the
    // platform that does not hold): evaluated over nothing.
    let skipped: std::collections::HashSet<(usize, usize)> = active
        .iter()
        .flat_map(|&pi| {
            let pvalue = &pvalue;
            platform.policies[pi]
                .rules
                .iter()
                .enumerate()
                .filter(move |(_, r)| {
                    r.filter
                        .as_ref()
                        .is_some_and(|f| f.false_for_every_element(&r.var, pvalue))
                })
                .map(move |(ri, _)| (pi, ri))
        })
        .collect();
    // The rules in force, in order: of the active policies, those not
    // skipped.
    let in_force: Vec<(usize, usize)> = active
        .iter()
        .flat_map(|&pi| (0..platform.policies[pi].rules.len()).map(move |ri| (pi, ri)))
        .filter(|k| !skipped.contains(k))
        .collect();
    let mut needs: std::collections::HashMap<&'static str, collections::Need> =
        std::collections::HashMap::new();
    for &(pi, ri) in &in_force {
        let rule = &platform.policies[pi].rules[ri];
        let Some(key) = platc_sema::rule::COLLECTIONS
            .iter()
            .find(|c| **c == rule.collection)
        else {
            continue;
        };
        let exprs = rule
            .filter
            .iter()
            .chain(std::iter::once(&rule.message))
            .chain(rule.help.iter());
        let entry = needs.entry(key).or_insert_with(|| Some(Default::default()));
        for e in exprs {
            match (e.reads(&rule.var), entry.as_mut()) {
                (Some(fields), Some(set)) => set.extend(fields),
                (None, _) => *entry = None,
                (Some(_), None) => {}
            }
        }
    }
    // The rules over `params`, in order: the bit of each in an element's
    // `rules`.
    let param_rules: Vec<(usize, usize)> = in_force
        .iter()
        .copied()
        .filter(|&(pi, ri)| platform.policies[pi].rules[ri].collection == "params")
        .collect();
    let mut built = collections::Collections::new(platform, graph, user_values, needs);
    if let Some(masks) =
        param_masks(platform, &param_rules, &pvalue).filter(|_| paths.settle_params)
    {
        built = built.with_param_masks(masks);
    }
    let edge_rules: Vec<(usize, usize)> = in_force
        .iter()
        .copied()
        .filter(|&(pi, ri)| platform.policies[pi].rules[ri].collection == "edges")
        .collect();
    if let Some(masks) = edge_masks(platform, &edge_rules, &pvalue).filter(|_| paths.settle_edges) {
        built = built.with_edge_masks(masks);
    }
    // Collection by collection, in the order of first use: each is built
    // once, serves every rule over it, and is dropped before the next is
    // built, so memory holds one collection at a time.
    let mut order: Vec<&'static str> = Vec::new();
    for &(pi, ri) in &in_force {
        let collection = &platform.policies[pi].rules[ri].collection;
        if let Some(key) = platc_sema::rule::COLLECTIONS
            .iter()
            .find(|c| *c == collection)
        {
            if !order.contains(key) {
                order.push(key);
            }
        }
    }
    // Instance-based collections go in chunks of instances, so that memory
    // holds a few chunks' elements at a time; the chunks are evaluated on
    // the machine's cores (each element on its own, so the findings are
    // the same), and their findings put back in order.
    const CHUNK: usize = 2048;
    let mut chunks: Vec<(&'static str, std::ops::Range<usize>)> = Vec::new();
    for key in order {
        let n = built.units(key);
        chunks.extend(
            (0..n.max(1))
                .step_by(CHUNK)
                .map(|a| (key, a..(a + CHUNK).min(n))),
        );
    }
    let results = platc_diag::par::map(&chunks, |(key, range)| {
        let chunk = Chunk {
            key,
            range: range.clone(),
            memoize_conditions: paths.memoize_conditions,
        };
        evaluate_chunk(platform, &in_force, &built, &pvalue, chunk)
    });
    // (policy, rule, chunk, element) of each finding, to restore the order
    // of policies, then elements.
    let mut keyed: Vec<((usize, usize, usize, usize), Finding)> = Vec::new();
    let mut errors: Vec<((usize, usize, usize, usize), Diagnostic)> = Vec::new();
    for (c, r) in results.into_iter().enumerate() {
        keyed.extend(
            r.findings
                .into_iter()
                .map(|((p, ru, e), f)| ((p, ru, c, e), f)),
        );
        errors.extend(
            r.errors
                .into_iter()
                .map(|((p, ru, e), d)| ((p, ru, c, e), d)),
        );
    }
    keyed.sort_by_key(|(k, _)| *k);
    out.findings = keyed.into_iter().map(|(_, f)| f).collect();
    // One failing expression is reported once: its first error.
    errors.sort_by_key(|(k, _)| *k);
    errors.dedup_by_key(|((p, r, _, _), _)| (*p, *r));
    out.errors = errors.into_iter().map(|(_, d)| d).collect();
    out
}

/// What the rules found in one chunk: findings and evaluation errors,
/// keyed by (policy, rule, element in the chunk).
#[derive(Default)]
struct ChunkResult {
    findings: Vec<((usize, usize, usize), Finding)>,
    errors: Vec<((usize, usize, usize), Diagnostic)>,
}

/// A part of one collection that [`evaluate_chunk`] evaluates.
struct Chunk {
    /// The collection.
    key: &'static str,
    /// Its units (instances, edges) in the chunk.
    range: std::ops::Range<usize>,
    /// Whether conditions are memoized ([`memo`]).
    memoize_conditions: bool,
}

/// Evaluates every active rule over the collection of `chunk` on its
/// elements.
fn evaluate_chunk(
    platform: &Platform,
    in_force: &[(usize, usize)],
    built: &collections::Collections<'_, '_>,
    pvalue: &platc_sema::Value,
    chunk: Chunk,
) -> ChunkResult {
    let mut out = ChunkResult::default();
    let key = chunk.key;
    let Some(elements) = built.chunk(key, chunk.range) else {
        return out;
    };
    // The index of each rule among the rules over the collection: its bit
    // in an element's `rules`.
    let mut k = 0;
    for &(pi, ri) in in_force {
        let policy = &platform.policies[pi];
        let rule = &policy.rules[ri];
        if rule.collection != key {
            continue;
        }
        let code = platc_diag::intern_code(&policy.code);
        let bit = 1u64.checked_shl(k).unwrap_or(0);
        k += 1;
        let mut condition = memo::Condition::new(rule, chunk.memoize_conditions);
        // The waivers of the policy, in order, made when the rule first
        // fails (not compared by name for every finding).
        let mut waivers: Option<Vec<usize>> = None;
        for (ei, el) in elements.iter().enumerate() {
            if bit != 0 && el.rules & bit == 0 {
                continue;
            }
            let holds = match condition.holds(el, pvalue) {
                Ok(b) => b,
                Err(d) => {
                    out.errors.push(((pi, ri, ei), *d));
                    break;
                }
            };
            if !holds {
                continue;
            }
            let text = |e: &platc_sema::rule::RuleExpr| -> Result<String, Box<Diagnostic>> {
                match e.eval(&rule.var, el.record(), pvalue)? {
                    platc_sema::Value::Str(s) => Ok(s.to_string()),
                    v => Ok(v.interpolate().unwrap_or_default()),
                }
            };
            let (message, help) = match (
                text(&rule.message),
                rule.help.as_ref().map(text).transpose(),
            ) {
                (Ok(m), Ok(h)) => (m, h),
                (Err(d), _) | (_, Err(d)) => {
                    out.errors.push(((pi, ri, ei), *d));
                    break;
                }
            };
            let subject = el.subject.to_subject();
            let waivers = waivers.get_or_insert_with(|| {
                (0..platform.waivers.len())
                    .filter(|&w| platform.waivers[w].policy == policy.name)
                    .collect()
            });
            let matching = |expired: bool| {
                waivers.iter().copied().find(|&w| {
                    let w = &platform.waivers[w];
                    w.expired == expired && waives(&w.target, &subject)
                })
            };
            let waived_by = matching(false);
            let expired_waiver = matching(true).map(|w| {
                let w = &platform.waivers[w];
                (w.span, w.until.map(|d| d.to_string()))
            });
            out.findings.push((
                (pi, ri, ei),
                Finding {
                    policy: pi,
                    policy_name: policy.name.clone(),
                    pack: policy.pack.clone(),
                    code,
                    severity: policy.severity,
                    message,
                    help,
                    span: el.span(),
                    // The condition that held (the whole rule without one).
                    rule_span: rule.filter.as_ref().map_or(rule.span, |f| f.span()),
                    subject,
                    waived_by,
                    waiver_reason: waived_by.map(|w| platform.waivers[w].reason.clone()),
                    expired_waiver,
                },
            ));
        }
    }
    out
}

/// For each parameter of each component, which of `rules` (the active
/// rules over `params`) may fail for it: a rule whose condition starts
/// with operands that read only the parameter's declaration (`name`,
/// `component`, `type`, `secret`), one of them false for this parameter,
/// fails for none of its elements, in any instance, so those operands are
/// evaluated once per component parameter, not once per instance. An
/// operand that does not evaluate to a boolean leaves the rule to the
/// element (which reports the error). `None` when some rule has no such
/// operand (every parameter is then built), or there are more rules than
/// bits.
fn param_masks<'p>(
    platform: &'p Platform,
    rules: &[(usize, usize)],
    pvalue: &platc_sema::Value,
) -> Option<collections::ParamMasks<'p>> {
    use platc_sema::Value;
    if rules.is_empty() || rules.len() > 64 {
        return None;
    }
    let leading: Vec<(&str, Vec<platc_sema::rule::RuleExpr>)> = rules
        .iter()
        .map(|&(pi, ri)| {
            let r = &platform.policies[pi].rules[ri];
            let ops = r.filter.as_ref().map_or(Vec::new(), |f| {
                f.leading_operands_reading(&r.var, &collections::PARAM_DECLARATION_FIELDS)
            });
            (r.var.as_str(), ops)
        })
        .collect();
    if leading.iter().any(|(_, ops)| ops.is_empty()) {
        return None;
    }
    let mut masks = collections::ParamMasks::default();
    for c in &platform.components {
        for x in &c.params {
            let declaration = Value::map(
                [
                    ("name", Value::Str(x.name.as_str().into())),
                    ("component", Value::Str(c.name.as_str().into())),
                    ("type", Value::Str(x.ty.as_str().into())),
                    ("secret", Value::Bool(x.ty == "secret" || x.ty == "secret?")),
                ]
                .into_iter()
                .map(|(k, v)| (k.into(), v))
                .collect(),
            );
            let mut mask = 0u64;
            for (k, (var, ops)) in leading.iter().enumerate() {
                // Stops at the first operand not true, as `&&` does.
                let first_not_true = ops
                    .iter()
                    .map(|op| op.eval(var, &declaration, pvalue))
                    .find(|v| !matches!(v, Ok(Value::Bool(true))));
                let ruled_out = matches!(first_not_true, Some(Ok(Value::Bool(false))));
                if !ruled_out {
                    mask |= 1 << k;
                }
            }
            masks
                .entry((c.name.as_str(), x.name.as_str()))
                .or_insert(mask);
        }
    }
    Some(masks)
}

/// For each kind of edge (in [`platc_sema::rule::EDGE_KINDS`] order), which
/// of `rules` (the active rules over `edges`) may fail for an edge of that
/// kind: a rule whose condition starts with operands that read only the
/// edge's `kind` (`e.kind == "reference" && ...`), one of them false for
/// the kind, fails for no edge of it, so those operands are evaluated once
/// per kind, and an edge that no rule may fail is not built. An operand
/// that does not evaluate to a boolean leaves the rule to the element
/// (which reports the error); a rule without such operands may fail for
/// every kind. `None` when there are more rules than bits.
fn edge_masks(
    platform: &Platform,
    rules: &[(usize, usize)],
    pvalue: &platc_sema::Value,
) -> Option<collections::EdgeMasks> {
    use platc_sema::Value;
    if rules.len() > 64 {
        return None;
    }
    let mut masks = [0u64; 3];
    for (k, &(pi, ri)) in rules.iter().enumerate() {
        let r = &platform.policies[pi].rules[ri];
        let ops = r.filter.as_ref().map_or(Vec::new(), |f| {
            f.leading_operands_reading(&r.var, &["kind"])
        });
        for (mask, kind) in masks.iter_mut().zip(platc_sema::rule::EDGE_KINDS) {
            let record = Value::map(
                [("kind".into(), Value::Str((*kind).into()))]
                    .into_iter()
                    .collect(),
            );
            // Stops at the first operand not true, as `&&` does.
            let first_not_true = ops
                .iter()
                .map(|op| op.eval(&r.var, &record, pvalue))
                .find(|v| !matches!(v, Ok(Value::Bool(true))));
            if !matches!(first_not_true, Some(Ok(Value::Bool(false)))) {
                *mask |= 1 << k;
            }
        }
    }
    Some(masks)
}

/// Whether the rule's condition holds for an element (always, without a
/// condition).
fn holds(
    rule: &platc_sema::Rule,
    el: &Element<'_>,
    platform: &platc_sema::Value,
) -> Result<bool, Box<Diagnostic>> {
    let Some(filter) = &rule.filter else {
        return Ok(true);
    };
    Ok(matches!(
        filter.eval(&rule.var, el.record(), platform)?,
        platc_sema::Value::Bool(true)
    ))
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

/// `platform` in a policy: the platform's `name`, `domain`, `namespace` and
/// `environment`, and `provides`, the interfaces that its instances
/// provide (each once, sorted).
fn policy_platform_value(platform: &Platform) -> platc_sema::Value {
    use platc_sema::Value;
    let mut fields = match platform.value() {
        Value::Map(m) => (*m).clone(),
        _ => unreachable!("the platform's value is a record"),
    }
    .into_entries();
    // Each interface once (a few, provided by thousands of instances),
    // then sorted.
    let mut provides: Vec<&str> = platform
        .instances
        .iter()
        .flat_map(|i| i.provides.iter().map(|p| p.interface.as_str()))
        .collect::<std::collections::HashSet<&str, foldhash::fast::FixedState>>()
        .into_iter()
        .collect();
    provides.sort_unstable();
    fields.insert(
        "provides".into(),
        Value::list(provides.into_iter().map(|p| Value::Str(p.into())).collect()),
    );
    Value::map(fields)
}

/// Every example of the repository with a `main.plat`, checked: what the
/// tests comparing two ways of computing the same thing run over.
#[cfg(test)]
pub(crate) fn example_checks() -> Vec<(std::path::PathBuf, platc_driver::Compilation)> {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&examples).expect("the examples") {
        let dir = dir.expect("an entry").path();
        if !dir.join("main.plat").exists() {
            continue;
        }
        let c = platc_driver::check_path(
            &platc_driver::RealFs,
            &dir,
            &platc_driver::Options::default(),
        )
        .expect("readable");
        out.push((dir, c));
    }
    out
}

#[cfg(test)]
mod tests {
    /// Memoized conditions give the findings and errors of conditions
    /// evaluated element by element, in the same order: with failing
    /// policies over every collection (built-in and the platform's own),
    /// waivers that apply and expired ones, and a condition whose
    /// evaluation fails (for the images a values file adds), on the base
    /// platform and under each environment.
    #[test]
    fn memoized_conditions_give_the_same_findings() {
        let src = format!(
            "{}\n{}",
            include_str!("../../../examples/quickstart/main.plat"),
            r#"
policy all_edges severity warn code "P0011" {
  for e in edges where e.kind != "observes" && e.from_namespace == e.to_namespace
    fail e "${e.from} -> ${e.to} (${e.kind})"
    help "of ${e.interface}"
}

policy private_endpoints severity warn code "P0012" {
  for e in exposes where !e.public || e.auth != none
    fail e "${e.instance}.${e.name} on ${e.host}"
}

policy some_images severity warn code "P0013" {
  for i in instances where len(i.images) > 0 && !contains(i.provides, "NoSuchThing")
    fail i "${i.name}: ${join(i.images, ", ")}"
}

policy many_images severity warn code "P0014" {
  for i in instances where len(i.images) > 4 && pad_left("x", 2, i.images[0]) != ""
    fail i "${i.name}"
}

policy every_secret severity warn code "P0015" {
  for s in secrets where s.source != "template"
    fail s "${s.name} from ${s.source}"
}

policy guarded_edges severity warn code "P0016" {
  for e in edges where e.kind != "observes" && e.kind != "requires" && e.from != e.to
    fail e "${e.from} -> ${e.to}"
}

policy guard_fails severity warn code "P0017" {
  for i in instances where len(i.images) > 4 && pad_left("x", 2, i.images[0]) != "" && i.name != ""
    fail i "${i.name}"
}

policy guard_of_none severity warn code "P0018" {
  for i in instances where i.chart != none && len(i.images) > 1
    fail i "${i.name}"
}

allow all_edges for orchestrator -> metadb reason "waived"
allow all_edges for orchestrator reason "expired" until 2020-01-01
allow private_endpoints for sso.web reason "the sign-in endpoint"
allow some_images for lake reason "waived"
"#
        );
        let c = platc_driver::check_source("main.plat", &src, &platc_driver::Options::default());
        assert!(!c.has_errors(), "{:#?}", c.diagnostics);
        // Five more images for some instances: `many_images` fails to
        // evaluate for them.
        let images = serde_json::json!({
            "a": { "image": "a:1" }, "b": { "image": "b:1" }, "c": { "image": "c:1" },
            "d": { "image": "d:1" }, "e": { "image": "e:1" },
        });
        let values = |i: &platc_sema::Instance| {
            if i.name.len().is_multiple_of(2) {
                vec![&images]
            } else {
                Vec::new()
            }
        };
        let general = super::Paths {
            settle_params: false,
            memoize_conditions: false,
            settle_edges: false,
        };
        let mut compared = 0;
        for p in c.platforms() {
            let g = platc_graph::build(p).expect("no cycle");
            let fast = super::evaluate_with(p, &g, &values, super::Paths::FAST);
            let slow = super::evaluate_with(p, &g, &values, general);
            assert_eq!(
                format!("{:?}", fast.findings),
                format!("{:?}", slow.findings)
            );
            assert_eq!(format!("{:?}", fast.errors), format!("{:?}", slow.errors));
            assert!(fast.errors.iter().any(|d| d.message.contains("pad_left")));
            assert_eq!(
                fast.errors
                    .iter()
                    .filter(|d| d.message.contains("pad_left"))
                    .count(),
                2,
                "{:?}",
                fast.errors
            );
            for code in ["P0011", "P0012", "P0013", "P0015", "P0016", "P0018"] {
                assert!(fast.findings.iter().any(|f| f.code == code), "{code}");
            }
            assert!(fast.findings.iter().any(|f| f.waived_by.is_some()));
            assert!(fast.findings.iter().any(|f| f.expired_waiver.is_some()));
            compared += fast.findings.len();
            // The rules over edges, and one over instances, are guarded
            // by their leading operands.
            let guarded = p
                .policies
                .iter()
                .filter(|x| ["P0011", "P0016", "P0017", "P0018"].contains(&x.code.as_str()))
                .filter(|x| crate::memo::Condition::new(&x.rules[0], true).guarded())
                .count();
            assert_eq!(guarded, 4);
            // Every rule over edges is settled by the kind for observed
            // edges, which are then not built.
            let edge_rules: Vec<(usize, usize)> = (0..p.policies.len())
                .filter(|&pi| p.policies[pi].active(p))
                .flat_map(|pi| {
                    p.policies[pi]
                        .rules
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.collection == "edges")
                        .map(move |(ri, _)| (pi, ri))
                })
                .collect();
            assert!(edge_rules.len() >= 3, "{edge_rules:?}");
            let masks = super::edge_masks(p, &edge_rules, &p.value()).expect("few rules");
            assert_eq!(masks[2], 0, "observes: {masks:?}");
            assert_ne!(masks[0], 0, "reference: {masks:?}");
        }
        assert!(compared > 20, "{compared} findings compared");
    }

    /// A condition that reads one list (an instance's images) settles the
    /// elements that share it by its address, with the outcomes the
    /// condition gives element by element: on instances whose images are
    /// shared, identical in other chunks, or their own.
    #[test]
    fn conditions_settled_by_address_as_by_evaluation() {
        let src = format!(
            "{}\n{}",
            include_str!("../../../examples/quickstart/main.plat"),
            r#"
policy two_images severity warn code "P0021" {
  for i in instances where len(i.images) > 1
    fail i "${i.name}"
}

policy failing severity warn code "P0022" {
  for i in instances where len(i.images) > 4 && pad_left("x", 2, i.images[0]) != ""
    fail i "${i.name}"
}
"#
        );
        let c = platc_driver::check_source("main.plat", &src, &platc_driver::Options::default());
        let p = c.platform.as_ref().expect("the quickstart checks");
        let g = c.graph.as_ref().expect("and has a graph");
        let one = serde_json::json!({ "a": { "image": "a:1" } });
        let many = serde_json::json!({
            "a": { "image": "a:1" }, "b": { "image": "b:1" }, "c": { "image": "c:1" },
            "d": { "image": "d:1" }, "e": { "image": "e:1" },
        });
        let values = |i: &platc_sema::Instance| match i.name.len() % 3 {
            0 => vec![&one],
            1 => vec![&many],
            _ => Vec::new(),
        };
        let pvalue = super::policy_platform_value(p);
        let mut by_address = 0;
        // Errors and results compared.
        let mut outcomes = [0, 0];
        for code in ["P0021", "P0022"] {
            let policy = p.policies.iter().find(|x| x.code == code).unwrap();
            let rule = &policy.rules[0];
            let need = rule.filter.as_ref().unwrap().reads(&rule.var);
            let n = p.instances.len();
            for size in [1, 2, n] {
                let built = crate::collections::Collections::new(
                    p,
                    g,
                    &values,
                    [("instances", need.clone())].into_iter().collect(),
                );
                for a in (0..n).step_by(size) {
                    let elements = built.chunk("instances", a..a + size).unwrap();
                    let mut condition = crate::memo::Condition::new(rule, true);
                    for el in &elements {
                        let fast = condition.holds(el, &pvalue);
                        let slow = super::holds(rule, el, &pvalue);
                        assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{code}");
                        outcomes[usize::from(slow.is_ok())] += 1;
                    }
                    by_address += condition.settled_by_address();
                }
            }
        }
        assert!(by_address > 4, "{by_address} elements settled by address");
        assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
    }

    /// A condition that reads of a list's items only some fields (the
    /// `requests` and `limits` of `resources` blocks, not their paths)
    /// settles instances whose blocks agree on those alike, with the
    /// outcomes it gives element by element: blocks at other paths, in
    /// other numbers, set or not, with another field read beside them and
    /// an evaluation that fails.
    #[test]
    fn conditions_keyed_by_the_item_fields_read_as_by_evaluation() {
        let src = format!(
            "{}\n{}",
            include_str!("../../../examples/quickstart/main.plat"),
            r#"
policy unset_resources severity warn code "P0031" {
  for i in instances where len([for r in i.resources if !r.requests || !r.limits: r]) > 0
    fail i "${i.name}"
}

policy two_requests severity warn code "P0032" {
  for i in instances where len([for r in i.resources if r.requests: r]) > 1 && contains(i.images, "i2:1") && pad_left("x", 2, i.images[0]) != ""
    fail i "${i.name}"
}

policy by_path severity warn code "P0033" {
  for i in instances where len([for r in i.resources if ends_with(r.path, "b.resources"): r]) > 0 && contains(i.images, "i0:1")
    fail i "${i.name}"
}
"#
        );
        let c = platc_driver::check_source("main.plat", &src, &platc_driver::Options::default());
        assert!(!c.has_errors(), "{:#?}", c.diagnostics);
        let p = c.platform.as_ref().expect("the quickstart checks");
        let g = c.graph.as_ref().expect("and has a graph");
        let both = serde_json::json!({ "requests": { "cpu": "1" }, "limits": { "cpu": "1" } });
        let requests = serde_json::json!({ "requests": { "cpu": "1" } });
        // Every instance has blocks at paths of its own, one to three of
        // them, alike in what they set for instances of the same kind.
        let values_of = |k: usize, name: &str| -> serde_json::Value {
            let mut m = serde_json::Map::new();
            for j in 0..1 + k % 3 {
                let r = if (k + j).is_multiple_of(2) {
                    &both
                } else {
                    &requests
                };
                m.insert(
                    format!("w{name}{j}"),
                    serde_json::json!({ "resources": r, "image": format!("i{j}:1") }),
                );
            }
            if k.is_multiple_of(4) {
                m.insert("b".into(), serde_json::json!({ "resources": both }));
            }
            serde_json::Value::Object(m)
        };
        let files: std::collections::HashMap<&str, serde_json::Value> = p
            .instances
            .iter()
            .enumerate()
            .map(|(k, i)| (i.name.as_str(), values_of(k % 5, &i.name)))
            .collect();
        let values = |i: &platc_sema::Instance| vec![&files[i.name.as_str()]];
        let pvalue = super::policy_platform_value(p);
        let mut reused = [0, 0, 0];
        let mut outcomes = [0, 0];
        let mut held = [0, 0];
        for (k, code) in ["P0031", "P0032", "P0033"].into_iter().enumerate() {
            let policy = p.policies.iter().find(|x| x.code == code).unwrap();
            let rule = &policy.rules[0];
            let need = rule.filter.as_ref().unwrap().reads(&rule.var);
            let n = p.instances.len();
            for size in [1, 2, n] {
                let built = crate::collections::Collections::new(
                    p,
                    g,
                    &values,
                    [("instances", need.clone())].into_iter().collect(),
                );
                for a in (0..n).step_by(size) {
                    let elements = built.chunk("instances", a..a + size).unwrap();
                    let mut condition = crate::memo::Condition::new(rule, true);
                    for el in &elements {
                        let fast = condition.holds(el, &pvalue);
                        let slow = super::holds(rule, el, &pvalue);
                        assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{code}");
                        outcomes[usize::from(slow.is_ok())] += 1;
                        held[usize::from(matches!(slow, Ok(true)))] += 1;
                    }
                    reused[k] += condition.reused();
                }
            }
        }
        // Each instance's blocks have their own paths: a key of whole
        // lists would settle none of them alike (`P0033`, which reads the
        // paths, settles none).
        assert_eq!(reused[2], 0);
        assert!(reused[0] > 1 && reused[1] > 0, "{reused:?}");
        assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
        assert!(held[0] > 0 && held[1] > 0, "{held:?}");
    }

    /// Settling parameters by their declarations changes what is built,
    /// never what is found.
    #[test]
    fn parameters_settled_by_their_declarations_give_the_same_findings() {
        let src = format!(
            "{}\n{}",
            include_str!("../../../examples/quickstart/main.plat"),
            r#"
policy ints_set severity warn code "P0001" {
  for p in params where matches(p.type, "^(int|bytes)") && p.set
    fail p "${p.instance}.${p.name} is set"
}

policy named_values severity warn code "P0002" {
  for p in params where !p.secret && matches(p.name, "^(namespace|image|tag|host)$") && p.value != none
    fail p "${p.instance}.${p.name} = ${default(p.value, "")}"
}
"#
        );
        let c = platc_driver::check_source("main.plat", &src, &platc_driver::Options::default());
        let p = c.platform.as_ref().expect("the quickstart checks");
        let g = c.graph.as_ref().expect("and has a graph");
        let none = |_: &platc_sema::Instance| Vec::new();
        let found = |settle: bool| -> Vec<(String, platc_diag::Span)> {
            let paths = super::Paths {
                settle_params: settle,
                memoize_conditions: false,
                settle_edges: true,
            };
            let e = super::evaluate_with(p, g, &none, paths);
            assert!(e.errors.is_empty(), "{:?}", e.errors);
            e.findings
                .iter()
                .map(|f| (f.message.clone(), f.span))
                .collect()
        };
        let settled = found(true);
        assert_eq!(settled, found(false));
        assert!(
            settled.iter().any(|(m, _)| m.ends_with(" is set")),
            "{settled:?}"
        );
        assert!(
            settled.iter().any(|(m, _)| m.contains(" = ")),
            "{settled:?}"
        );
        // And most parameters are never built: the rules over `params`
        // rule them out by their declarations.
        let rules: Vec<(usize, usize)> = (0..p.policies.len())
            .flat_map(|pi| {
                p.policies[pi]
                    .rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.collection == "params")
                    .map(move |(ri, _)| (pi, ri))
            })
            .collect();
        assert_eq!(rules.len(), 3, "P1101 and the two above");
        let masks = super::param_masks(p, &rules, &p.value())
            .expect("every rule has leading declaration operands");
        let ruled_out = masks.values().filter(|m| **m == 0).count();
        assert!(
            ruled_out * 2 > masks.len(),
            "{ruled_out} of {}",
            masks.len()
        );
        assert_ne!(masks[&("postgres", "storage")], 0, "bytes");
        assert_eq!(masks[&("postgres", "database")], 0, "a string of no rule");
    }
}
