//! Pieces every simulator shares: an adjustable clock and a small HTTP server runner.

pub mod clock;
pub mod server;

pub use clock::SimClock;
pub use server::{ServerHandle, serve};
