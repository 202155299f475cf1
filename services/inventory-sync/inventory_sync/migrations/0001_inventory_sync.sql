-- inventory-sync's own state. No personal data: SKUs, quantities, order references.
-- Shopify ids are kept as the integers of their GIDs (gid://shopify/InventoryItem/<id>).

-- The Shopify catalog of each shop: which inventory item carries a SKU. A SKU on two items
-- (duplicate SKUs in Shopify) is never pushed; it is set aside with that reason.
CREATE TABLE catalog_items (
    shop              text        NOT NULL,
    inventory_item_id bigint      NOT NULL,
    sku               text        NOT NULL,
    tracked           boolean     NOT NULL,
    seen_at           timestamptz NOT NULL,
    PRIMARY KEY (shop, inventory_item_id)
);
CREATE INDEX catalog_items_sku ON catalog_items (shop, sku);

-- What Shopify has of an item at a location, as we last read it or set it ("tracked"). A row
-- exists only where the item is stocked at the location. `pushed_at`: a catalog read that began
-- before our own push landed does not overwrite what the push set.
CREATE TABLE shopify_levels (
    shop              text        NOT NULL,
    location_id       bigint      NOT NULL,
    inventory_item_id bigint      NOT NULL,
    available         int         NOT NULL,
    read_at           timestamptz,
    pushed_at         timestamptz,
    PRIMARY KEY (shop, location_id, inventory_item_id)
);

-- The last complete catalog read per location (what "verified against Shopify" means).
CREATE TABLE catalog_reads (
    shop        text        NOT NULL,
    location_id bigint      NOT NULL,
    finished_at timestamptz NOT NULL,
    items       int         NOT NULL,
    stocked     int         NOT NULL,
    drift       int         NOT NULL,
    PRIMARY KEY (shop, location_id)
);

-- The warehouse's truth per SKU: the newest of the last applied snapshot and adjustments.
-- `as_of` is when the SKU's figures last changed; the SKU is known as of its facility's newest
-- snapshot at least (a snapshot rewrites only the SKUs whose figures it changes).
CREATE TABLE wms_stock (
    shop      text        NOT NULL,
    facility  text        NOT NULL,
    sku       text        NOT NULL,
    available int         NOT NULL,
    on_hand   int         NOT NULL,
    as_of     timestamptz NOT NULL,
    PRIMARY KEY (shop, facility, sku)
);

CREATE TABLE facility_snapshots (
    shop     text        NOT NULL,
    facility text        NOT NULL,
    as_of    timestamptz NOT NULL,
    PRIMARY KEY (shop, facility)
);

-- Snapshots, assembled part by part; applied only once every part is here.
CREATE TABLE snapshots (
    id             bigserial   PRIMARY KEY,
    shop           text        NOT NULL,
    facility       text        NOT NULL,
    snapshot_id    text        NOT NULL,
    as_of          timestamptz NOT NULL,
    parts          int         NOT NULL,
    state          text        NOT NULL DEFAULT 'assembling'
                   CHECK (state IN ('assembling', 'complete', 'applied', 'incomplete',
                                    'superseded', 'ignored')),
    note           text,
    first_part_at  timestamptz NOT NULL DEFAULT now(),
    completed_at   timestamptz,
    UNIQUE (shop, facility, snapshot_id)
);
CREATE INDEX snapshots_assembling ON snapshots (first_part_at) WHERE state = 'assembling';
CREATE INDEX snapshots_facility ON snapshots (shop, facility, first_part_at DESC);

CREATE TABLE snapshot_parts (
    snapshot bigint NOT NULL REFERENCES snapshots ON DELETE CASCADE,
    part     int    NOT NULL,
    items    int    NOT NULL,
    PRIMARY KEY (snapshot, part)
);

CREATE TABLE snapshot_items (
    snapshot  bigint NOT NULL REFERENCES snapshots ON DELETE CASCADE,
    sku       text   NOT NULL,
    available int    NOT NULL,
    on_hand   int    NOT NULL,
    PRIMARY KEY (snapshot, sku)
);

-- Work on one facility: apply a snapshot, run a full sync (operator or daily), read the catalog.
-- The counters are the job's progress while it runs and its report once done.
CREATE TABLE jobs (
    id              uuid        PRIMARY KEY,
    shop            text        NOT NULL,
    facility        text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('catalog', 'snapshot', 'full_sync')),
    snapshot        bigint      REFERENCES snapshots ON DELETE SET NULL,
    requested_by    text        NOT NULL,
    state           text        NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'pushing', 'done', 'failed')),
    phase           text,
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    catalog_pages   int         NOT NULL DEFAULT 0,
    catalog_items   int         NOT NULL DEFAULT 0,
    considered      int         NOT NULL DEFAULT 0,
    unchanged       int         NOT NULL DEFAULT 0,
    changes         int         NOT NULL DEFAULT 0,
    pushed          int         NOT NULL DEFAULT 0,
    already_right   int         NOT NULL DEFAULT 0,
    push_failed     int         NOT NULL DEFAULT 0,
    mutations       int         NOT NULL DEFAULT 0,
    stale_retries   int         NOT NULL DEFAULT 0,
    set_aside       jsonb       NOT NULL DEFAULT '{}',
    diff_ms         int,
    diff_cpu_ms     int,
    note            text,
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    planned_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX jobs_due ON jobs (shop, next_attempt_at) WHERE state = 'queued';
CREATE INDEX jobs_facility ON jobs (shop, facility, kind, created_at DESC);
CREATE INDEX jobs_snapshot ON jobs (snapshot);

