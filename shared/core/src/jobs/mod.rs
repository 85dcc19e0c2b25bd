//! Use-cases: what each job does, written against the ports only.

pub mod customers;
pub mod deadline;
pub mod dispatch;
pub mod export;
pub mod mapping;
pub mod setup;
pub mod unavailable;

pub use deadline::Deadline;
