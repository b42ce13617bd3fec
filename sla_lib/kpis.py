"""Monthly KPIs (spec section 3): C1, C2, C3, C6, C9, C10, C11 and the C4 complaint statistics.

Every rate is an exact ``Fraction`` of counts and is compared with its target exactly; each
KPI keeps the ids of the records that missed it, so a reader can open the misses (C21): as a
tuple when counted here from loaded frames, as a :class:`MissedIds` listed on demand when
counted by the columnar engine (:mod:`sla_lib.columnar`) straight from Parquet files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .calendar import ServiceCalendar, WorkCalendar, day_numbers, elapsed_wall_clock, in_month, month_days, to_local_naive
from .exact import ceil_share, decimal_text, pct_text, to_fraction
from .masking import mask_id
from .data import Dataset
from .errors import SlaError

# kpi key -> (clause, source table, id column, the terms' target attribute or None)
KPI_DEFINITIONS = {
    "consultation_response": ("C1", "consultations", "consultation_id", None),
    "consultation_resolution": ("C9", "consultations", "consultation_id", "targets.consultation_resolution_pct"),
    "complaint_contact": ("C2", "complaints", "complaint_id", None),
    "complaint_solution": ("C3", "complaints", "complaint_id", None),
    "complaint_satisfaction": ("C10", "complaints", "complaint_id", "targets.complaint_satisfaction_pct"),
    "followup_coverage": ("C6", "new_customers", "customer_id", "standards.followup_coverage_pct"),
    "followup_satisfaction": ("C11", "followups", "followup_id", "targets.followup_satisfaction_pct"),
}
FEE_KPIS = ("consultation_resolution", "complaint_satisfaction", "followup_satisfaction")
KPI_LABELS = {
    "consultation_response": ("咨询响应及时率", "Consultation response in time"),
    "consultation_resolution": ("咨询解决率", "Consultation resolution rate"),
    "complaint_contact": ("投诉联系及时率", "Complaint contact in time"),
    "complaint_solution": ("投诉初步方案及时率", "Complaint preliminary solution in time"),
    "complaint_satisfaction": ("投诉处理满意度", "Complaint satisfaction"),
    "followup_coverage": ("回访覆盖率", "Follow-up coverage"),
    "followup_satisfaction": ("回访满意度", "Follow-up satisfaction"),
}


# the event tables whose rows the KPIs count, and the KPIs each one feeds
EVENT_TABLE_KPIS = {
    "consultations": ("consultation_response", "consultation_resolution"),
    "complaints": ("complaint_contact", "complaint_solution", "complaint_satisfaction"),
    "followups": ("followup_coverage", "followup_satisfaction"),
    "new_customers": ("followup_coverage",),
}


def _target(terms, dotted: str | None) -> Decimal | None:
    if dotted is None:
        return None
    section, key = dotted.split(".")
    return getattr(getattr(terms, section), key)


class MissedIds(Sequence):
    """The ids that missed a KPI, listed when first read (C21 drill-down, the report's misses
    tables): ``query()`` gives them, in file order. A month counted by the columnar engine
    carries this instead of the ids, so a month's counts never hold millions of strings.
    ``count``: how many there are, when the counts already say (total − met), else None."""

    def __init__(self, query, count: int | None = None):
        self.query = query
        self.count = count
        self._ids: tuple[str, ...] | None = None

    @property
    def listed(self) -> bool:
        return self._ids is not None

    def _list(self) -> tuple[str, ...]:
        if self._ids is None:
            if self.query is None:
                raise SlaError("the missed ids of this month were not kept (a KPI cache entry made "
                               "without them); count the month again")
            ids = tuple(self.query())
            if self.count is not None and len(ids) != self.count:  # the counts and the list disagree: a bug
                raise RuntimeError(f"internal error: {len(ids)} missed ids listed where the counts say {self.count}")
            self._ids = ids
        return self._ids

    def __len__(self) -> int:
        return self.count if self._ids is None and self.count is not None else len(self._list())

    def __getitem__(self, i):
        return self._list()[i]

    def __iter__(self):
        return iter(self._list())

    def __eq__(self, other):
        if isinstance(other, (tuple, list, MissedIds)):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self):
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"MissedIds({len(self._ids)} listed)" if self._ids is not None else f"MissedIds(on demand, {self.count})"

    def __reduce__(self):  # pickled with what is listed so far (the report's inputs cache)
        return (_missed_ids, (self.query, self.count, self._ids))


def _missed_ids(query, count, ids):
    out = MissedIds(query, count)
    out._ids = ids
    return out


@dataclass(frozen=True)
class KpiResult:
    """One KPI for one month: numerator, denominator, exact rate, target and the misses."""

    kpi: str
    clause: str
    met: int
    total: int
    target_pct: Decimal | None
    na_counts_as: str = "met"
    missed_ids: tuple[str, ...] | MissedIds = field(default=(), repr=False)

    @property
    def rate(self) -> Fraction | None:
        """Exact share met/total; None (n/a) when there is nothing to measure."""
        return Fraction(self.met, self.total) if self.total else None

    @property
    def rate_pct(self) -> str | None:
        return pct_text(self.rate)

    @property
    def ok(self) -> bool | None:
        """Met (rate ≥ target, exactly)? None when the KPI has no target."""
        if self.target_pct is None:
            return None
        if self.rate is None:
            return self.na_counts_as == "met"
        return self.rate * 100 >= to_fraction(self.target_pct)

    @property
    def status(self) -> str:
        if self.rate is None:
            return "n/a"
        if self.ok is None:
            return "measured"
        return "met" if self.ok else "missed"

    def to_json(self) -> dict:
        return {
            "met": self.met,
            "total": self.total,
            "rate_pct": self.rate_pct,
            "target_pct": None if self.target_pct is None else decimal_text(self.target_pct),
            "ok": self.ok,
        }


def _result(terms, kpi: str, hit: np.ndarray, ids: pd.Series) -> KpiResult:
    clause, _, _, target_key = KPI_DEFINITIONS[kpi]
    hit = np.asarray(hit, dtype=bool)
    return KpiResult(
        kpi=kpi,
        clause=clause,
        met=int(hit.sum()),
        total=int(hit.size),
        target_pct=_target(terms, target_key),
        na_counts_as=terms.na_counts_as,
        missed_ids=tuple(ids[~hit].astype(str).tolist()),  # convert only the misses
    )


def engine_result(terms, kpi: str, met: int, total: int, misses) -> KpiResult:
    """A KPI counted by the columnar engine (:mod:`sla_lib.columnar`): the ids that missed it
    are listed by ``misses()`` when read. C6's misses (new customers without a follow-up) are
    not total − met, so their number waits for the list too."""
    clause, _, _, target_key = KPI_DEFINITIONS[kpi]
    count = None if kpi == "followup_coverage" else total - met
    return KpiResult(kpi=kpi, clause=clause, met=met, total=total, target_pct=_target(terms, target_key),
                     na_counts_as=terms.na_counts_as, missed_ids=MissedIds(misses, count))


def month_rows(frame: pd.DataFrame, column: str, month: str, tz: str | None = None) -> pd.DataFrame:
    """The rows of a table that belong to ``month`` by the timestamp ``column`` (spec 2): the
    frame itself when all its rows do (read-only, like every loaded table)."""
    inside = in_month(frame[column], month, tz)
    return frame if inside.all() else frame[inside]


def response_limit_ns(terms, channel: str) -> int:
    """C1's limit for ``channel`` in integer nanoseconds (exact for any limit written to the
    ns; a response exactly at the limit is in time)."""
    return int(Decimal(terms.standards.response_limit_minutes(channel)) * 60 * 10**9)


def contact_limit_ns(terms) -> int:
    """C2's limit, ``complaint_contact_hours``, in integer nanoseconds."""
    return int(terms.standards.complaint_contact_hours * 3600 * 10**9)


