//! The shared benchmark workload (`../shared/bench/gen.py`): the generated
//! platform builds, and every release's Helm values equal the reference
//! output the workload ships (`expected.json`, compared after parsing).
//! The same workload, at 10,000 services, is in `cargo bench -p
//! platc-driver`. Without `../shared` the test fails under CI=true and says
//! it skipped otherwise.

mod common;

use std::path::PathBuf;

use platc_driver::{build_path, Options, RealFs};

fn generator() -> Option<PathBuf> {
    common::shared("bench/gen.py")
}

#[test]
fn generated_platform_builds_the_expected_values() {
    let Some(gen) = generator() else { return };
    let dir = std::env::temp_dir().join(format!("platc-shared-workload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let status = std::process::Command::new("python3")
        .arg(&gen)
        .arg("300")
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs the generator");
    assert!(status.success(), "gen.py failed");

    let b = build_path(&RealFs, &dir.join("platc"), &Options::default()).unwrap();
    let rendered =
        platc_render::render_human(&b.compilation.sources, &b.compilation.diagnostics, false);
    assert!(!b.compilation.has_errors(), "{rendered}");
    let platform = b.compilation.platform.as_ref().unwrap();
    // N services, plus a database and a bucket per 50 of them.
    assert_eq!(platform.instances.len(), 300 + 2 * 6);

    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let releases = expected["releases"].as_object().unwrap();
    assert_eq!(releases.len(), 300);
    for (name, want) in releases {
        let path = format!("helm/{name}.values.yaml");
        let file = b
            .files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no {path}"));
        let got: serde_json::Value = serde_yaml_ng::from_str(&file.contents).unwrap();
        assert_eq!(&got, want, "{path}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
