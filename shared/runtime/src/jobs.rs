//! Serving a job function on Lambda: an SQS batch in, each message's job handled with the
//! invocation's deadline, a partial batch response out.

use crate::metrics::{self, MetricLine};
use crate::sqs::{WholeBatchFailed, drive};
use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use koppel_core::jobs::lifecycle::{
    ConnectionJob, JobError, JobOutcome, LifecycleOptions, LifecyclePorts, run_job,
};
use koppel_core::{Clock, Connector, Deadline, Job, JobQueue, Store};
use lambda_runtime::LambdaEvent;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::info;

/// How long before the Lambda deadline a job stops taking work and hands over (at most a
/// quarter of the invocation's time).
pub const HANDOVER_MARGIN: Duration = Duration::from_secs(60);

/// A function that handles one job at a time.
#[async_trait]
pub trait JobHandler: Send + Sync {
    /// The clock the job runs on (the deadline is measured in it).
    fn clock(&self) -> &dyn Clock;
    /// Handle one job until done or until `deadline`; an error makes SQS deliver the message
    /// again.
    async fn handle_job(&self, job: Job, deadline: Deadline) -> Result<(), String>;
}

/// Makes a function's job for one invocation, from the store (the job borrows the store
/// roles it needs).
pub trait JobFactory: Send + Sync {
    /// The job.
    type Job<'a>: ConnectionJob
    where
        Self: 'a;
    /// The job for one invocation.
    fn job<'a>(&'a self, store: &'a dyn Store) -> Self::Job<'a>;
}

/// A job function on the shared lifecycle: the ports every job needs and the factory of its
/// job. Each job's crate names its own (`ExportFunction`, `PaymentPollFunction`, …).
pub struct LifecycleFunction<F> {
    /// State store.
    pub store: Arc<dyn Store>,
    /// Job queues (continuations).
    pub queue: Arc<dyn JobQueue>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Opens each connection's Teamleader account and ledger.
    pub connector: Arc<dyn Connector>,
    /// Makes the job.
    pub factory: F,
}

