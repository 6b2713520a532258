//! Bad input never panics and never runs away: truncated and mangled
//! programs, deep nesting, huge files, programs past the evaluation budget.

use std::path::{Path, PathBuf};
use std::process::Command;

use platc_driver::{build_path, check_path, check_source, Compilation, MemoryFs, Options, RealFs};
use platc_sema::Value;

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
        // At most about 150 cuts a fixture, evenly spread (and the last
        // ones): with some two hundred fixtures, every cut of every one
        // would take minutes, and the fuzz corpus replays (fuzz_corpus.rs)
        // cover arbitrary prefixes besides.
        let all = token_boundaries(&text);
        let step = all.len().div_ceil(150).max(1);
        let tail = all.len().saturating_sub(10);
        let cuts = all
            .iter()
            .enumerate()
            .filter(|(k, _)| k % step == 0 || *k >= tail)
            .map(|(_, c)| *c);
        for cut in cuts {
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

/// A syntax error just after a letter of several bytes: the hint for a
/// YAML key or a Kubernetes name finds the word by whole characters (it
/// once cut the letter and panicked).
#[test]
fn syntax_hints_after_letters_of_several_bytes() {
    for (text, hint) in [
        (
            "platform \"p\" {\n  domain = { \"été\": 1 }\n}\n",
            "write `\"été\" = 1 }`",
        ),
        (
            "platform \"p\" {\n  domain = { \"naïve.ini\".clé: 1 }\n}\n",
            "",
        ),
        (
            "platform \"p\" {}\ncomponent c {\n  values {\n    \"ü\".a-b = 1\n  }\n}\n",
            "",
        ),
    ] {
        let c = check(text);
        assert_eq!(error_codes(&c), ["E0101"], "{text:?}");
        let help = c.diagnostics[0].help.clone().unwrap_or_default();
        assert!(help.contains(hint), "{text:?}: {help:?}");
    }
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

// ---------------------------------------------------------------- v0.2
//
// Comprehensions, conditionals, `let`, `+` and the string functions let a
// short program ask for a huge amount of work. Evaluation has a budget of
// 10,000,000 built values per platform evaluation (E0322). These tests
// check that the budget gives the exact answer below it, exactly one E0322
// above it, and that memory stays bounded on the way there: the programs
// that must stop run in a child process with a capped address space, so a
// hole in the budget fails the test instead of exhausting the machine.

/// Address space of a child process, in MiB. The most a program that stops
/// at the budget was measured to need is 1.6 GB resident (the doubling
/// string chain, debug build); a program that escapes the budget needs
/// several times this.
const MEMORY_CAP_MIB: u64 = 3 * 1024;

/// Set in a child process to the name of the test it runs.
const CHILD_ENV: &str = "PLATC_ROBUSTNESS_CHILD";

/// Runs `payload` in a child copy of this test binary, limited to
/// `cap_mib` MiB of address space (`ulimit -v`). An allocation past the
/// cap aborts the child, and so does a stack overflow: either fails the
/// test here, with the child's output. `test` must be the calling test's
/// name (the child runs exactly that test).
fn in_capped_child(test: &str, cap_mib: u64, payload: impl FnOnce()) {
    if std::env::var(CHILD_ENV).is_ok_and(|t| t == test) {
        payload();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {} && exec \"$0\" \"$@\"",
            cap_mib * 1024
        ))
        .arg(&exe)
        .args([
            test,
            "--exact",
            "--include-ignored",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD_ENV, test)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run the test binary under sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "`{test}` in a child with {cap_mib} MiB of address space: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        tail(&stdout),
        tail(&stderr)
    );
}

/// The end of a long text.
fn tail(text: &str) -> &str {
    let mut start = text.len().saturating_sub(4000);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// A platform with one component `c` whose members are `body`, and one
/// instance of it, `one`.
fn one_component(body: &str) -> String {
    format!("platform \"p\" {{}}\n\ncomponent c {{\n{body}\n}}\n\nc one {{}}\n")
}

/// The list literal `[0, 1, ..., n - 1]`.
fn int_list(n: usize) -> String {
    let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    format!("[{}]", items.join(", "))
}

fn error_codes(c: &Compilation) -> Vec<&'static str> {
    c.diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect()
}

/// The diagnostics as the CLI prints them (the end, if long).
fn rendered(c: &Compilation) -> String {
    tail(&platc_render::render_human(
        &c.sources,
        &c.diagnostics,
        false,
    ))
    .to_string()
}

fn check(text: &str) -> Compilation {
    check_source("main.plat", text, &Options::default())
}

/// Checks `text` and asserts that the only error is one E0322.
fn assert_only_e0322(what: &str, text: &str) {
    let c = check(text);
    assert_eq!(error_codes(&c), vec!["E0322"], "{what}:\n{}", rendered(&c));
}

/// The value instance `one` gives its top-level Helm values key `key`.
fn value_of(c: &Compilation, key: &str) -> Value {
    let platform = c
        .platform
        .as_ref()
        .unwrap_or_else(|| panic!("no checked platform:\n{}", rendered(c)));
    let one = platform.instance("one").expect("instance `one`");
    one.values
        .get(key)
        .cloned()
        .unwrap_or_else(|| panic!("no values key `{key}`"))
}

fn int_value(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        _ => panic!("not an int: {}", tail(&format!("{v:?}"))),
    }
}

