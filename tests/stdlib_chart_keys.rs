//! Every Helm value that the stdlib writes is a real key of the chart version
//! it pins.
//!
//! For each `stdlib/std/*.plat` file: the file parses without diagnostics;
//! each component with a `chart` names a chart of the reference data in
//! `../shared/charts` (matched by the `name:` of its `Chart.yaml`) at exactly
//! the pinned version; and every key path assigned in its `values` blocks, in
//! every branch of every `if`, is accepted by [`check_key`]:
//!
//! - the path exists in the chart's `values.yaml`, or lies below a map that
//!   is empty there (`podAnnotations: {}`: free-form); or
//! - the path is declared in `values.schema.json`: each segment is a listed
//!   property, or falls under `additionalProperties` that is `true` or a
//!   schema, or under an object schema that lists no properties at all;
//! - or the chart's templates read it: a `.Values.a.b` of a template in the
//!   chart's archive (outside `{{/* */}}` comments) is the path, extends it,
//!   or is a key values.yaml lacks that the path extends (Helm passes the
//!   template whatever is set there), or lies below a map the templates
//!   take apart key by key (`omit .Values.configs.cm "create"`, `range $k,
//!   $v := .Values.m`: argo-cd writes every key of `configs.cm` into its
//!   ConfigMap);
//! - or it is `requests` or `limits` of a `resources` map (Kubernetes'
//!   container resources) whose other half the values.yaml shows;
//! - and in either case the schema does not forbid it. Helm validates values
//!   against the schema, so a key below `additionalProperties: false` or
//!   below a non-object type fails the install whatever `values.yaml` shows.
//!
//! One reading is stricter than JSON Schema on purpose: an object schema that
//! lists properties but says nothing about `additionalProperties` does not
//! accept other keys here. Chart schemas are mostly generated and leave
//! `additionalProperties` out; a key that is neither in `values.yaml` nor in
//! the schema's properties is a typo far more often than a real setting.
//!
//! The reference data lives outside the repository. When it is missing the
//! test prints `skipped: ../shared/charts not found` (in the test summary,
//! see tests/common) and passes, except under CI (`CI=true`), where it
//! fails.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use platc_diag::FileId;
use platc_syntax::ast::{ComponentDecl, Item, Module, StrPart, StringLit, ValueStmt};
use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

// ---------------------------------------------------------------- locations

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stdlib_dir() -> PathBuf {
    workspace_root().join("stdlib").join("std")
}

/// The chart reference data, or `None` (after saying so) when it is absent
/// outside CI.
fn charts_dir_or_skip() -> Option<PathBuf> {
    common::shared("charts")
}

// ---------------------------------------------------------------- charts

/// One chart of the reference data.
struct Chart {
    dir: PathBuf,
    name: String,
    version: String,
    values: Yaml,
    schema: Option<Json>,
    /// What its templates read: `.Values.a.b` as `["a", "b"]`.
    reads: Vec<Vec<String>>,
    /// The values.yaml of each subchart the archive bundles, by name: the
    /// parent sets a subchart's values under that key.
    subcharts: BTreeMap<String, Yaml>,
}

/// The values.yaml of every subchart bundled in a chart archive
/// (`NAME/charts/SUB/values.yaml`), by subchart name.
fn subchart_values(archive: &Path) -> Result<BTreeMap<String, Yaml>, String> {
    let tar = |args: &[&str]| {
        std::process::Command::new("tar")
            .args(args)
            .arg(archive)
            .output()
            .map_err(|e| format!("cannot run tar: {e}"))
    };
    let list = tar(&["-tzf"])?;
    let mut out = BTreeMap::new();
    for entry in String::from_utf8_lossy(&list.stdout).lines() {
        let parts: Vec<&str> = entry.split('/').collect();
        if let [_, "charts", sub, "values.yaml"] = parts.as_slice() {
            let text = std::process::Command::new("tar")
                .arg("-xzOf")
                .arg(archive)
                .arg(entry)
                .output()
                .map_err(|e| format!("cannot run tar: {e}"))?
                .stdout;
            let values = parse_yaml(&String::from_utf8_lossy(&text), Path::new(entry))?;
            out.insert(sub.to_string(), values);
        }
    }
    Ok(out)
}

