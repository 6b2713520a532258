//! The analysis driver: the checker's state, and the order of its phases.
//!
//! Each phase is an `impl Checker` block in its own module: `resolve`
//! (definitions, globals, scopes, imports), `typeres` (type expressions and
//! signatures), `items` (one module per item kind) and `expr`
//! (expressions). Once checking is done, evaluation reads the finished
//! [`Tables`] and never the checker.

use platc_diag::{Diagnostic, FileId, Sink};
use platc_syntax::ast;

use crate::eval::Evaluator;
use crate::resolve::Scopes;
use crate::tables::Tables;
use crate::types::{CompId, Ty};
use crate::vocab::dns_label_ty;
use crate::{Analysis, Program};

/// The state of checking one program.
pub(crate) struct Checker<'a> {
    pub program: &'a Program<'a>,
    pub sink: Sink,
    /// What evaluation needs, filled in phase by phase.
    pub tables: Tables<'a>,
    pub policies: Vec<(&'a ast::PolicyDecl, FileId)>,
    pub waivers: Vec<&'a ast::WaiverDecl>,
    pub scopes: Scopes,
    /// The type of namespaces, built once (its regex keeps a match cache).
    pub dns_label: std::sync::Arc<Ty>,
    /// The evaluation budget of the constants checked while checking (param
    /// defaults, ports, overrides), shared by all of them.
    pub const_budget: u64,
    /// How many more unknown names get "did you mean" over every instance
    /// and secret of the platform.
    pub suggestions_left: usize,
    /// A malformed literal (`ExprKind::Invalid`, already reported by the
    /// parser) was checked: evaluation is not clean even without errors
    /// of checking's own.
    pub saw_invalid: bool,
}

impl<'a> Checker<'a> {
    pub fn run(program: &'a Program<'a>) -> Analysis {
        let mut c = Checker {
            program,
            sink: Sink::new(),
            tables: Tables::default(),
            policies: vec![],
            waivers: vec![],
            scopes: Scopes::default(),
            dns_label: std::sync::Arc::new(dns_label_ty()),
            const_budget: crate::eval::EVALUATION_BUDGET,
            suggestions_left: 100,
            saw_invalid: false,
        };
        c.collect();
        c.const_budget = crate::eval::evaluation_budget(c.tables.instances.len());
        c.build_scopes();
        c.resolve_signatures();
        for i in 0..c.tables.comps.len() {
            c.check_component(CompId(i as u32));
        }
        c.check_platform_block();
        for s in c.tables.secrets.clone() {
            c.check_secret_source(s);
        }
        c.check_secret_variables();
        for i in 0..c.tables.instances.len() {
            c.check_instance(i);
        }
        c.check_ingress();
        c.check_secret_templates();
        c.check_requirements();
        for i in 0..c.tables.environments.len() {
            c.check_environment(i);
        }
        c.tables.on_cycle = crate::refs::check_cycles(&c.tables, &mut c.sink);
        for i in 0..c.policies.len() {
            c.check_policy(i);
        }
        c.check_policy_codes();
        for i in 0..c.waivers.len() {
            c.check_waiver(i);
        }
        c.report_unused_imports();
        c.tables.policies = c.policies.clone();
        c.tables.waivers = c.waivers.clone();
        c.tables.today = Some(program.today);
        c.tables.packs = program
            .units
            .iter()
            .filter_map(|u| Some((u.file, u.policy_pack.clone()?)))
            .collect();
        // Checking is done: evaluation reads the finished tables.
        let Checker {
            tables,
            mut sink,
            saw_invalid,
            ..
        } = c;
        // The base platform and every environment are evaluated: each may
        // fail an assertion or a constraint of its own. A diagnostic the
        // base platform already gives is not repeated for an environment.
        let mut platform = None;
        let mut others = Vec::new();
        let mut seen: crate::HashSet<(&'static str, String, u32, u32, u32)> =
            crate::HashSet::default();
        let checked_clean = !sink.has_errors() && !saw_invalid;
        // What checking reported (e.g. an override's constant outside its
        // range) is not reported again by an evaluation.
        for d in sink.diagnostics() {
            let sp = d.primary.span;
            seen.insert((d.code, d.message.clone(), sp.file.0, sp.start, sp.end));
        }
        let variants = std::iter::once(None).chain(tables.environments.iter().copied().map(Some));
        let mut reported_any = false;
        let mut budget = crate::eval::evaluation_budget(tables.instances.len());
        for env in variants {
            // One budget for all of them: with many environments, memory
            // and time stay bounded by it too.
            if budget == 0 {
                break;
            }
            let mut ev = Evaluator::new(&tables).with_environment(env);
            ev.checked_clean = checked_clean && !reported_any;
            ev.budget = budget;
            let p = ev.platform();
            budget = ev.remaining_budget();
            for d in ev.into_diagnostics() {
                let sp = d.primary.span;
                let key = (d.code, d.message.clone(), sp.file.0, sp.start, sp.end);
                if seen.insert(key) {
                    reported_any = true;
                    let d = match env {
                        Some(e) if !d.notes.iter().any(|n| n.starts_with("in environment")) => {
                            d.with_note(format!("in environment `{}`", e.name.name))
                        }
                        _ => d,
                    };
                    sink.push(d);
                }
            }
            if env.map(|e| &e.name.name) == program.environment.as_ref() {
                platform = p;
            } else {
                others.extend(p);
            }
        }
        let has_errors = sink.has_errors();
        Analysis {
            diagnostics: sink.finish(),
            platform: if has_errors { None } else { platform },
            others: if has_errors { Vec::new() } else { others },
        }
    }

    /// A type as the user writes it.
    pub fn ty(&self, t: &Ty) -> String {
        self.tables.ty(t)
    }

    pub fn err(&mut self, d: Diagnostic) {
        self.sink.push(d);
    }
}
