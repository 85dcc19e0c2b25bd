//! The one error type of outside systems (Teamleader, ledgers), so use-cases can decide
//! between "retry later", "record and go on" and "a person must act" without knowing HTTP.

use chrono::{DateTime, Utc};
use thiserror::Error;

/// An outside system's failure, classified by what Koppel should do about it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExternalError {
    /// The credentials were refused for good (revoked, refresh token reused or expired).
    #[error(
        "{system} refused Koppel's access ({detail}). Open the reactivation page and sign in to {system} again."
    )]
    NeedsReauth {
        /// "Teamleader Focus", "Exact Online", …
        system: &'static str,
        /// The system's own words.
        detail: String,
    },
    /// The system refused this request (validation, business rule). Retrying will not help;
    /// the message is the system's own text.
    #[error("{system} refused it: {message}")]
    Rejected {
        /// System name.
        system: &'static str,
        /// HTTP status.
        status: u16,
        /// The system's own message (e.g. Teamleader's error title).
        message: String,
    },
    /// The thing asked for does not exist.
    #[error("{system}: {what} was not found")]
    NotFound {
        /// System name.
        system: &'static str,
        /// What was looked up.
        what: String,
    },
    /// The quota is spent until a known time; the job should continue later, not fail.
    #[error("{system}'s API quota is used up until {until}; the job continues after that")]
    QuotaExhausted {
        /// System name.
        system: &'static str,
        /// When the quota resets.
        until: DateTime<Utc>,
    },
    /// Not reachable or failing after retries (5xx, timeouts).
    #[error("{system} could not be reached ({detail}); Koppel will try again on the next run")]
    Unavailable {
        /// System name.
        system: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// The system answered something Koppel cannot read.
    #[error("{system} answered {endpoint} with something Koppel cannot read: {detail}")]
    Malformed {
        /// System name.
        system: &'static str,
        /// Endpoint called.
        endpoint: String,
        /// Which field and why.
        detail: String,
    },
    /// The capability is not offered by this system.
    #[error("{system} does not support {what}")]
    Unsupported {
        /// System name.
        system: &'static str,
        /// The capability.
        what: &'static str,
    },
}

impl ExternalError {
    /// True when retrying later may succeed (the run should continue rather than record failure).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::QuotaExhausted { .. })
    }
}