/// The `.Values.` paths in the templates of a chart archive, outside
/// template comments.
fn template_reads(archive: &Path) -> Result<Vec<Vec<String>>, String> {
    let out = std::process::Command::new("tar")
        .arg("-xzOf")
        .arg(archive)
        .arg("--wildcards")
        .arg("*/templates/*")
        .output()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !out.status.success() {
        return Err(format!("tar cannot read {}", archive.display()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // Comments out.
    let mut code = String::new();
    let mut rest: &str = &text;
    while let Some(open) = rest.find("/*") {
        code.push_str(&rest[..open]);
        rest = rest[open..]
            .find("*/")
            .map_or("", |close| &rest[open + close + 2..]);
    }
    code.push_str(rest);
    let mut reads = Vec::new();
    for (at, _) in code.match_indices(".Values.") {
        let path: Vec<String> = code[at + ".Values.".len()..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .next()
            .unwrap_or("")
            .split('.')
            .take_while(|k| !k.is_empty() && !k.starts_with(|c: char| c.is_ascii_digit()))
            .map(str::to_string)
            .collect();
        if !path.is_empty() {
            // A map the templates take apart key by key (`omit .Values.m
            // "create"`, `range $k, $v := .Values.m`) writes out whatever
            // keys it is given: every key below it is read. Marked by a
            // last segment `*`.
            let before = code[..at].trim_end();
            let iterated = before.ends_with("omit")
                || (before.ends_with(":=")
                    && before
                        .rfind("range")
                        .is_some_and(|r| before[r..].contains(',') && !before[r..].contains('}')));
            if iterated {
                let mut any = path.clone();
                any.push("*".to_string());
                reads.push(any);
            }
            reads.push(path);
        }
    }
    reads.sort();
    reads.dedup();
    Ok(reads)
}

impl Chart {
    fn load(dir: &Path) -> Result<Chart, String> {
        let read = |file: &str| {
            std::fs::read_to_string(dir.join(file))
                .map_err(|e| format!("cannot read {}: {e}", dir.join(file).display()))
        };
        let meta = parse_yaml(&read("Chart.yaml")?, &dir.join("Chart.yaml"))?;
        let field = |key: &str| match meta.get(key) {
            Some(Yaml::String(s)) => Ok(s.clone()),
            Some(Yaml::Number(n)) => Ok(n.to_string()),
            _ => Err(format!("{}/Chart.yaml has no `{key}:`", dir.display())),
        };
        let values = parse_yaml(&read("values.yaml")?, &dir.join("values.yaml"))?;
        let schema_path = dir.join("values.schema.json");
        let yaml_schema = dir.join("values.schema.yaml");
        let schema = if schema_path.is_file() {
            let text = read("values.schema.json")?;
            Some(
                serde_json::from_str(&text)
                    .map_err(|e| format!("{}: invalid JSON: {e}", schema_path.display()))?,
            )
        } else if yaml_schema.is_file() {
            // jupyterhub's source form, which its release tooling turns
            // into values.schema.json.
            let text = read("values.schema.yaml")?;
            Some(
                serde_yaml_ng::from_str(&text)
                    .map_err(|e| format!("{}: invalid YAML: {e}", yaml_schema.display()))?,
            )
        } else {
            None
        };
        let name = field("name")?;
        // The published version: the archive's (`<name>-<version>.tgz`),
        // since some charts keep a placeholder in git (cert-manager's
        // `v0.0.0`), else Chart.yaml's.
        let packaged = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let file = e.file_name().to_string_lossy().into_owned();
                let stem = file.strip_suffix(".tgz")?;
                stem.strip_prefix(&format!("{name}-")).map(str::to_string)
            })
            .next();
        let (reads, subcharts) = match &packaged {
            Some(v) => {
                let archive = dir.join(format!("{name}-{v}.tgz"));
                (template_reads(&archive)?, subchart_values(&archive)?)
            }
            None => (Vec::new(), BTreeMap::new()),
        };
        Ok(Chart {
            dir: dir.to_path_buf(),
            version: match packaged {
                Some(v) => v,
                None => field("version")?,
            },
            name,
            values,
            schema,
            reads,
            subcharts,
        })
    }
}

/// Parses YAML as Helm does (libyaml rules, as go-yaml), so that files Helm
/// reads are read here too.
fn parse_yaml(text: &str, path: &Path) -> Result<Yaml, String> {
    serde_yaml_ng::from_str(text).map_err(|e| format!("{}: invalid YAML: {e}", path.display()))
}

/// Every chart folder (one holding a `Chart.yaml`), by chart name.
fn load_charts(dir: &Path) -> BTreeMap<String, Vec<Chart>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    entries.sort();
    let mut charts: BTreeMap<String, Vec<Chart>> = BTreeMap::new();
    for path in entries {
        let chart = Chart::load(&path).unwrap_or_else(|e| panic!("{e}"));
        charts.entry(chart.name.clone()).or_default().push(chart);
    }
    charts
}

// ---------------------------------------------------------------- the check

/// Whether a key path may be set in a chart's values; `Err` says why not.
fn check_key(
    values: &Yaml,
    schema: Option<&Json>,
    reads: &[Vec<String>],
    path: &[String],
) -> Result<(), String> {
    let in_values = check_values_yaml(values, path);
    let in_schema = schema.map(|s| check_schema(s, s, path, 0));
    if let Some(Schema::Forbidden(why)) = &in_schema {
        return Err(format!("values.schema.json forbids it: {why}"));
    }
    if in_values.is_ok() || matches!(in_schema, Some(Schema::Accepted)) {
        return Ok(());
    }
    let read = reads.iter().any(|r| {
        if r.last().is_some_and(|k| k == "*") {
            return path.len() >= r.len() && path.starts_with(&r[..r.len() - 1]);
        }
        r.starts_with(path) || (path.starts_with(r) && check_values_yaml(values, r).is_err())
    });
    if read {
        return Ok(());
    }
    // A container's `resources` (Kubernetes' ResourceRequirements) has both
    // `requests` and `limits`, whichever one the chart's values.yaml shows.
    if let Some(k) = path.iter().position(|s| s == "resources") {
        let (head, tail) = path.split_at(k + 1);
        let sibling = match tail.first().map(String::as_str) {
            Some("limits") => Some("requests"),
            Some("requests") => Some("limits"),
            _ => None,
        };
        if let Some(sibling) = sibling {
            let mut probe = head.to_vec();
            probe.push(sibling.to_string());
            if check_values_yaml(values, &probe).is_ok() {
                return Ok(());
            }
        }
    }
    let mut why = format!("values.yaml: {}", in_values.unwrap_err());
    match in_schema {
        Some(Schema::Unlisted(s)) => write!(why, "; values.schema.json: {s}").unwrap(),
        None => why.push_str("; the chart has no values.schema.json"),
        Some(Schema::Accepted | Schema::Forbidden(_)) => unreachable!(),
    }
    Err(why)
}

fn dotted(path: &[String]) -> String {
    if path.is_empty() {
        "the top level".to_string()
    } else {
        format!("`{}`", path.join("."))
    }
}

/// The key list of a map, for messages.
fn some_keys<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    let keys: Vec<&str> = keys.collect();
    let mut out = keys
        .iter()
        .take(20)
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if keys.len() > 20 {
        write!(out, " and {} more", keys.len() - 20).unwrap();
    }
    if out.is_empty() {
        out.push_str("none");
    }
    out
}

