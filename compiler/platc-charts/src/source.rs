//! Chart folders of the reference data (`../shared/charts/<dir>/`) and the
//! facts files made from them: used by the `chart-facts` generator and by
//! the test that keeps `stdlib/charts` up to date. The compiler itself only
//! needs [`crate::bundled`].
//!
//! A folder holds the chart's `Chart.yaml`, `values.yaml` and schema, and
//! its Helm archive `<chart>-<version>.tgz`. The archive gives the version
//! Helm installs and the subcharts it vendors in `charts/`; it is unpacked
//! with the system's `tar`.

use std::path::{Path, PathBuf};

use crate::generate::ChartFiles;
use crate::Facts;

/// The folders under `root` that hold a `Chart.yaml`, sorted.
pub fn chart_dirs(root: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(root).map_err(|e| format!("cannot list {}: {e}", root.display()))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The facts of one chart folder: its `Chart.yaml`, `values.yaml`, and
/// `values.schema.json` when present. A `values.schema.yaml` (jupyterhub's
/// source form) is converted to JSON first, as the chart's release tooling
/// does.
///
/// When the folder has its Helm archive `<chart>-<version>.tgz`, the
/// subcharts vendored there give the facts of the dependencies' values keys,
/// and the version is the archive's: cert-manager's and jupyterhub's
/// `Chart.yaml` hold the placeholders that their release tooling replaces
/// (`v0.0.0`, `0.0.1-set.by.chartpress`).
pub fn generate_dir(dir: &Path) -> Result<Facts, String> {
    generate_dir_with_notes(dir).map(|(facts, _)| facts)
}

/// [`generate_dir`], and notes for the file header.
fn generate_dir_with_notes(dir: &Path) -> Result<(Facts, Vec<String>), String> {
    let at = |e: String| format!("{}: {e}", dir.display());
    let mut notes = Vec::new();
    let mut files = read_chart(dir).map_err(at)?;
    if !dir.join("values.schema.json").is_file() && dir.join("values.schema.yaml").is_file() {
        notes.push("The schema is values.schema.yaml, read as JSON.".to_string());
    }
    let meta_name = chart_name(&files.chart_yaml).map_err(at)?;
    let archive = archive_version(dir, &meta_name)?;
    if let Some((archive, _)) = &archive {
        let (templates, subcharts) = unpack_archive(&dir.join(archive)).map_err(at)?;
        files.subcharts = Some(subcharts);
        files.templates = templates;
    }
    let (mut facts, mut sub_notes) = crate::generate::generate_files(&files).map_err(at)?;
    if !sub_notes.is_empty() {
        let from = archive
            .as_ref()
            .map_or(String::new(), |(a, _)| format!(" (from {a})"));
        notes.push(format!("Values keys of subcharts{from}:"));
        notes.append(&mut sub_notes);
    }
    if let Some((archive, version)) = archive {
        if version != facts.version() {
            notes.push(format!(
                "The version is that of {archive}; Chart.yaml says {}.",
                facts.version()
            ));
            facts.version = version;
        }
    }
    Ok((facts, notes))
}

fn chart_name(chart_yaml: &str) -> Result<String, String> {
    let meta: serde_yaml_ng::Value = serde_yaml_ng::from_str(chart_yaml)
        .map_err(|e| format!("Chart.yaml: invalid YAML: {e}"))?;
    meta.get("name")
        .and_then(serde_yaml_ng::Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "Chart.yaml has no `name:`".to_string())
}

/// The files of the chart in `dir`; subcharts not yet known.
fn read_chart(dir: &Path) -> Result<ChartFiles, String> {
    let read = |file: &str| {
        let path = dir.join(file);
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let schema_json = if dir.join("values.schema.json").is_file() {
        Some(read("values.schema.json")?)
    } else if dir.join("values.schema.yaml").is_file() {
        let yaml: serde_json::Value = serde_yaml_ng::from_str(&read("values.schema.yaml")?)
            .map_err(|e| format!("values.schema.yaml: invalid YAML: {e}"))?;
        Some(yaml.to_string())
    } else {
        None
    };
    Ok(ChartFiles {
        chart_yaml: read("Chart.yaml")?,
        // A chart without values.yaml (some library charts) has no defaults.
        values_yaml: if dir.join("values.yaml").is_file() {
            read("values.yaml")?
        } else {
            String::new()
        },
        schema_json,
        subcharts: None,
        templates: read_templates(dir)?,
    })
}

/// The texts of the files in `dir/templates/` (and its subfolders), in
/// name order; none when it has no such folder.
fn read_templates(dir: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("templates")];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for p in files {
        // Templates are text; a binary file among them reads nothing.
        if let Ok(text) = std::fs::read_to_string(&p) {
            out.push(text);
        }
    }
    Ok(out)
}

/// The charts in `dir/charts/`, with theirs.
fn read_subcharts(dir: &Path) -> Result<Vec<ChartFiles>, String> {
    let charts = dir.join("charts");
    let Ok(entries) = std::fs::read_dir(&charts) else {
        return Ok(Vec::new());
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| {
            let mut files = read_chart(d)?;
            files.subcharts = Some(read_subcharts(d)?);
            Ok(files)
        })
        .collect()
}

/// The templates of the chart in a Helm archive and the subcharts it
/// vendors (`<chart>/charts/<sub>/`), unpacked with `tar` into a temporary
/// folder.
type Unpacked = (Vec<String>, Vec<ChartFiles>);

fn unpack_archive(archive: &Path) -> Result<Unpacked, String> {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = std::env::temp_dir().join(format!("platc-chart-facts-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let result = (|| {
        let status = std::process::Command::new("tar")
            .arg("-xzf")
            .arg(archive)
            .arg("-C")
            .arg(&tmp)
            .status()
            .map_err(|e| format!("cannot run tar: {e}"))?;
        if !status.success() {
            return Err(format!("tar cannot unpack {}", archive.display()));
        }
        let top = std::fs::read_dir(&tmp)
            .map_err(|e| format!("cannot list {}: {e}", tmp.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.join("Chart.yaml").is_file())
            .ok_or_else(|| format!("{} holds no chart", archive.display()))?;
        Ok((read_templates(&top)?, read_subcharts(&top)?))
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

/// The version in the name of the folder's `<chart>-<version>.tgz`, if it
/// has exactly one.
fn archive_version(dir: &Path, chart: &str) -> Result<Option<(String, String)>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let prefix = format!("{chart}-");
    let mut found: Vec<(String, String)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|name| {
            let version = name
                .strip_prefix(&prefix)?
                .strip_suffix(".tgz")?
                .to_string();
            (!version.is_empty()).then_some((name, version))
        })
        .collect();
    Ok(if found.len() == 1 { found.pop() } else { None })
}

/// The file name of a chart's facts: `<chart>-<version>.facts`.
pub fn file_name(facts: &Facts) -> String {
    format!("{}-{}.facts", facts.chart(), facts.version())
}

/// The whole facts file: a header naming its source, then
/// [`Facts::to_text`]. `source` is the chart folder as the header should
/// name it, e.g. `../shared/charts/airflow`.
pub fn file_text(facts: &Facts, source: &str) -> String {
    file_text_with_notes(facts, source, &[])
}

fn file_text_with_notes(facts: &Facts, source: &str, notes: &[String]) -> String {
    let mut out = format!(
        "# Facts of Helm chart {} {}: its values key paths, types, enums and free-form maps.\n\
         # Generated by scripts/chart-facts from {source}/; do not edit by hand.\n",
        facts.chart(),
        facts.version(),
    );
    for note in notes {
        out.push_str("# ");
        out.push_str(note);
        out.push('\n');
    }
    out.push_str("# Format: compiler/platc-charts/src/text.rs.\n");
    out.push_str(&facts.to_text());
    out
}

/// One chart folder's facts file: `(file name, text)`; `label` is the
/// reference data folder as headers name it (`../shared/charts`).
pub fn facts_file(dir: &Path, label: &str) -> Result<(String, String), String> {
    let (facts, notes) = generate_dir_with_notes(dir)?;
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((
        file_name(&facts),
        file_text_with_notes(&facts, &format!("{label}/{folder}"), &notes),
    ))
}
