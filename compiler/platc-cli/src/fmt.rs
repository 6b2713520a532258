//! `platc fmt`: rewrites `.plat` files in the canonical layout (the rules
//! are in `platc_syntax::fmt` and docs/fmt.md).
//!
//! - A file with syntax errors is never written: its diagnostics are
//!   printed as `platc check` prints them, and the exit code is 1.
//! - A file is rewritten only when its text changes, atomically: the new
//!   text goes to a temporary file in the same directory (with the
//!   original's permissions), which is then renamed over the original. A
//!   symbolic link given on the command line is followed and kept.
//! - Directories are searched recursively for `*.plat` files; hidden
//!   entries (`.git`, ...) and symbolic links inside them are skipped.
//! - `--check` writes nothing: it lists the files that would change on
//!   standard output and exits 1 if there is any. `--stdin` formats
//!   standard input to standard output.
//! - Exit codes: 0 when every file is (now) formatted, 1 for syntax errors
//!   or, with `--check`, a file that would change, 2 for I/O errors (a path
//!   that cannot be read or written, a file that is not UTF-8).

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use platc_diag::{FileId, SourceMap};
use platc_driver::fmt::{format, FormatError};

use crate::ColorChoice;

/// What `platc fmt` was asked to do.
pub struct FmtArgs {
    pub paths: Vec<PathBuf>,
    pub check: bool,
    pub stdin: bool,
    pub color: ColorChoice,
}

/// What happened to the files, for the exit code and the summary.
#[derive(Default)]
struct Outcome {
    files: usize,
    changed: usize,
    /// Files left as they were because of syntax errors.
    broken: usize,
    syntax_errors: bool,
    io_errors: bool,
}

pub fn run(args: FmtArgs) -> ExitCode {
    let color = use_color(args.color);
    let mut outcome = Outcome::default();
    if args.stdin {
        if !args.paths.is_empty() {
            return usage("`--stdin` formats standard input: give no paths with it");
        }
        format_stdin(args.check, color, &mut outcome);
    } else {
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths
        };
        let mut files = Vec::new();
        for path in &paths {
            collect(path, &mut files, &mut outcome);
        }
        for file in &files {
            format_file(file, args.check, color, &mut outcome);
        }
        summary(args.check, &outcome);
    }
    if outcome.io_errors {
        ExitCode::from(2)
    } else if outcome.syntax_errors || (args.check && outcome.changed > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stderr().is_terminal()
        }
    }
}

/// An error without a place in a source file.
fn report(message: impl std::fmt::Display, help: &str) {
    crate::errors::report(message, Some(help));
}

fn usage(message: &str) -> ExitCode {
    report(message, "see `platc fmt --help`");
    ExitCode::from(2)
}

/// Every file to format under `path`: the path itself when it is a file
/// (whatever its name), the `*.plat` files below it when it is a directory.
fn collect(path: &Path, files: &mut Vec<PathBuf>, outcome: &mut Outcome) {
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => walk(path, files, outcome),
        Ok(_) => files.push(path.to_path_buf()),
        Err(e) => {
            report(
                format!("cannot read `{}`: {e}", path.display()),
                "give a `.plat` file or a directory that holds some",
            );
            outcome.io_errors = true;
        }
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, outcome: &mut Outcome) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            report(
                format!("cannot read the directory `{}`: {e}", dir.display()),
                "check its permissions",
            );
            outcome.io_errors = true;
            return;
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => paths.push(entry),
            Err(e) => {
                report(
                    format!("cannot read the directory `{}`: {e}", dir.display()),
                    "check its permissions",
                );
                outcome.io_errors = true;
            }
        }
    }
    paths.sort_by_key(|e| e.file_name());
    for entry in paths {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // `platc fmt` in a project: `main.plat`, not `./main.plat`.
        let path = if dir == Path::new(".") {
            PathBuf::from(entry.file_name())
        } else {
            entry.path()
        };
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, files, outcome),
            Ok(t) if t.is_file() => {
                if path.extension().is_some_and(|e| e == "plat") {
                    files.push(path);
                }
            }
            // Symbolic links and special files inside a directory.
            Ok(_) => {}
            Err(e) => {
                report(
                    format!("cannot read `{}`: {e}", path.display()),
                    "check its permissions",
                );
                outcome.io_errors = true;
            }
        }
    }
}

