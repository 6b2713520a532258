//! The README's install command works: the path it gives `cargo install`
//! is a package of the workspace with a `platc` binary. (Running the
//! install itself would rebuild everything in release mode; `cargo
//! metadata` asks cargo the same question about the path.)

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The `--path` of every `cargo install` in the README's Install section.
fn documented_paths() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Install\n"))
        .expect("the README has an Install section");
    let paths: Vec<String> = section
        .lines()
        .filter(|l| l.trim_start().starts_with("cargo install "))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let k = words
                .iter()
                .position(|w| *w == "--path")
                .expect("cargo install --path");
            words[k + 1].to_string()
        })
        .collect();
    assert!(!paths.is_empty(), "no `cargo install` in:\n{section}");
    paths
}

#[test]
fn the_documented_install_path_is_a_package_with_the_platc_binary() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for path in documented_paths() {
        let manifest = repo().join(&path).join("Cargo.toml");
        assert!(manifest.is_file(), "`{path}` has no Cargo.toml");
        let manifest = manifest.canonicalize().unwrap();
        let package = meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| Path::new(p["manifest_path"].as_str().unwrap()) == manifest)
            .unwrap_or_else(|| panic!("`{path}` is not a package of the workspace (a virtual manifest cannot be installed)"));
        let bins: Vec<&str> = package["targets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"].as_array().unwrap().iter().any(|k| k == "bin"))
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            bins,
            ["platc"],
            "`cargo install --path {path}` installs these"
        );
    }
}
