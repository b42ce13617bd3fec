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
    DEFAULT_METHOD,
    History,
    Scenario,
    backtest,
    break_even,
    compare_scenarios,
    cost_grid,
    history_from_data,
    parse_scenario,
    parse_scenarios,
    project,
    projection_row,
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
    assert penalty.description == "C14 penalty per step (% of base fee)"  # the contract's name, not the key
    rounding = box.children[7]
    assert rounding.description == "C14 rounding of steps"
    assert rounding.options == (("up (a part step counts as a step)", "ceil"), ("down (a part step is not counted)", "floor"),
                                ("pro rata (exact steps)", "prorata"))
    zh = scenario_explorer(sim, terms, "zh", interactive=True)
    assert zh.children[0].description == "C14 每档扣款（基础服务费 %）" and zh.children[7].description == "C14 档数取整"
    start = time.perf_counter()
    penalty.value = 4.0  # the observer re-prices and redraws the summary
    elapsed = time.perf_counter() - start
    shown = box.children[-1].value
    expected = project(sim, terms.with_changes({"fees.penalty_per_step_pct": "4.0"})).expected_yearly_cost
    assert f"{expected:,.2f}" in shown
    # the paired difference from the current contract, and only the moved term named
    diff = expected - project(sim, terms).expected_yearly_cost
    assert f"{diff:+,.2f}" in shown and "C14 penalty per step" in shown and "C10" not in shown
    print(f"slider re-pricing took {elapsed:.3f} s")  # measured, not asserted (benchmarks hold timings)


# -- paired differences, the cap and the floor of zero (issue 14) ----------------------------------

TWO_MONTHS = History(["a", "b"], np.array([[95, 90, 95], [95, 80, 95]]), np.array([[100, 100, 100]] * 2), np.array([0, 0]))


def test_paired_difference_by_hand(sample_terms):
    # month a: all met, bonus 10,000.00; month b: complaint satisfaction 80 % against 85 %:
    # 5 steps. At 3 % per step instead of 2 %: 30,000.00 instead of 20,000.00, so each
    # b-month of a simulated year costs Party A 10,000.00 less, and nothing else changes.
    sim = simulate_years(TWO_MONTHS, 2000, 5, "bootstrap", block=1)
    bad = (sim.met[:, :, 1] == 80).sum(axis=1)
    base = project(sim, sample_terms)
    alt = project(sim, Scenario("p3", {"fees.penalty_per_step_pct": 3}).apply(sample_terms))
    diff = alt.difference_from(base)
    assert np.array_equal(diff.yearly_fen, -10000_00 * bad)
    assert diff.expected == (D(-10000) * D(int(bad.sum())) / 2000).quantize(D("0.01"))
    lo, hi = np.percentile(-10000 * bad, [5, 95], method="inverted_cdf")
    assert diff.band() == (D(int(lo)).quantize(D("0.01")), D(int(hi)).quantize(D("0.01")))
    assert diff.p_cheaper == float((bad > 0).mean()) and diff.p_dearer == 0.0
    # the band of the difference is much narrower than the difference of the bands
    assert diff.band()[1] - diff.band()[0] < (alt.band()[1] - alt.band()[0]) + (base.band()[1] - base.band()[0])


def test_difference_needs_the_same_years(sample_terms):
    a = project(simulate_years(TWO_MONTHS, 10, 1, "bootstrap", block=1), sample_terms)
    b = project(simulate_years(TWO_MONTHS, 20, 1, "bootstrap", block=1), sample_terms)
    with pytest.raises(ValueError, match="same simulated years"):
        a.difference_from(b)


