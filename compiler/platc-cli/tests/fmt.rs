//! `platc fmt` end to end: in-place rewriting, `--check`, `--stdin`, files
//! with syntax errors left alone, and I/O errors.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn platc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_platc"));
    c.env_remove("NO_COLOR");
    c
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("platc-fmt-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str], dir: &Path) -> Output {
    platc().args(args).current_dir(dir).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const MESSY: &str = "// A platform.\nplatform \"demo\" { domain = \"example.com\" }\nimport \"std/postgres\"\ncloudnative_pg cnpg {\n}\npostgres db { storage=20Gi   // the disk\n}\n";
const TIDY: &str = "// A platform.\nplatform \"demo\" {\n  domain = \"example.com\"\n}\n\nimport \"std/postgres\"\n\ncloudnative_pg cnpg {}\n\npostgres db {\n  storage = 20Gi // the disk\n}\n";
const BROKEN: &str = "postgres db {\n  storage = \n}\n";

/// No temporary file is left in `dir`.
fn no_leftovers(dir: &Path) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(!name.contains("platc-fmt"), "left behind: {name}");
    }
}

#[test]
fn rewrites_every_plat_file_below_a_directory_in_place() {
    let dir = scratch("in-place");
    fs::create_dir_all(dir.join("teams/a")).unwrap();
    fs::create_dir_all(dir.join(".hidden")).unwrap();
    fs::write(dir.join("main.plat"), MESSY).unwrap();
    fs::write(dir.join("teams/a/a.plat"), MESSY).unwrap();
    fs::write(dir.join("teams/tidy.plat"), TIDY).unwrap();
    fs::write(dir.join(".hidden/x.plat"), MESSY).unwrap();
    fs::write(dir.join("notes.txt"), MESSY).unwrap();

    let out = run(&["fmt"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2 files reformatted, 1 already formatted"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_to_string(dir.join("main.plat")).unwrap(), TIDY);
    assert_eq!(
        fs::read_to_string(dir.join("teams/a/a.plat")).unwrap(),
        TIDY
    );
    assert_eq!(
        fs::read_to_string(dir.join("teams/tidy.plat")).unwrap(),
        TIDY
    );
    // Hidden directories and other files are not touched.
    assert_eq!(
        fs::read_to_string(dir.join(".hidden/x.plat")).unwrap(),
        MESSY
    );
    assert_eq!(fs::read_to_string(dir.join("notes.txt")).unwrap(), MESSY);
    no_leftovers(&dir);
    no_leftovers(&dir.join("teams/a"));

    // A second run changes nothing.
    let out = run(&["fmt", "."], &dir);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("0 files reformatted, 3 already formatted"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn explicit_files_are_formatted_whatever_their_name() {
    let dir = scratch("explicit");
    fs::write(dir.join("a.txt"), MESSY).unwrap();
    fs::write(dir.join("b.plat"), MESSY).unwrap();
    let out = run(&["fmt", "a.txt"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(dir.join("a.txt")).unwrap(), TIDY);
    assert_eq!(fs::read_to_string(dir.join("b.plat")).unwrap(), MESSY);
}

#[cfg(unix)]
#[test]
fn permissions_and_symbolic_links_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("perms");
    fs::write(dir.join("main.plat"), MESSY).unwrap();
    fs::set_permissions(dir.join("main.plat"), fs::Permissions::from_mode(0o640)).unwrap();
    fs::create_dir_all(dir.join("real")).unwrap();
    fs::write(dir.join("real/target.plat"), MESSY).unwrap();
    std::os::unix::fs::symlink("real/target.plat", dir.join("link.plat")).unwrap();

    let out = run(&["fmt", "main.plat", "link.plat"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let meta = fs::metadata(dir.join("main.plat")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert_eq!(fs::read_to_string(dir.join("main.plat")).unwrap(), TIDY);
    // The link stays a link; its target is rewritten.
    assert!(fs::symlink_metadata(dir.join("link.plat"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(dir.join("real/target.plat")).unwrap(),
        TIDY
    );
    no_leftovers(&dir);
    no_leftovers(&dir.join("real"));
}

#[test]
fn check_lists_what_would_change_and_writes_nothing() {
    let dir = scratch("check");
    fs::write(dir.join("main.plat"), MESSY).unwrap();
    fs::write(dir.join("tidy.plat"), TIDY).unwrap();
    let out = run(&["fmt", "--check"], &dir);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "main.plat\n");
    assert!(stderr(&out).contains("1 file would be reformatted, 1 already formatted"));
    assert_eq!(fs::read_to_string(dir.join("main.plat")).unwrap(), MESSY);

    fs::write(dir.join("main.plat"), TIDY).unwrap();
    let out = run(&["fmt", "--check", "."], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
}

fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = platc()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A child that stops reading early (and says why on stderr) closes the
    // pipe: the assertions on its output and exit code judge it, not this.
    if let Err(e) = child.stdin.take().unwrap().write_all(input) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

#[test]
fn stdin_is_formatted_to_stdout() {
    let out = with_stdin(&["fmt", "--stdin"], MESSY.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), TIDY);

    let out = with_stdin(&["fmt", "--stdin", "--check"], MESSY.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "<stdin>\n");
    let out = with_stdin(&["fmt", "--stdin", "--check"], TIDY.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");

    let out = with_stdin(&["fmt", "--stdin"], BROKEN.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "", "nothing is written for a broken text");
    assert!(stderr(&out).contains("error[E0101]"), "{}", stderr(&out));
    assert!(stderr(&out).contains("<stdin>:3"), "{}", stderr(&out));

    let out = with_stdin(&["fmt", "--stdin"], b"foo x { a = \"\xff\" }");
    assert_eq!(out.status.code(), Some(2));

    let out = with_stdin(&["fmt", "--stdin", "main.plat"], MESSY.as_bytes());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_file_with_syntax_errors_is_reported_and_left_as_it_is() {
    let dir = scratch("broken");
    fs::write(dir.join("broken.plat"), BROKEN).unwrap();
    fs::write(dir.join("main.plat"), MESSY).unwrap();
    let out = platc()
        .args(["fmt", "--color", "never"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    // The renderer of `platc check`.
    assert!(err.contains("error[E0101]: expected"), "{err}");
    assert!(err.contains("broken.plat:3:1"), "{err}");
    assert!(
        err.contains("1 file left as it was because of syntax errors"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(dir.join("broken.plat")).unwrap(), BROKEN);
    // The other files are still formatted.
    assert_eq!(fs::read_to_string(dir.join("main.plat")).unwrap(), TIDY);
    no_leftovers(&dir);
}

#[test]
fn io_errors_exit_two() {
    let dir = scratch("io");
    let out = run(&["fmt", "missing.plat"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read `missing.plat`"),
        "{}",
        stderr(&out)
    );

    // Not UTF-8: reported, untouched, and the rest still formatted.
    let latin1 = b"// caf\xe9\nfoo x {a=1}\n";
    fs::write(dir.join("latin1.plat"), latin1).unwrap();
    fs::write(dir.join("main.plat"), MESSY).unwrap();
    let out = run(&["fmt"], &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not valid UTF-8"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(dir.join("latin1.plat")).unwrap(), latin1);
    assert_eq!(fs::read_to_string(dir.join("main.plat")).unwrap(), TIDY);

    // A file that cannot be read (meaningless for root, who reads anything).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.join("locked.plat");
        fs::write(&locked, MESSY).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::read(&locked).is_err() {
            let out = run(&["fmt", "locked.plat"], &dir);
            assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        }
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o644)).unwrap();
    }
}

#[test]
fn the_repository_examples_are_left_unchanged_by_check() {
    // `--check` on real projects writes nothing, whatever it finds.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let example = repo.join("examples/quickstart/main.plat");
    let before = fs::read(&example).unwrap();
    let out = platc()
        .args(["fmt", "--check"])
        .arg(&example)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(&example).unwrap(), before);
}
