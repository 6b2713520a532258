//! The objects the platform writes are distinct: Kubernetes knows an object
//! by its group, kind, namespace and name, and a second one with the same
//! identity would replace the first, or fail the deployment (E0330).

use crate::HashSet;

use platc_diag::Diagnostic;

use super::{Evaluator, FastMap};

impl Evaluator<'_, '_> {
    /// Reports every object whose identity an earlier one has already.
    pub(super) fn distinct_objects(&mut self, instances: &[crate::Instance]) {
        // (Tens of thousands of objects on a large platform: a fast hash.)
        let mut seen: FastMap<Identity, (&crate::Instance, &crate::Resource)> =
            FastMap::with_capacity_and_hasher(
                instances.iter().map(|i| i.resources.len()).sum(),
                Default::default(),
            );
        // Once per instance and resource: a fan-out over a long list has
        // one mistake, not one per element.
        let mut reported: HashSet<(&str, &str)> = HashSet::default();
        for inst in instances {
            for r in &inst.resources {
                let group = r.api_version.rsplit_once('/').map_or("", |(g, _)| g);
                let id = (
                    group,
                    r.kind.as_str(),
                    r.namespace.as_deref(),
                    r.object_name.as_str(),
                );
                let Some((first_inst, first)) = seen.get(&id).copied() else {
                    seen.insert(id, (inst, r));
                    continue;
                };
                if !reported.insert((&inst.name, &r.name)) {
                    continue;
                }
                let place = match &r.namespace {
                    Some(ns) => format!("`{}` in namespace `{ns}`", r.object_name),
                    None => format!("`{}`", r.object_name),
                };
                let mut d = Diagnostic::error(
                    "E0330",
                    format!("two {} objects are named {place}", r.kind),
                    inst.span,
                )
                .with_label(format!(
                    "`{}` makes {place}{}",
                    inst.name,
                    made_for(r)
                ));
                if first_inst.name != inst.name {
                    d = d.with_secondary(
                        first_inst.span,
                        format!("`{}` makes it too{}", first_inst.name, made_for(first)),
                    );
                }
                let named = if first.span == r.span && r.each.is_some() {
                    format!(
                        "the resource `{}` makes an object per element, and gives two the same name",
                        r.name
                    )
                } else {
                    format!("the resource `{}` names it", r.name)
                };
                d = d.with_secondary(r.span, named);
                if first.span != r.span {
                    d = d.with_secondary(first.span, format!("and the resource `{}`", first.name));
                }
                self.diagnostics.push(d.with_help(
                    "give each object its own name: set `metadata.name` from what the object is made for (the `for` variable, `route.object_name`)",
                ));
            }
        }
    }
}

/// An object's identity: API group, kind, namespace and name.
type Identity<'a> = (&'a str, &'a str, Option<&'a str>, &'a str);

/// What a resource's object was made for, when it is made more than once.
fn made_for(r: &crate::Resource) -> String {
    match (&r.route, &r.each) {
        (Some(endpoint), _) => format!(", for endpoint `{endpoint}`"),
        (None, Some(key)) if *key != r.object_name => format!(", for `{key}`"),
        _ => String::new(),
    }
}
