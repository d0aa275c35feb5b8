//! Moving an installation from SQLite to PostgreSQL: an organisation that
//! started on one machine and now needs several instances (docs/DEPLOYMENT.md)
//! takes all of its records along, chains, seals, sessions and all.
//!
//! Every table of the migrated PostgreSQL schema is filled from the same
//! table of the SQLite database with `COPY … FROM STDIN`, read from one
//! snapshot and written in one transaction: the target holds the whole
//! copy or nothing. As `pg_restore` does, the foreign keys and secondary
//! indexes are set aside while the rows go in and made again afterwards
//! (one pass over a table instead of a probe or an index insert a row),
//! which also checks every reference at once; the database's own triggers
//! are off meanwhile, so that a copied row is not queued for a seal it
//! already has. Ids are copied as they are and each identity column
//! continues after the largest. The one table kept differently is the case search index: SQLite's FTS5 document
//! of a case cannot be read back (contentless), so PostgreSQL's `case_terms`
//! rows are made again from each case's description, as intake makes them.
//!
//! The copy proves itself afterwards: `chuangkou copy-to` walks the target's
//! chains, seals, ratings and rollups with the installation's secret.

use std::collections::BTreeMap;

use chuangkou_domain::cases::similar::bigrams;
use futures_util::TryStreamExt;
use sqlx::{ConnectOptions, Row, ValueRef};

use crate::{Db, Result, Store, StoreError};

/// Bytes of COPY data sent at once.
const CHUNK: usize = 1 << 20;

/// The tables SQLite keeps that PostgreSQL has no counterpart for: the FTS5
/// search index and its shadow tables (remade from the cases instead).
const SQLITE_ONLY: &str = "case_search";

/// The tables PostgreSQL keeps that are made, not copied.
const MADE: &str = "case_terms";

/// One table copied: its name and how many rows it holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub table: String,
    pub rows: u64,
}

/// How a PostgreSQL column's value is written in COPY's text format.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Int,
    Bool,
    Text,
    Bytes,
}

struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
    identity: Option<String>,
}

