//! `platc lsp`, the real binary, driven over stdio with JSON-RPC messages
//! framed by `Content-Length` headers.
//!
//! - `tests/lsp/*.json` are recorded sessions: the messages a client sends,
//!   and after each, the message the server must answer with (a pattern:
//!   see [`matches`]). They are replayed in order.
//! - `hostile_inputs_get_answers_and_a_clean_exit` opens the hostile
//!   inputs of the robustness tests (the ui fixtures, a sample of the saved
//!   fuzz corpus and its regressions, deep nesting, a file over the size
//!   limit, ...) and malformed protocol messages, asks every feature about
//!   each, and checks that every request is answered without an internal
//!   error and that the server exits cleanly.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(60);

struct Server {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    /// Messages received and not matched yet (the latest ones).
    seen: Vec<Value>,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_platc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start platc lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    let (name, value) = line.split_once(':').expect("a header");
                    if name.eq_ignore_ascii_case("content-length") {
                        length = Some(value.trim().parse::<usize>().unwrap());
                    }
                }
                let mut body = vec![0; length.expect("Content-Length")];
                r.read_exact(&mut body).unwrap();
                let v: Value = serde_json::from_slice(&body).expect("the server sends JSON");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            rx,
            seen: Vec::new(),
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, v: &Value) {
        let body = serde_json::to_vec(v).unwrap();
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend(body);
        self.send_raw(&frame);
    }

    fn next(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(v) => Some(v),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits for a message that matches `pattern`.
    fn expect(&mut self, pattern: &Value) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        if let Some(k) = self.seen.iter().position(|v| matches(pattern, v)) {
            return self.seen.remove(k);
        }
        while let Some(v) = self.next(deadline) {
            if matches(pattern, &v) {
                return v;
            }
            self.seen.push(v);
            if self.seen.len() > 200 {
                self.seen.remove(0);
            }
        }
        panic!(
            "no message matches\n{}\nlast messages:\n{}",
            serde_json::to_string_pretty(pattern).unwrap(),
            self.seen
                .iter()
                .rev()
                .take(8)
                .map(|v| serde_json::to_string(v).unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    /// Waits for the response to request `id`.
    fn response(&mut self, id: i64) -> Value {
        self.expect(&json!({ "id": id }))
    }

    fn exit_code(&mut self) -> i32 {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("platc lsp did not exit");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `actual` matches `pattern`:
/// - an object matches when each of the pattern's keys matches (other keys
///   are allowed; a `null` in the pattern asks for `null` or no key);
/// - an array whose first element is `"..."` matches when each further
///   element matches some element of the actual array; any other array
///   matches element by element, with the same length;
/// - a string `"~TEXT"` matches a string containing `TEXT`, `"*TEXT"` one
///   ending with `TEXT`; anything else must be equal.
fn matches(pattern: &Value, actual: &Value) -> bool {
    match (pattern, actual) {
        (Value::Object(p), Value::Object(a)) => p.iter().all(|(k, pv)| match a.get(k) {
            Some(av) => matches(pv, av),
            None => pv.is_null(),
        }),
        (Value::Array(p), Value::Array(a)) => {
            if p.first().and_then(Value::as_str) == Some("...") {
                p[1..].iter().all(|pv| a.iter().any(|av| matches(pv, av)))
            } else {
                p.len() == a.len() && p.iter().zip(a).all(|(pv, av)| matches(pv, av))
            }
        }
        (Value::String(p), Value::String(a)) => {
            if let Some(sub) = p.strip_prefix('~') {
                a.contains(sub)
            } else if let Some(end) = p.strip_prefix('*') {
                a.ends_with(end)
            } else {
                p == a
            }
        }
        _ => pattern == actual,
    }
}

fn file_uri(p: &Path) -> String {
    let mut s = String::from("file://");
    for c in p.to_str().unwrap().chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '/' | '-' | '_' | '.' | '~' => s.push(c),
            c => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    s.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    s
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("platc-lsp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::canonicalize(dir).unwrap()
}

/// `${ROOT}`, `${CACHE}` and `${TEXT:name}` in every string of `v`.
fn substitute(v: &Value, root: &str, cache: &str, texts: &Value) -> Value {
    match v {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("${TEXT:").and_then(|n| n.strip_suffix('}')) {
                return texts[name].clone();
            }
            Value::String(s.replace("${ROOT}", root).replace("${CACHE}", cache))
        }
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| substitute(x, root, cache, texts))
                .collect(),
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), substitute(x, root, cache, texts)))
                .collect(),
        ),
        v => v.clone(),
    }
}

