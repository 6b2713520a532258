//! Hover, go to definition and document symbols, from the syntax trees of
//! [`crate::index`].

use platc_diag::Span;
use platc_syntax::ast::{self, Item};

use crate::index::{
    occurrence_at, Db, Field, ItemRef, Loc, Occ, Target, Unit, BUILTIN_TYPES, EXPOSE_FIELDS,
    RESERVED_ATTRS,
};

/// What an occurrence stands for.
pub enum Resolved {
    Item(ItemRef),
    Param(ItemRef, usize),
    Let(ItemRef, usize),
    ExposePoint(ItemRef, usize),
    IfaceField(ItemRef, usize),
    Field(Box<Field>),
    File(Unit),
    /// A built-in: its signature and what it is.
    Builtin(String, String),
    Local(Target),
}

fn index_of(unit: &Unit, pred: impl Fn(&Item) -> bool) -> Option<ItemRef> {
    unit.parsed
        .module
        .items
        .iter()
        .position(pred)
        .map(|index| ItemRef {
            unit: unit.clone(),
            index,
        })
}

fn component_ref(unit: &Unit, c: &ast::ComponentDecl) -> Option<ItemRef> {
    index_of(
        unit,
        |i| matches!(i, Item::Component(x) if std::ptr::eq(x, c)),
    )
}

/// The param (or reserved attribute) `name` of `comp`.
fn attr_of(comp: Option<ItemRef>, name: &str) -> Option<Resolved> {
    if let Some(c) = &comp {
        if let Some(k) = c
            .component()
            .and_then(|d| d.params.iter().position(|p| p.name.name == name))
        {
            return Some(Resolved::Param(c.clone(), k));
        }
    }
    RESERVED_ATTRS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(n, ty, doc)| Resolved::Builtin(format!("{n}: {ty}"), doc.to_string()))
}

fn expose_point_of(comp: Option<ItemRef>, name: &str) -> Option<Resolved> {
    let c = comp?;
    let k = c
        .component()?
        .exposes
        .iter()
        .position(|e| e.name.name == name)?;
    Some(Resolved::ExposePoint(c, k))
}

/// The component of the instance named `name` in the platform.
fn instance_component(db: &Db, unit: &Unit, name: &str) -> Option<ItemRef> {
    let g = db.global(unit, name)?;
    let Item::Instance(i) = g.item() else {
        return None;
    };
    db.find_type(&g.unit, &i.component)
        .filter(|c| c.component().is_some())
}

