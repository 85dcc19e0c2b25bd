//! Tests of the AWS adapters against moto in server mode (the real AWS wire protocols).
//! `infra/dev test` starts moto and sets `KOPPEL_TEST_MOTO_URL`; every test creates its own
//! uniquely named table, queues and secrets, so they run in parallel.

mod common;
mod contract;
mod files_and_mail;
mod queue;
mod store;
mod vault;
