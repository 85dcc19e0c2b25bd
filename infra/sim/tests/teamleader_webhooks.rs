//! Teamleader simulator webhooks: register / list / unregister per account as the spec says,
//! and delivery of the thin events to the registered local URLs, waited for without sleeping.

mod teamleader_support;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use koppel_sim::teamleader::DeliveryOutcome;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use teamleader_support::{ACCOUNT_A, start};

/// A local receiver: `/ok` records the event and answers 202, `/fail` answers 500.
struct Receiver {
    base_url: String,
    received: Arc<Mutex<Vec<Value>>>,
}

async fn receiver() -> Receiver {
    let received = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route(
            "/ok",
            post(
                |State(seen): State<Arc<Mutex<Vec<Value>>>>,
                 axum::Json(event): axum::Json<Value>| async move {
                    seen.lock().unwrap().push(event);
                    StatusCode::ACCEPTED
                },
            ),
        )
        .route(
            "/fail",
            post(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { base_url, received }
}

#[tokio::test]
async fn register_is_keyed_by_url_and_types_list_is_ordered_by_url_unregister_needs_both() {
    let f = start().await;
    for (url, types) in [
        ("https://z.example/hook", json!(["invoice.booked"])),
        (
            "https://a.example/hook",
            json!(["creditNote.booked", "invoice.booked"]),
        ),
        // The same again: harmless.
        (
            "https://a.example/hook",
            json!(["invoice.booked", "creditNote.booked"]),
        ),
    ] {
        let answer = f
            .call("webhooks.register", json!({"url": url, "types": types}))
            .await;
        assert_eq!(answer.status, 204, "{:?}", answer.body);
    }
    let hooks = f.data("webhooks.list", json!({})).await;
    let urls: Vec<&str> = hooks
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls, ["https://a.example/hook", "https://z.example/hook"]);

    // Account B sees none of A's webhooks.
    let token_b = f.token_b.clone();
    let b = f.call_with(&token_b, "webhooks.list", json!({})).await;
    assert_eq!(b.body["data"], json!([]));

    // Unknown event types and relative URLs are refused.
    for bad in [
        json!({"url": "https://a.example/hook", "types": ["invoice.exploded"]}),
        json!({"url": "/hook", "types": ["invoice.booked"]}),
        json!({"url": "https://a.example/hook"}),
    ] {
        assert_eq!(
            f.call("webhooks.register", bad.clone()).await.status,
            400,
            "{bad}"
        );
    }

    // Unregister needs the URL and the same types.
    let partial = f
        .call(
            "webhooks.unregister",
            json!({"url": "https://a.example/hook", "types": ["invoice.booked"]}),
        )
        .await;
    assert_eq!(partial.status, 204);
    assert_eq!(
        f.data("webhooks.list", json!({}))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    f.call(
        "webhooks.unregister",
        json!({"url": "https://a.example/hook", "types": ["invoice.booked", "creditNote.booked"]}),
    )
    .await;
    assert_eq!(
        f.data("webhooks.list", json!({})).await,
        json!([{"url": "https://z.example/hook", "types": ["invoice.booked"]}])
    );
}

#[tokio::test]
async fn a_booked_document_is_posted_to_every_url_registered_for_its_type_and_failures_are_logged()
{
    let f = start().await;
    let r = receiver().await;
    let ok = format!("{}/ok", r.base_url);
    let fail = format!("{}/fail", r.base_url);
    for (url, types) in [
        (&ok, json!(["invoice.booked", "creditNote.booked"])),
        (&fail, json!(["invoice.booked"])),
        (&ok, json!(["company.added"])),
    ] {
        f.call("webhooks.register", json!({"url": url, "types": types}))
            .await;
    }

    // A draft booked through the API: one event, two URLs registered for its type.
    let booked = f
        .call("invoices.book", json!({"id": "inv-4", "on": "2024-03-01"}))
        .await;
    assert_eq!(booked.status, 204, "{:?}", booked.body);
    let deliveries = f.sim.settle_webhooks().await;
    let event = json!({
        "type": "invoice.booked",
        "subject": {"type": "invoice", "id": "inv-4"},
        "account": {"type": "account", "id": ACCOUNT_A},
    });
    assert_eq!(deliveries.len(), 2, "{deliveries:#?}");
    assert!(
        deliveries
            .iter()
            .all(|d| d.event == event && d.account_id == ACCOUNT_A)
    );
    let to = |url: &str| deliveries.iter().find(|d| d.url == url).unwrap();
    assert_eq!(to(&ok).outcome, DeliveryOutcome::Delivered { status: 202 });
    assert!(matches!(
        to(&fail).outcome,
        DeliveryOutcome::Failed {
            status: Some(500),
            ..
        }
    ));
    assert_eq!(*r.received.lock().unwrap(), vec![event]);

    // An event recorded by a test helper (a credit note added to the account) is delivered
    // the same way; other accounts' events and unregistered types are not.
    assert!(
        f.sim
            .record_event(ACCOUNT_A, "creditNote.booked", "creditNote", "cn-9")
    );
    assert!(
        f.sim
            .record_event(ACCOUNT_A, "invoice.updated", "invoice", "inv-4")
    );
    assert!(
        f.sim
            .record_event("acc-b", "invoice.booked", "invoice", "inv-b1")
    );
    assert!(
        !f.sim
            .record_event("nobody", "invoice.booked", "invoice", "x")
    );
    let deliveries = f.sim.settle_webhooks().await;
    assert_eq!(deliveries.len(), 3, "{deliveries:#?}");
    assert_eq!(
        deliveries[2].event["subject"],
        json!({"type": "creditNote", "id": "cn-9"})
    );
    assert_eq!(
        r.received.lock().unwrap().len(),
        2,
        "no retry of the failed one"
    );

    // The same over the admin routes.
    let http = reqwest::Client::new();
    let answer = http
        .post(format!("{}/_sim/events", f.sim.base_url))
        .json(&json!({"account_id": ACCOUNT_A, "type": "company.added", "subject": {"type": "company", "id": "comp-1"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);
    let settled: Vec<Value> = http
        .post(format!("{}/_sim/webhooks/settle", f.sim.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settled.len(), 4);
    assert_eq!(
        settled[3]["outcome"],
        json!({"outcome": "delivered", "status": 202})
    );
}

#[tokio::test]
async fn nothing_is_posted_outside_this_machine() {
    let f = start().await;
    f.call(
        "webhooks.register",
        json!({"url": "https://koppel.example/hook", "types": ["invoice.booked"]}),
    )
    .await;
    f.call("invoices.book", json!({"id": "inv-4", "on": "2024-03-01"}))
        .await;
    let deliveries = f.sim.settle_webhooks().await;
    assert_eq!(deliveries.len(), 1);
    assert!(matches!(
        &deliveries[0].outcome,
        DeliveryOutcome::Failed { status: None, error } if error.contains("local addresses only")
    ));
}
