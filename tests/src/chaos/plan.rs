//! A schedule's plan, drawn from its seed: the account, the workers, and the faults with the
//! moment each strikes. The same seed always gives the same plan, so a failing schedule is
//! replayed by its seed alone; a shrunk plan is replayed by its seed and the faults it kept.

use super::ledger::LedgerUnderTest;
use koppel_sim::{exact, teamleader};

/// A small deterministic random source (SplitMix64): plans must not depend on a crate's
/// idea of randomness changing between versions.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    /// Dice for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One of `choices`.
    pub fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[(self.next_u64() % choices.len() as u64) as usize]
    }
}

/// The job a fault strikes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The invoice export.
    Export,
    /// The payment poll (after payments were registered on both sides).
    PaymentPoll,
    /// The company import (ledger customers into Teamleader).
    CompanyImport,
}

impl Phase {
    /// Every phase, in the order a schedule runs them.
    pub const ALL: [Phase; 3] = [Phase::Export, Phase::PaymentPoll, Phase::CompanyImport];
}

/// A bad answer from Exact in place of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadAnswer {
    /// 200 with an HTML maintenance page.
    HtmlPage,
    /// 200 with JSON cut off halfway.
    CutJson,
    /// 503 carrying Exact's JSON error body.
    JsonOutage,
    /// 502 with a proxy's HTML page.
    HtmlGateway,
}

/// One fault of a plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The invocation making store call `at` of the phase is killed (its future dropped),
    /// before the call reaches the store or, `after`, once it did.
    Kill {
        /// 1-based store call of the phase.
        at: u64,
        /// Killed after the call was carried out (its result lost).
        after: bool,
        /// The killed invocation's messages are not delivered again: SQS moved them to the
        /// dead-letter queue (their receive count was spent). Its run must be closed as
        /// interrupted by the sweeper, and what it did not do goes with the next runs.
        dead_letter: bool,
    },
    /// From store call `at` on, Exact answers `count` calls with `status` (5xx storm or a
    /// bare 429 burst), only calls to `path` when given.
    ExactFailures {
        /// Store call of the phase it starts at (0: before the phase).
        at: u64,
        /// How many calls.
        count: u32,
        /// HTTP status.
        status: u16,
        /// Only calls whose resource contains this.
        path: Option<&'static str>,
    },
    /// Exact books the next `count` posted entries but the answer is lost.
    ExactAnswerLost {
        /// Store call of the phase it is armed at.
        at: u64,
        /// How many entries.
        count: u32,
        /// A dropped connection or a 500.
        mode: exact::CrashMode,
    },
    /// From store call `at` on, Exact answers `count` calls with a malformed or HTML body.
    ExactBadAnswers {
        /// Store call of the phase it is armed at.
        at: u64,
        /// How many calls.
        count: u32,
        /// What comes back.
        answer: BadAnswer,
    },
    /// Teamleader answers `count` calls with a fault (5xx, or 429 with a reset).
    TeamleaderFailures {
        /// Store call of the phase it is armed at.
        at: u64,
        /// How many calls.
        count: u32,
        /// 5xx status, or 429 when `None`.
        status: Option<u16>,
    },
    /// Both sides' access tokens expire at store call `at`.
    TokensExpire {
        /// Store call of the phase.
        at: u64,
    },
    /// The user withdraws Koppel's access in Exact at store call `at`.
    ExactAccessRevoked {
        /// Store call of the phase.
        at: u64,
    },
    /// At store call `at` Exact's access token expires and the refresh that follows is
    /// carried out but its answer lost: the refresh token is spent, nothing can recover.
    RefreshAnswerLost {
        /// Store call of the phase.
        at: u64,
    },
    /// The period of today is closed in Exact before the phase (reopened for the recovery).
    PeriodClosed,
    /// Exact's daily quota runs out a few calls after store call `at` (the next day resets).
    DailyQuotaSpent {
        /// Store call of the phase.
        at: u64,
        /// Calls left when it is armed.
        left: u32,
    },
    /// The phase's job message is delivered `copies` more times, the last ones at store call
    /// `at` (late redeliveries while the first is still running).
    Redelivered {
        /// Store call of the phase for the late copies.
        at: u64,
        /// Extra copies.
        copies: u32,
    },
}

