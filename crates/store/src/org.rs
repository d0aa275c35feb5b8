//! Organisations, the unit tree, staff, vehicles and service points.
//!
//! Every query names its organisation: a record of another organisation is
//! simply not found, which the web layer turns into the same 404 as a
//! missing record.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::org::{NewServicePoint, NewStaff, NewUnit, NewVehicle};
use chuangkou_domain::{OrgId, StaffId};
use serde::Serialize;
use serde_json::json;

use crate::{NewEvent, Result, Store, StoreError, Tx, on_read, on_tx, random_token};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Organisation {
    pub id: OrgId,
    pub code: String,
    pub name: String,
    pub pack: String,
    pub hotline: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Unit {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub kind: String,
    /// The head of the unit, held to account with its staff.
    pub manager_staff_id: Option<StaffId>,
}

/// Units by id with the names people use: a team named with its station
/// ("小店收费站一班"), since every station has a 一班.
pub fn full_names(units: &[Unit]) -> std::collections::HashMap<i64, String> {
    let plain: std::collections::HashMap<i64, &str> = units.iter().map(|u| (u.id, u.name.as_str())).collect();
    units
        .iter()
        .map(|u| {
            let parent = u.parent_id.and_then(|p| plain.get(&p)).filter(|_| u.kind == "team");
            (u.id, parent.map_or_else(|| u.name.clone(), |p| format!("{p}{}", u.name)))
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Staff {
    pub id: StaffId,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub employee_no: String,
    pub name: String,
    pub position: Option<String>,
    pub phone: Option<String>,
    pub certificate_no: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Vehicle {
    pub id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub plate: String,
    pub driver_id: Option<StaffId>,
    pub driver_name: Option<String>,
    pub driver_employee_no: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ServicePoint {
    pub id: i64,
    pub org_id: OrgId,
    pub unit_id: i64,
    pub unit_name: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub vehicle_id: Option<i64>,
    pub plate: Option<String>,
    /// A vehicle's driver now (seed 002 星级服务车: the driver answers for
    /// the taxi), with what its public card shows of them.
    pub driver_id: Option<StaffId>,
    pub driver_name: Option<String>,
    pub driver_certificate: Option<String>,
    #[serde(skip)]
    pub public_token: String,
}

/// Filters for the staff list; keyset pagination on `id`.
#[derive(Debug, Clone, Default)]
pub struct StaffQuery {
    pub unit_id: Option<i64>,
    /// Matches name, employee number or position.
    pub q: Option<String>,
    pub after_id: Option<StaffId>,
    pub limit: i64,
}

/// `(id, unit_id, name, position, phone, certificate_no)` of a stored staff member.
type StaffRow = (i64, i64, String, Option<String>, Option<String>, Option<String>);

const STAFF_SELECT: &str =
    "SELECT s.id, s.unit_id, u.code AS unit_code, u.name AS unit_name, s.employee_no, s.name,
    s.position, s.phone, s.certificate_no, s.active FROM staff s JOIN units u ON u.id = s.unit_id";
const VEHICLE_SELECT: &str =
    "SELECT v.id, v.unit_id, u.code AS unit_code, v.plate, v.driver_id, s.name AS driver_name, s.employee_no AS driver_employee_no
    FROM vehicles v JOIN units u ON u.id = v.unit_id LEFT JOIN staff s ON s.id = v.driver_id";
const POINT_SELECT: &str =
    "SELECT p.id, p.org_id, p.unit_id, u.name AS unit_name, p.code, p.name, p.kind, p.vehicle_id,
    v.plate, v.driver_id, d.name AS driver_name, d.certificate_no AS driver_certificate, p.public_token
    FROM service_points p JOIN units u ON u.id = p.unit_id
    LEFT JOIN vehicles v ON v.id = p.vehicle_id LEFT JOIN staff d ON d.id = v.driver_id";

impl Store {
    /// Creates an organisation and starts its event chain.
    pub async fn create_organisation(
        &self,
        actor: &str,
        code: &str,
        name: &str,
        pack: &str,
        hotline: Option<&str>,
    ) -> Result<Organisation> {
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let org: Organisation = on_tx!(&mut tx, c => sqlx::query_as(
            "INSERT INTO organisations (code, name, pack, hotline, created_at) VALUES ($1, $2, $3, $4, $5)
             RETURNING id, code, name, pack, hotline, created_at")
            .bind(code).bind(name).bind(pack).bind(hotline).bind(now).fetch_one(c).await)?;
        self.start_chain(&mut tx, org.id).await?;
        self.append(
            &mut tx,
            NewEvent {
                org_id: org.id,
                actor,
                kind: EventKind::OrganisationCreated,
                subject_type: "organisation",
                subject_id: org.id.get(),
                payload: json!({"code": code, "name": name, "pack": pack, "hotline": hotline}),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn organisation(&self, id: OrgId) -> Result<Organisation> {
        if let Some(org) = self.orgs.read().expect("organisation cache").get(&id) {
            return Ok(org.clone());
        }
        let org: Organisation = on_read!(self, c => sqlx::query_as(
            "SELECT id, code, name, pack, hotline, created_at FROM organisations WHERE id = $1")
            .bind(id).fetch_one(c).await)?;
        self.orgs.write().expect("organisation cache").insert(id, org.clone());
        Ok(org)
    }

    pub async fn organisation_by_code(&self, code: &str) -> Result<Organisation> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, code, name, pack, hotline, created_at FROM organisations WHERE code = $1")
            .bind(code).fetch_one(c).await)?)
    }

    pub async fn organisations(&self) -> Result<Vec<Organisation>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, code, name, pack, hotline, created_at FROM organisations ORDER BY id").fetch_all(c).await)?)
    }

    // ---- units ----

    pub async fn units(&self, org_id: OrgId) -> Result<Vec<Unit>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, parent_id, code, name, kind, manager_staff_id FROM units WHERE org_id = $1 ORDER BY code")
            .bind(org_id).fetch_all(c).await)?)
    }

    pub async fn unit(&self, org_id: OrgId, id: i64) -> Result<Unit> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, parent_id, code, name, kind, manager_staff_id FROM units WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_one(c).await)?)
    }

    pub(crate) async fn unit_id_in(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        code: &str,
        field: &str,
    ) -> Result<i64> {
        let id: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM units WHERE org_id = $1 AND code = $2")
            .bind(org_id).bind(code).fetch_optional(c).await)?;
        id.ok_or_else(|| {
            StoreError::Invalid(vec![chuangkou_domain::FieldError::new(
                field,
                format!("单位 {code} 不存在 / unit {code} does not exist"),
            )])
        })
    }

    pub async fn create_unit(&self, org_id: OrgId, actor: &str, u: &NewUnit) -> Result<Unit> {
        let mut tx = self.begin().await?;
        let unit = self.insert_unit(&mut tx, org_id, actor, u).await?;
        tx.commit().await?;
        Ok(unit)
    }

    pub(crate) async fn insert_unit(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        actor: &str,
        u: &NewUnit,
    ) -> Result<Unit> {
        let parent_id = match &u.parent_code {
            Some(p) => Some(self.unit_id_in(tx, org_id, p, "parent_code").await?),
            None => None,
        };
        let now = self.now_ms();
        let unit: Unit = on_tx!(tx, c => sqlx::query_as(
            "INSERT INTO units (org_id, parent_id, code, name, kind, created_at) VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, parent_id, code, name, kind, manager_staff_id")
            .bind(org_id).bind(parent_id).bind(&u.code).bind(&u.name).bind(u.kind.as_str()).bind(now)
            .fetch_one(c).await)?;
        self.append(tx, NewEvent {
            org_id,
            actor,
            kind: EventKind::UnitCreated,
            subject_type: "unit",
            subject_id: unit.id,
            payload: json!({"code": u.code, "name": u.name, "kind": u.kind.as_str(), "parent_id": parent_id}),
            reason: "",
        })
        .await?;
        Ok(unit)
    }

    /// Checks that a unit of the organisation exists; otherwise a field error on `field`.
    pub(crate) async fn unit_in(&self, tx: &mut Tx, org_id: OrgId, unit_id: i64, field: &str) -> Result<()> {
        let ok: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM units WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(unit_id).fetch_optional(c).await)?;
        ok.map(|_| ()).ok_or_else(|| StoreError::field(field, "单位不存在 / no such unit"))
    }

    /// The unit of a staff member of the organisation; otherwise a field error on `field`.
    pub(crate) async fn staff_unit_in(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        staff_id: StaffId,
        field: &str,
    ) -> Result<i64> {
        let unit: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT unit_id FROM staff WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(staff_id).fetch_optional(c).await)?;
        unit.ok_or_else(|| StoreError::field(field, "员工不存在 / no such staff member"))
    }

    // ---- staff ----

    pub async fn staff_list(&self, org_id: OrgId, q: &StaffQuery) -> Result<Vec<Staff>> {
        let pattern = q.q.as_deref().map(|s| format!("%{}%", s.trim()));
        let sql = format!(
            "{STAFF_SELECT} WHERE s.org_id = $1 AND ($2 IS NULL OR s.unit_id = $2)
               AND ($3 IS NULL OR s.name LIKE $3 OR s.employee_no LIKE $3 OR s.position LIKE $3)
               AND s.id > $4 ORDER BY s.id LIMIT $5"
        );
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(q.unit_id).bind(pattern).bind(q.after_id.map_or(0, StaffId::get)).bind(q.limit.clamp(1, 500))
            .fetch_all(c).await)?)
    }

    pub async fn staff_count(&self, org_id: OrgId) -> Result<i64> {
        Ok(on_read!(self, c => sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE org_id = $1")
            .bind(org_id).fetch_one(c).await)?)
    }

    /// Head count of each unit (units with nobody are absent).
    pub async fn staff_per_unit(&self, org_id: OrgId) -> Result<std::collections::HashMap<i64, i64>> {
        let rows: Vec<(i64, i64)> = on_read!(self, c => sqlx::query_as(
            "SELECT unit_id, COUNT(*) FROM staff WHERE org_id = $1 GROUP BY unit_id").bind(org_id).fetch_all(c).await)?;
        Ok(rows.into_iter().collect())
    }

    pub async fn staff(&self, org_id: OrgId, id: StaffId) -> Result<Staff> {
        let sql = format!("{STAFF_SELECT} WHERE s.org_id = $1 AND s.id = $2");
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_one(c).await)?,
        )
    }

    pub async fn create_staff(&self, org_id: OrgId, actor: &str, s: &NewStaff) -> Result<Staff> {
        let mut tx = self.begin().await?;
        let id = self.insert_staff(&mut tx, org_id, actor, s).await?;
        tx.commit().await?;
        self.staff(org_id, id).await
    }

    pub(crate) async fn insert_staff(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        actor: &str,
        s: &NewStaff,
    ) -> Result<StaffId> {
        let unit_id = self.unit_id_in(tx, org_id, &s.unit_code, "unit_code").await?;
        let now = self.now_ms();
        let id: StaffId = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO staff (org_id, unit_id, employee_no, name, position, phone, certificate_no, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(org_id).bind(unit_id).bind(&s.employee_no).bind(&s.name).bind(&s.position).bind(&s.phone)
            .bind(&s.certificate_no).bind(now)
            .fetch_one(c).await)?;
        self.append(tx, NewEvent {
            org_id,
            actor,
            kind: EventKind::StaffCreated,
            subject_type: "staff",
            subject_id: id.get(),
            payload: json!({"employee_no": s.employee_no, "name": s.name, "unit_id": unit_id, "position": s.position,
                "certificate_no": s.certificate_no}),
            reason: "",
        })
        .await?;
        Ok(id)
    }

    /// Brings an existing staff record in line with `s`; returns whether
    /// anything changed (an unchanged row writes no event).
    pub(crate) async fn update_staff(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        actor: &str,
        s: &NewStaff,
        reason: &str,
    ) -> Result<bool> {
        let unit_id = self.unit_id_in(tx, org_id, &s.unit_code, "unit_code").await?;
        let row: Option<StaffRow> = on_tx!(tx, c => sqlx::query_as(
            "SELECT id, unit_id, name, position, phone, certificate_no FROM staff WHERE org_id = $1 AND employee_no = $2")
            .bind(org_id).bind(&s.employee_no).fetch_optional(c).await)?;
        let Some((id, old_unit, old_name, old_pos, old_phone, old_cert)) = row else {
            return Err(StoreError::NotFound);
        };
        if (old_unit, &old_name, &old_pos, &old_phone, &old_cert)
            == (unit_id, &s.name, &s.position, &s.phone, &s.certificate_no)
        {
            return Ok(false);
        }
        on_tx!(tx, c => sqlx::query(
            "UPDATE staff SET unit_id = $1, name = $2, position = $3, phone = $4, certificate_no = $5 WHERE id = $6 AND org_id = $7")
            .bind(unit_id).bind(&s.name).bind(&s.position).bind(&s.phone).bind(&s.certificate_no).bind(id).bind(org_id)
            .execute(c).await.map(|r| r.rows_affected()))?;
        self.append(
            tx,
            NewEvent {
                org_id,
                actor,
                kind: EventKind::StaffUpdated,
                subject_type: "staff",
                subject_id: id,
                payload: json!({
                    "before": {"unit_id": old_unit, "name": old_name, "position": old_pos, "certificate_no": old_cert},
                    "after": {"unit_id": unit_id, "name": s.name, "position": s.position, "certificate_no": s.certificate_no},
                }),
                reason,
            },
        )
        .await?;
        Ok(true)
    }

    // ---- vehicles ----

    pub async fn vehicles(&self, org_id: OrgId) -> Result<Vec<Vehicle>> {
        let sql = format!("{VEHICLE_SELECT} WHERE v.org_id = $1 ORDER BY v.plate");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    pub async fn create_vehicle(&self, org_id: OrgId, actor: &str, v: &NewVehicle) -> Result<Vehicle> {
        let mut tx = self.begin().await?;
        let id = self.upsert_vehicle(&mut tx, org_id, actor, v).await?.0;
        tx.commit().await?;
        let sql = format!("{VEHICLE_SELECT} WHERE v.org_id = $1 AND v.id = $2");
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_one(c).await)?,
        )
    }

    /// Inserts a vehicle, or updates the one with the same plate. Returns its
    /// id and whether anything was written.
    pub(crate) async fn upsert_vehicle(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        actor: &str,
        v: &NewVehicle,
    ) -> Result<(i64, bool)> {
        let unit_id = self.unit_id_in(tx, org_id, &v.unit_code, "unit_code").await?;
        let driver_id = match &v.driver_employee_no {
            Some(no) => {
                let id: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM staff WHERE org_id = $1 AND employee_no = $2")
                    .bind(org_id).bind(no).fetch_optional(c).await)?;
                Some(id.ok_or_else(|| {
                    StoreError::Invalid(vec![chuangkou_domain::FieldError::new(
                        "driver_employee_no",
                        format!("工号 {no} 不存在 / no staff member {no}"),
                    )])
                })?)
            }
            None => None,
        };
        let existing: Option<(i64, i64, Option<i64>)> = on_tx!(tx, c => sqlx::query_as(
            "SELECT id, unit_id, driver_id FROM vehicles WHERE org_id = $1 AND plate = $2")
            .bind(org_id).bind(&v.plate).fetch_optional(c).await)?;
        let (id, kind) = match existing {
            Some((id, u, d)) if (u, d) == (unit_id, driver_id) => return Ok((id, false)),
            Some((id, _, _)) => {
                on_tx!(tx, c => sqlx::query("UPDATE vehicles SET unit_id = $1, driver_id = $2 WHERE id = $3 AND org_id = $4")
                    .bind(unit_id).bind(driver_id).bind(id).bind(org_id).execute(c).await.map(|r| r.rows_affected()))?;
                (id, EventKind::VehicleUpdated)
            }
            None => {
                let now = self.now_ms();
                let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
                    "INSERT INTO vehicles (org_id, unit_id, plate, driver_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                    .bind(org_id).bind(unit_id).bind(&v.plate).bind(driver_id).bind(now).fetch_one(c).await)?;
                (id, EventKind::VehicleCreated)
            }
        };
        self.append(
            tx,
            NewEvent {
                org_id,
                actor,
                kind,
                subject_type: "vehicle",
                subject_id: id,
                payload: json!({"plate": v.plate, "unit_id": unit_id, "driver_id": driver_id}),
                reason: "",
            },
        )
        .await?;
        Ok((id, true))
    }

    // ---- service points ----

    pub async fn service_points(&self, org_id: OrgId) -> Result<Vec<ServicePoint>> {
        let sql = format!("{POINT_SELECT} WHERE p.org_id = $1 ORDER BY u.code, p.code");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    pub async fn service_point(&self, org_id: OrgId, id: i64) -> Result<ServicePoint> {
        let sql = format!("{POINT_SELECT} WHERE p.org_id = $1 AND p.id = $2");
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_one(c).await)?,
        )
    }

    /// The service point a QR code leads to; public, so looked up by its
    /// unguessable token rather than by organisation.
    pub async fn service_point_by_token(&self, token: &str) -> Result<ServicePoint> {
        let sql = format!("{POINT_SELECT} WHERE p.public_token = $1");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token).fetch_one(c).await)?)
    }

    pub async fn create_service_point(
        &self,
        org_id: OrgId,
        actor: &str,
        p: &NewServicePoint,
    ) -> Result<ServicePoint> {
        let mut tx = self.begin().await?;
        let unit_id = self.unit_id_in(&mut tx, org_id, &p.unit_code, "unit_code").await?;
        let vehicle_id = match &p.vehicle_plate {
            Some(plate) => {
                let plate = chuangkou_domain::org::plate("vehicle_plate", plate)
                    .map_err(|e| StoreError::Invalid(vec![e]))?;
                let id: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM vehicles WHERE org_id = $1 AND plate = $2")
                    .bind(org_id).bind(&plate).fetch_optional(c).await)?;
                Some(id.ok_or_else(|| {
                    StoreError::Invalid(vec![chuangkou_domain::FieldError::new(
                        "vehicle_plate",
                        format!("车辆 {plate} 不存在 / no vehicle {plate}"),
                    )])
                })?)
            }
            None => None,
        };
        let token = random_token(16);
        let now = self.now_ms();
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO service_points (org_id, unit_id, code, name, kind, vehicle_id, public_token, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(org_id).bind(unit_id).bind(&p.code).bind(&p.name).bind(p.kind.as_str()).bind(vehicle_id)
            .bind(&token).bind(now).fetch_one(c).await)?;
        self.append(&mut tx, NewEvent {
            org_id,
            actor,
            kind: EventKind::ServicePointCreated,
            subject_type: "service_point",
            subject_id: id,
            payload: json!({"code": p.code, "name": p.name, "kind": p.kind.as_str(), "unit_id": unit_id, "vehicle_id": vehicle_id}),
            reason: "",
        })
        .await?;
        tx.commit().await?;
        self.service_point(org_id, id).await
    }
}
