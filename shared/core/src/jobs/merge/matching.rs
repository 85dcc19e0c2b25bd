//! The preview of a merge: what applying a checked merge file to the Teamleader companies
//! would do, matching rows to companies by name or by VAT number.
//!
//! For each row, in this order:
//!
//! 1. a company already carries the row's external id → **already linked**, nothing to do
//!    (whatever the criterion: this is what makes applying a file twice change nothing, even
//!    for the companies the first run added);
//! 2. the row has no key for the criterion (no VAT number; a name that is only punctuation)
//!    → **added** as a new company;
//! 3. no company has the row's key → **added**;
//! 4. several companies have it → **ambiguous**, every candidate listed, none chosen;
//! 5. the one company has another external id → **conflict**, left alone;
//! 6. the one company is also the only match of another row → **contested**: the rows are
//!    listed together, none chosen (one company cannot take two customer numbers);
//! 7. otherwise → **linked**: the company receives the row's external id.
//!
//! Keys: names through [`normalize_company_name`] (case, accents, punctuation and legal forms
//! folded), VAT numbers through [`parse_vat`] (a company's number that does not parse has no
//! key). External ids are compared as written, trimmed (ledgers' customer numbers can be
//! case- and zero-sensitive). Only [`CustomerKind::Company`] customers are considered.
//!
//! Companies are indexed by key and by external id, so the preview takes time in proportion
//! to rows + companies. Every list comes in a fixed order (rows by row number, companies by
//! name then id) whatever the order the companies were fetched in.

use super::parse::MergeRow;
use crate::customer::{CompanyUpdate, Customer, CustomerKind, CustomerRef, NewCompany};
use crate::names::normalize_company_name;
use crate::vat::{VatNumber, parse_vat};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What rows are matched to companies on, as chosen by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchBy {
    /// The company name, normalised ("Bakkerij Janssens BV" ~ "bakkerij janssens").
    Name,
    /// The VAT number, normalised ("BE 0403.170.701" ~ "BE0403170701").
    VatNumber,
}

/// The Teamleader company a row is about, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanySummary {
    /// Where it lives in Teamleader.
    pub reference: CustomerRef,
    /// Its name in Teamleader.
    pub name: String,
    /// Its VAT number in Teamleader.
    pub vat_number: Option<VatNumber>,
    /// Its external id in Teamleader, trimmed; `None` when empty.
    pub external_id: Option<String>,
}

impl CompanySummary {
    /// The summary of a Teamleader company.
    fn of(company: &Customer) -> Self {
        Self {
            reference: company.reference.clone(),
            name: company.name.clone(),
            vat_number: company.vat_number.clone(),
            external_id: external_id_of(company).map(str::to_owned),
        }
    }
}

/// A company that would receive the external id of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedLink {
    /// The row.
    pub row: MergeRow,
    /// The company, which has no external id yet.
    pub company: CompanySummary,
}

impl PlannedLink {
    /// The change to make in Teamleader: the external id only (the company's name and VAT
    /// number in Teamleader are newer than the ledger's and stay).
    pub fn company_update(&self) -> CompanyUpdate {
        CompanyUpdate {
            external_id: Some(self.row.external_id.clone()),
            ..CompanyUpdate::default()
        }
    }
}

/// Why a row would be added as a new company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdditionReason {
    /// No company has the row's name or VAT number.
    NoMatchingCompany,
    /// The row has nothing to match on: no VAT number when matching by VAT number, or a name
    /// that is only punctuation when matching by name.
    NothingToMatchOn,
}

/// A row no company matches: applying would add it as a new company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedAddition {
    /// The row.
    pub row: MergeRow,
    /// Why no company matched.
    pub reason: AdditionReason,
}

impl PlannedAddition {
    /// The company to create: the row's name, normalised VAT number and external id, with
    /// `tags` (the job's choice, e.g. to find them again for merging by hand).
    pub fn new_company(&self, tags: Vec<String>) -> NewCompany {
        NewCompany {
            name: self.row.name.clone(),
            vat_number: self
                .row
                .vat_number
                .as_ref()
                .map(|vat| vat.normalised.as_str().to_owned()),
            email: None,
            phone: None,
            address: None,
            tags,
            external_id: Some(self.row.external_id.clone()),
        }
    }
}

