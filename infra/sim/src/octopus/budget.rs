//! The daily call budget per (dossier, endpoint group), counted per Europe/Brussels calendar
//! day on the sim clock.
//!
//! The only figure the reference has is a client comment "Max 48 calls/dag" next to
//! `/buysellbookings/modified` (UNCONFIRMED, scope unknown); so by default only the
//! [`Group::Modified`] group is limited, to 48 calls a day per dossier.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Brussels;
use serde::{Deserialize, Serialize};

/// Endpoint groups that budgets and statistics count by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// `POST /authentication`.
    Authentication,
    /// `GET /dossiers`, `POST /dossiers?dossierId=`.
    Dossiers,
    /// Bookyears, journals, accounts, VAT codes.
    Reference,
    /// `GET`/`PUT /relations`.
    Relations,
    /// `POST`/`GET /buysellbookings`.
    Bookings,
    /// `GET /buysellbookings/modified`.
    Modified,
    /// `POST /reports/…`.
    Reports,
}

impl Group {
    /// Every group.
    pub const ALL: [Group; 7] = [
        Group::Authentication,
        Group::Dossiers,
        Group::Reference,
        Group::Relations,
        Group::Bookings,
        Group::Modified,
        Group::Reports,
    ];

    /// The group's name, as used in budgets, faults and messages.
    pub fn name(self) -> &'static str {
        match self {
            Group::Authentication => "authentication",
            Group::Dossiers => "dossiers",
            Group::Reference => "reference",
            Group::Relations => "relations",
            Group::Bookings => "bookings",
            Group::Modified => "modified",
            Group::Reports => "reports",
        }
    }

    /// The group with this name.
    pub fn parse(name: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == name)
    }
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The default daily budget of `/buysellbookings/modified` (UNCONFIRMED figure, see the module doc).
pub const DEFAULT_MODIFIED_CALLS_PER_DAY: u32 = 48;

/// Daily call limits per group, each applied to every dossier separately; a group not in the
/// map is unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budgets {
    /// Calls a day per dossier, by group.
    pub per_day: BTreeMap<Group, u32>,
}

impl Default for Budgets {
    /// Unlimited except [`Group::Modified`]: [`DEFAULT_MODIFIED_CALLS_PER_DAY`].
    fn default() -> Self {
        Self {
            per_day: BTreeMap::from([(Group::Modified, DEFAULT_MODIFIED_CALLS_PER_DAY)]),
        }
    }
}

impl Budgets {
    /// No limits at all.
    pub fn unlimited() -> Self {
        Self {
            per_day: BTreeMap::new(),
        }
    }
}

/// The Brussels calendar day of an instant.
pub fn brussels_day(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Brussels).date_naive()
}

/// Whole seconds (rounded up, at least 1) from `now` until the next Brussels midnight.
pub fn seconds_until_brussels_midnight(now: DateTime<Utc>) -> i64 {
    let next_day = brussels_day(now)
        .checked_add_days(Days::new(1))
        .unwrap_or(NaiveDate::MAX);
    let midnight = Brussels
        .from_local_datetime(&next_day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or(now, |m| m.with_timezone(&Utc));
    let millis = (midnight - now).num_milliseconds();
    ((millis + 999) / 1000).max(1)
}

/// Calls counted today per (dossier, group); dossier 0 for calls outside a dossier.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counters {
    used: HashMap<(i64, Group), (NaiveDate, u32)>,
}

impl Counters {
    /// Calls counted today.
    pub(crate) fn today(&self, dossier: i64, group: Group, now: DateTime<Utc>) -> u32 {
        let day = brussels_day(now);
        self.used
            .get(&(dossier, group))
            .filter(|(d, _)| *d == day)
            .map_or(0, |(_, n)| *n)
    }

    /// Count one call unless the limit is reached; `Err(limit)` when it is (not counted).
    pub(crate) fn take(
        &mut self,
        budgets: &Budgets,
        dossier: i64,
        group: Group,
        now: DateTime<Utc>,
    ) -> Result<(), u32> {
        let day = brussels_day(now);
        let entry = self.used.entry((dossier, group)).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        if let Some(limit) = budgets.per_day.get(&group)
            && entry.1 >= *limit
        {
            return Err(*limit);
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_runs_to_brussels_midnight() {
        // 2026-07-07 21:00 UTC is 23:00 in Brussels (summer time): one hour to go.
        let summer = Utc.with_ymd_and_hms(2026, 7, 7, 21, 0, 0).single();
        assert_eq!(summer.map(seconds_until_brussels_midnight), Some(3600));
        let winter = Utc.with_ymd_and_hms(2026, 1, 7, 22, 59, 30).single();
        assert_eq!(winter.map(seconds_until_brussels_midnight), Some(30));
    }
}
