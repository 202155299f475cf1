"""The catalog as WMS items, free of I/O: what a Shopify variant becomes, what of it is sent,
and what is wrong with the catalog.

- A variant that requires shipping and has a SKU is a `wms.item.upsert` (`build_item`); the
  others are not items (a shippable one without a SKU is a finding).
- A digest per variant of what would be sent, `updated_at` left out: a product update that
  changes nothing the warehouse sees (a price, a tag) only moves `updatedAt`, and must send
  nothing.
- The WMS knows a SKU, not a variant, so what is sent is decided per SKU (`decide_sku`): one
  carrier -> sent when its digest differs from what was sent for the SKU; none -> discontinued
  if it was sent; two or more -> a duplicate, set aside (neither is sent, nothing is
  discontinued: the shop still sells the SKU, and orders carrying it are held with the reason).
- Bulk operation results (JSONL, one object a line, children after their parent with
  `__parentId`) are assembled here line by line (`BulkAssembler`), never as a whole file.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from contracts import CatalogFindings, WmsItemUpsert
from contracts.fields import UtcDatetime
from inventory_sync.domain import gid_number

_INSTANT: TypeAdapter[datetime] = TypeAdapter(UtcDatetime)

DEFAULT_VARIANT_TITLE = "Default Title"
"""Shopify's title of the one variant of a product without options."""


@dataclass(frozen=True, slots=True)
class VariantRead:
    """One variant as a read of Shopify (webhook-triggered or bulk) found it."""

    variant_id: int
    product_id: int
    product_title: str
    variant_title: str
    sku: str | None
    """None: the variant has no SKU (blank counts as none)."""
    shippable: bool
    item: WmsItemUpsert | None
    """What the WMS is sent for it; None when it is not an item (not shippable, no SKU)."""
    digest: str | None
    updated_at: datetime
    """The later of the variant's and its product's `updatedAt`: a read older than what is
    recorded for the variant is not applied."""


def item_title(product_title: str, variant_title: str) -> str:
    product_title, variant_title = product_title.strip(), variant_title.strip()
    if not variant_title or variant_title == DEFAULT_VARIANT_TITLE:
        return product_title or variant_title or "?"
    if not product_title:
        return variant_title
    return f"{product_title} - {variant_title}"


def item_digest(item: WmsItemUpsert) -> str:
    """What the warehouse would see of the item, `updated_at` aside."""
    body = item.model_dump(mode="json", exclude={"updated_at"})
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _image_url(media: Any) -> str | None:
    """The first image of a `media(first: 1)` connection (`nodes` or `edges`), or of a
    `featuredMedia`."""
    if not isinstance(media, Mapping):
        return None
    if "nodes" in media or "edges" in media:
        nodes = media.get("nodes")
        if nodes is None:
            nodes = [e.get("node") for e in media.get("edges") or [] if isinstance(e, Mapping)]
        for node in nodes or []:
            url = _image_url(node)
            if url:
                return url
        return None
    image = (media.get("preview") or {}).get("image") or {}
    url = image.get("url") if isinstance(image, Mapping) else None
    return url if isinstance(url, str) and url else None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _weight(inventory_item: Mapping[str, Any]) -> dict[str, Any] | None:
    weight = (inventory_item.get("measurement") or {}).get("weight")
    if not isinstance(weight, Mapping) or weight.get("value") is None or not weight.get("unit"):
        return None
    return {"value": weight["value"], "unit": weight["unit"]}


def _later(*values: Any) -> datetime:
    instants = [_INSTANT.validate_python(v) for v in values if v]
    if not instants:
        raise ValueError("a variant read without updatedAt")
    return max(instants)


