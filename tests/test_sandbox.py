"""The Stripe sandbox, driven over HTTP by the real stripe-python client."""

from __future__ import annotations

import ast
import json
import sys
import threading
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import stripe

from sheetsync.sandbox import StripeSandbox
from sheetsync.sandbox.forms import decode
from sheetsync.sandbox.store import load_templates
from tests.sandbox_support import DAY, KEY, START, client_for, refusal  # noqa: F401


def _customer(client: stripe.StripeClient, email: str = "ada@example.com") -> str:
    return client.v1.customers.create(params={"email": email, "name": "Ada"}).id


def _invoice(client: stripe.StripeClient, customer: str, **params: Any) -> stripe.Invoice:
    body: Any = {"customer": customer, "collection_method": "send_invoice", "days_until_due": 30}
    return client.v1.invoices.create(params=_untyped({**body, **params}))


def _item(client: stripe.StripeClient, invoice: stripe.Invoice, **params: Any) -> Any:
    body: Any = {"customer": invoice.customer, "invoice": invoice.id, **params}
    return client.v1.invoice_items.create(params=body)


def _untyped(params: dict[str, Any]) -> Any:
    """Parameters as sent on the wire, typed loosely to send what stripe.params forbids."""
    return params


def _post(sandbox: StripeSandbox, path: str, data: str = "") -> dict[str, Any]:
    request = urllib.request.Request(sandbox.base_url + path, data=data.encode(), method="POST")
    with urllib.request.urlopen(request) as response:
        result: dict[str, Any] = json.load(response)
        return result


# -- customers ---------------------------------------------------------------


def test_customers_listed_by_exact_case_sensitive_email(client: stripe.StripeClient) -> None:
    first, second = _customer(client, "ada@example.com"), _customer(client, "ada@example.com")
    _customer(client, "Ada@example.com")

    found = client.v1.customers.list(params={"email": "ada@example.com", "limit": 100})

    assert [c.id for c in found.data] == [second, first]
    assert client.v1.customers.list(params={"email": "ADA@EXAMPLE.COM"}).data == []
    updated = client.v1.customers.update(first, params={"metadata": {"row": "1", "old": ""}})
    assert updated.to_dict()["metadata"] == {"row": "1"}
    cleared = client.v1.customers.update(first, params={"metadata": ""})
    assert cleared.to_dict()["metadata"] == {}


# -- invoice lifecycle -------------------------------------------------------


def test_invoice_goes_draft_open_paid_with_number_and_urls(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    customer = _customer(client)
    prefix = client.v1.customers.retrieve(customer).invoice_prefix
    draft = _invoice(client, customer, metadata={"sheetsync_id": "row-1"})
    _item(client, draft, amount=1500, description="Consulting")
    assert (draft.status, draft.number, draft.hosted_invoice_url) == ("draft", None, None)
    assert draft.due_date == START + 30 * DAY

    sandbox.advance(60)
    opened = client.v1.invoices.finalize_invoice(draft.id)
    assert (opened.status, opened.number, opened.amount_due) == ("open", f"{prefix}-0001", 1500)
    assert opened.hosted_invoice_url == f"{sandbox.base_url}/_sandbox/hosted/{draft.id}"
    assert opened.invoice_pdf == f"{sandbox.base_url}/_sandbox/pdf/{draft.id}"
    assert opened.status_transitions.finalized_at == opened.effective_at == START + 60
    assert opened.last_response is not None
    assert opened.last_response.headers["Stripe-Version"] == stripe.api_version

    paid = client.v1.invoices.pay(draft.id, params={"paid_out_of_band": True})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 1500, 0)
    assert paid.status_transitions.paid_at == START + 60
    second = client.v1.invoices.finalize_invoice(_invoice(client, customer).id)
    assert second.number == f"{prefix}-0002"
    assert second.status == "paid"  # nothing due: paid as it is finalized


