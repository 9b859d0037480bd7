"""``StripeSandbox``: the public face of the local Stripe-compatible server."""

from __future__ import annotations

import copy
import html
import json
import re
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from . import billing, checkout, forms, payments, refunds
from .errors import StripeError, invalid, no_such
from .gateway import Gateway, RecordedRequest, Reply, Trigger, error_reply, json_reply
from .server import LoopbackServer
from .store import KINDS, Obj, Store, public, random_id

_WORLD_INVOICE = re.compile(
    r"^/_sandbox/invoices/([^/]+)/(pay|payment_failed|void|mark_uncollectible)$"
)
_PAGES = re.compile(r"^/_sandbox/(hosted|pdf)/([^/]+)$")
_PAY_LINK = re.compile(r"^/_sandbox/pay/([^/]+)$")


class StripeSandbox:
    """A stateful Stripe API (test mode) on ``127.0.0.1``, for tests and demos.

    Speak to it with stripe-python::

        client = stripe.StripeClient(
            "sk_test_...", base_addresses={"api": sandbox.base_url}, max_network_retries=0
        )

    The clock is frozen at ``start_time`` (default: the real time at
    construction) and moves only through :meth:`advance` and :meth:`set_time`.
    """

    def __init__(self, start_time: int | None = None) -> None:
        now = int(time.time()) if start_time is None else int(start_time)
        self._store = Store(now=now)
        self._gateway = Gateway(self._store)
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> str:
        """Serve on a free loopback port from a daemon thread; return the base URL."""
        if self._server is None:
            self._server = LoopbackServer(self._dispatch)
            self.base_url = self._server.base_url
            self._store.base_url = self.base_url
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.01},  # how soon stop() returns
                name="stripe-sandbox",
                daemon=True,
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving (the state stays inspectable)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> StripeSandbox:
        """Start serving; stop again when the ``with`` block ends."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- clock -------------------------------------------------------------

    def now(self) -> int:
        """The sandbox clock, in Unix seconds."""
        return self._store.now

    def advance(self, seconds: int) -> None:
        """Move the clock forward; drafts with ``auto_advance`` finalize when due."""
        self.set_time(self._store.now + int(seconds))

    def set_time(self, ts: int) -> None:
        """Set the clock; what Stripe does as time passes happens now."""
        with self._store.lock:
            self._store.now = int(ts)
            billing.advance_clock(self._store)

    # -- inspection --------------------------------------------------------

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Copies of every stored object of ``kind``, oldest first.

        :raises ValueError: for a kind the sandbox does not store (see ``store.KINDS``:
            customer, invoice, invoiceitem, tax_rate, event, product, price,
            payment_link, checkout.session, payment_intent, charge,
            invoice_payment, refund, credit_note, dispute).
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        with self._store.lock:
            found = sorted(self._store.all(kind), key=self._store.sort_key)
            return [copy.deepcopy(o) for o in found]

    def get(self, object_id: str) -> dict[str, Any]:
        """A copy of the stored object with this ID.

        :raises KeyError: when there is none.
        """
        with self._store.lock:
            return copy.deepcopy(self._store.objects[object_id])

    # -- the customer and the dashboard -------------------------------------

    def customer_pays(self, invoice_id: str, amount: int | None = None) -> dict[str, Any]:
        """A payment on the hosted page: the rest of the invoice, or ``amount`` of it.

        :raises StripeError: when the invoice is not payable or the amount is wrong.
        """
        return self._act(invoice_id, lambda s, i: billing.pay(s, i, amount, out_of_band=False))

    def payment_fails(self, invoice_id: str) -> dict[str, Any]:
        """A declined payment attempt: the invoice stays payable.

        :raises StripeError: when the invoice is not open or uncollectible.
        """
        return self._act(invoice_id, billing.payment_failed)

    def void_in_dashboard(self, invoice_id: str) -> dict[str, Any]:
        """Void the invoice as from the Dashboard (no API request is recorded).

        :raises StripeError: unless the invoice is open or uncollectible.
        """
        return self._act(invoice_id, billing.void)

    def mark_uncollectible_in_dashboard(self, invoice_id: str) -> dict[str, Any]:
        """Mark the invoice uncollectible as from the Dashboard.

        :raises StripeError: unless the invoice is open.
        """
        return self._act(invoice_id, billing.mark_uncollectible)

    def customer_completes_link(self, link_id: str, email: str | None = None) -> dict[str, Any]:
        """A customer pays a payment link by card: the completed Checkout Session.

        Emits ``charge.succeeded``, ``payment_intent.succeeded`` and
        ``checkout.session.completed``; a link that reaches its
        ``restrictions.completed_sessions.limit`` deactivates.

        :raises StripeError: for an unknown link, or one that is no longer active.
        """
        with self._store.lock:
            return public(checkout.complete(self._store, link_id, email))

    def refund(self, payment_intent_id: str, amount: int | None = None) -> dict[str, Any]:
        """Refund a payment as from the Dashboard (no API request is recorded).

        :raises StripeError: for an unknown PaymentIntent, a disputed or fully
            refunded charge, or an amount above what is left to refund.
        """
        with self._store.lock:
            charge = payments.charge_of(self._store, payment_intent_id)
            return public(refunds.refund(self._store, charge, amount))

    def dispute(self, payment_intent_id: str) -> dict[str, Any]:
        """The customer's bank disputes a payment as fraudulent: a ``needs_response`` Dispute.

        :raises StripeError: for an unknown PaymentIntent or a charge already disputed.
        """
        with self._store.lock:
            return public(refunds.dispute(self._store, payment_intent_id))

    def _act(self, invoice_id: str, action: Callable[[Store, Obj], None]) -> dict[str, Any]:
        with self._store.lock:
            invoice = self._store.get("invoice", invoice_id)
            action(self._store, invoice)
            return public(invoice)

    # -- request accounting ------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every ``/v1`` request so far, in arrival order."""
        with self._store.lock:
            return list(self._gateway.requests)

    def count(self, path_prefix: str | None = None, method: str | None = None) -> int:
        """How many ``/v1`` requests match a path prefix and/or method."""
        return sum(
            1
            for r in self.requests
            if (path_prefix is None or r.path.startswith(path_prefix))
            and (method is None or r.method == method.upper())
        )

    def reset_requests(self) -> None:
        """Forget the recorded requests."""
        with self._store.lock:
            self._gateway.requests.clear()

    # -- fault injection ---------------------------------------------------

    def fail_next(
        self,
        path_regex: str,
        status: int = 500,
        times: int = 1,
        method: str = "POST",
        retry_after: int | None = None,
        saved: bool | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with a Stripe-shaped error.

        The request is recorded but not applied. 429 → ``rate_limit`` (a
        ``RateLimitError``), 5xx → ``api_error`` (``APIError``). ``saved``: whether
        the idempotency layer keeps the failure so that a retry with the same
        key replays it; by default as Stripe documents — 5xx saved, 429 not.
        ``path_regex`` is searched in the path (``re.search``).
        """
        trigger = Trigger(
            re.compile(path_regex),
            method.upper(),
            times,
            status=status,
            retry_after=retry_after,
            saved=saved,
        )
        with self._store.lock:
            self._gateway.faults.append(trigger)

    def before(
        self, path_regex: str, callback: Callable[[], None], times: int = 1, method: str = "POST"
    ) -> None:
        """Run ``callback`` just before matching requests are handled."""
        with self._store.lock:
            self._gateway.before.append(
                Trigger(re.compile(path_regex), method.upper(), times, callback)
            )

    def after(
        self, path_regex: str, callback: Callable[[], None], times: int = 1, method: str = "POST"
    ) -> None:
        """Run ``callback`` after matching requests were applied, before the response is sent.

        Replays and requests refused by parameter checks do not count.
        """
        with self._store.lock:
            self._gateway.after.append(
                Trigger(re.compile(path_regex), method.upper(), times, callback)
            )

    # -- HTTP --------------------------------------------------------------

    def _dispatch(
        self, method: str, path: str, query: str, body: str, headers: dict[str, str]
    ) -> Reply:
        if path.startswith("/_sandbox/"):
            rid = random_id("req", 14)
            try:
                return self._world(method, path, forms.decode(query, body), rid)
            except StripeError as error:
                return error_reply(error, rid)
        return self._gateway.handle(method, path, query, body, headers)

    def _world(self, method: str, path: str, params: Obj, rid: str) -> Reply:
        match = _WORLD_INVOICE.match(path)
        if match and method == "POST":
            invoice_id, action = match.groups()
            if action == "pay":
                amount = _int_param(params, "amount")
                return json_reply(self.customer_pays(invoice_id, amount), rid)
            actions = {
                "payment_failed": self.payment_fails,
                "void": self.void_in_dashboard,
                "mark_uncollectible": self.mark_uncollectible_in_dashboard,
            }
            return json_reply(actions[action](invoice_id), rid)
        if path == "/_sandbox/clock":
            if method == "POST" and "advance" in params:
                self.advance(_int_param(params, "advance") or 0)
            elif method == "POST" and "time" in params:
                self.set_time(_int_param(params, "time") or 0)
            return json_reply({"now": self.now()}, rid)
        pages = _PAGES.match(path)
        if pages and method == "GET":
            return self._page(pages.group(1), pages.group(2))
        if path.startswith("/_sandbox/pay/") or path in ("/_sandbox/refunds", "/_sandbox/disputes"):
            return self._money(method, path, params, rid)
        raise StripeError(404, f"Unrecognized sandbox URL ({method}: {path}).")

    def _money(self, method: str, path: str, params: Obj, rid: str) -> Reply:
        """Customers paying links, refunds and disputes, for tests in other processes."""
        link = _PAY_LINK.match(path)
        if link and method == "GET":
            return self._link_page(link.group(1))
        if method != "POST":
            raise StripeError(404, f"Unrecognized sandbox URL ({method}: {path}).")
        if link:
            email = params.get("email")
            session = self.customer_completes_link(link.group(1), str(email) if email else None)
            return json_reply(session, rid)
        intent = params.get("payment_intent")
        if not isinstance(intent, str) or not intent:
            raise invalid("Missing required param: payment_intent.", "payment_intent")
        if path == "/_sandbox/refunds":
            return json_reply(self.refund(intent, _int_param(params, "amount")), rid)
        return json_reply(self.dispute(intent), rid)

    def _link_page(self, link_id: str) -> Reply:
        with self._store.lock:
            link = self._store.get("payment_link", link_id)
            items = self._store.line_items[link_id]
            if not link["active"]:
                text = link["inactive_message"] or checkout.INACTIVE
                rows = f"<p>{html.escape(text)}</p>"
            else:
                rows = "".join(
                    f"<tr><td>{html.escape(str(i['description']))}</td><td>{i['quantity']}</td>"
                    f"<td>{i['amount_total']} {html.escape(i['currency'])}</td></tr>"
                    for i in items
                )
        page = f"<!doctype html><title>Pay</title><table>{rows}</table>"
        return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def _page(self, kind: str, invoice_id: str) -> Reply:
        with self._store.lock:
            found = self._store.objects.get(invoice_id) or {}
            if kind == "pdf" and found.get("object") == "credit_note":
                summary = {k: found[k] for k in ("number", "status", "currency", "total")}
                summary["invoice"] = found["invoice"]
            elif found.get("object") != "invoice" or not found["number"]:
                raise no_such("invoice", invoice_id)
            else:
                summary = {k: found[k] for k in ("number", "status", "currency", "total")}
                summary["amount_remaining"] = found["amount_remaining"]
        if kind == "pdf":
            text = json.dumps(summary, indent=2).encode()
            return Reply(200, text, {"Content-Type": "text/plain; charset=utf-8"})
        rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in summary.items()
        )
        page = f"<!doctype html><title>Invoice</title><table>{rows}</table>"
        return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})


def _int_param(params: Obj, name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise invalid(f"Invalid integer: {value}", name, "parameter_invalid_integer")
    return int(value)
