//! The payment-poll Lambda: hourly through the dispatcher, one SQS message per connection.
//! The use-case is `koppel_core::jobs::payments` on the shared job lifecycle; this is its
//! Lambda face.

use koppel_core::Store;
use koppel_core::jobs::payments::{PaymentPoll, PaymentPollOptions};
use koppel_runtime::{JobFactory, LifecycleFunction};

/// Makes the payment poll for each invocation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Poll {
    /// Tunables.
    pub options: PaymentPollOptions,
}

impl JobFactory for Poll {
    type Job<'a> = PaymentPoll<'a>;

    fn job<'a>(&'a self, store: &'a dyn Store) -> PaymentPoll<'a> {
        PaymentPoll {
            documents: store,
            options: self.options,
        }
    }
}

/// The payment-poll function with its ports.
pub type PaymentPollFunction = LifecycleFunction<Poll>;
