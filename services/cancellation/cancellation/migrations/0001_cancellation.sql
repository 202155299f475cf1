-- cancellation's own state. What it learns of other services comes from their events, never
-- their tables; messages it sends go through the messaging outbox.

-- The WMS orders of each Shopify order (from order-intake's `orders.wms_order.sent`): which
-- fulfillment order, facility and location, and the units ordered. No personal data.
CREATE TABLE wms_orders (
    shop                 text        NOT NULL,
    wms_order_ref        text        NOT NULL,
    order_gid            text        NOT NULL,
    order_name           text        NOT NULL,
    fulfillment_order_id text        NOT NULL,
    facility             text        NOT NULL,
    location_id          text        NOT NULL,
    lines                jsonb       NOT NULL,   -- [{"sku", "quantity"}]
    sent_at              timestamptz NOT NULL,
    PRIMARY KEY (shop, wms_order_ref)
);
CREATE INDEX wms_orders_order ON wms_orders (shop, order_gid);

-- WMS orders the warehouse rejected: nothing of them is in the warehouse to cancel or restock.
-- Kept apart from wms_orders because the rejection can arrive before the mapping.
CREATE TABLE rejected_wms_orders (
    shop          text        NOT NULL,
    wms_order_ref text        NOT NULL,
    reason        text        NOT NULL,
    rejected_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, wms_order_ref)
);

-- What left the warehouse, from `wms.shipment.confirmed` and fulfillment-sync's
-- `fulfillments.shipment.synced` alike: the WMS's shipment id makes the two one row.
CREATE TABLE shipments (
    shop              text        NOT NULL,
    shipment_id       text        NOT NULL,
    wms_order_ref     text        NOT NULL,
    lines             jsonb       NOT NULL,   -- [{"sku", "quantity"}]
    completes_order   boolean     NOT NULL,   -- nothing is left to ship on the WMS order
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, shipment_id)
);
CREATE INDEX shipments_ref ON shipments (shop, wms_order_ref);

-- Customer or merchant cancellations seen in Shopify (webhook or order-intake): one per order
-- however many times and ways it is heard of.
CREATE TABLE order_cancellations (
    shop          text        NOT NULL,
    order_gid     text        NOT NULL,
    order_name    text,
    reason        text,
    cancelled_at  timestamptz NOT NULL,
    seen_via      text        NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, order_gid)
);

-- What the warehouse was asked (`wms.order.cancel`, at most once per WMS order) and answered,
-- or why it was not asked. `shipped` and `refused` need an operator (acknowledged_at clears).
CREATE TABLE cancel_requests (
    shop            text        NOT NULL,
    wms_order_ref   text        NOT NULL,
    order_gid       text        NOT NULL,
    state           text        NOT NULL
                    CHECK (state IN ('requested', 'cancelled', 'refused', 'shipped')),
    reason          text,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    answered_at     timestamptz,
    acknowledged_at timestamptz,
    PRIMARY KEY (shop, wms_order_ref)
);
CREATE INDEX cancel_requests_state ON cancel_requests (state, requested_at);

-- Cancellations the warehouse made on its own (`wms.order.cancelled`) and what became of them in
-- Shopify. `pending` and `submitted` rows are the Shopify worker's queue.
CREATE TABLE warehouse_cancellations (
    shop                 text        NOT NULL,
    wms_order_ref        text        NOT NULL,
    reason               text        NOT NULL,
    restock              boolean     NOT NULL,
    note                 text,
    state                text        NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'submitted', 'cancelled', 'already_cancelled',
                                          'needs_operator', 'refused_by_shopify', 'failed')),
    detail               text,
    job_id               text,
    shopify_restock      boolean,     -- the `restock` sent with orderCancel
    attempts             int         NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz NOT NULL DEFAULT now(),
    lease_until          timestamptz,
    received_at          timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    acknowledged_at      timestamptz,
    PRIMARY KEY (shop, wms_order_ref)
);
CREATE INDEX warehouse_cancellations_due ON warehouse_cancellations (next_attempt_at)
    WHERE state IN ('pending', 'submitted');

-- Restocks announced to inventory-sync: one per cancelled WMS order, whichever path saw it first.
CREATE TABLE restocks (
    restock_id           text        PRIMARY KEY,
    shop                 text        NOT NULL,
    wms_order_ref        text        NOT NULL,
    restocked_in_shopify boolean     NOT NULL,
    lines                jsonb       NOT NULL,
    emitted_at           timestamptz NOT NULL DEFAULT now()
);
