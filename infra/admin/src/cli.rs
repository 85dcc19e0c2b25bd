//! The command line: `koppel-admin [--stack <name>] <command> [options]`, parsed by hand (a
//! handful of subcommands does not need an argument-parsing crate in the build).

use chrono::NaiveDate;
use koppel_aws::dead_letters::JOB_NAMES;
use koppel_core::ConnectionId;
use thiserror::Error;

/// Run reports `runs` shows when `--limit` is not given.
pub const DEFAULT_RUN_LIMIT: usize = 20;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Every connection with the last run of each job.
    Connections,
    /// A connection's run reports, newest first.
    Runs {
        /// The connection.
        connection: ConnectionId,
        /// At most this many.
        limit: usize,
    },
    /// The messages of the dead-letter queues (every job's, or one).
    DlqList {
        /// Only this job's queue.
        job: Option<String>,
    },
    /// Send the dead-lettered messages back to their job queue.
    DlqRedrive {
        /// Only this job's queue.
        job: Option<String>,
        /// Only show what would be sent.
        dry_run: bool,
    },
    /// Export a connection again from a date (look-up first: nothing posted twice).
    Backfill {
        /// The connection.
        connection: ConnectionId,
        /// The first day (00:00 Europe/Brussels).
        from: NaiveDate,
    },
    /// Print the usage.
    Help,
}

/// The whole command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// `--stack <name>`: the CloudFormation stack whose resources to use.
    pub stack: Option<String>,
    /// What to do.
    pub command: Command,
}

/// The command line is not one the tool understands; the message says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}\n\n{USAGE}")]
pub struct UsageError(pub String);

/// The usage text (`--help`).
pub const USAGE: &str = "\
usage: koppel-admin [--stack <name>] <command> [options]

commands:
  connections                            every connection: account, ledger, status,
                                         automatic sync, the last run of each job
  runs <connection-id> [--limit N]       the connection's runs, newest first (default 20)
  dlq list [--job <job>]                 the jobs in the dead-letter queues (all, or one job's)
  dlq redrive [--job <job>] [--dry-run]  send them back to their job queue; each is deleted
                                         from the dead-letter queue once it was sent
  backfill <connection-id> --from YYYY-MM-DD
                                         export again every document changed since that day
                                         (00:00 Brussels); documents already in the ledger are
                                         found by look-up and never posted twice

jobs: invoice-export, payment-poll, company-import, merge-file

where:
  --stack <name>   the stack's table <name>-data and queues <name>-<job>.fifo
  KOPPEL_TABLE, KOPPEL_EXPORT_QUEUE_URL, KOPPEL_PAYMENT_QUEUE_URL, KOPPEL_IMPORT_QUEUE_URL,
  KOPPEL_MERGE_QUEUE_URL name them instead (what the functions read; .dev/env sets them).
  AWS credentials and region as for the AWS CLI (AWS_PROFILE, AWS_REGION);
  AWS_ENDPOINT_URL points every call at moto.";

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Invocation, UsageError> {
    let mut stack = None;
    let mut words = Vec::new();
    let mut options: Vec<(String, Option<String>)> = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Invocation {
                stack,
                command: Command::Help,
            });
        }
        let Some(name) = arg.strip_prefix("--") else {
            words.push(arg);
            continue;
        };
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (name.to_owned(), None),
        };
        let takes_value = matches!(name.as_str(), "stack" | "limit" | "job" | "from");
        let value = match (takes_value, inline) {
            (true, Some(v)) => Some(v),
            (true, None) => Some(
                args.next()
                    .ok_or_else(|| UsageError(format!("--{name} needs a value")))?,
            ),
            (false, Some(_)) => return Err(UsageError(format!("--{name} takes no value"))),
            (false, None) => None,
        };
        if name == "stack" {
            stack = value.filter(|s| !s.trim().is_empty());
            continue;
        }
        options.push((name, value));
    }
    let command = command(&words, &mut options)?;
    if let Some((name, _)) = options.first() {
        return Err(UsageError(format!(
            "--{name} is not an option of this command"
        )));
    }
    Ok(Invocation { stack, command })
}

