//! Obeying an API's own rate-limit headers.
//!
//! A [`RateLimitPolicy`] reads one API's headers into [`WindowObservation`]s (one sliding
//! minute window for some APIs, a minute and a day window for others); each API's client
//! supplies its own policy, built with the header helpers here. The [`RateGate`] keeps the
//! latest state per window and, before each request, waits on the [`Clock`] while a window
//! is spent; every request sent lowers the expected remaining count, so tasks sharing one
//! gate do not all fire into a window that only has a few requests left. After a 429 it
//! waits until the window resets (or backs off when the answer names no reset). A wait longer
//! than [`RateGateConfig::max_wait`] (a spent daily quota) is not slept through: it becomes
//! [`ExternalError::QuotaExhausted`] so the job continues later; a wait that would run past
//! the invocation's [`Deadline`] becomes [`ExternalError::NoTimeLeft`] so the job hands over
//! to a continuation instead of being killed mid-wait.

use chrono::{DateTime, TimeZone, Utc};
use koppel_core::{Clock, Deadline, ExternalError};
use rand::Rng;
use reqwest::header::HeaderMap;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What one response said about one rate window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowObservation {
    /// Which window ("minute", "day").
    pub window: &'static str,
    /// Requests allowed per window, when sent.
    pub limit: Option<u64>,
    /// Requests left in the window, when sent.
    pub remaining: Option<u64>,
    /// When the window resets, when sent.
    pub reset: Option<DateTime<Utc>>,
}

/// Reads one API's rate-limit headers.
pub trait RateLimitPolicy: Send + Sync {
    /// The windows described by `headers` (empty when the response carries none).
    fn observe(&self, headers: &HeaderMap) -> Vec<WindowObservation>;
}

/// For APIs without rate headers: the gate only reacts to 429 with backoff.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRateHeaders;

impl RateLimitPolicy for NoRateHeaders {
    fn observe(&self, _headers: &HeaderMap) -> Vec<WindowObservation> {
        Vec::new()
    }
}

/// For APIs that say only `Retry-After` (seconds) on a 429: the `window` is spent until then.
/// A wait longer than the gate's maximum (a daily budget spent) becomes
/// [`ExternalError::QuotaExhausted`]; a short one (a minute's credits, a concurrency limit)
/// is slept through on the clock.
#[derive(Clone)]
pub struct RetryAfter {
    /// To turn seconds into an instant.
    pub clock: Arc<dyn Clock>,
    /// The window it names ("minute", "day").
    pub window: &'static str,
}

impl RateLimitPolicy for RetryAfter {
    fn observe(&self, headers: &HeaderMap) -> Vec<WindowObservation> {
        let Some(seconds) = number(headers, "retry-after") else {
            return Vec::new();
        };
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX / 1_000);
        vec![WindowObservation {
            window: self.window,
            limit: None,
            remaining: Some(0),
            reset: Some(self.clock.now() + chrono::Duration::seconds(seconds)),
        }]
    }
}

/// `observation` when the response said anything about its window.
pub fn keep_if_any(observation: WindowObservation) -> Option<WindowObservation> {
    (observation.limit.is_some() || observation.remaining.is_some() || observation.reset.is_some())
        .then_some(observation)
}

/// A header map from name/value pairs (tests and simulators describe answers this way);
/// pairs that are not valid header names or values are left out.
pub fn header_map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_bytes()),
            reqwest::header::HeaderValue::from_str(value),
        ) {
            map.insert(name, value);
        }
    }
    map
}

/// A header's trimmed text.
pub fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
}

/// A header's value as a whole number.
pub fn number(headers: &HeaderMap, name: &str) -> Option<u64> {
    text(headers, name).and_then(|value| value.parse().ok())
}

/// An instant given as epoch milliseconds.
pub fn epoch_millis(millis: u64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(i64::try_from(millis).ok()?)
        .single()
}

/// An ISO-8601 datetime; tolerates epoch seconds as a fallback.
pub fn parse_iso_or_epoch(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    let seconds: i64 = value.parse().ok()?;
    Utc.timestamp_opt(seconds, 0).single()
}

/// Tuning of a [`RateGate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateGateConfig {
    /// Longest wait the gate sleeps through; a longer one is [`ExternalError::QuotaExhausted`].
    pub max_wait: Duration,
    /// Added after a reset instant (header precision, clock skew).
    pub reset_margin: Duration,
    /// First backoff after a 429 without a usable reset header; doubles per 429.
    pub backoff_base: Duration,
    /// Backoff ceiling after a 429 without a usable reset header.
    pub backoff_max: Duration,
    /// 429 answers tolerated for one request before giving up as `Unavailable`.
    pub max_throttled: u32,
}

