"""Wiring: settings in, adapters built, one cycle run. The library face of the CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sheetsync.billing.stripe_billing import StripeBilling
from sheetsync.config import Settings
from sheetsync.engine import run_cycle
from sheetsync.lease import new_holder
from sheetsync.lock import spreadsheet_lock
from sheetsync.options import CycleOptions
from sheetsync.parse import Defaults
from sheetsync.report import CycleReport
from sheetsync.sheets import Spreadsheet
from sheetsync.sheets.google import GoogleSheet
from sheetsync.sheets.workbook import LocalWorkbook


def open_sheet(settings: Settings) -> Spreadsheet:
    """The spreadsheet adapter the settings ask for.

    :raises ConfigError: when the spreadsheet or its key cannot be used.
    """
    if settings.spreadsheet.lower().endswith(".xlsx"):
        return LocalWorkbook(
            Path(settings.spreadsheet), settings.worksheet, settings.line_items_worksheet
        )
    return GoogleSheet(
        settings.spreadsheet,
        settings.worksheet,
        settings.service_account_file,
        settings.sheets_api_base,
        settings.retry,
        settings.line_items_worksheet,
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
        requests_per_second=settings.stripe_requests_per_second,
    )


def cycle_options(settings: Settings) -> CycleOptions:
    """What a cycle needs from the settings."""
    return CycleOptions(
        zone=settings.zone,
        defaults=Defaults(
            currency=settings.default_currency,
            mode=settings.default_mode,
            payment_terms_days=settings.payment_terms_days,
            prices_include_tax=settings.prices_include_tax,
        ),
        renames=settings.columns,
        number_pattern=settings.invoice_number_pattern,
    )


def run_once(
    settings: Settings,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    stop: Callable[[], bool] = lambda: False,
    sheet: Spreadsheet | None = None,
    holder: str | None = None,
) -> CycleReport:
    """One cycle against the configured spreadsheet and Stripe account.

    A real cycle holds the spreadsheet's lock on this machine, and bills drafts
    under the spreadsheet's billing lease as `holder` (a new name per run unless
    given); a dry run reads only. `sheet` lets a long-lived caller (the daemon)
    keep one adapter across cycles.

    :raises SheetsyncError: when something stops the cycle.
    """
    sheet = sheet or open_sheet(settings)
    billing = open_billing(settings, sheet.key)
    options = cycle_options(settings)
    if dry_run:
        return run_cycle(sheet, billing, options, now or datetime.now(UTC), dry_run=True)
    with spreadsheet_lock(sheet.key, settings.lock_dir, settings.lock_timeout):
        moment = now or datetime.now(UTC)
        return run_cycle(sheet, billing, options, moment, holder=holder or new_holder(), stop=stop)
