-- no-transaction
-- The newsroom: accounts, sessions, failed sign-ins (for rate limiting), the article workflow,
-- revisions, corrections and the audit log.
--
-- SQLite cannot change a CHECK constraint in place: the articles table is rebuilt (the procedure
-- of https://www.sqlite.org/lang_altertable.html#otheralter), with foreign keys off so that
-- dropping the old table does not cascade to tags and bylines, all in one transaction.

PRAGMA foreign_keys = OFF;
BEGIN;

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

-- Uploaded images; their files (renditions) live under <data dir>/media/<key>/.
CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    media_key TEXT NOT NULL UNIQUE,
    ext TEXT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    renditions TEXT NOT NULL,
    alt TEXT NOT NULL,
    caption TEXT NOT NULL,
    credit TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX images_newest ON images (created_at DESC, id DESC);

CREATE TABLE articles_new (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    headline TEXT NOT NULL,
    standfirst TEXT NOT NULL,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    section_id INTEGER NOT NULL REFERENCES sections (id),
    source_agency TEXT,
    source_additional_inputs INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'scheduled', 'published', 'unpublished')),
    language TEXT NOT NULL,
    published_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL DEFAULT 0,
    live_revision BIGINT,
    created_by INTEGER REFERENCES users (id),
    scheduled_at BIGINT,
    featured_image INTEGER REFERENCES images (id)
);
INSERT INTO articles_new (id, slug, headline, standfirst, body, body_html, section_id, source_agency,
    source_additional_inputs, status, language, published_at, created_at, updated_at)
SELECT id, slug, headline, standfirst, body, body_html, section_id, source_agency,
    source_additional_inputs, status, language, published_at, created_at, updated_at FROM articles;
DROP TABLE articles;
ALTER TABLE articles_new RENAME TO articles;
CREATE INDEX articles_latest ON articles (published_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX articles_by_section ON articles (section_id, published_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX articles_newsroom ON articles (updated_at DESC, id DESC);
CREATE INDEX articles_due ON articles (scheduled_at) WHERE status = 'scheduled';

-- The working copy of each article: one row per save. articles.revision is the head (what the
-- next save must be based on); articles.live_revision is what the public page shows.
CREATE TABLE article_revisions (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    based_on BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('save', 'autosave', 'restore', 'conflict')),
    headline TEXT NOT NULL,
    standfirst TEXT NOT NULL,
    body TEXT NOT NULL,
    section TEXT NOT NULL,
    tags TEXT NOT NULL,
    authors TEXT NOT NULL,
    source_agency TEXT,
    source_additional_inputs INTEGER NOT NULL DEFAULT 0,
    language TEXT NOT NULL,
    saved_by INTEGER REFERENCES users (id),
    saved_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, number)
);

-- Dated correction and update notes shown on the public article.
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('correction', 'update')),
    note TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX corrections_by_article ON corrections (article_id, created_at);

-- Who did what to which article, and when.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    action TEXT NOT NULL,
    article_id INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_by_article ON audit_log (article_id, at DESC);

COMMIT;
PRAGMA foreign_keys = ON;
