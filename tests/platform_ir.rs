//! The checked platform that later stages consume: evaluated values,
//! secrets out of band, references, environments applied.

use std::path::Path;

use platc_driver::{check_path, InputError, Options, RealFs};
use platc_sema::Value;

fn case() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/ok-full-platform")
}

fn options(env: Option<&str>) -> Options {
    Options {
        environment: env.map(str::to_string),
        ..Options::default()
    }
}

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
fn values_are_evaluated_with_secrets_out_of_band() {
    let c = check_path(&RealFs, &case(), &options(None)).unwrap();
    let p = c.platform.expect("clean platform");
    let metadb = p.instance("metadb").unwrap();
    assert_eq!(metadb.chart.as_ref().unwrap().version, "1.2.3");
    assert!(
        matches!(get(&metadb.values, &["persistence", "size"]), Some(Value::Quantity(q)) if q.amount == 20 << 30)
    );
    assert_eq!(
        get(&metadb.values, &["auth", "existingSecret"]),
        Some(&Value::Str("pg-credentials".into()))
    );
    let web = p.instance("web").unwrap();
    assert_eq!(
        get(&web.values, &["env", "DB_HOST"]),
        Some(&Value::Str("metadb-rw.demo.svc".into()))
    );
    assert_eq!(get(&web.values, &["replicaCount"]), Some(&Value::Int(4)));
    assert_eq!(web.namespace, "apps");
    assert_eq!(web.values_files.len(), 1);
    assert_eq!(web.references.len(), 1);
    assert_eq!(web.references[0].target, "metadb");
    assert_eq!(web.references[0].flows, "SqlDatabase");
    let expose = &web.exposes[0];
    assert_eq!(
        (expose.host.as_str(), expose.port, expose.service.as_str()),
        ("web.example.com", 8080, "web-web")
    );
    assert_eq!(expose.auth.as_deref(), Some("sso"));
}

#[test]
fn an_environment_overrides_arguments_and_platform_fields() {
    let c = check_path(&RealFs, &case(), &options(Some("prod"))).unwrap();
    let p = c.platform.expect("clean platform");
    assert_eq!(p.environment.as_deref(), Some("prod"));
    assert_eq!(p.domain.as_deref(), Some("data.example.com"));
    let web = p.instance("web").unwrap();
    assert_eq!(get(&web.values, &["replicaCount"]), Some(&Value::Int(12)));
    assert_eq!(web.exposes[0].host, "web.data.example.com");
    let metadb = p.instance("metadb").unwrap();
    assert!(
        matches!(get(&metadb.values, &["persistence", "size"]), Some(Value::Quantity(q)) if q.amount == 200 << 30)
    );
}

#[test]
fn an_unknown_environment_lists_the_known_ones() {
    match check_path(&RealFs, &case(), &options(Some("staging"))) {
        Err(e @ InputError::UnknownEnvironment { .. }) => {
            assert_eq!(e.help(), "the environments are: prod")
        }
        other => panic!(
            "expected an unknown-environment error, got {:?}",
            other.map(|c| c.diagnostics)
        ),
    }
}

/// Evaluation shares what it can (a sum with an empty list is the other
/// list; a provided field is computed once for every reader and for the
/// provider's own `provides`): the values must be those computed afresh.
#[test]
fn shared_results_are_the_values_computed_afresh() {
    let source = r#"
platform "p" {}

interface Greeting {
  text: string
  lines: list<string>
}

component greeter {
  param who: string
  param extra: list<string> = []
  provides Greeting {
    text = "hello ${who}, ${join(["1", "two", "${3.5}", "${true}", "${2Gi}"], "/")}"
    lines = extra + ["a", "b"] + [] + extra
  }
}

component reader {
  param from: Greeting
  values {
    text = from.text
    lines = from.lines
    sums = [[] + [], ["x"] + [], [] + ["y"], ["x"] + ["y"]]
    joined = "${join([], "-")}|${join(["only"], "-")}|${join(["a", "b", "c"], ", ")}"
  }
}

greeter g { who = "world" extra = ["e"] }
reader r { from = g }
"#;
    let mut fs = platc_driver::MemoryFs::new();
    fs.insert("/p/main.plat", source);
    let c = check_path(&fs, Path::new("/p"), &Options::default()).unwrap();
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let p = c.platform.expect("clean platform");
    let r = p.instance("r").unwrap();
    let strs = |v: &Value| match v {
        Value::List(l) => l
            .iter()
            .map(|x| match x {
                Value::Str(s) => s.to_string(),
                Value::List(inner) => format!("{}", inner.len()),
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        get(&r.values, &["text"]),
        Some(&Value::Str("hello world, 1/two/3.5/true/2Gi".into()))
    );
    assert_eq!(
        strs(get(&r.values, &["lines"]).unwrap()),
        ["e", "a", "b", "e"]
    );
    let Some(Value::List(sums)) = get(&r.values, &["sums"]) else {
        panic!("sums")
    };
    let sums: Vec<Vec<String>> = sums.iter().map(strs).collect();
    assert_eq!(sums, [vec![], vec!["x"], vec!["y"], vec!["x", "y"]]);
    assert_eq!(
        get(&r.values, &["joined"]),
        Some(&Value::Str("|only|a, b, c".into()))
    );
    // The provider's own `provides` holds what its reader read.
    let g = p.instance("g").unwrap();
    let own = &g.provides[0].fields;
    assert_eq!(own.get("text"), get(&r.values, &["text"]));
    assert_eq!(own.get("lines"), get(&r.values, &["lines"]));
}
