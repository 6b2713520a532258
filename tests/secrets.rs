//! Secrets with several keys: one Kubernetes Secret holds them all, each
//! key has its own deploy-time variable, an ExternalSecret fetches every
//! listed property, and a chart gets one key as a sensitive Helm value.

use std::collections::BTreeMap;
use std::path::Path;

use platc_driver::{build_path, MemoryFs, Options};
use serde_json::{json, Value};

const SRC: &str = r#"
platform "lab" {}

secret smtp from env({ "username" = "SMTP_USER", "pass.word" = "SMTP_PASSWORD" })
secret oauth from kubernetes_secret("oauth2-proxy", ["client-id", "client-secret", "cookie-secret"])
secret lake from external_secret("vault", "data/lake", ["access-key", "secret-key"])
secret token from env("API_TOKEN")

component proxy {
  chart "proxy" version "1.0.0" from "https://charts.example.com"
  param client: secret
  param mail: secret
  assert "cookie-secret" in client.secret_keys message "the client Secret must hold a cookie-secret"
  values {
    config.existingSecret = client.secret_name
    config.keys = client.secret_keys
    config.cookieKey = client["cookie-secret"].secret_key
    mail.user = mail["username"]
    mail.password = mail["pass.word"]
  }
}

component app {
  chart "app" version "1.0.0" from "https://charts.example.com"
  param s3: secret
  param token: secret
  values {
    s3.secretName = s3.secret_name
    s3.accessKeyRef = s3["access-key"].secret_key
    apiToken = token
  }
}

proxy sso { client = oauth mail = smtp }
app etl { s3 = lake token = token namespace = "etl" }
"#;

fn build(text: &str) -> BTreeMap<String, String> {
    let mut fs = MemoryFs::new();
    fs.insert("/project/main.plat", text);
    let b = build_path(&fs, Path::new("/project"), &Options::default()).unwrap();
    let rendered =
        platc_render::render_human(&b.compilation.sources, &b.compilation.diagnostics, false);
    assert!(!b.compilation.has_errors(), "{rendered}");
    b.files.into_iter().map(|f| (f.path, f.contents)).collect()
}

