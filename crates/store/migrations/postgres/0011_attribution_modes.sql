-- An article's attribution names one or more agencies (newline-separated in source_agency) and
-- how much of the text is theirs: 0 as received, 1 with additional inputs (the old boolean's
-- two values keep their meaning), 2 edited.
ALTER TABLE articles RENAME COLUMN source_additional_inputs TO source_mode;
ALTER TABLE article_revisions RENAME COLUMN source_additional_inputs TO source_mode;
-- The line for agency copy the newsroom rewrote, e.g. "With inputs from APP and Reuters".
ALTER TABLE site_settings ADD COLUMN attribution_template_edited TEXT NOT NULL DEFAULT 'With inputs from {agency}';
