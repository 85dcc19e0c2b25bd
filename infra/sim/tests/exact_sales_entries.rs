//! Booking sales entries in the Exact simulator: the happy path, every business-rule refusal,
//! documents and attachments, receivables and payments, and the faults the exactly-once
//! logic must survive.

mod exact_support;

use base64::Engine;
use exact_support::{Env, message, start, status_and_json};
use koppel_sim::exact::booking::text;
use koppel_sim::exact::{CrashMode, FailNext};
use rust_decimal_macros::dec;
use serde_json::{Value, json};

fn entry(env: &Env, your_ref: &str, lines: Value) -> Value {
    json!({
        "Journal": "700",
        "Customer": env.customer(),
        "EntryDate": "2026-03-15T00:00:00",
        "YourRef": your_ref,
        "Description": format!("Factuur {your_ref}"),
        "PaymentReference": "+++090/9337/55493+++",
        "SalesEntryLines": lines,
    })
}

fn one_line(env: &Env) -> Value {
    json!([{"GLAccount": env.gl("700000"), "AmountFC": 100, "VATCode": "21", "Description": "Consultancy", "Quantity": 2}])
}

async fn post_entry(env: &Env, body: &Value) -> (u16, Value) {
    status_and_json(env.post("salesentry/SalesEntries", body).await).await
}

async fn refusal(env: &Env, body: Value) -> String {
    let (status, answer) = post_entry(env, &body).await;
    assert_eq!(status, 500, "{answer}");
    message(&answer)
}

#[tokio::test]
async fn a_posted_entry_comes_back_whole_with_its_number() {
    let env = start().await;
    let lines = json!([
        {"GLAccount": env.gl("700000"), "AmountFC": 100, "VATCode": "21", "Description": "Consultancy"},
        {"GLAccount": env.gl("700100"), "AmountFC": "50.00", "VATCode": "6"}
    ]);
    let (status, body) = post_entry(&env, &entry(&env, "TL-2026-001", lines)).await;
    assert_eq!(status, 201, "{body}");
    let d = &body["d"];
    assert_eq!(d["EntryNumber"], 267000001);
    assert_eq!(d["InvoiceNumber"], 267000001);
    assert_eq!(d["Type"], 20);
    assert_eq!(d["AmountFC"].as_f64(), Some(174.0));
    assert_eq!(d["VATAmountFC"].as_f64(), Some(24.0));
    assert_eq!(d["EntryDate"], "/Date(1773532800000)/");
    assert_eq!(
        d["DueDate"], "/Date(1776124800000)/",
        "30 days after the entry date"
    );
    assert_eq!(d["ReportingYear"], 2026);
    assert_eq!(d["ReportingPeriod"], 3);
    assert_eq!(d["__metadata"]["type"], "Exact.Web.Api.Models.SalesEntry");
    let lines = d["SalesEntryLines"]["results"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["VATCode"], "21 ");
    assert_eq!(lines[0]["VATPercentage"].as_f64(), Some(0.21));
    assert_eq!(lines[1]["VATAmountFC"].as_f64(), Some(3.0));
    let entry_id = d["EntryID"].as_str().unwrap().to_owned();

    let (_, second) = post_entry(&env, &entry(&env, "TL-2026-002", one_line(&env))).await;
    assert_eq!(second["d"]["EntryNumber"], 267000002);

    // Found again by our reference and by id; lines listed separately.
    let found = env
        .results(
            "salesentry/SalesEntries?$filter=YourRef eq 'TL-2026-001'&$select=EntryID,EntryNumber",
        )
        .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["EntryID"], entry_id.as_str());
    let by_id = env
        .results(&format!(
            "salesentry/SalesEntries?$filter=EntryID eq guid'{entry_id}'"
        ))
        .await;
    assert!(
        by_id[0]["SalesEntryLines"]["__deferred"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("/SalesEntryLines")
    );
    let expanded = env
        .results(&format!(
            "salesentry/SalesEntries?$filter=EntryID eq guid'{entry_id}'&$expand=SalesEntryLines"
        ))
        .await;
    assert_eq!(
        expanded[0]["SalesEntryLines"]["results"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let lines = env
        .results(&format!(
            "salesentry/SalesEntryLines?$filter=EntryID eq guid'{entry_id}'"
        ))
        .await;
    assert_eq!(lines.len(), 2);
    assert_eq!(
        env.results("salesentry/SalesEntries?$filter=Journal eq '700'")
            .await
            .len(),
        2
    );

    let stored = env.sim.entries(env.division);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].amount(), dec!(174));
    assert_eq!(stored[0].your_ref.as_deref(), Some("TL-2026-001"));
}

