//! Errors of the command itself (usage and I/O, exit code 2): every
//! subcommand reports them in one style, and with `--format json` as one
//! JSON line on standard output (docs/diagnostics-json.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn platc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platc"))
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A scratch directory of its own for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "platc-command-errors-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `args` (which ask for JSON) and returns the one command error it
/// printed, after checking the contract: exit 2, exactly one JSON line on
/// standard output, nothing on standard error.
fn json_error(args: &[&str]) -> serde_json::Value {
    let out = platc(args);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
    assert!(
        stderr.is_empty(),
        "{args:?}: nothing on stderr, got {stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: one line, got {stdout}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    // The keys of a diagnostic, in order, with no place in a file.
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "version", "code", "name", "severity", "message", "location", "label", "related",
            "notes", "help"
        ]
    );
    assert_eq!(v["version"], 1);
    assert_eq!(v["code"], serde_json::Value::Null);
    assert_eq!(v["name"], "command-error");
    assert_eq!(v["severity"], "error");
    assert_eq!(v["location"], serde_json::Value::Null);
    assert!(
        v["help"].is_string(),
        "{args:?}: every command error helps: {v}"
    );
    v
}

fn message(v: &serde_json::Value) -> &str {
    v["message"].as_str().unwrap()
}

#[test]
fn input_errors_of_check_build_graph_and_policy_list_are_json() {
    let missing = repo().join("no-such-project");
    let missing = path(&missing);
    for args in [
        &["check", missing, "--format", "json"][..],
        &["check", "--format=json", missing][..],
        &["build", missing, "--format", "json"][..],
        &["graph", missing, "--format", "json"][..],
        &["policy", "list", missing, "--format", "json"][..],
    ] {
        let v = json_error(args);
        assert!(message(&v).contains("does not exist"), "{args:?}: {v}");
    }
}

#[test]
fn a_file_that_is_not_plat_is_a_usage_error() {
    let readme = repo().join("README.md");
    let v = json_error(&["check", path(&readme), "--format", "json"]);
    assert!(message(&v).ends_with("is not a `.plat` file"), "{v}");
    assert!(v["help"].as_str().unwrap().contains("main.plat"), "{v}");
    // For a person: the same, on standard error, exit 2, not a syntax error.
    let out = platc(&["check", path(&readme)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("E0101"), "{stderr}");
}

#[test]
fn an_unknown_environment_suggests_the_nearest() {
    let quickstart = repo().join("examples/quickstart");
    for (given, meant) in [("prd", "prod"), ("production", "prod")] {
        for command in ["check", "build", "graph"] {
            let v = json_error(&[
                command,
                path(&quickstart),
                "--env",
                given,
                "--format",
                "json",
            ]);
            assert_eq!(
                message(&v),
                format!("the platform has no environment `{given}`"),
                "{command}"
            );
            assert!(
                v["help"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("did you mean `{meant}`?")),
                "{command} --env {given}: {v}"
            );
        }
    }
}

#[test]
fn an_output_that_cannot_be_written_is_an_io_error() {
    let dir = scratch("out-is-a-file");
    let file = dir.join("taken");
    std::fs::write(&file, "not a directory").unwrap();
    let quickstart = repo().join("examples/quickstart");
    let v = json_error(&[
        "build",
        path(&quickstart),
        "-o",
        path(&file.join("out")),
        "--format",
        "json",
    ]);
    assert!(!message(&v).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn command_line_mistakes_are_json_too() {
    // An unknown option, an unknown subcommand, a bad value, a subcommand
    // without `--format` of its own: clap's errors, as command errors.
    let v = json_error(&["check", "--bogus", "--format", "json"]);
    assert!(message(&v).contains("--bogus"), "{v}");
    let v = json_error(&["chek", "--format", "json"]);
    assert!(message(&v).contains("chek"), "{v}");
    assert!(v["help"].as_str().unwrap().contains("check"), "{v}");
    let v = json_error(&["check", "--format", "json", "--color", "sometimes"]);
    assert!(message(&v).contains("sometimes"), "{v}");
    let v = json_error(&["fmt", "--format", "json"]);
    assert!(message(&v).contains("--format"), "{v}");
    let v = json_error(&["init", "--format", "json"]);
    assert!(message(&v).contains("--format"), "{v}");
}

#[test]
fn explain_takes_json_for_its_errors_and_its_answer() {
    let v = json_error(&["explain", "E301", "--format", "json"]);
    assert_eq!(message(&v), "there is no diagnostic code `E301`");
    assert_eq!(v["help"], "did you mean `E0301`?");
    // A policy code of the built-in packs is a code like any other.
    let out = platc(&["explain", "P1001", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "P1001");
    assert_eq!(v["name"], "ingress-authenticated");
    assert!(v["explanation"]
        .as_str()
        .unwrap()
        .starts_with("# P1001: ingress-authenticated"));
}

#[test]
fn fmt_and_init_errors_have_the_same_style() {
    let dir = scratch("styles");
    std::fs::write(dir.join("main.plat"), "").unwrap();
    let missing = dir.join("missing.plat");
    let cases: [&[&str]; 4] = [
        &["fmt", path(&missing)],
        &["init", path(&dir)],
        &["check", path(&missing)],
        &["explain", "E301"],
    ];
    for args in cases {
        let out = platc(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert!(lines[0].starts_with("error: "), "{args:?}: {stderr}");
        assert!(
            lines.iter().skip(1).any(|l| l.starts_with("  = help: ")),
            "{args:?}: {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