/// How many lists and maps hold the innermost value (first element or
/// entry at each level), and that value.
fn nesting(v: &Value) -> (usize, i64) {
    match v {
        Value::List(items) => {
            let (d, leaf) = nesting(items.first().expect("a non-empty list"));
            (d + 1, leaf)
        }
        Value::Map(entries) => {
            let (d, leaf) = nesting(entries.values().next().expect("a non-empty map"));
            (d + 1, leaf)
        }
        other => (0, int_value(other)),
    }
}

#[test]
fn comprehension_over_a_hundred_thousand_elements_is_exact() {
    let xs = int_list(100_000);
    let options = Options::default();
    for member in [
        format!("param xs: list<int> = {xs}"),
        format!("let xs = {xs}"),
    ] {
        let text = one_component(&format!(
            "  chart \"c\" version \"1.0.0\" from \"https://charts.example.com\"\n  \
             {member}\n  \
             values {{\n    \
             count = len([for x in xs if x % 2 == 0: x * 2])\n    \
             last = [for x in xs if x % 2 == 0: x * 2][49999]\n    \
             odd = len([for i, x in xs if i % 2 == 1 && x == i: x])\n  \
             }}"
        ));
        let c = check_source("main.plat", &text, &options);
        assert!(!c.has_errors(), "{}", rendered(&c));
        assert_eq!(int_value(&value_of(&c, "count")), 50_000, "{member:.20}");
        assert_eq!(int_value(&value_of(&c, "last")), 199_996, "{member:.20}");
        assert_eq!(int_value(&value_of(&c, "odd")), 50_000, "{member:.20}");

        // `build` writes the same values into the chart's values file.
        let mut fs = MemoryFs::new();
        fs.insert("/project/main.plat", text.as_str());
        let b = build_path(&fs, Path::new("/project"), &options).unwrap();
        assert!(!b.compilation.has_errors(), "{}", rendered(&b.compilation));
        let file = b
            .files
            .iter()
            .find(|f| f.path == "helm/one.values.yaml")
            .unwrap_or_else(|| {
                let paths: Vec<&str> = b.files.iter().map(|f| f.path.as_str()).collect();
                panic!("no values file for `one` among {paths:?}")
            });
        let lines: Vec<&str> = file.contents.lines().collect();
        for expected in ["count: 50000", "last: 199996", "odd: 50000"] {
            assert!(
                lines.contains(&expected),
                "`{expected}` missing:\n{}",
                file.contents
            );
        }
    }
}

