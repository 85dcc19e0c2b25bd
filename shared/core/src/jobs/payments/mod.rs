//! The payment poll: invoices the accountant reconciled in the ledger turn paid in
//! Teamleader. A [`ConnectionJob`] on the shared lifecycle, hourly through the dispatcher.
//!
//! - Only documents Koppel exported and not yet settled are looked at, read from the store's
//!   sparse index (never a scan), in chunks the ledger answers in bulk
//!   ([`crate::LedgerPayments::payment_states`]: never one call per document).
//! - An invoice the ledger shows (partly) paid gets `invoices.registerPayment` for what Koppel
//!   has not registered before, dated with the ledger's payment date; fully paid, it leaves
//!   the index for good: paid stays paid. A later un-match in the ledger is reported and
//!   Teamleader is left as it is.
//! - Registering is exactly once: the intent is written to the document record before the
//!   call; a crash in between is resolved by reading the invoice's payments in Teamleader.
//! - A credit note settled in the ledger is recorded and reported (Teamleader's API cannot
//!   mark a credit note paid).
//! - What turned paid is in the report's notices (the user's notification).
//! - The other direction, opt-in ([`crate::ConnectionSettings::payment_journal`]): a payment
//!   registered by hand in Teamleader on an exported invoice is booked in the ledger's
//!   financial journal ([`crate::LedgerPayments::post_received_payment`]), exactly once (the
//!   intent first, a look-up after a crash), never beyond what the ledger still has open.
//!   Never an echo: what Koppel registered in Teamleader is never booked in the ledger, and
//!   what Koppel booked in the ledger is never registered in Teamleader.

use super::lifecycle::{ConnectionJob, JobError, RunContext, SourceAndLedger, Stop};
use crate::{
    Connection, Disposition, DocumentId, DocumentKind, DocumentQuery, DocumentRecord,
    DocumentStore, IssueOutcome, IssueSubject, LedgerEntryId, LedgerPaymentState, LedgerPayments,
    MailMessage, Mailer, Money, Payment, PaymentCounts, ReceivedPayment,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[cfg(test)]
mod tests;

/// Tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentPollOptions {
    /// Documents handled between two deadline checks (their Teamleader state is asked 100
    /// at a time); the ledger is asked once per invocation for all of them.
    pub chunk: usize,
}

impl Default for PaymentPollOptions {
    /// 1,000 documents between deadline checks.
    fn default() -> Self {
        Self { chunk: 1000 }
    }
}

/// The payment poll of one connection.
pub struct PaymentPoll<'a> {
    /// The document records (the sparse index of exported, unsettled documents).
    pub documents: &'a dyn DocumentStore,
    /// Sends the digest of invoices marked paid (`None`: no e-mail on this deployment).
    pub mailer: Option<&'a dyn Mailer>,
    /// Tunables.
    pub options: PaymentPollOptions,
}

/// Where a poll stands between invocations: documents are taken in id order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollCursor {
    /// The last document handled; the next invocation goes on after it.
    pub after: Option<DocumentId>,
}

/// The poll's run context.
pub type PollRun<'a> = RunContext<'a, SourceAndLedger, PaymentCounts>;

