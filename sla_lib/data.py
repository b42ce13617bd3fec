"""Input tables (spec section 6): read, type and validate the data folder.

One file per table in the data folder: ``<table>.csv`` or ``<table>.xlsx``. A CSV may be
UTF-8, UTF-8 with BOM, or GB18030 (what Excel writes on a Chinese Windows); it is first
read entirely as text, so nothing is coerced silently, and then typed column by column
with vectorised pandas operations (no Python loop over data rows). The typed frame is
checked with a pandera schema (``lazy=True``, every failure collected) and every problem
is reported with the file, the row as the user sees it (the CSV record number, the header
being row 1 when it is the first line; xlsx: the sheet's row number) and the column.

Canonical frames
----------------
Every frame has the spec's columns in the spec's order (optional columns absent from the
file are all-NA of the right dtype), then ``source_row`` (int64), then any extra columns
of the file (for instance personal data: names, phone numbers) as untouched strings
(``string`` dtype, not stripped). The index is a fresh RangeIndex. Column names may also
be the Chinese aliases of :data:`COLUMN_ALIASES` (case, spaces, full-width forms and a
trailing unit such as ``（元）`` are ignored).

Header and sheet: the header is the first of the first 20 non-blank rows that names every
required column, so title rows above it (``2026年10月咨询记录`` merged across the columns,
an export banner) are skipped; they are listed in the account's ``skipped_rows`` and row
numbers stay those of the file. If no such row exists, the row naming the most required
columns is taken and the missing ones are reported (with "is 'recieved_at' a misspelling
of it?" when a column name is close). In a workbook the sheet named like the table is read;
else the only sheet; else the one sheet whose first rows hold the table's columns (two
such sheets: an error, never a guess that could drop a month); else the first sheet.

No silent row loss (issue 12):

* **Other sheets** of a workbook may hold notes only. A sheet other than the one read
  holds *data* when (a) one of its first 20 non-blank rows names every required column of
  the table, or (b) one of its rows looks like a record: at least as many filled cells as
  the table has required columns (at least 2), one of them a date/time (an Excel date cell,
  or text the loader reads as a date/time). Either is an error naming the sheet read and
  every sheet holding data (with the row found), since those rows would be left out.
  Titles, free-text notes and a column dictionary without dates are notes. (Limits: a
  continuation sheet whose dates are serial numbers, or a notes row such as
  ``导出时间 | 2026-11-01`` in a two-column table, are judged by the rule as written.)
* **Short CSV rows**: a record with fewer fields than the header (up to its last named
  column) is a row problem naming the first column without a field: "the last row is cut
  off: N of M fields" when it is the file's last record and the file does not end with a
  line break (an interrupted export or copy), else "the row has N of the header's M
  fields: a line break inside a value, or a row cut short?". A last row cut inside its last
  field has all its fields and is judged by that value (``tr`` is no yes/no value, but a
  money amount cut from ``500.00`` to ``50`` cannot be told from a real one).
* **Merged cells** in a workbook (from the sheet's XML: openpyxl's read-only mode, which
  pandas uses, leaves them out): every non-blank row below the header that a merged range
  touches is a row problem naming the range ("cells B5:B7 are merged") and its first
  column, since Excel keeps a merged value in the first cell and the others read as empty.
  Merged titles above the header are title rows as before.
* **Records above the header**: a non-blank row above the header that fills two or more
  of the header's required columns, one of them a required date/time column holding a
  date/time, is a record (a sheet sorted with its header, two files joined): a row problem
  "a record above the header (row H)", counted in ``rows_read``. Any other non-blank row
  above the header (one merged title, a banner, a single text cell) is a title row.

``TABLES`` maps each table name to its :class:`TableSpec` (kind, id column, columns with
their kind / required / nullable flags, ordering checks); :func:`empty_table` gives the
canonical empty frame of a table.

=====================  ==========================================================
kind                   dtype
=====================  ==========================================================
ids, product/category  ``string`` (pd.StringDtype, stripped, empty -> <NA>)
timestamps (``*_at``)  ``datetime64[ns, <contract zone>]``; naive -> contract zone,
                       with an offset -> converted; empty optional value -> NaT
channel                categorical ``["phone", "email", "chat"]`` (Chinese aliases)
resolved               ``bool``
satisfaction           ``Int64``, 1..5 or <NA> (unrated)
amount, fee            ``decimal.Decimal`` (object dtype), exact to 0.01
service_month          ``string`` ``'YYYY-MM'``
=====================  ==========================================================

Problem policy
--------------
=============================================  ==========================  ===============
problem                                        tables                      outcome
=============================================  ==========================  ===============
file missing (required table), both .csv and   all                         TableError
.xlsx present, unreadable/undecodable file
(UTF-16, a workbook named .csv, NUL bytes),
empty file (no header row), a quote never
closed (names its row), required column
missing, two columns meaning the same field,
two sheets holding the table, data on a sheet
other than the one read (names the sheets),
an infinite number cell in a workbook (names
its row), a NUL byte (names its line), more
than 1000 columns, a Parquet column of a type
that cannot be read (struct, list, map,
binary, duration or number as a timestamp…:
names the column and the type)
any bad row: unparsable / negative / empty     payments, invoices,         TableError(s),
amount, amount with fractions of a fen, bad    onsite_visits (money)       load rejected
or empty date, bad service_month, empty or
duplicated id (even an identical copy), a
ragged row, a repeated header row, a short
row (the last row cut off), a row touched by
merged cells, a record above the header
unparsable or empty required timestamp;        consultations, complaints,  row SET ASIDE
first_response_at / first_contact_at /         followups, new_customers    (SetAside with
preliminary_solution_at / closed_at /          (events)                    row, column,
resolved_at before received_at; unknown or                                 reason)
empty required channel; unparsable or empty
``resolved``; satisfaction not an integer
1..5 (0, 6, '满意'); empty record id (and
empty customer_id in followups/new_customers);
a CSV row with more fields than the header
(ragged: column None); a row repeating the
header (two exports joined; column None); a
CSV row with fewer fields (the last row cut
off; column: the first without a field); a
workbook row touched by merged cells (names
the range); a record above the header
duplicated id, row identical to the first      events                      later copy SET
                                                                           ASIDE: 'duplicate
                                                                           of row N'
duplicated id, contents differ                 events                      TableError naming
                                                                           both rows
completely blank row                           all                         skipped, not
                                                                           counted (no data)
title row above the header (not a record)      all                         skipped, listed
                                                                           in skipped_rows
=============================================  ==========================  ===============

A row with several problems gives one SetAside: ``column`` is its first problem column
(in the table's column order) and ``reason`` lists every problem, each naming its column.
Every table's account satisfies ``rows_read == rows_used + len(set_aside)``.

Interpretations where the brief is silent (documented choices):

* ``customer_id`` may be empty in consultations, complaints and onsite_visits (anonymous
  contacts still count in the KPIs); it must be present in followups and new_customers,
  where it is what C6 counts.
* An empty ``resolved`` is not read as false: the row is set aside.
* Money is never rounded: an amount with non-zero digits below the fen (``12.345``) is an
  error; ``12.3400`` is accepted as 12.34.
* ``service_month`` accepts ``2026-10``, ``2026/10``, ``2026.10``, ``2026年10月``; a full
  date in .xlsx (an Excel date cell, any day of that month); in CSV a full date only when
  it is the 1st (how Excel stores a typed month, e.g. ``2026/10/1``).
* Excel serial numbers are accepted as timestamps only from .xlsx files, rounded to the
  second (floating-point noise of the serial format).
* Text cells are kept exactly as written: a formula (``=HYPERLINK(...)``), markup
  (``TS-<svg onload=...>``), control and bidi characters, a 1 MB note all load as plain
  text; neutralising them is the output layer's job (escaping, masking, Excel strings).
* Several problems in one load raise :class:`TableErrors`; a single one raises that
  :class:`TableError` (both are :class:`SlaError`).
* Problems that need the terms are checked by :func:`check_against_terms` after the load:
  a payment or invoice whose ``service_month`` is outside the term and its renewal is an error (file, row,
  column service_month); an invoice for a month with no payment is not.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Iterable, MutableMapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa_lib
import pyarrow.compute as pa_compute

from .calendar import constant_utc_offset, in_month, month_bounds
from .errors import TableError, TableErrors
from .terms import CHANNELS

__all__ = [
    "TABLES",
    "COLUMN_ALIASES",
    "CHANNEL_ALIASES",
    "BOOL_VALUES",
    "ColumnSpec",
    "TableSpec",
    "SetAside",
    "SkippedRow",
    "TableAccount",
    "Dataset",
    "load_table",
    "load_dataset",
    "empty_table",
    "check_against_terms",
    "raise_problems",
]

# --------------------------------------------------------------------------- table specs

ID, TEXT, TS, CHANNEL, BOOL, SCORE, MONEY, MONTH = (
    "id", "text", "timestamp", "channel", "bool", "score", "money", "month",
)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str
    required: bool = True  # the column must be in the file
    nullable: bool = False  # a value may be empty


@dataclass(frozen=True)
class TableSpec:
    name: str
    kind: str  # "event" (bad rows set aside) or "money" (bad rows reject the load)
    id_column: str
    columns: tuple[ColumnSpec, ...]
    required: bool = True  # the file must exist
    not_before: tuple[tuple[str, str], ...] = ()  # (column, base): column >= base
    month_column: str | None = None  # the timestamp that puts a row in a month (spec 2)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


def _c(name, kind, required=True, nullable=False):
    return ColumnSpec(name, kind, required, nullable)


TABLES: dict[str, TableSpec] = {
    "consultations": TableSpec(
        "consultations", "event", "consultation_id",
        (
            _c("consultation_id", ID),
            _c("channel", CHANNEL),
            _c("customer_id", ID, nullable=True),
            _c("received_at", TS),
            _c("first_response_at", TS, nullable=True),
            _c("resolved", BOOL),
            _c("resolved_at", TS, required=False, nullable=True),
            _c("product", TEXT, required=False, nullable=True),
            _c("category", TEXT, required=False, nullable=True),
            _c("agent_id", ID, required=False, nullable=True),
        ),
        not_before=(("first_response_at", "received_at"), ("resolved_at", "received_at")),
        month_column="received_at",
    ),
    "complaints": TableSpec(
        "complaints", "event", "complaint_id",
        (
            _c("complaint_id", ID),
            _c("customer_id", ID, nullable=True),
            _c("received_at", TS),
            _c("first_contact_at", TS, nullable=True),
            _c("preliminary_solution_at", TS, nullable=True),
            _c("closed_at", TS, nullable=True),
            _c("satisfaction", SCORE, nullable=True),
            _c("channel", CHANNEL, required=False, nullable=True),
            _c("category", TEXT, required=False, nullable=True),
            _c("product", TEXT, required=False, nullable=True),
        ),
        not_before=(
            ("first_contact_at", "received_at"),
            ("preliminary_solution_at", "received_at"),
            ("closed_at", "received_at"),
        ),
        month_column="received_at",
    ),
    "followups": TableSpec(
        "followups", "event", "followup_id",
        (
            _c("followup_id", ID),
            _c("customer_id", ID),
            _c("visited_at", TS),
            _c("satisfaction", SCORE, nullable=True),
            _c("channel", CHANNEL, required=False, nullable=True),
        ),
        month_column="visited_at",
    ),
    "new_customers": TableSpec(
        "new_customers", "event", "customer_id",
        (_c("customer_id", ID), _c("acquired_at", TS)),
        month_column="acquired_at",
    ),
    "payments": TableSpec(
        "payments", "money", "payment_id",
        (_c("payment_id", ID), _c("service_month", MONTH), _c("paid_at", TS), _c("amount", MONEY)),
    ),
    "invoices": TableSpec(
        "invoices", "money", "invoice_id",
        (_c("invoice_id", ID), _c("service_month", MONTH), _c("issued_at", TS), _c("amount", MONEY)),
    ),
    "onsite_visits": TableSpec(
        "onsite_visits", "money", "visit_id",
        (
            _c("visit_id", ID),
            _c("customer_id", ID, nullable=True),
            _c("visited_at", TS),
            _c("fee", MONEY),
        ),
        required=False,
        month_column="visited_at",
    ),
}

# Column-name aliases (alias -> canonical name). Matching ignores case, surrounding
# spaces, full-width forms and a trailing unit in brackets ("金额（元）" -> 金额). An alias
# only applies in a table that has that canonical column; elsewhere it is an extra column.
COLUMN_ALIASES: dict[str, str] = {
    # shared
    "客户编号": "customer_id", "客户id": "customer_id", "客户号": "customer_id",
    "渠道": "channel", "来源渠道": "channel",
    "满意度": "satisfaction", "满意度评分": "satisfaction",
    "产品": "product", "产品型号": "product",
    "类别": "category", "分类": "category", "问题类别": "category",
    # consultations
    "咨询编号": "consultation_id", "咨询id": "consultation_id",
    "接入时间": "received_at", "受理时间": "received_at",
    "首次响应时间": "first_response_at",
    "是否解决": "resolved",
    "解决时间": "resolved_at",
    "坐席工号": "agent_id", "客服工号": "agent_id", "坐席编号": "agent_id",
    # complaints
    "投诉编号": "complaint_id", "投诉id": "complaint_id",
    "首次联系时间": "first_contact_at",
    "初步方案时间": "preliminary_solution_at", "初步解决方案时间": "preliminary_solution_at",
    "结案时间": "closed_at",
    # followups / onsite visits
    "回访编号": "followup_id",
    "回访时间": "visited_at", "上门时间": "visited_at",
    # new customers
    "获客时间": "acquired_at", "获客日期": "acquired_at",
    # payments / invoices
    "付款编号": "payment_id",
    "服务月份": "service_month",
    "付款日期": "paid_at", "付款时间": "paid_at",
    "金额": "amount", "付款金额": "amount", "发票金额": "amount",
    "发票编号": "invoice_id", "发票号码": "invoice_id",
    "开票日期": "issued_at", "开票时间": "issued_at",
    # onsite visits
    "上门编号": "visit_id",
    "费用": "fee", "上门费用": "fee",
}

# Channel values (after stripping, lower-casing and removing inner spaces).
CHANNEL_ALIASES: dict[str, str] = {
    "phone": "phone", "telephone": "phone", "tel": "phone", "call": "phone",
    "电话": "phone", "热线": "phone", "热线电话": "phone", "客服热线": "phone",
    "email": "email", "e-mail": "email", "mail": "email",
    "邮件": "email", "电子邮件": "email", "邮箱": "email",
    "chat": "chat", "online": "chat", "wechat": "chat", "im": "chat",
    "在线": "chat", "在线客服": "chat", "聊天": "chat", "微信": "chat",
}

# Boolean values (after stripping and lower-casing).
BOOL_VALUES: dict[str, bool] = {
    "true": True, "false": False, "t": True, "f": False,
    "1": True, "0": False,
    "yes": True, "no": False, "y": True, "n": False,
    "是": True, "否": False,
}

RESERVED = "source_row"

# ------------------------------------------------------------------------ public records


@dataclass(frozen=True)
class SetAside:
    """One row set aside (excluded from the computations, never silently dropped)."""

    table: str
    row: int  # the row as the user sees it in the file
    record_id: str | None
    column: str | None
    reason: str


@dataclass(frozen=True)
class SkippedRow:
    """A non-blank row that is no record (a title row above the header); not counted."""

    table: str
    row: int
    reason: str


@dataclass
class TableAccount:
    """What happened to a table's rows: ``rows_read == rows_used + len(set_aside)``.

    ``rows_read`` counts the records: the non-blank rows below the header, and any record
    above it (set aside). Title rows above the header are listed in ``skipped_rows`` (they
    are not records, so not counted)."""

    table: str
    file: str | None
    rows_read: int
    rows_used: int
    set_aside: list[SetAside] = field(default_factory=list)
    skipped_rows: list[SkippedRow] = field(default_factory=list)


@dataclass
class Dataset:
    """The loaded tables of a data folder, their accounts and the files read.

    ``kpi_cache`` maps (terms fingerprint, month) to that month's computed KPIs
    (:func:`sla_lib.kpis.month_kpis` reads and fills it), so C19's look back over the term,
    trend series and fee statements compute each month once. The frames are treated as
    read-only; a caller that edits one must clear the cache. It can be any mapping, e.g. a
    :class:`sla_lib.kpi_store.KpiStore` that keeps the months in files between runs."""

    tables: dict[str, pd.DataFrame]
    accounting: dict[str, TableAccount]
    files: dict[str, Path]  # the files actually read (absent optional tables: no entry)
    kpi_cache: MutableMapping = field(default_factory=dict, repr=False, compare=False)

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"table {name!r} was not loaded (loaded: {', '.join(self.tables)})") from None

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    @property
    def set_aside(self) -> list[SetAside]:
        """Every set-aside row of every table."""
        return [s for account in self.accounting.values() for s in account.set_aside]


# ----------------------------------------------------------------------------- helpers

_CHANNEL_DTYPE = pd.CategoricalDtype(list(CHANNELS))
_STRING = pd.StringDtype()
_CENT = Decimal("0.01")

_ISO_RE = (
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)
_OFFSET_RE = r":\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_GENERAL_TS_RE = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:(?:[T\s]+|(?<=日))(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})"
    r"(?:\s*[:：分]\s*(?P<S>\d{1,2})(?P<f>\.\d+)?\s*秒?|\s*分)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_MONTH_RE = r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*月?$"
_MONEY_DECORATION_RE = r"^(?:RMB|CNY)|[¥￥元\s]"
_MONEY_RE = r"-?(?:\d{1,3}(?:,\d{3}){1,4}|\d{1,15})(?:\.\d+)?"  # < 10^15 yuan
_MONEY_FEN_RE = r"[^.]*(?:\.\d{0,2}0*)?"
_SCORE_RE = r"\d{1,3}(?:\.0+)?"
_SERIAL_RE = r"\d{1,6}(?:\.\d+)?"
_TS_LO = pd.Timestamp("1900-01-01")
_TS_HI = pd.Timestamp("2200-01-01")
_SERIAL_MAX = 109575  # 2199-12-31


def _zone_name(tz) -> str:
    """``tz`` may be a zone name, a ZoneInfo or a Terms object."""
    contract = getattr(tz, "contract", None)
    if contract is not None:
        tz = contract.timezone
    if isinstance(tz, ZoneInfo):
        tz = tz.key
    if not isinstance(tz, str):
        raise TypeError(f"tz must be a time-zone name or a Terms object, got {type(tz).__name__}")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None
    return tz


def _norm_header(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "").strip().lower()
    text = re.sub(r"\s*\([^()]*\)$", "", text)  # trailing unit: 金额(元) (NFKC made （） ASCII)
    return re.sub(r"[\s\-]+", "_", text)


_ALIAS_LOOKUP = {_norm_header(k): v for k, v in COLUMN_ALIASES.items()}


def _ts_dtype(tz: str) -> pd.DatetimeTZDtype:
    return pd.DatetimeTZDtype("ns", tz)


def _dtype_for(kind: str, tz: str):
    return {
        ID: _STRING, TEXT: _STRING, MONTH: _STRING, TS: _ts_dtype(tz), CHANNEL: _CHANNEL_DTYPE,
        BOOL: pd.BooleanDtype(), SCORE: pd.Int64Dtype(), MONEY: object,
    }[kind]


def _final_dtype(kind: str, tz: str):
    return np.dtype(bool) if kind == BOOL else _dtype_for(kind, tz)


def _row_text(cells: pd.Series, limit: int = 80) -> str:
    """The non-empty cells of a row, joined (for messages)."""
    text = " ".join(v for v in (str(c).strip() for c in cells) if v)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _fmt(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


# --------------------------------------------------------------------------- reading


@dataclass
class _Raw:
    """A file as a frame of strings, header row included (position = file/sheet row - 1)."""

    frame: pd.DataFrame
    sheet: str | None = None  # the sheet read, for a workbook
    # CSV read wider than its first record (some record has more fields): the field count
    # of every record, to tell a ragged row from a column of the file
    fields: np.ndarray | None = None
    text: str | None = None  # a CSV's decoded text (field counts of short rows are taken from it)
    # a workbook's merged ranges: (ref such as 'B5:B7', min_row, min_col, max_row, max_col), 1-based
    merged: list[tuple[str, int, int, int, int]] = field(default_factory=list)


def _csv_text(path: Path) -> str:
    """The decoded text of a CSV file (UTF-8, UTF-8 with BOM or GB18030)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TableError(path, f"cannot read the file: {exc.strerror}") from None
    if data.startswith(b"PK\x03\x04"):
        raise TableError(
            path, "this is an Excel workbook saved under a .csv name; rename it to .xlsx"
        )
    nul = data.find(b"\x00")
    if nul >= 0 and not data.startswith((b"\xff\xfe", b"\xfe\xff")) and data.count(b"\x00") * 8 < len(data):
        # a few NUL bytes in a text file (UTF-16 text is ~half NUL bytes): name the line
        line = data.count(b"\n", 0, nul) + 1
        raise TableError(
            path,
            f"the file holds a NUL byte (U+0000) on line {line}: no CSV "
            f"export writes one (a damaged file, or binary data pasted into a cell); remove it",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or nul >= 0:
        raise TableError(
            path,
            "cannot decode the file as UTF-8 or GB18030: it contains NUL bytes (UTF-16 text, "
            "as Excel's 'Unicode Text' writes it, or not text at all); save it as 'CSV UTF-8' "
            "(or as .xlsx)",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(
            path,
            "cannot decode the file as UTF-8 or GB18030; save it as 'CSV UTF-8' (or as .xlsx)",
        )
    return text.removeprefix("\ufeff")  # the GB18030 form of the BOM decodes to U+FEFF


def _csv_frame(path: Path, text: str, width: int | None = None) -> pd.DataFrame:
    try:
        # na_filter=False: every cell is text, a missing trailing field is ""
        return pd.read_csv(
            io.StringIO(text), header=None, dtype=str, na_filter=False, skip_blank_lines=False,
            names=None if width is None else range(width),
        )
    except pd.errors.EmptyDataError:
        raise TableError(path, "the file is empty (no header row)") from None
    except pd.errors.ParserError as exc:
        message = str(exc).replace("Error tokenizing data. ", "").replace("C error: ", "")
        unclosed = re.search(r"EOF inside string starting at row (\d+)", message)
        if unclosed:
            raise TableError(
                path, 'a quoted value opened here (with ") is never closed: the rest of the '
                      'file would be one cell; close or remove the quote',
                row=int(unclosed.group(1)) + 1,
            ) from None
        if width is None and re.search(r"Expected \d+ fields in line \d+, saw \d+", message):
            raise _TooManyFields() from None
        raise TableError(path, f"malformed CSV: {message.strip()}") from None


class _TooManyFields(Exception):
    """A record has more fields than the first one (read again wide enough)."""


def _read_csv(path: Path) -> _Raw:
    text = _csv_text(path)
    if not text.strip():
        raise TableError(path, "the file is empty (no header row)")
    try:
        return _Raw(_csv_frame(path, text), text=text)
    except _TooManyFields:
        pass
    # Some record is wider than the first (a title row above the header, or a ragged row):
    # count every record's fields (the csv module, C speed), read again that wide.
    fields = _field_counts(path, text)
    frame = _csv_frame(path, text, int(fields.max()))
    if len(frame) != len(fields):  # the two readers disagree on the records: never guess
        raise TableError(path, "malformed CSV: cannot tell where its records start and end")
    return _Raw(frame, fields=fields, text=text)


def _field_counts(path: Path, text: str) -> np.ndarray:
    """The number of fields of every record of a CSV text (the csv module, C speed). The
    module's field size limit (128 KiB) is lifted to the text's length meanwhile: a long
    free-text cell is no malformed CSV."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        return np.fromiter(map(len, csv.reader(io.StringIO(text, newline=""))), dtype=np.int64)
    except csv.Error as exc:
        raise TableError(path, f"malformed CSV: {exc}") from None
    finally:
        csv.field_size_limit(limit)


_HEADER_SEARCH = 20  # the header is searched in the first 20 non-blank rows
# At most this many columns (the widest table has 10, plus the export's extra columns): a
# row of 100 000 fields is no table, and reading it column by column would take minutes.
MAX_COLUMNS = 1000


def _sheet_holds(head: pd.DataFrame, spec: "TableSpec") -> bool:
    return _find_header(head.fillna("").astype(str), spec)[2]


def _pick_sheet(path: Path, book: pd.ExcelFile, spec: "TableSpec") -> str:
    """The sheet named like the table; else the only sheet; else the one sheet whose first
    rows hold the table's required columns (several such sheets: an error, never a guess
    that could silently drop a month); else the first sheet."""
    names = [str(n) for n in book.sheet_names]
    named = [n for n in names if _norm_header(n) == spec.name]
    if named:
        return named[0]
    if len(names) == 1:
        return names[0]
    holding = [
        n for n in names
        if _sheet_holds(pd.read_excel(book, sheet_name=n, header=None, dtype=str, nrows=200), spec)
    ]
    if len(holding) > 1:
        raise TableError(
            path,
            f"sheets {', '.join(map(repr, holding))} all hold the {spec.name} columns and none is "
            f"named {spec.name!r}; name the sheet to read {spec.name!r} (or keep one table per file)",
        )
    return holding[0] if holding else names[0]


def _infinite_cell(path: Path, sheet: str | None) -> TableError:
    """The error for a workbook holding a number cell too large for a float (pandas'
    reader fails on it with OverflowError): names the first such cell."""
    try:
        import openpyxl  # imported when a workbook is read (kernels that never read one skip it)

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for ws in [book[sheet]] if sheet is not None else book.worksheets:
                for row in ws.iter_rows():
                    for c in row:
                        if isinstance(c.value, float) and not math.isfinite(c.value):
                            return TableError(
                                path, f"cell {c.coordinate} of sheet {ws.title!r} holds an infinite "
                                      f"number (a value too large for Excel); correct or clear it",
                                row=c.row,
                            )
        finally:
            book.close()
    except Exception:  # the scan only improves the message
        pass
    return TableError(path, "cannot read the workbook: a number cell holds an infinite value")


def _sheet_data(frame: pd.DataFrame, spec: "TableSpec") -> str | None:
    """Where a sheet other than the table's holds data, else None (a notes sheet).

    Data is (a) a row among its first 20 non-blank ones naming every required column of
    the table, or (b) a row that looks like a record: at least as many filled cells as the
    table has required columns (and at least 2), one of them a date/time (an Excel date cell
    or text the loader reads as one). Titles, free-text notes and a column dictionary
    without dates are notes."""
    if frame.empty:
        return None
    frame = frame.fillna("").astype(str)
    pos, _, holds = _find_header(frame, spec)
    if holds:
        return f"the {spec.name} columns on row {pos + 1}"
    cells = {c: frame[c].str.strip() for c in frame.columns}
    counts = np.add.reduce([(v != "").to_numpy(dtype=np.int64) for v in cells.values()])
    rows = np.flatnonzero(counts >= max(2, len(spec.required_columns)))
    if not len(rows):
        return None
    dated = np.zeros(len(rows), dtype=bool)
    for v in cells.values():
        parsed, _ = _parse_timestamps(v.iloc[rows], "UTC", excel=False)
        dated |= parsed.notna().to_numpy()
    if not dated.any():
        return None
    row = int(rows[np.argmax(dated)])
    return f"row {row + 1}: {_row_text(frame.iloc[row])!r}"


def _check_other_sheets(path: Path, book: pd.ExcelFile, spec: "TableSpec", sheet: str) -> None:
    """A TableError naming the sheets other than ``sheet`` that hold data (see
    :func:`_sheet_data`): their rows would silently be left out of the table."""
    found = []
    for name in map(str, book.sheet_names):
        if name != sheet:
            where = _sheet_data(pd.read_excel(book, sheet_name=name, header=None, dtype=str,
                                              keep_default_na=False), spec)
            if where:
                found.append(f"sheet {name!r} ({where})")
    if found:
        raise TableError(
            path,
            f"the {spec.name} table is read from sheet {sheet!r}, but {'; '.join(found)} also "
            f"{'holds' if len(found) == 1 else 'hold'} data that would be left out: move those rows "
            f"into sheet {sheet!r} or delete them (other sheets may hold notes only)",
        )


_MERGE_RE = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)"'
)


def _merged_ranges(path: Path, member: str) -> list[tuple[str, int, int, int, int]]:
    """The merged ranges of a worksheet (openpyxl's read-only mode, which pandas uses, does
    not parse them): found in the sheet's XML, streamed, as (ref, min_row, min_col, max_row,
    max_col), 1-based, sorted."""
    from openpyxl.utils.cell import range_boundaries

    refs: set[str] = set()
    tail = b""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as stream:
            while True:
                chunk = stream.read(1 << 22)
                buf = tail + chunk
                refs.update(m.group(1).decode("ascii") for m in _MERGE_RE.finditer(buf))
                if not chunk:
                    break
                tail = buf[-512:]
    except (KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise TableError(path, f"cannot read the workbook: {exc}") from None
    ranges = []
    for ref in refs:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        ranges.append((ref, min_row, min_col, max_row, max_col))
    return sorted(ranges, key=lambda r: (r[1], r[2]))


def _read_xlsx(path: Path, spec: "TableSpec") -> _Raw:
    from openpyxl.utils.exceptions import InvalidFileException

    sheet = None
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            sheet = _pick_sheet(path, book, spec)
            frame = pd.read_excel(book, sheet_name=sheet, header=None, dtype=str, keep_default_na=False)
            _check_other_sheets(path, book, spec, sheet)
            member = getattr(book.book[sheet], "_worksheet_path", None)
            member = member.lstrip("/") if member else None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, EOFError) as exc:
        raise TableError(path, f"cannot read the workbook: {exc}") from None
    except OverflowError:
        raise _infinite_cell(path, sheet) from None
    if frame.shape[1] == 0:
        raise TableError(path, f"the sheet {sheet!r} is empty (no header row)")
    if member is None:  # never with the openpyxl this is pinned to: fail loudly, not silently
        raise TableError(path, "cannot read the merged cells of the workbook (unexpected openpyxl version)")
    return _Raw(frame.fillna("").astype(str), sheet=sheet, merged=_merged_ranges(path, member))


def _read_raw(path: Path, spec: "TableSpec") -> _Raw:
    """The file as a frame of strings, header row included, positions = file rows - 1."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path, spec)
    raise TableError(path, "unsupported file type: save the table as .csv, .xlsx or .parquet")


