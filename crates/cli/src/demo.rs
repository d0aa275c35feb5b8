//! The demo organisation: a toll-road company with three stations, their
//! teams, thirty staff, service points, and one user for each role. Its
//! passwords are generated on creation, kept in DATA_DIR/demo-credentials.txt
//! (readable only by its owner) and printed whenever the demo is started.

use anyhow::{Context, Result};
use chuangkou_domain::Role;
use chuangkou_domain::org::{NewServicePoint, NewStaff, NewUnit, ServicePointKind, UnitKind};
use chuangkou_store::Store;
use chuangkou_store::users::NewUser;

use crate::config::{Config, write_private};

pub const ORG_CODE: &str = "TY";
pub(crate) const ACTOR: &str = "demo";

/// `(username, role, password)`
pub type Credentials = Vec<(String, Role, String)>;

pub(crate) const USERS: &[(&str, Role, &str, Option<&str>)] = &[
    ("office", Role::Office, "征费室 王静", Some("C0101")),
    ("leader", Role::Leader, "领导小组 赵建国", Some("C0001")),
    ("shiftlead", Role::ShiftLeader, "小店站 值班站长 刘强", Some("S0100")),
    ("staff", Role::Staff, "收费员 陈晓燕", Some("S0111")),
    ("supervisor", Role::Supervisor, "监督员 孙明", None),
    ("finance", Role::Finance, "财务室 周丽", Some("C0201")),
    ("discipline", Role::Discipline, "纪检监察室 孔亮", None),
    ("admin", Role::Admin, "系统管理员", None),
];

pub fn generate_password() -> String {
    // 12 characters from an alphabet without look-alikes: ~68 bits.
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..12).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// The packs a demo can be made of: `toll` (the fullest) and the other
/// sectors of the seeds.
pub fn packs() -> Vec<&'static str> {
    std::iter::once("toll").chain(crate::demo_sectors::SECTORS.iter().map(|s| s.pack)).collect()
}

/// Creates the demo organisation of `pack` unless it exists; returns its
/// sign-ins. Each pack's demo is its own organisation, so that one
/// database can hold them all side by side.
pub async fn ensure(store: &Store, config: &Config, pack: &str) -> Result<Credentials> {
    let sector = match pack {
        "toll" => None,
        other => Some(crate::demo_sectors::sector(other).with_context(|| {
            format!("no demo for the pack {other:?}; there is one for {}", packs().join(", "))
        })?),
    };
    let (code, file) = match sector {
        None => (ORG_CODE, "demo-credentials.txt".to_string()),
        Some(s) => (s.org_code, format!("demo-credentials-{}.txt", s.pack)),
    };
    let path = config.data_dir.join(file);
    let fresh = || match sector {
        None => fresh_credentials(),
        Some(s) => fresh_credentials()
            .into_iter()
            .map(|(u, r, p)| (crate::demo_sectors::username(s, &u), r, p))
            .collect(),
    };
    if store.organisation_by_code(code).await.is_ok() {
        if let Some(creds) = read(&path) {
            return Ok(creds);
        }
        // The database has the demo but this data folder lost its passwords
        // (a PostgreSQL database shared with another folder): issue new ones.
        let creds = fresh();
        for (username, _, password) in &creds {
            if let Ok(user) = store.user_by_username(username).await {
                let hash = hash(password).await?;
                store.set_password(user.org_id, user.id, ACTOR, &hash).await?;
            }
        }
        save(&path, &creds, config)?;
        return Ok(creds);
    }
    let creds = fresh();
    match sector {
        None => create(store, &creds).await.context("creating the demo organisation")?,
        Some(s) => crate::demo_sectors::create(store, s, &creds)
            .await
            .with_context(|| format!("creating the {} demo organisation", s.pack))?,
    }
    save(&path, &creds, config)?;
    Ok(creds)
}

fn fresh_credentials() -> Credentials {
    USERS.iter().map(|(u, r, _, _)| (u.to_string(), *r, generate_password())).collect()
}

pub(crate) async fn hash(password: &str) -> Result<String> {
    chuangkou_web::auth::hash_password(password.to_string()).await.map_err(|e| anyhow::anyhow!(e.message()))
}

fn save(path: &std::path::Path, creds: &Credentials, config: &Config) -> Result<()> {
    std::fs::create_dir_all(&config.data_dir)?;
    let text: String = creds.iter().map(|(u, r, p)| format!("{u}\t{}\t{p}\n", r.as_str())).collect();
    write_private(path, &text)
}

