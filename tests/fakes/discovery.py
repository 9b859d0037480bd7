"""Validation of requests against the Sheets v4 discovery document shipped with
google-api-python-client (read in place, never copied into the repository).

It routes a path to its discovery method id and refuses what Google's front end refuses:
unknown query parameters, bad enum or boolean values, unknown body fields at any depth, body
values of the wrong JSON type, and ``fields`` masks naming fields the response does not have.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from tests.fakes.errors import bad_request

PROTO_PACKAGE = "type.googleapis.com/google.apps.sheets.v4"
# The body of these methods is the request message's ``data`` field; Google prefixes error paths.
_BODY_FIELD = {
    "sheets.spreadsheets.values.update": "data",
    "sheets.spreadsheets.values.append": "data",
}
_QUERY_ENUMS = {
    "valueInputOption": "ValueInputOption",
    "valueRenderOption": "ValueRenderOption",
    "responseValueRenderOption": "ValueRenderOption",
    "dateTimeRenderOption": "DateTimeRenderOption",
    "responseDateTimeRenderOption": "DateTimeRenderOption",
    "majorDimension": "Dimension",
    "insertDataOption": "ValuesAppendRequest.InsertDataOption",
}


def snake(name: str) -> str:
    """``valueInputOption`` -> ``value_input_option`` (Google names proto fields in errors)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    """``value_input_option`` -> ``valueInputOption`` (proto JSON accepts both spellings)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class Method:
    """One discovery method: id, HTTP verb, path pattern and what it accepts."""

    id: str
    http_method: str
    pattern: re.Pattern[str]
    parameters: Mapping[str, Any]
    request_ref: str | None
    response_ref: str | None
    scopes: tuple[str, ...] = field(default=())

    @property
    def is_read(self) -> bool:
        """Reads are the GET methods; everything else is a write."""
        return self.http_method == "GET"


@functools.cache
def document() -> dict[str, Any]:
    """The installed ``sheets.v4.json`` discovery document."""
    root = resources.files("googleapiclient") / "discovery_cache" / "documents"
    return json.loads((root / "sheets.v4.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _pattern(template: str) -> re.Pattern[str]:
    regex = ""
    for literal, name in re.findall(r"([^{]*)(?:\{\+?(\w+)\})?", template):
        regex += re.escape(literal) + (f"(?P<{name}>[^/]+)" if name else "")
    return re.compile(f"^{regex}$")


@functools.cache
def methods() -> tuple[Method, ...]:
    """Every method in the document, most specific path first."""
    found: list[tuple[int, Method]] = []

    def walk(resource: Mapping[str, Any]) -> None:
        for spec in resource.get("methods", {}).values():
            template = spec.get("flatPath") or spec["path"]
            method = Method(
                id=spec["id"],
                http_method=spec["httpMethod"],
                pattern=_pattern(template),
                parameters=spec.get("parameters", {}),
                request_ref=spec.get("request", {}).get("$ref"),
                response_ref=spec.get("response", {}).get("$ref"),
                scopes=tuple(spec.get("scopes", ())),
            )
            found.append((len(re.sub(r"\{[^}]*\}", "", template)), method))
        for child in resource.get("resources", {}).values():
            walk(child)

    walk(document())
    return tuple(method for _, method in sorted(found, key=lambda pair: -pair[0]))


def method_ids() -> frozenset[str]:
    """All discovery method ids, e.g. ``sheets.spreadsheets.values.batchGet``."""
    return frozenset(method.id for method in methods())


def route(http_method: str, path: str) -> tuple[Method, dict[str, str]] | None:
    """Match a raw (still percent-encoded) path such as ``v4/spreadsheets/x/values/A1``."""
    for method in methods():
        match = method.pattern.match(path)
        if match and method.http_method == http_method:
            return method, match.groupdict()
    return None


def validate_query(method: Method, query: Mapping[str, list[str]]) -> None:
    """Refuse unknown, repeated, mistyped or out-of-enum query parameters."""
    standard = document()["parameters"]
    for name, spec in method.parameters.items():
        if spec.get("required") and spec.get("location") == "query" and not query.get(name):
            raise bad_request(f"'{name}' is required but not specified")
    for name, values in query.items():
        spec = method.parameters.get(name) or standard.get(name)
        if spec is None or spec.get("location") == "path":
            raise bad_request(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query '
                f"parameter. Field '{name}' could not be found in request message."
            )
        if len(values) > 1 and not spec.get("repeated"):
            raise bad_request(f"Invalid value at '{snake(name)}': only one value is allowed.")
        for value in values:
            _check_query_value(name, spec, value)


def _check_query_value(name: str, spec: Mapping[str, Any], value: str) -> None:
    kind = spec.get("type")
    if "enum" in spec and value not in spec["enum"]:
        enum_type = _QUERY_ENUMS.get(name)
        type_name = f"{PROTO_PACKAGE}.{enum_type}" if enum_type else "TYPE_ENUM"
        raise bad_request(f"Invalid value at '{snake(name)}' ({type_name}), \"{value}\"")
    if kind == "boolean" and value.lower() not in ("true", "false"):
        raise bad_request(f"Invalid value at '{snake(name)}' (TYPE_BOOL), \"{value}\"")
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        raise bad_request(f"Invalid value at '{snake(name)}' (TYPE_INT32), \"{value}\"")


def validate_body(method: Method, body: Any) -> Any:
    """Check a JSON body against the method's request schema; return it with camelCase keys."""
    if method.request_ref is None:
        if body not in (None, {}):
            raise bad_request("Invalid JSON payload received. The request body must be empty.")
        return body
    if body is None:
        return {}
    errors: list[tuple[str, str]] = []
    prefix = _BODY_FIELD.get(method.id, "")
    normalized = _check(body, {"$ref": method.request_ref}, prefix, errors)
    if errors:
        path, _ = errors[0]
        raise bad_request("\n".join(message for _, message in errors), path)
    return normalized


