"""PRC working days, service time (C8) and working-day deadlines (spec section 2).

Working days come from chinese-calendar (statutory holidays and adjusted working weekends,
调休上班) with the terms file's ``calendar_overrides`` applied on top. A year the package
does not cover is usable only when the overrides list dates in it; then Monday–Friday are
working days except the listed holidays, plus the listed working days.

Everything here is vectorized over a per-day table: one boolean per calendar day and its
running count of working days / service time, indexed by day number. No per-row loops.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import numpy as np
import pandas as pd

from .errors import CalendarCoverageError

DAY_NS = 86_400 * 10**9
MINUTE_NS = 60 * 10**9
_EPOCH = dt.date(1970, 1, 1)


def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
        return True
    except NotImplementedError:
        return False


def today_in(tz: str, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the contract's zone: the default as-of date of every statement."""
    from zoneinfo import ZoneInfo

    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(ZoneInfo(tz)).date()


def resolve_as_of(as_of, tz: str) -> dt.date:
    """An as-of date given as None (today in ``tz``), a date, a datetime or 'YYYY-MM-DD'."""
    if as_of is None:
        return today_in(tz)
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    try:
        return dt.date.fromisoformat(str(as_of))
    except ValueError:
        from .errors import SlaError

        raise SlaError(f"as_of: not a date in YYYY-MM-DD form: {as_of!r}") from None


def constant_utc_offset(lo_ns: int, hi_ns: int, zone: str) -> int | None:
    """The zone's UTC offset in ns if it is the same at every hour from ``lo_ns`` to ``hi_ns``
    (naive ns, wall time or UTC alike, with a day of slack), else None. China has kept +08:00
    since 1992, so making a month of naive wall times aware is one subtraction instead of
    pandas' ``tz_localize(zone)``, which checks every value for DST gaps (0.5 s per 10 M)."""
    day = 86_400 * 10**9
    hours = pd.date_range(pd.Timestamp(lo_ns - day).floor("h"), pd.Timestamp(hi_ns + day).ceil("h"), freq="h")
    if len(hours) > 100_000:  # more than about 11 years: not worth probing
        return None
    local = hours.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    if local.isna().any():
        return None
    offset = local[0].utcoffset()
    if not (local.tz_convert("UTC").tz_localize(None) == hours - offset).all():
        return None
    return pd.Timedelta(offset).value


