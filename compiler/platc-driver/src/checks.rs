//! The checks that follow analysis, on the base platform and on the
//! platform under every environment: reading and validating the user's
//! values files (E0601, E0602, E0603) and building the deployment graph (a
//! cycle through `requires` edges is E0320). `platc check` runs them, so a
//! CI job that only checks catches what `platc build` would refuse.
//!
//! Each values file named at one place is read once, whichever variants
//! name it; a diagnostic is reported once (same code, message and span),
//! and one that only an environment's platform gives carries the note
//! ``in environment `NAME` ``, as analysis does for evaluation.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// The largest values file read, as for source files (8 MiB).
const MAX_VALUES_FILE: usize = platc_syntax::MAX_FILE_SIZE;

use platc_diag::{Diagnostic, SourceMap, Span};
use platc_sema::{Platform, ValuesFile};

use crate::fs::{normalize, FileSystem};
use crate::Compilation;

/// Where a values file is named and its path as written: one read.
pub(crate) type ValuesKey = (Span, String);

pub(crate) fn values_key(vf: &ValuesFile) -> ValuesKey {
    (vf.span, vf.path.clone())
}

/// Whether [`run`] reads the values files.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValuesFiles {
    Read,
    /// A snippet has no files beside it: nothing to read.
    Skip,
}

/// Runs the checks on a compilation that analysis left without errors:
/// adds their diagnostics (sorted), and on success fills in the graph and
/// the values of [`Compilation::platform`]; on an error clears the
/// platforms, as analysis does.
pub(crate) fn run(fs: &dyn FileSystem, c: &mut Compilation, values_files: ValuesFiles) {
    if c.has_errors() {
        return;
    }
    let selected = c.platform.as_ref();
    // The base platform first, then the environments in declaration order:
    // a diagnostic the base platform gives carries no environment note.
    let mut variants: Vec<&Platform> = selected.into_iter().chain(&c.others).collect();
    variants.sort_by_key(|p| {
        p.environment
            .as_ref()
            .map(|e| p.environments.iter().position(|x| x == e))
    });
    let mut diagnostics = Vec::new();
    let mut reported: HashSet<(&'static str, String, Span)> = HashSet::new();
    let mut attempted: HashSet<ValuesKey> = HashSet::new();
    let mut read: BTreeMap<ValuesKey, Option<serde_json::Value>> = BTreeMap::new();
    let mut graph = None;
    for p in variants {
        let mut report = |d: Diagnostic| {
            if reported.insert((d.code, d.message.clone(), d.primary.span)) {
                diagnostics.push(match &p.environment {
                    Some(env) => d.with_note(format!("in environment `{env}`")),
                    None => d,
                });
            }
        };
        if values_files == ValuesFiles::Read {
            for vf in p.instances.iter().flat_map(|i| &i.values_files) {
                let key = values_key(vf);
                if !attempted.insert(key.clone()) {
                    continue;
                }
                match read_values_file(fs, &c.sources, &c.root, vf) {
                    Ok(value) => {
                        read.insert(key, value);
                    }
                    Err(d) => report(*d),
                }
            }
        }
        match platform_graph(p) {
            Ok(g) if selected.is_some_and(|s| std::ptr::eq(s, p)) => graph = Some(g),
            Ok(_) => {}
            Err(d) => report(*d),
        }
    }
    // The selected platform's values, for `build` to merge.
    let wanted: HashSet<ValuesKey> = selected
        .into_iter()
        .flat_map(|p| &p.instances)
        .flat_map(|i| &i.values_files)
        .map(values_key)
        .collect();
    read.retain(|k, _| wanted.contains(k));
    c.diagnostics.extend(diagnostics);
    platc_diag::sort_diagnostics(&mut c.diagnostics);
    if c.has_errors() {
        c.platform = None;
        c.others.clear();
    } else {
        c.graph = graph;
        c.values = read;
    }
}

/// The platform graph; a cycle through `requires` edges (reference cycles
/// are reported by analysis) is an E0320 diagnostic.
fn platform_graph(platform: &Platform) -> Result<platc_graph::PlatformGraph, Box<Diagnostic>> {
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
    sources: &SourceMap,
    root: &Path,
    vf: &ValuesFile,
) -> Result<Option<serde_json::Value>, Box<Diagnostic>> {
    let declaring = sources.get(vf.span.file).name();
    let relative = Path::new(declaring)
        .parent()
        .unwrap_or(Path::new(""))
        .join(&vf.path);
    let target = normalize(&root.join(relative));
    let outside = |p: &Path| !p.starts_with(root);
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
        .read_limited(&canonical, MAX_VALUES_FILE)
        .map_err(|e| Box::new(unreadable(vf, &e.to_string())))?;
    if bytes.len() > MAX_VALUES_FILE {
        return Err(Box::new(unreadable(
            vf,
            &format!("larger than {MAX_VALUES_FILE} bytes, the most platc reads"),
        )));
    }
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

fn unreadable(vf: &ValuesFile, why: &str) -> Diagnostic {
    Diagnostic::error(
        "E0602",
        format!("cannot read values file `{}`", vf.path),
        vf.span,
    )
    .with_label(why.to_string())
    .with_help("check the file and its permissions")
}
