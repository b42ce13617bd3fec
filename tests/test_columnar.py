"""Issue 13: the columnar engine (sla_lib.columnar) counts a month straight from Parquet.

It must give the loader's figures to the row: every count and every missed id, in the same
order, for every month of the sample year and for hand-built months that exercise each rule
(per-channel limits, service clocks, deadlines over holidays, unrated rows, integer ids,
unsorted ids, Chinese column names). And it must never decide on a row the loader would set
aside: for each such row the engine declines the month (count_group gives None) and the
month is read by the loader, which names file, row and column."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sla_lib import columnar
from sla_lib.calendar import WorkCalendar
from sla_lib.errors import SlaError, TableError
from sla_lib.fees import month_fee_statement
from sla_lib.kpi_store import CompactMemo, KpiStore
from sla_lib.kpis import KPI_GROUPS, MissedIds, month_kpis
from sla_lib.monthly import MonthlyData
from sla_lib.terms import load_terms

from conftest import as_parquet, sample_as_parquet

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples"
TERMS = SAMPLE / "contract.yaml"
EVENT_TABLES = ("consultations", "complaints", "followups", "new_customers")
MONEY_TABLES = ("payments", "invoices", "onsite_visits")


@pytest.fixture(scope="module")
def terms():
    return load_terms(TERMS)


@pytest.fixture(scope="module")
def sample_parquet(tmp_path_factory):
    """The sample year: event tables as Parquet (naive local timestamps), money tables as CSV."""
    return sample_as_parquet(tmp_path_factory.mktemp("columnar"))


def _by_loader(source: MonthlyData, terms, month: str) -> dict:
    workcal = WorkCalendar.from_terms(terms)
    out = {}
    for _, tables, compute in KPI_GROUPS:
        out.update(compute(source.month(month, tables), terms, month, workcal))
    return out


def _by_engine(source: MonthlyData, terms, month: str) -> dict:
    workcal = WorkCalendar.from_terms(terms)
    out = {}
    for name, _, _ in KPI_GROUPS:
        counted = columnar.count_group(name, source.files, terms, month, workcal)
        assert counted is not None, f"the engine declined {name} of {month}"
        out.update(counted[0])
    return out


def _same(engine: dict, loader: dict) -> None:
    assert list(engine) and set(engine) == set(loader)
    for kpi, e in engine.items():
        r = loader[kpi]
        assert (e.met, e.total, e.target_pct, e.ok) == (r.met, r.total, r.target_pct, r.ok), kpi
        assert isinstance(e.missed_ids, MissedIds) and not e.missed_ids.listed  # nothing listed yet
        assert tuple(e.missed_ids) == tuple(r.missed_ids), kpi  # the same ids, in file order


def test_every_month_of_the_sample_year_equals_the_loader(sample_parquet, terms):
    source = MonthlyData.open(sample_parquet, terms)
    for month in terms.term_months:
        _same(_by_engine(source, terms, month), _by_loader(source, terms, month))


def test_the_engine_counts_the_fee_statement_without_listing_a_miss(sample_parquet, terms):
    source = MonthlyData.open(sample_parquet, terms)
    statement = month_fee_statement(source, terms, "2026-12", as_of=dt.date(2027, 2, 28))
    whole = month_fee_statement(MonthlyData.open(SAMPLE, terms), terms, "2026-12", as_of=dt.date(2027, 2, 28))
    assert statement.to_json() == whole.to_json()
    for key in source.kpi_cache:  # C19 looked back over the term: every month counted, no id listed
        for r in source.kpi_cache[key].results.values():
            assert isinstance(r.missed_ids, MissedIds) and not r.missed_ids.listed
    accounts = source.accounting
    assert accounts["consultations"].rows_read == accounts["consultations"].rows_used > 0


def _month_frames() -> dict[str, pd.DataFrame]:
    """A hand-built October 2026 (National Day holiday 1–7 Oct, working Saturday 10 Oct)."""
    consultations = pd.DataFrame({
        "consultation_id": ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"],
        "channel": ["电话", "email", "chat", "Phone", "在线客服", "mail"],
        "customer_id": ["C1", "", "C3", "C4", "C5", "C6"],
        "received_at": ["2026-10-09 08:00", "2026-10-09 17:50", "2026-10-10 10:00", "2026-09-30 17:59",
                        "2026-10-31 23:00", "2026-10-12 09:00"],
        "first_response_at": ["2026-10-09 09:00:59", "2026-10-11 09:30", "2026-10-10 10:03", "2026-10-09 09:00",
                              "", "2026-10-12 12:00"],
        "resolved": ["true", "false", "true", "true", "false", "true"],
    })
    complaints = pd.DataFrame({
        "complaint_id": ["K1", "K2", "K3", "K4"],
        "customer_id": ["C1", "C2", "C3", "C1"],
        "received_at": ["2026-10-09 10:00", "2026-10-30 16:00", "2026-10-12 09:00", "2026-10-20 09:00"],
        "first_contact_at": ["2026-10-09 12:00", "2026-11-02 09:00", "", "2026-10-20 11:00:01"],
        "preliminary_solution_at": ["2026-10-13 23:59", "2026-11-06 10:00", "2026-10-16 00:00", ""],
        "closed_at": ["2026-10-20 10:00", "", "2026-10-22 10:00", ""],
        "satisfaction": ["5", "", "2", "4"],
    })
    followups = pd.DataFrame({
        "followup_id": ["F1", "F2", "F3", "F4"],
        "customer_id": ["N1", "N1", "OLD", "N3"],
        "visited_at": ["2026-10-09 10:00", "2026-10-19 10:00", "2026-10-20 10:00", "2026-11-02 10:00"],
        "satisfaction": ["5", "3", "", "4"],
    })
    new_customers = pd.DataFrame({
        "customer_id": ["N1", "N2", "N3", "N4"],
        "acquired_at": ["2026-10-02 10:00", "2026-10-09 10:00", "2026-10-30 10:00", "2026-10-31 10:00"],
    })
    return {"consultations": consultations, "complaints": complaints, "followups": followups, "new_customers": new_customers}


def _folder(tmp_path: Path, frames: dict, writer=as_parquet) -> Path:
    for name in MONEY_TABLES[:2]:
        (tmp_path / f"{name}.csv").write_text(
            f"{name[:-1]}_id,service_month,{'paid_at' if name == 'payments' else 'issued_at'},amount\n", encoding="utf-8")
    for name, frame in frames.items():
        writer(frame, tmp_path / f"{name}.parquet")
    return tmp_path


def test_hand_built_month_equals_the_loader_and_hand_counts(tmp_path, terms):
    source = MonthlyData.open(_folder(tmp_path, _month_frames()), terms)
    engine = _by_engine(source, terms, "2026-10")
    _same(engine, _by_loader(source, terms, "2026-10"))
    # worked by hand with the sample's terms: response limits phone 1, chat 2, email 240 minutes
    # of service time, 09:00–21:00 every day; contact within 2 hours; a solution within 3
    # working days (K1 of Fri 9 Oct: Sat 10 (worked), Mon 12, Tue 13); satisfied from 4.
    # C1: Q1 59 s from opening (met), Q2 940 min by e-mail, Q3 3 min by chat, Q5 never
    # answered, Q6 180 min by e-mail (met); Q4 is September's.
    def counted(kpi):
        r = engine[kpi]
        return r.met, r.total, tuple(r.missed_ids)

    assert counted("consultation_response") == (2, 5, ("Q2", "Q3", "Q5"))
    assert counted("consultation_resolution") == (3, 5, ("Q2", "Q5"))
    # C2: K1 exactly 2 h (met), K2 65 h, K3 never contacted, K4 2 h 0 min 1 s
    assert counted("complaint_contact") == (1, 4, ("K2", "K3", "K4"))
    # C3: K1 at 23:59 of its deadline day (met); K2 due 4 Nov, K3 due 15 Oct (solved 16 Oct 00:00), K4 never
    assert counted("complaint_solution") == (1, 4, ("K2", "K3", "K4"))
    assert tuple(engine["consultation_resolution"].missed_ids) == ("Q2", "Q5")
    assert engine["followup_coverage"].total == 4 and engine["followup_coverage"].met == 2  # N1 and OLD
    assert tuple(engine["followup_coverage"].missed_ids) == ("N2", "N3", "N4")
    assert (engine["followup_satisfaction"].met, engine["followup_satisfaction"].total) == (1, 2)
    assert (engine["complaint_satisfaction"].met, engine["complaint_satisfaction"].total) == (2, 3)
    # November: one follow-up (F4) and nothing else; every other KPI n/a, as the loader says
    november = _by_engine(source, terms, "2026-11")
    _same(november, _by_loader(source, terms, "2026-11"))
    assert [k for k, r in november.items() if r.total] == ["followup_satisfaction"]


def test_service_clock_integer_ids_unsorted_ids_and_chinese_headers(tmp_path, terms):
    frames = _month_frames()
    frames["consultations"] = frames["consultations"].iloc[::-1]  # ids falling through the file
    frames["complaints"]["complaint_id"] = ["40", "3", "17", "2"]
    chinese = {"consultation_id": "咨询编号", "received_at": "接入时间", "channel": "渠道"}

    def writer(frame, path):
        if "complaint_id" in frame:
            frame = frame.assign(complaint_id=frame["complaint_id"].astype("int64"))
        as_parquet(frame, path)
        if "consultation_id" in frame:
            table = pq.read_table(path)
            pq.write_table(table.rename_columns([chinese.get(n, n) for n in table.column_names]), path)

    source = MonthlyData.open(_folder(tmp_path, frames, writer), terms)
    assert pq.read_schema(tmp_path / "complaints.parquet").field("complaint_id").type == pa.int64()
    for changed in (terms, terms.with_changes({"standards.complaint_contact_clock": "service",
                                               "service_hours.days": "workdays"})):
        _same(_by_engine(source, changed, "2026-10"), _by_loader(source, changed, "2026-10"))


COPY = object()  # the whole row 0 copied over the row
def test_a_calendar_that_ends_with_the_year(tmp_path, terms):
    """Without the terms' 2027 overrides chinese-calendar covers 2026 only: December's
    horizon is cut at 31 December, consultations (and workday service) are still counted by
    the engine; December's complaints, whose C3 deadlines run into 2027, go to the loader,
    which counts them when none is received that late, and raises naming 2027 when one is."""
    frames = _month_frames()
    frames["consultations"] = pd.DataFrame({
        "consultation_id": ["Q1", "Q2"], "channel": ["phone", "chat"], "customer_id": ["C1", "C2"],
        "received_at": ["2026-12-04 10:00", "2026-12-31 20:00"], "first_response_at": ["2026-12-04 10:30", "2026-12-31 20:01"],
        "resolved": ["true", "false"]})
    frames["complaints"] = pd.DataFrame({
        "complaint_id": ["K1", "K2"], "customer_id": ["C1", "C2"], "received_at": ["2026-12-07 10:00", "2026-12-10 10:00"],
        "first_contact_at": ["2026-12-07 11:00", ""], "preliminary_solution_at": ["2026-12-09 10:00", "2026-12-18 10:00"],
        "closed_at": ["", ""], "satisfaction": ["5", ""]})
    plain = terms.with_changes({"calendar_overrides.holidays": [], "service_hours.days": "workdays"})
    source = MonthlyData.open(_folder(tmp_path, frames), plain)
    workcal = WorkCalendar.from_terms(plain)
    assert columnar.count_group("consultations", source.files, plain, "2026-12", workcal) is not None
    assert columnar.count_group("complaints", source.files, plain, "2026-12", workcal) is None
    consulting = ("consultation_response", "consultation_resolution")
    engine, loader = _by_engine_or_none(source, plain, "2026-12"), _by_loader(source, plain, "2026-12")
    _same({k: engine[k] for k in consulting}, {k: loader[k] for k in consulting})
    assert (engine["consultation_response"].met, engine["consultation_response"].total) == (1, 2)  # Q1: 30 min by phone
    got = month_kpis(source, plain, "2026-12")
    assert (got["complaint_solution"].met, got["complaint_solution"].total) == (1, 2)  # K2: due 15 December
    frames["complaints"].loc[1, ["received_at", "preliminary_solution_at"]] = ["2026-12-30 10:00", ""]
    late = MonthlyData.open(_folder(tmp_path, frames), plain)
    with pytest.raises(SlaError, match="2027"):
        month_kpis(late, plain, "2026-12")


def _by_engine_or_none(source: MonthlyData, terms, month: str) -> dict:
    workcal = WorkCalendar.from_terms(terms)
    out = {}
    for name, _, _ in KPI_GROUPS:
        counted = columnar.count_group(name, source.files, terms, month, workcal)
        out.update(counted[0] if counted else {})
    return out


BAD_ROWS = {  # (table, column, row, value); ids the loader trims are kept (not set aside), trimmed
    "an empty id": ("consultations", "consultation_id", 1, ""),
    "an id with a trailing space": ("consultations", "consultation_id", 1, "Q2 "),
    "an id with an ideographic space": ("new_customers", "customer_id", 0, "\u3000N1"),
    "an identical duplicate": ("complaints", "complaint_id", 1, COPY),
    "a conflicting duplicate": ("complaints", "complaint_id", 1, "K1"),
    "a duplicate customer": ("new_customers", "customer_id", 2, "N1"),
    "an unknown channel": ("consultations", "channel", 2, "fax"),
    "a blank required channel": ("consultations", "channel", 2, " "),
    "a score of 7": ("complaints", "satisfaction", 0, "7"),
    "a response before receipt": ("consultations", "first_response_at", 0, "2026-10-09 07:00"),
    "a contact in 2300": ("complaints", "first_contact_at", 0, "2300-01-01 00:00"),
    "a row with no month": ("followups", "visited_at", 1, ""),
    "an empty follow-up customer": ("followups", "customer_id", 0, ""),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_the_engine_declines_a_month_with_a_row_the_loader_sets_aside(tmp_path, terms, case):
    table, column, row, value = BAD_ROWS[case]
    frames = _month_frames()
    if value is COPY:
        frames[table].loc[row] = frames[table].loc[0]
    else:
        frames[table].loc[row, column] = value
    source = MonthlyData.open(_folder(tmp_path, frames), terms)
    group = next(name for name, tables, _ in KPI_GROUPS if table in tables)
    workcal = WorkCalendar.from_terms(terms)
    assert columnar.count_group(group, source.files, terms, "2026-10", workcal) is None
    try:
        loader = month_kpis(source, terms, "2026-10").to_json()
    except TableError as error:  # a duplicate with different contents: the loader names it
        assert Path(error.path).name == f"{table}.parquet" and error.row is not None
        return
    trimmed = value.strip() != value if isinstance(value, str) and value.strip() else False
    assert bool(source.accounting[table].set_aside) != trimmed, case  # set aside, named by row and column
    others = [name for name, _, _ in KPI_GROUPS if name != group]
    assert all(columnar.count_group(g, source.files, terms, "2026-10", workcal) for g in others)
    assert loader == month_kpis(MonthlyData.open(tmp_path, terms), terms, "2026-10").to_json()


@pytest.mark.parametrize("kind", ["text timestamps", "float scores", "a CSV table", "a broken file"])
def test_tables_the_engine_does_not_read_natively_go_to_the_loader(tmp_path, terms, kind):
    frames = _month_frames()
    source_dir = _folder(tmp_path, frames)
    complaints = frames["complaints"]
    path = tmp_path / "complaints.parquet"
    if kind == "text timestamps":
        complaints.to_parquet(path, index=False)
    elif kind == "float scores":
        c = complaints.copy()
        c["satisfaction"] = pd.to_numeric(c["satisfaction"].replace("", None)).astype(float)
        as_parquet(c.astype({"satisfaction": str}).replace("nan", ""), path)
        table = pq.read_table(path)
        table = table.set_column(table.schema.get_field_index("satisfaction"), "satisfaction",
                                 table.column("satisfaction").cast(pa.float64()))
        pq.write_table(table, path)
    elif kind == "a CSV table":
        path.unlink()
        complaints.to_csv(tmp_path / "complaints.csv", index=False)
    else:
        path.write_bytes(b"PAR1 cut short")
    source = MonthlyData.open(source_dir, terms)
    workcal = WorkCalendar.from_terms(terms)
    assert columnar.count_group("complaints", source.files, terms, "2026-10", workcal) is None
    if kind == "a broken file":  # the loader names it, as it did before the engine
        with pytest.raises(TableError, match="not a readable Parquet file"):
            month_kpis(source, terms, "2026-10")
        return
    got = month_kpis(source, terms, "2026-10")
    expected = _by_loader(source, terms, "2026-10")
    assert {k: (r.met, r.total) for k, r in got.results.items()} == {k: (r.met, r.total) for k, r in expected.items()}
    assert tuple(got["complaint_contact"].missed_ids) == tuple(expected["complaint_contact"].missed_ids)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_timestamps_with_a_zone_are_counted_as_the_loader_converts_them(tmp_path, terms, zone):
    """Exports from warehouses write instants with a zone (often UTC): the engine reads them
    natively, as the contract's wall clock (the instant plus +08:00), beside naive columns of
    the same table. Rows whose UTC day is in another month than their wall clock's count in
    the wall clock's month, as in the loader."""
    frames = _month_frames()
    frames["consultations"].loc[1, ["received_at", "first_response_at"]] = ["2026-10-01 00:30", "2026-10-01 09:10"]  # UTC: 30 Sep
    frames["complaints"].loc[3, ["received_at", "first_contact_at"]] = ["2026-11-01 07:00", "2026-11-01 08:00"]  # UTC: 31 Oct

    def writer(frame, path):
        as_parquet(frame, path)
        if "consultation_id" not in frame and "complaint_id" not in frame:
            return
        table = pq.read_table(path)
        aware = ["received_at", "first_contact_at"] if "complaint_id" in frame else ["received_at"]
        for col in aware:  # these columns as instants with a zone; the others stay naive wall clocks
            local = pd.Series(table.column(col).to_pandas()).dt.tz_localize("Asia/Shanghai").dt.tz_convert(zone)
            table = table.set_column(table.schema.get_field_index(col), col, pa.array(local, type=pa.timestamp("us", tz=zone)))
        pq.write_table(table, path)

    source = MonthlyData.open(_folder(tmp_path, frames, writer), terms)
    schema = pq.read_schema(tmp_path / "complaints.parquet")
    assert schema.field("received_at").type.tz == zone and schema.field("preliminary_solution_at").type.tz is None
    october, november = _by_engine(source, terms, "2026-10"), _by_engine(source, terms, "2026-11")
    _same(october, _by_loader(source, terms, "2026-10"))
    _same(november, _by_loader(source, terms, "2026-11"))
    assert october["consultation_resolution"].total == 5 and november["complaint_contact"].total == 1


