//! The demo's Octopus part: the account's third department linked to the Octopus demo
//! dossier (simulated), with the same dispatcher, export and payment poll as the Exact
//! departments. Three nights and an hour:
//! 1. the nightly export: invoices in sales journal V1, credit notes in V2 with a negative
//!    total, each document's customer a relation (created before its booking), every booked
//!    Teamleader document exactly once, drafts never;
//! 2. a few drafts booked in Teamleader the next day while the bookkeeper has V1 open in
//!    Octopus: the run pauses with the fix in its message and books nothing in V1; once the
//!    journal is closed, the next night exports them;
//! 3. the bookkeeper matches one booking in full and one in part in Octopus; the payment poll
//!    marks the Teamleader invoices paid and partly paid.
//!
//! The Exact departments' connections run on the same nights: they have nothing new and must
//! post nothing. Octopus' call counts are printed per step.

use crate::{Checks, Link, Night, show};
use chrono::Duration as Days;
use koppel_core::{Clock, Connection, DepartmentId, JobKind, RunReport, RunStatus};
use koppel_e2e::stack::Stack;
use koppel_sim::octopus::{BookingSummary, Group, SimStats, seed};
use koppel_sim::teamleader::{self, model};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The Octopus dossier the third department is linked to (the simulator's demo dossier).
const DOSSIER: i64 = seed::DEMO_DOSSIER_ID;
/// Journal of sales invoices in the demo dossier (Koppel suggests it).
const INVOICES: &str = "V1";
/// Journal of credit notes in the demo dossier (Koppel suggests it).
const CREDIT_NOTES: &str = "V2";
/// The Octopus user who has journal V1 open on the second night.
const BOOKKEEPER: &str = "boekhouder";
/// Drafts of the third department booked in Teamleader on the second day.
const NEW_INVOICES: usize = 3;
/// The third department's name in the story.
const DEPARTMENT_NAME: &str = "Vestiging Gent";

/// The third department's story with Octopus; `exact` are the Exact departments' links (they
/// run on the same nights and must have nothing to do). Returns the Octopus connection and its
/// label (later parts run it on their nights too).
pub async fn third_department(
    checks: &mut Checks,
    stack: &Stack,
    department: &DepartmentId,
    exact: &[Link],
) -> (Connection, String) {
    show::title(&format!(
        "A third department on Octopus: dossier {DOSSIER} \"{}\" (simulated)",
        seed::DEMO_DOSSIER_NAME
    ));
    rename_department(stack, department);
    let books = crate::scenario::books(
        &stack.teamleader,
        &stack.account_id,
        department.as_str(),
        (0, 0),
    );
    crate::print_books(&books);
    let relations_seeded = stack.octopus.relations(DOSSIER).len();
    let journals = stack
        .octopus
        .journal(DOSSIER, seed::DEMO_CURRENT_BOOKYEAR, INVOICES)
        .zip(
            stack
                .octopus
                .journal(DOSSIER, seed::DEMO_CURRENT_BOOKYEAR, CREDIT_NOTES),
        )
        .map_or_else(String::new, |(v1, v2)| {
            format!("{INVOICES} {:?}, {CREDIT_NOTES} {:?}", v1.name, v2.name)
        });
    println!(
        "  Octopus dossier {DOSSIER}: sales journals {journals}; {relations_seeded} relation(s), no bookings; user {}",
        seed::DEMO_USER
    );
    let mut stats = stack.octopus.stats();
    let connection = stack.connect_octopus(department, DOSSIER).await;
    let label = format!("{} → Octopus {DOSSIER}", books.name);
    println!(
        "  {label}  [{}]  (user name and password, not OAuth)",
        connection.id
    );
    let rates = crate::scenario::tax_rate_labels(&stack.teamleader, &stack.account_id);
    show::settings(&connection, &rates);
    stats = calls(stack, &stats, "linking (sign-in, reference data)");
    let settings = &connection.settings;
    checks.expect(
        settings.invoice_journal.as_deref() == Some(INVOICES)
            && settings.credit_note_journal.as_deref() == Some(CREDIT_NOTES),
        || {
            format!(
                "{label}: suggested journals {:?}/{:?}, expected {INVOICES}/{CREDIT_NOTES}",
                settings.invoice_journal, settings.credit_note_journal
            )
        },
    );
    let mut connections: Vec<(&Connection, &str)> = exact
        .iter()
        .map(|l| (&l.connection, l.label.as_str()))
        .collect();
    connections.push((&connection, label.as_str()));

    // ------------------------------------------------------------------ 1. the export
    stack.clock.advance(Days::days(1));
    show::title("Night 3: the nightly export, now with the Octopus department");
    let night = crate::night(stack, &connections).await;
    let report = octopus_report(checks, &night, exact, "night 3");
    show::report_for("Octopus", &label, &report);
    stats = calls(stack, &stats, "night 3");
    dossier(stack);
    checks.expect(report.status == RunStatus::Succeeded, || {
        format!("{label}: night 3 ended {:?}", report.status)
    });
    let booked = books.invoices.len() + books.credit_notes.len();
    checks.expect(report.export_counts().exported as usize == booked, || {
        format!(
            "{label}: night 3 exported {}, expected every booked document ({booked})",
            report.export_counts().exported
        )
    });
    check_journals(checks, stack, department, &label, "night 3");
    check_relations(checks, stack, department, &label, &report, relations_seeded);

    // ------------------------------------------------------------------ 2. V1 open in Octopus
    stack.clock.advance(Days::days(1));
    show::title("Night 4: new invoices in Teamleader, while the bookkeeper has V1 open in Octopus");
    let booked_now = book_drafts(stack, department).await;
    println!(
        "  Teamleader: {} draft(s) of {DEPARTMENT_NAME} booked today: {}",
        booked_now.len(),
        booked_now.join(", ")
    );
    checks.expect(booked_now.len() == NEW_INVOICES, || {
        format!(
            "{label}: {} draft(s) booked, expected {NEW_INVOICES}",
            booked_now.len()
        )
    });
    stack
        .octopus
        .lock_journal(DOSSIER, INVOICES, BOOKKEEPER)
        .expect("the demo dossier exists");
    println!(
        "  Octopus: user \"{BOOKKEEPER}\" has sales journal {INVOICES} open (Octopus allows no booking in it meanwhile)"
    );
    let v1_before = references(stack, INVOICES);
    let night = crate::night(stack, &connections).await;
    let paused = octopus_report(checks, &night, exact, "night 4");
    show::report_for("Octopus", &label, &paused);
    stats = calls(stack, &stats, "night 4");
    let message = paused.message.clone().unwrap_or_default();
    checks.expect(
        paused.status == RunStatus::Paused && message.contains("close it in Octopus"),
        || {
            format!(
                "{label}: with {INVOICES} open the run ended {:?} saying {message:?}, expected Paused with \"close it in Octopus …\"",
                paused.status
            )
        },
    );
    let v1_after = references(stack, INVOICES);
    println!(
        "  {INVOICES} holds {} booking(s), as before the run: nothing was booked in it",
        v1_after.len()
    );
    checks.expect(v1_after == v1_before, || {
        format!(
            "{label}: {INVOICES} went from {} to {} bookings while it was open in Octopus",
            v1_before.len(),
            v1_after.len()
        )
    });

    stack
        .octopus
        .unlock_journal(DOSSIER, INVOICES)
        .expect("the demo dossier exists");
    stack.clock.advance(Days::days(1));
    show::title(&format!(
        "Night 5: the bookkeeper closed {INVOICES}; the next nightly run"
    ));
    let night = crate::night(stack, &connections).await;
    let next = octopus_report(checks, &night, exact, "night 5");
    show::report_for("Octopus", &label, &next);
    stats = calls(stack, &stats, "night 5");
    checks.expect(next.status == RunStatus::Succeeded, || {
        format!("{label}: night 5 ended {:?}", next.status)
    });
    checks.expect(
        next.export_counts().exported as usize == booked_now.len(),
        || {
            format!(
                "{label}: night 5 exported {}, expected the {} invoice(s) booked the day before",
                next.export_counts().exported,
                booked_now.len()
            )
        },
    );
    check_journals(checks, stack, department, &label, "night 5");

    // ------------------------------------------------------------------ 3. payments
    payments(checks, stack, department, &connection, &label, &stats).await;
    (connection, label)
}

/// Give the third department a name in the story (the generator calls it "Vestiging 3").
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

/// The Octopus connection's report of a night (the last of `night.reports`), after checking
/// the drain and that the Exact connections had nothing to do.
fn octopus_report(checks: &mut Checks, night: &Night, exact: &[Link], when: &str) -> RunReport {
    let drained = night.drained;
    checks.expect(drained.killed == 0 && drained.failed_messages == 0, || {
        format!(
            "{when}: {} invocation(s) killed, {} message(s) failed",
            drained.killed, drained.failed_messages
        )
    });
    let idle: Vec<String> = exact
        .iter()
        .zip(&night.reports)
        .map(|(link, report)| {
            let c = report.export_counts();
            checks.expect(
                report.status == RunStatus::Succeeded && c.exported == 0,
                || {
                    format!(
                        "{} on {when}: {:?}, {} exported — it had nothing new",
                        link.label, report.status, c.exported
                    )
                },
            );
            format!(
                "{} {:?}, {} exported",
                link.label, report.status, c.exported
            )
        })
        .collect();
    println!(
        "  Exact departments (nothing new for them): {}",
        idle.join("; ")
    );
    night
        .reports
        .last()
        .cloned()
        .expect("the Octopus connection's report")
}

/// Octopus' calls since `before`, per endpoint group; returns the counters now.
fn calls(stack: &Stack, before: &SimStats, step: &str) -> SimStats {
    let now = stack.octopus.stats();
    let delta = |map_now: u64, map_before: u64| map_now.saturating_sub(map_before);
    let groups: Vec<String> = Group::ALL
        .iter()
        .filter_map(|group| {
            let n = delta(
                now.by_group.get(group).copied().unwrap_or(0),
                before.by_group.get(group).copied().unwrap_or(0),
            );
            (n > 0).then(|| format!("{} {n}", group.name()))
        })
        .collect();
    let total: u64 = now.by_group.values().sum::<u64>() - before.by_group.values().sum::<u64>();
    let refused: Vec<String> = now
        .refusals_by_code
        .iter()
        .filter_map(|(code, n)| {
            let n = delta(*n, before.refusals_by_code.get(code).copied().unwrap_or(0));
            (n > 0).then(|| format!("{code} ×{n}"))
        })
        .collect();
    println!(
        "  Octopus calls ({step}): {total} — {}; sign-ins {}, dossier tokens {}; refused {}",
        if groups.is_empty() {
            "none".to_owned()
        } else {
            groups.join(", ")
        },
        delta(now.authentications, before.authentications),
        delta(now.dossier_tokens, before.dossier_tokens),
        if refused.is_empty() {
            "none".to_owned()
        } else {
            refused.join(", ")
        }
    );
    now
}

/// What the dossier holds: bookings per journal with totals, relations.
fn dossier(stack: &Stack) {
    let bookings = stack.octopus.bookings(DOSSIER);
    let mut journals: BTreeMap<String, (usize, Decimal, Decimal)> = BTreeMap::new();
    for b in &bookings {
        let j = journals.entry(b.data.journal_key.clone()).or_default();
        j.0 += 1;
        j.1 += b.data.amount;
        j.2 += b
            .data
            .booking_lines
            .iter()
            .map(|l| l.vat_amount)
            .sum::<Decimal>();
    }
    println!("  What Octopus dossier {DOSSIER} holds now:");
    for (journal, (count, total, vat)) in &journals {
        println!(
            "    journal {journal:<3} {count:>4} bookings   VAT {:>13}   total incl. VAT {:>15}   (numbered 1–{count})",
            show::eur(*vat),
            show::eur(*total)
        );
    }
    let with_pdf = bookings.iter().filter(|b| b.attachments > 0).count();
    println!(
        "    relations: {}; bookings with the PDF attached: {with_pdf} of {}",
        stack.octopus.relations(DOSSIER).len(),
        bookings.len()
    );
    let relations: HashMap<i64, String> = stack
        .octopus
        .relations(DOSSIER)
        .into_iter()
        .map(|r| {
            (
                r.relation_identification_service_data.relation_key.id,
                r.name,
            )
        })
        .collect();
    println!("    sample bookings:");
    let samples = [
        bookings.iter().find(|b| b.data.journal_key == INVOICES),
        bookings.iter().max_by_key(|b| b.data.amount),
        bookings.iter().find(|b| b.data.journal_key == CREDIT_NOTES),
    ];
    for b in samples.into_iter().flatten() {
        let lines: Vec<String> = b
            .data
            .booking_lines
            .iter()
            .map(|l| {
                format!(
                    "{} {} @VAT {}",
                    l.account_key,
                    show::eur(l.base_amount),
                    l.vat_code_key
                )
            })
            .collect();
        let relation = b.data.relation_identification_service_data.relation_key.id;
        println!(
            "      {} #{:<4} orderReference {:<12} relation {:>3} {:<34} {:>12}  [{}]",
            b.data.journal_key,
            b.data.document_sequence_nr,
            b.data.order_reference,
            relation,
            relations.get(&relation).map_or("?", String::as_str),
            show::eur(b.data.amount),
            lines.join("; ")
        );
    }
}

/// The bookings of `journal`, their references (Teamleader numbers) sorted, repeats kept.
fn references(stack: &Stack, journal: &str) -> Vec<String> {
    let mut refs: Vec<String> = stack
        .octopus
        .bookings(DOSSIER)
        .into_iter()
        .filter(|b| b.data.journal_key == journal)
        .map(|b| b.data.order_reference)
        .collect();
    refs.sort();
    refs
}

/// V1 holds every booked invoice of the department once, V2 every credit note once with a
/// negative total, nothing else anywhere; each journal numbered 1, 2, 3, …
fn check_journals(
    checks: &mut Checks,
    stack: &Stack,
    department: &DepartmentId,
    label: &str,
    when: &str,
) {
    let books = crate::scenario::books(
        &stack.teamleader,
        &stack.account_id,
        department.as_str(),
        (0, 0),
    );
    let bookings = stack.octopus.bookings(DOSSIER);
    for (journal, expected, what) in [
        (
            INVOICES,
            crate::sorted(books.invoices.iter().cloned()),
            "invoices",
        ),
        (
            CREDIT_NOTES,
            crate::sorted(books.credit_notes.iter().cloned()),
            "credit notes",
        ),
    ] {
        let held = references(stack, journal);
        checks.expect(held == expected, || {
            format!(
                "{label} ({when}): {journal} holds {} bookings, expected the {} booked {what} exactly once each (no drafts)",
                held.len(),
                expected.len()
            )
        });
        let mut numbers: Vec<i64> = bookings
            .iter()
            .filter(|b| b.data.journal_key == journal)
            .map(|b| b.data.document_sequence_nr)
            .collect();
        numbers.sort_unstable();
        checks.expect(numbers.iter().copied().eq(1..=numbers.len() as i64), || {
            format!("{label} ({when}): {journal} is not numbered 1, 2, 3, …: {numbers:?}")
        });
    }
    let elsewhere = bookings
        .iter()
        .filter(|b| b.data.journal_key != INVOICES && b.data.journal_key != CREDIT_NOTES)
        .count();
    checks.expect(elsewhere == 0, || {
        format!("{label} ({when}): {elsewhere} booking(s) outside {INVOICES} and {CREDIT_NOTES}")
    });
    let wrong_sign: Vec<&BookingSummary> = bookings
        .iter()
        .filter(|b| match b.data.journal_key.as_str() {
            CREDIT_NOTES => b.data.amount >= Decimal::ZERO,
            _ => b.data.amount <= Decimal::ZERO,
        })
        .collect();
    checks.expect(wrong_sign.is_empty(), || {
        format!(
            "{label} ({when}): {} booking(s) with the wrong sign (credit notes negative, invoices positive), e.g. {:?}",
            wrong_sign.len(),
            wrong_sign.first().map(|b| (&b.data.journal_key, &b.data.order_reference, b.data.amount))
        )
    });
    let credited: Decimal = bookings
        .iter()
        .filter(|b| b.data.journal_key == CREDIT_NOTES)
        .map(|b| b.data.amount)
        .sum();
    let invoiced: Decimal = bookings
        .iter()
        .filter(|b| b.data.journal_key == INVOICES)
        .map(|b| b.data.amount)
        .sum();
    println!(
        "  {label} ({when}): {INVOICES} {} = Teamleader's invoices {}; {CREDIT_NOTES} {} = minus Teamleader's credit notes {}",
        show::eur(invoiced),
        show::eur(books.invoiced_incl),
        show::eur(credited),
        show::eur(books.credited_incl)
    );
    checks.expect(invoiced == books.invoiced_incl && credited == -books.credited_incl, || {
        format!(
            "{label} ({when}): totals {INVOICES} {invoiced} / {CREDIT_NOTES} {credited}, Teamleader {} / -{}",
            books.invoiced_incl, books.credited_incl
        )
    });
}

/// Relations first, each customer once: every booking names an existing relation that is the
/// document's Teamleader customer; each customer has one relation, each relation Koppel created
/// one customer, and the report counts them.
fn check_relations(
    checks: &mut Checks,
    stack: &Stack,
    department: &DepartmentId,
    label: &str,
    report: &RunReport,
    seeded: usize,
) {
    let relations = stack.octopus.relations(DOSSIER);
    let names: HashMap<i64, &str> = relations
        .iter()
        .map(|r| {
            (
                r.relation_identification_service_data.relation_key.id,
                r.name.as_str(),
            )
        })
        .collect();
    let customers = customers_by_number(stack, department);
    let mut wrong = Vec::new();
    let mut relations_of: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    let mut customers_of: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for b in stack.octopus.bookings(DOSSIER) {
        let relation = b.data.relation_identification_service_data.relation_key.id;
        let kind = if b.data.journal_key == CREDIT_NOTES {
            "credit note"
        } else {
            "invoice"
        };
        let customer = customers.get(&(kind, b.data.order_reference.clone()));
        let held = names.get(&relation).copied();
        let right = match (customer, held) {
            (Some(customer), Some(held)) => customer
                .name
                .iter()
                .all(|part| held.contains(part.as_str())),
            _ => false,
        };
        if !right {
            wrong.push(format!(
                "{kind} {} on relation {relation} {held:?}, Teamleader's customer {:?}",
                b.data.order_reference,
                customer.map(|c| &c.name)
            ));
        }
        if let Some(customer) = customer {
            relations_of
                .entry(customer.id.clone())
                .or_default()
                .insert(relation);
            customers_of
                .entry(relation)
                .or_default()
                .insert(customer.id.clone());
        }
    }
    let created = relations.len() - seeded;
    let counts = report.export_counts();
    let books = crate::scenario::books(
        &stack.teamleader,
        &stack.account_id,
        department.as_str(),
        (0, 0),
    );
    let split = relations_of.values().filter(|r| r.len() > 1).count();
    let shared = customers_of.values().filter(|c| c.len() > 1).count();
    println!(
        "  relations: {created} created by Koppel (report: {}), {} matched, for {} customers; every booking's relation is its document's customer: {}",
        counts.customers_created,
        counts.customers_matched,
        books.customers.len(),
        if wrong.is_empty() {
            "yes".to_owned()
        } else {
            format!("NO, {} not", wrong.len())
        }
    );
    for w in wrong.iter().take(3) {
        println!("    • {w}");
    }
    checks.expect(wrong.is_empty(), || {
        format!(
            "{label}: {} booking(s) on another relation than the document's customer, e.g. {}",
            wrong.len(),
            wrong.first().cloned().unwrap_or_default()
        )
    });
    checks.expect(split == 0 && shared == 0, || {
        format!(
            "{label}: {split} customer(s) on more than one relation, {shared} relation(s) shared by several customers"
        )
    });
    checks.expect(
        created == counts.customers_created as usize
            && (counts.customers_created + counts.customers_matched) as usize
                == books.customers.len()
            && relations_of.len() == books.customers.len(),
        || {
            format!(
                "{label}: {created} relations created in Octopus, report {} created + {} matched, {} customers in Teamleader, {} on bookings",
                counts.customers_created,
                counts.customers_matched,
                books.customers.len(),
                relations_of.len()
            )
        },
    );
}

/// A document's Teamleader customer: its id and what its name holds (a company's name; a
/// contact's first and last name).
pub(crate) struct CustomerName {
    /// Teamleader's id of the company or contact.
    pub(crate) id: String,
    /// The name's parts (a contact's first and last name apart).
    pub(crate) name: Vec<String>,
}

/// (kind word, Teamleader number) → the customer of each of the department's booked documents.
pub(crate) fn customers_by_number(
    stack: &Stack,
    department: &DepartmentId,
) -> HashMap<(&'static str, String), CustomerName> {
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let name = |customer: &model::CustomerRef| CustomerName {
                id: customer.id.clone(),
                name: if let Some(c) = a.companies.get(&customer.id) {
                    vec![c.name.trim().to_owned()]
                } else if let Some(c) = a.contacts.get(&customer.id) {
                    vec![
                        c.first_name.trim().to_owned(),
                        c.last_name.trim().to_owned(),
                    ]
                } else {
                    vec![format!("unknown customer {}", customer.id)]
                },
            };
            let mut by = HashMap::new();
            for i in a
                .invoices
                .values()
                .filter(|i| i.department_id == department.as_str())
            {
                if let Some(number) = i.number {
                    by.insert(
                        ("invoice", model::booking_number(number)),
                        name(&i.customer),
                    );
                }
            }
            for c in a
                .credit_notes
                .values()
                .filter(|c| c.department_id == department.as_str())
            {
                by.insert(
                    ("credit note", model::booking_number(c.number)),
                    name(&c.customer),
                );
            }
            by
        })
        .unwrap_or_default()
}

