-- Marks the file as ours, so a stray SQLite file in the data folder is refused
-- instead of migrated. 0x46544F42 = "FTOB".
PRAGMA application_id = 1179930434;

-- One row per setting; values are JSON so a setting can grow a structure
-- without a migration. Never a secret: those live in the SecretStore.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
