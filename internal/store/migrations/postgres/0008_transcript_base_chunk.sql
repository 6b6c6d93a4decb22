-- A transcript's base moves out of the cli_transcripts row into its chunk 0, so
-- the row an append updates (size, sha256, chunks) no longer holds the blob (the
-- same layout as SQLite's, where the row was rewritten whole on every update).
INSERT INTO cli_transcript_chunks (conversation_id, seq, data)
    SELECT conversation_id, 0, data FROM cli_transcripts;
ALTER TABLE cli_transcripts DROP COLUMN data;
