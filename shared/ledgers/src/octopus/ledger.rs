//! [`OctopusLedger`]: one Octopus dossier as Koppel's [`Ledger`], with relations and payment
//! states.
//!
//! Call budget (Octopus's daily limit is unconfirmed — one client notes 48 calls a day for
//! the modified-bookings read — so every read counts):
//! - sign-in: 1 `POST /authentication` + 1 dossier token per nine minutes of work
//!   (`session.rs`);
//! - reference data: 1 read of the book years, 1 of the VAT codes, 1 of the journals per
//!   open book year, 1 of the accounts of the current book year — kept for the run (the
//!   journals' last document numbers included);
//! - a booking: exactly 1 POST, the PDF inside it; +1 read of the journal when its number
//!   was taken by someone else meanwhile (then 1 more POST with the next number: a refusal
//!   leaves nothing behind) or after an answer was lost;
//! - finding a booking again (only for a document whose earlier try is in doubt): 1 read of
//!   the journal's bookings modified in the last [`FIND_WINDOW_DAYS`] days, kept for the run;
//! - customers: 1 read of all relations per run (the look-up of any number of customers), 1
//!   PUT per relation created;
//! - payment states: 1 open-items report per poll for any number of bookings, +1 read per
//!   booking that left the report since the last poll (to tell "paid" from "deleted").
//!
//! Exactly once without an id: Octopus answers a booking with 201 and no body. Koppel
//! chooses the document number itself (the journal's `lastBookedDocumentNr` + 1, bookings of
//! one journal posted one at a time), writes its reference (the Teamleader number) into the
//! booking's `orderReference`, and finds a booking whose answer was lost by that reference
//! through the modified-bookings read — never by posting again. The entry id Koppel keeps is
//! "book year/journal/number".
//!
//! Payments from Teamleader to Octopus: the webservice documents no way to match
//! ("afpunten") a financial booking with a sales booking, so Koppel does not book them
//! ([`LedgerPayments::books_received_payments`] is false and the page says so).

use super::http::OctopusHttp;
use super::mapping::{self, BookingKey, Placement};
use super::refusals::{self, SYSTEM};
use super::wire;
use async_trait::async_trait;
use base64::Engine;
use chrono::{Duration, NaiveDate};
use koppel_core::domain::names::same_company_name;
use koppel_core::domain::preflight::{
    period_findings, revenue_account_findings, sales_journal_findings, vat_code_findings,
};
use koppel_core::{
    AttachmentSupport, Clock, ConnectionSettings, Customer, DocumentFile, EntryKey, ExternalError,
    FileFormat, Finding, Ledger, LedgerCapabilities, LedgerCustomerKey, LedgerCustomerPage,
    LedgerCustomers, LedgerEntry, LedgerEntryId, LedgerKind, LedgerLimits, LedgerPaymentState,
    LedgerPayments, LedgerReferenceData, Localized, PostedEntry, ReceivedPayment,
};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, OnceCell};

/// How far back the modified-bookings read looks for a booking whose answer was lost.
pub const FIND_WINDOW_DAYS: i64 = 400;

/// Timestamp format of `modifiedTimeStamp`.
const TIMESTAMP: &str = "%Y-%m-%d %H:%M:%S%.3f";

/// One journal's numbering within a run: the last number known booked, or unknown (not read
/// yet, or an answer was lost so the last number may have moved).
#[derive(Debug, Default)]
struct Numbering {
    last: Option<i64>,
}

/// (book year, journal) → its numbering.
type Numberings = HashMap<(i64, String), Arc<Mutex<Numbering>>>;

