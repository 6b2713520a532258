//! The checks that follow analysis, for the base platform and every
//! environment: values files (E0601, E0602, E0603) and `requires` cycles
//! (E0320) are reported by `check_path`, each once; `build_path` merges the
//! values the check read without reading them again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use platc_driver::{
    build_path, check_path, check_source, graph_path, Compilation, FileSystem, MemoryFs, Options,
};

const ROOT: &str = "/project";

/// A `MemoryFs` that counts the reads of each file.
#[derive(Default)]
struct CountingFs {
    inner: MemoryFs,
    reads: Mutex<BTreeMap<PathBuf, usize>>,
}

impl CountingFs {
    fn new(files: &[(&str, &str)]) -> Self {
        let mut inner = MemoryFs::new();
        for (path, text) in files {
            inner.insert(Path::new(ROOT).join(path), text.as_bytes());
        }
        CountingFs {
            inner,
            reads: Mutex::default(),
        }
    }

    fn reads(&self, path: &str) -> usize {
        let reads = self.reads.lock().unwrap();
        reads.get(&Path::new(ROOT).join(path)).copied().unwrap_or(0)
    }
}

impl FileSystem for CountingFs {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        *self
            .reads
            .lock()
            .unwrap()
            .entry(path.to_path_buf())
            .or_default() += 1;
        self.inner.read(path)
    }
    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        self.inner.canonicalize(path)
    }
    fn is_file(&self, path: &Path) -> bool {
        self.inner.is_file(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.inner.is_dir(path)
    }
}

fn options(env: Option<&str>) -> Options {
    Options {
        environment: env.map(str::to_string),
        ..Options::default()
    }
}

fn check(fs: &CountingFs, env: Option<&str>) -> Compilation {
    check_path(fs, Path::new(ROOT), &options(env)).expect("the project is readable")
}

/// `(code, message, notes)` of every diagnostic.
fn diags(c: &Compilation) -> Vec<(&'static str, String, Vec<String>)> {
    c.diagnostics
        .iter()
        .map(|d| (d.code, d.message.clone(), d.notes.clone()))
        .collect()
}

fn main_plat(instance_body: &str, environments: &str) -> String {
    format!(
        r#"platform "demo" {{
  domain = "example.com"
}}

component app {{
  chart "app" version "1.0.0" from "https://charts.example.com"
  param replicas: int = 1
  values {{
    replicaCount = replicas
  }}
}}

app web {{
{instance_body}
}}

app api {{}}

{environments}
"#
    )
}

