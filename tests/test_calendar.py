"""The calendar against the spec's hand-worked example and a brute-force minute-by-minute oracle."""

import datetime as dt

import chinese_calendar
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla_lib.calendar import ServiceCalendar, WorkCalendar
from sla_lib.errors import CalendarCoverageError
from sla_lib.terms import ServiceHours

D = dt.date


def test_2026_adjusted_working_days_are_working_days():
    cal = WorkCalendar()
    for day in [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)]:
        assert day.weekday() >= 5
        assert cal.is_workday(day), day


def test_holidays_are_not_working_days():
    cal = WorkCalendar()
    for day in [D(2026, 1, 1), D(2026, 2, 17), D(2026, 10, 1), D(2026, 10, 7)]:
        assert not cal.is_workday(day)
    assert cal.is_workday(D(2026, 10, 9))  # a plain Friday


def test_spec_example_deadline_on_adjusted_saturday():
    # received 2026-09-30, N = 3: Oct 1-7 holidays, Oct 8 (Thu) and 9 (Fri) working days,
    # Oct 10 (Sat) an adjusted working day -> deadline 2026-10-10.
    assert WorkCalendar().nth_workday_after(D(2026, 9, 30), 3) == D(2026, 10, 10)


def test_payment_deadline_counts_from_month_end():
    # October's payment, N = 10: Nov 2..6, 9..13 -> Nov 13 (spec section 7's example).
    assert WorkCalendar().nth_workday_after(D(2026, 10, 31), 10) == D(2026, 11, 13)


def test_zero_workdays_is_the_day_itself():
    assert WorkCalendar().nth_workday_after(D(2026, 10, 3), 0) == D(2026, 10, 3)


def test_uncovered_year_is_a_clear_error():
    with pytest.raises(CalendarCoverageError) as err:
        WorkCalendar().is_workday(D(2027, 1, 4))
    assert "2027" in str(err.value) and "calendar_overrides" in str(err.value)


def test_deadline_running_into_an_uncovered_year_is_an_error():
    with pytest.raises(CalendarCoverageError, match="2027"):
        WorkCalendar().nth_workday_after(D(2026, 12, 31), 10)


def test_overrides_supply_an_uncovered_year():
    cal = WorkCalendar(holidays=[D(2027, 1, 1)])
    # 2027-01-01 is a Friday (holiday); Jan 4..8, 11..15 -> 10th working day is Jan 15
    assert cal.nth_workday_after(D(2026, 12, 31), 10) == D(2027, 1, 15)
    assert not cal.is_workday(D(2027, 1, 2))


def test_overrides_change_a_covered_year():
    cal = WorkCalendar(holidays=[D(2026, 10, 9)], workdays=[D(2026, 10, 11)])
    assert not cal.is_workday(D(2026, 10, 9))
    assert cal.is_workday(D(2026, 10, 11))


def test_workday_vector_agrees_with_chinese_calendar_for_every_day_2004_2026():
    cal = WorkCalendar()
    days = np.arange((D(2004, 1, 1) - D(1970, 1, 1)).days, (D(2027, 1, 1) - D(1970, 1, 1)).days)
    ours = cal.is_workday_days(days)
    theirs = [chinese_calendar.is_workday(D(1970, 1, 1) + dt.timedelta(int(d))) for d in days]
    assert ours.tolist() == theirs


def _hours(days, open_, close):
    return ServiceHours(days=days, open=open_, close=close)


def test_consultation_arriving_at_night_starts_at_next_opening():
    svc = ServiceCalendar(_hours("all", "09:00", "21:00"))
    start = pd.Series(pd.to_datetime(["2026-10-12 23:30", "2026-10-18 08:00"]))  # Mon night, Sunday morning
    end = pd.Series(pd.to_datetime(["2026-10-13 09:01", "2026-10-18 09:00:30"], format="ISO8601"))
    assert svc.elapsed(start, end).tolist() == [pd.Timedelta(minutes=1), pd.Timedelta(seconds=30)]


def test_workdays_service_skips_weekend_and_uses_adjusted_saturday():
    svc = ServiceCalendar(_hours("workdays", "09:00", "18:00"))
    # Fri 2026-10-09 17:58 -> Sat 2026-10-10 (adjusted working day) 09:03: 2 + 3 minutes
    # Fri 2026-10-16 17:58 -> Mon 2026-10-19 09:03: weekend skipped, 5 minutes
    start = pd.Series(pd.to_datetime(["2026-10-09 17:58", "2026-10-16 17:58"]))
    end = pd.Series(pd.to_datetime(["2026-10-10 09:03", "2026-10-19 09:03"]))
    assert svc.elapsed(start, end).tolist() == [pd.Timedelta(minutes=5)] * 2


