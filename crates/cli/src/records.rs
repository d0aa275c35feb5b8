//! The installation's records kept safe: consistent backups, a restore that
//! verifies before it replaces anything, and signed checkpoints of the
//! event chains (docs/OPERATIONS.md).

use std::path::PathBuf;

use anyhow::{Context, Result};
use chuangkou_store::Store;

use crate::commands::verify;
use crate::config::Config;

/// A consistent copy of the database while it is in use.
pub async fn backup(store: &Store, config: &Config, dest: &std::path::Path) -> Result<i32> {
    match store.backend() {
        chuangkou_store::Backend::Sqlite => {
            store.backup_sqlite(dest).await.with_context(|| format!("backing up into {}", dest.display()))?;
        }
        chuangkou_store::Backend::Postgres => {
            let status = std::process::Command::new("pg_dump")
                .args(["--format=custom", "--file"])
                .arg(dest)
                .arg(config.database_url())
                .status()
                .context("running pg_dump (Debian: postgresql-client)")?;
            anyhow::ensure!(status.success(), "pg_dump failed: {status}");
        }
    }
    println!("backed up into {}", dest.display());
    println!(
        "keep the installation's secret (DATA_DIR/secret.key or CHUANGKOU_SECRET) apart from it: the copy is verified and read with it"
    );
    Ok(0)
}

/// Verifies a SQLite backup with this installation's secret, then puts it
/// in place of the database (the one it replaces is kept beside it).
pub async fn restore(config: &Config, src: &std::path::Path) -> Result<i32> {
    anyhow::ensure!(
        config.database_url.as_deref().is_none_or(|u| u.starts_with("sqlite:")),
        "restore puts back a SQLite file; for PostgreSQL use pg_restore into an empty database, then `chuangkou verify` (docs/OPERATIONS.md)"
    );
    let (secret, new) = config.secret()?;
    anyhow::ensure!(
        !new,
        "{} is missing: a backup is verified and read with the installation's secret; put it back first",
        config.data_dir.join("secret.key").display()
    );
    anyhow::ensure!(src.is_file(), "no backup at {}", src.display());
    std::fs::create_dir_all(&config.data_dir)?;
    let target = config.data_dir.join("chuangkou.db");
    let staging = config.data_dir.join("chuangkou.db.restoring");
    let _ = std::fs::remove_file(&staging);
    std::fs::copy(src, &staging).with_context(|| format!("copying {}", src.display()))?;
    let store = Store::connect(&format!("sqlite://{}", staging.display()), secret)
        .await
        .with_context(|| format!("opening the backup {}", src.display()))?;
    store.migrate().await.context("bringing the backup to this version")?;
    let code = verify(&store).await?;
    let events = store.verify().await?.events;
    store.close().await;
    if code != 0 {
        let _ = std::fs::remove_file(&staging);
        println!(
            "REFUSED: {} does not verify with this installation's secret; nothing was changed",
            src.display()
        );
        return Ok(1);
    }
    if target.exists() {
        #[allow(clippy::disallowed_methods)] // names a file for the operator, in the machine's time
        let aside = config
            .data_dir
            .join(format!("chuangkou.db.before-restore-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S")));
        std::fs::rename(&target, &aside).with_context(|| format!("moving {} aside", target.display()))?;
        println!("the database it replaces is kept as {}", aside.display());
    }
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(config.data_dir.join(format!("chuangkou.db{ext}")));
    }
    std::fs::rename(&staging, &target)?;
    println!("restored {} ({events} events verified)", src.display());
    Ok(0)
}

