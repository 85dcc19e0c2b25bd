//! Peppol BIS Billing 3.0 files for Koppel: a UBL writer ([`ubl`]), the credit note Koppel
//! builds because Teamleader offers none ([`credit_note_from`]), and the official CEN
//! EN 16931 + Peppol rules run in a persistent worker ([`PeppolValidator`]). [`Einvoices`]
//! puts them behind core's [`EinvoiceFiles`] port.

mod credit_note;
pub mod ubl;
pub mod validator;

pub use credit_note::credit_note_from;
pub use validator::PeppolValidator;

use async_trait::async_trait;
use koppel_core::{CreditNoteFacts, EinvoiceFiles, ExternalError, Verdict};

/// Core's [`EinvoiceFiles`]: credit notes by the writer, checks by the official rules. Without
/// a validator (not configured) every check is an error, never a "valid".
#[derive(Debug, Default)]
pub struct Einvoices {
    validator: Option<PeppolValidator>,
}

impl Einvoices {
    /// Files checked by `validator`.
    pub fn new(validator: PeppolValidator) -> Self {
        Self {
            validator: Some(validator),
        }
    }

    /// With the validator the environment configures ([`PeppolValidator::from_env`]); when
    /// it configures none, checks fail saying which variables to set.
    pub fn from_env() -> Self {
        Self {
            validator: PeppolValidator::from_env(),
        }
    }
}

#[async_trait]
impl EinvoiceFiles for Einvoices {
    fn credit_note(&self, facts: &CreditNoteFacts<'_>) -> Result<Vec<u8>, String> {
        credit_note_from(facts).map(|document| ubl::write(&document))
    }

    async fn validate(&self, xml: &[u8]) -> Result<Verdict, ExternalError> {
        match &self.validator {
            Some(validator) => validator.check(xml).await,
            None => Err(ExternalError::Unavailable {
                system: "Peppol validator",
                detail: format!(
                    "not configured: set {} (a Python with eu-einvoice) and {} (the official rules folder)",
                    validator::PYTHON_ENV,
                    validator::RULES_DIR_ENV
                ),
            }),
        }
    }
}
