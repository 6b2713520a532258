//! `audit.json`: what a security reviewer reads. Every exposed endpoint of
//! the platform built, every policy with its result on the base platform
//! and each environment, and every waiver with its reason, expiry and what
//! it exempted. The schema is in `docs/audit.md` (version 1; keys are only
//! ever added).

use serde_json::Value;

use platc_sema::Platform;

use crate::Evaluation;

/// The version of the document's schema.
pub const AUDIT_SCHEMA_VERSION: u32 = 1;

/// The audit document of `platform` (the platform built), given the
/// evaluations of the base platform and of every environment (`platforms`
/// and `evaluations` in the same order).
///
/// Every object is built by moving its values in, key by key in the order
/// of the schema: `json!` with a list or an object in it serializes it
/// into a copy (the whole list of endpoints, once), and drops the original.
pub fn document(built: &Platform, platforms: &[&Platform], evaluations: &[&Evaluation]) -> Value {
    // The objects the platform's ingress made, by the endpoint they serve
    // (`instance.expose`), in the order of the instances.
    let mut routes: std::collections::HashMap<&str, Vec<Value>> = std::collections::HashMap::new();
    for s in &built.instances {
        for r in &s.resources {
            if let Some(key) = r.route.as_deref() {
                routes.entry(key).or_default().push(object([
                    ("instance", text(&s.name)),
                    ("kind", text(&r.kind)),
                    ("api_version", text(&r.api_version)),
                    ("name", text(&r.object_name)),
                ]));
            }
        }
    }
    // Each endpoint's routes are moved into it, not copied: an endpoint is
    // named once (`instance.expose` is unique in a checked platform).
    let mut endpoints: Vec<Value> = Vec::new();
    let mut key = String::new();
    for i in &built.instances {
        for e in &i.exposes {
            key.clear();
            key.push_str(&i.name);
            key.push('.');
            key.push_str(&e.name);
            let served_by = routes.remove(key.as_str()).unwrap_or_default();
            let scheme = if e.tls { "https" } else { "http" };
            let mut url = String::with_capacity(scheme.len() + 3 + e.host.len() + e.path.len());
            url.push_str(scheme);
            url.push_str("://");
            url.push_str(&e.host);
            url.push_str(&e.path);
            endpoints.push(object([
                ("instance", text(&i.name)),
                ("endpoint", text(&e.name)),
                ("namespace", text(&i.namespace)),
                ("component", text(&i.component)),
                ("host", text(&e.host)),
                ("path", text(&e.path)),
                ("url", Value::String(url)),
                ("auth", optional(e.auth.as_deref())),
                ("tls", Value::Bool(e.tls)),
                ("audit", Value::Bool(e.audit)),
                ("public", Value::Bool(e.public)),
                ("service", text(&e.service)),
                ("port", Value::from(e.port)),
                ("served_by", Value::Array(served_by)),
            ]));
        }
    }
    let env_name = |e: &Evaluation| optional(e.environment.as_deref());
    // A finding as the policies' results list it.
    let finding = |f: &crate::Finding| {
        object([
            ("subject", Value::String(f.subject.to_string())),
            ("kind", text(f.subject.kind())),
            ("message", text(&f.message)),
        ])
    };
    let policies: Vec<Value> = built
        .policies
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            let results: Vec<Value> = platforms
                .iter()
                .zip(evaluations)
                .map(|(pl, ev)| {
                    let mine: Vec<&crate::Finding> =
                        ev.findings.iter().filter(|f| f.policy == pi).collect();
                    let failed = mine.iter().filter(|f| f.waived_by.is_none()).count();
                    let waived = mine.len() - failed;
                    let status = if !p.active(pl) {
                        "off"
                    } else if failed > 0 {
                        "fail"
                    } else if waived > 0 {
                        "waived"
                    } else {
                        "pass"
                    };
                    object([
                        ("environment", env_name(ev)),
                        ("status", text(status)),
                        (
                            "failures",
                            mine.iter()
                                .filter(|f| f.waived_by.is_none())
                                .map(|f| finding(f))
                                .collect(),
                        ),
                        (
                            "waived",
                            mine.iter()
                                .filter(|f| f.waived_by.is_some())
                                .map(|f| finding(f))
                                .collect(),
                        ),
                    ])
                })
                .collect();
            object([
                ("code", text(&p.code)),
                ("name", text(&p.name)),
                ("severity", text(p.severity.as_str())),
                ("pack", optional(p.pack.as_deref())),
                ("description", optional(p.doc.as_deref())),
                ("results", Value::Array(results)),
            ])
        })
        .collect();
    // The findings each waiver matched, in the order of the evaluations
    // (one pass over them, not one per waiver).
    let mut matched_by: Vec<Vec<Value>> = vec![Vec::new(); built.waivers.len()];
    for ev in evaluations {
        for f in &ev.findings {
            if let Some(matched) = f.waived_by.and_then(|wi| matched_by.get_mut(wi)) {
                matched.push(object([
                    ("environment", env_name(ev)),
                    ("subject", Value::String(f.subject.to_string())),
                    ("message", text(&f.message)),
                ]));
            }
        }
    }
    let waivers: Vec<Value> = built
        .waivers
        .iter()
        .zip(matched_by)
        .map(|(w, matched)| {
            object([
                ("policy", text(&w.policy)),
                ("target", Value::String(w.target.to_string())),
                ("reason", text(&w.reason)),
                (
                    "until",
                    w.until
                        .map_or(Value::Null, |d| Value::String(d.to_string())),
                ),
                ("expired", Value::Bool(w.expired)),
                ("matched", Value::Array(matched)),
            ])
        })
        .collect();
    object([
        ("version", Value::from(AUDIT_SCHEMA_VERSION)),
        ("platform", text(&built.name)),
        ("environment", optional(built.environment.as_deref())),
        ("domain", optional(built.domain.as_deref())),
        ("endpoints", Value::Array(endpoints)),
        ("policies", Value::Array(policies)),
        ("waivers", Value::Array(waivers)),
    ])
}

