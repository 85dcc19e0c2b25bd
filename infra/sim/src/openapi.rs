//! The official Teamleader Focus OpenAPI spec (v1.112.0) as JSON Schema validators.
//!
//! Both sides of the Teamleader conversation are checked against the same document: the
//! simulator's responses (koppel-sim tests) and the client's requests (koppel-teamleader tests).
//! The spec is OpenAPI 3.0 written with YAML anchors instead of `$ref`, so this module
//!
//! 1. loads the YAML (anchors and aliases are resolved by the YAML parser),
//! 2. takes one operation's request or response schema,
//! 3. turns OpenAPI 3.0 into JSON Schema 2020-12: `nullable: true` becomes "or null",
//! 4. in [`Strictness::Strict`] mode forbids properties the spec does not list, and
//! 5. compiles the result with the `jsonschema` crate (format assertions on).
//!
//! Strictness uses `unevaluatedProperties: false` rather than `additionalProperties: false`,
//! because the spec splits most objects over `allOf` branches (a base object plus a branch that
//! narrows or adds properties): `additionalProperties` only sees its own branch and would
//! reject the other branch's properties, `unevaluatedProperties` sees through `allOf`, `anyOf`
//! and `oneOf`. It is placed on every schema that lists properties (itself or through those
//! combinators) except the combinator branches themselves, whose parent carries it.
//!
//! Where the spec is looked for: the file named by the `KOPPEL_OPENAPI_SPEC` environment
//! variable, else `shared/reference/teamleader-focus-openapi-1.112.0.yaml` in the folder that
//! holds this repository (the team's shared reference folder).

use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Environment variable naming the spec file, overriding the default location.
pub const SPEC_ENV: &str = "KOPPEL_OPENAPI_SPEC";

/// File name of the spec in the shared reference folder.
pub const SPEC_FILE_NAME: &str = "teamleader-focus-openapi-1.112.0.yaml";

/// Why a schema or validator could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    /// The spec file could not be read.
    #[error(
        "cannot read the Teamleader OpenAPI spec at {path}: {source}. Put {SPEC_FILE_NAME} in \
         shared/reference/ next to the repository, or set {SPEC_ENV} to its path"
    )]
    Read {
        /// Where we looked.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The spec file is not YAML we can turn into JSON.
    #[error("the Teamleader OpenAPI spec at {path} could not be parsed: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The spec has no such operation.
    #[error("the Teamleader OpenAPI spec has no operation `{0}` (write it like `invoices.list`)")]
    UnknownOperation(String),
    /// The operation documents no JSON schema for that request/response.
    #[error("operation `{operation}` documents no JSON schema for {what}")]
    NoSchema {
        /// The operation, e.g. `invoices.book`.
        operation: String,
        /// "the request" or "status 204".
        what: String,
    },
    /// The converted schema did not compile.
    #[error("the JSON Schema for `{operation}` ({what}) does not compile: {message}")]
    Compile {
        /// The operation.
        operation: String,
        /// "the request" or "status 200".
        what: String,
        /// The compiler's message.
        message: String,
    },
}

/// How closely objects are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// As the spec is written: properties it does not list are allowed.
    AsWritten,
    /// Objects whose properties the spec lists may carry no others (see the module docs).
    Strict,
}

/// The path of the spec file: `$KOPPEL_OPENAPI_SPEC`, else the shared reference folder.
pub fn spec_path() -> PathBuf {
    match std::env::var_os(SPEC_ENV) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference")
            .join(SPEC_FILE_NAME),
    }
}

static SPEC: OnceLock<Value> = OnceLock::new();

/// The whole spec as JSON, read once per process.
pub fn load_spec() -> Result<&'static Value, OpenApiError> {
    if let Some(spec) = SPEC.get() {
        return Ok(spec);
    }
    let path = spec_path();
    let text = std::fs::read_to_string(&path).map_err(|source| OpenApiError::Read {
        path: path.clone(),
        source,
    })?;
    let spec: Value = serde_norway::from_str(&text).map_err(|e| OpenApiError::Parse {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok(SPEC.get_or_init(|| spec))
}

/// The `post` object of an operation; `operation` is `invoices.list` or `/invoices.list`.
fn operation_object(operation: &str) -> Result<&'static Value, OpenApiError> {
    let spec = load_spec()?;
    let key = format!("/{}", operation.trim_start_matches('/'));
    spec.get("paths")
        .and_then(|paths| paths.get(&key))
        .and_then(|path| path.get("post"))
        .ok_or_else(|| OpenApiError::UnknownOperation(operation.to_owned()))
}

