//! Between Koppel's words and Octopus's: reference data, the buy/sell booking of an entry
//! (credit notes: negative total, positive lines), relations, and the id Koppel gives a
//! booking (Octopus gives none: a booking is known by book year, journal and number).

use super::wire;
use chrono::NaiveDate;
use koppel_core::domain::vat::{parse_vat, vat_match_key};
use koppel_core::{
    Address, Customer, CustomerRef, DocumentKind, FiscalPeriod, GlAccount, Journal, JournalKind,
    LedgerCustomer, LedgerCustomerId, LedgerEntry, LedgerEntryId, PersonName, VatCode, VatNumber,
};
use rust_decimal::Decimal;
use std::fmt;

/// Octopus's journal "invoer type" (entry type). Only [`InsertionType::SALES_BOOKINGS`]
/// journals take buy/sell bookings of customers; the numbers are the simulator's reading
/// (the reference lists the field, not its values).
pub struct InsertionType;

impl InsertionType {
    /// "Aankoop Boekingen" — purchase bookings.
    pub const PURCHASE_BOOKINGS: i64 = 1;
    /// "Verkoop Boekingen" — sales bookings: the only type Koppel books into.
    pub const SALES_BOOKINGS: i64 = 2;
    /// "Financiële Boekingen" — bank and cash.
    pub const FINANCIAL: i64 = 3;
    /// "Diverse Boekingen" — miscellaneous.
    pub const MISCELLANEOUS: i64 = 4;
    /// "Facturen" — the Invoice module's journals (not for bookings).
    pub const INVOICES: i64 = 6;

    /// The type's name as Octopus shows it, for findings.
    pub fn name(value: i64) -> &'static str {
        match value {
            Self::PURCHASE_BOOKINGS => "Aankoop Boekingen (Purchase bookings)",
            Self::SALES_BOOKINGS => "Verkoop Boekingen (Sales bookings)",
            Self::FINANCIAL => "Financiële Boekingen (Financial)",
            Self::MISCELLANEOUS => "Diverse Boekingen (Miscellaneous)",
            Self::INVOICES => "Facturen (Invoices)",
            _ => "another type",
        }
    }
}

/// Octopus writes dates as `YYYY-MM-DD`, reads sometimes answer `YYYY-MM-DDTHH:MM:SS`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

/// `YYYY-MM-DD`.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A journal as Koppel lists it: "Verkoop Boekingen" journals are sales journals; every
/// other type says which it is, so the finding "not a sales journal" names it.
pub fn journal(journal: &wire::Journal) -> Journal {
    let sales = journal.insertion_type == InsertionType::SALES_BOOKINGS;
    Journal {
        code: journal.journal_key.trim().to_owned(),
        description: if sales {
            journal.name.trim().to_owned()
        } else {
            format!(
                "{}, type {}",
                journal.name.trim(),
                InsertionType::name(journal.insertion_type)
            )
        },
        kind: match journal.insertion_type {
            InsertionType::SALES_BOOKINGS => JournalKind::Sales,
            InsertionType::FINANCIAL => JournalKind::Financial,
            _ => JournalKind::Other,
        },
    }
}

/// An account: revenue when its number starts with 70 (what the seeds tell users to check).
pub fn gl_account(account: &wire::Account) -> GlAccount {
    let code = account.account_key.id.to_string();
    let names = &account.description;
    let description = [&names.nl, &names.fr, &names.en]
        .into_iter()
        .flatten()
        .map(|d| d.trim())
        .find(|d| !d.is_empty())
        .unwrap_or_default()
        .to_owned();
    GlAccount {
        id: code.clone(),
        is_revenue: code.starts_with("70"),
        code,
        description,
        blocked: false,
    }
}

