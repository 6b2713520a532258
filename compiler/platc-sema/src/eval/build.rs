//! Building the checked platform: every instance evaluated into its
//! arguments, Helm values, provides, expose blocks and references, and the
//! platform's secrets.

use crate::HashMap;
use std::collections::BTreeMap;

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast::{self, ExprKind};

use super::{Env, Evaluator};
use crate::tables::Global;
use crate::types::Ty;
use crate::value::{SecretId, Value};

/// A Kubernetes object name (an RFC 1123 subdomain).
/// A Kubernetes object name (a DNS subdomain), as a pattern: what
/// [`is_object_name`] checks, kept for its test.
#[cfg(test)]
const OBJECT_NAME: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// Whether `name` is a Kubernetes object name (a DNS subdomain, without
/// its length limit): labels of lowercase letters, digits and `-`, each
/// starting and ending with a letter or digit, joined by `.`. (Checked for
/// every object: by hand, not by a regular expression.)
fn is_object_name(name: &str) -> bool {
    name.split('.').all(|label| {
        let b = label.as_bytes();
        let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        match (b.first(), b.last()) {
            (Some(first), Some(last)) => {
                alnum(first) && alnum(last) && b.iter().all(|c| alnum(c) || *c == b'-')
            }
            _ => false,
        }
    })
}

/// How many instances a worker of a parallel evaluation takes at a time
/// (a platform of at most that many is evaluated on one thread).
const INSTANCE_CHUNK: usize = 256;

static CHUNK_OVERRIDE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets the chunk size of parallel evaluation for the whole process from
/// now on (`0`: back to the default): for tests that evaluate every
/// instance on a worker of its own, to compare with one thread.
#[doc(hidden)]
pub fn set_instance_chunk(n: usize) {
    CHUNK_OVERRIDE.store(n, std::sync::atomic::Ordering::Relaxed);
}

fn instance_chunk() -> usize {
    match CHUNK_OVERRIDE.load(std::sync::atomic::Ordering::Relaxed) {
        0 => INSTANCE_CHUNK,
        n => n,
    }
}

/// What one worker of [`Evaluator::args_of_level`] gives back: the memos
/// it filled, and what it spent and reported.
struct ArgsResult<'a> {
    used: u64,
    exhausted: bool,
    cycle: bool,
    args: super::InstMap<super::ArgsState>,
    frames: super::InstMap<super::Frame<'a>>,
    enabled: HashMap<usize, bool>,
    providers: HashMap<String, super::Providers>,
    diagnostics: Vec<Diagnostic>,
    observes: Vec<(usize, usize, String, Span)>,
}

/// Instances to evaluate, each with its references.
type Work = Vec<(usize, Vec<crate::Reference>)>;

/// What one worker of [`Evaluator::evaluate_instances`] gives back: each
/// instance it evaluated (and whether it failed without a word), the
/// references it was given (for a sequential rerun), and what it spent,
/// reported and observed.
struct WorkerResult {
    out: Vec<(usize, Option<crate::Instance>, bool)>,
    refs: Work,
    used: u64,
    exhausted: bool,
    diagnostics: Vec<Diagnostic>,
    observes: Vec<(usize, usize, String, Span)>,
}