/// Book up to [`NEW_INVOICES`] drafts of the department today, as a user does in Teamleader
/// (`invoices.book` on its API); returns their new numbers.
async fn book_drafts(stack: &Stack, department: &DepartmentId) -> Vec<String> {
    let drafts: Vec<String> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .values()
                .filter(|i| i.department_id == department.as_str() && i.number.is_none())
                .map(|i| i.id.clone())
                .take(NEW_INVOICES)
                .collect()
        })
        .unwrap_or_default();
    let tokens = stack
        .teamleader
        .issue_tokens(&stack.account_id, Some(teamleader::DEFAULT_CLIENT_ID), None)
        .expect("a Teamleader token");
    let today = stack.clock.now().date_naive().to_string();
    let http = reqwest::Client::new();
    for id in &drafts {
        let answer = http
            .post(format!("{}/invoices.book", stack.teamleader.base_url))
            .bearer_auth(&tokens.access_token)
            .json(&serde_json::json!({ "id": id, "on": today }))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status);
        if let Err(error) = answer {
            println!("  Teamleader refused to book draft {id}: {error}");
        }
    }
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            drafts
                .iter()
                .filter_map(|id| a.invoices.get(id)?.number.map(model::booking_number))
                .collect()
        })
        .unwrap_or_default()
}

