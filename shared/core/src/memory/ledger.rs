//! Ledgers in memory, for unit tests of the jobs: [`InMemoryLedger`] keeps entries and
//! customers the way a ledger would and lets a test inject the faults that matter for exactly
//! once (an answer lost after the ledger booked the entry, refusals, outages, a spent quota);
//! [`CrashAfterPost`] wraps any ledger and "kills the worker" right after the ledger accepted
//! an entry.

use super::lock;
use crate::domain::preflight::sales_journal_findings;
use crate::{
    AttachmentSupport, ConnectionSettings, Customer, CustomerKind, DocumentFile, EntryKey,
    ExternalError, Finding, Ledger, LedgerCapabilities, LedgerCustomer, LedgerCustomerId,
    LedgerCustomerKey, LedgerCustomerPage, LedgerCustomers, LedgerEntry, LedgerEntryId, LedgerKind,
    LedgerLimits, LedgerPaymentState, LedgerPayments, LedgerReferenceData, PersonName, PostedEntry,
    ReceivedPayment,
};
use async_trait::async_trait;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

/// Customers per page of `list_customers`.
pub const CUSTOMER_PAGE: usize = 25;

/// The name the in-memory ledger reports in errors.
pub const IN_MEMORY_LEDGER: &str = "In-memory ledger";

/// An entry the in-memory ledger holds, with the file that came with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldEntry {
    /// As posted.
    pub entry: LedgerEntry,
    /// As the ledger answered.
    pub posted: PostedEntry,
    /// The file's name, when one came along.
    pub file_name: Option<String>,
}

/// What the next `post_entry` calls do instead of booking normally (first in, first out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostFault {
    /// Book the entry, then lose the answer ([`ExternalError::OutcomeUnknown`]).
    LoseAnswerAfterBooking,
    /// Lose the request before it is booked ([`ExternalError::OutcomeUnknown`] too).
    LoseRequest,
    /// Answer with this error without booking.
    Fail(ExternalError),
}

/// How a call other than a post fails, once (first in, first out).
type CallFaults = VecDeque<ExternalError>;

#[derive(Debug, Default)]
struct LedgerState {
    entries: Vec<HeldEntry>,
    customers: BTreeMap<String, Customer>,
    /// Phone numbers of customers, by code.
    phones: BTreeMap<String, String>,
    post_faults: VecDeque<PostFault>,
    find_faults: CallFaults,
    reference_faults: CallFaults,
    customer_find_faults: CallFaults,
    /// Refusals by reference: posting an entry with this reference is refused with the text.
    refusals: BTreeMap<String, String>,
    /// Payments reconciled per entry reference: amount and when.
    reconciled: BTreeMap<String, (rust_decimal::Decimal, chrono::DateTime<chrono::Utc>)>,
    /// `payment_states` calls so far.
    payment_reads: u32,
    /// Payments received elsewhere that Koppel booked, with the id each got.
    received: Vec<(ReceivedPayment, LedgerEntryId)>,
    /// What the next `post_received_payment` calls do instead of booking normally.
    received_faults: VecDeque<PostFault>,
    /// Book received payments without settling their entry (a ledger that did not match).
    received_unmatched: bool,
    posts: u32,
    finds: u32,
    customers_created: u32,
}

/// A ledger in memory. By default a general-ledger ledger with journals (its pre-flight is
/// the shared sales-journal rules) that optionally takes a PDF, with customers and payments.
#[derive(Debug)]
pub struct InMemoryLedger {
    kind: LedgerKind,
    capabilities: LedgerCapabilities,
    limits: LedgerLimits,
    reference: LedgerReferenceData,
    with_customers: bool,
    state: Mutex<LedgerState>,
}

impl InMemoryLedger {
    /// A general-ledger ledger of `kind` holding `reference` as its lists.
    pub fn new(kind: LedgerKind, reference: LedgerReferenceData) -> Self {
        Self {
            kind,
            capabilities: LedgerCapabilities {
                general_ledger: true,
                attachment: AttachmentSupport::Optional(crate::FileFormat::Pdf),
                finds_entries: true,
            },
            limits: LedgerLimits::default(),
            reference,
            with_customers: true,
            state: Mutex::new(LedgerState::default()),
        }
    }

