//! A whole emit of a small platform compiled by the real compiler: every
//! file is snapshotted, every Terraform file parses and uses only arguments
//! the pinned providers have, every YAML file parses, and the output is
//! deterministic.

use std::collections::BTreeSet;
use std::path::Path;

use platc_emit::{emit, helm, EmitInput, OutputFile};
use serde_json::{json, Value};

const SRC: &str = r#"
platform "shop" {
  domain = "shop.example.com"
}

interface SqlDatabase {
  host: string
  port: int
  connection_secret: string
}

interface ObjectStore {
  endpoint: string
  region: string?
  buckets: list<string>
  credentials: secret
}

/// A database with a chart.
component db {
  chart "postgresql" version "16.4.1" from "oci://registry-1.docker.io/bitnamicharts"
  param storage: bytes = 8Gi
  param password: secret
  provides SqlDatabase {
    host = "${self.name}-postgresql.${self.namespace}.svc"
    port = 5432
    connection_secret = password.secret_name
  }
  values {
    primary.persistence.size = storage
    auth.existingSecret = password.secret_name
    auth."admin.password" = password
    "grafana.ini".auth."disable,login" = true
  }
}

/// An external object store: no chart.
component store {
  param root: secret
  param buckets: list<string> = []
  param catalog: SqlDatabase? = none
  provides ObjectStore {
    endpoint = "https://s3.example.com"
    region = none
    buckets = buckets
    credentials = root
  }
  expose api { port = 443 service = "s3-gateway" }
}

component web {
  chart "web" version "1.0.0" from "https://charts.example.com/stable"
  param database: SqlDatabase
  param store: ObjectStore
  param greeting: string = "yes"
  param token: secret
  expose web { port = 8080 service = "${self.name}-web" }
  expose admin { port = 9090 }
  values {
    env.DB_HOST = database.host
    env.GREETING = greeting
    config.country = "NO"
    config.version = "1.10"
    config.motd = "line one\nline two"
    config.template = "\${not_interpolated} and %{ if x }"
    config.ratio = 0.5
    config.cpu = 500m
    config.timeout = 30s
    config.buckets = store.buckets
    extraEnv = [{ name = "A", value = "on" }, { name = "B", value = "0o17" }]
    apiToken = token
    podLabels."app.kubernetes.io/tier" = "web"
  }
}

/// A job that reaches the database only through the store (no chart).
component job {
  chart "job" version "0.1.0" from "https://charts.example.com/stable"
  param store: ObjectStore
  values {
    endpoint = store.endpoint
  }
}

secret db_password from env("DB_PASSWORD")
secret smtp_password from env("SMTP_PASSWORD")
secret lake_root from kubernetes_secret("lake-root", "rootPassword")
secret api_token from external_secret("vault", "shop/web", "token")

db metadb {
  storage = 20Gi
  password = db_password
}

store lake {
  root = lake_root
  catalog = metadb
  buckets = ["raw", "curated"]
}

job nightly {
  store = lake
}

web shop_web {
  namespace = "web"
  database = metadb
  store = lake
  token = api_token
  values_files = ["values/web.yaml"]
  expose web {
    host = "shop.${platform.domain}"
    auth = "sso"
    audit = true
    public = true
  }
  expose admin {
    host = "admin.shop.example.com"
    path = "/admin/\${platform.domain}"
    tls = false
  }
}

allow ingress_authenticated for shop_web.admin reason "reached only from the office network"
"#;

/// The user's values file of `shop_web`, as the driver would merge it.
fn user_values() -> Value {
    json!({
        "config": {"country": null, "extra": "from the user"},
        "replicaCount": 3,
        "apiToken": "must never reach a file",
    })
}

struct Emitted {
    platform: platc_sema::Platform,
    files: Vec<OutputFile>,
}

