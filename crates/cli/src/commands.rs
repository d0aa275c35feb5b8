//! The subcommands.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chuangkou_domain::Role;
use chuangkou_domain::roster::{self, ImportKind};
use chuangkou_store::Store;
use chuangkou_store::import::ImportMode;
use chuangkou_store::users::NewUser;
use chuangkou_web::{AppState, WebConfig};

use crate::config::Config;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, env = "CHUANGKOU_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The address the public uses to reach this server (QR codes point here).
    /// Default: http://LISTEN.
    #[arg(long, env = "CHUANGKOU_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Mark cookies Secure (when served over HTTPS).
    #[arg(long, env = "CHUANGKOU_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Create the demo organisation if the database is empty, and print its sign-ins.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: the sector's demo (toll, power, bank, taxi, hall, lock, bus).
    #[arg(long, default_value = "toll", requires = "demo",
        value_parser = clap::builder::PossibleValuesParser::new(crate::DEMO_PACKS))]
    pub pack: String,
    /// Deliver SMS to reporters through this webhook (POST JSON {id, to, body}),
    /// an http:// or https:// URL.
    #[arg(long, env = "CHUANGKOU_SMS_WEBHOOK", hide_env_values = true)]
    pub sms_webhook: Option<String>,
    /// Send staff notifications by e-mail through this SMTP server:
    /// smtps://user:password@host (TLS), smtp://user:password@host:587?tls=required
    /// (STARTTLS), or host:port for a plain relay on the intranet.
    #[arg(long, env = "CHUANGKOU_SMTP", hide_env_values = true)]
    pub smtp: Option<String>,
    /// The sender address of those e-mails.
    #[arg(long, env = "CHUANGKOU_SMTP_FROM", default_value = "noreply@chuangkou.local")]
    pub smtp_from: String,
    /// How often to fire due deadline timers, in milliseconds.
    #[arg(long, env = "CHUANGKOU_SWEEP_MS", default_value_t = 1000)]
    pub sweep_ms: u64,
    /// The Chinese TrueType font (.ttf/.ttc) PDF notices are set in.
    /// Default: Debian's fonts-wqy-microhei (or -zenhei) where installed.
    #[arg(long, env = "CHUANGKOU_PDF_FONT")]
    pub pdf_font: Option<std::path::PathBuf>,
    /// A token a metrics scraper sends as `Authorization: Bearer …` to read
    /// /metrics; without it, /metrics answers loopback callers only.
    #[arg(long, env = "CHUANGKOU_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// The address of a reverse proxy in front of this instance, whose
    /// X-Forwarded-For then names the client (for the hourly limits and
    /// /metrics); repeat or separate with commas. Without it every client
    /// behind the proxy shares the proxy's address.
    #[arg(long, env = "CHUANGKOU_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxy: Vec<std::net::IpAddr>,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// Organisation code, e.g. TY.
    #[arg(long)]
    pub org: String,
    /// units, staff or vehicles.
    #[arg(long)]
    pub kind: String,
    /// Import the valid rows even if some rows are bad (default: all or nothing).
    #[arg(long)]
    pub valid_rows: bool,
    pub file: PathBuf,
}

#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Create a user; prints a generated password unless --password is given.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        username: String,
        /// staff, shift_leader, office, supervisor, leader, finance, discipline, admin
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
        /// The employee number of the user's staff record.
        #[arg(long)]
        staff: Option<String>,
        #[arg(long, env = "CHUANGKOU_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// E-mail address for notifications.
        #[arg(long)]
        email: Option<String>,
    },
    /// Set a new password; prints a generated one unless --password is given.
    Passwd {
        #[arg(long)]
        username: String,
        #[arg(long, env = "CHUANGKOU_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// List the users of an organisation.
    List {
        #[arg(long)]
        org: String,
    },
    /// Issue an API token for a user (shown once).
    Token {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
    },
    /// Change a user's role, staff record or status; a new role or status
    /// ends their sessions and API tokens.
    Update {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: Option<String>,
        /// Link to the staff record with this employee number.
        #[arg(long, conflicts_with = "unlink")]
        staff: Option<String>,
        /// Remove the link to a staff record.
        #[arg(long)]
        unlink: bool,
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        #[arg(long)]
        enable: bool,
    },
    /// Print a one-time link for the user to set a password (24 hours).
    Reset {
        #[arg(long)]
        username: String,
        /// The address users reach the server at.
        #[arg(long, env = "CHUANGKOU_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,
    },
}