def consultation_response(consultations: pd.DataFrame, terms, service: ServiceCalendar) -> KpiResult:
    """C1: consultations answered within the response limit, counted in service time (C8).
    The limit is one number or one per channel."""
    elapsed = service.elapsed(consultations["received_at"], consultations["first_response_at"])
    channels = ("phone", "email", "chat")
    limits = np.array([response_limit_ns(terms, c) for c in channels], dtype=np.int64)
    codes = pd.Categorical(consultations["channel"], categories=channels).codes
    limit = limits[codes]
    hit = elapsed.notna().to_numpy() & (elapsed.to_numpy().view(np.int64) <= limit)
    return _result(terms, "consultation_response", hit, consultations["consultation_id"])


def consultation_resolution(consultations: pd.DataFrame, terms) -> KpiResult:
    """C9: resolved consultations / all consultations of the month."""
    hit = consultations["resolved"].fillna(False).to_numpy(dtype=bool)
    return _result(terms, "consultation_resolution", hit, consultations["consultation_id"])


def complaint_contact_elapsed(complaints: pd.DataFrame, terms, service: ServiceCalendar) -> pd.Series:
    """C2's clock: time to first contact in wall-clock time, or in service time when
    ``complaint_contact_clock: service`` (timedelta64; NaT where never contacted)."""
    if terms.standards.complaint_contact_clock == "service":
        return service.elapsed(complaints["received_at"], complaints["first_contact_at"])
    return elapsed_wall_clock(complaints["received_at"], complaints["first_contact_at"], terms.contract.timezone)


