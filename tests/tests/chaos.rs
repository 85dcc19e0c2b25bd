//! The bounded fault-injection run of `infra/dev test`: 200 seeded schedules (every 20th on
//! moto: DynamoDB, SQS and Secrets Manager) over the real export, payment poll and company
//! import, in two halves that run side by side. Every invariant of `koppel_e2e::chaos::check`
//! must hold; a failure prints each failing seed, its violations and the command that replays
//! its smallest failing plan. The long run is `infra/dev chaos --schedules 2000`.

use koppel_e2e::chaos::{ChaosOptions, run_schedules};

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
    println!("{} ({} on moto)", summary.last_line(), summary.on_moto);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_hundred_schedules_keep_every_invariant() {
    half(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_hundred_schedules_keep_every_invariant() {
    half(1 + u64::from(HALF)).await;
}
