//! References between instances: which instance's attributes, expose blocks
//! and environment overrides name which other instance. They are the edges
//! of the platform graph; a cycle among them is an error (E0320).

use crate::HashSet;
use std::collections::{BTreeMap, BTreeSet};

use platc_diag::{Diagnostic, Sink, Span};
use platc_syntax::ast::{self, ExprKind, StrPart};

use crate::tables::{Global, Tables};

/// One reference: instance `from` names instance `to` at `span`, in the
/// value of attribute `attr` (`expose.NAME.FIELD` for expose blocks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub from: usize,
    pub to: usize,
    pub attr: String,
    pub span: Span,
}

/// Every instance named inside `e`, in source order.
fn named_instances(t: &Tables, e: &ast::Expr, out: &mut Vec<(usize, Span)>) {
    walk(t, e, &mut Vec::new(), out);
}

fn walk_str(t: &Tables, s: &ast::StringLit, bound: &mut Vec<String>, out: &mut Vec<(usize, Span)>) {
    for p in &s.parts {
        if let StrPart::Interp(x) = p {
            walk(t, x, bound, out);
        }
    }
}

/// `bound`: names of comprehension variables in scope, which shadow
/// instances.
fn walk(t: &Tables, e: &ast::Expr, bound: &mut Vec<String>, out: &mut Vec<(usize, Span)>) {
    match &e.kind {
        ExprKind::Name(n) => {
            if bound.contains(n) {
                return;
            }
            if let Some((Global::Instance(i), _)) = t.globals.get(n) {
                out.push((*i, e.span));
            }
        }
        ExprKind::Str(s) => walk_str(t, s, bound, out),
        ExprKind::List(items) => items.iter().for_each(|x| walk(t, x, bound, out)),
        ExprKind::Record(entries) => {
            for en in entries {
                if let ast::RecordKey::Computed(k) = &en.key {
                    walk_str(t, k, bound, out);
                }
                walk(t, &en.value, bound, out);
            }
        }
        ExprKind::Field(b, _) | ExprKind::Unary(_, b) => walk(t, b, bound, out),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            walk(t, a, bound, out);
            walk(t, b, bound, out);
        }
        ExprKind::Call(call) => call.args.iter().for_each(|x| walk(t, x, bound, out)),
        ExprKind::If(c, a, b) => {
            walk(t, c, bound, out);
            walk(t, a, bound, out);
            walk(t, b, bound, out);
        }
        ExprKind::Comprehension(c) => {
            walk(t, &c.source, bound, out);
            let n = bound.len();
            bound.extend(c.key_var.iter().map(|k| k.name.clone()));
            bound.push(c.var.name.clone());
            for x in c.filter.iter().chain(c.key.iter()) {
                walk(t, x, bound, out);
            }
            walk(t, &c.value, bound, out);
            bound.truncate(n);
        }
        ExprKind::Invalid(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::None
        | ExprKind::Quantity(_)
        | ExprKind::SelfRef
        | ExprKind::Platform => {}
    }
}

/// References by (instance, attribute).
pub(crate) type RefMap = BTreeMap<(usize, String), Vec<Reference>>;

/// The references written in the instances themselves, keyed by
/// (instance, attribute) so that an environment can replace them. An
/// attribute that names no instance has no entry (most of them: they are
/// literals and params).
pub(crate) fn base_references(t: &Tables) -> RefMap {
    let mut map = RefMap::new();
    for (from, (decl, _, _)) in t.instances.iter().enumerate() {
        let attrs = decl.attrs.iter().map(|a| (a.name.name.clone(), &a.value));
        let exposes = decl.exposes.iter().flat_map(|e| {
            e.attrs
                .iter()
                .map(move |a| (format!("expose.{}.{}", e.name.name, a.name.name), &a.value))
        });
        for (attr, value) in attrs.chain(exposes) {
            let mut found = Vec::new();
            named_instances(t, value, &mut found);
            if found.is_empty() {
                continue;
            }
            let refs = found
                .into_iter()
                .map(|(to, span)| Reference {
                    from,
                    to,
                    attr: attr.clone(),
                    span,
                })
                .collect();
            map.insert((from, attr), refs);
        }
    }
    map
}

