//! A document exported earlier shows up again in a listing (it changed in Teamleader, or was
//! paid): report edits, and report an entry that disappeared from the ledger. Never re-post;
//! "export again" is the user's decision ([`super::request_reexport`]).

use super::document::subject;
use super::mapping::{fingerprint, journal_for};
use super::{ExportRun, Pass, ledger};
use crate::jobs::lifecycle::Stop;
use crate::{Disposition, DocumentRecord, DocumentSummary, EntryKey, IssueOutcome};

/// Look at an exported document listed again.
pub(crate) async fn check(
    run: &mut ExportRun<'_>,
    pass: &Pass,
    summary: &DocumentSummary,
    record: &DocumentRecord,
) -> Result<(), Stop> {
    // Listed again only because the cursor reaches back (an older document failed): nothing
    // happened to it, and it costs no call.
    if record
        .source_updated_at
        .is_some_and(|at| summary.updated_at <= at)
    {
        return Ok(());
    }
    let name = ledger(run).kind().display_name();
    let entry_number = record
        .ledger_entry_number
        .clone()
        .unwrap_or_else(|| "?".to_owned());
    let now_fp = fingerprint(summary.date, &summary.customer, &summary.total_incl);
    let capabilities = ledger(run).capabilities();
    if record.fingerprint.as_deref().is_some_and(|fp| fp != now_fp) {
        let advice = if capabilities.general_ledger {
            format!(
                "This {} was changed in Teamleader after it was exported to {name}. Koppel does not change booked entries: correct entry {entry_number} in {name} by hand (or credit it and book a new document).",
                summary.kind
            )
        } else {
            format!(
                "This {} was changed in Teamleader after it was sent to {name}, which keeps the version sent: a document is sent once. To send the new version, delete it from the sales inbox in {name}, then choose \"export again\" for it on the connection page.",
                summary.kind
            )
        };
        run.issue(subject(summary), IssueOutcome::ChangedAfterExport, advice);
        run.counts.changed_after_export += 1;
    }
    if !capabilities.finds_entries {
        // Nothing to look the document up by: whether it is still there is the portal's.
        return Ok(());
    }
    let Ok(journal) = journal_for(summary.kind, &pass.mapping(run)) else {
        return Ok(());
    };
    let key = EntryKey {
        kind: summary.kind,
        journal,
        reference: summary.number.clone().unwrap_or_default(),
    };
    match ledger(run).find_entry(&key).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => {
            run.issue(
                subject(summary),
                IssueOutcome::MissingInLedger,
                format!(
                    "This {} was exported to {name} (entry {entry_number}) but is no longer there. If it was deleted on purpose, choose \"export again\" for it on the connection page; Koppel never posts it again by itself.",
                    summary.kind
                ),
            );
            run.counts.missing_in_ledger += 1;
            Ok(())
        }
        Err(e) if e.disposition() == Disposition::FailItem => Ok(()),
        Err(e) => Err(Stop::External(e)),
    }
}
