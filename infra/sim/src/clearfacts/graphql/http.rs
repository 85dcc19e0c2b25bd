//! `POST /graphql`: the three request forms Clearfacts takes — JSON `{"query","variables",
//! "operationName"}`, `application/graphql` (the raw query) and `multipart/form-data` with the
//! fields `query`, `variables` (a JSON string) and `file` — then faults, the bearer token,
//! validation, variables and execution.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::execute::{Executor, coerce_variables};
use super::resolvers::{Clearfacts, Object, UploadedFile};
use super::schema::Schema;
use super::validate::{
    OperationKind, QueryDocument, fragments, parse, select, top_level_fields, validate,
};
use super::{GraphQLError, response_body};
use crate::clearfacts::faults;
use crate::clearfacts::options::MAX_REQUEST_BYTES;
use crate::clearfacts::state::Shared;
use crate::clearfacts::wire::{bearer, dropped_connection, outage, unauthorized};

/// What a request carried, whatever its form.
#[derive(Debug)]
struct Body {
    query: Option<String>,
    /// The variables, or why they could not be read.
    variables: Result<Map<String, Value>, String>,
    operation_name: Option<String>,
    file: Option<UploadedFile>,
}

impl Body {
    /// No query, no variables, no file.
    fn empty() -> Self {
        Self {
            query: None,
            variables: Ok(Map::new()),
            operation_name: None,
            file: None,
        }
    }
}

fn request_error(status: StatusCode, message: impl Into<String>) -> Response {
    let error = GraphQLError::request(message, None);
    (status, Json(response_body(None, &[error]))).into_response()
}

fn variables_from(value: Option<Value>) -> Result<Map<String, Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(Map::new()),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(Value::Null) => Ok(Map::new()),
            _ => Err(format!(
                "GraphQL Request parameter \"variables\" must be object or JSON string parsed to object, but got \"{text}\""
            )),
        },
        Some(other) => Err(format!(
            "GraphQL Request parameter \"variables\" must be object or JSON string parsed to object, but got {other}"
        )),
    }
}

async fn read_body(request: Request) -> Result<Body, Response> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    match essence.as_str() {
        "multipart/form-data" => read_multipart(request).await,
        "application/json" | "application/graphql" => {
            let bytes = axum::body::to_bytes(request.into_body(), MAX_REQUEST_BYTES)
                .await
                .map_err(|_| {
                    request_error(StatusCode::PAYLOAD_TOO_LARGE, "The request is too large")
                })?;
            if essence == "application/graphql" {
                let query = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    request_error(StatusCode::BAD_REQUEST, "The query is not UTF-8")
                })?;
                return Ok(Body {
                    query: Some(query),
                    ..Body::empty()
                });
            }
            let json: Value = serde_json::from_slice(&bytes).map_err(|error| {
                request_error(
                    StatusCode::BAD_REQUEST,
                    format!("Could not parse JSON: {error}"),
                )
            })?;
            let Value::Object(mut fields) = json else {
                return Err(request_error(
                    StatusCode::BAD_REQUEST,
                    "GraphQL Server expects JSON object or array, but got a scalar",
                ));
            };
            Ok(Body {
                query: fields
                    .remove("query")
                    .and_then(|q| q.as_str().map(str::to_owned)),
                variables: variables_from(fields.remove("variables")),
                operation_name: fields
                    .remove("operationName")
                    .and_then(|n| n.as_str().map(str::to_owned)),
                file: None,
            })
        }
        other => Err(request_error(
            StatusCode::BAD_REQUEST,
            format!("Unexpected content type: \"{other}\""),
        )),
    }
}

async fn read_multipart(request: Request) -> Result<Body, Response> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|rejection| request_error(StatusCode::BAD_REQUEST, rejection.body_text()))?;
    let mut body = Body::empty();
    let malformed = |error: axum::extract::multipart::MultipartError| {
        request_error(error.status(), error.body_text())
    };
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "query" => body.query = Some(field.text().await.map_err(malformed)?),
            "variables" => {
                let text = field.text().await.map_err(malformed)?;
                body.variables = variables_from(Some(Value::String(text)));
            }
            "operationName" => body.operation_name = Some(field.text().await.map_err(malformed)?),
            "file" => {
                body.file = Some(UploadedFile {
                    bytes: field.bytes().await.map_err(malformed)?,
                })
            }
            // Other parts (a GraphQL multipart-spec `operations` / `map` / `0`) are not read,
            // as a PHP endpoint reading `$_POST['query']` and `$_FILES['file']` would not.
            _ => {
                let _ = field.bytes().await.map_err(malformed)?;
            }
        }
    }
    Ok(body)
}

