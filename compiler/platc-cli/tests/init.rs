//! `platc init`: the starter platform checks clean, is canonical, builds,
//! and nothing is overwritten.

use std::path::PathBuf;
use std::process::Command;

fn platc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_platc"));
    c.env("NO_COLOR", "1");
    c
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("platc-init-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn the_starter_checks_clean_is_canonical_and_builds() {
    let root = scratch("starter");
    let dir = root.join("Data Lake 2");
    let out = platc().arg("init").arg(&dir).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let main = std::fs::read_to_string(dir.join("main.plat")).unwrap();
    assert!(main.contains("platform \"data-lake-2\""), "{main}");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(readme.starts_with("# data-lake-2\n"));
    assert!(readme.contains("kubectl -n data-lake-2 create secret generic lake-root"));

    let out = platc().arg("check").arg(&dir).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("platform `data-lake-2` is clean"), "{err}");
    assert!(
        !err.contains("warning"),
        "the starter has no warnings: {err}"
    );

    let out = platc().args(["fmt", "--check"]).arg(&dir).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the starter is in the canonical layout"
    );

    let target = root.join("out");
    let out = platc()
        .args(["build", "-o"])
        .arg(&target)
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(target.join("audit.json").is_file());
    assert!(target.join("helm/orchestrator.values.yaml").is_file());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn init_never_overwrites() {
    let dir = scratch("twice");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("README.md"), "mine\n").unwrap();
    let out = platc().arg("init").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "mine\n"
    );
    assert!(!dir.join("main.plat").exists(), "nothing written");
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left");
    let _ = std::fs::remove_dir_all(&dir);
}
