-- Which wire item versions an article was built on, in the order they were attached.
CREATE TABLE article_sources (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version_id INTEGER NOT NULL REFERENCES wire_versions (id),
    position INTEGER NOT NULL,
    attached_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, version_id)
);
CREATE INDEX article_sources_by_version ON article_sources (version_id);

-- What the newsroom must hear of a wire item an article was built on: a new version, a
-- correction, a withheld or killed item, or a take-down done. Open until someone resolves it.
CREATE TABLE wire_alerts (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version_id INTEGER NOT NULL REFERENCES wire_versions (id),
    kind TEXT NOT NULL CHECK (kind IN ('updated', 'corrected', 'withheld', 'killed', 'taken-down')),
    raised_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by INTEGER REFERENCES users (id),
    UNIQUE (article_id, version_id, kind)
);
CREATE INDEX wire_alerts_open ON wire_alerts (raised_at DESC) WHERE resolved_at IS NULL;
CREATE INDEX wire_alerts_by_article ON wire_alerts (article_id);
