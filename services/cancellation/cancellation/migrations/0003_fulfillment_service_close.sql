-- A facility connected as a fulfillment service: a warehouse cancellation there is settled by
-- closing its fulfillment order as incomplete (`fulfillmentOrderClose`), not by `orderCancel`.
-- `closed`: Shopify has it INCOMPLETE (or CLOSED) now, handed back to the merchant.
ALTER TABLE warehouse_cancellations DROP CONSTRAINT warehouse_cancellations_state_check;
ALTER TABLE warehouse_cancellations ADD CONSTRAINT warehouse_cancellations_state_check
    CHECK (state IN ('pending', 'submitted', 'cancelled', 'already_cancelled', 'closed',
                     'needs_operator', 'refused_by_shopify', 'failed'));

-- What the worker did in Shopify about it ('orderCancel' or 'fulfillmentOrderClose'); NULL
-- until it settles, and on rows settled before this column existed (all orderCancel).
ALTER TABLE warehouse_cancellations ADD COLUMN action text;
