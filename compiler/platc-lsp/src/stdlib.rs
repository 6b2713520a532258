//! The embedded stdlib as read-only documents the editor can open: each
//! module is written once to `<dir>/std/NAME.plat`, where `<dir>` is
//! `$XDG_CACHE_HOME/platc/stdlib-<hash>` (else `~/.cache/...`, else the
//! temporary directory), the hash being that of the embedded modules, so
//! that two versions of platc never share a directory. The files are made
//! read-only; go to definition into the stdlib opens them.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

pub struct StdlibDocs {
    dir: PathBuf,
}

impl StdlibDocs {
    /// The directory for this binary's stdlib under `cache` (or the
    /// default cache directory), with every module written.
    pub fn materialise(cache: Option<PathBuf>) -> StdlibDocs {
        let base = cache.unwrap_or_else(default_cache);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for (name, text) in platc_driver::stdlib_modules() {
            name.hash(&mut h);
            text.hash(&mut h);
        }
        let dir = base.join(format!("stdlib-{:016x}", h.finish()));
        for (name, text) in platc_driver::stdlib_modules() {
            let path = dir.join(format!("{name}.plat"));
            if std::fs::read_to_string(&path).is_ok_and(|t| t == *text) {
                continue;
            }
            // Best effort: without a writable cache the editor cannot open
            // stdlib modules, but every other feature works.
            let _ = write_read_only(&path, text);
        }
        // The canonical form, as the editor's paths are compared with it.
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        StdlibDocs { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where module `std/NAME` is written.
    pub fn path(&self, module: &str) -> PathBuf {
        self.dir.join(format!("{module}.plat"))
    }

    /// The module a path inside the directory is (`std/postgres`).
    pub fn module_of(&self, path: &Path) -> Option<&'static str> {
        let rel = path.strip_prefix(&self.dir).ok()?;
        let name = rel.to_str()?.strip_suffix(".plat")?.replace('\\', "/");
        platc_driver::stdlib_modules()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, _)| *n)
    }
}

fn default_cache() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("XDG_CACHE_HOME")
        .or_else(|| env("HOME").map(|h| h.join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("platc")
}

/// Writes `text` to `path` through a temporary file renamed over it (two
/// servers starting at once never see half a file), then read-only.
fn write_read_only(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("module"),
        std::process::id()
    ));
    std::fs::write(&tmp, text)?;
    let mut perms = std::fs::metadata(&tmp)?.permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&tmp, perms)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_is_written_read_only_and_found_again() {
        let cache = std::env::temp_dir().join(format!("platc-lsp-std-{}", std::process::id()));
        let docs = StdlibDocs::materialise(Some(cache.clone()));
        for (name, text) in platc_driver::stdlib_modules() {
            let p = docs.path(name);
            assert_eq!(std::fs::read_to_string(&p).unwrap(), *text);
            assert!(std::fs::metadata(&p).unwrap().permissions().readonly());
            assert_eq!(docs.module_of(&p), Some(*name));
        }
        // A second server finds the files in place.
        let again = StdlibDocs::materialise(Some(cache.clone()));
        assert_eq!(again.dir(), docs.dir());
        assert_eq!(docs.module_of(&cache.join("elsewhere.plat")), None);
        // Read-only files go with their (writable) directory.
        std::fs::remove_dir_all(&cache).unwrap();
    }
}
