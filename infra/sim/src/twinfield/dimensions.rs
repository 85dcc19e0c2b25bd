//! ProcessXml customers (dimensions of type DEB): create (code auto-assigned or checked
//! against the mask `1[0-9][0-9][0-9][0-9]`), update by code, and the answers of
//! `<read><type>dimensions</type>…` for DEB, BAS and PNL.

use super::model::{Address, Customer, Office};
use super::state::SimState;
use super::xml::Node;

/// The code mask of customers, as Twinfield words it.
pub const CUSTOMER_MASK: &str = "1[0-9][0-9][0-9][0-9]";

fn fits_mask(code: &str) -> bool {
    code.len() == 5 && code.starts_with('1') && code.bytes().all(|b| b.is_ascii_digit())
}

/// Process a `<dimensions>` batch (or a single `<dimension>` root).
pub(crate) fn process(state: &mut SimState, office: &str, mut root: Node) -> Node {
    if root.local_name() == "dimension" {
        process_one(state, office, &mut root);
        return root;
    }
    let mut all_ok = true;
    for dimension in root
        .children
        .iter_mut()
        .filter(|c| c.local_name() == "dimension")
    {
        all_ok &= process_one(state, office, dimension);
    }
    root.set_attr("result", if all_ok { "1" } else { "0" });
    root
}

fn invoice_address(node: &Node) -> Option<&Node> {
    let addresses = node.child("addresses")?;
    addresses
        .children_named("address")
        .find(|a| a.attr("type") == Some("invoice") || a.attr("default") == Some("true"))
        .or_else(|| addresses.children_named("address").next())
}

fn apply(customer: &mut Customer, node: &Node) {
    if let Some(name) = node.child_text("name") {
        customer.name = name.to_owned();
    }
    if let Some(address) = invoice_address(node) {
        let set = |target: &mut String, field: &str| {
            if let Some(child) = address.child(field) {
                *target = child.text.clone();
            }
        };
        let a = &mut customer.address;
        set(&mut a.name, "name");
        set(&mut a.country, "country");
        set(&mut a.city, "city");
        set(&mut a.postcode, "postcode");
        set(&mut a.field1, "field1");
        set(&mut a.field2, "field2");
        set(&mut a.field4, "field4");
        set(&mut a.email, "email");
    }
    if let Some(days) = node
        .child("financials")
        .and_then(|f| f.child_text("duedays"))
        .and_then(|d| d.parse().ok())
    {
        customer.due_days = days;
    }
}

fn process_one(state: &mut SimState, office_code: &str, node: &mut Node) -> bool {
    let Some(office) = state.org.offices.get_mut(office_code) else {
        node.annotate(
            "error",
            &format!("Administratie {office_code} bestaat niet."),
        );
        return false;
    };
    let given_office = node.child_text("office").unwrap_or_default().to_owned();
    if given_office != office_code {
        node.ensure_child("office").annotate(
            "error",
            &format!(
                "Administratie {given_office} komt niet overeen met de administratie in de header."
            ),
        );
    }
    let kind = node.child_text("type").unwrap_or_default().to_owned();
    if kind != "DEB" {
        node.ensure_child("type").annotate(
            "error",
            &format!("Dimensietype {kind} wordt niet ondersteund."),
        );
    }
    let code = node.child_text("code").map(str::to_owned);
    if let Some(code) = &code
        && !fits_mask(code)
    {
        node.ensure_child("code").annotate(
            "error",
            &format!("De code voldoet niet aan het formaat {CUSTOMER_MASK}."),
        );
    }
    let existing = code
        .as_ref()
        .is_some_and(|c| office.customers.contains_key(c));
    if !existing && node.child_text("name").is_none() {
        node.annotate("error", "Naam is verplicht.");
    }
    if node.has_message("error") {
        node.set_attr("result", "0");
        return false;
    }
    let code = code.unwrap_or_else(|| office.next_customer_code());
    let customer = office
        .customers
        .entry(code.clone())
        .or_insert_with(|| Customer {
            code: code.clone(),
            uid: uuid::Uuid::new_v4().to_string(),
            name: String::new(),
            address: Address::default(),
            due_days: 30,
        });
    apply(customer, node);
    let uid = customer.uid.clone();
    let in_use = office.customer_in_use(&code);
    node.set_attr("status", "active");
    node.set_attr("result", "1");
    node.set_child_text("code", code);
    node.set_child_text("uid", uid);
    node.set_child_text("inuse", in_use.to_string());
    if !existing {
        state.stats.dimensions_created += 1;
    }
    true
}

/// The full answer for one customer.
pub(crate) fn customer_node(office: &Office, customer: &Customer) -> Node {
    let a = &customer.address;
    let address = Node::new("address")
        .with_attr("id", "1")
        .with_attr("type", "invoice")
        .with_attr("default", "true")
        .with_text_child("name", a.name.clone())
        .with_text_child("country", a.country.clone())
        .with_text_child("city", a.city.clone())
        .with_text_child("postcode", a.postcode.clone())
        .with_text_child("field1", a.field1.clone())
        .with_text_child("field2", a.field2.clone())
        .with_text_child("field4", a.field4.clone())
        .with_text_child("email", a.email.clone());
    Node::new("dimension")
        .with_attr("status", "active")
        .with_attr("result", "1")
        .with_text_child("office", office.code.clone())
        .with_text_child("type", "DEB")
        .with_text_child("code", customer.code.clone())
        .with_text_child("uid", customer.uid.clone())
        .with_text_child("name", customer.name.clone())
        .with_text_child("inuse", office.customer_in_use(&customer.code).to_string())
        .with_text_child("behaviour", "normal")
        .with_child(
            Node::new("financials")
                .with_text_child("duedays", customer.due_days.to_string())
                .with_text_child("level", "2")
                .with_text_child("matchtype", "customersupplier")
                .with_child(
                    Node::text_node("substitutewith", "1300")
                        .with_attr("name", "Debiteuren")
                        .with_attr("dimensiontype", "BAS"),
                ),
        )
        .with_child(Node::new("addresses").with_child(address))
}

/// `<read><type>dimensions</type><office/><dimtype/><code/></read>`.
pub(crate) fn read(office: &Office, request: &Node) -> Node {
    let dimtype = request.child_text("dimtype").unwrap_or_default();
    let code = request.child_text("code").unwrap_or_default();
    let missing = || {
        Node::new("dimension")
            .with_attr("result", "0")
            .with_attr("msgtype", "error")
            .with_attr("msg", format!("Dimensie {code} bestaat niet."))
    };
    match dimtype {
        "DEB" => office
            .customers
            .get(code)
            .map_or_else(missing, |c| customer_node(office, c)),
        "BAS" | "PNL" => office
            .accounts
            .get(code)
            .filter(|a| a.kind.code() == dimtype)
            .map_or_else(missing, |a| {
                Node::new("dimension")
                    .with_attr("status", "active")
                    .with_attr("result", "1")
                    .with_text_child("office", office.code.clone())
                    .with_text_child("type", dimtype)
                    .with_text_child("code", a.code.clone())
                    .with_text_child("name", a.name.clone())
            }),
        other => Node::new("dimension")
            .with_attr("result", "0")
            .with_attr("msgtype", "error")
            .with_attr("msg", format!("Dimensietype {other} bestaat niet.")),
    }
}
