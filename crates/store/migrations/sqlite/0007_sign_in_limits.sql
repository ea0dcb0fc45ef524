-- Sign-in limits that slow an attacker without locking the owner out.
--
-- A sign-in attempt is noted in sign_in_failures *before* its password is checked (a
-- reservation), so simultaneous attempts cannot all see a count under the limit; `attempt` names
-- the rows of one attempt, so a success, or an attempt never checked, takes them back.
ALTER TABLE sign_in_failures ADD COLUMN attempt TEXT NOT NULL DEFAULT '';
CREATE INDEX sign_in_failures_by_attempt ON sign_in_failures (attempt);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures (at);

-- Browsers that signed in to an account: the SHA-256 of their long-lived device cookie.
-- An attempt from a known device is judged only by that device's own failures.
CREATE TABLE known_devices (
    token_hash TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_sign_in BIGINT NOT NULL,
    PRIMARY KEY (token_hash, user_id)
);

-- Addresses an account signed in from: exempt from the per-address limit for that account.
CREATE TABLE known_addresses (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    last_sign_in BIGINT NOT NULL,
    PRIMARY KEY (user_id, address)
);
