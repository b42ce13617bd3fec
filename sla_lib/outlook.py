"""The month in progress (issue 15): where the month is heading, what it takes to meet each
fee target, the fee at risk and the deadlines ahead, as of a date inside the month.

Nothing here counts a KPI or prices a month itself:

* the month to date is :func:`sla_lib.kpis.month_kpis` over :func:`known_at`, a view of the
  tables holding only the rows dated up to the end of the as-of date (what an export made
  that evening would hold);
* the history's arrivals per working day and per other day are ``month_kpis`` totals over
  two more views of the same tables (:func:`rows_where`: rows of working days, rows of the
  other days);
* the rate model's prior is :func:`sla_lib.renewal.fit_beta_binomial` (the renewal
  simulation's beta-binomial) fitted to the months before the month;
* every simulated month end is priced by :func:`sla_lib.fees.price_performance`, the exact
  integer arithmetic that :func:`sla_lib.fees.performance_adjustment` (C13/C14) runs; the
  statements "if the month ended today" and "at the projected rates" are
  ``performance_adjustment`` itself, and C15–C19 come from
  :func:`sla_lib.fees.month_fee_statement` as of the date.

The method, its limits and the backtest's figures: docs/outlook.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np

from .calendar import WorkCalendar, day_numbers, month_days, parse_month, to_local_naive
from .data import Dataset
from .exact import Rate, ceil_share, decimal_text, pct_text, round_half_up, to_fen
from .errors import SlaError
from .fees import (
    FeeStatement,
    PerformanceAdjustment,
    fee_statements,
    month_fee_statement,
    payment_due_date,
    performance_adjustment,
    price_performance,
)
from .kpis import FEE_KPIS, KPI_DEFINITIONS, KpiResult, MonthKpis, month_kpis
from .renewal import History, fit_beta_binomial, renewal_dates

# a deadline this many days ahead (or less) is "soon" and warned of; see docs/outlook.md
WARNING_DAYS = 7
# the projected rate's interval: the 5th and 95th percentiles of the simulated month ends
INTERVAL_PCT = (5, 95)
DRAWS = 20_000
SEED = 1
# fewer months of history than this: the rate prior is uniform, Beta(1, 1)
MIN_HISTORY_MONTHS = 3

# the column that dates each table's rows (spec section 2 for the event tables; the money
# tables by the day the payment or invoice was made)
TIME_COLUMNS = {
    "consultations": "received_at",
    "complaints": "received_at",
    "followups": "visited_at",
    "new_customers": "acquired_at",
    "payments": "paid_at",
    "invoices": "issued_at",
    "onsite_visits": "visited_at",
}
# KPIs whose numerator is a count of the denominator's records (met ≤ total): projected
# with the beta-binomial. C6's numerator (distinct customers followed up) is not.
BINOMIAL_KPIS = tuple(k for k in KPI_DEFINITIONS if k != "followup_coverage")
_EPOCH = dt.date(1970, 1, 1)
_NAT_DAY = np.iinfo(np.int64).min


def _day(date: dt.date) -> int:
    return (date - _EPOCH).days


def _date(day: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(day))


# -- views of the tables ----------------------------------------------------------------------

def _local_days(frame, column: str, tz: str) -> np.ndarray:
    """Local day number of each row's timestamp (NaT: the int64 minimum)."""
    return day_numbers(to_local_naive(frame[column], tz).to_numpy())


def rows_where(data, terms, keep) -> Dataset:
    """A view of ``data``'s tables: in each table of :data:`TIME_COLUMNS`, the rows whose local
    day (days since 1970-01-01 of their time column in the contract zone) passes
    ``keep(days) -> bool array``; rows with no date are dropped. A new Dataset with its own
    (empty) KPI cache, so its months are never confused with the full tables' months."""
    tz = terms.contract.timezone
    tables = {}
    for name in (data.tables if isinstance(data, Dataset) else data):
        frame = data[name]
        column = TIME_COLUMNS.get(name)
        if column is None or column not in frame:
            tables[name] = frame
            continue
        days = _local_days(frame, column, tz)
        dated = days != _NAT_DAY
        chosen = np.zeros(len(frame), dtype=bool)
        if dated.any():
            chosen[dated] = keep(days[dated])
        tables[name] = frame if chosen.all() else frame[chosen]
    return Dataset(tables=tables, accounting=getattr(data, "accounting", {}), files=getattr(data, "files", {}))


