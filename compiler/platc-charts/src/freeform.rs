//! Maps that charts document as free-form although their `values.yaml`
//! shows example content.
//!
//! An empty map (`podAnnotations: {}`) and a `null` default are free-form
//! anyway. This list is for maps with content in `values.yaml` where the
//! content is an example, not the set of keys: a user adding a key the
//! default does not show is using the chart as documented. Each entry says
//! which charts of the reference data (`../shared/charts`) need it.
//!
//! An entry only opens a map: a key that the chart's schema forbids
//! (`additionalProperties: false`, a non-object type) stays forbidden, and
//! keys the schema types keep their types.

/// Key names that are free-form wherever they appear: Kubernetes objects
/// that the charts copy into manifests with `toYaml`.
const OBJECTS: &[&str] = &[
    // Kubernetes `Affinity`. loki's `*.affinity` default to a
    // podAntiAffinity example; a nodeAffinity beside it is just as valid.
    "affinity",
    // Kubernetes `ResourceRequirements`: minio (`resources.requests.memory:
    // 16Gi`), ingress-nginx, keycloakx and alloy show requests only; `cpu`
    // or `limits` are valid too.
    "resources",
    // Kubernetes `(Pod)SecurityContext`, under these three names in
    // grafana, cert-manager, argo-cd, trino, loki, jupyterhub, nessie,
    // traefik and others, with a few fields as defaults
    // (`fsGroupChangePolicy`, `seLinuxOptions`, ... are valid as well).
    "securityContext",
    "podSecurityContext",
    "containerSecurityContext",
    // Kubernetes `Probe`: fluent-bit, grafana, loki, superset and
    // ingress-nginx pass these through, with an `httpGet` default that a
    // user may replace by `exec` or `tcpSocket`.
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    // Kubernetes Deployment/StatefulSet/DaemonSet strategies: airflow,
    // loki, traefik, grafana and others default to `type` only, or to a
    // `rollingUpdate` with some of its fields.
    "strategy",
    "updateStrategy",
    "deploymentStrategy",
    // Kubernetes container `Lifecycle`: ingress-nginx shows a preStop hook;
    // postStart is as valid.
    "lifecycle",
    // HorizontalPodAutoscaler `behavior`: keycloakx shows scaleDown only.
    "behavior",
];

/// Key names that are free-form when their default is a map of scalars:
/// a map of node labels (argo-cd, cert-manager and ingress-nginx default
/// `nodeSelector` to `kubernetes.io/os: linux`), and environment variables
/// by name (grafana's `imageRenderer.env`, kube-prometheus-stack's
/// `prometheusOperator.env: {GOGC: "30"}`).
const STRING_MAPS: &[&str] = &["nodeSelector", "env"];

/// Name suffixes of Kubernetes metadata maps (`annotations`,
/// `podAnnotations`, `serviceAnnotations`, `labels`, `podLabels`,
/// `extraLabels`, `matchLabels`, ...), free-form when their default is a map
/// of scalars (argo-cd's `controller.metrics.applicationLabels` is a map of
/// settings, not labels). Defaults with content: argo-cd's
/// `crds.annotations`, cert-manager's `startupapicheck.*.annotations` (Helm
/// hook annotations), clickhouse's `podAnnotations`, trino's and loki's
/// `*.labels`, jupyterhub's `singleuser.extraLabels`, kube-prometheus-stack's
/// `selector.matchLabels`.
const STRING_MAP_SUFFIXES: &[&str] = &["annotations", "Annotations", "labels", "Labels"];

/// Chart-specific maps whose keys are the user's to choose: configuration
/// files and name-keyed collections, by chart name and key path.
const PATHS: &[(&str, &[&str])] = &[
    // argocd-cm, argocd-cmd-params-cm and argocd-rbac-cm: the chart writes
    // every key into the ConfigMap.
    ("argo-cd", &["configs", "cm"]),
    ("argo-cd", &["configs", "params"]),
    ("argo-cd", &["configs", "rbac"]),
    // grafana.ini: sections and keys of Grafana's configuration file.
    ("grafana", &["grafana.ini"]),
    // The Alertmanager configuration file (receivers, routes, ...).
    ("kube-prometheus-stack", &["alertmanager", "config"]),
    // Log levels by logger category (`org.projectnessie: INFO`).
    ("nessie", &["log", "categories"]),
    // The superset-websocket server's JSON configuration file.
    ("superset", &["supersetWebsockets", "config"]),
    // Trino catalogs by name (`tpch`, `tpcds` are examples; users add their
    // own).
    ("trino", &["catalogs"]),
];

/// Whether the values.yaml map at `path` of chart `chart` is free-form
/// although it has content; `scalars`: every value in it is a scalar.
pub(crate) fn is_free_form(chart: &str, path: &[String], scalars: bool) -> bool {
    let Some(name) = path.last() else {
        return false;
    };
    if OBJECTS.contains(&name.as_str()) {
        return true;
    }
    if scalars
        && (STRING_MAPS.contains(&name.as_str())
            || STRING_MAP_SUFFIXES.iter().any(|s| name.ends_with(s)))
    {
        return true;
    }
    PATHS.iter().any(|(c, p)| {
        *c == chart && p.len() == path.len() && p.iter().zip(path).all(|(a, b)| a == b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_suffixes_and_paths() {
        assert!(is_free_form("x", &path(&["podAnnotations"]), true));
        assert!(!is_free_form("x", &path(&["podAnnotations"]), false));
        assert!(is_free_form("x", &path(&["a", "labels"]), true));
        assert!(is_free_form(
            "x",
            &path(&["controller", "nodeSelector"]),
            true
        ));
        assert!(is_free_form("x", &path(&["controller", "affinity"]), false));
        assert!(is_free_form("trino", &path(&["catalogs"]), false));
        assert!(!is_free_form("airflow", &path(&["catalogs"]), true));
        assert!(!is_free_form("trino", &path(&["x", "catalogs"]), true));
        assert!(!is_free_form("x", &path(&["image"]), true));
        assert!(!is_free_form("x", &path(&[]), true));
    }
}
