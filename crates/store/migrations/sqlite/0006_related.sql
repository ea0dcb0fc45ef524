-- Related articles, computed when an article is published or changed (or first read) and stored,
-- so that rendering a page reads a short list instead of running a ranking query.
-- A row here means "computed", even when no link was found.
CREATE TABLE related_lists (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    computed_at BIGINT NOT NULL
);
CREATE TABLE related_links (
    article_id INTEGER NOT NULL REFERENCES related_lists (article_id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    related_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, rank)
);
-- Which lists name an article (refreshed when it is taken down).
CREATE INDEX related_links_by_target ON related_links (related_id);
