//! The team's own apps (`std/app`): every pod template platc writes for an
//! app passes the Pod Security profile `restricted`, field by field; a
//! namespace that holds only apps enforces it; the component's rules on
//! images hold.
//!
//! (kubernetes-validate checks the same objects in tests/real_charts.rs,
//! which builds every example.)

mod common;

use std::path::Path;

use platc_driver::{build_path, MemoryFs, Options, OutputFile, RealFs};
use serde_json::Value;

fn build_example(dir: &Path, env: Option<&str>) -> Vec<OutputFile> {
    let options = Options {
        environment: env.map(str::to_string),
        ..Options::default()
    };
    let b = build_path(&RealFs, dir, &options).unwrap();
    assert!(!b.compilation.has_errors(), "{} must build", dir.display());
    b.files
}

fn build_text(text: &str) -> Result<Vec<OutputFile>, String> {
    let mut fs = MemoryFs::new();
    fs.insert("/project/main.plat", text);
    let b = build_path(&fs, Path::new("/project"), &Options::default()).unwrap();
    if b.compilation.has_errors() {
        return Err(platc_render::render_human(
            &b.compilation.sources,
            &b.compilation.diagnostics,
            false,
        ));
    }
    Ok(b.files)
}

fn documents(f: &OutputFile) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(&f.contents)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// The pod template of a workload object, if it has one.
fn pod_template(doc: &Value) -> Option<&Value> {
    match doc["kind"].as_str()? {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            doc.pointer("/spec/template")
        }
        "CronJob" => doc.pointer("/spec/jobTemplate/spec/template"),
        "Pod" => Some(doc),
        _ => None,
    }
}

/// What the Pod Security Standards' `restricted` profile (v1.30) rejects in
/// a pod template: empty when it passes.
fn restricted_violations(template: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let spec = &template["spec"];
    let pod_sc = &spec["securityContext"];
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec[host] == Value::Bool(true) {
            out.push(format!("{host} is set"));
        }
    }
    let allowed_volumes = [
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for v in spec["volumes"].as_array().into_iter().flatten() {
        let obj = v.as_object().unwrap();
        for k in obj.keys().filter(|k| *k != "name") {
            if !allowed_volumes.contains(&k.as_str()) {
                out.push(format!("volume `{}` is a {k}", v["name"]));
            }
        }
    }
    if pod_sc["runAsUser"] == 0 {
        out.push("the pod runs as user 0".into());
    }
    let containers: Vec<&Value> = ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| spec[*k].as_array().into_iter().flatten())
        .collect();
    if containers.is_empty() {
        out.push("no containers".into());
    }
    for c in containers {
        let name = c["name"].as_str().unwrap_or("?");
        let sc = &c["securityContext"];
        let either = |k: &str| {
            if sc[k].is_null() {
                &pod_sc[k]
            } else {
                &sc[k]
            }
        };
        if sc["privileged"] == Value::Bool(true) {
            out.push(format!("container {name} is privileged"));
        }
        if sc["allowPrivilegeEscalation"] != Value::Bool(false) {
            out.push(format!("container {name} may escalate privileges"));
        }
        if either("runAsNonRoot") != &Value::Bool(true) {
            out.push(format!("container {name} is not runAsNonRoot"));
        }
        if sc["runAsUser"] == 0 {
            out.push(format!("container {name} runs as user 0"));
        }
        let seccomp = either("seccompProfile")["type"].as_str();
        if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
            out.push(format!("container {name} has seccomp profile {seccomp:?}"));
        }
        let caps = &sc["capabilities"];
        if !caps["drop"]
            .as_array()
            .is_some_and(|d| d.iter().any(|c| c == "ALL"))
        {
            out.push(format!("container {name} does not drop ALL capabilities"));
        }
        for add in caps["add"].as_array().into_iter().flatten() {
            if add != "NET_BIND_SERVICE" {
                out.push(format!("container {name} adds capability {add}"));
            }
        }
        // Not in the profile, but promised by std/app.
        if sc["readOnlyRootFilesystem"] != Value::Bool(true) {
            out.push(format!("container {name} has a writable root filesystem"));
        }
        for p in c["ports"].as_array().into_iter().flatten() {
            if !p["hostPort"].is_null() {
                out.push(format!("container {name} uses a host port"));
            }
        }
    }
    out
}

