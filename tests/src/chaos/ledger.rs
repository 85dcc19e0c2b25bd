//! The ledger a schedule books in, seen the same way whichever it is: its entries and
//! customers as the checks read them, the user's doings (customers of their own, deleting
//! an entry, reconciling a payment, a closed period), and how each fault of a plan strikes
//! it. Exact Online, Octopus and Twinfield differ in their wire, their ids and their faults;
//! the schedule, the recovery and the invariants do not. Clearfacts differs more: a portal
//! without general ledger, customers or search, whose entries are uploaded files (an
//! upload's identity is its content) — the checks read what it cannot do from the enum
//! ([`LedgerUnderTest::keeps_customers`], [`LedgerUnderTest::finds_entries`],
//! [`LedgerUnderTest::knows_amounts`]) and some faults have no meaning there
//! ([`LedgerUnderTest::feels`]).

use super::plan::{BadAnswer, Fault};
use crate::stack::Stack;
use chrono::{Datelike, NaiveDate};
use koppel_core::{Clock, Connection, DepartmentId};
use koppel_sim::{clearfacts, exact, octopus, twinfield};
use rust_decimal::Decimal;

/// The Exact division every Exact schedule books in.
pub const DIVISION: i32 = exact::DEFAULT_BE_DIVISION;

/// The Octopus dossier every Octopus schedule books in.
pub const DOSSIER: i64 = octopus::seed::DEMO_DOSSIER_ID;

/// The Twinfield office every Twinfield schedule books in (Belgian: its revenue accounts are
/// the generated Teamleader account's).
pub const OFFICE: &str = twinfield::OFFICE_BE;

/// The Clearfacts company (administration) every Clearfacts schedule uploads to.
pub const COMPANY: &str = clearfacts::ADMINISTRATION_DEMO;

/// Which ledger a schedule books in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LedgerUnderTest {
    /// Exact Online (entries with ids, OAuth tokens, minute and day quotas).
    #[default]
    Exact,
    /// Octopus (bookings without ids, user name and password, a daily budget).
    Octopus,
    /// Twinfield (OpenID Connect, a cluster per organisation, SOAP, credits a minute).
    Twinfield,
    /// Clearfacts (OpenID Connect, GraphQL, multipart uploads of the document file; no
    /// general ledger, no customers, no search, no periods, no quota).
    Clearfacts,
}

/// An entry of the ledger, as the checks compare it with Koppel's records.
#[derive(Debug, Clone)]
pub struct EntryView {
    /// The id Koppel records for it.
    pub id: String,
    /// Journal and Koppel's reference: what must be unique.
    pub key: String,
    /// What a person reads ("entry 12", "V1 3").
    pub label: String,
    /// Total including VAT, positive (zero where the ledger gives no amounts).
    pub amount: Decimal,
    /// What is still open, positive (zero where the ledger gives no amounts).
    pub open: Decimal,
    /// Fully paid in the ledger (for a ledger without amounts, the one payment fact it has).
    pub settled: bool,
    /// For a ledger whose key is the file's content: the document number the file is named
    /// after (its file name without extension), to tell which document a differing file
    /// carries.
    pub alias: Option<String>,
}

impl EntryView {
    /// A view of a ledger entry with amounts.
    fn with_amounts(
        id: String,
        key: String,
        label: String,
        amount: Decimal,
        open: Decimal,
    ) -> Self {
        Self {
            id,
            key,
            label,
            amount,
            open,
            settled: open.is_zero() && !amount.is_zero(),
            alias: None,
        }
    }
}

/// A customer of the ledger.
#[derive(Debug, Clone)]
pub struct CustomerView {
    /// The ledger's id.
    pub id: String,
    /// Name.
    pub name: String,
    /// VAT number.
    pub vat: Option<String>,
    /// The number people read.
    pub code: String,
}

