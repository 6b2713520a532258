//! File access, as a trait so that the core does no IO of its own.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// What the compiler needs from a file system.
pub trait FileSystem: Sync {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Reads at most `limit + 1` bytes, so that a caller learns that a file
    /// is too large without reading it whole; only regular files are read
    /// (a FIFO would block, a device never end).
    fn read_limited(&self, path: &Path, limit: usize) -> io::Result<Vec<u8>> {
        let mut bytes = self.read(path)?;
        bytes.truncate(limit.saturating_add(1));
        Ok(bytes)
    }
    /// The absolute path with symlinks resolved.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;
    fn is_file(&self, path: &Path) -> bool;
    fn is_dir(&self, path: &Path) -> bool;
    /// The names of the entries of a directory (for "did you mean" on a
    /// missing file); none when it cannot be listed.
    fn list_dir(&self, _path: &Path) -> Vec<String> {
        Vec::new()
    }
}

/// The real file system.
pub struct RealFs;

impl FileSystem for RealFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn read_limited(&self, path: &Path, limit: usize) -> io::Result<Vec<u8>> {
        use std::io::Read;
        // Looked at before it is opened: opening a FIFO blocks.
        if !std::fs::metadata(path)?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)?
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes)?;
        Ok(bytes)
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
    fn list_dir(&self, path: &Path) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(path) else {
            return Vec::new();
        };
        // Bounded: a huge directory is not read whole for a suggestion.
        entries
            .take(10_000)
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect()
    }
}

/// An in-memory file system of absolute paths (no symlinks).
#[derive(Default, Clone)]
pub struct MemoryFs {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemoryFs {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), contents.into());
    }
}

impl FileSystem for MemoryFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let p = normalize(path);
        if self.files.contains_key(&p) || self.is_dir(&p) {
            Ok(p)
        } else {
            Err(io::Error::new(io::ErrorKind::NotFound, "no such file"))
        }
    }
    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(&normalize(path))
    }
    fn is_dir(&self, path: &Path) -> bool {
        let p = normalize(path);
        self.files.keys().any(|f| f.starts_with(&p) && *f != p)
    }
    fn list_dir(&self, path: &Path) -> Vec<String> {
        let p = normalize(path);
        let mut names: Vec<String> = self
            .files
            .keys()
            .filter_map(|f| f.strip_prefix(&p).ok()?.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        names.dedup();
        names
    }
}

/// The path nearest to `path` (relative to `base`) that exists: each
/// component that does not exist is replaced by the most similar entry of
/// its directory. `None` when some component has no similar entry, or
/// when `path` exists.
pub(crate) fn nearest_existing(fs: &dyn FileSystem, base: &Path, path: &str) -> Option<String> {
    let mut dir = base.to_path_buf();
    let mut out: Vec<String> = Vec::new();
    let mut changed = false;
    let parts: Vec<&str> = path.split('/').collect();
    for (k, part) in parts.iter().enumerate() {
        let last = k + 1 == parts.len();
        let next = dir.join(part);
        let exists = if last {
            fs.is_file(&next)
        } else {
            fs.is_dir(&next) || matches!(*part, "." | "..")
        };
        if exists {
            out.push(part.to_string());
            dir = next;
            continue;
        }
        let entries = fs.list_dir(&dir);
        let candidates = entries.iter().map(String::as_str).filter(|e| {
            let p = dir.join(e);
            if last {
                fs.is_file(&p)
            } else {
                fs.is_dir(&p)
            }
        });
        let found = platc_diag::did_you_mean(part, candidates)?.to_string();
        dir = dir.join(&found);
        out.push(found);
        changed = true;
    }
    changed.then(|| out.join("/"))
}

/// Removes `.` and resolves `..` lexically.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_existing_path_replaces_each_missing_component() {
        let mut fs = MemoryFs::new();
        fs.insert("/p/values/web.yaml", "");
        fs.insert("/p/values/api.yaml", "");
        let near = |path: &str| nearest_existing(&fs, Path::new("/p"), path);
        assert_eq!(near("values/web.yml").as_deref(), Some("values/web.yaml"));
        assert_eq!(near("value/api.yaml").as_deref(), Some("values/api.yaml"));
        assert_eq!(near("valus/wep.yaml").as_deref(), Some("values/web.yaml"));
        // Nothing similar, or nothing missing: no suggestion.
        assert_eq!(near("values/nothing-like-it.yaml"), None);
        assert_eq!(near("values/web.yaml"), None);
        // A directory is not suggested for a file, nor a file for a
        // directory.
        assert_eq!(near("valuez"), None);
    }
}
