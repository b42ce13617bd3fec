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

Where each part lives (issue 13 split the loader by job): :mod:`sla_lib.reading.specs` the
tables' columns and aliases (data only), :mod:`sla_lib.reading.sheets` CSV and workbook
files to text frames and headers, :mod:`sla_lib.reading.cells` text cells to typed values,
:mod:`sla_lib.reading.checks` pandera, unique ids and the set-aside-or-reject outcome every
format shares, :mod:`sla_lib.reading.parquet` Parquet tables and month reads. This module
puts them together: :func:`load_table`, :func:`load_dataset`, :func:`check_against_terms`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, MutableMapping

import numpy as np
import pandas as pd

from .errors import TableError, TableErrors, raise_all
from .reading.cells import (
    _STRING, _dtype_for, _final_dtype, _parse_column, _parse_timestamps, _row_text, _zone_name,
)
from .reading.checks import _validated
from .reading.parquet import _load_parquet
from .reading.sheets import MAX_COLUMNS, _canonical_of, _field_counts, _find_header, _map_columns, _read_raw
from .reading.specs import (
    BOOL_VALUES, CHANNEL_ALIASES, COLUMN_ALIASES, RESERVED, TABLES, TS, ColumnSpec, SetAside, SkippedRow,
    TableAccount, TableSpec,
)

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

        raise_all([
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
        raise_all(errors)
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
        raise_all(problems)
