//! `infra/dev demo`: Koppel's nightly export end to end on this machine.
//!
//! A Teamleader Focus account (five departments, ~1,000 invoices, ~100 credit notes, ~150
//! customers, some drafts) in the Teamleader simulator; an Exact Online division for each of
//! the first two departments in the Exact simulator, the Octopus demo dossier for the third in
//! the Octopus simulator, the Twinfield office BE0001 for the fourth in the Twinfield
//! simulator, the Clearfacts company 0899623035 for the fifth in the Clearfacts simulator; Koppel's table, queue and secrets in moto (created from
//! template.yaml by `infra/dev up`). The real dispatcher sends one SQS message per connection;
//! messages are received from moto and handed to the real export handler the way Lambda's
//! event source does (batch size 1, several at once, a deadline per invocation). Then the run
//! reports, what Exact holds, the API call counts, and a second night after the accountant
//! reopened the closed period; then the Octopus department (see `octopus.rs`), the
//! Twinfield department (see `twinfield.rs`) and the Clearfacts department (see
//! `clearfacts.rs`). Exits non-zero when something that should work
//! did not.

mod clearfacts;
mod octopus;
mod page;
mod scenario;
mod second_account;
mod show;
mod twinfield;

use chrono::{DateTime, Utc};
use koppel_core::jobs::export::ExportOptions;
use koppel_core::{Clock, Connection, ConnectionId, JobKind, RunReport, RunStatus};
use koppel_e2e::stack::{Backend, DrainOptions, DrainStats, Invocation, Stack, StackOptions};
use koppel_sim::exact::{self, RateLimits};
use scenario::DepartmentBooks;
use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How much faster than real time the shared clock runs (simulators and Koppel alike).
const SPEED: f64 = 30.0;
/// Time each export invocation gets before its Lambda deadline, on the shared clock: the
/// template's timeout (15 minutes), so ×30 makes it 30 real seconds (a loaded machine still
/// hands over before the deadline: the stop comes a simulated minute, two real seconds, early).
const BUDGET: Duration = Duration::from_secs(900);
/// How long before the deadline an invocation hands over (`koppel_runtime::jobs`).
const HANDOVER: Duration = Duration::from_secs(60);
/// Invocations at once (template.yaml: the export's MaximumConcurrency default).
const CONCURRENCY: usize = 10;
/// Exact's real quotas per app and division.
const EXACT_LIMITS: RateLimits = RateLimits {
    per_minute: 60,
    per_day: 5_000,
};
/// Teamleader's requests per minute.
const TEAMLEADER_LIMIT: u32 = 200;

/// One Teamleader department linked to one Exact division.
struct Link {
    label: String,
    division: i32,
    connection: Connection,
    books: DepartmentBooks,
    /// Documents expected to fail on night 1: (kind word, number).
    expected_failures: Vec<(String, String)>,
    /// Customers the division held before Koppel ran.
    seeded_customers: usize,
}

/// Failed expectations, printed at the end; any of them makes the exit code non-zero.
#[derive(Default)]
struct Checks(Vec<String>);

