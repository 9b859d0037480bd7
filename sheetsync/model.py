"""Value objects: statuses, modes, columns, and the typed rows of the sheet.

Pure: no I/O, no clock, no environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

Cell: TypeAlias = str | int | Decimal | bool | None
"""A cell as the adapters hand it over: numbers are exact Decimals or ints."""


class Status(StrEnum):
    """The Status column's values (DESIGN.md: Status)."""

    DRAFT = "draft"
    PROCESSING = "processing"
    SENT = "sent"
    PAID = "paid"
    OVERDUE = "overdue"
    FAILED = "failed"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"
    REFUNDED = "refunded"
    ERROR = "error"


OPEN_STATUSES = frozenset({Status.SENT, Status.OVERDUE, Status.FAILED})
"""Rows whose Stripe object may still change by itself, so they are polled."""


def unknown_status(status: str) -> bool:
    """Whether a Status cell (lower-cased) holds something that is no status: a typo."""
    return bool(status) and status not in _STATUS_VALUES


_STATUS_VALUES = frozenset(s.value for s in Status)


class Mode(StrEnum):
    """How a row is billed."""

    INVOICE = "invoice"
    PAYMENT_LINK = "payment_link"


class Column(StrEnum):
    """Every column sheetsync knows, by the key used in code."""

    STATUS = "status"
    CUSTOMER_EMAIL = "customer_email"
    CUSTOMER_NAME = "customer_name"
    DESCRIPTION = "description"
    QUANTITY = "quantity"
    UNIT_PRICE = "unit_price"
    CURRENCY = "currency"
    TAX_RATE = "tax_rate"
    DUE_DATE = "due_date"
    MODE = "mode"
    INVOICE_NUMBER = "invoice_number"
    MEMO = "memo"
    SYNC_ID = "sync_id"
    STRIPE_ID = "stripe_id"
    PAYMENT_URL = "payment_url"
    PDF_URL = "pdf_url"
    TOTAL = "total"
    AMOUNT_PAID = "amount_paid"
    REMAINING = "remaining"
    REFUNDED = "refunded"
    PAID_AT = "paid_at"
    LAST_SYNCED = "last_synced"
    ERROR = "error"


HEADERS: dict[Column, str] = {
    Column.STATUS: "Status",
    Column.CUSTOMER_EMAIL: "Customer Email",
    Column.CUSTOMER_NAME: "Customer Name",
    Column.DESCRIPTION: "Description",
    Column.QUANTITY: "Quantity",
    Column.UNIT_PRICE: "Unit Price",
    Column.CURRENCY: "Currency",
    Column.TAX_RATE: "Tax Rate",
    Column.DUE_DATE: "Due Date",
    Column.MODE: "Mode",
    Column.INVOICE_NUMBER: "Invoice #",
    Column.MEMO: "Memo",
    Column.SYNC_ID: "Sync ID",
    Column.STRIPE_ID: "Stripe ID",
    Column.PAYMENT_URL: "Payment URL",
    Column.PDF_URL: "PDF URL",
    Column.TOTAL: "Total",
    Column.AMOUNT_PAID: "Amount Paid",
    Column.REMAINING: "Remaining",
    Column.REFUNDED: "Refunded",
    Column.PAID_AT: "Paid At",
    Column.LAST_SYNCED: "Last Synced",
    Column.ERROR: "Error",
}
"""The header each column has unless the configuration renames it."""

HEADER_ALIASES: dict[Column, tuple[str, ...]] = {
    Column.CUSTOMER_EMAIL: ("Email", "E-mail", "Client Email"),
    Column.CUSTOMER_NAME: ("Name", "Client", "Customer", "Client Name"),
    Column.DESCRIPTION: ("Item", "Service", "Details"),
    Column.QUANTITY: ("Qty", "Units", "Hours"),
    Column.UNIT_PRICE: ("Price", "Rate", "Amount", "Unit Cost"),
    Column.CURRENCY: ("Cur", "Ccy"),
    Column.TAX_RATE: ("Tax", "VAT", "Tax %"),
    Column.DUE_DATE: ("Due", "Due On"),
    Column.INVOICE_NUMBER: ("Invoice", "Invoice No", "Invoice Number", "Number", "Inv #"),
}
"""Other headers people give a column they fill in; its own header and a
configured rename win over these. Memo has none: it is shown to customers, and
a column called Notes is as likely to be notes for oneself."""

