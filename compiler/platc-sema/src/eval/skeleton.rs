//! The part of a values tree that is the same for every instance.
//!
//! Most statements of a component's `values` blocks (and of a resource's
//! body) set a fixed key to a literal: `postgresql.enabled = false`. Each
//! instance used to evaluate them again and build the same maps from the
//! same keys. Instead, the statements that are unconditional, whose key
//! path is names only and whose value is a literal, are placed once per
//! component in a *skeleton* tree; an instance's tree starts as that tree
//! (its maps shared, copied only where the instance's own statements add
//! to them) and only the other statements are evaluated.
//!
//! The result is the tree the statements make in their written order:
//! the checker has reported any two fixed paths that overlap, so a literal
//! statement can only meet another statement whose path has a computed
//! key or an index. Placed first, it either leaves that statement's place
//! as it would have been, or makes the placing fail. Any failure to place
//! a statement on a skeleton sends the instance back to the written order
//! ([`Evaluator::values_tree`]), which reports what the user wrote wrong
//! exactly as before.
//!
//! The evaluation budget is spent as before too: a skipped statement is
//! charged what evaluating it costs, at its place in the order; when the
//! budget cannot cover it, the statement is evaluated after all, and runs
//! out at the same expression as it always did.

use std::collections::BTreeMap;
use std::sync::Arc;

use platc_syntax::ast::{self, ExprKind, KeyKind, RecordKey, StrPart};

use super::paths::{Key, Name, Paths};
use super::{Env, Evaluator};
use crate::value::{Str, Value};

static SKELETONS_OFF: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether values trees start from skeletons, for the whole process from
/// now on (they do unless this said otherwise): for tests that compare the
/// two ways.
#[doc(hidden)]
pub fn set_value_skeletons(on: bool) {
    SKELETONS_OFF.store(!on, std::sync::atomic::Ordering::Relaxed);
}

/// The literal statements of some values blocks, placed.
pub(super) struct Skeleton {
    /// The tree they make.
    pub(super) tree: BTreeMap<Str, Value>,
    /// For each block, for each of its top-level statements: what it is
    /// charged when it is skipped (it is in `tree`), or `None` when it is
    /// evaluated.
    pub(super) costs: Vec<Vec<Option<u64>>>,
}

/// Whether `e` is a literal: its value depends on nothing and building it
/// cannot fail.
fn is_literal(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::None
        | ExprKind::Quantity(_) => true,
        ExprKind::Str(s) => s.parts.iter().all(|p| matches!(p, StrPart::Text(_))),
        ExprKind::List(items) => items.iter().all(is_literal),
        ExprKind::Record(entries) => {
            // Distinct plain keys: a key given twice is an error, which
            // evaluation reports.
            let mut seen: Vec<&str> = Vec::with_capacity(entries.len());
            entries.iter().all(|en| match &en.key {
                RecordKey::Plain(k) => {
                    let fresh = !seen.contains(&k.name.as_str());
                    seen.push(&k.name);
                    fresh && is_literal(&en.value)
                }
                RecordKey::Computed(_) => false,
            })
        }
        _ => false,
    }
}

/// The key path of `path` when every segment is a name.
fn fixed_keys(path: &[ast::KeySegment]) -> Option<Vec<Key<'_>>> {
    path.iter()
        .map(|seg| match &seg.kind {
            KeyKind::Name(n) => Some(Key::Name(Name::Written(n))),
            _ => None,
        })
        .collect()
}

/// What a values statement's key is charged (see `eval_values`).
pub(super) fn key_charge(keys: &[Key]) -> u64 {
    let key_bytes: usize = keys
        .iter()
        .map(|k| match k {
            Key::Name(n) => n.as_str().len(),
            Key::Index(_) => 8,
        })
        .sum();
    1 + key_bytes as u64 / 16
}

impl Evaluator<'_, '_> {
    /// The skeleton of `blocks`, made on first use; `None` when no
    /// statement of theirs is a literal one (or two of them clash, which
    /// the checker has reported).
    pub(super) fn skeleton(&mut self, blocks: &[&[ast::ValueStmt]]) -> Option<Arc<Skeleton>> {
        let first = blocks.iter().find(|b| !b.is_empty())?;
        let key = first.as_ptr() as usize;
        if let Some(s) = self.skeletons.get(&key) {
            return s.clone();
        }
        let s = self.make_skeleton(blocks).map(Arc::new);
        self.skeletons.insert(key, s.clone());
        s
    }

