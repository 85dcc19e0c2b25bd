//! `bench`: the export benchmark behind `infra/dev bench` and docs/PERFORMANCE.md.
//!
//! For each run it generates a Teamleader account in the simulator, links its department to
//! the Exact BE division and runs the nightly export through the real handler and clients,
//! then reports calls per document (Exact split by purpose, Teamleader), documents per
//! second, pacing against Exact's quota with limits on, and memory. Every run happens in a
//! fresh child process (this binary with `--child`), so one run's memory does not colour the
//! next. Exits with status 2 when a target of the issue is missed.
//!
//! Then the other jobs (`bench/jobs.rs`): the payment poll, the company import and the merge
//! preview, each in its own child process too (`--child-job`); `--jobs none` leaves them out.
//!
//! Then Octopus (`bench/octopus.rs`): the export of the same accounts (`--docs`) to the
//! Octopus simulator and a payment poll of `--octopus-poll` open documents, each in a child
//! process (`--child-octopus`). `--ledgers` picks the ledgers measured (`exact`, `octopus`,
//! `twinfield`, `clearfacts`, or a list; all of them by default); Exact's payment poll, company import and
//! merge preview belong to `exact`.
//!
//! Then Twinfield (`bench/twinfield.rs`): the export of the same accounts to the Twinfield
//! simulator on virtual time (SOAP calls and credits per document, 429s, simulated minutes
//! of credits pacing) and a payment poll of `--twinfield-poll` open documents, each in a
//! child process (`--child-twinfield`). `--ledgers` takes `twinfield` too.
//!
//! Then Clearfacts (`bench/clearfacts.rs`): the export of `--clearfacts-docs` documents
//! (default 300) to the Clearfacts simulator — uploads and company checks per document, the
//! Peppol BIS 3 / PDF split, the time of the official rules' check per document — and a
//! payment poll over them, in a child process (`--child-clearfacts`). `--ledgers` takes
//! `clearfacts` too; the default is all four. The official rules come from the environment
//! (`KOPPEL_PEPPOL_PYTHON`, `EINVOICE_RULES_DIR`, in `.dev/env`); without them every document
//! goes as its PDF and the check is not timed.
//!
//! The night (`bench/night.rs`, docs/CAPACITY.md) runs only when asked: `bench night`
//! (`infra/dev bench night`), or `night` in the `--ledgers` list. `--night-connections`
//! connections (default 1,000) exported to Exact on virtual time with the quotas on and the
//! APIs' assumed latencies, drained by each of `--night-workers` worker counts (default
//! 10,50; the runs side by side, each in a child process, `--child-night`), against the paper
//! figure of `bench/night_model.rs`; `--night-pdf off` without the PDF attached. About seven
//! minutes on a 2-core machine, hence not in the default set.
//!
//! ```text
//! bench [--docs 1000,10000] [--pdf-docs 1000] [--pacing-docs 1000] [--speed X]
//!       [--seed N] [--jobs all|none] [--ledgers exact,octopus,twinfield,clearfacts]
//!       [--octopus-poll N|none] [--twinfield-poll N|none] [--clearfacts-docs N]
//!       [night] [--night-workers 10,50] [--night-connections 1000] [--night-pdf on|off]
//!       [--out FILE]
//! ```

#[path = "bench/clearfacts.rs"]
mod clearfacts;
#[path = "bench/clearfacts_report.rs"]
mod clearfacts_report;
#[path = "bench/heap.rs"]
mod heap;
#[path = "bench/jobs.rs"]
mod jobs;
#[path = "bench/jobs_report.rs"]
mod jobs_report;
#[path = "bench/night.rs"]
mod night;
#[path = "bench/night_model.rs"]
mod night_model;
#[path = "bench/night_report.rs"]
mod night_report;
#[path = "bench/octopus.rs"]
mod octopus;
#[path = "bench/octopus_report.rs"]
mod octopus_report;
#[path = "bench/process_memory.rs"]
mod process_memory;
#[path = "bench/report.rs"]
mod report;
#[path = "bench/scenario.rs"]
mod scenario;
#[path = "bench/tagged_source.rs"]
mod tagged_source;
#[path = "bench/tagged_store.rs"]
mod tagged_store;
#[path = "bench/thread_cpu.rs"]
mod thread_cpu;
#[path = "bench/twinfield.rs"]
mod twinfield;
#[path = "bench/twinfield_report.rs"]
mod twinfield_report;

