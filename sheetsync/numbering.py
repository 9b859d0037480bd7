"""Invoice numbers from a pattern such as ``INV-{year}-{seq:04}``. Pure."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator

DEFAULT_PATTERN = "INV-{year}-{seq:04}"


def check_pattern(pattern: str) -> str:
    """The pattern, if it has a {seq} field and no other fields than {year}.

    :raises ValueError: with what is wrong.
    """
    fields = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    if "seq" not in fields:
        raise ValueError("needs a {seq} field, as in INV-{year}-{seq:04}")
    unknown = set(fields) - {"seq", "year"}
    if unknown:
        raise ValueError(f"has unknown fields {sorted(unknown)}; use {{year}} and {{seq}}")
    return pattern


def _regex(pattern: str, year: int) -> re.Pattern[str]:
    parts = []
    for literal, name, _, _ in string.Formatter().parse(pattern):
        parts.append(re.escape(literal))
        if name == "seq":
            parts.append(r"(?P<seq>\d+)")
        elif name == "year":
            parts.append(str(year))
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE)


def next_numbers(pattern: str, existing: Iterable[str], year: int) -> Iterator[str]:
    """Numbers after the highest of this year's `existing` ones, never one already used."""
    regex = _regex(pattern, year)
    taken = {n.strip().casefold() for n in existing if n.strip()}
    highest = max((int(m["seq"]) for n in existing if (m := regex.match(n.strip()))), default=0)
    seq = highest
    while True:
        seq += 1
        number = pattern.format(year=year, seq=seq)
        if number.casefold() not in taken:
            yield number