pub fn resolve(db: &Db, unit: &Unit, offset: usize) -> Option<Resolved> {
    let occ = occurrence_at(&unit.parsed.module, offset)?;
    let item = |pred: &dyn Fn(&Item) -> bool| index_of(unit, pred).map(Resolved::Item);
    match occ {
        Occ::Component(c) => item(&|i| matches!(i, Item::Component(x) if std::ptr::eq(x, c))),
        Occ::Interface(d) => item(&|i| matches!(i, Item::Interface(x) if std::ptr::eq(x, d))),
        Occ::Instance(d) => item(&|i| matches!(i, Item::Instance(x) if std::ptr::eq(x, d))),
        Occ::Secret(d) => item(&|i| matches!(i, Item::Secret(x) if std::ptr::eq(x, d))),
        Occ::Policy(d) => item(&|i| matches!(i, Item::Policy(x) if std::ptr::eq(x, d))),
        Occ::Field(d, f) => {
            let r = index_of(
                unit,
                |i| matches!(i, Item::Interface(x) if std::ptr::eq(x, d)),
            )?;
            let k = d.fields.iter().position(|x| std::ptr::eq(x, f))?;
            Some(Resolved::IfaceField(r, k))
        }
        Occ::Param(c, p) => {
            let r = component_ref(unit, c)?;
            let k = c.params.iter().position(|x| std::ptr::eq(x, p))?;
            Some(Resolved::Param(r, k))
        }
        Occ::Let(c, l) => {
            let r = component_ref(unit, c)?;
            let k = c.lets.iter().position(|x| std::ptr::eq(x, l))?;
            Some(Resolved::Let(r, k))
        }
        Occ::ExposePoint(c, e) => {
            let r = component_ref(unit, c)?;
            let k = c.exposes.iter().position(|x| std::ptr::eq(x, e))?;
            Some(Resolved::ExposePoint(r, k))
        }
        Occ::TypeRef(name) => match db.find_type(unit, name) {
            Some(r) => Some(Resolved::Item(r)),
            None if name.module.is_none() => BUILTIN_TYPES
                .iter()
                .find(|(n, _)| *n == name.name.name)
                .map(|(n, doc)| Resolved::Builtin(n.to_string(), doc.to_string())),
            None => None,
        },
        Occ::Import(d) => {
            let path = d.path.as_plain()?;
            let loc = db.resolve_import(&unit.loc, &path)?;
            db.unit(&loc).map(Resolved::File)
        }
        Occ::Attr(inst, name) => attr_of(db.find_type(unit, &inst.component), &name.name),
        Occ::ExposeField(name) => {
            expose_doc(&name.name).map(|(sig, doc)| Resolved::Builtin(sig, doc))
        }
        Occ::Expose(inst, name) => expose_point_of(db.find_type(unit, &inst.component), &name.name),
        Occ::Name(n, Some(c)) => {
            let r = component_ref(unit, c)?;
            if let Some(k) = c.params.iter().position(|p| p.name.name == n) {
                Some(Resolved::Param(r, k))
            } else {
                let k = c.lets.iter().position(|l| l.name.name == n)?;
                Some(Resolved::Let(r, k))
            }
        }
        Occ::Name(n, None) => db.global(unit, n).map(Resolved::Item),
        Occ::Local(span) => Some(Resolved::Local(Target {
            unit: unit.clone(),
            span,
        })),
        Occ::Member(base, field, cx) => {
            let shape = db.shape(unit, base, cx);
            db.fields(unit, &shape)
                .into_iter()
                .find(|f| f.name == field.name)
                .map(|f| Resolved::Field(Box::new(f)))
        }
        Occ::Override(o, k) => {
            let first = &o.target.first()?.name;
            if first == "platform" {
                return None;
            }
            match k {
                0 => db.global(unit, first).map(Resolved::Item),
                1 => attr_of(instance_component(db, unit, first), &o.target[1].name),
                _ => None,
            }
        }
        Occ::WaiverPolicy(w) => db.policy(unit, &w.policy.name).map(Resolved::Item),
        Occ::WaiverTarget(w, k) => {
            if k == 0 || w.edge {
                db.global(unit, &w.target[k].name).map(Resolved::Item)
            } else {
                expose_point_of(
                    instance_component(db, unit, &w.target[0].name),
                    &w.target[k].name,
                )
            }
        }
        Occ::ProvidesField(p, a) => {
            let r = db.find_type(unit, &p.interface)?;
            let k = r
                .interface()?
                .fields
                .iter()
                .position(|f| f.name.name == a.name.name)?;
            Some(Resolved::IfaceField(r, k))
        }
    }
}

/// Where a resolved name is defined.
pub fn definition(r: &Resolved) -> Option<Target> {
    let at = |r: &ItemRef, span: Span| {
        Some(Target {
            unit: r.unit.clone(),
            span,
        })
    };
    match r {
        Resolved::Item(i) => at(i, item_name_span(i.item())?),
        Resolved::Param(c, k) => at(c, c.component()?.params.get(*k)?.name.span),
        Resolved::Let(c, k) => at(c, c.component()?.lets.get(*k)?.name.span),
        Resolved::ExposePoint(c, k) => at(c, c.component()?.exposes.get(*k)?.name.span),
        Resolved::IfaceField(i, k) => at(i, i.interface()?.fields.get(*k)?.name.span),
        Resolved::Field(f) => f.target.clone(),
        Resolved::File(u) => Some(Target {
            unit: u.clone(),
            span: Span::new(platc_diag::FileId(0), 0, 0),
        }),
        Resolved::Local(t) => Some(t.clone()),
        Resolved::Builtin(..) => None,
    }
}