def parse_variant(
    variant: Mapping[str, Any], product: Mapping[str, Any], image_url: str | None = None
) -> VariantRead | None:
    """A variant node (CATALOG_PRODUCTS / the bulk query's fields) and its product's; None if
    the ids are not Shopify's. `image_url`: the variant's own image when the caller found it
    apart (a bulk child line); else it is read from the variant's `media`."""
    variant_id = gid_number(str(variant.get("id", "")), "ProductVariant")
    product_id = gid_number(str(product.get("id", "")), "Product")
    inventory_item = variant.get("inventoryItem") or {}
    if variant_id is None or product_id is None:
        return None
    updated_at = _later(variant.get("updatedAt"), product.get("updatedAt"))
    sku = _text(variant.get("sku"))
    shippable = bool(inventory_item.get("requiresShipping"))
    product_title = str(product.get("title") or "")
    variant_title = str(variant.get("title") or "")
    item: WmsItemUpsert | None = None
    if shippable and sku is not None:
        image = (
            image_url
            or _image_url(variant.get("media"))
            or _image_url(product.get("featuredMedia"))
        )
        item = build_item(
            sku=sku,
            title=item_title(product_title, variant_title),
            barcode=_text(variant.get("barcode")),
            weight=_weight(inventory_item),
            hs_code=_text(inventory_item.get("harmonizedSystemCode")),
            country_of_origin=_text(inventory_item.get("countryCodeOfOrigin")),
            image_url=image,
            shopify_variant_id=str(variant["id"]),
            shopify_inventory_item_id=str(inventory_item.get("id", "")),
            updated_at=updated_at,
        )
    return VariantRead(
        variant_id=variant_id,
        product_id=product_id,
        product_title=product_title,
        variant_title=variant_title,
        sku=sku,
        shippable=shippable,
        item=item,
        digest=item_digest(item) if item is not None else None,
        updated_at=updated_at,
    )


def build_item(**fields: Any) -> WmsItemUpsert | None:
    """The upsert, or None if Shopify's data cannot make one (no inventory item id). A field
    the contract cannot carry (a country code that is not ISO alpha-2) is left out rather
    than losing the item."""
    try:
        return WmsItemUpsert.model_validate(fields)
    except ValidationError as error:
        bad = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
        optional = {"barcode", "weight", "hs_code", "country_of_origin", "image_url"}
        if not bad or not bad <= optional:
            return None
        return WmsItemUpsert.model_validate({**fields, **dict.fromkeys(bad)})


def item_updated_at(item: Mapping[str, Any]) -> datetime:
    """The `updated_at` of an upsert payload kept as JSON."""
    return _INSTANT.validate_python(item["updated_at"])


def product_variants(product: Mapping[str, Any]) -> list[VariantRead]:
    """Every variant of a product node read with CATALOG_PRODUCTS (first page only)."""
    found = []
    for node in (product.get("variants") or {}).get("nodes") or []:
        read = parse_variant(node, product) if isinstance(node, Mapping) else None
        if read is not None:
            found.append(read)
    return found


# --- what to send for one SKU -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Carrier:
    """A recorded shippable variant carrying the SKU, with its item."""

    variant_id: int
    digest: str
    item: Mapping[str, Any]
    """The upsert payload as JSON."""


@dataclass(frozen=True, slots=True)
class Sent:
    """What the WMS was last told about the SKU (an upsert not discontinued since)."""

    digest: str
    variant_id: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Send:
    sku: str
    variant_id: int
    digest: str
    item: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Discontinue:
    sku: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Duplicate:
    sku: str
    variant_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Keep:
    sku: str


SkuDecision = Send | Discontinue | Duplicate | Keep


def decide_sku(
    sku: str, carriers: Sequence[Carrier], sent: Sent | None, now: datetime
) -> SkuDecision:
    if len(carriers) > 1:
        return Duplicate(sku, tuple(sorted(c.variant_id for c in carriers)))
    if len(carriers) == 1:
        (carrier,) = carriers
        if sent is not None and sent.digest == carrier.digest:
            return Keep(sku)
        return Send(sku, carrier.variant_id, carrier.digest, _after(carrier.item, sent))
    if sent is None:
        return Keep(sku)
    # After the last upsert, whatever the clocks say: the WMS keeps the latest `updated_at`.
    return Discontinue(sku, max(now, sent.updated_at))


