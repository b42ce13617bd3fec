"""C7 renewal: key dates, and alternate terms priced for negotiators (spec section 5).

A scenario is a set of alternate pricing terms. It is priced two ways:

* the replay: the term's actual months (their measured KPI counts and on-site fees)
  re-priced under the scenario, month by month, against the actual contract;
* the projection: simulated years whose monthly KPI counts are drawn from the history
  (block bootstrap of months, or a beta-binomial per KPI fitted to the history whose mean
  a negotiator may shift), every scenario priced on the same draws (common random numbers,
  so differences between scenarios are not sampling noise).

Pricing is :func:`sla_lib.fees.price_performance`, the same exact integer arithmetic as the
monthly statement, vectorized over years × months; amounts are integer fen until reported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from .calendar import WorkCalendar, month_of, parse_month, today_in
from .errors import TermsError
from .exact import FEN, to_fen
from .fees import price_performance
from .kpis import FEE_KPIS, month_kpis

# The terms a scenario may change: the pricing terms of C12–C14 (and how n/a is treated).
SCENARIO_KEYS = (
    "targets.consultation_resolution_pct",
    "targets.complaint_satisfaction_pct",
    "targets.followup_satisfaction_pct",
    "fees.monthly_base_fee",
    "fees.bonus_pct",
    "fees.penalty_step_pct",
    "fees.penalty_per_step_pct",
    "fees.penalty_rounding",
    "fees.penalty_cap_pct",
    "na_counts_as",
)
OBJECTION_WARNING_DAYS = 60


# -- key dates ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RenewalDates:
    """C7: the dates a negotiator must not miss."""

    as_of: dt.date
    term_end: dt.date
    objection_deadline: dt.date  # last day to object in writing
    auto_renewal_check: dt.date  # the contract's "期满前X天" check date
    renewed_start: dt.date
    renewed_end: dt.date

    @property
    def days_to_objection_deadline(self) -> int:
        return (self.objection_deadline - self.as_of).days

    @property
    def objection_warning(self) -> bool:
        """True while the objection deadline is ahead and within 60 days."""
        return 0 <= self.days_to_objection_deadline <= OBJECTION_WARNING_DAYS

    def to_json(self) -> dict:
        out = {k: getattr(self, k).isoformat() for k in ("as_of", "term_end", "objection_deadline", "auto_renewal_check", "renewed_start", "renewed_end")}
        out.update(days_to_objection_deadline=self.days_to_objection_deadline, objection_warning=self.objection_warning)
        return out


def renewal_dates(terms, as_of: dt.date | None = None) -> RenewalDates:
    """C7: objection deadline = term end − objection_notice_days; check date = term end −
    auto_renewal_check_days; the renewed term runs renewal_months from the day after the end."""
    t = terms.term
    as_of = as_of or today_in(terms.contract.timezone)
    start = t.end + dt.timedelta(days=1)
    return RenewalDates(
        as_of=as_of,
        term_end=t.end,
        objection_deadline=t.end - dt.timedelta(days=t.objection_notice_days),
        auto_renewal_check=t.end - dt.timedelta(days=t.auto_renewal_check_days),
        renewed_start=start,
        renewed_end=t.renewed_end,
    )


# -- scenarios ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scenario:
    name: str
    changes: dict = field(default_factory=dict)

    def apply(self, terms):
        """The terms with this scenario's changes, validated like a terms file."""
        for key in self.changes:
            if key not in SCENARIO_KEYS:
                raise TermsError(f"<scenario {self.name}>", key, f"a scenario may change only {', '.join(SCENARIO_KEYS)}")
        return terms.with_changes(self.changes) if self.changes else terms


