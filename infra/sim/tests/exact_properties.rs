//! Entity properties as Exact documents them: every documented property comes back, POST
//! bodies may carry any of them (read-only ones are ignored), unknown names are refused with
//! Exact's error body, `$select` knows exactly the documented names, and `Country` is padded
//! the way Exact returns it.

mod exact_support;

use exact_support::{Env, message, start, status_and_json};
use serde_json::{Value, json};

/// The properties of a record, without `__metadata`.
fn properties(record: &Value) -> Vec<String> {
    record
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "__metadata")
        .cloned()
        .collect()
}

/// The first record of a GET.
async fn first(env: &Env, path: &str) -> Value {
    let results = env.results(path).await;
    assert!(!results.is_empty(), "GET {path} returned nothing");
    results[0].clone()
}

#[tokio::test]
async fn an_account_takes_real_properties_and_ignores_the_read_only_ones() {
    let env = start().await;
    // What a long-lived public client posts (ossobv/exactonline relation.py), plus more.
    let (status, body) = status_and_json(
        env.post(
            "crm/Accounts",
            &json!({
                "Code": "255",
                "Name": "SOME CUSTOMER",
                "Status": "C",
                "PaymentConditionSales": "14",
                "PaymentConditionSalesDescription": "Binnen 15 dagen",
                "InvoiceAttachmentType": 0,
                "IsPurchase": true,
                "IsSales": false,
                "AddressLine2": "Bus 3",
                "SalesVATCode": "21",
                "TradeName": "Some Trade",
                "Created": "not even a date",
                "Modified": "/Date(0)/",
                "Division": 1
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let created = &body["d"];
    // Writable properties the simulator does not model are kept and echoed.
    assert_eq!(created["InvoiceAttachmentType"], 0);
    assert_eq!(created["AddressLine2"], "Bus 3");
    assert_eq!(created["TradeName"], "Some Trade");
    assert_eq!(created["PaymentConditionSales"], "14");
    // Read-only ones are Exact's own: descriptions follow the codes, flags the status.
    assert_eq!(created["PaymentConditionSalesDescription"], "14 dagen");
    assert_eq!(created["IsSales"], true);
    assert_ne!(created["Created"], "not even a date");
    assert_eq!(created["Division"], env.division);
    assert!(created["SalesVATCodeDescription"].is_string(), "{created}");

    let id = created["ID"].as_str().unwrap();
    let again = env.get_json(&format!("crm/Accounts(guid'{id}')")).await;
    assert_eq!(again["d"]["InvoiceAttachmentType"], 0);
    assert_eq!(again["d"]["TradeName"], "Some Trade");
    let stored = env.sim.division(env.division).unwrap();
    let account = stored.accounts.iter().find(|a| a.name == "SOME CUSTOMER");
    assert_eq!(
        account.unwrap().extra.get("InvoiceAttachmentType"),
        Some(&json!(0))
    );
}

#[tokio::test]
async fn unknown_property_names_and_bad_values_are_refused_with_exacts_error_body() {
    let env = start().await;
    let (status, body) = status_and_json(
        env.post(
            "crm/Accounts",
            &json!({"Name": "X", "InvoiceAttachmentTyp": 0}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": {"code": "", "message": {"lang": "", "value":
            "Error processing request stream. The property name 'InvoiceAttachmentTyp' \
             specified for type 'Exact.Web.Api.Models.Account' is not valid."}}})
    );
    // A writable property is type-checked; a read-only one is not even read.
    let (status, body) = status_and_json(
        env.post(
            "crm/Accounts",
            &json!({"Name": "X", "InvoiceAttachmentType": "often"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("'InvoiceAttachmentType' to type 'Int32'"));
    let (status, body) = status_and_json(
        env.post("crm/Accounts", &json!({"Name": "X", "IsBank": "sometimes"}))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // The same on the other entities Koppel writes, nested lines included.
    let customer = env.customer();
    for (path, payload, entity) in [
        (
            "documents/Documents",
            json!({"Subject": "S", "Type": 10, "Attachments": []}),
            "Exact.Web.Api.Models.Document",
        ),
        (
            "documents/DocumentAttachments",
            json!({"Attachment": "", "FileName": "f.pdf", "Size": 1}),
            "Exact.Web.Api.Models.DocumentAttachment",
        ),
        (
            "salesentry/SalesEntries",
            json!({"Journal": "700", "Customer": customer,
                   "SalesEntryLines": [{"GLAccount": env.gl("700000"), "AmountFC": 1, "Amount": 1}]}),
            "Exact.Web.Api.Models.SalesEntryLine",
        ),
    ] {
        let (status, body) = status_and_json(env.post(path, &payload).await).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            message(&body).ends_with(&format!("specified for type '{entity}' is not valid.")),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn select_knows_exactly_the_documented_properties() {
    let env = start().await;
    let rows = env
        .results(
            "crm/Accounts?$filter=Status eq 'C'&$select=ID,InvoiceAttachmentType,IsPurchase,PaymentConditionSalesDescription",
        )
        .await;
    assert_eq!(rows.len(), 3);
    let mut names = properties(&rows[0]);
    names.sort();
    assert_eq!(
        names,
        [
            "ID",
            "InvoiceAttachmentType",
            "IsPurchase",
            "PaymentConditionSalesDescription"
        ]
    );
    for (path, type_name) in [
        (
            "crm/Accounts?$filter=Status eq 'C'&$select=ID,Nonsense",
            "Exact.Web.Api.Models.Account",
        ),
        (
            "salesentry/SalesEntries?$select=EntryID,Lines",
            "Exact.Web.Api.Models.SalesEntry",
        ),
        (
            "documents/Documents?$select=Attachments",
            "Exact.Web.Api.Models.Document",
        ),
    ] {
        let (status, body) = status_and_json(env.get(path).await).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "");
        assert!(
            message(&body).contains(&format!("exists in type '{type_name}'")),
            "{path}: {body}"
        );
    }
    // Documented names Koppel does not use are there too.
    let journal = first(
        &env,
        "financial/Journals?$select=Code,AllowVAT,GLAccountType",
    )
    .await;
    assert_eq!(properties(&journal).len(), 3);
    let receivables = env
        .results("bulk/Cashflow/Receivables?$select=AccountCountry,TransactionStatus")
        .await;
    assert!(receivables.is_empty());
}

#[tokio::test]
async fn every_entity_answers_with_all_its_documented_properties() {
    let env = start().await;
    let customer = env.customer();
    let (status, document) = status_and_json(
        env.post(
            "documents/Documents",
            &json!({"Subject": "Factuur 1", "Type": 10, "Account": customer}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{document}");
    let document_id = document["d"]["ID"].as_str().unwrap().to_owned();
    let (status, _) = status_and_json(
        env.post(
            "documents/DocumentAttachments",
            &json!({"Attachment": "JVBERi0=", "Document": document_id, "FileName": "f.pdf"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let (status, entry) = status_and_json(
        env.post(
            "salesentry/SalesEntries",
            &json!({"Journal": "700", "Customer": customer, "EntryDate": "2026-03-15",
                    "Document": document_id,
                    "SalesEntryLines": [{"GLAccount": env.gl("700000"), "AmountFC": 100, "VATCode": "21"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{entry}");

    // Counts of Exact's REST API reference (see the simulator's schema module).
    let me_url = format!("{}/api/v1/current/Me", env.sim.base_url);
    let me: Value = env.get_url(&me_url).await.json().await.unwrap();
    assert_eq!(properties(&me["d"]["results"][0]).len(), 39, "current/Me");
    for (path, count) in [
        ("system/Divisions", 62),
        ("financial/GLAccounts", 44),
        ("financial/Journals", 37),
        ("vat/VATCodes", 44),
        ("financial/FinancialPeriods", 12),
        ("cashflow/PaymentConditions", 22),
        ("documents/DocumentTypes", 9),
        ("crm/Accounts?$filter=Status eq 'C'", 164),
        ("salesentry/SalesEntries", 50),
        ("salesentry/SalesEntryLines", 51),
        ("documents/Documents", 50),
        ("documents/DocumentAttachments", 6),
        ("cashflow/Receivables", 79),
        ("read/financial/ReceivablesList", 17),
    ] {
        let record = first(&env, path).await;
        assert_eq!(properties(&record).len(), count, "{path}: {record}");
    }
    // Navigation properties the simulator does not expand are deferred links.
    let account = first(&env, "crm/Accounts?$filter=Status eq 'C'").await;
    assert!(
        account["BankAccounts"]["__deferred"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("/BankAccounts"),
        "{account}"
    );
}

#[tokio::test]
async fn account_country_comes_back_padded_and_still_filters_unpadded() {
    let env = start().await;
    let seeded = env
        .results("crm/Accounts?$filter=Country eq 'BE'&$select=Name,Country")
        .await;
    assert_eq!(seeded.len(), 3);
    assert!(seeded.iter().all(|a| a["Country"] == "BE "), "{seeded:?}");
    let (status, body) = status_and_json(
        env.post(
            "crm/Accounts",
            &json!({"Name": "Klant NL", "Country": "nl"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["d"]["Country"], "NL ");
    let found = env
        .results("crm/Accounts?$filter=Country eq 'NL ' and Name eq 'Klant NL'")
        .await;
    assert_eq!(found.len(), 1);
    // In-process inspection keeps the plain code.
    let division = env.sim.division(env.division).unwrap();
    let stored = division.accounts.iter().find(|a| a.name == "Klant NL");
    assert_eq!(stored.unwrap().country.as_deref(), Some("NL"));
}