impl<'t, 'a> Evaluator<'t, 'a> {
    /// Evaluates every instance and builds the checked platform.
    pub fn platform(&mut self) -> Option<crate::Platform> {
        // Which edges each component hands on, and which it reads as data
        // (6.3.11).
        let member: Vec<crate::items::network::MemberFlows<'a>> = self
            .t
            .comps
            .iter()
            .map(|c| crate::items::network::member_flows(c.decl))
            .collect();
        let member_of = |i: usize| self.t.instances[i].2.map(|c| &member[c.0 as usize]);
        let mut references: Vec<Vec<crate::Reference>> = vec![Vec::new(); self.t.instances.len()];
        for refs in crate::refs::references(self.t, self.env).values() {
            for r in refs {
                self.ref_spans.entry((r.from, r.to)).or_insert(r.span);
                let flows = self.flows(r.from, &r.attr);
                let m = member_of(r.from);
                references[r.from].push(crate::Reference {
                    target: self.t.instances[r.to].0.name.name.clone(),
                    attr: r.attr.clone(),
                    flows,
                    hands_on: m.is_some_and(|m| m.handed_params.contains(r.attr.as_str())),
                    data: m.is_some_and(|m| m.data_params.contains(r.attr.as_str())),
                    span: r.span,
                });
            }
        }
        // Instances an environment switches off take no part: nothing may
        // refer to them (E0325).
        let n = self.t.instances.len();
        let mut enabled = vec![true; n];
        let mut off_at = vec![None; n];
        for i in 0..n {
            (enabled[i], off_at[i]) = self.enabled(i);
        }
        for (i, refs) in references.iter().enumerate() {
            if !enabled[i] {
                continue;
            }
            for r in refs {
                let Some(j) = self.t.globals.get(&r.target).and_then(|(g, _)| match g {
                    crate::tables::Global::Instance(j) => Some(*j),
                    _ => None,
                }) else {
                    continue;
                };
                if enabled[j] {
                    continue;
                }
                let mut d = Diagnostic::error(
                    "E0325",
                    format!(
                        "`{}` refers to `{}`, which is switched off",
                        self.t.instances[i].0.name.name, r.target
                    ),
                    r.span,
                )
                .with_label(format!("`{}` is not deployed here", r.target));
                if let Some(at) = off_at[j] {
                    d = d.with_secondary(at, format!("`{}` is switched off here", r.target));
                }
                if let Some(env) = self.env {
                    d = d.with_note(format!("in environment `{}`", env.name.name));
                }
                self.diagnostics.push(d.with_help(format!(
                    "keep `{}` enabled, or give `{}` something else in this environment",
                    r.target, self.t.instances[i].0.name.name
                )));
            }
        }
        self.check_requirements(&enabled, &off_at);
        let mut instances = self.evaluate_instances(references, &enabled);
        // What each instance observes through `all(...)`: once per
        // (observer, observed, interface), reaching it unless every call
        // that observed it is inside one of the component's assertions.
        let in_assert = |from: usize, call: platc_diag::Span| -> bool {
            let Some(comp) = self.t.instances[from].2 else {
                return false;
            };
            self.t.comps[comp.0 as usize].decl.asserts.iter().any(|a| {
                a.cond.span.file == call.file
                    && a.cond.span.start <= call.start
                    && call.end <= a.cond.span.end
            })
        };
        // The attributes of each instance, with this environment's
        // overrides of them: an `all(...)` call written there is made for
        // the param the attribute sets.
        let mut overrides: HashMap<usize, Vec<(&str, &ast::Expr)>> = HashMap::default();
        for o in self.env.iter().flat_map(|e| &e.overrides) {
            if let [head, attr] = &o.target[..] {
                if let Some((Global::Instance(i), _)) = self.t.globals.get(&head.name) {
                    overrides
                        .entry(*i)
                        .or_default()
                        .push((attr.name.as_str(), &o.value));
                }
            }
        }
        // Per (observer, observed, interface): whether some call takes it
        // (outside the assertions), whether some call hands it on, and
        // whether every call that takes it reads it as data.
        let mut merged: std::collections::BTreeMap<(usize, usize, String), (bool, bool, bool)> =
            std::collections::BTreeMap::new();
        for (from, to, interface, call) in std::mem::take(&mut self.observes) {
            let reach = !in_assert(from, call);
            let (hands_on, data) = match member_of(from) {
                Some(m) => {
                    let attrs = self.t.instances[from]
                        .0
                        .attrs
                        .iter()
                        .map(|a| (a.name.name.as_str(), &a.value))
                        .chain(overrides.get(&from).into_iter().flatten().copied());
                    m.call(call, attrs)
                }
                None => (false, false),
            };
            let e = merged
                .entry((from, to, interface))
                .or_insert((false, false, true));
            e.0 |= reach;
            e.1 |= hands_on;
            if reach {
                e.2 &= data;
            }
        }
        let position: HashMap<&str, usize> = instances
            .iter()
            .enumerate()
            .map(|(k, inst)| (inst.name.as_str(), k))
            .collect();
        let mut found: Vec<(usize, crate::Observed)> = Vec::new();
        for ((from, to, interface), (reach, hands_on, data)) in merged {
            let from = self.t.instances[from].0.name.name.as_str();
            let target = self.t.instances[to].0.name.name.clone();
            if let Some(&k) = position.get(from) {
                found.push((
                    k,
                    crate::Observed {
                        target,
                        interface,
                        reach,
                        hands_on,
                        data: reach && data,
                    },
                ));
            }
        }
        for (k, o) in found {
            instances[k].observes.push(o);
        }
        let ingress = self.serve_routes(&mut instances, &enabled, &off_at);
        self.distinct_objects(&instances);
        let p = self.t.platform?;
        let pv = self.platform_value();
        let field = |k: &str| match &pv {
            Value::Map(m) => m.get(k).cloned(),
            _ => None,
        };
        let mut secrets = Vec::new();
        let mut failed = false;
        for (i, s) in self.t.secrets.iter().enumerate() {
            let arg = |n: usize| match s.source.args.get(n).map(|a| &a.kind) {
                Some(ExprKind::Str(lit)) => lit.as_plain(),
                _ => None,
            };
            let keyed = crate::items::secret::secret_keys(s)?;
            let keys: Vec<String> = keyed.iter().map(|(k, _)| k.clone()).collect();
            let source = match s.source.func.name.as_str() {
                "env" => crate::SecretSource::Env {
                    variables: keyed.into_iter().map(|(_, v)| v).collect(),
                },
                "kubernetes_secret" => crate::SecretSource::KubernetesSecret { name: arg(0)? },
                // Every template is checked, then a failure stops.
                "template" => match self.template_source(s) {
                    Some(source) => source,
                    None => {
                        failed = true;
                        continue;
                    }
                },
                _ => crate::SecretSource::ExternalSecret {
                    store: arg(0)?,
                    path: arg(1)?,
                },
            };
            let sid = Value::Secret(SecretId::whole(i as u32));
            let Some(Value::Str(secret_name)) = self.field(&sid, "secret_name", s.name.span) else {
                return None;
            };
            secrets.push(crate::Secret {
                name: s.name.name.clone(),
                source,
                secret_name: secret_name.to_string(),
                keys,
                lists_keys: crate::items::secret::lists_keys(s),
                span: s.name.span,
            });
        }
        if failed {
            return None;
        }
        let mut components: Vec<crate::ComponentInfo> = Vec::new();
        for inst in &instances {
            if components.iter().any(|c| c.name == inst.component) {
                continue;
            }
            let Some(info) = self
                .t
                .comps
                .iter()
                .find(|c| c.decl.name.name == inst.component)
            else {
                continue;
            };
            let d = info.decl;
            components.push(crate::ComponentInfo {
                name: d.name.name.clone(),
                doc: d.doc.clone(),
                chart: inst.chart.clone(),
                params: info
                    .params
                    .iter()
                    .map(|p| crate::ParamInfo {
                        name: p.name.clone(),
                        ty: self.t.ty(&p.ty),
                        doc: d
                            .params
                            .iter()
                            .find(|x| x.name.name == p.name)
                            .and_then(|x| x.doc.clone()),
                        required: p.required,
                    })
                    .collect(),
                provides: d
                    .provides
                    .iter()
                    .map(|p| p.interface.name.name.clone())
                    .collect(),
                requires: d
                    .requires
                    .iter()
                    .map(|r| r.interface.name.name.clone())
                    .collect(),
                resources: d
                    .resources
                    .iter()
                    .map(|r| crate::ResourceInfo {
                        name: r.name.name.clone(),
                        api_version: r.api_version.as_plain().unwrap_or_default(),
                        kind: r.kind.name.clone(),
                        ready: match &r.ready {
                            Some(ast::Ready::Condition(c)) => Some(crate::ReadyWhen::Condition(
                                c.as_plain().unwrap_or_default(),
                            )),
                            Some(ast::Ready::Field(path, pattern)) => {
                                Some(crate::ReadyWhen::Field {
                                    path: path.as_plain().unwrap_or_default(),
                                    pattern: pattern.as_plain().unwrap_or_default(),
                                })
                            }
                            None => None,
                        },
                        route: r.route,
                        each: r.each.is_some(),
                    })
                    .collect(),
                exposes: d.exposes.iter().map(|e| e.name.name.clone()).collect(),
            });
        }
        let (policies, waivers) = crate::rule::lower(self.t);
        // `policy_packs = [...]` (checked to be a list of pack names), else
        // every pack.
        let policy_packs = match p
            .attrs
            .iter()
            .find(|a| a.name.name == "policy_packs")
            .and_then(|a| self.eval_no_platform(&a.value))
        {
            Some(Value::List(l)) => l
                .iter()
                .filter_map(|v| match v {
                    Value::Str(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
            _ => crate::rule::pack_names(self.t),
        };
        Some(crate::Platform {
            name: p.name.as_plain().unwrap_or_default(),
            domain: match field("domain") {
                Some(Value::Str(s)) => Some(s.to_string()),
                _ => None,
            },
            namespace: match field("namespace") {
                Some(Value::Str(s)) => s.to_string(),
                _ => String::new(),
            },
            environment: self.env.map(|e| e.name.name.clone()),
            environments: self
                .t
                .environments
                .iter()
                .map(|e| e.name.name.clone())
                .collect(),
            instances,
            secrets,
            secret_positions: Default::default(),
            chart_schemas: p
                .attrs
                .iter()
                .filter(|a| a.name.name == "chart_schemas")
                .flat_map(|a| match &a.value.kind {
                    ExprKind::Record(entries) => entries.as_slice(),
                    _ => &[],
                })
                .filter_map(|e| {
                    let ExprKind::Str(path) = &e.value.kind else {
                        return None;
                    };
                    Some(crate::ChartSchema {
                        chart: e.key.plain()?.name.to_string(),
                        path: path.as_plain()?,
                        span: e.value.span,
                    })
                })
                .collect(),
            components,
            ingress,
            policies,
            policy_packs,
            waivers,
            policy_param_fields: crate::rule::params_fields(self.t),
        })
    }

    /// The texts and inputs of a `template` secret: every `{{` in a text
    /// is a placeholder of an input, and every input is read (E0315).
    fn template_source(&mut self, s: &ast::SecretDecl) -> Option<crate::SecretSource> {
        use crate::items::secret::{placeholders, template_inputs, template_texts};
        let inputs = template_inputs(s);
        // A malformed input has been reported by the checker.
        match s.source.args.get(1).map(|a| &a.kind) {
            Some(ExprKind::Record(entries)) if entries.len() == inputs.len() => {}
            _ => return None,
        }
        let mut resolved = Vec::new();
        for input in &inputs {
            let Some((crate::tables::Global::Secret(j), _)) = self.t.globals.get(input.secret)
            else {
                return None;
            };
            let decl = self.t.secrets[*j];
            let id = SecretId {
                secret: *j as u32,
                key: match &input.key {
                    Some(k) => Some(
                        crate::items::secret::secret_keys(decl)?
                            .iter()
                            .position(|(x, _)| x == k)? as u32,
                    ),
                    None => None,
                },
            };
            resolved.push(crate::TemplateInput {
                name: input.name.to_string(),
                secret: decl.name.name.clone(),
                key: self.secret_key(id, input.span)?,
            });
        }
        let mut texts = Vec::new();
        let mut used = crate::HashSet::default();
        let mut ok = true;
        for e in template_texts(s) {
            let Value::Str(text) = self.eval(e, &Env::default())? else {
                return None;
            };
            match placeholders(&text) {
                Ok(found) => {
                    for (_, _, name) in found {
                        if inputs.iter().any(|i| i.name == name) {
                            used.insert(name.to_string());
                        } else {
                            ok = false;
                            let d = Diagnostic::error(
                                "E0315",
                                format!("the template reads `{{{{ .{name} }}}}`, which is not one of its inputs"),
                                e.span,
                            )
                            .with_label("unknown placeholder")
                            .with_suggestion(name, inputs.iter().map(|i| i.name), Some(format!(
                                "add the input: `{{ {name} = some_secret }}`"
                            )));
                            self.diagnostics.push(d);
                        }
                    }
                }
                Err(at) => {
                    ok = false;
                    let around: String = text[at..].chars().take(24).collect();
                    self.diagnostics.push(
                        Diagnostic::error(
                            "E0315",
                            format!("the template text has `{{{{` or `}}}}` that is not a placeholder, at {around:?}"),
                            e.span,
                        )
                        .with_label("only `{{ .NAME }}` placeholders may appear in a template text")
                        .with_note("the External Secrets Operator renders the text as a Go template; platc allows only placeholders, so that nothing else is evaluated at deploy time"),
                    );
                }
            }
            texts.push(text.to_string());
        }
        for input in &inputs {
            if !used.contains(input.name) && ok {
                ok = false;
                self.diagnostics.push(
                    Diagnostic::error(
                        "E0315",
                        format!("template input `{}` is not read by the text", input.name),
                        input.name_span,
                    )
                    .with_label("unused input")
                    .with_help(format!(
                        "read it with `{{{{ .{} }}}}`, or remove it",
                        input.name
                    )),
                );
            }
        }
        ok.then_some(crate::SecretSource::Template {
            texts,
            inputs: resolved,
        })
    }

    /// What flows along a reference written in `attr` of instance `i`.
    fn flows(&self, i: usize, attr: &str) -> String {
        let Some(comp) = self.t.instances[i].2 else {
            return "value".into();
        };
        let info = &self.t.comps[comp.0 as usize];
        match info.param_index.get(attr).map(|&k| &info.params[k]) {
            Some(p) => match p.ty.base() {
                Ty::Optional(t) => match t.base() {
                    t @ (Ty::Component(_) | Ty::Interface(_)) => self.t.ty(t),
                    _ => "value".into(),
                },
                t @ (Ty::Component(_) | Ty::Interface(_)) => self.t.ty(t),
                _ => "value".into(),
            },
            None => "value".into(),
        }
    }

    /// Every instance switched on, evaluated, in order. With more than one
    /// thread, every instance's args are computed first (they read each
    /// other), then the instances are evaluated in chunks on the
    /// machine's cores over the frozen args, each chunk by its own worker
    /// (`Evaluator::worker`). The result is the same as one after the other:
    /// instances are put back in order, diagnostics are sorted later, and
    /// what is observed is merged by key. Should the workers together
    /// spend more than the budget (what a `let` two chunks read is
    /// computed twice), the instances are evaluated again one after the
    /// other, which reports the limit where the sequential evaluation does.
    fn evaluate_instances(
        &mut self,
        references: Vec<Vec<crate::Reference>>,
        enabled: &[bool],
    ) -> Vec<crate::Instance> {
        let chunk = instance_chunk();
        let on: Vec<(usize, Vec<crate::Reference>)> = references
            .into_iter()
            .enumerate()
            .filter(|(i, _)| enabled[*i])
            .collect();
        if platc_diag::par::available() == 1 || on.len() <= chunk {
            return self.evaluate_in_order(on);
        }
        self.platform_value();
        for level in self.levels(&on) {
            self.args_of_level(&level, chunk);
        }
        let frozen = std::sync::Arc::new(self.freeze());
        let chunks: Vec<std::sync::Mutex<Work>> = {
            let mut on = on;
            let mut chunks = Vec::new();
            while !on.is_empty() {
                let rest = on.split_off(on.len().min(chunk));
                chunks.push(std::sync::Mutex::new(std::mem::replace(&mut on, rest)));
            }
            chunks
        };
        let (t, env, budget, checked_clean) = (self.t, self.env, self.budget, self.checked_clean);
        let results = platc_diag::par::map(&chunks, |chunk| {
            let mut w = Evaluator::worker(t, env, frozen.clone(), budget, checked_clean);
            let work = std::mem::take(&mut *chunk.lock().unwrap_or_else(|e| e.into_inner()));
            let mut refs_back = Vec::new();
            let mut out = Vec::new();
            for (i, refs) in work {
                let before = w.diagnostics.len();
                let r = w.instance_ir(i, refs.clone());
                let silent = r.is_none() && w.diagnostics.len() == before;
                out.push((i, r, silent));
                refs_back.push((i, refs));
            }
            WorkerResult {
                out,
                refs: refs_back,
                used: budget - w.budget,
                exhausted: w.exhausted,
                diagnostics: w.diagnostics,
                observes: w.observes,
            }
        });
        let used: u64 = results.iter().map(|r| r.used).sum();
        if used > self.budget || results.iter().any(|r| r.exhausted) {
            self.thaw_shared(frozen);
            let on = results.into_iter().flat_map(|r| r.refs).collect();
            return self.evaluate_in_order(on);
        }
        self.thaw_shared(frozen);
        self.budget -= used;
        let mut instances = Vec::new();
        let mut silent_failures = Vec::new();
        for r in results {
            self.diagnostics.extend(r.diagnostics);
            self.observes.extend(r.observes);
            for (i, inst, silent) in r.out {
                match inst {
                    Some(inst) => instances.push(inst),
                    None if silent => silent_failures.push(i),
                    None => {}
                }
            }
        }
        self.unreported_failures(silent_failures);
        instances
    }

    /// The instances of `on` by level: first those that refer to no
    /// other instance, then those that refer only to the first, and so on
    /// (an instance's args read the instances it refers to). Each level in
    /// the order of `on`.
    fn levels(&self, on: &[(usize, Vec<crate::Reference>)]) -> Vec<Vec<usize>> {
        let n = self.t.instances.len();
        let mut targets: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, refs) in on {
            for r in refs {
                if let Some((Global::Instance(j), _)) = self.t.globals.get(&r.target) {
                    if *j != *i {
                        targets[*i].push(*j);
                    }
                }
            }
        }
        // Depth-first, with a stack of its own (a chain may be as long as
        // the platform); a cycle (reported by the checker) counts once.
        const UNSEEN: usize = usize::MAX;
        const OPEN: usize = usize::MAX - 1;
        let mut level = vec![UNSEEN; n];
        for &(start, _) in on {
            if level[start] != UNSEEN {
                continue;
            }
            let mut stack = vec![(start, 0usize)];
            level[start] = OPEN;
            while let Some(&mut (i, ref mut next)) = stack.last_mut() {
                if let Some(&j) = targets[i].get(*next) {
                    *next += 1;
                    if level[j] == UNSEEN {
                        level[j] = OPEN;
                        stack.push((j, 0));
                    }
                    continue;
                }
                level[i] = targets[i]
                    .iter()
                    .map(|&j| match level[j] {
                        UNSEEN | OPEN => 0,
                        l => l + 1,
                    })
                    .max()
                    .unwrap_or(0);
                stack.pop();
            }
        }
        let mut out: Vec<Vec<usize>> = Vec::new();
        for &(i, _) in on {
            let l = level[i];
            if out.len() <= l {
                out.resize(l + 1, Vec::new());
            }
            out[l].push(i);
        }
        out
    }

    /// Computes the args of the instances of one level, in chunks on the
    /// machine's cores over the frozen args of the levels before it, and
    /// keeps what the workers computed. The instances of a level do not
    /// refer to each other; should a worker still meet a cycle (through
    /// `all(...)`) or the workers together overspend the budget, the level
    /// is computed again one instance after the other.
    fn args_of_level(&mut self, level: &[usize], chunk: usize) {
        if level.len() <= chunk {
            for &i in level {
                self.instance_args(i, self.t.instances[i].0.name.span);
            }
            return;
        }
        let frozen = std::sync::Arc::new(self.freeze());
        let chunks: Vec<&[usize]> = level.chunks(chunk).collect();
        let (t, env, budget, checked_clean) = (self.t, self.env, self.budget, self.checked_clean);
        let results = platc_diag::par::map(&chunks, |chunk| {
            let mut w = Evaluator::worker(t, env, frozen.clone(), budget, checked_clean);
            for &i in *chunk {
                w.instance_args(i, t.instances[i].0.name.span);
            }
            ArgsResult {
                used: budget - w.budget,
                exhausted: w.exhausted,
                cycle: w.diagnostics.iter().any(|d| d.code == "E0320"),
                args: w.args,
                frames: w.frames,
                enabled: w.enabled_memo,
                providers: w.providers_memo,
                diagnostics: w.diagnostics,
                observes: w.observes,
            }
        });
        self.thaw_shared(frozen);
        let used: u64 = results.iter().map(|r| r.used).sum();
        if used > self.budget || results.iter().any(|r| r.exhausted || r.cycle) {
            for &i in level {
                self.instance_args(i, self.t.instances[i].0.name.span);
            }
            return;
        }
        self.budget -= used;
        for r in results {
            self.diagnostics.extend(r.diagnostics);
            self.observes.extend(r.observes);
            for (i, a) in r.args.into_iter() {
                self.args.get_or_insert_with(i, || a);
            }
            // A worker's frame of an instance frozen before is a part of
            // it (the lets it read): the whole one stays.
            for (i, f) in r.frames.into_iter() {
                self.frames.get_or_insert_with(i, || f);
            }
            for (j, b) in r.enabled {
                self.enabled_memo.entry(j).or_insert(b);
            }
            for (k, v) in r.providers {
                self.providers_memo.entry(k).or_insert(v);
            }
        }
    }

    /// The instances of `on` evaluated one after the other.
    fn evaluate_in_order(
        &mut self,
        on: Vec<(usize, Vec<crate::Reference>)>,
    ) -> Vec<crate::Instance> {
        let mut instances = Vec::new();
        let mut silent_failures = Vec::new();
        for (i, refs) in on {
            let before = self.diagnostics.len();
            match self.instance_ir(i, refs) {
                Some(inst) => instances.push(inst),
                None if self.diagnostics.len() == before => silent_failures.push(i),
                None => {}
            }
        }
        self.unreported_failures(silent_failures);
        instances
    }

    /// Never drop an instance silently: instances whose evaluation gave up
    /// without saying why are reported here, when the evaluation reported
    /// no error at all. (An instance that reads another whose evaluation
    /// failed fails too, and that failure was reported: an error in the
    /// value of `big.size` makes `reader r { other = big }` fail as well.
    /// Once the budget is spent, evaluation stops everywhere: that was
    /// reported once.)
    fn unreported_failures(&mut self, instances: Vec<usize>) {
        if !self.checked_clean
            || self.exhausted
            || self
                .diagnostics
                .iter()
                .any(|d| d.severity == platc_diag::Severity::Error)
        {
            return;
        }
        for i in instances {
            self.unreported_failure(i);
        }
    }

    fn unreported_failure(&mut self, i: usize) {
        let decl = self.t.instances[i].0;
        self.diagnostics.push(
            Diagnostic::error(
                "E0319",
                format!("instance `{}` could not be evaluated", decl.name.name),
                decl.name.span,
            )
            .with_label("evaluation of this instance failed")
            .with_note("this is a bug in platc: an error went unreported")
            .with_help("please report it with this platform"),
        );
    }

    fn instance_ir(
        &mut self,
        i: usize,
        references: Vec<crate::Reference>,
    ) -> Option<crate::Instance> {
        let args = self.instance_args(i, self.t.instances[i].0.name.span);
        let (decl, _, comp) = self.t.instances[i];
        let comp = comp?;
        let args = args?;
        let info = &self.t.comps[comp.0 as usize];
        let cdecl = info.decl;
        let namespace = self
            .instance_namespace(i)
            .map(|n| n.to_string())
            .unwrap_or_default();
        let _ = &args;
        let env = Env {
            locals: None,
            self_inst: Some(i),
            reader: None,
        };
        let mut sensitive = Vec::new();
        self.check_asserts(i, cdecl, &env)?;
        let blocks: Vec<&[ast::ValueStmt]> =
            cdecl.values.iter().map(|b| b.stmts.as_slice()).collect();
        let values = self.values_tree(&blocks, &env, &mut sensitive)?;
        let mut values_files = Vec::new();
        if let Some(e) = self.attr_expr(i, "values_files") {
            if let ExprKind::List(items) = &e.kind {
                for item in items {
                    if let Some(Value::Str(path)) = self.eval(item, &Env::default()) {
                        values_files.push(crate::ValuesFile {
                            path: path.to_string(),
                            span: item.span,
                        });
                    }
                }
            }
        }
        let mut provides = Vec::new();
        // The position of each field among all of them (see `FieldDecl`).
        let mut slot = 0;
        for (k, p) in cdecl.provides.iter().enumerate() {
            let first = slot;
            slot += p.fields.len();
            if !self.provides_active(i, k)? {
                continue;
            }
            // Gathered, then made a map at once (sorted and built in one
            // pass, not inserted key by key).
            let mut fields = Vec::with_capacity(p.fields.len());
            for (n, f) in p.fields.iter().enumerate() {
                fields.push((
                    f.name.name.clone(),
                    self.provided_field(i, first + n, &f.value)?,
                ));
            }
            let order = self.key_order_of(comp.0, k as u32, || {
                super::key_order(p.fields.iter().map(|f| f.name.name.as_str()))
            });
            provides.push(crate::Provided {
                interface: p.interface.name.name.clone(),
                fields: super::in_order(fields, &order).into_iter().collect(),
            });
        }
        let mut exposes = Vec::new();
        for e in &decl.exposes {
            let Some(point) = cdecl.exposes.iter().find(|p| p.name.name == e.name.name) else {
                continue;
            };
            let mut port = 0;
            let mut service = decl.name.name.replace('_', "-");
            for a in &point.attrs {
                match (a.name.name.as_str(), self.eval(&a.value, &env)) {
                    ("port", Some(Value::Int(p))) => port = p,
                    ("service", Some(Value::Str(s))) => service = s.to_string(),
                    _ => {}
                }
            }
            let mut x = crate::Expose {
                name: e.name.name.clone(),
                host: String::new(),
                path: "/".into(),
                auth: None,
                tls: true,
                audit: false,
                public: false,
                port,
                service,
                span: e.name.span,
            };
            // The block's fields, then the environment's overrides of them.
            let overrides = self.env.into_iter().flat_map(|env| {
                env.overrides.iter().filter(|o| {
                    o.target.len() == 3
                        && o.target[0].name == decl.name.name
                        && o.target[1].name == e.name.name
                })
            });
            let fields: Vec<(&str, &ast::Expr)> = e
                .attrs
                .iter()
                .map(|a| (a.name.name.as_str(), &a.value))
                .chain(overrides.map(|o| (o.target[2].name.as_str(), &o.value)))
                .collect();
            for (name, value) in fields {
                let v = self.eval(value, &Env::default())?;
                if v == Value::None && name == "auth" {
                    x.auth = None;
                    continue;
                }
                match (name, v) {
                    ("host", Value::Str(s)) => x.host = s.to_string(),
                    ("path", Value::Str(s)) => x.path = s.to_string(),
                    ("auth", Value::Str(s)) => x.auth = Some(s.to_string()),
                    ("tls", Value::Bool(b)) => x.tls = b,
                    ("audit", Value::Bool(b)) => x.audit = b,
                    ("public", Value::Bool(b)) => x.public = b,
                    _ => {}
                }
            }
            exposes.push(x);
        }
        let resources = self.resources(i, cdecl, &namespace, &env)?;
        let network = self.network(cdecl, &env)?;
        let mut requires = Vec::new();
        for (k, r) in cdecl.requires.iter().enumerate() {
            if self.requires_active(i, k)? {
                requires.push(r.interface.name.name.clone());
            }
        }
        let chart = cdecl.charts.first().map(|c| crate::Chart {
            name: c.name.as_plain().unwrap_or_default(),
            version: c.version.as_plain().unwrap_or_default(),
            repository: c.repository.as_plain().unwrap_or_default(),
            timeout_seconds: match c.timeout.as_ref().map(|t| &t.kind) {
                Some(ExprKind::Quantity(q)) => q.amount.div_ceil(1000),
                _ => 300,
            },
        });
        Some(crate::Instance {
            name: decl.name.name.clone(),
            k8s_name: self.k8s_name(i).to_string(),
            component: cdecl.name.name.clone(),
            namespace,
            chart,
            arg_spans: args
                .keys()
                .filter_map(|k| Some((k.clone(), self.attr_expr(i, k)?.span)))
                .collect(),
            args: args.clone(),
            values,
            sensitive_values: sensitive,
            value_sources: self.value_sources(comp.0),
            values_files,
            provides,
            requires,
            exposes,
            references,
            observes: Vec::new(),
            resources,
            network,
            span: decl.name.span,
        })
    }

    /// The instance's `network` block, evaluated.
    fn network(&mut self, cdecl: &ast::ComponentDecl, env: &Env) -> Option<Option<crate::Network>> {
        let Some(net) = cdecl.networks.first() else {
            return Some(None);
        };
        let mut out = crate::Network::default();
        for a in &net.attrs {
            // `data` names members; it is not evaluated (see `MemberFlows`).
            if a.name.name == "data" {
                continue;
            }
            let v = self.eval(&a.value, env)?;
            match (a.name.name.as_str(), v) {
                ("pods", Value::Map(m)) => {
                    for (k, v) in m.iter() {
                        let Value::Str(v) = v else { continue };
                        if !is_label_key(k) || !is_label_value(v) {
                            self.diagnostics.push(
                                Diagnostic::error(
                                    "E0305",
                                    format!("`{k}: {v}` is not a Kubernetes label"),
                                    a.value.span,
                                )
                                .with_label("in these pod labels")
                                .with_help("a key is `[PREFIX/]NAME`, a value at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"),
                            );
                            return None;
                        }
                        out.pods.insert(k.to_string(), v.to_string());
                    }
                    if out.pods.is_empty() {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "E0304",
                                "`pods` must name at least one label",
                                a.value.span,
                            )
                            .with_label("this selects every pod of the namespace")
                            .with_help("give the labels only this instance's pods carry, e.g. `{ \"app.kubernetes.io/instance\" = self.name }`"),
                        );
                        return None;
                    }
                }
                (field @ ("ports" | "open_ports"), Value::List(items)) => {
                    let mut ports: Vec<u16> = Vec::new();
                    for v in items.iter() {
                        let Value::Int(n) = v else { continue };
                        match u16::try_from(*n) {
                            Ok(port) if port > 0 => ports.push(port),
                            _ => {
                                self.diagnostics.push(
                                    Diagnostic::error(
                                        "E0304",
                                        format!("{n} is outside the allowed range 1..65535"),
                                        a.value.span,
                                    )
                                    .with_label("not a TCP port")
                                    .with_help("choose a value in 1..65535"),
                                );
                                return None;
                            }
                        }
                    }
                    ports.sort_unstable();
                    ports.dedup();
                    if field == "ports" {
                        out.ports = ports;
                    } else {
                        out.open_ports = ports;
                    }
                }
                _ => {}
            }
        }
        Some(Some(out))
    }

