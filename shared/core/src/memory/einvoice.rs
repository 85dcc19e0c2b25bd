//! Peppol BIS 3 files in memory: a stand-in for the real writer and rule engine, so the
//! export's choice of file (structured, else the PDF with the reason) is tested without
//! Python or the official rules (those are tested against the adapter in `koppel-einvoice`).

use super::lock;
use crate::{CreditNoteFacts, EinvoiceFiles, ExternalError, RuleFinding, Verdict};
use async_trait::async_trait;
use std::sync::Mutex;

/// Builds a small XML naming the credit note, and judges files by a marker: a file holding
/// the text of a rule id set with [`InMemoryEinvoice::break_rule_for`] breaks that rule.
#[derive(Default)]
pub struct InMemoryEinvoice {
    broken: Mutex<Vec<(String, String)>>,
    unavailable: Mutex<bool>,
    checked: Mutex<u32>,
}

impl InMemoryEinvoice {
    /// Files containing `marker` (e.g. a document number) break `rule`.
    pub fn break_rule_for(&self, marker: &str, rule: &str) {
        lock(&self.broken).push((marker.to_owned(), rule.to_owned()));
    }

    /// The rule engine cannot run (rules missing).
    pub fn make_unavailable(&self) {
        *lock(&self.unavailable) = true;
    }

    /// How many files were checked.
    pub fn checked(&self) -> u32 {
        *lock(&self.checked)
    }
}

#[async_trait]
impl EinvoiceFiles for InMemoryEinvoice {
    fn credit_note(&self, facts: &CreditNoteFacts<'_>) -> Result<Vec<u8>, String> {
        let number = facts.document.number.as_deref().unwrap_or_default();
        if facts.buyer.address.country.is_none() {
            return Err("fill in the customer's address country in Teamleader.".to_owned());
        }
        Ok(format!(
            "<CreditNote><ID>{number}</ID><Seller>{}</Seller><Credits>{}</Credits></CreditNote>",
            facts.seller.name,
            facts.credited_invoice_number.unwrap_or_default()
        )
        .into_bytes())
    }

    async fn validate(&self, xml: &[u8]) -> Result<Verdict, ExternalError> {
        if *lock(&self.unavailable) {
            return Err(ExternalError::Unavailable {
                system: "the Peppol rules",
                detail: "the rules folder is missing".to_owned(),
            });
        }
        *lock(&self.checked) += 1;
        let text = String::from_utf8_lossy(xml);
        let findings = lock(&self.broken)
            .iter()
            .filter(|(marker, _)| text.contains(marker.as_str()))
            .map(|(_, rule)| RuleFinding {
                rule: rule.clone(),
                fatal: true,
                message: format!("[{rule}] broken"),
                location: "/".to_owned(),
            })
            .collect();
        Ok(Verdict { findings })
    }
}