#[test]
fn nested_comprehensions_past_the_budget_are_one_e0322_in_bounded_memory() {
    let name = "nested_comprehensions_past_the_budget_are_one_e0322_in_bounded_memory";
    in_capped_child(name, MEMORY_CAP_MIB, || {
        let xs = int_list(1000);
        // 1000^3 list elements.
        assert_only_e0322(
            "nested list comprehensions",
            &one_component(&format!(
                "  let xs = {xs}\n  \
                 let rows = [for a in xs: [for b in xs: [for c in xs if c >= 0: a + b + c]]]\n  \
                 values {{ n = len(rows) }}"
            )),
        );
        // 1000^3 strings in maps of maps.
        assert_only_e0322(
            "nested map comprehensions",
            &one_component(&format!(
                "  let xs = {xs}\n  \
                 let rows = {{for a in xs: \"${{a}}\" = {{for b in xs: \"${{b}}\" = \
                 [for c in xs: \"${{a}}-${{b}}-${{c}}\"]}}}}\n  \
                 values {{ n = len(rows) }}"
            )),
        );
    });
}

#[test]
fn doubling_chains_stop_at_the_budget_in_bounded_memory() {
    let name = "doubling_chains_stop_at_the_budget_in_bounded_memory";
    in_capped_child(name, MEMORY_CAP_MIB, || {
        let chain = |first: &str, step: &dyn Fn(usize) -> String, last: &str| {
            let mut body = format!("  {first}\n");
            for i in 1..=60 {
                body.push_str(&format!("  {}\n", step(i)));
            }
            body.push_str(&format!("  values {{ n = len({last}) }}"));
            one_component(&body)
        };
        // 2^61 list elements.
        assert_only_e0322(
            "lists",
            &chain(
                "let a0 = [\"x\", \"x\"]",
                &|i| format!("let a{i} = a{} + a{}", i - 1, i - 1),
                "a60",
            ),
        );
        // A string of 2^60 bytes.
        assert_only_e0322(
            "strings",
            &chain(
                "let s0 = \"x\"",
                &|i| format!("let s{i} = \"${{s{}}}${{s{}}}\"", i - 1, i - 1),
                "s60",
            ),
        );
        // A map of 2^60 distinct keys.
        assert_only_e0322(
            "maps",
            &chain(
                "let m0 = { x = 0 }",
                &|i| {
                    format!(
                        "let m{i} = {{for k, v in m{}: \"${{k}}0\" = v}} + {{for k, v in m{}: \"${{k}}1\" = v}}",
                        i - 1,
                        i - 1
                    )
                },
                "m60",
            ),
        );
    });
}

#[test]
fn string_function_amplifiers_stop_at_the_budget_in_bounded_memory() {
    let name = "string_function_amplifiers_stop_at_the_budget_in_bounded_memory";
    in_capped_child(name, MEMORY_CAP_MIB, || {
        // 2 GB of padding in one call.
        assert_only_e0322(
            "pad_left",
            &one_component("  values { n = len(pad_left(\"\", 2000000000, \"x\")) }"),
        );
        // Each `replace` would make 1 GB: the first is refused.
        assert_only_e0322(
            "replace with a long replacement",
            &one_component(&format!(
                "  let long = pad_left(\"\", 1000000, \"x\")\n  \
                 let rep = pad_left(\"\", 1000, \"y\")\n  \
                 values {{ n = len([for i in {}: replace(long, \"x\", rep)]) }}",
                int_list(10)
            )),
        );
        // Each `replace` fits (2 MB); a thousand of them do not.
        assert_only_e0322(
            "replace in a comprehension",
            &one_component(&format!(
                "  let long = pad_left(\"\", 1000000, \"x\")\n  \
                 values {{ n = len([for i in {}: replace(long, \"x\", \"yy\")]) }}",
                int_list(1000)
            )),
        );
        // Each `pad_left` fits (10 MB); a hundred of them do not.
        assert_only_e0322(
            "pad_left in a comprehension",
            &one_component(&format!(
                "  values {{ n = len([for i in {}: pad_left(\"\", 10000000, \"x\")]) }}",
                int_list(100)
            )),
        );
        // `replace` and `pad_left` feeding each other.
        assert_only_e0322(
            "replace of padding",
            &one_component(&format!(
                "  values {{ n = len([for i in {}: replace(pad_left(\"\", 1000000, \"x\"), \"x\", pad_left(\"\", 100, \"y\"))]) }}",
                int_list(100)
            )),
        );
    });
}

