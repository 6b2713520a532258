//! Property tests of the formatter: parse, pretty-print, re-parse.
//!
//! A grammar-driven generator writes random programs (every kind of item and
//! component member, types with constraints, expressions of every form,
//! strings with escapes and interpolation) as a list of tokens, and a second
//! strategy fills the gaps between tokens with random trivia: spaces, tabs,
//! line breaks, blank lines, CRLF, line, block and doc comments. For each
//! program that parses, formatting must succeed, be a fixed point, give the
//! same AST (spans aside) and keep every comment. Damaged programs and
//! arbitrary text must never make the formatter panic or produce text that
//! means something else.

use platc_diag::FileId;
use platc_syntax::fmt::{comment_texts, fingerprint, format, FormatError};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestRunner;

type Toks = Vec<String>;
type S = BoxedStrategy<Toks>;

fn one(s: &'static str) -> Toks {
    vec![s.to_string()]
}

fn cat(parts: Vec<Toks>) -> Toks {
    parts.into_iter().flatten().collect()
}

fn pick(options: &'static [&'static str]) -> S {
    select(options).prop_map(|s| vec![s.to_string()]).boxed()
}

fn opt(s: S) -> S {
    prop::option::of(s)
        .prop_map(Option::unwrap_or_default)
        .boxed()
}

/// Elements separated by `sep`, sometimes with a trailing one.
fn sep_by(items: Vec<Toks>, sep: &'static str, trailing: bool) -> Toks {
    let n = items.len();
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        out.extend(item);
        if i + 1 < n || (trailing && n > 0) {
            out.push(sep.to_string());
        }
    }
    out
}

// ---------------------------------------------------------------- lexical

const NAMES: &[&str] = &["a", "b", "web", "db", "x_1", "metadb", "list", "map", "_n"];
/// Keys and fields may be any word, keywords and contextual keywords included.
const WORDS: &[&str] = &[
    "a", "b", "port", "x_1", "if", "for", "values", "in", "from", "message", "version", "self",
];
const TYPE_NAMES: &[&str] = &[
    "string", "int", "bool", "bytes", "cpu", "duration", "float", "secret", "path", "Store",
];

fn name() -> S {
    pick(NAMES)
}

fn word() -> S {
    pick(WORDS)
}

fn number() -> S {
    pick(&[
        "0", "42", "1_000", "0.5", "20Gi", "500m", "30s", "5min", "1.5Gi", "7d", "100k",
    ])
}

/// A string literal: text (with comment-like and brace text), escapes and,
/// above depth 0, interpolations.
fn string(depth: u32) -> BoxedStrategy<String> {
    let text = select(
        &[
            "abc",
            " x ",
            "a-b",
            "\u{e9}t\u{e9}",
            "// not a comment",
            "/* nor this */",
            "$x",
            "}",
            "\t",
            "a.b",
        ][..],
    )
    .prop_map(str::to_string);
    let escape = select(&["\\n", "\\\"", "\\\\", "\\$", "\\u{41}", "\\t", "\\r"][..])
        .prop_map(str::to_string);
    let part = if depth == 0 {
        prop_oneof![3 => text, 1 => escape].boxed()
    } else {
        let interp = expr(depth - 1).prop_map(|t| format!("${{{}}}", t.join(" ")));
        prop_oneof![3 => text, 1 => escape, 2 => interp].boxed()
    };
    prop::collection::vec(part, 0..4)
        .prop_map(|parts| format!("\"{}\"", parts.concat()))
        .boxed()
}

fn string_tok(depth: u32) -> S {
    string(depth).prop_map(|s| vec![s]).boxed()
}

fn plain_string() -> S {
    pick(&[
        "\"x\"",
        "\"std/postgres\"",
        "\"1.0.0\"",
        "\"https://charts.example.com\"",
    ])
}

// ---------------------------------------------------------------- expressions

