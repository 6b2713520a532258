//! Constant evaluation of well-typed expressions, and constraint checks on
//! the values. Runs after type checking; an expression that did not type
//! check is never evaluated, and evaluation that meets something it cannot
//! compute gives up silently (the type checker has reported it).
//!
//! Evaluation reads the checker's finished [`Tables`], never the checker.
//! `build` turns the evaluated instances into the checked platform;
//! `constraints` checks values against the constraints of their types.

use crate::{HashMap, HashSet};
use std::collections::BTreeMap;
use std::sync::Arc;

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast::{self, BinaryOp, ExprKind, QuantityKind, StrPart, UnaryOp};

use crate::tables::{Global, Tables};
use crate::types::Ty;
use crate::value::{InstId, SecretId, Value};

mod build;
pub use build::set_instance_chunk;
pub use skeleton::set_value_skeletons;
mod builtins;
mod constraints;
mod index;
mod objects;
mod paths;
mod records;
mod routes;
mod shape;
mod skeleton;
mod sources;

/// Most values the evaluations of a small platform may build (list
/// elements, map entries, 64-byte pieces of strings): beyond it, evaluation
/// stops with E0322 instead of running out of memory or time.
pub const EVALUATION_BUDGET: u64 = 10_000_000;

/// What each instance a program declares adds to [`EVALUATION_BUDGET`]: a
/// platform of 100,000 services is honest work, and the limit stays linear
/// in the size of the input.
pub const BUDGET_PER_INSTANCE: u64 = 1_000;

/// The budget of a program that declares `instances` instances.
pub fn evaluation_budget(instances: usize) -> u64 {
    match BUDGET_OVERRIDE.load(std::sync::atomic::Ordering::Relaxed) {
        0 => EVALUATION_BUDGET.saturating_add(BUDGET_PER_INSTANCE.saturating_mul(instances as u64)),
        n => n,
    }
}

static BUDGET_OVERRIDE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Sets the evaluation budget of every program for the whole process from
/// now on, whatever its size (`0`: back to [`evaluation_budget`]'s): for
/// tests that run out of it at every point of a small program.
#[doc(hidden)]
pub fn set_evaluation_budget(n: u64) {
    BUDGET_OVERRIDE.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// A map of the evaluator's memos, with a fast hasher (their keys are
/// instance numbers and names of the program, not input to defend against).
type FastMap<K, V> = HashMap<K, V>;

/// A memo by instance: a vector indexed by instance number, as long as
/// the highest one set (one index where a hash map would hash).
struct InstMap<T>(Vec<Option<T>>);

impl<T> Default for InstMap<T> {
    fn default() -> Self {
        InstMap(Vec::new())
    }
}

impl<T> InstMap<T> {
    fn get(&self, i: usize) -> Option<&T> {
        self.0.get(i)?.as_ref()
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.0.get_mut(i)?.as_mut()
    }

    fn insert(&mut self, i: usize, v: T) {
        if self.0.len() <= i {
            self.0.resize_with(i + 1, || None);
        }
        self.0[i] = Some(v);
    }

    /// The value of `i`, set to `make()` first when it has none.
    fn get_or_insert_with(&mut self, i: usize, make: impl FnOnce() -> T) -> &mut T {
        if self.0.len() <= i {
            self.0.resize_with(i + 1, || None);
        }
        self.0[i].get_or_insert_with(make)
    }

    /// The values set, with their instance, in instance order.
    fn into_iter(self) -> impl Iterator<Item = (usize, T)> {
        self.0
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| Some((i, v?)))
    }
}

/// The instances that provide an interface for real, in name order
/// (shared: `all(...)` is read by many instances).
type Providers = Arc<[usize]>;

/// A secret's keys, each with its source (an environment variable, a
/// property), shared.
type SecretKeys = Arc<[(String, String)]>;

/// A param or `let` of one instance: computed when first read.
#[derive(Clone)]
enum Slot<'a> {
    Value(Value),
    /// Not computed yet: the expression, and the type to check it against
    /// (a default).
    Pending(&'a ast::Expr, Option<Arc<Ty>>),
    Visiting,
    Failed,
    /// Not in this frame: a worker's frame of an instance computed before
    /// the workers started holds only the members it computed.
    Absent,
}

/// The params and `let`s of one instance, in the order of its component's
/// `members` (see [`crate::tables::CompInfo`]).
type Frame<'a> = Vec<Slot<'a>>;

/// Environment of one evaluation.
#[derive(Default, Clone, Copy)]
struct Env<'l> {
    /// The innermost local variable (of a comprehension, a fan-out
    /// resource, a route or a rule).
    locals: Option<&'l Local<'l>>,
    self_inst: Option<usize>,
    /// The instance the value is computed for, when it is not `self_inst`
    /// (an instance's own attributes): who reads a `secret_name`.
    reader: Option<usize>,
}

/// A local variable and its value, in front of the ones around it: a
/// comprehension binds its variable for each element on the stack, with
/// neither a copy of the variables around it nor of its name.
struct Local<'l> {
    name: &'l str,
    value: Value,
    outer: Option<&'l Local<'l>>,
}

impl<'l> Env<'l> {
    /// This environment with local `name` bound to `value` in front of its
    /// own (`local` is where it is kept).
    fn with_local(&self, local: &'l Local<'l>) -> Env<'l> {
        Env {
            locals: Some(local),
            ..*self
        }
    }

    /// The value of local `name`, the innermost one of that name.
    fn local(&self, name: &str) -> Option<&'l Value> {
        let mut at = self.locals;
        while let Some(l) = at {
            if l.name == name {
                return Some(&l.value);
            }
            at = l.outer;
        }
        None
    }
}

enum ArgsState {
    Visiting,
    Done(Option<Arc<BTreeMap<crate::value::Str, Value>>>),
}

