-- CSID expiry reminders (crates/batch expiry): one row per OS notification
-- sent, so each 30/7/1-day threshold of one certificate notifies once, even
-- across restarts. The certificate is named by its notAfter: a renewed CSID
-- has another one and gets its own reminders.
CREATE TABLE expiry_reminders (
    unit_id         TEXT NOT NULL,
    environment     TEXT NOT NULL CHECK (environment IN ('local', 'sandbox', 'simulation', 'production')),
    expires_at      TEXT NOT NULL,
    threshold_days  INTEGER NOT NULL CHECK (threshold_days IN (30, 7, 1, 0)),
    sent_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (unit_id, environment, expires_at, threshold_days)
);
