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
const ACTOR: &str = "demo";

/// `(username, role, password)`
pub type Credentials = Vec<(String, Role, String)>;

const USERS: &[(&str, Role, &str, Option<&str>)] = &[
    ("office", Role::Office, "征费室 王静", Some("C0101")),
    ("leader", Role::Leader, "领导小组 赵建国", Some("C0001")),
    ("shiftlead", Role::ShiftLeader, "小店站 值班站长 刘强", Some("S0100")),
    ("staff", Role::Staff, "收费员 陈晓燕", Some("S0111")),
    ("supervisor", Role::Supervisor, "监督员 孙明", None),
    ("finance", Role::Finance, "财务室 周丽", Some("C0201")),
    ("admin", Role::Admin, "系统管理员", None),
];

pub fn generate_password() -> String {
    // 12 characters from an alphabet without look-alikes: ~68 bits.
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..12).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// Creates the demo organisation unless it exists; returns its sign-ins.
pub async fn ensure(store: &Store, config: &Config) -> Result<Credentials> {
    let path = config.data_dir.join("demo-credentials.txt");
    if store.organisation_by_code(ORG_CODE).await.is_ok() {
        if let Some(creds) = read(&path) {
            return Ok(creds);
        }
        // The database has the demo but this data folder lost its passwords
        // (a PostgreSQL database shared with another folder): issue new ones.
        let creds = fresh_credentials();
        for (username, _, password) in &creds {
            if let Ok(user) = store.user_by_username(username).await {
                let hash = hash(password).await?;
                store.set_password(user.org_id, user.id, ACTOR, &hash).await?;
            }
        }
        save(&path, &creds, config)?;
        return Ok(creds);
    }
    let creds = fresh_credentials();
    create(store, &creds).await.context("creating the demo organisation")?;
    save(&path, &creds, config)?;
    Ok(creds)
}

fn fresh_credentials() -> Credentials {
    USERS.iter().map(|(u, r, _, _)| (u.to_string(), *r, generate_password())).collect()
}

async fn hash(password: &str) -> Result<String> {
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

pub fn print(creds: &Credentials, url: Option<&str>) {
    println!();
    println!("演示单位 Demo organisation: 太原高速公路收费管理公司 ({ORG_CODE})");
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
        store.create_unit(o, ACTOR, &unit(code, name, UnitKind::Station, Some("C00"))).await?;
        store
            .create_staff(o, ACTOR, &staff(&format!("{code}00"), master.to_string(), code, "值班站长"))
            .await?;
        for team in 1..=2 {
            let team_code = format!("{code}-T{team}");
            let team_name = if team == 1 { "一班" } else { "二班" };
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
                store.create_staff(o, ACTOR, &staff(&no, name, &team_code, position)).await?;
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
    Ok(())
}