fn build() -> Emitted {
    let c = platc_driver::check_source("main.plat", SRC, &platc_driver::Options::default());
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    assert!(errors.is_empty(), "the platform must check: {errors:#?}");
    let platform = c.platform.expect("a checked platform");
    let n = platform.instances.len();
    let index = |name: &str| {
        platform
            .instances
            .iter()
            .position(|i| i.name == name)
            .unwrap()
    };
    let dependencies: Vec<Vec<usize>> = platform
        .instances
        .iter()
        .map(|inst| {
            let set: BTreeSet<usize> = inst.references.iter().map(|r| index(&r.target)).collect();
            set.into_iter().collect()
        })
        .collect();
    // Dependencies first, stable: repeatedly take the first instance whose
    // dependencies are all placed.
    let mut order = Vec::new();
    while order.len() < n {
        let next = (0..n)
            .find(|i| !order.contains(i) && dependencies[*i].iter().all(|d| order.contains(d)))
            .expect("acyclic");
        order.push(next);
    }
    let values: Vec<Option<Value>> = platform
        .instances
        .iter()
        .map(|inst| {
            (inst.name == "shop_web").then(|| {
                let mut v = helm::generated_values(inst);
                helm::merge(&mut v, user_values());
                v
            })
        })
        .collect();
    let files = emit(&EmitInput {
        platform: &platform,
        order: &order,
        dependencies: &dependencies,
        values: &values,
    });
    Emitted { platform, files }
}

fn file<'a>(e: &'a Emitted, path: &str) -> &'a str {
    &e.files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no file {path}"))
        .contents
}

#[test]
fn every_file_matches_its_snapshot() {
    let e = build();
    let paths: Vec<&str> = e.files.iter().map(|f| f.path.as_str()).collect();
    insta::assert_snapshot!("tree", paths.join("\n"));
    for f in &e.files {
        let name = f.path.replace('/', "__");
        insta::assert_snapshot!(name, &f.contents);
    }
}

#[test]
fn emit_is_deterministic_and_sorted() {
    let a = build().files;
    let b = build().files;
    assert_eq!(a, b);
    let mut sorted = a.clone();
    sorted.sort_by(|x, y| x.path.cmp(&y.path));
    assert_eq!(a, sorted);
    for f in &a {
        assert!(
            !f.path.starts_with('/') && !f.path.contains(".."),
            "{}",
            f.path
        );
        assert!(
            !f.contents.contains("/snippet"),
            "{} holds an absolute path",
            f.path
        );
    }
}

#[test]
fn helm_values_files_hold_the_merged_values_without_secrets() {
    let e = build();
    let text = file(&e, "helm/shop-web.values.yaml");
    assert!(text.starts_with("# Helm values for release shop-web (chart web 1.0.0),\n"));
    assert!(!text.contains("must never reach a file"));
    let parsed: Value = serde_yaml_ng::from_str(text).unwrap();
    let inst = e.platform.instance("shop_web").unwrap();
    let mut want = helm::generated_values(inst);
    helm::merge(&mut want, user_values());
    want.as_object_mut().unwrap().remove("apiToken");
    assert_eq!(parsed, want);
    assert_eq!(
        parsed["config"]["country"],
        Value::Null,
        "a null from the user stays for Helm"
    );
    assert_eq!(parsed["config"]["version"], json!("1.10"));
    assert_eq!(parsed["extraEnv"][0]["value"], json!("on"));

    let db: Value = serde_yaml_ng::from_str(file(&e, "helm/metadb.values.yaml")).unwrap();
    assert_eq!(db["primary"]["persistence"]["size"], json!("20Gi"));
    assert!(db["auth"].get("admin.password").is_none());
}

#[test]
fn every_yaml_file_parses() {
    let e = build();
    for f in e.files.iter().filter(|f| f.path.ends_with(".yaml")) {
        for doc in f.contents.split("\n---\n") {
            let v = serde_yaml_ng::from_str::<Value>(doc);
            assert!(v.is_ok(), "{}: {:?}", f.path, v.err());
        }
    }
}

