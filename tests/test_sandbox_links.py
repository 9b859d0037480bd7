"""The Stripe sandbox's products, prices, payment links and Checkout Sessions,
driven over HTTP by the real stripe-python client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from decimal import Decimal
from typing import Any

import pytest
import stripe

from sheetsync.sandbox import StripeError, StripeSandbox
from sheetsync.sandbox.store import load_templates
from tests.sandbox_support import DAY, KEY, START, client_for, refusal  # noqa: F401


def _price(client: stripe.StripeClient, amount: int, currency: str = "usd", **extra: Any) -> str:
    params: Any = {"currency": currency, "unit_amount": amount, "product_data": {"name": "Hours"}}
    body: Any = {**params, **extra}
    return client.v1.prices.create(params=body).id


def _link(client: stripe.StripeClient, *prices: tuple[str, int], **params: Any) -> Any:
    lines = [{"price": price, "quantity": quantity} for price, quantity in prices]
    body: Any = {"line_items": lines, **params}
    return client.v1.payment_links.create(params=body)


def _http(sandbox: StripeSandbox, path: str, method: str = "POST") -> tuple[int, str]:
    data = b"" if method == "POST" else None
    request = urllib.request.Request(sandbox.base_url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _types(sandbox: StripeSandbox) -> list[str]:
    return [e["type"] for e in sandbox.objects("event")]


# -- products and prices -----------------------------------------------------


def test_price_with_inline_product_data_creates_the_product(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    price = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount_decimal": Decimal("1250.5"),
            "product_data": {"name": "Consulting", "metadata": {"row": "3"}},
            "tax_behavior": "exclusive",
            "metadata": {"sheetsync_id": "row-3"},
        }
    )
    product = client.v1.products.retrieve(str(price.product))
    other = _price(client, 900)

    assert (price.currency, price.unit_amount, price.unit_amount_decimal) == (
        "eur",
        None,
        Decimal("1250.5"),
    )
    assert (price.type, price.tax_behavior, price.active) == ("one_time", "exclusive", True)
    assert (product.name, product.to_dict()["metadata"]) == ("Consulting", {"row": "3"})
    assert price.created == product.created == START
    by_product = client.v1.prices.list(params={"product": product.id})
    assert [p.id for p in by_product.data] == [price.id]
    assert [p.id for p in client.v1.prices.list(params={"currency": "usd"}).data] == [other]
    assert len(client.v1.products.list(params={"active": True}).data) == 2
    assert _types(sandbox)[:2] == ["product.created", "price.created"]
    templates = load_templates()
    assert set(templates["price"]) <= set(price.to_dict())
    assert set(templates["product"]) <= set(product.to_dict())


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"currency": "kwd", "unit_amount": 5124}, "unit_amount", "three-decimal currency"),
        (
            {"currency": "usd", "unit_amount": 100000000},
            "unit_amount",
            "This value must be less than or equal to 99999999 (it currently is 100000000).",
        ),
        (
            {"currency": "jpy", "unit_amount_decimal": "99999999.5"},
            "unit_amount_decimal",
            "This value must be less than or equal to 99999999",
        ),
        (
            {"currency": "idr", "unit_amount": 1000000000000},
            "unit_amount",
            "This value must be less than or equal to 999999999999",
        ),
        ({"currency": "xyz", "unit_amount": 100}, "currency", "Invalid currency: xyz."),
        ({"currency": "usd"}, "unit_amount", "Missing required param: unit_amount."),
        (
            {"currency": "usd", "unit_amount": 1, "recurring": {"interval": "month"}},
            "recurring",
            "does not support the parameter 'recurring'",
        ),
    ],
)
def test_price_refusals(
    client: stripe.StripeClient, params: dict[str, Any], param: str, message: str
) -> None:
    body: Any = {"product_data": {"name": "Hours"}, **params}

    error = refusal(lambda: client.v1.prices.create(params=body))

    assert error.param == param and message in error.user_message
    assert client.v1.products.list().data == []  # nothing was half-created


def test_invoice_items_priced_by_a_price(client: stripe.StripeClient) -> None:
    price = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 1500, "product_data": {"name": "Hours"}}
    )
    customer = client.v1.customers.create().id
    invoice = client.v1.invoices.create(params={"customer": customer, "currency": "usd"})
    inline: Any = {"currency": "usd", "product": price.product, "unit_amount": 250}
    by_price: Any = {"pricing": {"price": price.id}, "quantity": 3}
    euros: Any = {"pricing": {"price": _price(client, 100, "eur")}}

    def item(**params: Any) -> Any:
        body: Any = {"customer": customer, "invoice": invoice.id, **params}
        return client.v1.invoice_items.create(params=body)

    three, fee = item(**by_price), item(price_data=inline)
    other = refusal(lambda: item(**euros))

    assert (three.amount, three.quantity, three.pricing.price_details.price) == (4500, 3, price.id)
    assert fee.amount == 250
    assert "must match the currency of the invoice item" in other.user_message
    assert client.v1.invoices.retrieve(invoice.id).total == 4750


# -- payment links -----------------------------------------------------------


def test_payment_link_with_three_line_items(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    hours, travel = _price(client, 12000), _price(client, 4550)
    fee: Any = {"currency": "usd", "unit_amount": 999, "product_data": {"name": "Fee"}}
    lines_in: Any = [{"price": hours, "quantity": 3}, {"price": travel, "quantity": 2}]
    link = client.v1.payment_links.create(
        params={
            "line_items": [*lines_in, {"price_data": fee, "quantity": 1}],
            "metadata": {"sheetsync_id": "row-9"},
            "custom_text": {"submit": {"message": "Invoice INV-9"}},
        }
    )

    again: Any = client.v1.payment_links.retrieve(link.id, params={"expand": ["line_items"]})
    lines: Any = client.v1.payment_links.line_items.list(link.id, params={"limit": 2})

    assert link.url == f"{sandbox.base_url}/_sandbox/pay/{link.id}" and link.id.startswith("plink_")
    assert (again.active, again.currency, again.to_dict()["metadata"]) == (
        True,
        "usd",
        {"sheetsync_id": "row-9"},
    )
    assert again.custom_text.submit.message == "Invoice INV-9"
    assert [i.amount_total for i in again.line_items.data] == [36000, 9100, 999]
    assert [i.description for i in again.line_items.data] == ["Hours", "Hours", "Fee"]
    assert [i.quantity for i in lines.data] == [3, 2] and lines.has_more
    assert [i.price.id for i in lines.auto_paging_iter()][:2] == [hours, travel]
    assert set(load_templates()["payment_link"]) <= set(link.to_dict())
    assert client.v1.payment_links.list(params={"active": False}).data == []
    assert _types(sandbox)[-1] == "payment_link.created"


@pytest.mark.parametrize(
    ("build", "param", "message"),
    [
        (
            lambda p, e: {"line_items": [{"price": p, "quantity": 1}] * 21},
            "line_items",
            "at most 20 line items",
        ),
        (
            lambda p, e: {"line_items": [{"price": p, "quantity": 1}, {"price": e, "quantity": 1}]},
            "line_items[1]",
            "All prices on a payment link must have the same currency",
        ),
        (
            lambda p, e: {"line_items": [{"price": p, "quantity": 1}], "currency": "eur"},
            "currency",
            "not supported by the line items' prices",
        ),
        (
            lambda p, e: {"line_items": [{"price": p, "quantity": 1, "tax_rates": ["txr_1"]}]},
            "line_items[0][tax_rates]",
            "Received unknown parameter: line_items[0][tax_rates]",
        ),
        (
            lambda p, e: {"line_items": [{"price": p, "quantity": 1}], "bogus": "1"},
            "bogus",
            "Received unknown parameter: bogus",
        ),
        (
            lambda p, e: {"line_items": [{"price": "price_missing", "quantity": 1}]},
            "line_items[0][price]",
            "No such price: 'price_missing'",
        ),
        (
            lambda p, e: {"line_items": [{"price": p, "quantity": 0}]},
            "line_items[0][quantity]",
            "Invalid quantity",
        ),
    ],
)
def test_payment_link_refusals(
    client: stripe.StripeClient, build: Any, param: str, message: str
) -> None:
    usd, eur = _price(client, 100), _price(client, 100, "eur")

    error = refusal(lambda: client.v1.payment_links.create(params=build(usd, eur)))

    assert error.param == param and message in error.user_message
    assert error.http_status == 400
    assert client.v1.payment_links.list().data == []


def test_inactive_price_refused_for_a_link(client: stripe.StripeClient) -> None:
    price = _price(client, 100, active=False)

    error = refusal(lambda: _link(client, (price, 1)))

    assert error.user_message == (
        "The price specified is inactive. This field only accepts active prices."
    )


def test_idempotent_replay_of_a_payment_link_create(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    price = _price(client, 2500)
    body: Any = {"line_items": [{"price": price, "quantity": 1}], "metadata": {"row": "4"}}
    options: Any = {"idempotency_key": "row-4-link"}

    first = client.v1.payment_links.create(params=body, options=options)
    again = client.v1.payment_links.create(params=body, options=options)
    changed: Any = {**body, "metadata": {"row": "5"}}
    other = refusal(
        lambda: client.v1.payment_links.create(params=changed, options=options),
        stripe.IdempotencyError,
    )

    assert again.id == first.id and again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(sandbox.objects("payment_link")) == 1
    assert _types(sandbox).count("payment_link.created") == 1
    assert "same parameters" in other.user_message


# -- customers paying links ----------------------------------------------------


def test_customer_completes_link_session_listed_by_payment_link(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    link = _link(
        client,
        (_price(client, 1500), 2),
        (_price(client, 250), 3),
        metadata={"sheetsync_id": "row-2"},
        payment_intent_data={"metadata": {"sheetsync_id": "row-2"}},
    )
    other = _link(client, (_price(client, 100), 1))
    sandbox.advance(60)

    paid = sandbox.customer_completes_link(link.id)
    sandbox.customer_completes_link(other.id)

    found = client.v1.checkout.sessions.list(params={"payment_link": link.id})
    assert [s.id for s in found.data] == [paid["id"]]
    session = found.data[0]
    assert (session.amount_subtotal, session.amount_total, session.currency) == (3750, 3750, "usd")
    assert (session.mode, session.status, session.payment_status) == ("payment", "complete", "paid")
    assert session.to_dict()["metadata"] == {"sheetsync_id": "row-2"}
    assert (session.payment_link, session.created) == (link.id, START + 60)
    intent = client.v1.payment_intents.retrieve(str(session.payment_intent))
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert (intent.amount, intent.amount_received, intent.status) == (3750, 3750, "succeeded")
    assert (charge.amount, charge.amount_refunded, charge.refunded, charge.disputed) == (
        3750,
        0,
        False,
        False,
    )
    assert charge.payment_intent == intent.id
    assert charge.to_dict()["metadata"] == {"sheetsync_id": "row-2"}
    lines = client.v1.checkout.sessions.line_items.list(session.id)
    assert [i.amount_total for i in lines.data] == [3000, 750]
    assert set(load_templates()["checkout.session"]) <= set(session.to_dict())


def test_sessions_filtered_by_status_and_created_and_paginated(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    link = _link(client, (_price(client, 100), 1))
    ids = []
    for _ in range(5):
        ids.append(sandbox.customer_completes_link(link.id)["id"])
        sandbox.advance(10)

    pages = client.v1.checkout.sessions.list(params={"payment_link": link.id, "limit": 2})
    recent = client.v1.checkout.sessions.list(params={"created": {"gte": START + 30}})
    open_ = client.v1.checkout.sessions.list(params={"status": "open"})

    assert [s.id for s in pages.auto_paging_iter()] == ids[::-1]
    assert pages.has_more and len(pages.data) == 2
    assert [s.id for s in recent.data] == ids[:2:-1]
    assert open_.data == []
    assert client.v1.payment_links.retrieve(link.id).active  # no limit: stays active


def test_completed_sessions_limit_deactivates_the_link(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    link = _link(
        client, (_price(client, 4000), 1), restrictions={"completed_sessions": {"limit": 1}}
    )

    sandbox.customer_completes_link(link.id)
    with pytest.raises(StripeError) as refused:
        sandbox.customer_completes_link(link.id)

    used: Any = client.v1.payment_links.retrieve(link.id)
    assert refused.value.message == "This payment link is no longer active."
    assert used.active is False
    assert (
        used.restrictions.completed_sessions.count,
        used.restrictions.completed_sessions.limit,
    ) == (
        1,
        1,
    )
    assert len(sandbox.objects("checkout.session")) == 1
    assert _types(sandbox)[-1] == "payment_link.updated"
    reactivate = refusal(lambda: client.v1.payment_links.update(link.id, params={"active": True}))
    assert "reached its limit of 1 completed sessions" in reactivate.user_message
    raised: Any = client.v1.payment_links.update(
        link.id, params={"active": True, "restrictions": {"completed_sessions": {"limit": 2}}}
    )
    assert raised.active and raised.restrictions.completed_sessions.count == 1
    sandbox.customer_completes_link(link.id)
    assert client.v1.payment_links.retrieve(link.id).active is False


def test_deactivated_link_refuses_payment_also_over_http(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    link = _link(client, (_price(client, 700), 1))
    sandbox.reset_requests()

    status, body = _http(sandbox, f"/_sandbox/pay/{link.id}")
    assert status == 200 and json.loads(body)["amount_total"] == 700
    client.v1.payment_links.update(link.id, params={"active": False, "metadata": {"k": "v"}})
    refused, error = _http(sandbox, f"/_sandbox/pay/{link.id}")
    page_status, page = _http(sandbox, f"/_sandbox/pay/{link.id}", "GET")
    client.v1.payment_links.update(link.id, params={"inactive_message": "Sold out"})
    with pytest.raises(StripeError) as custom:
        sandbox.customer_completes_link(link.id)

    assert refused == 400
    assert json.loads(error)["error"]["message"] == "This payment link is no longer active."
    assert page_status == 200 and "no longer active" in page
    assert custom.value.message == "Sold out"
    assert [r.path for r in sandbox.requests] == [f"/v1/payment_links/{link.id}"] * 2
    assert len(sandbox.objects("checkout.session")) == 1
    assert _http(sandbox, "/_sandbox/pay/plink_missing")[0] == 404


def test_events_list_checkout_session_completed(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    link = _link(client, (_price(client, 1200), 1), metadata={"row": "8"})

    session = sandbox.customer_completes_link(link.id)

    completed = client.v1.events.list(params={"type": "checkout.session.completed"})
    money = client.v1.events.list(
        params={"types": ["charge.succeeded", "payment_intent.succeeded"]}
    )
    assert [e.data.object.id for e in completed.data] == [session["id"]]
    assert completed.data[0].data.object.payment_link == link.id
    assert completed.data[0].data.object.to_dict()["metadata"] == {"row": "8"}
    assert [e.type for e in money.data] == ["payment_intent.succeeded", "charge.succeeded"]
    assert _types(sandbox)[-3:] == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
