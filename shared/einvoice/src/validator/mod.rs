//! The official CEN EN 16931 + Peppol BIS 3 rules, run by the `eu-einvoice` Python package in
//! one long-lived worker process: compiling the rules takes about a second, checking a file
//! afterwards about 15 ms, so the worker is started once and kept.
//!
//! The worker's script lives in this crate (`worker.py`) and is passed with `python -c`, so
//! nothing but a Python with `eu-einvoice` and the rules folder is needed at run time. A check
//! that did not run every layer (rules missing, a layer skipped, no worker) is an error,
//! never a "valid".

use base64::Engine;
use koppel_core::{ExternalError, RuleFinding, Verdict};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Mutex;

/// The worker's source, run with `python -c`.
const WORKER_SCRIPT: &str = include_str!("worker.py");

/// The system name in errors.
const SYSTEM: &str = "Peppol validator";

/// Environment variable naming a Python that has `eu-einvoice` installed.
pub const PYTHON_ENV: &str = "KOPPEL_PEPPOL_PYTHON";
/// Environment variable naming the folder of the official rules (as `eu-einvoice` reads it).
pub const RULES_DIR_ENV: &str = "EINVOICE_RULES_DIR";

/// How long one file may take by default, the worker's start (compiling the rules) included.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The three layers a complete check runs: the UBL schema, the CEN rules, the Peppol rules.
const REQUIRED_LAYERS: [(&str, &str); 3] = [
    ("xsd", "the UBL 2.1 schema"),
    ("en16931", "the CEN EN 16931 rules"),
    ("peppol", "the Peppol BIS 3 rules"),
];

/// One request line to the worker.
#[derive(Serialize)]
struct Request<'a> {
    id: u64,
    xml_base64: &'a str,
}

/// One answer line from the worker.
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    ready: bool,
    #[serde(default)]
    fatal: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    result: Option<EngineResult>,
}

/// `eu-einvoice`'s result, the fields Koppel reads.
#[derive(Debug, Default, Deserialize)]
struct EngineResult {
    #[serde(default)]
    valid: bool,
    #[serde(default)]
    complete: bool,
    #[serde(default)]
    errors: Vec<EngineFinding>,
    #[serde(default)]
    warnings: Vec<EngineFinding>,
    #[serde(default)]
    layers_run: Vec<String>,
    #[serde(default)]
    layers_skipped: Vec<String>,
}

/// One finding as `eu-einvoice` reports it.
#[derive(Debug, Default, Deserialize)]
struct EngineFinding {
    #[serde(default)]
    rule: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    location: String,
}

/// A running worker: the child and its pipes.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    next_id: u64,
}

/// Why one exchange with the worker failed.
enum ExchangeError {
    /// The worker is gone (exited, pipe closed): a fresh one may do.
    Died(String),
    /// Anything else: reported as is.
    Failed(ExternalError),
}

fn unavailable(detail: impl Into<String>) -> ExternalError {
    ExternalError::Unavailable {
        system: SYSTEM,
        detail: detail.into(),
    }
}

/// Checks files against the official Peppol BIS Billing 3.0 rules in a persistent worker.
/// Cheap to share: requests are serialised through one worker behind a mutex.
pub struct PeppolValidator {
    python: PathBuf,
    rules_dir: PathBuf,
    timeout: Duration,
    worker: Mutex<Option<Worker>>,
}

