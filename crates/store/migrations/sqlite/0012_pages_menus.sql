-- Standing pages (About us, Contact…) and the header and footer menus.
-- A page lives at its slug under its parent's path; siblings' slugs differ, and a top-level
-- page's slug is unique among top-level pages (articles are checked by the store on write).
CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL,
    parent_id BIGINT REFERENCES pages(id),
    position BIGINT NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    language TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT
);
CREATE UNIQUE INDEX pages_top_slug ON pages (slug) WHERE parent_id IS NULL;
CREATE UNIQUE INDEX pages_child_slug ON pages (parent_id, slug) WHERE parent_id IS NOT NULL;

-- A menu's items in order; `nested` puts an item under the nearest one above it that is not.
-- Exactly one target: a page, a section, or a path or URL. Deleting a section takes its items
-- out of the menus.
CREATE TABLE menu_items (
    id INTEGER PRIMARY KEY,
    menu TEXT NOT NULL CHECK (menu IN ('header', 'footer')),
    position BIGINT NOT NULL,
    nested BIGINT NOT NULL DEFAULT 0,
    label TEXT NOT NULL,
    page_id BIGINT REFERENCES pages(id) ON DELETE CASCADE,
    section_id BIGINT REFERENCES sections(id) ON DELETE CASCADE,
    url TEXT,
    UNIQUE (menu, position)
);
CREATE INDEX menu_items_page ON menu_items (page_id);
CREATE INDEX menu_items_section ON menu_items (section_id);
