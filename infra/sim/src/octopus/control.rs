//! In-process control of a running simulator: seed, inject faults, match payments, inspect.
//! [`super::SimHandle`] derefs to [`SimControl`]; the `/_sim/octopus/…` admin endpoints call
//! the same methods.

use std::collections::BTreeSet;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::budget::{Budgets, Group};
use super::faults::{FailNext, Faults};
use super::model::{Booking, BookingData, Dossier, Journal, Relation, format_timestamp};
use super::state::{Shared, SimState, SimStats, UserEntry};
use crate::common::SimClock;

/// Why a control call could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// No dossier with this id.
    #[error("dossier {0} does not exist in the Octopus simulator; seed it first")]
    UnknownDossier(i64),
    /// No bookyear with this id in the dossier.
    #[error("book year {0} does not exist in that dossier")]
    UnknownBookyear(i64),
    /// No journal with this key in the bookyear.
    #[error("journal {0} does not exist in that book year")]
    UnknownJournal(String),
    /// No period with this number in the bookyear.
    #[error("book year period {0} does not exist in that book year")]
    UnknownPeriod(i32),
    /// No booking with this key.
    #[error("booking {journal}/{document_nr} does not exist in book year {bookyear}")]
    UnknownBooking {
        /// Bookyear id.
        bookyear: i64,
        /// Journal key.
        journal: String,
        /// Document number.
        document_nr: i64,
    },
    /// No user with this name.
    #[error("user {0} does not exist")]
    UnknownUser(String),
    /// No relation with this id in the dossier.
    #[error("relation {0} does not exist in that dossier")]
    UnknownRelation(i64),
}

