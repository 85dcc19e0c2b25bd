//! OData v2 ("verbose JSON") details of the Exact Online REST API: the `{"d": …}` envelope,
//! `__next` paging links, `/Date(ms)/` dates, string literals and the 18-character account
//! codes. Pure functions, no I/O, so every quirk is unit-tested in one place.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

/// Width of Exact's account `Code` field: codes are right-aligned with leading spaces.
pub const ACCOUNT_CODE_WIDTH: usize = 18;

/// A collection answer: `{"d": {"results": [...], "__next": "..."}}`. Some endpoints answer
/// `{"d": [...]}` (no paging); both are accepted.
#[derive(Debug, Deserialize)]
pub struct Feed<T> {
    /// The envelope.
    pub d: FeedBody<T>,
}

/// The inside of a collection envelope.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum FeedBody<T> {
    /// `{"results": [...], "__next": "..."}`.
    Paged {
        /// This page's records.
        results: Vec<T>,
        /// Absolute URL of the next page, absent on the last page.
        #[serde(rename = "__next", default)]
        next: Option<String>,
    },
    /// A bare array.
    Bare(Vec<T>),
}

impl<T> Feed<T> {
    /// This page's records and the next page's URL.
    pub fn into_page(self) -> (Vec<T>, Option<String>) {
        match self.d {
            FeedBody::Paged { results, next } => (results, next.filter(|n| !n.is_empty())),
            FeedBody::Bare(results) => (results, None),
        }
    }
}

/// A single-entity answer (POST with the created entity): `{"d": {...}}`.
#[derive(Debug, Deserialize)]
pub struct Single<T> {
    /// The entity.
    pub d: T,
}

/// Why a date value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is neither /Date(ms)/ nor an ISO 8601 date")]
pub struct DateError {
    /// The value as received.
    pub value: String,
}