use scenario::{Measurement, Scenario, exact_api_calls};
use std::fmt::Write;
use std::process::{Command, ExitCode, Stdio};

#[global_allocator]
static ALLOCATOR: heap::TaggingAllocator = heap::TaggingAllocator;

/// Marks the child's result line on its standard output.
const RESULT_PREFIX: &str = "BENCH-RESULT ";
/// Slowest and fastest clock for the pacing run.
const SPEED_RANGE: (f64, f64) = (10.0, 600.0);

/// What to run, from the command line.
#[derive(Debug, Clone, PartialEq)]
struct Plan {
    docs: Vec<usize>,
    pdf_docs: Option<usize>,
    pacing_docs: Option<usize>,
    speed: Option<f64>,
    seed: u64,
    jobs: bool,
    /// Measure Exact (the export runs and the other jobs).
    exact: bool,
    /// Measure Octopus (the export runs and its payment poll).
    octopus: bool,
    /// Open documents of Octopus's payment poll (`None`: no poll run).
    octopus_poll: Option<usize>,
    /// Measure Twinfield (the export runs and its payment poll).
    twinfield: bool,
    /// Open documents of Twinfield's payment poll (`None`: no poll run).
    twinfield_poll: Option<usize>,
    /// Measure Clearfacts (the export and a payment poll over it).
    clearfacts: bool,
    /// Documents of Clearfacts' export.
    clearfacts_docs: usize,
    /// Measure the night (connections drained by N workers, docs/CAPACITY.md).
    night: bool,
    /// Worker counts of the night's runs.
    night_workers: Vec<usize>,
    /// Connections of the night.
    night_connections: usize,
    /// The night's connections attach each document's PDF (the default setting).
    night_pdf: bool,
    out: Option<String>,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            docs: vec![1_000, 10_000],
            pdf_docs: Some(1_000),
            pacing_docs: Some(1_000),
            speed: None,
            seed: 2026,
            jobs: true,
            exact: true,
            octopus: true,
            octopus_poll: Some(10_000),
            twinfield: true,
            twinfield_poll: Some(10_000),
            clearfacts: true,
            clearfacts_docs: 300,
            night: false,
            night_workers: vec![10, 50],
            night_connections: 1_000,
            night_pdf: true,
            out: None,
        }
    }
}

/// A command-line or run failure, in words.
#[derive(Debug)]
struct BenchError(String);

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const USAGE: &str = "usage: bench [--docs 1000,10000] [--pdf-docs N|none] [--pacing-docs N|none] [--speed X] [--seed N] [--jobs all|none] [--ledgers exact,octopus,twinfield,clearfacts,night] [--octopus-poll N|none] [--twinfield-poll N|none] [--clearfacts-docs N] [night] [--night-workers 10,50] [--night-connections 1000] [--night-pdf on|off] [--out FILE]";

fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, BenchError> {
    value
        .as_deref()
        .and_then(|v| v.replace('_', "").parse().ok())
        .ok_or_else(|| BenchError(format!("{flag} needs a number\n{USAGE}")))
}

fn optional_number(flag: &str, value: Option<String>) -> Result<Option<usize>, BenchError> {
    match value.as_deref() {
        Some("none") => Ok(None),
        _ => number(flag, value).map(Some),
    }
}

