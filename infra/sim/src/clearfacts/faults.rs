//! Injected faults: outages before anything is done, answers lost after an upload or a token
//! grant was carried out.

use serde::{Deserialize, Serialize};

/// "Fail the next N requests" fault: nothing is done, the request answers `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailNext {
    /// How many requests still to fail.
    pub count: u32,
    /// Status to answer (default 500). 401 answers `invalid_token`, as a revoked token would.
    #[serde(default = "default_status")]
    pub status: u16,
    /// Only these requests: `graphql` (any GraphQL request), a top-level GraphQL field
    /// (`uploadFile`, `document`, `administrations`, …), `token` or `userinfo`. `None` = every
    /// GraphQL request.
    #[serde(default)]
    pub target: Option<String>,
    /// Answer an HTML page (as a proxy would) instead of a plain text body.
    #[serde(default)]
    pub html: bool,
}

fn default_status() -> u16 {
    500
}

impl FailNext {
    /// Fail the next `count` requests to `target` with `status`.
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
    /// Uploads still to store and then answer HTTP 500 (a lost answer).
    pub fail_after_upload: u32,
    /// Uploads still to store and then drop the connection on.
    pub drop_after_upload: u32,
    /// Token grants still to carry out (the old refresh token is spent) and then drop the
    /// connection on.
    pub lose_token_answers: u32,
}

impl Faults {
    /// Consume one injected failure for a request to `endpoint` (`graphql`, `token`,
    /// `userinfo`) touching `fields` (the top-level GraphQL fields): `(status, html)`.
    pub(crate) fn take_failure(
        &mut self,
        endpoint: &str,
        fields: &[String],
    ) -> Option<(u16, bool)> {
        let fail = self.fail_next.as_mut()?;
        let hit = match fail.target.as_deref() {
            None => endpoint == "graphql",
            Some(target) => {
                target == endpoint || (endpoint == "graphql" && fields.iter().any(|f| f == target))
            }
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