/// Parse an Exact date: `/Date(1392224884577)/` (milliseconds since the epoch, optionally with
/// a `+0100` offset suffix that Exact's local dates carry and that is ignored, as Exact itself
/// does), or an ISO 8601 date or date-time (with or without zone) as some endpoints and the
/// simulator may send.
pub fn parse_datetime(value: &str) -> Result<DateTime<Utc>, DateError> {
    let err = || DateError {
        value: value.to_owned(),
    };
    let trimmed = value.trim();
    if let Some(inner) = trimmed
        .strip_prefix("/Date(")
        .and_then(|s| s.strip_suffix(")/"))
    {
        // Skip a leading minus when looking for the offset sign.
        let digits_end = inner
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '+' || *c == '-')
            .map_or(inner.len(), |(i, _)| i);
        let millis: i64 = inner[..digits_end].parse().map_err(|_| err())?;
        return DateTime::from_timestamp_millis(millis).ok_or_else(err);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(trimmed) {
        return Ok(dt.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(trimmed, format) {
            return Ok(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
        .ok_or_else(err)
}

/// Parse an Exact date that means a calendar day (entry dates, period bounds).
pub fn parse_date(value: &str) -> Result<NaiveDate, DateError> {
    parse_datetime(value).map(|dt| dt.date_naive())
}

/// How Koppel sends a calendar day to Exact: ISO 8601 at midnight, no zone, as Exact
/// expects for its local dates.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%dT00:00:00").to_string()
}

/// An OData string literal: quoted, with embedded quotes doubled (`O'Brien` → `'O''Brien'`).
pub fn string_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// An OData GUID literal (`guid'…'`), or `None` when `value` is not a GUID (so no
/// user-supplied text ever reaches a filter unquoted).
pub fn guid_literal(value: &str) -> Option<String> {
    let is_guid = value.len() == 36
        && value.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    is_guid.then(|| format!("guid'{value}'"))
}

/// Exact's stored form of an account code: trimmed, right-aligned to 18 characters with
/// leading spaces. `None` when the code is empty or longer than the field (it cannot exist).
pub fn padded_account_code(code: &str) -> Option<String> {
    let code = code.trim();
    let len = code.chars().count();
    if code.is_empty() || len > ACCOUNT_CODE_WIDTH {
        return None;
    }
    Some(format!("{code:>width$}", width = ACCOUNT_CODE_WIDTH))
}

/// An `a or b or c` filter over one field, for bulk reads.
pub fn or_filter<'a>(field: &str, literals: impl IntoIterator<Item = &'a String>) -> String {
    literals
        .into_iter()
        .map(|l| format!("{field} eq {l}"))
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_from_milliseconds() {
        let dt = parse_datetime("/Date(1392224884577)/").unwrap();
        assert_eq!(dt.to_rfc3339(), "2014-02-12T17:08:04.577+00:00");
        assert_eq!(
            parse_date("/Date(1767225600000)/").unwrap(),
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        );
    }

    #[test]
    fn date_with_offset_suffix_and_negative() {
        assert_eq!(
            parse_date("/Date(1767225600000+0100)/").unwrap(),
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        );
        assert_eq!(
            parse_date("/Date(-86400000)/").unwrap(),
            NaiveDate::from_ymd_opt(1969, 12, 31).unwrap()
        );
    }

    #[test]
    fn date_from_iso_strings() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert_eq!(parse_date("2026-03-31").unwrap(), day);
        assert_eq!(parse_date("2026-03-31T00:00:00").unwrap(), day);
        assert_eq!(parse_date("2026-03-31T10:00:00.123").unwrap(), day);
        assert_eq!(parse_date("2026-03-31T10:00:00Z").unwrap(), day);
        assert_eq!(
            parse_datetime("2026-03-31T12:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-03-31T10:00:00+00:00"
        );
    }

    #[test]
    fn bad_dates_are_errors() {
        for bad in [
            "",
            "/Date()/",
            "/Date(abc)/",
            "31/03/2026",
            "/Date(1767225600000",
            "tomorrow",
        ] {
            assert_eq!(
                parse_datetime(bad),
                Err(DateError {
                    value: bad.to_owned()
                }),
                "{bad}"
            );
        }
    }

    #[test]
    fn dates_are_sent_as_local_midnight() {
        assert_eq!(
            format_date(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()),
            "2026-01-05T00:00:00"
        );
    }

    #[test]
    fn string_literals_double_quotes() {
        assert_eq!(string_literal("2026 / 17"), "'2026 / 17'");
        assert_eq!(string_literal("O'Brien's"), "'O''Brien''s'");
        assert_eq!(string_literal("' or 1 eq 1 or '"), "''' or 1 eq 1 or '''");
    }

    #[test]
    fn guid_literals_only_for_guids() {
        assert_eq!(
            guid_literal("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0").as_deref(),
            Some("guid'0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'")
        );
        assert_eq!(guid_literal("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f'"), None);
        assert_eq!(guid_literal("not a guid"), None);
    }

    #[test]
    fn account_codes_are_padded_to_18() {
        let padded = padded_account_code("1001").unwrap();
        assert_eq!(padded, "              1001");
        assert_eq!(padded.len(), 18);
        assert_eq!(padded_account_code("  1001 ").unwrap(), padded);
        assert_eq!(
            padded_account_code("123456789012345678").unwrap(),
            "123456789012345678"
        );
        assert_eq!(padded_account_code("1234567890123456789"), None);
        assert_eq!(padded_account_code("   "), None);
    }

    #[test]
    fn a_chunk_of_open_items_stays_under_iis_query_string_limit() {
        use crate::exact::ledger::OPEN_ITEMS_PER_CALL;
        let literals: Vec<String> = (0..OPEN_ITEMS_PER_CALL)
            .map(|i| guid_literal(&format!("ffffffff-ffff-ffff-ffff-{i:012}")).unwrap())
            .collect();
        let filter = or_filter("Id", &literals);
        // As the client sends it: form-urlencoded, like reqwest's `query`.
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("$select", crate::exact::wire::OPEN_ITEM_SELECT)
            .append_pair("$filter", &filter)
            .finish();
        assert!(
            query.len() < 1_900,
            "{} characters: IIS refuses query strings over 2,048",
            query.len()
        );
    }

    #[test]
    fn or_filters_chain() {
        let ids = vec!["guid'a'".to_owned(), "guid'b'".to_owned()];
        assert_eq!(
            or_filter("EntryID", &ids),
            "EntryID eq guid'a' or EntryID eq guid'b'"
        );
    }

    #[test]
    fn feeds_with_and_without_next() {
        let paged: Feed<serde_json::Value> =
            serde_json::from_str(r#"{"d":{"results":[{"a":1}],"__next":"http://x/next"}}"#)
                .unwrap();
        let (rows, next) = paged.into_page();
        assert_eq!(rows.len(), 1);
        assert_eq!(next.as_deref(), Some("http://x/next"));
        let last: Feed<serde_json::Value> =
            serde_json::from_str(r#"{"d":{"results":[]}}"#).unwrap();
        assert_eq!(last.into_page().1, None);
        let bare: Feed<serde_json::Value> =
            serde_json::from_str(r#"{"d":[{"a":1},{"a":2}]}"#).unwrap();
        assert_eq!(bare.into_page().0.len(), 2);
    }
}
