//! The server in process, over an in-memory connection: diagnostics,
//! hover, definition, completion, symbols and formatting on a project on
//! disk. (`compiler/platc-cli/tests/lsp.rs` drives the real binary.)

use std::path::{Path, PathBuf};
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

struct Session {
    client: Connection,
    server: Option<std::thread::JoinHandle<()>>,
    next: i32,
    dir: PathBuf,
}

impl Session {
    fn start(name: &str) -> Session {
        let dir = std::env::temp_dir().join(format!("platc-lsp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let dir = std::fs::canonicalize(&dir).unwrap();
        let (server, client) = Connection::memory();
        let handle = std::thread::spawn(move || {
            platc_lsp::serve(&server).unwrap();
        });
        let mut s = Session {
            client,
            server: Some(handle),
            next: 1,
            dir: dir.clone(),
        };
        let r = s.request(
            "initialize",
            json!({"capabilities": {}, "initializationOptions": {"stdlibCacheDir": dir.join("cache")}}),
        );
        assert!(r["capabilities"]["hoverProvider"].as_bool().unwrap());
        s.notify("initialized", json!({}));
        s
    }

    fn uri(&self, rel: &str) -> String {
        url(&self.dir.join(rel))
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn notify(&self, method: &str, params: Value) {
        self.client
            .sender
            .send(Message::Notification(Notification::new(
                method.into(),
                params,
            )))
            .unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.client
            .sender
            .send(Message::Request(Request::new(
                RequestId::from(id),
                method.into(),
                params,
            )))
            .unwrap();
        loop {
            match self.recv() {
                Message::Response(r) if r.id == RequestId::from(id) => {
                    assert!(r.error.is_none(), "{method}: {:?}", r.error);
                    return r.result.unwrap_or(Value::Null);
                }
                _ => {}
            }
        }
    }

    fn recv(&self) -> Message {
        self.client
            .receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the server answers")
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&self, uri: &str) -> Vec<Value> {
        loop {
            if let Message::Notification(n) = self.recv() {
                if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri {
                    return n.params["diagnostics"].as_array().unwrap().clone();
                }
            }
        }
    }

    fn open(&self, rel: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": self.uri(rel), "languageId": "plat", "version": 1, "text": text}}),
        );
    }

    fn at(&mut self, method: &str, rel: &str, line: u32, character: u32) -> Value {
        let uri = self.uri(rel);
        self.request(
            method,
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        )
    }

    fn stop(mut self) {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        self.server.take().unwrap().join().unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn url(p: &Path) -> String {
    lsp_types::Url::from_file_path(p).unwrap().to_string()
}

fn labels(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

const BROKEN: &str = r#"platform "demo" {
    domain = "demo.example.com"
}

import "std/postgres"
import "./apps"

cloudnative_pg cnpg {}

/// The metadata database.
postgres metadb {
    storage = 20Gi
    postgres_version = "13"
    instancs = 2
}
"#;

const APPS: &str = r#"import "std/interfaces"

/// An app reading a database.
component app {
    chart "app" version "1.0.0" from "https://charts.example.com"
    /// Where the data lives.
    param db: SqlDatabase
    param mode: "fast" | "safe" = "safe"
    values {
        host = db.host
    }
}
"#;

#[test]
fn diagnostics_follow_edits_across_files() {
    let s = Session::start("diag");
    s.write("main.plat", BROKEN);
    s.write("apps.plat", APPS);
    s.open("main.plat", BROKEN);
    let d = s.diagnostics(&s.uri("main.plat"));
    let codes: Vec<&str> = d.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"E0303"), "{d:#?}");
    assert!(d.iter().all(|d| d["source"] == "platc"));
    let unknown = d.iter().find(|d| d["code"] == "E0303").unwrap();
    assert_eq!(
        unknown["range"]["start"],
        json!({"line": 13, "character": 4})
    );
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("help: did you mean `instances`?"),
        "{unknown}"
    );

    // Fixed in the editor, not saved: the check reads the editor's text.
    let fixed = BROKEN
        .replace("\"13\"", "\"16\"")
        .replace("instancs", "instances");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": s.uri("main.plat"), "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    // Only the warning that `./apps` is not used yet.
    let d = s.diagnostics(&s.uri("main.plat"));
    let codes: Vec<&str> = d.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["W0201"]);
    assert_eq!(d[0]["severity"], 2);

