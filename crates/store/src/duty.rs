//! Duty rosters and facilities (issue 19 point 5). Who may keep which
//! unit's rosters and facilities is decided by the web layer from the
//! role's keeping sight; the store checks that units, staff and service
//! points belong to the organisation, and writes an event for every change.

use chuangkou_domain::duty::{Condition, DutyKind, NewFacility, Shift};
use chuangkou_domain::events::EventKind;
use chuangkou_domain::{CaseId, OrgId, StaffId, UserId};
use serde::Serialize;
use serde_json::json;

use crate::users::User;
use crate::{Result, Store, StoreError, Tx, on_read, on_tx};

/// Where and how a new case was raised, for [`Store::tell_on_duty`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct OnSite {
    pub channel: chuangkou_domain::cases::Channel,
    pub point: Option<i64>,
    pub unit: Option<i64>,
    pub subject: Option<StaffId>,
}

/// A line of the roster as read back.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ShiftRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    pub staff_id: StaffId,
    pub staff_name: String,
    pub staff_no: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: Option<String>,
}

/// A line to roster: the unit and the staff member, with the checked shift.
#[derive(Debug, Clone)]
pub struct NewShift {
    pub unit_id: i64,
    pub staff_id: StaffId,
    pub shift: Shift,
}

const SHIFTS: &str = "SELECT d.id, d.unit_id, u.name AS unit_name, d.kind, d.staff_id, s.name AS staff_name,
    s.employee_no AS staff_no, d.starts_at, d.ends_at, d.note
    FROM duty_shifts d JOIN units u ON u.id = d.unit_id JOIN staff s ON s.id = d.staff_id";

/// The unit and every unit above it (a station's master is on duty for
/// its teams too), as a recursive query over `units` named `up`.
const UP: &str = "WITH RECURSIVE up(id, parent_id) AS (
    SELECT id, parent_id FROM units WHERE org_id = $1 AND id = $2
    UNION SELECT u.id, u.parent_id FROM units u JOIN up ON u.id = up.parent_id)";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FacilityRow {
    pub id: i64,
    pub service_point_id: i64,
    pub point_name: String,
    pub unit_id: i64,
    pub kind: String,
    pub name: String,
    pub quantity: i64,
    pub expires_on: Option<String>,
    pub condition: String,
    pub checked_at: Option<i64>,
    pub retired_at: Option<i64>,
}

const FACILITIES: &str = "SELECT f.id, f.service_point_id, p.name AS point_name, p.unit_id, f.kind, f.name,
    f.quantity, f.expires_on, f.condition, f.checked_at, f.retired_at
    FROM facilities f JOIN service_points p ON p.id = f.service_point_id";

/// A facility's condition as an inspection found it.
#[derive(Debug, Clone)]
pub struct FacilityCheck {
    pub facility_id: i64,
    pub condition: Condition,
    pub note: String,
}

