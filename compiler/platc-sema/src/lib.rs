//! Names, modules, types and evaluation of platform programs.
//!
//! Input: parsed files and how their imports resolved (loading files is the
//! driver's job; this crate does no IO). Output: every diagnostic found and,
//! when there is no error, the checked [`Platform`].
//!
//! Architecture invariant: depends only on `platc-diag` and `platc-syntax`;
//! knows generic concepts (component, chart, values, expose, secret, policy)
//! and no service by name.

mod analyze;
mod eval;
mod expr;
mod ir;
mod items;
mod refs;
mod resolve;
pub mod rule;
mod tables;
mod typeres;
pub mod types;
pub mod value;
mod vocab;

/// The hash maps and sets of the compiler's own tables and memos: keyed by
/// names and numbers of the program, hashed with foldhash (randomly seeded,
/// several times faster than the standard SipHash on short keys).
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// See [`HashMap`].
pub(crate) type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

use platc_diag::{Diagnostic, FileId};
use platc_syntax::ast::{self, Date};

#[doc(hidden)]
pub use eval::{set_evaluation_budget, set_instance_chunk, set_value_skeletons};
pub use items::secret::secret_variable;
pub use value::{InstId, SecretId, Value};

/// One parsed file and where each of its `import`s led.
pub struct SourceUnit<'a> {
    pub file: FileId,
    pub module: &'a ast::Module,
    /// True for embedded `std/...` modules.
    pub is_std: bool,
    /// The name of the built-in policy pack this module is (`ingress`),
    /// for the packs the driver loads into every program.
    pub policy_pack: Option<String>,
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
    /// The environment whose overrides the checked platform reflects
    /// (`None`: the platform as written). Must be one the program declares.
    pub environment: Option<String>,
}

/// The result of analysis.
pub struct Analysis {
    pub diagnostics: Vec<Diagnostic>,
    /// The checked platform, when there is no error and a platform block:
    /// the one of [`Program::environment`].
    pub platform: Option<Platform>,
    /// The platform under every other environment (and the base platform
    /// when an environment is selected), in declaration order, for checks
    /// that span them all (values files, the deployment graph). Empty when
    /// there is an error.
    pub others: Vec<Platform>,
}

pub use ir::*;

/// Runs name resolution, type checking and constant evaluation.
pub fn analyze(program: &Program) -> Analysis {
    analyze::Checker::run(program)
}
