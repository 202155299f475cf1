"""Full snapshots, end to end: parts assembled, only changes pushed, bad rows set aside."""

import random
import uuid
from datetime import datetime
from typing import Any

from inventory_sync.domain import REASON_TEXT
from shopify_sim.testing import SimulatorHandle
from testkit.probe import eventually

from .conftest import DOMAIN, FACILITY, OTHER, STOCK, T0, InventoryFactory, later, sku


async def test_a_snapshot_in_parts_is_applied_once_whatever_arrives_twice_or_out_of_order(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=600) as world:
        truth = {sku(n): (n * 7) % 90 for n in range(1, 601)}
        changed = sum(1 for quantity in truth.values() if quantity != STOCK)

        def shuffled_with_repeats(parts: list) -> list:
            mixed = parts[::-1]
            random.Random(3).shuffle(mixed)
            return [mixed[0], *mixed, mixed[1]]  # the same part id delivered again, twice

        parts = await world.snapshot(truth, per_part=100, order=shuffled_with_repeats)
        [job] = await world.wait_jobs_done("snapshot", 1)
        await world.settled()

        assert {s: world.available(s) for s in truth} == truth
        assert world.available(sku(1), OTHER) == STOCK  # another location is left alone
        # 250 quantities per call, only the changes: ceil(changed / 250) calls.
        assert await world.mutations() == -(-changed // 250)
        assert job["state"] == "done"
        progress = job["progress"]
        assert (progress["changes"], progress["pushed"]) == (changed, changed)
        assert progress["unchanged"] == len(truth) - changed
        assert progress["set_aside"] == {}

        # A part of the applied snapshot arriving again (a new message id) changes nothing.
        await world.publish(parts[2].model_copy(update={"id": uuid.uuid4()}))
        await world.settled()
        assert len(await world.jobs("snapshot")) == 1
        facility = await world.facility_status()
        snapshot = facility["last_snapshot"]
        assert (snapshot["state"], snapshot["received_parts"], snapshot["parts"]) == (
            "applied",
            6,
            6,
        )
        assert snapshot["job"]["progress"]["pushed"] == changed


async def test_an_unchanged_snapshot_sent_again_makes_no_mutation(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=300) as world:
        truth = {sku(n): n % 40 for n in range(1, 301)}
        await world.snapshot(truth)
        await world.wait_jobs_done("snapshot", 1)
        await world.settled()
        calls = await world.mutations()
        assert calls == 2

        await world.snapshot(truth, as_of=later(3600))
        [_, again] = await world.wait_jobs_done("snapshot", 2)
        await world.settled()

        assert await world.mutations() == calls
        assert again["progress"]["changes"] == 0
        assert again["progress"]["unchanged"] == 300


async def test_unknown_duplicate_negative_and_unstocked_skus_are_set_aside_and_the_rest_applies(
    inventory: InventoryFactory,
) -> None:
    def catalog_problems(sim: SimulatorHandle) -> None:
        shop = sim.simulator.store.shop(sim.simulator.store.shops()[0].domain)
        fed = next(loc for loc in shop.locations.values() if loc.name != OTHER)
        # Two Shopify items carry DUP-1; NOWHERE exists but is not stocked where WH1 feeds.
        for title in ("Dup A", "Dup B"):
            variant = shop.add_variant(product_title=title, title="M", sku="DUP-1", price="1.00")
            shop.stock(variant.inventory_item_id, fed.id, 5)
        shop.add_variant(product_title="Nowhere", title="M", sku="NOWHERE", price="1.00")

    async with inventory(products=10, prepare=catalog_problems) as world:
        truth = {sku(n): 20 + n for n in range(1, 11)}
        bad = {"DUP-1": 3, "GHOST-404": 4, "NOWHERE": 6, sku(9): -2}
        await world.snapshot({**truth, **bad})
        [job] = await world.wait_jobs_done("snapshot", 1)
        await world.settled()

        good = {s: q for s, q in truth.items() if s != sku(9)}
        assert {s: world.available(s) for s in good} == good
        assert world.available(sku(9)) == STOCK
        assert job["progress"]["set_aside"] == {
            "duplicate_sku": 1,
            "unknown_sku": 1,
            "not_stocked_at_location": 1,
            "negative_quantity": 1,
        }
        assert job["progress"]["pushed"] == len(good)
        assert await world.mutations() == 1  # the bad rows never reached Shopify
        set_aside = (await world.facility_status())["set_aside"]
        assert set_aside["by_reason"] == job["progress"]["set_aside"]
        reasons = {row["sku"]: row["reason"] for row in set_aside["examples"]}
        assert reasons == {
            "DUP-1": "duplicate_sku",
            "GHOST-404": "unknown_sku",
            "NOWHERE": "not_stocked_at_location",
            sku(9): "negative_quantity",
        }

        # Fixed in the next snapshot: the SKU is no longer set aside.
        await world.snapshot({sku(9): 4}, as_of=later(60))
        await world.wait_jobs_done("snapshot", 2)
        await world.settled()
        assert world.available(sku(9)) == 4
        assert sku(9) not in {
            row["sku"] for row in (await world.facility_status())["set_aside"]["examples"]
        }


async def test_a_snapshot_missing_parts_is_never_applied_and_is_reported_incomplete(
    inventory: InventoryFactory,
) -> None:
    settings = {"INVENTORY_SYNC_SNAPSHOT_TIMEOUT_S": "1"}
    async with inventory(products=30, settings=settings) as world:
        truth = {sku(n): 1 for n in range(1, 31)}
        parts = await world.snapshot(truth, per_part=10, order=lambda parts: parts[:2])

        async def reported_incomplete() -> bool:
            snapshot = (await world.facility_status())["last_snapshot"]
            return snapshot is not None and snapshot["state"] == "incomplete"

        await eventually(reported_incomplete, timeout_s=10)
        snapshot = (await world.facility_status())["last_snapshot"]
        assert (snapshot["received_parts"], snapshot["parts"]) == (2, 3)
        assert "2 of 3 parts" in snapshot["note"]
        # The missing part arriving late does not revive it.
        await world.publish(parts[2])
        await world.handled([parts[2]])
        await world.settled()
        assert await world.mutations() == 0
        assert await world.jobs("snapshot") == []
        assert world.available(sku(1)) == STOCK
        assert snapshot["job"] is None


def snapshot_part(
    snapshot_id: str, part: int, parts: int, rows: list[tuple[str, int]], as_of: datetime = T0
) -> dict[str, Any]:
    return {
        "snapshot_id": snapshot_id,
        "facility": FACILITY,
        "as_of": as_of,
        "part": part,
        "parts": parts,
        "items": [{"sku": s, "available": a, "on_hand": a} for s, a in rows],
    }


async def test_a_sku_twice_in_one_part_is_set_aside_and_the_rest_of_the_part_applies(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=10) as world:
        rows = [(sku(1), 11), (sku(2), 12), (sku(1), 3), (sku(3), 13)]
        await world.send(
            "wms.inventory.snapshot", snapshot_part("WH1-twice", 1, 1, rows), occurred_at=T0
        )
        [job] = await world.wait_jobs_done("snapshot", 1)
        await world.settled()

        assert await world.runtime.pool.fetchval("SELECT count(*) FROM dead_letters") == 0
        assert (world.available(sku(2)), world.available(sku(3))) == (12, 13)
        assert world.available(sku(1)) == STOCK  # neither row is believed
        assert job["state"] == "done"
        assert job["progress"]["set_aside"] == {"duplicate_in_snapshot": 1}
        assert job["progress"]["pushed"] == 2
        set_aside = (await world.facility_status())["set_aside"]
        assert set_aside["by_reason"] == {"duplicate_in_snapshot": 1}
        assert set_aside["reasons"]["duplicate_in_snapshot"] == REASON_TEXT["duplicate_in_snapshot"]
        [row] = set_aside["examples"]
        assert (row["sku"], row["reason"], row["detail"]) == (
            sku(1),
            "duplicate_in_snapshot",
            "SKU appears twice in part 1 of snapshot WH1-twice: "
            "available 11, on hand 11; available 3, on hand 3",
        )
        assert await world.runtime.pool.fetchval("SELECT count(*) FROM snapshot_duplicates") == 0


async def test_a_sku_in_two_parts_is_set_aside_until_the_warehouse_reports_it_once(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=10) as world:
        await world.snapshot({sku(n): 20 + n for n in range(1, 11)})
        await world.wait_jobs_done("snapshot", 1)
        await world.settled()
        assert world.available(sku(4)) == 24

        # The next snapshot lists SKU 4 in both of its parts; part 2 arrives first.
        first = [(sku(n), 30 + n) for n in range(1, 5)]
        second = [(sku(4), 9), *((sku(n), 30 + n) for n in range(5, 11))]
        as_of = later(60)
        for number, rows in ((2, second), (1, [*first[:3], (sku(4), 7)])):
            await world.send(
                "wms.inventory.snapshot",
                snapshot_part("WH1-across", number, 2, rows, as_of),
                occurred_at=as_of,
            )
        [_, job] = await world.wait_jobs_done("snapshot", 2)
        await world.settled()

        assert {s: world.available(s) for s in map(sku, range(1, 11)) if s != sku(4)} == {
            sku(n): 30 + n for n in range(1, 11) if n != 4
        }
        assert world.available(sku(4)) == 24
        assert job["progress"]["set_aside"] == {"duplicate_in_snapshot": 1}

        async def set_aside_detail() -> str | None:
            examples = (await world.facility_status())["set_aside"]["examples"]
            return next((r["detail"] for r in examples if r["sku"] == sku(4)), None)

        assert await set_aside_detail() == (
            "SKU appears twice, in parts 1 and 2 of snapshot WH1-across: "
            "available 7, on hand 7 (part 1); available 9, on hand 9 (part 2)"
        )

        # What was known before the snapshot is no longer the truth: a full sync leaves Shopify
        # alone for the SKU (a push of the old 24 would undo this sale) and keeps it set aside.
        world.sell_behind_our_back(sku(4), 1)
        status, _ = await world.request(
            "POST", "/inventory/full-sync", {"shop": DOMAIN, "facility": FACILITY}
        )
        assert status == 202
        await world.wait_jobs_done("full_sync", 1)
        await world.settled()
        assert world.available(sku(4)) == 23
        assert await set_aside_detail() is not None

        # Reported once again (an adjustment after the snapshot): pushed, no longer set aside.
        await world.adjust(sku(4), 5, later(120))
        await world.settled()
        assert world.available(sku(4)) == 5
        assert await set_aside_detail() is None