fn expr(depth: u32) -> S {
    let leaf = prop_oneof![
        3 => name(),
        3 => number(),
        2 => string_tok(0),
        1 => pick(&["true", "false", "none", "self", "platform"]),
    ]
    .boxed();
    if depth == 0 {
        return leaf;
    }
    let e = || expr(depth - 1);
    prop_oneof![
        4 => leaf,
        2 => string_tok(depth),
        3 => (e(), pick(&["||", "&&", "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/", "%"]), e())
            .prop_map(|(a, op, b)| cat(vec![a, op, b])),
        1 => (pick(&["-", "!"]), e()).prop_map(|(op, a)| cat(vec![op, a])),
        1 => e().prop_map(|a| cat(vec![one("("), a, one(")")])),
        2 => (prop::collection::vec(e(), 0..4), any::<bool>())
            .prop_map(|(items, t)| cat(vec![one("["), sep_by(items, ",", t), one("]")])),
        2 => (prop::collection::vec((prop_oneof![word(), string_tok(0)], e()), 0..4), any::<bool>())
            .prop_map(|(entries, t)| {
                let entries = entries.into_iter().map(|(k, v)| cat(vec![k, one("="), v])).collect();
                cat(vec![one("{"), sep_by(entries, ",", t), one("}")])
            }),
        2 => (name(), prop::collection::vec(e(), 0..3))
            .prop_map(|(f, args)| cat(vec![f, one("("), sep_by(args, ",", false), one(")")])),
        1 => (e(), word()).prop_map(|(a, w)| cat(vec![a, one("."), w])),
        1 => (e(), e()).prop_map(|(a, i)| cat(vec![a, one("["), i, one("]")])),
        1 => (e(), e(), opt((e(), e()).prop_map(|(c, t)| cat(vec![one("else"), one("if"), c, one("{"), t, one("}")])).boxed()), e())
            .prop_map(|(c, t, elif, o)| cat(vec![
                one("if"), c, one("{"), t, one("}"), elif, one("else"), one("{"), o, one("}"),
            ])),
        1 => (comp_head(depth), e()).prop_map(|(h, body)| cat(vec![one("["), h, body, one("]")])),
        1 => (comp_head(depth), e(), e())
            .prop_map(|(h, k, v)| cat(vec![one("{"), h, k, one("="), v, one("}")])),
    ]
    .boxed()
}

fn comp_head(depth: u32) -> S {
    (
        opt(name().prop_map(|n| cat(vec![n, one(",")])).boxed()),
        name(),
        expr(depth - 1),
        opt(expr(depth - 1)
            .prop_map(|c| cat(vec![one("if"), c]))
            .boxed()),
    )
        .prop_map(|(k, v, src, filter)| {
            cat(vec![one("for"), k, v, one("in"), src, filter, one(":")])
        })
        .boxed()
}

// ---------------------------------------------------------------- types

fn type_name() -> S {
    prop_oneof![
        4 => pick(TYPE_NAMES),
        1 => name().prop_map(|m| cat(vec![m, one("."), one("Store")])),
    ]
    .boxed()
}

fn constraint() -> S {
    prop_oneof![
        (
            opt(number()),
            opt(prop_oneof![
                number(),
                pick(&["-"]).prop_flat_map(|m| number().prop_map(move |n| cat(vec![m.clone(), n])))
            ]
            .boxed())
        )
            .prop_map(|(lo, hi)| cat(vec![one("("), lo, one(".."), hi, one(")")])),
        plain_string().prop_map(|s| cat(vec![one("("), one("matches"), s, one(")")])),
    ]
    .boxed()
}

fn type_expr(depth: u32) -> S {
    (type_union(depth), any::<bool>())
        .prop_map(|(t, q)| if q { cat(vec![t, one("?")]) } else { t })
        .boxed()
}

/// One type, or an enum of string literals (only those may be joined).
fn type_union(depth: u32) -> S {
    prop_oneof![
        3 => type_term(depth),
        1 => prop::collection::vec(plain_string(), 2..4).prop_map(|terms| sep_by(terms, "|", false)),
    ]
    .boxed()
}

