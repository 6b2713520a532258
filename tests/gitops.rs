//! The delivery targets besides Terraform: `skaffold.yaml` validates
//! against Skaffold's v4beta14 schema and points at files that exist; the
//! Argo CD Applications of `--target argocd` validate against the
//! Application CRD; their sync waves follow the platform graph.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{repo, shared, strict, tool};
use platc_driver::{build_path_with, BuildOptions, Options, OutputFile, RealFs, Target};
use serde_json::Value;

fn argo() -> platc_driver::ArgoCd {
    platc_driver::ArgoCd {
        repo_url: "https://git.example.com/team/platform.git".into(),
        revision: "main".into(),
        path: "out".into(),
        namespace: "argocd".into(),
        project: "default".into(),
    }
}

fn build(dir: &Path, env: Option<&str>, target: Target) -> (platc_driver::Build, Vec<OutputFile>) {
    let options = Options {
        environment: env.map(str::to_string),
        ..Options::default()
    };
    let b = build_path_with(
        &RealFs,
        dir,
        &options,
        &BuildOptions {
            target,
            project_from_output: "..".into(),
        },
    )
    .unwrap();
    assert!(!b.compilation.has_errors(), "{} must build", dir.display());
    let files = b.files.clone();
    (b, files)
}

fn documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn write(dir: &Path, files: &[OutputFile]) {
    let _ = std::fs::remove_dir_all(dir);
    for f in files {
        let p = dir.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &f.contents).unwrap();
    }
}

