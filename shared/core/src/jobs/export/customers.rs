//! Customers first: before a document goes to the ledger, its customer must exist there.
//! Stored mapping → the ledger's own customers (by code or VAT number, in batches) → create.
//! A company found or created this way gets the ledger's customer number as its external id
//! in Teamleader, where it had none (the seeds: "the external id column is filled on all your
//! invoices").

use crate::{
    Clock, CompanyUpdate, ConnectionId, CursorStore, Customer, CustomerKind, CustomerLink,
    CustomerMappingStore, CustomerRef, ExternalError, LeaseStore, Ledger, LedgerCustomerId,
    LedgerCustomerKey, Source, StoreError,
};
use std::collections::HashMap;
use std::time::Duration;

/// Outcome per customer: the link to put on its entries, or why its documents cannot go now.
pub type CustomerResults = HashMap<CustomerRef, Result<CustomerLink, CustomerProblem>>;

/// Why a customer's documents cannot go to the ledger in this pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerProblem {
    /// The customer cannot be exported (gone from Teamleader, refused by the ledger): its
    /// documents fail with this reason, which says what to do.
    Refused(String),
    /// Another worker is creating this customer right now (or died doing so and its lease
    /// has not lapsed yet): its documents are deferred — left pending, never failed — and go
    /// with the next pass once the creation is recorded or the lease lapsed.
    Busy,
}

/// How long a worker waits for another worker's creation of the same customer to be
/// recorded before it defers that customer's documents. A live creation is one or two ledger
/// calls; a dead worker's lease outlives this by far, and is not waited out.
const WAIT_FOR_OTHER_CREATION: Duration = Duration::from_secs(10);

/// How long a creation lease lasts when the invocation has no deadline (direct calls, tests):
/// the longest an invocation runs (the export's Lambda timeout) plus a request in flight.
const LEASE_WITHOUT_DEADLINE: chrono::Duration = crate::jobs::export::CLAIM_TTL;

/// What `ensure_customers` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CustomerCounts {
    /// Created in the ledger.
    pub created: u32,
    /// Matched to an existing ledger customer.
    pub matched: u32,
    /// Teamleader companies that received the ledger's customer number as external id.
    pub numbers_written: u32,
    /// What the user should know (an external id that disagrees with the ledger, one that
    /// could not be written), for the run's warnings.
    pub warnings: Vec<String>,
}

/// Errors that stop the run (as opposed to one customer's refusal).
#[derive(Debug, thiserror::Error)]
pub enum CustomerStepError {
    /// Koppel's state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An outside system failed in a way that affects every customer (credentials, quota, outage).
    #[error(transparent)]
    External(#[from] ExternalError),
    /// The invocation's deadline is near: the customers created so far are recorded, the
    /// rest are created by the continuation.
    #[error("the deadline is near; the next invocation creates the remaining customers")]
    Deadline,
}

/// What the customer step works with.
#[derive(Clone, Copy)]
pub struct CustomerPorts<'a> {
    /// Teamleader, where the customers are read.
    pub source: &'a dyn Source,
    /// The ledger, where they are found or created.
    pub ledger: &'a dyn Ledger,
    /// Teamleader customer → ledger customer, kept by Koppel.
    pub mappings: &'a dyn CustomerMappingStore,
    /// The lease under which one customer is created once.
    pub leases: &'a dyn LeaseStore,
    /// Where a creation under way is noted before the ledger is asked (see [`create_once`]).
    pub notes: &'a dyn CursorStore,
    /// Time (lease lifetimes, waiting for another worker's creation).
    pub clock: &'a dyn Clock,
    /// The invocation's deadline: a page with many new customers hands over between two
    /// creations instead of being killed mid-step (at least one is created per invocation).
    pub deadline: crate::Deadline,
    /// Write the ledger's customer number into Teamleader's external id (see
    /// [`write_number`]).
    pub write_numbers: bool,
}

