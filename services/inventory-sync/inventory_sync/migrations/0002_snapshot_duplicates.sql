-- A snapshot listing a SKU more than once (in one part, or in two parts) cannot say which row
-- is true: none applies, the SKU is set aside when the snapshot is applied, the rest applies.
-- snapshot_items keeps the first row stored for each SKU (where it came from, for the report);
-- every further row lands in snapshot_duplicates. Applying the snapshot moves the first row of
-- each such SKU there too, so a re-run of the job finds them all again.
ALTER TABLE snapshot_items ADD COLUMN part int, ADD COLUMN position int;

CREATE TABLE snapshot_duplicates (
    id        bigserial PRIMARY KEY,
    snapshot  bigint    NOT NULL REFERENCES snapshots ON DELETE CASCADE,
    sku       text      NOT NULL,
    part      int,
    position  int,
    available int       NOT NULL,
    on_hand   int       NOT NULL
);
CREATE INDEX snapshot_duplicates_snapshot ON snapshot_duplicates (snapshot, sku);
