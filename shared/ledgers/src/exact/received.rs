//! Payments registered by hand in Teamleader, booked in Exact Online (the opt-in direction
//! of the payment poll; facts and sources in docs/ledgers/exact.md).
//!
//! Exact has no call that matches a payment with an invoice. What it documents is a bank
//! (`financialtransaction/BankEntries`, journal type 12) or cash entry (`CashEntries`, type
//! 10) with a line on the customer, the receivables GL account and the invoice number in
//! `OurRef`; Exact's matching then settles the invoice's receivable with it.
//!
//! Call budget per payment: 1 read of the invoice's receivable (customer, invoice number,
//! GL account), 1 read of the journal's type (once per journal and ledger instance), 1 POST.
//! After a crash, 1 read of the journal's lines on that customer and day to find the line by
//! its description (Koppel's reference) — Exact has no idempotency key.

use super::ledger::ExactLedger;
use super::mapping::{JOURNAL_TYPE_BANK, JOURNAL_TYPE_CASH};
use super::odata::{format_date, guid_literal, string_literal};
use super::refusals::SYSTEM;
use super::wire;
use koppel_core::{ExternalError, LedgerEntryId, ReceivedPayment};

/// Bank or cash: which endpoints a journal's payments go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Book {
    Bank,
    Cash,
}

impl Book {
    fn entries(self) -> &'static str {
        match self {
            Self::Bank => "financialtransaction/BankEntries",
            Self::Cash => "financialtransaction/CashEntries",
        }
    }

    fn lines(self) -> &'static str {
        match self {
            Self::Bank => "financialtransaction/BankEntryLines",
            Self::Cash => "financialtransaction/CashEntryLines",
        }
    }
}

fn rejected(message: String) -> ExternalError {
    ExternalError::Rejected {
        system: SYSTEM,
        status: 400,
        message,
    }
}

impl ExactLedger {
    /// Whether `journal` takes bank or cash entries (asked once per journal).
    async fn book_of(&self, journal: &str) -> Result<Book, ExternalError> {
        if let Some(kind) = self.journal_types.lock().await.get(journal).copied() {
            return Self::book(journal, kind);
        }
        let filter = format!("Code eq {}", string_literal(journal.trim()));
        let (found, _) = self
            .http
            .get_page::<wire::Journal>(
                "financial/Journals",
                &[("$select", wire::JOURNAL_SELECT), ("$filter", &filter)],
            )
            .await?;
        let kind = found
            .first()
            .map(|j| j.kind)
            .ok_or_else(|| {
                rejected(format!(
                    "journal {journal} does not exist. Choose a bank or cash journal for the payments registered in Teamleader on the connection page."
                ))
            })?
            .unwrap_or_default();
        self.journal_types
            .lock()
            .await
            .insert(journal.to_owned(), kind);
        Self::book(journal, kind)
    }

    fn book(journal: &str, kind: i32) -> Result<Book, ExternalError> {
        match kind {
            JOURNAL_TYPE_BANK => Ok(Book::Bank),
            JOURNAL_TYPE_CASH => Ok(Book::Cash),
            _ => Err(rejected(format!(
                "journal {journal} is not a bank or cash journal. Choose one on the connection page for the payments registered in Teamleader."
            ))),
        }
    }

    /// The invoice's receivable: customer, invoice number and GL account of the line.
    async fn payment_target(
        &self,
        entry: &LedgerEntryId,
    ) -> Result<wire::PaymentTarget, ExternalError> {
        let literal =
            guid_literal(entry.as_str().trim()).ok_or_else(|| ExternalError::NotFound {
                system: SYSTEM,
                what: format!("entry {entry}"),
            })?;
        let filter = format!("TransactionEntryID eq {literal}");
        let (targets, _) = self
            .http
            .get_page::<wire::PaymentTarget>(
                "cashflow/Receivables",
                &[
                    ("$select", wire::PAYMENT_TARGET_SELECT),
                    ("$filter", &filter),
                ],
            )
            .await?;
        targets
            .into_iter()
            .next()
            .ok_or_else(|| ExternalError::NotFound {
                system: SYSTEM,
                what: format!("the receivable of entry {entry}"),
            })
    }

    /// The line carrying the payment's reference on that customer and day, if Koppel booked it.
    pub(super) async fn find_received(
        &self,
        payment: &ReceivedPayment,
    ) -> Result<Option<LedgerEntryId>, ExternalError> {
        let book = self.book_of(&payment.journal).await?;
        let target = self.payment_target(&payment.entry).await?;
        let Some(account) = target.account.as_deref().and_then(guid_literal) else {
            return Ok(None);
        };
        let filter = format!(
            "Account eq {account} and Date eq datetime'{}'",
            format_date(payment.received_on)
        );
        let lines = self
            .http
            .get_all::<wire::PaymentLine>(
                book.lines(),
                &[("$select", wire::PAYMENT_LINE_SELECT), ("$filter", &filter)],
            )
            .await?;
        Ok(lines
            .into_iter()
            .find(|l| l.description.as_deref().map(str::trim) == Some(payment.reference.as_str()))
            .and_then(|l| l.entry_id)
            .map(LedgerEntryId::new))
    }

    /// One POST of a bank or cash entry with one line settling the invoice.
    pub(super) async fn post_received(
        &self,
        payment: &ReceivedPayment,
    ) -> Result<LedgerEntryId, ExternalError> {
        let book = self.book_of(&payment.journal).await?;
        let target = self.payment_target(&payment.entry).await?;
        if target.is_fully_paid == Some(true) {
            return Err(rejected(format!(
                "the invoice of entry {} is settled in Exact Online already (by a bank statement?): the payment registered in Teamleader was not booked a second time.",
                payment.entry
            )));
        }
        let account = target.account.ok_or_else(|| {
            rejected(format!(
                "the invoice of entry {} has no customer in Exact Online; register the payment there by hand.",
                payment.entry
            ))
        })?;
        let line = wire::NewPaymentLine {
            account,
            amount_fc: payment.amount.amount,
            date: format_date(payment.received_on),
            description: payment.reference.clone(),
            our_ref: target.invoice_number,
            gl_account: target.gl_account,
        };
        let journal_code = payment.journal.trim().to_owned();
        let currency = payment.amount.currency.0.clone();
        let posted: wire::PostedFinancialEntry = match book {
            Book::Bank => {
                let body = wire::NewBankEntry {
                    journal_code,
                    currency,
                    bank_entry_lines: vec![line],
                };
                self.http.post(book.entries(), &body).await?
            }
            Book::Cash => {
                let body = wire::NewCashEntry {
                    journal_code,
                    currency,
                    cash_entry_lines: vec![line],
                };
                self.http.post(book.entries(), &body).await?
            }
        };
        Ok(LedgerEntryId::new(posted.entry_id))
    }
}
