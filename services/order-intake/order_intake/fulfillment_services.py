"""Each facility connected as a fulfillment service exists as one in each shop: registration.

At start and then every `registration_interval_s`, for every shop and every facility of its
`[shops.facilities]` in `fulfillment_service` mode, the shop's fulfillment services are read and
compared with the facility's settings (`plan`, pure):

- the facility's service is the one whose id was recorded, else the one whose name is the
  configured name (case-insensitive): that is how it is found again after a restart, or after
  a create whose answer was lost, instead of creating a second one;
- none: `fulfillmentServiceCreate`. Shopify refuses a name already taken (for instance by our
  own create, sent again by the client after a lost answer): the list is read again and that
  service adopted;
- settings differ (callback URL, inventory management, tracking support; the name too when it
  was found by id): `fulfillmentServiceUpdate`.

What was found is recorded per (shop, facility) (registry_store) with
`orders.fulfillment_service.registered` in the same transaction, after every successful check,
so a service that starts later still learns the location. A service seen for the first time, or
whose location changed, also asks for a scan of the requests waiting at its location.

Deleting a service is an operator's action only (`delete`): its state becomes
`deleted_by_operator` and the schedule leaves it alone until an operator registers it again
(`register`, which runs a check now).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
import structlog

from contracts import FulfillmentServiceRegistered, new_envelope
from messaging import add_to_outbox
from order_intake import installations, registry_store, request_store
from order_intake.registry_store import Recorded
from shop_config import ServiceFacility, ShopConfig, ShopsConfig
from shopify_admin.errors import ShopifyError
from shopify_admin.mutations import ShopifyExecutor
from shopify_admin.operations import (
    FULFILLMENT_SERVICE_CREATE,
    FULFILLMENT_SERVICE_DELETE,
    FULFILLMENT_SERVICE_UPDATE,
    FULFILLMENT_SERVICES,
)
from shopify_admin.results import MutationResult
from storage import Connection
from work_queue import WorkStats, periodic

log = structlog.get_logger(__name__)

InventoryAction = Literal["TRANSFER", "KEEP", "DELETE"]
INVENTORY_ACTIONS: tuple[InventoryAction, ...] = ("TRANSFER", "KEEP", "DELETE")
_LOCATION_GID = re.compile(r"^gid://shopify/Location/[0-9]+$")

DELETED_REASON = "deleted by an operator"
STILL_CONFIGURED = "deleted by an operator; still in the shops file"
DELETE_PENDING = "deleted by an operator; Shopify has not confirmed the delete"


# --- what is configured and what Shopify has --------------------------------------------------


@dataclass(frozen=True)
class ServiceSettings:
    """What a fulfillment service is set to (in the shops file, or in Shopify)."""

    name: str
    callback_url: str | None
    inventory_management: bool
    tracking_support: bool

    @classmethod
    def configured(cls, code: str, facility: ServiceFacility) -> "ServiceSettings":
        return cls(
            name=facility.name,
            callback_url=facility.callback_for(code),
            inventory_management=facility.inventory_management,
            tracking_support=facility.tracking_support,
        )


@dataclass(frozen=True)
class ShopifyService:
    """One of `shop.fulfillmentServices` (FULFILLMENT_SERVICES)."""

    id: str
    settings: ServiceSettings
    location_id: str | None

    @classmethod
    def from_node(cls, node: Mapping[str, Any]) -> "ShopifyService":
        location = node.get("location")
        return cls(
            id=str(node["id"]),
            settings=ServiceSettings(
                name=str(node.get("serviceName") or ""),
                callback_url=node.get("callbackUrl"),
                inventory_management=bool(node.get("inventoryManagement")),
                tracking_support=bool(node.get("trackingSupport")),
            ),
            location_id=location.get("id") if isinstance(location, Mapping) else None,
        )


# --- planning (pure) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Keep:
    """The facility's service exists as configured."""

    service: ShopifyService