fn parse_plan(args: impl IntoIterator<Item = String>) -> Result<Plan, BenchError> {
    let mut plan = Plan::default();
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--docs" => {
                let list = args.next().unwrap_or_default();
                plan.docs = list
                    .split(',')
                    .map(|n| number("--docs", Some(n.trim().to_owned())))
                    .collect::<Result<_, _>>()?;
            }
            "--pdf-docs" => plan.pdf_docs = optional_number("--pdf-docs", args.next())?,
            "--pacing-docs" => plan.pacing_docs = optional_number("--pacing-docs", args.next())?,
            "--speed" => plan.speed = Some(number("--speed", args.next())?),
            "--seed" => plan.seed = number("--seed", args.next())?,
            "--jobs" => {
                plan.jobs = match args.next().as_deref() {
                    Some("all") => true,
                    Some("none") => false,
                    _ => return Err(BenchError(format!("--jobs takes all or none\n{USAGE}"))),
                }
            }
            "--ledgers" | "night" => {
                let list = if flag == "night" {
                    "night".to_owned()
                } else {
                    args.next().unwrap_or_default()
                };
                plan.exact = false;
                plan.octopus = false;
                plan.twinfield = false;
                plan.clearfacts = false;
                plan.night = false;
                for ledger in list.split(',').map(str::trim) {
                    match ledger {
                        "exact" => plan.exact = true,
                        "octopus" => plan.octopus = true,
                        "twinfield" => plan.twinfield = true,
                        "clearfacts" => plan.clearfacts = true,
                        "night" => plan.night = true,
                        _ => {
                            return Err(BenchError(format!(
                                "--ledgers takes exact, octopus, twinfield, clearfacts, night or a list (exact,octopus,twinfield,clearfacts,night)\n{USAGE}"
                            )));
                        }
                    }
                }
            }
            "--night-workers" => {
                let list = args.next().unwrap_or_default();
                plan.night_workers = list
                    .split(',')
                    .map(|n| number("--night-workers", Some(n.trim().to_owned())))
                    .collect::<Result<_, _>>()?;
            }
            "--night-connections" => {
                plan.night_connections = number("--night-connections", args.next())?;
            }
            "--night-pdf" => {
                plan.night_pdf = match args.next().as_deref() {
                    Some("on") => true,
                    Some("off") => false,
                    _ => return Err(BenchError(format!("--night-pdf takes on or off\n{USAGE}"))),
                }
            }
            "--octopus-poll" => {
                plan.octopus_poll = optional_number("--octopus-poll", args.next())?;
            }
            "--twinfield-poll" => {
                plan.twinfield_poll = optional_number("--twinfield-poll", args.next())?;
            }
            "--clearfacts-docs" => {
                plan.clearfacts_docs = number("--clearfacts-docs", args.next())?;
            }
            "--out" => {
                plan.out = Some(
                    args.next()
                        .ok_or_else(|| BenchError(format!("--out needs a file\n{USAGE}")))?,
                );
            }
            other => return Err(BenchError(format!("unknown argument {other}\n{USAGE}"))),
        }
    }
    if plan.docs.is_empty() || plan.docs.contains(&0) {
        return Err(BenchError("--docs needs positive numbers".into()));
    }
    if plan.octopus_poll == Some(0) {
        return Err(BenchError("--octopus-poll needs a positive number".into()));
    }
    if plan.clearfacts_docs == 0 {
        return Err(BenchError(
            "--clearfacts-docs needs a positive number".into(),
        ));
    }
    if plan.twinfield_poll == Some(0) {
        return Err(BenchError(
            "--twinfield-poll needs a positive number".into(),
        ));
    }
    if plan.night_workers.is_empty() || plan.night_workers.contains(&0) {
        return Err(BenchError("--night-workers needs positive numbers".into()));
    }
    if plan.night_connections == 0 {
        return Err(BenchError(
            "--night-connections needs a positive number".into(),
        ));
    }
    Ok(plan)
}

/// Run `flag` `scenario` in a fresh process (this binary) and read its result line.
fn in_child<S: serde::Serialize, M: serde::de::DeserializeOwned>(
    flag: &str,
    label: &str,
    scenario: &S,
) -> Result<M, BenchError> {
    eprintln!("bench: {label} …");
    let exe = std::env::current_exe()
        .map_err(|e| BenchError(format!("cannot find the bench binary: {e}")))?;
    let json = serde_json::to_string(scenario)
        .map_err(|e| BenchError(format!("scenario not serialisable: {e}")))?;
    let output = Command::new(exe)
        .arg(flag)
        .arg(json)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| BenchError(format!("cannot start the child run: {e}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(BenchError(format!(
            "the run \"{label}\" failed ({}); see above",
            output.status
        )));
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(RESULT_PREFIX))
        .ok_or_else(|| BenchError("the child printed no result".into()))?;
    serde_json::from_str(line)
        .map_err(|e| BenchError(format!("the child's result is unreadable: {e}")))
}

/// Run one export scenario in a fresh process (this binary with `--child`).
fn run_child(scenario: &Scenario) -> Result<Measurement, BenchError> {
    let measurement: Measurement = in_child("--child", &scenario.label(), scenario)?;
    eprintln!(
        "bench:   {} documents in {:.1} s ({:.0} docs/s), generated in {:.1} s",
        measurement.exported,
        measurement.export_seconds,
        report::docs_per_second(&measurement),
        measurement.generate_seconds
    );
    Ok(measurement)
}

