//! The demo's Clearfacts part: the account's fifth department linked to the Clearfacts company
//! [`COMPANY`] (simulated). Clearfacts is an accountant's portal without a general ledger:
//! Koppel uploads each booked document into the company's sales inbox — a Peppol BIS 3 file
//! whenever one passes the official rules, else the PDF with the broken rule in the report.
//! A night, a booking and an hour:
//! 1. the nightly export: every booked document of the department uploaded once (distinct
//!    files), the BIS 3 / PDF split with the PDFs' reasons grouped by rule, and every XML that
//!    reached Clearfacts checked again here against the official rules (the check fails when
//!    the validator is not configured);
//! 2. near real time: the connection's webhook registered in Teamleader, pointing at the
//!    connection page served on this machine; an invoice booked in Teamleader makes the
//!    simulator deliver `invoice.booked` to the page's route, which queues the export of that
//!    one document; the queue drained, the invoice is in Clearfacts seconds after booking;
//! 3. the accountant's bank matches one invoice (`PAID` in Clearfacts); the payment poll reads
//!    the payment states, 50 documents a request, and marks the invoice paid in Teamleader.
//!
//! The other departments' connections run on the same night: they have nothing new and must
//! post nothing. Clearfacts' call counts are printed per step.

use crate::{Checks, Night, show};
use chrono::Duration as Days;
use koppel_core::jobs::export::ExportOptions;
use koppel_core::jobs::webhook;
use koppel_core::{
    AccountId, Clock, Connection, Deadline, DepartmentId, DocumentId, DocumentKind, ExportState,
    IssueOutcome, JobKind, RunIssue, RunReport, RunStatus, WebhookToken,
};
use koppel_e2e::stack::Stack;
use koppel_einvoice::PeppolValidator;
use koppel_sim::clearfacts::{self, FileKind, PaymentState, SimStats, Upload};
use koppel_sim::teamleader::{self, model};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// The Clearfacts company the fifth department is linked to (the simulator's demo company,
/// which the demo accountant can see).
const COMPANY: &str = clearfacts::ADMINISTRATION_DEMO;
/// The fifth department's name in the story (the generator calls it "Vestiging 5").
const DEPARTMENT_NAME: &str = "Vestiging Brussel";
/// Documents whose payment state one GraphQL request reads (aliased `document` fields).
const STATES_PER_REQUEST: u64 = 50;

