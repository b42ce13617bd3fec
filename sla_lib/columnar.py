"""A month's KPI counts in a columnar engine: DuckDB over the month's row groups of the
Parquet files (issue 13). The counting layer beside :mod:`sla_lib.kpis` (which counts loaded
pandas frames); both give the same :class:`~sla_lib.kpis.KpiResult`, to the row.

One scan per table over the month's rows (DuckDB skips the row groups whose statistics
cannot hold the month), timestamps as integer nanoseconds of the contract's wall clock,
C1 (and C2 on a service clock) service time and the C3 deadline by a join on a small per-day
calendar table built from :class:`~sla_lib.calendar.WorkCalendar`. The same scan evaluates,
as predicates, every rule by which the loader (:func:`sla_lib.data.load_table`) would set a
row aside or reject the table: empty required values, an unknown channel, a score outside
1..5, a time outside 1900..2199, a time before the one it follows; the ids (empty, untrimmed,
repeated) are checked as they stream from the same engine (:func:`_ids_clean`).
When any of them counts a row, or a table is written in a way the engine does not read
natively (text dates, float scores, a zone whose offset changes...), :func:`count_group` answers None and
the month's tables are read by the loader instead, which names each row set aside with its
file, row and column: the engine decides nothing the loader would decide differently.

The ids that missed a KPI (C21) are not carried by the counts: :class:`EngineMisses` queries
them, by the same predicates, when a reader asks (``KpiResult.missed_ids``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .calendar import CalendarCoverageError, WorkCalendar, constant_utc_offset
from .errors import TableError, TableErrors
from .reading.cells import _channel_of
from .reading.checks import _free_text
from .reading.parquet import _may_need_trim, _parquet_file
from .reading.sheets import _map_columns
from .reading.specs import BOOL, CHANNEL, ID, SCORE, TABLES, TS, TableAccount
from .kpis import KPI_DEFINITIONS, contact_limit_ns, engine_result, response_limit_ns

__all__ = ["complaints_open_at_end", "count_group", "connect", "EngineMisses", "GROUP_TABLES", "group_counts", "misses_query",
           "names_within"]

DAY_NS = 86_400 * 10**9
HORIZON_DAYS = 92  # the calendar table runs this far past the month; a later response: the loader counts
_TS_LO, _TS_HI = "TIMESTAMP '1900-01-01 00:00:00'", "TIMESTAMP '2200-01-01 00:00:00'"

# the KPI groups the engine counts (kpis.KPI_GROUPS), by their tables
GROUP_TABLES = {
    "consultations": ("consultations",),
    "complaints": ("complaints",),
    "followups": ("followups", "new_customers"),
}


def _q(name: str) -> str:
    """A column name as a quoted SQL identifier (file headers may be Chinese, or hostile)."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class _Table:
    """How one Parquet table is read by the engine: its file and each needed column's SQL."""

    table: str
    path: Path
    columns: dict[str, str]  # canonical name -> SQL expression over the file's column
    offset_ns: int = 0  # the contract zone's UTC offset (one all month: _zone_offset)
    in_range: frozenset = frozenset()  # timestamp columns whose statistics prove 1900..2199
    aware: frozenset = frozenset()  # timestamp columns written with a zone (UTC instants)
    text: tuple = ()  # (name, SQL) of the free-text columns written as text (for grouping only)

    def source(self, listing: bool = False) -> str:
        """SQL: the file; ``listing``: with each row's number in the file (to list ids in order)."""
        numbered = ", file_row_number = true" if listing else ""
        return f"read_parquet({_lit(str(self.path))}{numbered})"

    def listed(self, listing: bool) -> str:
        """SQL select items naming a row, for a listing: its number in the file and its id."""
        return f"file_row_number AS row_no, {self.columns[TABLES[self.table].id_column]} AS id, " if listing else ""

    def ns(self, column: str) -> str:
        """SQL: the timestamp ``column`` as integer ns of the contract's wall clock (a column
        with a zone: its UTC instant plus the offset, as the loader converts it); NULL outside
        1900..2199 (such a row is a problem row; ns would overflow past 2262)."""
        e = self.columns[column]
        value = f"epoch_ns({e}) + {self.offset_ns}" if column in self.aware else f"epoch_ns({e})"
        if column in self.in_range:
            return f"({value})"
        lo, hi = self.bounds(column)
        return f"(CASE WHEN {e} >= {lo} AND {e} < {hi} THEN {value} END)"

    def bounds(self, column: str) -> tuple[str, str]:
        """SQL literals of 1900-01-01 and 2200-01-01 for ``column`` (the loader's range: of
        the UTC instant for a column with a zone, of the wall clock for one without)."""
        if column in self.aware:
            return "TIMESTAMPTZ '1900-01-01 00:00:00+00:00'", "TIMESTAMPTZ '2200-01-01 00:00:00+00:00'"
        return _TS_LO, _TS_HI

    def at(self, column: str, day: dt.date) -> str:
        """SQL literal of midnight starting ``day`` on the contract's wall clock, comparable
        with ``column``."""
        if column not in self.aware:
            return f"TIMESTAMP '{day} 00:00:00'"
        minutes = self.offset_ns // (60 * 10**9)
        sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
        return f"TIMESTAMPTZ '{day} 00:00:00{sign}{minutes // 60:02d}:{minutes % 60:02d}'"


