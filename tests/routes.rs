//! Routes (spec 6.3.10): the instances the platform's `ingress` names make
//! an Ingress, a Middleware and a Certificate per endpoint, from the
//! stdlib's Traefik and cert-manager issuer, following each environment's
//! overrides of the expose blocks. The fixture is
//! `tests/ui/ok-routes-served` (its diagnostics snapshot says it is clean);
//! the quickstart's objects are validated strictly by tests/validators.rs
//! and tests/real_charts.rs.

use std::path::{Path, PathBuf};

use platc_driver::{build_path, Options, RealFs};
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/ok-routes-served")
}

/// Every object platc writes under `kubernetes/resources/`, parsed.
fn objects(env: Option<&str>) -> Vec<Value> {
    let options = Options {
        environment: env.map(str::to_string),
        ..Options::default()
    };
    let b = build_path(&RealFs, &fixture(), &options).unwrap();
    assert!(
        !b.compilation.has_errors(),
        "{:?}",
        b.compilation.diagnostics
    );
    let mut out = Vec::new();
    for f in b
        .files
        .iter()
        .filter(|f| f.path.starts_with("kubernetes/resources/"))
    {
        if f.path.ends_with("kustomization.yaml") {
            continue;
        }
        for doc in serde_yaml_ng::Deserializer::from_str(&f.contents) {
            out.push(serde::Deserialize::deserialize(doc).unwrap());
        }
    }
    out
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

#[test]
fn each_endpoint_gets_its_ingress_auth_and_certificate() {
    let objs = objects(None);
    let ingress = find(&objs, "Ingress", "storefront-ui").expect("an Ingress for storefront.ui");
    let annotations = &ingress["metadata"]["annotations"];
    assert_eq!(ingress["metadata"]["namespace"], "shop");
    assert_eq!(
        ingress["metadata"]["labels"]["app.kubernetes.io/instance"],
        "edge"
    );
    assert_eq!(ingress["spec"]["ingressClassName"], "edge");
    assert_eq!(
        annotations["traefik.ingress.kubernetes.io/router.middlewares"],
        "shop-storefront-ui-sso@kubernetescrd"
    );
    assert_eq!(
        annotations["traefik.ingress.kubernetes.io/router.entrypoints"],
        "websecure"
    );
    assert_eq!(
        annotations["traefik.ingress.kubernetes.io/router.observability.accesslogs"],
        "true"
    );
    let rule = &ingress["spec"]["rules"][0];
    assert_eq!(rule["host"], "www.shop.example.com");
    assert_eq!(
        rule["http"]["paths"][0]["backend"]["service"]["name"],
        "storefront"
    );
    assert_eq!(
        rule["http"]["paths"][0]["backend"]["service"]["port"]["number"],
        8080
    );
    assert_eq!(ingress["spec"]["tls"][0]["secretName"], "storefront-ui-tls");

    let sso = find(&objs, "Middleware", "storefront-ui-sso").expect("forward auth");
    assert_eq!(
        sso["spec"]["forwardAuth"]["address"],
        "http://sso.shop.svc/"
    );

    let cert = find(&objs, "Certificate", "storefront-ui").expect("a certificate");
    assert_eq!(cert["spec"]["secretName"], "storefront-ui-tls");
    assert_eq!(cert["spec"]["dnsNames"][0], "www.shop.example.com");
    assert_eq!(cert["spec"]["issuerRef"]["name"], "letsencrypt");

    // Basic authentication, from the users' Secret; no access log.
    let basic = find(&objs, "Middleware", "backoffice-ui-basic").expect("basic auth");
    assert_eq!(basic["spec"]["basicAuth"]["secret"], "shop-basic-users");
    let back = find(&objs, "Ingress", "backoffice-ui").unwrap();
    assert_eq!(
        back["metadata"]["annotations"]
            ["traefik.ingress.kubernetes.io/router.observability.accesslogs"],
        "false"
    );
    assert!(find(&objs, "Middleware", "backoffice-ui-sso").is_none());
    // The sign-in endpoint itself: routed, not behind sign-in.
    let signin = find(&objs, "Ingress", "sso-web").unwrap();
    assert!(signin["metadata"]["annotations"]
        .get("traefik.ingress.kubernetes.io/router.middlewares")
        .is_none());
}

#[test]
fn routes_follow_the_environment() {
    let objs = objects(Some("dev"));
    let ingress = find(&objs, "Ingress", "storefront-ui").unwrap();
    assert_eq!(
        ingress["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.entrypoints"],
        "web"
    );
    assert!(ingress["spec"].get("tls").is_none());
    assert!(
        find(&objs, "Certificate", "storefront-ui").is_none(),
        "no certificate without TLS"
    );
    assert!(find(&objs, "Certificate", "backoffice-ui").is_some());
}

#[test]
fn the_serving_instances_observe_what_they_serve() {
    let c = platc_driver::check_path(&RealFs, &fixture(), &Options::default()).unwrap();
    let p = c.platform.expect("clean");
    let edge = p.instances.iter().find(|i| i.name == "edge").unwrap();
    let mut seen: Vec<&str> = edge.observes.iter().map(|o| o.target.as_str()).collect();
    seen.sort();
    assert_eq!(seen, ["backoffice", "sso", "storefront"]);
    assert!(edge.observes.iter().all(|o| o.interface == "route"));
    assert_eq!(p.ingress, ["edge", "letsencrypt"]);
}
