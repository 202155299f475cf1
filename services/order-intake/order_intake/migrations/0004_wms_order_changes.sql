-- Keeping the warehouse's work equal to Shopify's after an order was sent (reconcile.py).

-- An FO can have more than one WMS order: extra units arriving on an FO already sent (a merge,
-- an edit adding units) go out as another WMS order for the same FO, with the next suffix.
ALTER TABLE wms_orders DROP CONSTRAINT wms_orders_shop_fulfillment_order_id_key;
CREATE INDEX wms_orders_fulfillment_order ON wms_orders (shop, fulfillment_order_id);

-- What the WMS holds per WMS order, and the one change (reduce or cancel) it was asked for and
-- has not answered, or refused:
-- - `assigned`: {line_ref: units} after the reductions the WMS confirmed (NULL: as sent);
-- - `line_items`: {line_ref: LineItem GID}; lines are matched by it, as FO line ids change;
-- - `pending_*`: the unanswered change; its age past ORDER_INTAKE_WMS_ANSWER_TIMEOUT_S is an
--   operator problem, and while it stands no new WMS order of the order is sent;
-- - `refused_*`: what the WMS refused, shown to operators until they re-sync the order;
-- - `cancelled_at`: the WMS confirmed a cancel we asked for (it holds nothing);
-- - `resend_requested_at`: rejected, and an operator re-synced the order: send it again.
ALTER TABLE wms_orders
    ADD COLUMN assigned            jsonb,
    ADD COLUMN line_items          jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN pending_kind        text CHECK (pending_kind IN ('reduce', 'cancel')),
    ADD COLUMN pending_lines       jsonb,
    ADD COLUMN pending_change      text,
    ADD COLUMN pending_since       timestamptz,
    ADD COLUMN refused_kind        text CHECK (refused_kind IN ('reduce', 'cancel')),
    ADD COLUMN refused_change      text,
    ADD COLUMN refused_reason      text,
    ADD COLUMN refused_at          timestamptz,
    ADD COLUMN cancelled_at        timestamptz,
    ADD COLUMN resend_requested_at timestamptz;
CREATE INDEX wms_orders_pending ON wms_orders (pending_since) WHERE pending_since IS NOT NULL;
CREATE INDEX wms_orders_refused ON wms_orders (refused_at) WHERE refused_at IS NOT NULL;

-- Every FO id of the order at its last read, so a fulfillment_orders/* webhook (which names FOs,
-- not the order) finds its order, sent or not.
ALTER TABLE orders ADD COLUMN fulfillment_order_ids text[] NOT NULL DEFAULT '{}';
CREATE INDEX orders_fulfillment_orders ON orders USING gin (fulfillment_order_ids);

-- Edits the WMS is not told about, per field: an operator problem until acknowledged (by
-- re-syncing the order); a later, different change of the same field shows again.
ALTER TABLE ignored_edits
    ADD COLUMN fingerprint     text,
    ADD COLUMN acknowledged_at timestamptz;
-- Older rows named several fields at once and were never shown as problems: kept, as seen.
UPDATE ignored_edits SET acknowledged_at = last_seen_at;
