//! `cargo bench -p platc-lsp`: the time from one edit of an open document
//! to the diagnostics published for it, in a generated workspace of 50
//! files and about 5,000 lines (target: under 30 ms). The server runs in a
//! thread over an in-memory connection, exactly as over stdio minus the
//! framing; each iteration sends one incremental `didChange` (one
//! character of one file) and waits for its `publishDiagnostics`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

const FILES: usize = 50;

/// A project of `FILES` files: `main.plat`, a component library, and
/// instances spread over the other files, with references between them.
/// Returns the directory and the total number of lines.
fn generate(dir: &Path) -> usize {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let parts = FILES - 2;
    let mut main = String::from("platform \"bench\" {\n  domain = \"bench.example.com\"\n}\n\n");
    for f in 0..parts {
        writeln!(main, "import \"./part_{f}\"").unwrap();
    }
    let lib = r#"interface Store {
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
  /// Size of the volume.
  param size: bytes(1Gi..10Ti) = 10Gi
  param replicas: int(1..16) = 1
  param mode: "single" | "cluster" = "single"
  values {
    persistence.size = size
    replicaCount = replicas
    mode = mode
  }
}

/// A service using a store.
component service {
  chart "service" version "2.0.0" from "oci://registry.example.com/charts"
  param store: Store
  param cpu: cpu = 500m
  param memory: bytes = 512Mi
  param labels: map<string> = {}
  expose web { port = 8080 }
  values {
    env.STORE = "${store.endpoint}:${store.port}"
    resources.requests.cpu = cpu
    resources.requests.memory = memory
    resources.limits.memory = memory
    podLabels = labels
  }
}
"#;
    std::fs::write(dir.join("lib.plat"), lib).unwrap();
    let mut lines = main.lines().count() + lib.lines().count();
    for f in 0..parts {
        let mut text = format!(
            "// Part {f} of the benchmark platform: stores and the services\n// that use them, seven of each.\n\nimport \"./lib\"\n\n"
        );
        for i in 0..7 {
            writeln!(
                text,
                "/// Store {i} of part {f}.\nstore s_{f}_{i} {{\n  size = {}Gi\n  replicas = 1\n  mode = \"cluster\"\n}}\n",
                1 + i % 100
            )
            .unwrap();
            writeln!(
                text,
                "service a_{f}_{i} {{\n  store = s_{f}_{i}\n  cpu = 250m\n  memory = 1Gi\n  labels = {{ team = \"t{f}\" }}\n}}\n"
            )
            .unwrap();
        }
        lines += text.lines().count();
        std::fs::write(dir.join(format!("part_{f}.plat")), text).unwrap();
    }
    std::fs::write(dir.join("main.plat"), &main).unwrap();
    lines
}

fn url(p: &Path) -> String {
    lsp_types::Url::from_file_path(p).unwrap().to_string()
}

struct Client {
    conn: Connection,
}

impl Client {
    fn notify(&self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Message::Notification(Notification::new(
                method.into(),
                params,
            )))
            .unwrap();
    }

    fn request(&self, id: i32, method: &str, params: Value) {
        self.conn
            .sender
            .send(Message::Request(Request::new(
                RequestId::from(id),
                method.into(),
                params,
            )))
            .unwrap();
        loop {
            if let Message::Response(r) = self.recv() {
                if r.id == RequestId::from(id) {
                    return;
                }
            }
        }
    }

    fn recv(&self) -> Message {
        self.conn
            .receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the server answers")
    }

    /// Waits for the diagnostics of `uri`; returns how many there are.
    fn diagnostics(&self, uri: &str) -> usize {
        loop {
            if let Message::Notification(n) = self.recv() {
                if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri {
                    return n.params["diagnostics"].as_array().unwrap().len();
                }
            }
        }
    }
}

fn recheck(c: &mut Criterion) {
    let dir: PathBuf = std::env::temp_dir().join(format!("platc-lsp-bench-{}", std::process::id()));
    let lines = generate(&dir);
    let dir = std::fs::canonicalize(&dir).unwrap();
    let (server, client) = Connection::memory();
    let handle = std::thread::spawn(move || {
        platc_lsp::serve(&server).unwrap();
    });
    let client = Client { conn: client };
    client.request(
        1,
        "initialize",
        json!({"capabilities": {}, "initializationOptions": {"stdlibCacheDir": dir.join(".cache")}}),
    );
    client.notify("initialized", json!({}));
    let part = dir.join("part_7.plat");
    let uri = url(&part);
    let text = std::fs::read_to_string(&part).unwrap();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "plat", "version": 1, "text": text}}),
    );
    assert_eq!(
        client.diagnostics(&uri),
        0,
        "the generated workspace checks clean"
    );
    // `replicas = 1` of the first store: 0-based line 8, column 13.
    let mut version = 1;
    let mut digit = 1;
    let mut edit = |client: &Client| {
        version += 1;
        digit = if digit == 1 { 2 } else { 1 };
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{
                "range": {"start": {"line": 8, "character": 13}, "end": {"line": 8, "character": 14}},
                "text": digit.to_string()}]}),
        );
        assert_eq!(client.diagnostics(&uri), 0);
    };
    let name = format!("recheck_after_one_edit/{FILES}_files_{lines}_lines");
    c.bench_function(&name, |b| b.iter(|| edit(&client)));
    client.request(2, "shutdown", Value::Null);
    client.notify("exit", Value::Null);
    handle.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The parts of one re-check, for comparison: `platc check` of the whole
/// workspace (what the server runs), and parsing its files alone.
fn parts(c: &mut Criterion) {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("platc-lsp-bench-parts-{}", std::process::id()));
    let lines = generate(&dir);
    let options = platc_driver::Options::default();
    c.bench_function(&format!("check_path/{FILES}_files_{lines}_lines"), |b| {
        b.iter(|| {
            let c = platc_driver::check_path(&platc_driver::RealFs, &dir, &options).unwrap();
            assert!(!c.has_errors());
        })
    });
    let texts: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    c.bench_function(&format!("parse_only/{FILES}_files_{lines}_lines"), |b| {
        b.iter(|| {
            for t in &texts {
                let _ = platc_syntax::parse(platc_diag::FileId(0), t);
            }
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(Duration::from_secs(10));
    targets = recheck, parts
}
criterion_main!(benches);
