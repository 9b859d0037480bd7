"""``/v1/invoiceitems`` handlers and the arithmetic of one item's amount.

An item is priced by ``amount`` alone (quantity 1), or by ``quantity`` /
``quantity_decimal`` × ``unit_amount_decimal`` rounded half up to an integer
minor unit, or by a Price — ``pricing[price]`` or inline ``price_data`` — times
the quantity. ``amount`` with a quantity is refused.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from . import billing, catalog, money
from .common import merge_metadata, refuse_unsupported
from .errors import invalid, missing_param, not_editable
from .store import Obj, Store, matches_range, paginate

MAX_ITEMS_PER_INVOICE = 250
MAX_TAX_RATES = 5
UNSUPPORTED = ("discounts", "subscription", "tax_code", "customer_account")


def create(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``POST /v1/invoiceitems``.

    :raises StripeError: missing customer, a finalized invoice, currency
        mismatch, ``amount`` with ``quantity``, bad amounts for the currency.
    """
    refuse_unsupported(params, UNSUPPORTED)
    if "customer" not in params:
        raise missing_param("customer")
    customer = store.get("customer", params["customer"], "customer")
    invoice = _target_invoice(store, params, customer)
    currency = _currency(params, invoice, customer)
    details = _details(store, params)
    item = store.create(
        "invoiceitem",
        **_priced(store, params, currency),
        **details,
        currency=currency,
        customer=customer["id"],
        invoice=invoice["id"] if invoice else None,
    )
    if invoice:
        store.items_by_invoice.setdefault(invoice["id"], []).append(item["id"])
        billing.recompute(store, invoice)
    store.emit("invoiceitem.created", item)
    return item


def _priced(store: Store, params: Obj, currency: str) -> Obj:
    """Amount fields of a new item (``net_amount`` is null for discountable items)."""
    price = _catalog_price(store, params, currency)
    amount, quantity, unit = _price(params, currency, price)
    discountable = params.get("discountable", amount >= 0)
    return {
        "amount": amount,
        "discountable": discountable,
        "net_amount": None if discountable else amount,
        "pricing": _pricing(unit, price),
        "quantity": int(quantity),
        "quantity_decimal": money.decimal_text(quantity),
    }


def _details(store: Store, params: Obj) -> Obj:
    """The other fields of a new item."""
    period = params.get("period") or {"start": store.now, "end": store.now}
    if period["end"] < period["start"]:
        raise invalid("The period end must be greater than or equal to the start.", "period[end]")
    rates = _tax_rates(store, params.get("tax_rates", []))
    return {
        "customer_account": None,
        "date": store.now,
        "description": params.get("description") or None,
        "discounts": [],
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "parent": None,
        "period": dict(period),
        "proration": False,
        "tax_rates": [copy.deepcopy(r) for r in rates],
        "test_clock": None,
    }


def _target_invoice(store: Store, params: Obj, customer: Obj) -> Obj | None:
    if "invoice" not in params:
        return None
    invoice = store.get("invoice", params["invoice"], "invoice")
    if invoice["customer"] != customer["id"]:
        raise invalid(
            f"The invoice {invoice['id']} belongs to customer {invoice['customer']}, not to "
            f"{customer['id']}.",
            "invoice",
        )
    _require_draft(invoice)
    if len(store.items_by_invoice.get(invoice["id"], [])) >= MAX_ITEMS_PER_INVOICE:
        raise invalid(
            f"An invoice can contain at most {MAX_ITEMS_PER_INVOICE} invoice items.", "invoice"
        )
    return invoice


def _require_draft(invoice: Obj) -> None:
    if invoice["status"] != "draft":
        raise not_editable(
            f"Invoice {invoice['id']} is {invoice['status']}: invoice items can only be added "
            "to, changed on or removed from draft invoices.",
            "invoice",
        )


def _currency(params: Obj, invoice: Obj | None, customer: Obj) -> str:
    currency = params.get("currency") or (invoice or {}).get("currency") or customer["currency"]
    if not currency:
        raise missing_param("currency")
    money.check_currency(currency)
    if invoice and currency != invoice["currency"]:
        raise invalid(
            f"The currency of the invoice item ({currency}) must match the currency of the "
            f"invoice ({invoice['currency']}).",
            "currency",
        )
    return str(currency)


def _catalog_price(store: Store, params: Obj, currency: str) -> Obj | None:
    """The Price an item is priced by (``pricing[price]`` or ``price_data``), if any.

    :raises StripeError: for an unknown price or product, or another currency.
    """
    pricing = params.get("pricing") or {}
    if not pricing.get("price") and "price_data" not in params:
        return None
    if pricing.get("price"):
        store.get("price", pricing["price"], "pricing[price]")
    else:
        store.get("product", params["price_data"]["product"], "price_data[product]")
    _exclusive(params, ("pricing", "price_data"), ("amount", "pricing"), ("amount", "price_data"))
    _exclusive(params, ("unit_amount_decimal", "pricing"), ("unit_amount_decimal", "price_data"))
    if pricing.get("price"):
        price: Obj = store.objects[pricing["price"]]
    else:
        data = params["price_data"]
        catalog.check_unit_amount(data, money.check_currency(data["currency"]), "price_data")
        price = catalog.new_price(store, data, "price_data")
    if price["currency"] != currency:
        raise invalid(
            f"The currency of the price ({price['currency']}) must match the currency of the "
            f"invoice item ({currency}).",
            "pricing[price]" if pricing.get("price") else "price_data[currency]",
        )
    return price