fn check_values_yaml(values: &Yaml, path: &[String]) -> Result<(), String> {
    let mut node = values;
    for (i, segment) in path.iter().enumerate() {
        let here = &path[..i];
        match node {
            Yaml::Mapping(map) if map.is_empty() => return Ok(()),
            Yaml::Mapping(map) => match map.get(segment.as_str()) {
                Some(next) => node = next,
                None => {
                    let keys = map.keys().filter_map(Yaml::as_str);
                    return Err(format!(
                        "no key `{segment}` at {} (keys there: {})",
                        dotted(here),
                        some_keys(keys)
                    ));
                }
            },
            other => {
                return Err(format!(
                    "{} is {}, not a map, so it has no key `{segment}`",
                    dotted(here),
                    yaml_kind(other)
                ))
            }
        }
    }
    Ok(())
}

fn yaml_kind(node: &Yaml) -> &'static str {
    match node {
        Yaml::Null => "null",
        Yaml::Sequence(_) => "a list",
        Yaml::Bool(_) => "a boolean",
        Yaml::Number(_) => "a number",
        Yaml::String(_) => "a string",
        Yaml::Mapping(_) | Yaml::Tagged(_) => "not a plain map",
    }
}

/// What the schema says about a path.
#[derive(Debug, PartialEq)]
enum Schema {
    /// Declared, or below an open map.
    Accepted,
    /// Not declared, but not forbidden either (see the module docs).
    Unlisted(String),
    /// Helm's schema validation would reject it.
    Forbidden(String),
}

