//! Clearfacts' error words, and what a user does about them.

/// The system name in errors and reports.
pub const SYSTEM: &str = "Clearfacts";

/// What kind of refusal a GraphQL error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The token lacks a permission (scope) or the user lost access to the company: every
    /// call would fail the same way — a person must sign in again.
    Access,
    /// This document was refused (its file); the others may go.
    Document,
}

/// The kind of refusal `message` is.
pub fn classify(message: &str) -> Refusal {
    let lower = message.to_lowercase();
    if lower.contains("access denied")
        || lower.contains("scope")
        || lower.contains("administration not found")
        || lower.contains("not allowed")
    {
        Refusal::Access
    } else {
        Refusal::Document
    }
}

/// Clearfacts' words with what to do.
pub fn advice(message: &str) -> String {
    let lower = message.to_lowercase();
    let what = if lower.contains("scope") || lower.contains("access denied") {
        " Sign in to Clearfacts again on the reactivation page and accept every permission Koppel asks (companies, uploads)."
    } else if lower.contains("administration not found") {
        " The Clearfacts user Koppel signs in with no longer reaches this company: choose the company again on the reactivation page, or ask the accountant for access."
    } else if lower.contains("unsupported file") {
        " Koppel sends a Peppol BIS 3 file or the PDF: if this repeats, tell Koppel's support."
    } else {
        ""
    };
    format!("{}{what}", message.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_refusals_stop_the_run_file_refusals_fail_one_document() {
        assert_eq!(
            classify("Access denied: the token lacks the scope \"upload_document\""),
            Refusal::Access
        );
        assert_eq!(
            classify("Unsupported file: upload a PDF"),
            Refusal::Document
        );
        assert!(advice("Access denied: scope").contains("reactivation page"));
    }
}
