//! [`TwinfieldLedger`]: one Twinfield office as Koppel's [`Ledger`], with customers (DEB
//! dimensions) and payment states.
//!
//! Call budget (fair use: a query costs 1 credit, anything else 3, 1,000 a minute, one
//! request at a time; see `http.rs`):
//! - access: 1 token validation per new access token (an hour; free of credits) for the
//!   cluster;
//! - reference data: finder pages (100 rows each) of balance and P&L accounts, sales VAT
//!   codes, sales transaction types and periods (this and next year), + 1 `read vat` per
//!   sales VAT code for its percentage — kept for the run;
//! - a transaction: exactly 1 ProcessXml (3 credits); the transaction number Twinfield
//!   returns is stored; a refusal "Factuurnummer … komt reeds voor." is resolved by a look-up
//!   (1 browse), never shown as a dead end;
//! - finding a transaction again: 1 browse (columns 100) by type and invoice number;
//! - customers: finder pages of all DEB dimensions once per run (the look-up of any number of
//!   customers), 1 ProcessXml per customer created;
//! - payment states: 1 browse per transaction type over the periods since the oldest open
//!   entry, for any number of entries.
//!
//! Exactly once: Twinfield returns the transaction number, which Koppel records; after a
//! crash or a lost answer the export finds the transaction by its invoice number (the
//! Teamleader number, "CN …" for a credit note) and type before anything is posted again.
//!
//! Payments from Teamleader to Twinfield: booking a bank or cash transaction that settles the
//! invoice needs Twinfield's matching service (`matching.asmx`), whose request the reference
//! does not document; not offered (the page says so).

use super::http::{CallKind, TwinfieldHttp};
use super::mapping::{self, Destiny};
use super::refusals::{self, SYSTEM};
use super::xml::Element;
use async_trait::async_trait;
use chrono::{Datelike, NaiveDate, NaiveTime};
use koppel_core::domain::names::same_company_name;
use koppel_core::domain::preflight::{
    chosen_journal, period_findings, revenue_account_findings, vat_code_findings,
};
use koppel_core::{
    AttachmentSupport, Clock, ConnectionSettings, Customer, DocumentFile, DocumentKind, EntryKey,
    ExternalError, Finding, GlAccount, JournalKind, Ledger, LedgerCapabilities, LedgerCustomerId,
    LedgerCustomerKey, LedgerCustomerPage, LedgerCustomers, LedgerEntry, LedgerEntryId, LedgerKind,
    LedgerLimits, LedgerPaymentState, LedgerPayments, LedgerReferenceData, PostedEntry,
};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, OnceCell};

/// Choices for a [`TwinfieldLedger`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TwinfieldOptions {
    /// Where transactions are booked: provisional (default: the accountant finalises) or final.
    pub destiny: Destiny,
}

/// One Twinfield office.
pub struct TwinfieldLedger {
    http: TwinfieldHttp,
    clock: Arc<dyn Clock>,
    options: TwinfieldOptions,
    /// The debtors' collective account (from the balance accounts), read once.
    debtors: OnceCell<String>,
    /// Every DEB dimension (`[code, name, VAT]` rows), read once per run.
    customers: Mutex<Option<Vec<Vec<String>>>>,
}

impl std::fmt::Debug for TwinfieldLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwinfieldLedger")
            .field("office", &self.http.office())
            .finish_non_exhaustive()
    }
}

/// Koppel's id of a transaction: "type/number" ("VRK/202600001").
fn entry_id(code: &str, number: &str) -> LedgerEntryId {
    LedgerEntryId::new(format!("{code}/{number}"))
}

fn rejected(message: String) -> ExternalError {
    ExternalError::Rejected {
        system: SYSTEM,
        status: 0,
        message,
    }
}

impl TwinfieldLedger {
    /// The office behind `http`.
    pub fn new(http: TwinfieldHttp, clock: Arc<dyn Clock>, options: TwinfieldOptions) -> Self {
        Self {
            http,
            clock,
            options,
            debtors: OnceCell::new(),
            customers: Mutex::new(None),
        }
    }

    /// SOAP requests sent so far.
    pub fn calls(&self) -> u64 {
        self.http.calls()
    }

    /// The HTTP plumbing.
    pub fn http(&self) -> &TwinfieldHttp {
        &self.http
    }

    async fn accounts(&self, dimtype: &str) -> Result<Vec<GlAccount>, ExternalError> {
        let profit_and_loss = dimtype == "PNL";
        Ok(self
            .http
            .search("DIM", &[("dimtype", dimtype)])
            .await?
            .iter()
            .filter_map(|row| mapping::gl_account(row, profit_and_loss))
            .collect())
    }

    async fn debtors(&self) -> Result<String, ExternalError> {
        self.debtors
            .get_or_try_init(|| async {
                Ok(mapping::debtors_account(&self.accounts("BAS").await?))
            })
            .await
            .cloned()
    }

