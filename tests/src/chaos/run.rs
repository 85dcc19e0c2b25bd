//! One schedule, start to end: a stack (simulators, Koppel's state in memory or on moto, a
//! connected account), the real export, payment poll and company import handlers drained the
//! way SQS and Lambda drive them while the plan's faults strike, the users' changes in
//! between, a recovery (faults gone, access restored, the next nights' runs), then the
//! invariants.

use super::check::{Expectations, Outcome, check};
use super::ledger::LedgerUnderTest;
use super::plan::{Change, Fault, Phase, Plan};
use super::tripwire::{Remotes, Tripwire};
use crate::stack::{Backend, DrainOptions, Stack, StackOptions};
use crate::store_hook::HookedStore;
use koppel_core::{
    Clock, Connection, ConnectionStatus, DocumentId, ExportState, Job, JobKind, RunId,
};
use koppel_sim::teamleader;
use rust_decimal::Decimal;
use std::sync::Arc;
use std::time::Duration;

/// Lambda's timeout for the jobs (template.yaml), on the stack's virtual clock.
const BUDGET: Duration = Duration::from_secs(900);

/// Nights of recovery after the faults: runs on a clean stack until nothing is left.
const RECOVERY_NIGHTS: u32 = 2;

/// Run `plan`; `moto_url` is where moto listens when the plan asks for it (a moto plan
/// without one runs in memory).
pub async fn run_plan(plan: &Plan, moto_url: Option<&str>) -> Outcome {
    let backend = match (plan.moto, moto_url) {
        (true, Some(url)) => Backend::MotoFresh(url.to_owned()),
        _ => Backend::Memory,
    };
    let mut stack = Stack::start(StackOptions {
        virtual_time: true,
        exact_limits: None,
        teamleader_limit: 100_000,
        generate: plan.account.clone(),
        backend,
        ..StackOptions::default()
    })
    .await;
    seed_ledger(&stack, plan);
    let department = stack.departments()[0].clone();
    let ledger = plan.ledger;
    let connection = ledger.connect(&stack, &department).await;
    let mut expect = Expectations {
        ledger,
        ledger_customers_before: ledger.customers(&stack).into_iter().map(|c| c.id).collect(),
        ..Expectations::default()
    };

    let tripwire = Arc::new(Tripwire::new(Remotes {
        ledger,
        ledger_remote: ledger.remote(&stack),
        teamleader: stack.teamleader.fault_remote(),
        queue: stack.aws.queue.clone(),
    }));
    stack.aws.store = Arc::new(HookedStore::new(stack.aws.store.clone(), tripwire.clone()));

    for phase in Phase::ALL {
        if phase == Phase::PaymentPoll {
            make_changes(&stack, plan, &connection, &mut expect).await;
        }
        let (kind, run) = match phase {
            Phase::Export => (JobKind::InvoiceExport, "chaos-export"),
            Phase::PaymentPoll => (JobKind::PaymentPoll, "chaos-poll"),
            Phase::CompanyImport => (JobKind::CompanyImport, "chaos-import"),
        };
        let job = Job::start(connection.id.clone(), RunId::new(run), kind.clone());
        tripwire.arm(plan.faults_of(phase), job.clone()).await;
        stack.aws.queue.send(&[job]).await.expect("job queued");
        let function = stack.function_for(&kind);
        let options = DrainOptions {
            budget: BUDGET,
            batch_size: plan.batch_size,
            concurrency: plan.workers,
        };
        stack
            .drain_killing(kind, function.as_ref(), options, &|_| {}, Some(&tripwire))
            .await;
        tripwire.disarm();
    }

    // Before anything is restored: the connection's state must follow from the faults.
    let stored = stack
        .aws
        .store
        .connection(&connection.id)
        .await
        .expect("connection readable")
        .expect("connection kept");
    let fired = tripwire.fired();
    let access_ended = plan
        .faults
        .iter()
        .any(|(_, f)| f.ends_access() && fired.contains(&f.class()));
    expect.connection_status = Some((stored.status, stored.status_reason.clone(), access_ended));

    recover(&stack, plan, &department, &connection, access_ended).await;
    // The hourly sweeper, once nothing has worked on the connection for longer than a live
    // run can stay quiet: every run must then be in a final state.
    stack
        .clock
        .advance(koppel_core::jobs::sweep::QUIET_FOR + chrono::Duration::minutes(1));
    let swept = stack.sweep().await;
    let mut outcome = check(&stack, &connection, &expect).await;
    outcome.interrupted = swept.interrupted;
    outcome.seed = plan.seed;
    outcome.fired = fired;
    outcome.kills = tripwire.kills();
    outcome
}

/// The ledger's side before the first run: some Teamleader companies are already customers
/// there (the export must match them, not create them again), others exist only there. A
/// ledger without customers starts empty.
fn seed_ledger(stack: &Stack, plan: &Plan) {
    if !plan.ledger.keeps_customers() {
        return;
    }
    let shared = stack
        .company_identities(&stack.account_id)
        .into_iter()
        .take(plan.shared_customers);
    for (name, vat) in shared {
        plan.ledger.add_customer(stack, &name, vat.as_deref());
    }
    for n in 0..plan.ledger_only_customers {
        let name = format!("Enkel in {} {n} ({})", plan.ledger.name(), plan.seed);
        plan.ledger.add_customer(stack, &name, None);
    }
}

/// The booked invoices of the account, by number: (id, number).
fn booked_invoices(stack: &Stack) -> Vec<(String, (i32, u32))> {
    let mut invoices: Vec<(String, (i32, u32))> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .values()
                .filter_map(|i| i.number.map(|n| (i.id.clone(), n)))
                .collect()
        })
        .unwrap_or_default();
    invoices.sort_by_key(|(_, number)| *number);
    invoices
}