/// A clock fast enough to finish in seconds but slow enough that Exact's quota, not the
/// exporter's own speed (measured without limits), is what holds the run back: half the
/// unlimited Exact call rate, as calls per simulated second = 1 at 60/min.
fn pacing_speed(unlimited: Option<&Measurement>) -> f64 {
    let Some(m) = unlimited else {
        return SPEED_RANGE.0;
    };
    let calls_per_second = exact_api_calls(&m.exact_calls) as f64 / m.export_seconds.max(0.001);
    ((calls_per_second * 0.5 / 10.0).floor() * 10.0).clamp(SPEED_RANGE.0, SPEED_RANGE.1)
}

fn base(plan: &Plan, docs: usize) -> Scenario {
    Scenario {
        docs,
        attach_pdf: false,
        limits: false,
        speed: 1.0,
        seed: plan.seed,
    }
}

fn run_plan(plan: &Plan) -> Result<Vec<Measurement>, BenchError> {
    let mut runs = Vec::new();
    for &docs in &plan.docs {
        runs.push(run_child(&base(plan, docs))?);
    }
    if let Some(docs) = plan.pdf_docs {
        runs.push(run_child(&Scenario {
            attach_pdf: true,
            ..base(plan, docs)
        })?);
    }
    if let Some(docs) = plan.pacing_docs {
        let speed = plan.speed.unwrap_or_else(|| {
            pacing_speed(
                runs.iter()
                    .find(|m| !m.scenario.attach_pdf && m.scenario.docs == docs)
                    .or(runs.first()),
            )
        });
        runs.push(run_child(&Scenario {
            limits: true,
            speed,
            ..base(plan, docs)
        })?);
    }
    Ok(runs)
}

/// The other jobs' runs, each in a fresh process: the poll at the largest export size, the
/// import of half as many customers, the merge preview at a tenth and at the full size.
fn run_jobs(plan: &Plan) -> Result<Vec<jobs::JobMeasurement>, BenchError> {
    let large = plan.docs.iter().max().copied().unwrap_or(10_000);
    let scenarios = [
        jobs::JobScenario::PaymentPoll {
            docs: large,
            seed: plan.seed,
        },
        jobs::JobScenario::CompanyImport {
            customers: large / 2,
            seed: plan.seed,
        },
        jobs::JobScenario::MergePreview { rows: large / 10 },
        jobs::JobScenario::MergePreview { rows: large },
    ];
    scenarios
        .iter()
        .map(|s| in_child("--child-job", &s.label(), s))
        .collect()
}

/// Octopus's runs, each in a fresh process: the export at every `--docs` size, then the
/// payment poll.
fn run_octopus(plan: &Plan) -> Result<Vec<octopus::OctopusMeasurement>, BenchError> {
    let mut scenarios: Vec<octopus::OctopusScenario> = plan
        .docs
        .iter()
        .map(|&docs| octopus::OctopusScenario::Export {
            docs,
            seed: plan.seed,
        })
        .collect();
    if let Some(docs) = plan.octopus_poll {
        scenarios.push(octopus::OctopusScenario::PaymentPoll {
            docs,
            seed: plan.seed,
        });
    }
    scenarios
        .iter()
        .map(|s| in_child("--child-octopus", &s.label(), s))
        .collect()
}

/// Twinfield's runs, each in a fresh process: the export at every `--docs` size, then the
/// payment poll.
fn run_twinfield(plan: &Plan) -> Result<Vec<twinfield::TwinfieldMeasurement>, BenchError> {
    let mut scenarios: Vec<twinfield::TwinfieldScenario> = plan
        .docs
        .iter()
        .map(|&docs| twinfield::TwinfieldScenario::Export {
            docs,
            seed: plan.seed,
        })
        .collect();
    if let Some(docs) = plan.twinfield_poll {
        scenarios.push(twinfield::TwinfieldScenario::PaymentPoll {
            docs,
            seed: plan.seed,
        });
    }
    scenarios
        .iter()
        .map(|s| in_child("--child-twinfield", &s.label(), s))
        .collect()
}

