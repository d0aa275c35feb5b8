-- Training attendance, exam results and certificates decide people's pay
-- and their ledger: their rows are sealed into the event chain like the
-- ledger's (migration 0020), queued by the database as they are written.
CREATE TRIGGER training_attendance_queue_seal AFTER INSERT ON training_attendance
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'training_attendance', NEW.id); END;
CREATE TRIGGER exam_results_queue_seal AFTER INSERT ON exam_results
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'exam_results', NEW.id); END;
CREATE TRIGGER certificates_queue_seal AFTER INSERT ON certificates
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'certificates', NEW.id); END;
INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'training_attendance', id FROM training_attendance;
INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'exam_results', id FROM exam_results;
INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'certificates', id FROM certificates;
