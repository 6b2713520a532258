//! The documentation's command sessions are run, in order, and their output
//! compared: docs/tutorial.md (from `platc init` to a built, explained
//! output tree) and the examples of docs/diagnostics-json.md.
//!
//! What a page may contain, in the order the steps happen:
//!
//! - ```` ```plat file=PATH ````: writes the block to PATH (relative to a
//!   fresh scratch directory, the working directory of every command);
//! - ```` ```diff file=PATH ````: edits PATH. Lines starting with `-` are
//!   replaced by the lines starting with `+`; lines starting with a space
//!   are context, kept. The old text (context and `-` lines) must occur in
//!   the file exactly once; with no old text, the `+` lines are appended;
//! - ```` ```console ````: commands, each on a line starting with `$ `,
//!   followed by the output expected (standard output, then standard
//!   error). A line `...` stands for any number of lines, and `...` inside
//!   a line for any text. A command whose expected output reports an error
//!   (a line starting with `error`, or a JSON line with `"severity":"error"`)
//!   must fail (exit 1 or 2); any other must succeed.
//!   Commands: `platc ARGS` (no quoting), `cat FILE`, and
//!   `find DIR -type f | sort`.
//!
//! Other blocks (```` ```sh ````, plain ```` ```plat ````, …) are not run.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

enum Step {
    Write {
        path: String,
        text: String,
    },
    Edit {
        path: String,
        old: String,
        new: String,
    },
    Run {
        command: String,
        expected: Vec<String>,
    },
}

/// A step and the line of the page it comes from.
type Located = (usize, Step);

