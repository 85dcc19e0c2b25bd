//! The official spec's response examples for every endpoint koppel-teamleader reads parse into
//! its wire types and map to core types. Examples are taken where the spec puts them (the
//! media type's `example`, or an `allOf` branch's `example`); for an endpoint whose answer has
//! no example (invoices.info, webhooks.list) one is assembled from the per-property examples.

use koppel_core::{CustomerKind, SourceStatus};
use koppel_sim::openapi::load_spec;
use koppel_teamleader::common::{Created, Data};
use koppel_teamleader::companies::Company;
use koppel_teamleader::contacts::Contact;
use koppel_teamleader::credit_notes::{CreditNoteListItem, credit_note_from_info_data};
use koppel_teamleader::custom_fields::CustomFieldDefinition;
use koppel_teamleader::departments::WireDepartment;
use koppel_teamleader::documents::Download;
use koppel_teamleader::invoices::{Invoice, InvoiceListItem};
use koppel_teamleader::mapping;
use koppel_teamleader::product_categories::WireProductCategory;
use koppel_teamleader::tax_rates::WireTaxRate;
use koppel_teamleader::users::Me;
use koppel_teamleader::webhooks::Webhook;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// The response schema object of `operation` for `status`.
fn response_media(operation: &str, status: u16) -> &'static Value {
    load_spec()
        .unwrap()
        .pointer(&format!(
            "/paths/~1{operation}/post/responses/{status}/content/application~1json"
        ))
        .unwrap_or_else(|| panic!("{operation} documents no {status} JSON response"))
}

/// The documented example, if the spec has one for this response.
fn documented_example(operation: &str, status: u16) -> Option<Value> {
    let media = response_media(operation, status);
    if let Some(example) = media.get("example") {
        return Some(example.clone());
    }
    media
        .pointer("/schema/allOf")?
        .as_array()?
        .iter()
        .find_map(|branch| branch.get("example").cloned())
}

/// An instance assembled from a schema's per-property examples (first enum value, first
/// `oneOf` branch, one array item; plain defaults where the spec gives nothing).
fn synthesize(schema: &Value) -> Value {
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    for combinator in ["allOf", "oneOf", "anyOf"] {
        if let Some(branches) = schema.get(combinator).and_then(Value::as_array) {
            if combinator != "allOf" {
                return branches.first().map(synthesize).unwrap_or(Value::Null);
            }
            let mut merged = Map::new();
            let mut other = Value::Null;
            for branch in branches {
                match synthesize(branch) {
                    Value::Object(fields) => {
                        for (key, value) in fields {
                            merge_into(&mut merged, key, value);
                        }
                    }
                    Value::Null => {}
                    value => other = value,
                }
            }
            return if merged.is_empty() {
                other
            } else {
                Value::Object(merged)
            };
        }
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|values| values.first())
    {
        return first.clone();
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        return Value::Object(
            properties
                .iter()
                .map(|(key, value)| (key.clone(), synthesize(value)))
                .collect(),
        );
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => json!([schema.get("items").map(synthesize).unwrap_or(Value::Null)]),
        Some("string") => json!("text"),
        Some("number") | Some("integer") => json!(1),
        Some("boolean") => json!(true),
        _ => Value::Null,
    }
}

fn merge_into(target: &mut Map<String, Value>, key: String, value: Value) {
    match (target.get_mut(&key), value) {
        (Some(Value::Object(existing)), Value::Object(more)) => {
            for (k, v) in more {
                merge_into(existing, k, v);
            }
        }
        (Some(_), Value::Null) => {}
        (_, value) => {
            target.insert(key, value);
        }
    }
}

/// The example for `operation`: documented, else assembled from the schema.
fn example_value(operation: &str, status: u16) -> Value {
    documented_example(operation, status)
        .unwrap_or_else(|| synthesize(response_media(operation, status).get("schema").unwrap()))
}

/// The example for `operation` parsed as `T`.
fn example<T: DeserializeOwned>(operation: &str, status: u16) -> T {
    parse(operation, example_value(operation, status))
}

fn parse<T: DeserializeOwned>(operation: &str, value: Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|error| {
        panic!("the {operation} example does not parse: {error}\n{value:#}")
    })
}

