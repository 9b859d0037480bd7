"""Money coming back: refunds and disputes, learned from Stripe's events.

A refund leaves an invoice `paid` (Stripe's docs), so it is found on the
charge: `charge.refunded` and `charge.dispute.created` events since a time,
tied to a row through the charge's `sheetsync_id` metadata (payment links) or
through the invoice payment that holds its PaymentIntent (invoices).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sheetsync.billing import PaymentNews

if TYPE_CHECKING:
    from sheetsync.billing.stripe_billing import StripeBilling

TYPES = ["charge.refunded", "charge.dispute.created"]


def money_back(stripe: StripeBilling, since: int) -> list[PaymentNews]:
    """Each charge's latest refunded total and any dispute, one entry per charge."""
    refunded: dict[str, dict[str, Any]] = {}
    disputed: dict[str, dict[str, Any]] = {}
    params = {"types": TYPES, "created": {"gte": since}}
    for event in stripe._list(stripe._client.v1.events.list, params):
        obj = event.to_dict()["data"]["object"]
        if event.type == "charge.refunded":
            refunded.setdefault(obj["id"], obj)  # newest first: the first is the latest
        else:
            disputed.setdefault(obj.get("charge") or obj["id"], obj)
    news = []
    for charge_id in refunded.keys() | disputed.keys():
        dispute = disputed.get(charge_id)
        charge = refunded.get(charge_id) or _charge(stripe, charge_id)
        intent = charge.get("payment_intent") or (dispute or {}).get("payment_intent") or ""
        sync_id = (charge.get("metadata") or {}).get("sheetsync_id", "")
        news.append(
            PaymentNews(
                charge_id=charge_id,
                sync_id=sync_id,
                invoice_id="" if sync_id else _invoice_of(stripe, intent),
                currency=str(charge.get("currency") or (dispute or {}).get("currency", "")).upper(),
                refunded=int(charge.get("amount_refunded") or 0),
                dispute=_dispute_text(dispute) if dispute else "",
            )
        )
    return news


def _charge(stripe: StripeBilling, charge_id: str) -> dict[str, Any]:
    """A disputed charge, for the metadata a dispute does not carry."""
    found: dict[str, Any] = stripe._call(stripe._client.v1.charges.retrieve, charge_id).to_dict()
    return found


def _invoice_of(stripe: StripeBilling, payment_intent: str) -> str:
    if not payment_intent:
        return ""
    params = {"payment": {"type": "payment_intent", "payment_intent": payment_intent}, "limit": 1}
    found = stripe._call(stripe._client.v1.invoice_payments.list, params)
    return str(found.data[0].invoice) if found.data else ""


def _dispute_text(dispute: dict[str, Any]) -> str:
    reason = str(dispute.get("reason") or "unknown").replace("_", " ")
    return f"Payment disputed ({reason}): answer it in the Stripe Dashboard"
