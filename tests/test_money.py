"""Money: exact conversions to and from Stripe's minor units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sheetsync import money


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1234.50", "USD", 123450),
        ("0.01", "EUR", 1),
        ("19.99", "GBP", 1999),
        ("5000", "JPY", 5000),
        ("1000000", "KRW", 1000000),
        ("12.340", "KWD", 12340),
        ("0.5", "BHD", 500),
        ("7", "TND", 7000),
        ("990", "CLP", 990),
    ],
)
def test_to_minor_is_exact(amount: str, currency: str, minor: int) -> None:
    assert money.to_minor(Decimal(amount), currency) == minor
    assert money.from_minor(minor, currency) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("10.5", "JPY"), ("1.001", "USD"), ("12.345", "KWD"), ("0.1", "KRW")],
)
def test_amounts_the_currency_cannot_hold_are_refused(amount: str, currency: str) -> None:
    with pytest.raises(ValueError, match=currency):
        money.to_minor(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1,234.50", "1234.50"),
        ("$1,234.50", "1234.50"),
        (" 1234.5 ", "1234.5"),
        ("USD 99", "99"),
        ("€12", "12"),
        (Decimal("1234.5"), "1234.5"),
        (5000, "5000"),
        ("-3", "-3"),
        ("1.234,50", "1234.50"),
        ("1 234,50", "1234.50"),
        ("1\u00a0234,50", "1234.50"),
        ("1'234.50", "1234.50"),
        ("1\u2019234.50", "1234.50"),
        ("1234,5", "1234.5"),
        ("1,5", "1.5"),
        ("1.234.567", "1234567"),
        ("1,234,567", "1234567"),
        ("1 234 567", "1234567"),
        ("1.234.567,89", "1234567.89"),
        ("1.234,567", "1234.567"),
        ("1,234.567", "1234.567"),
        ("1234.567", "1234.567"),
        ("0.250", "0.25"),
        (".250", "0.25"),
        ("12,5000", "12.5"),
        ("10 €", "10"),
        ("-$5", "-5"),
        ("kr 1.234,50", "1234.50"),
        ("R$ 10,50", "10.50"),
        ("$5 USD", "5"),
    ],
)
def test_parse_amount_reads_what_people_type(typed: object, value: str) -> None:
    assert money.parse_amount(typed) == Decimal(value)


@pytest.mark.parametrize(
    "typed",
    [
        "abc",
        "1,23,4",
        "1.2.3",
        "",
        "$",
        True,
        None,
        "12 apples",
        "1,234.567,89",
        "1.234 567",
        "1 2",
        "1.",
        "1e26",
        "NaN",
        "Infinity",
        "10^400",
        "+-5",
        "$5 EUR",
        "XYZ 5",
        Decimal("NaN"),
        Decimal("-Infinity"),
    ],
)
def test_parse_amount_refuses_non_numbers(typed: object) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        money.parse_amount(typed)


@pytest.mark.parametrize(
    ("typed", "small", "large"),
    [("1.250", "1.25", "1250"), ("1,250", "1.25", "1250"), ("12,500", "12.5", "12500")],
)
def test_one_separator_before_three_digits_is_refused_as_ambiguous(
    typed: str, small: str, large: str
) -> None:
    with pytest.raises(ValueError) as refused:
        money.parse_amount(typed)
    assert str(refused.value) == (
        f'"{typed}" could be {small} or {large}: type {large} or {small} without thousands '
        "separators, or enter it as a number"
    )


@pytest.mark.parametrize(
    ("typed", "agrees", "disagrees", "named"),
    [
        ("$10", ["USD", "CAD", "AUD", "MXN", "usd"], ["EUR", "GBP", "JPY"], "marked $"),
        ("10 €", ["EUR"], ["USD"], "in EUR"),
        ("EUR 10", ["EUR"], ["USD"], "in EUR"),
        ("jpy 5000", ["JPY"], ["EUR", "CNY"], "in JPY"),
        ("£100", ["GBP"], ["USD", "EUR", "GIP"], "in GBP"),
        ("¥5000", ["JPY", "CNY"], ["EUR"], "in CNY or JPY"),
        ("100 kr", ["SEK", "NOK", "DKK", "ISK"], ["EUR"], "marked kr"),
        ("US$ 5", ["USD"], ["CAD"], "in USD"),
        ("12.5", ["USD", "EUR"], [], ""),
    ],
)
def test_a_currency_mark_agrees_only_with_its_currencies(
    typed: str, agrees: list[str], disagrees: list[str], named: str
) -> None:
    read = money.read_number(typed)
    assert all(read.agrees(c) for c in agrees)
    assert not any(read.agrees(c) for c in disagrees)
    if named:
        assert read.named().startswith(named)


def test_exponents_follow_stripe() -> None:
    assert {c: money.exponent(c) for c in ("usd", "JPY", "KWD", "VND", "EUR")} == {
        "usd": 2,
        "JPY": 0,
        "KWD": 3,
        "VND": 0,
        "EUR": 2,
    }
    assert money.is_supported("usd") and not money.is_supported("XYZ")
