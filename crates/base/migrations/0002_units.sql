-- EGS units (crates/csr): the profile the user typed, and per environment
-- the key's whereabouts and the latest CSR. The private key itself is never
-- here: only the name it has in the SecretStore and its public fingerprint.

CREATE TABLE units (
    id                 TEXT PRIMARY KEY NOT NULL CHECK (id GLOB 'u-[0-9a-f]*'),
    organization_name  TEXT NOT NULL,
    vat_number         TEXT NOT NULL,
    organization_unit  TEXT NOT NULL,
    common_name        TEXT NOT NULL,
    serial             TEXT NOT NULL,
    invoice_types      TEXT NOT NULL,
    address            TEXT NOT NULL,
    business_category  TEXT NOT NULL,
    country            TEXT NOT NULL,
    -- The environment of the latest CSR, so the form reopens where the user left.
    environment        TEXT NOT NULL CHECK (environment IN ('local', 'sandbox', 'simulation', 'production')),
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- A taxpayer names each of its units uniquely (CN, SPEC.md 2.2).
    UNIQUE (vat_number, common_name)
) STRICT;

-- One key per unit and environment: a simulation key is never a production key.
CREATE TABLE unit_keys (
    unit_id            TEXT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    environment        TEXT NOT NULL CHECK (environment IN ('local', 'sandbox', 'simulation', 'production')),
    -- The SecretStore name, unit/<id>/<environment>/private-key.
    key_name           TEXT NOT NULL UNIQUE,
    -- SHA-256 of the SubjectPublicKeyInfo, hex: public, identifies the key.
    public_key_sha256  TEXT NOT NULL CHECK (length(public_key_sha256) = 64 AND public_key_sha256 NOT GLOB '*[^0-9a-f]*'),
    key_origin         TEXT NOT NULL CHECK (key_origin IN ('generated', 'imported')),
    csr_pem            TEXT,
    csr_created_at     TEXT,
    -- Set by onboarding when ZATCA issued a CSID for this key; from then on
    -- the key is never replaced by CSR preparation (renewal makes a new one).
    csid_issued_at     TEXT,
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (unit_id, environment)
) STRICT;