def test_close_at_midnight_and_missing_end():
    svc = ServiceCalendar(_hours("all", "08:00", "24:00"))
    start = pd.Series(pd.to_datetime(["2026-03-01 23:50", "2026-03-01 10:00"]))
    end = pd.Series(pd.to_datetime(["2026-03-02 08:10", None]))
    got = svc.elapsed(start, end)
    assert got.iloc[0] == pd.Timedelta(minutes=20)
    assert pd.isna(got.iloc[1])


def test_timezone_aware_inputs_are_converted_to_contract_zone():
    svc = ServiceCalendar(_hours("all", "09:00", "21:00"), tz="Asia/Shanghai")
    start = pd.Series(pd.to_datetime(["2026-10-12T00:59:00Z"])).dt.tz_convert("UTC")  # 08:59 local
    end = pd.Series(pd.to_datetime(["2026-10-12T01:02:00Z"]))  # 09:02 local
    assert svc.elapsed(start, end).tolist() == [pd.Timedelta(minutes=2)]


# -- brute-force oracles ------------------------------------------------------------------

def _oracle_service_minutes(t0: dt.datetime, t1: dt.datetime, days: str, open_m: int, close_m: int) -> int:
    count, t = 0, t0
    while t < t1:
        service_day = days == "all" or chinese_calendar.is_workday(t.date())
        minute = t.hour * 60 + t.minute
        if service_day and open_m <= minute < close_m:
            count += 1
        t += dt.timedelta(minutes=1)
    return count


_moments = st.datetimes(min_value=dt.datetime(2025, 12, 20), max_value=dt.datetime(2026, 10, 31)).map(
    lambda t: t.replace(second=0, microsecond=0)
)


@st.composite
def _service_hours(draw):
    open_m = draw(st.integers(0, 1439))
    close_m = draw(st.integers(open_m + 1, 1440))
    return draw(st.sampled_from(["all", "workdays"])), open_m, close_m


@settings(max_examples=150, deadline=None)
@given(_moments, st.integers(0, 4 * 1440), _service_hours())
def test_service_elapsed_equals_minute_by_minute_oracle(t0, span, hours):
    days, open_m, close_m = hours
    t1 = t0 + dt.timedelta(minutes=span)
    svc = ServiceCalendar(
        _hours(days, f"{open_m // 60:02d}:{open_m % 60:02d}", f"{close_m // 60:02d}:{close_m % 60:02d}")
    )
    got = svc.elapsed(pd.Series([pd.Timestamp(t0)]), pd.Series([pd.Timestamp(t1)])).iloc[0]
    assert got == pd.Timedelta(minutes=_oracle_service_minutes(t0, t1, days, open_m, close_m))


def _oracle_nth_workday_after(day: dt.date, n: int) -> dt.date:
    while n > 0:
        day += dt.timedelta(1)
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 11, 30)), st.integers(0, 15))
def test_nth_workday_after_equals_day_by_day_oracle(day, n):
    assert WorkCalendar().nth_workday_after(day, n) == _oracle_nth_workday_after(day, n)


def test_vectorized_deadlines_match_scalar_ones():
    cal = WorkCalendar()
    starts = np.arange((D(2026, 1, 1) - D(1970, 1, 1)).days, (D(2026, 12, 1) - D(1970, 1, 1)).days)
    got = cal.nth_workday_after_days(starts, 3)
    expected = [(_oracle_nth_workday_after(D(1970, 1, 1) + dt.timedelta(int(s)), 3) - D(1970, 1, 1)).days for s in starts]
    assert got.tolist() == expected


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 11, 30)), st.integers(-3, 20))
def test_workdays_to_reach_is_the_least_n(start, offset):
    end = start + dt.timedelta(days=offset)
    epoch = D(1970, 1, 1)
    got = WorkCalendar().workdays_to_reach(np.array([(start - epoch).days]), np.array([(end - epoch).days]))[0]
    least = 0
    while _oracle_nth_workday_after(start, least) < end:
        least += 1
    assert got == least