/// A VAT code: sales codes (type 1) are net-based and usable; purchase codes are listed as
/// blocked so they are never offered for sales lines.
pub fn vat_code(code: &wire::VatCode) -> VatCode {
    VatCode {
        code: code.code.trim().to_owned(),
        description: code.description.trim().to_owned(),
        percentage: code.base_percentage,
        exclusive: true,
        blocked: code.kind != 1,
    }
}

/// The periods of a book year; a period is closed when the book year is, or when every
/// sales journal of the year is closed or protected up to it.
pub fn periods(bookyear: &wire::Bookyear, journals: &[wire::Journal]) -> Vec<FiscalPeriod> {
    let sales: Vec<&wire::Journal> = journals
        .iter()
        .filter(|j| j.insertion_type == InsertionType::SALES_BOOKINGS)
        .collect();
    let year = parse_date(&bookyear.start_date)
        .map(|d| chrono::Datelike::year(&d))
        .unwrap_or_default();
    bookyear
        .periods
        .iter()
        .enumerate()
        .filter_map(|(index, period)| {
            let number = period.bookyear_period;
            let locked_everywhere = !sales.is_empty()
                && sales
                    .iter()
                    .all(|j| j.closed || number <= j.closed_period.max(j.protected_period));
            Some(FiscalPeriod {
                year,
                period: u32::try_from(index + 1).ok()?,
                start: parse_date(&period.start_date)?,
                end: parse_date(&period.end_date)?,
                closed: bookyear.closed || locked_everywhere,
            })
        })
        .collect()
}

/// Where a booking lives: book year, journal, number — Koppel's id of it ("12/V1/17").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BookingKey {
    /// Book year id.
    pub bookyear: i64,
    /// Journal code.
    pub journal: String,
    /// Document number.
    pub number: i64,
}

impl BookingKey {
    /// The key of a booking read from Octopus.
    pub fn of(booking: &wire::Booking) -> Self {
        Self {
            bookyear: booking.bookyear_key.id,
            journal: booking.journal_key.trim().to_owned(),
            number: booking.document_sequence_nr,
        }
    }

    /// Read back from an entry id; `None` when it is not one of Koppel's Octopus ids.
    pub fn parse(id: &str) -> Option<Self> {
        let mut parts = id.splitn(3, '/');
        let bookyear = parts.next()?.parse().ok()?;
        let journal = parts.next()?.to_owned();
        let number = parts.next()?.parse().ok()?;
        (!journal.is_empty()).then_some(Self {
            bookyear,
            journal,
            number,
        })
    }

    /// As an entry id.
    pub fn entry_id(&self) -> LedgerEntryId {
        LedgerEntryId::new(self.to_string())
    }
}

impl fmt::Display for BookingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.bookyear, self.journal, self.number)
    }
}

/// The number people read: "V1 17 (2026)".
pub fn entry_number(key: &BookingKey, bookyear_name: &str) -> String {
    format!("{} {} ({})", key.journal, key.number, bookyear_name)
}

/// Where an entry goes: its book year and period, from the entry's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Book year id.
    pub bookyear: i64,
    /// Period number as bookings carry it.
    pub period: i64,
}

/// The book year and period holding `date`, or why there is none.
pub fn placement(bookyears: &[wire::Bookyear], date: NaiveDate) -> Result<Placement, String> {
    let day = date.format("%d/%m/%Y");
    let bookyear = bookyears
        .iter()
        .find(|b| {
            matches!((parse_date(&b.start_date), parse_date(&b.end_date)),
                (Some(start), Some(end)) if start <= date && date <= end)
        })
        .ok_or_else(|| {
            format!("there is no Octopus book year holding the document date {day}: create it in Octopus (Beheer > Boekjaren) and sync again")
        })?;
    let period = bookyear
        .periods
        .iter()
        .find(|p| {
            matches!((parse_date(&p.start_date), parse_date(&p.end_date)),
                (Some(start), Some(end)) if start <= date && date <= end)
        })
        .ok_or_else(|| {
            format!(
                "book year {} of Octopus has no period holding the document date {day}: check its periods in Octopus",
                bookyear.bookyear_description
            )
        })?;
    Ok(Placement {
        bookyear: bookyear.bookyear_key.id,
        period: period.bookyear_period,
    })
}

