-- Personal data lives in wms_orders.sent_payload (ship_to, note). It is erased, not deleted:
-- the row keeps the order's identity (refs, FO, facility) for later edits and WMS answers.
-- `shipped_at`: fulfillment-sync said the FO has nothing left to ship (retention counts from it).
ALTER TABLE wms_orders
    ADD COLUMN shipped_at               timestamptz,
    ADD COLUMN personal_data_erased_at  timestamptz;
CREATE INDEX wms_orders_shipped ON wms_orders (shipped_at)
    WHERE personal_data_erased_at IS NULL AND shipped_at IS NOT NULL;
CREATE INDEX orders_cancelled ON orders (shopify_updated_at) WHERE state = 'cancelled';

-- Shops whose app/uninstalled webhook arrived: not polled, their order webhooks ignored, until a
-- webhook triggered after the uninstall shows the app installed again.
CREATE TABLE uninstalled_shops (
    shop           text        PRIMARY KEY,
    uninstalled_at timestamptz NOT NULL
);
