//! The world the case stories share (`cases.rs`, `inbox.rs`, `spans.rs`): a toll
//! station with its office, shift leader and leader, a lane, and the
//! shorthand for registering a complaint and acting on it.
// Each test crate that includes this uses some of it.
#![allow(dead_code, clippy::unwrap_used)]

use chuangkou_domain::cases::lifecycle::Conclusion;
use chuangkou_domain::cases::{Actor, CaseKind, Channel, Command, Finding, Responsibility};
use chuangkou_domain::org::{NewServicePoint, NewStaff, NewUnit, ServicePointKind, UnitKind};
use chuangkou_domain::policy::PolicySet;
use chuangkou_domain::{CaseId, Role, StaffId, UserId};
use chuangkou_store::cases::{ActInput, DuplicateProbe, NewCase};
use chuangkou_store::org::Organisation;
use chuangkou_store::users::NewUser;
use chuangkou_store::{Store, StoreError};

pub const H: i64 = 3_600_000;

pub struct World {
    pub org: Organisation,
    pub policies: PolicySet,
    pub office: UserId,
    pub shift_leader: UserId,
    pub leader: UserId,
    pub collector_staff: StaffId,
    pub point: i64,
}

pub async fn world(store: &Store, pack: &str) -> World {
    let org = store.create_organisation("test", "TY", "太原高速", pack, Some("12122")).await.unwrap();
    let unit = |c: &str, k, p: Option<&str>| NewUnit {
        code: c.into(),
        name: c.into(),
        kind: k,
        parent_code: p.map(Into::into),
    };
    store.create_unit(org.id, "t", &unit("S01", UnitKind::Station, None)).await.unwrap();
    store.create_unit(org.id, "t", &unit("S01-T1", UnitKind::Team, Some("S01"))).await.unwrap();
    let staff = |no: &str, u: &str| NewStaff {
        employee_no: no.into(),
        name: no.into(),
        unit_code: u.into(),
        position: None,
        phone: Some(format!("1390000{no}").chars().filter(char::is_ascii_digit).collect()),
        certificate_no: None,
    };
    let master = store.create_staff(org.id, "t", &staff("S0100", "S01")).await.unwrap();
    let collector = store.create_staff(org.id, "t", &staff("S0111", "S01-T1")).await.unwrap();
    let user = |name: &'static str, role, staff_id| async move {
        store
            .create_user(
                org.id,
                "t",
                &NewUser { username: name, display_name: name, password_hash: "x", role, staff_id },
            )
            .await
            .unwrap()
            .id
    };
    let office = user("office", Role::Office, None).await;
    let shift_leader = user("shiftlead", Role::ShiftLeader, Some(master.id)).await;
    let leader = user("leader", Role::Leader, None).await;
    let point = store
        .create_service_point(
            org.id,
            "t",
            &NewServicePoint {
                code: "S01-L02".into(),
                name: "出口 2 号车道".into(),
                kind: ServicePointKind::Lane,
                unit_code: "S01".into(),
                vehicle_plate: None,
            },
        )
        .await
        .unwrap()
        .id;
    World {
        org,
        policies: PolicySet::builtin(),
        office,
        shift_leader,
        leader,
        collector_staff: collector.id,
        point,
    }
}

pub fn complaint(w: &World, text: &str) -> NewCase {
    NewCase {
        kind: CaseKind::Complaint,
        channel: Channel::Hotline,
        category: "attitude".into(),
        track: None,
        description: text.into(),
        unit_id: None,
        service_point_id: Some(w.point),
        subject_staff_id: Some(w.collector_staff),
        plate: Some("晋A12345".into()),
        reporter_name: Some("王先生".into()),
        reporter_phone: Some("13812341234".into()),
        registered_by: Some(w.office),
        issue_tracking_code: true,
        photos: vec![],
        origin: None,
    }
}

pub async fn register(store: &Store, w: &World, nc: &NewCase) -> chuangkou_store::cases::Registered {
    let rules = w.policies.rules(&w.org.pack).unwrap();
    let r = store.register_case(&w.org, rules, nc, &format!("user:{}", w.office)).await.unwrap();
    // Sealed at once, so that the stories' later steps must queue what
    // they change (`assert_records_whole`).
    store.seal().await.unwrap();
    r
}

pub async fn act(
    store: &Store,
    w: &World,
    case: CaseId,
    actor: Actor,
    input: ActInput,
) -> Result<chuangkou_store::cases::ActOutcome, StoreError> {
    let rules = w.policies.rules(&w.org.pack).unwrap();
    let who = match actor {
        Actor::User { id, .. } => format!("user:{id}"),
        Actor::Reporter => "public".into(),
        Actor::System => "system".into(),
    };
    let out = store.act(w.org.id, case, actor, &who, &input, rules).await;
    store.seal().await.unwrap();
    out
}

pub fn probe<'a>(phone: Option<&'a str>, text: &'a str) -> DuplicateProbe<'a> {
    DuplicateProbe { phone, service_point_id: None, plate: None, text, window_ms: 72 * H, exclude_case: None }
}

pub fn office(w: &World) -> Actor {
    Actor::User { id: w.office, role: Role::Office }
}

pub fn conclude() -> ActInput {
    ActInput::new(Command::Conclude(Conclusion {
        finding: Finding::Substantiated,
        responsibility: Responsibility::Ours,
        apology_made: true,
        summary: "收费员态度生硬，已当面致歉".into(),
    }))
}

pub fn reply(text: &str) -> ActInput {
    let mut i = ActInput::new(Command::Reply);
    i.text = Some(text.into());
    i
}
