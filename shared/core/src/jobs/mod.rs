//! Use-cases: what each job does, written against the ports only, on one shared lifecycle
//! ([`lifecycle`]).

pub mod dispatch;
pub mod export;
pub mod import;
pub mod lifecycle;
pub mod merge;
pub mod payments;
pub mod setup;
pub mod sweep;
#[cfg(test)]
pub(crate) mod test_world;
pub mod webhook;

pub use crate::ports::deadline::Deadline;