class MonthByMonthView:
    """:func:`rows_where` over tables read one month at a time (a Parquet folder,
    :class:`sla_lib.monthly.MonthlyData`): ``month_kpis`` asks it for one month's groups,
    which are read then, cut by ``keep`` and let go when another month is asked for, so an
    outlook holds one month of rows however many months it looks back over. The money
    tables (a few rows) are cut once. Views of one outlook share ``reads``: the month read
    last, per group of tables."""

    def __init__(self, data, terms, keep, reads: dict | None = None):
        self.data, self.terms, self.keep = data, terms, keep
        self.money = rows_where(data.money, terms, keep)
        self.files = data.files
        self.kpi_cache: dict = {}  # this view's months, never confused with the full tables'
        self._reads = {} if reads is None else reads

    def __getitem__(self, name: str):
        return self.money[name]  # an event table is only read by month (KeyError otherwise)

    def narrowed(self, keep) -> "MonthByMonthView":
        """The rows of this view that ``keep`` keeps too (it sees the same day numbers)."""
        mine = self.keep
        return MonthByMonthView(self.data, self.terms, lambda days: mine(days) & keep(days), self._reads)

    def count_month(self, groups, terms, month: str, workcal) -> list[dict]:
        if self._reads.get("month") != month:
            self._reads.clear()
            self._reads["month"] = month
        out = []
        for _, tables, compute in groups:
            tables = tuple(tables)
            if tables not in self._reads:
                self._reads[tables] = self.data.month(month, tables)
            out.append(compute(rows_where(self._reads[tables], terms, self.keep), terms, month, workcal))
        return out


def _view(data, terms, keep):
    """:func:`rows_where`, or a :class:`MonthByMonthView` of tables read one month at a time."""
    if isinstance(data, MonthByMonthView):
        return data.narrowed(keep)
    if hasattr(data, "count_month") and hasattr(data, "money"):
        return MonthByMonthView(data, terms, keep)
    return rows_where(data, terms, keep)


def known_at(data, terms, as_of: dt.date) -> Dataset | MonthByMonthView:
    """The tables as known at the end (24:00) of ``as_of`` in the contract zone: consultations
    and complaints received, follow-ups made, customers acquired, payments made, invoices
    issued and visits made on or before that day. ``month_kpis`` of this view is the month
    to date (C1–C3, C6, C9–C11), by the same code as the full month."""
    last = _day(as_of)
    return _view(data, terms, lambda days: days <= last)


def _day_type_views(data, terms, workcal: WorkCalendar):
    """(rows dated on PRC working days, rows dated on the other days)."""
    return (_view(data, terms, workcal.is_workday_days),
            _view(data, terms, lambda days: ~workcal.is_workday_days(days)))


# -- the month's calendar ---------------------------------------------------------------------

@dataclass(frozen=True)
class MonthPosition:
    """Where ``as_of`` stands in ``month``: days elapsed (up to and including the as-of date,
    or the whole month when the date is after it) and days remaining, by working day (PRC
    calendar with the terms' overrides) and other day."""

    month: str
    as_of: dt.date
    first: dt.date
    last: dt.date
    elapsed_workdays: int
    elapsed_other_days: int
    remaining_workdays: int
    remaining_other_days: int

    @property
    def remaining_days(self) -> int:
        return self.remaining_workdays + self.remaining_other_days

    def to_json(self) -> dict:
        return {
            "first": self.first.isoformat(), "last": self.last.isoformat(),
            "elapsed_workdays": self.elapsed_workdays, "elapsed_other_days": self.elapsed_other_days,
            "remaining_workdays": self.remaining_workdays, "remaining_other_days": self.remaining_other_days,
        }


def _workday_counts(workcal: WorkCalendar, first: int, last: int) -> tuple[int, int]:
    """(working days, other days) in the day numbers [first, last]."""
    if last < first:
        return 0, 0
    flags = workcal.is_workday_days(np.arange(first, last + 1, dtype=np.int64))
    return int(flags.sum()), int((~flags).sum())


def month_position(month: str, as_of: dt.date, workcal: WorkCalendar) -> MonthPosition:
    """C8/spec 2 calendar of the month in progress: working days elapsed and remaining."""
    first, last = month_days(month)
    if as_of < first:
        raise SlaError(f"as-of date {as_of} is before the month {month}: an outlook looks at a month that has started")
    cut = min(_day(as_of), _day(last))
    ew, eo = _workday_counts(workcal, _day(first), cut)
    rw, ro = _workday_counts(workcal, cut + 1, _day(last))
    return MonthPosition(month, as_of, first, last, ew, eo, rw, ro)


