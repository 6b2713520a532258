//! The checks that follow analysis, on the base platform and on the
//! platform under every environment: reading and validating the user's
//! values files (E0601, E0602, E0603), building the deployment graph (a
//! cycle through `requires` edges is E0320) and evaluating the policies. `platc check` runs them, so a
//! CI job that only checks catches what `platc build` would refuse.
//!
//! Each values file named at one place is read once, whichever variants
//! name it; a diagnostic is reported once (same code, message and span),
//! and one that only an environment's platform gives carries the note
//! ``in environment `NAME` ``, as analysis does for evaluation.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The largest values file read, as for source files (8 MiB).
const MAX_VALUES_FILE: usize = platc_syntax::MAX_FILE_SIZE;

use platc_diag::{Diagnostic, SourceMap, Span};
use platc_sema::{ChartSchema, Platform, ValuesFile};

use crate::charts::{ReadFile, UserSchema};
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
        // Analysis may have found nothing wrong while loading did (an
        // import not found): the platform is still not a checked one.
        c.platform = None;
        c.others.clear();
        return;
    }
    let selected = c.platform.as_ref();
    if let Some(p) = selected {
        c.policies = p.policies.clone();
        c.policy_packs = p.policy_packs.clone();
    }
    // The base platform first, then the environments in declaration order:
    // a diagnostic the base platform gives carries no environment note.
    let mut variants: Vec<&Platform> = selected.into_iter().chain(&c.others).collect();
    let variants_count = variants.len();
    variants.sort_by_key(|p| {
        p.environment
            .as_ref()
            .map(|e| p.environments.iter().position(|x| x == e))
    });
    let mut diagnostics = Vec::new();
    let mut reported: HashSet<(&'static str, String, Span)> = HashSet::new();
    let mut attempted: HashSet<ValuesKey> = HashSet::new();
    let mut read: BTreeMap<ValuesKey, ReadFile> = BTreeMap::new();
    let mut schemas: HashMap<(Span, String), Option<UserSchema>> = HashMap::new();
    let mut graph = None;
    let mut evaluations = Vec::new();
    let mut lookups = crate::charts::Lookups::default();
    let sources = &mut c.sources;
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
                match read_values_file(fs, sources, &c.root, vf) {
                    Ok(file) => {
                        read.insert(key, file);
                    }
                    Err(d) => report(*d),
                }
            }
            for cs in &p.chart_schemas {
                let key = (cs.span, cs.path.clone());
                if schemas.contains_key(&key) {
                    continue;
                }
                let schema = match read_chart_schema(fs, sources, &c.root, cs) {
                    Ok(schema) => Some(schema),
                    Err(d) => {
                        report(*d);
                        None
                    }
                };
                schemas.insert(key, schema);
            }
        }
        // Images built locally: their annotations always, their files
        // when the project is on a file system.
        let files_fs = (values_files == ValuesFiles::Read).then_some(fs);
        for inst in &p.instances {
            for r in &inst.resources {
                if let Some(Err(d)) = check_local_build(files_fs, &c.root, inst, r) {
                    report(*d);
                }
            }
        }
        for inst in &p.instances {
            let files: Vec<&ReadFile> = inst
                .values_files
                .iter()
                .filter_map(|vf| read.get(&values_key(vf)))
                .collect();
            let schema = inst.chart.as_ref().and_then(|chart| {
                let cs = p.chart_schemas.iter().find(|cs| cs.chart == chart.name)?;
                schemas.get(&(cs.span, cs.path.clone()))?.as_ref()
            });
            crate::charts::check_instance(inst, &files, schema, &mut lookups, &mut report);
        }
        match platform_graph(p) {
            Ok(g) => {
                // The policies, over the platform, its graph and the values
                // files of its instances.
                let user_values = |i: &platc_sema::Instance| -> Vec<&serde_json::Value> {
                    i.values_files
                        .iter()
                        .filter_map(|vf| read.get(&values_key(vf))?.value.as_ref())
                        .collect()
                };
                let evaluation = crate::timings::phase("policies", || {
                    platc_policy::evaluate(p, &g, &user_values)
                });
                for d in evaluation.diagnostics() {
                    report(d);
                }
                evaluations.push(evaluation);
                if selected.is_some_and(|s| std::ptr::eq(s, p)) {
                    graph = Some(g);
                }
            }
            Err(d) => report(*d),
        }
    }
    // A waiver that exempts nothing anywhere (a reversed edge, the wrong
    // policy, a fixed finding) is reported: it would hide nothing today, and
    // mislead the reader tomorrow.
    if evaluations.len() == variants_count {
        if let Some(p) = selected {
            for (wi, w) in p.waivers.iter().enumerate() {
                let used = evaluations
                    .iter()
                    .flat_map(|e| &e.findings)
                    .any(|f| f.waived_by == Some(wi));
                let active = p
                    .policies
                    .iter()
                    .find(|x| x.name == w.policy)
                    .is_some_and(|x| x.active(p));
                if !used && !w.expired && active {
                    diagnostics.push(
                        Diagnostic::new(
                            "W0502",
                            format!(
                                "waiver of `{}` for `{}` exempts nothing",
                                w.policy, w.target
                            ),
                            platc_diag::Label::new(w.span, "no failure of the policy matches it"),
                        )
                        .with_note("checked on the base platform and every environment")
                        .with_help(
                            "delete the waiver, or check its target (an edge is written `from -> to`, from the instance that refers)",
                        ),
                    );
                }
            }
        }
    }
    // The values of the selected platform, for `build` to merge; and of
    // the others when an image is built locally (skaffold.yaml's profiles
    // build every environment).
    let skaffold = selected
        .into_iter()
        .chain(&c.others)
        .any(|p| !p.local_builds().is_empty());
    let others: &[Platform] = if skaffold { &c.others } else { &[] };
    let wanted: HashSet<ValuesKey> = selected
        .into_iter()
        .chain(others)
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
        c.values = read.into_iter().map(|(k, f)| (k, f.value)).collect();
    }
    c.policy = evaluations;
}

