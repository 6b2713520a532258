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
    if !s.contains("${") && !s.contains("%{") {
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
pub fn to_file(path: String, v: &Json) -> OutputFile {
    let mut text = serde_json::to_string_pretty(v).expect("JSON values always serialize");
    // serde_json escapes control characters; the invisible and
    // bidirectional ones are escaped too, so that what a reviewer reads in
    // the file is what Terraform sees (they can only occur inside strings).
    // All of them are encoded from a lead byte 0xE2 or 0xEF: text without
    // either (nearly all) is kept as it is.
    let contents = if text.as_bytes().contains(&0xE2) || text.as_bytes().contains(&0xEF) {
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
    format!("{name}-{namespace}")
}

/// `terraform/`, with the instances' `objects` written as JSON
/// ([`crate::objects::written`]).
pub(crate) fn files(plan: &Plan, objects: &[crate::objects::Written]) -> Vec<OutputFile> {
    let p = plan.platform;
    let mut files = vec![
        to_file("terraform/versions.tf.json".into(), &versions(plan)),
        to_file("terraform/main.tf.json".into(), &root_main(plan, objects)),
        to_file("terraform/outputs.tf.json".into(), &root_outputs(plan)),
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
    let sensitive: std::collections::HashSet<(&str, &str)> = p
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

fn root_main(plan: &Plan, written: &[crate::objects::Written]) -> Json {
    let p = plan.platform;
    let mut root = Map::new();
    root.insert(
        "//".into(),
        json!(format!(
            "Platform {}, generated by platc: do not edit. See docs/output.md of platc.",
            p.name
        )),
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
        root.insert("provider".into(), Json::Object(providers));
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
    root.insert("variable".into(), Json::Object(variables));

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
        root.insert(
            "resource".into(),
            json!({ "kubernetes_manifest": manifests }),
        );
    }

    let env_secrets = EnvSecrets::new(plan);
    let mut modules = Map::new();
    for &i in &plan.order {
        let inst = &p.instances[i];
        if !has_module(inst) {
            continue;
        }
        let mut m = Map::new();
        m.insert(
            "source".into(),
            json!(format!("./modules/{}", file_name(&inst.component))),
        );
        m.insert("release_name".into(), lit(&inst.k8s_name));
        m.insert("namespace".into(), lit(&inst.namespace));
        if inst.chart.is_some() {
            m.insert(
                "values".into(),
                json!([format!(
                    "${{file(\"${{path.module}}/../helm/{}.values.yaml\")}}",
                    file_name(&inst.k8s_name)
                )]),
            );
            let mut sensitive = Map::new();
            for sv in &inst.sensitive_values {
                let Some(secret) = p.secret(&sv.secret) else {
                    continue;
                };
                sensitive.insert(
                    escape(&helm::set_path(&sv.path)),
                    json!(format!("${{var.{}}}", secret_variable(secret, &sv.key))),
                );
            }
            if !sensitive.is_empty() {
                m.insert("sensitive_values".into(), Json::Object(sensitive));
            }
        }
        if !inst.resources.is_empty() {
            let mut objects = Map::new();
            let mut routes: BTreeMap<&str, Map<String, Json>> = BTreeMap::new();
            let mut each: BTreeMap<&str, Map<String, Json>> = BTreeMap::new();
            let texts = &written[i].json;
            assert_eq!(texts.len(), inst.resources.len(), "every object is built");
            for (r, text) in inst.resources.iter().zip(texts) {
                // JSON is YAML: the module reads it with yamldecode.
                match (&r.route, &r.each) {
                    (Some(endpoint), _) => {
                        routes
                            .entry(&r.name)
                            .or_default()
                            .insert(endpoint.clone(), lit(text));
                    }
                    (None, Some(key)) => {
                        each.entry(&r.name)
                            .or_default()
                            .insert(key.clone(), lit(text));
                    }
                    (None, None) => {
                        objects.insert(r.name.clone(), lit(text));
                    }
                }
            }
            if !each.is_empty() {
                let each = each
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), Json::Object(v)))
                    .collect();
                m.insert("each_objects".into(), Json::Object(each));
            }
            if !objects.is_empty() {
                m.insert("objects".into(), Json::Object(objects));
            }
            if !routes.is_empty() {
                let routes = routes
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), Json::Object(v)))
                    .collect();
                m.insert("routes".into(), Json::Object(routes));
            }
        }
        let fields = provided(p, inst);
        if !fields.is_empty() {
            m.insert("provided".into(), lit_tree(Json::Object(fields)));
        }
        let mut endpoints = Map::new();
        let mut services = Map::new();
        for e in &inst.exposes {
            endpoints.insert(e.name.clone(), json!(endpoint_url(e)));
            services.insert(e.name.clone(), json!(service_address(inst, e)));
        }
        if !endpoints.is_empty() {
            endpoints.sort_keys();
            services.sort_keys();
            m.insert("endpoints".into(), lit_tree(Json::Object(endpoints)));
            m.insert("services".into(), lit_tree(Json::Object(services)));
        }
        let depends = module_dependencies(plan, &env_secrets, i);
        if !depends.is_empty() {
            m.insert("depends_on".into(), json!(depends));
        }
        modules.insert(module_name(inst), Json::Object(m));
    }
    if !modules.is_empty() {
        root.insert("module".into(), Json::Object(modules));
    }
    Json::Object(root)
}