#[test]
fn kustomization_lists_every_manifest() {
    let e = build();
    let k: Value = serde_yaml_ng::from_str(file(&e, "kubernetes/kustomization.yaml")).unwrap();
    let listed: Vec<&str> = k["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let present: Vec<String> = e
        .files
        .iter()
        .filter_map(|f| f.path.strip_prefix("kubernetes/"))
        .filter(|p| *p != "kustomization.yaml")
        .map(str::to_string)
        .collect();
    assert_eq!(listed, present);
}

fn schemas() -> Option<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/terraform-docs/provider-schemas.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("provider-schemas.json parses")),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{} is missing", path.display())
        }
        Err(_) => {
            // Past the harness's capture: the reason shows even on a pass.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("skipped: {} not found\n", path.display()).as_bytes(),
            );
            None
        }
    }
}

/// The argument names of a block in provider-schemas.json.
fn arguments(block: &Value) -> BTreeSet<String> {
    ["required", "optional"]
        .iter()
        .filter_map(|k| block.get(*k).and_then(Value::as_object))
        .flat_map(|m| m.keys().cloned())
        .collect()
}

/// Arguments Terraform itself takes on every resource and module block.
const META_ARGUMENTS: &[&str] = &["count", "for_each", "depends_on", "lifecycle", "provider"];

fn assert_known(what: &str, used: &serde_json::Map<String, Value>, known: &BTreeSet<String>) {
    for k in used
        .keys()
        .filter(|k| !META_ARGUMENTS.contains(&k.as_str()))
    {
        assert!(
            known.contains(k),
            "{what}: `{k}` is not an argument of the pinned provider"
        );
    }
}

fn assert_required(what: &str, used: &serde_json::Map<String, Value>, block: &Value) {
    if let Some(req) = block.get("required").and_then(Value::as_object) {
        for k in req.keys() {
            assert!(used.contains_key(k), "{what}: required `{k}` is missing");
        }
    }
}

#[test]
fn terraform_parses_and_uses_only_pinned_provider_arguments() {
    let e = build();
    let tf: Vec<(&str, Value)> = e
        .files
        .iter()
        .filter(|f| f.path.ends_with(".tf.json"))
        .map(|f| (f.path.as_str(), serde_json::from_str(&f.contents).unwrap()))
        .collect();
    assert_eq!(tf.len(), 6, "versions, main, outputs and three modules");
    let Some(schemas) = schemas() else { return };
    let checked = check_provider_arguments(&tf, &schemas);
    assert_eq!(
        checked.into_iter().collect::<Vec<_>>(),
        [
            "helm_release",
            "kubernetes_manifest",
            "provider.helm",
            "provider.kubernetes"
        ]
    );
}

