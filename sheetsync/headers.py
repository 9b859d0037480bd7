"""The header row: which cell is which column, and what a person should know about it.

Pure. A column's header is found by, in order: the name the configuration
gives it (`[columns]`), sheetsync's own name (`model.HEADERS`), then a name
people commonly write (`model.HEADER_ALIASES`). What was guessed, and headers
that look like a column but are not read, come back as notes for people.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sheetsync.model import HEADER_ALIASES, HEADERS, PERSON_COLUMNS, Column, header_key

# An alias that is as often a line's total as a unit's price: with a Quantity
# column beside it, reading it as Unit Price would bill the total many times.
_TOTAL_ALIASES = frozenset({header_key("Amount")})
_PRIVATE_NOTES = frozenset({header_key("Note"), header_key("Notes")})
_CLOSE = 0.8  # difflib ratio from which a header is taken for a misspelt column name
_ALIAS_RANK = 2  # ranks from here on are aliases (see _names)


@dataclass(frozen=True)
class HeaderMatch:
    """The position of each column found in a header row, and notes on the match."""

    columns: dict[Column, int]
    notes: tuple[str, ...] = ()


def match_header(header: Sequence[str], renames: Mapping[str, str] | None = None) -> HeaderMatch:
    """Find each column's cell in `header` (configured name, own name, then alias).

    The notes say which alias was taken for which column ("Qty → Quantity")
    and which headers look like a column but are not read (a second header
    for a column already found, a near miss such as "Quantitiy").
    """
    ranks = _names(renames or {})
    columns: dict[Column, int] = {}
    taken: dict[int, int] = {}  # cell index -> rank of the name that took it
    for rank, names in enumerate(ranks):
        if rank == len(ranks) - 1 and Column.QUANTITY in columns:
            break  # "Amount" beside a quantity may be the line's total, not the unit's price
        for index, text in enumerate(header):
            column = names.get(header_key(text))
            if index not in taken and column is not None and column not in columns:
                columns[column], taken[index] = index, rank
    notes = [
        f"{header[index]} → {HEADERS[col]}"
        for col, index in sorted(columns.items(), key=lambda kv: kv[1])
        if taken[index] >= _ALIAS_RANK
    ]
    notes += [_unread(i, header, columns, ranks) for i in range(len(header)) if i not in taken]
    return HeaderMatch(columns, tuple(n for n in notes if n))


def accepted_names(column: Column, renames: Mapping[str, str] | None = None) -> list[str]:
    """The headers `column` is found by, in the order they win."""
    configured = (renames or {}).get(column.value)
    names = [configured] if configured else []
    return list(dict.fromkeys([*names, HEADERS[column], *HEADER_ALIASES.get(column, ())]))


def _names(renames: Mapping[str, str]) -> list[dict[str, Column]]:
    """Header keys to columns, in the order they win: configured names, own
    names, aliases, and last the aliases that may be a line's total."""
    configured = {header_key(renames[c.value]): c for c in Column if renames.get(c.value)}
    own = {header_key(HEADERS[c]): c for c in Column}
    aliases = {header_key(a): c for c, names in HEADER_ALIASES.items() for a in names}
    totals = {k: c for k, c in aliases.items() if k in _TOTAL_ALIASES}
    plain = {k: c for k, c in aliases.items() if k not in _TOTAL_ALIASES}
    return [configured, own, plain, totals]


def _unread(
    index: int, header: Sequence[str], columns: dict[Column, int], ranks: list[dict[str, Column]]
) -> str:
    """A note on a header no column took, when it looks like one of ours ('' otherwise)."""
    text = header[index]
    key = header_key(text)
    if not key:
        return ""
    where = f'"{text}" (column {letter(index)})'
    if key in _PRIVATE_NOTES and Column.MEMO not in columns:
        return f'{where} is not read: Memo is shown to customers; name it "Memo" if it is for them'
    if key in _TOTAL_ALIASES and Column.UNIT_PRICE not in columns and Column.QUANTITY in columns:
        return (
            f'{where} is not read as Unit Price: beside "{header[columns[Column.QUANTITY]]}" it '
            'may be the line\'s total; name the price of one unit "Unit Price"'
        )
    person = {k: c for names in ranks for k, c in names.items() if c in PERSON_COLUMNS}
    exact = next((names[key] for names in ranks if key in names), None)
    close = difflib.get_close_matches(key, list(person), n=1, cutoff=_CLOSE)
    column = exact or (person[close[0]] if close else None)
    if column is None:
        return ""
    if column in columns:
        used = columns[column]
        return (
            f'{where} is ignored: "{header[used]}" (column {letter(used)}) '
            f"is the {HEADERS[column]} column"
        )
    return f'{where} is not read: did you mean "{HEADERS[column]}"?'


def missing_message(
    absent: Sequence[Column], header: Sequence[str], renames: Mapping[str, str] | None
) -> str:
    """Why the header cannot be used without `absent`, and the fixes that exist."""
    found = ", ".join(h for h in header if h) or "nothing"
    names = [_alternatives(accepted_names(c, renames)) for c in absent]
    what = " or ".join(HEADERS[c] for c in absent)
    if len(absent) == 1:
        fix = f"add it to the header row, or rename the header that holds it to {names[0]}"
    else:
        fix = (
            "add them to the header row, or rename the headers that hold them to "
            + " and to ".join(names)
        )
    return f"the header row has no {what} column (found: {found}); {fix}"


def _alternatives(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def letter(index: int) -> str:
    """The column letter of a 0-based index: 0 → A, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name