/// The fifth department's story with Clearfacts. The account's other connections run on the
/// same night and must have nothing to do.
pub async fn fifth_department(checks: &mut Checks, stack: &Stack, department: &DepartmentId) {
    let Some(company) = stack.clearfacts.administration(COMPANY) else {
        checks.expect(false, || {
            format!("Clearfacts company {COMPANY} is not in the simulator")
        });
        return;
    };
    show::title(&format!(
        "A fifth department on Clearfacts: company {COMPANY} \"{}\" (simulated)",
        company.name
    ));
    rename_department(stack, department);
    let books = crate::scenario::books(
        &stack.teamleader,
        &stack.account_id,
        department.as_str(),
        (0, 0),
    );
    crate::print_books(&books);
    println!(
        "  Clearfacts is an accountant's portal, not a ledger: no journals, no customers to create. Koppel uploads"
    );
    println!(
        "  each booked document into the company's sales inbox — a Peppol BIS 3 file when one passes the official"
    );
    println!(
        "  rules (Teamleader's for invoices, built by Koppel for credit notes), else the PDF with the rule it broke."
    );
    let validator = PeppolValidator::from_env();
    println!(
        "  the official rules (CEN EN 16931 + Peppol BIS 3, a persistent worker): {}",
        if validator.is_some() {
            "configured"
        } else {
            "NOT configured (KOPPEL_PEPPOL_PYTHON, EINVOICE_RULES_DIR): every document goes as its PDF"
        }
    );
    checks.expect(validator.is_some(), || {
        "the Peppol validator is not configured (KOPPEL_PEPPOL_PYTHON and EINVOICE_RULES_DIR, written by infra/dev to .dev/env): no upload can be checked".to_owned()
    });
    let mut stats = stack.clearfacts.stats();
    let connection = stack.connect_clearfacts(department, COMPANY).await;
    let label = format!("{} → Clearfacts {COMPANY}", books.name);
    println!(
        "  {label}  [{}]  (OpenID Connect sign-in of the accountant, rotating refresh tokens, one GraphQL endpoint)",
        connection.id
    );
    stats = calls(stack, &stats, "linking (the company checked)");

    // ------------------------------------------------------------------ 1. the export
    let others = other_connections(stack, &connection).await;
    let mut connections: Vec<(&Connection, &str)> =
        others.iter().map(|(c, l)| (c, l.as_str())).collect();
    connections.push((&connection, label.as_str()));
    stack.clock.advance(Days::days(1));
    show::title("Night 7: the nightly export, now with the Clearfacts department");
    let night = crate::night(stack, &connections).await;
    let report = clearfacts_report(checks, &night, &connections, "night 7");
    show::report_for("Clearfacts", &label, &report);
    stats = calls(stack, &stats, "night 7");
    let booked = books.invoices.len() + books.credit_notes.len();
    checks.expect(report.status == RunStatus::Succeeded, || {
        format!("{label}: night 7 ended {:?}", report.status)
    });
    checks.expect(report.export_counts().exported as usize == booked, || {
        format!(
            "{label}: night 7 exported {}, expected every booked document ({booked})",
            report.export_counts().exported
        )
    });
    inbox(checks, stack, &report, booked, &label);
    check_xml_uploads(checks, stack, validator.as_ref(), &label).await;
    check_once(checks, stack, &label);

    // ------------------------------------------------------------------ 2. near real time
    near_real_time(
        checks,
        stack,
        department,
        &connection,
        &label,
        &stats,
        validator.as_ref(),
    )
    .await;
    stats = stack.clearfacts.stats();
    check_once(checks, stack, &label);

    // ------------------------------------------------------------------ 3. a payment
    payment(checks, stack, department, &connection, &label, &stats).await;
}

/// Give the fifth department a name in the story.
fn rename_department(stack: &Stack, department: &DepartmentId) {
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            if let Some(d) = a
                .departments
                .iter_mut()
                .find(|d| d.id == department.as_str())
            {
                d.name = DEPARTMENT_NAME.to_owned();
            }
        })
        .expect("the generated account exists");
}