/// Octopus's payment method for direct debit ("domiciliëring").
pub const PAYMENT_METHOD_DIRECT_DEBIT: i64 = 4;

/// The buy/sell booking of `entry` as number `number` in `placement`, for relation
/// `relation`: amounts including VAT in the header, net + VAT per line; a credit note has a
/// negative total and positive lines (Octopus's rule). Koppel's reference goes into
/// `orderReference` (how the booking is found again), the description into `comment`, the
/// structured payment reference into `reference`.
pub fn booking(
    entry: &LedgerEntry,
    placement: &Placement,
    number: i64,
    relation: i64,
) -> Result<wire::Booking, String> {
    let mut lines = Vec::with_capacity(entry.lines.len());
    for line in &entry.lines {
        let account = line
            .gl_account
            .as_deref()
            .map(str::trim)
            .ok_or("a line has no revenue account")?;
        let account_key: i64 = account
            .parse()
            .map_err(|_| format!("account \"{account}\" is not an Octopus account number"))?;
        let vat_code = line
            .vat_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or("a line has no VAT code")?;
        lines.push(wire::BookingLine {
            account_key,
            base_amount: line.amount_excl,
            vat_code_key: vat_code.to_owned(),
            vat_amount: line.vat_amount,
            comment: line.description.clone(),
        });
    }
    // Octopus wants positive lines; a line that nets negative (a discount grouped on its own
    // account) is only possible on an invoice whose other lines carry it.
    if lines
        .iter()
        .any(|l| l.base_amount.is_sign_negative() || l.vat_amount.is_sign_negative())
    {
        return Err(
            "a booking line is negative (a discount on its own account): Octopus takes only positive lines; book the discount on the same revenue account as the line it lowers".to_owned(),
        );
    }
    let total: Decimal = lines.iter().map(|l| l.base_amount + l.vat_amount).sum();
    let amount = match entry.kind {
        DocumentKind::Invoice => total,
        DocumentKind::CreditNote => -total,
    };
    Ok(wire::Booking {
        bookyear_key: wire::Key {
            id: placement.bookyear,
        },
        journal_key: entry.journal.clone().unwrap_or_default(),
        document_sequence_nr: number,
        relation_identification_service_data: wire::RelationIdentification {
            relation_key: wire::Key { id: relation },
            external_relation_id: 0,
        },
        bookyear_periode_nr: placement.period,
        document_date: format_date(entry.date),
        expiry_date: entry.due_date.map(format_date),
        comment: entry.description.clone(),
        order_reference: entry.reference.clone(),
        reference: entry.payment_reference.clone().unwrap_or_default(),
        amount,
        currency_code: entry.currency.clone(),
        payment_method: if entry.direct_debit {
            PAYMENT_METHOD_DIRECT_DEBIT
        } else {
            0
        },
        booking_lines: lines,
    })
}

/// A VAT number reduced to what compares: letters and digits, upper case.
pub fn normalised_vat(raw: &str) -> Option<String> {
    match parse_vat(raw) {
        Ok(parsed) => Some(parsed.0),
        Err(_) => vat_match_key(raw),
    }
}

/// The integer Koppel puts in a new relation's `externalRelationId` for a Teamleader
/// customer: derived from the Teamleader id (FNV-1a, folded to a positive `i32`), so a
/// creation whose answer was lost is found again by it; `probe` steps past ids already
/// taken in the dossier.
pub fn external_relation_id(customer: &CustomerRef, probe: i64) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in customer.id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let base = i64::try_from((hash ^ (hash >> 32)) & 0x3fff_ffff).unwrap_or(1);
    (base + probe) % 0x3fff_ffff + 1
}