def _canonical_of(spec: "TableSpec", cell) -> str | None:
    """The spec column a header cell names (directly or by alias), else None."""
    key = _norm_header(str(cell).strip())
    target = key if key in spec.column_names else _ALIAS_LOOKUP.get(key)
    return target if target in spec.column_names else None


def _nonblank_rows(raw: pd.DataFrame, limit: int, chunk: int = 200) -> list[int]:
    """Positions of the first ``limit`` rows with a non-empty cell."""
    found: list[int] = []
    for start in range(0, len(raw), chunk):
        part = raw.iloc[start:start + chunk]
        filled = np.logical_or.reduce([(part[c].str.strip() != "").to_numpy() for c in part.columns])
        found.extend((start + np.flatnonzero(filled)).tolist())
        if len(found) >= limit:
            break
    return found[:limit]


def _find_header(raw: pd.DataFrame, spec: "TableSpec") -> tuple[int | None, list[int], bool]:
    """(header position, non-blank positions above it, whether it holds every required column).

    The header is the first of the first 20 non-blank rows that names every required
    column (rows above it are title rows); failing that, the one naming the most (the first
    non-blank row if none names any), so the errors list what is missing from it."""
    candidates = _nonblank_rows(raw, _HEADER_SEARCH)
    if not candidates:
        return None, [], False
    required = set(spec.required_columns)
    best, best_found = candidates[0], 0
    for pos in candidates:
        found = {_canonical_of(spec, cell) for cell in raw.iloc[pos]} & required
        if found == required:
            best, best_found = pos, len(found)
            break
        if len(found) > best_found:
            best, best_found = pos, len(found)
    titles = [p for p in candidates if p < best]
    return best, titles, best_found == len(required)