impl Checks {
    fn expect(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::var("AWS_ENDPOINT_URL").map_or(true, |v| v.is_empty()) {
        eprintln!(
            "demo: AWS_ENDPOINT_URL is not set. Run it with `infra/dev demo` (it starts moto and \
             creates template.yaml's resources), or `infra/dev up` then `set -a; . .dev/env; set +a`."
        );
        return ExitCode::from(2);
    }
    let wall = Instant::now();
    let checks = run().await;
    show::title("Result");
    println!("  wall time {}", show::duration(wall.elapsed()));
    if checks.0.is_empty() {
        println!(
            "  every check passed: each booked document is in Exact exactly once, drafts never,"
        );
        println!(
            "  the closed-period documents were refused with a reason and exported once reopened,"
        );
        println!(
            "  the invoices reconciled in Exact turned paid in Teamleader, once, and the second"
        );
        println!(
            "  account got Exact's customers without duplicates (private ones as contacts), the"
        );
        println!("  merge file linking the rest;");
        println!(
            "  the Octopus department's documents are in V1/V2 once each, a journal left open in"
        );
        println!(
            "  Octopus paused the run with the fix, and Octopus' matched bookings turned paid in Teamleader;"
        );
        println!(
            "  the Twinfield department's documents are in VRK once each (credit notes mirrored), its"
        );
        println!(
            "  customers created first, fair use kept, and Twinfield's matched transactions turned paid;"
        );
        println!(
            "  the Clearfacts department's documents are in its sales inbox once each, as Peppol BIS 3 files that"
        );
        println!(
            "  pass the official rules or as PDFs with the rule, a booked invoice arrived through Teamleader's"
        );
        println!(
            "  webhook seconds after booking, and a payment Clearfacts knew of turned the invoice paid;"
        );
        println!(
            "  on the connection page a sign-in showed every connection, and reactivated them."
        );
        ExitCode::SUCCESS
    } else {
        println!("  {} check(s) FAILED:", checks.0.len());
        for problem in &checks.0 {
            println!("  ✗ {problem}");
        }
        ExitCode::FAILURE
    }
}

async fn run() -> Checks {
    let mut checks = Checks::default();
    let plan = scenario::plan(Utc::now().date_naive());
    let stack = Stack::start(StackOptions {
        speed: SPEED,
        virtual_time: false,
        exact_limits: Some(EXACT_LIMITS),
        teamleader_limit: TEAMLEADER_LIMIT,
        generate: plan.spec.clone(),
        attach_pdf: true,
        backend: Backend::MotoFromEnv,
    })
    .await;
    let departments = stack.departments();
    let (be, nl, third, fourth, fifth) = (
        departments[0].clone(),
        departments[1].clone(),
        departments[2].clone(),
        departments[3].clone(),
        departments[4].clone(),
    );
    scenario::make_dutch_branch(&stack.teamleader, &stack.account_id, nl.as_str());
    scenario::add_credit_note_journal(&stack.exact, exact::DEFAULT_NL_DIVISION);
    let (year, month) = plan.closed;
    stack
        .exact
        .set_period_closed(exact::DEFAULT_BE_DIVISION, year, month as i32, true)
        .expect("the period exists");
    header(&stack, &plan);

    show::title("Teamleader Focus (simulated): the demo account");
    let mut links = Vec::new();
    for (department, division) in [
        (&be, exact::DEFAULT_BE_DIVISION),
        (&nl, exact::DEFAULT_NL_DIVISION),
    ] {
        let books = scenario::books(
            &stack.teamleader,
            &stack.account_id,
            department.as_str(),
            plan.closed,
        );
        print_books(&books);
        let expected_failures = if division == exact::DEFAULT_BE_DIVISION {
            books.in_month.iter().cloned().collect()
        } else {
            Vec::new()
        };
        let seeded_customers = stack
            .exact
            .division(division)
            .map_or(0, |d| d.accounts.len());
        let connection = stack.connect(department, division).await;
        let legislation = stack
            .exact
            .division(division)
            .map_or("?", |d| d.legislation.country());
        links.push(Link {
            label: format!("{} → Exact {legislation} {division}", books.name),
            division,
            connection,
            books,
            expected_failures,
            seeded_customers,
        });
    }

    show::title("Connections (settings suggested from both sides' lists)");
    let rates = scenario::tax_rate_labels(&stack.teamleader, &stack.account_id);
    for link in &links {
        println!("  {}  [{}]", link.label, link.connection.id);
        show::settings(&link.connection, &rates);
        let categories = scenario::category_accounts(
            &stack.teamleader,
            &stack.account_id,
            link.connection.department_id.as_str(),
        );
        let categories: Vec<String> = categories
            .iter()
            .map(|(name, account)| format!("{name} → {account}"))
            .collect();
        println!(
            "    product categories' ledger accounts (Teamleader): {}",
            categories.join(", ")
        );
    }
    println!(
        "  The Dutch branch uses Dutch tax rates and 8xxx category accounts (set in Teamleader). Its Exact"
    );
    println!(
        "  administration got sales journal 71 for credit notes: Koppel books them apart from invoices."
    );
    println!(
        "  Exact BE {}: period {year}/{month} is CLOSED (the accountant filed that VAT return) — its {}",
        exact::DEFAULT_BE_DIVISION,
        links[0].expected_failures.len()
    );
    println!(
        "  document(s) must be refused with a reason the user can act on; everything else exported."
    );

    // ------------------------------------------------------------------ night 1
    show::title("Night 1: the dispatcher, then the export handler fed from moto SQS");
    let night = run_night(&stack, &links).await;
    checks.expect(night.drained.killed == 0, || {
        format!(
            "{} invocation(s) killed at their deadline on night 1",
            night.drained.killed
        )
    });
    checks.expect(night.drained.failed_messages == 0, || {
        format!(
            "{} SQS message(s) failed in the export handler",
            night.drained.failed_messages
        )
    });
    show::title("Run reports (what the user reads on the connection page)");
    for (link, report) in links.iter().zip(&night.reports) {
        show::report(&link.label, report);
    }
    show::title("What Exact Online (simulated) holds now");
    for link in &links {
        show::division(&stack.exact, link.division, link.seeded_customers);
    }
    for (link, report) in links.iter().zip(&night.reports) {
        check_night_one(&mut checks, &stack, link, report);
    }
    let exact_night_one = stack.exact.stats().requests.values().sum::<u64>();
    let teamleader_night_one = stack.teamleader.request_counts().values().sum::<u64>();

    // ------------------------------------------------------------------ night 2
    show::title(&format!(
        "Night 2: the accountant reopened {year}/{month}; the next nightly run"
    ));
    println!(
        "  (the run lists what changed since the oldest unfinished document: documents already exported are"
    );
    println!("  skipped without a call unless they changed since; nothing is posted again)");
    stack
        .exact
        .set_period_closed(exact::DEFAULT_BE_DIVISION, year, month as i32, false)
        .expect("the period exists");
    let second = run_night(&stack, &links).await;
    checks.expect(second.drained.killed == 0, || {
        format!(
            "{} invocation(s) killed at their deadline on night 2",
            second.drained.killed
        )
    });
    checks.expect(second.drained.failed_messages == 0, || {
        format!(
            "{} SQS message(s) failed on night 2",
            second.drained.failed_messages
        )
    });
    for (link, report) in links.iter().zip(&second.reports) {
        show::report(&link.label, report);
        check_night_two(&mut checks, &stack, link, report);
    }

    // ------------------------------------------------------------------ payments
    payments(&mut checks, &stack, &links).await;

    calls(&stack, exact_night_one, teamleader_night_one);

    // ------------------------------------------------------------------ Octopus
    let octopus = octopus::third_department(&mut checks, &stack, &third, &links).await;

    // ------------------------------------------------------------------ Twinfield
    twinfield::fourth_department(&mut checks, &stack, &fourth, &links, &octopus).await;

    // ------------------------------------------------------------------ Clearfacts
    clearfacts::fifth_department(&mut checks, &stack, &fifth).await;

    // ------------------------------------------------------------------ a second account
    second_account::import_and_merge(&mut checks, &stack).await;

    // ------------------------------------------------------------------ the page
    page::serve(&mut checks, &stack).await;
    checks
}

/// The accountant reconciles invoices in Exact; the hourly payment poll marks them paid in
/// Teamleader (one in every eight in full, one partly), once.
async fn payments(checks: &mut Checks, stack: &Stack, links: &[Link]) {
    show::title("The next hour: the accountant reconciled invoices in Exact; the payment poll");
    let link = &links[0];
    let division = link.division;
    // Invoices Teamleader does not show paid yet, as Exact booked them.
    let unpaid: Vec<(String, uuid::Uuid, rust_decimal::Decimal)> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .values()
                .filter(|i| i.department_id == link.connection.department_id.as_str())
                .filter(|i| i.number.is_some() && i.payments.is_empty())
                .filter_map(|i| {
                    let (year, n) = i.number?;
                    Some((i.id.clone(), format!("{year} / {n}")))
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(id, reference)| {
            // In the invoice journal: credit notes are numbered in their own series, so a
            // credit note can carry the same "2026 / 27" as an invoice.
            let entry = stack.exact.entries(division).into_iter().find(|e| {
                Some(&e.journal) == link.connection.settings.invoice_journal.as_ref()
                    && e.your_ref.as_deref() == Some(reference.as_str())
            })?;
            Some((id, entry.entry_id, entry.amount()))
        })
        .collect();
    let full: Vec<&(String, uuid::Uuid, rust_decimal::Decimal)> =
        unpaid.iter().step_by(8).collect();
    let partly = unpaid.get(1);
    let today = stack.clock.now().date_naive();
    for (_, entry, _) in &full {
        stack
            .exact
            .register_payment(division, *entry, None, Some(today))
            .expect("payment in Exact");
    }
    let half = |amount: rust_decimal::Decimal| (amount / rust_decimal::Decimal::TWO).round_dp(2);
    if let Some((_, entry, amount)) = partly {
        stack
            .exact
            .register_payment(division, *entry, Some(half(*amount)), Some(today))
            .expect("payment in Exact");
    }
    println!(
        "  {}: {} invoice(s) fully reconciled in Exact, 1 partly ({} open invoices exported)",
        link.label,
        full.len(),
        unpaid.len()
    );
    let scheduled = stack.clock.now().to_rfc3339();
    let sent = stack.dispatch_at("payment-poll", &scheduled).await;
    println!("  dispatcher (hourly schedule): {sent} message(s) on the payment-poll queue");
    let function = stack.payment_poll_function();
    let exact_before: u64 = stack.exact.stats().requests.values().sum();
    let drained = stack.drain(JobKind::PaymentPoll, &function, BUDGET).await;
    let exact_calls = stack.exact.stats().requests.values().sum::<u64>() - exact_before;
    checks.expect(drained.failed_messages == 0 && drained.killed == 0, || {
        format!("the payment poll: {drained:?}")
    });
    let report = stack
        .aws
        .store
        .run_reports(&link.connection.id, 5)
        .await
        .expect("run reports readable")
        .into_iter()
        .find(|r| r.job == "payment-poll");
    let Some(report) = report else {
        checks.expect(false, || "no payment-poll report".to_owned());
        return;
    };
    let counts = report.payment_counts();
    println!(
        "  {}: status {:?}; {} open document(s) checked in {} Exact call(s); {} marked paid, {} partly paid, {} credit note(s) settled",
        link.label,
        report.status,
        counts.checked,
        exact_calls,
        counts.marked_paid,
        counts.partly_paid,
        counts.credit_notes_settled
    );
    for notice in report.notices.iter().take(4) {
        println!("    • {}: {}", notice.subject, notice.reason);
    }
    if report.notices.len() > 4 {
        println!("    … and {} more", report.notices.len() - 4);
    }
    checks.expect(counts.marked_paid as usize == full.len(), || {
        format!(
            "{} invoices marked paid, expected {}",
            counts.marked_paid,
            full.len()
        )
    });
    checks.expect(counts.partly_paid == u32::from(partly.is_some()), || {
        format!("{} invoices partly paid, expected 1", counts.partly_paid)
    });
    // In Teamleader: paid with Exact's amount, once each.
    let teamleader_paid = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            full.iter()
                .filter(|(id, _, amount)| {
                    let payments = &a.invoices[id].payments;
                    payments.len() == 1 && payments[0].amount == *amount
                })
                .count()
        })
        .unwrap_or(0);
    println!(
        "  Teamleader now shows {teamleader_paid} of them paid with Exact's amount, each registered once"
    );
    checks.expect(teamleader_paid == full.len(), || {
        format!(
            "{teamleader_paid} of {} invoices paid once in Teamleader",
            full.len()
        )
    });
    // Another hour, nothing new: nothing is registered again.
    let sent = stack
        .dispatch_at(
            "payment-poll",
            &(stack.clock.now() + chrono::Duration::hours(1)).to_rfc3339(),
        )
        .await;
    let again = stack.drain(JobKind::PaymentPoll, &function, BUDGET).await;
    let registrations = stack
        .teamleader
        .request_counts()
        .get("invoices.registerPayment")
        .copied()
        .unwrap_or(0);
    println!(
        "  an hour later ({sent} message(s), {} invocation(s)): {registrations} payment registration(s) in all — nothing registered twice",
        again.invocations
    );
    checks.expect(
        registrations as usize == full.len() + usize::from(partly.is_some()),
        || format!("{registrations} registrations, expected {}", full.len() + 1),
    );
}