fn read(path: &std::path::Path) -> Option<Credentials> {
    let text = std::fs::read_to_string(path).ok()?;
    let creds: Credentials = text
        .lines()
        .filter_map(|l| {
            let mut parts = l.split('\t');
            Some((parts.next()?.to_string(), Role::parse(parts.next()?)?, parts.next()?.to_string()))
        })
        .collect();
    (!creds.is_empty()).then_some(creds)
}

pub fn print(creds: &Credentials, url: Option<&str>, pack: &str) {
    println!();
    let (name, code) = match crate::demo_sectors::sector(pack) {
        Some(s) => (s.org_name, s.org_code),
        None => ("太原高速公路收费管理公司", ORG_CODE),
    };
    println!("演示单位 Demo organisation: {name} ({code}), pack {pack}");
    if let Some(url) = url {
        println!("打开 Open {url}/login and sign in as one of:");
    }
    for (username, role, password) in creds {
        println!("  {username:<11} {password:<14} {} / {}", role.label_zh(), role.label_en());
    }
    println!();
}

const SURNAMES: &[char] =
    &['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭'];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀英", "霞", "平",
];

async fn create(store: &Store, creds: &Credentials) -> Result<()> {
    let org = store
        .create_organisation(ACTOR, ORG_CODE, "太原高速公路收费管理公司", "toll", Some("0351-12122"))
        .await?;
    let o = org.id;
    let unit = |code: &str, name: &str, kind: UnitKind, parent: Option<&str>| NewUnit {
        code: code.into(),
        name: name.into(),
        kind,
        parent_code: parent.map(str::to_string),
    };
    let staff = |no: &str, name: String, unit: &str, position: &str| NewStaff {
        employee_no: no.into(),
        name,
        unit_code: unit.into(),
        position: Some(position.into()),
        phone: Some(format!("139{:08}", no.bytes().fold(7u64, |h, b| h * 31 + b as u64) % 100_000_000)),
        certificate_no: None,
    };

    store.create_unit(o, ACTOR, &unit("C00", "公司本部", UnitKind::Company, None)).await?;
    store.create_unit(o, ACTOR, &unit("C01", "征费室", UnitKind::Department, Some("C00"))).await?;
    store.create_unit(o, ACTOR, &unit("C02", "财务室", UnitKind::Department, Some("C00"))).await?;
    store.create_staff(o, ACTOR, &staff("C0001", "赵建国".into(), "C00", "副总经理")).await?;
    store.create_staff(o, ACTOR, &staff("C0101", "王静".into(), "C01", "征费室主任")).await?;
    store.create_staff(o, ACTOR, &staff("C0102", "李卫东".into(), "C01", "稽查员")).await?;
    store.create_staff(o, ACTOR, &staff("C0201", "周丽".into(), "C02", "会计")).await?;

    let stations =
        [("S01", "小店收费站", "刘强"), ("S02", "武宿收费站", "郭平"), ("S03", "晋祠收费站", "胡敏")];
    let mut n = 0usize;
    for (si, (code, name, master)) in stations.iter().enumerate() {
        let station = store.create_unit(o, ACTOR, &unit(code, name, UnitKind::Station, Some("C00"))).await?;
        let head = store
            .create_staff(o, ACTOR, &staff(&format!("{code}00"), master.to_string(), code, "值班站长"))
            .await?;
        // The station master is held to account with the station's staff.
        store.set_unit_manager(o, ACTOR, station.id, Some(head.id)).await?;
        for team in 1..=2 {
            let team_code = format!("{code}-T{team}");
            let team_name = if team == 1 { "一班" } else { "二班" };
            let team_unit =
                store.create_unit(o, ACTOR, &unit(&team_code, team_name, UnitKind::Team, Some(code))).await?;
            for member in 1..=4 {
                let no = format!("{code}{team}{member}");
                let name = if (si, team, member) == (0, 1, 1) {
                    "陈晓燕".to_string()
                } else {
                    n += 1;
                    format!("{}{}", SURNAMES[(n * 7) % SURNAMES.len()], GIVEN[(n * 3) % GIVEN.len()])
                };
                let position = if member == 1 { "班长" } else { "收费员" };
                let member_row =
                    store.create_staff(o, ACTOR, &staff(&no, name, &team_code, position)).await?;
                if member == 1 {
                    store.set_unit_manager(o, ACTOR, team_unit.id, Some(member_row.id)).await?;
                }
            }
        }
        for (pc, pname, kind) in [
            ("L01", "入口 1 号车道", ServicePointKind::Lane),
            ("L02", "出口 2 号车道", ServicePointKind::Lane),
            ("K01", "便民服务亭", ServicePointKind::Kiosk),
        ] {
            let point = NewServicePoint {
                code: format!("{code}-{pc}"),
                name: format!("{name} {pname}"),
                kind,
                unit_code: code.to_string(),
                vehicle_plate: None,
            };
            store.create_service_point(o, ACTOR, &point).await?;
        }
    }

    let staff_ids = store
        .staff_list(o, &chuangkou_store::org::StaffQuery { limit: 500, ..Default::default() })
        .await?
        .into_iter()
        .map(|s| (s.employee_no, s.id))
        .collect::<std::collections::HashMap<_, _>>();
    for ((username, role, password), (_, _, display, staff_no)) in creds.iter().zip(USERS) {
        let hash = hash(password).await?;
        let staff_id = staff_no.and_then(|no| staff_ids.get(no).copied());
        store
            .create_user(
                o,
                ACTOR,
                &NewUser { username, display_name: display, password_hash: &hash, role: *role, staff_id },
            )
            .await?;
    }
    demo_cases(store, &org, &staff_ids).await?;
    demo_satisfaction(store, &org).await?;
    demo_volumes(store, &org).await?;
    demo_public(store, &org).await?;
    let office = store.user_by_username("office").await?;
    let fog = chuangkou_domain::notices::NewNotice {
        kind: chuangkou_domain::notices::NoticeKind::Road,
        title: "小店站附近团雾".into(),
        body: "小店收费站附近团雾，能见度低于 100 米，请减速慢行，开启雾灯。".into(),
        area: None,
        valid_from: store.now_ms() - 3_600_000,
        valid_until: store.now_ms() + 2 * 86_400_000,
        unit_id: store.units(o).await?.into_iter().find(|u| u.code == "S01").map(|u| u.id),
    };
    store.create_notice(o, &office, &fog, true).await?;
    crate::demo_work::demo_duty(store, &org, &office, chuangkou_domain::duty::DutyKind::StationMaster)
        .await?;
    crate::demo_work::demo_campaign(store, &org, &office, "standard").await?;
    crate::demo_work::demo_training(store, &org, &office).await?;
    crate::demo_work::demo_publicity(store, &org, &office).await?;
    Ok(())
}

