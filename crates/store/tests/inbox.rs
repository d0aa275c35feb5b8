//! The case inbox and search, story by story, on SQLite and on
//! PostgreSQL: the text index, the period, and the home page's counts by
//! urgency (issue 23 point 1 measures the same at a million cases).
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use chuangkou_domain::CaseId;
use chuangkou_store::cases::{CaseFilter, Inbox};
use chuangkou_store::story;
use common::*;

story!(search_finds_two_character_chinese_terms, |store| {
    let w = world(&store, "toll").await;
    let a = register(&store, &w, &complaint(&w, "出租车司机故意绕道，多收车费")).await;
    register(&store, &w, &complaint(&w, "收费员服务态度生硬")).await;
    let find = |q: &str| CaseFilter { q: Some(q.into()), limit: 10, ..Default::default() };
    let hits = store.cases(w.org.id, &find("绕道")).await.unwrap();
    assert_eq!(hits.iter().map(|c| c.id).collect::<Vec<_>>(), vec![a.id]);
    assert_eq!(store.cases(w.org.id, &find("态度")).await.unwrap().len(), 1);
    assert_eq!(store.cases(w.org.id, &find("态度生硬")).await.unwrap().len(), 1);
    assert_eq!(store.cases(w.org.id, &find("态度绕道")).await.unwrap().len(), 0, "all terms must match");
    assert_eq!(store.cases(w.org.id, &find(&a.number)).await.unwrap()[0].id, a.id, "by number");
    let mine = CaseFilter { inbox: Inbox::Mine, user_id: Some(w.office), limit: 10, ..Default::default() };
    assert_eq!(store.cases(w.org.id, &mine).await.unwrap().len(), 2);
});

story!(a_search_pages_newest_first_from_the_text_index_with_the_case_by_number, |store| {
    let w = world(&store, "toll").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(register(&store, &w, &complaint(&w, &format!("第{i}次：收费员态度生硬"))).await.id);
        register(&store, &w, &complaint(&w, "出口车道排队时间过长")).await;
    }
    ids.reverse();
    let find = |q: &str, before: Option<CaseId>| CaseFilter {
        q: Some(q.into()),
        before_id: before,
        limit: 3,
        ..Default::default()
    };
    // Page by page, as the list's "next" link does: every match once, newest first.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store.cases(w.org.id, &find("态度生硬", before)).await.unwrap();
        assert!(page.len() <= 3);
        seen.extend(page.iter().map(|c| c.id));
        if page.len() < 3 {
            break;
        }
        before = page.last().map(|c| c.id);
    }
    assert_eq!(seen, ids, "every match once, newest first");
    assert_eq!(store.count_cases(w.org.id, &find("态度生硬", None), 500).await.unwrap(), 7);
    // A case's number finds it among the text matches, in its place.
    let other = register(&store, &w, &complaint(&w, "ETC 车道抬杆慢")).await;
    let by_number = store.cases(w.org.id, &find(&other.number, None)).await.unwrap();
    assert_eq!(by_number.iter().map(|c| c.id).collect::<Vec<_>>(), vec![other.id]);
    // With a tab: the open cases nobody handles (public intake), searched.
    let mut public = complaint(&w, "态度很差，没人管");
    public.registered_by = None;
    let public = register(&store, &w, &public).await;
    let unassigned = CaseFilter { inbox: Inbox::Unassigned, ..find("态度", None) };
    let found = store.cases(w.org.id, &unassigned).await.unwrap();
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![public.id]);
});

story!(a_period_pages_newest_registered_first_through_cases_registered_at_once, |store| {
    let w = world(&store, "toll").await;
    let t0 = store.now_ms();
    // Registered in another order than their times say: the minute later
    // ones first (lower ids), then the earlier ones, then one outside the
    // period.
    let mut groups = Vec::new();
    for (at, n) in [(t0 + 60_000, 3), (t0, 4), (t0 + 7 * 86_400_000, 1)] {
        store.set_clock(at);
        let mut ids = Vec::new();
        for i in 0..n {
            ids.push(register(&store, &w, &complaint(&w, &format!("第{i}件"))).await.id);
        }
        ids.reverse();
        groups.push(ids);
    }
    let expected: Vec<CaseId> = groups[..2].concat();
    let page = |before| CaseFilter {
        registered_from: Some(t0),
        registered_to: Some(t0 + 86_400_000),
        before_id: before,
        limit: 3,
        ..Default::default()
    };
    let (mut seen, mut before) = (Vec::new(), None);
    loop {
        let rows = store.cases(w.org.id, &page(before)).await.unwrap();
        seen.extend(rows.iter().map(|c| c.id));
        if rows.len() < 3 {
            break;
        }
        before = rows.last().map(|c| c.id);
    }
    assert_eq!(seen, expected, "each case of the period once, newest registered first");
});

story!(my_cases_are_counted_by_urgency_however_many_they_are, |store| {
    let w = world(&store, "toll").await;
    let rules = w.policies.rules("toll").unwrap();
    let mut batch = Vec::new();
    for i in 0..230 {
        let nc = complaint(&w, &format!("第{i}位司机反映收费员态度"));
        batch.push(store.prepare_case(&w.org, rules, &nc, "test").await.unwrap());
    }
    for chunk in batch.chunks(100) {
        store.register_batch(chunk).await.unwrap();
    }
    let mine = CaseFilter { inbox: Inbox::Mine, user_id: Some(w.office), limit: 50, ..Default::default() };
    let now = store.now_ms();
    let [overdue, _, _, open] =
        store.count_by_urgency(w.org.id, &mine, now, now + 86_400_000, now + 3 * 86_400_000).await.unwrap();
    assert_eq!((overdue, open), (0, 230), "more than a page of them, all counted");
    // A month on, every deadline has passed (before the sweep marks them).
    let later = now + 30 * 86_400_000;
    let n = store
        .count_by_urgency(w.org.id, &mine, later, later + 86_400_000, later + 3 * 86_400_000)
        .await
        .unwrap();
    assert_eq!(n, [230, 0, 0, 230]);
    let nobody = CaseFilter { user_id: Some(w.leader), ..mine };
    assert_eq!(store.count_by_urgency(w.org.id, &nobody, now, now, now).await.unwrap(), [0; 4]);
});