/// The JSON Schema of an operation's request body.
///
/// An operation without a documented body (such as `users.me`) gets a schema accepting only
/// an empty object, which is what a client should send.
pub fn request_schema(operation: &str, strictness: Strictness) -> Result<Value, OpenApiError> {
    let op = operation_object(operation)?;
    match op.get("requestBody") {
        None => Ok(json!({"type": "object", "maxProperties": 0})),
        Some(body) => body
            .pointer("/content/application~1json/schema")
            .map(|schema| to_json_schema(schema, strictness))
            .ok_or_else(|| OpenApiError::NoSchema {
                operation: operation.to_owned(),
                what: "the request".to_owned(),
            }),
    }
}

/// The JSON Schema of an operation's response body for an HTTP status.
pub fn response_schema(
    operation: &str,
    status: u16,
    strictness: Strictness,
) -> Result<Value, OpenApiError> {
    let op = operation_object(operation)?;
    op.get("responses")
        .and_then(|responses| responses.get(status.to_string()))
        .and_then(|response| response.pointer("/content/application~1json/schema"))
        .map(|schema| to_json_schema(schema, strictness))
        .ok_or_else(|| OpenApiError::NoSchema {
            operation: operation.to_owned(),
            what: format!("status {status}"),
        })
}

/// The HTTP statuses an operation documents a response for (e.g. `[204]` for `invoices.book`).
pub fn documented_statuses(operation: &str) -> Result<Vec<u16>, OpenApiError> {
    let op = operation_object(operation)?;
    Ok(op
        .get("responses")
        .and_then(Value::as_object)
        .map(|responses| responses.keys().filter_map(|k| k.parse().ok()).collect())
        .unwrap_or_default())
}

/// Compile a converted schema (JSON Schema 2020-12, format assertions on).
pub fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// A strict validator for an operation's request body. For tests: panics with the reason
/// (spec not found, unknown operation) so a misconfigured checkout fails loudly.
pub fn request_validator(operation: &str) -> jsonschema::Validator {
    try_request_validator(operation, Strictness::Strict).unwrap_or_else(|e| panic!("{e}"))
}

/// A strict validator for an operation's response body with the given status (200, 201).
/// For tests: panics with the reason, like [`request_validator`].
pub fn response_validator(operation: &str, status: u16) -> jsonschema::Validator {
    try_response_validator(operation, status, Strictness::Strict).unwrap_or_else(|e| panic!("{e}"))
}

/// A validator for an operation's request body, reporting problems as errors.
pub fn try_request_validator(
    operation: &str,
    strictness: Strictness,
) -> Result<jsonschema::Validator, OpenApiError> {
    let schema = request_schema(operation, strictness)?;
    compile(&schema).map_err(|message| OpenApiError::Compile {
        operation: operation.to_owned(),
        what: "the request".to_owned(),
        message,
    })
}

/// A validator for an operation's response body, reporting problems as errors.
pub fn try_response_validator(
    operation: &str,
    status: u16,
    strictness: Strictness,
) -> Result<jsonschema::Validator, OpenApiError> {
    let schema = response_schema(operation, status, strictness)?;
    compile(&schema).map_err(|message| OpenApiError::Compile {
        operation: operation.to_owned(),
        what: format!("status {status}"),
        message,
    })
}

/// Every way `instance` breaks the schema, one line each (`at /data/0/id: …`); empty when it
/// conforms.
pub fn violations(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|error| {
            let at = error.instance_path().to_string();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            format!("at {at}: {error}")
        })
        .collect()
}

/// Panic with every violation when `instance` does not conform; `what` names the document in
/// the message (e.g. "invoices.info response").
pub fn assert_conforms(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let found = violations(validator, instance);
    assert!(
        found.is_empty(),
        "{what} does not conform to the Teamleader OpenAPI spec:\n  {}\ndocument: {}",
        found.join("\n  "),
        serde_json::to_string_pretty(instance).unwrap_or_default()
    );
}

/// Convert an OpenAPI 3.0 schema object into JSON Schema 2020-12 (see the module docs).
pub fn to_json_schema(schema: &Value, strictness: Strictness) -> Value {
    convert(schema, strictness, false)
}

/// Whether a schema lists properties, itself or through its combinator branches.
fn lists_properties(schema: &Value) -> bool {
    let Some(object) = schema.as_object() else {
        return false;
    };
    object.contains_key("properties")
        || ["allOf", "anyOf", "oneOf"].iter().any(|key| {
            object
                .get(*key)
                .and_then(Value::as_array)
                .is_some_and(|branches| branches.iter().any(lists_properties))
        })
}

