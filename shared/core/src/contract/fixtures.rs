//! Values the contract checks store: fixed instants, connections, document records, run
//! reports and ledger lists.

use crate::{
    AccountId, Connection, ConnectionId, ConnectionSettings, ConnectionStatus, DepartmentId,
    DocumentId, DocumentKind, DocumentRecord, ExportCounts, ExportState, FiscalPeriod, GlAccount,
    IssueOutcome, IssueSubject, Journal, JournalKind, LedgerEntryId, LedgerKind,
    LedgerReferenceData, Money, RunCounts, RunId, RunIssue, RunReport, RunStatus, TaxRateId,
    VatCode,
};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rust_decimal::Decimal;

/// The start of the contract's day: every instant the checks use lies within one day after
/// it (1 March 2026, 00:00 UTC).
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("a valid instant")
}

/// [`epoch`] plus `minutes`.
pub fn at(minutes: i64) -> DateTime<Utc> {
    epoch() + TimeDelta::minutes(minutes)
}

/// One millisecond: the smallest step the checks take around a deadline.
pub fn ms() -> TimeDelta {
    TimeDelta::milliseconds(1)
}

/// A connection id.
pub fn conn(id: &str) -> ConnectionId {
    ConnectionId::from(id)
}

/// A connection of `account` with `status` and settings that are not the defaults (so a
/// store that loses or resets them is caught).
pub fn connection(id: &str, account: &str, status: ConnectionStatus) -> Connection {
    Connection {
        id: conn(id),
        account_id: AccountId::from(account),
        department_id: DepartmentId::new(format!("dept-{id}")),
        ledger: LedgerKind::Octopus,
        ledger_company: "123456".into(),
        status,
        settings: ConnectionSettings {
            invoice_journal: Some("70".into()),
            credit_note_journal: Some("71".into()),
            vat_codes: [(TaxRateId::from("tax-21"), "4".to_owned())].into(),
            default_gl_account: Some("700000".into()),
            attach_pdf: true,
            automatic_sync: true,
            ..ConnectionSettings::default()
        },
        teamleader_secret: format!("koppel/{id}/teamleader"),
        ledger_secret: format!("koppel/{id}/ledger"),
        created_at: at(0),
        status_reason: None,
    }
}

/// A pending record of an invoice, numbered after the document, last changed at `at(60)`.
pub fn pending(connection: &str, document: &str) -> DocumentRecord {
    DocumentRecord::pending(
        conn(connection),
        DocumentId::from(document),
        DocumentKind::Invoice,
        Some(format!("2026 / {document}")),
        at(60),
    )
}

/// A record in `state`, otherwise like [`pending`].
pub fn with_state(connection: &str, document: &str, state: ExportState) -> DocumentRecord {
    DocumentRecord {
        state,
        ..pending(connection, document)
    }
}

/// A failed record after `attempts` attempts.
pub fn failed(connection: &str, document: &str, attempts: u32) -> DocumentRecord {
    DocumentRecord {
        attempts,
        ..with_state(
            connection,
            document,
            ExportState::Failed {
                reason: "VAT code 21 is not mapped".into(),
            },
        )
    }
}

/// An exported record with everything an export fills in; `paid` as given.
pub fn exported(connection: &str, document: &str, paid: bool) -> DocumentRecord {
    DocumentRecord {
        total_incl: Some(Money::eur(Decimal::new(12_100, 2))),
        source_updated_at: Some(at(30)),
        fingerprint: Some(format!("2026-02-27|company:{document}|121.00")),
        ledger_entry_number: Some("26700001".into()),
        paid,
        attempts: 1,
        updated_at: at(90),
        ..with_state(
            connection,
            document,
            ExportState::Exported {
                entry_id: LedgerEntryId::new(format!("entry-{document}")),
                at: at(90),
            },
        )
    }
}

/// A succeeded invoice-export report of `run` started at `started_at`.
pub fn report(connection: &str, run: &str, started_at: DateTime<Utc>) -> RunReport {
    RunReport {
        connection_id: conn(connection),
        run_id: RunId::from(run),
        job: "invoice-export".into(),
        started_at,
        updated_at: started_at + TimeDelta::minutes(2),
        status: RunStatus::Succeeded,
        counts: RunCounts::InvoiceExport(ExportCounts {
            exported: 3,
            ..ExportCounts::default()
        }),
        issues: Vec::new(),
        notices: Vec::new(),
        warnings: Vec::new(),
        message: None,
        invocations: 1,
    }
}

/// The same report finished with an issue, after three invocations.
pub fn with_issue(report: &RunReport) -> RunReport {
    RunReport {
        status: RunStatus::CompletedWithIssues,
        updated_at: report.updated_at + TimeDelta::minutes(5),
        issues: vec![RunIssue {
            subject: IssueSubject::Document {
                id: DocumentId::from("d-7"),
                number: Some("2026 / 7".into()),
                kind: DocumentKind::CreditNote,
            },
            outcome: IssueOutcome::Failed,
            reason: "map VAT code 6 first".into(),
        }],
        message: Some("one document needs attention".into()),
        invocations: 3,
        ..report.clone()
    }
}

/// Ledger lists with `accounts` GL accounts (about 110 bytes of JSON each, with non-ASCII
/// text), one journal, one VAT code and one fiscal period.
pub fn reference_data(accounts: usize) -> LedgerReferenceData {
    LedgerReferenceData {
        gl_accounts: (0..accounts)
            .map(|i| GlAccount {
                id: format!("guid-{i}"),
                code: format!("{}", 700_000 + i),
                description: format!("Omzet — categorie {i} (é, ü, ß)"),
                is_revenue: true,
                blocked: i % 7 == 0,
            })
            .collect(),
        journals: vec![Journal {
            code: "70".into(),
            description: "Verkoop".into(),
            kind: JournalKind::Sales,
        }],
        vat_codes: vec![VatCode {
            code: "4".into(),
            description: "21 % excl".into(),
            percentage: Decimal::new(21, 0),
            exclusive: true,
            blocked: false,
        }],
        periods: vec![FiscalPeriod {
            year: 2026,
            period: 3,
            start: epoch().date_naive(),
            end: epoch().date_naive() + TimeDelta::days(30),
            closed: false,
        }],
    }
}
