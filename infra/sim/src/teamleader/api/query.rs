//! GET requests. Teamleader still serves `GET` on its `.list` and `.info` endpoints
//! (deprecated in favour of POST, but it works): the fields of the JSON body travel in the
//! query string instead, nested ones in bracket notation.
//!
//! ```text
//! POST /invoices.list  {"filter": {"department_id": "…", "status": ["outstanding"]},
//!                       "page": {"size": 50, "number": 3}}
//! GET  /invoices.list?filter[department_id]=…&filter[status][]=outstanding&page[size]=50&page[number]=3
//! ```
//!
//! [`body_from_query`] turns the query string into the JSON body the POST would carry, so
//! both verbs are answered by the same handler: `a[b]=x` is `{"a": {"b": "x"}}`, `a[]=x`
//! appends to an array, an object whose keys are exactly `0..n` (`sort[0][field]=…`) is an
//! array, and a repeated key keeps its last value. Query values are text; the fields the
//! OpenAPI spec types as numbers or booleans on the endpoints served ([`GET_TYPED_FIELDS`])
//! are converted, so that `page[size]=50` means what `"size": 50` means. A value that does
//! not convert stays text and is refused by the handler as the POST's would be.

use super::ApiError;
use serde_json::{Map, Value};

/// The type a query-string value is converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryType {
    /// A whole number (`page[size]=50` → `50`).
    Integer,
    /// `true` or `false`.
    Boolean,
}

/// The body fields that are not text on the `.list`/`.info` endpoints the simulator serves,
/// by path (`["page", "size"]` is `page[size]`), with the type they are converted to.
pub const GET_TYPED_FIELDS: &[(&[&str], QueryType)] = &[
    (&["page", "size"], QueryType::Integer),
    (&["page", "number"], QueryType::Integer),
    (&["filter", "marketing_mails_consent"], QueryType::Boolean),
];

/// True for the endpoints that answer GET: `{resource}.list` and `{resource}.info`.
pub(crate) fn serves_get(method: &str) -> bool {
    matches!(method.rsplit_once('.'), Some((resource, "list" | "info")) if !resource.is_empty())
}

/// The JSON body a query string stands for (an empty object for no query).
pub(crate) fn body_from_query(raw: Option<&str>) -> Result<Value, ApiError> {
    let mut body = Value::Object(Map::new());
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let path = key_path(&key)?;
        put(&mut body, &path, value.into_owned());
    }
    let mut body = arrays_from_indexes(body);
    for (path, kind) in GET_TYPED_FIELDS {
        convert(&mut body, path, *kind);
    }
    Ok(body)
}

/// `filter[customer][type]` → `["filter", "customer", "type"]`; `[]` gives an empty segment.
fn key_path(key: &str) -> Result<Vec<String>, ApiError> {
    let malformed = || {
        ApiError::bad_request(format!(
            "The query parameter `{key}` is malformed: write nested fields as name[field][sub]"
        ))
    };
    let (name, mut rest) = match key.find('[') {
        Some(open) => key.split_at(open),
        None => (key, ""),
    };
    if name.is_empty() {
        return Err(malformed());
    }
    let mut path = vec![name.to_owned()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[').ok_or_else(malformed)?;
        let close = inner.find(']').ok_or_else(malformed)?;
        path.push(inner[..close].to_owned());
        rest = &inner[close + 1..];
    }
    Ok(path)
}

/// Store `value` at `path` under `node`, creating objects and arrays on the way.
fn put(node: &mut Value, path: &[String], value: String) {
    let Some((segment, rest)) = path.split_first() else {
        *node = Value::String(value);
        return;
    };
    if segment.is_empty() {
        if !node.is_array() {
            *node = Value::Array(Vec::new());
        }
        if let Value::Array(items) = node {
            items.push(Value::Null);
            if let Some(last) = items.last_mut() {
                put(last, rest, value);
            }
        }
        return;
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    if let Value::Object(fields) = node {
        let child = fields.entry(segment.clone()).or_insert(Value::Null);
        put(child, rest, value);
    }
}

/// Objects keyed exactly `0..n` become arrays, deepest first.
fn arrays_from_indexes(value: Value) -> Value {
    match value {
        Value::Object(fields) => {
            let fields: Map<String, Value> = fields
                .into_iter()
                .map(|(k, v)| (k, arrays_from_indexes(v)))
                .collect();
            let mut indexed: Vec<(usize, Value)> = Vec::with_capacity(fields.len());
            for (key, item) in &fields {
                match key.parse::<usize>() {
                    Ok(index) if index.to_string() == *key => indexed.push((index, item.clone())),
                    _ => return Value::Object(fields),
                }
            }
            indexed.sort_by_key(|(index, _)| *index);
            if fields.is_empty()
                || indexed
                    .iter()
                    .enumerate()
                    .any(|(i, (index, _))| i != *index)
            {
                return Value::Object(fields);
            }
            Value::Array(indexed.into_iter().map(|(_, item)| item).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(arrays_from_indexes).collect()),
        other => other,
    }
}

/// Convert the text at `path` to `kind` when it reads as one.
fn convert(body: &mut Value, path: &[&str], kind: QueryType) {
    let mut node = Some(body);
    for segment in path {
        node = node.and_then(|n| n.get_mut(*segment));
    }
    let Some(slot) = node else { return };
    let Some(text) = slot.as_str() else { return };
    let converted = match kind {
        QueryType::Integer => text.trim().parse::<u64>().ok().map(Value::from),
        QueryType::Boolean => match text.trim() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
    };
    if let Some(converted) = converted {
        *slot = converted;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brackets_nest_and_typed_fields_convert() {
        let body = body_from_query(Some(
            "filter[department_id]=dep-1&filter[status][]=draft&filter%5Bstatus%5D%5B%5D=outstanding\
             &page[size]=50&page[number]=3&sort[0][field]=invoice_date&sort[0][order]=desc\
             &filter[customer][type]=company&filter[customer][id]=c%201&id=x&id=y\
             &filter[marketing_mails_consent]=true",
        ))
        .unwrap();
        assert_eq!(
            body,
            json!({
                "filter": {
                    "department_id": "dep-1",
                    "status": ["draft", "outstanding"],
                    "customer": {"type": "company", "id": "c 1"},
                    "marketing_mails_consent": true
                },
                "page": {"size": 50, "number": 3},
                "sort": [{"field": "invoice_date", "order": "desc"}],
                "id": "y"
            })
        );
    }

    #[test]
    fn values_that_do_not_convert_stay_text_and_odd_keys_are_refused() {
        let body =
            body_from_query(Some("page[size]=many&filter[ids][1]=b&filter[ids][0]=a")).unwrap();
        assert_eq!(
            body,
            json!({"page": {"size": "many"}, "filter": {"ids": ["a", "b"]}})
        );
        let body = body_from_query(Some("filter[2]=x")).unwrap();
        assert_eq!(body, json!({"filter": {"2": "x"}}));
        assert_eq!(body_from_query(None).unwrap(), json!({}));
        assert!(body_from_query(Some("filter[id=x")).is_err());
        assert!(body_from_query(Some("[x]=1")).is_err());
        assert!(body_from_query(Some("filter[a]b=1")).is_err());
    }

    #[test]
    fn only_list_and_info_answer_get() {
        assert!(serves_get("invoices.list"));
        assert!(serves_get("companies.info"));
        assert!(!serves_get("invoices.book"));
        assert!(!serves_get("users.me"));
        assert!(!serves_get(".list"));
        assert!(!serves_get("list"));
    }
}