#[test]
fn terraform_wires_modules_secrets_and_outputs() {
    let e = build();
    let main: Value = serde_json::from_str(file(&e, "terraform/main.tf.json")).unwrap();
    let web = &main["module"]["shop_web"];
    assert_eq!(web["source"], "./modules/web");
    assert_eq!(web["release_name"], "shop-web");
    assert_eq!(web["namespace"], "web");
    // smtp_password has no known user: its Secret is in every namespace,
    // and every release waits for it.
    assert_eq!(
        web["depends_on"],
        json!(["module.metadb", "kubernetes_manifest.smtp_password-web"])
    );
    assert_eq!(
        web["sensitive_values"],
        json!({"apiToken": "${var.secret_api_token}"})
    );
    assert_eq!(
        main["module"]["metadb"]["depends_on"],
        json!([
            "kubernetes_manifest.db_password-shop",
            "kubernetes_manifest.smtp_password-shop"
        ])
    );
    // Through `lake`, which has no chart and so no module.
    assert_eq!(
        main["module"]["nightly"]["depends_on"],
        json!(["module.metadb", "kubernetes_manifest.smtp_password-shop"])
    );
    let secret = &main["resource"]["kubernetes_manifest"]["db_password-shop"]["manifest"];
    assert_eq!(secret["metadata"]["name"], "shop-db-password");
    assert_eq!(
        secret["data"]["value"],
        "${base64encode(var.secret_db_password)}"
    );
    assert_eq!(main["variable"]["secret_db_password"]["sensitive"], true);

    // The set path escapes a `.` inside a key.
    assert_eq!(
        main["module"]["metadb"]["sensitive_values"],
        json!({r"auth.admin\.password": "${var.secret_db_password}"})
    );
    // One module per component, whatever the number of instances.
    let module: Value =
        serde_json::from_str(file(&e, "terraform/modules/db/main.tf.json")).unwrap();
    let release = &module["resource"]["helm_release"]["this"];
    assert!(release["set_sensitive"]
        .as_str()
        .unwrap()
        .contains("var.sensitive_values"));
    assert_eq!(release["version"], "16.4.1");

    let outputs: Value = serde_json::from_str(file(&e, "terraform/outputs.tf.json")).unwrap();
    let out = &outputs["output"];
    assert_eq!(
        out["endpoints"]["value"]["shop_web.web"],
        "https://shop.shop.example.com/"
    );
    // A literal `${` from the user is escaped for Terraform.
    assert_eq!(
        out["endpoints"]["value"]["shop_web.admin"],
        "http://admin.shop.example.com/admin/$${platform.domain}"
    );
    assert_eq!(
        out["services"]["value"]["shop_web.admin"],
        "shop-web.web.svc.cluster.local:9090"
    );
    assert_eq!(
        out["provided"]["value"]["lake"]["buckets"],
        json!(["raw", "curated"])
    );
    assert_eq!(out["secret_names"]["value"]["lake_root"], "lake-root");
    for o in out.as_object().unwrap().values() {
        assert!(o.get("sensitive").is_none());
    }
}

/// Checks every provider configuration and resource of `tf` against the
/// pinned provider schemas; returns what was checked.
fn check_provider_arguments(tf: &[(&str, Value)], schemas: &Value) -> BTreeSet<String> {
    let helm_release = &schemas["helm"]["helm_release"];
    let manifest = &schemas["kubernetes"]["kubernetes_manifest"];
    let mut checked = BTreeSet::new();
    for (path, v) in tf {
        if let Some(providers) = v.get("provider") {
            for (name, config) in providers.as_object().unwrap() {
                let p = &schemas[name.as_str()]["provider"];
                let mut known: BTreeSet<String> = BTreeSet::new();
                for key in ["argument_names", "nested_attributes"] {
                    known.extend(
                        p[key]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|s| s.as_str().unwrap().to_string()),
                    );
                }
                let config = config.as_object().unwrap();
                assert_known(&format!("{path}: provider {name}"), config, &known);
                for nested in p["nested_attributes"].as_array().unwrap() {
                    if let Some(inner) = config.get(nested.as_str().unwrap()) {
                        let args: BTreeSet<String> = p["argument_names"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|s| s.as_str().unwrap().to_string())
                            .collect();
                        assert_known(
                            &format!("{path}: provider {name}.{nested}"),
                            inner.as_object().unwrap(),
                            &args,
                        );
                    }
                }
                checked.insert(format!("provider.{name}"));
            }
        }
        let Some(resources) = v.get("resource").and_then(Value::as_object) else {
            continue;
        };
        for (kind, instances) in resources {
            for (name, body) in instances.as_object().unwrap() {
                let body = body.as_object().unwrap();
                let what = format!("{path}: {kind}.{name}");
                match kind.as_str() {
                    "helm_release" => {
                        assert_known(&what, body, &arguments(&helm_release["."]));
                        assert_required(&what, body, &helm_release["."]);
                        for set in body
                            .get("set_sensitive")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            let set = set.as_object().unwrap();
                            assert_known(&what, set, &arguments(&helm_release["set_sensitive"]));
                            assert_required(&what, set, &helm_release["set_sensitive"]);
                        }
                    }
                    "kubernetes_manifest" => {
                        assert_known(&what, body, &arguments(&manifest["."]));
                        assert_required(&what, body, &manifest["."]);
                        for block in ["timeouts", "wait"] {
                            for b in body
                                .get(block)
                                .and_then(Value::as_array)
                                .into_iter()
                                .flatten()
                            {
                                assert_known(
                                    &format!("{what}.{block}"),
                                    b.as_object().unwrap(),
                                    &arguments(&manifest[block]),
                                );
                            }
                        }
                    }
                    other => panic!("{what}: resource type {other} is not in the pinned set"),
                }
                checked.insert(kind.clone());
            }
        }
    }
    checked
}