/// An object of `entries`, in their order (their keys distinct).
fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    let mut m = serde_json::Map::with_capacity(N);
    for (k, v) in entries {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

fn optional(s: Option<&str>) -> Value {
    s.map_or(Value::Null, text)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use platc_sema::Platform;

    use super::AUDIT_SCHEMA_VERSION;
    use crate::Evaluation;

    /// The document as `json!` builds it (copying what it nests): what
    /// [`super::document`] must give.
    fn reference(built: &Platform, platforms: &[&Platform], evaluations: &[&Evaluation]) -> Value {
        // The objects the platform's ingress made, by the endpoint they serve
        // (`instance.expose`), in the order of the instances.
        let mut routes: std::collections::HashMap<&str, Vec<Value>> =
            std::collections::HashMap::new();
        for s in &built.instances {
            for r in &s.resources {
                if let Some(key) = r.route.as_deref() {
                    routes.entry(key).or_default().push(json!({
                        "instance": s.name,
                        "kind": r.kind,
                        "api_version": r.api_version,
                        "name": r.object_name,
                    }));
                }
            }
        }
        // Each endpoint's routes are moved into it, not copied: an endpoint is
        // named once (`instance.expose` is unique in a checked platform).
        let mut endpoints: Vec<Value> = Vec::new();
        for i in &built.instances {
            for e in &i.exposes {
                let key = format!("{}.{}", i.name, e.name);
                let served_by = routes.remove(key.as_str()).unwrap_or_default();
                let mut endpoint = json!({
                    "instance": i.name,
                    "endpoint": e.name,
                    "namespace": i.namespace,
                    "component": i.component,
                    "host": e.host,
                    "path": e.path,
                    "url": format!("{}://{}{}", if e.tls { "https" } else { "http" }, e.host, e.path),
                    "auth": e.auth,
                    "tls": e.tls,
                    "audit": e.audit,
                    "public": e.public,
                    "service": e.service,
                    "port": e.port,
                });
                // Moved in last (`json!` would copy the list through serde).
                endpoint
                    .as_object_mut()
                    .expect("an object")
                    .insert("served_by".into(), Value::Array(served_by));
                endpoints.push(endpoint);
            }
        }
        let env_name = |e: &Evaluation| e.environment.clone();
        let policies: Vec<Value> = built
            .policies
            .iter()
            .enumerate()
            .map(|(pi, p)| {
                let results: Vec<Value> = platforms
                    .iter()
                    .zip(evaluations)
                    .map(|(pl, ev)| {
                        let mine: Vec<&crate::Finding> =
                            ev.findings.iter().filter(|f| f.policy == pi).collect();
                        let failed = mine.iter().filter(|f| f.waived_by.is_none()).count();
                        let waived = mine.len() - failed;
                        let status = if !p.active(pl) {
                            "off"
                        } else if failed > 0 {
                            "fail"
                        } else if waived > 0 {
                            "waived"
                        } else {
                            "pass"
                        };
                        json!({
                            "environment": env_name(ev),
                            "status": status,
                            "failures": mine
                                .iter()
                                .filter(|f| f.waived_by.is_none())
                                .map(|f| json!({ "subject": f.subject.to_string(), "kind": f.subject.kind(), "message": f.message }))
                                .collect::<Vec<_>>(),
                            "waived": mine
                                .iter()
                                .filter(|f| f.waived_by.is_some())
                                .map(|f| json!({ "subject": f.subject.to_string(), "kind": f.subject.kind(), "message": f.message }))
                                .collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                json!({
                    "code": p.code,
                    "name": p.name,
                    "severity": p.severity.as_str(),
                    "pack": p.pack,
                    "description": p.doc,
                    "results": results,
                })
            })
            .collect();
        // The findings each waiver matched, in the order of the evaluations
        // (one pass over them, not one per waiver).
        let mut matched_by: Vec<Vec<Value>> = vec![Vec::new(); built.waivers.len()];
        for ev in evaluations {
            for f in &ev.findings {
                if let Some(matched) = f.waived_by.and_then(|wi| matched_by.get_mut(wi)) {
                    matched.push(json!({
                        "environment": env_name(ev),
                        "subject": f.subject.to_string(),
                        "message": f.message,
                    }));
                }
            }
        }
        let waivers: Vec<Value> = built
            .waivers
            .iter()
            .zip(matched_by)
            .map(|(w, matched)| {
                let mut waiver = json!({
                    "policy": w.policy,
                    "target": w.target.to_string(),
                    "reason": w.reason,
                    "until": w.until.map(|d| d.to_string()),
                    "expired": w.expired,
                });
                waiver
                    .as_object_mut()
                    .expect("an object")
                    .insert("matched".into(), Value::Array(matched));
                waiver
            })
            .collect();
        json!({
            "version": AUDIT_SCHEMA_VERSION,
            "platform": built.name,
            "environment": built.environment,
            "domain": built.domain,
            "endpoints": endpoints,
            "policies": policies,
            "waivers": waivers,
        })
    }

    /// The document built by moving values in is the one `json!` builds,
    /// key for key and in the same order, for every example (endpoints
    /// with routes, failures, waivers that matched and expired ones, and
    /// environments).
    #[test]
    fn the_document_is_the_one_json_builds() {
        let (mut routes, mut failures, mut matched, mut environments) = (0, 0, 0, 0);
        for (dir, c) in crate::example_checks() {
            let Some(built) = c.platform.as_ref() else {
                continue;
            };
            let platforms = c.platforms();
            // Evaluated here (the driver's are of its own build of this
            // crate), without values files.
            let none = |_: &platc_sema::Instance| Vec::new();
            let owned: Vec<Evaluation> = platforms
                .iter()
                .map(|p| crate::evaluate(p, &platc_graph::build(p).expect("no cycle"), &none))
                .collect();
            let evaluations: Vec<&Evaluation> = owned.iter().collect();
            let fast = super::document(built, &platforms, &evaluations);
            let slow = reference(built, &platforms, &evaluations);
            assert_eq!(
                serde_json::to_string_pretty(&fast).unwrap(),
                serde_json::to_string_pretty(&slow).unwrap(),
                "{}",
                dir.display()
            );
            let count = |v: &Value| v.as_array().map_or(0, Vec::len);
            routes += fast["endpoints"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| count(&e["served_by"]))
                .sum::<usize>();
            for p in fast["policies"].as_array().unwrap() {
                for r in p["results"].as_array().unwrap() {
                    failures += count(&r["failures"]) + count(&r["waived"]);
                    environments += usize::from(!r["environment"].is_null());
                }
            }
            matched += fast["waivers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| count(&w["matched"]))
                .sum::<usize>();
        }
        assert!(routes > 0 && failures > 0 && matched > 0 && environments > 0);
    }
}
