//! The web layer's story, told through HTTP requests against the real
//! router on a real database — each story runs on SQLite and PostgreSQL.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

mod access;
mod annual;
mod api_errors;
mod auth;
mod campaigns;
mod cases;
mod csrf;
mod directory;
mod duty;
mod guides;
mod indicators;
mod ledger;
mod notices;
mod openapi;
mod organisation;
mod packs;
mod pages;
mod recognition;
mod records;
mod satisfaction;
mod schema;
mod training;
