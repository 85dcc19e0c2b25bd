//! The demo's Twinfield part: the account's fourth department linked to the Twinfield office
//! BE0001 (simulated), with the same dispatcher, export and payment poll as the other
//! departments. A night and an hour:
//! 1. the nightly export: invoices and credit notes as sales transactions in VRK (a credit
//!    note mirrored: its total line credit, its invoice number "CN …"), every booked Teamleader
//!    document exactly once, drafts never; each customer a DEB dimension created before its
//!    first transaction (Twinfield refuses a transaction whose customer it does not have); the
//!    transaction numbers Twinfield returned are the ones Koppel recorded; the fair-use credits
//!    spent without a single 429, and the access-token validations that name the cluster;
//! 2. the accountant matches one transaction in full and one in part in Twinfield; the payment
//!    poll marks the Teamleader invoices paid and partly paid.
//!
//! The Exact and Octopus departments' connections run on the same night: they have nothing new
//! and must post nothing. Twinfield's call counts are printed per step.

use crate::octopus::customers_by_number;
use crate::{Checks, Link, Night, show};
use chrono::Duration as Days;
use koppel_core::{
    Clock, Connection, DepartmentId, DocumentId, ExportState, JobKind, RunReport, RunStatus,
};
use koppel_e2e::stack::Stack;
use koppel_sim::teamleader::model;
use koppel_sim::twinfield::{self, AccountKind, Category, LineKind, Side, SimStats, Transaction};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The Twinfield office the fourth department is linked to (the simulator's Belgian office:
/// its revenue accounts 700000/700100/705000 are the generated account's).
const OFFICE: &str = twinfield::OFFICE_BE;
/// The office's sales transaction type: Koppel suggests it for invoices and credit notes.
const SALES: &str = "VRK";
/// What Koppel puts before a credit note's number in the transaction's invoice number.
const CREDIT_NOTE_PREFIX: &str = "CN ";
/// The fourth department's name in the story (the generator calls it "Vestiging 4").
const DEPARTMENT_NAME: &str = "Vestiging Antwerpen";

/// The fourth department's story with Twinfield. `exact` are the Exact departments' links and
/// `octopus` the Octopus connection with its label: they run on the same night and must have
/// nothing to do.
pub async fn fourth_department(
    checks: &mut Checks,
    stack: &Stack,
    department: &DepartmentId,
    exact: &[Link],
    octopus: &(Connection, String),
) {
    let Some(office) = stack.twinfield.office(OFFICE) else {
        checks.expect(false, || {
            format!("Twinfield office {OFFICE} is not in the simulator")
        });
        return;
    };
    show::title(&format!(
        "A fourth department on Twinfield: office {OFFICE} \"{}\" (simulated)",
        office.name
    ));
    rename_department(stack, department);
    let books = crate::scenario::books(
        &stack.teamleader,
        &stack.account_id,
        department.as_str(),
        (0, 0),
    );
    crate::print_books(&books);
    let revenue: Vec<String> = office
        .accounts
        .values()
        .filter(|a| a.kind == AccountKind::Pnl && a.code.starts_with('7'))
        .map(|a| format!("{} {:?}", a.code, a.name))
        .collect();
    let vat: Vec<String> = office
        .vat_codes
        .values()
        .filter(|v| v.kind == Category::Sales)
        .map(|v| format!("{} {}%", v.code, v.percentage))
        .collect();
    println!(
        "  Twinfield office {OFFICE}: transaction type {SALES} {:?}; revenue accounts {}; sales VAT codes {}",
        office
            .transaction_types
            .get(SALES)
            .map_or("?", |t| t.name.as_str()),
        revenue.join(", "),
        vat.join(", ")
    );
    let customers_seeded = office.customers.len();
    println!(
        "  {customers_seeded} customer(s) (DEB dimensions), {} transaction(s); organisation {} on {} (Koppel learns the cluster from the access-token validation)",
        office.transactions.len(),
        stack.twinfield.organisation_id(),
        stack.twinfield.cluster_url()
    );
    let mut stats = stack.twinfield.stats();
    let connection = stack.connect_twinfield(department, OFFICE).await;
    let label = format!("{} → Twinfield {OFFICE}", books.name);
    println!(
        "  {label}  [{}]  (OpenID Connect sign-in, SOAP web services)",
        connection.id
    );
    let rates = crate::scenario::tax_rate_labels(&stack.teamleader, &stack.account_id);
    show::settings(&connection, &rates);
    let categories = crate::scenario::category_accounts(
        &stack.teamleader,
        &stack.account_id,
        department.as_str(),
    );
    let unknown: Vec<&String> = categories
        .iter()
        .map(|(_, account)| account)
        .filter(|account| !office.accounts.contains_key(*account))
        .collect();
    let categories: Vec<String> = categories
        .iter()
        .map(|(name, account)| format!("{name} → {account}"))
        .collect();
    println!(
        "    product categories' ledger accounts (Teamleader): {} — each one in the office: {}",
        categories.join(", "),
        if unknown.is_empty() { "yes" } else { "NO" }
    );
    checks.expect(unknown.is_empty(), || {
        format!("{label}: Teamleader's category accounts {unknown:?} are not in office {OFFICE}")
    });
    stats = calls(stack, &stats, "linking (sign-in, reference data)");
    let settings = &connection.settings;
    checks.expect(
        settings.invoice_journal.as_deref() == Some(SALES)
            && settings.credit_note_journal.as_deref() == Some(SALES),
        || {
            format!(
                "{label}: suggested transaction types {:?}/{:?}, expected {SALES} for both",
                settings.invoice_journal, settings.credit_note_journal
            )
        },
    );
    let mut others: Vec<(&Connection, &str)> = exact
        .iter()
        .map(|l| (&l.connection, l.label.as_str()))
        .collect();
    others.push((&octopus.0, octopus.1.as_str()));
    let mut connections = others.clone();
    connections.push((&connection, label.as_str()));

    // ------------------------------------------------------------------ 1. the export
    stack.clock.advance(Days::days(1));
    show::title("Night 6: the nightly export, now with the Twinfield department");
    let night = crate::night(stack, &connections).await;
    let report = twinfield_report(checks, &night, &others, "night 6");
    show::report_for("Twinfield", &label, &report);
    let before = stats;
    stats = calls(stack, &before, "night 6");
    holdings(stack);
    checks.expect(report.status == RunStatus::Succeeded, || {
        format!("{label}: night 6 ended {:?}", report.status)
    });
    let booked = books.invoices.len() + books.credit_notes.len();
    checks.expect(report.export_counts().exported as usize == booked, || {
        format!(
            "{label}: night 6 exported {}, expected every booked document ({booked})",
            report.export_counts().exported
        )
    });
    check_transactions(checks, stack, department, &label);
    check_customers(checks, stack, department, &label, &report, customers_seeded);
    check_numbers(checks, stack, department, &connection, &label).await;
    check_fair_use(checks, &before, &stats, &report, &label);

    // ------------------------------------------------------------------ 2. payments
    payments(checks, stack, department, &connection, &label, &stats).await;
}

/// Give the fourth department a name in the story.
fn rename_department(stack: &Stack, department: &DepartmentId) {
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            if let Some(d) = a
                .departments
                .iter_mut()
                .find(|d| d.id == department.as_str())
            {
                d.name = DEPARTMENT_NAME.to_owned();
            }
        })
        .expect("the generated account exists");
}