def _after(item: Mapping[str, Any], sent: Sent | None) -> Mapping[str, Any]:
    """The item, dated after the last upsert of its SKU. Shopify's `updatedAt` has second
    precision, so a change within the second of the one sent last would carry the same
    `updated_at`, and a WMS keeping the latest (SPEC section 3) would keep the older."""
    if sent is None or item_updated_at(item) > sent.updated_at:
        return item
    later = sent.updated_at + timedelta(seconds=1)
    return {**item, "updated_at": later.isoformat().replace("+00:00", "Z")}


@dataclass
class Decisions:
    sends: list[Send] = field(default_factory=list)
    discontinues: list[Discontinue] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    def add(self, decision: SkuDecision) -> None:
        if isinstance(decision, Send):
            self.sends.append(decision)
        elif isinstance(decision, Discontinue):
            self.discontinues.append(decision)
        elif isinstance(decision, Duplicate):
            self.duplicates.append(decision)


def decide_all(
    skus: Iterable[str],
    carriers: Mapping[str, Sequence[Carrier]],
    sent: Mapping[str, Sent],
    now: datetime,
) -> Decisions:
    decisions = Decisions()
    for sku in sorted(set(skus)):
        decisions.add(decide_sku(sku, carriers.get(sku, ()), sent.get(sku), now))
    return decisions


# --- findings -----------------------------------------------------------------------------------


def findings(
    duplicate_skus: Iterable[str], rejected: Mapping[str, str], as_of: datetime
) -> CatalogFindings:
    return CatalogFindings(
        duplicate_skus=sorted(set(duplicate_skus)), rejected_skus=dict(rejected), as_of=as_of
    )


def same_findings(a: CatalogFindings | None, b: CatalogFindings) -> bool:
    """Whether `b` says nothing new after `a` (`as_of` aside)."""
    if a is None:
        return not b.duplicate_skus and not b.rejected_skus
    return sorted(a.duplicate_skus) == sorted(b.duplicate_skus) and dict(a.rejected_skus) == dict(
        b.rejected_skus
    )


# --- bulk operation results -----------------------------------------------------------------------


@dataclass
class BulkAssembler:
    """Turns the lines of the catalog bulk query's JSONL into variants.

    A root line is a variant (its product inline); a line with `__parentId` is a child (the
    variant's first image). Asked with `groupObjects: true`, Shopify writes a parent's children
    right after it, so only the variant being assembled is held: it is complete when the next
    root line (or the end) comes. A child of any other parent is counted, not kept.
    """

    lines: int = 0
    variants: int = 0
    orphans: int = 0
    skipped: int = 0
    _pending: Mapping[str, Any] | None = None
    _image: str | None = None

    def feed(self, line: Mapping[str, Any]) -> Iterator[VariantRead]:
        self.lines += 1
        parent = line.get("__parentId")
        if parent is not None:
            if self._pending is not None and parent == self._pending.get("id"):
                self._image = self._image or _image_url(line)
            else:
                self.orphans += 1
            return
        yield from self._flush()
        self._pending, self._image = line, None

    def finish(self) -> Iterator[VariantRead]:
        yield from self._flush()

    def _flush(self) -> Iterator[VariantRead]:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        read = parse_variant(pending, pending.get("product") or {}, self._image)
        if read is None:
            self.skipped += 1
            return
        self.variants += 1
        yield read


def parse_line(raw: bytes | str) -> Mapping[str, Any] | None:
    """One JSONL line; None for a blank one."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    if not text.strip():
        return None
    value = json.loads(text)
    if not isinstance(value, Mapping):
        raise ValueError("a JSONL line that is not an object")
    return value