/// What one night produced.
struct Night {
    drained: DrainStats,
    reports: Vec<RunReport>,
}

/// Dispatch, drain the export queue with progress output, read each connection's report.
async fn run_night(stack: &Stack, links: &[Link]) -> Night {
    let connections: Vec<(&Connection, &str)> = links
        .iter()
        .map(|l| (&l.connection, l.label.as_str()))
        .collect();
    night(stack, &connections).await
}

/// [`run_night`] for any connections, each with its label: the reports come in their order.
async fn night(stack: &Stack, connections: &[(&Connection, &str)]) -> Night {
    let started_real = Instant::now();
    let started_sim = stack.clock.now();
    let sent = stack.dispatch_nightly().await;
    println!(
        "  dispatcher (EventBridge schedule → Lambda): {sent} message(s) on the FIFO export queue, one per active connection"
    );
    println!(
        "  export handler: batch size 1, up to {CONCURRENCY} at once, {} per invocation (hands over ~{} before the deadline)",
        show::duration(BUDGET),
        show::duration(HANDOVER.min(BUDGET / 4))
    );
    let labels: HashMap<ConnectionId, String> = connections
        .iter()
        .map(|(c, label)| (c.id.clone(), (*label).to_owned()))
        .collect();
    let seen: Mutex<HashMap<String, u32>> = Mutex::new(HashMap::new());
    let observe = |invocation: &Invocation| {
        progress(invocation, &labels, &seen, sim_elapsed(stack, started_sim));
    };
    let function = stack.export_function(ExportOptions::default());
    let options = DrainOptions {
        budget: BUDGET,
        batch_size: 1,
        concurrency: CONCURRENCY,
    };
    let drained = stack.drain_exports_with(&function, options, &observe).await;
    println!(
        "  queue empty after {} invocation(s), {} message(s), {} failed, {} killed at the deadline — {} real, {} on the simulated clock",
        drained.invocations,
        drained.messages,
        drained.failed_messages,
        drained.killed,
        show::duration(started_real.elapsed()),
        show::duration(sim_elapsed(stack, started_sim))
    );
    let mut reports = Vec::new();
    for (connection, _) in connections {
        let latest = stack
            .aws
            .store
            .run_reports(&connection.id, 1)
            .await
            .expect("run reports readable from moto");
        reports.push(latest.into_iter().next().unwrap_or_else(|| RunReport {
            connection_id: connection.id.clone(),
            run_id: koppel_core::RunId::new("none"),
            job: "invoice-export".to_owned(),
            started_at: stack.clock.now(),
            updated_at: stack.clock.now(),
            status: RunStatus::Failed,
            counts: koppel_core::RunCounts::Nothing,
            issues: Vec::new(),
            notices: Vec::new(),
            warnings: Vec::new(),
            message: Some("no run report was written".to_owned()),
            invocations: 0,
        }));
    }
    Night { drained, reports }
}

