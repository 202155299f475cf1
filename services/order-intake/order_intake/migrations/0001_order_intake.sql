-- order-intake's own state. Messages to the WMS go through the messaging outbox, never from here.

-- Orders to (re)read from Shopify: a webhook or an operator only says "look at this order again".
-- One row per order however many triggers arrive; `generation` counts them, so the sync worker
-- deletes the row only if no trigger came in while it was reading Shopify.
CREATE TABLE pending_syncs (
    shop            text        NOT NULL,
    order_gid       text        NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    reason          text        NOT NULL,
    generation      int         NOT NULL DEFAULT 1,
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text,
    failed_at       timestamptz,
    PRIMARY KEY (shop, order_gid)
);
CREATE INDEX pending_syncs_due ON pending_syncs (next_attempt_at) WHERE failed_at IS NULL;

-- The last decision about each order seen, with the Shopify updatedAt it was made from (an older
-- read arriving late is not applied over a newer one).
CREATE TABLE orders (
    shop               text        NOT NULL,
    order_gid          text        NOT NULL,
    order_name         text        NOT NULL,
    state              text        NOT NULL,
    reason             text,
    shopify_updated_at timestamptz NOT NULL,
    decided_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, order_gid)
);
CREATE INDEX orders_state ON orders (state, decided_at);

-- One row per WMS order created: its ref never changes and its FO is never sent twice.
-- `sent_payload` is what later edits are compared against; `on_hold`/`ship_by` are what the WMS
-- was last told.
CREATE TABLE wms_orders (
    shop                 text        NOT NULL,
    wms_order_ref        text        NOT NULL,
    order_gid            text        NOT NULL,
    fulfillment_order_id text        NOT NULL,
    facility             text        NOT NULL,
    on_hold              boolean     NOT NULL,
    ship_by              timestamptz,
    sent_payload         jsonb       NOT NULL,
    wms_state            text        NOT NULL DEFAULT 'sent'
                         CHECK (wms_state IN ('sent', 'accepted', 'rejected')),
    wms_reason           text,
    sent_at              timestamptz NOT NULL DEFAULT now(),
    answered_at          timestamptz,
    PRIMARY KEY (shop, wms_order_ref),
    UNIQUE (shop, fulfillment_order_id)
);
CREATE INDEX wms_orders_order ON wms_orders (shop, order_gid);
CREATE INDEX wms_orders_answered ON wms_orders (wms_state, answered_at);

-- Edits to orders already sent that the WMS is not told about (SPEC: orders are not rewritten).
CREATE TABLE ignored_edits (
    shop          text        NOT NULL,
    wms_order_ref text        NOT NULL,
    description   text        NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, wms_order_ref, description)
);

-- Polling download per shop: how far it has read, and how the last run went.
CREATE TABLE poll_state (
    shop         text PRIMARY KEY,
    watermark    timestamptz,
    last_poll_at timestamptz,
    last_result  text,
    last_error   text,
    orders_seen  int
);
