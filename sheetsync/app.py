"""Wiring: settings in, adapters built, one cycle run. The library face of the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

from sheetsync.billing.stripe_billing import StripeBilling
from sheetsync.config import Settings
from sheetsync.engine import CycleOptions, run_cycle
from sheetsync.errors import ConfigError
from sheetsync.parse import Defaults
from sheetsync.report import CycleReport
from sheetsync.sheets import Spreadsheet
from sheetsync.sheets.google import GoogleSheet


def open_sheet(settings: Settings) -> Spreadsheet:
    """The spreadsheet adapter the settings ask for.

    :raises ConfigError: when the spreadsheet or its key cannot be used.
    """
    if settings.spreadsheet.lower().endswith(".xlsx"):
        raise ConfigError(
            "SHEETSYNC_SPREADSHEET names a local .xlsx workbook, which this version cannot "
            "open yet: give a Google spreadsheet ID or URL"
        )
    return GoogleSheet(
        settings.spreadsheet,
        settings.worksheet,
        settings.service_account_file,
        settings.sheets_api_base,
        settings.retry,
    )


def open_billing(settings: Settings, spreadsheet_key: str) -> StripeBilling:
    """The Stripe adapter for these settings."""
    return StripeBilling(
        settings.stripe_api_key.get_secret_value(),
        spreadsheet_key,
        api_base=settings.stripe_api_base,
        send_invoices=settings.send_invoices,
        prices_include_tax=settings.prices_include_tax,
        retry=settings.retry,
    )


def cycle_options(settings: Settings) -> CycleOptions:
    """What a cycle needs from the settings."""
    return CycleOptions(
        zone=settings.zone,
        defaults=Defaults(
            currency=settings.default_currency,
            mode=settings.default_mode,
            payment_terms_days=settings.payment_terms_days,
        ),
        renames=settings.columns,
    )


def run_once(
    settings: Settings, *, now: datetime | None = None, dry_run: bool = False
) -> CycleReport:
    """One cycle against the configured spreadsheet and Stripe account.

    :raises SheetsyncError: when something stops the cycle.
    """
    sheet = open_sheet(settings)
    billing = open_billing(settings, sheet.key)
    return run_cycle(
        sheet, billing, cycle_options(settings), now or datetime.now(UTC), dry_run=dry_run
    )
