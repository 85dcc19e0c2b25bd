//! The Lambda deadline: a job stops taking work when it is near and continues in a new message.

use std::time::{Duration, Instant};

/// When the current invocation must have handed over its work.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    stop_at: Option<Instant>,
}

impl Deadline {
    /// Stop taking work `margin` before `deadline` (the Lambda context's deadline).
    pub fn new(deadline: Instant, margin: Duration) -> Self {
        Self {
            stop_at: Some(deadline.checked_sub(margin).unwrap_or(deadline)),
        }
    }

    /// Stop taking work after `budget` from now (tests, the demo, local runs).
    pub fn after(budget: Duration) -> Self {
        Self {
            stop_at: Some(Instant::now() + budget),
        }
    }

    /// No deadline (tests that want the whole job in one go).
    pub fn none() -> Self {
        Self { stop_at: None }
    }

    /// True when no new unit of work should be started.
    pub fn is_near(&self) -> bool {
        self.stop_at.is_some_and(|at| Instant::now() >= at)
    }
}
