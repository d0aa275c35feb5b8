//! An installation of the binary in a fresh data folder, on SQLite or on a
//! fresh PostgreSQL database: shared by the command-line tests.

// Each test crate uses a part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use chuangkou_store::{Store, random_token};

pub struct Install {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
}

impl Install {
    pub async fn new(pg: bool) -> Option<Install> {
        let data_dir = std::env::temp_dir().join("chuangkou-cli-tests").join(random_token(6));
        std::fs::create_dir_all(&data_dir).unwrap();
        let database_url = if pg { Some(chuangkou_store::testing::pg_database_url().await?) } else { None };
        Some(Install { data_dir, database_url })
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run chuangkou")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_chuangkou"));
        cmd.args(args)
            .env("CHUANGKOU_DATA_DIR", &self.data_dir)
            .env_remove("CHUANGKOU_SECRET")
            .env("CHUANGKOU_LOG", "warn");
        match &self.database_url {
            Some(u) => cmd.env("CHUANGKOU_DATABASE_URL", u),
            None => cmd.env_remove("CHUANGKOU_DATABASE_URL"),
        };
        cmd.env_remove("CHUANGKOU_WORKER_NICE");
        cmd
    }

    /// Opens the same database the binary uses, with its secret.
    pub async fn store(&self) -> Store {
        let key = std::fs::read_to_string(self.data_dir.join("secret.key")).unwrap();
        let url = self
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("chuangkou.db").display()));
        Store::connect(&url, key.trim().as_bytes().to_vec()).await.unwrap()
    }
}

/// `serve` on a free port of this installation, and the address it prints
/// once it listens (`127.0.0.1:PORT`). The caller stops it.
pub fn serve(install: &Install) -> (std::process::Child, String) {
    let mut cmd = install.command(&["serve", "--listen", "127.0.0.1:0"]);
    cmd.stdout(std::process::Stdio::piped());
    serve_with(cmd)
}

/// Starts `cmd` (a `serve` with its stdout piped) and answers the address
/// it prints once it listens.
pub fn serve_with(mut cmd: Command) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = cmd.spawn().expect("start serve");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.split_once("listening on http://").map(|(_, a)| a.trim().to_string()))
        .expect("serve did not start");
    (child, addr)
}
