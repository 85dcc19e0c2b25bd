//! The night section of the benchmark report: the time `N` workers took to drain a night of
//! connections against the paper figure of `night_model.rs`, what one connection's night
//! cost against the model's per-run and per-document figures, the paper's fleet table, and
//! the targets.

use crate::night::NightMeasurement;
use crate::night_model::{self, Costs, NIGHT_WINDOW_SECONDS, WITH_PDF, WITHOUT_PDF};
use crate::report::{Verdict, information, verdict};
use std::fmt::Write;

/// How far the measured drain may be from the paper's and the model still count as right.
pub const PAPER_TOLERANCE: (f64, f64) = (0.8, 1.25);
/// Worker counts of the paper's fleet table.
pub const FLEET_WORKERS: [f64; 9] = [2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0];
/// Draws of the distribution behind the paper's means.
const DISTRIBUTION_SAMPLES: usize = 200_000;

/// `1:02:03` (or `2:03` under an hour).
pub fn clock_time(seconds: f64) -> String {
    let total = seconds.round().max(0.0) as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// `12,345`.
pub fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.round().max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Least squares `y = a + b·x`: (a, b).
pub fn fit(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len().max(1) as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
    let (mx, my) = (sx / n, sy / n);
    let (sxy, sxx) = points.iter().fold((0.0, 0.0), |(sxy, sxx), (x, y)| {
        (sxy + (x - mx) * (y - my), sxx + (x - mx) * (x - mx))
    });
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (my - b * mx, b)
}

fn docs(m: &NightMeasurement) -> Vec<usize> {
    m.connections.iter().map(|c| c.docs).collect()
}

/// The paper's drain for the run's documents and workers.
pub fn paper_drain(m: &NightMeasurement) -> f64 {
    night_model::drain_seconds(m.scenario.costs(), &docs(m), m.scenario.workers)
}

/// Measured ÷ paper.
pub fn ratio(m: &NightMeasurement) -> f64 {
    m.drain_seconds / paper_drain(m).max(f64::EPSILON)
}

fn line(points: &[(f64, f64)]) -> String {
    let (a, b) = fit(points);
    format!("{a:.1} + {b:.3}·n")
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn calls(m: &NightMeasurement, api: bool) -> (u64, u64) {
    let map = if api {
        &m.exact_calls
    } else {
        &m.teamleader_calls
    };
    map.iter().fold((0, 0), |(calls, tokens), (key, n)| {
        if key.contains("oauth2") {
            (calls, tokens + n)
        } else {
            (calls + n, tokens)
        }
    })
}

/// The paper's fleet table for `costs` (accounts per night at each worker count, the
/// limits' use).
pub fn fleet_table(costs: &Costs) -> String {
    let (mean_docs, mean_seconds) = night_model::distribution_means(costs, DISTRIBUTION_SAMPLES);
    let mut out = format!(
        "Paper (`night_model.rs`), {}: E[n] = {mean_docs:.1} documents and E[T] = {mean_seconds:.1} s \
         per connection ({DISTRIBUTION_SAMPLES} draws of the distribution), a window of {:.0} h; \
         Secrets Manager's 50 writes/s are reached at N ≈ {:.0}; Exact's daily quota caps one \
         connection at {} documents a day.\n\n\
         | workers N | accounts per night | documents per night | Exact calls/s (all companies) | Secrets Manager writes/s (limit 50) | DynamoDB writes/s (new table 4,000) | SQS receives/s (300) | limits exceeded |\n\
         |---:|---:|---:|---:|---:|---:|---:|---|\n",
        costs.name,
        NIGHT_WINDOW_SECONDS / 3600.0,
        night_model::secrets_limit_workers(costs, mean_seconds),
        thousands(night_model::daily_documents(costs)),
    );
    for workers in FLEET_WORKERS {
        let f = night_model::fleet(costs, workers, mean_docs, mean_seconds);
        let _ = writeln!(
            out,
            "| {:.0} | {} | {} | {:.1} | {:.1} | {} | {:.1} | {} |",
            f.workers,
            thousands(f.accounts_per_night),
            thousands(f.documents_per_night),
            f.exact_calls_per_second,
            f.secrets_writes_per_second,
            thousands(f.dynamodb_writes_per_second),
            f.sqs_calls_per_second,
            if f.limits_exceeded.is_empty() {
                "none".to_owned()
            } else {
                f.limits_exceeded.join("; ")
            }
        );
    }
    out
}

/// Documents of the paper's per-connection table: p10, median, mean, p90, p99 of the
/// distribution and beyond.
pub const CONNECTION_DOCS: [f64; 9] = [1.0, 4.0, 12.0, 18.0, 38.0, 97.0, 236.0, 500.0, 1_500.0];

/// The paper's table of one connection's night: calls, bounds and time at a few sizes.
pub fn connection_table() -> String {
    let mut out = String::from(
        "Paper, one connection's night (`connection_night`):\n\n\
         | documents n | settings | Exact calls in the quota | Teamleader calls | latency-bound L | rate-bound R | T | invocations |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for n in CONNECTION_DOCS {
        for costs in [&WITH_PDF, &WITHOUT_PDF] {
            let c = night_model::connection_night(costs, n);
            let _ = writeln!(
                out,
                "| {n:.0} | {} | {:.0} | {:.0} | {} | {} | {} | {:.0} |",
                costs.name,
                c.exact_calls,
                c.teamleader_calls,
                clock_time(c.latency_seconds),
                if c.rate_seconds > 0.0 {
                    clock_time(c.rate_seconds)
                } else {
                    "—".to_owned()
                },
                clock_time(c.seconds),
                c.invocations
            );
        }
    }
    out
}

/// The section's text.
pub fn section(runs: &[NightMeasurement], verdicts: &[Verdict]) -> String {
    let mut out =
        String::from("\n### The night: connections drained by N workers (docs/CAPACITY.md)\n\n");
    out.push_str(
        "| workers, settings | connections | documents | invocations (continued) | time to drain | paper | measured ÷ paper | longest connection: docs, measured / paper | workers busy at most | Exact calls + tokens (429s) | Teamleader calls + tokens (429s) | waiting for quota | call latency | real time: setup + night |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for m in runs {
        let total_docs: usize = m.connections.iter().map(|c| c.docs).sum();
        let longest = m
            .connections
            .iter()
            .max_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let (exact, exact_tokens) = calls(m, true);
        let (teamleader, teamleader_tokens) = calls(m, false);
        let _ = writeln!(
            out,
            "| {}, {} | {} | {} | {} ({}) | {} | {} | {:.3} | {} | {} | {} + {} ({}) | {} + {} ({}) | {} | {} | {:.0} s + {:.0} s |",
            m.scenario.workers,
            m.scenario.costs().name,
            thousands(m.connections.len() as f64),
            thousands(total_docs as f64),
            thousands(f64::from(m.invocations)),
            m.continued,
            clock_time(m.drain_seconds),
            clock_time(paper_drain(m)),
            ratio(m),
            longest.map_or("—".to_owned(), |c| format!(
                "{}, {} / {}",
                c.docs,
                clock_time(c.seconds),
                clock_time(
                    night_model::connection_night(m.scenario.costs(), c.docs as f64).seconds
                )
            )),
            m.busiest_workers,
            thousands(exact as f64),
            thousands(exact_tokens as f64),
            m.exact_429,
            thousands(teamleader as f64),
            thousands(teamleader_tokens as f64),
            m.teamleader_429,
            clock_time(m.waited_seconds),
            clock_time(m.latency_seconds),
            m.setup_real_seconds,
            m.night_real_seconds,
        );
    }
    out.push_str(
        "\nOne connection's night, measured (least squares over the connections, n = its documents) against the paper:\n\n\
         | workers, settings | time per connection: mean measured / paper | measured p50 / p90 / p99 / max | Exact calls in the quota | Teamleader calls | store calls (writes) | vault reads + writes per connection |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for m in runs {
        let k = m.connections.len().max(1) as f64;
        let mean = m.connections.iter().map(|c| c.seconds).sum::<f64>() / k;
        let paper = m
            .connections
            .iter()
            .map(|c| night_model::connection_night(m.scenario.costs(), c.docs as f64).seconds)
            .sum::<f64>()
            / k;
        let mut sorted: Vec<f64> = m.connections.iter().map(|c| c.seconds).collect();
        sorted.sort_by(f64::total_cmp);
        let points = |f: &dyn Fn(&crate::night::ConnectionFigures) -> u64| -> Vec<(f64, f64)> {
            m.connections
                .iter()
                .map(|c| (c.docs as f64, f(c) as f64))
                .collect()
        };
        let c = m.scenario.costs();
        let _ = writeln!(
            out,
            "| {}, {} | {:.1} s / {:.1} s ({:.3}) | {:.1} / {:.1} / {:.1} / {:.1} s | {} (paper {} + {}·n) | {} (paper {} + {}·n) | {} ({}) (paper {} + {}·n ({} + {}·n)) | {:.2} + {:.2} (paper {} + {}) |",
            m.scenario.workers,
            c.name,
            mean,
            paper,
            mean / paper.max(f64::EPSILON),
            quantile(&sorted, 0.5),
            quantile(&sorted, 0.9),
            quantile(&sorted, 0.99),
            sorted.last().copied().unwrap_or(0.0),
            line(&points(&|c| c.exact)),
            c.exact_per_run,
            c.exact_per_doc,
            line(&points(&|c| c.teamleader)),
            c.teamleader_per_run,
            c.teamleader_per_doc,
            line(&points(&|c| c.store)),
            line(&points(&|c| c.store_writes)),
            c.store_per_run,
            c.store_per_doc,
            c.store_writes_per_run,
            c.store_writes_per_doc,
            m.vault_reads as f64 / k,
            m.vault_writes as f64 / k,
            c.vault_reads_per_run,
            c.vault_writes_per_run,
        );
    }
    out.push('\n');
    out.push_str(&connection_table());
    out.push('\n');
    out.push_str(&fleet_table(&WITH_PDF));
    out.push('\n');
    out.push_str(&fleet_table(&WITHOUT_PDF));
    out.push_str("\n#### Targets (the night)\n\n");
    out.push_str(&crate::report::verdict_table(verdicts));
    out
}

/// The night's targets.
pub fn verdicts(runs: &[NightMeasurement]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for m in runs {
        let n = m.scenario.workers;
        let total_docs: u64 = m.connections.iter().map(|c| c.docs as u64).sum();
        out.push(verdict(
            &format!("{n} workers: every document exported exactly once, every run succeeded"),
            format!(
                "{} documents, {} exported, {} entries (each once), {} of {} runs succeeded",
                thousands(total_docs as f64),
                thousands(m.exported as f64),
                thousands(m.entries as f64),
                m.succeeded,
                m.connections.len()
            ),
            m.exported == total_docs
                && m.entries == total_docs
                && m.succeeded == m.connections.len(),
        ));
        out.push(verdict(
            &format!("{n} workers: zero 429s with the quotas on"),
            format!("Exact {} + Teamleader {}", m.exact_429, m.teamleader_429),
            m.exact_429 + m.teamleader_429 == 0,
        ));
        out.push(verdict(
            &format!("{n} workers: no invocation past Lambda's 900 s, no failed message"),
            format!(
                "{} past 900 s, {} failed messages",
                m.over_deadline, m.failed_messages
            ),
            m.over_deadline == 0 && m.failed_messages == 0,
        ));
        let r = ratio(m);
        out.push(verdict(
            &format!(
                "{n} workers: time to drain within {:.0} % of the paper's",
                (PAPER_TOLERANCE.1 - 1.0) * 100.0
            ),
            format!(
                "{} measured, {} on paper: {r:.3}",
                clock_time(m.drain_seconds),
                clock_time(paper_drain(m))
            ),
            (PAPER_TOLERANCE.0..=PAPER_TOLERANCE.1).contains(&r),
        ));
        out.push(information(
            &format!(
                "{n} workers: connections per {:.0}-hour night at this drain's pace",
                NIGHT_WINDOW_SECONDS / 3600.0
            ),
            format!(
                "{} ({} connections in {}, the longest connection's tail included)",
                thousands(
                    m.connections.len() as f64 * NIGHT_WINDOW_SECONDS
                        / m.drain_seconds.max(f64::EPSILON)
                ),
                m.connections.len(),
                clock_time(m.drain_seconds)
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_numbers_and_lines_read_well() {
        assert_eq!(clock_time(59.6), "1:00");
        assert_eq!(clock_time(3_723.0), "1:02:03");
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        let (a, b) = fit(&[(0.0, 4.0), (10.0, 15.0), (20.0, 26.0)]);
        assert!((a - 4.0).abs() < 1e-9 && (b - 1.1).abs() < 1e-9);
    }
}