impl Fault {
    /// The class of the fault, for the fault mix in figures.
    pub fn class(&self) -> &'static str {
        match self {
            Self::Kill {
                dead_letter: true, ..
            } => "worker killed, message dead-lettered",
            Self::Kill { after: false, .. } => "worker killed before a store write",
            Self::Kill { after: true, .. } => "worker killed after a store write",
            Self::ExactFailures { status: 429, .. } => "ledger 429 burst",
            Self::ExactFailures { .. } => "ledger 5xx storm",
            Self::ExactAnswerLost { .. } => "ledger answer lost after commit",
            Self::ExactBadAnswers { .. } => "ledger malformed or HTML answers",
            Self::TeamleaderFailures { status: None, .. } => "Teamleader 429 burst",
            Self::TeamleaderFailures { .. } => "Teamleader 5xx storm",
            Self::TokensExpire { .. } => "access tokens expire mid-run",
            Self::ExactAccessRevoked { .. } => "access revoked in the ledger",
            Self::RefreshAnswerLost { .. } => "refresh answer lost after rotation",
            Self::PeriodClosed => "period closed then reopened",
            Self::DailyQuotaSpent { .. } => "daily quota spent mid-run",
            Self::Redelivered { .. } => "duplicate and late deliveries",
        }
    }

    /// The same fault `by` store calls later (earlier when negative; never before call 1).
    pub fn shifted(&self, by: i64) -> Self {
        let move_at = |at: u64| {
            if at == 0 {
                0
            } else {
                at.saturating_add_signed(by).max(1)
            }
        };
        let mut fault = self.clone();
        match &mut fault {
            Self::Kill { at, .. }
            | Self::ExactFailures { at, .. }
            | Self::ExactAnswerLost { at, .. }
            | Self::ExactBadAnswers { at, .. }
            | Self::TeamleaderFailures { at, .. }
            | Self::TokensExpire { at }
            | Self::ExactAccessRevoked { at }
            | Self::RefreshAnswerLost { at }
            | Self::DailyQuotaSpent { at, .. }
            | Self::Redelivered { at, .. } => *at = move_at(*at),
            Self::PeriodClosed => {}
        }
        fault
    }

    /// True when the connection may end up asking for a new sign-in because of it.
    pub fn ends_access(&self) -> bool {
        matches!(
            self,
            Self::ExactAccessRevoked { .. } | Self::RefreshAnswerLost { .. }
        )
    }
}

/// What a user changes between the export and the payment poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The amount of the n-th booked invoice is edited in Teamleader after export.
    EditInvoice(usize),
    /// The n-th exported entry is deleted in Exact.
    DeleteEntry(usize),
    /// The n-th booked invoice is deleted in Teamleader after export.
    DeleteInvoice(usize),
    /// The n-th booked invoice is fully reconciled in Exact.
    PayInFull(usize),
    /// The n-th booked invoice is partly reconciled in Exact (a third of it).
    PayInPart(usize),
    /// The n-th booked invoice gets a payment registered by hand in Teamleader.
    PayByHand(usize),
}

/// Everything a schedule does, drawn from its seed.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The seed it was drawn from.
    pub seed: u64,
    /// Koppel's state on moto (DynamoDB, SQS, Secrets Manager) instead of in memory.
    pub moto: bool,
    /// The Teamleader account.
    pub account: teamleader::GenerateSpec,
    /// Teamleader companies that already exist as customers in Exact (matched, not created).
    pub shared_customers: usize,
    /// Exact customers only in Exact (for the company import).
    pub ledger_only_customers: usize,
    /// Workers (Lambda instances) per queue.
    pub workers: usize,
    /// Messages per invocation.
    pub batch_size: i32,
    /// The faults, each with its phase.
    pub faults: Vec<(Phase, Fault)>,
    /// What users change between the export and the payment poll.
    pub changes: Vec<Change>,
    /// The ledger it books in (drawn last, so adding it left every other draw as it was).
    pub ledger: LedgerUnderTest,
}