# -- volume -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pace:
    """Arrivals of one KPI's denominator (and of C6's numerator, ``met``) per working day and
    per other day, pooled over the months of history and the days of the month so far."""

    workday_rows: int
    workdays: int
    other_rows: int
    other_days: int
    workday_met: int = 0
    other_met: int = 0

    def _rate(self, rows_w: int, rows_o: int) -> tuple[Fraction, Fraction]:
        days = self.workdays + self.other_days
        overall = Fraction(rows_w + rows_o, days) if days else Fraction(0)
        per_w = Fraction(rows_w, self.workdays) if self.workdays else overall
        per_o = Fraction(rows_o, self.other_days) if self.other_days else overall
        return per_w, per_o

    @property
    def per_workday(self) -> Fraction:
        return self._rate(self.workday_rows, self.other_rows)[0]

    @property
    def per_other_day(self) -> Fraction:
        return self._rate(self.workday_rows, self.other_rows)[1]

    def expected(self, position: MonthPosition, met: bool = False) -> Fraction:
        """Expected arrivals in the month's remaining days (exact)."""
        per_w, per_o = self._rate(self.workday_met, self.other_met) if met else self._rate(self.workday_rows, self.other_rows)
        return per_w * position.remaining_workdays + per_o * position.remaining_other_days


# -- what it takes ----------------------------------------------------------------------------

@dataclass(frozen=True)
class WhatItTakes:
    """C9–C11: the least number of the ``remaining`` records still to come that must count as
    met (resolved, satisfied) for the month to reach its target. ``status``: ``secured`` (0
    needed: the target holds even if none of them does), ``reachable`` (1..remaining),
    ``unreachable`` (more than remaining: ``needed`` says how many, ``best_rate`` is the rate
    if every one does), ``n/a`` (no record so far nor expected)."""

    kpi: str
    clause: str
    met: int
    total: int
    remaining: int
    target_pct: Decimal
    needed: int | None
    status: str

    @property
    def best_rate(self) -> Fraction | None:
        n = self.total + self.remaining
        return Fraction(self.met + self.remaining, n) if n else None

    def to_json(self) -> dict:
        return {
            "clause": self.clause, "met": self.met, "total": self.total, "remaining": self.remaining,
            "target_pct": decimal_text(self.target_pct), "needed": self.needed, "status": self.status,
            "best_rate_pct": pct_text(self.best_rate),
        }


def what_it_takes(kpi: str, met: int, total: int, remaining: int, target_pct) -> WhatItTakes:
    """C9–C11, exactly: the least x in 0..remaining with (met + x) / (total + remaining) ≥
    target / 100 (integers and Fractions only: x = ⌈target·(total + remaining)/100⌉ − met,
    at least 0)."""
    clause = KPI_DEFINITIONS[kpi][0]
    n = total + remaining
    if n == 0:
        return WhatItTakes(kpi, clause, met, total, remaining, target_pct, None, "n/a")
    x = max(0, ceil_share(target_pct, n) - met)  # exact
    status = "secured" if x == 0 else ("reachable" if x <= remaining else "unreachable")
    return WhatItTakes(kpi, clause, met, total, remaining, target_pct, x, status)


# -- the projection ---------------------------------------------------------------------------

@dataclass(frozen=True)
class KpiOutlook:
    """One KPI: the month so far, the expected remaining volume, and the month end projected
    by the simulation: the median rate and the interval (exact rates of simulated months,
    :data:`INTERVAL_PCT`), and the probability that the month misses its target."""

    so_far: KpiResult
    pace: Pace
    expected_remaining: int  # the expected remaining volume, rounded half-up
    projected: Fraction | None
    low: Fraction | None
    high: Fraction | None
    p_miss: float | None  # None: no target, or not simulated (C6)
    prior: tuple[float, float]  # beta prior (a, b) of the month's rate

    @property
    def kpi(self) -> str:
        return self.so_far.kpi

    def to_json(self) -> dict:
        out = self.so_far.to_json()
        out.update(
            clause=self.so_far.clause,
            expected_remaining=self.expected_remaining,
            per_workday=_dec4(self.pace.per_workday),
            per_other_day=_dec4(self.pace.per_other_day),
            projected_rate_pct=pct_text(self.projected),
            interval_pct=[pct_text(self.low), pct_text(self.high)],
            p_miss=_prob(self.p_miss),
        )
        return out


def _dec4(value: Fraction) -> str:
    return pct_text(value / 100)