/// The command named by `words`, taking its options out of `options`.
fn command(
    words: &[String],
    options: &mut Vec<(String, Option<String>)>,
) -> Result<Command, UsageError> {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut take = |name: &str| {
        options
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| options.remove(i).1)
    };
    match words.as_slice() {
        [] => Err(UsageError("no command given".into())),
        ["help"] => Ok(Command::Help),
        ["connections"] => Ok(Command::Connections),
        ["runs", connection] => {
            let limit =
                match take("limit").flatten() {
                    Some(n) => n.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                        UsageError(format!("--limit {n} is not a positive number"))
                    })?,
                    None => DEFAULT_RUN_LIMIT,
                };
            Ok(Command::Runs {
                connection: ConnectionId::from(*connection),
                limit,
            })
        }
        ["dlq", "list"] => Ok(Command::DlqList {
            job: job(take("job").flatten())?,
        }),
        ["dlq", "redrive"] => Ok(Command::DlqRedrive {
            job: job(take("job").flatten())?,
            dry_run: take("dry-run").is_some(),
        }),
        ["backfill", connection] => {
            let from = take("from")
                .flatten()
                .ok_or_else(|| UsageError("backfill needs --from YYYY-MM-DD".into()))?;
            let from = NaiveDate::parse_from_str(&from, "%Y-%m-%d")
                .map_err(|_| UsageError(format!("--from {from} is not a date (YYYY-MM-DD)")))?;
            Ok(Command::Backfill {
                connection: ConnectionId::from(*connection),
                from,
            })
        }
        _ => Err(UsageError(format!("unknown command: {}", words.join(" ")))),
    }
}

fn job(value: Option<String>) -> Result<Option<String>, UsageError> {
    match value {
        Some(job) if !JOB_NAMES.contains(&job.as_str()) => Err(UsageError(format!(
            "--job {job}: not a job; one of {}",
            JOB_NAMES.join(", ")
        ))),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Invocation, UsageError> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    fn command_of(line: &str) -> Command {
        parse_line(line).expect("parses").command
    }

    #[test]
    fn every_command_parses_with_its_options() {
        assert_eq!(command_of("connections"), Command::Connections);
        assert_eq!(
            command_of("runs c-1"),
            Command::Runs {
                connection: "c-1".into(),
                limit: DEFAULT_RUN_LIMIT
            }
        );
        assert_eq!(
            command_of("runs c-1 --limit 5"),
            Command::Runs {
                connection: "c-1".into(),
                limit: 5
            }
        );
        assert_eq!(command_of("dlq list"), Command::DlqList { job: None });
        assert_eq!(
            command_of("dlq list --job=payment-poll"),
            Command::DlqList {
                job: Some("payment-poll".into())
            }
        );
        assert_eq!(
            command_of("dlq redrive --dry-run --job invoice-export"),
            Command::DlqRedrive {
                job: Some("invoice-export".into()),
                dry_run: true
            }
        );
        assert_eq!(
            command_of("backfill c-1 --from 2026-09-01"),
            Command::Backfill {
                connection: "c-1".into(),
                from: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
            }
        );
        assert_eq!(command_of("--help"), Command::Help);
        assert_eq!(command_of("runs c-1 -h"), Command::Help);
    }

    #[test]
    fn the_stack_goes_anywhere() {
        for line in [
            "--stack koppel connections",
            "connections --stack koppel",
            "connections --stack=koppel",
        ] {
            let parsed = parse_line(line).unwrap();
            assert_eq!(parsed.stack.as_deref(), Some("koppel"), "{line}");
            assert_eq!(parsed.command, Command::Connections);
        }
        assert_eq!(parse_line("connections").unwrap().stack, None);
    }

    #[test]
    fn mistakes_are_named() {
        for (line, says) in [
            ("", "no command given"),
            ("connection", "unknown command: connection"),
            ("runs", "unknown command: runs"),
            ("runs c-1 --limit 0", "--limit 0 is not a positive number"),
            ("runs c-1 --limit", "--limit needs a value"),
            ("dlq list --job webhook", "--job webhook: not a job"),
            (
                "dlq list --dry-run",
                "--dry-run is not an option of this command",
            ),
            ("backfill c-1", "backfill needs --from YYYY-MM-DD"),
            (
                "backfill c-1 --from 01/09/2026",
                "--from 01/09/2026 is not a date",
            ),
            ("connections --dry-run=yes", "--dry-run takes no value"),
        ] {
            let error = parse_line(line).expect_err(line).to_string();
            assert!(error.starts_with(says), "{line}: {error}");
            assert!(error.contains("usage: koppel-admin"), "{line}");
        }
    }
}
