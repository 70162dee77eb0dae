-- Login throttle: failed-login counters per key ('email:<address>' or 'addr:<client ip>'),
-- each counting failures in a fixed window that starts at its first failure. Kept in the
-- database, not in process memory, so every replica behind a load balancer sees the same
-- counts. No row-level security: rows belong to no tenant, and login reads them before it
-- knows one. Rows whose window has passed are dead and are pruned a few at a time by login.

CREATE TABLE login_failures (
    key          text PRIMARY KEY,
    failures     integer NOT NULL CHECK (failures > 0),
    window_start timestamptz NOT NULL DEFAULT now()
);
-- Serves the pruning of expired windows.
CREATE INDEX login_failures_window_idx ON login_failures (window_start);
