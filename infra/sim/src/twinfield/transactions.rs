//! ProcessXml `<transactions>`: each `<transaction>` is validated on its own (office, type,
//! period, date, dimensions, VAT codes, balance, duplicate invoice number), annotated in place
//! with `result`/`msgtype`/`msg`, and booked when it has no errors (and no warnings when
//! `raisewarning="true"`): a number, VAT lines and the total line's matching fields are added.

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use super::model::{Line, LineKind, Location, MatchStatus, Office, Side, Transaction, money};
use super::options::DuplicateCheck;
use super::state::SimState;
use super::xml::Node;

/// The VAT account Twinfield books VAT lines on.
pub const VAT_ACCOUNT: &str = "1530";

/// Process a `<transactions>` batch (or a single `<transaction>` root).
pub(crate) fn process(state: &mut SimState, office: &str, mut root: Node) -> Node {
    if root.local_name() == "transaction" {
        process_one(state, office, &mut root);
        return root;
    }
    let mut all_ok = true;
    for tx in root
        .children
        .iter_mut()
        .filter(|c| c.local_name() == "transaction")
    {
        all_ok &= process_one(state, office, tx);
    }
    root.set_attr("result", if all_ok { "1" } else { "0" });
    root
}

fn process_one(state: &mut SimState, office_code: &str, tx: &mut Node) -> bool {
    let duplicate = state.duplicate_check;
    let Some(office) = state.org.offices.get_mut(office_code) else {
        tx.annotate(
            "error",
            &format!("Administratie {office_code} bestaat niet."),
        );
        return false;
    };
    let Some(draft) = validate(office, office_code, tx, duplicate) else {
        state.stats.transactions_refused += 1;
        return false;
    };
    book(office, tx, draft);
    state.stats.transactions_booked += 1;
    true
}

/// A validated transaction, not yet numbered.
struct Draft {
    code: String,
    location: Location,
    currency: String,
    date: NaiveDate,
    period: String,
    year: i32,
    invoice_number: String,
    payment_reference: String,
    due_date: Option<NaiveDate>,
    description: String,
    lines: Vec<Line>,
}

/// `YYYYMMDD`.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y%m%d").ok()
}

/// `YYYY/M` or `YYYY/MM` → `YYYY/MM`.
fn normalise_period(text: &str) -> Option<(String, i32, u32)> {
    let (year, month) = text.trim().split_once('/')?;
    let year: i32 = year.parse().ok()?;
    let month: u32 = month.parse().ok()?;
    Some((format!("{year:04}/{month:02}"), year, month))
}

fn error_on(parent: &mut Node, child: &str, msg: &str) {
    parent.ensure_child(child).annotate("error", msg);
}

fn header_fields(
    office: &Office,
    header_office: &str,
    header: &mut Node,
) -> (String, Option<NaiveDate>, Option<(String, i32)>) {
    let office_text = header.child_text("office").unwrap_or_default().to_owned();
    if office_text != header_office {
        error_on(
            header,
            "office",
            &format!(
                "Administratie {office_text} komt niet overeen met de administratie in de header."
            ),
        );
    }
    let code = header.child_text("code").unwrap_or_default().to_owned();
    if !office.transaction_types.contains_key(&code) {
        error_on(header, "code", &format!("Dagboek {code} bestaat niet."));
    }
    let date_text = header.child_text("date").unwrap_or_default().to_owned();
    let date = parse_date(&date_text);
    if date.is_none() {
        error_on(header, "date", &format!("Datum {date_text} is ongeldig."));
    }
    let period = match header.child_text("period") {
        Some(text) => normalise_period(text),
        None => date.map(|d| {
            (
                format!("{:04}/{:02}", d.year(), d.month()),
                d.year(),
                d.month(),
            )
        }),
    };
    let period = match period {
        None => {
            let shown = header.child_text("period").unwrap_or_default().to_owned();
            error_on(
                header,
                "period",
                &format!("De boeking kan niet gemaakt worden omdat periode {shown} niet bestaat"),
            );
            None
        }
        Some((code, year, month)) => match office.periods.get(&code) {
            None => {
                error_on(
                    header,
                    "period",
                    &format!(
                        "De boeking kan niet gemaakt worden omdat periode {code} niet bestaat"
                    ),
                );
                None
            }
            Some(p) if !p.open => {
                error_on(header, "period", &format!("Periode {code} is afgesloten."));
                None
            }
            Some(_) => {
                if let Some(d) = date
                    && (d.year(), d.month()) != (year, month)
                {
                    header.ensure_child("date").annotate(
                        "warning",
                        &format!(
                            "Datum {} valt buiten de opgegeven periode ({code}).",
                            d.format("%d-%m-%Y")
                        ),
                    );
                }
                if header.child("period").is_none() {
                    header.set_child_text("period", code.clone());
                }
                Some((code, year))
            }
        },
    };
    (code, date, period)
}

