"""An independent re-count of the sample year, row by row in plain Python (csv module,
datetime, chinese_calendar; nothing from sla_lib's engine), compared with `sla fees`.

This is the oracle behind docs/worked-example.md: a different algorithm (per-row loops over
the CSV text, day-by-day service windows) must give the same counts and money to the fen."""

import csv
import functools
import datetime as dt
import json
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import chinese_calendar
import pytest

from conftest import SAMPLES
from sla_lib.cli import main

# the sample terms, written out by hand from data/samples/contract.yaml
OPEN, CLOSE = dt.time(9), dt.time(21)  # every day
LIMIT_MIN = {"phone": 1, "chat": 2, "email": 240}
CONTACT_H, SOLUTION_WD, MIN_SCORE = 2, 3, 4
TARGETS = {"consultation_resolution": 90, "complaint_satisfaction": 85, "followup_satisfaction": 90}
BASE, BONUS_PCT, STEP, PER_STEP, CAP = Decimal("200000.00"), 5, 1, 2, Decimal("60000.00")
PAY_WD, INV_WD = 10, 5
HOLIDAYS_2027 = {dt.date(2027, 1, 1)}


@functools.cache
def rows(table):
    with open(SAMPLES / f"{table}.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def t(text):
    return dt.datetime.fromisoformat(text) if text else None


def is_workday(day):
    if day.year == 2027:
        return day.weekday() < 5 and day not in HOLIDAYS_2027
    return chinese_calendar.is_workday(day)


def nth_workday_after(day, n):
    while n:
        day += dt.timedelta(1)
        n -= is_workday(day)
    return day


def service_seconds(t0, t1):
    total, day = 0.0, t0.date()
    while day <= t1.date():
        lo = max(t0, dt.datetime.combine(day, OPEN))
        hi = min(t1, dt.datetime.combine(day, CLOSE))
        total += max(0.0, (hi - lo).total_seconds())
        day += dt.timedelta(1)
    return total


def recount(month):
    c = [r for r in rows("consultations") if r["received_at"].startswith(month)]
    k = [r for r in rows("complaints") if r["received_at"].startswith(month)]
    f = [r for r in rows("followups") if r["visited_at"].startswith(month)]
    n = [r for r in rows("new_customers") if r["acquired_at"].startswith(month)]
    kpis = {
        "consultation_response": sum(
            1 for r in c if r["first_response_at"] and service_seconds(t(r["received_at"]), t(r["first_response_at"])) <= LIMIT_MIN[r["channel"]] * 60
        ),
        "consultation_resolution": sum(1 for r in c if r["resolved"] == "true"),
        "complaint_contact": sum(
            1 for r in k if r["first_contact_at"] and t(r["first_contact_at"]) - t(r["received_at"]) <= dt.timedelta(hours=CONTACT_H)
        ),
        "complaint_solution": sum(
            1 for r in k if r["preliminary_solution_at"]
            and t(r["preliminary_solution_at"]).date() <= nth_workday_after(t(r["received_at"]).date(), SOLUTION_WD)
        ),
        "complaint_satisfaction": sum(1 for r in k if r["satisfaction"] and int(r["satisfaction"]) >= MIN_SCORE),
        "followup_coverage": len({r["customer_id"] for r in f}),
        "followup_satisfaction": sum(1 for r in f if r["satisfaction"] and int(r["satisfaction"]) >= MIN_SCORE),
    }
    totals = {
        "consultation_response": len(c), "consultation_resolution": len(c),
        "complaint_contact": len(k), "complaint_solution": len(k),
        "complaint_satisfaction": sum(1 for r in k if r["satisfaction"]),
        "followup_coverage": len(n),
        "followup_satisfaction": sum(1 for r in f if r["satisfaction"]),
    }
    deductions = {}
    for key, target in TARGETS.items():
        rate = Decimal(kpis[key]) * 100 / Decimal(totals[key])
        if rate < target:
            steps = ((target - rate) / STEP).to_integral_value(rounding=ROUND_CEILING)
            deductions[key] = (BASE * steps * PER_STEP / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    bonus = Decimal("0.00") if deductions else (BASE * BONUS_PCT / 100).quantize(Decimal("0.01"))
    onsite = sum((Decimal(r["fee"]) for r in rows("onsite_visits") if r["visited_at"].startswith(month)), Decimal("0.00"))
    amount_due = BASE + bonus - min(sum(deductions.values(), Decimal("0.00")), CAP) + onsite
    y, m = int(month[:4]), int(month[5:])
    last_day = dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(1)
    return kpis, totals, deductions, bonus, amount_due, nth_workday_after(last_day, PAY_WD)


@pytest.fixture(scope="module")
def engine_year():
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["fees", "--terms", str(SAMPLES / "contract.yaml"), "--data", str(SAMPLES), "--month", "2026-01:2026-12", "--as-of", "2027-03-31", "--format", "json"])
    return {m["month"]: m for m in json.loads(out.getvalue())["months"]}


@pytest.mark.parametrize("month", [f"2026-{m:02d}" for m in range(1, 13)])
def test_engine_agrees_with_row_by_row_recount(engine_year, month):
    kpis, totals, deductions, bonus, amount_due, payment_due = recount(month)
    got = engine_year[month]
    assert {k: v["met"] for k, v in got["kpis"].items()} == kpis
    assert {k: v["total"] for k, v in got["kpis"].items()} == totals
    assert got["fees"]["deductions"] == {k: str(v) for k, v in deductions.items()}
    assert (got["fees"]["bonus"], got["fees"]["amount_due"], got["fees"]["payment_due"]) == (str(bonus), str(amount_due), payment_due.isoformat())


def test_the_sample_year_has_its_story(engine_year):
    # July misses complaint satisfaction; November sits exactly on its 85 % target
    assert [m for m, o in engine_year.items() if o["fees"]["failing_kpis"]] == ["2026-07"]
    nov = engine_year["2026-11"]["kpis"]["complaint_satisfaction"]
    assert (nov["rate_pct"], nov["ok"]) == ("85.0000", True)
    # August: paid in two parts, the second late; May's invoice one working day late
    aug = engine_year["2026-08"]["fees"]
    assert aug["late_days"] == 6 and aug["late_damages"] != "0.00"
    assert [m for m, o in engine_year.items() if not o["fees"]["invoices_on_time"]] == ["2026-05"]
