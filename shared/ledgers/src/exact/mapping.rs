//! Between Exact's wire entities and Koppel's domain: reference data in, customers both ways,
//! sales entries out, receivables in. Pure functions; a value Koppel cannot read becomes
//! [`ExternalError::Malformed`] naming the endpoint and the field.

use super::odata::{self, padded_account_code};
use super::refusals::SYSTEM;
use super::wire;
use chrono::{DateTime, NaiveDate, Utc};
use koppel_core::{
    Address, Customer, CustomerRef, DocumentKind, EntryLine, ExternalError, FiscalPeriod,
    GlAccount, Journal, JournalKind, LedgerCustomer, LedgerCustomerId, LedgerCustomerKey,
    LedgerEntry, LedgerEntryId, LedgerPaymentState, PersonName, VatCode, VatNumber,
};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// Exact GL account type of revenue accounts ("Opbrengsten").
pub const GL_TYPE_REVENUE: i32 = 110;
/// Exact journal type of sales journals.
pub const JOURNAL_TYPE_SALES: i32 = 20;
/// Exact journal type of sales return (credit note) journals.
pub const JOURNAL_TYPE_SALES_RETURN: i32 = 21;
/// Exact journal type of bank journals (where statements and payments are booked).
pub const JOURNAL_TYPE_BANK: i32 = 12;
/// Exact journal type of cash journals.
pub const JOURNAL_TYPE_CASH: i32 = 10;
/// Exact VAT code type for amounts excluding VAT.
pub const VAT_TYPE_EXCLUSIVE: &str = "E";
/// Exact document type of a sales-entry document.
pub const DOCUMENT_TYPE_SALES_ENTRY: i32 = 10;
/// `ExternalError::Rejected::status` of a refusal Koppel makes itself, before any call
/// (no HTTP status exists).
pub const REFUSED_BEFORE_SENDING: u16 = 0;
/// Exact account status of a customer.
pub const ACCOUNT_STATUS_CUSTOMER: &str = "C";

fn malformed(endpoint: &str, detail: impl Into<String>) -> ExternalError {
    ExternalError::Malformed {
        system: SYSTEM,
        endpoint: endpoint.to_owned(),
        detail: detail.into(),
    }
}

/// A required date field, parsed; a missing or unreadable value names the field.
fn required_date(
    endpoint: &str,
    field: &str,
    value: Option<&str>,
) -> Result<NaiveDate, ExternalError> {
    let value = value.ok_or_else(|| malformed(endpoint, format!("{field}: missing")))?;
    odata::parse_date(value).map_err(|error| malformed(endpoint, format!("{field}: {error}")))
}

/// An optional date-time field, parsed; an unreadable value names the field.
fn optional_datetime(
    endpoint: &str,
    field: &str,
    value: Option<&str>,
) -> Result<Option<DateTime<Utc>>, ExternalError> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            odata::parse_datetime(v)
                .map_err(|error| malformed(endpoint, format!("{field}: {error}")))
        })
        .transpose()
}

/// True when a GL account takes sales revenue: by Exact's account type (110) when given,
/// else by the chart-of-accounts convention (Belgian 70xxxx, Dutch 8xxx).
pub fn is_revenue(kind: Option<i32>, code: &str) -> bool {
    match kind {
        Some(kind) => kind == GL_TYPE_REVENUE,
        None => {
            let code = code.trim();
            let digits = code.chars().all(|c| c.is_ascii_digit());
            digits
                && ((code.len() == 6 && code.starts_with("70"))
                    || (code.len() == 4 && code.starts_with('8')))
        }
    }
}

/// A GL account.
pub fn gl_account(account: wire::GlAccount) -> GlAccount {
    let code = account.code.trim().to_owned();
    GlAccount {
        is_revenue: is_revenue(account.kind, &code),
        id: account.id,
        description: account.description.unwrap_or_default(),
        blocked: account.is_blocked.unwrap_or(false),
        code,
    }
}