/// A row several companies match: nothing is chosen, the user merges the companies first or
/// links by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmbiguousRow {
    /// The row.
    pub row: MergeRow,
    /// Every company that matches, by name then id.
    pub companies: Vec<CompanySummary>,
}

/// A row whose external id a company already carries: nothing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlreadyLinkedRow {
    /// The row.
    pub row: MergeRow,
    /// The companies carrying the external id (more than one when Teamleader has duplicates
    /// already linked), by name then id.
    pub companies: Vec<CompanySummary>,
}

/// A row whose one matching company already has another external id: left alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictingRow {
    /// The row.
    pub row: MergeRow,
    /// The company, with the external id it has now.
    pub company: CompanySummary,
}

/// A company that is the one match of several rows: it cannot take them all, so none is
/// applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContestedCompany {
    /// The company.
    pub company: CompanySummary,
    /// The rows matching it, by row number.
    pub rows: Vec<MergeRow>,
}

/// The numbers the page shows; every row counts in exactly one of the row counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeCounts {
    /// Rows in the file.
    pub rows: u32,
    /// Companies that would receive an external id.
    pub to_update: u32,
    /// Rows that would be added as new companies (the number to keep as low as possible).
    pub to_add: u32,
    /// Rows already linked: nothing to do.
    pub already_linked: u32,
    /// Rows matching several companies.
    pub ambiguous: u32,
    /// Rows whose company has another external id.
    pub conflicts: u32,
    /// Rows sharing their one matching company with other rows.
    pub contested: u32,
}

impl MergeCounts {
    /// Rows that need the user: ambiguous, conflicting and contested ones.
    pub fn needing_attention(&self) -> u32 {
        self.ambiguous + self.conflicts + self.contested
    }
}

/// What applying a merge file would do, by outcome; each list in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergePreview {
    /// The criterion used.
    pub match_by: MatchBy,
    /// Companies that would receive an external id, by row number.
    pub links: Vec<PlannedLink>,
    /// Rows that would be added as new companies, by row number.
    pub additions: Vec<PlannedAddition>,
    /// Rows matching several companies, by row number.
    pub ambiguous: Vec<AmbiguousRow>,
    /// Rows whose external id is already on a company, by row number.
    pub already_linked: Vec<AlreadyLinkedRow>,
    /// Rows whose company has another external id, by row number.
    pub conflicts: Vec<ConflictingRow>,
    /// Companies matched by several rows, by their first row number.
    pub contested: Vec<ContestedCompany>,
    /// The counts of all of the above.
    pub counts: MergeCounts,
}