    /// The resources of instance `i` whose condition holds.
    fn resources(
        &mut self,
        i: usize,
        cdecl: &ast::ComponentDecl,
        namespace: &str,
        env: &Env,
    ) -> Option<Vec<crate::Resource>> {
        let k8s_name = self.k8s_name(i);
        let mut out = Vec::new();
        for r in cdecl.resources.iter().filter(|r| !r.route) {
            let Some(each) = &r.each else {
                let name = format!("{k8s_name}-{}", r.name.name.replace('_', "-"));
                if let Some(res) = self.resource_ir(r, env, &name, namespace, None)? {
                    out.push(res);
                }
                continue;
            };
            // A fan-out resource: one object per element. An element that
            // is an instance puts its object in that instance's namespace,
            // named after both instances; any other element's object stays
            // here, and its body names it.
            let Value::List(list) = self.eval(&each.list, env)? else {
                return None;
            };
            for elem in list.iter() {
                let own = format!("{k8s_name}-{}", r.name.name.replace('_', "-"));
                let (name, ns, key) = match elem {
                    Value::Instance(j) => {
                        let j = j.0 as usize;
                        let target = &self.t.instances[j].0.name.name;
                        let name = format!("{own}-{}", target.replace('_', "-"));
                        let ns = self
                            .instance_namespace(j)
                            .map(|n| n.to_string())
                            .unwrap_or_default();
                        (name, ns, Some(target.clone()))
                    }
                    _ => (own, namespace.to_string(), None),
                };
                let local = super::Local {
                    name: &each.var.name,
                    value: elem.clone(),
                    outer: env.locals,
                };
                let inner = env.with_local(&local);
                if let Some(mut res) = self.resource_ir(r, &inner, &name, &ns, None)? {
                    res.each = Some(key.unwrap_or_else(|| res.object_name.clone()));
                    out.push(res);
                }
            }
        }
        Some(out)
    }

