-- Records of what happened refuse being changed or deleted outside the
-- product's own transitions (issue 17): the columns that record a fact are
-- fixed once written (a case's text and reporter, a fact, the terms of a
-- ledger entry or fine, an appeal, an inspection with its items and
-- photos); only the columns that move a record through its states change,
-- through the product's statements; nothing is deleted. A correction is a
-- new record and a new event.
CREATE FUNCTION records_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% is a record of what happened: never changed or deleted out of band', TG_TABLE_NAME; END $$;
CREATE TRIGGER cases_fixed BEFORE UPDATE OF org_id, number, kind, channel, category, track, description, registered_at, reporter_id, phone_hash, tracking_digest, service_point_id, subject_staff_id, plate, routed_to ON cases
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER cases_kept BEFORE DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER cases_not_truncated BEFORE TRUNCATE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER reporters_fixed BEFORE UPDATE ON reporters
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER reporters_kept BEFORE DELETE ON reporters
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER reporters_not_truncated BEFORE TRUNCATE ON reporters
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER facts_fixed BEFORE UPDATE OF org_id, kind, staff_id, unit_id, rule_code, severity, detail, occurred_at, note, case_id, inspection_id, recorded_by, recorded_at ON facts
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER facts_kept BEFORE DELETE ON facts
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER facts_not_truncated BEFORE TRUNCATE ON facts
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER ledger_entries_fixed BEFORE UPDATE OF org_id, staff_id, unit_id, kind, choices, fine_min, fine_max, rule_code, codebook_code, period_key, explanation, fact_ids, detail, occurred_at, proposed_by, proposer_user_id, proposed_at, reverses_id, case_id, inspection_id ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER ledger_entries_kept BEFORE DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER ledger_entries_not_truncated BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER fines_fixed BEFORE UPDATE OF org_id, entry_id, staff_id, unit_id, amount, due_since ON fines
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER fines_kept BEFORE DELETE ON fines
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER fines_not_truncated BEFORE TRUNCATE ON fines
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER appeals_fixed BEFORE UPDATE OF org_id, entry_id, user_id, reason, filed_at ON appeals
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER appeals_kept BEFORE DELETE ON appeals
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER appeals_not_truncated BEFORE TRUNCATE ON appeals
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER inspections_fixed BEFORE UPDATE ON inspections
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER inspections_kept BEFORE DELETE ON inspections
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER inspections_not_truncated BEFORE TRUNCATE ON inspections
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER inspection_items_fixed BEFORE UPDATE ON inspection_items
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER inspection_items_kept BEFORE DELETE ON inspection_items
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER inspection_items_not_truncated BEFORE TRUNCATE ON inspection_items
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER inspection_photos_fixed BEFORE UPDATE ON inspection_photos
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER inspection_photos_kept BEFORE DELETE ON inspection_photos
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER inspection_photos_not_truncated BEFORE TRUNCATE ON inspection_photos
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