def _native(kind: str, t) -> str | None:
    """The SQL cast of a column of Arrow type ``t`` read as ``kind``, or None when the engine
    does not read it natively (the loader parses it)."""
    import pyarrow as pa

    T = pa.types
    value = t.value_type if T.is_dictionary(t) else t
    text = T.is_string(value) or T.is_large_string(value)
    if kind == ID:
        return "text" if text else "int" if T.is_integer(t) else None
    if kind == TS:
        if T.is_date(t):
            return "date"
        return ("ts" if t.tz is None else "tstz") if T.is_timestamp(t) else None
    if kind == CHANNEL:
        return "text" if text else None
    if kind == BOOL:
        return "bool" if T.is_boolean(t) else None
    if kind == SCORE:
        return "int" if T.is_integer(t) else None
    return None


def _plan(path: Path, table: str, offset_ns: int) -> _Table | None:
    """The table's columns as the engine reads them, or None: a column the engine does not read
    natively, a required column missing (the loader names it), or rows with no month."""
    spec = TABLES[table]
    try:
        pf = _parquet_file(path)
        names = _map_columns(path, spec, list(pf.schema_arrow.names))
    except (TableError, TableErrors):
        return None  # the loader reports it, as it always has
    header = list(pf.schema_arrow.names)
    file_of = dict(zip(names, header))
    if any(c not in file_of for c in spec.required_columns):
        return None
    columns, aware, text = {}, set(), []
    for col in spec.columns:
        if col.name in file_of and _free_text(col) and _native(CHANNEL, pf.schema_arrow.field(file_of[col.name]).type):
            text.append((col.name, _q(file_of[col.name])))
        if col.name not in file_of or _free_text(col):
            continue  # optional and absent, or free text no row can fail on (not read for counts)
        how = _native(col.kind, pf.schema_arrow.field(file_of[col.name]).type)
        if how is None:
            return None
        if how == "tstz":
            aware.add(col.name)
        q = _q(file_of[col.name])
        # ids written as integers: their decimal text, as the loader reads them; dates: midnight
        columns[col.name] = (f"CAST({q} AS VARCHAR)" if how == "int" and col.kind == ID else
                             f"CAST({q} AS TIMESTAMP)" if how == "date" else q)
    # rows whose month column is empty belong to no month: the loader lists them in every month
    if any(s is None or s.null_count is None or s.null_count > 0 for s in _statistics(pf, file_of[spec.month_column])):
        return None
    in_range = frozenset(
        c.name for c in spec.columns
        if c.kind == TS and c.name in columns and _within_years(_statistics(pf, file_of[c.name]))
    )
    return _Table(table, path, columns, offset_ns, in_range, frozenset(aware), tuple(text))


def _statistics(pf, column: str) -> list:
    """The statistics of ``column`` in each row group that has rows."""
    j = pf.schema_arrow.get_field_index(column)
    groups = (pf.metadata.row_group(g) for g in range(pf.metadata.num_row_groups))
    return [g.column(j).statistics for g in groups if g.num_rows]


def _within_years(stats: list) -> bool:
    """Whether every row group's min and max lie in 1900..2199 (so no value needs checking)."""
    lo, hi = dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1)

    def naive(value):  # a column with a zone: its UTC instants, the loader's range for it; a date: its midnight
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return dt.datetime.combine(value, dt.time())
        return value.replace(tzinfo=None) if getattr(value, "tzinfo", None) is not None else value

    try:
        return all(s is not None and s.has_min_max and lo <= naive(s.min) and naive(s.max) < hi for s in stats)
    except TypeError:  # statistics not as datetimes (an unusual unit): check each value
        return False


def _problems(plan: _Table, channel_state: str | None) -> str:
    """SQL: true for a row the loader would set aside (or reject the table for); ids aside
    (:func:`_ids_clean`). ``channel_state``: :func:`_channel_state`."""
    spec = TABLES[plan.table]
    c = plan.columns
    terms = []
    for col in spec.columns:
        if col.name not in c or col.kind == ID:
            continue  # ids: _ids_clean (empty, untrimmed, repeated), as they stream
        e = c[col.name]
        if not col.nullable:
            terms.append(f"{e} IS NULL")
        if col.kind == TS and col.name not in plan.in_range:
            lo, hi = plan.bounds(col.name)
            terms.append(f"({e} < {lo} OR {e} >= {hi})")
        elif col.kind == SCORE:
            terms.append(f"({e} < 1 OR {e} > 5)")
        elif col.kind == CHANNEL:  # unknown; or blank where a channel is required
            terms.append(f"coalesce({channel_state}, 0) = 0" if not col.nullable else
                         f"({e} IS NOT NULL AND ({channel_state}) IS NULL)")
    for later, base in spec.not_before:
        if later in c and base in c:  # the same kind of column: compared as written; else as wall clocks
            same = (later in plan.aware) == (base in plan.aware)
            terms.append(f"{c[later]} < {c[base]}" if same else f"{plan.ns(later)} < {plan.ns(base)}")
    return " OR ".join(terms) or "FALSE"


