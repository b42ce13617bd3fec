"""The bad-input matrix (issue 6): one table-driven suite of malformed inputs across every
input table and the terms file, each with its expected outcome.

Every case builds a small data folder (a valid minimal file per table, see ``BASE``) and
then breaks one file, either by writing it whole (a CSV/XLSX/YAML text) or by mutating the
valid base file. The outcome is one of:

* ``Rejected``: the load (or the check against the terms) fails; every problem names the
  exact file, row and column (``None`` where the problem has no row / no column);
* ``SetAsideRows``: the load succeeds, the listed rows are set aside with their column and a
  reason fragment, and the accounting is ``rows_read == rows_used + len(set_aside)``;
* ``Loaded``: the input is fine (a form the loader must accept), with its counts;
* ``TermsRejected``: the terms file is rejected naming the file and the dotted keys;
* ``CalendarGap``: the KPIs of the month stop with CalendarCoverageError naming the year;
* ``KpisComputed``: the KPIs of the month compute; the listed ones are n/a.

docs/reliability.md lists the same cases as a table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from sla_lib.data import (
    TABLES,
    SkippedRow,
    check_against_terms,
    load_dataset,
    load_table,
    raise_problems,
)
from sla_lib.errors import CalendarCoverageError, TableError, TableErrors, TermsError, TermsErrors
from sla_lib.kpis import month_kpis
from sla_lib.terms import load_terms, terms_from_mapping

SAMPLE_TERMS = Path(__file__).resolve().parents[1] / "data" / "samples" / "contract.yaml"
TZ = "Asia/Shanghai"

# A valid minimal data set: three records per table, all in October 2026 (rows 2-4).
BASE = {
    "consultations": """\
consultation_id,channel,customer_id,received_at,first_response_at,resolved
Q1,phone,C1,2026-10-08 09:00,2026-10-08 09:00:30,true
Q2,email,C2,2026-10-08 10:00,2026-10-08 11:00,false
Q3,chat,C3,2026-10-09 14:00,2026-10-09 14:01,true
""",
    "complaints": """\
complaint_id,customer_id,received_at,first_contact_at,preliminary_solution_at,closed_at,satisfaction
K1,C1,2026-10-08 09:00,2026-10-08 09:30,2026-10-09 10:00,2026-10-10 10:00,5
K2,C2,2026-10-12 10:00,2026-10-12 13:00,,,
K3,C3,2026-10-13 11:00,2026-10-13 11:10,2026-10-14 09:00,2026-10-15 09:00,3
""",
    "followups": """\
followup_id,customer_id,visited_at,satisfaction
F1,C1,2026-10-09 10:00,5
F2,C2,2026-10-10 10:00,4
F3,C3,2026-10-11 10:00,
""",
    "new_customers": """\
customer_id,acquired_at
C1,2026-10-01 09:00
C2,2026-10-02 10:00
C3,2026-10-03 11:00
""",
    "payments": """\
payment_id,service_month,paid_at,amount
P1,2026-09,2026-10-12 10:00,200000.00
P2,2026-10,2026-11-10 10:00,150000.00
P3,2026-10,2026-11-20 10:00,50000.00
""",
    "invoices": """\
invoice_id,service_month,issued_at,amount
I1,2026-09,2026-10-15 10:00,200000.00
I2,2026-10,2026-11-12 10:00,150000.00
I3,2026-10,2026-11-24 10:00,50000.00
""",
    "onsite_visits": """\
