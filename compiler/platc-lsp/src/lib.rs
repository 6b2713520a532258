//! `platc lsp`: the language server of the platform language, over stdio.
//!
//! - **Diagnostics** come from the same compile as `platc check`
//!   ([`platc_driver::check_path_cached`]: `check_path` with the syntax
//!   trees of unchanged files kept between checks), over an overlay file
//!   system (`overlay.rs`) that gives the compiler the editor's unsaved
//!   text of open documents and the disk's for every other file. An open file is checked with its project (the
//!   `main.plat` found as `platc check` finds it), and on its own as well
//!   when the project does not import it. Diagnostics keep their codes,
//!   spans, secondary labels (as related information), notes and help;
//!   policy results are among them.
//! - **Hover, definition, completion, document symbols** work on syntax
//!   trees (`index.rs`), parsed once per distinct text, so they answer while
//!   a file does not parse.
//! - **Formatting** is `platc fmt`'s ([`platc_driver::fmt`]).
//! - The stdlib is embedded in the binary; go to definition opens it from
//!   read-only copies under the cache directory (`stdlib.rs`).
//!
//! The server is synchronous: one thread reads messages, the main loop
//! handles them in order. Every request and notification handler runs under
//! `catch_unwind`: a panic becomes an error response (or a log message for
//! a notification) and the server goes on. Messages that arrive together
//! are handled together and the projects they touch are checked once.

mod completion;
mod features;
mod index;
mod overlay;
mod stdlib;
mod symbols;
mod text;
mod transport;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::Url;
use platc_diag::Severity;
use platc_driver::{check_path_cached, Options};

pub use transport::run_stdio;

use overlay::OverlayFs;

use index::{Db, Loc, ParseCache, Unit};
use text::{Encoding, LineIndex};

/// An open document.
struct Document {
    uri: Url,
    text: String,
    lines: LineIndex,
}

/// What the last check of one root file found.
#[derive(Default)]
struct CheckState {
    /// The user files of the program (canonical paths).
    files: HashSet<PathBuf>,
    /// The diagnostics it gave, by document.
    diagnostics: HashMap<Url, Vec<lsp::Diagnostic>>,
}

/// The server's state.
struct Server {
    encoding: Encoding,
    /// Open documents by canonical path (or by URI for non-file URIs).
    docs: BTreeMap<PathBuf, Document>,
    fs: OverlayFs,
    cache: RefCell<ParseCache>,
    /// The compiler's syntax trees, kept between checks.
    trees: platc_driver::ParseCache,
    std: stdlib::StdlibDocs,
    /// Root files checked, with what each found.
    checks: BTreeMap<PathBuf, CheckState>,
    /// What was last published, by document.
    published: HashMap<Url, Vec<lsp::Diagnostic>>,
    /// Paths changed since the last check.
    dirty: BTreeSet<PathBuf>,
    shutdown: bool,
    options: Options,
}

/// The outcome of the main loop.
pub enum Exit {
    /// `exit` after `shutdown`: exit code 0.
    Clean,
    /// `exit` without `shutdown`, or the client went away: exit code 1.
    Unclean,
}

/// Runs the server on a connection until `exit` or until the client goes
/// away. `Err` only for a connection broken during `initialize`.
pub fn serve(conn: &Connection) -> Result<Exit, String> {
    // Wait for `initialize`; anything else first gets an error (requests)
    // or is dropped (notifications), as the protocol asks.
    let (id, params) = loop {
        match conn.receiver.recv() {
            Ok(Message::Request(r)) if r.method == "initialize" => break (r.id, r.params),
            Ok(Message::Request(r)) => send(
                conn,
                Response::new_err(
                    r.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized".into(),
                ),
            ),
            Ok(Message::Notification(n)) if n.method == "exit" => return Ok(Exit::Unclean),
            Ok(_) => {}
            Err(_) => return Err("the client closed the connection before `initialize`".into()),
        }
    };
    let init: lsp::InitializeParams = match serde_json::from_value(params) {
        Ok(p) => p,
        Err(e) => {
            send(
                conn,
                Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string()),
            );
            return serve(conn);
        }
    };
    let encoding = negotiate(&init);
    let cache_dir = init
        .initialization_options
        .as_ref()
        .and_then(|o| o.get("stdlibCacheDir"))
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(PathBuf::from);
    let result = lsp::InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(lsp::ServerInfo {
            name: "platc".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    send(conn, Response::new_ok(id, result));
    let mut server = Server::new(encoding, cache_dir);
    send(
        conn,
        Notification::new(
            "window/logMessage".into(),
            lsp::LogMessageParams {
                typ: lsp::MessageType::INFO,
                message: format!(
                    "platc lsp {}: stdlib modules at {}",
                    env!("CARGO_PKG_VERSION"),
                    server.std.dir().display()
                ),
            },
        ),
    );
    server.run(conn)
}

fn negotiate(init: &lsp::InitializeParams) -> Encoding {
    let offered = init
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(list) if list.contains(&lsp::PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

fn capabilities(encoding: Encoding) -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".into(), "\"".into(), "=".into(), " ".into()]),
            ..Default::default()
        }),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        ..Default::default()
    }
}

