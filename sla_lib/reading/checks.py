"""The checks every file format shares: a typed frame validated with pandera (every
failure collected), ids proven unique, and the outcome: bad rows of an event table set
aside with file, row, column and reason, any bad row of a money table rejecting the load
(the policy table at the top of :mod:`sla_lib.data`)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa_lib
import pyarrow.compute as pa_compute

from ..errors import TableError, raise_all
from .cells import _STRING, _dtype_for, _fmt
from .specs import BOOL, CHANNEL, ID, MONEY, MONTH, RESERVED, SCORE, TEXT, ColumnSpec, SetAside, TableAccount, TableSpec, TABLES
from ..terms import CHANNELS

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
        raise_all(errors)

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
