//! [`ExactLedger`]: one Exact Online division as Koppel's [`Ledger`], with customers and
//! payment states.
//!
//! Call budget (what the rate limit of 60 a minute is spent on):
//! - reference data: 4 reads (+1 per extra page of 60);
//! - an entry: exactly 1 POST; with the PDF 3 (Document, DocumentAttachment, entry); on a
//!   retry of a document whose earlier try may have left its PDF behind, 1 read first to
//!   reuse that document; on a refusal, 1 DELETE of the document just uploaded (Exact holds
//!   one document per booked entry, none for refused ones);
//! - customers: 1 read per 20 codes / VAT numbers looked up, 1 POST per customer created;
//! - a payment registered in Teamleader, booked (opt-in): 1 read of the receivable, 1 POST
//!   (+1 read of the journal once, +1 read after a crash): see `received.rs`;
//! - payment states: up to 100 entries 1 read per 20; more, 1 read per 1,000 unmatched
//!   receivables of the division plus, for the entries matched since, 1 per 20 of them — or,
//!   when more than 100 were matched, 1 per 1,000 receivables matched since the oldest open
//!   entry's date (+1 per 25 partly paid ones either way): about ceil(open ÷ 1,000) + a few
//!   per hourly poll.
//!
//! Direct debit: Exact collects an invoice when its payment condition has payment method
//! "I" (collection). [`DirectDebitCondition`] says which condition Koppel sets on entries
//! Teamleader marks as direct debit: by default the first such condition of the division
//! (looked up once per ledger instance, one extra read; none found → the account's own
//! condition), or a fixed code, or none (the account's own condition applies).

use super::http::{ExactHttp, HttpTuning};
use super::mapping::{self, EntryExtras};
use super::odata::{format_date, guid_literal, or_filter, padded_account_code, string_literal};
use super::refusals::{self, SYSTEM};
use super::wire;
use async_trait::async_trait;
use base64::Engine;
use chrono::NaiveDate;
use koppel_api::TokenSource;
use koppel_core::domain::preflight::{
    payment_journal_findings, period_findings, revenue_account_findings, sales_journal_findings,
    vat_code_findings,
};
use koppel_core::{
    AttachmentSupport, Clock, ConnectionSettings, Customer, Deadline, DocumentFile, EntryKey,
    ExternalError, FileFormat, Finding, Ledger, LedgerCapabilities, LedgerCustomerKey,
    LedgerCustomerPage, LedgerCustomers, LedgerEntry, LedgerEntryId, LedgerKind, LedgerLimits,
    LedgerPaymentState, LedgerPayments, LedgerReferenceData, PostedEntry, ReceivedPayment,
};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, OnceCell};

/// Receivables asked for per call (an `or` chain of GUIDs; keeps URLs far below Exact's
/// limit).
pub const RECEIVABLES_PER_CALL: usize = 20;

/// Open items (`read/financial/ReceivablesList`, filtered on the short field `Id`) asked for
/// per call. Exact runs on IIS, whose default `maxQueryString` is 2,048 characters; 25
/// GUIDs encoded as the client sends them take about 1,430 (a test checks they stay
/// under 1,900). One call fewer per 100 partly paid invoices than 20 per call: the
/// first poll of 10,000 open documents with 91 partly paid stays within its budget.
pub const OPEN_ITEMS_PER_CALL: usize = 25;

/// Above this many entries, payment states are read by scanning the division's unmatched
/// receivables in bulk pages of 1,000 instead of 20 entries per call.
pub const SCAN_ABOVE: usize = 100;

/// Customer look-up conditions per call (codes and VAT numbers in one `or` chain).
pub const CUSTOMER_KEYS_PER_CALL: usize = 20;

/// Which payment condition marks an entry as collected by direct debit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DirectDebitCondition {
    /// The division's first payment condition with payment method "I" (collection). When
    /// the division has none, the entry is booked without one (the account's own condition
    /// applies, usually the collection one for customers with a mandate) and a warning is
    /// logged: collection details never block a booking.
    #[default]
    Discover,
    /// This payment condition code.
    Code(String),
    /// Set none: the customer account's own condition applies.
    AccountDefault,
}

