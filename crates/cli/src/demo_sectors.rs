//! Demo organisations for the other sectors of the seeds (issue 19 point
//! 6: `serve --demo --pack power|bank|taxi|hall|lock|bus`): a company with
//! two service units of the sector's kind, their staff and service points,
//! one user for each role (usernames prefixed with the pack: `power-office`),
//! a few cases in the pack's own categories, ratings, a service guide where
//! the sector has one, a notice, today's duty roster and a kiosk's
//! facilities — enough for a newcomer to look at each sector. The toll
//! demo (`demo.rs`) stays the fullest.

use anyhow::{Context, Result};
use chuangkou_domain::Role;
use chuangkou_domain::cases::{CaseKind, Channel};
use chuangkou_domain::duty::DutyKind;
use chuangkou_domain::notices::NoticeKind;
use chuangkou_domain::org::{NewServicePoint, NewStaff, NewUnit, NewVehicle, ServicePointKind, UnitKind};
use chuangkou_store::Store;
use chuangkou_store::users::NewUser;

use crate::demo::{ACTOR, Credentials, USERS, hash};

/// What a sector's demo holds.
pub struct Sector {
    pub pack: &'static str,
    pub org_code: &'static str,
    pub org_name: &'static str,
    hotline: &'static str,
    unit_kind: UnitKind,
    /// Two service units: code, name, the person leading it on duty.
    units: [(&'static str, &'static str, &'static str); 2],
    lead: DutyKind,
    point_kind: ServicePointKind,
    point_name: &'static str,
    /// Cases: kind, channel, category, text.
    cases: [(CaseKind, Channel, &'static str, &'static str); 2],
    /// A service guide: code, title, basis, track, steps, materials.
    guide: Option<[&'static str; 6]>,
    /// A notice: kind, title, body, area.
    notice: (NoticeKind, &'static str, &'static str, Option<&'static str>),
}

pub const SECTORS: &[Sector] = &[
    Sector {
        pack: "power",
        org_code: "GD",
        org_name: "城关供电公司",
        hotline: "95598",
        unit_kind: UnitKind::Hall,
        units: [("H01", "城关供电营业厅", "马文"), ("H02", "东关供电营业厅", "郑红")],
        lead: DutyKind::Director,
        point_kind: ServicePointKind::Window,
        point_name: "综合业务窗口",
        cases: [
            (
                CaseKind::Complaint,
                Channel::Hotline95598,
                "billing",
                "本月电费比上月多出一倍，营业厅未解释清楚。",
            ),
            (CaseKind::HelpRequest, Channel::Hotline95598, "fault", "东关小区 3 号楼整栋停电，请尽快抢修。"),
        ],
        guide: Some([
            "P-NEW",
            "居民生活用电新装",
            "《供电营业规则》",
            "inquiry",
            "提交用电申请\n现场勘查\n装表接电",
            "户主身份证|必需|原件|1\n房屋产权证明|必需|复印件|1\n委托书（代办时）|可选|原件|1",
        ]),
        notice: (
            NoticeKind::Outage,
            "计划停电公告",
            "因 10 千伏线路检修，明日 8:00–18:00 停电，请提前做好准备。",
            Some("东关街道东关小区、城关镇新华路"),
        ),
    },
    Sector {
        pack: "bank",
        org_code: "YH",
        org_name: "城关支行",
        hotline: "95588",
        unit_kind: UnitKind::Hall,
        units: [("B01", "城关营业部", "沈云"), ("B02", "新华路网点", "田野")],
        lead: DutyKind::Director,
        point_kind: ServicePointKind::Window,
        point_name: "对公柜台",
        cases: [
            (CaseKind::Complaint, Channel::WalkIn, "counter", "柜员办理业务时聊天，让我等了二十分钟。"),
            (CaseKind::Suggestion, Channel::Web, "facilities", "大堂希望增加老花镜和填单样本。"),
        ],
        guide: None,
        notice: (
            NoticeKind::ServiceChange,
            "网点营业时间调整",
            "新华路网点周六营业时间调整为 9:00–16:00。",
            None,
        ),
    },
    Sector {
        pack: "taxi",
        org_code: "CZ",
        org_name: "攀枝花出租汽车公司",
        hotline: "0812-3331234",
        unit_kind: UnitKind::Company,
        units: [("F01", "一车队", "罗斌"), ("F02", "二车队", "唐丽")],
        lead: DutyKind::StationMaster,
        point_kind: ServicePointKind::Taxi,
        point_name: "",
        cases: [
            (CaseKind::Complaint, Channel::Web, "detour", "从火车站到炳草岗绕了远路，多收了 12 元。"),
            (CaseKind::HelpRequest, Channel::Hotline, "lost", "昨晚乘车把手机落在后座上了。"),
        ],
        guide: None,
        notice: (NoticeKind::Road, "炳草岗大桥施工", "炳草岗大桥单向通行，车辆请绕行金沙江大道。", None),
    },
    Sector {
        pack: "hall",
        org_code: "ZJ",
        org_name: "市质量技术监督局行政服务大厅",
        hotline: "12365",
        unit_kind: UnitKind::Hall,
        units: [("W01", "行政服务大厅", "冯涛"), ("W02", "计量检定窗口", "韩梅")],
        lead: DutyKind::Director,
        point_kind: ServicePointKind::Window,
        point_name: "受理窗口",
        cases: [
            (CaseKind::Complaint, Channel::WalkIn, "efficiency", "计量器具检定申请一周无人受理。"),
            (CaseKind::Inquiry, Channel::Hotline, "guidance", "办理工业产品生产许可需要哪些材料？"),
        ],
        guide: Some([
            "Q-METER",
            "计量器具强制检定",
            "《中华人民共和国计量法》第九条",
            "leader_approval",
            "窗口受理\n现场或送检\n出具检定证书",
            "检定申请书|必需|原件|1\n计量器具清单|必需|原件|1\n营业执照|必需|复印件|1",
        ]),
        notice: (
            NoticeKind::ServiceChange,
            "网上预约办理",
            "计量检定可在网上预约，预约后到窗口无需排队。",
            None,
        ),
    },
    Sector {
        pack: "lock",
        org_code: "CZ-LOCK",
        org_name: "苏北运河船闸管理所",
        hotline: "0516-12328",
        unit_kind: UnitKind::Lock,
        units: [("K01", "一号船闸", "严军"), ("K02", "二号船闸", "许静")],
        lead: DutyKind::StationMaster,
        point_kind: ServicePointKind::Window,
        point_name: "过闸登记窗口",
        cases: [
            (CaseKind::Complaint, Channel::Hotline, "passage", "船舶待闸八小时，调度不公开。"),
            (CaseKind::Inquiry, Channel::Web, "fee", "过闸费按什么标准收取？"),
        ],
        guide: None,
        notice: (
            NoticeKind::Weather,
            "大风停航",
            "受大风影响，今日 14:00 起暂停过闸，恢复时间另行通知。",
            None,
        ),
    },
    Sector {
        pack: "bus",
        org_code: "KY",
        org_name: "城北汽车客运站",
        hotline: "0516-96196",
        unit_kind: UnitKind::Terminal,
        units: [("T01", "城北客运站", "钱伟"), ("T02", "城南客运站", "孙丽")],
        lead: DutyKind::StationMaster,
        point_kind: ServicePointKind::Window,
        point_name: "售票窗口",
        cases: [
            (CaseKind::Complaint, Channel::WalkIn, "ticketing", "售票员不找零，态度冷淡。"),
            (CaseKind::Suggestion, Channel::Web, "facility", "候车室希望增加手机充电桩。"),
        ],
        guide: None,
        notice: (
            NoticeKind::ServiceChange,
            "春运加班车",
            "春运期间增开至徐州东站的加班车，每半小时一班。",
            None,
        ),
    },
];

pub fn sector(pack: &str) -> Option<&'static Sector> {
    SECTORS.iter().find(|s| s.pack == pack)
}

/// A sector's usernames: the pack, a dash, the role's demo name.
pub fn username(s: &Sector, base: &str) -> String {
    format!("{}-{base}", s.pack)
}

pub async fn create(store: &Store, s: &Sector, creds: &Credentials) -> Result<()> {
    let org = store.create_organisation(ACTOR, s.org_code, s.org_name, s.pack, Some(s.hotline)).await?;
    let o = org.id;
    let unit = |code: &str, name: &str, kind: UnitKind, parent: Option<&str>| NewUnit {
        code: code.into(),
        name: name.into(),
        kind,
        parent_code: parent.map(str::to_string),
    };
    let staff = |no: &str, name: &str, unit: &str, position: &str| NewStaff {
        employee_no: no.into(),
        name: name.into(),
        unit_code: unit.into(),
        position: Some(position.into()),
        phone: None,
        certificate_no: None,
    };
    store.create_unit(o, ACTOR, &unit("C00", s.org_name, UnitKind::Company, None)).await?;
    store.create_unit(o, ACTOR, &unit("C01", "服务质量办公室", UnitKind::Department, Some("C00"))).await?;
    store.create_unit(o, ACTOR, &unit("C02", "财务部", UnitKind::Department, Some("C00"))).await?;
    if s.pack == "bus" {
        // Seed 004's lead department of the 爱心飞扬 campaign.
        store.create_unit(o, ACTOR, &unit("C03", "站务部", UnitKind::Department, Some("C00"))).await?;
    }
    store.create_staff(o, ACTOR, &staff("C0001", "林志远", "C00", "分管领导")).await?;
    store.create_staff(o, ACTOR, &staff("C0101", "高敏", "C01", "办公室主任")).await?;
    store.create_staff(o, ACTOR, &staff("C0201", "罗佳", "C02", "会计")).await?;
    let names = ["陈丽", "王军", "李娜", "张伟", "刘洋", "杨帆"];
    for (ui, (code, name, lead)) in s.units.iter().enumerate() {
        let kind = if s.unit_kind == UnitKind::Company { UnitKind::Team } else { s.unit_kind };
        let u = store.create_unit(o, ACTOR, &unit(code, name, kind, Some("C00"))).await?;
        let head = store.create_staff(o, ACTOR, &staff(&format!("{code}00"), lead, code, "负责人")).await?;
        store.set_unit_manager(o, ACTOR, u.id, Some(head.id)).await?;
        for (k, person) in names.iter().enumerate().skip(ui * 3).take(3) {
            let no = format!("{code}{:02}", k + 1);
            store.create_staff(o, ACTOR, &staff(&no, person, code, "服务人员")).await?;
            let point = if s.point_kind == ServicePointKind::Taxi {
                let plate = format!("川D{:05}", 10_100 + k);
                let v = NewVehicle {
                    plate: plate.clone(),
                    unit_code: code.to_string(),
                    driver_employee_no: Some(no),
                };
                store.create_vehicle(o, ACTOR, &v).await?;
                NewServicePoint {
                    code: format!("{code}-V{}", k + 1),
                    name: plate.clone(),
                    kind: s.point_kind,
                    unit_code: code.to_string(),
                    vehicle_plate: Some(plate),
                }
            } else {
                NewServicePoint {
                    code: format!("{code}-W{}", k + 1),
                    name: format!("{name} {} {}号", s.point_name, k + 1),
                    kind: s.point_kind,
                    unit_code: code.to_string(),
                    vehicle_plate: None,
                }
            };
            store.create_service_point(o, ACTOR, &point).await?;
        }
    }
    let staff_ids: std::collections::HashMap<String, chuangkou_domain::StaffId> = store
        .staff_list(o, &chuangkou_store::org::StaffQuery { limit: 500, ..Default::default() })
        .await?
        .into_iter()
        .map(|st| (st.employee_no, st.id))
        .collect();
    // The same roles as the toll demo, linked to this company's people.
    let linked = |role: Role| match role {
        Role::Office => Some("C0101".to_string()),
        Role::Leader => Some("C0001".to_string()),
        Role::ShiftLeader => Some(format!("{}00", s.units[0].0)),
        Role::Staff => Some(format!("{}01", s.units[0].0)),
        Role::Finance => Some("C0201".to_string()),
        _ => None,
    };
    for (username, role, password) in creds {
        let display = USERS.iter().find(|u| u.1 == *role).map_or("", |u| u.2);
        let hash = hash(password).await?;
        let staff_id = linked(*role).and_then(|no| staff_ids.get(&no).copied());
        let user = NewUser { username, display_name: display, password_hash: &hash, role: *role, staff_id };
        store.create_user(o, ACTOR, &user).await?;
    }
    let office = store.user_by_username(&username(s, "office")).await?;
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    let rules = policies.rules(s.pack).context("the sector's pack")?;
    let points = store.service_points(o).await?;
    for (i, (kind, channel, category, text)) in s.cases.iter().enumerate() {
        let nc = chuangkou_store::cases::NewCase {
            kind: *kind,
            channel: *channel,
            category: category.to_string(),
            track: None,
            description: text.to_string(),
            unit_id: None,
            service_point_id: points.get(i).map(|p| p.id),
            subject_staff_id: None,
            plate: None,
            reporter_name: Some("王先生".into()),
            reporter_phone: Some("13812341234".into()),
            registered_by: (*channel != Channel::Web).then_some(office.id),
            issue_tracking_code: true,
            photos: vec![],
            origin: None,
        };
        store.register_case(&org, rules, &nc, ACTOR).await?;
    }
    let mut ratings = vec![];
    for (pi, point) in points.iter().enumerate() {
        for k in 0..4 {
            let input = chuangkou_store::ratings::RatingInput {
                level: ["5", "5", "4", "3"][(pi + k) % 4].into(),
                device: format!("demo-{}-{pi}-{k}", s.pack),
                ..Default::default()
            };
            ratings.push(store.prepare_rating(&org, rules, point, &input).await?);
        }
    }
    store.record_ratings(&ratings).await?;
    if let Some([code, title, basis, track, steps, materials]) = s.guide {
        let g = chuangkou_domain::guides::check(
            code,
            title,
            basis,
            track,
            steps,
            materials,
            "不收费",
            "各营业窗口",
            "",
        )
        .map_err(|e| anyhow::anyhow!("demo guide: {e:?}"))?;
        store.save_guide(o, &office, &g).await?;
    }
    let now = store.now_ms();
    let (kind, title, body, area) = s.notice;
    let notice = chuangkou_domain::notices::NewNotice {
        kind,
        title: title.into(),
        body: body.into(),
        area: area.map(Into::into),
        valid_from: now - 3_600_000,
        valid_until: now + 2 * 86_400_000,
        unit_id: None,
    };
    store.create_notice(o, &office, &notice, true).await?;
    crate::demo_work::demo_duty(store, &org, &office, s.lead).await?;
    if let Some(t) = rules.pack.campaigns.first() {
        crate::demo_work::demo_campaign(store, &org, &office, &t.code).await?;
    }
    crate::demo_work::demo_training(store, &org, &office).await?;
    crate::demo_work::demo_publicity(store, &org, &office).await?;
    Ok(())
}
