//! Limits on attempts per key and hour — ratings per device and per
//! network, public feedback per network and per service point — counted in
//! the database (`rate_counts`), so that a limit holds however many `serve`
//! instances share it. Keys are keyed hashes: no address is stored.

use std::collections::HashMap;

use crate::{Result, Store, Tx, on_tx};

/// An attempt's keys, each with its limit for the hour, checked in order.
pub type Keys = Vec<(String, u32)>;

/// Distinct keys a statement takes at most.
const KEY_ROWS: usize = 64;

/// The hour `at` (ms since the epoch) falls in: the window a count covers.
pub fn hour_of(at: i64) -> i64 {
    at.div_euclid(3_600_000)
}

/// Decides, attempt by attempt in order, which pass: an attempt passes when
/// each of its keys is under its limit, and each key checked is counted
/// until one stops it — as the in-memory limiter did, an attempt stopped by
/// its second key still used up one of its first. `counts` are the hour's
/// counts before the batch and are left as they are after it. Answers the
/// index of the key that stopped each attempt.
pub fn decide(attempts: &[&Keys], counts: &mut HashMap<String, i64>) -> Vec<Option<usize>> {
    attempts
        .iter()
        .map(|keys| {
            for (k, (key, limit)) in keys.iter().enumerate() {
                let n = counts.entry(key.clone()).or_insert(0);
                if *n >= i64::from(*limit) {
                    return Some(k);
                }
                *n += 1;
            }
            None
        })
        .collect()
}

impl Store {
    /// The key a limit counts `raw` under: a keyed hash, for `kind`
    /// (`address`, `device`, `point`…), so that no address is stored.
    pub fn limit_key(&self, kind: &str, raw: &str) -> String {
        format!("{kind}:{}", &self.device_hash(&format!("limit:{kind}:{raw}"))[..24])
    }

    /// Counts `attempts` in the hour of now, inside `tx`; answers for each
    /// the index of the key that stopped it (see [`decide`]). On PostgreSQL
    /// the hour's rows of these keys are locked until the transaction ends,
    /// so two instances counting the same key wait for each other instead
    /// of both letting the last attempt through; SQLite's single writer
    /// already serialises every counting.
    ///
    /// Keys in `elsewhere` come with their counts, taken from records the
    /// caller holds (a device's ratings of the hour, from the ratings
    /// themselves): they are neither read from nor written to `rate_counts`.
    pub(crate) async fn count_attempts(
        &self,
        tx: &mut Tx,
        attempts: &[&Keys],
        elsewhere: HashMap<String, i64>,
    ) -> Result<Vec<Option<usize>>> {
        let hour = hour_of(self.now_ms());
        let mut keys: Vec<&str> = attempts
            .iter()
            .flat_map(|a| a.iter().map(|(k, _)| k.as_str()))
            .filter(|k| !elsewhere.contains_key(*k))
            .collect();
        if keys.is_empty() && elsewhere.is_empty() {
            return Ok(vec![None; attempts.len()]);
        }
        // One order for every writer, so that two never wait on each other in a circle.
        keys.sort_unstable();
        keys.dedup();
        let mut counts = self.read_counts(tx, hour, &keys).await?;
        let before = counts.clone();
        counts.extend(elsewhere.iter().map(|(k, n)| (k.clone(), *n)));
        let stopped = decide(attempts, &mut counts);
        let mut changed: Vec<(&String, i64)> = counts
            .iter()
            .filter(|(k, n)| !elsewhere.contains_key(*k) && before.get(*k) != Some(n))
            .map(|(k, n)| (k, *n))
            .collect();
        changed.sort_unstable();
        self.write_counts(tx, hour, &changed).await?;
        Ok(stopped)
    }

    /// The hour's counts of `keys` (sorted); on PostgreSQL the rows are
    /// created where missing and locked.
    async fn read_counts(&self, tx: &mut Tx, hour: i64, keys: &[&str]) -> Result<HashMap<String, i64>> {
        let mut counts: HashMap<String, i64> = HashMap::with_capacity(keys.len());
        for chunk in crate::few_shapes(keys, KEY_ROWS) {
            let rows: Vec<(String, i64)> = match tx {
                // The single writer serialises every counting: a read is enough.
                Tx::Sqlite(t) => {
                    let mut q = sqlx::QueryBuilder::new("SELECT key, n FROM rate_counts WHERE hour = ");
                    q.push_bind(hour).push(" AND key IN (");
                    let mut list = q.separated(", ");
                    for key in chunk {
                        list.push_bind(*key);
                    }
                    q.push(")");
                    q.build_query_as().fetch_all(&mut **t).await?
                }
                // Creates the missing rows and locks them all, in key order;
                // `n = n` changes nothing.
                Tx::Pg(t) => {
                    let mut q = crate::insert_values(
                        "rate_counts (hour, key, n)",
                        chunk,
                        |mut b, key| {
                            b.push_bind(hour).push_bind(*key).push("0");
                        },
                        "ON CONFLICT (hour, key) DO UPDATE SET n = rate_counts.n RETURNING key, n",
                    );
                    q.build_query_as().fetch_all(&mut **t).await?
                }
            };
            counts.extend(rows);
        }
        Ok(counts)
    }

    /// Writes the hour's new counts.
    async fn write_counts(&self, tx: &mut Tx, hour: i64, changed: &[(&String, i64)]) -> Result<()> {
        for chunk in crate::few_shapes(changed, KEY_ROWS) {
            on_tx!(tx, c => {
                let mut q = crate::insert_values("rate_counts (hour, key, n)", chunk, |mut b, (key, n)| {
                    b.push_bind(hour).push_bind(key.as_str()).push_bind(*n);
                }, "ON CONFLICT (hour, key) DO UPDATE SET n = excluded.n");
                q.build().execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Counts one attempt in a transaction of its own; answers the index of
    /// the key that stopped it.
    pub async fn take_attempt(&self, keys: &Keys) -> Result<Option<usize>> {
        let mut tx = self.begin().await?;
        let stopped = self.count_attempts(&mut tx, &[keys], HashMap::new()).await?;
        tx.commit().await?;
        Ok(stopped[0])
    }

    /// Forgets the counts of hours before the previous one; answers how many.
    pub async fn prune_rate_counts(&self) -> Result<u64> {
        let before = hour_of(self.now_ms()) - 1;
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query("DELETE FROM rate_counts WHERE hour < $1")
            .bind(before).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_stopped_by_its_second_key_still_counts_its_first() {
        let (addr, dev_a, dev_b) = ("address:x".to_string(), "device:a".to_string(), "device:b".to_string());
        let a: Keys = vec![(addr.clone(), 3), (dev_a.clone(), 1)];
        let b: Keys = vec![(addr.clone(), 3), (dev_b.clone(), 1)];
        let mut counts = HashMap::new();
        // a, a (device a at its limit: the address still counts), b, b (address at its limit).
        let got = decide(&[&a, &a, &b, &b], &mut counts);
        assert_eq!(got, vec![None, Some(1), None, Some(0)]);
        assert_eq!(counts[&addr], 3);
        assert_eq!(counts[&dev_a], 1);
        assert_eq!(counts[&dev_b], 1);
        // Counts carried from earlier batches are respected.
        let mut counts = HashMap::from([(addr.clone(), 3)]);
        assert_eq!(decide(&[&a], &mut counts), vec![Some(0)]);
    }

    #[test]
    fn the_hour_is_the_window() {
        assert_eq!(hour_of(3_599_999), 0);
        assert_eq!(hour_of(3_600_000), 1);
    }
}
