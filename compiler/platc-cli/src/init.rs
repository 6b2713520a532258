//! `platc init [DIR]`: a starter platform that checks clean, and a README
//! of next steps.
//!
//! The platform is named after the directory (made a DNS label). Nothing is
//! overwritten: a directory that already holds `main.plat` or `README.md`
//! is refused (exit 2). Each file is written to a temporary name beside it
//! and renamed into place, so an interrupted `init` leaves no half-written
//! file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::fail;

const MAIN: &str = include_str!("init/main.plat");
const README: &str = include_str!("init/README.md");
const PLACEHOLDER: &str = "PLATFORM_NAME";

pub(crate) fn run(dir: PathBuf) -> ExitCode {
    for file in [platc_driver::ROOT_FILE, "README.md"] {
        let path = dir.join(file);
        if path.exists() || path.is_symlink() {
            return fail(
                format!("`{}` already exists", path.display()),
                "platc init starts a new project: pick an empty or new directory".into(),
            );
        }
    }
    if let Err(e) = fs::create_dir_all(&dir) {
        return fail(
            format!("cannot create `{}`: {e}", dir.display()),
            "check the path and its permissions".into(),
        );
    }
    let name = platform_name(&dir);
    for (file, template) in [(platc_driver::ROOT_FILE, MAIN), ("README.md", README)] {
        let text = template.replace(PLACEHOLDER, &name);
        if let Err(e) = write_new(&dir.join(file), &text) {
            return fail(
                format!("cannot write `{}`: {e}", dir.join(file).display()),
                "check the directory's permissions and free space".into(),
            );
        }
    }
    let shown = dir.display();
    let _ = writeln!(
        std::io::stderr(),
        "created platform `{name}` in `{shown}` (main.plat, README.md)\nnext: platc check {shown}"
    );
    ExitCode::SUCCESS
}

/// Writes `text` to a new file at `path`: to a temporary file beside it
/// first, then renamed, never over an existing file.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.platc-init-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if path.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the file appeared meanwhile",
            ));
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The directory's name as a platform name: a DNS label of lowercase
/// letters, digits and `-`, starting with a letter, at most 63 characters.
fn platform_name(dir: &Path) -> String {
    let base = fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    dns_label(&base)
}

fn dns_label(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || (c.is_ascii_digit() && !out.is_empty()) {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(63);
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "my-platform".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_dns_labels() {
        assert_eq!(dns_label("My Lake"), "my-lake");
        assert_eq!(dns_label("2024_data__platform!"), "data-platform");
        assert_eq!(dns_label("ÄÖ"), "my-platform");
        assert_eq!(dns_label(&"a".repeat(80)).len(), 63);
        assert_eq!(dns_label("a-"), "a");
    }
}
