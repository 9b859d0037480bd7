"""Invoice amounts, lines and status changes, shared by the API and the world.

The API handlers (:mod:`invoices`, :mod:`items`) and the "customer" / "dashboard"
actions of :class:`~sheetsync.sandbox.StripeSandbox` both come through here, so
a payment on the hosted page and ``POST /v1/invoices/{id}/pay`` change an
invoice the same way and emit the same events.

Statuses (Stripe's invoicing workflow): draft → open (finalize); open or
uncollectible → paid (payment) or void; open → uncollectible. Paid and void are
final. An invoice whose amount due is zero is paid as it is finalized.
"""

from __future__ import annotations

from typing import Any

from . import money, payments
from .errors import bad_transition, not_editable
from .store import Obj, Store, random_id

PAYABLE = ("open", "uncollectible")
HOUR = 3600


def recompute(store: Store, invoice: Obj) -> None:
    """Rebuild ``lines`` and every amount of ``invoice`` from its invoice items."""
    items = [store.objects[i] for i in store.items_by_invoice.get(invoice["id"], [])]
    lines, taxes = [], []
    for item in items:
        rates = item["tax_rates"] or invoice["default_tax_rates"]
        line_taxes = money.line_taxes(item["amount"], rates)
        lines.append(_line(store, invoice, item, line_taxes))
        taxes.extend(line_taxes)
    subtotal = sum(item["amount"] for item in items)
    inclusive = sum(t.amount for t in taxes if t.inclusive)
    exclusive = sum(t.amount for t in taxes if not t.inclusive)
    total = subtotal + exclusive
    amount_due = max(total, 0)
    invoice.update(
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal - inclusive,
        total=total,
        total_excluding_tax=subtotal - inclusive,
        total_taxes=[t.as_stripe() for t in money.aggregate(taxes)],
        amount_due=amount_due,
        amount_remaining=amount_due - invoice["amount_paid"],
        lines={
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/invoices/{invoice['id']}/lines",
        },
    )


def _line(store: Store, invoice: Obj, item: Obj, taxes: list[money.LineTax]) -> Obj:
    line_id = store.line_ids.setdefault(item["id"], random_id("il"))
    details = {
        "invoice_item": item["id"],
        "proration": False,
        "proration_details": {"credited_items": None},
        "subscription": None,
    }
    return store.build(
        "line_item",
        id=line_id,
        amount=item["amount"],
        currency=item["currency"],
        description=item["description"],
        discount_amounts=[],
        discountable=item["discountable"],
        discounts=[],
        invoice=invoice["id"],
        metadata=dict(item["metadata"]),
        period=dict(item["period"]),
        pretax_credit_amounts=[],
        pricing=dict(item["pricing"]),
        quantity=item["quantity"],
        quantity_decimal=item["quantity_decimal"],
        subscription=None,
        subtotal=item["amount"],
        taxes=[t.as_stripe() for t in taxes],
        parent={
            "type": "invoice_item_details",
            "invoice_item_details": details,
            "subscription_item_details": None,
        },
    )


def customer_snapshot(customer: Obj) -> Obj:
    """The ``customer_*`` fields an invoice copies from its customer."""
    return {
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": customer["shipping"],
        "customer_tax_exempt": customer["tax_exempt"],
    }


def finalize(store: Store, invoice: Obj, auto_advance: bool | None = None) -> None:
    """Draft → open: number, URLs and ``finalized_at`` are set; a zero invoice is paid.

    :raises StripeError: ``invoice_not_editable`` when the invoice is not a draft,
        ``amount_too_large`` when its total is above Stripe's maximum.
    """
    if invoice["status"] != "draft":
        raise not_editable(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice."
        )
    money.check_maximum(invoice["currency"], invoice["total"], None)
    if auto_advance is not None:
        invoice["auto_advance"] = auto_advance
    customer = store.objects[invoice["customer"]]
    if not invoice["number"]:
        invoice["number"] = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
        customer["next_invoice_sequence"] += 1
    invoice.update(customer_snapshot(customer))
    invoice.update(
        status="open",
        effective_at=invoice["effective_at"] or store.now,
        hosted_invoice_url=f"{store.base_url}/_sandbox/hosted/{invoice['id']}",
        invoice_pdf=f"{store.base_url}/_sandbox/pdf/{invoice['id']}",
        automatically_finalizes_at=None,
        starting_balance=0,
        ending_balance=0,
    )
    invoice["status_transitions"]["finalized_at"] = store.now
    store.emit("invoice.finalized", invoice)
    if invoice["amount_due"] == 0:
        _settle(store, invoice, 0, out_of_band=False)
    elif invoice["collection_method"] == "send_invoice" and invoice["auto_advance"]:
        store.emit("invoice.sent", invoice)


