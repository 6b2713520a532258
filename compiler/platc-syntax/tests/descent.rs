//! The recursive-descent parser against pest and the lowering, which define
//! the language: on every `.plat` file of the repository and every input of
//! the parser's fuzz corpus, and on many mutations of a few files. Whenever
//! the descent parser returns a module, pest must accept the text and give
//! the same module (spans included) and the same diagnostics; and it must
//! not give up on any file of the standard library or the examples.

mod common;

use common::{repo, walk};
use platc_diag::FileId;
use platc_syntax::{parse, parse_descent, parse_pest_only, parse_with_pest};
use proptest::prelude::*;

/// Whether the descent parser and pest agree on `text`: `Err` says how
/// they differ. `Ok(true)` when the descent parser returned a module.
fn agree(text: &str) -> Result<bool, String> {
    let Some(descent) = parse_descent(FileId(0), text) else {
        return Ok(false);
    };
    // The public entry point, which scans only text nested deeply, is the
    // one that always scans first.
    if parse(FileId(0), text) != parse_with_pest(FileId(0), text) {
        return Err("parse differs from parse_with_pest".to_string());
    }
    let Some(pest) = parse_pest_only(FileId(0), text) else {
        return Err("the descent parser accepted text pest rejects".to_string());
    };
    // Debug output also tells -0.0 from 0.0.
    if descent != pest || format!("{descent:?}") != format!("{pest:?}") {
        return Err(format!(
            "different results\n--- descent\n{descent:#?}\n--- pest\n{pest:#?}"
        ));
    }
    Ok(true)
}

#[test]
fn every_file_of_the_repository_parses_the_same() {
    let mut files = Vec::new();
    walk(&repo(), "plat", &mut files);
    assert!(files.len() > 100, "found only {} .plat files", files.len());
    let (mut accepted, mut fast) = (0, 0);
    let mut gave_up = Vec::new();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue; // not UTF-8: a ui case of its own.
        };
        let name = path
            .strip_prefix(repo())
            .unwrap_or(path)
            .display()
            .to_string();
        let took = agree(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The public entry point, scan and recovery included, is unchanged.
        assert!(
            parse(FileId(0), &text) == parse_with_pest(FileId(0), &text),
            "{name}: parse differs from parse_with_pest"
        );
        if parse_pest_only(FileId(0), &text).is_some() {
            accepted += 1;
            if took {
                fast += 1;
            } else {
                gave_up.push(name);
            }
        }
    }
    eprintln!(
        "{} files, {accepted} accepted by pest, {fast} parsed by the descent parser",
        files.len()
    );
    assert!(accepted > 100, "only {accepted} files parse");
    assert!(
        gave_up.is_empty(),
        "the descent parser gave up on files pest accepts: {gave_up:?}"
    );
}

#[test]
fn the_fuzz_corpus_parses_the_same() {
    let mut count = 0;
    let mut entries = Vec::new();
    for target in ["parse", "check"] {
        let dir = repo().join("fuzz/corpus").join(target);
        let Ok(dir) = std::fs::read_dir(&dir) else {
            panic!("cannot read {}", dir.display());
        };
        entries.extend(dir);
    }
    for entry in entries {
        let path = entry.unwrap().path();
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = agree(&text) {
            panic!("{}: {e}", path.display());
        }
        count += 1;
    }
    assert!(count > 10, "only {count} corpus inputs");
}

/// A few files with many constructs, mutated.
fn samples() -> Vec<String> {
    let root = repo();
    [
        "compiler/platc-syntax/src/all_constructs.plat",
        "stdlib/std/postgres.plat",
        "stdlib/std/airflow.plat",
        "examples/quickstart/main.plat",
    ]
    .iter()
    .filter_map(|p| std::fs::read_to_string(root.join(p)).ok())
    .collect()
}

