//! The company import: the ledger's customers become Teamleader companies, without creating
//! duplicates in the first place. A [`ConnectionJob`] on the shared lifecycle, on request.
//!
//! Per ledger customer (page by page, [`crate::LedgerCustomers::list_customers`]):
//! 1. a Teamleader company already carries its customer number as external id → nothing to
//!    do (running the import twice changes nothing);
//! 2. exactly one company has its VAT number, or else exactly one company has its name
//!    (normalised: case, accents and legal forms folded) and no external id yet → that
//!    company gets the external id, no new company;
//! 3. several companies match → listed as ambiguous, never guessed;
//! 4. the one match already has another external id → listed as a conflict;
//! 5. no match → a new company tagged with the ledger's import tag in the account's language,
//!    with name, VAT number, address, e-mail and the external id.
//!
//! Koppel's customer mapping records each link (the export's source of truth). A company
//! created is found again by its external id on the next invocation, so a lost answer of
//! `companies.add` never gives a second company (the add is sent once).

use super::lifecycle::{ConnectionJob, JobError, RunContext, SourceAndLedger, Stop};
use crate::domain::names::normalize_company_name;
use crate::{
    CompanyQuery, CompanyUpdate, Connection, Customer, CustomerKind, CustomerMappingStore,
    Disposition, ImportCounts, IssueOutcome, IssueSubject, LedgerCustomerId, NewCompany,
};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[cfg(test)]
mod tests;

/// The company import of one connection.
pub struct CompanyImport<'a> {
    /// Koppel's Teamleader customer ↔ ledger customer mapping.
    pub mappings: &'a dyn CustomerMappingStore,
}

/// Where an import stands between invocations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCursor {
    /// The ledger's cursor of the page being imported (`None`: the first page).
    pub page: Option<String>,
    /// Customers of that page already handled.
    pub done_in_page: usize,
}

/// The import's run context.
pub type ImportRun<'a> = RunContext<'a, SourceAndLedger, ImportCounts>;

/// The import tag of `ledger` in `language` ("Exact Online Import", "Importation Exact
/// Online").
pub fn import_tag(ledger: &str, language: Option<&str>) -> String {
    match language.map(|l| l.get(..2).unwrap_or(l).to_ascii_lowercase()) {
        Some(l) if l == "fr" => format!("Importation {ledger}"),
        _ => format!("{ledger} Import"),
    }
}

/// Teamleader's companies, indexed the ways a ledger customer is matched.
#[derive(Default)]
struct Companies {
    by_external_id: HashMap<String, usize>,
    by_vat: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
    all: Vec<Customer>,
}

impl Companies {
    fn add(&mut self, company: Customer) {
        let index = self.all.len();
        if let Some(external_id) = company.external_id.as_deref().map(str::trim)
            && !external_id.is_empty()
        {
            self.by_external_id.insert(external_id.to_owned(), index);
        }
        if let Some(vat) = &company.vat_number {
            self.by_vat
                .entry(vat.as_str().to_owned())
                .or_default()
                .push(index);
        }
        let name = normalize_company_name(&company.name);
        if !name.is_empty() {
            self.by_name.entry(name).or_default().push(index);
        }
        self.all.push(company);
    }

    fn set_external_id(&mut self, index: usize, external_id: &str) {
        self.all[index].external_id = Some(external_id.to_owned());
        self.by_external_id.insert(external_id.to_owned(), index);
    }
}

/// What to do with one ledger customer.
enum Decision {
    AlreadyLinked(usize),
    Link(usize),
    Ambiguous(Vec<usize>),
    Conflict(usize),
    Create,
}

#[async_trait]
impl ConnectionJob for CompanyImport<'_> {
    const NAME: &'static str = "company-import";
    const NOUN: &'static str = "company import";
    type Systems = SourceAndLedger;
    type Cursor = ImportCursor;
    type Counts = ImportCounts;

    async fn first_cursor(
        &self,
        _connection: &Connection,
        _run: &ImportRun<'_>,
    ) -> Result<ImportCursor, JobError> {
        Ok(ImportCursor::default())
    }

    async fn work(&self, run: &mut ImportRun<'_>, cursor: &mut ImportCursor) -> Result<(), Stop> {
        let ledger = run.systems.ledger.clone();
        let ledger_name = ledger.kind().display_name();
        let Some(book) = ledger.customers() else {
            run.warn(format!(
                "{ledger_name} keeps no customers Koppel can read: there is nothing to import."
            ));
            return Ok(());
        };
        let mut companies = self.teamleader_companies(run).await?;
        let language = run.systems.source.account_language().await?;
        let tag = import_tag(ledger_name, language.as_deref());
        loop {
            if run.must_hand_over() {
                return Err(Stop::Deadline);
            }
            let page = book.list_customers(cursor.page.as_deref()).await?;
            for (id, customer) in page.customers.iter().skip(cursor.done_in_page) {
                if run.must_hand_over() {
                    return Err(Stop::Deadline);
                }
                run.attempt();
                run.counts.listed += 1;
                self.import_one(run, &mut companies, &tag, id, customer)
                    .await?;
                cursor.done_in_page += 1;
            }
            match page.next {
                Some(next) => {
                    cursor.page = Some(next);
                    cursor.done_in_page = 0;
                }
                None => return Ok(()),
            }
        }
    }

    async fn complete(
        &self,
        _run: &mut ImportRun<'_>,
        _cursor: &ImportCursor,
    ) -> Result<(), JobError> {
        Ok(())
    }
}

