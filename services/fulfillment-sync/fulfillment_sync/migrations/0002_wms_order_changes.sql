-- order-intake keeps the warehouse's work equal to Shopify's: it has units taken out of WMS orders
-- already sent (`orders.wms_order.reduced`), sends extra units of an FO as another WMS order for
-- the same FO, and re-sends a rejected WMS order under the same ref.

-- The latest reduction of each WMS order: what it holds now ([{line_ref, sku, quantity}], empty
-- once cancelled). Kept apart from wms_orders because it can arrive before the mapping; a
-- reduction confirmed before the mapping's `sent_at` belongs to an earlier send of the ref.
CREATE TABLE wms_order_reductions (
    shop                 text        NOT NULL,
    wms_order_ref        text        NOT NULL,
    fulfillment_order_id text        NOT NULL,
    cancelled            boolean     NOT NULL,
    lines                jsonb       NOT NULL,
    confirmed_at         timestamptz NOT NULL,
    recorded_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, wms_order_ref)
);

-- When `fulfillments.shipment.synced` first said nothing is left to ship on the WMS order: a
-- reduction that leaves it complete says so once (again), not at every repeat.
ALTER TABLE wms_orders ADD COLUMN completed_at timestamptz;

-- The mapping of a re-sent ref changes: shipments of one FO are found through their own ref.
CREATE INDEX shipments_ref ON shipments (shop, wms_order_ref);
