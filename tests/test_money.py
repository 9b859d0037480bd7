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
    ],
)
def test_parse_amount_reads_what_people_type(typed: object, value: str) -> None:
    assert money.parse_amount(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["abc", "1,23,4", "1.2.3", "", "$", True, None, "12 apples"])
def test_parse_amount_refuses_non_numbers(typed: object) -> None:
    with pytest.raises(ValueError):
        money.parse_amount(typed)


def test_exponents_follow_stripe() -> None:
    assert {c: money.exponent(c) for c in ("usd", "JPY", "KWD", "VND", "EUR")} == {
        "usd": 2,
        "JPY": 0,
        "KWD": 3,
        "VND": 0,
        "EUR": 2,
    }
    assert money.is_supported("usd") and not money.is_supported("XYZ")