def _prob(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _quantile_rate(met: np.ndarray, total: np.ndarray, q: float) -> Fraction | None:
    """The rate of the simulated month at percentile ``q`` (inverted CDF: an actual draw, kept
    as its exact fraction) among draws with a denominator."""
    have = total > 0
    if not have.any():
        return None
    m, n = met[have], total[have]
    order = np.lexsort((m, m / n))  # by rate (ties by count: deterministic)
    k = max(0, int(np.ceil(q / 100 * len(order))) - 1)
    i = order[k]
    return Fraction(int(m[i]), int(n[i]))


def _prior(fit, k: int, history_months: int) -> tuple[float, float]:
    """Beta prior of the month's rate: the history's beta (mean and overdispersion of its
    monthly rates), or uniform with too little history."""
    if history_months < MIN_HISTORY_MONTHS or np.isnan(fit.mean[k]):
        return 1.0, 1.0
    mu = float(np.clip(fit.mean[k], 1e-9, 1 - 1e-9))
    c = 1 / float(fit.rho[k]) - 1
    return mu * c, (1 - mu) * c


def _fit(kpis_by_month: list[MonthKpis], names: tuple[str, ...]):
    """:func:`sla_lib.renewal.fit_beta_binomial` over the given KPIs' monthly counts (three at a
    time: the function fits the columns of a History)."""
    met = np.array([[k[n].met for n in names] for k in kpis_by_month], dtype=np.int64).reshape(len(kpis_by_month), len(names))
    total = np.array([[k[n].total for n in names] for k in kpis_by_month], dtype=np.int64).reshape(met.shape)
    return fit_beta_binomial(History([k.month for k in kpis_by_month], met, total, np.zeros(len(kpis_by_month), dtype=np.int64)))


# -- fee at risk ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeeAtRisk:
    """C13/C14/C19 for the month in progress. ``today``: the adjustment if the month ended at
    the month-to-date rates; ``projected``: at the projected (median) rates; the expected
    bonus and deductions (CNY, half-up to the fen) and their probabilities over the simulated
    month ends; C19: the term's failing months before this one against the allowed number and
    the breach exposure that this month failing would trigger."""

    base: Decimal
    today: PerformanceAdjustment
    projected: PerformanceAdjustment
    expected_bonus: Decimal
    p_bonus: float
    expected_deduction: Decimal
    p_deduction: float
    expected_deduction_by_kpi: dict[str, Decimal]
    p_fail: float  # some fee KPI missed: the month counts for C19
    failing_months: list[str]  # before this month
    allowed: int  # liability.repeated_failure_months
    breach_exposure: Decimal
    draws: int

    @property
    def expected_adjustment(self) -> Decimal:
        return self.expected_bonus - self.expected_deduction

    @property
    def already_triggered(self) -> bool:
        return len(self.failing_months) >= self.allowed

    @property
    def triggered_if_this_month_fails(self) -> bool:
        return len(self.failing_months) + 1 >= self.allowed

    def to_json(self) -> dict:
        def adjustment(a: PerformanceAdjustment) -> dict:
            return {"bonus": str(a.bonus), "deductions": {k: str(v) for k, v in a.deductions.items()},
                    "total_deduction": str(a.total_deduction), "amount_before_onsite": str(self.base + a.bonus - a.total_deduction)}

        return {
            "base": str(self.base),
            "if_month_ended_today": adjustment(self.today),
            "at_projected_rates": adjustment(self.projected),
            "expected_bonus": str(self.expected_bonus),
            "p_bonus": _prob(self.p_bonus),
            "expected_deduction": str(self.expected_deduction),
            "p_deduction": _prob(self.p_deduction),
            "expected_deduction_by_kpi": {k: str(v) for k, v in self.expected_deduction_by_kpi.items()},
            "expected_amount_before_onsite": str(self.base + self.expected_adjustment),
            "c19": {
                "failing_months": list(self.failing_months),
                "failing_count": len(self.failing_months),
                "allowed": self.allowed,
                "already_triggered": self.already_triggered,
                "triggered_if_this_month_fails": self.triggered_if_this_month_fails,
                "p_this_month_fails": _prob(self.p_fail),
                "breach_exposure": str(self.breach_exposure),
            },
            "draws": self.draws,
        }


def _mean_fen(values: np.ndarray) -> Decimal:
    """The mean of integer fen amounts in CNY, exact, half-up to the fen."""
    return to_fen(Fraction(int(np.asarray(values, dtype=object).sum()), 100 * max(1, len(values))))


# -- deadlines --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    """A date one party must not miss. ``status``: ``done`` (settled), ``passed`` (the date
    is behind the as-of date and the item is still open), ``today``, ``soon`` (within
    :data:`WARNING_DAYS` days), ``ahead``. ``warning``: today, soon, or passed and open."""

    key: str  # payment_due | termination_right | invoice_due | objection_deadline | auto_renewal_check | renewed_start
    clause: str
    date: dt.date
    days_left: int
    status: str
    month: str | None = None  # the service month of a payment or invoice
    detail: dict = field(default_factory=dict)

    @property
    def warning(self) -> bool:
        return self.status in ("passed", "today", "soon")

    def to_json(self) -> dict:
        return {"key": self.key, "clause": self.clause, "month": self.month, "date": self.date.isoformat(),
                "days_left": self.days_left, "status": self.status, "warning": self.warning, **self.detail}


def deadline_status(date: dt.date, as_of: dt.date, done: bool = False, open_after: bool = True) -> str:
    """The status of a deadline at ``as_of``: done, passed (only while the item stays open,
    ``open_after``; otherwise a passed date is ``done``), today (the date is the as-of date:
    still open until 24:00), soon (1..WARNING_DAYS days left), ahead."""
    days = (date - as_of).days
    if done:
        return "done"
    if days < 0:
        return "passed" if open_after else "done"
    if days == 0:
        return "today"
    return "soon" if days <= WARNING_DAYS else "ahead"


def payment_deadlines(statement: FeeStatement, terms, as_of: dt.date) -> list[Deadline]:
    """C15, C16, C17, C18 of one month's statement at ``as_of``: its payment due date (done
    once nothing is unpaid), the date the C18 termination right arises while something is
    unpaid (late by more than ``termination_overdue_days`` days: due + that + 1), and each
    payment's invoice due date (done once issued)."""
    out = []
    unpaid = [p for p in statement.parts if p.payment_id is None]
    due = statement.payment_due
    out.append(Deadline(
        "payment_due", "C15", due, (due - as_of).days, deadline_status(due, as_of, done=not unpaid), statement.month,
        {"amount_due": str(statement.amount_due), "paid": str(statement.paid),
         "unpaid": str(sum((p.amount for p in unpaid), Decimal("0.00"))), "late_days": statement.late_days,
         "late_damages": str(statement.late_damages)},
    ))
    if unpaid:
        limit = terms.liability.termination_overdue_days
        right = due + dt.timedelta(days=limit + 1)
        late_so_far = max(0, (as_of - due).days)
        out.append(Deadline(
            "termination_right", "C18", right, (right - as_of).days, deadline_status(right, as_of), statement.month,
            {"late_days_so_far": late_so_far, "termination_overdue_days": limit, "right_exists": statement.termination_right},
        ))
    for check in statement.invoice_checks:
        if check.payment_id is None:
            continue
        done = check.status in ("on_time", "late")
        out.append(Deadline(
            "invoice_due", "C16", check.invoice_due, (check.invoice_due - as_of).days,
            deadline_status(check.invoice_due, as_of, done=done), statement.month,
            {"payment_id": check.payment_id, "invoice_status": check.status},
        ))
    return out