impl Store {
    /// Rosters the lines in one transaction (a spreadsheet: all or
    /// nothing). A line for the same unit, duty and start as one already
    /// on the roster supersedes it; the earlier line is kept.
    pub async fn roster(&self, org_id: OrgId, by: &User, lines: &[NewShift]) -> Result<Vec<i64>> {
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let mut ids = Vec::with_capacity(lines.len());
        for l in lines {
            self.unit_in(&mut tx, org_id, l.unit_id, "unit_id").await?;
            self.staff_unit_in(&mut tx, org_id, l.staff_id, "staff_id").await?;
            let kind = l.shift.kind.as_str();
            on_tx!(&mut tx, c => sqlx::query(
                "UPDATE duty_shifts SET superseded_at = $1
                  WHERE org_id = $2 AND unit_id = $3 AND kind = $4 AND starts_at = $5 AND superseded_at IS NULL")
                .bind(now).bind(org_id).bind(l.unit_id).bind(kind).bind(l.shift.starts_at)
                .execute(c).await.map(|_| ()))?;
            let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
                "INSERT INTO duty_shifts (org_id, unit_id, kind, staff_id, starts_at, ends_at, note, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                .bind(org_id).bind(l.unit_id).bind(kind).bind(l.staff_id).bind(l.shift.starts_at)
                .bind(l.shift.ends_at).bind(&l.shift.note).bind(by.id).bind(now)
                .fetch_one(c).await)?;
            let payload = json!({"unit_id": l.unit_id, "kind": kind, "staff_id": l.staff_id,
                "starts_at": l.shift.starts_at, "ends_at": l.shift.ends_at});
            self.event_in(
                &mut tx,
                org_id,
                &by.actor(),
                EventKind::DutyRostered,
                ("duty_shift", id),
                payload,
                "",
            )
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// The roster of `unit_ids` (all units when `None`) for shifts that
    /// overlap `[from, until)`, by start.
    pub async fn shifts(
        &self,
        org_id: OrgId,
        unit_ids: Option<&[i64]>,
        from: i64,
        until: i64,
    ) -> Result<Vec<ShiftRow>> {
        let sql = format!(
            "{SHIFTS} WHERE d.org_id = $1 AND d.superseded_at IS NULL AND d.ends_at > $2 AND d.starts_at < $3
             ORDER BY d.starts_at, u.code, d.kind LIMIT 2000"
        );
        let rows: Vec<ShiftRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(from).bind(until).fetch_all(c).await)?;
        Ok(match unit_ids {
            Some(ids) => rows.into_iter().filter(|r| ids.contains(&r.unit_id)).collect(),
            None => rows,
        })
    }

    /// Who is on duty at `unit_id` or a unit above it at `at`, nearest
    /// unit first.
    pub async fn on_duty(&self, org_id: OrgId, unit_id: i64, at: i64) -> Result<Vec<ShiftRow>> {
        let sql = on_duty_sql();
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(unit_id).bind(at).fetch_all(c).await)?)
    }

    /// The same inside a transaction (an escalation, an inspection).
    pub(crate) async fn on_duty_tx(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        unit_id: i64,
        at: i64,
    ) -> Result<Vec<ShiftRow>> {
        let sql = on_duty_sql();
        Ok(on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(unit_id).bind(at).fetch_all(c).await)?)
    }

    /// The users of those leading `unit_id` (or a unit above it) at `at`:
    /// whom an escalation to the shift leader and an on-site case reach —
    /// never the person the case is about (`not_staff`).
    pub(crate) async fn duty_leaders(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        unit_id: i64,
        at: i64,
        not_staff: Option<StaffId>,
    ) -> Result<Vec<UserId>> {
        let leading: Vec<StaffId> = self
            .on_duty_tx(tx, org_id, unit_id, at)
            .await?
            .into_iter()
            .filter(|s| DutyKind::parse(&s.kind).is_some_and(DutyKind::leads))
            .map(|s| s.staff_id)
            .filter(|s| Some(*s) != not_staff)
            .collect();
        let mut users = vec![];
        for staff in leading {
            let ids: Vec<UserId> = on_tx!(tx, c => sqlx::query_scalar(
                "SELECT id FROM users WHERE org_id = $1 AND staff_id = $2 AND disabled = FALSE")
                .bind(org_id).bind(staff).fetch_all(c).await)?;
            users.extend(ids.into_iter().filter(|u| !users.contains(u)).collect::<Vec<_>>());
        }
        Ok(users)
    }

    /// A case raised on the spot — through a service point's QR code, or in
    /// person at the desk — goes to whoever leads its unit on the roster now,
    /// to go and see (seed 000: 值班站长必须在现场处理); never to the person
    /// it is about. Other channels, and a unit nobody leads, tell no one.
    pub(crate) async fn tell_on_duty(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        case_id: CaseId,
        number: &str,
        c: OnSite,
    ) -> Result<()> {
        use chuangkou_domain::cases::Channel;
        let on_site = match c.channel {
            Channel::Web => c.point.is_some(),
            Channel::WalkIn => true,
            _ => false,
        };
        let Some(unit) = c.unit.filter(|_| on_site) else { return Ok(()) };
        let leaders = self.duty_leaders(tx, org_id, unit, self.now_ms(), c.subject).await?;
        if !leaders.is_empty() {
            let message = format!(
                "现场反映 {number}：请值班人员及时到场处理 / on-site case {number}: the person on duty please attend"
            );
            self.notify(
                tx,
                org_id,
                Some(case_id),
                crate::cases::NotifyTarget::Users(leaders),
                EventKind::CaseOnSite,
                &message,
            )
            .await?;
        }
        Ok(())
    }

    /// Adds a facility to a service point.
    pub async fn add_facility(
        &self,
        org_id: OrgId,
        by: &User,
        point_id: i64,
        f: &NewFacility,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let point: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT id FROM service_points WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(point_id).fetch_optional(c).await)?;
        point.ok_or_else(|| StoreError::field("service_point_id", "服务点不存在 / no such service point"))?;
        let now = self.now_ms();
        let expires = f.expires_on.map(|d| d.to_string());
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO facilities (org_id, service_point_id, kind, name, quantity, expires_on, condition, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(org_id).bind(point_id).bind(f.kind.as_str()).bind(&f.name).bind(f.quantity).bind(&expires)
            .bind(Condition::Good.as_str()).bind(by.id).bind(now)
            .fetch_one(c).await)?;
        let payload = json!({"service_point_id": point_id, "kind": f.kind.as_str(), "name": f.name,
            "quantity": f.quantity, "expires_on": expires});
        self.event_in(&mut tx, org_id, &by.actor(), EventKind::FacilityAdded, ("facility", id), payload, "")
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Retires a facility (gone, replaced); it stays on record.
    pub async fn retire_facility(
        &self,
        org_id: OrgId,
        by: &User,
        id: i64,
        reason: &str,
    ) -> Result<FacilityRow> {
        let reason = crate::required("reason", reason, 200)?;
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE facilities SET retired_at = $1 WHERE org_id = $2 AND id = $3 AND retired_at IS NULL")
            .bind(now).bind(org_id).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::FacilityRetired,
            ("facility", id),
            json!({}),
            &reason,
        )
        .await?;
        tx.commit().await?;
        self.facility(org_id, id).await
    }

    pub async fn facility(&self, org_id: OrgId, id: i64) -> Result<FacilityRow> {
        let sql = format!("{FACILITIES} WHERE f.org_id = $1 AND f.id = $2");
        let row: Option<FacilityRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    /// The facilities in use, of one service point or of all.
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn facilities(&self, org_id: OrgId, point_id: Option<i64>) -> Result<Vec<FacilityRow>> {
        let sql = format!(
            "{FACILITIES} WHERE f.org_id = $1 AND f.retired_at IS NULL AND ($2 = 0 OR f.service_point_id = $2)
             ORDER BY p.code, f.kind, f.id LIMIT 2000"
        );
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(point_id.unwrap_or(0)).fetch_all(c).await)?)
    }

    /// Writes what an inspection found of a point's facilities, in the
    /// inspection's transaction: each must be a facility in use of
    /// `point_id`; each check is an event.
    pub(crate) async fn check_facilities(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        by: &User,
        inspection_id: i64,
        point_id: Option<i64>,
        checks: &[FacilityCheck],
    ) -> Result<()> {
        let now = self.now_ms();
        for (i, ch) in checks.iter().enumerate() {
            let n = on_tx!(tx, c => sqlx::query(
                "UPDATE facilities SET condition = $1, checked_at = $2, checked_by = $3, inspection_id = $4
                  WHERE org_id = $5 AND id = $6 AND service_point_id = $7 AND retired_at IS NULL")
                .bind(ch.condition.as_str()).bind(now).bind(by.id).bind(inspection_id).bind(org_id)
                .bind(ch.facility_id).bind(point_id.unwrap_or(0))
                .execute(c).await.map(|r| r.rows_affected()))?;
            if n == 0 {
                return Err(StoreError::field(
                    &format!("facilities[{i}].facility_id"),
                    "不是该服务点在用的设施 / not a facility in use at this service point",
                ));
            }
            let payload =
                json!({"condition": ch.condition.as_str(), "inspection_id": inspection_id, "note": ch.note});
            self.event_in(
                tx,
                org_id,
                &by.actor(),
                EventKind::FacilityChecked,
                ("facility", ch.facility_id),
                payload,
                "",
            )
            .await?;
        }
        Ok(())
    }
}

fn on_duty_sql() -> String {
    format!(
        "{UP} {SHIFTS} JOIN up ON up.id = d.unit_id
          WHERE d.org_id = $1 AND d.superseded_at IS NULL AND d.starts_at <= $3 AND d.ends_at > $3
          ORDER BY CASE WHEN d.unit_id = $2 THEN 0 ELSE 1 END, d.kind, d.id"
    )
}