/// One Octopus dossier seen through one user's sign-in.
pub struct OctopusLedger {
    http: OctopusHttp,
    clock: Arc<dyn Clock>,
    bookyears: OnceCell<Vec<wire::Bookyear>>,
    /// Book year → its journals as last read.
    journals: Mutex<HashMap<i64, Vec<wire::Journal>>>,
    /// (book year, journal) → numbering; the lock is held across a POST, so bookings of one
    /// journal go one at a time and never race for a number.
    numbering: Mutex<Numberings>,
    /// All relations of the dossier, read once per run.
    relations: Mutex<Option<Vec<wire::Relation>>>,
    /// Journal → its recently modified bookings (for finding a booking again).
    modified: Mutex<HashMap<String, Vec<wire::Booking>>>,
}

impl std::fmt::Debug for OctopusLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OctopusLedger")
            .field("dossier", &self.dossier())
            .finish_non_exhaustive()
    }
}

impl OctopusLedger {
    /// The dossier behind `http`, waiting on `clock`.
    pub fn new(http: OctopusHttp, clock: Arc<dyn Clock>) -> Self {
        Self {
            http,
            clock,
            bookyears: OnceCell::new(),
            journals: Mutex::new(HashMap::new()),
            numbering: Mutex::new(HashMap::new()),
            relations: Mutex::new(None),
            modified: Mutex::new(HashMap::new()),
        }
    }

    /// The dossier id.
    pub fn dossier(&self) -> i64 {
        self.http.dossier()
    }

    /// HTTP requests sent so far (for reports and benchmarks; sign-ins not included).
    pub fn calls(&self) -> u64 {
        self.http.calls()
    }

    /// The HTTP plumbing (its rate gate's statistics).
    pub fn http(&self) -> &OctopusHttp {
        &self.http
    }

    async fn bookyears(&self) -> Result<&Vec<wire::Bookyear>, ExternalError> {
        self.bookyears
            .get_or_try_init(|| async {
                Ok(self
                    .http
                    .get::<Vec<wire::Bookyear>>("bookyears", "bookyears", &[])
                    .await?
                    .unwrap_or_default())
            })
            .await
    }

    /// The journals of `bookyear`, read now (and kept).
    async fn read_journals(&self, bookyear: i64) -> Result<Vec<wire::Journal>, ExternalError> {
        let journals = self
            .http
            .get::<Vec<wire::Journal>>("journals", &format!("bookyears/{bookyear}/journals"), &[])
            .await?
            .unwrap_or_default();
        self.journals
            .lock()
            .await
            .insert(bookyear, journals.clone());
        Ok(journals)
    }

    /// The journals of `bookyear`, as read earlier in this run or now.
    async fn journals_of(&self, bookyear: i64) -> Result<Vec<wire::Journal>, ExternalError> {
        if let Some(journals) = self.journals.lock().await.get(&bookyear) {
            return Ok(journals.clone());
        }
        self.read_journals(bookyear).await
    }

    fn bookyear_name(bookyears: &[wire::Bookyear], id: i64) -> String {
        bookyears
            .iter()
            .find(|b| b.bookyear_key.id == id)
            .map(|b| b.bookyear_description.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| id.to_string())
    }

    async fn numbering(&self, bookyear: i64, journal: &str) -> Arc<Mutex<Numbering>> {
        self.numbering
            .lock()
            .await
            .entry((bookyear, journal.to_owned()))
            .or_default()
            .clone()
    }

    /// The last number booked in `journal` of `bookyear`, read now; a refusal when the
    /// journal is not there (or not a sales-bookings journal).
    async fn last_number(
        &self,
        bookyear: i64,
        journal: &str,
        subject: &str,
        fresh: bool,
    ) -> Result<i64, ExternalError> {
        let journals = if fresh {
            self.read_journals(bookyear).await?
        } else {
            self.journals_of(bookyear).await?
        };
        let Some(found) = journals.iter().find(|j| j.journal_key.trim() == journal) else {
            return Err(refusals::explain(
                rejected(format!("Journal {journal} not found in this book year")),
                subject,
                journal,
            ));
        };
        Ok(found.last_booked_document_nr)
    }

