//! Koppel's core: domain types, use-cases and the ports (traits) the adapters implement.
//!
//! Nothing in this crate talks to AWS, HTTP or the file system; adapters in `shared/aws`,
//! `shared/teamleader` and `shared/ledgers` implement the ports, and the in-memory
//! implementations in [`memory`] let the use-cases be tested without any of them.
//!
//! With the cargo feature `contract`, `contract` holds the suite of checks every store
//! implementation must pass (see [`ports::store`]).

pub mod account;
#[cfg(any(test, feature = "contract"))]
pub mod contract;
pub mod domain;
pub mod jobs;
pub mod memory;
pub mod ports;

pub use domain::*;
pub use ports::*;
