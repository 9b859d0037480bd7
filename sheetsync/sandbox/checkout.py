"""Checkout Sessions: a customer paying a payment link, and ``/v1/checkout/sessions``.

A completed session of a link is ``mode=payment``, ``status=complete``,
``payment_status=paid``, with the link's metadata and a PaymentIntent whose
charge carries ``payment_intent_data[metadata]``. Payment links take no tax
rates and the sandbox refuses automatic tax, so ``amount_total`` is the sum of
quantity × unit amount. Stripe's order of events for such a payment:
``charge.succeeded``, ``payment_intent.succeeded``, ``checkout.session.completed``.
When the session uses up the link's ``completed_sessions`` limit, the link
deactivates (``payment_link.updated``).
"""

from __future__ import annotations

import copy

from . import links, payments
from .errors import StripeError
from .store import Obj, Store, matches_range, paginate, random_id

SESSION_LIFETIME = 24 * 3600
INACTIVE = "This payment link is no longer active."
# Settings a session takes over from the link that created it.
FROM_LINK = (
    "allow_promotion_codes",
    "billing_address_collection",
    "consent_collection",
    "currency",
    "custom_fields",
    "custom_text",
    "customer_creation",
    "invoice_creation",
    "payment_method_collection",
    "phone_number_collection",
    "shipping_address_collection",
    "submit_type",
)


def complete(store: Store, link_id: str, email: str | None = None) -> Obj:
    """A customer pays ``link_id`` by card: a completed Checkout Session.

    :raises StripeError: 404 for an unknown link; 400 "This payment link is no
        longer active." (or the link's ``inactive_message``) when it is inactive.
    """
    link = store.get("payment_link", link_id)
    if not link["active"] or links.exhausted(link):
        raise StripeError(400, link["inactive_message"] or INACTIVE, param="payment_link")
    items = [{**copy.deepcopy(item), "id": random_id("li")} for item in store.line_items[link_id]]
    subtotal = sum(int(item["amount_total"]) for item in items)
    intent = _payment(store, link, subtotal)
    session = store.create(
        "checkout.session",
        **_session_fields(store, link, email),
        amount_subtotal=subtotal,
        amount_total=subtotal,
        metadata=dict(link["metadata"]),
        payment_intent=intent["id"] if intent else None,
        payment_link=link_id,
        payment_status="paid" if intent else "no_payment_required",
    )
    store.line_items[session["id"]] = items
    if intent:
        payments.emit_succeeded(store, intent)
    store.emit("checkout.session.completed", session)
    _count(store, link)
    return session


def _payment(store: Store, link: Obj, amount: int) -> Obj | None:
    if amount == 0:
        return None
    data = link["payment_intent_data"] or {}
    return payments.collect(
        store,
        amount,
        link["currency"],
        description=data.get("description"),
        metadata=data.get("metadata") or {},
    )


def _session_fields(store: Store, link: Obj, email: str | None) -> Obj:
    """Fields of a completed session where the fixture holds example values."""
    details = copy.deepcopy(store.templates["checkout.session"]["customer_details"])
    details.update(email=email or details["email"], tax_ids=[])
    fields: Obj = {name: copy.deepcopy(link[name]) for name in FROM_LINK}
    fields.update(
        adaptive_pricing={"enabled": False},
        after_expiration=None,
        automatic_tax={"enabled": False, "liability": None, "provider": None, "status": None},
        cancel_url=None,
        collected_information=None,
        currency_conversion=None,
        customer_details=details,
        discounts=[],
        expires_at=store.now + SESSION_LIFETIME,
        managed_payments={"enabled": False},
        mode="payment",
        payment_method_configuration_details=None,
        permissions=None,
        saved_payment_method_options=None,
        shipping_cost=None,
        status="complete",
        success_url=None,
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        ui_mode="hosted",
        url=None,
        wallet_options=None,
    )
    return fields


def _count(store: Store, link: Obj) -> None:
    """Count the completed session; deactivate the link when it reaches its limit."""
    sessions = (link["restrictions"] or {}).get("completed_sessions")
    if not sessions:
        return
    sessions["count"] += 1
    if links.exhausted(link):
        link["active"] = False
        store.emit("payment_link.updated", link, {"active": True})


def retrieve(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/checkout/sessions/{id}``; ``expand[]=line_items`` includes the line items."""
    return links.with_line_items(store, store.get("checkout.session", ids[0]), params)


def list_sessions(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/checkout/sessions``: by ``payment_link``, ``status``, ``payment_intent``,
    ``customer``, ``customer_details[email]``, ``created``."""
    url = "/v1/checkout/sessions"
    if "subscription" in params or "customer_account" in params:
        return paginate([], params, url, store.listing("checkout.session"))
    wanted = {
        k: params[k]
        for k in ("payment_link", "status", "payment_intent", "customer")
        if k in params
    }
    email = (params.get("customer_details") or {}).get("email")
    found = [
        s
        for s in store.all("checkout.session")
        if all(s[k] == v for k, v in wanted.items())
        and (email is None or s["customer_details"]["email"] == email)
        and matches_range(s["created"], params.get("created"))
    ]
    return paginate(found, params, url, store.listing("checkout.session"))


def list_line_items(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/checkout/sessions/{id}/line_items``."""
    session = store.get("checkout.session", ids[0])
    return links.line_item_page(store, session["id"], params, "checkout.session")
