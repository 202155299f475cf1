-- The catalog flow: Shopify variants as WMS items (items.py, item_store.py).
-- Shopify ids are kept as the integers of their GIDs.

-- Every variant as the last applied read saw it. `item`/`digest`: the wms.item.upsert it makes
-- (NULL: not an item: no SKU, or no shipping). A variant gone from Shopify stays as a tombstone
-- (`removed_at`) for a while, so a late read older than the removal does not bring it back.
-- `updated_at`: the later of the variant's and its product's updatedAt, as read; a read older
-- than this is not applied. `read_at`: when a read last recorded it (a full sync removes the
-- variants it did not see that no read recorded since the sync's bulk operation began).
CREATE TABLE catalog_variants (
    shop          text        NOT NULL,
    variant_id    bigint      NOT NULL,
    product_id    bigint      NOT NULL,
    product_title text        NOT NULL,
    variant_title text        NOT NULL,
    sku           text,
    shippable     boolean     NOT NULL,
    item          jsonb,
    digest        text,
    updated_at    timestamptz NOT NULL,
    read_at       timestamptz NOT NULL,
    removed_at    timestamptz,
    PRIMARY KEY (shop, variant_id)
);
CREATE INDEX catalog_variants_product ON catalog_variants (shop, product_id);
CREATE INDEX catalog_variants_sku ON catalog_variants (shop, sku) WHERE removed_at IS NULL;
CREATE INDEX catalog_variants_removed ON catalog_variants (removed_at) WHERE removed_at IS NOT NULL;

-- What the WMS was told it has, per SKU: the digest of the last wms.item.upsert (and which
-- variant it came from). Removed when the SKU is discontinued. Written in the transaction that
-- puts the message in the outbox.
CREATE TABLE catalog_sent (
    shop       text        NOT NULL,
    sku        text        NOT NULL,
    variant_id bigint      NOT NULL,
    digest     text        NOT NULL,
    updated_at timestamptz NOT NULL,
    sent_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, sku)
);

-- Findings: SKUs on two shippable variants or more (set aside: neither is sent) and SKUs the
-- WMS rejected (`wms.item.rejected`), with why.
CREATE TABLE catalog_duplicates (
    shop  text        NOT NULL,
    sku   text        NOT NULL,
    since timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, sku)
);

CREATE TABLE catalog_rejections (
    shop        text        NOT NULL,
    sku         text        NOT NULL,
    reason      text        NOT NULL,
    rejected_at timestamptz NOT NULL,
    PRIMARY KEY (shop, sku)
);

-- The findings last published per shop (catalog.findings.changed goes out when they differ).
CREATE TABLE catalog_findings_sent (
    shop           text        PRIMARY KEY,
    duplicate_skus text[]      NOT NULL,
    rejected_skus  jsonb       NOT NULL,
    sent_at        timestamptz NOT NULL DEFAULT now()
);

-- Products to read after products/create|update webhooks: one row per product, however many
-- webhooks (duplicated, reordered) asked. `requested_at` moves with each webhook: a read that
-- began before the last request leaves the row to be read again.
CREATE TABLE product_reads (
    shop            text        NOT NULL,
    product_id      bigint      NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text,
    PRIMARY KEY (shop, product_id)
);
CREATE INDEX product_reads_due ON product_reads (shop, next_attempt_at);

-- Full catalog syncs by bulk operation: first sync of a shop, daily, or an operator's. The
-- counters are the progress while it runs and the report once done.
CREATE TABLE catalog_syncs (
    id                uuid        PRIMARY KEY,
    shop              text        NOT NULL,
    requested_by      text        NOT NULL,
    state             text        NOT NULL DEFAULT 'queued'
                      CHECK (state IN ('queued', 'running', 'done', 'failed')),
    phase             text,
    bulk_operation_id text,
    bulk_status       text,
    bulk_started_at   timestamptz,
    attempts          int         NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    lease_until       timestamptz,
    error             text,
    lines_read        bigint      NOT NULL DEFAULT 0,
    variants_read     bigint      NOT NULL DEFAULT 0,
    items_sent        bigint      NOT NULL DEFAULT 0,
    discontinued      bigint      NOT NULL DEFAULT 0,
    unchanged         bigint      NOT NULL DEFAULT 0,
    duplicates        bigint      NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz
);
CREATE INDEX catalog_syncs_due ON catalog_syncs (shop, next_attempt_at)
    WHERE state IN ('queued', 'running');
CREATE INDEX catalog_syncs_shop ON catalog_syncs (shop, created_at DESC);

-- The last local date each shop's daily catalog reconciliation was started.
CREATE TABLE catalog_daily_runs (
    shop        text PRIMARY KEY,
    last_run_on date NOT NULL
);