def test_cap_binds_by_hand(sample_terms):
    # 8 % per step: month b deducts 5 × 8 % × 200,000.00 = 80,000.00 before the cap, the
    # 30 % cap (60,000.00) deducts 60,000.00: 20,000.00 cut off in every b-month
    sim = simulate_years(TWO_MONTHS, 2000, 5, "bootstrap", block=1)
    bad = (sim.met[:, :, 1] == 80)
    proj = project(sim, Scenario("p8", {"fees.penalty_per_step_pct": 8}).apply(sample_terms))
    cap = proj.cap_effect()
    n = int(bad.sum())
    assert (cap.limit, cap.cap_pct, cap.cap) == ("cap", D(30), D("60000.00"))
    assert cap.p_month == float(bad.mean()) and cap.p_year == float(bad.any(axis=1).mean())
    assert cap.expected_yearly_before == (D(80000) * n / 2000).quantize(D("0.01"))
    assert cap.expected_yearly_after == (D(60000) * n / 2000).quantize(D("0.01"))
    assert cap.expected_yearly_cut == (D(20000) * n / 2000).quantize(D("0.01"))
    assert np.array_equal(proj.yearly_cost_fen, 12 * 210000_00 - bad.sum(axis=1) * (10000_00 + 60000_00))
    # at 2 % per step (40,000.00 < 60,000.00) the cap never binds
    calm = project(sim, sample_terms).cap_effect()
    assert (calm.p_month, calm.p_year, calm.expected_yearly_cut) == (0.0, 0.0, D("0.00"))
    assert calm.expected_yearly_before == calm.expected_yearly_after == (D(20000) * n / 2000).quantize(D("0.01"))


def test_floor_of_zero_binds_by_hand(sample_terms):
    # a cap of 100 % is the floor of zero: deductions never above B. 25 % per step:
    # 5 × 25 % = 125 % of B = 250,000.00 before, 200,000.00 deducted: the month costs 0.00
    sim = simulate_years(TWO_MONTHS, 500, 2, "bootstrap", block=1)
    bad = (sim.met[:, :, 1] == 80)
    terms = sample_terms.with_changes({"fees.penalty_per_step_pct": 25, "fees.penalty_cap_pct": 100})
    proj = project(sim, terms)
    cap = proj.cap_effect()
    assert (cap.limit, cap.cap) == ("zero_floor", D("200000.00"))
    assert cap.p_month == float(bad.mean())
    assert cap.expected_yearly_cut == (D(50000) * int(bad.sum()) / 500).quantize(D("0.01"))
    assert np.array_equal(proj.yearly_cost_fen, (~bad).sum(axis=1) * 210000_00)  # a b-month costs 0.00


def test_sample_penalty_8_cap_labelled_before_and_after(sample):
    """Issue 14's case: at 8 % per step 'expected deduction' was 136,960 (before the cap,
    unlabelled) while the cost fell by only 63,617. Now both sides of the cap are given, and
    the fall in cost is exactly the rise of what is deducted after the cap."""
    terms, _, history = sample
    sim = simulate_years(history, 10_000, 1, "parametric")
    table = compare_scenarios(history, terms, [Scenario("p8", {"fees.penalty_per_step_pct": 8})], sim)
    cur, p8 = table.loc["current"], table.loc["p8"]
    assert p8["expected_deduction.complaint_satisfaction"] == D("136960.00")  # before the cap, per KPI
    assert p8["expected_difference"] == D("-63616.80")
    assert p8["deduction_before_cap"] == D("137852.80") and p8["deduction_after_cap"] == D("97999.20")
    assert p8["cap_cut"] == p8["deduction_before_cap"] - p8["deduction_after_cap"] == D("39853.60")
    # the bonus does not depend on the penalty: the cost falls by what more is deducted
    assert p8["expected_difference"] == -(p8["deduction_after_cap"] - cur["deduction_after_cap"])
    assert p8["expected_difference"] == p8["expected_yearly_cost"] - cur["expected_yearly_cost"]
    assert (p8["cap_limit"], p8["cap_pct"], p8["cap"]) == ("cap", D(30), D("60000.00"))
    assert (p8["p_cap_month"], p8["p_cap_year"]) == (9518 / 120_000, 0.6327)  # 9,518 of 120,000 months; 6,327 of 10,000 years
    # July replayed: 8 steps × 8 % = 128,000.00 before the cap, 60,000.00 deducted, against
    # 32,000.00 today: 28,000.00 less to pay
    assert p8["replay_difference"] == D("-28000.00")
    assert (cur["expected_difference"], cur["difference_p5"], cur["difference_p95"]) == (D("0.00"),) * 3
    assert p8["difference_p5"] == D("-140000.00") and p8["difference_p95"] == D("0.00")


