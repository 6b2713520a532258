//! The tables of a checked program: its definitions, and what checking
//! learned about them (param types, resolved components, the args that
//! type-checked, the instances on a cycle).
//!
//! The checker fills them phase by phase. Evaluation and reference finding
//! read them, and nothing else of the checker.

use crate::{HashMap, HashSet};

use platc_diag::{FileId, Span};
use platc_syntax::ast;

use crate::types::{CompId, Display, IfaceId, Provides, Ty, TypeNames};

/// A name visible platform-wide.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Global {
    Instance(usize),
    Secret(usize),
}

pub(crate) struct ParamInfo<'a> {
    pub name: String,
    /// The name as the key of the instance's args (shared by them all).
    pub key: crate::value::Str,
    /// Shared: every instance's argument is checked against it.
    pub ty: std::sync::Arc<Ty>,
    pub required: bool,
    pub span: Span,
    /// The default, and whether it reads other names (then its value is
    /// checked against the type's constraints for each instance; a
    /// constant one was checked at the component).
    pub default: Option<(&'a ast::Expr, bool)>,
}

pub(crate) struct CompInfo<'a> {
    pub decl: &'a ast::ComponentDecl,
    pub file: FileId,
    pub params: Vec<ParamInfo<'a>>,
    /// The position of each param in `params`, by name.
    pub param_index: HashMap<&'a str, usize>,
    /// The position of each param (as in `params`) and then of each `let`
    /// in an instance's frame, by name (see `eval::Frame`).
    pub members: HashMap<&'a str, usize>,
    pub provides: Vec<IfaceId>,
}

pub(crate) struct IfaceInfo<'a> {
    pub decl: &'a ast::InterfaceDecl,
    pub fields: Vec<(String, Ty)>,
}

/// Definitions of the program and the facts checking established about
/// them.
#[derive(Default)]
pub(crate) struct Tables<'a> {
    pub comps: Vec<CompInfo<'a>>,
    pub ifaces: Vec<IfaceInfo<'a>>,
    /// Each instance, its file, and its component once resolved.
    pub instances: Vec<(&'a ast::InstanceDecl, FileId, Option<CompId>)>,
    pub secrets: Vec<&'a ast::SecretDecl>,
    pub environments: Vec<&'a ast::EnvironmentDecl>,
    pub platform: Option<&'a ast::PlatformDecl>,
    /// Instances and secrets by name.
    pub globals: HashMap<String, (Global, Span)>,
    /// Instance and secret names defined more than once (E0202), and
    /// whether every definition is a secret. A reference to one is of
    /// unknown type (or `secret`, when all are secrets), so that the clash
    /// is the only error reported, not the type or secret-key errors of
    /// whichever definition the reference would have meant.
    pub clashing: HashMap<String, bool>,
    /// Instance args that did not type-check (reported), never evaluated:
    /// the instance, and the span of the attribute's value. (Every other
    /// attribute that sets a param type-checked.)
    pub untyped_args: HashSet<(usize, Span)>,
    /// Instances on a reference cycle (reported): never evaluated.
    pub on_cycle: HashSet<usize>,
    /// The references written in the instances ([`crate::refs::base_references`]),
    /// found once for the cycle check and the evaluation.
    pub base_refs: std::sync::OnceLock<crate::refs::RefMap>,
    /// The interface of each `all(Interface)` call, by the call's span
    /// (file, start).
    pub all_calls: HashMap<(u32, u32), IfaceId>,
    /// Every policy, and the file that declares it.
    pub policies: Vec<(&'a ast::PolicyDecl, FileId)>,
    pub waivers: Vec<&'a ast::WaiverDecl>,
    /// The files that are built-in policy packs, and each pack's name.
    pub packs: HashMap<FileId, String>,
    /// Today's date: a waiver whose `until` is before it has expired.
    pub today: Option<ast::Date>,
}

impl Tables<'_> {
    /// A type as the user writes it.
    pub fn ty(&self, t: &Ty) -> String {
        Display(t, self).to_string()
    }
}

impl TypeNames for Tables<'_> {
    fn component_name(&self, id: CompId) -> &str {
        &self.comps[id.0 as usize].decl.name.name
    }
    fn interface_name(&self, id: IfaceId) -> &str {
        &self.ifaces[id.0 as usize].decl.name.name
    }
}

impl Provides for Tables<'_> {
    fn provides(&self, comp: CompId, iface: IfaceId) -> bool {
        self.comps[comp.0 as usize].provides.contains(&iface)
    }
}
