"""A1 notation for the fake Sheets server: parsing ranges, resolving them on a grid, formatting.

Covers what the product and gspread send: ``Invoices``, ``'Line Items'!A1:C``, ``Invoices!A:A``,
``Invoices!A2:Z``, ``Invoices!B3``, ``3:5`` row spans, ``$A$1`` absolute refs, quoted titles with
``''`` escapes and bare ranges meaning the first sheet. R1C1 notation and named ranges are not
supported: they fail as "Unable to parse range", which is loud rather than silently wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MAX_COLUMNS = 18278  # column ZZZ, the widest a Google Sheet can be
_ENDPOINT = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d*)$")
_PLAIN_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*")


class RangeError(ValueError):
    """A range that Google would refuse; ``str(err)`` is Google's message."""


def column_letters(column: int) -> str:
    """1-based column number to letters: 1 -> "A", 27 -> "AA"."""
    letters = ""
    while column > 0:
        column, rem = divmod(column - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def column_number(letters: str) -> int:
    """Letters to a 1-based column number: "A" -> 1, "aa" -> 27."""
    number = 0
    for char in letters.upper():
        number = number * 26 + (ord(char) - ord("A") + 1)
    return number


def quote_title(title: str) -> str:
    """Render a sheet title the way Google does in response ranges (quoted only when needed)."""
    if _PLAIN_TITLE.fullmatch(title) and not _CELL_LIKE.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class Bounds:
    """A resolved, 1-based, inclusive rectangle on one sheet."""

    title: str
    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        """Number of rows covered."""
        return self.bottom - self.top + 1

    @property
    def width(self) -> int:
        """Number of columns covered."""
        return self.right - self.left + 1

    def a1(self) -> str:
        """Google's rendering, e.g. ``Invoices!A1:Z1000`` or ``'Line Items'!B3``."""
        start = f"{column_letters(self.left)}{self.top}"
        end = f"{column_letters(self.right)}{self.bottom}"
        cells = start if start == end else f"{start}:{end}"
        return f"{quote_title(self.title)}!{cells}"


@dataclass(frozen=True)
class RangeRef:
    """A parsed range. Sides left open (``None``) extend to the edge of the grid."""

    title: str
    top: int | None = None
    left: int | None = None
    bottom: int | None = None
    right: int | None = None

    @property
    def is_single_cell(self) -> bool:
        """True for ``B3``-style ranges, which writes may expand from."""
        return self.top is not None and (self.top, self.left) == (self.bottom, self.right)

    def resolve(self, rows: int, cols: int, text: str) -> Bounds:
        """Clip open sides to a ``rows`` x ``cols`` grid; explicit sides beyond it are refused."""
        top, left = self.top or 1, self.left or 1
        bottom = self.bottom if self.bottom is not None else rows
        right = self.right if self.right is not None else cols
        if max(top, bottom) > rows or max(left, right) > cols:
            raise RangeError(
                f"Range ({text}) exceeds grid limits. Max rows: {rows}, max columns: {cols}"
            )
        return Bounds(self.title, top, left, bottom, right)


def _endpoint(text: str) -> tuple[int | None, int | None] | None:
    match = _ENDPOINT.match(text)
    if not match or not (match.group(1) or match.group(2)):
        return None
    col = column_number(match.group(1)) if match.group(1) else None
    row = int(match.group(2)) if match.group(2) else None
    if row == 0 or (col is not None and col > MAX_COLUMNS):
        return None
    return row, col


def parse_cells(title: str, cells: str) -> RangeRef | None:
    """Parse the part after ``!``; ``None`` when Google could not parse it either."""
    parts = cells.split(":")
    ends = [_endpoint(part) for part in parts]
    if len(parts) > 2 or any(end is None for end in ends):
        return None
    if len(parts) == 1:
        row, col = ends[0] or (None, None)
        return RangeRef(title, row, col, row, col) if row and col else None
    (row1, col1), (row2, col2) = ends[0] or (None, None), ends[1] or (None, None)
    if row1 and col1 and col2:  # A1:B2, or A2:B (rows open at the bottom)
        if row2 is None:
            return RangeRef(title, row1, min(col1, col2), None, max(col1, col2))
        return RangeRef(title, min(row1, row2), min(col1, col2), max(row1, row2), max(col1, col2))
    if col1 and col2 and row1 is None and row2 is None:  # A:C
        return RangeRef(title, None, min(col1, col2), None, max(col1, col2))
    if row1 and row2 and col1 is None and col2 is None:  # 3:5
        return RangeRef(title, min(row1, row2), None, max(row1, row2), None)
    return None


def _unquote(title: str) -> str:
    if len(title) >= 2 and title[0] == title[-1] == "'":
        return title[1:-1].replace("''", "'")
    return title


def parse_range(text: str, titles: Sequence[str]) -> RangeRef:
    """Parse ``text`` against the spreadsheet's sheet ``titles`` (first one is the default)."""
    failure = RangeError(f"Unable to parse range: {text}")
    if _unquote(text) in titles:
        return RangeRef(_unquote(text))
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        title = _unquote(title)
        if title not in titles:
            raise failure
    elif titles:
        title, cells = titles[0], text
    else:
        raise failure
    ref = parse_cells(title, cells)
    if ref is None:
        raise failure
    return ref