/// A journal: Exact type 20 is a sales journal, 21 a sales-return journal, anything else
/// (purchase, bank, general) is not for Koppel.
pub fn journal(journal: wire::Journal) -> Journal {
    Journal {
        code: journal.code.trim().to_owned(),
        description: journal.description.unwrap_or_default(),
        kind: match journal.kind {
            Some(JOURNAL_TYPE_SALES) => JournalKind::Sales,
            Some(JOURNAL_TYPE_SALES_RETURN) => JournalKind::SalesReturns,
            Some(JOURNAL_TYPE_BANK | JOURNAL_TYPE_CASH) => JournalKind::Financial,
            _ => JournalKind::Other,
        },
    }
}

/// Exact gives VAT rates as fractions (0.21); Koppel speaks percentages (21). A value above
/// 1 is taken as a percentage already.
pub fn vat_percentage(raw: Decimal) -> Decimal {
    if raw > Decimal::ZERO && raw < Decimal::ONE {
        (raw * Decimal::ONE_HUNDRED).normalize()
    } else {
        raw.normalize()
    }
}

/// A VAT code; only type "E" (amounts exclusive of VAT) is one Koppel can map.
pub fn vat_code(code: wire::VatCode) -> VatCode {
    VatCode {
        code: code.code.trim().to_owned(),
        description: code.description.unwrap_or_default(),
        percentage: vat_percentage(code.percentage.unwrap_or_default()),
        exclusive: code.kind.as_deref().map(str::trim) == Some(VAT_TYPE_EXCLUSIVE),
        blocked: code.is_blocked.unwrap_or(false),
    }
}

/// A financial period. Exact publishes no closed flag: `closed` is false and a closed period
/// is reported by Exact's refusal when posting.
pub fn period(
    endpoint: &str,
    period: wire::FinancialPeriod,
) -> Result<FiscalPeriod, ExternalError> {
    let start = required_date(endpoint, "StartDate", period.start_date.as_deref())?;
    let end = required_date(endpoint, "EndDate", period.end_date.as_deref())?;
    Ok(FiscalPeriod {
        year: period.fin_year,
        period: period.fin_period,
        start,
        end,
        closed: false,
    })
}

