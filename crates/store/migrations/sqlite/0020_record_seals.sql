-- Rows of record are sealed into the event chain (issue 17): a
-- `records.sealed` event lists a digest of each row as it now stands, and
-- `verify` recomputes every row's digest and names the first that differs
-- from its latest seal. `unsealed` is the queue of rows still waiting for a
-- seal: the database itself queues every new row (these triggers), and the
-- product's own statements queue the rows they change, in the same
-- transaction. A change made out of band is queued by nobody, so the row
-- no longer matches its seal. Rows already here are queued now.
CREATE TABLE unsealed (
    org_id  INTEGER NOT NULL,
    tbl     TEXT NOT NULL,
    row_id  INTEGER NOT NULL,
    PRIMARY KEY (org_id, tbl, row_id)
) WITHOUT ROWID;
CREATE TRIGGER cases_queue_seal AFTER INSERT ON cases
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'cases', NEW.id); END;
CREATE TRIGGER reporters_queue_seal AFTER INSERT ON reporters
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'reporters', NEW.id); END;
CREATE TRIGGER facts_queue_seal AFTER INSERT ON facts
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'facts', NEW.id); END;
CREATE TRIGGER ledger_entries_queue_seal AFTER INSERT ON ledger_entries
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'ledger_entries', NEW.id); END;
CREATE TRIGGER fines_queue_seal AFTER INSERT ON fines
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'fines', NEW.id); END;
CREATE TRIGGER appeals_queue_seal AFTER INSERT ON appeals
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'appeals', NEW.id); END;
CREATE TRIGGER inspections_queue_seal AFTER INSERT ON inspections
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'inspections', NEW.id); END;
CREATE TRIGGER inspection_items_queue_seal AFTER INSERT ON inspection_items
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'inspection_items', NEW.id); END;
CREATE TRIGGER inspection_photos_queue_seal AFTER INSERT ON inspection_photos
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'inspection_photos', NEW.id); END;
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'cases', id FROM cases;
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'reporters', id FROM reporters;
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'facts', id FROM facts;
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'ledger_entries', id FROM ledger_entries;
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'fines', id FROM fines;
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'appeals', id FROM appeals;
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'inspections', id FROM inspections;
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'inspection_items', id FROM inspection_items;
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'inspection_photos', id FROM inspection_photos;
