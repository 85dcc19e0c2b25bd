//! One document, exactly once: claim it with a conditional write, resolve a claim left by a
//! crashed worker by looking the entry up, fetch and map the document, post it once, and
//! record the outcome. Every doubt about whether the ledger booked it (a crashed worker, an
//! answer lost on the wire) is resolved here, by [`Ledger::find_entry`], never by posting
//! again: ledgers implement `post_entry` as a single send (see its contract).

use super::files::structured_else_pdf;
use super::mapping::{build_entry, fingerprint, journal_for};
use super::{ExportCursor, ExportOptions, ExportRun, Pass, ledger};
use crate::jobs::lifecycle::Stop;
use crate::{
    AttachmentSupport, ClaimOutcome, CustomerLink, Disposition, DocumentRecord, DocumentStore,
    DocumentSummary, EntryKey, ExportState, ExternalError, IssueOutcome, IssueSubject, LedgerEntry,
    PostedEntry,
};

/// One listed document being exported.
pub(crate) struct OneDocument<'a> {
    pub(crate) documents: &'a dyn DocumentStore,
    pub(crate) options: &'a ExportOptions,
    pub(crate) summary: &'a DocumentSummary,
}

/// The subject of a report issue about `summary`.
pub(crate) fn subject(summary: &DocumentSummary) -> IssueSubject {
    IssueSubject::Document {
        id: summary.id.clone(),
        number: summary.number.clone(),
        kind: summary.kind,
    }
}

