"""``/v1/customers``, ``/v1/tax_rates`` and ``/v1/events`` handlers."""

from __future__ import annotations

import copy
import secrets

from . import billing
from .common import merge_metadata, refuse_unsupported, set_fields
from .errors import invalid
from .store import Obj, Store, matches_range, paginate

CUSTOMER_FIELDS = (
    "description",
    "email",
    "name",
    "phone",
    "preferred_locales",
    "tax_exempt",
    "invoice_prefix",
)
CUSTOMER_UNSUPPORTED = (
    "cash_balance",
    "coupon",
    "payment_method",
    "promotion_code",
    "source",
    "tax_id_data",
    "test_clock",
    "default_source",
)
TAX_RATE_FIELDS = ("active", "country", "description", "display_name", "jurisdiction", "state")


def create_customer(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``POST /v1/customers``."""
    refuse_unsupported(params, CUSTOMER_UNSUPPORTED)
    customer = store.create(
        "customer",
        address=None,
        currency=None,
        discount=None,
        email=None,
        invoice_prefix=secrets.token_hex(4).upper(),
        invoice_settings={
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        metadata=merge_metadata({}, params.get("metadata", {})),
        next_invoice_sequence=1,
        shipping=None,
    )
    _apply_customer(customer, params)
    store.emit("customer.created", customer)
    return customer


def _apply_customer(customer: Obj, params: Obj) -> None:
    set_fields(customer, params, CUSTOMER_FIELDS)
    for name in ("address", "shipping", "invoice_settings"):
        if name in params:
            value = params[name]
            customer[name] = None if value == "" else {**(customer[name] or {}), **value}
    if "metadata" in params:
        customer["metadata"] = merge_metadata(customer["metadata"], params["metadata"])


def retrieve_customer(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/customers/{id}``."""
    return store.get("customer", ids[0])


def update_customer(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``POST /v1/customers/{id}``."""
    customer = store.get("customer", ids[0])
    refuse_unsupported(params, CUSTOMER_UNSUPPORTED)
    before = copy.deepcopy(customer)
    _apply_customer(customer, params)
    previous = billing.previous_values(before, customer, customer.keys())
    if previous:
        store.emit("customer.updated", customer, previous)
    return customer


def list_customers(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/customers``: ``email`` matches exactly and case-sensitively."""
    if "test_clock" in params:
        return paginate([], params, "/v1/customers", store.listing("customer"))
    found = [
        c
        for c in store.all("customer")
        if ("email" not in params or c["email"] == params["email"])
        and matches_range(c["created"], params.get("created"))
    ]
    return paginate(found, params, "/v1/customers", store.listing("customer"))


def create_tax_rate(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``POST /v1/tax_rates``: ``percentage`` 0–100 with at most 4 decimals."""
    pct = params["percentage"]
    if not 0 <= pct <= 100 or round(pct, 4) != pct:
        raise invalid(
            "Invalid percentage: must be between 0 and 100 with at most 4 decimal places",
            "percentage",
        )
    rate = store.create(
        "tax_rate",
        active=True,
        country=None,
        description=None,
        effective_percentage=pct,
        flat_amount=None,
        inclusive=params["inclusive"],
        jurisdiction=None,
        metadata=merge_metadata({}, params.get("metadata", {})),
        percentage=int(pct) if pct == int(pct) else pct,
        rate_type="percentage",
        state=None,
        tax_type=params.get("tax_type"),
    )
    set_fields(rate, params, TAX_RATE_FIELDS)
    store.emit("tax_rate.created", rate)
    return rate


def retrieve_tax_rate(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/tax_rates/{id}``."""
    return store.get("tax_rate", ids[0])


def update_tax_rate(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``POST /v1/tax_rates/{id}``: percentage and inclusive cannot change."""
    rate = store.get("tax_rate", ids[0])
    before = copy.deepcopy(rate)
    set_fields(rate, params, (*TAX_RATE_FIELDS, "tax_type"))
    if "metadata" in params:
        rate["metadata"] = merge_metadata(rate["metadata"], params["metadata"])
    previous = billing.previous_values(before, rate, rate.keys())
    if previous:
        store.emit("tax_rate.updated", rate, previous)
    return rate


def list_tax_rates(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/tax_rates``: filter by ``active``, ``inclusive``, ``created``."""
    found = [
        r
        for r in store.all("tax_rate")
        if params.get("active", r["active"]) == r["active"]
        and params.get("inclusive", r["inclusive"]) == r["inclusive"]
        and matches_range(r["created"], params.get("created"))
    ]
    return paginate(found, params, "/v1/tax_rates", store.listing("tax_rate"))


def list_events(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/events``: last 30 days; ``type`` (``*`` wildcard), ``types[]``, ``created``."""
    if "type" in params and "types" in params:
        raise invalid(
            "You may only specify one of these parameters: type, types.",
            "types",
            "parameters_exclusive",
        )
    types = params.get("types") or ([params["type"]] if "type" in params else None)
    if types is not None and len(types) > 20:
        raise invalid("You may pass at most 20 event types.", "types")
    found = [
        e
        for e in store.events()
        if (types is None or any(_type_matches(e["type"], t) for t in types))
        and matches_range(e["created"], params.get("created"))
    ]
    return paginate(found, params, "/v1/events", store.listing("event"))


def _type_matches(event_type: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


def retrieve_event(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/events/{id}``."""
    return store.get("event", ids[0])