def test_dates_count_as_their_midnight(tmp_path, terms):
    """获客日期: new customers acquired on a date (no time); read as the wall clock's midnight."""
    frames = _month_frames()

    def writer(frame, path):
        as_parquet(frame, path)
        if "acquired_at" in frame:
            table = pq.read_table(path)
            day = table.column("acquired_at").cast(pa.timestamp("s")).cast(pa.date32())
            pq.write_table(table.set_column(table.schema.get_field_index("acquired_at"), "acquired_at", day), path)

    source = MonthlyData.open(_folder(tmp_path, frames, writer), terms)
    assert pq.read_schema(tmp_path / "new_customers.parquet").field("acquired_at").type == pa.date32()
    engine = _by_engine(source, terms, "2026-10")
    _same(engine, _by_loader(source, terms, "2026-10"))
    assert engine["followup_coverage"].total == 4


def test_an_engine_failure_is_counted_by_the_loader_with_one_warning(tmp_path, terms, monkeypatch, capsys):
    import duckdb

    source = MonthlyData.open(_folder(tmp_path, _month_frames()), terms)
    expected = {k: (r.met, r.total, tuple(r.missed_ids)) for k, r in _by_loader(source, terms, "2026-10").items()}

    def failing(con, query):
        raise duckdb.IOException("IO Error: disk went away")

    monkeypatch.setattr(columnar, "_aggregate", failing)
    got = month_kpis(MonthlyData.open(tmp_path, terms), terms, "2026-10")
    assert {k: (r.met, r.total, tuple(r.missed_ids)) for k, r in got.results.items()} == expected
    warnings = [line for line in capsys.readouterr().err.splitlines() if "columnar engine could not count" in line]
    assert len(warnings) == 3 and "IOException: IO Error: disk went away" in warnings[0]


