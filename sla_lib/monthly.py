"""A data folder read one month at a time: the bounded-memory path for call-centre volumes.

:class:`MonthlyData` stands where the engine expects loaded tables (``month_kpis``,
``month_fee_statement``, ``fee_statements``, ``kpi_series``): the money tables (payments,
invoices, on-site visits: a few rows a month) are loaded whole, and each event table is
counted for one month when a month's KPIs are computed. With Parquet files the columnar
engine (:mod:`sla_lib.columnar`) counts the month straight from the files, reading only the
row groups that can hold it and holding no rows (a 10 M-consultation month in under
0.5 GiB); where it cannot (a row the loader would set aside, a column it does not read
natively), the loader reads the month's rows and lets them go. CSV and .xlsx files, which
cannot be read by month, are loaded whole once and sliced.

Each month's KPIs are kept in ``kpi_cache`` (in memory, compactly, by
:class:`~sla_lib.kpi_store.CompactMemo`; or a :class:`~sla_lib.kpi_store.KpiStore` that keeps
them in files between runs), so C19's look back over the term reads each earlier month once,
or never again.

Rows whose month column (``received_at`` …) is empty belong to no month; each month's read
sets them aside, and :attr:`MonthlyData.accounting` lists them once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import MutableMapping

import pandas as pd

from .calendar import in_month
from .columnar import GROUP_TABLES, complaints_open_at_end, connect, count_group, group_counts, misses_query
from .data import TABLES, Dataset, TableAccount, load_dataset, load_table, table_file
from .errors import TableError, TableErrors
from .kpi_store import CompactMemo
from .kpis import MissedIds
from .reading.cells import _zone_name

__all__ = ["MonthlyData", "EVENT_TABLES", "MONEY_TABLES", "open_data"]

_ROWS_KEPT = 4  # reads of rows() kept at once: a notebook's views mostly ask for the same month

EVENT_TABLES = tuple(t for t, spec in TABLES.items() if spec.kind == "event")
MONEY_TABLES = tuple(t for t, spec in TABLES.items() if spec.kind == "money")


@dataclass
class MonthlyData:
    """The tables of ``data_dir``: money tables loaded, event tables read month by month."""

    data_dir: Path
    tz: str
    money: Dataset
    files: dict[str, Path]
    kpi_cache: MutableMapping = field(default_factory=CompactMemo, repr=False)
    _whole: dict[str, tuple[pd.DataFrame, TableAccount]] = field(default_factory=dict, repr=False)
    _month_accounts: dict[str, dict[str, TableAccount]] = field(default_factory=dict, repr=False)
    # (group, month) the engine counted: the loader would set none of their rows aside
    engine_counted: set = field(default_factory=set, repr=False)
    _rows: dict = field(default_factory=dict, repr=False)  # the last reads of rows() [frame, on_read ran], not pickled
    _group_counts: dict = field(default_factory=dict, repr=False)  # (terms, group, month, keys) -> frame (groups: few rows)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_rows"] = {}
        return state

    @classmethod
    def open(cls, data_dir, tz="Asia/Shanghai") -> "MonthlyData":
        """Find every table's file and load the money tables (errors reported together)."""
        zone = _zone_name(tz)
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            raise TableError(data_dir, "data folder not found")
        errors: list[TableError] = []
        files: dict[str, Path] = {}
        for table in EVENT_TABLES:  # all required
            try:
                files[table] = table_file(data_dir, table)
            except TableError as exc:
                errors.append(exc)
        try:
            money = load_dataset(data_dir, zone, tables=MONEY_TABLES)
        except TableErrors as exc:
            errors.extend(exc.errors)
        except TableError as exc:
            errors.append(exc)
        if errors:
            raise errors[0] if len(errors) == 1 else TableErrors(errors)
        files.update(money.files)
        return cls(data_dir=data_dir, tz=zone, money=money, files=files)

    # -- what the engine asks for -----------------------------------------------------------
    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in MONEY_TABLES:
            return self.money[name]
        if name in EVENT_TABLES:
            raise KeyError(f"{name} is read one month at a time here: use .month('YYYY-MM')[{name!r}] "
                           "or load_dataset() for the whole table")
        raise KeyError(f"unknown table {name!r}")

    def __contains__(self, name: object) -> bool:
        return name in TABLES

    def count_month(self, groups, terms, month: str, workcal) -> list[dict]:
        """The KPIs of ``month``, one dict per group of ``groups`` ((name, tables, compute),
        kpis.KPI_GROUPS): counted by the columnar engine straight from the Parquet files
        (:func:`sla_lib.columnar.count_group`, multi-threaded, the month's rows never held),
        or, where the engine cannot take a group's tables (CSV, text dates, a row the loader
        sets aside...), ``compute`` over the month's rows read by the loader."""
        out = []
        con = connect() if any(Path(p).suffix.lower() == ".parquet" for p in self.files.values()) else None
        try:
            for name, tables, compute in groups:
                counted = None if con is None else count_group(name, self.files, terms, month, workcal, con)
                if counted is None:
                    out.append(compute(self.month(month, tables), terms, month, workcal))
                    continue
                results, accounts = counted
                self._month_accounts.setdefault(month, {}).update(accounts)
                self.engine_counted.add((name, month))
                out.append(results)
        finally:
            if con is not None:
                con.close()
        return out

    def attach_misses(self, kpis, terms, month: str):
        """A month read from a KPI store, whose misses the engine was to list on demand: the
        engine's query for them attached again (the store keeps counts, not queries)."""
        for key, r in kpis.results.items():
            if isinstance(r.missed_ids, MissedIds) and r.missed_ids.query is None:
                r.missed_ids.query = misses_query(key, self.files, terms, month)
        return kpis

    def month(self, month: str, tables=EVENT_TABLES) -> Dataset:
        """The rows of ``month`` of the event ``tables`` (rows with no month: set aside) and
        the money tables. Shares this object's ``kpi_cache``."""
        frames, accounts = {}, {}
        for table in tables:
            frame, account = self._read(table, month)
            frames[table], accounts[table] = frame, account
        self._month_accounts.setdefault(month, {}).update(accounts)
        frames.update(self.money.tables)
        accounts.update(self.money.accounting)
        return Dataset(tables=frames, accounting=accounts, files=dict(self.files), kpi_cache=self.kpi_cache)

    def rows(self, table: str, months, every_column: bool = True, on_read=None) -> pd.DataFrame:
        """The rows of event ``table`` in ``months`` ('YYYY-MM' or a list of them) as the
        loader reads them (rows set aside are not in it), in file order within each month.
        ``every_column``: with the personal and free-text columns (for a table that is
        shown); False: only the columns the KPIs use. The last few reads are kept, so the
        views of one notebook read a month once; ``on_read(frame)`` runs once per read, the
        first time a caller passes one (the views remember the names in it)."""
        months = (months,) if isinstance(months, str) else tuple(months)
        key = (table, months, every_column)
        if key not in self._rows:
            parts = [self._read(table, m, every_column)[0] for m in months]
            while len(self._rows) >= _ROWS_KEPT:
                self._rows.pop(next(iter(self._rows)))
            self._rows[key] = [pd.concat(parts, ignore_index=True) if len(parts) != 1 else parts[0], False]
        kept = self._rows[key]
        if on_read is not None and not kept[1]:
            on_read(kept[0])
            kept[1] = True
        return kept[0]

    def group_counts(self, table: str, terms, months, keys) -> pd.DataFrame | None:
        """The rows of ``table`` in ``months`` counted per group of ``keys`` by the engine
        (:func:`sla_lib.columnar.group_counts`), with a ``month`` column; None unless the
        engine counted every one of the months (its rows all kept by the loader's rules) and
        can read every key, in which case the caller groups :meth:`rows`."""
        months = [months] if isinstance(months, str) else list(months)
        group = next((g for g, tables in GROUP_TABLES.items() if tables[0] == table), None)
        if group is None or any((group, m) not in self.engine_counted for m in months):
            return None
        parts = []
        for m in months:
            memo = (terms.fingerprint, group, m, tuple(keys))  # views of one page ask for the same breakdown
            if memo not in self._group_counts:
                self._group_counts[memo] = group_counts(group, self.files, terms, m, keys)
            part = self._group_counts[memo]
            if part is None:
                return None
            parts.append(part.assign(month=m))
        return pd.concat(parts, ignore_index=True)

    def complaints_open_at_end(self, month: str) -> pd.DataFrame:
        """C4's complaints at the end of ``month``: its own and those of the months before it
        not closed by its end (a complaint closed earlier counts in no figure of the month),
        ``received_at`` and ``closed_at`` only, as naive wall-clock times of the contract.
        One month at a time, so memory holds a month and the open backlog, not every month
        up to this one: the month itself from :meth:`rows` (the read C4's other figures use);
        the engine narrows an earlier Parquet month in its scan
        (:func:`sla_lib.columnar.complaints_open_at_end`); an earlier month it cannot take is
        read by the loader, which sets rows aside as always, and narrowed here."""
        from .calendar import month_bounds, months_between, to_local_naive

        path = self.files["complaints"]
        first = _first_month(path, "complaints", self.tz) if path.suffix.lower() == ".parquet" else None
        start, end = month_bounds(month)
        # no statistics (or CSV): the whole table; a first month after this one: this (empty) month
        months = [None] if first is None else months_between(first, month) if first <= month else [month]
        parts = []
        for m in months:
            engine = m not in (None, month)
            times = complaints_open_at_end(self.files, self.tz, m, month, ("complaints", m) in self.engine_counted) if engine else None
            if times is not None:  # narrowed by the engine
                received, closed = (v.view("datetime64[ns]") for v in times)
            else:
                rows = self.rows("complaints", month) if m == month else self._read("complaints", m)[0]
                received, closed = (to_local_naive(rows[c], self.tz).to_numpy() for c in ("received_at", "closed_at"))
                counted = (received < end) & ((received >= start) | pd.isna(closed) | (closed >= end))
                received, closed = received[counted], closed[counted]
            parts.append(pd.DataFrame({"received_at": received, "closed_at": closed}))
        return pd.concat(parts, ignore_index=True) if len(parts) != 1 else parts[0]

    def loaded_tables(self) -> dict[str, pd.DataFrame]:
        """The tables held whole so far: the money tables, and event tables of CSV/.xlsx files."""
        return {**self.money.tables, **{t: frame for t, (frame, _) in self._whole.items()}}

    def header(self, table: str) -> list[str]:
        """The canonical column names of ``table``'s file (the spec's and any extra columns)."""
        if table in MONEY_TABLES:
            return list(self.money[table].columns)
        path = self.files[table]
        if path.suffix.lower() == ".parquet":
            return _parquet_header(path, table)[1]
        return list(self._read(table, None)[0].columns)

    def _read(self, table: str, month: str | None, every_column: bool = False) -> tuple[pd.DataFrame, TableAccount]:
        path = self.files[table]
        if path.suffix.lower() == ".parquet":
            # personal data (names, phones) is never needed for a month's figures
            return load_table(path, table, self.tz, month=month, columns=None if every_column else ())
        if table not in self._whole:
            self._whole[table] = load_table(path, table, self.tz)
        frame, account = self._whole[table]
        if month is None:
            return frame, account
        return frame[in_month(frame[TABLES[table].month_column], month, self.tz)].reset_index(drop=True), account

    @property
    def accounting(self) -> dict[str, TableAccount]:
        """Per table, what the reads so far did with the rows (a row with no month, set aside
        in every month's read, is counted once)."""
        out = dict(self.money.accounting)
        for table in EVENT_TABLES:
            if table in self._whole:
                out[table] = self._whole[table][1]
                continue
            accounts = [m[table] for m in self._month_accounts.values() if table in m]
            if not accounts:
                continue
            seen: dict[int, object] = {}
            for account in accounts:
                for s in account.set_aside:
                    seen.setdefault(s.row, s)
            repeats = sum(len(a.set_aside) for a in accounts) - len(seen)
            out[table] = TableAccount(
                table=table, file=str(self.files[table]),
                rows_read=sum(a.rows_read for a in accounts) - repeats,
                rows_used=sum(a.rows_used for a in accounts),
                set_aside=sorted(seen.values(), key=lambda s: s.row),
            )
        return {t: out[t] for t in TABLES if t in out}  # in the tables' order, as a whole load lists them