#[test]
fn a_missing_values_file_is_reported_by_check() {
    let fs = CountingFs::new(&[(
        "main.plat",
        &main_plat(r#"  values_files = ["values/web.yaml"]"#, ""),
    )]);
    let c = check(&fs, None);
    assert_eq!(
        diags(&c),
        [(
            "E0601",
            "values file `values/web.yaml` does not exist".to_string(),
            vec![]
        )]
    );
    assert!(c.platform.is_none() && c.others.is_empty() && c.graph.is_none());
    assert!(c.values.is_empty());
}

#[test]
fn bad_yaml_a_list_and_a_file_outside_the_root_are_reported_by_check() {
    let fs = CountingFs::new(&[
        (
            "main.plat",
            &main_plat(
                r#"  values_files = ["bad.yaml", "list.yaml", "../elsewhere.yaml"]"#,
                "",
            ),
        ),
        ("bad.yaml", "a: [1, 2\n"),
        ("list.yaml", "- 1\n- 2\n"),
    ]);
    let codes: Vec<&str> = check(&fs, None)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(codes, ["E0602", "E0602", "E0603"]);
}

#[test]
fn a_values_file_only_an_environment_names_is_checked_with_a_note() {
    let envs = r#"environment dev {
  api.replicas = 2
}

environment prod {
  web.values_files = ["values/prod.yaml"]
}"#;
    let fs = CountingFs::new(&[
        (
            "main.plat",
            &main_plat(r#"  values_files = ["values/web.yaml"]"#, envs),
        ),
        ("values/web.yaml", "replicaCount: 2\n"),
    ]);
    for env in [None, Some("dev"), Some("prod")] {
        let c = check(&fs, env);
        assert_eq!(
            diags(&c),
            [(
                "E0601",
                "values file `values/prod.yaml` does not exist".to_string(),
                vec!["in environment `prod`".to_string()]
            )],
            "--env {env:?}"
        );
    }
}

#[test]
fn a_file_named_by_the_base_and_every_environment_is_read_and_reported_once() {
    let envs =
        "environment dev {\n  web.replicas = 2\n}\n\nenvironment prod {\n  web.replicas = 3\n}";
    let missing = CountingFs::new(&[(
        "main.plat",
        &main_plat(r#"  values_files = ["values/web.yaml"]"#, envs),
    )]);
    let c = check(&missing, Some("prod"));
    assert_eq!(
        diags(&c),
        [(
            "E0601",
            "values file `values/web.yaml` does not exist".to_string(),
            vec![],
        )],
        "the base platform names it: no environment note"
    );

    let fs = CountingFs::new(&[
        (
            "main.plat",
            &main_plat(r#"  values_files = ["values/web.yaml"]"#, envs),
        ),
        ("values/web.yaml", "replicaCount: 5\nextra: yes\n"),
    ]);
    let b = build_path(&fs, Path::new(ROOT), &options(Some("prod"))).unwrap();
    assert!(!b.compilation.has_errors(), "{:?}", diags(&b.compilation));
    assert_eq!(
        fs.reads("values/web.yaml"),
        1,
        "read once by the check, for three platforms, and not again by build"
    );
    let web = b
        .compilation
        .platform
        .as_ref()
        .unwrap()
        .instance("web")
        .unwrap();
    let parsed = b.compilation.values_file(&web.values_files[0]).unwrap();
    assert_eq!(parsed["extra"], serde_json::Value::Bool(true), "YAML 1.1");
    let helm = b
        .files
        .iter()
        .find(|f| f.path == "helm/web.values.yaml")
        .unwrap();
    assert!(
        helm.contents.contains("replicaCount: 5"),
        "{}",
        helm.contents
    );
}

#[test]
fn the_compilation_keeps_the_values_of_the_selected_platform() {
    let envs = r#"environment prod {
  web.values_files = ["values/prod.yaml"]
}"#;
    let fs = CountingFs::new(&[
        (
            "main.plat",
            &main_plat(r#"  values_files = ["values/web.yaml"]"#, envs),
        ),
        ("values/web.yaml", "base: 1\n"),
        ("values/prod.yaml", "prod: 1\n"),
    ]);
    let kept = |env| {
        let c = check(&fs, env);
        assert!(!c.has_errors(), "{:?}", diags(&c));
        c.values.keys().map(|(_, p)| p.clone()).collect::<Vec<_>>()
    };
    assert_eq!(kept(None), ["values/web.yaml"]);
    assert_eq!(kept(Some("prod")), ["values/prod.yaml"]);
    // Both files were checked each time, each read once per check.
    assert_eq!(fs.reads("values/web.yaml"), 2);
    assert_eq!(fs.reads("values/prod.yaml"), 2);
    let b = build_path(&fs, Path::new(ROOT), &options(Some("prod"))).unwrap();
    let helm = b
        .files
        .iter()
        .find(|f| f.path == "helm/web.values.yaml")
        .unwrap();
    assert!(
        helm.contents.contains("prod: 1") && !helm.contents.contains("base: 1"),
        "{}",
        helm.contents
    );
}

#[test]
fn an_empty_values_file_is_fine() {
    let fs = CountingFs::new(&[
        (
            "main.plat",
            &main_plat(r#"  values_files = ["empty.yaml"]"#, ""),
        ),
        ("empty.yaml", "\n# nothing\n"),
    ]);
    let c = check(&fs, None);
    assert!(!c.has_errors(), "{:?}", diags(&c));
    let web = c.platform.as_ref().unwrap().instance("web").unwrap();
    assert_eq!(c.values_file(&web.values_files[0]), None);
    assert_eq!(c.values.len(), 1);
}

const REQUIRES_CYCLE: &str = r#"platform "demo" {
  domain = "example.com"
}

interface Queue {}

interface Store {}

component broker {
  provides Queue
  requires Store
}

component storage {
  provides Store
  requires Queue
}

broker events {}

storage blobs {}

environment prod {}
"#;

#[test]
fn a_requires_cycle_is_reported_by_check_once() {
    let fs = CountingFs::new(&[("main.plat", REQUIRES_CYCLE)]);
    for env in [None, Some("prod")] {
        let c = check(&fs, env);
        assert_eq!(
            diags(&c),
            [(
                "E0320",
                "instances depend on each other in a cycle: events -> blobs -> events".to_string(),
                vec![]
            )]
        );
        assert!(c.platform.is_none() && c.graph.is_none());
    }
    let c = check_source("main.plat", REQUIRES_CYCLE, &options(None));
    assert_eq!(c.diagnostics.len(), 1);
    assert_eq!(c.diagnostics[0].code, "E0320");
    let (c, graph) = graph_path(&fs, Path::new(ROOT), &options(None)).unwrap();
    assert!(graph.is_none());
    assert_eq!(c.diagnostics.len(), 1);
}

#[test]
fn a_cycle_only_an_environment_makes_carries_the_environment_note() {
    let src = r#"platform "demo" {
  domain = "example.com"
}

interface Queue {}

component broker {
  provides Queue
  param audit: worker? = none
}

component worker {
  requires Queue
}

broker events {}

worker jobs {}

environment prod {
  events.audit = jobs
}
"#;
    let fs = CountingFs::new(&[("main.plat", src)]);
    let c = check(&fs, None);
    assert_eq!(c.diagnostics.len(), 1, "{:?}", diags(&c));
    assert_eq!(c.diagnostics[0].code, "E0320");
    assert_eq!(c.diagnostics[0].notes, ["in environment `prod`"]);
}

#[test]
fn a_clean_project_has_its_graph_and_values() {
    let fs = CountingFs::new(&[
        (
            "main.plat",
            &main_plat(r#"  values_files = ["values/web.yaml"]"#, ""),
        ),
        ("values/web.yaml", "replicaCount: 2\n"),
    ]);
    let c = check(&fs, None);
    assert!(c.diagnostics.is_empty(), "{:?}", diags(&c));
    assert_eq!(c.graph.as_ref().map(|g| g.len()), Some(2));
    assert_eq!(c.values.len(), 1);
    let (_, graph) = graph_path(&fs, Path::new(ROOT), &options(None)).unwrap();
    assert_eq!(graph.map(|g| g.len()), Some(2));
}

#[test]
fn a_snippet_reads_no_values_files() {
    // check_source has no files beside the snippet: nothing to read.
    let c = check_source(
        "main.plat",
        &main_plat(r#"  values_files = ["values/web.yaml"]"#, ""),
        &options(None),
    );
    assert!(!c.has_errors(), "{:?}", diags(&c));
    assert!(c.values.is_empty());
    assert!(c.graph.is_some());
}
