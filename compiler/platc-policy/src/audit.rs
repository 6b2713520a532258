//! `audit.json`: what a security reviewer reads. Every exposed endpoint of
//! the platform built, every policy with its result on the base platform
//! and each environment, and every waiver with its reason, expiry and what
//! it exempted. The schema is in `docs/audit.md` (version 1; keys are only
//! ever added).

use serde_json::{json, Value};

use platc_sema::Platform;

use crate::Evaluation;

/// The version of the document's schema.
pub const AUDIT_SCHEMA_VERSION: u32 = 1;

/// The audit document of `platform` (the platform built), given the
/// evaluations of the base platform and of every environment (`platforms`
/// and `evaluations` in the same order).
pub fn document(built: &Platform, platforms: &[&Platform], evaluations: &[&Evaluation]) -> Value {
    // The objects the platform's ingress made, by the endpoint they serve
    // (`instance.expose`), in the order of the instances.
    let mut routes: std::collections::HashMap<&str, Vec<Value>> = std::collections::HashMap::new();
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
