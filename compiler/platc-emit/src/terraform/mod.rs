//! `terraform/`: a root module (providers, secrets, one module block per
//! instance, outputs) and one reusable module per component ([`module`]),
//! in Terraform's JSON syntax.
//!
//! Terraform reads most JSON strings as string templates, object keys in
//! expressions included. Every string that comes from the user goes through
//! [`escape`] there; the interpolations platc writes on purpose (`var.x`,
//! `file(...)`) are written as they are, and never concatenated with a user
//! string. Strings Terraform takes literally (variable defaults and
//! descriptions, output descriptions, module sources, the `terraform`
//! block) are not escaped.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use platc_sema::value::format_float;
use platc_sema::{Instance, Platform, SecretSource, Value};
use platc_yaml::bytes;

use crate::json::Pretty;
use crate::{common_labels, endpoint_url, file_name, helm, service_address, OutputFile, Plan};

mod module;

/// The provider versions the output is written for (see
/// `../shared/terraform-docs`): hashicorp/helm 3.1 and
/// hashicorp/kubernetes 3.2, within their major version.
pub(super) const HELM_PROVIDER: (&str, &str) = ("hashicorp/helm", "~> 3.1");
pub(super) const KUBERNETES_PROVIDER: (&str, &str) = ("hashicorp/kubernetes", "~> 3.2");

/// A user string made literal inside a Terraform string template: `${`
/// becomes `$${` and `%{` becomes `%%{`, so Terraform reads back exactly
/// the original text.
pub fn escape(s: &str) -> String {
    // Most text has nothing to escape.
    if !has_template(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if (c == '$' || c == '%') && chars.peek() == Some(&'{') {
            out.push(c);
        }
    }
    out
}

/// Whether `s` holds `${` or `%{`: what [`escape`] escapes. One pass,
/// eight bytes at a time while none is `{` (much of the text written is
/// JSON, with a brace every few dozen bytes).
pub(crate) fn has_template(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let brace = if i + 8 <= b.len() {
            let mask = bytes::equal(bytes::word(b, i), b'{');
            if mask == 0 {
                i += 8;
                continue;
            }
            i + (mask.trailing_zeros() / 8) as usize
        } else if b[i] == b'{' {
            i
        } else {
            i += 1;
            continue;
        };
        if brace > 0 && matches!(b[brace - 1], b'$' | b'%') {
            return true;
        }
        i = brace + 1;
    }
    false
}

/// Writes the text of a JSON string of [`escape`]`(s)` without its quotes
/// (`twice`: of the JSON string of that JSON string, quotes included, as
/// an object's text is inside Terraform's root module), in one pass and
/// without a text in between. Nearly all text has nothing to escape, not
/// even a `{`, which one pass over its words tells; otherwise the runs
/// between the bytes to escape are copied whole.
///
/// (JSON's escapes neither make nor break a template sequence: `$` and `%`
/// are never escaped, and no escape holds `{`, `$` or `%`. So escaping the
/// sequences of the text is escaping those of its JSON, and the second
/// JSON escape only has the first's escapes to escape.)
///
/// The test is made where it is called, and the escaping only for the
/// texts that need it, in a function of its own (a million strings of the
/// objects, nearly all with nothing to escape, are spared its set-up).
#[inline]
pub(crate) fn push_lit_body(out: &mut String, s: &str, twice: bool) {
    if bytes::none(s.as_bytes(), lit_look) {
        out.push_str(s);
    } else {
        push_lit_body_escaped(out, s, twice);
    }
}

/// The bytes [`push_lit_body`] looks at: those JSON escapes, and `{`.
#[inline]
fn lit_look(word: u64) -> u64 {
    crate::json::escape_mask(word) | bytes::equal(word, b'{')
}

/// [`push_lit_body`] of a text with something to escape (or a `{`).
#[inline(never)]
fn push_lit_body_escaped(out: &mut String, s: &str, twice: bool) {
    let b = s.as_bytes();
    let look = lit_look;
    out.reserve(s.len() + 16);
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if i + 8 <= b.len() {
            let mask = look(bytes::word(b, i));
            if mask == 0 {
                i += 8;
                continue;
            }
            i += (mask.trailing_zeros() / 8) as usize;
        }
        let c = b[i];
        if c == b'{' {
            if i > 0 && matches!(b[i - 1], b'$' | b'%') {
                // `${` → `$${`: the `$` once more, the `{` copied with
                // the run that follows.
                out.push_str(&s[start..i]);
                out.push(char::from(b[i - 1]));
                start = i;
            }
        } else if c == b'"' || c == b'\\' {
            // Its escape is backslashes before it (`\"`; `\\\"` twice):
            // they are written, and the byte starts the next run (no copy
            // of an escape's text for each).
            out.push_str(&s[start..i]);
            out.push_str(if twice { "\\\\\\" } else { "\\" });
            start = i;
        } else if crate::json::needs_escape(c) {
            out.push_str(&s[start..i]);
            out.push_str(crate::json::escape_text(c, twice));
            start = i + 1;
        }
        i += 1;
    }
    out.push_str(&s[start..]);
}

/// A user string as a Terraform expression.
pub(super) fn lit(s: &str) -> Json {
    Json::String(escape(s))
}

