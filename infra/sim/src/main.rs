//! `koppel-sim`: serve the Teamleader, Exact, Octopus, Twinfield and Clearfacts simulators for
//! the demo and scripts.
//!
//! ```text
//! koppel-sim [--teamleader-port P] [--exact-port Q] [--octopus-port R] [--twinfield-port T]
//!            [--clearfacts-port C] [--speed F] [--demo-seed N]
//! ```
//! Ports default to 0 (any free port). `--speed` runs the shared clock F times faster.
//! `--demo-seed N` generates a demo Teamleader account from seed N. When all servers listen,
//! one JSON line goes to stdout: `{"teamleader": url, "exact": url, "octopus": api_url,
//! "twinfield": base_url, "clearfacts": base_url, "app_secret": {…}, "octopus_login": {"user",
//! "password", "dossier"}}` (the app-secret sections with the simulators' client credentials
//! (Twinfield's with its `login_url`, Clearfacts' with its `login_url` and `api_url`, both the
//! simulator's base URL) and
//! Octopus' software-house UUID; the
//! login of Octopus' demo dossier; plus `teamleader_account` with `--demo-seed`). Logs go to
//! stderr. Stops on Ctrl-C / SIGTERM.

use koppel_core::{Clock, ScaledClock, SystemClock};
use koppel_sim::app_secret::{SimulatorUrls, app_secret};
use koppel_sim::{clearfacts, exact, octopus, teamleader, twinfield};
use std::sync::Arc;

/// Command-line options.
#[derive(Debug, Default)]
struct Args {
    teamleader_port: u16,
    exact_port: u16,
    octopus_port: u16,
    twinfield_port: u16,
    clearfacts_port: u16,
    speed: Option<f64>,
    demo_seed: Option<u64>,
}

fn usage() -> String {
    "usage: koppel-sim [--teamleader-port P] [--exact-port Q] [--octopus-port R] \
     [--twinfield-port T] [--clearfacts-port C] [--speed F] [--demo-seed N]"
        .to_owned()
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args::default();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(usage());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{}", usage()))?;
        let bad = |what: &str| format!("{flag} takes {what}, not {value:?}\n{}", usage());
        match flag.as_str() {
            "--teamleader-port" => {
                parsed.teamleader_port = value.parse().map_err(|_| bad("a port number"))?
            }
            "--exact-port" => {
                parsed.exact_port = value.parse().map_err(|_| bad("a port number"))?
            }
            "--octopus-port" => {
                parsed.octopus_port = value.parse().map_err(|_| bad("a port number"))?
            }
            "--twinfield-port" => {
                parsed.twinfield_port = value.parse().map_err(|_| bad("a port number"))?
            }
            "--clearfacts-port" => {
                parsed.clearfacts_port = value.parse().map_err(|_| bad("a port number"))?
            }
            "--speed" => {
                let speed: f64 = value.parse().map_err(|_| bad("a number ≥ 1"))?;
                if !(speed.is_finite() && speed >= 1.0) {
                    return Err(bad("a number ≥ 1"));
                }
                parsed.speed = Some(speed);
            }
            "--demo-seed" => {
                parsed.demo_seed = Some(value.parse().map_err(|_| bad("a whole number"))?)
            }
            _ => return Err(format!("unknown option {flag}\n{}", usage())),
        }
    }
    Ok(parsed)
}

async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    let clock: Arc<dyn Clock> = match args.speed {
        Some(speed) => Arc::new(ScaledClock::new(chrono::Utc::now(), speed)),
        None => Arc::new(SystemClock),
    };
    let teamleader_options = teamleader::SimOptions {
        port: args.teamleader_port,
        ..teamleader::SimOptions::default()
    }
    .with_clock(clock.clone());
    let teamleader = match teamleader::spawn(teamleader_options).await {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!(
                "cannot start the Teamleader simulator on port {}: {error}",
                args.teamleader_port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let exact_options = exact::SimOptions {
        port: args.exact_port,
        ..exact::SimOptions::default()
    }
    .with_clock(clock.clone());
    let exact = match exact::spawn(exact_options).await {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!(
                "cannot start the Exact simulator on port {}: {error}",
                args.exact_port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let octopus_options = octopus::SimOptions {
        port: args.octopus_port,
        ..octopus::SimOptions::on_clock(clock.clone())
    };
    let octopus = match octopus::spawn(octopus_options).await {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!(
                "cannot start the Octopus simulator on port {}: {error}",
                args.octopus_port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let twinfield_options = twinfield::SimOptions {
        port: args.twinfield_port,
        ..twinfield::SimOptions::on_clock(clock.clone())
    };
    let twinfield = match twinfield::spawn(twinfield_options).await {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!(
                "cannot start the Twinfield simulator on port {}: {error}",
                args.twinfield_port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let clearfacts_options = clearfacts::SimOptions {
        port: args.clearfacts_port,
        ..clearfacts::SimOptions::on_clock(clock)
    };
    let clearfacts = match clearfacts::spawn(clearfacts_options).await {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!(
                "cannot start the Clearfacts simulator on port {}: {error}",
                args.clearfacts_port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    // `app_secret`: the sections of Koppel's app secret that make it talk to these
    // simulators (`infra/dev up` writes them into the app secret it creates in moto).
    let mut ready = serde_json::json!({
        "teamleader": teamleader.base_url,
        "exact": exact.base_url,
        "octopus": octopus.api_url(),
        "twinfield": twinfield.base_url,
        "clearfacts": clearfacts.base_url,
        "app_secret": app_secret(&SimulatorUrls {
            exact: Some(exact.base_url.clone()),
            octopus: Some(octopus.api_url()),
            twinfield: Some(twinfield.base_url.clone()),
            clearfacts: Some(clearfacts.base_url.clone()),
        }),
        "octopus_login": {
            "user": octopus::DEMO_USER,
            "password": octopus::DEMO_PASSWORD,
            "dossier": octopus::DEMO_DOSSIER_ID,
        },
    });
    if let Some(seed) = args.demo_seed {
        let spec = teamleader::GenerateSpec {
            seed,
            ..teamleader::GenerateSpec::default()
        };
        match teamleader.generate(&spec) {
            Ok(account) => ready["teamleader_account"] = serde_json::Value::from(account),
            Err(error) => {
                eprintln!("cannot seed the demo account: {error}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    println!("{ready}");
    stopped().await;
    teamleader.shutdown().await;
    exact.shutdown().await;
    octopus.shutdown().await;
    twinfield.shutdown().await;
    clearfacts.shutdown().await;
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::parse_args;

    fn args(list: &[&str]) -> Result<super::Args, String> {
        parse_args(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn flags_parse_and_mistakes_are_explained() {
        let parsed = args(&[
            "--teamleader-port",
            "8081",
            "--exact-port",
            "0",
            "--octopus-port",
            "8083",
            "--twinfield-port",
            "8084",
            "--clearfacts-port",
            "8085",
            "--speed",
            "60",
        ])
        .unwrap();
        assert_eq!(parsed.teamleader_port, 8081);
        assert_eq!(parsed.exact_port, 0);
        assert_eq!(parsed.octopus_port, 8083);
        assert_eq!(parsed.twinfield_port, 8084);
        assert_eq!(parsed.clearfacts_port, 8085);
        assert_eq!(parsed.speed, Some(60.0));
        assert!(args(&["--speed", "0.5"]).unwrap_err().contains("≥ 1"));
        assert!(
            args(&["--port", "1"])
                .unwrap_err()
                .contains("unknown option")
        );
        assert!(
            args(&["--exact-port"])
                .unwrap_err()
                .contains("needs a value")
        );
    }
}