impl Default for RateGateConfig {
    /// Sleep through waits up to 5 minutes, 1 s margin, 2 s → 60 s backoff, 10 throttles.
    fn default() -> Self {
        Self {
            max_wait: Duration::from_secs(300),
            reset_margin: Duration::from_secs(1),
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(60),
            max_throttled: 10,
        }
    }
}

/// Counters of a gate, for reports and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateStats {
    /// Requests let through.
    pub requests_sent: u64,
    /// 429 answers seen.
    pub throttled: u64,
    /// Total time spent waiting (clock time).
    pub waited: Duration,
    /// Waits refused because they were longer than [`RateGateConfig::max_wait`] (a spent
    /// daily quota): each became [`ExternalError::QuotaExhausted`]. The job metrics read it
    /// to tell a run paused by a spent quota from one paused by an outage.
    pub quota_exhausted: u64,
}

/// One API's rate state, shared by every request of a connection. Cheap to clone; clones
/// share state and counters.
#[derive(Clone)]
pub struct RateGate {
    inner: Arc<GateInner>,
}

struct GateInner {
    system: &'static str,
    policy: Box<dyn RateLimitPolicy>,
    clock: Arc<dyn Clock>,
    config: RateGateConfig,
    state: Mutex<GateState>,
    sent: AtomicU64,
    throttled: AtomicU64,
    waited_micros: AtomicU64,
    quota_exhausted: AtomicU64,
}