/// A value built from user strings (keys included) as a Terraform
/// expression.
fn lit_tree(v: Json) -> Json {
    match v {
        Json::String(s) => lit(&s),
        Json::Array(items) => Json::Array(items.into_iter().map(lit_tree).collect()),
        Json::Object(m) => Json::Object(
            m.into_iter()
                .map(|(k, v)| (escape(&k), lit_tree(v)))
                .collect(),
        ),
        other => other,
    }
}

/// A JSON output file: pretty-printed, with invisible and bidirectional
/// characters escaped, and a final newline.
/// (Written by [`Pretty`], which writes what `serde_json::to_string_pretty`
/// does in a third fewer instructions: `audit.json` is 2 MB at 10,000
/// instances.)
pub fn to_file(path: String, v: &Json) -> OutputFile {
    let mut w = Pretty::with_capacity(0);
    w.value(v);
    text_file(path, w.finish())
}

/// A JSON output file from its pretty-printed text (as [`to_file`]).
fn text_file(path: String, mut text: String) -> OutputFile {
    // serde_json escapes control characters; the invisible and
    // bidirectional ones are escaped too, so that what a reviewer reads in
    // the file is what Terraform sees (they can only occur inside strings).
    // All of them are encoded from a lead byte 0xE2 or 0xEF: text without
    // either (nearly all) is kept as it is.
    let contents = if has_invisible_lead(text.as_bytes()) {
        let mut contents = String::with_capacity(text.len() + 1);
        for c in text.chars() {
            if matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}')
            {
                contents.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                contents.push(c);
            }
        }
        contents.push('\n');
        contents
    } else {
        text.push('\n');
        text
    };
    OutputFile { path, contents }
}

/// Whether `text` has a byte 0xE2 or 0xEF, which every character that
/// [`text_file`] escapes starts with. Blocks of 64 bytes are tested whole,
/// without a branch per byte, which the compiler does a vector at a time
/// (the root module is 30 MB at 10,000 instances).
fn has_invisible_lead(text: &[u8]) -> bool {
    let lead = |b: u8| u8::from(b == 0xE2) | u8::from(b == 0xEF);
    let mut blocks = text.chunks_exact(64);
    let found = blocks
        .by_ref()
        .any(|block| block.iter().fold(0, |found, &b| found | lead(b)) != 0);
    found || blocks.remainder().iter().any(|&b| lead(b) != 0)
}

/// Whether an instance has a Terraform module: it has a chart or
/// resources to apply.
fn has_module(inst: &Instance) -> bool {
    inst.chart.is_some() || !inst.resources.is_empty()
}

/// The Terraform name of the module of an instance.
fn module_name(inst: &Instance) -> String {
    inst.k8s_name.replace('-', "_")
}

/// The root variable holding key `key` of secret `s`.
fn secret_variable(s: &platc_sema::Secret, key: &str) -> String {
    platc_sema::secret_variable(&s.name, s.lists_keys, key)
}

/// The `kubernetes_manifest` that creates secret `name` in `namespace`.
/// Secret names have no `-` and namespaces no `_`, so names never collide.
fn secret_manifest_name(name: &str, namespace: &str) -> String {
    crate::concat(&[name, "-", namespace])
}

