-- The messaging runtime's tables, created in each service's own schema (search_path).

-- Transactional outbox: rows written in the same transaction as the state change that caused them;
-- the relay publishes them with publisher confirms and deletes them only after the confirm.
CREATE TABLE outbox (
    id             bigserial PRIMARY KEY,
    message_id     text        NOT NULL,
    message_type   text        NOT NULL,
    correlation_id text,
    exchange       text        NOT NULL,
    routing_key    text        NOT NULL,
    body           bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    attempts       int         NOT NULL DEFAULT 0,
    last_error     text
);

-- Idempotent consumer: a message id is recorded in the same transaction as its effect.
CREATE TABLE inbox (
    message_id   uuid PRIMARY KEY,
    message_type text        NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_received_at ON inbox (received_at);

-- Messages that could not be handled: kept with the reason until an operator replays them.
CREATE TABLE dead_letters (
    id             bigserial PRIMARY KEY,
    message_id     text        NOT NULL UNIQUE,
    message_type   text,
    correlation_id text,
    queue          text        NOT NULL,
    reason         text        NOT NULL,
    attempts       int         NOT NULL,
    body           bytea       NOT NULL,
    headers        jsonb       NOT NULL DEFAULT '{}',
    first_failed_at timestamptz NOT NULL DEFAULT now(),
    dead_at        timestamptz NOT NULL DEFAULT now(),
    replayed_at    timestamptz
);
CREATE INDEX dead_letters_open ON dead_letters (dead_at) WHERE replayed_at IS NULL;
