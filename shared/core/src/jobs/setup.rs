//! Sensible defaults when a connection is made: journals, a VAT code per Teamleader tax rate
//! (same percentage, exclusive), a default revenue account. The user reviews them on the
//! connection page; nothing here is final.

use crate::{
    ConnectionSettings, DepartmentId, JournalKind, LedgerReferenceData, TaxRate, TaxRateId, VatCode,
};
use std::collections::BTreeMap;

const CREDIT_WORDS: [&str; 6] = ["credit", "avoir", "retour", "return", "nc", "cn"];

/// Suggest settings for a department from the ledger's lists.
pub fn suggest_settings(
    department: &DepartmentId,
    tax_rates: &[TaxRate],
    reference: &LedgerReferenceData,
) -> ConnectionSettings {
    let mut sales: Vec<_> = reference
        .journals
        .iter()
        .filter(|j| matches!(j.kind, JournalKind::Sales | JournalKind::SalesReturns))
        .collect();
    sales.sort_by(|a, b| a.code.cmp(&b.code));
    let looks_like_credit = |description: &str| {
        let d = description.to_lowercase();
        CREDIT_WORDS.iter().any(|w| {
            d.split(|c: char| !c.is_alphanumeric())
                .any(|word| word.starts_with(w))
        })
    };
    let credit = sales
        .iter()
        .find(|j| j.kind == JournalKind::SalesReturns || looks_like_credit(&j.description))
        .map(|j| j.code.clone());
    let invoice = sales
        .iter()
        .find(|j| Some(&j.code) != credit.as_ref() && !looks_like_credit(&j.description))
        .map(|j| j.code.clone());
    let credit = credit.or_else(|| {
        sales
            .iter()
            .find(|j| Some(&j.code) != invoice.as_ref())
            .map(|j| j.code.clone())
    });

    let vat_codes: BTreeMap<TaxRateId, String> = tax_rates
        .iter()
        .filter(|r| &r.department_id == department)
        .filter_map(|r| best_vat_code(r, &reference.vat_codes).map(|code| (r.id.clone(), code)))
        .collect();

    let mut revenue: Vec<_> = reference
        .gl_accounts
        .iter()
        .filter(|a| a.is_revenue && !a.blocked)
        .collect();
    revenue.sort_by(|a, b| a.code.cmp(&b.code));

    ConnectionSettings {
        invoice_journal: invoice,
        credit_note_journal: credit,
        vat_codes,
        gl_account_by_tax_rate: BTreeMap::new(),
        default_gl_account: revenue.first().map(|a| a.code.clone()),
        discount_gl_account: None,
        start_date: None,
        attach_pdf: true,
        automatic_sync: true,
        notify_email: None,
        payment_journal: None,
        // Only the user knows their customers: the ledger's word until they say otherwise.
        private_customers_without_numbers: false,
        webhook: Default::default(),
    }
}

/// The exclusive, unblocked VAT code with the tax rate's percentage; among several, the one
/// whose description shares most words with Teamleader's (e.g. "0% intracommunautair").
fn best_vat_code(rate: &TaxRate, codes: &[VatCode]) -> Option<String> {
    let words = |text: &str| -> Vec<String> {
        text.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 2)
            .map(str::to_owned)
            .collect()
    };
    let wanted = words(&rate.description);
    codes
        .iter()
        .filter(|c| c.exclusive && !c.blocked && c.percentage == rate.rate)
        .max_by_key(|c| {
            let have = words(&c.description);
            let shared = wanted.iter().filter(|w| have.contains(w)).count();
            (shared, std::cmp::Reverse(c.code.clone()))
        })
        .map(|c| c.code.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GlAccount, Journal};
    use rust_decimal_macros::dec;

    fn vat(code: &str, pct: rust_decimal::Decimal, exclusive: bool, description: &str) -> VatCode {
        VatCode {
            code: code.into(),
            description: description.into(),
            percentage: pct,
            exclusive,
            blocked: false,
        }
    }

    #[test]
    fn suggests_distinct_sales_journals_matching_vat_codes_and_the_first_revenue_account() {
        let reference = LedgerReferenceData {
            gl_accounts: vec![
                GlAccount {
                    id: "1".into(),
                    code: "700100".into(),
                    description: "b".into(),
                    is_revenue: true,
                    blocked: false,
                },
                GlAccount {
                    id: "2".into(),
                    code: "700000".into(),
                    description: "a".into(),
                    is_revenue: true,
                    blocked: false,
                },
                GlAccount {
                    id: "3".into(),
                    code: "400000".into(),
                    description: "klanten".into(),
                    is_revenue: false,
                    blocked: false,
                },
            ],
            journals: vec![
                Journal {
                    code: "600".into(),
                    description: "Aankopen".into(),
                    kind: JournalKind::Other,
                },
                Journal {
                    code: "710".into(),
                    description: "Creditnota's verkoop".into(),
                    kind: JournalKind::Sales,
                },
                Journal {
                    code: "700".into(),
                    description: "Verkoopboek".into(),
                    kind: JournalKind::Sales,
                },
            ],
            vat_codes: vec![
                vat("1", dec!(21), false, "21% incl"),
                vat("2", dec!(21), true, "21% excl"),
                vat("5", dec!(0), true, "0% export"),
                vat("6", dec!(0), true, "0% intracommunautaire levering"),
            ],
            periods: vec![],
        };
        let dep = DepartmentId::from("d");
        let rates = vec![
            TaxRate {
                id: "r21".into(),
                department_id: dep.clone(),
                rate: dec!(21),
                description: "21%".into(),
            },
            TaxRate {
                id: "r0".into(),
                department_id: dep.clone(),
                rate: dec!(0),
                description: "0% Intracommunautaire".into(),
            },
            TaxRate {
                id: "r6".into(),
                department_id: dep.clone(),
                rate: dec!(6),
                description: "6%".into(),
            },
            TaxRate {
                id: "other".into(),
                department_id: "x".into(),
                rate: dec!(21),
                description: "21%".into(),
            },
        ];
        let s = suggest_settings(&dep, &rates, &reference);
        assert_eq!(s.invoice_journal.as_deref(), Some("700"));
        assert_eq!(s.credit_note_journal.as_deref(), Some("710"));
        assert_eq!(s.default_gl_account.as_deref(), Some("700000"));
        assert_eq!(
            s.vat_codes.get(&TaxRateId::from("r21")).map(String::as_str),
            Some("2")
        );
        assert_eq!(
            s.vat_codes.get(&TaxRateId::from("r0")).map(String::as_str),
            Some("6")
        );
        assert!(
            !s.vat_codes.contains_key(&TaxRateId::from("r6")),
            "no 6% code: left for the user to map"
        );
        assert!(!s.vat_codes.contains_key(&TaxRateId::from("other")));
    }
}