impl std::fmt::Debug for PeppolValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeppolValidator")
            .field("python", &self.python)
            .field("rules_dir", &self.rules_dir)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl PeppolValidator {
    /// A validator running `python` (which must have `eu-einvoice`) on the rules in
    /// `rules_dir`. Nothing starts until the first check.
    pub fn new(python: impl Into<PathBuf>, rules_dir: impl Into<PathBuf>) -> Self {
        Self {
            python: python.into(),
            rules_dir: rules_dir.into(),
            timeout: DEFAULT_TIMEOUT,
            worker: Mutex::new(None),
        }
    }

    /// From `KOPPEL_PEPPOL_PYTHON` and `EINVOICE_RULES_DIR`; `None` when either is unset or
    /// empty (validation not configured here).
    pub fn from_env() -> Option<Self> {
        let read = |name: &str| {
            std::env::var_os(name)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        Some(Self::new(read(PYTHON_ENV)?, read(RULES_DIR_ENV)?))
    }

    /// The same validator with another bound on one file (the worker's start included).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The file checked against every layer of the official rules. An incomplete check (a
    /// layer skipped, the rules missing, the worker unavailable or too slow) is an error that
    /// says what is missing.
    pub async fn check(&self, xml: &[u8]) -> Result<Verdict, ExternalError> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(xml);
        let mut slot = self.worker.lock().await;
        let mut restarted = false;
        loop {
            if slot.is_none() {
                *slot = Some(self.spawn().await?);
            }
            let Some(worker) = slot.as_mut() else {
                return Err(unavailable("the worker could not be kept"));
            };
            match tokio::time::timeout(self.timeout, exchange(worker, &encoded)).await {
                Ok(Ok(result)) => return verdict(result),
                Ok(Err(ExchangeError::Failed(error))) => return Err(error),
                Ok(Err(ExchangeError::Died(detail))) => {
                    *slot = None;
                    if restarted {
                        return Err(unavailable(format!(
                            "the validation worker stopped twice: {detail}"
                        )));
                    }
                    tracing::warn!(%detail, "Peppol validation worker stopped; starting a new one");
                    restarted = true;
                }
                Err(_) => {
                    // A half-answered request would desynchronise the pipe: start afresh.
                    *slot = None;
                    return Err(unavailable(format!(
                        "checking one file took longer than {} s; the worker was stopped",
                        self.timeout.as_secs()
                    )));
                }
            }
        }
    }

    async fn spawn(&self) -> Result<Worker, ExternalError> {
        let mut child = Command::new(&self.python)
            .arg("-c")
            .arg(WORKER_SCRIPT)
            .env(RULES_DIR_ENV, &self.rules_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| {
                unavailable(format!(
                    "cannot start {} ({error}); set {PYTHON_ENV} to a Python that has eu-einvoice installed",
                    self.python.display()
                ))
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(unavailable("the worker's pipes could not be opened"));
        };
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::debug!(%line, "Peppol validation worker");
                }
            });
        }
        let mut worker = Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            next_id: 1,
        };
        let hello = tokio::time::timeout(self.timeout, worker.stdout.next_line())
            .await
            .map_err(|_| unavailable("the validation worker did not start in time"))?
            .map_err(|error| unavailable(format!("the validation worker: {error}")))?;
        let Some(hello) = hello else {
            let status = worker.child.wait().await.ok();
            return Err(unavailable(format!(
                "the validation worker exited at once ({status:?}); is {} a Python 3?",
                self.python.display()
            )));
        };
        let answer: Answer = serde_json::from_str(&hello).map_err(|error| {
            unavailable(format!(
                "the validation worker said something unreadable ({error})"
            ))
        })?;
        if let Some(fatal) = answer.fatal {
            return Err(unavailable(format!(
                "{fatal}; set {PYTHON_ENV} to a Python with eu-einvoice==1.0.0"
            )));
        }
        if !answer.ready {
            return Err(unavailable(
                "the validation worker did not say it was ready",
            ));
        }
        tracing::info!(python = %self.python.display(), "Peppol validation worker started");
        Ok(worker)
    }
}

