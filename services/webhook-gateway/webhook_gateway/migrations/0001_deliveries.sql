-- One row per verified Shopify webhook delivery: the deduplication record.
-- The payload itself travels in the outbox message, not here: the gateway keeps no personal
-- data beyond what is still waiting to be published. Rows are purged after the retention period
-- (WEBHOOK_RETENTION_DAYS), far beyond Shopify's 4-hour retry window.
CREATE TABLE deliveries (
    webhook_id   text        PRIMARY KEY,
    shop         text        NOT NULL,
    topic        text        NOT NULL,
    event_id     text,
    triggered_at timestamptz,
    api_version  text,
    message_id   uuid        NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_received_at ON deliveries (received_at);
