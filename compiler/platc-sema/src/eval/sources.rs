//! Where each Helm value of a component comes from: the key path each
//! values statement writes, the statement's span, and the parameters that
//! decide it. Later stages locate a problem with a generated value at the
//! statement that wrote it, and recognise a user's values file overriding
//! what a typed parameter controls.

use crate::{HashMap, HashSet};

use platc_syntax::ast::{self, KeyKind, ValueStmt};

use crate::ValueSource;

/// The sources of a component's values blocks, in source order.
pub(super) fn value_sources(c: &ast::ComponentDecl) -> Vec<ValueSource> {
    let params: HashSet<&str> = c.params.iter().map(|p| p.name.name.as_str()).collect();
    // What each let reads, to see through lets to the params behind them.
    let lets: HashMap<&str, &ast::Expr> = c
        .lets
        .iter()
        .map(|l| (l.name.name.as_str(), &l.value))
        .collect();
    let resolver = Resolver { params, lets };
    let mut out = Vec::new();
    for block in &c.values {
        walk(&block.stmts, &resolver, &mut Vec::new(), &mut out);
    }
    out
}

struct Resolver<'a> {
    params: HashSet<&'a str>,
    lets: HashMap<&'a str, &'a ast::Expr>,
}

impl Resolver<'_> {
    /// The params `e` reads, directly or through lets, sorted.
    fn params_of(&self, e: &ast::Expr, out: &mut Vec<String>) {
        let mut names = Vec::new();
        crate::expr::free_names(e, &mut names);
        let mut seen: HashSet<String> = HashSet::default();
        while let Some(n) = names.pop() {
            if !seen.insert(n.clone()) {
                continue;
            }
            if self.params.contains(n.as_str()) {
                out.push(n);
            } else if let Some(v) = self.lets.get(n.as_str()) {
                crate::expr::free_names(v, &mut names);
            }
        }
        out.sort();
        out.dedup();
    }
}

fn walk(stmts: &[ValueStmt], r: &Resolver, conds: &mut Vec<String>, out: &mut Vec<ValueSource>) {
    for stmt in stmts {
        match stmt {
            ValueStmt::Assign { path, value, span } => {
                // The fixed prefix of the path: up to the first computed key
                // or list index.
                let prefix: Vec<String> = path
                    .iter()
                    .map_while(|seg| match &seg.kind {
                        KeyKind::Name(n) => Some(n.to_string()),
                        KeyKind::Computed(_) | KeyKind::Index(_) => None,
                    })
                    .collect();
                let mut params = conds.clone();
                r.params_of(value, &mut params);
                params.sort();
                params.dedup();
                out.push(ValueSource {
                    path: prefix,
                    exact: path.iter().all(|s| matches!(s.kind, KeyKind::Name(_))),
                    span: *span,
                    params,
                });
            }
            ValueStmt::If {
                cond,
                then,
                otherwise,
                ..
            } => {
                let n = conds.len();
                let mut read = Vec::new();
                r.params_of(cond, &mut read);
                conds.extend(read);
                walk(then, r, conds, out);
                walk(otherwise, r, conds, out);
                conds.truncate(n);
            }
        }
    }
}