def complaint_contact(complaints: pd.DataFrame, terms, service: ServiceCalendar) -> KpiResult:
    """C2: complaints whose customer was contacted within ``complaint_contact_hours``."""
    elapsed = complaint_contact_elapsed(complaints, terms, service)
    limit = contact_limit_ns(terms)
    hit = elapsed.notna().to_numpy() & (elapsed.to_numpy().view(np.int64) <= limit)
    return _result(terms, "complaint_contact", hit, complaints["complaint_id"])


def complaint_solution_deadline(received_at: pd.Series, terms, workcal: WorkCalendar) -> pd.Series:
    """C3: the last day (to 24:00) for the preliminary solution: the N-th working day after
    the day the complaint was received (civil-code rule, spec section 2)."""
    local = to_local_naive(received_at, terms.contract.timezone)
    days = day_numbers(local.to_numpy())
    deadline = workcal.nth_workday_after_days(days, terms.standards.complaint_solution_workdays)
    return pd.Series(deadline.astype("datetime64[D]"), index=received_at.index)


def complaint_solution(complaints: pd.DataFrame, terms, workcal: WorkCalendar) -> KpiResult:
    """C3: complaints with a preliminary solution by the end of their deadline day."""
    deadline = complaint_solution_deadline(complaints["received_at"], terms, workcal).to_numpy()
    solved = to_local_naive(complaints["preliminary_solution_at"], terms.contract.timezone)
    solved_day = solved.to_numpy().astype("datetime64[D]")
    hit = solved.notna().to_numpy() & (solved_day <= deadline)
    return _result(terms, "complaint_solution", hit, complaints["complaint_id"])


def _satisfied(frame: pd.DataFrame, terms) -> tuple[np.ndarray, pd.Series]:
    rated = frame[frame["satisfaction"].notna()]
    hit = (rated["satisfaction"].astype("int64") >= terms.standards.satisfied_min_score).to_numpy()
    return hit, rated


def complaint_satisfaction(complaints: pd.DataFrame, terms) -> KpiResult:
    """C10: rated complaints with satisfaction ≥ ``satisfied_min_score`` / rated complaints."""
    hit, rated = _satisfied(complaints, terms)
    return _result(terms, "complaint_satisfaction", hit, rated["complaint_id"])


def followup_satisfaction(followups: pd.DataFrame, terms) -> KpiResult:
    """C11: rated follow-ups with satisfaction ≥ ``satisfied_min_score`` / rated follow-ups."""
    hit, rated = _satisfied(followups, terms)
    return _result(terms, "followup_satisfaction", hit, rated["followup_id"])