/// A stored booking as the admin sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookingSummary {
    /// The booking as posted.
    pub data: BookingData,
    /// What is still open, with the booking's sign (credit notes negative).
    pub open_amount: Decimal,
    /// How many attachments it has.
    pub attachments: usize,
    /// Its `modifiedTimeStamp`.
    pub modified_time_stamp: String,
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

    fn with_dossier<T>(
        &self,
        id: i64,
        f: impl FnOnce(&mut Dossier) -> Result<T, SimError>,
    ) -> Result<T, SimError> {
        self.state(|s| {
            f(s.dossiers
                .get_mut(&id)
                .ok_or(SimError::UnknownDossier(id))?)
        })
    }

    fn with_journal<T>(
        &self,
        dossier: i64,
        bookyear: i64,
        journal: &str,
        f: impl FnOnce(&mut Journal) -> T,
    ) -> Result<T, SimError> {
        self.with_dossier(dossier, |d| {
            let year = d
                .bookyear_mut(bookyear)
                .ok_or(SimError::UnknownBookyear(bookyear))?;
            let journal = year
                .journal_mut(journal)
                .ok_or_else(|| SimError::UnknownJournal(journal.to_owned()))?;
            Ok(f(journal))
        })
    }

    /// The simulator's clock (advance it for token-expiry and budget tests).
    pub fn clock(&self) -> Arc<SimClock> {
        Arc::clone(&self.shared.clock)
    }

    // ------------------------------------------------------------ seeding

    /// Add a dossier (replacing one with the same id) and give its users access.
    pub fn add_dossier(&self, dossier: Dossier) {
        self.state(|s| s.add_dossier(dossier));
    }

    /// Register a user (or change an existing one's password) with access to `dossiers`
    /// (added to any access it already has).
    pub fn add_user(&self, user: &str, password: &str, dossiers: &[i64]) {
        self.state(|s| {
            let entry = s.users.entry(user.to_owned()).or_insert_with(|| UserEntry {
                password: password.to_owned(),
                dossiers: BTreeSet::new(),
            });
            entry.password = password.to_owned();
            entry.dossiers.extend(dossiers.iter().copied());
        });
    }

    /// Change a user's password: the old credentials are refused from now on (tokens already
    /// issued live on until they expire).
    pub fn change_password(&self, user: &str, new_password: &str) -> Result<(), SimError> {
        self.state(|s| {
            let entry = s
                .users
                .get_mut(user)
                .ok_or_else(|| SimError::UnknownUser(user.to_owned()))?;
            entry.password = new_password.to_owned();
            Ok(())
        })
    }

    /// Register another software-house UUID.
    pub fn add_software_house(&self, uuid: &str) {
        self.state(|s| {
            s.software_houses.insert(uuid.to_owned());
        });
    }

    // ------------------------------------------------------------ journals and periods

    /// Lock a journal as a user working in it would: posting answers 403 "in use".
    pub fn lock_journal(&self, dossier: i64, journal: &str, by_user: &str) -> Result<(), SimError> {
        self.with_dossier(dossier, |d| {
            d.locked_journals
                .insert(journal.to_owned(), by_user.to_owned());
            Ok(())
        })
    }

    /// Release a journal lock.
    pub fn unlock_journal(&self, dossier: i64, journal: &str) -> Result<(), SimError> {
        self.with_dossier(dossier, |d| {
            d.locked_journals.remove(journal);
            Ok(())
        })
    }

    /// Show or hide a journal (hidden = created in Octopus but not yet synchronised).
    pub fn set_journal_visible(
        &self,
        dossier: i64,
        bookyear: i64,
        journal: &str,
        visible: bool,
    ) -> Result<(), SimError> {
        self.with_journal(dossier, bookyear, journal, |j| j.visible = visible)
    }

    /// Close (or reopen) a whole journal.
    pub fn set_journal_closed(
        &self,
        dossier: i64,
        bookyear: i64,
        journal: &str,
        closed: bool,
    ) -> Result<(), SimError> {
        self.with_journal(dossier, bookyear, journal, |j| j.closed = closed)
    }

    /// Set a journal's `closedPeriod` (closed up to and including `period`, 0 = none).
    pub fn set_closed_period(
        &self,
        dossier: i64,
        bookyear: i64,
        journal: &str,
        period: i32,
    ) -> Result<(), SimError> {
        self.with_journal(dossier, bookyear, journal, |j| j.closed_period = period)
    }

    /// Set a journal's `protectedPeriod` (protected up to and including `period`, 0 = none).
    pub fn set_protected_period(
        &self,
        dossier: i64,
        bookyear: i64,
        journal: &str,
        period: i32,
    ) -> Result<(), SimError> {
        self.with_journal(dossier, bookyear, journal, |j| j.protected_period = period)
    }

    /// Close one period of a bookyear for every journal.
    pub fn close_period(&self, dossier: i64, bookyear: i64, period: i32) -> Result<(), SimError> {
        self.set_period_closed(dossier, bookyear, period, true)
    }

    /// Close or reopen one period of a bookyear for every journal.
    pub fn set_period_closed(
        &self,
        dossier: i64,
        bookyear: i64,
        period: i32,
        closed: bool,
    ) -> Result<(), SimError> {
        self.with_dossier(dossier, |d| {
            let year = d
                .bookyear_mut(bookyear)
                .ok_or(SimError::UnknownBookyear(bookyear))?;
            if year.period(period).is_none() {
                return Err(SimError::UnknownPeriod(period));
            }
            if closed {
                year.closed_periods.insert(period);
            } else {
                year.closed_periods.remove(&period);
            }
            Ok(())
        })
    }

    /// Close (or reopen) a whole bookyear.
    pub fn set_bookyear_closed(
        &self,
        dossier: i64,
        bookyear: i64,
        closed: bool,
    ) -> Result<(), SimError> {
        self.with_dossier(dossier, |d| {
            d.bookyear_mut(bookyear)
                .ok_or(SimError::UnknownBookyear(bookyear))?
                .closed = closed;
            Ok(())
        })
    }

    // ------------------------------------------------------------ bookings

    /// Match (afpunten) a booking: `None` = fully matched (nothing open), `Some(x)` = a
    /// payment of |x| lowering what is open (never below zero; a credit note moves toward
    /// zero too). Returns the open amount left, with the booking's sign.
    pub fn match_booking(
        &self,
        dossier: i64,
        bookyear: i64,
        journal: &str,
        document_nr: i64,
        amount: Option<Decimal>,
    ) -> Result<Decimal, SimError> {
        self.with_dossier(dossier, |d| {
            let booking = d
                .bookings
                .iter_mut()
                .find(|b| b.is(bookyear, journal, document_nr))
                .ok_or_else(|| unknown_booking(bookyear, journal, document_nr))?;
            booking.open_amount = match amount {
                None => Decimal::ZERO,
                Some(paid) => (booking.open_amount - paid.abs()).max(Decimal::ZERO),
            };
            Ok(booking.signed_open_amount())
        })
    }

    /// Delete a booking, as a user in Octopus would; returns it. The journal's
    /// `lastBookedDocumentNr` stays where it is.
    pub fn delete_booking(
        &self,
        dossier: i64,
        bookyear: i64,
        journal: &str,
        document_nr: i64,
    ) -> Result<Booking, SimError> {
        self.with_dossier(dossier, |d| {
            let position = d
                .bookings
                .iter()
                .position(|b| b.is(bookyear, journal, document_nr))
                .ok_or_else(|| unknown_booking(bookyear, journal, document_nr))?;
            Ok(d.bookings.remove(position))
        })
    }

    /// One stored booking with its attachments.
    pub fn booking(
        &self,
        dossier: i64,
        bookyear: i64,
        journal: &str,
        document_nr: i64,
    ) -> Option<Booking> {
        self.state(|s| {
            s.dossiers
                .get(&dossier)?
                .bookings
                .iter()
                .find(|b| b.is(bookyear, journal, document_nr))
                .cloned()
        })
    }

    /// Every stored booking of a dossier (empty when it does not exist), in posting order.
    pub fn bookings(&self, dossier: i64) -> Vec<BookingSummary> {
        self.state(|s| {
            s.dossiers
                .get(&dossier)
                .map(|d| {
                    d.bookings
                        .iter()
                        .map(|b| BookingSummary {
                            data: b.data.clone(),
                            open_amount: b.signed_open_amount(),
                            attachments: b.attachments.len(),
                            modified_time_stamp: format_timestamp(b.modified),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Seed a client relation (a user's customer, known before Koppel ran); returns its id.
    pub fn add_relation(
        &self,
        dossier: i64,
        name: &str,
        vat_nr: Option<&str>,
    ) -> Result<i64, SimError> {
        let now = format_timestamp(koppel_core::Clock::now(self.shared.clock.as_ref()));
        self.with_dossier(dossier, |d| {
            let id = d.next_relation_id();
            let mut relation = Relation::client(id, name, vat_nr);
            relation.modified_time_stamp = Some(now);
            d.relations.push(relation);
            Ok(id)
        })
    }

    /// Change a relation in place (a test giving it what `add_relation` does not set: a
    /// private VAT type, a first name, a phone number).
    pub fn update_relation(
        &self,
        dossier: i64,
        id: i64,
        change: impl FnOnce(&mut Relation),
    ) -> Result<(), SimError> {
        self.with_dossier(dossier, |d| {
            let relation = d
                .relations
                .iter_mut()
                .find(|r| r.id() == id)
                .ok_or(SimError::UnknownRelation(id))?;
            change(relation);
            Ok(())
        })
    }

    /// The relations of a dossier (empty when it does not exist).
    pub fn relations(&self, dossier: i64) -> Vec<Relation> {
        self.state(|s| {
            s.dossiers
                .get(&dossier)
                .map(|d| d.relations.clone())
                .unwrap_or_default()
        })
    }

    /// A copy of a dossier with everything in it.
    pub fn dossier(&self, id: i64) -> Option<Dossier> {
        self.state(|s| s.dossiers.get(&id).cloned())
    }

    /// Ids of all dossiers.
    pub fn dossier_ids(&self) -> Vec<i64> {
        self.state(|s| s.dossiers.keys().copied().collect())
    }

    /// A journal of a bookyear as it stands (hidden ones included).
    pub fn journal(&self, dossier: i64, bookyear: i64, journal: &str) -> Option<Journal> {
        self.state(|s| {
            s.dossiers
                .get(&dossier)?
                .bookyear(bookyear)?
                .journal(journal)
                .cloned()
        })
    }

    // ------------------------------------------------------------ budgets

    /// Set (`Some`) or lift (`None`) the daily limit of a group (for every dossier).
    pub fn set_budget(&self, group: Group, per_day: Option<u32>) {
        self.state(|s| match per_day {
            Some(limit) => {
                s.budgets.per_day.insert(group, limit);
            }
            None => {
                s.budgets.per_day.remove(&group);
            }
        });
    }

    /// Replace every budget.
    pub fn set_budgets(&self, budgets: Budgets) {
        self.state(|s| s.budgets = budgets);
    }

    /// The budgets in force.
    pub fn budgets(&self) -> Budgets {
        self.state(|s| s.budgets.clone())
    }

    /// Calls of `group` counted today (Brussels day) for `dossier` (0 for `/authentication`
    /// and `GET /dossiers`).
    pub fn calls_today(&self, dossier: i64, group: Group) -> u32 {
        let now = self.shared.now();
        self.state(|s| s.counters.today(dossier, group, now))
    }

    // ------------------------------------------------------------ faults

    /// Fail the next `count` calls of a group (e.g. "bookings") or whose path contains
    /// `target` (`None` = any call) with `status` and a JSON error body; nothing is applied.
    pub fn fail_next(&self, target: Option<&str>, status: u16, count: u32) {
        self.set_fail_next(FailNext::new(target, status, count));
    }

    /// Arm a [`FailNext`] (e.g. with an HTML page instead of a JSON body).
    pub fn set_fail_next(&self, fail: FailNext) {
        self.state(|s| s.faults.fail_next = (fail.count > 0).then_some(fail));
    }

    /// Store the next `count` valid bookings but drop the connection before the answer.
    pub fn lose_booking_answers(&self, count: u32) {
        self.state(|s| s.faults.lose_booking_answers = count);
    }

    /// Create the next `count` relations but drop the connection before the answer.
    pub fn lose_relation_answers(&self, count: u32) {
        self.state(|s| s.faults.lose_relation_answers = count);
    }

    /// Invalidate every token issued so far (user and dossier tokens).
    pub fn expire_tokens(&self) {
        self.state(|s| {
            s.user_tokens.clear();
            s.dossier_tokens.clear();
        });
    }

    /// The faults armed.
    pub fn faults(&self) -> Faults {
        self.state(|s| s.faults.clone())
    }

    /// Clear every fault.
    pub fn clear_faults(&self) {
        self.state(|s| s.faults = Faults::default());
    }

    // ------------------------------------------------------------ statistics

    /// Call counters.
    pub fn stats(&self) -> SimStats {
        self.state(|s| s.stats.clone())
    }

    /// Reset the call counters (not the daily budget counters).
    pub fn reset_stats(&self) {
        self.state(|s| s.stats = SimStats::default());
    }
}

fn unknown_booking(bookyear: i64, journal: &str, document_nr: i64) -> SimError {
    SimError::UnknownBooking {
        bookyear,
        journal: journal.to_owned(),
        document_nr,
    }
}
