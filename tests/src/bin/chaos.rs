//! `infra/dev chaos [--schedules N] [--seed S] [--moto-every K] [--keep-faults i,j]
//! [--no-shrink] [--verbose]`: run seeded fault schedules against the real jobs and the
//! simulators, and end with `N schedules, D duplicates, L lost, V invariant violations` (exit
//! 1 when any is above zero). Each failing schedule is shrunk and printed with its replay
//! command. The line before it measures Clearfacts' "may have been sent twice" window;
//! `--verbose` prints one line per schedule (its ledger, the faults that struck, the window).

use koppel_e2e::chaos::{ChaosOptions, Summary, run_schedules};
use std::process::ExitCode;

fn usage() -> &'static str {
    "usage: chaos [--schedules N] [--seed S] [--moto-every K] [--keep-faults i,j,...] [--no-shrink] [--verbose]"
}

/// The options, and whether each schedule is printed.
fn parse(args: &[String]) -> Result<(ChaosOptions, bool), String> {
    let moto_url = std::env::var("KOPPEL_TEST_MOTO_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let mut options = ChaosOptions {
        seed: 1,
        schedules: 200,
        moto_every: if moto_url.is_some() { 20 } else { 0 },
        moto_url,
        keep_faults: None,
        shrink: true,
    };
    let mut verbose = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value\n{}", usage()))
        };
        let number = |text: String| {
            text.parse::<u64>()
                .map_err(|_| format!("{arg}: {text:?} is not a number\n{}", usage()))
        };
        match arg.as_str() {
            "--schedules" => options.schedules = number(value()?)? as u32,
            "--seed" => options.seed = number(value()?)?,
            "--moto-every" => options.moto_every = number(value()?)?,
            "--keep-faults" => {
                let list = value()?;
                let keep = list
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| s.trim().parse::<usize>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| format!("--keep-faults: {list:?} is not a list of numbers"))?;
                options.keep_faults = Some(keep);
            }
            "--no-shrink" => options.shrink = false,
            "--verbose" => verbose = true,
            "-h" | "--help" => return Err(usage().to_owned()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    Ok((options, verbose))
}

fn print_summary(summary: &Summary, seconds: f64) {
    println!(
        "fault mix ({} schedules, {} on moto, {} invocations killed, {seconds:.0} s):",
        summary.schedules, summary.on_moto, summary.kills
    );
    for (class, count) in &summary.fault_mix {
        println!("  {count:>6}  {class}");
    }
    let ledgers: Vec<String> = summary
        .by_ledger
        .iter()
        .map(|(ledger, count)| format!("{ledger} {count}"))
        .collect();
    println!("schedules per ledger: {}", ledgers.join(", "));
    println!(
        "runs closed as interrupted by the sweeper: {} (runs left Running and documents failed by a lock count as violations)",
        summary.interrupted
    );
    println!("{}", summary.window.line());
    for failure in &summary.failures {
        println!("FAILED seed {}:", failure.outcome.seed);
        for violation in &failure.outcome.violations {
            println!("  - {violation}");
        }
        println!("  smallest failing plan: {:?}", failure.plan.faults);
        println!("  replay: {}", failure.replay_command());
    }
    println!("{}", summary.last_line());
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (options, verbose) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let done = std::sync::atomic::AtomicU32::new(0);
    let summary = run_schedules(&options, &|plan, outcome| {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if verbose {
            println!(
                "seed {} {}: struck {:?}; maybe-twice reported {}, repeat uploads {}, lost upload answers {}",
                plan.seed,
                plan.ledger.name(),
                outcome.fired,
                outcome.reported_maybe_twice,
                outcome.repeat_uploads,
                outcome.lost_upload_answers
            );
        }
        if !outcome.is_clean() {
            println!(
                "seed {}: {} violation(s), e.g. {}",
                plan.seed,
                outcome.violations.len(),
                outcome.violations[0]
            );
        }
        if n.is_multiple_of(50) {
            eprintln!(
                "chaos: {n} schedules ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    })
    .await;
    print_summary(&summary, started.elapsed().as_secs_f64());
    if summary.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