def _month_filter(plan: _Table, month: str) -> str:
    first, nxt = _month_span(month)
    name = TABLES[plan.table].month_column
    col = plan.columns[name]
    return f"{col} >= {plan.at(name, first)} AND {col} < {plan.at(name, nxt)}"


def _month_span(month: str) -> tuple[dt.date, dt.date]:
    first = dt.date(int(month[:4]), int(month[5:7]), 1)
    return first, dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)


def connect():
    """A DuckDB connection of its own (in memory; DuckDB's default threads: the cores). Were
    a query ever to spill to disk, it spills into the user's private working folder
    (``folders.work_root``, 0700), not into ``.tmp`` of the current folder, DuckDB's default
    for an in-memory database; without such a folder, it does not spill."""
    import duckdb

    from .errors import SlaError
    from .folders import work_root

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        spill = str(work_root() / "duckdb")
    except SlaError:
        spill = ""  # no spilling: a query beyond memory fails and the loader counts the month
    con.execute(f"SET temp_directory = {_lit(spill)}")
    return con


# -- the per-day calendar table -------------------------------------------------------------

def _calendar(con, terms, month: str, workcal: WorkCalendar, deadlines: bool) -> bool:
    """Create the temp table ``cal`` (one row per day from the month's first day to
    HORIZON_DAYS after its last): service time before each day, the day's open and close in
    ns (close = open on a day without service, C8) and, with ``deadlines``, the C3 deadline
    day of a complaint received that day. False when the working-day calendar cannot cover
    the month (the loader's path raises the error that names the year)."""
    import pyarrow as pa

    first, nxt = _month_span(month)
    epoch = dt.date(1970, 1, 1)
    lo, last = (first - epoch).days, (nxt - epoch).days - 1
    hi = last + HORIZON_DAYS
    hours = terms.service_hours
    while True:
        days = np.arange(lo, hi + 1, dtype=np.int64)
        try:
            service = np.ones(len(days), dtype=bool) if hours.days == "all" else workcal.is_workday_days(days)
            deadline = workcal.nth_workday_after_days(days[: last - lo + 1], terms.standards.complaint_solution_workdays) \
                if deadlines else None
            break
        except CalendarCoverageError:
            # the horizon runs into a year the calendar does not cover: stop at the year before
            end = (dt.date((epoch + dt.timedelta(int(hi))).year, 1, 1) - epoch).days - 1
            if end < last:
                return False
            hi = end
    minute = 60 * 10**9
    open_ns = np.full(len(days), hours.open * minute, dtype=np.int64)
    length = np.where(service, (hours.close - hours.open) * minute, 0).astype(np.int64)
    before = np.concatenate(([0], np.cumsum(length)[:-1]))
    cols = {"day": days, "open_ns": open_ns, "len_ns": length, "before_ns": before}
    if deadlines:
        full = np.full(len(days), -1, dtype=np.int64)
        full[: len(deadline)] = deadline
        cols["deadline_day"] = pa.array(full, mask=full < 0)
    con.register("cal_arrow", pa.table(cols))
    # a table of DuckDB's own: with its true size known, the joins hash the calendar (~120 rows)
    con.execute("CREATE OR REPLACE TEMP TABLE cal AS SELECT * FROM cal_arrow")
    con.unregister("cal_arrow")
    return True


def _service_ns(t: str, day: str) -> str:
    """SQL: service time (ns) from the calendar's first day up to instant ``t`` (C8), with the
    calendar row of t's day selected as ``<day>_day``, ``<day>_before`` ... (see _cal_row)."""
    return f"({day}_before + least(greatest({t} - {day}_day * {DAY_NS} - {day}_open, 0), {day}_len))"


def _cal_row(alias: str) -> str:
    """SQL select list: the calendar row ``alias`` of a join, as ``<alias>_day``, ``<alias>_before`` ..."""
    return (f"{alias}.day AS {alias}_day, {alias}.before_ns AS {alias}_before, "
            f"{alias}.open_ns AS {alias}_open, {alias}.len_ns AS {alias}_len")