/// `terraform/`, with the instances' `objects` written as JSON
/// ([`crate::objects::written`]).
pub(crate) fn files(plan: &Plan, objects: &[crate::objects::Written]) -> Vec<OutputFile> {
    let p = plan.platform;
    let mut files = vec![
        to_file("terraform/versions.tf.json".into(), &versions(plan)),
        text_file("terraform/main.tf.json".into(), root_main(plan, objects)),
        text_file("terraform/outputs.tf.json".into(), root_outputs(plan)),
    ];
    for c in &p.components {
        if c.chart.is_none() && c.resources.is_empty() {
            continue;
        }
        let dir = format!("terraform/modules/{}", file_name(&c.name));
        files.push(to_file(format!("{dir}/main.tf.json"), &module::main(c)));
        files.push(OutputFile {
            path: format!("{dir}/README.md"),
            contents: module::readme(c),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Which providers the root module needs: Helm for any chart, Kubernetes
/// for any object (its own Secrets, or a module's resources).
fn providers_used(plan: &Plan) -> (bool, bool) {
    let p = plan.platform;
    let helm = p.instances.iter().any(|i| i.chart.is_some());
    let kubernetes = p.instances.iter().any(|i| !i.resources.is_empty())
        || (0..p.secrets.len()).any(|s| plan.is_env(s) && !plan.secret_namespaces[s].is_empty());
    (helm, kubernetes)
}

pub(super) fn required_providers(which: &[(&str, (&str, &str))]) -> Json {
    let mut m = Map::new();
    for (name, (source, version)) in which {
        m.insert(
            (*name).into(),
            json!({"source": source, "version": version}),
        );
    }
    Json::Object(m)
}

fn versions(plan: &Plan) -> Json {
    let (helm, kubernetes) = providers_used(plan);
    let mut which = Vec::new();
    if helm {
        which.push(("helm", HELM_PROVIDER));
    }
    if kubernetes {
        which.push(("kubernetes", KUBERNETES_PROVIDER));
    }
    json!({
        "terraform": {
            "required_version": ">= 1.5.0",
            "required_providers": required_providers(&which),
        }
    })
}

/// The secret keys Terraform needs the value of, as (secret, key) in
/// declaration order: every key of an `env` secret (it creates their
/// Kubernetes Secrets), and every key that is a sensitive Helm value (Helm
/// needs the value itself).
fn secrets_with_values<'a>(plan: &Plan<'a>) -> Vec<(usize, &'a str)> {
    let p = plan.platform;
    let sensitive: crate::HashSet<(&str, &str)> = p
        .instances
        .iter()
        .filter(|i| i.chart.is_some())
        .flat_map(|i| &i.sensitive_values)
        .map(|v| (v.secret.as_str(), v.key.as_str()))
        .collect();
    let mut out = Vec::new();
    for (s, secret) in p.secrets.iter().enumerate() {
        for key in &secret.keys {
            let used = plan.is_env(s) || sensitive.contains(&(secret.name.as_str(), key.as_str()));
            if used {
                out.push((s, key.as_str()));
            }
        }
    }
    out
}

fn secret_description(p: &Platform, s: usize, key: &str) -> String {
    let secret = &p.secrets[s];
    let var = secret_variable(secret, key);
    match &secret.source {
        SecretSource::Env { variables } => {
            let variable = secret
                .keys
                .iter()
                .position(|k| k == key)
                .and_then(|k| variables.get(k))
                .map_or("", String::as_str);
            format!(
                "Secret `{}`, declared as the environment variable {variable}: set TF_VAR_{var} to its value (export TF_VAR_{var}=\"${variable}\"). Terraform stores it in the Kubernetes Secret {} (key {key}).",
                secret.name, secret.secret_name
            )
        }
        SecretSource::KubernetesSecret { name } => format!(
            "Secret `{}`, key {key} of the existing Kubernetes Secret {name}: a chart takes it as a Helm value, so set TF_VAR_{var} to the same value.",
            secret.name
        ),
        SecretSource::ExternalSecret { store, path } => format!(
            "Secret `{}`, property {key} of {path} in the secret store {store}: a chart takes it as a Helm value, so set TF_VAR_{var} to the same value.",
            secret.name
        ),
        // Never a Helm value (E0329): only for completeness.
        SecretSource::Template { .. } => format!(
            "Secret `{}`, key {key}, assembled at deploy time into the Kubernetes Secret {}.",
            secret.name, secret.secret_name
        ),
    }
}

/// A user string as a Terraform expression, written. (Nearly all is
/// written as it is, after one pass: [`push_lit_body`].)
fn write_lit(w: &mut Pretty, s: &str) {
    w.lit(s);
}

/// A user string as the key of an object in a Terraform expression,
/// written ([`write_lit`]).
fn write_lit_key(w: &mut Pretty, k: &str) {
    w.lit_key(k);
}

/// `terraform/main.tf.json`, written as it is walked (it holds every
/// instance's objects: the largest file of the output).
fn root_main(plan: &Plan, written: &[crate::objects::Written]) -> String {
    let p = plan.platform;
    // Room for the objects (their texts are escaped already), to spare,
    // and for each module's block: the text is not copied as it grows.
    // (Pages of the reserve that are not written are never touched.)
    let objects: usize = written.iter().flat_map(|w| &w.json).map(String::len).sum();
    let mut w = Pretty::with_capacity(objects + objects / 2 + p.instances.len() * 2048);
    w.open_object();
    w.entry_str(
        "//",
        &format!(
            "Platform {}, generated by platc: do not edit. See docs/output.md of platc.",
            p.name
        ),
    );
    let (helm, kubernetes) = providers_used(plan);
    let mut providers = Map::new();
    if helm {
        providers.insert(
            "helm".into(),
            json!({
                "kubernetes": {
                    "config_path": "${pathexpand(var.kubeconfig)}",
                    "config_context": "${var.kube_context}",
                }
            }),
        );
    }
    if kubernetes {
        providers.insert(
            "kubernetes".into(),
            json!({
                "config_path": "${pathexpand(var.kubeconfig)}",
                "config_context": "${var.kube_context}",
            }),
        );
    }
    if !providers.is_empty() {
        w.entry_value("provider", &Json::Object(providers));
    }

    let mut variables = Map::new();
    variables.insert(
        "kubeconfig".into(),
        json!({
            "type": "string",
            "default": "~/.kube/config",
            "description": "Path of the kubeconfig file of the target cluster.",
        }),
    );
    variables.insert(
        "kube_context".into(),
        json!({
            "type": "string",
            "default": null,
            "description": "Context of the kubeconfig to use; null uses its current context.",
        }),
    );
    for (s, key) in secrets_with_values(plan) {
        variables.insert(
            secret_variable(&p.secrets[s], key),
            json!({
                "type": "string",
                "sensitive": true,
                "nullable": false,
                "description": secret_description(p, s, key),
            }),
        );
    }
    w.entry_value("variable", &Json::Object(variables));

    // One Kubernetes Secret per env secret and namespace.
    let mut manifests = Map::new();
    for s in (0..p.secrets.len()).filter(|&s| plan.is_env(s)) {
        let secret = &p.secrets[s];
        for ns in &plan.secret_namespaces[s] {
            let mut data = Map::new();
            for key in &secret.keys {
                data.insert(
                    escape(key),
                    json!(format!(
                        "${{base64encode(var.{})}}",
                        secret_variable(secret, key)
                    )),
                );
            }
            let metadata = lit_tree(json!({
                "name": secret.secret_name,
                "namespace": ns,
                "labels": common_labels(p),
            }));
            manifests.insert(
                secret_manifest_name(&secret.name, ns),
                json!({
                    "manifest": {
                        "apiVersion": "v1",
                        "kind": "Secret",
                        "metadata": metadata,
                        "type": "Opaque",
                        "data": data,
                    }
                }),
            );
        }
    }
    if !manifests.is_empty() {
        w.entry_value("resource", &json!({ "kubernetes_manifest": manifests }));
    }

    let env_secrets = EnvSecrets::new(plan);
    let mut any_module = false;
    for &i in &plan.order {
        let inst = &p.instances[i];
        if !has_module(inst) {
            continue;
        }
        if !any_module {
            w.key("module");
            w.open_object();
            any_module = true;
        }
        w.key(&module_name(inst));
        module_block(&mut w, plan, &env_secrets, &written[i], i);
    }
    if any_module {
        w.close_object();
    }
    w.close_object();
    w.finish()
}

/// Entries of an object in the order first set, as a JSON map with
/// preserved order keeps them: setting a key again replaces its value in
/// place. (An instance may make thousands of objects per element.)
#[derive(Default)]
struct Ordered<'a> {
    entries: Vec<(&'a str, &'a str)>,
    at: crate::HashMap<&'a str, usize>,
}

impl<'a> Ordered<'a> {
    fn set(&mut self, key: &'a str, value: &'a str) {
        match self.at.entry(key) {
            std::collections::hash_map::Entry::Occupied(at) => self.entries[*at.get()].1 = value,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(self.entries.len());
                self.entries.push((key, value));
            }
        }
    }
}

/// Objects by name, as an object: their texts are Terraform string
/// literals escaped for JSON already ([`crate::objects::Form::Literal`]).
fn write_object_lits(w: &mut Pretty, entries: &[(&str, &str)]) {
    w.open_object();
    for (k, v) in entries {
        w.key(k);
        w.escaped_str(v);
    }
    w.close_object();
}

/// `key: {resource: {element: object}}`, unless there is no group.
fn write_groups(w: &mut Pretty, key: &str, groups: &BTreeMap<&str, Ordered>) {
    if groups.is_empty() {
        return;
    }
    w.key(key);
    w.open_object();
    for (name, entries) in groups {
        w.key(name);
        write_object_lits(w, &entries.entries);
    }
    w.close_object();
}

/// The module block of instance `i`.
fn module_block(
    w: &mut Pretty,
    plan: &Plan,
    env_secrets: &EnvSecrets,
    written: &crate::objects::Written,
    i: usize,
) {
    let p = plan.platform;
    let inst = &p.instances[i];
    w.open_object();
    w.entry_str(
        "source",
        &crate::concat(&["./modules/", &file_name(&inst.component)]),
    );
    w.key("release_name");
    write_lit(w, &inst.k8s_name);
    w.key("namespace");
    write_lit(w, &inst.namespace);
    if inst.chart.is_some() {
        w.key("values");
        w.open_array();
        w.item();
        w.str(&crate::concat(&[
            "${file(\"${path.module}/../helm/",
            &file_name(&inst.k8s_name),
            ".values.yaml\")}",
        ]));
        w.close_array();
        let mut sensitive = Map::new();
        for sv in &inst.sensitive_values {
            let Some(secret) = p.secret(&sv.secret) else {
                continue;
            };
            sensitive.insert(
                escape(&helm::set_path(&sv.path)),
                json!(crate::concat(&[
                    "${var.",
                    &secret_variable(secret, &sv.key),
                    "}"
                ])),
            );
        }
        if !sensitive.is_empty() {
            w.entry_value("sensitive_values", &Json::Object(sensitive));
        }
    }
    if !inst.resources.is_empty() {
        let mut objects = Ordered::default();
        let mut routes: BTreeMap<&str, Ordered> = BTreeMap::new();
        let mut each: BTreeMap<&str, Ordered> = BTreeMap::new();
        let texts = &written.json;
        assert_eq!(texts.len(), inst.resources.len(), "every object is built");
        for (r, text) in inst.resources.iter().zip(texts) {
            // JSON is YAML: the module reads it with yamldecode.
            match (&r.route, &r.each) {
                (Some(endpoint), _) => routes.entry(&r.name).or_default().set(endpoint, text),
                (None, Some(key)) => each.entry(&r.name).or_default().set(key, text),
                (None, None) => objects.set(&r.name, text),
            }
        }
        write_groups(w, "each_objects", &each);
        if !objects.entries.is_empty() {
            w.key("objects");
            write_object_lits(w, &objects.entries);
        }
        write_groups(w, "routes", &routes);
    }
    if has_provided(p, inst) {
        w.key("provided");
        write_provided(w, p, inst);
    }
    if !inst.exposes.is_empty() {
        // By name, sorted (the last of a name wins, as in a map).
        let exposes: BTreeMap<&str, &platc_sema::Expose> =
            inst.exposes.iter().map(|e| (e.name.as_str(), e)).collect();
        let exposes: Vec<&platc_sema::Expose> = exposes.into_values().collect();
        let endpoints: Vec<(&str, String)> = exposes
            .iter()
            .map(|e| (e.name.as_str(), endpoint_url(e)))
            .collect();
        let services: Vec<(&str, String)> = exposes
            .iter()
            .map(|e| (e.name.as_str(), service_address(inst, e)))
            .collect();
        for (key, entries) in [("endpoints", endpoints), ("services", services)] {
            w.key(key);
            w.open_object();
            for (k, v) in &entries {
                write_lit_key(w, k);
                write_lit(w, v);
            }
            w.close_object();
        }
    }
    let depends = module_dependencies(plan, env_secrets, i);
    if !depends.is_empty() {
        w.key("depends_on");
        w.open_array();
        for d in &depends {
            w.item();
            w.str(d);
        }
        w.close_array();
    }
    w.close_object();
}

/// What the module of instance `i` waits for: the modules of its direct
/// dependencies (through instances without a chart, which have no module,
/// to their own dependencies), and the Kubernetes Secrets it uses.
/// The secrets whose Kubernetes Secrets Terraform creates (`env`), by the
/// instance that uses them; those no instance uses are created in every
/// namespace (see `Plan::new`), so every instance may wait for them.
struct EnvSecrets {
    by_user: crate::HashMap<usize, Vec<usize>>,
    unused: Vec<usize>,
}

impl EnvSecrets {
    fn new(plan: &Plan) -> Self {
        let mut by_user: crate::HashMap<usize, Vec<usize>> = crate::HashMap::default();
        let mut unused = Vec::new();
        for s in (0..plan.platform.secrets.len()).filter(|&s| plan.is_env(s)) {
            let users = &plan.secret_users[s];
            if users.is_empty() {
                unused.push(s);
            }
            for &u in users {
                by_user.entry(u).or_default().push(s);
            }
        }
        EnvSecrets { by_user, unused }
    }

    /// The env secrets instance `i` may need, in declaration order.
    fn of(&self, i: usize) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .by_user
            .get(&i)
            .into_iter()
            .flatten()
            .chain(&self.unused)
            .copied()
            .collect();
        out.sort_unstable();
        out
    }
}

