"""Money: currencies, their minor units, and exact Decimal conversions.

Stripe takes amounts as integers in the currency's smallest unit. The
exponent (how many decimals the currency has) decides the conversion, so
JPY 5000 is 5000 and USD 12.34 is 1234. Floats never appear here.

People type amounts in either convention ("1,234.50", "1.234,50",
"1 234,50", "1'234.50") with a sign or ISO code before or after; `read_number`
is the one reader of such text, for prices and quantities alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

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

_DOLLARS = frozenset(
    """USD CAD AUD NZD SGD HKD TWD MXN ARS CLP COP UYU DOP BSD BBD BZD BMD BND FJD GYD
    JMD KYD LRD NAD SBD SRD TTD XCD""".split()
)
# The signs people type for a currency, casefolded. A sign several currencies
# use ($, ¥, kr) agrees with any of them.
CURRENCY_SIGNS: dict[str, frozenset[str]] = {
    "$": _DOLLARS,
    "us$": frozenset({"USD"}),
    "c$": frozenset({"CAD", "NIO"}),
    "ca$": frozenset({"CAD"}),
    "a$": frozenset({"AUD"}),
    "au$": frozenset({"AUD"}),
    "nz$": frozenset({"NZD"}),
    "hk$": frozenset({"HKD"}),
    "s$": frozenset({"SGD"}),
    "nt$": frozenset({"TWD"}),
    "mx$": frozenset({"MXN"}),
    "r$": frozenset({"BRL"}),
    "€": frozenset({"EUR"}),
    "£": frozenset({"GBP"}),
    "¥": frozenset({"JPY", "CNY"}),
    "₩": frozenset({"KRW"}),
    "₹": frozenset({"INR"}),
    "₽": frozenset({"RUB"}),
    "₺": frozenset({"TRY"}),
    "₪": frozenset({"ILS"}),
    "₫": frozenset({"VND"}),
    "₦": frozenset({"NGN"}),
    "₱": frozenset({"PHP"}),
    "฿": frozenset({"THB"}),
    "kr": frozenset({"SEK", "NOK", "DKK", "ISK"}),
    "zł": frozenset({"PLN"}),
    "kč": frozenset({"CZK"}),
    "ft": frozenset({"HUF"}),
}

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
# The same page: "The amount value supports up to twelve digits for IDR ..., and
# up to eight digits for all other currencies" (99999999 is 999,999.99 USD).
MAXIMUM_DIGITS = {"IDR": 12}
DEFAULT_MAXIMUM_DIGITS = 8
# Currencies Stripe writes with two decimals but charges in whole units only.
WHOLE_UNITS_ONLY = frozenset({"ISK"})
# Wide enough that products of amounts within Stripe's limits are exact.
_EXACT = Context(prec=60, rounding=ROUND_HALF_UP)

_SEPARATORS = ".,' \u00a0\u202f\u2009’"
_TYPED = re.compile(
    r"(?P<sign>[+-]?)\s*(?P<before>[^\d\s.,+-]*?)\s*(?P<sign2>[+-]?)\s*"
    rf"(?P<number>[.,]?\d(?:[\d{_SEPARATORS}]*\d)?)\s*(?P<after>[^\d\s.,+-]*)"
)


@dataclass(frozen=True)
class Typed:
    """A number read from a cell, with the currency sign or code typed with it."""

    amount: Decimal
    mark: str = ""
    currencies: frozenset[str] = frozenset()
    """The currencies the mark can stand for (empty without a mark)."""
    typed: str = ""
    grouped: Decimal | None = None
    """The other reading of text like "1.250": its separator as thousands (1250)."""

    def agrees(self, currency: str) -> bool:
        """Whether the mark, if any, can stand for `currency`."""
        return not self.mark or currency.upper() in self.currencies

    def named(self) -> str:
        """What the mark says, for a message: 'in GBP', 'in CNY or JPY', 'marked $'."""
        if len(self.currencies) <= 3:
            return "in " + " or ".join(sorted(self.currencies))
        return f"marked {self.mark}"

    def ambiguity(self, currency: str = "") -> str:
        """Why the text could mean two amounts ('' when it cannot, in `currency`).

        Three digits after one "." are a three-decimal currency's own decimals
        (12.340 KWD); any other single "." or "," before three digits could
        group thousands as well.
        """
        if self.grouped is None:
            return ""
        code = currency.upper()
        if code in THREE_DECIMAL and "." in self.typed:
            return ""
        small, large = format(self.amount.normalize(), "f"), format(self.grouped, "f")
        said = f'"{self.typed}" could be {small} or {large}'
        if code and self.amount != self.amount.quantize(_smallest(code)):
            return (
                f"{said}, but {_decimals_rule(code)}: type {large} without thousands "
                "separators, or enter it as a number"
            )
        return (
            f"{said}: type {large} or {small} without thousands separators, or enter it as a number"
        )


def read_number(value: object) -> Typed:
    """Read a number as a person typed it, in either convention.

    Number cells are taken as they are. Text may group thousands with ".",
    ",", a space or an apostrophe and mark decimals with "." or ","; a
    currency sign or ISO code may come before or after the number. Text
    like "1.250" is read with its separator as the decimal point and the
    other reading kept (see `Typed.ambiguity`).

    :raises ValueError: with a message to follow the column's name in the
        row's Error cell ('"ten" is not a number').
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValueError(f"{value!r} is not a number")
    if not isinstance(value, str):
        if not Decimal(value).is_finite():
            raise ValueError(f"{value} is not a number")
        return Typed(Decimal(value))
    found = _TYPED.fullmatch(value.strip())
    if found is None or (found["sign"] and found["sign2"]):
        raise ValueError(f'"{value}" is not a number')
    mark, currencies = _mark(found["before"], found["after"], value)
    sign = found["sign"] + found["sign2"]
    digits, grouped = _plain_digits(found["number"], value)
    other = None if grouped is None else Decimal(sign + grouped)
    return Typed(Decimal(sign + digits), mark, currencies, value, other)