impl Store {
    /// Copies this SQLite database into `target`, a migrated PostgreSQL
    /// database that holds no data yet; both must be at this version's
    /// schema. Answers every table with its rows, in the order copied.
    pub async fn copy_into(&self, target: &Store) -> Result<Vec<Copied>> {
        let Db::Sqlite { reader, .. } = &self.db else {
            return Err(StoreError::Other("copy-to copies a SQLite installation".into()));
        };
        let Db::Pg(pool) = &target.db else {
            return Err(StoreError::Other("copy-to copies into a PostgreSQL database".into()));
        };
        // A connection of its own, whose statements are not logged as slow:
        // each reads a whole table while PostgreSQL writes it.
        let opts = reader.connect_options().as_ref().clone().disable_statement_logging();
        let mut own = opts.connect().await?;
        let mut src = sqlx::Connection::begin(&mut own).await?;
        let mut tx = pool.begin().await?;
        let tables = pg_tables(&mut tx).await?;
        check_same_schema(&mut src, &mut tx, &tables).await?;
        let afterwards = set_aside(&mut tx).await?;
        for t in &tables {
            let sql = format!("ALTER TABLE {} DISABLE TRIGGER USER", t.name);
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
        }
        let mut copied = Vec::new();
        for t in &tables {
            let rows = if t.name == MADE {
                make_case_terms(&mut src, &mut tx).await?
            } else {
                copy_table(&mut src, &mut tx, t).await?
            };
            if let Some(col) = &t.identity {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', '{1}'), GREATEST(MAX({1}), 1), MAX({1}) IS NOT NULL) FROM {0}",
                    t.name, col
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
            }
            copied.push(Copied { table: t.name.clone(), rows });
        }
        for sql in afterwards {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
        }
        for t in &tables {
            let sql = format!("ALTER TABLE {} ENABLE TRIGGER USER", t.name);
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        // Statistics and the visibility map now, not at autovacuum's
        // leisure: the first queries on the copy would otherwise be planned
        // for empty tables, and an index-only count would still visit every
        // row (the full-size dashboard: p95 552 ms before, 263 ms after).
        sqlx::raw_sql("VACUUM (ANALYZE)").execute(pool).await?;
        Ok(copied)
    }
}

/// A name from the catalogue, checked before it is spliced into a statement.
fn plain(name: &str) -> Result<&str> {
    if crate::scratch::plain(name) && !name.is_empty() {
        Ok(name)
    } else {
        Err(StoreError::Other(format!("unexpected table or column name {name:?}")))
    }
}

/// The target's tables with their columns; the migrations' own books are
/// left out (each side keeps its own).
async fn pg_tables(tx: &mut sqlx::PgConnection) -> Result<Vec<Table>> {
    let cols: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text,
                (c.is_identity = 'YES' OR COALESCE(c.column_default LIKE 'nextval(%', FALSE))
         FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
           AND c.is_generated = 'NEVER' AND c.table_name NOT IN ('_sqlx_migrations', 'schema_migrations')
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for (table, column, ty, identity) in cols {
        let kind = match ty.as_str() {
            "bigint" | "integer" | "smallint" => Kind::Int,
            "boolean" => Kind::Bool,
            "text" | "json" | "jsonb" | "character varying" => Kind::Text,
            "bytea" => Kind::Bytes,
            other => {
                return Err(StoreError::Other(format!(
                    "{table}.{column}: cannot copy a column of type {other}"
                )));
            }
        };
        plain(&table)?;
        plain(&column)?;
        let t = tables.entry(table.clone()).or_insert(Table { name: table, columns: vec![], identity: None });
        if identity {
            t.identity = Some(column.clone());
        }
        t.columns.push((column, kind));
    }
    Ok(tables.into_values().collect())
}

/// Drops the foreign keys and the secondary indexes (not those behind a
/// primary key or a unique constraint); answers the statements that make
/// them again, indexes first. In the copy's transaction: if anything
/// fails, they were never dropped.
async fn set_aside(tx: &mut sqlx::PgConnection) -> Result<Vec<String>> {
    let keys: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY 1, 2",
    )
    .fetch_all(&mut *tx)
    .await?;
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         WHERE c.relnamespace = current_schema()::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
         ORDER BY 1",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut afterwards = Vec::new();
    for (table, name, _) in &keys {
        let sql = format!("ALTER TABLE {} DROP CONSTRAINT {}", plain(table)?, plain(name)?);
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
    }
    for (name, definition) in indexes {
        let sql = format!("DROP INDEX {}", plain(&name)?);
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
        afterwards.push(definition);
    }
    for (table, name, definition) in keys {
        afterwards.push(format!("ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"));
    }
    Ok(afterwards)
}

/// Refuses a target that holds data or whose schema differs from the
/// source's: the same migrations applied, the same tables with the same
/// columns (but the search index, which each backend keeps its own way).
async fn check_same_schema(
    src: &mut sqlx::SqliteConnection,
    tx: &mut sqlx::PgConnection,
    tables: &[Table],
) -> Result<()> {
    let version = "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations";
    let from: i64 = sqlx::query_scalar(version).fetch_one(&mut *src).await?;
    let to: i64 = sqlx::query_scalar(version).fetch_one(&mut *tx).await?;
    if from != to {
        return Err(StoreError::Other(format!(
            "the SQLite database is at migration {from} and the PostgreSQL one at {to}: migrate both with this version first"
        )));
    }
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
           AND name NOT IN ('_sqlx_migrations', 'schema_migrations')",
    )
    .fetch_all(&mut *src)
    .await?;
    for name in &names {
        if !name.starts_with(SQLITE_ONLY) && !tables.iter().any(|t| &t.name == name) {
            return Err(StoreError::Other(format!(
                "the table {name} has no counterpart in the PostgreSQL schema"
            )));
        }
    }
    for t in tables {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", t.name);
        let held: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *tx).await?;
        if held {
            return Err(StoreError::Other(format!(
                "the PostgreSQL database holds data already (table {}): copy-to fills an empty one",
                t.name
            )));
        }
        if t.name == MADE {
            continue;
        }
        if !names.contains(&t.name) {
            return Err(StoreError::Other(format!(
                "the table {} is missing from the SQLite database",
                t.name
            )));
        }
        let sql = format!("SELECT name FROM pragma_table_info('{}')", t.name);
        let have: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *src).await?;
        if let Some((c, _)) = t.columns.iter().find(|(c, _)| !have.contains(c)) {
            return Err(StoreError::Other(format!(
                "the column {}.{c} is missing from the SQLite database",
                t.name
            )));
        }
    }
    Ok(())
}

