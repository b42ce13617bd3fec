"""C7 renewal: key dates, replay, simulated years, grid and break-even."""

import datetime as dt
from decimal import Decimal as D

import numpy as np
import pytest

from conftest import SAMPLES
from sla_lib import fee_statements, load_dataset, load_terms
from sla_lib.errors import TermsError
from sla_lib.kpis import FEE_KPIS
from sla_lib.renewal import (
    History,
    Scenario,
    break_even,
    compare_scenarios,
    cost_grid,
    history_from_data,
    parse_scenario,
    project,
    renewal_dates,
    replay,
    simulate_years,
)


@pytest.fixture(scope="module")
def sample():
    terms = load_terms(SAMPLES / "contract.yaml")
    data = load_dataset(SAMPLES, terms)
    return terms, data, history_from_data(data, terms)


def test_key_dates(sample_terms):
    d = renewal_dates(sample_terms, as_of=dt.date(2026, 10, 2))
    # term ends 2026-12-31; 30 days' notice -> 2026-12-01; renewal of 12 months from 2027-01-01
    assert (d.objection_deadline, d.auto_renewal_check, d.renewed_start, d.renewed_end) == (
        dt.date(2026, 12, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert (d.days_to_objection_deadline, d.objection_warning) == (60, True)
    assert renewal_dates(sample_terms, as_of=dt.date(2026, 10, 1)).objection_warning is False  # 61 days
    assert renewal_dates(sample_terms, as_of=dt.date(2026, 12, 2)).objection_warning is False  # passed


def test_renewed_term_from_a_month_end_is_clipped(sample_terms):
    terms = sample_terms.with_changes({"term.end": dt.date(2027, 1, 30), "term.renewal_months": 1})
    d = renewal_dates(terms, as_of=dt.date(2026, 12, 1))
    # from Jan 31 for one month: to Feb 27 (the day before "Feb 31" clipped to Feb 28)
    assert (d.renewed_start, d.renewed_end) == (dt.date(2027, 1, 31), dt.date(2027, 2, 27))


def test_replay_of_unchanged_terms_reproduces_sla_fees_to_the_fen(sample):
    terms, data, history = sample
    statements = fee_statements(data, terms, terms.term_months, dt.date(2027, 3, 31))
    rep = replay(history, terms, terms)
    assert list(rep.index) == terms.term_months
    assert [rep.loc[s.month, "actual"] for s in statements] == [s.amount_due for s in statements]
    assert set(rep["difference"]) == {D("0.00")}


def test_replay_under_a_higher_penalty(sample):
    terms, _, history = sample
    # July: complaint satisfaction 77.8125 % -> 8 steps; at 3 % per step instead of 2 %,
    # 8 × 1 % × 200000.00 = 16000.00 more deducted; every other month meets all fee KPIs
    rep = replay(history, terms, Scenario("p3", {"fees.penalty_per_step_pct": 3}).apply(terms))
    assert rep.loc["2026-07", "difference"] == D("-16000.00")
    assert set(rep.drop("2026-07")["difference"]) == {D("0.00")}


def test_same_seed_same_draws(sample):
    _, _, history = sample
    for method in ("bootstrap", "parametric"):
        a, b = simulate_years(history, 500, 42, method), simulate_years(history, 500, 42, method)
        assert np.array_equal(a.met, b.met) and np.array_equal(a.total, b.total)
        assert not np.array_equal(a.met, simulate_years(history, 500, 43, method).met)


def test_bootstrap_mean_is_the_history_mean_within_sampling_error(sample):
    _, _, history = sample
    years = 4000
    sim = simulate_years(history, years, 7, "bootstrap", block=3)
    n = years * 12 / 3  # independent blocks
    for k in range(len(FEE_KPIS)):
        values = history.met[:, k]
        se = values.std(ddof=1) / np.sqrt(n)
        assert abs(sim.met[:, :, k].mean() - values.mean()) < 5 * se + 1e-9


@pytest.mark.parametrize("shift", [0.0, -3.0, 2.0])
def test_parametric_rate_mean_is_the_fitted_mean_plus_shift(sample, shift):
    _, _, history = sample
    years = 3000
    sim = simulate_years(history, years, 11, "parametric", shift_pp={"complaint_satisfaction": shift})
    k = FEE_KPIS.index("complaint_satisfaction")
    mu = history.met[:, k].sum() / history.total[:, k].sum() + shift / 100
    rates = sim.met[:, :, k] / sim.total[:, :, k]
    # month rates vary by beta spread and binomial noise; 5 standard errors of their mean
    se = rates.std(ddof=1) / np.sqrt(rates.size)
    assert abs(rates.mean() - mu) < 5 * se


def test_projection_shapes_and_exclusive_bonus_or_deduction(sample):
    terms, _, history = sample
    sim = simulate_years(history, 1000, 3, "parametric")
    proj = project(sim, terms)
    assert proj.yearly_cost_fen.shape == (1000,)
    assert not (proj.bonus_months & proj.deduction_months).any()
    assert abs(proj.p_bonus_month + proj.p_deduction_month - 1) < 1e-12  # all months measured here
    lo, hi = proj.band()
    assert lo <= proj.expected_yearly_cost <= hi


def test_projection_of_a_tiny_history_by_hand(sample_terms):
    # two months: one all met (bonus 10000.00), one missing complaint satisfaction by
    # 80 % -> 5 steps × 2 % = 20000.00 deduction; bootstrap with block 1 over 2 months
    history = History(["a", "b"], np.array([[95, 90, 95], [95, 80, 95]]), np.array([[100, 100, 100]] * 2), np.array([0, 0]))
    sim = simulate_years(history, 2000, 5, "bootstrap", block=1)
    proj = project(sim, sample_terms)
    bad_months = (sim.met[:, :, 1] == 80).sum(axis=1)
    expected = 12 * 210000_00 - bad_months * (10000_00 + 20000_00)
    assert np.array_equal(proj.yearly_cost_fen, expected)


def test_compare_scenarios_table(sample):
    terms, _, history = sample
    sim = simulate_years(history, 500, 1)
    table = compare_scenarios(history, terms, [parse_scenario("strict:fees.penalty_per_step_pct=3,fees.penalty_cap_pct=50")], sim)
    assert list(table.index) == ["current", "strict"]
    assert table.loc["current", "replay_difference"] == D("0.00")
    assert table.loc["strict", "replay_difference"] == D("-16000.00")
    assert table.loc["strict", "expected_yearly_cost"] <= table.loc["current", "expected_yearly_cost"]


def test_grid_cost_never_rises_with_the_penalty(sample):
    terms, _, history = sample
    sim = simulate_years(history, 500, 2, "parametric")
    grid = cost_grid(sim, terms, "fees.penalty_per_step_pct", [1, 2, 3, 4], "targets.complaint_satisfaction_pct", [80, 85, 90])
    assert grid.shape == (4, 3)
    for column in grid.columns:
        values = list(grid[column])
        assert values == sorted(values, reverse=True)


def test_break_even_penalty(sample):
    terms, _, history = sample
    sim = simulate_years(history, 500, 4, "parametric")
    # a 6 % bonus instead of 5 %: which penalty per step keeps B's expected income as today?
    lenient = Scenario("b6", {"fees.bonus_pct": 6}).apply(terms)
    value = break_even(sim, terms, lenient)
    assert value is not None and value > terms.fees.penalty_per_step_pct
    # raising the target to 90 % costs B more than any penalty cut can give back
    assert break_even(sim, terms, terms.with_changes({"targets.complaint_satisfaction_pct": 90})) is None
    goal = project(sim, terms).yearly_cost_fen.sum()

    def cost(v):
        return project(sim, lenient.with_changes({"fees.penalty_per_step_pct": v})).yearly_cost_fen.sum()

    assert cost(value) <= goal < cost(value - D("0.01"))


def test_scenario_errors_name_the_key(sample_terms):
    with pytest.raises(TermsError, match="fees.payment_workdays"):
        Scenario("x", {"fees.payment_workdays": 5}).apply(sample_terms)
    with pytest.raises(TermsError, match="fees.penalty_per_step_pct"):
        Scenario("x", {"fees.penalty_per_step_pct": 101}).apply(sample_terms)
    with pytest.raises(TermsError, match="expected NAME"):
        parse_scenario("fees.bonus_pct=3")
    with pytest.raises(TermsError, match="key=value"):
        parse_scenario("a:fees.bonus_pct")


def test_sliders_reprice_the_simulated_years(sample):
    import time

    from sla_lib.display import scenario_explorer

    terms, _, history = sample
    sim = simulate_years(history, 10_000, 1, "parametric")
    assert scenario_explorer(sim, terms, "en", interactive=False) is None  # headless: no widgets
    box = scenario_explorer(sim, terms, "en", interactive=True)
    penalty = box.children[0]
    assert penalty.description == "penalty_per_step_pct"
    start = time.perf_counter()
    penalty.value = 4.0  # the observer re-prices and redraws the summary
    elapsed = time.perf_counter() - start
    shown = box.children[-1].value
    expected = project(sim, terms.with_changes({"fees.penalty_per_step_pct": "4.0"})).expected_yearly_cost
    assert f"{expected:,.2f}" in shown
    print(f"slider re-pricing took {elapsed:.3f} s")  # measured, not asserted (benchmarks hold timings)