/// Computes what applying `rows` to the Teamleader `companies` would do when matching by
/// `match_by` (see the module documentation for the rules). Pure and deterministic.
///
/// `rows` are those of a [`MergeFile`](super::MergeFile), whose external ids are unique;
/// `companies` are all the account's Teamleader companies (a company left out can neither be
/// matched nor be found already carrying an external id).
pub fn preview_merge(rows: &[MergeRow], companies: &[Customer], match_by: MatchBy) -> MergePreview {
    let companies: Vec<&Customer> = companies
        .iter()
        .filter(|customer| customer.reference.kind == CustomerKind::Company)
        .collect();
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_external_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, company) in companies.iter().enumerate() {
        if let Some(key) = company_key(company, match_by) {
            by_key.entry(key).or_default().push(index);
        }
        if let Some(external_id) = external_id_of(company) {
            by_external_id.entry(external_id).or_default().push(index);
        }
    }
    let summaries = |indices: &[usize]| -> Vec<CompanySummary> {
        let mut listed: Vec<CompanySummary> = indices
            .iter()
            .map(|index| CompanySummary::of(companies[*index]))
            .collect();
        listed.sort_by(|a, b| {
            (a.name.as_str(), a.reference.id.as_str())
                .cmp(&(b.name.as_str(), b.reference.id.as_str()))
        });
        listed
    };

    let mut ordered: Vec<&MergeRow> = rows.iter().collect();
    ordered.sort_by_key(|row| row.row);

    let mut preview = MergePreview {
        match_by,
        links: Vec::new(),
        additions: Vec::new(),
        ambiguous: Vec::new(),
        already_linked: Vec::new(),
        conflicts: Vec::new(),
        contested: Vec::new(),
        counts: MergeCounts::default(),
    };
    // Rows whose one match has no external id yet, per company: links unless contested.
    let mut candidates: Vec<(usize, Vec<&MergeRow>)> = Vec::new();
    let mut candidate_slot: HashMap<usize, usize> = HashMap::new();

    for row in ordered {
        if let Some(carriers) = by_external_id.get(row.external_id.trim()) {
            preview.already_linked.push(AlreadyLinkedRow {
                row: row.clone(),
                companies: summaries(carriers),
            });
            continue;
        }
        let Some(key) = row_key(row, match_by) else {
            preview.additions.push(PlannedAddition {
                row: row.clone(),
                reason: AdditionReason::NothingToMatchOn,
            });
            continue;
        };
        match by_key.get(&key).map(Vec::as_slice) {
            None | Some([]) => preview.additions.push(PlannedAddition {
                row: row.clone(),
                reason: AdditionReason::NoMatchingCompany,
            }),
            Some([only]) => {
                let company = companies[*only];
                if external_id_of(company).is_some() {
                    preview.conflicts.push(ConflictingRow {
                        row: row.clone(),
                        company: CompanySummary::of(company),
                    });
                } else {
                    let slot = *candidate_slot.entry(*only).or_insert_with(|| {
                        candidates.push((*only, Vec::new()));
                        candidates.len() - 1
                    });
                    candidates[slot].1.push(row);
                }
            }
            Some(several) => preview.ambiguous.push(AmbiguousRow {
                row: row.clone(),
                companies: summaries(several),
            }),
        }
    }

    // Candidates were met in row order, so links and contested companies come out by row.
    for (company, matched_rows) in candidates {
        let company = CompanySummary::of(companies[company]);
        match matched_rows.as_slice() {
            [row] => preview.links.push(PlannedLink {
                row: (*row).clone(),
                company,
            }),
            _ => preview.contested.push(ContestedCompany {
                company,
                rows: matched_rows.into_iter().cloned().collect(),
            }),
        }
    }
    preview.links.sort_by_key(|link| link.row.row);

    preview.counts = MergeCounts {
        rows: count(rows.len()),
        to_update: count(preview.links.len()),
        to_add: count(preview.additions.len()),
        already_linked: count(preview.already_linked.len()),
        ambiguous: count(preview.ambiguous.len()),
        conflicts: count(preview.conflicts.len()),
        contested: count(preview.contested.iter().map(|c| c.rows.len()).sum()),
    };
    preview
}

/// A list's length as a count (saturating; a merge file has far fewer rows than `u32::MAX`).
fn count(length: usize) -> u32 {
    u32::try_from(length).unwrap_or(u32::MAX)
}

/// A company's external id, trimmed; `None` when absent or blank.
fn external_id_of(company: &Customer) -> Option<&str> {
    company
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

/// A company's key for `match_by`; `None` when it has nothing to match on.
fn company_key(company: &Customer, match_by: MatchBy) -> Option<String> {
    match match_by {
        MatchBy::Name => name_key(&company.name),
        MatchBy::VatNumber => company
            .vat_number
            .as_ref()
            .and_then(|vat| parse_vat(vat.as_str()).ok())
            .map(|vat| vat.0),
    }
}

/// A row's key for `match_by`; `None` when it has nothing to match on.
fn row_key(row: &MergeRow, match_by: MatchBy) -> Option<String> {
    match match_by {
        MatchBy::Name => name_key(&row.name),
        MatchBy::VatNumber => row
            .vat_number
            .as_ref()
            .map(|vat| vat.normalised.as_str().to_owned()),
    }
}

/// A name's normal form; `None` when nothing is left of it.
fn name_key(name: &str) -> Option<String> {
    Some(normalize_company_name(name)).filter(|key| !key.is_empty())
}
