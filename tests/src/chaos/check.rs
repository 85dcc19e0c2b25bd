//! The invariants every schedule must end with, whatever struck it: every booked document in
//! the ledger exactly once (drafts never), every ledger customer created at most once per
//! Teamleader customer and imported at most once, every payment registered at most once with
//! the right amount, nothing lost (each document exported, or failed with a reason), the
//! connection's status explained by the faults, and Koppel's records agreeing with the ledger.
//!
//! A ledger that cannot be searched (Clearfacts) gets the exactly-once it can have: no
//! document lost, every document uploaded more than once one that a run report of the
//! schedule named "may have been sent twice", no silent duplicate; a report without a repeat
//! (the answer was lost before anything was stored) is allowed and counted. Its customer
//! checks do not apply (it keeps none), and a document it shows `PAID` must be paid in full
//! in Teamleader (it gives no amounts).

use super::ledger::{EntryView, LedgerUnderTest};
use crate::stack::Stack;
use koppel_core::{Connection, ConnectionStatus, DocumentId, ExportState, IssueOutcome, RunStatus};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What the users changed, which the checks allow for.
#[derive(Debug, Default)]
pub struct Expectations {
    /// The ledger the schedule booked in.
    pub ledger: LedgerUnderTest,
    /// Invoices edited in Teamleader after export (reported, never posted again).
    pub edited: BTreeSet<String>,
    /// Invoices deleted in Teamleader after export, with their number (their entry stays).
    pub deleted_in_teamleader: Vec<(String, String)>,
    /// Invoices whose entry was deleted in the ledger (reported, never posted again).
    pub deleted_in_ledger: BTreeSet<String>,
    /// The entries the user deleted, as they were (a deleted upload still tells which
    /// document a repeat of its content carried).
    pub deleted_entries: Vec<EntryView>,
    /// Invoices reconciled in the ledger (fully or partly), with their entry.
    pub paid_in_ledger: BTreeMap<String, String>,
    /// Invoices paid by hand in Teamleader, with the amount.
    pub paid_by_hand: BTreeMap<String, Decimal>,
    /// The ledger entries of the invoices paid by hand (those exported by then).
    pub hand_paid_entries: BTreeMap<String, String>,
    /// The customers the ledger held before the first run (the user's, not Koppel's).
    pub ledger_customers_before: BTreeSet<String>,
    /// The connection after the faults, before recovery: status, reason, and whether a fault
    /// that ends access struck.
    pub connection_status: Option<(ConnectionStatus, Option<String>, bool)>,
}

/// What a schedule found.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// The schedule's seed.
    pub seed: u64,
    /// Things done twice: entries, customers, imported companies, payments.
    pub duplicates: u32,
    /// Things lost: documents neither exported nor failed with a reason, payments not
    /// registered.
    pub lost: u32,
    /// Every broken invariant, in words (duplicates and losses included).
    pub violations: Vec<String>,
    /// The classes of the faults that struck.
    pub fired: Vec<&'static str>,
    /// Invocations killed.
    pub kills: u32,
    /// A ledger without search: uploads stored whose answer a fault lost (each must lead to
    /// a repeat, reported).
    pub lost_upload_answers: u32,
    /// A ledger without search: documents some run report named "may have been sent twice".
    pub reported_maybe_twice: u32,
    /// A ledger without search: uploads beyond the first of a document (its repeats).
    pub repeat_uploads: u32,
    /// A ledger without search: documents reported "may have been sent twice" and uploaded
    /// once (the lost answer came before anything was stored).
    pub reported_without_repeat: u32,
    /// A ledger without search: documents uploaded more than once that no report named
    /// (counted in `duplicates` too).
    pub silent_duplicates: u32,
    /// Runs the sweeper closed as interrupted at the end (their invocations stopped without
    /// finishing and nothing worked on them any more).
    pub interrupted: u32,
}

impl Outcome {
    /// True when every invariant held.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    fn duplicate(&mut self, what: String) {
        self.duplicates += 1;
        self.violations.push(format!("duplicate: {what}"));
    }

    fn lost(&mut self, what: String) {
        self.lost += 1;
        self.violations.push(format!("lost: {what}"));
    }

    fn broken(&mut self, what: String) {
        self.violations.push(what);
    }
}