fn type_term(depth: u32) -> S {
    let named = (type_name(), opt(constraint()))
        .prop_map(|(n, c)| cat(vec![n, c]))
        .boxed();
    if depth == 0 {
        return prop_oneof![3 => named, 1 => plain_string()].boxed();
    }
    let t = || type_expr(depth - 1);
    prop_oneof![
        4 => named,
        1 => plain_string(),
        1 => t().prop_map(|t| cat(vec![one("("), t, one(")")])),
        1 => t().prop_map(|t| cat(vec![one("list"), one("<"), t, one(">")])),
        1 => t().prop_map(|t| cat(vec![one("map"), one("<"), t, one(">")])),
        1 => (prop::collection::vec((name(), t()), 0..3), any::<bool>()).prop_map(|(fields, c)| {
            let fields = fields.into_iter().map(|(n, t)| cat(vec![n, one(":"), t])).collect();
            cat(vec![one("{"), sep_by(fields, ",", c), one("}")])
        }),
    ]
    .boxed()
}

// ---------------------------------------------------------------- items

fn attr() -> S {
    (name(), expr(2))
        .prop_map(|(n, e)| cat(vec![n, one("="), e]))
        .boxed()
}

fn attrs() -> S {
    prop::collection::vec(attr(), 0..4).prop_map(cat).boxed()
}

fn block(head: Toks, body: Toks) -> Toks {
    cat(vec![head, one("{"), body, one("}")])
}

fn key_path() -> S {
    let segment = prop_oneof![
        3 => word().prop_map(|w| cat(vec![one("."), w])),
        1 => string_tok(1).prop_map(|s| cat(vec![one("."), s])),
        1 => expr(1).prop_map(|i| cat(vec![one("["), i, one("]")])),
    ];
    (
        prop_oneof![word(), string_tok(1)],
        prop::collection::vec(segment, 0..3),
    )
        .prop_map(|(first, rest)| cat(vec![first, rest.into_iter().flatten().collect()]))
        .boxed()
}

fn value_stmts(depth: u32) -> S {
    let assign = (key_path(), expr(2))
        .prop_map(|(k, e)| cat(vec![k, one("="), e]))
        .boxed();
    let stmt = if depth == 0 {
        assign
    } else {
        let body = || value_stmts(depth - 1);
        prop_oneof![
            3 => assign,
            1 => (expr(1), body(), opt((expr(1), body()).prop_map(|(c, b)| cat(vec![one("else"), one("if"), c, one("{"), b, one("}")])).boxed()), opt(body().prop_map(|b| cat(vec![one("else"), one("{"), b, one("}")])).boxed()))
                .prop_map(|(c, b, elif, els)| cat(vec![one("if"), c, one("{"), b, one("}"), elif, els])),
        ]
        .boxed()
    };
    prop::collection::vec(stmt, 0..4).prop_map(cat).boxed()
}

fn cond() -> S {
    opt(expr(1).prop_map(|c| cat(vec![one("if"), c])).boxed())
}

fn member() -> S {
    prop_oneof![
        1 => (plain_string(), plain_string(), plain_string(), opt(number().prop_map(|n| cat(vec![one("timeout"), n])).boxed()))
            .prop_map(|(n, v, r, t)| cat(vec![one("chart"), n, one("version"), v, one("from"), r, t])),
        1 => (type_name(), cond(), prop::option::of(attrs()))
            .prop_map(|(t, c, fields)| {
                let fields = fields.map(|f| block(vec![], f)).unwrap_or_default();
                cat(vec![one("provides"), t, c, fields])
            }),
        1 => (type_name(), cond()).prop_map(|(t, c)| cat(vec![one("requires"), t, c])),
        3 => (name(), type_expr(2), opt(expr(2).prop_map(|e| cat(vec![one("="), e])).boxed()))
            .prop_map(|(n, t, d)| cat(vec![one("param"), n, one(":"), t, d])),
        2 => (name(), expr(3)).prop_map(|(n, e)| cat(vec![one("let"), n, one("="), e])),
        1 => (expr(2), expr(1)).prop_map(|(c, m)| cat(vec![one("assert"), c, one("message"), m])),
        1 => (any::<bool>(), name(), plain_string(), cond(), opt((plain_string(), opt(plain_string().prop_map(|p| cat(vec![one("="), p])).boxed())).prop_map(|(a, b)| cat(vec![one("ready"), a, b])).boxed()), value_stmts(1))
            .prop_map(|(cluster, n, api, c, ready, body)| {
                let scope = if cluster { one("cluster") } else { vec![] };
                block(cat(vec![scope, one("resource"), n, api, one("Kind"), c, ready]), body)
            }),
        1 => (name(), attrs()).prop_map(|(n, a)| block(cat(vec![one("expose"), n]), a)),
        2 => value_stmts(2).prop_map(|s| block(one("values"), s)),
    ]
    .boxed()
}

