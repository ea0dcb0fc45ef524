//! The command line, and the subcommands small enough to live beside it.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use dateline_services::accounts;
use dateline_services::generate::{self, CorpusPlan};

use crate::config::Config;

/// Dateline runs an online news publication: public site, newsroom and wire desk, in one binary.
#[derive(Debug, Parser)]
#[command(name = "dateline", version, about)]
pub struct Cli {
    /// A TOML file with any of: addr, base_url, database, data_dir, demo, page_cache_mb, related,
    /// max_connections, trusted_proxies, metrics_addr.
    #[arg(long, global = true, env = "DATELINE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database: sqlite:PATH or postgres://USER@HOST/DB [default: sqlite:<data-dir>/dateline.db].
    #[arg(long, global = true, env = "DATELINE_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Directory for the SQLite database and uploaded media [default: ./dateline-data].
    #[arg(long, global = true, env = "DATELINE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// With no subcommand, `dateline` serves the site and takes `serve`'s options.
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Parses the command line, exiting with clap's message and status on a mistake.
    pub fn parse_checked() -> Self {
        Self::try_parse_checked(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// Parses `args`. `serve`'s options may come without a subcommand; before another
    /// subcommand (`dateline --no-demo migrate`) they are a mistake, said so. (The environment
    /// may hold them whatever the subcommand.)
    pub fn try_parse_checked<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{CommandFactory, FromArgMatches};
        let mut command = Self::command();
        let matches = command.try_get_matches_from_mut(args)?;
        if let Some((name, _)) = matches.subcommand() {
            let serve = <ServeArgs as Args>::augment_args(clap::Command::new("serve"));
            for arg in serve.get_arguments() {
                let given = matches.value_source(arg.get_id().as_str())
                    == Some(clap::parser::ValueSource::CommandLine);
                if given {
                    let flag = arg.get_long().unwrap_or_else(|| arg.get_id().as_str());
                    let message = if name == "serve" {
                        format!("--{flag} goes after `serve`")
                    } else {
                        format!(
                            "--{flag} is an option of `serve`, not of `{name}`: give it without a subcommand, or after `serve`"
                        )
                    };
                    return Err(command.error(clap::error::ErrorKind::ArgumentConflict, message));
                }
            }
        }
        Self::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
    }

    /// The subcommand to run: `serve` with the top-level options when none is named.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Fill the database with a generated corpus of realistic articles.
    Generate(GenerateArgs),
    /// Manage newsroom accounts. Passwords are read from standard input.
    #[command(subcommand)]
    User(UserCommand),
    /// Copy the database and the uploaded images into a directory, while the site serves.
    Backup(BackupArgs),
    /// Put a backup back, into an empty database and data directory (or, with --force, over them).
    Restore(RestoreArgs),
    /// Write the whole publication as JSON lines (docs/EXPORT.md).
    Export(ExportArgs),
    /// Read an export into the database, new or in use; what is stored already is kept.
    Import(ImportArgs),
    /// The wire desk: agency providers, and their copy read from files.
    #[command(subcommand)]
    Wire(crate::wire::WireCommand),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the backup: a new or empty directory, or an earlier backup to bring up to
    /// date (only new images are copied).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A directory written by `dateline backup`.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Replace a database and media directory that hold a publication (stop its servers first).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Where to write: a file (written under a temporary name, renamed when complete), or - for
    /// standard output.
    #[arg(long, short, value_name = "FILE|-", default_value = "-")]
    pub out: String,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ImportArgs {
    /// Another system's export instead of ours.
    #[command(subcommand)]
    pub from: Option<ImportFrom>,
    /// A file written by `dateline export`.
    #[arg(value_name = "FILE", required = true)]
    pub file: Option<PathBuf>,
    /// Copy the files of the imported images from this media directory (the old data
    /// directory's media/, or a backup's).
    #[arg(long, value_name = "DIR")]
    pub media: Option<PathBuf>,
    /// Check the file and report its problems; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportFrom {
    /// A WordPress export (Tools → Export → All content: a WXR file): posts, categories, tags,
    /// authors and their old addresses.
    Wordpress(WordpressArgs),
}

#[derive(Debug, Args)]
pub struct WordpressArgs {
    /// The WXR file WordPress wrote.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// A copy of the old site's `wp-content/uploads` folder: its pictures become images of
    /// Dateline (renditions, alt text, caption, credit), featured and in bodies.
    #[arg(long, value_name = "DIR")]
    pub uploads: Option<PathBuf>,
    /// Read and convert everything and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; its password is the first line of standard input.
    Add {
        /// The address the person signs in with.
        #[arg(long, value_name = "E")]
        email: String,
        /// The name shown in the newsroom.
        #[arg(long, value_name = "N")]
        name: String,
        /// contributor, author, editor or admin.
        #[arg(long, value_name = "ROLE")]
        role: String,
    },
    /// Set a new password (the first line of standard input) and sign the account out everywhere.
    ResetPassword {
        #[arg(long, value_name = "E")]
        email: String,
    },
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "DATELINE_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// The site's public address, which every absolute link (canonical, feeds, sitemaps) starts
    /// with; it overrides the one in the site's settings [default: the settings', else
    /// http://<the listen address>].
    #[arg(long, env = "DATELINE_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Do not load the demo publication into a new database.
    #[arg(long)]
    pub no_demo: bool,
    /// Memory for cached pages, in MiB; 0 turns the page cache off [default: 64].
    #[arg(long, env = "DATELINE_PAGE_CACHE_MB", value_name = "MIB")]
    pub page_cache_mb: Option<usize>,
    /// Do not end article pages with a block of related articles.
    #[arg(long)]
    pub no_related: bool,
    /// Load balancers or reverse proxies in front of this server (IP addresses, comma-separated):
    /// for requests from them the client's address is read from X-Forwarded-For. Without it the
    /// header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "DATELINE_TRUSTED_PROXY",
        value_name = "ADDR[,ADDR...]",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Connections served at once; past it a new connection is answered 503 and closed. Kept
    /// below the process's open-file limit [default: 1024].
    #[arg(long, env = "DATELINE_MAX_CONNECTIONS", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: Option<u32>,
    /// Serve Prometheus metrics at http://HOST:PORT/metrics, an address apart from the site's
    /// (keep it private) [default: off].
    #[arg(long, env = "DATELINE_METRICS_ADDR", value_name = "HOST:PORT")]
    pub metrics_addr: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many articles to generate.
    #[arg(long, value_name = "N")]
    pub articles: u64,
    /// Seed of the corpus: the same seed gives the same articles.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Articles written per transaction.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
    /// Years the publication dates are spread over, ending now.
    #[arg(long, default_value_t = 5)]
    pub years: u32,
    /// Print `committed N` on standard output each time a batch is durable.
    #[arg(long)]
    pub log_commits: bool,
}

pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let store = config.open_store().await?;
    let applied = store.migrate().await.context("while migrating")?;
    println!(
        "{}: {applied} migration(s) applied; schema is up to date",
        config.database
    );
    Ok(())
}

/// The first line of standard input, without its line ending.
fn password_from_stdin() -> anyhow::Result<String> {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password on standard input: give it as the first line");
    }
    Ok(password)
}

