-- Training attendance, exam results and certificates decide people's pay
-- and their ledger: their rows are sealed into the event chain like the
-- ledger's (migration 0020), queued by the database as they are written.
CREATE TRIGGER training_attendance_queue_seal AFTER INSERT ON training_attendance
    FOR EACH ROW EXECUTE FUNCTION queue_seal();
CREATE TRIGGER exam_results_queue_seal AFTER INSERT ON exam_results
    FOR EACH ROW EXECUTE FUNCTION queue_seal();
CREATE TRIGGER certificates_queue_seal AFTER INSERT ON certificates
    FOR EACH ROW EXECUTE FUNCTION queue_seal();
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'training_attendance', id FROM training_attendance ON CONFLICT DO NOTHING;
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'exam_results', id FROM exam_results ON CONFLICT DO NOTHING;
INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, 'certificates', id FROM certificates ON CONFLICT DO NOTHING;
