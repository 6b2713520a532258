//! A generator of synthetic platforms, for benchmarks and scale tests.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::MemoryFs;

/// A project of `instances` instances spread over `files` files (plus
/// `main.plat` and a component library), with typed references between
/// instances, constraints, interpolation and expose blocks served by an
/// edge instance (one more instance, `edge`, with a route resource per
/// endpoint), so that every stage of checking does real work. Returns the file system and the root
/// directory to check.
pub fn generate(instances: usize, files: usize) -> (MemoryFs, PathBuf) {
    let root = PathBuf::from("/bench");
    let mut fs = MemoryFs::new();
    let files = files.max(1);
    let mut main = String::from(
        "platform \"bench\" {\n  domain = \"bench.example.com\"\n  ingress = [edge]\n}\n\nimport \"./lib\"\n\nedge edge {}\n\n",
    );
    for f in 0..files {
        writeln!(main, "import \"./part_{f}\"").unwrap();
    }
    fs.insert(root.join("main.plat"), main);
    let lib = r#"
interface Store {
  endpoint: string
  port: int
}

/// A storage service.
component store {
  chart "store" version "1.2.3" from "https://charts.example.com"
  provides Store {
    endpoint = "${self.name}.${self.namespace}.svc"
    port = 9000
  }
  param size: bytes(1Gi..10Ti) = 10Gi
  param replicas: int(1..16) = 1
  param mode: "single" | "cluster" = "single"
  values {
    persistence.size = size
    replicaCount = replicas
    mode = mode
  }
}

/// Serves every endpoint with an Ingress.
component edge {
  chart "edge" version "3.0.0" from "https://charts.example.com"
  route assert route.auth != "basic" message "no basic auth here"
  route resource ingress "networking.k8s.io/v1" Ingress {
    metadata.name = route.object_name
    spec.ingressClassName = self.name
    spec.rules = [{ host = route.host, http = { paths = [{ path = route.path, pathType = "Prefix", backend = { service = { name = route.service, port = { number = route.port } } } }] } }]
    if route.tls {
      spec.tls = [{ hosts = [route.host], secretName = route.tls_secret }]
    }
  }
}

/// A service using a store.
component service {
  chart "service" version "2.0.0" from "oci://registry.example.com/charts"
  param store: Store
  param cpu: cpu = 500m
  param memory: bytes = 512Mi
  param name: string(matches "^[a-z][a-z0-9-]*$")
  param labels: map<string> = {}
  expose web { port = 8080 }
  values {
    env.STORE = "${store.endpoint}:${store.port}"
    resources.requests.cpu = cpu
    resources.requests.memory = memory
    resources.limits.memory = memory
    fullnameOverride = name
    podLabels = labels
  }
}
"#;
    fs.insert(root.join("lib.plat"), lib);
    let per_file = instances.div_ceil(files);
    let mut made = 0;
    for f in 0..files {
        let mut text = String::from("import \"./lib\"\n\n");
        let mut i = 0;
        while i < per_file && made < instances {
            if i % 2 == 0 || i + 1 == per_file || made + 1 == instances {
                writeln!(
                    text,
                    "store s_{f}_{i} {{\n  size = {}Gi\n  replicas = {}\n  mode = \"cluster\"\n}}\n",
                    1 + i % 100,
                    1 + i % 8
                )
                .unwrap();
            } else {
                writeln!(
                    text,
                    "service a_{f}_{i} {{\n  store = s_{f}_{}\n  cpu = 2\n  memory = 4Gi\n  name = \"app-{f}-{i}\"\n  labels = {{ team = \"t{}\" }}\n  expose web {{\n    host = \"a-{f}-{i}.${{platform.domain}}\"\n    auth = \"sso\"\n    audit = true\n  }}\n}}\n",
                    i - 1,
                    i % 7
                )
                .unwrap();
            }
            i += 1;
            made += 1;
        }
        fs.insert(root.join(format!("part_{f}.plat")), text);
    }
    (fs, root)
}

/// The instances [`stdlib`] declares once for the whole platform.
pub const STDLIB_SHARED_INSTANCES: usize = 14;
/// The instances of one team's lakehouse in [`stdlib`].
pub const STDLIB_TEAM_INSTANCES: usize = 19;

