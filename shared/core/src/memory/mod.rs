//! In-memory implementations of the ports, for unit tests of the use-cases: the store, queue,
//! vault and clock, a Teamleader account and a ledger with fault injection.
//!
//! They follow the port contracts exactly (the conditional claim, put-if-absent mappings,
//! leases) so a use-case tested against them behaves the same against DynamoDB, SQS and
//! Secrets Manager. All are thread-safe; no lock is held across an `.await`.

mod clock;
mod einvoice;
mod files;
mod ledger;
mod mail;
mod queue;
mod source;
mod store;
mod vault;

pub use clock::ManualClock;
pub use einvoice::InMemoryEinvoice;
pub use files::InMemoryFileStore;
pub use ledger::{CrashAfterPost, HeldEntry, IN_MEMORY_LEDGER, InMemoryLedger, PostFault};
pub use mail::InMemoryMailer;
pub use queue::InMemoryQueue;
pub use source::{IN_MEMORY_SOURCE, InMemorySource};
pub use store::InMemoryStore;
pub use vault::InMemoryVault;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, carrying on with the data when another test thread panicked while holding
/// it (the panic is reported by that thread; the state itself is still consistent because
/// every update is a single assignment).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
