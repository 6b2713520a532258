//! What an environment switches on and off: instances (`enabled`), the
//! interfaces a component provides or requires under a condition, and the
//! checks that follow from them (E0325, E0326, E0316).

use crate::HashSet;

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast;

use super::{Env, Evaluator};
use crate::types::Ty;
use crate::value::{InstId, Value};

impl Evaluator<'_, '_> {
    /// Whether instance `i` takes part in this evaluation (its `enabled`
    /// attribute, after the environment's override), and where it is
    /// switched off.
    pub(super) fn enabled(&mut self, i: usize) -> (bool, Option<Span>) {
        match self.attr_expr(i, "enabled") {
            Some(e) => match self.eval(e, &Env::default()) {
                Some(Value::Bool(false)) => (false, Some(e.span)),
                _ => (true, None),
            },
            None => (true, None),
        }
    }

    /// The instances switched on that provide `iface` for real, in the
    /// order of their names (memoised).
    pub(super) fn providers(&mut self, iface: &str) -> super::Providers {
        if let Some(v) = self
            .providers_memo
            .get(iface)
            .or_else(|| self.frozen.as_deref().and_then(|f| f.providers.get(iface)))
        {
            return v.clone();
        }
        let mut order: Vec<usize> = (0..self.t.instances.len())
            .filter(|&j| self.provides_decl(j, iface).is_some())
            .collect();
        order.sort_by(|a, b| {
            self.t.instances[*a]
                .0
                .name
                .name
                .cmp(&self.t.instances[*b].0.name.name)
        });
        let mut out = Vec::new();
        for j in order {
            if !self.is_enabled(j) {
                continue;
            }
            let Some(p) = self.provides_decl(j, iface) else {
                continue;
            };
            if self.provides_active(j, p) == Some(true) {
                out.push(j);
            }
        }
        let out: super::Providers = out.into();
        self.providers_memo.insert(iface.to_string(), out.clone());
        out
    }

    /// Whether instance `j` is switched on in this evaluation (memoised).
    pub(super) fn is_enabled(&mut self, j: usize) -> bool {
        if let Some(&b) = self
            .enabled_memo
            .get(&j)
            .or_else(|| self.frozen.as_deref().and_then(|f| f.enabled.get(&j)))
        {
            return b;
        }
        let b = self.enabled(j).0;
        self.enabled_memo.insert(j, b);
        b
    }

    /// Whether `provides` declaration `p` of instance `i`'s component is in
    /// effect for `i` (its `if` condition holds).
    pub(super) fn provides_active(&mut self, i: usize, p: usize) -> Option<bool> {
        let comp = self.t.instances[i].2?;
        let cond = self.t.comps[comp.0 as usize].decl.provides[p].cond.as_ref();
        // Most `provides` have no condition: in effect, nothing to remember.
        if cond.is_none() {
            return Some(true);
        }
        if let Some(&b) = self.provides_active_memo.get(&(i, p)) {
            return b;
        }
        let b = self.member_cond_holds(i, cond);
        self.provides_active_memo.insert((i, p), b);
        b
    }

    /// Whether `requires` declaration `r` applies to instance `i`.
    pub(super) fn requires_active(&mut self, i: usize, r: usize) -> Option<bool> {
        if let Some(&b) = self.requires_active_memo.get(&(i, r)) {
            return b;
        }
        let comp = self.t.instances[i].2?;
        let cond = self.t.comps[comp.0 as usize].decl.requires[r].cond.as_ref();
        let b = self.member_cond_holds(i, cond);
        self.requires_active_memo.insert((i, r), b);
        b
    }