def parse_amount(value: object) -> Decimal:
    """A money amount as a person typed it ("$1,234.50", "1.234,50 €"), any mark accepted.

    :raises ValueError: as `read_number`, and for text that could mean two amounts.
    """
    read = read_number(value)
    if read.ambiguity():
        raise ValueError(read.ambiguity())
    return read.amount


def _mark(before: str, after: str, typed: str) -> tuple[str, frozenset[str]]:
    """The currency mark around a number and the currencies it can stand for."""
    marks = [m for m in (before, after) if m]
    if not marks:
        return "", frozenset()
    found = [CURRENCY_SIGNS.get(m.casefold()) or _iso(m) for m in marks]
    currencies = frozenset.intersection(*found)
    if not currencies:  # an unknown mark, or two that disagree ("$5 EUR")
        raise ValueError(f'"{typed}" is not a number')
    return marks[0], currencies


def _iso(mark: str) -> frozenset[str]:
    return frozenset({mark.upper()}) if mark.upper() in STRIPE_CURRENCIES else frozenset()


def _plain_digits(number: str, typed: str) -> tuple[str, str | None]:
    """The number with "." as its only separator ("1.234,5" → "1234.5"), and, when
    one "." or "," before three digits could also group thousands, that reading.

    :raises ValueError: when the separators follow no convention.
    """
    text = re.sub(r"[\s’]", lambda m: "'" if m[0] == "’" else " ", number)
    separators = [c for c in text if not c.isdigit()]
    if not separators:
        return text, None
    last = separators[-1]
    if last not in ".," or separators.count(last) > 1:
        return _ungrouped(text, typed), None
    head, tail = text.rsplit(last, 1)
    could_group = len(tail) == 3 and len(separators) == 1 and _thousands_prefix(head)
    return _ungrouped(head, typed) + "." + tail, head + tail if could_group else None


def _thousands_prefix(head: str) -> bool:
    """Whether digits could be the first group of a number grouped in thousands."""
    return head.isdigit() and len(head) <= 3 and int(head) != 0


def _ungrouped(text: str, typed: str) -> str:
    """Digits grouped in threes by one kind of separator, without it."""
    kinds = {c for c in text if not c.isdigit()}
    groups = re.split(r"[.,' ]", text)
    if kinds and (
        len(kinds) > 1 or not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])
    ):
        raise ValueError(f'"{typed}" is not a number')
    return "".join(groups)


