"""The fee reconciliation as an Excel workbook for the finance team (openpyxl).

One sheet per table of :func:`sla_lib.views.fee_statement_tables`, in its order. Amounts
(``Decimal``) are written as numbers with the format ``#,##0.00`` (exact: openpyxl writes a
Decimal's own digits), rates (:class:`sla_lib.exact.Rate`) as numbers with the format
``0.0%``, dates as dates, yes/no and the canonical values as words of the
report's language; the header row is bold, frozen and carries filters, and the columns are as wide as
their text. The file is written to a temporary file beside the target and then moved into place
(``os.replace``), so a reader never sees half a workbook.

Text is only ever text (issue 12): every string cell, headers and sheet names included, is
masked and neutralised by :func:`sla_lib.published.text` and stored as a string cell
(``t="inlineStr"``), never a formula, whatever it starts with; a cell starting with one of
OWASP's formula characters (``= + - @`` tab CR) also gets Excel's quote prefix, so editing
it in Excel does not turn it into a formula either.
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
import uuid
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from . import labels as L
from . import published
from .exact import Rate

AMOUNT_FORMAT = "#,##0.00"
RATE_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_WIDTH = 80
_HEADER_FILL = PatternFill("solid", fgColor="E8EDF5")


def _cell_value(value, lang: str):
    """(value for openpyxl, number format or None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None, None
    if isinstance(value, (bool, np.bool_)):
        return L.value(bool(value), lang), None
    if isinstance(value, Rate):
        return float(value), RATE_FORMAT  # a number the finance team can sum and sort; the exact rate is in the JSON
    if isinstance(value, Decimal):
        return value, AMOUNT_FORMAT
    if isinstance(value, (int, np.integer)):
        return int(value), None
    if isinstance(value, (float, np.floating)):
        return (None, None) if np.isnan(value) else (float(value), None)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None), DATETIME_FORMAT
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None), DATETIME_FORMAT
    if isinstance(value, dt.date):
        return value, DATE_FORMAT
    if isinstance(value, str):
        return published.text(L.value(value, lang)), None
    return published.text(value), None


def _text_width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, Decimal):
        text = f"{value:,.2f}"
    elif isinstance(value, float):
        text = f"{value:.1%}"  # rates: the number format shows them as percentages
    elif isinstance(value, dt.datetime):
        text = "2026-01-01 00:00"
    elif isinstance(value, dt.date):
        text = "2026-01-01"
    else:
        text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _as_text(cells) -> None:
    """String cells stay strings: openpyxl makes any string starting with '=' a formula."""
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if cell.value.startswith(published.FORMULA_PREFIXES):
                cell.quotePrefix = True


def write_fee_workbook(statement_tables: dict[str, pd.DataFrame], path, lang: str = "zh") -> Path:
    """Write ``statement_tables`` (name -> frame) to ``path`` (.xlsx), one sheet per table,
    sheet names and headers in ``lang`` (:data:`sla_lib.labels.SHEETS`, ``COLUMNS``).
    The parent folder is created if needed. Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    for name, frame in statement_tables.items():
        sheet = book.create_sheet(L.sheet(name, lang))
        columns = list(frame.columns)
        headers = [published.text(L.column(c, lang)) for c in columns]
        sheet.append(headers)
        _as_text(sheet[1])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(vertical="center")
        widths = [_text_width(h) for h in headers]
        for row in frame.itertuples(index=False, name=None):  # a statement has a few dozen rows
            converted = [_cell_value(v, lang) for v in row]
            sheet.append([v for v, _ in converted])
            r = sheet.max_row
            _as_text(sheet[r])
            for i, (v, fmt) in enumerate(converted):
                if fmt:
                    sheet.cell(row=r, column=i + 1).number_format = fmt
                widths[i] = max(widths[i], _text_width(v))
        for i, width in enumerate(widths):
            letter = sheet.cell(row=1, column=i + 1).column_letter
            sheet.column_dimensions[letter].width = min(MAX_WIDTH, width + 2)
            if width > MAX_WIDTH:
                for cell in sheet[letter][1:]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
        if sheet.max_row > 1:
            sheet.auto_filter.ref = sheet.dimensions  # filters on the header row
    # a unique name beside the target (same file system, so os.replace is atomic); created
    # by openpyxl with the usual permissions (umask), unlike a mkstemp file (0600)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        book.save(temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