/// What the module of instance `i` waits for: the modules of its direct
/// dependencies (through instances without a chart, which have no module,
/// to their own dependencies), and the Kubernetes Secrets it uses.
/// The secrets whose Kubernetes Secrets Terraform creates (`env`), by the
/// instance that uses them; those no instance uses are created in every
/// namespace (see `Plan::new`), so every instance may wait for them.
struct EnvSecrets {
    by_user: std::collections::HashMap<usize, Vec<usize>>,
    unused: Vec<usize>,
}

impl EnvSecrets {
    fn new(plan: &Plan) -> Self {
        let mut by_user: std::collections::HashMap<usize, Vec<usize>> =
            std::collections::HashMap::new();
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
    let mut seen = std::collections::HashSet::new();
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
            out.push(format!("module.{}", module_name(dep)));
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
            secrets.push(format!(
                "kubernetes_manifest.{}",
                secret_manifest_name(&p.secrets[s].name, &inst.namespace)
            ));
        }
    }
    secrets.sort();
    out.extend(secrets);
    out
}

/// A value of a provided field as Terraform output: scalars as strings,
/// lists and maps of them, a secret as the name and key of its Kubernetes
/// Secret (never its value), an instance as its name; `none` is left out.
fn provided_value(p: &Platform, v: &Value) -> Option<Json> {
    Some(match v {
        Value::None => return None,
        Value::Bool(b) => Json::String(b.to_string()),
        Value::Int(i) => Json::String(i.to_string()),
        Value::Float(f) => Json::String(format_float(*f)),
        Value::Str(_) | Value::Quantity { .. } => Json::String(v.interpolate()?),
        Value::List(items) => {
            Json::Array(items.iter().filter_map(|v| provided_value(p, v)).collect())
        }
        Value::Map(m) => Json::Object(
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), provided_value(p, v)?)))
                .collect(),
        ),
        Value::Instance(id) => Json::String(p.instances.get(id.0 as usize)?.name.clone()),
        Value::Secret(id) => {
            let s = p.secrets.get(id.secret as usize)?;
            match s.key(id.key) {
                Some(key) => json!({"secret_name": s.secret_name, "secret_key": key}),
                None => json!({"secret_name": s.secret_name, "secret_keys": s.keys}),
            }
        }
    })
}

/// Every provided field of an instance, by field name (the interfaces of
/// a component never share a field name).
fn provided(p: &Platform, inst: &Instance) -> Map<String, Json> {
    let mut fields = BTreeMap::new();
    for prov in &inst.provides {
        for (k, v) in &prov.fields {
            if let Some(j) = provided_value(p, v) {
                fields.insert(k.clone(), j);
            }
        }
    }
    fields.into_iter().collect()
}

pub(super) fn output(description: &str, value: Json) -> Json {
    json!({"description": description, "value": value})
}

fn root_outputs(plan: &Plan) -> Json {
    let p = plan.platform;
    let mut endpoints = Map::new();
    let mut services = Map::new();
    let mut provides = Map::new();
    for inst in &p.instances {
        for e in &inst.exposes {
            let key = format!("{}.{}", inst.name, e.name);
            endpoints.insert(key.clone(), json!(endpoint_url(e)));
            services.insert(key, json!(service_address(inst, e)));
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
                    inst.name.clone(),
                    json!(format!("${{module.{}.provided}}", module_name(inst))),
                );
            }
        } else {
            let fields = provided(p, inst);
            if !fields.is_empty() {
                provides.insert(inst.name.clone(), lit_tree(Json::Object(fields)));
            }
        }
    }
    let mut secret_names = Map::new();
    for s in &p.secrets {
        secret_names.insert(s.name.clone(), json!(s.secret_name));
    }
    for m in [
        &mut endpoints,
        &mut services,
        &mut provides,
        &mut secret_names,
    ] {
        m.sort_keys();
    }
    json!({
        "output": {
            "endpoints": output(
                "URL of every exposed endpoint, keyed instance.expose.",
                lit_tree(Json::Object(endpoints)),
            ),
            "services": output(
                "In-cluster address (service.namespace.svc.cluster.local:port) of every exposed endpoint, keyed instance.expose.",
                lit_tree(Json::Object(services)),
            ),
            "provided": output(
                "The fields of the interfaces each instance provides (endpoints, bucket names, Secret names), by instance.",
                Json::Object(provides.into_iter().map(|(k, v)| (escape(&k), v)).collect()),
            ),
            "secret_names": output(
                "Name of the Kubernetes Secret that holds each secret, by secret (names only, never values).",
                lit_tree(Json::Object(secret_names)),
            ),
        }
    })
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