/// Sends one file and reads its answer.
async fn exchange(worker: &mut Worker, encoded: &str) -> Result<EngineResult, ExchangeError> {
    let id = worker.next_id;
    worker.next_id += 1;
    let mut line = serde_json::to_vec(&Request {
        id,
        xml_base64: encoded,
    })
    .map_err(|error| ExchangeError::Failed(unavailable(format!("request: {error}"))))?;
    line.push(b'\n');
    worker
        .stdin
        .write_all(&line)
        .await
        .map_err(|error| ExchangeError::Died(format!("writing to it failed: {error}")))?;
    worker
        .stdin
        .flush()
        .await
        .map_err(|error| ExchangeError::Died(format!("writing to it failed: {error}")))?;
    let reply = worker
        .stdout
        .next_line()
        .await
        .map_err(|error| ExchangeError::Died(format!("reading from it failed: {error}")))?
        .ok_or_else(|| ExchangeError::Died("it closed its output".to_owned()))?;
    let answer: Answer = serde_json::from_str(&reply).map_err(|error| {
        ExchangeError::Died(format!("it answered something unreadable ({error})"))
    })?;
    if answer.id != Some(id) {
        return Err(ExchangeError::Died(format!(
            "it answered request {:?} instead of {id}",
            answer.id
        )));
    }
    if let Some(error) = answer.error {
        return Err(ExchangeError::Failed(unavailable(format!(
            "the rule engine failed on this file: {error}"
        ))));
    }
    answer
        .result
        .ok_or_else(|| ExchangeError::Died("it answered without a result".to_owned()))
}

/// The engine's result as a verdict, or an error when the check was not complete.
fn verdict(result: EngineResult) -> Result<Verdict, ExternalError> {
    if !result.complete || !result.layers_skipped.is_empty() {
        return Err(unavailable(format!(
            "the check was not complete (skipped: {}); point {RULES_DIR_ENV} at the official rules folder (shared/peppol-rules)",
            if result.layers_skipped.is_empty() {
                "unknown".to_owned()
            } else {
                result.layers_skipped.join(", ")
            }
        )));
    }
    let missing: Vec<&str> = REQUIRED_LAYERS
        .iter()
        .filter(|(label, _)| !result.layers_run.iter().any(|run| run.contains(label)))
        .map(|(_, what)| *what)
        .collect();
    if !missing.is_empty() {
        return Err(unavailable(format!(
            "the check did not run {} (ran: {})",
            missing.join(", "),
            result.layers_run.join(", ")
        )));
    }
    let finding = |fatal: bool| {
        move |f: EngineFinding| RuleFinding {
            rule: f.rule,
            fatal,
            message: f.message,
            location: f.location,
        }
    };
    let mut findings: Vec<RuleFinding> = result.errors.into_iter().map(finding(true)).collect();
    findings.extend(result.warnings.into_iter().map(finding(false)));
    let verdict = Verdict { findings };
    if !result.valid && verdict.is_valid() {
        return Err(unavailable(
            "the rule engine called the file invalid without naming a broken rule",
        ));
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(complete: bool, skipped: &[&str], run: &[&str]) -> EngineResult {
        EngineResult {
            valid: true,
            complete,
            layers_run: run.iter().map(|s| (*s).to_owned()).collect(),
            layers_skipped: skipped.iter().map(|s| (*s).to_owned()).collect(),
            ..EngineResult::default()
        }
    }

    #[test]
    fn an_incomplete_check_is_never_valid() {
        let all = ["xsd", "en16931-ubl@1.3.17", "peppol-ubl@3.0.20"];
        assert!(verdict(result(true, &[], &all)).unwrap().is_valid());
        assert!(verdict(result(false, &["peppol-ubl (not cached)"], &all[..2])).is_err());
        assert!(verdict(result(true, &["en16931-ubl"], &all)).is_err());
        let error = verdict(result(true, &[], &all[..2])).unwrap_err();
        assert!(error.to_string().contains("Peppol BIS 3 rules"), "{error}");
    }

    #[test]
    fn errors_come_first_and_are_fatal() {
        let mut r = result(true, &[], &["xsd", "en16931", "peppol"]);
        r.valid = false;
        r.warnings = vec![EngineFinding {
            rule: "W".into(),
            ..EngineFinding::default()
        }];
        r.errors = vec![EngineFinding {
            rule: "BR-CO-15".into(),
            ..EngineFinding::default()
        }];
        let v = verdict(r).unwrap();
        assert_eq!(v.first_error().map(|f| f.rule.as_str()), Some("BR-CO-15"));
        assert!(!v.findings[1].fatal);
    }
}