/// The Twinfield connection's report of a night (the last of `night.reports`), after checking
/// the drain and that the other connections (`others`, the first reports) had nothing to do.
fn twinfield_report(
    checks: &mut Checks,
    night: &Night,
    others: &[(&Connection, &str)],
    when: &str,
) -> RunReport {
    let drained = night.drained;
    checks.expect(drained.killed == 0 && drained.failed_messages == 0, || {
        format!(
            "{when}: {} invocation(s) killed, {} message(s) failed",
            drained.killed, drained.failed_messages
        )
    });
    let idle: Vec<String> = others
        .iter()
        .zip(&night.reports)
        .map(|((_, label), report)| {
            let c = report.export_counts();
            checks.expect(
                report.status == RunStatus::Succeeded && c.exported == 0,
                || {
                    format!(
                        "{label} on {when}: {:?}, {} exported — it had nothing new",
                        report.status, c.exported
                    )
                },
            );
            format!("{label} {:?}, {} exported", report.status, c.exported)
        })
        .collect();
    println!(
        "  the other departments (nothing new for them): {}",
        idle.join("; ")
    );
    night
        .reports
        .last()
        .cloned()
        .expect("the Twinfield connection's report")
}

/// Twinfield's calls since `before` (SOAP per service and what it carried, credits, 429s,
/// sign-in endpoints); returns the counters now.
fn calls(stack: &Stack, before: &SimStats, step: &str) -> SimStats {
    let now = stack.twinfield.stats();
    let delta = |key: &str| now.calls(key).saturating_sub(before.calls(key));
    let detail: Vec<String> = now
        .requests
        .keys()
        .filter(|key| key.contains(':'))
        .filter_map(|key| {
            let n = delta(key);
            (n > 0).then(|| format!("{key} {n}"))
        })
        .collect();
    println!(
        "  Twinfield calls ({step}): {} SOAP — {}; credits spent {}, answered 429 {}; access-token validations {}, token grants {}",
        delta("processxml") + delta("finder"),
        if detail.is_empty() {
            "none".to_owned()
        } else {
            detail.join(", ")
        },
        now.credits_spent.saturating_sub(before.credits_spent),
        now.rate_limited.saturating_sub(before.rate_limited),
        delta("accesstokenvalidation"),
        delta("token")
    );
    now
}