fn item() -> S {
    prop_oneof![
        1 => (string_tok(1), attrs()).prop_map(|(s, a)| block(cat(vec![one("platform"), s]), a)),
        2 => (plain_string(), opt(name().prop_map(|n| cat(vec![one("as"), n])).boxed()))
            .prop_map(|(p, a)| cat(vec![one("import"), p, a])),
        1 => (name(), prop::collection::vec((name(), type_expr(2)), 0..3), any::<bool>())
            .prop_map(|(n, fields, c)| {
                let fields = fields.into_iter().map(|(f, t)| cat(vec![f, one(":"), t])).collect();
                block(cat(vec![one("interface"), n]), sep_by(fields, ",", c))
            }),
        4 => (name(), prop::collection::vec(member(), 0..6))
            .prop_map(|(n, m)| block(cat(vec![one("component"), n]), cat(m))),
        2 => (name(), name(), prop::collection::vec(expr(1), 1..3))
            .prop_map(|(n, f, args)| cat(vec![one("secret"), n, one("from"), f, one("("), sep_by(args, ",", false), one(")")])),
        1 => (name(), prop::collection::vec((prop_oneof![name(), pick(&["platform"])], prop::collection::vec(word(), 1..3), expr(2)), 0..4))
            .prop_map(|(n, overrides)| {
                let body = overrides
                    .into_iter()
                    .map(|(first, rest, e)| {
                        let path: Toks = rest.into_iter().flat_map(|w| cat(vec![one("."), w])).collect();
                        cat(vec![first, path, one("="), e])
                    })
                    .collect();
                block(cat(vec![one("environment"), n]), cat(body))
            }),
        1 => (name(), pick(&["deny", "warn"]), prop::collection::vec((name(), name(), opt(expr(2).prop_map(|w| cat(vec![one("where"), w])).boxed()), name(), expr(1), opt(expr(1).prop_map(|h| cat(vec![one("help"), h])).boxed())), 0..3))
            .prop_map(|(n, sev, rules)| {
                let rules = rules
                    .into_iter()
                    .map(|(v, coll, w, s, m, h)| cat(vec![one("for"), v, one("in"), coll, w, one("fail"), s, m, h]))
                    .collect();
                block(cat(vec![one("policy"), n, one("severity"), sev, one("code"), one("\"P0001\"")]), cat(rules))
            }),
        1 => (name(), name(), opt(name().prop_map(|e| cat(vec![one("."), e])).boxed()), string_tok(0), opt(pick(&["2030-01-01", "2027-03-31"]).prop_map(|d| cat(vec![one("until"), d])).boxed()))
            .prop_map(|(p, t, e, r, u)| cat(vec![one("allow"), p, one("for"), t, e, one("reason"), r, u])),
        4 => (type_name(), name(), prop::collection::vec(prop_oneof![3 => attr(), 1 => (name(), attrs()).prop_map(|(n, a)| block(cat(vec![one("expose"), n]), a))], 0..4))
            .prop_map(|(t, n, members)| block(cat(vec![t, n]), cat(members))),
    ]
    .boxed()
}

fn program() -> S {
    prop::collection::vec(item(), 0..5).prop_map(cat).boxed()
}