/// Choices for an [`ExactLedger`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExactOptions {
    /// Payment condition of direct-debit entries.
    pub direct_debit: DirectDebitCondition,
    /// Rate gate and retry tuning.
    pub tuning: HttpTuning,
}

/// One Exact Online division seen through one connection's tokens.
#[derive(Debug)]
pub struct ExactLedger {
    pub(super) http: ExactHttp,
    options: ExactOptions,
    /// GL account code → GUID, filled by [`Ledger::reference_data`] or on first need.
    gl_ids: Mutex<Option<Arc<HashMap<String, String>>>>,
    /// The discovered direct-debit condition (`None` inside: the division has none).
    direct_debit_code: OnceCell<Option<String>>,
    /// Journal code → Exact journal type, for booking payments received.
    pub(super) journal_types: Mutex<HashMap<String, i32>>,
}

impl ExactLedger {
    /// The division `division` at `base_url` (an [`super::ExactRegion`] URL or the
    /// simulator's), authenticated by `tokens`, waiting on `clock` but never past `deadline`.
    pub fn new(
        base_url: &str,
        division: i64,
        tokens: TokenSource,
        clock: Arc<dyn Clock>,
        options: ExactOptions,
        deadline: Deadline,
    ) -> Self {
        let http = ExactHttp::new(base_url, division, tokens, clock, options.tuning, deadline);
        Self {
            http,
            options,
            gl_ids: Mutex::new(None),
            direct_debit_code: OnceCell::new(),
            journal_types: Mutex::new(HashMap::new()),
        }
    }

    /// The division number.
    pub fn division(&self) -> i64 {
        self.http.division()
    }

    /// HTTP requests sent so far (for reports and benchmarks).
    pub fn calls(&self) -> u64 {
        self.http.calls()
    }

    /// The HTTP plumbing (its rate gate's statistics, its client).
    pub fn http(&self) -> &ExactHttp {
        &self.http
    }

    async fn gl_accounts(&self) -> Result<Vec<wire::GlAccount>, ExternalError> {
        self.http
            .get_all(
                "financial/GLAccounts",
                &[("$select", wire::GL_ACCOUNT_SELECT)],
            )
            .await
    }

    fn remember_gl_ids(
        &self,
        accounts: &[wire::GlAccount],
        cache: &mut Option<Arc<HashMap<String, String>>>,
    ) {
        let ids = accounts
            .iter()
            .map(|a| (a.code.trim().to_owned(), a.id.clone()))
            .collect();
        *cache = Some(Arc::new(ids));
    }

    /// GL code → GUID, read once per instance when reference data was not pulled.
    async fn gl_ids(&self) -> Result<Arc<HashMap<String, String>>, ExternalError> {
        let mut cache = self.gl_ids.lock().await;
        if let Some(ids) = cache.as_ref() {
            return Ok(ids.clone());
        }
        let accounts = self.gl_accounts().await?;
        self.remember_gl_ids(&accounts, &mut cache);
        Ok(cache.as_ref().cloned().unwrap_or_default())
    }

    /// The payment condition to set on `entry`.
    async fn payment_condition(
        &self,
        entry: &LedgerEntry,
    ) -> Result<Option<String>, ExternalError> {
        if !entry.direct_debit {
            return Ok(None);
        }
        match &self.options.direct_debit {
            DirectDebitCondition::AccountDefault => Ok(None),
            DirectDebitCondition::Code(code) => Ok(Some(code.clone())),
            DirectDebitCondition::Discover => {
                let found = self
                    .direct_debit_code
                    .get_or_try_init(|| async {
                        let conditions = self
                            .http
                            .get_all::<wire::PaymentCondition>(
                                "cashflow/PaymentConditions",
                                &[("$select", wire::PAYMENT_CONDITION_SELECT), ("$filter", "PaymentMethod eq 'I'")],
                            )
                            .await;
                        let code = match conditions {
                            Ok(conditions) => conditions
                                .into_iter()
                                .find(|c| c.payment_method.as_deref().map(str::trim) == Some("I"))
                                .map(|c| c.code.trim().to_owned()),
                            Err(ExternalError::NotFound { .. }) => None,
                            Err(error) => return Err(error),
                        };
                        if code.is_none() {
                            tracing::warn!(
                                division = self.division(),
                                "no payment condition with payment method 'Collection'; direct-debit entries keep the account's own condition"
                            );
                        }
                        Ok(code)
                    })
                    .await?;
                Ok(found.clone())
            }
        }
    }