/// The namespaces of a build that enforce `restricted`.
fn restricted_namespaces(files: &[OutputFile]) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.path.starts_with("kubernetes/namespace-"))
        .flat_map(documents)
        .filter(|ns| ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted")
        .map(|ns| ns["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// Every pod template platc writes for an app (an object of `std/app`),
/// and every pod template in a namespace that enforces `restricted`, in
/// every example and environment, passes the profile.
#[test]
fn every_app_pod_template_is_restricted() {
    let mut checked = 0;
    let mut problems = Vec::new();
    for ex in common::examples() {
        let environments = platc_driver::check_path(&RealFs, &ex, &Options::default())
            .unwrap()
            .environments
            .unwrap_or_default();
        let envs = std::iter::once(None).chain(environments.iter().map(|e| Some(e.as_str())));
        for env in envs {
            let files = build_example(&ex, env);
            let strict = restricted_namespaces(&files);
            for f in files
                .iter()
                .filter(|f| f.path.starts_with("kubernetes/resources/"))
            {
                for doc in documents(f) {
                    let labels = &doc["metadata"]["labels"];
                    let is_app = labels["app.kubernetes.io/name"] == "app";
                    let ns = doc["metadata"]["namespace"].as_str().unwrap_or("");
                    if !is_app && !strict.iter().any(|s| s == ns) {
                        continue;
                    }
                    let Some(template) = pod_template(&doc) else {
                        continue;
                    };
                    checked += 1;
                    for v in restricted_violations(template) {
                        problems.push(format!(
                            "{} ({}) {} {}/{}: {v}",
                            ex.display(),
                            env.unwrap_or("base"),
                            doc["kind"],
                            ns,
                            doc["metadata"]["name"]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked >= 4,
        "expected the apps of examples/custom-code (a Deployment and a CronJob, base and prod), found {checked} pod templates"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The check itself finds what it must: each kind of violation is caught.
#[test]
fn the_restricted_check_catches_each_violation() {
    let good = serde_json::json!({
        "spec": {
            "securityContext": { "runAsNonRoot": true, "seccompProfile": { "type": "RuntimeDefault" } },
            "containers": [{
                "name": "c",
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true,
                    "capabilities": { "drop": ["ALL"] }
                }
            }],
            "volumes": [{ "name": "tmp", "emptyDir": {} }]
        }
    });
    assert_eq!(restricted_violations(&good), Vec::<String>::new());
    let breakages: [(&str, Value); 8] = [
        ("/spec/hostNetwork", Value::Bool(true)),
        ("/spec/securityContext/runAsNonRoot", Value::Bool(false)),
        (
            "/spec/securityContext/seccompProfile/type",
            "Unconfined".into(),
        ),
        (
            "/spec/containers/0/securityContext/allowPrivilegeEscalation",
            Value::Bool(true),
        ),
        (
            "/spec/containers/0/securityContext/readOnlyRootFilesystem",
            Value::Bool(false),
        ),
        (
            "/spec/containers/0/securityContext/capabilities/drop",
            serde_json::json!([]),
        ),
        (
            "/spec/containers/0/securityContext/privileged",
            Value::Bool(true),
        ),
        (
            "/spec/volumes/0",
            serde_json::json!({ "name": "h", "hostPath": { "path": "/" } }),
        ),
    ];
    for (path, value) in breakages {
        let mut bad = good.clone();
        let (parent, key) = path.rsplit_once('/').unwrap();
        let slot = bad.pointer_mut(parent).unwrap();
        match slot {
            Value::Object(m) => {
                m.insert(key.to_string(), value);
            }
            Value::Array(a) => a[key.parse::<usize>().unwrap()] = value,
            _ => unreachable!(),
        }
        assert!(!restricted_violations(&bad).is_empty(), "{path} not caught");
    }
}

const APPS_ONLY: &str = r#"
platform "p" { namespace = "data" }
import "std/app"
secret token from kubernetes_secret("api-token", "token")
app worker {
  namespace = "jobs"
  image = "registry.example.com/team/worker"
  digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  schedule = "@hourly"
  secret_env = { API_TOKEN = token }
}
app web {
  namespace = "jobs"
  image = "registry.example.com/team/web"
  tag = "2.0.1"
  port = 8080
}
"#;

#[test]
fn a_namespace_of_apps_only_enforces_restricted() {
    let files = build_text(APPS_ONLY).unwrap();
    assert_eq!(restricted_namespaces(&files), vec!["jobs".to_string()]);
    let worker = files
        .iter()
        .find(|f| f.path == "kubernetes/resources/worker.yaml")
        .unwrap();
    let docs = documents(worker);
    let cron = docs.iter().find(|d| d["kind"] == "CronJob").unwrap();
    let c = &pod_template(cron).unwrap()["spec"]["containers"][0];
    assert_eq!(
        c["image"],
        "registry.example.com/team/worker@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        c["env"],
        serde_json::json!([{ "name": "API_TOKEN", "valueFrom": { "secretKeyRef": { "name": "api-token", "key": "token" } } }])
    );
    // Pulled, not built: nothing for Skaffold.
    assert!(cron["metadata"]["annotations"].is_null());
    assert!(!docs.iter().any(|d| d["kind"] == "Service"));

    // A chart in the namespace: baseline.
    let with_chart = format!(
        "{APPS_ONLY}\ncomponent thing {{\n  chart \"thing\" version \"1.0.0\" from \"https://charts.example.com\"\n}}\nthing t {{ namespace = \"jobs\" }}\n"
    );
    assert!(restricted_namespaces(&build_text(&with_chart).unwrap()).is_empty());
}

#[test]
fn the_image_must_be_exact() {
    let base = "platform \"p\" {}\nimport \"std/app\"\n";
    for (attrs, message) in [
        ("tag = \"latest\"", "exact image tag, not `latest`"),
        ("", "needs an exact image `tag` or a `digest`"),
        (
            "tag = \"1.0.0\"\n  digest = \"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",
            "has both a `tag` and a `digest`",
        ),
        ("tag = \"1.0\"\n  schedule = \"@daily\"\n  port = 80", "a CronJob serves no `port`"),
    ] {
        let text = format!("{base}app a {{\n  image = \"registry.example.com/a\"\n  {attrs}\n}}\n");
        let err = build_text(&text).unwrap_err();
        assert!(err.contains(message), "{attrs}: {err}");
    }
    let bad_image = format!("{base}app a {{\n  image = \"Registry/A:1\"\n  tag = \"1\"\n}}\n");
    assert!(build_text(&bad_image).unwrap_err().contains("E0305"));
}

/// The app's own NetworkPolicy follows its edges out: egress to DNS and to
/// the namespaces of what it uses. What may reach it is the platform's
/// NetworkPolicies' (language 6.3.11), from its `network` block.
#[test]
fn the_network_policy_follows_the_edges() {
    let text = r#"
platform "p" { namespace = "apps" }
import "std/app"
import "std/ingress"
import "std/interfaces"
component controller {
  provides IngressController { ingress_class = "edge" }
}
component db {
  provides SqlDatabase {
    host = "${self.name}-rw.${self.namespace}.svc"
    port = 5432
    database = "app"
    user = "app"
    connection_secret = "${self.name}-app"
  }
}
controller edge { namespace = "edge" }
db orders {}
app web {
  image = "registry.example.com/team/web"
  tag = "1.0.0"
  port = 8080
  database = orders
}
app offline {
  image = "registry.example.com/team/offline"
  tag = "1.0.0"
  schedule = "@daily"
  network_policy = true
}
"#;
    let files = build_text(text).unwrap();
    let policy = |name: &str| {
        let f = files
            .iter()
            .find(|f| f.path == format!("kubernetes/resources/{name}.yaml"))
            .unwrap();
        documents(f)
            .into_iter()
            .find(|d| d["kind"] == "NetworkPolicy")
            .unwrap()
    };
    let web = policy("web");
    assert_eq!(web["spec"]["policyTypes"], serde_json::json!(["Egress"]));
    let egress = web["spec"]["egress"].as_array().unwrap();
    assert_eq!(egress.len(), 2, "{egress:?}");
    assert_eq!(
        egress[1]["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "apps"
    );
    let offline = policy("offline");
    assert_eq!(
        offline["spec"]["egress"].as_array().unwrap().len(),
        1,
        "DNS only"
    );
    // Ingress: the namespace of the apps is isolated, and each app's pods
    // are let in by their own policy (its own pods; here nothing uses it).
    let platform = files
        .iter()
        .find(|f| f.path == "kubernetes/networkpolicies-apps.yaml")
        .expect("the apps' namespace is isolated");
    let docs = documents(platform);
    let web_in = docs
        .iter()
        .find(|d| d["metadata"]["name"] == "platc-web")
        .unwrap();
    assert_eq!(
        web_in["spec"]["podSelector"],
        serde_json::json!({ "matchLabels": { "app.kubernetes.io/instance": "web" } })
    );
    assert!(docs
        .iter()
        .any(|d| d["metadata"]["name"] == "platc-default-deny-ingress"));
}
