"""``/v1/payment_links`` handlers: create, retrieve, update, list, line items.

Facts from Stripe's API reference and Payment Links guide:

- A link sells 1 to 20 line items, each a Price (``price`` or inline
  ``price_data``) and a quantity; line items take no tax rates (the create
  parameters have no such key, so the parameter check refuses one).
- ``currency`` "must be … supported by each line item's price": a link has
  one currency, so prices in different currencies are refused.
- The link's ``metadata`` is copied to every Checkout Session it creates;
  ``payment_intent_data[metadata]`` is set on each PaymentIntent.
- ``restrictions[completed_sessions][limit]``: "When the payment link reaches
  the limit, it automatically deactivates and customers can't use it to make
  a purchase"; ``active=false`` deactivates a link by hand. Links cannot be
  deleted.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from . import catalog, money
from .common import merge_metadata, refuse_unsupported, set_fields
from .errors import StripeError, invalid
from .store import Listing, Obj, Store, paginate, public, random_id

MAX_LINE_ITEMS = 20
STORED = (
    "after_completion",
    "allow_promotion_codes",
    "billing_address_collection",
    "consent_collection",
    "custom_fields",
    "customer_creation",
    "inactive_message",
    "payment_method_collection",
    "payment_method_options",
    "payment_method_types",
    "phone_number_collection",
    "shipping_address_collection",
    "submit_type",
    "tax_id_collection",
)
UNSUPPORTED = (
    "application_fee_amount",
    "application_fee_percent",
    "on_behalf_of",
    "optional_items",
    "shipping_options",
    "subscription_data",
    "transfer_data",
)
# Settings accepted only while off: each would change what the customer pays.
OFF_ONLY = ("automatic_tax", "invoice_creation", "managed_payments")
_INTENT_DATA: Obj = {
    "capture_method": None,
    "description": None,
    "metadata": {},
    "setup_future_usage": None,
    "statement_descriptor": None,
    "statement_descriptor_suffix": None,
    "transfer_group": None,
}


def create(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``POST /v1/payment_links``.

    :raises StripeError: more than 20 line items, prices in several
        currencies, inactive or unknown prices, unsupported parameters.
    """
    _refuse(params)
    lines = params["line_items"]
    if len(lines) > MAX_LINE_ITEMS:
        raise invalid(
            f"A payment link can have at most {MAX_LINE_ITEMS} line items; you passed "
            f"{len(lines)}.",
            "line_items",
        )
    planned = [_plan_line(store, line, f"line_items[{n}]") for n, line in enumerate(lines)]
    link_id = random_id("plink")
    link = store.build(
        "payment_link",
        **_defaults(),
        id=link_id,
        active=True,
        created=store.now,
        currency=_currency(params, planned),
        metadata={},
        url=f"{store.base_url}/_sandbox/pay/{link_id}",
    )
    _apply(link, params)
    prices = [_price(store, plan, f"line_items[{n}][price_data]") for n, plan in enumerate(planned)]
    store.line_items[link_id] = [
        line_item(store, price, line["quantity"]) for price, line in zip(prices, lines, strict=True)
    ]
    store.add(link)
    store.emit("payment_link.created", link)
    return with_line_items(store, link, params)


def _refuse(params: Obj) -> None:
    refuse_unsupported(params, UNSUPPORTED)
    for name in OFF_ONLY:
        if (params.get(name) or {}).get("enabled"):
            raise invalid(f"The Stripe sandbox does not support the parameter '{name}'.", name)
    intent_data = params.get("payment_intent_data") or {}
    if intent_data.get("capture_method", "automatic") != "automatic":
        raise invalid(
            "The Stripe sandbox supports capture_method=automatic only.",
            "payment_intent_data[capture_method]",
        )


def _defaults() -> Obj:
    """Fields of a new link where the fixture holds example values."""
    return {
        "after_completion": {
            "hosted_confirmation": {"custom_message": None},
            "type": "hosted_confirmation",
        },
        "automatic_tax": {"enabled": False, "liability": None},
        "consent_collection": None,
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "invoice_creation": {"enabled": False, "invoice_data": None},
        "managed_payments": {"enabled": False},
        "payment_intent_data": None,
        "payment_method_collection": "always",
        "payment_method_options": None,
        "restrictions": None,
        "shipping_address_collection": None,
        "subscription_data": None,
        "transfer_data": None,
    }


def _plan_line(store: Store, line: Obj, path: str) -> tuple[Obj, Obj | None]:
    """``(params, existing price)`` of one line item, checked without creating anything."""
    if line["quantity"] < 1:
        raise invalid("Invalid quantity: must be at least 1", f"{path}[quantity]")
    if (line.get("adjustable_quantity") or {}).get("enabled"):
        raise invalid(
            "The Stripe sandbox does not support adjustable quantities.",
            f"{path}[adjustable_quantity]",
        )
    if "price" in line and "price_data" in line:
        raise invalid(
            "You may only specify one of these parameters: price, price_data.",
            f"{path}[price]",
            "parameters_exclusive",
        )
    if "price" in line:
        price = store.get("price", line["price"], f"{path}[price]")
        if not price["active"]:
            raise invalid(
                "The price specified is inactive. This field only accepts active prices.",
                f"{path}[price]",
            )
        return line, price
    if "price_data" not in line:
        raise invalid(
            "You must specify either price or price_data for each line item.", f"{path}[price]"
        )
    data, prefix = line["price_data"], f"{path}[price_data]"
    refuse_unsupported(data, ("recurring",))
    money.check_currency(data["currency"], f"{prefix}[currency]")
    catalog.check_unit_amount(data, data["currency"], prefix)
    if "product" in data:
        store.get("product", data["product"], f"{prefix}[product]")
    return line, None


