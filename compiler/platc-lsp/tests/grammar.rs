//! The TextMate grammar of the VS Code extension
//! (editors/vscode/syntaxes/plat.tmLanguage.json) tokenizes every `.plat`
//! file under examples/ and stdlib/ as VS Code does (vscode-textmate with
//! vscode-oniguruma, run by editors/vscode/test/grammar-check.js): no
//! string, comment or interpolation is left open at the end of a file, and
//! every comment, string and reserved keyword gets its scope.
//!
//! The npm packages come from `scripts/install-vscode-tools` (into
//! target/vscode-tools). Without them or without `node`, the test fails
//! under `CI=true` and otherwise says that it skipped.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `node_modules` of the tools, or `None` after saying why (a failure in CI).
fn tools() -> Option<PathBuf> {
    let modules = repo().join("target/vscode-tools/node_modules");
    let node = Command::new("node").arg("--version").output();
    let reason = if !node.is_ok_and(|o| o.status.success()) {
        "node is not installed"
    } else if !modules.join("vscode-textmate").is_dir()
        || !modules.join("vscode-oniguruma").is_dir()
    {
        "vscode-textmate and vscode-oniguruma are not installed (run scripts/install-vscode-tools)"
    } else {
        return Some(modules);
    };
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{reason} (CI=true: a test that cannot run fails)");
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = writeln!(std::io::stderr(), "skipped: {reason} (in {test})");
    None
}

fn check(modules: &Path, grammar: Option<&Path>) -> (bool, String) {
    let root = repo();
    let mut cmd = Command::new("node");
    cmd.arg(root.join("editors/vscode/test/grammar-check.js"))
        .arg(root.join("examples"))
        .arg(root.join("stdlib"))
        .env("NODE_PATH", modules);
    if let Some(g) = grammar {
        cmd.env("PLAT_GRAMMAR", g);
    }
    let out = cmd.output().expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn grammar_tokenizes_every_example_and_stdlib_file() {
    let Some(modules) = tools() else { return };
    let (ok, out) = check(&modules, None);
    assert!(ok, "{out}");
    let files: usize = out
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(files >= 10, "too few files checked: {out}");
}

/// The check can fail: a grammar whose strings never start leaves every
/// string unscoped.
#[test]
fn a_grammar_without_strings_fails_the_check() {
    let Some(modules) = tools() else { return };
    let path = repo().join("editors/vscode/syntaxes/plat.tmLanguage.json");
    let mut g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    g["repository"]["strings"]["patterns"][0]["begin"] = "\\A\\z".into();
    let dir = std::env::temp_dir().join(format!("platc-grammar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("plat.tmLanguage.json");
    std::fs::write(&broken, g.to_string()).unwrap();
    let (ok, out) = check(&modules, Some(&broken));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!ok, "{out}");
    assert!(out.contains("expected a string"), "{out}");
}
