-- OTP onboarding (crates/onboarding): the journal of every request to a
-- FATOORA gateway, and the onboarding state of each unit per environment.
-- Nothing secret is stored here: OTPs only as a salted SHA-256 (salt in the
-- SecretStore) plus their last digit; CSID secrets and private keys live in
-- the SecretStore and are referred to by name.

-- One row per request, written when the request ends (or is abandoned).
CREATE TABLE onboarding_journal (
    id                 INTEGER PRIMARY KEY,
    unit_id            TEXT NOT NULL,
    environment        TEXT NOT NULL CHECK (environment IN ('local', 'sandbox', 'simulation', 'production')),
    endpoint           TEXT NOT NULL CHECK (endpoint IN ('compliance', 'compliance-invoices', 'production-csids', 'renew-production-csids')),
    url                TEXT NOT NULL,
    started_at         TEXT NOT NULL,
    duration_ms        INTEGER NOT NULL CHECK (duration_ms >= 0),
    attempts           INTEGER NOT NULL CHECK (attempts >= 1),
    http_status        INTEGER,
    zatca_codes        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(zatca_codes) AND json_type(zatca_codes) = 'array'),
    request_id         TEXT,
    -- not-sent: never left this machine; may-have-reached: sent, no complete
    -- answer (the OTP may be spent); answered: the gateway answered.
    reach              TEXT NOT NULL CHECK (reach IN ('not-sent', 'may-have-reached', 'answered')),
    transport_failure  TEXT,
    otp_hash           TEXT CHECK (otp_hash IS NULL OR (length(otp_hash) = 64 AND otp_hash NOT GLOB '*[^0-9a-f]*')),
    otp_last_digit     TEXT CHECK (otp_last_digit IS NULL OR otp_last_digit GLOB '[0-9]'),
    -- What the user said: when the OTP was generated and in which portal.
    otp_generated_at   TEXT,
    otp_portal         TEXT CHECK (otp_portal IS NULL OR otp_portal IN ('production', 'simulation', 'sandbox', 'local')),
    -- Which compliance document (compliance-invoices only).
    document           TEXT,
    CHECK ((otp_hash IS NULL) = (otp_last_digit IS NULL))
) STRICT;

CREATE INDEX onboarding_journal_unit ON onboarding_journal (unit_id, environment, id);
CREATE INDEX onboarding_journal_otp ON onboarding_journal (otp_hash) WHERE otp_hash IS NOT NULL;

-- One row per unit and environment: switching a unit to another environment
-- starts a separate record, so a CSID of one environment is never sent to
-- another.
CREATE TABLE onboarding_state (
    unit_id               TEXT NOT NULL,
    environment           TEXT NOT NULL CHECK (environment IN ('local', 'sandbox', 'simulation', 'production')),
    step                  TEXT NOT NULL CHECK (step IN (
                              'preflight', 'ccsid', 'compliance-checks', 'pcsid', 'issued',
                              'renewal', 'renewal-checks', 'renewal-pcsid')),
    -- The CSR and key sent with the current (or pending) CSID request.
    csr_pem               TEXT,
    key_name              TEXT,
    -- Compliance CSID: certificate and requestID here, secret in the SecretStore.
    ccsid_request_id      TEXT,
    ccsid_certificate     TEXT,
    ccsid_token           TEXT,
    ccsid_secret_name     TEXT,
    -- Production CSID, likewise; expiry from the certificate's notAfter.
    pcsid_request_id      TEXT,
    pcsid_certificate     TEXT,
    pcsid_token           TEXT,
    pcsid_secret_name     TEXT,
    pcsid_key_name        TEXT,
    pcsid_expires_at      TEXT,
    -- Renewal in progress: the new key and CSR (the old key stays until the
    -- new PCSID is stored).
    renewal_key_name      TEXT,
    renewal_csr_pem       TEXT,
    -- Set when an OTP-spending request may have reached ZATCA without an
    -- answer: the app must not send that OTP again without asking.
    otp_in_doubt_hash     TEXT,
    -- The last refusal or failure, as JSON {code, status, explanation}.
    last_error            TEXT CHECK (last_error IS NULL OR json_valid(last_error)),
    created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (unit_id, environment)
) STRICT;

-- Compliance checks passed, per compliance CSID (a renewed CCSID starts afresh).
CREATE TABLE onboarding_checks (
    unit_id           TEXT NOT NULL,
    environment       TEXT NOT NULL,
    ccsid_request_id  TEXT NOT NULL,
    document          TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('PASS', 'WARNING', 'SUBMITTED-BEFORE')),
    warnings          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(warnings)),
    checked_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (unit_id, environment, ccsid_request_id, document),
    FOREIGN KEY (unit_id, environment) REFERENCES onboarding_state (unit_id, environment) ON DELETE CASCADE
) STRICT;
