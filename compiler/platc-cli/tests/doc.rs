//! `platc doc` end to end: the reference is written, a second run changes
//! nothing, `--check` finds a changed, missing or stale page, and only
//! generated pages are ever removed. (CI runs `platc doc --check` on the
//! committed `docs/stdlib/`.)

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn platc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platc"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("platc-doc-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_reference_is_written_checked_and_kept_up_to_date() {
    let dir = scratch("cycle");
    let out = platc(&["doc", "ref"], &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = fs::read_to_string(dir.join("ref/README.md")).unwrap();
    assert!(index.contains("[`std/postgres`](postgres.md)"), "{index}");
    let page = fs::read_to_string(dir.join("ref/postgres.md")).unwrap();
    assert!(page.contains("## Component `postgres`"));
    assert_eq!(
        platc(&["doc", "--check", "ref"], &dir).status.code(),
        Some(0)
    );

    // A hand edit, a deleted page and a stale page are all found.
    fs::write(dir.join("ref/postgres.md"), "edited\n").unwrap();
    fs::remove_file(dir.join("ref/minio.md")).unwrap();
    let stale = index[..index.find('\n').unwrap() + 1].to_string();
    fs::write(dir.join("ref/gone.md"), &stale).unwrap();
    fs::write(dir.join("ref/notes.md"), "my own notes\n").unwrap();
    let check = platc(&["doc", "--check", "ref"], &dir);
    assert_eq!(check.status.code(), Some(1));
    let listed = String::from_utf8_lossy(&check.stdout).into_owned();
    for name in ["postgres.md", "minio.md", "gone.md (stale)"] {
        assert!(listed.contains(name), "{listed}");
    }
    assert!(!listed.contains("notes.md"), "{listed}");
    // --check wrote nothing.
    assert_eq!(
        fs::read_to_string(dir.join("ref/postgres.md")).unwrap(),
        "edited\n"
    );

    // Writing repairs it, removes the stale generated page, keeps the rest.
    assert!(platc(&["doc", "ref"], &dir).status.success());
    assert_eq!(
        fs::read_to_string(dir.join("ref/postgres.md")).unwrap(),
        page
    );
    assert!(dir.join("ref/minio.md").is_file());
    assert!(!dir.join("ref/gone.md").exists());
    assert!(dir.join("ref/notes.md").is_file());
    assert_eq!(
        platc(&["doc", "--check", "ref"], &dir).status.code(),
        Some(0)
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unwritable_directory_is_an_io_error() {
    let dir = scratch("unwritable");
    fs::write(dir.join("file"), "not a directory\n").unwrap();
    let out = platc(&["doc", "file/ref"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the stdlib reference"));
    fs::remove_dir_all(&dir).unwrap();
}
