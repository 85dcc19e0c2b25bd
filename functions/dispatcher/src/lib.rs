//! The dispatcher Lambda: woken by EventBridge Scheduler (nightly export at 02:00
//! Europe/Brussels, hourly payment poll), it sends one FIFO message per active connection.
//! On the hourly tick it also runs the sweeper ([`koppel_core::jobs::sweep`]): runs nothing
//! works on any more are closed as interrupted, and the fleet's gauges for the alarms are
//! logged.

use chrono::{DateTime, Utc};
use koppel_core::jobs::dispatch::{DispatchError, dispatch};
use koppel_core::jobs::sweep::{SweepPorts, SweepSummary, sweep};
use koppel_core::{Clock, JobKind, JobQueue, Store};
use koppel_runtime::metrics::{self, FleetGauges};
use lambda_runtime::LambdaEvent;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tracing::{info, warn};

/// The schedule's input: `{"job": "invoice-export", "scheduled_at": "<aws.scheduler.scheduled-time>"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleInput {
    /// Which job to dispatch.
    #[serde(flatten)]
    pub job: JobKind,
    /// The scheduled time (EventBridge Scheduler context attribute); makes the run id stable
    /// when a schedule fires twice.
    pub scheduled_at: Option<DateTime<Utc>>,
}

/// What the dispatcher did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DispatchOutput {
    /// Job dispatched.
    pub job: String,
    /// Messages sent.
    pub connections: usize,
    /// What the sweeper found, on the hourly tick (`None` on the nightly one, or when the
    /// sweep failed: it is logged and tried again the next hour; the dispatch stands).
    pub sweep: Option<SweepSummary>,
}

/// The dispatcher with its ports.
pub struct Dispatcher {
    /// Where the active connections are read (and, for the sweeper, run reports, document
    /// records, job holds and notes).
    pub store: Arc<dyn Store>,
    /// Job queues.
    pub queue: Arc<dyn JobQueue>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
}

impl Dispatcher {
    /// Handle one scheduler invocation.
    pub async fn handle(
        &self,
        event: LambdaEvent<ScheduleInput>,
    ) -> Result<DispatchOutput, DispatchError> {
        let input = event.payload;
        let job = input.job.name().to_owned();
        let hourly = input.job == JobKind::PaymentPoll;
        let connections = dispatch(
            self.store.as_ref(),
            self.queue.as_ref(),
            self.clock.as_ref(),
            input.job,
            input.scheduled_at,
        )
        .await?;
        info!(job = %job, connections, "dispatched");
        let sweep = if hourly { self.sweep().await } else { None };
        Ok(DispatchOutput {
            job,
            connections,
            sweep,
        })
    }

    /// Run the sweeper; a failure is logged, never the dispatch's (the next hour sweeps again).
    async fn sweep(&self) -> Option<SweepSummary> {
        let store = self.store.as_ref();
        let ports = SweepPorts {
            connections: store,
            reports: store,
            documents: store,
            leases: store,
            notes: store,
            clock: self.clock.as_ref(),
        };
        match sweep(&ports).await {
            Ok(summary) => {
                // The fleet's gauges, for the alarms on sign-ins awaited and failed nights.
                metrics::publish(&FleetGauges::from(&summary).line(self.clock.now()));
                Some(summary)
            }
            Err(error) => {
                warn!(%error, "the sweep failed; the next hourly tick sweeps again");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::memory::{InMemoryQueue, InMemoryStore};
    use koppel_core::*;

    fn connection(id: &str, status: ConnectionStatus, automatic: bool) -> Connection {
        Connection {
            id: ConnectionId::from(id),
            account_id: AccountId::from("acc"),
            department_id: DepartmentId::from("dep"),
            ledger: LedgerKind::Octopus,
            ledger_company: "1".into(),
            status,
            settings: ConnectionSettings {
                automatic_sync: automatic,
                ..Default::default()
            },
            teamleader_secret: "s/tl".into(),
            ledger_secret: "s/ex".into(),
            created_at: chrono::Utc::now(),
            status_reason: None,
        }
    }

    #[tokio::test]
    async fn one_message_per_active_automatic_connection_and_stable_run_ids() {
        let store = Arc::new(InMemoryStore::new());
        for c in [
            connection("a", ConnectionStatus::Active, true),
            connection("b", ConnectionStatus::Active, false),
            connection("c", ConnectionStatus::NeedsReauth, true),
            connection("d", ConnectionStatus::Active, true),
        ] {
            store.put_connection(&c).await.unwrap();
        }
        let queue = Arc::new(InMemoryQueue::new());
        let dispatcher = Dispatcher {
            store,
            queue: queue.clone(),
            clock: Arc::new(SystemClock),
        };
        let payload: ScheduleInput = serde_json::from_str(
            r#"{"job":"invoice-export","scheduled_at":"2026-11-23T01:00:00Z"}"#,
        )
        .unwrap();
        let out = dispatcher
            .handle(LambdaEvent::new(
                payload,
                lambda_runtime::Context::default(),
            ))
            .await
            .unwrap();
        assert_eq!(
            out,
            DispatchOutput {
                job: "invoice-export".into(),
                connections: 2,
                sweep: None,
            }
        );
        let sent = queue.sent();
        let mut ids: Vec<String> = sent.iter().map(|j| j.connection_id.to_string()).collect();
        ids.sort();
        assert_eq!(ids, ["a", "d"]);
        assert!(
            sent.iter()
                .all(|j| j.run_id.as_str() == "invoice-export-20261123T0100Z")
        );
        // The payment poll ignores the automatic-sync switch (it only reads states back).
        let payload: ScheduleInput = serde_json::from_str(r#"{"job":"payment-poll"}"#).unwrap();
        let out = dispatcher
            .handle(LambdaEvent::new(
                payload,
                lambda_runtime::Context::default(),
            ))
            .await
            .unwrap();
        assert_eq!(out.connections, 3);
        // The hourly tick swept every connection (four, whatever their status); nothing to close.
        let swept = out.sweep.expect("the hourly tick sweeps");
        assert_eq!((swept.connections, swept.interrupted), (4, 0));
    }
}