fn steps(page: &str) -> Vec<Located> {
    let mut out = Vec::new();
    let mut lines = page.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let mut body: Vec<&str> = Vec::new();
        for (_, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            body.push(l);
        }
        let mut words = info.split_whitespace();
        let lang = words.next().unwrap_or("");
        let file = words
            .find_map(|w| w.strip_prefix("file="))
            .map(str::to_string);
        match (lang, file) {
            ("plat", Some(path)) => out.push((
                n + 1,
                Step::Write {
                    path,
                    text: body.iter().map(|l| format!("{l}\n")).collect(),
                },
            )),
            ("diff", Some(path)) => {
                let (mut old, mut new) = (String::new(), String::new());
                for l in &body {
                    match l.split_at_checked(1) {
                        Some(("-", rest)) => old.push_str(&format!("{rest}\n")),
                        Some(("+", rest)) => new.push_str(&format!("{rest}\n")),
                        Some((" ", rest)) => {
                            old.push_str(&format!("{rest}\n"));
                            new.push_str(&format!("{rest}\n"));
                        }
                        _ if l.is_empty() => {
                            old.push('\n');
                            new.push('\n');
                        }
                        _ => panic!("line {}: not a diff line: {l}", n + 1),
                    }
                }
                out.push((n + 1, Step::Edit { path, old, new }));
            }
            ("console", _) => {
                let mut k = 0;
                while k < body.len() {
                    let command = body[k]
                        .strip_prefix("$ ")
                        .unwrap_or_else(|| panic!("line {}: expected `$ command`", n + 2 + k));
                    let at = n + 2 + k;
                    k += 1;
                    let mut expected = Vec::new();
                    while k < body.len() && !body[k].starts_with("$ ") {
                        expected.push(body[k].trim_end().to_string());
                        k += 1;
                    }
                    while expected.last().is_some_and(|l| l.is_empty()) {
                        expected.pop();
                    }
                    out.push((
                        at,
                        Step::Run {
                            command: command.to_string(),
                            expected,
                        },
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether `line` matches `pattern`, where `...` stands for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || line.len() < first.len() + last.len() || !line.ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// Whether `lines` match `pattern`, where a line `...` stands for any
/// number of lines.
fn matches(pattern: &[String], lines: &[&str]) -> bool {
    match pattern.split_first() {
        None => lines.is_empty(),
        Some((p, rest)) if p == "..." => (0..=lines.len()).any(|k| matches(rest, &lines[k..])),
        Some((p, rest)) => {
            !lines.is_empty() && line_matches(p, lines[0]) && matches(rest, &lines[1..])
        }
    }
}

/// Runs one command in `dir`: its output (standard output, then standard
/// error) and whether it succeeded.
fn run(dir: &Path, command: &str) -> (String, bool) {
    let words: Vec<&str> = command.split_whitespace().collect();
    assert!(
        !command.contains(['"', '\'']),
        "no quoting in documented commands: {command}"
    );
    match words.as_slice() {
        ["platc", args @ ..] => {
            let out = Command::new(env!("CARGO_BIN_EXE_platc"))
                .args(args)
                .current_dir(dir)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            let mut text = String::from_utf8(out.stdout).unwrap();
            text.push_str(&String::from_utf8(out.stderr).unwrap());
            (text, out.status.success())
        }
        ["cat", file] => (std::fs::read_to_string(dir.join(file)).unwrap(), true),
        ["find", root, "-type", "f", "|", "sort"] => {
            let mut files = Vec::new();
            walk(&dir.join(root), &mut files);
            let mut names: Vec<String> = files
                .iter()
                .map(|f| {
                    Path::new(root)
                        .join(f.strip_prefix(dir.join(root)).unwrap())
                        .display()
                        .to_string()
                })
                .collect();
            names.sort();
            (names.iter().map(|n| format!("{n}\n")).collect(), true)
        }
        _ => panic!("the documentation test cannot run `{command}`"),
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Runs every step of the page at `page` (relative to the repository) in a
/// scratch directory of its own.
fn run_page(page: &str) {
    let text = std::fs::read_to_string(repo().join(page)).unwrap();
    let steps = steps(&text);
    let commands = steps
        .iter()
        .filter(|(_, s)| matches!(s, Step::Run { .. }))
        .count();
    assert!(commands >= 2, "{page}: only {commands} commands found");
    let dir = std::env::temp_dir().join(format!(
        "platc-docs-{}-{}",
        std::process::id(),
        page.replace(['/', '.'], "-")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (line, step) in steps {
        let at = format!("{page}:{line}");
        match step {
            Step::Write { path, text } => {
                let path = dir.join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            Step::Edit { path, old, new } => {
                let file = dir.join(&path);
                let text = std::fs::read_to_string(&file)
                    .unwrap_or_else(|e| panic!("{at}: cannot read {path}: {e}"));
                let text = if old.trim().is_empty() {
                    format!("{text}{new}")
                } else {
                    assert_eq!(
                        text.matches(&old).count(),
                        1,
                        "{at}: the text to change must occur once in {path}:\n{old}\n--- in ---\n{text}"
                    );
                    text.replacen(&old, &new, 1)
                };
                std::fs::write(file, text).unwrap();
            }
            Step::Run { command, expected } => {
                let (output, ok) = run(&dir, &command);
                let lines: Vec<&str> = output.lines().map(str::trim_end).collect();
                let mut lines = lines.as_slice();
                while lines.last().is_some_and(|l| l.is_empty()) {
                    lines = &lines[..lines.len() - 1];
                }
                assert!(
                    matches(&expected, lines),
                    "{at}: `{command}` printed\n{output}\n--- but the page shows ---\n{}\n\
                     (if the output changed on purpose, update {page})",
                    expected.join("\n")
                );
                let must_fail = expected
                    .iter()
                    .any(|l| l.starts_with("error") || l.contains(r#""severity":"error""#));
                assert_eq!(
                    ok,
                    !must_fail,
                    "{at}: `{command}` {}",
                    if ok { "succeeded" } else { "failed" }
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_tutorial_runs_as_written() {
    run_page("docs/tutorial.md");
}

#[test]
fn the_json_diagnostics_examples_are_real_output() {
    run_page("docs/diagnostics-json.md");
}

#[test]
fn patterns_match_what_they_should_and_nothing_else() {
    let p = |s: &[&str]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches(&p(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&p(&["a", "...", "d"]), &["a", "d"]));
    assert!(!matches(&p(&["a", "...", "d"]), &["a", "b"]));
    assert!(!matches(&p(&["a", "b"]), &["a", "b", "c"]));
    assert!(line_matches(
        "built `...`: ... files",
        "built `x`: 26 files"
    ));
    assert!(!line_matches(
        "built `...`: ... files",
        "built `x`: 26 dirs"
    ));
    assert!(!line_matches("a...a", "a"));
}
