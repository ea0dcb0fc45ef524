-- The search index compares the latest change it has seen with the database's at start-up.
CREATE INDEX articles_by_update ON articles (updated_at);
