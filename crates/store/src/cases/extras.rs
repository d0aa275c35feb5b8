//! What comes with a new case besides its row, written in the registering
//! transaction: the reporter's photos (`case_photos`), the place and sender
//! another system gives (`case_origins`, personal fields encrypted), and
//! the spoken code a desk reads out (`spoken_codes`, a keyed hash).

use super::intake::NewCase;
use crate::{Result, Store, Tx, on_tx};
use chuangkou_domain::{CaseId, OrgId};

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn insert_extras(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        case_id: CaseId,
        number: &str,
        now: i64,
        nc: &NewCase,
        spoken: Option<&str>,
    ) -> Result<()> {
        for p in &nc.photos {
            on_tx!(tx, c => sqlx::query(
                "INSERT INTO case_photos (org_id, case_id, content_type, bytes, thumb, width, height, sha256, uploaded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(org_id).bind(case_id).bind(p.content_type).bind(&p.bytes).bind(&p.thumb)
                .bind(p.width as i64).bind(p.height as i64).bind(&p.sha256).bind(now)
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
        if let Some(o) = &nc.origin {
            let enc = |v: &Option<String>| v.as_deref().map(|x| self.encrypt(x));
            on_tx!(tx, c => sqlx::query(
                "INSERT INTO case_origins (case_id, org_id, address, address_id, lat, long, media_url, device_id, account_id,
                   email_enc, first_name_enc, last_name_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                .bind(case_id).bind(org_id).bind(&o.address).bind(&o.address_id)
                .bind(o.lat.map(|x| x.to_string())).bind(o.long.map(|x| x.to_string()))
                .bind(&o.media_url).bind(&o.device_id).bind(&o.account_id)
                .bind(enc(&o.email)).bind(enc(&o.first_name)).bind(enc(&o.last_name))
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
        if let Some(spoken) = spoken {
            let digest = self.spoken_hash(number, &spoken.replace(' ', ""));
            on_tx!(tx, c => sqlx::query("INSERT INTO spoken_codes (case_id, org_id, digest) VALUES ($1, $2, $3)")
                .bind(case_id).bind(org_id).bind(&digest).execute(c).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }
}
