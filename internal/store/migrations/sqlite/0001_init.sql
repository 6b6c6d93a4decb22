-- ccgateway schema for SQLite. Times are INTEGER microseconds since the Unix
-- epoch (UTC); booleans are 0/1; JSON documents are TEXT.

CREATE TABLE admins (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    prefix                  TEXT NOT NULL DEFAULT '',
    hash                    TEXT NOT NULL UNIQUE,
    status                  TEXT NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    expires_at              INTEGER,
    last_used_at            INTEGER,
    usage_limit             TEXT NOT NULL DEFAULT '{}',
    permissions             TEXT NOT NULL DEFAULT '{}',
    meta_user_id            TEXT NOT NULL DEFAULT '',
    meta_project            TEXT NOT NULL DEFAULT '',
    meta_description        TEXT NOT NULL DEFAULT '',
    max_concurrent_requests INTEGER NOT NULL DEFAULT 0,
    cost_usd_per_day        REAL NOT NULL DEFAULT 0,
    allowed_ips             TEXT NOT NULL DEFAULT '[]',
    require_signature       BOOLEAN NOT NULL DEFAULT 0,
    signing_secret          TEXT NOT NULL DEFAULT '',
    tools                   TEXT NOT NULL DEFAULT '[]',
    prev_hash               TEXT,
    prev_hash_expires_at    INTEGER
);
CREATE INDEX api_keys_prev_hash ON api_keys (prev_hash) WHERE prev_hash IS NOT NULL;
CREATE INDEX api_keys_created_at ON api_keys (created_at);

CREATE TABLE conversations (
    id            TEXT PRIMARY KEY,
    api_key_id    TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    model         TEXT NOT NULL DEFAULT '',
    system_prompt TEXT NOT NULL DEFAULT '',
    title         TEXT NOT NULL DEFAULT '',
    metadata      TEXT NOT NULL DEFAULT '{}',
    session_id    TEXT NOT NULL DEFAULT '',
    max_tokens    INTEGER NOT NULL DEFAULT 0,
    temperature   REAL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX conversations_key_updated ON conversations (api_key_id, updated_at);
CREATE INDEX conversations_updated ON conversations (updated_at);

CREATE TABLE messages (
    id                          TEXT PRIMARY KEY,
    conversation_id             TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq                         INTEGER NOT NULL,
    role                        TEXT NOT NULL,
    content                     TEXT NOT NULL DEFAULT '',
    model                       TEXT NOT NULL DEFAULT '',
    input_tokens                INTEGER NOT NULL DEFAULT 0,
    output_tokens               INTEGER NOT NULL DEFAULT 0,
    cache_read_input_tokens     INTEGER NOT NULL DEFAULT 0,
    cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd                    REAL NOT NULL DEFAULT 0,
    duration_ms                 INTEGER NOT NULL DEFAULT 0,
    stop_reason                 TEXT NOT NULL DEFAULT '',
    created_at                  INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
);

CREATE TABLE cli_transcripts (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL,
    data            BLOB NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE usage_events (
    id                          INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key_id                  TEXT NOT NULL,
    ts                          INTEGER NOT NULL,
    endpoint                    TEXT NOT NULL DEFAULT '',
    method                      TEXT NOT NULL DEFAULT '',
    request_tokens              INTEGER NOT NULL DEFAULT 0,
    response_tokens             INTEGER NOT NULL DEFAULT 0,
    total_tokens                INTEGER NOT NULL DEFAULT 0,
    cache_read_input_tokens     INTEGER NOT NULL DEFAULT 0,
    cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd                    REAL NOT NULL DEFAULT 0,
    response_time_ms            INTEGER NOT NULL DEFAULT 0,
    ttft_ms                     INTEGER NOT NULL DEFAULT 0,
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
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          INTEGER NOT NULL,
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
    version    INTEGER NOT NULL,
    wasm       BLOB NOT NULL,
    sha256     TEXT NOT NULL,
    config     TEXT NOT NULL DEFAULT '',
    tests      TEXT NOT NULL DEFAULT '',
    active     BOOLEAN NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (name, version)
);
CREATE UNIQUE INDEX policies_one_active ON policies (name) WHERE active;

CREATE TABLE conversation_leases (
    conversation_id TEXT PRIMARY KEY,
    owner           TEXT NOT NULL,
    token           INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
