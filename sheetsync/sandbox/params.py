"""Check request parameters against stripe-python's ``stripe.params`` TypedDicts.

stripe-python generates one TypedDict per endpoint from Stripe's OpenAPI spec,
so they say which keys each endpoint takes, which are required and of what
type. ``typing.get_type_hints`` fails on some of them (``StripeContext`` is
only imported under ``TYPE_CHECKING``), so annotations are resolved here one by
one against the defining module; an annotation that cannot be resolved
accepts any value, but its key still counts as known. The request-option keys
every ``*Params`` class inherits (``api_key``, ``idempotency_key`` …) are
client options, never wire parameters, and are left out.

Values arrive as strings; checking also converts them (integers, booleans,
decimals, lists) so handlers receive typed values.
"""

from __future__ import annotations

import decimal
import re
import sys
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, ForwardRef

import stripe
from stripe._request_options import RequestOptions

from .errors import StripeError, invalid, missing_param, unknown_param

_CLIENT_OPTIONS = frozenset(RequestOptions.__annotations__)
_INTEGER = re.compile(r"^-?\d+$")


@dataclass(frozen=True)
class Node:
    """A compiled parameter type."""

    kind: str  # any, str, int, bool, decimal, float, enum, empty, list, map, object, union
    values: tuple[str, ...] = ()
    item: Node | None = None
    fields: tuple[tuple[str, Node], ...] = ()
    required: frozenset[str] = frozenset()
    options: tuple[Node, ...] = ()


ANY = Node("any")
_CONTAINERS = ("list", "map", "object")
_SCALARS = {str: "str", int: "int", bool: "bool", Decimal: "decimal", float: "float"}


@cache
def schema(params_class: type) -> Node:
    """Compile a ``stripe.params`` TypedDict (cached)."""
    namespace = dict(vars(stripe))
    namespace.update(vars(sys.modules[params_class.__module__]))
    fields = []
    for key, annotation in params_class.__annotations__.items():
        if key not in _CLIENT_OPTIONS:
            fields.append((key, _compile(annotation, namespace)))
    required = frozenset(getattr(params_class, "__required_keys__", frozenset()))
    return Node("object", fields=tuple(fields), required=required - _CLIENT_OPTIONS)


def _compile(annotation: Any, namespace: dict[str, Any]) -> Node:
    if isinstance(annotation, str):
        annotation = ForwardRef(annotation)
    if isinstance(annotation, ForwardRef):
        try:
            # The strings are stripe-python's own generated annotations.
            annotation = eval(annotation.__forward_arg__, namespace)
        except Exception:
            return ANY
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    name = getattr(origin, "_name", None) or getattr(origin, "__name__", None)
    if name in ("NotRequired", "Required"):
        return _compile(args[0], namespace)
    if name == "Literal":
        return _literal(args)
    if origin in (typing.Union, types.UnionType):
        return _union([_compile(arg, namespace) for arg in args])
    if origin in (list, tuple) or name in ("List", "Sequence"):
        return Node("list", item=_compile(args[0], namespace) if args else ANY)
    if origin is dict or name == "UntypedStripeObject":
        value = args[-1] if args else Any
        return Node("map", item=_compile(value, namespace))
    if annotation in _SCALARS:
        return Node(_SCALARS[annotation])
    if isinstance(annotation, type) and hasattr(annotation, "__required_keys__"):
        return _typed_dict(annotation, namespace)
    return ANY


def _typed_dict(cls: type, namespace: dict[str, Any]) -> Node:
    inner = dict(namespace)
    inner.update(vars(sys.modules[cls.__module__]))
    fields = tuple((k, _compile(v, inner)) for k, v in cls.__annotations__.items())
    required = frozenset(getattr(cls, "__required_keys__", frozenset()))
    return Node("object", fields=fields, required=required)


def _literal(args: tuple[Any, ...]) -> Node:
    values = tuple(str(a).lower() if isinstance(a, bool) else str(a) for a in args)
    if values == ("",):
        return Node("empty")
    return _union([Node("enum", values=tuple(v for v in values if v))] + _empties(values))


def _empties(values: tuple[str, ...]) -> list[Node]:
    return [Node("empty")] if "" in values else []


def _union(nodes: list[Node]) -> Node:
    flat: list[Node] = []
    for node in nodes:
        flat.extend(node.options if node.kind == "union" else [node])
    enums = [n for n in flat if n.kind == "enum"]
    if enums:
        # stripe-python widens enums with ``|str`` for forward compatibility;
        # the API itself only takes the listed values.
        values = tuple(v for n in enums for v in n.values)
        rest = [n for n in flat if n.kind not in ("enum", "str")]
        flat = [Node("enum", values=values), *rest]
    if any(n.kind == "any" for n in flat):
        return ANY
    return flat[0] if len(flat) == 1 else Node("union", options=tuple(flat))


