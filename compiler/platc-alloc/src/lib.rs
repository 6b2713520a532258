//! The allocator of the `platc` binary and of the benchmarks (which
//! measure what users run), and the one setting platc gives it.
//!
//! mimalloc returns memory that has been free for 10 ms to the operating
//! system ("purging" it), and takes it back, zeroed again by the kernel,
//! when the program allocates once more. A compile frees and allocates
//! in waves (parsing's buffers, each instance's temporaries, each
//! emitted file's), so the 10,000-instance build purged about 150 MiB
//! and took it back: about 12,000 page faults instead of about 450, and
//! about 7 % of its wall time (docs/performance.md, "Freed memory
//! kept"). A batch command (`check`, `build` and the others) ends within
//! seconds and gives all its memory back then, so [`keep_freed_memory`]
//! turns purging off for it; the language server runs for hours and
//! keeps mimalloc's default.
//!
//! The setting is one call into mimalloc's C API, which only `unsafe`
//! can make: this crate holds it, so that the rest of the workspace can
//! go on forbidding `unsafe`.

pub use mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (`mimalloc.h`, v2: the sixteenth
/// option). `libmimalloc-sys` names its neighbours but not it.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The environment variable by which mimalloc reads the same option when
/// the process starts.
const PURGE_DELAY_VARIABLE: &str = "MIMALLOC_PURGE_DELAY";

/// Keeps the memory the process frees for its own later allocations
/// until it exits, instead of returning it to the operating system after
/// 10 ms. For commands that run to an end, not for a long-lived server.
/// A `MIMALLOC_PURGE_DELAY` set in the environment wins: mimalloc has
/// read it at start, and it is left as it is. Call it at the start of
/// `main`, before the process starts a thread (mimalloc's options are
/// not synchronised).
pub fn keep_freed_memory() {
    if std::env::var_os(PURGE_DELAY_VARIABLE).is_some() {
        return;
    }
    set_purge_delay(-1);
}

/// Sets mimalloc's purge delay in milliseconds (-1: never purge).
#[allow(unsafe_code)]
fn set_purge_delay(milliseconds: std::ffi::c_long) {
    // SAFETY: `mi_option_set` stores a number in mimalloc's table of
    // options, which mimalloc reads when it next decides whether to purge.
    // It takes any option index below `_mi_option_last` and any value
    // (mimalloc.h, "Runtime options"). It is not synchronised: callers
    // set it at the start of `main`, before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, milliseconds) }
}

/// mimalloc's current purge delay in milliseconds.
#[cfg(test)]
#[allow(unsafe_code)]
fn purge_delay() -> std::ffi::c_long {
    // SAFETY: `mi_option_get` reads mimalloc's table of options, and
    // takes any option index below `_mi_option_last`.
    unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[global_allocator]
    static ALLOCATOR: MiMalloc = MiMalloc;

    /// Pages the process has touched and holds (Linux only).
    #[cfg(target_os = "linux")]
    fn resident_pages() -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
        statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .expect("resident pages")
    }

    /// One test, since the option is the process's: the index is that of
    /// the purge delay (its default is mimalloc's documented 10 ms, unless
    /// the environment set it), setting it reads back, and with it freed
    /// memory stays with the process. (Had the index named another option,
    /// the memory would be purged 10 ms after it was freed, and the
    /// resident size would fall.)
    #[test]
    fn freed_memory_is_kept() {
        let from_environment = std::env::var_os(PURGE_DELAY_VARIABLE).is_some();
        let before = purge_delay();
        keep_freed_memory();
        if from_environment {
            eprintln!("freed_memory_is_kept: {PURGE_DELAY_VARIABLE} is set in the environment, so only checked to be kept");
            assert_eq!(purge_delay(), before, "the environment's setting is kept");
            return;
        }
        assert_eq!(before, 10, "mimalloc's default purge delay");
        assert_eq!(purge_delay(), -1);
        #[cfg(target_os = "linux")]
        {
            // 64 MB in small blocks (in mimalloc's pages, not one large
            // mapping, which it would unmap at once whatever the option).
            let blocks: Vec<Vec<u8>> = (0..64 * 1024).map(|i| vec![i as u8; 1000]).collect();
            let full = resident_pages();
            drop(blocks);
            // Past the default delay, then allocation and freeing in
            // another size class, which is when mimalloc purges what has
            // waited long enough (measured: without the setting, the
            // resident size falls by about half here).
            std::thread::sleep(std::time::Duration::from_millis(100));
            for _ in 0..64 {
                let small: Vec<Vec<u8>> = (0..4096).map(|i| vec![i as u8; 40]).collect();
                drop(small);
            }
            let after = resident_pages();
            assert!(
                after >= full - full / 8,
                "freed memory was returned: {full} resident pages before freeing 64 MB, {after} after"
            );
        }
    }
}