#[async_trait]
impl ConnectionJob for PaymentPoll<'_> {
    const NAME: &'static str = "payment-poll";
    const NOUN: &'static str = "payment check";
    type Systems = SourceAndLedger;
    type Cursor = PollCursor;
    type Counts = PaymentCounts;

    async fn first_cursor(
        &self,
        _connection: &Connection,
        _run: &PollRun<'_>,
    ) -> Result<PollCursor, JobError> {
        Ok(PollCursor::default())
    }

    async fn work(&self, run: &mut PollRun<'_>, cursor: &mut PollCursor) -> Result<(), Stop> {
        let ledger = run.systems.ledger.clone();
        let Some(payments) = ledger.payments() else {
            run.warn(format!(
                "{} does not report payments to Koppel: invoices are not marked paid automatically.",
                ledger.kind().display_name()
            ));
            return Ok(());
        };
        let carry_journal = self.carry_journal(run, payments);
        let mut open = self.documents.unpaid_exported(&run.connection.id).await?;
        open.sort_by(|a, b| a.document_id.cmp(&b.document_id));
        if let Some(after) = &cursor.after {
            open.retain(|r| &r.document_id > after);
        }
        // One question for every open document: the ledger reads them in bulk (Exact: its
        // unmatched receivables in pages of 1,000), so asking per chunk would repeat it.
        let entries: Vec<LedgerEntryId> = open.iter().filter_map(entry_of).collect();
        let since = open.iter().map(|r| r.document_date).min().flatten();
        let states: HashMap<LedgerEntryId, LedgerPaymentState> = payments
            .payment_states(&entries, since)
            .await?
            .into_iter()
            .map(|s| (s.entry.clone(), s))
            .collect();
        let state_of = |r: &DocumentRecord| entry_of(r).and_then(|e| states.get(&e));
        for chunk in open.chunks(self.options.chunk.max(1)) {
            if run.must_hand_over() {
                return Err(Stop::Deadline);
            }
            // What Teamleader shows paid, for the invoices with something to register (paid
            // by hand already? One question per 100, so nothing is ever paid twice there) —
            // and for every invoice when hand payments are carried to the ledger.
            let ask: Vec<DocumentId> = chunk
                .iter()
                .filter(|r| r.kind == DocumentKind::Invoice && r.payment_intent.is_none())
                .filter(|r| {
                    let total = r.total_incl.as_ref().map(|t| t.amount);
                    carry_journal.is_some()
                        || state_of(r).zip(total).is_some_and(|(state, total)| {
                            ledger_own(r, paid_amount(total, state)) > r.payments_registered
                        })
                })
                .map(|r| r.document_id.clone())
                .collect();
            let paid_in_teamleader = self.paid_in_teamleader(run, &ask).await?;
            for record in chunk {
                run.attempt();
                run.counts.checked += 1;
                let in_teamleader = paid_in_teamleader.get(&record.document_id).copied();
                let carry = carry_journal
                    .as_deref()
                    .map(|journal| Carry { journal, payments });
                self.settle(run, record.clone(), state_of(record), in_teamleader, carry)
                    .await?;
                cursor.after = Some(record.document_id.clone());
            }
        }
        Ok(())
    }

    /// The digest: when invoices were marked paid and the connection asked for e-mail, one
    /// message listing them (a failure to send is a warning in the report, never a failed run).
    async fn complete(&self, run: &mut PollRun<'_>, _cursor: &PollCursor) -> Result<(), JobError> {
        let (Some(mailer), Some(to)) = (self.mailer, run.connection.settings.notify_email.clone())
        else {
            return Ok(());
        };
        let report = run.report();
        let paid: Vec<String> = report
            .notices
            .iter()
            .filter(|n| {
                matches!(
                    n.outcome,
                    IssueOutcome::MarkedPaid | IssueOutcome::PartlyPaid
                )
            })
            .map(|n| format!("- {}: {}", n.subject, n.reason))
            .collect();
        if paid.is_empty() {
            return Ok(());
        }
        let language = run.systems.source.account_language().await.ok().flatten();
        let message = digest(&to, language.as_deref(), &paid);
        if let Err(e) = mailer.send(&message).await {
            run.warn(format!(
                "The e-mail to {to} about the invoices marked paid could not be sent ({e}); the list is in this report."
            ));
        }
        Ok(())
    }
}

/// The digest of invoices marked paid, in the account's language (English by default).
fn digest(to: &str, language: Option<&str>, lines: &[String]) -> MailMessage {
    let (subject, intro, outro) = match language.map(|l| l.get(..2).unwrap_or(l)) {
        Some("nl") => (
            "Koppel: facturen betaald gezet in Teamleader",
            "Deze facturen zijn in je boekhouding afgepunt en daarom in Teamleader op betaald gezet:",
            "Je krijgt deze e-mail omdat je dat op de koppelingspagina vroeg.",
        ),
        Some("fr") => (
            "Koppel : factures marquées payées dans Teamleader",
            "Ces factures ont été lettrées dans votre comptabilité et donc marquées payées dans Teamleader :",
            "Vous recevez cet e-mail parce que vous l'avez demandé sur la page de connexion.",
        ),
        _ => (
            "Koppel: invoices marked paid in Teamleader",
            "These invoices were reconciled in your accounting and are now marked paid in Teamleader:",
            "You get this e-mail because you asked for it on the connection page.",
        ),
    };
    MailMessage {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("{intro}\n\n{}\n\n{outro}\n", lines.join("\n")),
    }
}

