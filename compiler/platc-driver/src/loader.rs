//! Loading a project: parse the root file, follow its imports (stdlib and
//! relative files), report missing, escaping, unreadable and cyclic imports,
//! then hand every parsed file to semantic analysis.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use platc_diag::{Diagnostic, FileId, SourceMap, Span};
use platc_syntax::ast;

use crate::fs::{normalize, FileSystem};
use crate::parse_cache::ParseCache;
use crate::{Compilation, Options};

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum Key {
    Std(String),
    User(PathBuf),
}

/// The stdlib modules under this prefix are the built-in policy packs.
const POLICY_PACKS: &str = "std/policies/";

/// A built-in policy pack, parsed.
struct Pack {
    name: &'static str,
    text: &'static str,
    /// Its id in every compilation's source map.
    file: FileId,
    module: ast::Module,
    diagnostics: Vec<Diagnostic>,
}

/// The built-in policy packs, parsed on first use with the file ids they
/// have in every compilation (0, 1, ...). Packs import nothing.
fn packs() -> &'static [Pack] {
    static PACKS: OnceLock<Vec<Pack>> = OnceLock::new();
    PACKS.get_or_init(|| {
        crate::stdlib_modules()
            .iter()
            .filter(|(name, _)| name.starts_with(POLICY_PACKS))
            .enumerate()
            .map(|(k, (name, text))| {
                let file = FileId(k as u32);
                let (module, diagnostics) = platc_syntax::parse(file, text);
                Pack {
                    name,
                    text,
                    file,
                    module,
                    diagnostics,
                }
            })
            .collect()
    })
}

struct Loaded {
    file: FileId,
    key: Key,
    /// Owned, or one of the built-in packs parsed once per process.
    module: Cow<'static, ast::Module>,
    imports: Vec<Option<FileId>>,
}

struct Loader<'a> {
    fs: &'a dyn FileSystem,
    /// Syntax trees kept between compilations, if any.
    cache: Option<&'a ParseCache>,
    root: PathBuf,
    sources: SourceMap,
    diagnostics: Vec<Diagnostic>,
    loaded: HashMap<Key, FileId>,
    units: Vec<Loaded>,
    /// Files being loaded, outermost first, with the span of the import
    /// each is processing (which led to the next one).
    stack: Vec<(Key, FileId, Option<Span>)>,
    /// The position of each key in `stack`, to find a cycle at once.
    on_stack: HashMap<Key, usize>,
    syntax_errors: bool,
}

/// A library file: definitions only (no platform block, instances,
/// secrets, environments or waivers). Checked on its own, it is checked as
/// a library: its definitions, without asking for a platform block.
fn is_library(module: &ast::Module) -> bool {
    module.items.iter().all(|i| {
        matches!(
            i,
            ast::Item::Import(_)
                | ast::Item::Component(_)
                | ast::Item::Interface(_)
                | ast::Item::Policy(_)
        )
    })
}

