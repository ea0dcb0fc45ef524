-- The wire desk: providers, the payloads they sent (kept verbatim), and their items with every
-- version. See dateline_domain::wire for the rules (identity, version order).

CREATE TABLE wire_providers (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    attribution TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('files', 'rss', 'ninjs', 'newsml-g2')),
    url TEXT,
    language TEXT NOT NULL,
    poll_interval_secs INTEGER NOT NULL,
    kill_policy TEXT NOT NULL CHECK (kill_policy IN ('take-down', 'alert')),
    credentials TEXT,
    paused INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    -- Polling: the conditional-GET validators of the last answer, and how polling is going.
    etag TEXT,
    last_modified TEXT,
    last_poll_at BIGINT,
    last_success_at BIGINT,
    last_error TEXT,
    last_error_at BIGINT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at BIGINT
);

CREATE TABLE wire_payloads (
    id INTEGER PRIMARY KEY,
    provider_id INTEGER NOT NULL REFERENCES wire_providers (id) ON DELETE CASCADE,
    origin TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    bytes BLOB NOT NULL,
    received_at BIGINT NOT NULL,
    format TEXT,
    error TEXT,
    stored_versions INTEGER NOT NULL DEFAULT 0,
    UNIQUE (provider_id, sha256)
);
CREATE INDEX wire_payloads_newest ON wire_payloads (provider_id, received_at DESC, id DESC);

-- One row per agency item; the columns after item_id describe its current version.
CREATE TABLE wire_items (
    id INTEGER PRIMARY KEY,
    provider_id INTEGER NOT NULL REFERENCES wire_providers (id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    current_version_id INTEGER,
    order_number BIGINT,
    order_created BIGINT,
    order_key TEXT NOT NULL DEFAULT '',
    sort_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    language TEXT NOT NULL,
    headline TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    embargoed_until BIGINT,
    expires BIGINT,
    versions INTEGER NOT NULL DEFAULT 0,
    corrected INTEGER NOT NULL DEFAULT 0,
    UNIQUE (provider_id, item_id)
);
CREATE INDEX wire_items_newest ON wire_items (sort_at DESC, id DESC);
CREATE INDEX wire_items_by_text ON wire_items (text_hash);

CREATE TABLE wire_versions (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES wire_items (id) ON DELETE CASCADE,
    version_key TEXT NOT NULL,
    version_label TEXT,
    order_number BIGINT,
    order_created BIGINT,
    payload_id INTEGER REFERENCES wire_payloads (id) ON DELETE SET NULL,
    received_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    signal TEXT NOT NULL,
    version_created BIGINT,
    first_created BIGINT,
    embargoed_until BIGINT,
    expires BIGINT,
    language TEXT NOT NULL,
    headline TEXT NOT NULL,
    standfirst TEXT NOT NULL,
    body_html TEXT NOT NULL,
    dateline TEXT,
    byline TEXT,
    link TEXT,
    keywords TEXT NOT NULL,
    urgency INTEGER,
    UNIQUE (item_id, version_key)
);