fn module_dependencies(plan: &Plan, env_secrets: &EnvSecrets, i: usize) -> Vec<String> {
    let p = plan.platform;
    let mut out = Vec::new();
    // Few instances are met: a set, not a flag per instance of the
    // platform (which made this quadratic).
    let mut seen = crate::HashSet::default();
    let mut stack: Vec<usize> = plan
        .input
        .dependencies
        .get(i)
        .map(|d| d.iter().rev().copied().collect())
        .unwrap_or_default();
    while let Some(d) = stack.pop() {
        if d >= p.instances.len() || d == i || !seen.insert(d) {
            continue;
        }
        let dep = &p.instances[d];
        // A dependency is ready once its module (its chart and its
        // resources) is.
        if has_module(dep) {
            out.push(crate::concat(&["module.", &module_name(dep)]));
        } else if let Some(next) = plan.input.dependencies.get(d) {
            stack.extend(next.iter().rev());
        }
    }
    out.sort();
    out.dedup();
    let inst = &p.instances[i];
    let mut secrets = Vec::new();
    for s in env_secrets.of(i) {
        if plan.secret_namespaces[s].contains(&inst.namespace) {
            secrets.push(crate::concat(&[
                "kubernetes_manifest.",
                &secret_manifest_name(&p.secrets[s].name, &inst.namespace),
            ]));
        }
    }
    secrets.sort();
    out.extend(secrets);
    out
}

