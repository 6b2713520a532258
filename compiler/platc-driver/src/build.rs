//! `build`: check (which reads the user's values files and orders the
//! platform graph), merge the values files, and emit every output file in
//! memory. Writing them is the caller's business.

use std::path::Path;

use platc_emit::OutputFile;

use crate::fs::FileSystem;
use crate::{check_path, Compilation, InputError, Options};

/// The result of a build: the compilation (with every diagnostic) and, when
/// there is no error, the files to write.
pub struct Build {
    pub compilation: Compilation,
    /// Sorted by path; empty when there is any error.
    pub files: Vec<OutputFile>,
}

/// What `platc build` writes besides the Helm values and Kubernetes
/// manifests: Terraform (the default) or Argo CD Applications.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Target {
    #[default]
    Terraform,
    ArgoCd(platc_emit::gitops::ArgoCd),
}

/// How to build: the target, and where the output tree is relative to the
/// project (for Skaffold's build contexts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    pub target: Target,
    /// The project root relative to the output directory, `/`-separated:
    /// `..` for the default `out/` in the project directory.
    pub project_from_output: String,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            target: Target::Terraform,
            project_from_output: "..".into(),
        }
    }
}

/// Checks the project at `path` and emits its artifacts for the default
/// target, Terraform, with the output in `out/` of the project.
pub fn build_path(
    fs: &dyn FileSystem,
    path: &Path,
    options: &Options,
) -> Result<Build, InputError> {
    build_path_with(fs, path, options, &BuildOptions::default())
}

/// Checks the project at `path` and emits its artifacts for `build`'s
/// target.
pub fn build_path_with(
    fs: &dyn FileSystem,
    path: &Path,
    options: &Options,
    build: &BuildOptions,
) -> Result<Build, InputError> {
    let mut compilation = check_path(fs, path, options)?;
    // Argo CD syncs from Git: what only Terraform can pass on is an error
    // of this target (E0609), found before anything is emitted.
    if let (Target::ArgoCd(_), Some(platform)) = (&build.target, &compilation.platform) {
        if !compilation.has_errors() {
            let undeliverable = argocd_undeliverable(platform);
            compilation.diagnostics.extend(undeliverable);
        }
    }
    let files = match (&compilation.platform, &compilation.graph) {
        (Some(platform), Some(graph)) if !compilation.has_errors() => {
            let mut files =
                crate::timings::phase("emit", || emit(&compilation, platform, graph, build));
            files.push(audit(&compilation, platform));
            files.sort_by(|a, b| a.path.cmp(&b.path));
            files
        }
        _ => Vec::new(),
    };
    Ok(Build { compilation, files })
}

/// Checks the project at `path` and returns its platform graph (the check
/// builds it, and reports a cycle among the compilation's diagnostics).
pub fn graph_path(
    fs: &dyn FileSystem,
    path: &Path,
    options: &Options,
) -> Result<(Compilation, Option<platc_graph::PlatformGraph>), InputError> {
    let compilation = check_path(fs, path, options)?;
    let graph = compilation.graph.clone();
    Ok((compilation, graph))
}

/// `audit.json`: the endpoints of the platform built, and the policies and
/// waivers on every platform the check evaluated.
fn audit(c: &Compilation, platform: &platc_sema::Platform) -> OutputFile {
    let platforms = c.platforms();
    let evaluations: Vec<&platc_policy::Evaluation> = c.policy.iter().collect();
    let doc = platc_policy::audit::document(platform, &platforms, &evaluations);
    platc_emit::json_file("audit.json".to_string(), &doc)
}

/// The merged values of every instance of `platform` that has values
/// files (`None` for the others: emission converts their generated values
/// as it writes them).
fn merged_values(
    c: &Compilation,
    platform: &platc_sema::Platform,
) -> Vec<Option<serde_json::Value>> {
    let mut values = Vec::with_capacity(platform.instances.len());
    for inst in &platform.instances {
        if inst.values_files.is_empty() {
            values.push(None);
            continue;
        }
        let mut merged = platc_emit::helm::generated_values(inst);
        for vf in &inst.values_files {
            debug_assert!(
                c.values.contains_key(&crate::checks::values_key(vf)),
                "values file `{}` was not read by the check",
                vf.path
            );
            if let Some(overlay) = c.values_file(vf) {
                platc_emit::helm::merge(&mut merged, overlay.clone());
            }
        }
        values.push(Some(merged));
    }
    values
}