def _price(params: Obj, currency: str, price: Obj | None) -> tuple[int, Decimal, Decimal]:
    """``(amount, quantity, unit_amount_decimal)`` of a new item."""
    _exclusive(params, ("amount", "quantity"), ("amount", "quantity_decimal"))
    _exclusive(params, ("amount", "unit_amount_decimal"), ("quantity", "quantity_decimal"))
    if "amount" in params:
        amount = int(params["amount"])
        return money.check_amount(currency, amount), Decimal(1), Decimal(amount)
    if "unit_amount_decimal" not in params and price is None:
        raise missing_param("amount")
    quantity = Decimal(params["quantity_decimal"] if "quantity_decimal" in params else 1)
    if "quantity" in params:
        quantity = Decimal(params["quantity"])
    if quantity < 0:
        raise invalid("Invalid quantity: must be a non-negative number", "quantity")
    unit = Decimal(price["unit_amount_decimal"] if price else params["unit_amount_decimal"])
    if price is None:
        money.check_maximum(currency, unit, "unit_amount_decimal")
    amount = money.round_minor(quantity * unit)
    return money.check_amount(currency, amount, "unit_amount_decimal"), quantity, unit


def _exclusive(params: Obj, *pairs: tuple[str, str]) -> None:
    for first, second in pairs:
        if first in params and second in params:
            raise invalid(
                f"You may only specify one of these parameters: {first}, {second}.",
                first,
                "parameters_exclusive",
            )


def _pricing(unit: Decimal, price: Obj | None) -> Obj:
    details = {"price": price["id"], "product": price["product"]} if price else None
    return {
        "price_details": details,
        "type": "price_details",
        "unit_amount_decimal": money.decimal_text(unit),
    }


def _tax_rates(store: Store, ids: list[str]) -> list[Obj]:
    if len(ids) > MAX_TAX_RATES:
        raise invalid(f"You can apply at most {MAX_TAX_RATES} tax rates to an item.", "tax_rates")
    rates = [store.get("tax_rate", r, "tax_rates") for r in ids]
    for rate in rates:
        if not rate["active"]:
            raise invalid(
                f"The tax rate {rate['id']} is inactive and cannot be applied.", "tax_rates"
            )
    return rates


def retrieve(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/invoiceitems/{id}``."""
    return store.get("invoiceitem", ids[0])


def update(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``POST /v1/invoiceitems/{id}``: description, metadata and tax rates; pending or draft.

    :raises StripeError: when the item's invoice is finalized, or for pricing
        changes (not modelled: delete and re-create the item).
    """
    item = store.get("invoiceitem", ids[0])
    invoice = store.objects.get(item["invoice"] or "")
    if invoice:
        _require_draft(invoice)
    refuse_unsupported(params, (*UNSUPPORTED, "amount", "quantity", "quantity_decimal"))
    refuse_unsupported(params, ("unit_amount_decimal", "pricing", "price_data", "period"))
    before = copy.deepcopy(item)
    if "description" in params:
        item["description"] = params["description"] or None
    if "metadata" in params:
        item["metadata"] = merge_metadata(item["metadata"], params["metadata"])
    if "tax_rates" in params:
        item["tax_rates"] = [copy.deepcopy(r) for r in _tax_rates(store, params["tax_rates"] or [])]
    if "discountable" in params:
        item["discountable"] = params["discountable"]
    if invoice:
        billing.recompute(store, invoice)
    previous = billing.previous_values(before, item, item.keys())
    if previous:
        store.emit("invoiceitem.updated", item, previous)
    return item


def delete(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``DELETE /v1/invoiceitems/{id}``: pending items or items on a draft.

    :raises StripeError: when the item's invoice is finalized.
    """
    item = store.get("invoiceitem", ids[0])
    invoice = store.objects.get(item["invoice"] or "")
    if invoice:
        _require_draft(invoice)
        store.items_by_invoice[invoice["id"]].remove(item["id"])
        billing.recompute(store, invoice)
    store.remove(item["id"])
    store.emit("invoiceitem.deleted", item)
    return store.build("deleted_invoiceitem", id=item["id"])


def list_items(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/invoiceitems``: filter by ``invoice``, ``customer``, ``pending``, ``created``."""
    found = [
        i
        for i in store.all("invoiceitem")
        if params.get("invoice", i["invoice"]) == i["invoice"]
        and params.get("customer", i["customer"]) == i["customer"]
        and params.get("pending", i["invoice"] is None) == (i["invoice"] is None)
        and matches_range(i["created"], params.get("created"))
    ]
    return paginate(found, params, "/v1/invoiceitems", store.listing("invoiceitem"))