def test_responses_carry_every_field_of_stripes_fixtures(client: stripe.StripeClient) -> None:
    templates = load_templates()
    rate = client.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": 19, "inclusive": False}
    )
    invoice = _invoice(client, _customer(client))
    item = _item(client, invoice, amount=100, tax_rates=[rate.id])
    invoice = client.v1.invoices.retrieve(invoice.id)
    event = client.v1.events.list(params={"limit": 1}).data[0]
    customer = client.v1.customers.retrieve(str(invoice.customer))

    for obj, kind in [(invoice, "invoice"), (item, "invoiceitem"), (rate, "tax_rate")]:
        assert set(templates[kind]) <= set(obj.to_dict()), kind
    assert set(templates["customer"]) <= set(customer.to_dict())
    assert set(templates["event"]) <= set(event.to_dict())
    assert set(templates["line_item"]) <= set(invoice.lines.data[0].to_dict())
    assert invoice.livemode is False and invoice.id.startswith("in_") and len(invoice.id) == 27


# -- invoice items and amounts -------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit", "amount"),
    [
        (3, "333.5", 1001),  # 1000.5 rounds half up
        (30, "0.05", 2),  # Stripe's decimal-amounts example: 1.5 -> 2
        (7, "0.07", 0),  # 0.49 -> 0
        (1, "1999", 1999),
    ],
)
def test_item_amount_is_quantity_times_unit_amount_decimal_rounded_half_up(
    client: stripe.StripeClient, quantity: int, unit: str, amount: int
) -> None:
    invoice = _invoice(client, _customer(client))

    item = _item(client, invoice, quantity=quantity, unit_amount_decimal=Decimal(unit))

    assert (item.amount, item.quantity, item.pricing.unit_amount_decimal) == (
        amount,
        quantity,
        Decimal(unit),
    )
    assert client.v1.invoices.retrieve(invoice.id).subtotal == amount


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"amount": 100, "quantity": 2},
            "You may only specify one of these parameters: amount, quantity.",
        ),
        (
            {"amount": 100, "unit_amount_decimal": "5"},
            "You may only specify one of these parameters: amount, unit_amount_decimal.",
        ),
        ({"description": "no price"}, "Missing required param: amount."),
        ({"amount": 100, "currency": "eur"}, "must match the currency of the invoice"),
        ({"amount": 100, "pricing": {"price": "price_123"}}, "No such price: 'price_123'"),
    ],
)
def test_item_pricing_refusals(
    client: stripe.StripeClient, params: dict[str, Any], message: str
) -> None:
    invoice = _invoice(client, _customer(client))

    error = refusal(lambda: _item(client, invoice, **params))

    assert message in error.user_message


def test_item_on_finalized_invoice_refused(client: stripe.StripeClient) -> None:
    invoice = _invoice(client, _customer(client))
    _item(client, invoice, amount=100)
    client.v1.invoices.finalize_invoice(invoice.id)

    error = refusal(lambda: _item(client, invoice, amount=100))

    assert error.code == "invoice_not_editable"
    assert client.v1.invoices.retrieve(invoice.id).total == 100


def test_tax_rates_exclusive_and_inclusive_give_exact_integer_totals(
    client: stripe.StripeClient,
) -> None:
    customer = _customer(client)
    rate: Any = {"display_name": "VAT", "jurisdiction": "DE"}
    gst = client.v1.tax_rates.create(
        params=_untyped({**rate, "percentage": 15, "inclusive": False})
    )
    vat = client.v1.tax_rates.create(params=_untyped({**rate, "percentage": 19, "inclusive": True}))

    # Stripe's rounding example: 0.43 and 4.84 at 15% -> 0.0645 -> 0.06 and 0.726 -> 0.73.
    exclusive: Any = _invoice(client, customer)
    for amount in (43, 484):
        _item(client, exclusive, amount=amount, tax_rates=[gst.id])
    exclusive = client.v1.invoices.retrieve(exclusive.id)
    assert [line.taxes[0].amount for line in exclusive.lines.data] == [6, 73]
    assert (exclusive.subtotal, exclusive.total, exclusive.amount_due) == (527, 606, 606)
    assert exclusive.total_taxes[0].amount == 79 and exclusive.total_taxes[0].taxable_amount == 527

    # 1000 including 19%: tax = 1000 - 1000 / 1.19 = 159.66 -> 160.
    inclusive: Any = _invoice(client, customer, default_tax_rates=[vat.id])
    _item(client, inclusive, amount=1000)
    inclusive = client.v1.invoices.retrieve(inclusive.id)
    assert (inclusive.total, inclusive.total_excluding_tax, inclusive.amount_due) == (
        1000,
        840,
        1000,
    )
    tax = inclusive.total_taxes[0]
    assert (tax.amount, tax.tax_behavior, tax.tax_rate_details.tax_rate) == (
        160,
        "inclusive",
        vat.id,
    )


