-- A transcript is stored as a base plus the pieces appended by later turns, so a
-- commit writes the turn's new bytes instead of the whole (growing) file. size and
-- sha256 describe base + chunks; rows from before start with size 0, which makes
-- their next commit write them whole.
ALTER TABLE cli_transcripts ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cli_transcripts ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE cli_transcripts ADD COLUMN chunks BIGINT NOT NULL DEFAULT 0;
CREATE TABLE cli_transcript_chunks (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    data            BYTEA NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
