-- Wake the sync worker from the database itself when a trigger adds or renews a pending read:
-- the NOTIFY runs inside the statement, so a webhook costs one round trip instead of two.
-- (Identical notifications in one transaction are delivered once, at commit.)
CREATE FUNCTION notify_pending_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('order_intake_sync', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER pending_syncs_notify
    AFTER INSERT OR UPDATE OF generation ON pending_syncs
    FOR EACH STATEMENT EXECUTE FUNCTION notify_pending_sync();
