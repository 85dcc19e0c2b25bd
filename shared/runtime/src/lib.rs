//! Lambda glue shared by every Koppel function, so each `main.rs` stays a few lines:
//! - [`init_tracing`]: JSON logs in Lambda, readable logs on a terminal;
//! - [`sqs`]: runs a job handler over an SQS batch with FIFO-aware partial batch failures;
//! - [`jobs`]: serves a job function — each message's [`koppel_core::Job`] handled with the
//!   invocation's deadline in clock time;
//! - [`metrics`]: CloudWatch embedded-metric-format lines on stdout — one per job invocation
//!   (calls, 429s, quota left, the run's totals when it ends) and the sweep's fleet gauges;
//!
//! Glue only: no domain rule, no outside-API client (those come with `koppel-connect`, which
//! only the functions that talk to Teamleader or a ledger link).

#![warn(missing_docs)]

pub mod jobs;
pub mod metrics;
pub mod sqs;
pub mod tracing_setup;

pub use jobs::{JobFactory, JobHandler, LifecycleFunction, deadline_of, handle_batch, serve_jobs};
pub use tracing_setup::init_tracing;