impl OneDocument<'_> {
    /// Export the document unless it is exported already or another worker holds it.
    pub(crate) async fn export(
        &self,
        run: &mut ExportRun<'_>,
        pass: &mut Pass,
        cursor: &mut ExportCursor,
        customer: Result<CustomerLink, String>,
    ) -> Result<(), Stop> {
        let summary = self.summary;
        let now = run.clock.now();
        let until = now + self.options.claim_ttl;
        let mut record = DocumentRecord::pending(
            run.connection.id.clone(),
            summary.id.clone(),
            summary.kind,
            summary.number.clone(),
            now,
        );
        let previous = match self
            .documents
            .claim_document(&record, run.claim_owner(), now, until)
            .await?
        {
            ClaimOutcome::AlreadyExported(_) => {
                run.counts.already_exported += 1;
                return Ok(());
            }
            ClaimOutcome::Busy(_) => {
                run.counts.skipped += 1;
                cursor.note_unfinished(summary.updated_at);
                return Ok(());
            }
            ClaimOutcome::Claimed { previous } => previous,
        };
        record.attempts = previous.as_ref().map_or(0, |p| p.attempts) + 1;
        record.state = ExportState::Exporting {
            run_id: run.claim_owner().clone(),
            until,
        };
        // A ledger that cannot be searched: an earlier upload may be in it. The claim wrote a
        // fresh record; keep the note at once, so no way out of this attempt (a refusal, a
        // crash before it sends) loses the doubt about the earlier one.
        let finds_entries = ledger(run).capabilities().finds_entries;
        let earlier_send = previous.as_ref().and_then(|p| p.send_started);
        if let Some(started) = earlier_send
            && !finds_entries
        {
            record.send_started = Some(started);
            self.documents.put_document(&record).await?;
        }
        let in_doubt = earlier_send.is_some();

        let customer = match customer {
            Ok(c) => c,
            Err(reason) => return self.fail(run, cursor, record, reason).await,
        };
        let journal = match journal_for(summary.kind, &pass.mapping(run)) {
            Ok(j) => j,
            Err(reason) => return self.fail(run, cursor, record, reason).await,
        };
        let key = EntryKey {
            kind: summary.kind,
            journal,
            reference: summary.number.clone().unwrap_or_default(),
        };

        // Any earlier attempt may have reached the ledger: a claim left by a crashed worker,
        // an answer lost whose lookup failed too (a quota spent, an outage), a 500 taken for a
        // refusal though the entry was stored. Look before posting again (found by the chaos
        // harness: an answer lost, then the daily quota, gave a second entry the next night).
        // A ledger that cannot be searched keeps a note instead: an upload started and never
        // recorded is sent again and reported as "may have been sent twice" (never dropped,
        // never silently doubled).
        // A backfill looks every document up first: it may have reached the ledger some way
        // Koppel holds no record of.
        let looks_first = cursor.look_up_first || previous.as_ref().is_some_and(|p| p.attempts > 0);
        if finds_entries && looks_first {
            match ledger(run).find_entry(&key).await {
                Ok(Some(posted)) => {
                    let fp = fingerprint(summary.date, &summary.customer, &summary.total_incl);
                    return self.record_exported(run, record, posted, fp, true).await;
                }
                Ok(None) => {}
                Err(e) => return self.defer(run, pass, cursor, record, e).await,
            }
        }

        let document = match run.systems.source.document(summary.kind, &summary.id).await {
            Ok(d) => d,
            Err(e @ (ExternalError::NotFound { .. } | ExternalError::Rejected { .. })) => {
                let reason = format!("Teamleader could not give this {}: {e}", summary.kind);
                return self.fail(run, cursor, record, reason).await;
            }
            Err(e) => return self.defer(run, pass, cursor, record, e).await,
        };
        if !document.status.is_booked() {
            record.state = ExportState::Pending;
            self.documents.put_document(&record).await?;
            return Ok(());
        }
        let entry = match build_entry(&document, &customer, &pass.mapping(run)) {
            Ok(e) => LedgerEntry {
                retry: record.attempts > 1,
                ..e
            },
            Err(problems) => return self.fail(run, cursor, record, problems.join(" ")).await,
        };
        let download = match ledger(run).capabilities().attachment {
            AttachmentSupport::StructuredElsePdf => {
                structured_else_pdf(run, &mut pass.sellers, self.documents, &document)
                    .await
                    .map(|chosen| Some((chosen.file, chosen.pdf_reason)))
            }
            AttachmentSupport::Required(f) => self.download(run, f).await,
            AttachmentSupport::Optional(f) if run.connection.settings.attach_pdf => {
                self.download(run, f).await
            }
            AttachmentSupport::None | AttachmentSupport::Optional(_) => Ok(None),
        };
        let (file, pdf_reason) = match download {
            Ok(Some((file, reason))) => (Some(file), reason),
            Ok(None) => (None, None),
            Err(e) if e.disposition() == Disposition::FailItem => {
                let reason = format!("The file could not be downloaded from Teamleader: {e}");
                return self.fail(run, cursor, record, reason).await;
            }
            Err(e) => return self.defer(run, pass, cursor, record, e).await,
        };
        let fp = fingerprint(document.date, &document.customer, &document.total_incl);
        record.total_incl = Some(document.total_incl.clone());
        record.document_date = Some(document.date);
        record.source_updated_at = Some(document.updated_at);
        if !finds_entries {
            // Written before the upload: if the answer is lost (or this worker dies), the
            // next attempt knows the upload may have reached the ledger.
            record.send_started = Some(run.clock.now());
            self.documents.put_document(&record).await?;
        }
        let posted = ledger(run).post_entry(&entry, file.as_ref()).await;
        if !matches!(posted, Err(ExternalError::ConnectionRefused { .. })) {
            pass.connection_refusal = None;
        }
        if !matches!(
            posted,
            Ok(_) | Err(ExternalError::OutcomeUnknown { .. } | ExternalError::Malformed { .. })
        ) {
            // A refusal or an error before sending left nothing behind (the port's contract);
            // an earlier upload in doubt still is.
            record.send_started = earlier_send;
        }
        match posted {
            Ok(posted) => {
                self.note_file(run, in_doubt, pdf_reason, file.as_ref());
                self.record_exported(run, record, posted, fp, false).await
            }
            Err(ExternalError::Rejected { message, .. }) => {
                let name = ledger(run).kind().display_name();
                let reason = format!("{name} refused it: {message}");
                self.fail(run, cursor, record, reason).await
            }
            Err(e @ (ExternalError::OutcomeUnknown { .. } | ExternalError::Malformed { .. }))
                if !finds_entries =>
            {
                // The upload may have reached the ledger and it cannot be searched: the note
                // written before the upload stays; the next attempt sends it again and says so.
                tracing::warn!(connection_id = %run.connection.id, reference = %key.reference, error = %e, "the ledger's answer to an upload is unknown and it cannot be searched; the next attempt reports a possible duplicate");
                self.defer(run, pass, cursor, record, e).await
            }
            Err(e @ (ExternalError::OutcomeUnknown { .. } | ExternalError::Malformed { .. })) => {
                // The ledger may have booked it. Look before anything else.
                tracing::warn!(connection_id = %run.connection.id, reference = %key.reference, error = %e, "the ledger's answer is unknown; looking the entry up");
                match ledger(run).find_entry(&key).await {
                    Ok(Some(posted)) => self.record_exported(run, record, posted, fp, false).await,
                    _ => self.defer(run, pass, cursor, record, e).await,
                }
            }
            Err(e) => self.defer(run, pass, cursor, record, e).await,
        }
    }

    async fn record_exported(
        &self,
        run: &mut ExportRun<'_>,
        mut record: DocumentRecord,
        posted: PostedEntry,
        fingerprint: String,
        recovered: bool,
    ) -> Result<(), Stop> {
        let now = run.clock.now();
        record.state = ExportState::Exported {
            entry_id: posted.id,
            at: now,
        };
        record.ledger_entry_number = posted.entry_number;
        record.send_started = None;
        record.fingerprint = Some(fingerprint);
        record.paid = false;
        if record.total_incl.is_none() {
            record.total_incl = Some(self.summary.total_incl.clone());
            record.document_date = Some(self.summary.date);
            record.source_updated_at = Some(self.summary.updated_at);
        }
        record.updated_at = now;
        self.documents.put_document(&record).await?;
        if recovered {
            run.counts.already_exported += 1;
        } else {
            run.counts.exported += 1;
        }
        Ok(())
    }

    /// The document rendered by Teamleader in `format`.
    async fn download(
        &self,
        run: &ExportRun<'_>,
        format: crate::FileFormat,
    ) -> Result<Option<(crate::DocumentFile, Option<String>)>, ExternalError> {
        let summary = self.summary;
        let file = run
            .systems
            .source
            .document_file(summary.kind, &summary.id, format)
            .await?;
        Ok(Some((file, None)))
    }

    /// Count and report what was sent to a ledger that takes the document file: a
    /// structured file, or the PDF and why; and a send that may have doubled an earlier one.
    fn note_file(
        &self,
        run: &mut ExportRun<'_>,
        in_doubt: bool,
        pdf_reason: Option<String>,
        file: Option<&crate::DocumentFile>,
    ) {
        if in_doubt {
            let name = ledger(run).kind().display_name();
            run.counts.maybe_sent_twice += 1;
            run.issue(
                subject(self.summary),
                IssueOutcome::MaybeSentTwice,
                format!(
                    "This {} may have been sent twice — check the sales inbox in {name}: an earlier upload's answer was lost, and {name} offers no way to look a document up, so Koppel sent it again rather than risk losing it. Delete the second copy there if there are two.",
                    self.summary.kind
                ),
            );
        }
        if ledger(run).capabilities().attachment != AttachmentSupport::StructuredElsePdf {
            return;
        }
        match pdf_reason {
            None if file.is_some() => run.counts.sent_structured += 1,
            None => {}
            Some(reason) => {
                run.counts.sent_as_pdf += 1;
                run.notice(
                    subject(self.summary),
                    IssueOutcome::SentAsPdf,
                    format!("Sent as PDF: {reason}"),
                );
            }
        }
    }

    /// The document is at fault: record why (in words the user can act on) and go on.
    async fn fail(
        &self,
        run: &mut ExportRun<'_>,
        cursor: &mut ExportCursor,
        mut record: DocumentRecord,
        reason: String,
    ) -> Result<(), Stop> {
        record.state = ExportState::Failed {
            reason: reason.clone(),
        };
        record.updated_at = run.clock.now();
        self.documents.put_document(&record).await?;
        cursor.note_unfinished(self.summary.updated_at);
        if run.issue_once(subject(self.summary), IssueOutcome::Failed, reason) {
            run.counts.failed += 1;
        }
        Ok(())
    }

    /// A failure that may not be the document's fault: give the claim back; what happens to
    /// the run follows the error's disposition.
    ///
    /// A refusal of the whole connection ([`ExternalError::ConnectionRefused`]) is taken for
    /// this document's own the first time (it fails, with the ledger's words); the second
    /// identical one in a row stops the run: every other document would be refused the same
    /// way, and ledgers count such refusals (Exact blocks the app for an hour after more
    /// than 10 per endpoint per hour). The documents not tried stay pending.
    async fn defer(
        &self,
        run: &mut ExportRun<'_>,
        pass: &mut Pass,
        cursor: &mut ExportCursor,
        mut record: DocumentRecord,
        error: ExternalError,
    ) -> Result<(), Stop> {
        if let ExternalError::ConnectionRefused { .. } = &error {
            let text = error.to_string();
            if pass.connection_refusal.as_deref() != Some(text.as_str()) {
                tracing::warn!(connection_id = %run.connection.id, reason = %text, "the ledger refused the connection; stopping if it happens again");
                pass.connection_refusal = Some(text.clone());
                return self.fail(run, cursor, record, text).await;
            }
        } else {
            pass.connection_refusal = None;
        }
        record.state = ExportState::Pending;
        record.updated_at = run.clock.now();
        self.documents.put_document(&record).await?;
        match error.disposition() {
            Disposition::FailItem => {
                cursor.note_unfinished(self.summary.updated_at);
                if run.issue_once(
                    subject(self.summary),
                    IssueOutcome::Failed,
                    error.to_string(),
                ) {
                    run.counts.failed += 1;
                }
                Ok(())
            }
            // Tried again by the continuation of this same run.
            Disposition::HandOver => Err(Stop::External(error)),
            Disposition::PauseRun | Disposition::FailRun => {
                cursor.note_unfinished(self.summary.updated_at);
                run.counts.skipped += 1;
                Err(Stop::External(error))
            }
        }
    }
}
