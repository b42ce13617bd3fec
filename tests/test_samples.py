"""The sample-data generator (sla_lib.samples): deterministic, well-formed, and carrying the
patterns the sample data set is meant to show. KPI checks are plain pandas counts written
here, independent of sla_lib's KPI code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import chinese_calendar
import pandas as pd
import pytest

from sla_lib import samples
from sla_lib.samples import generate_events, generate_settlement, write_tables

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
TARGETS = {"consultation_resolution": 90, "complaint_satisfaction": 85, "followup_satisfaction": 90}


def _workday(d: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:  # 2027: as the sample terms' calendar_overrides
        return d.weekday() < 5 and (d.month, d.day) != (1, 1)


def _nth_workday_after(d: dt.date, n: int) -> dt.date:
    while n:
        d += dt.timedelta(days=1)
        n -= _workday(d)
    return d


def _month_of(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m")


@pytest.fixture(scope="module")
def ev():
    return generate_events()


@pytest.fixture(scope="module")
def settlement_inputs():
    amounts = {m: Decimal("210000.00") for m in MONTHS}
    amounts["2026-07"] = Decimal("168000.00")  # the month with a deduction
    due = {}
    for m in MONTHS:
        y, mo = int(m[:4]), int(m[5:])
        month_end = dt.date(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1)
        due[m] = _nth_workday_after(month_end, 10)
    return amounts, due, (lambda paid: _nth_workday_after(paid, 5))


@pytest.fixture(scope="module")
def settlement(settlement_inputs):
    amounts, due, inv = settlement_inputs
    return generate_settlement(amounts, due, inv, seed=samples.DEFAULT_SEED)


def _write_all(out, seed=samples.DEFAULT_SEED, inputs=None):
    tables = generate_events(seed=seed)
    amounts, due, inv = inputs
    tables.update(generate_settlement(amounts, due, inv, seed=seed))
    return write_tables(tables, out)


# ------------------------------------------------------------------ determinism, shape
def test_same_seed_gives_byte_identical_csvs(tmp_path, settlement_inputs):
    a = _write_all(tmp_path / "a", inputs=settlement_inputs)
    b = _write_all(tmp_path / "b", inputs=settlement_inputs)
    assert [p.name for p in a] == [f"{t}.csv" for t in (
        "consultations", "complaints", "followups", "new_customers", "onsite_visits", "payments", "invoices")]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    other = generate_events(seed=samples.DEFAULT_SEED + 1, months=["2026-03"])
    assert not other["consultations"]["received_at"].equals(
        generate_events(months=["2026-03"])["consultations"]["received_at"])


def test_columns_are_spec_columns_plus_personal_data(ev, settlement):
    assert list(ev["consultations"].columns) == [
        "consultation_id", "channel", "customer_id", "customer_name", "phone", "received_at",
        "first_response_at", "resolved", "resolved_at", "product", "category", "agent_id"]
    assert list(ev["complaints"].columns) == [
        "complaint_id", "customer_id", "customer_name", "phone", "email", "received_at",
        "first_contact_at", "preliminary_solution_at", "closed_at", "satisfaction", "channel",
        "category", "product"]
    assert list(ev["followups"].columns) == ["followup_id", "customer_id", "visited_at", "satisfaction", "channel"]
    assert list(ev["new_customers"].columns) == ["customer_id", "acquired_at"]
    assert list(ev["onsite_visits"].columns) == ["visit_id", "customer_id", "visited_at", "fee"]
    assert list(settlement["payments"].columns) == ["payment_id", "service_month", "paid_at", "amount"]
    assert list(settlement["invoices"].columns) == ["invoice_id", "service_month", "issued_at", "amount"]


def test_row_counts_in_range(ev):
    con = ev["consultations"].groupby(_month_of(ev["consultations"]["received_at"])).size()
    cmp_ = ev["complaints"].groupby(_month_of(ev["complaints"]["received_at"])).size()
    fu = ev["followups"].groupby(_month_of(ev["followups"]["visited_at"])).size()
    new = ev["new_customers"].groupby(_month_of(ev["new_customers"]["acquired_at"])).size()
    vis = ev["onsite_visits"].groupby(_month_of(ev["onsite_visits"]["visited_at"])).size()
    for s in (con, cmp_, fu, new, vis):
        assert list(s.index) == MONTHS
    assert con.between(1400, 3000).all() and 1800 <= con.median() <= 2200
    assert cmp_.drop("2026-07").between(100, 230).all()
    assert fu.between(100, 700).all()
    assert new.between(500, 1400).all()
    assert vis.between(1, 10).all()
    assert all(v in (Decimal("300.00"), Decimal("500.00")) for v in ev["onsite_visits"]["fee"])


def test_ids_unique(ev, settlement):
    for table, col in [("consultations", "consultation_id"), ("complaints", "complaint_id"),
                       ("followups", "followup_id"), ("new_customers", "customer_id"),
                       ("onsite_visits", "visit_id")]:
        assert ev[table][col].is_unique, table
        assert ev[table][col].notna().all()
    assert settlement["payments"]["payment_id"].is_unique
    assert settlement["invoices"]["invoice_id"].is_unique


def test_times_never_before_their_predecessors(ev):
    c = ev["consultations"]
    assert not (c["first_response_at"] < c["received_at"]).any()
    assert not (c["resolved_at"] < c["first_response_at"]).any()
    assert not (c["resolved"] & c["resolved_at"].isna()).any()
    assert not (~c["resolved"] & c["resolved_at"].notna()).any()
    assert not (c["first_response_at"].isna() & c["resolved"]).any()
    p = ev["complaints"]
    assert not (p["first_contact_at"] < p["received_at"]).any()
    assert not (p["preliminary_solution_at"] < p["received_at"]).any()
    assert not (p["preliminary_solution_at"] < p["first_contact_at"]).any()
    assert not (p["closed_at"] < p["preliminary_solution_at"]).any()
    assert not (p["closed_at"].notna() & p["preliminary_solution_at"].isna()).any()
    assert p["first_contact_at"].notna().all()
    # follow-ups of new customers come after the acquisition
    f = ev["followups"].merge(ev["new_customers"], on="customer_id", how="inner")
    assert len(f) > 0.8 * len(ev["followups"])
    assert (f["visited_at"] > f["acquired_at"]).all()


# ------------------------------------------------------------------ fee KPIs
def _fee_kpi_counts(ev) -> pd.DataFrame:
    c = ev["consultations"]
    res = pd.DataFrame({"month": _month_of(c["received_at"]), "met": c["resolved"].astype(int)})
    res = res.groupby("month")["met"].agg(["sum", "count"])
    rows = []
    for m in MONTHS:
        rows.append(("consultation_resolution", m, int(res.loc[m, "sum"]), int(res.loc[m, "count"])))
    for kpi, table, col in [("complaint_satisfaction", "complaints", "received_at"),
                            ("followup_satisfaction", "followups", "visited_at")]:
        t = ev[table]
        rated = t[t["satisfaction"].notna()]
        months = _month_of(rated[col])
        for m in MONTHS:
            scores = rated.loc[months == m, "satisfaction"]
            rows.append((kpi, m, int((scores >= 4).sum()), int(len(scores))))
    return pd.DataFrame(rows, columns=["kpi", "month", "num", "den"])


def test_exactly_one_month_misses_a_fee_kpi(ev):
    k = _fee_kpi_counts(ev)
    assert (k["den"] > 0).all()
    k["target"] = k["kpi"].map(TARGETS)
    k["met"] = k["num"] * 100 >= k["target"] * k["den"]  # exact integer comparison
    missed = k[~k["met"]]
    assert list(zip(missed["kpi"], missed["month"])) == [("complaint_satisfaction", samples.RECALL_MONTH)]
    # every other KPI-month is met with a margin of at least 2 points, except the month
    # placed exactly on the complaint-satisfaction target
    on_target = (k["kpi"] == "complaint_satisfaction") & (k["month"] == samples.EXACT_TARGET_MONTH)
    rest = k[k["met"] & ~on_target]
    assert (rest["num"] * 100 >= (rest["target"] + 2) * rest["den"]).all()
    # and the miss is clear, not a rounding artefact
    jul = missed.iloc[0]
    assert jul["num"] * 100 <= 80 * jul["den"]


def test_one_month_exactly_on_the_complaint_satisfaction_target(ev):
    k = _fee_kpi_counts(ev)
    csat = k[k["kpi"] == "complaint_satisfaction"]
    exact = csat[csat["num"] * 100 == 85 * csat["den"]]
    assert list(exact["month"]) == [samples.EXACT_TARGET_MONTH]
    assert exact["den"].iloc[0] >= 100


def test_resolution_and_followup_satisfaction_in_realistic_bands(ev):
    k = _fee_kpi_counts(ev)
    rate = k["num"] / k["den"] * 100
    assert rate[k["kpi"] == "consultation_resolution"].between(92, 95.5).all()
    assert rate[k["kpi"] == "followup_satisfaction"].between(92, 96.5).all()


def test_followup_coverage_one_month_under_30_percent(ev):
    f, n = ev["followups"], ev["new_customers"]
    distinct = f.groupby(_month_of(f["visited_at"]))["customer_id"].nunique()
    new = n.groupby(_month_of(n["acquired_at"])).size()
    cov = distinct / new * 100
    assert list(cov[cov < 30].index) == [samples.LOW_COVERAGE_MONTH]
    assert cov.drop(samples.LOW_COVERAGE_MONTH).between(34, 46).all()
    # some customers are called twice in a month: rows > distinct customers
    assert (f.groupby(_month_of(f["visited_at"])).size() > distinct).all()
    # unrated follow-ups exist
    assert f["satisfaction"].isna().sum() > 0


# ------------------------------------------------------------------ seasonal patterns
def test_holiday_dips_and_sales_surges(ev):
    c = ev["consultations"]
    per_month = c.groupby(_month_of(c["received_at"])).size()
    days = pd.Series({m: pd.Period(m).days_in_month for m in MONTHS})
    daily = per_month / days
    median = daily.median()
    assert daily["2026-02"] < median and daily["2026-10"] < median
    per_day = c.groupby(c["received_at"].dt.normalize()).size()
    spring = per_day["2026-02-15":"2026-02-23"].mean()
    national = per_day["2026-10-01":"2026-10-07"].mean()
    ordinary = per_day["2026-03-01":"2026-05-31"].mean()
    assert spring < 0.65 * ordinary and national < 0.65 * ordinary
    assert per_month["2026-06"] > 1.15 * per_month.median()
    assert per_month["2026-11"] > 1.15 * per_month.median()
    assert per_day[pd.Timestamp("2026-11-11")] > 1.8 * ordinary
    # Sundays are the quietest weekday; some contacts arrive outside 09:00-21:00
    by_weekday = c.groupby(c["received_at"].dt.day_of_week).size()
    assert by_weekday.idxmin() == 6
    hours = c["received_at"].dt.hour
    assert 0.01 < ((hours < 9) | (hours >= 21)).mean() < 0.10
    share = c["channel"].astype(str).value_counts(normalize=True)
    assert abs(share["phone"] - 0.5) < 0.03 and abs(share["email"] - 0.2) < 0.03


def test_recall_month_complaint_spike(ev):
    p = ev["complaints"]
    per_month = p.groupby(_month_of(p["received_at"])).size()
    assert per_month[samples.RECALL_MONTH] > 1.8 * per_month.drop(samples.RECALL_MONTH).median()
    recall = p[p["product"].astype(str) == samples.RECALL_PRODUCT]
    jul = recall[_month_of(recall["received_at"]) == samples.RECALL_MONTH]
    assert len(jul) > 0.5 * len(recall)
    assert (jul["received_at"].dt.date >= samples.RECALL_DATE).mean() > 0.9
    assert "安全隐患" in set(jul["category"].astype(str))


def test_response_contact_and_solution_mostly_in_time_with_a_tail(ev):
    c = ev["consultations"]
    wait = (c["first_response_at"] - c["received_at"]).dt.total_seconds()
    in_hours = c["received_at"].dt.hour.between(9, 19)  # clock starts on arrival
    limit = c["channel"].astype(str).map({"phone": 60, "chat": 120, "email": 14400}).astype(float)
    ok = (wait <= limit)[in_hours]
    assert 0.85 < ok.mean() < 0.98
    p = ev["complaints"]
    contact = (p["first_contact_at"] - p["received_at"]) <= pd.Timedelta(hours=2)
    assert 0.75 < contact.mean() < 0.95
    solved_days = (p["preliminary_solution_at"].dt.normalize() - p["received_at"].dt.normalize()).dt.days
    assert (solved_days > 7).any() and (solved_days <= 7).mean() > 0.9


def test_open_complaints_mostly_in_last_months(ev):
    p = ev["complaints"]
    open_ = p[p["closed_at"].isna()].groupby(_month_of(p["received_at"])).size()
    open_ = open_.reindex(MONTHS, fill_value=0)
    assert open_["2026-12"] > open_.drop("2026-12").max()
    assert open_["2026-12"] >= 5
    assert p.loc[p["closed_at"].isna(), "satisfaction"].isna().all()  # open = not rated yet
    closed = p[p["closed_at"].notna()]
    assert closed["satisfaction"].isna().sum() > 0  # some closed ones unrated
    assert set(p["satisfaction"].dropna().astype(int)) == {1, 2, 3, 4, 5}


# ------------------------------------------------------------------ personal data
def test_personal_data_realistic_and_stable_per_customer(ev):
    c, p = ev["consultations"], ev["complaints"]
    people = pd.concat([c[["customer_id", "customer_name", "phone"]], p[["customer_id", "customer_name", "phone"]]])
    assert people["customer_name"].str.fullmatch(r"[\u4e00-\u9fff]{2,4}").all()
    assert people["phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert p["email"].str.fullmatch(r"[a-z0-9]+@[a-z0-9]+\.(com|cn)").all()
    per_id = people.groupby("customer_id").nunique()
    assert (per_id["customer_name"] == 1).all() and (per_id["phone"] == 1).all()
    assert p.groupby("customer_id")["email"].nunique().eq(1).all()
    assert people.groupby("phone")["customer_id"].nunique().eq(1).all()
    assert people["customer_name"].str.len().eq(3).mean() > 0.5  # mostly 3-character names
    # some new customers consult or complain later
    assert c["customer_id"].isin(ev["new_customers"]["customer_id"]).mean() > 0.1


# ------------------------------------------------------------------ settlement
def test_settlement_split_late_payment_and_one_late_invoice(settlement, settlement_inputs):
    amounts, due, inv_due = settlement_inputs
    pay, inv = settlement["payments"], settlement["invoices"]
    assert pay.groupby("service_month")["amount"].sum().to_dict() == amounts
    counts = pay.groupby("service_month").size()
    assert list(counts[counts > 1].index) == [samples.SPLIT_PAYMENT_MONTH]
    assert counts[samples.SPLIT_PAYMENT_MONTH] == 2
    pay = pay.assign(late=[(p.date() - due[m]).days for p, m in zip(pay["paid_at"], pay["service_month"])])
    late = pay[pay["late"] > 0]
    assert list(late["service_month"]) == [samples.SPLIT_PAYMENT_MONTH]
    assert late["late"].iloc[0] >= samples.SPLIT_LATE_DAYS
    aug = pay[pay["service_month"] == samples.SPLIT_PAYMENT_MONTH]
    assert aug["amount"].iloc[0] > aug["amount"].iloc[1] > 0  # most of it on time
    for p, m in zip(pay["paid_at"], pay["service_month"]):  # never before the month ended
        assert p.strftime("%Y-%m") > m
    # one invoice per payment, in date order; exactly one invoice one working day late
    assert len(inv) == len(pay)
    assert list(inv["amount"]) == list(pay["amount"])
    deadlines = [inv_due(p.date()) for p in pay["paid_at"]]
    issued = [t.date() for t in inv["issued_at"]]
    late_inv = [(i, d) for i, d in zip(issued, deadlines) if i > d]
    assert len(late_inv) == 1
    i, d = late_inv[0]
    assert i == _nth_workday_after(d, 1)
    assert inv.loc[[x > y for x, y in zip(issued, deadlines)], "service_month"].tolist() == [samples.LATE_INVOICE_MONTH]
    assert all(i > p.date() for i, p in zip(issued, pay["paid_at"]))


# ------------------------------------------------------------------ files
def test_csv_format(tmp_path, ev, settlement):
    paths = write_tables({**ev, **settlement}, tmp_path)
    raw = {p.stem: p.read_text(encoding="utf-8") for p in paths}
    ts = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
    con = pd.read_csv(tmp_path / "consultations.csv", dtype=str, keep_default_na=False)
    assert con["received_at"].str.fullmatch(ts).all()
    assert set(con["resolved"]) == {"true", "false"}
    assert (con["first_response_at"] == "").any() and (con["resolved_at"] == "").any()
    assert con.loc[con["first_response_at"] == "", "agent_id"].eq("").all()
    cmp_ = pd.read_csv(tmp_path / "complaints.csv", dtype=str, keep_default_na=False)
    assert set(cmp_["satisfaction"]) == {"", "1", "2", "3", "4", "5"}
    assert (cmp_["closed_at"] == "").any()
    assert cmp_.loc[cmp_["closed_at"] != "", "closed_at"].str.fullmatch(ts).all()
    assert "移动电源" in raw["complaints"] and not raw["complaints"].startswith("\ufeff")
    vis = pd.read_csv(tmp_path / "onsite_visits.csv", dtype=str)
    assert set(vis["fee"]) <= {"300.00", "500.00"}
    for name in ("payments", "invoices"):
        t = pd.read_csv(tmp_path / f"{name}.csv", dtype=str)
        assert t["amount"].str.fullmatch(r"\d+\.\d{2}").all()
        assert t["service_month"].str.fullmatch(r"2026-\d{2}").all()
        assert t.iloc[:, 2].str.fullmatch(ts).all()
    assert "\r\n" not in raw["payments"]


def test_parquet_needs_pyarrow_and_bad_arguments(tmp_path, ev):
    small = {"onsite_visits": ev["onsite_visits"]}
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pyarrow"):
            write_tables(small, tmp_path, fmt="parquet")
    else:
        (path,) = write_tables(small, tmp_path, fmt="parquet")
        assert len(pd.read_parquet(path)) == len(ev["onsite_visits"])
    with pytest.raises(ValueError):
        write_tables(small, tmp_path, fmt="xlsx")
    with pytest.raises(ValueError):
        generate_events(months=["2026-13"])
    with pytest.raises(ValueError):
        generate_events(tz="Mars/Olympus")


def test_volume_scales_with_consultations_per_month():
    big = generate_events(months=["2026-03"], consultations_per_month=20_000)
    n = len(big["consultations"])
    assert 17_000 < n < 23_000
    assert big["consultations"]["consultation_id"].is_unique
    assert big["consultations"]["customer_id"].str.fullmatch(r"C\d{6,}").all()
    counts = big["complaints"]["satisfaction"].dropna()
    assert (counts >= 4).sum() * 100 >= 88 * len(counts)
