-- Diagnoses an onboarding run made itself, before sending an OTP (the
-- pre-flight), kept in the same history as those run by hand and named by
-- what they came before: one unit's onboarding or renewal, or a batch (one
-- probe for all its units). Both NULL for a diagnosis run by hand.
ALTER TABLE diagnostics_reports ADD COLUMN preflight_before TEXT
    CHECK (preflight_before IN ('onboarding', 'renewal', 'batch'));
ALTER TABLE diagnostics_reports ADD COLUMN preflight_unit TEXT;
