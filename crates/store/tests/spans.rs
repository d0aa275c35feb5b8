//! The store's use cases open a span named after them with the
//! organisation (and the case) they act on, so that a slow or failed
//! request can be broken down from the log by tenant (issue 22). A field
//! declared without a value is left empty by `tracing::instrument`: this
//! test reads what the log actually says.
// Tests: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{act, complaint, office, register, reply, world};

/// What the log wrote, shared with the subscriber's writer.
#[derive(Clone, Default)]
struct Written(Arc<Mutex<Vec<u8>>>);

impl Write for Written {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// One thread: the subscriber is this thread's, and the store's futures
// run on it.
#[tokio::test(flavor = "current_thread")]
async fn a_refused_action_is_logged_in_a_span_naming_its_organisation_and_case() {
    let written = Written::default();
    let sink = written.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let store = chuangkou_store::testing::sqlite().await;
    let w = world(&store, "toll").await;
    let _other = register(&store, &w, &complaint(&w, "另一件")).await;
    let r = register(&store, &w, &complaint(&w, "态度不好")).await;
    act(&store, &w, r.id, office(&w), reply("太早了")).await.unwrap_err();
    let log = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
    let refused: Vec<&str> = log.lines().filter(|l| l.contains("act{")).collect();
    assert!(!refused.is_empty(), "the refusal is logged under the act span: {log}");
    let names = format!("act{{org_id={} case_id={}}}", w.org.id, r.id);
    assert!(refused.iter().all(|l| l.contains(&names)), "{names} in {refused:?}");
}