/// Every provided field of an instance that is written (see
/// [`is_provided`]), by field name (the interfaces of a component never
/// share a field name).
/// (The reference [`merged_fields`] is tested against.)
#[cfg(test)]
fn provided_fields<'a>(p: &Platform, inst: &'a Instance) -> BTreeMap<&'a str, &'a Value> {
    let mut fields = BTreeMap::new();
    for prov in &inst.provides {
        for (k, v) in &prov.fields {
            if is_provided(p, v) {
                fields.insert(k.as_str(), v);
            }
        }
    }
    fields
}

/// Whether a value of a provided field is written: `none` is left out,
/// and what names nothing.
fn is_provided(p: &Platform, v: &Value) -> bool {
    match v {
        Value::None => false,
        // (Both always have a text.)
        Value::Str(_) | Value::Quantity(_) => true,
        Value::Instance(id) => p.instances.get(id.0 as usize).is_some(),
        Value::Secret(id) => p.secrets.get(id.secret as usize).is_some(),
        _ => true,
    }
}

/// Whether an instance has provided fields to write.
fn has_provided(p: &Platform, inst: &Instance) -> bool {
    inst.provides
        .iter()
        .flat_map(|prov| prov.fields.values())
        .any(|v| is_provided(p, v))
}

/// The provided fields of an instance as a Terraform expression (user
/// strings escaped), written.
/// An instance that provides one interface has its fields in order
/// already, in that interface's map: they are written from it, without a
/// map of them all; several interfaces' maps are merged in order
/// ([`merged_fields`]).
fn write_provided(w: &mut Pretty, p: &Platform, inst: &Instance) {
    match inst.provides.as_slice() {
        [only] => write_provided_fields(
            w,
            p,
            only.fields
                .iter()
                .filter(|(_, v)| is_provided(p, v))
                .map(|(k, v)| (k.as_str(), v)),
        ),
        _ => write_provided_fields(w, p, merged_fields(p, inst)),
    }
}

