-- Case search moves from a bigram table to an FTS5 index. Each case had one
-- row per character bigram in `case_terms` (about twenty a complaint), every
-- one a B-tree insert at its own place in the index: at intake this was
-- 40 % of the writer's time. FTS5 buffers a transaction's terms and writes
-- them as one segment at commit. The document of a case is its bigrams,
-- each hex-encoded so that any character pair is exactly one ASCII token;
-- the rowid is the case id; nothing else is stored (contentless).
CREATE VIRTUAL TABLE case_search USING fts5(terms, content = '', columnsize = 0, detail = none, tokenize = 'ascii');
INSERT INTO case_search (rowid, terms)
    SELECT case_id, group_concat(lower(hex(term)), ' ') FROM case_terms GROUP BY case_id;
DROP TABLE case_terms;
