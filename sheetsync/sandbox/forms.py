"""Decode Stripe's form encoding (``metadata[k]=v``, ``tax_rates[0]=x``, ``expand[]=y``).

The result is a tree of dicts and strings. Indexed keys (``[0]``) stay dict
keys here; :mod:`params` turns them into lists where the parameter's type is a
list, because only the type says whether ``metadata[0]`` is a list element or
a metadata key named "0". Empty brackets (``[]``) append to a list.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid

FormTree = dict[str, Any]


def decode(*encoded: str) -> FormTree:
    """Decode one or more urlencoded strings into one tree; later values win."""
    tree: FormTree = {}
    for text in encoded:
        for key, value in parse_qsl(text, keep_blank_values=True):
            _insert(tree, split_key(key), value, key)
    return tree


def split_key(key: str) -> list[str | None]:
    """Split ``a[b][]`` into ``["a", "b", None]`` (``None`` marks ``[]``)."""
    head, bracket, rest = key.partition("[")
    parts: list[str | None] = [head]
    if not bracket:
        return parts
    rest = "[" + rest
    while rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            break
        inner = rest[1:end]
        parts.append(inner if inner else None)
        rest = rest[end + 1 :]
    if rest:
        parts[-1] = f"{parts[-1]}{rest}" if parts[-1] is not None else rest
    return parts


def _insert(node: Any, parts: list[str | None], value: str, key: str) -> None:
    """Place ``value`` at ``parts`` inside ``node`` (a dict or list)."""
    part, rest = parts[0], parts[1:]
    if isinstance(node, list):
        _insert_in_list(node, rest, value, key)
        return
    assert part is not None
    if not rest:
        node[part] = value
        return
    child = node.get(part)
    wanted: type = list if rest[0] is None else dict
    if child is None or isinstance(child, str):
        if isinstance(child, str) and child != "":
            raise invalid(f"Invalid {key}: conflicting values for {part}", part)
        child = wanted()
        node[part] = child
    if not isinstance(child, wanted):
        raise invalid(f"Invalid {key}: mixes indexed and appended values", part)
    _insert(child, rest, value, key)


def _insert_in_list(items: list[Any], rest: list[str | None], value: str, key: str) -> None:
    """Append for ``a[]=v``; for ``a[][k]=v`` start a new element when ``k`` repeats."""
    if not rest:
        items.append(value)
        return
    head = rest[0]
    if head is None:
        raise invalid(f"Invalid {key}: nested empty brackets are not supported")
    if not items or not isinstance(items[-1], dict) or head in items[-1]:
        items.append({})
    _insert(items[-1], rest, value, key)