def is_in(values: pd.Series, members) -> np.ndarray:
    """values.isin(members) as a bool array, hashed in Arrow (pandas' own isin on Arrow
    strings loops over the members in Python: seconds for a million ids). ``members``: an
    Arrow array of distinct values, or any collection of strings (missed ids)."""
    if not isinstance(members, pa.Array):
        members = pa.array(list(members), pa.string())
    found = pc.is_in(pa.array(values.astype("string[pyarrow]").array), value_set=members)
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def followup_coverage(followups: pd.DataFrame, new_customers: pd.DataFrame, terms) -> KpiResult:
    """C6: distinct customers followed up in the month / new customers acquired in the month.
    The misses listed are the month's new customers with no follow-up that month."""
    followed = pc.unique(pa.array(followups["customer_id"].dropna().astype("string[pyarrow]").array))
    not_followed = ~is_in(new_customers["customer_id"], followed)
    clause, _, _, target_key = KPI_DEFINITIONS["followup_coverage"]
    return KpiResult(
        kpi="followup_coverage",
        clause=clause,
        met=len(followed),
        total=int(len(new_customers)),
        target_pct=_target(terms, target_key),
        na_counts_as=terms.na_counts_as,
        missed_ids=tuple(new_customers["customer_id"][not_followed].astype(str).tolist()),
    )


def quota_required(result: KpiResult) -> int | None:
    """C6 is a quota, not a rate of records: the least number of distinct customers to follow
    up this month so that coverage meets the target, ceil(target % × new customers), exactly;
    None for a KPI without a target or with no new customers."""
    if result.target_pct is None or result.total == 0:
        return None
    return ceil_share(result.target_pct, result.total)


def shortfall(result: KpiResult) -> int:
    """How many missed: the records that missed (C1–C3, C9–C11), or for the C6 quota the
    customers still to follow up to reach it (its met counts every customer followed up, so
    the new customers without a follow-up, ``missed_ids``, are not what it lacks)."""
    if result.kpi == "followup_coverage":
        required = quota_required(result)
        return 0 if required is None else max(0, required - result.met)
    return result.total - result.met


@dataclass(frozen=True)
class MonthKpis:
    """All KPIs of one month, in the order of KPI_DEFINITIONS."""

    month: str
    results: dict[str, KpiResult]

    def __getitem__(self, kpi: str) -> KpiResult:
        return self.results[kpi]

    @property
    def tables_without_rows(self) -> tuple[str, ...]:
        """The event tables with no row at all in this month ("no data"), in the order of
        EVENT_TABLE_KPIS: a month the export misses, or a month with truly no complaints.
        Their KPIs are n/a and, unless ``na_counts_as: missed``, count as met: the flag
        makes that visible, it does not change the pricing.

        Read from the counts: consultations, complaints and new customers are the totals of
        C9, C2 and C6 (all rows of the month); follow-ups are C6's numerator, the distinct
        customers followed up (``customer_id`` is required, so a follow-up row always has
        one). So the flag needs no extra pass and holds for months read from a KPI cache."""
        r = self.results
        rows = {
            "consultations": r["consultation_resolution"].total,
            "complaints": r["complaint_contact"].total,
            "followups": r["followup_coverage"].met,
            "new_customers": r["followup_coverage"].total,
        }
        return tuple(t for t in EVENT_TABLE_KPIS if rows[t] == 0)

    @property
    def no_data_kpis(self) -> tuple[str, ...]:
        """The KPIs fed by a table with no rows this month (see :attr:`tables_without_rows`)."""
        empty = self.tables_without_rows
        return tuple(k for k in KPI_DEFINITIONS if any(k in EVENT_TABLE_KPIS[t] for t in empty))

    @property
    def failing_fee_kpis(self) -> list[str]:
        """C19: fee KPIs (C9–C11) missed this month."""
        return [k for k in FEE_KPIS if self.results[k].ok is False]

    def to_json(self) -> dict:
        return {k: r.to_json() for k, r in self.results.items()}

    def to_frame(self, lang: str = "en") -> pd.DataFrame:
        """One row per KPI: clause, label, met, total, rate %, target %, status, missed
        (:func:`shortfall`) and, for the C6 quota, the customers required (:func:`quota_required`)."""
        rows = []
        for key, r in self.results.items():
            zh, en = KPI_LABELS[key]
            rows.append(
                {
                    "kpi": key,
                    "clause": r.clause,
                    "label": zh if lang == "zh" else en,
                    "met": r.met,
                    "total": r.total,
                    "rate_pct": r.rate_pct,
                    "target_pct": None if r.target_pct is None else decimal_text(r.target_pct),
                    "status": r.status,
                    "missed": shortfall(r),
                    "required": quota_required(r) if key == "followup_coverage" else None,
                }
            )
        return pd.DataFrame(rows).astype({"required": "Int64"}).set_index("kpi")