impl Schema {
    fn rank(&self) -> u8 {
        match self {
            Schema::Accepted => 2,
            Schema::Unlisted(_) => 1,
            Schema::Forbidden(_) => 0,
        }
    }
}

fn allows_object(node: &Json) -> Option<bool> {
    match node.get("type")? {
        Json::String(t) => Some(t == "object"),
        Json::Array(ts) => Some(ts.iter().any(|t| t == "object")),
        _ => None,
    }
}

/// Every part of a schema applies: a key must be allowed by all of them
/// (else forbidden), and is declared when one of them declares it.
fn all_of(verdicts: impl IntoIterator<Item = Schema>) -> Option<Schema> {
    let mut result: Option<Schema> = None;
    for v in verdicts {
        result = Some(match (result, v) {
            (Some(f @ Schema::Forbidden(_)), _) | (_, f @ Schema::Forbidden(_)) => f,
            (Some(Schema::Accepted), _) | (_, Schema::Accepted) => Schema::Accepted,
            (_, u) => u,
        });
    }
    result
}

/// One alternative must hold: the best verdict wins.
fn any_of(verdicts: impl IntoIterator<Item = Schema>) -> Option<Schema> {
    verdicts.into_iter().max_by_key(Schema::rank)
}

/// What the schema `node` says about `path[at..]`, where `path[..at]` led
/// to `node`. Its own keywords, its `$ref` (local `#/...` only) and its
/// `allOf` all apply; of `anyOf` and `oneOf` one member must. Each step
/// consumes a segment or follows a reference; `refs` cuts reference cycles.
fn check_schema(root: &Json, node: &Json, path: &[String], at: usize) -> Schema {
    check_schema_refs(root, node, path, at, 0)
}

fn check_schema_refs(root: &Json, node: &Json, path: &[String], at: usize, refs: usize) -> Schema {
    if at == path.len() {
        return Schema::Accepted;
    }
    if refs > 32 {
        return Schema::Unlisted("too many nested `$ref`s to follow".to_string());
    }
    let sub = |n: &Json| check_schema_refs(root, n, path, at, refs + 1);
    let members = |key: &str| node.get(key).and_then(Json::as_array).into_iter().flatten();
    let mut parts = Vec::new();
    let mut composite = false;
    if let Some(target) = node.get("$ref").and_then(Json::as_str) {
        composite = true;
        if let Some(found) = target.strip_prefix('#').and_then(|p| root.pointer(p)) {
            parts.push(sub(found));
        }
    }
    if node.get("allOf").is_some() {
        composite = true;
        parts.extend(all_of(members("allOf").map(sub)));
    }
    for key in ["anyOf", "oneOf"] {
        if node.get(key).is_some() {
            composite = true;
            parts.extend(any_of(members(key).map(sub)));
        }
    }
    // Beside a `$ref` or a combinator, a node's own keywords count only
    // when they say something about keys: `{"type": "object", "$ref": ...}`
    // judged alone would look like an open map.
    let constrains_keys = node.get("properties").is_some()
        || node.get("additionalProperties").is_some()
        || allows_object(node) == Some(false);
    if !composite || constrains_keys {
        parts.push(check_schema_node(root, node, path, at));
    }
    all_of(parts).unwrap_or_else(|| Schema::Unlisted("no schema describes it".to_string()))
}

