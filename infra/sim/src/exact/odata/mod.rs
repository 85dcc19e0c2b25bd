//! Exact's OData v2 layer: query options (`$filter`, `$select`, `$top`, `$skiptoken`,
//! `$expand`), the `{"d": …}` envelopes, `__metadata`, paging with `__next`, and the query
//! guards (mandatory filters, `$select` on bulk endpoints, filterable-field lists).

pub(crate) mod filter;

use std::cmp::Ordering;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json, json};

use super::error::ApiError;
use super::schema::{EntitySchema, FieldType};
use filter::Filter;

/// Page size of ordinary endpoints.
pub(crate) const PAGE_SIZE: usize = 60;
/// Page size of bulk and sync endpoints.
pub(crate) const BULK_PAGE_SIZE: usize = 1000;

/// The message of a bulk request without `$select`.
pub(crate) const SELECT_REQUIRED: &str =
    "Please add a $select or a $top=1 statement to the query string.";

/// The query options of one request, plus every raw pair (to rebuild `__next`).
#[derive(Debug, Clone, Default)]
pub(crate) struct QueryOptions {
    /// `$filter`.
    pub(crate) filter: Option<String>,
    /// `$select`.
    pub(crate) select: Option<String>,
    /// `$top`, unparsed.
    pub(crate) top: Option<String>,
    /// `$skiptoken`.
    pub(crate) skiptoken: Option<String>,
    /// `$expand`.
    pub(crate) expand: Option<String>,
    /// Every pair as received (decoded).
    pub(crate) pairs: Vec<(String, String)>,
}

impl QueryOptions {
    /// Read the raw query string.
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let mut options = Self::default();
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let (key, value) = (key.into_owned(), value.into_owned());
            match key.as_str() {
                "$filter" => options.filter = Some(value.clone()),
                "$select" => options.select = Some(value.clone()),
                "$top" => options.top = Some(value.clone()),
                "$skiptoken" => options.skiptoken = Some(value.clone()),
                "$expand" => options.expand = Some(value.clone()),
                _ => {}
            }
            options.pairs.push((key, value));
        }
        options
    }

    /// True when `$expand` names `property`.
    pub(crate) fn expands(&self, property: &str) -> bool {
        self.expand
            .as_deref()
            .is_some_and(|e| e.split(',').any(|p| p.trim() == property))
    }

    fn top(&self) -> Result<Option<usize>, ApiError> {
        match self.top.as_deref() {
            None => Ok(None),
            Some(text) => text.trim().parse::<usize>().map(Some).map_err(|_| {
                ApiError::BadRequest(format!(
                    "Invalid value '{text}' for $top query option found."
                ))
            }),
        }
    }
}

/// A key value, ordered the way pages are walked.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum KeyVal {
    /// Integer keys (division codes, HID).
    Number(i64),
    /// GUID keys, compared as lower-case text.
    Guid(String),
}

impl KeyVal {
    /// The OData literal (`guid'…'` or `123`).
    pub(crate) fn literal(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Guid(g) => format!("guid'{g}'"),
        }
    }

    /// Parse a literal as found in `$skiptoken` or `Entity(…)`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Some(inner) = text
            .strip_prefix("guid'")
            .and_then(|t| t.strip_suffix('\''))
        {
            return uuid::Uuid::parse_str(inner)
                .ok()
                .map(|u| Self::Guid(u.to_string()));
        }
        if let Some(n) = text
            .strip_suffix('L')
            .or(Some(text))
            .and_then(|t| t.parse().ok())
        {
            return Some(Self::Number(n));
        }
        uuid::Uuid::parse_str(text)
            .ok()
            .map(|u| Self::Guid(u.to_string()))
    }

    fn of(record: &Map<String, Json>, schema: &EntitySchema) -> Option<Self> {
        let value = record.get(schema.key)?;
        match schema.key_type() {
            ty if ty.is_integer() => value.as_i64().map(Self::Number),
            _ => value.as_str().map(|s| Self::Guid(s.to_ascii_lowercase())),
        }
    }
}

/// Where an entity set lives, for `__metadata.uri` and `__next`.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    /// Absolute URL of the entity set, e.g. `http://…/api/v1/100001/crm/Accounts`.
    pub(crate) collection: String,
}

impl Link {
    /// The entity set `path` of `division` on the server at `base_url`.
    pub(crate) fn new(base_url: &str, division: &str, path: &str) -> Self {
        Self {
            collection: format!("{base_url}/api/v1/{division}/{path}"),
        }
    }

    /// URL of one entity.
    pub(crate) fn entity(&self, key: &KeyVal) -> String {
        format!("{}({})", self.collection, key.literal())
    }

    /// A deferred navigation link of one entity.
    pub(crate) fn deferred(&self, key: &KeyVal, property: &str) -> Json {
        json!({"__deferred": {"uri": format!("{}/{property}", self.entity(key))}})
    }
}