@pytest.mark.parametrize(
    ("currency", "params", "refused"),
    [
        ("kwd", {"amount": 5124}, True),
        ("kwd", {"amount": 5120}, False),
        ("bhd", {"quantity": 2, "unit_amount_decimal": "2562"}, True),
        ("isk", {"amount": 4010}, True),
        ("isk", {"amount": 4000}, False),
    ],
)
def test_currency_amount_rules(
    client: stripe.StripeClient, currency: str, params: dict[str, Any], refused: bool
) -> None:
    invoice = _invoice(client, _customer(client), currency=currency)

    if refused:
        assert refusal(lambda: _item(client, invoice, **params)).param in (
            "amount",
            "unit_amount_decimal",
        )
    else:
        assert _item(client, invoice, **params).amount == params["amount"]


@pytest.mark.parametrize(
    ("currency", "params", "param"),
    [
        ("usd", {"amount": 100000000}, "amount"),
        ("usd", {"quantity": 2, "unit_amount_decimal": "50000000"}, "unit_amount_decimal"),
        (
            "usd",
            {"quantity_decimal": "0.5", "unit_amount_decimal": "100000000"},
            "unit_amount_decimal",
        ),
        ("jpy", {"amount": 100000000}, "amount"),
        ("idr", {"amount": 1000000000000}, "amount"),
        ("usd", {"amount": 99999999}, None),
        ("usd", {"quantity": 3, "unit_amount_decimal": "33333333"}, None),
        ("idr", {"amount": 999999999999}, None),
    ],
)
def test_amounts_above_stripes_maximum_are_refused(
    client: stripe.StripeClient, currency: str, params: dict[str, Any], param: str | None
) -> None:
    invoice = _invoice(client, _customer(client), currency=currency)

    if param is None:
        assert _item(client, invoice, **params).amount <= (10**12 if currency == "idr" else 10**8)
        return
    error = refusal(lambda: _item(client, invoice, **params))
    limit = "999999999999" if currency == "idr" else "99999999"
    assert (error.http_status, error.param, error.code) == (400, param, "amount_too_large")
    assert error.user_message.startswith(f"This value must be less than or equal to {limit} (")
    assert client.v1.invoices.retrieve(invoice.id).total == 0


def test_an_invoice_whose_total_is_above_the_maximum_is_not_finalized(
    client: stripe.StripeClient,
) -> None:
    invoice = _invoice(client, _customer(client))
    _item(client, invoice, amount=60000000)
    _item(client, invoice, amount=40000000)

    error = refusal(lambda: client.v1.invoices.finalize_invoice(invoice.id))

    assert (error.http_status, error.code) == (400, "amount_too_large")
    assert error.user_message == (
        "This value must be less than or equal to 99999999 (it currently is 100000000)."
    )
    assert client.v1.invoices.retrieve(invoice.id).status == "draft"


def test_zero_decimal_currency_amounts_are_whole_units(client: stripe.StripeClient) -> None:
    invoice = _invoice(client, _customer(client), currency="jpy")
    _item(client, invoice, amount=500)
    _item(client, invoice, quantity=3, unit_amount_decimal="333.5")

    invoice = client.v1.invoices.finalize_invoice(invoice.id)

    assert (invoice.currency, invoice.total, invoice.amount_due) == ("jpy", 1501, 1501)


@pytest.mark.parametrize("currency", ["xyz", "USD"])
def test_unknown_or_uppercase_currency_refused(client: stripe.StripeClient, currency: str) -> None:
    error = refusal(lambda: _invoice(client, _customer(client), currency=currency))

    assert error.user_message.startswith(f"Invalid currency: {currency}.")
    assert error.param == "currency"


