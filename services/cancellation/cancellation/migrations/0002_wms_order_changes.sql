-- order-intake keeps the warehouse's work equal to Shopify's: it has units taken out of WMS
-- orders already sent, or cancels them (`orders.wms_order.reduced`), and re-sends a WMS order
-- the warehouse rejected under the same ref after an operator's re-sync.

-- The latest reduction of each WMS order: what it holds now ([{line_ref, sku, quantity}], empty
-- once cancelled). Kept apart from wms_orders because it can arrive before the mapping; one
-- confirmed before the mapping's `sent_at` belongs to an earlier send of the ref.
CREATE TABLE wms_order_reductions (
    shop          text        NOT NULL,
    wms_order_ref text        NOT NULL,
    cancelled     boolean     NOT NULL,
    lines         jsonb       NOT NULL,
    confirmed_at  timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, wms_order_ref)
);

-- A re-send replaces the mapping (`sent_at` is the latest send's); `first_sent_at` tells a
-- re-sent WMS order from one sent once.
ALTER TABLE wms_orders ADD COLUMN first_sent_at timestamptz;
UPDATE wms_orders SET first_sent_at = sent_at;
ALTER TABLE wms_orders ALTER COLUMN first_sent_at SET NOT NULL;

-- When the WMS rejected (its envelope's `occurred_at`; the latest rejection of the ref): only a
-- rejection at or after a re-send's `sent_at` is the re-sent order's. NULL on older rows.
ALTER TABLE rejected_wms_orders ADD COLUMN occurred_at timestamptz;
