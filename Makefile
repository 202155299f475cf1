# The commands a newcomer needs. Everything runs through uv from the repo's own lock file.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV_VERSION := 0.9.30
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

# mypy --strict on the contracts, libraries, services and tools (named as package folders: the
# top-level `contracts/` folder would otherwise shadow the `contracts` package).
STRICT := contracts/contracts libs/messaging/messaging libs/storage/storage libs/work_queue/work_queue \
          libs/service_runtime/service_runtime libs/shopify_admin/shopify_admin \
          libs/shop_config/shop_config libs/testkit/testkit \
          services/webhook-gateway/webhook_gateway services/order-intake/order_intake \
          services/fulfillment-sync/fulfillment_sync services/inventory-sync/inventory_sync \
          services/cancellation/cancellation services/operator-status/operator_status \
          tools/shopify_sim/shopify_sim tools/wms_sim/wms_sim tools/devstack/devstack \
          tools/shipbridge_cli/shipbridge_cli tools/bench/bench

.PHONY: install run test lint format contracts bench clean

install: .venv/.synced

.venv/.synced: pyproject.toml uv.lock $(wildcard */*/pyproject.toml contracts/pyproject.toml)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --all-packages --frozen
	@touch $@

## Start everything (services, status page, simulators) against DATABASE_URL / AMQP_URL.
run: install
	$(UV) run --no-sync python -m devstack

## The whole test suite against the real Postgres and RabbitMQ.
test: install
	$(UV) run --no-sync pytest

lint: install
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync mypy --strict $(STRICT)

format: install
	$(UV) run --no-sync ruff format .
	$(UV) run --no-sync ruff check --fix .

## Regenerate the JSON Schemas and the AsyncAPI document from the contracts.
contracts: install
	$(UV) run --no-sync python -m devstack.contracts

## Benchmarks: each prints its figures and the ratio to a baseline measured in the same run.
bench: install
	$(UV) run --no-sync python -m bench

clean:
	rm -rf .venv .run .pytest_cache .mypy_cache .ruff_cache
