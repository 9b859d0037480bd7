"""The billing port: what sheetsync needs from Stripe.

Adapter: `sheetsync.billing.stripe_billing`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from sheetsync.model import Draft


@dataclass(frozen=True)
class InvoiceState:
    """The few fields of a Stripe invoice that sheetsync keeps (not the whole object)."""

    id: str
    status: str
    currency: str
    total: int
    amount_paid: int = 0
    amount_remaining: int = 0
    number: str = ""
    hosted_url: str = ""
    pdf_url: str = ""
    due_date: int | None = None
    paid_at: int | None = None
    attempted: bool = False
    sync_id: str = ""
    fingerprint: str = ""
    spreadsheet: str = ""
    customer_email: str = ""


@dataclass(frozen=True)
class Billed:
    """A row's Stripe object once billing it finished, and whether this run made it."""

    state: InvoiceState
    created: bool


@dataclass(frozen=True)
class PaymentNews:
    """Money coming back on one charge: its refunded total so far, and a dispute."""

    charge_id: str
    sync_id: str
    invoice_id: str
    currency: str
    refunded: int
    dispute: str = ""


@dataclass(frozen=True)
class BillRequest:
    """Everything needed to bill one row."""

    sync_id: str
    draft: Draft
    due_at: int
    fingerprint: str
    recover: bool = False
    """Another run claimed the row: look for what it made before making anything."""
    claimed_after: int | None = None
    """A time (Unix) before the claim, to bound that search; None searches everything."""


class Billing(Protocol):
    """Stripe, as far as sheetsync uses it."""

    @property
    def requests(self) -> int:
        """How many API requests this object has made."""
        ...

    def open_invoices(self) -> dict[str, InvoiceState]:
        """Every open invoice sheetsync bills with (send_invoice), by ID, 100 per request.

        :raises BillingError: when Stripe cannot be reached or refuses.
        """
        ...

    def invoices(self, invoice_ids: Collection[str]) -> dict[str, InvoiceState]:
        """The invoices with these IDs, one request each; unknown IDs are left out.

        :raises BillingError: when Stripe cannot be reached or refuses.
        """
        ...

    def bill(self, request: BillRequest) -> Billed:
        """Create (or, when recovering, find by its Sync ID and finish) a row's invoice or link.

        Every call carries an idempotency key made of the Sync ID and the step (invoice
        lines: the invoice and the line's index), so two runs finishing one claim send
        the same calls and meet in one object.

        :raises RowError: when Stripe refuses the row's data.
        :raises BillingError: when Stripe cannot be reached or refuses otherwise.
        """
        ...

    def paid_links(
        self, link_ids: Collection[str], old: Collection[str], since: int
    ) -> dict[str, InvoiceState]:
        """The payment links among `link_ids` that took their payment, as paid states.

        Completed Checkout Sessions are found in events since `since` (Stripe keeps
        30 days of them); the `old` links are also checked by listing their sessions.

        :raises BillingError: when Stripe cannot be reached or refuses.
        """
        ...

    def open_links(self) -> dict[str, InvoiceState]:
        """Every payment link sheetsync made for this spreadsheet that still takes a
        payment, by ID, listed 100 per request (as open states: no amount).

        :raises BillingError: when Stripe cannot be reached or refuses.
        """
        ...

    def paid_invoices(self, since: int) -> list[InvoiceState]:
        """Invoices paid since `since` (`invoice.paid` events) and payment links paid
        (`checkout.session.completed`), as they were then; one events listing.

        :raises BillingError: when Stripe cannot be reached or refuses.
        """
        ...

    def money_back(self, since: int) -> list[PaymentNews]:
        """Refunds and disputes since `since`, one entry per charge.

        :raises BillingError: when Stripe cannot be reached or refuses.
        """
        ...

    def deactivate_link(self, link_id: str, sync_id: str) -> None:
        """Stop a payment link from taking payments, if it was made for the row `sync_id`.

        :raises RowError: when Stripe refuses, or the link belongs to another row.
        :raises BillingError: when Stripe cannot be reached.
        """
        ...

    def pay_out_of_band(self, invoice_id: str) -> InvoiceState:
        """Mark an open invoice paid outside Stripe, so the customer is not asked again.

        :raises RowError: when the invoice cannot be paid in its state.
        :raises BillingError: when Stripe cannot be reached.
        """
        ...

    def void(self, invoice_id: str) -> InvoiceState:
        """Void an open invoice.

        :raises RowError: when the invoice cannot be voided in its state.
        :raises BillingError: when Stripe cannot be reached.
        """
        ...