def test_projection_row_oracle(sample):
    """Every figure of a comparison row recomputed from the simulated months directly
    (numpy over the priced months, not the Projection's methods)."""
    from sla_lib.fees import price_performance

    terms, _, history = sample
    sim = simulate_years(history, 3000, 9, "parametric")
    alt_terms = terms.with_changes({"fees.penalty_per_step_pct": 6, "fees.penalty_cap_pct": 20})
    row = projection_row(project(sim, alt_terms), project(sim, terms))
    base_fen = 200000_00

    def cost(t):
        p = price_performance(sim.met, sim.total, t)
        return (base_fen + p.bonus_fen - p.total_deduction_fen + sim.onsite_fen).sum(axis=1), p

    c0, _ = cost(terms)
    c1, p1 = cost(alt_terms)
    d = c1 - c0
    fen = lambda v: (D(int(v)) / 100).quantize(D("0.01"))
    assert row["expected_difference"] == (D(int(d.sum())) / len(d) / 100).quantize(D("0.01"))
    assert (row["difference_p5"], row["difference_p95"]) == tuple(fen(v) for v in np.percentile(d, [5, 95], method="inverted_cdf"))
    before = p1.deduction_fen.sum(axis=-1)
    capped = before > 40000_00
    assert row["p_cap_month"] == float(capped.mean()) and row["p_cap_year"] == float(capped.any(axis=1).mean())
    cut = (before - np.minimum(before, 40000_00)).sum()
    assert row["cap_cut"] == (D(int(cut)) / len(d) / 100).quantize(D("0.01"))
    assert row["p_cheaper_year"] == float((d < 0).mean())


def test_current_is_reserved_and_names_are_unique(sample):
    terms, _, history = sample
    with pytest.raises(TermsError, match="current contract"):
        parse_scenario("current:fees.bonus_pct=3")
    sim = simulate_years(history, 10, 1)
    with pytest.raises(TermsError, match="current contract"):
        compare_scenarios(history, terms, [Scenario("current", {"fees.bonus_pct": 3})], sim)
    with pytest.raises(TermsError, match="its own name"):
        compare_scenarios(history, terms, [Scenario("a", {}), Scenario("a", {"fees.bonus_pct": 3})], sim)


def test_parse_scenarios_from_a_list_or_a_string():
    one = ["strict:fees.penalty_per_step_pct=3", "lenient:targets.complaint_satisfaction_pct=80,fees.bonus_pct=4"]
    expected = [Scenario("strict", {"fees.penalty_per_step_pct": "3"}),
                Scenario("lenient", {"targets.complaint_satisfaction_pct": "80", "fees.bonus_pct": "4"})]
    assert parse_scenarios(one) == expected  # papermill -y / -f: a YAML list
    assert parse_scenarios('["strict:fees.penalty_per_step_pct=3", "lenient:targets.complaint_satisfaction_pct=80,fees.bonus_pct=4"]') == expected  # -p
    assert parse_scenarios("strict:fees.penalty_per_step_pct=3; lenient:targets.complaint_satisfaction_pct=80,fees.bonus_pct=4") == expected
    assert parse_scenarios([]) == [] and parse_scenarios("") == []
    with pytest.raises(TermsError, match="JSON list"):
        parse_scenarios('["a:fees.bonus_pct=3"')
    with pytest.raises(TermsError, match="its own name"):
        parse_scenarios(["a:fees.bonus_pct=3", "a:fees.bonus_pct=4"])
    with pytest.raises(TermsError, match="for each scenario"):
        parse_scenarios({"a": 1})
    with pytest.raises(TermsError, match="list of"):
        parse_scenarios(3)


# -- the backtest that chose the default method (issue 14) -----------------------------------------

def _one_bad_month(n: int = 12, bad: int = 6) -> History:
    met = np.array([[95, 90, 95]] * n)
    met[bad] = [95, 80, 95]  # complaint satisfaction 80 %: no bonus, 5 steps × 2 % = 20,000.00
    return History([f"2026-{m:02d}" for m in range(1, n + 1)], met, np.array([[100, 100, 100]] * n), np.zeros(n, dtype=np.int64))