def parse_assignments(text: str, source: str = "<scenario>") -> dict[str, str]:
    """'fees.bonus_pct=3,targets.complaint_satisfaction_pct=80' -> {key: text}."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise TermsError(source, part, "expected key=value, e.g. fees.penalty_per_step_pct=3")
        out[key.strip()] = value.strip()
    return out


def parse_scenario(text: str) -> Scenario:
    """'NAME:key=value,key=value' -> Scenario."""
    name, sep, rest = text.partition(":")
    if not sep or not name.strip():
        raise TermsError("<scenario>", text, "expected NAME:key=value,..., e.g. strict:fees.penalty_per_step_pct=3")
    return Scenario(name.strip(), parse_assignments(rest, f"<scenario {name.strip()}>"))


# -- history and replay ---------------------------------------------------------------------

@dataclass(frozen=True)
class History:
    """The measured months: fee-KPI counts (months × 3, FEE_KPIS order) and on-site fees."""

    months: list[str]
    met: np.ndarray
    total: np.ndarray
    onsite_fen: np.ndarray


def history_from_data(data, terms, months: list[str] | None = None) -> History:
    """Fee-KPI counts of each month of the term that has consultation records (C9–C11)."""
    tz = terms.contract.timezone
    if months is None:
        have = set(pd.unique(month_of(data["consultations"]["received_at"], tz).astype(str)))
        months = [m for m in terms.term_months if m in have]
    workcal = WorkCalendar.from_terms(terms)
    met, total, onsite = [], [], []
    visits = data["onsite_visits"]
    visit_month = month_of(visits["visited_at"], tz)
    for m in months:
        k = month_kpis(data, terms, m, workcal)
        met.append([k[name].met for name in FEE_KPIS])
        total.append([k[name].total for name in FEE_KPIS])
        fees = visits["fee"][visit_month == parse_month(m)]
        onsite.append(int(sum(fees, Decimal(0)) * 100))
    shape = (len(months), len(FEE_KPIS))
    return History(
        months=list(months),
        met=np.array(met, dtype=np.int64).reshape(shape),
        total=np.array(total, dtype=np.int64).reshape(shape),
        onsite_fen=np.array(onsite, dtype=np.int64),
    )


def _fen(value) -> Decimal:
    return (Decimal(int(value)) / 100).quantize(FEN)


def month_amounts_fen(met, total, onsite_fen, terms) -> np.ndarray:
    """Amount due per month in fen: base + bonus − capped deductions + on-site fees (C12–C14, C5)."""
    priced = price_performance(met, total, terms)
    return int(terms.fees.monthly_base_fee * 100) + priced.adjustment_fen + np.asarray(onsite_fen)


def replay(history: History, terms, scenario_terms) -> pd.DataFrame:
    """The actual months re-priced under ``scenario_terms``: one row per month with the
    actual amount due, the scenario's, and the difference (scenario − actual), in CNY."""
    actual = month_amounts_fen(history.met, history.total, history.onsite_fen, terms)
    alt = month_amounts_fen(history.met, history.total, history.onsite_fen, scenario_terms)
    frame = pd.DataFrame(
        {
            "month": history.months,
            "actual": [_fen(v) for v in actual],
            "scenario": [_fen(v) for v in alt],
            "difference": [_fen(v) for v in alt - actual],
        }
    ).set_index("month")
    return frame


# -- simulation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SimulatedYears:
    """Monthly fee-KPI counts of simulated years: arrays (years, 12, 3) and on-site (years, 12)."""

    met: np.ndarray
    total: np.ndarray
    onsite_fen: np.ndarray
    method: str
    seed: int