pub(crate) struct Evaluator<'t, 'a> {
    /// The finished tables of the checked program.
    t: &'t Tables<'a>,
    diagnostics: Vec<Diagnostic>,
    args: InstMap<ArgsState>,
    /// The chain of instances being evaluated, for cycle reports.
    stack: Vec<(usize, Span)>,
    platform: Option<Value>,
    /// The environment whose overrides apply.
    env: Option<&'a ast::EnvironmentDecl>,
    /// The params and lets of each instance, computed on demand.
    frames: InstMap<Frame<'a>>,
    /// What is left of [`EVALUATION_BUDGET`].
    pub(crate) budget: u64,
    /// Set once the budget is spent (and reported).
    exhausted: bool,
    /// Checking found no error: every instance must evaluate, or say why.
    pub(crate) checked_clean: bool,
    /// Whether each instance is switched on (computed on demand).
    enabled_memo: HashMap<usize, bool>,
    /// (observer, observed, interface, span of the `all(...)` call) of
    /// every `all(...)` evaluated.
    observes: Vec<(usize, usize, String, Span)>,
    /// The instances that provide each interface for real, by name: what
    /// `all(...)` gives and what meets a `requires` (computed once).
    providers_memo: HashMap<String, Providers>,
    /// Where instance `from` refers to instance `to` (the first place).
    ref_spans: HashMap<(usize, usize), Span>,
    /// `secret_name` reads across namespaces already reported.
    secret_reads: crate::HashSet<(usize, usize, String)>,
    /// The value sources of each component (computed once).
    sources_memo: HashMap<u32, std::sync::Arc<[crate::ValueSource]>>,
    /// On a worker of a parallel evaluation: what the evaluation computed
    /// before it was spread over threads, read (the memos above are then
    /// what the worker adds).
    frozen: Option<Arc<Frozen<'a>>>,
    /// The value of each interface field read from a provider (`g.host`),
    /// by provider and position of the field among the fields of its
    /// component's `provides` (see [`FieldDecl`]): the same whoever reads
    /// it, so computed once.
    provided_memo: InstMap<Vec<Option<Value>>>,
    /// The swaps that sort each record literal whose keys are all written
    /// text, by its address (see [`records`]).
    record_swaps_memo: FastMap<usize, Option<records::Swaps>>,
    /// The providers of an interface grouped by a field, by (interface,
    /// field): see [`index`]. `None` when a provider's field failed.
    field_index: HashMap<(String, String), Option<Arc<index::FieldIndex>>>,
    /// The keys of each secret (`None` for one whose keys are not
    /// literal), read from its declaration once.
    secret_keys_memo: FastMap<u32, Option<SecretKeys>>,
    /// The name of each secret's Kubernetes Secret, computed once.
    secret_name_memo: FastMap<u32, Option<crate::value::Str>>,
    /// The namespace of each instance, computed once.
    /// (By instance, sized on first use; the outer `None`: not yet.)
    namespace_memo: Vec<Option<Option<crate::value::Str>>>,
    /// Where interpolated strings are put together (see `eval_str`).
    str_buffer: String,
    /// The Kubernetes name of each instance, computed once.
    k8s_name_memo: Vec<Option<crate::value::Str>>,
    /// What [`Evaluator::field_decl`] found, by component and field.
    field_decl_memo: FieldDecls<'a>,
    /// Whether each `provides` of each instance is in effect, by
    /// (instance, position of the declaration): computed once.
    provides_active_memo: FastMap<(usize, usize), Option<bool>>,
    /// The same for each `requires`.
    requires_active_memo: FastMap<(usize, usize), Option<bool>>,
    /// The skeleton of each component's values blocks and each resource's
    /// body, by the address of its first statement (see [`skeleton`]).
    skeletons: FastMap<usize, Option<Arc<skeleton::Skeleton>>>,
    /// How values statements are being placed.
    values_mode: skeleton::ValuesMode,
    /// [`key_order`] of a component's params (`u32::MAX`) or of the fields
    /// of its `provides` block `k`, by (component, `k`).
    key_orders: FastMap<(u32, u32), Arc<KeyOrder>>,
}

/// What [`Evaluator::field_decl`] finds of a field a component provides.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FieldDecl<'a> {
    /// The `provides` declaration (its position in the component) of the
    /// interface the field belongs to: that interface must be provided
    /// for real.
    provides: Option<usize>,
    /// The expression the component sets the field to, and the position
    /// of that field among all the fields of the component's `provides`
    /// (`None`: an optional field left unset).
    expr: Option<(usize, &'a ast::Expr)>,
    secret_name: bool,
}

/// The [`FieldDecl`] of each field a component provides, by component and
/// the address and length of the field's name as written in the program
/// (an identifier of the AST, which outlives the evaluation: the same
/// text at the same place, so no text is hashed or compared).
type FieldDecls<'a> = FastMap<(u32, usize, usize), FieldDecl<'a>>;

/// The memos of an evaluation once every instance's args are computed:
/// shared, read-only, by the workers that evaluate the instances' values
/// in parallel (see `build::platform`). A worker computes what is not here
/// (a `let` not read yet) into memos of its own.
#[derive(Default)]
struct Frozen<'a> {
    frames: InstMap<Frame<'a>>,
    args: InstMap<ArgsState>,
    enabled: HashMap<usize, bool>,
    providers: HashMap<String, Providers>,
    sources: HashMap<u32, std::sync::Arc<[crate::ValueSource]>>,
    platform: Option<Value>,
    ref_spans: HashMap<(usize, usize), Span>,
}

/// Evaluates a constant expression (no instances involved) and checks it
/// against the constraints of `ty`: for the checker, which calls it while
/// it checks, with the tables as far as they are filled in (definitions
/// are all collected by then). Returns what it reports.
///
/// `budget` is what is left of the evaluation budget for all the constants
/// of one check; once it is spent (and reported), constants are not
/// evaluated any more.
pub(crate) fn check_constant_against(
    t: &Tables,
    e: &ast::Expr,
    ty: &Ty,
    budget: &mut u64,
) -> Vec<Diagnostic> {
    if *budget == 0 {
        return Vec::new();
    }
    // A literal (most constants are) needs no evaluator.
    if let Some((v, cost)) = literal_value(e) {
        let mut diags = Vec::new();
        constraints::check_value(&mut diags, &v, ty, e.span);
        // `budget` is not 0 here, and a literal costs at most 1.
        *budget -= cost;
        return diags;
    }
    let mut ev = Evaluator::new(t);
    ev.budget = *budget;
    if let Some(v) = ev.eval(e, &Env::default()) {
        constraints::check_value(&mut ev.diagnostics, &v, ty, e.span);
    }
    *budget = if ev.exhausted { 0 } else { ev.budget };
    ev.diagnostics
}

/// The value of `e` when it is a literal without interpolation, with what
/// [`Evaluator::eval`] charges for it (1 for a string, else 0).
fn literal_value(e: &ast::Expr) -> Option<(Value, u64)> {
    Some(match &e.kind {
        ExprKind::Int(i) => (Value::Int(*i), 0),
        ExprKind::Float(f) => (Value::Float(*f), 0),
        ExprKind::Bool(b) => (Value::Bool(*b), 0),
        ExprKind::None => (Value::None, 0),
        ExprKind::Quantity(q) => (Value::quantity(q.kind, q.amount, Some(q.text.clone())), 0),
        ExprKind::Str(s) => match s.parts.as_slice() {
            [StrPart::Text(t)] => (Value::Str(t.clone()), 1),
            _ => return None,
        },
        _ => return None,
    })
}

/// Evaluates a policy rule's expression (see [`crate::rule::RuleExpr`]):
/// only the rule's variable, `platform` and built-in functions are in
/// scope, so it needs none of the program's tables.
pub(crate) fn eval_rule(
    e: &ast::Expr,
    var: &str,
    element: &Value,
    platform: &Value,
) -> Result<Value, Vec<Diagnostic>> {
    let tables = Tables::default();
    let mut ev = Evaluator::new(&tables);
    ev.platform = Some(platform.clone());
    let local = Local {
        name: var,
        value: element.clone(),
        outer: None,
    };
    let env = Env::default().with_local(&local);
    match ev.eval(e, &env) {
        Some(v) if ev.diagnostics.is_empty() => Ok(v),
        _ => Err(ev.diagnostics),
    }
}

impl<'t, 'a> Evaluator<'t, 'a> {
    pub fn new(t: &'t Tables<'a>) -> Self {
        Evaluator {
            t,
            diagnostics: vec![],
            args: InstMap::default(),
            stack: vec![],
            platform: None,
            env: None,
            frames: InstMap::default(),
            budget: evaluation_budget(t.instances.len()),
            exhausted: false,
            checked_clean: false,
            enabled_memo: HashMap::default(),
            observes: Vec::new(),
            providers_memo: HashMap::default(),
            ref_spans: HashMap::default(),
            secret_reads: crate::HashSet::default(),
            sources_memo: HashMap::default(),
            frozen: None,
            provided_memo: InstMap::default(),
            record_swaps_memo: FastMap::default(),
            secret_keys_memo: FastMap::default(),
            secret_name_memo: FastMap::default(),
            namespace_memo: Vec::new(),
            str_buffer: String::new(),
            k8s_name_memo: Vec::new(),
            field_decl_memo: FastMap::default(),
            provides_active_memo: FastMap::default(),
            requires_active_memo: FastMap::default(),
            skeletons: FastMap::default(),
            values_mode: skeleton::ValuesMode::Written,
            field_index: HashMap::default(),
            key_orders: FastMap::default(),
        }
    }