# --------------------------------------------------------------------------- parsing


def _parse_iso(strings: pd.Series, offset, tz: str) -> pd.Series:
    """ISO-like strings -> datetime64[ns, tz]: naive ones are in ``tz``, those with an
    offset (``offset`` mask) are converted to it; NaT where unparsable or out of range.
    Raises ValueError/TypeError if the offset mask is wrong (a naive/aware mix)."""
    offset = np.asarray(offset, dtype=bool)
    out = pd.Series(pd.NaT, index=strings.index, dtype=_ts_dtype(tz))
    if (~offset).any():
        naive = pd.to_datetime(strings[~offset], format="ISO8601", errors="coerce")
        if getattr(naive.dt, "tz", None) is not None:
            raise ValueError("offset in a value taken for naive")
        naive = naive.where((naive >= _TS_LO) & (naive < _TS_HI))
        out[~offset] = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.as_unit("ns")
    if offset.any():
        aware = pd.to_datetime(strings[offset], format="ISO8601", utc=True, errors="coerce")
        lo, hi = _TS_LO.tz_localize("UTC"), _TS_HI.tz_localize("UTC")
        aware = aware.where((aware >= lo) & (aware < hi))
        out[offset] = aware.dt.tz_convert(tz).dt.as_unit("ns")
    return out


