-- The newsroom: accounts, signed-in sessions and failed sign-ins (for rate limiting).

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('contributor', 'author', 'editor', 'admin')),
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The token is only in the browser's cookie; we keep its SHA-256.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- scope is 'account:<email>' or 'address:<ip>'.
CREATE TABLE sign_in_failures (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_scope ON sign_in_failures (scope, at);
