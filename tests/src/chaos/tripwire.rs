//! The fault schedule in motion: counts the store calls the jobs make, fires each fault at
//! its call, and kills the invocation that makes a killing call. Store calls are the points
//! where a job's progress becomes visible, so "the 7th store call" names the same moment of a
//! run every time its plan is replayed, whatever this machine's speed.

use super::ledger::{LedgerRemote, LedgerUnderTest};
use super::plan::Fault;
use crate::stack::{InvocationKiller, current_invocation};
use crate::store_hook::StoreHook;
use futures::future::BoxFuture;
use koppel_core::{Job, JobQueue};
use koppel_sim::teamleader;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// What a fault does to the simulators (and the queue) when its store call comes.
pub struct Remotes {
    /// The ledger the schedule books in.
    pub ledger: LedgerUnderTest,
    /// Its simulator's control.
    pub ledger_remote: LedgerRemote,
    /// Teamleader's faults.
    pub teamleader: teamleader::FaultRemote,
    /// The queue the phase's job message is delivered through once more.
    pub queue: Arc<dyn JobQueue>,
}

#[derive(Default)]
struct Armed {
    faults: Vec<Fault>,
    job: Option<Job>,
    killed: HashSet<u32>,
    dead_lettered: HashSet<u32>,
    kills: u32,
    fired: Vec<&'static str>,
}

/// Counts the jobs' store calls and fires the armed faults (see the module doc).
pub struct Tripwire {
    remotes: Remotes,
    calls: AtomicU64,
    armed: Mutex<Armed>,
    killed: Notify,
}

impl Tripwire {
    /// A tripwire with nothing armed.
    pub fn new(remotes: Remotes) -> Self {
        Self {
            remotes,
            calls: AtomicU64::new(0),
            armed: Mutex::new(Armed::default()),
            killed: Notify::new(),
        }
    }

    fn armed(&self) -> MutexGuard<'_, Armed> {
        self.armed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start a phase whose message is `job`: count from zero, arm `faults` (those at call 0
    /// strike at once).
    pub async fn arm(&self, faults: Vec<Fault>, job: Job) {
        self.calls.store(0, Ordering::SeqCst);
        let due: Vec<Fault> = {
            let mut armed = self.armed();
            armed.faults = faults;
            armed.job = Some(job);
            armed.killed.clear();
            let (now, later): (Vec<Fault>, Vec<Fault>) = std::mem::take(&mut armed.faults)
                .into_iter()
                .partition(|f| at_of(f) == Some(0) || at_of(f).is_none());
            armed.faults = later;
            now
        };
        for fault in due {
            self.strike(&fault).await;
        }
    }

    /// Disarm whatever did not strike yet.
    pub fn disarm(&self) {
        self.armed().faults.clear();
    }

    /// Invocations killed so far.
    pub fn kills(&self) -> u32 {
        self.armed().kills
    }

    /// The classes of the faults that struck, in order.
    pub fn fired(&self) -> Vec<&'static str> {
        self.armed().fired.clone()
    }

    /// Store call `n` is about to be made: strike the faults due, and say whether the
    /// calling invocation dies (before or after the call).
    async fn on_call(&self, n: u64) -> Option<(bool, bool)> {
        let (due, kill) = {
            let mut armed = self.armed();
            let mut due = Vec::new();
            let mut kill = None;
            let mut kept = Vec::new();
            for fault in std::mem::take(&mut armed.faults) {
                match fault {
                    Fault::Kill {
                        at,
                        after,
                        dead_letter,
                    } if at == n => {
                        kill = Some((after, dead_letter));
                        armed.fired.push(fault.class());
                    }
                    ref other if at_of(other) == Some(n) => due.push(fault),
                    other => kept.push(other),
                }
            }
            armed.faults = kept;
            (due, kill)
        };
        for fault in due {
            self.strike(&fault).await;
        }
        kill
    }

    fn kill(&self, invocation: u32, dead_letter: bool) {
        {
            let mut armed = self.armed();
            armed.killed.insert(invocation);
            if dead_letter {
                armed.dead_lettered.insert(invocation);
            }
            armed.kills += 1;
        }
        self.killed.notify_waiters();
    }

    /// Carry out a fault on the simulators.
    async fn strike(&self, fault: &Fault) {
        let remotes = &self.remotes;
        match fault {
            Fault::Kill { .. } => return,
            // A fault with no meaning in this ledger (a period in Clearfacts) did not strike.
            unfelt if !remotes.ledger.feels(unfelt) => return,
            Fault::TeamleaderFailures { count, status, .. } => {
                remotes.teamleader.inject_fault(teamleader::Fault {
                    kind: match status {
                        Some(status) => teamleader::FaultKind::Status { status: *status },
                        None => teamleader::FaultKind::RateLimited {
                            reset_after_seconds: 2,
                        },
                    },
                    count: *count,
                    endpoint: None,
                })
            }
            Fault::TokensExpire { .. } => {
                remotes.ledger.strike(&remotes.ledger_remote, fault);
                remotes.teamleader.expire_access_tokens(None);
            }
            Fault::Redelivered { copies, .. } => {
                let job = self.armed().job.clone();
                if let Some(job) = job {
                    let copies = vec![job; *copies as usize];
                    // A redelivery that cannot be sent is simply not made.
                    let _ = remotes.queue.send(&copies).await;
                }
            }
            ledger_fault => remotes.ledger.strike(&remotes.ledger_remote, ledger_fault),
        }
        self.armed().fired.push(fault.class());
    }
}

/// The store call a fault strikes at (`None`: before the phase).
fn at_of(fault: &Fault) -> Option<u64> {
    match fault {
        Fault::Kill { at, .. }
        | Fault::ExactFailures { at, .. }
        | Fault::ExactAnswerLost { at, .. }
        | Fault::ExactBadAnswers { at, .. }
        | Fault::TeamleaderFailures { at, .. }
        | Fault::TokensExpire { at }
        | Fault::ExactAccessRevoked { at }
        | Fault::RefreshAnswerLost { at }
        | Fault::DailyQuotaSpent { at, .. }
        | Fault::Redelivered { at, .. } => Some(*at),
        Fault::PeriodClosed => None,
    }
}

impl StoreHook for Arc<Tripwire> {
    fn around<'a, T: Send + 'a>(
        &'a self,
        _name: &'static str,
        call: BoxFuture<'a, T>,
    ) -> BoxFuture<'a, T> {
        Box::pin(async move {
            // Only the jobs' calls count; the harness's own reads pass through.
            let Some(invocation) = current_invocation() else {
                return call.await;
            };
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            match self.on_call(n).await {
                None => call.await,
                Some((after, dead_letter)) => {
                    if after {
                        let _lost = call.await;
                    }
                    self.kill(invocation, dead_letter);
                    std::future::pending().await
                }
            }
        })
    }
}

impl InvocationKiller for Arc<Tripwire> {
    fn dead_lettered(&self, number: u32) -> bool {
        self.armed().dead_lettered.contains(&number)
    }

    fn killed(&self, number: u32) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            loop {
                let notified = self.killed.notified();
                if self.armed().killed.contains(&number) {
                    return;
                }
                notified.await;
            }
        })
    }
}
