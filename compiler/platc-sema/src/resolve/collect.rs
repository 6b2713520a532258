//! Collection: every item of every file goes into the checker's tables
//! (components, interfaces, policies, instances, secrets, environments,
//! waivers, the platform block); instances and secrets become globals.

use crate::HashMap;

use platc_diag::{Diagnostic, FileId, Span};
use platc_syntax::ast;

use crate::analyze::Checker;
use crate::tables::{CompInfo, Global, IfaceInfo};
use crate::vocab::BUILTIN_TYPES;

impl Checker<'_> {
    pub(crate) fn collect(&mut self) {
        let program = self.program;
        let mut seen_defs: HashMap<(FileId, String), Span> = HashMap::default();
        for unit in &program.units {
            for item in &unit.module.items {
                let local = |name: &ast::Ident,
                             seen: &mut HashMap<(FileId, String), Span>|
                 -> Option<Span> {
                    let key = (unit.file, name.name.clone());
                    if let Some(prev) = seen.get(&key) {
                        return Some(*prev);
                    }
                    seen.insert(key, name.span);
                    None
                };
                match item {
                    ast::Item::Platform(p) => {
                        if unit.file != program.root {
                            self.err(
                                Diagnostic::error(
                                    "E0108",
                                    "a platform block is only allowed in the root file",
                                    p.span,
                                )
                                .with_label("platform block in an imported file")
                                .with_help("move the platform block into the project's main.plat"),
                            );
                        } else if let Some(prev) = self.tables.platform {
                            self.err(
                                Diagnostic::error("E0108", "a second platform block", p.name.span)
                                    .with_label("second platform block")
                                    .with_secondary(
                                        prev.name.span,
                                        "the platform is already declared here",
                                    )
                                    .with_help(
                                        "a project declares exactly one platform; merge the blocks",
                                    ),
                            );
                        } else {
                            self.tables.platform = Some(p);
                        }
                    }
                    ast::Item::Import(_) => {}
                    ast::Item::Component(d) => {
                        if let Some(prev) = local(&d.name, &mut seen_defs) {
                            self.duplicate(&d.name, prev);
                        }
                        self.not_a_builtin_type(&d.name);
                        self.tables.comps.push(CompInfo {
                            decl: d,
                            file: unit.file,
                            params: vec![],
                            param_index: HashMap::default(),
                            members: HashMap::default(),
                            provides: vec![],
                        });
                    }
                    ast::Item::Interface(d) => {
                        if let Some(prev) = local(&d.name, &mut seen_defs) {
                            self.duplicate(&d.name, prev);
                        }
                        self.not_a_builtin_type(&d.name);
                        self.tables.ifaces.push(IfaceInfo {
                            decl: d,
                            fields: vec![],
                        });
                    }
                    ast::Item::Policy(d) => {
                        if let Some(prev) = local(&d.name, &mut seen_defs) {
                            self.duplicate(&d.name, prev);
                        } else if let Some((prev, _)) = self
                            .policies
                            .iter()
                            .find(|(p, _)| p.name.name == d.name.name)
                        {
                            // Waivers name policies without imports: unique platform-wide.
                            let prev = prev.name.span;
                            self.duplicate(&d.name, prev);
                        }
                        self.policies.push((d, unit.file));
                    }
                    ast::Item::Secret(d) => {
                        if unit.is_std {
                            self.misplaced_in_std(d.span, "secret");
                            continue;
                        }
                        let g = Global::Secret(self.tables.secrets.len());
                        self.tables.secrets.push(d);
                        self.add_global(&d.name, g);
                    }
                    ast::Item::Instance(d) => {
                        if unit.is_std {
                            self.misplaced_in_std(d.span, "instance");
                            continue;
                        }
                        let g = Global::Instance(self.tables.instances.len());
                        self.tables.instances.push((d, unit.file, None));
                        self.add_global(&d.name, g);
                    }
                    ast::Item::Environment(d) => {
                        if let Some(prev) = self
                            .tables
                            .environments
                            .iter()
                            .find(|e| e.name.name == d.name.name)
                        {
                            let prev = prev.name.span;
                            self.duplicate(&d.name, prev);
                        }
                        self.tables.environments.push(d);
                    }
                    ast::Item::Waiver(d) => self.waivers.push(d),
                }
            }
        }
        if self.tables.platform.is_none() && !program.allow_missing_platform {
            let root = program.root;
            self.err(
                Diagnostic::error(
                    "E0207",
                    "the root file declares no platform",
                    Span::new(root, 0, 0),
                )
                .with_label("expected a platform block in this file")
                .with_help("add `platform \"name\" { domain = \"example.com\" }` to the root file"),
            );
        }
    }

    /// Components and interfaces are types: they must not shadow a built-in.
    fn not_a_builtin_type(&mut self, name: &ast::Ident) {
        if BUILTIN_TYPES.contains(&name.name.as_str()) || name.name == "list" || name.name == "map"
        {
            self.err(
                Diagnostic::error(
                    "E0202",
                    format!("`{}` is the name of a built-in type", name.name),
                    name.span,
                )
                .with_label("cannot be redefined")
                .with_help("choose another name"),
            );
        }
    }

    fn misplaced_in_std(&mut self, span: Span, what: &str) {
        self.err(
            Diagnostic::error(
                "E0108",
                format!("a stdlib module cannot declare a {what}"),
                span,
            )
            .with_label("not allowed here"),
        );
    }

    fn add_global(&mut self, name: &ast::Ident, g: Global) {
        if let Some((_, prev)) = self.tables.globals.get(&name.name) {
            let prev = *prev;
            self.duplicate(name, prev);
            let secrets = matches!(
                (self.tables.globals[&name.name].0, g),
                (Global::Secret(_), Global::Secret(_))
            );
            *self
                .tables
                .clashing
                .entry(name.name.clone())
                .or_insert(true) &= secrets;
            return;
        }
        self.tables
            .globals
            .insert(name.name.clone(), (g, name.span));
    }
}
