//! Clearfacts (BE accountant portal): no general ledger — the file *is* the document. Each
//! sales document goes to the sales inbox of a Clearfacts company ("administration") as a
//! Peppol BIS 3 file when one passes the official rules, else as the PDF; payment states come
//! back per uploaded document. Facts and sources: `shared/reference/clearfacts.md`; how
//! Koppel uses them: `docs/ledgers/clearfacts.md`.
//!
//! - [`app`]: the OpenID Connect endpoints (authorization code, rotating refresh tokens);
//! - [`graphql`]: the one GraphQL endpoint — queries, variables, the `errors` envelope;
//! - [`http`]: reads (retried) and uploads (multipart `query` + `variables` + `file`, sent once);
//! - [`ledger`]: [`ClearfactsLedger`], with its call budget and why it cannot look up;
//! - [`refusals`]: Clearfacts' error words and what to do;
//! - [`plugin`]: Clearfacts as a Koppel plug-in.

pub mod app;
pub mod graphql;
pub mod http;
pub mod ledger;
pub mod plugin;
pub mod refusals;

pub use app::ClearfactsApp;
pub use ledger::ClearfactsLedger;
pub use plugin::{ClearfactsConnections, ClearfactsPlugin, PLUGIN};
