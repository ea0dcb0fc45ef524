//! Configuration: command line over environment over config file over defaults.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dateline_domain::BaseUrl;
use dateline_store::{DatabaseUrl, SqlStore};
use serde::Deserialize;

use crate::cli::{Cli, ServeArgs};

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./dateline-data";

/// The optional config file given with `--config`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<String>,
    base_url: Option<String>,
    database: Option<String>,
    data_dir: Option<PathBuf>,
    demo: Option<bool>,
    page_cache_mb: Option<usize>,
    related: Option<bool>,
    trusted_proxies: Option<Vec<std::net::IpAddr>>,
    max_connections: Option<u32>,
    metrics_addr: Option<String>,
}

/// Settings every subcommand shares.
#[derive(Debug)]
pub struct Config {
    pub database: DatabaseUrl,
    pub data_dir: PathBuf,
    file: FileConfig,
}

/// What `dateline serve` needs on top of [`Config`].
#[derive(Debug)]
pub struct ServeConfig<'a> {
    pub base: &'a Config,
    pub addr: SocketAddr,
    /// `--base-url`: overrides the site's settings.
    pub base_url: Option<BaseUrl>,
    pub demo: bool,
    /// Bytes of memory for cached pages; 0 for none.
    pub page_cache_bytes: usize,
    /// Whether article pages end with related articles.
    pub related: bool,
    /// Proxies whose X-Forwarded-For names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Connections served at once, before the open-file limit is taken into account.
    pub max_connections: usize,
    /// Where `/metrics` is served; `None`: nowhere.
    pub metrics_addr: Option<SocketAddr>,
}

impl Config {
    pub fn load(cli: &Cli) -> anyhow::Result<Self> {
        let file = match &cli.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = cli
            .data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database = match cli.database.clone().or_else(|| file.database.clone()) {
            Some(url) => url,
            None => format!("sqlite:{}", data_dir.join("dateline.db").display()),
        };
        let database = DatabaseUrl::parse(&database)?;
        Ok(Self {
            database,
            data_dir,
            file,
        })
    }

    pub fn serve(&self, args: &ServeArgs) -> anyhow::Result<ServeConfig<'_>> {
        let addr = args
            .addr
            .clone()
            .or_else(|| self.file.addr.clone())
            .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let addr = resolve(&addr)?;
        let base_url = match args.base_url.as_ref().or(self.file.base_url.as_ref()) {
            Some(url) => Some(
                BaseUrl::parse(url)
                    .map_err(|e| anyhow::anyhow!("invalid base URL '{url}': {e}"))?,
            ),
            None => None,
        };
        let demo = !args.no_demo && self.file.demo.unwrap_or(true);
        let page_cache_bytes = match args.page_cache_mb.or(self.file.page_cache_mb) {
            Some(mb) => mb
                .checked_mul(1024 * 1024)
                .context("page cache size is too large")?,
            None => dateline_web::DEFAULT_PAGE_CACHE_BYTES,
        };
        let related = !args.no_related && self.file.related.unwrap_or(true);
        let trusted_proxies = if args.trusted_proxies.is_empty() {
            self.file.trusted_proxies.clone().unwrap_or_default()
        } else {
            args.trusted_proxies.clone()
        };
        let max_connections = match args.max_connections.or(self.file.max_connections) {
            Some(0) => bail!("max_connections must be at least 1"),
            Some(n) => usize::try_from(n).context("max_connections is too large")?,
            None => dateline_web::DEFAULT_MAX_CONNECTIONS,
        };
        let metrics_addr = match args
            .metrics_addr
            .clone()
            .or_else(|| self.file.metrics_addr.clone())
        {
            Some(metrics) => {
                let metrics = resolve(&metrics).context("metrics address")?;
                if metrics == addr {
                    bail!("the metrics address {metrics} must differ from the site's address");
                }
                Some(metrics)
            }
            None => None,
        };
        Ok(ServeConfig {
            base: self,
            addr,
            base_url,
            demo,
            page_cache_bytes,
            related,
            trusted_proxies,
            max_connections,
            metrics_addr,
        })
    }

    /// Makes sure the data directory exists and is writable, then opens the database.
    pub async fn open_store(&self) -> anyhow::Result<SqlStore> {
        self.prepare_dirs()?;
        Ok(SqlStore::connect(&self.database).await?)
    }

    /// Makes sure the data directory (and a SQLite database's directory) exists and is writable.
    pub fn prepare_dirs(&self) -> anyhow::Result<()> {
        prepare_data_dir(&self.data_dir)?;
        let sqlite_dir = self
            .database
            .sqlite_path()
            .and_then(|p| Path::new(p).parent());
        if let Some(parent) = sqlite_dir.filter(|p| !p.as_os_str().is_empty()) {
            prepare_data_dir(parent)?;
        }
        Ok(())
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("config file {}: {}", path.display(), e.message().trim()))
}

fn resolve(addr: &str) -> anyhow::Result<SocketAddr> {
    let mut found = addr
        .to_socket_addrs()
        .with_context(|| format!("invalid listen address '{addr}': expected HOST:PORT"))?;
    match found.next() {
        Some(addr) => Ok(addr),
        None => bail!("invalid listen address '{addr}': it resolves to nothing"),
    }
}

fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    let shown = dir.display();
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create data directory {shown}"))?;
    let probe = dir.join(".dateline-write-test");
    std::fs::write(&probe, b"")
        .with_context(|| format!("data directory {shown} is not writable"))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
