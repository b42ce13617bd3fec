"""KPIs on small hand-worked tables (terms: data/samples/contract.yaml unless changed)."""

from decimal import Decimal
from fractions import Fraction

import pandas as pd

from conftest import complaints, consultations, dataset, followups, new_customers
from sla_lib.kpis import complaint_statistics, kpi_series, month_kpis


def _complaints_with_scores(scores, month="2026-10", day=12):
    return complaints(
        [
            (f"K{i}", f"C{i}", f"{month}-{day} 10:00", f"{month}-{day} 10:30", f"{month}-{day} 15:00", None, s)
            for i, s in enumerate(scores)
        ]
    )


def test_kpi_exactly_on_target_is_met(sample_terms):
    # 17 of 20 rated complaints satisfied (score >= 4) = exactly 85 % = the target
    k = month_kpis(dataset(complaints=_complaints_with_scores([5] * 17 + [3] * 3)), sample_terms, "2026-10")
    r = k["complaint_satisfaction"]
    assert (r.met, r.total, r.rate, r.rate_pct, r.ok, r.status) == (17, 20, Fraction(17, 20), "85.0000", True, "met")


def test_one_row_below_target_is_missed(sample_terms):
    # 16 of 20 = 80 % < 85 %
    k = month_kpis(dataset(complaints=_complaints_with_scores([4] * 16 + [1] * 4)), sample_terms, "2026-10")
    r = k["complaint_satisfaction"]
    assert (r.met, r.total, r.ok) == (16, 20, False)
    assert r.missed_ids == ("K16", "K17", "K18", "K19")
    assert k.failing_fee_kpis == ["complaint_satisfaction"]


def test_unrated_complaints_are_left_out_of_satisfaction(sample_terms):
    # 3 rated (5, 4, 2) + 2 unrated: 2/3 = 66.6667 %
    k = month_kpis(dataset(complaints=_complaints_with_scores([5, 4, None, 2, None])), sample_terms, "2026-10")
    r = k["complaint_satisfaction"]
    assert (r.met, r.total, r.rate_pct) == (2, 3, "66.6667")


def test_every_kpi_is_na_on_an_empty_month(sample_terms):
    k = month_kpis(dataset(), sample_terms, "2026-10")
    for r in k.results.values():
        assert (r.met, r.total, r.rate, r.rate_pct, r.status) == (0, 0, None, None, "n/a")
    # n/a counts as met by default; KPIs without a target have ok = None
    assert [r.ok for r in k.results.values()] == [None, True, None, None, True, True, True]
    assert k.failing_fee_kpis == []
    missed = month_kpis(dataset(), sample_terms.with_changes({"na_counts_as": "missed"}), "2026-10")
    assert missed.failing_fee_kpis == ["consultation_resolution", "complaint_satisfaction", "followup_satisfaction"]
    assert missed["consultation_response"].ok is None


def test_rated_but_none_in_month_is_na(sample_terms):
    # every complaint received in September: October's satisfaction is n/a
    k = month_kpis(dataset(complaints=_complaints_with_scores([5, 1], month="2026-09")), sample_terms, "2026-10")
    assert k["complaint_satisfaction"].status == "n/a"


def test_consultation_at_night_and_on_sunday(sample_terms):
    # service 09:00-21:00 every day; phone limit 1 min, chat 2 min, email 240 min
    rows = [
        ("N1", "phone", "2026-10-12 23:30", "2026-10-13 09:01", True),  # clock starts 09:00: 1 min, met
        ("N2", "phone", "2026-10-12 23:30", "2026-10-13 09:01:01", True),  # 61 s > 1 min: missed
        ("S1", "chat", "2026-10-18 08:00", "2026-10-18 09:02", False),  # Sunday is a service day here: 2 min
        ("E1", "email", "2026-10-16 20:00", "2026-10-17 12:00", True),  # 60 + 180 = 240 min: met
        ("E2", "email", "2026-10-16 20:00", "2026-10-17 12:01", True),  # 241 min: missed
        ("X1", "chat", "2026-10-16 10:00", None, False),  # never answered: missed
    ]
    k = month_kpis(dataset(consultations=consultations(rows)), sample_terms, "2026-10")
    r = k["consultation_response"]
    assert (r.met, r.total, r.missed_ids) == (3, 6, ("N2", "E2", "X1"))
    assert (k["consultation_resolution"].met, k["consultation_resolution"].total) == (4, 6)


