-- The hash of each conversation's history as an OpenAI- or Anthropic-compatible
-- client sees it, so a request that resends that history finds its conversation
-- with one indexed lookup.
CREATE TABLE conversation_history_hashes (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    api_key_id      TEXT NOT NULL,
    hash            TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversation_history_hashes_key_hash ON conversation_history_hashes (api_key_id, hash);
