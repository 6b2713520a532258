//! Record literals whose keys are all written text: the order that sorts
//! their entries is the same at every evaluation, so it is found once per
//! literal and replayed as a few swaps, instead of sorting the keys'
//! text (and searching them for a key given twice) every time.

use std::sync::Arc;

use platc_syntax::ast;

use super::Evaluator;

/// The swaps that put a record's entries, in written order, in key order.
pub(super) type Swaps = Arc<[(u8, u8)]>;

/// The swaps that sort `keys` (distinct): applied in turn to a vector in
/// the written order, they leave it sorted by key.
pub(super) fn sorting_swaps<K: Ord>(keys: &[K]) -> Vec<(u8, u8)> {
    let n = keys.len();
    let mut sorted: Vec<usize> = (0..n).collect();
    sorted.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    // `at[w]`: where written entry `w` is now; `holds[p]`: which written
    // entry is at place `p`.
    let mut at: Vec<usize> = (0..n).collect();
    let mut holds: Vec<usize> = (0..n).collect();
    let mut swaps = Vec::new();
    for (p, &w) in sorted.iter().enumerate() {
        let q = at[w];
        if q != p {
            swaps.push((p as u8, q as u8));
            let other = holds[p];
            holds.swap(p, q);
            at[w] = p;
            at[other] = q;
        }
    }
    swaps
}

/// The most entries a record gets swaps for (larger ones are sorted).
const MOST: usize = 16;

impl Evaluator<'_, '_> {
    /// The swaps that sort record literal `e`'s entries, when every key is
    /// written text and no key is given twice; found once per literal.
    pub(super) fn record_swaps(
        &mut self,
        e: &ast::Expr,
        entries: &[ast::RecordEntry],
    ) -> Option<Swaps> {
        let place = e as *const ast::Expr as usize;
        if let Some(s) = self.record_swaps_memo.get(&place) {
            return s.clone();
        }
        let keys: Option<Vec<&str>> = (entries.len() <= MOST)
            .then(|| {
                entries
                    .iter()
                    .map(|en| en.key.plain().map(|k| k.name.as_str()))
                    .collect()
            })
            .flatten();
        let swaps = keys.and_then(|keys| {
            let mut seen = keys.clone();
            seen.sort_unstable();
            seen.dedup();
            (seen.len() == keys.len()).then(|| Swaps::from(sorting_swaps(&keys)))
        });
        self.record_swaps_memo.insert(place, swaps.clone());
        swaps
    }
}

#[cfg(test)]
mod tests {
    use super::sorting_swaps;

    /// Every order of up to six keys comes out sorted.
    #[test]
    fn swaps_sort_every_order() {
        fn orders(n: usize) -> Vec<Vec<usize>> {
            if n == 0 {
                return vec![vec![]];
            }
            let mut out = Vec::new();
            for rest in orders(n - 1) {
                for at in 0..=rest.len() {
                    let mut o = rest.clone();
                    o.insert(at, n - 1);
                    out.push(o);
                }
            }
            out
        }
        for n in 0..=6 {
            for keys in orders(n) {
                let mut v = keys.clone();
                for (a, b) in sorting_swaps(&keys) {
                    v.swap(a as usize, b as usize);
                }
                assert!(v.windows(2).all(|w| w[0] < w[1]), "{keys:?} gave {v:?}");
                assert!(sorting_swaps(&keys).len() < n.max(1));
            }
        }
    }
}