def test_misses_on_demand_pickle_memo_and_store(tmp_path, sample_parquet, terms):
    source = MonthlyData.open(sample_parquet, terms)
    july = month_kpis(source, terms, "2026-07")
    ids = july["complaint_satisfaction"].missed_ids
    assert isinstance(ids, MissedIds) and not ids.listed
    again = pickle.loads(pickle.dumps(july))  # the inputs cache of the report pickles months
    assert not again["complaint_satisfaction"].missed_ids.listed
    loader = _by_loader(source, terms, "2026-07")
    assert tuple(again["complaint_satisfaction"].missed_ids) == tuple(loader["complaint_satisfaction"].missed_ids)
    memo = CompactMemo()
    memo[(terms.fingerprint, "2026-07")] = july
    assert not memo[(terms.fingerprint, "2026-07")]["followup_coverage"].missed_ids.listed
    store = KpiStore(tmp_path / "cache", source.files)
    fresh = MonthlyData.open(sample_parquet, terms)
    fresh.kpi_cache = store
    first = month_kpis(fresh, terms, "2026-07")
    assert list(store) == [(terms.fingerprint, "2026-07")]
    from_store = month_kpis(fresh, terms, "2026-07")  # read back: counts only, the query attached again
    assert from_store is not first and from_store.to_json() == first.to_json()
    assert tuple(from_store["followup_coverage"].missed_ids) == tuple(loader["followup_coverage"].missed_ids)


