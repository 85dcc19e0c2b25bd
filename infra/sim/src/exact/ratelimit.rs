//! Exact's quotas per (app, division): a clock-aligned minute window and a UTC-day window.
//!
//! Every admitted call carries six headers: `X-RateLimit-Limit/-Remaining/-Reset` (daily,
//! reset = next 00:00 UTC) and `X-RateLimit-Minutely-Limit/-Remaining/-Reset` (reset = next
//! minute boundary), resets in epoch milliseconds. A refused call is a bare 429 with only the
//! exhausted window's three headers.

use chrono::{DateTime, Utc};

use super::options::RateLimits;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// Calls counted in the current windows of one (app, division).
#[derive(Debug, Clone, Default)]
pub(crate) struct Window {
    minute: i64,
    minute_used: u32,
    day: i64,
    day_used: u32,
}

/// Header name/value pairs to put on the answer.
pub(crate) type RateHeaders = Vec<(&'static str, String)>;

/// The verdict on one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Go ahead; answer with these headers.
    Allowed(RateHeaders),
    /// Refuse with a bare 429 and these headers.
    Refused(RateHeaders),
}

impl Window {
    /// Count one call at `now` against `limits`.
    pub(crate) fn admit(&mut self, limits: &RateLimits, now: DateTime<Utc>) -> Admission {
        let ms = now.timestamp_millis();
        let minute = ms.div_euclid(MINUTE_MS);
        let day = ms.div_euclid(DAY_MS);
        if minute != self.minute {
            self.minute = minute;
            self.minute_used = 0;
        }
        if day != self.day {
            self.day = day;
            self.day_used = 0;
        }
        let daily_reset = (day + 1) * DAY_MS;
        let minutely_reset = (minute + 1) * MINUTE_MS;
        if self.day_used >= limits.per_day {
            return Admission::Refused(daily(limits, 0, daily_reset));
        }
        if self.minute_used >= limits.per_minute {
            return Admission::Refused(minutely(limits, 0, minutely_reset));
        }
        self.day_used += 1;
        self.minute_used += 1;
        let mut headers = daily(limits, limits.per_day - self.day_used, daily_reset);
        headers.extend(minutely(
            limits,
            limits.per_minute - self.minute_used,
            minutely_reset,
        ));
        Admission::Allowed(headers)
    }

    /// Calls used in the current day window.
    pub(crate) fn day_used(&self) -> u32 {
        self.day_used
    }
}

fn daily(limits: &RateLimits, remaining: u32, reset: i64) -> RateHeaders {
    vec![
        ("X-RateLimit-Limit", limits.per_day.to_string()),
        ("X-RateLimit-Remaining", remaining.to_string()),
        ("X-RateLimit-Reset", reset.to_string()),
    ]
}

fn minutely(limits: &RateLimits, remaining: u32, reset: i64) -> RateHeaders {
    vec![
        ("X-RateLimit-Minutely-Limit", limits.per_minute.to_string()),
        ("X-RateLimit-Minutely-Remaining", remaining.to_string()),
        ("X-RateLimit-Minutely-Reset", reset.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn header<'a>(headers: &'a RateHeaders, name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn minute_window_is_clock_aligned_and_resets() {
        let limits = RateLimits {
            per_minute: 2,
            per_day: 100,
        };
        let mut window = Window::default();
        let Admission::Allowed(h) = window.admit(&limits, at("2021-12-03T12:15:10Z")) else {
            panic!()
        };
        assert_eq!(
            header(&h, "X-RateLimit-Minutely-Reset"),
            Some("1638533760000")
        );
        assert_eq!(header(&h, "X-RateLimit-Reset"), Some("1638576000000"));
        assert_eq!(header(&h, "X-RateLimit-Minutely-Remaining"), Some("1"));
        assert!(matches!(
            window.admit(&limits, at("2021-12-03T12:15:59Z")),
            Admission::Allowed(_)
        ));
        let Admission::Refused(h) = window.admit(&limits, at("2021-12-03T12:15:59.900Z")) else {
            panic!()
        };
        assert_eq!(h.len(), 3);
        assert_eq!(header(&h, "X-RateLimit-Minutely-Remaining"), Some("0"));
        assert!(matches!(
            window.admit(&limits, at("2021-12-03T12:16:00Z")),
            Admission::Allowed(_)
        ));
    }

    #[test]
    fn daily_window_refuses_with_daily_headers_only() {
        let limits = RateLimits {
            per_minute: 100,
            per_day: 1,
        };
        let mut window = Window::default();
        assert!(matches!(
            window.admit(&limits, at("2021-12-03T23:59:00Z")),
            Admission::Allowed(_)
        ));
        let Admission::Refused(h) = window.admit(&limits, at("2021-12-03T23:59:30Z")) else {
            panic!()
        };
        assert_eq!(header(&h, "X-RateLimit-Remaining"), Some("0"));
        assert!(header(&h, "X-RateLimit-Minutely-Limit").is_none());
        assert!(matches!(
            window.admit(&limits, at("2021-12-04T00:00:00Z")),
            Admission::Allowed(_)
        ));
    }
}
