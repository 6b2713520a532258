//! Parsed files kept between compilations, for a process that checks the
//! same project again and again (the language server re-checks it after
//! every edit): a file whose text and place in the program did not change
//! is not parsed again. See [`crate::check_path_cached`].

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use platc_diag::{Diagnostic, FileId};
use platc_syntax::ast::Module;

/// Syntax trees by file id and text (spans carry the file id, so a tree
/// serves only the file of the same id).
#[derive(Default)]
pub struct ParseCache {
    entries: Mutex<HashMap<(FileId, u64), Entry>>,
}

struct Entry {
    text: String,
    module: Module,
    diagnostics: Vec<Diagnostic>,
}

/// The most trees kept; past it the cache starts afresh.
const LIMIT: usize = 4096;

impl ParseCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many trees the cache holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(FileId, u64), Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What `platc_syntax::parse(file, text)` returns, from the cache when
    /// it holds this text for this file.
    pub(crate) fn parse(&self, file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let key = (file, h.finish());
        if let Some(e) = self.lock().get(&key) {
            if e.text == text {
                return (e.module.clone(), e.diagnostics.clone());
            }
        }
        let (module, diagnostics) = platc_syntax::parse(file, text);
        let mut entries = self.lock();
        if entries.len() >= LIMIT {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                text: text.to_string(),
                module: module.clone(),
                diagnostics: diagnostics.clone(),
            },
        );
        (module, diagnostics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_path, check_path_cached, MemoryFs, Options};

    #[test]
    fn cached_checks_equal_fresh_ones_and_parse_only_what_changed() {
        let (mut fs, root) = crate::synthetic::generate(40, 4);
        let options = Options::default();
        let cache = ParseCache::new();
        let codes = |fs: &MemoryFs, cache: Option<&ParseCache>| {
            let c = match cache {
                Some(cache) => check_path_cached(fs, &root, &options, cache),
                None => check_path(fs, &root, &options),
            }
            .unwrap();
            let d: Vec<(String, u32, u32)> = c
                .diagnostics
                .iter()
                .map(|d| (d.code.to_string(), d.primary.span.start, d.primary.span.end))
                .collect();
            (d, c.platform.map(|p| p.instances.len()))
        };
        assert_eq!(codes(&fs, Some(&cache)), codes(&fs, None));
        let files = cache.len();
        assert!(files >= 5, "{files}");
        assert_eq!(codes(&fs, Some(&cache)), codes(&fs, None));
        assert_eq!(cache.len(), files, "nothing changed, nothing parsed");
        // One file changes: one more tree, and the same answer as a fresh check.
        let part = root.join("part_1.plat");
        let text = String::from_utf8(crate::FileSystem::read(&fs, &part).unwrap()).unwrap();
        fs.insert(part, text.replacen("replicas = 1\n", "replicas = 99\n", 1));
        let cached = codes(&fs, Some(&cache));
        assert_eq!(cache.len(), files + 1);
        assert_eq!(cached, codes(&fs, None));
        assert!(!cached.0.is_empty(), "the edit is an error");
    }
}