    /// Resource `r` evaluated in `env`, `None` inside when its condition
    /// does not hold. Its object is named `default_name` unless the body
    /// names it; `route` is the endpoint a route resource is made for.
    pub(super) fn resource_ir(
        &mut self,
        r: &ast::ResourceDecl,
        env: &Env,
        default_name: &str,
        namespace: &str,
        route: Option<String>,
    ) -> Option<Option<crate::Resource>> {
        if let Some(c) = &r.cond {
            match self.eval(c, env)? {
                Value::Bool(true) => {}
                Value::Bool(false) => return Some(None),
                _ => return None,
            }
        }
        let mut sensitive = Vec::new();
        let body = self.values_tree(&[&r.body], env, &mut sensitive)?;
        let object_name = match body.get("metadata") {
            Some(Value::Map(m)) => match m.get("name") {
                Some(Value::Str(s)) => s.to_string(),
                _ => default_name.to_string(),
            },
            _ => default_name.to_string(),
        };
        if object_name.len() > 253 || !is_object_name(&object_name) {
            self.diagnostics.push(
                Diagnostic::error(
                    "E0305",
                    format!("{object_name:?} is not a valid Kubernetes object name"),
                    r.name.span,
                )
                .with_label("the name of this resource's object")
                .with_help("lowercase letters, digits, `-` and `.`, at most 253 characters; set `metadata.name` or rename the resource"),
            );
            return None;
        }
        Some(Some(crate::Resource {
            name: r.name.name.clone(),
            api_version: r.api_version.as_plain().unwrap_or_default(),
            kind: r.kind.name.clone(),
            object_name,
            namespace: (!r.cluster).then(|| namespace.to_string()),
            body,
            route,
            each: None,
            span: r.name.span,
        }))
    }

