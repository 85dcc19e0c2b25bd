//! The bounded fault-injection run of `infra/dev test`: 200 seeded schedules (every 20th on
//! moto: DynamoDB, SQS and Secrets Manager) over the real export, payment poll and company
//! import, in two halves that run side by side. Every invariant of `koppel_e2e::chaos::check`
//! must hold; a failure prints each failing seed, its violations and the command that replays
//! its smallest failing plan. The long run is `infra/dev chaos --schedules 2000`.
//!
//! Clearfacts (a fifth of the schedules, and the plans below) cannot be searched: there the
//! invariant is no document lost and no repeat upload that no run report called "may have
//! been sent twice"; each half prints how often that window was hit.

use koppel_e2e::chaos::ledger::LedgerUnderTest;
use koppel_e2e::chaos::plan::{Fault, Phase, Plan};
use koppel_e2e::chaos::run::run_plan;
use koppel_e2e::chaos::{ChaosOptions, Window, run_schedules};
use koppel_sim::exact::CrashMode;

/// Schedules per half.
const HALF: u32 = 100;

async fn half(first_seed: u64) {
    let options = ChaosOptions {
        seed: first_seed,
        schedules: HALF,
        moto_every: 20,
        moto_url: Some(std::env::var("KOPPEL_TEST_MOTO_URL").expect(
            "KOPPEL_TEST_MOTO_URL is not set: run the tests with `infra/dev test` (it starts moto)",
        )),
        keep_faults: None,
        shrink: true,
    };
    let summary = run_schedules(&options, &|_, _| {}).await;
    let mut report = String::new();
    for failure in &summary.failures {
        report.push_str(&format!(
            "seed {}: {:?}\n  smallest plan: {:?}\n  replay: {}\n",
            failure.outcome.seed,
            failure.outcome.violations,
            failure.plan.faults,
            failure.replay_command()
        ));
    }
    assert!(summary.is_clean(), "{report}{}", summary.last_line());
    assert_eq!(summary.schedules, HALF);
    assert!(summary.on_moto >= 4, "some schedules ran on moto");
    assert!(summary.kills > 0, "workers were killed");
    assert!(
        summary.window.schedules > 0,
        "some schedules booked in Clearfacts"
    );
    println!("{} ({} on moto)", summary.last_line(), summary.on_moto);
    println!("{}", summary.window.line());
    println!("runs closed as interrupted: {}", summary.interrupted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_hundred_schedules_keep_every_invariant() {
    half(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_hundred_schedules_keep_every_invariant() {
    half(1 + u64::from(HALF)).await;
}

/// A plan that found a defect: its seed, what broke, the faults the shrinker kept.
type FoundBy = (u64, &'static str, Vec<(Phase, Fault)>);

/// The plans that found a defect, replayed as drawn from their seed with only the faults that
/// broke an invariant (what the shrinker kept), in Exact (where they were found) and in
/// Octopus. Store-call positions move as the code changes, so each replay is also run with
/// its faults a few calls earlier and later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plans_that_found_defects_keep_every_invariant() {
    let found: Vec<FoundBy> = vec![
        (
            105,
            "three late copies of the export message: two workers of one run posted the same documents",
            vec![(Phase::Export, Fault::Redelivered { at: 1, copies: 3 })],
        ),
        (
            113,
            "duplicate import messages: two invocations created the same Teamleader companies",
            vec![
                (
                    Phase::CompanyImport,
                    Fault::Redelivered { at: 9, copies: 1 },
                ),
                (
                    Phase::CompanyImport,
                    Fault::Kill {
                        at: 6,
                        after: true,
                        dead_letter: false,
                    },
                ),
            ],
        ),
        (
            1164,
            "an answer lost after booking, then the daily quota: the failed lookup left the document pending and it was posted again",
            vec![
                (Phase::Export, Fault::DailyQuotaSpent { at: 6, left: 4 }),
                (
                    Phase::Export,
                    Fault::ExactAnswerLost {
                        at: 4,
                        count: 1,
                        mode: CrashMode::InternalError,
                    },
                ),
            ],
        ),
    ];
    let mut broken = Vec::new();
    for (seed, what, faults) in found {
        for (ledger, shift) in [LedgerUnderTest::Exact, LedgerUnderTest::Octopus]
            .into_iter()
            .flat_map(|ledger| [-2i64, -1, 0, 1, 2].map(|shift| (ledger, shift)))
        {
            let mut plan = Plan::draw(seed, 0);
            plan.ledger = ledger;
            plan.faults = faults
                .iter()
                .map(|(phase, fault)| (*phase, fault.shifted(shift)))
                .collect();
            let outcome = run_plan(&plan, None).await;
            if !outcome.is_clean() {
                broken.push(format!(
                    "seed {seed} in {} shifted {shift} ({what}): {:?}",
                    ledger.name(),
                    outcome.violations
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

/// Clearfacts offers no search: an upload whose answer is lost (stored, then a 500 or a
/// dropped connection) is sent again and reported "may have been sent twice". Alone, with a
/// worker killed after a store write, with late copies of the message, with tokens expiring,
/// and the plans that found defects elsewhere: nothing lost, no silent repeat, and the window
/// is really hit (repeats happen, and each was reported).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearfacts_lost_upload_answers_are_sent_again_and_reported_never_silently() {
    use CrashMode::{DropConnection, InternalError};
    let lost = |at, count, mode| Fault::ExactAnswerLost { at, count, mode };
    let plans: Vec<(u64, Vec<(Phase, Fault)>)> = vec![
        (1164, vec![(Phase::Export, lost(1, 1, InternalError))]),
        (1164, vec![(Phase::Export, lost(2, 2, DropConnection))]),
        (
            105,
            vec![
                (Phase::Export, lost(3, 2, InternalError)),
                (
                    Phase::Export,
                    Fault::Kill {
                        at: 9,
                        after: true,
                        dead_letter: false,
                    },
                ),
            ],
        ),
        (
            113,
            vec![
                (Phase::Export, lost(2, 1, DropConnection)),
                (Phase::Export, Fault::Redelivered { at: 4, copies: 2 }),
                (Phase::Export, Fault::TokensExpire { at: 6 }),
            ],
        ),
        (
            105,
            vec![(Phase::Export, Fault::Redelivered { at: 1, copies: 3 })],
        ),
        (
            1164,
            vec![
                (Phase::Export, Fault::DailyQuotaSpent { at: 6, left: 4 }),
                (Phase::Export, lost(4, 1, InternalError)),
            ],
        ),
    ];
    let mut window = Window::default();
    let mut broken = Vec::new();
    for (seed, faults) in plans {
        let mut plan = Plan::draw(seed, 0);
        plan.ledger = LedgerUnderTest::Clearfacts;
        plan.faults = faults;
        let outcome = run_plan(&plan, None).await;
        if !outcome.is_clean() {
            broken.push(format!(
                "seed {seed} {:?}: {:?}",
                plan.faults, outcome.violations
            ));
        }
        window.add(&outcome);
    }
    println!("{}", window.line());
    assert!(broken.is_empty(), "{broken:#?}");
    assert!(
        window.repeat_uploads > 0 && window.schedules_hit >= 3,
        "lost upload answers must lead to repeats, each reported: {}",
        window.line()
    );
}

/// A worker killed mid-export whose message is dead-lettered (its receive count spent):
/// nothing delivers the run again, so its report would say "Running" for ever. The sweeper
/// closes it as interrupted, the next nights export the rest, and every invariant holds —
/// in each ledger, the kill early and late in the run. (Store call 4 is the report written as
/// the invocation starts; a kill before it leaves no report at all, so nothing says Running.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_lettered_export_is_closed_as_interrupted_and_nothing_is_lost() {
    let mut broken = Vec::new();
    let mut interrupted = 0;
    for ledger in [
        LedgerUnderTest::Exact,
        LedgerUnderTest::Octopus,
        LedgerUnderTest::Twinfield,
        LedgerUnderTest::Clearfacts,
    ] {
        for at in [4, 9, 15] {
            let mut plan = Plan::draw(7, 0);
            plan.ledger = ledger;
            plan.faults = vec![(
                Phase::Export,
                Fault::Kill {
                    at,
                    after: true,
                    dead_letter: true,
                },
            )];
            let outcome = run_plan(&plan, None).await;
            assert_eq!(
                outcome.kills, 1,
                "{ledger:?}: the kill at store call {at} struck"
            );
            interrupted += outcome.interrupted;
            if !outcome.is_clean() {
                broken.push(format!("{ledger:?} kill at {at}: {:?}", outcome.violations));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
    assert_eq!(
        interrupted, 12,
        "every killed run was closed by the sweeper"
    );
}
