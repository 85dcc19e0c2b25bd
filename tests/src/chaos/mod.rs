//! The fault-injection harness (`infra/dev chaos`): seeded schedules run the real jobs
//! against the simulators while workers are killed at store calls, answers are lost after
//! the ledger committed, messages are delivered twice and late, both APIs throw 429 bursts
//! and 5xx storms, tokens expire or die, periods close and quotas run out; then the
//! invariants of [`check`] must hold. A failing schedule is shrunk to the fewest faults that
//! still break it and printed with its replay command.

pub mod check;
pub mod ledger;
pub mod plan;
pub mod run;
pub mod tripwire;

use check::Outcome;
use plan::Plan;
use std::collections::BTreeMap;

/// What a set of schedules found.
#[derive(Debug, Default)]
pub struct Summary {
    /// Schedules run.
    pub schedules: u32,
    /// Of which on moto.
    pub on_moto: u32,
    /// Duplicates over all schedules.
    pub duplicates: u32,
    /// Losses over all schedules.
    pub lost: u32,
    /// Broken invariants over all schedules (duplicates and losses included).
    pub violations: u32,
    /// Invocations killed.
    pub kills: u32,
    /// Runs the sweeper closed as interrupted (none is left "Running": that is a violation).
    pub interrupted: u32,
    /// How often each fault class struck.
    pub fault_mix: BTreeMap<&'static str, u32>,
    /// Schedules per ledger.
    pub by_ledger: BTreeMap<&'static str, u32>,
    /// The "may have been sent twice" window of the ledgers without search (Clearfacts).
    pub window: Window,
    /// The failing schedules, shrunk.
    pub failures: Vec<Failure>,
}

/// A failing schedule.
#[derive(Debug)]
pub struct Failure {
    /// What the full plan found.
    pub outcome: Outcome,
    /// Indexes of the faults of the smallest plan that still fails.
    pub minimal: Vec<usize>,
    /// That smallest plan.
    pub plan: Plan,
}

impl Failure {
    /// The command that replays the smallest failing plan.
    pub fn replay_command(&self) -> String {
        let keep: Vec<String> = self.minimal.iter().map(usize::to_string).collect();
        format!(
            "infra/dev chaos --seed {} --schedules 1 --keep-faults '{}'",
            self.outcome.seed,
            keep.join(",")
        )
    }
}

/// How often the schedules of a ledger without search (Clearfacts) hit the window in which
/// an upload may have been sent twice, and what came of it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Window {
    /// Schedules booking in such a ledger.
    pub schedules: u32,
    /// Of which a run report named at least one document "may have been sent twice".
    pub schedules_hit: u32,
    /// Uploads stored whose answer a fault lost (the window's cause).
    pub lost_upload_answers: u32,
    /// Documents reported "may have been sent twice", over all schedules.
    pub reported: u32,
    /// Uploads beyond a document's first (every one must be of a reported document).
    pub repeat_uploads: u32,
    /// Reported documents that are in the ledger once (the answer was lost before anything
    /// was stored, or the worker died before the upload).
    pub reported_without_repeat: u32,
    /// Repeats no report named (each is an invariant violation too).
    pub silent_duplicates: u32,
    /// Documents lost in those schedules.
    pub lost: u32,
}

impl Window {
    /// Count one schedule of a ledger without search.
    pub fn add(&mut self, outcome: &Outcome) {
        self.schedules += 1;
        self.schedules_hit += u32::from(outcome.reported_maybe_twice > 0);
        self.lost_upload_answers += outcome.lost_upload_answers;
        self.reported += outcome.reported_maybe_twice;
        self.repeat_uploads += outcome.repeat_uploads;
        self.reported_without_repeat += outcome.reported_without_repeat;
        self.silent_duplicates += outcome.silent_duplicates;
        self.lost += outcome.lost;
    }

