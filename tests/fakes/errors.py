"""Google-shaped API errors for the fake Sheets server, including injected faults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_FAULT_MESSAGES = {500: "Internal error encountered.", 503: "The service is currently unavailable."}


class ApiError(Exception):
    """An error answered in Google's JSON shape: ``{"error": {"code", "message", "status"}}``."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body Google sends for this error."""
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": _STATUS.get(self.code, "UNKNOWN"),
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad_request(message: str, field_path: str | None = None) -> ApiError:
    """A 400 INVALID_ARGUMENT, with a BadRequest field violation when a field is named."""
    details = None
    if field_path is not None:
        violation = {"field": field_path, "description": message}
        details = [
            {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}
        ]
    return ApiError(400, message, details=details)


@dataclass(frozen=True)
class Fault:
    """An error queued by ``FakeSheetsServer.fail_next``; ``applied`` when the request takes
    effect before the error is answered (a reply lost on the way back)."""

    status: int
    retry_after: int | None
    applied: bool = False


def fault_error(fault: Fault, is_read: bool) -> ApiError:
    """The error an injected fault answers with (429 carries Google's quota ErrorInfo)."""
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.status == 429:
        kind = "Read" if is_read else "Write"
        message = (
            f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} "
            f"requests per minute per user' of service 'sheets.googleapis.com' for "
            f"consumer 'project_number:000000000000'."
        )
        info = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "service": "sheets.googleapis.com",
                "quota_metric": f"sheets.googleapis.com/{kind.lower()}_requests",
            },
        }
        return ApiError(429, message, details=[info], headers=headers)
    message = _FAULT_MESSAGES.get(fault.status, HTTPStatus(fault.status).phrase)
    return ApiError(fault.status, message, headers=headers)