def month_kpis(data, terms, month: str, workcal: WorkCalendar | None = None) -> MonthKpis:
    """Every KPI of ``month`` ('YYYY-MM') from the loaded tables (a Dataset, a mapping, or a
    :class:`~sla_lib.monthly.MonthlyData`, whose month is read now and let go after).
    ``data.kpi_cache``, when there is one, is read first and filled after."""
    cache = getattr(data, "kpi_cache", None)
    key = (terms.fingerprint, month)
    if cache is not None:
        cached = cache.get(key)
        if cached is not None:
            problem = implausible(cached, terms, month)
            if problem is None:
                attach = getattr(data, "attach_misses", None)  # a MonthlyData: the engine's queries
                return cached if attach is None else attach(cached, terms, month)
            _distrust(cache, key, problem)  # recomputed below and written over
    workcal = workcal or WorkCalendar.from_terms(terms)
    count_month = getattr(data, "count_month", None)  # a MonthlyData: the engine, or each group read and let go
    if count_month is not None:
        parts = count_month(KPI_GROUPS, terms, month, workcal)
    else:
        parts = [compute(data, terms, month, workcal) for _, _, compute in KPI_GROUPS]
    found = {k: v for part in parts for k, v in part.items()}
    result = MonthKpis(month=month, results={k: found[k] for k in KPI_DEFINITIONS})
    if cache is not None:
        cache[key] = result
    return result


def implausible(kpis, terms, month: str) -> str | None:
    """Why a month's KPIs taken from a cache cannot be these terms' ``month``, or None when
    they can: the month, the set of KPI keys and each result's key, clause, target and
    ``na_counts_as`` must be the terms' own; counts non-negative integers (not booleans);
    ``met ≤ total`` (C6's numerator counts every customer followed up, new or not, so for
    C6 only the misses are bounded); as many missed ids as ``total − met``."""
    if not isinstance(kpis, MonthKpis) or kpis.month != month:
        return f"it is not month {month}"
    if not isinstance(kpis.results, dict) or list(kpis.results) != list(KPI_DEFINITIONS):
        return "its KPIs are not " + ", ".join(KPI_DEFINITIONS)
    for key, r in kpis.results.items():
        clause, _, _, target_key = KPI_DEFINITIONS[key]
        if not isinstance(r, KpiResult) or r.kpi != key or r.clause != clause:
            return f"{key}: not the {clause} result"
        if not all(type(v) is int and v >= 0 for v in (r.met, r.total)):
            return f"{key}: met {r.met!r} and total {r.total!r} are not non-negative integers"
        ids = r.missed_ids
        misses = ids.count if isinstance(ids, MissedIds) and not ids.listed else len(ids)  # None: on demand
        if key == "followup_coverage":
            if misses is not None and misses > r.total:
                return f"{key}: {misses} misses of {r.total}"
        elif r.met > r.total or misses != r.total - r.met:
            return f"{key}: met {r.met} of total {r.total} with {misses} misses"
        if r.target_pct != _target(terms, target_key) or r.na_counts_as != terms.na_counts_as:
            return f"{key}: target or na_counts_as differ from the terms"
    return None