def renewal_deadlines(terms, as_of: dt.date) -> list[Deadline]:
    """C7: the last day to object to the auto-renewal in writing, the auto-renewal check date
    and the day the renewed term starts. A passed C7 date is a warning while the term runs
    (the chance to object is gone), not after."""
    dates = renewal_dates(terms, as_of)
    running = as_of <= dates.term_end
    out = []
    for key, date in (("objection_deadline", dates.objection_deadline), ("auto_renewal_check", dates.auto_renewal_check),
                      ("renewed_start", dates.renewed_start)):
        out.append(Deadline(key, "C7", date, (date - as_of).days, deadline_status(date, as_of, open_after=running),
                            detail={"term_end": dates.term_end.isoformat(), "renewed_end": dates.renewed_end.isoformat()}))
    return out


# -- the outlook ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthOutlook:
    """Everything :func:`month_outlook` found; ``to_json`` is ``sla outlook --format json``."""

    month: str
    as_of: dt.date
    position: MonthPosition
    so_far: MonthKpis
    history_months: list[str]
    kpis: dict[str, KpiOutlook]
    takes: dict[str, WhatItTakes]
    fee: FeeAtRisk
    deadlines: list[Deadline]
    draws: int
    seed: int

    @property
    def no_data(self) -> tuple[str, ...]:
        return self.so_far.tables_without_rows

    def to_json(self) -> dict:
        return {
            "month": self.month,
            "as_of": self.as_of.isoformat(),
            "days": self.position.to_json(),
            "history_months": list(self.history_months),
            "no_data": list(self.no_data),
            "kpis": {k: v.to_json() for k, v in self.kpis.items()},
            "what_it_takes": {k: v.to_json() for k, v in self.takes.items()},
            "fee_at_risk": self.fee.to_json(),
            "deadlines": [d.to_json() for d in self.deadlines],
            "model": {"draws": self.draws, "seed": self.seed, "interval_pct": list(INTERVAL_PCT), "warning_days": WARNING_DAYS},
        }


def _previous_months(terms, month: str) -> list[str]:
    return [m for m in terms.contract_months if parse_month(m) < parse_month(month)]


