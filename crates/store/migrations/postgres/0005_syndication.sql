-- Feeds and sitemaps, answered from indexes alone: an article row carries its body (kilobytes), and
-- stepping over it to reach updated_at or status made these scans grow with the archive.
-- When a listing last changed (a feed's Last-Modified):
CREATE INDEX articles_changed ON articles (updated_at);
CREATE INDEX articles_section_changed ON articles (section_id, updated_at);
-- Published articles of an id range, with their slugs and last changes (article sitemaps):
CREATE INDEX articles_syndication ON articles (id, status, updated_at, slug);