/// Emits the files of a platform that checked clean, merging the values
/// files the check has read; with `skaffold.yaml` when an object builds an
/// image locally (and then, for its profiles, the Helm values and
/// manifests of every other environment under `environments/NAME/`).
fn emit(
    c: &Compilation,
    platform: &platc_sema::Platform,
    graph: &platc_graph::PlatformGraph,
    build: &BuildOptions,
) -> Vec<OutputFile> {
    let values = crate::timings::phase("values", || merged_values(c, platform));
    let dependencies: Vec<Vec<usize>> = (0..platform.instances.len())
        .map(|i| graph.dependencies(i))
        .collect();
    let input = platc_emit::EmitInput {
        platform,
        order: graph.order(),
        dependencies: &dependencies,
        values: &values,
    };
    let mut files = match &build.target {
        Target::Terraform => platc_emit::emit(&input),
        Target::ArgoCd(argo) => platc_emit::emit_argocd(&input, argo),
    };
    let needs_skaffold = std::iter::once(platform)
        .chain(&c.others)
        .any(|p| !p.local_builds().is_empty());
    if !needs_skaffold {
        return files;
    }
    // Every environment, in declaration order: the selected one is the
    // tree itself, the others are emitted under `environments/NAME/`.
    struct Other {
        name: String,
        values: Vec<Option<serde_json::Value>>,
        order: Vec<usize>,
        dependencies: Vec<Vec<usize>>,
        own: bool,
    }
    let mut others: Vec<(Other, &platc_sema::Platform)> = Vec::new();
    for env in &platform.environments {
        if platform.environment.as_deref() == Some(env.as_str()) {
            others.push((
                Other {
                    name: env.clone(),
                    values: Vec::new(),
                    order: Vec::new(),
                    dependencies: Vec::new(),
                    own: true,
                },
                platform,
            ));
            continue;
        }
        let Some(p) = c
            .others
            .iter()
            .find(|p| p.environment.as_deref() == Some(env.as_str()))
        else {
            continue;
        };
        // The check built the graph of every environment without error.
        let Ok(g) = platc_graph::build(p) else {
            continue;
        };
        others.push((
            Other {
                name: env.clone(),
                values: merged_values(c, p),
                order: g.order().to_vec(),
                dependencies: (0..p.instances.len()).map(|i| g.dependencies(i)).collect(),
                own: false,
            },
            p,
        ));
    }
    let inputs: Vec<platc_emit::EmitInput> = others
        .iter()
        .map(|(o, p)| platc_emit::EmitInput {
            platform: p,
            order: &o.order,
            dependencies: &o.dependencies,
            values: &o.values,
        })
        .collect();
    let trees: Vec<Vec<OutputFile>> = others
        .iter()
        .zip(&inputs)
        .map(|((o, _), input)| {
            if o.own {
                Vec::new()
            } else {
                platc_emit::emit(input)
                    .into_iter()
                    .filter(|f| f.path.starts_with("helm/") || f.path.starts_with("kubernetes/"))
                    .collect()
            }
        })
        .collect();
    let selected = platc_emit::gitops::Variant {
        input: &input,
        files: &files,
        dir: String::new(),
    };
    let profiles: Vec<(String, platc_emit::gitops::Variant)> = others
        .iter()
        .zip(&inputs)
        .zip(&trees)
        .map(|(((o, _), env_input), tree)| {
            let variant = if o.own {
                platc_emit::gitops::Variant {
                    input: &input,
                    files: &files,
                    dir: String::new(),
                }
            } else {
                platc_emit::gitops::Variant {
                    input: env_input,
                    files: tree,
                    dir: format!("environments/{}", o.name),
                }
            };
            (o.name.clone(), variant)
        })
        .collect();
    let skaffold = platc_emit::gitops::skaffold(&selected, &profiles, &build.project_from_output);
    drop(profiles);
    let mut extra: Vec<OutputFile> = Vec::new();
    for ((o, _), tree) in others.iter().zip(trees) {
        for f in tree {
            extra.push(OutputFile {
                path: format!("environments/{}/{}", o.name, f.path),
                contents: f.contents,
            });
        }
    }
    files.extend(skaffold);
    files.extend(extra);
    files
}

/// Why the Argo CD target cannot deliver `platform`, if it cannot: the
/// message of the first of [`argocd_undeliverable`]'s errors.
pub fn argocd_unsupported(platform: &platc_sema::Platform) -> Option<String> {
    argocd_undeliverable(platform)
        .into_iter()
        .next()
        .map(|d| d.message)
}

/// What `--target argocd` cannot deliver (E0609): Argo CD reads the whole
/// output tree from Git, so a secret that comes from the environment of
/// `terraform apply`, and a secret passed as a Helm value (which
/// Terraform sets from that environment), have no way to the cluster.
/// One error per such secret and per such value.
pub fn argocd_undeliverable(platform: &platc_sema::Platform) -> Vec<platc_diag::Diagnostic> {
    const HELP: &str = "Argo CD reads everything from Git: take such secrets from Kubernetes Secrets (`kubernetes_secret`, `external_secret`) and pass their names (`.secret_name`, `.secret_key`), or build with `--target terraform`";
    let mut out = Vec::new();
    for s in &platform.secrets {
        if matches!(s.source, platc_sema::SecretSource::Env { .. }) {
            out.push(
                platc_diag::Diagnostic::error(
                    "E0609",
                    format!(
                        "secret `{}` comes from environment variables, which only Terraform passes on: `--target argocd` cannot deliver it",
                        s.name
                    ),
                    s.span,
                )
                .with_label("read from the environment of `terraform apply`")
                .with_help(HELP),
            );
        }
    }
    for inst in &platform.instances {
        for sv in &inst.sensitive_values {
            let path = platc_emit::helm::set_path(&sv.path);
            out.push(
                platc_diag::Diagnostic::error(
                    "E0609",
                    format!(
                        "instance `{}` passes secret `{}` as a Helm value ({}), which only Terraform passes on: `--target argocd` cannot deliver it",
                        inst.name, sv.secret, path
                    ),
                    inst.span,
                )
                .with_label(format!("sets `{path}` from a secret"))
                .with_help(HELP),
            );
        }
    }
    out
}