impl LedgerUnderTest {
    /// The ledger's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Exact => "Exact",
            Self::Octopus => "Octopus",
            Self::Twinfield => "Twinfield",
            Self::Clearfacts => "Clearfacts",
        }
    }

    /// The ledger keeps customers (Koppel matches or creates them, the company import reads
    /// them): the customer checks apply.
    pub fn keeps_customers(self) -> bool {
        !matches!(self, Self::Clearfacts)
    }

    /// The ledger can be searched for an entry: an entry posted twice is a duplicate. Where
    /// it cannot, Koppel sends again after a lost answer and reports "may have been sent
    /// twice"; only a repeat it did not report is a duplicate.
    pub fn finds_entries(self) -> bool {
        !matches!(self, Self::Clearfacts)
    }

    /// The ledger gives amounts (total and open) for its entries.
    pub fn knows_amounts(self) -> bool {
        !matches!(self, Self::Clearfacts)
    }

    /// Whether a ledger fault of a plan means anything in this ledger (Clearfacts has no
    /// periods and no quota: those faults are not struck, nor counted as struck).
    pub fn feels(self, fault: &Fault) -> bool {
        !matches!(
            (self, fault),
            (
                Self::Clearfacts,
                Fault::PeriodClosed | Fault::DailyQuotaSpent { .. }
            )
        )
    }

    /// Link `department` to this ledger (signing in again after a lost access is the same).
    pub async fn connect(self, stack: &Stack, department: &DepartmentId) -> Connection {
        match self {
            Self::Exact => stack.connect(department, DIVISION).await,
            Self::Octopus => {
                // The user signs in with the password Octopus holds now.
                let _ = stack
                    .octopus
                    .change_password(octopus::seed::DEMO_USER, octopus::seed::DEMO_PASSWORD);
                stack.connect_octopus(department, DOSSIER).await
            }
            Self::Twinfield => stack.connect_twinfield(department, OFFICE).await,
            // A new sign-in through OpenID Connect (after a revoked app too).
            Self::Clearfacts => stack.connect_clearfacts(department, COMPANY).await,
        }
    }

    /// Every entry of the ledger.
    pub fn entries(self, stack: &Stack) -> Vec<EntryView> {
        match self {
            Self::Exact => stack
                .exact
                .entries(DIVISION)
                .into_iter()
                .map(|e| {
                    EntryView::with_amounts(
                        e.entry_id.to_string(),
                        format!("{} {}", e.journal, e.your_ref.clone().unwrap_or_default()),
                        format!(
                            "entry {} ({})",
                            e.entry_number,
                            e.your_ref.clone().unwrap_or_default()
                        ),
                        e.amount().abs(),
                        e.open_amount().abs(),
                    )
                })
                .collect(),
            Self::Octopus => stack
                .octopus
                .bookings(DOSSIER)
                .into_iter()
                .map(|b| {
                    let d = &b.data;
                    EntryView::with_amounts(
                        format!(
                            "{}/{}/{}",
                            d.bookyear_key.id, d.journal_key, d.document_sequence_nr
                        ),
                        format!("{} {}", d.journal_key, d.order_reference),
                        format!(
                            "booking {} {} ({})",
                            d.journal_key, d.document_sequence_nr, d.order_reference
                        ),
                        d.amount.abs(),
                        b.open_amount.abs(),
                    )
                })
                .collect(),
            Self::Twinfield => stack
                .twinfield
                .transactions(OFFICE)
                .into_iter()
                .map(|t| {
                    let amount = t.total_line().map(|l| l.value).unwrap_or_default();
                    EntryView::with_amounts(
                        format!("{}/{}", t.code, t.number),
                        format!("{} {}", t.code, t.invoice_number),
                        format!("transaction {} {} ({})", t.code, t.number, t.invoice_number),
                        amount.abs(),
                        t.open_value.abs(),
                    )
                })
                .collect(),
            // Each upload is a file: its identity is its content (the same document sent
            // twice is the same bytes twice). Clearfacts gives no amounts, only a state.
            Self::Clearfacts => stack
                .clearfacts
                .uploads()
                .into_iter()
                .filter(|u| u.company_number == COMPANY)
                .map(|u| {
                    let stem = u
                        .file_name
                        .rsplit_once('.')
                        .map_or(u.file_name.as_str(), |(stem, _)| stem)
                        .to_owned();
                    EntryView {
                        label: format!(
                            "upload {} {} ({})",
                            u.uuid,
                            u.file_name,
                            u.xml_id.as_deref().unwrap_or("no XML number")
                        ),
                        id: u.uuid,
                        key: u.sha256,
                        amount: Decimal::ZERO,
                        open: Decimal::ZERO,
                        settled: u.payment_state == clearfacts::PaymentState::Paid,
                        alias: Some(stem).filter(|s| !s.is_empty()),
                    }
                })
                .collect(),
        }
    }

    /// Uploads the ledger stored whose answer a fault lost (Clearfacts; the user's deletions
    /// left out). Other ledgers: 0 (their lost answers are settled by a search).
    pub fn lost_upload_answers(self, stack: &Stack) -> u32 {
        match self {
            Self::Clearfacts => stack
                .clearfacts
                .uploads()
                .iter()
                .filter(|u| u.company_number == COMPANY && u.answer_lost)
                .count() as u32,
            Self::Exact | Self::Octopus | Self::Twinfield => 0,
        }
    }

    /// Every customer of the ledger.
    pub fn customers(self, stack: &Stack) -> Vec<CustomerView> {
        match self {
            Self::Exact => stack
                .exact
                .division(DIVISION)
                .map(|d| d.accounts)
                .unwrap_or_default()
                .into_iter()
                .map(|a| CustomerView {
                    id: a.id.to_string(),
                    name: a.name,
                    vat: a.vat_number,
                    code: a.code.trim().to_owned(),
                })
                .collect(),
            Self::Octopus => stack
                .octopus
                .relations(DOSSIER)
                .into_iter()
                .map(|r| CustomerView {
                    id: r.id().to_string(),
                    code: r.id().to_string(),
                    name: r.name,
                    vat: r.vat_nr,
                })
                .collect(),
            Self::Twinfield => stack
                .twinfield
                .dimensions(OFFICE)
                .into_iter()
                .map(|c| CustomerView {
                    id: c.code.clone(),
                    vat: Some(c.address.field4.clone()).filter(|v| !v.is_empty()),
                    code: c.code,
                    name: c.name,
                })
                .collect(),
            // A portal without customers (see `keeps_customers`).
            Self::Clearfacts => Vec::new(),
        }
    }

    /// A customer the user has in the ledger before Koppel runs.
    pub fn add_customer(self, stack: &Stack, name: &str, vat: Option<&str>) {
        // A customer that cannot be added is simply not there.
        match self {
            Self::Exact => {
                let _ = stack.exact.add_customer(DIVISION, name, vat);
            }
            Self::Octopus => {
                let _ = stack.octopus.add_relation(DOSSIER, name, vat);
            }
            Self::Twinfield => {
                let _ = stack
                    .twinfield
                    .add_customer(OFFICE, name, vat.unwrap_or_default());
            }
            // No customers to have.
            Self::Clearfacts => {}
        }
    }

    /// The user deletes the entry `id` in the ledger; true when it was there.
    pub fn delete_entry(self, stack: &Stack, id: &str) -> bool {
        match self {
            Self::Exact => uuid::Uuid::parse_str(id)
                .is_ok_and(|entry| stack.exact.delete_entry(DIVISION, entry).is_ok()),
            Self::Octopus => booking_key(id).is_some_and(|(year, journal, number)| {
                stack
                    .octopus
                    .delete_booking(DOSSIER, year, &journal, number)
                    .is_ok()
            }),
            Self::Twinfield => transaction_key(id).is_some_and(|(code, number)| {
                stack
                    .twinfield
                    .delete_transaction(OFFICE, &code, number)
                    .is_ok()
            }),
            // The accountant deletes the document from the sales inbox.
            Self::Clearfacts => stack.clearfacts.delete_upload(id).is_ok(),
        }
    }

    /// The accountant reconciles `part` of entry `id` (all of it when `None`) on `day`; true
    /// when it was done. Clearfacts learns only a state: `PAID`, or `PARTIALLY_PAID` for any
    /// part (it keeps neither the amount nor the day).
    pub fn pay(self, stack: &Stack, id: &str, part: Option<Decimal>, day: NaiveDate) -> bool {
        match self {
            Self::Exact => uuid::Uuid::parse_str(id).is_ok_and(|entry| {
                stack
                    .exact
                    .register_payment(DIVISION, entry, part, Some(day))
                    .is_ok()
            }),
            Self::Octopus => booking_key(id).is_some_and(|(year, journal, number)| {
                stack
                    .octopus
                    .match_booking(DOSSIER, year, &journal, number, part)
                    .is_ok()
            }),
            Self::Twinfield => transaction_key(id).is_some_and(|(code, number)| {
                stack
                    .twinfield
                    .match_transaction(OFFICE, &code, number, part, day)
                    .is_ok()
            }),
            Self::Clearfacts => {
                let state = match part {
                    None => clearfacts::PaymentState::Paid,
                    Some(_) => clearfacts::PaymentState::PartiallyPaid,
                };
                stack.clearfacts.set_payment_state(id, state).is_ok()
            }
        }
    }

    /// Close (or reopen) the period of `day` in the ledger.
    pub fn set_period_closed(self, stack: &Stack, day: NaiveDate, closed: bool) {
        // A period that cannot be closed leaves the schedule without that fault.
        match self {
            Self::Exact => {
                let _ =
                    stack
                        .exact
                        .set_period_closed(DIVISION, day.year(), day.month() as i32, closed);
            }
            Self::Octopus => {
                if let Some(year) = octopus_bookyear(stack, day) {
                    let period = day.year() * 100 + day.month() as i32;
                    let _ = stack
                        .octopus
                        .set_period_closed(DOSSIER, year, period, closed);
                }
            }
            Self::Twinfield => {
                let period = format!("{}/{:02}", day.year(), day.month());
                let _ = stack.twinfield.set_period_open(OFFICE, &period, !closed);
            }
            // No periods.
            Self::Clearfacts => {}
        }
    }

    /// Every fault and limit gone (the recovery).
    pub fn clear_faults(self, stack: &Stack) {
        match self {
            Self::Exact => {
                stack.exact.clear_faults();
                stack.exact.clear_answers();
                stack.exact.set_rate_limits(None);
            }
            Self::Octopus => {
                stack.octopus.clear_faults();
                stack
                    .octopus
                    .set_budgets(octopus::budget::Budgets::default());
            }
            Self::Twinfield => {
                stack.twinfield.clear_faults();
                stack.twinfield.set_fair_use(twinfield::FairUse::default());
            }
            Self::Clearfacts => stack.clearfacts.clear_faults(),
        }
    }

    /// Carry out a ledger fault of a plan (the Exact-named faults stand for their class:
    /// outages, lost answers, bad answers, tokens, access, the period and the quota); one
    /// the ledger does not [`feel`](Self::feels) does nothing.
    pub fn strike(self, stack: &LedgerRemote, fault: &Fault) {
        if !self.feels(fault) {
            return;
        }
        match (self, stack) {
            (Self::Exact, LedgerRemote::Exact(exact)) => strike_exact(exact, fault),
            (Self::Octopus, LedgerRemote::Octopus(octopus)) => strike_octopus(octopus, fault),
            (Self::Twinfield, LedgerRemote::Twinfield(twinfield)) => {
                strike_twinfield(twinfield, fault)
            }
            (Self::Clearfacts, LedgerRemote::Clearfacts(clearfacts)) => {
                strike_clearfacts(clearfacts, fault)
            }
            _ => {}
        }
    }

    /// The remote control of this ledger's simulator.
    pub fn remote(self, stack: &Stack) -> LedgerRemote {
        match self {
            Self::Exact => LedgerRemote::Exact(stack.exact.control()),
            Self::Octopus => LedgerRemote::Octopus(stack.octopus.control()),
            Self::Twinfield => LedgerRemote::Twinfield(stack.twinfield.control()),
            Self::Clearfacts => LedgerRemote::Clearfacts(stack.clearfacts.control()),
        }
    }
}