/// What the public reads (SPEC PUB-1, PUB-3): two service guides of a toll
/// company and a few directory entries near 小店收费站, so that a newcomer
/// finds them on the QR pages.
async fn demo_public(store: &Store, org: &chuangkou_store::org::Organisation) -> Result<()> {
    use chuangkou_domain::directory;
    use chuangkou_domain::guides;
    let office = store.user_by_username("office").await?;
    let green = guides::check(
        "G-GREEN",
        "鲜活农产品运输车辆免费通行（绿色通道）",
        "《关于进一步优化鲜活农产品运输“绿色通道”政策的通知》（交公路发〔2019〕99号）",
        "help",
        "驶入绿色通道专用车道\n收费员查验车辆和所载货物\n符合条件的免收车辆通行费",
        "行驶证|必需|原件|1\n道路运输证|必需|原件|1\n驾驶员身份证|必需|原件|1\n装载货物照片|可选|复印件|2",
        "符合条件的免收车辆通行费",
        "各收费站绿色通道车道，24 小时",
        "混装非鲜活农产品\n超限超载",
    )
    .map_err(|e| anyhow::anyhow!("demo guide: {e:?}"))?;
    let dispute = guides::check(
        "G-FEE",
        "通行费争议复核",
        "《收费公路管理条例》第三十二条",
        "complaint",
        "向收费员或值班站长提出\n调取车道录像和交易记录复核\n多收的当场或 48 小时内退还",
        "通行凭证或电子支付记录|必需|原件|1\n驾驶员身份证|必需|原件|1",
        "复核不收费",
        "各收费站值班站长室，24 小时",
        "超过 30 日未提出",
    )
    .map_err(|e| anyhow::anyhow!("demo guide: {e:?}"))?;
    for g in [green, dispute] {
        store.save_guide(org.id, &office, &g).await?;
    }
    let station = store.units(org.id).await?.into_iter().find(|u| u.code == "S01").map(|u| u.id);
    let entries = [
        ("hospital", "小店区人民医院", "小店区太榆路 111 号", "0351-7024120", "24 小时急诊", "3.2"),
        ("fuel", "中国石化小店加油站", "太榆路收费站东 500 米", "0351-7020001", "24 小时", "0.5"),
        ("repair", "晋阳汽车修理厂", "小店区北格镇", "0351-7030002", "8:00–20:00", "2"),
        ("tow", "高速公路救援", "", "12122", "24 小时", ""),
    ];
    let mut rows = vec![];
    for (kind, name, address, phone, hours, km) in entries {
        let e = directory::check(kind, name, address, phone, hours, km)
            .map_err(|e| anyhow::anyhow!("demo directory: {e:?}"))?;
        rows.push((if kind == "tow" { None } else { station }, e));
    }
    store.add_directory_entries(org.id, &office, &rows).await?;
    Ok(())
}