/// [`provided_fields`] in order, merged from the interfaces' maps (each in
/// key order already) instead of inserted into a map of them all: a key
/// in several takes the value of the last, as in the map.
fn merged_fields<'a>(p: &Platform, inst: &'a Instance) -> Vec<(&'a str, &'a Value)> {
    let mut heads: Vec<_> = inst
        .provides
        .iter()
        .map(|prov| {
            prov.fields
                .iter()
                .filter(|(_, v)| is_provided(p, v))
                .map(|(k, v)| (k.as_str(), v))
                .peekable()
        })
        .collect();
    let mut out = Vec::new();
    loop {
        // The least key of the heads, with the value of the last that has it.
        let mut least: Option<(&str, &Value)> = None;
        for head in &mut heads {
            if let Some(&(k, v)) = head.peek() {
                if least.is_none_or(|(l, _)| k <= l) {
                    least = Some((k, v));
                }
            }
        }
        let Some((key, value)) = least else {
            return out;
        };
        for head in &mut heads {
            head.next_if(|&(k, _)| k == key);
        }
        out.push((key, value));
    }
}

/// Provided fields, in order, as a Terraform expression, written.
fn write_provided_fields<'a>(
    w: &mut Pretty,
    p: &Platform,
    fields: impl IntoIterator<Item = (&'a str, &'a Value)>,
) {
    w.open_object();
    for (k, v) in fields {
        write_lit_key(w, k);
        write_provided_value(w, p, v);
    }
    w.close_object();
}

/// A value of a provided field as Terraform output, written: scalars as
/// strings, lists and maps of them, a secret as the name and key of its
/// Kubernetes Secret (never its value), an instance as its name; user
/// strings escaped. Only for a value [`is_provided`] accepts.
fn write_provided_value(w: &mut Pretty, p: &Platform, v: &Value) {
    match v {
        // (Never: `none` is left out by `is_provided`.)
        Value::None => w.str(""),
        Value::Bool(b) => w.str(if *b { "true" } else { "false" }),
        Value::Int(i) => w.str(&i.to_string()),
        Value::Float(f) => w.str(&format_float(*f)),
        // A string's text as it is, without a copy.
        Value::Str(text) => write_lit(w, text),
        Value::Quantity(_) => write_lit(w, &v.interpolate().unwrap_or_default()),
        Value::List(items) => {
            w.open_array();
            for v in items.iter().filter(|v| is_provided(p, v)) {
                w.item();
                write_provided_value(w, p, v);
            }
            w.close_array();
        }
        Value::Map(m) => {
            w.open_object();
            for (k, v) in m.iter().filter(|(_, v)| is_provided(p, v)) {
                write_lit_key(w, k);
                write_provided_value(w, p, v);
            }
            w.close_object();
        }
        Value::Instance(id) => write_lit(w, &p.instances[id.0 as usize].name),
        Value::Secret(id) => {
            let s = &p.secrets[id.secret as usize];
            w.open_object();
            w.key("secret_name");
            write_lit(w, &s.secret_name);
            match s.key(id.key) {
                Some(key) => {
                    w.key("secret_key");
                    write_lit(w, key);
                }
                None => {
                    w.key("secret_keys");
                    w.open_array();
                    for key in &s.keys {
                        w.item();
                        write_lit(w, key);
                    }
                    w.close_array();
                }
            }
            w.close_object();
        }
    }
}

pub(super) fn output(description: &str, value: Json) -> Json {
    json!({"description": description, "value": value})
}

/// One output of the root module: `{"description": ..., "value": ...}`,
/// its value written by `value`.
fn write_output(w: &mut Pretty, name: &str, description: &str, value: impl FnOnce(&mut Pretty)) {
    w.key(name);
    w.open_object();
    w.entry_str("description", description);
    w.key("value");
    value(w);
    w.close_object();
}

