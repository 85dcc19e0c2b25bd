//! Domain types shared by every job: documents, customers, connections, identifiers, export
//! records, run reports, onboarding needs and pre-flight rules.

pub mod connection;
pub mod customer;
pub mod document;
pub mod ids;
pub mod merge;
pub mod money;
pub mod names;
pub mod onboarding;
pub mod preflight;
pub mod record;
pub mod reference;
pub mod report;
pub mod vat;

pub use connection::*;
pub use customer::*;
pub use document::*;
pub use ids::*;
pub use merge::*;
pub use money::*;
pub use names::*;
pub use onboarding::*;
pub use record::*;
pub use reference::*;
pub use report::*;
pub use vat::*;