/// The account's other connections (Exact, Octopus, Twinfield), each with a label.
async fn other_connections(stack: &Stack, clearfacts: &Connection) -> Vec<(Connection, String)> {
    let names: BTreeMap<String, String> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.departments
                .iter()
                .map(|d| (d.id.clone(), d.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    stack
        .aws
        .store
        .connections_of_account(&AccountId::new(stack.account_id.clone()))
        .await
        .expect("connections readable from moto")
        .into_iter()
        .filter(|c| c.id != clearfacts.id)
        .map(|c| {
            let label = format!(
                "{} → {} {}",
                names
                    .get(c.department_id.as_str())
                    .map_or("?", String::as_str),
                c.ledger.display_name(),
                c.ledger_company
            );
            (c, label)
        })
        .collect()
}

/// The Clearfacts connection's report of a night (the last of `night.reports`), after checking
/// the drain and that the other connections (the first reports) had nothing to do.
fn clearfacts_report(
    checks: &mut Checks,
    night: &Night,
    connections: &[(&Connection, &str)],
    when: &str,
) -> RunReport {
    let drained = night.drained;
    checks.expect(drained.killed == 0 && drained.failed_messages == 0, || {
        format!(
            "{when}: {} invocation(s) killed, {} message(s) failed",
            drained.killed, drained.failed_messages
        )
    });
    let others = connections.len().saturating_sub(1);
    let idle: Vec<String> = connections[..others]
        .iter()
        .zip(&night.reports)
        .map(|((_, label), report)| {
            let c = report.export_counts();
            checks.expect(
                report.status == RunStatus::Succeeded && c.exported == 0,
                || {
                    format!(
                        "{label} on {when}: {:?}, {} exported — it had nothing new",
                        report.status, c.exported
                    )
                },
            );
            format!("{label} {:?}, {} exported", report.status, c.exported)
        })
        .collect();
    println!(
        "  the other departments (nothing new for them): {}",
        idle.join("; ")
    );
    night
        .reports
        .last()
        .cloned()
        .expect("the Clearfacts connection's report")
}

/// Clearfacts' calls since `before` (GraphQL requests and the fields they carried, sign-in);
/// returns the counters now.
fn calls(stack: &Stack, before: &SimStats, step: &str) -> SimStats {
    let now = stack.clearfacts.stats();
    let delta = |key: &str| now.calls(key).saturating_sub(before.calls(key));
    let fields: Vec<String> = [
        "administrations",
        "administration",
        "uploadFile",
        "document",
    ]
    .iter()
    .filter_map(|field| {
        let n = delta(field);
        (n > 0).then(|| format!("{field} {n}"))
    })
    .collect();
    println!(
        "  Clearfacts calls ({step}): {} GraphQL request(s) — {}; token grants {} (refreshes {}), answered 401 {}",
        delta("graphql"),
        if fields.is_empty() {
            "none".to_owned()
        } else {
            fields.join(", ")
        },
        delta("token"),
        delta("token:refresh_token"),
        now.unauthorized.saturating_sub(before.unauthorized)
    );
    now
}

/// The rule (or the reason) a PDF was sent for, to group the report's notices by: "rule
/// PEPPOL-EN16931-R010", or the reason's first clause when no rule was broken.
fn pdf_reason_group(reason: &str) -> String {
    let reason = reason.strip_prefix("Sent as PDF: ").unwrap_or(reason);
    if let Some((_, after)) = reason.split_once("broke rule ") {
        let rule = after.split_whitespace().next().unwrap_or("?");
        return format!("rule {rule}");
    }
    let end = [", so ", ": "]
        .iter()
        .filter_map(|mark| reason.find(mark))
        .min()
        .unwrap_or(reason.len());
    reason[..end].trim_end_matches('.').to_owned()
}

/// The rule's own words in a reason (`… broke rule X — "text" …`).
fn rule_text(reason: &str) -> Option<&str> {
    let (_, after) = reason.split_once("— \"")?;
    after.split_once('"').map(|(text, _)| text)
}

/// The uploads that reached the company (the simulator holds no other company's here, but
/// the filter keeps the counts honest).
fn company_uploads(stack: &Stack) -> Vec<Upload> {
    stack
        .clearfacts
        .uploads()
        .into_iter()
        .filter(|u| u.company_number == COMPANY)
        .collect()
}

/// What the sales inbox holds: uploads in all, as BIS 3 (invoices, credit notes) and as PDF,
/// the PDFs' reasons grouped by rule; checked against the report's counts and notices.
fn inbox(checks: &mut Checks, stack: &Stack, report: &RunReport, booked: usize, label: &str) {
    let counts = report.export_counts();
    let uploads = company_uploads(stack);
    let xml_root = |root: &str| {
        uploads
            .iter()
            .filter(|u| u.kind == FileKind::Xml && u.xml_root.as_deref() == Some(root))
            .count()
    };
    let xml = uploads.iter().filter(|u| u.kind == FileKind::Xml).count();
    let pdf = uploads.iter().filter(|u| u.kind == FileKind::Pdf).count();
    let pdf_notices: Vec<&RunIssue> = report
        .notices
        .iter()
        .filter(|n| n.outcome == IssueOutcome::SentAsPdf)
        .collect();
    let mut by_reason: BTreeMap<String, Vec<&RunIssue>> = BTreeMap::new();
    for notice in &pdf_notices {
        by_reason
            .entry(pdf_reason_group(&notice.reason))
            .or_default()
            .push(notice);
    }
    println!("  What Clearfacts company {COMPANY}'s sales inbox holds now:");
    println!(
        "    uploads {} (for {booked} booked documents); as Peppol BIS 3 {xml} ({} invoice(s) from Teamleader, {} credit note(s) built by Koppel); as PDF {pdf}",
        uploads.len(),
        xml_root("Invoice"),
        xml_root("CreditNote")
    );
    println!(
        "    the report: {} as Peppol BIS 3, {} as PDF, {} that may be there twice; the PDFs' reasons by rule:",
        counts.sent_structured, counts.sent_as_pdf, counts.maybe_sent_twice
    );
    let mut groups: Vec<(&String, &Vec<&RunIssue>)> = by_reason.iter().collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    for (group, notices) in &groups {
        let example = notices.first().map_or(String::new(), |n| {
            let words = rule_text(&n.reason)
                .map(|t| format!(" \"{}\"", t.trim()))
                .unwrap_or_default();
            format!(" — e.g. {}{words}", n.subject)
        });
        println!("      • {group}: {} document(s){example}", notices.len());
    }
    if groups.is_empty() {
        println!("      (none: every document went as its Peppol BIS 3 file)");
    }
    if let Some(first) = pdf_notices.first() {
        println!(
            "    what the user reads for {}: {}",
            first.subject, first.reason
        );
    }
    checks.expect(uploads.len() == booked, || {
        format!(
            "{label}: {} upload(s) in Clearfacts for {booked} booked documents",
            uploads.len()
        )
    });
    checks.expect(
        xml == counts.sent_structured as usize
            && pdf == counts.sent_as_pdf as usize
            && xml + pdf == booked,
        || {
            format!(
                "{label}: {xml} XML + {pdf} PDF upload(s), the report says {} BIS 3 + {} PDF, {booked} booked",
                counts.sent_structured, counts.sent_as_pdf
            )
        },
    );
    checks.expect(pdf_notices.len() == counts.sent_as_pdf as usize, || {
        format!(
            "{label}: {} PDF(s) sent, {} with a reason in the report",
            counts.sent_as_pdf,
            pdf_notices.len()
        )
    });
    checks.expect(counts.maybe_sent_twice == 0, || {
        format!(
            "{label}: {} document(s) may have been sent twice",
            counts.maybe_sent_twice
        )
    });
}

/// Every XML upload passes the official rules: each one checked again here. Fails the demo
/// when any does not, or when no validator is configured.
async fn check_xml_uploads(
    checks: &mut Checks,
    stack: &Stack,
    validator: Option<&PeppolValidator>,
    label: &str,
) {
    let Some(validator) = validator else {
        checks.expect(false, || {
            format!(
                "{label}: the uploaded XML files cannot be checked: the Peppol validator is not configured"
            )
        });
        return;
    };
    let started = Instant::now();
    let mut checked = 0;
    let mut refused = Vec::new();
    for upload in company_uploads(stack)
        .iter()
        .filter(|u| u.kind == FileKind::Xml)
    {
        checked += 1;
        let Some(bytes) = stack.clearfacts.upload_bytes(&upload.uuid) else {
            refused.push(format!("{}: no bytes in the simulator", upload.file_name));
            continue;
        };
        match validator.check(&bytes).await {
            Ok(verdict) if verdict.is_valid() => {}
            Ok(verdict) => refused.push(format!(
                "{}: rule {}",
                upload.file_name,
                verdict.first_error().map_or("?", |f| f.rule.as_str())
            )),
            Err(error) => refused.push(format!("{}: not checked ({error})", upload.file_name)),
        }
    }
    println!(
        "  check: every XML upload passes the official rules — {checked} file(s) checked again here in {}: {}",
        show::duration(started.elapsed()),
        if refused.is_empty() {
            "all pass".to_owned()
        } else {
            format!("{} do NOT", refused.len())
        }
    );
    for r in refused.iter().take(3) {
        println!("    ✗ {r}");
    }
    checks.expect(refused.is_empty(), || {
        format!(
            "{label}: {} XML upload(s) do not pass the official rules, e.g. {}",
            refused.len(),
            refused.first().cloned().unwrap_or_default()
        )
    });
}

/// No document uploaded twice: as many distinct files (SHA-256) as uploads.
fn check_once(checks: &mut Checks, stack: &Stack, label: &str) {
    let uploads = company_uploads(stack);
    let distinct: BTreeSet<&str> = uploads.iter().map(|u| u.sha256.as_str()).collect();
    println!(
        "  check: nothing uploaded twice — {} distinct file(s) (SHA-256) for {} upload(s)",
        distinct.len(),
        uploads.len()
    );
    checks.expect(distinct.len() == uploads.len(), || {
        format!(
            "{label}: {} upload(s) but {} distinct file(s): a document went twice",
            uploads.len(),
            distinct.len()
        )
    });
}

/// A token for the connection's webhook URL: 244 random bits, URL-safe.
fn new_webhook_token() -> WebhookToken {
    WebhookToken::new(format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    ))
}

/// A draft invoice of `department` in Teamleader.
fn a_draft(stack: &Stack, department: &DepartmentId) -> Option<String> {
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .values()
                .find(|i| i.department_id == department.as_str() && i.number.is_none())
                .map(|i| i.id.clone())
        })
        .flatten()
}

