//! Ports: the traits through which use-cases reach the outside world.

pub mod clock;
pub mod connector;
pub mod deadline;
pub mod einvoice;
pub mod error;
pub mod files;
pub mod ledger;
pub mod mail;
pub mod queue;
pub mod source;
pub mod store;
pub mod vault;
pub mod webhooks;

pub use clock::*;
pub use connector::*;
pub use deadline::*;
pub use einvoice::*;
pub use error::*;
pub use files::*;
pub use ledger::*;
pub use mail::*;
pub use queue::*;
pub use source::*;
pub use store::*;
pub use vault::*;
pub use webhooks::*;