visit_id,customer_id,visited_at,fee
V1,C1,2026-10-20 14:00,300.00
V2,,2026-10-21 09:30,0
V3,C3,2026-10-22 15:00,450.50
""",
}


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


# ------------------------------------------------------------------------- builders
# A builder writes the broken file into a folder that already holds the valid base set
# and returns the path of the file it wrote.

Builder = Callable[[Path], Path]


def _rows(table: str) -> list[list[str]]:
    return [line.split(",") for line in BASE[table].splitlines()]


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def text(table: str, content: str | bytes, encoding: str = "utf-8", name: str | None = None) -> Builder:
    """The whole file, as text (or bytes)."""

    def build(folder: Path) -> Path:
        path = folder / (name or f"{table}.csv")
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return build


def edit(table: str, cells: dict[tuple[int, str], str] | None = None, *, append=(), drop_column=None,
         rename: dict[str, str] | None = None, raw_lines: dict[int, str] | None = None,
         encoding: str = "utf-8") -> Builder:
    """The base file of ``table`` with cells set ((file row, column) -> text), rows appended,
    a column dropped, header cells renamed, or whole lines replaced (file row -> line)."""

    def build(folder: Path) -> Path:
        rows = _rows(table)
        header = rows[0]
        for (row, column), value in (cells or {}).items():
            rows[row - 1][header.index(column)] = value
        for extra in append:
            rows.append(list(extra))
        if drop_column is not None:
            k = header.index(drop_column)
            rows = [r[:k] + r[k + 1:] for r in rows]
        for old, new in (rename or {}).items():
            rows[0][rows[0].index(old)] = new
        lines = _csv_text(rows).splitlines()
        for row, line in (raw_lines or {}).items():
            lines[row - 1] = line
        path = folder / f"{table}.csv"
        path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
        return path

    return build


def workbook(table: str, rows: list[list], *, title: str | None = None, merge: str | None = None,
             sheet: str = "Sheet1", more_sheets: dict[str, list[list]] | None = None,
             keep_csv: bool = False, merge_data: tuple[str, ...] = ()) -> Builder:
    """An .xlsx of the table (its CSV removed): an optional title row merged across
    ``merge`` above the header, then ``rows`` (header first); ``merge_data`` ranges are
    merged after the rows are written (Excel keeps the first cell's value)."""

    def build(folder: Path) -> Path:
        if not keep_csv:
            (folder / f"{table}.csv").unlink(missing_ok=True)
        book = openpyxl.Workbook()
        ws = book.active
        ws.title = sheet
        if title is not None:
            ws.append([title])
            if merge:
                ws.merge_cells(merge)
        for r in rows:
            ws.append(r)
        for ref in merge_data:
            ws.merge_cells(ref)
        for name, other in (more_sheets or {}).items():
            extra = book.create_sheet(name)
            for r in other:
                extra.append(r)
        path = folder / f"{table}.xlsx"
        book.save(path)
        return path

    return build


def parquet(table: str, columns: dict) -> Builder:
    """A .parquet of the table (its CSV removed), from Arrow arrays or lists."""

    def build(folder: Path) -> Path:
        (folder / f"{table}.csv").unlink(missing_ok=True)
        path = folder / f"{table}.parquet"
        pq.write_table(pa.table(columns), path)
        return path

    return build


def _parquet_new_customers(**change) -> dict:
    """The columns of a valid new_customers Parquet table, some replaced or added."""
    return {"customer_id": pa.array(["C1", "C2", "C3"]),
            "acquired_at": pa.array([dt.datetime(2026, 10, d, 9) for d in (1, 2, 3)], type=pa.timestamp("s")),
            **change}


def terms_text(mutate: Callable[[str], str]) -> Builder:
    """The sample terms file with its text mutated."""

    def build(folder: Path) -> Path:
        path = folder / "contract.yaml"
        path.write_text(mutate(SAMPLE_TERMS.read_text(encoding="utf-8")), encoding="utf-8")
        return path

    return build


def terms_replace(old: str, new: str) -> Builder:
    def mutate(source: str) -> str:
        assert source.count(old) == 1, old
        return source.replace(old, new)

    return terms_text(mutate)


def sample_terms(**edits):
    """The sample terms with dotted-key edits (``calendar_overrides__holidays=[]``)."""
    data = yaml.safe_load(SAMPLE_TERMS.read_text(encoding="utf-8"))
    for key, value in edits.items():
        *parents, last = key.split("__")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value
    return terms_from_mapping(data, source=str(SAMPLE_TERMS))


# ------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Rejected:
    """The load (or the check) fails; each problem is (row, column, message fragment)."""

    file: str
    problems: tuple[tuple[int | None, str | None, str], ...]


@dataclass(frozen=True)
class SetAsideRows:
    """The load succeeds; these rows (row, column, reason fragment) are set aside."""

    rows: tuple[tuple[int, str | None, str], ...]
    read: int
    used: int
    check: Callable | None = None


@dataclass(frozen=True)
class Loaded:
    """The input is fine: read/used counts, and an extra check of (frame, account)."""

    read: int
    used: int
    check: Callable | None = None


@dataclass(frozen=True)
class TermsRejected:
    file: str
    keys: tuple[tuple[str, str], ...]  # (dotted key, message fragment)


@dataclass(frozen=True)
class CalendarGap:
    year: int


@dataclass(frozen=True)
class KpisComputed:
    na: tuple[str, ...]  # the KPIs that are n/a (zero denominator)
    check: Callable | None = None


@dataclass(frozen=True)
class Case:
    name: str
    table: str  # a table name, or "terms"
    build: Builder
    expect: object
    # load: load_table on the file; dataset: load_dataset on the folder; check: load_dataset
    # then check_against_terms; kpis: load_dataset then month_kpis(month). The terms
    # cases (table "terms") run load_terms on the file.
    stage: str = "load"
    month: str | None = None
    terms: Callable = field(default=lambda: sample_terms())


# --------------------------------------------------------------------------- checks


def _values(column: str, expected: list):
    def check(frame, account):
        assert frame[column].tolist() == expected

    return check


def _hostile_ids(frame, account):
    assert frame["consultation_id"].tolist() == ['=HYPERLINK("http://x","y")', "TS-<svg onload=alert(1)>", "+1-2"]
    assert frame["customer_id"].tolist() == ["@SUM(A1)", "C2", "C3"]


def _control_cells(frame, account):
    # kept exactly as written: the loader reads text; the output layer neutralises it
    assert frame["customer_id"].tolist() == ["C1\u202e1gpj.exe", "C2\x07\x1b[31m", "C3\u2066x\u2069"]
    assert frame["category"].tolist() == ["a\x01b", pd.NA, "line\nbreak"]


def _megabyte_cell(frame, account):
    assert frame["category"].str.len().tolist() == [1_000_000, pd.NA, pd.NA]
    assert frame["consultation_id"].tolist() == ["Q1", "Q2", "Q3"]


def _skipped_title(frame, account):
    assert [(r.row, r.reason) for r in account.skipped_rows] == [
        (1, "title row above the header (row 3): '2026年10月 咨询'")]
    assert frame["source_row"].tolist() == [4, 5]


def _title_row(frame, account):
    assert frame["source_row"].tolist() == [3, 4, 5]
    assert account.skipped_rows == [SkippedRow(
        "consultations", 1, "title row above the header (row 2): '2026年10月咨询记录'")]
    assert frame["received_at"].tolist() == [t("2026-10-08 09:00"), t("2026-10-08 10:00"), t("2026-10-09 14:00")]


def _csv_title_row(frame, account):
    assert frame["source_row"].tolist() == [4, 5, 6]  # row 2 is blank, the header is row 3
    assert [(s.row, s.reason) for s in account.skipped_rows] == [
        (1, "title row above the header (row 3): '2026年10月 新增客户 导出'")]


def _offsets(frame, account):
    assert frame["received_at"].tolist() == [t("2026-10-08 09:00")] * 3
    assert str(frame["received_at"].dtype) == f"datetime64[ns, {TZ}]"


def _date_forms(frame, account):
    assert frame["acquired_at"].tolist() == [t("2026-10-03"), t("2026-10-03"), t("2026-10-03 14:05")]


def _gb18030(frame, account):
    assert frame["channel"].tolist() == ["phone", "email", "chat"]
    assert frame["resolved"].tolist() == [True, False, True]
    assert frame["客户姓名"].tolist() == ["张三", "李四", "王五"]


def _bool_forms(frame, account):
    assert frame["resolved"].tolist() == [True, False, True]
    assert frame["resolved"].dtype == bool


def _serials(frame, account):
    assert frame["received_at"].tolist() == [t("2026-10-08 09:00"), t("2026-10-08 10:00"), t("2026-10-09 14:00")]
    assert frame["first_response_at"].iloc[0] == t("2026-10-08 09:00:30")


def _header_only(frame, account):
    assert len(frame) == 0 and str(frame["satisfaction"].dtype) == "Int64"


def _bom(frame, account):
    assert frame.columns[0] == "consultation_id"


def _sheet(frame, account):
    assert frame["consultation_id"].tolist() == ["Q1", "Q2", "Q3"]


def _zero_rows_kpis(kpis):
    assert kpis["complaint_contact"].total == 0 and kpis["complaint_contact"].rate is None
    assert kpis.to_json()["complaint_satisfaction"]["rate_pct"] is None
    assert kpis["consultation_resolution"].total == 3  # the other tables still count


def _zero_followups_kpis(kpis):
    assert (kpis["followup_coverage"].met, kpis["followup_coverage"].total) == (0, 3)
    assert kpis["followup_coverage"].rate == 0


def _year_2027(kpis):
    assert kpis["complaint_solution"].total == 1


# ----------------------------------------------------------------------- xlsx rows

CONS_HEADER = BASE["consultations"].splitlines()[0].split(",")
CONS_ROWS = [
    ["Q1", "phone", "C1", dt.datetime(2026, 10, 8, 9, 0), dt.datetime(2026, 10, 8, 9, 0, 30), True],
    ["Q2", "email", "C2", dt.datetime(2026, 10, 8, 10, 0), dt.datetime(2026, 10, 8, 11, 0), False],
    ["Q3", "chat", "C3", dt.datetime(2026, 10, 9, 14, 0), dt.datetime(2026, 10, 9, 14, 1), True],
]
# the same times as Excel serial day numbers (a column formatted as Number)
CONS_SERIALS = [
    ["Q1", "phone", "C1", 46303.375, 46303.375347222, True],
    ["Q2", "email", "C2", 46303.416666667, 46303.458333333, False],
    ["Q3", "chat", "C3", 46304.583333333, 46304.583333333 + 1 / 1440, True],
]

GB_TEXT = """\
咨询编号,渠道,客户编号,接入时间,首次响应时间,是否解决,客户姓名
Q1,电话,C1,2026/10/8 9:00,2026/10/8 9:01,是,张三
Q2,邮件,C2,2026/10/8 10:00,2026/10/8 13:00,否,李四
Q3,在线客服,C3,2026/10/8 11:00,,是,王五
"""

MONTH_OUTSIDE = "payment for a month outside the contract 2026-01..2027-12 (the term 2026-01-01..2026-12-31 and its renewal)"
CUT_OFF = "the last row is cut off: {} of {} fields (the file ends inside the row: an interrupted export or copy?)"
MERGED = "cells {} are merged (a merged cell keeps its value in its first cell only; the others read as empty)"
ABOVE = "a record above the header (row {}): rows above the header are not read as records"
CONS_LINES = BASE["consultations"].splitlines()
HOSTILE_CELLS = (
    "consultation_id,channel,customer_id,received_at,first_response_at,resolved,category\n"
    "Q1,phone,C1\u202e1gpj.exe,2026-10-08 09:00,2026-10-08 09:00:30,true,a\x01b\n"
    "Q2,email,C2\x07\x1b[31m,2026-10-08 10:00,2026-10-08 11:00,false,\n"
    'Q3,chat,C3\u2066x\u2069,2026-10-09 14:00,2026-10-09 14:01,true,"line\nbreak"\n'
)


ALIAS_BOMB = 'lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))

# ---------------------------------------------------------------------------- cases

CASES = [
    # --- whole-file problems ------------------------------------------------------
    Case("missing column", "consultations", edit("consultations", drop_column="first_response_at"),
         Rejected("consultations.csv", ((None, "first_response_at", "required column 'first_response_at' is missing"),))),
    Case("renamed column recieved_at", "consultations", edit("consultations", rename={"received_at": "recieved_at"}),
         Rejected("consultations.csv", ((None, "received_at", "is 'recieved_at' a misspelling of it?"),))),
    Case("missing column satisfaction", "complaints", edit("complaints", drop_column="satisfaction"),
         Rejected("complaints.csv", ((None, "satisfaction", "required column 'satisfaction' is missing"),))),
    Case("empty file", "followups", text("followups", b""),
         Rejected("followups.csv", ((None, None, "the file is empty (no header row)"),))),
    Case("only blank lines and separators", "new_customers", text("new_customers", "\n,,\n \n"),
         Rejected("new_customers.csv", ((None, None, "the file is empty (no header row)"),))),
    Case("header only: zero rows is fine", "complaints", text("complaints", BASE["complaints"].splitlines()[0] + "\n"),
         Loaded(0, 0, _header_only)),
    Case("UTF-8 with BOM", "consultations", text("consultations", "\ufeff" + BASE["consultations"]),
         Loaded(3, 3, _bom)),
    Case("GB18030 file with Chinese headers and values", "consultations", text("consultations", GB_TEXT, "gb18030"),
         Loaded(3, 3, _gb18030)),
    Case("file that is actually UTF-16", "consultations", text("consultations", BASE["consultations"].encode("utf-16")),
         Rejected("consultations.csv", ((None, None, "cannot decode the file as UTF-8 or GB18030: it contains NUL bytes (UTF-16"),))),
    Case("UTF-16 without BOM", "new_customers", text("new_customers", BASE["new_customers"].encode("utf-16-le")),
         Rejected("new_customers.csv", ((None, None, "UTF-16 text"),))),
    Case("workbook saved under a .csv name", "payments",
         lambda folder: (workbook("payments", [["payment_id"]])(folder).rename(folder / "payments.csv")),
         Rejected("payments.csv", ((None, None, "this is an Excel workbook saved under a .csv name"),))),
    Case("old .xls file", "invoices", text("invoices", b"\xd0\xcf\x11\xe0", name="invoices.xls"),
         Rejected("invoices.xls", ((None, None, "unsupported file type: save the table as .csv, .xlsx or .parquet"),))),
    Case("column given twice (English + Chinese alias)", "consultations",
         edit("consultations", rename={"customer_id": "咨询编号"}),
         Rejected("consultations.csv", ((None, "consultation_id", "columns 'consultation_id' and '咨询编号' both give consultation_id"),))),
    Case("ragged row: too many fields", "consultations",
         edit("consultations", raw_lines={3: "Q2,email,C2,2026-10-08 10:00,2026-10-08 11:00,false,extra"}),
         SetAsideRows(((3, None, "the row has 7 fields but the header (row 1) has 6: a value with an unquoted comma? (extra: 'extra')"),), 3, 2)),
    Case("ragged row in a money table: unquoted thousands separator", "payments",
         edit("payments", raw_lines={2: "P1,2026-09,2026-10-12 10:00,200,000.00"}),
         Rejected("payments.csv", ((2, None, "the row has 5 fields but the header (row 1) has 4"),))),
    Case("quote never closed", "complaints",
         edit("complaints", raw_lines={3: 'K2,"C2,2026-10-12 10:00,2026-10-12 13:00,,,'}),
         Rejected("complaints.csv", ((3, None, "a quoted value opened here (with \") is never closed"),))),
    Case("header repeated mid-file (two exports joined)", "followups",
         edit("followups", append=[BASE["followups"].splitlines()[0].split(","), ["F4", "C4", "2026-10-12 10:00", "5"]]),
         SetAsideRows(((5, None, "the row repeats the header (row 1): two files joined together?"),), 5, 4)),
    Case("CSV title row and a blank row above the header", "new_customers",
         text("new_customers", "2026年10月 新增客户 导出\n\n" + BASE["new_customers"]),
         Loaded(3, 3, _csv_title_row)),
    # --- workbooks ----------------------------------------------------------------
    Case(".xlsx with a merged title row above the header", "consultations",
         workbook("consultations", [CONS_HEADER, *CONS_ROWS], title="2026年10月咨询记录", merge="A1:F1"),
         Loaded(3, 3, _title_row)),
    Case(".xlsx with Excel serial dates", "consultations", workbook("consultations", [CONS_HEADER, *CONS_SERIALS]),
         Loaded(3, 3, _serials)),
    Case(".xlsx whose sheet is named differently", "consultations",
         workbook("consultations", [CONS_HEADER, *CONS_ROWS], sheet="咨询记录"), Loaded(3, 3, _sheet)),
    Case(".xlsx: the table's sheet among other sheets", "consultations",
         workbook("consultations", [["说明"], ["导出自 CRM"]], sheet="说明",
                  more_sheets={"数据": [CONS_HEADER, *CONS_ROWS]}), Loaded(3, 3, _sheet)),
    Case(".xlsx: two sheets hold the table, none named like it", "consultations",
         workbook("consultations", [CONS_HEADER, *CONS_ROWS[:1]], sheet="9月",
                  more_sheets={"10月": [CONS_HEADER, *CONS_ROWS[1:]]}),
         Rejected("consultations.xlsx", ((None, None, "sheets '9月', '10月' all hold the consultations columns"),))),
    Case(".xlsx missing a column names the sheet", "followups",
         workbook("followups", [["followup_id", "customer_id", "satisfaction"], ["F1", "C1", 5]], sheet="回访"),
         Rejected("followups.xlsx", ((None, "visited_at", "required column 'visited_at' is missing in sheet '回访'"),))),
    Case(".xlsx with an infinite number cell", "new_customers",
         workbook("new_customers", [["customer_id", "acquired_at", "备注"],
                                    ["C1", dt.datetime(2026, 10, 1, 9), 1.7976931348623155e308]]),
         Rejected("new_customers.xlsx", ((2, None, "cell C2 of sheet 'Sheet1' holds an infinite number"),))),
    # --- timestamps ---------------------------------------------------------------
    Case("Excel serial number in a CSV is not a date", "consultations",
         edit("consultations", {(2, "received_at"): "46303.375"}),
         SetAsideRows(((2, "received_at", "received_at '46303.375' is not a date/time"),), 3, 2)),
    Case("timestamps with and without offsets", "consultations",
         edit("consultations", {(2, "received_at"): "2026-10-08T01:00:00Z", (3, "received_at"): "2026-10-08 09:00+08:00",
                                (4, "received_at"): "2026-10-08 09:00", (3, "first_response_at"): "2026-10-08T03:00:00Z",
                                (4, "first_response_at"): "2026-10-08 04:01:00+03:00"}),
         Loaded(3, 3, _offsets)),
    Case("dates 2026/10/3 and 2026年10月3日", "new_customers",
         edit("new_customers", {(2, "acquired_at"): "2026/10/3", (3, "acquired_at"): "2026年10月3日",
                                (4, "acquired_at"): "2026年10月3日 14时05分"}),
         Loaded(3, 3, _date_forms)),
    Case("impossible date 2026-02-30", "followups", edit("followups", {(3, "visited_at"): "2026-02-30 10:00"}),
         SetAsideRows(((3, "visited_at", "visited_at '2026-02-30 10:00' is not a date/time"),), 3, 2)),
    Case("empty required timestamp", "consultations", edit("consultations", {(4, "received_at"): ""}),
         SetAsideRows(((4, "received_at", "received_at is empty"),), 3, 2)),
    Case("empty required timestamp in a money table", "payments", edit("payments", {(3, "paid_at"): " "}),
         Rejected("payments.csv", ((3, "paid_at", "paid_at is empty"),))),
    Case("response before receipt", "consultations",
         edit("consultations", {(3, "first_response_at"): "2026-10-08 09:59"}),
         SetAsideRows(((3, "first_response_at", "first_response_at 2026-10-08 09:59:00 is before received_at 2026-10-08 10:00:00"),), 3, 2)),
    Case("complaint closed before it was received", "complaints",
         edit("complaints", {(4, "closed_at"): "2026-10-13 10:59"}),
         SetAsideRows(((4, "closed_at", "closed_at 2026-10-13 10:59:00 is before received_at"),), 3, 2)),
    # --- ids ----------------------------------------------------------------------
    Case("duplicated id, identical row", "consultations", edit("consultations", append=[_rows("consultations")[1]]),
         SetAsideRows(((5, "consultation_id", "duplicate of row 2"),), 4, 3)),
    Case("duplicated id, conflicting contents", "consultations",
         edit("consultations", append=[["Q1", "phone", "C1", "2026-10-08 09:00", "2026-10-08 09:02", "true"]]),
         Rejected("consultations.csv", ((5, "consultation_id", "'Q1' appears in rows 2 and 5 with different contents"),))),
    Case("duplicated payment id, even identical", "payments", edit("payments", append=[_rows("payments")[2]]),
         Rejected("payments.csv", ((5, "payment_id", "row 5 repeats row 3 (an identical copy)"),))),
    Case("id column with only spaces", "consultations", edit("consultations", {(2, "consultation_id"): "   "}),
         SetAsideRows(((2, "consultation_id", "consultation_id is empty"),), 3, 2)),
    Case("payment id with only spaces", "payments", edit("payments", {(4, "payment_id"): "  "}),
         Rejected("payments.csv", ((4, "payment_id", "payment_id is empty"),))),
    Case("follow-up without customer", "followups", edit("followups", {(2, "customer_id"): ""}),
         SetAsideRows(((2, "customer_id", "customer_id is empty"),), 3, 2)),
    # --- categorical values ---------------------------------------------------------
    Case("unknown channel", "consultations", edit("consultations", {(3, "channel"): "fax"}),
         SetAsideRows(((3, "channel", "channel 'fax' is not a known channel"),), 3, 2)),
    Case("bool column with 是/否", "consultations",
         edit("consultations", {(2, "resolved"): "是", (3, "resolved"): "否", (4, "resolved"): " 是 "}),
         Loaded(3, 3, _bool_forms)),
    Case("bool column with a bad value", "consultations", edit("consultations", {(4, "resolved"): "已解决"}),
         SetAsideRows(((4, "resolved", "resolved '已解决' is not a yes/no value"),), 3, 2)),
    Case("satisfaction 0", "complaints", edit("complaints", {(2, "satisfaction"): "0"}),
         SetAsideRows(((2, "satisfaction", "satisfaction 0 is not a score 1..5"),), 3, 2)),
    Case("satisfaction 6", "followups", edit("followups", {(3, "satisfaction"): "6"}),
         SetAsideRows(((3, "satisfaction", "satisfaction 6 is not a score 1..5"),), 3, 2)),
    Case("satisfaction '满意'", "complaints", edit("complaints", {(4, "satisfaction"): "满意"}),
         SetAsideRows(((4, "satisfaction", "satisfaction '满意' is not an integer score 1..5"),), 3, 2)),
    Case("several problems in one row give one set-aside", "complaints",
         edit("complaints", {(3, "complaint_id"): "", (3, "satisfaction"): "6"}),
         SetAsideRows(((3, "complaint_id", "complaint_id is empty; satisfaction 6 is not a score 1..5"),), 3, 2)),
    # --- money --------------------------------------------------------------------
    Case("negative amount", "payments", edit("payments", {(3, "amount"): "-150000.00"}),
         Rejected("payments.csv", ((3, "amount", "amount -150000.00 is negative"),))),
    Case("non-numeric amount", "invoices", edit("invoices", {(2, "amount"): "二十万"}),
         Rejected("invoices.csv", ((2, "amount", "amount '二十万' is not an amount of money"),))),
    Case("amount with fractions of a fen", "invoices", edit("invoices", {(4, "amount"): "50000.005"}),
         Rejected("invoices.csv", ((4, "amount", "has fractions of a fen"),))),
    Case("empty amount", "invoices", edit("invoices", {(3, "amount"): ""}),
         Rejected("invoices.csv", ((3, "amount", "amount is empty"),))),
    Case("negative on-site fee", "onsite_visits", edit("onsite_visits", {(4, "fee"): "-450.50"}),
         Rejected("onsite_visits.csv", ((4, "fee", "fee -450.50 is negative"),))),
    Case("non-numeric on-site fee", "onsite_visits", edit("onsite_visits", {(2, "fee"): "免费"}),
         Rejected("onsite_visits.csv", ((2, "fee", "fee '免费' is not an amount of money"),))),
    Case("service_month that is no month", "payments", edit("payments", {(2, "service_month"): "2026-13"}),
         Rejected("payments.csv", ((2, "service_month", "service_month '2026-13' is not a month"),))),
    Case("several bad money rows are all reported", "invoices",
         edit("invoices", {(2, "issued_at"): "soon", (4, "amount"): "-1"}),
         Rejected("invoices.csv", ((2, "issued_at", "issued_at 'soon' is not a date/time"),
                                   (4, "amount", "amount -1 is negative")))),
    # --- checks against the terms ---------------------------------------------------
    Case("payment for a month after the term and its renewal", "payments", edit("payments", {(4, "service_month"): "2028-01"}),
         Rejected("payments.csv", ((4, "service_month", MONTH_OUTSIDE + ": service_month 2028-01"),)), stage="check"),
    Case("invoice for a month before the term", "invoices", edit("invoices", {(2, "service_month"): "2025年12月"}),
         Rejected("invoices.csv", ((2, "service_month", "invoice for a month outside the contract 2026-01..2027-12 (the term 2026-01-01..2026-12-31 and its renewal): service_month 2025-12"),)),
         stage="check"),
    Case("invoice for a month with no payment yet is fine", "invoices",
         edit("invoices", append=[["I4", "2026-11", "2026-12-01 10:00", "1000.00"]]), Rejected("invoices.csv", ()), stage="check"),
    # --- the data folder ------------------------------------------------------------
    Case("required table missing", "followups", lambda folder: (folder / "followups.csv").unlink() or folder / "followups.csv",
         Rejected("followups.csv", ((None, None, "required table followups not found"),)), stage="dataset"),
    Case("both payments.csv and payments.xlsx", "payments", workbook("payments", [["payment_id"]], keep_csv=True),
         Rejected("payments.csv", ((None, None, "both payments.csv and payments.xlsx exist"),)), stage="dataset"),
    # --- KPIs ---------------------------------------------------------------------
    Case("a month with zero rows in one table (complaints)", "complaints",
         edit("complaints", {(r, "received_at"): f"2026-09-2{r} 10:00" for r in (2, 3, 4)}),
         KpisComputed(("complaint_contact", "complaint_solution", "complaint_satisfaction"), _zero_rows_kpis),
         stage="kpis", month="2026-10"),
    Case("a month with zero follow-ups", "followups", text("followups", BASE["followups"].splitlines()[0] + "\n"),
         KpisComputed(("followup_satisfaction",), _zero_followups_kpis), stage="kpis", month="2026-10"),
    Case("year outside the holiday calendar (2028, sample terms)", "complaints",
         edit("complaints", {(2, "received_at"): "2028-03-01 10:00", (2, "first_contact_at"): "2028-03-01 10:30",
                             (2, "preliminary_solution_at"): "2028-03-02 10:00", (2, "closed_at"): "2028-03-03 10:00"}),
         CalendarGap(2028), stage="kpis", month="2028-03"),
    Case("year 2027 without calendar overrides", "complaints",
         edit("complaints", {(2, "received_at"): "2027-03-01 10:00", (2, "first_contact_at"): "",
                             (2, "preliminary_solution_at"): "", (2, "closed_at"): ""}),
         CalendarGap(2027), stage="kpis", month="2027-03",
         terms=lambda: sample_terms(calendar_overrides__holidays=[])),
    Case("year 2027 is usable: the sample terms list a 2027 date", "complaints",
         edit("complaints", {(2, "received_at"): "2027-03-01 10:00", (2, "first_contact_at"): "",
                             (2, "preliminary_solution_at"): "", (2, "closed_at"): ""}),
         KpisComputed(("consultation_response", "consultation_resolution", "followup_coverage",
                       "followup_satisfaction"), _year_2027),
         stage="kpis", month="2027-03"),
    # --- the terms file -------------------------------------------------------------
    Case("terms: typo in a key", "terms", terms_replace("  penalty_step_pct: 1 ", "  penalty_stpe_pct: 1 "),
         TermsRejected("contract.yaml", (("fees.penalty_step_pct", "missing key"),
                                         ("fees.penalty_stpe_pct", "unknown key")))),
    Case("terms: wrong type", "terms", terms_replace("bonus_pct: 5 ", "bonus_pct: five "),
         TermsRejected("contract.yaml", (("fees.bonus_pct", "'five'"),))),
    Case("terms: percentage above 100", "terms", terms_replace("complaint_satisfaction_pct: 85", "complaint_satisfaction_pct: 185"),
         TermsRejected("contract.yaml", (("targets.complaint_satisfaction_pct", "less than or equal to 100"),))),
    Case("terms: close not after open", "terms", terms_replace('close: "21:00"', 'close: "08:00"'),
         TermsRejected("contract.yaml", (("service_hours.close", "must be after service_hours.open"),))),
    Case("terms: negative number of days", "terms", terms_replace("payment_workdays: 10", "payment_workdays: -10"),
         TermsRejected("contract.yaml", (("fees.payment_workdays", "greater than or equal to 0"),))),
    Case("terms: key written twice", "terms", terms_replace("na_counts_as: met", "na_counts_as: met\nna_counts_as: missed"),
         TermsRejected("contract.yaml", (("na_counts_as", "key written twice"),))),
    Case("terms: unknown time zone", "terms", terms_replace("timezone: Asia/Shanghai", "timezone: Asia/Beijing"),
         TermsRejected("contract.yaml", (("contract.timezone", "unknown time zone 'Asia/Beijing'"),))),
    Case("terms: not valid YAML", "terms", terms_replace("  id: CS-2026-001", "  id: [CS-2026-001"),
         TermsRejected("contract.yaml", (("<file>", "not valid YAML"),))),
    Case("terms: a section missing", "terms", terms_text(lambda s: s[:s.index("liability:")]),
         TermsRejected("contract.yaml", (("liability", "missing key"),))),
    Case("terms: empty file", "terms", terms_text(lambda s: ""),
         TermsRejected("contract.yaml", (("<file>", "must be a YAML mapping"),))),
    # --- Parquet column types (issue 12) ---------------------------------------------
    Case("Parquet: a struct column as the id", "new_customers",
         parquet("new_customers", _parquet_new_customers(customer_id=pa.array(
             [{"id": "C1"}, {"id": "C2"}, {"id": "C3"}]))),
         Rejected("new_customers.parquet", ((None, "customer_id", "the column has the Parquet type struct<id: string>, which cannot be read as an id"),))),
    Case("Parquet: a list column as the id", "new_customers",
         parquet("new_customers", _parquet_new_customers(customer_id=pa.array([["C1"], ["C2"], []]))),
         Rejected("new_customers.parquet", ((None, "customer_id", "the column has the Parquet type list<element: string>"),))),
    Case("Parquet: a map column and a binary column", "new_customers",
         parquet("new_customers", _parquet_new_customers(
             customer_id=pa.array([b"C1", b"C2", b"\xff"]),
             tags=pa.array([[("k", 1)], [], [("k", 2)]], type=pa.map_(pa.string(), pa.int64())))),
         Rejected("new_customers.parquet", ((None, "customer_id", "the Parquet type binary, which cannot be read as an id"),
                                            (None, "tags", "cannot be read as text; write it as text (string), or leave the column out")))),
    Case("Parquet: a duration column as a timestamp", "new_customers",
         parquet("new_customers", _parquet_new_customers(acquired_at=pa.array(
             [3600, 7200, 10800], type=pa.duration("s")))),
         Rejected("new_customers.parquet", ((None, "acquired_at", "the Parquet type duration[s], which cannot be read as a date/time; write it as a timestamp, a date or text"),))),
    # --- no silent row loss (issue 12) ----------------------------------------------
    Case(".xlsx: the table continues on a second sheet", "consultations",
         workbook("consultations", [CONS_HEADER, *CONS_ROWS[:2]], sheet="10月", more_sheets={"10月(续)": [CONS_ROWS[2]]}),
         Rejected("consultations.xlsx", ((None, None, "the consultations table is read from sheet '10月', but sheet "
                                                      "'10月(续)' (row 1: 'Q3 chat C3 2026-10-09 14:00:00"),))),
    Case(".xlsx: the table's own sheet and another sheet with its columns", "consultations",
         workbook("consultations", [CONS_HEADER, *CONS_ROWS], sheet="consultations",
                  more_sheets={"9月": [CONS_HEADER, ["Q0", "phone", "C0", dt.datetime(2026, 9, 30, 9), None, True]]}),
         Rejected("consultations.xlsx", ((None, None, "but sheet '9月' (the consultations columns on row 1) also holds "
                                                      "data that would be left out"),))),
    Case(".xlsx: a column dictionary on another sheet is notes", "consultations",
         workbook("consultations", [CONS_HEADER, *CONS_ROWS], sheet="数据",
                  more_sheets={"字段说明": [["字段", "含义", "必填"], ["received_at", "接入时间", "是"],
                                            ["resolved", "是否解决", "是"]]}), Loaded(3, 3, _sheet)),
    Case("CSV whose last row is cut off", "consultations",
         text("consultations", BASE["consultations"] + "Q4,chat,C4,2026-10-09 1"),
         SetAsideRows(((5, "first_response_at", CUT_OFF.format(4, 6)),), 4, 3)),
    Case("CSV of money whose last row is cut off", "payments",
         text("payments", BASE["payments"].rstrip("\n").rsplit(",", 1)[0]),
         Rejected("payments.csv", ((4, "amount", CUT_OFF.format(3, 4)),))),
    Case("row with fewer fields than the header (a line break in a value)", "consultations",
         edit("consultations", raw_lines={3: "Q2,email,C2 张", 4: "三,2026-10-08 10:00,2026-10-08 11:00,false"}),
         SetAsideRows(((3, "received_at", "the row has 3 of the header's 6 fields (row 1): a line break inside a value"),
                       (4, "first_response_at", "the row has 4 of the header's 6 fields")), 3, 1)),
    Case(".xlsx: cells merged down a column of data rows", "consultations",
         workbook("consultations", [CONS_HEADER, *CONS_ROWS], merge_data=("B3:B4",)),
         SetAsideRows(((3, "channel", MERGED.format("B3:B4")), (4, "channel", MERGED.format("B3:B4"))), 3, 1)),
    Case(".xlsx: a sub-title merged across a row of the data", "consultations",
         workbook("consultations", [CONS_HEADER, *CONS_ROWS[:2], ["10月下旬"], CONS_ROWS[2]], merge_data=("A4:F4",)),
         SetAsideRows(((4, "consultation_id", MERGED.format("A4:F4")),), 4, 3)),
    Case(".xlsx: merged cells in a money table", "payments",
         workbook("payments", [["payment_id", "service_month", "paid_at", "amount"],
                               ["P1", "2026-10", dt.datetime(2026, 11, 10, 10), 150000],
                               ["P2", None, dt.datetime(2026, 11, 20, 10), 50000]], merge_data=("B2:B3",)),
         Rejected("payments.xlsx", ((2, "service_month", MERGED.format("B2:B3")), (3, "service_month", MERGED.format("B2:B3"))))),
    Case("a record above the header, below a title row", "consultations",
         text("consultations", "2026年10月 咨询\n" + CONS_LINES[1] + "\n" + CONS_LINES[0] + "\n" + "\n".join(CONS_LINES[2:]) + "\n"),
         SetAsideRows(((2, None, ABOVE.format(3)),), 3, 2, _skipped_title)),
    Case(".xlsx: a payment above the header", "payments",
         workbook("payments", [["P0", "2026-09", dt.datetime(2026, 10, 9, 10), 1000],
                               ["payment_id", "service_month", "paid_at", "amount"],
                               ["P1", "2026-10", dt.datetime(2026, 11, 10, 10), 150000]]),
         Rejected("payments.xlsx", ((1, None, ABOVE.format(2)),))),
    # --- hostile cells load as plain text (issue 12) ------------------------------------
    Case("formula and markup in id cells load as text", "consultations",
         edit("consultations", {(2, "consultation_id"): '=HYPERLINK("http://x","y")', (3, "consultation_id"): "TS-<svg onload=alert(1)>",
                                (4, "consultation_id"): "+1-2", (2, "customer_id"): "@SUM(A1)"}),
         Loaded(3, 3, _hostile_ids)),
    Case("control and bidi characters in cells load as text", "consultations", text("consultations", HOSTILE_CELLS),
         Loaded(3, 3, _control_cells)),
    Case("a NUL byte in a UTF-8 file", "consultations",
         text("consultations", BASE["consultations"].replace("Q2,", "Q2\x00,")),
         Rejected("consultations.csv", ((None, None, "the file holds a NUL byte (U+0000) on line 3"),))),
    Case("a 1 MB cell in a free-text column", "consultations",
         text("consultations", CONS_LINES[0] + ",category\n" + CONS_LINES[1] + "," + "长" * 1_000_000 + "\n"
              + "\n".join(line + "," for line in CONS_LINES[2:]) + "\n"),
         Loaded(3, 3, _megabyte_cell)),
    Case("a header row of 100 000 columns", "consultations",
         text("consultations", ",".join(f"c{i}" for i in range(100_000)) + "\n" + "\n".join(CONS_LINES[1:]) + "\n"),
         Rejected("consultations.csv", ((1, None, "the row has 100000 columns; a table may have at most 1000"),))),
    # --- hostile terms (issue 12) ----------------------------------------------------
    Case("terms: impossible date 2026-02-30 unquoted", "terms", terms_replace("start: 2026-01-01", "start: 2026-02-30"),
         TermsRejected("contract.yaml", (("term.start", "day value is outside expected range (got '2026-02-30')"),))),
    Case("terms: alias bomb (billion laughs)", "terms", terms_text(lambda s: ALIAS_BOMB + s),
         TermsRejected("contract.yaml", (("lol", "anchors and aliases (&name, *name) are not allowed in a terms file"),))),
    Case("terms: nesting 10000 levels deep", "terms",
         terms_replace("  id: CS-2026-001", "  id: " + "[" * 10_000 + "]" * 10_000),
         TermsRejected("contract.yaml", (("contract.id.0.…", "nested more than 20 levels deep"),))),
    Case("terms: line break in the contract id", "terms", terms_replace("  id: CS-2026-001", '  id: "CS-2026\\n001"'),
         TermsRejected("contract.yaml", (("contract.id", "holds the control character U+000A at position 8"),))),
    Case("terms: bidi override in a party name", "terms",
         terms_replace("  party_a: 华东星辰电子有限公司", '  party_a: "华东\u202e星辰电子有限公司"'),
         TermsRejected("contract.yaml", (("contract.party_a", "holds the control character U+202E at position 3"),))),
    Case("terms: a money amount of 31 digits", "terms",
         terms_replace('confidentiality_penalty: "500000.00"', "confidentiality_penalty: 1" + "0" * 30),
         TermsRejected("contract.yaml", (("liability.confidentiality_penalty", "less than"),))),
]


def test_the_matrix_is_big_and_covers_every_table():
    assert len(CASES) >= 100
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.table for c in CASES} >= set(TABLES) | {"terms"}