def _bootstrap_index(rng, n_history: int, years: int, block: int) -> np.ndarray:
    """Months of each simulated year as indices into the history: consecutive blocks
    (cyclic) from random starts, so runs of good and bad months keep their shape."""
    blocks = -(-12 // block)
    starts = rng.integers(0, n_history, size=(years, blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]) % n_history
    return idx.reshape(years, blocks * block)[:, :12]


@dataclass(frozen=True)
class BetaBinomialFit:
    """Per fee KPI: mean rate and overdispersion (intra-month correlation rho)."""

    mean: np.ndarray  # (3,)
    rho: np.ndarray  # (3,)


def fit_beta_binomial(history: History) -> BetaBinomialFit:
    """Method of moments on the monthly rates: mean = Σmet/Σtotal; rho from the spread of
    the monthly rates beyond binomial noise (clipped to a small positive value)."""
    means, rhos = [], []
    for k in range(len(FEE_KPIS)):
        n = history.total[:, k].astype(float)
        m = history.met[:, k].astype(float)
        have = n > 0
        if not have.any():
            means.append(np.nan)
            rhos.append(np.nan)
            continue
        mu = m[have].sum() / n[have].sum()
        p = m[have] / n[have]
        inv_n = (1.0 / n[have]).mean()
        spread = ((p - mu) ** 2).sum() / max(1, have.sum() - 1)
        binomial = mu * (1 - mu)
        rho = (spread - binomial * inv_n) / (binomial * (1 - inv_n)) if binomial > 0 and inv_n < 1 else 0.0
        means.append(mu)
        rhos.append(float(np.clip(rho, 1e-6, 0.5)))
    return BetaBinomialFit(np.array(means), np.array(rhos))


def simulate_years(
    history: History,
    years: int = 10_000,
    seed: int = 1,
    method: str = "bootstrap",
    block: int = 3,
    shift_pp: dict[str, float] | None = None,
) -> SimulatedYears:
    """Draw ``years`` simulated years of monthly fee-KPI counts from the history.

    ``bootstrap``: blocks of ``block`` consecutive actual months. ``parametric``: each
    month's volumes come from a random actual month; each KPI's rate is drawn from a beta
    distribution fitted to the history (mean shifted by ``shift_pp`` percentage points per
    KPI), then the met count is binomial. Same seed, same draws."""
    if len(history.months) == 0:
        raise ValueError("no measured months to simulate from: the data has no consultations in the term")
    rng = np.random.default_rng(seed)
    idx = _bootstrap_index(rng, len(history.months), years, block) if method == "bootstrap" else rng.integers(0, len(history.months), size=(years, 12))
    total = history.total[idx]
    onsite = history.onsite_fen[idx]
    if method == "bootstrap":
        if shift_pp:
            raise ValueError("shifting the KPI level needs method='parametric'")
        return SimulatedYears(history.met[idx], total, onsite, method, seed)
    if method != "parametric":
        raise ValueError(f"unknown simulation method {method!r}: bootstrap or parametric")
    fit = fit_beta_binomial(history)
    unknown = set(shift_pp or {}) - set(FEE_KPIS)
    if unknown:
        raise ValueError(f"shift_pp names unknown KPIs {sorted(unknown)}; use {list(FEE_KPIS)}")
    met = np.zeros_like(total)
    for k, kpi in enumerate(FEE_KPIS):  # three KPIs, each vectorized over years × months
        if np.isnan(fit.mean[k]):
            continue
        mu = float(np.clip(fit.mean[k] + (shift_pp or {}).get(kpi, 0.0) / 100, 1e-9, 1 - 1e-9))
        concentration = 1 / fit.rho[k] - 1
        p = rng.beta(mu * concentration, (1 - mu) * concentration, size=total.shape[:2])
        met[:, :, k] = rng.binomial(total[:, :, k], p)
    return SimulatedYears(met, total, onsite, method, seed)


@dataclass(frozen=True)
class Projection:
    """One scenario priced over the simulated years."""

    name: str
    yearly_cost_fen: np.ndarray  # (years,) cost to Party A
    bonus_months: np.ndarray  # (years, 12) bool
    deduction_months: np.ndarray  # (years, 12) bool
    deduction_fen: np.ndarray  # (years, 12, 3) per KPI, before the cap

    @property
    def expected_yearly_cost(self) -> Decimal:
        return to_fen(Fraction(int(self.yearly_cost_fen.sum()), len(self.yearly_cost_fen) * 100))

    def band(self, low: float = 5, high: float = 95) -> tuple[Decimal, Decimal]:
        """The 5–95 % band of the yearly cost (observed values, no interpolation)."""
        lo, hi = np.percentile(self.yearly_cost_fen, [low, high], method="inverted_cdf")
        return _fen(lo), _fen(hi)

    @property
    def p_bonus_month(self) -> float:
        return float(self.bonus_months.mean())

    @property
    def p_deduction_month(self) -> float:
        return float(self.deduction_months.mean())

    def expected_yearly_deduction(self) -> dict[str, Decimal]:
        per_kpi = self.deduction_fen.sum(axis=1).sum(axis=0)
        years = len(self.yearly_cost_fen)
        return {k: to_fen(Fraction(int(v), years * 100)) for k, v in zip(FEE_KPIS, per_kpi)}


def project(sim: SimulatedYears, terms, name: str = "") -> Projection:
    """Price simulated years under ``terms``."""
    priced = price_performance(sim.met, sim.total, terms)
    monthly = int(terms.fees.monthly_base_fee * 100) + priced.adjustment_fen + sim.onsite_fen
    return Projection(
        name=name,
        yearly_cost_fen=np.asarray(monthly.sum(axis=1), dtype=np.int64),
        bonus_months=np.asarray(priced.bonus_fen) > 0,
        deduction_months=np.asarray(priced.total_deduction_fen) > 0,
        deduction_fen=np.asarray(priced.deduction_fen, dtype=np.int64),
    )


# -- comparing scenarios --------------------------------------------------------------------

def compare_scenarios(history: History, terms, scenarios: list[Scenario], sim: SimulatedYears) -> pd.DataFrame:
    """One row per scenario (the current terms first): the replay of the actual months and
    the projection over the simulated years. Amounts in CNY (Decimal)."""
    rows = []
    for scenario in [Scenario("current"), *scenarios]:
        alt = scenario.apply(terms)
        rep = replay(history, terms, alt)
        proj = project(sim, alt, scenario.name)
        p5, p95 = proj.band()
        row = {
            "scenario": scenario.name,
            "changes": ", ".join(f"{k}={v}" for k, v in scenario.changes.items()) or "—",
            "replay_total": sum(rep["scenario"], Decimal("0.00")),
            "replay_difference": sum(rep["difference"], Decimal("0.00")),
            "expected_yearly_cost": proj.expected_yearly_cost,
            "p5": p5,
            "p95": p95,
            "p_bonus_month": proj.p_bonus_month,
            "p_deduction_month": proj.p_deduction_month,
        }
        row.update({f"expected_deduction.{k}": v for k, v in proj.expected_yearly_deduction().items()})
        rows.append(row)
    return pd.DataFrame(rows).set_index("scenario")


def cost_grid(sim: SimulatedYears, terms, key_a: str, values_a: list, key_b: str, values_b: list) -> pd.DataFrame:
    """Expected yearly cost to Party A for every pair of values of two terms (rows: key_a)."""
    table = pd.DataFrame(index=pd.Index([str(v) for v in values_a], name=key_a), columns=pd.Index([str(v) for v in values_b], name=key_b), dtype=object)
    for a in values_a:
        for b in values_b:
            alt = Scenario("grid", {key_a: a, key_b: b}).apply(terms)
            table.loc[str(a), str(b)] = project(sim, alt).expected_yearly_cost
    return table


def break_even(sim: SimulatedYears, terms, scenario_terms, key: str = "fees.penalty_per_step_pct", low: Decimal = Decimal(0), high: Decimal = Decimal(100), precision: Decimal = Decimal("0.01")) -> Decimal | None:
    """The value of ``key`` (in [low, high]) at which ``scenario_terms`` give Party B the same
    expected yearly income as the current ``terms``: bisection on a cost that does not rise
    as the penalty rises. None when no value in the range reaches it."""
    goal = project(sim, terms).yearly_cost_fen.sum()

    def cost(value: Decimal) -> int:
        return int(project(sim, Scenario("break-even", {key: value}).apply(scenario_terms)).yearly_cost_fen.sum())

    if not (cost(high) <= goal <= cost(low)):
        return None
    while high - low > precision:
        mid = ((low + high) / 2).quantize(precision)
        if mid in (low, high):
            break
        if cost(mid) > goal:
            low = mid
        else:
            high = mid
    return high
