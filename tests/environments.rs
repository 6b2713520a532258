//! Environments that change the platform's shape (language v0.2): what
//! each environment's checked platform holds.

use std::path::Path;

use platc_driver::{check_path, Options, Platform, RealFs};

fn platform(env: Option<&str>) -> Platform {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/ok-v02-environments");
    let options = Options {
        environment: env.map(str::to_string),
        ..Options::default()
    };
    let c = check_path(&RealFs, &path, &options).unwrap();
    let rendered = platc_render::render_human(&c.sources, &c.diagnostics, false);
    assert!(!c.has_errors(), "{rendered}");
    c.platform.expect("a checked platform")
}

fn names(p: &Platform) -> Vec<&str> {
    p.instances.iter().map(|i| i.name.as_str()).collect()
}

#[test]
fn an_environment_switches_an_instance_off() {
    assert_eq!(names(&platform(None)), ["idp", "gate", "pg"]);
    assert_eq!(names(&platform(Some("dev"))), ["gate", "pg"]);
    assert_eq!(names(&platform(Some("prod"))), ["idp", "gate", "pg"]);
}

#[test]
fn expose_fields_follow_the_environment() {
    let web = |p: &Platform| p.instance("gate").unwrap().exposes[0].clone();
    let base = web(&platform(None));
    assert_eq!(
        (base.auth.as_deref(), base.public, base.audit),
        (Some("sso"), false, false)
    );
    let dev = web(&platform(Some("dev")));
    assert_eq!((dev.auth.as_deref(), dev.public), (None, false));
    let prod = web(&platform(Some("prod")));
    assert_eq!(
        (prod.auth.as_deref(), prod.public, prod.audit),
        (Some("sso"), true, true)
    );
}

#[test]
fn conditional_interfaces_and_the_environment_name() {
    let base = platform(None);
    let gate = base.instance("gate").unwrap();
    assert!(gate.requires.is_empty());
    assert_eq!(
        gate.values.get("replicas"),
        Some(&platc_sema::Value::Int(1))
    );
    assert_eq!(base.instance("pg").unwrap().provides.len(), 1);

    let dev = platform(Some("dev"));
    assert!(dev.instance("pg").unwrap().provides.is_empty());
    assert!(!dev.instance("gate").unwrap().values.contains_key("issuer"));

    let prod = platform(Some("prod"));
    let gate = prod.instance("gate").unwrap();
    assert_eq!(gate.requires, ["MetricsStore"]);
    assert_eq!(
        gate.values.get("replicas"),
        Some(&platc_sema::Value::Int(3))
    );
}