    /// Moves the memos into a [`Frozen`] for workers to share.
    fn freeze(&mut self) -> Frozen<'a> {
        Frozen {
            frames: std::mem::take(&mut self.frames),
            args: std::mem::take(&mut self.args),
            enabled: std::mem::take(&mut self.enabled_memo),
            providers: std::mem::take(&mut self.providers_memo),
            sources: std::mem::take(&mut self.sources_memo),
            platform: self.platform.clone(),
            ref_spans: std::mem::take(&mut self.ref_spans),
        }
    }

    /// Takes the memos back from [`Self::freeze`] (what workers added to
    /// their own memos is recomputed if it is needed again).
    fn thaw(&mut self, f: Frozen<'a>) {
        self.frames = f.frames;
        self.args = f.args;
        self.enabled_memo = f.enabled;
        self.providers_memo = f.providers;
        self.sources_memo = f.sources;
        self.ref_spans = f.ref_spans;
    }

    /// [`Self::thaw`] once every worker is done with `frozen`.
    fn thaw_shared(&mut self, frozen: Arc<Frozen<'a>>) {
        match Arc::try_unwrap(frozen) {
            Ok(f) => self.thaw(f),
            Err(_) => unreachable!("the workers are done with the frozen memos"),
        }
    }

    /// A worker's evaluator over `frozen`, with `budget` to spend.
    fn worker(
        t: &'t Tables<'a>,
        env: Option<&'a ast::EnvironmentDecl>,
        frozen: Arc<Frozen<'a>>,
        budget: u64,
        checked_clean: bool,
    ) -> Evaluator<'t, 'a> {
        let mut w = Evaluator::new(t);
        w.env = env;
        w.budget = budget;
        w.checked_clean = checked_clean;
        w.platform = frozen.platform.clone();
        w.frozen = Some(frozen);
        w
    }

    /// What is left of the budget (zero once it is spent).
    pub fn remaining_budget(&self) -> u64 {
        if self.exhausted {
            0
        } else {
            self.budget
        }
    }

    /// Spends `n` of the budget on building values at `span`; `None` (and
    /// one E0322) once it is spent.
    #[inline]
    fn charge(&mut self, n: u64, span: Span) -> Option<()> {
        if !self.exhausted && n <= self.budget {
            self.budget -= n;
            return Some(());
        }
        self.charge_beyond(span)
    }

    /// [`Self::charge`] when the budget is spent or cannot cover `n`.
    #[cold]
    #[inline(never)]
    fn charge_beyond(&mut self, span: Span) -> Option<()> {
        if self.exhausted {
            return None;
        }
        self.exhausted = true;
        let limit = evaluation_budget(self.t.instances.len());
        self.diagnostics.push(
            Diagnostic::error(
                "E0322",
                format!(
                    "evaluation would build more than {} values",
                    platc_diag::thousands(limit)
                ),
                span,
            )
            .with_label("the limit is reached here")
            .with_note(
                "the limit counts every value built, for every instance and environment: list and map entries, string bytes (one per 64), and the keys of values statements (one per 16 bytes); nested comprehensions multiply",
            )
            .with_help(
                "build less: filter before nesting, or compute the data outside the platform",
            ),
        );
        None
    }

    /// Reading a string copies it: charged by its length.
    fn charge_read(&mut self, v: &Value, span: Span) -> Option<()> {
        match v {
            Value::Str(s) if s.len() >= 64 => self.charge(s.len() as u64 / 64, span),
            _ => Some(()),
        }
    }

    /// The value of param or `let` `name` of instance `i`, computing it on
    /// first use. `None` when `i` has no such member; `Some(None)` when it
    /// could not be computed (reported).
    fn member(&mut self, i: usize, name: &str) -> Option<Option<Value>> {
        let t = self.t;
        let members = &t.comps[t.instances[i].2?.0 as usize].members;
        let k = *members.get(name)?;
        // Most reads are of a value computed already: one lookup.
        let own = match self.frames.get(i).and_then(|f| f.get(k)) {
            Some(Slot::Value(v)) => return Some(Some(v.clone())),
            Some(Slot::Absent) | None => false,
            Some(_) => true,
        };
        if !own {
            // On a worker: the frozen slot, or (not computed yet) a copy
            // of it to compute here.
            // (Borrowed, not cloned: the workers would contend for the
            // Arc's count on every read.)
            let pending = {
                let frozen = self.frozen.as_deref()?;
                let slot = frozen.frames.get(i)?.get(k)?;
                match slot {
                    Slot::Value(v) => return Some(Some(v.clone())),
                    Slot::Failed | Slot::Visiting => return Some(None),
                    Slot::Absent => return None,
                    Slot::Pending(..) => slot.clone(),
                }
            };
            let frame = self
                .frames
                .get_or_insert_with(i, || vec![Slot::Absent; members.len()]);
            frame[k] = pending;
        }
        let slot = self.frames.get_mut(i)?.get_mut(k)?;
        match std::mem::replace(slot, Slot::Visiting) {
            Slot::Value(v) => {
                *slot = Slot::Value(v.clone());
                Some(Some(v))
            }
            Slot::Pending(e, ty) => {
                let env = Env {
                    locals: None,
                    self_inst: Some(i),
                    reader: None,
                };
                let mut v = self.eval(e, &env);
                if let (Some(val), Some(ty)) = (&v, &ty) {
                    if !constraints::check_value(&mut self.diagnostics, val, ty, e.span) {
                        v = None;
                    }
                }
                let slot = self.frames.get_mut(i)?.get_mut(k)?;
                *slot = match &v {
                    Some(v) => Slot::Value(v.clone()),
                    None => Slot::Failed,
                };
                Some(v)
            }
            // A cycle among definitions (reported by the checker).
            Slot::Visiting => Some(None),
            Slot::Failed => {
                *slot = Slot::Failed;
                Some(None)
            }
            // (Not computed here: handled above.)
            Slot::Absent => {
                *slot = Slot::Absent;
                None
            }
        }
    }

    /// Applies the overrides of `env` to everything evaluated from now on.
    pub fn with_environment(mut self, env: Option<&'a ast::EnvironmentDecl>) -> Self {
        self.env = env;
        self
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    /// The expression that sets attribute `name` of instance `i`: the
    /// environment's override, else the instance's own attribute.
    fn attr_expr(&self, i: usize, name: &str) -> Option<&'a ast::Expr> {
        if let Some(o) = self.attr_override(i, name) {
            return Some(o);
        }
        self.t.instances[i]
            .0
            .attrs
            .iter()
            .find(|a| a.name.name == name)
            .map(|a| &a.value)
    }

    /// The environment's override of attribute `name` of instance `i`.
    fn attr_override(&self, i: usize, name: &str) -> Option<&'a ast::Expr> {
        let decl = self.t.instances[i].0;
        let env = self.env?;
        env.overrides
            .iter()
            .find(|o| {
                o.target.len() == 2
                    && o.target[0].name == decl.name.name
                    && o.target[1].name == name
            })
            .map(|o| &o.value)
    }

    fn platform_value(&mut self) -> Value {
        if let Some(v) = &self.platform {
            return v.clone();
        }
        let mut m = BTreeMap::new();
        let mut domain = Value::None;
        let mut namespace = None;
        let name = self
            .t
            .platform
            .and_then(|p| p.name.as_plain())
            .unwrap_or_default();
        if let Some(p) = self.t.platform {
            let overrides = self.env.into_iter().flat_map(|e| {
                e.overrides
                    .iter()
                    .filter(|o| o.target.len() == 2 && o.target[0].name == "platform")
                    .map(|o| (&o.target[1], &o.value))
            });
            let attrs: Vec<(&ast::Ident, &ast::Expr)> = p
                .attrs
                .iter()
                .map(|a| (&a.name, &a.value))
                .chain(overrides)
                .collect();
            for (name, value) in attrs {
                // Attributes are constants: evaluate without `platform`.
                let v = self.eval_no_platform(value);
                match (name.name.as_str(), v) {
                    ("domain", Some(v)) => domain = v,
                    ("namespace", Some(v)) => namespace = Some(v),
                    _ => {}
                }
            }
        }
        m.insert("name".into(), Value::Str(name.as_str().into()));
        m.insert("domain".into(), domain);
        m.insert(
            "environment".into(),
            match self.env {
                Some(e) => Value::Str(e.name.name.as_str().into()),
                None => Value::None,
            },
        );
        m.insert(
            "namespace".into(),
            namespace.unwrap_or(Value::Str(name.into())),
        );
        let v = Value::map(m);
        self.platform = Some(v.clone());
        v
    }

    fn eval_no_platform(&mut self, e: &ast::Expr) -> Option<Value> {
        if mentions_platform(e) {
            return None;
        }
        self.eval(e, &Env::default())
    }

    /// The namespace of instance `i`: its `namespace` attribute (after the
    /// environment's override), else the platform's (computed once).
    fn instance_namespace(&mut self, i: usize) -> Option<crate::value::Str> {
        if let Some(Some(ns)) = self.namespace_memo.get(i) {
            return ns.clone();
        }
        let ns = match self.attr_expr(i, "namespace") {
            Some(e) => match self.eval(e, &Env::default()) {
                Some(Value::Str(s)) => Some(s),
                _ => None,
            },
            None => match self.platform_value() {
                Value::Map(m) => match m.get("namespace") {
                    Some(Value::Str(s)) => Some(s.clone()),
                    _ => None,
                },
                _ => None,
            },
        };
        remember(
            &mut self.namespace_memo,
            self.t.instances.len(),
            i,
            ns.clone(),
        );
        ns
    }

    /// All parameter values of instance `i` (defaults filled in), checked
    /// against their constraints. `None` when something could not be
    /// evaluated (already reported).
    fn instance_args(
        &mut self,
        i: usize,
        from: Span,
    ) -> Option<Arc<BTreeMap<crate::value::Str, Value>>> {
        if let Some(ArgsState::Done(v)) = self.frozen.as_deref().and_then(|f| f.args.get(i)) {
            return v.clone();
        }
        match self.args.get(i) {
            Some(ArgsState::Done(v)) => return v.clone(),
            Some(ArgsState::Visiting) => {
                self.report_cycle(i, from);
                return None;
            }
            None => {}
        }
        self.args.insert(i, ArgsState::Visiting);
        self.stack.push((i, from));
        let result = self.compute_args(i);
        self.stack.pop();
        self.args.insert(i, ArgsState::Done(result.clone()));
        result
    }

    fn compute_args(&mut self, i: usize) -> Option<Arc<BTreeMap<crate::value::Str, Value>>> {
        if self.t.on_cycle.contains(&i) {
            return None;
        }
        let (decl, _, comp) = self.t.instances[i];
        let comp = comp?;
        let info = &self.t.comps[comp.0 as usize];
        let mut frame: Frame<'a> = vec![Slot::Absent; info.members.len()];
        let mut ok = true;
        // Each param's own attribute, found by one pass over the attributes.
        let mut own_attrs: Vec<Option<&'a ast::Expr>> = vec![None; info.params.len()];
        for a in &decl.attrs {
            if let Some(&k) = info.param_index.get(a.name.name.as_str()) {
                own_attrs[k].get_or_insert(&a.value);
            }
        }
        for (p, own) in info.params.iter().zip(own_attrs) {
            // What `attr_expr` gives, without a second search of the
            // attributes: the environment's override, else the own one.
            let set = match self.env {
                Some(_) => self.attr_override(i, &p.name).or(own),
                None => own,
            };
            let slot = match set {
                Some(value) => {
                    // An override was checked with its environment; an own
                    // attribute is evaluated only when it type-checked.
                    let is_own = own.is_some_and(|o| std::ptr::eq(o, value));
                    if is_own && self.t.untyped_args.contains(&(i, value.span)) {
                        Slot::Failed
                    } else {
                        let reading = Env {
                            reader: Some(i),
                            ..Env::default()
                        };
                        match self.eval(value, &reading) {
                            Some(v)
                                if constraints::check_value(
                                    &mut self.diagnostics,
                                    &v,
                                    &p.ty,
                                    value.span,
                                ) && self.check_provided(&v, &p.ty, value.span) =>
                            {
                                Slot::Value(v)
                            }
                            _ => Slot::Failed,
                        }
                    }
                }
                None => match p.default {
                    // A default is checked against the type's constraints
                    // here only when it reads other names (a constant one
                    // was checked at the component).
                    Some((d, reads_names)) => Slot::Pending(d, reads_names.then(|| p.ty.clone())),
                    None if !p.required => Slot::Value(Value::None),
                    None => Slot::Failed,
                },
            };
            if let Some(&k) = info.members.get(p.name.as_str()) {
                frame[k] = slot;
            }
        }
        for l in &info.decl.lets {
            if let Some(&k) = info.members.get(l.name.name.as_str()) {
                if matches!(frame[k], Slot::Absent) {
                    frame[k] = Slot::Pending(&l.value, None);
                }
            }
        }
        self.frames.insert(i, frame);
        // Gathered, then made a map at once (sorted and built in one
        // pass, not inserted key by key).
        // (Computed in the written order, put in key order to be built:
        // sorting them again then only checks that they are.)
        let mut out = Vec::with_capacity(info.params.len());
        for p in &info.params {
            match self.member(i, &p.name) {
                Some(Some(v)) => out.push((p.key.clone(), v)),
                _ => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let order = self.key_order_of(comp.0, u32::MAX, || {
            key_order(info.params.iter().map(|p| p.name.as_str()))
        });
        Some(Arc::new(in_order(out, &order).into_iter().collect()))
    }

    /// The memo of [`key_order`] for (component, `block`), made by `make`.
    pub(super) fn key_order_of(
        &mut self,
        comp: u32,
        block: u32,
        make: impl FnOnce() -> Arc<KeyOrder>,
    ) -> Arc<KeyOrder> {
        self.key_orders
            .entry((comp, block))
            .or_insert_with(make)
            .clone()
    }

    fn report_cycle(&mut self, i: usize, from: Span) {
        let start = self.stack.iter().position(|(j, _)| *j == i).unwrap_or(0);
        let chain: Vec<(usize, Span)> = self.stack[start..].to_vec();
        let names: Vec<String> = chain
            .iter()
            .map(|(j, _)| self.t.instances[*j].0.name.name.clone())
            .chain(std::iter::once(self.t.instances[i].0.name.name.clone()))
            .collect();
        let mut d = Diagnostic::error(
            "E0320",
            format!(
                "instances depend on each other in a cycle: {}",
                names.join(" -> ")
            ),
            from,
        )
        .with_label(format!(
            "`{}` is needed here while it is being evaluated",
            self.t.instances[i].0.name.name
        ));
        for (j, span) in chain.iter().skip(1) {
            d = d.with_secondary(
                *span,
                format!("`{}` is referenced here", self.t.instances[*j].0.name.name),
            );
        }
        d = d.with_help("break the cycle: one of these references must go");
        self.diagnostics.push(d);
    }

    // ------------------------------------------------------------ evaluation

    /// A string literal's value: its text, or its pieces with every
    /// interpolation evaluated.
    fn eval_str(&mut self, s: &ast::StringLit, span: Span, env: &Env) -> Option<Value> {
        // Charged piece by piece, before the text grows.
        self.charge(1, span)?;
        // A literal without interpolation: its text, shared.
        if let [StrPart::Text(t)] = s.parts.as_slice() {
            return Some(Value::Str(t.clone()));
        }
        // The pieces are gathered in a buffer kept from one string to the
        // next (an interpolation that is itself such a string takes a
        // buffer of its own), and the value is made of them in one copy.
        let mut out = std::mem::take(&mut self.str_buffer);
        out.clear();
        let built = self.push_str_parts(s, env, &mut out);
        let v = built.map(|()| Value::Str(out.as_str().into()));
        self.str_buffer = out;
        v
    }

    /// Appends the pieces of `s` to `out`, each interpolation evaluated.
    fn push_str_parts(&mut self, s: &ast::StringLit, env: &Env, out: &mut String) -> Option<()> {
        for p in &s.parts {
            match p {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(x) => match self.eval(x, env)? {
                    // A string's text goes in as it is, uncopied.
                    Value::Str(text) => {
                        self.charge(text.len() as u64 / 64, x.span)?;
                        out.push_str(&text);
                    }
                    // A number (a port, say) is written in place: at most
                    // 20 bytes, which charge nothing.
                    Value::Int(i) => platc_yaml::push_int(out, i),
                    v => {
                        let text = v.interpolate()?;
                        self.charge(text.len() as u64 / 64, x.span)?;
                        out.push_str(&text);
                    }
                },
            }
        }
        Some(())
    }

    fn eval(&mut self, e: &ast::Expr, env: &Env) -> Option<Value> {
        Some(match &e.kind {
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::None => Value::None,
            ExprKind::Quantity(q) => Value::quantity(q.kind, q.amount, Some(q.text.clone())),
            ExprKind::Str(s) => return self.eval_str(s, e.span, env),
            ExprKind::List(items) => {
                let items: Vec<Value> = items
                    .iter()
                    .map(|i| self.eval(i, env))
                    .collect::<Option<_>>()?;
                let v = Value::list(items);
                self.charge(v.weight(), e.span)?;
                v
            }
            ExprKind::Record(entries) => {
                // Keys all written and distinct: evaluated in the written
                // order, then put in key order by the literal's swaps.
                if let Some(swaps) = self.record_swaps(e, entries) {
                    let mut m: Vec<(crate::value::Str, Value)> = Vec::with_capacity(entries.len());
                    for en in entries {
                        let ast::RecordKey::Plain(k) = &en.key else {
                            return None;
                        };
                        let v = self.eval(&en.value, env)?;
                        m.push((k.name.clone(), v));
                    }
                    for &(a, b) in swaps.iter() {
                        m.swap(a as usize, b as usize);
                    }
                    let v = Value::map_of_sorted(m);
                    self.charge(v.weight(), e.span)?;
                    return Some(v);
                }
                // A record's keys are few: a vector, searched for a key
                // met twice as it grows, then sorted once.
                // (A large one keeps a set of its keys.)
                let mut m: Vec<(crate::value::Str, Value)> = Vec::with_capacity(entries.len());
                let mut keys: HashSet<crate::value::Str> = HashSet::default();
                let large = entries.len() > 16;
                for en in entries {
                    let (key, kspan) = match &en.key {
                        ast::RecordKey::Plain(k) => (k.name.clone(), k.span),
                        ast::RecordKey::Computed(lit) => {
                            let k = self.eval_str(lit, lit.span, env)?;
                            let Value::Str(k) = k else { return None };
                            (k, lit.span)
                        }
                    };
                    let v = self.eval(&en.value, env)?;
                    let again = if large {
                        !keys.insert(key.clone())
                    } else {
                        m.iter().any(|(k, _)| *k == key)
                    };
                    if again {
                        self.diagnostics.push(duplicate_key(&key, kspan, e.span));
                        return None;
                    }
                    m.push((key, v));
                }
                let v = Value::map_of(m);
                self.charge(v.weight(), e.span)?;
                v
            }
            ExprKind::If(cond, then, other) => {
                let Value::Bool(b) = self.eval(cond, env)? else {
                    return None;
                };
                return self.eval(if b { then } else { other }, env);
            }
            ExprKind::Comprehension(c) => return self.comprehension(c, e.span, env),
            // Already reported (E0104); nothing is built from it.
            ExprKind::Invalid(_) => return None,
            ExprKind::Name(n) => {
                // Lists and maps are shared; a string is copied, so reading
                // one costs what copying it does.
                if let Some(v) = env.local(n) {
                    let v = v.clone();
                    self.charge_read(&v, e.span)?;
                    return Some(v);
                }
                if let Some(i) = env.self_inst {
                    if let Some(v) = self.member(i, n) {
                        let v = v?;
                        self.charge_read(&v, e.span)?;
                        return Some(v);
                    }
                }
                if self.t.clashing.contains_key(n) {
                    // Defined twice (E0202): which one is meant is unknown.
                    return None;
                }
                match self.t.globals.get(n)?.0 {
                    Global::Instance(i) => Value::Instance(InstId(i as u32)),
                    Global::Secret(s) => Value::Secret(SecretId::whole(s as u32)),
                }
            }
            ExprKind::SelfRef => {
                let i = env.self_inst?;
                Value::Instance(InstId(i as u32))
            }
            ExprKind::Platform => self.platform_value(),
            ExprKind::Field(base, f) => {
                let b = self.eval(base, env)?;
                let Value::Instance(InstId(j)) = b else {
                    return self.field(&b, &f.name, base.span);
                };
                let j = j as usize;
                let (v, names_secret) = self.instance_field(j, &f.name, base.span)?;
                // An optional `secret_name` that is none names no Secret;
                // an instance reads its own.
                let reader = env.reader.or(env.self_inst);
                if !matches!(v, Value::None) && reader.is_some_and(|i| i != j) {
                    let names_secret = match names_secret {
                        Some(b) => b,
                        None => self.t.instances[j]
                            .2
                            .is_some_and(|c| self.field_decl(c.0, &f.name).secret_name),
                    };
                    if names_secret {
                        self.check_secret_name_read(reader, j, &f.name, e.span);
                    }
                }
                v
            }
            ExprKind::Index(base, idx) => {
                let b = self.eval(base, env)?;
                let i = self.eval(idx, env)?;
                match (b, i) {
                    (Value::List(items), Value::Int(i)) => {
                        match usize::try_from(i).ok().and_then(|i| items.get(i)) {
                            Some(v) => v.clone(),
                            None => {
                                self.diagnostics.push(
                                    Diagnostic::error(
                                        "E0319",
                                        format!(
                                            "index {i} is out of range for a list of {} items",
                                            items.len()
                                        ),
                                        idx.span,
                                    )
                                    .with_label("out of range"),
                                );
                                return None;
                            }
                        }
                    }
                    (Value::Secret(id), Value::Str(k)) => {
                        Value::Secret(self.choose_secret_key(id, &k, idx.span)?)
                    }
                    (Value::Map(m), Value::Str(k)) => match m.get(&k) {
                        Some(v) => v.clone(),
                        None => {
                            self.diagnostics.push(
                                Diagnostic::error(
                                    "E0319",
                                    format!("the map has no key {k:?}"),
                                    idx.span,
                                )
                                .with_label("missing key"),
                            );
                            return None;
                        }
                    },
                    _ => return None,
                }
            }
            ExprKind::Call(call) => self.call(call, env)?,
            ExprKind::Unary(op, inner) => {
                let v = self.eval(inner, env)?;
                match (op, v) {
                    (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
                    (UnaryOp::Neg, Value::Int(i)) => match i.checked_neg() {
                        Some(n) => Value::Int(n),
                        None => return self.overflow(e.span),
                    },
                    (UnaryOp::Neg, Value::Float(f)) => Value::Float(-f),
                    _ => return None,
                }
            }
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, e.span, env)?,
        })
    }

    /// The keys of secret `s` ([`crate::items::secret::secret_keys`]),
    /// read from its declaration once.
    pub(super) fn secret_keys(&mut self, s: u32) -> Option<SecretKeys> {
        if let Some(keys) = self.secret_keys_memo.get(&s) {
            return keys.clone();
        }
        let keys: Option<SecretKeys> =
            crate::items::secret::secret_keys(self.t.secrets[s as usize]).map(Into::into);
        self.secret_keys_memo.insert(s, keys.clone());
        keys
    }

    /// The name of the Kubernetes Secret of secret `s`: the one it names
    /// (`kubernetes_secret`), or the one platc makes (`PLATFORM-NAME`);
    /// `None` when that name is not a literal.
    fn secret_name(&mut self, s: u32) -> Option<crate::value::Str> {
        if let Some(name) = self.secret_name_memo.get(&s) {
            return name.clone();
        }
        let decl = self.t.secrets[s as usize];
        let name = match decl.source.func.name.as_str() {
            "kubernetes_secret" => match decl.source.args.first().map(|a| &a.kind) {
                Some(ExprKind::Str(lit)) => lit.as_plain(),
                _ => None,
            },
            _ => {
                let platform = self
                    .t
                    .platform
                    .and_then(|p| p.name.as_plain())
                    .unwrap_or_default();
                Some(format!("{platform}-{}", decl.name.name.replace('_', "-")))
            }
        }
        .map(crate::value::Str::from);
        self.secret_name_memo.insert(s, name.clone());
        name
    }

    /// The key a use of secret `id` reads: the chosen one, or the only
    /// one; a secret with several keys and none chosen is E0328.
    pub(super) fn secret_key(&mut self, id: SecretId, span: Span) -> Option<String> {
        let decl = self.t.secrets[id.secret as usize];
        let keys = self.secret_keys(id.secret)?;
        match id.key {
            Some(k) => Some(keys.get(k as usize)?.0.clone()),
            None if keys.len() == 1 => Some(keys[0].0.clone()),
            None => {
                let name = &decl.name.name;
                let listed: Vec<String> = keys.iter().map(|(k, _)| format!("{k:?}")).collect();
                self.diagnostics.push(
                    Diagnostic::error(
                        "E0328",
                        format!(
                            "secret `{name}` has {} keys, and this needs one",
                            keys.len()
                        ),
                        span,
                    )
                    .with_label("which key?")
                    .with_note(format!("its keys are {}", listed.join(", ")))
                    .with_help(format!(
                        "choose the key with an index, e.g. `{name}[{}]`",
                        listed[0]
                    )),
                );
                None
            }
        }
    }

    /// `secret["key"]`: the key must be one the secret declares (E0308).
    fn choose_secret_key(&mut self, id: SecretId, key: &str, span: Span) -> Option<SecretId> {
        let decl = self.t.secrets[id.secret as usize];
        let keys = self.secret_keys(id.secret)?;
        let found = keys.iter().position(|(k, _)| k == key);
        match (found, id.key) {
            (Some(k), None) => Some(SecretId {
                secret: id.secret,
                key: Some(k as u32),
            }),
            (Some(k), Some(chosen)) if k as u32 == chosen => Some(id),
            _ => {
                let name = &decl.name.name;
                let available: Vec<&str> = match id.key {
                    Some(k) => vec![keys.get(k as usize)?.0.as_str()],
                    None => keys.iter().map(|(k, _)| k.as_str()).collect(),
                };
                let listed: Vec<String> = available.iter().map(|k| format!("{k:?}")).collect();
                let d =
                    Diagnostic::error("E0308", format!("secret `{name}` has no key {key:?}"), span)
                        .with_label("no such key")
                        .with_note(format!(
                            "{} {}",
                            if available.len() == 1 {
                                "its key is"
                            } else {
                                "its keys are"
                            },
                            listed.join(", ")
                        ))
                        .with_suggestion(key, available.iter().copied(), None);
                self.diagnostics.push(d);
                None
            }
        }
    }

    /// The value sources of component `comp`, shared by its instances.
    fn value_sources(&mut self, comp: u32) -> std::sync::Arc<[crate::ValueSource]> {
        if let Some(v) = self.frozen.as_deref().and_then(|f| f.sources.get(&comp)) {
            return v.clone();
        }
        let decl = self.t.comps[comp as usize].decl;
        self.sources_memo
            .entry(comp)
            .or_insert_with(|| sources::value_sources(decl).into())
            .clone()
    }

    fn overflow(&mut self, span: Span) -> Option<Value> {
        self.diagnostics.push(
            Diagnostic::error("E0319", "arithmetic overflow", span)
                .with_label("the result does not fit in a 64-bit integer"),
        );
        None
    }

    fn field(&mut self, b: &Value, f: &str, span: Span) -> Option<Value> {
        match *b {
            // A record field that is not there is an optional one left out
            // (the checker has made sure of the required ones): `none`.
            Value::Map(ref m) => Some(m.get(f).cloned().unwrap_or(Value::None)),
            Value::Secret(id) => match f {
                "secret_name" => self.secret_name(id.secret).map(Value::Str),
                "secret_key" => Some(Value::Str(self.secret_key(id, span)?.into())),
                "secret_keys" => {
                    let keys = self.secret_keys(id.secret)?;
                    let chosen: Vec<Value> = match id.key {
                        Some(k) => vec![Value::Str(keys.get(k as usize)?.0.as_str().into())],
                        None => keys
                            .iter()
                            .map(|(k, _)| Value::Str(k.as_str().into()))
                            .collect(),
                    };
                    Some(Value::list(chosen))
                }
                _ => None,
            },
            Value::Instance(InstId(i)) => self.instance_field(i as usize, f, span).map(|(v, _)| v),
            _ => None,
        }
    }

    /// Field `f` of instance `i`, and whether it names a Secret (an
    /// interface field of type `secret_name`: its reads are checked, see
    /// `check_secret_name_read`); `None`: not looked up (`name` and
    /// `namespace`, which an interface may declare as well).
    fn instance_field(&mut self, i: usize, f: &str, span: Span) -> Option<(Value, Option<bool>)> {
        match f {
            // The Kubernetes form of the name, which is also the release name.
            "name" => Some((Value::Str(self.k8s_name(i)), None)),
            "namespace" => Some((Value::Str(self.instance_namespace(i)?), None)),
            _ => {
                let comp = self.t.instances[i].2?;
                let FieldDecl {
                    provides,
                    expr,
                    secret_name,
                } = self.field_decl(comp.0, f);
                // The interface the field belongs to must be
                // provided for real.
                if let Some(p) = provides {
                    if !self.require_provided_at(i, p, span) {
                        return None;
                    }
                }
                self.instance_args(i, span)?;
                let Some((slot, expr)) = expr else {
                    // An optional interface field the component leaves unset.
                    return Some((Value::None, Some(secret_name)));
                };
                Some((self.provided_field(i, slot, expr)?, Some(secret_name)))
            }
        }
    }

    /// The value instance `i` gives a field of an interface it provides,
    /// `expr` (the field's expression in its component, the field at
    /// position `slot` among the fields of the component's `provides`):
    /// the same for every reader and for the instance's own `provides`,
    /// so computed once.
    fn provided_field(&mut self, i: usize, slot: usize, expr: &ast::Expr) -> Option<Value> {
        debug_assert!(
            self.t.instances[i]
                .2
                .is_some_and(|c| self.t.comps[c.0 as usize]
                    .decl
                    .provides
                    .iter()
                    .flat_map(|p| p.fields.iter())
                    .nth(slot)
                    .is_some_and(|f| std::ptr::eq(&f.value, expr))),
            "the field at `slot` is the one of `expr`"
        );
        if let Some(Some(v)) = self.provided_memo.get(i).and_then(|m| m.get(slot)) {
            return Some(v.clone());
        }
        let env = Env {
            locals: None,
            self_inst: Some(i),
            reader: None,
        };
        let v = self.eval(expr, &env)?;
        let t = self.t;
        let fields = || {
            let comp = t.instances[i].2.map_or(0, |c| c.0 as usize);
            let n = t
                .comps
                .get(comp)
                .map_or(0, |c| c.decl.provides.iter().map(|p| p.fields.len()).sum());
            vec![None; n.max(slot + 1)]
        };
        self.provided_memo.get_or_insert_with(i, fields)[slot] = Some(v.clone());
        Some(v)
    }

    /// The Kubernetes form of instance `i`'s name (`_` as `-`), which is
    /// also its release name: computed once.
    fn k8s_name(&mut self, i: usize) -> crate::value::Str {
        if let Some(Some(name)) = self.k8s_name_memo.get(i) {
            return name.clone();
        }
        let name: crate::value::Str = self.t.instances[i].0.name.name.replace('_', "-").into();
        remember(
            &mut self.k8s_name_memo,
            self.t.instances.len(),
            i,
            name.clone(),
        );
        name
    }

    /// Field `f` of the interfaces component `comp` provides: the interface
    /// it belongs to, the expression the component sets it to (`None`: an
    /// optional field left unset), and whether it names a Secret. Found
    /// once per component and field.
    ///
    /// `f` is the text of a field name in the program (see [`FieldDecls`]).
    fn field_decl(&mut self, comp: u32, f: &str) -> FieldDecl<'a> {
        let key = (comp, f.as_ptr() as usize, f.len());
        if let Some(&d) = self.field_decl_memo.get(&key) {
            // (The memo's key is the place of the text: what a fresh
            // search finds is the same.)
            debug_assert_eq!(d, self.find_field_decl(comp, f));
            return d;
        }
        let d = self.find_field_decl(comp, f);
        self.field_decl_memo.insert(key, d);
        d
    }

    /// [`Self::field_decl`], found.
    fn find_field_decl(&self, comp: u32, f: &str) -> FieldDecl<'a> {
        let t = self.t;
        let info = &t.comps[comp as usize];
        let owner = info
            .provides
            .iter()
            .find(|iid| t.ifaces[iid.0 as usize].fields.iter().any(|(n, _)| n == f))
            .copied();
        let decl: &'a ast::ComponentDecl = info.decl;
        // The declaration that provides the owner (what
        // `provides_decl` finds by the interface's name).
        let provides = owner.and_then(|iid| {
            let iface = &t.ifaces[iid.0 as usize].decl.name.name;
            decl.provides
                .iter()
                .position(|p| p.interface.name.name == *iface)
        });
        let expr = decl
            .provides
            .iter()
            .flat_map(|p| p.fields.iter())
            .enumerate()
            .find(|(_, a)| a.name.name == f)
            .map(|(k, a)| (k, &a.value));
        let secret_name = info
            .provides
            .iter()
            .any(|iid| shape::names_secret(&t.ifaces[iid.0 as usize].fields, f));
        FieldDecl {
            provides,
            expr,
            secret_name,
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
        env: &Env,
    ) -> Option<Value> {
        // Short-circuit boolean operators.
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let Value::Bool(a) = self.eval(l, env)? else {
                return None;
            };
            if (op == BinaryOp::And && !a) || (op == BinaryOp::Or && a) {
                return Some(Value::Bool(a));
            }
            let Value::Bool(b) = self.eval(r, env)? else {
                return None;
            };
            return Some(Value::Bool(b));
        }
        let a = self.eval(l, env)?;
        let b = self.eval(r, env)?;
        use BinaryOp::*;
        Some(match (op, a, b) {
            (Eq, a, b) => Value::Bool(values_equal(&a, &b)),
            (Ne, a, b) => Value::Bool(!values_equal(&a, &b)),
            (In, x, Value::List(l)) => Value::Bool(l.iter().any(|y| values_equal(&x, y))),
            (In, Value::Str(k), Value::Map(m)) => Value::Bool(m.contains_key(&k)),
            (Lt | Le | Gt | Ge, a, b) => {
                let (x, y) = (as_number(&a)?, as_number(&b)?);
                let ord = x.partial_cmp(&y)?;
                Value::Bool(match op {
                    Lt => ord.is_lt(),
                    Le => ord.is_le(),
                    Gt => ord.is_gt(),
                    _ => ord.is_ge(),
                })
            }
            (Add, Value::List(x), Value::List(y)) => {
                self.charge(x.weight().saturating_add(y.weight()), span)?;
                // An empty side adds nothing: the other is the sum, shared.
                if y.is_empty() {
                    Value::List(x)
                } else if x.is_empty() {
                    Value::List(y)
                } else {
                    let mut items: Vec<Value> = Vec::with_capacity(x.len() + y.len());
                    items.extend(x.iter().cloned());
                    items.extend(y.iter().cloned());
                    Value::list(items)
                }
            }
            (Add, Value::Map(x), Value::Map(y)) => {
                // Merge: the right side wins.
                let mut m: BTreeMap<crate::value::Str, Value> =
                    x.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                m.extend(y.iter().map(|(k, v)| (k.clone(), v.clone())));
                let v = Value::map(m);
                self.charge(v.weight(), span)?;
                v
            }
            (op, Value::Int(x), Value::Int(y)) => {
                let res = match op {
                    Add => x.checked_add(y),
                    Sub => x.checked_sub(y),
                    Mul => x.checked_mul(y),
                    Div | Rem if y == 0 => {
                        self.diagnostics.push(
                            Diagnostic::error("E0319", "division by zero", span)
                                .with_label("the right side is zero"),
                        );
                        return None;
                    }
                    Div => x.checked_div(y),
                    Rem => x.checked_rem(y),
                    _ => return None,
                };
                match res {
                    Some(v) => Value::Int(v),
                    None => return self.overflow(span),
                }
            }
            (op, a, b) => {
                let (x, y) = (as_float(&a)?, as_float(&b)?);
                let v = match op {
                    Add => x + y,
                    Sub => x - y,
                    Mul => x * y,
                    Div | Rem if y == 0.0 => {
                        self.diagnostics.push(
                            Diagnostic::error("E0319", "division by zero", span)
                                .with_label("the right side is zero"),
                        );
                        return None;
                    }
                    Div => x / y,
                    Rem => x % y,
                    _ => return None,
                };
                if !v.is_finite() {
                    return self.overflow(span);
                }
                Value::Float(v)
            }
        })
    }
}