@dataclass(frozen=True)
class Create:
    settings: ServiceSettings

    @property
    def variables(self) -> dict[str, Any]:
        return {
            "name": self.settings.name,
            "callbackUrl": self.settings.callback_url,
            "inventoryManagement": self.settings.inventory_management,
            "trackingSupport": self.settings.tracking_support,
        }


@dataclass(frozen=True)
class Update:
    service: ShopifyService
    changes: dict[str, Any]
    """The GraphQL arguments whose value differs, with the configured value."""

    @property
    def variables(self) -> dict[str, Any]:
        return {"id": self.service.id, **self.changes}


Plan = Keep | Create | Update


# Shopify's own services (Manual at the shop's primary location, gift cards, ...), listed beside
# the apps' ones: a facility named like one of them must never adopt it (its location would
# route the shop's own orders as requests); Shopify refuses to create such a name instead.
_RESERVED_HANDLES = frozenset({"manual", "gift_card", "shopify", "amazon"})


def _handle(name: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", name.lower()).strip("-")


def _same_name(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _same_url(a: str | None, b: str | None) -> bool:
    # Shopify may hand the URL back with or without a trailing slash.
    return (a or "").rstrip("/") == (b or "").rstrip("/")


def find(
    found: Sequence[ShopifyService], name: str, recorded_id: str | None
) -> tuple[ShopifyService | None, bool]:
    """The facility's service among `found` and whether it was found by its recorded id: the
    recorded id first, then the name (case-insensitive; an exact match wins)."""
    if recorded_id is not None:
        for service in found:
            if service.id == recorded_id:
                return service, True
    named = [
        s
        for s in found
        if _same_name(s.settings.name, name) and _handle(s.settings.name) not in _RESERVED_HANDLES
    ]
    exact = [s for s in named if s.settings.name == name]
    return ((exact or named)[0] if named else None), False


def plan(found: Sequence[ShopifyService], wanted: ServiceSettings, recorded_id: str | None) -> Plan:
    """What to do so that the shop has the facility's service as configured."""
    service, by_id = find(found, wanted.name, recorded_id)
    if service is None:
        return Create(wanted)
    have = service.settings
    changes: dict[str, Any] = {}
    # Found by its name, the name is right (up to case, which Shopify's uniqueness ignores too).
    # Found by id under another name, the shops file renamed it.
    if by_id and have.name != wanted.name:
        changes["name"] = wanted.name
    if not _same_url(have.callback_url, wanted.callback_url):
        changes["callbackUrl"] = wanted.callback_url
    if have.inventory_management != wanted.inventory_management:
        changes["inventoryManagement"] = wanted.inventory_management
    if have.tracking_support != wanted.tracking_support:
        changes["trackingSupport"] = wanted.tracking_support
    return Update(service, changes) if changes else Keep(service)


def inventory_action_for(
    destination_location_id: str | None, inventory_action: str | None
) -> InventoryAction:
    """What happens to the service's location and stock when it is deleted; ValueError (for the
    operator) when the arguments do not make sense.

    Shopify's default is TRANSFER, which moves the location's inventory and commitments to
    `destinationLocationId` (an active merchant-managed location) and so needs one. Without a
    destination the action defaults to KEEP instead (the location stays, with its stock, as a
    merchant-managed location), and it is always sent, so Shopify's default never applies.
    """
    if destination_location_id is not None and not _LOCATION_GID.match(destination_location_id):
        raise ValueError(
            "destination_location_id must be a location GID (gid://shopify/Location/…)"
        )
    given = (inventory_action or ("TRANSFER" if destination_location_id else "KEEP")).upper()
    known = next((action for action in INVENTORY_ACTIONS if action == given), None)
    if known is None:
        raise ValueError(f"inventory_action must be one of {', '.join(INVENTORY_ACTIONS)}")
    if known == "TRANSFER" and destination_location_id is None:
        raise ValueError(
            "inventory_action TRANSFER needs destination_location_id: the active "
            "merchant-managed location that takes the service's inventory and commitments"
        )
    if known != "TRANSFER" and destination_location_id is not None:
        raise ValueError("destination_location_id is only used with inventory_action TRANSFER")
    return known


def delete_variables(
    service_id: str, destination_location_id: str | None, inventory_action: str | None
) -> dict[str, Any]:
    """Variables of FULFILLMENT_SERVICE_DELETE (see `inventory_action_for`)."""
    return {
        "id": service_id,
        "destinationLocationId": destination_location_id,
        "inventoryAction": inventory_action_for(destination_location_id, inventory_action),
    }


# --- operator view (pure) ------------------------------------------------------------------------


def entry(shop: ShopConfig | None, facility: str, recorded: Recorded | None) -> dict[str, Any]:
    """One (shop, facility) for /status, the operator endpoints and the command line; `problem`
    says what an operator must look at (None: nothing)."""
    configured = shop is not None and facility in shop.service_facilities
    if recorded is None:
        assert shop is not None
        service = shop.service_facilities[facility]
        body: dict[str, Any] = {
            "shop": shop.domain,
            "facility": facility,
            "name": service.name,
            "state": "missing",
            "reason": "not checked yet",
            "service_id": None,
            "location_id": None,
            "last_checked_at": None,
            "last_error": None,
        }
    else:
        body = recorded.as_json()
    body["configured"] = configured
    body["problem"] = _problem(body) if configured else None
    return body


def _problem(body: Mapping[str, Any]) -> str | None:
    if body["state"] == "deleted_by_operator":
        if body.get("last_error"):
            return f"{STILL_CONFIGURED}: {body['last_error']}"
        return STILL_CONFIGURED
    if body["state"] != "registered":
        return f"missing: {body.get('reason') or 'not registered'}"
    if body.get("last_error"):
        return f"last check failed: {body['last_error']}"
    return None


def entries(shops: ShopsConfig, recorded: Sequence[Recorded]) -> list[dict[str, Any]]:
    """Every configured service facility of every shop, and every recorded one no longer
    configured (shown, never a problem)."""
    by_key = {(r.shop, r.facility): r for r in recorded}
    listed = [
        entry(shop, code, by_key.pop((shop.domain, code), None))
        for shop in shops
        for code in shop.service_facilities
    ]
    listed += [entry(shops.get(r.shop), r.facility, r) for r in by_key.values()]
    return sorted(listed, key=lambda e: (e["shop"], e["facility"]))


# --- talking to Shopify --------------------------------------------------------------------------


async def list_services(client: ShopifyExecutor) -> list[ShopifyService]:
    data = await client.execute(FULFILLMENT_SERVICES)
    nodes = (data.get("shop") or {}).get("fulfillmentServices") or []
    return [ShopifyService.from_node(node) for node in nodes if isinstance(node, Mapping)]


def _service_in(result: MutationResult) -> ShopifyService | None:
    node = result.payload.get("fulfillmentService")
    return ShopifyService.from_node(node) if isinstance(node, Mapping) else None


def _refusal(mutation: str, result: MutationResult) -> str:
    messages = "; ".join(e.message for e in result.user_errors) or "no service in the answer"
    return f"{mutation} refused: {messages}"


@dataclass(frozen=True)
class Converged:
    """Where one check left the facility's service."""

    service: ShopifyService | None
    """None: there is none (the create was refused, `error` says why)."""
    created: bool = False
    updated: bool = False
    error: str | None = None


async def converge(
    client: ShopifyExecutor, wanted: ServiceSettings, recorded_id: str | None
) -> Converged:
    """Read the shop's services and create or update the facility's as `plan` says."""
    step = plan(await list_services(client), wanted, recorded_id)
    if isinstance(step, Create):
        result = await client.execute_mutation(FULFILLMENT_SERVICE_CREATE, step.variables)
        created = _service_in(result)
        if result.ok and created is not None:
            log.info("fulfillment_service.created", name=wanted.name, service_id=created.id)
            return Converged(created, created=True)
        # Refused, most often because the name is taken: by our own create whose answer was
        # lost (the client sent it again), or by one made before we recorded it. Look again.
        refusal = _refusal("fulfillmentServiceCreate", result)
        step = plan(await list_services(client), wanted, recorded_id)
        if isinstance(step, Create):
            log.warning("fulfillment_service.create_refused", name=wanted.name, error=refusal)
            return Converged(None, error=refusal)
        log.info("fulfillment_service.adopted", name=wanted.name, service_id=step.service.id)
    if isinstance(step, Update):
        result = await client.execute_mutation(FULFILLMENT_SERVICE_UPDATE, step.variables)
        updated = _service_in(result)
        if result.ok and updated is not None:
            log.info(
                "fulfillment_service.updated", service_id=updated.id, changed=sorted(step.changes)
            )
            return Converged(updated, updated=True)
        refusal = _refusal("fulfillmentServiceUpdate", result)
        log.warning("fulfillment_service.update_refused", service_id=step.service.id, error=refusal)
        return Converged(step.service, error=refusal)
    return Converged(step.service)


# --- the worker ----------------------------------------------------------------------------------


class UnknownServiceFacility(LookupError):
    """Not a shop of the shops file, or not one of its fulfillment service facilities."""


class NoAccess(LookupError):
    """The shop has no Admin API access token here."""


class DeleteRefused(Exception):
    """Shopify refused the delete; the service is still there."""


class DeleteUnconfirmed(Exception):
    """Shopify could not be asked, or did not answer: the service may or may not be gone."""


@dataclass(frozen=True)
class Deleted:
    recorded: Recorded
    deleted_service_id: str | None
    """None: Shopify had no such service any more (nothing to delete)."""
    inventory_action: str | None


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@dataclass
class _RoundState:
    last_round_at: datetime | None = None
    last_error: str | None = None
    stats: WorkStats = field(
        default_factory=lambda: WorkStats("checks", "created", "updated", "failed")
    )


class FulfillmentServiceRegistry:
    def __init__(
        self,
        pool: asyncpg.Pool,
        shops: ShopsConfig,
        clients: Mapping[str, ShopifyExecutor],
        interval_s: float,
    ) -> None:
        self._pool = pool
        self._shops = shops
        self._clients = clients
        self._interval_s = interval_s
        self._round = _RoundState()

    def facility(self, domain: str, code: str) -> tuple[ShopConfig, ServiceFacility]:
        shop = self._shops.get(domain)
        if shop is None:
            raise UnknownServiceFacility(f"shop {domain} is not configured")
        facility = shop.service_facilities.get(code)
        if facility is None:
            known = ", ".join(shop.service_facilities) or "none"
            raise UnknownServiceFacility(
                f"{shop.domain} has no fulfillment service facility {code}; configured: {known}"
            )
        return shop, facility

    async def run(self) -> None:
        """Until cancelled: every shop's services now, then every `interval_s`."""
        if not any(shop.service_facilities for shop in self._shops):
            return  # no facility in fulfillment-service mode: nothing to keep registered
        await periodic("fulfillment-service-registration", self.check_all, self._interval_s).run()

    async def check_all(self) -> int:
        """One round over every service facility of every installed shop; returns how many."""
        checked = 0
        try:
            for shop in self._shops:
                if not shop.service_facilities:
                    continue
                async with self._pool.acquire() as conn:
                    if await installations.is_uninstalled(conn, shop.domain):
                        continue  # its token opens nothing; a reinstall's webhook clears the mark
                for code in shop.service_facilities:
                    await self._check_logged(shop, code)
                    checked += 1
        except Exception as exc:
            self._round.last_error = _reason(exc)
            raise
        else:
            self._round.last_error = None
        finally:
            self._round.last_round_at = datetime.now(UTC)
        return checked

    async def register(self, domain: str, code: str) -> Recorded:
        """The operator's register: a check now, also of a service an operator deleted (which
        the schedule then keeps registered again)."""
        shop, _ = self.facility(domain, code)
        return await self._check(shop, code, by_operator=True)

    async def delete(
        self,
        domain: str,
        code: str,
        *,
        destination_location_id: str | None = None,
        inventory_action: str | None = None,
    ) -> Deleted:
        """The operator's delete. ValueError for arguments that make no sense (before anything
        is changed), DeleteRefused (state as before), DeleteUnconfirmed (left deleted: the
        schedule must not create a second service while the first may still exist)."""
        shop, facility = self.facility(domain, code)
        action = inventory_action_for(destination_location_id, inventory_action)
        client = self._client(shop)
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                await registry_store.lock_facility(conn, shop.domain, code)
                before = await registry_store.recorded(conn, shop.domain, code)
                await registry_store.begin_delete(conn, shop.domain, code, DELETE_PENDING)
            try:
                async with conn.transaction():
                    await registry_store.lock_facility(conn, shop.domain, code)
                    deleted = await self._delete(
                        conn, client, shop.domain, code, facility, before,
                        destination_location_id, action,
                    )  # fmt: skip
            except DeleteUnconfirmed as exc:
                async with conn.transaction():
                    await registry_store.finish_delete(
                        conn, shop.domain, code, DELETE_PENDING, str(exc)
                    )
                raise
            except Exception as exc:
                async with conn.transaction():
                    await registry_store.undo_delete(conn, shop.domain, code, before, str(exc))
                raise
            after = await registry_store.recorded(conn, shop.domain, code)
        assert after is not None
        log.warning(
            "fulfillment_service.deleted_by_operator",
            shop=shop.domain,
            facility=code,
            service_id=deleted,
            inventory_action=action,
        )
        return Deleted(after, deleted, action if deleted else None)

    async def status(self) -> list[dict[str, Any]]:
        async with self._pool.acquire() as conn:
            recorded = await registry_store.all_recorded(conn)
        return entries(self._shops, recorded)

    def round_status(self) -> dict[str, Any]:
        at = self._round.last_round_at
        return {
            "last_round_at": at.isoformat() if at else None,
            "last_error": self._round.last_error,
            "interval_s": self._interval_s,
            **self._round.stats.as_json(),
        }

    async def entry(self, domain: str, code: str) -> dict[str, Any]:
        shop, _ = self.facility(domain, code)
        async with self._pool.acquire() as conn:
            recorded = await registry_store.recorded(conn, shop.domain, code)
        return entry(shop, code, recorded)

    # --- one facility ----------------------------------------------------------------------------

    def _client(self, shop: ShopConfig) -> ShopifyExecutor:
        client = self._clients.get(shop.domain)
        if client is None:
            raise NoAccess(f"no Admin API access token for {shop.domain}")
        return client

    async def _check_logged(self, shop: ShopConfig, code: str) -> None:
        """`_check` for the schedule: a failure is recorded and the round goes on."""
        try:
            await self._check(shop, code, by_operator=False)
        except Exception as exc:  # the database, or an answer we could not use
            error = _reason(exc)
            self._round.stats.add("failed")
            log.error("fulfillment_service.check_failed", shop=shop.domain, facility=code,
                      error=error)  # fmt: skip
            try:
                async with self._pool.acquire() as conn:
                    await registry_store.record_failure(conn, shop.domain, code, error)
            except Exception as again:
                log.error("fulfillment_service.record_failed", error=_reason(again))

    async def _check(self, shop: ShopConfig, code: str, *, by_operator: bool) -> Recorded:
        wanted = ServiceSettings.configured(code, shop.service_facilities[code])
        client = self._clients.get(shop.domain)
        async with self._pool.acquire() as conn, conn.transaction():
            # Held while Shopify is asked: another process checking the same facility waits,
            # then finds what this one created instead of creating a second.
            await registry_store.lock_facility(conn, shop.domain, code)
            before = await registry_store.recorded(conn, shop.domain, code)
            if before is not None and before.state == "deleted_by_operator" and not by_operator:
                return before
            self._round.stats.add("checks")
            if client is None:
                reason = f"no Admin API access token for {shop.domain}"
                await registry_store.record_missing(conn, shop.domain, code, reason)
            else:
                try:
                    converged = await converge(
                        client, wanted, before.service_id if before else None
                    )
                except ShopifyError as exc:
                    error = _reason(exc)
                    self._round.stats.add("failed")
                    log.warning("fulfillment_service.check_failed", shop=shop.domain,
                                facility=code, error=error)  # fmt: skip
                    await registry_store.record_failure(conn, shop.domain, code, error)
                else:
                    await self._record(conn, shop.domain, code, before, converged)
            after = await registry_store.recorded(conn, shop.domain, code)
        assert after is not None
        return after

    async def _record(
        self, conn: Connection, shop: str, code: str, before: Recorded | None, done: Converged
    ) -> None:
        service = done.service
        if service is None or service.location_id is None:
            reason = done.error or "Shopify shows the service without a location"
            await registry_store.record_missing(conn, shop, code, reason)
            return
        self._round.stats.add("created", int(done.created))
        self._round.stats.add("updated", int(done.updated))
        settings = service.settings
        await registry_store.record_registered(
            conn,
            shop,
            code,
            service_id=service.id,
            location_id=service.location_id,
            name=settings.name,
            callback_url=settings.callback_url,
            inventory_management=settings.inventory_management,
            tracking_support=settings.tracking_support,
            created=done.created,
            updated=done.updated,
            error=done.error,
        )
        registered = FulfillmentServiceRegistered(
            facility=code,
            fulfillment_service_id=service.id,
            location_id=service.location_id,
            inventory_management=settings.inventory_management,
            tracking_support=settings.tracking_support,
        )
        await add_to_outbox(
            conn, new_envelope("orders.fulfillment_service.registered", registered, shop=shop)
        )
        if before is None or before.state != "registered" or before.service_id != service.id:
            await request_store.request_scan(conn, shop, code, "fulfillment service registered")
        elif before.location_id != service.location_id:
            await request_store.request_scan(
                conn, shop, code, "fulfillment service location changed"
            )

    async def _delete(
        self,
        conn: Connection,
        client: ShopifyExecutor,
        shop: str,
        code: str,
        facility: ServiceFacility,
        before: Recorded | None,
        destination_location_id: str | None,
        inventory_action: InventoryAction,
    ) -> str | None:
        """Delete the facility's service in Shopify and record it; the deleted id, or None when
        Shopify had none."""
        found = await list_services(client)  # fails before anything changed: undone
        target, _ = find(found, facility.name, before.service_id if before else None)
        if target is None:
            await registry_store.finish_delete(conn, shop, code, DELETED_REASON)
            return None
        variables = delete_variables(target.id, destination_location_id, inventory_action)
        try:
            result = await client.execute_mutation(FULFILLMENT_SERVICE_DELETE, variables)
        except ShopifyError as exc:
            raise DeleteUnconfirmed(f"fulfillmentServiceDelete: {_reason(exc)}") from exc
        if not result.ok:
            # The client repeats a call whose answer was lost, and a repeat is refused: the
            # service being gone is what counts.
            try:
                still_there = any(s.id == target.id for s in await list_services(client))
            except ShopifyError as exc:
                raise DeleteUnconfirmed(f"fulfillmentServiceDelete: {_reason(exc)}") from exc
            if still_there:
                raise DeleteRefused(_refusal("fulfillmentServiceDelete", result))
        await registry_store.finish_delete(
            conn, shop, code, DELETED_REASON, service_id=target.id, location_id=target.location_id
        )
        return target.id
