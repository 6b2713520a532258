//! Values trees built on skeletons (the literal statements of a values
//! block placed once per component, see `platc_sema::eval::skeleton`) are
//! the trees the statements make in their written order, with the same
//! diagnostics: every ui fixture and example (in every environment) is
//! built both ways and must give identical diagnostics and files; small
//! programs where a skeleton gets in a statement's way, or where the
//! budget runs out at any point, give the same answers both ways.
//!
//! In its own binary: it sets process-wide knobs
//! (`platc_sema::set_value_skeletons`, `platc_sema::set_evaluation_budget`);
//! its tests take turns.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use platc_driver::{build_path, check_source, Compilation, Options, RealFs};
use platc_sema::Value;

/// Held by each test: the knobs are the process's.
static TURN: Mutex<()> = Mutex::new(());

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["ui", "../examples"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            if e.path().join("main.plat").is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn options(env: Option<&str>) -> Options {
    Options {
        environment: env.map(str::to_string),
        today: platc_syntax::ast::Date {
            year: 2026,
            month: 6,
            day: 1,
        },
        ..Options::default()
    }
}

/// The diagnostics (both forms) and the files of one build.
fn build(case: &Path, env: Option<&str>) -> String {
    let Ok(b) = build_path(&RealFs, case, &options(env)) else {
        return "unreadable".to_string();
    };
    let c = &b.compilation;
    let mut out = shown(c);
    for f in &b.files {
        out.push_str(&format!("\n----- {}\n{}", f.path, f.contents));
    }
    out
}

/// The diagnostics of `c` in both forms, and its platform's values.
fn shown(c: &Compilation) -> String {
    let mut out = platc_render::render_human(&c.sources, &c.diagnostics, false);
    out.push_str(&platc_render::render_json(&c.sources, &c.diagnostics));
    if let Some(p) = &c.platform {
        for inst in &p.instances {
            out.push_str(&format!("\n{}: {:?}", inst.name, inst.values));
            for r in &inst.resources {
                out.push_str(&format!("\n{}.{}: {:?}", inst.name, r.name, r.body));
            }
        }
    }
    out
}

fn environments(case: &Path) -> Vec<Option<String>> {
    let envs = platc_driver::check_path(&RealFs, case, &Options::default())
        .ok()
        .and_then(|c| c.environments)
        .unwrap_or_default();
    std::iter::once(None)
        .chain(envs.into_iter().map(Some))
        .collect()
}

/// `f` with skeletons and without: both results.
fn both<T>(mut f: impl FnMut() -> T) -> (T, T) {
    platc_sema::set_value_skeletons(true);
    let on = f();
    platc_sema::set_value_skeletons(false);
    let off = f();
    platc_sema::set_value_skeletons(true);
    (on, off)
}

fn first_difference(a: &str, b: &str) -> String {
    let line = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or(0);
    format!(
        "at line {}:\nskeletons: {:?}\nwritten:   {:?}",
        line + 1,
        a.lines().nth(line),
        b.lines().nth(line)
    )
}

#[test]
fn skeletons_change_no_fixture_or_example() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let mut compared = 0;
    for case in cases() {
        for env in environments(&case) {
            let (on, off) = both(|| build(&case, env.as_deref()));
            assert!(
                on == off,
                "{} (environment {env:?}) {}",
                case.display(),
                first_difference(&on, &off)
            );
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} builds compared");
}

/// Literal statements between computed and indexed ones, in two blocks
/// and a resource; `a.b.c` is literal and lands inside the map that the
/// computed key `a."${k}"` sets before it.
const TANGLED: &str = r#"
platform "p" {}

component c {
  param k: string = "b"
  param n: int = 2
  values {
    a."${k}" = { z = 1 }
    a.b.c = 1
    first = "one"
    list[0] = "x"
    list[1] = n
    if n > 1 {
      deep.on = true
    }
    deep.fixed = [1, 2, { three = 3 }]
  }
  values {
    later."${k}" = n
    later.fixed = 2Gi
    none_at_all = none
  }
  resource config "v1" ConfigMap {
    metadata.labels.team = "data"
    data."${k}" = "computed"
    data.fixed = "literal"
  }
}

c one {}
c two { k = "x" n = 1 }
c three { k = "y" }
"#;

fn get<'v>(
    v: &'v std::collections::BTreeMap<platc_sema::value::Str, Value>,
    path: &[&str],
) -> Option<&'v Value> {
    let (first, rest) = path.split_first()?;
    let mut cur = v.get(*first)?;
    for k in rest {
        let Value::Map(m) = cur else { return None };
        cur = m.get(k)?;
    }
    Some(cur)
}

