"""Payment links: one Price per line, a link limited to one payment, and how
payments, deactivation and overdue show for them.

Used by StripeBilling, whose `_call`, `_list` and `_key` carry pacing,
retries, error translation and idempotency keys.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sheetsync import money
from sheetsync.billing import Billed, BillRequest, InvoiceState
from sheetsync.errors import RowError
from sheetsync.model import Draft

if TYPE_CHECKING:
    from sheetsync.billing.stripe_billing import StripeBilling


def replayed(obj: Any) -> bool:
    """Whether Stripe answered this object from its idempotency store (made before)."""
    response = getattr(obj, "last_response", None)
    headers = getattr(response, "headers", None) or {}
    return str(headers.get("Idempotent-Replayed", "")).lower() == "true"


EVENT_WINDOW_DAYS = 30  # events.list reaches back this far


class PaymentLinks:
    """The payment-link half of the Stripe adapter."""

    def __init__(self, stripe: StripeBilling, prices_include_tax: bool) -> None:
        self._s = stripe
        self._inclusive = prices_include_tax

    def bill(self, request: BillRequest) -> Billed:
        """Prices, then the link (limited to one completed payment); each step idempotent."""
        link = self._existing(request.sync_id) if request.recover else None
        adopted = link is not None
        if link is None:
            items = [
                {"price": self._price(request, i, name, unit), "quantity": qty}
                for i, (name, unit, qty) in enumerate(link_lines(request.draft, self._inclusive))
            ]
            link = self._s._create(
                self._s._client.v1.payment_links.create,
                self._link_params(request, items),
                self._s._key(request.sync_id, "link"),
                lambda: self._existing(request.sync_id),
            )
        state = link_state(link.to_dict(), request.draft, request.due_at, self._inclusive)
        return Billed(state, created=not adopted and not replayed(link))

    def paid(
        self, link_ids: Collection[str], old: Collection[str], since: int
    ) -> dict[str, InvoiceState]:
        """Links among `link_ids` with a completed payment, learned from
        `checkout.session.completed` events since `since`, and for the `old`
        links (which may predate the event window) by listing their sessions."""
        wanted, found = set(link_ids), {}
        params = {"type": "checkout.session.completed", "created": {"gte": since}}
        for event in self._s._list(self._s._client.v1.events.list, params):
            session = event.to_dict()["data"]["object"]
            if session.get("payment_link") in wanted:
                found[session["payment_link"]] = session_state(session)
        for link_id in set(old) - set(found):
            sessions = self._s._call(
                self._s._client.v1.checkout.sessions.list,
                {"payment_link": link_id, "status": "complete", "limit": 1},
            )
            if sessions.data:
                found[link_id] = session_state(sessions.data[0].to_dict())
        return found

    def live(self) -> dict[str, InvoiceState]:
        """This spreadsheet's links that still take a payment (`active`), 100 per request."""
        found: dict[str, InvoiceState] = {}
        for link in self._s._list(self._s._client.v1.payment_links.list, {"active": True}):
            data = link.to_dict()
            meta = data.get("metadata") or {}
            if meta.get("sheetsync_spreadsheet") == self._s._sheet:
                found[data["id"]] = InvoiceState(
                    id=data["id"],
                    status="open",
                    currency=str(data.get("currency") or "").upper(),
                    total=0,
                    hosted_url=data.get("url") or "",
                    sync_id=meta.get("sheetsync_id", ""),
                    spreadsheet=self._s._sheet,
                )
        return found

    def deactivate(self, link_id: str, sync_id: str) -> None:
        """Stop a link from taking payments (links cannot be deleted), if it is the row's.

        :raises RowError: when the link was made for another row (a copied row).
        """
        link = self._s._call(self._s._client.v1.payment_links.retrieve, link_id).to_dict()
        owner = (link.get("metadata") or {}).get("sheetsync_id", "")
        if owner != sync_id:
            raise RowError(
                f"Stripe ID {link_id} belongs to another row (Sync ID {owner}), not this one: "
                "a copied row? sheetsync will not deactivate it from here."
            )
        options = {"idempotency_key": f"sheetsync:{link_id}:deactivate"}
        self._s._call(
            self._s._client.v1.payment_links.update, link_id, {"active": False}, options=options
        )

    def _price(self, request: BillRequest, index: int, name: str, unit: Decimal) -> str:
        draft = request.draft
        params: dict[str, Any] = {
            "currency": draft.currency.lower(),
            "unit_amount_decimal": _plain(unit),
            "product_data": {"name": name, "metadata": {"sheetsync_id": request.sync_id}},
            "metadata": {"sheetsync_id": request.sync_id, "sheetsync_line": str(index)},
        }
        price = self._s._create(
            self._s._client.v1.prices.create,
            params,
            self._s._key(request.sync_id, f"price-{index}"),
        )
        return str(price.id)

    def _link_params(self, request: BillRequest, items: list[dict[str, Any]]) -> dict[str, Any]:
        meta = {
            "sheetsync_id": request.sync_id,
            "sheetsync_spreadsheet": self._s._sheet,
            "sheetsync_fingerprint": request.fingerprint,
            "sheetsync_due": str(request.due_at),
        }
        params: dict[str, Any] = {
            "line_items": items,
            "metadata": meta,
            "restrictions": {"completed_sessions": {"limit": 1}},
            "payment_intent_data": {"metadata": {"sheetsync_id": request.sync_id}},
        }
        if request.draft.memo:
            params["custom_text"] = {"submit": {"message": request.draft.memo[:1000]}}
        return params

    def _existing(self, sync_id: str) -> Any:
        for link in self._s._list(self._s._client.v1.payment_links.list, {}):
            if (link.to_dict().get("metadata") or {}).get("sheetsync_id") == sync_id:
                return link
        return None