def pay(store: Store, invoice: Obj, amount: int | None, *, out_of_band: bool) -> None:
    """Record a payment of ``amount`` (the whole remainder when ``None``).

    A smaller amount is a partial payment: the invoice stays open. A payment
    by the customer is a PaymentIntent and Charge with an Invoice Payment; one
    ``out_of_band`` (outside Stripe) moves no money through Stripe.

    :raises StripeError: when the invoice is not payable or the amount is wrong.
    """
    require_payable(invoice, "pay")
    remaining = invoice["amount_remaining"]
    amount = remaining if amount is None else amount
    if not 0 < amount <= remaining:
        raise bad_transition(
            f"The payment amount must be between 1 and the amount remaining ({remaining})."
        )
    _settle(store, invoice, amount, out_of_band=out_of_band)


def _settle(store: Store, invoice: Obj, amount: int, *, out_of_band: bool) -> None:
    previous = _fields(invoice, "amount_paid", "amount_remaining", "status", "attempted")
    if not out_of_band and amount:
        settles = amount == invoice["amount_remaining"]
        payments.record_invoice_payment(store, invoice, amount, settles=settles)
    invoice["amount_paid"] += amount
    invoice["amount_remaining"] -= amount
    if not out_of_band and amount:
        previous["attempt_count"] = invoice["attempt_count"]
        invoice["attempted"] = True
        invoice["attempt_count"] += 1
    paid = invoice["amount_remaining"] == 0
    if paid:
        invoice.update(status="paid", next_payment_attempt=None, automatically_finalizes_at=None)
        invoice["status_transitions"]["paid_at"] = store.now
    store.emit("invoice.updated", invoice, _changed(previous, invoice))
    if paid:
        store.emit("invoice.paid", invoice)
        if not out_of_band:
            store.emit("invoice.payment_succeeded", invoice)


def payment_failed(store: Store, invoice: Obj) -> None:
    """A declined attempt: the invoice stays payable, ``attempt_count`` grows.

    :raises StripeError: when the invoice is not open or uncollectible.
    """
    require_payable(invoice, "pay")
    previous = _fields(invoice, "attempted", "attempt_count")
    invoice["attempted"] = True
    invoice["attempt_count"] += 1
    store.emit("invoice.updated", invoice, _changed(previous, invoice))
    store.emit("invoice.payment_failed", invoice)


def void(store: Store, invoice: Obj) -> None:
    """Open or uncollectible → void (final).

    :raises StripeError: ``status_transition_invalid`` from any other status.
    """
    require_payable(invoice, "void")
    invoice.update(status="void", auto_advance=False, next_payment_attempt=None)
    invoice["status_transitions"]["voided_at"] = store.now
    store.emit("invoice.voided", invoice)


def mark_uncollectible(store: Store, invoice: Obj) -> None:
    """Open → uncollectible.

    :raises StripeError: ``status_transition_invalid`` from any other status.
    """
    if invoice["status"] != "open":
        raise bad_transition(
            f"You can only mark an open invoice as uncollectible; this invoice is "
            f"{invoice['status']}."
        )
    invoice.update(status="uncollectible", auto_advance=False, next_payment_attempt=None)
    invoice["status_transitions"]["marked_uncollectible_at"] = store.now
    store.emit("invoice.marked_uncollectible", invoice)


def require_payable(invoice: Obj, action: str) -> None:
    """Refuse ``action`` unless the invoice is open or uncollectible.

    :raises StripeError: ``status_transition_invalid``.
    """
    status = invoice["status"]
    if status in PAYABLE:
        return
    if status == "paid":
        message = "Invoice is already paid."
    elif status == "void":
        message = "This invoice has been voided and can no longer be changed."
    else:
        message = f"You can only {action} an invoice after it has been finalized."
    raise bad_transition(message)


def advance_clock(store: Store) -> None:
    """Run what Stripe does as time passes: drafts with ``auto_advance`` finalize.

    Stripe finalizes such a draft about an hour after it was created
    (``automatically_finalizes_at``).
    """
    for invoice in sorted(store.all("invoice"), key=store.sort_key):
        due = invoice.get("automatically_finalizes_at")
        if invoice["status"] == "draft" and invoice["auto_advance"] and due and due <= store.now:
            finalize(store, invoice)


def _fields(obj: Obj, *names: str) -> Obj:
    return {name: obj[name] for name in names}


def _changed(previous: Obj, current: Obj) -> Obj:
    return {k: v for k, v in previous.items() if current.get(k) != v}


def previous_values(before: Obj, after: Obj, keys: Any) -> Obj:
    """``previous_attributes`` of an ``*.updated`` event: old values of changed keys."""
    return {k: before.get(k) for k in keys if before.get(k) != after.get(k)}