#[test]
fn list_examples_parse_and_map() {
    let invoices: Data<Vec<InvoiceListItem>> = example("invoices.list", 200);
    let summary = mapping::invoice_summary(0, &invoices.data[0])
        .unwrap()
        .expect("a matched invoice is booked");
    assert_eq!(summary.number.as_deref(), Some("2017 / 5"));
    assert_eq!(summary.status, SourceStatus::Matched);
    assert!(summary.paid);
    assert_eq!(summary.total_incl.amount, Decimal::new(1233, 1));
    assert_eq!(summary.customer.kind, CustomerKind::Contact);

    let notes: Data<Vec<CreditNoteListItem>> = example("creditNotes.list", 200);
    let summary = mapping::credit_note_summary(0, &notes.data[0])
        .unwrap()
        .expect("booked");
    assert_eq!(summary.status, SourceStatus::Booked);

    let rates: Data<Vec<WireTaxRate>> = example("taxRates.list", 200);
    let rate = mapping::tax_rate(&rates.data[0]);
    assert_eq!(rate.rate, Decimal::new(21, 0));
    assert_eq!(rate.description, "21%");

    let departments: Data<Vec<WireDepartment>> = example("departments.list", 200);
    assert_eq!(
        mapping::department(&departments.data[0]).name,
        "Human Resources"
    );

    let categories: Data<Vec<WireProductCategory>> = example("productCategories.list", 200);
    let category = mapping::product_category(&categories.data[0]);
    assert_eq!(category.ledger_accounts[0].1, "70100");

    let fields: Data<Vec<CustomFieldDefinition>> = example("customFieldDefinitions.list", 200);
    assert_eq!(fields.data[0].kind, "single_line");

    let companies: Data<Vec<Company>> = example("companies.list", 200);
    let customer = mapping::company_customer(&companies.data[0], None);
    assert!(!customer.name.is_empty());

    let contacts: Data<Vec<Contact>> = example("contacts.list", 200);
    let customer = mapping::contact_customer(
        &contacts.data[0],
        Some("bf6765de-56eb-40ec-ad14-9096c5dc5fe1"),
    );
    assert_eq!(customer.name, "Erlich Bachman");
    assert_eq!(customer.external_id.as_deref(), Some("092980616"));

    let hooks: Data<Vec<Webhook>> = example("webhooks.list", 200);
    assert_eq!(hooks.data.len(), 1);
}

#[test]
fn info_examples_parse_and_map() {
    let rates: Data<Vec<WireTaxRate>> = example("taxRates.list", 200);
    let mut percentages = mapping::vat_percentages(&rates.data);

    // invoices.info has no documented example; its assembled one has every property the spec
    // lists. The spec gives `invoicee.customer.type` no value or enum, so it is set here.
    let mut value = example_value("invoices.info", 200);
    assert!(
        documented_example("invoices.info", 200).is_none(),
        "the spec now has an example: use it"
    );
    value["data"]["invoicee"]["customer"]["type"] = json!("company");
    let invoice: Data<Invoice> = parse("invoices.info", value);
    let document = mapping::invoice_document(&invoice.data, &percentages).unwrap();
    assert!(
        !document.lines.is_empty(),
        "grouped_lines[].line_items[] become lines"
    );
    assert_eq!(document.number, invoice.data.invoice_number);
    // The first documented form of expected_payment_method is the direct-debit one.
    assert_eq!(
        document.expected_payment_method,
        Some(koppel_core::PaymentMethod::DirectDebit)
    );

    let note: Data<Value> = example("creditNotes.info", 200);
    let note = credit_note_from_info_data(note.data)
        .unwrap()
        .expect("one credit note");
    percentages.insert(
        "e2314517-3cab-4aa9-8471-450e73449042".into(),
        Decimal::new(21, 0),
    );
    let document = mapping::credit_note_document(&note, &percentages).unwrap();
    let line = &document.lines[0];
    assert_eq!(line.quantity, Decimal::new(3, 0));
    assert_eq!(line.unit_price, Decimal::new(1233, 1));
    assert_eq!(
        line.discount.as_ref().unwrap().percentage,
        Decimal::new(15, 0)
    );
    assert_eq!(line.vat_percentage, Some(Decimal::new(21, 0)));
    assert_eq!(document.taxes[0].rate, Decimal::new(21, 0));
    assert_eq!(
        document.credited_invoice_id.unwrap().as_str(),
        "53484141-8382-4948-9a4c-9cd7e79b30bd"
    );

    let company: Data<Company> = example("companies.info", 200);
    let customer =
        mapping::company_customer(&company.data, Some("bf6765de-56eb-40ec-ad14-9096c5dc5fe1"));
    assert_eq!(customer.name, "Pied Piper");
    assert_eq!(customer.vat_number.unwrap().as_str(), "BE0899623035");
    assert_eq!(customer.addresses[0].city.as_deref(), Some("Ghent"));
    assert_eq!(customer.emails, vec!["info@piedpiper.eu".to_owned()]);
    assert_eq!(customer.external_id.as_deref(), Some("092980616"));

    let contact: Data<Contact> = example("contacts.info", 200);
    assert!(
        !mapping::contact_customer(&contact.data, None)
            .name
            .is_empty()
    );

    let me: Data<Me> = example("users.me", 200);
    assert_eq!(me.data.account.id, "0fc55513-7f68-4865-aba0-de5da9e4e43d");

    let download: Data<Download> = example("invoices.download", 200);
    assert_eq!(download.data.location, "https://cdn.teamleader.eu/file");
    let download: Data<Download> = example("creditNotes.download", 200);
    assert!(!download.data.location.is_empty());

    let created: Data<Created> = example("companies.add", 201);
    assert!(!created.data.id.is_empty());
    let created: Data<Created> = example("customFieldDefinitions.create", 201);
    assert!(!created.data.id.is_empty());
}