/// Give `values` every property of `schema` and its `__metadata`: navigation properties
/// left unset become deferred links, other unset properties `null`.
pub(crate) fn entity(
    schema: &EntitySchema,
    link: &Link,
    mut values: Map<String, Json>,
) -> Map<String, Json> {
    debug_assert!(
        values.keys().all(|name| schema.field(name).is_some()),
        "a record of {} carries properties the type does not document: {:?}",
        schema.type_name,
        values
            .keys()
            .filter(|name| schema.field(name).is_none())
            .collect::<Vec<_>>()
    );
    let key = KeyVal::of(&values, schema);
    let mut out = Map::new();
    if let Some(key) = &key {
        out.insert(
            "__metadata".to_owned(),
            json!({"uri": link.entity(key), "type": schema.type_name}),
        );
    }
    for field in schema.fields {
        let value = match (values.remove(field.name), field.ty, &key) {
            (Some(value), _, _) => value,
            (None, FieldType::Nav, Some(key)) => link.deferred(key, field.name),
            (None, _, _) => Json::Null,
        };
        out.insert(field.name.to_owned(), value);
    }
    out
}

/// The properties `$select` keeps (`None` = all).
fn selection(
    schema: &EntitySchema,
    select: Option<&str>,
) -> Result<Option<Vec<&'static str>>, ApiError> {
    let Some(select) = select else {
        return Ok(None);
    };
    let mut names = Vec::new();
    for (index, item) in select.split(',').enumerate() {
        let item = item.trim();
        if item == "*" {
            return Ok(None);
        }
        let top = item.split('/').next().unwrap_or(item);
        let field = schema.field(top).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "No property '{top}' exists in type '{}' at position {index}.",
                schema.type_name
            ))
        })?;
        if !names.contains(&field.name) {
            names.push(field.name);
        }
    }
    Ok(Some(names))
}

fn project(record: Map<String, Json>, keep: Option<&[&str]>) -> Json {
    match keep {
        None => Json::Object(record),
        Some(keep) => Json::Object(
            record
                .into_iter()
                .filter(|(k, _)| k == "__metadata" || keep.contains(&k.as_str()))
                .collect(),
        ),
    }
}

/// The guards and page size of one GET endpoint.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListSpec {
    /// Entity type.
    pub(crate) schema: &'static EntitySchema,
    /// Records per page.
    pub(crate) page_size: usize,
    /// Bulk endpoints: `$select` (or `$top=1`) required.
    pub(crate) require_select: bool,
    /// A filter on one of these fields is required.
    pub(crate) mandatory_filter: Option<&'static [&'static str]>,
    /// Only these fields may be filtered on.
    pub(crate) filterable: Option<&'static [&'static str]>,
}

impl ListSpec {
    /// An ordinary endpoint: pages of 60, no guards.
    pub(crate) const fn plain(schema: &'static EntitySchema) -> Self {
        Self {
            schema,
            page_size: PAGE_SIZE,
            require_select: false,
            mandatory_filter: None,
            filterable: None,
        }
    }
}

/// Answer a collection GET: guards, filter, key order, skiptoken, page, select, `__next`.
pub(crate) fn list(
    spec: &ListSpec,
    link: &Link,
    query: &QueryOptions,
    records: Vec<Map<String, Json>>,
) -> Result<Response, ApiError> {
    let top = query.top()?;
    if spec.require_select && query.select.is_none() && top != Some(1) {
        return Err(ApiError::BadRequest(SELECT_REQUIRED.to_owned()));
    }
    let filter = match query.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(text) => {
            Some(Filter::parse(text, spec.schema).map_err(|e| ApiError::BadRequest(e.0))?)
        }
        None => None,
    };
    if let Some(required) = spec.mandatory_filter {
        let satisfied = filter
            .as_ref()
            .is_some_and(|f| f.fields().iter().any(|name| required.contains(name)));
        if !satisfied {
            return Err(ApiError::BadRequest(format!(
                "This endpoint has mandatory filtering applied. A GET request for this endpoint must \
                 have a $filter parameter with one of the following fields in the url:{}.",
                required.join(",")
            )));
        }
    }
    if let (Some(allowed), Some(filter)) = (spec.filterable, &filter)
        && filter.fields().iter().any(|name| !allowed.contains(name))
    {
        return Err(ApiError::BadRequest(
            "This $filter parameter is not supported for this resource".to_owned(),
        ));
    }
    let keep = selection(spec.schema, query.select.as_deref())?;
    let after = match query.skiptoken.as_deref() {
        Some(token) => Some(KeyVal::parse(token).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Invalid value '{token}' for $skiptoken query option found."
            ))
        })?),
        None => None,
    };

    let mut keyed: Vec<(KeyVal, Map<String, Json>)> = records
        .into_iter()
        .map(|r| entity(spec.schema, link, r))
        .filter(|r| filter.as_ref().is_none_or(|f| f.matches(r)))
        .filter_map(|r| KeyVal::of(&r, spec.schema).map(|k| (k, r)))
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k.cmp(a) == Ordering::Greater))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));

    let take = top.map_or(spec.page_size, |t| t.min(spec.page_size));
    keyed.truncate(take);
    // Exact emits `__next` whenever a page is full, even when nothing follows.
    let next = (keyed.len() == spec.page_size && top.is_none_or(|t| t > spec.page_size))
        .then(|| {
            keyed
                .last()
                .map(|(k, _)| next_url(link, query, k, top.map(|t| t - spec.page_size)))
        })
        .flatten();
    let results = keyed
        .into_iter()
        .map(|(_, r)| project(r, keep.as_deref()))
        .collect();
    Ok(feed(results, next))
}