def test_backtest_by_hand(sample_terms):
    """Twelve months, all 210,000.00 (base + 5 % bonus) but July, 180,000.00. Bootstrap,
    blocks of 3: a held-out quarter's cost is one block of 3 consecutive training months.

    Quarters: holding out Q3 leaves no bad month, the band is [630,000, 630,000] and misses
    Q3's 600,000 by 30,000: interval score 0 + 20 × 30,000 = 600,000. Holding out another
    quarter leaves July in 3 of the 9 cyclic blocks (P = 1/3 > 5 %): band [600,000, 630,000],
    covers 630,000, width and score 30,000. Months: the held-out month's band from 11 months,
    one bad (P = 1/11 > 5 %): [180,000, 210,000], covered, width 30,000; July held out:
    [210,000, 210,000] misses 180,000 by 30,000, score 600,000."""
    bt = backtest(_one_bad_month(), sample_terms, methods=("bootstrap",), years=5000, seed=3)
    q = bt.folds[bt.folds["window"] == "quarters"].set_index("held_out")
    assert list(q.index) == ["2026-01..2026-03", "2026-04..2026-06", "2026-07..2026-09", "2026-10..2026-12"]
    assert list(q["actual"]) == [D("630000.00"), D("630000.00"), D("600000.00"), D("630000.00")]
    assert list(q["low"]) == [D("600000.00"), D("600000.00"), D("630000.00"), D("600000.00")]
    assert set(q["high"]) == {D("630000.00")}
    assert list(q["covered"]) == [True, True, False, True]
    assert list(q["interval_score"]) == [D("30000.00"), D("30000.00"), D("600000.00"), D("30000.00")]
    s = bt.summary
    assert s.loc[("quarters", "bootstrap")].to_dict() == {
        "folds": 4, "covered": 3, "coverage": 0.75, "mean_width": D("22500.00"), "interval_score": D("172500.00")}
    assert s.loc[("months", "bootstrap")].to_dict() == {
        "folds": 12, "covered": 11, "coverage": 11 / 12, "mean_width": D("27500.00"), "interval_score": D("77500.00")}
    assert bt.nominal == 0.9


def test_backtest_choice_rule():
    import pandas as pd

    from sla_lib.renewal import Backtest

    def summary(rows):
        return pd.DataFrame(rows, columns=["window", "method", "folds", "covered", "coverage", "mean_width", "interval_score"]).set_index(["window", "method"])

    # coverage nearest the claimed 90 % wins, whatever the score
    bt = Backtest(None, summary([("quarters", "a", 10, 9, 0.9, D(5), D(100)), ("quarters", "b", 10, 10, 1.0, D(5), D(50))]), 0.9)
    assert bt.choice() == "a"
    # equal coverage (pooled over the window lengths): the lower interval score of quarters
    bt = Backtest(None, summary([("quarters", "a", 4, 3, 0.75, D(5), D(200)), ("quarters", "b", 4, 3, 0.75, D(9), D(150)),
                                 ("months", "a", 12, 10, 0.8, D(5), D(10)), ("months", "b", 12, 10, 0.8, D(9), D(20))]), 0.9)
    assert bt.choice() == "b"


def test_backtest_on_the_sample_chooses_the_default(sample):
    """The decision of docs/decisions.md ("Renewal scenarios"), reproduced: both methods
    cover 3 of 4 held-out quarters and 10 of 12 held-out months; parametric has the lower
    interval score; it is DEFAULT_METHOD."""
    terms, _, history = sample
    bt = backtest(history, terms)
    s = bt.summary
    assert list(s.index) == [("quarters", "bootstrap"), ("quarters", "parametric"), ("months", "bootstrap"), ("months", "parametric")]
    assert list(s["covered"]) == [3, 3, 10, 10] and list(s["folds"]) == [4, 4, 12, 12]
    assert list(s["interval_score"]) == [D("229050.00"), D("192800.00"), D("106208.33"), D("97358.33")]
    assert list(s["mean_width"]) == [D("32050.00"), D("54800.00"), D("39041.67"), D("30191.67")]
    assert bt.choice() == DEFAULT_METHOD == "parametric"
    # missed by both: 2026-Q3 and July (complaint satisfaction 77.8 %), and March (the highest
    # on-site fees, 2,800.00, 100.00 above the band)
    missed = bt.folds[~bt.folds["covered"]]
    assert set(missed["held_out"]) == {"2026-07..2026-09", "2026-07", "2026-03"}


# -- sla simulate (the negotiator's command) -------------------------------------------------------