fn item_name_span(item: &Item) -> Option<Span> {
    Some(match item {
        Item::Component(c) => c.name.span,
        Item::Interface(i) => i.name.span,
        Item::Instance(i) => i.name.span,
        Item::Secret(s) => s.name.span,
        Item::Policy(p) => p.name.span,
        Item::Environment(e) => e.name.span,
        _ => return None,
    })
}

/// Text of a span, on one line and at most `max` characters.
fn snippet(text: &str, span: Span, max: usize) -> String {
    let s = text.get(span.range()).unwrap_or("");
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > max {
        let cut: String = one.chars().take(max).collect();
        format!("{cut} …")
    } else {
        one
    }
}

pub fn loc_label(loc: &Loc) -> String {
    match loc {
        Loc::Std(n) => n.to_string(),
        Loc::User(p) => p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

fn code(sig: &str) -> String {
    format!("```plat\n{sig}\n```")
}

fn with_doc(mut md: String, doc: Option<&String>) -> String {
    if let Some(d) = doc.filter(|d| !d.trim().is_empty()) {
        md.push_str("\n\n");
        md.push_str(d.trim_end());
    }
    md
}

fn param_sig(text: &str, p: &ast::ParamDecl) -> String {
    let mut s = format!("param {}: {}", p.name.name, snippet(text, p.ty.span, 120));
    if let Some(d) = &p.default {
        s.push_str(" = ");
        s.push_str(&snippet(text, d.span, 80));
    }
    s
}

/// The first paragraph of a doc comment, on one line, at most about 160
/// characters (cut at a word).
pub fn summary(doc: &str) -> String {
    let para: Vec<&str> = doc
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    let one = para.join(" ");
    if one.chars().count() <= 160 {
        return one;
    }
    let mut out = String::new();
    for w in one.split(' ') {
        if out.chars().count() + w.chars().count() > 150 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out.push_str(" …");
    out
}

/// The hover of a component: signature, doc, chart, interfaces, params.
pub fn component_md(r: &ItemRef) -> Option<String> {
    let c = r.component()?;
    let text = &r.unit.parsed.text;
    let mut md = with_doc(code(&format!("component {}", c.name.name)), c.doc.as_ref());
    for ch in &c.charts {
        let s = |l: &ast::StringLit| l.as_plain().unwrap_or_default();
        md.push_str(&format!(
            "\n\n**chart** `{}` **version** `{}` from `{}`",
            s(&ch.name),
            s(&ch.version),
            s(&ch.repository)
        ));
    }
    let names = |v: Vec<String>| v.join("`, `");
    if !c.provides.is_empty() {
        md.push_str(&format!(
            "\n\n**provides** `{}`",
            names(c.provides.iter().map(|p| p.interface.to_string()).collect())
        ));
    }
    if !c.requires.is_empty() {
        md.push_str(&format!(
            "\n\n**requires** `{}`",
            names(c.requires.iter().map(|p| p.interface.to_string()).collect())
        ));
    }
    if !c.params.is_empty() {
        md.push_str("\n\n**params**\n");
        for p in &c.params {
            md.push_str(&format!("\n- `{}`", param_sig(text, p)));
            if let Some(summary) = p.doc.as_deref().map(summary).filter(|s| !s.is_empty()) {
                md.push_str(&format!(": {summary}"));
            }
        }
    }
    if !c.exposes.is_empty() {
        md.push_str(&format!(
            "\n\n**expose points** `{}`",
            names(c.exposes.iter().map(|e| e.name.name.clone()).collect())
        ));
    }
    md.push_str(&format!("\n\n*defined in `{}`*", loc_label(&r.unit.loc)));
    Some(md)
}

pub fn hover_md(db: &Db, r: &Resolved) -> Option<String> {
    let _ = db;
    Some(match r {
        Resolved::Item(i) => {
            let text = &i.unit.parsed.text;
            match i.item() {
                Item::Component(_) => component_md(i)?,
                Item::Interface(d) => {
                    let mut sig = format!("interface {} {{", d.name.name);
                    for f in &d.fields {
                        sig.push_str(&format!(
                            "\n  {}: {}",
                            f.name.name,
                            snippet(text, f.ty.span, 120)
                        ));
                    }
                    sig.push_str("\n}");
                    let md = with_doc(code(&sig), d.doc.as_ref());
                    format!("{md}\n\n*defined in `{}`*", loc_label(&i.unit.loc))
                }
                Item::Instance(d) => {
                    let mut md = with_doc(
                        code(&format!("{} {}", d.component, d.name.name)),
                        d.doc.as_ref(),
                    );
                    md.push_str(&format!("\n\ninstance of component `{}`", d.component));
                    if let Some(c) = db.find_type(&i.unit, &d.component) {
                        if let Some(cm) = component_md(&c) {
                            md.push_str("\n\n---\n\n");
                            md.push_str(&cm);
                        }
                    }
                    md
                }
                Item::Secret(d) => with_doc(code(&snippet(text, d.span, 200)), d.doc.as_ref()),
                Item::Policy(d) => {
                    let sig = format!(
                        "policy {} severity {} code \"{}\"",
                        d.name.name,
                        match d.severity {
                            ast::PolicySeverity::Deny => "deny",
                            ast::PolicySeverity::Warn => "warn",
                        },
                        d.code.as_plain().unwrap_or_default()
                    );
                    let md = with_doc(code(&sig), d.doc.as_ref());
                    format!("{md}\n\n*defined in `{}`*", loc_label(&i.unit.loc))
                }
                _ => return None,
            }
        }
        Resolved::Param(c, k) => {
            let comp = c.component()?;
            let p = comp.params.get(*k)?;
            let md = with_doc(code(&param_sig(&c.unit.parsed.text, p)), p.doc.as_ref());
            format!("{md}\n\n*param of component `{}`*", comp.name.name)
        }
        Resolved::Let(c, k) => {
            let comp = c.component()?;
            let l = comp.lets.get(*k)?;
            let sig = format!(
                "let {} = {}",
                l.name.name,
                snippet(&c.unit.parsed.text, l.value.span, 120)
            );
            let md = with_doc(code(&sig), l.doc.as_ref());
            format!("{md}\n\n*let of component `{}`*", comp.name.name)
        }
        Resolved::ExposePoint(c, k) => {
            let comp = c.component()?;
            let e = comp.exposes.get(*k)?;
            let md = with_doc(
                code(&snippet(&c.unit.parsed.text, e.span, 200)),
                e.doc.as_ref(),
            );
            format!("{md}\n\n*expose point of component `{}`*", comp.name.name)
        }
        Resolved::IfaceField(i, k) => {
            let d = i.interface()?;
            let f = d.fields.get(*k)?;
            format!(
                "{}\n\n*field of interface `{}`*",
                code(&format!(
                    "{}: {}",
                    f.name.name,
                    snippet(&i.unit.parsed.text, f.ty.span, 120)
                )),
                d.name.name
            )
        }
        Resolved::Field(f) => {
            let mut md = code(&format!("{}: {}", f.name, f.ty_text));
            if let Some(d) = &f.doc {
                md.push_str(&format!("\n\n{d}"));
            }
            if let Some(o) = &f.owner {
                md.push_str(&format!("\n\n*field of {o}*"));
            }
            md
        }
        Resolved::File(u) => {
            let mut md = format!("`{}`", loc_label(&u.loc));
            let defs: Vec<String> = u
                .parsed
                .module
                .items
                .iter()
                .filter_map(|i| match i {
                    Item::Component(c) => Some(format!("component `{}`", c.name.name)),
                    Item::Interface(c) => Some(format!("interface `{}`", c.name.name)),
                    _ => None,
                })
                .collect();
            if !defs.is_empty() {
                md.push_str(&format!(": {}", defs.join(", ")));
            }
            md
        }
        Resolved::Builtin(sig, doc) => format!("{}\n\n{doc}", code(sig)),
        Resolved::Local(_) => return None,
    })
}

/// The doc of an instance `expose` block's field.
pub fn expose_doc(name: &str) -> Option<(String, String)> {
    EXPOSE_FIELDS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(n, ty, doc)| (format!("{n}: {ty}"), doc.to_string()))
}
