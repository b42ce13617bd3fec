"""Files to frames of text: a CSV (UTF-8, UTF-8 with BOM or GB18030, read whole as text,
never coerced) or a workbook sheet, its header row found among title rows, its records
cut short, ragged or touched by merged cells noticed, its column names mapped to the
canonical ones (aliases, full-width forms, a unit in brackets)."""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TableError, raise_all
from .cells import _parse_timestamps, _row_text
from .specs import COLUMN_ALIASES, RESERVED, TableSpec

def _norm_header(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "").strip().lower()
    text = re.sub(r"\s*\([^()]*\)$", "", text)  # trailing unit: 金额(元) (NFKC made （） ASCII)
    return re.sub(r"[\s\-]+", "_", text)


_ALIAS_LOOKUP = {_norm_header(k): v for k, v in COLUMN_ALIASES.items()}


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
        raise_all(errors)
    return names
