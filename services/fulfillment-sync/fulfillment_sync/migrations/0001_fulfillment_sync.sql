-- fulfillment-sync's own state. No personal data: orders are known by their references, lines by
-- SKU, shipments by carrier and tracking numbers.

-- What order-intake sent to the WMS (from its orders.wms_order.sent events): how a shipment's
-- wms_order_ref and line_refs lead back to a Shopify fulfillment order.
CREATE TABLE wms_orders (
    shop                 text        NOT NULL,
    wms_order_ref        text        NOT NULL,
    fulfillment_order_id text        NOT NULL,
    sent                 jsonb       NOT NULL,  -- the WmsOrderSent payload
    learned_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, wms_order_ref)
);

-- One row per WMS shipment: shipment_id is the key that makes a fulfillment exactly-once.
--   awaiting_order  its WMS order is not known yet (events out of order); until wait_until
--   pending         to be sent to Shopify at next_attempt_at (first time, or after a failure)
--   creating        a worker holds it until lease_until and may be calling Shopify: the intent,
--                   committed before the call. Found with an expired lease, Shopify is asked
--                   whether the fulfillment exists before anything is created again.
--   on_hold         Shopify holds the fulfillment order; looked at again at next_attempt_at
--   synced          the fulfillment exists (fulfillment_id); fulfillments.shipment.synced sent
--   failed          refused for good (reason_code, reason) until an operator retries it
CREATE TABLE shipments (
    shop                 text        NOT NULL,
    shipment_id          text        NOT NULL,
    wms_order_ref        text        NOT NULL,
    state                text        NOT NULL CHECK (state IN
                         ('awaiting_order', 'pending', 'creating', 'on_hold', 'synced', 'failed')),
    shipment             jsonb       NOT NULL,  -- the wms.shipment.confirmed payload
    message_id           uuid        NOT NULL,  -- the envelope it came in: the synced event's cause
    fulfillment_order_id text,                  -- known once its WMS order is
    received_at          timestamptz NOT NULL DEFAULT now(),
    wait_until           timestamptz,
    next_attempt_at      timestamptz NOT NULL DEFAULT now(),
    lease_until          timestamptz,
    claim                int         NOT NULL DEFAULT 0,  -- bumped per claim: a late worker cannot finish
    failures             int         NOT NULL DEFAULT 0,
    verify_first         boolean     NOT NULL DEFAULT false,
    reason_code          text,
    reason               text,
    fulfillment_id       text,
    fulfilled_lines      jsonb,                 -- [{line_ref, sku, quantity}] once synced
    synced_at            timestamptz,
    failed_at            timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, shipment_id)
);
CREATE INDEX shipments_due ON shipments (next_attempt_at)
    WHERE state IN ('pending', 'creating', 'on_hold');
CREATE INDEX shipments_awaiting ON shipments (shop, wms_order_ref) WHERE state IN ('awaiting_order', 'failed');
CREATE INDEX shipments_fulfillment_order ON shipments (shop, fulfillment_order_id);
CREATE INDEX shipments_state ON shipments (state, updated_at);
