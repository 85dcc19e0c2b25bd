//! Twinfield's rules for the shared HTTP plumbing: SOAP faults as its error words, and its
//! fair-use limit (credits a minute, one request at a time per organisation) answered with 429
//! and `Retry-After`.

use super::refusals;
use super::soap::fault_of;
use koppel_api::{ErrorBodyParser, RetryAfter, plain_text};
use koppel_core::Clock;
use std::sync::Arc;

/// A 429's `Retry-After` names the rest of the spent minute.
pub fn rate_limit(clock: Arc<dyn Clock>) -> RetryAfter {
    RetryAfter {
        clock,
        window: "minute",
    }
}

/// SOAP faults: the `faultstring` is the message. A fault refusing access or naming another
/// cluster is a refusal (not retried); any other 500 is an outage.
#[derive(Debug, Clone, Copy, Default)]
pub struct TwinfieldErrors;

impl ErrorBodyParser for TwinfieldErrors {
    fn message(&self, _status: u16, body: &[u8]) -> Option<String> {
        let text = String::from_utf8_lossy(body);
        fault_of(&text).or_else(|| plain_text(body))
    }

    fn is_business_error(&self, _status: u16, body: &[u8]) -> bool {
        let text = String::from_utf8_lossy(body);
        fault_of(&text).is_some_and(|fault| {
            refusals::is_access_refused(&fault) || refusals::is_cluster_moved(&fault)
        })
    }
}
