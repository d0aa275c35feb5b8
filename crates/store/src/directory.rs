//! The convenience directory (SPEC PUB-1): entries near a unit, checked
//! and re-checked, retired but never deleted; every change is an event.
//! Who may keep which unit's entries is decided by the web layer from the
//! role's directory sight; the store checks the unit belongs to the
//! organisation.

use chuangkou_domain::OrgId;
use chuangkou_domain::directory::NewEntry;
use chuangkou_domain::events::EventKind;
use serde::Serialize;
use serde_json::json;

use crate::users::User;
use crate::{NewEvent, Result, Store, StoreError, Tx, on_read, on_tx};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DirectoryRow {
    pub id: i64,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub kind: String,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub hours: Option<String>,
    pub distance_m: Option<i64>,
    pub checked_at: i64,
    pub checked_by_name: String,
    pub retired_at: Option<i64>,
}

const SELECT: &str =
    "SELECT d.id, d.unit_id, u.name AS unit_name, d.kind, d.name, d.address, d.phone, d.hours,
    d.distance_m, d.checked_at, cu.display_name AS checked_by_name, d.retired_at
    FROM directory_entries d LEFT JOIN units u ON u.id = d.unit_id JOIN users cu ON cu.id = d.checked_by";

impl Store {
    /// Adds an entry, checked now by `by`.
    pub async fn add_directory_entry(
        &self,
        org_id: OrgId,
        by: &User,
        unit_id: Option<i64>,
        e: &NewEntry,
    ) -> Result<i64> {
        let ids = self.add_directory_entries(org_id, by, &[(unit_id, e.clone())]).await?;
        Ok(ids[0])
    }

    /// Adds entries in one transaction (a spreadsheet: all or nothing).
    pub async fn add_directory_entries(
        &self,
        org_id: OrgId,
        by: &User,
        entries: &[(Option<i64>, NewEntry)],
    ) -> Result<Vec<i64>> {
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let mut ids = Vec::with_capacity(entries.len());
        for (unit_id, e) in entries {
            if let Some(u) = unit_id {
                self.unit_in(&mut tx, org_id, *u, "unit_id").await?;
            }
            let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
                "INSERT INTO directory_entries (org_id, unit_id, kind, name, address, phone, hours, distance_m,
                                                checked_at, checked_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9) RETURNING id")
                .bind(org_id).bind(unit_id).bind(e.kind.as_str()).bind(&e.name).bind(&e.address).bind(&e.phone)
                .bind(&e.hours).bind(e.distance_m).bind(now).bind(by.id)
                .fetch_one(c).await)?;
            let payload = json!({"kind": e.kind.as_str(), "name": e.name, "unit_id": unit_id});
            self.directory_event(&mut tx, org_id, by, id, EventKind::DirectoryAdded, payload).await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Rewrites an entry as checked now by `by` (the same fields to say
    /// "still right", new ones to correct it).
    pub async fn check_directory_entry(
        &self,
        org_id: OrgId,
        by: &User,
        id: i64,
        e: &NewEntry,
    ) -> Result<DirectoryRow> {
        let mut tx = self.begin().await?;
        self.live_entry(&mut tx, org_id, id).await?;
        let now = self.now_ms();
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE directory_entries SET kind = $1, name = $2, address = $3, phone = $4, hours = $5,
                    distance_m = $6, checked_at = $7, checked_by = $8 WHERE org_id = $9 AND id = $10")
            .bind(e.kind.as_str()).bind(&e.name).bind(&e.address).bind(&e.phone).bind(&e.hours)
            .bind(e.distance_m).bind(now).bind(by.id).bind(org_id).bind(id)
            .execute(c).await.map(|_| ()))?;
        let payload = json!({"kind": e.kind.as_str(), "name": e.name, "phone": e.phone, "hours": e.hours});
        self.directory_event(&mut tx, org_id, by, id, EventKind::DirectoryChecked, payload).await?;
        tx.commit().await?;
        self.directory_entry(org_id, id).await
    }

    /// Retires an entry (the place closed or moved): it leaves the public
    /// pages and the to-do list, and stays on record.
    pub async fn retire_directory_entry(&self, org_id: OrgId, by: &User, id: i64) -> Result<DirectoryRow> {
        let mut tx = self.begin().await?;
        self.live_entry(&mut tx, org_id, id).await?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE directory_entries SET retired_at = $1 WHERE org_id = $2 AND id = $3")
            .bind(self.now_ms()).bind(org_id).bind(id).execute(c).await.map(|_| ()))?;
        self.directory_event(&mut tx, org_id, by, id, EventKind::DirectoryRetired, json!({})).await?;
        tx.commit().await?;
        self.directory_entry(org_id, id).await
    }

    async fn live_entry(&self, tx: &mut Tx, org_id: OrgId, id: i64) -> Result<()> {
        let retired: Option<Option<i64>> = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT retired_at FROM directory_entries WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        match retired {
            None => Err(StoreError::NotFound),
            Some(Some(_)) => Err(StoreError::refused(true, "该条目已停用 / the entry was retired")),
            Some(None) => Ok(()),
        }
    }

    async fn directory_event(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        by: &User,
        id: i64,
        kind: EventKind,
        payload: serde_json::Value,
    ) -> Result<()> {
        let actor = by.actor();
        let e = NewEvent {
            org_id,
            actor: &actor,
            kind,
            subject_type: "directory_entry",
            subject_id: id,
            payload,
            reason: "",
        };
        self.append(tx, e).await?;
        Ok(())
    }

    pub async fn directory_entry(&self, org_id: OrgId, id: i64) -> Result<DirectoryRow> {
        let sql = format!("{SELECT} WHERE d.org_id = $1 AND d.id = $2");
        let row: Option<DirectoryRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    /// The entries in use, the organisation's first (NULL sorts differently
    /// on the two databases, hence the explicit key), then by unit, kind
    /// and distance; with `unit_id`, the
    /// whole organisation's and that unit's (what a station's QR page
    /// shows).
    pub async fn directory(&self, org_id: OrgId, unit_id: Option<i64>) -> Result<Vec<DirectoryRow>> {
        let sql = format!(
            "{SELECT} WHERE d.org_id = $1 AND d.retired_at IS NULL AND ($2 = 0 OR d.unit_id IS NULL OR d.unit_id = $2)
             ORDER BY (d.unit_id IS NOT NULL), d.unit_id, d.kind, (d.distance_m IS NULL), d.distance_m, d.id LIMIT 1000"
        );
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(unit_id.unwrap_or(0)).fetch_all(c).await)?)
    }

    /// Entries in use last checked before `before`: due to be checked.
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn stale_directory(&self, org_id: OrgId, before: i64) -> Result<Vec<DirectoryRow>> {
        let sql = format!(
            "{SELECT} WHERE d.org_id = $1 AND d.retired_at IS NULL AND d.checked_at <= $2
             ORDER BY d.checked_at, d.id LIMIT 1000"
        );
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(before).fetch_all(c).await)?,
        )
    }
}
