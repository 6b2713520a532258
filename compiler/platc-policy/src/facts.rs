//! Facts about an instance that policies read, derived from what it
//! deploys by Helm's conventions, never by chart name: the images its
//! values and objects set, its `resources` blocks, and its `persistence`
//! switches.
//!
//! The values read are those platc writes for the instance, then the
//! user's values files over them, and the bodies of its objects. The
//! chart's own defaults are not: they are fixed by the exact chart version.

use platc_sema::Instance;
use serde_json::Value as Json;

/// A `resources` block: whether it sets requests and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resources {
    pub path: String,
    pub requests: bool,
    pub limits: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// Image references, sorted, without duplicates.
    pub images: Vec<String>,
    pub resources: Vec<Resources>,
    /// `(path of the persistence block, enabled)`.
    pub persistence: Vec<(String, bool)>,
}

impl Facts {
    pub fn of(inst: &Instance, user: &[&Json]) -> Facts {
        let mut values = serde_json::Map::new();
        for (k, v) in &inst.values {
            if let Some(j) = v.to_json() {
                values.insert(k.clone(), j);
            }
        }
        let mut values = Json::Object(values);
        for u in user {
            merge(&mut values, u);
        }
        let mut f = Facts::default();
        f.walk(&values, &mut String::new(), 0);
        for r in &inst.resources {
            let body = platc_sema::Value::map(r.body.clone());
            if let Some(j) = body.to_json() {
                let mut path = format!("{}/{}", r.kind, r.object_name);
                f.walk(&j, &mut path, 0);
            }
        }
        f.images.sort();
        f.images.dedup();
        f
    }

    fn walk(&mut self, v: &Json, path: &mut String, depth: usize) {
        // Values files are bounded in depth when read (128); so are the
        // values platc writes. Stop well past that, never overflow.
        if depth > 256 {
            return;
        }
        match v {
            Json::Object(m) => {
                for (k, child) in m {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    match (k.as_str(), child) {
                        ("image", Json::String(s)) if !s.is_empty() => {
                            self.images.push(s.clone());
                        }
                        ("image", Json::Object(im)) => {
                            if let Some(image) = image_of(im) {
                                self.images.push(image);
                            }
                        }
                        // A volume claim's `resources` asks for storage: not a
                        // container's.
                        ("resources", Json::Object(r)) if !claims_storage(r) => {
                            self.resources.push(Resources {
                                path: path.clone(),
                                requests: nonempty(r.get("requests")),
                                limits: nonempty(r.get("limits")),
                            })
                        }
                        ("persistence", Json::Object(p)) => {
                            if let Some(Json::Bool(on)) = p.get("enabled") {
                                self.persistence.push((path.clone(), *on));
                            }
                        }
                        _ => {}
                    }
                    self.walk(child, path, depth + 1);
                    path.truncate(len);
                }
            }
            Json::Array(items) => {
                for (n, child) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{n}]"));
                    self.walk(child, path, depth + 1);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
}

fn claims_storage(r: &serde_json::Map<String, Json>) -> bool {
    ["requests", "limits"]
        .iter()
        .any(|k| matches!(r.get(*k), Some(Json::Object(m)) if m.contains_key("storage")))
}

fn nonempty(v: Option<&Json>) -> bool {
    match v {
        Some(Json::Object(m)) => !m.is_empty(),
        _ => false,
    }
}

fn scalar(v: Option<&Json>) -> Option<String> {
    match v? {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The reference an `image: { registry, repository, tag, digest }` map
/// sets. A map without a tag or digest leaves the chart's default one (of
/// the pinned chart version) in force: no reference of its own.
fn image_of(m: &serde_json::Map<String, Json>) -> Option<String> {
    let repository = scalar(m.get("repository")).or_else(|| scalar(m.get("name")))?;
    let tag = scalar(m.get("tag"));
    let digest = scalar(m.get("digest"));
    if tag.is_none() && digest.is_none() {
        return None;
    }
    let mut image = match scalar(m.get("registry")) {
        Some(r) => format!("{r}/{repository}"),
        None => repository,
    };
    if let Some(t) = tag {
        image.push(':');
        image.push_str(&t);
    }
    if let Some(d) = digest {
        image.push('@');
        image.push_str(&d);
    }
    Some(image)
}

/// Helm's merge of a values file over the values: maps merge key by key,
/// anything else replaces.
fn merge(base: &mut Json, over: &Json) {
    match (base, over) {
        (Json::Object(b), Json::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts(v: Json) -> Facts {
        let mut f = Facts::default();
        f.walk(&v, &mut String::new(), 0);
        f
    }

    #[test]
    fn images_in_both_forms() {
        let f = facts(json!({
            "image": { "repository": "apache/airflow", "tag": "3.0.2" },
            "sidecar": { "image": "busybox:latest" },
            "pinned": { "image": { "registry": "ghcr.io", "repository": "a/b", "digest": "sha256:00" } },
            "default": { "image": { "repository": "x/y", "tag": "" } },
        }));
        assert_eq!(
            f.images,
            vec![
                "apache/airflow:3.0.2",
                "busybox:latest",
                "ghcr.io/a/b@sha256:00"
            ]
        );
    }

    #[test]
    fn resources_and_persistence_by_path() {
        let f = facts(json!({
            "workers": { "resources": { "requests": { "cpu": "1" }, "limits": {} } },
            "jobs": [ { "resources": { "limits": { "memory": "1Gi" } } } ],
            "persistence": { "enabled": false, "size": "1Gi" },
            "claim": { "spec": { "resources": { "requests": { "storage": "1Gi" } } } },
        }));
        assert_eq!(
            f.resources,
            vec![
                Resources {
                    path: "workers.resources".into(),
                    requests: true,
                    limits: false
                },
                Resources {
                    path: "jobs[0].resources".into(),
                    requests: false,
                    limits: true
                },
            ]
        );
        assert_eq!(f.persistence, vec![("persistence".to_string(), false)]);
    }

    #[test]
    fn user_values_merge_over_platc_values() {
        let mut base = json!({ "a": { "b": 1, "c": 2 }, "l": [1] });
        merge(&mut base, &json!({ "a": { "b": 3 }, "l": [2, 3] }));
        assert_eq!(base, json!({ "a": { "b": 3, "c": 2 }, "l": [2, 3] }));
    }
}
