//! One small world for the jobs' unit tests: a Teamleader account and a ledger in memory, the
//! memory store and queue, a manual clock; and the way to run a job's messages to the end.

use crate::jobs::export::{ExportOptions, ExportStores, InvoiceExport};
use crate::jobs::lifecycle::{
    ConnectionJob, JobOutcome, LifecycleOptions, LifecyclePorts, run_job,
};
use crate::memory::{InMemoryLedger, InMemoryQueue, InMemorySource, InMemoryStore, ManualClock};
use crate::{
    AccountId, Clock, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    ConnectionStore, Customer, CustomerKind, CustomerRef, Deadline, DepartmentId, DocumentId,
    DocumentKind, DocumentLine, FiscalPeriod, FixedConnector, GlAccount, Job, JobKind, Journal,
    JournalKind, LedgerKind, LedgerReferenceData, Money, RunId, RunReport, SalesDocument,
    SourceStatus, TaxRateId, TaxTotal, VatCode,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal_macros::dec;
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap()
}

pub(crate) fn reference() -> LedgerReferenceData {
    LedgerReferenceData {
        gl_accounts: vec![GlAccount {
            id: "gl-700000".into(),
            code: "700000".into(),
            description: "Sales".into(),
            is_revenue: true,
            blocked: false,
        }],
        journals: vec![
            Journal {
                code: "700".into(),
                description: "Verkopen".into(),
                kind: JournalKind::Sales,
            },
            Journal {
                code: "710".into(),
                description: "Creditnota's".into(),
                kind: JournalKind::Sales,
            },
        ],
        vat_codes: vec![VatCode {
            code: "21".into(),
            description: "21%".into(),
            percentage: dec!(21),
            exclusive: true,
            blocked: false,
        }],
        periods: vec![FiscalPeriod {
            year: 2026,
            period: 1,
            start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            closed: false,
        }],
    }
}

pub(crate) fn connection() -> Connection {
    Connection {
        id: ConnectionId::from("c1"),
        account_id: AccountId::from("acc"),
        department_id: DepartmentId::from("dep"),
        ledger: LedgerKind::Octopus,
        ledger_company: "1".into(),
        status: ConnectionStatus::Active,
        settings: ConnectionSettings {
            invoice_journal: Some("700".into()),
            credit_note_journal: Some("710".into()),
            vat_codes: [(TaxRateId::from("tr21"), "21".to_owned())].into(),
            default_gl_account: Some("700000".into()),
            automatic_sync: true,
            ..Default::default()
        },
        teamleader_secret: "s/tl".into(),
        ledger_secret: "s/ledger".into(),
        created_at: start(),
        status_reason: None,
    }
}

pub(crate) fn customer(n: u32) -> Customer {
    Customer {
        reference: CustomerRef {
            kind: CustomerKind::Company,
            id: format!("company-{n}"),
        },
        name: format!("Company {n}"),
        vat_number: None,
        enterprise_number: None,
        addresses: Vec::new(),
        emails: Vec::new(),
        external_id: None,
        language: None,
    }
}

/// A booked document `n` of `kind` for customer `customer`, 100 + 21 VAT, changed a day ago.
pub(crate) fn document(kind: DocumentKind, n: u32, customer: u32) -> SalesDocument {
    let (prefix, status) = match kind {
        DocumentKind::Invoice => ("INV", SourceStatus::Outstanding),
        DocumentKind::CreditNote => ("CN", SourceStatus::Booked),
    };
    SalesDocument {
        id: DocumentId::new(format!("{prefix}-{n}")),
        kind,
        number: Some(format!("2026 / {n:04}")),
        department_id: DepartmentId::from("dep"),
        status,
        customer: CustomerRef::company(format!("company-{customer}")),
        date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        due_on: None,
        lines: vec![DocumentLine {
            description: "Consulting, a long description that goes on and on about the work".into(),
            quantity: dec!(1),
            unit_price: dec!(100),
            discount: None,
            total_excl: dec!(100),
            tax_rate_id: Some(TaxRateId::from("tr21")),
            vat_percentage: Some(dec!(21)),
            product_category_id: None,
        }],
        total_excl: Money::eur(dec!(100)),
        total_incl: Money::eur(dec!(121)),
        taxes: vec![TaxTotal {
            rate: dec!(21),
            taxable: dec!(100),
            tax: dec!(21),
        }],
        payment_reference: None,
        expected_payment_method: None,
        payment_term_days: None,
        credited_invoice_id: None,
        paid: false,
        payments: Vec::new(),
        updated_at: start() - chrono::Duration::days(1),
    }
}

/// An account with `invoices` invoices and `credit_notes` credit notes over `customers`
/// customers, plus one draft that must never be exported.
pub(crate) fn account(invoices: u32, credit_notes: u32, customers: u32, source: &InMemorySource) {
    for c in 1..=customers {
        source.put_customer(customer(c));
    }
    for n in 1..=invoices {
        source.put_document(document(DocumentKind::Invoice, n, n % customers + 1));
    }
    for n in 1..=credit_notes {
        source.put_document(document(
            DocumentKind::CreditNote,
            1000 + n,
            n % customers + 1,
        ));
    }
    let mut draft = document(DocumentKind::Invoice, 9999, 1);
    draft.status = SourceStatus::Draft;
    draft.number = None;
    source.put_document(draft);
}

