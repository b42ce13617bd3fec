"""Benchmark 1 (issue #7): service-time elapsed for 1 M rows.

The engine (`sla_lib.calendar.ServiceCalendar.elapsed`: a per-day table of cumulative
service time and index arithmetic) against what analysts write today, measured in one run:
a per-row `businesstimedelta` loop and per-row pandas `CustomBusinessHour` ranges, each on a
subsample and reported per row. Service hours Mon–Fri 09:00–18:00 with the PRC statutory
holidays. Run: `make bench`. Not a test.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sla_lib.calendar import ServiceCalendar, WorkCalendar  # noqa: E402
from sla_lib.terms import ServiceHours  # noqa: E402

ROWS = 1_000_000


def sample(n: int, seed: int = 1) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-01-01T00:00") + rng.integers(0, 330 * 24 * 60, n).astype("timedelta64[m]")
    end = start + rng.integers(0, 3 * 24 * 60, n).astype("timedelta64[m]")
    return pd.Series(start.astype("datetime64[ns]")), pd.Series(end.astype("datetime64[ns]"))


def main() -> None:
    t0, t1 = sample(ROWS)
    holidays = [d for d, _ in chinese_calendar.holidays.items() if d.year == 2026 and d.weekday() < 5] + [dt.date(2027, 1, 1)]
    service = ServiceCalendar(ServiceHours(days="workdays", open="09:00", close="18:00"), WorkCalendar())
    start = time.perf_counter()
    service.elapsed(t0, t1)
    engine = (time.perf_counter() - start) / ROWS

    import businesstimedelta as btd

    rule = btd.Rules([btd.WorkDayRule(start_time=dt.time(9), end_time=dt.time(18), working_days=[0, 1, 2, 3, 4]),
                      btd.HolidayRule(holidays)])
    n_loop = 20_000
    a, b = t0[:n_loop].dt.to_pydatetime(), t1[:n_loop].dt.to_pydatetime()
    start = time.perf_counter()
    for x, y in zip(a, b):
        rule.difference(x, y)
    loop = (time.perf_counter() - start) / n_loop

    cbh = pd.offsets.CustomBusinessHour(start="09:00", end="18:00", holidays=holidays)
    n_cbh = 2_000
    start = time.perf_counter()
    for x, y in zip(t0[:n_cbh], t1[:n_cbh]):
        len(pd.date_range(x, y, freq=cbh))
    custom = (time.perf_counter() - start) / n_cbh

    print(f"service-time elapsed, {ROWS:,} rows: engine {engine * ROWS:.3f} s ({1 / engine / 1e6:.1f} M rows/s)")
    print(f"  per-row businesstimedelta loop: {loop * 1e6:.1f} µs/row -> engine is {loop / engine:,.0f}× faster")
    print(f"  per-row pandas CustomBusinessHour: {custom * 1e6:.1f} µs/row -> engine is {custom / engine:,.0f}× faster")


if __name__ == "__main__":
    main()
