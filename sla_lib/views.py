"""Report tables for the notebooks: reshaped results of kpis.py, fees.py and calendar.py.

Nothing here is a contract formula. Every KPI comes from a ``sla_lib.kpis`` function
(applied to the month's rows, or to a subset of them for a breakdown), every amount and
date from ``sla_lib.fees``, every working day from ``sla_lib.calendar``. What this module
adds is shape (one row per day, per group, per payment...), labels' keys, and masking:
a frame returned here never carries unmasked personal data (C20): record ids are kept for
traceability (C21), together with ``source_row`` (the row in the input file); customer ids
go through :func:`sla_lib.masking.mask_id`, names / phones / e-mails through
:func:`sla_lib.masking.mask_frame`.

Frames use canonical column keys (English snake_case) and canonical values ('met',
'holiday', 'phone', ...); :mod:`sla_lib.display` and :mod:`sla_lib.excel` translate them
with the labels of :mod:`sla_lib.labels`. Rates are exact :class:`sla_lib.exact.Rate` values
(``str()`` gives ``KpiResult.rate_pct``'s 4 decimals; reports show one decimal, half-up from
the exact value; 'n/a' for a zero denominator); float columns (``rate``, ``hours``)
exist for plotting only. All computations are vectorized; the only loops run over groups,
months or KPIs, never over data rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd

from . import calendar as C
from . import kpis as K
from . import labels as L
from . import published
from . import renewal as R
from .calendar import (
    ServiceCalendar,
    WorkCalendar,
    day_numbers,
    elapsed_wall_clock,
    month_days,
    month_of,
    months_between,
    parse_month,
    to_local_naive,
)
from .exact import Rate, decimal_text
from .fees import FeeStatement, fee_series, fee_statements
from .masking import mask_frame, personal_columns, remember_names

CHANNEL_ORDER = ("phone", "email", "chat")
NA = "n/a"
MISSING_GROUP = "—"

# the timestamp that puts a row of each table into a month (spec section 2)
MONTH_COLUMN = {
    "consultations": "received_at",
    "complaints": "received_at",
    "followups": "visited_at",
    "new_customers": "acquired_at",
    "onsite_visits": "visited_at",
}
# KPIs computed from one table (so they can be computed per group of its rows)
TABLE_KPIS = {
    "consultations": ("consultation_response", "consultation_resolution"),
    "complaints": ("complaint_contact", "complaint_solution", "complaint_satisfaction"),
    "followups": ("followup_satisfaction",),
}
# the term-to-date table of fee_statement_tables, in two readable halves
TERM_MONTHLY = ("month", "base", "bonus", "total_deduction", "onsite_fees", "amount_due", "paid", "late_damages", "failing_kpis")
TERM_CUMULATIVE = ("month", "cumulative_base", "cumulative_bonus", "cumulative_deductions", "cumulative_damages", "cumulative_amount_due", "cumulative_paid")
# the columns of the complaint misses that fit a page
COMPLAINT_MISS_COLUMNS = (
    "complaint_id", "source_row", "missed_clauses", "customer_id", "phone", "received_at",
    "hours_to_first_contact", "solution_deadline", "preliminary_solution_at", "satisfaction", "category",
)
MISSES_SHOWN = 500  # the records of a misses table a report page lists (the earliest); the count says how many in all
QUALITY_KPIS = ("consultation_resolution", "complaint_satisfaction", "followup_satisfaction", "followup_coverage")


# -- inputs and periods --------------------------------------------------------------------


def load_inputs(terms_path, data_dir, cache_path=None):
    """(terms, dataset) from a terms file and a data folder; errors are SlaErrors.

    ``cache_path``: an inputs cache written by :func:`write_inputs_cache` (``sla report``
    writes one before its notebooks start and passes its path as the notebooks'
    ``cache_path`` parameter): the parsed, validated tables with the months already computed
    in the Dataset's ``kpi_cache``. It is used only when it was made from these very files
    (same resolved paths, sha256 of the terms file and of every table file of the folder);
    otherwise (None, missing, stale, unreadable) the files are loaded as without it.

    The customer names of the data set are remembered (:func:`sla_lib.masking.remember_names`)
    so that every output of this process masks them, in free text too, and the folder's
    labels of its own categorical values (``value_labels.csv``: categories, products) are
    added to :mod:`sla_lib.labels`, so ``lang='en'`` shows them in English."""
    loaded = read_inputs_cache(cache_path, terms_path, data_dir) if cache_path is not None else None
    if loaded is None:
        from .monthly import open_data
        from .terms import load_terms

        terms = load_terms(Path(terms_path))
        loaded = terms, open_data(Path(data_dir), terms)  # a Parquet folder: read one month at a time
    remember_names(personal_names(loaded[1]))  # masked wherever they occur in what is shown (C20)
    from .data import load_value_labels

    L.extend_values(load_value_labels(data_dir))  # the data's categories and products in both languages
    return loaded


# The inputs cache: two pickles in one file, a small header (what the payload was made
# from) and the payload (terms, Dataset). The header is checked before the payload is read.
INPUTS_CACHE_FORMAT = "sla-inputs-cache/1"


def inputs_fingerprint(terms_path, data_dir) -> dict:
    """What a loaded (terms, Dataset) depends on: the resolved terms path and data folder,
    the sha256 of the terms file, and the sha256 of every file of the folder named after a
    table (``consultations.csv``, ``payments.xlsx``, ``complaints.parquet``...), so that an
    edited, added or removed table file changes it."""
    from .data import TABLES
    from .kpi_store import file_digest as _sha256  # the one file-hash helper

    terms_path, data_dir = Path(terms_path).resolve(), Path(data_dir).resolve()
    tables = {}
    for entry in sorted(data_dir.iterdir()) if data_dir.is_dir() else []:
        if entry.name.split(".", 1)[0] in TABLES and "." in entry.name and entry.is_file():
            tables[entry.name] = _sha256(entry)
    return {"terms_path": str(terms_path), "terms_sha256": _sha256(terms_path), "data_dir": str(data_dir), "tables": tables}


def write_inputs_cache(path, terms_path, data_dir, terms, data, fingerprint: dict | None = None) -> Path:
    """Write ``(terms, data)`` (with whatever its ``kpi_cache`` holds) to ``path`` for
    :func:`load_inputs`, atomically (a temporary file renamed). ``fingerprint``:
    :func:`inputs_fingerprint` of the files ``terms`` and ``data`` were loaded from (computed
    here when not given). A pickle: read only caches this process family wrote. The file
    is created 0600 (it holds personal data unmasked); ``sla report`` writes it into its
    private working folder (:func:`sla_lib.folders.private_work_folder`), never into the
    report folder."""
    import os
    import pickle

    from . import __version__

    path = Path(path)
    header = {"format": INPUTS_CACHE_FORMAT, "sla_lib": __version__,
              "inputs": fingerprint or inputs_fingerprint(terms_path, data_dir)}
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)  # a leftover (or a planted link) is removed, never followed
    try:
        # 0600 from the start (the payload holds every name, phone and e-mail unmasked);
        # O_EXCL and O_NOFOLLOW: never written through a link
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with open(fd, "wb") as fh:
            pickle.dump(header, fh, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump((terms, data), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def read_inputs_cache(path, terms_path, data_dir):
    """(terms, data) from the cache at ``path`` when it was made from these files (see
    :func:`load_inputs`), else None (missing, other files or versions, unreadable).

    A pickle runs code when it is read, so only a regular file (not a link) owned by this
    user and writable by nobody else is read at all."""
    import logging
    import os
    import pickle
    import stat

    from . import __version__

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022 or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            os.close(fd)
            logging.getLogger(__name__).warning("inputs cache %s not used: not a private file of this user", path)
            return None
        with open(fd, "rb") as fh:
            header = pickle.load(fh)
            if not (isinstance(header, dict) and header.get("format") == INPUTS_CACHE_FORMAT and header.get("sla_lib") == __version__):
                return None
            if header.get("inputs") != inputs_fingerprint(terms_path, data_dir):
                return None  # a table or the terms changed since the cache was written
            terms, data = pickle.load(fh)
    except Exception as exc:  # noqa: BLE001 - no cache is never an error: the files are loaded instead
        logging.getLogger(__name__).debug("inputs cache %s not used: %s", path, exc)
        return None
    return terms, data


def resolve_as_of(as_of, terms) -> dt.date:
    """The as-of date of a report: None = today in the contract's zone; 'YYYY-MM-DD' or a date."""
    return C.resolve_as_of(as_of, terms.contract.timezone)


