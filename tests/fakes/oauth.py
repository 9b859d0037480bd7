"""The OAuth side of the fake: the JWT-bearer token endpoint and bearer-token checks."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.fakes.errors import ApiError

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME = 3600
# Google checks ``aud`` against its own token endpoint, whatever URL the assertion is posted to.
AUDIENCES = ("https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token")
_REQUIRED_CLAIMS = ("iss", "scope", "aud", "exp", "iat")
_HELP = "See https://developers.google.com/identity/sign-in/web/devconsole-project."
_MISSING = (
    "Request is missing required authentication credential. Expected OAuth 2 access "
    f"token, login cookie or other valid authentication credential. {_HELP}"
)
_INVALID = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, "
    f"login cookie or other valid authentication credential. {_HELP}"
)


@dataclass
class Grant:
    """An access token this server issued."""

    token: str
    scopes: tuple[str, ...]
    client_email: str
    expires_at: float


class TokenError(Exception):
    """A refused token request; ``body`` is Google's OAuth error JSON."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.body = {"error": error, "error_description": description}


def _decode_segment(segment: str) -> dict[str, Any]:
    padded = segment + "=" * (-len(segment) % 4)
    decoded = json.loads(base64.urlsafe_b64decode(padded))
    if not isinstance(decoded, dict):
        raise ValueError("not a JSON object")
    return decoded


def grant_token(form: Mapping[str, list[str]], now: float | None = None) -> Grant:
    """Check a JWT-bearer grant as Google's token endpoint does (signature not verified)."""
    grant_type = (form.get("grant_type") or [""])[0]
    if grant_type != JWT_BEARER:
        raise TokenError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    parts = (form.get("assertion") or [""])[0].split(".")
    try:
        if len(parts) != 3:
            raise ValueError("a JWT has three segments")
        header, claims = _decode_segment(parts[0]), _decode_segment(parts[1])
    except (ValueError, binascii.Error) as err:
        raise TokenError("invalid_grant", f"Invalid JWT: {err}") from None
    if header.get("alg") != "RS256":
        raise TokenError("invalid_grant", "Invalid JWT: only RS256 signatures are accepted.")
    missing = [claim for claim in _REQUIRED_CLAIMS if not claims.get(claim)]
    if "scope" in missing:
        raise TokenError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    if missing:
        raise TokenError("invalid_grant", f"Invalid JWT: missing claim {missing[0]}.")
    if claims["aud"] not in AUDIENCES:
        raise TokenError("invalid_grant", "Invalid JWT: Failed audience check.")
    now = time.time() if now is None else now
    if not (claims["iat"] - 300 <= now < claims["exp"] and claims["exp"] - claims["iat"] <= 3600):
        raise TokenError(
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token "
            "(60 minutes) and in a reasonable timeframe. Check your iat and exp "
            "values in the JWT claim.",
        )
    return Grant(
        token="ya29.fake-" + secrets.token_urlsafe(24),
        scopes=tuple(str(claims["scope"]).split()),
        client_email=str(claims["iss"]),
        expires_at=now + TOKEN_LIFETIME,
    )


def token_response(grant: Grant) -> dict[str, Any]:
    """What the token endpoint answers for ``grant``."""
    return {"access_token": grant.token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}


def bearer(headers: Mapping[str, str], query: Mapping[str, list[str]]) -> str | None:
    """The access token from ``Authorization: Bearer`` or the ``access_token`` parameter."""
    header = headers.get("Authorization") or ""
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    for name in ("access_token", "oauth_token"):
        if query.get(name):
            return query[name][0]
    return None


def authenticate(token: str | None, grants: Mapping[str, Grant], now: float | None = None) -> Grant:
    """The live grant for ``token``; Google's 401 UNAUTHENTICATED otherwise."""
    challenge = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
    if not token:
        raise ApiError(401, _MISSING, headers=challenge)
    grant = grants.get(token)
    if grant is None or grant.expires_at <= (time.time() if now is None else now):
        raise ApiError(401, _INVALID, headers=challenge)
    return grant


def authorize(grant: Grant, method_scopes: tuple[str, ...]) -> None:
    """Google's 403 when the token's scopes cover none of the method's scopes."""
    if method_scopes and not set(method_scopes) & set(grant.scopes):
        info = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "domain": "googleapis.com",
            "metadata": {"service": "sheets.googleapis.com"},
        }
        raise ApiError(403, "Request had insufficient authentication scopes.", details=[info])