/// A platform drawn from every stdlib component, with exactly `instances`
/// instances (at least [`STDLIB_SHARED_INSTANCES`] +
/// [`STDLIB_TEAM_INSTANCES`]; fewer are raised to that).
///
/// Shared, in the platform's namespace, once per cluster: the operators
/// (CloudNativePG, the Altinity ClickHouse operator, cert-manager and its
/// issuer), the identity provider, oauth2-proxy and Traefik serving every
/// endpoint, Argo CD, and monitoring (kube-prometheus-stack, Grafana, Loki
/// on a MinIO of its own, Alloy). Then one file per team, `teams/tN.plat`,
/// whose instances all live in the namespace `tN`: the team's lakehouse and
/// warehouse, wired as the examples `lakehouse`, `warehouse` and
/// `external-s3` are (four PostgreSQL clusters, MinIO with a user per
/// consumer, Nessie, Trino, JupyterHub, Superset registering the team's
/// Trino, ClickHouse and Druid, Airflow, ClickHouse, Druid, an external S3
/// bucket and an app reading it), each with the Secrets it needs in the
/// team's namespace. The instances left over after the last whole team
/// are apps of the last team. It checks clean in the default environment.
pub fn stdlib(instances: usize) -> (MemoryFs, PathBuf) {
    let root = PathBuf::from("/stdlib-bench");
    let mut fs = MemoryFs::new();
    for (path, text) in stdlib_files(instances) {
        fs.insert(root.join(path), text);
    }
    (fs, root)
}

/// The files of [`stdlib`]`(instances)`, by path relative to the project
/// root (`main.plat` and `teams/tN.plat`): to write the platform to disk
/// and build it with `platc` (`cargo run --example stdlib_platform`).
pub fn stdlib_files(instances: usize) -> Vec<(PathBuf, String)> {
    let instances = instances.max(STDLIB_SHARED_INSTANCES + STDLIB_TEAM_INSTANCES);
    let teams = (instances - STDLIB_SHARED_INSTANCES) / STDLIB_TEAM_INSTANCES;
    let extra = instances - STDLIB_SHARED_INSTANCES - teams * STDLIB_TEAM_INSTANCES;
    let root = PathBuf::new();
    let mut fs = Vec::new();
    let mut main = String::from(STDLIB_SHARED);
    for t in 0..teams {
        writeln!(main, "import \"./teams/t{t}\"").unwrap();
        let mut text = STDLIB_TEAM.replace("TEAM", &format!("t{t}"));
        if t + 1 == teams {
            for a in 0..extra {
                writeln!(
                    text,
                    "\n/// A batch job of the team.\napp t{t}_job{a} {{\n  namespace = \"t{t}\"\n  image = \"registry.example.com/t{t}/job{a}\"\n  tag = \"1.0.{a}\"\n  schedule = \"@daily\"\n  object_store = t{t}_archive\n  bucket = \"t{t}-archive\"\n}}"
                )
                .unwrap();
            }
        }
        fs.push((root.join(format!("teams/t{t}.plat")), text));
    }
    fs.push((root.join("main.plat"), main));
    fs
}

const STDLIB_SHARED: &str = r#"platform "stdlib" {
  domain = "data.example.com"
  ingress = [edge, letsencrypt]
}

import "std/postgres"
import "std/minio"
import "std/clickhouse"
import "std/traefik"
import "std/oauth2_proxy"
import "std/cert_manager"
import "std/ingress"
import "std/argocd"
import "std/prometheus"
import "std/grafana"
import "std/loki"
import "std/alloy"

secret sso_client from kubernetes_secret("sso-client", ["client-id", "client-secret", "cookie-secret"])
secret argocd_client from kubernetes_secret("argocd-client", ["client-id", "client-secret"])
secret argocd_redis from kubernetes_secret("argocd-redis", "auth")
secret grafana_admin from kubernetes_secret("grafana-admin", ["username", "password"])
secret logs_root from kubernetes_secret("logs-root", ["rootUser", "rootPassword"])
secret logs_key from kubernetes_secret("logs-s3", ["accessKey", "secretKey"])

cloudnative_pg cnpg {}
clickhouse_operator chop {}
cert_manager certs {}

cluster_issuer letsencrypt {
  email = "platform-team@example.com"
  ingress_class = edge.ingress_class
}

oidc_issuer company {
  issuer_url = "https://login.example.com/realms/data"
}

oauth2_proxy sso {
  issuer = company
  client = sso_client
  host = "auth.${platform.domain}"
  expose web {
    host = "auth.${platform.domain}"
    audit = true
    public = true
  }
}

traefik edge {
  sso = sso
}

argocd deploy {
  login = company
  client = argocd_client
  redis_password = argocd_redis
  host = "argocd.${platform.domain}"
}

kube_prometheus_stack monitoring {}

minio logstore {
  buckets = ["loki"]
  storage = 100Gi
  root_credentials = logs_root
}

