//! Errors of the command itself — usage and I/O, exit code 2 — in one
//! style for every subcommand.
//!
//! For a person (standard error), they look like a diagnostic without a
//! place in a file:
//!
//! ```text
//! error: `README.md` is not a `.plat` file
//!   = help: pass a `.plat` file, or a project directory holding `main.plat`
//! ```
//!
//! With `--format json` anywhere on the command line (of any subcommand,
//! also one that then rejects the option), each is one JSON line on
//! standard output instead, with the keys of a diagnostic (schema in
//! docs/diagnostics-json.md): `code` and `location` are `null` and `name`
//! is `"command-error"`.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

static JSON: AtomicBool = AtomicBool::new(false);

/// Whether the command line asks for JSON (`--format json` or
/// `--format=json`), looked at before the arguments are parsed so that an
/// error in parsing them is JSON too.
pub(crate) fn wants_json(args: &[OsString]) -> bool {
    args.iter().enumerate().any(|(k, a)| {
        a == "--format=json" || (a == "--format" && args.get(k + 1).is_some_and(|v| v == "json"))
    })
}

pub(crate) fn set_json(on: bool) {
    JSON.store(on, Ordering::Relaxed);
}

/// The `name` of a command error in JSON.
pub(crate) const NAME: &str = "command-error";

/// The JSON line of a command error (without its newline).
pub(crate) fn json_line(message: &str, help: Option<&str>) -> String {
    serde_json::json!({
        "version": 1,
        "code": null,
        "name": NAME,
        "severity": "error",
        "message": message,
        "location": null,
        "label": null,
        "related": [],
        "notes": [],
        "help": help,
    })
    .to_string()
}

/// Reports a command error, as JSON on standard output when the command
/// line asked for JSON, else for a person on standard error.
pub(crate) fn report(message: impl std::fmt::Display, help: Option<&str>) {
    let message = message.to_string();
    if JSON.load(Ordering::Relaxed) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", json_line(&message, help)).and_then(|_| out.flush());
        return;
    }
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal();
    let mut text = if color {
        format!("\x1b[1;31merror\x1b[0m\x1b[1m: {message}\x1b[0m\n")
    } else {
        format!("error: {message}\n")
    };
    if let Some(help) = help {
        text.push_str(&format!("  = help: {help}\n"));
    }
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Reports a command error and returns exit code 2.
pub(crate) fn fail(message: impl std::fmt::Display, help: impl Into<String>) -> ExitCode {
    let help = help.into();
    report(message, (!help.is_empty()).then_some(help.as_str()));
    ExitCode::from(2)
}

/// A command line clap rejected: help and version requests are printed as
/// clap prints them (exit 0); every other error is a usage error (exit 2)
/// in the style above.
pub(crate) fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    // clap's own text: "error: MESSAGE\n\n[tip: ...]\n\nUsage: ...\n\nFor more
    // information, try '--help'.": the message, and its tip and usage as help.
    let rendered = e.render().to_string();
    let mut parts = rendered
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let message = parts
        .next()
        .unwrap_or("invalid command line")
        .trim_start_matches("error: ")
        .to_string();
    let mut help: Vec<String> = Vec::new();
    if let Some(ContextValue::String(s)) = e.get(ContextKind::SuggestedArg) {
        help.push(format!("did you mean `{s}`?"));
    }
    for p in parts {
        if let Some(tip) = p.strip_prefix("tip: ") {
            // Not clap's "to pass '--x' as a value, use '-- --x'": an
            // unknown option is far more often a typo or a wrong command.
            if help.is_empty() && !tip.starts_with("to pass") {
                help.push(tip.to_string());
            }
        } else if let Some(usage) = p.strip_prefix("Usage: ") {
            help.push(format!("usage: {usage}"));
        }
    }
    if help.is_empty() {
        help.push("see `platc --help`".to_string());
    }
    fail(message, help.join("; "))
}
