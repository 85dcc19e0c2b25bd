//! Where an export run stands: the continuation cursor carried between invocations, and the
//! stored lower bound the next run lists from.

use crate::{
    Clock, ConnectionId, CursorStore, DepartmentId, DocumentId, DocumentKind, DocumentQuery,
    DocumentStore, ExportState, StoreError,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Name of the cursor holding the `updated_since` of the next run.
pub const SINCE_CURSOR: &str = "invoice-export.since";

/// Where a run stands between invocations (carried in the continuation message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCursor {
    /// Documents of this kind are being listed; `None` when both kinds are done.
    pub phase: Option<DocumentKind>,
    /// Page to list next (1-based).
    pub page: u32,
    /// Lower bound on Teamleader's `updated_at` for this run (`None`: everything since the start date).
    pub since: Option<DateTime<Utc>>,
    /// When the run started (becomes the next run's lower bound).
    pub run_started_at: DateTime<Utc>,
    /// Oldest `updated_at` of a document this run left unexported (failed or deferred): the
    /// next run must list from there so it is tried again once the user fixed the cause.
    pub oldest_unfinished: Option<DateTime<Utc>>,
    /// A one-document run ([`crate::JobKind::DocumentExport`]): only this document is listed
    /// (by id, whatever its last change), and the run ends after it without moving the
    /// nightly cursor. `None` for the nightly and manual runs.
    #[serde(default)]
    pub only: Option<DocumentId>,
    /// A backfill ("export again from a date"): every document not yet recorded as exported
    /// is looked up in the ledger before it is posted, so documents that reached the ledger
    /// some other way (an earlier deployment, a lost record, a restored backup) are recorded,
    /// never posted twice. Off for the nightly runs: there a document without a record was
    /// never sent.
    #[serde(default)]
    pub look_up_first: bool,
}

impl ExportCursor {
    /// The start of a run at `now`, listing changes since `since`.
    pub fn start(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        Self {
            phase: Some(DocumentKind::Invoice),
            page: 1,
            since,
            run_started_at: now,
            oldest_unfinished: None,
            only: None,
            look_up_first: false,
        }
    }

    /// A backfill from `since` at `now`: lists every document changed since then and looks
    /// each one up in the ledger before posting it (see [`Self::look_up_first`]).
    pub fn backfill(since: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self {
            look_up_first: true,
            ..Self::start(Some(since), now)
        }
    }

    /// The start of a one-document run at `now`: `document`, of `kind`, and nothing else.
    pub fn for_document(kind: DocumentKind, document: DocumentId, now: DateTime<Utc>) -> Self {
        Self {
            phase: Some(kind),
            page: 1,
            since: None,
            run_started_at: now,
            oldest_unfinished: None,
            only: Some(document),
            look_up_first: false,
        }
    }

    /// True for a one-document run: its end leaves the nightly cursor where it was.
    pub fn moves_nightly_cursor(&self) -> bool {
        self.only.is_none()
    }

    /// The listing of the current page: `kind`'s documents of `department` changed since the
    /// run's lower bound, or, in a one-document run, that document alone.
    pub fn query(
        &self,
        kind: DocumentKind,
        department: &DepartmentId,
        start_date: Option<NaiveDate>,
        page_size: u32,
    ) -> DocumentQuery {
        DocumentQuery {
            ids: self.only.iter().cloned().collect(),
            kind,
            department_id: Some(department.clone()),
            updated_since: if self.only.is_some() {
                None
            } else {
                self.since
            },
            date_from: start_date,
            page: self.page,
            page_size,
        }
    }

    /// A document changed at `updated_at` was left unexported: the next run lists from there.
    pub fn note_unfinished(&mut self, updated_at: DateTime<Utc>) {
        self.oldest_unfinished = Some(
            self.oldest_unfinished
                .map_or(updated_at, |o| o.min(updated_at)),
        );
    }

    /// The page was listed; move to the next page, or to the next kind when it was the last.
    pub fn advance(&mut self, page_was_full: bool) {
        if self.only.is_some() {
            // One document, one kind, one page.
            self.phase = None;
            self.page = 1;
            return;
        }
        if page_was_full {
            self.page += 1;
            return;
        }
        self.phase = match self.phase {
            Some(DocumentKind::Invoice) => Some(DocumentKind::CreditNote),
            Some(DocumentKind::CreditNote) | None => None,
        };
        self.page = 1;
    }

