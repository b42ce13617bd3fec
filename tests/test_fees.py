"""Fees on hand-worked cases. Sample terms: base 200000.00, bonus 5 %, step 1 pt, 2 % per step,
ceil, cap 30 % (60000.00), payment 10 working days, invoice 5 working days, 0.05 %/day,
termination after 30 days, 2 failing months trigger 20 % of 2,400,000.00."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction as F

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import complaints, dataset, invoices, onsite_visits, payments
import math

from sla_lib.exact import to_fen
from sla_lib.fees import month_fee_statement, performance_adjustment, price_performance
from sla_lib.kpis import FEE_KPIS

D = Decimal
MET = {"consultation_resolution": F(95, 100), "complaint_satisfaction": F(90, 100), "followup_satisfaction": F(95, 100)}


def test_bonus_month(sample_terms):
    adj = performance_adjustment(MET, sample_terms)
    assert (adj.bonus, adj.deductions, adj.total_deduction) == (D("10000.00"), {}, D("0.00"))  # 200000 × 5 %


def test_one_row_below_target_under_each_rounding(sample_terms):
    # 899 of 1000 resolved = 89.9 % vs 90 %: shortfall 0.1 pt
    rates = dict(MET, consultation_resolution=F(899, 1000))
    expected = {"ceil": "4000.00", "floor": "0.00", "prorata": "400.00"}  # 1, 0, 0.1 steps × 2 % × 200000
    for mode, amount in expected.items():
        adj = performance_adjustment(rates, sample_terms.with_changes({"fees.penalty_rounding": mode}))
        assert adj.deductions == {"consultation_resolution": D(amount)}, mode
        assert adj.bonus == D("0.00")  # a missed KPI loses the bonus even with 0 steps


def test_issue_example_trail(sample_terms):
    # complaint satisfaction 82.5 %: ceil((85 - 82.5) / 1) = 3 steps × 2 % × 200000.00 = 12000.00
    adj = performance_adjustment(dict(MET, complaint_satisfaction=F(825, 1000)), sample_terms)
    assert adj.deductions == {"complaint_satisfaction": D("12000.00")}
    assert "C14 complaint_satisfaction: ceil((85 - 82.5) / 1) = 3 steps × 2% × 200000.00 = 12000.00" in [l.explanation for l in adj.lines]
    floor = performance_adjustment(dict(MET, complaint_satisfaction=F(825, 1000)), sample_terms.with_changes({"fees.penalty_rounding": "floor"}))
    prorata = performance_adjustment(dict(MET, complaint_satisfaction=F(825, 1000)), sample_terms.with_changes({"fees.penalty_rounding": "prorata"}))
    assert (floor.total_deduction, prorata.total_deduction) == (D("8000.00"), D("10000.00"))


def test_prorata_rounds_half_up_to_the_fen(sample_terms):
    # rate 2/3: shortfall 85 - 200/3 = 55/3 pt; 200000 × 55/3 × 2 / 100 = 73333.333… -> 73333.33
    terms = sample_terms.with_changes({"fees.penalty_rounding": "prorata", "fees.penalty_cap_pct": 100})
    adj = performance_adjustment(dict(MET, complaint_satisfaction=F(2, 3)), terms)
    assert adj.deductions == {"complaint_satisfaction": D("73333.33")}
    # a tie: base 1000.25 × 2 % = 20.005 -> 20.01 half-up (banker's rounding would give 20.00)
    tie = performance_adjustment(MET, sample_terms.with_changes({"fees.monthly_base_fee": "1000.25", "fees.bonus_pct": 2}))
    assert tie.bonus == D("20.01")


def test_all_missed_month_below_cap(sample_terms):
    # 89 %, 84 %, 89 %: one step each = 4000.00 × 3 = 12000.00 (cap 60000.00 not reached)
    rates = {"consultation_resolution": F(89, 100), "complaint_satisfaction": F(84, 100), "followup_satisfaction": F(89, 100)}
    adj = performance_adjustment(rates, sample_terms)
    assert adj.deductions == {k: D("4000.00") for k in rates}
    assert (adj.total_deduction, adj.capped, adj.bonus) == (D("12000.00"), False, D("0.00"))


def test_cap_reached(sample_terms):
    # 50 % each: 40 + 35 + 40 steps -> 160000 + 140000 + 160000 = 460000.00 > cap 60000.00
    rates = {k: F(1, 2) for k in MET}
    adj = performance_adjustment(rates, sample_terms)
    assert sum(adj.deductions.values()) == D("460000.00")
    assert (adj.total_deduction, adj.capped) == (D("60000.00"), True)


def test_na_fee_kpi(sample_terms):
    rates = dict(MET, followup_satisfaction=None)
    assert performance_adjustment(rates, sample_terms).bonus == D("10000.00")  # n/a counts as met
    missed = performance_adjustment(rates, sample_terms.with_changes({"na_counts_as": "missed"}))
    # priced as a rate of 0: 90 steps × 2 % × 200000 = 360000.00, capped at 60000.00
    assert missed.deductions == {"followup_satisfaction": D("360000.00")}
    assert missed.total_deduction == D("60000.00")


def test_na_fee_kpi_counted_missed_with_a_zero_target_loses_the_bonus(sample_terms):
    """Issue 16: with na_counts_as: missed, an n/a fee KPI is missed whatever its target. A 0 %
    target gives 0 steps (rate 0 % is not short of 0 %), so no deduction, but no bonus either."""
    terms = sample_terms.with_changes({"na_counts_as": "missed", "targets.followup_satisfaction_pct": 0})
    adj = performance_adjustment(dict(MET, followup_satisfaction=None), terms)
    assert (adj.bonus, adj.deductions, adj.total_deduction) == (D("0.00"), {"followup_satisfaction": D("0.00")}, D("0.00"))
    assert adj.lines[0].explanation == "C13 no bonus: missed followup_satisfaction"
    # measured, 0 of 5 satisfied against a 0 % target: met (0 ≥ 0), bonus 200000 × 5 % = 10000.00
    assert performance_adjustment(dict(MET, followup_satisfaction=F(0, 5)), terms).bonus == D("10000.00")
    # with the default na_counts_as: met the same n/a month earns the bonus
    met_terms = sample_terms.with_changes({"targets.followup_satisfaction_pct": 0})
    assert performance_adjustment(dict(MET, followup_satisfaction=None), met_terms).bonus == D("10000.00")


def test_the_kpi_block_and_the_fee_statement_agree_on_an_na_month(sample_terms):
    """October with consultations and complaints but no follow-up at all: C11 is n/a; with
    na_counts_as: missed and a 0 % target the KPI block says missed and so does the fee."""
    from sla_lib.kpis import month_kpis

    terms = sample_terms.with_changes({"na_counts_as": "missed", "targets.followup_satisfaction_pct": 0})
    data = dataset(complaints=complaints(_month_with_satisfaction("2026-10", satisfied=9, unsatisfied=1)))
    kpis = month_kpis(data, terms, "2026-10")
    assert kpis["followup_satisfaction"].rate is None and kpis["followup_satisfaction"].ok is False
    statement = month_fee_statement(data, terms, "2026-10", dt.date(2026, 12, 31))
    assert "followup_satisfaction" in statement.failing_kpis
    assert statement.bonus == D("0.00") and "C13 all fee KPIs met" not in " ".join(statement.explanation)


def oracle_adjustment(rates, terms):
    """The spec's section 4 written directly with Fractions: (bonus, {kpi: deduction}, total)."""
    f = terms.fees
    base, target = F(f.monthly_base_fee), {k: F(getattr(terms.targets, k + "_pct")) for k in FEE_KPIS}
    missed = {}
    for k in FEE_KPIS:
        if rates[k] is None:
            if terms.na_counts_as == "missed":
                missed[k] = F(0)
        elif rates[k] * 100 < target[k]:
            missed[k] = rates[k] * 100
    if not missed:
        return to_fen(base * F(f.bonus_pct) / 100), {}, D("0.00")
    deductions = {}
    for k, rate_pct in missed.items():
        exact = (target[k] - rate_pct) / F(f.penalty_step_pct)
        steps = {"ceil": F(math.ceil(exact)), "floor": F(math.floor(exact)), "prorata": exact}[f.penalty_rounding]
        deductions[k] = to_fen(base * steps * F(f.penalty_per_step_pct) / 100)
    cap = to_fen(base * F(f.penalty_cap_pct) / 100)
    return D("0.00"), deductions, min(sum(deductions.values(), D("0.00")), cap)