#[derive(clap::Subcommand)]
pub enum PolicyCommand {
    /// Check policy packs and calendars; names file, line and reason of every error.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(clap::Subcommand)]
pub enum OrgCommand {
    /// Create an organisation.
    Create {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Policy pack: toll, taxi, bus, lock, hall.
        #[arg(long, default_value = "toll")]
        pack: String,
        #[arg(long)]
        hotline: Option<String>,
    },
    /// List organisations.
    List,
}

pub async fn run(command: crate::Command, config: &Config, store: Store) -> Result<i32> {
    use crate::Command::*;
    match command {
        Serve(args) => serve(args, config, store).await,
        Migrate { print_grants_for } => {
            println!("migrations applied; database is at version {}", chuangkou_store::latest_migration());
            if let Some(role) = print_grants_for {
                println!("{}", chuangkou_store::postgres_app_grants(&role));
            }
            Ok(0)
        }
        Verify(args) => crate::records::verify_all(&store, config, &args).await,
        Checkpoint { dir } => {
            let dir = dir.unwrap_or_else(|| config.checkpoint_dir());
            let n = crate::records::write_checkpoints(&store, &config.checkpoint_key()?, &dir).await?;
            println!("{n} checkpoints written to {}", dir.display());
            println!("public key: {}", hex::encode(config.checkpoint_key()?.verifying_key().to_bytes()));
            Ok(0)
        }
        Backup { dest } => crate::records::backup(&store, config, &dest).await,
        CopyTo { url } => crate::records::copy_to(&store, config, &url).await,
        Restore { .. } => unreachable!("restore runs before the store is opened"),
        Demo { pack } => {
            let creds = crate::demo::ensure(&store, config, &pack).await?;
            crate::demo::print(&creds, None, &pack);
            Ok(0)
        }
        Import(args) => import(&store, args).await,
        User(cmd) => user(&store, cmd).await,
        Org(cmd) => org(&store, cmd, &config.policies()?).await,
        Policy(PolicyCommand::Check { files }) => policy_check(&files),
        Bench(_) => unreachable!("benchmarks run before the store is opened"),
    }
}

async fn serve(args: ServeArgs, config: &Config, store: Store) -> Result<i32> {
    // A bad policy pack stops start-up here, naming file, line and reason.
    let policies = config.policies()?;
    let creds = if args.demo { Some(crate::demo::ensure(&store, config, &args.pack).await?) } else { None };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let web = WebConfig {
        public_url: args.public_url.unwrap_or_else(|| url.clone()),
        secure_cookies: args.secure_cookies,
        pdf_font: args.pdf_font,
        metrics_token: args.metrics_token,
        trusted_proxies: args.trusted_proxy,
        checkpoint_key: Some(std::sync::Arc::new(config.checkpoint_key()?)),
        ..WebConfig::default()
    };
    // Built before the line that says it is ready: the intake queues'
    // threads start here.
    let state = AppState::new(store.clone(), web, policies);
    if let Some(creds) = &creds {
        crate::demo::print(creds, Some(&url), &args.pack);
    }
    println!("Chuangkou is listening on {url}");
    tracing::info!(%addr, backend = ?store.backend(), "serving");
    spawn_sweeper(store.clone(), state.policies.clone(), args.sweep_ms);
    spawn_sealer(store.clone());
    crate::records::spawn_checkpoints(store.clone(), config.checkpoint_key()?, config.checkpoint_dir());
    store.checkpoint_in_background(chuangkou_store::CHECKPOINT_EVERY).await?;
    let hook = args.sms_webhook.as_deref().map(crate::senders::Webhook::parse).transpose()?;
    let smtp = args
        .smtp
        .as_deref()
        .map(|server| crate::senders::Smtp::parse(server, &args.smtp_from))
        .transpose()?;
    if hook.is_some() || smtp.is_some() {
        crate::senders::spawn(store.clone(), hook, smtp);
    }
    chuangkou_web::serve(listener, state).await?;
    store.close().await;
    Ok(0)
}

pub async fn verify(store: &Store) -> Result<i32> {
    let report = store.verify().await?;
    // Rating rollups against a recomputation from the raw ratings.
    let diffs = store.verify_rollups().await?;
    for d in &diffs {
        println!(
            "ROLLUP: organisation {} {} {} on {}: stored {:?}, recomputed {:?} (levels 1..5)",
            d.org_id, d.scope, d.scope_id, d.day, d.rollup, d.recomputed
        );
    }
    for r in &report.rows {
        println!("ROW: organisation {} {} #{}: {}", r.org_id, r.table, r.row_id, r.problem);
    }
    if report.broken.is_empty() {
        println!("OK: {} events in {} organisation chains verified", report.events, report.organisations);
        if !report.rows.is_empty() {
            println!("{} tables hold rows that differ from their seals", report.rows.len());
            return Ok(1);
        }
        println!("OK: every row of record matches its seal in the chain (or waits for one)");
        if diffs.is_empty() {
            println!("OK: rating rollups equal a recomputation from the ratings");
            return Ok(0);
        }
        println!("{} rating rollup rows differ from the ratings", diffs.len());
        return Ok(1);
    }
    for b in &report.broken {
        println!(
            "BROKEN: organisation {} at event id {} (seq {}): {}",
            b.org_id, b.event_id, b.seq, b.problem
        );
    }
    println!(
        "{} of {} chains are broken; {} events verified before the breaks",
        report.broken.len(),
        report.organisations,
        report.events
    );
    Ok(1)
}

async fn import(store: &Store, args: ImportArgs) -> Result<i32> {
    let org = store
        .organisation_by_code(&args.org)
        .await
        .with_context(|| format!("no organisation {}", args.org))?;
    let Some(kind) = ImportKind::parse(&args.kind) else { bail!("--kind must be units, staff or vehicles") };
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let sheets = chuangkou_tabular::read(&bytes, &args.file.to_string_lossy())?;
    let sheet = sheets
        .iter()
        .find(|s| s.name == kind.sheet_name())
        .or(sheets.first())
        .context("the file has no sheet")?;
    let plan = roster::plan(kind, &sheet.name, &sheet.rows, &store.known(org.id).await?);
    let mode = if args.valid_rows { ImportMode::ValidRows } else { ImportMode::AllOrNothing };
    let out = store.apply_import(org.id, "cli", plan, mode).await?;
    for e in &out.errors {
        println!("{} row {} column {}: {}", e.sheet, e.row, e.column, e.reason);
    }
    if out.applied {
        println!("imported: {} created, {} updated, {} unchanged", out.created, out.updated, out.unchanged);
        Ok(if out.errors.is_empty() { 0 } else { 2 })
    } else {
        println!("nothing imported: {} problems", out.errors.len());
        Ok(1)
    }
}

fn password_or_generated(given: Option<String>) -> Result<(String, bool)> {
    match given {
        Some(p) if p.chars().count() >= 8 => Ok((p, false)),
        Some(_) => bail!("passwords must have at least 8 characters"),
        None => Ok((crate::demo::generate_password(), true)),
    }
}

async fn user(store: &Store, cmd: UserCommand) -> Result<i32> {
    match cmd {
        UserCommand::Create { org, username, role, name, staff, password, email } => {
            let org =
                store.organisation_by_code(&org).await.with_context(|| format!("no organisation {org}"))?;
            let Some(role) = Role::parse(&role) else { bail!("unknown role {role}") };
            let username = chuangkou_domain::text::code("username", &username)
                .map_err(|e| anyhow::anyhow!(e.message))?
                .to_lowercase();
            let (password, generated) = password_or_generated(password)?;
            let hash = chuangkou_web::auth::hash_password(password.clone())
                .await
                .map_err(|e| anyhow::anyhow!(e.message()))?;
            let staff_id = match &staff {
                Some(no) => Some(
                    *store
                        .staff_ids_by_number(org.id)
                        .await?
                        .get(no)
                        .with_context(|| format!("no staff member {no}"))?,
                ),
                None => None,
            };
            let user = store
                .create_user(
                    org.id,
                    "cli",
                    &NewUser {
                        username: &username,
                        display_name: name.as_deref().unwrap_or(&username),
                        password_hash: &hash,
                        role,
                        staff_id,
                    },
                )
                .await
                .context("creating the user")?;
            if let Some(email) = email.as_deref().filter(|e| e.contains('@')) {
                store.set_email(org.id, user.id, "cli", Some(email)).await?;
            }
            println!("created user {} (id {}, role {})", user.username, user.id, role.as_str());
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::Passwd { username, password } => {
            let user = store
                .user_by_username(&username.to_lowercase())
                .await
                .with_context(|| format!("no user {username}"))?;
            let (password, generated) = password_or_generated(password)?;
            let hash = chuangkou_web::auth::hash_password(password.clone())
                .await
                .map_err(|e| anyhow::anyhow!(e.message()))?;
            store.set_password(user.org_id, user.id, "cli", &hash).await?;
            println!("password changed for {}", user.username);
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::List { org } => {
            let org =
                store.organisation_by_code(&org).await.with_context(|| format!("no organisation {org}"))?;
            for u in store.users(org.id).await? {
                println!(
                    "{:>5}  {:<16} {:<14} {}{}",
                    u.id,
                    u.username,
                    u.role,
                    u.display_name,
                    if u.disabled { " (disabled)" } else { "" }
                );
            }
        }
        UserCommand::Token { username, name } => {
            let user = store
                .user_by_username(&username.to_lowercase())
                .await
                .with_context(|| format!("no user {username}"))?;
            let (id, token) = store.create_api_token(&user, &name).await?;
            println!("token {id} for {}: {token}", user.username);
            println!("(shown once; send it as `Authorization: Bearer <token>`)");
        }
        UserCommand::Update { username, role, staff, unlink, disable, enable } => {
            let user = store
                .user_by_username(&username.to_lowercase())
                .await
                .with_context(|| format!("no user {username}"))?;
            let role = match role {
                Some(r) => Some(Role::parse(&r).with_context(|| format!("unknown role {r}"))?),
                None => None,
            };
            let staff_id = match (&staff, unlink) {
                (Some(no), _) => Some(Some(
                    *store
                        .staff_ids_by_number(user.org_id)
                        .await?
                        .get(no)
                        .with_context(|| format!("no staff member {no}"))?,
                )),
                (None, true) => Some(None),
                (None, false) => None,
            };
            let disabled = if disable {
                Some(true)
            } else if enable {
                Some(false)
            } else {
                None
            };
            let change = chuangkou_store::users::UserChange { role, staff_id, disabled };
            let u = store.update_user(user.org_id, "cli", user.id, &change).await?;
            println!(
                "{}: role {}, staff {}, {}",
                u.username,
                u.role,
                u.staff_id.map_or("—".to_string(), |s| s.to_string()),
                if u.disabled { "disabled" } else { "enabled" }
            );
        }
        UserCommand::Reset { username, public_url } => {
            let user = store
                .user_by_username(&username.to_lowercase())
                .await
                .with_context(|| format!("no user {username}"))?;
            let (token, _) = store.issue_password_reset(user.org_id, "cli", user.id).await?;
            println!("{}/reset/{token}", public_url.trim_end_matches('/'));
            println!("(works once, within 24 hours)");
        }
    }
    Ok(0)
}

async fn org(store: &Store, cmd: OrgCommand, policies: &chuangkou_domain::policy::PolicySet) -> Result<i32> {
    match cmd {
        OrgCommand::Create { code, name, pack, hotline } => {
            if policies.pack(&pack).is_none() {
                bail!("unknown policy pack {pack}");
            }
            let code = chuangkou_domain::text::code("code", &code).map_err(|e| anyhow::anyhow!(e.message))?;
            let org = store
                .create_organisation("cli", &code, &name, &pack, hotline.as_deref())
                .await
                .context("creating the organisation")?;
            println!("created organisation {} ({}) with id {}", org.name, org.code, org.id);
        }
        OrgCommand::List => {
            for o in store.organisations().await? {
                println!("{:>5}  {:<8} {:<6} {}", o.id, o.code, o.pack, o.name);
            }
        }
    }
    Ok(0)
}

/// Fires due deadline timers in the background. Safe with several
/// instances on one PostgreSQL: each timer is claimed by one of them.
fn spawn_sweeper(store: Store, policies: std::sync::Arc<chuangkou_domain::policy::PolicySet>, every_ms: u64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(every_ms.max(50)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match store.sweep_timers(&policies).await {
                Ok(r) if r.fired + r.skipped > 0 => {
                    tracing::info!(
                        fired = r.fired,
                        escalated = r.escalated,
                        overdue = r.overdue,
                        facts = r.facts,
                        skipped = r.skipped,
                        "timers"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "timer sweep failed; will retry"),
            }
        }
    });
}

/// Seals new and changed rows of record into the chain every few seconds
/// (`chuangkou_store::seals`): the window in which an edit out of band could
/// be queued by hand and sealed as if the product had made it. Also
/// forgets group commit's kept answers once no lookup can need them.
fn spawn_sealer(store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(chuangkou_store::seals::SEAL_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = store.seal().await {
                tracing::error!(error = %e, "sealing rows of record failed; will retry");
            }
            // Group commit's kept answers are needed for minutes only.
            if let Err(e) = store.forget_old_answers().await {
                tracing::error!(error = %e, "forgetting old batch answers failed; will retry");
            }
            // Hourly limits need the current and the previous hour only.
            if let Err(e) = store.prune_rate_counts().await {
                tracing::error!(error = %e, "forgetting old hourly counts failed; will retry");
            }
        }
    });
}

fn policy_check(files: &[PathBuf]) -> Result<i32> {
    let mut failed = 0;
    let mut texts = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        texts.push((f.display().to_string(), text));
    }
    for (name, text) in &texts {
        let result = if text.contains("[pack]") {
            chuangkou_domain::policy::Pack::parse(name, text)
                .map(|p| format!("pack {} ({})", p.code, p.title))
        } else {
            chuangkou_domain::calendar::Calendar::parse(name, text).map(|c| format!("calendar {}", c.name))
        };
        match result {
            Ok(what) => println!("OK: {name}: {what}"),
            Err(e) => {
                failed += 1;
                println!("ERROR: {e}");
            }
        }
    }
    Ok(if failed > 0 { 1 } else { 0 })
}
