//! In-process control of a running simulator: seed, inject faults, match payments, inspect.
//! [`super::SimHandle`] derefs to [`SimControl`]; the `/_sim/twinfield/…` admin endpoints call
//! the same methods.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::faults::{FailNext, Faults};
use super::model::{Customer, MatchStatus, Office, Transaction};
use super::oidc::TokenPair;
use super::options::{DuplicateCheck, FairUse};
use super::seed;
use super::state::{Organisation, Shared, SimState, SimStats};
use crate::common::SimClock;

/// Why a control call could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// No office with this code.
    #[error("office {0} does not exist in the Twinfield simulator")]
    UnknownOffice(String),
    /// No period with this code.
    #[error("period {0} does not exist in that office")]
    UnknownPeriod(String),
    /// No transaction with this type and number.
    #[error("transaction {0}/{1} does not exist in that office")]
    UnknownTransaction(String, u64),
    /// No client with this id.
    #[error("client {0} is not registered")]
    UnknownClient(String),
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
    fn state<T>(&self, f: impl FnOnce(&mut SimState) -> T) -> T {
        f(&mut self.shared.lock())
    }

    fn with_office<T>(
        &self,
        office: &str,
        f: impl FnOnce(&mut Office) -> Result<T, SimError>,
    ) -> Result<T, SimError> {
        self.state(|s| {
            f(s.org
                .offices
                .get_mut(office)
                .ok_or_else(|| SimError::UnknownOffice(office.to_owned()))?)
        })
    }

    /// The simulator's clock (advance it for token-expiry and fair-use tests).
    pub fn clock(&self) -> Arc<SimClock> {
        Arc::clone(&self.shared.clock)
    }

    /// `{base_url}`: the login host (authorize, token, accesstokenvalidation).
    pub fn login_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The organisation's current cluster URL, `{base_url}/cluster{n}`.
    pub fn cluster_url(&self) -> String {
        let n = self.state(|s| s.org.cluster);
        self.shared.cluster_url(n)
    }

    /// `twf.organisationId`.
    pub fn organisation_id(&self) -> String {
        self.state(|s| s.org.id.clone())
    }

    /// A copy of the organisation with everything in it.
    pub fn organisation(&self) -> Organisation {
        self.state(|s| s.org.clone())
    }

    // ------------------------------------------------------------ tokens and clients

    /// Register another OIDC client.
    pub fn add_client(&self, client_id: &str, secret: &str) {
        self.state(|s| {
            s.clients.insert(client_id.to_owned(), secret.to_owned());
        });
    }

    /// Issue a token pair (scope with `offline_access`) for a registered client, as if the
    /// user had signed in.
    pub fn issue_tokens(&self, client_id: &str) -> Result<TokenPair, SimError> {
        let now = self.shared.now();
        self.state(|s| {
            if !s.clients.contains_key(client_id) {
                return Err(SimError::UnknownClient(client_id.to_owned()));
            }
            Ok(s.tokens.issue_pair(client_id, now))
        })
    }

    /// Let every access token expire now (refresh tokens keep working).
    pub fn expire_tokens(&self) {
        let now = self.shared.now();
        self.state(|s| s.tokens.expire_all(now));
    }

    /// Revoke every token: access tokens stop working, refresh tokens get `invalid_grant`.
    pub fn revoke_tokens(&self) {
        self.state(|s| s.tokens.revoke_all());
    }

    /// Move the organisation to `{base_url}/cluster{n}` (tokens stay valid; the old cluster
    /// answers a SOAP fault).
    pub fn set_cluster(&self, n: u32) {
        self.state(|s| s.org.cluster = n);
    }

    // ------------------------------------------------------------ seeding

    /// Add (or replace) an office, seeded like the demo offices around the clock's year, and
    /// give the default user access.
    pub fn add_office(&self, code: &str, name: &str, country: &str) {
        let year = chrono::Datelike::year(&self.shared.now());
        self.state(|s| {
            s.org
                .offices
                .insert(code.to_owned(), seed::office(code, name, country, year));
            for offices in s.org.users.values_mut() {
                offices.insert(code.to_owned());
            }
        });
    }

    /// Add a customer with the next free code; returns the code.
    pub fn add_customer(&self, office: &str, name: &str, vat: &str) -> Result<String, SimError> {
        self.with_office(office, |o| {
            let code = o.next_customer_code();
            let country = vat.get(..2).unwrap_or("NL");
            o.customers
                .insert(code.clone(), seed::customer(&code, name, country, vat));
            Ok(code)
        })
    }

    /// Close a period (`YYYY/MM`).
    pub fn close_period(&self, office: &str, period: &str) -> Result<(), SimError> {
        self.set_period_open(office, period, false)
    }

    /// Open or close a period.
    pub fn set_period_open(&self, office: &str, period: &str, open: bool) -> Result<(), SimError> {
        self.with_office(office, |o| {
            o.periods
                .get_mut(period)
                .ok_or_else(|| SimError::UnknownPeriod(period.to_owned()))?
                .open = open;
            Ok(())
        })
    }

    /// What a duplicate invoice number gets from now on.
    pub fn set_duplicate_invoice_check(&self, check: DuplicateCheck) {
        self.state(|s| s.duplicate_check = check);
    }

    // ------------------------------------------------------------ transactions

    /// Match (pay) a transaction's total line: `None` = fully (open 0, `matched`, matchdate
    /// `date`); `Some(x)` = a payment of |x| lowering the open value (it stays `available`
    /// until nothing is open). Returns the open value left, signed from the office's view.
    pub fn match_transaction(
        &self,
        office: &str,
        code: &str,
        number: u64,
        amount: Option<Decimal>,
        date: NaiveDate,
    ) -> Result<Decimal, SimError> {
        self.with_office(office, |o| {
            let t = o
                .transaction_mut(code, number)
                .ok_or_else(|| SimError::UnknownTransaction(code.to_owned(), number))?;
            t.open_value = match amount {
                None => Decimal::ZERO,
                Some(paid) => (t.open_value - paid.abs()).max(Decimal::ZERO),
            };
            if t.open_value.is_zero() {
                t.match_status = MatchStatus::Matched;
                t.match_date = Some(date);
            }
            Ok(t.open_value_signed())
        })
    }

    /// Delete a transaction, as a user would; returns it (its number is not reused).
    pub fn delete_transaction(
        &self,
        office: &str,
        code: &str,
        number: u64,
    ) -> Result<Transaction, SimError> {
        self.with_office(office, |o| {
            let position = o
                .transactions
                .iter()
                .position(|t| t.code == code && t.number == number)
                .ok_or_else(|| SimError::UnknownTransaction(code.to_owned(), number))?;
            Ok(o.transactions.remove(position))
        })
    }

    /// The transactions of an office in booking order (empty when it does not exist).
    pub fn transactions(&self, office: &str) -> Vec<Transaction> {
        self.state(|s| {
            s.org
                .offices
                .get(office)
                .map(|o| o.transactions.clone())
                .unwrap_or_default()
        })
    }

    /// The customers (DEB dimensions) of an office.
    pub fn dimensions(&self, office: &str) -> Vec<Customer> {
        self.state(|s| {
            s.org
                .offices
                .get(office)
                .map(|o| o.customers.values().cloned().collect())
                .unwrap_or_default()
        })
    }

    /// A copy of an office.
    pub fn office(&self, office: &str) -> Option<Office> {
        self.state(|s| s.org.offices.get(office).cloned())
    }

    // ------------------------------------------------------------ fair use

    /// Replace the fair-use limits.
    pub fn set_fair_use(&self, fair_use: FairUse) {
        self.state(|s| s.fair_use = fair_use);
    }

    /// The fair-use limits in force.
    pub fn fair_use(&self) -> FairUse {
        self.state(|s| s.fair_use)
    }

    /// Credits spent in the current minute.
    pub fn credits_this_minute(&self) -> u32 {
        let now = self.shared.now();
        self.state(|s| s.usage.spent(now))
    }

    /// Answer every SOAP call this much later (real time; the request keeps its
    /// concurrency slot meanwhile).
    pub fn set_latency(&self, latency: Duration) {
        self.state(|s| s.latency = latency);
    }

    /// While `true`, admitted SOAP requests wait (holding their slot) until released.
    pub fn hold_requests(&self, hold: bool) {
        self.shared.hold.send_replace(hold);
    }

    /// Wait until at least `n` SOAP requests are in flight (for concurrency tests).
    pub async fn wait_in_flight(&self, n: u32) {
        let mut watch = self.shared.in_flight.subscribe();
        let _ = watch.wait_for(|count| *count >= n).await;
    }

    // ------------------------------------------------------------ faults

    /// Fail the next `count` calls to `target` (`processxml`, `finder`, `token`,
    /// `accesstokenvalidation` or a path part; `None` = every SOAP call) with `status` and a
    /// SOAP fault; nothing is applied.
    pub fn fail_next(&self, count: u32, status: u16, target: Option<&str>) {
        self.set_fail_next(FailNext::new(count, status, target));
    }

    /// Arm a [`FailNext`] (e.g. with an HTML page instead of a SOAP fault).
    pub fn set_fail_next(&self, fail: FailNext) {
        self.state(|s| s.faults.fail_next = (fail.count > 0).then_some(fail));
    }

    /// Commit the next `n` ProcessXml requests with transactions, then drop the connection.
    pub fn lose_transaction_answers(&self, n: u32) {
        self.state(|s| s.faults.lose_transaction_answers = n);
    }

    /// Commit the next `n` ProcessXml requests with dimensions, then drop the connection.
    pub fn lose_dimension_answers(&self, n: u32) {
        self.state(|s| s.faults.lose_dimension_answers = n);
    }

    /// Carry out the next `n` token grants (the old refresh token is spent), then drop the
    /// connection.
    pub fn lose_token_answers(&self, n: u32) {
        self.state(|s| s.faults.lose_token_answers = n);
    }

    /// The faults armed.
    pub fn faults(&self) -> Faults {
        self.state(|s| s.faults.clone())
    }

    /// Clear every fault (latency and held requests too).
    pub fn clear_faults(&self) {
        self.state(|s| {
            s.faults = Faults::default();
            s.latency = Duration::ZERO;
        });
        self.hold_requests(false);
    }

    // ------------------------------------------------------------ statistics

    /// Call counters and credits spent.
    pub fn stats(&self) -> SimStats {
        self.state(|s| s.stats.clone())
    }

    /// Reset the call counters.
    pub fn reset_stats(&self) {
        self.state(|s| s.stats = SimStats::default());
    }
}