/// Answer a GET of one entity by key.
pub(crate) fn get_one(
    schema: &'static EntitySchema,
    link: &Link,
    query: &QueryOptions,
    records: Vec<Map<String, Json>>,
    key: &str,
) -> Result<Response, ApiError> {
    let wanted = KeyVal::parse(key).ok_or_else(|| {
        ApiError::BadRequest(format!("Bad Request - Error in query syntax: ({key})"))
    })?;
    let keep = selection(schema, query.select.as_deref())?;
    records
        .into_iter()
        .map(|r| entity(schema, link, r))
        .find(|r| KeyVal::of(r, schema).as_ref() == Some(&wanted))
        .map(|r| single(StatusCode::OK, project(r, keep.as_deref())))
        .ok_or_else(|| ApiError::NotFound("Resource not found for the segment.".to_owned()))
}

fn next_url(
    link: &Link,
    query: &QueryOptions,
    last: &KeyVal,
    remaining_top: Option<usize>,
) -> String {
    let encode = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let mut parts: Vec<String> = query
        .pairs
        .iter()
        .filter(|(k, _)| k != "$skiptoken" && k != "$top")
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if let Some(top) = remaining_top {
        parts.push(format!("$top={top}"));
    }
    parts.push(format!("$skiptoken={}", encode(&last.literal())));
    format!("{}?{}", link.collection, parts.join("&"))
}

fn json_response(status: StatusCode, body: &Json) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// `{"d": {"results": [...], "__next": "..."}}` (no `__next` on the last page).
pub(crate) fn feed(results: Vec<Json>, next: Option<String>) -> Response {
    let mut d = Map::new();
    d.insert("results".to_owned(), Json::Array(results));
    if let Some(next) = next {
        d.insert("__next".to_owned(), Json::String(next));
    }
    json_response(StatusCode::OK, &json!({"d": d}))
}

/// `{"d": {...}}` with `status` (201 after a POST).
pub(crate) fn single(status: StatusCode, entity: Json) -> Response {
    json_response(status, &json!({"d": entity}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::schema::GL_ACCOUNT;

    fn rows(n: usize) -> Vec<Map<String, Json>> {
        (0..n)
            .map(|i| {
                let mut m = Map::new();
                m.insert("ID".into(), Json::String(uuid::Uuid::new_v4().to_string()));
                m.insert("Code".into(), Json::String(format!("{i}")));
                m
            })
            .collect()
    }

    fn body(response: Response) -> Json {
        let bytes =
            futures::executor::block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
                .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn a_full_page_carries_next_even_when_nothing_follows() {
        let link = Link::new("http://x", "1", "financial/GLAccounts");
        let spec = ListSpec::plain(&GL_ACCOUNT);
        let page = body(list(&spec, &link, &QueryOptions::default(), rows(60)).unwrap());
        assert_eq!(page["d"]["results"].as_array().unwrap().len(), 60);
        let next = page["d"]["__next"].as_str().unwrap();
        assert!(
            next.starts_with("http://x/api/v1/1/financial/GLAccounts?$skiptoken=guid"),
            "{next}"
        );
        let page = body(list(&spec, &link, &QueryOptions::default(), rows(59)).unwrap());
        assert!(page["d"].get("__next").is_none());
    }

    #[test]
    fn select_keeps_metadata_and_named_fields() {
        let link = Link::new("http://x", "1", "financial/GLAccounts");
        let query = QueryOptions::parse(Some("$select=Code&$top=1"));
        let page = body(list(&ListSpec::plain(&GL_ACCOUNT), &link, &query, rows(3)).unwrap());
        let first = page["d"]["results"][0].as_object().unwrap();
        let mut keys: Vec<_> = first.keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["Code", "__metadata"]);
        assert_eq!(
            first["__metadata"]["type"],
            "Exact.Web.Api.Models.GLAccount"
        );
    }
}
