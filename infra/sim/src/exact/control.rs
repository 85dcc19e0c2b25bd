//! In-process control of a running simulator: seed, inject faults, register payments,
//! inspect. [`super::SimHandle`] derefs to [`SimControl`]; the `/_sim/…` admin endpoints
//! call the same methods.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::model::{Account, Division, Document, SalesEntry, pad_account_code};
use super::oauth::TokenPair;
use super::options::{ClientApp, CrashMode, RateLimits};
use super::state::{FailNext, Shared, SimState, SimStats};
use super::wire;
use crate::common::SimClock;

/// Why a control call could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// No division with this code; seed it first.
    #[error("division {0} does not exist in the Exact simulator; seed it first")]
    UnknownDivision(i32),
    /// No sales entry with this id in the division.
    #[error("sales entry {0} does not exist in that division")]
    UnknownEntry(Uuid),
    /// No such financial period.
    #[error("financial period {year}/{period} does not exist in that division")]
    UnknownPeriod {
        /// Year asked for.
        year: i32,
        /// Period asked for.
        period: i32,
    },
    /// No app with this client id.
    #[error("no app with client id {0} is registered; add it first")]
    UnknownClient(String),
    /// No account with this id in the division.
    #[error("account {0} does not exist in that division")]
    UnknownAccount(Uuid),
}

/// A cloneable remote control of one simulator.
#[derive(Clone)]
pub struct SimControl {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for SimControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimControl")
            .field("base_url", &self.shared.base_url)
            .finish()
    }
}

impl SimControl {
    fn with_division<T>(
        &self,
        code: i32,
        f: impl FnOnce(&mut Division) -> Result<T, SimError>,
    ) -> Result<T, SimError> {
        let mut state = self.shared.lock();
        let division = state
            .divisions
            .get_mut(&code)
            .ok_or(SimError::UnknownDivision(code))?;
        f(division)
    }

    fn state<T>(&self, f: impl FnOnce(&mut SimState) -> T) -> T {
        f(&mut self.shared.lock())
    }

    /// The simulator's clock (shift or speed it for token-expiry and quota tests).
    pub fn clock(&self) -> Arc<SimClock> {
        Arc::clone(&self.shared.clock)
    }

    /// The user's current division (the default for new grants).
    pub fn current_division(&self) -> i32 {
        self.state(|s| s.current_division)
    }

    // ------------------------------------------------------------ seeding

    /// Add a division (replacing one with the same code).
    pub fn add_division(&self, division: Division) {
        self.state(|s| {
            s.divisions.insert(division.code, division);
        });
    }

    /// Register an app.
    pub fn add_client(&self, app: ClientApp) {
        self.state(|s| {
            s.clients.insert(app.client_id, app.client_secret);
        });
    }

    /// Hand out a token pair directly, as if the user had just consented (for tests that
    /// start "already connected"). `division` defaults to the current division.
    pub fn issue_tokens(
        &self,
        client_id: &str,
        division: Option<i32>,
    ) -> Result<TokenPair, SimError> {
        let now = self.shared.now();
        self.state(|s| {
            if !s.clients.contains_key(client_id) {
                return Err(SimError::UnknownClient(client_id.to_owned()));
            }
            let division = division.unwrap_or(s.current_division);
            if !s.divisions.contains_key(&division) {
                return Err(SimError::UnknownDivision(division));
            }
            Ok(s.oauth.issue(client_id, division, now))
        })
    }