def test_exactly_two_steps_is_not_three(sample_terms):
    # 83 % vs 85 %: shortfall exactly 2 steps under ceil -> 8000.00, not 12000.00
    assert performance_adjustment(dict(MET, complaint_satisfaction=F(83, 100)), sample_terms).total_deduction == D("8000.00")


def _month_with_satisfaction(month, satisfied, unsatisfied, day=12):
    scores = [5] * satisfied + [2] * unsatisfied
    return [(f"{month}-K{i}", f"C{i}", f"{month}-{day} 10:00", f"{month}-{day} 10:30", f"{month}-{day} 15:00", None, s) for i, s in enumerate(scores)]


def test_payment_split_in_two_with_one_part_late_and_a_late_invoice(sample_terms):
    # October: complaint satisfaction 16/20 = 80 %: 5 steps × 4000 = 20000.00; amount due 180000.00.
    # Payment due: 10th working day after Oct 31 = Fri 2026-11-13.
    # P1 100000.00 on Nov 10 (on time), P2 80000.00 on Nov 20 (7 days late):
    # damages 80000.00 × 0.05 % × 7 = 280.00.
    # Invoice due: Nov 10 + 5 working days = Nov 17; Nov 20 (Fri) + 5 = Fri Nov 27;
    # I2 issued Mon Nov 30: one working day late.
    data = dataset(
        complaints=complaints(_month_with_satisfaction("2026-10", 16, 4)),
        payments=payments([("P2", "2026-10", "2026-11-20 09:00", "80000.00"), ("P1", "2026-10", "2026-11-10 09:00", "100000.00")]),
        invoices=invoices([("I1", "2026-10", "2026-11-17 18:00", "100000.00"), ("I2", "2026-10", "2026-11-30 09:00", "80000.00")]),
    )
    s = month_fee_statement(data, sample_terms, "2026-10", as_of=dt.date(2026, 12, 31))
    j = s.to_json()
    assert {k: j[k] for k in ("base", "bonus", "deductions", "total_deduction", "amount_due", "payment_due", "paid", "late_days", "late_damages", "termination_right", "invoice_due", "invoices_on_time")} == {
        "base": "200000.00",
        "bonus": "0.00",
        "deductions": {"complaint_satisfaction": "20000.00"},
        "total_deduction": "20000.00",
        "amount_due": "180000.00",
        "payment_due": "2026-11-13",
        "paid": "180000.00",
        "late_days": 7,
        "late_damages": "280.00",
        "termination_right": False,
        "invoice_due": ["2026-11-17", "2026-11-27"],
        "invoices_on_time": False,
    }
    assert j["balance"] == "0.00"
    assert j["failing_kpis"] == ["complaint_satisfaction"]