/// The same check on the output of every example project.
#[test]
fn examples_use_only_pinned_provider_arguments() {
    let Some(schemas) = schemas() else { return };
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    // Not the examples that fail on purpose (`expect-errors`).
    let mut dirs: Vec<_> = std::fs::read_dir(examples)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| !p.join("expect-errors").exists())
        .collect();
    dirs.sort();
    // And the fixtures that emit Kubernetes objects and External Secrets.
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/ui");
    dirs.push(ui.join("ok-emit-resources"));
    dirs.push(ui.join("ok-emit-template-secrets"));
    let mut seen = 0;
    let mut kinds = BTreeSet::new();
    for dir in dirs.into_iter().filter(|d| d.join("main.plat").is_file()) {
        let build = platc_driver::build_path(
            &platc_driver::RealFs,
            &dir,
            &platc_driver::Options::default(),
        )
        .unwrap();
        assert!(
            !build.compilation.has_errors(),
            "{} must build",
            dir.display()
        );
        let tf: Vec<(&str, Value)> = build
            .files
            .iter()
            .filter(|f| f.path.ends_with(".tf.json"))
            .map(|f| (f.path.as_str(), serde_json::from_str(&f.contents).unwrap()))
            .collect();
        let checked = check_provider_arguments(&tf, &schemas);
        assert!(
            checked.contains("helm_release"),
            "{}: no helm_release checked",
            dir.display()
        );
        kinds.extend(checked);
        seen += 1;
    }
    assert!(seen > 2);
    assert!(kinds.contains("kubernetes_manifest"), "{kinds:?}");
}

/// The objects a component declares are applied by its module, after its
/// chart; a component with resources and no chart has a module of its own;
/// the root module passes each instance its objects and orders modules by
/// the graph.
#[test]
fn resources_live_in_their_component_module() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/ui/ok-emit-resources");
    let build = platc_driver::build_path(
        &platc_driver::RealFs,
        &dir,
        &platc_driver::Options::default(),
    )
    .unwrap();
    assert!(!build.compilation.has_errors());
    let tf = |path: &str| -> Value {
        let f = build
            .files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path}"));
        serde_json::from_str(&f.contents).unwrap()
    };
    // The operator: a chart, no resources.
    let operator = tf("terraform/modules/clickhouse_operator/main.tf.json");
    assert!(operator["resource"].get("kubernetes_manifest").is_none());
    assert!(operator["terraform"]["required_providers"]
        .get("kubernetes")
        .is_none());
    // ClickHouse: objects only, applied from what each instance passes.
    let ch = tf("terraform/modules/clickhouse/main.tf.json");
    assert!(ch["resource"].get("helm_release").is_none());
    let cluster = &ch["resource"]["kubernetes_manifest"]["cluster"];
    assert_eq!(
        cluster["count"],
        r#"${contains(keys(var.objects), "cluster") ? 1 : 0}"#
    );
    assert_eq!(
        cluster["manifest"],
        r#"${yamldecode(var.objects["cluster"])}"#
    );
    assert!(cluster.get("depends_on").is_none());
    // The fixture says when a ClickHouse cluster is ready.
    assert_eq!(
        cluster["wait"],
        json!([{"fields": {"status.status": "^Completed$"}}])
    );
    assert!(ch["resource"]["kubernetes_manifest"]["monitor"]
        .get("wait")
        .is_none());
    assert!(ch["terraform"]["required_providers"].get("helm").is_none());
    let root = tf("terraform/main.tf.json");
    let events = &root["module"]["events"];
    assert_eq!(events["source"], "./modules/clickhouse");
    assert_eq!(events["depends_on"], json!(["module.chop"]));
    let chi: Value = serde_json::from_str(events["objects"]["cluster"].as_str().unwrap()).unwrap();
    assert_eq!(chi["kind"], "ClickHouseInstallation");
    assert_eq!(chi["metadata"]["namespace"], "lab");
    assert!(events["objects"].get("monitor").is_some());
    // `scratch` switches its ServiceMonitor off.
    assert!(root["module"]["scratch"]["objects"]
        .get("monitor")
        .is_none());
    // A module of a chart and objects applies them after the chart.
    assert!(root["resource"].get("kubernetes_manifest").is_none_or(|m| m
        .as_object()
        .unwrap()
        .keys()
        .all(|k| !k.contains("__"))));
}