/// A ledger simulator's remote control, for the tripwire.
pub enum LedgerRemote {
    /// Exact's.
    Exact(exact::SimControl),
    /// Octopus's.
    Octopus(octopus::SimControl),
    /// Twinfield's.
    Twinfield(twinfield::SimControl),
    /// Clearfacts's.
    Clearfacts(clearfacts::SimControl),
}

impl LedgerRemote {
    /// The simulator's clock.
    pub fn today(&self) -> NaiveDate {
        match self {
            Self::Exact(exact) => exact.clock().now().date_naive(),
            Self::Octopus(octopus) => octopus.clock().now().date_naive(),
            Self::Twinfield(twinfield) => twinfield.clock().now().date_naive(),
            Self::Clearfacts(clearfacts) => clearfacts.clock().now().date_naive(),
        }
    }
}

/// "code/number" → its parts.
fn transaction_key(id: &str) -> Option<(String, u64)> {
    let (code, number) = id.split_once('/')?;
    Some((code.to_owned(), number.parse().ok()?))
}

/// "year/journal/number" → its parts.
fn booking_key(id: &str) -> Option<(i64, String, i64)> {
    let mut parts = id.splitn(3, '/');
    let year = parts.next()?.parse().ok()?;
    let journal = parts.next()?.to_owned();
    let number = parts.next()?.parse().ok()?;
    Some((year, journal, number))
}

