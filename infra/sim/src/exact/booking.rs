//! The business rules of booking a sales entry, with Exact's Dutch refusals.
//!
//! A POST is checked as a whole and every violated rule is reported (lines joined by
//! `\r\n`, as Exact does): required fields ("Verplicht: …"), references ("Ongeldige
//! referentie: …"), a sales journal, a GL account that can carry revenue, an open period in a
//! known financial year, and an entry number not yet used in the journal and year.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use super::error::ApiError;
use super::model::{Division, SalesEntry, SalesEntryLine, VatKind};
use super::payload::Payload;
use super::schema::{EntitySchema, SALES_ENTRY_LINE};
use super::wire::cents;

/// Refusal texts (Dutch, as a Belgian or Dutch user's Exact answers).
pub mod text {
    /// No journal given.
    pub const JOURNAL_REQUIRED: &str = "Verplicht: Dagboek";
    /// Unknown journal code.
    pub const JOURNAL_UNKNOWN: &str = "Ongeldige referentie: Dagboek";
    /// Journal is not a sales journal.
    pub const JOURNAL_NOT_SALES: &str =
        "Ongeldig dagboek. Het dagboek moet een verkoopdagboek zijn.";
    /// No customer given.
    pub const CUSTOMER_REQUIRED: &str = "Verplicht: Klant";
    /// Unknown customer.
    pub const CUSTOMER_UNKNOWN: &str = "Ongeldige referentie: Klant";
    /// No lines.
    pub const LINES_REQUIRED: &str = "Verplicht: Boekingsregels";
    /// No financial year covers the date.
    pub const NO_FINANCIAL_YEAR: &str = "Onbekend: Boekjaar (Periode-datumtabel)";
    /// Entry number already used in the journal and year.
    pub const ENTRY_NUMBER_IN_USE: &str = "In gebruik: Boekstuknummer";
    /// Unknown payment condition.
    pub const PAYMENT_CONDITION_UNKNOWN: &str = "Ongeldige referentie: Betalingsconditie";
    /// Unknown document.
    pub const DOCUMENT_UNKNOWN: &str = "Ongeldige referentie: Document";
    /// Line without GL account.
    pub const GL_REQUIRED: &str = "Verplicht: Grootboekrekening";
    /// Unknown GL account.
    pub const GL_UNKNOWN: &str = "Ongeldige referentie: Grootboekrekening";
    /// GL account of a type that cannot carry sales (receivable, VAT, bank, …).
    pub const GL_WRONG_TYPE: &str = "Ongeldig: Grootboekrekeningtype";
    /// Blocked GL account.
    pub const GL_BLOCKED: &str = "Geblokkeerd: Grootboekrekening";
    /// Line without amount.
    pub const AMOUNT_REQUIRED: &str = "Verplicht: Bedrag";
    /// Unknown VAT code.
    pub const VAT_UNKNOWN: &str = "Ongeldige referentie: Btw-code";
    /// Blocked VAT code.
    pub const VAT_BLOCKED: &str = "Geblokkeerd: Btw-code";
}

/// Days until due when neither a due date nor a payment condition is given.
const DEFAULT_PAYMENT_DAYS: i32 = 30;

/// "Periode is afgesloten: 2026 - 3".
pub fn period_closed(year: i32, period: i32) -> String {
    format!("Periode is afgesloten: {year} - {period}")
}

/// The lines of a POST in its navigation property `lines` (an array, or
/// `{"results": [...]}`), each read against `schema`.
pub(crate) fn nested_payloads(
    payload: &Payload,
    lines: &str,
    schema: &'static EntitySchema,
) -> Result<Vec<Payload>, ApiError> {
    let items = match payload.nested(lines) {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Object(map)) => match map.get("results") {
            Some(Value::Array(items)) => items.clone(),
            _ => return Err(ApiError::not_an_object()),
        },
        Some(_) => return Err(ApiError::not_an_object()),
    };
    items
        .into_iter()
        .map(|item| Payload::from_value(item, schema))
        .collect()
}

