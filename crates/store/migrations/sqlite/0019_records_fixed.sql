-- Records of what happened refuse being changed or deleted outside the
-- product's own transitions (issue 17): the columns that record a fact are
-- fixed once written (a case's text and reporter, a fact, the terms of a
-- ledger entry or fine, an appeal, an inspection with its items and
-- photos); only the columns that move a record through its states change,
-- through the product's statements; nothing is deleted. A correction is a
-- new record and a new event.
CREATE TRIGGER cases_fixed BEFORE UPDATE OF org_id, number, kind, channel, category, track, description, registered_at, reporter_id, phone_hash, tracking_digest, service_point_id, subject_staff_id, plate, routed_to ON cases
BEGIN SELECT RAISE(ABORT, 'cases is a record of what happened: never changed out of band'); END;
CREATE TRIGGER cases_kept BEFORE DELETE ON cases
BEGIN SELECT RAISE(ABORT, 'cases is a record of what happened: never deleted'); END;
CREATE TRIGGER reporters_fixed BEFORE UPDATE ON reporters
BEGIN SELECT RAISE(ABORT, 'reporters is a record of what happened: never changed out of band'); END;
CREATE TRIGGER reporters_kept BEFORE DELETE ON reporters
BEGIN SELECT RAISE(ABORT, 'reporters is a record of what happened: never deleted'); END;
CREATE TRIGGER facts_fixed BEFORE UPDATE OF org_id, kind, staff_id, unit_id, rule_code, severity, detail, occurred_at, note, case_id, inspection_id, recorded_by, recorded_at ON facts
BEGIN SELECT RAISE(ABORT, 'facts is a record of what happened: never changed out of band'); END;
CREATE TRIGGER facts_kept BEFORE DELETE ON facts
BEGIN SELECT RAISE(ABORT, 'facts is a record of what happened: never deleted'); END;
CREATE TRIGGER ledger_entries_fixed BEFORE UPDATE OF org_id, staff_id, unit_id, kind, choices, fine_min, fine_max, rule_code, codebook_code, period_key, explanation, fact_ids, detail, occurred_at, proposed_by, proposer_user_id, proposed_at, reverses_id, case_id, inspection_id ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is a record of what happened: never changed out of band'); END;
CREATE TRIGGER ledger_entries_kept BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is a record of what happened: never deleted'); END;
CREATE TRIGGER fines_fixed BEFORE UPDATE OF org_id, entry_id, staff_id, unit_id, amount, due_since ON fines
BEGIN SELECT RAISE(ABORT, 'fines is a record of what happened: never changed out of band'); END;
CREATE TRIGGER fines_kept BEFORE DELETE ON fines
BEGIN SELECT RAISE(ABORT, 'fines is a record of what happened: never deleted'); END;
CREATE TRIGGER appeals_fixed BEFORE UPDATE OF org_id, entry_id, user_id, reason, filed_at ON appeals
BEGIN SELECT RAISE(ABORT, 'appeals is a record of what happened: never changed out of band'); END;
CREATE TRIGGER appeals_kept BEFORE DELETE ON appeals
BEGIN SELECT RAISE(ABORT, 'appeals is a record of what happened: never deleted'); END;
CREATE TRIGGER inspections_fixed BEFORE UPDATE ON inspections
BEGIN SELECT RAISE(ABORT, 'inspections is a record of what happened: never changed out of band'); END;
CREATE TRIGGER inspections_kept BEFORE DELETE ON inspections
BEGIN SELECT RAISE(ABORT, 'inspections is a record of what happened: never deleted'); END;
CREATE TRIGGER inspection_items_fixed BEFORE UPDATE ON inspection_items
BEGIN SELECT RAISE(ABORT, 'inspection_items is a record of what happened: never changed out of band'); END;
CREATE TRIGGER inspection_items_kept BEFORE DELETE ON inspection_items
BEGIN SELECT RAISE(ABORT, 'inspection_items is a record of what happened: never deleted'); END;
CREATE TRIGGER inspection_photos_fixed BEFORE UPDATE ON inspection_photos
BEGIN SELECT RAISE(ABORT, 'inspection_photos is a record of what happened: never changed out of band'); END;
CREATE TRIGGER inspection_photos_kept BEFORE DELETE ON inspection_photos
BEGIN SELECT RAISE(ABORT, 'inspection_photos is a record of what happened: never deleted'); END;
