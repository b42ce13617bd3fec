"""The month in progress (issue 15), on hand-worked cases. Sample terms: targets C9 90 %,
C10 85 %, C11 90 %; base 200000.00, bonus 5 %; payment 10 working days after the month
(October 2026: due 2026-11-13), invoice 5 working days after the payment, termination right
after more than 30 days late; term 2026-01-01..2026-12-31 with a 30-day objection notice:
the objection deadline (C7) is 2026-12-01."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction as F

import pytest

from conftest import SAMPLES, consultations, dataset, payments, run_cli, sample_as_parquet
from sla_lib import views
from sla_lib.kpis import month_kpis
from sla_lib.outlook import (
    WARNING_DAYS,
    deadline_status,
    known_at,
    month_outlook,
    month_position,
    payment_deadlines,
    renewal_deadlines,
    what_it_takes,
)
from sla_lib.calendar import WorkCalendar
from sla_lib.exact import pct_text
from sla_lib.fees import month_fee_statement

D = Decimal


@pytest.fixture(scope="module")
def sample():
    return views.load_inputs(SAMPLES / "contract.yaml", SAMPLES)


# -- what it takes (C9–C11) -------------------------------------------------------------------

def test_target_exactly_reachable():
    # 64 of 74 rated so far, 26 to come, target 85 %: 85 % of 100 = 85, so 21 more satisfied
    # give exactly 85/100 = 85 % (met); 20 would give 84/100 (missed)
    t = what_it_takes("complaint_satisfaction", 64, 74, 26, D("85"))
    assert (t.needed, t.status, t.clause) == (21, "reachable", "C10")
    assert F(64 + 21, 100) * 100 == 85 and F(64 + 20, 100) * 100 < 85


def test_issue_example_37_of_40():
    # nothing rated yet, about 40 to come, target 92.5 %: 92.5 % × 40 = 37 exactly
    t = what_it_takes("complaint_satisfaction", 0, 0, 40, D("92.5"))
    assert (t.needed, t.status) == (37, "reachable")
    # one more to come: 92.5 % × 41 = 37.925, so 38
    assert what_it_takes("complaint_satisfaction", 0, 0, 41, D("92.5")).needed == 38


def test_already_secured():
    # 95 of 100 resolved, 5 to come, target 90 %: 90 % × 105 = 94.5 ≤ 95 even if none is resolved
    t = what_it_takes("consultation_resolution", 95, 100, 5, D("90"))
    assert (t.needed, t.status) == (0, "secured")
    # exactly at the target with nothing to come: 90/100 = 90 % is met
    assert what_it_takes("consultation_resolution", 90, 100, 0, D("90")).status == "secured"
    # one short with nothing to come: 89/100
    t = what_it_takes("consultation_resolution", 89, 100, 0, D("90"))
    assert (t.needed, t.status) == (1, "unreachable")


def test_no_longer_reachable():
    # 60 of 80 satisfied, 10 to come, target 85 %: 85 % × 90 = 76.5 → 77 − 60 = 17 > 10
    t = what_it_takes("complaint_satisfaction", 60, 80, 10, D("85"))
    assert (t.needed, t.status) == (17, "unreachable")
    assert t.best_rate == F(70, 90)
    assert t.to_json()["best_rate_pct"] == "77.7778"
    # more records to come make it reachable again: 60 + r ≥ 0.85 (80 + r) ⇔ 0.15 r ≥ 8 ⇔ r ≥ 53.33
    first = next(r for r in range(200) if what_it_takes("complaint_satisfaction", 60, 80, r, D("85")).status == "reachable")
    assert first == 54


def test_nothing_to_measure():
    t = what_it_takes("followup_satisfaction", 0, 0, 0, D("90"))
    assert (t.needed, t.status, t.best_rate) == (None, "n/a", None)


# -- deadlines --------------------------------------------------------------------------------

def test_deadline_status_rule():
    day = dt.date(2026, 12, 1)
    assert deadline_status(day, dt.date(2026, 12, 1)) == "today"
    assert deadline_status(day, day - dt.timedelta(days=WARNING_DAYS)) == "soon"  # 7 days left
    assert deadline_status(day, day - dt.timedelta(days=WARNING_DAYS + 1)) == "ahead"
    assert deadline_status(day, dt.date(2026, 12, 2)) == "passed"
    assert deadline_status(day, dt.date(2026, 12, 2), open_after=False) == "done"
    assert deadline_status(day, dt.date(2026, 11, 1), done=True) == "done"


@pytest.mark.parametrize(
    "as_of, days_left, status, warning",
    [
        ("2026-11-23", 8, "ahead", False),
        ("2026-11-24", 7, "soon", True),
        ("2026-12-01", 0, "today", True),  # the objection deadline falls on the as-of date
        ("2026-12-02", -1, "passed", True),  # too late to object while the term runs
        ("2027-01-05", -35, "done", False),  # renewed: history, no warning
    ],
)
def test_objection_deadline_warning(sample_terms, as_of, days_left, status, warning):
    rows = {d.key: d for d in renewal_deadlines(sample_terms, dt.date.fromisoformat(as_of))}
    d = rows["objection_deadline"]
    assert (d.date, d.days_left, d.status, d.warning, d.clause) == (dt.date(2026, 12, 1), days_left, status, warning, "C7")
    assert rows["renewed_start"].date == dt.date(2027, 1, 1)


def _october_statement(terms, pays, as_of):
    data = dataset(payments=payments(pays))
    return month_fee_statement(data, terms, "2026-10", dt.date.fromisoformat(as_of))


def test_payment_due_soon_and_termination_clock(sample_terms):
    # no event rows: every KPI n/a, counted as met → bonus; amount due 210000.00, due 2026-11-13
    st = _october_statement(sample_terms, [], "2026-11-10")
    rows = {d.key: d for d in payment_deadlines(st, sample_terms, dt.date(2026, 11, 10))}
    pay = rows["payment_due"]
    assert (pay.date, pay.days_left, pay.status, pay.warning) == (dt.date(2026, 11, 13), 3, "soon", True)
    assert pay.detail["unpaid"] == "210000.00"
    # the termination right arises when late by more than 30 days: 2026-11-13 + 31 = 2026-12-14
    term = rows["termination_right"]
    assert (term.date, term.days_left, term.status, term.clause) == (dt.date(2026, 12, 14), 34, "ahead", "C18")
    assert "invoice_due" not in rows  # no payment, nothing to invoice


@pytest.mark.parametrize(
    "as_of, late, days_left, status, right",
    [("2026-12-13", 30, 1, "soon", False),  # 30 days late: not more than 30
     ("2026-12-14", 31, 0, "today", True),
     ("2026-12-20", 37, -6, "passed", True)],
)
def test_termination_right_boundary(sample_terms, as_of, late, days_left, status, right):
    day = dt.date.fromisoformat(as_of)
    st = _october_statement(sample_terms, [], as_of)
    rows = {d.key: d for d in payment_deadlines(st, sample_terms, day)}
    pay, term = rows["payment_due"], rows["termination_right"]
    assert (pay.status, pay.warning) == ("passed", True)
    assert (term.detail["late_days_so_far"], term.days_left, term.status, term.detail["right_exists"]) == (late, days_left, status, right)


def test_paid_in_part_and_invoice_due(sample_terms):
    # 100000.00 paid on Thursday 2026-11-12; invoice due 5 working days after: 11-13 (Fri),
    # 16, 17, 18, 19 → 2026-11-19; at 2026-11-17 two days are left
    st = _october_statement(sample_terms, [("P1", "2026-10", "2026-11-12 10:00", "100000.00")], "2026-11-17")
    rows = payment_deadlines(st, sample_terms, dt.date(2026, 11, 17))
    by_key = {d.key: d for d in rows}
    assert by_key["payment_due"].status == "passed" and by_key["payment_due"].detail["unpaid"] == "110000.00"
    inv = by_key["invoice_due"]
    assert (inv.date, inv.days_left, inv.status, inv.warning, inv.detail["invoice_status"]) == (dt.date(2026, 11, 19), 2, "soon", True, "pending")
    # paid in full: the payment deadline is done, no termination clock
    st = _october_statement(sample_terms, [("P1", "2026-10", "2026-11-12 10:00", "210000.00")], "2026-11-17")
    keys = [d.key for d in payment_deadlines(st, sample_terms, dt.date(2026, 11, 17))]
    assert keys == ["payment_due", "invoice_due"]
    assert payment_deadlines(st, sample_terms, dt.date(2026, 11, 17))[0].status == "done"


# -- the month to date ------------------------------------------------------------------------

def test_known_at_cuts_at_the_end_of_the_day(sample_terms):
    data = dataset(consultations=consultations([
        ("A", "phone", "2026-10-14 23:59:59", "2026-10-14 23:59:59", True),
        ("B", "phone", "2026-10-15 00:00:00", "2026-10-15 00:00:10", False),
    ]))
    known = known_at(data, sample_terms, dt.date(2026, 10, 14))
    assert list(known["consultations"]["consultation_id"]) == ["A"]
    k = month_kpis(known, sample_terms, "2026-10")
    assert (k["consultation_resolution"].met, k["consultation_resolution"].total) == (1, 1)


def test_month_position_october_2026(sample_terms):
    # October 2026: 1–7 National Day holidays, 10 Oct (Sat) an adjusted working day (spec 2);
    # as of 14 Oct: 8, 9, 10, 12, 13, 14 are working days = 6 elapsed of 14 days; remaining
    # 15–31: 15, 16, 19–23, 26–30 = 12 working days of 17 days
    pos = month_position("2026-10", dt.date(2026, 10, 14), WorkCalendar.from_terms(sample_terms))
    assert (pos.elapsed_workdays, pos.elapsed_other_days, pos.remaining_workdays, pos.remaining_other_days) == (6, 8, 12, 5)
    wc = WorkCalendar.from_terms(sample_terms)
    assert pos.elapsed_workdays == len(wc.workdays_between(dt.date(2026, 10, 1), dt.date(2026, 10, 14)))
    assert pos.remaining_workdays == len(wc.workdays_between(dt.date(2026, 10, 15), dt.date(2026, 10, 31)))


@pytest.mark.parametrize("as_of, month", [("2026-10-31", None), ("2026-11-05", "2026-10"), ("2027-01-20", "2026-10")])
def test_month_to_date_is_the_month_once_it_is_over(sample, as_of, month):
    terms, data = sample
    o = month_outlook(data, terms, dt.date.fromisoformat(as_of), month, draws=2000)
    full = month_kpis(data, terms, "2026-10")
    assert o.so_far.to_json() == full.to_json()
    assert o.position.remaining_days == 0
    for key, k in o.kpis.items():
        assert k.expected_remaining == 0
        if k.low is not None:  # nothing left to draw: the interval is the month itself
            assert k.low == k.high == k.projected == full[key].rate
    # 2026-10 met every fee KPI: bonus certain
    assert (o.fee.p_bonus, o.fee.expected_bonus, o.fee.expected_deduction) == (1.0, D("10000.00"), D("0.00"))
    assert o.fee.today.bonus == D("10000.00")


# -- sla outlook --------------------------------------------------------------------------------

TERMS = str(SAMPLES / "contract.yaml")
KPI_KEYS = ("met", "total", "rate_pct", "target_pct", "ok")


def _json(capsys, *argv):
    code, out, err = run_cli(capsys, "outlook", "--terms", TERMS, "--data", str(SAMPLES), "--format", "json", *argv)
    assert code == 0, err
    return json.loads(out)


def test_cli_json_keys_and_values(capsys):
    o = _json(capsys, "--as-of", "2026-11-14", "--draws", "2000")
    assert list(o) == ["month", "as_of", "days", "history_months", "no_data", "kpis", "what_it_takes", "fee_at_risk", "deadlines", "model"]
    assert (o["month"], o["as_of"], o["history_months"][0], o["history_months"][-1]) == ("2026-11", "2026-11-14", "2026-01", "2026-10")
    c10 = o["kpis"]["complaint_satisfaction"]
    assert set(c10) == {*KPI_KEYS, "clause", "expected_remaining", "per_workday", "per_other_day", "projected_rate_pct", "interval_pct", "p_miss"}
    # amounts are strings with two decimals; rates strings with 4 decimals; probabilities numbers
    fee = o["fee_at_risk"]
    assert fee["base"] == "200000.00" and isinstance(fee["expected_deduction"], str) and fee["expected_deduction"].count(".") == 1
    assert len(c10["rate_pct"].split(".")[1]) == 4 and isinstance(c10["p_miss"], float)
    # what it takes agrees with the counts printed beside it (exact)
    t = o["what_it_takes"]["complaint_satisfaction"]
    assert t == what_it_takes("complaint_satisfaction", c10["met"], c10["total"], c10["expected_remaining"], D("85")).to_json()
    assert {d["key"] for d in o["deadlines"]} >= {"payment_due", "invoice_due", "objection_deadline", "auto_renewal_check", "renewed_start"}
    assert fee["c19"]["failing_months"] == ["2026-07"] and fee["c19"]["triggered_if_this_month_fails"] is True


def test_cli_month_to_date_agrees_with_sla_kpis_and_fees_at_month_end(capsys):
    o = _json(capsys, "--as-of", "2026-11-05", "--month", "2026-10", "--draws", "500")
    code, out, _ = run_cli(capsys, "fees", "--terms", TERMS, "--data", str(SAMPLES), "--month", "2026-10", "--as-of", "2026-11-05", "--format", "json")
    fees = json.loads(out)
    code, out, _ = run_cli(capsys, "kpis", "--terms", TERMS, "--data", str(SAMPLES), "--month", "2026-10", "--format", "json")
    kpis = json.loads(out)["kpis"]
    assert {k: {f: v[f] for f in KPI_KEYS} for k, v in o["kpis"].items()} == kpis
    today = o["fee_at_risk"]["if_month_ended_today"]
    assert (today["bonus"], today["deductions"], today["total_deduction"]) == (fees["fees"]["bonus"], fees["fees"]["deductions"], fees["fees"]["total_deduction"])
    own = [d for d in o["deadlines"] if d["key"] == "payment_due" and d["month"] == "2026-10"][0]
    assert (own["date"], own["amount_due"]) == (fees["fees"]["payment_due"], fees["fees"]["amount_due"])
    assert o["fee_at_risk"]["c19"]["failing_months"] == [m for m in fees["fees"]["failing_months_to_date"] if m != "2026-10"]


@pytest.mark.parametrize("as_of", ["2026-11-14", "2026-12-31"])
def test_a_parquet_folder_is_read_one_month_at_a_time_with_the_same_outlook(tmp_path, capsys, monkeypatch, as_of):
    from sla_lib.monthly import MonthlyData

    folder = sample_as_parquet(tmp_path / "pq")
    read = []
    whole_month = MonthlyData.month

    def month(self, month, tables=None):
        read.append(month)
        return whole_month(self, month) if tables is None else whole_month(self, month, tables)

    monkeypatch.setattr(MonthlyData, "month", month)
    code, out, err = run_cli(capsys, "outlook", "--terms", TERMS, "--data", str(folder), "--format", "json",
                             "--as-of", as_of, "--draws", "2000")
    assert code == 0, err
    assert json.loads(out) == _json(capsys, "--as-of", as_of, "--draws", "2000")  # the CSV folder, loaded whole
    assert all(isinstance(m, str) for m in read)  # one month per read, never the whole table
    assert sorted(set(read)) == [f"2026-{m:02d}" for m in range(1, int(as_of[5:7]) + 1)]


def test_cli_objection_deadline_today_in_the_table(capsys):
    code, out, err = run_cli(capsys, "outlook", "--terms", TERMS, "--data", str(SAMPLES), "--as-of", "2026-12-01", "--draws", "500")
    assert code == 0, err
    line = next(l for l in out.splitlines() if "objection_deadline" in l)
    assert "2026-12-01" in line and "⚠ today" in line


@pytest.mark.parametrize("argv, message", [
    (("--as-of", "2025-12-31"), "month 2025-12 is outside the contract term 2026-01-01..2026-12-31"),
    (("--as-of", "2028-01-01"), "month 2028-01 is outside the contract term"),
    (("--as-of", "2026-10-10", "--month", "2026-11"), "as-of date 2026-10-10 is before the month 2026-11"),
])
def test_cli_refuses_dates_outside_the_contract(capsys, argv, message):
    code, out, err = run_cli(capsys, "outlook", "--terms", TERMS, "--data", str(SAMPLES), *argv)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


# -- notebooks/month_outlook.ipynb ------------------------------------------------------------

NOTEBOOK = SAMPLES.parents[1] / "notebooks" / "month_outlook.ipynb"


def _visible_text(book) -> str:
    import html
    import re

    parts = []
    for cell in book.cells:
        for o in cell.get("outputs", []):
            if o.output_type == "stream":
                parts.append(o.text)
            data = o.get("data", {})
            for kind in ("text/html", "text/markdown", "text/plain"):
                if kind in data:
                    parts.append(data[kind])
                    break
    return html.unescape(re.sub(r"<[^>]+>", " ", "\n".join(parts)))


def test_notebook_is_committed_clean():
    import nbformat

    book = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["parameters"]
    assert all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notebook_agrees_with_sla_outlook_json(tmp_path, capsys, sample, lang):
    import nbformat
    import papermill as pm

    from sla_lib.display import money
    from sla_lib.masking import find_personal_data

    out = tmp_path / "month_outlook.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", cwd=str(NOTEBOOK.parent), progress_bar=False,
                        parameters={"terms_path": TERMS, "data_dir": str(SAMPLES), "as_of": "2026-11-28", "lang": lang},
                        extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    book = nbformat.read(out, as_version=4)
    text = _visible_text(book)
    assert not [o for c in book.cells for o in c.get("outputs", []) if o.output_type == "stream" and o.name == "stderr"]
    o = _json(capsys, "--as-of", "2026-11-28")  # the CLI's defaults: 20000 draws, seed 1
    exact = month_outlook(sample[1], sample[0], dt.date(2026, 11, 28))  # the same draws, exact rates
    for key, k in o["kpis"].items():
        e = exact.kpis[key]
        assert k["rate_pct"] == e.so_far.rate_pct and k["projected_rate_pct"] == pct_text(e.projected)  # the JSON: 4 decimals
        # the notebook, for people: one decimal, half-up from the exact rates
        shown = [pct_text(v, 1) for v in (e.so_far.rate, e.projected) if v is not None]
        if e.low is not None:
            shown.append(f"{pct_text(e.low, 1)} – {pct_text(e.high, 1)}")
        for value in shown:
            assert value in text, (key, value)
        assert str(k["expected_remaining"]) in text
        if k["p_miss"] is not None:
            assert f"{k['p_miss']:.1%}" in text, key
    for key, t in o["what_it_takes"].items():
        best = exact.takes[key].best_rate
        assert f" {t['needed']} " in text and (best is None or pct_text(best, 1) in text), key
    fee = o["fee_at_risk"]
    for amount in (fee["expected_bonus"], fee["expected_deduction"], fee["c19"]["breach_exposure"], *fee["expected_deduction_by_kpi"].values()):
        assert money(D(amount)) in text, amount
    for d in o["deadlines"]:
        assert d["date"] in text
    # the objection deadline is 3 days ahead: warned of in the prose
    assert ("Written objection deadline" if lang == "en" else "书面异议截止日") in text
    terms, data = sample
    assert find_personal_data(text, views.personal_names(data)) == []


# -- the backtest (benchmarks/backtest_outlook.py, docs/outlook.md) -----------------------------

def _backtest_script():
    import importlib.util

    path = SAMPLES.parents[1] / "benchmarks" / "backtest_outlook.py"
    spec = importlib.util.spec_from_file_location("backtest_outlook", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nth_workday(sample_terms):
    from sla_lib.outlook import nth_workday

    wc = WorkCalendar.from_terms(sample_terms)
    # July 2026 starts on a Wednesday: 1, 2, 3, 6, 7 → the 5th working day is the 7th
    assert nth_workday("2026-07", 5, wc) == dt.date(2026, 7, 7)
    # October 2026: 8, 9, 10 (adjusted Saturday), 12, 13 → the 5th working day is the 13th
    assert nth_workday("2026-10", 5, wc) == dt.date(2026, 10, 13)
    with pytest.raises(ValueError):
        nth_workday("2026-10", 30, wc)


def test_backtest_of_july(sample, capsys):
    """July 2026, the sample's bad month: complaint satisfaction ended at 249/320 = 77.8125 %
    against 85 %. At working day 5 the month so far did not show it yet; at days 10 and 15
    the outlook warned, and both warnings came true."""
    terms, data = sample
    script = _backtest_script()
    text = script.main(["--months", "2026-07:2026-07", "--draws", "2000"])
    assert text.startswith(script.BEGIN) and text.endswith(script.END)
    assert "3 checkpoints" in text
    assert "2 given, 2 came true (hit rate 2/2 (100.0%))" in text
    assert "3 of 9 checks; warned of: 2/3 (66.7%)" in text
    from sla_lib.outlook import backtest

    frame = backtest(data, terms, ["2026-07"], draws=2000)
    c10 = frame[frame["kpi"] == "complaint_satisfaction"].set_index("workday")
    assert list(c10["as_of"]) == [dt.date(2026, 7, 7), dt.date(2026, 7, 14), dt.date(2026, 7, 21)]
    assert (c10["actual_met"] == 249).all() and (c10["actual_total"] == 320).all() and c10["missed"].all()
    assert c10.loc[5, "p_miss"] < 0.5 <= c10.loc[10, "p_miss"] <= c10.loc[15, "p_miss"]


def test_docs_hold_the_backtest_of_the_sample_year(capsys):
    script = _backtest_script()
    text = script.main([])
    docs = (SAMPLES.parents[1] / "docs" / "outlook.md").read_text(encoding="utf-8")
    start, end = docs.index(script.BEGIN), docs.index(script.END) + len(script.END)
    assert docs[start:end] == text
