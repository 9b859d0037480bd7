"""Cell values of the fake Sheets server: formulas, dates, input parsing and rendering.

A stored cell is ``str | int | float | bool | Formula | SheetDate | None`` (``None`` is empty).
Rendering follows the Sheets API render options; parsing follows ``valueInputOption``.
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

EPOCH = dt.datetime(1899, 12, 30)
_NUMBER = re.compile(r"^([+-]?)(\$?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(e[+-]?\d+)?(%?)$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ARITHMETIC: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula. FORMULA reads return ``text``; other reads return ``value``."""

    text: str
    value: Any


@dataclass(frozen=True)
class SheetDate:
    """A date-formatted number: ``serial`` days since 1899-12-30 (fraction = time of day)."""

    serial: float

    @classmethod
    def from_date(cls, day: dt.date) -> SheetDate:
        """Build from a ``date`` or ``datetime`` (naive, wall-clock time)."""
        moment = day if isinstance(day, dt.datetime) else dt.datetime.combine(day, dt.time())
        delta = moment - EPOCH
        return cls(delta.days + delta.seconds / 86400)

    def to_datetime(self) -> dt.datetime:
        """The wall-clock moment this serial stands for."""
        return EPOCH + dt.timedelta(days=self.serial)

    def formatted(self) -> str:
        """``2026-11-21``, or ``2026-11-21 13:30:00`` when there is a time of day."""
        moment = self.to_datetime()
        if float(self.serial).is_integer():
            return moment.strftime("%Y-%m-%d")
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    def number(self) -> int | float:
        """The serial as JSON would carry it (an int when whole)."""
        return int(self.serial) if float(self.serial).is_integer() else self.serial


class ShownNumber(float):
    """A number typed with grouping, currency or percent (``1,234.50``) that displays as typed.

    It compares equal to the plain float, so tests can assert on the value.
    """

    shown: str

    def __new__(cls, value: float, shown: str) -> ShownNumber:
        """Keep the typed text for FORMATTED_VALUE reads."""
        number = super().__new__(cls, value)
        number.shown = shown
        return number

    def __reduce__(self) -> tuple[type[ShownNumber], tuple[float, str]]:
        """Copy and deepcopy support (``__new__`` needs both arguments)."""
        return (ShownNumber, (float(self), self.shown))


def is_empty(cell: Any) -> bool:
    """Empty cells are trimmed from read results."""
    return cell is None or (isinstance(cell, str) and cell == "")


def format_number(value: float | int) -> str:
    """Sheets' automatic number format, simplified: ``1234.5`` -> "1234.5", ``3.0`` -> "3"."""
    if isinstance(value, ShownNumber):
        return value.shown
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return format(value, ".15g")


def plain_number(value: float | int) -> int | float:
    """A number as the JSON API carries it: whole doubles serialize without a fraction."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return float(value) if isinstance(value, float) else value


def render(cell: Any, value_render: str, date_render: str) -> Any:
    """One stored cell as ``values.get`` returns it."""
    if is_empty(cell):
        return ""
    if isinstance(cell, Formula):
        if value_render == "FORMULA":
            return cell.text
        return render(cell.value, value_render, date_render)
    if value_render == "FORMATTED_VALUE":
        return _formatted(cell)
    if isinstance(cell, SheetDate):
        return cell.formatted() if date_render == "FORMATTED_STRING" else cell.number()
    if isinstance(cell, bool) or isinstance(cell, str):
        return cell
    return plain_number(cell)


def _formatted(cell: Any) -> str:
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, SheetDate):
        return cell.formatted()
    if isinstance(cell, int | float):
        return format_number(cell)
    return str(cell)


def parse_input(value: Any, user_entered: bool) -> Any:
    """What a written JSON value becomes in the cell (``None`` input is handled by the caller)."""
    if isinstance(value, str) and value == "":
        return None
    if not user_entered or not isinstance(value, str):
        return value
    if value.startswith("'"):
        return value[1:] or None
    if value.startswith("=") and len(value) > 1:
        return Formula(value, evaluate(value[1:]))
    text = value.strip()
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    for parser in (parse_number, parse_date):
        parsed = parser(text)
        if parsed is not None:
            return parsed
    return value


def parse_number(text: str) -> int | float | None:
    """``"12"`` -> 12, ``"1,234.50"`` -> 1234.5, ``"$5"`` / ``"12%"`` -> numbers shown as typed."""
    match = _NUMBER.match(text.lower())
    if not match:
        return None
    sign, currency, digits, exponent, percent = match.groups()
    number = float(digits.replace(",", "") + (exponent or ""))
    number = -number if sign == "-" else number
    if percent:
        number /= 100
    if currency or percent or "," in digits:
        return ShownNumber(number, text)
    if "." in digits or exponent:
        return number
    return int(number)


def parse_date(text: str) -> SheetDate | None:
    """ISO ``2026-11-21`` (optionally with a time) and US ``11/21/2026`` become dates."""
    iso, us = _ISO_DATE.match(text), _US_DATE.match(text)
    try:
        if iso:
            year, month, day, hour, minute, second = (int(p) if p else 0 for p in iso.groups())
            return SheetDate.from_date(dt.datetime(year, month, day, hour, minute, second))
        if us:
            month, day, year = (int(part) for part in us.groups())
            return SheetDate.from_date(dt.date(year, month, day))
    except ValueError:
        return None
    return None


def evaluate(expression: str) -> Any:
    """Evaluate trivial arithmetic (``1+2*3``); anything else is ``#ERROR!``. No formula engine."""
    try:
        result = _arithmetic(ast.parse(expression.strip(), mode="eval").body)
    except ZeroDivisionError:
        return "#DIV/0!"
    except (SyntaxError, ValueError, TypeError, OverflowError):
        return "#ERROR!"
    return plain_number(result)


def _arithmetic(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        return _ARITHMETIC[type(node.op)](_arithmetic(node.left), _arithmetic(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _ARITHMETIC:
        return _ARITHMETIC[type(node.op)](_arithmetic(node.operand))
    raise ValueError("not trivial arithmetic")