/// The ledger entry of an exported record.
fn entry_of(record: &DocumentRecord) -> Option<LedgerEntryId> {
    match &record.state {
        crate::ExportState::Exported { entry_id, .. } => Some(entry_id.clone()),
        _ => None,
    }
}

fn subject(record: &DocumentRecord) -> IssueSubject {
    IssueSubject::Document {
        id: record.document_id.clone(),
        number: record.number.clone(),
        kind: record.kind,
    }
}

impl PaymentPoll<'_> {
    /// What Teamleader shows paid on each of these invoices, by hand or by Koppel (one list
    /// call per 100).
    async fn paid_in_teamleader(
        &self,
        run: &PollRun<'_>,
        invoices: &[DocumentId],
    ) -> Result<HashMap<DocumentId, Decimal>, Stop> {
        let mut paid = HashMap::new();
        for ids in invoices.chunks(100) {
            let query = DocumentQuery {
                kind: DocumentKind::Invoice,
                ids: ids.to_vec(),
                department_id: None,
                updated_since: None,
                date_from: None,
                page: 1,
                page_size: 100,
            };
            let listed = run.systems.source.booked_documents(&query).await?;
            paid.extend(listed.into_iter().map(|s| {
                let total = s.total_incl.amount;
                let amount = if s.paid {
                    total
                } else {
                    s.amount_due
                        .map_or(Decimal::ZERO, |due| (total - due).max(Decimal::ZERO))
                };
                (s.id, amount)
            }));
        }
        Ok(paid)
    }

    /// The financial journal hand payments go to, when the connection opted in and the
    /// ledger can book them (else a warning, once per run, and nothing is carried).
    fn carry_journal(
        &self,
        run: &mut PollRun<'_>,
        payments: &dyn LedgerPayments,
    ) -> Option<String> {
        let journal = run.connection.settings.payment_journal.clone()?;
        if payments.books_received_payments() {
            return Some(journal);
        }
        run.warn(format!(
            "{} has no documented way for Koppel to book a payment received elsewhere: payments registered in Teamleader are not carried over. Register them in the ledger by hand.",
            run.connection.ledger.display_name()
        ));
        None
    }

    /// Bring one document in line with its state in the ledger and, when carrying, the
    /// ledger in line with Teamleader; `in_teamleader` is what Teamleader shows paid (when
    /// it was asked).
    async fn settle(
        &self,
        run: &mut PollRun<'_>,
        mut record: DocumentRecord,
        state: Option<&LedgerPaymentState>,
        in_teamleader: Option<Decimal>,
        carry: Option<Carry<'_>>,
    ) -> Result<(), Stop> {
        let Some(state) = state else {
            // No receivable (yet, or any more): nothing to register.
            run.counts.missing_in_ledger += 1;
            return Ok(());
        };
        let Some(total) = record.total_incl.clone() else {
            return Ok(());
        };
        let paid_in_ledger = paid_amount(total.amount, state);
        let previously_seen = record.ledger_paid;
        record.ledger_paid = Some(paid_in_ledger);
        if record.kind == DocumentKind::CreditNote {
            if state.fully_paid {
                record.paid = true;
                run.counts.credit_notes_settled += 1;
                run.notice(
                    subject(&record),
                    IssueOutcome::CreditNoteSettled,
                    "Settled in the ledger. Teamleader's API cannot mark a credit note paid: it stays as it is in Teamleader.".to_owned(),
                );
            }
            return self.save(record, run).await;
        }
        if state.partly_paid_amount_unknown && !state.fully_paid {
            run.notice(
                subject(&record),
                IssueOutcome::PartlyPaidAmountUnknown,
                format!(
                    "Partly paid in {}, which does not say how much: Teamleader is marked paid once it is fully paid there.",
                    run.connection.ledger.display_name()
                ),
            );
        }
        if let Some(carry) = &carry {
            self.recover_carry(run, &mut record, carry).await?;
            if record.payments_carried > paid_in_ledger
                && previously_seen.is_none_or(|seen| seen > paid_in_ledger)
            {
                // Booked, but the ledger did not settle the invoice with it.
                run.issue(
                    subject(&record),
                    IssueOutcome::UnmatchedInLedger,
                    format!(
                        "Koppel booked {} paid in Teamleader in journal {}, but {} shows only {} of this invoice paid: match the payment line to the invoice there.",
                        record.payments_carried,
                        carry.journal,
                        run.connection.ledger.display_name(),
                        paid_in_ledger
                    ),
                );
            }
        }
        // What the ledger shows paid beyond what Koppel booked there: never echoed back.
        let own = ledger_own(&record, paid_in_ledger);
        if own < record.payments_registered
            && previously_seen.is_none_or(|seen| paid_in_ledger < seen)
        {
            run.counts.unmatched += 1;
            run.issue(
                subject(&record),
                IssueOutcome::UnmatchedInLedger,
                format!(
                    "The ledger no longer shows {} of this invoice as paid, but Koppel registered {} in Teamleader. Teamleader is left as it is: remove the payment there by hand if it was wrong.",
                    own, record.payments_registered
                ),
            );
        }
        let to_register = match in_teamleader {
            // Never more than Teamleader lacks: a payment seen on both sides counts once.
            Some(shown) => (own - record.payments_registered).min(paid_in_ledger - shown),
            None => own - record.payments_registered,
        };
        if record.payment_intent.is_some() || to_register > Decimal::ZERO {
            return self
                .register_and_report(run, record, state, &total, to_register, own)
                .await;
        }
        if let (Some(carry), Some(shown)) = (&carry, in_teamleader) {
            // Paid by hand in Teamleader beyond what either side got from Koppel, up to what
            // the ledger still has open (a bank statement may have settled it there already).
            let to_carry = (shown - record.payments_registered - record.payments_carried)
                .min(total.amount - paid_in_ledger);
            if to_carry > Decimal::ZERO {
                self.carry(run, &mut record, carry, &total, to_carry)
                    .await?;
                return self.save(record, run).await;
            }
        }
        if in_teamleader.is_some_and(|shown| shown >= total.amount) {
            // Paid in Teamleader (by hand): recorded, never registered a second time.
            record.paid = true;
            run.counts.already_paid += 1;
        }
        self.save(record, run).await
    }

    /// Register what the ledger reconciled in Teamleader and report it.
    async fn register_and_report(
        &self,
        run: &mut PollRun<'_>,
        mut record: DocumentRecord,
        state: &LedgerPaymentState,
        total: &Money,
        to_register: Decimal,
        own: Decimal,
    ) -> Result<(), Stop> {
        let paid_at = state.paid_at.unwrap_or_else(|| run.clock.now());
        let payment = match self
            .register(run, &mut record, total, paid_at, to_register, own)
            .await?
        {
            Registered::Now(payment) => payment,
            Registered::Nothing => return self.save(record, run).await,
            Registered::Refused(reason) => {
                run.counts.failed += 1;
                run.issue(subject(&record), IssueOutcome::Failed, reason);
                return Ok(());
            }
        };
        run.counts.payments_registered += 1;
        let fully = state.fully_paid || record.payments_registered >= total.amount;
        if fully {
            record.paid = true;
            run.counts.marked_paid += 1;
            run.notice(
                subject(&record),
                IssueOutcome::MarkedPaid,
                format!(
                    "Marked paid in Teamleader: {} {} on {}, as reconciled in the ledger.",
                    payment.amount.amount,
                    payment.amount.currency.0,
                    payment.paid_at.format("%Y-%m-%d")
                ),
            );
        } else {
            run.counts.partly_paid += 1;
            run.notice(
                subject(&record),
                IssueOutcome::PartlyPaid,
                format!(
                    "Partly paid: {} {} registered in Teamleader on {} ({} of {} paid in the ledger).",
                    payment.amount.amount,
                    payment.amount.currency.0,
                    payment.paid_at.format("%Y-%m-%d"),
                    record.ledger_paid.unwrap_or_default(),
                    total.amount
                ),
            );
        }
        self.save(record, run).await
    }

    /// A booking a crashed worker may have made: found in the ledger → counted; not found →
    /// forgotten (it never happened; what is due is worked out again).
    async fn recover_carry(
        &self,
        run: &PollRun<'_>,
        record: &mut DocumentRecord,
        carry: &Carry<'_>,
    ) -> Result<(), Stop> {
        let Some(intent) = record.carry_intent.take() else {
            return Ok(());
        };
        let Some(received) = received_payment(record, carry.journal, &intent) else {
            return Ok(());
        };
        if carry
            .payments
            .find_received_payment(&received)
            .await?
            .is_some()
        {
            record.payments_carried += intent.amount.amount;
        }
        record.updated_at = run.clock.now();
        self.documents.put_document(record).await?;
        Ok(())
    }

    /// Book `amount` paid by hand in Teamleader in the ledger, once: the intent first, then
    /// the call, then the outcome; dated with the last payment Teamleader shows.
    async fn carry(
        &self,
        run: &mut PollRun<'_>,
        record: &mut DocumentRecord,
        carry: &Carry<'_>,
        total: &Money,
        amount: Decimal,
    ) -> Result<(), Stop> {
        let invoice = run
            .systems
            .source
            .document(DocumentKind::Invoice, &record.document_id)
            .await?;
        let paid_at = invoice
            .payments
            .iter()
            .map(|p| p.paid_at)
            .max()
            .unwrap_or_else(|| run.clock.now());
        let payment = Payment {
            amount: Money {
                amount,
                currency: total.currency.clone(),
            },
            paid_at,
        };
        let Some(received) = received_payment(record, carry.journal, &payment) else {
            return Ok(());
        };
        record.carry_intent = Some(payment.clone());
        record.updated_at = run.clock.now();
        self.documents.put_document(record).await?;
        let ledger = run.connection.ledger.display_name();
        match carry.payments.post_received_payment(&received).await {
            Ok(_) => {
                record.payments_carried += amount;
                record.carry_intent = None;
                // What the ledger should show from now on: less on the next poll means it
                // did not settle the invoice with Koppel's booking (reported then).
                record.ledger_paid = Some(record.ledger_paid.unwrap_or_default() + amount);
                run.counts.payments_booked += 1;
                run.notice(
                    subject(record),
                    IssueOutcome::PaymentBooked,
                    format!(
                        "Paid in Teamleader: {} {} on {} booked in {ledger} (journal {}).",
                        amount,
                        total.currency.0,
                        paid_at.format("%Y-%m-%d"),
                        carry.journal
                    ),
                );
                Ok(())
            }
            Err(e) if e.disposition() == Disposition::FailItem => {
                record.carry_intent = None;
                run.counts.failed += 1;
                run.issue(
                    subject(record),
                    IssueOutcome::Failed,
                    format!(
                        "The payment registered in Teamleader could not be booked in {ledger}: {e}"
                    ),
                );
                Ok(())
            }
            // Not sent, or unknown whether it went through: the intent stays and the next
            // poll looks the booking up before anything else.
            Err(e) => Err(Stop::External(e)),
        }
    }

    /// Register in Teamleader what the ledger shows paid beyond what Koppel registered, once:
    /// the intent first, then the call, then the outcome. An intent left by a crashed worker
    /// is checked against the invoice's payments in Teamleader before anything is sent.
    /// `wanted` is what is due when no intent is pending; after a crashed worker's intent,
    /// what is due is worked out again from `own` (the ledger's own payments).
    async fn register(
        &self,
        run: &PollRun<'_>,
        record: &mut DocumentRecord,
        total: &Money,
        paid_at: DateTime<Utc>,
        wanted: Decimal,
        own: Decimal,
    ) -> Result<Registered, Stop> {
        let mut recovered = None;
        let mut due = wanted;
        if let Some(intent) = record.payment_intent.take() {
            let invoice = run
                .systems
                .source
                .document(DocumentKind::Invoice, &record.document_id)
                .await?;
            if invoice.payments.iter().any(|p| same_payment(p, &intent)) {
                // The crashed worker's call went through: count it, never send it again.
                record.payments_registered += intent.amount.amount;
                recovered = Some(intent);
            }
            record.updated_at = run.clock.now();
            self.documents.put_document(record).await?;
            due = own - record.payments_registered;
        }
        if due <= Decimal::ZERO {
            return Ok(recovered.map_or(Registered::Nothing, Registered::Now));
        }
        let payment = Payment {
            amount: Money {
                amount: due,
                currency: total.currency.clone(),
            },
            paid_at,
        };
        record.payment_intent = Some(payment.clone());
        record.updated_at = run.clock.now();
        self.documents.put_document(record).await?;
        match run
            .systems
            .source
            .register_payment(&record.document_id, &payment)
            .await
        {
            Ok(()) => {
                record.payments_registered += payment.amount.amount;
                record.payment_intent = None;
                Ok(Registered::Now(payment))
            }
            Err(e) if e.disposition() == Disposition::FailItem => {
                record.payment_intent = None;
                record.updated_at = run.clock.now();
                self.documents.put_document(record).await?;
                Ok(Registered::Refused(format!(
                    "The payment could not be registered in Teamleader: {e}"
                )))
            }
            // Not sent, or unknown whether it went through: the intent stays and the next
            // poll looks at the invoice's payments before anything else.
            Err(e) => Err(Stop::External(e)),
        }
    }

    async fn save(&self, mut record: DocumentRecord, run: &PollRun<'_>) -> Result<(), Stop> {
        record.updated_at = run.clock.now();
        self.documents.put_document(&record).await?;
        Ok(())
    }
}

