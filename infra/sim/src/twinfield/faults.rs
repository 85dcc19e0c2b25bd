//! Injected faults: outages, lost answers after a commit.

use serde::{Deserialize, Serialize};

/// "Fail the next N calls" fault: nothing is applied, the call answers `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailNext {
    /// How many calls still to fail.
    pub count: u32,
    /// Status to answer (default 500).
    #[serde(default = "default_status")]
    pub status: u16,
    /// Only calls to this endpoint (`processxml`, `finder`, `token`, `accesstokenvalidation`)
    /// or whose path contains this text; `None` = every SOAP call.
    #[serde(default)]
    pub target: Option<String>,
    /// Answer an HTML page (as a proxy would) instead of a SOAP fault.
    #[serde(default)]
    pub html: bool,
}

fn default_status() -> u16 {
    500
}

impl FailNext {
    /// Fail the next `count` calls matching `target` with `status` and a SOAP fault.
    pub fn new(count: u32, status: u16, target: Option<&str>) -> Self {
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
    /// ProcessXml requests with transactions still to commit and then drop the connection on.
    pub lose_transaction_answers: u32,
    /// ProcessXml requests with dimensions still to commit and then drop.
    pub lose_dimension_answers: u32,
    /// Token grants still to carry out and then drop the answer of.
    pub lose_token_answers: u32,
}

impl Faults {
    /// Consume one injected failure for `endpoint` on `path`: `(status, html)`.
    pub(crate) fn take_failure(
        &mut self,
        endpoint: &str,
        path: &str,
        soap: bool,
    ) -> Option<(u16, bool)> {
        let fail = self.fail_next.as_mut()?;
        let hit = match fail.target.as_deref() {
            None => soap,
            Some(target) => target == endpoint || path.contains(target),
        };
        if !hit {
            return None;
        }
        let answer = (fail.status, fail.html);
        fail.count = fail.count.saturating_sub(1);
        if fail.count == 0 {
            self.fail_next = None;
        }
        Some(answer)
    }
}

/// Consume one armed count.
pub(crate) fn take(counter: &mut u32) -> bool {
    if *counter == 0 {
        return false;
    }
    *counter -= 1;
    true
}