/// The stations' daily traffic this month so far (about 8,000 vehicles a
/// station a day), so that rates per 10,000 vehicles have a base.
async fn demo_volumes(store: &Store, org: &chuangkou_store::org::Organisation) -> Result<()> {
    use chrono::Datelike;
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    let rules = policies.rules(&org.pack).context("the demo pack")?;
    let today = rules.calendar.local_date(store.now_ms());
    let mut rows = Vec::new();
    for (k, code) in ["S01", "S02", "S03"].iter().enumerate() {
        for day in 1..=today.day() {
            let date = today.with_day(day).context("a day of this month")?;
            rows.push(chuangkou_domain::kpi::VolumeRow {
                row: rows.len() + 2,
                unit_code: code.to_string(),
                date,
                vehicles: 7_000 + 1_000 * k as i64 + (day as i64 * 37) % 500,
                passengers: 0,
                transactions: 0,
            });
        }
    }
    store.record_volumes(org.id, ACTOR, &rows).await?;
    Ok(())
}

/// Ratings at every service point (one bad, which opens a case), a public
/// questionnaire with a few answers, and a staff survey answered by five.
async fn demo_satisfaction(store: &Store, org: &chuangkou_store::org::Organisation) -> Result<()> {
    use chuangkou_domain::satisfaction::{Audience, parse_question_lines};
    use chuangkou_store::ratings::RatingInput;
    use chuangkou_store::surveys::Origin;

    let policies = chuangkou_domain::policy::PolicySet::builtin();
    let rules = policies.rules(&org.pack).context("the demo pack")?;
    let points = store.service_points(org.id).await?;
    let mut ratings = Vec::new();
    for (pi, point) in points.iter().enumerate() {
        for k in 0..6 {
            let level = match (pi + k) % 7 {
                0..=2 => "5",
                3 | 4 => "4",
                _ => "3",
            };
            let input = RatingInput {
                level: level.into(),
                tags: if k % 2 == 0 { vec!["smile".into()] } else { vec![] },
                device: format!("demo-{pi}-{k}"),
                ..Default::default()
            };
            ratings.push(store.prepare_rating(org, rules, point, &input).await?);
        }
    }
    let bad = RatingInput {
        level: "2".into(),
        tags: vec!["slow".into()],
        comment: Some("排队二十分钟只开一条车道".into()),
        staff_no: Some("S0111".into()),
        device: "demo-bad".into(),
        ..Default::default()
    };
    ratings.push(store.prepare_rating(org, rules, &points[0], &bad).await?);
    store.record_ratings(&ratings).await?;

    let office = store.user_by_username("office").await?;
    let visit = parse_question_lines(
        "scale | tangibles | 收费站环境是否整洁？\nscale | reliability | 收费是否准确、票据是否齐全？\nscale | responsiveness | 等候时间是否可以接受？\nscale | assurance | 收费员是否专业、让您放心？\nscale | empathy | 收费员是否耐心、文明？\nchoice | 您的车型 | 客车; 货车; 其他\ntext | 您还有什么意见和建议？",
    )
    .map_err(|e| anyhow::anyhow!(e.message))?;
    let q = store
        .publish_questionnaire(org.id, office.id, "visit", "司乘人员满意度调查", Audience::Public, &visit)
        .await?;
    let today = rules.calendar.day_number(store.now_ms());
    for (i, point) in points.iter().take(6).enumerate() {
        let a: std::collections::BTreeMap<usize, String> =
            [(0, "5"), (1, "4"), (2, if i % 2 == 0 { "3" } else { "4" }), (3, "5"), (4, "4"), (5, "客车")]
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect();
        store
            .answer_questionnaire(
                &q,
                None,
                Origin { unit_id: Some(point.unit_id), point_id: Some(point.id) },
                &a,
                today,
            )
            .await?;
    }
    let staff_q = parse_question_lines(
        "scale | empathy | 您对单位的关心关怀是否满意？\nscale | reliability | 排班与休息安排是否合理？\nscale | tangibles | 工作环境和设施是否满意？\ntext | 您对单位还有什么建议？",
    )
    .map_err(|e| anyhow::anyhow!(e.message))?;
    let sq = store
        .publish_questionnaire(org.id, office.id, "staff", "职工满意度调查", Audience::Staff, &staff_q)
        .await?;
    for (i, name) in ["leader", "shiftlead", "supervisor", "finance", "admin"].iter().enumerate() {
        let u = store.user_by_username(name).await?;
        let a: std::collections::BTreeMap<usize, String> =
            [(0, ["5", "4", "4", "3", "5"][i]), (1, ["4", "3", "4", "4", "5"][i]), (2, "4")]
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect();
        store.answer_questionnaire(&sq, Some(u.id), Origin::default(), &a, today).await?;
    }
    Ok(())
}