/// Book `draft` through Teamleader's API (`invoices.book`), as a user does in Teamleader: the
/// simulator records `invoice.booked` and delivers it to the webhooks registered for it.
async fn book(stack: &Stack, draft: &str) -> Result<String, String> {
    let tokens = stack.teamleader.issue_tokens(
        &stack.account_id,
        Some(teamleader::DEFAULT_CLIENT_ID),
        None,
    )?;
    let today = stack.clock.now().date_naive().to_string();
    reqwest::Client::new()
        .post(format!("{}/invoices.book", stack.teamleader.base_url))
        .bearer_auth(&tokens.access_token)
        .json(&serde_json::json!({ "id": draft, "on": today }))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.to_string())?;
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .get(draft)
                .and_then(|i| i.number)
                .map(model::booking_number)
        })
        .flatten()
        .ok_or_else(|| "the booked invoice has no number".to_owned())
}

/// The upload Koppel recorded for a document (its entry id is the upload's uuid).
async fn recorded_upload(stack: &Stack, connection: &Connection, document: &str) -> Option<Upload> {
    let record = stack
        .aws
        .store
        .document(&connection.id, &DocumentId::new(document))
        .await
        .expect("document records readable from moto")?;
    match record.state {
        ExportState::Exported { entry_id, .. } => stack.clearfacts.upload(entry_id.as_str()),
        _ => None,
    }
}

