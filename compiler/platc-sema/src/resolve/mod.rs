//! Name resolution: collecting definitions and globals, file scopes and
//! imports, looking names up, and the reports of names that are unknown or
//! defined (or set) more than once.
//!
//! `collect` gathers the items of every file into the checker's tables;
//! `scope` builds each file's scope from its own definitions and its
//! imports, resolves names in it and reports the imports never used.

use crate::{HashMap, HashSet};

use platc_diag::{Diagnostic, FileId, Span};
use platc_syntax::ast;

use crate::analyze::Checker;
use crate::types::{CompId, IfaceId};

mod collect;
mod scope;

/// A definition that can be imported.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Def {
    Comp(CompId),
    Iface(IfaceId),
    Policy(usize),
}

#[derive(Default)]
struct FileScope {
    /// name -> (definition, span of the definition, import index it came through)
    names: HashMap<String, (Def, Span, Option<usize>)>,
    aliases: HashMap<String, (FileId, usize)>,
}

/// The scope of every file, and the imports used so far.
#[derive(Default)]
pub(crate) struct Scopes {
    files: HashMap<FileId, FileScope>,
    used_imports: HashSet<(FileId, usize)>,
}

impl Checker<'_> {
    pub(crate) fn duplicate(&mut self, name: &ast::Ident, prev: Span) {
        self.err(
            Diagnostic::error(
                "E0202",
                format!("`{}` is defined more than once", name.name),
                name.span,
            )
            .with_label("defined again here")
            .with_secondary(prev, "first defined here")
            .with_help("rename one of them"),
        );
    }

    pub(crate) fn unknown_name(
        &mut self,
        what: &str,
        name: &str,
        span: Span,
        candidates: Vec<String>,
        help: Option<&str>,
    ) {
        let mut d = Diagnostic::error("E0201", format!("unknown {what} `{name}`"), span)
            .with_label("not found in this scope");
        d = d.with_suggestion(
            name,
            candidates.iter().map(String::as_str),
            help.map(str::to_string),
        );
        self.err(d);
    }

    /// Reports `name` when an earlier entry of `seen` has its name (the first
    /// assignment is the one that counts).
    pub(crate) fn is_repeated(&mut self, seen: &[&ast::Ident], name: &ast::Ident) -> bool {
        match seen.iter().find(|s| s.name == name.name) {
            Some(first) => {
                let first = first.span;
                self.dup_assign(name, first);
                true
            }
            None => false,
        }
    }

    pub(crate) fn dup_assign(&mut self, name: &ast::Ident, first: Span) {
        self.dup_key(&name.name, name.span, first);
    }

    /// [`Self::dup_assign`] of `name`, written at `at`.
    pub(crate) fn dup_key(&mut self, name: &str, at: Span, first: Span) {
        self.err(
            Diagnostic::error("E0311", format!("`{name}` is set more than once"), at)
                .with_label("set again here")
                .with_secondary(first, "first set here")
                .with_help("remove one of the assignments"),
        );
    }
}
