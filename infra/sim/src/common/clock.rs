//! The simulator's clock: the clock it was given, plus an adjustable offset and speed.
//!
//! Tests usually hand a simulator the same `ScaledClock` the client uses, so both agree on
//! the time; the admin endpoints can still jump ahead ("expire every token now") or change the
//! speed for the demo, relative to that base clock.

use async_trait::async_trait;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use koppel_core::Clock;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// `now = anchor_sim + (base.now() - anchor_base) * speed`.
#[derive(Debug, Clone, Copy)]
struct Adjustment {
    anchor_base: DateTime<Utc>,
    anchor_sim: DateTime<Utc>,
    speed: f64,
}

/// A clock derived from a base clock, which admin calls can shift and speed up.
pub struct SimClock {
    base: Arc<dyn Clock>,
    adjustment: Mutex<Adjustment>,
}

impl std::fmt::Debug for SimClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimClock")
            .field("now", &self.now())
            .field("speed", &self.speed())
            .finish()
    }
}

impl SimClock {
    /// A clock that follows `base` exactly until adjusted.
    pub fn new(base: Arc<dyn Clock>) -> Self {
        let now = base.now();
        Self {
            base,
            adjustment: Mutex::new(Adjustment {
                anchor_base: now,
                anchor_sim: now,
                speed: 1.0,
            }),
        }
    }

    fn adjustment(&self) -> Adjustment {
        *self
            .adjustment
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn compute(&self, adjustment: Adjustment) -> DateTime<Utc> {
        let elapsed = self.base.now() - adjustment.anchor_base;
        if adjustment.speed == 1.0 {
            return adjustment.anchor_sim + elapsed;
        }
        let micros = elapsed.num_microseconds().unwrap_or(i64::MAX) as f64 * adjustment.speed;
        adjustment.anchor_sim + ChronoDuration::microseconds(micros as i64)
    }

    /// How many times faster than the base clock this clock runs.
    pub fn speed(&self) -> f64 {
        self.adjustment().speed
    }

    /// Run `speed` times faster than the base clock from now on (values ≤ 0 are ignored).
    pub fn set_speed(&self, speed: f64) {
        if !(speed > 0.0 && speed.is_finite()) {
            return;
        }
        let mut guard = self
            .adjustment
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = self.compute(*guard);
        *guard = Adjustment {
            anchor_base: self.base.now(),
            anchor_sim: now,
            speed,
        };
    }

    /// Jump ahead (or back, when negative) by `by`.
    pub fn advance(&self, by: ChronoDuration) {
        let mut guard = self
            .adjustment
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        guard.anchor_sim += by;
    }

    /// Jump to an instant.
    pub fn set_now(&self, to: DateTime<Utc>) {
        let mut guard = self
            .adjustment
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        guard.anchor_base = self.base.now();
        guard.anchor_sim = to;
    }
}

#[async_trait]
impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        self.compute(self.adjustment())
    }

    async fn sleep(&self, duration: Duration) {
        let speed = self.speed();
        self.base.sleep(duration.div_f64(speed)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::SystemClock;

    #[test]
    fn follows_the_base_clock_until_adjusted_then_shifts() {
        let clock = SimClock::new(Arc::new(SystemClock));
        let drift = (clock.now() - Utc::now()).num_milliseconds().abs();
        assert!(drift < 50, "drift {drift} ms");
        clock.advance(ChronoDuration::hours(2));
        let ahead = (clock.now() - Utc::now()).num_minutes();
        assert!((119..=120).contains(&ahead), "ahead {ahead} min");
        clock.set_speed(1000.0);
        std::thread::sleep(Duration::from_millis(20));
        let ahead = (clock.now() - Utc::now()).num_seconds();
        assert!(ahead >= 7200 + 15, "ahead {ahead} s");
    }
}