/// Whether a transaction is a credit note (by the invoice number Koppel gave it).
fn is_credit_note(t: &Transaction) -> bool {
    t.invoice_number.starts_with(CREDIT_NOTE_PREFIX)
}

/// The total line's value of a transaction (unsigned).
fn total(t: &Transaction) -> Decimal {
    t.total_line().map_or(Decimal::ZERO, |l| l.value)
}

/// What the office holds: transactions per kind with totals and numbers, customers, samples.
fn holdings(stack: &Stack) {
    let transactions = stack.twinfield.transactions(OFFICE);
    println!("  What Twinfield office {OFFICE} holds now:");
    for (what, credit_note) in [("invoices", false), ("credit notes", true)] {
        let of: Vec<&Transaction> = transactions
            .iter()
            .filter(|t| is_credit_note(t) == credit_note)
            .collect();
        let value: Decimal = of.iter().map(|t| t.value_signed()).sum();
        let vat: Decimal = of
            .iter()
            .flat_map(|t| &t.lines)
            .filter(|l| l.kind == LineKind::Vat)
            .map(|l| l.value)
            .sum();
        let codes: BTreeSet<&str> = of.iter().map(|t| t.code.as_str()).collect();
        let numbers = of.iter().map(|t| t.number);
        println!(
            "    {what:<12} {:>4} transaction(s) in {}   VAT {:>13}   total signed {:>15}   numbers {}–{}",
            of.len(),
            codes.into_iter().collect::<Vec<_>>().join(", "),
            show::eur(vat),
            show::eur(value),
            numbers.clone().min().unwrap_or(0),
            numbers.max().unwrap_or(0)
        );
    }
    let names: HashMap<String, String> = stack
        .twinfield
        .dimensions(OFFICE)
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    println!("    customers (DEB dimensions): {}", names.len());
    println!("    sample transactions:");
    let samples = [
        transactions.iter().find(|t| !is_credit_note(t)),
        transactions.iter().max_by_key(|t| total(t)),
        transactions.iter().find(|t| is_credit_note(t)),
    ];
    for t in samples.into_iter().flatten() {
        let customer = t.customer().unwrap_or("?");
        let lines: Vec<String> = t
            .lines
            .iter()
            .map(|l| {
                let kind = match l.kind {
                    LineKind::Total => "total",
                    LineKind::Detail => "detail",
                    LineKind::Vat => "vat",
                };
                format!(
                    "{kind} {} {} {}{}",
                    l.dim1,
                    l.side.code(),
                    show::eur(l.value),
                    l.vat_code
                        .as_deref()
                        .map(|c| format!(" @{c}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        println!(
            "      {} {} invoicenumber {:<14} customer {} {:<32} [{}]",
            t.code,
            t.number,
            format!("{:?}", t.invoice_number),
            customer,
            names.get(customer).map_or("?", String::as_str),
            lines.join("; ")
        );
    }
}

/// The office's sales transactions are every booked Teamleader document of the department
/// once (invoices by their number, credit notes as "CN …"), nothing else; credit notes
/// mirrored (total line credit), amounts unsigned; the totals equal Teamleader's.
fn check_transactions(checks: &mut Checks, stack: &Stack, department: &DepartmentId, label: &str) {
    let books = crate::scenario::books(
        &stack.teamleader,
        &stack.account_id,
        department.as_str(),
        (0, 0),
    );
    let transactions = stack.twinfield.transactions(OFFICE);
    let mut invoices = Vec::new();
    let mut credit_notes = Vec::new();
    for t in &transactions {
        match t.invoice_number.strip_prefix(CREDIT_NOTE_PREFIX) {
            Some(number) => credit_notes.push(number.to_owned()),
            None => invoices.push(t.invoice_number.clone()),
        }
    }
    invoices.sort();
    credit_notes.sort();
    for (held, expected, what) in [
        (
            &invoices,
            crate::sorted(books.invoices.iter().cloned()),
            "invoices",
        ),
        (
            &credit_notes,
            crate::sorted(books.credit_notes.iter().cloned()),
            "credit notes",
        ),
    ] {
        let once = held.len() == expected.len();
        println!(
            "  {what}: {} transaction(s) for Teamleader's {} booked {what}: each exactly once: {}",
            held.len(),
            expected.len(),
            if *held == expected && once {
                "yes"
            } else {
                "NO"
            }
        );
        checks.expect(*held == expected, || {
            format!(
                "{label}: {OFFICE} holds {} {what}, expected the {} booked ones exactly once each (no drafts)",
                held.len(),
                expected.len()
            )
        });
    }
    let elsewhere = transactions.iter().filter(|t| t.code != SALES).count();
    checks.expect(elsewhere == 0, || {
        format!("{label}: {elsewhere} transaction(s) outside {SALES}")
    });
    let wrong: Vec<&Transaction> = transactions
        .iter()
        .filter(|t| {
            let (total_side, detail_side) = if is_credit_note(t) {
                (Side::Credit, Side::Debit)
            } else {
                (Side::Debit, Side::Credit)
            };
            let totals = t.lines.iter().filter(|l| l.kind == LineKind::Total).count();
            totals != 1
                || t.lines.iter().any(|l| {
                    l.value < Decimal::ZERO
                        || l.side
                            != if l.kind == LineKind::Total {
                                total_side
                            } else {
                                detail_side
                            }
                })
        })
        .collect();
    let notes = transactions.iter().filter(|t| is_credit_note(t)).count();
    let wrong_notes = wrong.iter().filter(|t| is_credit_note(t)).count();
    let (invoices, wrong_invoices) = (transactions.len() - notes, wrong.len() - wrong_notes);
    println!(
        "  credit notes mirrored (total line credit, revenue and VAT lines debit, amounts unsigned): {} of {notes}; invoices the other way round: {} of {invoices}",
        notes - wrong_notes,
        invoices - wrong_invoices
    );
    checks.expect(wrong.is_empty(), || {
        format!(
            "{label}: {} transaction(s) not laid out as an invoice (total debit) or a mirrored credit note (total credit), e.g. {:?}",
            wrong.len(),
            wrong.first().map(|t| (&t.invoice_number, &t.lines))
        )
    });
    let invoiced: Decimal = transactions
        .iter()
        .filter(|t| !is_credit_note(t))
        .map(Transaction::value_signed)
        .sum();
    let credited: Decimal = transactions
        .iter()
        .filter(|t| is_credit_note(t))
        .map(Transaction::value_signed)
        .sum();
    println!(
        "  invoices {} = Teamleader's invoices {}; credit notes {} = minus Teamleader's credit notes {}",
        show::eur(invoiced),
        show::eur(books.invoiced_incl),
        show::eur(credited),
        show::eur(books.credited_incl)
    );
    checks.expect(
        invoiced == books.invoiced_incl && credited == -books.credited_incl,
        || {
            format!(
                "{label}: totals invoices {invoiced} / credit notes {credited}, Teamleader {} / -{}",
                books.invoiced_incl, books.credited_incl
            )
        },
    );
}

/// Customers first, each once: every transaction's customer is a DEB dimension that is the
/// document's Teamleader customer; each customer has one dimension, each dimension Koppel
/// created one customer, and the report counts them; Twinfield refused no transaction (it
/// refuses one whose customer does not exist yet).
fn check_customers(
    checks: &mut Checks,
    stack: &Stack,
    department: &DepartmentId,
    label: &str,
    report: &RunReport,
    seeded: usize,
) {
    let dimensions = stack.twinfield.dimensions(OFFICE);
    let names: HashMap<&str, &str> = dimensions
        .iter()
        .map(|c| (c.code.as_str(), c.name.as_str()))
        .collect();
    let customers = customers_by_number(stack, department);
    let mut wrong = Vec::new();
    let mut codes_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut customers_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in stack.twinfield.transactions(OFFICE) {
        let code = t.customer().unwrap_or_default().to_owned();
        let (kind, number) = match t.invoice_number.strip_prefix(CREDIT_NOTE_PREFIX) {
            Some(number) => ("credit note", number.to_owned()),
            None => ("invoice", t.invoice_number.clone()),
        };
        let customer = customers.get(&(kind, number.clone()));
        let held = names.get(code.as_str()).copied();
        let right = match (customer, held) {
            (Some(customer), Some(held)) => customer
                .name
                .iter()
                .all(|part| held.contains(part.as_str())),
            _ => false,
        };
        if !right {
            wrong.push(format!(
                "{kind} {number} on customer {code} {held:?}, Teamleader's customer {:?}",
                customer.map(|c| &c.name)
            ));
        }
        if let Some(customer) = customer {
            codes_of
                .entry(customer.id.clone())
                .or_default()
                .insert(code.clone());
            customers_of
                .entry(code)
                .or_default()
                .insert(customer.id.clone());
        }
    }
    let created = dimensions.len().saturating_sub(seeded);
    let counts = report.export_counts();
    let books = crate::scenario::books(
        &stack.teamleader,
        &stack.account_id,
        department.as_str(),
        (0, 0),
    );
    let split = codes_of.values().filter(|c| c.len() > 1).count();
    let shared = customers_of.values().filter(|c| c.len() > 1).count();
    let refused = stack.twinfield.stats().transactions_refused;
    println!(
        "  customers: {created} DEB dimension(s) created by Koppel (report: {}), {} matched, for {} customers; every transaction's customer is its document's: {}",
        counts.customers_created,
        counts.customers_matched,
        books.customers.len(),
        if wrong.is_empty() {
            "yes".to_owned()
        } else {
            format!("NO, {} not", wrong.len())
        }
    );
    println!(
        "  customers first: Twinfield refuses a transaction on a customer it does not have — refused {refused}"
    );
    for w in wrong.iter().take(3) {
        println!("    • {w}");
    }
    checks.expect(wrong.is_empty(), || {
        format!(
            "{label}: {} transaction(s) on another customer than the document's, e.g. {}",
            wrong.len(),
            wrong.first().cloned().unwrap_or_default()
        )
    });
    checks.expect(refused == 0, || {
        format!("{label}: Twinfield refused {refused} transaction(s)")
    });
    checks.expect(split == 0 && shared == 0, || {
        format!(
            "{label}: {split} customer(s) on more than one dimension, {shared} dimension(s) shared by several customers"
        )
    });
    checks.expect(
        created == counts.customers_created as usize
            && (counts.customers_created + counts.customers_matched) as usize
                == books.customers.len()
            && codes_of.len() == books.customers.len(),
        || {
            format!(
                "{label}: {created} dimensions created in Twinfield, report {} created + {} matched, {} customers in Teamleader, {} on transactions",
                counts.customers_created,
                counts.customers_matched,
                books.customers.len(),
                codes_of.len()
            )
        },
    );
}

/// The transaction numbers Twinfield returned are the ones Koppel recorded for each booked
/// document (`VRK/202600017`), each number once.
async fn check_numbers(
    checks: &mut Checks,
    stack: &Stack,
    department: &DepartmentId,
    connection: &Connection,
    label: &str,
) {
    let transactions = stack.twinfield.transactions(OFFICE);
    let number_of: HashMap<&str, u64> = transactions
        .iter()
        .map(|t| (t.invoice_number.as_str(), t.number))
        .collect();
    let distinct: BTreeSet<u64> = transactions.iter().map(|t| t.number).collect();
    // (Teamleader id, the invoice number Koppel gives it in Twinfield).
    let documents: Vec<(String, String)> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let invoices = a
                .invoices
                .values()
                .filter(|i| i.department_id == department.as_str())
                .filter_map(|i| Some((i.id.clone(), model::booking_number(i.number?))));
            let credit_notes = a
                .credit_notes
                .values()
                .filter(|c| c.department_id == department.as_str())
                .map(|c| {
                    (
                        c.id.clone(),
                        format!("{CREDIT_NOTE_PREFIX}{}", model::booking_number(c.number)),
                    )
                });
            invoices.chain(credit_notes).collect()
        })
        .unwrap_or_default();
    let mut recorded = 0;
    let mut sample = None;
    let mut differ = Vec::new();
    for (id, invoice_number) in &documents {
        let record = stack
            .aws
            .store
            .document(&connection.id, &DocumentId::new(id.as_str()))
            .await
            .expect("document records readable from moto");
        let stored = match record.map(|r| r.state) {
            Some(ExportState::Exported { entry_id, .. }) => Some(entry_id.as_str().to_owned()),
            _ => None,
        };
        let returned = number_of
            .get(invoice_number.as_str())
            .map(|n| format!("{SALES}/{n}"));
        if stored.is_some() && stored == returned {
            recorded += 1;
            sample.get_or_insert_with(|| {
                format!("{invoice_number} → {}", stored.unwrap_or_default())
            });
        } else {
            differ.push(format!(
                "{invoice_number}: Koppel {stored:?}, Twinfield {returned:?}"
            ));
        }
    }
    println!(
        "  transaction numbers: Koppel recorded the number Twinfield returned for {recorded} of {} document(s) (e.g. {}); {} distinct number(s) for {} transaction(s)",
        documents.len(),
        sample.unwrap_or_else(|| "none".to_owned()),
        distinct.len(),
        transactions.len()
    );
    checks.expect(differ.is_empty() && !documents.is_empty(), || {
        format!(
            "{label}: {} document(s) without Twinfield's transaction number in Koppel's record, e.g. {}",
            differ.len(),
            differ.first().cloned().unwrap_or_default()
        )
    });
    checks.expect(distinct.len() == transactions.len(), || {
        format!(
            "{label}: {} transactions share {} numbers",
            transactions.len(),
            distinct.len()
        )
    });
}

/// Fair use kept (credits spent, no 429) and the cluster asked once per access token: at most
/// one validation per invocation that ran the Twinfield connection and per new token.
fn check_fair_use(
    checks: &mut Checks,
    before: &SimStats,
    now: &SimStats,
    report: &RunReport,
    label: &str,
) {
    let fair_use = twinfield::FairUse::default();
    let credits = now.credits_spent.saturating_sub(before.credits_spent);
    let limited = now.rate_limited.saturating_sub(before.rate_limited);
    let validations = now
        .calls("accesstokenvalidation")
        .saturating_sub(before.calls("accesstokenvalidation"));
    let grants = now.calls("token").saturating_sub(before.calls("token"));
    println!(
        "  fair use: {credits} credits spent (a query 1, anything else 3; Twinfield allows {} a minute, {} request at a time): {limited} answered 429",
        fair_use.credits_per_minute, fair_use.concurrent_requests
    );
    println!(
        "  the cluster: {validations} access-token validation(s) for {} invocation(s) and {grants} new access token(s) — asked once per token, not per call",
        report.invocations
    );
    checks.expect(limited == 0, || {
        format!("{label}: {limited} Twinfield call(s) answered 429 (fair use not kept)")
    });
    checks.expect(
        validations >= 1 && validations <= u64::from(report.invocations) + grants,
        || {
            format!(
                "{label}: {validations} access-token validations for {} invocation(s) and {grants} new token(s)",
                report.invocations
            )
        },
    );
}

/// The accountant matches one VRK invoice in full and one in part in Twinfield; the payment
/// poll marks those Teamleader invoices paid and partly paid, once.
async fn payments(
    checks: &mut Checks,
    stack: &Stack,
    department: &DepartmentId,
    connection: &Connection,
    label: &str,
    stats: &SimStats,
) {
    show::title(
        "The next hour: the accountant matched two transactions in Twinfield; the payment poll",
    );
    // Invoice transactions whose Teamleader invoice shows no payment yet.
    let unpaid: HashMap<String, String> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .values()
                .filter(|i| i.department_id == department.as_str() && i.payments.is_empty())
                .filter_map(|i| Some((model::booking_number(i.number?), i.id.clone())))
                .collect()
        })
        .unwrap_or_default();
    let open: Vec<(Transaction, String)> = stack
        .twinfield
        .transactions(OFFICE)
        .into_iter()
        .filter(|t| !is_credit_note(t))
        .filter_map(|t| {
            let id = unpaid.get(&t.invoice_number)?.clone();
            Some((t, id))
        })
        .collect();
    let (Some((full, full_id)), Some((part, part_id))) = (open.first(), open.get(1)) else {
        checks.expect(false, || {
            format!("{label}: fewer than two unpaid invoices in {SALES}")
        });
        return;
    };
    let today = stack.clock.now().date_naive();
    let half = (total(part) / Decimal::TWO).round_dp(2);
    let mut left = Vec::new();
    for (t, amount) in [(full, None), (part, Some(half))] {
        left.push(
            stack
                .twinfield
                .match_transaction(OFFICE, &t.code, t.number, amount, today)
                .expect("the transaction exists"),
        );
    }
    println!(
        "  Twinfield: {SALES} {} (invoice {}, {}) matched in full, {SALES} {} (invoice {}, {}) matched for {}, {} still open — {} open invoice(s) exported",
        full.number,
        full.invoice_number,
        show::eur(total(full)),
        part.number,
        part.invoice_number,
        show::eur(total(part)),
        show::eur(half),
        show::eur(left[1]),
        open.len()
    );
    let sent = stack
        .dispatch_at("payment-poll", &stack.clock.now().to_rfc3339())
        .await;
    println!("  dispatcher (hourly schedule): {sent} message(s) on the payment-poll queue");
    let function = stack.payment_poll_function();
    let drained = stack
        .drain(JobKind::PaymentPoll, &function, crate::BUDGET)
        .await;
    checks.expect(drained.failed_messages == 0 && drained.killed == 0, || {
        format!("the payment poll with Twinfield: {drained:?}")
    });
    let report = stack
        .aws
        .store
        .run_reports(&connection.id, 5)
        .await
        .expect("run reports readable")
        .into_iter()
        .find(|r| r.job == "payment-poll");
    let Some(report) = report else {
        checks.expect(false, || format!("{label}: no payment-poll report"));
        return;
    };
    let counts = report.payment_counts();
    println!(
        "  {label}: status {:?}; {} open document(s) checked; {} marked paid, {} partly paid, {} credit note(s) settled",
        report.status,
        counts.checked,
        counts.marked_paid,
        counts.partly_paid,
        counts.credit_notes_settled
    );
    for notice in report.notices.iter().take(4) {
        println!("    • {}: {}", notice.subject, notice.reason);
    }
    calls(stack, stats, "payment poll");
    checks.expect(
        report.status == RunStatus::Succeeded && counts.marked_paid == 1 && counts.partly_paid == 1,
        || {
            format!(
                "{label}: the payment poll ended {:?} with {} marked paid and {} partly paid, expected 1 and 1",
                report.status, counts.marked_paid, counts.partly_paid
            )
        },
    );
    let paid = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let of = |id: &str| {
                a.invoices
                    .get(id)
                    .map(|i| (i.payments.len(), i.paid_amount()))
                    .unwrap_or_default()
            };
            (of(full_id), of(part_id))
        })
        .unwrap_or_default();
    println!(
        "  Teamleader: invoice {} paid {} in {} payment(s) (Twinfield's amount), invoice {} partly paid {} in {} payment(s)",
        full.invoice_number,
        show::eur(paid.0.1),
        paid.0.0,
        part.invoice_number,
        show::eur(paid.1.1),
        paid.1.0
    );
    checks.expect(paid == ((1, total(full)), (1, half)), || {
        format!(
            "{label}: Teamleader shows (payments, paid) {:?} and {:?}, expected (1, {}) and (1, {half})",
            paid.0,
            paid.1,
            total(full)
        )
    });
}