def test_consultation_on_sunday_with_workday_service(sample_terms):
    terms = sample_terms.with_changes({"service_hours.days": "workdays", "service_hours.close": "18:00"})
    # Sunday 2026-10-18 arrival, answered Monday 09:00:50: 50 s of service time: met
    rows = [("S1", "phone", "2026-10-18 11:00", "2026-10-19 09:00:50", True)]
    assert month_kpis(dataset(consultations=consultations(rows)), terms, "2026-10")["consultation_response"].met == 1


def test_zero_solution_workdays_is_the_day_of_receipt(sample_terms):
    """Issue 16: complaint_solution_workdays: 0 is accepted; spec §2 with N = 0: the deadline is
    the end (24:00) of the day of receipt."""
    terms = sample_terms.with_changes({"standards.complaint_solution_workdays": 0})
    assert terms.standards.complaint_solution_workdays == 0
    rows = [
        ("A", "C1", "2026-10-09 10:00", "2026-10-09 10:30", "2026-10-09 23:59", None, 5),  # Friday, same day: in time
        ("B", "C2", "2026-10-09 10:00", "2026-10-09 10:30", "2026-10-10 00:00", None, 5),  # next day (a working Saturday): late
        ("C", "C3", "2026-10-03 10:00", "2026-10-03 10:30", "2026-10-03 18:00", None, 5),  # a holiday: its own day still counts
        ("D", "C4", "2026-10-03 10:00", "2026-10-03 10:30", "2026-10-08 09:00", None, 5),  # the next working day: late
    ]
    k = month_kpis(dataset(complaints=complaints(rows)), terms, "2026-10")
    assert (k["complaint_solution"].met, k["complaint_solution"].total) == (2, 4)
    assert k["complaint_solution"].missed_ids == ("B", "D")


def test_complaint_deadline_on_adjusted_working_saturday(sample_terms):
    # received 2026-09-30 15:00, N = 3 -> deadline end of Sat 2026-10-10 (adjusted working day)
    rows = [
        ("A", "C1", "2026-09-30 15:00", "2026-09-30 16:00", "2026-10-10 23:59", None, 5),  # in time
        ("B", "C2", "2026-09-30 15:00", "2026-09-30 17:01", "2026-10-11 00:00", None, 5),  # a minute late
    ]
    k = month_kpis(dataset(complaints=complaints(rows)), sample_terms, "2026-09")
    assert k["complaint_solution"].met == 1 and k["complaint_solution"].missed_ids == ("B",)
    # contact within 2 calendar hours: A 1 h met, B 2 h 1 min missed
    assert k["complaint_contact"].missed_ids == ("B",)


def test_complaint_contact_on_service_clock(sample_terms):
    terms = sample_terms.with_changes({"standards.complaint_contact_clock": "service"})
    # received 20:30, contacted next day 10:20: 30 + 80 min of service time = 1 h 50 min: met
    rows = [("A", "C1", "2026-10-12 20:30", "2026-10-13 10:20", None, None, None)]
    k = month_kpis(dataset(complaints=complaints(rows)), terms, "2026-10")
    assert k["complaint_contact"].met == 1
    assert month_kpis(dataset(complaints=complaints(rows)), sample_terms, "2026-10")["complaint_contact"].met == 0


def test_followup_coverage_counts_distinct_customers(sample_terms):
    new = new_customers([(f"N{i}", "2026-10-05 10:00") for i in range(10)] + [("OLD", "2026-09-05 10:00")])
    fu = followups(
        [
            ("F1", "N1", "2026-10-20 10:00", 5),
            ("F2", "N1", "2026-10-21 10:00", 4),  # same customer twice: counted once
            ("F3", "N2", "2026-10-20 10:00", 3),
            ("F4", "N3", "2026-11-01 10:00", 5),  # November: not October's
        ]
    )
    k = month_kpis(dataset(new_customers=new, followups=fu), sample_terms, "2026-10")
    c = k["followup_coverage"]
    assert (c.met, c.total, c.rate_pct, c.ok) == (2, 10, "20.0000", False)  # 20 % < 30 %
    assert len(c.missed_ids) == 8 and "N1" not in c.missed_ids
    s = k["followup_satisfaction"]
    assert (s.met, s.total) == (2, 3)
    assert k.failing_fee_kpis == ["followup_satisfaction"]  # coverage is not a fee KPI


