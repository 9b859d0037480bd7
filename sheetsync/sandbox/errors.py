"""Errors the sandbox answers with, shaped like Stripe's error object.

Every refusal raises :class:`StripeError`; the HTTP layer turns it into the
``{"error": {...}}`` body that stripe-python maps onto its exception classes
(400/404 → ``InvalidRequestError`` or ``IdempotencyError``, 401 →
``AuthenticationError``, 429 → ``RateLimitError``, 5xx → ``APIError``).
"""

from __future__ import annotations

from typing import Any

DOCS_URL = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """A refusal with an HTTP status and Stripe's error fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """Return the JSON body Stripe sends for this error."""
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOCS_URL + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        return {"error": error}


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    """A 400 ``invalid_request_error``."""
    return StripeError(400, message, code=code, param=param)


def missing_param(path: str) -> StripeError:
    """Stripe's answer to a required parameter that was not sent."""
    return invalid(f"Missing required param: {path}.", path, "parameter_missing")


def unknown_param(paths: str) -> StripeError:
    """Stripe's answer to parameters the endpoint does not take (comma-separated)."""
    noun = "parameters" if ", " in paths else "parameter"
    return invalid(f"Received unknown {noun}: {paths}", paths, "parameter_unknown")


def no_such(label: str, object_id: str, param: str | None = None) -> StripeError:
    """``resource_missing``: 404 for the object in the path, 400 for a referenced one."""
    status = 404 if param is None else 400
    return StripeError(
        status,
        f"No such {label}: '{object_id}'",
        code="resource_missing",
        param=param or "id",
    )


def not_editable(message: str, param: str | None = None) -> StripeError:
    """A change refused because the invoice has left the draft state."""
    return invalid(message, param, "invoice_not_editable")


def bad_transition(message: str) -> StripeError:
    """A status change the invoice's current status does not allow."""
    return invalid(message, None, "status_transition_invalid")