pub(crate) struct World {
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) store: InMemoryStore,
    pub(crate) queue: InMemoryQueue,
    pub(crate) source: Arc<InMemorySource>,
    pub(crate) ledger: Arc<InMemoryLedger>,
    pub(crate) connector: FixedConnector,
}

impl World {
    pub(crate) fn new(ledger: InMemoryLedger) -> Self {
        let clock = Arc::new(ManualClock::new(start()));
        let source = Arc::new(
            InMemorySource::new().with_call_time(clock.clone(), Duration::from_millis(200)),
        );
        let ledger = Arc::new(ledger);
        let connector = FixedConnector {
            source: source.clone(),
            ledger: ledger.clone(),
            einvoice: None,
        };
        Self {
            clock,
            store: InMemoryStore::new(),
            queue: InMemoryQueue::new(),
            source,
            ledger,
            connector,
        }
    }

    pub(crate) fn with_account(invoices: u32, credit_notes: u32, customers: u32) -> Self {
        let world = Self::new(InMemoryLedger::new(LedgerKind::Octopus, reference()));
        account(invoices, credit_notes, customers, &world.source);
        world
    }

    /// One export invocation of `message` whose ledger "kills the Lambda" (panics) right
    /// after it accepted the next `crashes` entries: true when the invocation died.
    pub(crate) async fn export_killed_after_posts(&self, message: &Job, crashes: u32) -> bool {
        use futures::FutureExt;
        let connector = FixedConnector {
            source: self.source.clone(),
            ledger: Arc::new(crate::memory::CrashAfterPost::new(
                self.ledger.clone(),
                crashes,
            )),
            einvoice: None,
        };
        let export = InvoiceExport {
            stores: ExportStores::of(&self.store),
            options: ExportOptions::default(),
        };
        let ports = LifecyclePorts {
            connector: &connector,
            connections: &self.store,
            reports: &self.store,
            leases: &self.store,
            queue: &self.queue,
            clock: self.clock.as_ref(),
        };
        std::panic::AssertUnwindSafe(run_job(
            &export,
            &ports,
            message,
            Deadline::none(),
            LifecycleOptions::default(),
        ))
        .catch_unwind()
        .await
        .is_err()
    }

    pub(crate) async fn connect(&self, connection: Connection) {
        self.store.put_connection(&connection).await.unwrap();
    }

    pub(crate) async fn invoke(&self, message: &Job, deadline: Deadline) -> JobOutcome {
        let export = InvoiceExport {
            stores: ExportStores::of(&self.store),
            options: ExportOptions {
                page_size: 10,
                ..Default::default()
            },
        };
        self.invoke_job(&export, message, deadline).await
    }

    /// One invocation of `job` for `message`, through the lifecycle.
    pub(crate) async fn invoke_job<J: ConnectionJob>(
        &self,
        job: &J,
        message: &Job,
        deadline: Deadline,
    ) -> JobOutcome {
        let ports = LifecyclePorts {
            connector: &self.connector,
            connections: &self.store,
            reports: &self.store,
            leases: &self.store,
            queue: &self.queue,
            clock: self.clock.as_ref(),
        };
        run_job(job, &ports, message, deadline, LifecycleOptions::default())
            .await
            .unwrap()
    }

    /// Run the export's `run` to its end: the first message, then every continuation, each
    /// invocation with `budget` of clock time. Returns the invocations and the final report.
    pub(crate) async fn run(&self, run: &str, budget: Option<Duration>) -> (u32, RunReport) {
        let export = InvoiceExport {
            stores: ExportStores::of(&self.store),
            options: ExportOptions {
                page_size: 10,
                ..Default::default()
            },
        };
        self.run_job(&export, JobKind::InvoiceExport, run, budget)
            .await
    }

    /// Run `job`'s `run` to its end, as [`World::run`] does for the export.
    pub(crate) async fn run_job<J: ConnectionJob>(
        &self,
        job: &J,
        kind: JobKind,
        run: &str,
        budget: Option<Duration>,
    ) -> (u32, RunReport) {
        let mut messages = vec![Job::start(ConnectionId::from("c1"), RunId::new(run), kind)];
        let mut invocations = 0;
        let mut last = None;
        while let Some(message) = messages.pop() {
            invocations += 1;
            assert!(invocations < 1000, "the run never ends");
            let deadline = match budget {
                Some(budget) => Deadline::after(self.clock.now(), budget, Duration::from_secs(5)),
                None => Deadline::none(),
            };
            let outcome = self.invoke_job(job, &message, deadline).await;
            if let Some(hard) = deadline.hard() {
                assert!(
                    self.clock.now() <= hard,
                    "an invocation outlived its deadline"
                );
            }
            last = Some(outcome);
            messages.extend(self.queue.take_sent());
        }
        let report = match last {
            Some(JobOutcome::Finished(report)) => report,
            other => panic!("the run did not finish: {other:?}"),
        };
        (invocations, report)
    }

    pub(crate) fn booked_references(&self) -> Vec<String> {
        let mut refs: Vec<String> = self
            .ledger
            .entries()
            .into_iter()
            .map(|e| e.entry.reference)
            .collect();
        refs.sort();
        refs
    }
}
