"""Money that moved in: PaymentIntents, Charges and Invoice Payments.

A payment is a succeeded PaymentIntent whose ``latest_charge`` is a succeeded
Charge for the same amount; customers in the sandbox pay by test card (the
fixture's Visa ending 4242). Invoice Payments map a payment to the invoice it
paid (``payment.type`` is ``payment_intent``); Stripe lists them with
``GET /v1/invoice_payments?invoice=``. Refunds and disputes: :mod:`refunds`.
"""

from __future__ import annotations

import copy
import secrets

from .errors import invalid
from .store import Obj, Store, matches_range, paginate, random_id


def collect(
    store: Store,
    amount: int,
    currency: str,
    *,
    customer: str | None = None,
    description: str | None = None,
    metadata: Obj | None = None,
) -> Obj:
    """A succeeded PaymentIntent for ``amount`` and its Charge; returns the PaymentIntent."""
    method = random_id("pm")
    intent = store.create(
        "payment_intent",
        **_intent_fields(amount, currency, customer, description, metadata or {}),
        payment_method=method,
    )
    intent["client_secret"] = f"{intent['id']}_secret_{secrets.token_hex(12)}"
    charge = store.create(
        "charge",
        **_charge_fields(store, amount, currency, customer, description),
        metadata=dict(metadata or {}),
        payment_intent=intent["id"],
        payment_method=method,
    )
    charge["refunds"]["url"] = f"/v1/charges/{charge['id']}/refunds"
    intent["latest_charge"] = charge["id"]
    return intent


def _intent_fields(
    amount: int, currency: str, customer: str | None, description: str | None, metadata: Obj
) -> Obj:
    return {
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "currency": currency,
        "customer": customer,
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "managed_payments": None,
        "metadata": dict(metadata),
        "next_action": None,
        "payment_method_configuration_details": None,
        "processing": None,
        "shipping": None,
        "status": "succeeded",
        "transfer_data": None,
    }


def _charge_fields(
    store: Store, amount: int, currency: str, customer: str | None, description: str | None
) -> Obj:
    payer = store.objects.get(customer or "") or {}
    billing = copy.deepcopy(store.templates["charge"]["billing_details"])
    billing.update(name=payer.get("name"), email=payer.get("email"))
    return {
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "balance_transaction": None,
        "billing_details": billing,
        "captured": True,
        "currency": currency,
        "customer": customer,
        "description": description,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "receipt_url": None,
        "refunds": {"object": "list", "data": [], "has_more": False, "url": ""},
        "shipping": None,
        "source": None,
        "transfer_data": None,
    }


def emit_succeeded(store: Store, intent: Obj) -> None:
    """The events of a successful payment: ``charge.succeeded``, ``payment_intent.succeeded``."""
    store.emit("charge.succeeded", store.objects[intent["latest_charge"]])
    store.emit("payment_intent.succeeded", intent)


def record_invoice_payment(store: Store, invoice: Obj, amount: int, *, settles: bool) -> Obj:
    """A card payment of ``amount`` towards ``invoice`` and its Invoice Payment.

    ``settles``: whether this payment pays the rest of the invoice (the default
    Invoice Payment, which Stripe keeps in step with ``amount_remaining``).
    """
    intent = collect(
        store,
        amount,
        invoice["currency"],
        customer=invoice["customer"],
        description="Payment for Invoice",
    )
    return store.create(
        "invoice_payment",
        amount_paid=amount,
        amount_requested=amount,
        currency=invoice["currency"],
        invoice=invoice["id"],
        is_default=settles,
        payment={"type": "payment_intent", "payment_intent": intent["id"]},
        status="paid",
        status_transitions={"canceled_at": None, "paid_at": store.now},
    )


def invoice_charges(store: Store, invoice: Obj) -> list[Obj]:
    """The charges that paid ``invoice``, newest first."""
    found = []
    for paid in store.all("invoice_payment"):
        if paid["invoice"] == invoice["id"] and paid["status"] == "paid":
            intent = store.objects[paid["payment"]["payment_intent"]]
            found.append(store.objects[intent["latest_charge"]])
    return found


def charge_of(store: Store, intent_id: str, param: str | None = "payment_intent") -> Obj:
    """The successful charge of a PaymentIntent.

    :raises StripeError: for an unknown PaymentIntent or one that has no charge.
    """
    intent = store.get("payment_intent", intent_id, param)
    if intent["status"] != "succeeded" or not intent["latest_charge"]:
        raise invalid(
            f"PaymentIntent {intent_id} does not have a successful charge to refund.", param
        )
    charge: Obj = store.objects[intent["latest_charge"]]
    return charge


# -- /v1 handlers ------------------------------------------------------------


def retrieve_charge(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/charges/{id}``."""
    return store.get("charge", ids[0])


def list_charges(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/charges``: filter by ``payment_intent``, ``customer``, ``created``."""
    if "transfer_group" in params:
        return paginate([], params, "/v1/charges", store.listing("charge"))
    return listed(store, "charge", ("payment_intent", "customer"), params, "/v1/charges")


def retrieve_payment_intent(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/payment_intents/{id}``."""
    return store.get("payment_intent", ids[0])


def list_payment_intents(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/payment_intents``: filter by ``customer``, ``created``."""
    if "customer_account" in params:
        return paginate([], params, "/v1/payment_intents", store.listing("payment_intent"))
    return listed(store, "payment_intent", ("customer",), params, "/v1/payment_intents")


def retrieve_invoice_payment(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/invoice_payments/{id}``."""
    return store.get("invoice_payment", ids[0])


def list_invoice_payments(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/invoice_payments``: by ``invoice``, ``status``, ``payment``, ``created``."""
    url = "/v1/invoice_payments"
    payment = params.get("payment") or {}
    if payment.get("type", "payment_intent") != "payment_intent":
        return paginate([], params, url, store.listing("invoice_payment"))
    found = [
        p
        for p in store.all("invoice_payment")
        if params.get("invoice", p["invoice"]) == p["invoice"]
        and params.get("status", p["status"]) == p["status"]
        and payment.get("payment_intent", p["payment"]["payment_intent"])
        == p["payment"]["payment_intent"]
        and matches_range(p["created"], params.get("created"))
    ]
    return paginate(found, params, url, store.listing("invoice_payment"))


def listed(store: Store, kind: str, filters: tuple[str, ...], params: Obj, url: str) -> Obj:
    """A page of ``kind`` objects whose ``filters`` fields equal the parameters sent."""
    found = [
        o
        for o in store.all(kind)
        if all(params[k] == o[k] for k in filters if k in params)
        and matches_range(o["created"], params.get("created"))
    ]
    return paginate(found, params, url, store.listing(kind))
