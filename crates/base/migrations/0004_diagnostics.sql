-- Network diagnosis history (crates/diagnostics): one row per run. The full
-- JSON report is kept so an old run can be saved or sent again; the summary
-- columns feed the onboarding support message without parsing it.
-- Reports hold no secrets: proxy credentials are redacted before a report
-- exists, cookie values are never recorded, no OTP or CSID is ever sent.
CREATE TABLE diagnostics_reports (
    id              INTEGER PRIMARY KEY,
    started_at      TEXT NOT NULL,
    duration_ms     INTEGER NOT NULL CHECK (duration_ms >= 0),
    target_origin   TEXT NOT NULL,
    environments    TEXT NOT NULL CHECK (json_valid(environments) AND json_type(environments) = 'array'),
    verdict_class   TEXT NOT NULL,
    problem         INTEGER NOT NULL CHECK (problem IN (0, 1)),
    headline_en     TEXT NOT NULL,
    headline_ar     TEXT NOT NULL,
    next_step_en    TEXT NOT NULL,
    next_step_ar    TEXT NOT NULL,
    schema_version  INTEGER NOT NULL,
    report_json     TEXT NOT NULL CHECK (json_valid(report_json))
);

CREATE INDEX diagnostics_reports_newest_first ON diagnostics_reports (started_at DESC, id DESC);