    /// The subject Koppel gives the Exact document of `entry` (found again by it).
    fn document_subject(entry: &LedgerEntry) -> String {
        if entry.description.trim().is_empty() {
            entry.reference.clone()
        } else {
            entry.description.clone()
        }
    }

    /// A document an earlier try left behind for `entry` (uploaded, then the entry's answer
    /// was lost or the worker died): its GUID, to link instead of uploading another (1 call).
    async fn leftover_document(
        &self,
        entry: &LedgerEntry,
        account: &str,
    ) -> Result<Option<String>, ExternalError> {
        let Some(account) = guid_literal(account.trim()) else {
            return Ok(None);
        };
        let filter = format!(
            "Subject eq {} and Account eq {account}",
            string_literal(&Self::document_subject(entry))
        );
        let (found, _) = self
            .http
            .get_page::<wire::Created>(
                "documents/Documents",
                &[("$select", "ID"), ("$filter", &filter)],
            )
            .await?;
        Ok(found.into_iter().next().map(|d| d.id))
    }

    /// Document + attachment for `file`; returns the document's GUID (2 calls). When the
    /// attachment is refused the document is removed again.
    async fn upload_pdf(
        &self,
        entry: &LedgerEntry,
        account: &str,
        file: &DocumentFile,
    ) -> Result<String, ExternalError> {
        let subject = format!("the PDF of entry {}", entry.reference);
        let document = wire::NewDocument {
            subject: Self::document_subject(entry),
            kind: mapping::DOCUMENT_TYPE_SALES_ENTRY,
            account: account.to_owned(),
        };
        let created: wire::Created = self
            .http
            .post("documents/Documents", &document)
            .await
            .map_err(|e| refusals::explain(e, &subject))?;
        let attachment = wire::NewDocumentAttachment {
            attachment: base64::engine::general_purpose::STANDARD.encode(&file.bytes),
            document: created.id.clone(),
            file_name: file.file_name.clone(),
        };
        let attached = self
            .http
            .post::<_, wire::Created>("documents/DocumentAttachments", &attachment)
            .await;
        if let Err(error @ ExternalError::Rejected { .. }) = attached {
            self.remove_document(&created.id).await;
            return Err(refusals::explain(error, &subject));
        }
        attached?;
        Ok(created.id)
    }

    /// Remove a document no entry will refer to (best effort: a failure is logged, the
    /// refusal that caused it is what the user needs to read).
    async fn remove_document(&self, id: &str) {
        let Some(guid) = guid_literal(id.trim()) else {
            return;
        };
        if let Err(error) = self
            .http
            .delete(&format!("documents/Documents({guid})"))
            .await
        {
            tracing::warn!(division = self.division(), document = id, %error, "could not remove the document of a refused entry");
        }
    }
}

/// What a Teamleader customer can be found by in Exact.
struct CustomerKeys {
    /// Exact code, padded to 18 characters.
    code: Option<String>,
    /// Normalised VAT number.
    vat: Option<String>,
}

impl CustomerKeys {
    fn of(customer: &Customer) -> Self {
        Self {
            code: customer
                .external_id
                .as_deref()
                .and_then(padded_account_code),
            vat: customer
                .vat_number
                .as_ref()
                .and_then(|v| mapping::normalise_vat(&v.0)),
        }
    }
}

#[async_trait]
impl Ledger for ExactLedger {
    fn kind(&self) -> LedgerKind {
        LedgerKind::ExactOnline
    }

    fn capabilities(&self) -> LedgerCapabilities {
        LedgerCapabilities {
            general_ledger: true,
            attachment: AttachmentSupport::Optional(FileFormat::Pdf),
            finds_entries: true,
        }
    }

