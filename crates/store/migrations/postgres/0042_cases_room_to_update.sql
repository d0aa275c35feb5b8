-- A case row is updated many times in its life, and the sweep updates
-- thousands at once (escalations, overdue marks). With every page full, each
-- update writes a new row version elsewhere and a new entry in every one of
-- the table's indexes (about twenty). A fifth of each page left free lets
-- an update that changes no indexed column (an escalation, a reply) stay on
-- its page with no index written (a HOT update). Pages written from now on
-- keep the room; older pages get it as they are rewritten.
ALTER TABLE cases SET (fillfactor = 80);