/// Stores `v` for instance `i` in a memo indexed by instance, sized for
/// the program's `instances` on first use.
fn remember<T: Clone>(memo: &mut Vec<Option<T>>, instances: usize, i: usize, v: T) {
    if memo.len() <= i {
        memo.resize(instances.max(i + 1), None);
    }
    memo[i] = Some(v);
}

fn as_float(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Quantity(q) => Some(q.amount as f64),
        v => as_float(v),
    }
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Quantity(x), Value::Quantity(y)) => x.kind == y.kind && x.amount == y.amount,
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        (Value::Int(x), Value::Quantity(q)) | (Value::Quantity(q), Value::Int(x))
            if q.kind == QuantityKind::Cpu =>
        {
            (*x as i128) * 1000 == q.amount as i128
        }
        (a, b) => a == b,
    }
}

fn mentions_platform(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Platform => true,
        ExprKind::Str(s) => s
            .parts
            .iter()
            .any(|p| matches!(p, StrPart::Interp(x) if mentions_platform(x))),
        ExprKind::List(items) => items.iter().any(mentions_platform),
        ExprKind::Record(entries) => entries.iter().any(|en| mentions_platform(&en.value)),
        ExprKind::Field(b, _) => mentions_platform(b),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            mentions_platform(a) || mentions_platform(b)
        }
        ExprKind::Unary(_, a) => mentions_platform(a),
        ExprKind::Call(c) => c.args.iter().any(mentions_platform),
        _ => false,
    }
}