fn replay(session: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lsp")
        .join(session);
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let dir = temp_dir(session.trim_end_matches(".json"));
    let root = dir.join("project");
    let cache = dir.join("cache");
    for (name, text) in s["files"].as_object().unwrap() {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text.as_str().unwrap()).unwrap();
    }
    let root_uri = file_uri(&root);
    let cache = cache.to_str().unwrap().to_string();
    let mut server = Server::start();
    for (k, step) in s["steps"].as_array().unwrap().iter().enumerate() {
        let step = substitute(step, &root_uri, &cache, &s["texts"]);
        if let Some(msg) = step.get("send") {
            server.send(msg);
        } else if let Some(pattern) = step.get("expect") {
            let got = server.expect(pattern);
            assert!(got.get("error").is_none(), "step {k}: {got}");
        } else if let Some(code) = step.get("exit") {
            assert_eq!(
                Value::from(server.exit_code()),
                *code,
                "step {k}: exit code"
            );
        } else {
            panic!("step {k} of {session}: unknown step {step}");
        }
    }
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn first_session() {
    replay("first-session.json");
}

#[test]
fn utf8_positions() {
    replay("utf8-positions.json");
}

// ------------------------------------------------------------ hostile input

/// The `.plat` files (or any files) of a directory, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    out.sort();
    out
}

/// Every `step`-th element, from the first.
fn every<T: Clone>(v: &[T], step: usize) -> Vec<T> {
    v.iter().step_by(step.max(1)).cloned().collect()
}

/// The hostile inputs: the robustness tests' fixtures (tests/ui and the
/// quickstart), a sample of the fuzz corpus (all three targets) and its
/// regressions, and the generated extremes of tests/robustness.rs.
fn hostile_inputs() -> Vec<(String, String)> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    let mut ui: Vec<PathBuf> = Vec::new();
    for d in std::fs::read_dir(repo.join("tests/ui")).unwrap() {
        let d = d.unwrap().path();
        if d.is_dir() {
            ui.extend(
                files(&d)
                    .into_iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "plat")),
            );
        }
    }
    ui.sort();
    for p in every(&ui, 2) {
        out.push((p.display().to_string(), read(&p)));
    }
    out.push((
        "quickstart".into(),
        read(&repo.join("examples/quickstart/main.plat")),
    ));
    for target in ["parse", "check", "build_emit"] {
        let corpus = files(&repo.join("fuzz/corpus").join(target));
        for p in every(&corpus, corpus.len() / 40) {
            out.push((p.display().to_string(), read(&p)));
        }
    }
    for p in files(&repo.join("fuzz/regressions")) {
        out.push((p.display().to_string(), read(&p)));
    }
    let deep = |open: &str, close: &str| {
        format!(
            "platform \"p\" {{}}\ncomponent c {{ param x: int = {}1{} }}\n",
            open.repeat(10_000),
            close.repeat(10_000)
        )
    };
    out.push(("deep brackets".into(), deep("[", "]")));
    out.push(("deep records".into(), deep("{ a = ", "}")));
    out.push((
        "deep interpolation".into(),
        format!(
            "platform \"p\" {{ domain = {}x{} }}\n",
            "\"${".repeat(10_000),
            "}\"".repeat(10_000)
        ),
    ));
    out.push((
        "long operator chain".into(),
        format!(
            "component c {{ param x: int = {}1 }}\n",
            "1 + ".repeat(10_000)
        ),
    ));
    out.push((
        "byte order mark".into(),
        "\u{feff}platform \"p\" {}\n".into(),
    ));
    out.push((
        "control characters".into(),
        "platform \"p\u{0}\u{1b}[31m\" {\n\u{0}\u{202e}}\n\r\r\t".into(),
    ));
    out.push((
        "unclosed everything".into(),
        "platform \"p {\ncomponent c { param x: [ ( /* ".into(),
    ));
    out.push((
        "non-ASCII names".into(),
        "postgres dé\u{1F44B} { é = \"ü\" }\n".into(),
    ));
    let mut big = String::from("platform \"big\" {}\n");
    while big.len() <= 8 * 1024 * 1024 + 1024 {
        big.push_str("// padding padding padding padding padding padding padding padding\n");
    }
    out.push(("over the size limit".into(), big));
    out.push((
        "one long line".into(),
        format!("platform \"p\" {{ domain = \"{}\" }}", "a".repeat(1 << 20)),
    ));
    out.push(("empty".into(), String::new()));
    out
}

/// Positions spread over a text (UTF-16 columns), the end included.
fn positions(text: &str) -> Vec<Value> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let n = lines.len();
    for &l in &[0, n / 3, n / 2, n.saturating_sub(1)] {
        let line = lines[l];
        let units = line.encode_utf16().count();
        for c in [0, units / 2, units] {
            out.push(json!({"line": l, "character": c}));
        }
    }
    out.dedup();
    out
}

