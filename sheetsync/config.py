"""Settings: environment, `.env`, or a TOML file; the environment wins.

Secrets are SecretStr, so they print as '**********'. A missing or invalid
setting becomes one ConfigError line that names the variable and the fix.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sheetsync import money
from sheetsync.errors import ConfigError
from sheetsync.model import Mode
from sheetsync.numbering import DEFAULT_PATTERN, check_pattern
from sheetsync.retry import RetryPolicy

_SHEET_URL = re.compile(r"/spreadsheets/d/([a-zA-Z0-9_-]+)")

HINTS = {
    "spreadsheet": "the Google spreadsheet ID or URL (share the sheet with the service account)",
    "stripe_api_key": "a Stripe secret or restricted key; start with a test key (sk_test_…)",
    "service_account_file": "the path of the service account's JSON key",
    "timezone": "an IANA time zone such as Europe/Berlin",
    "default_currency": "an ISO 4217 code Stripe accepts, such as USD",
    "default_mode": "invoice or payment_link",
    "invoice_number_pattern": "a pattern like INV-{year}-{seq:04}, or empty for Stripe's numbers",
}


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
        match = _SHEET_URL.search(value)
        value = match[1] if match else value.strip()
        if not value:
            raise ValueError("is empty")
        return value

    @field_validator("stripe_api_key")
    @classmethod
    def _stripe_key(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("sk_", "rk_")):
            raise ValueError("does not look like a Stripe secret (sk_…) or restricted (rk_…) key")
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

    :raises ConfigError: naming the first missing or invalid setting.
    """
    values: dict[str, Any] = {}
    if config is not None:
        try:
            values = tomllib.loads(config.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {config}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {config} is not valid TOML: {exc}") from None
        values = values.get("sheetsync", values)
    try:
        return Settings(**{**values, **overrides})
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None


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
