//! Document symbols: the outline of a file.

use lsp_types::{DocumentSymbol, SymbolKind};
use platc_diag::Span;
use platc_syntax::ast::Item;

use crate::index::Unit;
use crate::text::Encoding;

pub fn document(unit: &Unit, enc: Encoding) -> Vec<DocumentSymbol> {
    let p = &unit.parsed;
    let range = |s: Span| {
        p.lines
            .range(&p.text, s.start as usize, s.end as usize, enc)
    };
    #[allow(deprecated)]
    let sym = |name: String,
               detail: Option<String>,
               kind: SymbolKind,
               whole: Span,
               name_span: Span,
               children: Vec<DocumentSymbol>| {
        // The selection must lie inside the whole.
        let whole = if name_span.start >= whole.start && name_span.end <= whole.end {
            whole
        } else {
            name_span
        };
        DocumentSymbol {
            name: if name.is_empty() { "_".into() } else { name },
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: range(whole),
            selection_range: range(name_span),
            children: (!children.is_empty()).then_some(children),
        }
    };
    let mut out = Vec::new();
    for item in &p.module.items {
        match item {
            Item::Platform(d) => out.push(sym(
                d.name.as_plain().unwrap_or_default(),
                Some("platform".into()),
                SymbolKind::MODULE,
                d.span,
                d.name.span,
                Vec::new(),
            )),
            Item::Component(c) => {
                let mut children = Vec::new();
                for x in &c.params {
                    let ty = p.text.get(x.ty.span.range()).unwrap_or("").to_string();
                    children.push(sym(
                        x.name.name.clone(),
                        Some(ty),
                        SymbolKind::PROPERTY,
                        x.span,
                        x.name.span,
                        Vec::new(),
                    ));
                }
                for x in &c.lets {
                    children.push(sym(
                        x.name.name.clone(),
                        Some("let".into()),
                        SymbolKind::VARIABLE,
                        x.span,
                        x.name.span,
                        Vec::new(),
                    ));
                }
                for x in &c.exposes {
                    children.push(sym(
                        x.name.name.clone(),
                        Some("expose".into()),
                        SymbolKind::INTERFACE,
                        x.span,
                        x.name.span,
                        Vec::new(),
                    ));
                }
                for x in &c.resources {
                    children.push(sym(
                        x.name.name.clone(),
                        Some(x.kind.name.clone()),
                        SymbolKind::OBJECT,
                        x.span,
                        x.name.span,
                        Vec::new(),
                    ));
                }
                out.push(sym(
                    c.name.name.clone(),
                    Some("component".into()),
                    SymbolKind::CLASS,
                    c.span,
                    c.name.span,
                    children,
                ));
            }
            Item::Interface(i) => {
                let children = i
                    .fields
                    .iter()
                    .map(|f| {
                        let ty = p.text.get(f.ty.span.range()).unwrap_or("").to_string();
                        sym(
                            f.name.name.clone(),
                            Some(ty),
                            SymbolKind::FIELD,
                            f.span,
                            f.name.span,
                            Vec::new(),
                        )
                    })
                    .collect();
                out.push(sym(
                    i.name.name.clone(),
                    Some("interface".into()),
                    SymbolKind::INTERFACE,
                    i.span,
                    i.name.span,
                    children,
                ));
            }
            Item::Instance(i) => {
                let children = i
                    .exposes
                    .iter()
                    .map(|e| {
                        sym(
                            e.name.name.clone(),
                            Some("expose".into()),
                            SymbolKind::INTERFACE,
                            e.span,
                            e.name.span,
                            Vec::new(),
                        )
                    })
                    .collect();
                out.push(sym(
                    i.name.name.clone(),
                    Some(i.component.to_string()),
                    SymbolKind::OBJECT,
                    i.span,
                    i.name.span,
                    children,
                ));
            }
            Item::Secret(s) => out.push(sym(
                s.name.name.clone(),
                Some("secret".into()),
                SymbolKind::KEY,
                s.span,
                s.name.span,
                Vec::new(),
            )),
            Item::Environment(e) => out.push(sym(
                e.name.name.clone(),
                Some("environment".into()),
                SymbolKind::NAMESPACE,
                e.span,
                e.name.span,
                Vec::new(),
            )),
            Item::Policy(x) => out.push(sym(
                x.name.name.clone(),
                x.code.as_plain(),
                SymbolKind::EVENT,
                x.span,
                x.name.span,
                Vec::new(),
            )),
            _ => {}
        }
    }
    out
}