def _parse_timestamps(s: pd.Series, tz: str, excel: bool) -> tuple[pd.Series, pd.Series]:
    """Stripped text -> (datetime64[ns, tz], bad mask). Empty text is NaT and not bad.

    1. fast path: pandas' ISO 8601 parser (which also takes 2026/10/3 and 2026-1-3 forms)
       on values of at least 8 characters (so '2026-10' is not read as Oct 1st);
    2. leftovers only (年月日 forms, 14时05分, odd spacing): normalised to ISO text with a
       vectorised regex extract, then parsed again;
    3. .xlsx only: Excel serial day numbers.
    """
    out = pd.Series(pd.NaT, index=s.index, dtype=_ts_dtype(tz))
    present = s != ""
    if not present.any():
        return out, present
    cand = s[present & (s.str.len() >= 8)]
    if len(cand):
        try:
            parsed = pd.to_datetime(cand, format="ISO8601", errors="coerce")
            if parsed.dt.tz is None:  # all naive: the contract zone
                parsed = parsed.where((parsed >= _TS_LO) & (parsed < _TS_HI))
                parsed = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
            else:  # all with the same offset
                lo, hi = _TS_LO.tz_localize("UTC"), _TS_HI.tz_localize("UTC")
                parsed = parsed.where((parsed >= lo) & (parsed < hi)).dt.tz_convert(tz)
            out[cand.index] = parsed.dt.as_unit("ns")
        except (ValueError, TypeError):  # naive and offset values mixed: split them
            offset = (
                cand.str.endswith("Z") | cand.str.contains("+", regex=False)
                | (cand.str.find("-", 10) >= 0)
            )
            try:
                out[cand.index] = _parse_iso(cand, offset, tz)
            except (ValueError, TypeError):
                pass  # an unusual mix: everything goes through the exact path below
    rest = present & out.isna()
    if rest.any():
        parts = s[rest].str.extract(_GENERAL_TS_RE)
        p = parts[parts["y"].notna()]
        if len(p):
            iso_text = (
                p["y"] + "-" + p["mo"].str.zfill(2) + "-" + p["d"].str.zfill(2)
                + " " + p["H"].fillna("0").str.zfill(2) + ":" + p["M"].fillna("0").str.zfill(2)
                + ":" + p["S"].fillna("0").str.zfill(2) + p["f"].fillna("") + p["tz"].fillna("")
            )
            out[iso_text.index] = _parse_iso(iso_text, p["tz"].notna(), tz)
    if excel:
        rest = present & out.isna()
        serial = rest & s.str.fullmatch(_SERIAL_RE)
        if serial.any():
            days = pd.to_numeric(s[serial], errors="coerce")
            days = days.where((days >= 1) & (days <= _SERIAL_MAX))
            # counted from 2000-01-01 (serial 36526): the whole serial range fits a
            # nanosecond timedelta (from 1899-12-30 it would overflow after 2192)
            naive = (pd.Timestamp("2000-01-01") + pd.to_timedelta(days - 36526, unit="D")).dt.round("s")
            out[serial] = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.as_unit("ns")
    return out, present & out.isna()


def _by_distinct(s: pd.Series, fn) -> tuple[np.ndarray, list]:
    """Apply ``fn`` to the distinct values only (codes, mapped distinct values)."""
    codes, uniques = pd.factorize(s.to_numpy(dtype=object))
    return codes, [fn(u) for u in uniques]


def _channel_of(text: str):
    return CHANNEL_ALIASES.get(re.sub(r"\s+", "", text.lower()))


def _score_of(text: str):
    return int(float(text)) if re.fullmatch(_SCORE_RE, text) else None


def _parse_column(kind: str, s: pd.Series, tz: str, excel: bool):
    """Stripped text -> (typed series, bad mask or None, reason(column, raw) for bad rows)."""
    empty = s == ""
    if kind in (ID, TEXT):
        return s.astype(_STRING).mask(empty), None, None
    if kind == TS:
        typed, bad = _parse_timestamps(s, tz, excel)
        return typed, bad, lambda c, v: f"{c} {v!r} is not a date/time (e.g. 2026-10-03 14:05)"
    if kind == CHANNEL:
        codes, mapped = _by_distinct(s, _channel_of)
        cat = np.array([-1 if m is None else CHANNELS.index(m) for m in mapped] + [-1], dtype=np.int8)
        typed = pd.Series(pd.Categorical.from_codes(cat[codes], dtype=_CHANNEL_DTYPE), index=s.index)
        bad = ~empty & typed.isna()
        return typed, bad, lambda c, v: f"{c} {v!r} is not a known channel (phone/email/chat, 电话/邮件/在线)"
    if kind == BOOL:
        codes, mapped = _by_distinct(s, lambda u: BOOL_VALUES.get(u.lower()))
        values = np.array([bool(m) for m in mapped] + [False], dtype=bool)[codes]
        unknown = np.array([m is None for m in mapped] + [True], dtype=bool)[codes]
        typed = pd.Series(pd.arrays.BooleanArray(values, unknown), index=s.index)
        bad = ~empty & typed.isna()
        return typed, bad, lambda c, v: f"{c} {v!r} is not a yes/no value (true/false, 1/0, yes/no, 是/否)"
    if kind == SCORE:
        codes, mapped = _by_distinct(s, _score_of)
        values = np.array([m or 0 for m in mapped] + [0], dtype=np.int64)[codes]
        unknown = np.array([m is None for m in mapped] + [True], dtype=bool)[codes]
        typed = pd.Series(pd.arrays.IntegerArray(values, unknown), index=s.index)
        bad = ~empty & typed.isna()
        return typed, bad, lambda c, v: f"{c} {v!r} is not an integer score 1..5"
    if kind == MONEY:
        clean = s.str.replace(_MONEY_DECORATION_RE, "", regex=True, flags=re.IGNORECASE)
        number = ~empty & clean.str.fullmatch(_MONEY_RE)
        whole_fen = clean.str.fullmatch(_MONEY_FEN_RE)
        ok = number & whole_fen
        values = [
            Decimal(t.replace(",", "")).quantize(_CENT) if good else None
            for t, good in zip(clean.tolist(), ok.tolist())
        ]
        typed = pd.Series(values, index=s.index, dtype=object)
        bad = ~empty & ~ok

        def reason(c, v):
            text = re.sub(_MONEY_DECORATION_RE, "", v, flags=re.IGNORECASE)
            if re.fullmatch(_MONEY_RE, text):
                return f"{c} {v!r} has fractions of a fen (more than 2 decimal places); money is never rounded"
            return f"{c} {v!r} is not an amount of money (e.g. 1234.50)"

        return typed, bad, reason
    if kind == MONTH:
        parts = s.str.extract(_MONTH_RE)
        month_ok = parts["y"].notna()
        typed = pd.Series(pd.NA, index=s.index, dtype=_STRING)
        if month_ok.any():
            p = parts[month_ok]
            typed[month_ok] = (p["y"] + "-" + p["m"].str.zfill(2)).astype(_STRING)
        rest = ~empty & ~month_ok
        if rest.any():
            ts, _ = _parse_timestamps(s[rest], tz, excel)
            usable = ts.notna() if excel else ts.notna() & (ts.dt.day == 1)
            if usable.any():
                typed[usable[usable].index] = ts[usable].dt.strftime("%Y-%m").astype(_STRING)
        bad = ~empty & typed.isna()
        return typed, bad, lambda c, v: f"{c} {v!r} is not a month (e.g. 2026-10)"
    raise AssertionError(kind)


# ------------------------------------------------------------------------ validation


def _schema_errors():
    from pandera.errors import SchemaErrors

    return SchemaErrors


def _free_text(col: ColumnSpec) -> bool:
    """A column no row can fail on (optional-valued text): reading it can be skipped."""
    return col.kind in (ID, TEXT) and col.nullable