_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")


def _parse_quarter(quarter: str) -> tuple[int, int]:
    match = _QUARTER.match(str(quarter).strip())
    if not match:
        raise ValueError(f"not a quarter in YYYYQn form (e.g. 2026Q3): {quarter!r}")
    return int(match[1]), int(match[2])


def quarter_months(quarter: str) -> list[str]:
    """'2026Q3' -> ['2026-07', '2026-08', '2026-09']."""
    year, q = _parse_quarter(quarter)
    return [f"{year:04d}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]


def previous_quarter(quarter: str) -> str:
    """'2026Q3' -> '2026Q2'; '2026Q1' -> '2025Q4'."""
    year, q = _parse_quarter(quarter)
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def quarter_of(month: str) -> str:
    """'2026-08' -> '2026Q3'."""
    parse_month(month)
    year, m = int(month[:4]), int(month[5:])
    return f"{year}Q{(m - 1) // 3 + 1}"


def term_months_to(terms, month: str) -> list[str]:
    """The months of the term from its start up to and including ``month`` (past the term
    end the months keep counting, so a renewed term still gets a trend)."""
    first = terms.term_months[0]
    start = first if parse_month(first) <= parse_month(month) else month
    return months_between(start, month)


def rows_in_months(data, terms, table: str, months) -> pd.DataFrame:
    """The rows of ``table`` that belong to ``months`` (a 'YYYY-MM' or a list of them).
    From a folder read month by month (:class:`sla_lib.monthly.MonthlyData`) only those
    months are read, and the customer names in them are remembered for masking (C20)."""
    months = [months] if isinstance(months, str) else list(months)
    if hasattr(data, "rows"):  # the names of each new read, once (a kept read is handed out again)
        return data.rows(table, months, on_read=lambda frame: remember_names(_frame_names(table, frame)))
    frame = data[table]
    wanted = np.array([parse_month(m) for m in months], dtype="datetime64[M]")
    return frame[np.isin(month_of(frame[MONTH_COLUMN[table]], terms.contract.timezone), wanted)]


def _local(series: pd.Series, terms) -> pd.Series:
    return to_local_naive(series, terms.contract.timezone)


def _group_labels(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna(MISSING_GROUP)


def _rate(result: K.KpiResult):
    """The exact rate (:class:`sla_lib.exact.Rate`), or 'n/a' when there is nothing to measure."""
    return Rate(result.met, result.total) if result.total else NA


def _rates(frame: pd.DataFrame) -> list:
    """The exact rate of each row of a frame with ``met`` and ``total`` (KPI rows: a handful)."""
    return [Rate(int(m), int(t)) if t else NA for m, t in zip(frame["met"], frame["total"])]


def _target_float(result: K.KpiResult) -> float:
    return float(result.target_pct) if result.target_pct is not None else np.nan


# -- KPIs per group ------------------------------------------------------------------------


def _kpi_functions(terms):
    """kpi -> function(rows) -> KpiResult, for the KPIs computed from one table."""
    workcal = WorkCalendar.from_terms(terms)
    service = ServiceCalendar.from_terms(terms, workcal)
    return {
        "consultation_response": lambda rows: K.consultation_response(rows, terms, service),
        "consultation_resolution": lambda rows: K.consultation_resolution(rows, terms),
        "complaint_contact": lambda rows: K.complaint_contact(rows, terms, service),
        "complaint_solution": lambda rows: K.complaint_solution(rows, terms, workcal),
        "complaint_satisfaction": lambda rows: K.complaint_satisfaction(rows, terms),
        "followup_satisfaction": lambda rows: K.followup_satisfaction(rows, terms),
    }


def _table_of(kpi: str) -> str:
    for table, names in TABLE_KPIS.items():
        if kpi in names:
            return table
    raise ValueError(f"{kpi} is not computed from one table, so it has no breakdown by group")


def _groups(rows: pd.DataFrame, by: Sequence[str]):
    missing = [c for c in by if c not in rows.columns]
    if missing:
        raise ValueError(f"no column {', '.join(missing)} in this table (columns: {', '.join(map(str, rows.columns))})")
    keys = pd.DataFrame({c: _group_labels(rows[c]) for c in by}, index=rows.index)
    return rows.groupby([keys[c] for c in by], sort=True, observed=True)


def engine_counts(data, terms, months, table: str, keys: Sequence[str]) -> pd.DataFrame | None:
    """The rows of ``table`` in ``months`` counted per group of ``keys`` by the columnar
    engine (a folder read month by month, :meth:`sla_lib.monthly.MonthlyData.group_counts`):
    ``month``, the keys, ``n`` and each KPI's ``<kpi>_met`` / ``<kpi>_total``, from the
    same predicates that count the month's KPIs. None where the engine does not count those
    months (CSV, a row set aside ...): the caller then groups the rows. Names found in the
    free-text labels are remembered for masking (C20), as the rows' names would be."""
    if not hasattr(data, "group_counts"):
        return None
    months = [months] if isinstance(months, str) else list(months)
    from .errors import SlaError

    for m in months:  # counted once (memo): the engine then knows each month's rows are all kept
        try:
            K.month_kpis(data, terms, m)
        except (SlaError, ValueError):
            return None  # the rows' path reports what is wrong
    counted = data.group_counts(table, terms, months, list(keys))
    if counted is None:
        return None
    labels = [v for k in keys if k not in ("channel", "weekday", "hour") for v in counted[k].dropna()]
    if labels:  # any customer's name, of any table, written inside a label
        from .columnar import names_within

        for name, path in data.files.items():
            if Path(path).suffix.lower() == ".parquet":
                remember_names(names_within(path, _name_columns(name, data.header(name)), labels))
    return counted


def group_kpis(data, terms, months, table: str, by: str | Sequence[str]) -> pd.DataFrame:
    """Every one-table KPI of ``table`` per group of its rows in ``months``: one row per
    group (``by`` columns), ``count`` = rows, and per KPI its exact rate ('n/a' when
    the group has nothing to measure). Groups are sorted by ``by``."""
    keys = [by] if isinstance(by, str) else list(by)
    counted = engine_counts(data, terms, months, table, keys)
    if counted is None:
        return _group_kpis_of_rows(rows_in_months(data, terms, table, months), terms, table, by)
    return _group_kpis_of_counts(counted, table, keys)


def _grouped_counts(counted: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Engine counts summed per group of ``by``, labelled as the rows' groups (sorted)."""
    labelled = counted.assign(**{c: _group_labels(counted[c]) for c in by})
    numbers = [c for c in counted.columns if c == "n" or c.endswith(("_met", "_total"))]
    return labelled.groupby(list(by), sort=True, observed=True)[numbers].sum()


def _group_kpis_of_counts(counted: pd.DataFrame, table: str, by: Sequence[str]) -> pd.DataFrame:
    names = TABLE_KPIS[table]
    records = []
    for key, row in _grouped_counts(counted, by).iterrows():  # one row per group
        record = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        record["count"] = int(row["n"])
        record.update({kpi: Rate(int(row[f"{kpi}_met"]), int(row[f"{kpi}_total"])) if row[f"{kpi}_total"] else NA
                       for kpi in names})
        records.append(record)
    return pd.DataFrame(records, columns=[*by, "count", *names])


def _group_kpis_of_rows(rows: pd.DataFrame, terms, table: str, by: str | Sequence[str]) -> pd.DataFrame:
    by = [by] if isinstance(by, str) else list(by)
    functions = _kpi_functions(terms)
    names = TABLE_KPIS[table]
    records = []
    for key, part in _groups(rows, by):
        key = key if isinstance(key, tuple) else (key,)
        record = dict(zip(by, key))
        record["count"] = len(part)
        record.update({kpi: _rate(functions[kpi](part)) for kpi in names})
        records.append(record)
    return pd.DataFrame(records, columns=[*by, "count", *names])


def kpi_breakdown(data, terms, months, kpi: str, by: str) -> pd.DataFrame:
    """One KPI per group of ``by``: met, total, exact rate, float rate (plots),
    float target, status. ``kpi`` must be computed from one table (not C6)."""
    counted = engine_counts(data, terms, months, _table_of(kpi), [by])
    if counted is not None:
        results = [(key, K.engine_result(terms, kpi, int(row[f"{kpi}_met"]), int(row[f"{kpi}_total"]), None))
                   for key, row in _grouped_counts(counted, [by]).iterrows()]
    else:
        function = _kpi_functions(terms)[kpi]
        results = [(group, function(part)) for (group,), part in _groups(rows_in_months(data, terms, _table_of(kpi), months), [by])]
    records = []
    for group, r in results:
        records.append(
            {
                by: group,
                "met": r.met,
                "total": r.total,
                "rate_pct": _rate(r),
                "rate": float(r.rate * 100) if r.rate is not None else np.nan,
                "target": _target_float(r),
                "status": r.status,
            }
        )
    return pd.DataFrame(records, columns=[by, "met", "total", "rate_pct", "rate", "target", "status"])


# -- complaints (C2, C3, C4) ----------------------------------------------------------------


def daily_complaint_volume(data, terms, month: str) -> pd.DataFrame:
    """One row per day of ``month``: ``date``, ``weekday`` (0 = Monday), ``complaints``
    received that day, ``day_type`` ('workday', 'weekend', 'holiday' = statutory holiday,
    'adjusted_workday' = 调休上班, a weekend day worked) from the contract's working-day
    calendar (chinese-calendar + the terms' overrides), and ``holiday``: the festival's
    English name (chinese-calendar) on holidays and on the adjusted working days made up
    for it, else missing (NaN)."""
    first, last = month_days(month)
    days = pd.date_range(first, last, freq="D")
    received = _local(rows_in_months(data, terms, "complaints", month)["received_at"], terms)
    counts = received.dt.normalize().value_counts().reindex(days, fill_value=0)

    workday = WorkCalendar.from_terms(terms).is_workday_days(day_numbers(days.to_numpy()))
    weekend = days.day_of_week.to_numpy() >= 5
    dates = pd.Series(days.date, index=days)
    festival = dates.map(chinese_calendar.holidays)
    makeup = dates.map(chinese_calendar.workdays)
    day_type = np.select(
        [workday & weekend, workday, ~weekend | festival.notna().to_numpy()],
        ["adjusted_workday", "workday", "holiday"],
        "weekend",
    )
    holiday = festival.where(day_type == "holiday", makeup.where(day_type == "adjusted_workday"))
    return pd.DataFrame(
        {
            "date": days.date,
            "weekday": days.day_of_week,
            "complaints": counts.to_numpy(dtype="int64"),
            "day_type": day_type,
            "holiday": holiday.to_numpy(),
        }
    )


def complaint_breakdowns(data, terms, month: str) -> dict[str, pd.DataFrame]:
    """The month's complaints by ``category``, ``product`` and ``channel``: count, share of
    the month (percent, 1 decimal, for reading only) and the complaint KPIs of each group
    (C2 contact in time, C3 solution in time, C10 satisfaction), most complaints first."""
    out = {}
    for by in ("category", "product", "channel"):
        table = group_kpis(data, terms, month, "complaints", by)
        total = table["count"].sum()
        table.insert(2, "share_pct", (table["count"] / total * 100).round(1) if total else np.nan)
        out[by] = table.sort_values(["count", by], ascending=[False, True], kind="stable").reset_index(drop=True)
    return out


def handling_time_distribution(data, terms, month: str, month_kpis: K.MonthKpis | None = None) -> pd.DataFrame:
    """One row per complaint of ``month`` (masked-safe: ids and groups only):
    ``hours_to_first_contact`` (float hours on the C2 clock of the terms),
    ``hours_to_preliminary_solution`` (wall-clock hours), ``solution_deadline`` (C3,
    :func:`sla_lib.kpis.complaint_solution_deadline`), ``workdays_to_solution`` (working
    days used: the C3 target is met when it is ≤ ``complaint_solution_workdays``; <NA> when
    there is no solution), and ``contact_in_time`` / ``solution_in_time`` as decided by the
    month's KPIs (not recomputed: a complaint is in time unless it is among the KPI's misses)."""
    month_kpis = month_kpis or K.month_kpis(data, terms, month)
    frame = complaint_handling(rows_in_months(data, terms, "complaints", month), terms, month_kpis)
    return frame.sort_values(["received_at", "complaint_id"], kind="stable").reset_index(drop=True)


def complaint_handling(rows: pd.DataFrame, terms, month_kpis: K.MonthKpis) -> pd.DataFrame:
    """The columns of :func:`handling_time_distribution` for the complaint ``rows`` given
    (all of a month's, or only those a page shows), in their order."""
    workcal = WorkCalendar.from_terms(terms)
    received = _local(rows["received_at"], terms)
    solved = _local(rows["preliminary_solution_at"], terms)
    solved_days = day_numbers(solved.to_numpy())
    has_solution = solved.notna().to_numpy()
    taken = np.where(has_solution, workcal.workdays_to_reach(day_numbers(received.to_numpy()), np.where(has_solution, solved_days, 0)), -1)
    deadline = K.complaint_solution_deadline(rows["received_at"], terms, workcal)
    ids = rows["complaint_id"]
    return pd.DataFrame(
        {
            "complaint_id": ids.to_numpy(),
            "channel": _group_labels(rows["channel"]).to_numpy() if "channel" in rows else MISSING_GROUP,
            "category": _group_labels(rows["category"]).to_numpy() if "category" in rows else MISSING_GROUP,
            "received_at": received.to_numpy(),
            "hours_to_first_contact": (K.complaint_contact_elapsed(rows, terms, ServiceCalendar.from_terms(terms, workcal)).dt.total_seconds() / 3600).to_numpy(),
            "hours_to_preliminary_solution": (
                elapsed_wall_clock(rows["received_at"], rows["preliminary_solution_at"], terms.contract.timezone).dt.total_seconds() / 3600
            ).to_numpy(),
            "solution_deadline": deadline.dt.date.to_numpy(),
            "workdays_to_solution": pd.array(np.where(taken < 0, None, taken), dtype="Int64"),
            "contact_in_time": ~K.is_in(ids, month_kpis["complaint_contact"].missed_ids),
            "solution_in_time": ~K.is_in(ids, month_kpis["complaint_solution"].missed_ids),
        }
    )


def handling_targets(terms) -> dict:
    """The C2 / C3 standards for the target lines of the charts."""
    s = terms.standards
    return {
        "contact_hours": float(s.complaint_contact_hours),
        "contact_clock": s.complaint_contact_clock,
        "solution_workdays": int(s.complaint_solution_workdays),
    }


def month_kpi_table(month_kpis: K.MonthKpis, kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """The month's KPIs (all, or ``kpis`` in that order), one row each: clause, met, total,
    exact rate ('n/a' when nothing to measure), target, status, number missed (for the C6
    quota: customers still to follow up) and, when C6 is shown, the customers it requires."""
    table = month_kpis.to_frame()
    if kpis is not None:
        table = table.loc[list(kpis)]
    columns = ["clause", "met", "total", "rate_pct", "target_pct", "status", "missed"]
    if "followup_coverage" in table.index:  # C6 is a quota: how many customers it requires
        columns.append("required")
    table = table[columns].copy()
    table["rate_pct"] = pd.Series(_rates(table), index=table.index, dtype=object)
    table["target_pct"] = table["target_pct"].astype(object).where(table["target_pct"].notna(), None)
    return table


def special_days(daily: pd.DataFrame) -> pd.DataFrame:
    """The statutory holidays and adjusted working days of a :func:`daily_complaint_volume` frame."""
    keep = daily["day_type"].isin(["holiday", "adjusted_workday"])
    return daily.loc[keep, ["date", "weekday", "day_type", "holiday", "complaints"]].reset_index(drop=True)


def category_by_channel(stats: K.ComplaintStatistics) -> pd.DataFrame:
    """C4 complaints per category (rows, most first) and channel (columns, phone / email /
    chat order) without the totals row and column: the frame of a stacked bar chart."""
    table = stats.by_category_channel.drop(index="total", columns="total", errors="ignore")
    channels = [c for c in CHANNEL_ORDER if c in table.columns] + [c for c in table.columns if c not in CHANNEL_ORDER]
    table = table[channels]
    order = table.sum(axis=1).sort_values(ascending=False, kind="stable").index
    out = table.loc[order]
    out.index.name, out.columns.name = "category", None
    return out


def complaint_status(stats: K.ComplaintStatistics) -> pd.DataFrame:
    """C4 status at month end as item/value rows (from kpis.complaint_statistics)."""
    row = stats.status_at_month_end.iloc[0]
    return pd.DataFrame({"item": row.index, "value": row.to_numpy(dtype="int64")})


# -- KPI trends (C6, C9, C10, C11, and every KPI for the quarter) ---------------------------


def kpi_trend(data, terms, up_to_month: str, months: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per (month, KPI) from :func:`sla_lib.kpis.kpi_series` over the term up to
    ``up_to_month`` (or over ``months``): exact counts, exact rate ('n/a' when nothing was
    measured), float ``rate`` and ``target`` for plots, status ('met', 'missed', 'n/a',
    'measured' for KPIs without a target)."""
    months = list(months) if months is not None else term_months_to(terms, up_to_month)
    frame = K.kpi_series(data, terms, months)
    frame["rate_pct"] = pd.Series(_rates(frame), index=frame.index, dtype=object)
    frame["rate"] = pd.to_numeric(frame["rate"], errors="coerce").astype("float64")
    frame["target"] = pd.to_numeric(frame["target_pct"], errors="coerce").astype("float64")
    columns = ["month", "kpi", "clause", "met", "total", "rate_pct", "target_pct", "status", "missed", "rate", "target"]
    return frame[columns]


def kpi_trend_table(trend: pd.DataFrame, kpis: Sequence[str] | None = None, values: str = "rate_pct", by_kpi: bool = False) -> pd.DataFrame:
    """The trend as a wide table of ``values`` ('rate_pct' or 'status'): one row per month
    and one column per KPI, or (``by_kpi``) one row per KPI with its clause and target and
    one column per month."""
    kpis = list(kpis) if kpis is not None else list(dict.fromkeys(trend["kpi"]))
    part = trend[trend["kpi"].isin(kpis)]
    wide = part.pivot(index="month", columns="kpi", values=values).reindex(columns=kpis)
    wide.columns.name = None
    if not by_kpi:
        return wide
    out = wide.T
    first = part.drop_duplicates("kpi").set_index("kpi").reindex(kpis)
    out.insert(0, "clause", first["clause"])
    out.insert(1, "target_pct", first["target_pct"].astype(object).where(first["target_pct"].notna(), None))
    out.index.name = "kpi"
    out.columns.name = None
    return out


def quality_by(data, terms, months, by: str) -> pd.DataFrame:
    """The quality KPIs C9, C10, C11 per group of ``by`` ('channel', 'product', ...), one
    column of exact rates per KPI whose table has that column ('n/a' for a group with
    nothing to measure, missing where the group does not occur in that table), and the
    number of records behind each rate (``<kpi>_total``)."""
    out = None
    for kpi in ("consultation_resolution", "complaint_satisfaction", "followup_satisfaction"):
        if by not in _columns_of(data, _table_of(kpi)):
            continue
        part = kpi_breakdown(data, terms, months, kpi, by)[[by, "rate_pct", "total"]]
        part = part.rename(columns={"rate_pct": kpi, "total": f"{kpi}_total"})
        out = part if out is None else out.merge(part, on=by, how="outer")
    if out is None:
        raise ValueError(f"no quality KPI table has a column {by!r}")
    return out.sort_values(by, kind="stable").reset_index(drop=True)


def _columns_of(data, table: str) -> list[str]:
    return data.header(table) if hasattr(data, "header") else list(data[table].columns)


def failed_months(trend: pd.DataFrame, statements: Sequence[FeeStatement] = ()) -> pd.DataFrame:
    """Every (month, KPI) whose status is 'missed' (KPIs with a target: C6, C9–C11), with
    the C14 deduction of that KPI that month when the month's fee statement is given."""
    missed = trend[trend["status"] == "missed"][["month", "kpi", "clause", "met", "total", "rate_pct", "target_pct"]]
    deductions = pd.DataFrame(
        [(s.month, kpi, amount) for s in statements for kpi, amount in s.deductions.items()],
        columns=["month", "kpi", "deduction"],
    )
    out = missed.merge(deductions, on=["month", "kpi"], how="left")
    out["deduction"] = out["deduction"].astype(object).where(out["deduction"].notna(), None)
    return out.reset_index(drop=True)


def score_distribution(data, terms, month: str) -> pd.DataFrame:
    """Satisfaction scores of the month's complaints and follow-ups: count per score 1–5
    and unrated; ``satisfied`` marks the scores that count as satisfied (C10, C11)."""
    index = ["1", "2", "3", "4", "5", "unrated"]
    out = pd.DataFrame(index=pd.Index(index, name="score"))
    for table, column in (("complaints", "complaints"), ("followups", "followups")):
        scores = rows_in_months(data, terms, table, month)["satisfaction"]
        labels = scores.astype("string").fillna("unrated")
        out[column] = labels.value_counts().reindex(index, fill_value=0).astype("int64")
    minimum = terms.standards.satisfied_min_score
    out["satisfied"] = [i != "unrated" and int(i) >= minimum for i in index]  # 6 labels, not data rows
    return out


# -- misses (C21, masked for C20) ----------------------------------------------------------


def misses_table(month_kpis: K.MonthKpis, data, kpi: str | Sequence[str], terms=None, columns: Sequence[str] | None = None,
                 limit: int | None = None) -> pd.DataFrame:
    """The records that missed ``kpi`` (or any of several KPIs of the same table) in the
    month of ``month_kpis``: record id and ``source_row`` kept, ``missed_clauses`` = the clause ids
    missed, then the table's columns with timestamps in local time, personal data masked
    (names, phones, e-mails, addresses; customer ids through mask_id). With ``terms``,
    complaints also get the C2/C3 handling columns of :func:`handling_time_distribution`.
    ``columns``: keep only these (those present, in this order). ``limit``: at most this many
    records, the earliest (a page reader's list; ``attrs["records"]`` holds how many missed
    in all, and ``sla kpis --format json`` lists every id)."""
    names = [kpi] if isinstance(kpi, str) else list(kpi)
    tables = {K.KPI_DEFINITIONS[k][1] for k in names}
    if len(tables) != 1:
        raise ValueError(f"KPIs {names} come from different tables {sorted(tables)}; list their misses separately")
    table = tables.pop()
    id_column = K.KPI_DEFINITIONS[names[0]][2]
    frame = rows_in_months(data, terms, table, month_kpis.month) if hasattr(data, "rows") else data[table]
    flags = pd.DataFrame({k: K.is_in(frame[id_column], month_kpis[k].missed_ids) for k in names}, index=frame.index)
    rows = frame[flags.any(axis=1)]
    records = len(rows)
    time_column = MONTH_COLUMN.get(table)
    if limit is not None and records > limit:  # the earliest, as the full table is ordered
        rows = rows.sort_values([time_column, id_column] if time_column else [id_column], kind="stable").head(limit)
    rows = rows.copy()
    flags = flags.loc[rows.index]
    missed = pd.Series("", index=rows.index, dtype=object)
    for k in names:  # a handful of KPIs
        missed = missed + np.where(flags[k], K.KPI_DEFINITIONS[k][0] + ", ", "")
    rows.insert(0, "missed_clauses", missed.str.rstrip(", ").to_numpy())
    if table == "complaints" and terms is not None:  # for the rows listed only
        handling = complaint_handling(rows, terms, month_kpis)
        for column in ("hours_to_first_contact", "solution_deadline", "workdays_to_solution"):
            rows[column] = handling[column].to_numpy()
    for column in rows.columns:
        if isinstance(rows[column].dtype, pd.DatetimeTZDtype):
            rows[column] = rows[column].dt.tz_convert(terms.contract.timezone if terms else rows[column].dt.tz).dt.tz_localize(None)
    order = [id_column, "source_row", "missed_clauses"]
    rows = rows[order + [c for c in rows.columns if c not in order]]
    rows = rows.sort_values([time_column, id_column] if time_column else [id_column], kind="stable")
    masked = mask_frame(rows, id_columns=[c for c in ("customer_id",) if c in rows.columns])
    if columns is not None:
        masked = masked[[c for c in columns if c in masked.columns]]
    masked = masked.reset_index(drop=True)
    masked.attrs["records"] = records
    return masked


def personal_names(data) -> list[str]:
    """Every customer name present in the loaded tables: the values of every column that
    :func:`sla_lib.masking.personal_columns` finds to hold names (``customer_name``, 姓名,
    联系人…). For masking them wherever else they occur and for scanning rendered reports
    (:func:`sla_lib.masking.find_personal_data`); never for display."""
    if hasattr(data, "loaded_tables"):  # read month by month: the tables held so far (rows_in_months adds the rest)
        tables = data.loaded_tables()
    else:
        tables = data.tables if hasattr(data, "tables") else data
    names: set[str] = set()
    for table, frame in tables.items():
        names.update(_frame_names(table, frame))
    return sorted(n for n in names if n)


def _name_columns(table: str, columns) -> list[str]:
    """The columns (of ``table``'s header) that hold names: extra columns named like
    customer_name / 姓名 (the spec's own columns hold no names)."""
    from .data import TABLES

    spec = TABLES.get(table)
    extra = [c for c in columns if spec is None or c not in spec.column_names]
    return [c for c, kind in personal_columns(pd.DataFrame(columns=extra)).items() if kind == "name"]


def _frame_names(table: str, frame: pd.DataFrame) -> set[str]:
    names: set[str] = set()
    for column in _name_columns(table, frame.columns):  # by the header: values never make a column one of names
        names.update(frame[column].dropna().astype(str).str.strip().unique())
    return names


# -- arrivals, channels, drill-down (quarterly) --------------------------------------------


def arrivals_heatmap(data, terms, months, table: str = "consultations") -> pd.DataFrame:
    """Arrivals of ``table`` in ``months`` by weekday (rows 0 = Monday .. 6) and hour of
    the day (columns 0..23), local time."""
    counted = engine_counts(data, terms, months, table, ["weekday", "hour"])
    if counted is not None:
        grid = counted.groupby(["weekday", "hour"])["n"].sum().unstack(fill_value=0)
    else:
        received = _local(rows_in_months(data, terms, table, months)[MONTH_COLUMN[table]], terms)
        grid = pd.crosstab(received.dt.day_of_week, received.dt.hour)
    grid = grid.reindex(index=range(7), columns=range(24), fill_value=0).astype("int64")
    grid.index.name, grid.columns.name = "weekday", "hour"
    return grid


def channel_mix(data, terms, months, table: str = "consultations") -> pd.DataFrame:
    """Rows of ``table`` per month and channel: counts per channel (``<channel>_count``),
    ``total``, and each channel's share of the month (percent, 1 decimal, ``<channel>_pct``)."""
    months = [months] if isinstance(months, str) else list(months)
    counted = engine_counts(data, terms, months, table, ["channel"])
    if counted is not None:
        counts = counted.assign(channel=_group_labels(counted["channel"])).pivot_table(
            index="month", columns="channel", values="n", aggfunc="sum", fill_value=0)
    else:
        rows = rows_in_months(data, terms, table, months)
        month = pd.Series(month_of(rows[MONTH_COLUMN[table]], terms.contract.timezone).astype(str), index=rows.index)
        counts = pd.crosstab(month, rows["channel"].astype("string").fillna(MISSING_GROUP))
    channels = list(CHANNEL_ORDER) + [c for c in counts.columns if c not in CHANNEL_ORDER]
    counts = counts.reindex(index=months, columns=channels, fill_value=0).astype("int64")
    counts = counts.loc[:, (counts.sum() > 0) | counts.columns.isin(CHANNEL_ORDER)]
    total = counts.sum(axis=1)
    shares = (counts.div(total.where(total > 0), axis=0) * 100).round(1).add_suffix("_pct")
    out = pd.concat([counts.add_suffix("_count"), total.rename("total"), shares], axis=1)
    out.index.name = "month"
    out.columns.name = None
    return out


def quarter_kpis(data, terms, quarter: str) -> pd.DataFrame:
    """Every KPI per month of the previous quarter and of ``quarter`` (a kpi_trend frame)."""
    months = quarter_months(previous_quarter(quarter)) + quarter_months(quarter)
    return kpi_trend(data, terms, months[-1], months=months)


def complaint_drilldown(data, terms, months) -> pd.DataFrame:
    """Complaints of ``months`` per (month, channel, category) with their C2, C3 and C10
    rates: the table analysts filter."""
    months = [months] if isinstance(months, str) else list(months)
    by = ["month", "channel", "category"]
    counted = engine_counts(data, terms, months, "complaints", by[1:])
    if counted is not None:
        return _group_kpis_of_counts(counted, "complaints", by)
    rows = rows_in_months(data, terms, "complaints", months)
    rows = rows.assign(month=month_of(rows["received_at"], terms.contract.timezone).astype(str))
    return _group_kpis_of_rows(rows, terms, "complaints", by)


def data_accounting(data) -> pd.DataFrame:
    """Per input table: the file, rows read, used and set aside (C21)."""
    return pd.DataFrame(
        [(a.table, Path(a.file).name if a.file else None, a.rows_read, a.rows_used, len(a.set_aside)) for a in data.accounting.values()],
        columns=["table", "file", "rows_read", "rows_used", "rows_set_aside"],
    )


# -- the fee statement (C12–C20) -----------------------------------------------------------


def statements_to(data, terms, month: str, as_of=None) -> list[FeeStatement]:
    """The fee statements of the term's months up to ``month`` (one KPI computation per
    month, :func:`sla_lib.fees.fee_statements`); the last one is ``month``'s."""
    return fee_statements(data, terms, term_months_to(terms, month), resolve_as_of(as_of, terms))


def _item_value_frame(items: list[tuple[str, object]]) -> pd.DataFrame:
    return pd.DataFrame({"item": [k for k, _ in items], "value": pd.Series([v for _, v in items], dtype=object)})


def fee_statement_tables(statements: FeeStatement | Sequence[FeeStatement], terms=None) -> dict[str, pd.DataFrame]:
    """The tables of the fee reconciliation for the last of ``statements`` (a statement, or
    the statements of the term up to the month, as :func:`statements_to` gives them):

    ``summary`` (item/value), ``lines`` (the explanation trail), ``kpis``, ``payments``
    (each payment against the due date, the part of the amount due it settled, its late
    days and its C17 damages; the part still unpaid at the as-of date), ``invoices`` (each
    payment's C16 invoice due date and the invoice matched to it in date order),
    ``term_to_date`` (one row per month with cumulative base, bonus, deductions, damages,
    amount due, paid) and ``exposure`` (C18–C20; with ``terms`` also the thresholds the
    statement was measured against). Amounts stay ``Decimal``."""
    if isinstance(statements, FeeStatement):
        statements = [statements]
    statements = list(statements)
    s = statements[-1]

    summary = _item_value_frame(
        [
            ("month", s.month),
            ("as_of", s.as_of),
            ("base", s.base),
            ("bonus", s.bonus),
            ("total_deduction", s.total_deduction),
            ("onsite_fees", s.onsite_fees),
            ("amount_due", s.amount_due),
            ("payment_due", s.payment_due),
            ("paid", s.paid),
            ("balance", s.balance),
            ("late_days", s.late_days),
            ("late_damages", s.late_damages),
            ("termination_right", s.termination_right),
            ("invoices_on_time", s.invoices_on_time),
        ]
    )

    lines = s.to_frame()
    lines["amount"] = lines["amount"].astype(object).where(lines["amount"].notna(), None)

    kpi_frame = s.kpis.to_frame().reset_index()
    kpi_frame["fee_kpi"] = kpi_frame["kpi"].isin(K.FEE_KPIS)
    kpi_frame["rate_pct"] = pd.Series(_rates(kpi_frame), index=kpi_frame.index, dtype=object)
    kpi_frame["deduction"] = pd.Series([s.deductions.get(k) for k in kpi_frame["kpi"]], dtype=object)  # 7 KPIs
    kpi_frame = kpi_frame[["kpi", "clause", "fee_kpi", "met", "total", "required", "rate_pct", "target_pct", "status", "deduction"]]  # required: the C6 quota

    # payments: the month's payments against the parts fees.apply_payments settled (C17)
    parts = s.parts_frame().rename(columns={"date": "part_date"})
    paid = pd.DataFrame(
        {
            "payment_id": s.payments["payment_id"].astype(object).to_numpy(),
            "paid_on": s.payments["paid_on"].to_numpy(),
            "amount": pd.Series(list(s.payments["amount"]), dtype=object),
        }
    )
    payments = paid.merge(parts[parts["payment_id"].notna()], on="payment_id", how="left")
    unpaid = parts[parts["payment_id"].isna()].assign(payment_id="unpaid", paid_on=None, amount=None)
    if len(unpaid):
        payments = pd.concat([payments, unpaid], ignore_index=True)
    payments.insert(2, "payment_due", s.payment_due)
    payments["late_days"] = payments["late_days"].astype("Int64")
    for column in ("applied", "late_damages", "amount"):
        payments[column] = payments[column].astype(object).where(payments[column].notna(), None)
    payments = payments[["payment_id", "paid_on", "payment_due", "amount", "applied", "late_days", "late_damages"]]

    # invoices: C16 as fees.invoice_status matched them
    invoices = s.invoices_frame()

    series = fee_series(statements).reset_index()
    term = series[["month", "base", "bonus", "total_deduction", "onsite_fees", "amount_due", "paid", "late_damages"]].copy()
    term.insert(
        len(term.columns),
        "failing_kpis",
        [", ".join(K.KPI_DEFINITIONS[k][0] for k in st.failing_kpis) for st in statements],  # one per month
    )
    for column, name in (
        ("base", "cumulative_base"),
        ("bonus", "cumulative_bonus"),
        ("total_deduction", "cumulative_deductions"),
        ("late_damages", "cumulative_damages"),
        ("amount_due", "cumulative_amount_due"),
        ("paid", "cumulative_paid"),
    ):
        term[name] = term[column].astype(object).cumsum()

    limits = terms.liability if terms is not None else None
    exposure = _item_value_frame(
        [
            ("late_days", s.late_days),
            *([("termination_overdue_days", limits.termination_overdue_days)] if limits else []),
            ("termination_right", s.termination_right),
            ("failing_months_to_date", ", ".join(s.failing_months_to_date) or MISSING_GROUP),
            ("failing_months_count", len(s.failing_months_to_date)),
            *([("repeated_failure_months", limits.repeated_failure_months)] if limits else []),
            ("breach_triggered", s.breach_triggered),
            *([("total_contract_amount", terms.total_contract_amount())] if limits else []),
            *([("breach_penalty_pct", decimal_text(limits.breach_penalty_pct))] if limits else []),
            ("breach_exposure", s.breach_exposure),
            ("confidentiality_exposure", s.confidentiality_exposure),
        ]
    )
    return {
        "summary": summary,
        "lines": lines,
        "kpis": kpi_frame,
        "payments": payments,
        "invoices": invoices,
        "term_to_date": term,
        "exposure": exposure,
    }


# -- renewal scenarios (C7) -------------------------------------------------------------------

def renewal_key_dates(dates) -> pd.DataFrame:
    """C7 key dates (:func:`sla_lib.renewal.renewal_dates`) as an item/value table."""
    keys = ("term_end", "objection_deadline", "auto_renewal_check", "renewed_start", "renewed_end", "days_to_objection_deadline")
    return pd.DataFrame({"key_date": list(keys), "value": [getattr(dates, k) for k in keys]})


def renewal_input_paths(terms_path, data_dir) -> tuple[Path, Path]:
    """The renewal notebook's inputs. None stands for this repository's sample contract
    (``data/samples``, found from the package, not from the working folder), so the notebook
    runs as written from the repository root (the README's papermill command), from
    ``notebooks/`` (JupyterLab) or anywhere else. A path given is used as given (relative
    to the folder the kernel runs in)."""
    samples = Path(__file__).resolve().parent.parent / "data" / "samples"
    return (Path(terms_path) if terms_path is not None else samples / "contract.yaml",
            Path(data_dir) if data_dir is not None else samples)


def term_value_text(key: str, value, lang: str) -> str:
    """A pricing term's value as read in a report: '3%', '200,000.00', 'up (...)'."""
    text = str(value)
    if key.endswith("_pct"):
        return f"{text}%"
    if key == "fees.monthly_base_fee":
        try:
            return f"{Decimal(text):,.2f}"
        except ArithmeticError:
            return text
    return str(L.value(text, lang))


def changes_text(changes: dict, lang: str) -> str:
    """A scenario's changes by their contract names (labels.RENEWAL_TERMS): 'C14 每档扣款
    （基础服务费 %） 3%; ...'. Plain text; the caller masks and escapes it."""
    if not changes:
        return "—"
    return "; ".join(f"{L.column(k, lang)}: {term_value_text(k, v, lang)}" for k, v in changes.items())


_SCENARIO_ROWS = (
    "changes", "expected_yearly_cost", "p5", "p95", "expected_difference", "difference_p5", "difference_p95", "p_cheaper_year",
    "replay_total", "replay_difference", "p_bonus_month", "p_deduction_month", "deduction_before_cap", "deduction_after_cap",
    "cap_limit", "p_cap_month", "p_cap_year", "cap_cut", "expected_deduction.consultation_resolution",
    "expected_deduction.complaint_satisfaction", "expected_deduction.followup_satisfaction",
)
_SHARES = ("p_cheaper_year", "p_bonus_month", "p_deduction_month", "p_cap_month", "p_cap_year")


def cap_limit_text(limit: str, cap_pct, lang: str) -> str:
    """'扣款上限 30%' / 'floor of zero (deductions ≤ base fee)'."""
    name = str(L.value(limit, lang))
    return name if limit == "zero_floor" else f"{name} {cap_pct}%"


def scenario_table(comparison: pd.DataFrame, lang: str, scenarios: Sequence = ()) -> pd.DataFrame:
    """:func:`sla_lib.renewal.compare_scenarios` for display, one column per scenario (so
    many scenarios still fit a page; the current contract first, its column headed by its
    label, 现行合同 / Current contract): yearly cost and its band, the paired difference from
    the current contract and its band, the replay, the deductions before and after the cap
    and where the cap binds. Shares as percent text; changes by their contract names when
    the ``scenarios`` are given."""
    table = comparison.copy().astype(object)
    for column in _SHARES:
        table[column] = [f"{v:.1%}" for v in comparison[column]]
    table["cap_limit"] = [cap_limit_text(r["cap_limit"], r["cap_pct"], lang) for _, r in comparison.iterrows()]
    named = {s.name: s for s in scenarios}
    table["changes"] = [changes_text(named[n].changes, lang) if n in named else c for n, c in comparison["changes"].items()]
    shown = table[list(_SCENARIO_ROWS)].T
    shown.index.name = "scenario"
    return shown


def replay_table(history, terms, scenarios) -> pd.DataFrame:
    """The actual months re-priced under each scenario: actual amount due, then one
    difference column per scenario (scenario − actual)."""
    frame = None
    for scenario in scenarios:
        rep = R.replay(history, terms, scenario.apply(terms))
        if frame is None:
            frame = rep[["actual"]].copy()
        frame[scenario.name] = rep["difference"]
    return frame.reset_index() if frame is not None else pd.DataFrame()


def simulated_costs(sim, terms, scenarios) -> pd.DataFrame:
    """Yearly cost to Party A in fen per simulated year, one column per scenario (current
    first, named :data:`sla_lib.renewal.CURRENT`); the rows are the same simulated years, so
    column minus column is the paired difference."""
    return pd.DataFrame({s.name: R.project(sim, s.apply(terms)).yearly_cost_fen for s in [R.Scenario(R.CURRENT), *scenarios]})


def backtest_table(backtest) -> pd.DataFrame:
    """:class:`sla_lib.renewal.Backtest`'s summary for display: one row per held-out window
    length and method, coverage as percent text."""
    table = backtest.summary.reset_index().astype(object)
    table["coverage"] = [f"{v:.1%}" for v in backtest.summary["coverage"]]
    return table[["window", "method", "folds", "covered", "coverage", "mean_width", "interval_score"]]


def grid_table(grid: pd.DataFrame) -> pd.DataFrame:
    """:func:`sla_lib.renewal.cost_grid` with its row term as the first column (its header
    the term's contract name); the column term is named by the caller (caption)."""
    table = grid.copy()
    table.columns = [str(c) for c in grid.columns]
    return table.reset_index()


def summary_lines(name: str, changes: str, row, lang: str) -> list[str]:
    """The negotiator's lines for one scenario (Markdown, values escaped): expected cost, the
    paired difference from the current contract with its 90 % band; and, when the cap (or the
    floor of zero) binds, how often and how much it cuts off, deductions before and after it.
    ``row``: a row of :func:`sla_lib.renewal.compare_scenarios` (or
    :func:`sla_lib.renewal.projection_row`)."""
    esc = published.markdown_text
    shown = esc(L.value(name, lang))
    lines = []
    if name != R.CURRENT:
        lines.append(L.text(
            "rn_summary_line", lang, scenario=shown, changes=esc(changes), cost=f"{row['expected_yearly_cost']:,.2f}",
            delta=f"{row['expected_difference']:+,.2f}", d5=f"{row['difference_p5']:+,.2f}", d95=f"{row['difference_p95']:+,.2f}",
            cheaper=row["p_cheaper_year"], p_ded=row["p_deduction_month"],
        ))
    if row["p_cap_month"] > 0:
        cap_line = L.text(
            "rn_cap_line", lang, limit=esc(L.value(row["cap_limit"], lang)), cap_pct=row["cap_pct"],
            cap=f"{row['cap']:,.2f}",
            p_month=row["p_cap_month"], p_year=row["p_cap_year"], before=f"{row['deduction_before_cap']:,.2f}",
            after=f"{row['deduction_after_cap']:,.2f}", cut=f"{row['cap_cut']:,.2f}",
        )
        lines.append(cap_line if lines else f"- **{shown}**: " + cap_line.lstrip())
    return lines


def negotiator_summary(comparison: pd.DataFrame, lang: str, scenarios: Sequence = ()) -> str:
    """Markdown lines per scenario: its expected cost and the paired difference from the
    current contract with its band, and where the cap binds (the current contract's too).
    Scenario names and changes are given by the user: escaped as text
    (:func:`sla_lib.published.markdown_text`); show it with :class:`sla_lib.display.Prose`."""
    named = {s.name: s for s in scenarios}
    lines = []
    for name, row in comparison.iterrows():
        changes = changes_text(named[name].changes, lang) if name in named else row["changes"]
        lines.extend(summary_lines(name, changes, row, lang))
    return "\n".join(lines)
