//! `build`: check, order the platform graph, read and merge the user's
//! values files, and emit every output file in memory. Writing them is the
//! caller's business.

use std::path::{Path, PathBuf};

use platc_diag::{Diagnostic, Span};
use platc_emit::OutputFile;

use crate::fs::{normalize, FileSystem};
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
    let mut compilation = check_path(fs, path, options)?;
    let files = match &compilation.platform {
        Some(platform) if !compilation.has_errors() => match emit(fs, &compilation, platform) {
            Ok(files) => files,
            Err(diags) => {
                compilation.diagnostics.extend(diags);
                platc_diag::sort_diagnostics(&mut compilation.diagnostics);
                Vec::new()
            }
        },
        _ => Vec::new(),
    };
    if compilation.has_errors() {
        compilation.platform = None;
        return Ok(Build {
            compilation,
            files: Vec::new(),
        });
    }
    Ok(Build { compilation, files })
}

/// Checks the project at `path` and builds its platform graph. A cycle is
/// added to the compilation's diagnostics.
pub fn graph_path(
    fs: &dyn FileSystem,
    path: &Path,
    options: &Options,
) -> Result<(Compilation, Option<platc_graph::PlatformGraph>), InputError> {
    let mut compilation = check_path(fs, path, options)?;
    let graph = match &compilation.platform {
        Some(p) if !compilation.has_errors() => match platform_graph(p) {
            Ok(g) => Some(g),
            Err(d) => {
                compilation.diagnostics.push(*d);
                None
            }
        },
        _ => None,
    };
    Ok((compilation, graph))
}

fn emit(
    fs: &dyn FileSystem,
    c: &Compilation,
    platform: &platc_sema::Platform,
) -> Result<Vec<OutputFile>, Vec<Diagnostic>> {
    let graph = platform_graph(platform).map_err(|d| vec![*d])?;
    let mut diagnostics = Vec::new();
    let mut values = Vec::with_capacity(platform.instances.len());
    for inst in &platform.instances {
        let mut merged = platc_emit::helm::generated_values(inst);
        for vf in &inst.values_files {
            match read_values_file(fs, c, vf) {
                Ok(Some(overlay)) => platc_emit::helm::merge(&mut merged, overlay),
                Ok(None) => {}
                Err(d) => diagnostics.push(*d),
            }
        }
        values.push(merged);
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let dependencies: Vec<Vec<usize>> = (0..platform.instances.len())
        .map(|i| graph.dependencies(i))
        .collect();
    Ok(platc_emit::emit(&platc_emit::EmitInput {
        platform,
        order: graph.order(),
        dependencies: &dependencies,
        values: &values,
    }))
}

/// The platform graph; a cycle through `requires` edges (reference cycles
/// are reported by analysis) is an E0320 diagnostic.
pub(crate) fn platform_graph(
    platform: &platc_sema::Platform,
) -> Result<platc_graph::PlatformGraph, Box<Diagnostic>> {
    platc_graph::build(platform).map_err(|cycle| {
        let names = cycle.names();
        let span_of = |n: &str| platform.instance(n).map(|i| i.span);
        let why = |k: usize| {
            let edge = &cycle.edges()[k];
            let next = &names[(k + 1) % names.len()];
            if edge.attr == platc_graph::REQUIRES_ATTR {
                format!("`{}` requires a `{}`, which `{next}` provides", names[k], edge.flows)
            } else {
                format!("`{}` refers to `{next}` in `{}`", names[k], edge.attr)
            }
        };
        let mut d = Diagnostic::error(
            "E0320",
            format!("instances depend on each other in a cycle: {} -> {}", names.join(" -> "), names[0]),
            span_of(&names[0]).unwrap_or(Span::new(platc_diag::FileId(0), 0, 0)),
        )
        .with_label(why(0));
        for (k, name) in names.iter().enumerate().skip(1) {
            if let Some(span) = span_of(name) {
                d = d.with_secondary(span, why(k));
            }
        }
        Box::new(d.with_help("a required interface must be provided by an instance that does not itself depend on the requirer"))
    })
}

/// Reads one values file: `Ok(None)` for an empty file.
fn read_values_file(
    fs: &dyn FileSystem,
    c: &Compilation,
    vf: &platc_sema::ValuesFile,
) -> Result<Option<serde_json::Value>, Box<Diagnostic>> {
    let declaring = c.sources.get(vf.span.file).name();
    let relative = Path::new(declaring)
        .parent()
        .unwrap_or(Path::new(""))
        .join(&vf.path);
    let target = normalize(&c.root.join(relative));
    let outside = |p: &Path| !p.starts_with(&c.root);
    let escape = || {
        Diagnostic::error(
            "E0603",
            format!("values file `{}` lies outside the project root", vf.path),
            vf.span,
        )
        .with_label("outside the project directory")
        .with_help("keep values files inside the project directory")
    };
    if outside(&target) {
        return Err(Box::new(escape()));
    }
    let canonical: PathBuf = match fs.canonicalize(&target) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Box::new(
                Diagnostic::error(
                    "E0601",
                    format!("values file `{}` does not exist", vf.path),
                    vf.span,
                )
                .with_label("no such file")
                .with_help("the path is relative to the file that names it"),
            ));
        }
        Err(e) => return Err(Box::new(unreadable(vf, &e.to_string()))),
    };
    if outside(&canonical) {
        return Err(Box::new(escape().with_note(format!(
            "`{}` is a symbolic link to a file outside the project",
            vf.path
        ))));
    }
    let bytes = fs
        .read(&canonical)
        .map_err(|e| Box::new(unreadable(vf, &e.to_string())))?;
    let text = String::from_utf8(bytes).map_err(|_| Box::new(unreadable(vf, "not valid UTF-8")))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let value: serde_json::Value = serde_yaml_ng::from_str(&text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
            .unwrap_or_default();
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Box::new(
            Diagnostic::error(
                "E0602",
                format!("values file `{}` is not valid YAML", vf.path),
                vf.span,
            )
            .with_label(format!("{msg}{at} of this file"))
            .with_help("fix the YAML; Helm would reject this file too"),
        )
    })?;
    // The YAML 1.2 reading above gives the precise errors; Helm reads the
    // file with YAML 1.1 rules (`yes` is a boolean), and so does platc.
    let value = crate::yaml11::parse(&text).unwrap_or(value);
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Object(_) => Ok(Some(value)),
        other => {
            let kind = match other {
                serde_json::Value::Array(_) => "a list",
                serde_json::Value::String(_) => "a string",
                _ => "a plain value",
            };
            Err(Box::new(
                Diagnostic::error(
                    "E0602",
                    format!("values file `{}` is {kind}, not a map of values", vf.path),
                    vf.span,
                )
                .with_label("the top level must be a map")
                .with_help("Helm values files map keys to values: `replicaCount: 2`"),
            ))
        }
    }
}

fn unreadable(vf: &platc_sema::ValuesFile, why: &str) -> Diagnostic {
    Diagnostic::error(
        "E0602",
        format!("cannot read values file `{}`", vf.path),
        vf.span,
    )
    .with_label(why.to_string())
    .with_help("check the file and its permissions")
}
