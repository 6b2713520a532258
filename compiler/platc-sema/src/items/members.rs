//! A component's `let`s and param defaults: their names, the order in which
//! the lets are typed, and cycles among them (E0323).

use crate::HashMap;

use platc_diag::Diagnostic;
use platc_syntax::ast;

use crate::analyze::Checker;
use crate::expr::{free_names, Ctx};
use crate::types::Ty;

/// A member that may be computed from others: a `let`, or a param default.
#[derive(Clone, Copy, PartialEq)]
enum Member {
    Let(usize),
    Default(usize),
}

impl Checker<'_> {
    /// Types the lets of `decl` in dependency order and adds them to `ctx`
    /// (after the params). Reports lets that repeat a name (E0202) and
    /// cycles among lets and defaults (E0323); a let on a cycle has an
    /// unknown type.
    pub(crate) fn check_lets(&mut self, decl: &ast::ComponentDecl, ctx: &mut Ctx) {
        let mut index: HashMap<&str, Member> = HashMap::default();
        for (i, p) in decl.params.iter().enumerate() {
            if p.default.is_some() {
                index.insert(&p.name.name, Member::Default(i));
            }
        }
        let mut lets_ok = vec![true; decl.lets.len()];
        for (i, l) in decl.lets.iter().enumerate() {
            if let Some(p) = decl.params.iter().find(|p| p.name.name == l.name.name) {
                self.duplicate(&l.name, p.name.span);
                lets_ok[i] = false;
            } else if let Some(prev) = decl.lets[..i].iter().find(|p| p.name.name == l.name.name) {
                self.duplicate(&l.name, prev.name.span);
                lets_ok[i] = false;
            } else {
                index.insert(&l.name.name, Member::Let(i));
            }
        }
        let expr_of = |m: Member| match m {
            Member::Let(i) => &decl.lets[i].value,
            Member::Default(i) => decl.params[i].default.as_ref().unwrap(),
        };
        let ident_of = |m: Member| match m {
            Member::Let(i) => &decl.lets[i].name,
            Member::Default(i) => &decl.params[i].name,
        };
        let deps = |m: Member| -> Vec<Member> {
            let mut names = Vec::new();
            free_names(expr_of(m), &mut names);
            let mut out: Vec<Member> = Vec::new();
            for n in names {
                if let Some(d) = index.get(n.as_str()) {
                    if !out.contains(d) {
                        out.push(*d);
                    }
                }
            }
            out
        };
        // Depth-first search in source order: lets are typed once all they
        // read is typed; a back edge closes a cycle.
        let mut members: Vec<Member> = (0..decl.params.len())
            .filter(|i| decl.params[*i].default.is_some())
            .map(Member::Default)
            .collect();
        members.extend(
            (0..decl.lets.len())
                .filter(|i| lets_ok[*i])
                .map(Member::Let),
        );
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            New,
            Active,
            Done,
        }
        let key = |m: Member| match m {
            Member::Default(i) => i,
            Member::Let(i) => decl.params.len() + i,
        };
        let mut state = vec![State::New; decl.params.len() + decl.lets.len()];
        let mut on_cycle = vec![false; state.len()];
        let mut order: Vec<Member> = Vec::new();
        let mut reported: Vec<Vec<usize>> = Vec::new();
        for &start in &members {
            if state[key(start)] != State::New {
                continue;
            }
            // Iterative DFS: (member, its deps, next dep to visit).
            let mut stack: Vec<(Member, Vec<Member>, usize)> = vec![(start, deps(start), 0)];
            state[key(start)] = State::Active;
            while let Some((m, ds, next)) = stack.last_mut() {
                if *next < ds.len() {
                    let d = ds[*next];
                    *next += 1;
                    match state[key(d)] {
                        State::New => {
                            state[key(d)] = State::Active;
                            let dd = deps(d);
                            stack.push((d, dd, 0));
                        }
                        State::Active => {
                            let from = stack.iter().position(|(x, _, _)| *x == d).unwrap();
                            let cycle: Vec<Member> =
                                stack[from..].iter().map(|(x, _, _)| *x).collect();
                            let mut keys: Vec<usize> = cycle.iter().map(|m| key(*m)).collect();
                            for k in &keys {
                                on_cycle[*k] = true;
                            }
                            keys.sort_unstable();
                            if !reported.contains(&keys) {
                                reported.push(keys);
                                self.report_definition_cycle(
                                    &cycle.iter().map(|m| ident_of(*m)).collect::<Vec<_>>(),
                                );
                            }
                        }
                        State::Done => {}
                    }
                } else {
                    let m = *m;
                    state[key(m)] = State::Done;
                    order.push(m);
                    stack.pop();
                }
            }
        }
        for m in order {
            let Member::Let(i) = m else { continue };
            let l = &decl.lets[i];
            let t = if on_cycle[key(m)] {
                Ty::Unknown
            } else {
                let t = self.infer(&l.value, ctx);
                if t == Ty::NoneLit {
                    Ty::Unknown
                } else {
                    t
                }
            };
            ctx.locals.push((l.name.name.clone(), t));
        }
    }

    fn report_definition_cycle(&mut self, cycle: &[&ast::Ident]) {
        let names: Vec<String> = cycle
            .iter()
            .map(|i| i.name.clone())
            .chain(std::iter::once(cycle[0].name.clone()))
            .collect();
        let mut d = Diagnostic::error(
            "E0323",
            format!(
                "definitions depend on each other in a cycle: {}",
                names.join(" -> ")
            ),
            cycle[0].span,
        )
        .with_label(format!("`{}` uses `{}`", names[0], names[1]));
        for k in 1..cycle.len() {
            d = d.with_secondary(
                cycle[k].span,
                format!("`{}` uses `{}`", names[k], names[k + 1]),
            );
        }
        self.err(d.with_help("compute one of them from params or literals only"));
    }
}