/// What registering gave.
enum Registered {
    /// This payment was registered (now, or by a crashed worker whose answer was lost).
    Now(Payment),
    /// Nothing was due (a crashed worker's registration covered it).
    Nothing,
    /// Teamleader refused it, with the reason for the user.
    Refused(String),
}

/// Where hand payments are carried: the journal and the ledger's payments part.
struct Carry<'a> {
    journal: &'a str,
    payments: &'a dyn LedgerPayments,
}

/// What the ledger shows paid beyond what Koppel booked there itself.
fn ledger_own(record: &DocumentRecord, paid_in_ledger: Decimal) -> Decimal {
    (paid_in_ledger - record.payments_carried).max(Decimal::ZERO)
}

/// The booking of `payment` on the record's entry, with Koppel's reference (the same for the
/// same intent, so a crashed worker's booking is found again).
fn received_payment(
    record: &DocumentRecord,
    journal: &str,
    payment: &Payment,
) -> Option<ReceivedPayment> {
    let entry = entry_of(record)?;
    let number = record
        .number
        .as_deref()
        .unwrap_or(record.document_id.as_str());
    let received_on = payment.paid_at.date_naive();
    Some(ReceivedPayment {
        entry,
        journal: journal.to_owned(),
        amount: payment.amount.clone(),
        received_on,
        reference: format!(
            "Koppel {number} {} {received_on}",
            payment.amount.amount.normalize()
        ),
    })
}

/// The amount the ledger shows as paid: the total minus what is open, within 0..=total.
fn paid_amount(total: Decimal, state: &LedgerPaymentState) -> Decimal {
    if state.fully_paid {
        return total;
    }
    if state.amount_unknown {
        return Decimal::ZERO;
    }
    (total - state.open_amount.abs())
        .max(Decimal::ZERO)
        .min(total)
}

/// Teamleader keeps what was sent: same amount, same day.
fn same_payment(registered: &Payment, intent: &Payment) -> bool {
    registered.amount.amount == intent.amount.amount
        && day(registered.paid_at) == day(intent.paid_at)
}

fn day(at: DateTime<Utc>) -> chrono::NaiveDate {
    at.date_naive()
}
