-- ccgateway schema for PostgreSQL. Times are TIMESTAMPTZ; JSON documents that
-- the store always writes are JSONB; policy config and tests are TEXT as given.

CREATE TABLE admins (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    prefix                  TEXT NOT NULL DEFAULT '',
    hash                    TEXT NOT NULL UNIQUE,
    status                  TEXT NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL,
    expires_at              TIMESTAMPTZ,
    last_used_at            TIMESTAMPTZ,
    usage_limit             JSONB NOT NULL DEFAULT '{}',
    permissions             JSONB NOT NULL DEFAULT '{}',
    meta_user_id            TEXT NOT NULL DEFAULT '',
    meta_project            TEXT NOT NULL DEFAULT '',
    meta_description        TEXT NOT NULL DEFAULT '',
    max_concurrent_requests BIGINT NOT NULL DEFAULT 0,
    cost_usd_per_day        DOUBLE PRECISION NOT NULL DEFAULT 0,
    allowed_ips             JSONB NOT NULL DEFAULT '[]',
    require_signature       BOOLEAN NOT NULL DEFAULT FALSE,
    signing_secret          TEXT NOT NULL DEFAULT '',
    tools                   JSONB NOT NULL DEFAULT '[]',
    prev_hash               TEXT,
    prev_hash_expires_at    TIMESTAMPTZ
);
CREATE INDEX api_keys_prev_hash ON api_keys (prev_hash) WHERE prev_hash IS NOT NULL;
CREATE INDEX api_keys_created_at ON api_keys (created_at);

CREATE TABLE conversations (
    id            TEXT PRIMARY KEY,
    api_key_id    TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    model         TEXT NOT NULL DEFAULT '',
    system_prompt TEXT NOT NULL DEFAULT '',
    title         TEXT NOT NULL DEFAULT '',
    metadata      JSONB NOT NULL DEFAULT '{}',
    session_id    TEXT NOT NULL DEFAULT '',
    max_tokens    BIGINT NOT NULL DEFAULT 0,
    temperature   DOUBLE PRECISION,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversations_key_updated ON conversations (api_key_id, updated_at);
CREATE INDEX conversations_updated ON conversations (updated_at);

CREATE TABLE messages (
    id                          TEXT PRIMARY KEY,
    conversation_id             TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq                         BIGINT NOT NULL,
    role                        TEXT NOT NULL,
    content                     TEXT NOT NULL DEFAULT '',
    model                       TEXT NOT NULL DEFAULT '',
    input_tokens                BIGINT NOT NULL DEFAULT 0,
    output_tokens               BIGINT NOT NULL DEFAULT 0,
    cache_read_input_tokens     BIGINT NOT NULL DEFAULT 0,
    cache_creation_input_tokens BIGINT NOT NULL DEFAULT 0,
    cost_usd                    DOUBLE PRECISION NOT NULL DEFAULT 0,
    duration_ms                 BIGINT NOT NULL DEFAULT 0,
    stop_reason                 TEXT NOT NULL DEFAULT '',
    created_at                  TIMESTAMPTZ NOT NULL,
    UNIQUE (conversation_id, seq)
);

CREATE TABLE cli_transcripts (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL,
    data            BYTEA NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE usage_events (
    id                          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    api_key_id                  TEXT NOT NULL,
    ts                          TIMESTAMPTZ NOT NULL,
    endpoint                    TEXT NOT NULL DEFAULT '',
    method                      TEXT NOT NULL DEFAULT '',
    request_tokens              BIGINT NOT NULL DEFAULT 0,
    response_tokens             BIGINT NOT NULL DEFAULT 0,
    total_tokens                BIGINT NOT NULL DEFAULT 0,
    cache_read_input_tokens     BIGINT NOT NULL DEFAULT 0,
    cache_creation_input_tokens BIGINT NOT NULL DEFAULT 0,
    cost_usd                    DOUBLE PRECISION NOT NULL DEFAULT 0,
    response_time_ms            BIGINT NOT NULL DEFAULT 0,
    ttft_ms                     BIGINT NOT NULL DEFAULT 0,
    status_code                 INTEGER NOT NULL DEFAULT 0,
    model                       TEXT NOT NULL DEFAULT '',
    error                       TEXT NOT NULL DEFAULT '',
    conversation_id             TEXT NOT NULL DEFAULT '',
    request_id                  TEXT NOT NULL DEFAULT '',
    node                        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX usage_events_key_ts ON usage_events (api_key_id, ts);
CREATE INDEX usage_events_ts ON usage_events (ts);

CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL DEFAULT '',
    target      TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    before_json TEXT NOT NULL DEFAULT '',
    after_json  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_ts ON audit_log (ts);

CREATE TABLE policies (
    name       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    wasm       BYTEA NOT NULL,
    sha256     TEXT NOT NULL,
    config     TEXT NOT NULL DEFAULT '',
    tests      TEXT NOT NULL DEFAULT '',
    active     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (name, version)
);
CREATE UNIQUE INDEX policies_one_active ON policies (name) WHERE active;

CREATE TABLE conversation_leases (
    conversation_id TEXT PRIMARY KEY,
    owner           TEXT NOT NULL,
    token           BIGINT NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
