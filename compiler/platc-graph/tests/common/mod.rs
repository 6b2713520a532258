//! Helpers shared by the integration tests: programs go through the real
//! compiler, so the tests see platforms exactly as sema builds them.

#![allow(dead_code)]

pub mod check;

use platc_driver::Options;
use platc_sema::Platform;

/// Checks `src` as a `main.plat` and returns its platform; panics with the
/// diagnostics when it does not check.
pub fn platform(src: &str) -> Platform {
    platform_in(src, None)
}

/// As [`platform`], with the overrides of environment `env` applied.
pub fn platform_in(src: &str, env: Option<&str>) -> Platform {
    let options = Options {
        environment: env.map(str::to_string),
        ..Options::default()
    };
    let c = platc_driver::check_source("main.plat", src, &options);
    if c.has_errors() {
        let msgs: Vec<String> = c
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        panic!("the test program does not check:\n{}", msgs.join("\n"));
    }
    c.platform.expect("a checked platform")
}

/// Six instances in two namespaces: an operator, a database that requires
/// it, an object store, an orchestrator using both, a dashboard that reads
/// the orchestrator's address (an arrow spanning two layers), and notebooks
/// that require an object store.
pub const SAMPLE: &str = r#"
platform "analytics" {
  domain = "data.example.com"
  namespace = "data"
}

interface SqlDatabase {
  host: string
  port: int
}

interface ObjectStore {
  endpoint: string
}

interface PostgresOperator {}

component cloudnative_pg {
  chart "cloudnative-pg" version "0.29.0" from "https://cloudnative-pg.github.io/charts"
  provides PostgresOperator
}

component postgres {
  chart "cluster" version "0.8.1" from "https://cloudnative-pg.github.io/charts"
  requires PostgresOperator
  provides SqlDatabase {
    host = "${self.name}-rw.${self.namespace}.svc"
    port = 5432
  }
}

component minio {
  chart "minio" version "5.4.0" from "https://charts.min.io"
  provides ObjectStore {
    endpoint = "http://${self.name}.${self.namespace}.svc:9000"
  }
}

component airflow {
  chart "apache-airflow/airflow" version "1.16.0" from "https://airflow.apache.org"
  param database: SqlDatabase
  param logs: ObjectStore? = none
  expose web { port = 8080 }
}

component superset {
  chart "superset" version "0.14.2" from "https://apache.github.io/superset"
  param database: SqlDatabase
  param airflow_url: string
  expose web { port = 8088 }
}

component jupyterhub {
  chart "jupyterhub" version "4.2.0" from "https://hub.jupyter.org/helm-chart"
  requires ObjectStore
  expose web { port = 8000 service = "proxy-public" }
}

cloudnative_pg cnpg {}

postgres meta_db {}

minio lake {}

airflow orchestrator {
  namespace = "apps"
  database = meta_db
  logs = lake
  expose web {
    host = "airflow.${platform.domain}"
    auth = "sso"
  }
}

superset dashboards {
  namespace = "apps"
  database = meta_db
  airflow_url = "http://${orchestrator.name}.${orchestrator.namespace}.svc:8080"
}

jupyterhub notebooks {
  namespace = "apps"
}

environment prod {
  platform.domain = "analytics.example.com"
}
"#;
