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

/// Checks the project at `path` and emits its artifacts.
pub fn build_path(
    fs: &dyn FileSystem,
    path: &Path,
    options: &Options,
) -> Result<Build, InputError> {
    let compilation = check_path(fs, path, options)?;
    let files = match (&compilation.platform, &compilation.graph) {
        (Some(platform), Some(graph)) if !compilation.has_errors() => {
            let mut files = emit(&compilation, platform, graph);
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

/// Emits the files of a platform that checked clean, merging the values
/// files the check has read.
fn emit(
    c: &Compilation,
    platform: &platc_sema::Platform,
    graph: &platc_graph::PlatformGraph,
) -> Vec<OutputFile> {
    let mut values = Vec::with_capacity(platform.instances.len());
    for inst in &platform.instances {
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
        values.push(merged);
    }
    let dependencies: Vec<Vec<usize>> = (0..platform.instances.len())
        .map(|i| graph.dependencies(i))
        .collect();
    platc_emit::emit(&platc_emit::EmitInput {
        platform,
        order: graph.order(),
        dependencies: &dependencies,
        values: &values,
    })
}