impl Plan {
    /// The plan of `seed`; every `moto_every`-th seed (0: none) runs on moto.
    pub fn draw(seed: u64, moto_every: u64) -> Self {
        let mut dice = Dice::new(seed);
        let invoices = dice.between(2, 10) as usize;
        let credit_notes = dice.between(0, 3) as usize;
        let companies = dice.between(1, 5) as usize;
        let account = teamleader::GenerateSpec {
            seed,
            departments: 1,
            companies,
            contacts: 0,
            invoices,
            drafts: dice.between(0, 3) as usize,
            credit_notes,
            paid_percent: 0,
            days: 20,
            ..Default::default()
        };
        let documents = (invoices + credit_notes) as u64;
        // Store calls of an export: a handful per document plus the run's own.
        let export_calls = 6 * documents + 12;
        let mut faults = Vec::new();
        for phase in Phase::ALL {
            let calls = match phase {
                Phase::Export => export_calls,
                Phase::PaymentPoll => 2 * documents + 10,
                Phase::CompanyImport => 12,
            };
            let count = dice.between(0, 4);
            for _ in 0..count {
                let at = dice.between(1, calls);
                let fault = match dice.between(0, 12) {
                    // About one kill in seven also dead-letters its message; taken from `at`
                    // rather than a new draw, so every other draw of every seed stays as it was.
                    0..=2 => Fault::Kill {
                        at,
                        after: dice.chance(60),
                        dead_letter: at % 7 == 3,
                    },
                    3 => Fault::ExactFailures {
                        at: if dice.chance(30) { 0 } else { at },
                        count: dice.between(1, 8) as u32,
                        status: dice.pick(&[500, 502, 503, 429]),
                        path: dice.pick(&[
                            None,
                            Some("SalesEntries"),
                            Some("Accounts"),
                            Some("Receivables"),
                        ]),
                    },
                    4 => Fault::ExactAnswerLost {
                        at,
                        count: dice.between(1, 3) as u32,
                        mode: dice.pick(&[
                            exact::CrashMode::DropConnection,
                            exact::CrashMode::InternalError,
                        ]),
                    },
                    5 => Fault::TeamleaderFailures {
                        at,
                        count: dice.between(1, 6) as u32,
                        status: dice.pick(&[None, Some(500), Some(503)]),
                    },
                    6 => Fault::TokensExpire { at },
                    7 if dice.chance(35) => Fault::ExactAccessRevoked { at },
                    7 => Fault::RefreshAnswerLost { at },
                    8 => Fault::PeriodClosed,
                    9 => Fault::DailyQuotaSpent {
                        at,
                        left: dice.between(0, 6) as u32,
                    },
                    10 => Fault::ExactBadAnswers {
                        at,
                        count: dice.between(1, 4) as u32,
                        answer: dice.pick(&[
                            BadAnswer::HtmlPage,
                            BadAnswer::CutJson,
                            BadAnswer::JsonOutage,
                            BadAnswer::HtmlGateway,
                        ]),
                    },
                    _ => Fault::Redelivered {
                        at,
                        copies: dice.between(1, 3) as u32,
                    },
                };
                faults.push((phase, fault));
            }
        }
        let mut changes = Vec::new();
        for _ in 0..dice.between(0, 4) {
            let n = dice.between(0, invoices as u64 - 1) as usize;
            changes.push(dice.pick(&[
                Change::EditInvoice(n),
                Change::DeleteEntry(n),
                Change::PayInFull(n),
                Change::PayInPart(n),
                Change::PayByHand(n),
                Change::PayInFull(n),
                Change::DeleteInvoice(n),
            ]));
        }
        Self {
            seed,
            moto: moto_every > 0 && seed.is_multiple_of(moto_every),
            account,
            shared_customers: dice.between(0, companies as u64) as usize,
            ledger_only_customers: dice.between(0, 3) as usize,
            workers: dice.between(1, 5) as usize,
            batch_size: dice.between(1, 3) as i32,
            faults,
            changes,
            // Exact 35%, Octopus 25%, Twinfield 20%, Clearfacts 20%.
            ledger: match dice.between(0, 99) {
                0..=24 => LedgerUnderTest::Octopus,
                25..=44 => LedgerUnderTest::Twinfield,
                45..=64 => LedgerUnderTest::Clearfacts,
                _ => LedgerUnderTest::Exact,
            },
        }
    }

    /// The plan with only the faults at `keep` (indexes into [`Plan::faults`]).
    pub fn keeping(&self, keep: &[usize]) -> Self {
        let mut plan = self.clone();
        plan.faults = keep
            .iter()
            .filter_map(|&i| self.faults.get(i).cloned())
            .collect();
        plan
    }

    /// The faults of `phase`.
    pub fn faults_of(&self, phase: Phase) -> Vec<Fault> {
        self.faults
            .iter()
            .filter(|(p, _)| *p == phase)
            .map(|(_, f)| f.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_draws_the_same_plan() {
        for seed in [0, 1, 42, u64::MAX] {
            let (a, b) = (Plan::draw(seed, 10), Plan::draw(seed, 10));
            assert_eq!(a.faults, b.faults);
            assert_eq!(a.changes, b.changes);
            assert_eq!((a.workers, a.batch_size), (b.workers, b.batch_size));
        }
    }

    #[test]
    fn two_hundred_seeds_draw_every_fault_class() {
        let classes: std::collections::BTreeSet<&str> = (0..200)
            .flat_map(|seed| Plan::draw(seed, 0).faults)
            .map(|(_, fault)| fault.class())
            .collect();
        assert_eq!(classes.len(), 15, "{classes:?}");
    }

    #[test]
    fn the_schedules_book_in_every_ledger() {
        for (ledger, share) in [
            (LedgerUnderTest::Exact, 70),
            (LedgerUnderTest::Octopus, 50),
            (LedgerUnderTest::Twinfield, 40),
            (LedgerUnderTest::Clearfacts, 40),
        ] {
            let count = (0..200)
                .filter(|&seed| Plan::draw(seed, 0).ledger == ledger)
                .count();
            assert!(count.abs_diff(share) <= 25, "{ledger:?}: {count}");
        }
    }
}
