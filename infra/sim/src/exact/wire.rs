//! How values travel in Exact's OData v2 "verbose JSON": dates as `/Date(ms)/`, amounts as
//! JSON numbers, VAT percentages as fractions, local (Brussels) times written as if UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Europe::Brussels;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;
use uuid::Uuid;

/// A calendar day as Exact writes it: midnight of that day, in milliseconds, as `/Date(ms)/`.
pub(crate) fn date(day: NaiveDate) -> Value {
    datetime(day.and_time(chrono::NaiveTime::MIN))
}

/// An optional calendar day; `null` when absent.
pub(crate) fn opt_date(day: Option<NaiveDate>) -> Value {
    day.map_or(Value::Null, date)
}

/// A local date-time as Exact writes it: the wall-clock value read as UTC, `/Date(ms)/`.
pub(crate) fn datetime(local: NaiveDateTime) -> Value {
    Value::String(format!("/Date({})/", local.and_utc().timestamp_millis()))
}

/// The wall-clock time in Brussels at `now`: Exact stores and returns local times.
pub(crate) fn local(now: DateTime<Utc>) -> NaiveDateTime {
    now.with_timezone(&Brussels).naive_local()
}

/// Today's date in Brussels at `now`.
pub(crate) fn local_today(now: DateTime<Utc>) -> NaiveDate {
    local(now).date()
}

/// An amount as a JSON number. Exact's amounts are `Edm.Double` on the wire, so this is the
/// one place a decimal becomes a binary float; everything the simulator computes stays exact.
pub(crate) fn number(amount: Decimal) -> Value {
    amount
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// An optional amount; `null` when absent.
pub(crate) fn opt_number(amount: Option<Decimal>) -> Value {
    amount.map_or(Value::Null, number)
}

/// A GUID as Exact writes it (lower-case, hyphenated).
pub(crate) fn guid(id: Uuid) -> Value {
    Value::String(id.to_string())
}

/// An optional GUID; `null` when absent.
pub(crate) fn opt_guid(id: Option<Uuid>) -> Value {
    id.map_or(Value::Null, guid)
}

/// The milliseconds inside a `/Date(ms)/` value (an optional `+0100` suffix is ignored).
pub(crate) fn parse_date_value(value: &str) -> Option<i64> {
    let inner = value.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map_or(inner.len(), |(i, _)| i);
    inner[..end].parse().ok()
}

/// A date-time sent by a client: ISO 8601 (with or without time or zone) or `/Date(ms)/`.
pub(crate) fn parse_client_datetime(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    if let Some(ms) = parse_date_value(text) {
        return DateTime::from_timestamp_millis(ms).map(|dt| dt.naive_utc());
    }
    if let Ok(with_zone) = DateTime::parse_from_rfc3339(text) {
        return Some(with_zone.with_timezone(&Brussels).naive_local());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(chrono::NaiveTime::MIN))
}

/// A decimal read from a JSON number or numeric string, without passing through a float.
pub(crate) fn parse_decimal(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

/// Round half away from zero to cents, as a ledger does.
pub(crate) fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn dates_are_midnight_milliseconds() {
        let day = NaiveDate::from_ymd_opt(2021, 12, 3).unwrap();
        assert_eq!(date(day), Value::String("/Date(1638489600000)/".into()));
        assert_eq!(
            parse_date_value("/Date(1638489600000)/"),
            Some(1638489600000)
        );
        assert_eq!(
            parse_date_value("/Date(1638489600000+0100)/"),
            Some(1638489600000)
        );
    }

    #[test]
    fn client_dates_in_every_accepted_form() {
        let expected = NaiveDate::from_ymd_opt(2026, 3, 15)
            .unwrap()
            .and_hms_opt(0, 0, 0);
        for text in [
            "2026-03-15",
            "2026-03-15T00:00:00",
            "2026-03-15T00:00",
            "/Date(1773532800000)/",
        ] {
            assert_eq!(parse_client_datetime(text), expected, "{text}");
        }
        assert_eq!(parse_client_datetime("15/03/2026"), None);
    }

    #[test]
    fn decimals_never_go_through_floats() {
        let v: Value = serde_json::from_str("100.10").unwrap();
        assert_eq!(parse_decimal(&v), Some(dec!(100.10)));
        assert_eq!(
            parse_decimal(&Value::String("12.5".into())),
            Some(dec!(12.5))
        );
        assert_eq!(parse_decimal(&Value::String("abc".into())), None);
        assert_eq!(cents(dec!(2.345)), dec!(2.35));
        assert_eq!(cents(dec!(-2.345)), dec!(-2.35));
    }
}
