//! Small helpers for reading requests and writing answers the Octopus way.

use std::collections::HashMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Query parameters as given (last value wins).
pub(crate) type Params = HashMap<String, String>;

/// Decode a JSON body; a body that does not decode is a 400.
pub(crate) fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid(format!("The request body could not be read: {e}")))
}

/// A required integer query parameter.
pub(crate) fn int_param(params: &Params, name: &str) -> Result<i64, ApiError> {
    let text = params
        .get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid(format!("Query parameter {name} is required")))?;
    text.parse().map_err(|_| {
        ApiError::invalid(format!(
            "Query parameter {name} must be a number, not {text:?}"
        ))
    })
}

/// An optional integer query parameter (absent or empty = `None`).
pub(crate) fn opt_int_param(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    match params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(_) => int_param(params, name).map(Some),
    }
}

/// An optional text query parameter (absent or empty = `None`).
pub(crate) fn text_param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// 200 with a JSON body.
pub(crate) fn ok<T: Serialize>(value: &T) -> Response {
    (StatusCode::OK, Json(value)).into_response()
}