/// A VAT number reduced to letters and digits, upper case ("be 0123.456.789" →
/// "BE0123456789"), `None` when nothing is left.
pub fn normalise_vat(raw: &str) -> Option<String> {
    koppel_core::domain::vat::vat_match_key(raw)
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A customer read from Exact (company import). It does not live in Teamleader yet, so its
/// `reference` is a company with an empty id; `external_id` is the Exact customer code.
///
/// Exact's accounts carry no "person" flag (docs/ledgers/exact.md), and a missing VAT or
/// chamber of commerce number is no evidence (bookkeepers leave them out for companies too):
/// an account is taken for a private person only when it has a BSN, the Dutch citizen
/// service number that only natural persons have, and neither of those numbers. Its one
/// `Name` becomes the contact's last name, whole.
pub fn customer_from_account(account: wire::Account) -> LedgerCustomer {
    let address = Address {
        line_1: non_empty(account.address_line1),
        postal_code: non_empty(account.postcode),
        city: non_empty(account.city),
        country: non_empty(account.country).map(|c| c.to_ascii_uppercase()),
    };
    let addresses = if address == Address::default() {
        Vec::new()
    } else {
        vec![address]
    };
    let vat_number = account
        .vat_number
        .as_deref()
        .and_then(normalise_vat)
        .map(VatNumber);
    let name = non_empty(account.name).unwrap_or_default();
    let registration_number = non_empty(account.chamber_of_commerce);
    let is_person =
        non_empty(account.bsn).is_some() && vat_number.is_none() && registration_number.is_none();
    let person = (is_person && !name.is_empty()).then(|| PersonName {
        first_name: None,
        last_name: name.clone(),
    });
    let customer = Customer {
        reference: CustomerRef::company(String::new()),
        name,
        vat_number,
        enterprise_number: None,
        addresses,
        emails: non_empty(account.email).into_iter().collect(),
        external_id: non_empty(account.code),
        language: non_empty(account.language).map(|l| l.to_ascii_lowercase()),
    };
    LedgerCustomer {
        id: LedgerCustomerId::new(account.id),
        customer,
        phone: non_empty(account.phone),
        registration_number,
        person,
    }
}

/// The account to create for a Teamleader customer: a customer (status "C"), keeping the
/// Teamleader external id as Exact code when it fits Exact's 18 characters.
pub fn new_account(customer: &Customer) -> wire::NewAccount {
    let address = customer.addresses.first();
    let field = |f: fn(&Address) -> &Option<String>| address.and_then(|a| non_empty(f(a).clone()));
    wire::NewAccount {
        status: ACCOUNT_STATUS_CUSTOMER,
        name: customer.name.trim().to_owned(),
        code: customer
            .external_id
            .as_deref()
            .and_then(padded_account_code)
            .map(|padded| padded.trim_start().to_owned()),
        vat_number: customer
            .vat_number
            .as_ref()
            .and_then(|v| normalise_vat(&v.0)),
        email: non_empty(customer.emails.first().cloned()),
        address_line1: field(|a| &a.line_1),
        postcode: field(|a| &a.postal_code),
        city: field(|a| &a.city),
        country: field(|a| &a.country).map(|c| c.to_ascii_uppercase()),
        language: non_empty(customer.language.clone()).map(|l| l.to_ascii_uppercase()),
    }
}

/// The key of an Exact account: its GUID and its code without Exact's padding.
pub fn customer_key(id: &str, code: Option<&str>) -> LedgerCustomerKey {
    LedgerCustomerKey {
        id: LedgerCustomerId::new(id),
        number: code
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
    }
}

/// The sign Exact wants on a document's lines: credit notes are booked with negative amounts.
pub fn sign(kind: DocumentKind) -> Decimal {
    match kind {
        DocumentKind::Invoice => Decimal::ONE,
        DocumentKind::CreditNote => Decimal::NEGATIVE_ONE,
    }
}

/// The GUID of a line's GL account: the line may already carry a GUID, else its code is
/// looked up in `gl_ids` (code → GUID). `None` for a line without an account or an unknown one.
pub fn gl_account_id(line: &EntryLine, gl_ids: &HashMap<String, String>) -> Option<String> {
    let code = line.gl_account.as_deref()?.trim();
    if odata::guid_literal(code).is_some() {
        return Some(code.to_owned());
    }
    gl_ids.get(code).cloned()
}

/// What goes on the entry besides the lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryExtras {
    /// Document (PDF) GUID to link.
    pub document: Option<String>,
    /// Payment condition code to set (direct debit).
    pub payment_condition: Option<String>,
}

/// The sales entry to post. Amounts are tax-exclusive, rounded to cents, negative on credit
/// notes; a GL account code Exact does not have, an entry without a journal or without an
/// Exact customer is refused here, before any call.
pub fn sales_entry(
    entry: &LedgerEntry,
    gl_ids: &HashMap<String, String>,
    extras: EntryExtras,
) -> Result<wire::NewSalesEntry, ExternalError> {
    let refused = |message: String| ExternalError::Rejected {
        system: SYSTEM,
        status: REFUSED_BEFORE_SENDING,
        message,
    };
    let journal = entry
        .journal
        .as_deref()
        .map(str::trim)
        .filter(|j| !j.is_empty())
        .ok_or_else(|| {
            refused(format!(
                "entry {}: no sales journal chosen — choose one on the reactivation page.",
                entry.reference
            ))
        })?;
    let customer = entry.customer.ledger_id().ok_or_else(|| {
        refused(format!(
            "entry {}: the customer is not an Exact Online account — sync again so Koppel creates it.",
            entry.reference
        ))
    })?;
    let sign = sign(entry.kind);
    let lines = entry
        .lines
        .iter()
        .map(|line| {
            let gl_account = gl_account_id(line, gl_ids).ok_or_else(|| {
                refused(format!(
                    "entry {}: GL account {} does not exist in this Exact Online administration — choose an existing \
                     revenue account for this line on the reactivation page.",
                    entry.reference,
                    line.gl_account.as_deref().unwrap_or("(none)")
                ))
            })?;
            let vat_code = non_empty(line.vat_code.clone());
            Ok(wire::NewSalesEntryLine {
                gl_account,
                amount_fc: (line.amount_excl * sign).round_dp(2),
                vat_amount_fc: vat_code.as_ref().map(|_| (line.vat_amount * sign).round_dp(2)),
                vat_code,
                description: line.description.clone(),
            })
        })
        .collect::<Result<Vec<_>, ExternalError>>()?;
    Ok(wire::NewSalesEntry {
        journal: journal.to_owned(),
        customer: customer.as_str().to_owned(),
        entry_date: odata::format_date(entry.date),
        due_date: entry.due_date.map(odata::format_date),
        your_ref: entry.reference.clone(),
        description: entry.description.clone(),
        payment_reference: non_empty(entry.payment_reference.clone()),
        payment_condition: extras.payment_condition,
        currency: entry.currency.clone(),
        document: extras.document,
        sales_entry_lines: lines,
    })
}

