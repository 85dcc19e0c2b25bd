//! Browse (`<columns code="100">`): one row per total line of the header office's
//! transactions that pass every column filter (`equal` and `between`), each row with the
//! same fixed fields and a `<key>`.

use rust_decimal::Decimal;

use super::model::{Office, Transaction, money};
use super::xml::Node;

/// Browse codes answered (both with the same rows; our choice).
pub const BROWSE_CODES: [&str; 2] = ["100", "130_3"];

/// The fields of every row: (field, label, type).
pub const FIELDS: [(&str, &str, &str); 8] = [
    ("fin.trs.head.number", "Boekingsnummer", "Decimal"),
    ("fin.trs.line.invnumber", "Factuurnummer", "String"),
    ("fin.trs.line.dim2", "Debiteur", "String"),
    ("fin.trs.line.valuesigned", "Bedrag", "Value"),
    ("fin.trs.line.openvaluesigned", "Openstaand bedrag", "Value"),
    ("fin.trs.line.matchstatus", "Betaalstatus", "String"),
    ("fin.trs.line.matchdate", "Betaaldatum", "Date"),
    ("fin.trs.head.status", "Status", "String"),
];

/// The value of a field for a transaction (empty when unknown).
fn field(office: &Office, t: &Transaction, name: &str) -> String {
    match name {
        "fin.trs.head.office" => office.code.clone(),
        "fin.trs.head.code" => t.code.clone(),
        "fin.trs.head.number" => t.number.to_string(),
        "fin.trs.head.yearperiod" => t.period.clone(),
        "fin.trs.head.date" => t.date.format("%Y%m%d").to_string(),
        "fin.trs.head.status" => t.location.code().to_owned(),
        "fin.trs.line.invnumber" => t.invoice_number.clone(),
        "fin.trs.line.dim2" => t.customer().unwrap_or_default().to_owned(),
        "fin.trs.line.valuesigned" => money(t.value_signed()),
        "fin.trs.line.openvaluesigned" => money(t.open_value_signed()),
        "fin.trs.line.matchstatus" => t.match_status.code().to_owned(),
        "fin.trs.line.matchdate" => t
            .match_date
            .map(|d| d.format("%Y%m%d").to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<Decimal>(), b.parse::<Decimal>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.to_lowercase().cmp(&b.to_lowercase()),
    }
}

/// A column filter.
struct Filter {
    field: String,
    operator: String,
    from: String,
    to: String,
}

impl Filter {
    fn passes(&self, value: &str) -> bool {
        match self.operator.as_str() {
            "equal" => self.from.is_empty() || compare(value, &self.from).is_eq(),
            "between" => {
                (self.from.is_empty() || compare(value, &self.from).is_ge())
                    && (self.to.is_empty() || compare(value, &self.to).is_le())
            }
            _ => true,
        }
    }
}

/// Answer a `<columns>` request for `office`.
pub(crate) fn browse(office: &Office, request: &Node) -> Node {
    let code = request.attr("code").unwrap_or_default();
    if !BROWSE_CODES.contains(&code) {
        return Node::new("browse")
            .with_attr("result", "0")
            .with_attr("msgtype", "error")
            .with_attr("msg", format!("Browsecode {code} bestaat niet."));
    }
    let filters: Vec<Filter> = request
        .children_named("column")
        .filter_map(|c| {
            Some(Filter {
                field: c.child_text("field")?.to_owned(),
                operator: c.child_text("operator")?.to_owned(),
                from: c.child_text("from").unwrap_or_default().to_owned(),
                to: c.child_text("to").unwrap_or_default().to_owned(),
            })
        })
        .collect();
    let rows: Vec<Node> = office
        .transactions
        .iter()
        .filter(|t| t.total_line().is_some())
        .filter(|t| {
            filters
                .iter()
                .all(|f| f.passes(&field(office, t, &f.field)))
        })
        .map(|t| row(office, t))
        .collect();
    let total = rows.len();
    let mut th = Node::new("th");
    for (name, label, kind) in FIELDS {
        th.children.push(
            Node::text_node("td", name)
                .with_attr("label", label)
                .with_attr("type", kind),
        );
    }
    let mut answer = Node::new("browse")
        .with_attr("result", "1")
        .with_attr("first", if total == 0 { "0" } else { "1" })
        .with_attr("last", total.to_string())
        .with_attr("total", total.to_string())
        .with_child(th);
    answer.children.extend(rows);
    answer
}

fn row(office: &Office, t: &Transaction) -> Node {
    let mut tr = Node::new("tr");
    for (name, _, kind) in FIELDS {
        let mut td = Node::text_node("td", field(office, t, name)).with_attr("field", name);
        if kind == "Value" {
            td.set_attr("type", "Value");
        }
        if name == "fin.trs.line.matchstatus" {
            td.set_attr("name", t.match_status.dutch());
        }
        tr.children.push(td);
    }
    let line = t.total_line().map_or(1, |l| l.id);
    tr.with_child(
        Node::new("key")
            .with_text_child("office", office.code.clone())
            .with_text_child("code", t.code.clone())
            .with_text_child("number", t.number.to_string())
            .with_text_child("line", line.to_string()),
    )
}
