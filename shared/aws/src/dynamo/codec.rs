//! Koppel's types to and from DynamoDB items. Keys, index keys and everything a condition
//! or a person reading the table needs are real attributes; nested values (settings, the
//! full document record, a run report) are JSON text next to them.

use super::item::{Item, ItemBuilder, ItemReader, enum_name, to_json};
use super::keys;
use crate::schema::{ACTIVE_PK, ACTIVE_PK_VALUE, ACTIVE_SK, TTL_ATTRIBUTE, UNPAID_PK, UNPAID_SK};
use chrono::{DateTime, Utc};
use koppel_core::{
    AccountId, Connection, ConnectionId, DepartmentId, DocumentRecord, ExportState, RunReport,
    StoreError,
};

/// Attribute naming the kind of item, for people reading the table.
pub const ENTITY: &str = "entity";
/// Connection status (and document states, leases …) are reserved words in expressions;
/// expressions always go through `#name` placeholders.
pub const STATUS: &str = "status";
/// Reason shown to the user when a connection is not active.
pub const STATUS_REASON: &str = "status_reason";
/// Export state name of a document record.
pub const STATE: &str = "state";
/// Epoch milliseconds at which a document claim lapses (only while exporting).
pub const CLAIM_UNTIL: &str = "claim_until";
/// Run holding a document claim (only while exporting).
pub const CLAIM_RUN: &str = "claim_run";
/// Full document record as JSON.
pub const RECORD: &str = "record";
/// Export attempts of a document; authoritative over the JSON record's copy because the
/// claim corrects it in place.
pub const ATTEMPTS: &str = "attempts";
/// Ledger entry of an exported document.
pub const ENTRY_ID: &str = "entry_id";
/// Teamleader number of a document.
pub const NUMBER: &str = "number";
/// Full merge job as JSON.
pub const MERGE: &str = "merge";

/// Full run report as JSON.
pub const REPORT: &str = "report";

/// How long run reports are kept.
pub const REPORT_RETENTION: chrono::Duration = chrono::Duration::days(90);

/// The item of a connection, with the active-index keys only when it is active.
pub fn connection_item(connection: &Connection) -> Result<Item, StoreError> {
    let what = format!("connection {}", connection.id);
    let mut item = ItemBuilder::keyed(keys::connection_pk(&connection.id), keys::CONNECTION_SK)
        .s(ENTITY, "connection")
        .s("id", connection.id.as_str())
        .s("account_id", connection.account_id.as_str())
        .s("department_id", connection.department_id.as_str())
        .s("ledger", enum_name(&what, &connection.ledger)?)
        .s("ledger_company", connection.ledger_company.as_str())
        .s(STATUS, enum_name(&what, &connection.status)?)
        .opt_s(STATUS_REASON, connection.status_reason.as_deref())
        .s("settings", to_json(&what, &connection.settings)?)
        .s("teamleader_secret", connection.teamleader_secret.as_str())
        .s("ledger_secret", connection.ledger_secret.as_str())
        .time("created_at", connection.created_at);
    item = item
        .s(ACTIVE_PK, ACTIVE_PK_VALUE)
        .s(ACTIVE_SK, connection.id.as_str());
    Ok(item.build())
}

/// A connection from its item.
pub fn connection_from_item(item: &Item) -> Result<Connection, StoreError> {
    let r = ItemReader::new("connection", item);
    Ok(Connection {
        id: ConnectionId::new(r.s("id")?),
        account_id: AccountId::new(r.s("account_id")?),
        department_id: DepartmentId::new(r.s("department_id")?),
        ledger: r.enum_value("ledger")?,
        ledger_company: r.s("ledger_company")?.to_owned(),
        status: r.enum_value(STATUS)?,
        settings: r.json("settings")?,
        teamleader_secret: r.s("teamleader_secret")?.to_owned(),
        ledger_secret: r.s("ledger_secret")?.to_owned(),
        created_at: r.time("created_at")?,
        status_reason: r.opt_s(STATUS_REASON)?.map(str::to_owned),
    })
}