def month_outlook(data, terms, as_of: dt.date, month: str | None = None, draws: int = DRAWS, seed: int = SEED,
                  workcal: WorkCalendar | None = None) -> MonthOutlook:
    """The outlook of ``month`` (default: the month of ``as_of``) as of the end of ``as_of``.

    C1–C3, C6, C9–C11 month to date (:func:`known_at` + ``month_kpis``) and projected to the
    month end; C9–C11 what it takes (:func:`what_it_takes`); C12–C14 and C19 fee at risk
    (:class:`FeeAtRisk`); C7, C15–C18 deadlines ahead (:func:`payment_deadlines`,
    :func:`renewal_deadlines`). With ``as_of`` after the month, the month to date is the whole
    month and the projection is the month itself. The simulation is seeded: same inputs,
    same figures."""
    workcal = workcal or WorkCalendar.from_terms(terms)
    month = month or f"{as_of.year:04d}-{as_of.month:02d}"
    position = month_position(month, as_of, workcal)
    known = known_at(data, terms, as_of)
    on_workdays, on_other_days = _day_type_views(known, terms, workcal)
    previous = _previous_months(terms, month)
    known_kpis, by_day_type = {}, {}
    for m in [*previous, month]:  # each month's three views in turn: a month read one at a time is read once
        known_kpis[m] = month_kpis(known, terms, m, workcal)
        by_day_type[m] = month_kpis(on_workdays, terms, m, workcal), month_kpis(on_other_days, terms, m, workcal)
    so_far = known_kpis[month]

    # history: the contract's months before this one with consultations (complete at as_of)
    history = [known_kpis[m] for m in previous if known_kpis[m]["consultation_resolution"].total > 0]

    # arrivals per working day and per other day: history months and this month so far
    pool = [k.month for k in history] + [month]
    counts = {}
    for key in KPI_DEFINITIONS:
        counts[key] = [0, 0, 0, 0, 0, 0]  # rows_w, days_w, rows_o, days_o, met_w, met_o
    for m in pool:
        pos = month_position(m, as_of, workcal)
        kw, ko = by_day_type[m]
        for key in KPI_DEFINITIONS:
            c = counts[key]
            c[0] += kw[key].total
            c[1] += pos.elapsed_workdays
            c[2] += ko[key].total
            c[3] += pos.elapsed_other_days
            c[4] += kw[key].met
            c[5] += ko[key].met
    paces = {key: Pace(c[0], c[1], c[2], c[3], c[4], c[5]) for key, c in counts.items()}

    # rate priors: the history's beta-binomial, fee KPIs and C1–C3 fitted three at a time
    others = tuple(k for k in BINOMIAL_KPIS if k not in FEE_KPIS)
    fits = {names: _fit(history, names) for names in (FEE_KPIS, others)} if history else {}
    priors = {}
    for names in (FEE_KPIS, others):
        for i, key in enumerate(names):
            priors[key] = _prior(fits[names], i, len(history)) if history else (1.0, 1.0)

    # simulated month ends: remaining volume ~ Poisson(expected), rate ~ Beta(prior + so far)
    rng = np.random.default_rng(seed)
    sims = {}
    for key in BINOMIAL_KPIS:
        r = so_far[key]
        lam = paces[key].expected(position)
        remaining = rng.poisson(float(lam), draws) if lam > 0 else np.zeros(draws, dtype=np.int64)
        a, b = priors[key]
        p = rng.beta(a + r.met, b + r.total - r.met, draws)
        sims[key] = (r.met + rng.binomial(remaining, p), r.total + remaining)

    met = np.stack([sims[k][0] for k in FEE_KPIS], axis=-1)
    total = np.stack([sims[k][1] for k in FEE_KPIS], axis=-1)
    priced = price_performance(met, total, terms)
    lo_q, hi_q = INTERVAL_PCT

    outlooks = {}
    for key in KPI_DEFINITIONS:
        r = so_far[key]
        expected = round_half_up(paces[key].expected(position))
        if key in sims:
            m_, n_ = sims[key]
            projected, low, high = (_quantile_rate(m_, n_, q) for q in (50, lo_q, hi_q))
            p_miss = float(priced.missed[:, FEE_KPIS.index(key)].mean()) if key in FEE_KPIS else None
        else:  # C6: expected distinct customers followed up / expected new customers, no interval
            m_ = r.met + round_half_up(paces[key].expected(position, met=True))
            n_ = r.total + expected
            projected, low, high, p_miss = (Fraction(m_, n_) if n_ else None), None, None, None
        outlooks[key] = KpiOutlook(r, paces[key], expected, projected, low, high, p_miss, priors.get(key, (1.0, 1.0)))

    takes = {k: what_it_takes(k, so_far[k].met, so_far[k].total, outlooks[k].expected_remaining, so_far[k].target_pct)
             for k in FEE_KPIS}

    # fee at risk: the statement as of today (C12–C19), the adjustment at the projected rates
    statement = month_fee_statement(known, terms, month, as_of, workcal)
    today = performance_adjustment({k: so_far[k].rate for k in FEE_KPIS}, terms)
    projected_adj = performance_adjustment({k: outlooks[k].projected for k in FEE_KPIS}, terms)
    fee = FeeAtRisk(
        base=terms.fees.monthly_base_fee,
        today=today,
        projected=projected_adj,
        expected_bonus=_mean_fen(priced.bonus_fen),
        p_bonus=float((np.asarray(priced.bonus_fen) > 0).mean()),
        expected_deduction=_mean_fen(priced.total_deduction_fen),
        p_deduction=float((np.asarray(priced.total_deduction_fen) > 0).mean()),
        expected_deduction_by_kpi={k: _mean_fen(priced.deduction_fen[:, i]) for i, k in enumerate(FEE_KPIS)},
        p_fail=float(priced.missed.any(axis=-1).mean()),
        failing_months=[m for m in statement.failing_months_to_date if m != month],
        allowed=terms.liability.repeated_failure_months,
        breach_exposure=statement.breach_exposure,
        draws=draws,
    )

    # deadlines: the previous month's payment and invoices, earlier months still open, this
    # month's payment due date, the renewal dates
    deadlines: list[Deadline] = []
    for st in fee_statements(known, terms, previous, as_of) if previous else []:
        rows = payment_deadlines(st, terms, as_of)
        if st.month == previous[-1] or any(d.status != "done" for d in rows):
            deadlines.extend(rows)
    if as_of > position.last:  # the month is over: its own payment is settled like the others
        deadlines.extend(payment_deadlines(statement, terms, as_of))
    else:
        own_due = payment_due_date(month, terms, workcal)
        deadlines.append(Deadline("payment_due", "C15", own_due, (own_due - as_of).days, deadline_status(own_due, as_of), month,
                                  {"amount_due_if_ended_today": str(statement.amount_due)}))
    deadlines.extend(renewal_deadlines(terms, as_of))
    deadlines.sort(key=lambda d: (d.date, d.key))

    return MonthOutlook(month, as_of, position, so_far, [k.month for k in history], outlooks, takes, fee, deadlines, draws, seed)


