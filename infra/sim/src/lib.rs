//! Faithful simulators of the outside APIs Koppel talks to, for tests and the demo.

pub mod exact;
pub mod teamleader;