pub(crate) fn compile(
    fs: &dyn FileSystem,
    project_root: &Path,
    root_file: &Path,
    display: String,
    text: String,
    options: &Options,
    cache: Option<&ParseCache>,
) -> Compilation {
    let mut l = Loader {
        fs,
        cache,
        root: project_root.to_path_buf(),
        sources: SourceMap::new(),
        diagnostics: Vec::new(),
        loaded: HashMap::new(),
        units: Vec::new(),
        stack: Vec::new(),
        on_stack: HashMap::new(),
        syntax_errors: false,
    };
    // The built-in policy packs are part of every program (spec 6.7.1):
    // the first files of every source map, so that their syntax trees,
    // parsed once, serve every compilation.
    for pack in packs() {
        let id = l
            .sources
            .add(format!("{}.plat", pack.name), pack.text.to_string());
        debug_assert_eq!(id, pack.file, "the packs are the first files");
        let key = Key::Std(pack.name.to_string());
        l.loaded.insert(key.clone(), id);
        if pack.diagnostics.iter().any(Diagnostic::is_error) {
            l.syntax_errors = true;
        }
        l.diagnostics.extend(pack.diagnostics.iter().cloned());
        l.units.push(Loaded {
            file: id,
            key,
            module: Cow::Borrowed(&pack.module),
            imports: Vec::new(),
        });
    }
    let root_key = Key::User(normalize(root_file));
    let root_id = crate::timings::phase("parse", || l.load_text(root_key, display, text));
    let mut diagnostics = std::mem::take(&mut l.diagnostics);
    let mut platform = None;
    let mut others = Vec::new();
    let mut environments = None;
    // Semantic analysis on files with syntax errors would report names and
    // types the broken text meant to define: noise. Report syntax first.
    if !l.syntax_errors {
        let units: Vec<platc_sema::SourceUnit> = l
            .units
            .iter()
            .map(|u| platc_sema::SourceUnit {
                file: u.file,
                module: &u.module,
                is_std: matches!(u.key, Key::Std(_)),
                policy_pack: match &u.key {
                    Key::Std(n) => n.strip_prefix(POLICY_PACKS).map(str::to_string),
                    Key::User(_) => None,
                },
                imports: u.imports.clone(),
            })
            .collect();
        let library = root_file.file_name().is_some_and(|n| n != crate::ROOT_FILE)
            && l.units
                .iter()
                .find(|u| u.file == root_id)
                .is_some_and(|u| is_library(&u.module));
        let program = platc_sema::Program {
            units,
            root: root_id,
            today: options.today,
            allow_missing_platform: options.allow_missing_platform || library,
            environment: options.environment.clone(),
        };
        let analysis = crate::timings::phase("analyze", || platc_sema::analyze(&program));
        diagnostics.extend(analysis.diagnostics);
        platform = analysis.platform;
        others = analysis.others;
        environments = Some(
            l.units
                .iter()
                .flat_map(|u| u.module.items.iter())
                .filter_map(|i| match i {
                    ast::Item::Environment(e) => Some(e.name.name.clone()),
                    _ => None,
                })
                .collect(),
        );
    }
    platc_diag::sort_diagnostics(&mut diagnostics);
    Compilation {
        sources: l.sources,
        diagnostics,
        platform,
        others,
        graph: None,
        values: Default::default(),
        environments,
        root: project_root.to_path_buf(),
        policy: Vec::new(),
        policies: Vec::new(),
        policy_packs: Vec::new(),
    }
}

