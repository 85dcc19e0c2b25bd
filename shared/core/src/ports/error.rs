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
        /// The system's name as users know it ("Teamleader Focus", a ledger's name).
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
    /// The system refused the connection as a whole, not this one request: no access to the
    /// administration (wrong division, division blocked), the user or the app blocked, the
    /// app's rights withdrawn, or an access token refused right after it was issued or
    /// renewed. Every other call would be refused the same way, and the ledger counts such
    /// refusals (Exact blocks an app for an hour after more than 10 per endpoint per hour),
    /// so a job stops instead of repeating it; a person must act first. `message` says what
    /// to do.
    #[error("{system} refused this connection (HTTP {status}): {message}")]
    ConnectionRefused {
        /// System name.
        system: &'static str,
        /// HTTP status (401, 403).
        status: u16,
        /// The system's words and what to do about them.
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
    /// The system refused for now because of something a person holds open in it (a
    /// journal open in the ledger's own program): nothing was applied, every similar request
    /// would be refused until it is closed, and nothing is wrong with the request itself.
    #[error("{system} refused it for now: {detail}")]
    Busy {
        /// System name.
        system: &'static str,
        /// What is held and what to do (close it); the next run goes on.
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
    /// A write reached the system but its answer was lost (timeout, dropped connection, 5xx
    /// without a refusal): it may or may not have been applied. Never a reason to send it
    /// again: the caller looks the result up first.
    #[error(
        "{system} may or may not have applied it ({detail}); Koppel looks it up before trying again"
    )]
    OutcomeUnknown {
        /// System name.
        system: &'static str,
        /// What happened on the wire.
        detail: String,
    },
    /// The next call would have to wait (for a rate-limit window, a backoff) until after this
    /// invocation's deadline: the job hands its work over to a new invocation instead.
    #[error(
        "{system} asks to wait until {until}, past this invocation's deadline; the job continues in a new invocation"
    )]
    NoTimeLeft {
        /// System name.
        system: &'static str,
        /// When the call could go.
        until: DateTime<Utc>,
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

/// What a job does about an [`ExternalError`]: the one place where "fail this item" and
/// "stop the run" are decided, for every job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The item (document, company, file row) is at fault: record why and go on.
    FailItem,
    /// Every item would fail the same way for now (outage, spent quota, a lost answer not
    /// yet resolved): stop and let the next run continue; nothing is lost.
    PauseRun,
    /// A person must act first (credentials refused): stop the run as failed.
    FailRun,
    /// Out of time in this invocation: continue in a new one.
    HandOver,
}