/// Clearfacts' run in a fresh process: the export of `--clearfacts-docs` documents and a
/// payment poll over them.
fn run_clearfacts(plan: &Plan) -> Result<Vec<clearfacts::ClearfactsMeasurement>, BenchError> {
    let scenario = clearfacts::ClearfactsScenario {
        docs: plan.clearfacts_docs,
        seed: plan.seed,
    };
    let measured: clearfacts::ClearfactsMeasurement =
        in_child("--child-clearfacts", &scenario.label(), &scenario)?;
    Ok(vec![measured])
}

/// The night's runs, each in a fresh process, side by side: the same connections drained
/// by each worker count.
fn run_night(plan: &Plan) -> Result<Vec<night::NightMeasurement>, BenchError> {
    let scenarios: Vec<night::NightScenario> = plan
        .night_workers
        .iter()
        .map(|&workers| night::NightScenario {
            connections: plan.night_connections,
            workers,
            seed: plan.seed,
            attach_pdf: plan.night_pdf,
        })
        .collect();
    let measured: Vec<Result<night::NightMeasurement, BenchError>> = std::thread::scope(|s| {
        let runs: Vec<_> = scenarios
            .iter()
            .map(|scenario| s.spawn(move || in_child("--child-night", &scenario.label(), scenario)))
            .collect();
        runs.into_iter()
            .map(|run| {
                run.join()
                    .unwrap_or_else(|_| Err(BenchError("a night run panicked".into())))
            })
            .collect()
    });
    let measured: Vec<night::NightMeasurement> = measured.into_iter().collect::<Result<_, _>>()?;
    for m in &measured {
        eprintln!(
            "bench:   {} workers: drained in {} (paper {}), {:.0} s real",
            m.scenario.workers,
            night_report::clock_time(m.drain_seconds),
            night_report::clock_time(night_report::paper_drain(m)),
            m.setup_real_seconds + m.night_real_seconds
        );
    }
    Ok(measured)
}

fn document(plan: &Plan, runs: &[Measurement], verdicts: &[report::Verdict]) -> String {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let profile = if cfg!(debug_assertions) {
        "dev (unoptimised workspace crates, dependencies at opt-level 1)"
    } else {
        "release"
    };
    let docs: Vec<String> = plan.docs.iter().map(usize::to_string).collect();
    format!(
        "Command: `infra/dev bench` (bench --docs {} --seed {}); build profile: {profile}; {cores} cores.\n\n{}\n#### Targets\n\n{}",
        docs.join(","),
        plan.seed,
        report::tables(runs),
        report::verdict_table(verdicts)
    )
}

fn parent(args: Vec<String>) -> Result<bool, BenchError> {
    let plan = parse_plan(args)?;
    let mut verdicts = Vec::new();
    let mut text = String::new();
    if plan.exact {
        let runs = run_plan(&plan)?;
        let small = plan.docs.iter().min().copied().unwrap_or(0);
        let large = plan.docs.iter().max().copied().unwrap_or(0);
        verdicts = report::verdicts(&runs, small, large);
        text = document(&plan, &runs, &verdicts);
        if plan.jobs {
            let measured = run_jobs(&plan)?;
            let job_verdicts = jobs_report::verdicts(&measured);
            text.push_str(&jobs_report::section(&measured, &job_verdicts));
            verdicts.extend(job_verdicts);
        }
    }
    if plan.octopus {
        let measured = run_octopus(&plan)?;
        let octopus_verdicts = octopus_report::verdicts(&measured);
        if !plan.exact {
            let docs: Vec<String> = plan.docs.iter().map(usize::to_string).collect();
            let _ = writeln!(
                text,
                "Command: `infra/dev bench --ledgers octopus` (bench --docs {} --octopus-poll {} --seed {}).",
                docs.join(","),
                plan.octopus_poll
                    .map_or("none".to_owned(), |n| n.to_string()),
                plan.seed
            );
        }
        text.push_str(&octopus_report::section(&measured, &octopus_verdicts));
        verdicts.extend(octopus_verdicts);
    }
    if plan.twinfield {
        let measured = run_twinfield(&plan)?;
        let twinfield_verdicts = twinfield_report::verdicts(&measured);
        if !plan.exact && !plan.octopus {
            let docs: Vec<String> = plan.docs.iter().map(usize::to_string).collect();
            let _ = writeln!(
                text,
                "Command: `infra/dev bench --ledgers twinfield` (bench --docs {} --twinfield-poll {} --seed {}).",
                docs.join(","),
                plan.twinfield_poll
                    .map_or("none".to_owned(), |n| n.to_string()),
                plan.seed
            );
        }
        text.push_str(&twinfield_report::section(&measured, &twinfield_verdicts));
        verdicts.extend(twinfield_verdicts);
    }
    if plan.clearfacts {
        let measured = run_clearfacts(&plan)?;
        let clearfacts_verdicts = clearfacts_report::verdicts(&measured);
        if !plan.exact && !plan.octopus && !plan.twinfield {
            let _ = writeln!(
                text,
                "Command: `infra/dev bench --ledgers clearfacts` (bench --clearfacts-docs {} --seed {}).",
                plan.clearfacts_docs, plan.seed
            );
        }
        text.push_str(&clearfacts_report::section(&measured, &clearfacts_verdicts));
        verdicts.extend(clearfacts_verdicts);
    }
    if plan.night {
        let measured = run_night(&plan)?;
        let night_verdicts = night_report::verdicts(&measured);
        if !plan.exact && !plan.octopus && !plan.twinfield && !plan.clearfacts {
            let workers: Vec<String> = plan.night_workers.iter().map(usize::to_string).collect();
            let _ = writeln!(
                text,
                "Command: `infra/dev bench night` (bench night --night-workers {} --night-connections {} --night-pdf {} --seed {}).",
                workers.join(","),
                plan.night_connections,
                if plan.night_pdf { "on" } else { "off" },
                plan.seed
            );
        }
        text.push_str(&night_report::section(&measured, &night_verdicts));
        verdicts.extend(night_verdicts);
    }
    println!("{text}");
    if let Some(path) = &plan.out {
        std::fs::write(path, &text).map_err(|e| BenchError(format!("cannot write {path}: {e}")))?;
        eprintln!("bench: written to {path}");
    }
    Ok(verdicts.iter().all(|v| v.met != Some(false)))
}