    /// POST the booking of `entry` under the next number of its journal (1 call; 2 more when
    /// someone took the number meanwhile).
    async fn book(
        &self,
        entry: &LedgerEntry,
        placement: &Placement,
        relation: i64,
        attachments: Vec<wire::Attachment>,
        subject: &str,
    ) -> Result<BookingKey, ExternalError> {
        let journal = entry.journal.clone().unwrap_or_default();
        let numbering = self.numbering(placement.bookyear, &journal).await;
        let mut numbering = numbering.lock().await;
        let mut number_taken_once = false;
        loop {
            let last = match numbering.last {
                Some(last) => last,
                None => {
                    self.last_number(placement.bookyear, &journal, subject, number_taken_once)
                        .await?
                }
            };
            let number = last + 1;
            let booking =
                mapping::booking(entry, placement, number, relation).map_err(|problem| {
                    ExternalError::Rejected {
                        system: SYSTEM,
                        status: 0,
                        message: refusals::message(subject, &problem),
                    }
                })?;
            let key = BookingKey::of(&booking);
            let body = wire::NewBooking {
                buy_sell_booking_service_data: booking.clone(),
                attachments: attachments.clone(),
            };
            match self
                .http
                .post("buysellbookings", "buysellbookings", &body)
                .await
            {
                Ok(_) => {
                    numbering.last = Some(number);
                    if let Some(known) = self.modified.lock().await.get_mut(&journal) {
                        known.push(booking);
                    }
                    return Ok(key);
                }
                Err(error) if refusals::is_number_taken(&error) && !number_taken_once => {
                    tracing::info!(
                        dossier = self.dossier(),
                        journal = %journal,
                        number,
                        "the document number was taken meanwhile; reading the journal again"
                    );
                    number_taken_once = true;
                    numbering.last = None;
                }
                Err(error) => {
                    if matches!(error, ExternalError::OutcomeUnknown { .. }) {
                        // The number may be taken now, and the booking may be there.
                        numbering.last = None;
                        self.modified.lock().await.remove(&journal);
                    }
                    return Err(refusals::explain(error, subject, &journal));
                }
            }
        }
    }

    /// The bookings of `journal` modified in the last [`FIND_WINDOW_DAYS`] days (1 call,
    /// kept for the run; Octopus answers 404 "No modified bookings found" for none).
    async fn recent_bookings(&self, journal: &str) -> Result<Vec<wire::Booking>, ExternalError> {
        if let Some(known) = self.modified.lock().await.get(journal) {
            return Ok(known.clone());
        }
        let since = (self.clock.now() - Duration::days(FIND_WINDOW_DAYS))
            .format(TIMESTAMP)
            .to_string();
        let bookings = self
            .http
            .get::<Vec<wire::Booking>>(
                "buysellbookings.modified",
                "buysellbookings/modified",
                &[
                    ("bookyearId", "-1".to_owned()),
                    ("journalKey", journal.to_owned()),
                    ("modifiedTimeStamp", since),
                ],
            )
            .await?
            .unwrap_or_default();
        self.modified
            .lock()
            .await
            .insert(journal.to_owned(), bookings.clone());
        Ok(bookings)
    }

    /// All relations of the dossier (1 call per run; 404 = none).
    async fn all_relations(&self) -> Result<Vec<wire::Relation>, ExternalError> {
        let mut cache = self.relations.lock().await;
        if let Some(relations) = cache.as_ref() {
            return Ok(relations.clone());
        }
        let relations = self
            .http
            .get::<Vec<wire::Relation>>("relations", "relations", &[])
            .await?
            .unwrap_or_default();
        *cache = Some(relations.clone());
        Ok(relations)
    }

    /// Is the booking `key` still in Octopus (1 call)?
    async fn booking_exists(&self, key: &BookingKey) -> Result<bool, ExternalError> {
        Ok(self
            .http
            .get::<serde_json::Value>(
                "buysellbookings.one",
                "buysellbookings",
                &[
                    ("bookyearId", key.bookyear.to_string()),
                    ("journalKey", key.journal.clone()),
                    ("documentSeqNr", key.number.to_string()),
                ],
            )
            .await?
            .is_some())
    }
}