/// Make sure every referenced customer exists in the ledger, creating missing ones once.
pub async fn ensure_customers(
    connection: &ConnectionId,
    refs: &[CustomerRef],
    ports: CustomerPorts<'_>,
    counts: &mut CustomerCounts,
) -> Result<CustomerResults, CustomerStepError> {
    let CustomerPorts {
        source,
        ledger,
        mappings,
        ..
    } = ports;
    let mut results = CustomerResults::new();
    let mut missing = Vec::new();
    for r in refs {
        if results.contains_key(r) || missing.contains(r) {
            continue;
        }
        match mappings.customer_mapping(connection, r).await? {
            Some(id) => {
                results.insert(r.clone(), Ok(CustomerLink::Ledger { id }));
            }
            None => missing.push(r.clone()),
        }
    }
    if missing.is_empty() {
        return Ok(results);
    }
    let Some(book) = ledger.customers() else {
        // Ledgers without customer management take the customer inside the document file.
        for r in missing {
            results.insert(r.clone(), Ok(CustomerLink::InDocument { customer: r }));
        }
        return Ok(results);
    };
    let ledger_name = ledger.kind().display_name();
    let customers = source.customers(&missing).await?;
    let by_ref: HashMap<&CustomerRef, &Customer> =
        customers.iter().map(|c| (&c.reference, c)).collect();
    for r in &missing {
        if !by_ref.contains_key(r) {
            results.insert(
                r.clone(),
                Err(CustomerProblem::Refused(format!("The customer ({r}) of this document no longer exists in Teamleader: restore it or correct the document."))),
            );
        }
    }
    let found = book.find_customers(&customers).await?;
    let mut created_here = 0u32;
    for (customer, existing) in customers.iter().zip(found) {
        let r = &customer.reference;
        let outcome = match existing {
            Some(key) => {
                counts.matched += 1;
                mappings
                    .put_customer_mapping(connection, r, &key.id)
                    .await?;
                if ports.write_numbers {
                    write_number(source, ledger_name, customer, &key, counts).await;
                }
                Ok(key.id)
            }
            None => {
                if created_here > 0 && ports.deadline.is_near(ports.clock) {
                    return Err(CustomerStepError::Deadline);
                }
                created_here += 1;
                create_once(connection, customer, ports, counts).await?
            }
        };
        let outcome =
            outcome
                .map(|id| CustomerLink::Ledger { id })
                .map_err(|problem| match problem {
                    CustomerProblem::Refused(e) => CustomerProblem::Refused(format!(
                        "Customer \"{}\" could not be created in {ledger_name}: {e}",
                        customer.name
                    )),
                    CustomerProblem::Busy => CustomerProblem::Busy,
                });
        results.insert(r.clone(), outcome);
    }
    Ok(results)
}

