//! In-memory implementations of the ports, for unit tests of the use-cases.