def link_lines(draft: Draft, inclusive: bool) -> list[tuple[str, Decimal, int]]:
    """(name, unit amount in minor units, quantity) per link line, tax as lines of its own.

    Payment links take no tax rates, so exclusive tax is added as one line per
    rate, rounded per line as Stripe rounds invoice tax. A fractional quantity
    (7.5 hours) becomes one line for the whole amount, since links count whole units.
    """
    lines: list[tuple[str, Decimal, int]] = []
    taxes: dict[Decimal, Decimal] = {}
    for line in draft.lines:
        unit = money.minor_decimal(line.unit_price, draft.currency)
        if line.quantity == line.quantity.to_integral_value():
            lines.append((line.description, unit, int(line.quantity)))
        else:
            whole = (unit * line.quantity).quantize(Decimal(1), ROUND_HALF_UP)
            lines.append((f"{line.quantity.normalize()} × {line.description}", whole, 1))
        if line.tax_rate and not inclusive:
            tax = (unit * line.quantity * line.tax_rate / 100).quantize(Decimal(1), ROUND_HALF_UP)
            taxes[line.tax_rate] = taxes.get(line.tax_rate, Decimal(0)) + tax
    for rate, amount in sorted(taxes.items()):
        lines.append((f"Tax {rate.normalize()}%", amount, 1))
    return lines


def _total(draft: Draft, inclusive: bool) -> int:
    return int(sum((unit * qty for _, unit, qty in link_lines(draft, inclusive)), Decimal(0)))


def link_state(link: dict[str, Any], draft: Draft, due_at: int, inclusive: bool) -> InvoiceState:
    """A just-made (or found) link as the row shows it: open until paid."""
    meta = link.get("metadata") or {}
    return InvoiceState(
        id=link["id"],
        status="open" if link.get("active", True) else "void",
        currency=draft.currency,
        total=_total(draft, inclusive),
        hosted_url=link.get("url") or "",
        due_date=due_at,
        sync_id=meta.get("sheetsync_id", ""),
        fingerprint=meta.get("sheetsync_fingerprint", ""),
    )


def session_state(session: dict[str, Any]) -> InvoiceState:
    """A completed Checkout Session as the state of its link's row: paid."""
    return InvoiceState(
        id=session["payment_link"],
        status="paid",
        currency=str(session["currency"]).upper(),
        total=int(session.get("amount_total") or 0),
        amount_paid=int(session.get("amount_total") or 0),
        paid_at=int(session["created"]),
        sync_id=(session.get("metadata") or {}).get("sheetsync_id", ""),
        spreadsheet=(session.get("metadata") or {}).get("sheetsync_spreadsheet", ""),
        customer_email=(session.get("customer_details") or {}).get("email") or "",
    )


def _plain(value: Decimal) -> Decimal:
    return Decimal(format(value, "f"))
