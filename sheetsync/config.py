"""Settings: environment, `.env`, or a TOML file; the environment wins.

Secrets are SecretStr, so they print as '**********'. A missing or invalid
setting becomes one ConfigError line that names the variable and the fix; an
unknown key in the TOML file is an error naming the closest setting, and an
unknown SHEETSYNC_ variable is a warning (`unknown_variables`).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sheetsync import money
from sheetsync.errors import ConfigError
from sheetsync.model import Column, Mode
from sheetsync.numbering import DEFAULT_PATTERN, check_pattern
from sheetsync.retry import RetryPolicy

_SHEET_URL = re.compile(r"/spreadsheets/d/([a-zA-Z0-9_-]+)")

HINTS = {
    "spreadsheet": "the Google spreadsheet ID or URL (share the sheet with the service account), "
    "or the path of an .xlsx workbook",
    "stripe_api_key": "a Stripe secret or restricted key; start with a test key (sk_test_…)",
    "service_account_file": "the path of the service account's JSON key",
    "timezone": "an IANA time zone such as Europe/Berlin",
    "default_currency": "an ISO 4217 code Stripe accepts, such as USD",
    "default_mode": "invoice or payment_link",
    "invoice_number_pattern": "a pattern like INV-{year}-{seq:04}, or empty for Stripe's numbers",
    "columns": 'a table of column names to your headers, such as unit_price = "Rate"',
}
OTHER_VARIABLES = frozenset({"SHEETSYNC_CONFIG"})
"""SHEETSYNC_ variables that are not settings but are read elsewhere (the CLI)."""


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names, *(n.lower() for n in names))


class Settings(BaseSettings):
    """Everything sheetsync can be told (DESIGN.md: Interfaces)."""

    model_config = SettingsConfigDict(
        env_prefix="SHEETSYNC_", env_file=".env", extra="ignore", populate_by_name=True
    )

    spreadsheet: str
    worksheet: str = "Invoices"
    service_account_file: Path = Field(
        Path("service-account.json"),
        validation_alias=_env("SHEETSYNC_SERVICE_ACCOUNT_FILE", "GOOGLE_APPLICATION_CREDENTIALS"),
    )
    sheets_api_base: str = "https://sheets.googleapis.com"
    stripe_api_key: SecretStr = Field(
        validation_alias=_env("SHEETSYNC_STRIPE_API_KEY", "STRIPE_API_KEY", "STRIPE_SECRET_KEY")
    )
    stripe_api_base: str = "https://api.stripe.com"
    timezone: str = "UTC"
    default_currency: str = "USD"
    payment_terms_days: int = Field(30, ge=0, le=3650)
    default_mode: Mode = Mode.INVOICE
    send_invoices: bool = False
    prices_include_tax: bool = False
    poll_interval: int = Field(300, ge=10)
    columns: dict[str, str] = Field(default_factory=dict)
    line_items_worksheet: str = "Line Items"
    invoice_number_pattern: str = DEFAULT_PATTERN
    retry_attempts: int = Field(5, ge=1, le=20)
    retry_budget_seconds: float = Field(60.0, ge=0, le=3600)
    retry_base_delay: float = Field(0.5, ge=0, le=60)
    stripe_requests_per_second: float | None = Field(None, ge=0)
    lock_dir: Path | None = None
    lock_timeout: float = Field(60.0, ge=0)

    @field_validator("spreadsheet")
    @classmethod
    def _spreadsheet_id(cls, value: str) -> str:
        value = value.strip()
        match = _SHEET_URL.search(value)
        value = match[1] if match else value
        if not value:
            raise ValueError("is empty")
        if not value.lower().endswith(".xlsx") and _garbled(value):
            raise ValueError(
                "contains a space, a line break or a non-ASCII character, "
                "which no Google spreadsheet ID has"
            )
        return value

    @field_validator("stripe_api_key")
    @classmethod
    def _stripe_key(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value().strip()  # a key pasted from a file ends in a newline
        if _garbled(key):  # the message never shows the key
            raise ValueError(
                "contains a space, a line break or a non-ASCII character inside it "
                "(copy it again from the Stripe dashboard)"
            )
        if not key.startswith(("sk_", "rk_")):
            raise ValueError("does not look like a Stripe secret (sk_…) or restricted (rk_…) key")
        return SecretStr(key)

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        known = [c.value for c in Column]
        for name in value:
            if name not in known:
                raise ValueError(f'has unknown column "{name}"{_did_you_mean(name, known)}')
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone") from None
        return value

    @field_validator("invoice_number_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return check_pattern(value) if value else value

    @field_validator("default_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not money.is_supported(value):
            raise ValueError(f"{value!r} is not a currency Stripe accepts")
        return value.upper()

    @property
    def retry(self) -> RetryPolicy:
        """How hard to retry a failed request to either API."""
        return RetryPolicy(
            attempts=self.retry_attempts,
            base_delay=self.retry_base_delay,
            budget=self.retry_budget_seconds,
        )

    @property
    def zone(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment first, then `.env`, then the TOML file (passed as init values)."""
        return env_settings, dotenv_settings, init_settings, file_secret_settings


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, `.env` and the TOML file `config`.

    :raises ConfigError: naming the first missing or invalid setting, or a key of
        the TOML file that is no setting.
    """
    values = _read_toml(config) if config is not None else {}
    try:
        return Settings(**{**values, **overrides})
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None


def _read_toml(config: Path) -> dict[str, Any]:
    try:
        values = tomllib.loads(config.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {config}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {config} is not valid TOML: {exc}") from None
    section = values.get("sheetsync")
    values = section if isinstance(section, dict) else values
    known = _file_names()
    for key in values:
        if key not in known:
            hint = _did_you_mean(key, Settings.model_fields) or (
                ": remove it (config/sheetsync.example.toml lists every setting)"
            )
            raise ConfigError(f'unknown setting "{key}" in {config}{hint}')
    return values


def _file_names() -> set[str]:
    """Every name a setting answers to in the TOML file: its own and its aliases."""
    names = set(Settings.model_fields)
    for info in Settings.model_fields.values():
        if isinstance(info.validation_alias, AliasChoices):
            names |= {c.lower() for c in info.validation_alias.choices if isinstance(c, str)}
    return names


def unknown_variables(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> list[str]:
    """One warning per SHEETSYNC_ variable (in the environment or `.env`) that no
    setting reads: a typo there would otherwise be ignored without a word."""
    names = set(os.environ if environ is None else environ)
    if env_file is not None and env_file.is_file():
        try:
            names |= set(dotenv_values(env_file))
        except OSError:  # unreadable: loading the settings says so
            pass
    known = {n for n in _variable_names() if n.startswith("SHEETSYNC_")} | OTHER_VARIABLES
    return [
        f"{name} is not a sheetsync setting and is ignored{_did_you_mean(name, known)}"
        for name in sorted(names)
        if name.upper().startswith("SHEETSYNC_") and name.upper() not in known
    ]


def _variable_names() -> set[str]:
    """The environment variables the settings read: SHEETSYNC_<NAME>, or the aliases."""
    names: set[str] = set()
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {c.upper() for c in alias.choices if isinstance(c, str)}
        else:
            names.add(f"SHEETSYNC_{field.upper()}")
    return names


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    choices = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(choices), n=1, cutoff=0.6)
    return f': did you mean "{choices[close[0]]}"?' if close else ""


def _garbled(text: str) -> bool:
    """Whether text has whitespace, control or non-ASCII characters inside it."""
    return not text.isascii() or not text.isprintable() or any(c.isspace() for c in text)


def describe(exc: ValidationError) -> str:
    """One line for the first problem, never echoing a secret's value."""
    error = exc.errors()[0]
    field = (str(error["loc"][0]) if error["loc"] else "?").lower().removeprefix("sheetsync_")
    variable = f"SHEETSYNC_{field.upper()}"
    hint = HINTS.get(field, "see config/sheetsync.example.toml")
    if error["type"] == "missing":
        return f"{variable} is not set: set it to {hint} (environment, .env or --config file)"
    reason = str(error["msg"]).removeprefix("Value error, ")
    return f"{variable} {reason}: set it to {hint}"
