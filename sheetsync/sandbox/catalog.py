"""``/v1/products`` and ``/v1/prices`` handlers: one-time prices of a product.

A price is ``unit_amount`` (an integer in the minor unit) or
``unit_amount_decimal`` (fractions of the minor unit allowed; ``unit_amount``
is then null), in one currency, for a product named by ``product`` or created
inline from ``product_data``. Recurring, tiered and customer-chosen prices are
not modelled and are refused.
"""

from __future__ import annotations

from decimal import Decimal

from . import money
from .common import merge_metadata, refuse_unsupported, set_fields
from .errors import invalid, missing_param
from .store import Obj, Store, matches_range, paginate, random_id

PRODUCT_FIELDS = ("description", "shippable", "statement_descriptor", "tax_code", "unit_label")
PRODUCT_UNSUPPORTED = ("default_price_data", "marketing_features", "package_dimensions")
PRICE_UNSUPPORTED = (
    "currency_options",
    "custom_unit_amount",
    "recurring",
    "tiers",
    "tiers_mode",
    "transform_quantity",
)


def create_product(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``POST /v1/products``: ``id`` may be chosen by the caller.

    :raises StripeError: for an ``id`` already in use, unsupported parameters.
    """
    refuse_unsupported(params, PRODUCT_UNSUPPORTED)
    return new_product(store, params)


def new_product(store: Store, params: Obj) -> Obj:
    """Create and store a product from ``product`` or ``product_data`` parameters.

    :raises StripeError: for an ``id`` already in use.
    """
    product_id = params.get("id") or random_id("prod", 14)
    if product_id in store.objects:
        raise invalid("Product already exists.", "id", "resource_already_exists")
    product = store.build(
        "product",
        id=product_id,
        created=store.now,
        updated=store.now,
        active=params.get("active", True),
        default_price=None,
        description=None,
        images=list(params.get("images", [])),
        marketing_features=[],
        metadata=merge_metadata({}, params.get("metadata", {})),
        name=params["name"],
        package_dimensions=None,
        shippable=None,
        statement_descriptor=None,
        tax_code=None,
        type=params.get("type", "service"),
        unit_label=None,
        url=params.get("url") or None,
    )
    set_fields(product, params, PRODUCT_FIELDS)
    store.add(product)
    store.emit("product.created", product)
    return product


def retrieve_product(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/products/{id}``."""
    return store.get("product", ids[0])


def list_products(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/products``: filter by ``active``, ``ids``, ``shippable``, ``type``, ``url``."""
    wanted = {k: params[k] for k in ("active", "shippable", "type", "url") if k in params}
    found = [
        p
        for p in store.all("product")
        if all(p[k] == v for k, v in wanted.items())
        and ("ids" not in params or p["id"] in params["ids"])
        and matches_range(p["created"], params.get("created"))
    ]
    return paginate(found, params, "/v1/products", store.listing("product"))


def create_price(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``POST /v1/prices``: one-time, per-unit prices.

    :raises StripeError: without ``product`` or ``product_data`` (or with both),
        without an amount, for amounts the currency forbids, a duplicate
        ``lookup_key``, unsupported pricing models.
    """
    refuse_unsupported(params, PRICE_UNSUPPORTED)
    if params.get("billing_scheme", "per_unit") != "per_unit":
        raise invalid("The Stripe sandbox supports per_unit prices only.", "billing_scheme")
    _check_lookup_key(store, params)
    return new_price(store, params, "")


def new_price(store: Store, params: Obj, prefix: str) -> Obj:
    """Create and store a one-time price; ``prefix`` names parameters in errors
    (``line_items[0][price_data]`` for inline prices of a payment link).

    :raises StripeError: as :func:`create_price`.
    """
    currency = money.check_currency(params["currency"], _path(prefix, "currency"))
    unit = check_unit_amount(params, currency, prefix)
    product = _product(store, params, prefix)
    price = store.create(
        "price",
        active=params.get("active", True),
        billing_scheme="per_unit",
        currency=currency,
        custom_unit_amount=None,
        lookup_key=params.get("lookup_key") or None,
        metadata=merge_metadata({}, params.get("metadata", {})),
        nickname=params.get("nickname") or None,
        product=product["id"],
        recurring=None,
        tax_behavior=params.get("tax_behavior", "unspecified"),
        tiers_mode=None,
        transform_quantity=None,
        type="one_time",
        unit_amount=int(unit) if unit == unit.to_integral_value() else None,
        unit_amount_decimal=money.decimal_text(unit),
    )
    store.emit("price.created", price)
    return price


def _path(prefix: str, name: str) -> str:
    return f"{prefix}[{name}]" if prefix else name


def check_unit_amount(params: Obj, currency: str, prefix: str = "") -> Decimal:
    """The unit amount of a new price (``unit_amount`` or ``unit_amount_decimal``).

    :raises StripeError: for both or neither, a negative amount, or an amount
        the currency forbids (three-decimal currencies end in 0).
    """
    if "unit_amount" in params and "unit_amount_decimal" in params:
        raise invalid(
            "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
            _path(prefix, "unit_amount"),
            "parameters_exclusive",
        )
    if "unit_amount" not in params and "unit_amount_decimal" not in params:
        raise missing_param(_path(prefix, "unit_amount"))
    name = "unit_amount" if "unit_amount" in params else "unit_amount_decimal"
    unit = Decimal(params[name])
    if unit < 0:
        raise invalid(f"Invalid {name}: must be greater than or equal to 0", _path(prefix, name))
    money.check_amount(currency, money.round_minor(unit), _path(prefix, name))
    return unit


def _product(store: Store, params: Obj, prefix: str) -> Obj:
    if "product" in params and "product_data" in params:
        raise invalid(
            "You may only specify one of these parameters: product, product_data.",
            _path(prefix, "product"),
            "parameters_exclusive",
        )
    if "product" in params:
        return store.get("product", params["product"], _path(prefix, "product"))
    if "product_data" not in params:
        raise missing_param(_path(prefix, "product"))
    return new_product(store, params["product_data"])


def _check_lookup_key(store: Store, params: Obj) -> None:
    key = params.get("lookup_key")
    if not key:
        return
    for price in store.all("price"):
        if price["lookup_key"] == key:
            if not params.get("transfer_lookup_key"):
                raise invalid(
                    f"A price ({price['id']}) already uses that lookup key.", "lookup_key"
                )
            price["lookup_key"] = None


def retrieve_price(store: Store, params: Obj, ids: tuple[str, ...]) -> Obj:
    """``GET /v1/prices/{id}``."""
    return store.get("price", ids[0])


def list_prices(store: Store, params: Obj, _ids: tuple[str, ...]) -> Obj:
    """``GET /v1/prices``: by ``product``, ``active``, ``currency``, ``type``, ``created``."""
    wanted = {k: params[k] for k in ("product", "active", "currency", "type") if k in params}
    if "recurring" in params:
        return paginate([], params, "/v1/prices", store.listing("price"))
    found = [
        p
        for p in store.all("price")
        if all(p[k] == v for k, v in wanted.items())
        and ("lookup_keys" not in params or p["lookup_key"] in params["lookup_keys"])
        and matches_range(p["created"], params.get("created"))
    ]
    return paginate(found, params, "/v1/prices", store.listing("price"))
