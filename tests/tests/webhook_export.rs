//! End-to-end: near-real-time export through Teamleader's webhook, on moto. A connection to
//! the Exact simulator switches near-real-time export on as the page does after saving its
//! settings (the webhook registered once, a reconnect adds none); an invoice booked in the
//! Teamleader simulator is delivered to the page's webhook route, which queues ONE document
//! export; the real invoice-export handler drains it and the invoice is in Exact within the
//! same test — the nightly cursor untouched, and the next night posting nothing twice.

use koppel_core::jobs::export::{ExportOptions, SINCE_CURSOR};
use koppel_core::jobs::webhook::{BOOKED_EVENT_TYPES, document_run_id};
use koppel_core::{Clock, DocumentId, DocumentKind, RunStatus};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::exact;
use koppel_sim::teamleader::{self, DeliveryOutcome};
use std::time::Duration;

const KEY: &str = "a webhook test key of at least thirty-two bytes";

fn account() -> teamleader::GenerateSpec {
    teamleader::GenerateSpec {
        seed: 31,
        departments: 1,
        companies: 8,
        contacts: 2,
        invoices: 12,
        drafts: 3,
        credit_notes: 2,
        paid_percent: 50,
        days: 30,
        ..Default::default()
    }
}

/// Booked invoice numbers in Exact's entries of the default division.
fn exact_refs(stack: &Stack) -> Vec<String> {
    let mut refs: Vec<String> = stack
        .exact
        .entries(exact::DEFAULT_BE_DIVISION)
        .into_iter()
        .filter_map(|e| e.your_ref)
        .collect();
    refs.sort();
    refs
}

#[tokio::test]
async fn a_booked_invoice_reaches_the_ledger_through_the_webhook_without_moving_the_nightly_cursor()
{
    let stack = Stack::start(StackOptions {
        speed: 1.0,
        exact_limits: None,
        generate: account(),
        backend: Backend::moto_for_tests(),
        ..Default::default()
    })
    .await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect(&department, exact::DEFAULT_BE_DIVISION).await;

    // The first night exports what was booked before.
    let night = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(night.status, RunStatus::Succeeded, "{night:?}");
    let exported_by_night = exact_refs(&stack);
    assert!(!exported_by_night.is_empty());
    let cursor_after_night = stack
        .aws
        .store
        .cursor(&connection.id, SINCE_CURSOR)
        .await
        .unwrap()
        .expect("the night moved the cursor");

    // The page's public address is where Teamleader posts; saving the settings switches
    // near-real-time export on (the same call the page makes), twice: one webhook.
    let (base, server) = stack.serve_page(KEY).await;
    let page = stack.reactivation_page(
        base.parse().unwrap(),
        reactivation_page::signing::SigningKey::new(KEY).unwrap(),
        stack.clock.clone(),
    );
    page.switch_on_near_real_time(&connection).await;
    page.switch_on_near_real_time(&connection).await;
    let connection = stack
        .aws
        .store
        .connection(&connection.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        connection.settings.webhook.registered,
        "{:?}",
        connection.settings.webhook
    );
    let hooks = stack
        .teamleader
        .dump(&stack.account_id)
        .unwrap()
        .get("webhooks")
        .cloned()
        .unwrap();
    let hooks = hooks.as_array().unwrap();
    assert_eq!(
        hooks.len(),
        1,
        "a reconnect adds no second webhook: {hooks:?}"
    );
    let url = hooks[0]["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{base}/webhooks/teamleader/{}/", connection.id)));
    let mut types: Vec<&str> = hooks[0]["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    types.sort_unstable();
    let mut wanted = BOOKED_EVENT_TYPES.to_vec();
    wanted.sort_unstable();
    assert_eq!(types, wanted);

    // A person books a draft in Teamleader: the simulator posts `invoice.booked` to the page.
    let draft = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .values()
                .find(|i| i.department_id == department.as_str() && i.number.is_none())
                .map(|i| i.id.clone())
        })
        .flatten()
        .expect("a draft");
    let tokens = stack
        .teamleader
        .issue_tokens(&stack.account_id, None, None)
        .unwrap();
    let today = stack.clock.now().date_naive().to_string();
    let booked = reqwest::Client::new()
        .post(format!("{}/invoices.book", stack.teamleader.base_url))
        .bearer_auth(&tokens.access_token)
        .json(&serde_json::json!({"id": draft, "on": today}))
        .send()
        .await
        .unwrap();
    assert_eq!(booked.status(), 204);
    let deliveries = stack.teamleader.settle_webhooks().await;
    assert_eq!(deliveries.len(), 1, "{deliveries:#?}");
    assert_eq!(
        deliveries[0].outcome,
        DeliveryOutcome::Delivered { status: 202 }
    );

    // One job queued; the invoice-export handler drains it.
    let function = stack.export_function(ExportOptions::default());
    let drained = stack
        .drain_exports(&function, Duration::from_secs(900))
        .await;
    assert_eq!(
        (drained.messages, drained.failed_messages),
        (1, 0),
        "{drained:?}"
    );
    let number = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .get(&draft)
                .and_then(|i| i.number)
                .map(teamleader::model::booking_number)
        })
        .flatten()
        .expect("booked");
    let after = exact_refs(&stack);
    assert_eq!(after.len(), exported_by_night.len() + 1, "{after:?}");
    assert!(after.contains(&number), "{number} in Exact: {after:?}");

    let run = document_run_id(DocumentKind::Invoice, &DocumentId::new(draft.clone()));
    let report = stack
        .aws
        .store
        .run_report(&connection.id, &run)
        .await
        .unwrap()
        .expect("the document's own run report");
    assert_eq!(report.status, RunStatus::Succeeded, "{report:?}");
    assert_eq!(report.export_counts().exported, 1, "{report:?}");
    assert_eq!(
        stack
            .aws
            .store
            .cursor(&connection.id, SINCE_CURSOR)
            .await
            .unwrap()
            .as_deref(),
        Some(cursor_after_night.as_str()),
        "the nightly cursor did not move"
    );

    // The next night lists the invoice again and posts nothing twice.
    let next = stack.export_night("2026-12-01T01:00:00Z").await;
    assert_eq!(next.status, RunStatus::Succeeded, "{next:?}");
    assert_eq!(next.export_counts().exported, 0, "{next:?}");
    assert_eq!(exact_refs(&stack), after);
    server.abort();
}