def _type_name(schema: Mapping[str, Any]) -> str:
    if "$ref" in schema:
        return f"{PROTO_PACKAGE}.{schema['$ref']}"
    kind, fmt = schema.get("type"), schema.get("format")
    if "enum" in schema:
        return "TYPE_ENUM"
    names = {"string": "TYPE_STRING", "boolean": "TYPE_BOOL", "integer": "TYPE_INT32"}
    if kind == "number":
        return "TYPE_FLOAT" if fmt == "float" else "TYPE_DOUBLE"
    if kind == "array":
        return "type.googleapis.com/google.protobuf.ListValue"
    return names.get(str(kind), f"TYPE_{str(kind).upper()}")


def _invalid(path: str, schema: Mapping[str, Any], value: Any) -> tuple[str, str]:
    shown = json.dumps(value) if not isinstance(value, dict | list) else json.dumps(value)[:60]
    return path, f"Invalid value at '{path}' ({_type_name(schema)}), {shown}"


def _check(value: Any, schema: Mapping[str, Any], path: str, errors: list[tuple[str, str]]) -> Any:
    """Validate ``value`` against ``schema``; append (path, message) pairs to ``errors``."""
    if value is None:
        return None
    if "$ref" in schema:
        resolved = document()["schemas"][schema["$ref"]]
        if not isinstance(value, dict):
            errors.append(_invalid(path, schema, value))
            return value
        return _check_object(value, resolved, path, errors)
    kind = schema.get("type")
    if kind == "array":
        item = schema.get("items", {})
        if not isinstance(value, list):
            errors.append(_invalid(path, schema if item.get("type") == "any" else item, value))
            return value
        return [_check(v, item, f"{path}[{i}]", errors) for i, v in enumerate(value)]
    if kind == "object":
        if not isinstance(value, dict):
            errors.append(_invalid(path, schema, value))
            return value
        return _check_object(value, schema, path, errors)
    if not _scalar_ok(kind, schema, value):
        errors.append(_invalid(path, schema, value))
    return value


def _scalar_ok(kind: Any, schema: Mapping[str, Any], value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "string":
        return isinstance(value, str) and ("enum" not in schema or value in schema["enum"])
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return (
            isinstance(value, int)
            or (isinstance(value, float) and value.is_integer())
            or (isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None)
        )
    if kind == "number":
        return isinstance(value, int | float) or value in ("NaN", "Infinity", "-Infinity")
    return False


def _check_object(
    value: dict[str, Any], schema: Mapping[str, Any], path: str, errors: list[tuple[str, str]]
) -> dict[str, Any]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = key if key in properties else camel(key)
        if name in properties:
            child = f"{path}.{snake(name)}" if path else snake(name)
            out[name] = _check(item, properties[name], child, errors)
        elif extra is not None:
            out[key] = _check(item, extra, f"{path}[{key}]", errors)
        else:
            where = f" at '{path}'" if path else ""
            errors.append(
                (
                    path,
                    f'Invalid JSON payload received. Unknown name "{key}"{where}: '
                    "Cannot find field.",
                )
            )
    return out


def parse_fields_mask(text: str) -> dict[str, Any]:
    """Parse a partial-response mask (``a,b/c,d(e,f)``) into a tree; ``{}`` means everything."""
    tokens = re.findall(r"[A-Za-z0-9_*@$-]+|[(),/.]", text.replace(" ", ""))
    if not tokens:
        return {}
    tree, rest = _mask_list(tokens)
    if rest:
        raise bad_request(f"Invalid field selection {text}", "fields")
    return tree


def _mask_list(tokens: list[str]) -> tuple[dict[str, Any], list[str]]:
    tree: dict[str, Any] = {}
    while True:
        node = tree
        name, tokens = tokens[0] if tokens else "", tokens[1:]
        while tokens[:1] in (["/"], ["."]):
            node = node.setdefault(name, {})
            name, tokens = tokens[1] if len(tokens) > 1 else "", tokens[2:]
        if tokens[:1] == ["("]:
            subtree, tokens = _mask_list(tokens[1:])
            if tokens[:1] != [")"]:
                raise bad_request("Invalid field selection: unbalanced parentheses", "fields")
            node.setdefault(name, {}).update(subtree)
            tokens = tokens[1:]
        else:
            node.setdefault(name, {})
        if tokens[:1] != [","]:
            return tree, tokens
        tokens = tokens[1:]


def check_fields_mask(tree: Mapping[str, Any], ref: str | None, path: str = "") -> None:
    """Refuse mask paths the response schema does not have, as Google does."""
    schema = document()["schemas"].get(ref or "", {})
    for name, subtree in tree.items():
        full = f"{path}.{name}" if path else name
        if name == "*":
            continue
        spec = schema.get("properties", {}).get(name)
        if spec is None or not name:
            message = (
                f"Error expanding 'fields' parameter. Cannot find matching fields for "
                f"path '{full}'."
            )
            error = bad_request(message, full)
            error.message = "Request contains an invalid argument."
            raise error
        target = spec.get("items", spec).get("$ref")
        if subtree:
            check_fields_mask(subtree, target, full)


def apply_fields_mask(data: Any, tree: Mapping[str, Any]) -> Any:
    """Keep only the fields named in ``tree`` (lists are filtered element by element)."""
    if not tree or "*" in tree:
        return data
    if isinstance(data, list):
        return [apply_fields_mask(item, tree) for item in data]
    if not isinstance(data, dict):
        return data
    return {key: apply_fields_mask(data[key], sub) for key, sub in tree.items() if key in data}