fn send(conn: &Connection, msg: impl Into<Message>) {
    // The client is gone when this fails: the main loop sees it next.
    let _ = conn.sender.send(msg.into());
}

/// Runs `f`, turning a panic into `Err` with its message.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into())
    })
}

impl Server {
    fn new(encoding: Encoding, cache_dir: Option<PathBuf>) -> Server {
        Server {
            encoding,
            docs: BTreeMap::new(),
            fs: OverlayFs::default(),
            cache: RefCell::new(ParseCache::default()),
            trees: platc_driver::ParseCache::new(),
            std: stdlib::StdlibDocs::materialise(cache_dir),
            checks: BTreeMap::new(),
            published: HashMap::new(),
            dirty: BTreeSet::new(),
            shutdown: false,
            options: Options::default(),
        }
    }

    fn run(&mut self, conn: &Connection) -> Result<Exit, String> {
        loop {
            let Ok(first) = conn.receiver.recv() else {
                return Ok(Exit::Unclean);
            };
            // Everything already waiting is handled before checking, so a
            // burst of edits is checked once.
            let mut batch = vec![first];
            while let Ok(m) = conn.receiver.try_recv() {
                batch.push(m);
            }
            for msg in batch {
                match msg {
                    Message::Request(req) => self.request(conn, req),
                    Message::Notification(n) if n.method == "exit" => {
                        return Ok(if self.shutdown {
                            Exit::Clean
                        } else {
                            Exit::Unclean
                        });
                    }
                    Message::Notification(n) if n.method == transport::SKIPPED => {
                        let what = n.params.as_str().unwrap_or_default();
                        log(conn, &format!("platc lsp: skipped a message: {what}"));
                    }
                    Message::Notification(n) => {
                        let method = n.method.clone();
                        if let Err(e) = guard(|| self.notification(n)) {
                            log(conn, &format!("platc lsp: `{method}` failed: {e}"));
                        }
                    }
                    Message::Response(_) => {}
                }
            }
            if !self.dirty.is_empty() {
                match guard(|| self.refresh()) {
                    Ok(updates) => {
                        for (uri, diagnostics) in updates {
                            send(
                                conn,
                                Notification::new(
                                    "textDocument/publishDiagnostics".into(),
                                    lsp::PublishDiagnosticsParams {
                                        uri,
                                        diagnostics,
                                        version: None,
                                    },
                                ),
                            );
                        }
                    }
                    Err(e) => {
                        self.dirty.clear();
                        log(conn, &format!("platc lsp: checking failed: {e}"));
                    }
                }
            }
        }
    }

