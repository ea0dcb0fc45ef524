-- What search engines and social cards show of an article when it should differ from its
-- headline and standfirst (an SEO plugin's fields brought from WordPress, or written in the
-- newsroom); empty means the headline and standfirst.
ALTER TABLE articles ADD COLUMN seo_title TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN seo_description TEXT NOT NULL DEFAULT '';
-- When an article was pinned to the home page (WordPress's sticky posts); pinned published
-- stories come first there, the latest pin first.
ALTER TABLE articles ADD COLUMN pinned_at BIGINT;
CREATE INDEX articles_pinned ON articles (pinned_at) WHERE pinned_at IS NOT NULL;