fn rejected(message: String) -> ExternalError {
    ExternalError::Rejected {
        system: SYSTEM,
        status: 0,
        message,
    }
}

fn said(nl: String, fr: String, en: String) -> Localized {
    Localized { nl, fr, en }
}

#[async_trait]
impl Ledger for OctopusLedger {
    fn kind(&self) -> LedgerKind {
        LedgerKind::Octopus
    }

    fn capabilities(&self) -> LedgerCapabilities {
        LedgerCapabilities {
            general_ledger: true,
            attachment: AttachmentSupport::Optional(FileFormat::Pdf),
            finds_entries: true,
        }
    }

    fn limits(&self) -> LedgerLimits {
        LedgerLimits::default()
    }

    async fn reference_data(&self) -> Result<LedgerReferenceData, ExternalError> {
        let (bookyears, vat_codes) = tokio::try_join!(
            self.bookyears(),
            self.http
                .get::<Vec<wire::VatCode>>("vatcodes", "vatcodes", &[]),
        )?;
        let today = self.clock.now().date_naive();
        let open: Vec<&wire::Bookyear> = bookyears.iter().filter(|b| !b.closed).collect();
        let current = bookyears
            .iter()
            .find(|b| {
                matches!((mapping::parse_date(&b.start_date), mapping::parse_date(&b.end_date)),
                    (Some(start), Some(end)) if start <= today && today <= end)
            })
            .or_else(|| open.last().copied())
            .or_else(|| bookyears.last());
        let mut periods = Vec::new();
        let mut journals = Vec::new();
        for bookyear in bookyears {
            let id = bookyear.bookyear_key.id;
            let read = if bookyear.closed {
                Vec::new()
            } else {
                self.read_journals(id).await?
            };
            periods.extend(mapping::periods(bookyear, &read));
            if current.is_some_and(|c| c.bookyear_key.id == id) {
                journals = read.iter().map(mapping::journal).collect();
            }
        }
        let accounts = match current {
            Some(current) => self
                .http
                .get::<Vec<wire::Account>>(
                    "accounts",
                    "accounts",
                    &[("bookyearId", current.bookyear_key.id.to_string())],
                )
                .await?
                .unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(LedgerReferenceData {
            gl_accounts: accounts.iter().map(mapping::gl_account).collect(),
            journals,
            vat_codes: vat_codes
                .unwrap_or_default()
                .iter()
                .map(mapping::vat_code)
                .collect(),
            periods,
        })
    }

    /// Two different "Verkoop Boekingen" journals, chosen and present (a journal created in
    /// Octopus is visible only after "File > Synchronise" there), VAT codes, revenue
    /// accounts, and a book year for the start date.
    fn preflight(
        &self,
        settings: &ConnectionSettings,
        reference: &LedgerReferenceData,
    ) -> Vec<Finding> {
        let mut findings = sales_journal_findings(SYSTEM, settings, reference);
        let missing: Vec<&String> = [&settings.invoice_journal, &settings.credit_note_journal]
            .into_iter()
            .flatten()
            .filter(|code| !reference.journals.is_empty() && reference.journal(code).is_none())
            .collect();
        if let Some(code) = missing.first() {
            findings.push(Finding::warning_in(said(
                format!("Heb je dagboek {code} net aangemaakt in Octopus? Nieuwe dagboeken zijn pas zichtbaar na \"Bestand > Synchroniseren\" in Octopus. Kies als invoertype \"Verkoop Boekingen\"."),
                format!("Vous venez de créer le journal {code} dans Octopus ? Les nouveaux journaux ne sont visibles qu'après « Fichier > Synchroniser » dans Octopus. Choisissez le type d'encodage « Ventes »."),
                format!("Did you just create journal {code} in Octopus? New journals are visible only after \"File > Synchronise\" in Octopus. Choose entry type \"Verkoop Boekingen\" (Sales bookings)."),
            )));
        }
        findings.extend(vat_code_findings(SYSTEM, settings, reference));
        findings.extend(revenue_account_findings(SYSTEM, settings, reference));
        findings.extend(period_findings(SYSTEM, settings, reference));
        findings
    }

    /// By `orderReference` (Koppel's reference) among the journal's bookings of the last
    /// [`FIND_WINDOW_DAYS`] days.
    async fn find_entry(&self, key: &EntryKey) -> Result<Option<PostedEntry>, ExternalError> {
        let Some(journal) = key.journal.as_deref().map(str::trim) else {
            return Ok(None);
        };
        let bookings = self.recent_bookings(journal).await?;
        let reference = key.reference.trim();
        let mut found = bookings
            .iter()
            .filter(|b| b.order_reference.trim() == reference);
        let Some(booking) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() {
            tracing::warn!(
                dossier = self.dossier(),
                journal,
                reference,
                "several Octopus bookings carry this reference; using the first"
            );
        }
        let key = BookingKey::of(booking);
        let name = match self.bookyears().await {
            Ok(years) => Self::bookyear_name(years, key.bookyear),
            Err(_) => key.bookyear.to_string(),
        };
        Ok(Some(PostedEntry {
            id: key.entry_id(),
            entry_number: Some(mapping::entry_number(&key, &name)),
        }))
    }

    /// One POST, the PDF inside it. A refusal leaves nothing behind; a journal someone has
    /// open pauses the run with what to do; a lost answer is
    /// [`ExternalError::OutcomeUnknown`].
    async fn post_entry(
        &self,
        entry: &LedgerEntry,
        file: Option<&DocumentFile>,
    ) -> Result<PostedEntry, ExternalError> {
        let subject = format!("booking {}", entry.reference);
        let attachments = match file {
            Some(file) if file.format != FileFormat::Pdf => {
                return Err(ExternalError::Unsupported {
                    system: SYSTEM,
                    what: "attaching files other than PDF",
                });
            }
            Some(file) => vec![wire::Attachment {
                file_name: file.file_name.clone(),
                file_data: base64::engine::general_purpose::STANDARD.encode(&file.bytes),
            }],
            None => Vec::new(),
        };
        let relation = entry
            .customer
            .ledger_id()
            .and_then(|id| id.as_str().trim().parse::<i64>().ok())
            .ok_or_else(|| {
                rejected(refusals::message(
                    &subject,
                    "the customer is not an Octopus relation",
                ))
            })?;
        let bookyears = self.bookyears().await?;
        let placement = mapping::placement(bookyears, entry.date)
            .map_err(|problem| rejected(refusals::message(&subject, &problem)))?;
        let key = self
            .book(entry, &placement, relation, attachments, &subject)
            .await?;
        let name = Self::bookyear_name(bookyears, key.bookyear);
        Ok(PostedEntry {
            id: key.entry_id(),
            entry_number: Some(mapping::entry_number(&key, &name)),
        })
    }

    fn customers(&self) -> Option<&dyn LedgerCustomers> {
        Some(self)
    }

    fn payments(&self) -> Option<&dyn LedgerPayments> {
        Some(self)
    }
}

fn relation_key(relation: &wire::Relation) -> LedgerCustomerKey {
    let id = relation
        .relation_identification_service_data
        .relation_key
        .id;
    LedgerCustomerKey {
        id: koppel_core::LedgerCustomerId::new(id.to_string()),
        number: Some(id.to_string()),
    }
}

#[async_trait]
impl LedgerCustomers for OctopusLedger {
    /// One read of all relations, then by relation number (Teamleader's external id, when
    /// the name or VAT number agrees) or VAT number.
    async fn find_customers(
        &self,
        customers: &[Customer],
    ) -> Result<Vec<Option<LedgerCustomerKey>>, ExternalError> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        let relations = self.all_relations().await?;
        let by_id: HashMap<i64, &wire::Relation> = relations
            .iter()
            .map(|r| (r.relation_identification_service_data.relation_key.id, r))
            .collect();
        let mut by_vat: HashMap<String, &wire::Relation> = HashMap::new();
        for relation in relations.iter().filter(|r| r.client) {
            if let Some(vat) = relation.vat_nr.as_deref().and_then(mapping::normalised_vat) {
                by_vat.entry(vat).or_insert(relation);
            }
        }
        Ok(customers
            .iter()
            .map(|customer| {
                let vat = customer
                    .vat_number
                    .as_ref()
                    .and_then(|v| mapping::normalised_vat(&v.0));
                // Teamleader has one external-id field per company, shared by departments
                // that may use other ledgers: a number is taken for this relation only when
                // the name or the VAT number agrees too.
                let by_number = customer
                    .external_id
                    .as_deref()
                    .and_then(|id| id.trim().parse::<i64>().ok())
                    .and_then(|id| by_id.get(&id))
                    .filter(|relation| {
                        same_company_name(&relation.name, &customer.name)
                            || (vat.is_some()
                                && relation.vat_nr.as_deref().and_then(mapping::normalised_vat)
                                    == vat)
                    });
                let by_vat_number = || vat.as_ref().and_then(|v| by_vat.get(v));
                by_number.or_else(by_vat_number).map(|r| relation_key(r))
            })
            .collect())
    }

