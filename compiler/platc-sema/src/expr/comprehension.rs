//! Comprehensions: `[for x in xs if c: body]` and `{for k, v in m: key = value}`.

use platc_diag::Diagnostic;
use platc_syntax::ast;

use super::Ctx;
use crate::analyze::Checker;
use crate::types::{Mismatch, Ty};

impl Checker<'_> {
    pub(super) fn infer_comprehension(&mut self, c: &ast::Comprehension, ctx: &Ctx) -> Ty {
        let source = self.infer(&c.source, ctx);
        let (index_ty, elem) = match source.base() {
            Ty::List(e) => (Ty::Int, (**e).clone()),
            Ty::Map(e) => (Ty::String, (**e).clone()),
            Ty::Record(fs) if fs.is_empty() => (Ty::String, Ty::Unknown),
            Ty::Record(fs) => {
                let mut elem = Ty::Unknown;
                for (_, t) in fs {
                    elem = crate::types::common(&elem, t, &self.tables).unwrap_or(Ty::Data);
                }
                (Ty::String, elem)
            }
            Ty::Unknown => (Ty::Unknown, Ty::Unknown),
            Ty::Optional(_) => {
                self.report_mismatch(
                    &c.source,
                    &source,
                    &Ty::List(Box::new(Ty::Unknown)),
                    Mismatch::PossiblyNone,
                );
                (Ty::Unknown, Ty::Unknown)
            }
            other => {
                let t = self.ty(other);
                self.err(
                    Diagnostic::error(
                        "E0301",
                        format!("`for` needs a list or a map to go through, found `{t}`"),
                        c.source.span,
                    )
                    .with_label("not a list or map"),
                );
                (Ty::Unknown, Ty::Unknown)
            }
        };
        let mut inner = ctx.clone();
        if let Some(k) = &c.key_var {
            if k.name == c.var.name {
                self.duplicate(&c.var, k.span);
            }
            inner.locals.push((k.name.clone(), index_ty));
        }
        inner.locals.push((c.var.name.clone(), elem));
        if let Some(f) = &c.filter {
            self.check_expr(f, &Ty::Bool, &inner);
            let (pos, _) = super::narrowings(f);
            self.narrow(&mut inner, &pos);
        }
        let value = self.infer(&c.value, &inner);
        match &c.key {
            None => Ty::List(Box::new(value)),
            Some(key) => {
                self.check_expr(key, &Ty::String, &inner);
                Ty::Map(Box::new(value))
            }
        }
    }
}
