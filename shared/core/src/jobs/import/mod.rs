//! The company import: the ledger's customers become Teamleader companies (private
//! customers: contacts), without creating duplicates in the first place. A [`ConnectionJob`]
//! on the shared lifecycle, on request.
//!
//! Per ledger customer (page by page, [`crate::LedgerCustomers::list_customers`]), among
//! Teamleader's companies, or its contacts when the customer is a private person — the
//! ledger says so ([`crate::LedgerCustomer::person`]), or the user said customers without
//! any number are ([`crate::ConnectionSettings::private_customers_without_numbers`]) — and
//! among the other kind when none of its own matches (a sole trader kept as a contact, a
//! private customer kept as a company):
//! 1. one already carries its customer number as external id → nothing to do (running the
//!    import twice changes nothing);
//! 2. exactly one company has its VAT number (one contact its e-mail address), or else
//!    exactly one has its name (normalised: case, accents and legal forms folded) and no
//!    contradicting VAT number (e-mail address) → that one gets the external id, nothing is
//!    created;
//! 3. several match → listed as ambiguous, never guessed;
//! 4. the one match already has another external id → listed as a conflict;
//! 5. no match → a new company (contact) tagged with the ledger's import tag in the
//!    account's language, with name, VAT number, address, e-mail, phone and the external id.
//!
//! Koppel's customer mapping records each link (the export's source of truth). A customer
//! created is found again by its external id on the next invocation, so a lost answer of
//! `companies.add` / `contacts.add` never gives a second one (the add is sent once).

use super::lifecycle::{ConnectionJob, JobError, RunContext, SourceAndLedger, Stop};
use crate::domain::names::has_legal_form;
use crate::{
    CompanyQuery, CompanyUpdate, Connection, Customer, CustomerKind, CustomerMappingStore,
    CustomerRef, Disposition, ExternalError, ImportCounts, IssueOutcome, IssueSubject,
    LedgerCustomer, NewCompany, NewContact, PersonName,
};
use async_trait::async_trait;
use directory::{Decision, Directory, Holds};
use serde::{Deserialize, Serialize};

mod directory;
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

/// Teamleader's side as one invocation of the import sees it.
struct Teamleader {
    companies: Directory,
    contacts: Directory,
    /// The import tag in the account's language.
    tag: String,
}

impl Teamleader {
    fn directory(&mut self, holds: Holds) -> &mut Directory {
        match holds {
            Holds::Companies => &mut self.companies,
            Holds::Contacts => &mut self.contacts,
        }
    }

