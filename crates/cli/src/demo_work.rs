//! What every demo organisation has at work today (issue 19 point 5,
//! issue 20): the duty roster, a kiosk's facilities and this year's
//! campaign of the pack's template, partly done.

use anyhow::{Context, Result};
use chuangkou_store::Store;

/// This year's campaign of the pack's template `template`: the first task
/// accepted, the second submitted and waiting for the office, so that the
/// campaign page shows progress, a decision to take and what is overdue.
pub(crate) async fn demo_campaign(
    store: &Store,
    org: &chuangkou_store::org::Organisation,
    office: &chuangkou_store::users::User,
    template: &str,
) -> Result<()> {
    use chrono::Datelike;
    use chuangkou_domain::campaigns::TaskStep;
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    let rules = policies.rules(&org.pack).context("the demo pack")?;
    let t = rules.pack.campaign(template).context("the demo campaign's template")?;
    let cal = rules.calendar;
    let year = cal.local_date(store.now_ms()).year();
    let units: Vec<(i64, String)> = store.units(org.id).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let plan = chuangkou_domain::campaigns::plan(t, year, &units)
        .map_err(|e| anyhow::anyhow!("demo campaign: {e:?}"))?;
    let end_of_day = |d: chrono::NaiveDate| cal.start_of_day_ms(d + chrono::Duration::days(1)) - 1;
    let id = store.create_campaign(org.id, office, &plan, end_of_day).await?;
    let tasks = store.campaign_tasks(org.id, id).await?;
    let leader = store.user_by_username(&office.username.replace("office", "leader")).await?;
    if let [first, second, ..] = tasks.as_slice() {
        store
            .campaign_task_step(org.id, office, first.id, TaskStep::Submit, "学习 2 次，签到表 1 份")
            .await?;
        store.campaign_task_step(org.id, &leader, first.id, TaskStep::Accept, "").await?;
        store.campaign_task_step(org.id, office, second.id, TaskStep::Submit, "领导组织名单已印发").await?;
    }
    // The leading group (seed 004 四): the leader heads it, the office runs it.
    use chuangkou_domain::recognition::MemberRole;
    if let Some(s) = leader.staff_id {
        store.add_campaign_member(org.id, office, id, s, MemberRole::Leader).await?;
    }
    if let Some(s) = office.staff_id {
        store.add_campaign_member(org.id, office, id, s, MemberRole::OfficeHead).await?;
    }
    Ok(())
}

/// Today's roster — each service unit's head leading it, its first member
/// at the kiosk by day — and a kiosk's facilities, one medicine close to
/// its expiry, so that the duty page and the QR pages have something to
/// show.
pub(crate) async fn demo_duty(
    store: &Store,
    org: &chuangkou_store::org::Organisation,
    office: &chuangkou_store::users::User,
    lead: chuangkou_domain::duty::DutyKind,
) -> Result<()> {
    use chuangkou_domain::duty::{self, DutyKind};
    use chuangkou_store::duty::NewShift;
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    let rules = policies.rules(&org.pack).context("the demo pack")?;
    let today = rules.calendar.local_date(store.now_ms());
    let date = today.to_string();
    let offset = rules.calendar.offset;
    let units = store.units(org.id).await?;
    let staff = store
        .staff_list(org.id, &chuangkou_store::org::StaffQuery { limit: 500, ..Default::default() })
        .await?;
    let mut lines = vec![];
    for u in units.iter().filter(|u| u.parent_id.is_some() && u.manager_staff_id.is_some()) {
        // Service units: not departments, nor teams of a station (a taxi
        // company's fleets are teams right under the company).
        let under_root = units.iter().any(|p| Some(p.id) == u.parent_id && p.parent_id.is_none());
        let serving = match u.kind.as_str() {
            "department" => false,
            "team" => under_root,
            _ => true,
        };
        let Some(head) = u.manager_staff_id.filter(|_| serving) else { continue };
        let shift = duty::check_shift(&date, lead.as_str(), "", "", "", offset)
            .map_err(|e| anyhow::anyhow!("demo roster: {e:?}"))?;
        lines.push(NewShift { unit_id: u.id, staff_id: head, shift });
        let member = staff.iter().find(|s| {
            s.id != head
                && units.iter().any(|x| x.id == s.unit_id && (x.id == u.id || x.parent_id == Some(u.id)))
        });
        if let Some(m) = member {
            let shift = duty::check_shift(&date, DutyKind::Kiosk.as_str(), "08:00", "20:00", "", offset)
                .map_err(|e| anyhow::anyhow!("demo roster: {e:?}"))?;
            lines.push(NewShift { unit_id: u.id, staff_id: m.id, shift });
        }
    }
    store.roster(org.id, office, &lines).await?;
    let points = store.service_points(org.id).await?;
    let point = points.iter().find(|p| p.kind == "kiosk").or(points.first()).context("a service point")?;
    let soon = (today + chrono::Duration::days(20)).to_string();
    let later = (today + chrono::Duration::days(400)).to_string();
    for (kind, name, quantity, expires) in [
        ("water", "饮水机", "1", ""),
        ("seating", "休息座椅", "8", ""),
        ("umbrella", "爱心雨伞", "20", ""),
        ("medicine", "藿香正气水", "10", soon.as_str()),
        ("fire", "灭火器", "2", later.as_str()),
    ] {
        let f = duty::check_facility(kind, name, quantity, expires)
            .map_err(|e| anyhow::anyhow!("demo facility: {e:?}"))?;
        store.add_facility(org.id, office, point.id, &f).await?;
    }
    Ok(())
}