#[test]
fn v02_nesting_at_the_depth_limit_checks_and_one_level_more_is_e0105() {
    use platc_syntax::MAX_DEPTH;
    let params =
        "  param k: int = 1\n  param xs: list<int> = [1]\n  param m: map<int> = { a = 1 }\n";
    // `component c {` is one level; `let deep = ...` opens none.
    let at_limit = MAX_DEPTH - 1;
    // (shape, one level's opening, its closing, the innermost expression,
    // how many lists or maps hold the innermost 1 at the limit)
    let shapes = [
        ("conditional", "if k > 0 { ", " } else { 0 }", "1", 0),
        ("comprehension body", "[for x in xs: ", "]", "1", at_limit),
        ("comprehension source", "[for x in ", ": x]", "xs", 1),
        (
            "map comprehension",
            "{for key, v in m: key = ",
            "}",
            "1",
            at_limit,
        ),
    ];
    for (shape, open, close, leaf, lists) in shapes {
        let text = |levels: usize| {
            one_component(&format!(
                "{params}  let deep = {}{leaf}{}\n  values {{ v = deep }}",
                open.repeat(levels),
                close.repeat(levels)
            ))
        };
        let c = check(&text(at_limit));
        assert!(!c.has_errors(), "{shape} x {at_limit}:\n{}", rendered(&c));
        assert_eq!(
            nesting(&value_of(&c, "v")),
            (lists, 1),
            "{shape} x {at_limit}"
        );
        for levels in [at_limit + 1, 10_000] {
            let c = check(&text(levels));
            assert_eq!(
                error_codes(&c),
                vec!["E0105"],
                "{shape} x {levels}:\n{}",
                rendered(&c)
            );
        }
    }
    // Conditional statements in a values block (`values {` is a level).
    let statements = |levels: usize| {
        one_component(&format!(
            "{params}  values {{ {}v = 1{} }}",
            "if k > 0 { ".repeat(levels),
            " }".repeat(levels)
        ))
    };
    let c = check(&statements(MAX_DEPTH - 2));
    assert!(!c.has_errors(), "{}", rendered(&c));
    assert_eq!(int_value(&value_of(&c, "v")), 1);
    for levels in [MAX_DEPTH - 1, 10_000] {
        let c = check(&statements(levels));
        assert_eq!(error_codes(&c), vec!["E0105"], "{}", rendered(&c));
    }
}

#[test]
fn long_else_if_chains_pick_the_right_arm() {
    // Each arm of an `else if` chain nests in the parser, so a chain counts
    // against the nesting limit: 60 arms check, 1,000 are E0105.
    let c = check(&else_if_chains(1000));
    assert_eq!(error_codes(&c), vec!["E0105"], "{}", rendered(&c));
    let c = check(&else_if_chains(60));
    assert!(!c.has_errors(), "{}", rendered(&c));
    assert_eq!(int_value(&value_of(&c, "v")), 59);
    assert_eq!(int_value(&value_of(&c, "w")), 59);
}

/// An expression and a values statement, each an `else if` chain of
/// `arms` arms, with `k` matching the last arm.
fn else_if_chains(arms: usize) -> String {
    let expr: String = (0..arms)
        .map(|i| format!("if k == {i} {{ {i} }} else\n    "))
        .collect();
    let stmts: String = (0..arms)
        .map(|i| format!("if k == {i} {{ w = {i} }} else\n    "))
        .collect();
    one_component(&format!(
        "  param k: int = {}\n  let pick = {expr}{{ -1 }}\n  values {{\n    v = pick\n    {stmts}{{ w = -1 }}\n  }}",
        arms - 1
    ))
}

/// Every v0.2 construct, nested into each other (checks clean, also under
/// `--env prod`).
const V02_GALLERY: &str = r#"// Every v0.2 construct, nested into each other.
platform "gallery" { domain = "gallery.example.com" }

interface Store { port: int }

component db {
  chart "db" version "1.0.0" from "https://charts.example.com"
  param metrics: bool = false
  provides Store if metrics { port = if metrics { 9187 } else { 0 } }
  values { metrics.enabled = metrics }
}

