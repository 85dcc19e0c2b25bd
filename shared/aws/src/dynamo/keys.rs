//! Key values of every item kind, in one place so the layout in docs/DATA-MODEL.md is
//! readable from the code.

use chrono::{DateTime, SecondsFormat, Utc};
use koppel_core::{AccountId, ConnectionId, CustomerRef, DocumentId, RunId};

/// Sort key of a connection's own item.
pub const CONNECTION_SK: &str = "META";
/// Sort key of the reference-data head item.
pub const REFERENCE_SK: &str = "REFDATA";
/// Sort key of a lease item.
pub const LEASE_SK: &str = "LEASE";
/// Prefix of document sort keys.
pub const DOCUMENT_PREFIX: &str = "DOC#";
/// Prefix of run-report sort keys.
pub const REPORT_PREFIX: &str = "REPORT#";
/// Prefix of connection sort keys under an account.
pub const ACCOUNT_LINK_PREFIX: &str = "CONN#";

/// `CONN#<connection-id>`: partition of everything a connection owns.
pub fn connection_pk(id: &ConnectionId) -> String {
    format!("CONN#{id}")
}

/// `ACCOUNT#<account-id>`: partition listing an account's connections.
pub fn account_pk(account: &AccountId) -> String {
    format!("ACCOUNT#{account}")
}

/// `CONN#<connection-id>`: sort key of an account's link to a connection.
pub fn account_link_sk(id: &ConnectionId) -> String {
    format!("{ACCOUNT_LINK_PREFIX}{id}")
}

/// `DOC#<document-id>`.
pub fn document_sk(id: &DocumentId) -> String {
    format!("{DOCUMENT_PREFIX}{id}")
}

/// `UNPAID#<connection-id>`: partition of the unpaid index.
pub fn unpaid_pk(id: &ConnectionId) -> String {
    format!("{}{id}", crate::schema::UNPAID_PK_PREFIX)
}

/// `CUST#<kind>:<id>`.
pub fn customer_sk(customer: &CustomerRef) -> String {
    format!("CUST#{}", customer.key())
}

/// `CREATED#<kind>#<id>`: a Teamleader customer Koppel's import created.
pub fn created_customer_sk(customer: &CustomerRef) -> String {
    format!("CREATED#{}", customer.key())
}

/// `CURSOR#<name>`.
pub fn cursor_sk(name: &str) -> String {
    format!("CURSOR#{name}")
}

/// `MERGE#<merge-id>`: a merge job of the connection.
pub fn merge_sk(merge_id: &str) -> String {
    format!("MERGE#{merge_id}")
}

/// `REFDATA#<generation>#`: prefix of the parts of one reference-data generation.
pub fn reference_part_prefix(generation: &str) -> String {
    format!("REFDATA#{generation}#")
}

/// `REFDATA#<generation>#<part, 5 digits>`.
pub fn reference_part_sk(generation: &str, part: usize) -> String {
    format!("{}{part:05}", reference_part_prefix(generation))
}

/// `LEASE#<name>`.
pub fn lease_pk(name: &str) -> String {
    format!("LEASE#{name}")
}

/// `REPORT#<started_at, RFC 3339 UTC with microseconds>#<run-id>`: sorts by start time.
pub fn report_sk(started_at: DateTime<Utc>, run: &RunId) -> String {
    format!("{REPORT_PREFIX}{}#{run}", sortable_time(started_at))
}

/// `RUN#<run-id>`: pointer from a run id to its report's sort key.
pub fn run_pointer_sk(run: &RunId) -> String {
    format!("RUN#{run}")
}

/// RFC 3339 in UTC with a fixed number of digits, so string order is time order.
pub fn sortable_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn report_keys_sort_by_start_time_across_second_boundaries() {
        let run = RunId::new("r");
        let earlier = Utc.with_ymd_and_hms(2026, 1, 9, 23, 59, 59).unwrap()
            + chrono::Duration::milliseconds(999);
        let later = Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap();
        let whole = Utc.with_ymd_and_hms(2026, 1, 9, 23, 59, 59).unwrap();
        assert!(report_sk(whole, &run) < report_sk(earlier, &run));
        assert!(report_sk(earlier, &run) < report_sk(later, &run));
        assert_eq!(
            report_sk(later, &run),
            "REPORT#2026-01-10T00:00:00.000000Z#r"
        );
    }

    #[test]
    fn part_keys_sort_numerically() {
        assert!(reference_part_sk("g", 9) < reference_part_sk("g", 10));
        assert!(reference_part_sk("g", 2).starts_with(&reference_part_prefix("g")));
    }
}
