//! Time, as a port: tests and the demo run the clock faster; the rate gates sleep on it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// A source of "now" and a way to wait.
#[async_trait]
pub trait Clock: Send + Sync {
    /// The current instant (UTC).
    fn now(&self) -> DateTime<Utc>;
    /// Wait for `duration` of this clock's time.
    async fn sleep(&self, duration: Duration);
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A clock that runs `factor` times faster than real time from a starting instant, so an
/// hour of quota windows passes in seconds. The simulators take the same factor, so both
/// sides agree on what time it is.
#[derive(Debug, Clone)]
pub struct ScaledClock {
    origin_real: std::time::Instant,
    origin: DateTime<Utc>,
    factor: f64,
    /// Jumps made with [`ScaledClock::advance`], in microseconds (shared by clones).
    jumped_us: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl ScaledClock {
    /// A clock starting at `origin` running `factor` times faster (factor ≥ 1).
    pub fn new(origin: DateTime<Utc>, factor: f64) -> Self {
        Self {
            origin_real: std::time::Instant::now(),
            origin,
            factor: factor.max(1.0),
            jumped_us: Default::default(),
        }
    }

    /// Jump ahead by `by` at once (tests: "eleven minutes later"). Every clone and every
    /// simulator built on this clock sees the jump.
    pub fn advance(&self, by: chrono::Duration) {
        let us = by.num_microseconds().unwrap_or(i64::MAX);
        self.jumped_us
            .fetch_add(us, std::sync::atomic::Ordering::SeqCst);
    }
}

#[async_trait]
impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = self.origin_real.elapsed().as_secs_f64() * self.factor;
        let jumped = self.jumped_us.load(std::sync::atomic::Ordering::SeqCst);
        self.origin + chrono::Duration::microseconds((elapsed * 1_000_000.0) as i64 + jumped)
    }
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration.div_f64(self.factor)).await;
    }
}