/// The Octopus book year holding `day`.
fn octopus_bookyear(stack: &Stack, day: NaiveDate) -> Option<i64> {
    bookyear_of(&stack.octopus.control(), day)
}

fn bookyear_of(octopus: &octopus::SimControl, day: NaiveDate) -> Option<i64> {
    octopus
        .dossier(DOSSIER)?
        .bookyears
        .iter()
        .find(|b| b.start_date <= day && day <= b.end_date)
        .map(|b| b.id)
}

fn strike_exact(exact: &exact::SimControl, fault: &Fault) {
    match fault {
        Fault::ExactFailures {
            count,
            status,
            path,
            ..
        } => exact.fail_next(exact::FailNext {
            count: *count,
            status: *status,
            path_contains: path.map(str::to_owned),
        }),
        Fault::ExactAnswerLost { count, mode, .. } => {
            exact.crash_after_commit(*count, *mode);
            // The customer created just before an entry loses its answer too, at times.
            exact.lose_account_answers(*count % 2);
        }
        Fault::ExactBadAnswers { count, answer, .. } => {
            let (status, body, content_type) = match answer {
                BadAnswer::HtmlPage => (
                    200,
                    "<!doctype html><html><body><h1>Exact Online is being updated</h1></body></html>",
                    "text/html; charset=utf-8",
                ),
                BadAnswer::CutJson => (200, "{\"d\": {\"results\": [{\"ID\": ", "application/json"),
                BadAnswer::JsonOutage => (
                    503,
                    "{\"error\":{\"code\":\"\",\"message\":{\"lang\":\"\",\"value\":\"Service unavailable\"}}}",
                    "application/json",
                ),
                BadAnswer::HtmlGateway => (
                    502,
                    "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                    "text/html",
                ),
            };
            exact.answer_next(
                exact::AnswerNext::new(*count, status, body).content_type(content_type),
            );
        }
        Fault::TokensExpire { .. } => exact.expire_tokens(),
        Fault::ExactAccessRevoked { .. } => exact.revoke_tokens(),
        Fault::RefreshAnswerLost { .. } => {
            exact.lose_token_answers(1);
            exact.expire_tokens();
        }
        Fault::PeriodClosed => {
            let today = exact.clock().now().date_naive();
            let _ = exact.set_period_closed(DIVISION, today.year(), today.month() as i32, true);
        }
        Fault::DailyQuotaSpent { left, .. } => {
            let used = exact.calls_today(exact::DEFAULT_CLIENT_ID, DIVISION);
            exact.set_rate_limits(Some(exact::RateLimits {
                per_minute: 60,
                per_day: used + left,
            }));
        }
        Fault::Kill { .. } | Fault::TeamleaderFailures { .. } | Fault::Redelivered { .. } => {}
    }
}

