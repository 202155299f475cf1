"""A simulated warehouse (WMS/3PL) speaking SPEC section 3: for tests, demo and benchmarks.

`python -m wms_sim --help` runs it; `WmsSimulator(SimConfig(...))` runs it inside a test.
"""

from wms_sim.config import Facility, GeneratedCatalog, LearnedCatalog, SimConfig
from wms_sim.simulator import WmsSimulator
from wms_sim.state import OrderStatus, StockLevel, WarehouseOrder

__all__ = [
    "Facility",
    "GeneratedCatalog",
    "LearnedCatalog",
    "OrderStatus",
    "SimConfig",
    "StockLevel",
    "WarehouseOrder",
    "WmsSimulator",
]