fn check_jsonschema(cj: &Path, schema: &Path, doc: &Path) -> Result<(), String> {
    let out = Command::new(cj)
        .arg("--schemafile")
        .arg(schema)
        .arg(doc)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `a/b/../c` as `a/c`, without asking the file system (`out/` need not
/// exist).
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn custom_code() -> PathBuf {
    repo().join("examples/custom-code")
}

/// Which examples build images locally: custom-code does; an example
/// without local builds gets no skaffold.yaml.
#[test]
fn skaffold_yaml_is_written_when_an_image_is_built_locally() {
    let mut with = Vec::new();
    for ex in common::examples() {
        let (_, files) = build(&ex, None, Target::Terraform);
        if files.iter().any(|f| f.path == "skaffold.yaml") {
            with.push(ex.file_name().unwrap().to_string_lossy().to_string());
        } else {
            assert!(
                !files.iter().any(|f| f.path.starts_with("environments/")),
                "{}",
                ex.display()
            );
        }
    }
    assert_eq!(with, vec!["custom-code".to_string()]);
}

/// skaffold.yaml validates against the v4beta14 schema, has one artifact
/// per locally built image whose context (relative to the output tree in
/// the project's `out/`) holds its Dockerfile, one profile per
/// environment, and names only files of the tree.
#[test]
fn skaffold_yaml_validates_and_points_at_what_exists() {
    let Some(cj) = tool("check-jsonschema") else {
        return;
    };
    let Some(schema) = shared("schemas/skaffold/v4beta14.json") else {
        return;
    };
    let ex = custom_code();
    for env in [None, Some("prod")] {
        let (b, files) = build(&ex, env, Target::Terraform);
        let dir = std::env::temp_dir().join(format!(
            "platc-skaffold-{}-{}",
            env.unwrap_or("base"),
            std::process::id()
        ));
        write(&dir, &files);
        let skaffold = dir.join("skaffold.yaml");
        let text = std::fs::read_to_string(&skaffold).unwrap();
        let doc = &documents(&text)[0];
        let json = dir.join("skaffold.json");
        std::fs::write(&json, doc.to_string()).unwrap();
        if let Err(e) = check_jsonschema(&cj, &schema, &json) {
            panic!("skaffold.yaml ({env:?}) against v4beta14:\n{e}\n{text}");
        }
        assert_eq!(doc["apiVersion"], "skaffold/v4beta14");

        let mut configs = vec![("", doc.clone())];
        for p in doc["profiles"].as_array().unwrap() {
            configs.push((p["name"].as_str().unwrap(), p.clone()));
        }
        let profiles: Vec<&str> = configs[1..].iter().map(|(n, _)| *n).collect();
        assert_eq!(
            profiles,
            b.compilation.environments.clone().unwrap(),
            "one profile per environment"
        );
        // The output tree as it lies in the project (`out/`).
        let out = ex.join("out");
        for (name, c) in &configs {
            let images: Vec<&str> = c["build"]["artifacts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    let context = lexical(&out.join(a["context"].as_str().unwrap()));
                    let dockerfile = context.join(a["docker"]["dockerfile"].as_str().unwrap());
                    assert!(dockerfile.is_file(), "{name}: {}", dockerfile.display());
                    a["image"].as_str().unwrap()
                })
                .collect();
            assert_eq!(
                images,
                [
                    "registry.example.com/shop/ingest",
                    "registry.example.com/shop/api"
                ]
            );
            let mut named: Vec<String> = c["manifests"]["rawYaml"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect();
            for r in c["deploy"]["helm"]["releases"].as_array().unwrap() {
                for v in r["valuesFiles"].as_array().unwrap() {
                    named.push(v.as_str().unwrap().to_string());
                }
            }
            for path in &named {
                assert!(
                    dir.join(path).is_file(),
                    "{name}: {path} is not in the tree"
                );
            }
            // Every app's objects are deployed, with the images Skaffold
            // builds.
            let apps: BTreeSet<&str> = named
                .iter()
                .filter(|p| p.ends_with("/ingest.yaml") || p.ends_with("/api.yaml"))
                .map(String::as_str)
                .collect();
            assert_eq!(apps.len(), 2, "{name}: {named:?}");
        }
        // A profile's files are its environment's: prod's API has 3 replicas.
        let prod = configs.iter().find(|(n, _)| *n == "prod").unwrap();
        let api = prod.1["manifests"]["rawYaml"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p.as_str().unwrap().ends_with("/api.yaml"))
            .unwrap();
        let objects = documents(&std::fs::read_to_string(dir.join(api.as_str().unwrap())).unwrap());
        let deployment = objects.iter().find(|d| d["kind"] == "Deployment").unwrap();
        assert_eq!(deployment["spec"]["replicas"], 3);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Every file under argocd/ is an Application that validates against the
/// Application CRD (strict: a field the API server would drop is an
/// error), in every example.
#[test]
fn argocd_applications_validate_against_the_crd() {
    let Some(cj) = tool("check-jsonschema") else {
        return;
    };
    let Some(crd_file) = shared("crds/by-kind/argoproj.io__Application.yaml") else {
        return;
    };
    let crd: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(crd_file).unwrap()).unwrap();
    let schema = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "v1alpha1")
        .unwrap()["schema"]["openAPIV3Schema"]
        .clone();
    let dir = std::env::temp_dir().join(format!("platc-argocd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let schema_file = dir.join("schema.json");
    std::fs::write(&schema_file, strict(schema).to_string()).unwrap();
    let mut checked = 0;
    for ex in common::examples() {
        let (_, files) = build(&ex, None, Target::ArgoCd(argo()));
        assert!(
            !files.iter().any(|f| f.path.starts_with("terraform/")),
            "{}: --target argocd writes no Terraform",
            ex.display()
        );
        let mut docs = Vec::new();
        for f in files.iter().filter(|f| f.path.starts_with("argocd/")) {
            docs.extend(documents(&f.contents));
        }
        assert!(docs.len() >= 3, "{}", ex.display());
        // One document per call would be slow: validate them as an array
        // of instances, one file each.
        for doc in docs {
            assert_eq!(doc["kind"], "Application");
            assert_eq!(doc["metadata"]["namespace"], "argocd");
            let one = dir.join(format!("app-{checked}.json"));
            std::fs::write(&one, doc.to_string()).unwrap();
            checked += 1;
        }
    }
    let mut cmd = Command::new(&cj);
    cmd.arg("--schemafile").arg(&schema_file);
    for i in 0..checked {
        cmd.arg(dir.join(format!("app-{i}.json")));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "Applications against the CRD:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(checked >= 20, "only {checked} Applications");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The sync waves follow the platform graph: every Application of an
/// instance comes after every Application of everything it depends on
/// (directly or through instances without Applications), its objects after
/// its chart, and all of them after the platform's own manifests.
#[test]
fn sync_waves_follow_the_graph_order() {
    for ex in common::examples() {
        let (b, files) = build(&ex, None, Target::ArgoCd(argo()));
        let c = &b.compilation;
        let p = c.platform.as_ref().unwrap();
        let g = c.graph.as_ref().unwrap();
        // instance -> waves of its Applications
        let mut waves: BTreeMap<String, Vec<(bool, i64)>> = BTreeMap::new();
        let mut platform_wave = None;
        let mut root = None;
        for f in files.iter().filter(|f| f.path.starts_with("argocd/")) {
            let doc = &documents(&f.contents)[0];
            let wave = doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
                .as_str()
                .map(|w| w.parse::<i64>().unwrap());
            match doc["metadata"]["labels"]["app.kubernetes.io/instance"].as_str() {
                Some(inst) => {
                    let objects = doc["spec"]["source"]["directory"].is_object();
                    waves
                        .entry(inst.to_string())
                        .or_default()
                        .push((objects, wave.unwrap()));
                }
                None if f.path == "argocd/root.yaml" => root = Some(doc.clone()),
                None => platform_wave = wave,
            }
        }
        assert_eq!(platform_wave, Some(0), "{}", ex.display());
        let root = root.unwrap();
        assert_eq!(root["spec"]["source"]["path"], "out/argocd/applications");
        for (i, inst) in p.instances.iter().enumerate() {
            let mine = waves.get(&inst.k8s_name).cloned().unwrap_or_default();
            let expected =
                usize::from(inst.chart.is_some()) + usize::from(!inst.resources.is_empty());
            assert_eq!(mine.len(), expected, "{}: {}", ex.display(), inst.name);
            if let (Some(chart), Some(objects)) =
                (mine.iter().find(|(o, _)| !o), mine.iter().find(|(o, _)| *o))
            {
                assert!(chart.1 < objects.1, "{}: objects before chart", inst.name);
            }
            for &(_, w) in &mine {
                assert!(w > 0);
            }
            // Everything below it in the graph.
            let mut below = BTreeSet::new();
            let mut stack = g.dependencies(i);
            while let Some(d) = stack.pop() {
                if below.insert(d) {
                    stack.extend(g.dependencies(d));
                }
            }
            for d in below {
                let dep = &p.instances[d];
                for &(_, dw) in waves.get(&dep.k8s_name).into_iter().flatten() {
                    for &(_, w) in &mine {
                        assert!(
                            dw < w,
                            "{}: {} (wave {w}) depends on {} (wave {dw})",
                            ex.display(),
                            inst.name,
                            dep.name
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn argocd_cannot_deliver_secret_values() {
    let text = "platform \"p\" {}\n\
        secret pw from env(\"PW\")\n\
        component c {\n  chart \"c\" version \"1.0.0\" from \"https://charts.example.com\"\n  \
        param password: secret\n  values { auth.password = password }\n}\n\
        c x { password = pw }\n";
    let c = platc_driver::check_source("main.plat", text, &Options::default());
    assert!(!c.has_errors());
    let why = platc_driver::argocd_unsupported(c.platform.as_ref().unwrap()).unwrap();
    assert!(why.contains("environment variables"), "{why}");
    // One error at the secret, one at the instance that passes it.
    let errors = platc_driver::argocd_undeliverable(c.platform.as_ref().unwrap());
    assert_eq!(
        errors
            .iter()
            .map(|d| (d.code, d.message.contains("Helm value")))
            .collect::<Vec<_>>(),
        [("E0609", false), ("E0609", true)]
    );
    let quickstart =
        platc_driver::check_path(&RealFs, &custom_code(), &Options::default()).unwrap();
    assert_eq!(
        platc_driver::argocd_unsupported(quickstart.platform.as_ref().unwrap()),
        None
    );
}
