//! Bad input never panics: truncated fixtures, deep nesting, huge files.

use std::path::{Path, PathBuf};

use platc_driver::{check_path, check_source, Options, RealFs};

fn fixtures() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for d in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            if let Ok(text) = std::fs::read_to_string(&f) {
                out.push((f, text));
            }
        }
    }
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quickstart/main.plat");
    out.push((examples.clone(), std::fs::read_to_string(examples).unwrap()));
    out
}

/// Offsets where one token ends and another begins.
fn token_boundaries(text: &str) -> Vec<usize> {
    let class = |c: char| {
        if c.is_whitespace() {
            0
        } else if c.is_alphanumeric() || c == '_' {
            1
        } else {
            2
        }
    };
    let mut out = vec![0];
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if let Some(p) = prev {
            if class(p) != class(c) || class(c) == 2 {
                out.push(i);
            }
        }
        prev = Some(c);
    }
    out
}

/// Brackets still open at the end of `text` (strings and comments skipped).
fn open_brackets(text: &str) -> bool {
    let mut depth = 0i64;
    let mut in_string = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            '/' if !in_string && chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '{' | '[' | '(' if !in_string => depth += 1,
            '}' | ']' | ')' if !in_string => depth -= 1,
            _ => {}
        }
    }
    in_string || depth > 0
}

#[test]
fn truncated_fixtures_get_diagnostics_not_panics() {
    let options = Options::default();
    let mut checked = 0;
    for (path, text) in fixtures() {
        for cut in token_boundaries(&text) {
            let prefix = &text[..cut];
            let c = check_source("main.plat", prefix, &options);
            checked += 1;
            if open_brackets(prefix) {
                assert!(
                    c.has_errors(),
                    "{}: prefix of {cut} bytes leaves a bracket open but reports no error",
                    path.display()
                );
            }
        }
    }
    assert!(checked > 1000, "only {checked} prefixes checked");
}

#[test]
fn ten_thousand_deep_nesting_is_an_error_not_a_crash() {
    let options = Options::default();
    for (open, close) in [("[", "]"), ("(", ")"), ("{ a = ", "}")] {
        let text = format!(
            "platform \"p\" {{}}\ncomponent c {{ param x: int = {}1{} }}\n",
            open.repeat(10_000),
            close.repeat(10_000)
        );
        let c = check_source("main.plat", &text, &options);
        assert!(
            c.diagnostics.iter().any(|d| d.code == "E0105"),
            "{open}: {:?}",
            c.diagnostics
        );
    }
    let interp = format!(
        "platform \"p\" {{ domain = {}x{} }}\n",
        "\"${".repeat(10_000),
        "}\"".repeat(10_000)
    );
    let c = check_source("main.plat", &interp, &options);
    assert!(c.diagnostics.iter().any(|d| d.code == "E0105"));
    let chain = format!("platform \"p\" {{ domain = \"{}\" }}\n", "a".repeat(10));
    let long_expr = format!(
        "component c {{ param x: int = {}1 }}\n{chain}",
        "1 + ".repeat(10_000)
    );
    let c = check_source("main.plat", &long_expr, &options);
    assert!(c.diagnostics.iter().any(|d| d.code == "E0105"));
    let prefix_ops = format!(
        "component c {{ param x: bool = {}true }}\n{chain}",
        "!".repeat(10_000)
    );
    let c = check_source("main.plat", &prefix_ops, &options);
    assert!(c.diagnostics.iter().any(|d| d.code == "E0105"));
}

#[test]
fn fifty_megabyte_file_is_rejected_with_e0107() {
    let dir = std::env::temp_dir().join(format!("platc-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = String::from("platform \"big\" {}\n");
    let line = "// padding padding padding padding padding padding padding padding\n";
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(line);
    }
    std::fs::write(dir.join("main.plat"), &text).unwrap();
    let c = check_path(&RealFs, &dir, &Options::default()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["E0107"]);
    let rendered = platc_render::render_human(&c.sources, &c.diagnostics, false);
    insta::assert_snapshot!(rendered);
}

#[test]
fn hostile_strings_are_data_not_structure() {
    let options = Options::default();
    let text = "platform \"p\" { domain = \"\\u{202E}evil\\u{0}${1 + 1}\\\"\" }\n";
    let c = check_source("main.plat", text, &options);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    // Control characters in the source are reported, not printed raw.
    let c = check_source("main.plat", "platform \"p\" {}\n\u{1b}[31m", &options);
    assert!(c.has_errors());
}

#[test]
fn missing_inputs_are_io_errors() {
    let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("no-such-project");
    assert!(check_path(&RealFs, &missing, &Options::default()).is_err());
    let no_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    assert!(matches!(
        check_path(&RealFs, &no_root, &Options::default()),
        Err(platc_driver::InputError::NoRootFile(_))
    ));
}