    fn make_skeleton(&mut self, blocks: &[&[ast::ValueStmt]]) -> Option<Skeleton> {
        let mut tree = BTreeMap::new();
        let mut costs = Vec::with_capacity(blocks.len());
        let mut any = false;
        // Literals are built outside the budget: what each costs is
        // measured, and charged to every instance that skips it.
        let (budget, exhausted) = (self.budget, self.exhausted);
        let reported = self.diagnostics.len();
        for stmts in blocks {
            let mut block = Vec::with_capacity(stmts.len());
            for stmt in stmts.iter() {
                let ast::ValueStmt::Assign { path, value, .. } = stmt else {
                    block.push(None);
                    continue;
                };
                let keys = match fixed_keys(path) {
                    Some(keys) if is_literal(value) => keys,
                    _ => {
                        block.push(None);
                        continue;
                    }
                };
                self.budget = u64::MAX;
                self.exhausted = false;
                let v = self.eval(value, &Env::default());
                let spent = u64::MAX - self.budget;
                let Some(v) = v.filter(|_| self.diagnostics.len() == reported) else {
                    self.diagnostics.truncate(reported);
                    block.push(None);
                    continue;
                };
                if !matches!(v, Value::None)
                    && super::paths::place_in_map(&mut tree, &keys, v).is_err()
                {
                    (self.budget, self.exhausted) = (budget, exhausted);
                    return None;
                }
                block.push(Some(key_charge(&keys).saturating_add(spent)));
                any = true;
            }
            costs.push(block);
        }
        (self.budget, self.exhausted) = (budget, exhausted);
        any.then_some(Skeleton { tree, costs })
    }

    /// The values tree (and the sensitive values) that `blocks` make in
    /// `env`: from their skeleton when they have one, in their written
    /// order when they have none or the skeleton gets in the way of a
    /// statement (see the module documentation).
    pub(super) fn values_tree(
        &mut self,
        blocks: &[&[ast::ValueStmt]],
        env: &Env,
        sensitive: &mut Vec<crate::SensitiveValue>,
    ) -> Option<BTreeMap<Str, Value>> {
        let outer = self.values_mode;
        let made = self.values_tree_in(blocks, env, sensitive);
        self.values_mode = outer;
        made
    }

    fn values_tree_in(
        &mut self,
        blocks: &[&[ast::ValueStmt]],
        env: &Env,
        sensitive: &mut Vec<crate::SensitiveValue>,
    ) -> Option<BTreeMap<Str, Value>> {
        let skeleton = if SKELETONS_OFF.load(std::sync::atomic::Ordering::Relaxed) {
            None
        } else {
            self.skeleton(blocks)
        };
        if let Some(skeleton) = skeleton {
            let budget = self.budget;
            let mut tree = skeleton.tree.clone();
            let mut own = Vec::new();
            let mut paths = Paths::for_blocks(blocks);
            self.values_mode = ValuesMode::OnSkeleton { clashed: false };
            let mut made = Some(());
            for (stmts, costs) in blocks.iter().zip(&skeleton.costs) {
                made = self.eval_values(stmts, env, &mut tree, &mut own, &mut paths, costs);
                if made.is_none() {
                    break;
                }
            }
            if self.values_mode != (ValuesMode::OnSkeleton { clashed: true }) {
                sensitive.append(&mut own);
                return made.map(|()| tree);
            }
            // The statement that could not be placed stopped the
            // evaluation unreported: evaluate again, in the written order,
            // from the same budget. (What was computed on the way is
            // memoized and not computed twice; what was reported on the
            // way, such as a read of another namespace's Secret, is
            // reported once.)
            self.budget = budget;
        }
        self.values_mode = ValuesMode::Written;
        let mut tree = BTreeMap::new();
        let mut paths = Paths::for_blocks(blocks);
        for stmts in blocks {
            self.eval_values(stmts, env, &mut tree, sensitive, &mut paths, &[])?;
        }
        Some(tree)
    }
}

/// How values statements are being placed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum ValuesMode {
    /// In their written order, into an empty tree: a statement that cannot
    /// be placed is reported.
    #[default]
    Written,
    /// Onto a skeleton: a statement that cannot be placed is not reported
    /// but sets `clashed`, and the blocks are evaluated again in the
    /// written order.
    OnSkeleton { clashed: bool },
}