@lru_cache(maxsize=64)
def _schema(table: str, tz: str):
    """The pandera schema of a typed table (pandera is imported on the first load: a report
    kernel that takes its tables from the inputs cache never pays for it)."""
    import pandera.pandas as pa

    spec = TABLES[table]
    columns = {}
    for col in spec.columns:
        checks = []
        if col.kind == CHANNEL:
            checks.append(pa.Check.isin(list(CHANNELS)))
        elif col.kind == SCORE:
            checks.append(pa.Check.in_range(1, 5))
        elif col.kind == MONEY:
            checks.append(
                pa.Check(lambda s: s.where(s.notna(), Decimal(0)) >= Decimal(0), name="non_negative")
            )
        elif col.kind == MONTH:
            checks.append(pa.Check.str_matches(r"^\d{4}-(?:0[1-9]|1[0-2])$"))
        # id uniqueness is checked by _duplicated_ids (one pass over sorted ids, not a hash);
        # a free-text column may be left unread (load_table's columns=)
        columns[col.name] = pa.Column(_dtype_for(col.kind, tz), checks, nullable=col.nullable,
                                      required=not _free_text(col))
    columns[RESERVED] = pa.Column(np.int64)  # positions in the file: unique by construction
    checks = [
        pa.Check(
            lambda df, c=c, b=b: df[c].isna() | df[b].isna() | (df[c] >= df[b]),
            name=f"{c}_not_before_{b}",
        )
        for c, b in spec.not_before
    ]
    return pa.DataFrameSchema(columns, checks=checks, strict=False, coerce=False)


# ------------------------------------------------------------------------- the loader


def _map_columns(path: Path, spec: TableSpec, header: list[str]) -> list[str]:
    """Header cells -> final column names (canonical where recognised)."""
    canonical = set(spec.column_names)
    names: list[str] = []
    origin: dict[str, str] = {}
    errors = []
    for i, cell in enumerate(header):
        raw = str(cell).strip()
        key = _norm_header(raw)
        target = key if key in canonical else _ALIAS_LOOKUP.get(key)
        if target in canonical:
            if target in origin:
                errors.append(TableError(
                    path, f"columns {origin[target]!r} and {raw!r} both give {target}; keep only one",
                    column=target,
                ))
                target = None
            else:
                origin[target] = raw
                names.append(target)
                continue
        name = raw or f"unnamed_{i + 1}"
        base, k = name, 1
        while name in names or name == RESERVED or name in canonical:
            name = f"{base}.{k}"
            k += 1
        names.append(name)
    if errors:
        _raise(errors)
    return names


def _raise(errors: list[TableError]):
    if len(errors) == 1:
        raise errors[0]
    raise TableErrors(errors)