/// Keywords whose value is a single subschema.
const SUBSCHEMA_KEYWORDS: [&str; 4] = ["items", "additionalProperties", "not", "contains"];
/// Keywords whose value is a list of subschemas that apply to the same instance.
const COMBINATOR_KEYWORDS: [&str; 3] = ["allOf", "anyOf", "oneOf"];

/// `branch` is true for a direct subschema of allOf/anyOf/oneOf: its parent carries the
/// strictness marker so that the properties of sibling branches count as known.
fn convert(schema: &Value, strictness: Strictness, branch: bool) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    let mut out = Map::new();
    let mut nullable = false;
    for (key, value) in object {
        match key.as_str() {
            "nullable" => nullable = value.as_bool() == Some(true),
            // Documentation only; `example` is not a 2020-12 keyword and some are huge.
            "example" | "examples" => {}
            "properties" => {
                let properties = value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(name, sub)| (name.clone(), convert(sub, strictness, false)))
                            .collect::<Map<String, Value>>()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(properties));
            }
            k if SUBSCHEMA_KEYWORDS.contains(&k) && value.is_object() => {
                out.insert(key.clone(), convert(value, strictness, false));
            }
            k if COMBINATOR_KEYWORDS.contains(&k) => {
                let branches = value
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .map(|sub| convert(sub, strictness, true))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(branches));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if strictness == Strictness::Strict
        && !branch
        && lists_properties(schema)
        && !object.contains_key("additionalProperties")
    {
        out.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
    }
    let converted = Value::Object(out);
    if nullable {
        // OpenAPI 3.0 `nullable: true`: the value may also be null. A wrapper (rather than
        // adding "null" to `type`) also covers schemas whose `allOf` branches restate the type.
        json!({"anyOf": [{"type": "null"}, converted]})
    } else {
        converted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_becomes_or_null_and_strict_rejects_unknown_properties() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "nullable": true},
                "ref": {"type": "object", "nullable": true, "allOf": [
                    {"type": "object", "properties": {"id": {"type": "string"}}},
                    {"properties": {"type": {"type": "string", "enum": ["company"]}}}
                ]}
            }
        });
        let validator = compile(&to_json_schema(&schema, Strictness::Strict)).unwrap();
        assert!(validator.is_valid(&json!({"name": null, "ref": null})));
        assert!(validator.is_valid(&json!({"name": "x", "ref": {"id": "1", "type": "company"}})));
        assert!(!validator.is_valid(&json!({"name": 3})));
        assert!(!validator.is_valid(&json!({"extra": 1})));
        assert!(!validator.is_valid(&json!({"ref": {"id": "1", "other": 2}})));
        assert!(!validator.is_valid(&json!({"ref": {"type": "contact"}})));

        let loose = compile(&to_json_schema(&schema, Strictness::AsWritten)).unwrap();
        assert!(loose.is_valid(&json!({"extra": 1, "ref": {"other": 2}})));
    }

    #[test]
    fn the_spec_loads_with_its_anchors_resolved_and_every_served_schema_compiles() {
        // `account` in users.me is written with an alias (`properties: *ref_1`).
        let schema = response_schema("users.me", 200, Strictness::AsWritten).unwrap();
        let text = schema.to_string();
        assert!(
            text.contains("\"account\""),
            "users.me response lost its account"
        );
        let validator = response_validator("users.me", 200);
        assert!(!validator.is_valid(&json!({"data": {"account": {"type": "account", "id": 1}}})));
        assert!(validator.is_valid(&json!({"data": {"account": {"type": "account", "id": "a"}}})));
        for operation in [
            "invoices.list",
            "invoices.info",
            "creditNotes.info",
            "companies.info",
        ] {
            response_validator(operation, 200);
            request_validator(operation);
        }
        assert!(matches!(
            response_schema("invoices.book", 204, Strictness::Strict),
            Err(OpenApiError::NoSchema { .. })
        ));
        assert!(matches!(
            request_schema("nothing.here", Strictness::Strict),
            Err(OpenApiError::UnknownOperation(_))
        ));
    }

    #[test]
    fn objects_without_listed_properties_stay_open() {
        let schema = json!({"type": "object", "properties": {"free": {"type": "object"}}});
        let validator = compile(&to_json_schema(&schema, Strictness::Strict)).unwrap();
        assert!(validator.is_valid(&json!({"free": {"anything": true}})));
    }
}
