use super::*;

/// Formats `text`, checking that the result is a fixed point.
fn fmt(text: &str) -> String {
    let once = match format(FileId(0), text) {
        Ok(s) => s,
        Err(e) => panic!("{e:?}\n--- input\n{text}"),
    };
    let twice = format(FileId(0), &once).unwrap_or_else(|e| panic!("{e:?}\n--- output\n{once}"));
    assert_eq!(once, twice, "not idempotent");
    once
}

/// `text` is already canonical.
fn canonical(text: &str) {
    assert_eq!(fmt(text), text);
}

#[test]
fn blocks_put_one_member_per_line_with_two_spaces() {
    assert_eq!(
        fmt("platform \"a\" { domain = \"x\"  namespace=\"n\" }"),
        "platform \"a\" {\n  domain = \"x\"\n  namespace = \"n\"\n}\n"
    );
    assert_eq!(
        fmt("postgres metadb { database = \"airflow\"  storage = 20Gi expose web { host = \"h\" } }"),
        "postgres metadb {\n  database = \"airflow\"\n  storage = 20Gi\n  expose web {\n    host = \"h\"\n  }\n}\n"
    );
}

#[test]
fn empty_blocks_close_on_their_line() {
    assert_eq!(
        fmt("cloudnative_pg cnpg {\n}\n"),
        "cloudnative_pg cnpg {}\n"
    );
    assert_eq!(fmt("interface I {\n\n}"), "interface I {}\n");
    // `provides X {}` says no more than `provides X`.
    assert_eq!(
        fmt("component c { provides A {} provides B if x { } }"),
        "component c {\n  provides A\n  provides B if x\n}\n"
    );
}

#[test]
fn top_level_items_are_separated_by_one_blank_line() {
    assert_eq!(
        fmt("platform \"a\" {}\nfoo x {}\n\n\n\nbar y {}"),
        "platform \"a\" {}\n\nfoo x {}\n\nbar y {}\n"
    );
    // Imports, secrets and waivers stay together unless a blank line parts them.
    canonical("import \"std/postgres\"\nimport \"std/minio\"\n\nimport \"./teams\"\n");
    canonical(
        "secret a from env(\"A\")\nsecret b from env(\"B\")\n\nallow p for a reason \"r\"\nallow p for b reason \"r\" until 2030-01-01\n",
    );
    // but two kinds in a row are parted.
    assert_eq!(
        fmt("import \"a\"\nsecret s from env(\"S\")"),
        "import \"a\"\n\nsecret s from env(\"S\")\n"
    );
}

#[test]
fn blank_lines_between_members_are_kept_and_collapsed() {
    assert_eq!(
        fmt("environment prod {\n\n  a.x = 1\n\n\n\n  b.y = 2\n  c.z = 3\n\n}"),
        "environment prod {\n  a.x = 1\n\n  b.y = 2\n  c.z = 3\n}\n"
    );
}

#[test]
fn spacing_is_normalised() {
    assert_eq!(
        fmt("component c{param n:int(1..64)=2 param m : list < string > ? = [ ] let x=a+b*-c let y = ! f ( a , b , ) . z [ 0 ] }"),
        "component c {\n  param n: int(1..64) = 2\n  param m: list<string>? = []\n  let x = a + b * -c\n  let y = !f(a, b).z[0]\n}\n"
    );
    assert_eq!(
        fmt("component c { param p: ( \"a\"|\"b\" ) ? = none param q: bytes( 1Gi .. ) = 1Gi param r: int(..-1) = -2 param s: string( matches \"^a$\" ) = \"a\" }"),
        "component c {\n  param p: (\"a\" | \"b\")? = none\n  param q: bytes(1Gi..) = 1Gi\n  param r: int(..-1) = -2\n  param s: string(matches \"^a$\") = \"a\"\n}\n"
    );
}

#[test]
fn trailing_whitespace_goes_and_one_final_newline_stays() {
    assert_eq!(
        fmt("foo x {   \n  a = 1   \n}   \n\n\n"),
        "foo x {\n  a = 1\n}\n"
    );
    assert_eq!(fmt("foo x {\r\n  a = 1\r\n}\r\n"), "foo x {\n  a = 1\n}\n");
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("  \n\n"), "");
}