/// Check the invariants of a schedule that ended (see the module doc).
pub async fn check(stack: &Stack, connection: &Connection, expect: &Expectations) -> Outcome {
    let mut outcome = Outcome::default();
    check_documents(stack, connection, expect, &mut outcome).await;
    if expect.ledger.keeps_customers() {
        check_customers(stack, expect, &mut outcome);
    }
    check_payments(stack, expect, &mut outcome);
    check_connection(stack, connection, expect, &mut outcome).await;
    check_runs(stack, connection, &mut outcome).await;
    outcome
}

/// Every run ends in a true state (none says "Running" once the sweeper has passed), and no
/// document was failed because another worker held a lock (a customer's creation): such a
/// document is deferred, never failed.
async fn check_runs(stack: &Stack, connection: &Connection, outcome: &mut Outcome) {
    let reports = stack
        .aws
        .store
        .run_reports(&connection.id, 10_000)
        .await
        .unwrap_or_default();
    for report in &reports {
        if report.status == RunStatus::Running {
            outcome.broken(format!(
                "run {} ({}) still says Running after the sweep",
                report.run_id, report.job
            ));
        }
        for issue in report
            .issues
            .iter()
            .filter(|i| i.outcome == IssueOutcome::Failed)
            .filter(|i| i.reason.contains("another export was creating"))
        {
            outcome.broken(format!(
                "{} failed in run {} because of a lock: {}",
                issue.subject, report.run_id, issue.reason
            ));
        }
    }
}

/// Booked documents of the account: (id, number) of booked invoices and credit notes.
fn booked_documents(stack: &Stack) -> Vec<(String, String)> {
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let invoices = a
                .invoices
                .values()
                .filter_map(|i| i.number.map(|n| (i.id.clone(), format!("{}/{}", n.0, n.1))));
            let notes = a
                .credit_notes
                .values()
                .map(|c| (c.id.clone(), format!("CN {}/{}", c.number.0, c.number.1)));
            invoices.chain(notes).collect()
        })
        .unwrap_or_default()
}

async fn check_documents(
    stack: &Stack,
    connection: &Connection,
    expect: &Expectations,
    outcome: &mut Outcome,
) {
    let ledger = expect.ledger.name();
    let entries = expect.ledger.entries(stack);
    // The entry each exported document record points to: entry id → Teamleader id.
    let mut recorded: BTreeMap<String, String> = BTreeMap::new();
    let mut documents = booked_documents(stack);
    documents.extend(expect.deleted_in_teamleader.iter().cloned());
    for (id, number) in documents {
        let record = stack
            .aws
            .store
            .document(&connection.id, &DocumentId::new(id.as_str()))
            .await
            .ok()
            .flatten();
        match record.map(|r| r.state) {
            Some(ExportState::Exported { entry_id, .. }) => {
                let entry = entry_id.as_str().to_owned();
                let present = entries.iter().any(|e| e.id == entry);
                if !present && !expect.deleted_in_ledger.contains(&id) {
                    outcome.broken(format!(
                        "records disagree: document {number} is recorded as entry {entry_id}, which {ledger} does not have"
                    ));
                }
                recorded.insert(entry, id);
            }
            Some(ExportState::Failed { reason }) if !reason.trim().is_empty() => {}
            other => outcome.lost(format!(
                "document {number} ({id}) is neither exported nor failed with a reason: {}",
                other.map_or("no record", |s| s.name())
            )),
        }
    }
    if !expect.ledger.finds_entries() {
        check_repeats(stack, connection, expect, &entries, &recorded, outcome).await;
        return;
    }
    let mut by_reference: HashMap<String, u32> = HashMap::new();
    for entry in &entries {
        *by_reference.entry(entry.key.clone()).or_default() += 1;
    }
    for (reference, count) in &by_reference {
        if *count > 1 {
            outcome.duplicate(format!("entry {reference} is in {ledger} {count} times"));
        }
    }
    for entry in &entries {
        if !recorded.contains_key(&entry.id) {
            outcome.broken(format!(
                "records disagree: {ledger} holds {} that no document record points to (a draft, or a post Koppel lost track of)",
                entry.label
            ));
        }
    }
}

