"""The sandbox's state: objects, clock, events, and list pagination.

Every object is built from a deep copy of Stripe's published fixture for its
type (``fixtures/stripe_fixtures.json``) with fields overridden, so responses
carry every field real Stripe returns. All access happens under ``lock``.
"""

from __future__ import annotations

import copy
import json
import operator
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import stripe

from .errors import invalid, no_such

Obj = dict[str, Any]
KINDS = (
    "customer",
    "invoice",
    "invoiceitem",
    "tax_rate",
    "event",
    "product",
    "price",
    "payment_link",
    "checkout.session",
    "payment_intent",
    "charge",
    "invoice_payment",
    "refund",
    "credit_note",
    "dispute",
)
LABELS = {
    "invoiceitem": "invoiceitem",
    "tax_rate": "tax rate",
    "payment_link": "payment link",
    "credit_note": "credit note",
    "invoice_payment": "invoice payment",
}
PREFIXES = {
    "customer": "cus",
    "invoice": "in",
    "invoiceitem": "ii",
    "tax_rate": "txr",
    "product": "prod",
    "price": "price",
    "payment_link": "plink",
    "checkout.session": "cs_test",
    "payment_intent": "pi",
    "charge": "ch",
    "invoice_payment": "inpay",
    "refund": "re",
    "credit_note": "cn",
    "dispute": "dp",
}
EVENT_RETENTION = 30 * 86400
LINES_EMBEDDED = 10
_ALNUM = string.ascii_letters + string.digits


def load_templates() -> dict[str, Obj]:
    """Stripe's fixture objects, one per type, from the packaged subset."""
    package = resources.files(__package__ or "sheetsync.sandbox")
    path = package.joinpath("fixtures").joinpath("stripe_fixtures.json")
    templates: dict[str, Obj] = json.loads(path.read_text(encoding="utf-8"))["resources"]
    return templates


def random_id(prefix: str, length: int = 24) -> str:
    """An ID shaped like Stripe's: ``prefix_`` and random letters and digits."""
    return prefix + "_" + "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass
class RequestContext:
    """The API request being handled, named in the ``request`` field of events."""

    request_id: str | None = None
    idempotency_key: str | None = None


@dataclass
class Store:
    """Objects by ID plus the clock; callers hold ``lock`` around every use."""

    now: int
    lock: threading.RLock = field(default_factory=threading.RLock)
    objects: dict[str, Obj] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    line_ids: dict[str, str] = field(default_factory=dict)
    items_by_invoice: dict[str, list[str]] = field(default_factory=dict)
    # Line items ("item" objects) of payment links and Checkout Sessions, by owner ID.
    line_items: dict[str, list[Obj]] = field(default_factory=dict)
    base_url: str = ""
    context: RequestContext = field(default_factory=RequestContext)
    templates: dict[str, Obj] = field(default_factory=load_templates)

    def build(self, template: str, **fields: Any) -> Obj:
        """A deep copy of the fixture ``template`` with ``fields`` overridden."""
        obj = copy.deepcopy(self.templates[template])
        obj.update(fields)
        obj["livemode"] = False
        return obj

    def create(self, kind: str, **fields: Any) -> Obj:
        """Build, assign an ID and ``created`` from the clock, and store a new object."""
        prefix = PREFIXES.get(kind, "evt")
        obj = self.build(kind, id=random_id(prefix), created=self.now, **fields)
        self.add(obj)
        return obj

    def add(self, obj: Obj) -> None:
        """Store ``obj`` under its ID, remembering insertion order."""
        self.objects[obj["id"]] = obj
        self.order.setdefault(obj["id"], len(self.order))

    def get(self, kind: str, object_id: str, param: str | None = None) -> Obj:
        """The stored object of ``kind``.

        :raises StripeError: ``resource_missing`` (404 for a path ID, 400 for a
            parameter named by ``param``).
        """
        obj = self.objects.get(object_id)
        if obj is None or obj.get("object") != kind or obj.get("deleted"):
            raise no_such(LABELS.get(kind, kind), object_id, param)
        return obj

    def remove(self, object_id: str) -> None:
        """Forget an object (deleted objects are not listed or retrievable)."""
        self.objects.pop(object_id, None)

    def all(self, kind: str) -> list[Obj]:
        """Every stored object of ``kind``, newest first."""
        found = [o for o in self.objects.values() if o.get("object") == kind]
        return sorted(found, key=self.sort_key, reverse=True)

    def sort_key(self, obj: Obj) -> tuple[int, int]:
        """Order of lists: ``created``, then insertion order for equal times."""
        return (int(obj["created"]), self.order.get(obj["id"], 0))

    def listing(self, kind: str) -> Listing:
        """Newest-first ordering of stored objects of ``kind`` for :func:`paginate`."""

        def lookup(object_id: str) -> Obj | None:
            obj = self.objects.get(object_id)
            return obj if obj is not None and obj.get("object") == kind else None

        return Listing(self.sort_key, lookup, LABELS.get(kind, kind))

    def emit(self, event_type: str, obj: Obj, previous: Obj | None = None) -> Obj:
        """Record an event whose ``data.object`` is a snapshot of ``obj``."""
        data: Obj = {"object": public(obj)}
        if previous is not None:
            data["previous_attributes"] = copy.deepcopy(previous)
        request = {"id": self.context.request_id, "idempotency_key": self.context.idempotency_key}
        return self.create(
            "event",
            type=event_type,
            data=data,
            api_version=stripe.api_version,
            pending_webhooks=0,
            request=request,
        )

    def events(self) -> list[Obj]:
        """Events of the last 30 days (what ``GET /v1/events`` covers), newest first."""
        oldest = self.now - EVENT_RETENTION
        return [e for e in self.all("event") if e["created"] >= oldest]