/// `POST /graphql`.
pub(crate) async fn graphql(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(response) => {
            shared.lock().stats.count("graphql");
            return response;
        }
    };
    let parsed = body.query.as_deref().map(parse);
    let fields = match &parsed {
        Some(Ok(document)) => select(document, body.operation_name.as_deref())
            .map(|operation| top_level_fields(document, &operation))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let (response, latency) = {
        let now = shared.now();
        let mut state = shared.lock();
        state.stats.count("graphql");
        let response = answer(&mut state, &headers, body, parsed, &fields, now);
        (response, state.latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    response
}

fn answer(
    state: &mut crate::clearfacts::state::SimState,
    headers: &HeaderMap,
    body: Body,
    parsed: Option<Result<QueryDocument, GraphQLError>>,
    fields: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> Response {
    if let Some((status, html)) = state.faults.take_failure("graphql", fields) {
        state.stats.injected_failures += 1;
        return outage(status, html);
    }
    let grant = match state.tokens.authenticate(bearer(headers), now) {
        Ok(grant) => grant,
        Err(refusal) => {
            state.stats.unauthorized += 1;
            return unauthorized(refusal);
        }
    };
    let graphql_errors = |state: &mut crate::clearfacts::state::SimState,
                          errors: Vec<GraphQLError>| {
        state.stats.graphql_errors += errors.len() as u64;
        (StatusCode::OK, Json(response_body(None, &errors))).into_response()
    };
    let document = match parsed {
        None => {
            return graphql_errors(
                state,
                vec![GraphQLError::request(
                    "GraphQL Request must include at least one of those two parameters: \"query\" or \"queryId\"",
                    None,
                )],
            );
        }
        Some(Err(error)) => return graphql_errors(state, vec![error]),
        Some(Ok(document)) => document,
    };
    let given = match body.variables {
        Ok(variables) => variables,
        Err(message) => return graphql_errors(state, vec![GraphQLError::request(message, None)]),
    };
    let schema = Schema::get();
    let errors = validate(schema, &document);
    if !errors.is_empty() {
        return graphql_errors(state, errors);
    }
    let operation = match select(&document, body.operation_name.as_deref()) {
        Ok(operation) => operation,
        Err(error) => return graphql_errors(state, vec![error]),
    };
    let variables = match coerce_variables(schema, &operation, &given) {
        Ok(variables) => variables,
        Err(errors) => return graphql_errors(state, errors),
    };
    let root = match operation.kind {
        OperationKind::Mutation => Object::Mutation,
        OperationKind::Query | OperationKind::Subscription => Object::Query,
    };
    let mut resolver = Clearfacts {
        state: &mut *state,
        grant: &grant,
        file: body.file.as_ref(),
        now,
        stored: Vec::new(),
    };
    let (data, errors) = Executor::new(schema, fragments(&document), &variables, &mut resolver)
        .run(&operation, root);
    let stored = std::mem::take(&mut resolver.stored);
    state.stats.graphql_errors += errors.len() as u64;
    if !stored.is_empty() {
        let fail = faults::take(&mut state.faults.fail_after_upload);
        let drop = !fail && faults::take(&mut state.faults.drop_after_upload);
        if fail || drop {
            for uuid in &stored {
                if let Some(upload) = state.upload_mut(uuid) {
                    upload.answer_lost = true;
                }
            }
            state.stats.lost_answers += 1;
            tracing::info!(?stored, "clearfacts sim: upload stored, answer lost");
            return if fail {
                outage(500, false)
            } else {
                dropped_connection()
            };
        }
    }
    (StatusCode::OK, Json(response_body(Some(data), &errors))).into_response()
}
