"""The ``/v1`` endpoints the sandbox serves, each with its ``stripe.params`` class."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import stripe.params as sp

from . import invoices, items, resources
from .store import Obj, Store

Handler = Callable[[Store, Obj, tuple[str, ...]], Obj]
_ID = r"([^/]+)"


@dataclass(frozen=True)
class Route:
    """One endpoint: method, path pattern, parameter TypedDict and handler."""

    method: str
    pattern: re.Pattern[str]
    params: type
    handler: Handler


def _route(method: str, path: str, params: type, handler: Handler) -> Route:
    return Route(method, re.compile("^" + path.replace("{id}", _ID) + "$"), params, handler)


ROUTES = (
    _route("POST", "/v1/customers", sp.CustomerCreateParams, resources.create_customer),
    _route("GET", "/v1/customers", sp.CustomerListParams, resources.list_customers),
    _route("GET", "/v1/customers/{id}", sp.CustomerRetrieveParams, resources.retrieve_customer),
    _route("POST", "/v1/customers/{id}", sp.CustomerUpdateParams, resources.update_customer),
    _route("POST", "/v1/invoices", sp.InvoiceCreateParams, invoices.create),
    _route("GET", "/v1/invoices", sp.InvoiceListParams, invoices.list_invoices),
    _route("GET", "/v1/invoices/{id}", sp.InvoiceRetrieveParams, invoices.retrieve),
    _route("POST", "/v1/invoices/{id}", sp.InvoiceUpdateParams, invoices.update),
    _route("DELETE", "/v1/invoices/{id}", sp.InvoiceDeleteParams, invoices.delete),
    _route("GET", "/v1/invoices/{id}/lines", sp.InvoiceLineItemListParams, invoices.list_lines),
    _route(
        "POST",
        "/v1/invoices/{id}/finalize",
        sp.InvoiceFinalizeInvoiceParams,
        invoices.finalize,
    ),
    _route("POST", "/v1/invoices/{id}/send", sp.InvoiceSendInvoiceParams, invoices.send),
    _route("POST", "/v1/invoices/{id}/pay", sp.InvoicePayParams, invoices.pay),
    _route("POST", "/v1/invoices/{id}/void", sp.InvoiceVoidInvoiceParams, invoices.void),
    _route(
        "POST",
        "/v1/invoices/{id}/mark_uncollectible",
        sp.InvoiceMarkUncollectibleParams,
        invoices.mark_uncollectible,
    ),
    _route("POST", "/v1/invoiceitems", sp.InvoiceItemCreateParams, items.create),
    _route("GET", "/v1/invoiceitems", sp.InvoiceItemListParams, items.list_items),
    _route("GET", "/v1/invoiceitems/{id}", sp.InvoiceItemRetrieveParams, items.retrieve),
    _route("POST", "/v1/invoiceitems/{id}", sp.InvoiceItemUpdateParams, items.update),
    _route("DELETE", "/v1/invoiceitems/{id}", sp.InvoiceItemDeleteParams, items.delete),
    _route("POST", "/v1/tax_rates", sp.TaxRateCreateParams, resources.create_tax_rate),
    _route("GET", "/v1/tax_rates", sp.TaxRateListParams, resources.list_tax_rates),
    _route("GET", "/v1/tax_rates/{id}", sp.TaxRateRetrieveParams, resources.retrieve_tax_rate),
    _route("POST", "/v1/tax_rates/{id}", sp.TaxRateUpdateParams, resources.update_tax_rate),
    _route("GET", "/v1/events", sp.EventListParams, resources.list_events),
    _route("GET", "/v1/events/{id}", sp.EventRetrieveParams, resources.retrieve_event),
)


def find(method: str, path: str) -> tuple[Route, tuple[str, ...]] | None:
    """The route serving ``method path`` and the IDs taken from the path."""
    for route in ROUTES:
        match = route.pattern.match(path)
        if match and route.method == method:
            return route, match.groups()
    return None