#[test]
fn a_statement_the_skeleton_is_in_the_way_of_is_placed_in_written_order() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (on, off) = both(|| check_source("main.plat", TANGLED, &Options::default()));
    assert!(on.diagnostics.is_empty(), "{}", shown(&on));
    assert_eq!(shown(&on), shown(&off));
    let p = on.platform.as_ref().unwrap();
    let one = &p.instance("one").unwrap().values;
    // The literal key went into the map that the computed one set first.
    assert_eq!(get(one, &["a", "b", "c"]), Some(&Value::Int(1)));
    assert_eq!(get(one, &["a", "b", "z"]), Some(&Value::Int(1)));
    assert_eq!(get(one, &["deep", "on"]), Some(&Value::Bool(true)));
    let two = &p.instance("two").unwrap().values;
    assert_eq!(get(two, &["a", "x", "z"]), Some(&Value::Int(1)));
    assert_eq!(get(two, &["a", "b", "c"]), Some(&Value::Int(1)));
    assert_eq!(get(two, &["deep", "on"]), None);
    // The literal part is one tree for the instances built on the
    // skeleton; `one`, whose `a.b.c` the skeleton got in the way of, was
    // built in written order.
    let fixed = |name: &str| match get(&p.instance(name).unwrap().values, &["deep", "fixed"]) {
        Some(Value::List(l)) => l.clone(),
        other => panic!("{name}: deep.fixed is {other:?}"),
    };
    assert!(std::sync::Arc::ptr_eq(&fixed("two"), &fixed("three")));
    assert!(!std::sync::Arc::ptr_eq(&fixed("one"), &fixed("two")));
}

#[test]
fn a_clash_with_a_literal_statement_is_reported_as_written() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    // The computed key names the literal one's place, after it and
    // before it.
    for order in [
        "a.b = 1\n    a.\"${k}\" = 2",
        "a.\"${k}\" = 2\n    a.b = 1",
        "a.b.c = 1\n    a.\"${k}\" = 2",
        "list[0] = 1\n    list.x = 2",
    ] {
        let text = format!(
            "platform \"p\" {{}}\ncomponent c {{\n  param k: string = \"b\"\n  values {{\n    {order}\n  }}\n}}\nc one {{}}\n"
        );
        let (on, off) = both(|| check_source("main.plat", &text, &Options::default()));
        assert!(
            on.diagnostics.iter().any(|d| d.is_error()),
            "{order}: {}",
            shown(&on)
        );
        assert_eq!(shown(&on), shown(&off), "{order}");
    }
}

#[test]
fn the_budget_runs_out_where_it_always_did() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    // With every budget up to what the program needs, the evaluation
    // stops at the same place both ways: within literal statements,
    // between them, and in the computed ones.
    let mut stopped_in_literal = 0;
    let mut enough = None;
    for budget in 1..=400 {
        platc_sema::set_evaluation_budget(budget);
        let (on, off) = both(|| check_source("main.plat", TANGLED, &Options::default()));
        let (a, b) = (shown(&on), shown(&off));
        assert!(a == b, "budget {budget}: {}", first_difference(&a, &b));
        match on.diagnostics.first() {
            None => {
                enough = Some(budget);
                break;
            }
            Some(d) => {
                assert_eq!(d.code, "E0322", "budget {budget}: {a}");
                let at = &TANGLED[d.primary.span.start as usize..d.primary.span.end as usize];
                if at.starts_with("[1, 2") || at.starts_with("deep.fixed") {
                    stopped_in_literal += 1;
                }
            }
        }
    }
    platc_sema::set_evaluation_budget(0);
    assert!(enough.is_some(), "400 is not enough for the program");
    assert!(
        stopped_in_literal > 0,
        "no budget ran out in a literal statement"
    );
}
