//! `chart-facts [CHARTS_DIR] [--out DIR]`: writes `<chart>-<version>.facts`
//! for every chart folder of the reference data into `stdlib/charts`, and
//! removes facts files whose chart folder is gone.
//!
//! CHARTS_DIR defaults to `../shared/charts` beside the workspace; run it as
//! `scripts/chart-facts`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use platc_charts::source;

const USAGE: &str = "usage: chart-facts [CHARTS_DIR] [--out DIR]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chart-facts: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    let mut charts: Option<String> = None;
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = Some(args.next().ok_or(USAGE)?.into()),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ if arg.starts_with('-') || charts.is_some() => return Err(USAGE.to_string()),
            _ => charts = Some(arg),
        }
    }
    // Headers name the folder as given, or as the default relative to the
    // workspace root.
    let (dir, label) = match charts {
        Some(given) => (
            PathBuf::from(&given),
            given.trim_end_matches('/').to_string(),
        ),
        None => (
            workspace.join("../shared/charts"),
            "../shared/charts".to_string(),
        ),
    };
    let out = out.unwrap_or_else(|| workspace.join("stdlib/charts"));
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;

    let mut written = BTreeSet::new();
    let mut total = 0;
    for chart in source::chart_dirs(&dir)? {
        let (name, text) = source::facts_file(&chart, &label)?;
        if !written.insert(name.clone()) {
            return Err(format!("two chart folders give {name}"));
        }
        let path = out.join(&name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, &text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote {}", path.display());
        }
        total += text.len();
    }
    if written.is_empty() {
        return Err(format!(
            "no chart folder (with a Chart.yaml) in {}",
            dir.display()
        ));
    }
    let stale = std::fs::read_dir(&out)
        .map_err(|e| format!("cannot list {}: {e}", out.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "facts"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| written.contains(&*n.to_string_lossy()))
        });
    for path in stale {
        std::fs::remove_file(&path)
            .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        println!("removed {}", path.display());
    }
    println!(
        "{} charts, {} bytes of facts in {}",
        written.len(),
        total,
        out.display()
    );
    Ok(())
}