    /// The component's assertions, for instance `i` (E0324).
    fn check_asserts(&mut self, i: usize, cdecl: &ast::ComponentDecl, env: &Env) -> Option<()> {
        let mut ok = true;
        for a in cdecl.asserts.iter().filter(|a| !a.route) {
            match self.eval(&a.cond, env)? {
                Value::Bool(true) => {}
                Value::Bool(false) => {
                    let Value::Str(message) = self.eval(&a.message, env)? else {
                        return None;
                    };
                    let decl = self.t.instances[i].0;
                    let mut d = Diagnostic::error("E0324", message.to_string(), decl.name.span)
                        .with_label(format!(
                            "an assertion of `{}` fails for this instance",
                            cdecl.name.name
                        ))
                        .with_secondary(a.cond.span, "this is false");
                    if let Some(env) = self.env {
                        d = d.with_note(format!("in environment `{}`", env.name.name));
                    }
                    self.diagnostics.push(d);
                    ok = false;
                }
                _ => return None,
            }
        }
        ok.then_some(())
    }

    /// Evaluates values statements into a nested map; secrets go to
    /// `sensitive`, `none` leaves the key unset.
    /// Evaluates `stmts` into `out`, in order. `skipped` holds, for each
    /// statement, what it is charged when it is already in `out` (placed
    /// with the skeleton: see [`super::skeleton`]); a statement beyond it
    /// is evaluated.
    pub(super) fn eval_values<'k>(
        &mut self,
        stmts: &'k [ast::ValueStmt],
        env: &Env,
        out: &mut BTreeMap<crate::value::Str, Value>,
        sensitive: &mut Vec<crate::SensitiveValue>,
        paths: &mut super::paths::Paths<'k>,
        skipped: &[Option<u64>],
    ) -> Option<()> {
        for (k, stmt) in stmts.iter().enumerate() {
            // Skipped and charged; when the budget cannot cover it, it is
            // evaluated, and runs out where it always did.
            if let Some(&Some(cost)) = skipped.get(k) {
                if !self.exhausted && cost <= self.budget {
                    self.budget -= cost;
                    continue;
                }
            }
            match stmt {
                ast::ValueStmt::Assign { path, value, span } => {
                    self.key_path(path, env, &mut paths.keys)?;
                    // The keys are written out for every instance: charge
                    // their bytes, so that long keys over many instances
                    // cannot amplify into gigabytes of output.
                    self.charge(super::skeleton::key_charge(&paths.keys), *span)?;
                    match self.eval(value, env)? {
                        Value::None => {}
                        Value::Secret(id) => {
                            let decl = self.t.secrets[id.secret as usize];
                            if decl.source.func.name == "template" {
                                self.diagnostics.push(
                                    Diagnostic::error(
                                        "E0329",
                                        format!(
                                            "secret `{}` is assembled at deploy time and cannot be a Helm value",
                                            decl.name.name
                                        ),
                                        value.span,
                                    )
                                    .with_label("a template secret used as a value")
                                    .with_note("neither platc nor Terraform ever has its value: only its Kubernetes Secret does")
                                    .with_help("have the chart read the Secret: pass `.secret_name` and `.secret_key` (e.g. as an `existingSecret` or a `secretKeyRef`)"),
                                );
                                return None;
                            }
                            let key = self.secret_key(id, value.span)?;
                            let mut names = Vec::new();
                            for k in paths.keys.iter() {
                                match k {
                                    super::paths::Key::Name(n) => {
                                        names.push(n.as_str().to_string())
                                    }
                                    super::paths::Key::Index(_) => {
                                        self.diagnostics.push(
                                            Diagnostic::error(
                                                "E0307",
                                                "a secret cannot be set inside a list element",
                                                *span,
                                            )
                                            .with_label("secret at a list index")
                                            .with_help("set the secret at a key path of names"),
                                        );
                                        return None;
                                    }
                                }
                            }
                            sensitive.push(crate::SensitiveValue {
                                path: names,
                                secret: self.t.secrets[id.secret as usize].name.name.clone(),
                                key,
                            })
                        }
                        v => self.set_path(out, &mut paths.assigned, path, &paths.keys, v)?,
                    }
                }
                ast::ValueStmt::If {
                    cond,
                    then,
                    otherwise,
                    ..
                } => {
                    let Value::Bool(b) = self.eval(cond, env)? else {
                        return None;
                    };
                    let branch = if b { then } else { otherwise };
                    self.eval_values(branch, env, out, sensitive, paths, &[])?;
                }
            }
        }
        Some(())
    }
}