def to_local_naive(values, tz: str | None = None) -> pd.Series:
    """Timestamps as naive wall-clock time of the contract zone (``datetime64[ns]``)."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if not isinstance(s.dtype, pd.DatetimeTZDtype) and s.dtype != "datetime64[ns]":
        s = pd.to_datetime(s)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        if tz is not None:
            s = s.dt.tz_convert(tz)
        s = s.dt.tz_localize(None)  # aware -> wall time: pandas looks offsets up in C, fast
    return s.astype("datetime64[ns]")


def day_numbers(values) -> np.ndarray:
    """Days since 1970-01-01 of dates / local naive timestamps (int64; NaT -> min int)."""
    arr = np.asarray(values)
    if arr.dtype.kind == "O":
        arr = pd.to_datetime(pd.Series(values)).to_numpy()
    return arr.astype("datetime64[D]").astype(np.int64)


class WorkCalendar:
    """Which days are PRC working days (工作日)."""

    def __init__(self, holidays=(), workdays=()):
        self._holidays = frozenset(holidays)
        self._workdays = frozenset(workdays)
        self._override_years = {d.year for d in self._holidays | self._workdays}
        self._first = 0  # day number of the table's first day
        self._flags = np.zeros(0, dtype=bool)
        self._years: list[int] = []

    @classmethod
    def from_terms(cls, terms) -> "WorkCalendar":
        overrides = terms.calendar_overrides
        return cls(overrides.holidays, overrides.workdays)

    # -- the per-day table -------------------------------------------------------------
    def year_flags(self, year: int) -> np.ndarray:
        """One bool per day of ``year``: True on working days."""
        days = [dt.date(year, 1, 1) + dt.timedelta(i) for i in range((dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days)]
        if _package_covers(year):
            flags = np.array([chinese_calendar.is_workday(d) for d in days])
        elif year in self._override_years:
            flags = np.array([d.weekday() < 5 for d in days])
        else:
            raise CalendarCoverageError(year, self._supported_text())
        for i, d in enumerate(days):
            if d in self._holidays:
                flags[i] = False
            elif d in self._workdays:
                flags[i] = True
        return flags

    @staticmethod
    def _supported_text() -> str:
        years = [y for y in range(2000, 2100) if _package_covers(y)]
        return f" (chinese-calendar {chinese_calendar.__version__} covers {years[0]}–{years[-1]})" if years else ""

    def _ensure_years(self, first_year: int, last_year: int) -> None:
        if self._years and self._years[0] <= first_year and self._years[-1] >= last_year:
            return
        lo = min([first_year] + self._years[:1])
        hi = max([last_year] + self._years[-1:])
        years = list(range(lo, hi + 1))
        self._flags = np.concatenate([self.year_flags(y) for y in years])
        self._first = (dt.date(lo, 1, 1) - _EPOCH).days
        self._years = years
        self._count = np.cumsum(self._flags)  # working days up to and including each day

    def _ensure_days(self, day_lo: int, day_hi: int) -> None:
        lo = (_EPOCH + dt.timedelta(int(day_lo))).year
        hi = (_EPOCH + dt.timedelta(int(day_hi))).year
        self._ensure_years(lo, hi)

    # -- queries -----------------------------------------------------------------------
    def is_workday_days(self, days: np.ndarray) -> np.ndarray:
        """Vectorized: day numbers (days since 1970-01-01) -> bool."""
        days = np.asarray(days, dtype=np.int64)
        if days.size == 0:
            return np.zeros(0, dtype=bool)
        self._ensure_days(days.min(), days.max())
        return self._flags[days - self._first]

    def is_workday(self, date: dt.date) -> bool:
        return bool(self.is_workday_days(np.array([(date - _EPOCH).days]))[0])

    def nth_workday_after_days(self, days: np.ndarray, n: int) -> np.ndarray:
        """Vectorized civil-code rule: the day of the starting event is not counted; the
        result is the N-th working day after it (N = 0: the day itself)."""
        days = np.asarray(days, dtype=np.int64)
        if n == 0 or days.size == 0:
            return days.copy()
        self._ensure_days(days.min(), days.max())
        while True:
            wanted = self._count[days - self._first] + n
            pos = np.searchsorted(self._count, wanted, side="left")
            if pos.max() < len(self._count):
                return pos + self._first
            self._ensure_years(self._years[0], self._years[-1] + 1)

    def workdays_to_reach(self, start_days: np.ndarray, end_days: np.ndarray) -> np.ndarray:
        """Vectorized inverse of :meth:`nth_workday_after_days`: the least N whose N-th working
        day after each start day is on or after its end day (0 when end <= start)."""
        start = np.asarray(start_days, dtype=np.int64)
        end = np.asarray(end_days, dtype=np.int64)
        if start.size == 0:
            return np.zeros(0, dtype=np.int64)
        self._ensure_days(start.min(), max(start.max(), end.max()))
        before_end = self._count[np.maximum(end - 1, start) - self._first]  # working days up to end − 1
        return np.where(end > start, before_end - self._count[start - self._first] + 1, 0)

    def nth_workday_after(self, date: dt.date, n: int) -> dt.date:
        day = self.nth_workday_after_days(np.array([(date - _EPOCH).days]), n)[0]
        return _EPOCH + dt.timedelta(int(day))

    def workdays_between(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Working days in [first, last], for charts that mark them."""
        lo, hi = (first - _EPOCH).days, (last - _EPOCH).days
        days = np.arange(lo, hi + 1)
        return [_EPOCH + dt.timedelta(int(d)) for d in days[self.is_workday_days(days)]]