    /// The `if` of a component member, for instance `i` (no condition:
    /// true). The condition reads the instance's params and lets, so they
    /// are computed first.
    fn member_cond_holds(&mut self, i: usize, cond: Option<&ast::Expr>) -> Option<bool> {
        let Some(cond) = cond else {
            return Some(true);
        };
        self.instance_args(i, self.t.instances[i].0.name.span)?;
        let env = Env {
            locals: Default::default(),
            self_inst: Some(i),
            reader: None,
        };
        match self.eval(cond, &env)? {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The `provides` declaration of instance `i`'s component for the
    /// interface named `iface`.
    pub(super) fn provides_decl(&self, i: usize, iface: &str) -> Option<usize> {
        let comp = self.t.instances[i].2?;
        self.t.comps[comp.0 as usize]
            .decl
            .provides
            .iter()
            .position(|p| p.interface.name.name == iface)
    }

    /// Checks that every instance inside `v`, where `ty` expects an
    /// interface, provides it for real (its condition holds): E0326.
    pub(super) fn check_provided(&mut self, v: &Value, ty: &Ty, span: Span) -> bool {
        match (ty.base(), v) {
            (Ty::Optional(t), v) => self.check_provided(v, t, span),
            (Ty::List(t), Value::List(items)) => {
                items.iter().all(|x| self.check_provided(x, t, span))
            }
            (Ty::Map(t), Value::Map(m)) => m.values().all(|x| self.check_provided(x, t, span)),
            (Ty::Record(fs), Value::Map(m)) => fs.iter().all(|(n, t)| match m.get(n) {
                Some(x) => self.check_provided(x, t, span),
                None => true,
            }),
            (Ty::Interface(iid), Value::Instance(InstId(j))) => {
                let iface = self.t.ifaces[iid.0 as usize].decl.name.name.clone();
                self.require_provided(*j as usize, &iface, span)
            }
            _ => true,
        }
    }

    /// Reports (E0326) and returns false when instance `j` is used as
    /// `iface` but its component's `provides iface if ...` is false for it.
    pub(super) fn require_provided(&mut self, j: usize, iface: &str, span: Span) -> bool {
        match self.provides_decl(j, iface) {
            Some(p) => self.require_provided_at(j, p, span),
            None => true,
        }
    }

    /// [`Self::require_provided`] of the interface of `provides`
    /// declaration `p` of instance `j`'s component.
    pub(super) fn require_provided_at(&mut self, j: usize, p: usize, span: Span) -> bool {
        match self.provides_active(j, p) {
            Some(false) => {}
            _ => return true,
        }
        let comp = self.t.instances[j].2.expect("resolved");
        let pdecl = &self.t.comps[comp.0 as usize].decl.provides[p];
        let iface = pdecl.interface.name.name.as_str();
        let name = &self.t.instances[j].0.name.name;
        let mut d = Diagnostic::error(
            "E0326",
            format!("`{name}` does not provide `{iface}` here"),
            span,
        )
        .with_label(format!("used as a `{iface}`"))
        .with_secondary(
            pdecl.cond.as_ref().map(|c| c.span).unwrap_or(pdecl.span),
            format!("`{iface}` is provided only when this holds, and it is false for `{name}`"),
        )
        .with_help(format!(
            "set `{name}`'s parameters so that it provides `{iface}`, or pass another instance"
        ));
        if let Some(env) = self.env {
            d = d.with_note(format!("in environment `{}`", env.name.name));
        }
        self.diagnostics.push(d);
        false
    }

    /// Each requirement in effect must be met by an instance that is
    /// switched on and provides the interface for real (E0316), and not only
    /// by instances switched off (E0325). Once per component.
    pub(super) fn check_requirements(&mut self, enabled: &[bool], off_at: &[Option<Span>]) {
        let n = self.t.instances.len();
        let mut reported: HashSet<usize> = HashSet::default();
        for i in 0..n {
            let Some(comp) = self.t.instances[i].2 else {
                continue;
            };
            if !enabled[i] || reported.contains(&(comp.0 as usize)) {
                continue;
            }
            let cdecl = self.t.comps[comp.0 as usize].decl;
            for (r, req) in cdecl.requires.iter().enumerate() {
                if self.requires_active(i, r) != Some(true) {
                    continue;
                }
                let iface = req.interface.name.name.clone();
                if !self.providers(&iface).is_empty() {
                    continue;
                }
                let declared: Vec<usize> = (0..enabled.len())
                    .filter(|&j| self.provides_decl(j, &iface).is_some())
                    .collect();
                let decl = self.t.instances[i].0;
                let off: Vec<usize> = declared.iter().copied().filter(|j| !enabled[*j]).collect();
                let mut d = if let Some(&j) = off.first() {
                    let jname = &self.t.instances[j].0.name.name;
                    let mut d = Diagnostic::error(
                        "E0325",
                        format!(
                            "`{}` requires a `{iface}`, and the only ones are switched off",
                            cdecl.name.name
                        ),
                        decl.name.span,
                    )
                    .with_label(format!(
                        "this `{}` needs an instance providing `{iface}`",
                        cdecl.name.name
                    ))
                    .with_secondary(req.interface.span, "required here");
                    if let Some(at) = off_at[j] {
                        d = d.with_secondary(at, format!("`{jname}` is switched off here"));
                    }
                    d.with_help(format!(
                        "keep `{jname}` enabled, or add another instance that provides `{iface}`"
                    ))
                } else if req.cond.is_some() || !declared.is_empty() {
                    Diagnostic::error(
                        "E0316",
                        format!(
                            "`{}` requires an instance that provides `{iface}`, and there is none",
                            cdecl.name.name
                        ),
                        decl.name.span,
                    )
                    .with_label(format!("this `{}` needs an instance providing `{iface}`", cdecl.name.name))
                    .with_secondary(req.interface.span, "required here")
                    .with_help(format!(
                        "add an instance of a component that provides `{iface}`, with the settings under which it provides it"
                    ))
                } else {
                    // No component provides it at all: reported by the checker.
                    continue;
                };
                if let Some(env) = self.env {
                    d = d.with_note(format!("in environment `{}`", env.name.name));
                }
                self.diagnostics.push(d);
                reported.insert(comp.0 as usize);
            }
        }
    }

    /// A `secret_name` field names a Secret in the namespace of the
    /// instance that gives it: an instance in another namespace cannot read
    /// that Secret (E0327).
    /// (Called for a field that names a Secret, see
    /// [`Evaluator::instance_field`].)
    pub(super) fn check_secret_name_read(
        &mut self,
        reader: Option<usize>,
        j: usize,
        field: &str,
        span: Span,
    ) {
        let Some(i) = reader else { return };
        if i == j || !self.secret_reads.insert((i, j, field.to_string())) {
            return;
        }
        let (Some(ns_i), Some(ns_j)) = (self.instance_namespace(i), self.instance_namespace(j))
        else {
            return;
        };
        if ns_i == ns_j {
            return;
        }
        let (reader_name, provider) = (
            self.t.instances[i].0.name.name.clone(),
            self.t.instances[j].0.name.name.clone(),
        );
        let at = self
            .ref_spans
            .get(&(i, j))
            .or_else(|| {
                self.frozen
                    .as_deref()
                    .and_then(|f| f.ref_spans.get(&(i, j)))
            })
            .copied()
            .unwrap_or(self.t.instances[i].0.name.span);
        let mut d = Diagnostic::error(
            "E0327",
            format!(
                "`{reader_name}` in namespace `{ns_i}` reads the Secret `{provider}.{field}`, which is in namespace `{ns_j}`"
            ),
            at,
        )
        .with_label(format!("`{provider}` is in namespace `{ns_j}`"))
        .with_secondary(span, format!("the Secret's name is read here, for a pod in `{ns_i}`"))
        .with_note("a pod can only read Secrets of its own namespace");
        if let Some(env) = self.env {
            d = d.with_note(format!("in environment `{}`", env.name.name));
        }
        self.diagnostics.push(d.with_help(format!(
            "put `{reader_name}` and `{provider}` in one namespace (`namespace = \"{ns_j}\"` on `{reader_name}`)"
        )));
    }
}

/// Whether interface field `field` (of `fields`) names a Secret: a
/// `secret_name`, or a `secret_name?` (an optional name read is a Secret
/// read whenever it is set).
pub(super) fn names_secret(fields: &[(String, Ty)], field: &str) -> bool {
    fields.iter().any(|(n, t)| {
        let t = match t.base() {
            Ty::Optional(inner) => inner.base(),
            t => t,
        };
        n == field && t == &Ty::SecretName
    })
}
