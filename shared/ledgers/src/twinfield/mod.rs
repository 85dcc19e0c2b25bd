//! Twinfield (NL/BE): sales transactions through SOAP.
pub mod app;
pub mod http;
pub mod policy;
pub mod refusals;
pub mod session;
pub mod soap;
pub mod xml;
