//! Domain types shared by every job: documents, customers, connections, identifiers.

pub mod connection;
pub mod customer;
pub mod document;
pub mod ids;
pub mod money;
pub mod names;
pub mod reference;
pub mod report;
pub mod vat;

pub use connection::*;
pub use customer::*;
pub use document::*;
pub use ids::*;
pub use money::*;
pub use names::*;
pub use reference::*;
pub use report::*;
pub use vat::*;
