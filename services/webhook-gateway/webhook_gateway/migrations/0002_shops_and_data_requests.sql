-- Shops whose app/uninstalled webhook arrived: their subscriptions are not healed any more
-- (the access token is revoked) until an operator repairs them after a reinstall.
CREATE TABLE uninstalled_shops (
    shop           text        PRIMARY KEY,
    uninstalled_at timestamptz NOT NULL
);

-- customers/data_request webhooks waiting for an operator to export the data (Shopify expects
-- the merchant to have it within 30 days). Only ids: the customer's email and phone are not
-- kept, the export is built from the orders named here.
CREATE TABLE data_requests (
    shop        text        NOT NULL,
    request_id  text        NOT NULL,
    customer_id bigint,
    order_gids  text[]      NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    exported_at timestamptz,
    PRIMARY KEY (shop, request_id)
);
CREATE INDEX data_requests_open ON data_requests (received_at) WHERE exported_at IS NULL;