/// Create a customer under a lease so two workers never create the same customer twice, and
/// with a note written before the ledger is asked: a worker killed after the ledger created
/// it (or an answer lost on the wire) leaves the note, and the next attempt looks the
/// customer up ([`crate::LedgerCustomers::find_created`]) instead of creating it again.
///
/// The lease lasts until the holder is surely gone — its invocation's kill instant plus a
/// request in flight — so a slow creation (rate-limit waits, retries) is never taken over
/// while it runs. A worker that finds the lease held waits a little for the creation to be
/// recorded, then defers ([`CustomerProblem::Busy`]): waiting out a dead worker's lease would
/// stall the run, and failing the documents would blame them for a lock.
async fn create_once(
    connection: &ConnectionId,
    customer: &Customer,
    ports: CustomerPorts<'_>,
    counts: &mut CustomerCounts,
) -> Result<Result<LedgerCustomerId, CustomerProblem>, CustomerStepError> {
    let CustomerPorts {
        ledger,
        mappings,
        leases,
        notes,
        clock,
        ..
    } = ports;
    let Some(book) = ledger.customers() else {
        return Ok(Err(CustomerProblem::Refused(
            "this ledger does not take customers".to_owned(),
        )));
    };
    let lease = format!("customer:{connection}:{}", customer.reference.key());
    let owner = uuid::Uuid::new_v4().to_string();
    let waits = WAIT_FOR_OTHER_CREATION.as_secs();
    for attempt in 0..=waits {
        let now = clock.now();
        let until = ports
            .deadline
            .hard()
            .map_or(now + LEASE_WITHOUT_DEADLINE, |kill| {
                kill + crate::jobs::export::IN_FLIGHT_MARGIN
            });
        if leases.acquire_lease(&lease, &owner, now, until).await? {
            let result = async {
                if let Some(id) = mappings
                    .customer_mapping(connection, &customer.reference)
                    .await?
                {
                    return Ok(Ok(id));
                }
                let note = format!("customer-creation:{}", customer.reference.key());
                let started = notes
                    .cursor(connection, &note)
                    .await?
                    .and_then(|at| chrono::DateTime::parse_from_rfc3339(&at).ok());
                if let Some(started) = started
                    && let Some(key) = book
                        .find_created(customer, started.with_timezone(&chrono::Utc))
                        .await?
                {
                    counts.created += 1;
                    mappings
                        .put_customer_mapping(connection, &customer.reference, &key.id)
                        .await?;
                    return Ok(Ok(key.id));
                }
                notes
                    .put_cursor(connection, &note, &clock.now().to_rfc3339())
                    .await?;
                match book.create_customer(customer).await {
                    Ok(key) => {
                        counts.created += 1;
                        mappings
                            .put_customer_mapping(connection, &customer.reference, &key.id)
                            .await?;
                        if ports.write_numbers {
                            let ledger_name = ledger.kind().display_name();
                            write_number(ports.source, ledger_name, customer, &key, counts).await;
                        }
                        Ok(Ok(key.id))
                    }
                    Err(e @ ExternalError::Rejected { .. }) => {
                        Ok(Err(CustomerProblem::Refused(e.to_string())))
                    }
                    Err(e) => Err(CustomerStepError::External(e)),
                }
            }
            .await;
            leases.release_lease(&lease, &owner).await?;
            return result;
        }
        if attempt == waits {
            break;
        }
        clock.sleep(Duration::from_secs(1)).await;
        if let Some(id) = mappings
            .customer_mapping(connection, &customer.reference)
            .await?
        {
            return Ok(Ok(id));
        }
    }
    tracing::info!(%connection, customer = %customer.reference, "another worker holds this customer's creation; its documents are deferred");
    Ok(Err(CustomerProblem::Busy))
}

/// Give a Teamleader company (or contact: a private customer) the ledger's customer number
/// as external id, once its link is stored (the mapping is Koppel's source of truth, so this
/// write is an aid to the user and never a reason to stop the export: a failure becomes a
/// warning saying what to do). An external id Teamleader already has is never overwritten;
/// one that disagrees with the ledger is reported.
async fn write_number(
    source: &dyn Source,
    ledger_name: &str,
    customer: &Customer,
    key: &LedgerCustomerKey,
    counts: &mut CustomerCounts,
) {
    let reference = &customer.reference;
    let Some(number) = &key.number else {
        return;
    };
    let what = match reference.kind {
        CustomerKind::Company => "company",
        CustomerKind::Contact => "contact",
    };
    let current = customer
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    match current {
        Some(current) if current == number.as_str() => {}
        Some(current) => counts.warnings.push(format!(
            "Teamleader {what} \"{}\" has external id {current}, but it is customer {number} in {ledger_name}: correct the external id in Teamleader so both say the same.",
            customer.name
        )),
        None => {
            let written = match reference.kind {
                CustomerKind::Company => {
                    let update = CompanyUpdate {
                        external_id: Some(number.clone()),
                        ..CompanyUpdate::default()
                    };
                    source.update_company(&reference.id, &update).await
                }
                CustomerKind::Contact => {
                    source
                        .set_contact_external_id(&reference.id, number)
                        .await
                }
            };
            match written {
                Ok(()) => counts.numbers_written += 1,
                Err(e) => counts.warnings.push(format!(
                    "Customer number {number} of \"{}\" could not be written as external id in Teamleader ({e}): fill it in by hand; the export itself is not affected.",
                    customer.name
                )),
            }
        }
    }
}