fn check_schema_node(root: &Json, node: &Json, path: &[String], at: usize) -> Schema {
    let segment = &path[at];
    let here = dotted(&path[..at]);
    if allows_object(node) == Some(false) {
        let ty = node.get("type").map(Json::to_string).unwrap_or_default();
        return Schema::Forbidden(format!(
            "{here} has type {ty}, so it has no key `{segment}`"
        ));
    }
    let properties = node.get("properties").and_then(Json::as_object);
    if let Some(next) = properties.and_then(|p| p.get(segment.as_str())) {
        return check_schema(root, next, path, at + 1);
    }
    // JSON Schema: a key that matches a pattern of `patternProperties` is
    // held to that pattern's schema, whatever `additionalProperties` says.
    let patterns = node.get("patternProperties").and_then(Json::as_object);
    for (pattern, next) in patterns.into_iter().flatten() {
        let re = regex::Regex::new(pattern).expect("a chart schema's pattern is a regex");
        if re.is_match(segment) {
            return check_schema(root, next, path, at + 1);
        }
    }
    let listed = || {
        some_keys(
            properties
                .into_iter()
                .flat_map(|p| p.keys().map(String::as_str)),
        )
    };
    match node.get("additionalProperties") {
        Some(Json::Bool(false)) => Schema::Forbidden(format!(
            "{here} allows only its listed properties ({}), not `{segment}`",
            listed()
        )),
        Some(Json::Bool(true)) => Schema::Accepted,
        Some(extra @ Json::Object(_)) => check_schema(root, extra, path, at + 1),
        _ if properties.is_none_or(|p| p.is_empty()) => Schema::Accepted,
        _ => Schema::Unlisted(format!(
            "{here} lists no property `{segment}` (it lists {})",
            listed()
        )),
    }
}

// ---------------------------------------------------------------- stdlib

fn plain(lit: &StringLit) -> String {
    lit.as_plain().unwrap_or_else(|| {
        lit.parts
            .iter()
            .map(|p| match p {
                StrPart::Text(t) => t.to_string(),
                StrPart::Interp(_) => "${...}".to_string(),
            })
            .collect()
    })
}