pub async fn user(config: &Config, command: &UserCommand) -> anyhow::Result<()> {
    let password = password_from_stdin()?;
    let store = config.open_store().await?;
    store.migrate().await.context("while migrating")?;
    match command {
        UserCommand::Add { email, name, role } => {
            let user = accounts::add_user(&store, email, name, role, &password, chrono::Utc::now())
                .await
                .context("cannot add the account")?;
            println!("added {} <{}> as {}", user.name, user.email, user.role);
        }
        UserCommand::ResetPassword { email } => {
            let user = accounts::reset_password(&store, email, &password)
                .await
                .context("cannot reset the password")?;
            println!(
                "new password set for {}; every session of the account has ended",
                user.email
            );
        }
    }
    store.close().await;
    Ok(())
}

pub async fn generate(config: &Config, args: &GenerateArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let store = config.open_store().await?;
    store.migrate().await.context("while migrating")?;
    let bar = indicatif::ProgressBar::new(args.articles);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} articles, {per_sec}, eta {eta}",
        )
        .context("progress bar template")?,
    );
    let plan = CorpusPlan {
        seed: args.seed,
        count: args.articles,
        batch: args.batch as usize,
        span: chrono::Duration::days(365 * i64::from(args.years)),
        until: chrono::Utc::now(),
    };
    let started = Instant::now();
    let log_commits = args.log_commits;
    let mut stdout = std::io::stdout();
    let written = generate::generate(&store, plan, &mut |n| {
        bar.set_position(n);
        if log_commits {
            let _ = writeln!(stdout, "committed {n}");
            let _ = stdout.flush();
        }
    })
    .await
    .context("while generating articles")?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "generated {written} articles in {secs:.2} s ({:.0} articles/s)",
        written as f64 / secs.max(1e-9)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::CommandFactory;

    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_serve() {
        let cli = Cli::try_parse_from(["dateline"]).unwrap();
        assert!(matches!(cli.into_command(), Command::Serve(_)));
        // Without `serve`, serve's options are taken as they are with it.
        let cli = Cli::try_parse_from(["dateline", "--addr", "0.0.0.0:80", "--no-demo"]).unwrap();
        let Command::Serve(args) = cli.into_command() else {
            panic!("serve");
        };
        assert_eq!(args.addr.as_deref(), Some("0.0.0.0:80"));
        assert!(args.no_demo);
        // A serve option before another subcommand is a mistake, said as one; the global
        // options are not serve's.
        let err = Cli::try_parse_checked(["dateline", "--no-demo", "migrate"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("--no-demo is an option of `serve`"),
            "{err}"
        );
        assert!(Cli::try_parse_checked(["dateline", "--config", "x.toml", "migrate"]).is_ok());
        assert!(Cli::try_parse_checked(["dateline", "--no-demo", "serve"]).is_err());
        let cli = Cli::try_parse_from([
            "dateline",
            "serve",
            "--addr",
            "0.0.0.0:80",
            "--no-demo",
            "--database",
            "sqlite:x.db",
        ])
        .unwrap();
        assert_eq!(cli.database.as_deref(), Some("sqlite:x.db"));
        assert!(matches!(
            cli.command,
            Some(Command::Serve(ServeArgs { no_demo: true, .. }))
        ));
    }

    #[test]
    fn user_commands_take_email_name_and_role() {
        let cli = Cli::try_parse_from([
            "dateline", "user", "add", "--email", "a@b.pk", "--name", "Sana", "--role", "editor",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::User(UserCommand::Add { ref role, .. })) if role == "editor"
        ));
        let cli = Cli::try_parse_from(["dateline", "user", "reset-password", "--email", "a@b.pk"])
            .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::User(UserCommand::ResetPassword { .. }))
        ));
    }

    #[test]
    fn backup_restore_export_and_import_take_their_paths() {
        let cli = Cli::try_parse_from(["dateline", "backup", "/var/backups/gvs"]).unwrap();
        assert!(
            matches!(cli.command, Some(Command::Backup(ref a)) if a.dir == Path::new("/var/backups/gvs"))
        );
        let cli = Cli::try_parse_from(["dateline", "restore", "b", "--force"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Restore(RestoreArgs { force: true, .. }))
        ));
        let cli = Cli::try_parse_from(["dateline", "export"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Export(ref a)) if a.out == "-"));
        let cli = Cli::try_parse_from(["dateline", "export", "--out", "gvs.jsonl"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Export(ref a)) if a.out == "gvs.jsonl"));
        let cli = Cli::try_parse_from([
            "dateline",
            "import",
            "gvs.jsonl",
            "--media",
            "old/media",
            "--dry-run",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Import(ImportArgs {
                dry_run: true,
                media: Some(_),
                ..
            }))
        ));
        assert!(Cli::try_parse_from(["dateline", "backup"]).is_err());
        assert!(Cli::try_parse_from(["dateline", "import"]).is_err());
        let cli = Cli::try_parse_from(["dateline", "import", "wordpress", "gvs.xml", "--dry-run"])
            .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Import(ImportArgs {
                from: Some(ImportFrom::Wordpress(WordpressArgs { dry_run: true, .. })),
                file: None,
                ..
            }))
        ));
        assert!(Cli::try_parse_from(["dateline", "import", "wordpress"]).is_err());
        assert!(
            Cli::try_parse_from(["dateline", "import", "wordpress", "a.xml", "--media", "m"])
                .is_err(),
            "--media is for our own files"
        );
    }

    #[test]
    fn trusted_proxies_are_a_comma_separated_list_of_addresses() {
        let cli =
            Cli::try_parse_from(["dateline", "serve", "--trusted-proxy", "10.0.0.1,::1"]).unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve");
        };
        let expected: Vec<std::net::IpAddr> =
            vec!["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
        assert_eq!(args.trusted_proxies, expected);
        assert!(Cli::try_parse_from(["dateline", "serve", "--trusted-proxy", "lb.local"]).is_err());
    }
}