fn build_line(
    division: &Division,
    line: &Payload,
    number: i32,
    errors: &mut Vec<String>,
) -> Option<SalesEntryLine> {
    let gl = match line.guid("GLAccount") {
        None => {
            errors.push(text::GL_REQUIRED.to_owned());
            None
        }
        Some(id) => match division.gl_account(id) {
            None => {
                errors.push(text::GL_UNKNOWN.to_owned());
                None
            }
            Some(gl) if !gl.accepts_sales_lines() => {
                errors.push(text::GL_WRONG_TYPE.to_owned());
                None
            }
            Some(gl) if gl.blocked => {
                errors.push(text::GL_BLOCKED.to_owned());
                None
            }
            Some(gl) => Some(gl),
        },
    };
    let amount = line.decimal("AmountFC");
    if amount.is_none() {
        errors.push(text::AMOUNT_REQUIRED.to_owned());
    }
    let vat_code_text = line
        .text("VATCode")
        .or_else(|| gl.and_then(|g| g.vat_code.clone()));
    let vat = match vat_code_text.as_deref() {
        None => None,
        Some(code) => match division.vat_code(code) {
            None => {
                errors.push(text::VAT_UNKNOWN.to_owned());
                return None;
            }
            Some(v) if v.blocked => {
                errors.push(text::VAT_BLOCKED.to_owned());
                return None;
            }
            Some(v) => Some(v),
        },
    };
    let (gl, amount) = (gl?, amount?);
    let (net, vat_amount, percentage) = match vat {
        None => (amount, Decimal::ZERO, Decimal::ZERO),
        Some(v) => match v.kind {
            VatKind::Exclusive => {
                let computed = cents(amount * v.percentage / Decimal::ONE_HUNDRED);
                (
                    amount,
                    line.decimal("VATAmountFC").unwrap_or(computed),
                    v.percentage,
                )
            }
            VatKind::Inclusive => {
                let included = cents(amount * v.percentage / (Decimal::ONE_HUNDRED + v.percentage));
                (amount - included, included, v.percentage)
            }
            VatKind::BaseOnly | VatKind::NoVat => (amount, Decimal::ZERO, v.percentage),
        },
    };
    Some(SalesEntryLine {
        id: Uuid::new_v4(),
        line_number: number,
        gl_account: gl.id,
        description: line.text("Description"),
        amount_fc: net,
        vat_code: vat.map(|v| v.code.clone()),
        vat_percentage: percentage,
        vat_amount_fc: vat_amount,
        quantity: line.decimal("Quantity"),
        cost_center: line.text("CostCenter"),
        cost_unit: line.text("CostUnit"),
        notes: line.text("Notes"),
    })
}

/// The number Exact would give the next entry: highest in the journal and year plus one, or
/// the first of the year's series (`YY` + journal code + `0001`, e.g. 267000001).
pub(crate) fn next_entry_number(division: &Division, journal: &str, year: i32) -> i32 {
    let highest = division
        .entries
        .iter()
        .filter(|e| e.journal == journal && e.reporting_year == year)
        .map(|e| e.entry_number)
        .max();
    if let Some(highest) = highest {
        return highest.saturating_add(1);
    }
    let yy = year.rem_euclid(100);
    format!("{yy:02}{journal}0001")
        .parse::<i32>()
        .unwrap_or(yy * 1_000_000 + 1)
}