#[derive(Default)]
struct GateState {
    windows: BTreeMap<&'static str, Window>,
    /// Set after a 429: nobody sends before this instant.
    blocked_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Window {
    limit: Option<u64>,
    remaining: Option<u64>,
    reset: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for RateGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateGate")
            .field("system", &self.inner.system)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl RateGate {
    /// A gate for `system` reading headers with `policy`, sleeping on `clock`.
    pub fn new(
        system: &'static str,
        policy: impl RateLimitPolicy + 'static,
        clock: Arc<dyn Clock>,
        config: RateGateConfig,
    ) -> Self {
        let gate = Self {
            inner: Arc::new(GateInner {
                system,
                policy: Box::new(policy),
                clock,
                config,
                state: Mutex::new(GateState::default()),
                sent: AtomicU64::new(0),
                throttled: AtomicU64::new(0),
                waited_micros: AtomicU64::new(0),
                quota_exhausted: AtomicU64::new(0),
            }),
        };
        record_made(&gate);
        gate
    }

    /// A gate for an API without rate headers (only 429 backoff).
    pub fn unlimited(system: &'static str, clock: Arc<dyn Clock>) -> Self {
        Self::new(system, NoRateHeaders, clock, RateGateConfig::default())
    }

    /// Counters so far.
    pub fn stats(&self) -> RateStats {
        RateStats {
            requests_sent: self.inner.sent.load(Ordering::Relaxed),
            throttled: self.inner.throttled.load(Ordering::Relaxed),
            waited: Duration::from_micros(self.inner.waited_micros.load(Ordering::Relaxed)),
            quota_exhausted: self.inner.quota_exhausted.load(Ordering::Relaxed),
        }
    }

    /// The API this gate is for (its name as users know it).
    pub fn system(&self) -> &'static str {
        self.inner.system
    }

    /// The smallest number of requests any known window still allows right now, `None` when
    /// the API has not said (no rate headers seen yet, or only a `Retry-After` whose wait is
    /// over). A window whose reset has passed counts as refilled to its limit. This is what
    /// the job metrics report as the quota left at the end of an invocation: for an API with
    /// a minute and a day window it is whichever is closer to empty.
    pub fn quota_left(&self) -> Option<u64> {
        let now = self.inner.clock.now();
        self.lock()
            .windows
            .values()
            .filter_map(|window| match window.reset {
                Some(reset) if reset <= now => window.limit,
                _ => window.remaining,
            })
            .min()
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // A panic while holding the lock leaves plain numbers behind: keep using them.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wait (on the clock) until a request may be sent, then count it as sent. Fails with
    /// [`ExternalError::QuotaExhausted`] when the wait would exceed the configured maximum,
    /// and with [`ExternalError::NoTimeLeft`] when it would run past `deadline`.
    pub async fn acquire(&self, deadline: &Deadline) -> Result<(), ExternalError> {
        loop {
            let now = self.inner.clock.now();
            let until = {
                let mut state = self.lock();
                match state.blocking_instant(now) {
                    None => {
                        state.spend_one();
                        self.inner.sent.fetch_add(1, Ordering::Relaxed);
                        return Ok(());
                    }
                    Some(until) => until,
                }
            };
            self.wait_until(now, until, true, deadline).await?;
        }
    }

    /// Feed a response's headers into the state (every response, 429s included).
    pub fn observe(&self, headers: &HeaderMap) {
        let observations = self.inner.policy.observe(headers);
        if observations.is_empty() {
            return;
        }
        let mut state = self.lock();
        for observation in observations {
            state
                .windows
                .entry(observation.window)
                .or_default()
                .update(&observation);
        }
    }

    /// After the `count`-th 429 for one request: record it, then wait until the spent window
    /// resets (or back off when no reset is known). Errors when the wait is too long
    /// ([`ExternalError::QuotaExhausted`]), runs past `deadline` ([`ExternalError::NoTimeLeft`])
    /// or after too many 429s ([`ExternalError::Unavailable`]).
    pub async fn throttled(
        &self,
        headers: &HeaderMap,
        count: u32,
        deadline: &Deadline,
    ) -> Result<(), ExternalError> {
        self.inner.throttled.fetch_add(1, Ordering::Relaxed);
        self.observe(headers);
        if count > self.inner.config.max_throttled {
            return Err(ExternalError::Unavailable {
                system: self.inner.system,
                detail: format!("still rate-limited (HTTP 429) after {} waits", count - 1),
            });
        }
        let now = self.inner.clock.now();
        let until = {
            let mut state = self.lock();
            let spent_reset = state
                .windows
                .values()
                .filter(|window| window.remaining == Some(0))
                .filter_map(|window| window.reset)
                .filter(|reset| *reset > now)
                .max();
            let until = spent_reset.unwrap_or_else(|| now + to_chrono(self.backoff(count)));
            state.blocked_until = Some(
                state
                    .blocked_until
                    .map_or(until, |blocked| blocked.max(until)),
            );
            (until, spent_reset.is_some())
        };
        let (until, reset_known) = until;
        tracing::info!(system = self.inner.system, count, until = %until, "rate-limited (429), waiting");
        self.wait_until(now, until, reset_known, deadline).await
    }

    fn backoff(&self, count: u32) -> Duration {
        let config = &self.inner.config;
        let exponent = count.saturating_sub(1).min(16);
        let ceiling = config
            .backoff_base
            .saturating_mul(1u32 << exponent)
            .min(config.backoff_max);
        // Half fixed, half jitter: never zero, never in lockstep.
        let half = ceiling / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis().min(u64::MAX as u128) as u64);
        half + Duration::from_millis(jitter)
    }

    /// Sleep from `now` until `until` (+ margin and a little jitter when `margin`), unless
    /// that is longer than the maximum wait or runs past the deadline.
    async fn wait_until(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        margin: bool,
        deadline: &Deadline,
    ) -> Result<(), ExternalError> {
        let config = &self.inner.config;
        let mut wait = (until - now).to_std().unwrap_or_default();
        if margin {
            let jitter_ms = rand::rng()
                .random_range(0..=config.reset_margin.as_millis().min(10_000) as u64 / 2);
            wait += config.reset_margin + Duration::from_millis(jitter_ms);
        }
        if wait > config.max_wait {
            self.inner.quota_exhausted.fetch_add(1, Ordering::Relaxed);
            return Err(ExternalError::QuotaExhausted {
                system: self.inner.system,
                until,
            });
        }
        let wake = now + to_chrono(wait);
        if !deadline.allows_wait_until(now, wake) {
            tracing::info!(
                system = self.inner.system,
                until = %wake,
                "the wait would run past the invocation's deadline; handing over"
            );
            return Err(ExternalError::NoTimeLeft {
                system: self.inner.system,
                until: wake,
            });
        }
        tracing::debug!(
            system = self.inner.system,
            wait_ms = wait.as_millis() as u64,
            "rate gate waiting"
        );
        self.inner.clock.sleep(wait).await;
        self.inner.waited_micros.fetch_add(
            wait.as_micros().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
        Ok(())
    }
}

thread_local! {
    /// The gates made on this thread while [`gates_made_by`] runs, one list per call (the
    /// calls nest: the innermost list gets the gate, and hands it on to the outer one).
    static MADE: RefCell<Vec<Vec<RateGate>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `make` and returns what it returns together with every [`RateGate`] created while it
/// ran (on this thread; clones of a gate are not new gates).
///
/// Why: the connector opens a connection's ledger through the ledger's plug-in, which builds
/// its own clients and gates; the connector keeps the gates it finds here to report, after
/// the invocation, how many requests the ledger got, how many were answered 429 and how much
/// of its quota is left — without every plug-in having to hand its gates out. A plug-in's
/// `open` is synchronous, so everything it builds is built inside `make` on this thread; a
/// gate made later (lazily, in an async call) would not be found.
pub fn gates_made_by<R>(make: impl FnOnce() -> R) -> (R, Vec<RateGate>) {
    /// Drops this call's list even when `make` panics, so a later gate is never kept in a
    /// list nobody reads.
    struct Frame(usize);
    impl Drop for Frame {
        fn drop(&mut self) {
            // Runs during thread teardown at worst: nothing to do then.
            let _ = MADE.try_with(|made| made.borrow_mut().truncate(self.0));
        }
    }
    let depth = MADE.with(|made| {
        let mut made = made.borrow_mut();
        made.push(Vec::new());
        made.len() - 1
    });
    let frame = Frame(depth);
    let result = make();
    let gates = MADE.with(|made| {
        let mut made = made.borrow_mut();
        let gates = made.get_mut(depth).map(std::mem::take).unwrap_or_default();
        if let Some(outer) = depth.checked_sub(1).and_then(|outer| made.get_mut(outer)) {
            outer.extend(gates.iter().cloned());
        }
        gates
    });
    drop(frame);
    (result, gates)
}

/// Notes a new gate in the innermost running [`gates_made_by`] call, if any.
fn record_made(gate: &RateGate) {
    // During thread teardown nobody is collecting.
    let _ = MADE.try_with(|made| {
        if let Some(list) = made.borrow_mut().last_mut() {
            list.push(gate.clone());
        }
    });
}

fn to_chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

impl GateState {
    /// The instant to wait for before sending at `now`, `None` when a request may go.
    /// Windows whose reset passed are refilled first.
    fn blocking_instant(&mut self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut until = self.blocked_until.filter(|blocked| *blocked > now);
        for window in self.windows.values_mut() {
            match window.reset {
                Some(reset) if reset <= now => {
                    window.remaining = window.limit;
                    window.reset = None;
                }
                Some(reset) if window.remaining == Some(0) => {
                    until = Some(until.map_or(reset, |current| current.max(reset)));
                }
                _ => {}
            }
        }
        until
    }

    fn spend_one(&mut self) {
        for window in self.windows.values_mut() {
            if let Some(remaining) = window.remaining.as_mut() {
                *remaining = remaining.saturating_sub(1);
            }
        }
    }
}

impl Window {
    fn update(&mut self, observation: &WindowObservation) {
        if observation.limit.is_some() {
            self.limit = observation.limit;
        }
        if let Some(remaining) = observation.remaining {
            // Within the same window, answers of concurrent requests arrive out of order:
            // keep the lowest count (our own expectation included).
            let same_window = observation.reset.is_none() || observation.reset == self.reset;
            self.remaining = match self.remaining {
                Some(expected) if same_window => Some(expected.min(remaining)),
                _ => Some(remaining),
            };
        }
        if observation.reset.is_some() {
            self.reset = observation.reset;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::memory::ManualClock;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        header_map(pairs)
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// A minute and a day window with reset instants in epoch milliseconds.
    struct TwoWindows;

    impl RateLimitPolicy for TwoWindows {
        fn observe(&self, headers: &HeaderMap) -> Vec<WindowObservation> {
            let window = |window, prefix: &str| WindowObservation {
                window,
                limit: number(headers, &format!("{prefix}-limit")),
                remaining: number(headers, &format!("{prefix}-remaining")),
                reset: number(headers, &format!("{prefix}-reset")).and_then(epoch_millis),
            };
            [window("minute", "x-minute"), window("day", "x-day")]
                .into_iter()
                .filter_map(keep_if_any)
                .collect()
        }
    }

    #[test]
    fn header_helpers_read_numbers_and_instants() {
        let map = headers(&[
            ("X-Minute-Remaining", " 17 "),
            ("X-Reset", "2026-02-08T11:09:08+00:00"),
            ("X-Epoch", "1638447360"),
        ]);
        assert_eq!(number(&map, "x-minute-remaining"), Some(17));
        assert_eq!(
            text(&map, "x-reset").and_then(parse_iso_or_epoch),
            Some(at("2026-02-08T11:09:08Z"))
        );
        assert_eq!(
            text(&map, "x-epoch").and_then(parse_iso_or_epoch),
            Some(at("2021-12-02T12:16:00Z"))
        );
        assert_eq!(
            epoch_millis(1638447360000),
            Some(at("2021-12-02T12:16:00Z"))
        );
        assert!(TwoWindows.observe(&HeaderMap::new()).is_empty());
    }

    fn gate(clock: &Arc<ManualClock>) -> RateGate {
        RateGate::new(
            "Books",
            TwoWindows,
            clock.clone(),
            RateGateConfig::default(),
        )
    }

    #[tokio::test]
    async fn expected_remaining_is_spent_then_waited_for() {
        let clock = Arc::new(ManualClock::default());
        let gate = gate(&clock);
        let reset = clock.now() + chrono::Duration::seconds(40);
        gate.observe(&headers(&[
            ("X-Minute-Limit", "60"),
            ("X-Minute-Remaining", "2"),
            ("X-Minute-Reset", &reset.timestamp_millis().to_string()),
        ]));
        gate.acquire(&Deadline::none()).await.unwrap();
        gate.acquire(&Deadline::none()).await.unwrap();
        assert_eq!(clock.slept(), Duration::ZERO, "two requests were left");
        gate.acquire(&Deadline::none()).await.unwrap();
        assert!(clock.now() > reset, "the third waits for the reset");
        assert!(clock.slept() >= Duration::from_secs(40));
        assert_eq!(gate.stats().requests_sent, 3);
        assert_eq!(gate.stats().waited, clock.slept());
        // Refilled to the limit after the reset: no more waiting.
        let slept = clock.slept();
        gate.acquire(&Deadline::none()).await.unwrap();
        assert_eq!(clock.slept(), slept);
    }

    #[tokio::test]
    async fn stale_higher_counts_do_not_raise_the_expectation() {
        let clock = Arc::new(ManualClock::default());
        let gate = gate(&clock);
        let reset = (clock.now() + chrono::Duration::seconds(40))
            .timestamp_millis()
            .to_string();
        let answer = |remaining: &str| {
            headers(&[
                ("X-Minute-Remaining", remaining),
                ("X-Minute-Reset", &reset),
            ])
        };
        gate.observe(&answer("1"));
        gate.observe(&answer("5")); // an older answer arriving late
        gate.acquire(&Deadline::none()).await.unwrap();
        assert_eq!(clock.slept(), Duration::ZERO);
        gate.acquire(&Deadline::none()).await.unwrap();
        assert!(clock.slept() >= Duration::from_secs(40));
    }

    #[tokio::test]
    async fn spent_daily_quota_is_quota_exhausted() {
        let clock = Arc::new(ManualClock::default());
        let gate = gate(&clock);
        let reset = clock.now() + chrono::Duration::hours(6);
        gate.observe(&headers(&[
            ("X-Day-Remaining", "0"),
            ("X-Day-Reset", &reset.timestamp_millis().to_string()),
        ]));
        let error = gate.acquire(&Deadline::none()).await.unwrap_err();
        assert_eq!(
            error,
            ExternalError::QuotaExhausted {
                system: "Books",
                until: reset
            }
        );
        assert_eq!(clock.slept(), Duration::ZERO, "never sleeps through a day");
        assert_eq!(gate.stats().requests_sent, 0);
        assert_eq!(
            gate.stats().quota_exhausted,
            1,
            "counted for the job metrics"
        );
        assert_eq!(gate.quota_left(), Some(0));
    }

    #[tokio::test]
    async fn quota_left_is_the_closest_to_empty_window_and_refills_at_its_reset() {
        let clock = Arc::new(ManualClock::default());
        let gate = gate(&clock);
        assert_eq!(gate.quota_left(), None, "nothing said yet");
        let minute_reset = clock.now() + chrono::Duration::seconds(40);
        let day_reset = clock.now() + chrono::Duration::hours(6);
        gate.observe(&headers(&[
            ("X-Minute-Limit", "60"),
            ("X-Minute-Remaining", "50"),
            (
                "X-Minute-Reset",
                &minute_reset.timestamp_millis().to_string(),
            ),
            ("X-Day-Limit", "5000"),
            ("X-Day-Remaining", "12"),
            ("X-Day-Reset", &day_reset.timestamp_millis().to_string()),
        ]));
        assert_eq!(gate.quota_left(), Some(12), "the day is closer to empty");
        gate.acquire(&Deadline::none()).await.unwrap();
        assert_eq!(gate.quota_left(), Some(11), "every request sent lowers it");
        clock.advance(Duration::from_secs(7 * 3600));
        assert_eq!(
            gate.quota_left(),
            Some(60),
            "both windows reset: each is back to its limit"
        );
    }

    #[test]
    fn gates_made_by_finds_the_gates_made_inside_and_only_those() {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::default());
        let before = RateGate::unlimited("Before", clock.clone());
        let ((), outer) = gates_made_by(|| {
            let ((), inner) = gates_made_by(|| {
                let reads = RateGate::unlimited("Books", clock.clone());
                let _writes = reads.clone(); // a clone shares the gate: not a new one
            });
            assert_eq!(
                inner.iter().map(RateGate::system).collect::<Vec<_>>(),
                ["Books"]
            );
            let _ = RateGate::unlimited("Files", clock.clone());
        });
        assert_eq!(
            outer.iter().map(RateGate::system).collect::<Vec<_>>(),
            ["Books", "Files"],
            "the outer call also sees what the inner one found"
        );
        let ((), after) = gates_made_by(|| ());
        assert!(after.is_empty(), "nothing left over from earlier calls");
        let _ = RateGate::unlimited("Outside", clock.clone());
        let panicked = std::panic::catch_unwind(|| {
            gates_made_by(|| {
                let _ = RateGate::unlimited("Panics", Arc::new(ManualClock::default()));
                panic!("a plug-in that panics while opening");
            })
        });
        assert!(panicked.is_err());
        let ((), clean) = gates_made_by(|| ());
        assert!(clean.is_empty(), "a panic leaves no list behind");
        drop(before);
    }

    #[tokio::test]
    async fn throttle_without_headers_backs_off_and_is_bounded() {
        let clock = Arc::new(ManualClock::default());
        let config = RateGateConfig {
            max_throttled: 3,
            ..RateGateConfig::default()
        };
        let gate = RateGate::new("Books", TwoWindows, clock.clone(), config);
        for count in 1..=3 {
            let before = clock.slept();
            gate.throttled(&HeaderMap::new(), count, &Deadline::none())
                .await
                .unwrap();
            let waited = clock.slept() - before;
            let ceiling = config.backoff_base * (1 << (count - 1));
            assert!(
                waited >= ceiling / 2 && waited <= ceiling,
                "wait {waited:?} for 429 #{count}"
            );
        }
        let error = gate
            .throttled(&HeaderMap::new(), 4, &Deadline::none())
            .await
            .unwrap_err();
        assert!(
            matches!(error, ExternalError::Unavailable { .. }),
            "{error:?}"
        );
        assert_eq!(gate.stats().throttled, 4);
    }

    #[tokio::test]
    async fn throttle_blocks_other_senders_until_the_reset() {
        let clock = Arc::new(ManualClock::default());
        let gate = gate(&clock);
        let reset = clock.now() + chrono::Duration::seconds(25);
        let spent = headers(&[
            ("X-Minute-Remaining", "0"),
            ("X-Minute-Reset", &reset.timestamp_millis().to_string()),
        ]);
        gate.throttled(&spent, 1, &Deadline::none()).await.unwrap();
        assert!(clock.now() > reset);
        assert!(gate.acquire(&Deadline::none()).await.is_ok());
    }

    #[tokio::test]
    async fn a_wait_past_the_deadline_hands_over_instead_of_sleeping() {
        let clock = Arc::new(ManualClock::default());
        let gate = gate(&clock);
        let reset = clock.now() + chrono::Duration::seconds(40);
        gate.observe(&headers(&[
            ("X-Minute-Remaining", "0"),
            ("X-Minute-Reset", &reset.timestamp_millis().to_string()),
        ]));
        let deadline = Deadline::after(
            clock.now(),
            Duration::from_secs(60),
            Duration::from_secs(30),
        );
        let error = gate.acquire(&deadline).await.unwrap_err();
        assert!(
            matches!(error, ExternalError::NoTimeLeft { system: "Books", until } if until > reset),
            "{error:?}"
        );
        assert_eq!(
            clock.slept(),
            Duration::ZERO,
            "never sleeps into the deadline"
        );
        // With time enough, the same wait is slept through.
        let roomy = Deadline::after(
            clock.now(),
            Duration::from_secs(600),
            Duration::from_secs(60),
        );
        gate.acquire(&roomy).await.unwrap();
        assert!(clock.now() > reset);
    }
}
