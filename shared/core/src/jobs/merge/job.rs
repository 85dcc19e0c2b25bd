//! The merge-file job: an uploaded merge file previewed, then applied, on the shared job
//! lifecycle. The message names the merge job and whether to apply it.
//!
//! - Both steps read the file from the file store and parse it ([`parse_merge_file`]); bad
//!   input fails the run with every problem listed by row, nothing applied.
//! - Both steps read every Teamleader company and compute the preview ([`preview_merge`]):
//!   applying recomputes it (Teamleader may have changed since the preview), which also makes
//!   applying resumable and idempotent — a company linked by an earlier invocation shows up
//!   as already linked.
//! - Companies Koppel's own import created (tagged with the import tag) are set aside when
//!   matching: a row whose customer number such a company carries is matched to the original
//!   company by name or VAT number, which receives the customer number. Applying then removes
//!   the duplicate only when Koppel's store records that its import created it and nothing in
//!   Teamleader refers to it (no invoice, credit note, deal or linked contact); otherwise it
//!   is reported with what to do.
//! - Applying sets the external id on the matched companies (and Koppel's mapping); rows no
//!   company matched, ambiguous rows and conflicts come back in the report, to merge by hand.

use super::{MatchBy, MergeLimits, MergePreview, parse_merge_file, preview_merge};
use crate::jobs::import::import_tag;
use crate::jobs::lifecycle::{ConnectionJob, JobError, RunContext, SourceOnly, Stop};
use crate::{
    CompanyQuery, Connection, Customer, CustomerMappingStore, Disposition, FileStore, IssueOutcome,
    IssueSubject, JobKind, LedgerCustomerId, MergeFileCounts, MergeJob, MergeJobStore,
};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The merge-file job of one connection.
pub struct MergeFileJob<'a> {
    /// The merge jobs (criterion, preview, outcome).
    pub merges: &'a dyn MergeJobStore,
    /// Koppel's Teamleader company ↔ ledger customer mapping, kept in step with the links.
    pub mappings: &'a dyn CustomerMappingStore,
    /// Where the uploaded files are.
    pub files: &'a dyn FileStore,
    /// Size and row limits of a file.
    pub limits: MergeLimits,
}

/// Nothing to carry between invocations: every step recomputes the preview.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeCursor;

/// The merge job's run context.
pub type MergeRun<'a> = RunContext<'a, SourceOnly, MergeFileCounts>;

/// A preview with the duplicates Koppel's import created set aside.
struct Plan {
    preview: MergePreview,
    /// Row number → the import-created companies carrying its customer number, for rows
    /// whose company is another one.
    duplicates: HashMap<u32, Vec<Customer>>,
}

#[async_trait]
impl ConnectionJob for MergeFileJob<'_> {
    const NAME: &'static str = "merge-file";
    const NOUN: &'static str = "merge file";
    type Systems = SourceOnly;
    type Cursor = MergeCursor;
    type Counts = MergeFileCounts;

    async fn first_cursor(
        &self,
        _connection: &Connection,
        _run: &MergeRun<'_>,
    ) -> Result<MergeCursor, JobError> {
        Ok(MergeCursor)
    }

    async fn work(&self, run: &mut MergeRun<'_>, _cursor: &mut MergeCursor) -> Result<(), Stop> {
        let JobKind::MergeFile { merge_id, apply } = run.message.kind.clone() else {
            return Err(Stop::Refused(
                "This message is not a merge-file job.".to_owned(),
            ));
        };
        let Some(mut merge) = self.merges.merge_job(&run.connection.id, &merge_id).await? else {
            return Err(Stop::Refused(format!(
                "Merge file {merge_id} no longer exists: upload it again on the connection page."
            )));
        };
        let plan = match self.plan(run, &merge).await? {
            Some(plan) => plan,
            None => return Err(Stop::Refused(bad_file_message(run))),
        };
        let counts = &plan.preview.counts;
        run.counts.rows = counts.rows;
        run.counts.to_link = counts.to_update;
        run.counts.unmatched = counts.to_add;
        run.counts.already_linked = counts.already_linked;
        run.counts.ambiguous = counts.ambiguous + counts.contested;
        run.counts.conflicts = counts.conflicts;
        run.counts.duplicates = plan.duplicates.values().map(|d| d.len() as u32).sum();
        merge.preview = Some(plan.preview.counts);
        merge.updated_at = run.clock.now();
        if apply {
            self.apply(run, &mut merge, &plan).await?;
            self.remove_duplicates(run, &mut merge, &plan).await?;
        }
        self.report_rows(run, &merge, &plan, apply);
        self.merges.put_merge_job(&merge).await?;
        Ok(())
    }

    async fn complete(
        &self,
        _run: &mut MergeRun<'_>,
        _cursor: &MergeCursor,
    ) -> Result<(), JobError> {
        Ok(())
    }
}

