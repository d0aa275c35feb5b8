//! The search index of case texts (SPEC CASE-11 console): character
//! bigrams, so that Chinese is found without a word segmenter and
//! two-character terms (绕道, 态度) are whole search terms.
//!
//! SQLite keeps them in an FTS5 index (`case_search`, migration 0012): a
//! case is one document whose tokens are its bigrams, hex-encoded so that
//! every character pair is exactly one ASCII token; a transaction's terms
//! are written as one segment at commit instead of twenty B-tree inserts a
//! case. PostgreSQL keeps one `case_terms` row per bigram.

use chuangkou_domain::OrgId;
use chuangkou_domain::cases::similar::bigrams;

use crate::{Backend, Result, Store, Tx, on_tx};

/// Rows per multi-row statement.
const ROWS: usize = 125;

/// A bigram as one FTS5 token: the hex of its UTF-8 bytes.
fn token(term: &str) -> String {
    hex::encode(term)
}

/// A case text as an FTS5 document: its bigram tokens.
fn document(text: &str) -> String {
    bigrams(text).iter().map(|t| token(t)).collect::<Vec<_>>().join(" ")
}

/// How a search for `q` (two or more meaningful characters) is asked of
/// the index.
pub(crate) struct TermQuery {
    /// Values to bind, in order, for the placeholders of the clause.
    pub values: Vec<String>,
}

impl TermQuery {
    pub fn new(backend: Backend, q: &str) -> TermQuery {
        let terms = bigrams(q);
        let values = match backend {
            // Every token must be present: FTS5 ANDs juxtaposed strings.
            Backend::Sqlite => {
                vec![terms.iter().map(|t| format!("\"{}\"", token(t))).collect::<Vec<_>>().join(" ")]
            }
            Backend::Postgres => terms.into_iter().collect(),
        };
        TermQuery { values }
    }

    /// The condition on `k.id` given the placeholders of `values`.
    pub fn clause(&self, backend: Backend, placeholders: &[String]) -> String {
        match backend {
            Backend::Sqlite => {
                format!("k.id IN (SELECT rowid FROM case_search WHERE case_search MATCH {})", placeholders[0])
            }
            Backend::Postgres => format!(
                "k.id IN (SELECT case_id FROM case_terms WHERE org_id = $1 AND term IN ({}) GROUP BY case_id HAVING COUNT(*) = {})",
                placeholders.join(", "),
                placeholders.len()
            ),
        }
    }
}

impl TermQuery {
    /// The condition when the text index drives the query (aliased `s` on
    /// SQLite, `t` on PostgreSQL, as [`Store::cases`] joins it): the first
    /// term's rows, newest first, each checked for the other terms.
    pub fn driving_clause(&self, backend: Backend, placeholders: &[String]) -> String {
        match backend {
            Backend::Sqlite => format!("case_search MATCH {}", placeholders[0]),
            Backend::Postgres => {
                let mut clause = format!("t.org_id = $1 AND t.term = {}", placeholders[0]);
                for p in &placeholders[1..] {
                    clause.push_str(&format!(
                        " AND EXISTS (SELECT 1 FROM case_terms u WHERE u.org_id = $1 AND u.term = {p} AND u.case_id = t.case_id)"
                    ));
                }
                clause
            }
        }
    }
}

impl Store {
    /// Indexes new cases' texts, in the registering transaction.
    pub(crate) async fn index_case_texts(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        docs: &[(chuangkou_domain::CaseId, &str)],
    ) -> Result<()> {
        // One row a case (its document) on SQLite, one a bigram on PostgreSQL;
        // the organisation's id is an integer, spliced into the row as text.
        let (rows, into, org): (Vec<(chuangkou_domain::CaseId, String)>, _, _) = match self.backend() {
            Backend::Sqlite => (
                docs.iter().map(|(id, text)| (*id, document(text))).collect(),
                "case_search (rowid, terms)",
                None,
            ),
            Backend::Postgres => (
                docs.iter().flat_map(|(id, text)| bigrams(text).into_iter().map(move |t| (*id, t))).collect(),
                // A new case's distinct bigrams: no row can exist already.
                "case_terms (org_id, case_id, term)",
                Some(org_id.to_string()),
            ),
        };
        for chunk in crate::few_shapes(&rows, ROWS) {
            on_tx!(tx, c => {
                let mut q = crate::insert_values(into, chunk, |mut b, (id, text)| {
                    if let Some(org) = &org {
                        b.push(org);
                    }
                    b.push_bind(*id).push_bind(text);
                }, "");
                q.build().execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_document_is_its_bigrams_one_ascii_token_each() {
        assert_eq!(super::token("绕道"), "e7bb95e98193");
        let doc = super::document("司机绕道");
        let tokens: Vec<&str> = doc.split(' ').collect();
        assert_eq!(tokens.len(), 3, "司机, 机绕, 绕道");
        assert!(tokens.contains(&"e7bb95e98193"));
        assert!(tokens.iter().all(|t| t.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}