_WARNED: set = set()


def _distrust(cache, key, problem: str) -> None:
    """A cached month failed :func:`implausible`: dropped (and recomputed by the caller),
    reported once per cache entry on stderr."""
    import sys

    where = getattr(cache, "describe", lambda k: f"month {k[1]} of the KPI cache")(key)
    with_problem = (where, problem)
    if with_problem not in _WARNED:
        _WARNED.add(with_problem)
        print(f"warning: {where} ignored and recomputed: {problem}", file=sys.stderr)
    try:
        del cache[key]
    except (KeyError, OSError):
        pass


def check_months_in_contract(terms, months) -> None:
    """SlaError for the first of ``months`` ('YYYY-MM') that shares no day with the contract:
    its term ``term.start..term.end`` and the renewed term (C7: ``renewal_months`` from the
    day after the end; the contract renews unless a party objects, which the terms file does
    not record, so the renewal's months are allowed; docs/decisions.md)."""
    term = terms.term
    allowed = terms.contract_months
    first, last = allowed[0], allowed[-1]
    for month in months:
        if month not in allowed:
            raise SlaError(
                f"month {month} is outside the contract term {term.start}..{term.end} (renewed to {term.renewed_end}); "
                f"choose a month from {first} to {last}, or check term.start/term.end in the terms file"
            )


def with_month_memo(data):
    """``data`` itself when it memoizes its months (a Dataset, MonthlyData: ``kpi_cache``),
    else a Dataset over the same frames that does, so that C19's look back and a range of
    statements count each month once whatever tables they are given."""
    if hasattr(data, "kpi_cache"):
        return data
    return Dataset(tables=dict(data), accounting={}, files={})


def _consultation_kpis(data, terms, month: str, workcal: WorkCalendar) -> dict[str, KpiResult]:
    consultations = month_rows(data["consultations"], "received_at", month, terms.contract.timezone)
    service = ServiceCalendar.from_terms(terms, workcal)
    return {
        "consultation_response": consultation_response(consultations, terms, service),
        "consultation_resolution": consultation_resolution(consultations, terms),
    }


def _complaint_kpis(data, terms, month: str, workcal: WorkCalendar) -> dict[str, KpiResult]:
    complaints = month_rows(data["complaints"], "received_at", month, terms.contract.timezone)
    service = ServiceCalendar.from_terms(terms, workcal)
    return {
        "complaint_contact": complaint_contact(complaints, terms, service),
        "complaint_solution": complaint_solution(complaints, terms, workcal),
        "complaint_satisfaction": complaint_satisfaction(complaints, terms),
    }


def _followup_kpis(data, terms, month: str, workcal: WorkCalendar) -> dict[str, KpiResult]:
    tz = terms.contract.timezone
    followups = month_rows(data["followups"], "visited_at", month, tz)
    new_customers = month_rows(data["new_customers"], "acquired_at", month, tz)
    return {
        "followup_coverage": followup_coverage(followups, new_customers, terms),
        "followup_satisfaction": followup_satisfaction(followups, terms),
    }


# (group, tables, function): the KPIs that one read of those tables gives; the columnar
# engine counts the same groups (columnar.GROUP_TABLES), and a MonthlyData reads a group's
# tables with the loader when the engine cannot take them.
KPI_GROUPS = (
    ("consultations", ("consultations",), _consultation_kpis),
    ("complaints", ("complaints",), _complaint_kpis),
    ("followups", ("followups", "new_customers"), _followup_kpis),
)


def kpi_series(data, terms, months: list[str]) -> pd.DataFrame:
    """Monthly KPI series for trends: one row per (month, kpi) with exact counts; ``rate`` is
    a float for plotting only (decisions use ``status``)."""
    workcal = WorkCalendar.from_terms(terms)
    rows = []
    for month in months:
        table = month_kpis(data, terms, month, workcal).to_frame()
        table["month"] = month
        rows.append(table.reset_index())
    frame = pd.concat(rows, ignore_index=True)
    frame["rate"] = [None if t == 0 else m / t * 100 for m, t in zip(frame["met"], frame["total"])]
    return frame