/// The references of the platform under environment `env`: the base
/// references (computed once, [`Tables::base_refs`]), with each
/// overridden attribute's references replaced.
pub(crate) fn references<'t>(
    t: &'t Tables,
    env: Option<&ast::EnvironmentDecl>,
) -> std::borrow::Cow<'t, RefMap> {
    let base = t.base_refs.get_or_init(|| base_references(t));
    let Some(env) = env else {
        return std::borrow::Cow::Borrowed(base);
    };
    let mut g = base.clone();
    for o in &env.overrides {
        let (Some(head), Some(_)) = (o.target.first(), o.target.get(1)) else {
            continue;
        };
        let Some((Global::Instance(from), _)) = t.globals.get(&head.name) else {
            continue;
        };
        // `inst.attr`, or `inst.point.field` for a field of an expose block.
        let attr = match &o.target[1..] {
            [field] => field.name.clone(),
            [point, field] => format!("expose.{}.{}", point.name, field.name),
            _ => continue,
        };
        let mut found = Vec::new();
        named_instances(t, &o.value, &mut found);
        let refs = found
            .into_iter()
            .map(|(to, span)| Reference {
                from: *from,
                to,
                attr: attr.clone(),
                span,
            })
            .collect();
        g.insert((*from, attr), refs);
    }
    std::borrow::Cow::Owned(g)
}

/// Reports every cycle in the base graph and in each environment's graph
/// into `sink`. Returns the instances that lie on a cycle.
pub(crate) fn check_cycles(t: &Tables, sink: &mut Sink) -> HashSet<usize> {
    let mut on_cycle = HashSet::default();
    let mut reported: BTreeSet<Vec<usize>> = BTreeSet::new();
    let mut graphs: Vec<(Option<String>, std::borrow::Cow<RefMap>)> =
        vec![(None, references(t, None))];
    for env in &t.environments {
        graphs.push((Some(env.name.name.clone()), references(t, Some(env))));
    }
    for (env, g) in graphs {
        for cycle in find_cycles(t.instances.len(), &g) {
            let mut key: Vec<usize> = cycle.iter().map(|r| r.from).collect();
            key.sort();
            on_cycle.extend(key.iter().copied());
            if !reported.insert(key) {
                continue;
            }
            let name = |i: usize| t.instances[i].0.name.name.clone();
            let mut names: Vec<String> = cycle.iter().map(|r| name(r.from)).collect();
            names.push(name(cycle[0].from));
            let last = cycle.last().expect("a cycle has an edge");
            let mut d = Diagnostic::error(
                "E0320",
                format!(
                    "instances refer to each other in a cycle: {}",
                    names.join(" -> ")
                ),
                last.span,
            )
            .with_label(format!(
                "`{}` refers to `{}` here, closing the cycle",
                name(last.from),
                name(last.to)
            ));
            for r in &cycle[..cycle.len() - 1] {
                d = d.with_secondary(
                    r.span,
                    format!("`{}` refers to `{}` here", name(r.from), name(r.to)),
                );
            }
            if let Some(env) = &env {
                d = d.with_note(format!("with the overrides of environment `{env}`"));
            }
            d = d
                .with_note("an instance is deployed after every instance it refers to, so a cycle has no order")
                .with_help("remove one of these references");
            sink.push(d);
        }
    }
    on_cycle
}

/// Cycles of the graph, each as its edges in order, found by depth-first
/// search from each instance in declaration order (deterministic).
fn find_cycles(n: usize, g: &RefMap) -> Vec<Vec<Reference>> {
    let mut adj: Vec<Vec<&Reference>> = vec![Vec::new(); n];
    for refs in g.values() {
        for r in refs {
            adj[r.from].push(r);
        }
    }
    for edges in &mut adj {
        edges.sort_by_key(|r| (r.span.file, r.span.start));
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        White,
        Gray,
        Black,
    }
    let mut color = vec![Color::White; n];
    let mut cycles = Vec::new();
    for start in 0..n {
        if color[start] != Color::White {
            continue;
        }
        // Iterative DFS: (node, next edge index), and the edges taken.
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        let mut path: Vec<&Reference> = Vec::new();
        color[start] = Color::Gray;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(edge) = adj[node].get(*next) {
                *next += 1;
                match color[edge.to] {
                    Color::White => {
                        color[edge.to] = Color::Gray;
                        path.push(edge);
                        stack.push((edge.to, 0));
                    }
                    Color::Gray => {
                        let begin = path
                            .iter()
                            .position(|r| r.from == edge.to)
                            .unwrap_or(path.len());
                        let mut cycle: Vec<Reference> =
                            path[begin..].iter().map(|r| (*r).clone()).collect();
                        cycle.push((*edge).clone());
                        cycles.push(cycle);
                    }
                    Color::Black => {}
                }
            } else {
                color[node] = Color::Black;
                stack.pop();
                path.pop();
            }
        }
    }
    cycles
}