/// A user calls a generated component module from their own Terraform,
/// twice, without platc: every argument they pass is a variable of the
/// module with a fitting type, every required variable is given, the
/// module refers only to variables it declares, and what it declares uses
/// only arguments of the pinned providers.
#[test]
fn a_component_module_serves_two_instances_from_a_hand_written_root() {
    let Some(schemas) = schemas() else { return };
    let e = build();
    let module: Value =
        serde_json::from_str(file(&e, "terraform/modules/db/main.tf.json")).unwrap();
    let root = json!({
        "variable": {"db_password": {"type": "string", "sensitive": true}},
        "module": {
            "orders_db": {
                "source": "./modules/db",
                "release_name": "orders-db",
                "namespace": "shop",
                "values": ["primary:\n  persistence:\n    size: 20Gi\n"],
                "sensitive_values": {"auth.password": "${var.db_password}"},
                "timeout": 900,
            },
            "billing_db": {
                "source": "./modules/db",
                "release_name": "billing-db",
                "namespace": "billing",
            },
        },
    });
    let vars = module["variable"].as_object().unwrap();
    for (name, call) in root["module"].as_object().unwrap() {
        let call = call.as_object().unwrap();
        for (arg, value) in call.iter().filter(|(k, _)| k.as_str() != "source") {
            let var = vars
                .get(arg)
                .unwrap_or_else(|| panic!("{name}: `{arg}` is not a variable of the module"));
            let ty = var["type"].as_str().unwrap();
            let fits = match ty {
                "string" => value.is_string(),
                "number" => {
                    value.is_number() || value.as_str().is_some_and(|s| s.starts_with("${"))
                }
                "list(string)" => value
                    .as_array()
                    .is_some_and(|a| a.iter().all(Value::is_string)),
                "map(string)" => value
                    .as_object()
                    .is_some_and(|m| m.values().all(Value::is_string)),
                "any" => true,
                other => panic!("variable `{arg}` has a type this test does not know: {other}"),
            };
            assert!(fits, "{name}: `{arg}` = {value} does not fit `{ty}`");
        }
        for (var, decl) in vars {
            if decl.get("default").is_none() {
                assert!(
                    call.contains_key(var),
                    "{name}: required variable `{var}` is missing"
                );
            }
        }
    }
    // Every `var.X` the module reads is declared.
    let text = module.to_string();
    let re = regex::Regex::new(r"var\.([A-Za-z_][A-Za-z0-9_]*)").unwrap();
    for cap in re.captures_iter(&text) {
        assert!(
            vars.contains_key(&cap[1]),
            "the module reads undeclared `var.{}`",
            &cap[1]
        );
    }
    let checked = check_provider_arguments(&[("root", root), ("modules/db", module)], &schemas);
    assert!(checked.contains("helm_release"), "{checked:?}");
}