# -- frames for the notebook ------------------------------------------------------------------

def _prob_text(value: float | None) -> str | None:
    return None if value is None else f"{value:.1%}"


def _rate(value: Fraction | None):
    """An exact rate for the tables (shown to one decimal, sla_lib.display), or None."""
    return None if value is None else Rate(value.numerator, value.denominator)


def outlook_tables(o: MonthOutlook) -> dict:
    """The outlook as frames with canonical keys (columns and values named in
    :mod:`sla_lib.labels`), for :func:`sla_lib.display.show`: ``kpis``, ``takes``, ``fee``,
    ``deadlines``, and ``p_miss`` (fee KPIs' probability of missing, in percent, for a chart:
    floats for drawing only)."""
    import pandas as pd

    kpis = pd.DataFrame([
        {"clause": k.so_far.clause, "kpi": key, "met": k.so_far.met, "total": k.so_far.total, "rate_pct": _rate(k.so_far.rate),
         "target_pct": k.so_far.to_json()["target_pct"], "expected_remaining": k.expected_remaining,
         "projected_rate_pct": _rate(k.projected),
         "interval_pct": None if k.low is None else f"{pct_text(k.low, 1)} – {pct_text(k.high, 1)}", "p_miss": _prob_text(k.p_miss)}
        for key, k in o.kpis.items()
    ])
    takes = pd.DataFrame([
        {"clause": t.clause, "kpi": key, "met": t.met, "total": t.total, "needed": t.needed, "remaining": t.remaining,
         "target_pct": decimal_text(t.target_pct), "best_rate_pct": _rate(t.best_rate), "status": t.status}
        for key, t in o.takes.items()
    ])
    f = o.fee
    fee = pd.DataFrame([
        ("C12", "base", f.base, None),
        ("C13", "bonus_if_ended_today", f.today.bonus, None),
        ("C14", "deduction_if_ended_today", f.today.total_deduction, None),
        ("C13", "bonus_at_projected_rates", f.projected.bonus, None),
        ("C14", "deduction_at_projected_rates", f.projected.total_deduction, None),
        ("C13", "expected_bonus", f.expected_bonus, _prob_text(f.p_bonus)),
        ("C14", "expected_deduction", f.expected_deduction, _prob_text(f.p_deduction)),
        *[("C14", f"expected_month_deduction.{k}", v, None) for k, v in f.expected_deduction_by_kpi.items()],
        ("C19", "failing_months_count", len(f.failing_months), None),
        ("C19", "repeated_failure_months", f.allowed, None),
        ("C19", "breach_exposure_if_fails", f.breach_exposure if f.triggered_if_this_month_fails else Decimal("0.00"), _prob_text(f.p_fail)),
    ], columns=["clause", "item", "amount", "probability"])
    deadlines = pd.DataFrame([
        {"clause": d.clause, "deadline": d.key, "month": d.month, "date": d.date, "days_left": d.days_left, "status": d.status}
        for d in o.deadlines
    ], columns=["clause", "deadline", "month", "date", "days_left", "status"])
    p_miss = pd.DataFrame([
        {"kpi": key, "p_miss_pct": o.kpis[key].p_miss * 100, "status": "missed" if o.kpis[key].p_miss >= WILL_MISS else "met"}
        for key in FEE_KPIS
    ])
    return {"kpis": kpis, "takes": takes, "fee": fee, "deadlines": deadlines, "p_miss": p_miss}