/// This year's training plan with a session on now (its QR code checks
/// people in), one held last week and closed, an exam with a failed score
/// and a qualification close to its expiry, so that the training page, a
/// staff member's record and the ledger's proposals have something to show.
pub(crate) async fn demo_training(
    store: &Store,
    org: &chuangkou_store::org::Organisation,
    office: &chuangkou_store::users::User,
) -> Result<()> {
    use chrono::{Datelike, Timelike};
    use chuangkou_domain::training::{self, AttendanceWay};
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    let rules = policies.rules(&org.pack).context("the demo pack")?;
    let cal = rules.calendar;
    let now = store.now_ms();
    let today = cal.local_date(now);
    let units = store.units(org.id).await?;
    let root = units.iter().find(|u| u.parent_id.is_none()).context("a root unit")?;
    let plan = training::check_plan(
        today.year(),
        None,
        "年度服务礼仪与业务技能培训",
        "文明用语、仪容仪表、业务政策、应急处置",
        4,
    )
    .map_err(|e| anyhow::anyhow!("demo plan: {e:?}"))?;
    let plan_id = store.create_training_plan(org.id, office, root.id, &plan).await?;
    // Now, for two hours (within today): its QR code checks people in.
    let local =
        chrono::DateTime::from_timestamp_millis(now).context("the clock")?.with_timezone(&cal.offset).time();
    let start = local.hour().saturating_sub(1).min(21);
    let (from, to) = (format!("{start:02}:00"), format!("{:02}:00", start + 2));
    let date = today.to_string();
    let session = |topic: &str, date: &str, from: &str, to: &str| {
        training::check_session(
            topic,
            "站区会议室",
            "王静",
            "《文明服务手册》",
            date,
            from,
            to,
            false,
            cal.offset,
        )
        .map_err(|e| anyhow::anyhow!("demo session: {e:?}"))
    };
    let on_now = session("文明用语与微笑服务", &date, &from, &to)?;
    store.create_training_session(org.id, office, Some(plan_id), root.id, &on_now).await?;
    let last_week = (today - chrono::Duration::days(7)).to_string();
    let held = session("收费政策与争议处理", &last_week, "09:00", "11:00")?;
    let held_id = store.create_training_session(org.id, office, Some(plan_id), root.id, &held).await?;
    let staff = store
        .staff_list(org.id, &chuangkou_store::org::StaffQuery { limit: 500, ..Default::default() })
        .await?;
    let others: Vec<chuangkou_domain::StaffId> =
        staff.iter().filter(|s| Some(s.id) != office.staff_id).map(|s| s.id).take(6).collect();
    store.record_attendance(org.id, office, held_id, &others, AttendanceWay::Entered).await?;
    store.close_training_session(org.id, rules, office, held_id).await?;
    let exam =
        training::check_exam("exam", "收费业务知识考试", &last_week, rules.pack.training.pass_mark, 100)
            .map_err(|e| anyhow::anyhow!("demo exam: {e:?}"))?;
    let exam_id = store.create_exam(org.id, office, Some(plan_id), &exam).await?;
    let scores: Vec<(chuangkou_domain::StaffId, i64)> =
        others.iter().zip([92, 85, 78, 55, 88, 96]).map(|(s, v)| (*s, v)).collect();
    store.record_exam_results(org.id, rules, office, exam_id, &scores).await?;
    let warn = rules.pack.training.qualification_warning_days;
    let kind = rules.pack.training.qualifications.first().cloned().unwrap_or_else(|| "上岗证".into());
    let expires = (today + chrono::Duration::days(20)).to_string();
    let q = training::check_qualification(&kind, "2019-0111", "2019-12-01", &expires)
        .map_err(|e| anyhow::anyhow!("demo qualification: {e:?}"))?;
    let remind = cal.start_of_day_ms(training::remind_on(q.expires_on, warn)) + 9 * 3_600_000;
    // The demo's front-line staff member holds it: their record shows it.
    let staff_user = store.user_by_username(&office.username.replace("office", "staff")).await.ok();
    if let Some(holder) = staff_user.and_then(|u| u.staff_id).or(others.first().copied()) {
        store.add_qualification(org.id, office, holder, &q, remind).await?;
    }
    Ok(())
}

/// A published typical case and a piece of media coverage, so that the
/// organisation's news page has a story to show.
pub(crate) async fn demo_publicity(
    store: &Store,
    org: &chuangkou_store::org::Organisation,
    office: &chuangkou_store::users::User,
) -> Result<()> {
    use chuangkou_store::recognition::NewTypicalCase;
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    let rules = policies.rules(&org.pack).context("the demo pack")?;
    let today = rules.calendar.local_date(store.now_ms());
    let day = (today - chrono::Duration::days(5)).to_string();
    let story = NewTypicalCase {
        kind: "good_deed".into(),
        title: "拾金不昧 当日归还旅客遗失的钱包".into(),
        story: "一名工作人员在服务现场拾到旅客遗失的钱包，内有现金和证件。她当即上交值班负责人，经核实身份后当日归还失主。失主专程送来感谢信。".into(),
        unit_id: None,
        happened_on: day.clone(),
        source: None,
        campaign_id: None,
    };
    let id = store.create_typical_case(org.id, office, &story).await?;
    store.publish_typical_case(org.id, office, id, true).await?;
    store.add_media_item(org.id, office, None, ("本地日报", &day, "窗口服务：真情服务暖人心", None)).await?;
    Ok(())
}
