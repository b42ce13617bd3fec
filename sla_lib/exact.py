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


def ceil_share(target_pct, count: int) -> int:
    """The least whole number of ``count`` that is at least ``target_pct`` % of it, exactly:
    ceil(target × count / 100) (a quota of customers, of satisfied ratings...)."""
    share = to_fraction(target_pct) * count / 100
    return -(-share.numerator // share.denominator)


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves away from zero (四舍五入)."""
    return _round_half_up(value)


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


class Rate(Fraction):
    """An exact KPI rate met/total (a Fraction of 1) in report tables: ``str()`` is the
    percentage to 4 decimals, as in the JSON (``'92.8369'``); :meth:`pct` gives it to any
    number of places, rounded half-up from the exact value (never from the 4-decimal text,
    which could round twice). Arithmetic gives plain Fractions."""

    def pct(self, places: int = 1) -> str:
        return pct_text(Fraction(self), places)

    def __str__(self) -> str:
        return self.pct(4)

    def __repr__(self) -> str:
        return f"Rate({self.numerator}, {self.denominator})"

    def __reduce__(self):
        return (Rate, (self.numerator, self.denominator))

