"""Issue 13: the DuckDB query of benchmarks/bench_month_duckdb.py, which `make bench` checks
the project's counts against on a 10 M-consultation month, is itself checked here: on the
committed sample (CSV) it gives sla_lib.kpis.month_kpis' met/total for all seven KPIs, in
every month of the term, and a few counts are worked by hand from the CSV rows. DuckDB is
in the `bench` extra, not in CI's `test` extra: without it these tests are skipped."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest

duckdb = pytest.importorskip("duckdb", reason="duckdb is in the bench extra (pip install -e '.[bench]'), not in CI's test extra")

from sla_lib.calendar import WorkCalendar  # noqa: E402
from sla_lib.data import load_dataset  # noqa: E402
from sla_lib.kpis import month_kpis  # noqa: E402
from sla_lib.terms import load_terms  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples"
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_month_duckdb import KPIS, calendar_table, reference_counts, reference_sql  # noqa: E402

TYPES = {
    "consultations": {"channel": "VARCHAR", "received_at": "TIMESTAMP", "first_response_at": "TIMESTAMP", "resolved": "BOOLEAN"},
    "complaints": {"received_at": "TIMESTAMP", "first_contact_at": "TIMESTAMP", "preliminary_solution_at": "TIMESTAMP",
                   "satisfaction": "INTEGER"},
    "followups": {"customer_id": "VARCHAR", "visited_at": "TIMESTAMP", "satisfaction": "INTEGER"},
    "new_customers": {"customer_id": "VARCHAR", "acquired_at": "TIMESTAMP"},
}


def _csv_sources(folder: Path) -> dict[str, str]:
    def types(t):
        return "{" + ", ".join(f"'{c}': '{v}'" for c, v in TYPES[t].items()) + "}"
    return {t: f"read_csv('{folder / f'{t}.csv'}', header = true, types = {types(t)})" for t in TYPES}


@pytest.fixture(scope="module")
def terms():
    return load_terms(SAMPLE / "contract.yaml")


@pytest.fixture(scope="module")
def sample(terms):
    return load_dataset(SAMPLE, terms)


def _project(sample, terms, month):
    k = month_kpis(sample, terms, month, WorkCalendar.from_terms(terms))
    return {key: (k[key].met, k[key].total) for key in KPIS}


def test_reference_query_equals_month_kpis_in_october(sample, terms):
    got = reference_counts(duckdb.connect(), _csv_sources(SAMPLE), terms, "2026-10")
    assert got == _project(sample, terms, "2026-10")
    assert got["consultation_response"] == (1702, 1850) and got["complaint_contact"] == (120, 143)  # `sla kpis` prints these


@pytest.mark.parametrize("month", [f"2026-{m:02d}" for m in range(1, 13)])
def test_reference_query_equals_month_kpis_in_every_month(sample, terms, month):
    assert reference_counts(duckdb.connect(), _csv_sources(SAMPLE), terms, month) == _project(sample, terms, month)


def test_reference_query_with_a_service_clock_for_c2_and_workday_service(sample, terms):
    """The other branches of the query: C2 on the service clock, service on working days only."""
    changed = terms.with_changes({"standards.complaint_contact_clock": "service", "service_hours.days": "workdays"})
    for month in ("2026-02", "2026-10"):
        got = reference_counts(duckdb.connect(), _csv_sources(SAMPLE), changed, month)
        assert got == _project(sample, changed, month)


def test_counts_worked_by_hand_from_the_csv_rows(terms):
    """October 2026 from the raw rows with plain Python (no sla_lib, no DuckDB): C9 resolved,
    C10 satisfied of rated, C6 distinct customers followed up, C3 by counting working days."""
    con = pd.read_csv(SAMPLE / "consultations.csv", dtype=str, keep_default_na=False)
    cmp = pd.read_csv(SAMPLE / "complaints.csv", dtype=str, keep_default_na=False)
    fu = pd.read_csv(SAMPLE / "followups.csv", dtype=str, keep_default_na=False)
    new = pd.read_csv(SAMPLE / "new_customers.csv", dtype=str, keep_default_na=False)
    oct_con = con[con["received_at"].str.startswith("2026-10")]
    oct_cmp = cmp[cmp["received_at"].str.startswith("2026-10")]
    oct_fu = fu[fu["visited_at"].str.startswith("2026-10")]
    resolved = int((oct_con["resolved"] == "true").sum())
    rated = [int(v) for v in oct_cmp["satisfaction"] if v]
    followed = len(set(oct_fu["customer_id"]))
    new_oct = int(new["acquired_at"].str.startswith("2026-10").sum())

    def deadline(day: dt.date, n: int = 3) -> dt.date:  # the n-th working day after the day (chinese-calendar)
        import chinese_calendar
        while n:
            day += dt.timedelta(days=1)
            n -= chinese_calendar.is_workday(day)
        return day

    on_time = sum(1 for r, s in zip(oct_cmp["received_at"], oct_cmp["preliminary_solution_at"])
                  if s and dt.date.fromisoformat(s[:10]) <= deadline(dt.date.fromisoformat(r[:10])))
    got = reference_counts(duckdb.connect(), _csv_sources(SAMPLE), terms, "2026-10")
    assert got["consultation_resolution"] == (resolved, len(oct_con))
    assert got["complaint_satisfaction"] == (sum(v >= 4 for v in rated), len(rated))
    assert got["followup_coverage"] == (followed, new_oct)
    assert got["complaint_solution"] == (on_time, len(oct_cmp))
    # spec 2's example: received 2026-09-30, N = 3 -> 2026-10-10 (an adjusted working Saturday)
    assert deadline(dt.date(2026, 9, 30)) == dt.date(2026, 10, 10)
    table = calendar_table(terms, "2026-09").to_pydict()
    row = table["day"].index((dt.date(2026, 9, 30) - dt.date(1970, 1, 1)).days)
    assert table["deadline_day"][row] == (dt.date(2026, 10, 10) - dt.date(1970, 1, 1)).days


def test_the_query_is_one_statement_over_the_four_tables(terms):
    sql = reference_sql({t: t for t in TYPES}, terms, "2026-10")
    assert sql.count("FROM consultations") == sql.count("FROM complaints") == 1
    assert "JOIN cal" in sql and "count(DISTINCT customer_id)" in sql
