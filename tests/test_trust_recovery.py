"""Recovery finds a claimed row's Stripe object by its Sync ID whatever its customer, removes
a line added twice, and sends an adopted invoice that was finalized but never sent."""

from __future__ import annotations

import signal
import subprocess
from typing import Any

import stripe

from sheetsync.claims import owner_note
from sheetsync.reconcile import synced_stamp
from tests.conftest import STRIPE_KEY, World
from tests.invariants import assert_one_invoice_per_row

ROW = {
    "Status": "draft",
    "Customer Email": "shared@example.com",
    "Description": "Work",
    "Unit Price": "80.00",
}


def client(world: World) -> stripe.StripeClient:
    return stripe.StripeClient(STRIPE_KEY, base_addresses={"api": world.stripe.base_url})


def kill_at(world: World, after: str, **env: str) -> None:
    """Run `sheetsync run` in a real process and SIGKILL it right after a Stripe request."""
    holder: list[subprocess.Popen[str]] = []

    def kill(*_: Any) -> None:
        holder[0].send_signal(signal.SIGKILL)
        holder[0].wait(timeout=10)

    world.stripe.after(after, kill, times=1)
    holder.append(world.spawn("run", **env))
    holder[0].wait(timeout=60)
    assert holder[0].returncode == -signal.SIGKILL


def test_recovery_finds_the_invoice_whatever_customer_shares_the_email(world: World) -> None:
    world.use_real_clock()
    world.make_sheet([ROW])
    kill_at(world, r"^/v1/invoices$")
    client(world).v1.customers.create({"email": "shared@example.com", "name": "A namesake"})
    world.run()
    assert_one_invoice_per_row(world, rows=1)


def test_an_adopted_invoice_finalized_but_never_sent_is_sent_once(world: World) -> None:
    world.use_real_clock()
    world.make_sheet([ROW])
    kill_at(world, r"/finalize$", SHEETSYNC_SEND_INVOICES="true")
    [invoice] = world.invoices()
    assert invoice["status"] == "open"
    sent = [e for e in world.stripe.objects("event") if e["type"] == "invoice.sent"]
    assert sent == []
    world.run(send_invoices=True)
    world.run(send_invoices=True)
    sent = [e for e in world.stripe.objects("event") if e["type"] == "invoice.sent"]
    assert len(sent) == 1
    assert_one_invoice_per_row(world, rows=1)


def test_a_line_added_twice_is_removed_before_finalizing(world: World) -> None:
    world.use_real_clock()
    world.make_sheet([ROW])
    api = client(world).v1
    customer = api.customers.create({"email": "shared@example.com"})
    sync_id = "ss_0123456789abcdef"
    invoice = api.invoices.create(
        {
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "auto_advance": False,
            "pending_invoice_items_behavior": "exclude",
            "metadata": {"sheetsync_id": sync_id},
        }
    )
    for _ in range(2):  # what a run whose keys Stripe had forgotten could leave behind
        api.invoice_items.create(
            {
                "customer": customer.id,
                "invoice": invoice.id,
                "currency": "usd",
                "unit_amount_decimal": "8000",
                "quantity": 1,
                "description": "Work",
                "metadata": {"sheetsync_id": sync_id, "sheetsync_line": "0"},
            }
        )
    dead = "gone-machine/4242/deadbeef"
    world.type_into(
        0,
        Status="processing",
        **{
            "Sync ID": sync_id,
            "Last Synced": synced_stamp(world.now, world.settings().zone),
            "Error": owner_note(dead),
        },
    )
    report = world.run()
    assert report.created == 0 and report.updated == 1
    assert_one_invoice_per_row(world, rows=1)
    assert world.invoices()[0]["total"] == 8000


def test_a_stuck_claim_set_back_to_draft_is_finished_not_billed_again(world: World) -> None:
    """A run died after making the invoice; a person, seeing `processing` stay, sets the
    row to draft. It keeps its Sync ID, and the next run finds the invoice it made."""
    world.use_real_clock()
    world.make_sheet([ROW])
    kill_at(world, r"^/v1/invoices$")
    assert world.rows()[0]["Status"] == "processing"
    world.type_into(0, Status="draft")
    report = world.run()
    assert report.created == 0
    assert_one_invoice_per_row(world, rows=1)