    // An edit of an imported file re-checks the project: an instance of
    // `app` in main.plat, then a broken `app` component.
    let with_app = format!("{fixed}\napp reader {{\n    db = metadb\n}}\n");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": s.uri("main.plat"), "version": 3}, "contentChanges": [{"text": with_app}]}),
    );
    assert_eq!(s.diagnostics(&s.uri("main.plat")), Vec::<Value>::new());
    s.open("apps.plat", APPS);
    // Opening it publishes its (clean) diagnostics; wait for them, so that
    // the ones read next are the change's, however the server is timed.
    assert_eq!(s.diagnostics(&s.uri("apps.plat")), Vec::<Value>::new());
    // Incremental change: the default of `mode` becomes a value outside the enum.
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": s.uri("apps.plat"), "version": 2}, "contentChanges": [{
            "range": {"start": {"line": 7, "character": 34}, "end": {"line": 7, "character": 40}},
            "text": "\"slow\""}]}),
    );
    let d = s.diagnostics(&s.uri("apps.plat"));
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0]["range"]["start"]["line"], 7);
    s.stop();
}

#[test]
fn hover_definition_completion_symbols_formatting() {
    let mut s = Session::start("features");
    let main = format!("{BROKEN}\napp reader {{\n    db = metadb\n    mode = \"fast\"\n}}\n");
    s.write("main.plat", &main);
    s.write("apps.plat", APPS);
    s.open("main.plat", &main);
    let _ = s.diagnostics(&s.uri("main.plat"));

    // Hover: a stdlib component, with its chart; a param, with its doc.
    let h = s.at("textDocument/hover", "main.plat", 10, 2);
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("component postgres"), "{md}");
    assert!(md.contains("**chart** `cluster`"), "{md}");
    let h = s.at("textDocument/hover", "main.plat", 11, 6);
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("param storage: bytes(1Gi..64Ti) = 8Gi"), "{md}");
    let h = s.at("textDocument/hover", "main.plat", 17, 5);
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains("param db: SqlDatabase") && md.contains("Where the data lives."),
        "{md}"
    );
    let h = s.at("textDocument/hover", "main.plat", 16, 1);
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("An app reading a database."), "{md}");

    // Definition: into the stdlib (a read-only copy), and across files.
    let d = s.at("textDocument/definition", "main.plat", 10, 2);
    let uri = d["uri"].as_str().unwrap();
    assert!(uri.ends_with("/std/postgres.plat"), "{d}");
    let path = lsp_types::Url::parse(uri).unwrap().to_file_path().unwrap();
    let line = d["range"]["start"]["line"].as_u64().unwrap() as usize;
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text
        .lines()
        .nth(line)
        .unwrap()
        .starts_with("component postgres"));
    let d = s.at("textDocument/definition", "main.plat", 17, 10);
    assert_eq!(d["uri"], s.uri("main.plat"));
    assert_eq!(d["range"]["start"], json!({"line": 10, "character": 9}));
    let d = s.at("textDocument/definition", "main.plat", 16, 1);
    assert_eq!(d["uri"], s.uri("apps.plat"));
    assert_eq!(d["range"]["start"], json!({"line": 3, "character": 10}));

    // Completion: enum values, params, component names, interface fields.
    // Inside the quotes, the string's text is replaced.
    let c = s.at("textDocument/completion", "main.plat", 18, 12);
    assert_eq!(labels(&c), vec!["fast", "safe"]);
    assert_eq!(c[1]["textEdit"]["newText"], "safe");
    assert_eq!(
        c[1]["textEdit"]["range"],
        json!({"start": {"line": 18, "character": 12}, "end": {"line": 18, "character": 16}})
    );
    let c = s.at("textDocument/completion", "main.plat", 11, 4);
    let l = labels(&c);
    assert!(
        l.contains(&"postgres_version".to_string()) && l.contains(&"namespace".to_string()),
        "{l:?}"
    );
    let c = s.at("textDocument/completion", "main.plat", 16, 0);
    let l = labels(&c);
    for want in ["postgres", "app", "cloudnative_pg", "airflow", "import"] {
        assert!(l.contains(&want.to_string()), "{want} in {l:?}");
    }
    let airflow = c
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "airflow")
        .unwrap();
    assert_eq!(
        airflow["additionalTextEdits"][0]["newText"],
        "import \"std/airflow\"\n"
    );
    // `db.` in the component of apps.plat: the fields of SqlDatabase.
    let c = s.at("textDocument/completion", "apps.plat", 9, 18);
    let l = labels(&c);
    for want in ["host", "port", "name", "namespace"] {
        assert!(l.contains(&want.to_string()), "{want} in {l:?}");
    }

    // While the instance does not parse: after `mode = `, quoted values.
    let typing = main.replace("mode = \"fast\"", "mode = ");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": s.uri("main.plat"), "version": 2}, "contentChanges": [{"text": typing}]}),
    );
    let c = s.at("textDocument/completion", "main.plat", 18, 11);
    assert_eq!(labels(&c), vec!["fast", "safe"]);
    assert_eq!(c[0]["textEdit"]["newText"], "\"fast\"");
    // `db = ` offers the instances that provide SqlDatabase.
    let c = s.at("textDocument/completion", "main.plat", 17, 9);
    assert_eq!(labels(&c), vec!["metadb"]);

    // A param's type: built-in types, interfaces and components in scope.
    let c = s.at("textDocument/completion", "apps.plat", 6, 14);
    let l = labels(&c);
    for want in ["SqlDatabase", "ObjectStore", "string", "bytes", "app"] {
        assert!(l.contains(&want.to_string()), "{want} in {l:?}");
    }

    // Symbols.
    let sy = s.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": s.uri("apps.plat")}}),
    );
    assert_eq!(sy[0]["name"], "app");
    let children: Vec<&str> = sy[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(children, vec!["db", "mode"]);

    // Formatting: `platc fmt`'s layout as one edit; none for a formatted file.
    let messy = "platform \"x\" {\ndomain = \"a.example.com\"\n}\n";
    s.open("messy/main.plat", messy);
    let f = s.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": s.uri("messy/main.plat")}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    let out = f[0]["newText"].as_str().unwrap();
    assert_eq!(
        out,
        platc_driver::fmt::format(platc_diag::FileId(0), messy).unwrap()
    );
    assert_ne!(out, messy);
    s.open("tidy/main.plat", out);
    let f = s.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": s.uri("tidy/main.plat")}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert_eq!(f, json!([]));
    // A file that does not parse is left alone.
    s.open("broken/main.plat", "platform \"x\" {");
    let f = s.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": s.uri("broken/main.plat")}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert_eq!(f, Value::Null);
    s.stop();
}