/// Tries of [`external_relation_id`] before giving up on a free one.
pub const EXTERNAL_ID_PROBES: i64 = 16;

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The relation to create for a Teamleader customer: a customer with its address, VAT
/// number and status, and Koppel's `external` id.
pub fn new_relation(customer: &Customer, external: i64) -> wire::Relation {
    let address = customer.addresses.first();
    let field = |f: fn(&Address) -> &Option<String>| address.and_then(|a| non_empty(f(a)));
    let vat = customer.vat_number.as_ref().map(|v| v.0.clone());
    let country = field(|a| &a.country).map(|c| c.to_ascii_uppercase());
    let vat_type = match (&customer.vat_number, country.as_deref()) {
        (Some(v), _) if v.is_belgian() => 1,
        (Some(v), _) if !v.country().is_empty() => 4,
        (None, Some("BE") | None) => 7,
        (None, Some(_)) => 8,
        (Some(_), _) => 0,
    };
    wire::Relation {
        relation_identification_service_data: wire::RelationIdentification {
            relation_key: wire::Key { id: 0 },
            external_relation_id: external,
        },
        name: customer.name.trim().to_owned(),
        client: true,
        supplier: false,
        active: true,
        street_and_nr: field(|a| &a.line_1),
        postal_code: field(|a| &a.postal_code),
        city: field(|a| &a.city),
        country,
        currency_code: Some("EUR".to_owned()),
        vat_nr: vat,
        vat_type,
        email: customer.emails.first().cloned(),
        first_name: None,
        telephone: None,
    }
}

