//! `ProcessXmlString`: dispatch on the payload's root element — `transactions`/`transaction`,
//! `dimensions`/`dimension`, `read` (types `dimensions` and `vat`), `columns` (browse).

use chrono::{DateTime, Utc};

use super::model::Office;
use super::state::SimState;
use super::xml::Node;
use super::{browse, dimensions, transactions};

/// Process one payload for the header's office; the answer document.
pub(crate) fn process(
    state: &mut SimState,
    office: &str,
    payload: Node,
    _now: DateTime<Utc>,
) -> Node {
    match payload.local_name() {
        "transactions" | "transaction" => transactions::process(state, office, payload),
        "dimensions" | "dimension" => dimensions::process(state, office, payload),
        "read" => match state.org.offices.get(office) {
            Some(o) => read(o, payload),
            None => refuse(payload, &format!("Administratie {office} bestaat niet.")),
        },
        "columns" => match state.org.offices.get(office) {
            Some(o) => browse::browse(o, &payload),
            None => refuse(payload, &format!("Administratie {office} bestaat niet.")),
        },
        other => {
            let msg = format!("Het verzoek {other} wordt niet ondersteund.");
            refuse(payload, &msg)
        }
    }
}

fn refuse(mut node: Node, msg: &str) -> Node {
    node.annotate("error", msg);
    node
}

fn read(office: &Office, mut request: Node) -> Node {
    let given = request.child_text("office").unwrap_or_default().to_owned();
    if given != office.code {
        request.ensure_child("office").annotate(
            "error",
            &format!("Administratie {given} komt niet overeen met de administratie in de header."),
        );
        request.set_attr("result", "0");
        return request;
    }
    match request.child_text("type").unwrap_or_default() {
        "dimensions" => dimensions::read(office, &request),
        "vat" => read_vat(office, &request),
        other => {
            let msg = format!("Het leestype {other} wordt niet ondersteund.");
            refuse(request, &msg)
        }
    }
}

fn read_vat(office: &Office, request: &Node) -> Node {
    let code = request.child_text("code").unwrap_or_default();
    let Some(vat) = office.vat_codes.get(code) else {
        return Node::new("vat")
            .with_attr("result", "0")
            .with_attr("msgtype", "error")
            .with_attr("msg", format!("Btw-code {code} bestaat niet."));
    };
    let percentage = Node::new("percentage")
        .with_text_child("date", "19000101")
        .with_text_child("percentage", format!("{:.9}", vat.percentage))
        .with_text_child("name", format!("{}%", vat.percentage.normalize()));
    Node::new("vat")
        .with_attr("result", "1")
        .with_text_child("code", vat.code.clone())
        .with_text_child("name", vat.name.clone())
        .with_text_child("type", vat.kind.code())
        .with_child(Node::new("percentages").with_child(percentage))
}
