//! Instances: their component, arguments, expose blocks, and the
//! requirements (`requires`) that some instance must meet.

use crate::HashSet;

use platc_diag::{Diagnostic, Span};
use platc_syntax::ast;

use crate::analyze::Checker;
use crate::expr::Ctx;
use crate::resolve::Def;
use crate::types::{IfaceId, Ty};
use crate::vocab::{regex_is_match, suggest_dns, INSTANCE_NAME, RESERVED_ATTRS};

impl Checker<'_> {
    pub(crate) fn check_instance(&mut self, idx: usize) {
        let (decl, file, _) = self.tables.instances[idx];
        if !regex_is_match(INSTANCE_NAME, &decl.name.name) || decl.name.name.len() > 53 {
            self.err(
                Diagnostic::error("E0305", format!("instance name `{}` is not usable as a Kubernetes name", decl.name.name), decl.name.span)
                    .with_label("must be lowercase letters, digits and `_`, start with a letter, end with a letter or digit, at most 53 characters")
                    .with_note("the name becomes the Helm release name (`_` turns into `-`)")
                    .with_help(format!("e.g. `{}`", suggest_dns(&decl.name.name).replace('-', "_"))),
            );
        }
        let comp = match self.lookup_def(
            file,
            decl.component.module.as_ref(),
            &decl.component.name.name,
        ) {
            Some(Def::Comp(c)) => c,
            Some(Def::Iface(i)) => {
                let iname = self.tables.ifaces[i.0 as usize].decl.name.name.clone();
                let providers: Vec<String> = self
                    .tables
                    .comps
                    .iter()
                    .filter(|c| c.provides.contains(&i))
                    .map(|c| format!("`{}`", c.decl.name.name))
                    .collect();
                let mut d = Diagnostic::error(
                    "E0317",
                    format!("`{iname}` is an interface, not a component"),
                    decl.component.span,
                )
                .with_label("cannot be instantiated")
                .with_secondary(
                    self.tables.ifaces[i.0 as usize].decl.name.span,
                    "declared as an interface here",
                );
                if !providers.is_empty() {
                    d = d.with_help(format!(
                        "instantiate a component that provides it: {}",
                        providers.join(", ")
                    ));
                }
                self.err(d);
                return;
            }
            Some(Def::Policy(_)) => {
                self.err(
                    Diagnostic::error(
                        "E0317",
                        format!("`{}` is a policy, not a component", decl.component),
                        decl.component.span,
                    )
                    .with_label("cannot be instantiated"),
                );
                return;
            }
            None => {
                let candidates = self.component_names(file);
                self.unknown_name(
                    "component",
                    &decl.component.to_string(),
                    decl.component.span,
                    candidates,
                    Some("import the module that defines it, e.g. `import \"std/postgres\"`"),
                );
                return;
            }
        };
        self.tables.instances[idx].2 = Some(comp);
        let ctx = Ctx {
            globals: true,
            ..Ctx::default()
        };
        let mut seen: Vec<&ast::Ident> = Vec::new();
        for a in &decl.attrs {
            if self.is_repeated(&seen, &a.name) {
                continue;
            }
            seen.push(&a.name);
            let ty = match a.name.name.as_str() {
                "namespace" => self.dns_label.clone(),
                "values_files" => std::sync::Arc::new(Ty::List(Box::new(Ty::Path))),
                "enabled" => std::sync::Arc::new(Ty::Bool),
                n => match self.tables.comps[comp.0 as usize].param_index.get(n) {
                    Some(&k) => self.tables.comps[comp.0 as usize].params[k].ty.clone(),
                    None => {
                        let info = &self.tables.comps[comp.0 as usize];
                        let comp_name = info.decl.name.name.clone();
                        let mut names: Vec<&str> =
                            info.params.iter().map(|p| p.name.as_str()).collect();
                        names.extend(RESERVED_ATTRS);
                        let mut d = Diagnostic::error(
                            "E0303",
                            format!("component `{comp_name}` has no parameter `{n}`"),
                            a.name.span,
                        )
                        .with_label("unknown parameter")
                        .with_secondary(
                            self.tables.comps[comp.0 as usize].decl.name.span,
                            "component declared here",
                        );
                        let all = format!("the parameters are: {}", names.join(", "));
                        d = d.with_suggestion(n, names.iter().copied(), Some(all));
                        self.err(d);
                        continue;
                    }
                },
            };
            if !self.check_expr(&a.value, &ty, &ctx) {
                self.tables.untyped_args.insert((idx, a.value.span));
            } else {
                // A namespace is written into manifests and file names:
                // it must be a DNS label, checked here (params are checked
                // when evaluated).
                if a.name.name == "namespace" {
                    self.check_constant(&a.value, &ty);
                }
            }
        }
        let missing: Vec<(String, Span)> = self.tables.comps[comp.0 as usize]
            .params
            .iter()
            .filter(|p| p.required && !seen.iter().any(|s| s.name == p.name))
            .map(|p| (p.name.clone(), p.span))
            .collect();
        for (name, pspan) in &missing {
            let comp_name = self.tables.comps[comp.0 as usize].decl.name.name.clone();
            self.err(
                Diagnostic::error(
                    "E0302",
                    format!(
                        "instance `{}` does not set required parameter `{name}`",
                        decl.name.name
                    ),
                    decl.name.span,
                )
                .with_label(format!("`{name}` is missing"))
                .with_secondary(
                    *pspan,
                    format!("`{name}` is declared here without a default"),
                )
                .with_help(format!("add `{name} = ...` to the `{comp_name}` instance")),
            );
        }
        // expose blocks
        let points: Vec<String> = self.tables.comps[comp.0 as usize]
            .decl
            .exposes
            .iter()
            .map(|e| e.name.name.clone())
            .collect();
        for (n, e) in decl.exposes.iter().enumerate() {
            if let Some(prev) = decl.exposes[..n]
                .iter()
                .find(|x| x.name.name == e.name.name)
            {
                self.dup_assign(&e.name, prev.name.span);
                continue;
            }
            if !points.contains(&e.name.name) {
                let comp_name = self.tables.comps[comp.0 as usize].decl.name.name.clone();
                let mut d = Diagnostic::error(
                    "E0314",
                    format!(
                        "component `{comp_name}` has no expose point `{}`",
                        e.name.name
                    ),
                    e.name.span,
                )
                .with_label("unknown expose point");
                let fallback = if points.is_empty() {
                    format!("`{comp_name}` declares no expose points")
                } else {
                    format!("the expose points are: {}", points.join(", "))
                };
                d = d.with_suggestion(
                    &e.name.name,
                    points.iter().map(String::as_str),
                    Some(fallback),
                );
                self.err(d);
            }
            self.check_expose_fields(e, &ctx);
        }
    }

    pub(crate) fn check_expose_fields(&mut self, e: &ast::ExposeDecl, ctx: &Ctx) {
        let fields = expose_fields();
        let mut seen: Vec<&ast::Ident> = Vec::new();
        for a in &e.attrs {
            if self.is_repeated(&seen, &a.name) {
                continue;
            }
            seen.push(&a.name);
            match fields.iter().find(|(n, _)| *n == a.name.name) {
                Some((_, t)) => {
                    // Hosts and paths go into Ingress objects: checked here.
                    if self.check_expr(&a.value, t, ctx) && matches!(t, Ty::Constrained(..)) {
                        self.check_constant(&a.value, t);
                    }
                }
                None => {
                    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                    self.unknown_field_of("an expose block", &a.name.name, a.name.span, &names);
                }
            }
        }
        if !seen.iter().any(|s| s.name == "host") {
            self.err(
                Diagnostic::error(
                    "E0302",
                    format!("expose block `{}` does not set `host`", e.name.name),
                    e.name.span,
                )
                .with_label("missing `host`")
                .with_help("add `host = \"name.${platform.domain}\"`"),
            );
        }
    }

    pub(crate) fn check_requirements(&mut self) {
        let mut reported: HashSet<usize> = HashSet::default();
        let provided: HashSet<IfaceId> = self
            .tables
            .instances
            .iter()
            .filter_map(|(_, _, c)| *c)
            .flat_map(|c| self.tables.comps[c.0 as usize].provides.iter().copied())
            .collect();
        for idx in 0..self.tables.instances.len() {
            let Some(comp) = self.tables.instances[idx].2 else {
                continue;
            };
            let cdecl = self.tables.comps[comp.0 as usize].decl;
            let cfile = self.tables.comps[comp.0 as usize].file;
            for r in &cdecl.requires {
                // A conditional requirement is checked per instance when
                // evaluated.
                if r.cond.is_some() {
                    continue;
                }
                let Ty::Interface(iid) = self.resolve_type_name_quiet(cfile, &r.interface) else {
                    continue;
                };
                let met = provided.contains(&iid);
                if met || !reported.insert(comp.0 as usize) {
                    continue;
                }
                let iname = self.tables.ifaces[iid.0 as usize].decl.name.name.clone();
                let providers: Vec<String> = self
                    .tables
                    .comps
                    .iter()
                    .filter(|c| c.provides.contains(&iid))
                    .map(|c| format!("`{}`", c.decl.name.name))
                    .collect();
                let decl = self.tables.instances[idx].0;
                let mut d = Diagnostic::error(
                    "E0316",
                    format!(
                        "`{}` requires an instance that provides `{iname}`, and there is none",
                        cdecl.name.name
                    ),
                    decl.name.span,
                )
                .with_label(format!(
                    "this `{}` needs an instance providing `{iname}`",
                    cdecl.name.name
                ))
                .with_secondary(r.interface.span, "required here");
                d = if providers.is_empty() {
                    d.with_help(format!(
                        "add an instance of a component that provides `{iname}`"
                    ))
                } else {
                    d.with_help(format!("add an instance of {}", providers.join(" or ")))
                };
                self.err(d);
            }
        }
    }
}

pub(crate) fn expose_fields() -> Vec<(String, Ty)> {
    vec![
        ("host".into(), crate::vocab::pattern_ty(crate::vocab::HOST)),
        (
            "path".into(),
            crate::vocab::pattern_ty(crate::vocab::URL_PATH),
        ),
        (
            "auth".into(),
            Ty::Optional(Box::new(Ty::Enum(vec!["sso".into(), "basic".into()]))),
        ),
        ("tls".into(), Ty::Bool),
        ("audit".into(), Ty::Bool),
        ("public".into(), Ty::Bool),
    ]
}