/// A relation read from Octopus (company import): its key as the ledger customer id and as
/// the customer number users see ("Klantennummer boekhoudpakket"); a private person when its
/// VAT type says so (7, 8, 9), its first name apart from `name`.
pub fn customer_from_relation(relation: &wire::Relation) -> LedgerCustomer {
    let id = relation
        .relation_identification_service_data
        .relation_key
        .id;
    let address = Address {
        line_1: non_empty(&relation.street_and_nr),
        postal_code: non_empty(&relation.postal_code),
        city: non_empty(&relation.city),
        country: non_empty(&relation.country).map(|c| c.to_ascii_uppercase()),
    };
    let customer = Customer {
        reference: CustomerRef::company(String::new()),
        name: relation.name.trim().to_owned(),
        vat_number: relation
            .vat_nr
            .as_deref()
            .and_then(normalised_vat)
            .map(VatNumber),
        enterprise_number: None,
        addresses: if address == Address::default() {
            Vec::new()
        } else {
            vec![address]
        },
        emails: non_empty(&relation.email).into_iter().collect(),
        external_id: Some(id.to_string()),
        language: None,
    };
    let person = relation.is_private().then(|| PersonName {
        first_name: non_empty(&relation.first_name),
        last_name: relation.name.trim().to_owned(),
    });
    LedgerCustomer {
        id: LedgerCustomerId::new(id.to_string()),
        customer: Customer {
            name: person
                .as_ref()
                .map(PersonName::full)
                .unwrap_or(customer.name.clone()),
            ..customer
        },
        phone: non_empty(&relation.telephone),
        registration_number: None,
        person,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::{CustomerLink, EntryLine};
    use rust_decimal_macros::dec;

    fn entry(kind: DocumentKind) -> LedgerEntry {
        LedgerEntry {
            kind,
            journal: Some("V1".into()),
            customer: CustomerLink::Ledger {
                id: LedgerCustomerId::new("17"),
            },
            reference: "2026 / 17".into(),
            date: NaiveDate::from_ymd_opt(2026, 7, 7).unwrap(),
            due_date: NaiveDate::from_ymd_opt(2026, 8, 6),
            description: "Invoice 2026 / 17".into(),
            payment_reference: Some("+++145/2000/00135+++".into()),
            direct_debit: true,
            currency: "EUR".into(),
            lines: vec![
                EntryLine {
                    gl_account: Some("700000".into()),
                    vat_code: Some("21".into()),
                    amount_excl: dec!(1500.00),
                    vat_amount: dec!(315.00),
                    description: "Advies".into(),
                },
                EntryLine {
                    gl_account: Some("700100".into()),
                    vat_code: Some("6".into()),
                    amount_excl: dec!(100.00),
                    vat_amount: dec!(6.00),
                    description: "Boeken".into(),
                },
            ],
            total_incl: dec!(1921.00),
            retry: false,
        }
    }

    fn july() -> Placement {
        Placement {
            bookyear: 3,
            period: 202607,
        }
    }

    #[test]
    fn an_invoice_books_a_positive_total_and_a_credit_note_a_negative_one_with_positive_lines() {
        let invoice = booking(&entry(DocumentKind::Invoice), &july(), 18, 17).unwrap();
        assert_eq!(invoice.amount, dec!(1921.00));
        assert_eq!(invoice.document_sequence_nr, 18);
        assert_eq!(invoice.bookyear_periode_nr, 202607);
        assert_eq!(invoice.order_reference, "2026 / 17");
        assert_eq!(invoice.reference, "+++145/2000/00135+++");
        assert_eq!(invoice.payment_method, PAYMENT_METHOD_DIRECT_DEBIT);
        assert_eq!(invoice.expiry_date.as_deref(), Some("2026-08-06"));
        assert_eq!(
            invoice.relation_identification_service_data.relation_key.id,
            17
        );
        let credit = booking(&entry(DocumentKind::CreditNote), &july(), 4, 17).unwrap();
        assert_eq!(credit.amount, dec!(-1921.00));
        assert!(
            credit
                .booking_lines
                .iter()
                .all(|l| l.base_amount > Decimal::ZERO && l.vat_amount > Decimal::ZERO)
        );
    }

    #[test]
    fn a_line_without_an_octopus_account_or_with_a_negative_amount_is_refused_before_any_call() {
        let mut bad = entry(DocumentKind::Invoice);
        bad.lines[0].gl_account = Some("70A".into());
        assert!(booking(&bad, &july(), 1, 17).unwrap_err().contains("70A"));
        let mut negative = entry(DocumentKind::Invoice);
        negative.lines[1].amount_excl = dec!(-10);
        assert!(
            booking(&negative, &july(), 1, 17)
                .unwrap_err()
                .contains("positive")
        );
    }

    #[test]
    fn booking_keys_round_trip_as_entry_ids() {
        let key = BookingKey {
            bookyear: 12,
            journal: "V1".into(),
            number: 17,
        };
        assert_eq!(key.entry_id().as_str(), "12/V1/17");
        assert_eq!(BookingKey::parse("12/V1/17"), Some(key));
        assert_eq!(BookingKey::parse("abc"), None);
        assert_eq!(BookingKey::parse("12//17"), None);
    }

    #[test]
    fn external_ids_are_stable_positive_and_step_with_the_probe() {
        let customer = CustomerRef::company("7a6b1c2d-0000-4000-8000-000000000001");
        let first = external_relation_id(&customer, 0);
        assert_eq!(first, external_relation_id(&customer, 0));
        assert!(first > 0 && first <= i64::from(i32::MAX));
        assert_ne!(first, external_relation_id(&customer, 1));
        let other = CustomerRef::company("7a6b1c2d-0000-4000-8000-000000000002");
        assert_ne!(first, external_relation_id(&other, 0));
    }

    fn bookyear() -> wire::Bookyear {
        let period = |n: i64, start: &str, end: &str| wire::BookyearPeriod {
            bookyear_period: n,
            start_date: start.into(),
            end_date: end.into(),
        };
        wire::Bookyear {
            bookyear_key: wire::Key { id: 3 },
            bookyear_description: "2026".into(),
            start_date: "2026-01-01".into(),
            end_date: "2026-12-31T00:00:00".into(),
            closed: false,
            periods: vec![
                period(202601, "2026-01-01", "2026-01-31"),
                period(202602, "2026-02-01", "2026-02-28"),
            ],
        }
    }

    #[test]
    fn placement_finds_book_year_and_period_or_says_what_to_create() {
        let years = [bookyear()];
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(
            placement(&years, day(2, 14)),
            Ok(Placement {
                bookyear: 3,
                period: 202602
            })
        );
        assert!(
            placement(&years, day(3, 1))
                .unwrap_err()
                .contains("no period")
        );
        let none = placement(&years, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()).unwrap_err();
        assert!(none.contains("create it in Octopus"), "{none}");
    }

    #[test]
    fn periods_are_closed_when_every_sales_journal_is_closed_up_to_them() {
        let journal = |key: &str, kind, protected| wire::Journal {
            journal_key: key.into(),
            name: key.into(),
            closed: false,
            closed_period: 0,
            protected_period: protected,
            insertion_type: kind,
            last_booked_document_nr: 0,
        };
        let journals = [
            journal("V1", InsertionType::SALES_BOOKINGS, 202601),
            journal("V2", InsertionType::SALES_BOOKINGS, 202601),
            journal("A1", InsertionType::PURCHASE_BOOKINGS, 0),
        ];
        let periods = periods(&bookyear(), &journals);
        assert_eq!(periods.len(), 2);
        assert!(periods[0].closed);
        assert!(!periods[1].closed);
        assert_eq!(periods[1].year, 2026);
        assert_eq!(
            periods[1].end,
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
    }

    #[test]
    fn only_sales_bookings_journals_are_sales_journals_and_others_name_their_type() {
        let raw = |kind| wire::Journal {
            journal_key: "F1".into(),
            name: "Facturen".into(),
            closed: false,
            closed_period: 0,
            protected_period: 0,
            insertion_type: kind,
            last_booked_document_nr: 0,
        };
        assert_eq!(
            journal(&raw(InsertionType::SALES_BOOKINGS)).kind,
            JournalKind::Sales
        );
        let invoices = journal(&raw(InsertionType::INVOICES));
        assert_eq!(invoices.kind, JournalKind::Other);
        assert!(invoices.description.contains("Invoices"), "{invoices:?}");
    }

    #[test]
    fn a_relation_of_a_private_vat_type_is_a_person_with_its_first_name_apart() {
        let relation = |vat_type: i64, first_name: Option<&str>| {
            let mut relation = new_relation(
                &Customer {
                    reference: CustomerRef::company("tl"),
                    name: "Peeters".into(),
                    vat_number: None,
                    enterprise_number: None,
                    addresses: Vec::new(),
                    emails: vec!["jan@peeters.be".into()],
                    external_id: None,
                    language: None,
                },
                0,
            );
            relation
                .relation_identification_service_data
                .relation_key
                .id = 17;
            relation.vat_type = vat_type;
            relation.first_name = first_name.map(Into::into);
            relation.telephone = Some(" 0475 12 34 56 ".into());
            customer_from_relation(&relation)
        };
        let jan = relation(7, Some("Jan"));
        assert_eq!(
            jan.person,
            Some(PersonName {
                first_name: Some("Jan".into()),
                last_name: "Peeters".into()
            })
        );
        assert_eq!(jan.customer.name, "Jan Peeters");
        assert_eq!(jan.customer.external_id.as_deref(), Some("17"));
        assert_eq!(jan.phone.as_deref(), Some("0475 12 34 56"));
        for private in [8, 9] {
            assert!(relation(private, None).person.is_some(), "{private}");
        }
        for company in [0, 1, 4, 6, 10] {
            let listed = relation(company, Some("Jan"));
            assert_eq!(listed.person, None, "{company}");
            assert_eq!(listed.customer.name, "Peeters");
        }
    }
}