def validate(params_class: type, raw: dict[str, Any]) -> dict[str, Any]:
    """Check ``raw`` (decoded form) against ``params_class`` and return typed values.

    :raises StripeError: ``parameter_unknown``, ``parameter_missing`` or an
        invalid value, with Stripe's messages.
    """
    checked: dict[str, Any] = _check(schema(params_class), raw, "")
    return checked


def _check(node: Node, value: Any, path: str) -> Any:
    if node.kind == "any":
        return value
    if value == "" and node.kind not in ("empty", "union", "str"):
        raise _empty(path)
    checker = _CHECKERS[node.kind]
    return checker(node, value, path)


def _check_union(node: Node, value: Any, path: str) -> Any:
    if value == "" and any(o.kind in ("empty", "str") for o in node.options):
        return ""
    first: StripeError | None = None
    scalar_first = isinstance(value, str)
    ordered = sorted(node.options, key=lambda o: (o.kind in _CONTAINERS) == scalar_first)
    for option in ordered:
        if option.kind == "empty":
            continue
        try:
            return _check(option, value, path)
        except StripeError as error:
            if error.code in ("parameter_unknown", "parameter_missing"):
                raise
            first = first or error
    raise first or _empty(path)


def _check_object(node: Node, value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid("Invalid object", path or None)
    fields = dict(node.fields)
    unknown = [f"{path}[{key}]" if path else key for key in value if key not in fields]
    if unknown:
        raise unknown_param(", ".join(unknown))
    out: dict[str, Any] = {}
    for key, item in value.items():
        out[key] = _check(fields[key], item, f"{path}[{key}]" if path else key)
    for key in sorted(node.required):
        if key not in value:
            raise missing_param(f"{path}[{key}]" if path else key)
    return out


def _check_list(node: Node, value: Any, path: str) -> list[Any]:
    if isinstance(value, dict) and all(_INTEGER.match(k) for k in value):
        value = [value[k] for k in sorted(value, key=int)]
    if not isinstance(value, list):
        raise invalid("Invalid array", path)
    item = node.item or ANY
    return [_check(item, v, f"{path}[{i}]") for i, v in enumerate(value)]


def _check_map(node: Node, value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid("Invalid object", path)
    item = node.item or ANY
    out: dict[str, Any] = {}
    for key, v in value.items():
        out[key] = v if v == "" else _check(item, v, f"{path}[{key}]")
    return out


def _scalar(value: Any, path: str, what: str) -> str:
    if not isinstance(value, str):
        raise invalid(f"Invalid {what}: {_show(value)}", path)
    return value


def _check_str(node: Node, value: Any, path: str) -> str:
    return _scalar(value, path, "string")


def _check_int(node: Node, value: Any, path: str) -> int:
    text = _scalar(value, path, "integer")
    if not _INTEGER.match(text):
        raise invalid(f"Invalid integer: {text}", path, "parameter_invalid_integer")
    return int(text)


def _check_bool(node: Node, value: Any, path: str) -> bool:
    text = _scalar(value, path, "boolean")
    if text not in ("true", "false"):
        raise invalid(f"Invalid boolean: {text}", path)
    return text == "true"


def _check_decimal(node: Node, value: Any, path: str) -> Decimal:
    text = _scalar(value, path, "decimal")
    try:
        number = Decimal(text)
    except decimal.InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or "e" in text.lower():
        raise invalid(f"Invalid decimal: {text}", path)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -12:
        raise invalid(f"Invalid decimal: {text} has more than 12 decimal places", path)
    return number


def _check_float(node: Node, value: Any, path: str) -> float:
    text = _scalar(value, path, "float")
    try:
        return float(Decimal(text))
    except decimal.InvalidOperation:
        raise invalid(f"Invalid float: {text}", path) from None


def _check_enum(node: Node, value: Any, path: str) -> str:
    text = _scalar(value, path, "string")
    if text not in node.values:
        raise invalid(f"Invalid {path}: must be one of {_one_of(node.values)}", path)
    return text


def _check_empty(node: Node, value: Any, path: str) -> str:
    if value != "":
        raise invalid(f"Invalid {path}: must be an empty string", path)
    return ""


def _one_of(values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return values[0]
    if len(values) == 2:
        return f"{values[0]} or {values[1]}"
    return ", ".join(values[:-1]) + f", or {values[-1]}"


def _empty(path: str) -> StripeError:
    return invalid(
        f"You passed an empty string for '{path}'. We assume empty values are an attempt "
        f"to unset a parameter; however '{path}' cannot be unset. You should remove "
        f"'{path}' from your request or supply a non-empty value.",
        path,
        "parameter_invalid_empty",
    )


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else value


_CHECKERS = {
    "str": _check_str,
    "int": _check_int,
    "bool": _check_bool,
    "decimal": _check_decimal,
    "float": _check_float,
    "enum": _check_enum,
    "empty": _check_empty,
    "list": _check_list,
    "map": _check_map,
    "object": _check_object,
    "union": _check_union,
}
