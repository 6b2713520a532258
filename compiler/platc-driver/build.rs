//! Embeds every `stdlib/std/*.plat` file (and the policy packs,
//! `stdlib/std/policies/*.plat`) into the binary.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    // `stdlib/std/NAME.plat` is `std/NAME`; the built-in policy packs,
    // `stdlib/std/policies/NAME.plat`, are `std/policies/NAME`.
    for (sub, prefix) in [("", "std/"), ("policies", "std/policies/")] {
        let dir = manifest.join("../../stdlib/std").join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for p in rd.filter_map(|e| e.ok().map(|e| e.path())) {
                if p.extension().is_some_and(|e| e == "plat") {
                    let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
                    files.push((format!("{prefix}{stem}"), p));
                }
            }
        }
    }
    files.sort();
    let mut out = String::from("/// The embedded stdlib: (module name, source).\npub static STDLIB: &[(&str, &str)] = &[\n");
    for (name, f) in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let abs = f.canonicalize().unwrap();
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("stdlib.rs");
    std::fs::write(dest, out).unwrap();
}
