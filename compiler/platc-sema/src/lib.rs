//! Names, modules, types and evaluation of platform programs.
//!
//! Input: parsed files and how their imports resolved (loading files is the
//! driver's job; this crate does no IO). Output: every diagnostic found and,
//! when there is no error, the checked [`Platform`].
//!
//! Architecture invariant: depends only on `platc-diag` and `platc-syntax`;
//! knows generic concepts (component, chart, values, expose, secret, policy)
//! and no service by name.

mod check;
mod eval;
mod refs;
pub mod types;
pub mod value;

use std::collections::BTreeMap;

use platc_diag::{Diagnostic, FileId, Span};
use platc_syntax::ast::{self, Date};

pub use value::{InstId, SecretId, Value};

/// One parsed file and where each of its `import`s led.
pub struct SourceUnit<'a> {
    pub file: FileId,
    pub module: &'a ast::Module,
    /// True for embedded `std/...` modules.
    pub is_std: bool,
    /// One entry per `import` item, in order: the imported file, or `None`
    /// when it could not be loaded (already reported by the loader).
    pub imports: Vec<Option<FileId>>,
}

/// A whole program: the root file first among `units`.
pub struct Program<'a> {
    pub units: Vec<SourceUnit<'a>>,
    pub root: FileId,
    /// Today's date, for waiver expiry (injected for reproducible tests).
    pub today: Date,
    /// Check snippets that have no `platform` block without reporting it
    /// (used for library files and spec examples).
    pub allow_missing_platform: bool,
}

/// The result of analysis.
pub struct Analysis {
    pub diagnostics: Vec<Diagnostic>,
    /// The checked platform, when there is no error and a platform block.
    pub platform: Option<Platform>,
}

/// The checked platform: what later stages (graph, policy, emit) consume.
#[derive(Debug, Clone)]
pub struct Platform {
    pub name: String,
    pub domain: Option<String>,
    pub namespace: String,
    pub instances: Vec<Instance>,
    pub secrets: Vec<Secret>,
    pub environments: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    pub component: String,
    pub namespace: String,
    /// Every parameter's value (defaults filled in).
    pub args: BTreeMap<String, Value>,
    /// The instances this one refers to (edges of the platform graph), in
    /// attribute order, then source order.
    pub references: Vec<Reference>,
    pub span: Span,
}

/// A reference from one instance to another, written in attribute `attr`
/// (`expose.NAME.FIELD` inside an expose block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub target: String,
    pub attr: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Secret {
    pub name: String,
    pub source: String,
    pub span: Span,
}

/// Runs name resolution, type checking and constant evaluation.
pub fn analyze(program: &Program) -> Analysis {
    check::Checker::run(program)
}