/// The platform graph; a cycle through `requires` edges (reference cycles
/// are reported by analysis) is an E0320 diagnostic.
fn platform_graph(platform: &Platform) -> Result<platc_graph::PlatformGraph, Box<Diagnostic>> {
    crate::timings::phase("graph", || platc_graph::build(platform)).map_err(|cycle| {
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

/// Why a file a program names cannot be read.
enum ReadError {
    /// Outside the project root (through a symbolic link when `true`).
    Outside(bool),
    /// Not found; the most similar path that exists, as it would be
    /// written.
    NotFound(Option<String>),
    Unreadable(String),
}

/// Reads a file named at `span` by a path relative to the file that names
/// it, inside the project root, at most `max` bytes of UTF-8: its name
/// relative to the root, and its text.
fn read_project_file(
    fs: &dyn FileSystem,
    sources: &SourceMap,
    root: &Path,
    span: Span,
    path: &str,
    max: usize,
) -> Result<(String, String), ReadError> {
    let declaring = sources.get(span.file).name();
    let relative = Path::new(declaring)
        .parent()
        .unwrap_or(Path::new(""))
        .join(path);
    let name = normalize(&relative).to_string_lossy().into_owned();
    let target = normalize(&root.join(relative));
    let outside = |p: &Path| !p.starts_with(root);
    if outside(&target) {
        return Err(ReadError::Outside(false));
    }
    let canonical: PathBuf = match fs.canonicalize(&target) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let from =
                normalize(&root.join(Path::new(declaring).parent().unwrap_or(Path::new(""))));
            return Err(ReadError::NotFound(crate::fs::nearest_existing(
                fs, &from, path,
            )));
        }
        Err(e) => return Err(ReadError::Unreadable(e.to_string())),
    };
    if outside(&canonical) {
        return Err(ReadError::Outside(true));
    }
    let bytes = fs
        .read_limited(&canonical, max)
        .map_err(|e| ReadError::Unreadable(e.to_string()))?;
    if bytes.len() > max {
        return Err(ReadError::Unreadable(format!(
            "larger than {max} bytes, the most platc reads"
        )));
    }
    let text =
        String::from_utf8(bytes).map_err(|_| ReadError::Unreadable("not valid UTF-8".into()))?;
    Ok((name, text))
}

/// Reads one values file (its value is `None` when it is empty) and adds
/// it to the sources, for diagnostics inside it.
fn read_values_file(
    fs: &dyn FileSystem,
    sources: &mut SourceMap,
    root: &Path,
    vf: &ValuesFile,
) -> Result<ReadFile, Box<Diagnostic>> {
    let (name, text) =
        match read_project_file(fs, sources, root, vf.span, &vf.path, MAX_VALUES_FILE) {
            Ok(read) => read,
            Err(ReadError::Outside(symlink)) => {
                let d = Diagnostic::error(
                    "E0603",
                    format!("values file `{}` lies outside the project root", vf.path),
                    vf.span,
                )
                .with_label("outside the project directory")
                .with_help("keep values files inside the project directory");
                return Err(Box::new(if symlink {
                    d.with_note(format!(
                        "`{}` is a symbolic link to a file outside the project",
                        vf.path
                    ))
                } else {
                    d
                }));
            }
            Err(ReadError::NotFound(near)) => {
                let d = Diagnostic::error(
                    "E0601",
                    format!("values file `{}` does not exist", vf.path),
                    vf.span,
                )
                .with_label("no such file");
                return Err(Box::new(match near {
                    Some(near) => d
                        .with_help(format!("did you mean \"{near}\"?"))
                        .with_note("the path is relative to the file that names it"),
                    None => d.with_help("the path is relative to the file that names it"),
                }));
            }
            Err(ReadError::Unreadable(why)) => return Err(Box::new(unreadable(vf, &why))),
        };
    if text.trim().is_empty() {
        let file = sources.add(name, text);
        return Ok(ReadFile {
            value: None,
            file,
            positions: Default::default(),
        });
    }
    // Helm's own reading (sigs.k8s.io/yaml over go-yaml v2), bounded: see
    // the yaml11 module for what each problem means.
    let (value, positions) =
        crate::yaml11::read(&text).map_err(|e| Box::new(yaml_diagnostic(vf, e)))?;
    let value = match value {
        serde_json::Value::Null => None,
        serde_json::Value::Object(_) => Some(value),
        other => {
            let kind = match other {
                serde_json::Value::Array(_) => "a list",
                serde_json::Value::String(_) => "a string",
                _ => "a plain value",
            };
            return Err(Box::new(
                Diagnostic::error(
                    "E0602",
                    format!("values file `{}` is {kind}, not a map of values", vf.path),
                    vf.span,
                )
                .with_label("the top level must be a map")
                .with_help("Helm values files map keys to values: `replicaCount: 2`"),
            ));
        }
    };
    let file = sources.add(name, text);
    return Ok(ReadFile {
        value,
        file,
        positions,
    });

    /// E0602 for a values file that cannot be read as Helm reads it.
    fn yaml_diagnostic(vf: &ValuesFile, e: crate::yaml11::YamlError) -> Diagnostic {
        use crate::yaml11::{HelmRefusal as R, Problem, MAX_DEPTH, MAX_TEXT, MAX_VALUES};
        let at = format!("at line {}, column {} of this file", e.line, e.column);
        // Where a limit is passed.
        let by = format!("by line {}, column {} of this file", e.line, e.column);
        let path = &vf.path;
        let helm_too = "; Helm would reject this file too";
        let (message, label, help) = match e.problem {
            Problem::Syntax {
                message,
                helm: true,
            } => (
                format!("values file `{path}` is not valid YAML"),
                format!("{message} {at}"),
                format!("fix the YAML{helm_too}"),
            ),
            Problem::Syntax {
                message,
                helm: false,
            } => (
                format!("platc cannot read values file `{path}`"),
                format!("{message} {at}"),
                "platc's YAML reader refuses this part of the file, which Helm's may accept: \
                 write it more plainly"
                    .to_string(),
            ),
            Problem::Helm(why) => {
                let (label, help) = match why {
                    R::Tag { found, text, tag } => (
                        format!("cannot decode {found} `{text}` as a {tag}"),
                        "remove the tag, or write a value of that type",
                    ),
                    R::Binary => (
                        "!!binary value contains invalid base64 data".to_string(),
                        "fix the base64 text, or remove `!!binary` to keep it as a string",
                    ),
                    R::MergeNotMap => (
                        "map merge requires map or sequence of maps as the value".to_string(),
                        "merge (`<<`) only maps, or quote `\"<<\"` to use it as a key",
                    ),
                    R::CollectionKey => (
                        "a list or map is used as a key".to_string(),
                        "keys must be strings, numbers or booleans",
                    ),
                    R::ContainsItself { anchor } => (
                        format!("anchor `{anchor}` value contains itself"),
                        "an alias cannot repeat the node that holds it",
                    ),
                    R::ExcessiveAliasing => (
                        "document contains excessive aliasing".to_string(),
                        "Helm's YAML reader refuses a document whose values nearly all come \
                         from aliases: write the values out",
                    ),
                    R::NullKey { text } => (
                        format!("the key `{text}` is null, which Helm cannot make a string key"),
                        "quote the key to use it as text",
                    ),
                    R::BigKey { text } => (
                        format!(
                            "the key `{text}` is an integer above 2^63 - 1, which Helm cannot \
                             make a string key"
                        ),
                        "quote the key to use it as text",
                    ),
                    R::NotJson { text } => (
                        format!("`{text}` is a number JSON cannot hold"),
                        "quote it to use it as text",
                    ),
                };
                (
                    format!("values file `{path}` is rejected by Helm's YAML reader"),
                    format!("{label} {at}"),
                    format!("{help}{helm_too}"),
                )
            }
            Problem::SameKey { first, second, key } => (
                format!("values file `{path}` sets the key `{key}` twice"),
                format!(
                    "`{first}` and `{second}` are both the key `{key}` to Helm, which keeps one \
                     of them at random (the second {at})"
                ),
                "write the key once".to_string(),
            ),
            Problem::TooDeep { alias } => (
                format!("values file `{path}` is nested too deeply"),
                format!(
                    "{} more than {MAX_DEPTH} levels deep {at}",
                    if alias {
                        "its aliases nest lists and maps"
                    } else {
                        "lists and maps nest"
                    }
                ),
                format!("platc reads values nested at most {MAX_DEPTH} levels deep: flatten them"),
            ),
            Problem::TooMany { alias } => (
                format!("values file `{path}` holds too many values"),
                if alias {
                    format!(
                        "its aliases expand it to more than {} values {by}",
                        platc_diag::thousands(MAX_VALUES as u64)
                    )
                } else {
                    format!(
                        "it holds more than {} values {by}",
                        platc_diag::thousands(MAX_VALUES as u64)
                    )
                },
                format!(
                    "platc reads at most {} values from a values file, counting each alias as the \
                     values it repeats",
                    platc_diag::thousands(MAX_VALUES as u64)
                ),
            ),
            Problem::TooLong { alias } => (
                format!("values file `{path}` holds too much text"),
                format!(
                    "{} more than {} MiB of text {by}",
                    if alias {
                        "its aliases expand it to"
                    } else {
                        "it holds"
                    },
                    MAX_TEXT >> 20
                ),
                format!(
                    "platc reads at most {} MiB of text from a values file, counting each alias \
                     as the text it repeats",
                    MAX_TEXT >> 20
                ),
            ),
        };
        Diagnostic::error("E0602", message, vf.span)
            .with_label(label)
            .with_help(help)
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

/// The largest chart schema read (airflow's is about 0.5 MiB).
const MAX_SCHEMA_FILE: usize = 16 << 20;

/// Reads and compiles a chart schema the platform names (E0607).
fn read_chart_schema(
    fs: &dyn FileSystem,
    sources: &SourceMap,
    root: &Path,
    cs: &ChartSchema,
) -> Result<UserSchema, Box<Diagnostic>> {
    let fail = |label: String| {
        Box::new(
            Diagnostic::error(
                "E0607",
                format!(
                    "cannot use `{}` as the schema of chart `{}`",
                    cs.path, cs.chart
                ),
                cs.span,
            )
            .with_label(label)
            .with_help(
                "point at the chart's values.schema.json, relative to the file that names it",
            ),
        )
    };
    let text = match read_project_file(fs, sources, root, cs.span, &cs.path, MAX_SCHEMA_FILE) {
        Ok((_, text)) => text,
        Err(ReadError::Outside(_)) => return Err(fail("outside the project directory".into())),
        Err(ReadError::NotFound(_)) => return Err(fail("no such file".into())),
        Err(ReadError::Unreadable(why)) => return Err(fail(why)),
    };
    let schema = platc_charts::Schema::parse(&text).map_err(fail)?;
    Ok(UserSchema {
        schema,
        span: cs.span,
        path: cs.path.clone(),
    })
}

/// A locally built image of `r` (spec 6.3.9): its annotations are valid,
/// and its build context is a directory of the project holding its
/// Dockerfile (E0608), the files looked at when `fs` is given. `None`
/// when `r` builds nothing.
fn check_local_build(
    fs: Option<&dyn FileSystem>,
    root: &Path,
    inst: &platc_sema::Instance,
    r: &platc_sema::Resource,
) -> Option<Result<(), Box<Diagnostic>>> {
    let build = r.local_build()?;
    let diagnostic = |message: String, help: &str| {
        Box::new(
            Diagnostic::error("E0608", message, inst.span)
                .with_label(format!(
                    "its resource `{}` builds an image from local sources",
                    r.name
                ))
                .with_secondary(r.span, "the resource")
                .with_help(help.to_string()),
        )
    };
    let b =
        match build {
            Ok(b) => b,
            Err(why) => return Some(Err(diagnostic(
                format!("invalid image build of `{}`: {why}", inst.name),
                "set the build context to a directory of the project, relative to the project root",
            ))),
        };
    let Some(fs) = fs else {
        return Some(Ok(()));
    };
    let context = root.join(&b.context);
    let inside = |p: &Path| {
        let (Ok(p), Ok(r)) = (fs.canonicalize(p), fs.canonicalize(root)) else {
            return false;
        };
        p.starts_with(r)
    };
    if !fs.is_dir(&context) || !inside(&context) {
        return Some(Err(diagnostic(
            format!(
                "the build context `{}` of `{}` is not a directory of the project",
                b.context, inst.name
            ),
            "the context is relative to the project root (the directory of the root file)",
        )));
    }
    let dockerfile = context.join(&b.dockerfile);
    if !fs.is_file(&dockerfile) || !inside(&dockerfile) {
        return Some(Err(diagnostic(
            format!(
                "the build context `{}` of `{}` has no Dockerfile `{}`",
                b.context, inst.name, b.dockerfile
            ),
            "the Dockerfile is relative to the build context",
        )));
    }
    Some(Ok(()))
}