/// Check a POST salesentry/SalesEntries and build the entry (not yet stored, `hid` unset).
pub(crate) fn build_entry(
    division: &Division,
    payload: &Payload,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<SalesEntry, ApiError> {
    let lines = nested_payloads(payload, "SalesEntryLines", &SALES_ENTRY_LINE)?;
    let mut errors: Vec<String> = Vec::new();

    let journal = match payload.text("Journal") {
        None => {
            errors.push(text::JOURNAL_REQUIRED.to_owned());
            None
        }
        Some(code) => match division.journal(code.trim()) {
            None => {
                errors.push(text::JOURNAL_UNKNOWN.to_owned());
                None
            }
            Some(j) if !j.is_sales() => {
                errors.push(text::JOURNAL_NOT_SALES.to_owned());
                None
            }
            Some(j) => Some(j),
        },
    };
    let customer = match payload.guid("Customer") {
        None => {
            errors.push(text::CUSTOMER_REQUIRED.to_owned());
            None
        }
        Some(id) => {
            let found = division.account(id);
            if found.is_none() {
                errors.push(text::CUSTOMER_UNKNOWN.to_owned());
            }
            found
        }
    };
    if lines.is_empty() {
        errors.push(text::LINES_REQUIRED.to_owned());
    }
    let entry_date = payload.date("EntryDate").unwrap_or(today);
    let period = match (payload.int("ReportingYear"), payload.int("ReportingPeriod")) {
        (Some(year), Some(period)) => division
            .periods
            .iter()
            .find(|p| i64::from(p.year) == year && i64::from(p.period) == period),
        _ => division.period_of(entry_date),
    };
    match period {
        None => errors.push(text::NO_FINANCIAL_YEAR.to_owned()),
        Some(p) if p.closed => errors.push(period_closed(p.year, p.period)),
        Some(_) => {}
    }
    let condition = payload.text("PaymentCondition");
    let condition_days = match condition.as_deref() {
        None => None,
        Some(code) => match division.payment_condition(code) {
            None => {
                errors.push(text::PAYMENT_CONDITION_UNKNOWN.to_owned());
                None
            }
            Some(c) => Some(c.days),
        },
    };
    let document = payload.guid("Document");
    if document.is_some_and(|id| division.document(id).is_none()) {
        errors.push(text::DOCUMENT_UNKNOWN.to_owned());
    }
    let wanted_number = payload
        .int("EntryNumber")
        .and_then(|n| i32::try_from(n).ok());
    if let (Some(number), Some(journal), Some(period)) = (wanted_number, journal, period) {
        let taken = division.entries.iter().any(|e| {
            e.journal == journal.code && e.reporting_year == period.year && e.entry_number == number
        });
        if taken {
            errors.push(text::ENTRY_NUMBER_IN_USE.to_owned());
        }
    }
    let built: Vec<Option<SalesEntryLine>> = lines
        .iter()
        .zip(1..)
        .map(|(line, number)| build_line(division, line, number, &mut errors))
        .collect();

    let (Some(journal), Some(customer), Some(period), true) =
        (journal, customer, period, errors.is_empty())
    else {
        return Err(ApiError::Business(errors));
    };
    let entry_number =
        wanted_number.unwrap_or_else(|| next_entry_number(division, &journal.code, period.year));
    Ok(SalesEntry {
        entry_id: Uuid::new_v4(),
        receivable_id: Uuid::new_v4(),
        hid: 0,
        journal: journal.code.clone(),
        entry_number,
        invoice_number: payload
            .int("InvoiceNumber")
            .and_then(|n| i32::try_from(n).ok())
            .unwrap_or(entry_number),
        customer: customer.id,
        entry_date,
        due_date: payload.date("DueDate").unwrap_or(
            entry_date + Duration::days(i64::from(condition_days.unwrap_or(DEFAULT_PAYMENT_DAYS))),
        ),
        reporting_year: period.year,
        reporting_period: period.period,
        your_ref: payload.text("YourRef"),
        description: payload.text("Description"),
        payment_reference: payload.text("PaymentReference"),
        payment_condition: condition.map(|c| c.trim().to_owned()),
        document,
        currency: payload
            .text("Currency")
            .unwrap_or_else(|| division.currency.clone()),
        order_number: payload
            .int("OrderNumber")
            .and_then(|n| i32::try_from(n).ok()),
        lines: built.into_iter().flatten().collect(),
        created: now,
        modified: now,
        paid: Decimal::ZERO,
        last_payment_date: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::schema::SALES_ENTRY;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 15).unwrap()
    }

    fn post(division: &Division, body: Value) -> Result<SalesEntry, ApiError> {
        let payload = Payload::from_value(body, &SALES_ENTRY).unwrap();
        build_entry(
            division,
            &payload,
            today(),
            today().and_hms_opt(10, 0, 0).unwrap(),
        )
    }

    fn errors(result: Result<SalesEntry, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::Business(lines)) => lines,
            other => panic!("expected business errors, got {other:?}"),
        }
    }

    #[test]
    fn vat_is_computed_per_kind_of_code() {
        let d = Division::belgian(1, "T");
        let gl = d.gl_account_by_code("700000").unwrap().id.to_string();
        let entry = post(&d, json!({
            "Journal": "700", "Customer": d.accounts[0].id.to_string(), "EntryDate": "2026-03-15",
            "SalesEntryLines": [
                {"GLAccount": gl, "AmountFC": 100, "VATCode": "21"},
                {"GLAccount": gl, "AmountFC": "121.00", "VATCode": "21I"},
                {"GLAccount": gl, "AmountFC": 50},
                {"GLAccount": gl, "AmountFC": 10, "VATCode": "CM"}
            ]
        })).unwrap();
        let vat: Vec<_> = entry.lines.iter().map(|l| l.vat_amount_fc).collect();
        assert_eq!(vat, [dec!(21.00), dec!(21.00), dec!(10.50), dec!(0)]);
        assert_eq!(entry.lines[1].amount_fc, dec!(100.00));
        assert_eq!(
            entry.amount(),
            dec!(100) + dec!(21) + dec!(121) + dec!(60.50) + dec!(10)
        );
        assert_eq!(entry.entry_number, 267000001);
        assert_eq!(entry.entry_type(), 20);
        assert_eq!(
            entry.due_date,
            NaiveDate::from_ymd_opt(2026, 4, 14).unwrap()
        );
    }

    #[test]
    fn every_violated_rule_is_reported() {
        let d = Division::belgian(1, "T");
        let ar = d.gl_account_by_code("400000").unwrap().id.to_string();
        let found = errors(post(
            &d,
            json!({
                "Journal": "600", "Customer": Uuid::new_v4().to_string(), "EntryDate": "2024-06-01",
                "SalesEntryLines": [{"GLAccount": ar, "AmountFC": 1, "VATCode": "99"}, {"Description": "x"}]
            }),
        ));
        assert_eq!(
            found,
            [
                text::JOURNAL_NOT_SALES,
                text::CUSTOMER_UNKNOWN,
                text::NO_FINANCIAL_YEAR,
                text::GL_WRONG_TYPE,
                text::VAT_UNKNOWN,
                text::GL_REQUIRED,
                text::AMOUNT_REQUIRED,
            ]
        );
        assert_eq!(
            errors(post(&d, json!({}))),
            [
                text::JOURNAL_REQUIRED,
                text::CUSTOMER_REQUIRED,
                text::LINES_REQUIRED
            ]
        );
    }

    #[test]
    fn next_number_continues_the_series() {
        let mut d = Division::belgian(1, "T");
        let gl = d.gl_account_by_code("700000").unwrap().id.to_string();
        let body = json!({"Journal": "710", "Customer": d.accounts[0].id.to_string(), "EntryDate": "2025-12-31",
            "SalesEntryLines": [{"GLAccount": gl, "AmountFC": -10}]});
        let first = post(&d, body.clone()).unwrap();
        assert_eq!(first.entry_number, 257100001);
        assert_eq!(first.entry_type(), 21);
        d.entries.push(first);
        assert_eq!(post(&d, body).unwrap().entry_number, 257100002);
    }

    #[test]
    fn payment_conditions_set_the_due_date() {
        let d = Division::belgian(1, "T");
        let gl = d.gl_account_by_code("700000").unwrap().id.to_string();
        let body = |condition: &str| {
            json!({"Journal": "700", "Customer": d.accounts[0].id.to_string(),
            "EntryDate": "2026-03-15", "PaymentCondition": condition,
            "SalesEntryLines": [{"GLAccount": gl, "AmountFC": 10}]})
        };
        let entry = post(&d, body("14")).unwrap();
        assert_eq!(
            entry.due_date,
            NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()
        );
        assert_eq!(
            errors(post(&d, body("XX"))),
            [text::PAYMENT_CONDITION_UNKNOWN]
        );
    }
}
