"""Small helpers the resource handlers share: metadata, plain fields, expansion."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import invalid
from .store import Obj, Store, public

METADATA_KEYS = 50
METADATA_KEY_LENGTH = 40
METADATA_VALUE_LENGTH = 500
# Expanding these is harmless: they are already objects or lists in responses.
ALREADY_EXPANDED = frozenset({"lines", "tax_rates", "default_tax_rates", "data", "line_items"})
# Fields Stripe can expand on the objects the sandbox serves (they hold IDs or null).
EXPANDABLE = frozenset(
    {"customer", "invoice", "default_payment_method", "default_source", "subscription"}
    | {"on_behalf_of", "test_clock", "latest_revision", "application", "discounts"}
    | {"account_tax_ids", "price", "product", "tax_rate", "default_price"}
    | {"payment_intent", "latest_charge", "charge", "payment_link", "refund"}
)


def merge_metadata(current: Obj, update: Any) -> Obj:
    """Apply a metadata update: ``""`` clears all, a key set to ``""`` is removed.

    :raises StripeError: past Stripe's limits (50 keys, 40-character keys,
        500-character values).
    """
    if update == "":
        return {}
    merged = dict(current)
    for key, value in dict(update).items():
        if value == "":
            merged.pop(key, None)
            continue
        if len(key) > METADATA_KEY_LENGTH:
            raise invalid(
                f"Metadata keys can have up to {METADATA_KEY_LENGTH} characters, but you "
                f"passed in a key that is {len(key)} characters.",
                f"metadata[{key}]",
            )
        if len(value) > METADATA_VALUE_LENGTH:
            raise invalid(
                f"Metadata values can have up to {METADATA_VALUE_LENGTH} characters, but you "
                f"passed in a value that is {len(value)} characters.",
                f"metadata[{key}]",
            )
        merged[key] = value
    if len(merged) > METADATA_KEYS:
        raise invalid(
            f"You can have at most {METADATA_KEYS} metadata keys; this object would have "
            f"{len(merged)}.",
            "metadata",
        )
    return merged


def set_fields(obj: Obj, params: Obj, names: Iterable[str]) -> None:
    """Copy plain values from ``params`` (``""`` unsets to ``None``)."""
    for name in names:
        if name in params:
            value = params[name]
            obj[name] = None if value == "" else value


def refuse_unsupported(params: Obj, names: Iterable[str]) -> None:
    """Refuse valid Stripe parameters this sandbox does not model.

    :raises StripeError: naming the first such parameter sent.
    """
    for name in names:
        if name in params and params[name] not in ("", [], None):
            raise invalid(f"The Stripe sandbox does not support the parameter '{name}'.", name)


def expand(store: Store, obj: Obj, paths: list[str]) -> Obj:
    """Replace IDs named by ``expand[]`` paths with the objects they refer to.

    :raises StripeError: "This property cannot be expanded (path)." as Stripe.
    """
    for path in paths:
        _expand(store, obj, path.split("."), path)
    return obj


def _expand(store: Store, node: Any, parts: list[str], path: str) -> None:
    if isinstance(node, list):
        for element in node:
            _expand(store, element, parts, path)
        return
    if not isinstance(node, dict) or parts[0] not in node:
        raise invalid(f"This property cannot be expanded ({path}).", "expand")
    key, rest = parts[0], parts[1:]
    value = node[key]
    if rest:
        _expand(store, value, rest, path)
    elif key in ALREADY_EXPANDED:
        return
    elif key not in EXPANDABLE:
        raise invalid(f"This property cannot be expanded ({path}).", "expand")
    elif isinstance(value, str) and value in store.objects:
        node[key] = public(store.objects[value])
