"""Cells to typed rows: header matching and draft validation.

Pure: the caller passes `today` and the defaults. Every problem with a row
becomes a sentence a person can act on; nothing here raises for bad cells.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sheetsync import money
from sheetsync.errors import SheetError
from sheetsync.headers import HeaderMatch, match_header, missing_message
from sheetsync.model import (
    OWNED_COLUMNS,
    REQUIRED_COLUMNS,
    Cell,
    Column,
    Draft,
    Line,
    Mode,
    Row,
    Table,
)

SERIAL_EPOCH = date(1899, 12, 30)
_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]{2,}$")
MAX_INVOICE_LINES = 250
MAX_LINK_LINES = 20
MAX_DESCRIPTION = 5000  # Stripe's maxLength for these strings
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


@dataclass(frozen=True)
class Defaults:
    """What empty cells mean, from the configuration."""

    currency: str = "USD"
    mode: Mode = Mode.INVOICE
    payment_terms_days: int = 30
    prices_include_tax: bool = False


def read_table(grid: Sequence[Sequence[Cell]], renames: Mapping[str, str] | None = None) -> Table:
    """Match the header row and key every data row's cells by column.

    :raises SheetError: when the header lacks a column no row can do without.
    """
    header, found = _columns(grid, renames)
    columns = found.columns
    absent = [c for c in REQUIRED_COLUMNS if c not in columns]
    if absent:
        raise SheetError(missing_message(absent, header, renames))
    missing = tuple(c for c in OWNED_COLUMNS if c not in columns)
    rows = _rows(grid, columns)
    return Table(header=header, columns=columns, rows=rows, missing=missing, notes=found.notes)


def read_line_items(
    grid: Sequence[Sequence[Cell]], renames: Mapping[str, str] | None = None
) -> dict[str, list[Row]]:
    """The Line Items worksheet's rows, grouped by their Invoice #.

    :raises SheetError: when the tab has rows but no Invoice # column.
    """
    if len(grid) < 2:
        return {}
    columns = _columns(grid, renames)[1].columns
    if Column.INVOICE_NUMBER not in columns:
        raise SheetError("the Line Items worksheet has no Invoice # column in its header row")
    lines: dict[str, list[Row]] = {}
    for row in _rows(grid, columns):
        number = invoice_number(row.cells.get(Column.INVOICE_NUMBER))
        if number:
            lines.setdefault(number.casefold(), []).append(row)
    return lines


def _columns(
    grid: Sequence[Sequence[Cell]], renames: Mapping[str, str] | None
) -> tuple[list[str], HeaderMatch]:
    header = [str(c).strip() if c is not None else "" for c in (grid[0] if grid else [])]
    return header, match_header(header, renames)


def _rows(grid: Sequence[Sequence[Cell]], columns: Mapping[Column, int]) -> list[Row]:
    return [
        Row(number=i + 2, cells={col: _cell(line, idx) for col, idx in columns.items()})
        for i, line in enumerate(grid[1:])
        if any(c not in (None, "") for c in line)
    ]


def _cell(line: Sequence[Cell], index: int) -> Cell:
    return line[index] if index < len(line) else None


def parse_draft(
    row: Row, defaults: Defaults, today: date, line_rows: Sequence[Row] = ()
) -> Draft | list[str]:
    """Validate a `draft` row: a Draft to bill, or the reasons it cannot be billed.

    `line_rows` are the Line Items rows of the row's Invoice #; without them the
    row's own Description and Unit Price are its single line.
    """
    errors: list[str] = []
    email = row.text(Column.CUSTOMER_EMAIL)
    if not email:
        errors.append("Customer Email is empty")
    elif not _EMAIL.match(email) or len(email) > 512:
        errors.append(f'Customer Email "{email}" is not an email address')
    currency = (row.text(Column.CURRENCY) or defaults.currency).upper()
    if not money.is_supported(currency):
        errors.append(f'Currency "{currency}" is not one Stripe accepts; use an ISO code like USD')
        currency = ""
    mode = _mode(row, defaults, errors)
    lines = _lines(row, line_rows, currency, mode, errors)
    due = _due_date(row, defaults, today, errors)
    if errors or not lines or due is None or mode is None:
        return errors
    draft = Draft(
        customer_email=email,
        customer_name=row.text(Column.CUSTOMER_NAME),
        currency=currency,
        lines=lines,
        due_date=due,
        mode=mode,
        invoice_number=invoice_number(row.cells.get(Column.INVOICE_NUMBER)),
        memo=row.text(Column.MEMO),
    )
    problem = _total_problem(draft, defaults.prices_include_tax)
    return [problem] if problem else draft


def _total_problem(draft: Draft, prices_include_tax: bool) -> str:
    """Stripe's limits on the invoice's total, as Stripe will compute it ('' within them)."""
    total = billed_total(draft, prices_include_tax)
    shown = money.from_minor(total, draft.currency)
    too_much = money.above_maximum(shown, draft.currency, "Total", "one invoice")
    return too_much or money.below_minimum(total, draft.currency)


def _lines(
    row: Row, line_rows: Sequence[Row], currency: str, mode: Mode | None, errors: list[str]
) -> tuple[Line, ...]:
    if not line_rows:
        default = "" if row.text(Column.CURRENCY) else " (the default when Currency is empty)"
        line = _line(row, currency, errors, said=f"the row's Currency is {currency}{default}")
        return (line,) if line else ()
    limit = MAX_LINK_LINES if mode is Mode.PAYMENT_LINK else MAX_INVOICE_LINES
    if len(line_rows) > limit:
        kind = "a payment link" if mode is Mode.PAYMENT_LINK else "an invoice"
        errors.append(f"{len(line_rows)} Line Items rows; {kind} takes at most {limit}")
        return ()
    said = f"the invoice's Currency is {currency}"
    found = [_line(r, currency, errors, f"Line Items row {r.number}: ", said) for r in line_rows]
    return tuple(ln for ln in found if ln) if all(found) else ()


def _line(
    row: Row, currency: str, errors: list[str], where: str = "", said: str = ""
) -> Line | None:
    problems: list[str] = []
    description = row.text(Column.DESCRIPTION)
    if not description:
        problems.append("Description is empty")
    elif len(description) > MAX_DESCRIPTION:
        problems.append(
            f"Description is {len(description)} characters; Stripe takes at most {MAX_DESCRIPTION}"
        )
    line_currency = row.text(Column.CURRENCY).upper() if where else ""
    if line_currency and currency and line_currency != currency:
        problems.append(f"Currency {line_currency} differs from the invoice's {currency}")
    quantity = _quantity(row.cells.get(Column.QUANTITY), problems)
    price = _unit_price(row.cells.get(Column.UNIT_PRICE), currency, problems, said)
    tax = tax_rate(row.cells.get(Column.TAX_RATE), problems)
    if quantity is not None and price is not None and currency:
        _check_line_amount(quantity, price, currency, problems)
    errors += [where + p for p in problems]
    if problems or not description or quantity is None or price is None or tax is False:
        return None
    return Line(description, quantity, price, tax if isinstance(tax, Decimal) else None)


def _number(value: Cell, column: str, errors: list[str], currency: str = "") -> money.Typed | None:
    """A Quantity or Unit Price cell read as people type numbers (None and an error if not)."""
    try:
        read = money.read_number(value)
    except ValueError as exc:
        errors.append(f"{column} {exc}")
        return None
    if read.ambiguity(currency):
        errors.append(f"{column} {read.ambiguity(currency)}")
        return None
    return read


def _quantity(value: Cell, errors: list[str]) -> Decimal | None:
    if value in (None, ""):
        return Decimal(1)
    read = _number(value, "Quantity", errors)
    if read is None:
        return None
    if read.mark:
        errors.append(f'Quantity "{value}" has a currency mark; type the number alone')
        return None
    if read.amount <= 0:
        errors.append(f"Quantity must be more than 0 (got {read.amount})")
        return None
    if read.amount.as_tuple().exponent < -12:  # type: ignore[operator]
        errors.append("Quantity has more than 12 decimals")
        return None
    return read.amount


def _unit_price(value: Cell, currency: str, errors: list[str], said: str) -> Decimal | None:
    if value in (None, ""):
        errors.append("Unit Price is empty")
        return None
    read = _number(value, "Unit Price", errors, currency)
    if read is None:
        return None
    price = read.amount
    if currency and not read.agrees(currency):
        errors.append(f'Unit Price "{value}" is {read.named()} but {said}')
        return None
    if price <= 0:
        errors.append(f"Unit Price must be more than 0 (got {price})")
        return None
    if currency:
        problem = money.above_maximum(price, currency, "Unit Price", "one price")
        try:
            money.to_minor(price, currency)
        except ValueError as exc:
            problem = problem or f"Unit Price {price}: {exc}"
        if problem:
            errors.append(problem)
            return None
    return price


def _check_line_amount(quantity: Decimal, price: Decimal, currency: str, errors: list[str]) -> None:
    """Refuse a line whose amount Stripe cannot take: over its maximum, or not chargeable."""
    if quantity > money.maximum(currency):  # each unit is at least one minor unit
        most = money.format_amount(money.from_minor(money.maximum(currency), currency), currency)
        errors.append(f"Quantity × Unit Price is above Stripe's maximum of {most} for one line")
        return
    minor = money.line_minor(quantity, price, currency)
    amount = money.from_minor(minor, currency)
    problem = money.above_maximum(amount, currency, "Quantity × Unit Price", "one line")
    refused = money.unchargeable(minor, currency)
    if problem or refused:
        errors.append(problem or f"Quantity × Unit Price {refused}")


def billed_total(draft: Draft, prices_include_tax: bool = False) -> int:
    """The invoice's total in minor units, rounded per line as Stripe computes it."""
    total = 0
    for line in draft.lines:
        amount = money.line_minor(line.quantity, line.unit_price, draft.currency)
        total += amount
        if line.tax_rate and not prices_include_tax:
            total += money.line_tax_minor(amount, line.tax_rate)
    return total


