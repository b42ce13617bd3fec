"""Exact arithmetic shared by KPIs and fees: rates as Fractions, money as Decimal fen."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

FEN = Decimal("0.01")


def _round_half_up(value: Fraction) -> int:
    """Nearest integer, halves away from zero (四舍五入)."""
    sign = -1 if value < 0 else 1
    value = abs(value)
    return sign * ((2 * value.numerator + value.denominator) // (2 * value.denominator))


def to_fraction(value) -> Fraction:
    """Decimal / int / Fraction -> Fraction, exactly. Floats are refused on purpose."""
    if isinstance(value, float):
        raise TypeError("floats are not exact; pass a Decimal, int or Fraction")
    return value if isinstance(value, Fraction) else Fraction(value)


def to_fen(value) -> Decimal:
    """Round a money amount to 0.01 CNY, half-up."""
    cents = _round_half_up(to_fraction(value) * 100)
    return (Decimal(cents) / 100).quantize(FEN)


def pct_text(rate: Fraction | None, places: int = 4) -> str | None:
    """An exact rate as percent text rounded half-up (2/3 -> '66.6667'); None stays None."""
    if rate is None:
        return None
    scaled = _round_half_up(rate * 100 * 10**places)
    return str((Decimal(scaled) / Decimal(10) ** places).quantize(Decimal(1).scaleb(-places)))


def decimal_text(value: Decimal) -> str:
    """A Decimal without exponent notation or trailing zeros ('90', '92.5')."""
    text = format(value.normalize(), "f")
    return text
