"""Currencies, rounding and tax arithmetic, in integers and ``Decimal`` only.

Facts from Stripe's documentation:

- Amounts are integers in the currency's minor unit; currency codes are
  lowercase ("Invalid currency: xyz. Stripe currently supports these
  currencies: …").
- Three-decimal currencies (BHD, JOD, KWD, OMR, TND): the last digit of an
  amount must be 0 ("5.124 KWD must be rounded to 5120 or 5130").
- ISK is effectively zero-decimal but stays two-decimal in the API: amounts
  must be evenly divisible by 100 (``invalid_charge_amount_no_decimal_compatible``).
- Decimal amounts: rounding happens per line item, after ``quantity ×
  unit_amount_decimal``, to the nearest integer ("0.05 × 30 = 1.5 … rounded up
  to 2 cents"); Stripe rounds half up (its fee-rounding rule: 0.025 → 0.03).
- Tax rates are applied per line and each line's tax is rounded before
  summing (Stripe's rounding example: 0.0645 → 0.06, 0.7265 → 0.73).
- "The amount value supports up to twelve digits for IDR …, and up to eight
  digits for all other currencies" (99999999 is 999,999.99 USD).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .errors import StripeError, invalid

ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())
SUPPORTED = frozenset(
    """usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl
    bsd bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp
    gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf
    krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn
    nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr
    sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv
    wst xaf xcd xof xpf yer zar zmw""".split()
)


def check_currency(code: str, param: str = "currency") -> str:
    """Return ``code`` if Stripe supports it, else refuse it as Stripe does.

    :raises StripeError: for unknown or non-lowercase codes.
    """
    if code not in SUPPORTED:
        listed = ", ".join(["usd", *sorted(SUPPORTED - {"usd"})])
        raise invalid(
            f"Invalid currency: {code}. Stripe currently supports these currencies: {listed}",
            param,
        )
    return code


MAXIMUM_DIGITS = {"idr": 12}


def maximum(currency: str) -> int:
    """The largest amount Stripe takes in ``currency``, in minor units."""
    return int("9" * MAXIMUM_DIGITS.get(currency, 8))


def check_maximum(currency: str, amount: Decimal | int, param: str | None) -> None:
    """Refuse an amount (or unit amount) above Stripe's maximum for ``currency``.

    :raises StripeError: a 400 ``invalid_request_error`` naming ``param``.
    """
    if amount > maximum(currency):
        raise invalid(
            f"This value must be less than or equal to {maximum(currency)} "
            f"(it currently is {decimal_text(Decimal(amount))}).",
            param,
            "amount_too_large",
        )


def check_amount(currency: str, amount: int, param: str = "amount") -> int:
    """Refuse amounts a currency's special rules forbid.

    :raises StripeError: three-decimal amounts not ending in 0, ISK amounts not
        divisible by 100, amounts above Stripe's maximum.
    """
    check_maximum(currency, amount, param)
    if currency in THREE_DECIMAL and amount % 10:
        raise invalid(
            f"Invalid amount: {amount}. {currency.upper()} is a three-decimal currency and "
            "the last digit of the amount must be 0 (round to the nearest ten). See "
            "https://stripe.com/docs/currencies#three-decimal for more information.",
            param,
        )
    if currency == "isk" and amount % 100:
        raise StripeError(
            400,
            "Invalid amount. Currency ISK has become effectively zero-decimal and charged "
            "amounts must be evenly divisible by 100. See "
            "https://stripe.com/docs/currencies#special-cases for more information.",
            code="invalid_charge_amount_no_decimal_compatible",
            param=param,
        )
    return amount


def display(currency: str, amount: int) -> str:
    """An amount as Stripe writes it in messages: ``$20.00``, ``€7.00``, ``1000 JPY``."""
    exponent = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    major = f"{Decimal(amount).scaleb(-exponent):.{exponent}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{major}" if symbol else f"{major} {currency.upper()}"


_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}


def round_minor(value: Decimal) -> int:
    """Round a fractional minor-unit amount to an integer, half up (away from zero)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def decimal_text(value: Decimal) -> str:
    """Render a decimal as Stripe does in ``*_decimal`` fields ("1234.5", "3")."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def percentage(rate: dict[str, Any]) -> Decimal:
    """A tax rate's percentage as a Decimal (floats are stored as the client sent them)."""
    return Decimal(repr(rate["percentage"]))


@dataclass(frozen=True)
class LineTax:
    """The tax one rate adds to (or contains in) one line."""

    rate_id: str
    inclusive: bool
    amount: int
    taxable_amount: int

    def as_stripe(self) -> dict[str, Any]:
        """The ``taxes[]`` / ``total_taxes[]`` entry Stripe returns."""
        return {
            "amount": self.amount,
            "tax_behavior": "inclusive" if self.inclusive else "exclusive",
            "tax_rate_details": {"tax_rate": self.rate_id},
            "taxability_reason": "not_available",
            "taxable_amount": self.taxable_amount,
            "type": "tax_rate_details",
        }


def line_taxes(amount: int, rates: list[dict[str, Any]]) -> list[LineTax]:
    """Taxes of one line: inclusive rates are contained in ``amount``, exclusive added.

    With inclusive rates the net amount is ``amount / (1 + Σ inclusive %)``; each
    inclusive rate's tax is that net times its percentage, rounded; exclusive
    rates apply to the amount net of inclusive tax.
    """
    inclusive = [r for r in rates if r["inclusive"]]
    exclusive = [r for r in rates if not r["inclusive"]]
    total_pct = sum((percentage(r) for r in inclusive), Decimal(0))
    net = Decimal(amount) / (1 + total_pct / 100)
    taxes = [
        LineTax(r["id"], True, round_minor(net * percentage(r) / 100), round_minor(net))
        for r in inclusive
    ]
    base = amount - sum(t.amount for t in taxes)
    taxes += [
        LineTax(r["id"], False, round_minor(base * percentage(r) / 100), base) for r in exclusive
    ]
    return taxes


def aggregate(taxes: list[LineTax]) -> list[LineTax]:
    """Sum line taxes per tax rate, in the order rates first appear."""
    totals: dict[str, LineTax] = {}
    for tax in taxes:
        seen = totals.get(tax.rate_id)
        if seen is None:
            totals[tax.rate_id] = tax
        else:
            totals[tax.rate_id] = LineTax(
                tax.rate_id,
                tax.inclusive,
                seen.amount + tax.amount,
                seen.taxable_amount + tax.taxable_amount,
            )
    return list(totals.values())