impl<F: JobFactory> LifecycleFunction<F> {
    /// Handle one SQS batch, as Lambda calls it.
    pub async fn handle(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, WholeBatchFailed> {
        handle_batch(self, event).await
    }

    /// Run one message until done or until `deadline`, and publish its metric line
    /// ([`crate::metrics::publish`]: stdout in Lambda).
    pub async fn run(&self, message: Job, deadline: Deadline) -> Result<JobOutcome, JobError> {
        let (outcome, line) = self.run_measured(message, deadline).await;
        metrics::publish(&line);
        outcome
    }

    /// Run one message until done or until `deadline`, and say what it did as a metric line
    /// (not published: [`Self::run`] publishes it; tests read it). The connector's usage of
    /// the connection's systems is read (and reset) after every invocation, whatever its
    /// outcome, so the next one counts only its own calls.
    pub async fn run_measured(
        &self,
        message: Job,
        deadline: Deadline,
    ) -> (Result<JobOutcome, JobError>, MetricLine) {
        let started = self.clock.now();
        let outcome = self.run_job(&message, deadline).await;
        let usage = self.connector.usage(&message.connection_id);
        let line = metrics::invocation_line(
            &message,
            outcome.as_ref(),
            &usage,
            started,
            self.clock.now(),
        );
        (outcome, line)
    }

    async fn run_job(&self, message: &Job, deadline: Deadline) -> Result<JobOutcome, JobError> {
        let store = self.store.as_ref();
        let ports = LifecyclePorts {
            connector: self.connector.as_ref(),
            connections: store,
            reports: store,
            leases: store,
            queue: self.queue.as_ref(),
            clock: self.clock.as_ref(),
        };
        let job = self.factory.job(store);
        let outcome = run_job(&job, &ports, message, deadline, LifecycleOptions::default()).await?;
        if let JobOutcome::Skipped(why) = &outcome {
            info!(connection_id = %message.connection_id, run_id = %message.run_id, job = message.kind.name(), reason = %why, "skipped");
        }
        Ok(outcome)
    }
}

#[async_trait]
impl<F: JobFactory> JobHandler for LifecycleFunction<F> {
    fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    async fn handle_job(&self, job: Job, deadline: Deadline) -> Result<(), String> {
        self.run(job, deadline)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The invocation's deadline in the clock's time: Lambda says when it kills the invocation
/// (epoch milliseconds in the context); work stops `margin` (at most a quarter of the time
/// left) before it.
pub fn deadline_of(
    context: &lambda_runtime::Context,
    clock: &dyn Clock,
    margin: Duration,
) -> Deadline {
    if context.deadline == 0 {
        return Deadline::none();
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let remaining = Duration::from_millis(context.deadline.saturating_sub(now_ms));
    Deadline::after(clock.now(), remaining, margin.min(remaining / 4))
}

/// Handle one SQS batch with `handler`.
pub async fn handle_batch<H: JobHandler + ?Sized>(
    handler: &H,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, WholeBatchFailed> {
    let deadline = deadline_of(&event.context, handler.clock(), HANDOVER_MARGIN);
    drive(event.payload, |job| handler.handle_job(job, deadline)).await
}

/// A Lambda `main` for a job function: serve SQS batches with `handler` until the runtime
/// stops.
pub async fn serve_jobs<H: JobHandler>(handler: H) -> Result<(), lambda_runtime::Error> {
    let handler = &handler;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| async move {
        handle_batch(handler, event)
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Metric, Value};
    use chrono::{NaiveDate, TimeZone, Utc};
    use koppel_core::jobs::export::{ExportOptions, ExportStores, InvoiceExport};
    use koppel_core::memory::{
        InMemoryLedger, InMemoryQueue, InMemorySource, InMemoryStore, ManualClock,
    };
    use koppel_core::{
        AccountId, ApiSystem, ApiUsage, Connection, ConnectionId, ConnectionSettings,
        ConnectionStatus, ConnectionStore, Customer, CustomerKind, CustomerRef, DepartmentId,
        DocumentId, DocumentKind, DocumentLine, ExternalError, FiscalPeriod, FixedConnector,
        GlAccount, JobKind, Journal, JournalKind, LedgerKind, LedgerReferenceData, Money, RunId,
        RunStatus, SalesDocument, SourceStatus, TaxRateId, TaxTotal, VatCode,
    };
    use rust_decimal::Decimal;
    use std::sync::Mutex;

    /// Makes the export, as the invoice-export function does.
    struct Export;

    impl JobFactory for Export {
        type Job<'a> = InvoiceExport<'a>;
        fn job<'a>(&'a self, store: &'a dyn Store) -> InvoiceExport<'a> {
            InvoiceExport {
                stores: ExportStores::of(store),
                options: ExportOptions::default(),
            }
        }
    }

    /// Fixed systems that say what each invocation asked of them, as the live connector does
    /// (once: a second read has nothing new).
    struct Counting {
        fixed: FixedConnector,
        usage: Mutex<Vec<ApiUsage>>,
        reads: Mutex<u32>,
    }

    #[async_trait]
    impl Connector for Counting {
        async fn source(
            &self,
            connection: &Connection,
            deadline: Deadline,
        ) -> Result<Arc<dyn koppel_core::Source>, koppel_core::ExternalError> {
            self.fixed.source(connection, deadline).await
        }
        async fn ledger(
            &self,
            connection: &Connection,
            deadline: Deadline,
        ) -> Result<Arc<dyn koppel_core::Ledger>, koppel_core::ExternalError> {
            self.fixed.ledger(connection, deadline).await
        }
        fn usage(&self, connection: &ConnectionId) -> Vec<ApiUsage> {
            assert_eq!(connection.as_str(), "c1");
            *self.reads.lock().unwrap() += 1;
            std::mem::take(&mut *self.usage.lock().unwrap())
        }
    }

    fn start() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap()
    }

    fn money(units: i64) -> Decimal {
        Decimal::new(units, 0)
    }

    fn reference() -> LedgerReferenceData {
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
                percentage: money(21),
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

    fn invoice(n: u32) -> SalesDocument {
        SalesDocument {
            id: DocumentId::new(format!("INV-{n}")),
            kind: DocumentKind::Invoice,
            number: Some(format!("2026 / {n:04}")),
            department_id: DepartmentId::from("dep"),
            status: SourceStatus::Outstanding,
            customer: CustomerRef::company("company-1"),
            date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            due_on: None,
            lines: vec![DocumentLine {
                description: "Consulting".into(),
                quantity: money(1),
                unit_price: money(100),
                discount: None,
                total_excl: money(100),
                tax_rate_id: Some(TaxRateId::from("tr21")),
                vat_percentage: Some(money(21)),
                product_category_id: None,
            }],
            total_excl: Money::eur(money(100)),
            total_incl: Money::eur(money(121)),
            taxes: vec![TaxTotal {
                rate: money(21),
                taxable: money(100),
                tax: money(21),
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

    /// An Octopus connection with three booked invoices in Teamleader, its export function
    /// on memory ports, and the ledger (to inject faults).
    async fn world(usage: Vec<ApiUsage>) -> (LifecycleFunction<Export>, Arc<InMemoryLedger>) {
        let clock = Arc::new(ManualClock::new(start()));
        let source = Arc::new(
            InMemorySource::new()
                .with_call_time(clock.clone(), std::time::Duration::from_millis(200)),
        );
        source.put_customer(Customer {
            reference: CustomerRef {
                kind: CustomerKind::Company,
                id: "company-1".into(),
            },
            name: "Company 1".into(),
            vat_number: None,
            enterprise_number: None,
            addresses: Vec::new(),
            emails: Vec::new(),
            external_id: None,
            language: None,
        });
        for n in 1..=3 {
            source.put_document(invoice(n));
        }
        let ledger = Arc::new(InMemoryLedger::new(LedgerKind::Octopus, reference()));
        let store = Arc::new(InMemoryStore::new());
        store
            .put_connection(&Connection {
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
            })
            .await
            .unwrap();
        let function = LifecycleFunction {
            store,
            queue: Arc::new(InMemoryQueue::new()),
            clock,
            connector: Arc::new(Counting {
                fixed: FixedConnector {
                    source,
                    ledger: ledger.clone(),
                    einvoice: None,
                },
                usage: Mutex::new(usage),
                reads: Mutex::new(0),
            }),
            factory: Export,
        };
        (function, ledger)
    }

    fn octopus_usage(quota_exhausted: u64) -> Vec<ApiUsage> {
        vec![
            ApiUsage {
                system: ApiSystem::Teamleader,
                calls: 9,
                throttled: 0,
                quota_left: Some(191),
                quota_exhausted: 0,
            },
            ApiUsage {
                system: ApiSystem::Ledger(LedgerKind::Octopus),
                calls: 14,
                throttled: 3,
                quota_left: None,
                quota_exhausted,
            },
        ]
    }

    fn message() -> Job {
        Job::start(
            ConnectionId::from("c1"),
            RunId::from("r1"),
            JobKind::InvoiceExport,
        )
    }

    #[tokio::test]
    async fn a_finished_export_run_is_published_with_its_counts_calls_and_duration() {
        let (function, ledger) = world(octopus_usage(0)).await;
        let (outcome, line) = function.run_measured(message(), Deadline::none()).await;
        let Ok(JobOutcome::Finished(report)) = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(report.export_counts().exported, 3, "{report:#?}");
        assert_eq!(ledger.posts(), 3);
        let whole = |n: u64| Some(Value::Whole(n));
        assert_eq!(line.value(Metric::DocumentsExported), whole(3));
        assert_eq!(line.value(Metric::DocumentsFailed), whole(0));
        assert_eq!(line.value(Metric::DocumentsDeferred), whole(0));
        assert_eq!(line.value(Metric::RunsFinished), whole(1));
        assert_eq!(line.value(Metric::RunsFailed), whole(0));
        assert_eq!(line.value(Metric::QuotaSpentBeforeFinish), whole(0));
        assert_eq!(line.value(Metric::JobErrors), whole(0));
        assert_eq!(line.value(Metric::LedgerCalls), whole(14));
        assert_eq!(line.value(Metric::LedgerThrottled), whole(3));
        assert_eq!(
            line.value(Metric::LedgerQuotaLeft),
            None,
            "Octopus did not say"
        );
        assert_eq!(line.value(Metric::TeamleaderCalls), whole(9));
        assert_eq!(line.value(Metric::TeamleaderQuotaLeft), whole(191));
        // Teamleader's answers take 200 ms each on the manual clock: the durations are the
        // run report's and the invocation's clock time.
        let run_seconds = (report.updated_at - report.started_at).num_milliseconds() as f64 / 1e3;
        assert!(run_seconds > 0.0);
        assert_eq!(
            line.value(Metric::RunDuration),
            Some(Value::Fraction(run_seconds))
        );
        assert_eq!(
            line.value(Metric::InvocationDuration),
            Some(Value::Fraction(run_seconds)),
            "a one-invocation run"
        );
        // As CloudWatch reads it.
        let mut out = Vec::new();
        line.write_to(&mut out).unwrap();
        let document: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(document["Job"], "invoice-export");
        assert_eq!(document["Ledger"], "octopus");
        assert_eq!(document["ConnectionId"], "c1");
        assert_eq!(document["Status"], "succeeded");
        assert_eq!(document["DocumentsExported"], 3);

        // A redelivered message of the finished run: skipped, no totals counted twice.
        let (outcome, line) = function.run_measured(message(), Deadline::none()).await;
        assert!(matches!(outcome, Ok(JobOutcome::Skipped(_))), "{outcome:?}");
        assert_eq!(line.value(Metric::DocumentsExported), None);
        assert_eq!(line.value(Metric::RunsFinished), None);
        assert_eq!(line.value(Metric::LedgerCalls), None, "usage was read once");
    }

    #[tokio::test]
    async fn a_run_the_ledgers_spent_quota_paused_is_published_as_such() {
        let (function, ledger) = world(octopus_usage(1)).await;
        ledger.fault_reference_data([ExternalError::QuotaExhausted {
            system: "Octopus",
            until: start() + chrono::Duration::hours(20),
        }]);
        let (outcome, line) = function.run_measured(message(), Deadline::none()).await;
        let Ok(JobOutcome::Finished(report)) = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(report.status, RunStatus::Paused);
        assert_eq!(
            line.value(Metric::QuotaSpentBeforeFinish),
            Some(Value::Whole(1))
        );
        assert_eq!(line.value(Metric::RunsPaused), Some(Value::Whole(1)));
        assert_eq!(line.value(Metric::DocumentsExported), Some(Value::Whole(0)));
    }

    #[test]
    fn the_deadline_is_the_contexts_in_clock_time_with_a_bounded_margin() {
        let clock = ManualClock::default();
        let mut context = lambda_runtime::Context::default();
        assert_eq!(
            deadline_of(&context, &clock, HANDOVER_MARGIN),
            Deadline::none()
        );
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        context.deadline = now_ms + 900_000;
        let deadline = deadline_of(&context, &clock, HANDOVER_MARGIN);
        let hard = deadline.hard().unwrap();
        let left = (hard - clock.now()).num_seconds();
        assert!((899..=900).contains(&left), "{left}");
        assert_eq!((hard - deadline.stop_at().unwrap()).num_seconds(), 60);
        // A short invocation keeps three quarters of its time for work.
        context.deadline = now_ms + 40_000;
        let short = deadline_of(&context, &clock, HANDOVER_MARGIN);
        let margin = (short.hard().unwrap() - short.stop_at().unwrap()).num_milliseconds();
        assert!((9_900..=10_000).contains(&margin), "{margin}");
    }
}
