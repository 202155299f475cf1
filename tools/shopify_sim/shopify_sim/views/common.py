"""Small shapes shared by many views: money, addresses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

COUNTRY_NAMES = {
    "CA": "Canada",
    "US": "United States",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "AU": "Australia",
    "NL": "Netherlands",
}
PROVINCE_NAMES = {
    ("CA", "ON"): "Ontario",
    ("CA", "QC"): "Quebec",
    ("CA", "BC"): "British Columbia",
    ("US", "NY"): "New York",
    ("US", "CA"): "California",
    ("US", "KY"): "Kentucky",
}


def decimal_text(amount: str | Decimal | int | float) -> str:
    """Shopify prints decimals minimally but with one fractional digit: "14.0", "12.5"."""
    value = Decimal(str(amount)).normalize()
    text = format(value, "f")
    return text if "." in text else f"{text}.0"


def money(amount: str | Decimal | int | float, currency: str) -> dict[str, Any]:
    part = {"amount": decimal_text(amount), "currencyCode": currency}
    return {"shopMoney": part, "presentmentMoney": dict(part)}


def mailing_address(address: dict[str, Any] | None, address_id: int) -> dict[str, Any] | None:
    if address is None:
        return None
    country = address.get("countryCode")
    province_code = address.get("provinceCode")
    first, last = address.get("firstName"), address.get("lastName")
    name = " ".join(part for part in (first, last) if part) or None
    lines = [
        line
        for line in (
            address.get("address1"),
            address.get("address2"),
            " ".join(p for p in (address.get("city"), province_code, address.get("zip")) if p),
            COUNTRY_NAMES.get(country or ""),
        )
        if line
    ]
    return {
        "id": f"gid://shopify/MailingAddress/{address_id}?model_name=Address",
        "firstName": first,
        "lastName": last,
        "name": name,
        "company": address.get("company"),
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "province": PROVINCE_NAMES.get((country or "", province_code or ""), province_code),
        "provinceCode": province_code,
        "country": COUNTRY_NAMES.get(country or "", country),
        "countryCodeV2": country,
        "zip": address.get("zip"),
        "phone": address.get("phone"),
        "latitude": None,
        "longitude": None,
        "coordinatesValidated": False,
        "formattedArea": ", ".join(p for p in (address.get("city"), province_code, country) if p)
        or None,
        "formatted": lambda _info, **_args: lines,
        "timeZone": None,
        "validationResultSummary": None,
    }