    /// A ledger that only takes files: no general ledger, no journals, no customers.
    pub fn file_only(kind: LedgerKind, format: crate::FileFormat) -> Self {
        Self {
            capabilities: LedgerCapabilities {
                general_ledger: false,
                attachment: AttachmentSupport::Required(format),
                finds_entries: true,
            },
            with_customers: false,
            ..Self::new(kind, LedgerReferenceData::default())
        }
    }

    /// A portal that takes the document file itself and offers no search (Clearfacts): a
    /// structured file when one passes the rules, else the PDF; `find_entry` is never
    /// asked (it answers "unsupported").
    pub fn document_portal(kind: LedgerKind) -> Self {
        Self {
            capabilities: LedgerCapabilities {
                general_ledger: false,
                attachment: AttachmentSupport::StructuredElsePdf,
                finds_entries: false,
            },
            with_customers: false,
            ..Self::new(kind, LedgerReferenceData::default())
        }
    }

    /// With these limits.
    pub fn with_limits(mut self, limits: LedgerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Forget every armed fault (posts, finds, reference data, customer look-ups): the
    /// ledger works again.
    pub fn clear_faults(&self) {
        let mut state = lock(&self.state);
        state.post_faults.clear();
        state.find_faults.clear();
        state.reference_faults.clear();
        state.customer_find_faults.clear();
    }

    /// The next customer look-ups (`find_customers`) fail with these errors, in order.
    pub fn fault_customer_finds(&self, errors: impl IntoIterator<Item = ExternalError>) {
        lock(&self.state).customer_find_faults.extend(errors);
    }

    /// The next posts meet these faults, in order.
    pub fn fault_posts(&self, faults: impl IntoIterator<Item = PostFault>) {
        lock(&self.state).post_faults.extend(faults);
    }

    /// The next `find_entry` calls fail with these errors, in order.
    pub fn fault_finds(&self, errors: impl IntoIterator<Item = ExternalError>) {
        lock(&self.state).find_faults.extend(errors);
    }

    /// The next `reference_data` calls fail with these errors, in order.
    pub fn fault_reference_data(&self, errors: impl IntoIterator<Item = ExternalError>) {
        lock(&self.state).reference_faults.extend(errors);
    }

    /// Posting an entry with `reference` is refused with `message` (like a closed period).
    pub fn refuse(&self, reference: &str, message: &str) {
        lock(&self.state)
            .refusals
            .insert(reference.to_owned(), message.to_owned());
    }

    /// Stop refusing `reference`.
    pub fn accept(&self, reference: &str) {
        lock(&self.state).refusals.remove(reference);
    }

    /// Every entry held, in booking order.
    pub fn entries(&self) -> Vec<HeldEntry> {
        lock(&self.state).entries.clone()
    }

    /// Remove the entry with `reference` (a person deleted it in the ledger).
    pub fn delete_entry(&self, reference: &str) -> bool {
        let mut state = lock(&self.state);
        let before = state.entries.len();
        state.entries.retain(|e| e.entry.reference != reference);
        state.entries.len() != before
    }

    /// `post_entry` calls so far (faulted ones included).
    pub fn posts(&self) -> u32 {
        lock(&self.state).posts
    }

    /// `find_entry` calls so far.
    pub fn finds(&self) -> u32 {
        lock(&self.state).finds
    }

    /// Customers created through [`LedgerCustomers::create_customer`].
    pub fn customers_created(&self) -> u32 {
        lock(&self.state).customers_created
    }

    /// The accountant reconciles `amount` more of the entry with `reference` at `at`.
    pub fn reconcile(
        &self,
        reference: &str,
        amount: rust_decimal::Decimal,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        let mut state = lock(&self.state);
        let paid = state
            .reconciled
            .entry(reference.to_owned())
            .or_insert((rust_decimal::Decimal::ZERO, at));
        paid.0 += amount;
        paid.1 = at;
    }

    /// The accountant undoes every reconciliation of the entry with `reference`.
    pub fn unmatch(&self, reference: &str) {
        lock(&self.state).reconciled.remove(reference);
    }

    /// Payments received elsewhere that Koppel booked here.
    pub fn received_payments(&self) -> Vec<ReceivedPayment> {
        lock(&self.state)
            .received
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// From now on, book received payments without settling the entry they name.
    pub fn leave_received_payments_unmatched(&self) {
        lock(&self.state).received_unmatched = true;
    }

    /// Make the next `post_received_payment` call behave as `fault` says.
    pub fn fail_next_received_payment(&self, fault: PostFault) {
        lock(&self.state).received_faults.push_back(fault);
    }

    /// `payment_states` calls so far.
    pub fn payment_reads(&self) -> u32 {
        lock(&self.state).payment_reads
    }

    /// Give the customer under `code` a phone number.
    pub fn set_phone(&self, code: &str, phone: &str) {
        lock(&self.state)
            .phones
            .insert(code.to_owned(), phone.to_owned());
    }

    /// Add a customer the ledger already has, under `code`. One whose `reference` is a
    /// contact is a private person: listed for the import as such, its name whole as last
    /// name.
    pub fn add_customer(&self, code: &str, customer: Customer) {
        lock(&self.state)
            .customers
            .insert(code.to_owned(), customer);
    }

    fn book(
        state: &mut LedgerState,
        entry: &LedgerEntry,
        file: Option<&DocumentFile>,
    ) -> PostedEntry {
        let number = state.entries.len() as u32 + 1;
        let posted = PostedEntry {
            id: LedgerEntryId::new(format!("entry-{number}")),
            entry_number: Some(number.to_string()),
        };
        state.entries.push(HeldEntry {
            entry: entry.clone(),
            posted: posted.clone(),
            file_name: file.map(|f| f.file_name.clone()),
        });
        posted
    }

    fn lost(detail: &str) -> ExternalError {
        ExternalError::OutcomeUnknown {
            system: IN_MEMORY_LEDGER,
            detail: detail.to_owned(),
        }
    }
}

#[async_trait]
impl Ledger for InMemoryLedger {
    fn kind(&self) -> LedgerKind {
        self.kind
    }

    fn capabilities(&self) -> LedgerCapabilities {
        self.capabilities
    }

    fn limits(&self) -> LedgerLimits {
        self.limits
    }

    async fn reference_data(&self) -> Result<LedgerReferenceData, ExternalError> {
        if let Some(error) = lock(&self.state).reference_faults.pop_front() {
            return Err(error);
        }
        Ok(self.reference.clone())
    }

    fn preflight(
        &self,
        settings: &ConnectionSettings,
        reference: &LedgerReferenceData,
    ) -> Vec<Finding> {
        if self.capabilities.general_ledger {
            sales_journal_findings(self.kind.display_name(), settings, reference)
        } else {
            Vec::new()
        }
    }

    async fn find_entry(&self, key: &EntryKey) -> Result<Option<PostedEntry>, ExternalError> {
        if !self.capabilities.finds_entries {
            return Err(ExternalError::Unsupported {
                system: IN_MEMORY_LEDGER,
                what: "looking a document up",
            });
        }
        let mut state = lock(&self.state);
        state.finds += 1;
        if let Some(error) = state.find_faults.pop_front() {
            return Err(error);
        }
        Ok(state
            .entries
            .iter()
            .find(|held| held.entry.key() == *key)
            .map(|held| held.posted.clone()))
    }

    async fn post_entry(
        &self,
        entry: &LedgerEntry,
        file: Option<&DocumentFile>,
    ) -> Result<PostedEntry, ExternalError> {
        let mut state = lock(&self.state);
        state.posts += 1;
        match state.post_faults.pop_front() {
            Some(PostFault::LoseAnswerAfterBooking) => {
                Self::book(&mut state, entry, file);
                return Err(Self::lost(
                    "the connection dropped after the entry was sent",
                ));
            }
            Some(PostFault::LoseRequest) => {
                return Err(Self::lost("the connection dropped while sending"));
            }
            Some(PostFault::Fail(error)) => return Err(error),
            None => {}
        }
        if let Some(message) = state.refusals.get(&entry.reference) {
            return Err(ExternalError::Rejected {
                system: IN_MEMORY_LEDGER,
                status: 400,
                message: message.clone(),
            });
        }
        if matches!(self.capabilities.attachment, AttachmentSupport::Required(_)) && file.is_none()
        {
            return Err(ExternalError::Rejected {
                system: IN_MEMORY_LEDGER,
                status: 400,
                message: "the document file is missing".to_owned(),
            });
        }
        Ok(Self::book(&mut state, entry, file))
    }

    fn customers(&self) -> Option<&dyn LedgerCustomers> {
        self.with_customers.then_some(self as &dyn LedgerCustomers)
    }

    fn payments(&self) -> Option<&dyn LedgerPayments> {
        Some(self)
    }
}

#[async_trait]
impl LedgerCustomers for InMemoryLedger {
    async fn find_customers(
        &self,
        customers: &[Customer],
    ) -> Result<Vec<Option<LedgerCustomerKey>>, ExternalError> {
        let mut state = lock(&self.state);
        if let Some(error) = state.customer_find_faults.pop_front() {
            return Err(error);
        }
        Ok(customers
            .iter()
            .map(|wanted| {
                state
                    .customers
                    .iter()
                    .find(|(code, held)| {
                        wanted.external_id.as_deref() == Some(code.as_str())
                            || (wanted.vat_number.is_some() && held.vat_number == wanted.vat_number)
                    })
                    .map(|(code, _)| key_of(code))
            })
            .collect())
    }

    async fn create_customer(
        &self,
        customer: &Customer,
    ) -> Result<LedgerCustomerKey, ExternalError> {
        let mut state = lock(&self.state);
        state.customers_created += 1;
        let code = customer
            .external_id
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty() && !state.customers.contains_key(*c))
            .map_or_else(
                || format!("C{:05}", state.customers.len() + 1),
                str::to_owned,
            );
        state.customers.insert(code.clone(), customer.clone());
        Ok(key_of(&code))
    }

    /// The in-memory ledger keeps no creation times: any customer with that exact name.
    async fn find_created(
        &self,
        customer: &Customer,
        _since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<LedgerCustomerKey>, ExternalError> {
        let state = lock(&self.state);
        Ok(state
            .customers
            .iter()
            .find(|(_, c)| c.name.trim() == customer.name.trim())
            .map(|(code, _)| key_of(code)))
    }

    /// Pages of [`CUSTOMER_PAGE`] in code order; the cursor is the next page's first index.
    async fn list_customers(
        &self,
        cursor: Option<&str>,
    ) -> Result<LedgerCustomerPage, ExternalError> {
        let start: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let state = lock(&self.state);
        let customers: Vec<LedgerCustomer> = state
            .customers
            .iter()
            .skip(start)
            .take(CUSTOMER_PAGE)
            .map(|(code, customer)| LedgerCustomer {
                id: LedgerCustomerId::new(code.clone()),
                customer: Customer {
                    external_id: Some(code.clone()),
                    ..customer.clone()
                },
                phone: state.phones.get(code).cloned(),
                registration_number: customer.enterprise_number.clone(),
                person: (customer.reference.kind == CustomerKind::Contact).then(|| PersonName {
                    first_name: None,
                    last_name: customer.name.clone(),
                }),
            })
            .collect();
        let next = (start + CUSTOMER_PAGE < state.customers.len())
            .then(|| (start + CUSTOMER_PAGE).to_string());
        Ok(LedgerCustomerPage { customers, next })
    }
}

#[async_trait]
impl LedgerPayments for InMemoryLedger {
    /// One call for any number of entries; entries it does not hold are left out.
    async fn payment_states(
        &self,
        entries: &[LedgerEntryId],
        _since: Option<chrono::NaiveDate>,
    ) -> Result<Vec<LedgerPaymentState>, ExternalError> {
        let mut state = lock(&self.state);
        state.payment_reads += 1;
        Ok(entries
            .iter()
            .filter_map(|id| {
                let held = state.entries.iter().find(|h| &h.posted.id == id)?;
                let total = held.entry.total_incl.abs();
                let (paid, at) = state
                    .reconciled
                    .get(&held.entry.reference)
                    .copied()
                    .unwrap_or((rust_decimal::Decimal::ZERO, chrono::DateTime::UNIX_EPOCH));
                Some(LedgerPaymentState {
                    entry: id.clone(),
                    open_amount: (total - paid).max(rust_decimal::Decimal::ZERO),
                    fully_paid: paid >= total,
                    paid_at: (!paid.is_zero()).then_some(at),
                    partly_paid_amount_unknown: false,
                    amount_unknown: false,
                })
            })
            .collect())
    }

    fn books_received_payments(&self) -> bool {
        true
    }

    /// By reference, among the payments booked here.
    async fn find_received_payment(
        &self,
        payment: &ReceivedPayment,
    ) -> Result<Option<LedgerEntryId>, ExternalError> {
        Ok(lock(&self.state)
            .received
            .iter()
            .find(|(p, _)| p.reference == payment.reference)
            .map(|(_, id)| id.clone()))
    }

    /// Books it and reconciles the entry with it (as a payment line with the invoice number
    /// does in a ledger).
    async fn post_received_payment(
        &self,
        payment: &ReceivedPayment,
    ) -> Result<LedgerEntryId, ExternalError> {
        let mut state = lock(&self.state);
        let fault = state.received_faults.pop_front();
        if let Some(PostFault::Fail(e)) = fault {
            return Err(e);
        }
        if fault == Some(PostFault::LoseRequest) {
            return Err(Self::lost("the payment request was lost"));
        }
        let Some(reference) = state
            .entries
            .iter()
            .find(|h| h.posted.id == payment.entry)
            .map(|h| h.entry.reference.clone())
        else {
            return Err(ExternalError::NotFound {
                system: IN_MEMORY_LEDGER,
                what: format!("entry {}", payment.entry),
            });
        };
        let id = LedgerEntryId::new(format!("payment-{}", state.received.len() + 1));
        state.received.push((payment.clone(), id.clone()));
        if state.received_unmatched {
            return Ok(id);
        }
        let at = payment
            .received_on
            .and_hms_opt(12, 0, 0)
            .map_or(chrono::DateTime::UNIX_EPOCH, |t| t.and_utc());
        let paid = state
            .reconciled
            .entry(reference)
            .or_insert((rust_decimal::Decimal::ZERO, at));
        paid.0 += payment.amount.amount;
        paid.1 = at;
        if fault == Some(PostFault::LoseAnswerAfterBooking) {
            return Err(Self::lost("the answer to the payment was lost"));
        }
        Ok(id)
    }
}

/// Wraps a ledger and "kills the Lambda" (panics) right after the ledger accepted each of the
/// next `crashes` entries: the entry is booked but the worker dies before recording it.
pub struct CrashAfterPost {
    inner: Arc<dyn Ledger>,
    crashes: AtomicU32,
}

impl CrashAfterPost {
    /// `inner`, crashing after its next `crashes` successful posts.
    pub fn new(inner: Arc<dyn Ledger>, crashes: u32) -> Self {
        Self {
            inner,
            crashes: AtomicU32::new(crashes),
        }
    }
}

#[async_trait]
impl Ledger for CrashAfterPost {
    fn kind(&self) -> LedgerKind {
        self.inner.kind()
    }
    fn capabilities(&self) -> LedgerCapabilities {
        self.inner.capabilities()
    }
    fn limits(&self) -> LedgerLimits {
        self.inner.limits()
    }
    async fn reference_data(&self) -> Result<LedgerReferenceData, ExternalError> {
        self.inner.reference_data().await
    }
    fn preflight(
        &self,
        settings: &ConnectionSettings,
        reference: &LedgerReferenceData,
    ) -> Vec<Finding> {
        self.inner.preflight(settings, reference)
    }
    async fn find_entry(&self, key: &EntryKey) -> Result<Option<PostedEntry>, ExternalError> {
        self.inner.find_entry(key).await
    }
    async fn post_entry(
        &self,
        entry: &LedgerEntry,
        file: Option<&DocumentFile>,
    ) -> Result<PostedEntry, ExternalError> {
        let posted = self.inner.post_entry(entry, file).await?;
        if self
            .crashes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            panic!(
                "simulated Lambda crash after the ledger accepted {}",
                entry.reference
            );
        }
        Ok(posted)
    }
    fn customers(&self) -> Option<&dyn LedgerCustomers> {
        self.inner.customers()
    }
    fn payments(&self) -> Option<&dyn LedgerPayments> {
        self.inner.payments()
    }
}

/// The in-memory ledger's customer ids are their codes.
fn key_of(code: &str) -> LedgerCustomerKey {
    LedgerCustomerKey {
        id: LedgerCustomerId::new(code),
        number: Some(code.to_owned()),
    }
}