/// Tokens and words worth inserting: keywords, contextual keywords, and
/// pieces of the grammar's trickier rules.
const INSERTS: &[&str] = &[
    "if",
    "else",
    "for",
    "in",
    "self",
    "secret",
    "platform",
    "none",
    "true",
    "route",
    "cluster",
    "resource",
    "assert",
    "message",
    "values",
    "let",
    "as",
    "from",
    "until",
    "where",
    "fail",
    "help",
    "list<",
    "map<",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "${",
    "\\",
    "=",
    "==",
    "-",
    "--",
    ".",
    "..",
    ",",
    ":",
    "?",
    "|",
    "->",
    "//",
    "/*",
    "*/",
    "0",
    "1.5",
    "1_0",
    "20Gi",
    "5min",
    "3xx",
    "2030-02-30",
    " ",
    "\n",
    "é",
];

/// Positions to mutate at: token boundaries, where mutations matter.
fn boundaries(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = vec![0, text.len()];
    for i in 1..b.len() {
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        if (word(b[i]) != word(b[i - 1]) || !word(b[i])) && text.is_char_boundary(i) {
            out.push(i);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutations_parse_the_same(
        sample in 0usize..4,
        at in any::<prop::sample::Index>(),
        to in any::<prop::sample::Index>(),
        insert in 0..INSERTS.len(),
        kind in 0u8..5,
    ) {
        let texts = samples();
        let text = &texts[sample % texts.len()];
        let cuts = boundaries(text);
        let (a, b) = {
            let (x, y) = (cuts[at.index(cuts.len())], cuts[to.index(cuts.len())]);
            (x.min(y), x.max(y))
        };
        let mutated = match kind {
            // Truncate.
            0 => text[..a].to_string(),
            // Delete a range (a token when the ends are near).
            1 => format!("{}{}", &text[..a], &text[b..]),
            // Insert a token.
            2 => format!("{}{}{}", &text[..a], INSERTS[insert], &text[a..]),
            // Duplicate a range.
            3 => format!("{}{}", &text[..b], &text[a..]),
            // Replace a range by a token.
            _ => format!("{}{}{}", &text[..a], INSERTS[insert], &text[b..]),
        };
        if let Err(e) = agree(&mutated) {
            return Err(TestCaseError::fail(format!("{e}\n--- text\n{mutated}")));
        }
    }
}

#[test]
fn single_character_edits_parse_the_same() {
    // Deleting each character (but whitespace), and inserting a token at
    // every eighth boundary, of the sample of every construct: systematic,
    // where the random test samples.
    let text =
        std::fs::read_to_string(repo().join("compiler/platc-syntax/src/all_constructs.plat"))
            .unwrap();
    for (n, at) in boundaries(&text).into_iter().enumerate() {
        let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
        if !text[at..end].trim().is_empty() {
            let deleted = format!("{}{}", &text[..at], &text[end..]);
            if let Err(e) = agree(&deleted) {
                panic!("deleting at {at}: {e}");
            }
        }
        if n % 8 != 0 {
            continue;
        }
        let insert = ["if", "{", "\"", "-", ".", "in", "}"][(n / 8) % 7];
        let inserted = format!("{}{}{}", &text[..at], insert, &text[at..]);
        if let Err(e) = agree(&inserted) {
            panic!("inserting {insert:?} at {at}: {e}");
        }
    }
}

/// Random programs from the grammar: every construct, with trivia of all
/// kinds between tokens, mostly valid, some not.
struct Gen {
    state: u64,
    out: String,
}

impl Gen {
    fn new(seed: u64) -> Self {
        Gen {
            state: seed | 1,
            out: String::new(),
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len())]
    }

    /// A token, then trivia.
    fn t(&mut self, token: &str) {
        self.out.push_str(token);
        let trivia = self.pick(&[
            "",
            " ",
            " ",
            " ",
            "\n",
            "\n  ",
            "\t",
            " /* c */ ",
            "/**/",
            " // c\n",
            "\r\n",
            " /* \" */ ",
            " // \"x\n",
            " /// d\n",
        ]);
        self.out.push_str(trivia);
    }

    fn name(&mut self) {
        let n = self.pick(&[
            "a", "b", "x_1", "iffy", "self_x", "ina", "list", "map", "route", "message", "from",
            "as", "version", "ready", "_", "forx",
        ]);
        self.t(n);
    }

    fn word(&mut self) {
        if self.below(3) == 0 {
            let w = self.pick(&[
                "if", "for", "in", "else", "self", "platform", "values", "none",
            ]);
            self.t(w);
        } else {
            self.name();
        }
    }

    fn string(&mut self, depth: usize) {
        let mut s = String::from("\"");
        for _ in 0..self.below(4) {
            match self.below(6) {
                0 => s.push_str(
                    self.pick(&["\\n", "\\\"", "\\\\", "\\$", "\\u{e9}", "\\q", "\\u{zz}"]),
                ),
                1 if depth > 0 => {
                    // An interpolation: generated into its own buffer.
                    let outer = std::mem::take(&mut self.out);
                    self.out.push_str("${");
                    self.expr(depth - 1);
                    self.out.push('}');
                    s.push_str(&std::mem::replace(&mut self.out, outer));
                }
                _ => s.push_str(self.pick(&["text", "a b", "é", "$x", "//", "/*", "{}", "-"])),
            }
        }
        s.push('"');
        self.t(&s);
    }

    fn number(&mut self) {
        let n = self.pick(&[
            "0",
            "42",
            "1_000",
            "0.5",
            "20Gi",
            "5min",
            "500m",
            "1.5Gi",
            "30s",
            "3xx",
            "20GB",
            "0.5m",
            "99999999999999999999",
        ]);
        self.t(n);
    }

    fn expr(&mut self, depth: usize) {
        self.operand(depth);
        for _ in 0..self.below(3) {
            let op = self.pick(&[
                "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "in",
            ]);
            self.t(op);
            self.operand(depth);
        }
    }

    fn operand(&mut self, depth: usize) {
        for _ in 0..self.below(3).saturating_sub(1) {
            let p = self.pick(&["-", "!"]);
            // Adjacent or not: `-1` folds, `- 1` does not.
            if self.below(2) == 0 {
                self.out.push_str(p);
            } else {
                self.t(p);
            }
        }
        self.primary(depth);
        for _ in 0..self.below(3).saturating_sub(1) {
            if self.below(2) == 0 {
                self.t(".");
                self.word();
            } else if depth > 0 {
                self.t("[");
                self.expr(depth - 1);
                self.t("]");
            }
        }
    }

    fn primary(&mut self, depth: usize) {
        let choice = if depth == 0 {
            self.below(4)
        } else {
            self.below(13)
        };
        match choice {
            0 => self.name(),
            1 => self.number(),
            2 => self.string(depth),
            3 => {
                let w = self.pick(&["true", "false", "none", "self", "platform"]);
                self.t(w);
            }
            4 => {
                self.t("(");
                self.expr(depth - 1);
                self.t(")");
            }
            5 => {
                self.t("[");
                for _ in 0..self.below(4) {
                    self.expr(depth - 1);
                    if self.below(3) > 0 {
                        self.t(",");
                    }
                }
                self.t("]");
            }
            6 => {
                self.t("{");
                for _ in 0..self.below(4) {
                    if self.below(3) == 0 {
                        self.string(0);
                    } else {
                        self.word();
                    }
                    self.t("=");
                    self.expr(depth - 1);
                    if self.below(2) == 0 {
                        self.t(",");
                    }
                }
                self.t("}");
            }
            7 | 8 => {
                let map = choice == 8;
                self.t(if map { "{" } else { "[" });
                self.t("for");
                self.name();
                if self.below(2) == 0 {
                    self.t(",");
                    self.name();
                }
                self.t("in");
                self.expr(depth - 1);
                if self.below(2) == 0 {
                    self.t("if");
                    self.expr(depth - 1);
                }
                self.t(":");
                self.expr(depth - 1);
                if map {
                    self.t("=");
                    self.expr(depth - 1);
                }
                self.t(if map { "}" } else { "]" });
            }
            9 => {
                self.t("if");
                self.expr(depth - 1);
                self.t("{");
                self.expr(depth - 1);
                self.t("}");
                while self.below(3) == 0 {
                    self.t("else");
                    self.t("if");
                    self.expr(depth - 1);
                    self.t("{");
                    self.expr(depth - 1);
                    self.t("}");
                }
                self.t("else");
                self.t("{");
                self.expr(depth - 1);
                self.t("}");
            }
            _ => {
                self.name();
                self.t("(");
                for i in 0..self.below(3) {
                    if i > 0 {
                        self.t(",");
                    }
                    self.expr(depth - 1);
                }
                self.t(")");
            }
        }
    }

    fn ty(&mut self, depth: usize) {
        let choice = if depth == 0 { 0 } else { self.below(7) };
        match choice {
            0 => {
                let n = self.pick(&["int", "string", "secret", "bytes", "m.T", "listy", "mapper"]);
                self.t(n);
                match self.below(5) {
                    0 => {
                        self.t("(");
                        if self.below(2) == 0 {
                            self.t("-");
                        }
                        self.number();
                        self.t("..");
                        self.t(")");
                    }
                    1 => {
                        self.t("(");
                        self.t("..");
                        self.number();
                        self.t(")");
                    }
                    2 => {
                        self.t("(");
                        self.t("matches");
                        self.string(0);
                        self.t(")");
                    }
                    _ => {}
                }
            }
            1 => {
                let w = self.pick(&["list", "map"]);
                self.t(w);
                self.t("<");
                self.ty(depth - 1);
                self.t(">");
            }
            2 => {
                self.t("{");
                for _ in 0..self.below(3) {
                    self.name();
                    self.t(":");
                    self.ty(depth - 1);
                    if self.below(2) == 0 {
                        self.t(",");
                    }
                }
                self.t("}");
            }
            3 => {
                self.t("(");
                self.ty(depth - 1);
                self.t(")");
            }
            _ => {
                let interpolations = usize::from(self.below(4) == 0);
                self.string(interpolations);
                for _ in 0..self.below(3) {
                    self.t("|");
                    if self.below(5) == 0 {
                        self.ty(depth - 1);
                    } else {
                        self.string(0);
                    }
                }
            }
        }
        if self.below(4) == 0 {
            self.t("?");
        }
    }

    fn attrs(&mut self, depth: usize) {
        self.t("{");
        for _ in 0..self.below(4) {
            self.name();
            self.t("=");
            self.expr(depth);
        }
        self.t("}");
    }

    fn values(&mut self, depth: usize) {
        self.t("{");
        for _ in 0..self.below(4) {
            if depth > 0 && self.below(4) == 0 {
                self.t("if");
                self.expr(depth - 1);
                self.values(depth - 1);
                if self.below(2) == 0 {
                    self.t("else");
                    self.values(depth - 1);
                }
                continue;
            }
            if self.below(3) == 0 {
                self.string(1);
            } else {
                self.word();
            }
            for _ in 0..self.below(3) {
                if self.below(2) == 0 {
                    self.t(".");
                    self.word();
                } else {
                    self.t("[");
                    self.expr(0);
                    self.t("]");
                }
            }
            self.t("=");
            self.expr(depth);
        }
        self.t("}");
    }

    fn item(&mut self) {
        let depth = 3;
        match self.below(9) {
            0 => {
                self.t("platform");
                self.string(1);
                self.attrs(depth);
            }
            1 => {
                self.t("import");
                self.string(0);
                if self.below(2) == 0 {
                    self.t("as");
                    self.name();
                }
            }
            2 => {
                self.t("interface");
                self.name();
                self.t("{");
                for _ in 0..self.below(3) {
                    self.name();
                    self.t(":");
                    self.ty(2);
                    if self.below(2) == 0 {
                        self.t(",");
                    }
                }
                self.t("}");
            }
            3 => {
                self.t("secret");
                self.name();
                self.t("from");
                self.name();
                self.t("(");
                self.string(0);
                self.t(")");
            }
            4 => {
                self.t("environment");
                self.name();
                self.t("{");
                for _ in 0..self.below(3) {
                    if self.below(3) == 0 {
                        self.t("platform");
                    } else {
                        self.name();
                    }
                    self.t(".");
                    self.word();
                    self.t("=");
                    self.expr(depth);
                }
                self.t("}");
            }
            5 => {
                self.t("policy");
                self.name();
                self.t("severity");
                let w = self.pick(&["deny", "warn"]);
                self.t(w);
                self.t("code");
                self.string(0);
                self.t("{");
                for _ in 0..self.below(3) {
                    self.t("for");
                    self.name();
                    self.t("in");
                    self.name();
                    if self.below(2) == 0 {
                        self.t("where");
                        self.expr(depth);
                    }
                    self.t("fail");
                    self.name();
                    self.expr(depth);
                    if self.below(2) == 0 {
                        self.t("help");
                        self.expr(depth);
                    }
                }
                self.t("}");
            }
            6 => {
                self.t("allow");
                self.name();
                self.t("for");
                self.name();
                match self.below(3) {
                    0 => {
                        self.t(".");
                        self.name();
                    }
                    1 => {
                        self.t("->");
                        self.name();
                    }
                    _ => {}
                }
                self.t("reason");
                self.string(0);
                if self.below(2) == 0 {
                    self.t("until");
                    let d = self.pick(&["2030-01-01", "2030-02-30", "2028-02-29", "2030-13-01"]);
                    self.t(d);
                }
            }
            7 => self.component(depth),
            _ => {
                if self.below(5) == 0 {
                    self.t("secret");
                } else {
                    self.name();
                }
                self.name();
                self.t("{");
                for _ in 0..self.below(4) {
                    if self.below(4) == 0 {
                        self.t("expose");
                        self.name();
                        self.attrs(depth);
                    } else {
                        self.name();
                        self.t("=");
                        self.expr(depth);
                    }
                }
                self.t("}");
            }
        }
    }

    fn component(&mut self, depth: usize) {
        self.t("component");
        self.name();
        self.t("{");
        for _ in 0..self.below(6) {
            match self.below(10) {
                0 => {
                    self.t("chart");
                    self.string(0);
                    self.t("version");
                    self.string(0);
                    self.t("from");
                    self.string(0);
                    if self.below(2) == 0 {
                        self.t("timeout");
                        self.number();
                    }
                }
                1 | 2 => {
                    let w = self.pick(&["provides", "requires"]);
                    self.t(w);
                    self.name();
                    if self.below(2) == 0 {
                        self.t(".");
                        self.name();
                    }
                    if self.below(2) == 0 {
                        self.t("if");
                        self.expr(depth);
                    }
                }
                3 => {
                    self.t("param");
                    self.name();
                    self.t(":");
                    self.ty(2);
                    if self.below(2) == 0 {
                        self.t("=");
                        self.expr(depth);
                    }
                }
                4 => {
                    self.t("let");
                    self.name();
                    self.t("=");
                    self.expr(depth);
                }
                5 => {
                    if self.below(2) == 0 {
                        self.t("route");
                    }
                    self.t("assert");
                    self.expr(depth);
                    self.t("message");
                    self.expr(depth);
                }
                6 => {
                    let scope = self.pick(&["", "cluster", "route"]);
                    if !scope.is_empty() {
                        self.t(scope);
                    }
                    self.t("resource");
                    self.name();
                    self.string(0);
                    self.word();
                    if self.below(2) == 0 {
                        self.t("for");
                        self.name();
                        self.t("in");
                        self.expr(depth);
                    }
                    if self.below(2) == 0 {
                        self.t("if");
                        self.expr(depth);
                    }
                    if self.below(2) == 0 {
                        self.t("ready");
                        self.string(0);
                        if self.below(2) == 0 {
                            self.t("=");
                            self.string(0);
                        }
                    }
                    self.values(depth);
                }
                7 => {
                    self.t("network");
                    self.attrs(depth);
                }
                8 => {
                    self.t("expose");
                    self.name();
                    self.attrs(depth);
                }
                _ => {
                    self.t("values");
                    self.values(depth);
                }
            }
        }
        self.t("}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Programs drawn from the grammar: the descent parser must agree with
    /// pest, and take every one pest accepts.
    #[test]
    fn generated_programs_parse_the_same(seed in any::<u64>()) {
        let mut g = Gen::new(seed);
        for _ in 0..1 + g.below(4) {
            g.item();
        }
        let text = g.out;
        match agree(&text) {
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n--- text\n{text}"))),
            Ok(false) if parse_pest_only(FileId(0), &text).is_some() => {
                return Err(TestCaseError::fail(format!("the descent parser gave up\n--- text\n{text}")));
            }
            Ok(_) => {}
        }
    }
}
