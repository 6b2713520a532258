//! `terraform/modules/<component>/`: one reusable module per component,
//! called by every instance of it. A module takes everything that differs
//! between instances as input (release name, namespace, values documents,
//! sensitive values, the objects to apply, the timeout) and knows only what
//! the component fixes: its chart and version, and which objects it may
//! declare. Each module has a README generated from the component's doc
//! comments.

use serde_json::{json, Map, Value as Json};

use platc_sema::{ComponentInfo, ReadyWhen, ResourceInfo};

use super::{lit, output, required_providers, HELM_PROVIDER, KUBERNETES_PROVIDER};

/// A module's variables, in order: name, type, default (none: required),
/// whether sensitive, description, and whether the component needs it.
struct Var {
    name: &'static str,
    ty: &'static str,
    default: Option<Json>,
    sensitive: bool,
    description: String,
}

/// The variables of a component's module.
fn variables(c: &ComponentInfo) -> Vec<Var> {
    let mut out = vec![
        Var {
            name: "release_name",
            ty: "string",
            default: None,
            sensitive: false,
            description: "Name of the Helm release, and the name the component derives its objects' names from (platc passes the instance's name, `_` as `-`).".into(),
        },
        Var {
            name: "namespace",
            ty: "string",
            default: None,
            sensitive: false,
            description: "Namespace of the release and of the component's namespaced objects; it must exist.".into(),
        },
    ];
    if let Some(chart) = &c.chart {
        out.extend([
            Var {
                name: "values",
                ty: "list(string)",
                default: Some(json!([])),
                sensitive: false,
                description: "Helm values documents (YAML), merged in order (platc passes the values it generates, with the user's values files merged).".into(),
            },
            Var {
                name: "extra_values",
                ty: "list(string)",
                default: Some(json!([])),
                sensitive: false,
                description: "More Helm values documents (YAML), merged after `values`, in order.".into(),
            },
            Var {
                name: "sensitive_values",
                ty: "map(string)",
                default: Some(json!({})),
                sensitive: true,
                description: "Helm values that are secrets, by key path in Helm's `--set` syntax (`auth.password`, with `.` inside a key escaped as `\\.`); passed with set_sensitive, never written in a values document.".into(),
            },
            Var {
                name: "timeout",
                ty: "number",
                default: Some(json!(chart.timeout_seconds)),
                sensitive: false,
                description: format!(
                    "Seconds an install or upgrade may take before it is rolled back, and that each object may take to be applied (the component's: {}).",
                    chart.timeout_seconds
                ),
            },
        ]);
    } else if !c.resources.is_empty() {
        out.push(Var {
            name: "timeout",
            ty: "number",
            default: Some(json!(300)),
            sensitive: false,
            description: "Seconds each object may take to be applied.".into(),
        });
    }
    let described = |var: Option<&str>| -> Vec<String> {
        c.resources
            .iter()
            .filter(|r| objects_var(r) == var)
            .map(|r| format!("`{}` ({})", r.name, r.kind))
            .collect()
    };
    let names = described(None);
    if !names.is_empty() {
        out.push(Var {
            name: "objects",
            ty: "map(string)",
            default: Some(json!({})),
            sensitive: false,
            description: format!(
                "The Kubernetes objects to apply, by resource name, each a whole manifest as YAML or JSON; the component declares {}.",
                names.join(", ")
            ),
        });
    }
    let each = described(Some("each_objects"));
    if !each.is_empty() {
        out.push(Var {
            name: "each_objects",
            ty: "map(map(string))",
            default: Some(json!({})),
            sensitive: false,
            description: format!(
                "The objects of the resources declared with `for`, by resource name and then by element (the element's instance, else the object's name), each a whole manifest as YAML or JSON, in its own namespace; the component declares {}.",
                each.join(", ")
            ),
        });
    }
    let routes = described(Some("routes"));
    if !routes.is_empty() {
        out.push(Var {
            name: "routes",
            ty: "map(map(string))",
            default: Some(json!({})),
            sensitive: false,
            description: format!(
                "The objects made for the endpoints this instance serves, by resource name and then by endpoint (`instance.point`), each a whole manifest as YAML or JSON, in the endpoint's namespace; the component declares {}.",
                routes.join(", ")
            ),
        });
    }
    out.extend([
        Var {
            name: "provided",
            ty: "any",
            default: Some(json!({})),
            sensitive: false,
            description: "The fields of the interfaces this instance provides, as computed for it (platc passes them); returned as the output `provided`.".into(),
        },
        Var {
            name: "endpoints",
            ty: "map(string)",
            default: Some(json!({})),
            sensitive: false,
            description: "URL of each exposed endpoint, by expose point; returned as the output `endpoints`.".into(),
        },
        Var {
            name: "services",
            ty: "map(string)",
            default: Some(json!({})),
            sensitive: false,
            description: "In-cluster address of each exposed endpoint, by expose point; returned as the output `services`.".into(),
        },
    ]);
    out
}