#[test]
fn literals_keep_their_spelling() {
    canonical("foo x {\n  a = 1_000\n  b = 20Gi\n  c = 0.50\n  d = \"\\u{41}\\n\\\"q\\\" \\$x ${self.name} //not a comment\"\n}\n");
    // Interpolations are formatted like any expression.
    assert_eq!(
        fmt("foo x { a = \"${  a+b }-${f( 1,2 )}\" }"),
        "foo x {\n  a = \"${a + b}-${f(1, 2)}\"\n}\n"
    );
}

#[test]
fn component_members_keep_their_order() {
    canonical(
        "component c {\n  values {\n    a = p\n  }\n  param p: int = 1\n  chart \"c\" version \"1.0.0\" from \"https://x\"\n}\n",
    );
}

#[test]
fn comments_stay_where_they_were() {
    let text = "// header\n\n/// Doc of c.\ncomponent c { // after the brace\n  /// Doc of p.\n  param p: int = 1 // trailing\n\n  /* block */\n  let l = /* inline */ 2\n  // last in the block\n}\n// at the end\n";
    assert_eq!(
        fmt(text),
        "// header\n\n/// Doc of c.\ncomponent c { // after the brace\n  /// Doc of p.\n  param p: int = 1 // trailing\n\n  /* block */\n  let l = /* inline */ 2\n  // last in the block\n}\n// at the end\n"
    );
    // The doc comments still document what they did.
    let (m, _) = crate::parse(FileId(0), &fmt(text));
    let Some(crate::ast::Item::Component(c)) = m.items.first() else {
        panic!()
    };
    assert_eq!(c.doc.as_deref(), Some("Doc of c."));
    assert_eq!(c.params[0].doc.as_deref(), Some("Doc of p."));
}

#[test]
fn comments_are_reindented_with_their_line() {
    assert_eq!(
        fmt("foo x {\n        // deep\n    a = 1\n// shallow\n}"),
        "foo x {\n  // deep\n  a = 1\n  // shallow\n}\n"
    );
    // A multi-line block comment keeps its inner lines as written.
    assert_eq!(
        fmt("foo x {\n      /* one\n   two */\n  a = 1\n}"),
        "foo x {\n  /* one\n   two */\n  a = 1\n}\n"
    );
}

#[test]
fn a_doc_comment_parted_by_a_blank_line_stays_parted() {
    let text = "/// not a doc\n\ncomponent c {}\n";
    canonical(text);
    let (m, _) = crate::parse(FileId(0), text);
    let Some(crate::ast::Item::Component(c)) = m.items.first() else {
        panic!()
    };
    assert_eq!(c.doc, None);
}

#[test]
fn trailing_comments_of_consecutive_lines_are_aligned() {
    assert_eq!(
        fmt("import \"std/postgres\" // a\nimport \"std/minio\" // b\nimport \"std/airflow\"    // c\n"),
        "import \"std/postgres\" // a\nimport \"std/minio\"    // b\nimport \"std/airflow\"  // c\n"
    );
}

#[test]
fn comments_inside_expressions_are_kept() {
    canonical(
        "foo x {\n  a = [\n    // first\n    1,\n    2, // second\n    /* third */ 3,\n  ]\n}\n",
    );
    canonical("foo x {\n  a = b + // why\n    c\n}\n");
    assert_eq!(
        fmt("foo x {\n  a = f(1, /* two */ 2)\n  b = {}  /* empty */\n}"),
        "foo x {\n  a = f(1, /* two */ 2)\n  b = {} /* empty */\n}\n"
    );
    canonical("foo x {\n  a = [\n    // nothing yet\n  ]\n}\n");
}

#[test]
fn one_line_brackets_stay_on_one_line() {
    assert_eq!(
        fmt("foo x { a = [1,2,\n 3] b = { k = 1,\n \"k-2\" = 2 } }"),
        "foo x {\n  a = [1, 2, 3]\n  b = { k = 1, \"k-2\" = 2 }\n}\n"
    );
}