    async fn deb_rows(&self) -> Result<Vec<Vec<String>>, ExternalError> {
        let mut cache = self.customers.lock().await;
        if let Some(rows) = cache.as_ref() {
            return Ok(rows.clone());
        }
        let rows = self.http.search("DIM", &[("dimtype", "DEB")]).await?;
        *cache = Some(rows.clone());
        Ok(rows)
    }

    /// The browse rows of transactions of type `code` (1 query).
    async fn browse(
        &self,
        code: &str,
        periods: Option<(String, String)>,
        invoice_number: Option<&str>,
    ) -> Result<Vec<mapping::BrowseRow>, ExternalError> {
        let request = mapping::browse_request(self.http.office(), code, periods, invoice_number);
        let answer = self
            .http
            .process_xml("browse", &request, CallKind::Query)
            .await?;
        let errors = answer.messages("error");
        if answer.attribute("result") == Some("0") && !errors.is_empty() {
            return Err(rejected(format!("browse {code}: {}", errors.join(" // "))));
        }
        Ok(mapping::browse_rows(&answer))
    }

    async fn find(
        &self,
        code: &str,
        invoice_number: &str,
    ) -> Result<Option<PostedEntry>, ExternalError> {
        let rows = self.browse(code, None, Some(invoice_number)).await?;
        let mut numbers: Vec<&str> = rows
            .iter()
            .filter(|r| r.get("fin.trs.line.invnumber") == Some(invoice_number))
            .map(|r| r.number.as_str())
            .filter(|n| !n.is_empty())
            .collect();
        numbers.dedup();
        if numbers.len() > 1 {
            tracing::warn!(
                office = self.http.office(),
                code,
                invoice_number,
                "several Twinfield transactions carry this invoice number; using the first"
            );
        }
        Ok(numbers.first().map(|number| PostedEntry {
            id: entry_id(code, number),
            entry_number: Some(format!("{code} {number}")),
        }))
    }
}

#[async_trait]
impl Ledger for TwinfieldLedger {
    fn kind(&self) -> LedgerKind {
        LedgerKind::Twinfield
    }

    fn capabilities(&self) -> LedgerCapabilities {
        LedgerCapabilities {
            general_ledger: true,
            attachment: AttachmentSupport::None,
            finds_entries: true,
        }
    }

    /// Twinfield keeps invoice numbers to 40 characters (with "CN " for credit notes).
    fn limits(&self) -> LedgerLimits {
        LedgerLimits {
            reference: Some(37),
            lines_per_entry: Some(999),
            ..LedgerLimits::default()
        }
    }

    async fn reference_data(&self) -> Result<LedgerReferenceData, ExternalError> {
        let balance = self.accounts("BAS").await?;
        let _ = self.debtors.set(mapping::debtors_account(&balance));
        let mut gl_accounts = balance;
        gl_accounts.extend(self.accounts("PNL").await?);
        let journals = self
            .http
            .search("TRS", &[("category", "sales")])
            .await?
            .iter()
            .filter_map(|row| mapping::journal(row))
            .collect();
        let mut vat_codes = Vec::new();
        for row in self.http.search("VAT", &[("vattype", "sales")]).await? {
            let Some(code) = row.first() else { continue };
            let read = Element::new("read")
                .leaf("type", "vat")
                .leaf("office", self.http.office())
                .leaf("code", code.clone());
            let vat = self
                .http
                .process_xml("read.vat", &read, CallKind::Query)
                .await?;
            if let Some(code) =
                mapping::vat_percentage(&vat).and_then(|p| mapping::vat_code(&row, p))
            {
                vat_codes.push(code);
            }
        }
        let this_year = self.clock.now().date_naive().year();
        let mut periods = Vec::new();
        for year in [this_year - 1, this_year, this_year + 1] {
            let year = year.to_string();
            periods.extend(
                self.http
                    .search("PRD", &[("year", year.as_str())])
                    .await?
                    .iter()
                    .filter_map(|row| mapping::fiscal_period(row)),
            );
        }
        Ok(LedgerReferenceData {
            gl_accounts,
            journals,
            vat_codes,
            periods,
        })
    }

