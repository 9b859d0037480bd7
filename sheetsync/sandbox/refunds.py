"""Money going back: Refunds (``/v1/refunds``) and Disputes (``/v1/disputes``).

Refunds lower what is left to refund on a charge; a disputed charge cannot be
refunded. Facts from Stripe's API reference and error messages:

- "Refund amount ($20.00) is greater than unrefunded amount on charge ($5.00)";
  "Charge ch_… has already been refunded." (``charge_already_refunded``);
  "Charge ch_… has been charged back; cannot issue a refund." (``charge_disputed``).
- ``charge.refunded`` "occurs whenever a charge is refunded, including partial
  refunds"; ``refunded`` turns true once the whole amount is refunded.
- A refund of an invoice's payment made with the Refund API changes no field
  of the invoice: it stays ``paid`` with its ``amount_paid``; only a credit
  note (:mod:`credit_notes`) raises ``post_payment_credit_notes_amount``.
- A new dispute is ``needs_response``; ``charge.dispute.created`` announces it
  and the charge's ``disputed`` turns true.
"""

from __future__ import annotations

import copy

from . import money
from .common import merge_metadata, refuse_unsupported
from .errors import StripeError, invalid
from .payments import charge_of, listed
from .store import Obj, Store, public

DISPUTE_RESPONSE_DAYS = 7
UNSUPPORTED = (
    "customer",
    "instructions_email",
    "origin",
    "refund_application_fee",
    "reverse_transfer",
)


def refund(
    store: Store,
    charge: Obj,
    amount: int | None,
    *,
    metadata: Obj | None = None,
    reason: str | None = None,
) -> Obj:
    """Refund ``amount`` of ``charge`` (all that is left when ``None``).

    :raises StripeError: for a disputed or fully refunded charge, an amount
        above what is left or not allowed in the currency.
    """
    amount = _amount(charge, amount)
    created = store.create(
        "refund",
        amount=amount,
        balance_transaction=None,
        charge=charge["id"],
        currency=charge["currency"],
        customer=charge["customer"],
        metadata=merge_metadata({}, metadata or {}),
        payment_intent=charge["payment_intent"],
        payment_method=charge["payment_method"],
        reason=reason,
        status="succeeded",
    )
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    charge["refunds"]["data"].insert(0, public(created))
    store.emit("refund.created", created)
    store.emit("charge.refunded", charge, {k: v for k, v in previous.items() if charge[k] != v})
    return created


def _amount(charge: Obj, amount: int | None) -> int:
    left = refundable(charge)
    amount = left if amount is None else amount
    if amount > left:
        raise invalid(
            f"Refund amount ({money.display(charge['currency'], amount)}) is greater than "
            f"unrefunded amount on charge ({money.display(charge['currency'], left)})",
            "amount",
        )
    if amount <= 0:
        raise invalid("Invalid positive integer", "amount")
    return money.check_amount(charge["currency"], amount)


def refundable(charge: Obj) -> int:
    """What is left to refund on ``charge``.

    :raises StripeError: ``charge_disputed`` or ``charge_already_refunded``.
    """
    if charge["disputed"]:
        raise StripeError(
            400,
            f"Charge {charge['id']} has been charged back; cannot issue a refund.",
            code="charge_disputed",
        )
    left = int(charge["amount"]) - int(charge["amount_refunded"])
    if left <= 0:
        raise StripeError(
            400,
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
        )
    return left


def dispute(store: Store, intent_id: str) -> Obj:
    """The customer's bank disputes the payment as fraudulent (a chargeback).

    :raises StripeError: for an unknown PaymentIntent or a charge already disputed.
    """
    charge = charge_of(store, intent_id)
    if charge["disputed"]:
        raise invalid(f"Charge {charge['id']} has already been disputed.", "payment_intent")
    details = copy.deepcopy(store.templates["dispute"]["evidence_details"])
    details.update(due_by=store.now + DISPUTE_RESPONSE_DAYS * 86400, has_evidence=False)
    method = copy.deepcopy(store.templates["dispute"]["payment_method_details"])
    method["card"]["case_type"] = "chargeback"
    created = store.create(
        "dispute",
        amount=charge["amount"],
        charge=charge["id"],
        currency=charge["currency"],
        enhanced_eligibility_types=[],
        evidence_details=details,
        is_charge_refundable=False,
        payment_intent=intent_id,
        payment_method_details=method,
        reason="fraudulent",
        status="needs_response",
    )
    charge["disputed"] = True
    store.emit("charge.dispute.created", created)
    return created


# -- /v1 handlers ------------------------------------------------------------


def create_refund(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``POST /v1/refunds``: of a ``payment_intent`` or a ``charge``.

    :raises StripeError: as :func:`refund`, or without exactly one of the two.
    """
    refuse_unsupported(params, UNSUPPORTED)
    charge = _charge(store, params)
    if params.get("currency", charge["currency"]) != charge["currency"]:
        raise invalid(
            f"The refund currency must match the charge currency ({charge['currency']}).",
            "currency",
        )
    return refund(
        store,
        charge,
        params.get("amount"),
        metadata=params.get("metadata"),
        reason=params.get("reason"),
    )


def _charge(store: Store, params: Obj) -> Obj:
    if "payment_intent" in params and "charge" in params:
        raise invalid(
            "You may only specify one of these parameters: charge, payment_intent.",
            "payment_intent",
            "parameters_exclusive",
        )
    if "payment_intent" in params:
        return charge_of(store, params["payment_intent"])
    if "charge" in params:
        return store.get("charge", params["charge"], "charge")
    raise invalid(
        "One of the following params should be provided for this request: "
        "payment_intent or charge.",
        None,
        "parameter_missing",
    )


def retrieve_refund(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/refunds/{id}``."""
    return store.get("refund", ids[0])


def list_refunds(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/refunds``: filter by ``payment_intent``, ``charge``, ``created``."""
    return listed(store, "refund", ("payment_intent", "charge"), params, "/v1/refunds")


def retrieve_dispute(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/disputes/{id}``."""
    return store.get("dispute", ids[0])


def list_disputes(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/disputes``: filter by ``charge``, ``payment_intent``, ``created``."""
    return listed(store, "dispute", ("payment_intent", "charge"), params, "/v1/disputes")