fn sim_elapsed(stack: &Stack, since: DateTime<Utc>) -> Duration {
    (stack.clock.now() - since).to_std().unwrap_or_default()
}

/// One progress line per invocation.
fn progress(
    invocation: &Invocation,
    labels: &HashMap<ConnectionId, String>,
    seen: &Mutex<HashMap<String, u32>>,
    sim: Duration,
) {
    for (job, report) in invocation.jobs.iter().zip(&invocation.reports) {
        let label = labels
            .get(&job.connection_id)
            .map_or(job.connection_id.as_str(), String::as_str);
        let before = seen
            .lock()
            .expect("progress")
            .insert(
                format!("{}/{}", job.connection_id, report.run_id),
                report.export_counts().exported,
            )
            .unwrap_or(0);
        let outcome = match report.status {
            RunStatus::Running => {
                "deadline near: handed over, continues in a new message".to_owned()
            }
            RunStatus::Succeeded => "run finished ✓".to_owned(),
            RunStatus::CompletedWithIssues => format!(
                "run finished, {} document(s) need attention",
                report.issues.len()
            ),
            RunStatus::Paused => format!(
                "run paused: {}",
                report.message.as_deref().unwrap_or("no message")
            ),
            RunStatus::Failed => format!(
                "run FAILED: {}",
                report.message.as_deref().unwrap_or("no message")
            ),
            RunStatus::Interrupted => format!(
                "run INTERRUPTED: {}",
                report.message.as_deref().unwrap_or("no message")
            ),
        };
        println!(
            "  #{:<2} sim +{:<7} {label:<38} message {}  {:>6}  +{:<3} exported ({} so far, {} failed)  {outcome}",
            invocation.number,
            show::duration(sim),
            job.sequence,
            show::duration(invocation.elapsed),
            report.export_counts().exported.saturating_sub(before),
            report.export_counts().exported,
            report.export_counts().failed,
        );
    }
    if invocation.failed_messages > 0 {
        println!(
            "  #{:<2} {} message(s) FAILED and go back to the queue",
            invocation.number, invocation.failed_messages
        );
    }
    if invocation.killed {
        println!(
            "  #{:<2} KILLED at its deadline, as Lambda does: its {} message(s) come back",
            invocation.number, invocation.messages
        );
    }
}

