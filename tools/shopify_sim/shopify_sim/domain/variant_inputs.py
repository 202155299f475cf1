"""Checks of ProductVariantsBulkInput and how an accepted one changes a variant (pure).

Codes are ProductVariantsBulk{Create,Update}UserErrorCode values; where Shopify's docs give no
message the simulator's wording is used.
"""

from __future__ import annotations

from typing import Any

from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.state.models import GRAMS_PER_UNIT, Variant

MAX_SKU_LENGTH = 255
MAX_BARCODE_LENGTH = 255


def variant_title(data: dict[str, Any]) -> str | None:
    """The title a variant gets from its option values ("Red / M"), None when none is given."""
    names = [str(v.get("name")) for v in data.get("optionValues") or [] if v.get("name")]
    return " / ".join(names) if names else None


def input_errors(index: int, data: dict[str, Any]) -> list[UserError]:
    """What is wrong with one variant input, whatever the product."""
    base = ["variants", str(index)]
    errors: list[UserError] = []
    price = data.get("price")
    if price is not None and _decimal(price) < 0:
        errors.append(
            user_error(
                [*base, "price"],
                "Price must be greater than or equal to 0",
                "GREATER_THAN_OR_EQUAL_TO",
            )
        )
    barcode = data.get("barcode")
    if barcode is not None and len(barcode) > MAX_BARCODE_LENGTH:
        errors.append(user_error([*base, "barcode"], "Barcode is too long", "INVALID_INPUT"))
    item = data.get("inventoryItem") or {}
    sku = item.get("sku")
    if sku is not None and len(sku) > MAX_SKU_LENGTH:
        errors.append(
            user_error(
                [*base, "inventoryItem", "sku"],
                f"SKU is too long (maximum is {MAX_SKU_LENGTH} characters)",
                "INVALID_INPUT",
            )
        )
    weight = ((item.get("measurement") or {}).get("weight")) or None
    if weight is not None:
        if weight["unit"] not in GRAMS_PER_UNIT:
            errors.append(
                user_error(
                    [*base, "inventoryItem", "measurement", "weight", "unit"],
                    "Weight unit is invalid",
                    "INVALID_INPUT",
                )
            )
        elif float(weight["value"]) < 0:
            errors.append(
                user_error(
                    [*base, "inventoryItem", "measurement", "weight", "value"],
                    "Weight must be greater than or equal to 0",
                    "GREATER_THAN_OR_EQUAL_TO",
                )
            )
    hs_code = item.get("harmonizedSystemCode")
    if hs_code and not (hs_code.isdigit() and 6 <= len(hs_code) <= 13):
        errors.append(
            user_error(
                [*base, "inventoryItem", "harmonizedSystemCode"],
                "Harmonized system code must be a number between 6 and 13 digits",
                "INVALID_INPUT",
            )
        )
    return errors


def _decimal(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def apply_input(variant: Variant, data: dict[str, Any]) -> str | None:
    """Copy an accepted input onto a variant; answers the new SKU when the input sets one (the
    repository keeps the SKU index, so the caller applies it)."""
    if data.get("price") is not None:
        variant.price = f"{_decimal(data['price']):.2f}"
    if "barcode" in data:
        variant.barcode = data["barcode"] or None
    title = variant_title(data)
    if title is not None:
        variant.title = title
    if data.get("mediaSrc"):
        variant.image_url = data["mediaSrc"][0]
    item = data.get("inventoryItem") or {}
    if item.get("tracked") is not None:
        variant.tracked = bool(item["tracked"])
    if item.get("requiresShipping") is not None:
        variant.requires_shipping = bool(item["requiresShipping"])
    if "harmonizedSystemCode" in item:
        variant.harmonized_system_code = item["harmonizedSystemCode"] or None
    if "countryCodeOfOrigin" in item:
        variant.country_code_of_origin = item["countryCodeOfOrigin"] or None
    weight = (item.get("measurement") or {}).get("weight")
    if weight is not None:
        variant.set_weight(float(weight["value"]), str(weight["unit"]))
    return str(item["sku"] or "") if "sku" in item else None
