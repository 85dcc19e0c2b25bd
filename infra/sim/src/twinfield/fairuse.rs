//! Fair use per organisation: credits per clock minute (a query costs 1, anything else 3)
//! and a limit on SOAP requests in flight.

use chrono::{DateTime, Timelike, Utc};

use super::options::FairUse;

/// Credits of a query: any `Search`, ProcessXml with root `read`, `list` or `columns`.
pub const QUERY_CREDITS: u32 = 1;
/// Credits of anything else.
pub const OTHER_CREDITS: u32 = 3;

/// The credit cost of a ProcessXml request with this root element.
pub fn process_xml_cost(root: &str) -> u32 {
    match root {
        "read" | "list" | "columns" | "accountcode" | "accountcodes" => QUERY_CREDITS,
        _ => OTHER_CREDITS,
    }
}

/// Credits spent in the current minute.
#[derive(Debug, Clone, Default)]
pub(crate) struct Usage {
    minute: i64,
    spent: u32,
}

/// Whole seconds (at least 1) to the next minute boundary.
pub(crate) fn rest_of_minute(now: DateTime<Utc>) -> u64 {
    let elapsed_ms = u64::from(now.second()) * 1000 + u64::from(now.nanosecond() / 1_000_000);
    let left = 60_000u64.saturating_sub(elapsed_ms.min(60_000));
    left.div_ceil(1000).max(1)
}

impl Usage {
    /// Spend `cost` credits, or `Err(retry_after_seconds)` when the minute's credits do not
    /// cover it (nothing is spent then).
    pub(crate) fn spend(
        &mut self,
        limits: &FairUse,
        cost: u32,
        now: DateTime<Utc>,
    ) -> Result<(), u64> {
        let minute = now.timestamp().div_euclid(60);
        if minute != self.minute {
            self.minute = minute;
            self.spent = 0;
        }
        if self.spent + cost > limits.credits_per_minute {
            return Err(rest_of_minute(now));
        }
        self.spent += cost;
        Ok(())
    }

    /// Credits spent in the current minute.
    pub(crate) fn spent(&self, now: DateTime<Utc>) -> u32 {
        if now.timestamp().div_euclid(60) == self.minute {
            self.spent
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_reset_every_minute() {
        let t0 = DateTime::parse_from_rfc3339("2026-03-15T10:00:45Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let limits = FairUse {
            credits_per_minute: 4,
            concurrent_requests: 1,
        };
        let mut usage = Usage::default();
        assert_eq!(usage.spend(&limits, 3, t0), Ok(()));
        assert_eq!(usage.spend(&limits, 3, t0), Err(15));
        assert_eq!(usage.spend(&limits, 1, t0), Ok(()));
        let next = t0 + chrono::Duration::seconds(15);
        assert_eq!(usage.spend(&limits, 3, next), Ok(()));
    }
}
