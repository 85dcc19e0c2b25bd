//! Between Koppel's words and Twinfield's: reference data from finder rows, the sales
//! transaction of an entry (unsigned values, debit/credit; a credit note mirrored), customer
//! dimensions, and browse rows.

use super::xml::Element;
use chrono::{Datelike, NaiveDate};
use koppel_core::{
    Address, Customer, CustomerRef, DocumentKind, FiscalPeriod, GlAccount, Journal, JournalKind,
    LedgerCustomer, LedgerCustomerId, LedgerEntry, VatCode, VatNumber,
};
use rust_decimal::Decimal;

/// `YYYYMMDD`.
pub fn date(day: NaiveDate) -> String {
    day.format("%Y%m%d").to_string()
}

/// `YYYY/MM`.
pub fn period(day: NaiveDate) -> String {
    format!("{}/{:02}", day.year(), day.month())
}

/// A money value as Twinfield writes it (`121.00`).
pub fn value(amount: Decimal) -> String {
    format!("{:.2}", amount.round_dp(2))
}

/// A general-ledger account from a finder `DIM` row (`[code, name, …]`): P&L accounts
/// starting with 7 (Belgium) or 8 (the Netherlands) are revenue.
pub fn gl_account(row: &[String], profit_and_loss: bool) -> Option<GlAccount> {
    let code = row.first()?.trim().to_owned();
    if code.is_empty() {
        return None;
    }
    Some(GlAccount {
        id: code.clone(),
        is_revenue: profit_and_loss && (code.starts_with('8') || code.starts_with('7')),
        description: row.get(1).cloned().unwrap_or_default(),
        code,
        blocked: false,
    })
}

/// The debtors' collective account among the balance accounts: the one whose name says so
/// ("Debiteuren", "Handelsdebiteuren", "Clients", "Debtors"), else 1300 (Twinfield's default).
pub fn debtors_account(balance: &[GlAccount]) -> String {
    balance
        .iter()
        .find(|a| {
            let name = a.description.to_lowercase();
            ["debiteur", "debtor", "clients", "receivable"]
                .iter()
                .any(|w| name.contains(w))
        })
        .map_or_else(|| "1300".to_owned(), |a| a.code.clone())
}

/// A sales transaction type from a finder `TRS` row.
pub fn journal(row: &[String]) -> Option<Journal> {
    let code = row.first()?.trim().to_owned();
    (!code.is_empty()).then(|| Journal {
        description: row.get(1).cloned().unwrap_or_default(),
        code,
        kind: JournalKind::Sales,
    })
}

/// A VAT code from a finder `VAT` row and its percentage (read separately).
pub fn vat_code(row: &[String], percentage: Decimal) -> Option<VatCode> {
    let code = row.first()?.trim().to_owned();
    (!code.is_empty()).then(|| VatCode {
        description: row.get(1).cloned().unwrap_or_default(),
        code,
        percentage,
        exclusive: true,
        blocked: false,
    })
}

/// The current percentage of a `<vat>` read answer (the last dated one).
pub fn vat_percentage(vat: &Element) -> Option<Decimal> {
    vat.first("percentages")?
        .all("percentage")
        .filter_map(|p| p.text_of("percentage"))
        .filter_map(|p| p.parse::<Decimal>().ok())
        .last()
        .map(|p| p.normalize())
}

/// A period from a finder `PRD` row (`["2026/01", name, "open"|"closed"]`), months assumed
/// calendar months.
pub fn fiscal_period(row: &[String]) -> Option<FiscalPeriod> {
    let (year, month) = row.first()?.trim().split_once('/')?;
    let year: i32 = year.parse().ok()?;
    let month: u32 = month.parse().ok()?;
    let start = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some(FiscalPeriod {
        year,
        period: month,
        start,
        end: next.pred_opt()?,
        closed: row
            .get(2)
            .is_some_and(|status| status.trim().eq_ignore_ascii_case("closed")),
    })
}