fn strike_octopus(octopus: &octopus::SimControl, fault: &Fault) {
    use octopus::budget::Group;
    match fault {
        Fault::ExactFailures {
            count,
            status,
            path,
            ..
        } => octopus.set_fail_next(octopus::FailNext {
            count: *count,
            // Octopus's 429 is its spent daily budget (see DailyQuotaSpent); a burst of
            // refusals is an outage here.
            status: if *status == 429 { 503 } else { *status },
            target: path.map(|p| {
                match p {
                    "SalesEntries" => "bookings",
                    "Accounts" => "relations",
                    _ => "reports",
                }
                .to_owned()
            }),
            html: false,
        }),
        Fault::ExactAnswerLost { count, .. } => {
            octopus.lose_booking_answers(*count);
            octopus.lose_relation_answers(*count % 2);
        }
        Fault::ExactBadAnswers { count, answer, .. } => octopus.set_fail_next(octopus::FailNext {
            count: *count,
            status: match answer {
                BadAnswer::HtmlGateway => 502,
                _ => 503,
            },
            target: None,
            html: matches!(answer, BadAnswer::HtmlPage | BadAnswer::HtmlGateway),
        }),
        Fault::TokensExpire { .. } | Fault::RefreshAnswerLost { .. } => octopus.expire_tokens(),
        // The user changes the Octopus password: Koppel's sign-in is refused from then on.
        Fault::ExactAccessRevoked { .. } => {
            let _ = octopus.change_password(octopus::seed::DEMO_USER, "changed by the user");
            octopus.expire_tokens();
        }
        Fault::PeriodClosed => {
            let today = octopus.clock().now().date_naive();
            if let Some(year) = bookyear_of(octopus, today) {
                let period = today.year() * 100 + today.month() as i32;
                let _ = octopus.set_period_closed(DOSSIER, year, period, true);
            }
        }
        Fault::DailyQuotaSpent { left, .. } => {
            for group in [
                Group::Bookings,
                Group::Relations,
                Group::Reports,
                Group::Modified,
            ] {
                let used = octopus.calls_today(DOSSIER, group);
                octopus.set_budget(group, Some(used + left));
            }
        }
        Fault::Kill { .. } | Fault::TeamleaderFailures { .. } | Fault::Redelivered { .. } => {}
    }
}