fn json_file(files: &BTreeMap<String, String>, path: &str) -> Value {
    serde_json::from_str(&files[path]).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_key_of_an_env_secret_has_its_variable_and_one_secret_holds_them() {
    let files = build(SRC);
    let main = json_file(&files, "terraform/main.tf.json");
    let vars = main["variable"].as_object().unwrap();
    for var in [
        "secret_smtp__username",
        "secret_smtp__pass_word",
        "secret_token",
    ] {
        assert_eq!(vars[var]["sensitive"], true, "{var}");
    }
    assert!(vars["secret_smtp__pass_word"]["description"]
        .as_str()
        .unwrap()
        .contains("SMTP_PASSWORD"));
    let manifest = &main["resource"]["kubernetes_manifest"]["smtp-lab"]["manifest"];
    assert_eq!(manifest["metadata"]["name"], "lab-smtp");
    assert_eq!(
        manifest["data"],
        json!({
            "username": "${base64encode(var.secret_smtp__username)}",
            "pass.word": "${base64encode(var.secret_smtp__pass_word)}",
        })
    );
}

#[test]
fn one_key_is_a_sensitive_value_and_the_whole_secret_is_named() {
    let files = build(SRC);
    let main = json_file(&files, "terraform/main.tf.json");
    let sso = &main["module"]["sso"];
    assert_eq!(
        sso["sensitive_values"],
        json!({
            "mail.user": "${var.secret_smtp__username}",
            "mail.password": "${var.secret_smtp__pass_word}",
        })
    );
    let etl = &main["module"]["etl"];
    assert_eq!(
        etl["sensitive_values"],
        json!({"apiToken": "${var.secret_token}"})
    );
    // An existing Secret's keys only need a variable when a chart takes
    // one as a value: none does here.
    let vars = main["variable"].as_object().unwrap();
    assert!(
        !vars.keys().any(|k| k.starts_with("secret_oauth")),
        "{vars:?}"
    );
    let values = &files["helm/sso.values.yaml"];
    assert!(values.contains("existingSecret: oauth2-proxy"), "{values}");
    assert!(values.contains("- client-id\n"), "{values}");
    assert!(values.contains("cookieKey: cookie-secret"), "{values}");
    assert!(!values.contains("SMTP"), "{values}");
}

#[test]
fn an_external_secret_fetches_every_listed_property() {
    let files = build(SRC);
    let doc: Value = serde_yaml_ng::from_str(&files["kubernetes/externalsecret-lab-lake.yaml"])
        .expect("one document");
    assert_eq!(doc["metadata"]["namespace"], "etl");
    assert_eq!(
        doc["spec"]["data"],
        json!([
            {"secretKey": "access-key", "remoteRef": {"key": "data/lake", "property": "access-key"}},
            {"secretKey": "secret-key", "remoteRef": {"key": "data/lake", "property": "secret-key"}},
        ])
    );
    let values = &files["helm/etl.values.yaml"];
    assert!(values.contains("secretName: lab-lake"), "{values}");
    assert!(values.contains("accessKeyRef: access-key"), "{values}");
}

#[test]
fn keys_that_collide_or_repeat_are_rejected() {
    for (source, code) in [
        (r#"env({ "a-b" = "X", "a_b" = "Y" })"#, "E0315"),
        (r#"kubernetes_secret("s", ["k", "k"])"#, "E0311"),
        (r#"kubernetes_secret("s", [])"#, "E0315"),
        (r#"env({ "k" = "not a var" })"#, "E0315"),
        (r#"external_secret("vault", "p", ["bad key"])"#, "E0315"),
    ] {
        let text = format!("platform \"lab\" {{}}\nsecret s from {source}\n");
        let c = platc_driver::check_source("main.plat", &text, &Options::default());
        let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [code], "{source}");
    }
    // `a__b` and `a` with key `b` would share `secret_a__b`.
    let text =
        "platform \"lab\" {}\nsecret a__b from env(\"X\")\nsecret a from env({ \"b\" = \"Y\" })\n";
    let c = platc_driver::check_source("main.plat", text, &Options::default());
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0202"]);
}

const TEMPLATED: &str = r#"
platform "lab" {}

interface Db { host: string }

component pg {
  chart "pg" version "1.0.0" from "https://charts.example.com"
  provides Db { host = "${self.name}-rw.${self.namespace}.svc" }
}

component app {
  chart "app" version "1.0.0" from "https://charts.example.com"
  param dsn: secret
  param s3: secret
  values {
    env = [
      { name = "DATABASE_URL", valueFrom = { secretKeyRef = { name = dsn.secret_name, key = dsn.secret_key } } },
      { name = "S3_URI", valueFrom = { secretKeyRef = { name = s3.secret_name, key = s3["uri"].secret_key } } },
    ]
  }
}

secret db_password from env("DB_PASSWORD")
secret lake from kubernetes_secret("lake", ["access", "secret"])
secret vault_token from external_secret("vault", "data/app", "token")

secret dsn from template("postgresql://app:{{ .password }}@${orders_db.host}:5432/app?token={{.token}}", {
  password = db_password
  token = vault_token
})
secret s3 from template({ "uri" = "s3://{{ .a }}:{{ .s }}@lake", "region" = "eu-{{ .a }}" }, {
  a = lake["access"]
  s = lake["secret"]
})

pg orders_db { namespace = "db" }
app orders { dsn = dsn s3 = s3 namespace = "shop" }
"#;

#[test]
fn a_template_secret_is_assembled_where_it_is_read() {
    let files = build(TEMPLATED);
    let dsn: Value =
        serde_yaml_ng::from_str(&files["kubernetes/externalsecret-lab-dsn.yaml"]).unwrap();
    assert_eq!(dsn["metadata"]["namespace"], "shop");
    assert_eq!(
        dsn["spec"]["target"]["template"]["data"],
        json!({"value": "postgresql://app:{{ .password }}@orders-db-rw.db.svc:5432/app?token={{.token}}"})
    );
    assert_eq!(
        dsn["spec"]["data"],
        json!([
            {"secretKey": "password", "remoteRef": {"key": "lab-db-password", "property": "value"},
             "sourceRef": {"storeRef": {"name": "platc-local-secrets", "kind": "SecretStore"}}},
            {"secretKey": "token", "remoteRef": {"key": "data/app", "property": "token"},
             "sourceRef": {"storeRef": {"name": "vault", "kind": "ClusterSecretStore"}}},
        ])
    );
    let s3: Value =
        serde_yaml_ng::from_str(&files["kubernetes/externalsecret-lab-s3.yaml"]).unwrap();
    assert_eq!(
        s3["spec"]["target"]["template"]["data"],
        json!({"uri": "s3://{{ .a }}:{{ .s }}@lake", "region": "eu-{{ .a }}"})
    );
    // The env input is created where the template is read, by Terraform.
    let main = json_file(&files, "terraform/main.tf.json");
    let manifests = main["resource"]["kubernetes_manifest"].as_object().unwrap();
    assert!(manifests.contains_key("db_password-shop"), "{manifests:?}");
    // The store that reads the namespace's own Secrets.
    let store = &files["kubernetes/secretstore-shop.yaml"];
    assert!(store.contains("kind: SecretStore"), "{store}");
    assert!(store.contains("remoteNamespace: shop"), "{store}");
    let kustomization = &files["kubernetes/kustomization.yaml"];
    for f in [
        "externalsecret-lab-dsn.yaml",
        "externalsecret-lab-s3.yaml",
        "secretstore-shop.yaml",
    ] {
        assert!(kustomization.contains(f), "{kustomization}");
    }
    let values = &files["helm/orders.values.yaml"];
    assert!(values.contains("name: lab-dsn"), "{values}");
    assert!(values.contains("key: uri"), "{values}");
    assert!(!values.contains("{{"), "{values}");
}

#[test]
fn template_texts_read_only_their_inputs() {
    let cases = [
        (r#"template("x{{ .pw }}", { password = p })"#, "E0315"),
        (
            r#"template("x{{ .password }}", { password = p, extra = p })"#,
            "E0315",
        ),
        (
            r#"template("x{{ .password | b64enc }}", { password = p })"#,
            "E0315",
        ),
        (
            r#"template("x}}{{ .password }}", { password = p })"#,
            "E0315",
        ),
        (r#"template("x{{ .password }}", { password = q })"#, "E0328"),
        (
            r#"template("x{{ .password }}", { password = q["nope"] })"#,
            "E0308",
        ),
        (r#"template("x{{ .password }}", { password = t })"#, "E0315"),
        (
            r#"template("x{{ .password }}", { password = "p" })"#,
            "E0315",
        ),
        (
            r#"template("x{{ .password }}", { password = nobody })"#,
            "E0201",
        ),
        (r#"template("x{{ .password }}", [p])"#, "E0315"),
        (
            r#"template("${p}{{ .password }}", { password = p })"#,
            "E0307",
        ),
    ];
    for (source, code) in cases {
        let text = format!(
            "platform \"lab\" {{}}\nsecret p from env(\"P\")\nsecret q from env({{ \"a\" = \"A\", \"b\" = \"B\" }})\nsecret t from template(\"{{{{ .x }}}}\", {{ x = p }})\nsecret s from {source}\n"
        );
        let c = platc_driver::check_source("main.plat", &text, &Options::default());
        let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [code], "{source}");
    }
}
