"""Stripe adapter: the Billing port over the real stripe-python client.

The only module that imports stripe (besides the sandbox). Every creating or
state-changing call carries an idempotency key made of the spreadsheet, the
row's Sync ID and the step, so a repeated cycle replays instead of creating.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Iterator
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

import stripe

from sheetsync import money
from sheetsync.billing import Billed, BillRequest, InvoiceState, PaymentNews
from sheetsync.billing.links import PaymentLinks, replayed, session_state
from sheetsync.billing.money_back import money_back
from sheetsync.errors import BillingError, RowError
from sheetsync.model import Draft, Line, Mode
from sheetsync.ratelimit import Pacer, stripe_default_rate
from sheetsync.retry import DEFAULT_POLICY, GaveUp, RetryPolicy, Transient, retrying

log = logging.getLogger(__name__)

STRIPE_API = "https://api.stripe.com"
PAGE = 100
T = TypeVar("T")


class StripeBilling:
    """Invoices in one Stripe account, for one spreadsheet."""

    def __init__(
        self,
        api_key: str,
        spreadsheet_key: str,
        *,
        api_base: str = STRIPE_API,
        send_invoices: bool = False,
        prices_include_tax: bool = False,
        retry: RetryPolicy = DEFAULT_POLICY,
        requests_per_second: float | None = None,
    ) -> None:
        self._client = stripe.StripeClient(
            api_key, base_addresses={"api": api_base}, max_network_retries=0
        )
        self._retry = retry
        rate = stripe_default_rate(api_key) if requests_per_second is None else requests_per_second
        self._pacer = Pacer(rate)
        self._sheet = spreadsheet_key
        self._send = send_invoices
        self._inclusive = prices_include_tax
        self._customers: dict[str, str] = {}
        self._tax_rates: dict[tuple[Decimal, bool], str] | None = None
        self._requests = 0
        self._links = PaymentLinks(self, prices_include_tax)

    @property
    def requests(self) -> int:
        """API requests made so far."""
        return self._requests

    def open_invoices(self) -> dict[str, InvoiceState]:
        """Every open send_invoice invoice, 100 per request."""
        params = {"status": "open", "collection_method": "send_invoice"}
        return {inv.id: state(inv) for inv in self._list(self._client.v1.invoices.list, params)}

    def invoices(self, invoice_ids: Collection[str]) -> dict[str, InvoiceState]:
        """Retrieve each invoice; IDs Stripe does not know are left out."""
        found: dict[str, InvoiceState] = {}
        for invoice_id in invoice_ids:
            try:
                found[invoice_id] = state(self._call(self._client.v1.invoices.retrieve, invoice_id))
            except RowError:
                log.warning("invoice %s is not in this Stripe account", invoice_id)
        return found

    def bill(self, request: BillRequest) -> Billed:
        """Customer, invoice, lines, finalize (and send) — each step idempotent.

        A payment_link row gets Prices and a Payment Link instead. When another run
        claimed the row, what it made is found by the row's Sync ID (whatever the
        customer) and finished: lines it added twice are removed, missing ones added,
        and a finalized invoice it never sent is sent.
        """
        draft = request.draft
        if draft.mode is Mode.PAYMENT_LINK:
            return self._links.bill(request)
        invoice = self._existing(request) if request.recover else None
        adopted = invoice is not None
        if invoice is None:
            customer = self._customer(draft.customer_email, draft.customer_name)
            invoice = self._create_invoice(customer, request)
        created = not adopted and not replayed(invoice)
        if invoice.status == "draft":
            self._complete_lines(invoice, request, check=not created)
            invoice = self._finalize(invoice, request)
            if self._send:
                invoice = self._send_invoice(invoice, request)
        elif adopted and invoice.status == "open" and self._send:
            invoice = self._send_invoice(invoice, request)  # a crash between finalize and send
        return Billed(state(invoice), created)

    def _send_invoice(self, invoice: stripe.Invoice, request: BillRequest) -> stripe.Invoice:
        send = self._client.v1.invoices.send_invoice
        return self._step(send, invoice.id, key=self._key(request.sync_id, "send"))

    def _finalize(self, invoice: stripe.Invoice, request: BillRequest) -> stripe.Invoice:
        params = {"auto_advance": False}
        try:
            finalize = self._client.v1.invoices.finalize_invoice
            key = self._key(request.sync_id, "finalize")
            return self._step(finalize, invoice.id, params, key=key)
        except RowError:
            # Another run may have finalized it a moment ago: that is the same outcome.
            current = self._call(self._client.v1.invoices.retrieve, invoice.id)
            if current.status == "draft":
                raise
            return current

    def paid_links(
        self, link_ids: Collection[str], old: Collection[str], since: int
    ) -> dict[str, InvoiceState]:
        """Payment links among `link_ids` that were paid (see PaymentLinks.paid)."""
        return self._links.paid(link_ids, old, since) if link_ids else {}

    def open_links(self) -> dict[str, InvoiceState]:
        """This spreadsheet's active payment links (see PaymentLinks.live)."""
        return self._links.live()

    def paid_invoices(self, since: int) -> list[InvoiceState]:
        """Invoices and payment links paid since `since`, from one events listing."""
        params = {
            "types": ["invoice.paid", "checkout.session.completed"],
            "created": {"gte": since},
        }
        paid = []
        for event in self._list(self._client.v1.events.list, params):
            obj = event.to_dict()["data"]["object"]
            if event.type == "invoice.paid":
                paid.append(state_of(obj))
            elif obj.get("payment_link"):
                paid.append(session_state(obj))
        return paid

    def money_back(self, since: int) -> list[PaymentNews]:
        """Refunds and disputes since `since` (see money_back.money_back)."""
        return money_back(self, since)

    def deactivate_link(self, link_id: str, sync_id: str) -> None:
        """Stop a payment link from taking payments, if it is the row's."""
        self._links.deactivate(link_id, sync_id)

    def pay_out_of_band(self, invoice_id: str) -> InvoiceState:
        """Record a payment received outside Stripe (idempotent per invoice)."""
        options = {"idempotency_key": f"sheetsync:{invoice_id}:paid-outside"}
        pay = self._client.v1.invoices.pay
        return state(self._step(pay, invoice_id, {"paid_out_of_band": True}, key=options))

    def void(self, invoice_id: str) -> InvoiceState:
        """Void an open invoice (idempotent per invoice)."""
        options = {"idempotency_key": f"sheetsync:{invoice_id}:void"}
        return state(self._step(self._client.v1.invoices.void_invoice, invoice_id, key=options))

    def _customer(self, email: str, name: str) -> str:
        """The Stripe customer of an email, whatever its case; created (lower case) when none."""
        folded = email.casefold()
        if folded in self._customers:
            return self._customers[folded]
        found = self._find_customer(email)
        if found is not None:
            self._customers[folded] = found.id
            return str(found.id)
        params: dict[str, Any] = {
            "email": folded,
            "metadata": {"sheetsync_spreadsheet": self._sheet},
        }
        if name:
            params["name"] = name
        digest = hashlib.sha256(f"{self._sheet}\n{folded}\n{name}".encode()).hexdigest()[:24]
        options = {"idempotency_key": f"sheetsync:customer:{digest}"}
        create = self._client.v1.customers.create
        customer = self._create(create, params, options, partial(self._find_customer, email))
        self._customers[folded] = customer.id
        return str(customer.id)

    def _find_customer(self, email: str) -> Any:
        """A customer with this email as typed or lower-cased (Stripe matches exactly)."""
        for candidate in dict.fromkeys((email, email.casefold(), email.lower())):
            page = self._call(self._client.v1.customers.list, {"email": candidate, "limit": 1})
            if page.data:
                return page.data[0]
        return None

    def _existing(self, request: BillRequest) -> stripe.Invoice | None:
        """The row's invoice, found by its Sync ID among invoices made since the claim
        (a list, never Stripe's eventually consistent search), whatever its customer."""
        params: dict[str, Any] = {}
        if request.claimed_after is not None:
            params["created"] = {"gte": request.claimed_after}
        for invoice in self._list(self._client.v1.invoices.list, params):
            if metadata(invoice).get("sheetsync_id") == request.sync_id:
                found: stripe.Invoice = invoice
                return found
        return None

    def _create_invoice(self, customer: str, request: BillRequest) -> stripe.Invoice:
        draft = request.draft
        params: dict[str, Any] = {
            "customer": customer,
            "collection_method": "send_invoice",
            "due_date": request.due_at,
            "auto_advance": False,
            "currency": draft.currency.lower(),
            "pending_invoice_items_behavior": "exclude",
            "metadata": {
                "sheetsync_id": request.sync_id,
                "sheetsync_spreadsheet": self._sheet,
                "sheetsync_fingerprint": request.fingerprint,
            },
        }
        if draft.memo:
            params["description"] = draft.memo
        if draft.invoice_number:
            params["number"] = draft.invoice_number
        create = self._client.v1.invoices.create
        key = self._key(request.sync_id, "invoice")
        return self._create(create, params, key, lambda: self._existing(request))

    def _complete_lines(self, invoice: stripe.Invoice, req: BillRequest, *, check: bool) -> None:
        """Add the lines the invoice lacks; with `check`, first remove lines added twice."""
        present: set[str] = set()
        if check:
            listed = self._list(self._client.v1.invoice_items.list, {"invoice": invoice.id})
            for item in listed:
                line_tag = metadata(item).get("sheetsync_line", "")
                if line_tag in present:  # added twice (a key Stripe had forgotten): remove one
                    self._call(self._client.v1.invoice_items.delete, item.id)
                present.add(line_tag)
        customer = str(invoice.customer)
        for index, line in enumerate(req.draft.lines):
            if str(index) in present:
                continue
            params = self._item_params(invoice.id, customer, req.draft, line)
            params["metadata"] = {"sheetsync_id": req.sync_id, "sheetsync_line": str(index)}
            create = self._client.v1.invoice_items.create
            key = self._key(invoice.id, f"line-{index}")
            self._create(create, params, key, partial(self._line, invoice.id, index))

    def _line(self, invoice_id: str, index: int) -> Any:
        """The invoice's item for line `index`, if there is one."""
        for item in self._list(self._client.v1.invoice_items.list, {"invoice": invoice_id}):
            if metadata(item).get("sheetsync_line") == str(index):
                return item
        return None

    def _item_params(self, invoice: str, customer: str, draft: Draft, line: Line) -> dict[str, Any]:
        unit = money.minor_decimal(line.unit_price, draft.currency)
        params: dict[str, Any] = {
            "customer": customer,
            "invoice": invoice,
            "currency": draft.currency.lower(),
            "description": line.description,
            "unit_amount_decimal": plain(unit),
        }
        if line.quantity == line.quantity.to_integral_value():
            params["quantity"] = int(line.quantity)
        else:
            params["quantity_decimal"] = plain(line.quantity)
        if line.tax_rate is not None:
            params["tax_rates"] = [self._tax_rate(line.tax_rate)]
        return params

    def _tax_rate(self, percent: Decimal) -> str:
        """A Tax Rate for this percentage, reused across runs (found by metadata)."""
        if self._tax_rates is None:
            self._tax_rates = {}
            for rate in self._list(self._client.v1.tax_rates.list, {"active": True}):
                tagged = metadata(rate).get("sheetsync_percentage")
                if tagged is not None:
                    self._tax_rates[(Decimal(tagged), bool(rate.inclusive))] = rate.id
        key = (percent.normalize(), self._inclusive)
        if key not in self._tax_rates:
            text = format(key[0], "f")
            params = {
                "display_name": "Tax",
                "percentage": plain(key[0]),
                "inclusive": self._inclusive,
                "metadata": {"sheetsync_percentage": text},
            }
            kind = "inclusive" if self._inclusive else "exclusive"
            options = {"idempotency_key": f"sheetsync:tax-rate:{text}:{kind}"}
            self._tax_rates[key] = self._call(
                self._client.v1.tax_rates.create, params, options=options
            ).id
        return self._tax_rates[key]

    @staticmethod
    def _key(owner: str, step: str) -> dict[str, str]:
        """The idempotency key of one step: `owner` is a Sync ID (or, for an invoice's
        lines, the invoice's ID), so whoever takes the step sends the same key."""
        return {"idempotency_key": f"sheetsync:{owner}:{step}"}

    def _step(self, method: Callable[..., T], *args: Any, key: dict[str, str]) -> T:
        """A state change (finalize, send, void, pay) under `key`; a failure Stripe replays
        from its idempotency store is tried once more under a key of its own (the change is
        one Stripe makes once: a repeat is refused, never doubled)."""
        try:
            return self._attempts(method, *args, options=key)
        except ReplayedFailure:
            retry_key = {"idempotency_key": key["idempotency_key"] + ":after-failure"}
            return self._call(method, *args, options=retry_key)

    def _create(
        self,
        method: Callable[..., T],
        params: dict[str, Any],
        key: dict[str, str],
        find: Callable[[], T | None] = lambda: None,
    ) -> T:
        """A creating call under `key`. When Stripe replays a failure saved under that key
        (it keeps a 500's answer for 24 hours), `find` looks for what the failed call may
        have made anyway; only when there is nothing is it sent once more under a key of
        its own. Only the lease holder bills, so nobody else creates meanwhile."""
        try:
            return self._attempts(method, params, options=key)
        except ReplayedFailure:
            found = find()
            if found is not None:
                return found
            retry_key = {"idempotency_key": key["idempotency_key"] + ":after-failure"}
            return self._call(method, params, options=retry_key)

    def _list(self, method: Callable[..., Any], params: dict[str, Any]) -> Iterator[Any]:
        after: str | None = None
        while True:
            page_params = {**params, "limit": PAGE}
            if after:
                page_params["starting_after"] = after
            page = self._call(method, page_params)
            yield from page.data
            if not page.has_more or not page.data:
                return
            after = page.data[-1].id

    def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return self._attempts(method, *args, **kwargs)
        except ReplayedFailure as exc:
            raise BillingError(
                f"Stripe replays an earlier failure ({exc}) of this request; the next run "
                "tries again",
                retryable=True,
            ) from None

    def _attempts(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One call with retries, Stripe's errors translated (a replayed failure aside)."""

        def attempt() -> T:
            self._pacer.wait()
            self._requests += 1
            try:
                return method(*args, **kwargs)
            except (stripe.RateLimitError, stripe.APIConnectionError, stripe.APIError) as exc:
                if (exc.headers or {}).get("Idempotent-Replayed") == "true":
                    raise ReplayedFailure(type(exc).__name__) from None
                raise Transient(type(exc).__name__, _retry_after(exc)) from None
            except stripe.StripeError as exc:
                if exc.http_status == 409:  # a concurrent request with the same key
                    raise Transient("409 conflict", _retry_after(exc)) from None
                raise

        try:
            return retrying(attempt, self._retry, "Stripe request")
        except GaveUp as exc:
            raise BillingError(str(exc), retryable=True) from None
        except stripe.InvalidRequestError as exc:
            message = exc.user_message or exc.code or "bad request"
            raise RowError(f"Stripe refused it: {message}") from None
        except stripe.IdempotencyError as exc:
            raise RowError(
                "Stripe refused a repeated request whose details differ from the first "
                f"({exc.user_message or 'idempotency error'}); check the row and set it to draft"
            ) from None
        except (stripe.AuthenticationError, stripe.PermissionError):
            raise BillingError(
                "Stripe refused the API key: check SHEETSYNC_STRIPE_API_KEY (and, for a "
                "restricted key, its permissions)"
            ) from None
        except stripe.StripeError as exc:
            raise BillingError(f"Stripe refused a request: {type(exc).__name__}") from None


def metadata(obj: Any) -> dict[str, str]:
    """A Stripe object's metadata as a plain dict."""
    found = obj.to_dict().get("metadata")
    return dict(found) if found else {}


def state(stripe_invoice: Any) -> InvoiceState:
    """Keep only the fields sheetsync needs from a Stripe invoice."""
    return state_of(stripe_invoice.to_dict())


def state_of(invoice: dict[str, Any]) -> InvoiceState:
    """Keep only the fields sheetsync needs from a Stripe invoice as a dict."""
    transitions = invoice.get("status_transitions") or {}
    return InvoiceState(
        id=invoice["id"],
        status=invoice["status"],
        currency=str(invoice["currency"]).upper(),
        total=int(invoice["total"]),
        amount_paid=int(invoice.get("amount_paid") or 0),
        amount_remaining=int(invoice.get("amount_remaining") or 0),
        number=invoice.get("number") or "",
        hosted_url=invoice.get("hosted_invoice_url") or "",
        pdf_url=invoice.get("invoice_pdf") or "",
        due_date=invoice.get("due_date"),
        paid_at=transitions.get("paid_at"),
        attempted=bool(invoice.get("attempted")),
        sync_id=(invoice.get("metadata") or {}).get("sheetsync_id", ""),
        fingerprint=(invoice.get("metadata") or {}).get("sheetsync_fingerprint", ""),
        spreadsheet=(invoice.get("metadata") or {}).get("sheetsync_spreadsheet", ""),
        customer_email=invoice.get("customer_email") or "",
    )


class ReplayedFailure(Exception):
    """Stripe replayed a failure saved under an idempotency key."""


def plain(value: Decimal) -> Decimal:
    """The same Decimal without an exponent, so it is sent as 123450, not 1.2345E+5."""
    return Decimal(format(value, "f"))


def _retry_after(exc: stripe.StripeError) -> float | None:
    value = str((exc.headers or {}).get("Retry-After", ""))
    return float(value) if value.strip().isdigit() else None