fn strike_twinfield(twinfield: &twinfield::SimControl, fault: &Fault) {
    match fault {
        Fault::ExactFailures {
            count,
            status,
            path,
            ..
        } => twinfield.set_fail_next(twinfield::FailNext {
            count: *count,
            // Twinfield's 429 is its fair use (see DailyQuotaSpent): a burst here is an outage.
            status: if *status == 429 { 503 } else { *status },
            target: path.map(|p| {
                match p {
                    "Receivables" => "processxml",
                    _ => "finder",
                }
                .to_owned()
            }),
            html: false,
        }),
        Fault::ExactAnswerLost { count, .. } => {
            twinfield.lose_transaction_answers(*count);
            twinfield.lose_dimension_answers(*count % 2);
        }
        Fault::ExactBadAnswers { count, answer, .. } => {
            twinfield.set_fail_next(twinfield::FailNext {
                count: *count,
                status: match answer {
                    BadAnswer::HtmlGateway => 502,
                    _ => 503,
                },
                target: None,
                html: matches!(answer, BadAnswer::HtmlPage | BadAnswer::HtmlGateway),
            })
        }
        Fault::TokensExpire { .. } => twinfield.expire_tokens(),
        Fault::ExactAccessRevoked { .. } => {
            twinfield.revoke_tokens();
            twinfield.expire_tokens();
        }
        Fault::RefreshAnswerLost { .. } => {
            twinfield.lose_token_answers(1);
            twinfield.expire_tokens();
        }
        Fault::PeriodClosed => {
            let today = twinfield.clock().now().date_naive();
            let period = format!("{}/{:02}", today.year(), today.month());
            let _ = twinfield.close_period(OFFICE, &period);
        }
        // The organisation's credits of the minute run low (fair use).
        Fault::DailyQuotaSpent { left, .. } => twinfield.set_fair_use(twinfield::FairUse {
            credits_per_minute: 3 * (*left + 1),
            ..twinfield::FairUse::default()
        }),
        Fault::Kill { .. } | Fault::TeamleaderFailures { .. } | Fault::Redelivered { .. } => {}
    }
}

fn strike_clearfacts(clearfacts: &clearfacts::SimControl, fault: &Fault) {
    match fault {
        Fault::ExactFailures {
            count,
            status,
            path,
            ..
        } => clearfacts.fail_next(
            *count,
            // Clearfacts documents no rate limit: a burst of refusals is an outage here.
            if *status == 429 { 503 } else { *status },
            match *path {
                // The posting call is the upload, the receivables read the payment states;
                // there are no customers: any other path is every GraphQL request.
                Some("SalesEntries") => Some("uploadFile"),
                Some("Receivables") => Some("document"),
                _ => None,
            },
        ),
        // Stored, then the answer lost: a 500, or the connection dropped.
        Fault::ExactAnswerLost { count, mode, .. } => match mode {
            exact::CrashMode::DropConnection => clearfacts.drop_after_upload(*count),
            _ => clearfacts.fail_after_upload(*count),
        },
        Fault::ExactBadAnswers { count, answer, .. } => {
            clearfacts.set_fail_next(clearfacts::FailNext {
                count: *count,
                status: match answer {
                    BadAnswer::HtmlGateway => 502,
                    _ => 503,
                },
                target: None,
                html: matches!(answer, BadAnswer::HtmlPage | BadAnswer::HtmlGateway),
            })
        }
        Fault::TokensExpire { .. } => clearfacts.expire_tokens(),
        // The user removes the app in Clearfacts: every token of it is revoked.
        Fault::ExactAccessRevoked { .. } => {
            clearfacts.revoke_app(clearfacts::DEFAULT_USER, clearfacts::DEFAULT_CLIENT_ID);
        }
        Fault::RefreshAnswerLost { .. } => {
            clearfacts.lose_token_answers(1);
            clearfacts.expire_tokens();
        }
        // No periods and no quota (see `LedgerUnderTest::feels`); the rest is not the ledger's.
        Fault::PeriodClosed
        | Fault::DailyQuotaSpent { .. }
        | Fault::Kill { .. }
        | Fault::TeamleaderFailures { .. }
        | Fault::Redelivered { .. } => {}
    }
}