def test_month_boundary_in_contract_zone(sample_terms):
    # 2026-10-31 23:30 local belongs to October even though it is 15:30 UTC
    rows = [("A", "phone", "2026-10-31 23:30", "2026-11-01 09:00", True)]
    data = dataset(consultations=consultations(rows))
    assert month_kpis(data, sample_terms, "2026-10")["consultation_resolution"].total == 1
    assert month_kpis(data, sample_terms, "2026-11")["consultation_resolution"].total == 0


def test_json_shape(sample_terms):
    k = month_kpis(dataset(complaints=_complaints_with_scores([5, 5, 1])), sample_terms, "2026-10")
    assert k.to_json()["complaint_satisfaction"] == {"met": 2, "total": 3, "rate_pct": "66.6667", "target_pct": "85", "ok": False}
    assert k.to_json()["complaint_contact"] == {"met": 3, "total": 3, "rate_pct": "100.0000", "target_pct": None, "ok": None}


def test_kpi_series_and_frame(sample_terms):
    data = dataset(complaints=_complaints_with_scores([5, 1], month="2026-09"))
    series = kpi_series(data, sample_terms, ["2026-09", "2026-10"])
    sat = series[series["kpi"] == "complaint_satisfaction"].set_index("month")
    assert sat.loc["2026-09", "status"] == "missed" and sat.loc["2026-10", "status"] == "n/a"
    assert sat.loc["2026-09", "rate"] == 50.0 and pd.isna(sat.loc["2026-10", "rate"])


def test_complaint_statistics(sample_terms):
    rows = [
        ("A", "C1", "2026-10-02 10:00", "2026-10-02 11:00", "2026-10-03 10:00", "2026-10-05 10:00", 5),
        ("B", "C1", "2026-10-20 10:00", "2026-10-20 13:00", "2026-10-21 10:00", None, None),  # open at month end
        ("C", "C2", "2026-09-25 10:00", "2026-09-25 10:30", "2026-09-26 10:00", "2026-11-02 10:00", 4),  # open from earlier
        ("D", "C1", "2026-10-30 10:00", "2026-10-30 10:30", None, "2026-11-01 09:00", None),  # closed after month end
    ]
    stats = complaint_statistics(dataset(complaints=complaints(rows)), sample_terms, "2026-10")
    assert stats.status_at_month_end.iloc[0].to_dict() == {
        "received_this_month": 3,
        "closed_by_month_end": 1,
        "open_at_month_end_from_this_month": 2,
        "open_at_month_end_from_earlier": 1,
    }
    # ages at 2026-11-01 00:00: B 11 days, C 36 days, D 1 day
    assert stats.ageing_open.set_index("age_days")["open_complaints"].to_dict() == {"0-3": 1, "4-7": 0, "8-14": 1, "15-30": 0, ">30": 1}
    assert stats.handling_times.loc["first_contact", "median_hours"] == 1.0  # 1, 3, 0.5 hours
    assert stats.repeat_complainers["complaints"].tolist() == [3]
    assert stats.repeat_complainers["customer"].tolist() != ["C1"]  # masked
    assert int(stats.by_category_channel.loc["total", "total"]) == 3


def test_followup_coverage_is_a_quota(sample_terms):
    """C6 (issue 14): the quota is ceil(30 % × new customers) distinct customers followed up;
    what is missing is the customers still to follow up, not the new customers left out."""
    from sla_lib.kpis import KpiResult, quota_required, shortfall

    def c6(met, total, target="30"):
        return KpiResult("followup_coverage", "C6", met, total, Decimal(target), "met", ())

    assert (quota_required(c6(2, 10)), shortfall(c6(2, 10))) == (3, 1)  # 30 % of 10 = 3 exactly: 2 is one short
    assert (quota_required(c6(3, 10)), shortfall(c6(3, 10))) == (3, 0)  # exactly reached
    assert (quota_required(c6(287, 754)), shortfall(c6(287, 754))) == (227, 0)  # 226.2 -> 227; October of the sample
    assert (quota_required(c6(0, 1, "0.1")), shortfall(c6(0, 1, "0.1"))) == (1, 1)  # any share above 0 needs a whole customer
    assert quota_required(c6(5, 0)) is None and shortfall(c6(5, 0)) == 0  # no new customers: n/a, no quota
    frame = month_kpis(dataset(), sample_terms, "2026-10").to_frame()
    assert frame.loc["followup_coverage", "required"] is pd.NA and frame["required"].isna().all()
