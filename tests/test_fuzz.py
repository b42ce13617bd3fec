"""Fuzzing and properties (issue 6): random corruptions of the input tables, the terms file
and the calendar's inputs never crash with anything but the documented error types, and
every row of a table is accounted for.

* row accounting: random corruptions of a valid consultations / complaints CSV: every row
  read is used or set aside, exactly the corrupted ones are set aside, ids match the file;
* loaders: random text in every column of every table (CSV and .xlsx), random file
  structure (quotes, separators, title rows): only TableError / TableErrors;
* terms: random mutations of the sample terms (values, keys, YAML text): only TermsError /
  TermsErrors;
* calendar: random timestamps 2004-2030 (naive, or in a zone), random service hours and
  overrides: a result, or CalendarCoverageError exactly when a needed year is not covered.

Every test is bounded (max_examples, deadline=None); the file runs in well under 30 s.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sla_lib.calendar import ServiceCalendar, WorkCalendar, _package_covers
from sla_lib.data import TABLES, empty_table, load_table
from sla_lib.errors import CalendarCoverageError, TableError, TableErrors, TermsError, TermsErrors
from sla_lib.kpis import month_kpis
from sla_lib.terms import ServiceHours, load_terms

SAMPLE_TERMS = Path(__file__).resolve().parents[1] / "data" / "samples" / "contract.yaml"
TZ = "Asia/Shanghai"

# Example counts keep the file under 30 s (a table load costs ~80 ms, mostly pandera);
# SLA_FUZZ_SCALE=20 (for instance) runs a deep fuzz on demand.
SCALE = float(os.environ.get("SLA_FUZZ_SCALE", "1"))


def bounded(examples: int):
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


# ------------------------------------------------------------------- row accounting

BASE_TIME = pd.Timestamp("2026-10-08 09:00")


def _fmt(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S")


def base_rows(table: str, n: int, flags: list[int]) -> list[list[str]]:
    """n valid records (flags vary channel / resolved / satisfaction)."""
    rows = []
    for i in range(n):
        received = BASE_TIME + pd.Timedelta(hours=3 * i)
        f = flags[i % len(flags)] if flags else 0
        if table == "consultations":
            rows.append([f"Q{i}", ["phone", "email", "chat", "电话"][f % 4], f"C{i}", _fmt(received),
                         _fmt(received + pd.Timedelta(minutes=5)), ["true", "false", "是", "0"][f % 4]])
        else:
            rows.append([f"K{i}", f"C{i}", _fmt(received), _fmt(received + pd.Timedelta(minutes=30)),
                         _fmt(received + pd.Timedelta(days=1)), _fmt(received + pd.Timedelta(days=2)),
                         ["5", "4", "", "1"][f % 4]])
    return rows


# (column, required-and-not-nullable) per table; the swap pair makes "response before receipt"
REQUIRED = {
    "consultations": ["consultation_id", "channel", "received_at", "resolved"],
    "complaints": ["complaint_id", "received_at"],
}
TIMESTAMPS = {
    "consultations": ["received_at", "first_response_at"],
    "complaints": ["received_at", "first_contact_at", "preliminary_solution_at", "closed_at"],
}
SWAP = {"consultations": ("received_at", "first_response_at"), "complaints": ("received_at", "first_contact_at")}
GARBAGE_DATES = ["soon", "2026-13-01 10:00", "2026-02-30", "46303.375", "2026-10-08 25:00", "10/08/2026 9am",
                 "2026-10", "昨天", "2026年13月1日", "2026-10-08T09:00:00+25:00", "n/a", "-"]
BAD_CHANNELS = ["fax", "微博", "phone2", "电话 邮件", "?"]

corruption = st.one_of(
    st.tuples(st.just("blank"), st.integers(0, 3)),
    st.tuples(st.just("garbage_date"), st.integers(0, 3), st.sampled_from(GARBAGE_DATES)),
    st.tuples(st.just("swap")),
    st.tuples(st.just("bad_channel"), st.sampled_from(BAD_CHANNELS)),
    st.tuples(st.just("blank_row")),
    st.tuples(st.just("spaces")),  # surrounding spaces: harmless
)


@bounded(60)
@given(
    table=st.sampled_from(["consultations", "complaints"]),
    n=st.integers(1, 12),
    flags=st.lists(st.integers(0, 3), max_size=12),
    ops=st.dictionaries(st.integers(0, 11), corruption, max_size=8),
    dups=st.lists(st.tuples(st.integers(0, 11), st.booleans()), max_size=4),
)
def test_row_accounting_under_random_corruption(folder, table, n, flags, ops, dups):
    header = list(TABLES[table].column_names[:7 if table == "complaints" else 6])
    if table == "complaints":
        header.append("channel")
    rows = base_rows(table, n, flags)
    if table == "complaints":
        for r in rows:
            r.append("phone")
    col = {c: k for k, c in enumerate(header)}
    bad: set[int] = set()  # 0-based record positions expected to be set aside
    blank_rows: set[int] = set()
    for i, op in ops.items():
        if i >= n:
            continue
        row, kind = rows[i], op[0]
        if kind == "blank":
            required = REQUIRED[table]
            row[col[required[op[1] % len(required)]]] = ""
            bad.add(i)
        elif kind == "garbage_date":
            stamps = TIMESTAMPS[table]
            row[col[stamps[op[1] % len(stamps)]]] = op[2]
            bad.add(i)
        elif kind == "swap":
            a, b = SWAP[table]
            row[col[a]], row[col[b]] = row[col[b]], row[col[a]]
            bad.add(i)
        elif kind == "bad_channel":
            row[col["channel"]] = op[1]
            bad.add(i)
        elif kind == "blank_row":
            rows[i] = [""] * len(header)
            blank_rows.add(i)
        elif kind == "spaces":
            rows[i] = [f"  {v} " if v else v for v in row]
    # duplicates: an identical copy is set aside; a changed copy of a row with an id
    # conflicts (the load is rejected naming the copy's row)
    idcol = col[TABLES[table].id_column]
    conflicts: list[int] = []
    for j, changed in dups:
        if j >= n or j in blank_rows:
            continue
        copy = list(rows[j])
        if changed:
            copy[col["customer_id"]] = "CHANGED"
            if copy[idcol].strip():
                conflicts.append(len(rows))
        bad.add(len(rows))
        rows.append(copy)
    path = write_csv(folder / f"{table}.csv", [header, *rows])
    file_id = {i + 2: (rows[i][idcol].strip() or None) for i in range(len(rows)) if i not in blank_rows}

    if conflicts:
        with pytest.raises((TableError, TableErrors)) as info:
            load_table(path, table)
        errors = info.value.errors if isinstance(info.value, TableErrors) else [info.value]
        assert sorted(e.row for e in errors) == [i + 2 for i in conflicts]
        assert {e.column for e in errors} == {TABLES[table].id_column}
        return

    frame, account = load_table(path, table)
    assert account.rows_read == account.rows_used + len(account.set_aside)
    assert account.rows_read == len(rows) - len(blank_rows)
    assert account.rows_used == len(frame)
    aside_rows = [s.row for s in account.set_aside]
    assert aside_rows == sorted(i + 2 for i in bad)  # exactly the corrupted rows, in file order
    for s in account.set_aside:  # every set-aside row is a row of the file, with its id
        assert s.row in file_id and s.record_id == file_id[s.row]
        assert s.table == table and s.reason
    used = frame["source_row"].tolist()
    assert sorted(used + aside_rows) == sorted(file_id)  # used = exactly the rows not set aside
    assert frame[TABLES[table].id_column].tolist() == [file_id[r] for r in used]


# ------------------------------------------------------------------ loaders: any text

TRICKY = [
    "", " ", "nan", "NaN", "None", "NULL", "inf", "-inf", "1e400", "-0", "0", "99999999999999999999",
    "2026-10-08", "2026-10-08 09:00", "2026-10-08T09:00:00+08:00", "2026-10-08T09:00:00Z",
    "2026-10-08 09:00 +0800", "46303.375", "109575", "109576", "2026/10/8", "2026年10月8日 9时5分",
    "2026-02-29", "0000-00-00", "9999-12-31", "1677-09-21", "2262-04-12", "2199-12-31 23:59:59.999999999",
    "2026-10-08 24:00", "+08:00", "Z", "2026-W41", "20261008T0900", "2026-10-08T09:00:00+14:00",
    "2026-10", "2026年10月", "1,000.00", "1,000,000,000,000,000.00", "-1", "1.005", "¥", "元", "RMB-5",
    "１２３", "true", "是", "否", "5", "5.0", "05", "0x10", '"', "'", "\\", "\n", "\r\n", "a,b", "=1+1",
    "phone", "电话", "\u3000", "\ufeff", "\u200b", "⁵", "٣", "1_000",
]
cell = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=16),
    st.builds(lambda a, b: a + b, st.sampled_from(TRICKY), st.sampled_from(TRICKY)),
)
table_name = st.sampled_from(sorted(TABLES))


def _only_table_errors(path: Path, table: str):
    try:
        frame, account = load_table(path, table)
    except (TableError, TableErrors) as exc:
        errors = exc.errors if isinstance(exc, TableErrors) else [exc]
        assert errors and all(e.path == str(path) for e in errors)
        return None
    assert account.rows_read == account.rows_used + len(account.set_aside)
    assert account.rows_used == len(frame)
    return frame


@bounded(50)
@given(table=table_name, data=st.data())
def test_random_text_cells_in_csv_raise_only_table_errors(folder, table, data):
    header = TABLES[table].column_names
    rows = data.draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), min_size=1, max_size=6))
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    try:
        path = write_csv(folder / f"{table}.csv", [header, *rows], encoding)
    except UnicodeEncodeError:
        assume(False)
    _only_table_errors(path, table)


xlsx_cell = st.one_of(
    cell.map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),
    st.none(),
    st.integers(-10**20, 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.times(),
)


@bounded(25)
@given(table=table_name, data=st.data())
def test_random_cells_in_xlsx_raise_only_table_errors(folder, table, data):
    header = TABLES[table].column_names
    rows = data.draw(st.lists(st.lists(xlsx_cell, min_size=len(header), max_size=len(header)), min_size=1, max_size=4))
    book = openpyxl.Workbook()
    if data.draw(st.booleans()):  # a merged title row above the header
        book.active.append(["标题"])
        book.active.merge_cells("A1:C1")
    book.active.append(header)
    for r in rows:
        book.active.append(r)
    path = folder / f"{table}.xlsx"
    book.save(path)
    _only_table_errors(path, table)


PIECES = ['"', '""', ",", "\n", "\r\n", "\r", " ", "\t", ";", "x", "2026-10-08 09:00", "1", "true", "phone",
          "年", "\ufeff", '"a,b"', '"x\ny"', ",,,", "=", "#", "'"]


@bounded(50)
@given(table=table_name, data=st.data())
def test_random_file_structure_raises_only_table_errors(folder, table, data):
    """Quotes, separators, ragged and short rows, title rows, shuffled or aliased headers."""
    header = list(TABLES[table].column_names)
    header = data.draw(st.permutations(header))
    header = [data.draw(st.sampled_from([h, h, h, h.upper(), f" {h} ", "", "x"])) for h in header]
    lines = []
    if data.draw(st.booleans()):
        lines.append(data.draw(st.sampled_from(["2026年10月咨询记录", "title,,,", '"t\n2"', "", ",,,,,,,,,,,,"])))
    lines.append(",".join(header))
    plain = st.sampled_from(["Q1", "Q2", "2026-10-08 09:00", "2026-10-08 10:00", "phone", "true", "5", "100.00",
                             "2026-10", ""])
    messy = st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join)
    for _ in range(data.draw(st.integers(0, 6))):
        row = data.draw(st.lists(st.one_of(plain, plain, plain, messy), min_size=0, max_size=len(header) + 2))
        lines.append(",".join(row))
    text = data.draw(st.sampled_from(["\n", "\r\n"])).join(lines) + data.draw(st.sampled_from(["", "\n", "\n\n", '"']))
    path = folder / f"{table}.csv"
    path.write_text(text, encoding="utf-8")
    _only_table_errors(path, table)


# ------------------------------------------------------------------------ terms file

SAMPLE_MAPPING = yaml.safe_load(SAMPLE_TERMS.read_text(encoding="utf-8"))

# |numbers| < 1e20 keeps the mutations readable; huge amounts have their own test below
terms_value = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20),
    st.floats(min_value=-1e20, max_value=1e20) | st.sampled_from([float("nan"), float("inf")]),
    st.text(max_size=12), st.dates(), st.datetimes(),
    st.sampled_from(["09:00", "24:00", "25:00", "9:60", "0.05", "200000.005", "-5", "Asia", "Nowhere/City",
                     "workdays", "all", "ceil", "calendar", "met", "missed", "2026-02-30", "１２"]),
    st.lists(st.one_of(st.dates(), st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(st.sampled_from(["phone", "email", "chat", "fax", "x"]), st.integers(-5, 500), max_size=4),
)


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))


@bounded(200)
@given(data=st.data())
def test_random_terms_mutations_raise_only_terms_errors(folder, data):
    import copy

    mapping = copy.deepcopy(SAMPLE_MAPPING)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_paths(mapping))
        if not paths:
            break
        *parents, last = data.draw(st.sampled_from(paths))
        node = mapping
        for part in parents:
            node = node[part]
        action = data.draw(st.sampled_from(["set", "set", "delete", "add", "rename"]))
        if action == "set":
            node[last] = data.draw(terms_value)
        elif action == "delete":
            del node[last]
        elif action == "add":
            node[data.draw(st.one_of(st.text(max_size=8), st.integers(), st.none()))] = data.draw(terms_value)
        else:
            node[f"{last}{data.draw(st.sampled_from(['s', '_x', '_pct', '']))}x"] = node.pop(last)
    text = yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False)
    if data.draw(st.booleans()):  # break the YAML text itself
        at = data.draw(st.integers(0, len(text)))
        snippet = data.draw(st.sampled_from(["\t", ":", "- ", "{", "]", "'", "&a ", "*a ", "!!python/object:os.system ",
                                             "<<: *x\n", "\n  ", "%YAML 1.1\n", "---\n", "...\n", "? ", "\ufeff"]))
        text = text[:at] + snippet + text[at:]
    path = folder / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        terms = load_terms(path)
    except (TermsError, TermsErrors) as exc:
        errors = exc.errors if isinstance(exc, TermsErrors) else [exc]
        assert errors and all(e.path == str(path) and e.key for e in errors)
        return
    assert terms.sha256 and terms.term_months  # a usable Terms object


def test_huge_money_amount_in_terms_is_a_terms_error(folder):
    path = folder / "huge.yaml"
    path.write_text(SAMPLE_TERMS.read_text(encoding="utf-8").replace(
        'confidentiality_penalty: "500000.00"', "confidentiality_penalty: 1" + "0" * 30), encoding="utf-8")
    with pytest.raises((TermsError, TermsErrors)):
        load_terms(path)


# -------------------------------------------------------------------------- calendar

SAMPLE = load_terms(SAMPLE_TERMS)
ZONES = [None, "Asia/Shanghai", "UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Pacific/Chatham"]
OVERRIDES = [(), (dt.date(2027, 1, 1),), (dt.date(2028, 5, 1), dt.date(2030, 10, 1))]


def moments_near(year: int):
    """Moments within a year of ``year`` (a run's data spans months, not decades; it also
    keeps the per-day calendar table, built afresh for each example, small)."""
    return st.datetimes(min_value=dt.datetime(max(2004, year - 1), 1, 1),
                        max_value=dt.datetime(min(2030, year + 1), 12, 31, 23, 59, 59))


def _covered(year: int, overrides) -> bool:
    return _package_covers(year) or year in {d.year for d in overrides}


@st.composite
def service_hours(draw):
    opening = draw(st.integers(0, 24 * 60 - 1))
    closing = draw(st.integers(opening + 1, 24 * 60))
    return ServiceHours(days=draw(st.sampled_from(["workdays", "all"])),
                        open=f"{opening // 60:02d}:{opening % 60:02d}", close=f"{closing // 60:02d}:{closing % 60:02d}")


@bounded(150)
@given(
    pairs=st.integers(2004, 2030).map(moments_near).flatmap(
        lambda near: st.lists(st.tuples(near, st.one_of(near, st.integers(-600, 10**6))), max_size=6)),
    zone=st.sampled_from(ZONES), contract_zone=st.sampled_from([TZ, "UTC"]),
    hours=service_hours(), overrides=st.sampled_from(OVERRIDES), n=st.integers(0, 40),
)
def test_calendar_computes_or_reports_the_uncovered_year(pairs, zone, contract_zone, hours, overrides, n):
    starts = [a for a, _ in pairs]
    ends = [b if isinstance(b, dt.datetime) else a + dt.timedelta(minutes=b) for a, b in pairs]
    t0 = pd.Series(pd.to_datetime(starts), dtype="datetime64[ns]")
    t1 = pd.Series(pd.to_datetime(ends), dtype="datetime64[ns]")
    if zone is not None:
        t0 = t0.dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
        t1 = t1.dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
    workcal = WorkCalendar(overrides, ())
    service = ServiceCalendar(hours, workcal, contract_zone if zone is not None else None)

    local0 = t0.dt.tz_convert(contract_zone).dt.tz_localize(None) if zone else t0
    local1 = t1.dt.tz_convert(contract_zone).dt.tz_localize(None) if zone else t1
    valid = local0.notna() & local1.notna()
    years = set()
    if valid.any():
        lo = min(local0[valid].min(), local1[valid].min()).year
        hi = max(local0[valid].max(), local1[valid].max()).year
        years = set(range(lo, hi + 1))
    gap = hours.days == "workdays" and any(not _covered(y, overrides) for y in years)
    try:
        elapsed = service.elapsed(t0, t1)
    except CalendarCoverageError as exc:
        assert gap and not _covered(exc.year, overrides) and exc.year in years
    else:
        assert not gap  # a needed year that is not covered is always reported
        assert len(elapsed) == len(pairs)
        assert (elapsed.isna() == ~valid).all()
        forward = valid & (local1 >= local0)
        wall = local1 - local0
        assert (elapsed[forward] >= pd.Timedelta(0)).all()
        assert (elapsed[forward] <= wall[forward]).all()
        assert (elapsed[valid & ~forward] <= pd.Timedelta(0)).all()

    days = np.array([(a.date() - dt.date(1970, 1, 1)).days for a in starts], dtype=np.int64)
    try:
        due = workcal.nth_workday_after_days(days, n)
    except CalendarCoverageError as exc:
        assert not _covered(exc.year, overrides)
    else:
        assert (due >= days).all()
        if n:
            assert workcal.is_workday_days(due).all() and (due > days).all()


STAMP_FORMS = [
    lambda ts: ts.strftime("%Y-%m-%d %H:%M:%S"),
    lambda ts: ts.strftime("%Y/%-m/%-d %H:%M"),
    lambda ts: ts.strftime("%Y年%-m月%-d日 %H:%M"),
    lambda ts: ts.tz_localize(TZ).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
    lambda ts: ts.tz_localize(TZ).tz_convert("America/New_York").isoformat(),
    lambda ts: ts.tz_localize(TZ).tz_convert("Asia/Kolkata").strftime("%Y-%m-%d %H:%M:%S%z"),
]


@bounded(25)
@given(
    received=st.integers(2004, 2030).map(moments_near).flatmap(
        lambda near: st.lists(st.tuples(near, st.integers(0, 5), st.integers(0, 10**5)), min_size=1, max_size=5)),
    overrides=st.sampled_from([True, False]),
)
def test_loader_and_kpis_on_random_years_and_zones(folder, received, overrides):
    """Timestamps of any year 2004-2030, with and without offsets, through the loader and the
    KPIs of the first record's month: a result, or CalendarCoverageError naming the year."""
    rows = [TABLES["complaints"].column_names[:7]]
    for i, (when, form, minutes) in enumerate(received):
        start = pd.Timestamp(when).floor("min")
        later = start + pd.Timedelta(minutes=minutes)
        rows.append([f"K{i}", f"C{i}", STAMP_FORMS[form](start), STAMP_FORMS[form](later), "", "", "4"])
    path = write_csv(folder / "complaints.csv", rows)
    frame, account = load_table(path, "complaints", TZ)
    assert account.set_aside == [] and len(frame) == len(received)
    assert frame["received_at"].dt.tz_localize(None).tolist() == [pd.Timestamp(w).floor("min") for w, _, _ in received]
    terms = SAMPLE if overrides else SAMPLE.with_changes({"calendar_overrides.holidays": []})
    data = {name: empty_table(name) for name in ("consultations", "followups", "new_customers")}
    data["complaints"] = frame
    month = frame["received_at"].iloc[0].strftime("%Y-%m")
    try:
        kpis = month_kpis(data, terms, month)
    except CalendarCoverageError as exc:
        assert not _covered(exc.year, terms.calendar_overrides.holidays)
        assert exc.year >= int(month[:4])
    else:
        assert kpis["complaint_solution"].total == int((frame["received_at"].dt.strftime("%Y-%m") == month).sum())
        assert kpis["complaint_contact"].met <= kpis["complaint_contact"].total


def test_absurd_response_limit_is_rejected_by_the_terms():
    # a limit beyond a year would overflow the nanosecond clock of C1: refused with its key
    with pytest.raises(TermsError, match="standards.consultation_response_minutes"):
        SAMPLE.with_changes({"standards.consultation_response_minutes": 10**20})
