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
}
