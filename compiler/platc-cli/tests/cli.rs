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

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("platc-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "out") {
                continue;
            }
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// `platc build -o out project`.
fn build_into(out: &Path, project: &Path) -> std::process::Output {
    platc()
        .args(["build", "-o"])
        .arg(out)
        .arg(project)
        .output()
        .unwrap()
}

/// Every file under `dir`, with its contents, sorted.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn build_writes_a_tree_and_a_failed_build_leaves_it_untouched() {
    let dir = scratch("atomic");
    let project = dir.join("project");
    copy_dir(&repo().join("examples/quickstart"), &project);
    let out_dir = dir.join("out");
    let ok = build_into(&out_dir, &project);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let before = tree(&out_dir);
    assert!(before.iter().any(|(p, _)| p.ends_with(".platc-output")));
    assert!(before.iter().any(|(p, _)| p.starts_with("terraform")));
    // Break the project: the next build fails and must not touch the tree.
    let main = project.join("main.plat");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        text.replacen("storage = 10Gi", "storage = 10", 1).replacen(
            "database = metadb",
            "database = lake",
            1,
        ),
    )
    .unwrap();
    let failed = build_into(&out_dir, &project);
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert_eq!(
        tree(&out_dir),
        before,
        "a failed build changed the previous output"
    );
    // Building again gives byte-identical output.
    std::fs::write(&main, text).unwrap();
    let again = build_into(&out_dir, &project);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(tree(&out_dir), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn build_refuses_a_directory_it_did_not_create() {
    let dir = scratch("foreign");
    std::fs::write(dir.join("notes.txt"), "keep me").unwrap();
    let out = platc()
        .args(["build", "-o"])
        .arg(&dir)
        .arg(repo().join("examples/quickstart"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refusing to replace"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unknown_environment_is_a_usage_error() {
    let out = platc()
        .args(["build", "--env", "staging", "-o"])
        .arg(scratch("env").join("out"))
        .arg(repo().join("examples/quickstart"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no environment `staging`") && stderr.contains("prod"),
        "{stderr}"
    );
}

#[test]
fn graph_prints_every_format() {
    for (format, needle) in [
        ("dot", "digraph"),
        ("mermaid", "flowchart"),
        ("json", "\"nodes\""),
        ("svg", "<svg"),
    ] {
        let out = platc()
            .args(["graph", "--format", format])
            .arg(repo().join("examples/quickstart"))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(needle),
            "{format}"
        );
    }
}

/// A scratch project from `(path, contents)` pairs.
fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = scratch(name);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// `platc check --format json ARGS`: the exit code and the diagnostics.
fn check_json(args: &[&str], path: &Path) -> (Option<i32>, Vec<serde_json::Value>) {
    let out = platc()
        .args(["check", "--format", "json"])
        .args(args)
        .arg(path)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let diags = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out.status.code(), diags)
}

/// `(code, notes)` of each diagnostic.
fn codes(diags: &[serde_json::Value]) -> Vec<(String, Vec<String>)> {
    diags
        .iter()
        .map(|d| {
            let notes = d["notes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect();
            (d["code"].as_str().unwrap().to_string(), notes)
        })
        .collect()
}

fn web_platform(values_files: &str, environments: &str) -> String {
    format!(
        r#"platform "demo" {{
  domain = "example.com"
}}

component app {{
  chart "app" version "1.0.0" from "https://charts.example.com"
  param replicas: int = 1
  values {{
    replicaCount = replicas
  }}
}}

app web {{
  values_files = {values_files}
}}

{environments}
"#
    )
}

#[test]
fn check_reports_values_files_that_build_could_not_read() {
    let cases = [
        ("missing", "E0601", vec![]),
        ("bad-yaml", "E0602", vec![("values/web.yaml", "a: [1, 2\n")]),
        (
            "not-a-map",
            "E0602",
            vec![("values/web.yaml", "just text\n")],
        ),
    ];
    for (name, code, extra) in cases {
        let main = web_platform(r#"["values/web.yaml"]"#, "");
        let mut files = vec![("main.plat", main.as_str())];
        files.extend(extra);
        let dir = project(&format!("values-{name}"), &files);
        let (status, diags) = check_json(&[], &dir);
        assert_eq!(status, Some(1), "{name}: {diags:?}");
        assert_eq!(codes(&diags), [(code.to_string(), vec![])], "{name}");
        assert_eq!(diags[0]["location"]["file"], "main.plat");
        std::fs::remove_dir_all(&dir).unwrap();
    }
    // Outside the project root: E0603, even when the file exists.
    let dir = scratch("values-outside");
    let inner = dir.join("project");
    std::fs::create_dir_all(&inner).unwrap();
    std::fs::write(dir.join("web.yaml"), "replicaCount: 2\n").unwrap();
    std::fs::write(
        inner.join("main.plat"),
        web_platform(r#"["../web.yaml"]"#, ""),
    )
    .unwrap();
    let (status, diags) = check_json(&[], &inner);
    assert_eq!(status, Some(1));
    assert_eq!(codes(&diags), [("E0603".to_string(), vec![])]);
    // Human output says the same on stderr.
    let out = platc().arg("check").arg(&inner).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[E0603]"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_reads_the_values_files_of_every_environment() {
    let main = web_platform(
        r#"["values/web.yaml"]"#,
        "environment prod {\n  web.values_files = [\"values/prod.yaml\"]\n}\n",
    );
    let dir = project(
        "values-env",
        &[
            ("main.plat", &main),
            ("values/web.yaml", "replicaCount: 2\n"),
        ],
    );
    // Plain `check`, without `--env prod`, reads prod's file too.
    for args in [&[][..], &["--env", "prod"][..]] {
        let (status, diags) = check_json(args, &dir);
        assert_eq!(status, Some(1), "{args:?}");
        assert_eq!(
            codes(&diags),
            [(
                "E0601".to_string(),
                vec!["in environment `prod`".to_string()]
            )],
            "{args:?}"
        );
        assert!(diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("values/prod.yaml"));
    }
    let out = platc().arg("check").arg(&dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[E0601]") && stderr.contains("note: in environment `prod`"),
        "{stderr}"
    );
    // With the file in place the project is clean, and stays unwritten.
    std::fs::write(dir.join("values/prod.yaml"), "replicaCount: 5\n").unwrap();
    let before = tree(&dir);
    let out = platc().arg("check").arg(&dir).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("is clean"));
    assert!(out.stdout.is_empty());
    assert_eq!(tree(&dir), before, "check wrote something");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_reports_a_requires_cycle() {
    let main = r#"platform "demo" {
  domain = "example.com"
}

interface Queue {}

interface Store {}

component broker {
  provides Queue
  requires Store
}

component storage {
  provides Store
  requires Queue
}

broker events {}

storage blobs {}
"#;
    let dir = project("requires-cycle", &[("main.plat", main)]);
    let before = tree(&dir);
    let (status, diags) = check_json(&[], &dir);
    assert_eq!(status, Some(1));
    assert_eq!(codes(&diags), [("E0320".to_string(), vec![])]);
    assert!(diags[0]["message"]
        .as_str()
        .unwrap()
        .contains("events -> blobs -> events"));
    assert_eq!(tree(&dir), before, "check wrote something");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_writes_nothing_for_a_clean_project() {
    let dir = scratch("check-writes-nothing");
    let project = dir.join("project");
    copy_dir(&repo().join("examples/two-teams"), &project);
    let before = tree(&project);
    for args in [&[][..], &["--env", "prod"][..]] {
        let out = platc()
            .arg("check")
            .args(args)
            .arg(&project)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
    assert_eq!(tree(&project), before, "check wrote something");
    assert!(!project.join("out").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_library_file_checks_on_its_own_with_imports_of_its_project() {
    let dir = project(
        "library",
        &[
            (
                "main.plat",
                "platform \"demo\" {\n  domain = \"example.com\"\n}\n\nimport \"./lib/x\"\n\nworker jobs {}\n",
            ),
            (
                "common.plat",
                "/// What a worker provides.\ninterface Queue {\n  topic: string\n}\n",
            ),
            (
                "lib/x.plat",
                "import \"../common.plat\"\n\n/// A background worker.\ncomponent worker {\n  provides Queue {\n    topic = \"jobs\"\n  }\n}\n",
            ),
        ],
    );
    let out = platc()
        .arg("check")
        .arg(dir.join("lib/x.plat"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    // Relative to the working directory, too.
    let out = platc()
        .current_dir(dir.join("lib"))
        .args(["check", "x.plat"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And the whole project checks clean.
    let out = platc().arg("check").arg(&dir).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_write_to_standard_output_is_exit_2() {
    // /dev/full accepts the open and fails every write (Linux).
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full on this system");
        return;
    };
    let out = platc()
        .args(["explain", "E0301"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
}

#[test]
fn a_fifo_as_values_file_is_an_error_not_a_hang() {
    let dir = project(
        "fifo",
        &[(
            "main.plat",
            "platform \"p\" {}\ncomponent c { chart \"c\" version \"1.0.0\" from \"https://charts.example.com\" }\nc x { values_files = [\"values.yaml\"] }\n",
        )],
    );
    let fifo = dir.join("values.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let mut child = platc()
        .args(["check"])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("platc check blocked on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("E0602") && stderr.contains("not a regular file"),
        "{stderr}"
    );
}

#[test]
fn a_huge_sparse_source_is_refused_without_reading_it() {
    // 2 GiB that take no disk: read whole, they would take 2 GiB of memory.
    let dir = project("sparse", &[]);
    let file = std::fs::File::create(dir.join("main.plat")).unwrap();
    file.set_len(2 << 30).unwrap();
    drop(file);
    let (code, diags) = check_json(&[], &dir);
    assert_eq!(code, Some(1));
    assert_eq!(diags[0]["code"], "E0107", "{diags:?}");
}

#[test]
fn a_graph_too_large_to_draw_is_refused_as_svg_but_not_as_text() {
    let instances: String = (0..1_001).map(|i| format!("c i{i} {{}}\n")).collect();
    let main = format!("platform \"p\" {{}}\ncomponent c {{}}\n{instances}");
    let dir = project("huge-graph", &[("main.plat", main.as_str())]);
    let out = platc()
        .args(["graph", "--format", "svg"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("too large to draw as SVG"), "{stderr}");
    assert!(out.stdout.is_empty());
    let out = platc()
        .args(["graph", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--target argocd` needs the repository; with it, the tree has argocd/
/// and no terraform/, and Skaffold's contexts lead from the output
/// directory back to the project's sources.
#[test]
fn build_target_argocd() {
    let tmp = std::env::temp_dir().join(format!("platc-cli-argocd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    // A copy of the project, so that the output can sit inside it.
    let project = tmp.join("shop");
    let src = repo().join("examples/custom-code");
    for rel in ["main.plat", "apps/api/Dockerfile", "apps/ingest/Dockerfile"] {
        let to = project.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(rel), to).unwrap();
    }
    let out = platc()
        .args(["build", "--target", "argocd"])
        .arg(&project)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--repo-url"));
    assert!(!project.join("out").exists());

    let out = platc()
        .args([
            "build",
            "--target",
            "argocd",
            "--repo-url",
            "https://git.example.com/shop.git",
            "-o",
        ])
        .arg(project.join("deploy/tree"))
        .arg(&project)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = project.join("deploy/tree");
    assert!(!tree.join("terraform").exists());
    let root = std::fs::read_to_string(tree.join("argocd/root.yaml")).unwrap();
    assert!(
        root.contains("path: deploy/tree/argocd/applications"),
        "{root}"
    );
    assert!(root.contains("targetRevision: HEAD"), "{root}");
    let skaffold = std::fs::read_to_string(tree.join("skaffold.yaml")).unwrap();
    assert!(skaffold.contains("context: ../../apps/api"), "{skaffold}");
    assert!(tree.join("../../apps/api/Dockerfile").is_file());

    // The default target keeps today's tree.
    let out = platc().arg("build").arg(&project).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(project.join("out/terraform/main.tf.json").is_file());
    assert!(!project.join("out/argocd").exists());
    let _ = std::fs::remove_dir_all(&tmp);
}