/// The invoice number Koppel gives a document in Twinfield: the Teamleader number, with
/// "CN " in front for a credit note (invoices and credit notes have separate number series
/// in Teamleader and share the sales transaction type in Twinfield, whose duplicate check
/// is per type and customer).
pub fn invoice_number(kind: DocumentKind, reference: &str) -> String {
    match kind {
        DocumentKind::Invoice => reference.trim().to_owned(),
        DocumentKind::CreditNote => format!("CN {}", reference.trim()),
    }
}

/// Where a transaction is booked: `temporary` (provisional, the accountant finalises it) or
/// `final`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Destiny {
    /// Provisional ("concept"): the accountant checks and finalises.
    #[default]
    Temporary,
    /// Final.
    Final,
}

impl Destiny {
    /// As Twinfield writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Temporary => "temporary",
            Self::Final => "final",
        }
    }
}

/// The `<transaction>` of `entry` for `customer` (a DEB code) in `office`: a total line on
/// the customer (debit for an invoice), detail lines on the revenue accounts with their VAT
/// code and amount (credit for an invoice); a credit note is the mirror. Values unsigned.
pub fn transaction(
    entry: &LedgerEntry,
    office: &str,
    customer: &str,
    debtors: &str,
    destiny: Destiny,
) -> Result<Element, String> {
    let (total_side, detail_side) = match entry.kind {
        DocumentKind::Invoice => ("debit", "credit"),
        DocumentKind::CreditNote => ("credit", "debit"),
    };
    let mut lines = Element::new("lines");
    let mut total = Decimal::ZERO;
    for (index, line) in entry.lines.iter().enumerate() {
        let account = line
            .gl_account
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .ok_or("a line has no revenue account")?;
        let vat = line
            .vat_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or("a line has no VAT code")?;
        if line.amount_excl.is_sign_negative() || line.vat_amount.is_sign_negative() {
            return Err("a booking line is negative (a discount on its own account): book the discount on the same revenue account as the line it lowers".into());
        }
        total += line.amount_excl + line.vat_amount;
        lines = lines.child(
            Element::new("line")
                .attr("type", "detail")
                .attr("id", (index + 2).to_string())
                .leaf("dim1", account)
                .leaf("debitcredit", detail_side)
                .leaf("value", value(line.amount_excl))
                .leaf("vatcode", vat)
                .leaf("vatvalue", value(line.vat_amount))
                .leaf("description", line.description.clone()),
        );
    }
    let total_line = Element::new("line")
        .attr("type", "total")
        .attr("id", "1")
        .leaf("dim1", debtors)
        .leaf("dim2", customer)
        .leaf("debitcredit", total_side)
        .leaf("value", value(total));
    let mut lines_with_total = Element::new("lines").child(total_line);
    lines_with_total.children.extend(lines.children);
    let journal = entry
        .journal
        .clone()
        .ok_or("no sales transaction type chosen")?;
    let header = Element::new("header")
        .leaf("office", office)
        .leaf("code", journal)
        .leaf("currency", entry.currency.clone())
        .leaf("date", date(entry.date))
        .leaf("period", period(entry.date))
        .leaf(
            "invoicenumber",
            invoice_number(entry.kind, &entry.reference),
        )
        .leaf_if("paymentreference", entry.payment_reference.clone())
        .leaf_if("duedate", entry.due_date.map(date))
        .leaf("description", entry.description.clone());
    Ok(Element::new("transactions").child(
        Element::new("transaction")
            .attr("destiny", destiny.as_str())
            .attr("raisewarning", "false")
            .child(header)
            .child(lines_with_total),
    ))
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The `<dimension>` creating a customer (DEB) for a Teamleader customer; Twinfield numbers it.
pub fn new_customer(customer: &Customer, office: &str) -> Element {
    let address = customer.addresses.first();
    let field = |f: fn(&Address) -> &Option<String>| address.and_then(|a| non_empty(f(a)));
    let address = Element::new("address")
        .attr("type", "invoice")
        .attr("default", "true")
        .leaf("name", customer.name.trim())
        .leaf_if(
            "country",
            field(|a| &a.country).map(|c| c.to_ascii_uppercase()),
        )
        .leaf_if("city", field(|a| &a.city))
        .leaf_if("postcode", field(|a| &a.postal_code))
        .leaf_if("field2", field(|a| &a.line_1))
        .leaf_if("field4", customer.vat_number.as_ref().map(|v| v.0.clone()))
        .leaf_if("email", customer.emails.first().cloned());
    Element::new("dimension")
        .leaf("office", office)
        .leaf("type", "DEB")
        .leaf("name", customer.name.trim())
        .child(Element::new("addresses").child(address))
}

/// A VAT number reduced to what compares.
pub use koppel_core::domain::vat::vat_match_key as normalised_vat;

/// A customer from a finder `DIM`/`DEB` row (`[code, name, VAT number]`), for the company
/// import: its code is the customer number. The finder gives no person flag, so every
/// Twinfield customer is imported as a company.
pub fn customer_from_row(row: &[String]) -> Option<LedgerCustomer> {
    let code = row.first()?.trim().to_owned();
    let name = row.get(1)?.trim().to_owned();
    if code.is_empty() || name.is_empty() {
        return None;
    }
    Some(LedgerCustomer::company(
        LedgerCustomerId::new(code.clone()),
        Customer {
            reference: CustomerRef::company(String::new()),
            name,
            vat_number: row.get(2).and_then(|v| normalised_vat(v)).map(VatNumber),
            enterprise_number: None,
            addresses: Vec::new(),
            emails: Vec::new(),
            external_id: Some(code),
            language: None,
        },
    ))
}

/// One row of a browse answer: its fields by name, and its key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrowseRow {
    /// `field` → value.
    pub fields: Vec<(String, String)>,
    /// Transaction type code of the key.
    pub code: String,
    /// Transaction number of the key.
    pub number: String,
}