fn header(stack: &Stack, plan: &scenario::Plan) {
    let env = |key: &str| std::env::var(key).unwrap_or_else(|_| "?".to_owned());
    let queue = env("KOPPEL_EXPORT_QUEUE_URL");
    let queue_name = queue.rsplit('/').next().unwrap_or(&queue).to_owned();
    println!(
        "Koppel demo — the nightly Teamleader → Exact Online export, end to end on this machine"
    );
    show::title("What runs where");
    println!(
        "  AWS           moto at {} (real AWS wire protocol): DynamoDB table {}, SQS FIFO queue {},",
        env("AWS_ENDPOINT_URL"),
        env("KOPPEL_TABLE"),
        queue_name
    );
    println!(
        "                Secrets Manager (app secret {}, the connections' OAuth tokens) — created from template.yaml",
        env("KOPPEL_APP_SECRET")
    );
    println!(
        "  Teamleader    simulator at {} (OAuth, API, {TEAMLEADER_LIMIT} requests/minute, PDFs)",
        stack.teamleader.base_url
    );
    println!(
        "  Exact Online  simulator at {} (OAuth with 10-minute tokens, OData, {}/minute + {}/day per division)",
        stack.exact.base_url, EXACT_LIMITS.per_minute, EXACT_LIMITS.per_day
    );
    println!(
        "  Octopus       simulator at {} (two-step sign-in, 10-minute tokens, its demo dossier {} \"{}\")",
        stack.octopus.base_url,
        koppel_sim::octopus::DEMO_DOSSIER_ID,
        koppel_sim::octopus::seed::DEMO_DOSSIER_NAME
    );
    println!(
        "  Twinfield     simulator at {} (OpenID Connect, the cluster from the token validation, SOAP, office {})",
        stack.twinfield.login_url(),
        koppel_sim::twinfield::OFFICE_BE
    );
    println!(
        "  Clearfacts    simulator at {} (OpenID Connect with rotating refresh tokens, GraphQL, multipart uploads, company {})",
        stack.clearfacts.base_url,
        koppel_sim::clearfacts::ADMINISTRATION_DEMO
    );
    println!(
        "  Koppel        the real dispatcher and invoice-export handlers (functions/), real clients, in this process"
    );
    println!(
        "  Clock         ×{SPEED}: Exact allows 60 calls a minute, so ~1,000 calls per division take ~17 minutes"
    );
    println!(
        "                for real. Simulators and Koppel share one clock running {SPEED} times faster: quotas,"
    );
    println!(
        "                rate-limit waits and token lifetimes are enforced on it, and the demo takes two to"
    );
    println!(
        "                four minutes. Each invocation has Lambda's {} on that clock and is killed at its deadline;",
        show::duration(BUDGET)
    );
    println!("                a run that needs more hands over to a new message before then.");
    println!(
        "  Account       generated (seed {}): {} companies, {} contacts, {} invoices over {} days, {} drafts, {} credit notes",
        plan.spec.seed,
        plan.spec.companies,
        plan.spec.contacts,
        plan.spec.invoices,
        plan.spec.days,
        plan.spec.drafts,
        plan.spec.credit_notes
    );
}