/// The item listing a connection under its account.
pub fn account_link_item(connection: &Connection) -> Item {
    ItemBuilder::keyed(
        keys::account_pk(&connection.account_id),
        keys::account_link_sk(&connection.id),
    )
    .s(ENTITY, "account_connection")
    .s("connection_id", connection.id.as_str())
    .build()
}

/// The connection id an account link points to.
pub fn connection_id_of_link(item: &Item) -> Result<ConnectionId, StoreError> {
    Ok(ConnectionId::new(
        ItemReader::new("account link", item).s("connection_id")?,
    ))
}

/// The item of a document record, with the unpaid-index keys only when it is exported and
/// unpaid, and the claim attributes only while exporting.
pub fn document_item(record: &DocumentRecord) -> Result<Item, StoreError> {
    let what = format!(
        "document record {}/{}",
        record.connection_id, record.document_id
    );
    let mut item = ItemBuilder::keyed(
        keys::connection_pk(&record.connection_id),
        keys::document_sk(&record.document_id),
    )
    .s(ENTITY, "document")
    .s("document_id", record.document_id.as_str())
    .s("kind", record.kind.as_str())
    .opt_s(NUMBER, record.number.as_deref())
    .s(STATE, record.state.name())
    .bool("paid", record.paid)
    .n(ATTEMPTS, i64::from(record.attempts))
    .time("updated_at", record.updated_at)
    .s(RECORD, to_json(&what, record)?);
    match &record.state {
        ExportState::Exporting { run_id, until } => {
            item = item
                .s(CLAIM_RUN, run_id.as_str())
                .n(CLAIM_UNTIL, until.timestamp_millis());
        }
        ExportState::Exported { entry_id, .. } => {
            item = item.s(ENTRY_ID, entry_id.as_str());
        }
        ExportState::Pending | ExportState::Failed { .. } => {}
    }
    if record.awaits_payment() {
        item = item
            .s(UNPAID_PK, keys::unpaid_pk(&record.connection_id))
            .s(UNPAID_SK, record.document_id.as_str());
    }
    Ok(item.build())
}

/// A document record from its item; the JSON record must agree with the `state` attribute
/// that conditions read, and `attempts` comes from its own attribute.
pub fn document_from_item(item: &Item) -> Result<DocumentRecord, StoreError> {
    let r = ItemReader::new("document", item);
    let mut record: DocumentRecord = r.json(RECORD)?;
    if let Some(attempts) = r.opt_n(ATTEMPTS)? {
        record.attempts = u32::try_from(attempts).map_err(|_| {
            r.corrupt(format!(
                "attribute `{ATTEMPTS}` is out of range: {attempts}"
            ))
        })?;
    }
    let state = r.s(STATE)?;
    if record.state.name() != state {
        return Err(r.corrupt(format!(
            "attribute `{STATE}` says {state} but the record says {}",
            record.state.name()
        )));
    }
    Ok(record)
}

/// The report item and the pointer item from its run id to the report's sort key.
pub fn report_items(report: &RunReport) -> Result<(Item, Item), StoreError> {
    let what = format!("run report {}", report.run_id);
    let pk = keys::connection_pk(&report.connection_id);
    let report_sk = keys::report_sk(report.started_at, &report.run_id);
    let ttl = (report.started_at + REPORT_RETENTION).timestamp();
    let report_item = ItemBuilder::keyed(pk.clone(), report_sk.clone())
        .s(ENTITY, "run_report")
        .s("run_id", report.run_id.as_str())
        .s("job", report.job.as_str())
        .s(STATUS, enum_name(&what, &report.status)?)
        .time("started_at", report.started_at)
        .time("updated_at", report.updated_at)
        .s(REPORT, to_json(&what, &fit_report(report))?)
        .n(TTL_ATTRIBUTE, ttl)
        .build();
    let pointer = ItemBuilder::keyed(pk, keys::run_pointer_sk(&report.run_id))
        .s(ENTITY, "run_pointer")
        .s("report_sk", report_sk)
        .n(TTL_ATTRIBUTE, ttl)
        .build();
    Ok((report_item, pointer))
}