impl ExternalError {
    /// True when retrying later may succeed (the run should continue rather than record failure).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unavailable { .. }
                | Self::Busy { .. }
                | Self::QuotaExhausted { .. }
                | Self::OutcomeUnknown { .. }
                | Self::NoTimeLeft { .. }
        )
    }

    /// What a job does about this error.
    pub fn disposition(&self) -> Disposition {
        match self {
            Self::Rejected { .. }
            | Self::NotFound { .. }
            | Self::Malformed { .. }
            | Self::Unsupported { .. } => Disposition::FailItem,
            Self::Unavailable { .. }
            | Self::Busy { .. }
            | Self::QuotaExhausted { .. }
            | Self::OutcomeUnknown { .. } => Disposition::PauseRun,
            Self::NeedsReauth { .. } | Self::ConnectionRefused { .. } => Disposition::FailRun,
            Self::NoTimeLeft { .. } => Disposition::HandOver,
        }
    }

    /// What a job does when this error hits a step every item depends on (the ledger's
    /// lists, the customer look-up, the document listing), so no single item is at fault:
    /// an answer Koppel cannot read (an HTML maintenance page, a cut-off body) is an outage
    /// there and pauses the run; a refusal stops it as failed (a person must act); the rest
    /// as [`Self::disposition`] says.
    pub fn run_disposition(&self) -> Disposition {
        match self {
            Self::Malformed { .. } => Disposition::PauseRun,
            other => match other.disposition() {
                Disposition::FailItem => Disposition::FailRun,
                disposition => disposition,
            },
        }
    }

    /// True when this error is about the connection as a whole (every request would be
    /// refused the same way): [`Self::ConnectionRefused`] and [`Self::NeedsReauth`].
    pub fn refuses_connection(&self) -> bool {
        matches!(
            self,
            Self::ConnectionRefused { .. } | Self::NeedsReauth { .. }
        )
    }

    /// The system that failed.
    pub fn system(&self) -> &'static str {
        match self {
            Self::NeedsReauth { system, .. }
            | Self::ConnectionRefused { system, .. }
            | Self::Rejected { system, .. }
            | Self::NotFound { system, .. }
            | Self::QuotaExhausted { system, .. }
            | Self::Unavailable { system, .. }
            | Self::Busy { system, .. }
            | Self::Malformed { system, .. }
            | Self::OutcomeUnknown { system, .. }
            | Self::NoTimeLeft { system, .. }
            | Self::Unsupported { system, .. } => system,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_one_disposition() {
        let system = "S";
        let cases = [
            (
                ExternalError::Rejected {
                    system,
                    status: 400,
                    message: "no".into(),
                },
                Disposition::FailItem,
            ),
            (
                ExternalError::NotFound {
                    system,
                    what: "x".into(),
                },
                Disposition::FailItem,
            ),
            (
                ExternalError::Malformed {
                    system,
                    endpoint: "e".into(),
                    detail: "d".into(),
                },
                Disposition::FailItem,
            ),
            (
                ExternalError::Unsupported { system, what: "w" },
                Disposition::FailItem,
            ),
            (
                ExternalError::Unavailable {
                    system,
                    detail: "down".into(),
                },
                Disposition::PauseRun,
            ),
            (
                ExternalError::QuotaExhausted {
                    system,
                    until: DateTime::UNIX_EPOCH,
                },
                Disposition::PauseRun,
            ),
            (
                ExternalError::OutcomeUnknown {
                    system,
                    detail: "lost".into(),
                },
                Disposition::PauseRun,
            ),
            (
                ExternalError::NeedsReauth {
                    system,
                    detail: "revoked".into(),
                },
                Disposition::FailRun,
            ),
            (
                ExternalError::ConnectionRefused {
                    system,
                    status: 403,
                    message: "Forbidden - WrongDivision".into(),
                },
                Disposition::FailRun,
            ),
            (
                ExternalError::NoTimeLeft {
                    system,
                    until: DateTime::UNIX_EPOCH,
                },
                Disposition::HandOver,
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.disposition(), expected, "{error}");
            assert_eq!(error.system(), "S");
        }
    }

    #[test]
    fn at_run_level_an_unreadable_answer_pauses_and_a_refusal_fails() {
        let system = "S";
        let malformed = ExternalError::Malformed {
            system,
            endpoint: "financial/GLAccounts".into(),
            detail: "expected value at line 1 column 1".into(),
        };
        assert_eq!(malformed.disposition(), Disposition::FailItem);
        assert_eq!(malformed.run_disposition(), Disposition::PauseRun);
        let rejected = ExternalError::Rejected {
            system,
            status: 400,
            message: "bad filter".into(),
        };
        assert_eq!(rejected.run_disposition(), Disposition::FailRun);
        let down = ExternalError::Unavailable {
            system,
            detail: "HTTP 503".into(),
        };
        assert_eq!(down.run_disposition(), Disposition::PauseRun);
        let busy = ExternalError::Busy {
            system,
            detail: "journal V1 is open".into(),
        };
        assert_eq!(busy.disposition(), Disposition::PauseRun);
        assert_eq!(busy.run_disposition(), Disposition::PauseRun);
        assert!(busy.to_string().contains("refused it for now"), "{busy}");
        let refused = ExternalError::ConnectionRefused {
            system,
            status: 403,
            message: "no".into(),
        };
        assert_eq!(refused.run_disposition(), Disposition::FailRun);
        assert!(refused.refuses_connection() && !refused.is_transient());
        assert!(!rejected.refuses_connection());
    }
}
