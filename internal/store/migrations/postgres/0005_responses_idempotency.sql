-- Responses API objects (POST /v1/responses) as they were returned, so GET can
-- return them again and previous_response_id finds the conversation to continue.
-- message_seq is the assistant message the response ended with.
CREATE TABLE responses (
    id              TEXT PRIMARY KEY,
    api_key_id      TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_seq     BIGINT NOT NULL,
    body            BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX responses_conversation ON responses (conversation_id);

-- Idempotency-Key records of POST creates: the first answer to (scope, operation,
-- key) is kept for 24 h, with a hash of the request it answered. status is 0
-- while the first request is still running.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    operation    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    header       TEXT NOT NULL DEFAULT '{}',
    body         BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, operation, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
