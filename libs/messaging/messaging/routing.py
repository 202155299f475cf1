"""What a service receives and who handles it: one typed table per service.

A handler names its payload model and its dependencies in its signature:

    async def on_shipment(shipment: WmsShipmentConfirmed, ctx: MessageContext[Deps]) -> None

and the service lists it once, in its wiring module:

    ROUTES = Routes(on(WmsShipmentConfirmed, handlers.on_shipment), ...)

`on` checks, at import (so at start-up at the latest), that the message types exist, that they
carry that payload model, and that the handler's first parameter is declared to take it (mypy
checks the same statically). The table is the one source of the service's queue bindings
(`Routes.subscriptions`), of the "receives" part of the AsyncAPI document, and of dispatch: a
delivery of a type the table does not name cannot reach the service, since it is not bound.
"""

import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_type_hints

from pydantic import BaseModel

from contracts import MESSAGES, ContractError, Envelope
from messaging.outbox import add_to_outbox
from messaging.topology import Subscription
from storage import Connection

P = TypeVar("P", bound=BaseModel)
D = TypeVar("D")


@dataclass
class MessageContext(Generic[D]):
    """What a handler gets besides its payload: the message, the transaction its effects must go
    through, and the service's dependencies (`deps`, built by its wiring)."""

    envelope: Envelope
    conn: Connection
    attempt: int
    deps: D

    @property
    def shop(self) -> str:
        return self.envelope.shop

    async def emit(
        self, message_type: str, data: BaseModel | Mapping[str, Any], *, shop: str | None = None
    ) -> Envelope:
        """Send a message caused by this one, committed (or not) with the handler's effect."""
        out = self.envelope.caused(
            message_type, dict(data) if isinstance(data, Mapping) else data, shop=shop
        )
        await add_to_outbox(self.conn, out)
        return out


Handler = Callable[[P, MessageContext[D]], Awaitable[None]]


@dataclass(frozen=True)
class Route(Generic[P, D]):
    """Deliveries of `message_types`, whose payload is `payload`, go to `handler`."""

    payload: type[P]
    handler: Handler[P, D]
    message_types: tuple[str, ...]

    async def __call__(self, envelope: Envelope, ctx: MessageContext[D]) -> None:
        # data_as is an isinstance check: the registry validated `data` into `payload` already.
        await self.handler(envelope.data_as(self.payload), ctx)

    @property
    def name(self) -> str:
        return getattr(self.handler, "__name__", repr(self.handler))


def on(payload: type[P], handler: Handler[P, D], *message_types: str) -> Route[P, D]:
    """Route messages carrying `payload` to `handler`.

    Without `message_types`, the one registered message type with that payload; payloads that
    several types share (every Shopify webhook is a ShopifyWebhook) name their types.
    """
    types = message_types or _the_type_of(payload)
    for message_type in types:
        spec = MESSAGES.get(message_type)
        if spec is None:
            raise ContractError(f"unknown message type {message_type!r}")
        if spec.payload is not payload:
            raise ContractError(
                f"{message_type} carries {spec.payload.__name__}, not {payload.__name__} "
                f"(handler {getattr(handler, '__name__', handler)!r})"
            )
    _check_signature(payload, handler)
    return Route(payload, handler, tuple(types))


def _check_signature(payload: type[BaseModel], handler: Callable[..., object]) -> None:
    if not inspect.isfunction(handler):
        return  # a callable object: its __call__ is mypy's to check
    name = handler.__name__
    parameters = list(inspect.signature(handler).parameters)
    if len(parameters) != 2:
        raise TypeError(f"handler {name} must take (payload, ctx), not {parameters}")
    declared = get_type_hints(handler).get(parameters[0])
    if declared is not None and not (isinstance(declared, type) and issubclass(payload, declared)):
        raise TypeError(f"handler {name} takes {declared}, but is routed {payload.__name__}")


def _the_type_of(payload: type[BaseModel]) -> tuple[str, ...]:
    types = tuple(spec.type for spec in MESSAGES.values() if spec.payload is payload)
    if len(types) != 1:
        raise ContractError(
            f"{payload.__name__} is the payload of {len(types)} message types "
            f"({', '.join(types) or 'none'}): name the ones to handle"
        )
    return types


class Routes(Generic[D]):
    """A service's whole message table: each message type has exactly one handler."""

    def __init__(self, *routes: Route[Any, D]) -> None:
        by_type: dict[str, Route[Any, D]] = {}
        for route in routes:
            for message_type in route.message_types:
                if message_type in by_type:
                    raise ValueError(
                        f"{message_type} is routed twice: to {by_type[message_type].name} "
                        f"and to {route.name}"
                    )
                by_type[message_type] = route
        self._by_type = by_type

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._by_type))

    def __len__(self) -> int:
        return len(self._by_type)

    def route_for(self, message_type: str) -> Route[Any, D] | None:
        return self._by_type.get(message_type)

    @property
    def subscriptions(self) -> list[Subscription]:
        """The queue bindings: exactly the types this table handles, on their exchanges."""
        return [Subscription(MESSAGES[t].exchange, t) for t in self]

    def __add__(self, other: "Routes[D]") -> "Routes[D]":
        return Routes(*self._routes(), *other._routes())

    def _routes(self) -> list[Route[Any, D]]:
        return list(dict.fromkeys(self._by_type.values()))