#[test]
fn a_values_file_changed_on_disk_is_checked_again() {
    let s = Session::start("values");
    let main = "platform \"demo\" {}\n\nimport \"std/postgres\"\n\ncloudnative_pg cnpg {\n    values_files = [\"cnpg.yaml\"]\n}\n";
    s.write("main.plat", main);
    s.write("cnpg.yaml", "replicaCount: 1\n");
    s.open("main.plat", main);
    let codes = |d: &[Value]| -> Vec<String> {
        d.iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    };
    let first = s.diagnostics(&s.uri("main.plat"));
    assert!(!codes(&first).contains(&"E0602".to_string()), "{first:#?}");
    // Saved outside the editor: not YAML any more.
    s.write("cnpg.yaml", "replicaCount: [1\n");
    s.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": s.uri("cnpg.yaml"), "type": 2}]}),
    );
    let d = s.diagnostics(&s.uri("main.plat"));
    assert!(codes(&d).contains(&"E0602".to_string()), "{d:#?}");
    s.stop();
}

#[test]
fn an_untitled_document_is_a_program_of_its_own() {
    let s = Session::start("untitled");
    let uri = "untitled:Untitled-1";
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "plat", "version": 1, "text": "platform \"p\" {\n  domian = \"x\"\n}\n"}}),
    );
    let d = s.diagnostics(uri);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0]["range"]["start"], json!({"line": 1, "character": 2}));
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "platform \"p\" {}\n"}]}),
    );
    assert_eq!(s.diagnostics(uri), Vec::<Value>::new());
    s.stop();
}

#[test]
fn secondary_labels_are_related_information_and_policies_report() {
    let s = Session::start("related");
    let twice = "platform \"demo\" {}\n\nimport \"std/postgres\"\n\ncloudnative_pg cnpg {}\npostgres metadb {}\npostgres metadb {}\n\npolicy watched severity warn code \"P0200\" {\n  for i in instances where i.name == \"cnpg\" fail i \"cnpg is watched\"\n}\n";
    s.write("main.plat", twice);
    s.open("main.plat", twice);
    let d = s.diagnostics(&s.uri("main.plat"));
    let dup = d
        .iter()
        .find(|d| d["code"] == "E0202")
        .unwrap_or_else(|| panic!("{d:#?}"));
    let related = dup["relatedInformation"].as_array().unwrap();
    assert_eq!(related[0]["location"]["uri"], s.uri("main.plat"));
    let lines: Vec<u64> = [&dup["range"], &related[0]["location"]["range"]]
        .iter()
        .map(|r| r["start"]["line"].as_u64().unwrap())
        .collect();
    assert!(lines.contains(&5) && lines.contains(&6), "{dup:#}");
    // Without the clash, the platform's own policy runs and warns.
    let once = twice.replacen("postgres metadb {}\n", "", 1);
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": s.uri("main.plat"), "version": 2}, "contentChanges": [{"text": once}]}),
    );
    let d = s.diagnostics(&s.uri("main.plat"));
    let p = d
        .iter()
        .find(|d| d["code"] == "P0200")
        .unwrap_or_else(|| panic!("{d:#?}"));
    assert_eq!(p["severity"], 2);
    assert!(
        p["message"].as_str().unwrap().contains("cnpg is watched"),
        "{p}"
    );
    s.stop();
}