def public(obj: Obj) -> Obj:
    """The API form of a stored object: a copy, invoices' lines cut to the first 10."""
    out = copy.deepcopy(obj)
    lines = out.get("lines") if out.get("object") == "invoice" else None
    if isinstance(lines, dict) and len(lines["data"]) > LINES_EMBEDDED:
        lines["data"] = lines["data"][:LINES_EMBEDDED]
        lines["has_more"] = True
    return out


def matches_range(value: Any, condition: Any) -> bool:
    """``created``-style filters: an exact integer or ``{gt, gte, lt, lte}``."""
    if condition is None:
        return True
    if value is None:
        return False
    if isinstance(condition, int):
        return bool(value == condition)
    return all(_RANGE_OPS[op](value, bound) for op, bound in condition.items())


_RANGE_OPS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


@dataclass(frozen=True)
class Listing:
    """How a list is ordered: ``key`` of an object, descending or not, and cursor lookup."""

    key: Callable[[Obj], Any]
    lookup: Callable[[str], Obj | None]
    label: str
    descending: bool = True


def paginate(items: list[Obj], params: Obj, url: str, listing: Listing) -> Obj:
    """One page of ``items`` (filtered, in list order) as a Stripe list object.

    :raises StripeError: for a bad ``limit``, both cursors at once, or an unknown cursor.
    """
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", "limit")
    after, before = params.get("starting_after"), params.get("ending_before")
    if after and before:
        raise invalid(
            "You may only specify one of these parameters: ending_before, starting_after.",
            "starting_after",
            "parameters_exclusive",
        )
    if not (after or before):
        page, has_more = items[:limit], len(items) > limit
    else:
        param = "starting_after" if after else "ending_before"
        cursor = listing.lookup(str(after or before))
        if cursor is None:
            raise no_such(listing.label, str(after or before), param)
        mark = listing.key(cursor)
        sign = 1 if listing.descending else -1
        if after:
            rest = [o for o in items if _cmp(listing.key(o), mark) * sign < 0]
            page, has_more = rest[:limit], len(rest) > limit
        else:
            rest = [o for o in items if _cmp(listing.key(o), mark) * sign > 0]
            page, has_more = rest[-limit:], len(rest) > limit
    data = [public(o) for o in page]
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def _cmp(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)
