//! The real tools judge the output of `platc build` on every example:
//! kubernetes-validate (strict, Kubernetes 1.31) on every manifest,
//! check-jsonschema on every Helm values file whose chart ships a
//! values.schema.json, yamllint on every YAML file. The tools are installed
//! by scripts/install-validators.sh (run by .ci/run) into target/validators.
//! Without them the test fails under CI=true and says it skipped otherwise.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{repo, strict, tool};
use platc_driver::{build_path, Options, RealFs};

/// The chart a values file is for, from its header `(chart NAME VERSION)`.
fn chart_of(values_file: &Path) -> (String, String) {
    let text = std::fs::read_to_string(values_file).unwrap();
    let coords = text
        .lines()
        .next()
        .and_then(|l| l.split("(chart ").nth(1))
        .unwrap_or("");
    let mut parts = coords.trim_end_matches([')', ',']).split_whitespace();
    (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    )
}

/// The reference copy of chart `name` at `version` in ../shared/charts.
fn find_chart(charts: &Path, name: &str, version: &str) -> Option<PathBuf> {
    let field = |yaml: &str, key: &str| {
        yaml.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}:")))
            .map(|v| v.trim().trim_matches('"').to_string())
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(charts)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    // The archive's name gives the version: Chart.yaml of some charts
    // (cert-manager, jupyterhub) holds a placeholder in git.
    dirs.into_iter().find(|d| {
        let y = std::fs::read_to_string(d.join("Chart.yaml")).unwrap_or_default();
        field(&y, "name").as_deref() == Some(name)
            && (field(&y, "version").as_deref() == Some(version)
                || d.join(format!("{name}-{version}.tgz")).is_file())
    })
}

/// Every emitted values file of every example, with the reference copy of
/// its chart: (example, values file, chart directory). The caller removes
/// the returned build directories.
fn values_files_with_charts(
    tag: &str,
    charts: &Path,
) -> (Vec<(String, PathBuf, PathBuf)>, Vec<PathBuf>) {
    let mut out = Vec::new();
    let mut dirs = Vec::new();
    for (name, dir) in built_examples(tag) {
        for f in files_under(&dir.join("helm"), ".values.yaml") {
            let (chart, version) = chart_of(&f);
            let Some(source) = find_chart(charts, &chart, &version) else {
                panic!(
                    "{name}: chart {chart} {version} of {} is not in ../shared/charts",
                    f.display()
                );
            };
            out.push((name.clone(), f, source));
        }
        dirs.push(dir);
    }
    (out, dirs)
}

/// Builds every example into a fresh directory; returns (example, dir).
fn built_examples(tag: &str) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for ex in common::examples() {
        let name = ex.file_name().unwrap().to_string_lossy().to_string();
        let build = build_path(&RealFs, &ex, &Options::default()).unwrap();
        assert!(!build.compilation.has_errors(), "{name} must build");
        let dir = std::env::temp_dir().join(format!(
            "platc-validate-{tag}-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for f in &build.files {
            let p = dir.join(&f.path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, &f.contents).unwrap();
        }
        out.push((name, dir));
    }
    out
}

fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("run validator");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn manifests_pass_kubernetes_schema_validation() {
    let Some(kv) = tool("kubernetes-validate") else {
        return;
    };
    for (name, dir) in built_examples("kubernetes") {
        let manifests: Vec<PathBuf> = files_under(&dir.join("kubernetes"), ".yaml")
            .into_iter()
            .filter(|p| !p.ends_with("kustomization.yaml"))
            .collect();
        assert!(!manifests.is_empty(), "{name}: no manifests");
        for m in manifests {
            let (ok, text) = run(Command::new(&kv).args(["--strict", "-k", "1.31.0"]).arg(&m));
            assert!(ok, "{name}: {} fails validation:\n{text}", m.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn every_yaml_file_passes_yamllint() {
    let Some(yl) = tool("yamllint") else { return };
    for (name, dir) in built_examples("yamllint") {
        for f in files_under(&dir, ".yaml") {
            let (ok, text) = run(Command::new(&yl)
                .args(["-d", "relaxed", "--strict"])
                .arg(&f));
            assert!(ok, "{name}: {} fails yamllint:\n{text}", f.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn helm_values_match_the_charts_schemas() {
    let Some(cj) = tool("check-jsonschema") else {
        return;
    };
    let Some(charts) = common::shared("charts") else {
        return;
    };
    let mut checked = 0;
    let (files, dirs) = values_files_with_charts("schema", &charts);
    for (name, f, source) in files {
        let schema = source.join("values.schema.json");
        if !schema.is_file() {
            continue;
        }
        let (ok, out) = run(Command::new(&cj).arg("--schemafile").arg(&schema).arg(&f));
        assert!(
            ok,
            "{name}: {} does not match {}:\n{out}",
            f.display(),
            schema.display()
        );
        checked += 1;
    }
    dirs.iter()
        .for_each(|d| std::fs::remove_dir_all(d).unwrap());
    assert!(checked > 0, "no values file was checked against a schema");
}

#[test]
fn kubectl_kustomize_accepts_the_manifests() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    for (name, dir) in built_examples("kustomize") {
        let (ok, text) = run(Command::new(&kubectl)
            .arg("kustomize")
            .arg(dir.join("kubernetes")));
        assert!(ok, "{name}: kubectl kustomize fails:\n{text}");
        assert!(
            text.contains("kind: Namespace"),
            "{name}: no namespace in\n{text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// `helm template -f` with every emitted values file, against a local copy
/// of the pinned chart's values and schema (charts cannot be downloaded
/// here, and the reference copies have no templates): Helm itself parses
/// the file (YAML 1.1), merges it over the chart's defaults and validates
/// the result against the chart's values.schema.json.
#[test]
fn helm_template_accepts_the_values() {
    let Some(helm) = tool("helm") else { return };
    let Some(charts) = common::shared("charts") else {
        return;
    };
    let mut rendered = 0;
    let (files, dirs) = values_files_with_charts("helm", &charts);
    for (name, f, source) in files {
        let (chart, version) = chart_of(&f);
        let local = f.parent().unwrap().join(format!("chart-{chart}"));
        std::fs::create_dir_all(local.join("templates")).unwrap();
        std::fs::write(
            local.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {chart}\nversion: {version}\n"),
        )
        .unwrap();
        std::fs::copy(source.join("values.yaml"), local.join("values.yaml")).unwrap();
        if source.join("values.schema.json").is_file() {
            std::fs::copy(
                source.join("values.schema.json"),
                local.join("values.schema.json"),
            )
            .unwrap();
        }
        let release = f
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".values.yaml")
            .to_string();
        let (ok, out) = run(Command::new(&helm)
            .args(["template", &release])
            .arg(&local)
            .arg("-f")
            .arg(&f));
        assert!(ok, "{name}: helm template rejects {}:\n{out}", f.display());
        rendered += 1;
    }
    dirs.iter()
        .for_each(|d| std::fs::remove_dir_all(d).unwrap());
    assert!(rendered > 0);
}

/// Every object the components of `tests/ui/ok-emit-resources` declare,
/// and every manifest platc writes for `tests/ui/ok-emit-template-secrets`
/// (External Secrets, the SecretStore of template secrets and its RBAC),
/// validates: custom resources against their CRD in ../shared/crds/by-kind
/// (the CRD's schema made strict the way the API server prunes: a field it
/// does not know is an error), built-in kinds with kubernetes-validate
/// --strict. A cluster-scoped CRD's objects have no namespace and the others
/// have one, and `kubectl kustomize` accepts kubernetes/resources/.
#[test]
fn resources_validate_against_their_crds_and_kubernetes() {
    let (Some(kv), Some(cj), Some(kubectl)) = (
        tool("kubernetes-validate"),
        tool("check-jsonschema"),
        tool("kubectl"),
    ) else {
        return;
    };
    let Some(crds) = common::shared("crds/by-kind") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("platc-validate-resources-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The objects components declare, and the External Secrets (with the
    // store and RBAC of template secrets) that platc writes itself.
    let mut checked = 0;
    for (case, under) in [
        ("ok-emit-resources", "kubernetes/resources"),
        ("ok-emit-template-secrets", "kubernetes"),
        ("ok-emit-stdlib-resources", "kubernetes/resources"),
    ] {
        let fixture = repo().join("tests/ui").join(case);
        let build = build_path(&RealFs, &fixture, &Options::default()).unwrap();
        assert!(
            !build.compilation.has_errors(),
            "the fixture {case} must build"
        );
        let out = dir.join(case);
        for f in &build.files {
            let p = out.join(&f.path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, &f.contents).unwrap();
        }
        let resources = out.join(under);
        let (ok, text) = run(Command::new(&kubectl).arg("kustomize").arg(&resources));
        assert!(ok, "kubectl kustomize {case}/{under}:\n{text}");

        for file in files_under(&resources, ".yaml") {
            if file.ends_with("kustomization.yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, doc) in serde_yaml_ng::Deserializer::from_str(&text).enumerate() {
                let doc: serde_json::Value = serde::Deserialize::deserialize(doc).unwrap();
                let api = doc["apiVersion"].as_str().unwrap();
                let kind = doc["kind"].as_str().unwrap();
                let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
                let one = dir.join(format!("doc-{checked}.json"));
                std::fs::write(&one, serde_json::to_string(&doc).unwrap()).unwrap();
                if group.contains('.') && !group.ends_with(".k8s.io") {
                    let crd_file = crds.join(format!("{group}__{kind}.yaml"));
                    let crd: serde_json::Value = serde_yaml_ng::from_str(
                        &std::fs::read_to_string(&crd_file).unwrap_or_else(|_| {
                            panic!("no CRD for {api} {kind} in ../shared/crds/by-kind")
                        }),
                    )
                    .unwrap();
                    let cluster = crd["spec"]["scope"] == "Cluster";
                    assert_eq!(
                        doc["metadata"].get("namespace").is_none(),
                        cluster,
                        "{kind} is {}-scoped: {}",
                        if cluster { "cluster" } else { "namespace" },
                        file.display()
                    );
                    let schema = crd["spec"]["versions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|v| v["name"] == version)
                        .unwrap_or_else(|| panic!("the CRD of {kind} serves no {version}"))
                        ["schema"]["openAPIV3Schema"]
                        .clone();
                    let schema_file = dir.join(format!("schema-{checked}.json"));
                    std::fs::write(&schema_file, strict(schema).to_string()).unwrap();
                    let (ok, out) = run(Command::new(&cj)
                        .arg("--schemafile")
                        .arg(&schema_file)
                        .arg(&one));
                    assert!(
                        ok,
                        "{kind} #{n} in {} against its CRD:\n{out}",
                        file.display()
                    );
                } else {
                    let (ok, out) = run(Command::new(&kv)
                        .args(["--strict", "-k", "1.31.0"])
                        .arg(&one));
                    assert!(ok, "{kind} #{n} in {}:\n{out}", file.display());
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} objects were checked");
    std::fs::remove_dir_all(&dir).unwrap();
}
