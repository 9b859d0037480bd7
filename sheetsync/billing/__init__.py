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
    may_create: bool = True
    attempt: str = ""


class Billing(Protocol):
    """Stripe, as far as sheetsync uses it."""

    @property
    def requests(self) -> int:
        """How many API requests this object has made."""
        ...

    def open_invoices(self) -> dict[str, InvoiceState]:
        """Every open invoice, by ID, listed 100 per request.

        :raises BillingError: when Stripe cannot be reached or refuses.
        """
        ...

    def invoices(self, invoice_ids: Collection[str]) -> dict[str, InvoiceState]:
        """The invoices with these IDs, one request each; unknown IDs are left out.

        :raises BillingError: when Stripe cannot be reached or refuses.
        """
        ...

    def bill(self, request: BillRequest) -> InvoiceState | None:
        """Create (or, when recovering, find and finish) the finalized invoice of a row.

        Returns None when `may_create` is false and the row has no invoice yet.

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

    def money_back(self, since: int) -> list[PaymentNews]:
        """Refunds and disputes since `since`, one entry per charge.

        :raises BillingError: when Stripe cannot be reached or refuses.
        """
        ...

    def deactivate_link(self, link_id: str) -> None:
        """Stop a payment link from taking payments.

        :raises RowError: when Stripe refuses.
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
