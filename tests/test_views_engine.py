"""The report's views over a folder read month by month (MonthlyData over Parquet): the same
tables as over the whole CSV data set (load_dataset), with the consultations' breakdowns
counted by the columnar engine and never held as rows; the loader's rows where the engine
declines; names inside engine-read labels masked; the misses table cut to a page."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import sample_as_parquet
from sla_lib import kpis, masking, views
from sla_lib.data import load_dataset
from sla_lib.monthly import MonthlyData, open_data
from sla_lib.terms import load_terms

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples"
MONTH, QUARTER = "2026-10", "2026Q3"
COMPLAINT_KPIS = ["complaint_contact", "complaint_solution", "complaint_satisfaction"]


@pytest.fixture(scope="module")
def terms():
    return load_terms(SAMPLE / "contract.yaml")


@pytest.fixture(scope="module")
def whole(terms):
    return load_dataset(SAMPLE, terms)


@pytest.fixture(scope="module")
def by_month(tmp_path_factory, terms):
    data = open_data(sample_as_parquet(tmp_path_factory.mktemp("views-engine")), terms)
    assert isinstance(data, MonthlyData)
    return data


def _views(data, terms) -> dict[str, pd.DataFrame]:
    """Every table the report notebooks show that comes from event rows."""
    quarter = views.quarter_months(QUARTER)
    both = views.quarter_months(views.previous_quarter(QUARTER)) + quarter
    month_kpis = kpis.month_kpis(data, terms, MONTH)
    stats = kpis.complaint_statistics(data, terms, MONTH)
    out = {
        "quality_by_channel": views.quality_by(data, terms, MONTH, "channel"),
        "quality_by_product": views.quality_by(data, terms, MONTH, "product"),
        "breakdown_c10_product": views.kpi_breakdown(data, terms, MONTH, "complaint_satisfaction", "product"),
        "breakdown_c9_channel_quarter": views.kpi_breakdown(data, terms, quarter, "consultation_resolution", "channel"),
        "group_kpis_consultations": views.group_kpis(data, terms, quarter, "consultations", ["channel", "product"]),
        "arrivals_heatmap": views.arrivals_heatmap(data, terms, quarter),
        "arrivals_heatmap_complaints": views.arrivals_heatmap(data, terms, MONTH, "complaints"),
        "channel_mix_consultations": views.channel_mix(data, terms, both, "consultations"),
        "channel_mix_complaints": views.channel_mix(data, terms, both, "complaints"),
        "complaint_drilldown": views.complaint_drilldown(data, terms, quarter),
        "score_distribution": views.score_distribution(data, terms, MONTH),
        "daily_complaint_volume": views.daily_complaint_volume(data, terms, MONTH),
        "handling_time_distribution": views.handling_time_distribution(data, terms, MONTH, month_kpis),
        "kpi_trend": views.kpi_trend(data, terms, MONTH),
        "quarter_kpis": views.quarter_kpis(data, terms, QUARTER),
    }
    out.update({f"complaint_breakdown_{k}": v for k, v in views.complaint_breakdowns(data, terms, MONTH).items()})
    out.update({f"statistics_{f}": getattr(stats, f) for f in
                ("by_category_channel", "status_at_month_end", "ageing_open", "handling_times", "repeat_complainers")})
    return out


def test_every_view_is_the_same_read_month_by_month(whole, by_month, terms):
    expected, got = _views(whole, terms), _views(by_month, terms)
    for name, frame in expected.items():
        assert not frame.empty or name == "statistics_repeat_complainers", name  # the sample has none in October
        pd.testing.assert_frame_equal(got[name], frame, check_dtype=False, obj=name)


def test_the_consultations_are_counted_by_the_engine_never_read_as_rows(tmp_path, terms, whole, monkeypatch):
    data = open_data(sample_as_parquet(tmp_path / "d"), terms)
    read = []
    original = MonthlyData.rows

    def rows(self, table, months, every_column=True):
        read.append(table)
        return original(self, table, months, every_column)

    monkeypatch.setattr(MonthlyData, "rows", rows)
    quarter = views.quarter_months(QUARTER)
    pd.testing.assert_frame_equal(views.arrivals_heatmap(data, terms, quarter), views.arrivals_heatmap(whole, terms, quarter))
    pd.testing.assert_frame_equal(views.channel_mix(data, terms, quarter), views.channel_mix(whole, terms, quarter))
    pd.testing.assert_frame_equal(views.quality_by(data, terms, MONTH, "product"), views.quality_by(whole, terms, MONTH, "product"),
                                  check_dtype=False)
    assert read == []
    assert {("consultations", m) for m in quarter} <= data.engine_counted


def test_the_misses_table_is_the_same_but_for_the_rows_numbers_of_a_csv(whole, by_month, terms):
    def misses(data):
        return views.misses_table(kpis.month_kpis(data, terms, MONTH), data, COMPLAINT_KPIS, terms, columns=views.COMPLAINT_MISS_COLUMNS)

    csv, parquet = misses(whole), misses(by_month)
    assert len(csv) == csv.attrs["records"] > 10
    # a CSV's row numbers count its header line; a Parquet file's count its rows
    assert (csv["source_row"] == parquet["source_row"] + 1).all()
    pd.testing.assert_frame_equal(parquet.drop(columns="source_row"), csv.drop(columns="source_row"), check_dtype=False)


def test_a_misses_table_cut_to_a_page_keeps_the_earliest_and_says_how_many(whole, terms):
    month_kpis = kpis.month_kpis(whole, terms, MONTH)
    full = views.misses_table(month_kpis, whole, COMPLAINT_KPIS, terms)
    page = views.misses_table(month_kpis, whole, COMPLAINT_KPIS, terms, limit=7)
    assert len(page) == 7 and page.attrs["records"] == len(full) == full.attrs["records"]
    pd.testing.assert_frame_equal(page, full.head(7))
    assert len(views.misses_table(month_kpis, whole, COMPLAINT_KPIS, terms, limit=len(full) + 1)) == len(full)


def test_a_month_with_a_row_set_aside_is_grouped_from_the_loaders_rows(tmp_path, terms):
    consultations = pd.read_csv(SAMPLE / "consultations.csv", dtype=str, keep_default_na=False)
    in_month = consultations.index[consultations["received_at"].str.startswith(MONTH)]
    consultations.loc[in_month[3], "channel"] = "pigeon"  # an unknown channel: the loader sets the row aside
    consultations.loc[in_month[5], "consultation_id"] = ""  # no id: set aside too
    csv_dir = tmp_path / "csv"
    shutil.copytree(SAMPLE, csv_dir)
    consultations.to_csv(csv_dir / "consultations.csv", index=False)
    data = open_data(sample_as_parquet(tmp_path / "pq", {"consultations": consultations}), terms)
    whole = load_dataset(csv_dir, terms)

    got = views.quality_by(data, terms, MONTH, "channel")
    assert ("consultations", MONTH) not in data.engine_counted  # the engine declined the month
    pd.testing.assert_frame_equal(got, views.quality_by(whole, terms, MONTH, "channel"), check_dtype=False)
    pd.testing.assert_frame_equal(views.arrivals_heatmap(data, terms, MONTH), views.arrivals_heatmap(whole, terms, MONTH))
    total = views.channel_mix(data, terms, MONTH)["total"].iloc[0]
    assert total == views.channel_mix(whole, terms, MONTH)["total"].iloc[0] == len(in_month) - 2


@pytest.mark.parametrize("written", ["欧阳娜娜", "\u3000欧阳娜娜 "], ids=["as-is", "with-spaces-around"])
def test_a_name_inside_a_label_the_engine_read_is_masked(tmp_path, terms, written):
    consultations = pd.read_csv(SAMPLE / "consultations.csv", dtype=str, keep_default_na=False)
    complaints = pd.read_csv(SAMPLE / "complaints.csv", dtype=str, keep_default_na=False)
    name = "欧阳娜娜"  # a complainer's name, typed by someone into a product field of a consultation
    complaints.loc[0, "customer_name"] = written  # the loader trims it
    row = consultations.index[consultations["received_at"].str.startswith(MONTH)][0]
    consultations.loc[row, "product"] = f"{name}的手机"
    data = open_data(sample_as_parquet(tmp_path / "pq", {"consultations": consultations, "complaints": complaints}), terms)
    masking.forget_names()
    try:
        table = views.quality_by(data, terms, MONTH, "product")
        assert f"{name}的手机" in set(table["product"])  # the view keeps the value; every output masks it
        assert name in masking.known_names()
        shown = masking.mask_frame(table)
        assert not shown["product"].astype(str).str.contains(name).any()
    finally:
        masking.forget_names()


def _open_at_end_oracle(whole, terms, month: str) -> list[tuple]:
    """Brute force over the whole CSV table: (received, closed) of every complaint received
    before the end of ``month`` that was received in it or not closed by its end."""
    from sla_lib.calendar import month_bounds, to_local_naive

    rows = whole["complaints"]
    received = to_local_naive(rows["received_at"], terms.contract.timezone)
    closed = to_local_naive(rows["closed_at"], terms.contract.timezone)
    first, end = month_bounds(month)
    out = []
    for r, c in zip(received, closed):
        if r < end and (r >= first or pd.isna(c) or c >= end):
            out.append((r, None if pd.isna(c) else c))
    return sorted(out, key=lambda t: (t[0], t[1] or pd.Timestamp.max))


def test_c4_reads_the_month_and_the_open_backlog_not_every_month_before(tmp_path, whole, terms, monkeypatch):
    """C4's status at month end over Parquet: the month's complaints and the earlier ones
    still open, the earlier months narrowed in the engine's scan (the loader reads none of
    them), equal to a brute-force pass over the whole CSV table in every month of the year,
    and far fewer rows than every month up to December."""
    data = open_data(sample_as_parquet(tmp_path / "pq"), terms)
    loader_reads = []
    read = MonthlyData._read
    monkeypatch.setattr(MonthlyData, "_read", lambda self, table, m, *a: loader_reads.append((table, m)) or read(self, table, m, *a))
    for month in views.term_months_to(terms, "2026-12"):
        opened = data.complaints_open_at_end(month)
        got = sorted(((r, None if pd.isna(c) else c) for r, c in zip(opened["received_at"], opened["closed_at"])),
                     key=lambda t: (t[0], t[1] or pd.Timestamp.max))
        assert got == _open_at_end_oracle(whole, terms, month), month
        assert kpis.complaint_statistics(data, terms, month).status_at_month_end.equals(
            kpis.complaint_statistics(whole, terms, month).status_at_month_end), month
    assert loader_reads == [("complaints", m) for m in views.term_months_to(terms, "2026-12")]  # the month's rows, for C4's other figures
    from sla_lib.calendar import month_bounds
    from sla_lib.columnar import complaints_open_at_end

    august = complaints_open_at_end(data.files, terms.contract.timezone, "2026-08", "2026-12")  # narrowed in the scan itself
    lo, hi = month_bounds("2026-08")
    backlog = [t for t in _open_at_end_oracle(whole, terms, "2026-12") if lo <= t[0] < hi]
    assert len(backlog) == 2 and [(pd.Timestamp(r), None if c == np.iinfo(np.int64).min else pd.Timestamp(c)) for r, c in zip(*august)] == backlog
    year = len(whole["complaints"])
    assert len(data.complaints_open_at_end("2026-12")) < year / 6  # December and its backlog, not the year
    assert len(data.complaints_open_at_end("2025-12")) == 0


def test_c4_status_by_hand_over_the_engine_and_where_the_loader_reads_a_month(tmp_path, terms, monkeypatch):
    """Five complaints worked by hand for October 2026 (end: 2026-11-01 00:00): received in
    September and still open (age 61 days), September closed 10-05 (counts nowhere), September
    closed 11-02 (open at the end, 42 days), October closed 10-20 (closed by month end),
    October still open (received 10-29 08:00: age 2 days). The same figures when a row of
    September (a score of 7) makes the engine hand that month to the loader, which sets the
    row aside."""
    header = "complaint_id,customer_id,received_at,first_contact_at,preliminary_solution_at,closed_at,satisfaction,channel,category,product"
    rows = [
        "K1,C1,2026-09-01 09:00:00,2026-09-01 10:00:00,,,,phone,质量,手机",
        "K2,C2,2026-09-02 09:00:00,2026-09-02 10:00:00,2026-09-03 09:00:00,2026-10-05 12:00:00,5,phone,质量,手机",
        "K3,C3,2026-09-20 09:00:00,2026-09-20 10:00:00,2026-09-21 09:00:00,2026-11-02 12:00:00,4,email,物流,手表",
        "K4,C4,2026-10-10 09:00:00,2026-10-10 10:00:00,2026-10-11 09:00:00,2026-10-20 12:00:00,5,chat,质量,手机",
        "K5,C5,2026-10-29 08:00:00,2026-10-29 09:00:00,,,,phone,物流,手表",
    ]
    expected = {"received_this_month": 2, "closed_by_month_end": 1,
                "open_at_month_end_from_this_month": 1, "open_at_month_end_from_earlier": 2}
    ageing = {"0-3": 1, "4-7": 0, "8-14": 0, "15-30": 0, ">30": 2}  # 10-29 08:00 -> 2 days; 09-20 -> 42; 09-01 -> 61
    from sla_lib.columnar import complaints_open_at_end

    for extra, loader_reads_september in (([], False), (["K6,C6,2026-09-25 09:00:00,,,,7,phone,质量,手机"], True)):
        import io

        frame = pd.read_csv(io.StringIO("\n".join([header, *rows, *extra])), dtype=str, keep_default_na=False)
        data = open_data(sample_as_parquet(tmp_path / f"pq{len(extra)}", {"complaints": frame}), terms)
        reads = []
        read = MonthlyData._read
        monkeypatch.setattr(MonthlyData, "_read", lambda self, table, m, *a: reads.append(m) or read(self, table, m, *a))
        stats = kpis.complaint_statistics(data, terms, "2026-10")
        monkeypatch.undo()
        assert stats.status_at_month_end.iloc[0].to_dict() == expected
        assert dict(zip(stats.ageing_open["age_days"], stats.ageing_open["open_complaints"])) == ageing
        assert ("2026-09" in reads) == loader_reads_september
        september = complaints_open_at_end(data.files, terms.contract.timezone, "2026-09", "2026-10")
        if loader_reads_september:
            assert september is None
        else:  # narrowed in the scan itself: K1 and K3, not K2
            assert [str(pd.Timestamp(r)) for r in september[0]] == ["2026-09-01 09:00:00", "2026-09-20 09:00:00"]


def test_a_report_of_a_parquet_folder_shows_what_the_csv_report_shows(tmp_path, terms):
    """End to end: `sla report` over the sample as Parquet (read month by month) publishes
    the same tables as over the CSV sample, but for the misses' file row numbers."""
    from io import StringIO

    from sla_lib.report import build_report

    def tables(data_dir, out):
        result = build_report(SAMPLE / "contract.yaml", data_dir, MONTH, out_dir=out, formats=("html",), jobs=2,
                              notebooks=["satisfaction_trends", "complaint_statistics"], as_of="2026-12-31", progress=False)
        pages = {p.name: pd.read_html(StringIO(p.read_text(encoding="utf-8"))) for p in sorted(result.folder.glob("*.html"))
                 if p.name != "index.html"}
        return result.headline, pages

    csv_headline, csv_pages = tables(SAMPLE, tmp_path / "csv-out")
    pq_headline, pq_pages = tables(sample_as_parquet(tmp_path / "pq"), tmp_path / "pq-out")
    assert pq_headline == csv_headline
    assert csv_pages.keys() == pq_pages.keys() == {"satisfaction_trends.html", "complaint_statistics.html"}
    for page, frames in csv_pages.items():
        assert len(pq_pages[page]) == len(frames) > 3
        for csv, pq in zip(frames, pq_pages[page]):
            if "数据表" in csv.columns:  # the data accounting: a month-by-month read counts the months it read
                assert list(pq["数据表"]) == list(csv["数据表"])
                continue
            rows = [c for c in csv.columns if "行" in str(c)]  # the misses' source rows: a CSV counts its header
            pd.testing.assert_frame_equal(pq.drop(columns=rows), csv.drop(columns=rows))


def test_the_names_of_a_month_read_first_by_c4_are_remembered_when_a_view_takes_it(tmp_path, terms):
    data = open_data(sample_as_parquet(tmp_path / "pq"), terms)
    masking.forget_names()
    try:
        kpis.complaint_statistics(data, terms, MONTH)  # reads the month's complaints first, knows nothing of masking
        assert masking.known_names() == ()
        views.daily_complaint_volume(data, terms, MONTH)  # the same read, kept, handed to a view
        names = {n.strip() for n in data.rows("complaints", MONTH)["customer_name"].dropna()}
        assert names and names <= set(masking.known_names())
    finally:
        masking.forget_names()
