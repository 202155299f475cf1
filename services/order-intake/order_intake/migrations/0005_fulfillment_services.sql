-- Facilities connected as Shopify fulfillment services (fulfillment_services.py): one row per
-- (shop, facility) once the registration looked at it.
--
-- - `service_id`, `location_id`: the service Shopify has for the facility and the location it
--   made for it (kept after an operator's delete, to show what was deleted);
-- - `name` .. `tracking_support`: the service's settings as Shopify last showed them;
-- - `state`: `registered` (the service exists, its location is where the facility's orders
--   arrive), `missing` (not found and not created: `reason` says why; the schedule tries again)
--   or `deleted_by_operator` (the schedule leaves it alone until an operator registers it);
-- - `last_error`: the last check's failure, also on a registered service (an update refused,
--   Shopify unreachable): an operator problem until a check succeeds;
-- - `registered_at`: first found or created; `created_at` / `updated_at`: when this project
--   last created / updated the service in Shopify; `deleted_at`: the operator's delete.
CREATE TABLE fulfillment_services (
    shop                 text        NOT NULL,
    facility             text        NOT NULL,
    service_id           text,
    location_id          text,
    name                 text,
    callback_url         text,
    inventory_management boolean,
    tracking_support     boolean,
    state                text        NOT NULL
                         CHECK (state IN ('registered', 'missing', 'deleted_by_operator')),
    reason               text,
    last_checked_at      timestamptz,
    last_error           text,
    registered_at        timestamptz,
    created_at           timestamptz,
    updated_at           timestamptz,
    deleted_at           timestamptz,
    PRIMARY KEY (shop, facility),
    CHECK (state <> 'registered' OR (service_id IS NOT NULL AND location_id IS NOT NULL))
);
