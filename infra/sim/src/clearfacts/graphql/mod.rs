//! Clearfacts' GraphQL endpoint: the request forms (`http`), the schema (`schema`), request
//! validation (`validate`), a small executor (`execute`) and Clearfacts' fields
//! (`resolvers`).
//!
//! Errors follow the GraphQL spec's response format with graphql-php's `extensions.category`:
//! `graphql` for syntax, validation and variable errors (answered without `data`),
//! `authorization` for a missing scope, `user` for a refused field (unknown administration,
//! document not found, unsupported file, …) — that field is `null` in `data` and its error
//! carries `path`.

pub(crate) mod execute;
pub(crate) mod http;
pub(crate) mod resolvers;
pub mod schema;
mod suggest;
pub(crate) mod validate;

use graphql_parser::Pos;
use serde::Serialize;
use serde_json::{Value, json};

/// `extensions.category` of syntax, validation and variable errors.
pub const CATEGORY_GRAPHQL: &str = "graphql";
/// `extensions.category` of a missing scope.
pub const CATEGORY_AUTHORIZATION: &str = "authorization";
/// `extensions.category` of a field Clearfacts refuses (not found, unsupported file, …).
pub const CATEGORY_USER: &str = "user";

/// One step of an error's `path`: a response key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PathSegment {
    /// A field's response key (its alias, or its name).
    Key(String),
    /// A list index.
    Index(usize),
}

/// One entry of the response's `errors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphQLError {
    /// What went wrong.
    pub message: String,
    /// Where in the query (1-based line and column).
    pub locations: Vec<(usize, usize)>,
    /// The response path of the field that failed (field errors only).
    pub path: Option<Vec<PathSegment>>,
    /// `extensions.category`.
    pub category: &'static str,
}

impl GraphQLError {
    /// A request-level error (syntax, validation, variables).
    pub fn request(message: impl Into<String>, position: Option<Pos>) -> Self {
        Self {
            message: message.into(),
            locations: position
                .map(|p| vec![(p.line, p.column)])
                .unwrap_or_default(),
            path: None,
            category: CATEGORY_GRAPHQL,
        }
    }

    /// The error's JSON form.
    pub fn to_json(&self) -> Value {
        let mut error = json!({
            "message": self.message,
            "extensions": {"category": self.category},
        });
        if !self.locations.is_empty() {
            error["locations"] = self
                .locations
                .iter()
                .map(|(line, column)| json!({"line": line, "column": column}))
                .collect();
        }
        if let Some(path) = &self.path {
            error["path"] = json!(path);
        }
        error
    }
}

/// A response body: `{"errors": […]}` without `data` for a request that could not run, or
/// `{"data": …, "errors"?: […]}`.
pub fn response_body(data: Option<Value>, errors: &[GraphQLError]) -> Value {
    let mut body = serde_json::Map::new();
    if let Some(data) = data {
        body.insert("data".to_owned(), data);
    }
    if !errors.is_empty() {
        body.insert(
            "errors".to_owned(),
            errors.iter().map(GraphQLError::to_json).collect(),
        );
    }
    Value::Object(body)
}