/// The one document of `documents`, if they all are the same.
fn only<'a>(documents: Option<&'a Vec<&'a str>>) -> Option<&'a str> {
    let documents = documents?;
    let first = *documents.first()?;
    documents.iter().all(|d| *d == first).then_some(first)
}

/// A ledger without search: map every upload (those the user deleted too) to the document
/// it carries — the one a record points to by its id, else the recorded upload with the same
/// content, else the one named the same — and hold each repeat against the run reports.
async fn check_repeats(
    stack: &Stack,
    connection: &Connection,
    expect: &Expectations,
    entries: &[EntryView],
    recorded: &BTreeMap<String, String>,
    outcome: &mut Outcome,
) {
    let ledger = expect.ledger.name();
    let uploads: Vec<&EntryView> = entries.iter().chain(&expect.deleted_entries).collect();
    let mut by_key: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut by_alias: HashMap<&str, Vec<&str>> = HashMap::new();
    for upload in &uploads {
        if let Some(document) = recorded.get(&upload.id) {
            by_key.entry(&upload.key).or_default().push(document);
            if let Some(alias) = &upload.alias {
                by_alias.entry(alias).or_default().push(document);
            }
        }
    }
    let mut uploads_of: BTreeMap<&str, Vec<&EntryView>> = BTreeMap::new();
    for upload in &uploads {
        let document = recorded
            .get(&upload.id)
            .map(String::as_str)
            .or_else(|| only(by_key.get(upload.key.as_str())))
            .or_else(|| {
                upload
                    .alias
                    .as_deref()
                    .and_then(|alias| only(by_alias.get(alias)))
            });
        match document {
            Some(document) => uploads_of.entry(document).or_default().push(upload),
            None => outcome.broken(format!(
                "records disagree: {ledger} holds {} that no document record points to and whose file is no recorded document's",
                upload.label
            )),
        }
    }
    let reports = stack
        .aws
        .store
        .run_reports(&connection.id, 10_000)
        .await
        .unwrap_or_default();
    let reported: BTreeSet<String> = reports
        .iter()
        .flat_map(|r| &r.issues)
        .filter(|i| i.outcome == IssueOutcome::MaybeSentTwice)
        .filter_map(|i| i.document_id().map(|d| d.as_str().to_owned()))
        .collect();
    outcome.reported_maybe_twice = reported.len() as u32;
    outcome.lost_upload_answers = expect.ledger.lost_upload_answers(stack);
    for (document, sent) in &uploads_of {
        if sent.len() < 2 {
            continue;
        }
        outcome.repeat_uploads += sent.len() as u32 - 1;
        if !reported.contains(*document) {
            let labels: Vec<&str> = sent.iter().map(|u| u.label.as_str()).collect();
            outcome.silent_duplicates += 1;
            outcome.duplicate(format!(
                "document {document} is in {ledger} {} times and no run report said it may have been sent twice: {labels:?}",
                sent.len()
            ));
        }
    }
    outcome.reported_without_repeat = reported
        .iter()
        .filter(|d| uploads_of.get(d.as_str()).is_none_or(|sent| sent.len() < 2))
        .count() as u32;
}

fn normalized(name: &str) -> String {
    name.trim().to_lowercase()
}

