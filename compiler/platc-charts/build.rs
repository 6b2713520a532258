//! Embeds every `stdlib/charts/*.facts` file, by the chart name and version
//! of its `chart NAME VERSION` line.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dir = manifest.join("../../stdlib/charts");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "facts"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut out = String::from(
        "/// The embedded chart facts: (chart name, version, text).\n\
         pub(crate) const BUNDLED: &[(&str, &str, &str)] = &[\n",
    );
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let (name, version) = chart_line(&text)
            .unwrap_or_else(|| panic!("{} has no `chart NAME VERSION` line", file.display()));
        let abs = file.canonicalize().unwrap();
        writeln!(
            out,
            "    ({name:?}, {version:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("bundled.rs");
    std::fs::write(dest, out).unwrap();
}

/// The name and version of the first line that is not a comment. Quoted
/// tokens (JSON strings) are read without escapes, which chart names and
/// versions do not need.
fn chart_line(text: &str) -> Option<(String, String)> {
    let line = text
        .lines()
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let rest = line.strip_prefix("chart ")?;
    let (name, rest) = token(rest)?;
    let (version, rest) = token(rest.strip_prefix(' ')?)?;
    rest.is_empty().then_some((name, version))
}

fn token(text: &str) -> Option<(String, &str)> {
    if let Some(quoted) = text.strip_prefix('"') {
        let end = quoted.find('"')?;
        let value = &quoted[..end];
        if value.contains('\\') {
            return None;
        }
        return Some((value.to_string(), &quoted[end + 1..]));
    }
    let end = text.find(' ').unwrap_or(text.len());
    Some((text[..end].to_string(), &text[end..]))
}