# -- backtest ---------------------------------------------------------------------------------

BACKTEST_WORKDAYS = (5, 10, 15)
WILL_MISS = 0.5  # a fee KPI with P(miss) at or above this is a "will miss" warning


def nth_workday(month: str, n: int, workcal: WorkCalendar) -> dt.date:
    """The n-th PRC working day of ``month`` (1-based)."""
    first, last = month_days(month)
    days = workcal.workdays_between(first, last)
    if not 1 <= n <= len(days):
        raise ValueError(f"{month} has {len(days)} working days, not {n}")
    return days[n - 1]


def backtest(data, terms, months: list[str], workdays=BACKTEST_WORKDAYS, draws: int = DRAWS, seed: int = SEED):
    """The outlook run at the ``workdays``-th working day of each of ``months``, each against
    the month's actual outcome (``month_kpis`` of the full tables): one row per (month,
    working day, KPI with an interval) with the projection, the actual rate, whether the
    interval held it, P(miss) and whether the month actually missed, the expected and the
    actual remaining volume. Only what was known at each date is used (:func:`known_at`)."""
    import pandas as pd

    workcal = WorkCalendar.from_terms(terms)
    rows = []
    for month in months:
        actual = month_kpis(data, terms, month, workcal)
        for n in workdays:
            as_of = nth_workday(month, n, workcal)
            o = month_outlook(data, terms, as_of, month, draws=draws, seed=seed, workcal=workcal)
            for key in BINOMIAL_KPIS:
                k, a = o.kpis[key], actual[key]
                if k.low is None or a.rate is None:
                    continue
                rows.append({
                    "month": month, "workday": n, "as_of": as_of, "kpi": key, "clause": a.clause,
                    "actual_met": a.met, "actual_total": a.total,
                    "low": k.low, "projected": k.projected, "high": k.high,
                    "covered": k.low <= a.rate <= k.high,  # exact fractions
                    "p_miss": k.p_miss, "missed": (a.ok is False) if key in FEE_KPIS else None,
                    "expected_remaining": k.expected_remaining, "actual_remaining": a.total - k.so_far.total,
                })
    return pd.DataFrame(rows)


def backtest_summary(frame) -> dict:
    """Interval coverage (share of actual month-end rates inside the interval, overall and per
    KPI), the "will miss" warnings (fee KPIs with P(miss) ≥ :data:`WILL_MISS`): how many were
    given and how many came true (hit rate), the actual misses and how many were warned of,
    the Brier score of P(miss), and the mean absolute error of the expected remaining
    volume in percent of the actual."""
    fee = frame[frame["kpi"].isin(FEE_KPIS)]
    warned = fee["p_miss"] >= WILL_MISS
    missed = fee["missed"].astype(bool)
    remaining = frame["actual_remaining"].to_numpy(dtype=float)
    error = np.abs(frame["expected_remaining"].to_numpy(dtype=float) - remaining)
    per_kpi = frame.groupby("kpi", sort=False)["covered"].agg(["sum", "count"])
    return {
        "checkpoints": int(frame[["month", "workday"]].drop_duplicates().shape[0]),
        "intervals": int(len(frame)),
        "covered": int(frame["covered"].sum()),
        "coverage_by_kpi": {k: (int(r["sum"]), int(r["count"])) for k, r in per_kpi.iterrows()},
        "warnings": int(warned.sum()),
        "warnings_true": int((warned & missed).sum()),
        "fee_kpi_checks": int(len(fee)),
        "actual_misses": int(missed.sum()),
        "misses_warned": int((warned & missed).sum()),
        "brier": float(((fee["p_miss"].to_numpy(dtype=float) - missed.to_numpy(dtype=float)) ** 2).mean()) if len(fee) else None,
        "volume_mape_pct": float((error[remaining > 0] / remaining[remaining > 0]).mean() * 100) if (remaining > 0).any() else None,
    }
