//! `dateline wire …`: providers and file ingest from the command line.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use dateline_domain::Store;
use dateline_domain::wire::{Provider, ProviderCode};
use dateline_services::wire::{self, IngestError, IngestReport, ProviderForm};
use futures_util::StreamExt;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum WireCommand {
    /// Add or change a provider.
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// List the providers and how polling them is going.
    Providers,
    /// Read ninjs, NewsML-G2, RSS or Atom files into the wire desk, as items of a provider.
    Ingest(IngestArgs),
}

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Add a provider. Credentials, where its feed needs them, are read from the environment
    /// variable DATELINE_WIRE_CREDENTIALS (user:password, or a token), never from the command line.
    Add(ProviderArgs),
}

#[derive(Debug, Args)]
pub struct ProviderArgs {
    /// The agency's short code, as in datelines: APP, AFP, REUTERS.
    #[arg(long, value_name = "CODE")]
    pub code: String,
    /// The agency's name: "Associated Press of Pakistan".
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// How its copy arrives: files, rss, ninjs or newsml-g2.
    #[arg(long, value_name = "KIND", default_value = "files")]
    pub kind: String,
    /// The feed's address (for rss, ninjs and newsml-g2).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The language of items that do not say theirs (BCP 47) [default: en].
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
    /// The name readers see in the attribution line [default: the code].
    #[arg(long, value_name = "NAME")]
    pub attribution: Option<String>,
    /// Seconds between polls [default: 300].
    #[arg(long, value_name = "SECS")]
    pub poll_interval: Option<String>,
    /// What a kill does to articles built on the item: take-down or alert [default: take-down].
    #[arg(long, value_name = "POLICY")]
    pub kill_policy: Option<String>,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The code of the provider the files come from.
    #[arg(long, value_name = "CODE")]
    pub provider: String,
    /// Files to read: ninjs (one document or an array), NewsML-G2 (newsItem or newsMessage),
    /// RSS 2.0 or Atom.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

pub async fn run(config: &Config, command: &WireCommand) -> anyhow::Result<()> {
    let store = config.open_store().await?;
    store.migrate().await.context("while migrating")?;
    let result = match command {
        WireCommand::Provider(ProviderCommand::Add(args)) => add_provider(&store, args).await,
        WireCommand::Providers => list_providers(&store).await,
        WireCommand::Ingest(args) => ingest(&store, args).await,
    };
    store.close().await;
    result
}

async fn add_provider(store: &dyn Store, args: &ProviderArgs) -> anyhow::Result<()> {
    let form = ProviderForm {
        code: args.code.clone(),
        name: args.name.clone(),
        attribution: args.attribution.clone().unwrap_or_default(),
        kind: args.kind.clone(),
        url: args.url.clone().unwrap_or_default(),
        language: args.language.clone().unwrap_or_default(),
        poll_interval_secs: args.poll_interval.clone().unwrap_or_default(),
        kill_policy: args.kill_policy.clone().unwrap_or_default(),
        credentials: std::env::var("DATELINE_WIRE_CREDENTIALS").unwrap_or_default(),
    };
    let provider = wire::add_provider(store, &form, chrono::Utc::now())
        .await
        .context("cannot add the provider")?;
    println!(
        "added provider {} ({}), {}{}",
        provider.code,
        provider.name,
        provider.kind.label(),
        provider
            .url
            .as_deref()
            .map(|u| format!(" at {u}"))
            .unwrap_or_default()
    );
    Ok(())
}

async fn list_providers(store: &dyn Store) -> anyhow::Result<()> {
    let providers = store
        .providers()
        .await
        .context("cannot read the providers")?;
    if providers.is_empty() {
        println!("no providers; add one with `dateline wire provider add --code CODE --name NAME`");
        return Ok(());
    }
    println!("CODE\tKIND\tLANGUAGE\tPOLL\tKILL\tSTATE\tNAME\tURL\tLAST SUCCESS\tLAST ERROR");
    for p in providers {
        println!("{}", provider_line(&p));
    }
    Ok(())
}

fn provider_line(p: &Provider) -> String {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(
            || "-".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%SZ").to_string(),
        )
    };
    let state = if p.paused {
        "paused"
    } else if p.kind.polls() {
        "polling"
    } else {
        "files"
    };
    format!(
        "{}\t{}\t{}\t{}s\t{}\t{}\t{}\t{}\t{}\t{}",
        p.code,
        p.kind.as_str(),
        p.language,
        p.poll_interval_secs,
        p.kill_policy.as_str(),
        state,
        p.name,
        p.url.as_deref().unwrap_or("-"),
        time(p.health.last_success_at),
        p.health.last_error.as_deref().unwrap_or("-"),
    )
}

async fn ingest(store: &dyn Store, args: &IngestArgs) -> anyhow::Result<()> {
    let code = ProviderCode::parse(&args.provider).context("--provider")?;
    let provider = store
        .provider_by_code(&code)
        .await
        .context("cannot read the providers")?
        .with_context(|| {
            format!("there is no provider {code}; add it with `dateline wire provider add`")
        })?;
    let mut failed = Vec::new();
    // Two files at once, reported in order: one is read and parsed while the other is stored.
    let mut reports = futures_util::stream::iter(&args.files)
        .map(|file| ingest_file(store, &provider, file))
        .buffered(2);
    while let Some((name, result)) = reports.next().await {
        match result {
            Ok(report) => {
                println!(
                    "{name}: {} ({}), {} versions: {}",
                    report.format.as_str(),
                    if report.new_payload {
                        "stored"
                    } else {
                        "read before"
                    },
                    report.read,
                    report.what_it_stored(),
                );
                for skipped in &report.skipped {
                    println!(
                        "  skipped entry {}{}: {}",
                        skipped.position + 1,
                        skipped
                            .id
                            .as_deref()
                            .map(|id| format!(" ({id})"))
                            .unwrap_or_default(),
                        skipped.reason
                    );
                }
            }
            Err(FileError::Unreadable(reason)) => {
                eprintln!("error: {name}: {reason} (the file is kept on the provider's page)");
                failed.push(name);
            }
            Err(FileError::Other(e)) => {
                eprintln!("error: {name}: {e:#}");
                failed.push(name);
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} files could not be read: {}",
            failed.len(),
            args.files.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

/// Why a file was not ingested.
enum FileError {
    /// Stored, but not in a format we read.
    Unreadable(String),
    Other(anyhow::Error),
}

/// Reads `file` and ingests it; its name and what came of it.
async fn ingest_file(
    store: &dyn Store,
    provider: &Provider,
    file: &Path,
) -> (String, Result<IngestReport, FileError>) {
    let name = file.display().to_string();
    let bytes = match read_bounded(file) {
        Ok(bytes) => bytes,
        Err(e) => return (name, Err(FileError::Other(e))),
    };
    let result = wire::ingest_payload(store, provider, &name, &bytes, chrono::Utc::now())
        .await
        .map_err(|e| match e {
            IngestError::Unreadable { reason, .. } => FileError::Unreadable(reason),
            e => FileError::Other(e.into()),
        });
    (name, result)
}

/// The file's bytes, refusing before reading one larger than a payload may be.
fn read_bounded(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).context("cannot open")?;
    let mut bytes = Vec::new();
    file.take(wire::MAX_PAYLOAD_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .context("cannot read")?;
    if bytes.len() > wire::MAX_PAYLOAD_BYTES {
        bail!(
            "larger than the {} MiB a payload may have; nothing was stored",
            wire::MAX_PAYLOAD_BYTES / (1024 * 1024)
        );
    }
    Ok(bytes)
}