fn child(json: &str) -> Result<(), BenchError> {
    let scenario: Scenario =
        serde_json::from_str(json).map_err(|e| BenchError(format!("unreadable scenario: {e}")))?;
    let measurement = scenario::run(&scenario).map_err(|e| BenchError(e.to_string()))?;
    let line = serde_json::to_string(&measurement)
        .map_err(|e| BenchError(format!("result not serialisable: {e}")))?;
    println!("{RESULT_PREFIX}{line}");
    Ok(())
}

fn child_octopus(json: &str) -> Result<(), BenchError> {
    let scenario: octopus::OctopusScenario =
        serde_json::from_str(json).map_err(|e| BenchError(format!("unreadable scenario: {e}")))?;
    let measurement = octopus::run(&scenario).map_err(|e| BenchError(e.to_string()))?;
    let line = serde_json::to_string(&measurement)
        .map_err(|e| BenchError(format!("result not serialisable: {e}")))?;
    println!("{RESULT_PREFIX}{line}");
    Ok(())
}

fn child_twinfield(json: &str) -> Result<(), BenchError> {
    let scenario: twinfield::TwinfieldScenario =
        serde_json::from_str(json).map_err(|e| BenchError(format!("unreadable scenario: {e}")))?;
    let measurement = twinfield::run(&scenario).map_err(|e| BenchError(e.to_string()))?;
    let line = serde_json::to_string(&measurement)
        .map_err(|e| BenchError(format!("result not serialisable: {e}")))?;
    println!("{RESULT_PREFIX}{line}");
    Ok(())
}

fn child_clearfacts(json: &str) -> Result<(), BenchError> {
    let scenario: clearfacts::ClearfactsScenario =
        serde_json::from_str(json).map_err(|e| BenchError(format!("unreadable scenario: {e}")))?;
    let measurement = clearfacts::run(&scenario).map_err(|e| BenchError(e.to_string()))?;
    let line = serde_json::to_string(&measurement)
        .map_err(|e| BenchError(format!("result not serialisable: {e}")))?;
    println!("{RESULT_PREFIX}{line}");
    Ok(())
}

fn child_night(json: &str) -> Result<(), BenchError> {
    let scenario: night::NightScenario =
        serde_json::from_str(json).map_err(|e| BenchError(format!("unreadable scenario: {e}")))?;
    let measurement = night::run(&scenario).map_err(|e| BenchError(e.to_string()))?;
    let line = serde_json::to_string(&measurement)
        .map_err(|e| BenchError(format!("result not serialisable: {e}")))?;
    println!("{RESULT_PREFIX}{line}");
    Ok(())
}