/// Every assignment of a component's values blocks, in every branch: (key
/// path, byte offset).
fn value_paths(component: &ComponentDecl) -> Vec<(Vec<String>, usize)> {
    fn walk(stmts: &[ValueStmt], out: &mut Vec<(Vec<String>, usize)>) {
        for stmt in stmts {
            match stmt {
                ValueStmt::Assign { path, span, .. } => {
                    // Checked up to the first computed or index segment.
                    let keys = path
                        .iter()
                        .map_while(|s| s.name().map(str::to_string))
                        .collect();
                    out.push((keys, span.start as usize));
                }
                ValueStmt::If {
                    then, otherwise, ..
                } => {
                    walk(then, out);
                    walk(otherwise, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    for block in &component.values {
        walk(&block.stmts, &mut out);
    }
    out
}

/// A key path as written in a values block: segments that are not plain
/// words are quoted.
fn display_path(keys: &[String]) -> String {
    let word = |k: &str| {
        k.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    keys.iter()
        .map(|k| if word(k) { k.clone() } else { format!("{k:?}") })
        .collect::<Vec<_>>()
        .join(".")
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses one stdlib file; syntax diagnostics are failures.
fn parse_file(path: &Path, text: &str, failures: &mut Vec<String>) -> Module {
    let (module, diagnostics) = platc_syntax::parse(FileId(0), text);
    for d in &diagnostics {
        failures.push(format!(
            "{}:{}: {} {}: {}",
            path.display(),
            line_of(text, d.primary.span.start as usize),
            d.severity.as_str(),
            d.code,
            d.message
        ));
    }
    module
}

/// Checks every chart-backed component of one stdlib file; returns how many
/// key paths were checked.
fn check_file(
    path: &Path,
    text: &str,
    charts: &BTreeMap<String, Vec<Chart>>,
    failures: &mut Vec<String>,
) -> usize {
    let module = parse_file(path, text, failures);
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut checked = 0;
    for item in &module.items {
        let Item::Component(component) = item else {
            continue;
        };
        let name = &component.name.name;
        for decl in &component.charts {
            let chart_name = plain(&decl.name);
            let version = plain(&decl.version);
            let at = format!(
                "{file}:{}: component `{name}`",
                line_of(text, decl.span.start as usize)
            );
            let Some(candidates) = charts.get(&chart_name) else {
                failures.push(format!(
                    "{at}: chart `{chart_name}` is not in the reference data (charts there: {})",
                    some_keys(charts.keys().map(String::as_str))
                ));
                continue;
            };
            let Some(chart) = candidates.iter().find(|c| c.version == version) else {
                let have: Vec<String> = candidates
                    .iter()
                    .map(|c| format!("{} in {}", c.version, c.dir.display()))
                    .collect();
                failures.push(format!(
                    "{at}: pins chart `{chart_name}` version {version}, but the reference data has {}",
                    have.join(", ")
                ));
                continue;
            };
            for (keys, offset) in value_paths(component) {
                checked += 1;
                if let Err(why) =
                    check_key(&chart.values, chart.schema.as_ref(), &chart.reads, &keys)
                {
                    // A key of a bundled subchart's values, under its name.
                    let in_subchart = keys.split_first().is_some_and(|(sub, rest)| {
                        chart
                            .subcharts
                            .get(sub)
                            .is_some_and(|v| !rest.is_empty() && check_values_yaml(v, rest).is_ok())
                    });
                    if in_subchart {
                        continue;
                    }
                    failures.push(format!(
                        "{file}:{}: component `{name}`: values key `{}` is not a key of chart {} {} ({}): {why}",
                        line_of(text, offset),
                        display_path(&keys),
                        chart.name,
                        chart.version,
                        chart.dir.display()
                    ));
                }
            }
        }
    }
    checked
}

fn stdlib_files() -> Vec<PathBuf> {
    let dir = stdlib_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "plat"))
        .collect();
    files.sort();
    files
}

// ---------------------------------------------------------------- tests

#[test]
fn stdlib_files_parse_without_diagnostics() {
    let files = stdlib_files();
    assert!(
        !files.is_empty(),
        "no .plat file in {}",
        stdlib_dir().display()
    );
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        parse_file(path, &text, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "syntax diagnostics:\n{}",
        failures.join("\n")
    );
}

#[test]
fn stdlib_values_keys_exist_in_pinned_charts() {
    let Some(dir) = charts_dir_or_skip() else {
        return;
    };
    let charts = load_charts(&dir);
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut components = 0;
    for path in stdlib_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        checked += check_file(&path, &text, &charts, &mut failures);
        let (module, _) = platc_syntax::parse(FileId(0), &text);
        components += module
            .items
            .iter()
            .filter(|i| matches!(i, Item::Component(c) if !c.charts.is_empty()))
            .count();
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) in the stdlib's Helm values:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        components > 0 && checked > 0,
        "nothing was checked: no chart-backed component, or no values key"
    );
    println!("{checked} values keys of {components} components checked");
}

/// The check is not vacuous: against the real minio and airflow charts, a
/// made-up key is rejected and real keys pass.
#[test]
fn made_up_keys_are_rejected_by_real_charts() {
    let Some(dir) = charts_dir_or_skip() else {
        return;
    };
    let charts = load_charts(&dir);
    let source = r#"
        component fake_minio {
            chart "minio" version "5.4.0" from "https://charts.min.io/"
            param n: int = 1
            values {
                replicas = n
                podAnnotations."example.com/anything" = "ok"
                if n > 1 {
                    persistence.size = 1
                } else {
                    persistence.sizeInGigabytes = 1
                }
            }
        }
        component fake_airflow {
            chart "airflow" version "1.22.0" from "https://airflow.apache.org"
            values {
                config.logging.remote_logging = "True"
                workers.celery.replicas = 2
                statsd.service.port = 9102
                workers.replicaCount = 3
                apiServer.resources.requests.cpu = "1"
                apiServer.resources.request.cpu = "1"
            }
        }
        component wrong_version {
            chart "minio" version "5.3.0" from "https://charts.min.io/"
        }
    "#;
    let mut failures = Vec::new();
    let checked = check_file(Path::new("fake.plat"), source, &charts, &mut failures);
    assert_eq!(
        checked, 10,
        "every assignment, in both branches, is checked"
    );
    let text = failures.join("\n");
    assert_eq!(failures.len(), 5, "expected exactly five failures:\n{text}");
    // A key below a map with listed keys (an else branch is checked too).
    assert!(
        text.contains("values key `persistence.sizeInGigabytes`"),
        "{text}"
    );
    assert!(
        text.contains("no key `sizeInGigabytes` at `persistence`"),
        "{text}"
    );
    // Below `additionalProperties: false` in the schema.
    assert!(text.contains("values key `statsd.service.port`"), "{text}");
    assert!(text.contains("forbids it"), "{text}");
    assert!(text.contains("values key `workers.replicaCount`"), "{text}");
    // Through the schema's `$ref` to Kubernetes' ResourceRequirements.
    assert!(
        text.contains("values key `apiServer.resources.request.cpu`"),
        "{text}"
    );
    // The pinned version must be the reference data's.
    assert!(text.contains("pins chart `minio` version 5.3.0"), "{text}");
}

// The rules on small inline data, independent of the reference data.

fn yaml(text: &str) -> Yaml {
    parse_yaml(text, Path::new("inline.yaml")).unwrap()
}

fn keys(path: &str) -> Vec<String> {
    path.split('.').map(str::to_string).collect()
}

#[test]
fn values_yaml_rules() {
    let values = yaml(
        "image:\n  tag: v1\npodAnnotations: {}\nextraEnv: ~\nlist: [1]\nresources:\n  requests:\n    memory: 1Gi\n",
    );
    let ok = |p: &str| check_key(&values, None, &[], &keys(p));
    assert_eq!(ok("image.tag"), Ok(()));
    assert_eq!(ok("image"), Ok(()));
    assert_eq!(
        ok("podAnnotations.anything.below"),
        Ok(()),
        "an empty map is free-form"
    );
    assert_eq!(ok("resources.requests.memory"), Ok(()));
    let err = ok("image.tags").unwrap_err();
    assert!(
        err.contains("no key `tags` at `image` (keys there: `tag`)"),
        "{err}"
    );
    assert!(err.contains("no values.schema.json"), "{err}");
    assert!(ok("imag").is_err());
    assert!(
        ok("resources.requests.cpu").is_err(),
        "a non-empty map is not free-form"
    );
    let err = ok("extraEnv.name").unwrap_err();
    assert!(err.contains("`extraEnv` is null, not a map"), "{err}");
    assert!(ok("list.x").unwrap_err().contains("a list"));
    // What the templates read is a key, even where values.yaml is silent.
    let reads = [keys("config.existingSecret"), keys("fullnameOverride")];
    let read = |p: &str| check_key(&values, None, &reads, &keys(p));
    assert_eq!(read("config.existingSecret"), Ok(()));
    assert_eq!(read("fullnameOverride"), Ok(()));
    assert!(read("config.existingSecrets").is_err());
    assert!(read("image.tags").is_err());
    // Below a map the templates take apart key by key, every key is read.
    let reads = [keys("image.*")];
    let read = |p: &str| check_key(&values, None, &reads, &keys(p));
    assert_eq!(read("image.tags"), Ok(()));
    assert_eq!(read("image.any.depth"), Ok(()));
    assert!(read("imag.tags").is_err());
}

#[test]
fn schema_rules() {
    let values = yaml("known: 1\nopen: {}\n");
    let schema: Json = serde_json::json!({
        "definitions": {
            "listed": { "type": "object", "properties": { "a": {} } },
            "res": {
                "type": "object",
                "properties": { "limits": { "type": "object", "additionalProperties": { "type": "string" } } },
                "additionalProperties": false
            }
        },
        "type": "object",
        "properties": {
            "known": { "type": "integer" },
            "open": { "type": "object", "properties": { "a": {} }, "additionalProperties": false },
            "closed": { "type": "object", "properties": { "a": { "type": "string" } }, "additionalProperties": false },
            "loose": { "type": "object", "properties": { "a": { "type": "string" } } },
            "bare": { "type": "object" },
            "config": { "type": "object", "additionalProperties": { "type": "object", "additionalProperties": { "type": "string" } } },
            "res": { "$ref": "#/definitions/res", "type": "object", "description": "resources" },
            "refd": { "$ref": "#/definitions/listed", "type": "object" },
            "either": { "anyOf": [ { "type": "null" }, { "type": "object", "properties": { "x": {} }, "additionalProperties": false } ] },
            "both": { "allOf": [ { "properties": { "a": {} }, "additionalProperties": false }, { "properties": { "b": {} } } ] }
        }
    });
    let ok = |p: &str| check_key(&values, Some(&schema), &[], &keys(p));
    assert_eq!(ok("known"), Ok(()));
    assert_eq!(ok("closed.a"), Ok(()), "a listed property");
    assert_eq!(
        ok("bare.any.thing"),
        Ok(()),
        "an object without properties is open"
    );
    assert_eq!(
        ok("config.section.key"),
        Ok(()),
        "additionalProperties schemas are followed"
    );
    assert_eq!(ok("res.limits.cpu"), Ok(()), "$ref is resolved");
    assert_eq!(ok("either.x"), Ok(()), "anyOf members are tried");
    assert_eq!(ok("loose.a"), Ok(()));
    assert_eq!(
        ok("both.a"),
        Ok(()),
        "one allOf member declares it, none forbids it"
    );

    let err = ok("closed.b").unwrap_err();
    assert!(
        err.contains("forbids it") && err.contains("allows only"),
        "{err}"
    );
    // Free-form in values.yaml, but the schema closes the map: Helm would fail.
    let err = ok("open.b").unwrap_err();
    assert!(err.contains("forbids it"), "{err}");
    let err = ok("config.section.key.deeper").unwrap_err();
    assert!(err.contains("has type \"string\""), "{err}");
    let err = ok("res.requests").unwrap_err();
    assert!(err.contains("forbids it"), "{err}");
    let err = ok("either.y").unwrap_err();
    assert!(err.contains("forbids it"), "{err}");
    let err = ok("both.b").unwrap_err();
    assert!(
        err.contains("forbids it"),
        "every allOf member applies: {err}"
    );
    // Listed properties without `additionalProperties`: unlisted keys are not
    // accepted (see the module docs), but reported as unlisted, not forbidden.
    let err = ok("loose.b").unwrap_err();
    assert!(err.contains("lists no property `b`"), "{err}");
    assert!(!err.contains("forbids"), "{err}");
    let err = ok("refd.b").unwrap_err();
    assert!(
        err.contains("lists no property `b`"),
        "`type` beside `$ref` does not open the map: {err}"
    );
    let err = ok("known.x").unwrap_err();
    assert!(
        err.contains("forbids it") && err.contains("`known` has type"),
        "{err}"
    );
    let err = ok("nothing").unwrap_err();
    assert!(err.contains("no key `nothing` at the top level"), "{err}");
}

#[test]
fn pattern_properties_hold_the_keys_they_match() {
    let values = yaml("config: {}\n");
    let schema: Json = serde_json::json!({
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "additionalProperties": false,
                "properties": { "JupyterHub": { "type": "object" } },
                "patternProperties": { "^[A-Z].*$": { "type": "object", "additionalProperties": true } }
            }
        }
    });
    let ok = |p: &str| check_key(&values, Some(&schema), &[], &keys(p));
    assert_eq!(ok("config.GenericOAuthenticator.scope"), Ok(()));
    assert!(ok("config.lowercase").is_err());
}
