-- A group-commit batch keeps its answers, encrypted, in its own
-- transaction (issue 17): when the connection dies around COMMIT and the
-- outcome is unknown, the queue looks the batch up by its token and answers
-- from what is stored instead of writing it twice or answering "try again"
-- for a write that committed. Kept for minutes, then forgotten.
CREATE TABLE committed_batches (
    token    TEXT PRIMARY KEY,
    answers  BYTEA NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX committed_batches_at ON committed_batches (at);
