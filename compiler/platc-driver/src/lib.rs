//! One compile entry point shared by the CLI, the tests and the benchmarks.
//!
//! Architecture invariant: the driver reaches files only through the
//! [`FileSystem`] trait, embeds the stdlib, and depends on no renderer or
//! CLI crate. It returns data (sources, diagnostics, the checked platform);
//! printing and exit codes are the caller's business.

mod build;
mod charts;
mod checks;
pub mod doc;
mod fs;
mod loader;
mod parse_cache;
#[doc(hidden)]
pub mod synthetic;
pub mod timings;
mod yaml11;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use platc_diag::{Diagnostic, SourceMap, Span};
use platc_syntax::ast::Date;

pub use build::{
    argocd_undeliverable, argocd_unsupported, build_path, build_path_with, graph_path, Build,
    BuildOptions, Target,
};
pub use fs::{FileSystem, MemoryFs, RealFs};
pub use parse_cache::ParseCache;
pub use platc_emit::gitops::ArgoCd;
pub use platc_emit::OutputFile;
pub use platc_graph as graph;
pub use platc_sema::{Platform, Policy, PolicySeverity, ValuesFile};
/// The canonical formatter of `.plat` files (`platc fmt`).
pub use platc_syntax::fmt;

mod stdlib {
    include!(concat!(env!("OUT_DIR"), "/stdlib.rs"));
}

/// The name of a project's root file.
pub const ROOT_FILE: &str = "main.plat";

/// The embedded stdlib modules: `(name, source)`, e.g. `("std/postgres", "...")`.
pub fn stdlib_modules() -> &'static [(&'static str, &'static str)] {
    stdlib::STDLIB
}

/// Options of one compilation.
#[derive(Clone, Debug)]
pub struct Options {
    /// Today's date (waiver expiry); tests fix it.
    pub today: Date,
    /// Treat a root file without a `platform` block as a library (for
    /// snippets such as the spec's examples).
    pub allow_missing_platform: bool,
    /// Apply this environment's overrides to the checked platform.
    pub environment: Option<String>,
    /// Turn every warning into an error (`--deny-warnings`).
    pub deny_warnings: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            today: today(),
            allow_missing_platform: false,
            environment: None,
            deny_warnings: false,
        }
    }
}

/// The result of checking a project.
pub struct Compilation {
    pub sources: SourceMap,
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The checked platform, when there is no error.
    pub platform: Option<Platform>,
    /// The platform under the other environments (and the base platform
    /// when an environment is selected), when there is no error. The check
    /// reads their values files and builds their graphs too.
    pub others: Vec<Platform>,
    /// The deployment graph of `platform`, when there is no error.
    pub graph: Option<graph::PlatformGraph>,
    /// The user's values files of `platform` (and of `others` when the
    /// platform builds an image locally: skaffold.yaml's profiles), read and validated by the
    /// check, keyed by where each is named and its path as written (see
    /// [`Compilation::values_file`]): `None` for an empty file. `build`
    /// merges these without reading the disk again. Empty when there is an
    /// error, and for [`check_source`] (a snippet has no files beside it).
    pub values: BTreeMap<(Span, String), Option<serde_json::Value>>,
    /// The environments the program declares, when it parsed.
    pub environments: Option<Vec<String>>,
    /// The project root: the directory of the root file.
    pub root: PathBuf,
    /// The policies' results on the base platform and under every
    /// environment (base first, then in declaration order), when analysis
    /// found no error: the base of the audit record and of SARIF.
    pub policy: Vec<platc_policy::Evaluation>,
    /// The policies of the program and the built-in packs in force (of
    /// the selected platform), when analysis found no error: kept even when
    /// a policy fails, for `platc policy list` and SARIF.
    pub policies: Vec<platc_sema::Policy>,
    pub policy_packs: Vec<String>,
}

impl Compilation {
    /// Every platform checked: the selected one and the others, base
    /// first, then the environments in declaration order.
    pub fn platforms(&self) -> Vec<&Platform> {
        let mut all: Vec<&Platform> = self.platform.iter().chain(&self.others).collect();
        all.sort_by_key(|p| {
            p.environment
                .as_ref()
                .map(|e| p.environments.iter().position(|x| x == e))
        });
        all
    }
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The parsed contents of one of `platform`'s values files: `None` for
    /// an empty file (or one the check did not read).
    pub fn values_file(&self, vf: &ValuesFile) -> Option<&serde_json::Value> {
        self.values
            .get(&checks::values_key(vf))
            .and_then(Option::as_ref)
    }
}

