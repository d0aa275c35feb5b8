//! Helpers for the statements the store writes once for both backends:
//! multi-row inserts in few shapes, numbered parameters, `IN` lists.

use sqlx::QueryBuilder;
use sqlx::query_builder::Separated;

use crate::Backend;

/// Splits `items` into slices for multi-row statements: as many of `max`
/// as fit, then the rest in at most two: a multiple of eight and fewer than
/// eight. A statement's text depends on its row count, and every distinct
/// text is prepared and cached apart; this keeps a busy writer to a few
/// dozen shapes instead of one per batch size, so its statements stay
/// prepared — and a batch to two or three statements a table, each a
/// round trip to the connection's thread. (Falling powers of two, as
/// before, made a batch of 31 five statements a table.)
pub(crate) fn few_shapes<T>(items: &[T], max: usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while rest.len() >= max {
        let (a, b) = rest.split_at(max);
        out.push(a);
        rest = b;
    }
    let eights = rest.len() / 8 * 8;
    for size in [eights, rest.len() - eights] {
        if size > 0 {
            let (a, b) = rest.split_at(size);
            out.push(a);
            rest = b;
        }
    }
    out
}

/// Numbers the parameters of a statement written with `#` for each one,
/// bound in order: `?` on SQLite, `$1, $2, …` on PostgreSQL. For the
/// multi-row statements of the write path: SQLite finds a numbered `$N`
/// parameter by scanning a list of names, so binding a statement of a few
/// hundred `$N` costs quadratically (8–9 % of the writer's time at intake);
/// anonymous `?` are bound by position. A statement written this way binds
/// a value per `#`, even when rows repeat one (the organisation's id).
pub(crate) fn numbered(backend: Backend, sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + sql.len() / 4);
    for (n, part) in sql.split('#').enumerate() {
        if n > 0 {
            match backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => {
                    out.push('$');
                    out.push_str(&n.to_string());
                }
            }
        }
        out.push_str(part);
    }
    out
}

/// `rows` copies of a row template such as `"(#, #)"`, comma-separated:
/// an `IN (…)` list of parameters in a statement written with `#`.
pub(crate) fn row_list(template: &str, rows: usize) -> String {
    vec![template; rows].join(", ")
}

/// A multi-row insert built by sqlx's `QueryBuilder`: `INSERT INTO {into}
/// VALUES`, one `(…)` per item as `row` writes it (`push_bind` for a value,
/// `push` for a constant), then `then` (`RETURNING …`, `ON CONFLICT …`).
/// The builder writes `?` on SQLite and `$N` on PostgreSQL, as [`numbered`]
/// does. Give it one of [`few_shapes`]' slices, so that the statement's
/// text takes one of a few shapes.
pub(crate) fn insert_values<DB, I>(
    into: &str,
    items: I,
    row: impl FnMut(Separated<'_, DB, &'static str>, I::Item),
    then: &str,
) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    DB::Arguments: Default,
    I: IntoIterator,
{
    let mut q = QueryBuilder::new(format!("INSERT INTO {into} "));
    q.push_values(items, row);
    q.push(" ").push(then);
    q
}

/// Ids for an SQL `IN (…)` list; `0` (which matches nothing) when empty.
/// Ids are integers (`i64`, or an id type that converts to one, never
/// text), so the text is safe to splice into a statement.
pub(crate) fn id_list<T: Copy + Into<i64>>(ids: &[T]) -> String {
    if ids.is_empty() {
        return "0".into();
    }
    ids.iter().map(|&i| Into::<i64>::into(i).to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn few_shapes_uses_full_chunks_then_eights_then_the_rest() {
        let v: Vec<u32> = (0..45).collect();
        let sizes: Vec<usize> = super::few_shapes(&v, 16).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [16, 16, 8, 5]);
        let sizes: Vec<usize> = super::few_shapes(&v[..7], 12).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [7]);
        let sizes: Vec<usize> = super::few_shapes(&v[..31], 64).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [24, 7]);
        assert!(super::few_shapes(&v[..0], 8).is_empty());
    }

    #[test]
    fn numbered_parameters_by_backend() {
        use super::{Backend, numbered, row_list};
        let sql = format!("INSERT INTO t (a, b, c) VALUES {}", row_list("(#, 'x', #)", 2));
        assert_eq!(
            numbered(Backend::Sqlite, &sql),
            "INSERT INTO t (a, b, c) VALUES (?, 'x', ?), (?, 'x', ?)"
        );
        assert_eq!(
            numbered(Backend::Postgres, &sql),
            "INSERT INTO t (a, b, c) VALUES ($1, 'x', $2), ($3, 'x', $4)"
        );
        assert_eq!(numbered(Backend::Postgres, "SELECT 1"), "SELECT 1");
    }

    #[test]
    fn a_multi_row_insert_is_numbered_as_each_backend_numbers_parameters() {
        let rows = [(1_i64, "a"), (2, "b")];
        let q = super::insert_values::<sqlx::Sqlite, _>(
            "t (a, b, c)",
            rows,
            |mut b, (n, s)| {
                b.push_bind(n).push("'x'").push_bind(s.to_string());
            },
            "RETURNING id",
        );
        assert_eq!(q.sql().as_str(), "INSERT INTO t (a, b, c) VALUES (?, 'x', ?), (?, 'x', ?) RETURNING id");
        let q = super::insert_values::<sqlx::Postgres, _>(
            "t (a, b, c)",
            rows,
            |mut b, (n, s)| {
                b.push_bind(n).push("'x'").push_bind(s.to_string());
            },
            "",
        );
        assert_eq!(q.sql().as_str(), "INSERT INTO t (a, b, c) VALUES ($1, 'x', $2), ($3, 'x', $4) ");
    }
}