impl CompanyImport<'_> {
    /// Every company of the Teamleader account (a page of 100 per call).
    async fn teamleader_companies(&self, run: &ImportRun<'_>) -> Result<Companies, Stop> {
        let mut companies = Companies::default();
        let mut page = 1;
        loop {
            let listed = run
                .systems
                .source
                .find_companies(&CompanyQuery::All, page)
                .await?;
            for company in listed.companies {
                if company.reference.kind == CustomerKind::Company {
                    companies.add(company);
                }
            }
            if !listed.more {
                return Ok(companies);
            }
            page += 1;
        }
    }

    fn decide(companies: &Companies, code: &str, customer: &Customer) -> Decision {
        if let Some(&index) = companies.by_external_id.get(code) {
            return Decision::AlreadyLinked(index);
        }
        let by_vat = customer
            .vat_number
            .as_ref()
            .and_then(|vat| companies.by_vat.get(vat.as_str()));
        // By name only companies whose VAT number does not contradict the customer's.
        let by_name: Vec<usize> = companies
            .by_name
            .get(&normalize_company_name(&customer.name))
            .map(|names| {
                names
                    .iter()
                    .copied()
                    .filter(
                        |&i| match (&companies.all[i].vat_number, &customer.vat_number) {
                            (Some(theirs), Some(ours)) => theirs == ours,
                            _ => true,
                        },
                    )
                    .collect()
            })
            .unwrap_or_default();
        let candidates: &[usize] = match by_vat {
            Some(vat) if !vat.is_empty() => vat,
            _ if !by_name.is_empty() => &by_name,
            _ => return Decision::Create,
        };
        match candidates {
            [one] => match companies.all[*one].external_id.as_deref().map(str::trim) {
                Some(other) if !other.is_empty() => Decision::Conflict(*one),
                _ => Decision::Link(*one),
            },
            several => Decision::Ambiguous(several.to_vec()),
        }
    }

    async fn import_one(
        &self,
        run: &mut ImportRun<'_>,
        companies: &mut Companies,
        tag: &str,
        ledger_id: &LedgerCustomerId,
        customer: &Customer,
    ) -> Result<(), Stop> {
        let subject = IssueSubject::Company {
            id: customer.external_id.clone(),
            name: customer.name.clone(),
        };
        let Some(code) = customer
            .external_id
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        else {
            run.counts.skipped += 1;
            run.issue(
                subject,
                IssueOutcome::Skipped,
                "This ledger customer has no customer number: give it one in the ledger and import again.".to_owned(),
            );
            return Ok(());
        };
        match Self::decide(companies, code, customer) {
            Decision::AlreadyLinked(index) => {
                run.counts.already_linked += 1;
                self.map(run, &companies.all[index], ledger_id).await
            }
            Decision::Link(index) => {
                let company = companies.all[index].clone();
                let update = CompanyUpdate {
                    external_id: Some(code.to_owned()),
                    ..CompanyUpdate::default()
                };
                match run
                    .systems
                    .source
                    .update_company(&company.reference.id, &update)
                    .await
                {
                    Ok(()) => {}
                    Err(e) if e.disposition() == Disposition::FailItem => {
                        run.counts.failed += 1;
                        run.issue(subject, IssueOutcome::Failed, e.to_string());
                        return Ok(());
                    }
                    Err(e) => return Err(Stop::External(e)),
                }
                companies.set_external_id(index, code);
                run.counts.linked += 1;
                self.map(run, &company, ledger_id).await
            }
            Decision::Ambiguous(indexes) => {
                run.counts.ambiguous += 1;
                let names: Vec<String> = indexes
                    .iter()
                    .map(|&i| format!("\"{}\"", companies.all[i].name))
                    .collect();
                run.issue(
                    subject,
                    IssueOutcome::Skipped,
                    format!(
                        "Several Teamleader companies match ({}): Koppel does not guess. Give the right one customer number {code} as external id (or merge the duplicates in Teamleader) and import again.",
                        names.join(", ")
                    ),
                );
                Ok(())
            }
            Decision::Conflict(index) => {
                run.counts.conflicts += 1;
                let company = &companies.all[index];
                run.issue(
                    subject,
                    IssueOutcome::Skipped,
                    format!(
                        "Teamleader company \"{}\" matches but already has customer number {} as external id, not {code}: check which is right in the ledger.",
                        company.name,
                        company.external_id.clone().unwrap_or_default()
                    ),
                );
                Ok(())
            }
            Decision::Create => {
                let new = NewCompany {
                    name: customer.name.clone(),
                    vat_number: customer.vat_number.as_ref().map(|v| v.as_str().to_owned()),
                    email: customer.emails.first().cloned(),
                    address: customer.addresses.first().cloned(),
                    tags: vec![tag.to_owned()],
                    external_id: Some(code.to_owned()),
                };
                let id = match run.systems.source.add_company(&new).await {
                    Ok(id) => id,
                    Err(e) if e.disposition() == Disposition::FailItem => {
                        run.counts.failed += 1;
                        run.issue(subject, IssueOutcome::Failed, e.to_string());
                        return Ok(());
                    }
                    Err(e) => return Err(Stop::External(e)),
                };
                let created = Customer {
                    reference: crate::CustomerRef::company(id),
                    external_id: Some(code.to_owned()),
                    ..customer.clone()
                };
                run.counts.created += 1;
                self.mappings
                    .record_created_customer(&run.connection.id, &created.reference)
                    .await?;
                self.map(run, &created, ledger_id).await?;
                companies.add(created);
                Ok(())
            }
        }
    }

    async fn map(
        &self,
        run: &ImportRun<'_>,
        company: &Customer,
        ledger_id: &LedgerCustomerId,
    ) -> Result<(), Stop> {
        self.mappings
            .put_customer_mapping(&run.connection.id, &company.reference, ledger_id)
            .await?;
        Ok(())
    }
}