/// The bookkeeper matches one V1 booking in full and one in part in Octopus; the payment
/// poll marks those Teamleader invoices paid and partly paid, once.
async fn payments(
    checks: &mut Checks,
    stack: &Stack,
    department: &DepartmentId,
    connection: &Connection,
    label: &str,
    stats: &SimStats,
) {
    show::title("The next hour: the bookkeeper matched two invoices in Octopus; the payment poll");
    // V1 bookings whose Teamleader invoice shows no payment yet.
    let unpaid: HashMap<String, String> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .values()
                .filter(|i| i.department_id == department.as_str() && i.payments.is_empty())
                .filter_map(|i| Some((model::booking_number(i.number?), i.id.clone())))
                .collect()
        })
        .unwrap_or_default();
    let open: Vec<(BookingSummary, String)> = stack
        .octopus
        .bookings(DOSSIER)
        .into_iter()
        .filter(|b| b.data.journal_key == INVOICES)
        .filter_map(|b| {
            let id = unpaid.get(&b.data.order_reference)?.clone();
            Some((b, id))
        })
        .collect();
    let (Some((full, full_id)), Some((part, part_id))) = (open.first(), open.get(1)) else {
        checks.expect(false, || {
            format!("{label}: fewer than two unpaid invoices in {INVOICES}")
        });
        return;
    };
    let half = (part.data.amount / Decimal::TWO).round_dp(2);
    for (booking, amount) in [(full, None), (part, Some(half))] {
        stack
            .octopus
            .match_booking(
                DOSSIER,
                booking.data.bookyear_key.id,
                INVOICES,
                booking.data.document_sequence_nr,
                amount,
            )
            .expect("the booking exists");
    }
    println!(
        "  Octopus: {INVOICES} #{} (invoice {}, {}) matched in full, {INVOICES} #{} (invoice {}, {}) matched for {} — {} open invoice(s) exported",
        full.data.document_sequence_nr,
        full.data.order_reference,
        show::eur(full.data.amount),
        part.data.document_sequence_nr,
        part.data.order_reference,
        show::eur(part.data.amount),
        show::eur(half),
        open.len()
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
        format!("the payment poll with Octopus: {drained:?}")
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
    println!(
        "  {label}: status {:?}; {} open document(s) checked; {} marked paid, {} partly paid, {} credit note(s) settled",
        report.status,
        counts.checked,
        counts.marked_paid,
        counts.partly_paid,
        counts.credit_notes_settled
    );
    for notice in report.notices.iter().take(4) {
        println!("    • {}: {}", notice.subject, notice.reason);
    }
    calls(stack, stats, "payment poll");
    checks.expect(
        report.status == RunStatus::Succeeded && counts.marked_paid == 1 && counts.partly_paid == 1,
        || {
            format!(
                "{label}: the payment poll ended {:?} with {} marked paid and {} partly paid, expected 1 and 1",
                report.status, counts.marked_paid, counts.partly_paid
            )
        },
    );
    let paid = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let of = |id: &str| {
                a.invoices
                    .get(id)
                    .map(|i| (i.payments.len(), i.paid_amount()))
                    .unwrap_or_default()
            };
            (of(full_id), of(part_id))
        })
        .unwrap_or_default();
    println!(
        "  Teamleader: invoice {} paid {} in {} payment(s) (Octopus' amount), invoice {} partly paid {} in {} payment(s)",
        full.data.order_reference,
        show::eur(paid.0.1),
        paid.0.0,
        part.data.order_reference,
        show::eur(paid.1.1),
        paid.1.0
    );
    checks.expect(paid == ((1, full.data.amount), (1, half)), || {
        format!(
            "{label}: Teamleader shows (payments, paid) {:?} and {:?}, expected (1, {}) and (1, {half})",
            paid.0, paid.1, full.data.amount
        )
    });
}
