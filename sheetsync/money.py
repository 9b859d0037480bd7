"""Money: currencies, their minor units, and exact Decimal conversions.

Stripe takes amounts as integers in the currency's smallest unit. The
exponent (how many decimals the currency has) decides the conversion, so
JPY 5000 is 5000 and USD 12.34 is 1234. Floats never appear here.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Stripe's presentment currencies (docs.stripe.com/currencies).
STRIPE_CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB
    BRL BSD BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP
    ETB EUR FJD FKP GBP GEL GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR ISK
    JMD JOD JPY KES KGS KHR KMF KRW KWD KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA
    MKD MMK MNT MOP MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SEK SGD SHP SLE SOS SRD
    STD SZL THB TJS TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VND VUV WST XAF
    XCD XOF XPF YER ZAR ZMW
    """.split()
)

ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
# Three-decimal currencies whose last digit Stripe requires to be 0.
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())

_AMOUNT_TEXT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")
_CURRENCY_MARKS = "$€£¥₩₹₽₺₪₫₦₱฿"


# Stripe's minimum charge amounts (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts),
# in major units; currencies not listed are checked by Stripe itself.
MINIMUM_CHARGE = {
    "USD": "0.50",
    "AED": "2.00",
    "AUD": "0.50",
    "BGN": "1.00",
    "BRL": "0.50",
    "CAD": "0.50",
    "CHF": "0.50",
    "CZK": "15.00",
    "DKK": "2.50",
    "EUR": "0.50",
    "GBP": "0.30",
    "HKD": "4.00",
    "HUF": "175.00",
    "INR": "0.50",
    "JPY": "50",
    "MXN": "10",
    "MYR": "2",
    "NOK": "3.00",
    "NZD": "0.50",
    "PLN": "2.00",
    "RON": "2.00",
    "SEK": "3.00",
    "SGD": "0.50",
    "THB": "10",
}
# Currencies Stripe writes with two decimals but charges in whole units only.
WHOLE_UNITS_ONLY = frozenset({"ISK"})


def below_minimum(total: Decimal, currency: str) -> str:
    """A message when `total` is under Stripe's minimum charge ('' otherwise)."""
    minimum = MINIMUM_CHARGE.get(currency.upper())
    if minimum is None or total >= Decimal(minimum):
        return ""
    return (
        f"Total {format_amount(total, currency)} is below Stripe's minimum charge of "
        f"{format_amount(Decimal(minimum), currency)}"
    )


def exponent(currency: str) -> int:
    """Return how many decimals amounts in `currency` have in Stripe's API."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def is_supported(currency: str) -> bool:
    """Whether Stripe accepts `currency` (an ISO 4217 code, any case)."""
    return currency.upper() in STRIPE_CURRENCIES


def decimals_allowed(currency: str) -> int:
    """The decimals a person may type: three-decimal currencies end in 0."""
    places = exponent(currency)
    if currency.upper() in WHOLE_UNITS_ONLY:
        return 0
    return 2 if places == 3 else places


def to_minor(amount: Decimal, currency: str) -> int:
    """Convert major units to Stripe's integer minor units, exactly.

    :raises ValueError: when the amount has more decimals than the currency allows.
    """
    places = decimals_allowed(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        unit = "no decimals" if places == 0 else f"at most {places} decimals"
        raise ValueError(f"{currency.upper()} amounts take {unit}; got {amount}")
    return int(amount.scaleb(exponent(currency)))


def minor_decimal(amount: Decimal, currency: str) -> Decimal:
    """Major units as a (possibly fractional) count of minor units."""
    return amount.scaleb(exponent(currency))


def from_minor(minor: int, currency: str) -> Decimal:
    """Convert Stripe's integer minor units back to major units."""
    places = exponent(currency)
    return (Decimal(minor).scaleb(-places)).quantize(Decimal(1).scaleb(-places))


def parse_amount(value: object) -> Decimal:
    """Read a money amount as a person typed it: 1234.5, "1,234.50", "$1,234.50".

    :raises ValueError: with a message fit for the row's Error cell.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, Decimal | int):
        if not Decimal(value).is_finite():
            raise ValueError(f"{value} is not a number")
        return Decimal(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an amount")
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    text = text.strip(_CURRENCY_MARKS)
    if text.upper()[:3].isalpha():
        text = text[3:]
    if not text or not _AMOUNT_TEXT.match(text) or text in {"+", "-", "."}:
        raise ValueError(f'"{value}" is not a number')
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # the pattern already guards this
        raise ValueError(f'"{value}" is not a number') from exc


def format_amount(amount: Decimal, currency: str) -> str:
    """Amount with its currency for people: "1,234.50 USD"."""
    places = exponent(currency)
    return f"{amount:,.{places}f} {currency.upper()}"
