//! The editor's open documents over the disk: the compiler reads an open
//! document's unsaved text, and every other file from the disk, through
//! platc-driver's [`FileSystem`] trait.

use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use platc_driver::{FileSystem, RealFs};

/// Open documents (by canonical path) over the real file system.
#[derive(Default)]
pub struct OverlayFs {
    docs: HashMap<PathBuf, String>,
}

impl OverlayFs {
    /// The canonical form of `path`: symlinks resolved when it exists on
    /// disk, else its directory's canonical form joined with its name (a
    /// new, unsaved file), else `path` with `.` and `..` removed.
    pub fn key(path: &Path) -> PathBuf {
        if let Ok(c) = std::fs::canonicalize(path) {
            return c;
        }
        let path = lexical(path);
        match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) => match std::fs::canonicalize(dir) {
                Ok(d) => d.join(name),
                Err(_) => path.clone(),
            },
            _ => path,
        }
    }

    pub fn set(&mut self, path: PathBuf, text: String) {
        self.docs.insert(path, text);
    }

    pub fn remove(&mut self, path: &Path) {
        self.docs.remove(path);
    }

    pub fn get(&self, path: &Path) -> Option<&str> {
        self.docs
            .get(path)
            .or_else(|| self.docs.get(&lexical(path)))
            .map(String::as_str)
    }

    fn find(&self, path: &Path) -> Option<&str> {
        self.get(path).or_else(|| {
            std::fs::canonicalize(path)
                .ok()
                .and_then(|c| self.docs.get(&c))
                .map(String::as_str)
        })
    }

    /// The text of a file: the open document's, else the disk's.
    pub fn text(&self, path: &Path) -> Option<String> {
        match self.find(path) {
            Some(t) => Some(t.to_string()),
            None => {
                let bytes = RealFs
                    .read_limited(path, platc_syntax::MAX_FILE_SIZE)
                    .ok()?;
                String::from_utf8(bytes).ok()
            }
        }
    }
}

impl FileSystem for OverlayFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.find(path) {
            Some(t) => Ok(t.as_bytes().to_vec()),
            None => RealFs.read(path),
        }
    }
    fn read_limited(&self, path: &Path, limit: usize) -> io::Result<Vec<u8>> {
        match self.find(path) {
            Some(t) => {
                let bytes = t.as_bytes();
                Ok(bytes[..bytes.len().min(limit.saturating_add(1))].to_vec())
            }
            None => RealFs.read_limited(path, limit),
        }
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        match RealFs.canonicalize(path) {
            Ok(c) => Ok(c),
            Err(e) => {
                let key = Self::key(path);
                if self.docs.contains_key(&key) {
                    Ok(key)
                } else {
                    Err(e)
                }
            }
        }
    }
    fn is_file(&self, path: &Path) -> bool {
        self.find(path).is_some() || RealFs.is_file(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        RealFs.is_dir(path) || {
            let p = lexical(path);
            self.docs.keys().any(|k| k.starts_with(&p) && *k != p)
        }
    }
}

/// `.` removed and `..` resolved lexically.
pub fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
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
    fn open_documents_shadow_the_disk_and_unsaved_files_exist() {
        let dir = std::env::temp_dir().join(format!("platc-lsp-overlay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let on_disk = dir.join("a.plat");
        std::fs::write(&on_disk, "disk").unwrap();
        let mut fs = OverlayFs::default();
        assert_eq!(fs.read(&on_disk).unwrap(), b"disk");
        fs.set(OverlayFs::key(&on_disk), "editor".into());
        assert_eq!(fs.read(&on_disk).unwrap(), b"editor");
        assert_eq!(fs.read_limited(&on_disk, 2).unwrap(), b"edi");
        let unsaved = dir.join("new.plat");
        assert!(!fs.is_file(&unsaved));
        fs.set(OverlayFs::key(&unsaved), "new".into());
        assert!(fs.is_file(&unsaved));
        assert_eq!(
            fs.canonicalize(&dir.join("./new.plat")).unwrap(),
            fs.canonicalize(&unsaved).unwrap()
        );
        fs.remove(&OverlayFs::key(&on_disk));
        assert_eq!(fs.text(&on_disk).as_deref(), Some("disk"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