impl Loader<'_> {
    /// Loads a file whose text is read: parses it (one file at a time:
    /// the parser reads valid text at well over 100 MB/s, so parsing ahead
    /// on other cores, as the loader did for pest, cost more than it saved
    /// once files took other ids than expected).
    fn load_text(&mut self, key: Key, display: String, text: String) -> FileId {
        let id = self.sources.add(display, text);
        self.loaded.insert(key.clone(), id);
        let text = self.sources.get(id).text();
        let (module, diags) = match self.cache {
            Some(cache) => cache.parse(id, text),
            None => platc_syntax::parse(id, text),
        };
        if diags
            .iter()
            .any(|d| d.is_error() && !platc_syntax::leaves_tree_whole(d))
        {
            self.syntax_errors = true;
        }
        self.diagnostics.extend(diags);
        self.on_stack.insert(key.clone(), self.stack.len());
        self.stack.push((key.clone(), id, None));
        let mut imports = Vec::new();
        let decls: Vec<&ast::ImportDecl> = module
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Import(decl) => Some(decl),
                _ => None,
            })
            .collect();
        for decl in &decls {
            if let Some(top) = self.stack.last_mut() {
                top.2 = Some(decl.path.span);
            }
            imports.push(self.import(&key, decl));
        }
        self.stack.pop();
        self.on_stack.remove(&key);
        self.units.push(Loaded {
            file: id,
            key,
            module: Cow::Owned(module),
            imports,
        });
        id
    }

    /// The file an import names, or why it names none.
    fn resolve(&self, from_key: &Key, decl: &ast::ImportDecl) -> Result<Key, Box<Diagnostic>> {
        let span = decl.path.span;
        let Some(path) = decl.path.plain() else {
            return Err(Box::new(
                Diagnostic::error(
                    "E0209",
                    "an import path cannot contain an interpolation",
                    span,
                )
                .with_label("must be a plain string")
                .with_help("write the path literally, e.g. \"./apps\" or \"std/postgres\""),
            ));
        };
        let key = if let Some(name) = path.strip_prefix("std/") {
            let module = format!("std/{name}");
            if !crate::stdlib_modules().iter().any(|(n, _)| *n == module) {
                let names: Vec<&str> = crate::stdlib_modules().iter().map(|(n, _)| *n).collect();
                let mut d = Diagnostic::error(
                    "E0206",
                    format!("there is no stdlib module `{module}`"),
                    span,
                )
                .with_label("unknown stdlib module");
                d = match platc_diag::did_you_mean(&module, names.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("the stdlib modules are: {}", names.join(", "))),
                };
                return Err(Box::new(d));
            }
            Key::Std(module)
        } else if path.starts_with("./") || path.starts_with("../") {
            let Key::User(from_path) = from_key else {
                return Err(Box::new(
                    Diagnostic::error(
                        "E0209",
                        "a stdlib module can only import other stdlib modules",
                        span,
                    )
                    .with_label("relative import in the stdlib"),
                ));
            };
            let mut target = from_path.parent().unwrap_or(Path::new("")).join(&*path);
            if target.extension().is_none() {
                target.set_extension("plat");
            }
            let target = normalize(&target);
            let escapes = |p: &Path| !p.starts_with(&self.root);
            if escapes(&target) {
                return Err(Box::new(self.escape_diag(span, &path)));
            }
            let canonical = match self.fs.canonicalize(&target) {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Box::new(
                        Diagnostic::error(
                            "E0203",
                            format!("imported file `{path}` does not exist"),
                            span,
                        )
                        .with_label(format!("looked for `{}`", self.display(&target)))
                        .with_help("check the path; it is relative to the importing file"),
                    ));
                }
                Err(e) => {
                    return Err(Box::new(unreadable(span, &path, &e)));
                }
            };
            if escapes(&canonical) {
                return Err(Box::new(self.escape_diag(span, &path).with_note(format!(
                    "`{path}` is a symbolic link to a file outside the project"
                ))));
            }
            if !self.fs.is_file(&canonical) {
                return Err(Box::new(
                    Diagnostic::error(
                        "E0208",
                        format!("imported path `{path}` is not a file"),
                        span,
                    )
                    .with_label("not a regular file"),
                ));
            }
            Key::User(canonical)
        } else {
            return Err(Box::new(Diagnostic::error(
                "E0209",
                format!("import path `{path}` is neither a stdlib module nor a relative path"),
                span,
            )
            .with_label("unsupported import path")
            .with_help(
                "write \"std/NAME\" for the stdlib, or start a file path with \"./\" or \"../\"",
            )));
        };
        Ok(key)
    }

    /// Reads the file of `key` (a stdlib module's text is built in): its
    /// display name and text, or why it cannot be read.
    fn read(&self, key: &Key, span: Span, path: &str) -> Result<(String, String), Box<Diagnostic>> {
        match key {
            Key::Std(name) => {
                let text = crate::stdlib_modules()
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, t)| *t)
                    .unwrap_or("");
                Ok((format!("{name}.plat"), text.to_string()))
            }
            Key::User(p) => {
                let bytes = match self.fs.read_limited(p, platc_syntax::MAX_FILE_SIZE) {
                    // Too large: parsing reports it (E0107).
                    Ok(b) if b.len() > platc_syntax::MAX_FILE_SIZE => {
                        String::from_utf8_lossy(&b).into_owned().into_bytes()
                    }
                    Ok(b) => b,
                    Err(e) => return Err(Box::new(unreadable(span, path, &e))),
                };
                match String::from_utf8(bytes) {
                    Ok(t) => Ok((self.display(p), t)),
                    Err(e) => {
                        let at = e.utf8_error().valid_up_to();
                        Err(Box::new(
                            Diagnostic::error(
                                "E0208",
                                format!("imported file `{path}` is not valid UTF-8"),
                                span,
                            )
                            .with_label(format!("invalid byte at offset {at} of that file"))
                            .with_help("save the file as UTF-8"),
                        ))
                    }
                }
            }
        }
    }

    fn import(&mut self, from_key: &Key, decl: &ast::ImportDecl) -> Option<FileId> {
        let span = decl.path.span;
        let key = match self.resolve(from_key, decl) {
            Ok(key) => key,
            Err(d) => {
                self.diagnostics.push(*d);
                return None;
            }
        };
        let path = decl.path.plain().unwrap_or_default();
        // A cycle: the target is still being loaded.
        if let Some(&pos) = self.on_stack.get(&key) {
            let chain: Vec<FileId> = self.stack[pos..].iter().map(|(_, f, _)| *f).collect();
            let mut names: Vec<String> = chain
                .iter()
                .map(|f| self.sources.get(*f).name().to_string())
                .collect();
            names.push(names[0].clone());
            let mut d = Diagnostic::error(
                "E0204",
                format!("import cycle: {}", names.join(" -> ")),
                span,
            )
            .with_label(format!(
                "this import closes the cycle back to `{}`",
                names[0]
            ));
            for i in 0..chain.len() - 1 {
                if let Some(s) = self.stack[pos + i].2 {
                    d = d.with_secondary(
                        s,
                        format!("`{}` imports `{}` here", names[i], names[i + 1]),
                    );
                }
            }
            d = d.with_help("move the shared definitions into a file that both can import");
            self.diagnostics.push(d);
            return None;
        }
        if let Some(id) = self.loaded.get(&key) {
            return Some(*id);
        }
        let (display, text) = match self.read(&key, span, &path) {
            Ok(read) => read,
            Err(d) => {
                self.diagnostics.push(*d);
                return None;
            }
        };
        Some(self.load_text(key, display, text))
    }

    fn escape_diag(&self, span: Span, path: &str) -> Diagnostic {
        Diagnostic::error(
            "E0205",
            format!("import `{path}` points outside the project root"),
            span,
        )
        .with_label("escapes the project directory")
        .with_note(format!(
            "the project root is the directory of the root file: `{}`",
            self.root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ))
        .with_help("keep every imported file inside the project directory")
    }

    /// A path relative to the project root, with `/` separators.
    fn display(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    }
}