/// Outputs: name and description, and the value.
fn outputs(c: &ComponentInfo) -> Vec<(&'static str, &'static str, Json)> {
    let mut out = Vec::new();
    if c.chart.is_some() {
        out.push((
            "release_name",
            "Name of the Helm release.",
            json!("${helm_release.this.name}"),
        ));
        out.push((
            "namespace",
            "Namespace of the Helm release.",
            json!("${helm_release.this.namespace}"),
        ));
    } else {
        out.push((
            "release_name",
            "The instance's name.",
            json!("${var.release_name}"),
        ));
        out.push((
            "namespace",
            "The instance's namespace.",
            json!("${var.namespace}"),
        ));
    }
    if !c.resources.is_empty() {
        let entries: Vec<String> = c
            .resources
            .iter()
            .map(|r| {
                if objects_var(r).is_some() {
                    format!(
                        "{{ for k, o in kubernetes_manifest.{n} : \"{n}/${{k}}\" => {{ kind = o.manifest.kind, name = o.manifest.metadata.name }} }}",
                        n = r.name
                    )
                } else {
                    format!(
                        "{{ for o in kubernetes_manifest.{n} : \"{n}\" => {{ kind = o.manifest.kind, name = o.manifest.metadata.name }} }}",
                        n = r.name
                    )
                }
            })
            .collect();
        out.push((
            "objects",
            "The objects applied, by resource name (`name/instance.point` for the objects made per endpoint, `name/element` for those made per element of a `for`): their kind and name.",
            json!(format!("${{merge({})}}", entries.join(", "))),
        ));
    }
    out.push((
        "provided",
        "The fields of the interfaces the instance provides (hosts, ports, Secret names), as given in `provided`.",
        json!("${var.provided}"),
    ));
    out.push((
        "endpoints",
        "URL of each exposed endpoint, by expose point.",
        json!("${var.endpoints}"),
    ));
    out.push((
        "services",
        "In-cluster address (service.namespace.svc.cluster.local:port) of each exposed endpoint, by expose point.",
        json!("${var.services}"),
    ));
    out
}

/// Whether an object of a component with a chart is applied before the
/// chart: a ServiceAccount (core API, no CRD, never waited for), which
/// pods the chart starts may run as (JupyterHub's notebooks); everything
/// else comes after the chart, which may install the CRDs it needs.
fn before_chart(r: &platc_sema::ResourceInfo) -> bool {
    r.api_version == "v1" && r.kind == "ServiceAccount" && r.ready.is_none()
}

