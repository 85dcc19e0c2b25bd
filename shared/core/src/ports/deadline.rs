//! The invocation deadline, in the time of the [`Clock`] the job runs on.
//!
//! Lambda kills an invocation at its deadline, whatever it is doing. So a job stops taking
//! work a margin before it, and no wait (a rate-limit window, a backoff) may run past it: a
//! wait longer than the time left becomes [`crate::ExternalError::NoTimeLeft`] and the job
//! hands over to a continuation message. Measuring in clock time (not the machine's
//! `Instant`) keeps tests on an accelerated or virtual clock faithful to production.

use crate::Clock;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// When the current invocation must have handed over its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// The instant the invocation is killed, `None` when it never is.
    hard: Option<DateTime<Utc>>,
    /// How long before `hard` no new unit of work starts (room for one document and the
    /// hand-over itself).
    margin: Duration,
}

impl Deadline {
    /// The invocation is killed at `hard`; work stops `margin` before it.
    pub fn at(hard: DateTime<Utc>, margin: Duration) -> Self {
        Self {
            hard: Some(hard),
            margin,
        }
    }

    /// `budget` of clock time from `now`, work stopping `margin` before its end.
    pub fn after(now: DateTime<Utc>, budget: Duration, margin: Duration) -> Self {
        Self::at(now + to_chrono(budget), margin)
    }

    /// No deadline (tests that want the whole job in one go).
    pub fn none() -> Self {
        Self {
            hard: None,
            margin: Duration::ZERO,
        }
    }

    /// The instant the invocation is killed, if it ever is.
    pub fn hard(&self) -> Option<DateTime<Utc>> {
        self.hard
    }

    /// The instant after which no new unit of work (and no wait) may start.
    pub fn stop_at(&self) -> Option<DateTime<Utc>> {
        self.hard.map(|hard| hard - to_chrono(self.margin))
    }

    /// True when no new unit of work should be started at `now`.
    pub fn is_near_at(&self, now: DateTime<Utc>) -> bool {
        self.stop_at().is_some_and(|stop| now >= stop)
    }

    /// True when no new unit of work should be started now.
    pub fn is_near(&self, clock: &dyn Clock) -> bool {
        self.is_near_at(clock.now())
    }

    /// True when a wait from `now` until `until` still ends before the stop instant.
    pub fn allows_wait_until(&self, now: DateTime<Utc>, until: DateTime<Utc>) -> bool {
        match self.stop_at() {
            None => true,
            Some(stop) => until <= stop || until <= now,
        }
    }
}

impl Default for Deadline {
    fn default() -> Self {
        Self::none()
    }
}

fn to_chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::ManualClock;
    use chrono::TimeZone;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap()
    }

    #[test]
    fn work_stops_a_margin_before_the_hard_deadline_in_clock_time() {
        let clock = ManualClock::new(start());
        let deadline = Deadline::after(start(), Duration::from_secs(900), Duration::from_secs(60));
        assert!(!deadline.is_near(&clock));
        clock.advance(Duration::from_secs(839));
        assert!(!deadline.is_near(&clock));
        clock.advance(Duration::from_secs(1));
        assert!(deadline.is_near(&clock));
        assert_eq!(
            deadline.hard(),
            Some(start() + chrono::Duration::seconds(900))
        );
    }

    #[test]
    fn a_wait_past_the_stop_instant_is_not_allowed() {
        let deadline = Deadline::after(start(), Duration::from_secs(120), Duration::from_secs(60));
        let now = start() + chrono::Duration::seconds(30);
        assert!(deadline.allows_wait_until(now, now + chrono::Duration::seconds(30)));
        assert!(!deadline.allows_wait_until(now, now + chrono::Duration::seconds(31)));
        assert!(Deadline::none().allows_wait_until(now, now + chrono::Duration::days(1)));
    }
}