component app {
  chart "app" version "2.0.0" from "https://charts.example.com"
  param size: int(0..100) = 3
  param names: list<string> = ["a", "b-c", " d "]
  param env: map<string?> = { x = "1", y = none }
  requires Store if size > 2
  let grid = [for i, n in names if i < size: [for m in names if m != n: "${n}/${m}"]]
  let flat = {for k, v in env if v != none: upper(k) = [for p in split(v, ","): trim(p)]}
  let tier = if size > 50 { "big" } else if size > 10 { "medium" } else if size > 0 { "small" } else { "none" }
  let merged = { a = 1 } + {for n in names: trim(n) = len(n)} + { z = 26 }
  assert size == 0 || len(grid) > 0 message "`${self.name}` needs names, has ${len(names)}"
  assert !("a" in names) || tier != "none" message "tier ${tier} for ${join(names, ",")}"
  values {
    grid = grid
    flat = flat
    tier = tier
    merged = merged
    first = [for r in grid if len(r) > 0: r[0]]
    keys = keys(merged) + [for k, v in merged if v > 1: "${k}=${v}"]
    texts = { json = to_json(flat), yaml = to_yaml(grid), sum = sha256(lower(tier)) }
    padded = [for n in names: pad_left(replace(trim(n), "-", "_"), 5, ".")]
    checks = [starts_with(tier, "sm"), ends_with(tier, "ll"), contains(names, "a"), contains(tier, "al")]
    nested."${tier}".count = if len(names) > 2 { if size > 1 { 2 } else { 1 } } else { 0 }
    rows[0].name = "${if size > 1 { "many" } else { "one" }}"
    if size > 50 {
      mode = "big"
    } else if "a" in names {
      mode = [for n in names if n in ["a", "b-c"]: n][0]
    } else {
      mode = "small"
    }
  }
}

db pg { metrics = true }
app web { size = 4 }
app tiny { size = 1 names = ["a"] }

environment prod {
  web.size = 60
  pg.metrics = if platform.environment == "prod" { true } else { false }
}
"#;

#[test]
fn mangled_v02_programs_get_diagnostics_not_panics() {
    let options = Options::default();
    let prod = Options {
        environment: Some("prod".into()),
        ..Options::default()
    };
    let c = check_source("main.plat", V02_GALLERY, &options);
    assert!(!c.has_errors(), "{}", rendered(&c));
    let c = check_source("main.plat", V02_GALLERY, &prod);
    assert!(!c.has_errors(), "{}", rendered(&c));

    // Every prefix of the gallery ending at a token boundary.
    let mut checked = 0;
    for cut in token_boundaries(V02_GALLERY) {
        let prefix = &V02_GALLERY[..cut];
        let c = check_source("main.plat", prefix, &options);
        checked += 1;
        if open_brackets(prefix) {
            assert!(
                c.has_errors(),
                "gallery prefix of {cut} bytes leaves a bracket open but reports no error"
            );
        }
    }
    // Every single-token deletion of the gallery and of the v0.2 fixtures
    // (the prefixes of the fixtures are covered above).
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let mut texts = vec![V02_GALLERY.to_string()];
    for fixture in ["ok-emit-v02-expressions", "ok-v02-environments"] {
        let path = ui.join(fixture).join("main.plat");
        texts.push(std::fs::read_to_string(path).unwrap());
    }
    for text in &texts {
        let cuts = token_boundaries(text);
        for w in cuts.windows(2) {
            let (start, end) = (w[0], w[1]);
            if text[start..end].trim().is_empty() {
                continue;
            }
            let mangled = format!("{}{}", &text[..start], &text[end..]);
            let c = check_source("main.plat", &mangled, &options);
            checked += 1;
            // As `check_path` does: only an environment the program declares.
            if c.environments
                .is_some_and(|e| e.iter().any(|e| e == "prod"))
            {
                let _ = check_source("main.plat", &mangled, &prod);
            }
        }
    }
    assert!(checked > 2000, "only {checked} programs checked");
}

// ------------------------------------------------- holes found and closed
//
// Each test below failed when it was written (a copy or an allocation the
// budget did not see, a panic, unbounded nesting); they run in a capped
// child, so a regression fails without exhausting the machine.

