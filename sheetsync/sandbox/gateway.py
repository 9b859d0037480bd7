"""The ``/v1`` request pipeline: record, authenticate, route, inject faults, idempotency.

Order, following Stripe's documentation on idempotency and errors:

1. every request is recorded (``StripeSandbox.requests``);
2. the API key is checked (401 — before the idempotency layer);
3. the route is found (404 "Unrecognized request URL");
4. ``before`` hooks run; an injected fault answers here — a 429 is never saved
   (rate limiters run before the idempotency layer), a 5xx is saved against the
   idempotency key by default ("retries with the same key return the saved
   response, including 500 errors");
5. a known ``Idempotency-Key`` replays the saved response, or answers
   ``idempotency_error`` when the endpoint or parameters differ;
6. parameters are checked against ``stripe.params`` (failures are not saved:
   "if incoming parameters fail validation … we don't save the result");
7. the handler runs under the state lock and its response — success or a 4xx
   of the endpoint — is saved against the key;
8. ``after`` hooks run, then the response is sent.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import stripe

from . import common, forms, params, routes
from .errors import StripeError, invalid
from .store import Obj, Store, public, random_id

logger = logging.getLogger(__name__)

IDEMPOTENCY_TTL = 24 * 3600
MAX_KEY_LENGTH = 255
_TEST_KEY = re.compile(r"^(sk|rk)_test_[A-Za-z0-9_]+$")
_KEY_PREFIX = re.compile(r"^((?:sk|rk|pk)_(?:test|live)_)(.*)$")
_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)


@dataclass
class RecordedRequest:
    """One ``/v1`` request as the sandbox saw it."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    status: int = 0
    replayed: bool = False


@dataclass
class Reply:
    """An HTTP response: status, JSON body bytes, headers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Trigger:
    """A fault or hook armed for requests whose method and path match."""

    pattern: re.Pattern[str]
    method: str
    times: int
    callback: Callable[[], None] | None = None
    status: int = 500
    retry_after: int | None = None
    saved: bool | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether this trigger fires for ``method path``."""
        return self.times > 0 and self.method == method and bool(self.pattern.search(path))


@dataclass
class Saved:
    """A response saved against an idempotency key."""

    endpoint: str
    params: str
    reply: Reply
    request_id: str
    created: int


def mask_key(key: str) -> str:
    """Show an API key as Stripe does in errors: prefix, stars, at most the last 4."""
    match = _KEY_PREFIX.match(key)
    prefix, rest = (match.group(1), match.group(2)) if match else ("", key)
    if len(rest) > 8:
        return prefix + "*" * (len(rest) - 4) + rest[-4:]
    return prefix + "*" * len(rest)


def error_reply(error: StripeError, request_id: str) -> Reply:
    """The reply for a refusal."""
    body = json.dumps(error.body(), indent=2).encode()
    return Reply(error.status, body, {"Request-Id": request_id, **error.headers})


def json_reply(obj: Obj, request_id: str) -> Reply:
    """A 200 reply with ``obj`` as JSON."""
    return Reply(200, json.dumps(obj, indent=2).encode(), {"Request-Id": request_id})


def unrecognized(method: str, path: str) -> StripeError:
    """Stripe's 404 for a URL it has no endpoint for."""
    hint = ""
    if path.endswith("/"):
        hint = (
            " If you are trying to list objects, remove the trailing slash. If you are trying "
            "to retrieve an object, make sure you passed a valid (non-empty) identifier in "
            "your code."
        )
    return StripeError(
        404,
        f"Unrecognized request URL ({method}: {path}).{hint} Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
    )