# ---------------------------------------------------------------------------- runner


def _problems(exc) -> list[TableError]:
    return exc.errors if isinstance(exc, TableErrors) else [exc]


def _assert_named(errors: list[TableError], expect: Rejected):
    assert [(Path(e.path).name, e.row, e.column) for e in errors] == [
        (expect.file, row, column) for row, column, _ in expect.problems
    ], [str(e) for e in errors]
    for err, (row, column, fragment) in zip(errors, expect.problems):
        message = str(err)
        assert expect.file in message
        assert (f"row {row}" in message) == (row is not None)
        assert (f"column {column}" in message) == (column is not None)
        assert fragment in err.message, (fragment, err.message)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path):
    for table, content in BASE.items():
        (tmp_path / f"{table}.csv").write_text(content, encoding="utf-8")
    built = case.build(tmp_path)
    expect = case.expect

    if case.table == "terms":
        assert isinstance(expect, TermsRejected)
        with pytest.raises((TermsError, TermsErrors)) as info:
            load_terms(built)
        errors = info.value.errors if isinstance(info.value, TermsErrors) else [info.value]
        assert [(Path(e.path).name, e.key) for e in errors] == [(expect.file, k) for k, _ in expect.keys]
        for err, (key, fragment) in zip(errors, expect.keys):
            assert f"{expect.file}: {key}: " in str(err)
            assert fragment in err.message, (fragment, err.message)
        return

    terms = case.terms()
    if case.stage == "load":
        run = lambda: load_table(built, case.table, terms)  # noqa: E731
    else:
        run = lambda: load_dataset(tmp_path, terms)  # noqa: E731

    if isinstance(expect, Rejected) and case.stage in ("load", "dataset"):
        with pytest.raises((TableError, TableErrors)) as info:
            run()
        _assert_named(_problems(info.value), expect)
        return

    if case.stage == "check":
        data = run()
        problems = check_against_terms(data, terms)
        _assert_named(problems, expect)
        if problems:
            with pytest.raises((TableError, TableErrors)):
                raise_problems(problems)
        return

    if case.stage == "kpis":
        data = run()
        if isinstance(expect, CalendarGap):
            with pytest.raises(CalendarCoverageError) as info:
                month_kpis(data, terms, case.month)
            assert info.value.year == expect.year
            assert f"year {expect.year}" in str(info.value)
            return
        kpis = month_kpis(data, terms, case.month)
        na = tuple(k for k, r in kpis.results.items() if r.rate is None)
        assert na == expect.na
        if expect.check:
            expect.check(kpis)
        return

    frame, account = run()
    assert account.rows_read == account.rows_used + len(account.set_aside)
    assert account.rows_used == len(frame)
    assert Path(account.file).name == built.name
    if isinstance(expect, Loaded):
        assert (account.rows_read, account.rows_used, account.set_aside) == (expect.read, expect.used, [])
        if expect.check:
            expect.check(frame, account)
        return
    assert isinstance(expect, SetAsideRows), expect
    assert (account.rows_read, account.rows_used) == (expect.read, expect.used)
    assert [(s.table, s.row, s.column) for s in account.set_aside] == [
        (case.table, row, column) for row, column, _ in expect.rows
    ]
    for aside, (_, _, fragment) in zip(account.set_aside, expect.rows):
        assert fragment in aside.reason, (fragment, aside.reason)
    # the rows used are exactly the others
    assert not set(frame["source_row"]) & {s.row for s in account.set_aside}
    if expect.check:
        expect.check(frame, account)


def test_check_against_terms_on_a_plain_mapping_and_the_sample(sample_terms):
    frame = pd.DataFrame({
        "payment_id": pd.Series(["P1", "P2"], dtype="string"),
        "service_month": pd.Series(["2027-12", "2028-01"], dtype="string"),  # the renewal's last month, then one after
        "paid_at": pd.Series([t("2028-01-10"), t("2028-02-10")]),
        "amount": [Decimal("1.00"), Decimal("2.00")],
        "source_row": [2, 3],
    })
    (problem,) = check_against_terms({"payments": frame}, sample_terms)
    assert (problem.path, problem.row, problem.column) == ("<payments>", 3, "service_month")
    assert problem.message.startswith(MONTH_OUTSIDE + ": service_month 2028-01 (payment_id P2)")
    data = load_dataset(SAMPLE_TERMS.parent, sample_terms)
    assert check_against_terms(data, sample_terms) == []
    raise_problems([])  # nothing to raise