#[test]
fn hostile_inputs_get_answers_and_a_clean_exit() {
    let start = Instant::now();
    let dir = temp_dir("hostile");
    let mut server = Server::start();
    let mut id = 0i64;
    let mut next_id = || {
        id += 1;
        id
    };
    let init = next_id();
    server.send(
        &json!({"jsonrpc": "2.0", "id": init, "method": "initialize", "params": {
        "capabilities": {}, "initializationOptions": {"stdlibCacheDir": dir.join("cache")}}}),
    );
    server.response(init);
    server.send(&json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));

    // Malformed protocol messages first: the session goes on.
    server.send_raw(b"Content-Length: 7\r\n\r\n{\"a\":1}");
    server.send_raw(b"Content-Length: 3\r\n\r\nxyz");
    server.send_raw(b"Content-Length: nope\r\n\r\n");
    server.send_raw(b"X-Nothing: 1\r\n\r\n");
    server.send(&json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": "file:///nowhere/x.plat", "version": 3}, "contentChanges": [{"text": "x"}]}}));
    server.send(&json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": 42}));
    let unknown = next_id();
    server.send(
        &json!({"jsonrpc": "2.0", "id": unknown, "method": "platc/noSuchMethod", "params": {}}),
    );
    let r = server.response(unknown);
    assert_eq!(r["error"]["code"], -32601, "{r}");
    let bad = next_id();
    server.send(&json!({"jsonrpc": "2.0", "id": bad, "method": "textDocument/hover", "params": {"nope": true}}));
    let r = server.response(bad);
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let unopened = next_id();
    server.send(&json!({"jsonrpc": "2.0", "id": unopened, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": "untitled:Untitled-1"}, "position": {"line": 4_000_000_000u32, "character": 4_000_000_000u32}}}));
    assert_eq!(server.response(unopened)["result"], Value::Null);

    let inputs = hostile_inputs();
    let mut failures = Vec::new();
    for (k, (name, text)) in inputs.iter().enumerate() {
        let t0 = Instant::now();
        // Each input is the root file of a project of its own, never saved.
        let uri = file_uri(&dir.join(format!("case_{k}")).join("main.plat"));
        server.send(
            &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "plat", "version": 1, "text": text}}}),
        );
        let mut asked = Vec::new();
        for pos in positions(text) {
            for method in [
                "textDocument/hover",
                "textDocument/definition",
                "textDocument/completion",
            ] {
                let i = next_id();
                server.send(
                    &json!({"jsonrpc": "2.0", "id": i, "method": method, "params": {
                    "textDocument": {"uri": uri}, "position": pos}}),
                );
                asked.push((i, method));
            }
        }
        let i = next_id();
        server.send(&json!({"jsonrpc": "2.0", "id": i, "method": "textDocument/documentSymbol", "params": {"textDocument": {"uri": uri}}}));
        asked.push((i, "textDocument/documentSymbol"));
        let i = next_id();
        server.send(
            &json!({"jsonrpc": "2.0", "id": i, "method": "textDocument/formatting", "params": {
            "textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}}),
        );
        asked.push((i, "textDocument/formatting"));
        // An edit at the end, then the diagnostics and every answer.
        let end = positions(text).pop().unwrap();
        server.send(
            &json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": {"start": end, "end": end}, "text": "}\n"}]}}),
        );
        server
            .expect(&json!({"method": "textDocument/publishDiagnostics", "params": {"uri": uri}}));
        for (i, method) in asked {
            let r = server.response(i);
            if let Some(e) = r.get("error") {
                failures.push(format!("{name}: {method}: {e}"));
            }
        }
        server.send(&json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}}));
        if std::env::var_os("PLATC_LSP_TIMES").is_some() {
            eprintln!("{:8.1} ms {name}", t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    let shutdown = next_id();
    server.send(&json!({"jsonrpc": "2.0", "id": shutdown, "method": "shutdown"}));
    assert_eq!(server.response(shutdown)["result"], Value::Null);
    let after = next_id();
    server.send(
        &json!({"jsonrpc": "2.0", "id": after, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": "untitled:x"}, "position": {"line": 0, "character": 0}}}),
    );
    assert_eq!(server.response(after)["error"]["code"], -32600);
    server.send(&json!({"jsonrpc": "2.0", "method": "exit"}));
    assert_eq!(server.exit_code(), 0, "exit after shutdown is clean");
    assert!(
        failures.is_empty(),
        "{} requests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} hostile inputs, every feature asked about each, in {:.1} s",
        inputs.len(),
        start.elapsed().as_secs_f64()
    );
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
