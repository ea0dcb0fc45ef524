-- Uploaded images, and an article's featured image. Their files (renditions) live under
-- <data dir>/media/<key>/.

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

ALTER TABLE articles ADD COLUMN featured_image INTEGER REFERENCES images (id);