    /// Every access and refresh token the simulator ever issued: what a test scans pages and
    /// logs for (a token must never appear in either).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state(|s| s.oauth.issued())
    }

    /// Add a customer (Status C) with the next free code; returns its id.
    pub fn add_customer(
        &self,
        division: i32,
        name: &str,
        vat_number: Option<&str>,
    ) -> Result<Uuid, SimError> {
        let now = wire::local(self.shared.now());
        self.with_division(division, |d| {
            let next = d
                .accounts
                .iter()
                .filter_map(|a| a.code.trim().parse::<u64>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            let id = Uuid::new_v4();
            d.accounts.push(Account {
                id,
                code: pad_account_code(&next.to_string()),
                name: name.to_owned(),
                status: "C".to_owned(),
                vat_number: vat_number.map(str::to_owned),
                chamber_of_commerce: None,
                email: None,
                phone: None,
                website: None,
                address_line1: None,
                postcode: None,
                city: None,
                country: Some(d.legislation.country().to_owned()),
                language: None,
                is_supplier: false,
                blocked: false,
                peppol_identifier: None,
                extra: Default::default(),
                created: now,
                modified: now,
            });
            Ok(id)
        })
    }

    /// Change an account in place (a test giving it what the admin API does not set: a
    /// phone, a chamber of commerce number, a BSN in `extra`).
    pub fn update_account(
        &self,
        division: i32,
        id: Uuid,
        change: impl FnOnce(&mut Account),
    ) -> Result<(), SimError> {
        let now = wire::local(self.shared.now());
        self.with_division(division, |d| {
            let account = d
                .accounts
                .iter_mut()
                .find(|a| a.id == id)
                .ok_or(SimError::UnknownAccount(id))?;
            change(account);
            account.modified = now;
            Ok(())
        })
    }

    /// Change the quotas (`None` = off). Counters already used this minute/day are kept.
    pub fn set_rate_limits(&self, limits: Option<RateLimits>) {
        self.state(|s| s.limits = limits);
    }

    /// The quotas in force.
    pub fn rate_limits(&self) -> Option<RateLimits> {
        self.state(|s| s.limits)
    }

    // ------------------------------------------------------------ faults

    /// Fail the next `fail.count` API calls (optionally only those whose resource contains
    /// `fail.path_contains`) with `fail.status` and a plain-text body, like an outage.
    pub fn fail_next(&self, fail: FailNext) {
        self.state(|s| s.faults.fail_next = (fail.count > 0).then_some(fail));
    }

    /// Delay every API call by `latency` (real time).
    pub fn set_latency(&self, latency: Duration) {
        self.state(|s| s.faults.latency = latency);
    }

    /// Store the next `count` POSTed sales entries but lose the answer (`mode`).
    pub fn crash_after_commit(&self, count: u32, mode: CrashMode) {
        self.state(|s| s.faults.crash_after_commit = (count > 0).then_some((count, mode)));
    }

    /// Create the next `count` POSTed accounts (customers) but drop the connection without an
    /// answer.
    pub fn lose_account_answers(&self, count: u32) {
        self.state(|s| s.faults.lose_account_answers = count);
    }

    /// Carry out the next `count` token grants (a refresh rotates the pair) but lose the
    /// answer: the client sees a 502 and holds a refresh token that is already spent.
    pub fn lose_token_answers(&self, count: u32) {
        self.state(|s| s.faults.lose_token_answers = count);
    }

    /// Clear every fault.
    pub fn clear_faults(&self) {
        self.state(|s| s.faults = Default::default());
    }

    /// Revoke every access and refresh token (the user withdrew the app).
    pub fn revoke_tokens(&self) {
        self.state(|s| s.oauth.revoke_all());
    }

    /// Expire every access token now (and allow refreshing at once).
    pub fn expire_tokens(&self) {
        let now = self.shared.now();
        self.state(|s| s.oauth.expire_all(now));
    }

    /// Close (or reopen, `closed = false`) a financial period.
    pub fn set_period_closed(
        &self,
        division: i32,
        year: i32,
        period: i32,
        closed: bool,
    ) -> Result<(), SimError> {
        self.with_division(division, |d| {
            let found = d
                .periods
                .iter_mut()
                .find(|p| p.year == year && p.period == period)
                .ok_or(SimError::UnknownPeriod { year, period })?;
            found.closed = closed;
            Ok(())
        })
    }

    /// Delete a booked entry, as a user in Exact would; returns it.
    pub fn delete_entry(&self, division: i32, entry_id: Uuid) -> Result<SalesEntry, SimError> {
        self.with_division(division, |d| {
            let position = d
                .entries
                .iter()
                .position(|e| e.entry_id == entry_id)
                .ok_or(SimError::UnknownEntry(entry_id))?;
            Ok(super::resources::remove_entry(d, position))
        })
    }

    // ------------------------------------------------------------ payments

    /// Register a payment on an entry's receivable: `amount` (default: what is still open)
    /// on `date` (default: today). Fully covered receivables become matched (Status 50).
    pub fn register_payment(
        &self,
        division: i32,
        entry_id: Uuid,
        amount: Option<Decimal>,
        date: Option<NaiveDate>,
    ) -> Result<(), SimError> {
        let now = self.shared.now();
        self.with_division(division, |d| {
            let entry = d
                .entries
                .iter_mut()
                .find(|e| e.entry_id == entry_id)
                .ok_or(SimError::UnknownEntry(entry_id))?;
            entry.paid += amount.unwrap_or_else(|| entry.open_amount());
            entry.last_payment_date = Some(date.unwrap_or_else(|| wire::local_today(now)));
            entry.modified = wire::local(now);
            Ok(())
        })
    }

    /// Undo every payment match on an entry (the accountant corrected a wrong match).
    pub fn unmatch_payments(&self, division: i32, entry_id: Uuid) -> Result<(), SimError> {
        let now = self.shared.now();
        self.with_division(division, |d| {
            let entry = d
                .entries
                .iter_mut()
                .find(|e| e.entry_id == entry_id)
                .ok_or(SimError::UnknownEntry(entry_id))?;
            entry.paid = Decimal::ZERO;
            entry.last_payment_date = None;
            entry.modified = wire::local(now);
            Ok(())
        })
    }

    // ------------------------------------------------------------ inspection

    /// A copy of a division with everything booked in it.
    pub fn division(&self, code: i32) -> Option<Division> {
        self.state(|s| s.divisions.get(&code).cloned())
    }

    /// Codes of all divisions.
    pub fn division_codes(&self) -> Vec<i32> {
        self.state(|s| s.divisions.keys().copied().collect())
    }

    /// The sales entries booked in a division (empty when it does not exist).
    pub fn entries(&self, division: i32) -> Vec<SalesEntry> {
        self.state(|s| {
            s.divisions
                .get(&division)
                .map(|d| d.entries.clone())
                .unwrap_or_default()
        })
    }

    /// The documents (documents/Documents) of a division (empty when it does not exist).
    pub fn documents(&self, division: i32) -> Vec<Document> {
        self.state(|s| {
            s.divisions
                .get(&division)
                .map(|d| d.documents.clone())
                .unwrap_or_default()
        })
    }

    /// The documents of a division no booked entry refers to: uploads whose entry was
    /// refused, or whose entry was deleted (empty when the division does not exist).
    pub fn orphan_documents(&self, division: i32) -> Vec<Document> {
        self.state(|s| {
            s.divisions
                .get(&division)
                .map(|d| d.orphan_documents().cloned().collect())
                .unwrap_or_default()
        })
    }

    /// Call counters.
    pub fn stats(&self) -> SimStats {
        self.state(|s| s.stats.clone())
    }

    /// Reset the call counters.
    pub fn reset_stats(&self) {
        self.state(|s| s.stats = SimStats::default());
    }

    /// Calls used today by `client_id` in `division` (the daily quota counter).
    pub fn calls_today(&self, client_id: &str, division: i32) -> u32 {
        self.state(|s| {
            s.windows
                .get(&(client_id.to_owned(), division))
                .map_or(0, |w| w.day_used())
        })
    }
}