/// A run report from its item.
pub fn report_from_item(item: &Item) -> Result<RunReport, StoreError> {
    ItemReader::new("run report", item).json(REPORT)
}

/// True when an item's TTL has passed at `now` (DynamoDB deletes lazily, so reads filter).
pub fn expired(item: &Item, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let ttl = ItemReader::new("item", item).opt_n(TTL_ATTRIBUTE)?;
    Ok(ttl.is_some_and(|ttl| ttl <= now.timestamp()))
}

/// Largest report JSON kept in one item (the item limit is 400 KB; this leaves room for
/// the other attributes).
pub const MAX_REPORT_JSON: usize = 350_000;

/// The report, with its issue list shortened when the whole would not fit in one item; the
/// message then says how many issues were left out.
pub fn fit_report(report: &RunReport) -> RunReport {
    let size = |r: &RunReport| {
        serde_json::to_string(r)
            .map(|s| s.len())
            .unwrap_or(usize::MAX)
    };
    if size(report) <= MAX_REPORT_JSON {
        return report.clone();
    }
    // Room left for the note added to the message below.
    let budget = MAX_REPORT_JSON - 1_000;
    let mut fitted = report.clone();
    let total = report.issues.len();
    let (mut keep_low, mut keep_high) = (0, total);
    // Largest number of issues that still fits.
    while keep_low < keep_high {
        let mid = (keep_low + keep_high).div_ceil(2);
        fitted.issues = report.issues[..mid].to_vec();
        if size(&fitted) <= budget {
            keep_low = mid;
        } else {
            keep_high = mid - 1;
        }
    }
    fitted.issues = report.issues[..keep_low].to_vec();
    let note = format!(
        "{} more documents need attention than this report can list; fix the ones shown and run again to see the rest.",
        total - keep_low
    );
    fitted.message = Some(match &report.message {
        Some(message) => format!("{message} {note}"),
        None => note,
    });
    fitted
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use koppel_core::{
        ConnectionSettings, ConnectionStatus, DocumentId, DocumentKind, IssueOutcome, IssueSubject,
        LedgerEntryId, LedgerKind, RunCounts, RunId, RunIssue, RunStatus,
    };

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0).unwrap()
    }

    fn connection(status: ConnectionStatus) -> Connection {
        Connection {
            id: ConnectionId::new("c1"),
            account_id: AccountId::new("a1"),
            department_id: DepartmentId::new("d1"),
            ledger: LedgerKind::Octopus,
            ledger_company: "123456".into(),
            status,
            settings: ConnectionSettings {
                invoice_journal: Some("70".into()),
                ..Default::default()
            },
            teamleader_secret: "koppel/c1/teamleader".into(),
            ledger_secret: "koppel/c1/ledger".into(),
            created_at: at(1),
            status_reason: None,
        }
    }

    #[test]
    fn connection_round_trips_and_every_one_carries_the_index_keys() {
        let active = connection(ConnectionStatus::Active);
        let item = connection_item(&active).unwrap();
        assert_eq!(connection_from_item(&item).unwrap(), active);
        assert!(item.contains_key(ACTIVE_PK) && item.contains_key(ACTIVE_SK));

        let mut paused = connection(ConnectionStatus::Paused);
        paused.status_reason = Some("paused by you".into());
        let item = connection_item(&paused).unwrap();
        assert_eq!(connection_from_item(&item).unwrap(), paused);
        assert!(item.contains_key(ACTIVE_PK) && item.contains_key(ACTIVE_SK));
    }

    fn record(state: ExportState, paid: bool) -> DocumentRecord {
        let mut record = DocumentRecord::pending(
            ConnectionId::new("c1"),
            DocumentId::new("doc-1"),
            DocumentKind::Invoice,
            Some("2026 / 1".into()),
            at(2),
        );
        record.state = state;
        record.paid = paid;
        record
    }

    #[test]
    fn only_exported_unpaid_records_carry_unpaid_index_keys() {
        let exported = ExportState::Exported {
            entry_id: LedgerEntryId::new("e1"),
            at: at(3),
        };
        let cases = [
            (record(ExportState::Pending, false), false),
            (record(exported.clone(), false), true),
            (record(exported, true), false),
            (
                record(
                    ExportState::Failed {
                        reason: "no VAT code".into(),
                    },
                    false,
                ),
                false,
            ),
        ];
        for (record, indexed) in cases {
            let item = document_item(&record).unwrap();
            assert_eq!(item.contains_key(UNPAID_PK), indexed, "{record:?}");
            assert_eq!(item.contains_key(UNPAID_SK), indexed, "{record:?}");
            assert_eq!(document_from_item(&item).unwrap(), record);
        }
    }

    #[test]
    fn exporting_records_carry_claim_attributes() {
        let until = at(4);
        let item = document_item(&record(
            ExportState::Exporting {
                run_id: RunId::new("r1"),
                until,
            },
            false,
        ))
        .unwrap();
        let reader = ItemReader::new("document", &item);
        assert_eq!(
            reader.opt_n(CLAIM_UNTIL).unwrap().unwrap(),
            until.timestamp_millis()
        );
        assert_eq!(reader.s(CLAIM_RUN).unwrap(), "r1");
        assert_eq!(reader.s(STATE).unwrap(), "exporting");
    }

    #[test]
    fn a_record_disagreeing_with_its_state_attribute_is_corrupt() {
        let mut item = document_item(&record(ExportState::Pending, false)).unwrap();
        item.insert(
            STATE.into(),
            aws_sdk_dynamodb::types::AttributeValue::S("exported".into()),
        );
        assert!(matches!(
            document_from_item(&item),
            Err(StoreError::Corrupt { .. })
        ));
    }

    fn report(issues: usize) -> RunReport {
        RunReport {
            connection_id: ConnectionId::new("c1"),
            run_id: RunId::new("r1"),
            job: "invoice-export".into(),
            started_at: at(5),
            updated_at: at(6),
            status: RunStatus::CompletedWithIssues,
            counts: RunCounts::InvoiceExport(Default::default()),
            issues: (0..issues)
                .map(|i| RunIssue {
                    subject: IssueSubject::Document {
                        id: DocumentId::new(format!("doc-{i}")),
                        number: Some(format!("2026 / {i}")),
                        kind: DocumentKind::Invoice,
                    },
                    outcome: IssueOutcome::Failed,
                    reason: "The VAT code 21 is not mapped; map it on the settings page.".into(),
                })
                .collect(),
            notices: Vec::new(),
            warnings: Vec::new(),
            message: None,
            invocations: 1,
        }
    }

    #[test]
    fn small_reports_are_kept_whole_and_expire_after_ninety_days() {
        let report = report(3);
        let (item, pointer) = report_items(&report).unwrap();
        assert_eq!(report_from_item(&item).unwrap(), report);
        let ttl = ItemReader::new("r", &item)
            .opt_n(TTL_ATTRIBUTE)
            .unwrap()
            .unwrap();
        assert_eq!(ttl, (at(5) + chrono::Duration::days(90)).timestamp());
        assert_eq!(
            ItemReader::new("p", &pointer)
                .opt_n(TTL_ATTRIBUTE)
                .unwrap()
                .unwrap(),
            ttl
        );
        assert!(!expired(&item, at(5) + chrono::Duration::days(89)).unwrap());
        assert!(expired(&item, at(5) + chrono::Duration::days(90)).unwrap());
    }

    #[test]
    fn oversized_reports_keep_as_many_issues_as_fit_and_say_so() {
        let big = report(5_000);
        let fitted = fit_report(&big);
        let size = serde_json::to_string(&fitted).unwrap().len();
        assert!(size <= MAX_REPORT_JSON, "{size}");
        assert!(fitted.issues.len() > 1_000 && fitted.issues.len() < 5_000);
        assert_eq!(fitted.issues[..], big.issues[..fitted.issues.len()]);
        let message = fitted.message.unwrap();
        assert!(
            message.contains(&format!("{} more documents", 5_000 - fitted.issues.len())),
            "{message}"
        );
    }
}