def _simulate(*args):
    from click.testing import CliRunner

    from sla_lib.cli import cli

    result = CliRunner().invoke(cli, ["simulate", "--terms", str(SAMPLES / "contract.yaml"), "--data", str(SAMPLES), "--as-of", "2026-10-01", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_simulate_default_method_is_the_backtests_and_json_keys_stay(sample):
    import json

    obj = json.loads(_simulate("--set", "fees.penalty_per_step_pct=8", "--years", "10000", "--format", "json"))
    assert obj["method"] == obj["default_method"] == DEFAULT_METHOD
    current, p8 = obj["scenarios"]
    old_keys = {"name", "changes", "replay_total", "replay_difference", "expected_yearly_cost", "p5", "p95", "p_bonus_month",
                "p_deduction_month", "expected_deduction"}
    assert old_keys <= set(p8)  # the keys of before issue 14 are kept
    # the same figures as the library's (test_sample_penalty_8_cap_labelled_before_and_after)
    assert p8["expected_deduction"]["complaint_satisfaction"] == "136960.00"
    assert p8["difference"] == {"expected": "-63616.80", "p5": "-140000.00", "p95": "0.00", "p_cheaper_year": p8["difference"]["p_cheaper_year"]}
    assert (p8["expected_deduction_before_cap"], p8["expected_deduction_after_cap"]) == ("137852.80", "97999.20")
    assert p8["cap"] == {"limit": "cap", "cap_pct": "30", "cap": "60000.00", "binds_share_of_months": round(9518 / 120_000, 6),
                         "binds_share_of_years": 0.6327, "expected_yearly_cut": "39853.60"}
    assert current["difference"]["expected"] == "0.00"
    assert D(p8["expected_yearly_cost"]) - D(current["expected_yearly_cost"]) == D(p8["difference"]["expected"])


def test_simulate_table_labels_the_cap_and_the_terms():
    out = _simulate("--set", "fees.penalty_per_step_pct=8", "--years", "2000")
    assert "现行合同 current contract" in out and "\ncurrent " not in out
    assert "before cap" in out and "after cap" in out and "cut by cap" in out and "上限 cap 30%" in out
    assert "fees.penalty_per_step_pct: C14 每档扣款（基础服务费 %） / C14 penalty per step (% of base fee)" in out
    assert "parametric (default: chosen by backtest)" in out
    assert "paired" in out and "estimates over 2000 simulated years" in out
    bootstrap = _simulate("--years", "200", "--method", "bootstrap")
    assert f"bootstrap (default {DEFAULT_METHOD})" in bootstrap


# -- the README's command for the renewal notebook (issue 14) ---------------------------------------

def test_readme_renewal_notebook_command_runs_from_the_repo_root(tmp_path):
    """The README's papermill line, run as written from the repository root with papermill's
    own CLI (.venv/bin): only the output goes to a temporary folder instead of reports/, and
    two parameters are appended to keep it fast (years, backtest_years). The default inputs
    (None: data/samples, found from the package) and the -y list both work."""
    import shlex
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import nbformat
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line.strip() for line in readme.splitlines() if line.strip().startswith("papermill notebooks/renewal_scenarios.ipynb")]
    assert len(lines) == 1, lines
    argv = shlex.split(lines[0])
    papermill = Path(sys.executable).parent / "papermill"
    argv[0] = str(papermill if papermill.exists() else shutil.which("papermill"))
    assert argv[2] == "reports/renewal_scenarios.ipynb"
    argv[2] = str(tmp_path / "renewal_scenarios.ipynb")
    argv += ["-p", "years", "300", "-p", "backtest_years", "500", "--no-progress-bar"]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Unable to parse" not in proc.stderr and "unknown parameter" not in proc.stderr  # the parameters cell parses
    book = nbformat.read(tmp_path / "renewal_scenarios.ipynb", as_version=4)
    outputs = [o for c in book.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("data", {}).get("text/html", "")) + str(o.get("text", "")) for o in outputs)
    for expected in ("cap100", "strict", "Current contract", "Difference to current contract (expected, paired years)",
                     "Expected yearly deduction, before cap", "Expected yearly deduction, after cap (deducted)",
                     "Interval score (lower is better)", "-16,000.00"):
        assert expected in text, expected
    assert "C14 deduction cap (% of base fee): 100%" in text  # the changed term by its contract name
    assert "fees." not in text  # no raw key shown


# -- what the negotiator reads: labels, table, chart ----------------------------------------------

