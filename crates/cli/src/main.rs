//! `chuangkou`: one binary for serving, migrating, verifying, importing and
//! administering. `main` only wires: tracing → config → database → command.
#![forbid(unsafe_code)]

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

mod bench;
mod bench_dashboard;
mod bench_inbox;
mod bench_sweep;
mod commands;
mod config;
mod demo;
mod demo_sectors;
mod demo_work;

/// The packs with a demo organisation (see `demo::packs`; a test keeps them equal).
pub const DEMO_PACKS: [&str; 7] = ["toll", "power", "bank", "taxi", "hall", "lock", "bus"];
mod records;
mod senders;

#[derive(Parser)]
#[command(name = "chuangkou", version, about = "窗口 Chuangkou — service quality for public-service windows")]
pub struct Cli {
    #[command(flatten)]
    pub config: config::Config,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web console, public pages and API.
    Serve(commands::ServeArgs),
    /// Apply database migrations and exit.
    Migrate {
        /// Also print the PostgreSQL grants for a role that runs `serve`
        /// but owns nothing (docs/OPERATIONS.md).
        #[arg(long, value_name = "ROLE")]
        print_grants_for: Option<String>,
    },
    /// Walk every organisation's event chain; exit 1 at a broken link.
    Verify(records::VerifyArgs),
    /// Write a signed checkpoint of every organisation's chain into a folder
    /// (`serve` also does every hour).
    Checkpoint {
        /// Where to write them; default DATA_DIR/checkpoints.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Create the demo organisation (if the database has none) and print its sign-ins.
    Demo {
        /// The sector: toll (the fullest demo), power, bank, taxi, hall, lock or bus.
        #[arg(long, default_value = "toll", value_parser = clap::builder::PossibleValuesParser::new(DEMO_PACKS))]
        pack: String,
    },
    /// Import units, staff or vehicles from .xlsx or .csv into an organisation.
    Import(commands::ImportArgs),
    /// Manage users: create, set a password, list, issue API tokens.
    #[command(subcommand)]
    User(commands::UserCommand),
    /// Manage organisations.
    #[command(subcommand)]
    Org(commands::OrgCommand),
    /// Policy packs: check files before deploying them.
    #[command(subcommand)]
    Policy(commands::PolicyCommand),
    /// Copy the database, consistently, while it is in use: SQLite into a new
    /// file (VACUUM INTO), PostgreSQL with pg_dump -Fc. Keep the secret apart.
    Backup {
        /// The file to write (must not exist).
        dest: std::path::PathBuf,
    },
    /// Put a SQLite backup in place of this installation's database, after
    /// verifying its event chains and rollups with this installation's
    /// secret; refuses a copy that does not verify. Stop `serve` first.
    Restore {
        /// The backup file.
        src: std::path::PathBuf,
    },
    /// Copy this SQLite installation into an empty PostgreSQL database, to
    /// run several instances on it (docs/DEPLOYMENT.md), then verify the
    /// copy with the installation's secret. The SQLite database is left as
    /// it is; stop `serve` first so that nothing is written after the copy.
    CopyTo {
        /// The PostgreSQL database to fill (postgres://…), migrated first.
        url: String,
    },
    /// Benchmarks: `bench cases` and `bench ratings` measure intake over HTTP.
    #[command(subcommand, hide = true)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Case intake through the HTTP API with concurrent clients.
    Cases(bench::BenchArgs),
    /// Rating intake through the public HTTP API with concurrent clients.
    Ratings(bench::RatingBenchArgs),
    /// A year of data the size of seed 000; the monthly assessment and the dashboard page.
    Dashboard(bench_dashboard::DashboardBenchArgs),
    /// Cases whose deadlines all pass at once, swept beside intake and an admin writer.
    Sweep(bench_sweep::SweepBenchArgs),
    /// A further sweeper of `bench sweep`, started by it in a process of its own.
    #[command(hide = true)]
    SweepInstance(bench_sweep::SweepInstanceArgs),
    /// The case inbox at a million cases: each tab, the counts, searches
    /// and filters through the real router, p95 against the 50 ms budget.
    Inbox(bench_inbox::InboxBenchArgs),
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<()> {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    config::init_tracing(&cli.config);
    let nice = cli.config.worker_nice;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(move || lower_priority(nice))
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        if let Command::Bench(b) = cli.command {
            std::process::exit(match b {
                BenchCommand::Cases(args) => bench::cases(args).await?,
                BenchCommand::Ratings(args) => bench::ratings(args).await?,
                BenchCommand::Dashboard(args) => bench_dashboard::dashboard(args).await?,
                BenchCommand::Sweep(args) => bench_sweep::sweep(args).await?,
                BenchCommand::SweepInstance(args) => bench_sweep::sweep_instance(args).await?,
                BenchCommand::Inbox(args) => bench_inbox::inbox(args).await?,
            });
        }
        if let Command::Restore { src } = &cli.command {
            std::process::exit(records::restore(&cli.config, src).await?);
        }
        let store = cli.config.open_store().await?;
        let code = commands::run(cli.command, &cli.config, store).await?;
        std::process::exit(code)
    })
}

/// `chuangkou user token … | head -1` closes the pipe after the first line;
/// the next `println!` then panics. Like any Unix tool, stop quietly
/// instead (the work was done: the token is issued before it is printed).
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Lowers the calling thread's priority. The SQLite writer's thread is
/// opened by the main thread before any worker starts, so it keeps the
/// default priority (`Store::connect`).
fn lower_priority(nice: i32) {
    if nice > 0 {
        // On Linux the nice value belongs to the thread (`None`: the caller).
        if let Err(e) = rustix::process::setpriority_process(None, nice) {
            tracing::warn!(error = %e, "cannot lower the priority of a worker thread");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    #[test]
    fn every_sector_with_a_demo_is_offered_and_has_its_pack() {
        assert_eq!(crate::demo::packs(), super::DEMO_PACKS);
        let policies = chuangkou_domain::policy::PolicySet::builtin();
        for pack in super::DEMO_PACKS {
            assert!(policies.rules(pack).is_some(), "{pack}");
        }
    }
}
