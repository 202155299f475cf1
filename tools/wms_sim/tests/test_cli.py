"""The command line builds the configuration a demo or a test run needs."""

from pathlib import Path

import pytest

from wms_sim.app import config_from_args, parser
from wms_sim.config import Facility, GeneratedCatalog, LearnedCatalog, SimConfig


def config(*argv: str) -> SimConfig:
    return config_from_args(parser().parse_args(list(argv)))


def test_defaults_match_the_shopify_simulator_demo() -> None:
    defaults = config()
    assert defaults.facilities == (Facility("example.myshopify.com", "WH1"),)
    assert defaults.catalog == GeneratedCatalog()
    assert defaults.ship_delay_s == (5.0, 20.0)
    assert defaults.seed is None


def test_flags_reach_the_configuration(tmp_path: Path) -> None:
    catalog = tmp_path / "c.json"
    parsed = config(
        "--shop", "a.myshopify.com",
        "--facility", "WH1",
        "--facility", "b.myshopify.com:WH2",
        "--catalog", str(catalog),
        "--seed", "4",
        "--no-auto-ship",
        "--snapshot-interval", "0",
        "--adjustment-interval", "off",
        "--split-probability", "0.5",
    )  # fmt: skip
    assert parsed.facilities == (
        Facility("a.myshopify.com", "WH1"),
        Facility("b.myshopify.com", "WH2"),
    )
    assert parsed.catalog == catalog and parsed.seed == 4
    assert parsed.ship_delay_s is None
    assert parsed.snapshot_interval_s is None and parsed.random_adjustment_interval_s is None
    assert parsed.split_probability == 0.5


def test_the_catalog_can_come_only_from_the_items_sent() -> None:
    parsed = config("--catalog-from-items", "--min-quantity", "5", "--max-quantity", "9")
    assert parsed.catalog == LearnedCatalog(min_quantity=5, max_quantity=9)
    with pytest.raises(SystemExit):
        config("--catalog-from-items", "--catalog", "c.json")


def test_nonsense_is_refused() -> None:
    with pytest.raises(ValueError, match="within"):
        config("--own-cancel-probability", "2")
    with pytest.raises(ValueError, match="ship delay"):
        config("--ship-delay", "20", "5")