minio_access logs_s3 {
  store = logstore
  buckets = ["loki"]
  credentials = logs_key
}

loki logs {
  store = logs_s3
  bucket = "loki"
}

alloy collector {}

allow ingress_authenticated for sso.web reason "the sign-in endpoint of single sign-on itself"

grafana dashboards {
  admin = grafana_admin
  expose web {
    host = "grafana.${platform.domain}"
    auth = "sso"
    tls = true
    audit = true
  }
}

"#;

const STDLIB_TEAM: &str = r#"import "std/postgres"
import "std/minio"
import "std/s3"
import "std/nessie"
import "std/trino"
import "std/superset"
import "std/jupyterhub"
import "std/airflow"
import "std/clickhouse"
import "std/druid"
import "std/app"

secret TEAM_lake_root from kubernetes_secret("lake-root", ["rootUser", "rootPassword"])
secret TEAM_catalog_key from kubernetes_secret("catalog-s3", ["accessKey", "secretKey"])
secret TEAM_query_key from kubernetes_secret("query-s3", ["accessKey", "secretKey"])
secret TEAM_notebooks_key from kubernetes_secret("notebooks-s3", ["accessKey", "secretKey"])
secret TEAM_pipelines_key from kubernetes_secret("pipelines-s3", ["accessKey", "secretKey"])
secret TEAM_druid_key from kubernetes_secret("druid-s3", ["accessKey", "secretKey"])
secret TEAM_archive_aws from kubernetes_secret("archive-aws", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
secret TEAM_pipelines_admin from kubernetes_secret("pipelines-admin", ["username", "password"])
secret TEAM_superset_key from kubernetes_secret("superset-secret-key", "secret-key")
secret TEAM_superset_admin from kubernetes_secret("superset-admin", ["username", "password"])
secret TEAM_notebooks_client from kubernetes_secret("notebooks-client", ["client-id", "client-secret"])
secret TEAM_events_client from kubernetes_secret("events-client", "password")
secret TEAM_druiddb_password from kubernetes_secret("TEAM-druiddb-app", "password")
secret TEAM_druid_credentials from template({
  "metadata-password" = "{{ .db }}"
  "s3-access-key" = "{{ .access }}"
  "s3-secret-key" = "{{ .secret }}"
}, {
  db = TEAM_druiddb_password
  access = TEAM_druid_key["accessKey"]
  secret = TEAM_druid_key["secretKey"]
})

postgres TEAM_catalogdb {
  namespace = "TEAM"
  database = "nessie"
  storage = 10Gi
}

postgres TEAM_supersetdb {
  namespace = "TEAM"
  database = "superset"
  storage = 10Gi
}

postgres TEAM_pipelinesdb {
  namespace = "TEAM"
  database = "airflow"
  storage = 10Gi
}

postgres TEAM_druiddb {
  namespace = "TEAM"
  database = "druid"
  storage = 10Gi
}

minio TEAM_lake {
  namespace = "TEAM"
  buckets = ["warehouse", "logs", "druid"]
  storage = 200Gi
  root_credentials = TEAM_lake_root
}

minio_access TEAM_catalog_s3 {
  namespace = "TEAM"
  store = TEAM_lake
  buckets = ["warehouse"]
  user = "catalog-s3"
  credentials = TEAM_catalog_key
}

minio_access TEAM_query_s3 {
  namespace = "TEAM"
  store = TEAM_lake
  buckets = ["warehouse"]
  user = "query-s3"
  credentials = TEAM_query_key
}

minio_access TEAM_notebooks_s3 {
  namespace = "TEAM"
  store = TEAM_lake
  buckets = ["warehouse"]
  user = "notebooks-s3"
  credentials = TEAM_notebooks_key
}

minio_access TEAM_pipelines_s3 {
  namespace = "TEAM"
  store = TEAM_lake
  buckets = ["logs"]
  user = "pipelines-s3"
  credentials = TEAM_pipelines_key
}

minio_access TEAM_druid_s3 {
  namespace = "TEAM"
  store = TEAM_lake
  buckets = ["druid"]
  user = "druid-s3"
  credentials = TEAM_druid_key
}

s3_bucket TEAM_archive {
  namespace = "TEAM"
  endpoint = "https://s3.eu-west-1.amazonaws.com"
  region = "eu-west-1"
  buckets = ["TEAM-archive"]
  credentials = TEAM_archive_aws
}

nessie TEAM_catalog {
  namespace = "TEAM"
  database = TEAM_catalogdb
  store = TEAM_catalog_s3
  bucket = "warehouse"
}

trino TEAM_query {
  namespace = "TEAM"
  iceberg = [TEAM_catalog]
  postgres = []
  clickhouse = [TEAM_events]
  object_store = TEAM_query_s3
  expose web {
    host = "trino-TEAM.${platform.domain}"
    auth = "sso"
    tls = true
    audit = true
  }
}

jupyterhub TEAM_notebooks {
  namespace = "TEAM"
  catalogs = [TEAM_catalog]
  object_store = TEAM_notebooks_s3
  login = company
  client = TEAM_notebooks_client
  host = "notebooks-TEAM.${platform.domain}"
  image = "registry.example.com/data/notebook-lakehouse"
  image_tag = "2026.11.1"
  expose web {
    host = "notebooks-TEAM.${platform.domain}"
    auth = "sso"
    tls = true
    audit = true
  }
}

clickhouse TEAM_events {
  namespace = "TEAM"
  storage = 100Gi
  client_password = TEAM_events_client
}

druid TEAM_olap {
  namespace = "TEAM"
  database = TEAM_druiddb
  deep_storage = TEAM_druid_s3
  bucket = "druid"
  credentials = TEAM_druid_credentials
}

superset TEAM_dashboards {
  namespace = "TEAM"
  database = TEAM_supersetdb
  trino = [TEAM_query]
  clickhouse = [TEAM_events]
  druid = [TEAM_olap]
  secret_key = TEAM_superset_key
  admin = TEAM_superset_admin
  expose web {
    host = "superset-TEAM.${platform.domain}"
    auth = "sso"
    tls = true
    audit = true
  }
}

airflow TEAM_pipelines {
  namespace = "TEAM"
  database = TEAM_pipelinesdb
  admin = TEAM_pipelines_admin
  logs = TEAM_pipelines_s3
  logs_bucket = "logs"
}

app TEAM_loader {
  namespace = "TEAM"
  image = "registry.example.com/TEAM/loader"
  tag = "1.0.0"
  port = 8080
  metrics_path = "/metrics"
  object_store = TEAM_archive
  bucket = "TEAM-archive"
}

allow cross_namespace_declared for TEAM_notebooks -> company reason "the company's identity provider signs in every team"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_platform_is_clean_and_complete() {
        let (fs, root) = generate(300, 7);
        let c = crate::check_path(&fs, &root, &crate::Options::default()).unwrap();
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        let p = c.platform.unwrap();
        // The instances asked for, and the edge.
        assert_eq!(p.instances.len(), 301);
        let edge = p.instances.iter().find(|i| i.name == "edge").unwrap();
        let endpoints: usize = p.instances.iter().map(|i| i.exposes.len()).sum();
        assert!(endpoints > 100);
        assert_eq!(edge.resources.len(), endpoints);
    }

    #[test]
    fn stdlib_platform_is_clean_and_exact() {
        // Two whole teams and five apps left over.
        let n = STDLIB_SHARED_INSTANCES + 2 * STDLIB_TEAM_INSTANCES + 5;
        let (fs, root) = stdlib(n);
        let c = crate::check_path(&fs, &root, &crate::Options::default()).unwrap();
        assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
        let p = c.platform.unwrap();
        assert_eq!(p.instances.len(), n);
        // Every stdlib component is instantiated.
        let used: std::collections::BTreeSet<&str> =
            p.instances.iter().map(|i| i.component.as_str()).collect();
        for (module, source) in crate::stdlib_modules() {
            for line in source.lines() {
                if let Some(rest) = line.strip_prefix("component ") {
                    let name = rest.split_whitespace().next().unwrap();
                    assert!(
                        used.contains(name),
                        "{module}: `{name}` is not instantiated"
                    );
                }
            }
        }
        // Each team's lakehouse is in its own namespace.
        for t in ["t0", "t1"] {
            let ns: Vec<_> = p
                .instances
                .iter()
                .filter(|i| i.name.starts_with(&format!("{t}_")))
                .collect();
            assert!(ns.len() >= STDLIB_TEAM_INSTANCES);
            assert!(ns.iter().all(|i| i.namespace == t));
        }
    }

    #[test]
    fn stdlib_platform_builds() {
        let (fs, root) = stdlib(STDLIB_SHARED_INSTANCES + 3 * STDLIB_TEAM_INSTANCES);
        let b = crate::build_path(&fs, &root, &crate::Options::default()).unwrap();
        assert!(
            !b.compilation.has_errors(),
            "{:#?}",
            b.compilation.diagnostics
        );
        let names: Vec<&str> = b.files.iter().map(|f| f.path.as_str()).collect();
        assert!(names.iter().any(|n| n.contains("t2")), "{names:?}");
    }
}
