-- Outbox bodies live for milliseconds: compress them with lz4, not the default pglz, which costs
-- twice the CPU per 15 KB webhook body on write and read. A server built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE outbox ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 not available; outbox bodies stay pglz-compressed';
END
$$;
