"""The exceptions sheetsync raises on purpose.

::

    SheetsyncError            anything the CLI reports as one plain line
    ├── ConfigError           a setting is missing or wrong
    ├── SheetError            the spreadsheet could not be read or written
    ├── BillingError          Stripe refused or could not be reached
    ├── RowError              one row cannot be billed; it knows its row
    └── Interrupted           a signal stopped the cycle after it wrote what it knew

Adapters translate vendor exceptions into these at the edge; anything else
that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations


class SheetsyncError(Exception):
    """Base of every error sheetsync reports to a person."""


class ConfigError(SheetsyncError):
    """A setting is missing or invalid."""


class SheetError(SheetsyncError):
    """The spreadsheet could not be read or written."""


class BillingError(SheetsyncError):
    """Stripe refused a request or could not be reached."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class RowError(SheetsyncError):
    """A single row cannot be billed as it stands."""

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


class Interrupted(SheetsyncError):
    """A signal asked the cycle to stop; what was done is written."""