PERSON_COLUMNS = (
    Column.STATUS,
    Column.CUSTOMER_EMAIL,
    Column.CUSTOMER_NAME,
    Column.DESCRIPTION,
    Column.QUANTITY,
    Column.UNIT_PRICE,
    Column.CURRENCY,
    Column.TAX_RATE,
    Column.DUE_DATE,
    Column.MODE,
    Column.INVOICE_NUMBER,
    Column.MEMO,
)
"""Columns people fill in, in the order a new sheet shows them."""

OWNED_COLUMNS = (
    Column.SYNC_ID,
    Column.STRIPE_ID,
    Column.PAYMENT_URL,
    Column.PDF_URL,
    Column.TOTAL,
    Column.AMOUNT_PAID,
    Column.REMAINING,
    Column.REFUNDED,
    Column.PAID_AT,
    Column.LAST_SYNCED,
    Column.ERROR,
)
"""Columns sheetsync writes; added at the right of the header when missing."""

INPUT_COLUMNS = frozenset(Column) - frozenset(OWNED_COLUMNS) - {Column.STATUS}
"""Columns people fill in to describe an invoice."""

REQUIRED_COLUMNS = (Column.STATUS, Column.CUSTOMER_EMAIL)
"""Columns without which no row can be billed."""

WRITABLE_COLUMNS = frozenset(OWNED_COLUMNS) | {Column.STATUS, Column.INVOICE_NUMBER}
"""The only columns a write may touch (Invoice # only when sheetsync generated it)."""


UNCALCULATED = "not calculated: "
"""How an adapter shows a formula whose value it cannot know (a workbook openpyxl saved
keeps formulas but not their results): the prefix, then the formula. Such a cell is
unknown: never billed from, never taken as "changed after billing"."""


def header_key(text: str) -> str:
    """Normalise a header for matching: case, spaces and underscores ignored."""
    return re.sub(r"[\s_]+", "", text).casefold()


@dataclass(frozen=True)
class Row:
    """One data row as read, its cells keyed by the columns sheetsync knows."""

    number: int
    cells: dict[Column, Cell]

    def text(self, column: Column) -> str:
        """The cell as trimmed text ('' when empty)."""
        value = self.cells.get(column)
        if value is None or isinstance(value, bool):
            return "" if value is None else str(value).upper()
        return str(value).strip()

    @property
    def status(self) -> str:
        """The Status cell, lower-cased."""
        return self.text(Column.STATUS).casefold()

    @property
    def sync_id(self) -> str:
        """The Sync ID cell ('' when the row has none yet)."""
        return self.text(Column.SYNC_ID)

    @property
    def stripe_id(self) -> str:
        """The Stripe ID cell ('' when the row is not billed)."""
        return self.text(Column.STRIPE_ID)


@dataclass(frozen=True)
class Line:
    """One line of an invoice, in major units of its invoice's currency."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal | None = None


@dataclass(frozen=True)
class Draft:
    """A row that passed validation and may be billed."""

    customer_email: str
    customer_name: str
    currency: str
    lines: tuple[Line, ...]
    due_date: date
    mode: Mode
    invoice_number: str = ""
    memo: str = ""

    @property
    def subtotal(self) -> Decimal:
        """Sum of quantity × unit price, before tax, unrounded."""
        return sum((ln.quantity * ln.unit_price for ln in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        """The subtotal plus exclusive tax, unrounded (an estimate; Stripe's total is the truth)."""
        return sum(
            (
                ln.quantity * ln.unit_price * (1 + (ln.tax_rate or Decimal(0)) / 100)
                for ln in self.lines
            ),
            Decimal(0),
        )


@dataclass(frozen=True)
class Table:
    """The invoices worksheet as read: header positions and data rows."""

    header: list[str]
    columns: dict[Column, int]
    rows: list[Row] = field(default_factory=list)
    missing: tuple[Column, ...] = ()
    line_items: dict[str, list[Row]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    """How the header was read, one line each: an alias taken ("Qty → Quantity"),
    a header that looks like a column but is not read."""