    /// Line descriptions are kept to 60 characters, as Exact shows them on entry lines.
    fn limits(&self) -> LedgerLimits {
        LedgerLimits {
            line_description: Some(60),
            ..LedgerLimits::default()
        }
    }

    async fn reference_data(&self) -> Result<LedgerReferenceData, ExternalError> {
        const PERIODS: &str = "financial/FinancialPeriods";
        let (gl, journals, vat, periods) = tokio::try_join!(
            self.gl_accounts(),
            self.http.get_all::<wire::Journal>(
                "financial/Journals",
                &[("$select", wire::JOURNAL_SELECT)]
            ),
            self.http
                .get_all::<wire::VatCode>("vat/VATCodes", &[("$select", wire::VAT_CODE_SELECT)]),
            self.http
                .get_all::<wire::FinancialPeriod>(PERIODS, &[("$select", wire::PERIOD_SELECT)]),
        )?;
        self.remember_gl_ids(&gl, &mut *self.gl_ids.lock().await);
        Ok(LedgerReferenceData {
            gl_accounts: gl.into_iter().map(mapping::gl_account).collect(),
            journals: journals.into_iter().map(mapping::journal).collect(),
            vat_codes: vat.into_iter().map(mapping::vat_code).collect(),
            periods: periods
                .into_iter()
                .map(|p| mapping::period(PERIODS, p))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Two different sales journals (Exact type 20 or 21), chosen and present; the payment
    /// journal, when chosen, a bank (12) or cash (10) journal.
    fn preflight(
        &self,
        settings: &ConnectionSettings,
        reference: &LedgerReferenceData,
    ) -> Vec<Finding> {
        let mut findings = sales_journal_findings(SYSTEM, settings, reference);
        findings.extend(vat_code_findings(SYSTEM, settings, reference));
        findings.extend(revenue_account_findings(SYSTEM, settings, reference));
        findings.extend(period_findings(SYSTEM, settings, reference));
        findings.extend(payment_journal_findings(SYSTEM, settings, reference));
        findings
    }

    /// By `YourRef` (Koppel's reference), in the entry's journal.
    async fn find_entry(&self, key: &EntryKey) -> Result<Option<PostedEntry>, ExternalError> {
        let mut filter = format!("YourRef eq {}", string_literal(&key.reference));
        if let Some(journal) = &key.journal {
            filter.push_str(&format!(
                " and Journal eq {}",
                string_literal(journal.trim())
            ));
        }
        let (entries, _) = self
            .http
            .get_page::<wire::PostedSalesEntry>(
                "salesentry/SalesEntries",
                &[("$select", wire::SALES_ENTRY_SELECT), ("$filter", &filter)],
            )
            .await?;
        if entries.len() > 1 {
            tracing::warn!(
                division = self.division(),
                journal = key.journal.as_deref().unwrap_or(""),
                reference = %key.reference,
                matches = entries.len(),
                "several Exact entries carry this reference; using the first"
            );
        }
        Ok(entries.into_iter().next().map(posted))
    }

    /// One POST of the sales entry (three with the PDF). A refusal removes the PDF's document
    /// again; a lost answer is [`ExternalError::OutcomeUnknown`] (the document stays: the
    /// entry may refer to it, and a retry reuses it).
    async fn post_entry(
        &self,
        entry: &LedgerEntry,
        file: Option<&DocumentFile>,
    ) -> Result<PostedEntry, ExternalError> {
        let subject = format!("entry {}", entry.reference);
        if let Some(file) = file
            && file.format != FileFormat::Pdf
        {
            return Err(ExternalError::Unsupported {
                system: SYSTEM,
                what: "attaching files other than PDF",
            });
        }
        // Everything that can be refused without a call is checked before the first POST.
        let gl_ids = self.gl_ids().await?;
        let payment_condition = self.payment_condition(entry).await?;
        let mut body = mapping::sales_entry(
            entry,
            &gl_ids,
            EntryExtras {
                document: None,
                payment_condition,
            },
        )?;
        if let Some(file) = file {
            let leftover = if entry.retry {
                self.leftover_document(entry, &body.customer).await?
            } else {
                None
            };
            body.document = Some(match leftover {
                Some(id) => id,
                None => self.upload_pdf(entry, &body.customer, file).await?,
            });
        }
        match self
            .http
            .post::<_, wire::PostedSalesEntry>("salesentry/SalesEntries", &body)
            .await
        {
            Ok(created) => Ok(posted(created)),
            Err(error @ ExternalError::Rejected { .. }) => {
                if let Some(document) = &body.document {
                    self.remove_document(document).await;
                }
                Err(refusals::explain(error, &subject))
            }
            Err(error) => Err(refusals::explain(error, &subject)),
        }
    }

    fn customers(&self) -> Option<&dyn LedgerCustomers> {
        Some(self)
    }

    fn payments(&self) -> Option<&dyn LedgerPayments> {
        Some(self)
    }
}

fn posted(entry: wire::PostedSalesEntry) -> PostedEntry {
    PostedEntry {
        id: LedgerEntryId::new(entry.entry_id),
        entry_number: entry.entry_number.map(|n| n.to_string()),
    }
}

#[async_trait]
impl LedgerCustomers for ExactLedger {
    /// By the Exact code kept as Teamleader's external id (padded to Exact's 18 characters),
    /// else by normalised VAT number; one read per 20 keys (`Code eq '…' or VATNumber eq '…'`).
    async fn find_customers(
        &self,
        customers: &[Customer],
    ) -> Result<Vec<Option<LedgerCustomerKey>>, ExternalError> {
        const ACCOUNTS: &str = "crm/Accounts";
        let keys: Vec<CustomerKeys> = customers.iter().map(CustomerKeys::of).collect();
        let mut conditions: Vec<String> = Vec::new();
        for key in &keys {
            let wanted = [
                key.code
                    .as_ref()
                    .map(|c| format!("Code eq {}", string_literal(c))),
                key.vat
                    .as_ref()
                    .map(|v| format!("VATNumber eq {}", string_literal(v))),
            ];
            for condition in wanted.into_iter().flatten() {
                if !conditions.contains(&condition) {
                    conditions.push(condition);
                }
            }
        }
        let mut by_code: HashMap<String, LedgerCustomerKey> = HashMap::new();
        let mut by_vat: HashMap<String, LedgerCustomerKey> = HashMap::new();
        for chunk in conditions.chunks(CUSTOMER_KEYS_PER_CALL) {
            let filter = chunk.join(" or ");
            let accounts = self
                .http
                .get_all::<wire::Account>(
                    ACCOUNTS,
                    &[("$select", "ID,Code,VATNumber"), ("$filter", &filter)],
                )
                .await?;
            for account in accounts {
                let id = mapping::customer_key(&account.id, account.code.as_deref());
                if let Some(code) = account.code.as_deref().and_then(padded_account_code) {
                    by_code.entry(code).or_insert_with(|| id.clone());
                }
                if let Some(vat) = account
                    .vat_number
                    .as_deref()
                    .and_then(mapping::normalise_vat)
                {
                    by_vat.entry(vat).or_insert(id);
                }
            }
        }
        Ok(keys
            .iter()
            .map(|key| {
                key.code
                    .as_ref()
                    .and_then(|c| by_code.get(c))
                    .or_else(|| key.vat.as_ref().and_then(|v| by_vat.get(v)))
                    .cloned()
            })
            .collect())
    }

    async fn create_customer(
        &self,
        customer: &Customer,
    ) -> Result<LedgerCustomerKey, ExternalError> {
        let created: wire::CreatedAccount = self
            .http
            .post("crm/Accounts", &mapping::new_account(customer))
            .await
            .map_err(|e| refusals::explain(e, &format!("customer {}", customer.name)))?;
        Ok(mapping::customer_key(&created.id, created.code.as_deref()))
    }

    /// One call: `crm/Accounts` by the exact name sent, created since the day before `since`
    /// (a day's slack covers Exact's local time; the name and Koppel's note of a creation
    /// under way keep it to the one Koppel made).
    async fn find_created(
        &self,
        customer: &Customer,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<LedgerCustomerKey>, ExternalError> {
        let sent = mapping::new_account(customer);
        let day_before = since.date_naive() - chrono::Duration::days(1);
        let filter = format!(
            "Name eq {} and Created ge datetime'{}'",
            string_literal(&sent.name),
            format_date(day_before)
        );
        let accounts = self
            .http
            .get_all::<wire::Account>(
                "crm/Accounts",
                &[("$select", "ID,Code,VATNumber"), ("$filter", &filter)],
            )
            .await?;
        Ok(accounts
            .first()
            .map(|a| mapping::customer_key(&a.id, a.code.as_deref())))
    }

    /// Customers (status "C") page by page, private persons told apart as
    /// [`mapping::customer_from_account`] says; the cursor is Exact's `__next` link.
    async fn list_customers(
        &self,
        cursor: Option<&str>,
    ) -> Result<LedgerCustomerPage, ExternalError> {
        const ACCOUNTS: &str = "crm/Accounts";
        let (accounts, next) = match cursor {
            Some(next) => self.http.get_next::<wire::Account>(ACCOUNTS, next).await?,
            None => {
                self.http
                    .get_page::<wire::Account>(
                        ACCOUNTS,
                        &[
                            ("$select", wire::ACCOUNT_SELECT),
                            ("$filter", "Status eq 'C'"),
                        ],
                    )
                    .await?
            }
        };
        Ok(LedgerCustomerPage {
            customers: accounts
                .into_iter()
                .map(mapping::customer_from_account)
                .collect(),
            next,
        })
    }
}

#[async_trait]
impl LedgerPayments for ExactLedger {
    /// Few entries: `cashflow/Receivables` for 20 entries per call (`TransactionEntryID eq
    /// guid'…' or …`). Many (more than [`SCAN_ABOVE`]): the division's unmatched receivables
    /// in pages of 1,000 from `bulk/Cashflow/Receivables` (`Status` 20/30/40), then the asked
    /// entries not among them (matched since, or gone) 20 per call from the same endpoint by
    /// `EntryID`. For partly paid entries (whose receivable still shows the full amount) the
    /// remainder is read from `read/financial/ReceivablesList` (one more call per 25 of
    /// them, [`OPEN_ITEMS_PER_CALL`]). Entries Exact has no receivable for are left out.
    async fn payment_states(
        &self,
        entries: &[LedgerEntryId],
        since: Option<NaiveDate>,
    ) -> Result<Vec<LedgerPaymentState>, ExternalError> {
        const RECEIVABLES: &str = "cashflow/Receivables";
        const OPEN_ITEMS: &str = "read/financial/ReceivablesList";
        let asked: HashMap<String, &LedgerEntryId> = entries
            .iter()
            .map(|e| (e.as_str().trim().to_ascii_lowercase(), e))
            .collect();
        let receivables = if entries.len() > SCAN_ABOVE {
            self.scan_receivables(&asked, since).await?
        } else {
            let literals: Vec<String> = entries
                .iter()
                .filter_map(|e| {
                    let literal = guid_literal(e.as_str().trim());
                    if literal.is_none() {
                        tracing::warn!(entry = %e, "not an Exact entry id; skipped");
                    }
                    literal
                })
                .collect();
            let mut receivables = Vec::new();
            for chunk in literals.chunks(RECEIVABLES_PER_CALL) {
                let filter = or_filter("TransactionEntryID", chunk);
                receivables.extend(
                    self.http
                        .get_all::<wire::Receivable>(
                            RECEIVABLES,
                            &[("$select", wire::RECEIVABLE_SELECT), ("$filter", &filter)],
                        )
                        .await?,
                );
            }
            receivables
        };
        let mut open_items: Vec<wire::OpenItem> = Vec::new();
        let partly: Vec<String> = mapping::partly_paid(&receivables)
            .iter()
            .filter_map(|id| guid_literal(id))
            .collect();
        for chunk in partly.chunks(OPEN_ITEMS_PER_CALL) {
            let filter = or_filter("Id", chunk);
            let items = self
                .http
                .get_all::<wire::OpenItem>(
                    OPEN_ITEMS,
                    &[("$select", wire::OPEN_ITEM_SELECT), ("$filter", &filter)],
                )
                .await?;
            open_items.extend(items);
        }
        let remaining = mapping::remaining_by_entry(&open_items);
        let mut states = mapping::payment_states(RECEIVABLES, receivables, &remaining)?;
        states.retain_mut(
            |state| match asked.get(&state.entry.as_str().to_ascii_lowercase()) {
                Some(original) => {
                    state.entry = (*original).clone();
                    true
                }
                None => false,
            },
        );
        Ok(states)
    }

    fn books_received_payments(&self) -> bool {
        true
    }

    /// By the line's description on the customer and day (see `received.rs`).
    async fn find_received_payment(
        &self,
        payment: &ReceivedPayment,
    ) -> Result<Option<LedgerEntryId>, ExternalError> {
        self.find_received(payment).await
    }

    /// A bank or cash entry with one line on the customer, `OurRef` = the invoice number.
    async fn post_received_payment(
        &self,
        payment: &ReceivedPayment,
    ) -> Result<LedgerEntryId, ExternalError> {
        self.post_received(payment).await
    }
}

impl ExactLedger {
    /// The receivables of the `asked` entries (lower-case id → entry) by scanning the
    /// division's unmatched ones in bulk pages; when many asked entries are not among them
    /// (matched since) and `since` bounds their dates, the matched ones booked since then in
    /// bulk pages too; the rest by `EntryID`, 20 per call.
    async fn scan_receivables(
        &self,
        asked: &HashMap<String, &LedgerEntryId>,
        since: Option<NaiveDate>,
    ) -> Result<Vec<wire::Receivable>, ExternalError> {
        let mut read = AskedReceivables {
            asked,
            found: Vec::new(),
            seen: std::collections::HashSet::new(),
        };
        read.keep(
            self.bulk_receivables("Status eq 20 or Status eq 30 or Status eq 40")
                .await?,
        );
        if let Some(since) = since
            && asked.len() - read.seen.len() > SCAN_ABOVE
        {
            let filter = format!(
                "Status eq 50 and EntryDate ge datetime'{}'",
                format_date(since)
            );
            read.keep(self.bulk_receivables(&filter).await?);
        }
        let AskedReceivables {
            mut found, seen, ..
        } = read;
        let mut rest: Vec<&String> = asked.keys().filter(|k| !seen.contains(*k)).collect();
        rest.sort();
        let literals: Vec<String> = rest.iter().filter_map(|id| guid_literal(id)).collect();
        for chunk in literals.chunks(RECEIVABLES_PER_CALL) {
            found.extend(self.bulk_receivables(&or_filter("EntryID", chunk)).await?);
        }
        Ok(found)
    }

    /// Every receivable of `bulk/Cashflow/Receivables` answering `filter` (pages of 1,000).
    async fn bulk_receivables(&self, filter: &str) -> Result<Vec<wire::Receivable>, ExternalError> {
        self.http
            .get_all::<wire::Receivable>(
                "bulk/Cashflow/Receivables",
                &[("$select", wire::RECEIVABLE_SELECT), ("$filter", filter)],
            )
            .await
    }
}

/// The receivables of the asked entries among those read (lower-case entry id → entry asked).
struct AskedReceivables<'a> {
    asked: &'a HashMap<String, &'a LedgerEntryId>,
    found: Vec<wire::Receivable>,
    seen: std::collections::HashSet<String>,
}

impl AskedReceivables<'_> {
    /// Keep those of `receivables` that belong to an asked entry.
    fn keep(&mut self, receivables: Vec<wire::Receivable>) {
        for receivable in receivables {
            let Some(entry) = receivable
                .transaction_entry_id
                .as_deref()
                .map(|id| id.trim().to_ascii_lowercase())
            else {
                continue;
            };
            if self.asked.contains_key(&entry) {
                self.seen.insert(entry);
                self.found.push(receivable);
            }
        }
    }
}
