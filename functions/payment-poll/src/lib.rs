//! The payment-poll Lambda: hourly through the dispatcher, one SQS message per connection.
//! The use-case is `koppel_core::jobs::payments` on the shared job lifecycle; this is its
//! Lambda face.

use koppel_core::jobs::payments::{PaymentPoll, PaymentPollOptions};
use koppel_core::{Mailer, Store};
use koppel_runtime::{JobFactory, LifecycleFunction};
use std::sync::Arc;

/// Makes the payment poll for each invocation.
#[derive(Clone, Default)]
pub struct Poll {
    /// Tunables.
    pub options: PaymentPollOptions,
    /// Sends the digest of invoices marked paid (SES), when the deployment has a sender.
    pub mailer: Option<Arc<dyn Mailer>>,
}

impl JobFactory for Poll {
    type Job<'a> = PaymentPoll<'a>;

    fn job<'a>(&'a self, store: &'a dyn Store) -> PaymentPoll<'a> {
        PaymentPoll {
            documents: store,
            mailer: self.mailer.as_deref(),
            options: self.options,
        }
    }
}

/// The payment-poll function with its ports.
pub type PaymentPollFunction = LifecycleFunction<Poll>;