/// A label value: at most 63 characters, alphanumeric at both ends, `-`,
/// `_` and `.` inside; or empty.
fn is_label_value(v: &str) -> bool {
    v.len() <= 63
        && crate::vocab::regex_is_match("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", v)
}

/// A label key: `NAME` or `PREFIX/NAME`, the prefix a DNS subdomain.
fn is_label_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        p.len() <= 253
            && crate::vocab::regex_is_match(
                "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
                p,
            )
    });
    prefix_ok && !name.is_empty() && is_label_value(name)
}

#[cfg(test)]
mod tests {
    use super::{is_object_name, OBJECT_NAME};

    /// The hand-written check agrees with the pattern on every string of
    /// up to four characters over an alphabet that covers each case
    /// (letters, digits, `-`, `.`, upper case, other bytes), and on longer
    /// names seen in practice.
    #[test]
    fn object_names_are_those_of_the_pattern() {
        let alphabet = ['a', 'z', '0', '9', '-', '.', 'A', '_', 'é'];
        let mut words = vec![String::new()];
        let mut all = vec![String::new()];
        for _ in 0..4 {
            words = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            all.extend(words.iter().cloned());
        }
        all.extend(
            [
                "t0-lake-minio",
                "stdlib-t0-druid-credentials",
                "a.b.c",
                "a..b",
                "-a",
                "a-",
                "web.example.com",
                "x.y-",
            ]
            .map(String::from),
        );
        for w in &all {
            assert_eq!(
                is_object_name(w),
                crate::vocab::regex_is_match(OBJECT_NAME, w),
                "{w:?}"
            );
        }
    }
}
