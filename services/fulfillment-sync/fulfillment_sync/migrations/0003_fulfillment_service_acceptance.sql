-- A facility connected as a fulfillment service: Shopify takes a fulfillment only once the
-- service accepted the fulfillment request, and a shipment can overtake order-intake's accept.
--   awaiting_acceptance  the request is not accepted in Shopify yet; looked at again at
--                        next_attempt_at (a growing delay, capped), never given up on
ALTER TABLE shipments DROP CONSTRAINT shipments_state_check;
ALTER TABLE shipments ADD CONSTRAINT shipments_state_check CHECK (state IN
    ('awaiting_order', 'pending', 'creating', 'on_hold', 'awaiting_acceptance', 'synced',
     'failed'));

DROP INDEX shipments_due;
CREATE INDEX shipments_due ON shipments (next_attempt_at)
    WHERE state IN ('pending', 'creating', 'on_hold', 'awaiting_acceptance');