/// Copies this SQLite installation into the empty PostgreSQL database at
/// `url`, then walks the copy's chains, seals, ratings and rollups with the
/// installation's secret.
pub async fn copy_to(store: &Store, config: &Config, url: &str) -> Result<i32> {
    anyhow::ensure!(
        store.backend() == chuangkou_store::Backend::Sqlite,
        "copy-to copies a SQLite installation; this one is on PostgreSQL already"
    );
    anyhow::ensure!(
        url.starts_with("postgres://") || url.starts_with("postgresql://"),
        "copy-to copies into a PostgreSQL database: give a postgres:// URL"
    );
    let (secret, new) = config.secret()?;
    anyhow::ensure!(
        !new,
        "{} is missing: the copy is verified and read with the installation's secret",
        config.data_dir.join("secret.key").display()
    );
    let target = Store::connect(url, secret).await.context("connecting to the PostgreSQL database")?;
    target.migrate().await.context("migrating the PostgreSQL database")?;
    let started = std::time::Instant::now();
    let copied = store.copy_into(&target).await?;
    for c in copied.iter().filter(|c| c.rows > 0) {
        println!("{:>12} rows  {}", c.rows, c.table);
    }
    let rows: u64 = copied.iter().map(|c| c.rows).sum();
    println!("copied {rows} rows of {} tables in {:.1} s", copied.len(), started.elapsed().as_secs_f64());
    let code = verify(&target).await?;
    target.close().await;
    if code != 0 {
        println!("the copy does not verify: do not use it (drop that database and try again)");
        return Ok(code);
    }
    println!("set CHUANGKOU_DATABASE_URL to that database to serve from it; keep the same secret");
    Ok(0)
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Also check the database against the signed checkpoints in this
    /// folder: it must hold each organisation's latest checkpointed event
    /// with the signed hash (not behind it, not diverging).
    #[arg(long)]
    pub checkpoints: Option<PathBuf>,
    /// The public key the checkpoints must be signed with (hex); default:
    /// this installation's checkpoint key.
    #[arg(long)]
    pub checkpoint_public_key: Option<String>,
}

/// Writes every organisation's checkpoint as `CODE-SEQ.json` into `dir`.
pub async fn write_checkpoints(
    store: &Store,
    key: &ed25519_dalek::SigningKey,
    dir: &std::path::Path,
) -> Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // What a checkpoint signs then covers every row of record written so far.
    store.seal().await?;
    let cps = store.checkpoints(key).await?;
    for cp in &cps {
        let path = dir.join(format!("{}-{:012}.json", cp.org_code, cp.seq));
        std::fs::write(&path, serde_json::to_vec_pretty(cp)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(cps.len())
}

pub async fn verify_all(store: &Store, config: &Config, args: &VerifyArgs) -> Result<i32> {
    let mut code = verify(store).await?;
    let Some(dir) = &args.checkpoints else { return Ok(code) };
    let key = match &args.checkpoint_public_key {
        Some(k) => chuangkou_store::checkpoints::verifying_key(k)?,
        None => config.checkpoint_key()?.verifying_key(),
    };
    // The latest checkpoint of each organisation.
    let mut latest: std::collections::BTreeMap<
        chuangkou_domain::OrgId,
        chuangkou_store::checkpoints::Checkpoint,
    > = Default::default();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let cp: chuangkou_store::checkpoints::Checkpoint = serde_json::from_slice(&std::fs::read(&path)?)
                .with_context(|| format!("reading the checkpoint {}", path.display()))?;
            if latest.get(&cp.org_id).is_none_or(|l| l.seq < cp.seq) {
                latest.insert(cp.org_id, cp);
            }
        }
    }
    for cp in latest.values() {
        match store.check_checkpoint(cp, &key).await? {
            None => println!("OK: {} holds its checkpoint at seq {}", cp.org_code, cp.seq),
            Some(problem) => {
                println!("CHECKPOINT: {problem}");
                code = 1;
            }
        }
    }
    Ok(code)
}

/// Writes signed checkpoints every hour (and once at start).
pub fn spawn_checkpoints(store: Store, key: ed25519_dalek::SigningKey, dir: PathBuf) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = write_checkpoints(&store, &key, &dir).await {
                tracing::error!(error = %e, "writing checkpoints failed; will retry");
            }
        }
    });
}