    /// The lower bound of the next run: this run's start, or the oldest document it left
    /// unexported, minus `overlap` (clock skew between Teamleader and Koppel).
    pub fn next_since(&self, overlap: chrono::Duration) -> DateTime<Utc> {
        self.oldest_unfinished
            .map_or(self.run_started_at, |o| o.min(self.run_started_at))
            - overlap
    }
}

/// The stored lower bound of the next run.
pub async fn read_since(
    store: &dyn CursorStore,
    connection: &ConnectionId,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(store
        .cursor(connection, SINCE_CURSOR)
        .await?
        .and_then(|raw| DateTime::parse_from_rfc3339(&raw).ok())
        .map(|t| t.with_timezone(&Utc)))
}

/// The user's "export again" for a document whose entry was deleted from the ledger on
/// purpose: the record goes back to pending and the next run lists from the document's last
/// change, so it is posted once more. Koppel never does this by itself.
pub async fn request_reexport(
    documents: &dyn DocumentStore,
    cursors: &dyn CursorStore,
    clock: &dyn Clock,
    connection: &ConnectionId,
    document: &DocumentId,
) -> Result<bool, StoreError> {
    let Some(mut record) = documents.document(connection, document).await? else {
        return Ok(false);
    };
    let listed_from =
        record.source_updated_at.unwrap_or(record.updated_at) - chrono::Duration::minutes(1);
    record.state = ExportState::Pending;
    record.fingerprint = None;
    record.ledger_entry_number = None;
    record.updated_at = clock.now();
    documents.put_document(&record).await?;
    // No cursor yet means the next run lists everything since the start date anyway.
    if let Some(since) = read_since(cursors, connection).await?
        && since > listed_from
    {
        cursors
            .put_cursor(connection, SINCE_CURSOR, &listed_from.to_rfc3339())
            .await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn invoices_then_credit_notes_page_by_page() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap();
        let mut cursor = ExportCursor::start(None, now);
        cursor.advance(true);
        assert_eq!(
            (cursor.phase, cursor.page),
            (Some(DocumentKind::Invoice), 2)
        );
        cursor.advance(false);
        assert_eq!(
            (cursor.phase, cursor.page),
            (Some(DocumentKind::CreditNote), 1)
        );
        cursor.advance(false);
        assert_eq!(cursor.phase, None);
    }

    #[test]
    fn a_one_document_run_lists_that_document_by_id_and_ends_after_it() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap();
        let mut cursor =
            ExportCursor::for_document(DocumentKind::CreditNote, DocumentId::new("cn-1"), now);
        assert!(!cursor.moves_nightly_cursor());
        let query = cursor.query(
            DocumentKind::CreditNote,
            &DepartmentId::new("dep"),
            NaiveDate::from_ymd_opt(2026, 1, 1),
            100,
        );
        assert_eq!(query.ids, vec![DocumentId::new("cn-1")]);
        assert_eq!(query.updated_since, None, "listed whatever its last change");
        assert_eq!(query.kind, DocumentKind::CreditNote);
        cursor.advance(true);
        assert_eq!(cursor.phase, None, "one page, one kind");
        // A continuation of an older run (no `only` in its JSON) is a nightly cursor.
        let mut json = serde_json::to_value(ExportCursor::start(None, now)).unwrap();
        json.as_object_mut().unwrap().remove("only");
        let old: ExportCursor = serde_json::from_value(json).unwrap();
        assert!(old.moves_nightly_cursor());
    }

    #[test]
    fn the_next_run_reaches_back_to_the_oldest_unfinished_document() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap();
        let overlap = chrono::Duration::minutes(10);
        let mut cursor = ExportCursor::start(None, now);
        assert_eq!(cursor.next_since(overlap), now - overlap);
        cursor.note_unfinished(now - chrono::Duration::days(3));
        cursor.note_unfinished(now - chrono::Duration::days(1));
        assert_eq!(
            cursor.next_since(overlap),
            now - chrono::Duration::days(3) - overlap
        );
    }
}