#[test]
fn split_is_charged_before_it_builds() {
    let name = "split_is_charged_before_it_builds";
    in_capped_child(name, MEMORY_CAP_MIB, || {
        assert_only_e0322(
            "split",
            &one_component("  values { n = len(split(pad_left(\"\", 200000000, \"x\"), \"x\")) }"),
        );
    });
}

#[test]
fn join_is_charged() {
    let name = "join_is_charged";
    in_capped_child(name, MEMORY_CAP_MIB, || {
        let strings: Vec<String> = (0..100).map(|i| format!("\"s{i}\"")).collect();
        assert_only_e0322(
            "join",
            &one_component(&format!(
                "  let sep = pad_left(\"\", 100000000, \"x\")\n  \
                 values {{ n = len(join([{}], sep)) }}",
                strings.join(", ")
            )),
        );
    });
}

#[test]
fn interpolation_is_charged_before_it_builds() {
    let name = "interpolation_is_charged_before_it_builds";
    in_capped_child(name, MEMORY_CAP_MIB, || {
        assert_only_e0322(
            "interpolation",
            &one_component(&format!(
                "  let big = pad_left(\"\", 100000000, \"x\")\n  \
                 values {{ n = len(\"{}\") }}",
                "${big}".repeat(100)
            )),
        );
    });
}

#[test]
fn reading_a_value_again_is_charged_or_shared() {
    let name = "reading_a_value_again_is_charged_or_shared";
    in_capped_child(name, MEMORY_CAP_MIB, || {
        // Helm values with 2^60 leaves cannot be written, shared or not:
        // `build` must refuse them.
        let mut body = String::from(
            "  chart \"c\" version \"1.0.0\" from \"https://charts.example.com\"\n  let c0 = [\"x\"]\n",
        );
        for i in 1..=60 {
            body.push_str(&format!("  let c{i} = [c{}, c{}]\n", i - 1, i - 1));
        }
        body.push_str("  values { x = c60 }");
        let mut fs = MemoryFs::new();
        fs.insert("/project/main.plat", one_component(&body));
        let b = build_path(&fs, Path::new("/project"), &Options::default()).unwrap();
        assert_eq!(
            error_codes(&b.compilation),
            vec!["E0322"],
            "list literals of a let:\n{}",
            rendered(&b.compilation)
        );
        // A hundred reads of a 100 MB string: refused, or shared.
        let c = check(&one_component(&format!(
            "  let big = pad_left(\"\", 100000000, \"x\")\n  \
             values {{ n = len([for i in {}: big]) }}",
            int_list(100)
        )));
        if c.has_errors() {
            assert_eq!(error_codes(&c), vec!["E0322"], "{}", rendered(&c));
        } else {
            assert_eq!(int_value(&value_of(&c, "n")), 100);
        }
    });
}

#[test]
fn pad_left_charges_bytes() {
    let name = "pad_left_charges_bytes";
    in_capped_child(name, 1536, || {
        assert_only_e0322(
            "pad_left with a 4-byte fill",
            &one_component("  values { n = len(pad_left(\"\", 600000000, \"\u{1F600}\")) }"),
        );
    });
}

#[test]
fn pad_left_with_the_smallest_width_does_not_panic() {
    let c = check(&one_component(
        "  values { n = len(pad_left(\"a\", -9223372036854775807 - 1, \"x\")) }",
    ));
    // A width below the length pads nothing; an error would do too.
    if c.has_errors() {
        assert_eq!(error_codes(&c), vec!["E0319"], "{}", rendered(&c));
    } else {
        assert_eq!(int_value(&value_of(&c, "n")), 1);
    }
}

#[test]
fn unbracketed_nesting_is_limited_or_iterative() {
    let name = "unbracketed_nesting_is_limited_or_iterative";
    in_capped_child(name, MEMORY_CAP_MIB, || {
        for levels in [30_000, 60_000, 100_000, 200_000] {
            unbracketed_nesting(levels);
        }
    });
}

