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