/// Formats `text`, named `name` in diagnostics. `None` when it could not be
/// formatted (and the reason was reported).
fn format_text(name: &str, text: &str, color: bool, outcome: &mut Outcome) -> Option<String> {
    match format(FileId(0), text) {
        Ok(out) => Some(out),
        Err(FormatError::Syntax(diags)) => {
            let mut map = SourceMap::new();
            map.add(name, text.to_string());
            let mut err = io::stderr().lock();
            let _ = platc_render::write_human(&mut err, &map, &diags, color);
            outcome.broken += 1;
            outcome.syntax_errors = true;
            None
        }
        Err(FormatError::Internal(why)) => {
            report(
                format!("`{name}` was left as it is: {why}"),
                "this is a bug in platc fmt; please report it with the file",
            );
            outcome.io_errors = true;
            None
        }
    }
}

fn format_file(path: &Path, check: bool, color: bool, outcome: &mut Outcome) {
    let name = path.display().to_string();
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            report(
                format!("cannot read `{name}`: {e}"),
                "check its permissions",
            );
            outcome.io_errors = true;
            return;
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        report(
            format!("`{name}` is not valid UTF-8 text"),
            "save the file as UTF-8",
        );
        outcome.io_errors = true;
        return;
    };
    let Some(formatted) = format_text(&name, &text, color, outcome) else {
        return;
    };
    outcome.files += 1;
    if formatted == text {
        return;
    }
    outcome.changed += 1;
    if check {
        let mut out = io::stdout().lock();
        if let Err(e) = writeln!(out, "{name}") {
            if e.kind() != io::ErrorKind::BrokenPipe {
                report(
                    format!("cannot write the file list: {e}"),
                    "check standard output",
                );
                outcome.io_errors = true;
            }
        }
        return;
    }
    if let Err(e) = write_atomically(path, &formatted) {
        report(
            format!("cannot write `{name}`: {e}"),
            "the file was left as it was; check the directory's permissions and free space",
        );
        outcome.io_errors = true;
    }
}

fn format_stdin(check: bool, color: bool, outcome: &mut Outcome) {
    let mut bytes = Vec::new();
    if let Err(e) = io::stdin().lock().read_to_end(&mut bytes) {
        report(
            format!("cannot read standard input: {e}"),
            "check standard input",
        );
        outcome.io_errors = true;
        return;
    }
    let Ok(text) = String::from_utf8(bytes) else {
        report("standard input is not valid UTF-8 text", "give UTF-8 text");
        outcome.io_errors = true;
        return;
    };
    let Some(formatted) = format_text("<stdin>", &text, color, outcome) else {
        return;
    };
    outcome.files += 1;
    if formatted != text {
        outcome.changed += 1;
    }
    let mut out = io::stdout().lock();
    let written = if check {
        if formatted != text {
            writeln!(out, "<stdin>")
        } else {
            Ok(())
        }
    } else {
        out.write_all(formatted.as_bytes())
    };
    if let Err(e) = written.and_then(|_| out.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            report(
                format!("cannot write standard output: {e}"),
                "check standard output",
            );
            outcome.io_errors = true;
        }
    }
}

/// Replaces the file at `path` (or, for a symbolic link, its target) with
/// `text` in one rename: a reader sees the old text or the new one, never
/// a mix, and a failure leaves the old one.
fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let real = fs::canonicalize(path)?;
    let dir = real.parent().unwrap_or(Path::new("."));
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let permissions = fs::metadata(&real)?.permissions();
    let (tmp, mut file) = create_temp(dir, &name)?;
    let result = (|| {
        file.write_all(text.as_bytes())?;
        file.set_permissions(permissions)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, &real)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    // The rename itself reaches the disk with the directory.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A new file `.<name>.<pid>-<n>.platc-fmt` in `dir`, never an existing one.
fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, fs::File)> {
    let pid = std::process::id();
    let mut n = 0u32;
    loop {
        let tmp = dir.join(format!(".{name}.{pid}-{n}.platc-fmt"));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

/// The closing line on standard error: what happened to the files.
fn summary(check: bool, outcome: &Outcome) {
    let files = |n: usize| format!("{n} file{}", if n == 1 { "" } else { "s" });
    let unchanged = outcome.files.saturating_sub(outcome.changed);
    let verb = if check {
        "would be reformatted"
    } else {
        "reformatted"
    };
    let mut line = format!(
        "{} {verb}, {unchanged} already formatted",
        files(outcome.changed)
    );
    if outcome.broken > 0 {
        line = format!(
            "error: {} left as {} because of syntax errors; {line}",
            files(outcome.broken),
            if outcome.broken == 1 {
                "it was"
            } else {
                "they were"
            }
        );
    }
    let _ = writeln!(io::stderr(), "{line}");
}