    /// One line: `Clearfacts window: S schedules, H hit it, A upload answers lost, R
    /// reported maybe-twice, U repeat uploads, W reported without repeat, D silent
    /// duplicates, L lost`.
    pub fn line(&self) -> String {
        format!(
            "Clearfacts window: {} schedules, {} hit it, {} upload answers lost, {} reported maybe-twice, {} repeat uploads, {} reported without repeat, {} silent duplicates, {} lost",
            self.schedules,
            self.schedules_hit,
            self.lost_upload_answers,
            self.reported,
            self.repeat_uploads,
            self.reported_without_repeat,
            self.silent_duplicates,
            self.lost
        )
    }
}

impl Summary {
    /// The last line of a run: `N schedules, D duplicates, L lost, V invariant violations`.
    pub fn last_line(&self) -> String {
        format!(
            "{} schedules, {} duplicates, {} lost, {} invariant violations",
            self.schedules, self.duplicates, self.lost, self.violations
        )
    }

    /// True when nothing was found.
    pub fn is_clean(&self) -> bool {
        self.duplicates == 0 && self.lost == 0 && self.violations == 0
    }

    fn add(&mut self, plan: &Plan, outcome: &Outcome) {
        self.schedules += 1;
        self.on_moto += u32::from(plan.moto);
        *self.by_ledger.entry(plan.ledger.name()).or_default() += 1;
        self.duplicates += outcome.duplicates;
        self.lost += outcome.lost;
        self.violations += outcome.violations.len() as u32;
        self.kills += outcome.kills;
        self.interrupted += outcome.interrupted;
        for class in &outcome.fired {
            *self.fault_mix.entry(class).or_default() += 1;
        }
        if !plan.ledger.finds_entries() {
            self.window.add(outcome);
        }
    }
}

/// How to run a set of schedules.
#[derive(Debug, Clone)]
pub struct ChaosOptions {
    /// First seed; schedule `i` uses `seed + i`.
    pub seed: u64,
    /// How many schedules.
    pub schedules: u32,
    /// Every n-th seed runs on moto (0: none).
    pub moto_every: u64,
    /// moto's URL (moto plans run in memory without it).
    pub moto_url: Option<String>,
    /// Run only these faults of each plan (a replay of a shrunk plan).
    pub keep_faults: Option<Vec<usize>>,
    /// Shrink failing plans.
    pub shrink: bool,
}

/// Run the schedules; `progress` hears about each (its plan and outcome) as it ends.
pub async fn run_schedules(
    options: &ChaosOptions,
    progress: &(dyn Fn(&Plan, &Outcome) + Sync),
) -> Summary {
    let mut summary = Summary::default();
    for i in 0..options.schedules {
        let seed = options.seed.wrapping_add(u64::from(i));
        let mut plan = Plan::draw(seed, options.moto_every);
        if let Some(keep) = &options.keep_faults {
            plan = plan.keeping(keep);
        }
        let moto_url = options.moto_url.as_deref();
        let outcome = run::run_plan(&plan, moto_url).await;
        summary.add(&plan, &outcome);
        progress(&plan, &outcome);
        if !outcome.is_clean() {
            let (minimal, smallest) = if options.shrink {
                shrink(&plan, moto_url).await
            } else {
                ((0..plan.faults.len()).collect(), plan.clone())
            };
            summary.failures.push(Failure {
                outcome,
                minimal,
                plan: smallest,
            });
        }
    }
    summary
}

/// The fewest faults of `plan` that still break an invariant: drop one fault at a time and
/// keep the drop while the plan still fails (a greedy pass; interleavings may differ from
/// run to run, so a drop is kept only when the smaller plan failed).
async fn shrink(plan: &Plan, moto_url: Option<&str>) -> (Vec<usize>, Plan) {
    let mut keep: Vec<usize> = (0..plan.faults.len()).collect();
    let mut i = 0;
    while i < keep.len() {
        let mut fewer = keep.clone();
        fewer.remove(i);
        let smaller = plan.keeping(&fewer);
        if !run::run_plan(&smaller, moto_url).await.is_clean() {
            keep = fewer;
        } else {
            i += 1;
        }
    }
    let smallest = plan.keeping(&keep);
    (keep, smallest)
}