    /// Sales transaction types chosen and present (invoices and credit notes may share one:
    /// credit notes are mirrored), VAT codes, revenue accounts, and a period for the start
    /// date.
    fn preflight(
        &self,
        settings: &ConnectionSettings,
        reference: &LedgerReferenceData,
    ) -> Vec<Finding> {
        let mut findings: Vec<Finding> = [DocumentKind::Invoice, DocumentKind::CreditNote]
            .into_iter()
            .filter_map(|kind| chosen_journal(SYSTEM, kind, settings, reference).err())
            .map(Finding::blocker)
            .collect();
        for code in [&settings.invoice_journal, &settings.credit_note_journal]
            .into_iter()
            .flatten()
        {
            if let Some(journal) = reference.journal(code)
                && journal.kind != JournalKind::Sales
            {
                findings.push(Finding::blocker(format!(
                    "Transaction type {code} is not a sales type in Twinfield: choose a sales transaction type (such as VRK) on the connection page."
                )));
            }
        }
        findings.dedup();
        findings.extend(vat_code_findings(SYSTEM, settings, reference));
        findings.extend(revenue_account_findings(SYSTEM, settings, reference));
        findings.extend(period_findings(SYSTEM, settings, reference));
        findings
    }

    /// By invoice number ("CN …" for a credit note) in the transaction type.
    async fn find_entry(&self, key: &EntryKey) -> Result<Option<PostedEntry>, ExternalError> {
        let Some(code) = key.journal.as_deref().map(str::trim) else {
            return Ok(None);
        };
        self.find(code, &mapping::invoice_number(key.kind, &key.reference))
            .await
    }

    /// One ProcessXml; the transaction number Twinfield returns is the entry's id. An
    /// invoice number Twinfield already has is looked up and returned, never refused.
    async fn post_entry(
        &self,
        entry: &LedgerEntry,
        file: Option<&DocumentFile>,
    ) -> Result<PostedEntry, ExternalError> {
        let subject = format!("transaction {}", entry.reference);
        if file.is_some() {
            return Err(ExternalError::Unsupported {
                system: SYSTEM,
                what: "attaching the PDF to a transaction",
            });
        }
        let customer = entry
            .customer
            .ledger_id()
            .map(|id| id.as_str().trim().to_owned())
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                rejected(refusals::message(
                    &subject,
                    "the customer is not a Twinfield customer",
                ))
            })?;
        let code = entry.journal.clone().unwrap_or_default();
        let debtors = self.debtors().await?;
        let request = mapping::transaction(
            entry,
            self.http.office(),
            &customer,
            &debtors,
            self.options.destiny,
        )
        .map_err(|problem| rejected(refusals::message(&subject, &problem)))?;
        let answer = self
            .http
            .process_xml("transactions", &request, CallKind::Write)
            .await?;
        let transaction = answer
            .first("transaction")
            .ok_or_else(|| ExternalError::Malformed {
                system: SYSTEM,
                endpoint: "transactions".into(),
                detail: "no <transaction> in the answer".into(),
            })?;
        let errors = transaction.messages("error");
        let booked = transaction.attribute("result") == Some("1") && errors.is_empty();
        if !booked {
            if refusals::is_duplicate_invoice_number(&errors) {
                // Twinfield has it: an earlier attempt booked it. Find it, never refuse.
                let number = mapping::invoice_number(entry.kind, &entry.reference);
                if let Some(found) = self.find(&code, &number).await? {
                    return Ok(found);
                }
            }
            return Err(refusals::refused(&subject, &errors));
        }
        let number = transaction
            .first("header")
            .and_then(|h| h.text_of("number"))
            .ok_or_else(|| ExternalError::Malformed {
                system: SYSTEM,
                endpoint: "transactions".into(),
                detail: "the booked transaction has no number".into(),
            })?;
        Ok(PostedEntry {
            id: entry_id(&code, number),
            entry_number: Some(format!("{code} {number}")),
        })
    }

    fn customers(&self) -> Option<&dyn LedgerCustomers> {
        Some(self)
    }

    fn payments(&self) -> Option<&dyn LedgerPayments> {
        Some(self)
    }
}

fn key_of(code: &str) -> LedgerCustomerKey {
    LedgerCustomerKey {
        id: LedgerCustomerId::new(code),
        number: Some(code.to_owned()),
    }
}

