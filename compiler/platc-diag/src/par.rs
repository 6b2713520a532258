//! Work spread over the machine's cores, for the stages whose units are
//! independent (policy chunks, output files, source files): results come
//! back in the order of the items, so output stays deterministic whatever
//! the scheduling.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads [`map`] uses at most: the cores the process may run
/// on (`PLATC_THREADS` overrides it, e.g. `1` to measure one core).
pub fn threads() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("PLATC_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

static OVERRIDE: AtomicUsize = AtomicUsize::new(0);

/// Sets the number of threads for the whole process from now on, over
/// [`threads`] (`0`: back to it): for tests that compare the parallel
/// stages with the sequential ones (`1`) in one process.
pub fn set_threads(n: usize) {
    OVERRIDE.store(n, Ordering::Relaxed);
}

/// How many threads [`map`] uses now: [`threads`], or what
/// [`set_threads`] set.
pub fn available() -> usize {
    match OVERRIDE.load(Ordering::Relaxed) {
        0 => threads(),
        n => n,
    }
}

/// The stack of each worker: as large as the compiler thread's, since the
/// work (parsing, evaluating) recurses as deep as the input nests. Only
/// the pages used are ever committed.
pub const STACK_SIZE: usize = 256 * 1024 * 1024;

/// `f` over every item, on up to [`threads`] threads (each takes the next
/// item when done with one), the results in the items' order. A panic on
/// a worker is resumed on the caller's thread.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let n = available().min(items.len());
    if n <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = &|| {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut all: Vec<(usize, R)> = std::thread::scope(|s| {
        let others: Vec<_> = (1..n)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(s, work)
                    .ok()
            })
            .collect();
        let mut all = work();
        for h in others {
            match h.join() {
                Ok(done) => all.extend(done),
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        all
    });
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        let out = super::map(&items, |&i| {
            // Uneven work, so that threads finish out of order.
            (0..(i % 7) * 1000).fold(i, |a, b| a.wrapping_add(b % 3))
        });
        let want: Vec<u64> = items
            .iter()
            .map(|&i| (0..(i % 7) * 1000).fold(i, |a, b| a.wrapping_add(b % 3)))
            .collect();
        assert_eq!(out, want);
        assert!(super::map(&Vec::<u8>::new(), |_| 1).is_empty());
    }
}