/// Entries (lower-case ids) that are partly paid: not fully paid but with a payment date.
/// Their receivable still shows the full amount; the remainder comes from the open-items list.
pub fn partly_paid(receivables: &[wire::Receivable]) -> Vec<String> {
    let mut ids: Vec<String> = receivables
        .iter()
        .filter(|r| !r.is_fully_paid.unwrap_or(false))
        .filter(|r| {
            r.last_payment_date
                .as_deref()
                .is_some_and(|d| !d.trim().is_empty())
        })
        .filter_map(|r| non_empty(r.transaction_entry_id.clone()))
        .map(|id| id.to_ascii_lowercase())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// What the open-items list says remains per sales entry (lower-case entry id → the sum of
/// its items). Sums saturate: no real amount comes near the decimal's limit, and an answer
/// that does must not stop the poll.
pub fn remaining_by_entry(items: &[wire::OpenItem]) -> HashMap<String, Decimal> {
    let mut remaining: HashMap<String, Decimal> = HashMap::new();
    for item in items {
        let sum = remaining.entry(item.id.to_ascii_lowercase()).or_default();
        *sum = sum.saturating_add(item.amount.unwrap_or_default());
    }
    remaining
}

/// Payment states from receivables: per sales entry (`TransactionEntryID`), the open amount
/// is the sum of its receivables not fully paid — or, for partly paid entries, what the
/// open-items list says remains (`remaining`, by lower-case entry id) — it is paid when every
/// receivable is, and the paid date is the latest payment. Entries without a receivable are
/// left out (Exact has none to report yet).
pub fn payment_states(
    endpoint: &str,
    receivables: Vec<wire::Receivable>,
    remaining: &HashMap<String, Decimal>,
) -> Result<Vec<LedgerPaymentState>, ExternalError> {
    let mut by_entry: BTreeMap<String, LedgerPaymentState> = BTreeMap::new();
    for receivable in receivables {
        let Some(entry) = non_empty(receivable.transaction_entry_id.clone()) else {
            continue;
        };
        let paid_at = optional_datetime(
            endpoint,
            "LastPaymentDate",
            receivable.last_payment_date.as_deref(),
        )?;
        let fully_paid = receivable.is_fully_paid.unwrap_or(false);
        let open = if fully_paid {
            Decimal::ZERO
        } else {
            receivable.open_amount().abs()
        };
        let state = by_entry
            .entry(entry.to_ascii_lowercase())
            .or_insert_with(|| LedgerPaymentState {
                entry: LedgerEntryId::new(entry),
                open_amount: Decimal::ZERO,
                fully_paid: true,
                paid_at: None,
                partly_paid_amount_unknown: false,
                amount_unknown: false,
            });
        state.open_amount = state.open_amount.saturating_add(open);
        state.fully_paid &= fully_paid;
        state.paid_at = state.paid_at.max(paid_at);
    }
    for (key, state) in by_entry.iter_mut() {
        if !state.fully_paid
            && let Some(left) = remaining.get(key)
        {
            state.open_amount = left.abs();
        }
    }
    Ok(by_entry.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::DocumentKind;
    use rust_decimal_macros::dec;

    fn entry(kind: DocumentKind) -> LedgerEntry {
        LedgerEntry {
            kind,
            journal: Some("70".into()),
            customer: koppel_core::CustomerLink::Ledger {
                id: LedgerCustomerId::new("11111111-2222-3333-4444-555555555555"),
            },
            reference: "2026 / 17".into(),
            date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            due_date: NaiveDate::from_ymd_opt(2026, 4, 1),
            description: "Invoice 2026 / 17".into(),
            payment_reference: Some("+++123/4567/89012+++".into()),
            direct_debit: false,
            currency: "EUR".into(),
            lines: vec![
                EntryLine {
                    gl_account: Some("700000".into()),
                    vat_code: Some("4".into()),
                    amount_excl: dec!(100.00),
                    vat_amount: dec!(21.00),
                    description: "Consulting".into(),
                },
                EntryLine {
                    gl_account: Some("700100".into()),
                    vat_code: None,
                    amount_excl: dec!(-10.004),
                    vat_amount: dec!(0),
                    description: "Discount".into(),
                },
            ],
            total_incl: dec!(110.996),
            retry: false,
        }
    }

    fn gl_ids() -> HashMap<String, String> {
        HashMap::from([
            (
                "700000".to_owned(),
                "aaaaaaaa-0000-0000-0000-000000000001".to_owned(),
            ),
            (
                "700100".to_owned(),
                "aaaaaaaa-0000-0000-0000-000000000002".to_owned(),
            ),
        ])
    }

    #[test]
    fn invoice_lines_keep_their_sign() {
        let body = sales_entry(
            &entry(DocumentKind::Invoice),
            &gl_ids(),
            EntryExtras::default(),
        )
        .unwrap();
        assert_eq!(body.sales_entry_lines[0].amount_fc, dec!(100.00));
        assert_eq!(body.sales_entry_lines[0].vat_amount_fc, Some(dec!(21.00)));
        assert_eq!(
            body.sales_entry_lines[0].gl_account,
            "aaaaaaaa-0000-0000-0000-000000000001"
        );
        assert_eq!(body.sales_entry_lines[1].amount_fc, dec!(-10.00));
        assert_eq!(body.sales_entry_lines[1].vat_amount_fc, None);
        assert_eq!(body.your_ref, "2026 / 17");
        assert_eq!(body.entry_date, "2026-03-02T00:00:00");
        assert_eq!(body.due_date.as_deref(), Some("2026-04-01T00:00:00"));
    }

    #[test]
    fn credit_note_lines_are_negative() {
        let body = sales_entry(
            &entry(DocumentKind::CreditNote),
            &gl_ids(),
            EntryExtras::default(),
        )
        .unwrap();
        assert_eq!(body.sales_entry_lines[0].amount_fc, dec!(-100.00));
        assert_eq!(body.sales_entry_lines[0].vat_amount_fc, Some(dec!(-21.00)));
        assert_eq!(body.sales_entry_lines[1].amount_fc, dec!(10.00));
    }

    #[test]
    fn sales_entry_wire_json() {
        let extras = EntryExtras {
            document: Some("dddddddd-0000-0000-0000-000000000001".into()),
            payment_condition: Some("DD".into()),
        };
        let body = sales_entry(&entry(DocumentKind::CreditNote), &gl_ids(), extras).unwrap();
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["Journal"], "70");
        assert_eq!(json["Customer"], "11111111-2222-3333-4444-555555555555");
        assert_eq!(json["YourRef"], "2026 / 17");
        assert_eq!(json["PaymentCondition"], "DD");
        assert_eq!(json["Document"], "dddddddd-0000-0000-0000-000000000001");
        assert_eq!(json["PaymentReference"], "+++123/4567/89012+++");
        assert_eq!(
            json["SalesEntryLines"][0]["AmountFC"],
            serde_json::json!(-100.0)
        );
        assert_eq!(
            json["SalesEntryLines"][0]["VATAmountFC"],
            serde_json::json!(-21.0)
        );
        assert_eq!(json["SalesEntryLines"][0]["VATCode"], "4");
        assert_eq!(
            json["SalesEntryLines"][0]["GLAccount"],
            "aaaaaaaa-0000-0000-0000-000000000001"
        );
        assert!(json["SalesEntryLines"][1].get("VATCode").is_none());
        let without = sales_entry(
            &entry(DocumentKind::Invoice),
            &gl_ids(),
            EntryExtras::default(),
        )
        .unwrap();
        let json = serde_json::to_value(&without).unwrap();
        assert!(json.get("Document").is_none() && json.get("PaymentCondition").is_none());
    }

    #[test]
    fn unknown_gl_account_is_refused_before_posting() {
        let mut ids = gl_ids();
        ids.remove("700100");
        let error =
            sales_entry(&entry(DocumentKind::Invoice), &ids, EntryExtras::default()).unwrap_err();
        assert!(
            matches!(&error, ExternalError::Rejected { status: 0, message, .. } if message.contains("700100") && message.starts_with("entry 2026 / 17:")),
            "{error:?}"
        );
        // A line that already names a GUID needs no look-up.
        let mut guid_entry = entry(DocumentKind::Invoice);
        guid_entry.lines[1].gl_account = Some("aaaaaaaa-0000-0000-0000-000000000009".into());
        let body = sales_entry(&guid_entry, &ids, EntryExtras::default()).unwrap();
        assert_eq!(
            body.sales_entry_lines[1].gl_account,
            "aaaaaaaa-0000-0000-0000-000000000009"
        );
    }

    #[test]
    fn revenue_by_type_first_then_code() {
        assert!(is_revenue(Some(110), "123"));
        assert!(!is_revenue(Some(20), "700000"));
        assert!(is_revenue(None, "700000"));
        assert!(is_revenue(None, "8000"));
        assert!(!is_revenue(None, "400000"));
        assert!(!is_revenue(None, "80000"));
    }

    #[test]
    fn journals_vat_codes_and_periods() {
        let sales = journal(wire::Journal {
            code: " 70 ".into(),
            description: Some("Verkoop".into()),
            kind: Some(20),
        });
        assert_eq!(
            (sales.code.as_str(), sales.kind),
            ("70", JournalKind::Sales)
        );
        let returns = journal(wire::Journal {
            code: "71".into(),
            description: None,
            kind: Some(21),
        });
        assert_eq!(returns.kind, JournalKind::SalesReturns);
        let bank = journal(wire::Journal {
            code: "10".into(),
            description: None,
            kind: Some(12),
        });
        assert_eq!(bank.kind, JournalKind::Financial);
        let vat = vat_code(wire::VatCode {
            code: "4".into(),
            description: Some("21%".into()),
            percentage: Some(dec!(0.21)),
            kind: Some("E".into()),
            is_blocked: None,
        });
        assert_eq!(
            (vat.percentage, vat.exclusive, vat.blocked),
            (dec!(21), true, false)
        );
        let inclusive = vat_code(wire::VatCode {
            code: "5".into(),
            description: None,
            percentage: Some(dec!(21)),
            kind: Some("I".into()),
            is_blocked: Some(true),
        });
        assert_eq!(
            (inclusive.percentage, inclusive.exclusive, inclusive.blocked),
            (dec!(21), false, true)
        );
        let p = period(
            "financial/FinancialPeriods",
            wire::FinancialPeriod {
                fin_year: 2026,
                fin_period: 1,
                start_date: Some("/Date(1767225600000)/".into()),
                end_date: Some("2026-01-31T00:00:00".into()),
            },
        )
        .unwrap();
        assert_eq!(
            (p.start, p.end),
            (
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
            )
        );
    }

    #[test]
    fn bad_period_date_names_the_field() {
        let error = period(
            "financial/FinancialPeriods",
            wire::FinancialPeriod {
                fin_year: 2026,
                fin_period: 1,
                start_date: Some("/Date(x)/".into()),
                end_date: None,
            },
        )
        .unwrap_err();
        match error {
            ExternalError::Malformed {
                endpoint, detail, ..
            } => {
                assert_eq!(endpoint, "financial/FinancialPeriods");
                assert!(detail.starts_with("StartDate:"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_account_is_a_private_person_only_by_its_bsn() {
        let account = |vat: Option<&str>, coc: Option<&str>, bsn: Option<&str>| {
            customer_from_account(wire::Account {
                id: "bbbbbbbb-0000-0000-0000-000000000002".into(),
                code: Some("              2001".into()),
                name: Some("Jan Peeters".into()),
                vat_number: vat.map(Into::into),
                chamber_of_commerce: coc.map(Into::into),
                bsn: bsn.map(Into::into),
                country: Some("NL".into()),
                ..wire::Account::default()
            })
            .person
        };
        let jan = Some(PersonName {
            first_name: None,
            last_name: "Jan Peeters".into(),
        });
        assert_eq!(account(None, None, Some("123456782")), jan, "a BSN");
        assert_eq!(
            account(None, None, None),
            None,
            "no number at all is no evidence: companies miss theirs too"
        );
        assert_eq!(account(None, None, Some(" ")), None, "blank is none");
        assert_eq!(
            account(Some("NL123456789B01"), None, Some("123456782")),
            None,
            "a sole trader with a VAT number is a company"
        );
        assert_eq!(
            account(None, Some("12345678"), Some("123456782")),
            None,
            "KvK"
        );
    }

    #[test]
    fn accounts_both_ways() {
        let listed = customer_from_account(wire::Account {
            id: "bbbbbbbb-0000-0000-0000-000000000001".into(),
            code: Some("              1001".into()),
            name: Some("Acme NV".into()),
            vat_number: Some("be 0123.456.789".into()),
            email: Some("info@acme.be".into()),
            phone: Some(" +32 3 123 45 67 ".into()),
            address_line1: Some("Kerkstraat 1".into()),
            postcode: Some("2000".into()),
            city: Some("Antwerpen".into()),
            country: Some("be".into()),
            language: Some("NL".into()),
            status: Some("C".into()),
            ..wire::Account::default()
        });
        assert_eq!(listed.id.as_str(), "bbbbbbbb-0000-0000-0000-000000000001");
        assert_eq!(listed.phone.as_deref(), Some("+32 3 123 45 67"));
        assert_eq!(listed.person, None, "a VAT number makes a company");
        let customer = listed.customer;
        assert_eq!(customer.external_id.as_deref(), Some("1001"));
        assert_eq!(customer.vat_number, Some(VatNumber("BE0123456789".into())));
        assert_eq!(customer.addresses[0].country.as_deref(), Some("BE"));
        assert_eq!(customer.language.as_deref(), Some("nl"));
        let mut back = customer.clone();
        back.external_id = Some("  1001 ".into());
        let body = new_account(&back);
        assert_eq!(body.code.as_deref(), Some("1001"));
        assert_eq!(body.status, "C");
        assert_eq!(body.language.as_deref(), Some("NL"));
        assert_eq!(body.vat_number.as_deref(), Some("BE0123456789"));
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["VATNumber"], "BE0123456789");
        assert_eq!(json["AddressLine1"], "Kerkstraat 1");
        back.external_id = Some("x".repeat(19));
        assert_eq!(new_account(&back).code, None);
    }

    #[test]
    fn receivables_become_payment_states() {
        let receivable =
            |entry: &str, paid: bool, amount: Decimal, date: Option<&str>| wire::Receivable {
                transaction_entry_id: Some(entry.into()),
                is_fully_paid: Some(paid),
                amount_fc: Some(amount),
                amount_dc: None,
                last_payment_date: date.map(str::to_owned),
            };
        let receivables = vec![
            receivable("E1", true, dec!(121), Some("/Date(1767225600000)/")),
            receivable("E2", false, dec!(50), None),
            receivable("e2", true, dec!(71), Some("2026-01-03T00:00:00")),
            receivable("E3", false, dec!(-30), None),
            receivable("E4", false, dec!(200), Some("/Date(1767225600000)/")),
        ];
        assert_eq!(partly_paid(&receivables), vec!["e4".to_owned()]);
        let remaining = HashMap::from([("e4".to_owned(), dec!(80)), ("e1".to_owned(), dec!(5))]);
        let states = payment_states("cashflow/Receivables", receivables, &remaining).unwrap();
        assert_eq!(states.len(), 4);
        assert_eq!(
            (states[0].open_amount, states[0].fully_paid),
            (dec!(0), true)
        );
        assert_eq!(
            states[0].paid_at.unwrap().date_naive(),
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        );
        assert_eq!(
            (states[1].open_amount, states[1].fully_paid),
            (dec!(50), false)
        );
        assert_eq!(
            states[1].paid_at.unwrap().date_naive(),
            NaiveDate::from_ymd_opt(2026, 1, 3).unwrap()
        );
        assert_eq!(
            (states[2].open_amount, states[2].fully_paid),
            (dec!(30), false)
        );
    }
}