# -- the engine against the loader on drawn months ---------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_DAYS = [dt.datetime(2026, 9, 29) + dt.timedelta(days=d) for d in range(36)]  # late Sep .. early Nov
_times = st.builds(lambda day, minute: day + dt.timedelta(minutes=minute), st.sampled_from(_DAYS),
                   st.integers(0, 24 * 60 - 1))
_later = st.one_of(st.none(), st.integers(-30, 5 * 24 * 60))  # minutes after receipt; negative: before it
_clean_later = st.one_of(st.none(), st.integers(0, 5 * 24 * 60))
_channels = st.sampled_from(["phone", "电话", " Email ", "chat", "在线客服", "fax", "", None])
_clean_channels = st.sampled_from(["phone", "电话", " Email ", "chat", "在线客服", "mail"])
_ids = st.sampled_from(["A1", "A2", "A3", "A4", "A5", "A6", " A7", "A8\u3000", ""])
_customers = st.sampled_from(["A1", "A2", "B1", "B2", "B3"])


def _unique_ids(prefix: str, n: int, rising: bool) -> list[str]:
    ids = [f"{prefix}{k:03d}" for k in range(n)]
    return ids if rising else ids[::-1]


def _month_rows(data) -> tuple:
    """Each table clean (the engine counts it) or possibly dirty (the loader decides), drawn
    apart, so both paths and their mixtures are exercised."""
    def ids(table: str, n: int, clean: bool):
        if clean:
            return _unique_ids(table[:2], n, data.draw(st.booleans(), label=f"{table} ids rising"))
        return data.draw(st.lists(_ids, min_size=n, max_size=n), label=f"{table} ids")

    clean = {t: data.draw(st.sampled_from([True, True, True, False]), label=f"{t} clean") for t in ("cons", "comp", "fup", "new")}
    n = {t: data.draw(st.integers(0, 8), label=f"{t} rows") for t in clean}
    later = {t: _clean_later if clean[t] else _later for t in clean}
    cons = list(zip(ids("cons", n["cons"], clean["cons"]), data.draw(st.lists(
        st.tuples(_clean_channels if clean["cons"] else _channels, _times, later["cons"], st.booleans()),
        min_size=n["cons"], max_size=n["cons"]))))
    comps = list(zip(ids("comp", n["comp"], clean["comp"]), data.draw(st.lists(
        st.tuples(_times, later["comp"], later["comp"], st.one_of(st.none(), st.integers(1, 5) if clean["comp"] else st.integers(0, 6))),
        min_size=n["comp"], max_size=n["comp"]))))
    fups = list(zip(ids("fup", n["fup"], clean["fup"]), data.draw(st.lists(
        st.tuples(_customers if clean["fup"] else st.sampled_from(["A1", " B2", ""]), _times, st.one_of(st.none(), st.integers(1, 5))),
        min_size=n["fup"], max_size=n["fup"]))))
    news = data.draw(st.lists(st.tuples(_customers, _times), max_size=n["new"],
                              unique_by=(lambda r: r[0]) if clean["new"] else None), label="new customers")
    return ([(i, *r) for i, r in cons], [(i, *r) for i, r in comps], [(i, *r) for i, r in fups], news)


