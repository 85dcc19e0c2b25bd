//! How many cases the fuzz tests run, and with which seed: one place for every crate's fuzz
//! tests (they include this file with `#[path = …] mod fuzz_config;`).
//!
//! - `KOPPEL_FUZZ_CASES`: cases per property (default [`DEFAULT_CASES`], what
//!   `cargo test --workspace` and `infra/dev test` run); `infra/dev fuzz [cases]` sets it high.
//! - `KOPPEL_FUZZ_SEED`: the seed of the case generator (default [`DEFAULT_SEED`]). The seed is
//!   fixed so a run on CI is reproducible: the same seed and case count produce the same inputs.
//!   To explore further, run `KOPPEL_FUZZ_SEED=<another number> infra/dev fuzz`; a failure
//!   prints the shrunk input, which then becomes a plain `#[test]` next to the property.
//!
//! Failures are not persisted to `proptest-regressions/` files: the regression tests are
//! written out by hand, so test runs never depend on files left by earlier runs.

#![allow(dead_code)]

use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

/// Cases per property in an ordinary test run.
pub const DEFAULT_CASES: u32 = 64;

/// Seed of the case generator unless `KOPPEL_FUZZ_SEED` says otherwise.
pub const DEFAULT_SEED: u64 = 0x4b6f_7070_656c;

/// A whole number from the environment variable `name`, or `default`.
fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(default)
}

/// The proptest configuration of every fuzz property: `KOPPEL_FUZZ_CASES` cases, a fixed
/// seed, no persisted failures, no rejected-input budget worth mentioning.
pub fn fuzz_config() -> Config {
    let cases = env_number("KOPPEL_FUZZ_CASES", u64::from(DEFAULT_CASES));
    Config {
        cases: u32::try_from(cases).unwrap_or(u32::MAX).max(1),
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(env_number("KOPPEL_FUZZ_SEED", DEFAULT_SEED)),
        max_shrink_iters: 10_000,
        ..Config::default()
    }
}