/// How to put pairs in the key order of their keys: the swaps that sort
/// them (equal keys keep the order they come in), made once for a list of
/// keys. Pairs put in that order make the same B-tree, which then compares
/// each key with the one before only.
pub(super) struct KeyOrder {
    len: usize,
    swaps: Box<[(u32, u32)]>,
}

/// The [`KeyOrder`] of `keys`.
pub(super) fn key_order<'k>(keys: impl Iterator<Item = &'k str>) -> Arc<KeyOrder> {
    let keys: Vec<&str> = keys.collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(keys[b]));
    // Which pair is at each place as the swaps are made.
    let mut at: Vec<usize> = (0..keys.len()).collect();
    let mut swaps = Vec::new();
    for (i, &want) in order.iter().enumerate() {
        let p = i + at[i..]
            .iter()
            .position(|&x| x == want)
            .expect("a permutation");
        if p != i {
            at.swap(i, p);
            swaps.push((i as u32, p as u32));
        }
    }
    Arc::new(KeyOrder {
        len: keys.len(),
        swaps: swaps.into(),
    })
}

/// `items` put in `order` (made from their keys); left as they are when
/// there are not as many (some failed).
pub(super) fn in_order<K, V>(mut items: Vec<(K, V)>, order: &KeyOrder) -> Vec<(K, V)> {
    if items.len() == order.len {
        for &(a, b) in order.swaps.iter() {
            items.swap(a as usize, b as usize);
        }
    }
    items
}