#[test]
fn brackets_broken_after_the_opening_put_one_element_per_line() {
    assert_eq!(
        fmt("foo x { a = [\n1, 2 3] b = {\n k = 1, j = [{ n = 1 }] } c = f(\n1, 2) }"),
        "foo x {\n  a = [\n    1,\n    2,\n    3,\n  ]\n  b = {\n    k = 1\n    j = [{ n = 1 }]\n  }\n  c = f(\n    1,\n    2,\n  )\n}\n"
    );
    // A one-line list of multi-line records.
    canonical("foo x {\n  a = [{\n    n = 1\n  }, {\n    n = 2\n  }]\n}\n");
}

#[test]
fn conditionals_and_comprehensions() {
    canonical("component c {\n  let a = if x { 1 } else if y { 2 } else { 3 }\n  let b = [for i, v in xs if i > 0: v]\n  let m = { for k, v in m: \"${k}-x\" = v }\n}\n");
    assert_eq!(
        fmt("component c {\n  let a = if x {\n 1 } else if y { 2 } else { 3 }\n  let b = [\nfor v in xs:\n v]\n}"),
        "component c {\n  let a = if x {\n    1\n  } else if y {\n    2\n  } else {\n    3\n  }\n  let b = [\n    for v in xs:\n      v\n  ]\n}\n"
    );
}

#[test]
fn line_breaks_at_continuation_points_are_kept() {
    canonical("component c {\n  assert a || b\n    message \"m\"\n  param e: \"a\"\n    | \"b\" = \"a\"\n  let t = a\n    && b\n    && c\n  let u =\n    long_name\n}\n");
    // A break after an operator moves before it.
    assert_eq!(
        fmt("component c { let t = a &&\n b }"),
        "component c {\n  let t = a\n    && b\n}\n"
    );
    canonical("policy p severity deny code \"P0001\" {\n  for e in exposes where e.auth == none\n    fail e \"no auth on ${e.host}\"\n    help \"add auth\"\n}\n");
    canonical("component c {\n  chart \"c\" version \"1.0.0\"\n    from \"https://charts.example.com\" timeout 10min\n}\n");
}

#[test]
fn values_and_resources() {
    assert_eq!(
        fmt("component c { values { a.\"b.c\"[0].d = 1 if x { y = 2 } else if z { y = 3 } else { } } cluster resource r \"v1\" Kind if ha ready \"status.phase\" = \"^Ready$\" { spec.x = {} } }"),
        "component c {\n  values {\n    a.\"b.c\"[0].d = 1\n    if x {\n      y = 2\n    } else if z {\n      y = 3\n    } else {}\n  }\n  cluster resource r \"v1\" Kind if ha ready \"status.phase\" = \"^Ready$\" {\n    spec.x = {}\n  }\n}\n"
    );
}

#[test]
fn other_items() {
    assert_eq!(
        fmt("import \"./lib\"   as   lib\ninterface I { a: string, b: { x: int, y: bytes }? }\nlib.comp inst {}\nenvironment prod { platform.domain = \"p\" inst.x = 1 }\nallow p for inst.web reason \"r\" until 2030-01-01"),
        "import \"./lib\" as lib\n\ninterface I {\n  a: string\n  b: { x: int, y: bytes }?\n}\n\nlib.comp inst {}\n\nenvironment prod {\n  platform.domain = \"p\"\n  inst.x = 1\n}\n\nallow p for inst.web reason \"r\" until 2030-01-01\n"
    );
}

#[test]
fn a_string_with_a_line_break_in_an_interpolation_is_kept_as_written() {
    canonical("foo x {\n  a = \"${f(\n  1)}\"\n}\n");
}

