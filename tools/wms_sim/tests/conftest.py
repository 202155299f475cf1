from collections.abc import AsyncIterator

import pytest

from wms_sim import SimConfig, WmsSimulator
from wms_sim.testing import Project, StartSimulator, project_side


@pytest.fixture
async def project(isolated_vhost: str) -> AsyncIterator[Project]:
    async with project_side(isolated_vhost) as side:
        yield side


@pytest.fixture
async def start_simulator(isolated_vhost: str, project: Project) -> AsyncIterator[StartSimulator]:
    """`await start_simulator(SimConfig(...))`: a running warehouse, stopped after the test."""
    started: list[WmsSimulator] = []

    async def start(config: SimConfig) -> WmsSimulator:
        simulator = WmsSimulator(config)
        await simulator.start(isolated_vhost)
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        await simulator.stop()
