//! Policies from the command line: `--deny-warnings`, `platc policy list`,
//! `--format sarif` (validated against the SARIF 2.1.0 schema) and the
//! `audit.json` that `platc build` writes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn platc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_platc"));
    c.env("NO_COLOR", "1");
    c
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn project(dir: &Path, main: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("main.plat"), main).unwrap();
    dir.to_path_buf()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("platc-policies-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A platform whose only finding is a `warn` policy of its own, and a
/// `deny` one that a waiver exempts.
const WARNED: &str = r#"
platform "lab" { domain = "lab.example.com" }

component notebook {
  param team: string
  expose web { port = 8888 }
}

notebook alice {
  team = "data"
  expose web { host = "alice.lab.example.com" auth = "sso" tls = true audit = true public = true }
}

/// Notebooks run code as their user: never on the internet.
policy notebooks_not_public severity warn code "P0201" {
  for e in exposes where e.component == "notebook" && e.public
    fail e "notebook ${e.instance} is public"
    help "set `public = false`"
}

policy teams_named severity deny code "P0202" {
  for i in instances where i.params.team == "data"
    fail i "`${i.name}` belongs to the generic team `data`"
}

allow teams_named for alice reason "the data team owns the lab"
"#;

#[test]
fn deny_warnings_fails_and_writes_nothing() {
    let dir = project(&scratch("deny"), WARNED);
    let out = platc().arg("check").arg(&dir).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning[P0201]: notebook alice is public"),
        "{err}"
    );
    assert!(!err.contains("P0202"), "the waived policy is silent: {err}");

    let target = dir.join("out");
    let out = platc()
        .args(["build", "--deny-warnings", "-o"])
        .arg(&target)
        .arg(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("error[P0201]"), "{err}");
    assert!(
        err.contains("a warning is an error with `--deny-warnings`"),
        "{err}"
    );
    assert!(!target.exists(), "nothing is written");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn policy_list_shows_packs_in_force() {
    let dir = project(
        &scratch("list"),
        &WARNED.replace(
            "platform \"lab\" { domain = \"lab.example.com\" }",
            "platform \"lab\" { domain = \"lab.example.com\" policy_packs = [\"ingress\"] }",
        ),
    );
    let out = platc().args(["policy", "list"]).arg(&dir).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let codes: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| c.starts_with('P'))
        .collect();
    assert_eq!(
        codes,
        ["P0201", "P0202", "P1001", "P1002", "P1003", "P1004", "P1005"]
    );
    assert!(text.contains("notebooks_not_public"), "{text}");
    assert!(text.contains("main.plat:15"), "{text}");
    assert!(text.ends_with("7 policies in force\n"), "{text}");

    let out = platc()
        .args(["policy", "list", "--all", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let off: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["active"] == false)
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert!(off.contains(&"P1101") && off.contains(&"P1401"), "{off:?}");
    assert!(!off.contains(&"P1001"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The SARIF log of a platform with failures, a waived failure and a
/// warning validates against the SARIF 2.1.0 schema.
#[test]
fn sarif_validates_against_the_schema() {
    let dir = project(
        &scratch("sarif"),
        &format!("{WARNED}\nnotebook bob {{\n  team = \"ml\"\n  password = \"hunter2\"\n}}\n")
            .replace(
                "  param team: string\n",
                "  param team: string\n  param password: string = \"\"\n",
            ),
    );
    let out = platc()
        .args(["check", "--format", "sarif"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &log["runs"][0];
    let results = run["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"P1101"), "{ids:?}");
    assert!(ids.contains(&"P0201"), "{ids:?}");
    let waived = results
        .iter()
        .find(|r| r["ruleId"] == "P0202")
        .expect("the waived failure is a suppressed result");
    assert_eq!(
        waived["suppressions"][0]["justification"],
        "the data team owns the lab"
    );
    let p1101 = results.iter().find(|r| r["ruleId"] == "P1101").unwrap();
    let region = &p1101["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 31);
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        if rule["id"].as_str().unwrap().starts_with("P1") {
            assert!(
                rule["helpUri"]
                    .as_str()
                    .unwrap()
                    .ends_with(rule["id"].as_str().unwrap()),
                "{rule}"
            );
        }
    }
    validate_sarif(&dir.join("out.sarif"), &out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Validates a SARIF log against the SARIF 2.1.0 schema, written to `file`
/// first (skipped, and said so, where the validators are not installed,
/// except under `CI=true`).
fn validate_sarif(file: &Path, log: &[u8]) {
    let cj = repo().join("target/validators/bin/check-jsonschema");
    let schema = repo().join("target/validators/sarif-2.1.0.json");
    if !cj.is_file() || !schema.is_file() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("check-jsonschema or the SARIF schema is missing: run scripts/install-validators.sh");
        }
        eprintln!("skipped: the SARIF schema check (run scripts/install-validators.sh)");
        return;
    }
    std::fs::write(file, log).unwrap();
    // The schema's `run.language` pattern has a stray `]`, which only
    // ECMAScript's non-unicode (web-compatible) reading accepts.
    let v = Command::new(cj)
        .args(["--regex-variant", "nonunicode"])
        .arg("--schemafile")
        .arg(&schema)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

/// An error of the command itself (usage or I/O, exit 2) with `--format
/// sarif` is a SARIF log of a run that failed, on standard output and
/// nothing on standard error: no `results` (nothing was analysed), one
/// invocation with `executionSuccessful: false`, the exit code, and the
/// error and its help as a notification. A build whose output cannot be
/// written gives one log with its results and that invocation.
#[test]
fn sarif_command_errors_are_failed_runs() {
    let dir = scratch("sarif-failed");
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("no-such-project");
    let missing = missing.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["check", missing, "--format", "sarif"],
            "does not exist",
        ),
        (vec!["build", "--format=sarif", missing], "does not exist"),
        (
            vec!["check", "--format", "sarif", "--no-such-option", missing],
            "--no-such-option",
        ),
        // A second `--format` is a usage error, in the form of the last.
        (
            vec!["check", missing, "--format", "json", "--format", "sarif"],
            "cannot be used multiple times",
        ),
    ];
    for (k, (args, says)) in cases.iter().enumerate() {
        let out = platc().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: nothing on stderr, got {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: one JSON document: {e}"));
        assert_eq!(log["version"], "2.1.0");
        let runs = log["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1, "{args:?}");
        let run = &runs[0];
        assert_eq!(run["tool"]["driver"]["name"], "platc");
        assert!(
            run.get("results").is_none(),
            "{args:?}: no results: nothing was analysed"
        );
        let invocations = run["invocations"].as_array().unwrap();
        assert_eq!(invocations.len(), 1);
        assert_eq!(invocations[0]["executionSuccessful"], false);
        assert_eq!(invocations[0]["exitCode"], 2);
        let note = &invocations[0]["toolExecutionNotifications"][0];
        assert_eq!(note["level"], "error");
        let text = note["message"]["text"].as_str().unwrap();
        assert!(text.contains(says), "{args:?}: {text}");
        assert!(text.contains("\nhelp: "), "{args:?}: {text}");
        validate_sarif(&dir.join(format!("failed-{k}.sarif")), &out.stdout);
    }

    // A build with a warning whose output is a file: the warning is a
    // result, and the run failed.
    let project = project(&dir.join("warned"), WARNED);
    let taken = dir.join("taken");
    std::fs::write(&taken, "not a directory").unwrap();
    let out = platc()
        .args(["build", "--format", "sarif", "-o"])
        .arg(&taken)
        .arg(&project)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &log["runs"][0];
    let ids: Vec<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"P0201"), "the warning is a result: {ids:?}");
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert_eq!(run["invocations"][0]["exitCode"], 2);
    assert_eq!(
        std::fs::read_to_string(&taken).unwrap(),
        "not a directory",
        "nothing written"
    );
    validate_sarif(&dir.join("write-failed.sarif"), &out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn build_writes_the_audit_record() {
    let target = scratch("audit");
    let out = platc()
        .args(["build", "-o"])
        .arg(&target)
        .arg(repo().join("examples/quickstart"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let audit: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(target.join("audit.json")).unwrap()).unwrap();
    assert_eq!(audit["version"], 1);
    let endpoints = audit["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 3);
    let web = endpoints
        .iter()
        .find(|e| e["instance"] == "orchestrator")
        .unwrap();
    assert_eq!(web["url"], "https://airflow.data.example.com/");
    assert_eq!(web["auth"], "sso");
    // Served: an Ingress and a forward-auth Middleware from Traefik, a
    // Certificate from the issuer, and the NetworkPolicy that lets the
    // ingress controller reach the issuer's HTTP-01 solver.
    let kinds: Vec<(&str, &str)> = web["served_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["instance"].as_str().unwrap(), o["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("letsencrypt", "NetworkPolicy"),
            ("letsencrypt", "Certificate"),
            ("edge", "Ingress"),
            ("edge", "Middleware")
        ]
    );
    // Every policy, with a result on the base platform and in `prod`.
    let policies = audit["policies"].as_array().unwrap();
    let p1102 = policies.iter().find(|p| p["code"] == "P1102").unwrap();
    let results = p1102["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["environment"], serde_json::Value::Null);
    assert_eq!(results[0]["status"], "pass");
    assert_eq!(results[1]["environment"], "prod");
    assert_eq!(results[1]["status"], "waived");
    // Every waiver, with what it exempted.
    let waivers = audit["waivers"].as_array().unwrap();
    let lake = waivers.iter().find(|w| w["target"] == "lake_root").unwrap();
    assert_eq!(lake["policy"], "prod_secrets_external");
    assert_eq!(lake["matched"][0]["environment"], "prod");
    assert_eq!(lake["matched"][0]["subject"], "lake_root");
    let _ = std::fs::remove_dir_all(&target);
}

#[test]
fn explain_knows_the_platforms_own_policy_codes() {
    let dir = project(&scratch("explain"), WARNED);
    let out = platc()
        .args(["explain", "P0201", "--project"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("# P0201: notebooks_not_public\n"),
        "{text}"
    );
    assert!(text.contains("declared at main.plat:15"), "{text}");
    assert!(text.contains("Notebooks run code as their user"), "{text}");
    assert!(
        text.contains("allow notebooks_not_public for TARGET"),
        "{text}"
    );
    let out = platc()
        .args(["explain", "P0299", "--project"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown code is a usage error"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
