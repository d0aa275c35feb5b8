//! Records an auditor can hold outside the database: the signed checkpoint
//! of the organisation's chain, polled from a public endpoint and printed
//! in every notice (issue 17, point 4).

use std::sync::Arc;

use axum::http::StatusCode;
use chuangkou_domain::Role;
use chuangkou_store::checkpoints::{Checkpoint, signing_key};
use chuangkou_store::story;
use chuangkou_web::WebConfig;

use crate::common::TestApp;

fn key() -> ed25519_dalek::SigningKey {
    signing_key(&"5a".repeat(32)).unwrap()
}

story!(an_auditor_polls_a_signed_checkpoint_of_the_chain_as_it_stands, |store| {
    let config = WebConfig { checkpoint_key: Some(Arc::new(key())), ..WebConfig::default() };
    let mut app = TestApp::with_config(store.clone(), config);
    let seed = app.seed("TY").await;
    let r = app.get("/api/v1/public/checkpoints/TY", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let cp: Checkpoint = serde_json::from_slice(&r.body).unwrap();
    let head = store.events(seed.org_id, None, 1).await.unwrap().remove(0);
    assert_eq!((cp.org_code.as_str(), cp.seq, cp.head_hash.as_str()), ("TY", head.seq, head.hash.as_str()));
    assert!(cp.signed_by(&key().verifying_key()), "signed with the installation's checkpoint key");
    assert_eq!(store.check_checkpoint(&cp, &key().verifying_key()).await.unwrap(), None);
    // A later change leaves the polled copy behind the chain, not diverging from it.
    app.token(seed.org_id, "office", Role::Office).await;
    assert_eq!(store.check_checkpoint(&cp, &key().verifying_key()).await.unwrap(), None);

    let r = app.get("/api/v1/public/checkpoints/NOPE", None).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found".to_string()));
    // An installation that signs nothing says so the same way.
    let mut unsigned = TestApp::new(store.clone());
    assert_eq!(unsigned.get("/api/v1/public/checkpoints/TY", None).await.status, StatusCode::NOT_FOUND);
});

story!(the_notice_prints_a_checkpoint_an_auditor_can_check, |store| {
    let config = WebConfig { checkpoint_key: Some(Arc::new(key())), ..WebConfig::default() };
    let mut app = TestApp::with_config(store.clone(), config);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    store.set_clock(chuangkou_store::testing::noon_2026(11, 5));
    let r = app.get("/api/v1/exports/notice.pdf?month=2026-11", Some(&office)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let text: String =
        chuangkou_notice::pdftotext(&r.body).expect("pdftotext").concat().split_whitespace().collect();
    let printed = text.split("记录存证/recordcheckpoint：").nth(1).expect("the checkpoint paragraph");
    // Copied off the page as an auditor would: `name value` pairs.
    let field = |name: &str| -> String {
        let rest = printed.split(name).nth(1).unwrap_or_else(|| panic!("{name} in {printed}"));
        rest.split('·').next().unwrap().to_string()
    };
    let cp = Checkpoint {
        org_id: field("org_id").parse().unwrap(),
        org_code: field("org_code"),
        seq: field("·seq").parse().unwrap(),
        head_hash: field("head_hash"),
        at: field("·at").parse().unwrap(),
        public_key: field("public_key"),
        signature: field("signature").chars().take(128).collect(),
    };
    assert!(cp.signed_by(&key().verifying_key()), "the printed checkpoint verifies: {cp:?}");
    assert_eq!(store.check_checkpoint(&cp, &key().verifying_key()).await.unwrap(), None);
    assert!(text.contains(&format!("存证TY#{}", cp.seq)), "the footer names it on every page");
});