def test_unpaid_past_termination_threshold(sample_terms):
    # September, no records: every KPI n/a (met) -> bonus, amount due 210000.00.
    # Due: 10th working day after Sep 30: Oct 8, 9, 10 (Sat, adjusted), 12-16, 19, 20 -> Oct 20.
    # 100000.00 paid on Oct 20; 110000.00 still unpaid on 2026-11-25: 36 days > 30.
    # Damages 110000.00 × 0.05 % × 36 = 1980.00. A payment after the as-of date is not yet known.
    data = dataset(
        payments=payments([("P1", "2026-09", "2026-10-20 16:00", "100000.00"), ("P9", "2026-09", "2026-11-26 09:00", "110000.00")]),
        invoices=invoices([("I1", "2026-09", "2026-10-22 10:00", "100000.00")]),
    )
    s = month_fee_statement(data, sample_terms, "2026-09", as_of=dt.date(2026, 11, 25))
    assert (s.amount_due, s.payment_due, s.paid) == (D("210000.00"), dt.date(2026, 10, 20), D("100000.00"))
    assert (s.late_days, s.late_damages, s.termination_right, s.balance) == (36, D("1980.00"), True, D("-110000.00"))
    assert s.invoices_on_time is True
    # 30 days exactly (as of Nov 19) is not "more than 30"
    at_30 = month_fee_statement(data, sample_terms, "2026-09", as_of=dt.date(2026, 11, 19))
    assert (at_30.late_days, at_30.termination_right) == (30, False)


def test_payment_not_yet_due_is_not_late(sample_terms):
    s = month_fee_statement(dataset(), sample_terms, "2026-10", as_of=dt.date(2026, 11, 5))
    assert (s.paid, s.late_days, s.late_damages, s.termination_right, s.invoice_due) == (D("0.00"), 0, D("0.00"), False, [])


def test_repeated_failures_and_onsite_fees(sample_terms):
    # September and October each miss complaint satisfaction: 2 failing months -> C19 exposure
    # 2,400,000.00 × 20 % = 480000.00. October also has two on-site visits (300 + 500).
    data = dataset(
        complaints=complaints(_month_with_satisfaction("2026-09", 8, 2) + _month_with_satisfaction("2026-10", 8, 2)),
        onsite_visits=onsite_visits([("V1", "C1", "2026-10-05 10:00", "300.00"), ("V2", "C2", "2026-10-06 10:00", "500.00")]),
    )
    sep = month_fee_statement(data, sample_terms, "2026-09", as_of=dt.date(2026, 10, 1))
    oct_ = month_fee_statement(data, sample_terms, "2026-10", as_of=dt.date(2026, 11, 1))
    assert (sep.failing_months_to_date, sep.breach_triggered) == (["2026-09"], False)
    assert (oct_.failing_months_to_date, oct_.breach_triggered, oct_.breach_exposure) == (["2026-09", "2026-10"], True, D("480000.00"))
    # 80 %: 5 steps -> 20000.00; 200000 - 20000 + 800 = 180800.00
    assert (oct_.onsite_visits, oct_.onsite_fees, oct_.amount_due) == (2, D("800.00"), D("180800.00"))
    assert oct_.confidentiality_exposure == D("500000.00")