/// E0208 for an imported file the file system refuses to read.
fn unreadable(span: Span, path: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error("E0208", format!("cannot read imported file `{path}`"), span)
        .with_label(e.to_string())
        .with_help("check the file's permissions")
}

#[cfg(test)]
mod tests {
    use crate::{check_path, MemoryFs, Options};
    use std::path::PathBuf;

    /// Every file's diagnostic points into that file's text, also where
    /// an import brings in a file of its own before the next import (ids
    /// are given in load order, not in the order the imports are listed).
    #[test]
    fn every_file_gets_its_own_id() {
        let root = PathBuf::from("/p");
        let mut fs = MemoryFs::new();
        let mut main = String::from("platform \"p\" {}\n");
        for k in 0..12 {
            main.push_str(&format!("import \"./f{k}\"\n"));
        }
        fs.insert(root.join("main.plat"), main);
        for k in 0..12 {
            // Every third file brings in a file of its own, so that the
            // ids guessed for the files after it are wrong.
            let extra = if k % 3 == 0 {
                fs.insert(
                    root.join(format!("x{k}.plat")),
                    format!("component cx{k} {{\n  param p: missing_x{k}\n}}\n"),
                );
                format!("import \"./x{k}\"\n")
            } else {
                String::new()
            };
            fs.insert(
                root.join(format!("f{k}.plat")),
                format!("{extra}component c{k} {{\n  param p: missing_f{k}\n}}\n"),
            );
        }
        let c = check_path(&fs, &root, &Options::default()).unwrap();
        let mut seen = 0;
        for d in c.diagnostics.iter().filter(|d| d.is_error()) {
            let file = c.sources.get(d.primary.span.file);
            let text = &file.text()[d.primary.span.start as usize..d.primary.span.end as usize];
            // `missing_f3` is in `f3.plat`, `missing_x6` in `x6.plat`.
            let want = format!("{}.plat", text.trim_start_matches("missing_"));
            assert!(file.name().ends_with(&want), "{} in {}", text, file.name());
            seen += 1;
        }
        assert_eq!(seen, 16, "{:?}", c.diagnostics);
    }
}