/// `terraform/outputs.tf.json`, written as it is walked.
fn root_outputs(plan: &Plan) -> String {
    let p = plan.platform;
    let mut endpoints = BTreeMap::new();
    let mut services = BTreeMap::new();
    // By instance: the module's output, or the fields themselves.
    let mut provides: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for inst in &p.instances {
        for e in &inst.exposes {
            let key = crate::concat(&[&inst.name, ".", &e.name]);
            endpoints.insert(key.clone(), endpoint_url(e));
            services.insert(key, service_address(inst, e));
        }
        if has_module(inst) {
            // The module returns what it was given (`main.tf.json`):
            // written once, not twice.
            // (`provided` leaves out only fields that are `none`.)
            if inst
                .provides
                .iter()
                .flat_map(|prov| prov.fields.values())
                .any(|v| !matches!(v, Value::None))
            {
                provides.insert(
                    &inst.name,
                    Some(crate::concat(&[
                        "${module.",
                        &module_name(inst),
                        ".provided}",
                    ])),
                );
            }
        } else if has_provided(p, inst) {
            provides.insert(&inst.name, None);
        }
    }
    let secret_names: BTreeMap<&str, &str> = p
        .secrets
        .iter()
        .map(|s| (s.name.as_str(), s.secret_name.as_str()))
        .collect();
    let by_name: crate::HashMap<&str, &Instance> =
        p.instances.iter().map(|i| (i.name.as_str(), i)).collect();
    // (About 400 bytes an instance: reserved, not copied as it grows.)
    let mut w = Pretty::with_capacity(4096 + p.instances.len() * 512);
    w.open_object();
    w.key("output");
    w.open_object();
    let addresses = [
        ("endpoints", "URL of every exposed endpoint, keyed instance.expose.", &endpoints),
        ("services", "In-cluster address (service.namespace.svc.cluster.local:port) of every exposed endpoint, keyed instance.expose.", &services),
    ];
    for (name, description, entries) in addresses {
        write_output(&mut w, name, description, |w| {
            w.open_object();
            for (k, v) in entries {
                write_lit_key(w, k);
                write_lit(w, v);
            }
            w.close_object();
        });
    }
    write_output(
        &mut w,
        "provided",
        "The fields of the interfaces each instance provides (endpoints, bucket names, Secret names), by instance.",
        |w| {
            w.open_object();
            for (name, module) in &provides {
                write_lit_key(w, name);
                match module {
                    Some(expression) => w.str(expression),
                    None => write_provided(w, p, by_name[name]),
                }
            }
            w.close_object();
        },
    );
    write_output(
        &mut w,
        "secret_names",
        "Name of the Kubernetes Secret that holds each secret, by secret (names only, never values).",
        |w| {
            w.open_object();
            for (k, v) in &secret_names {
                write_lit_key(w, k);
                write_lit(w, v);
            }
            w.close_object();
        },
    );
    w.close_object();
    w.close_object();
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_user_text_literal() {
        let cases = [
            ("plain", "plain"),
            ("${var.x}", "$${var.x}"),
            ("%{ if true }x%{ endif }", "%%{ if true }x%%{ endif }"),
            ("$${already}", "$$${already}"),
            ("%%{x}", "%%%{x}"),
            ("$ {x} % {y}", "$ {x} % {y}"),
            ("a$", "a$"),
            ("{}$%", "{}$%"),
            ("${${x}}", "$${$${x}}"),
            ("\"quoted\" \\ back", "\"quoted\" \\ back"),
            ("é${ü}", "é$${ü}"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(escape(input), want, "{input:?}");
        }
    }

    /// Reads a Terraform template the way HCL's scanner does for literal
    /// text: `$${` and `%%{` are escapes, any other `${` or `%{` starts an
    /// interpolation (an error here).
    fn unescape_template(s: &str) -> Result<String, String> {
        let b: Vec<char> = s.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if (c == '$' || c == '%') && i + 2 < b.len() + 1 {
                if b.get(i + 1) == Some(&c) && b.get(i + 2) == Some(&'{') {
                    out.push(c);
                    out.push('{');
                    i += 3;
                    continue;
                }
                if b.get(i + 1) == Some(&'{') {
                    return Err(format!("template sequence at {i} in {s:?}"));
                }
            }
            out.push(c);
            i += 1;
        }
        Ok(out)
    }

    /// `count` texts of up to `max_len - 1` pieces drawn from `pieces`,
    /// from `seed`; `spread`: one draw in `spread` picks a piece, the
    /// others an `x`.
    fn random_texts<'p>(
        pieces: &'p [&'p str],
        mut seed: u64,
        count: usize,
        max_len: u64,
        spread: usize,
    ) -> impl Iterator<Item = String> + 'p {
        (0..count).map(move |_| {
            let mut s = String::new();
            for _ in 0..seed % max_len {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let k = (seed >> 33) as usize % (pieces.len() * spread);
                s.push_str(pieces.get(k).unwrap_or(&"x"));
            }
            seed = seed.wrapping_add(1);
            s
        })
    }

    #[test]
    fn templates_are_found_where_contains_finds_them() {
        for s in [
            "",
            "{",
            "${",
            "%{",
            "a{b",
            "a${",
            "{${",
            "$ {",
            "%",
            "$",
            "{$",
            "{%",
            "é{",
            "x%{y",
            "{\"a\":{\"b\":\"${c}\"}}",
            "{\"a\":{}}",
            "{{{{{{{{{{{{{{{{{{{{{{{{{{{{$",
            "0123456${x",
            "01234567${x",
            "0123456%{x",
            "{{{{{{{{{{{{{{{{{{{{{{{{{{{{${",
            "aaaaaaaaaaaaaaaa{aaaaaaaaaaaaaa$",
            "aaaaaaa$aaaaaaaa{aaaaaaaaaaaaaa${a",
        ] {
            assert_eq!(
                has_template(s),
                s.contains("${") || s.contains("%{"),
                "{s:?}"
            );
        }
    }

    /// Templates are found on texts of every length up to a few words
    /// with braces, template sequences and what JSON escapes at every
    /// place.
    #[test]
    fn templates_are_found_in_random_texts() {
        let pieces = ["a", "{", "$", "%", "${", "%{", "\"", "\\", "\n", "é", "}"];
        for s in random_texts(&pieces, 3, 20000, 24, 3) {
            assert_eq!(
                has_template(&s),
                s.contains("${") || s.contains("%{"),
                "{s:?}"
            );
        }
    }

    /// The one-pass literal is the JSON string of the escaped text, and
    /// the JSON string of that, on texts of every length up to a few words
    /// with braces, template sequences and every byte JSON escapes at
    /// every place.
    #[test]
    fn literal_bodies_are_json_of_the_escaped_text() {
        let pieces = [
            "a", "{", "$", "%", "${", "%{", "$${", "\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}",
            "\u{1}", "\u{1f}", "\u{7f}", "é", "}", "中",
        ];
        for s in random_texts(&pieces, 7, 30000, 30, 2) {
            let mut once = String::new();
            crate::json::string(&mut once, &escape(&s));
            let mut got = String::new();
            push_lit_body(&mut got, &s, false);
            assert_eq!(got, once[1..once.len() - 1], "{s:?}");
            let mut twice = String::new();
            crate::json::string(&mut twice, &once);
            let mut got = String::new();
            push_lit_body(&mut got, &s, true);
            assert_eq!(got, twice[3..twice.len() - 3], "{s:?}");
        }
    }

    /// Text the YAML writer calls inert (and the objects' JSON then
    /// writes as it is) is exactly text [`push_lit_body`] writes as it
    /// is: the same bytes are looked at, whatever their place in a word.
    #[test]
    fn inert_text_is_written_as_it_is() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = *b"abcdefgh";
                word[at] = b;
                let w = u64::from_le_bytes(word);
                assert_eq!(bytes::inert(w) != 0, lit_look(w) != 0, "{b:#x} at {at}");
            }
        }
        let pieces = [
            "a", "{", "$", "%", "${", "\"", "\\", "\n", "\u{1}", "\u{7f}", "é", "}",
        ];
        for s in random_texts(&pieces, 5, 20000, 20, 2) {
            if bytes::none(s.as_bytes(), bytes::inert) {
                for twice in [false, true] {
                    let mut got = String::new();
                    push_lit_body(&mut got, &s, twice);
                    assert_eq!(got, s, "{s:?}");
                }
            }
        }
    }

    /// The provided fields of every instance of the examples are written
    /// as from the map of all of them ([`provided_fields`]), which the
    /// instances do without; merged fields are those of the map, on the
    /// examples and on interfaces that share keys.
    #[test]
    fn provided_fields_are_written_as_from_their_map() {
        let mut single = 0;
        let mut several = 0;
        for p in crate::example_platforms() {
            for inst in &p.instances {
                let merged = merged_fields(&p, inst);
                let map: Vec<(&str, &Value)> = provided_fields(&p, inst).into_iter().collect();
                assert_eq!(merged, map, "{}", inst.name);
                several += usize::from(inst.provides.len() > 1 && !map.is_empty());
                let mut got = Pretty::with_capacity(0);
                write_provided(&mut got, &p, inst);
                let mut want = Pretty::with_capacity(0);
                write_provided_fields(&mut want, &p, provided_fields(&p, inst));
                assert_eq!(got.finish(), want.finish(), "{}", inst.name);
                single += usize::from(inst.provides.len() == 1);
            }
        }
        assert!(single > 10, "{single} instances provide one interface");
        assert!(several > 0, "{several} instances provide several");
        // Interfaces that share keys and leave some out, in every order.
        let p = crate::example_platforms().remove(0);
        let interfaces: [&[(&str, Value)]; 3] = [
            &[
                ("a", Value::Int(1)),
                ("c", Value::Int(2)),
                ("e", Value::None),
            ],
            &[
                ("b", Value::Int(3)),
                ("c", Value::Int(4)),
                ("e", Value::Int(5)),
            ],
            &[
                ("a", Value::Int(6)),
                ("d", Value::None),
                ("f", Value::Int(7)),
            ],
        ];
        for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 2, 1]] {
            let mut inst = p.instances[0].clone();
            inst.provides = order
                .iter()
                .map(|&i| platc_sema::Provided {
                    interface: format!("i{i}"),
                    fields: interfaces[i]
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.clone()))
                        .collect(),
                })
                .collect();
            let map: Vec<(&str, &Value)> = provided_fields(&p, &inst).into_iter().collect();
            assert_eq!(merged_fields(&p, &inst), map, "{order:?}");
        }
    }

    #[test]
    fn invisible_leads_are_found_anywhere() {
        for len in [0, 1, 63, 64, 65, 200] {
            assert!(!has_invisible_lead(&vec![b'a'; len]));
            for at in 0..len {
                for lead in [0xE2, 0xEF] {
                    let mut text = vec![b'a'; len];
                    text[at] = lead;
                    assert!(has_invisible_lead(&text), "{lead:#x} at {at} of {len}");
                }
            }
        }
        assert!(!has_invisible_lead("é ü 中".as_bytes()));
    }

    #[test]
    fn escaped_text_reads_back_as_itself() {
        for s in [
            "${x}",
            "%{x}",
            "$${x}",
            "%%{x}",
            "$$$${x}",
            "a${b}c%{d}e",
            "${",
            "%{",
            "$",
            "%",
            "${}${}",
            "x$%{y",
            "$%${z",
        ] {
            assert_eq!(unescape_template(&escape(s)).as_deref(), Ok(s), "{s:?}");
        }
    }

    #[test]
    fn lit_tree_escapes_keys_and_values() {
        let v = lit_tree(json!({"${k}": ["%{v}", 1, {"x": "${y}"}]}));
        assert_eq!(v, json!({"$${k}": ["%%{v}", 1, {"x": "$${y}"}]}));
    }
}