#[test]
fn syntax_errors_are_refused() {
    for text in [
        "foo x {",
        "component c { param }",
        "foo x { a = \"unterminated }",
        "/* never closed",
        "foo x { a = \"\\q\" }",
        "foo x { a = 99999999999999999999 }",
        "\u{feff}foo x {}",
    ] {
        match format(FileId(0), text) {
            Err(FormatError::Syntax(d)) => assert!(!d.is_empty()),
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn deep_nesting_within_the_limits_formats() {
    let depth = 60;
    let text = format!(
        "foo x {{ a = {}1{} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let out = fmt(&text);
    assert!(out.contains(&format!("{}1{}", "[".repeat(depth), "]".repeat(depth))));
    let chain = vec!["a"; 200].join(" + ");
    fmt(&format!("foo x {{ a = {chain} }}"));
}

#[test]
fn arbitrary_text_never_panics() {
    let base = include_str!("../all_constructs.plat");
    // Every prefix of a real file, cut at character boundaries: most are
    // syntax errors, none may panic.
    for (i, _) in base.char_indices().step_by(7) {
        let _ = format(FileId(0), &base[..i]);
    }
    for text in [
        "}",
        "\"",
        "/*",
        "//",
        "${",
        "\"${",
        "a.",
        "x y { a = -}",
        "\0",
        "é",
    ] {
        let _ = format(FileId(0), text);
    }
}

#[test]
fn fingerprints_ignore_spans_only() {
    let (a, _) = crate::parse(FileId(0), "foo x { a = 1 }");
    let (b, _) = crate::parse(FileId(0), "foo   x {\n  a = 1\n}\n");
    let (c, _) = crate::parse(FileId(0), "foo x { a = 2 }");
    assert_eq!(fingerprint(&a), fingerprint(&b));
    assert_ne!(fingerprint(&a), fingerprint(&c));
    assert!(!fingerprint(&a).contains("Span"));
}

#[test]
fn comment_texts_skip_strings() {
    assert_eq!(
        comment_texts("foo x { a = \"// no /* no */\" // yes   \n b = 1 /* also\t\n  */ }"),
        Some(vec!["// yes".to_string(), "/* also\n  */".to_string()])
    );
    assert_eq!(comment_texts("foo x {"), None);
}

/// A comment before or after any token of a sample with every construct: formatting
/// keeps it, keeps the meaning and reaches a fixed point (`fmt` checks the
/// fixed point; `format` checks the AST and the comments itself).
#[test]
fn a_comment_next_to_any_token_is_kept() {
    let text = "platform \"p\" { domain = \"d\" }\nimport \"./lib\" as lib\n\
        component c {\n  chart \"c\" version \"1.0.0\" from \"https://x\" timeout 5min\n\
        provides lib.I if a > 1 { f = [1, -2, - 3] }\n  requires R if b\n\
        param p: list<{ a: int(-1..5), b: \"x\" | \"y\" }>? = none\n\
        let l = if a { { for k, v in m: k = v } } else { [for x in xs if x: x.y[0]] }\n\
        assert !a || f(1, \"s${x + 1}\\n\") message \"m\"\n\
        cluster resource r \"v1\" K if a ready \"a\" = \"b\" { a.\"b\"[0] = (1) }\n\
        values { if a { b = 1 } else if c { d = 2 } else { e = 3 } }\n}\n\
        secret s from env(\"S\")\nenvironment e { platform.d = \"x\" i.p = 1 }\n\
        policy p severity deny code \"P0001\" { for e in exposes where e.a fail e \"m\" help \"h\" }\n\
        allow p for i.w reason \"r\" until 2030-01-01\nc i { a = 1 expose w { h = \"h\" } }\n";
    let root = PlatParser::parse(Rule::file, text).unwrap().next().unwrap();
    let strings: Vec<(usize, usize)> = root
        .clone()
        .into_inner()
        .flatten()
        .filter(|p| p.as_rule() == Rule::string)
        .map(|p| (p.as_span().start(), p.as_span().end()))
        .collect();
    let mut ends: Vec<usize> = root
        .into_inner()
        .flatten()
        .filter(|p| p.clone().into_inner().next().is_none())
        .flat_map(|p| [p.as_span().start(), p.as_span().end()])
        .filter(|e| !strings.iter().any(|(s, t)| s < e && e < t))
        .collect();
    ends.sort_unstable();
    ends.dedup();
    assert!(ends.len() > 200, "{}", ends.len());
    let kinds = [" /* c */ ", " // c\n", "\n// own\n", "\n/// doc\n", "/*x*/"];
    for (i, at) in ends.iter().enumerate() {
        let input = format!("{}{}{}", &text[..*at], kinds[i % kinds.len()], &text[*at..]);
        fmt(&input);
    }
}