fn vat_of(office: &Office, code: &str, value: Decimal) -> Option<Decimal> {
    let vat = office.vat_codes.get(code)?;
    Some(
        (value * vat.percentage / Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
    )
}

fn read_line(office: &Office, node: &mut Node, index: usize) -> Option<Line> {
    let kind = match node.attr("type").unwrap_or("detail") {
        "total" => LineKind::Total,
        "detail" => LineKind::Detail,
        other => {
            let msg = format!("Regeltype {other} is ongeldig.");
            node.annotate("error", &msg);
            return None;
        }
    };
    let id = node
        .attr("id")
        .and_then(|i| i.parse::<u32>().ok())
        .unwrap_or_else(|| u32::try_from(index + 1).unwrap_or(u32::MAX));
    let dim1 = node.child_text("dim1").unwrap_or_default().to_owned();
    if !office.accounts.contains_key(&dim1) {
        error_on(node, "dim1", &format!("Dimensie {dim1} bestaat niet."));
    }
    let dim2 = node.child_text("dim2").map(str::to_owned);
    if kind == LineKind::Total {
        let code = dim2.clone().unwrap_or_default();
        if !office.customers.contains_key(&code) {
            error_on(node, "dim2", &format!("Debiteur {code} bestaat niet."));
        }
    }
    let side = match node.child_text("debitcredit") {
        Some("debit") => Some(Side::Debit),
        Some("credit") => Some(Side::Credit),
        other => {
            let shown = other.unwrap_or_default().to_owned();
            error_on(
                node,
                "debitcredit",
                &format!("Debet/credit {shown} is ongeldig; gebruik debit of credit."),
            );
            None
        }
    };
    let value_text = node.child_text("value").unwrap_or_default().to_owned();
    let value = value_text
        .parse::<Decimal>()
        .ok()
        .filter(|v| !v.is_sign_negative());
    if value.is_none() {
        error_on(node, "value", &format!("Bedrag {value_text} is ongeldig."));
    }
    let vat_code = node.child_text("vatcode").map(str::to_owned);
    let mut vat_value = None;
    if let Some(code) = &vat_code {
        if !office.vat_codes.contains_key(code) {
            error_on(node, "vatcode", &format!("Btw-code {code} bestaat niet."));
        } else if kind == LineKind::Detail {
            vat_value = match node.child_text("vatvalue") {
                Some(text) => {
                    let parsed = text.parse::<Decimal>().ok();
                    if parsed.is_none() {
                        let msg = format!("Btw-bedrag {text} is ongeldig.");
                        error_on(node, "vatvalue", &msg);
                    }
                    parsed
                }
                None => {
                    let computed = value.and_then(|v| vat_of(office, code, v));
                    if let Some(computed) = computed {
                        node.set_child_text("vatvalue", money(computed));
                    }
                    computed
                }
            };
        }
    }
    Some(Line {
        id,
        kind,
        dim1,
        dim2,
        side: side?,
        value: value?,
        vat_code,
        vat_value,
        vat_turnover: None,
        description: node
            .child_text("description")
            .unwrap_or_default()
            .to_owned(),
    })
}

fn validate(
    office: &Office,
    header_office: &str,
    tx: &mut Node,
    duplicate: DuplicateCheck,
) -> Option<Draft> {
    let location = match tx.attr("destiny").unwrap_or("temporary") {
        "final" => Location::Final,
        "temporary" => Location::Temporary,
        other => {
            let msg = format!("Bestemming {other} is ongeldig.");
            tx.annotate("error", &msg);
            Location::Temporary
        }
    };
    let raise = tx.attr("raisewarning") == Some("true");
    let Some(header) = tx.child_mut("header") else {
        tx.annotate("error", "De boeking heeft geen header.");
        return None;
    };
    let (code, date, period) = header_fields(office, header_office, header);
    let currency = header.child_text("currency").unwrap_or("EUR").to_owned();
    if currency != "EUR" {
        error_on(
            header,
            "currency",
            &format!("Valuta {currency} wordt niet ondersteund."),
        );
    }
    let due_date = match header.child_text("duedate") {
        None => None,
        Some(text) => {
            let parsed = parse_date(text);
            if parsed.is_none() {
                let msg = format!("Vervaldatum {text} is ongeldig.");
                error_on(header, "duedate", &msg);
            }
            parsed
        }
    };
    let text = |name: &str| header.child_text(name).unwrap_or_default().to_owned();
    let (invoice_number, payment_reference, description) = (
        text("invoicenumber"),
        text("paymentreference"),
        text("description"),
    );

    let mut lines = Vec::new();
    let mut complete = true;
    match tx.child_mut("lines") {
        Some(node) if node.children.iter().any(|c| c.local_name() == "line") => {
            for (index, line) in node
                .children
                .iter_mut()
                .filter(|c| c.local_name() == "line")
                .enumerate()
            {
                match read_line(office, line, index) {
                    Some(line) => lines.push(line),
                    None => complete = false,
                }
            }
        }
        _ => {
            tx.annotate("error", "De boeking heeft geen regels.");
            return None;
        }
    }
    let totals = lines.iter().filter(|l| l.kind == LineKind::Total).count();
    if complete && totals != 1 {
        tx.annotate("error", "De boeking moet precies één totaalregel hebben.");
    }
    if tx.has_message("error") || !complete {
        tx.set_attr("result", "0");
        return None;
    }
    let (debit, credit) = lines
        .iter()
        .fold((Decimal::ZERO, Decimal::ZERO), |(d, c), l| {
            let amount = l.value + l.vat_value.unwrap_or(Decimal::ZERO);
            match l.side {
                Side::Debit => (d + amount, c),
                Side::Credit => (d, c + amount),
            }
        });
    if debit != credit {
        let (missing, side) = if debit < credit {
            (credit - debit, Side::Debit)
        } else {
            (debit - credit, Side::Credit)
        };
        tx.annotate(
            "error",
            &format!(
                "De boeking is niet in balans. Er ontbreekt {} {}.",
                money(missing),
                side.dutch()
            ),
        );
        return None;
    }
    let customer = lines
        .iter()
        .find(|l| l.kind == LineKind::Total)
        .and_then(|l| l.dim2.clone());
    let taken = !invoice_number.is_empty()
        && office.transactions.iter().any(|t| {
            t.code == code
                && t.invoice_number == invoice_number
                && t.customer() == customer.as_deref()
        });
    if taken && duplicate != DuplicateCheck::Off {
        let kind = if duplicate == DuplicateCheck::Error {
            "error"
        } else {
            "warning"
        };
        if let Some(header) = tx.child_mut("header") {
            header.ensure_child("invoicenumber").annotate(
                kind,
                &format!("Factuurnummer {invoice_number} komt reeds voor."),
            );
        }
    }
    if tx.has_message("error") || (raise && tx.has_message("warning")) {
        tx.set_attr("result", "0");
        return None;
    }
    let (period, year) = period?;
    Some(Draft {
        code,
        location,
        currency,
        date: date?,
        period,
        year,
        invoice_number,
        payment_reference,
        due_date,
        description,
        lines,
    })
}

fn book(office: &mut Office, tx: &mut Node, mut draft: Draft) {
    let number = office.next_number(&draft.code, draft.year);
    // One VAT line per VAT code, on the detail lines' side.
    let mut next_id = draft.lines.iter().map(|l| l.id).max().unwrap_or(0);
    let mut vat_lines: Vec<Line> = Vec::new();
    for line in draft.lines.iter().filter(|l| l.kind == LineKind::Detail) {
        let (Some(code), Some(vat)) = (&line.vat_code, line.vat_value) else {
            continue;
        };
        match vat_lines
            .iter_mut()
            .find(|v| v.vat_code.as_ref() == Some(code) && v.side == line.side)
        {
            Some(existing) => {
                existing.value += vat;
                existing.vat_turnover =
                    Some(existing.vat_turnover.unwrap_or_default() + line.value);
            }
            None => {
                next_id += 1;
                vat_lines.push(Line {
                    id: next_id,
                    kind: LineKind::Vat,
                    dim1: VAT_ACCOUNT.to_owned(),
                    dim2: None,
                    side: line.side,
                    value: vat,
                    vat_code: Some(code.clone()),
                    vat_value: None,
                    vat_turnover: Some(line.value),
                    description: String::new(),
                });
            }
        }
    }
    let open_value = draft
        .lines
        .iter()
        .find(|l| l.kind == LineKind::Total)
        .map_or(Decimal::ZERO, |l| l.value);
    if let Some(lines) = tx.child_mut("lines") {
        for line in lines
            .children
            .iter_mut()
            .filter(|c| c.local_name() == "line" && c.attr("type") == Some("total"))
        {
            line.set_child_text("matchstatus", MatchStatus::Available.code());
            line.set_child_text("openvalue", money(open_value));
            line.set_child_text("matchlevel", "2");
        }
        for vat in &vat_lines {
            lines.children.push(
                Node::new("line")
                    .with_attr("type", "vat")
                    .with_attr("id", vat.id.to_string())
                    .with_text_child("dim1", vat.dim1.clone())
                    .with_text_child("debitcredit", vat.side.code())
                    .with_text_child("value", money(vat.value))
                    .with_text_child("vatcode", vat.vat_code.clone().unwrap_or_default())
                    .with_text_child("vatturnover", money(vat.vat_turnover.unwrap_or_default())),
            );
        }
    }
    if let Some(header) = tx.child_mut("header") {
        header.set_child_text("number", number.to_string());
        header.set_child_text("origin", "import");
    }
    tx.set_attr("result", "1");
    tx.set_attr("location", draft.location.code());
    draft.lines.extend(vat_lines);
    office.transactions.push(Transaction {
        code: draft.code,
        number,
        location: draft.location,
        currency: draft.currency,
        date: draft.date,
        period: draft.period,
        invoice_number: draft.invoice_number,
        payment_reference: draft.payment_reference,
        due_date: draft.due_date,
        description: draft.description,
        lines: draft.lines,
        open_value,
        match_status: MatchStatus::Available,
        match_date: None,
    });
}
