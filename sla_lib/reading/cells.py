"""Cells to typed values: the dtypes of the canonical frames, and the vectorised parsers
of text cells (dates and times in the forms exports write, channels, yes/no values,
scores, money exact to the fen, months) shared by the CSV, workbook and Parquet readers.
A parser returns the typed values, a mask of the cells it could not read, and the
reason to give for them."""

from __future__ import annotations

import re
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from ..terms import CHANNELS
from .specs import BOOL, BOOL_VALUES, CHANNEL, CHANNEL_ALIASES, ID, MONEY, MONTH, SCORE, TEXT, TS

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
