"""Parquet tables: columns already typed right are converted in Arrow (no text round trip:
the path for tens of millions of rows), any other column is cast to text and parsed like a
CSV cell; rows are numbered 1, 2, ... in file order (there is no header row). A month's
read takes only the row groups whose statistics can hold it."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa_lib
import pyarrow.compute as pa_compute

from ..calendar import constant_utc_offset, in_month, month_bounds
from ..errors import TableError, raise_all
from .cells import _CHANNEL_DTYPE, _STRING, _TS_HI, _TS_LO, _channel_of, _dtype_for, _parse_column
from .checks import _free_text, _validated
from .sheets import _map_columns
from .specs import BOOL, CHANNEL, ID, MONEY, MONTH, RESERVED, SCORE, TEXT, TS, TableAccount, TableSpec
from ..terms import CHANNELS

# # A Parquet file carries types, so columns already typed right are converted in Arrow (no
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
        raise_all([TableError(path, f"required column {c!r} is missing; columns found: {', '.join(header) or '(none)'}", column=c)
                for c in missing])
    file_of = dict(zip(names, header))
    order = {c: k for k, c in enumerate(spec.column_names)}
    wanted = None if columns is None else set(columns)
    canonical = [n for n in names if n in order and (wanted is None or n in wanted or not _free_text(spec.column(n)))]
    extras = [n for n in names if n not in order and (wanted is None or n in wanted)]
    left_out = {n for n in names if n in order} - set(canonical)
    bad_types = _arrow_type_errors(path, spec, pf.schema_arrow, file_of, canonical + extras)
    if bad_types:
        raise_all(bad_types)

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
