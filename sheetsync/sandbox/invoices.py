"""``/v1/invoices`` handlers: create, retrieve, update, list, lines, delete, actions."""

from __future__ import annotations

import copy

from . import billing, money
from .common import merge_metadata, refuse_unsupported, set_fields
from .errors import bad_transition, invalid, missing_param, no_such, not_editable
from .store import Listing, Obj, Store, matches_range, paginate

DAY = 86400
PLAIN = ("description", "footer", "statement_descriptor", "custom_fields", "effective_at")
UNSUPPORTED = (
    "account_tax_ids",
    "application_fee_amount",
    "default_payment_method",
    "default_source",
    "discounts",
    "from_invoice",
    "on_behalf_of",
    "shipping_cost",
    "shipping_details",
    "subscription",
    "transfer_data",
)
# Once finalized Stripe keeps "monetary values, as well as collection_method" fixed.
EDITABLE_AFTER_DRAFT = frozenset(
    {"auto_advance", "custom_fields", "days_until_due", "description", "due_date", "expand"}
    | {"footer", "metadata", "payment_settings", "rendering", "statement_descriptor"}
)
EDITABLE_WHEN_DONE = frozenset({"metadata", "expand"})


def create(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``POST /v1/invoices``.

    :raises StripeError: unknown customer, send_invoice without a due date, a
        past ``due_date``, unsupported parameters.
    """
    refuse_unsupported(params, UNSUPPORTED)
    customer = _customer(store, params)
    currency = money.check_currency(params.get("currency") or customer["currency"] or "usd")
    method = params.get("collection_method", "charge_automatically")
    due_date = _due_date(store, method, params)
    rates = [
        store.get("tax_rate", r, "default_tax_rates") for r in params.get("default_tax_rates", [])
    ]
    auto_advance = params.get("auto_advance", False)
    invoice = store.create(
        "invoice",
        **_blank(store),
        **billing.customer_snapshot(customer),
        customer=customer["id"],
        currency=currency,
        collection_method=method,
        due_date=due_date,
        auto_advance=auto_advance,
        automatically_finalizes_at=store.now + billing.HOUR if auto_advance else None,
        default_tax_rates=[copy.deepcopy(r) for r in rates],
        metadata=merge_metadata({}, params.get("metadata", {})),
        number=params.get("number") or None,
    )
    set_fields(invoice, params, PLAIN)
    _set_settings(invoice, params)
    if params.get("pending_invoice_items_behavior") == "include":
        _include_pending(store, invoice)
    billing.recompute(store, invoice)
    store.emit("invoice.created", invoice)
    return invoice


def _customer(store: Store, params: Obj) -> Obj:
    if "customer" in params:
        return store.get("customer", params["customer"], "customer")
    if "customer_account" in params:
        raise no_such("account", params["customer_account"], "customer_account")
    raise missing_param("customer")


def _blank(store: Store) -> Obj:
    """Fields of a new one-off invoice where the fixture holds example values."""
    now = store.now
    return {
        "amount_overpaid": 0,
        "amount_paid": 0,
        "automatic_tax": {
            "enabled": False,
            "liability": None,
            "disabled_reason": None,
            "provider": None,
            "status": None,
        },
        "effective_at": None,
        "from_invoice": None,
        "last_finalization_error": None,
        "next_payment_attempt": None,
        "parent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": now,
        "period_start": now,
        "shipping_cost": None,
        "shipping_details": None,
        "status": "draft",
        "total_pretax_credit_amounts": [],
        "webhooks_delivered_at": now,
    }


def _set_settings(invoice: Obj, params: Obj) -> None:
    for name in ("payment_settings", "rendering"):
        if name in params:
            merged = dict(invoice.get(name) or {})
            merged.update(params[name] or {})
            invoice[name] = merged


def _due_date(store: Store, method: str, params: Obj) -> int | None:
    days, due = params.get("days_until_due"), params.get("due_date")
    if method != "send_invoice":
        if days is not None or due is not None:
            param = "days_until_due" if days is not None else "due_date"
            raise invalid(
                f"The {param} parameter can only be used with collection_method=send_invoice.",
                param,
            )
        return None
    if days is not None and due is not None:
        raise invalid(
            "You may only specify one of these parameters: days_until_due, due_date.",
            "due_date",
            "parameters_exclusive",
        )
    if days is None and due is None:
        raise invalid(
            "Invoices with collection_method=send_invoice require days_until_due or due_date.",
            "days_until_due",
            "parameter_missing",
        )
    if due is not None:
        if due <= store.now:
            raise invalid(
                "Invalid timestamp: must be an integer Unix timestamp in the future.", "due_date"
            )
        return int(due)
    if int(days or 0) < 0:
        raise invalid("Invalid days_until_due: must be at least 0", "days_until_due")
    return store.now + int(days or 0) * DAY


def _include_pending(store: Store, invoice: Obj) -> None:
    pending = [
        i
        for i in sorted(store.all("invoiceitem"), key=store.sort_key)
        if i["customer"] == invoice["customer"]
        and i["invoice"] is None
        and i["currency"] == invoice["currency"]
    ]
    for item in pending:
        item["invoice"] = invoice["id"]
        store.items_by_invoice.setdefault(invoice["id"], []).append(item["id"])


def retrieve(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/invoices/{id}``."""
    return store.get("invoice", ids[0])


def update(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``POST /v1/invoices/{id}``: drafts fully, finalized invoices only some fields.

    :raises StripeError: ``invoice_not_editable`` for fields frozen by the status.
    """
    invoice = store.get("invoice", ids[0])
    _check_editable(invoice, params)
    refuse_unsupported(params, UNSUPPORTED)
    before = copy.deepcopy(invoice)
    method = str(params.get("collection_method", invoice["collection_method"]))
    if {"collection_method", "days_until_due", "due_date"} & params.keys():
        merged = {k: v for k, v in params.items() if k in ("days_until_due", "due_date")}
        if method == "send_invoice" and not merged and invoice["due_date"]:
            merged["due_date"] = invoice["due_date"]
        invoice["due_date"] = _due_date(store, method, merged)
        invoice["collection_method"] = method
    if "default_tax_rates" in params:
        ids_ = params["default_tax_rates"] or []
        rates = [store.get("tax_rate", r, "default_tax_rates") for r in ids_]
        invoice["default_tax_rates"] = [copy.deepcopy(r) for r in rates]
    if "metadata" in params:
        invoice["metadata"] = merge_metadata(invoice["metadata"], params["metadata"])
    set_fields(invoice, params, (*PLAIN, "auto_advance", "number"))
    _set_settings(invoice, params)
    if invoice["status"] == "draft":
        due = invoice["automatically_finalizes_at"]
        invoice["automatically_finalizes_at"] = (
            (due or store.now + billing.HOUR) if invoice["auto_advance"] else None
        )
        billing.recompute(store, invoice)
    previous = billing.previous_values(before, invoice, invoice.keys())
    if previous:
        store.emit("invoice.updated", invoice, previous)
    return invoice


def _check_editable(invoice: Obj, params: Obj) -> None:
    status = invoice["status"]
    if status == "draft":
        return
    allowed = EDITABLE_AFTER_DRAFT if status in billing.PAYABLE else EDITABLE_WHEN_DONE
    frozen = sorted(set(params) - allowed)
    if frozen:
        raise not_editable(
            f"You can't update '{frozen[0]}' on an invoice that is {status}; once an invoice "
            "is finalized, its monetary values and collection_method can no longer change.",
            frozen[0],
        )


def delete(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``DELETE /v1/invoices/{id}``: drafts only; their invoice items go with them.

    :raises StripeError: for a finalized invoice (void it instead).
    """
    invoice = store.get("invoice", ids[0])
    if invoice["status"] != "draft":
        raise not_editable("You can only delete draft invoices. Void the invoice instead.")
    for item_id in store.items_by_invoice.pop(invoice["id"], []):
        store.remove(item_id)
    store.remove(invoice["id"])
    store.emit("invoice.deleted", invoice)
    return store.build("deleted_invoice", id=invoice["id"])


def list_invoices(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/invoices``: newest first, filtered, paginated."""
    wanted = {k: params[k] for k in ("customer", "status", "collection_method") if k in params}
    if "subscription" in params or "customer_account" in params:
        return paginate([], params, "/v1/invoices", store.listing("invoice"))
    found = [
        i
        for i in store.all("invoice")
        if all(i[k] == v for k, v in wanted.items())
        and matches_range(i["created"], params.get("created"))
        and matches_range(i["due_date"], params.get("due_date"))
    ]
    return paginate(found, params, "/v1/invoices", store.listing("invoice"))


def list_lines(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/invoices/{id}/lines``: every line, in invoice order."""
    invoice = store.get("invoice", ids[0])
    lines: list[Obj] = invoice["lines"]["data"]
    position = {line["id"]: n for n, line in enumerate(lines)}
    by_id = {line["id"]: line for line in lines}
    listing = Listing(lambda o: position[o["id"]], by_id.get, "line item", descending=False)
    return paginate(lines, params, f"/v1/invoices/{invoice['id']}/lines", listing)


def finalize(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``POST /v1/invoices/{id}/finalize``."""
    invoice = store.get("invoice", ids[0])
    billing.finalize(store, invoice, params.get("auto_advance"))
    return invoice


def send(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``POST /v1/invoices/{id}/send``: finalized ``send_invoice`` invoices only.

    :raises StripeError: for drafts, void invoices or ``charge_automatically``.
    """
    invoice = store.get("invoice", ids[0])
    if invoice["collection_method"] != "send_invoice":
        raise invalid(
            "You can only manually send an invoice if its collection method is 'send_invoice'."
        )
    if invoice["status"] in ("draft", "void"):
        raise bad_transition(f"You can't send an invoice that is {invoice['status']}.")
    store.emit("invoice.sent", invoice)
    return invoice


def pay(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``POST /v1/invoices/{id}/pay``: only ``paid_out_of_band`` can succeed here.

    The sandbox's customers have no payment methods, so a charge attempt is
    refused as Stripe refuses one for a customer without a payment method.
    """
    invoice = store.get("invoice", ids[0])
    if invoice["status"] in ("paid", "void"):
        billing.require_payable(invoice, "pay")
    for name, label in (("payment_method", "PaymentMethod"), ("source", "source")):
        if params.get(name):
            raise no_such(label, params[name], name)
    if not params.get("paid_out_of_band"):
        raise invalid(
            "This customer has no attached payment source or default payment method. Please "
            "consider adding a default payment method, or pass paid_out_of_band=true."
        )
    if invoice["status"] == "draft":
        billing.finalize(store, invoice)
    if invoice["status"] != "paid":
        billing.pay(store, invoice, None, out_of_band=True)
    return invoice


def void(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``POST /v1/invoices/{id}/void``."""
    invoice = store.get("invoice", ids[0])
    billing.void(store, invoice)
    return invoice


def mark_uncollectible(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``POST /v1/invoices/{id}/mark_uncollectible``."""
    invoice = store.get("invoice", ids[0])
    billing.mark_uncollectible(store, invoice)
    return invoice
