//! `dateline`: one binary, roles as subcommands. `main` parses the command line, reads the
//! configuration and dispatches; the work lives in the library crates.
//!
//! Errors here are `anyhow` with context on every step, printed as one line on standard error
//! with a non-zero exit status.

mod cli;
mod config;
mod portable;
mod search;
mod serve;
mod wire;

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// jemalloc, with its background threads giving freed memory back to the system within seconds
/// even when the server falls quiet: glibc's allocator kept what bursts of work had freed (page
/// renders and compression on the blocking threads, the search index's build) in its per-thread
/// arenas, and a server that had been busy stayed 100 MB larger. Measured in docs/SECURITY.md.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse_checked();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&anyhow::Error::new(e).context("cannot start the async runtime")),
    };
    let result = runtime.block_on(async move {
        let config = config::Config::load(&cli)?;
        match cli.into_command() {
            Command::Serve(args) => serve::serve(config.serve(&args)?).await,
            Command::Migrate => cli::migrate(&config).await,
            Command::Generate(args) => cli::generate(&config, &args).await,
            Command::User(command) => cli::user(&config, &command).await,
            Command::Backup(args) => portable::backup(&config, &args).await,
            Command::Restore(args) => portable::restore(&config, &args).await,
            Command::Export(args) => portable::export(&config, &args).await,
            Command::Import(args) => portable::import(&config, &args).await,
            Command::Wire(command) => wire::run(&config, &command).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    let line = format!("{error:#}").replace(['\n', '\r'], " ");
    eprintln!("error: {line}");
    ExitCode::FAILURE
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