    fn request(&mut self, conn: &Connection, req: Request) {
        let id = req.id.clone();
        if req.method == "shutdown" {
            self.shutdown = true;
            send(conn, Response::new_ok(id, ()));
            return;
        }
        if self.shutdown {
            send(
                conn,
                Response::new_err(
                    id,
                    ErrorCode::InvalidRequest as i32,
                    "the server is shutting down".into(),
                ),
            );
            return;
        }
        let method = req.method.clone();
        let response = match guard(|| self.handle(req)) {
            Ok(Ok(value)) => Response::new_ok(id, value),
            Ok(Err((code, message))) => Response::new_err(id, code as i32, message),
            Err(panic) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                format!("platc lsp: `{method}` failed: {panic}"),
            ),
        };
        send(conn, response);
    }

    /// Answers one request.
    fn handle(&mut self, req: Request) -> Result<serde_json::Value, (ErrorCode, String)> {
        fn params<P: serde::de::DeserializeOwned>(req: Request) -> Result<P, (ErrorCode, String)> {
            serde_json::from_value(req.params)
                .map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
        }
        let json = |v: Result<serde_json::Value, serde_json::Error>| {
            v.map_err(|e| (ErrorCode::InternalError, e.to_string()))
        };
        match req.method.as_str() {
            "textDocument/hover" => {
                let p: lsp::HoverParams = params(req)?;
                json(serde_json::to_value(
                    self.hover(&p.text_document_position_params),
                ))
            }
            "textDocument/definition" => {
                let p: lsp::GotoDefinitionParams = params(req)?;
                json(serde_json::to_value(
                    self.definition(&p.text_document_position_params),
                ))
            }
            "textDocument/completion" => {
                let p: lsp::CompletionParams = params(req)?;
                json(serde_json::to_value(
                    self.completion(&p.text_document_position),
                ))
            }
            "textDocument/documentSymbol" => {
                let p: lsp::DocumentSymbolParams = params(req)?;
                json(serde_json::to_value(self.symbols(&p.text_document.uri)))
            }
            "textDocument/formatting" => {
                let p: lsp::DocumentFormattingParams = params(req)?;
                let edits = self.format(&p.text_document.uri)?;
                json(serde_json::to_value(edits))
            }
            m => Err((
                ErrorCode::MethodNotFound,
                format!("platc lsp does not handle `{m}`"),
            )),
        }
    }

    /// Applies one notification.
    fn notification(&mut self, n: Notification) {
        fn params<P: serde::de::DeserializeOwned>(n: Notification) -> Option<P> {
            serde_json::from_value(n.params).ok()
        }
        match n.method.as_str() {
            "textDocument/didOpen" => {
                if let Some(p) = params::<lsp::DidOpenTextDocumentParams>(n) {
                    self.open(p.text_document.uri, p.text_document.text);
                }
            }
            "textDocument/didChange" => {
                if let Some(p) = params::<lsp::DidChangeTextDocumentParams>(n) {
                    self.change(&p.text_document.uri, p.content_changes);
                }
            }
            "textDocument/didSave" => {
                if let Some(p) = params::<lsp::DidSaveTextDocumentParams>(n) {
                    if let Some(text) = p.text {
                        self.open(p.text_document.uri, text);
                    } else {
                        let key = doc_key(&p.text_document.uri);
                        self.dirty.insert(key);
                    }
                }
            }
            "textDocument/didClose" => {
                if let Some(p) = params::<lsp::DidCloseTextDocumentParams>(n) {
                    let key = doc_key(&p.text_document.uri);
                    self.docs.remove(&key);
                    self.fs.remove(&key);
                    self.dirty.insert(key);
                }
            }
            "workspace/didChangeWatchedFiles" => {
                if let Some(p) = params::<lsp::DidChangeWatchedFilesParams>(n) {
                    for c in p.changes {
                        if let Ok(path) = c.uri.to_file_path() {
                            self.dirty.insert(OverlayFs::key(&path));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn open(&mut self, uri: Url, text: String) {
        let key = doc_key(&uri);
        if uri.scheme() == "file" {
            self.fs.set(key.clone(), text.clone());
        }
        self.docs.insert(
            key.clone(),
            Document {
                uri,
                lines: LineIndex::new(&text),
                text,
            },
        );
        self.dirty.insert(key);
    }

    fn change(&mut self, uri: &Url, changes: Vec<lsp::TextDocumentContentChangeEvent>) {
        let key = doc_key(uri);
        let Some(doc) = self.docs.get_mut(&key) else {
            return;
        };
        for c in changes {
            match c.range {
                Some(r) => {
                    let start = doc.lines.offset(&doc.text, r.start, self.encoding);
                    let end = doc.lines.offset(&doc.text, r.end, self.encoding).max(start);
                    doc.text.replace_range(start..end, &c.text);
                }
                None => doc.text = c.text,
            }
            doc.lines = LineIndex::new(&doc.text);
        }
        if uri.scheme() == "file" {
            self.fs.set(key.clone(), doc.text.clone());
        }
        self.dirty.insert(key);
    }

    /// Checks what the changes since the last call touch; returns the
    /// diagnostics to publish (an empty list clears a document's).
    fn refresh(&mut self) -> Vec<(Url, Vec<lsp::Diagnostic>)> {
        let dirty = std::mem::take(&mut self.dirty);
        // The root files the open documents need checked.
        let mut wanted: BTreeSet<PathBuf> = BTreeSet::new();
        for (key, doc) in &self.docs {
            if doc.uri.scheme() != "file" {
                // Not a file (an untitled document): a program of its own.
                wanted.insert(key.clone());
                continue;
            }
            if self.std.module_of(key).is_some() {
                continue;
            }
            wanted.insert(self.project_root_file(key));
        }
        // A root file is checked again when it is new or a file of its
        // program changed.
        let stale = |root: &PathBuf, checks: &BTreeMap<PathBuf, CheckState>| {
            dirty.contains(root)
                || checks
                    .get(root)
                    .is_none_or(|s| s.files.iter().any(|f| dirty.contains(f)))
        };
        let mut done: HashSet<PathBuf> = HashSet::new();
        for root in wanted.clone() {
            if stale(&root, &self.checks) {
                let state = self.check(&root);
                self.checks.insert(root.clone(), state);
                done.insert(root);
            }
        }
        // An open file its project does not import is checked on its own.
        for (key, doc) in &self.docs {
            if doc.uri.scheme() != "file" || self.std.module_of(key).is_some() {
                continue;
            }
            let covered = wanted
                .iter()
                .any(|r| self.checks.get(r).is_some_and(|s| s.files.contains(key)));
            if !covered {
                wanted.insert(key.clone());
            }
        }
        for root in wanted.clone() {
            if !done.contains(&root) && stale(&root, &self.checks) {
                let state = self.check(&root);
                self.checks.insert(root, state);
            }
        }
        self.checks.retain(|root, _| wanted.contains(root));
        let mut merged: HashMap<Url, Vec<lsp::Diagnostic>> = HashMap::new();
        for state in self.checks.values() {
            for (uri, d) in &state.diagnostics {
                let entry = merged.entry(uri.clone()).or_default();
                for x in d {
                    if !entry.contains(x) {
                        entry.push(x.clone());
                    }
                }
            }
        }
        let mut updates = Vec::new();
        for (uri, old) in &self.published {
            if !merged.contains_key(uri) && !old.is_empty() {
                updates.push((uri.clone(), Vec::new()));
            }
        }
        // A document that changed gets its diagnostics, even the same ones
        // (an empty list included): the client learns they are current.
        let changed: HashSet<&Url> = self
            .docs
            .iter()
            .filter(|(k, _)| dirty.contains(*k))
            .map(|(_, d)| &d.uri)
            .collect();
        for (uri, d) in &merged {
            if self.published.get(uri) != Some(d) || changed.contains(uri) {
                updates.push((uri.clone(), d.clone()));
            }
        }
        for uri in changed {
            if !merged.contains_key(uri) && !updates.iter().any(|(u, _)| u == uri) {
                updates.push((uri.clone(), Vec::new()));
            }
        }
        self.published = merged;
        updates.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        updates
    }

    /// The root file `platc check` would compile for a file: the project's
    /// `main.plat`, else the file itself.
    fn project_root_file(&self, path: &Path) -> PathBuf {
        match platc_driver::resolve_input(&self.fs, path) {
            Ok((_, root)) => {
                let main = root.join(platc_driver::ROOT_FILE);
                if platc_driver::FileSystem::is_file(&self.fs, &main) {
                    main
                } else {
                    path.to_path_buf()
                }
            }
            Err(_) => path.to_path_buf(),
        }
    }

    fn check(&self, root_file: &Path) -> CheckState {
        let mut state = CheckState::default();
        if let Some(doc) = self
            .docs
            .get(root_file)
            .filter(|d| d.uri.scheme() != "file")
        {
            let c = platc_driver::check_source("main.plat", &doc.text, &self.options);
            state.files.insert(root_file.to_path_buf());
            state.diagnostics = convert(
                &c,
                self.encoding,
                |name| (name == "main.plat").then(|| doc.uri.clone()),
                &self.std,
            );
            return state;
        }
        let Ok(c) = check_path_cached(&self.fs, root_file, &self.options, &self.trees) else {
            return state;
        };
        let root = c.root.clone();
        let mut uris: HashMap<String, Url> = HashMap::new();
        for (_, f) in c.sources.files() {
            if let Some(path) = user_path(&root, f.name(), f.text()) {
                state.files.insert(path.clone());
                let uri = self
                    .docs
                    .get(&path)
                    .map(|d| d.uri.clone())
                    .or_else(|| Url::from_file_path(&path).ok());
                if let Some(u) = uri {
                    uris.insert(f.name().to_string(), u);
                }
            }
        }
        state.diagnostics = convert(&c, self.encoding, |name| uris.get(name).cloned(), &self.std);
        state
    }

    // ---------------------------------------------------------- features

    fn db(&self, key: &Path) -> Db<'_> {
        let project = self
            .checks
            .values()
            .find(|s| s.files.contains(key))
            .map(|s| s.files.iter().cloned().collect())
            .unwrap_or_default();
        Db {
            fs: &self.fs,
            cache: &self.cache,
            project,
        }
    }

    /// The unit of an open document (or of a file on disk).
    fn unit(&self, uri: &Url) -> Option<(Unit, PathBuf)> {
        let key = doc_key(uri);
        let loc = match self.std.module_of(&key) {
            Some(m) => Loc::Std(m),
            None => Loc::User(key.clone()),
        };
        let text = match self.docs.get(&key) {
            Some(d) => d.text.clone(),
            None => self.fs.text(&key)?,
        };
        let parsed = self.cache.borrow_mut().parse(&text);
        Some((Unit { loc, parsed }, key))
    }

    fn offset(&self, unit: &Unit, pos: lsp::Position) -> usize {
        unit.parsed
            .lines
            .offset(&unit.parsed.text, pos, self.encoding)
    }

    fn location(&self, t: &index::Target) -> Option<lsp::Location> {
        let uri = match &t.unit.loc {
            Loc::Std(m) => Url::from_file_path(self.std.path(m)).ok()?,
            Loc::User(p) => self
                .docs
                .get(p)
                .map(|d| d.uri.clone())
                .or_else(|| Url::from_file_path(p).ok())?,
        };
        let p = &t.unit.parsed;
        Some(lsp::Location {
            uri,
            range: p.lines.range(
                &p.text,
                t.span.start as usize,
                t.span.end as usize,
                self.encoding,
            ),
        })
    }

    fn hover(&self, at: &lsp::TextDocumentPositionParams) -> Option<lsp::Hover> {
        let (unit, key) = self.unit(&at.text_document.uri)?;
        let db = self.db(&key);
        let offset = self.offset(&unit, at.position);
        let r = features::resolve(&db, &unit, offset)?;
        let md = features::hover_md(&db, &r)?;
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: md,
            }),
            range: None,
        })
    }

    fn definition(
        &self,
        at: &lsp::TextDocumentPositionParams,
    ) -> Option<lsp::GotoDefinitionResponse> {
        let (unit, key) = self.unit(&at.text_document.uri)?;
        let db = self.db(&key);
        let offset = self.offset(&unit, at.position);
        let r = features::resolve(&db, &unit, offset)?;
        let target = features::definition(&r)?;
        self.location(&target)
            .map(lsp::GotoDefinitionResponse::Scalar)
    }

    fn completion(&self, at: &lsp::TextDocumentPositionParams) -> Option<lsp::CompletionResponse> {
        let (unit, key) = self.unit(&at.text_document.uri)?;
        let db = self.db(&key);
        let offset = self.offset(&unit, at.position);
        let (cands, start, end) = completion::complete(&db, &unit, offset);
        let p = &unit.parsed;
        let enc = self.encoding;
        let replace = p.lines.range(&p.text, start, end, enc);
        let items = cands
            .into_iter()
            .map(|c| {
                let new_text = c.insert.clone().unwrap_or_else(|| c.label.clone());
                lsp::CompletionItem {
                    label: c.label,
                    kind: Some(c.kind),
                    detail: c.detail,
                    documentation: c.doc.map(|d| {
                        lsp::Documentation::MarkupContent(lsp::MarkupContent {
                            kind: lsp::MarkupKind::Markdown,
                            value: d,
                        })
                    }),
                    text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                        range: replace,
                        new_text,
                    })),
                    additional_text_edits: c.extra.map(|(at, text)| {
                        vec![lsp::TextEdit {
                            range: p.lines.range(&p.text, at, at, enc),
                            new_text: text,
                        }]
                    }),
                    ..Default::default()
                }
            })
            .collect();
        Some(lsp::CompletionResponse::Array(items))
    }

    fn symbols(&self, uri: &Url) -> Option<lsp::DocumentSymbolResponse> {
        let (unit, _) = self.unit(uri)?;
        Some(lsp::DocumentSymbolResponse::Nested(symbols::document(
            &unit,
            self.encoding,
        )))
    }

    fn format(&self, uri: &Url) -> Result<Option<Vec<lsp::TextEdit>>, (ErrorCode, String)> {
        let Some((unit, _)) = self.unit(uri) else {
            return Ok(None);
        };
        let p = &unit.parsed;
        match platc_driver::fmt::format(platc_diag::FileId(0), &p.text) {
            Ok(out) if out == p.text => Ok(Some(Vec::new())),
            Ok(out) => Ok(Some(vec![lsp::TextEdit {
                range: p.lines.full_range(&p.text, self.encoding),
                new_text: out,
            }])),
            // The diagnostics already show the syntax errors; a file that
            // does not parse is left as it is.
            Err(platc_driver::fmt::FormatError::Syntax(_)) => Ok(None),
            Err(platc_driver::fmt::FormatError::Internal(e)) => Err((
                ErrorCode::InternalError,
                format!("platc fmt refused to format this file: {e}"),
            )),
        }
    }
}