    /// Where the ledger customer belongs and what to do with it: among the customers of its
    /// own kind first; when none of them matches, among the other kind (Teamleader may keep
    /// a sole trader as a contact, or a private customer as a company: linking it there
    /// creates no duplicate).
    fn decide(
        &mut self,
        code: &str,
        listed: &LedgerCustomer,
        person: Option<&PersonName>,
    ) -> (Holds, Decision) {
        let (own, other) = match person {
            Some(_) => (Holds::Contacts, Holds::Companies),
            None => (Holds::Companies, Holds::Contacts),
        };
        match self.directory(own).decide(code, &listed.customer) {
            Decision::Create => match self.directory(other).decide(code, &listed.customer) {
                Decision::Create => (own, Decision::Create),
                found => (other, found),
            },
            found => (own, found),
        }
    }
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
        let language = run.systems.source.account_language().await?;
        let mut teamleader = Teamleader {
            companies: Self::directory(run, Holds::Companies).await?,
            contacts: Self::directory(run, Holds::Contacts).await?,
            tag: import_tag(ledger_name, language.as_deref()),
        };
        loop {
            if run.must_hand_over() {
                return Err(Stop::Deadline);
            }
            let page = book.list_customers(cursor.page.as_deref()).await?;
            for customer in page.customers.iter().skip(cursor.done_in_page) {
                if run.must_hand_over() {
                    return Err(Stop::Deadline);
                }
                run.attempt();
                run.counts.listed += 1;
                self.import_one(run, &mut teamleader, customer).await?;
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
    /// Every company (contact) of the Teamleader account, a page of 100 per call.
    async fn directory(run: &ImportRun<'_>, holds: Holds) -> Result<Directory, Stop> {
        let source = &run.systems.source;
        let mut directory = Directory::new(holds);
        let mut page = 1;
        loop {
            let listed = match holds {
                Holds::Companies => source.find_companies(&CompanyQuery::All, page).await?,
                Holds::Contacts => source.list_contacts(page).await?,
            };
            for customer in listed.customers {
                if customer.reference.kind == holds.kind() {
                    directory.add(customer);
                }
            }
            if !listed.more {
                return Ok(directory);
            }
            page += 1;
        }
    }

    async fn import_one(
        &self,
        run: &mut ImportRun<'_>,
        teamleader: &mut Teamleader,
        listed: &LedgerCustomer,
    ) -> Result<(), Stop> {
        let customer = &listed.customer;
        let person = Self::person(run, listed);
        let subject = match person {
            Some(_) => IssueSubject::Contact {
                id: customer.external_id.clone(),
                name: customer.name.clone(),
            },
            None => IssueSubject::Company {
                id: customer.external_id.clone(),
                name: customer.name.clone(),
            },
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
        let (holds, decision) = teamleader.decide(code, listed, person.as_ref());
        let directory = teamleader.directory(holds);
        match decision {
            Decision::AlreadyLinked(index) => {
                run.counts.already_linked += 1;
                let reference = directory.get(index).reference.clone();
                self.map(run, &reference, listed).await
            }
            Decision::Link(index) => {
                let reference = directory.get(index).reference.clone();
                let written = Self::write_external_id(run, &reference, code).await;
                if Self::refused(run, &subject, written)?.is_none() {
                    return Ok(());
                }
                directory.set_external_id(index, code);
                run.counts.linked += 1;
                self.map(run, &reference, listed).await
            }
            Decision::Ambiguous(indexes) => {
                run.counts.ambiguous += 1;
                let names: Vec<String> = indexes
                    .iter()
                    .map(|&i| format!("\"{}\"", directory.get(i).name))
                    .collect();
                run.issue(
                    subject,
                    IssueOutcome::Skipped,
                    format!(
                        "Several Teamleader {} match ({}): Koppel does not guess. Give the right one customer number {code} as external id (or merge the duplicates in Teamleader) and import again.",
                        holds.plural(),
                        names.join(", ")
                    ),
                );
                Ok(())
            }
            Decision::Conflict(index) => {
                run.counts.conflicts += 1;
                let found = directory.get(index);
                run.issue(
                    subject,
                    IssueOutcome::Skipped,
                    format!(
                        "Teamleader {} \"{}\" matches but already has customer number {} as external id, not {code}: check which is right in the ledger.",
                        holds.singular(),
                        found.name,
                        found.external_id.clone().unwrap_or_default()
                    ),
                );
                Ok(())
            }
            Decision::Create => {
                let created =
                    Self::create(run, &teamleader.tag, code, listed, person.as_ref()).await;
                let Some(reference) = Self::refused(run, &subject, created)? else {
                    return Ok(());
                };
                match reference.kind {
                    CustomerKind::Company => run.counts.created += 1,
                    CustomerKind::Contact => run.counts.contacts_created += 1,
                }
                self.mappings
                    .record_created_customer(&run.connection.id, &reference)
                    .await?;
                self.map(run, &reference, listed).await?;
                teamleader
                    .directory(Holds::of(reference.kind))
                    .add(Customer {
                        reference,
                        external_id: Some(code.to_owned()),
                        ..customer.clone()
                    });
                Ok(())
            }
        }
    }

    /// Give an existing Teamleader company or contact the customer number `code`.
    async fn write_external_id(
        run: &ImportRun<'_>,
        reference: &CustomerRef,
        code: &str,
    ) -> Result<(), ExternalError> {
        let source = &run.systems.source;
        match reference.kind {
            CustomerKind::Company => {
                let update = CompanyUpdate {
                    external_id: Some(code.to_owned()),
                    ..CompanyUpdate::default()
                };
                source.update_company(&reference.id, &update).await
            }
            CustomerKind::Contact => source.set_contact_external_id(&reference.id, code).await,
        }
    }

    /// The ledger customer's name as a private person, or `None` for a company: what the
    /// ledger says, or else, when the user said so for this connection, a customer without
    /// VAT number, registration number or legal form in its name.
    fn person(run: &ImportRun<'_>, listed: &LedgerCustomer) -> Option<PersonName> {
        let customer = &listed.customer;
        let name = customer.name.trim();
        match &listed.person {
            Some(person) => Some(person.clone()),
            None if run.connection.settings.private_customers_without_numbers
                && customer.vat_number.is_none()
                && listed.registration_number.is_none()
                && !name.is_empty()
                && !has_legal_form(name) =>
            {
                Some(PersonName {
                    first_name: None,
                    last_name: name.to_owned(),
                })
            }
            None => None,
        }
    }

    /// Create the ledger customer in Teamleader: a contact for a private person, else a
    /// company; tagged, with its customer number as external id.
    async fn create(
        run: &ImportRun<'_>,
        tag: &str,
        code: &str,
        listed: &LedgerCustomer,
        person: Option<&PersonName>,
    ) -> Result<CustomerRef, ExternalError> {
        let customer = &listed.customer;
        let source = &run.systems.source;
        match person {
            Some(name) => {
                let new = NewContact {
                    name: name.clone(),
                    email: customer.emails.first().cloned(),
                    phone: listed.phone.clone(),
                    address: customer.addresses.first().cloned(),
                    language: customer.language.clone(),
                    tags: vec![tag.to_owned()],
                    external_id: Some(code.to_owned()),
                };
                source.add_contact(&new).await.map(CustomerRef::contact)
            }
            None => {
                let new = NewCompany {
                    name: customer.name.clone(),
                    vat_number: customer.vat_number.as_ref().map(|v| v.as_str().to_owned()),
                    email: customer.emails.first().cloned(),
                    phone: listed.phone.clone(),
                    address: customer.addresses.first().cloned(),
                    tags: vec![tag.to_owned()],
                    external_id: Some(code.to_owned()),
                };
                source.add_company(&new).await.map(CustomerRef::company)
            }
        }
    }

    /// A refusal of this one customer is reported and the import goes on (`None`); any other
    /// error stops the invocation.
    fn refused<T>(
        run: &mut ImportRun<'_>,
        subject: &IssueSubject,
        result: Result<T, ExternalError>,
    ) -> Result<Option<T>, Stop> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.disposition() == Disposition::FailItem => {
                run.counts.failed += 1;
                run.issue(subject.clone(), IssueOutcome::Failed, e.to_string());
                Ok(None)
            }
            Err(e) => Err(Stop::External(e)),
        }
    }

    async fn map(
        &self,
        run: &ImportRun<'_>,
        reference: &CustomerRef,
        listed: &LedgerCustomer,
    ) -> Result<(), Stop> {
        self.mappings
            .put_customer_mapping(&run.connection.id, reference, &listed.id)
            .await?;
        Ok(())
    }
}
