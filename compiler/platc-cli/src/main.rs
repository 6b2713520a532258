//! `platc`: the command-line interface.
//!
//! Exit codes: 0 when clean (warnings allowed), 1 when the platform has
//! errors, 2 for usage and I/O errors (reported through miette).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use platc_driver::{check_path, Options, RealFs};

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

#[derive(Subcommand)]
enum Command {
    /// Check a platform and report every problem found.
    Check {
        /// A `.plat` file, or a project directory holding `main.plat`.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// When to use colour in human output (NO_COLOR is honoured).
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Print the long explanation of a diagnostic code, e.g. `platc explain E0301`.
    Explain {
        /// The code, e.g. E0301.
        code: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// rustc-style text with source excerpts.
    Human,
    /// One JSON object per line; schema in docs/diagnostics-json.md.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            path,
            format,
            color,
        } => check(path, format, color),
        Command::Explain { code } => explain(&code),
    }
}

fn check(path: PathBuf, format: Format, color: ColorChoice) -> ExitCode {
    let options = Options::default();
    let compilation = match check_path(&RealFs, &path, &options) {
        Ok(c) => c,
        Err(e) => {
            let report = miette::miette!(help = e.help(), "{e}");
            eprintln!("{report:?}");
            return ExitCode::from(2);
        }
    };
    let diags = &compilation.diagnostics;
    let result = match format {
        Format::Json => {
            let mut out = std::io::stdout().lock();
            platc_render::write_json(&mut out, &compilation.sources, diags)
                .and_then(|_| out.flush())
        }
        Format::Human => {
            let use_color = match color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                        && std::io::stderr().is_terminal()
                }
            };
            let mut err = std::io::stderr().lock();
            let mut r = platc_render::write_human(&mut err, &compilation.sources, diags, use_color);
            if r.is_ok() {
                r = match platc_render::summary(diags) {
                    Some(s) => writeln!(err, "{s}"),
                    None => match &compilation.platform {
                        Some(p) => writeln!(
                            err,
                            "platform `{}` is clean: {} instance{} checked",
                            p.name,
                            p.instances.len(),
                            if p.instances.len() == 1 { "" } else { "s" }
                        ),
                        None => writeln!(err, "no problems found"),
                    },
                };
            }
            r
        }
    };
    if let Err(e) = result {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("{:?}", miette::miette!("cannot write diagnostics: {e}"));
            return ExitCode::from(2);
        }
    }
    if compilation.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(code: &str) -> ExitCode {
    match platc_diag::lookup(code) {
        Some(info) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(info.explanation.as_bytes());
            if !info.explanation.ends_with('\n') {
                let _ = writeln!(out);
            }
            ExitCode::SUCCESS
        }
        None => {
            let known: Vec<&str> = platc_diag::CODES.iter().map(|c| c.code).collect();
            let mut report = miette::miette!(
                help = "the codes are: ".to_string() + &known.join(", "),
                "there is no diagnostic code `{code}`"
            );
            if let Some(s) =
                platc_diag::did_you_mean(&code.to_ascii_uppercase(), known.iter().copied())
            {
                report = miette::miette!(
                    help = format!("did you mean `{s}`?"),
                    "there is no diagnostic code `{code}`"
                );
            }
            eprintln!("{report:?}");
            ExitCode::from(2)
        }
    }
}
