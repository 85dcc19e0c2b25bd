//! Twinfield (NL/BE): sales transactions through SOAP (`ProcessXmlString`), reference data
//! and customers through the finder, payment states through browse. Facts and sources:
//! `shared/reference/twinfield.md`; how Koppel uses them: `docs/ledgers/twinfield.md`.
//!
//! - [`app`]: the login host's OpenID Connect endpoints (authorize with a nonce, token);
//! - [`session`]: the access token and the organisation's cluster;
//! - [`http`]: SOAP calls within fair use (credits, one at a time), the finder's paging;
//! - [`soap`] / [`xml`]: the envelope in one place, XML read and written with quick-xml;
//! - [`mapping`]: transactions, customer dimensions, reference data, browse rows;
//! - [`ledger`]: [`TwinfieldLedger`], with its call budget;
//! - [`refusals`] / [`policy`]: Twinfield's Dutch refusals and what to do, its faults and 429s;
//! - [`plugin`]: Twinfield as a Koppel plug-in.

pub mod app;
pub mod http;
pub mod ledger;
pub mod mapping;
pub mod plugin;
pub mod policy;
pub mod refusals;
pub mod session;
pub mod soap;
pub mod xml;

pub use app::TwinfieldApp;
pub use ledger::{TwinfieldLedger, TwinfieldOptions};
pub use plugin::{PLUGIN, TwinfieldConnections, TwinfieldPlugin};