    /// One PUT; the relation carries an `externalRelationId` derived from the Teamleader id
    /// (stepping past ids taken in the dossier), so a lost answer is found again by it.
    async fn create_customer(
        &self,
        customer: &Customer,
    ) -> Result<LedgerCustomerKey, ExternalError> {
        let subject = format!("relation {}", customer.name.trim());
        let relations = self.all_relations().await?;
        let taken: std::collections::HashSet<i64> = relations
            .iter()
            .map(|r| r.relation_identification_service_data.external_relation_id)
            .collect();
        let external = (0..mapping::EXTERNAL_ID_PROBES)
            .map(|probe| mapping::external_relation_id(&customer.reference, probe))
            .find(|id| !taken.contains(id))
            .ok_or_else(|| rejected(refusals::message(&subject, "no free external relation id")))?;
        let relation = mapping::new_relation(customer, external);
        let answer = self
            .http
            .put("relations", "relations", &relation)
            .await
            .map_err(|e| refusals::explain(e, &subject, ""))?;
        let id = match answer.status {
            201 => match answer.json::<wire::CreatedRelation>() {
                Ok(created) => Some(created.relation_key.id),
                Err(_) => None,
            },
            _ => None,
        };
        let id = match id {
            Some(id) => id,
            // 204 (or 201 without a body): learn the key by the external id.
            None => self
                .http
                .get::<Vec<wire::Relation>>(
                    "relations",
                    "relations",
                    &[("extRelationId", external.to_string())],
                )
                .await?
                .unwrap_or_default()
                .first()
                .map(|r| r.relation_identification_service_data.relation_key.id)
                .ok_or_else(|| ExternalError::Malformed {
                    system: SYSTEM,
                    endpoint: "relations".into(),
                    detail: format!("the relation with external id {external} was not found right after it was saved"),
                })?,
        };
        let mut created = relation;
        created.relation_identification_service_data.relation_key.id = id;
        if let Some(cache) = self.relations.lock().await.as_mut() {
            cache.push(created.clone());
        }
        Ok(relation_key(&created))
    }