class ServiceCalendar:
    """C8: service time is [open, close) on each service day (every day, or working days)."""

    def __init__(self, service_hours, workcal: WorkCalendar | None = None, tz: str | None = None):
        self.days = service_hours.days
        self.open_ns = service_hours.open * MINUTE_NS
        self.close_ns = service_hours.close * MINUTE_NS
        self.workcal = workcal or WorkCalendar()
        self.tz = tz

    @classmethod
    def from_terms(cls, terms, workcal: WorkCalendar | None = None) -> "ServiceCalendar":
        return cls(terms.service_hours, workcal or WorkCalendar.from_terms(terms), terms.contract.timezone)

    def _service_day_flags(self, lo: int, hi: int) -> np.ndarray:
        days = np.arange(lo, hi + 1, dtype=np.int64)
        if self.days == "all":
            return np.ones(days.size, dtype=bool)
        return self.workcal.is_workday_days(days)

    def elapsed(self, start, end) -> pd.Series:
        """Service time inside [start, end] for each pair (timedelta64[ns]; NaT where either
        is missing). A start outside service time effectively starts at the next opening."""
        t0 = to_local_naive(start, self.tz)
        t1 = to_local_naive(end, self.tz)
        index = t0.index
        a = t0.to_numpy().view(np.int64)
        b = t1.to_numpy().view(np.int64)
        valid = ~(t0.isna().to_numpy() | t1.isna().to_numpy())
        out = np.full(a.shape, np.iinfo(np.int64).min, dtype=np.int64)  # NaT
        if valid.any():
            av, bv = a[valid], b[valid]
            da, db = av // DAY_NS, bv // DAY_NS
            lo = int(min(da.min(), db.min()))
            hi = int(max(da.max(), db.max()))
            service = self._service_day_flags(lo, hi)
            per_day = service.astype(np.int64) * (self.close_ns - self.open_ns)
            before = np.concatenate(([0], np.cumsum(per_day)[:-1]))  # service ns before each day

            def cumulative(t, d):
                i = d - lo
                into = np.clip(t - d * DAY_NS - self.open_ns, 0, self.close_ns - self.open_ns)
                return before[i] + into * service[i]

            out[valid] = cumulative(bv, db) - cumulative(av, da)
        return pd.Series(out.view("timedelta64[ns]"), index=index)


def elapsed_wall_clock(start, end, tz: str | None = None) -> pd.Series:
    """Calendar (wall-clock) time between two timestamp columns (timedelta64[ns])."""
    return to_local_naive(end, tz) - to_local_naive(start, tz)


# -- months ------------------------------------------------------------------------------

def parse_month(month: str) -> np.datetime64:
    """'2026-10' -> numpy month; anything else is a ValueError naming the text."""
    try:
        value = np.datetime64(month, "M")
    except (ValueError, TypeError):
        raise ValueError(f"not a month in YYYY-MM form: {month!r}") from None
    if len(str(month)) != 7:
        raise ValueError(f"not a month in YYYY-MM form: {month!r}")
    return value


def month_days(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of a 'YYYY-MM' month."""
    m = parse_month(month)
    first = m.astype("datetime64[D]").astype(dt.date)
    last = ((m + 1).astype("datetime64[D]") - 1).astype(dt.date)
    return first, last


def month_of(values, tz: str | None = None) -> np.ndarray:
    """The month (numpy datetime64[M]) of each local timestamp; NaT stays NaT."""
    return to_local_naive(values, tz).to_numpy().astype("datetime64[M]")


def month_bounds(month: str) -> tuple[np.datetime64, np.datetime64]:
    """[first local midnight of ``month``, first of the next) as naive datetime64[ns]."""
    first = parse_month(month)
    return first.astype("datetime64[ns]"), (first + 1).astype("datetime64[ns]")


def in_month(values, month: str, tz: str | None = None) -> np.ndarray:
    """Which timestamps fall in ``month`` by local time in ``tz`` (spec 2); NaT: False.
    Two comparisons with the month's bounds (no per-value month arithmetic)."""
    local = to_local_naive(values, tz).to_numpy()
    lo, hi = month_bounds(month)
    return (local >= lo) & (local < hi)


def months_between(first: str, last: str) -> list[str]:
    start, end = parse_month(first), parse_month(last)
    if end < start:
        raise ValueError(f"month range ends before it starts: {first}:{last}")
    return [str(m) for m in np.arange(start, end + 1)]