# -- C4: complaint statistics ---------------------------------------------------------------

AGEING_BUCKETS = [(0, 3, "0-3"), (4, 7, "4-7"), (8, 14, "8-14"), (15, 30, "15-30"), (31, None, ">30")]


@dataclass
class ComplaintStatistics:
    """C4: the periodic complaint statistics Party B owes Party A."""

    month: str
    by_category_channel: pd.DataFrame
    status_at_month_end: pd.DataFrame
    ageing_open: pd.DataFrame
    handling_times: pd.DataFrame
    repeat_complainers: pd.DataFrame


def complaint_statistics(data, terms, month: str, top: int = 10) -> ComplaintStatistics:
    """C4: volume by category and channel, open vs closed at month end, ageing of open
    complaints (calendar days at month end), hours to first contact and to preliminary
    solution (median, p90), and the top repeat complainers with masked ids."""
    tz = terms.contract.timezone
    if hasattr(data, "complaints_open_at_end"):  # read month by month: the month, and the open ones before it
        all_complaints = data.complaints_open_at_end(month)
        complaints = data.rows("complaints", month)
    else:
        all_complaints = data["complaints"]
        complaints = month_rows(all_complaints, "received_at", month, tz)
    first, last = month_days(month)
    month_end = pd.Timestamp(last + dt.timedelta(days=1))  # 24:00 of the last day

    cat = complaints["category"] if "category" in complaints else pd.Series("—", index=complaints.index)
    chan = complaints["channel"] if "channel" in complaints else pd.Series("—", index=complaints.index)
    by_cc = pd.crosstab(cat.astype("string").fillna("—"), chan.astype("string").fillna("—"), margins=True, margins_name="total")

    received = to_local_naive(all_complaints["received_at"], tz)
    closed = to_local_naive(all_complaints["closed_at"], tz)
    open_at_end = (received < month_end) & (closed.isna() | (closed >= month_end))
    this_month = in_month(all_complaints["received_at"], month, tz)
    status = pd.DataFrame(
        {
            "received_this_month": [int(this_month.sum())],
            "closed_by_month_end": [int((this_month & ~open_at_end.to_numpy()).sum())],
            "open_at_month_end_from_this_month": [int((this_month & open_at_end.to_numpy()).sum())],
            "open_at_month_end_from_earlier": [int((open_at_end & (received < pd.Timestamp(first))).to_numpy().sum())],
        }
    )

    age_days = (month_end - received[open_at_end]).dt.days
    ageing = []
    for lo, hi, label in AGEING_BUCKETS:
        inside = (age_days >= lo) & (True if hi is None else age_days <= hi)
        ageing.append({"age_days": label, "open_complaints": int(np.sum(inside))})

    def hours(a, b):
        h = elapsed_wall_clock(complaints[a], complaints[b], tz).dt.total_seconds() / 3600
        h = h.dropna()
        return [len(h), h.median() if len(h) else None, h.quantile(0.9) if len(h) else None]

    handling = pd.DataFrame(
        [["first_contact", *hours("received_at", "first_contact_at")], ["preliminary_solution", *hours("received_at", "preliminary_solution_at")]],
        columns=["step", "count", "median_hours", "p90_hours"],
    ).set_index("step")

    counts = complaints.groupby("customer_id", observed=True).size()
    repeat = counts[counts >= 2].sort_values(ascending=False, kind="stable").head(top)
    repeaters = pd.DataFrame({"customer": mask_id(pd.Series(repeat.index.astype(str))).to_numpy(), "complaints": repeat.to_numpy()})

    return ComplaintStatistics(
        month=month,
        by_category_channel=by_cc,
        status_at_month_end=status,
        ageing_open=pd.DataFrame(ageing),
        handling_times=handling,
        repeat_complainers=repeaters,
    )