fn log(conn: &Connection, message: &str) {
    send(
        conn,
        Notification::new(
            "window/logMessage".into(),
            lsp::LogMessageParams {
                typ: lsp::MessageType::ERROR,
                message: message.to_string(),
            },
        ),
    );
}

/// The key of a document: its canonical path, or for a URI that is not a
/// file, the URI itself under a pseudo-directory.
fn doc_key(uri: &Url) -> PathBuf {
    match uri.to_file_path() {
        Ok(p) if uri.scheme() == "file" => OverlayFs::key(&p),
        _ => PathBuf::from("/\u{0}uri").join(uri.as_str()),
    }
}

/// The path of a user file of a compilation, from its name in the source
/// map; `None` for the embedded stdlib modules.
fn user_path(root: &Path, name: &str, text: &str) -> Option<PathBuf> {
    if let Some(module) = name.strip_suffix(".plat") {
        if platc_driver::stdlib_modules()
            .iter()
            .any(|(n, t)| *n == module && *t == text)
        {
            return None;
        }
    }
    Some(root.join(name))
}

/// The diagnostics of a compilation, by document: `uri_of` names the
/// document of a source file (user files), the stdlib ones are the
/// read-only copies.
fn convert(
    c: &platc_driver::Compilation,
    enc: Encoding,
    uri_of: impl Fn(&str) -> Option<Url>,
    std: &stdlib::StdlibDocs,
) -> HashMap<Url, Vec<lsp::Diagnostic>> {
    let mut indexes: HashMap<platc_diag::FileId, LineIndex> = HashMap::new();
    let mut location = |span: platc_diag::Span| -> Option<lsp::Location> {
        if span.file.0 as usize >= c.sources.len() {
            return None;
        }
        let f = c.sources.get(span.file);
        let uri = uri_of(f.name()).or_else(|| {
            let module = f.name().strip_suffix(".plat")?;
            platc_driver::stdlib_modules()
                .iter()
                .find(|(n, _)| *n == module)
                .and_then(|(n, _)| Url::from_file_path(std.path(n)).ok())
        })?;
        let idx = indexes
            .entry(span.file)
            .or_insert_with(|| LineIndex::new(f.text()));
        Some(lsp::Location {
            uri,
            range: idx.range(f.text(), span.start as usize, span.end as usize, enc),
        })
    };
    let mut out: HashMap<Url, Vec<lsp::Diagnostic>> = HashMap::new();
    for d in &c.diagnostics {
        let Some(at) = location(d.primary.span) else {
            continue;
        };
        let mut message = d.message.clone();
        if !d.primary.message.is_empty() {
            message.push_str(&format!("\n{}", d.primary.message));
        }
        for n in &d.notes {
            message.push_str(&format!("\nnote: {n}"));
        }
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = d
            .secondary
            .iter()
            .filter_map(|l| {
                Some(lsp::DiagnosticRelatedInformation {
                    location: location(l.span)?,
                    message: if l.message.is_empty() {
                        "related".into()
                    } else {
                        l.message.clone()
                    },
                })
            })
            .collect();
        out.entry(at.uri.clone())
            .or_default()
            .push(lsp::Diagnostic {
                range: at.range,
                severity: Some(match d.severity {
                    Severity::Error => lsp::DiagnosticSeverity::ERROR,
                    Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                    Severity::Note => lsp::DiagnosticSeverity::INFORMATION,
                }),
                code: Some(lsp::NumberOrString::String(d.code.to_string())),
                source: Some("platc".into()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..Default::default()
            });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_an_error_not_a_crash() {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r: Result<(), String> = guard(|| panic!("boom {}", 1));
        std::panic::set_hook(hook);
        assert_eq!(r, Err("boom 1".to_string()));
        assert_eq!(guard(|| 7), Ok(7));
    }
}
