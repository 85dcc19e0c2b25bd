//! The deprecated GET on `.list` and `.info` endpoints: the query string carries the fields
//! the POST body would (`filter[department_id]=…&page[size]=…`), and the answer is the same.

mod teamleader_support;

use koppel_sim::openapi::{self, Strictness};
use koppel_sim::teamleader::{GET_TYPED_FIELDS, QueryType};
use serde_json::{Value, json};
use teamleader_support::start;

#[tokio::test]
async fn get_with_query_parameters_answers_like_post_with_a_body() {
    let fixture = start().await;
    let cases: [(&str, &str, Value); 9] = [
        (
            "invoices.list",
            "filter[department_id]=dep-a1&filter[status][]=outstanding&filter[status][]=matched\
             &page[size]=2&page[number]=1&sort[0][field]=invoice_date&sort[0][order]=asc",
            json!({"filter": {"department_id": "dep-a1", "status": ["outstanding", "matched"]},
                   "page": {"size": 2, "number": 1},
                   "sort": [{"field": "invoice_date", "order": "asc"}]}),
        ),
        (
            "invoices.list",
            "filter%5Bcustomer%5D%5Btype%5D=company&filter%5Bcustomer%5D%5Bid%5D=comp-1&page%5Bsize%5D=20",
            json!({"filter": {"customer": {"type": "company", "id": "comp-1"}}, "page": {"size": 20}}),
        ),
        ("invoices.info", "id=inv-1", json!({"id": "inv-1"})),
        (
            "creditNotes.list",
            "filter[ids][]=cn-1&filter[ids][]=cn-2",
            json!({"filter": {"ids": ["cn-1", "cn-2"]}}),
        ),
        ("creditNotes.info", "id=cn-2", json!({"id": "cn-2"})),
        (
            "companies.list",
            "filter[term]=lef%C3%A8vre&filter[marketing_mails_consent]=false",
            json!({"filter": {"term": "lefèvre", "marketing_mails_consent": false}}),
        ),
        ("companies.info", "id=comp-1", json!({"id": "comp-1"})),
        (
            "taxRates.list",
            "filter[department_id]=dep-a1&page[size]=2",
            json!({"filter": {"department_id": "dep-a1"}, "page": {"size": 2}}),
        ),
        ("departments.list", "", json!({})),
    ];
    for (method, query, body) in cases {
        let got = fixture.get(method, query).await;
        let posted = fixture.call(method, body).await;
        assert_eq!(got.status, 200, "GET {method}?{query}: {:?}", got.body);
        assert_eq!(got.body, posted.body, "GET {method}?{query}");
        assert!(got.header("x-ratelimit-remaining").is_some());
    }
    let listed = fixture
        .get("invoices.list", "filter[department_id]=dep-a1&page[size]=2")
        .await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    assert!(fixture.sim.request_count("invoices.list") >= 4);
}

#[tokio::test]
async fn get_refuses_what_post_refuses() {
    let fixture = start().await;
    for (method, query, body) in [
        (
            "invoices.list",
            "page[size]=101",
            json!({"page": {"size": 101}}),
        ),
        (
            "invoices.list",
            "filter[status]=outstanding",
            json!({"filter": {"status": "outstanding"}}),
        ),
        ("invoices.info", "", json!({})),
        ("companies.info", "id=nope", json!({"id": "nope"})),
    ] {
        let got = fixture.get(method, query).await;
        let posted = fixture.call(method, body).await;
        assert_eq!(
            (got.status, got.error_title()),
            (posted.status, posted.error_title()),
            "GET {method}?{query}"
        );
        assert!(got.status >= 400);
    }
    // A page size that is not a number is refused, not ignored.
    let got = fixture.get("invoices.list", "page[size]=many").await;
    assert_eq!(got.status, 400);
    assert!(got.error_title().contains("page.size"), "{:?}", got.body);
    let got = fixture.get("invoices.list", "filter[a=1").await;
    assert_eq!(got.status, 400);

    // Without a token: 401 as for POST.
    let anonymous = fixture
        .http
        .get(format!("{}/invoices.list", fixture.sim.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // Actions still take POST only.
    let book = fixture.get("invoices.book", "id=inv-4").await;
    assert_eq!(book.status, 405);
    assert_eq!(book.header("allow"), Some("POST"));
    assert!(!book.error_title().is_empty());
}

/// The request fields the spec types as numbers or booleans, by path ("page.size").
fn typed_leaves(schema: &Value, path: &mut Vec<String>, found: &mut Vec<(String, String)>) {
    for combinator in ["allOf", "anyOf", "oneOf"] {
        for branch in schema[combinator].as_array().into_iter().flatten() {
            typed_leaves(branch, path, found);
        }
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            path.push(name.clone());
            typed_leaves(property, path, found);
            path.pop();
        }
    }
    if schema.get("items").is_some() {
        path.push("[]".to_owned());
        typed_leaves(&schema["items"], path, found);
        path.pop();
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    for ty in types {
        if matches!(ty, "integer" | "number" | "boolean") && !path.is_empty() {
            found.push((path.join("."), ty.to_owned()));
        }
    }
}

#[test]
fn every_typed_field_of_the_served_list_and_info_endpoints_is_converted() {
    let served = [
        "departments.list",
        "taxRates.list",
        "productCategories.list",
        "customFieldDefinitions.list",
        "customFieldDefinitions.info",
        "webhooks.list",
        "invoices.list",
        "invoices.info",
        "creditNotes.list",
        "creditNotes.info",
        "companies.list",
        "companies.info",
        "contacts.list",
        "contacts.info",
    ];
    let converted: Vec<(String, &str)> = GET_TYPED_FIELDS
        .iter()
        .map(|(path, kind)| {
            let ty = match kind {
                QueryType::Integer => "number",
                QueryType::Boolean => "boolean",
            };
            (path.join("."), ty)
        })
        .collect();
    let mut checked = 0;
    for operation in served {
        let schema = openapi::request_schema(operation, Strictness::AsWritten).unwrap();
        let mut found = Vec::new();
        typed_leaves(&schema, &mut Vec::new(), &mut found);
        checked += found.len();
        for (path, ty) in found {
            let ty = if ty == "integer" {
                "number"
            } else {
                ty.as_str()
            };
            assert!(
                converted.iter().any(|(p, t)| *p == path && *t == ty),
                "{operation}: `{path}` is a {ty} in the spec but GET leaves it text"
            );
        }
    }
    assert!(checked >= 3, "the walk found no typed field: {checked}");
}
