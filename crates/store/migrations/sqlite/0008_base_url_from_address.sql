-- The site's base URL, when no administrator set one, follows the address the server listens on
-- (or its --base-url). Databases made before this held the demo's old default; it was never a
-- choice, so it becomes "not set".
UPDATE site_settings SET base_url = '' WHERE base_url = 'http://127.0.0.1:8080';