-- SKUs not pushed, with why (visible on /status), per facility; re-decided whenever the SKU is.
CREATE TABLE set_aside (
    shop         text        NOT NULL,
    facility     text        NOT NULL,
    sku          text        NOT NULL,
    reason       text        NOT NULL,
    detail       text,
    since        timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, facility, sku)
);

-- Targets waiting to be pushed; one per item and location, the newest decision wins.
-- `origin`: the job that wanted it (NULL: the realtime feed).
CREATE TABLE push_queue (
    shop              text        NOT NULL,
    location_id       bigint      NOT NULL,
    inventory_item_id bigint      NOT NULL,
    facility          text        NOT NULL,
    sku               text        NOT NULL,
    target            int         NOT NULL,
    origin            uuid        REFERENCES jobs ON DELETE SET NULL,
    queued_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, location_id, inventory_item_id)
);
CREATE INDEX push_queue_next ON push_queue (shop, location_id, queued_at);
CREATE INDEX push_queue_origin ON push_queue (origin) WHERE origin IS NOT NULL;

-- One inventorySetQuantities call: written before it is sent, so a crash resends exactly the
-- same request with the same idempotency key, and deleted once Shopify's answer is recorded.
CREATE TABLE push_batches (
    id              bigserial   PRIMARY KEY,
    shop            text        NOT NULL,
    location_id     bigint      NOT NULL,
    facility        text        NOT NULL,
    idempotency_key text        NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text
);
CREATE INDEX push_batches_due ON push_batches (shop, location_id, next_attempt_at);

CREATE TABLE push_batch_items (
    batch             bigint      NOT NULL REFERENCES push_batches ON DELETE CASCADE,
    position          int         NOT NULL,
    shop              text        NOT NULL,
    location_id       bigint      NOT NULL,
    inventory_item_id bigint      NOT NULL,
    sku               text        NOT NULL,
    quantity          int         NOT NULL,
    change_from       int         NOT NULL,
    origin            uuid        REFERENCES jobs ON DELETE SET NULL,
    queued_at         timestamptz NOT NULL,
    PRIMARY KEY (batch, position)
);
-- An item is in at most one batch at a time: a second would be sent with a stale changeFrom.
CREATE UNIQUE INDEX push_batch_items_item ON push_batch_items (shop, location_id, inventory_item_id);
CREATE INDEX push_batch_items_origin ON push_batch_items (origin) WHERE origin IS NOT NULL;

-- Realtime: SKUs whose truth changed and whose push is due once the coalescing window closes.
CREATE TABLE dirty_skus (
    shop     text        NOT NULL,
    facility text        NOT NULL,
    sku      text        NOT NULL,
    since    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, facility, sku)
);

CREATE TABLE feed_counters (
    shop                 text        NOT NULL,
    facility             text        NOT NULL,
    adjustments_applied  bigint      NOT NULL DEFAULT 0,
    adjustments_late     bigint      NOT NULL DEFAULT 0,
    last_adjustment_at   timestamptz,
    last_realtime_push_at timestamptz,
    last_realtime_lag_ms int,
    PRIMARY KEY (shop, facility)
);

-- Orders the warehouse may not have counted yet (see domain.py for the rule).
CREATE TABLE wms_orders (
    shop             text        NOT NULL,
    wms_order_ref    text        NOT NULL,
    shopify_order_id text,
    facility         text,
    sent_at          timestamptz,
    accepted_at      timestamptz,
    rejected_at      timestamptz,
    cancelled_at     timestamptz,
    PRIMARY KEY (shop, wms_order_ref)
);
CREATE INDEX wms_orders_open ON wms_orders (shop, facility)
    WHERE rejected_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX wms_orders_shopify ON wms_orders (shop, shopify_order_id);

CREATE TABLE wms_order_lines (
    shop          text NOT NULL,
    wms_order_ref text NOT NULL,
    line_ref      text NOT NULL,
    sku           text NOT NULL,
    quantity      int  NOT NULL,
    PRIMARY KEY (shop, wms_order_ref, line_ref)
);

-- Orders placed in Shopify (orders/create) and not yet sent to the WMS: held for a while.
CREATE TABLE placed_lines (
    shop         text        NOT NULL,
    order_gid    text        NOT NULL,
    sku          text        NOT NULL,
    quantity     int         NOT NULL,
    placed_at    timestamptz NOT NULL,
    cancelled_at timestamptz,
    PRIMARY KEY (shop, order_gid, sku)
);
CREATE INDEX placed_lines_recent ON placed_lines (shop, placed_at);

-- Restocks applied, so the same one re-sent has no second effect.
CREATE TABLE restocks (
    shop       text        NOT NULL,
    restock_id text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, restock_id)
);

-- The last local date each feed's daily full sync was started (once per day, any process).
CREATE TABLE daily_runs (
    shop        text NOT NULL,
    facility    text NOT NULL,
    last_run_on date NOT NULL,
    PRIMARY KEY (shop, facility)
);