/// `levels` nested `if` conditions, `else if` arms and `else if`
/// statements, one a line: each checks clean with the right value, or is
/// E0105; never a crash, never another error.
fn unbracketed_nesting(levels: usize) {
    let conditions = format!(
        "  let v = {}true{}\n  values {{ v = v }}",
        "if\n".repeat(levels),
        " { true } else { false }\n".repeat(levels)
    );
    let arms: String = (0..levels)
        .map(|i| format!("if k == {i} {{ {i} }} else\n"))
        .collect();
    let chain = format!("  let v = {arms}{{ -1 }}\n  values {{ v = v }}");
    let stmts: String = (0..levels)
        .map(|i| format!("if k == {i} {{ v = {i} }} else\n"))
        .collect();
    let statements = format!("  values {{\n{stmts}{{ v = -1 }}\n  }}");
    for (shape, body, expected) in [
        ("if conditions", conditions, Value::Bool(true)),
        ("else-if expression", chain, Value::Int(12_345)),
        ("else-if statements", statements, Value::Int(12_345)),
    ] {
        eprintln!("checking {levels} levels of {shape}");
        let c = check(&one_component(&format!("  param k: int = 12345\n{body}")));
        if c.has_errors() {
            assert_eq!(
                error_codes(&c),
                vec!["E0105"],
                "{levels} levels of {shape}:\n{}",
                rendered(&c)
            );
        } else {
            assert!(
                value_of(&c, "v") == expected,
                "{levels} levels of {shape}: v is not {expected:?}"
            );
        }
    }
}

#[test]
fn environments_do_not_multiply_memory() {
    let name = "environments_do_not_multiply_memory";
    in_capped_child(name, MEMORY_CAP_MIB, || {
        // 2^22 list elements, built with about 8.4M of the budget.
        let mut body = String::from("  let a0 = [\"x\", \"x\"]\n");
        for i in 1..=21 {
            body.push_str(&format!("  let a{i} = a{} + a{}\n", i - 1, i - 1));
        }
        body.push_str("  values { xs = a21 }");
        let envs: String = (0..20)
            .map(|i| format!("environment e{i} {{}}\n"))
            .collect();
        let text = format!("{}{envs}", one_component(&body));
        let c = check(&text);
        if c.has_errors() {
            assert_eq!(error_codes(&c), vec!["E0322"], "{}", rendered(&c));
        } else {
            assert_eq!(nesting(&value_of(&c, "xs")).0, 1);
        }
    });
}

#[test]
fn budget_spent_by_one_instance_is_one_e0322() {
    // The budget is per platform, not per instance: 30 instances of about
    // a million values each exceed it once.
    let hundred = int_list(100);
    let instances: String = (0..30).map(|i| format!("c i{i} {{}}\n")).collect();
    let text = format!(
        "platform \"p\" {{}}\n\ncomponent c {{\n  let xs = {hundred}\n  \
         values {{ n = len([for a in xs: [for b in xs: [for c in xs: c]]]) }}\n}}\n\n{instances}"
    );
    assert_only_e0322("30 instances of a million values", &text);
}

/// Thousands of unknown names are reported, each one; "did you mean" over
/// every instance of the platform is offered for the first hundred only, so
/// the work stays linear (10,000 such names took 206 s).
#[test]
fn many_unknown_names_get_bounded_suggestions() {
    let n = 2000;
    let mut text = String::from("platform \"p\" {}\ncomponent c { param x: string = \"\" }\n");
    for i in 0..n {
        // `instX` is one edit away from `inst{i}`'s neighbours: a suggestion
        // exists for every one of them.
        text.push_str(&format!("c inst{i} {{ x = \"${{inst{i}x.name}}\" }}\n"));
    }
    let c = check(&text);
    let unknown: Vec<_> = c.diagnostics.iter().filter(|d| d.code == "E0201").collect();
    // The report keeps the first of each code; the last kept says how many
    // more there are.
    assert_eq!(unknown.len(), platc_driver::MAX_DIAGNOSTICS_PER_CODE);
    let more = n - platc_driver::MAX_DIAGNOSTICS_PER_CODE;
    assert!(unknown
        .last()
        .unwrap()
        .notes
        .iter()
        .any(|note| note.starts_with(&format!("{more} more"))));
    let suggested = unknown
        .iter()
        .filter(|d| {
            d.help
                .as_deref()
                .is_some_and(|h| h.contains("did you mean"))
        })
        .count();
    assert!(suggested > 0 && suggested <= 100, "{suggested} suggestions");
}
