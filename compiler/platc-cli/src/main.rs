//! `platc`: the command-line interface.
//!
//! Exit codes: 0 when clean (warnings allowed), 1 when the platform has
//! errors, 2 for usage and I/O errors (reported in one style by every
//! subcommand, as JSON with `--format json`: see `errors`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// See Cargo.toml: allocation-heavy compiles run markedly faster on it.
#[global_allocator]
static ALLOCATOR: platc_alloc::MiMalloc = platc_alloc::MiMalloc;

use clap::{Parser, Subcommand, ValueEnum};
use platc_driver::{check_path, Compilation, Options, RealFs};

mod doc;
mod errors;
mod fmt;
mod init;
mod output;
mod policy;

#[derive(Parser)]
#[command(
    name = "platc",
    version,
    about = "The compiler for typed Kubernetes data platforms"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How diagnostics are printed.
#[derive(clap::Args)]
struct DiagnosticArgs {
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// When to use colour in human output (NO_COLOR is honoured).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Treat every warning (a `warn` policy included) as an error.
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Check a platform and report every problem found.
    Check {
        /// A `.plat` file, or a project directory holding `main.plat`.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Also apply this environment's overrides while checking.
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
        #[command(flatten)]
        diagnostics: DiagnosticArgs,
    },
    /// Check a platform and write its Helm values, Kubernetes manifests and
    /// Terraform into one output tree.
    Build {
        /// A `.plat` file, or a project directory holding `main.plat`.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The output directory (default: `out` in the project directory).
        /// platc only replaces a directory it created itself; a symbolic
        /// link is followed (the tree goes where it points) and kept.
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: Option<PathBuf>,
        /// Apply this environment's overrides.
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        diagnostics: DiagnosticArgs,
    },
    /// Print the platform graph: instances and the typed references between them.
    Graph {
        /// A `.plat` file, or a project directory holding `main.plat`.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The graph's format.
        #[arg(long = "format", value_enum, default_value_t = GraphFormat::Dot)]
        graph_format: GraphFormat,
        /// Apply this environment's overrides.
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
        /// When to use colour in diagnostics (NO_COLOR is honoured).
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// The platform's policies: `platc policy list`.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Rewrite `.plat` files in the canonical layout (see docs/fmt.md).
    Fmt {
        /// Files, or directories searched for `*.plat` files (default: `.`).
        paths: Vec<PathBuf>,
        /// Write nothing: list the files that would change, exit 1 if any.
        #[arg(long)]
        check: bool,
        /// Format standard input to standard output.
        #[arg(long)]
        stdin: bool,
        /// When to use colour in diagnostics (NO_COLOR is honoured).
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Start a new platform: a commented starter `main.plat` that checks
    /// clean, and a README of next steps.
    Init {
        /// The project directory (created if missing; must not hold
        /// `main.plat` or `README.md`).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Run the language server over stdio, for editors (see docs/editors.md).
    Lsp,
    /// Write the standard library's reference (components, parameters,
    /// interfaces, charts) as Markdown pages, from the embedded stdlib.
    Doc {
        /// The directory of the pages.
        #[arg(default_value = "docs/stdlib")]
        dir: PathBuf,
        /// Write nothing: list the pages that are out of date, exit 1 if any.
        #[arg(long)]
        check: bool,
    },
    /// Print the long explanation of a diagnostic code, e.g. `platc explain E0301`.
    Explain {
        /// The code, e.g. E0301, or the code of a policy of the platform
        /// (`--project`).
        code: String,
        /// For a policy code of the platform's own: the project that
        /// declares it (a `.plat` file or a directory with `main.plat`).
        #[arg(long, value_name = "PATH", default_value = ".")]
        project: PathBuf,
        /// `json`: one object with the code, its name, severity, summary
        /// and the explanation (Markdown).
        #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
        format: ExplainFormat,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// List the policies in force: code, severity, name, pack and where
    /// each is declared.
    List {
        /// A `.plat` file, or a project directory holding `main.plat`.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Also list the policies of packs that are not in force.
        #[arg(long)]
        all: bool,
        /// Print the list as JSON.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

/// What `platc build` delivers with (docs/output.md).
#[derive(clap::Args)]
struct TargetArgs {
    /// `terraform`: Terraform that installs the releases and objects;
    /// `argocd`: Argo CD Applications that sync them from a Git repository.
    #[arg(long, value_enum, default_value_t = TargetKind::Terraform)]
    target: TargetKind,
    /// (argocd) The Git repository that holds the output tree.
    #[arg(long, value_name = "URL")]
    repo_url: Option<String>,
    /// (argocd) The branch, tag or commit Argo CD syncs.
    #[arg(long, value_name = "REVISION", default_value = "HEAD")]
    revision: String,
    /// (argocd) The output tree's directory in that repository (default:
    /// the output directory's path relative to the project, `out`).
    #[arg(long, value_name = "PATH")]
    repo_path: Option<String>,
    /// (argocd) The namespace of Argo CD, where its Applications live.
    #[arg(long, value_name = "NAMESPACE", default_value = "argocd")]
    argocd_namespace: String,
    /// (argocd) The Argo CD project of the Applications.
    #[arg(long, value_name = "PROJECT", default_value = "default")]
    argocd_project: String,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TargetKind {
    Terraform,
    Argocd,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// Nodes, edges, namespaces and chart coordinates as JSON.
    Json,
    /// An SVG picture, laid out by platc.
    Svg,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// rustc-style text with source excerpts.
    Human,
    /// One JSON object per line; schema in docs/diagnostics-json.md.
    Json,
    /// A SARIF 2.1.0 log on standard output; see docs/sarif.md.
    Sarif,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum ExplainFormat {
    /// The explanation as Markdown text.
    Human,
    /// One JSON object on one line.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    errors::set_form(errors::wanted_form(&args));
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return errors::clap_error(e),
    };
    // Every command but the language server runs to an end: the memory it
    // frees is kept for its own later allocations (see platc-alloc).
    if !matches!(cli.command, Command::Lsp) {
        platc_alloc::keep_freed_memory();
    }
    match cli.command {
        Command::Check {
            path,
            env,
            diagnostics,
        } => check(path, env, diagnostics),
        Command::Build {
            path,
            out,
            env,
            target,
            diagnostics,
        } => build(path, out, env, target, diagnostics),
        Command::Graph {
            path,
            graph_format,
            env,
            color,
        } => graph(path, graph_format, env, color),
        Command::Policy {
            command: PolicyCommand::List { path, all, format },
        } => policy::list(path, all, format),
        Command::Fmt {
            paths,
            check,
            stdin,
            color,
        } => fmt::run(fmt::FmtArgs {
            paths,
            check,
            stdin,
            color,
        }),
        Command::Init { dir } => init::run(dir),
        Command::Doc { dir, check } => doc::run(dir, check),
        Command::Lsp => match platc_lsp::run_stdio() {
            Ok(code) => ExitCode::from(code),
            Err(e) => fail(e, "start `platc lsp` from an editor's LSP client".into()),
        },
        Command::Explain {
            code,
            project,
            format,
        } => explain(&code, &project, format),
    }
}

fn options(env: Option<String>) -> Options {
    Options {
        environment: env,
        ..Options::default()
    }
}

fn options_for(env: Option<String>, args: &DiagnosticArgs) -> Options {
    Options {
        deny_warnings: args.deny_warnings,
        ..options(env)
    }
}

/// A failure without a place in the user's source: exit code 2.
fn fail(message: impl std::fmt::Display, help: String) -> ExitCode {
    errors::fail(message, help)
}

fn check(path: PathBuf, env: Option<String>, args: DiagnosticArgs) -> ExitCode {
    let compilation = match check_path(&RealFs, &path, &options_for(env, &args)) {
        Ok(c) => c,
        Err(e) => return fail(&e, e.help()),
    };
    recover_output(&compilation);
    let clean = |p: &platc_driver::Platform| {
        let n = p.instances.len();
        format!(
            "platform `{}` is clean: {n} instance{} checked",
            p.name,
            if n == 1 { "" } else { "s" }
        )
    };
    let code = finish(&compilation, &args, clean);
    // The process ends here: freeing the whole program tree piece by piece
    // would cost a large platform a noticeable share of the run (issue 14);
    // the operating system takes the memory back at once.
    std::mem::forget(compilation);
    code
}

fn build(
    path: PathBuf,
    out: Option<PathBuf>,
    env: Option<String>,
    target: TargetArgs,
    args: DiagnosticArgs,
) -> ExitCode {
    let options = options_for(env, &args);
    // Where the project and the output directory are, before building:
    // Skaffold's build contexts and Argo CD's paths are relative to them.
    let (_, root) = match platc_driver::resolve_input(&RealFs, &path) {
        Ok(r) => r,
        Err(e) => return fail(&e, e.help()),
    };
    let target_dir = out.clone().unwrap_or_else(|| root.join("out"));
    let rel = output::relative_dirs(&root, &target_dir);
    let build_target = match target.target {
        TargetKind::Terraform => platc_driver::Target::Terraform,
        TargetKind::Argocd => {
            let Some(repo_url) = target.repo_url.clone() else {
                return fail(
                    "`--target argocd` needs `--repo-url`: the Git repository Argo CD reads the output tree from",
                    "e.g. `platc build --target argocd --repo-url https://git.example.com/team/platform.git`".into(),
                );
            };
            let repo_path = match (&target.repo_path, &rel) {
                (Some(p), _) => p.trim_matches('/').to_string(),
                (None, Some((_, Some(out_from_project)))) => out_from_project.clone(),
                (None, _) => {
                    return fail(
                        "the output directory is outside the project: say where it is in the Git repository",
                        "add `--repo-path PATH`".into(),
                    )
                }
            };
            platc_driver::Target::ArgoCd(platc_driver::ArgoCd {
                repo_url,
                revision: target.revision.clone(),
                path: if repo_path.is_empty() {
                    ".".into()
                } else {
                    repo_path
                },
                namespace: target.argocd_namespace.clone(),
                project: target.argocd_project.clone(),
            })
        }
    };
    let build_options = platc_driver::BuildOptions {
        target: build_target,
        project_from_output: rel
            .as_ref()
            .map(|(p, _)| p.clone())
            .unwrap_or_else(|| root.to_string_lossy().into_owned()),
    };
    let build = match platc_driver::build_path_with(&RealFs, &path, &options, &build_options) {
        Ok(b) => b,
        Err(e) => return fail(&e, e.help()),
    };
    let c = &build.compilation;
    if c.has_errors() {
        return finish(c, &args, |_| String::new());
    }
    let target = target_dir;
    if let Err(e) = platc_driver::timings::phase("write", || {
        output::write_tree(&target, &build.files, &c.root)
    }) {
        if matches!(args.format, Format::Sarif) {
            // One log: the warnings, and the run's failure.
            let message = e.to_string();
            let help = e.help();
            let failure = platc_render::SarifFailure {
                message: &message,
                help: Some(&help),
                exit_code: 2,
            };
            let mut out = std::io::stdout().lock();
            let _ = out
                .write_all(policy::sarif(c, Some(&failure)).as_bytes())
                .and_then(|_| out.flush());
            return ExitCode::from(2);
        }
        // Warnings still reach the user before the failure.
        let _ = print_diagnostics(c, &args);
        return fail(&e, e.help());
    }
    let written = format!("{} files in `{}`", build.files.len(), target.display());
    let code = finish(c, &args, |p| {
        let env = p
            .environment
            .as_ref()
            .map(|e| format!(" (environment `{e}`)"))
            .unwrap_or_default();
        format!("built platform `{}`{env}: {written}", p.name)
    });
    // As in `check`: the process ends, the OS frees the memory at once.
    std::mem::forget(build);
    code
}

fn graph(path: PathBuf, format: GraphFormat, env: Option<String>, color: ColorChoice) -> ExitCode {
    let args = DiagnosticArgs {
        format: Format::Human,
        color,
        deny_warnings: false,
    };
    let (compilation, graph) = match platc_driver::graph_path(&RealFs, &path, &options(env)) {
        Ok(r) => r,
        Err(e) => return fail(&e, e.help()),
    };
    recover_output(&compilation);
    let (Some(platform), Some(graph)) = (compilation.platform.as_ref(), graph) else {
        return finish(&compilation, &args, |_| String::new());
    };
    let format = match format {
        GraphFormat::Dot => platc_driver::graph::Format::Dot,
        GraphFormat::Mermaid => platc_driver::graph::Format::Mermaid,
        GraphFormat::Json => platc_driver::graph::Format::Json,
        GraphFormat::Svg => platc_driver::graph::Format::Svg,
    };
    if let (platc_driver::graph::Format::Svg, Some((instances, arrows))) =
        (format, platc_driver::graph::too_large_for_svg(&graph))
    {
        return fail(
            format!(
                "the graph is too large to draw as SVG: {instances} instances and {arrows} arrows (at most {} and {})",
                platc_driver::graph::MAX_SVG_INSTANCES,
                platc_driver::graph::MAX_SVG_CONNECTIONS
            ),
            "render it as text, `--format dot` (for graphviz) or `--format json`".into(),
        );
    }
    let text = platc_driver::graph::render(&graph, platform, format);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return fail(
                format!("cannot write the graph: {e}"),
                "check standard output".into(),
            );
        }
    }
    if !compilation.diagnostics.is_empty() {
        let _ = print_diagnostics(&compilation, &args);
    }
    ExitCode::SUCCESS
}

/// Puts back the project's default output tree when an interrupted
/// `platc build` left it aside (see `output`), so that no command leaves a
/// user without the tree they had.
fn recover_output(c: &Compilation) {
    if c.root.as_os_str().is_empty() {
        return;
    }
    if let Some(dir) = output::recover(&c.root.join("out")) {
        eprintln!(
            "note: restored the output directory `{}`, which an interrupted `platc build` had left aside",
            dir.display()
        );
    }
}

fn print_diagnostics(c: &Compilation, args: &DiagnosticArgs) -> std::io::Result<()> {
    let diags = &c.diagnostics;
    match args.format {
        Format::Json => {
            let mut out = std::io::stdout().lock();
            platc_render::write_json(&mut out, &c.sources, diags)?;
            out.flush()
        }
        Format::Sarif => {
            let text = policy::sarif(c, None);
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()
        }
        Format::Human => {
            let use_color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                        && std::io::stderr().is_terminal()
                }
            };
            let mut err = std::io::stderr().lock();
            platc_render::write_human(&mut err, &c.sources, diags, use_color)?;
            if let Some(s) = platc_render::summary(diags) {
                writeln!(err, "{s}")?;
            }
            Ok(())
        }
    }
}

/// Prints the diagnostics (or, for human output without errors, the
/// success line) and picks the exit code.
fn finish(
    c: &Compilation,
    args: &DiagnosticArgs,
    success: impl Fn(&platc_driver::Platform) -> String,
) -> ExitCode {
    let mut result = print_diagnostics(c, args);
    if result.is_ok() && matches!(args.format, Format::Human) && !c.has_errors() {
        let line = match &c.platform {
            Some(p) => success(p),
            None => "no problems found".to_string(),
        };
        result = writeln!(std::io::stderr(), "{line}");
    }
    if let Err(e) = result {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return fail(
                format!("cannot write diagnostics: {e}"),
                "check standard output and error".into(),
            );
        }
    }
    if c.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(code: &str, project: &std::path::Path, format: ExplainFormat) -> ExitCode {
    let known = platc_diag::lookup(code);
    // A platform's own policy code, from the project.
    let policy = match known {
        None => policy::explain(code, project),
        Some(_) => None,
    };
    let (text, info) = match (known, policy) {
        (Some(info), _) => (info.explanation.to_string(), Some(info)),
        (None, Some(text)) => (text, None),
        (None, None) => {
            let known: Vec<&str> = platc_diag::CODES.iter().map(|c| c.code).collect();
            let help = match platc_diag::did_you_mean(&code.to_ascii_uppercase(), known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "the codes are: {}; a platform's own policy code is looked up in the project (`--project PATH`)",
                    known.join(", ")
                ),
            };
            return fail(format!("there is no diagnostic code `{code}`"), help);
        }
    };
    let mut text = match format {
        ExplainFormat::Human => text,
        ExplainFormat::Json => serde_json::json!({
            "code": info.map_or_else(|| code.to_ascii_uppercase(), |i| i.code.to_string()),
            "name": info.map(|i| i.name),
            "severity": info.map(|i| match i.severity {
                platc_diag::Severity::Error => "error",
                platc_diag::Severity::Warning => "warning",
                platc_diag::Severity::Note => "note",
            }),
            "summary": info.map(|i| i.summary),
            "explanation": text,
        })
        .to_string(),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    // A failed write (a full disk, a closed pipe other than by the reader)
    // is an I/O error: exit 2, never a silent success.
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(
            format!("cannot write the explanation: {e}"),
            "check standard output".into(),
        ),
    }
}
