"""Report tables (sla_lib.views) on the sample year: exact figures, cross-checked against
the KPI engine (sla_lib.kpis) and the fee engine (sla_lib.fees), and masking (C20)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest

from sla_lib import kpis as K
from sla_lib import views as V
from sla_lib.masking import find_personal_data
from sla_lib.errors import SlaError

from conftest import SAMPLES


@pytest.fixture(scope="module")
def sample():
    return V.load_inputs(SAMPLES / "contract.yaml", SAMPLES)


@pytest.fixture(scope="module")
def october(sample):
    terms, data = sample
    return K.month_kpis(data, terms, "2026-10")


# -- periods -------------------------------------------------------------------------------


def test_quarters():
    assert V.quarter_months("2026Q3") == ["2026-07", "2026-08", "2026-09"]
    assert V.quarter_months("2026q1") == ["2026-01", "2026-02", "2026-03"]
    assert V.previous_quarter("2026Q3") == "2026Q2"
    assert V.previous_quarter("2026Q1") == "2025Q4"
    assert V.quarter_of("2026-08") == "2026Q3"
    for bad in ("2026Q5", "2026-07", "Q3"):
        with pytest.raises(ValueError, match="YYYYQn"):
            V.quarter_months(bad)


def test_term_months_and_as_of(sample):
    terms, _ = sample
    assert V.term_months_to(terms, "2026-03") == ["2026-01", "2026-02", "2026-03"]
    assert V.term_months_to(terms, "2027-02")[-3:] == ["2026-12", "2027-01", "2027-02"]  # past the term end
    assert V.resolve_as_of("2026-12-31", terms) == dt.date(2026, 12, 31)
    assert V.resolve_as_of(dt.date(2026, 1, 2), terms) == dt.date(2026, 1, 2)
    with pytest.raises(SlaError, match="as_of"):
        V.resolve_as_of("31.12.2026", terms)


# -- complaints ----------------------------------------------------------------------------


def test_daily_volume_marks_national_day_and_the_adjusted_saturday(sample, october):
    terms, data = sample
    daily = V.daily_complaint_volume(data, terms, "2026-10")
    assert len(daily) == 31
    by_day = daily.set_index("date")
    for day in range(1, 8):  # Oct 1-7: statutory holidays, weekend days among them included
        assert by_day.loc[dt.date(2026, 10, day), "day_type"] == "holiday"
        assert by_day.loc[dt.date(2026, 10, day), "holiday"] == "National Day"
    assert by_day.loc[dt.date(2026, 10, 10), "day_type"] == "adjusted_workday"  # Saturday worked
    assert by_day.loc[dt.date(2026, 10, 10), "holiday"] == "National Day"
    assert by_day.loc[dt.date(2026, 10, 8), "day_type"] == "workday"
    assert by_day.loc[dt.date(2026, 10, 11), "day_type"] == "weekend"
    assert pd.isna(by_day.loc[dt.date(2026, 10, 11), "holiday"])
    assert by_day.loc[dt.date(2026, 10, 1), "complaints"] == 2
    assert by_day.loc[dt.date(2026, 10, 14), "complaints"] == 12
    assert daily["complaints"].sum() == october["complaint_contact"].total == 143
    special = V.special_days(daily)
    assert list(special["date"]) == [dt.date(2026, 10, d) for d in (1, 2, 3, 4, 5, 6, 7, 10)]


def test_daily_volume_spring_festival(sample):
    terms, data = sample
    daily = V.daily_complaint_volume(data, terms, "2026-02").set_index("date")
    assert by_type(daily, "adjusted_workday") == [dt.date(2026, 2, 14), dt.date(2026, 2, 28)]
    assert by_type(daily, "holiday") == [dt.date(2026, 2, d) for d in range(15, 24)]
    assert set(daily.loc[daily["day_type"] == "holiday", "holiday"]) == {"Spring Festival"}


def by_type(daily, kind):
    return list(daily.index[daily["day_type"] == kind])


def test_complaint_breakdowns_add_up_and_use_the_kpi_functions(sample):
    terms, data = sample
    b = V.complaint_breakdowns(data, terms, "2026-10")
    channel = b["channel"].set_index("channel")
    assert channel["count"].to_dict() == {"phone": 93, "chat": 26, "email": 24}
    assert channel.loc["phone", "share_pct"] == 65.0
    category = b["category"].set_index("category")
    assert category["count"].sum() == 143
    assert category.loc["产品质量", "count"] == 49
    assert category.loc["产品质量", "complaint_contact"] == Fraction(42, 49)  # exact; str() "85.7143", shown "85.7"
    assert str(category.loc["产品质量", "complaint_contact"]) == "85.7143"
    assert category.loc["服务态度", "complaint_satisfaction"].pct(4) == "66.6667"
    assert b["product"]["count"].sum() == 143
    assert list(b["category"]["count"]) == sorted(b["category"]["count"], reverse=True)


def test_handling_times_agree_with_the_kpis(sample, october):
    terms, data = sample
    h = V.handling_time_distribution(data, terms, "2026-10", october)
    assert len(h) == 143
    assert int(h["contact_in_time"].sum()) == october["complaint_contact"].met == 120
    assert int(h["solution_in_time"].sum()) == october["complaint_solution"].met == 131
    solved = h["workdays_to_solution"].notna()
    # working days used <= N exactly when C3 counts the complaint as in time
    assert ((h.loc[solved, "workdays_to_solution"] <= 3).to_numpy() == h.loc[solved, "solution_in_time"].to_numpy()).all()
    first = h.set_index("complaint_id")
    # received Thu Oct 1 (National Day): Oct 8, 9 and the adjusted Sat Oct 10 -> due Oct 10
    assert first.loc["TS-202610-0001", "solution_deadline"] == dt.date(2026, 10, 10)
    assert first.loc["TS-202610-0001", "workdays_to_solution"] == 1  # solved Oct 8
    assert first.loc["TS-202610-0002", "workdays_to_solution"] == 4  # solved Mon Oct 12: missed
    assert not first.loc["TS-202610-0002", "solution_in_time"]
    assert first.loc["TS-202610-0001", "hours_to_first_contact"] == pytest.approx(1 + 34 / 60 + 2 / 3600, abs=1e-6)
    assert V.handling_targets(terms) == {"contact_hours": 2.0, "contact_clock": "calendar", "solution_workdays": 3}


def test_category_by_channel_drops_the_margins(sample):
    terms, data = sample
    table = V.category_by_channel(K.complaint_statistics(data, terms, "2026-10"))
    assert list(table.columns) == ["phone", "email", "chat"]
    assert "total" not in table.index
    assert table.loc["产品质量"].tolist() == [36, 5, 8]
    assert int(table.to_numpy().sum()) == 143


# -- trends --------------------------------------------------------------------------------


def test_kpi_trend_exact_rates_and_statuses(sample):
    terms, data = sample
    trend = V.kpi_trend(data, terms, "2026-12").set_index(["month", "kpi"])
    assert len(trend) == 12 * 7
    july = trend.loc[("2026-07", "complaint_satisfaction")]
    assert (july["met"], july["total"], july["rate_pct"], july["status"]) == (249, 320, Fraction(249, 320), "missed")
    november = trend.loc[("2026-11", "complaint_satisfaction")]
    assert (november["met"], november["total"], november["rate_pct"], november["status"]) == (119, 140, Fraction(119, 140), "met")
    assert trend.loc[("2026-02", "followup_coverage"), "status"] == "missed"
    assert trend.loc[("2026-10", "consultation_response"), "status"] == "measured"
    assert trend.loc[("2026-07", "complaint_satisfaction"), "target"] == 85.0


def test_months_without_data_are_na(sample):
    terms, data = sample
    trend = V.quarter_kpis(data, terms, "2026Q1")  # previous quarter 2025Q4: no data
    empty = trend[trend["month"] == "2025-12"]
    assert set(empty["rate_pct"]) == {"n/a"} and set(empty["status"]) == {"n/a"}
    assert empty["rate"].isna().all()
    wide = V.kpi_trend_table(trend, by_kpi=True)
    assert list(wide.columns) == ["clause", "target_pct", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert wide.loc["complaint_satisfaction", "2025-11"] == "n/a"
    assert str(wide.loc["complaint_satisfaction", "2026-01"]) == "93.4641"  # 143 / 153


def test_failed_months_carry_the_deduction(sample):
    terms, data = sample
    trend = V.kpi_trend(data, terms, "2026-12")
    statements = V.statements_to(data, terms, "2026-12", "2027-02-28")
    failed = V.failed_months(trend, statements)
    assert list(zip(failed["month"], failed["kpi"], failed["deduction"])) == [
        ("2026-02", "followup_coverage", None),  # C6 is not priced
        ("2026-07", "complaint_satisfaction", Decimal("32000.00")),
    ]


def test_scores_and_quality_breakdowns(sample):
    terms, data = sample
    scores = V.score_distribution(data, terms, "2026-10")
    assert scores["complaints"].tolist() == [3, 4, 6, 61, 59, 10]
    assert scores["complaints"].sum() == 143
    assert scores.loc[["4", "5"], "followups"].sum() == 261  # C11 met in October
    assert scores["satisfied"].tolist() == [False, False, False, True, True, False]
    by_channel = V.quality_by(data, terms, "2026-10", "channel").set_index("channel")
    assert by_channel.loc["email", "complaint_satisfaction"] == Fraction(17, 20)
    assert by_channel["consultation_resolution_total"].sum() == 1850
    by_product = V.quality_by(data, terms, "2026-10", "product")
    assert "followup_satisfaction" not in by_product.columns  # follow-ups have no product
    breakdown = V.kpi_breakdown(data, terms, "2026-07", "complaint_satisfaction", "product")
    assert breakdown["met"].sum() == 249 and breakdown["total"].sum() == 320
    with pytest.raises(ValueError, match="one table"):
        V.kpi_breakdown(data, terms, "2026-07", "followup_coverage", "channel")


# -- misses (C21 / C20) --------------------------------------------------------------------


def test_misses_table_keeps_ids_and_masks_people(sample):
    terms, data = sample
    july = K.month_kpis(data, terms, "2026-07")
    misses = V.misses_table(july, data, "complaint_satisfaction", terms)
    assert len(misses) == 320 - 249
    assert set(misses["missed_clauses"]) == {"C10"}
    assert set(misses["complaint_id"]) == set(july["complaint_satisfaction"].missed_ids)
    raw = data["complaints"].set_index("complaint_id")
    first = misses.iloc[0]
    assert first["source_row"] == raw.loc[first["complaint_id"], "source_row"]
    assert first["customer_id"] == raw.loc[first["complaint_id"], "customer_id"][:3] + "***" + raw.loc[first["complaint_id"], "customer_id"][-2:]
    assert first["phone"].count("*") == 4
    text = misses.to_csv()
    assert find_personal_data(text, V.personal_names(data)) == []
    assert raw.loc[first["complaint_id"], "phone"] not in text


def test_misses_of_several_kpis_name_each_clause(sample, october):
    terms, data = sample
    kinds = ["complaint_contact", "complaint_solution", "complaint_satisfaction"]
    misses = V.misses_table(october, data, kinds, terms, columns=V.COMPLAINT_MISS_COLUMNS)
    assert list(misses.columns) == list(V.COMPLAINT_MISS_COLUMNS)
    assert len(misses) == len(set().union(*(october[k].missed_ids for k in kinds))) == 40
    row = misses.set_index("complaint_id").loc["TS-202610-0002"]
    assert row["missed_clauses"] == "C3"
    assert row["solution_deadline"] == dt.date(2026, 10, 10)
    assert (misses["missed_clauses"].str.count("C") >= 1).all()
    with pytest.raises(ValueError, match="different tables"):
        V.misses_table(october, data, ["complaint_contact", "consultation_resolution"])


def test_coverage_misses_mask_the_customer_id(sample, october):
    terms, data = sample
    misses = V.misses_table(october, data, "followup_coverage", terms)
    # the month's new customers with no follow-up that month (the C6 numerator counts any
    # customer followed up, so this is not 754 - 287)
    assert len(misses) == len(october["followup_coverage"].missed_ids) == 517
    assert misses["customer_id"].str.contains(r"^C0\d\*\*\*\d\d$").all()


# -- quarterly -----------------------------------------------------------------------------


def test_arrivals_channels_and_drilldown_add_up(sample):
    terms, data = sample
    months = V.quarter_months("2026Q3")
    consultations = sum(K.month_kpis(data, terms, m)["consultation_resolution"].total for m in months)
    complaints = sum(K.month_kpis(data, terms, m)["complaint_contact"].total for m in months)
    grid = V.arrivals_heatmap(data, terms, months)
    assert grid.shape == (7, 24) and int(grid.to_numpy().sum()) == consultations
    mix = V.channel_mix(data, terms, ["2026-07", "2026-08"])
    assert mix.loc["2026-07", ["phone_count", "email_count", "chat_count", "total"]].tolist() == [1280, 512, 753, 2545]
    assert mix.loc["2026-07", "phone_pct"] == 50.3
    assert V.channel_mix(data, terms, months, "complaints")["total"].sum() == complaints
    drill = V.complaint_drilldown(data, terms, months)
    assert list(drill.columns[:4]) == ["month", "channel", "category", "count"]
    assert drill["count"].sum() == complaints
    recall = drill[(drill["month"] == "2026-07") & (drill["category"] == "安全隐患")]  # the July recall
    assert recall["count"].sum() == 59


def test_data_accounting(sample):
    _, data = sample
    table = V.data_accounting(data).set_index("table")
    assert table.loc["consultations", "rows_read"] == 25086
    assert (table["rows_read"] == table["rows_used"] + table["rows_set_aside"]).all()


# -- fees ----------------------------------------------------------------------------------


def test_fee_tables_late_partial_payment(sample):
    terms, data = sample
    statements = V.statements_to(data, terms, "2026-08", "2026-12-31")
    assert [s.month for s in statements] == [f"2026-{m:02d}" for m in range(1, 9)]
    tables = V.fee_statement_tables(statements, terms)
    assert list(tables) == ["summary", "lines", "kpis", "payments", "invoices", "term_to_date", "exposure"]
    payments = tables["payments"]
    assert payments["payment_id"].tolist() == ["FK-202608-1", "FK-202608-2"]
    assert payments["late_days"].tolist() == [0, 6]
    assert payments["late_damages"].tolist() == [Decimal("0.00"), Decimal("96.30")]
    assert payments["payment_due"].tolist() == [dt.date(2026, 9, 14)] * 2
    summary = dict(zip(tables["summary"]["item"], tables["summary"]["value"]))
    assert summary["amount_due"] == statements[-1].amount_due == Decimal("212100.00")
    assert summary["late_damages"] == Decimal("96.30")
    term = tables["term_to_date"]
    assert term["cumulative_damages"].iloc[-1] == Decimal("96.30")
    assert term["cumulative_deductions"].iloc[-1] == Decimal("32000.00")
    assert term["cumulative_amount_due"].iloc[-1] == sum(s.amount_due for s in statements)
    assert term.set_index("month").loc["2026-07", "failing_kpis"] == "C10"
    exposure = dict(zip(tables["exposure"]["item"], tables["exposure"]["value"]))
    assert exposure["failing_months_to_date"] == "2026-07"
    assert exposure["breach_exposure"] == Decimal("480000.00")
    assert exposure["breach_triggered"] is False
    assert exposure["repeated_failure_months"] == 2


def test_fee_tables_late_invoice_and_unpaid(sample):
    terms, data = sample
    may = V.fee_statement_tables(V.statements_to(data, terms, "2026-05", "2026-12-31"))
    assert may["invoices"]["status"].tolist() == ["late"]
    assert may["invoices"]["invoice_due"].tolist() == [dt.date(2026, 6, 22)]
    november = V.fee_statement_tables(V.statements_to(data, terms, "2026-11", "2026-11-20"))
    assert november["payments"]["payment_id"].tolist() == ["unpaid"]
    assert november["payments"]["applied"].tolist() == [Decimal("212700.00")]
    assert november["invoices"].empty
    one = V.fee_statement_tables(V.statements_to(data, terms, "2026-10", "2026-12-31")[-1])
    assert one["term_to_date"]["month"].tolist() == ["2026-10"]
