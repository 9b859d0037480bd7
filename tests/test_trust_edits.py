"""People's edits never cost money: each case was seen to bill twice, void the wrong
invoice or lose a payment before the billing protocol of issue 8."""

from __future__ import annotations

from tests.conftest import World

ROW = {
    "Status": "draft",
    "Customer Email": "jane@example.com",
    "Customer Name": "Jane",
    "Description": "Design work",
    "Unit Price": "100.00",
    "Currency": "USD",
}


def test_a_copied_billed_row_never_voids_the_original(world: World) -> None:
    world.make_sheet([ROW])
    world.run()
    original = world.rows()[0]
    copy = {**original, "Description": "Another job", "Sync ID": None, "Status": "draft"}
    world.append_row(copy)
    world.run()
    rows = world.rows()
    assert [r["Status"] for r in rows] == ["sent", "draft"]
    assert all("is in rows 2, 3" in str(r["Error"]) for r in rows)

    world.type_into(1, Status="void")  # following the old advice: void the copy
    world.run()
    invoice = world.stripe.get(str(original["Stripe ID"]))
    assert invoice["status"] == "open"
    assert len(world.invoices()) == 1
    assert world.rows()[0]["Status"] == "sent"


def test_a_copy_whose_original_was_deleted_is_not_shown_as_the_invoices_row(world: World) -> None:
    world.make_sheet([ROW])
    world.run()
    original = world.rows()[0]
    world.sheets.set_values(
        world.spreadsheet_id,
        "Invoices",
        [world.grid()[0], [original.get(h) for h in world.grid()[0]]],
    )
    world.type_into(0, **{"Sync ID": None, "Status": "void", "Description": "Copy"})
    world.run()
    assert world.stripe.get(str(original["Stripe ID"]))["status"] == "open"
    assert "belongs to another row" in str(world.rows()[0]["Error"])


def test_the_same_row_typed_again_after_a_void_is_a_new_bill(world: World) -> None:
    world.make_sheet([ROW])
    world.run()
    first = world.rows()[0]
    world.type_into(0, Status="void")
    world.run()
    assert world.stripe.get(str(first["Stripe ID"]))["status"] == "void"
    world.sheets.set_values(world.spreadsheet_id, "Invoices", [world.grid()[0]])  # deleted
    world.append_row(ROW)  # typed again, the same day
    report = world.run()
    again = world.rows()[0]
    assert report.created == 1
    assert again["Stripe ID"] != first["Stripe ID"] and again["Status"] == "sent"
    assert world.stripe.get(str(again["Stripe ID"]))["status"] == "open"
    assert len(world.invoices()) == 2


def test_an_email_in_another_case_is_the_same_customer_and_nothing_stops(world: World) -> None:
    world.make_sheet([{**ROW, "Customer Email": "Jane+billing@Example.COM"}])
    world.run()
    world.append_row({**ROW, "Customer Email": "jane+billing@example.com"})
    world.append_row({**ROW, "Customer Email": "jane+billing@example.com", "Customer Name": ""})
    world.append_row({**ROW, "Customer Email": "other@example.com"})
    report = world.run()
    assert report.created == 3
    assert [r["Status"] for r in world.rows()] == ["sent"] * 4
    customers = world.stripe.objects("customer")
    assert len(customers) == 2
    assert len({i["customer"] for i in world.invoices()[:3]}) <= 2


def test_void_on_a_paid_row_is_refused_and_the_row_shows_paid(world: World) -> None:
    world.make_sheet([ROW])
    world.run()
    world.stripe.customer_pays(str(world.rows()[0]["Stripe ID"]))
    world.run()
    assert world.rows()[0]["Status"] == "paid"
    world.type_into(0, Status="void")
    world.run()
    row = world.rows()[0]
    assert row["Status"] == "paid"
    assert "cannot void" in str(row["Error"]) and "refund" in str(row["Error"])
    world.run()  # and it stays that way
    assert world.rows()[0]["Status"] == "paid"


def test_a_status_typo_is_flagged_and_the_payment_still_arrives(world: World) -> None:
    world.make_sheet([ROW])
    world.run()
    world.type_into(0, Status="payed")
    world.run()
    assert 'Status "payed" is unknown' in str(world.rows()[0]["Error"])
    world.stripe.customer_pays(str(world.rows()[0]["Stripe ID"]))
    world.run()
    row = world.rows()[0]
    assert row["Status"] == "paid" and row["Amount Paid"] == 100 and row["Error"] in ("", None)


def test_a_deleted_open_row_is_reported_every_cycle_and_its_payment_too(world: World) -> None:
    world.make_sheet([ROW, {**ROW, "Customer Email": "keep@example.com"}])
    world.run()
    gone = world.rows()[0]
    header, _, kept = world.grid()
    world.sheets.set_values(world.spreadsheet_id, "Invoices", [header, kept])
    for _ in range(2):
        report = world.run()
        [note] = [n for n in report.orphans if gone["Stripe ID"] in n]
        assert "jane@example.com" in note and "100.00 USD" in note and "has no row" in note
    world.stripe.customer_pays(str(gone["Stripe ID"]))
    report = world.run()
    [note] = [n for n in report.orphans if gone["Stripe ID"] in n]
    assert "was paid 100.00 USD" in note


def test_a_dry_run_counts_what_the_run_would_do(world: World) -> None:
    world.make_sheet([ROW] + [{**ROW, "Customer Email": f"p{i}@example.com"} for i in range(4)])
    world.run()
    for index in (1, 2, 3):
        world.type_into(index - 1 + 1, Status="paid")
    world.type_into(4, Status="void")
    world.append_row({**ROW, "Customer Email": "new@example.com"})
    preview = world.run(dry_run=True)
    assert (preview.created, preview.updated) == (1, 4)
    done = world.run()
    assert (done.created, done.updated) == (preview.created, preview.updated)