/// A few cases in different states, so that the console has something to
/// show: one new from the public, one being investigated, one answered and
/// awaiting the reporter's callback, one closed.
async fn demo_cases(
    store: &Store,
    org: &chuangkou_store::org::Organisation,
    staff: &std::collections::HashMap<String, chuangkou_domain::StaffId>,
) -> Result<()> {
    use chuangkou_domain::cases::lifecycle::Conclusion;
    use chuangkou_domain::cases::{Actor, CaseKind, Channel, Command, Finding, Responsibility, Satisfaction};
    use chuangkou_store::cases::{ActInput, NewCase};

    let policies = chuangkou_domain::policy::PolicySet::builtin();
    let rules = policies.rules(&org.pack).context("the demo pack")?;
    let office = store.user_by_username("office").await?;
    let points = store.service_points(org.id).await?;
    let case = |kind,
                channel,
                category: &str,
                text: &str,
                point: usize,
                subject: Option<&str>,
                by: Option<chuangkou_domain::UserId>| {
        NewCase {
            kind,
            channel,
            category: category.into(),
            track: None,
            description: text.into(),
            unit_id: None,
            service_point_id: points.get(point).map(|p| p.id),
            subject_staff_id: subject.and_then(|no| staff.get(no).copied()),
            plate: None,
            reporter_name: Some("王先生".into()),
            reporter_phone: Some("13812341234".into()),
            registered_by: by,
            issue_tracking_code: true,
            photos: vec![],
            origin: None,
        }
    };
    let stories = [
        case(
            CaseKind::Complaint,
            Channel::Web,
            "attitude",
            "出口 2 号车道收费员态度生硬，把卡扔出窗外。",
            1,
            None,
            None,
        ),
        case(
            CaseKind::Complaint,
            Channel::Hotline,
            "fee",
            "晋A·12345 在小店站被多收通行费 15 元，要求退还。",
            0,
            Some("S0112"),
            Some(office.id),
        ),
        case(
            CaseKind::Suggestion,
            Channel::WalkIn,
            "facility",
            "便民服务亭希望增加热水和充电插座。",
            2,
            None,
            Some(office.id),
        ),
        case(
            CaseKind::Praise,
            Channel::Letter,
            "attitude",
            "陈晓燕帮我找回了遗落在车道的钱包，特此表扬。",
            0,
            Some("S0111"),
            Some(office.id),
        ),
    ];
    let who = Actor::User { id: office.id, role: Role::Office };
    let mut ids = Vec::new();
    for nc in &stories {
        ids.push(store.register_case(org, rules, nc, ACTOR).await?.id);
    }
    let step = |c: Command| ActInput::new(c);
    let mut reply = step(Command::Reply);
    reply.text = Some("经核实多收 15 元属实，已原路退还，并对当班收费员批评教育。".into());
    let conclude = step(Command::Conclude(Conclusion {
        finding: Finding::Substantiated,
        responsibility: Responsibility::Ours,
        apology_made: true,
        summary: "查看监控属实，当面致歉".into(),
    }));
    let mut thanks = step(Command::Reply);
    thanks.text = Some("感谢您的表扬，我们已在站内通报表扬。".into());
    let plan: [(usize, Vec<ActInput>); 3] = [
        (1, vec![step(Command::StartInvestigation), conclude.clone(), reply]),
        (2, vec![step(Command::StartInvestigation)]),
        (
            3,
            vec![
                step(Command::StartInvestigation),
                step(Command::Conclude(Conclusion {
                    finding: Finding::Substantiated,
                    responsibility: Responsibility::Ours,
                    apology_made: false,
                    summary: "拾金不昧属实".into(),
                })),
                thanks,
                step(Command::Callback(Satisfaction::Satisfied)),
                step(Command::Close),
            ],
        ),
    ];
    for (i, steps) in plan {
        for s in steps {
            store.act(org.id, ids[i], who, ACTOR, &s, rules).await?;
        }
    }
    Ok(())
}