def tax_rate(value: Cell, errors: list[str]) -> Decimal | None | bool:
    """A Tax Rate cell as percent; None when empty, False (and an error) when bad."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    as_text = isinstance(value, str)
    try:
        rate = Decimal(text.removesuffix("%").strip())
    except InvalidOperation:
        errors.append(f'Tax Rate "{value}" is not a percentage')
        return False
    if not rate.is_finite() or rate < 0 or rate > 100:
        errors.append(f"Tax Rate must be between 0 and 100 percent (got {value})")
        return False
    if not as_text and 0 < rate < 1:
        # A cell formatted as a percentage reads back as a fraction (8% → 0.08).
        errors.append(
            f"Tax Rate {value} is ambiguous: type the percent as a number (8 for 8%) "
            "or as text with a % sign (0.5%)"
        )
        return False
    return rate.normalize() if rate else Decimal(0)


def _due_date(row: Row, defaults: Defaults, today: date, errors: list[str]) -> date | None:
    value = row.cells.get(Column.DUE_DATE)
    if value in (None, ""):
        return today + timedelta(days=defaults.payment_terms_days)
    due = parse_date(value)
    if due is None:
        errors.append(f'Due Date "{value}" is not a date; use YYYY-MM-DD')
    elif due < today:
        errors.append(
            f"Due Date {due.isoformat()} is in the past; set a later date or leave it empty "
            f"for {defaults.payment_terms_days} days"
        )
        return None
    return due


def parse_date(value: Cell) -> date | None:
    """A date from a serial number (days since 1899-12-30) or an ISO string."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        if not Decimal(value).is_finite() or not 0 < value < 2958466:  # 9999-12-31
            return None
        return SERIAL_EPOCH + timedelta(days=int(value))
    match = _ISO_DATE.match(value.strip()[:10]) if len(value.strip()) in (8, 9, 10) else None
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _mode(row: Row, defaults: Defaults, errors: list[str]) -> Mode | None:
    text = re.sub(r"[\s-]+", "_", row.text(Column.MODE).casefold())
    if not text:
        return defaults.mode
    try:
        return Mode(text)
    except ValueError:
        errors.append(f'Mode "{row.text(Column.MODE)}" is unknown; use invoice or payment_link')
        return None


def invoice_number(value: Cell) -> str:
    """An Invoice # cell as text (a whole number typed as a number loses its .0)."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        # str(int(…)) of a number with thousands of digits is refused by Python itself.
        return str(int(value)) if value.adjusted() < 100 else str(value)
    return "" if value is None else str(value).strip()