/// `modules/<component>/main.tf.json`.
pub(super) fn main(c: &ComponentInfo) -> Json {
    let mut root = Map::new();
    root.insert(
        "//".into(),
        json!(format!(
            "Module of component {}, generated by platc: do not edit. See README.md.",
            c.name
        )),
    );
    let mut providers = Vec::new();
    if c.chart.is_some() {
        providers.push(("helm", HELM_PROVIDER));
    }
    if !c.resources.is_empty() {
        providers.push(("kubernetes", KUBERNETES_PROVIDER));
    }
    root.insert(
        "terraform".into(),
        json!({"required_providers": required_providers(&providers)}),
    );
    let mut vars = Map::new();
    for v in variables(c) {
        let mut m = Map::new();
        m.insert("type".into(), json!(v.ty));
        if let Some(d) = v.default {
            m.insert("default".into(), d);
        }
        if v.sensitive {
            m.insert("sensitive".into(), json!(true));
        }
        m.insert("nullable".into(), json!(false));
        m.insert("description".into(), json!(v.description));
        vars.insert(v.name.into(), Json::Object(m));
    }
    root.insert("variable".into(), Json::Object(vars));

    let mut resources = Map::new();
    if let Some(chart) = &c.chart {
        let mut release = Map::new();
        release.insert("name".into(), json!("${var.release_name}"));
        release.insert("namespace".into(), json!("${var.namespace}"));
        release.insert("repository".into(), lit(&chart.repository));
        release.insert("chart".into(), lit(&chart.name));
        release.insert("version".into(), lit(&chart.version));
        release.insert("create_namespace".into(), json!(false));
        release.insert(
            "values".into(),
            json!("${concat(var.values, var.extra_values)}"),
        );
        // The provider parses `name=value` with Helm's --set parser: a
        // `\`, `,` or `{` in the value must be escaped.
        release.insert(
            "set_sensitive".into(),
            json!(r#"${[for k, v in var.sensitive_values : { name = k, value = replace(replace(replace(v, "\\", "\\\\"), ",", "\\,"), "{", "\\{"), type = "string" }]}"#),
        );
        release.insert("atomic".into(), json!(true));
        release.insert("wait".into(), json!(true));
        release.insert("timeout".into(), json!("${var.timeout}"));
        // The ServiceAccounts the chart's pods may run as exist first.
        let first: Vec<String> = c
            .resources
            .iter()
            .filter(|r| before_chart(r))
            .map(|r| format!("kubernetes_manifest.{}", r.name))
            .collect();
        if !first.is_empty() {
            release.insert("depends_on".into(), json!(first));
        }
        resources.insert(
            "helm_release".into(),
            json!({"this": Json::Object(release)}),
        );
    }
    if !c.resources.is_empty() {
        // One resource per object the component declares, applied when the
        // caller passes it, and waited for until it is ready when the
        // component says how to tell.
        let mut manifests = Map::new();
        for r in &c.resources {
            let mut m = Map::new();
            if let Some(var) = objects_var(r) {
                m.insert(
                    "for_each".into(),
                    json!(format!("${{lookup(var.{var}, \"{}\", {{}})}}", r.name)),
                );
                m.insert("manifest".into(), json!("${yamldecode(each.value)}"));
            } else {
                m.insert(
                    "count".into(),
                    json!(format!(
                        "${{contains(keys(var.objects), \"{}\") ? 1 : 0}}",
                        r.name
                    )),
                );
                m.insert(
                    "manifest".into(),
                    json!(format!("${{yamldecode(var.objects[\"{}\"])}}", r.name)),
                );
            }
            match &r.ready {
                Some(ReadyWhen::Condition(t)) => {
                    m.insert(
                        "wait".into(),
                        json!([{"condition": [{"type": lit(t), "status": "True"}]}]),
                    );
                }
                Some(ReadyWhen::Field { path, pattern }) => {
                    let mut fields = Map::new();
                    fields.insert(super::escape(path), lit(pattern));
                    m.insert("wait".into(), json!([{"fields": Json::Object(fields)}]));
                }
                None => {}
            }
            m.insert(
                "timeouts".into(),
                json!([{"create": "${var.timeout}s", "update": "${var.timeout}s"}]),
            );
            if c.chart.is_some() && !before_chart(r) {
                // After the chart: it may install the CRDs the objects need.
                m.insert("depends_on".into(), json!(["helm_release.this"]));
            }
            manifests.insert(r.name.clone(), Json::Object(m));
        }
        resources.insert("kubernetes_manifest".into(), Json::Object(manifests));
    }
    root.insert("resource".into(), Json::Object(resources));
    let mut outs = Map::new();
    for (name, description, value) in outputs(c) {
        outs.insert(name.into(), output(description, value));
    }
    root.insert("output".into(), Json::Object(outs));
    Json::Object(root)
}

/// `modules/<component>/README.md`: what the module installs, its inputs
/// and outputs, and how to call it, from the component's doc comments.
pub(super) fn readme(c: &ComponentInfo) -> String {
    let mut s = format!("# Module `{}`\n\n", c.name);
    s.push_str("Generated by platc from the component's doc comments: do not edit.\n\n");
    if let Some(doc) = &c.doc {
        s.push_str(doc.trim());
        s.push_str("\n\n");
    }
    match &c.chart {
        Some(chart) => s.push_str(&format!(
            "Installs the Helm chart `{}` version `{}` from `{}` (timeout {} s by default).\n",
            chart.name, chart.version, chart.repository, chart.timeout_seconds
        )),
        None => s.push_str("Installs no chart.\n"),
    }
    if !c.resources.is_empty() {
        s.push_str("\nApplies the Kubernetes objects the component declares");
        if c.chart.is_some() {
            s.push_str(", after the chart");
        }
        s.push_str(":\n\n");
        for r in &c.resources {
            s.push_str(&format!(
                "- `{}`: `{}` (`{}`)",
                r.name, r.kind, r.api_version
            ));
            match &r.ready {
                Some(ReadyWhen::Condition(t)) => {
                    s.push_str(&format!(", ready when its condition `{t}` is `True`"))
                }
                Some(ReadyWhen::Field { path, pattern }) => {
                    s.push_str(&format!(", ready when `{path}` matches `{pattern}`"))
                }
                None => {}
            }
            if c.chart.is_some() && before_chart(r) {
                s.push_str(", before the chart (its pods may run as it)");
            }
            s.push('\n');
        }
    }
    if !c.provides.is_empty() {
        s.push_str(&format!(
            "\nProvides: {}.\n",
            c.provides
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !c.requires.is_empty() {
        s.push_str(&format!(
            "Requires: {} (installed before this module).\n",
            c.requires
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    s.push_str("\n## Inputs\n\n| name | type | default | description |\n|---|---|---|---|\n");
    for v in variables(c) {
        let default = match &v.default {
            None => "required".to_string(),
            Some(d) => format!("`{d}`"),
        };
        let ty = if v.sensitive {
            format!("`{}` (sensitive)", v.ty)
        } else {
            format!("`{}`", v.ty)
        };
        s.push_str(&format!(
            "| `{}` | {ty} | {default} | {} |\n",
            v.name,
            cell(&v.description)
        ));
    }
    s.push_str("\n## Outputs\n\n| name | description |\n|---|---|\n");
    for (name, description, _) in outputs(c) {
        s.push_str(&format!("| `{name}` | {} |\n", cell(description)));
    }
    if !c.params.is_empty() {
        s.push_str("\n## Component parameters\n\n");
        s.push_str("platc compiles these into the values documents and the objects; a caller without platc writes the values itself.\n\n");
        s.push_str("| parameter | type | required | description |\n|---|---|---|---|\n");
        for p in &c.params {
            let doc = p
                .doc
                .as_deref()
                .map(|d| d.split("\n\n").next().unwrap_or(d).replace('\n', " "))
                .unwrap_or_default();
            s.push_str(&format!(
                "| `{}` | `{}` | {} | {} |\n",
                p.name,
                cell(&p.ty),
                if p.required { "yes" } else { "no" },
                cell(&doc)
            ));
        }
    }
    s.push_str("\n## Usage\n\n```hcl\n");
    s.push_str(&format!(
        "module \"{}\" {{\n  source       = \"./modules/{}\"\n",
        c.name, c.name
    ));
    s.push_str(&format!(
        "  release_name = \"{}\"\n  namespace    = \"default\"\n",
        c.name.replace('_', "-")
    ));
    if c.chart.is_some() {
        s.push_str("  values       = [file(\"values.yaml\")]\n");
    }
    if !c.resources.is_empty() {
        let name = &c.resources[0].name;
        s.push_str(&format!(
            "  objects      = {{ {name} = file(\"{name}.yaml\") }}\n"
        ));
    }
    s.push_str("}\n```\n");
    s
}

/// Text for a Markdown table cell: no line breaks, no unescaped `|`.
fn cell(s: &str) -> String {
    s.replace('\n', " ").replace('|', "\\|")
}

/// The variable that holds the objects of a resource made more than once:
/// per endpoint served (`routes`) or per element of its `for`
/// (`each_objects`); `None` for a resource with one object (`objects`).
fn objects_var(r: &ResourceInfo) -> Option<&'static str> {
    if r.route {
        Some("routes")
    } else if r.each {
        Some("each_objects")
    } else {
        None
    }
}
