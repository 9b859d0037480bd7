"""Request budgets: exact counts of sheet and Stripe requests per cycle."""

from __future__ import annotations

import math

from tests.conftest import World

N = 500


def rows(n: int) -> list[dict[str, object]]:
    return [
        {
            "Status": "draft",
            "Customer Email": "bulk@example.com",
            "Description": f"Item {i}",
            "Unit Price": "5.00",
        }
        for i in range(n)
    ]


def test_500_rows_cost_four_reads_and_four_writes_then_one_read_when_idle(world: World) -> None:
    """Billing: read, take the lease, read afresh, claim, read the claim back, (Stripe),
    read, write the results, give the lease back. Idle: one read. Polling: the open list,
    100 a page, the live payment links, the day's payments, and one retrieve per invoice
    that left the open list."""
    world.make_sheet(rows(N))
    report = world.run()
    assert report.created == N
    assert (world.sheets.count("read"), world.sheets.count("write")) == (4, 4)

    world.sheets.reset_requests()
    world.run()
    assert (world.sheets.count("read"), world.sheets.count("write")) == (1, 0)

    changed = [r["Stripe ID"] for r in world.rows()[:3]]
    for invoice in changed:
        world.stripe.customer_pays(str(invoice))
    world.stripe.reset_requests()
    world.run()
    pages = math.ceil(N / 100)
    assert world.stripe.count() == pages + 1 + 1 + 3
    assert [r["Status"] for r in world.rows()].count("paid") == 3