def _drawn_tables(draw_rows: list, utc: set = frozenset()) -> dict[str, pa.Table]:
    """The drawn rows as the four event tables, with Arrow types an export would write; the
    timestamps of the tables in ``utc`` as UTC instants (a warehouse export), the others as
    naive wall clocks of the contract zone."""
    cons, comps, fups, news = draw_rows

    def after(start, minutes):
        return None if minutes is None else start + dt.timedelta(minutes=minutes)

    def instants(values):  # wall clocks of +08:00 as UTC instants
        return [None if v is None else (v - dt.timedelta(hours=8)).replace(tzinfo=dt.timezone.utc) for v in values]

    def table(columns: dict, name: str) -> pa.Table:
        aware = name in utc
        kinds = {c: pa.timestamp("us", tz="UTC" if aware else None) if c.endswith("_at") else pa.bool_() if c == "resolved"
                 else pa.int64() if c == "satisfaction" else pa.string() for c in columns}
        return pa.table({c: pa.array(instants(v) if aware and c.endswith("_at") else v, type=kinds[c])
                         for c, v in columns.items()})

    return {
        "consultations": table({
            "consultation_id": [r[0] for r in cons], "channel": [r[1] for r in cons], "customer_id": ["C"] * len(cons),
            "received_at": [r[2] for r in cons], "first_response_at": [after(r[2], r[3]) for r in cons],
            "resolved": [r[4] for r in cons]}, "consultations"),
        "complaints": table({
            "complaint_id": [r[0] for r in comps], "customer_id": ["C"] * len(comps), "received_at": [r[1] for r in comps],
            "first_contact_at": [after(r[1], r[2]) for r in comps],
            "preliminary_solution_at": [after(r[1], r[3]) for r in comps], "closed_at": [None] * len(comps),
            "satisfaction": [r[4] for r in comps]}, "complaints"),
        "followups": table({
            "followup_id": [r[0] for r in fups], "customer_id": [r[1] for r in fups], "visited_at": [r[2] for r in fups],
            "satisfaction": [r[3] for r in fups]}, "followups"),
        "new_customers": table({"customer_id": [r[0] for r in news], "acquired_at": [r[1] for r in news]}, "new_customers"),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_drawn_months_count_as_the_loader_counts_them(tmp_path_factory, terms, data):
    """Any month, clean or not: month_kpis through the engine (or, where it declines, the
    loader) equals the loader alone: every count, every missed id in order, the same rows set
    aside; or the same error."""
    folder = _folder(tmp_path_factory.mktemp("drawn"), {}, as_parquet)
    utc = set(data.draw(st.sets(st.sampled_from(["consultations", "complaints", "followups", "new_customers"])),
                        label="tables written in UTC"))
    for name, table in _drawn_tables(list(_month_rows(data)), utc).items():
        pq.write_table(table, folder / f"{name}.parquet", row_group_size=4)
    source = MonthlyData.open(folder, terms)

    def outcome(counting):
        try:
            return {k: (r.met, r.total, tuple(r.missed_ids)) for k, r in counting().items()}
        except SlaError as error:  # a duplicate with different contents: TableError(s), the same
            return str(error)

    engine = outcome(lambda: month_kpis(source, terms, "2026-10").results)
    loader_source = MonthlyData.open(folder, terms)
    loader = outcome(lambda: _by_loader(loader_source, terms, "2026-10"))
    assert engine == loader
    if not isinstance(engine, str):
        got = {t: [(s.row, s.column) for s in a.set_aside] for t, a in source.accounting.items()}
        want = {t: [(s.row, s.column) for s in a.set_aside] for t, a in loader_source.accounting.items()}
        assert got == want


def test_the_engine_writes_nothing_where_it_runs(tmp_path, monkeypatch, terms):
    """DuckDB would spill into ./.tmp of the current folder: the engine's connection points it
    at the private working folder instead."""
    from sla_lib.folders import work_root

    monkeypatch.chdir(tmp_path)
    con = columnar.connect()
    try:
        spill = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    finally:
        con.close()
    assert Path(spill) == work_root() / "duckdb"
    (tmp_path / "data").mkdir()
    source = MonthlyData.open(_folder(tmp_path / "data", _month_frames()), terms)
    month_kpis(source, terms, "2026-10")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_missed_ids_know_their_number_and_check_the_list():
    ids = MissedIds(lambda: ("K2", "K5"), count=2)
    assert len(ids) == 2 and not ids.listed  # the number from the counts, no query run
    assert ids == ("K2", "K5") and ids.listed and list(ids) == ["K2", "K5"] and ids[1] == "K5"
    with pytest.raises(RuntimeError, match="1 missed ids listed where the counts say 2"):
        list(MissedIds(lambda: ("K2",), count=2))
    with pytest.raises(SlaError, match="count the month again"):
        list(MissedIds(None, count=2))
