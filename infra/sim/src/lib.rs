//! Faithful simulators of the outside APIs Koppel talks to, for tests and the demo.
//!
//! Each simulator is an axum server bound to 127.0.0.1 with in-process access to its state
//! (seed, inspect, inject faults) and the same under `/_sim/` over HTTP. [`openapi`] turns the
//! official Teamleader OpenAPI spec into validators, so tests can check both the simulator's
//! responses and the client's requests against it.

pub mod app_secret;
pub mod clearfacts;
pub mod common;
pub mod exact;
pub mod octopus;
pub mod openapi;
pub mod teamleader;
pub mod twinfield;
