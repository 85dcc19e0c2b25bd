//! The clock of a local stack: real time sped up ([`ScaledClock`]), or virtual time that only
//! moves when something waits on it. Virtual time makes a run independent of how fast this
//! machine is: the same account, limits and budget give the same invocations every time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use koppel_core::memory::ManualClock;
use koppel_core::{Clock, ScaledClock};
use std::time::Duration;
use tokio::sync::Notify;

/// How a stack tells time.
pub enum StackClock {
    /// Real time, `factor` times faster (shared with the simulators' quota windows).
    Scaled(ScaledClock),
    /// Virtual time: it stands still until someone sleeps on it; a sleep moves it forward at
    /// once. Watchers ([`StackClock::reached`]) are told whenever it moves.
    Virtual {
        /// The time.
        clock: ManualClock,
        /// Rung whenever the time moves.
        moved: Notify,
    },
}

impl StackClock {
    /// Real time from `origin`, `speed` times faster.
    pub fn scaled(origin: DateTime<Utc>, speed: f64) -> Self {
        Self::Scaled(ScaledClock::new(origin, speed))
    }

    /// Virtual time from `origin`.
    pub fn virtual_from(origin: DateTime<Utc>) -> Self {
        Self::Virtual {
            clock: ManualClock::new(origin),
            moved: Notify::new(),
        }
    }

    /// Jump ahead by `by` at once ("eleven minutes later"); the simulators see it too.
    pub fn advance(&self, by: chrono::Duration) {
        match self {
            Self::Scaled(clock) => clock.advance(by),
            Self::Virtual { clock, moved } => {
                clock.advance(by.to_std().unwrap_or_default());
                moved.notify_waiters();
            }
        }
    }

    /// Resolves once the clock shows `at` or later, without moving it (virtual time waits
    /// for someone else to move it; real time sleeps).
    pub async fn reached(&self, at: DateTime<Utc>) {
        match self {
            Self::Scaled(clock) => loop {
                let now = clock.now();
                if now >= at {
                    return;
                }
                clock.sleep((at - now).to_std().unwrap_or_default()).await;
            },
            Self::Virtual { clock, moved } => loop {
                let notified = moved.notified();
                if clock.now() >= at {
                    return;
                }
                notified.await;
            },
        }
    }
}

#[async_trait]
impl Clock for StackClock {
    fn now(&self) -> DateTime<Utc> {
        match self {
            Self::Scaled(clock) => clock.now(),
            Self::Virtual { clock, .. } => clock.now(),
        }
    }

    async fn sleep(&self, duration: Duration) {
        match self {
            Self::Scaled(clock) => clock.sleep(duration).await,
            Self::Virtual { clock, moved } => {
                clock.advance(duration);
                moved.notify_waiters();
                tokio::task::yield_now().await;
            }
        }
    }
}
