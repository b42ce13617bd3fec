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

What a negotiator argues about is the *paired* difference of a scenario from the current
contract: both priced on the same simulated year, year by year, with its 5–95 % band
(:meth:`Projection.difference_from`). Where the deduction cap binds (C14: deductions never
above ``penalty_cap_pct`` of B; at 100 % this is the floor of zero, deductions never above B),
:meth:`Projection.cap_effect` says how often and how much it cuts off. Simulated figures are
estimates (the exact mean of the simulated years, rounded to the fen as ``Decimal``), not
contract amounts. Which simulation method is the default was decided by :func:`backtest`
(docs/decisions.md, "Renewal scenarios").
"""

from __future__ import annotations

import datetime as dt
import json
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
# The baseline every scenario is compared with; a user's scenario may not take its name.
CURRENT = "current"
METHODS = ("bootstrap", "parametric")
# The default of `sla simulate` and of the renewal notebook, chosen by backtest() on the
# sample history: both methods cover the held-out quarters and months equally often (3/4,
# 10/12 against 90 % claimed), the parametric one with the lower interval score
# (docs/decisions.md, "Renewal scenarios").
DEFAULT_METHOD = "parametric"


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
    if name.strip() == CURRENT:
        raise TermsError("<scenario>", text, f"the name {CURRENT!r} is the current contract's; choose another")
    return Scenario(name.strip(), parse_assignments(rest, f"<scenario {name.strip()}>"))


def parse_scenarios(value) -> list[Scenario]:
    """The renewal notebook's ``scenarios`` parameter, in any of the forms papermill gives:

    * a mapping NAME -> {key: value} (``-y 'scenarios: {strict: {fees.penalty_per_step_pct: 3}}'``),
    * a list of 'NAME:key=value,...' texts, as ``sla simulate --scenario`` takes them
      (``-y 'scenarios: ["strict:fees.penalty_per_step_pct=3"]'``),
    * one string (``-p`` always gives a string): a JSON list or object, or 'NAME:key=value,...'
      texts separated by ';'."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("[", "{")):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise TermsError("<scenarios>", text, f"not a JSON list of 'NAME:key=value,...' texts: {exc.msg}") from None
        else:
            value = [part for part in (p.strip() for p in text.split(";")) if part]
    if isinstance(value, dict):
        if not all(isinstance(v, dict) for v in value.values()):
            raise TermsError("<scenarios>", str(value), "expected NAME: {key: value, ...} for each scenario")
        chosen = []
        for name, changes in value.items():
            text = f"{name}:" + ",".join(f"{k}={v}" for k, v in changes.items())
            chosen.append(Scenario(parse_scenario(text).name, {str(k): v for k, v in changes.items()}))
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        chosen = [parse_scenario(v) for v in value]
    else:
        raise TermsError("<scenarios>", str(value), "expected a list of 'NAME:key=value,...' texts or NAME: {key: value}")
    names = [c.name for c in chosen]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise TermsError("<scenarios>", ", ".join(repeated), "each scenario needs its own name")
    return chosen


def parse_shift(value) -> dict[str, float]:
    """The renewal notebook's ``shift`` parameter (parametric only): a mapping KPI -> points
    (papermill ``-y``), or one string (papermill ``-p``): a JSON object or 'KPI=POINTS,...'."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        text = value.strip()
        try:
            value = json.loads(text) if text.startswith("{") else {k: v for k, v in parse_assignments(text, "<shift>").items()}
        except json.JSONDecodeError as exc:
            raise TermsError("<shift>", text, f"not a JSON object of KPI: points: {exc.msg}") from None
    if not isinstance(value, dict):
        raise TermsError("<shift>", str(value), "expected KPI: points, e.g. {complaint_satisfaction: -2}")
    try:
        return {str(k): float(v) for k, v in value.items()}
    except (TypeError, ValueError):
        raise TermsError("<shift>", str(value), "each shift is a number of percentage points") from None


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


def _sub_history(history: History, keep) -> History:
    keep = list(keep)
    return History([history.months[i] for i in keep], history.met[keep], history.total[keep], history.onsite_fen[keep])


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
    method: str = DEFAULT_METHOD,
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


def _mean_fen(total_fen, count: int) -> Decimal:
    """The exact mean of integer fen amounts, rounded half-up to the fen (an estimate when
    the amounts are simulated)."""
    return to_fen(Fraction(int(total_fen), count * 100))


def _band_fen(values, low: float, high: float) -> tuple[Decimal, Decimal]:
    """The low–high percentile band of integer fen amounts (observed values, no interpolation)."""
    lo, hi = np.percentile(values, [low, high], method="inverted_cdf")
    return _fen(lo), _fen(hi)


@dataclass(frozen=True)
class PairedDifference:
    """A scenario's yearly cost minus the current contract's, year by year on the same
    simulated years (common random numbers)."""

    yearly_fen: np.ndarray  # (years,)

    @property
    def expected(self) -> Decimal:
        return _mean_fen(self.yearly_fen.sum(), len(self.yearly_fen))

    def band(self, low: float = 5, high: float = 95) -> tuple[Decimal, Decimal]:
        return _band_fen(self.yearly_fen, low, high)

    @property
    def p_cheaper(self) -> float:
        """Share of simulated years in which the scenario costs Party A less."""
        return float((self.yearly_fen < 0).mean())

    @property
    def p_dearer(self) -> float:
        """Share of simulated years in which the scenario costs Party A more."""
        return float((self.yearly_fen > 0).mean())


@dataclass(frozen=True)
class CapEffect:
    """Where C14's limit on the total deduction binds: ``penalty_cap_pct`` of B, which at
    100 % is the floor of zero (deductions never above B, the month never below its bonus-free
    zero). Shares and expectations over the simulated years."""

    limit: str  # "cap" (penalty_cap_pct < 100) or "zero_floor" (100: deductions ≤ B)
    cap_pct: Decimal
    cap: Decimal  # per month, CNY
    p_month: float  # share of simulated months in which it binds
    p_year: float  # share of simulated years with at least one such month
    expected_yearly_cut: Decimal  # expected CNY a year it cuts off the deductions
    expected_yearly_before: Decimal  # expected yearly deduction before the limit
    expected_yearly_after: Decimal  # ... after it (what is deducted)


@dataclass(frozen=True)
class Projection:
    """One scenario priced over the simulated years."""

    name: str
    yearly_cost_fen: np.ndarray  # (years,) cost to Party A
    bonus_months: np.ndarray  # (years, 12) bool
    deduction_months: np.ndarray  # (years, 12) bool: a deduction (after the cap) in the month
    deduction_fen: np.ndarray  # (years, 12, 3) per KPI, before the cap
    deduction_after_cap_fen: np.ndarray | None = None  # (years, 12) total deducted, after the cap
    capped_months: np.ndarray | None = None  # (years, 12) bool: the cap binds
    cap_fen: int = 0
    cap_pct: Decimal = Decimal(100)

    @property
    def years(self) -> int:
        return len(self.yearly_cost_fen)

    @property
    def expected_yearly_cost(self) -> Decimal:
        return _mean_fen(self.yearly_cost_fen.sum(), self.years)

    def band(self, low: float = 5, high: float = 95) -> tuple[Decimal, Decimal]:
        """The 5–95 % band of the yearly cost (observed values, no interpolation)."""
        return _band_fen(self.yearly_cost_fen, low, high)

    @property
    def p_bonus_month(self) -> float:
        return float(self.bonus_months.mean())

    @property
    def p_deduction_month(self) -> float:
        return float(self.deduction_months.mean())

    def expected_yearly_deduction(self) -> dict[str, Decimal]:
        """Per fee KPI, before the cap (the cap limits the month's total, not a KPI's share)."""
        per_kpi = self.deduction_fen.sum(axis=1).sum(axis=0)
        return {k: _mean_fen(v, self.years) for k, v in zip(FEE_KPIS, per_kpi)}

    def difference_from(self, baseline: Projection) -> PairedDifference:
        """This scenario's yearly cost minus ``baseline``'s on the same simulated years."""
        if baseline.yearly_cost_fen.shape != self.yearly_cost_fen.shape:
            raise ValueError("a paired difference needs both projections priced on the same simulated years")
        return PairedDifference(self.yearly_cost_fen - baseline.yearly_cost_fen)

    def cap_effect(self) -> CapEffect:
        before = self.deduction_fen.sum(axis=-1)  # (years, 12)
        after = self.deduction_after_cap_fen if self.deduction_after_cap_fen is not None else before
        capped = self.capped_months if self.capped_months is not None else np.zeros(before.shape, dtype=bool)
        return CapEffect(
            limit="zero_floor" if self.cap_pct >= 100 else "cap",
            cap_pct=self.cap_pct,
            cap=_fen(self.cap_fen),
            p_month=float(capped.mean()),
            p_year=float(capped.any(axis=1).mean()),
            expected_yearly_cut=_mean_fen((before - after).sum(), self.years),
            expected_yearly_before=_mean_fen(before.sum(), self.years),
            expected_yearly_after=_mean_fen(after.sum(), self.years),
        )


def monthly_costs_fen(sim: SimulatedYears, terms):
    """Each simulated month's amount due under ``terms`` (fen, years × 12), with the pricing."""
    priced = price_performance(sim.met, sim.total, terms)
    return int(terms.fees.monthly_base_fee * 100) + priced.adjustment_fen + sim.onsite_fen, priced


def project(sim: SimulatedYears, terms, name: str = "") -> Projection:
    """Price simulated years under ``terms``."""
    monthly, priced = monthly_costs_fen(sim, terms)
    return Projection(
        name=name,
        yearly_cost_fen=np.asarray(monthly.sum(axis=1), dtype=np.int64),
        bonus_months=np.asarray(priced.bonus_fen) > 0,
        deduction_months=np.asarray(priced.total_deduction_fen) > 0,
        deduction_fen=np.asarray(priced.deduction_fen, dtype=np.int64),
        deduction_after_cap_fen=np.asarray(priced.total_deduction_fen, dtype=np.int64),
        capped_months=np.asarray(priced.capped, dtype=bool),
        cap_fen=int(priced.cap_fen),
        cap_pct=Decimal(terms.fees.penalty_cap_pct),
    )


def projection_row(proj: Projection, baseline: Projection) -> dict:
    """The projection's figures for a comparison row: yearly cost and its band, the paired
    difference from ``baseline`` and its band, monthly chances, deductions before and after
    the cap and where the cap binds. Amounts Decimal CNY (simulated estimates), shares float."""
    p5, p95 = proj.band()
    diff = proj.difference_from(baseline)
    d5, d95 = diff.band()
    cap = proj.cap_effect()
    row = {
        "expected_yearly_cost": proj.expected_yearly_cost,
        "p5": p5,
        "p95": p95,
        "expected_difference": diff.expected,
        "difference_p5": d5,
        "difference_p95": d95,
        "p_cheaper_year": diff.p_cheaper,
        "p_bonus_month": proj.p_bonus_month,
        "p_deduction_month": proj.p_deduction_month,
        "deduction_before_cap": cap.expected_yearly_before,
        "deduction_after_cap": cap.expected_yearly_after,
        "cap_cut": cap.expected_yearly_cut,
        "p_cap_month": cap.p_month,
        "p_cap_year": cap.p_year,
        "cap_limit": cap.limit,
        "cap_pct": cap.cap_pct,
        "cap": cap.cap,
    }
    row.update({f"expected_deduction.{k}": v for k, v in proj.expected_yearly_deduction().items()})
    return row


# -- comparing scenarios --------------------------------------------------------------------

def compare_scenarios(history: History, terms, scenarios: list[Scenario], sim: SimulatedYears) -> pd.DataFrame:
    """One row per scenario (the current terms first, named :data:`CURRENT`): the replay of
    the actual months and the projection over the simulated years (:func:`projection_row`:
    the paired difference from the current contract, deductions before and after the cap).
    Amounts in CNY (Decimal)."""
    names = [s.name for s in scenarios]
    if CURRENT in names:
        raise TermsError("<scenario>", CURRENT, f"the name {CURRENT!r} is the current contract's; choose another")
    if len(set(names)) != len(names):
        raise TermsError("<scenario>", ", ".join(sorted({n for n in names if names.count(n) > 1})), "each scenario needs its own name")
    baseline = project(sim, terms, CURRENT)
    rows = []
    for scenario in [Scenario(CURRENT), *scenarios]:
        alt = scenario.apply(terms)
        rep = replay(history, terms, alt)
        proj = baseline if scenario.name == CURRENT else project(sim, alt, scenario.name)
        row = {
            "scenario": scenario.name,
            "changes": ", ".join(f"{k}={v}" for k, v in scenario.changes.items()) or "—",
            "replay_total": sum(rep["scenario"], Decimal("0.00")),
            "replay_difference": sum(rep["difference"], Decimal("0.00")),
        }
        row.update(projection_row(proj, baseline))
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


# -- choosing the simulation method: a backtest on the history --------------------------------

FOLD_NAMES = {3: "quarters", 1: "months"}


@dataclass(frozen=True)
class Backtest:
    """Leave-one-window-out backtest of the simulation methods (:func:`backtest`).

    ``folds``: one row per method and held-out window (its months, the actual cost, the
    low–high band simulated from the other months, whether the band covers the actual cost,
    the interval score). ``summary``: one row per method and window length."""

    folds: pd.DataFrame
    summary: pd.DataFrame
    nominal: float  # the coverage the band claims (0.90 for 5–95 %)

    def choice(self) -> str:
        """The method whose bands cover the held-out windows most nearly as often as they
        claim (pooled over the window lengths); on a tie, the lower mean interval score of
        the first window length (quarters). The interval score (Gneiting & Raftery 2007,
        eq. 43) is the band's width plus 2/α times how far the actual cost fell outside it:
        a proper score that rewards narrow bands only when they still cover."""
        pooled = self.summary.groupby(level="method", sort=False)[["covered", "folds"]].sum()
        gap = (pooled["covered"] / pooled["folds"] - self.nominal).abs()
        first = self.summary.index.get_level_values("window")[0]
        score = self.summary.xs(first, level="window")["interval_score"]
        return min(gap.index, key=lambda m: (round(float(gap[m]), 12), score[m]))


def backtest(
    history: History,
    terms,
    methods=METHODS,
    window_months=(3, 1),
    years: int = 20_000,
    seed: int = 1,
    block: int = 3,
    low: float = 5,
    high: float = 95,
) -> Backtest:
    """Which simulation method to trust: for each window length (3 months: the history's
    quarters; 1: its months), hold out each consecutive window in turn, simulate ``years``
    years from the other months with each method, and take the low–high percentile band of
    the simulated cost of a window of that length (the first months of each simulated year,
    priced under ``terms``: base + bonus − capped deductions + on-site fees). Record whether
    the band covers the held-out window's actual cost, its width, and its interval score.

    The same seed per fold for every method; deterministic. 20,000 years: with fewer, the
    5 % point of a held-out quarter can sit on the jump between a quarter with and without a
    deduction month and move from seed to seed (at 4,000 years the choice flipped for 1 seed
    in 7; at 20,000, none of seeds 1–7 changes it). Amounts Decimal CNY (the
    actual cost is exact; bands, widths and scores are simulated estimates)."""
    alpha = (Fraction(str(low)) + 100 - Fraction(str(high))) / 100  # 0.10 for a 5–95 % band
    actual_month = month_amounts_fen(history.met, history.total, history.onsite_fen, terms)
    n = len(history.months)
    rows = []
    for k in window_months:
        if not 1 <= k <= 12 or n < 2 * k:
            raise ValueError(f"a backtest of {k}-month windows needs at least {2 * k} measured months, not {n}")
        for f in range(n // k):
            out = list(range(f * k, (f + 1) * k))
            train = _sub_history(history, [i for i in range(n) if i not in out])
            actual = int(actual_month[out].sum())
            for method in methods:
                sim = simulate_years(train, years, seed + f, method, block)
                cost = monthly_costs_fen(sim, terms)[0][:, :k].sum(axis=1)
                lo, hi = np.percentile(cost, [low, high], method="inverted_cdf")
                lo, hi = int(lo), int(hi)
                score = (hi - lo) + 2 / alpha * (max(0, lo - actual) + max(0, actual - hi))
                rows.append({
                    "method": method,
                    "window": FOLD_NAMES.get(k, f"{k} months"),
                    "held_out": f"{history.months[out[0]]}..{history.months[out[-1]]}" if k > 1 else history.months[out[0]],
                    "actual": _fen(actual),
                    "low": _fen(lo),
                    "high": _fen(hi),
                    "covered": bool(lo <= actual <= hi),
                    "width_fen": hi - lo,
                    "score_fen": score,
                })
    folds = pd.DataFrame(rows)
    summary_rows = []
    for (window, method), group in folds.groupby(["window", "method"], sort=False):
        summary_rows.append({
            "window": window,
            "method": method,
            "folds": len(group),
            "covered": int(group["covered"].sum()),
            "coverage": float(group["covered"].mean()),
            "mean_width": _mean_fen(int(group["width_fen"].sum()), len(group)),
            "interval_score": to_fen(sum(group["score_fen"], Fraction(0)) / (len(group) * 100)),
        })
    summary = pd.DataFrame(summary_rows).set_index(["window", "method"])
    folds["width"] = [_fen(v) for v in folds.pop("width_fen")]
    folds["interval_score"] = [to_fen(Fraction(v) / 100) for v in folds.pop("score_fen")]
    return Backtest(folds, summary, nominal=(high - low) / 100)
