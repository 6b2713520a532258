//! The binary's contract: exit codes, output streams, colour, explain.

use std::path::{Path, PathBuf};
use std::process::Command;

fn platc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_platc"));
    c.env_remove("NO_COLOR");
    c
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn clean_project_exits_zero() {
    let out = platc()
        .arg("check")
        .arg(repo().join("examples/quickstart"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("is clean"));
}

#[test]
fn errors_exit_one_and_json_goes_to_stdout() {
    let case = repo().join("tests/ui/E0301-type-mismatch");
    let out = platc()
        .args(["check", "--format", "json"])
        .arg(&case)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["code"], "E0301");
    assert_eq!(first["location"]["file"], "main.plat");
}

#[test]
fn human_output_has_colour_only_when_asked() {
    let case = repo().join("tests/ui/E0301-type-mismatch");
    let plain = platc().arg("check").arg(&case).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&plain.stderr).contains('\u{1b}'),
        "not a terminal: no colour"
    );
    let forced = platc()
        .args(["check", "--color", "always"])
        .arg(&case)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&forced.stderr).contains('\u{1b}'));
}

#[test]
fn io_and_usage_errors_exit_two() {
    let out = platc()
        .args(["check", "/nonexistent/platc/project"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let out = platc()
        .arg("check")
        .arg(repo().join("tests/ui"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("main.plat"));
    let out = platc()
        .args(["check", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = platc().args(["explain", "E9999"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn explain_prints_the_code_page() {
    let out = platc().args(["explain", "e0307"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("# E0307"));
}