/// What goes between two tokens.
fn trivia() -> BoxedStrategy<&'static str> {
    prop_oneof![
        20 => Just(" "),
        6 => Just("\n"),
        2 => Just("\n\n"),
        1 => Just("\n\n\n  "),
        1 => Just("  \t"),
        1 => Just("\r\n"),
        1 => Just(" /* c */ "),
        1 => Just("/*x*/"),
        1 => Just(" // line\n"),
        1 => Just("\n// own line\n"),
        1 => Just("\n/// doc\n"),
        1 => Just("\n  /* two\n     lines */\n"),
        1 => Just("   // trailing   \n\n"),
    ]
    .boxed()
}

/// A program with random trivia between its tokens.
fn source() -> BoxedStrategy<String> {
    program()
        .prop_flat_map(|toks| {
            let n = toks.len();
            (
                Just(toks),
                prop::collection::vec(trivia(), n),
                prop_oneof![Just(""), Just("// header\n\n")],
            )
        })
        .prop_map(|(toks, gaps, header)| {
            let mut text = header.to_string();
            for (t, g) in toks.iter().zip(gaps) {
                text.push_str(t);
                text.push_str(g);
            }
            text
        })
        .boxed()
}

/// The properties of one text that parses.
fn round_trip(text: &str) -> Result<(), TestCaseError> {
    let (module, diags) = platc_syntax::parse(FileId(0), text);
    if !diags.is_empty() {
        prop_assert!(
            matches!(format(FileId(0), text), Err(FormatError::Syntax(_))),
            "a text with syntax errors was not refused"
        );
        return Ok(());
    }
    let once = match format(FileId(0), text) {
        Ok(s) => s,
        Err(e) => return Err(TestCaseError::fail(format!("{e:?}\n--- input\n{text}"))),
    };
    let (again, diags) = platc_syntax::parse(FileId(0), &once);
    prop_assert!(diags.is_empty(), "output does not parse: {diags:?}\n{once}");
    prop_assert_eq!(
        fingerprint(&again),
        fingerprint(&module),
        "AST changed\n--- input\n{}\n--- output\n{}",
        text,
        once
    );
    prop_assert_eq!(comment_texts(&once), comment_texts(text));
    let twice = format(FileId(0), &once).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
    prop_assert_eq!(&twice, &once, "not idempotent\n--- input\n{}", text);
    Ok(())
}

proptest! {
    #[test]
    fn parse_print_reparse(text in source()) {
        round_trip(&text)?;
    }

    /// A program with a piece cut out or a character put in: mostly syntax
    /// errors, never a panic, and when it still parses, the same properties.
    #[test]
    fn damaged_programs(text in source(), at in any::<prop::sample::Index>(), len in 0usize..8, c in select(&["{", "}", "\"", "/", "*", "(", "[", "$", "\n", "a", "-", "."][..])) {
        let cut = at.index(text.len() + 1);
        let mut s = text.clone();
        if len == 0 {
            let cut = (0..=cut).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
            s.insert_str(cut, c);
        } else {
            let start = (0..=cut).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
            let end = (start + len).min(s.len());
            let end = (end..=s.len()).find(|i| s.is_char_boundary(*i)).unwrap_or(s.len());
            s.replace_range(start..end, "");
        }
        round_trip(&s)?;
    }

    /// Arbitrary text over the language's characters.
    #[test]
    fn arbitrary_text(text in "[a-z{}\\[\\]()\"$\\\\/*=.,:|?<>!+ \n-]{0,80}") {
        prop_assert!(!matches!(format(FileId(0), &text), Err(FormatError::Internal(_))));
    }
}

/// The generator must write valid programs, or the round-trip property
/// would test almost nothing.
#[test]
fn most_generated_programs_parse() {
    let mut runner = TestRunner::deterministic();
    let strategy = source();
    let (mut ok, total) = (0, 100);
    for _ in 0..total {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        if platc_syntax::parse(FileId(0), &text).1.is_empty() {
            ok += 1;
        }
    }
    assert!(
        ok * 100 >= total * 95,
        "only {ok} of {total} generated programs parse"
    );
}