/// A failure that has no place in the user's source: the input itself
/// cannot be found or read. The CLI reports these with exit code 2.
#[derive(Debug)]
pub enum InputError {
    NotFound(PathBuf),
    NoRootFile(PathBuf),
    Unreadable(PathBuf, std::io::Error),
    NotUtf8(PathBuf),
    /// A file given as the input that is not a `.plat` file (`platc check
    /// README.md`): a mistake of the command line, not of the file.
    NotPlatFile(PathBuf),
    /// `--env NAME` names no environment of the platform.
    UnknownEnvironment {
        name: String,
        known: Vec<String>,
    },
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::NotFound(p) => write!(f, "`{}` does not exist", p.display()),
            InputError::NoRootFile(p) => write!(
                f,
                "`{}` is a directory without a `{ROOT_FILE}` root file",
                p.display()
            ),
            InputError::Unreadable(p, e) => write!(f, "cannot read `{}`: {e}", p.display()),
            InputError::NotUtf8(p) => write!(f, "`{}` is not valid UTF-8 text", p.display()),
            InputError::NotPlatFile(p) => write!(f, "`{}` is not a `.plat` file", p.display()),
            InputError::UnknownEnvironment { name, .. } => {
                write!(f, "the platform has no environment `{name}`")
            }
        }
    }
}

impl std::error::Error for InputError {}

impl InputError {
    /// What the user can do about it.
    pub fn help(&self) -> String {
        match self {
            InputError::NotFound(_) => {
                "check the path; `platc check` takes a `.plat` file or a project directory".into()
            }
            InputError::NoRootFile(_) => {
                format!("create `{ROOT_FILE}` with a `platform` block, or pass the file to check")
            }
            InputError::Unreadable(..) => "check the file's permissions".into(),
            InputError::NotUtf8(_) => "save the file as UTF-8".into(),
            InputError::NotPlatFile(p) => match p.parent().filter(|d| !d.as_os_str().is_empty()) {
                Some(dir) => format!(
                    "pass a `.plat` file, or a project directory holding `{ROOT_FILE}` (e.g. `{}`)",
                    dir.display()
                ),
                None => format!(
                    "pass a `.plat` file, or a project directory holding `{ROOT_FILE}` (e.g. `.`)"
                ),
            },
            InputError::UnknownEnvironment { known, .. } if known.is_empty() => {
                "the platform declares no environments; add `environment NAME { ... }`".into()
            }
            InputError::UnknownEnvironment { name, known } => {
                let all = format!("the environments are: {}", known.join(", "));
                // `production` for `prod`, `stage` for `staging`: they start
                // alike (the first four letters, or all of the shorter).
                let common = |k: &str| {
                    let shared = k
                        .chars()
                        .zip(name.chars())
                        .take_while(|(a, b)| a == b)
                        .count();
                    let shorter = k.chars().count().min(name.chars().count());
                    shorter >= 3 && shared >= shorter.min(4)
                };
                let near = platc_diag::did_you_mean(name, known.iter().map(String::as_str))
                    .or_else(|| known.iter().map(String::as_str).find(|k| common(k)));
                match near {
                    Some(s) => format!("did you mean `{s}`? {all}"),
                    None => all,
                }
            }
        }
    }
}

/// Checks the project at `path` (a `.plat` file, or a directory holding
/// `main.plat`): analysis, then, when it finds no error, for the base
/// platform and every environment, the user's values files (E0601, E0602,
/// E0603) and the deployment graph (a `requires` cycle is E0320).
pub fn check_path(
    fs: &dyn FileSystem,
    path: &Path,
    options: &Options,
) -> Result<Compilation, InputError> {
    check_path_with(fs, path, options, None)
}

/// [`check_path`], with the syntax trees of files kept in `cache` between
/// calls: a file whose text (and place in the program) did not change since
/// the last call is not parsed again. The result is the same.
pub fn check_path_cached(
    fs: &dyn FileSystem,
    path: &Path,
    options: &Options,
    cache: &ParseCache,
) -> Result<Compilation, InputError> {
    check_path_with(fs, path, options, Some(cache))
}