fn check_customers(stack: &Stack, expect: &Expectations, outcome: &mut Outcome) {
    // Two Teamleader companies may share a name; only names unique there count.
    let mut teamleader_names: HashMap<String, u32> = HashMap::new();
    let companies = stack.teamleader_companies_by_id();
    for company in companies.values() {
        *teamleader_names
            .entry(normalized(&company.name))
            .or_default() += 1;
    }
    let ledger = expect.ledger.name();
    let accounts = expect.ledger.customers(stack);
    // Koppel's customers: those the ledger did not hold before. Matching by name is not asked
    // of the export (only by number or VAT), so a user's customer without a VAT number may
    // get a Koppel twin; a VAT number the ledger already knew must never be created again.
    let known_vats: BTreeSet<String> = accounts
        .iter()
        .filter(|a| expect.ledger_customers_before.contains(&a.id))
        .filter_map(|a| a.vat.as_deref().map(normalized))
        .collect();
    let mut ledger_names: HashMap<String, Vec<String>> = HashMap::new();
    for account in accounts
        .iter()
        .filter(|a| !expect.ledger_customers_before.contains(&a.id))
    {
        if let Some(vat) = account.vat.as_deref().map(normalized)
            && known_vats.contains(&vat)
        {
            outcome.duplicate(format!(
                "customer {:?} was created in {ledger} though its VAT number {vat} was there already",
                account.name
            ));
        }
        ledger_names
            .entry(normalized(&account.name))
            .or_default()
            .push(account.code.clone());
    }
    for (name, codes) in &ledger_names {
        let in_teamleader = teamleader_names.get(name).copied().unwrap_or(0);
        if codes.len() > 1 && codes.len() as u32 > in_teamleader.max(1) {
            outcome.duplicate(format!(
                "customer {name:?} is in {ledger} {} times ({codes:?})",
                codes.len()
            ));
        }
    }
    // The company import: one Teamleader company per ledger customer.
    let mut external: HashMap<String, u32> = HashMap::new();
    for company in companies.values() {
        if let Some(id) = company.external_id.as_deref().filter(|s| !s.is_empty()) {
            *external.entry(id.trim().to_owned()).or_default() += 1;
        }
    }
    for (id, count) in external {
        if count > 1 {
            outcome.duplicate(format!(
                "ledger customer {id} was imported into Teamleader {count} times"
            ));
        }
    }
}

fn check_payments(stack: &Stack, expect: &Expectations, outcome: &mut Outcome) {
    let ledger = expect.ledger.name();
    let entries = expect.ledger.entries(stack);
    // Per booked invoice: what Teamleader shows paid, and its total.
    let paid_in_teamleader: BTreeMap<String, (Decimal, Decimal)> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let rates = a.rates();
            a.invoices
                .values()
                .filter(|i| i.number.is_some())
                .map(|i| (i.id.clone(), (i.paid_amount(), i.totals(&rates).inclusive)))
                .collect()
        })
        .unwrap_or_default();
    let knows_amounts = expect.ledger.knows_amounts();
    for (id, (paid, total)) in &paid_in_teamleader {
        let expected = if let Some(entry) = expect.paid_in_ledger.get(id) {
            match entries.iter().find(|e| e.id == *entry) {
                Some(e) if knows_amounts => e.amount - e.open,
                // A ledger without amounts: paid in full there is the invoice's total in
                // Teamleader; partly paid says no amount, so nothing is registered.
                Some(e) if e.settled => *total,
                _ => Decimal::ZERO,
            }
        } else {
            expect.paid_by_hand.get(id).copied().unwrap_or_default()
        };
        if *paid > expected {
            outcome.duplicate(format!(
                "invoice {id} shows {paid} paid in Teamleader where the ledger reconciled {expected}"
            ));
        } else if *paid < expected {
            outcome.lost(format!(
                "invoice {id} shows {paid} paid in Teamleader where the ledger reconciled {expected}"
            ));
        }
    }
    // Paid by hand in Teamleader: never carried to the ledger unless asked (off by default).
    for (id, entry) in &expect.hand_paid_entries {
        let carried = entries.iter().any(|e| e.id == *entry && e.open != e.amount);
        if carried {
            outcome.broken(format!(
                "invoice {id}, paid by hand in Teamleader, was carried to {ledger} without the opt-in"
            ));
        }
    }
}

async fn check_connection(
    stack: &Stack,
    connection: &Connection,
    expect: &Expectations,
    outcome: &mut Outcome,
) {
    if let Some((status, reason, access_ended)) = &expect.connection_status {
        match status {
            ConnectionStatus::Active => {}
            ConnectionStatus::NeedsReauth if *access_ended => {
                if reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                    outcome.broken("the connection asks for a new sign-in without a reason".into());
                }
            }
            other => outcome.broken(format!(
                "the connection ended {other:?} ({reason:?}) though no fault ended its access"
            )),
        }
    }
    let last = stack
        .aws
        .store
        .connection(&connection.id)
        .await
        .ok()
        .flatten()
        .map(|c| (c.status, c.status_reason));
    if let Some((status, reason)) = last.filter(|(s, _)| *s != ConnectionStatus::Active) {
        outcome.broken(format!(
            "after the recovery the connection is {status:?} ({}), not active",
            reason.unwrap_or_default()
        ));
    }
}