def _zone_offset(tz: str, month: str, through: str | None = None) -> int | None:
    """The zone ``tz``'s UTC offset in ns when it is one from ``month`` (to the end of
    ``through``, else of ``month``) and over the horizon after it (China: always), else None.
    Naive times are the zone's wall clock and times with a zone become it by this offset; the
    engine counts on them as integers only then, so no time can fall in a DST gap (the loader
    sets such times aside)."""
    first, _ = _month_span(month)
    _, nxt = _month_span(through or month)
    lo = np.datetime64(first, "ns").astype(np.int64)
    hi = np.datetime64(nxt + dt.timedelta(days=HORIZON_DAYS), "ns").astype(np.int64)
    return constant_utc_offset(int(lo), int(hi), tz)


# -- the counts -----------------------------------------------------------------------------

def _channels(con, plan: _Table, month: str) -> dict[str, str] | None:
    """Each channel value written in the month -> the channel the loader reads it as
    (reading.cells._channel_of; None: unknown); None when the table has no channel column."""
    if "channel" not in plan.columns:
        return None
    e = plan.columns["channel"]
    raw = con.execute(f"SELECT DISTINCT {e} FROM {plan.source()} WHERE {_month_filter(plan, month)} AND {e} IS NOT NULL")
    return {value: _channel_of(value.strip()) for (value,) in raw.fetchall()}


def _channel_state(plan: _Table, channels: dict | None) -> str | None:
    """SQL: 1 for a known channel, 0 for a blank one, NULL for an unknown one (or no value)."""
    if channels is None:
        return None
    arms = " ".join(f"WHEN {_lit(v)} THEN {0 if v.strip() == '' else 1}" for v, ch in channels.items()
                    if ch is not None or v.strip() == "")
    return f"CASE {plan.columns['channel']} {arms} END" if arms else "CAST(NULL AS BIGINT)"


def _channel_case(plan: _Table, channels: dict | None, value_of) -> str | None:
    """SQL CASE giving ``value_of(channel)`` for each raw channel value; NULL for an unknown one."""
    if channels is None:
        return None
    arms = " ".join(f"WHEN {_lit(v)} THEN {value_of(ch)}" for v, ch in channels.items() if ch is not None)
    return f"CASE {plan.columns['channel']} {arms} END" if arms else "CAST(NULL AS BIGINT)"


@dataclass(frozen=True)
class _Query:
    """One group's SQL pieces: the month's rows (``m``) and each KPI's hit predicate over them."""

    rows: str  # SELECT ... FROM the file WHERE the month, with the calendar joined
    hits: dict[str, str]  # kpi -> SQL boolean: the row met it
    measured: dict[str, str]  # kpi -> SQL boolean: the row counts in the KPI's total
    extra: dict[str, str]  # name -> SQL aggregate, checks of the group


def _consultation_query(con, plan: _Table, terms, month: str, listing: bool = False, carry: str = "") -> _Query:
    """C1 (response within the channel's limit, in service time, C8) and C9 (resolved), as
    SQL over the month's consultations: the counterparts of kpis.consultation_response and
    kpis.consultation_resolution."""
    c = plan.columns
    channels = _channels(con, plan, month)
    limit = _channel_case(plan, channels, lambda ch: response_limit_ns(terms, ch))
    channel_ok = _channel_state(plan, channels)
    r, f = plan.ns("received_at"), plan.ns("first_response_at")
    rows = (f"SELECT {plan.listed(listing)}{carry}{r} AS r, {f} AS f, "
            f"{c['resolved']} AS resolved, {limit} AS limit_ns, ({_problems(plan, channel_ok)}) AS bad, "
            f"{_cal_row('a')}, {_cal_row('b')} "
            f"FROM {plan.source(listing)} JOIN cal a ON a.day = {r} // {DAY_NS} LEFT JOIN cal b ON b.day = {f} // {DAY_NS} "
            f"WHERE {_month_filter(plan, month)}")
    elapsed = f"{_service_ns('f', 'b')} - {_service_ns('r', 'a')}"
    return _Query(
        rows=rows,
        hits={"consultation_response": f"(f IS NOT NULL AND {elapsed} <= limit_ns)",
              "consultation_resolution": "resolved"},
        measured={"consultation_response": "TRUE", "consultation_resolution": "TRUE"},
        extra={"beyond": "count_if(f IS NOT NULL AND b_day IS NULL)"},
    )