    /// A relation with exactly this name and one of the external ids Koppel derives from the
    /// Teamleader id (1 call).
    async fn find_created(
        &self,
        customer: &Customer,
        _since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<LedgerCustomerKey>, ExternalError> {
        let name = customer.name.trim().to_owned();
        let candidates: Vec<i64> = (0..mapping::EXTERNAL_ID_PROBES)
            .map(|probe| mapping::external_relation_id(&customer.reference, probe))
            .collect();
        let found = self
            .http
            .get::<Vec<wire::Relation>>("relations", "relations", &[("name", name.clone())])
            .await?
            .unwrap_or_default();
        Ok(found
            .iter()
            .find(|r| {
                r.name.trim() == name
                    && candidates
                        .contains(&r.relation_identification_service_data.external_relation_id)
            })
            .map(relation_key))
    }

    /// Every customer relation in one page (Octopus does not page).
    async fn list_customers(
        &self,
        _cursor: Option<&str>,
    ) -> Result<LedgerCustomerPage, ExternalError> {
        let relations = self.all_relations().await?;
        Ok(LedgerCustomerPage {
            customers: relations
                .iter()
                .filter(|r| r.client && r.active && !r.name.trim().is_empty())
                .map(mapping::customer_from_relation)
                .collect(),
            next: None,
        })
    }
}

#[async_trait]
impl LedgerPayments for OctopusLedger {
    /// One open-items report over the book years of `entries`: a booking in it is open for
    /// its open amount; one that left it is paid (matched, "afgepunt") when it still exists
    /// (1 read each, to tell a paid booking from a deleted one).
    async fn payment_states(
        &self,
        entries: &[LedgerEntryId],
        _since: Option<NaiveDate>,
    ) -> Result<Vec<LedgerPaymentState>, ExternalError> {
        let keys: Vec<(LedgerEntryId, BookingKey)> = entries
            .iter()
            .filter_map(|id| BookingKey::parse(id.as_str()).map(|key| (id.clone(), key)))
            .collect();
        let (Some(from), Some(to)) = (
            keys.iter().map(|(_, k)| k.bookyear).min(),
            keys.iter().map(|(_, k)| k.bookyear).max(),
        ) else {
            return Ok(Vec::new());
        };
        let query = wire::OpenItemsQuery {
            from_bookyear_key: wire::Key { id: from },
            to_bookyear_key: wire::Key { id: to },
        };
        let open: Vec<wire::OpenItem> = self
            .http
            .report("reports.clients.open", "reports/clients/open", &query)
            .await?
            .unwrap_or_default();
        let open: HashMap<BookingKey, Decimal> = open
            .into_iter()
            .map(|item| {
                (
                    BookingKey {
                        bookyear: item.bookyear_key.id,
                        journal: item.journal_key.trim().to_owned(),
                        number: item.document_sequence_nr,
                    },
                    item.open_amount.abs(),
                )
            })
            .collect();
        let mut states = Vec::with_capacity(keys.len());
        for (id, key) in keys {
            match open.get(&key) {
                Some(amount) => states.push(LedgerPaymentState {
                    entry: id,
                    open_amount: *amount,
                    fully_paid: amount.is_zero(),
                    paid_at: None,
                    partly_paid_amount_unknown: false,
                    amount_unknown: false,
                }),
                None if self.booking_exists(&key).await? => states.push(LedgerPaymentState {
                    entry: id,
                    open_amount: Decimal::ZERO,
                    fully_paid: true,
                    paid_at: None,
                    partly_paid_amount_unknown: false,
                    amount_unknown: false,
                }),
                None => tracing::warn!(
                    dossier = self.dossier(),
                    booking = %key,
                    "the booking is no longer in Octopus (deleted?); its payment state is unknown"
                ),
            }
        }
        Ok(states)
    }

    async fn post_received_payment(
        &self,
        _payment: &ReceivedPayment,
    ) -> Result<LedgerEntryId, ExternalError> {
        Err(ExternalError::Rejected {
            system: SYSTEM,
            status: 0,
            message: "the Octopus webservice documents no way to match a payment with a booking: register the payment in Octopus (or import the bank statement, CODA) and it is matched there".to_owned(),
        })
    }
}
