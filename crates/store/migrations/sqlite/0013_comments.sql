-- Comments on articles, as a publication brings them from WordPress. A reply names its parent;
-- the text is plain and stored as written. Spam and trashed comments are never stored.
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES comments (id) ON DELETE SET NULL,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL DEFAULT '',
    author_url TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('approved', 'pending')),
    kind TEXT NOT NULL CHECK (kind IN ('comment', 'pingback')),
    created_at BIGINT NOT NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL
);
-- An article's comments in order; also an import's key (article, time, author).
CREATE INDEX comments_by_article ON comments (article_id, created_at, id);
-- The newsroom's list, newest first, all or by status.
CREATE INDEX comments_newest ON comments (created_at DESC, id DESC);
CREATE INDEX comments_by_status ON comments (status, created_at DESC, id DESC);
CREATE INDEX comments_by_parent ON comments (parent_id);

-- Whether article pages show their approved comments (off until an administrator turns it on).
ALTER TABLE site_settings ADD COLUMN show_comments INTEGER NOT NULL DEFAULT 0;