def _complaint_query(con, plan: _Table, terms, month: str, listing: bool = False, carry: str = "") -> _Query:
    """C2 (contact within the hours, wall clock or service clock), C3 (preliminary solution
    by the deadline day, N working days after receipt) and C10 (satisfied of rated), as SQL
    over the month's complaints: the counterparts of kpis.complaint_contact,
    kpis.complaint_solution and kpis.complaint_satisfaction."""
    c = plan.columns
    std = terms.standards
    channel_ok = _channel_state(plan, _channels(con, plan, month))
    r, cc, s = plan.ns("received_at"), plan.ns("first_contact_at"), plan.ns("preliminary_solution_at")
    score = c.get("satisfaction", "CAST(NULL AS BIGINT)")
    rows = (f"SELECT {plan.listed(listing)}{carry}{r} AS r, {cc} AS c, {s} AS s, "
            f"{score} AS score, ({_problems(plan, channel_ok)}) AS bad, a.deadline_day AS deadline_day, "
            f"{_cal_row('a')}, {_cal_row('b')} "
            f"FROM {plan.source(listing)} JOIN cal a ON a.day = {r} // {DAY_NS} LEFT JOIN cal b ON b.day = {cc} // {DAY_NS} "
            f"WHERE {_month_filter(plan, month)}")
    if std.complaint_contact_clock == "service":
        contact = f"{_service_ns('c', 'b')} - {_service_ns('r', 'a')}"
        beyond = "count_if(c IS NOT NULL AND b_day IS NULL)"
    else:
        contact, beyond = "c - r", "0"
    return _Query(
        rows=rows,
        hits={"complaint_contact": f"(c IS NOT NULL AND {contact} <= {contact_limit_ns(terms)})",
              "complaint_solution": f"(s IS NOT NULL AND s // {DAY_NS} <= deadline_day)",
              "complaint_satisfaction": f"score >= {int(std.satisfied_min_score)}"},
        measured={"complaint_contact": "TRUE", "complaint_solution": "TRUE", "complaint_satisfaction": "score IS NOT NULL"},
        extra={"beyond": beyond, "no_deadline": "count_if(deadline_day IS NULL)"},
    )


def _followup_query(con, plan: _Table, terms, month: str, listing: bool = False, carry: str = "") -> _Query:
    """C11 (satisfied of rated follow-ups) and C6's numerator (distinct customers followed up;
    its total, the month's new customers, is counted beside it), as SQL over the month's
    follow-ups: the counterparts of kpis.followup_satisfaction and kpis.followup_coverage."""
    c = plan.columns
    channel_ok = _channel_state(plan, _channels(con, plan, month))
    score = c.get("satisfaction", "CAST(NULL AS BIGINT)")
    rows = (f"SELECT {plan.listed(listing)}{carry}{c['customer_id']} AS customer_id, "
            f"{score} AS score, ({_problems(plan, channel_ok)}) AS bad "
            f"FROM {plan.source(listing)} WHERE {_month_filter(plan, month)}")
    return _Query(
        rows=rows,
        hits={"followup_satisfaction": f"score >= {int(terms.standards.satisfied_min_score)}"},
        measured={"followup_satisfaction": "score IS NOT NULL"},
        extra={"followed": "count(DISTINCT customer_id)"},
    )


# each group's query (GROUP_TABLES)
_QUERIES = {"consultations": _consultation_query, "complaints": _complaint_query, "followups": _followup_query}


def _new_customer_rows(plan: _Table, month: str, listing: bool = False) -> str:
    return (f"SELECT {plan.listed(listing)}({_problems(plan, None)}) AS bad "
            f"FROM {plan.source(listing)} WHERE {_month_filter(plan, month)}")


def _aggregate(con, query: _Query) -> dict:
    """The group's counts in one scan: rows, problem rows, each KPI's total and met, the
    checks of ``query.extra``. Every count is an integer, 0 over no rows (DuckDB's count_if
    gives NULL there)."""
    counts = {"n": "count(*)", "bad": "count_if(bad)"}
    for kpi, hit in query.hits.items():
        counts[f"{kpi}_total"] = f"count_if({query.measured[kpi]})"
        counts[f"{kpi}_met"] = f"count_if({query.measured[kpi]} AND {hit})"
    counts.update(query.extra)
    select = ", ".join(f"coalesce({sql}, 0) AS {name}" for name, sql in counts.items())
    cursor = con.execute(f"SELECT {select} FROM ({query.rows}) m")
    return dict(zip([d[0] for d in cursor.description], cursor.fetchall()[0]))