#[async_trait]
impl LedgerCustomers for TwinfieldLedger {
    /// One finder pass over the DEB dimensions, then by code (when the name or VAT number
    /// agrees: the external-id field is shared with other departments' ledgers) or VAT number.
    async fn find_customers(
        &self,
        customers: &[Customer],
    ) -> Result<Vec<Option<LedgerCustomerKey>>, ExternalError> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.deb_rows().await?;
        let vat_of = |row: &Vec<String>| row.get(2).and_then(|v| mapping::normalised_vat(v));
        Ok(customers
            .iter()
            .map(|customer| {
                let vat = customer
                    .vat_number
                    .as_ref()
                    .and_then(|v| mapping::normalised_vat(&v.0));
                let by_code = customer
                    .external_id
                    .as_deref()
                    .map(str::trim)
                    .and_then(|code| {
                        rows.iter().find(|row| {
                            row.first().map(String::as_str) == Some(code)
                                && (row
                                    .get(1)
                                    .is_some_and(|name| same_company_name(name, &customer.name))
                                    || (vat.is_some() && vat_of(row) == vat))
                        })
                    });
                let by_vat = || {
                    vat.as_ref()
                        .and_then(|v| rows.iter().find(|row| vat_of(row).as_ref() == Some(v)))
                };
                by_code
                    .or_else(by_vat)
                    .and_then(|row| row.first())
                    .map(|code| key_of(code))
            })
            .collect())
    }

    /// One ProcessXml; Twinfield numbers the customer.
    async fn create_customer(
        &self,
        customer: &Customer,
    ) -> Result<LedgerCustomerKey, ExternalError> {
        let subject = format!("customer {}", customer.name.trim());
        let request = mapping::new_customer(customer, self.http.office());
        let answer = self
            .http
            .process_xml("dimensions", &request, CallKind::Write)
            .await?;
        let errors = answer.messages("error");
        let code = answer.text_of("code").filter(|_| errors.is_empty());
        let Some(code) = code else {
            return Err(refusals::refused(&subject, &errors));
        };
        let code = code.to_owned();
        if let Some(rows) = self.customers.lock().await.as_mut() {
            rows.push(vec![
                code.clone(),
                customer.name.trim().to_owned(),
                customer
                    .vat_number
                    .as_ref()
                    .map(|v| v.0.clone())
                    .unwrap_or_default(),
            ]);
        }
        Ok(key_of(&code))
    }

    /// A DEB dimension with exactly the name sent (the newest, the highest code): Twinfield's
    /// finder does not say when a dimension was created.
    async fn find_created(
        &self,
        customer: &Customer,
        _since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<LedgerCustomerKey>, ExternalError> {
        let name = customer.name.trim();
        let rows = self.http.search("DIM", &[("dimtype", "DEB")]).await?;
        Ok(rows
            .iter()
            .filter(|row| row.get(1).is_some_and(|n| n.trim() == name))
            .filter_map(|row| row.first())
            .max_by_key(|code| (code.len(), (*code).clone()))
            .map(|code| key_of(code)))
    }

    /// Every DEB dimension, a finder page at a time (cursor: the next first row).
    async fn list_customers(
        &self,
        _cursor: Option<&str>,
    ) -> Result<LedgerCustomerPage, ExternalError> {
        let rows = self.deb_rows().await?;
        Ok(LedgerCustomerPage {
            customers: rows
                .iter()
                .filter_map(|row| mapping::customer_from_row(row))
                .collect(),
            next: None,
        })
    }
}

#[async_trait]
impl LedgerPayments for TwinfieldLedger {
    /// One browse per transaction type over the periods since `since` (the oldest open
    /// entry's date; this year without it): the open value and match status of the
    /// customer's line.
    async fn payment_states(
        &self,
        entries: &[LedgerEntryId],
        since: Option<NaiveDate>,
    ) -> Result<Vec<LedgerPaymentState>, ExternalError> {
        let mut by_code: HashMap<&str, Vec<(&LedgerEntryId, &str)>> = HashMap::new();
        for id in entries {
            if let Some((code, number)) = id.as_str().split_once('/') {
                by_code.entry(code).or_default().push((id, number));
            }
        }
        let today = self.clock.now().date_naive();
        let from =
            since.unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today));
        let to = NaiveDate::from_ymd_opt(today.year() + 1, 12, 31).unwrap_or(today);
        let mut states = Vec::new();
        for (code, wanted) in by_code {
            let rows = self
                .browse(
                    code,
                    Some((mapping::period(from), mapping::period(to))),
                    None,
                )
                .await?;
            let by_number: HashMap<&str, &mapping::BrowseRow> =
                rows.iter().map(|r| (r.number.as_str(), r)).collect();
            for (id, number) in wanted {
                let Some(row) = by_number.get(number) else {
                    tracing::warn!(office = self.http.office(), transaction = %id, "the transaction is no longer in Twinfield (deleted?); its payment state is unknown");
                    continue;
                };
                let open = row
                    .get("fin.trs.line.openvaluesigned")
                    .and_then(|v| v.parse::<Decimal>().ok())
                    .map(|v| v.abs())
                    .unwrap_or_default();
                let matched = row.get("fin.trs.line.matchstatus") == Some("matched");
                let paid_at = row
                    .get("fin.trs.line.matchdate")
                    .and_then(|d| NaiveDate::parse_from_str(d.get(..8).unwrap_or(d), "%Y%m%d").ok())
                    .map(|d| d.and_time(NaiveTime::MIN).and_utc());
                states.push(LedgerPaymentState {
                    entry: id.clone(),
                    open_amount: if matched { Decimal::ZERO } else { open },
                    fully_paid: matched || open.is_zero(),
                    paid_at,
                    partly_paid_amount_unknown: false,
                    amount_unknown: false,
                });
            }
        }
        Ok(states)
    }
}
