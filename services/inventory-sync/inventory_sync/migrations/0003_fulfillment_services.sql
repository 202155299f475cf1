-- Facilities connected as fulfillment services, as order-intake registered them in each shop
-- (`orders.fulfillment_service.registered`): the location Shopify created for the service is
-- where that facility's feed pushes, once known and while the service manages inventory.
-- One row per (shop, facility), replaced by a later registration check (registered_at).
CREATE TABLE fulfillment_services (
    shop                   text        NOT NULL,
    facility               text        NOT NULL,
    fulfillment_service_id text        NOT NULL,
    location_id            bigint      NOT NULL,
    inventory_management   boolean     NOT NULL,
    tracking_support       boolean     NOT NULL,
    registered_at          timestamptz NOT NULL,  -- the latest check's occurred_at
    updated_at             timestamptz NOT NULL DEFAULT now(),  -- when it last changed
    PRIMARY KEY (shop, facility)
);