def _ids_clean(con, plan: _Table, column: str, month: str, unique: bool) -> bool:
    """Whether the month's ``column`` (an id column) holds no empty value, none the loader
    would trim (Arrow's utf8_trim_whitespace, as reading.parquet._arrow_text) and, with ``unique``, no
    value twice. The values stream from the engine in file order, a batch at a time: ids that
    rise strictly through the file (exports sorted by id or by time) are proven unique by
    comparing neighbours; others by counting distinct 64-bit hashes (a collision only sends
    the month to the loader)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    e = plan.columns[column]
    where = f"FROM {plan.source()} WHERE {_month_filter(plan, month)}"
    rising, last = unique, None
    stream = con.cursor()  # a stream of its own: left unfinished, it must not block the connection
    try:
        for batch in stream.sql(f"SELECT {e} {where}").to_arrow_reader(1 << 20):
            v = batch.column(0)
            if len(v) == 0:
                continue
            if v.null_count:
                return False
            if pa.types.is_string(v.type) or pa.types.is_large_string(v.type):
                if _may_need_trim(v) and pc.any(pc.or_(pc.equal(v, ""), pc.not_equal(pc.utf8_trim_whitespace(v), v))).as_py():
                    return False
            if rising:
                rising = (last is None or last < v[0].as_py()) and (len(v) == 1 or pc.all(pc.less(v[:-1], v[1:])).as_py())
                last = v[-1].as_py()
    finally:
        stream.close()
    if unique and not rising:
        n, distinct = con.execute(f"SELECT count(*), count(DISTINCT hash({e})) {where}").fetchall()[0]
        return n == distinct
    return True


def _counts(con, group: str, plans: list, terms, month: str, workcal: WorkCalendar):
    """({kpi: (met, total)}, {table: TableAccount}) of one group on ``con``; None where a row
    would be set aside or the calendar cannot cover the month."""
    tables = GROUP_TABLES[group]
    if group != "followups" and not _calendar(con, terms, month, workcal, deadlines=group == "complaints"):
        return None
    query = _QUERIES[group](con, plans[0], terms, month)
    row = _aggregate(con, query)
    if row["bad"] or row.get("beyond") or row.get("no_deadline"):
        return None
    if not _ids_clean(con, plans[0], TABLES[tables[0]].id_column, month, unique=True):
        return None
    if group == "followups" and not _ids_clean(con, plans[0], "customer_id", month, unique=False):
        return None
    accounts = {tables[0]: TableAccount(tables[0], str(plans[0].path), row["n"], row["n"])}
    counts = {k: (row[f"{k}_met"], row[f"{k}_total"]) for k in query.hits}
    if group == "followups":
        new, bad = con.execute(f"SELECT count(*), coalesce(count_if(bad), 0) FROM ({_new_customer_rows(plans[1], month)}) m").fetchall()[0]
        if bad or not _ids_clean(con, plans[1], "customer_id", month, unique=True):
            return None
        accounts["new_customers"] = TableAccount("new_customers", str(plans[1].path), new, new)
        counts["followup_coverage"] = (row["followed"], new)
    return counts, accounts


_WARNED: set = set()


def _warn_once(message: str) -> None:
    import sys

    if message not in _WARNED:
        _WARNED.add(message)
        print(message, file=sys.stderr)


def count_group(group: str, files: dict, terms, month: str, workcal: WorkCalendar, con=None):
    """The KPIs of one group (GROUP_TABLES) for ``month`` counted by the engine, as
    ``({kpi: KpiResult with misses on demand}, {table: TableAccount})``; None when a table of
    the group is not a natively readable Parquet file or holds a row the loader would set
    aside (the caller then reads the month with the loader). ``con``: a connection of
    :func:`connect` to use (a month's groups share one), else one of its own."""
    tables = GROUP_TABLES[group]
    if not all(Path(files.get(t, "")).suffix.lower() == ".parquet" for t in tables):
        return None
    offset = _zone_offset(terms.contract.timezone, month)
    if offset is None:
        return None
    plans = [_plan(Path(files[t]), t, offset) for t in tables]
    if any(p is None for p in plans):
        return None
    import duckdb

    own = con is None
    con = connect() if own else con
    try:
        counted = _counts(con, group, plans, terms, month, workcal)
    except duckdb.Error as exc:  # the loader counts it; its own error, if any, is the one to see
        _warn_once(f"warning: the columnar engine could not count the {group} of {month} "
                   f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); the loader counts them")
        return None
    finally:
        if own:
            con.close()
    if counted is None:
        return None
    counts, accounts = counted
    results = {}
    for kpi, (met, total) in counts.items():
        misses = EngineMisses(group, {t: str(files[t]) for t in tables}, terms, month, kpi)
        results[kpi] = engine_result(terms, kpi, int(met), int(total), misses)
    return results, accounts


# -- counts per group of rows (the report's breakdowns) --------------------------------------

GROUP_KEYS = ("weekday", "hour")  # keys computed from the month column; any other key is a column


def group_counts(group: str, files: dict, terms, month: str, keys):
    """The month's rows of the first table of ``group`` (GROUP_TABLES) per group of ``keys``,
    as a pandas DataFrame: one row per group, the ``keys`` (the canonical channel; a free-text column's value as the
    loader reads it, trimmed, None when empty; ``weekday`` 0 = Monday and ``hour`` of the
    month column on the contract's wall clock), ``n`` rows, and ``<kpi>_met`` /
    ``<kpi>_total`` of each KPI of the table, by the predicates that count the month.

    For a month the engine counted (``count_group``), whose rows the loader would all keep;
    None where a key cannot be read natively or any row is a problem row (the caller then
    groups the loader's rows)."""
    import duckdb
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    table = GROUP_TABLES[group][0]
    offset = _zone_offset(terms.contract.timezone, month)
    plan = None if offset is None else _plan(Path(files[table]), table, offset)
    if plan is None:
        return None
    text = dict(plan.text)
    con = connect()
    try:
        channels = _channels(con, plan, month) if "channel" in keys else None
        carry = []
        for k in keys:
            if k == "channel" and channels is not None:
                carry.append(f"{_channel_case(plan, channels, _lit)} AS k_channel")
            elif k in text:
                carry.append(f"CAST({text[k]} AS VARCHAR) AS {_q('k_' + k)}")
            elif k in GROUP_KEYS and group != "followups":
                continue  # from r below
            else:
                return None
        if group != "followups" and not _calendar(con, terms, month, WorkCalendar.from_terms(terms), deadlines=group == "complaints"):
            return None
        query = _QUERIES[group](con, plan, terms, month, carry="".join(f"{c}, " for c in carry))
        hour_ns = 3600 * 10**9
        key_sql = {"weekday": f"(r // {DAY_NS} + 3) % 7", "hour": f"(r % {DAY_NS}) // {hour_ns}"}  # 1970-01-01: a Thursday
        select = [f"{key_sql[k] if k in key_sql else _q('k_' + k)} AS {_q(k)}" for k in keys]
        counts = ["count(*) AS n", "count_if(bad) AS bad"]
        for kpi, hit in query.hits.items():
            counts += [f"count_if({query.measured[kpi]}) AS {kpi}_total", f"count_if({query.measured[kpi]} AND {hit}) AS {kpi}_met"]
        by = f" GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}" if keys else ""
        frame = con.execute(f"SELECT {', '.join(select + counts)} FROM ({query.rows}) m{by}").fetch_df()
    except duckdb.Error as exc:  # the caller groups the loader's rows instead
        _warn_once(f"warning: the columnar engine could not group the {group} of {month} "
                   f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); the loader's rows are grouped")
        return None
    finally:
        con.close()
    if frame["bad"].sum():
        return None
    for k in keys:
        if k in text:  # trimmed as the loader trims text (reading.parquet._arrow_text); empty: none
            trimmed = pc.utf8_trim_whitespace(pa.array(frame[k].astype(object), type=pa.string()))
            frame[k] = pd.Series(trimmed.to_pylist(), dtype=object).where(lambda v: v != "", None)
        elif k in GROUP_KEYS:
            frame[k] = frame[k].astype("int64")
        else:
            frame[k] = frame[k].astype(object).where(frame[k].notna(), None)
    counts = [c for c in frame.columns if c not in keys and c != "bad"]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame = frame.drop(columns="bad")
    if keys:  # values that differ only by surrounding whitespace are one group, as in the loader
        frame = frame.groupby(list(keys), dropna=False, sort=False).sum().reset_index()
    return frame


# -- C4: the complaints still open at a month's end -----------------------------------------

def complaints_open_at_end(files: dict, tz: str, month: str, end_month: str, checked: bool = False):
    """``(received, closed)``: integer ns of the contract's wall clock (closed: NaT's value
    where empty) of the complaints of ``month``, a month before ``end_month``, that C4's
    status at the end of ``end_month`` counts: those not closed by its end (a complaint
    closed before it counts nowhere). None where the loader must read the month:
    a row it would set aside, a column not read natively, a zone ``tz`` whose offset is not
    one from ``month`` to ``end_month``. ``checked``: the month's rows were counted by the
    engine in this process (count_group), so its row and id checks passed and are not run again."""
    import duckdb

    path = Path(files.get("complaints", ""))
    if path.suffix.lower() != ".parquet":
        return None
    offset = _zone_offset(tz, month, through=end_month)
    plan = None if offset is None else _plan(path, "complaints", offset)
    if plan is None:
        return None
    where = _month_filter(plan, month)
    r, c = plan.ns("received_at"), plan.ns("closed_at")
    end_ns = int(np.datetime64(_month_span(end_month)[1], "ns").astype(np.int64))
    con = connect()
    try:
        if not checked:
            bad = con.execute(f"SELECT coalesce(count_if({_problems(plan, _channel_state(plan, _channels(con, plan, month)))}), 0) "
                              f"FROM {plan.source()} WHERE {where}").fetchall()[0][0]
            if bad or not _ids_clean(con, plan, "complaint_id", month, unique=True):
                return None
        times = con.execute(f"SELECT {r} AS r, {c} AS c FROM {plan.source()} WHERE {where} AND ({c} IS NULL OR {c} >= {end_ns})").fetchnumpy()
    except duckdb.Error as exc:  # the loader reads the month instead
        _warn_once(f"warning: the columnar engine could not read the open complaints of {month} "
                   f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); the loader reads them")
        return None
    finally:
        con.close()
    nat = np.iinfo(np.int64).min
    received = np.asarray(times["r"], dtype=np.int64)
    closed = times["c"]
    closed = np.asarray(closed.filled(nat) if np.ma.isMaskedArray(closed) else closed, dtype=np.int64)
    return received, closed


def names_within(path, columns, texts) -> list[str]:
    """The values of the name ``columns`` of a Parquet file (any row, any month), trimmed,
    that occur within any of ``texts``: the names to mask in labels the engine read from
    free-text columns (C20). Every piece of the (few, short) texts is a candidate, so the
    file is scanned once against a small set, never gathered into a set of every name."""
    texts = tuple(sorted({t for t in texts if isinstance(t, str) and t}))
    if not texts or not columns:
        return []
    stat = Path(path).stat()  # views of one notebook ask about the same labels: each file is scanned once for them
    return list(_names_within(str(path), stat.st_mtime_ns, stat.st_size, tuple(columns), texts))


_SPACE = " \t\n\r\x0b\x0c\u00a0\u3000"  # what the loader trims around a name


@lru_cache(maxsize=64)
def _names_within(path: str, mtime_ns: int, size: int, columns: tuple, texts: tuple) -> tuple:
    import pyarrow as pa

    pieces = sorted({t[i:j] for t in texts for i in range(len(t)) for j in range(i + 1, min(len(t), i + _NAME_CHARS) + 1)})
    source = f"read_parquet({_lit(str(path))})"
    con = connect()
    try:
        con.register("pieces", pa.table({"p": pa.array(pieces, pa.string())}))
        as_written = " UNION ALL ".join(f"SELECT {v} AS n FROM {source} SEMI JOIN pieces ON {v} = pieces.p"
                                        for v in (f"CAST({_q(c)} AS VARCHAR)" for c in columns))  # a hash probe per value
        found = {n for (n,) in con.execute(f"SELECT DISTINCT n FROM ({as_written}) names").fetchall()}
    finally:
        con.close()
    wanted = set(pieces)
    found |= {n for n in _padded_names(path, mtime_ns, size, columns) if n in wanted}
    return tuple(sorted(found))


@lru_cache(maxsize=64)
def _padded_names(path: str, _mtime_ns: int, _size: int, columns: tuple) -> frozenset:
    """The file's names written with spaces around them, trimmed (few, or none: the scan that
    finds them costs twice the hash probe, so it is made once per file and columns)."""
    edge = ", ".join(_lit(ch) for ch in _SPACE)
    source = f"read_parquet({_lit(str(path))})"
    values = [f"CAST({_q(c)} AS VARCHAR)" for c in columns]
    padded = " UNION ALL ".join(f"SELECT DISTINCT {v} AS e FROM {source} WHERE ({v})[1] IN ({edge}) OR ({v})[-1] IN ({edge})"
                                for v in values)
    con = connect()
    try:
        return frozenset(n for (n,) in con.execute(f"SELECT DISTINCT trim(e, {_lit(_SPACE)}) FROM ({padded}) p").fetchall() if n)
    finally:
        con.close()


_NAME_CHARS = 40  # a longer name is not looked for inside labels


@dataclass(frozen=True)
class EngineMisses:
    """The ids that missed one KPI of one month, queried from the Parquet files when asked
    (C21 drill-down, the report's misses tables), in file order, by the predicates that
    counted them. Small and picklable: paths and terms, no rows."""

    group: str
    files: dict
    terms: object
    month: str
    kpi: str

    def __call__(self) -> tuple[str, ...]:
        workcal = WorkCalendar.from_terms(self.terms)
        tables = GROUP_TABLES[self.group]
        plans = [_plan(Path(self.files[t]), t, _zone_offset(self.terms.contract.timezone, self.month)) for t in tables]
        con = connect()
        try:
            if self.group != "followups":
                _calendar(con, self.terms, self.month, workcal, deadlines=self.group == "complaints")
            if self.kpi == "followup_coverage":
                followed = f"SELECT customer_id FROM ({_followup_query(con, plans[0], self.terms, self.month).rows}) f"
                sql = (f"SELECT id FROM ({_new_customer_rows(plans[1], self.month, listing=True)}) m "
                       f"WHERE id NOT IN ({followed}) ORDER BY row_no")
            else:
                query = _QUERIES[self.group](con, plans[0], self.terms, self.month, listing=True)
                hit = query.hits[self.kpi]
                sql = (f"SELECT id FROM ({query.rows}) m WHERE {query.measured[self.kpi]} AND NOT coalesce({hit}, FALSE) "
                       f"ORDER BY row_no")
            return tuple(r[0] for r in con.execute(sql).fetchall())
        finally:
            con.close()



def misses_query(kpi: str, files: dict, terms, month: str) -> EngineMisses:
    """The engine's query for the ids that missed ``kpi`` in ``month`` (a month counted by the
    engine and kept in a KPI store without its ids)."""
    group = next(g for g, tables in GROUP_TABLES.items() if KPI_DEFINITIONS[kpi][1] in tables)
    return EngineMisses(group, {t: str(files[t]) for t in GROUP_TABLES[group]}, terms, month, kpi)
