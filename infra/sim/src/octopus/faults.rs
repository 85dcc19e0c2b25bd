//! Injected faults: outages, lost answers after a commit.

use serde::{Deserialize, Serialize};

use super::budget::Group;

/// "Fail the next N calls" fault: nothing is applied, the call answers `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailNext {
    /// How many calls still to fail.
    pub count: u32,
    /// Status to answer (500, 502 or 503; default 500).
    #[serde(default = "default_status")]
    pub status: u16,
    /// Only calls of this group (a group name such as "bookings") or whose path contains this
    /// text; `None` = every API call.
    #[serde(default)]
    pub target: Option<String>,
    /// Answer an HTML page (as a proxy would) instead of the JSON error body.
    #[serde(default)]
    pub html: bool,
}

fn default_status() -> u16 {
    500
}

impl FailNext {
    /// Fail the next `count` calls matching `target` with `status` and a JSON error body.
    pub fn new(target: Option<&str>, status: u16, count: u32) -> Self {
        Self {
            count,
            status,
            target: target.map(str::to_owned),
            html: false,
        }
    }
}

/// Active faults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faults {
    /// Armed outage.
    pub fail_next: Option<FailNext>,
    /// Successful `POST /buysellbookings` still to commit and then drop the connection on.
    pub lose_booking_answers: u32,
    /// Relation creations (`PUT /relations` → 201) still to commit and then drop.
    pub lose_relation_answers: u32,
}

impl Faults {
    /// Consume one injected failure for a call of `group` on `path`; the status to answer.
    pub(crate) fn take_failure(&mut self, group: Group, path: &str) -> Option<(u16, bool)> {
        let fail = self.fail_next.as_mut()?;
        if let Some(target) = fail.target.as_deref()
            && target != group.name()
            && !path.contains(target)
        {
            return None;
        }
        let answer = (fail.status, fail.html);
        fail.count = fail.count.saturating_sub(1);
        if fail.count == 0 {
            self.fail_next = None;
        }
        Some(answer)
    }

    /// Consume one lost booking answer, if armed.
    pub(crate) fn take_lost_booking(&mut self) -> bool {
        take(&mut self.lose_booking_answers)
    }

    /// Consume one lost relation answer, if armed.
    pub(crate) fn take_lost_relation(&mut self) -> bool {
        take(&mut self.lose_relation_answers)
    }
}

fn take(counter: &mut u32) -> bool {
    if *counter == 0 {
        return false;
    }
    *counter -= 1;
    true
}
