-- Answering the requests Shopify sends a facility connected as a fulfillment service.

-- What Shopify was told of the request on this WMS order's fulfillment order (accepted,
-- rejected): a rejected WMS order whose FO the merchant requests again is then sent again.
ALTER TABLE wms_orders
    ADD COLUMN request_answered    text CHECK (request_answered IN ('accepted', 'rejected')),
    ADD COLUMN request_answered_at timestamptz;

-- At most one answer owed per fulfillment order: the latest decision's.
CREATE TABLE pending_request_answers (
    shop                 text        NOT NULL,
    fulfillment_order_id text        NOT NULL,
    kind                 text        NOT NULL CHECK (kind IN ('accept_fulfillment',
                             'reject_fulfillment', 'accept_cancellation', 'reject_cancellation')),
    order_gid            text        NOT NULL,
    order_name           text        NOT NULL,
    wms_order_ref        text,
    reason               text,
    message              text        NOT NULL,
    requested_at         timestamptz NOT NULL DEFAULT now(),
    attempts             int         NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz NOT NULL DEFAULT now(),
    lease_until          timestamptz,
    last_error           text,
    failed_at            timestamptz,
    -- Failed because Shopify refused it while the request still waited for it: sending it again
    -- would be refused again, so a decision owing it again does not revive it.
    refused              boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (shop, fulfillment_order_id)
);
CREATE INDEX pending_request_answers_due ON pending_request_answers (next_attempt_at)
    WHERE failed_at IS NULL;

-- Every answer given, or found superseded (the request had moved on before it was sent).
CREATE TABLE request_answers (
    id                   bigserial   PRIMARY KEY,
    shop                 text        NOT NULL,
    fulfillment_order_id text        NOT NULL,
    order_gid            text        NOT NULL,
    order_name           text        NOT NULL,
    wms_order_ref        text,
    kind                 text        NOT NULL,
    reason               text,
    message              text        NOT NULL,
    outcome              text        NOT NULL CHECK (outcome IN ('answered', 'superseded')),
    detail               text,
    answered_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_answers_fulfillment_order ON request_answers (shop, fulfillment_order_id);
CREATE INDEX request_answers_kind ON request_answers (kind, answered_at);

-- "Read the requests waiting at this facility's service": notifications collapse into one.
CREATE TABLE pending_request_scans (
    shop            text        NOT NULL,
    facility        text        NOT NULL,
    reason          text        NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    generation      int         NOT NULL DEFAULT 1,
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text,
    PRIMARY KEY (shop, facility)
);
