-- No unique constraint on purpose: a message handled twice would show as two rows.
CREATE TABLE effects (
    id         bigserial PRIMARY KEY,
    message_id uuid NOT NULL,
    ref        text NOT NULL
);
