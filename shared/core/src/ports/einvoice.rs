//! Structured e-invoices: Peppol BIS Billing 3.0 UBL files, built where Teamleader offers none
//! (credit notes) and checked against the official CEN EN 16931 and Peppol rules before any
//! is sent. A ledger that takes the document file itself (Clearfacts) gets a structured file
//! whenever one passes the rules, and the PDF otherwise, with the failed rule in the report.
//!
//! The port keeps the formats (UBL, the rule engine) out of the use-cases: the adapter builds
//! the XML with a well-kept XML crate and runs the official rules.

use crate::{Address, ExternalError, SalesDocument};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A seller or buyer as a structured document names it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceParty {
    /// Legal or trading name.
    pub name: String,
    /// VAT number with its country prefix ("BE0899623035"), when the party has one.
    pub vat_number: Option<String>,
    /// Belgian enterprise number (KBO/BCE, 10 digits): the Peppol id under scheme 0208.
    pub enterprise_number: Option<String>,
    /// Postal address (its country is required by the rules).
    pub address: Address,
    /// E-mail address, when known.
    pub email: Option<String>,
}

/// What a BIS 3 credit note is built from: the Teamleader document, both parties and the
/// invoice it credits.
#[derive(Debug, Clone, Copy)]
pub struct CreditNoteFacts<'a> {
    /// The credit note with its lines, VAT breakdown and totals.
    pub document: &'a SalesDocument,
    /// The department that issued it.
    pub seller: &'a InvoiceParty,
    /// The customer credited.
    pub buyer: &'a InvoiceParty,
    /// The number of the invoice it credits, when Teamleader links one.
    pub credited_invoice_number: Option<&'a str>,
}

/// One rule a file broke (or warns about), as the official rules word it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFinding {
    /// The rule's id ("BR-CO-15", "PEPPOL-EN16931-R003", "xsd").
    pub rule: String,
    /// True for an error (the file is invalid), false for a warning.
    pub fatal: bool,
    /// The rule's own text.
    pub message: String,
    /// Where in the file (an XPath), when the rules say.
    pub location: String,
}

/// The outcome of a complete check against every layer of the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Errors and warnings, errors first.
    pub findings: Vec<RuleFinding>,
}

impl Verdict {
    /// True when no rule was broken (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.fatal)
    }

    /// The first broken rule, for the report.
    pub fn first_error(&self) -> Option<&RuleFinding> {
        self.findings.iter().find(|f| f.fatal)
    }
}

/// Builds and checks Peppol BIS Billing 3.0 files.
#[async_trait]
pub trait EinvoiceFiles: Send + Sync {
    /// A BIS 3 credit note from the document's data, or what is missing to make a complete
    /// one (in words a user can act on in Teamleader).
    fn credit_note(&self, facts: &CreditNoteFacts<'_>) -> Result<Vec<u8>, String>;
    /// The file checked against every layer of the official rules (schema, CEN EN 16931,
    /// Peppol). A check that could not run completely is an error, never a "valid".
    async fn validate(&self, xml: &[u8]) -> Result<Verdict, ExternalError>;
}