#[tokio::test]
async fn credit_notes_are_negative_and_typed_21() {
    let env = start().await;
    let mut body = entry(
        &env,
        "TL-CN-1",
        json!([{"GLAccount": env.gl("700000"), "AmountFC": -40, "VATCode": "21"}]),
    );
    body["Journal"] = json!("710");
    let (status, answer) = post_entry(&env, &body).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["d"]["Type"], 21);
    assert_eq!(answer["d"]["AmountDC"].as_f64(), Some(-48.4));
    assert_eq!(answer["d"]["EntryNumber"], 267100001);
}

#[tokio::test]
async fn duplicate_your_ref_is_accepted_but_duplicate_entry_number_is_not() {
    let env = start().await;
    let mut body = entry(&env, "TL-1", one_line(&env));
    body["EntryNumber"] = json!(42);
    assert_eq!(post_entry(&env, &body).await.0, 201);
    let mut other = entry(&env, "TL-1", one_line(&env));
    assert_eq!(
        post_entry(&env, &other).await.0,
        201,
        "a second entry with the same YourRef is booked"
    );
    other["EntryNumber"] = json!(42);
    assert_eq!(refusal(&env, other).await, text::ENTRY_NUMBER_IN_USE);
    assert_eq!(env.sim.entries(env.division).len(), 2);
}

#[tokio::test]
async fn business_rules_answer_500_in_dutch() {
    let env = start().await;
    let ar = json!([{"GLAccount": env.gl("400000"), "AmountFC": 10}]);
    assert_eq!(
        refusal(&env, entry(&env, "r1", ar)).await,
        text::GL_WRONG_TYPE
    );
    let vat_account = json!([{"GLAccount": env.gl("451000"), "AmountFC": 10}]);
    assert!(
        refusal(&env, entry(&env, "r2", vat_account))
            .await
            .starts_with("Ongeldig: Grootboekrekening")
    );

    env.sim
        .set_period_closed(env.division, 2026, 3, true)
        .unwrap();
    assert_eq!(
        refusal(&env, entry(&env, "r3", one_line(&env))).await,
        "Periode is afgesloten: 2026 - 3"
    );
    env.sim
        .set_period_closed(env.division, 2026, 3, false)
        .unwrap();

    let mut old = entry(&env, "r4", one_line(&env));
    old["EntryDate"] = json!("2019-05-01");
    assert_eq!(refusal(&env, old).await, text::NO_FINANCIAL_YEAR);

    let mut purchase = entry(&env, "r5", one_line(&env));
    purchase["Journal"] = json!("600");
    assert_eq!(
        refusal(&env, purchase).await,
        "Ongeldig dagboek. Het dagboek moet een verkoopdagboek zijn."
    );

    let bad_vat = json!([{"GLAccount": env.gl("700000"), "AmountFC": 10, "VATCode": "77"}]);
    assert_eq!(
        refusal(&env, entry(&env, "r6", bad_vat)).await,
        "Ongeldige referentie: Btw-code"
    );

    let mut stranger = entry(&env, "r7", one_line(&env));
    stranger["Customer"] = json!(uuid::Uuid::new_v4().to_string());
    assert_eq!(refusal(&env, stranger).await, "Ongeldige referentie: Klant");

    let several = refusal(
        &env,
        json!({"YourRef": "r8", "EntryDate": "2026-03-15", "SalesEntryLines": [{"AmountFC": 5}]}),
    )
    .await;
    assert_eq!(
        several,
        "Verplicht: Dagboek\r\nVerplicht: Klant\r\nVerplicht: Grootboekrekening"
    );

    assert!(
        env.sim.entries(env.division).is_empty(),
        "nothing refused was stored"
    );
}

#[tokio::test]
async fn malformed_bodies_are_400_stream_errors() {
    let env = start().await;
    let (status, body) = status_and_json(
        env.post_raw("salesentry/SalesEntries", "{\"Journal\": ")
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&body),
        "Error processing request stream. The request should be a valid top-level resource object."
    );
    let (status, body) =
        status_and_json(env.post_raw("salesentry/SalesEntries", "[1,2]").await).await;
    assert_eq!(status, 400, "{body}");
    let mut wrong = entry(&env, "x", one_line(&env));
    wrong["Customer"] = json!("Brouwerij De Ster");
    let (status, body) = post_entry(&env, &wrong).await;
    assert_eq!(status, 400);
    assert!(
        message(&body).contains("property 'Customer' to type 'Guid'"),
        "{body}"
    );
}

