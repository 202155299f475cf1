-- What inventory-sync's catalog found wrong with each shop's SKUs (`catalog.findings.changed`),
-- whole: the latest `as_of` wins, so a late or repeated message never brings back old findings.
-- Orders carrying these SKUs fail the checks (rejected_by_checks) instead of being sent.
CREATE TABLE catalog_findings (
    shop           text        PRIMARY KEY,
    duplicate_skus text[]      NOT NULL DEFAULT '{}',
    rejected_skus  jsonb       NOT NULL DEFAULT '{}',  -- SKU -> the WMS's reason
    as_of          timestamptz NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);
