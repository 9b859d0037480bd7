"""The ``/v1`` endpoints the sandbox serves, each with its ``stripe.params`` class."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import stripe.params as sp
import stripe.params.checkout as spc

from . import catalog, checkout, credit_notes, invoices, items, links, payments, refunds, resources
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
    _route("POST", "/v1/products", sp.ProductCreateParams, catalog.create_product),
    _route("GET", "/v1/products", sp.ProductListParams, catalog.list_products),
    _route("GET", "/v1/products/{id}", sp.ProductRetrieveParams, catalog.retrieve_product),
    _route("POST", "/v1/prices", sp.PriceCreateParams, catalog.create_price),
    _route("GET", "/v1/prices", sp.PriceListParams, catalog.list_prices),
    _route("GET", "/v1/prices/{id}", sp.PriceRetrieveParams, catalog.retrieve_price),
    _route("POST", "/v1/payment_links", sp.PaymentLinkCreateParams, links.create),
    _route("GET", "/v1/payment_links", sp.PaymentLinkListParams, links.list_links),
    _route("GET", "/v1/payment_links/{id}", sp.PaymentLinkRetrieveParams, links.retrieve),
    _route("POST", "/v1/payment_links/{id}", sp.PaymentLinkUpdateParams, links.update),
    _route(
        "GET",
        "/v1/payment_links/{id}/line_items",
        sp.PaymentLinkLineItemListParams,
        links.list_line_items,
    ),
    _route("GET", "/v1/checkout/sessions", spc.SessionListParams, checkout.list_sessions),
    _route("GET", "/v1/checkout/sessions/{id}", spc.SessionRetrieveParams, checkout.retrieve),
    _route(
        "GET",
        "/v1/checkout/sessions/{id}/line_items",
        spc.SessionLineItemListParams,
        checkout.list_line_items,
    ),
    _route("GET", "/v1/payment_intents", sp.PaymentIntentListParams, payments.list_payment_intents),
    _route(
        "GET",
        "/v1/payment_intents/{id}",
        sp.PaymentIntentRetrieveParams,
        payments.retrieve_payment_intent,
    ),
    _route("GET", "/v1/charges", sp.ChargeListParams, payments.list_charges),
    _route("GET", "/v1/charges/{id}", sp.ChargeRetrieveParams, payments.retrieve_charge),
    _route(
        "GET", "/v1/invoice_payments", sp.InvoicePaymentListParams, payments.list_invoice_payments
    ),
    _route(
        "GET",
        "/v1/invoice_payments/{id}",
        sp.InvoicePaymentRetrieveParams,
        payments.retrieve_invoice_payment,
    ),
    _route("POST", "/v1/refunds", sp.RefundCreateParams, refunds.create_refund),
    _route("GET", "/v1/refunds", sp.RefundListParams, refunds.list_refunds),
    _route("GET", "/v1/refunds/{id}", sp.RefundRetrieveParams, refunds.retrieve_refund),
    _route("GET", "/v1/disputes", sp.DisputeListParams, refunds.list_disputes),
    _route("GET", "/v1/disputes/{id}", sp.DisputeRetrieveParams, refunds.retrieve_dispute),
    _route("POST", "/v1/credit_notes", sp.CreditNoteCreateParams, credit_notes.create),
    _route("GET", "/v1/credit_notes", sp.CreditNoteListParams, credit_notes.list_notes),
    _route("GET", "/v1/credit_notes/{id}", sp.CreditNoteRetrieveParams, credit_notes.retrieve),
    _route(
        "GET",
        "/v1/credit_notes/{id}/lines",
        sp.CreditNoteLineItemListParams,
        credit_notes.list_lines,
    ),
)


def find(method: str, path: str) -> tuple[Route, tuple[str, ...]] | None:
    """The route serving ``method path`` and the IDs taken from the path."""
    for route in ROUTES:
        match = route.pattern.match(path)
        if match and route.method == method:
            return route, match.groups()
    return None
