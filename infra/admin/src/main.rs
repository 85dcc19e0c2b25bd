//! `cargo run -p koppel-admin -- [--stack <name>] <command>`: wiring only (see the library).

use koppel_admin::cli::{self, Command};
use koppel_admin::{Admin, target::Target};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // Logs go to stderr (warnings by default, RUST_LOG for more); the answer to stdout.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let invocation = match cli::parse(std::env::args().skip(1)) {
        Ok(invocation) => invocation,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    if invocation.command == Command::Help {
        println!("{}", cli::USAGE);
        return ExitCode::SUCCESS;
    }
    let config = koppel_aws::sdk_config().await;
    let admin = match Admin::on_aws(&config, Target::from_env(invocation.stack)) {
        Ok(admin) => admin,
        Err(error) => {
            eprintln!("koppel-admin: {error}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    match admin.run(&invocation.command, &mut out).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("koppel-admin: {error}");
            ExitCode::FAILURE
        }
    }
}