def test_parse_scenarios_mapping_and_shift():
    from sla_lib.renewal import parse_shift

    assert parse_scenarios({"strict": {"fees.penalty_per_step_pct": 3}, "r": {"fees.penalty_rounding": "prorata"}}) == [
        Scenario("strict", {"fees.penalty_per_step_pct": 3}), Scenario("r", {"fees.penalty_rounding": "prorata"})]
    assert parse_scenarios('{"strict": {"fees.penalty_per_step_pct": 3}}') == [Scenario("strict", {"fees.penalty_per_step_pct": 3})]
    with pytest.raises(TermsError, match="current contract"):
        parse_scenarios({"current": {"fees.bonus_pct": 3}})
    assert parse_shift({"complaint_satisfaction": -2}) == parse_shift('{"complaint_satisfaction": -2}') == \
        parse_shift("complaint_satisfaction=-2") == {"complaint_satisfaction": -2.0}
    assert parse_shift(None) == parse_shift({}) == parse_shift("") == {}
    with pytest.raises(TermsError, match="percentage points"):
        parse_shift({"complaint_satisfaction": "lots"})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_scenario_table_and_summary_say_current_contract_and_the_cap(sample, lang):
    from sla_lib import labels as L
    from sla_lib import views
    from sla_lib.display import show

    terms, _, history = sample
    sim = simulate_years(history, 2000, 1)
    chosen = [Scenario("p8", {"fees.penalty_per_step_pct": 8})]
    table = compare_scenarios(history, terms, chosen, sim)
    shown = views.scenario_table(table, lang, chosen)
    assert list(shown.columns) == ["current", "p8"]
    html = show(shown, lang).to_html()
    current = L.column("current", lang)
    assert current == {"zh": "现行合同", "en": "Current contract"}[lang]
    assert f">{current}<" in html and ">current<" not in html  # the header, labelled
    for row in ("expected_difference", "difference_p5", "difference_p95", "deduction_before_cap", "deduction_after_cap", "cap_cut",
                "p_cap_month", "p_cap_year"):
        assert L.column(row, lang) in html
    assert L.column("fees.penalty_per_step_pct", lang) in shown.loc["changes", "p8"] and "fees." not in shown.loc["changes", "p8"]
    assert shown.loc["cap_limit", "p8"] == {"zh": "扣款上限 30%", "en": "deduction cap 30%"}[lang]
    summary = views.negotiator_summary(table, lang, chosen)
    row = table.loc["p8"]
    assert f"{row['expected_difference']:+,.2f}" in summary and f"{row['difference_p5']:+,.2f}" in summary
    assert f"{row['deduction_before_cap']:,.2f}" in summary and f"{row['deduction_after_cap']:,.2f}" in summary
    assert f"{row['cap_cut']:,.2f}" in summary


def test_distribution_chart_ecdf_with_the_current_contract_as_reference(sample):
    from sla_lib import charts, views

    terms, _, history = sample
    sim = simulate_years(history, 500, 2)
    chosen = [Scenario("strict", {"fees.penalty_per_step_pct": 3}), Scenario("lenient", {"fees.bonus_pct": 4})]
    costs = views.simulated_costs(sim, terms, chosen)
    table = compare_scenarios(history, terms, chosen, sim)
    charts.use_report_style()
    fig = charts.cost_distribution_chart(costs, "zh", table)
    left, right = fig.axes
    lines = {line.get_label(): line for line in left.get_lines()}
    assert set(lines) == {"现行合同", "strict", "lenient"}
    assert lines["现行合同"].get_linewidth() > lines["strict"].get_linewidth()  # the reference stands out
    x, y = lines["strict"].get_data()
    assert np.allclose(np.sort(costs["strict"] / 1_000_000), x) and y[-1] == 1.0  # an ECDF of the yearly cost (CNY 10k)
    assert {t.get_text() for t in right.get_yticklabels()} == {"strict", "lenient"}
    # the right panel: each alternative's expected paired difference (dot) and its 5–95 % band, in CNY 10k
    dots = [line for line in right.get_lines() if line.get_marker() == "o"]
    assert sorted(float(d.get_xdata()[0]) for d in dots) == sorted(float(table.loc[n, "expected_difference"]) / 10_000 for n in ("strict", "lenient"))
    legend = [t.get_text() for t in left.get_legend().get_texts()]
    assert legend[0] == "现行合同"


def test_grid_axes_by_contract_names(sample):
    from sla_lib import charts

    terms, _, history = sample
    sim = simulate_years(history, 200, 2)
    grid = cost_grid(sim, terms, "fees.penalty_per_step_pct", [1, 2], "targets.complaint_satisfaction_pct", [80, 85])
    charts.use_report_style()
    ax = charts.grid_heatmap_chart(grid, "en").axes[0]
    assert ax.get_ylabel() == "C14 penalty per step (% of base fee)" and ax.get_xlabel() == "C10 complaint satisfaction target %"
    assert "fees." not in ax.get_title()