# -- properties -----------------------------------------------------------------------------

_rate = st.one_of(st.none(), st.builds(lambda n, k: F(min(k, n), n), st.integers(1, 2000), st.integers(0, 2000)))
_rates = st.fixed_dictionaries({k: _rate for k in MET})
_changes = st.fixed_dictionaries(
    {
        "fees.penalty_rounding": st.sampled_from(["ceil", "floor", "prorata"]),
        "fees.penalty_cap_pct": st.integers(0, 100),
        "fees.penalty_step_pct": st.sampled_from([D("0.5"), D(1), D(2), D("2.5")]),
        "fees.penalty_per_step_pct": st.sampled_from([D(1), D(2), D(3), D("1.5")]),
        "fees.bonus_pct": st.integers(0, 10),
        "na_counts_as": st.sampled_from(["met", "missed"]),
        "targets.followup_satisfaction_pct": st.sampled_from([0, 90]),  # a 0 % target: issue 16's boundary
    }
)


@settings(max_examples=300, deadline=None)
@given(_rates, _changes)
def test_adjustment_invariants(sample_terms, rates, changes):
    terms = sample_terms.with_changes(changes)
    base = terms.fees.monthly_base_fee
    adj = performance_adjustment(rates, terms)
    cap = (base * terms.fees.penalty_cap_pct / 100).quantize(D("0.01"))
    assert adj.total_deduction <= cap
    assert adj.total_deduction == min(sum(adj.deductions.values(), D("0.00")), cap)
    assert adj.bonus == D("0.00") or adj.total_deduction == D("0.00")
    assert not (adj.bonus > 0 and adj.deductions)
    for amount in [adj.bonus, adj.total_deduction, *adj.deductions.values()]:
        assert amount == amount.quantize(D("0.01"))


@settings(max_examples=400, deadline=None)
@given(_rates, _changes, st.sampled_from(["200000.00", "1000.25", "0.01", "98765432.10"]))
def test_vectorized_pricing_equals_the_fraction_oracle(sample_terms, rates, changes, base):
    terms = sample_terms.with_changes({**changes, "fees.monthly_base_fee": base})
    adj = performance_adjustment(rates, terms)
    assert (adj.bonus, adj.deductions, adj.total_deduction) == oracle_adjustment(rates, terms)


def test_pricing_many_months_at_once_equals_month_by_month(sample_terms):
    rng = __import__("numpy").random.default_rng(7)
    total = rng.integers(0, 3000, size=(50, 12, 3))
    met = (total * rng.uniform(0.6, 1.0, size=total.shape)).astype(int)
    for mode in ("ceil", "floor", "prorata"):
        terms = sample_terms.with_changes({"fees.penalty_rounding": mode, "na_counts_as": "missed"})
        priced = price_performance(met, total, terms)
        for y, m in [(0, 0), (3, 7), (49, 11), (20, 5)]:
            rates = {k: (F(int(met[y, m, i]), int(total[y, m, i])) if total[y, m, i] else None) for i, k in enumerate(FEE_KPIS)}
            bonus, deductions, total_deduction = oracle_adjustment(rates, terms)
            assert priced.bonus_fen[y, m] == int(bonus * 100)
            assert priced.total_deduction_fen[y, m] == int(total_deduction * 100)


def test_huge_counts_fall_back_to_exact_python_integers(sample_terms):
    terms = sample_terms.with_changes({"fees.penalty_rounding": "prorata", "fees.monthly_base_fee": "98765432.10", "fees.penalty_cap_pct": 100})
    met, total = [[8_999_999_999, 8_000_000_001, 9_000_000_000]], [[10_000_000_000] * 3]
    priced = price_performance(met, total, terms)
    rates = {k: F(m, t) for k, m, t in zip(FEE_KPIS, met[0], total[0])}
    assert priced.total_deduction_fen[0] == int(oracle_adjustment(rates, terms)[2] * 100)


@settings(max_examples=300, deadline=None)
@given(_rates, _changes, st.sampled_from(list(MET)), st.integers(1, 500))
def test_raising_a_kpi_never_lowers_the_amount_due(sample_terms, rates, changes, kpi, gain):
    terms = sample_terms.with_changes(changes)
    if rates[kpi] is None:
        return
    better = dict(rates, **{kpi: min(F(1), rates[kpi] + F(gain, 1000))})
    before, after = performance_adjustment(rates, terms), performance_adjustment(better, terms)
    assert after.bonus - after.total_deduction >= before.bonus - before.total_deduction
