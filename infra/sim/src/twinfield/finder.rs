//! Finder `Search`: types `OFF`, `DIM`, `VAT`, `PRD`, `TRS` and `IVT` with a `*`/`?` pattern
//! on code and/or name (`field` 0, 1, 2), options, and paging by `firstRow`/`maxRows` (at most
//! 100) with `TotalRows`; errors as `MessageOfErrorCodes` and no `data`.

use super::model::{Category, LineKind, MatchStatus, Office, money, month_name};
use super::soap::TWINFIELD_NS;
use super::state::SimState;
use super::xml::Node;

/// The largest page.
pub const MAX_ROWS: usize = 100;

/// A finder refusal: (code, text).
type Refusal = (&'static str, String);

/// One result table: column names and rows; `searchable` = how many leading columns are
/// (code, name) for the pattern.
struct Table {
    columns: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

fn glob(pattern: &[char], text: &[char]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some('*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some('?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) => p == t && glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// Does `text` match the Twinfield pattern (`*` any run, `?` one character, case-insensitive)?
pub fn matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    glob(&pattern, &text)
}

fn options(search: &Node) -> Vec<(String, String)> {
    search
        .child("options")
        .map(|o| {
            o.children_named("ArrayOfString")
                .filter_map(|pair| {
                    let mut strings = pair.children_named("string");
                    let key = strings.next()?.text.clone();
                    let value = strings.next().map(|s| s.text.clone()).unwrap_or_default();
                    Some((key, value))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn not_allowed(key: &str, value: &str) -> Refusal {
    (
        "OptionNotAllowed",
        format!("Optie {key} met waarde {value} is niet toegestaan."),
    )
}

fn check_options(given: &[(String, String)], allowed: &[(&str, &[&str])]) -> Result<(), Refusal> {
    for (key, value) in given {
        let Some((_, values)) = allowed.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) else {
            return Err(not_allowed(key, value));
        };
        if !values.is_empty() && !values.iter().any(|v| v.eq_ignore_ascii_case(value)) {
            return Err(not_allowed(key, value));
        }
    }
    Ok(())
}

fn option<'a>(given: &'a [(String, String)], key: &str) -> Option<&'a str> {
    given
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

fn table(
    state: &SimState,
    office: &Office,
    kind: &str,
    given: &[(String, String)],
) -> Result<Table, Refusal> {
    match kind {
        "OFF" => {
            check_options(given, &[])?;
            Ok(Table {
                columns: vec!["Code", "Naam"],
                rows: state
                    .org
                    .offices
                    .values()
                    .map(|o| vec![o.code.clone(), o.name.clone()])
                    .collect(),
            })
        }
        "DIM" => {
            check_options(given, &[("dimtype", &["BAS", "PNL", "DEB"])])?;
            let dimtype = option(given, "dimtype")
                .ok_or(("OptionMandatory", "Optie dimtype is verplicht.".to_owned()))?
                .to_uppercase();
            if dimtype == "DEB" {
                return Ok(Table {
                    columns: vec!["Code", "Naam", "Btw-nummer"],
                    rows: office
                        .customers
                        .values()
                        .map(|c| vec![c.code.clone(), c.name.clone(), c.address.field4.clone()])
                        .collect(),
                });
            }
            Ok(Table {
                columns: vec!["Code", "Naam"],
                rows: office
                    .accounts
                    .values()
                    .filter(|a| a.kind.code() == dimtype)
                    .map(|a| vec![a.code.clone(), a.name.clone()])
                    .collect(),
            })
        }
        "VAT" => {
            check_options(given, &[("vattype", &["sales", "purchase"])])?;
            let wanted = option(given, "vattype").map(str::to_lowercase);
            Ok(Table {
                columns: vec!["Code", "Naam"],
                rows: office
                    .vat_codes
                    .values()
                    .filter(|v| wanted.as_deref().is_none_or(|w| v.kind.code() == w))
                    .map(|v| vec![v.code.clone(), v.name.clone()])
                    .collect(),
            })
        }
        "PRD" => {
            check_options(given, &[("year", &[])])?;
            let year = match option(given, "year") {
                None => None,
                Some(y) => Some(
                    y.trim()
                        .parse::<i32>()
                        .map_err(|_| not_allowed("year", y))?,
                ),
            };
            Ok(Table {
                columns: vec!["Code", "Naam", "Status"],
                rows: office
                    .periods
                    .values()
                    .filter(|p| year.is_none_or(|y| p.year == y))
                    .map(|p| {
                        vec![
                            p.code(),
                            format!("{} {}", month_name(p.month), p.year),
                            if p.open { "open" } else { "closed" }.to_owned(),
                        ]
                    })
                    .collect(),
            })
        }
        "TRS" => {
            check_options(given, &[("category", &["sales", "purchase"])])?;
            let wanted = option(given, "category").map(str::to_lowercase);
            Ok(Table {
                columns: vec!["Code", "Naam"],
                rows: office
                    .transaction_types
                    .values()
                    .filter(|t| wanted.as_deref().is_none_or(|w| t.category.code() == w))
                    .map(|t| vec![t.code.clone(), t.name.clone()])
                    .collect(),
            })
        }
        "IVT" => {
            check_options(given, &[("dim2", &[])])?;
            let customer = option(given, "dim2");
            let rows = office
                .transactions
                .iter()
                .filter(|t| {
                    t.match_status == MatchStatus::Available
                        && office
                            .transaction_types
                            .get(&t.code)
                            .is_some_and(|tt| tt.category == Category::Sales)
                        && t.lines.iter().any(|l| l.kind == LineKind::Total)
                        && customer.is_none_or(|c| t.customer() == Some(c))
                })
                .map(|t| {
                    let code = t.customer().unwrap_or_default().to_owned();
                    let name = office
                        .customers
                        .get(&code)
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    vec![
                        t.invoice_number.clone(),
                        code,
                        name,
                        money(t.value_signed()),
                        money(t.open_value_signed()),
                        t.number.to_string(),
                    ]
                })
                .collect();
            Ok(Table {
                columns: vec![
                    "Factuurnummer",
                    "Debiteur",
                    "Naam",
                    "Bedrag",
                    "Openstaand",
                    "Boekingsnummer",
                ],
                rows,
            })
        }
        other => Err((
            "InvalidFinderType",
            format!("Finder-type {other} bestaat niet."),
        )),
    }
}

fn strings(name: &str, values: impl IntoIterator<Item = String>) -> Node {
    let mut node = Node::new(name);
    node.children
        .extend(values.into_iter().map(|v| Node::text_node("string", v)));
    node
}

fn keep(kind: &str, field: &str, pattern: &str, row: &[String]) -> bool {
    if pattern.is_empty() || pattern == "*" {
        return true;
    }
    let hit = |i: usize| row.get(i).is_some_and(|v| matches(pattern, v));
    match (kind, field) {
        // IVT: invoice number, customer code, customer name.
        ("IVT", "1") => hit(1),
        ("IVT", "2") => hit(2),
        ("IVT", _) => hit(0) || hit(1) || hit(2),
        (_, "1") => hit(0),
        (_, "2") => hit(1),
        _ => hit(0) || hit(1),
    }
}

/// Answer a `<Search>` body element for the header's office.
pub(crate) fn search(state: &mut SimState, office_code: &str, search: &Node) -> Node {
    let kind = search.child_text("type").unwrap_or_default().to_owned();
    state.stats.count(&format!("finder:{kind}"));
    let response = Node::new("SearchResponse").with_attr("xmlns", TWINFIELD_NS);
    // The office list needs no office of its own (see the module doc): any will do.
    let office = match state.org.offices.get(office_code) {
        None if kind == "OFF" => state.org.offices.values().next(),
        found => found,
    };
    let result = office
        .ok_or_else(|| {
            (
                "NoAccessToOffice",
                format!("Geen toegang tot administratie {office_code}."),
            )
        })
        .and_then(|office| table(state, office, &kind, &options(search)));
    let table = match result {
        Ok(table) => table,
        Err((code, text)) => {
            let message = Node::new("MessageOfErrorCodes")
                .with_text_child("Type", "Error")
                .with_text_child("Text", text)
                .with_text_child("Code", code);
            return response.with_child(Node::new("SearchResult").with_child(message));
        }
    };
    let pattern = search.child_text("pattern").unwrap_or("*");
    let field = search.child_text("field").unwrap_or("0");
    let rows: Vec<Vec<String>> = table
        .rows
        .into_iter()
        .filter(|row| keep(&kind, field, pattern, row))
        .collect();
    let first = search
        .child_text("firstRow")
        .and_then(|f| f.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let max = search
        .child_text("maxRows")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(MAX_ROWS)
        .clamp(1, MAX_ROWS);
    let mut items = Node::new("Items");
    items.children.extend(
        rows.iter()
            .skip(first - 1)
            .take(max)
            .map(|row| strings("ArrayOfString", row.iter().cloned())),
    );
    let data = Node::new("data")
        .with_text_child("TotalRows", rows.len().to_string())
        .with_child(strings(
            "Columns",
            table.columns.iter().map(|c| (*c).to_owned()),
        ))
        .with_child(items);
    response
        .with_child(Node::new("SearchResult"))
        .with_child(data)
}