def fault_error(status: int, retry_after: int | None) -> StripeError:
    """The Stripe-shaped error an injected fault answers with."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if status == 429:
        return StripeError(
            429,
            "Request rate limit exceeded. You can learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            code="rate_limit",
            headers=headers,
        )
    if status >= 500:
        message = "An unknown error occurred"
        return StripeError(status, message, type="api_error", headers=headers)
    if status == 409:
        message = "This object cannot be accessed right now because another API request "
        message += "or Stripe process is currently accessing it. Please retry."
        return StripeError(409, message, code="lock_timeout", headers=headers)
    messages = {
        401: "Invalid API Key provided.",
        403: "The provided key does not have the required permissions for this endpoint.",
    }
    message = messages.get(status, f"Injected failure ({status}).")
    return StripeError(status, message, headers=headers)


def api_key(headers: dict[str, str]) -> str | None:
    """The key from ``Authorization: Bearer …`` (or HTTP Basic, as curl ``-u`` sends)."""
    auth = headers.get("authorization", "").strip()
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode()
        except ValueError:
            return None
        return decoded.partition(":")[0] or None
    return None


def check_key(key: str | None) -> None:
    """Accept test-mode secret and restricted keys only.

    :raises StripeError: 401, naming the key only in Stripe's masked form.
    """
    if not key:
        raise StripeError(401, _NO_KEY)
    if _TEST_KEY.match(key):
        return
    message = f"Invalid API Key provided: {mask_key(key)}"
    if "_live_" in key:
        logger.warning("Refused a live-mode API key: the Stripe sandbox is test mode only")
        message += " (the Stripe sandbox accepts test-mode keys only)"
    raise StripeError(401, message)


class Gateway:
    """Runs ``/v1`` requests against a :class:`Store` (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.requests: list[RecordedRequest] = []
        self.faults: list[Trigger] = []
        self.before: list[Trigger] = []
        self.after: list[Trigger] = []
        self.saved: dict[str, Saved] = {}

    def handle(
        self, method: str, path: str, query: str, body: str, headers: dict[str, str]
    ) -> Reply:
        """Answer one request; ``headers`` keys are lower-case."""
        request_id = random_id("req", 14)
        key = headers.get("idempotency-key")
        record = RecordedRequest(method, path, {}, key)
        with self.store.lock:
            self.requests.append(record)
        reply = self._run(record, query, body, headers, request_id)
        reply.headers.setdefault("Request-Id", request_id)
        reply.headers["Stripe-Version"] = headers.get("stripe-version") or stripe.api_version
        if method == "POST" and key:
            reply.headers["Idempotency-Key"] = key
        record.status = reply.status
        return reply

    def _run(
        self, record: RecordedRequest, query: str, body: str, headers: dict[str, str], rid: str
    ) -> Reply:
        decoded: Obj | StripeError
        try:
            decoded = record.params = forms.decode(query, body)
        except StripeError as error:
            decoded = error
        try:
            check_key(api_key(headers))
            if isinstance(decoded, StripeError):
                raise decoded
            raw = decoded
            found = routes.find(record.method, record.path)
            if found is None:
                raise unrecognized(record.method, record.path)
            if record.method == "POST" and record.idempotency_key is not None:
                _check_key_length(record.idempotency_key)
        except StripeError as error:
            return error_reply(error, rid)
        self._fire(self.before, record)
        fault = self._take_fault(record)
        if fault is not None:
            return self._fault_reply(fault, record, raw, rid)
        reply, ran = self._execute(record, found[0], found[1], raw, rid)
        if ran:
            self._fire(self.after, record)
        return reply

    def _execute(
        self, record: RecordedRequest, route: routes.Route, ids: tuple[str, ...], raw: Obj, rid: str
    ) -> tuple[Reply, bool]:
        """The reply, and whether the endpoint ran (not a replay or invalid parameters)."""
        key = record.idempotency_key if record.method == "POST" else None
        with self.store.lock:
            if key is not None:
                replay = self._lookup(key, record, raw, rid)
                if replay is not None:
                    return replay, False
            try:
                typed = params.validate(route.params, raw)
            except StripeError as error:
                return error_reply(error, rid), False
            record.params = typed
            reply = self._apply(route, ids, typed, rid, key)
            if key is not None:
                self._save(key, record, raw, reply, rid)
            return reply, True

    def _apply(
        self, route: routes.Route, ids: tuple[str, ...], typed: Obj, rid: str, key: str | None
    ) -> Reply:
        store = self.store
        store.context.request_id, store.context.idempotency_key = rid, key
        try:
            result = public(route.handler(store, typed, ids))
            return json_reply(common.expand(store, result, typed.get("expand", [])), rid)
        except StripeError as error:
            return error_reply(error, rid)
        finally:
            store.context.request_id = store.context.idempotency_key = None

    def _lookup(self, key: str, record: RecordedRequest, raw: Obj, rid: str) -> Reply | None:
        saved = self.saved.get(key)
        if saved is None or saved.created + IDEMPOTENCY_TTL <= self.store.now:
            self.saved.pop(key, None)
            return None
        endpoint = f"{record.method} {record.path}"
        if saved.endpoint != endpoint:
            message = (
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{saved.endpoint}' vs '{endpoint}'). Try using a key other "
                f"than '{key}' if you meant to execute a different request."
            )
            return error_reply(StripeError(400, message, type="idempotency_error"), rid)
        if saved.params != _canonical(raw):
            message = (
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request."
            )
            return error_reply(StripeError(400, message, type="idempotency_error"), rid)
        record.replayed = True
        headers = dict(saved.reply.headers)
        headers.update({"Idempotent-Replayed": "true", "Original-Request": saved.request_id})
        headers["Request-Id"] = rid
        return Reply(saved.reply.status, saved.reply.body, headers)

    def _save(self, key: str, record: RecordedRequest, raw: Obj, reply: Reply, rid: str) -> None:
        endpoint = f"{record.method} {record.path}"
        self.saved[key] = Saved(endpoint, _canonical(raw), reply, rid, self.store.now)

    def _take_fault(self, record: RecordedRequest) -> Trigger | None:
        with self.store.lock:
            for fault in self.faults:
                if fault.matches(record.method, record.path):
                    fault.times -= 1
                    self.faults = [f for f in self.faults if f.times > 0]
                    return fault
        return None

    def _fault_reply(self, fault: Trigger, record: RecordedRequest, raw: Obj, rid: str) -> Reply:
        saved = fault.status >= 500 if fault.saved is None else fault.saved
        error = fault_error(fault.status, fault.retry_after)
        if saved and fault.status >= 500:
            # Stripe asks clients not to retry what its idempotency layer would replay.
            error.headers["Stripe-Should-Retry"] = "false"
        reply = error_reply(error, rid)
        key = record.idempotency_key
        if saved and record.method == "POST" and key is not None:
            with self.store.lock:
                if key not in self.saved:
                    self._save(key, record, raw, reply, rid)
        return reply

    def _fire(self, triggers: list[Trigger], record: RecordedRequest) -> None:
        with self.store.lock:
            due = [t for t in triggers if t.matches(record.method, record.path)]
            for trigger in due:
                trigger.times -= 1
            triggers[:] = [t for t in triggers if t.times > 0]
        for trigger in due:
            if trigger.callback is None:
                continue
            try:
                trigger.callback()
            except Exception:
                logger.exception("A sandbox %s hook failed", record.path)


def _check_key_length(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise invalid(
            f"Idempotent key length is {len(key)}, which is outside accepted lengths. "
            f"Idempotent Keys must be 1-{MAX_KEY_LENGTH} characters long. If you're looking "
            "for a decent generator, try using a UUID defined by IETF RFC 4122.",
            "idempotency_key",
        )


def _canonical(raw: Obj) -> str:
    return json.dumps(raw, sort_keys=True)