/// Near real time: the connection's webhook in Teamleader pointing at the connection page on
/// this machine, an invoice booked, the event delivered to the page's route, the one-document
/// export drained, the invoice in Clearfacts seconds after booking.
async fn near_real_time(
    checks: &mut Checks,
    stack: &Stack,
    department: &DepartmentId,
    connection: &Connection,
    label: &str,
    stats: &SimStats,
    validator: Option<&PeppolValidator>,
) {
    show::title(
        "Near real time: an invoice booked, Teamleader's webhook, the export of that document",
    );
    let key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let (base, server) = stack.serve_page(&key).await;
    let webhooks = stack
        .connector
        .teamleader_webhooks(connection, Deadline::none());
    let enabled = webhook::enable_near_real_time(
        stack.aws.store.as_ref(),
        webhooks.as_ref(),
        &connection.id,
        &base,
        new_webhook_token,
    )
    .await;
    let registered = matches!(&enabled, Ok(Some(c)) if c.settings.webhook.registered);
    let hooks = stack
        .teamleader
        .with_account(&stack.account_id, |a| a.webhooks.clone())
        .unwrap_or_default();
    let ours = format!(
        "{base}{}/{}/",
        webhook::WEBHOOK_PATH,
        connection.id.as_str()
    );
    let in_teamleader = hooks.iter().find(|h| h.url.starts_with(&ours));
    println!(
        "  the connection page on {base}; Koppel registered the connection's webhook in Teamleader: {}",
        match in_teamleader {
            Some(hook) => format!("{ours}<token> for {}", hook.types.join(" + ")),
            None => "NOT registered".to_owned(),
        }
    );
    checks.expect(registered && in_teamleader.is_some(), || {
        format!("{label}: the webhook was not registered in Teamleader: {enabled:?}")
    });
    let Some(draft) = a_draft(stack, department) else {
        checks.expect(false, || format!("{label}: no draft invoice left to book"));
        server.abort();
        return;
    };
    let before = company_uploads(stack).len();
    let booked_at = stack.clock.now();
    let real = Instant::now();
    let number = match book(stack, &draft).await {
        Ok(number) => number,
        Err(error) => {
            checks.expect(false, || {
                format!("{label}: Teamleader refused to book draft {draft}: {error}")
            });
            server.abort();
            return;
        }
    };
    println!(
        "  Teamleader: draft invoice of {DEPARTMENT_NAME} booked as {number} at {} (the shared clock)",
        booked_at.format("%H:%M:%S")
    );
    let deliveries = stack.teamleader.settle_webhooks().await;
    let delivery = deliveries.iter().rev().find(|d| {
        d.url.starts_with(&ours)
            && d.event.pointer("/subject/id").and_then(|v| v.as_str()) == Some(draft.as_str())
    });
    let delivered = matches!(
        delivery.map(|d| &d.outcome),
        Some(teamleader::DeliveryOutcome::Delivered { .. })
    );
    println!(
        "  the Teamleader simulator delivered {} to the page's route /webhooks/teamleader/{}/<token>: {}",
        delivery
            .and_then(|d| d.event.get("type").and_then(|t| t.as_str()))
            .unwrap_or("invoice.booked"),
        connection.id,
        match delivery.map(|d| &d.outcome) {
            Some(teamleader::DeliveryOutcome::Delivered { status }) =>
                format!("answered {status}, one document export queued"),
            Some(teamleader::DeliveryOutcome::Failed { error, .. }) => format!("FAILED: {error}"),
            None => "nothing delivered".to_owned(),
        }
    );
    checks.expect(delivered, || {
        format!("{label}: invoice.booked did not reach the page's webhook route: {delivery:?}")
    });
    let function = stack.export_function(ExportOptions::default());
    let drained = stack
        .drain(JobKind::InvoiceExport, &function, crate::BUDGET)
        .await;
    server.abort();
    let upload = recorded_upload(stack, connection, &draft).await;
    let arrived = company_uploads(stack).len() - before;
    let report = stack
        .aws
        .store
        .run_report(
            &connection.id,
            &webhook::document_run_id(DocumentKind::Invoice, &DocumentId::new(draft.as_str())),
        )
        .await
        .expect("run reports readable from moto");
    match (&upload, &report) {
        (Some(upload), Some(report)) => {
            let after_booking = (upload.uploaded_at - booked_at)
                .to_std()
                .unwrap_or_default();
            println!(
                "  export queue drained ({} message(s), {} invocation(s)); run {}: {:?}, {} exported",
                drained.messages,
                drained.invocations,
                report.run_id,
                report.status,
                report.export_counts().exported
            );
            println!(
                "  Clearfacts: invoice {number} in the sales inbox as {} \"{}\" at {} — {} after booking on the ×{} clock ({} real): within seconds of booking, no nightly run",
                match upload.kind {
                    FileKind::Xml => "Peppol BIS 3 file",
                    FileKind::Pdf => "PDF",
                    FileKind::Jpeg => "JPEG",
                },
                upload.file_name,
                upload.uploaded_at.format("%H:%M:%S"),
                show::duration(after_booking),
                crate::SPEED,
                show::duration(real.elapsed())
            );
            if upload.kind == FileKind::Pdf
                && let Some(notice) = report
                    .notices
                    .iter()
                    .find(|n| n.outcome == IssueOutcome::SentAsPdf)
            {
                println!("    {}", notice.reason);
            }
        }
        _ => println!(
            "  export queue drained ({} message(s)); invoice {number} is NOT in Clearfacts (report {:?})",
            drained.messages,
            report.as_ref().map(|r| r.status)
        ),
    }
    checks.expect(
        drained.messages == 1 && drained.failed_messages == 0 && drained.killed == 0,
        || format!("{label}: the webhook's export: {drained:?}, expected one message"),
    );
    checks.expect(
        arrived == 1
            && upload.is_some()
            && report
                .as_ref()
                .is_some_and(|r| r.status == RunStatus::Succeeded && r.export_counts().exported == 1),
        || {
            format!(
                "{label}: {arrived} upload(s) after booking {number}, Koppel's record {}, report {:?}",
                if upload.is_some() { "found" } else { "missing" },
                report.as_ref().map(|r| (r.status, r.export_counts().exported))
            )
        },
    );
    calls(stack, stats, "near real time");
    check_xml_uploads(checks, stack, validator, label).await;
}