/// Two entries of one map with the same key.
fn duplicate_key(key: &str, at: Span, whole: Span) -> Diagnostic {
    Diagnostic::error(
        "E0311",
        format!("the key {key:?} is produced more than once"),
        at,
    )
    .with_label("this key was already set")
    .with_secondary(whole, "in this map")
    .with_help("make the keys unique, e.g. by including a unique field in them")
}

#[cfg(test)]
mod tests {
    use super::InstMap;
    use super::*;

    /// A literal's value and charge without an evaluator are the
    /// evaluator's; what is not a literal is left to the evaluator.
    #[test]
    fn literal_values_are_the_evaluators() {
        let exprs = [
            "1",
            "-3",
            "2.5",
            "true",
            "false",
            "none",
            "512Mi",
            "250m",
            "\"abc\"",
            "\"\"",
            "\"a${1}b\"",
            "[1]",
            "{a = 1}",
            "1 + 2",
            "x",
        ];
        let src: String = exprs
            .iter()
            .map(|x| format!("policy p severity deny code \"P0001\" {{\n  for e in exposes where {x}\n    fail e \"m\"\n}}\n"))
            .collect();
        let (module, diags) = platc_syntax::parse(platc_diag::FileId(0), &src);
        assert!(diags.is_empty(), "{diags:?}");
        let tables = Tables::default();
        let mut literals = 0;
        for (item, text) in module.items.iter().zip(exprs) {
            let ast::Item::Policy(p) = item else {
                panic!("not a policy")
            };
            let e = p.rules[0].filter.as_ref().unwrap();
            let mut ev = Evaluator::new(&tables);
            let before = ev.budget;
            let want = ev.eval(e, &Env::default());
            match literal_value(e) {
                Some((v, cost)) => {
                    literals += 1;
                    assert_eq!(Some(v), want, "{text}");
                    assert_eq!(before - ev.budget, cost, "{text}");
                }
                None => assert!(
                    !matches!(
                        e.kind,
                        ExprKind::Int(_)
                            | ExprKind::Float(_)
                            | ExprKind::Bool(_)
                            | ExprKind::None
                            | ExprKind::Quantity(_)
                    ),
                    "{text}"
                ),
            }
        }
        assert_eq!(literals, 10);
    }