/// The run's message when the file itself is refused (its problems are the issues).
fn bad_file_message(run: &MergeRun<'_>) -> String {
    format!(
        "The merge file cannot be used: {} problem(s), listed by row. Correct them in the file and upload it again; nothing was changed.",
        run.report().issues.len()
    )
}

impl MergeFileJob<'_> {
    /// Read and check the file, read the companies, preview; `None` when the file is refused
    /// (its problems recorded as issues).
    async fn plan(&self, run: &mut MergeRun<'_>, merge: &MergeJob) -> Result<Option<Plan>, Stop> {
        let bytes = self
            .files
            .get(&merge.file_key)
            .await
            .map_err(|e| {
                Stop::External(crate::ExternalError::Unavailable {
                    system: "Koppel's file store",
                    detail: e.to_string(),
                })
            })?
            .ok_or_else(|| {
                Stop::Refused(format!(
                    "The file {} is no longer kept (files are kept for a limited time): upload it again.",
                    merge.file_name
                ))
            })?;
        let file = match parse_merge_file(&merge.file_name, &bytes, &self.limits) {
            Ok(file) => file,
            Err(error) => {
                for problem in error.problems() {
                    let subject = match problem.rows().first() {
                        Some(&row) => IssueSubject::FileRow {
                            file: merge.file_name.clone(),
                            row,
                        },
                        None => IssueSubject::FileRow {
                            file: merge.file_name.clone(),
                            row: 0,
                        },
                    };
                    run.issue(subject, IssueOutcome::Failed, problem.to_string());
                }
                return Ok(None);
            }
        };
        let ledger = run.connection.ledger.display_name();
        let mut import_created: HashSet<String> = HashSet::new();
        for language in ["nl", "fr"] {
            let tag = import_tag(ledger, Some(language));
            for company in self.companies(run, &CompanyQuery::Tagged(tag)).await? {
                import_created.insert(company.reference.id);
            }
        }
        let companies = self.companies(run, &CompanyQuery::All).await?;
        let (duplicates_of, kept): (Vec<Customer>, Vec<Customer>) = companies
            .into_iter()
            .partition(|c| import_created.contains(&c.reference.id) && c.external_id.is_some());
        let mut preview = preview_merge(&file.rows, &kept, merge.match_by);
        let by_external: HashMap<&str, Vec<&Customer>> =
            duplicates_of.iter().fold(HashMap::new(), |mut map, c| {
                if let Some(id) = c.external_id.as_deref() {
                    map.entry(id.trim()).or_default().push(c);
                }
                map
            });
        let mut duplicates = HashMap::new();
        for link in &preview.links {
            if let Some(found) = by_external.get(link.row.external_id.trim()) {
                duplicates.insert(link.row.row, found.iter().map(|c| (*c).clone()).collect());
            }
        }
        // A row only the import-created company carries: nothing to do, it is linked already.
        let (linked_by_import, additions): (Vec<_>, Vec<_>) = preview
            .additions
            .drain(..)
            .partition(|a| by_external.contains_key(a.row.external_id.trim()));
        preview.additions = additions;
        preview.counts.to_add = preview.additions.len() as u32;
        preview.counts.already_linked += linked_by_import.len() as u32;
        Ok(Some(Plan {
            preview,
            duplicates,
        }))
    }

    /// Every company answering `query` (a page of 100 per call).
    async fn companies(
        &self,
        run: &MergeRun<'_>,
        query: &CompanyQuery,
    ) -> Result<Vec<Customer>, Stop> {
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let listed = run.systems.source.find_companies(query, page).await?;
            all.extend(listed.customers);
            if !listed.more {
                return Ok(all);
            }
            page += 1;
        }
    }

    /// Give each matched company its customer number (and Koppel's mapping).
    async fn apply(
        &self,
        run: &mut MergeRun<'_>,
        merge: &mut MergeJob,
        plan: &Plan,
    ) -> Result<(), Stop> {
        let mut applied = merge.applied.clone().unwrap_or_default();
        for link in &plan.preview.links {
            if run.must_hand_over() {
                // What is linked now shows as already linked on the next invocation.
                merge.applied = Some(applied);
                self.merges.put_merge_job(merge).await?;
                return Err(Stop::Deadline);
            }
            run.attempt();
            let update = link.company_update();
            match run
                .systems
                .source
                .update_company(&link.company.reference.id, &update)
                .await
            {
                Ok(()) => {}
                Err(e) if e.disposition() == Disposition::FailItem => {
                    run.counts.failed += 1;
                    run.issue(
                        IssueSubject::FileRow {
                            file: merge.file_name.clone(),
                            row: link.row.row,
                        },
                        IssueOutcome::Failed,
                        format!(
                            "Teamleader company \"{}\" could not get customer number {}: {e}",
                            link.company.name, link.row.external_id
                        ),
                    );
                    continue;
                }
                Err(e) => {
                    merge.applied = Some(applied);
                    self.merges.put_merge_job(merge).await?;
                    return Err(Stop::External(e));
                }
            }
            self.mappings
                .put_customer_mapping(
                    &run.connection.id,
                    &link.company.reference,
                    &LedgerCustomerId::new(link.row.external_id.trim()),
                )
                .await?;
            applied.linked += 1;
            run.counts.linked += 1;
        }
        applied.duplicates = run.counts.duplicates;
        applied.unmatched = plan.preview.counts.to_add;
        applied.run_id = Some(run.run_id().clone());
        merge.applied = Some(applied);
        merge.updated_at = run.clock.now();
        Ok(())
    }

    /// Remove the duplicates Koppel's import created that nothing refers to (after their
    /// originals got the customer number); report the others with what to do.
    async fn remove_duplicates(
        &self,
        run: &mut MergeRun<'_>,
        merge: &mut MergeJob,
        plan: &Plan,
    ) -> Result<(), Stop> {
        for link in &plan.preview.links {
            for duplicate in plan.duplicates.get(&link.row.row).into_iter().flatten() {
                if run.must_hand_over() {
                    // Removed ones are gone; the rest are planned again next invocation.
                    self.merges.put_merge_job(merge).await?;
                    return Err(Stop::Deadline);
                }
                let subject = IssueSubject::Company {
                    id: Some(duplicate.reference.id.clone()),
                    name: duplicate.name.clone(),
                };
                let original = &link.company.name;
                let by_hand = format!(
                    "Merge the two in Teamleader (Actions → Merge) keeping \"{original}\"."
                );
                let created = self
                    .mappings
                    .created_by_koppel(&run.connection.id, &duplicate.reference)
                    .await?;
                if !created {
                    run.notice(
                        subject,
                        IssueOutcome::Skipped,
                        format!(
                            "This company carries the import tag and duplicates \"{original}\" (customer number {}), but Koppel did not create it, so Koppel never removes it. {by_hand}",
                            link.row.external_id
                        ),
                    );
                    continue;
                }
                let source = run.systems.source.clone();
                let references = source.company_references(&duplicate.reference.id).await?;
                if references.any() {
                    run.notice(
                        subject,
                        IssueOutcome::Skipped,
                        format!(
                            "Koppel's import created this company, which duplicates \"{original}\" (customer number {}); it is kept because Teamleader has {} on it. {by_hand}",
                            link.row.external_id,
                            references.describe()
                        ),
                    );
                    continue;
                }
                match source.delete_company(&duplicate.reference.id).await {
                    Ok(()) => {
                        run.counts.removed += 1;
                        run.notice(
                            subject,
                            IssueOutcome::Removed,
                            format!(
                                "Removed: Koppel's import had created it as a duplicate of \"{original}\", which now carries customer number {}; nothing in Teamleader referred to it.",
                                link.row.external_id
                            ),
                        );
                    }
                    Err(e) if e.disposition() == Disposition::FailItem => {
                        run.counts.failed += 1;
                        run.issue(
                            subject,
                            IssueOutcome::Failed,
                            format!("The duplicate could not be removed: {e}. {by_hand}"),
                        );
                    }
                    Err(e) => {
                        self.merges.put_merge_job(merge).await?;
                        return Err(Stop::External(e));
                    }
                }
            }
        }
        if let Some(applied) = merge.applied.as_mut() {
            applied.removed += run.counts.removed;
        }
        Ok(())
    }

    /// What needs a person, row by row (the duplicates too when only previewing: applying
    /// reports what it did with each).
    fn report_rows(&self, run: &mut MergeRun<'_>, merge: &MergeJob, plan: &Plan, applied: bool) {
        let file = &merge.file_name;
        let row_subject = |row: u32| IssueSubject::FileRow {
            file: file.clone(),
            row,
        };
        let by = match plan.preview.match_by {
            MatchBy::Name => "name",
            MatchBy::VatNumber => "VAT number",
        };
        for addition in &plan.preview.additions {
            run.issue(
                row_subject(addition.row.row),
                IssueOutcome::Skipped,
                format!(
                    "No Teamleader company matches \"{}\" by {by}: merge it by hand (or correct the row) and upload the file again.",
                    addition.row.name
                ),
            );
        }
        for ambiguous in &plan.preview.ambiguous {
            let names: Vec<String> = ambiguous
                .companies
                .iter()
                .map(|c| format!("\"{}\"", c.name))
                .collect();
            run.issue(
                row_subject(ambiguous.row.row),
                IssueOutcome::Skipped,
                format!(
                    "Several Teamleader companies match ({}): Koppel does not guess. Merge the duplicates in Teamleader first.",
                    names.join(", ")
                ),
            );
        }
        for contested in &plan.preview.contested {
            for row in &contested.rows {
                run.issue(
                    row_subject(row.row),
                    IssueOutcome::Skipped,
                    format!(
                        "Teamleader company \"{}\" matches several rows of the file: keep one of them.",
                        contested.company.name
                    ),
                );
            }
        }
        for conflict in &plan.preview.conflicts {
            run.issue(
                row_subject(conflict.row.row),
                IssueOutcome::Skipped,
                format!(
                    "Teamleader company \"{}\" already has customer number {}, not {}: check which is right.",
                    conflict.company.name,
                    conflict.company.external_id.clone().unwrap_or_default(),
                    conflict.row.external_id
                ),
            );
        }
        if applied {
            return;
        }
        for link in &plan.preview.links {
            for duplicate in plan.duplicates.get(&link.row.row).into_iter().flatten() {
                run.notice(
                    IssueSubject::Company {
                        id: Some(duplicate.reference.id.clone()),
                        name: duplicate.name.clone(),
                    },
                    IssueOutcome::Skipped,
                    format!(
                        "Koppel's import created this company, which duplicates \"{}\" (customer number {}). Applying the file removes it when Koppel created it and nothing in Teamleader refers to it; otherwise merge the two in Teamleader (Actions → Merge) keeping \"{}\".",
                        link.company.name, link.row.external_id, link.company.name
                    ),
                );
            }
        }
    }
}
