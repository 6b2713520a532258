//! File scopes: each file sees its own definitions and those it imports
//! (directly, or through an alias). Lookups record which imports are used;
//! the rest are reported at the end.

use crate::{HashMap, HashSet};

use platc_diag::{Diagnostic, FileId, Span};
use platc_syntax::ast;

use super::{Def, FileScope};
use crate::analyze::Checker;
use crate::types::{CompId, IfaceId};

impl Checker<'_> {
    fn own_defs(&self, file: FileId) -> Vec<(String, Def, Span)> {
        let mut out = Vec::new();
        for (i, c) in self.tables.comps.iter().enumerate() {
            if c.file == file {
                out.push((
                    c.decl.name.name.clone(),
                    Def::Comp(CompId(i as u32)),
                    c.decl.name.span,
                ));
            }
        }
        for (i, f) in self.tables.ifaces.iter().enumerate() {
            if f.decl.name.span.file == file {
                out.push((
                    f.decl.name.name.clone(),
                    Def::Iface(IfaceId(i as u32)),
                    f.decl.name.span,
                ));
            }
        }
        for (i, (p, pf)) in self.policies.iter().enumerate() {
            if *pf == file {
                out.push((p.name.name.clone(), Def::Policy(i), p.name.span));
            }
        }
        out
    }

    pub(crate) fn build_scopes(&mut self) {
        let program = self.program;
        // What each file defines, and which files join the platform, once:
        // looking them up per import would be quadratic in long chains.
        let mut defs: HashMap<FileId, Vec<(String, Def, Span)>> = HashMap::default();
        for (i, c) in self.tables.comps.iter().enumerate() {
            defs.entry(c.file).or_default().push((
                c.decl.name.name.clone(),
                Def::Comp(CompId(i as u32)),
                c.decl.name.span,
            ));
        }
        for (i, f) in self.tables.ifaces.iter().enumerate() {
            defs.entry(f.decl.name.span.file).or_default().push((
                f.decl.name.name.clone(),
                Def::Iface(IfaceId(i as u32)),
                f.decl.name.span,
            ));
        }
        for (i, (p, pf)) in self.policies.iter().enumerate() {
            defs.entry(*pf)
                .or_default()
                .push((p.name.name.clone(), Def::Policy(i), p.name.span));
        }
        let contributing: HashSet<FileId> = program
            .units
            .iter()
            .filter(|u| {
                u.module.items.iter().any(|i| {
                    matches!(
                        i,
                        ast::Item::Instance(_)
                            | ast::Item::Policy(_)
                            | ast::Item::Secret(_)
                            | ast::Item::Environment(_)
                            | ast::Item::Waiver(_)
                    )
                })
            })
            .map(|u| u.file)
            .collect();
        let no_defs = Vec::new();
        for unit in &program.units {
            let mut scope = FileScope::default();
            for (name, def, span) in defs.get(&unit.file).unwrap_or(&no_defs).iter().cloned() {
                scope.names.entry(name).or_insert((def, span, None));
            }
            let imports = unit.module.items.iter().filter_map(|i| match i {
                ast::Item::Import(d) => Some(d),
                _ => None,
            });
            for (idx, (decl, target)) in imports.zip(&unit.imports).enumerate() {
                let Some(target) = target else {
                    // Not loaded: names from it are unknown; do not also warn.
                    self.scopes.used_imports.insert((unit.file, idx));
                    continue;
                };
                // A file that declares instances, secrets, environments or
                // waivers joins the platform through its import: used.
                if contributing.contains(target) {
                    self.scopes.used_imports.insert((unit.file, idx));
                }
                if let Some(alias) = &decl.alias {
                    if let Some((_, span, _)) = scope.names.get(&alias.name) {
                        let span = *span;
                        self.duplicate(alias, span);
                    }
                    scope.aliases.insert(alias.name.clone(), (*target, idx));
                    continue;
                }
                for (name, def, span) in defs.get(target).unwrap_or(&no_defs).iter().cloned() {
                    match scope.names.get(&name) {
                        Some((existing, _, _)) if *existing == def => {}
                        Some((_, prev, _)) => {
                            let prev = *prev;
                            self.err(
                                Diagnostic::error(
                                    "E0202",
                                    format!("`{name}` is defined more than once"),
                                    decl.path.span,
                                )
                                .with_label(format!("this import brings in another `{name}`"))
                                .with_secondary(prev, "already defined here")
                                .with_secondary(span, "the imported definition")
                                .with_help("import one of the modules with `as` to keep both"),
                            );
                        }
                        None => {
                            scope.names.insert(name, (def, span, Some(idx)));
                        }
                    }
                }
            }
            self.scopes.files.insert(unit.file, scope);
        }
    }

    /// Resolves a possibly qualified name in a file's scope.
    pub(crate) fn lookup_def(
        &mut self,
        file: FileId,
        module: Option<&ast::Ident>,
        name: &str,
    ) -> Option<Def> {
        let scope = self.scopes.files.get(&file)?;
        match module {
            None => {
                let (def, _, via) = *scope.names.get(name)?;
                if let Some(idx) = via {
                    self.scopes.used_imports.insert((file, idx));
                }
                Some(def)
            }
            Some(m) => {
                let (target, idx) = *scope.aliases.get(&m.name)?;
                self.scopes.used_imports.insert((file, idx));
                self.own_defs(target)
                    .into_iter()
                    .find(|(n, _, _)| n == name)
                    .map(|(_, d, _)| d)
            }
        }
    }

    /// Every name in the scope of `file`.
    pub(crate) fn scope_names(&self, file: FileId) -> Vec<String> {
        self.scopes
            .files
            .get(&file)
            .map(|s| s.names.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The components in the scope of `file`, by name.
    pub(crate) fn component_names(&self, file: FileId) -> Vec<String> {
        self.scopes
            .files
            .get(&file)
            .map(|s| {
                s.names
                    .iter()
                    .filter(|(_, (d, _, _))| matches!(d, Def::Comp(_)))
                    .map(|(n, _)| n.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// True when `file` imports a module as `alias`.
    pub(crate) fn has_alias(&self, file: FileId, alias: &str) -> bool {
        self.scopes
            .files
            .get(&file)
            .is_some_and(|s| s.aliases.contains_key(alias))
    }

    /// The module aliases of `file`.
    pub(crate) fn alias_names(&self, file: FileId) -> Vec<String> {
        self.scopes
            .files
            .get(&file)
            .map(|s| s.aliases.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn report_unused_imports(&mut self) {
        let program = self.program;
        for unit in &program.units {
            if unit.is_std {
                continue;
            }
            let imports = unit.module.items.iter().filter_map(|i| match i {
                ast::Item::Import(d) => Some(d),
                _ => None,
            });
            for (idx, decl) in imports.enumerate() {
                if !self.scopes.used_imports.contains(&(unit.file, idx)) {
                    let path = decl.path.as_plain().unwrap_or_default();
                    self.err(
                        Diagnostic::new(
                            "W0201",
                            format!("import `{path}` is never used"),
                            platc_diag::Label::new(decl.span, "nothing from this module is used"),
                        )
                        .with_help("remove the import"),
                    );
                }
            }
        }
    }
}