/// The accountant's bank matches one exported invoice: `PAID` in Clearfacts. The payment poll
/// reads the payment states (50 documents a request) and marks the invoice paid in
/// Teamleader, once.
async fn payment(
    checks: &mut Checks,
    stack: &Stack,
    department: &DepartmentId,
    connection: &Connection,
    label: &str,
    stats: &SimStats,
) {
    show::title("The next hour: an invoice paid, as Clearfacts knows it (PAID); the payment poll");
    // Invoices whose Teamleader invoice shows no payment yet: (id, number, total).
    let unpaid: Vec<(String, String, Decimal)> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let rates = a.rates();
            a.invoices
                .values()
                .filter(|i| i.department_id == department.as_str() && i.payments.is_empty())
                .filter_map(|i| {
                    Some((
                        i.id.clone(),
                        model::booking_number(i.number?),
                        i.totals(&rates).inclusive,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut chosen = None;
    for (id, number, total) in &unpaid {
        if let Some(upload) = recorded_upload(stack, connection, id).await {
            chosen = Some((id.clone(), number.clone(), *total, upload));
            break;
        }
    }
    let Some((id, number, total, upload)) = chosen else {
        checks.expect(false, || {
            format!("{label}: no unpaid invoice uploaded to Clearfacts")
        });
        return;
    };
    stack
        .clearfacts
        .set_payment_state(&upload.uuid, PaymentState::Paid)
        .expect("the upload exists");
    println!(
        "  Clearfacts: invoice {number} ({}, upload {}) now PAID; {} invoice(s) of {DEPARTMENT_NAME} are open in Teamleader",
        show::eur(total),
        upload.uuid,
        unpaid.len()
    );
    let sent = stack
        .dispatch_at("payment-poll", &stack.clock.now().to_rfc3339())
        .await;
    println!("  dispatcher (hourly schedule): {sent} message(s) on the payment-poll queue");
    let function = stack.payment_poll_function();
    let drained = stack
        .drain(JobKind::PaymentPoll, &function, crate::BUDGET)
        .await;
    checks.expect(drained.failed_messages == 0 && drained.killed == 0, || {
        format!("the payment poll with Clearfacts: {drained:?}")
    });
    let report = stack
        .aws
        .store
        .run_reports(&connection.id, 5)
        .await
        .expect("run reports readable")
        .into_iter()
        .find(|r| r.job == "payment-poll");
    let Some(report) = report else {
        checks.expect(false, || format!("{label}: no payment-poll report"));
        return;
    };
    let counts = report.payment_counts();
    let now = stack.clearfacts.stats();
    let delta = |key: &str| now.calls(key).saturating_sub(stats.calls(key));
    let states = delta("document");
    let requests = delta("graphql")
        .saturating_sub(delta("administration") + delta("administrations") + delta("uploadFile"));
    println!(
        "  {label}: status {:?}; {} open document(s) checked; {} marked paid, {} partly paid",
        report.status, counts.checked, counts.marked_paid, counts.partly_paid
    );
    println!(
        "  Clearfacts: {states} payment state(s) read in {requests} GraphQL request(s) ({STATES_PER_REQUEST} documents a request: {} needed)",
        states.div_ceil(STATES_PER_REQUEST)
    );
    calls(stack, stats, "payment poll");
    for notice in report.notices.iter().take(3) {
        println!("    • {}: {}", notice.subject, notice.reason);
    }
    let paid = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .get(&id)
                .map(|i| (i.payments.len(), i.paid_amount()))
        })
        .flatten()
        .unwrap_or_default();
    println!(
        "  Teamleader: invoice {number} paid {} in {} payment(s) — marked paid by Koppel",
        show::eur(paid.1),
        paid.0
    );
    checks.expect(
        report.status == RunStatus::Succeeded && counts.marked_paid == 1 && counts.partly_paid == 0,
        || {
            format!(
                "{label}: the payment poll ended {:?} with {} marked paid and {} partly paid, expected 1 and 0",
                report.status, counts.marked_paid, counts.partly_paid
            )
        },
    );
    checks.expect(
        states == u64::from(counts.checked)
            && requests == states.div_ceil(STATES_PER_REQUEST),
        || {
            format!(
                "{label}: {states} payment states in {requests} request(s) for {} open document(s), expected one request per {STATES_PER_REQUEST}",
                counts.checked
            )
        },
    );
    checks.expect(paid == (1, total), || {
        format!(
            "{label}: Teamleader shows (payments, paid) {paid:?} for invoice {number}, expected (1, {total})"
        )
    });
}