# -- parameter checking ------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"foo": "1"}, "foo", "Received unknown parameter: foo"),
        (
            {"automatic_tax": {"bogus": "1"}},
            "automatic_tax[bogus]",
            "Received unknown parameter: automatic_tax[bogus]",
        ),
        (
            {"custom_fields": [{"name": "PO"}]},
            "custom_fields[0][value]",
            "Missing required param: custom_fields[0][value].",
        ),
        (
            {"collection_method": "bogus"},
            "collection_method",
            "Invalid collection_method: must be one of charge_automatically or send_invoice",
        ),
        ({"days_until_due": "abc"}, "days_until_due", "Invalid integer: abc"),
        ({"auto_advance": "yes"}, "auto_advance", "Invalid boolean: yes"),
        ({"default_tax_rates": "txr_1"}, "default_tax_rates", "Invalid array"),
        ({"metadata": {"k": {"deep": "x"}}}, "metadata[k]", "Invalid string"),
    ],
)
def test_invoice_parameters_checked_against_stripe_params(
    client: stripe.StripeClient, params: dict[str, Any], param: str, message: str
) -> None:
    body: Any = {"customer": _customer(client), **params}

    error = refusal(lambda: client.v1.invoices.create(params=body))

    assert (error.param, error.http_status) == (param, 400)
    assert error.user_message.startswith(message)
    assert client.v1.invoices.list().data == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.v1.invoices.create(), "Missing required param: customer."),
        (
            lambda c: c.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 7}),
            "Missing required param: inclusive.",
        ),
        (
            lambda c: c.v1.customers.list(params={"emial": "a@b.co"}),
            "Received unknown parameter: emial",
        ),
        (
            lambda c: c.v1.invoices.list(params={"status": "overdue"}),
            "Invalid status: must be one of draft, open, paid, uncollectible, or void",
        ),
        (
            lambda c: c.v1.invoices.list(params={"limit": 101}),
            "Invalid limit: must be between 1 and 100",
        ),
        (lambda c: c.v1.invoices.retrieve("in_missing"), "No such invoice: 'in_missing'"),
    ],
)
def test_missing_and_unknown_parameters_refused(
    client: stripe.StripeClient, call: Any, message: str
) -> None:
    assert refusal(lambda: call(client)).user_message == message