def open_data(data_dir, terms):
    """The tables of ``data_dir`` as the engine takes them: a folder with Parquet files read
    one month at a time (:class:`MonthlyData`, bounded memory); CSV / .xlsx folders, which
    cannot be read by month, loaded whole (:class:`~sla_lib.data.Dataset`)."""
    data_dir = Path(data_dir)
    if data_dir.is_dir() and any(data_dir.glob("*.parquet")):
        return MonthlyData.open(data_dir, terms)
    return load_dataset(data_dir, terms)


def _first_month(path: Path, table: str, tz: str) -> str | None:
    """'YYYY-MM' of the earliest month column value of a Parquet table in zone ``tz``, from
    the row groups' statistics; None without them."""
    try:
        pf, names = _parquet_header(path, table)
        j = names.index(TABLES[table].month_column)
        stats = [pf.metadata.row_group(g).column(j).statistics for g in range(pf.metadata.num_row_groups)
                 if pf.metadata.row_group(g).num_rows]
        if not stats or any(s is None or not s.has_min_max or not isinstance(s.min, dt.date) for s in stats):
            return None  # no statistics, or text dates (the loader parses them)
        first = pd.Timestamp(min(s.min for s in stats))
    except (TableError, TableErrors, ValueError, TypeError):
        return None
    if first.tzinfo is not None:
        first = first.tz_convert(tz)
    return f"{first.year:04d}-{first.month:02d}"


def _parquet_header(path: Path, table: str):
    """(the open Parquet file, the canonical names of its columns in file order)."""
    from .reading.parquet import _parquet_file
    from .reading.sheets import _map_columns

    pf = _parquet_file(path)
    return pf, list(_map_columns(path, TABLES[table], list(pf.schema_arrow.names)))