impl BrowseRow {
    /// The value of `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value.trim())
            .filter(|v| !v.is_empty())
    }
}

/// The rows of a `<browse>` answer.
pub fn browse_rows(browse: &Element) -> Vec<BrowseRow> {
    browse
        .all("tr")
        .map(|tr| {
            let key = tr.first("key");
            BrowseRow {
                fields: tr
                    .all("td")
                    .filter_map(|td| {
                        td.attribute("field")
                            .map(|f| (f.to_owned(), td.text.trim().to_owned()))
                    })
                    .collect(),
                code: key
                    .and_then(|k| k.text_of("code"))
                    .unwrap_or_default()
                    .to_owned(),
                number: key
                    .and_then(|k| k.text_of("number"))
                    .unwrap_or_default()
                    .to_owned(),
            }
        })
        .collect()
}

/// A browse request (`<columns code="100">`) over the office's transactions of type `code`,
/// with optional filters; selects the fields Koppel reads.
pub fn browse_request(
    office: &str,
    code: &str,
    periods: Option<(String, String)>,
    invoice_number: Option<&str>,
) -> Element {
    let filter = |field: &str, from: &str| {
        Element::new("column")
            .leaf("field", field)
            .leaf("operator", "equal")
            .leaf("from", from)
    };
    let select = |field: &str| Element::new("column").leaf("field", field);
    let mut columns = Element::new("columns")
        .attr("code", "100")
        .child(filter("fin.trs.head.office", office))
        .child(filter("fin.trs.head.code", code));
    if let Some((from, to)) = periods {
        columns = columns.child(
            Element::new("column")
                .leaf("field", "fin.trs.head.yearperiod")
                .leaf("operator", "between")
                .leaf("from", from)
                .leaf("to", to),
        );
    }
    if let Some(number) = invoice_number {
        columns = columns.child(filter("fin.trs.line.invnumber", number));
    }
    for field in [
        "fin.trs.head.number",
        "fin.trs.line.invnumber",
        "fin.trs.line.dim2",
        "fin.trs.line.valuesigned",
        "fin.trs.line.openvaluesigned",
        "fin.trs.line.matchstatus",
        "fin.trs.line.matchdate",
    ] {
        columns = columns.child(select(field));
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::{CustomerLink, EntryLine};
    use rust_decimal_macros::dec;

    fn entry(kind: DocumentKind) -> LedgerEntry {
        LedgerEntry {
            kind,
            journal: Some("VRK".into()),
            customer: CustomerLink::Ledger {
                id: LedgerCustomerId::new("10001"),
            },
            reference: "2026 / 17".into(),
            date: NaiveDate::from_ymd_opt(2026, 7, 7).unwrap(),
            due_date: NaiveDate::from_ymd_opt(2026, 8, 6),
            description: "Invoice 2026 / 17".into(),
            payment_reference: Some("+++145/2000/00135+++".into()),
            direct_debit: false,
            currency: "EUR".into(),
            lines: vec![EntryLine {
                gl_account: Some("8000".into()),
                vat_code: Some("VH".into()),
                amount_excl: dec!(100),
                vat_amount: dec!(21),
                description: "Advies".into(),
            }],
            total_incl: dec!(121),
            retry: false,
        }
    }

    #[test]
    fn an_invoice_debits_the_customer_and_a_credit_note_mirrors_it_unsigned() {
        let invoice = transaction(
            &entry(DocumentKind::Invoice),
            "NLA002058",
            "10001",
            "1300",
            Destiny::Temporary,
        )
        .unwrap();
        let t = invoice.first("transaction").unwrap();
        assert_eq!(t.attribute("destiny"), Some("temporary"));
        let header = t.first("header").unwrap();
        assert_eq!(header.text_of("period"), Some("2026/07"));
        assert_eq!(header.text_of("date"), Some("20260707"));
        assert_eq!(header.text_of("invoicenumber"), Some("2026 / 17"));
        let lines: Vec<&Element> = t.first("lines").unwrap().all("line").collect();
        assert_eq!(lines[0].text_of("debitcredit"), Some("debit"));
        assert_eq!(lines[0].text_of("value"), Some("121.00"));
        assert_eq!(lines[0].text_of("dim2"), Some("10001"));
        assert_eq!(lines[1].text_of("debitcredit"), Some("credit"));
        assert_eq!(lines[1].text_of("vatvalue"), Some("21.00"));
        let credit = transaction(
            &entry(DocumentKind::CreditNote),
            "NLA002058",
            "10001",
            "1300",
            Destiny::Final,
        )
        .unwrap();
        let t = credit.first("transaction").unwrap();
        assert_eq!(t.attribute("destiny"), Some("final"));
        assert_eq!(
            t.first("header").unwrap().text_of("invoicenumber"),
            Some("CN 2026 / 17")
        );
        let lines: Vec<&Element> = t.first("lines").unwrap().all("line").collect();
        assert_eq!(lines[0].text_of("debitcredit"), Some("credit"));
        assert_eq!(lines[1].text_of("debitcredit"), Some("debit"));
        assert_eq!(
            lines[1].text_of("value"),
            Some("100.00"),
            "values stay unsigned"
        );
    }

    #[test]
    fn finder_rows_become_reference_data() {
        let row = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let revenue = gl_account(&row(&["8000", "Omzet hoog"]), true).unwrap();
        assert!(revenue.is_revenue);
        let balance = gl_account(&row(&["1300", "Debiteuren"]), false).unwrap();
        assert!(!balance.is_revenue);
        assert_eq!(debtors_account(&[balance]), "1300");
        let period = fiscal_period(&row(&["2026/02", "Februari", "closed"])).unwrap();
        assert_eq!((period.year, period.period, period.closed), (2026, 2, true));
        assert_eq!(period.end, NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        let december = fiscal_period(&row(&["2026/12", "December", "open"])).unwrap();
        assert_eq!(december.end, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        assert!(fiscal_period(&row(&["2026"])).is_none());
        let listed = customer_from_row(&row(&[
            "10001",
            "Brouwerij Het Anker NV",
            "BE 0403.170.701",
        ]))
        .unwrap();
        assert_eq!(listed.id.as_str(), "10001");
        assert_eq!(listed.person, None);
        assert_eq!(listed.customer.vat_number.unwrap().0, "BE0403170701");
    }
}