def test_send_invoice_needs_a_future_due_date(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    customer = _customer(client)
    base: Any = {"customer": customer, "collection_method": "send_invoice"}

    missing = refusal(lambda: client.v1.invoices.create(params=base))
    past = refusal(lambda: client.v1.invoices.create(params=_untyped({**base, "due_date": START})))
    future = client.v1.invoices.create(params=_untyped({**base, "due_date": START + 1}))

    assert missing.param == "days_until_due"
    assert (
        past.user_message == "Invalid timestamp: must be an integer Unix timestamp in the future."
    )
    assert past.param == "due_date"
    assert future.due_date == START + 1


# -- illegal transitions -----------------------------------------------------


def _open_invoice(client: stripe.StripeClient, **params: Any) -> stripe.Invoice:
    invoice = _invoice(client, _customer(client), **params)
    _item(client, invoice, amount=1000)
    return client.v1.invoices.finalize_invoice(invoice.id)


@pytest.mark.parametrize(
    ("setup", "action", "code", "message"),
    [
        (
            "open",
            lambda c, i: c.v1.invoices.finalize_invoice(i),
            "invoice_not_editable",
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
        ),
        (
            "paid",
            lambda c, i: c.v1.invoices.void_invoice(i),
            "status_transition_invalid",
            "Invoice is already paid.",
        ),
        (
            "void",
            lambda c, i: c.v1.invoices.pay(i, params={"paid_out_of_band": True}),
            "status_transition_invalid",
            "voided",
        ),
        (
            "draft",
            lambda c, i: c.v1.invoices.mark_uncollectible(i),
            "status_transition_invalid",
            "only mark an open invoice",
        ),
        (
            "open",
            lambda c, i: c.v1.invoices.delete(i),
            "invoice_not_editable",
            "You can only delete draft invoices.",
        ),
        (
            "open",
            lambda c, i: c.v1.invoices.update(
                i, params={"collection_method": "charge_automatically"}
            ),
            "invoice_not_editable",
            "collection_method",
        ),
    ],
)
def test_illegal_transitions_refused(
    client: stripe.StripeClient, setup: str, action: Any, code: str, message: str
) -> None:
    invoice = _invoice(client, _customer(client)) if setup == "draft" else _open_invoice(client)
    if setup == "paid":
        client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    if setup == "void":
        client.v1.invoices.void_invoice(invoice.id)
    before = client.v1.invoices.retrieve(invoice.id).status

    error = refusal(lambda: action(client, invoice.id))

    assert error.code == code and message in error.user_message
    assert client.v1.invoices.retrieve(invoice.id).status == before


def test_send_needs_send_invoice_collection(client: stripe.StripeClient) -> None:
    charged = _open_invoice(client, collection_method="charge_automatically", days_until_due=None)
    emailed = _open_invoice(client)

    assert (
        "collection method is 'send_invoice'"
        in refusal(lambda: client.v1.invoices.send_invoice(charged.id)).user_message
    )
    assert client.v1.invoices.send_invoice(emailed.id).status == "open"


# -- idempotency -------------------------------------------------------------


def test_idempotent_replay_returns_the_stored_response(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    customer = _customer(client)
    params: Any = {"customer": customer, "metadata": {"sheetsync_id": "row-7"}}
    options: Any = {"idempotency_key": "row-7-invoice"}

    first = client.v1.invoices.create(params=params, options=options)
    again = client.v1.invoices.create(params=params, options=options)

    assert again.id == first.id
    assert again.last_response is not None and first.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert len(sandbox.objects("invoice")) == 1
    assert [e["type"] for e in sandbox.objects("event")].count("invoice.created") == 1
    assert [r.replayed for r in sandbox.requests[-2:]] == [False, True]


def test_idempotency_key_reused_with_other_parameters_or_endpoint(
    client: stripe.StripeClient,
) -> None:
    customer = _customer(client)
    options: Any = {"idempotency_key": "k-1"}
    client.v1.invoices.create(params={"customer": customer}, options=options)

    other_params = refusal(
        lambda: client.v1.invoices.create(
            params={"customer": customer, "description": "x"}, options=options
        ),
        stripe.IdempotencyError,
    )
    other_endpoint = refusal(
        lambda: client.v1.customers.create(options=options), stripe.IdempotencyError
    )

    assert other_params.user_message.startswith(
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with."
    )
    assert "same endpoint" in other_endpoint.user_message


def test_idempotency_key_length_and_24_hour_expiry(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    too_long = refusal(lambda: client.v1.customers.create(options={"idempotency_key": "k" * 256}))
    first = client.v1.customers.create(options={"idempotency_key": "k" * 255})
    sandbox.advance(24 * 3600 - 1)
    replayed = client.v1.customers.create(options={"idempotency_key": "k" * 255})
    sandbox.advance(1)
    fresh = client.v1.customers.create(options={"idempotency_key": "k" * 255})

    assert "Idempotent key length is 256" in too_long.user_message
    assert replayed.id == first.id != fresh.id


# -- lists and events --------------------------------------------------------


def test_paginating_250_invoices_by_status_takes_three_requests(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    customer = _customer(client)
    drafts = [client.v1.invoices.create(params={"customer": customer}).id for _ in range(250)]
    client.v1.invoices.finalize_invoice(drafts.pop())
    sandbox.reset_requests()

    listed = client.v1.invoices.list(params={"status": "draft", "limit": 100}).auto_paging_iter()

    assert [i.id for i in listed] == drafts[::-1]
    assert sandbox.count("/v1/invoices", "GET") == 3
    back = client.v1.invoices.list(params={"limit": 3, "ending_before": drafts[10]})
    assert [i.id for i in back.data] == drafts[13:10:-1] and back.has_more
    expanded = client.v1.invoices.list(params={"limit": 1, "expand": ["data.lines"]})
    assert expanded.data[0].lines.data == []


def test_events_filtered_by_types_and_created(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    customer = _customer(client)
    sandbox.advance(100)
    invoice = _open_invoice(client)
    sandbox.advance(100)
    client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})

    types = client.v1.events.list(params={"types": ["invoice.finalized", "invoice.paid"]})
    wildcard = client.v1.events.list(params={"type": "customer.*"})
    recent = client.v1.events.list(params={"created": {"gte": START + 200}})

    assert [e.type for e in types.data] == ["invoice.paid", "invoice.finalized"]
    assert [e.data.object.id for e in wildcard.data][-1] == customer
    assert {e.type for e in recent.data} == {"invoice.updated", "invoice.paid"}
    event = client.v1.events.retrieve(types.data[0].id)
    assert event.data.object.status == "paid"
    assert event.request is not None and event.request.id is not None


def test_invoice_lines_embedded_up_to_ten_and_listed_in_full(client: stripe.StripeClient) -> None:
    invoice = _invoice(client, _customer(client))
    for n in range(12):
        _item(client, invoice, amount=100 + n)

    embedded = client.v1.invoices.retrieve(invoice.id, params={"expand": ["customer"]})
    lines = client.v1.invoices.line_items.list(invoice.id, params={"limit": 5}).auto_paging_iter()

    assert (len(embedded.lines.data), embedded.lines.has_more, embedded.total) == (10, True, 1266)
    assert isinstance(embedded.customer, stripe.Customer)
    assert embedded.customer.email == "ada@example.com"
    assert [line.amount for line in lines] == [100 + n for n in range(12)]
    bad = refusal(
        lambda: client.v1.invoices.retrieve(invoice.id, params={"expand": ["description"]})
    )
    assert bad.user_message == "This property cannot be expanded (description)."


# -- the customer, the dashboard, the clock ----------------------------------


def test_customer_pays_in_part_then_in_full(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    invoice = _open_invoice(client)
    sandbox.advance(DAY)

    sandbox.customer_pays(invoice.id, 400)
    partial = client.v1.invoices.retrieve(invoice.id)
    sandbox.customer_pays(invoice.id)
    paid = client.v1.invoices.retrieve(invoice.id)

    assert (partial.status, partial.amount_paid, partial.amount_remaining) == ("open", 400, 600)
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 1000, 0)
    assert paid.status_transitions.paid_at == START + DAY and paid.attempt_count == 2
    kinds = [e["type"] for e in sandbox.objects("event")][-4:]
    assert kinds == [
        "invoice.updated",
        "invoice.updated",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_payment_fails_keeps_the_invoice_open(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    invoice = _open_invoice(client)

    sandbox.payment_fails(invoice.id)

    failed = client.v1.invoices.retrieve(invoice.id)
    assert (failed.status, failed.attempted, failed.attempt_count) == ("open", True, 1)
    assert sandbox.objects("event")[-1]["type"] == "invoice.payment_failed"


def test_world_actions_over_http_are_not_api_requests(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    first, second = _open_invoice(client), _open_invoice(client)
    sandbox.reset_requests()

    _post(sandbox, f"/_sandbox/invoices/{first.id}/pay", "amount=250")
    _post(sandbox, f"/_sandbox/invoices/{second.id}/void")
    clock = _post(sandbox, "/_sandbox/clock", "advance=60")

    assert (
        sandbox.get(first.id)["amount_paid"] == 250 and sandbox.get(second.id)["status"] == "void"
    )
    assert clock == {"now": START + 60} and sandbox.requests == []


def test_clock_moves_only_when_told_and_auto_advance_finalizes(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    invoice = _invoice(client, _customer(client), auto_advance=True)
    _item(client, invoice, amount=100)
    assert invoice.automatically_finalizes_at == START + 3600

    sandbox.advance(3599)
    assert sandbox.get(invoice.id)["status"] == "draft"
    sandbox.advance(1)
    later = client.v1.customers.create()

    assert sandbox.get(invoice.id)["status"] == "open" and later.created == START + 3600
    assert [e["type"] for e in sandbox.objects("event")][-3:-1] == [
        "invoice.finalized",
        "invoice.sent",
    ]


# -- faults, hooks, authentication, routing ----------------------------------


def test_fail_next_maps_to_stripe_exceptions_and_is_not_applied(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    sandbox.fail_next(r"^/v1/customers$", 429, retry_after=2)
    sandbox.fail_next(r"^/v1/customers$", 500)
    options: Any = {"idempotency_key": "cus-1"}

    limited = refusal(lambda: client.v1.customers.create(options=options), stripe.RateLimitError)
    broken = refusal(lambda: client.v1.customers.create(options=options), stripe.APIError)
    replayed = refusal(lambda: client.v1.customers.create(options=options), stripe.APIError)

    assert (limited.http_status, limited.headers["Retry-After"]) == (429, "2")
    assert limited.json_body["error"]["code"] == "rate_limit"
    assert (broken.http_status, broken.headers["Stripe-Should-Retry"]) == (500, "false")
    assert broken.json_body["error"]["type"] == "api_error"
    assert replayed.headers["Idempotent-Replayed"] == "true"  # Stripe replays saved 500s
    assert sandbox.objects("customer") == [] and sandbox.count("/v1/customers", "POST") == 3
    sandbox.fail_next(r"^/v1/customers$", 503, saved=False)
    refusal(
        lambda: client.v1.customers.create(options={"idempotency_key": "cus-2"}), stripe.APIError
    )
    assert client.v1.customers.create(options={"idempotency_key": "cus-2"}).id.startswith("cus_")


def test_before_and_after_hooks_surround_the_change(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    seen: list[int] = []
    sandbox.before("/v1/customers", lambda: seen.append(len(sandbox.objects("customer"))))
    sandbox.after("/v1/customers", lambda: seen.append(len(sandbox.objects("customer"))))

    _customer(client)
    _customer(client)

    assert seen == [0, 1]


@pytest.mark.parametrize(
    "key",
    ["sk_" + "live_0123456789abcdefghij", "pk_test_0123456789abcdefghij", "not-a-key-at-all-1234"],
)
def test_only_test_mode_secret_keys_are_accepted(sandbox: StripeSandbox, key: str) -> None:
    error = refusal(
        lambda: client_for(sandbox, key).v1.customers.list(), stripe.AuthenticationError
    )

    assert error.http_status == 401 and error.user_message.startswith("Invalid API Key provided: ")
    assert key not in error.user_message
    assert client_for(sandbox, "rk_test_restricted1").v1.customers.list().data == []


def test_unknown_route_is_a_stripe_404(client: stripe.StripeClient) -> None:
    error = refusal(lambda: client.raw_request("get", "/v1/invoices/in_1/nope"))

    assert error.http_status == 404
    assert error.user_message.startswith("Unrecognized request URL (GET: /v1/invoices/in_1/nope).")


def test_concurrent_requests_are_all_applied(sandbox: StripeSandbox) -> None:
    def create() -> None:
        client = client_for(sandbox)
        for _ in range(5):
            client.v1.customers.create()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (
        len({c["id"] for c in sandbox.objects("customer")}) == 20 == sandbox.count("/v1/customers")
    )


@pytest.mark.parametrize(
    ("encoded", "tree"),
    [
        (
            "metadata[sheetsync_id]=x&tax_rates[0]=t1&tax_rates[1]=t2",
            {"metadata": {"sheetsync_id": "x"}, "tax_rates": {"0": "t1", "1": "t2"}},
        ),
        ("expand[]=a&expand[]=b", {"expand": ["a", "b"]}),
        ("created[gte]=5&description=a+b", {"created": {"gte": "5"}, "description": "a b"}),
    ],
)
def test_form_decoding(encoded: str, tree: dict[str, Any]) -> None:
    assert decode(encoded) == tree


def test_sandbox_imports_only_the_standard_library_and_stripe() -> None:
    package = Path(__file__).parents[1] / "sheetsync" / "sandbox"
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])

    assert imported - set(sys.stdlib_module_names) == {"stripe"}
