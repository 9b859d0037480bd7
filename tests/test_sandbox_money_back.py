"""The Stripe sandbox's invoice payments, refunds, credit notes and disputes,
driven over HTTP by the real stripe-python client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
import stripe

from sheetsync.sandbox import StripeError, StripeSandbox
from sheetsync.sandbox.store import load_templates
from tests.sandbox_support import DAY, KEY, START, client_for, refusal  # noqa: F401


def _open_invoice(client: stripe.StripeClient, *amounts: int, **params: Any) -> stripe.Invoice:
    customer = client.v1.customers.create(params={"email": "ada@example.com", "name": "Ada"})
    body: Any = {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30}
    created: Any = {**body, **params}
    invoice = client.v1.invoices.create(params=created)
    for amount in amounts or (1000,):
        item: Any = {"customer": customer.id, "invoice": invoice.id, "amount": amount}
        client.v1.invoice_items.create(params=item)
    return client.v1.invoices.finalize_invoice(invoice.id)


def _paid_invoice(
    sandbox: StripeSandbox, client: stripe.StripeClient, *amounts: int, **params: Any
) -> tuple[stripe.Invoice, str]:
    """An invoice the customer paid by card, and the PaymentIntent of that payment."""
    invoice = _open_invoice(client, *amounts, **params)
    sandbox.customer_pays(invoice.id)
    paid = client.v1.invoice_payments.list(params={"invoice": invoice.id}).data[0]
    return client.v1.invoices.retrieve(invoice.id), str(paid.payment.payment_intent)


def _charge(client: stripe.StripeClient, intent: str) -> stripe.Charge:
    return client.v1.charges.retrieve(str(client.v1.payment_intents.retrieve(intent).latest_charge))


def _post(sandbox: StripeSandbox, path: str, data: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(sandbox.base_url + path, data=data.encode(), method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _types(sandbox: StripeSandbox) -> list[str]:
    return [e["type"] for e in sandbox.objects("event")]


# -- invoice payments --------------------------------------------------------


def test_invoice_paid_by_customer_has_invoice_payments_with_payment_intents(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    invoice = _open_invoice(client, 1000)
    sandbox.advance(DAY)

    sandbox.customer_pays(invoice.id, 400)
    sandbox.advance(60)
    sandbox.customer_pays(invoice.id)

    payments = client.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    assert [(p.amount_paid, p.is_default, p.status) for p in payments] == [
        (600, True, "paid"),
        (400, False, "paid"),
    ]
    assert [p.status_transitions.paid_at for p in payments] == [START + DAY + 60, START + DAY]
    intents = [client.v1.payment_intents.retrieve(str(p.payment.payment_intent)) for p in payments]
    assert [(i.amount, i.amount_received, i.status) for i in intents] == [
        (600, 600, "succeeded"),
        (400, 400, "succeeded"),
    ]
    charges = [client.v1.charges.retrieve(str(i.latest_charge)) for i in intents]
    assert [(c.amount, c.paid, c.payment_intent) for c in charges] == [
        (600, True, intents[0].id),
        (400, True, intents[1].id),
    ]
    assert {c.customer for c in charges} == {invoice.customer}
    assert payments[0].payment.type == "payment_intent" and payments[0].invoice == invoice.id
    by_intent: Any = {"payment": {"type": "payment_intent", "payment_intent": intents[1].id}}
    assert [p.id for p in client.v1.invoice_payments.list(params=by_intent).data] == [
        payments[1].id
    ]
    assert set(load_templates()["invoice_payment"]) <= set(payments[0].to_dict())
    assert set(load_templates()["charge"]) <= set(charges[0].to_dict())


def test_invoice_paid_out_of_band_has_no_payment_intent(client: stripe.StripeClient) -> None:
    invoice = _open_invoice(client, 1200, 300)

    paid = client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})

    assert (paid.status, paid.amount_paid, paid.total, paid.amount_remaining) == (
        "paid",
        1500,
        1500,
        0,
    )
    assert paid.status_transitions.paid_at == START
    assert client.v1.invoice_payments.list(params={"invoice": invoice.id}).data == []
    assert client.v1.payment_intents.list().data == [] and client.v1.charges.list().data == []


# -- refunds -----------------------------------------------------------------


def test_partial_then_full_refund_of_an_invoice_payment(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    invoice, intent = _paid_invoice(sandbox, client, 1000)

    partial = client.v1.refunds.create(
        params={"payment_intent": intent, "amount": 300, "metadata": {"why": "late"}}
    )
    after_partial = _charge(client, intent)
    rest = sandbox.refund(intent)
    after_full = _charge(client, intent)

    assert (partial.amount, partial.status, partial.payment_intent) == (300, "succeeded", intent)
    assert partial.charge == after_partial.id and partial.to_dict()["metadata"] == {"why": "late"}
    assert (after_partial.amount_refunded, after_partial.refunded) == (300, False)
    assert (rest["amount"], after_full.amount_refunded, after_full.refunded) == (700, 1000, True)
    # Stripe documents no invoice change for a refund made without a credit note.
    unchanged = client.v1.invoices.retrieve(invoice.id)
    assert (unchanged.status, unchanged.amount_paid, unchanged.amount_remaining) == (
        "paid",
        1000,
        0,
    )
    assert unchanged.post_payment_credit_notes_amount == 0
    listed = client.v1.refunds.list(params={"payment_intent": intent})
    assert [r.id for r in listed.data] == [rest["id"], partial.id]
    assert [r.id for r in client.v1.refunds.list(params={"charge": after_full.id}).data] == [
        rest["id"],
        partial.id,
    ]
    assert _types(sandbox).count("charge.refunded") == 2
    assert _types(sandbox)[-2:] == ["refund.created", "charge.refunded"]
    again = refusal(lambda: client.v1.refunds.create(params={"payment_intent": intent}))
    assert (again.code, again.user_message) == (
        "charge_already_refunded",
        f"Charge {after_full.id} has already been refunded.",
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"amount": 601},
            "Refund amount ($6.01) is greater than unrefunded amount on charge ($6.00)",
        ),
        ({"amount": 0}, "Invalid positive integer"),
        ({"currency": "eur"}, "must match the charge currency"),
    ],
)
def test_refund_beyond_the_remainder_refused(
    sandbox: StripeSandbox, client: stripe.StripeClient, params: dict[str, Any], message: str
) -> None:
    _, intent = _paid_invoice(sandbox, client, 1000)
    client.v1.refunds.create(params={"payment_intent": intent, "amount": 400})
    body: Any = {"payment_intent": intent, **params}

    error = refusal(lambda: client.v1.refunds.create(params=body))

    assert message in error.user_message and error.http_status == 400
    assert _charge(client, intent).amount_refunded == 400
    with pytest.raises(StripeError, match=r"greater than unrefunded amount"):
        sandbox.refund(intent, 601)


def test_refund_needs_a_payment(client: stripe.StripeClient) -> None:
    missing = refusal(lambda: client.v1.refunds.create())
    unknown = refusal(lambda: client.v1.refunds.create(params={"payment_intent": "pi_missing"}))

    assert missing.code == "parameter_missing"
    assert (unknown.user_message, unknown.param) == (
        "No such payment_intent: 'pi_missing'",
        "payment_intent",
    )


# -- credit notes ------------------------------------------------------------


def _taxed_credit_note(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> tuple[Any, stripe.Invoice, str]:
    """A paid invoice of 1000 + 500 and 10% VAT, and a credit note refunding 200 + tax."""
    vat = client.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": 10, "inclusive": False}
    )
    invoice, intent = _paid_invoice(sandbox, client, 1000, 500, default_tax_rates=[vat.id])
    line = invoice.lines.data[1]
    note = client.v1.credit_notes.create(
        params={
            "invoice": invoice.id,
            "lines": [{"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 200}],
            "refund_amount": 220,
            "memo": "Two hours less",
        }
    )
    return note, invoice, intent


def test_credit_note_with_refund_amount_refunds_the_payment(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    note, invoice, intent = _taxed_credit_note(sandbox, client)

    refund = client.v1.refunds.retrieve(str(note.refunds[0].refund))
    charge = _charge(client, intent)

    assert (note.total, note.subtotal, note.type, note.status) == (
        220,
        200,
        "post_payment",
        "issued",
    )
    assert note.number == f"{invoice.number}-CN-01" and note.lines.data[0].taxes[0].amount == 20
    assert (refund.amount, refund.payment_intent, note.refunds[0].amount_refunded) == (
        220,
        intent,
        220,
    )
    assert (charge.amount, charge.amount_refunded, charge.refunded) == (1650, 220, False)
    assert set(load_templates()["credit_note"]) <= set(note.to_dict())


def test_credit_note_raises_post_payment_credit_notes_amount_and_the_invoice_stays_paid(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    note, invoice, _ = _taxed_credit_note(sandbox, client)

    after = client.v1.invoices.retrieve(invoice.id)
    listed = client.v1.credit_notes.list(params={"invoice": invoice.id})

    assert (after.status, after.amount_paid, after.amount_remaining) == ("paid", 1650, 0)
    assert (after.post_payment_credit_notes_amount, after.pre_payment_credit_notes_amount) == (
        220,
        0,
    )
    assert [n.id for n in listed.data] == [note.id]
    assert _types(sandbox)[-4:] == [
        "refund.created",
        "charge.refunded",
        "credit_note.created",
        "invoice.updated",
    ]


def test_credit_note_documents_an_earlier_refund_and_out_of_band_credit(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    invoice, intent = _paid_invoice(sandbox, client, 1000)
    earlier = client.v1.refunds.create(params={"payment_intent": intent, "amount": 300})

    note = client.v1.credit_notes.create(
        params={
            "invoice": invoice.id,
            "amount": 500,
            "refunds": [{"refund": earlier.id}],
            "out_of_band_amount": 200,
        }
    )

    assert [(r.refund, r.amount_refunded) for r in note.refunds] == [(earlier.id, 300)]
    assert (note.out_of_band_amount, note.total) == (200, 500)
    assert _charge(client, intent).amount_refunded == 300  # no second refund
    assert client.v1.invoices.retrieve(invoice.id).post_payment_credit_notes_amount == 500


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"amount": 500, "refund_amount": 400}, "must add up to the credit note total ($5.00)"),
        ({"amount": 1001, "refund_amount": 1001}, "at most what is left to credit"),
        ({"refund_amount": 100}, "One of amount, lines, or shipping_cost must be provided."),
        ({"amount": 100, "credit_amount": 100}, "does not support the parameter 'credit_amount'"),
        (
            {"amount": 100, "refunds": [{"refund": "re_missing"}]},
            "No such refund: 're_missing'",
        ),
    ],
)
def test_credit_note_refusals(
    sandbox: StripeSandbox, client: stripe.StripeClient, params: dict[str, Any], message: str
) -> None:
    invoice, intent = _paid_invoice(sandbox, client, 1000)
    body: Any = {"invoice": invoice.id, **params}

    error = refusal(lambda: client.v1.credit_notes.create(params=body))

    assert message in error.user_message
    assert client.v1.credit_notes.list().data == [] and _charge(client, intent).amount_refunded == 0


def test_credit_notes_on_open_or_out_of_band_invoices(client: stripe.StripeClient) -> None:
    open_invoice = _open_invoice(client, 1000)
    outside = _open_invoice(client, 1000)
    client.v1.invoices.pay(outside.id, params={"paid_out_of_band": True})
    refund: Any = {"invoice": outside.id, "amount": 400, "refund_amount": 400}

    on_open = refusal(
        lambda: client.v1.credit_notes.create(
            params={"invoice": open_invoice.id, "amount": 100, "out_of_band_amount": 100}
        )
    )
    no_payment = refusal(lambda: client.v1.credit_notes.create(params=refund))
    note = client.v1.credit_notes.create(
        params={"invoice": outside.id, "amount": 400, "out_of_band_amount": 400}
    )

    assert "paid invoices only" in on_open.user_message
    assert (
        no_payment.param == "refund_amount" and "use out_of_band_amount" in no_payment.user_message
    )
    assert (note.total, note.refunds) == (400, [])


# -- disputes ----------------------------------------------------------------


def test_dispute_flags_the_charge_and_emits_the_event(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    invoice, intent = _paid_invoice(sandbox, client, 2500)
    sandbox.advance(DAY)

    dispute = sandbox.dispute(intent)

    charge = _charge(client, intent)
    assert charge.disputed is True
    listed = client.v1.disputes.list(params={"payment_intent": intent})
    assert [d.id for d in listed.data] == [dispute["id"]] and dispute["id"].startswith("dp_")
    found = client.v1.disputes.retrieve(dispute["id"])
    assert (found.amount, found.charge, found.payment_intent) == (2500, charge.id, intent)
    assert (found.status, found.reason, found.created) == (
        "needs_response",
        "fraudulent",
        START + DAY,
    )
    assert [d.id for d in client.v1.disputes.list(params={"charge": charge.id}).data] == [found.id]
    events = client.v1.events.list(params={"type": "charge.dispute.created"}).data
    assert [e.data.object.id for e in events] == [found.id]
    refused = refusal(lambda: client.v1.refunds.create(params={"payment_intent": intent}))
    assert (refused.code, refused.user_message) == (
        "charge_disputed",
        f"Charge {charge.id} has been charged back; cannot issue a refund.",
    )
    with pytest.raises(StripeError, match="already been disputed"):
        sandbox.dispute(intent)
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"


def test_refund_and_dispute_over_http_are_not_api_requests(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    _, first = _paid_invoice(sandbox, client, 1000)
    _, second = _paid_invoice(sandbox, client, 800)
    sandbox.reset_requests()

    refunded = _post(sandbox, "/_sandbox/refunds", f"payment_intent={first}&amount=250")
    disputed = _post(sandbox, "/_sandbox/disputes", f"payment_intent={second}")
    too_much = _post(sandbox, "/_sandbox/refunds", f"payment_intent={first}&amount=999")
    missing = _post(sandbox, "/_sandbox/disputes", "")

    assert refunded[0] == 200 and refunded[1]["amount"] == 250
    assert disputed[0] == 200 and disputed[1]["status"] == "needs_response"
    assert too_much[0] == 400 and "unrefunded amount" in too_much[1]["error"]["message"]
    assert missing[0] == 400 and missing[1]["error"]["param"] == "payment_intent"
    assert sandbox.requests == []
    assert sandbox.get(sandbox.get(first)["latest_charge"])["amount_refunded"] == 250
