-- Registration throttle: registrations per client address in a fixed one-hour window that
-- starts at the address's first registration. Kept in the database, like login_failures, so
-- every replica counts the same attempts. No row-level security: rows belong to no tenant.
-- Rows whose window has passed are dead and are pruned a few at a time by register itself.

CREATE TABLE register_attempts (
    address      text PRIMARY KEY,
    attempts     integer NOT NULL CHECK (attempts > 0),
    window_start timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX register_attempts_window_idx ON register_attempts (window_start);