/// What users do between the export and the payment poll; one change per invoice at most.
async fn make_changes(
    stack: &Stack,
    plan: &Plan,
    connection: &Connection,
    expect: &mut Expectations,
) {
    let invoices = booked_invoices(stack);
    if invoices.is_empty() {
        return;
    }
    let mut touched = std::collections::HashSet::new();
    let now = stack.clock.now();
    let ledger = plan.ledger;
    for change in &plan.changes {
        let n = match change {
            Change::EditInvoice(n)
            | Change::DeleteEntry(n)
            | Change::DeleteInvoice(n)
            | Change::PayInFull(n)
            | Change::PayInPart(n)
            | Change::PayByHand(n) => n % invoices.len(),
        };
        if !touched.insert(n) {
            continue;
        }
        let id = invoices[n].0.clone();
        let entry = exported_entry(stack, connection, &id).await;
        match (change, entry) {
            (Change::EditInvoice(_), _) => {
                stack.teamleader.with_account(&stack.account_id, |a| {
                    if let Some(invoice) = a.invoices.get_mut(&id) {
                        invoice.sections[0].lines[0].unit_price += Decimal::ONE_HUNDRED;
                        invoice.updated_at = now;
                    }
                });
                expect.edited.insert(id);
            }
            (Change::DeleteInvoice(_), Some(_)) => {
                let removed = stack
                    .teamleader
                    .with_account(&stack.account_id, |a| a.invoices.remove(&id))
                    .flatten();
                if let Some(invoice) = removed {
                    let number = invoice.number.map(|n| format!("{}/{}", n.0, n.1));
                    expect
                        .deleted_in_teamleader
                        .push((id, number.unwrap_or_default()));
                }
            }
            (Change::DeleteEntry(_), Some(entry)) => {
                let before = ledger.entries(stack);
                if ledger.delete_entry(stack, &entry) {
                    expect.deleted_in_ledger.insert(id);
                    expect
                        .deleted_entries
                        .extend(before.into_iter().filter(|e| e.id == entry));
                }
            }
            (Change::PayInFull(_), Some(entry)) => {
                if ledger.pay(stack, &entry, None, now.date_naive()) {
                    expect.paid_in_ledger.insert(id, entry);
                }
            }
            (Change::PayInPart(_), Some(entry)) => {
                let total = ledger
                    .entries(stack)
                    .into_iter()
                    .find(|e| e.id == entry)
                    .map(|e| e.amount)
                    .unwrap_or_default();
                // A ledger without amounts is only told "partly paid": any part will do.
                let part = if ledger.knows_amounts() {
                    (total / Decimal::from(3)).round_dp(2)
                } else {
                    Decimal::ONE
                };
                if part > Decimal::ZERO && ledger.pay(stack, &entry, Some(part), now.date_naive()) {
                    expect.paid_in_ledger.insert(id, entry);
                }
            }
            (Change::PayByHand(_), entry) => {
                if let Some(entry) = entry {
                    expect.hand_paid_entries.insert(id.clone(), entry);
                }
                let amount = Decimal::new(1000, 2);
                stack.teamleader.with_account(&stack.account_id, |a| {
                    if let Some(invoice) = a.invoices.get_mut(&id) {
                        invoice.payments.push(teamleader::model::Payment {
                            amount,
                            currency: "EUR".into(),
                            paid_at: now,
                        });
                        invoice.updated_at = now;
                    }
                });
                expect.paid_by_hand.insert(id, amount);
            }
            // A change to an entry that is not (yet) in Exact is not made.
            (_, None) => {}
        }
    }
}

/// The ledger entry Koppel recorded for Teamleader document `id`, if exported.
pub(super) async fn exported_entry(
    stack: &Stack,
    connection: &Connection,
    id: &str,
) -> Option<String> {
    let record = stack
        .aws
        .store
        .document(&connection.id, &DocumentId::new(id))
        .await
        .ok()
        .flatten()?;
    match record.state {
        ExportState::Exported { entry_id, .. } => Some(entry_id.as_str().to_owned()),
        _ => None,
    }
}

/// Faults gone, access restored (the user signs in again), the quota back, the period open;
/// then the next nights' runs, one worker each, until nothing is left.
async fn recover(
    stack: &Stack,
    plan: &Plan,
    department: &koppel_core::DepartmentId,
    connection: &Connection,
    access_ended: bool,
) {
    let ledger: LedgerUnderTest = plan.ledger;
    ledger.clear_faults(stack);
    stack.teamleader.clear_faults();
    if plan.faults.iter().any(|(_, f)| *f == Fault::PeriodClosed) {
        ledger.set_period_closed(stack, stack.clock.now().date_naive(), false);
    }
    let status = stack
        .aws
        .store
        .connection(&connection.id)
        .await
        .ok()
        .flatten()
        .map(|c| c.status);
    // The user signs in again when Koppel asked for it, and after withdrawing access even if
    // no call noticed yet.
    if status != Some(ConnectionStatus::Active) || access_ended {
        ledger.connect(stack, department).await;
    }
    for night in 1..=RECOVERY_NIGHTS {
        stack.clock.advance(chrono::Duration::days(1));
        for kind in [
            JobKind::InvoiceExport,
            JobKind::PaymentPoll,
            JobKind::CompanyImport,
        ] {
            let run = format!("recovery-{}-{night}", kind.name());
            let job = Job::start(connection.id.clone(), RunId::new(run), kind.clone());
            stack.aws.queue.send(&[job]).await.expect("job queued");
            let function = stack.function_for(&kind);
            stack.drain(kind, function.as_ref(), BUDGET).await;
        }
    }
}
