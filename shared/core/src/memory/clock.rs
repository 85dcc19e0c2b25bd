//! A clock tests move by hand; sleeping on it takes no real time.

use super::lock;
use crate::Clock;
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use std::sync::Mutex;
use std::time::Duration;

/// A clock that stands still until told otherwise: tests set or advance it, and
/// [`Clock::sleep`] advances it by the duration at once (then yields to other tasks), so a
/// rate gate waiting for a quota reset in a unit test takes no real time.
///
/// Concurrent sleepers each advance the clock by their own duration.
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<ClockState>,
}

/// What the clock knows.
#[derive(Debug)]
struct ClockState {
    /// The current instant.
    now: DateTime<Utc>,
    /// Total time passed through `sleep`, so tests can assert how long something waited.
    slept: Duration,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            state: Mutex::new(ClockState {
                now: start,
                slept: Duration::ZERO,
            }),
        }
    }

    /// Moves the clock to `instant` (backwards too, to test clock skew).
    pub fn set(&self, instant: DateTime<Utc>) {
        lock(&self.state).now = instant;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut state = lock(&self.state);
        state.now = add(state.now, by);
    }

    /// Total time passed through [`Clock::sleep`] since the clock was made.
    pub fn slept(&self) -> Duration {
        lock(&self.state).slept
    }
}

impl Default for ManualClock {
    /// A clock standing at Monday 5 January 2026, 09:00 UTC.
    fn default() -> Self {
        Self::new(
            Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
                .single()
                .unwrap_or(DateTime::UNIX_EPOCH),
        )
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        lock(&self.state).now
    }

    async fn sleep(&self, duration: Duration) {
        {
            let mut state = lock(&self.state);
            state.now = add(state.now, duration);
            state.slept = state.slept.saturating_add(duration);
        }
        tokio::task::yield_now().await;
    }
}

/// `instant + by`, saturating at the latest representable instant.
fn add(instant: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(by)
        .ok()
        .and_then(|delta| instant.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn stands_still_until_moved() {
        let clock = ManualClock::new(start());
        assert_eq!(clock.now(), start());
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.now(), start());
    }

    #[test]
    fn set_and_advance_move_it() {
        let clock = ManualClock::new(start());
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), start() + TimeDelta::seconds(90));
        clock.set(start() - TimeDelta::hours(1));
        assert_eq!(clock.now(), start() - TimeDelta::hours(1));
        assert_eq!(clock.slept(), Duration::ZERO);
    }

    #[test]
    fn default_starts_on_a_known_day() {
        assert_eq!(
            ManualClock::default().now(),
            Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
        );
    }

    #[tokio::test]
    async fn sleep_advances_instantly() {
        let clock = ManualClock::new(start());
        let real = std::time::Instant::now();
        clock.sleep(Duration::from_secs(3600)).await;
        clock.sleep(Duration::from_millis(1500)).await;
        assert!(real.elapsed() < Duration::from_secs(1));
        assert_eq!(
            clock.now(),
            start() + TimeDelta::seconds(3600) + TimeDelta::milliseconds(1500)
        );
        assert_eq!(clock.slept(), Duration::from_millis(3_601_500));
    }

    #[tokio::test]
    async fn works_through_the_port() {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(start()));
        clock.sleep(Duration::from_secs(60)).await;
        assert_eq!(clock.now(), start() + TimeDelta::minutes(1));
    }

    #[tokio::test]
    async fn sleep_yields_to_other_tasks() {
        let clock = Arc::new(ManualClock::new(start()));
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let other = {
            let flag = flag.clone();
            tokio::spawn(async move { flag.store(true, std::sync::atomic::Ordering::SeqCst) })
        };
        // On the current-thread runtime the spawned task only runs when this one yields.
        clock.sleep(Duration::from_secs(1)).await;
        assert!(flag.load(std::sync::atomic::Ordering::SeqCst));
        other.await.unwrap();
    }

    #[test]
    fn huge_durations_saturate() {
        let clock = ManualClock::new(start());
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
    }
}