def _currency(params: Obj, planned: list[tuple[Obj, Obj | None]]) -> str:
    currencies = [
        price["currency"] if price else line["price_data"]["currency"] for line, price in planned
    ]
    for n, currency in enumerate(currencies):
        if currency != currencies[0]:
            raise invalid(
                "All prices on a payment link must have the same currency: "
                f"line_items[{n}] is in {currency}, line_items[0] in {currencies[0]}.",
                f"line_items[{n}]",
            )
    wanted = params.get("currency", currencies[0])
    if wanted != currencies[0]:
        money.check_currency(wanted)
        raise invalid(
            f"The currency {wanted} is not supported by the line items' prices, which are in "
            f"{currencies[0]}.",
            "currency",
        )
    return str(currencies[0])


def _price(store: Store, plan: tuple[Obj, Obj | None], prefix: str) -> Obj:
    line, price = plan
    return price if price is not None else catalog.new_price(store, line["price_data"], prefix)


def line_item(store: Store, price: Obj, quantity: int) -> Obj:
    """An ``item`` object: ``quantity`` × the price, rounded to the minor unit, no tax."""
    amount = money.round_minor(Decimal(price["unit_amount_decimal"]) * quantity)
    product = store.objects[price["product"]]
    return store.build(
        "item",
        id=random_id("li"),
        adjustable_quantity=None,
        amount_discount=0,
        amount_subtotal=amount,
        amount_tax=0,
        amount_total=amount,
        currency=price["currency"],
        description=product["name"],
        metadata=None,
        price=public(price),
        quantity=quantity,
    )


def _apply(link: Obj, params: Obj) -> None:
    """Apply the settings of a create or update request to ``link``."""
    set_fields(link, params, STORED)
    if "active" in params:
        link["active"] = params["active"]
    if "metadata" in params:
        link["metadata"] = merge_metadata(link["metadata"], params["metadata"])
    if "custom_text" in params:
        text = {k: (v or None) for k, v in params["custom_text"].items()}
        link["custom_text"] = {**link["custom_text"], **text}
    if "payment_intent_data" in params:
        # Declarative, as Stripe documents: an update replaces what was there.
        data = dict(params["payment_intent_data"] or {})
        if "metadata" in data:
            data["metadata"] = merge_metadata({}, data["metadata"])
        link["payment_intent_data"] = {**copy.deepcopy(_INTENT_DATA), **data} if data else None
    if "restrictions" in params:
        link["restrictions"] = _restrictions(link, params["restrictions"])


def _restrictions(link: Obj, value: Any) -> Obj | None:
    if not value:
        return None
    limit = value["completed_sessions"]["limit"]
    if limit < 1:
        raise invalid(
            "Invalid restrictions[completed_sessions][limit]: must be at least 1",
            "restrictions[completed_sessions][limit]",
        )
    count = ((link.get("restrictions") or {}).get("completed_sessions") or {}).get("count", 0)
    return {"completed_sessions": {"count": count, "limit": limit}}


def exhausted(link: Obj) -> bool:
    """Whether the link has as many completed sessions as its restriction allows."""
    sessions = (link.get("restrictions") or {}).get("completed_sessions")
    return sessions is not None and bool(sessions["count"] >= sessions["limit"])


def retrieve(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/payment_links/{id}``; ``expand[]=line_items`` includes the line items."""
    return with_line_items(store, store.get("payment_link", ids[0]), params)


def with_line_items(store: Store, obj: Obj, params: Obj) -> Obj:
    """``obj``, with its ``line_items`` list when ``expand`` asks for it (an includable field)."""
    if "line_items" not in params.get("expand", []):
        return obj
    first = line_item_page(store, obj["id"], {"limit": 10}, obj["object"])
    return {**obj, "line_items": first}


def update(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``POST /v1/payment_links/{id}``: ``active``, ``metadata``, ``restrictions`` and settings.

    :raises StripeError: reactivating a link that has used up its
        ``completed_sessions`` limit, unsupported parameters.
    """
    link = store.get("payment_link", ids[0])
    _refuse(params)
    refuse_unsupported(params, ("line_items",))
    before = copy.deepcopy(link)
    try:
        _apply(link, params)
        _check_not_exhausted(link)
    except StripeError:
        link.clear()
        link.update(before)
        raise
    previous = {k: before[k] for k in link if before.get(k) != link[k]}
    if previous:
        store.emit("payment_link.updated", link, previous)
    return with_line_items(store, link, params)


def _check_not_exhausted(link: Obj) -> None:
    if link["active"] and exhausted(link):
        limit = link["restrictions"]["completed_sessions"]["limit"]
        raise invalid(
            f"This payment link has reached its limit of {limit} completed sessions; raise "
            "restrictions[completed_sessions][limit] or remove the restriction to activate it.",
            "active",
        )


def list_links(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/payment_links``: filter by ``active``."""
    found = [
        link
        for link in store.all("payment_link")
        if params.get("active", link["active"]) == link["active"]
    ]
    return paginate(found, params, "/v1/payment_links", store.listing("payment_link"))


def list_line_items(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/payment_links/{id}/line_items``: in the order they were given."""
    link = store.get("payment_link", ids[0])
    return line_item_page(store, link["id"], params, "payment_link")


def line_item_page(store: Store, owner: str, params: Obj, kind: str) -> Obj:
    """One page of the line items of a payment link or Checkout Session, in their order."""
    items = store.line_items.get(owner, [])
    position = {item["id"]: n for n, item in enumerate(items)}
    by_id = {item["id"]: item for item in items}
    listing = Listing(lambda o: position[o["id"]], by_id.get, "line item", descending=False)
    base = "/v1/payment_links" if kind == "payment_link" else "/v1/checkout/sessions"
    return paginate(items, params, f"{base}/{owner}/line_items", listing)
