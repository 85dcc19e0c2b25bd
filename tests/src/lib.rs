//! End-to-end harness: the simulators, the AWS adapters (moto or in-memory), a Teamleader
//! account linked to Exact divisions, and the real handlers driven the way Lambda's SQS event
//! source drives them. Used by the end-to-end tests, the demo and the benchmark.

pub mod browser;
pub mod chaos;
pub mod clock;
pub mod stack;
pub mod store_hook;