fn print_books(b: &DepartmentBooks) {
    println!(
        "  {:<22} {:>3} booked invoices ({} paid) {}, {:>2} credit notes {}, {:>2} drafts, {} customers",
        b.name,
        b.invoices.len(),
        b.paid,
        show::eur(b.invoiced_incl),
        b.credit_notes.len(),
        show::eur(b.credited_incl),
        b.drafts,
        b.customers.len()
    );
    let mut rates: Vec<_> = b.lines_per_rate.iter().collect();
    rates.sort();
    let rates: Vec<String> = rates.iter().map(|(r, n)| format!("{r}: {n}")).collect();
    println!(
        "  {:<22} invoice lines per tax rate — {}",
        "",
        rates.join(", ")
    );
}

/// Your-refs per journal in a division.
fn refs_by_journal(stack: &Stack, division: i32) -> BTreeMap<String, Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in stack.exact.entries(division) {
        by.entry(e.journal.clone())
            .or_default()
            .push(e.your_ref.clone().unwrap_or_default());
    }
    for refs in by.values_mut() {
        refs.sort();
    }
    by
}

fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.into_iter().collect();
    v.sort();
    v
}

fn check_night_one(checks: &mut Checks, stack: &Stack, link: &Link, report: &RunReport) {
    let label = &link.label;
    let failed = &link.expected_failures;
    let expected_status = if failed.is_empty() {
        RunStatus::Succeeded
    } else {
        RunStatus::CompletedWithIssues
    };
    checks.expect(report.status == expected_status, || {
        format!(
            "{label}: night 1 ended {:?}, expected {expected_status:?}",
            report.status
        )
    });
    let booked = link.books.invoices.len() + link.books.credit_notes.len();
    checks.expect(
        report.export_counts().exported as usize == booked - failed.len(),
        || {
            format!(
                "{label}: {} exported, expected {} ({} booked, {} in the closed period)",
                report.export_counts().exported,
                booked - failed.len(),
                booked,
                failed.len()
            )
        },
    );
    let reported: Vec<(String, String)> = report
        .issues
        .iter()
        .filter_map(|i| match &i.subject {
            koppel_core::IssueSubject::Document { kind, number, .. } => {
                Some((kind.to_string(), number.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect();
    checks.expect(sorted_pairs(reported.clone()) == sorted_pairs(failed.clone()), || {
        format!("{label}: issues {reported:?}, expected exactly the closed-period documents {failed:?}")
    });
    checks.expect(
        (report.export_counts().customers_created + report.export_counts().customers_matched)
            as usize
            == link.books.customers.len(),
        || {
            format!(
                "{label}: {} customers created + {} matched, expected {} (each customer once)",
                report.export_counts().customers_created,
                report.export_counts().customers_matched,
                link.books.customers.len()
            )
        },
    );
    let unexported = |kind: &str, numbers: &std::collections::BTreeSet<String>| {
        sorted(
            numbers
                .iter()
                .filter(|n| !failed.iter().any(|(k, f)| k == kind && f == *n))
                .cloned(),
        )
    };
    check_journals(
        checks,
        stack,
        link,
        unexported("invoice", &link.books.invoices),
        unexported("credit note", &link.books.credit_notes),
        "night 1",
    );
}

fn sorted_pairs(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

fn check_night_two(checks: &mut Checks, stack: &Stack, link: &Link, report: &RunReport) {
    let label = &link.label;
    checks.expect(report.status == RunStatus::Succeeded, || {
        format!("{label}: night 2 ended {:?}", report.status)
    });
    checks.expect(
        report.export_counts().exported as usize == link.expected_failures.len(),
        || {
            format!(
                "{label}: night 2 exported {}, expected only the {} reopened document(s)",
                report.export_counts().exported,
                link.expected_failures.len()
            )
        },
    );
    check_journals(
        checks,
        stack,
        link,
        sorted(link.books.invoices.iter().cloned()),
        sorted(link.books.credit_notes.iter().cloned()),
        "night 2",
    );
}

/// Exact's invoice and credit-note journals hold exactly these Teamleader numbers, once each.
fn check_journals(
    checks: &mut Checks,
    stack: &Stack,
    link: &Link,
    invoices: Vec<String>,
    credit_notes: Vec<String>,
    when: &str,
) {
    let label = &link.label;
    let by_journal = refs_by_journal(stack, link.division);
    let settings = &link.connection.settings;
    for (journal, expected, what) in [
        (&settings.invoice_journal, invoices, "invoices"),
        (&settings.credit_note_journal, credit_notes, "credit notes"),
    ] {
        let journal = journal.clone().unwrap_or_default();
        let held = by_journal.get(&journal).cloned().unwrap_or_default();
        checks.expect(held == expected, || {
            format!(
                "{label} ({when}): journal {journal} holds {} {what}, expected {} (each booked one exactly once, no drafts)",
                held.len(),
                expected.len()
            )
        });
    }
    let total: usize = by_journal.values().map(Vec::len).sum();
    checks.expect(
        by_journal.keys().all(|j| {
            Some(j) == settings.invoice_journal.as_ref()
                || Some(j) == settings.credit_note_journal.as_ref()
        }),
        || format!("{label} ({when}): {total} entries, some outside the chosen journals"),
    );
    if settings.attach_pdf {
        // One PDF document per booked entry, none left behind by refused entries.
        let documents = stack.exact.documents(link.division).len();
        let orphans = stack.exact.orphan_documents(link.division).len();
        println!("  {label} ({when}): documents in Exact: {documents} for {total} entries");
        checks.expect(documents == total && orphans == 0, || {
            format!(
                "{label} ({when}): {documents} documents for {total} entries, {orphans} that no entry refers to"
            )
        });
    }
}

/// API calls of both nights, 429s, token refreshes.
fn calls(stack: &Stack, exact_night_one: u64, teamleader_night_one: u64) {
    show::title("API calls (both nights)");
    let tl = stack.teamleader.request_counts();
    let tl_total: u64 = tl.values().sum();
    let tl_429 = stack
        .teamleader
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    let mut top: Vec<_> = tl.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    let top: Vec<String> = top
        .iter()
        .take(8)
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!(
        "  Teamleader  {tl_total} requests (night 1: {teamleader_night_one}), {tl_429} answered 429 — {}",
        top.join(", ")
    );
    let ex = stack.exact.stats();
    let ex_total: u64 = ex.requests.values().sum();
    let mut top: Vec<_> = ex.requests.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    let top: Vec<String> = top
        .iter()
        .take(8)
        .map(|(k, v)| format!("{} {v}", k.replace("/api/v1/", "")))
        .collect();
    println!(
        "  Exact       {ex_total} requests (night 1: {exact_night_one}), {} answered 429, {} answered 401 — {}",
        ex.rate_limited,
        ex.unauthorized,
        top.join(", ")
    );
    println!(
        "  token refreshes: Teamleader {}, Exact {} (access tokens last 1 hour and 10 minutes on the shared clock)",
        tl.get("oauth2/access_token").copied().unwrap_or(0),
        ex.calls_to("oauth2/token")
    );
    for division in [exact::DEFAULT_BE_DIVISION, exact::DEFAULT_NL_DIVISION] {
        println!(
            "  Exact quota division {division}: {} of today's {} calls used",
            stack.exact.calls_today(exact::DEFAULT_CLIENT_ID, division),
            EXACT_LIMITS.per_day
        );
    }
}
