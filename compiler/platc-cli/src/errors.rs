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
//! is `"command-error"`. With `--format sarif`, each is a SARIF log on
//! standard output of a run that failed (docs/sarif.md): no `results`, one
//! invocation with `executionSuccessful: false`, exit code 2, and the error
//! as a tool execution notification.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};

/// How command errors are reported: one of the `FOR_*` constants.
static FORM: AtomicU8 = AtomicU8::new(FOR_A_PERSON);

/// For a person, on standard error.
pub(crate) const FOR_A_PERSON: u8 = 0;
/// One JSON line on standard output.
pub(crate) const AS_JSON: u8 = 1;
/// A SARIF log on standard output.
pub(crate) const AS_SARIF: u8 = 2;

/// The form the command line asks for (`--format json`, `--format=json`,
/// `--format sarif` or `--format=sarif`; the last one given counts, as for
/// clap), looked at before the arguments are parsed so that an error in
/// parsing them has that form too. Arguments after `--` are not options.
pub(crate) fn wanted_form(args: &[OsString]) -> u8 {
    let mut form = FOR_A_PERSON;
    let mut k = 0;
    while k < args.len() {
        let a = &args[k];
        if a == "--" {
            break;
        }
        let value = if a == "--format" {
            k += 1;
            args.get(k).map(OsString::as_os_str)
        } else {
            a.to_str()
                .and_then(|a| a.strip_prefix("--format="))
                .map(std::ffi::OsStr::new)
        };
        if let Some(v) = value {
            form = if v == "json" {
                AS_JSON
            } else if v == "sarif" {
                AS_SARIF
            } else {
                FOR_A_PERSON
            };
        }
        k += 1;
    }
    form
}

pub(crate) fn set_form(form: u8) {
    FORM.store(form, Ordering::Relaxed);
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
    match FORM.load(Ordering::Relaxed) {
        AS_JSON => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", json_line(&message, help)).and_then(|_| out.flush());
            return;
        }
        AS_SARIF => {
            let failure = platc_render::SarifFailure {
                message: &message,
                help,
                exit_code: 2,
            };
            let log = platc_render::render_sarif_failure(&failure, env!("CARGO_PKG_VERSION"));
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(log.as_bytes()).and_then(|_| out.flush());
            return;
        }
        _ => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn form(args: &[&str]) -> u8 {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        wanted_form(&args)
    }

    #[test]
    fn the_form_of_command_errors_follows_the_format_option() {
        assert_eq!(form(&["platc", "check", "x"]), FOR_A_PERSON);
        assert_eq!(form(&["platc", "check", "--format", "json"]), AS_JSON);
        assert_eq!(form(&["platc", "check", "--format=json", "x"]), AS_JSON);
        assert_eq!(form(&["platc", "build", "--format", "sarif"]), AS_SARIF);
        assert_eq!(form(&["platc", "build", "x", "--format=sarif"]), AS_SARIF);
        assert_eq!(form(&["platc", "check", "--format", "human"]), FOR_A_PERSON);
        // The last one counts.
        assert_eq!(
            form(&["platc", "check", "--format", "sarif", "--format", "json"]),
            AS_JSON
        );
        assert_eq!(
            form(&["platc", "check", "--format=json", "--format", "human"]),
            FOR_A_PERSON
        );
        // A value, not an option: `--format` as the value of `--format`,
        // and anything after `--`.
        assert_eq!(
            form(&["platc", "check", "--format", "--format"]),
            FOR_A_PERSON
        );
        assert_eq!(
            form(&["platc", "check", "--", "--format", "json"]),
            FOR_A_PERSON
        );
        // `--format` last, without a value.
        assert_eq!(form(&["platc", "check", "--format"]), FOR_A_PERSON);
    }
}