/// Streams one table from SQLite into PostgreSQL; answers the rows copied.
async fn copy_table(src: &mut sqlx::SqliteConnection, tx: &mut sqlx::PgConnection, t: &Table) -> Result<u64> {
    let list = t.columns.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ");
    let select = format!("SELECT {list} FROM {}", t.name);
    let copy = format!("COPY {} ({list}) FROM STDIN", t.name);
    stream(src, tx, &copy, &select, |buf, row| {
        for (i, (_, kind)) in t.columns.iter().enumerate() {
            if i > 0 {
                buf.push(b'\t');
            }
            field(buf, row, i, *kind)?;
        }
        buf.push(b'\n');
        Ok(())
    })
    .await
}

/// Streams the rows of `select` on SQLite into the `copy` statement on
/// PostgreSQL, each row written by `write` in COPY's text format.
async fn stream(
    src: &mut sqlx::SqliteConnection,
    tx: &mut sqlx::PgConnection,
    copy: &str,
    select: &str,
    mut write: impl FnMut(&mut Vec<u8>, &sqlx::sqlite::SqliteRow) -> Result<()>,
) -> Result<u64> {
    let mut sink = tx.copy_in_raw(copy).await?;
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(select)).fetch(&mut *src);
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
    while let Some(row) = rows.try_next().await? {
        write(&mut buf, &row)?;
        if buf.len() >= CHUNK {
            sink.send(std::mem::take(&mut buf)).await?;
            buf.reserve(CHUNK + 4096);
        }
    }
    if !buf.is_empty() {
        sink.send(buf).await?;
    }
    Ok(sink.finish().await?)
}

/// One value in COPY's text format: `\N` for none, escaped text, bytes as
/// `\x` and hex, booleans as `t`/`f` (SQLite keeps them as 0 and 1).
fn field(buf: &mut Vec<u8>, row: &sqlx::sqlite::SqliteRow, i: usize, kind: Kind) -> Result<()> {
    if row.try_get_raw(i)?.is_null() {
        buf.extend_from_slice(b"\\N");
        return Ok(());
    }
    match kind {
        Kind::Int => buf.extend_from_slice(row.try_get_unchecked::<i64, _>(i)?.to_string().as_bytes()),
        Kind::Bool => buf.push(if row.try_get_unchecked::<i64, _>(i)? != 0 { b't' } else { b'f' }),
        Kind::Text => escape(buf, row.try_get_unchecked::<&str, _>(i)?),
        Kind::Bytes => {
            buf.extend_from_slice(b"\\\\x");
            buf.extend_from_slice(hex::encode(row.try_get_unchecked::<&[u8], _>(i)?).as_bytes());
        }
    }
    Ok(())
}

fn escape(buf: &mut Vec<u8>, text: &str) {
    for b in text.bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

/// PostgreSQL's search rows, one a bigram of each case's description, as
/// intake writes them (`Store::index_case_texts`).
async fn make_case_terms(src: &mut sqlx::SqliteConnection, tx: &mut sqlx::PgConnection) -> Result<u64> {
    let copy = "COPY case_terms (org_id, case_id, term) FROM STDIN";
    stream(src, tx, copy, "SELECT org_id, id, description FROM cases", |buf, row| {
        let (org_id, case_id): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        for term in bigrams(row.try_get::<&str, _>(2)?) {
            buf.extend_from_slice(format!("{org_id}\t{case_id}\t").as_bytes());
            escape(buf, &term);
            buf.push(b'\n');
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_copy() {
        let mut buf = Vec::new();
        escape(&mut buf, "a\tb\\c\nd\re");
        assert_eq!(buf, b"a\\tb\\\\c\\nd\\re");
    }
}
