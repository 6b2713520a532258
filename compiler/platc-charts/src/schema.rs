//! Full JSON Schema validation of values against a chart's
//! `values.schema.json`, as Helm does it before rendering.
//!
//! The `jsonschema` crate does the work (drafts 4 to 2020-12, chosen by the
//! schema's `$schema` as the crate detects it; Helm charts mostly use
//! draft-07). It is built without its HTTP and file resolvers: a schema that
//! refers to other documents does not compile, and platc never fetches.

use serde_json::Value as Json;

use crate::tree::Seg;

/// A compiled chart schema.
pub struct Schema {
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema").finish_non_exhaustive()
    }
}

/// One way in which values do not satisfy a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// Where in the values (the instance location).
    pub path: Vec<Seg>,
    /// One line saying what is wrong.
    pub message: String,
}

/// Messages longer than this leave the offending value out.
const MESSAGE_LIMIT: usize = 200;

impl Schema {
    /// Compiles a schema given as JSON text.
    pub fn parse(json: &str) -> Result<Schema, String> {
        let schema: Json =
            serde_json::from_str(json).map_err(|e| format!("the schema is not JSON: {e}"))?;
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| format!("the schema does not compile: {}", one_line(&e.to_string())))?;
        Ok(Schema { validator })
    }

    /// Every violation of the schema by `values` (a whole values tree).
    pub fn validate(&self, values: &Json) -> Vec<SchemaViolation> {
        self.validator
            .iter_errors(values)
            .map(|error| {
                let mut message = one_line(&error.to_string());
                if message.chars().count() > MESSAGE_LIMIT {
                    message = one_line(&error.masked().to_string());
                }
                SchemaViolation {
                    path: instance_path(values, error.instance_path().segments()),
                    message,
                }
            })
            .collect()
    }
}

/// The instance location as segments. The location is a JSON pointer, in
/// which a map key `"0"` and a list index `0` look alike; walking the values
/// tells them apart.
fn instance_path<'a>(
    values: &Json,
    segments: impl Iterator<Item = jsonschema::paths::LocationSegment<'a>>,
) -> Vec<Seg> {
    use jsonschema::paths::LocationSegment as L;
    let mut node = Some(values);
    let mut path = Vec::new();
    for segment in segments {
        let text = match &segment {
            L::Property(p) => p.to_string(),
            L::Index(i) => i.to_string(),
        };
        let seg = match (node, &segment) {
            (Some(Json::Array(_)), L::Index(i)) => Seg::Index(*i),
            (Some(Json::Array(_)), L::Property(p)) => match p.parse() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(text),
            },
            _ => Seg::Key(text),
        };
        node = match (&seg, node) {
            (Seg::Key(k), Some(Json::Object(map))) => map.get(k),
            (Seg::Index(i), Some(Json::Array(items))) => items.get(*i),
            _ => None,
        };
        path.push(seg);
    }
    path
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