#[tokio::test]
async fn documents_and_attachments_link_to_the_entry() {
    let env = start().await;
    let (status, doc) = status_and_json(
        env.post(
            "documents/Documents",
            &json!({"Subject": "Factuur TL-9", "Type": 10}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{doc}");
    let document_id = doc["d"]["ID"].as_str().unwrap().to_owned();

    let (status, body) = status_and_json(
        env.post("documents/DocumentAttachments", &json!({"Attachment": "this is not base64!", "Document": document_id, "FileName": "f.pdf"})).await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(message(&body).starts_with(
        "Error processing request stream. Error encountered in converting the value from request payload for property 'Attachment' to type 'Byte[]'"
    ), "{body}");

    let pdf = b"%PDF-1.4 fake invoice";
    let encoded = base64::engine::general_purpose::STANDARD.encode(pdf);
    let (status, attachment) = status_and_json(
        env.post(
            "documents/DocumentAttachments",
            &json!({"Attachment": encoded, "Document": document_id, "FileName": "TL-9.pdf"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{attachment}");
    assert_eq!(attachment["d"]["FileSize"].as_f64(), Some(pdf.len() as f64));

    let mut body = entry(&env, "TL-9", one_line(&env));
    body["Document"] = json!(document_id);
    let (status, booked) = post_entry(&env, &body).await;
    assert_eq!(status, 201, "{booked}");
    assert_eq!(booked["d"]["Document"], document_id.as_str());
    assert_eq!(booked["d"]["DocumentSubject"], "Factuur TL-9");

    let document = env
        .get_json(&format!("documents/Documents(guid'{document_id}')"))
        .await;
    assert_eq!(
        document["d"]["FinancialTransactionEntryID"],
        booked["d"]["EntryID"]
    );

    let download = format!("{}&Download=1", attachment["d"]["Url"].as_str().unwrap());
    let bytes = env.get_url(&download).await.bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), pdf);

    let mut unknown = entry(&env, "TL-10", one_line(&env));
    unknown["Document"] = json!(uuid::Uuid::new_v4().to_string());
    assert_eq!(
        refusal(&env, unknown).await,
        "Ongeldige referentie: Document"
    );
}

#[tokio::test]
async fn receivables_follow_registered_payments() {
    let env = start().await;
    let (_, booked) = post_entry(&env, &entry(&env, "TL-P1", one_line(&env))).await;
    let entry_id = booked["d"]["EntryID"].as_str().unwrap().to_owned();
    let path = format!("cashflow/Receivables?$filter=TransactionEntryID eq guid'{entry_id}'");
    let open = env.results(&path).await;
    assert_eq!(open[0]["IsFullyPaid"], false);
    assert_eq!(open[0]["Status"], 20);
    assert_eq!(open[0]["AmountDC"].as_f64(), Some(121.0));
    assert_eq!(open[0]["YourRef"], "TL-P1");
    assert!(open[0]["LastPaymentDate"].is_null());

    // Part payment through the admin API: still open, and the open list shows the rest.
    let pay_url = format!(
        "{}/_sim/divisions/{}/entries/{entry_id}/payments",
        env.sim.base_url, env.division
    );
    let paid = env
        .http
        .post(&pay_url)
        .json(&json!({"amount": "21.00", "date": "2026-04-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 200);
    let list = env
        .results("read/financial/ReceivablesList?$filter=YourRef eq 'TL-P1'")
        .await;
    assert_eq!(list[0]["Amount"].as_f64(), Some(100.0));
    assert_eq!(env.results(&path).await[0]["IsFullyPaid"], false);

    env.http.post(&pay_url).send().await.unwrap();
    let matched = env.results(&path).await;
    assert_eq!(matched[0]["IsFullyPaid"], true);
    assert_eq!(matched[0]["Status"], 50);
    assert!(
        matched[0]["LastPaymentDate"]
            .as_str()
            .unwrap()
            .starts_with("/Date(")
    );
    assert!(
        env.results("read/financial/ReceivablesList?$filter=YourRef eq 'TL-P1'")
            .await
            .is_empty()
    );
    let bulk = env
        .results(&format!("bulk/Cashflow/Receivables?$select=EntryID,IsFullyPaid,Status&$filter=EntryID eq guid'{entry_id}'"))
        .await;
    assert_eq!(bulk[0]["IsFullyPaid"], true);

    // A corrected match re-opens it.
    env.sim
        .unmatch_payments(env.division, entry_id.parse().unwrap())
        .unwrap();
    assert_eq!(env.results(&path).await[0]["Status"], 20);
}

#[tokio::test]
async fn crash_after_commit_stores_the_entry_but_loses_the_answer() {
    let env = start().await;
    env.sim.crash_after_commit(1, CrashMode::DropConnection);
    let lost = env
        .http
        .post(env.url("salesentry/SalesEntries"))
        .bearer_auth(&env.token)
        .json(&entry(&env, "TL-CRASH", one_line(&env)))
        .send()
        .await;
    assert!(
        lost.is_err(),
        "the connection drops before any answer: {lost:?}"
    );
    let stored = env.sim.entries(env.division);
    assert_eq!(stored.len(), 1, "the entry was committed");
    // Looking it up by our reference is how the client recovers.
    let found = env
        .results("salesentry/SalesEntries?$filter=YourRef eq 'TL-CRASH'")
        .await;
    assert_eq!(found[0]["EntryID"], stored[0].entry_id.to_string());

    env.sim.crash_after_commit(1, CrashMode::InternalError);
    let response = env
        .post(
            "salesentry/SalesEntries",
            &entry(&env, "TL-CRASH-2", one_line(&env)),
        )
        .await;
    assert_eq!(response.status(), 500);
    assert!(!response.text().await.unwrap().contains("EntryID"));
    assert_eq!(env.sim.entries(env.division).len(), 2);
    assert_eq!(env.sim.stats().crashes_after_commit, 2);

    let (status, _) = post_entry(&env, &entry(&env, "TL-OK", one_line(&env))).await;
    assert_eq!(status, 201, "the fault is spent");
}

#[tokio::test]
async fn injected_failures_latency_and_deleted_entries() {
    let env = start().await;
    env.sim.fail_next(FailNext {
        count: 2,
        status: 503,
        path_contains: Some("SalesEntries".into()),
    });
    assert_eq!(
        env.get("financial/Journals").await.status(),
        200,
        "other paths are untouched"
    );
    assert_eq!(env.get("salesentry/SalesEntries").await.status(), 503);
    let second = env
        .post(
            "salesentry/SalesEntries",
            &entry(&env, "TL-F", one_line(&env)),
        )
        .await;
    assert_eq!(second.status(), 503);
    assert!(
        env.sim.entries(env.division).is_empty(),
        "a failed call stores nothing"
    );
    let (status, booked) = post_entry(&env, &entry(&env, "TL-F", one_line(&env))).await;
    assert_eq!(status, 201);

    env.sim.set_latency(std::time::Duration::from_millis(150));
    let started = std::time::Instant::now();
    assert_eq!(env.get("financial/Journals").await.status(), 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    env.sim.clear_faults();

    let entry_id: uuid::Uuid = booked["d"]["EntryID"].as_str().unwrap().parse().unwrap();
    let admin = format!(
        "{}/_sim/divisions/{}/entries/{entry_id}",
        env.sim.base_url, env.division
    );
    assert_eq!(env.http.delete(&admin).send().await.unwrap().status(), 200);
    assert!(
        env.results("salesentry/SalesEntries?$filter=YourRef eq 'TL-F'")
            .await
            .is_empty()
    );
    assert_eq!(env.http.delete(&admin).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn dutch_division_books_on_8xxx_in_journal_70() {
    let env = start().await;
    let nl = koppel_sim::exact::DEFAULT_NL_DIVISION;
    let division = env.sim.division(nl).unwrap();
    let body = json!({
        "Journal": "70",
        "Customer": division.accounts[0].id.to_string(),
        "EntryDate": "2025-11-03",
        "SalesEntryLines": [{"GLAccount": division.gl_account_by_code("8010").unwrap().id.to_string(), "AmountFC": 200}]
    });
    let response = env
        .http
        .post(format!("{}/salesentry/SalesEntries", env.sim.api_url(nl)))
        .bearer_auth(&env.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, answer) = status_and_json(response).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["d"]["EntryNumber"], 25700001);
    assert_eq!(
        answer["d"]["VATAmountFC"].as_f64(),
        Some(18.0),
        "8010 defaults to 9 % VAT"
    );
}