def below_minimum(total: int, currency: str) -> str:
    """A message when `total` (minor units) is under Stripe's minimum charge ('' otherwise)."""
    minimum = MINIMUM_CHARGE.get(currency.upper())
    if minimum is None or from_minor(total, currency) >= Decimal(minimum):
        return ""
    return (
        f"Total {format_amount(from_minor(total, currency), currency)} is below Stripe's "
        f"minimum charge of {format_amount(Decimal(minimum), currency)}"
    )


def maximum(currency: str) -> int:
    """The largest amount Stripe takes in one amount field, in minor units."""
    return int("9" * MAXIMUM_DIGITS.get(currency.upper(), DEFAULT_MAXIMUM_DIGITS))


def above_maximum(amount: Decimal, currency: str, what: str, per: str) -> str:
    """A message when `amount` (major units) is over Stripe's maximum ('' otherwise).

    `what` names the amount ("Total"), `per` what the limit is for ("one invoice").
    """
    most = from_minor(maximum(currency), currency)
    if amount <= most:
        return ""
    return (
        f"{what} {format_amount(amount, currency)} is above Stripe's maximum of "
        f"{format_amount(most, currency)} for {per}"
    )


def line_minor(quantity: Decimal, unit_price: Decimal, currency: str) -> int:
    """A line's amount in minor units as Stripe bills it.

    Stripe multiplies quantity by the unit amount in minor units and rounds
    half up to a whole minor unit, once per line (2.5 × 10.01 USD is 2503).
    Exact for any line within Stripe's limits.
    """
    with localcontext(_EXACT):
        return int((quantity * minor_decimal(unit_price, currency)).to_integral_value())


def unchargeable(minor: int, currency: str) -> str:
    """Why Stripe refuses `minor` in `currency` ('' when it takes it).

    Three-decimal amounts must end in 0 and ISK amounts be whole krónur, so a
    fractional quantity can round a line to an amount Stripe refuses.
    """
    step = 10 ** (exponent(currency) - decimals_allowed(currency))
    if minor % step == 0:
        return ""
    shown = format_amount(from_minor(minor, currency), currency)
    return f"comes to {shown}, but {_decimals_rule(currency)}"


def line_tax_minor(amount: int, percent: Decimal) -> int:
    """The tax added to a line of `amount` minor units, rounded per line half up as Stripe does."""
    return int((Decimal(amount) * percent / 100).quantize(Decimal(1), ROUND_HALF_UP))


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

    :raises ValueError: when the amount has more decimals than the currency
        allows, or is not a finite number within Stripe's maximum.
    """
    if not amount.is_finite() or abs(amount) > from_minor(maximum(currency), currency):
        raise ValueError(f"{amount} is not an amount Stripe can take in {currency.upper()}")
    if amount != amount.quantize(_smallest(currency)):
        raise ValueError(f"{_decimals_rule(currency)}; got {amount}")
    return int(amount.scaleb(exponent(currency)))


def _smallest(currency: str) -> Decimal:
    """The smallest step a person may type in `currency` (0.01, or 1 for JPY)."""
    return Decimal(1).scaleb(-decimals_allowed(currency))


def _decimals_rule(currency: str) -> str:
    places = decimals_allowed(currency)
    unit = "no decimals" if places == 0 else f"at most {places} decimals"
    return f"{currency.upper()} amounts take {unit}"


def minor_decimal(amount: Decimal, currency: str) -> Decimal:
    """Major units as a (possibly fractional) count of minor units."""
    return amount.scaleb(exponent(currency))


def from_minor(minor: int, currency: str) -> Decimal:
    """Convert Stripe's integer minor units back to major units."""
    places = exponent(currency)
    return (Decimal(minor).scaleb(-places)).quantize(Decimal(1).scaleb(-places))


def format_amount(amount: Decimal, currency: str) -> str:
    """Amount with its currency for people: "1,234.50 USD" ("1.00E+26 USD" when huge)."""
    if amount.is_finite() and amount.adjusted() >= 15:
        return f"{amount:.2E} {currency.upper()}"
    places = exponent(currency)
    return f"{amount:,.{places}f} {currency.upper()}"