fn child_job(json: &str) -> Result<(), BenchError> {
    let scenario: jobs::JobScenario =
        serde_json::from_str(json).map_err(|e| BenchError(format!("unreadable scenario: {e}")))?;
    let measurement = jobs::run(&scenario).map_err(|e| BenchError(e.to_string()))?;
    let line = serde_json::to_string(&measurement)
        .map_err(|e| BenchError(format!("result not serialisable: {e}")))?;
    println!("{RESULT_PREFIX}{line}");
    Ok(())
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child-job") {
        let json = args.get(1).cloned().unwrap_or_default();
        return match child_job(&json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench (child): {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("--child-night") {
        let json = args.get(1).cloned().unwrap_or_default();
        return match child_night(&json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench (child): {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("--child-clearfacts") {
        let json = args.get(1).cloned().unwrap_or_default();
        return match child_clearfacts(&json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench (child): {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("--child-twinfield") {
        let json = args.get(1).cloned().unwrap_or_default();
        return match child_twinfield(&json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench (child): {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("--child-octopus") {
        let json = args.get(1).cloned().unwrap_or_default();
        return match child_octopus(&json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench (child): {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("--child") {
        let json = args.get(1).cloned().unwrap_or_default();
        return match child(&json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench (child): {e}");
                ExitCode::FAILURE
            }
        };
    }
    if matches!(args.first().map(String::as_str), Some("-h" | "--help")) {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match parent(std::mem::take(&mut args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("bench: some targets were missed (see the table)");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_command_line_sets_the_plan() {
        assert_eq!(parse_plan(args("")).unwrap(), Plan::default());
        let plan = parse_plan(args(
            "--docs 500,2_000 --pdf-docs none --pacing-docs 300 --speed 120 --out x.md",
        ))
        .unwrap();
        assert_eq!(plan.docs, vec![500, 2_000]);
        assert_eq!(plan.pdf_docs, None);
        assert_eq!(plan.pacing_docs, Some(300));
        assert_eq!(plan.speed, Some(120.0));
        assert_eq!(plan.out.as_deref(), Some("x.md"));
        assert!(parse_plan(args("--docs 0")).is_err());
        let plan = parse_plan(args("--ledgers octopus --octopus-poll none")).unwrap();
        assert_eq!(
            (plan.exact, plan.octopus, plan.twinfield, plan.octopus_poll),
            (false, true, false, None)
        );
        let plan = parse_plan(args("--ledgers twinfield --twinfield-poll 2_000")).unwrap();
        assert_eq!(
            (
                plan.exact,
                plan.octopus,
                plan.twinfield,
                plan.twinfield_poll
            ),
            (false, false, true, Some(2_000))
        );
        assert!(parse_plan(args("--twinfield-poll 0")).is_err());
        let plan = parse_plan(args("--ledgers exact,octopus --octopus-poll 2000")).unwrap();
        assert_eq!(
            (plan.exact, plan.octopus, plan.octopus_poll),
            (true, true, Some(2_000))
        );
        let plan = parse_plan(args("--ledgers clearfacts --clearfacts-docs 200")).unwrap();
        assert_eq!(
            (
                plan.exact,
                plan.octopus,
                plan.twinfield,
                plan.clearfacts,
                plan.clearfacts_docs
            ),
            (false, false, false, true, 200)
        );
        assert!(parse_plan(args("--clearfacts-docs 0")).is_err());
        let plan = parse_plan(args("night --night-workers 5,25 --night-connections 200")).unwrap();
        assert_eq!(
            (
                plan.exact,
                plan.octopus,
                plan.twinfield,
                plan.clearfacts,
                plan.night,
                plan.night_workers.clone(),
                plan.night_connections
            ),
            (false, false, false, false, true, vec![5, 25], 200)
        );
        let plan = parse_plan(args("--ledgers exact,night")).unwrap();
        assert_eq!((plan.exact, plan.octopus, plan.night), (true, false, true));
        assert!(!parse_plan(args("--ledgers octopus")).unwrap().night);
        assert!(parse_plan(args("--night-workers 0")).is_err());
        assert!(parse_plan(args("--ledgers exakt")).is_err());
        assert!(parse_plan(args("--frobnicate")).is_err());
    }
}
