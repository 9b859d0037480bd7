"""``/v1/credit_notes`` handlers: post-payment credit notes on paid invoices.

Facts from Stripe's API reference ("Create a credit note") and its credit-note
guides:

- "For a status=paid invoice, a credit note does not affect its amount_due";
  it results in a refund (``refund_amount`` creates one on the invoice's
  payment, ``refunds`` links existing ones), a customer balance credit
  (``credit_amount``) or a credit outside Stripe (``out_of_band_amount``),
  whose sum "must equal the credit note total".
- Each credit note increments the invoice's ``post_payment_credit_notes_amount``
  (paid invoices) or ``pre_payment_credit_notes_amount``; the invoice stays
  ``paid`` and its ``amount_paid`` is what was paid. All credit notes of an
  invoice together cannot exceed its total.
- A refund made with the Refund API alone changes no invoice field.

Not modelled (refused): credit notes on open invoices, customer balance
credits, shipping.
"""

from __future__ import annotations

from decimal import Decimal

from . import money, payments, refunds
from .common import merge_metadata, refuse_unsupported
from .errors import invalid, missing_param
from .store import Listing, Obj, Store, matches_range, paginate, public, random_id

UNSUPPORTED = ("credit_amount", "shipping_cost")


def create(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``POST /v1/credit_notes`` on a paid invoice.

    :raises StripeError: an invoice that is not paid, a total above what is
        left to credit, amounts that do not add up to the total, a refund
        above what is left to refund.
    """
    refuse_unsupported(params, UNSUPPORTED)
    invoice = store.get("invoice", params["invoice"], "invoice")
    if invoice["status"] != "paid":
        raise invalid(
            "The Stripe sandbox issues credit notes on paid invoices only; this invoice is "
            f"{invoice['status']}.",
            "invoice",
        )
    lines = [_line(store, invoice, line, n) for n, line in enumerate(params.get("lines", []))]
    totals = _totals(invoice, lines, params)
    linked = _linked_refunds(store, invoice, params.get("refunds", []))
    _check_sum(invoice, params, totals["total"], sum(r["amount_refunded"] for r in linked))
    made = _refund(store, invoice, params.get("refund_amount", 0))
    note = store.create(
        "credit_note",
        **_fields(store, invoice, params),
        **totals,
        out_of_band_amount=params.get("out_of_band_amount"),
        refunds=linked + made,
    )
    note["lines"]["url"] = f"/v1/credit_notes/{note['id']}/lines"
    note["pdf"] = f"{store.base_url}/_sandbox/pdf/{note['id']}"
    previous = {"post_payment_credit_notes_amount": invoice["post_payment_credit_notes_amount"]}
    invoice["post_payment_credit_notes_amount"] += totals["total"]
    store.emit("credit_note.created", note)
    store.emit("invoice.updated", invoice, previous)
    return note


def _fields(store: Store, invoice: Obj, params: Obj) -> Obj:
    """Fields of a new credit note where the fixture holds example values."""
    issued = sum(1 for n in store.all("credit_note") if n["invoice"] == invoice["id"])
    return {
        "amount_shipping": 0,
        "currency": invoice["currency"],
        "customer": invoice["customer"],
        "customer_account": None,
        "customer_balance_transaction": None,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": params.get("effective_at", store.now),
        "invoice": invoice["id"],
        "memo": params.get("memo"),
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "number": f"{invoice['number']}-CN-{issued + 1:02d}",
        "pre_payment_amount": 0,
        "pretax_credit_amounts": [],
        "reason": params.get("reason"),
        "shipping_cost": None,
        "status": "issued",
        "type": "post_payment",
        "voided_at": None,
    }


def _line(store: Store, invoice: Obj, params: Obj, n: int) -> Obj:
    """A ``credit_note_line_item``: an invoice line (by amount or quantity) or a custom line."""
    path = f"lines[{n}]"
    if params["type"] == "invoice_line_item":
        if "invoice_line_item" not in params:
            raise missing_param(f"{path}[invoice_line_item]")
        line = _invoice_line(invoice, params["invoice_line_item"], path)
        amount, quantity, unit = _credited(line, params, path)
        rate_ids = [t["tax_rate_details"]["tax_rate"] for t in line["taxes"]]
        description = line["description"]
    else:
        rate_ids = list(params.get("tax_rates") or [])
        quantity, unit = _custom(params, path)
        amount = money.round_minor(unit * quantity)
        description = params.get("description")
    rates = [store.get("tax_rate", r, f"{path}[tax_rates]") for r in rate_ids]
    taxes = money.line_taxes(amount, rates)
    return store.build(
        "credit_note_line_item",
        id=random_id("cnli"),
        amount=amount,
        description=description,
        discount_amounts=[],
        invoice_line_item=params.get("invoice_line_item"),
        metadata=params.get("metadata"),
        pretax_credit_amounts=[],
        quantity=quantity,
        tax_rates=[public(r) for r in rates],
        taxes=[t.as_stripe() for t in taxes],
        type=params["type"],
        **_unit_fields(params["type"], unit),
    )


def _custom(params: Obj, path: str) -> tuple[int, Decimal]:
    """``(quantity, unit)`` of a custom line."""
    if "unit_amount" in params and "unit_amount_decimal" in params:
        raise invalid(
            "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
            f"{path}[unit_amount]",
            "parameters_exclusive",
        )
    if "unit_amount" not in params and "unit_amount_decimal" not in params:
        raise missing_param(f"{path}[unit_amount]")
    name = "unit_amount" if "unit_amount" in params else "unit_amount_decimal"
    unit = Decimal(params[name])
    return int(params.get("quantity", 1)), unit


def _unit_fields(kind: str, unit: Decimal) -> Obj:
    if kind == "invoice_line_item":
        return {"unit_amount": None, "unit_amount_decimal": None}
    whole = unit == unit.to_integral_value()
    return {
        "unit_amount": int(unit) if whole else None,
        "unit_amount_decimal": money.decimal_text(unit),
    }


def _invoice_line(invoice: Obj, line_id: str, path: str) -> Obj:
    for line in invoice["lines"]["data"]:
        if line["id"] == line_id:
            return dict(line)
    raise invalid(
        f"The invoice line item {line_id} is not on invoice {invoice['id']}.",
        f"{path}[invoice_line_item]",
    )


def _credited(line: Obj, params: Obj, path: str) -> tuple[int, int, Decimal]:
    """``(amount, quantity, unit)`` credited on an invoice line."""
    unit = Decimal(line["pricing"]["unit_amount_decimal"])
    if "amount" in params:
        amount, quantity = int(params["amount"]), int(line["quantity"])
    elif "quantity" in params:
        quantity = int(params["quantity"])
        amount = money.round_minor(unit * quantity)
    else:
        raise missing_param(f"{path}[amount]")
    if not 0 < amount <= line["amount"]:
        raise invalid(
            f"The amount credited on {line['id']} must be between 1 and the line amount "
            f"({line['amount']}).",
            f"{path}[amount]",
        )
    return amount, quantity, unit


def _totals(invoice: Obj, lines: list[Obj], params: Obj) -> Obj:
    if not lines and "amount" not in params:
        raise invalid("One of amount, lines, or shipping_cost must be provided.", "amount")
    subtotal = sum(int(line["amount"]) for line in lines)
    taxes = [tax for line in lines for tax in line["taxes"]]
    inclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "inclusive")
    total = subtotal + sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")
    if not lines:
        subtotal = total = int(params["amount"])
    elif params.get("amount", total) != total:
        raise invalid(
            f"The amount ({params['amount']}) must equal the total of the lines ({total}).",
            "amount",
        )
    left = invoice["total"] - invoice["post_payment_credit_notes_amount"]
    left -= invoice["pre_payment_credit_notes_amount"]
    if not 0 < total <= left:
        raise invalid(
            f"The credit note total ({money.display(invoice['currency'], total)}) must be "
            "greater than 0 and at most what is left to credit on the invoice "
            f"({money.display(invoice['currency'], left)}).",
            "amount",
        )
    return {
        "amount": total,
        "lines": {"object": "list", "data": lines, "has_more": False, "url": ""},
        "post_payment_amount": total,
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inclusive,
        "total": total,
        "total_excluding_tax": subtotal - inclusive,
        "total_taxes": _aggregate(taxes),
    }


def _aggregate(taxes: list[Obj]) -> list[Obj]:
    """Taxes summed per tax rate, in the order rates first appear."""
    totals: dict[str, Obj] = {}
    for tax in taxes:
        rate = tax["tax_rate_details"]["tax_rate"]
        if rate in totals:
            totals[rate]["amount"] += tax["amount"]
            totals[rate]["taxable_amount"] += tax["taxable_amount"]
        else:
            totals[rate] = {**tax, "tax_rate_details": dict(tax["tax_rate_details"])}
    return list(totals.values())


def _check_sum(invoice: Obj, params: Obj, total: int, linked: int) -> None:
    parts = params.get("refund_amount", 0) + params.get("out_of_band_amount", 0) + linked
    if parts != total:
        raise invalid(
            "For a paid invoice, refund_amount, refunds, credit_amount and out_of_band_amount "
            f"must add up to the credit note total ({money.display(invoice['currency'], total)}); "
            f"they add up to {money.display(invoice['currency'], parts)}.",
            "refund_amount",
        )


def _linked_refunds(store: Store, invoice: Obj, wanted: list[Obj]) -> list[Obj]:
    """``refunds[]``: existing refunds of the invoice's payments, to document on the note."""
    charges = {c["id"] for c in payments.invoice_charges(store, invoice)}
    linked = []
    for n, entry in enumerate(wanted):
        if entry.get("type", "refund") != "refund" or "refund" not in entry:
            raise missing_param(f"refunds[{n}][refund]")
        made = store.get("refund", entry["refund"], f"refunds[{n}][refund]")
        if made["charge"] not in charges:
            raise invalid(
                f"The refund {made['id']} is not a refund of a payment of this invoice.",
                f"refunds[{n}][refund]",
            )
        amount = int(entry["amount_refunded"] if "amount_refunded" in entry else made["amount"])
        if not 0 < amount <= made["amount"] - _documented(store, made["id"]):
            raise invalid(
                f"amount_refunded must be between 1 and what is left of refund {made['id']}.",
                f"refunds[{n}][amount_refunded]",
            )
        linked.append(_entry(made["id"], amount))
    return linked


def _documented(store: Store, refund_id: str) -> int:
    return sum(
        entry["amount_refunded"]
        for note in store.all("credit_note")
        for entry in note["refunds"]
        if entry["refund"] == refund_id
    )


def _refund(store: Store, invoice: Obj, amount: int) -> list[Obj]:
    """Refund ``amount`` of the invoice's payments, newest payment first."""
    if amount <= 0:
        return []
    charges = [c for c in payments.invoice_charges(store, invoice) if not c["disputed"]]
    if not payments.invoice_charges(store, invoice):
        raise invalid(
            "This invoice was not paid through Stripe, so there is no payment to refund; use "
            "out_of_band_amount instead.",
            "refund_amount",
        )
    left = sum(c["amount"] - c["amount_refunded"] for c in charges)
    if amount > left:
        raise invalid(
            f"Refund amount ({money.display(invoice['currency'], amount)}) is greater than "
            f"unrefunded amount on charge ({money.display(invoice['currency'], left)})",
            "refund_amount",
        )
    made = []
    for charge in charges:
        part = min(amount, charge["amount"] - charge["amount_refunded"])
        if part > 0:
            made.append(_entry(refunds.refund(store, charge, part)["id"], part))
            amount -= part
    return made


def _entry(refund_id: str, amount: int) -> Obj:
    return {
        "amount_refunded": amount,
        "payment_record_refund": None,
        "refund": refund_id,
        "type": "refund",
    }


def retrieve(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/credit_notes/{id}``."""
    return store.get("credit_note", ids[0])


def list_notes(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/credit_notes``: filter by ``invoice``, ``customer``, ``created``."""
    if "customer_account" in params:
        return paginate([], params, "/v1/credit_notes", store.listing("credit_note"))
    found = [
        n
        for n in store.all("credit_note")
        if params.get("invoice", n["invoice"]) == n["invoice"]
        and params.get("customer", n["customer"]) == n["customer"]
        and matches_range(n["created"], params.get("created"))
    ]
    return paginate(found, params, "/v1/credit_notes", store.listing("credit_note"))


def list_lines(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/credit_notes/{id}/lines``."""
    note = store.get("credit_note", ids[0])
    lines: list[Obj] = note["lines"]["data"]
    position = {line["id"]: n for n, line in enumerate(lines)}
    by_id = {line["id"]: line for line in lines}
    listing = Listing(lambda o: position[o["id"]], by_id.get, "line item", descending=False)
    return paginate(lines, params, f"/v1/credit_notes/{note['id']}/lines", listing)