def load_table(path, table: str, tz="Asia/Shanghai", month: str | None = None,
               columns: Iterable[str] | None = None) -> tuple[pd.DataFrame, TableAccount]:
    """Read one table file (.csv, .xlsx or .parquet) and return its canonical frame and its account.

    Raises TableError / TableErrors for whole-file problems, for any bad row of a money
    table and for conflicting duplicate ids; bad rows of event tables are set aside.

    Parquet only: ``month`` ('YYYY-MM') keeps the rows whose month column
    (``TableSpec.month_column``) falls in that month in the contract zone, plus the rows where
    it is empty (set aside, so each month's account shows them), reading only the row
    groups that can hold them; the account then counts those rows, and duplicates are
    found within them. ``columns`` names the extra columns (personal data …) and the free-text
    spec columns (``product``, an optional ``customer_id`` …) to read; the others are left on
    disk and absent from the frame (so code that needs them fails loudly). The columns
    that decide whether a row is valid are always read. ``None``: every column.
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    spec = TABLES[table]
    zone = _zone_name(tz)
    path = Path(path)
    if not path.is_file():
        raise TableError(path, f"file not found (the {table} table)")
    if path.suffix.lower() == ".parquet":
        return _load_parquet(path, table, spec, zone, month, columns)
    if month is not None or columns is not None:
        raise ValueError("month= and columns= need a Parquet file; CSV and .xlsx are read whole")
    excel = path.suffix.lower() == ".xlsx"
    source = _read_raw(path, spec)
    raw = source.frame
    if raw.shape[1] > MAX_COLUMNS:
        widest = None if excel else 1 if source.fields is None else int(np.argmax(source.fields)) + 1
        where = f"sheet {source.sheet!r}" if excel else "the row"
        raise TableError(
            path, f"{where} has {raw.shape[1]} columns; a table may have at most {MAX_COLUMNS} "
                  f"(the widest has 10, plus extra columns): is this a table export?",
            row=widest,
        )
    in_sheet = "" if source.sheet is None else f" in sheet {source.sheet!r}"

    # the header: the first of the first 20 non-blank rows that names every required
    # column; non-blank rows above it are title rows. Rows are numbered as in the file.
    header_pos, title_positions, _ = _find_header(raw, spec)
    if header_pos is None:
        raise TableError(path, f"the {'sheet' if excel else 'file'} is empty (no header row)")
    header_row = header_pos + 1

    # CSV records wider than the header: ragged rows (an unquoted comma in a value?)
    ragged = np.zeros(len(raw) - header_row, dtype=bool)
    ragged_text: dict[int, str] = {}
    if source.fields is not None:
        width = int(source.fields[header_pos])
        if raw.shape[1] > width:
            over = raw.iloc[header_row:, width:]
            ragged = np.logical_or.reduce([(over[c].str.strip() != "").to_numpy() for c in over.columns])
            fields = source.fields[header_row:]
            for pos in np.flatnonzero(ragged):
                ragged_text[int(pos)] = (
                    f"the row has {int(fields[pos])} fields but the header (row {header_row}) has "
                    f"{width}: a value with an unquoted comma? (extra: {_row_text(over.iloc[pos])!r})"
                )
            raw = raw.iloc[:, :width]

    header_cells = [str(v).strip() for v in raw.iloc[header_pos]]
    body = raw.iloc[header_row:]
    # columns with no name and no data are dropped (trailing separators in Excel exports)
    keep = [
        i for i, name in zip(raw.columns, header_cells)
        if name != "" or (body[i].str.strip() != "").any()
    ]
    header = [header_cells[k] for k in keep]
    names = _map_columns(path, spec, header)
    found = [h for h in header if h]
    missing = [c for c in spec.required_columns if c not in names]
    if missing:
        where = in_sheet + ("" if header_pos == 0 else f" (header row {header_row})")
        unknown = [h for h in found if _canonical_of(spec, h) is None]

        def hint(column: str) -> str:
            close = difflib.get_close_matches(column, unknown, n=1, cutoff=0.8)
            return f"; is {close[0]!r} a misspelling of it?" if close else ""

        _raise([
            TableError(
                path,
                f"required column {c!r} is missing{where}; columns found: "
                f"{', '.join(found) or '(none)'}{hint(c)}",
                column=c,
            )
            for c in missing
        ])
    order = {c: k for k, c in enumerate(spec.column_names)}
    canonical = {name: col for name, col in zip(names, keep) if name in order}
    extras = {name: col for name, col in zip(names, keep) if name not in order}

    # rows whose cells are all empty carry no record: skipped, not counted
    texts: dict[str, pd.Series] = {name: body[col].str.strip() for name, col in canonical.items()}
    blank = np.logical_and.reduce([(v == "").to_numpy() for v in texts.values()])
    if blank.any() and extras:
        cand = np.flatnonzero(blank)
        for col in extras.values():
            blank[cand] &= (body[col].iloc[cand].str.strip() == "").to_numpy()
    blank &= ~ragged
    # a row that repeats the header (two exports joined together) is no record: set aside
    repeated = np.logical_and.reduce([
        (v == header_cells[canonical[name]]).to_numpy() for name, v in texts.items()
    ]) & ~ragged
    name_of = dict(zip(keep, names))  # file column -> final column name

    def first_named(start: int, stop: int | None = None) -> str | None:
        """The name of the first kept column in file columns [start, stop)."""
        return next((name_of[c] for c in keep if c >= start and (stop is None or c < stop)), None)

    # CSV records with fewer fields than the header: cut short (the last row of a file that
    # ends inside it: an interrupted export or copy), or a line break inside a value. Only
    # a record whose last named cell is empty can be one: the csv module counts fields then.
    short = np.zeros(len(body), dtype=bool)
    short_text: dict[int, tuple[str | None, str]] = {}
    if source.text is not None and len(body):
        width = max(c for c, h in zip(raw.columns, header_cells) if h != "") + 1
        if (body[raw.columns[width - 1]] == "").any():
            fields = source.fields if source.fields is not None else _field_counts(path, source.text)
            if len(fields) == len(raw):
                fields = fields[header_row:]
                short = (fields < width) & ~blank & ~ragged & ~repeated
                cut_off = not source.text.endswith(("\n", "\r"))
                for pos in np.flatnonzero(short):
                    got = int(fields[pos])
                    if cut_off and pos == len(body) - 1:
                        reason = (f"the last row is cut off: {got} of {width} fields (the file ends "
                                  f"inside the row: an interrupted export or copy?)")
                    else:
                        reason = (f"the row has {got} of the header's {width} fields (row {header_row}): "
                                  f"a line break inside a value, or a row cut short?")
                    short_text[int(pos)] = (first_named(got), reason)
    # workbook cells merged across data rows: Excel keeps the value in the first cell only,
    # the others read as empty; every non-blank row a merge touches is a row problem
    merged = np.zeros(len(body), dtype=bool)
    merged_text: dict[int, tuple[str | None, str]] = {}
    for ref, min_row, min_col, max_row, max_col in source.merged:
        if max_row <= header_row:
            continue  # a merged title or header cell
        rows = np.arange(max(min_row, header_row + 1), max_row + 1) - header_row - 1
        rows = rows[(rows < len(body))]
        rows = rows[~blank[rows] & ~ragged[rows] & ~repeated[rows]]
        merged[rows] = True
        first = first_named(min_col - 1, max_col)  # one reason per merged range, given to each row it touches
        more = (f"cells {ref} are merged (a merged cell keeps its value in its first cell only; "
                f"the others read as empty): unmerge them and fill every cell")
        for pos in rows.tolist():
            column, reason = merged_text.get(pos, (first, ""))
            merged_text[pos] = (column, f"{reason}; {more}" if reason else more)
    ids = texts.get(spec.id_column)

    def id_at(pos: int) -> str | None:
        return None if ids is None or ids.iat[pos] == "" else ids.iat[pos]

    structural: list[tuple[int, str | None, str | None, str]] = []  # (row, record id, column, reason)
    for pos in np.flatnonzero(ragged | repeated | short | merged):
        pos = int(pos)
        if pos in ragged_text:
            structural.append((header_row + pos + 1, id_at(pos), None, ragged_text[pos]))
        elif repeated[pos]:
            structural.append((header_row + pos + 1, None, None,
                               f"the row repeats the header (row {header_row}): two files joined together?"))
        else:
            column, reason = short_text.get(pos) or merged_text[pos]
            structural.append((header_row + pos + 1, id_at(pos), column, reason))

    # non-blank rows above the header: title rows (skipped, listed), or records above the
    # header (they fill two or more of the header's required columns, one of them a required
    # date/time column holding a date/time): set aside / rejected, never silently skipped
    skipped: list[SkippedRow] = []
    if title_positions:
        above = raw.iloc[title_positions]
        required = [n for n in spec.required_columns if n in canonical]
        filled = np.add.reduce([(above[canonical[n]].str.strip() != "").to_numpy(dtype=np.int64) for n in required])
        dated = np.zeros(len(title_positions), dtype=bool)
        for n in required:
            if spec.column(n).kind == TS:
                when, _ = _parse_timestamps(above[canonical[n]].str.strip(), zone, excel)
                dated |= when.notna().to_numpy()
        records_above = (filled >= 2) & dated
        for k, p in enumerate(title_positions):
            if records_above[k]:
                record_id = above[canonical[spec.id_column]].iat[k].strip() or None
                structural.append((p + 1, record_id, None,
                                   f"a record above the header (row {header_row}): rows above the header "
                                   f"are not read as records; move it below the header"))
            else:
                skipped.append(SkippedRow(table, p + 1, f"title row above the header (row {header_row}): "
                                                        f"{_row_text(raw.iloc[p])!r}"))
        structural.sort(key=lambda r: r[0])
    data_rows = ~blank & ~ragged & ~repeated & ~short & ~merged
    rows = None if data_rows.all() else np.flatnonzero(data_rows)
    n = len(body) if rows is None else len(rows)
    index = pd.RangeIndex(n)
    positions = np.arange(header_row, len(raw), dtype=np.int64)
    source_row = pd.Series(
        (positions if rows is None else positions[rows]) + 1, index=index, name=RESERVED
    )

    def rows_of(series: pd.Series) -> pd.Series:
        values = series.to_numpy() if rows is None else series.to_numpy()[rows]
        return pd.Series(values, index=index, dtype=str)

    texts = {name: rows_of(s) for name, s in texts.items()}

    # ---- typing (vectorised per column)
    typed: dict[str, pd.Series] = {}
    problems: list[tuple[int, int, str, str]] = []  # (position, column order, column, reason)
    for col in spec.columns:
        if col.name not in texts:
            typed[col.name] = pd.Series(
                pd.NaT if col.kind == TS else pd.NA, index=index, dtype=_dtype_for(col.kind, zone)
            )
            continue
        s = texts[col.name]
        values, bad, reason = _parse_column(col.kind, s, zone, excel)
        typed[col.name] = values
        if bad is not None and bad.any():
            for pos in np.flatnonzero(bad.to_numpy()):
                problems.append((int(pos), order[col.name], col.name, reason(col.name, s.iat[pos])))
    typed[RESERVED] = source_row
    for name, col in extras.items():
        typed[name] = rows_of(body[col]).astype(_STRING)
    frame = pd.DataFrame(typed, index=index)
    extras = list(extras)

    return _validated(path, table, spec, zone, frame, texts, problems, structural, skipped, n, extras)


def _duplicated_ids(ids: pd.Series) -> np.ndarray:
    """Positions of the ids that occur more than once (every copy; empty ids aside). When
    the ids are strictly increasing (exports sorted by id, or by time with time-ordered ids)
    one comparison of neighbours proves them unique: a hash of 10 M distinct ids costs
    seconds, the comparison a few hundredths."""
    if len(ids) < 2:
        return np.zeros(0, dtype=np.int64)
    values = pa_lib.array(ids.astype(_STRING).array)  # Arrow-backed strings: no copy
    if values.null_count == 0 and pa_compute.all(pa_compute.less(values[:-1], values[1:])).as_py():
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero((ids.duplicated(keep=False) & ids.notna()).to_numpy(dtype=bool))


def _validated(path: Path, table: str, spec: TableSpec, zone: str, frame: pd.DataFrame, texts: dict,
               problems: list, structural: list, skipped: list, n: int, extras: list[str]) -> tuple[pd.DataFrame, TableAccount]:
    """The typed frame checked with pandera, duplicates resolved, bad rows set aside (event
    tables) or raised (money tables): the part of the load every file format shares.
    ``problems`` holds the parse failures as (position, column order, column, reason);
    ``texts`` the cells as read (canonical columns) for messages and identical-copy checks."""
    order = {c: k for k, c in enumerate(spec.column_names)}
    source_row = frame[RESERVED]
    # ---- pandera validation of the typed frame
    parse_failed = {(p[0], p[2]) for p in problems}
    failures = None
    try:
        _schema(table, zone).validate(frame, lazy=True, inplace=True)
    except _schema_errors() as exc:
        failures = exc.failure_cases
    dup_positions: set[int] = set()
    if failures is not None and len(failures):
        if failures["index"].isna().any():  # a dtype or column-level failure: our bug
            raise RuntimeError(f"internal error validating {table}:\n{failures.to_string()}")
        checks_after = {f"{c}_not_before_{b}": (c, b) for c, b in spec.not_before}
        kinds = {c.name: c.kind for c in spec.columns}
        seen = set()
        for case in failures.itertuples(index=False):
            pos, column, check = int(case.index), case.column, case.check
            if check in checks_after:
                column, base = checks_after[check]
                if (pos, column) in seen:
                    continue
                seen.add((pos, column))
                reason = (f"{column} {_fmt(frame[column].iat[pos])} is before "
                          f"{base} {_fmt(frame[base].iat[pos])}")
            elif (pos, column) in parse_failed:
                continue  # already reported as unparsable
            elif check == "not_nullable":
                reason = f"{column} is empty"
            elif check == "non_negative":
                reason = f"{column} {texts[column].iat[pos]} is negative"  # as written
            elif kinds.get(column) == SCORE:
                reason = f"{column} {_fmt(case.failure_case)} is not a score 1..5"
            elif kinds.get(column) == MONTH:
                reason = f"{column} {_fmt(case.failure_case)!r} is not a month (e.g. 2026-10)"
            else:
                reason = f"{column} {_fmt(case.failure_case)!r} fails check {check}"
            problems.append((pos, order.get(column, len(order)), column, reason))

    # ---- duplicated ids: identical copy vs conflicting contents
    dup_positions.update(int(p) for p in _duplicated_ids(frame[spec.id_column]))
    errors: list[TableError] = []
    if dup_positions:
        idcol = spec.id_column
        pos_arr = np.array(sorted(dup_positions))
        ids = frame[idcol].iloc[pos_arr]
        first_pos = pd.Series(pos_arr, index=pos_arr).groupby(ids.to_numpy()).transform("first").to_numpy()
        later = pos_arr != first_pos
        # identical = same text in every column (canonical columns stripped, extras as-is)
        compared = list(texts.values()) + [frame[c] for c in extras]
        later_pos, first_of_later = pos_arr[later], first_pos[later]
        # as objects first: a Parquet table's typed columns (Int64 scores...) take no "" filler
        a = np.column_stack([c.iloc[later_pos].astype(object).fillna("").to_numpy(dtype=object) for c in compared])
        b = np.column_stack([c.iloc[first_of_later].astype(object).fillna("").to_numpy(dtype=object) for c in compared])
        identical = (a == b).all(axis=1) if len(a) else np.array([], dtype=bool)
        for pos, first, same in zip(pos_arr[later], first_pos[later], identical):
            row, first_row = int(source_row.iat[pos]), int(source_row.iat[first])
            value = frame[idcol].iat[pos]
            if spec.kind == "money":
                what = "an identical copy" if same else "different contents"
                errors.append(TableError(
                    path, f"{idcol} {value!r} is duplicated: row {row} repeats row {first_row} "
                          f"({what}); remove the extra row", row=row, column=idcol))
            elif same:
                problems.append((int(pos), -1, idcol, f"duplicate of row {first_row}"))
            else:
                errors.append(TableError(
                    path, f"{idcol} {value!r} appears in rows {first_row} and {row} with different "
                          f"contents; cannot tell which is right (fix or remove one)",
                    row=row, column=idcol))

    # ---- outcome
    problems.sort(key=lambda p: (p[0], p[1]))
    if spec.kind == "money":
        errors.extend(
            TableError(path, reason, row=int(source_row.iat[pos]), column=column)
            for pos, _, column, reason in problems
        )
        errors.extend(TableError(path, reason, row=row, column=column) for row, _, column, reason in structural)
        errors.sort(key=lambda e: (e.row or 0, order.get(e.column, -1)))
        problems = []
    if errors:
        _raise(errors)

    set_aside: list[SetAside] = []
    bad_positions: list[int] = []
    idcol = spec.id_column
    k = 0
    while k < len(problems):
        pos = problems[k][0]
        group = []
        while k < len(problems) and problems[k][0] == pos:
            group.append(problems[k])
            k += 1
        record_id = frame[idcol].iat[pos]
        set_aside.append(SetAside(
            table=table,
            row=int(source_row.iat[pos]),
            record_id=None if pd.isna(record_id) else str(record_id),
            column=group[0][2],
            reason="; ".join(p[3] for p in group),
        ))
        bad_positions.append(pos)

    if bad_positions:
        keep_mask = np.ones(n, dtype=bool)
        keep_mask[bad_positions] = False
        frame = frame.iloc[keep_mask].reset_index(drop=True)
    for col in spec.columns:
        if col.kind == BOOL:
            frame[col.name] = frame[col.name].astype(bool)
    if structural:
        set_aside.extend(SetAside(table, row, rid, column, reason) for row, rid, column, reason in structural)
        set_aside.sort(key=lambda a: a.row)
    account = TableAccount(
        table=table, file=str(path), rows_read=n + len(structural), rows_used=len(frame),
        set_aside=set_aside, skipped_rows=skipped,
    )
    assert account.rows_read == account.rows_used + len(account.set_aside)
    return frame, account


# ------------------------------------------------------------------------------ Parquet
# A Parquet file carries types, so columns already typed right are converted in Arrow (no
# text round trip: this is the path for tens of millions of rows); any other column is cast
# to text and parsed exactly like a CSV cell. Rows are numbered 1, 2, ... in file order
# (there is no header row). ``month`` reads only the row groups whose statistics can hold
# that month: the bounded-memory way through a year of a large call centre.


def _parquet_file(path: Path):
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa_lib.ArrowInvalid, OSError) as exc:
        raise TableError(path, f"not a readable Parquet file ({exc})") from None


def _row_groups_for(pf, column: str, lo, hi, zone: str) -> list[int]:
    """Row groups whose min/max of ``column`` may fall in [lo, hi) local time, or that hold
    empty values of it (those rows belong to no month: every month's read reports them)."""
    meta = pf.metadata
    j = pf.schema_arrow.get_field_index(column)
    field_type = pf.schema_arrow.field(j).type
    if not pa_lib.types.is_timestamp(field_type):  # text dates: no usable statistics
        return list(range(meta.num_row_groups))
    aware = field_type.tz is not None
    # one day of slack each side: statistics of a column in another zone than the contract's
    lo_b, hi_b = lo - pd.Timedelta(days=1), hi + pd.Timedelta(days=1)
    keep = []
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(j).statistics
        if stats is None or not stats.has_min_max or stats.null_count:
            keep.append(g)
            continue
        lo_v, hi_v = pd.Timestamp(stats.min), pd.Timestamp(stats.max)
        if aware:
            lo_v, hi_v = lo_v.tz_convert(zone).tz_localize(None), hi_v.tz_convert(zone).tz_localize(None)
        if hi_v >= lo_b and lo_v < hi_b:
            keep.append(g)
    return keep


_NAT_I8 = np.iinfo(np.int64).min
_TS_LO_I8, _TS_HI_I8 = _TS_LO.value, _TS_HI.value


def _arrow_timestamps(col, zone: str) -> tuple[pd.Series, np.ndarray]:
    """An Arrow timestamp/date column -> (datetime64[ns, zone] Series, bad mask): naive
    values are wall-clock times in the contract zone, aware ones are converted; values
    outside 1900..2199, or not existing in the zone (a DST gap, as in the CSV path), are
    bad. Integer arithmetic on the ns values: this runs on every timestamp of a month."""
    if pa_lib.types.is_date(col.type):
        col = col.cast(pa_lib.timestamp("s"))
    aware = col.type.tz is not None
    if aware:
        col = col.cast(pa_lib.timestamp(col.type.unit))  # the UTC instants, naive
    ns = np.ascontiguousarray(col.to_numpy()).astype("M8[ns]").view("i8")  # a fresh array: ours to edit
    nat = ns == _NAT_I8
    out_of_range = ~nat & ((ns < _TS_LO_I8) | (ns >= _TS_HI_I8))
    if out_of_range.any():
        ns[out_of_range] = _NAT_I8
    valid = ~nat & ~out_of_range
    if aware:
        return pd.Series(ns.view("M8[ns]"), dtype="datetime64[ns, UTC]").dt.tz_convert(zone), out_of_range
    offset = constant_utc_offset(int(ns.min(where=valid, initial=_TS_HI_I8)), int(ns.max(where=valid, initial=_TS_LO_I8)), zone) \
        if valid.any() else 0
    if offset is None:
        series = pd.Series(ns.view("M8[ns]")).dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        return series, out_of_range | (series.isna().to_numpy() & valid)
    np.subtract(ns, offset, out=ns, where=valid)
    return pd.Series(ns.view("M8[ns]"), dtype="datetime64[ns, UTC]").dt.tz_convert(zone), out_of_range


# Bytes that can begin (lead) or end (tail) a whitespace character in UTF-8: ASCII
# whitespace, and the lead bytes of U+0085/U+00A0 (C2), U+1680 (E1), U+2000.. (E2) and
# U+3000, the ideographic space of Chinese exports (E3); any byte >= 0x80 can end one.
_WS_LEAD = np.zeros(256, dtype=bool)
_WS_LEAD[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0xC2, 0xE1, 0xE2, 0xE3]] = True
_WS_TAIL = np.zeros(256, dtype=bool)
_WS_TAIL[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = True
_WS_TAIL[0x80:] = True


def _may_need_trim(chunk) -> bool:
    """False when no value of a (large_)string chunk can start or end with whitespace nor is
    empty: looks at one byte at each end of every value (trimming 10 M ids costs ~1 s)."""
    _, offsets_buf, data_buf = chunk.buffers()
    if data_buf is None or len(chunk) == 0:
        return len(chunk) > 0
    width = np.int64 if pa_lib.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=width)[chunk.offset: chunk.offset + len(chunk) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    if (ends <= starts).any():  # an empty value (or a null's empty slot): the slow path decides
        return True
    return bool(_WS_LEAD[data[starts]].any() or _WS_TAIL[data[ends - 1]].any())


def _arrow_text(col):
    """String-like Arrow column -> stripped ``string`` Series with empty -> <NA>."""
    if pa_lib.types.is_dictionary(col.type):
        col = col.cast(pa_lib.string())
    if not (pa_lib.types.is_string(col.type) or pa_lib.types.is_large_string(col.type)):
        col = col.cast(pa_lib.string())
    if any(_may_need_trim(chunk) for chunk in col.chunks):
        col = pa_compute.utf8_trim_whitespace(col)
        col = pa_compute.if_else(pa_compute.equal(col, ""), pa_lib.scalar(None, col.type), col)
    return pd.Series(pd.array(col, dtype=_STRING))


def _arrow_as_cells(col) -> pd.Series:
    """Any Arrow column as the stripped text of its cells ('' for empty), for the text parsers.
    Arrow writes floats shortest-round-trip (300.0 -> '300', 12.345 -> '12.345'); NaN is empty."""
    if pa_lib.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if pa_lib.types.is_floating(col.type):
        col = pa_compute.if_else(pa_compute.is_nan(col), pa_lib.scalar(None, col.type), col)
    text = pa_compute.utf8_trim_whitespace(col.cast(pa_lib.string()))
    return pd.Series(text.fill_null("").to_numpy(zero_copy_only=False), dtype=str)


def _arrow_column(kind: str, col, zone: str):
    """One Arrow column -> (typed Series, bad mask or None, reason) like :func:`_parse_column`."""
    t = col.type
    if kind in (ID, TEXT) and not pa_lib.types.is_floating(t):
        return _arrow_text(col), None, None
    if kind == TS and (pa_lib.types.is_timestamp(t) or pa_lib.types.is_date(t)):
        typed, bad = _arrow_timestamps(col, zone)
        return typed, pd.Series(bad), lambda c, v: f"{c} {v} is outside 1900..2199 or does not exist in {zone}"
    if kind == BOOL and pa_lib.types.is_boolean(t):
        return pd.Series(col.to_pandas(types_mapper={pa_lib.bool_(): pd.BooleanDtype()}.get)), None, None
    if kind == SCORE and pa_lib.types.is_integer(t):
        return pd.Series(pa_compute.cast(col, pa_lib.int64()).to_pandas(types_mapper={pa_lib.int64(): pd.Int64Dtype()}.get)), None, None
    if kind == CHANNEL and (pa_lib.types.is_dictionary(t) or pa_lib.types.is_string(t) or pa_lib.types.is_large_string(t)):
        encoded = col.dictionary_encode() if not pa_lib.types.is_dictionary(t) else col
        encoded = encoded.combine_chunks() if hasattr(encoded, "combine_chunks") else encoded
        words = [str(w).strip() for w in encoded.dictionary.to_pylist()]
        mapped = np.array([-1 if (m := _channel_of(w)) is None else CHANNELS.index(m) for w in words] + [-1], dtype=np.int8)
        idx = encoded.indices.fill_null(len(words)).to_numpy(zero_copy_only=False)
        typed = pd.Series(pd.Categorical.from_codes(mapped[idx], dtype=_CHANNEL_DTYPE))
        blank = np.array([w == "" for w in words] + [True], dtype=bool)[idx]
        bad = pd.Series((mapped[idx] < 0) & ~blank)
        reason = lambda c, v: f"{c} {v!r} is not a known channel (phone/email/chat, 电话/邮件/在线)"  # noqa: E731
        return typed, bad, reason
    return _parse_column(kind, _arrow_as_cells(col), zone, excel=False)


_KIND_WORDS = {
    ID: "an id", TEXT: "text", TS: "a date/time", CHANNEL: "a channel", BOOL: "a yes/no value",
    SCORE: "a score", MONEY: "an amount of money", MONTH: "a month", None: "text",
}
_KIND_HINT = {
    ID: "text (string) or integers", TEXT: "text (string)", TS: "a timestamp, a date or text",
    CHANNEL: "text (string)", BOOL: "booleans or text", SCORE: "integers or text",
    MONEY: "decimals or text", MONTH: "text such as 2026-10 (or a date)", None: "text (string)",
}


def _arrow_type_ok(kind: str | None, t) -> bool:
    """Whether an Arrow column of type ``t`` can be read as a column of ``kind`` (None: an
    extra column, carried as text). Nested types (struct, list, map, union), bytes (binary),
    durations, times of day, half floats and extension types never can; a timestamp column
    must hold timestamps, dates or text (a duration or a number is no point in time)."""
    T = pa_lib.types
    if T.is_dictionary(t):
        t = t.value_type
    text = T.is_string(t) or T.is_large_string(t) or T.is_null(t) or (
        hasattr(T, "is_string_view") and T.is_string_view(t))
    number = T.is_integer(t) or T.is_decimal(t) or (T.is_floating(t) and not t.bit_width == 16)
    when = T.is_timestamp(t) or T.is_date(t)
    if kind == TS or kind == MONTH:
        return text or when
    if kind == CHANNEL:
        return text
    if kind == BOOL:
        return text or T.is_boolean(t) or T.is_integer(t)
    if kind in (SCORE, MONEY):
        return text or number
    return text or number or when or T.is_boolean(t)  # ids, free text, extra columns


def _arrow_type_errors(path: Path, spec: TableSpec, schema, file_of: dict, columns: list[str]) -> list[TableError]:
    """A TableError for each column whose Arrow type cannot be read (names file, column, type)."""
    errors = []
    for name in columns:
        t = schema.field(file_of[name]).type
        kind = spec.column(name).kind if name in spec.column_names else None
        if not _arrow_type_ok(kind, t):
            shown = "" if file_of[name] == name else f" {file_of[name]!r}"
            errors.append(TableError(
                path, f"the column{shown} has the Parquet type {t}, which cannot be read as "
                      f"{_KIND_WORDS[kind]}; write it as {_KIND_HINT[kind]}"
                      + ("" if kind is not None else ", or leave the column out"),
                column=name,
            ))
    return errors


def _rows_kept(table, keep: np.ndarray):
    """The rows of an Arrow table where ``keep``: zero-copy slices when the kept rows form
    a few runs (a month in a file sorted by time), else a filtered copy."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], keep, [False])).astype(np.int8)))
    starts, stops = edges[0::2], edges[1::2]
    if len(starts) > 1000:
        return table.filter(pa_lib.array(keep))
    if len(starts) == 0:
        return table.slice(0, 0)
    return pa_lib.concat_tables([table.slice(a, b - a) for a, b in zip(starts, stops)])


def _load_parquet(path: Path, table: str, spec: TableSpec, zone: str, month: str | None,
                  columns: Iterable[str] | None) -> tuple[pd.DataFrame, TableAccount]:
    pf = _parquet_file(path)
    header = list(pf.schema_arrow.names)
    names = _map_columns(path, spec, header)
    missing = [c for c in spec.required_columns if c not in names]
    if missing:
        _raise([TableError(path, f"required column {c!r} is missing; columns found: {', '.join(header) or '(none)'}", column=c)
                for c in missing])
    file_of = dict(zip(names, header))
    order = {c: k for k, c in enumerate(spec.column_names)}
    wanted = None if columns is None else set(columns)
    canonical = [n for n in names if n in order and (wanted is None or n in wanted or not _free_text(spec.column(n)))]
    extras = [n for n in names if n not in order and (wanted is None or n in wanted)]
    left_out = {n for n in names if n in order} - set(canonical)
    bad_types = _arrow_type_errors(path, spec, pf.schema_arrow, file_of, canonical + extras)
    if bad_types:
        _raise(bad_types)

    groups = list(range(pf.metadata.num_row_groups))
    if month is not None:
        if spec.month_column is None:
            raise ValueError(f"the {table} table has no month column: read it whole")
        lo, hi = month_bounds(month)
        groups = _row_groups_for(pf, file_of[spec.month_column], pd.Timestamp(lo), pd.Timestamp(hi), zone)
    starts = np.concatenate([[0], np.cumsum([pf.metadata.row_group(g).num_rows for g in range(pf.metadata.num_row_groups)])])
    try:
        data = pf.read_row_groups(groups, columns=[file_of[n] for n in canonical + extras], use_threads=True)
    except (pa_lib.ArrowException, OSError) as exc:
        raise TableError(path, f"cannot read the Parquet file ({exc})") from None
    positions = np.concatenate([np.arange(starts[g], starts[g + 1], dtype=np.int64) for g in groups]) if groups else np.zeros(0, np.int64)

    typed: dict[str, pd.Series] = {}
    problems: list[tuple[int, int, str, str]] = []
    converted = {}  # the month column, typed once for the selection and kept for the frame
    if month is not None:
        when, bad, reason = _arrow_column(TS, data.column(file_of[spec.month_column]), zone)
        keep = in_month(when, month, zone) | when.isna().to_numpy()
        if not keep.all():
            data = _rows_kept(data, keep)
            positions = positions[keep]
            when = when[keep].reset_index(drop=True)
            bad = None if bad is None else pd.Series(np.asarray(bad)[keep])
        converted[spec.month_column] = (when, bad, reason)
    raw_cols = {n: data.column(file_of[n]) for n in canonical}
    n = len(positions)
    index = pd.RangeIndex(n)
    texts: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.name in left_out:
            continue
        if col.name not in raw_cols:
            typed[col.name] = pd.Series(pd.NaT if col.kind == TS else pd.NA, index=index, dtype=_dtype_for(col.kind, zone))
            continue
        values, bad, reason = converted.get(col.name) or _arrow_column(col.kind, raw_cols[col.name], zone)
        values.index = index
        typed[col.name] = values
        texts[col.name] = values
        if bad is not None and bad.any():
            cells = raw_cols[col.name]
            for pos in np.flatnonzero(np.asarray(bad)):
                value = cells[int(pos)].as_py()
                text = value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
                problems.append((int(pos), order[col.name], col.name, reason(col.name, text)))
    typed[RESERVED] = pd.Series(positions + 1, index=index, name=RESERVED)
    for name in extras:
        typed[name] = pd.Series(pd.array(data.column(file_of[name]).cast(pa_lib.string()), dtype=_STRING), index=index)
    frame = pd.DataFrame(typed, index=index)
    return _validated(path, table, spec, zone, frame, texts, problems, [], [], n, extras)


def empty_table(table: str, tz="Asia/Shanghai") -> pd.DataFrame:
    """The canonical frame of ``table`` with no rows (for an absent optional file)."""
    spec = TABLES[table]
    zone = _zone_name(tz)
    data = {c.name: pd.Series([], dtype=_final_dtype(c.kind, zone)) for c in spec.columns}
    data[RESERVED] = pd.Series([], dtype=np.int64)
    return pd.DataFrame(data)


TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet")


def _find_file(data_dir: Path, table: str) -> Path | None:
    """``<table>.csv``, ``.xlsx`` or ``.parquet`` in the folder; two of them is an error
    (never a guess that could read last month's export)."""
    found = [data_dir / f"{table}{suffix}" for suffix in TABLE_SUFFIXES if (data_dir / f"{table}{suffix}").exists()]
    if len(found) > 1:
        older = min(found, key=lambda p: p.stat().st_mtime)
        same = len({p.stat().st_mtime for p in found}) == 1
        hint = "" if same else f" ({older.name} is the older one)"
        raise TableError(
            found[0],
            f"both {' and '.join(p.name for p in found)} exist; remove the one you do not mean to use{hint}",
        )
    return found[0] if found else None


def table_file(data_dir: Path, table: str) -> Path | None:
    """The file of ``table`` in the folder; None for an absent optional table; TableError for
    an absent required one, or for two formats of the table."""
    path = _find_file(data_dir, table)
    if path is None and TABLES[table].required:
        raise TableError(
            data_dir / f"{table}.csv",
            f"required table {table} not found (expected {table}.csv, {table}.xlsx or {table}.parquet)",
        )
    return path


def load_dataset(data_dir, tz="Asia/Shanghai", tables: Iterable[str] | None = None) -> Dataset:
    """Load the tables of a data folder (all of TABLES by default).

    Every table is attempted; all problems are reported together (TableErrors, or the
    TableError itself when there is just one). An absent optional table is an empty frame.
    """
    zone = _zone_name(tz)
    data_dir = Path(data_dir)
    wanted = list(TABLES) if tables is None else list(tables)
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; expected some of {', '.join(TABLES)}")
    if not data_dir.is_dir():
        raise TableError(data_dir, "data folder not found")
    frames: dict[str, pd.DataFrame] = {}
    accounting: dict[str, TableAccount] = {}
    files: dict[str, Path] = {}
    errors: list[TableError] = []
    for table in wanted:
        try:
            path = table_file(data_dir, table)
            if path is None:
                frames[table] = empty_table(table, zone)
                accounting[table] = TableAccount(table, None, 0, 0, [])
                continue
            frame, account = load_table(path, table, zone)
        except TableErrors as exc:
            errors.extend(exc.errors)
            continue
        except TableError as exc:
            errors.append(exc)
            continue
        frames[table], accounting[table], files[table] = frame, account, path
    if errors:
        _raise(errors)
    return Dataset(tables=frames, accounting=accounting, files=files)


# ------------------------------------------------------------- checks against the terms

_TERM_MONTH_TABLES = {"payments": "payment", "invoices": "invoice"}


VALUE_LABELS_FILE = "value_labels.csv"


def load_value_labels(data_dir) -> dict[str, tuple[str, str]]:
    """The data folder's labels of its categorical values (complaint categories, products,
    agents' teams...) in both languages, from ``value_labels.csv`` (UTF-8, columns
    ``value,zh,en``; an empty zh or en keeps the value as it is in that language), or {}
    when the folder has none. A value given twice or a missing column is a TableError
    naming the file, the row and the column. The labels are text like any input: the report
    layer masks and escapes them (sla_lib.published)."""
    path = Path(data_dir) / VALUE_LABELS_FILE
    if not path.is_file():
        return {}
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise TableError(path, f"cannot read the value labels: {exc}") from None
    missing = [c for c in ("value", "zh", "en") if c not in frame.columns]
    if missing:
        raise TableError(path, f"required column '{missing[0]}' is missing (columns: value, zh, en)", column=missing[0])
    values = frame["value"].str.strip()
    repeated = values.duplicated() & values.ne("")
    if repeated.any():
        row = int(repeated.to_numpy().argmax())
        raise TableError(path, f"value {values.iloc[row]!r} is labelled twice", row=row + 2, column="value")
    keep = values.ne("").to_numpy()
    zh = frame["zh"].str.strip().where(frame["zh"].str.strip().ne(""), values)
    en = frame["en"].str.strip().where(frame["en"].str.strip().ne(""), values)
    return dict(zip(values[keep], zip(zh[keep], en[keep])))


def check_against_terms(dataset, terms) -> list[TableError]:
    """Problems of the loaded tables that only the terms reveal; an empty list when none.

    * a payment or an invoice whose ``service_month`` is not a month of the term or of its
      renewal (``terms.contract_months``, C7; the months ``sla kpis/fees/report`` accept):
      money settled for a month the contract does not price is a typing error in the
      export, never silently ignored. One TableError per row, naming the file, the row and
      the column ``service_month``.

    Not problems (documented in docs/reliability.md): an invoice for a month of the term
    with no payment yet (an invoice may precede the payment, 先票后款; C16 matches invoices
    to payments in date order), and event rows (consultations, complaints, follow-ups, new
    customers, on-site visits) outside the term: they are loaded and simply never fall in
    a month that is priced.

    ``dataset`` is a :class:`Dataset` (or a mapping of table name -> frame, whose rows are
    then named ``<table>``). Call :func:`raise_problems` on the result to stop a run.
    """
    months = terms.contract_months
    allowed = pd.Index(months)
    span = f"{months[0]}..{months[-1]} (the term {terms.term.start}..{terms.term.end} and its renewal)"
    files = getattr(dataset, "files", {}) or {}
    problems: list[TableError] = []
    for table, what in _TERM_MONTH_TABLES.items():
        if table not in dataset:
            continue
        frame = dataset[table]
        if len(frame) == 0:
            continue
        month = frame["service_month"].astype(object)
        outside = ~month.isin(allowed).to_numpy()
        if not outside.any():
            continue
        path = files.get(table, f"<{table}>")
        idcol = TABLES[table].id_column
        picked = frame.loc[outside, [idcol, "service_month", RESERVED]]
        for record_id, value, row in picked.itertuples(index=False, name=None):
            problems.append(TableError(
                path,
                f"{what} for a month outside the contract {span}: service_month {value} "
                f"({idcol} {record_id}); correct the month or the terms' term.start/term.end",
                row=int(row), column="service_month",
            ))
    return problems


def raise_problems(problems: list[TableError]) -> None:
    """Raise the problems (the TableError itself when there is one, else TableErrors)."""
    if problems:
        _raise(problems)
