//! Configuration from flags and `CHUANGKOU_*` environment variables. With
//! none given, everything lives under `./data/`: the SQLite file and the
//! installation secret, created on first start.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chuangkou_store::Store;

#[derive(clap::Args, Clone, Debug)]
pub struct Config {
    /// Folder for the embedded database and the generated secret.
    #[arg(long, env = "CHUANGKOU_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; default: SQLite at DATA_DIR/chuangkou.db.
    #[arg(long, env = "CHUANGKOU_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// `postgres://…` of a hot standby of the database, for the heavy
    /// reads: the dashboard, indicators, exports and searches
    /// (docs/DEPLOYMENT.md). Reads go to the primary while it is down.
    #[arg(long, env = "CHUANGKOU_DATABASE_READ_URL", global = true)]
    pub database_read_url: Option<String>,
    /// Installation secret: the keys of the event chain, of personal data and of the lookup hashes are derived from it.
    /// Default: DATA_DIR/secret.key, generated on first start. Several
    /// instances on one PostgreSQL must share it.
    #[arg(long, env = "CHUANGKOU_SECRET", hide_env_values = true, global = true)]
    pub secret: Option<String>,
    /// Folder of policy packs (`*.toml`) and `calendar/*.toml`; default:
    /// the packs shipped in the binary.
    #[arg(long, env = "CHUANGKOU_POLICY_DIR", global = true)]
    pub policy_dir: Option<PathBuf>,
    /// Log format: `text` or `json`.
    #[arg(long, env = "CHUANGKOU_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: String,
    /// Nice value (0–19) of the runtime's worker threads on Linux. They
    /// run below the SQLite writer's thread, so that under load a commit is
    /// not queued behind request handling; 0 runs them at the same priority.
    #[arg(long, env = "CHUANGKOU_WORKER_NICE", default_value_t = 10, global = true,
          value_parser = clap::value_parser!(i32).range(0..=19))]
    pub worker_nice: i32,
    /// Most connections this process opens to PostgreSQL. Several
    /// instances on one database must stay under its `max_connections`
    /// together (docs/DEPLOYMENT.md).
    #[arg(long, env = "CHUANGKOU_DB_CONNECTIONS", default_value_t = chuangkou_store::PG_CONNECTIONS, global = true,
          value_parser = clap::value_parser!(u32).range(2..=1000))]
    pub db_connections: u32,
}

impl Config {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("chuangkou.db").display()))
    }

    /// The installation secret, and whether it is new (generated now, not
    /// yet written: written only once the database is known to be new).
    pub fn secret(&self) -> Result<(Vec<u8>, bool)> {
        if let Some(s) = &self.secret {
            anyhow::ensure!(s.len() >= 16, "CHUANGKOU_SECRET must be at least 16 characters");
            return Ok((s.as_bytes().to_vec(), false));
        }
        let path = self.data_dir.join("secret.key");
        if let Ok(s) = std::fs::read_to_string(&path) {
            return Ok((s.trim().as_bytes().to_vec(), false));
        }
        Ok((chuangkou_store::random_token(32).into_bytes(), true))
    }

    /// The Ed25519 key that signs checkpoints: `CHUANGKOU_CHECKPOINT_KEY`
    /// (the 32-byte seed, hex), else `DATA_DIR/checkpoint.key`, generated on
    /// first use. Keep it apart from the database (docs/OPERATIONS.md).
    pub fn checkpoint_key(&self) -> Result<ed25519_dalek::SigningKey> {
        if let Ok(hex_seed) = std::env::var("CHUANGKOU_CHECKPOINT_KEY") {
            return Ok(chuangkou_store::checkpoints::signing_key(&hex_seed)?);
        }
        let path = self.data_dir.join("checkpoint.key");
        if let Ok(s) = std::fs::read_to_string(&path) {
            return Ok(chuangkou_store::checkpoints::signing_key(&s)?);
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let seed = chuangkou_store::random_token(32);
        write_private(&path, &seed)?;
        tracing::info!(path = %path.display(), "generated a checkpoint signing key");
        Ok(chuangkou_store::checkpoints::signing_key(&seed)?)
    }

    /// Where checkpoints are written by default.
    pub fn checkpoint_dir(&self) -> PathBuf {
        self.data_dir.join("checkpoints")
    }

    pub async fn open_store(&self) -> Result<Store> {
        let url = self.database_url();
        // Refused before anything is created or migrated.
        anyhow::ensure!(
            self.database_read_url.is_none() || url.starts_with("postgres"),
            "CHUANGKOU_DATABASE_READ_URL names a PostgreSQL standby: it needs CHUANGKOU_DATABASE_URL on PostgreSQL too"
        );
        let (secret, new) = self.secret()?;
        if new {
            std::fs::create_dir_all(&self.data_dir)
                .with_context(|| format!("creating {}", self.data_dir.display()))?;
        }
        let store = Store::connect_with(&url, secret.clone(), self.db_connections)
            .await
            .with_context(|| format!("opening the database ({})", redact(&url)))?;
        store.migrate().await.context("migrating the database")?;
        let store = match &self.database_read_url {
            Some(read) => store
                .with_read_replica(read, self.db_connections)
                .with_context(|| format!("the read replica ({})", redact(read)))?,
            None => store,
        };
        if new {
            // A database with records was written under another secret: a
            // new one would make every record look altered and leave the
            // reporters' data unreadable. Refuse, and say why.
            if store.has_records().await? {
                store.close().await;
                anyhow::bail!(
                    "{} is missing but the database ({}) already holds records: put the installation's secret back (or set CHUANGKOU_SECRET); a new secret would make every record look altered",
                    self.data_dir.join("secret.key").display(),
                    redact(&url)
                );
            }
            let path = self.data_dir.join("secret.key");
            write_private(&path, &String::from_utf8_lossy(&secret))?;
            tracing::info!(path = %path.display(), "generated a new installation secret");
        }
        Ok(store)
    }
}

/// Writes a file only its owner can read.
pub fn write_private(path: &std::path::Path, contents: &str) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).with_context(|| format!("writing {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

pub fn init_tracing(c: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("CHUANGKOU_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // A span that the filter lets through (the request's and the store's
    // use cases', at debug) logs its time when it closes.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        // Colours for a person at a terminal, not escape codes in a journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if c.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

impl Config {
    /// The policy packs: the shipped ones, or every `*.toml` in
    /// `--policy-dir` (packs) and its `calendar/` folder (calendars). A bad
    /// file stops start-up with its name, line and reason.
    pub fn policies(&self) -> Result<chuangkou_domain::policy::PolicySet> {
        let Some(dir) = &self.policy_dir else { return Ok(chuangkou_domain::policy::PolicySet::builtin()) };
        let mut files = Vec::new();
        for sub in [dir.clone(), dir.join("calendar")] {
            let Ok(entries) = std::fs::read_dir(&sub) else { continue };
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().is_some_and(|x| x == "toml") {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    files.push((path.display().to_string(), text));
                }
            }
        }
        files.sort();
        chuangkou_domain::policy::PolicySet::from_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .map_err(|e| anyhow::anyhow!("policy pack error: {e}"))
    }
}
