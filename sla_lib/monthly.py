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

from dataclasses import dataclass, field
from pathlib import Path
from typing import MutableMapping

import pandas as pd

from .calendar import in_month
from .columnar import connect, count_group, misses_query
from .data import TABLES, Dataset, TableAccount, load_dataset, load_table, table_file
from .errors import TableError, TableErrors
from .kpi_store import CompactMemo
from .kpis import MissedIds
from .reading.cells import _zone_name

__all__ = ["MonthlyData", "EVENT_TABLES", "MONEY_TABLES"]

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

    def _read(self, table: str, month: str) -> tuple[pd.DataFrame, TableAccount]:
        path = self.files[table]
        if path.suffix.lower() == ".parquet":
            # personal data (names, phones) is never needed for a month's figures
            return load_table(path, table, self.tz, month=month, columns=())
        if table not in self._whole:
            self._whole[table] = load_table(path, table, self.tz)
        frame, account = self._whole[table]
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
        return out