fn check_path_with(
    fs: &dyn FileSystem,
    path: &Path,
    options: &Options,
    cache: Option<&ParseCache>,
) -> Result<Compilation, InputError> {
    let (root_file, project_root) = resolve_input(fs, path)?;
    let text = match fs.read_limited(&root_file, platc_syntax::MAX_FILE_SIZE) {
        // Too large: parsing reports it (E0107), whatever the bytes are.
        Ok(bytes) if bytes.len() > platc_syntax::MAX_FILE_SIZE => {
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Ok(bytes) => {
            String::from_utf8(bytes).map_err(|_| InputError::NotUtf8(root_file.clone()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(InputError::NotFound(root_file))
        }
        Err(e) => return Err(InputError::Unreadable(root_file, e)),
    };
    let display = root_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| ROOT_FILE.to_string());
    let mut compilation = run_on_big_stack(|| {
        loader::compile(fs, &project_root, &root_file, display, text, options, cache)
    });
    if let (Some(name), Some(known)) = (&options.environment, &compilation.environments) {
        if !known.contains(name) {
            return Err(InputError::UnknownEnvironment {
                name: name.clone(),
                known: known.clone(),
            });
        }
    }
    timings::phase("checks", || {
        checks::run(fs, &mut compilation, checks::ValuesFiles::Read)
    });
    deny_warnings(&mut compilation, options);
    cap_repeated(&mut compilation.diagnostics);
    Ok(compilation)
}

/// The most diagnostics of one code reported (the first, in file and
/// position order): a program with thousands of the same mistake gets a
/// readable report, not megabytes.
pub const MAX_DIAGNOSTICS_PER_CODE: usize = 100;

/// Keeps the first [`MAX_DIAGNOSTICS_PER_CODE`] diagnostics of each code;
/// the last one kept says how many more were left out.
fn cap_repeated(diagnostics: &mut Vec<platc_diag::Diagnostic>) {
    let mut counts: std::collections::HashMap<&'static str, usize> = Default::default();
    for d in diagnostics.iter() {
        *counts.entry(d.code).or_default() += 1;
    }
    if counts.values().all(|&n| n <= MAX_DIAGNOSTICS_PER_CODE) {
        return;
    }
    let mut seen: std::collections::HashMap<&'static str, usize> = Default::default();
    let mut kept = Vec::with_capacity(diagnostics.len());
    for d in diagnostics.drain(..) {
        let n = seen.entry(d.code).or_default();
        *n += 1;
        match (*n).cmp(&MAX_DIAGNOSTICS_PER_CODE) {
            std::cmp::Ordering::Less => kept.push(d),
            std::cmp::Ordering::Equal => {
                let more = counts[d.code] - MAX_DIAGNOSTICS_PER_CODE;
                let code = d.code;
                kept.push(if more > 0 {
                    d.with_note(format!(
                        "{more} more {} of this kind ({code}) not shown",
                        if more == 1 {
                            "diagnostic"
                        } else {
                            "diagnostics"
                        },
                    ))
                } else {
                    d
                });
            }
            std::cmp::Ordering::Greater => {}
        }
    }
    *diagnostics = kept;
}

/// Checks one source text as the root file of a project with no other files
/// (snippets, spec examples, fuzzing). As with [`check_path`], a `requires`
/// cycle is reported, for every environment; values files are not read:
/// a snippet has none beside it.
pub fn check_source(name: &str, text: &str, options: &Options) -> Compilation {
    let fs = MemoryFs::default();
    let root = PathBuf::from("/snippet");
    let file = root.join(name);
    let text = text.to_string();
    let mut compilation = run_on_big_stack(|| {
        loader::compile(&fs, &root, &file, name.to_string(), text, options, None)
    });
    checks::run(&fs, &mut compilation, checks::ValuesFiles::Skip);
    deny_warnings(&mut compilation, options);
    cap_repeated(&mut compilation.diagnostics);
    compilation
}

/// With [`Options::deny_warnings`], every warning becomes an error: the
/// compilation then has errors, and `build` writes nothing.
fn deny_warnings(c: &mut Compilation, options: &Options) {
    if !options.deny_warnings {
        return;
    }
    let mut any = false;
    for d in &mut c.diagnostics {
        if d.severity == platc_diag::Severity::Warning {
            d.severity = platc_diag::Severity::Error;
            d.notes
                .push("a warning is an error with `--deny-warnings`".to_string());
            any = true;
        }
    }
    if any {
        c.platform = None;
        c.others.clear();
        c.graph = None;
        c.values.clear();
    }
}

/// The root file and project root of an input path.
pub fn resolve_input(fs: &dyn FileSystem, path: &Path) -> Result<(PathBuf, PathBuf), InputError> {
    if fs.is_dir(path) {
        let root_file = path.join(ROOT_FILE);
        if !fs.is_file(&root_file) {
            return Err(InputError::NoRootFile(path.to_path_buf()));
        }
        let root = fs
            .canonicalize(path)
            .map_err(|e| InputError::Unreadable(path.to_path_buf(), e))?;
        Ok((root.join(ROOT_FILE), root))
    } else if fs.is_file(path) {
        if path.extension().is_none_or(|e| e != "plat") {
            return Err(InputError::NotPlatFile(path.to_path_buf()));
        }
        let canonical = fs
            .canonicalize(path)
            .map_err(|e| InputError::Unreadable(path.to_path_buf(), e))?;
        let dir = canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        // A file inside a project (a library file, say) belongs to the
        // nearest directory above it that holds a root file, so its imports
        // of sibling directories stay inside the project root.
        let root = dir
            .ancestors()
            .find(|d| fs.is_file(&d.join(ROOT_FILE)))
            .map(Path::to_path_buf)
            .unwrap_or(dir);
        Ok((canonical, root))
    } else {
        Err(InputError::NotFound(path.to_path_buf()))
    }
}

/// Runs the pipeline on a thread with a large stack: nesting is bounded by
/// the parser, but a generous stack keeps debug builds safe too.
fn run_on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("platc-compile".into())
            .stack_size(256 * 1024 * 1024)
            .spawn_scoped(s, f)
            .expect("spawn compiler thread")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// Today's date (UTC) from the system clock.
pub fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_from_days((secs / 86_400) as i64)
}

/// Converts days since 1970-01-01 to a calendar date (Howard Hinnant's
/// algorithm).
pub fn civil_from_days(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    Date {
        year: y as u16,
        month: m as u8,
        day: d as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0).to_string(), "1970-01-01");
        assert_eq!(civil_from_days(20_517).to_string(), "2026-03-05");
        assert_eq!(civil_from_days(11_016).to_string(), "2000-02-29");
    }
}