    /// Pairs put in [`key_order`] make the B-tree the pairs as they come
    /// make (a key given twice keeps its last value), and come sorted;
    /// fewer pairs than keys are left as they are.
    #[test]
    fn pairs_in_key_order_make_the_same_map() {
        let lists: [&[&str]; 6] = [
            &[],
            &["a"],
            &["port", "host", "url", "database", "user", "password"],
            &["b", "a", "b", "c", "a"],
            &[
                "z", "y", "x", "w", "v", "u", "t", "s", "r", "q", "p", "o", "n", "m", "l", "k",
                "j", "i", "h", "g", "f", "e", "d", "c", "b", "a",
            ],
            &["ab", "a", "abc", "", "b"],
        ];
        for keys in lists {
            let pairs: Vec<(String, usize)> = keys
                .iter()
                .enumerate()
                .map(|(n, k)| (k.to_string(), n))
                .collect();
            let order = key_order(keys.iter().copied());
            let sorted = in_order(pairs.clone(), &order);
            assert!(sorted.windows(2).all(|w| w[0].0 <= w[1].0), "{keys:?}");
            let want: BTreeMap<String, usize> = pairs.clone().into_iter().collect();
            let got: BTreeMap<String, usize> = sorted.into_iter().collect();
            assert_eq!(got, want, "{keys:?}");
            if let Some((_, fewer)) = pairs.split_last() {
                assert_eq!(in_order(fewer.to_vec(), &order), fewer.to_vec());
            }
        }
    }

    /// A memo by instance answers as a hash map by instance does, whatever
    /// the order in which instances are set.
    #[test]
    fn inst_map_answers_as_a_hash_map() {
        let mut ours: InstMap<u32> = InstMap::default();
        let mut want: std::collections::HashMap<usize, u32> = Default::default();
        for (n, i) in [7usize, 0, 3, 7, 12, 1, 3, 40, 2].into_iter().enumerate() {
            let n = n as u32;
            if n.is_multiple_of(3) {
                ours.insert(i, n);
                want.insert(i, n);
            } else {
                let got = *ours.get_or_insert_with(i, || n);
                assert_eq!(got, *want.entry(i).or_insert(n), "instance {i}");
                *ours.get_mut(i).unwrap() += 100;
                *want.get_mut(&i).unwrap() += 100;
            }
            for j in 0..50 {
                assert_eq!(ours.get(j), want.get(&j), "instance {j}");
            }
        }
        assert_eq!(ours.get_mut(1000), None);
        let mut all: Vec<(usize, u32)> = want.into_iter().collect();
        all.sort_unstable();
        assert_eq!(ours.into_iter().collect::<Vec<_>>(), all);
    }
}
