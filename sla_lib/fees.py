"""The month's fee statement (spec section 4): C5, C12–C20, exact decimals.

Each line item carries its clause id and its formula with the numbers filled in, so a
finance reader can check it by hand: that list is the explanation trail of the reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from .calendar import WorkCalendar, in_month, month_days, parse_month, to_local_naive, today_in
from .exact import FEN, decimal_text, pct_text, to_fen, to_fraction
from .kpis import FEE_KPIS, MonthKpis, month_kpis, with_month_memo

ZERO = Decimal("0.00")


def _fmt_pct(value) -> str:
    return decimal_text(Decimal(value)) if not isinstance(value, Fraction) else pct_text(value / 100, 4)


def _frac_text(value: Fraction) -> str:
    """Exact fraction for the trail: '2.5', or '7/3 (2.3333)' when not a short decimal."""
    d = Decimal(value.numerator) / Decimal(value.denominator)
    if to_fraction(d) == value and len(format(d.normalize(), "f")) <= 12:
        return format(d.normalize(), "f")
    return f"{value.numerator}/{value.denominator} ({d.quantize(Decimal('0.0001'))})"


@dataclass(frozen=True)
class LineItem:
    """One amount of the statement with the clause it comes from and how it was computed."""

    clause: str
    key: str
    amount: Decimal | None  # None: a date or a status, not an amount
    explanation: str


@dataclass(frozen=True)
class PerformanceAdjustment:
    """C13/C14: bonus or deductions for one month's fee KPI rates."""

    bonus: Decimal
    deductions: dict[str, Decimal]
    total_deduction: Decimal
    capped: bool
    lines: tuple[LineItem, ...]


def _ratio(value) -> tuple[int, int]:
    f = to_fraction(value)
    return f.numerator, f.denominator


def _half_up_div(num, den):
    """round(num / den) half-up for non-negative integer arrays."""
    return (2 * num + den) // (2 * den)


@dataclass(frozen=True)
class PricedMonths:
    """C13/C14 for many months at once, in integer fen (exact). Arrays have the shape of
    the counts without their last axis; per-KPI arrays keep it (FEE_KPIS order)."""

    missed: np.ndarray  # (..., 3) bool
    steps_num: np.ndarray  # (..., 3) steps = steps_num / steps_den
    steps_den: np.ndarray
    deduction_fen: np.ndarray  # (..., 3), 0 where met
    total_deduction_fen: np.ndarray  # (...), capped
    capped: np.ndarray  # (...) bool
    bonus_fen: np.ndarray  # (...)
    cap_fen: int

    @property
    def adjustment_fen(self) -> np.ndarray:
        """bonus − total deduction: what the performance clauses add to the base fee."""
        return self.bonus_fen - self.total_deduction_fen


def price_performance(met, total, terms) -> PricedMonths:
    """C13 bonus and C14 deductions, vectorized over months: ``met`` and ``total`` are
    integer counts of shape (..., 3) for the fee KPIs in FEE_KPIS order (total 0 = n/a).

    Exact integer arithmetic: a KPI is met when 100·met·q ≥ p·total for a target p/q;
    shortfall steps and amounts are ratios of integers rounded half-up to the fen once.
    An n/a KPI counts as met unless ``na_counts_as: missed``; then it is missed whatever its
    target (no bonus, like the KPI block's ``ok: false``), and its deduction is priced as a
    rate of 0 % (a 0 % target: no step short, no deduction). docs/decisions.md, "n/a"."""
    fees, targets = terms.fees, terms.targets
    met = np.asarray(met, dtype=np.int64)
    total = np.asarray(total, dtype=np.int64)
    tp, tq = (np.array(v, dtype=np.int64) for v in zip(*[_ratio(getattr(targets, f"{k}_pct")) for k in FEE_KPIS]))
    sp, sq = _ratio(fees.penalty_step_pct)
    pp, pq = _ratio(fees.penalty_per_step_pct)
    base_fen = int(fees.monthly_base_fee * 100)

    na = total == 0
    if terms.na_counts_as == "missed":
        met, total = np.where(na, 0, met), np.where(na, 1, total)
    # bound the largest intermediate product; past int64, compute with Python integers
    bound = 2 * base_fen * max(1, int(total.max(initial=1))) * int(tp.max()) * sq * max(pp, 1) * 100 * int(tq.max())
    if bound >= 2**62:
        met, total = met.astype(object), total.astype(object)
    meets = 100 * tq * met >= tp * total
    # n/a is never measured against the target: it counts as the terms say (spec §3-§4)
    meets = meets | na if terms.na_counts_as == "met" else meets & ~na
    missed = ~meets
    xn = (tp * total - 100 * tq * met) * sq  # shortfall / step = xn / xd
    xd = tq * total * sp
    xn = np.where(missed, xn, 0)
    xd = np.where(missed, xd, 1)
    if fees.penalty_rounding == "ceil":
        steps_num, steps_den = -((-xn) // xd), np.ones_like(xd)
    elif fees.penalty_rounding == "floor":
        steps_num, steps_den = xn // xd, np.ones_like(xd)
    else:  # prorata
        steps_num, steps_den = xn, xd
    deduction = _half_up_div(base_fen * steps_num * pp, steps_den * pq * 100)
    uncapped = deduction.sum(axis=-1)
    cp, cq = _ratio(fees.penalty_cap_pct)
    cap_fen = _half_up_div(base_fen * cp, cq * 100)
    bp, bq = _ratio(fees.bonus_pct)
    any_missed = missed.any(axis=-1)
    return PricedMonths(
        missed=missed,
        steps_num=steps_num,
        steps_den=steps_den,
        deduction_fen=deduction,
        total_deduction_fen=np.minimum(uncapped, cap_fen),
        capped=uncapped > cap_fen,
        bonus_fen=np.where(any_missed, 0, _half_up_div(base_fen * bp, bq * 100)),
        cap_fen=int(cap_fen),
    )


def _fen(value) -> Decimal:
    return (Decimal(int(value)) / 100).quantize(FEN)


def performance_adjustment(rates: dict[str, Fraction | None], terms) -> PerformanceAdjustment:
    """C13 bonus / C14 deductions for one month from the fee KPIs' exact rates (None = n/a),
    with the explanation trail; the arithmetic is :func:`price_performance`'s."""
    fees = terms.fees
    base = fees.monthly_base_fee
    counts = [(0, 0) if rates.get(k) is None else (rates[k].numerator, rates[k].denominator) for k in FEE_KPIS]
    priced = price_performance([c[0] for c in counts], [c[1] for c in counts], terms)
    missed = [k for i, k in enumerate(FEE_KPIS) if priced.missed[i]]

    if not missed:
        bonus = _fen(priced.bonus_fen)
        line = LineItem("C13", "bonus", bonus, f"C13 all fee KPIs met: {base} × {_fmt_pct(fees.bonus_pct)}% = {bonus}")
        return PerformanceAdjustment(bonus, {}, ZERO, False, (line,))

    lines = [LineItem("C13", "bonus", ZERO, f"C13 no bonus: missed {', '.join(missed)}")]
    deductions: dict[str, Decimal] = {}
    for i, kpi in enumerate(FEE_KPIS):
        if not priced.missed[i]:
            continue
        rate_pct = Fraction(0) if rates.get(kpi) is None else rates[kpi] * 100
        steps = Fraction(int(priced.steps_num[i]), int(priced.steps_den[i]))
        amount = deductions[kpi] = _fen(priced.deduction_fen[i])
        lines.append(
            LineItem(
                "C14",
                f"deduction.{kpi}",
                amount,
                f"C14 {kpi}: {fees.penalty_rounding}(({_fmt_pct(getattr(terms.targets, kpi + '_pct'))} - {_frac_text(rate_pct)})"
                f" / {_fmt_pct(fees.penalty_step_pct)}) = {_frac_text(steps)} steps × {_fmt_pct(fees.penalty_per_step_pct)}%"
                f" × {base} = {amount}",
            )
        )
    uncapped = sum(deductions.values(), ZERO)
    total = _fen(priced.total_deduction_fen)
    capped = bool(priced.capped)
    lines.append(
        LineItem(
            "C14",
            "total_deduction",
            total,
            f"C14 total deduction: {' + '.join(str(v) for v in deductions.values())} = {uncapped}"
            + (f", capped at {_fmt_pct(fees.penalty_cap_pct)}% × {base} = {total}" if capped else f" (cap {_fen(priced.cap_fen)} not reached)"),
        )
    )
    return PerformanceAdjustment(ZERO, deductions, total, capped, tuple(lines))


def payment_status(statement: "FeeStatement", as_of: dt.date) -> tuple[str, int]:
    """C15/C17 in words for the headline: ('settled', 0) when the month's payments cover the
    amount due; otherwise ('not_due', days left until the payment due date, 0 on the due date
    itself) while ``as_of`` is on or before it, and ('overdue', days past it) after it."""
    if statement.balance >= 0:
        return "settled", 0
    if as_of <= statement.payment_due:
        return "not_due", (statement.payment_due - as_of).days
    return "overdue", (as_of - statement.payment_due).days


def payment_due_date(month: str, terms, workcal: WorkCalendar) -> dt.date:
    """C15: Party A pays within N working days after the month ends: the N-th working day
    after the month's last day."""
    _, last = month_days(month)
    return workcal.nth_workday_after(last, terms.fees.payment_workdays)


def invoice_due_date(paid_on: dt.date, terms, workcal: WorkCalendar) -> dt.date:
    """C16: Party B invoices within N working days after receiving a payment."""
    return workcal.nth_workday_after(paid_on, terms.fees.invoice_workdays)


@dataclass(frozen=True)
class PaymentPart:
    """A slice of the amount due, settled by one payment or still unpaid at the as-of date."""

    payment_id: str | None  # None: still unpaid
    date: dt.date
    amount: Decimal
    late_days: int


def apply_payments(amount_due: Decimal, payments: pd.DataFrame, due: dt.date, as_of: dt.date) -> list[PaymentPart]:
    """C17: payments (``payment_id``, ``paid_on``, ``amount``; in date order) applied to the
    amount due; the remainder unpaid at ``as_of`` is one more part. Over-payment beyond the
    amount due settles nothing and is not late."""
    parts: list[PaymentPart] = []
    remaining = amount_due
    for row in payments.itertuples(index=False):  # a month has a handful of payments
        if remaining <= 0:
            break
        part = min(row.amount, remaining)
        parts.append(PaymentPart(str(row.payment_id), row.paid_on, part, max(0, (row.paid_on - due).days)))
        remaining -= part
    if remaining > 0:
        parts.append(PaymentPart(None, as_of, remaining, max(0, (as_of - due).days)))
    return parts


def part_damages(part: PaymentPart, daily_pct: Decimal) -> Fraction:
    """C17 for one part: amount × daily % × late days, exact (not yet rounded)."""
    return to_fraction(part.amount) * to_fraction(daily_pct) / 100 * part.late_days


def late_payment_damages(parts: list[PaymentPart], daily_pct: Decimal) -> Decimal:
    """C17: Σ part × daily % × late days, rounded to the fen once, at the end."""
    return to_fen(sum((part_damages(p, daily_pct) for p in parts), Fraction(0)))


@dataclass(frozen=True)
class InvoiceCheck:
    """C16 for one payment (or one invoice with no payment to match): matched in date order."""

    payment_id: str | None
    paid_on: dt.date | None
    invoice_due: dt.date | None
    invoice_id: str | None
    issued_on: dt.date | None
    amount: Decimal | None
    status: str  # on_time | late | pending (not yet due) | overdue (due passed, none issued) | no_payment


@dataclass
class FeeStatement:
    """One month's settlement under the contract, with its explanation trail."""

    month: str
    as_of: dt.date
    kpis: MonthKpis
    base: Decimal
    bonus: Decimal
    deductions: dict[str, Decimal]
    total_deduction: Decimal
    deduction_capped: bool
    onsite_visits: int
    onsite_fees: Decimal
    amount_due: Decimal
    payment_due: dt.date
    payments: pd.DataFrame
    parts: list[PaymentPart]
    paid: Decimal
    late_days: int
    late_damages: Decimal
    termination_right: bool
    invoice_checks: list[InvoiceCheck]
    invoices: pd.DataFrame
    failing_kpis: list[str]
    failing_months_to_date: list[str]
    breach_triggered: bool
    breach_exposure: Decimal
    confidentiality_exposure: Decimal
    daily_pct: Decimal = Decimal(0)
    lines: list[LineItem] = field(default_factory=list)
    # event tables with no row at all in the month (MonthKpis.tables_without_rows): their
    # KPIs are n/a and priced as the terms say (na_counts_as); shown, never silent
    no_data_tables: tuple[str, ...] = ()

    @property
    def invoice_due(self) -> list[dt.date]:
        """C16: one invoice due date per payment, in payment order."""
        return invoice_due_dates(self.invoice_checks)

    @property
    def invoices_on_time(self) -> bool:
        return invoices_on_time(self.invoice_checks)

    def parts_frame(self) -> pd.DataFrame:
        """C17 by part: what each payment settled (and the part still unpaid), its late days
        and damages (each part rounded for reading; the total is rounded once)."""
        return pd.DataFrame(
            {
                "payment_id": [p.payment_id for p in self.parts],
                "date": [p.date for p in self.parts],
                "applied": pd.Series([p.amount for p in self.parts], dtype=object),
                "late_days": pd.Series([p.late_days for p in self.parts], dtype="int64"),
                "late_damages": pd.Series([to_fen(part_damages(p, self.daily_pct)) for p in self.parts], dtype=object),
            }
        )

    def invoices_frame(self) -> pd.DataFrame:
        """C16 by payment: due date, matched invoice, status."""
        columns = ["payment_id", "paid_on", "invoice_due", "invoice_id", "issued_on", "amount", "status"]
        return pd.DataFrame([[getattr(c, k) for k in columns] for c in self.invoice_checks], columns=columns)

    @property
    def balance(self) -> Decimal:
        """paid − amount due: negative = under-payment, positive = over-payment."""
        return self.paid - self.amount_due

    @property
    def explanation(self) -> list[str]:
        return [line.explanation for line in self.lines]

    def to_json(self) -> dict:
        """The ``fees`` object of spec section 7 (stable keys; amounts as strings)."""
        return {
            "base": str(self.base),
            "bonus": str(self.bonus),
            "deductions": {k: str(v) for k, v in self.deductions.items()},
            "total_deduction": str(self.total_deduction),
            "onsite_fees": str(self.onsite_fees),
            "amount_due": str(self.amount_due),
            "payment_due": self.payment_due.isoformat(),
            "paid": str(self.paid),
            "balance": str(self.balance),
            "late_days": self.late_days,
            "late_damages": str(self.late_damages),
            "termination_right": self.termination_right,
            "invoice_due": [d.isoformat() for d in self.invoice_due],
            "invoices_on_time": self.invoices_on_time,
            "failing_kpis": list(self.failing_kpis),
            "failing_months_to_date": list(self.failing_months_to_date),
            "breach_penalty_triggered": self.breach_triggered,
            "breach_exposure": str(self.breach_exposure),
            "confidentiality_exposure": str(self.confidentiality_exposure),
            "no_data": list(self.no_data_tables),
            "explanation": self.explanation,
        }

    def to_frame(self) -> pd.DataFrame:
        """The line items as a table: clause, item, amount (Decimal), formula."""
        return pd.DataFrame(
            [(l.clause, l.key, l.amount, l.explanation) for l in self.lines],
            columns=["clause", "item", "amount", "explanation"],
        )


def _dated(frame: pd.DataFrame, column: str, tz: str) -> pd.Series:
    return pd.Series(to_local_naive(frame[column], tz).dt.date, index=frame.index)


def _known_rows(table: pd.DataFrame, month: str, stamp: str, day: str, id_column: str, tz: str, as_of: dt.date) -> pd.DataFrame:
    """A money table's rows for ``month`` dated on or before ``as_of``, in date order, with
    their local date in ``day``."""
    rows = table[table["service_month"] == month].copy()
    rows[day] = _dated(rows, stamp, tz)
    return rows[rows[day] <= as_of].sort_values([day, id_column], kind="stable")


def month_payments(data, month: str, terms, as_of: dt.date) -> pd.DataFrame:
    """The month's payments known at ``as_of``, in date order, with ``paid_on`` dates."""
    return _known_rows(data["payments"], month, "paid_at", "paid_on", "payment_id", terms.contract.timezone, as_of)


def month_invoices(data, month: str, terms, as_of: dt.date) -> pd.DataFrame:
    """The month's invoices known at ``as_of``, in date order, with ``issued_on`` dates."""
    return _known_rows(data["invoices"], month, "issued_at", "issued_on", "invoice_id", terms.contract.timezone, as_of)


def invoice_status(payments: pd.DataFrame, invoices: pd.DataFrame, terms, workcal: WorkCalendar, as_of: dt.date) -> list[InvoiceCheck]:
    """C16: each payment (date order) with its invoice due date and the invoice matched to it
    in date order. A payment still waiting for its invoice is late (``overdue``) only once
    its due date has passed at ``as_of``; invoices beyond the payments are ``no_payment``."""
    pays = list(zip(payments["payment_id"].astype(str), payments["paid_on"]))
    invs = list(zip(invoices["invoice_id"].astype(str), invoices["issued_on"], invoices["amount"]))
    checks = []
    for i in range(max(len(pays), len(invs))):
        pid, paid_on = pays[i] if i < len(pays) else (None, None)
        iid, issued, amount = invs[i] if i < len(invs) else (None, None, None)
        due = invoice_due_date(paid_on, terms, workcal) if paid_on else None
        if due is None:
            status = "no_payment"
        elif issued is not None:
            status = "on_time" if issued <= due else "late"
        else:
            status = "pending" if as_of <= due else "overdue"
        checks.append(InvoiceCheck(pid, paid_on, due, iid, issued, amount, status))
    return checks


def invoice_due_dates(checks: list[InvoiceCheck]) -> list[dt.date]:
    return [c.invoice_due for c in checks if c.invoice_due is not None]


def invoices_on_time(checks: list[InvoiceCheck]) -> bool:
    """C16: every payment has its invoice issued by its due date (or it is not yet due)."""
    return all(c.status in ("on_time", "pending") for c in checks if c.payment_id is not None)


def failing_months(data, terms, up_to: str, workcal: WorkCalendar) -> list[str]:
    """C19: months of the term up to ``up_to`` in which some fee KPI was missed (each month
    counted once: see :func:`~sla_lib.kpis.with_month_memo`)."""
    data = with_month_memo(data)
    return [
        m for m in terms.term_months
        if parse_month(m) <= parse_month(up_to) and month_kpis(data, terms, m, workcal).failing_fee_kpis
    ]


def month_fee_statement(
    data, terms, month: str, as_of: dt.date | None = None, workcal: WorkCalendar | None = None
) -> FeeStatement:
    """C12–C20 for ``month``: base, bonus or deductions, on-site fees, amount due, payment due
    date, payments applied in date order, late damages at ``as_of`` (default: today in the
    contract's zone), termination right, invoice deadlines, C19/C20 exposure."""
    workcal = workcal or WorkCalendar.from_terms(terms)
    tz = terms.contract.timezone
    if as_of is None:
        as_of = today_in(tz)
    data = with_month_memo(data)
    kpis = month_kpis(data, terms, month, workcal)
    fees, liability = terms.fees, terms.liability
    base = fees.monthly_base_fee

    lines = [LineItem("C12", "base", base, f"C12 monthly base fee = {base}")]
    no_data = kpis.tables_without_rows
    if no_data:
        lines.append(no_data_line(kpis, terms))
    adjustment = performance_adjustment({k: kpis[k].rate for k in FEE_KPIS}, terms)
    lines.extend(adjustment.lines)

    visits = data["onsite_visits"]
    visits = visits[in_month(visits["visited_at"], month, tz)]
    onsite = sum(visits["fee"], ZERO)
    if len(visits):
        lines.append(LineItem("C5", "onsite_fees", onsite, f"C5 on-site visits (agreed separately): {len(visits)} visits = {onsite}"))

    amount_due = base + adjustment.bonus - adjustment.total_deduction + onsite
    lines.append(
        LineItem(
            "C12",
            "amount_due",
            amount_due,
            f"amount due = {base} + {adjustment.bonus} - {adjustment.total_deduction}"
            + (f" + {onsite}" if len(visits) else "")
            + f" = {amount_due}",
        )
    )

    due = payment_due_date(month, terms, workcal)
    lines.append(LineItem("C15", "payment_due", None, f"C15 payment due: {fees.payment_workdays} working days after {month_days(month)[1]} = {due}"))
    payments = month_payments(data, month, terms, as_of)
    paid = sum(payments["amount"], ZERO)
    parts = apply_payments(amount_due, payments, due, as_of)
    damages = late_payment_damages(parts, liability.late_payment_daily_pct)
    late_days = max((p.late_days for p in parts), default=0)
    for p in parts:
        who = f"payment {p.payment_id} on {p.date}" if p.payment_id else f"unpaid at {p.date}"
        lines.append(
            LineItem(
                "C17",
                "late_part",
                to_fen(part_damages(p, liability.late_payment_daily_pct)),
                f"C17 {who}: {p.amount} × {_fmt_pct(liability.late_payment_daily_pct)}% × {p.late_days} days late",
            )
        )
    lines.append(LineItem("C17", "late_damages", damages, f"C17 late-payment damages (rounded once) = {damages}"))
    termination = any(p.late_days > liability.termination_overdue_days for p in parts)
    lines.append(
        LineItem(
            "C18",
            "termination_right",
            None,
            f"C18 longest delay {late_days} days vs {liability.termination_overdue_days}: "
            + ("Party B may terminate (and suspend service, 五(二))" if termination else "no termination right"),
        )
    )

    invoices = month_invoices(data, month, terms, as_of)
    checks = invoice_status(payments, invoices, terms, workcal, as_of)
    on_time = invoices_on_time(checks)
    lines.append(
        LineItem(
            "C16",
            "invoices",
            None,
            f"C16 invoices due {', '.join(map(str, invoice_due_dates(checks))) or '(no payment yet)'}; issued "
            f"{', '.join(map(str, invoices['issued_on'])) or 'none'}: " + ("on time" if on_time else "LATE"),
        )
    )

    failing = failing_months(data, terms, month, workcal)
    contract_total = terms.total_contract_amount()
    exposure = to_fen(to_fraction(contract_total) * to_fraction(liability.breach_penalty_pct) / 100)
    triggered = len(failing) >= liability.repeated_failure_months
    lines.append(
        LineItem(
            "C19",
            "breach_exposure",
            exposure if triggered else ZERO,
            f"C19 months failing a fee KPI to date: {len(failing)} ({', '.join(failing) or 'none'}) of "
            f"{liability.repeated_failure_months} allowed; exposure {contract_total} × {_fmt_pct(liability.breach_penalty_pct)}% = {exposure}"
            + (" (triggered)" if triggered else " (not triggered)"),
        )
    )
    lines.append(
        LineItem("C20", "confidentiality_exposure", liability.confidentiality_penalty, f"C20 fixed penalty for a confidentiality breach = {liability.confidentiality_penalty}")
    )

    return FeeStatement(
        month=month,
        as_of=as_of,
        kpis=kpis,
        base=base,
        bonus=adjustment.bonus,
        deductions=adjustment.deductions,
        total_deduction=adjustment.total_deduction,
        deduction_capped=adjustment.capped,
        onsite_visits=int(len(visits)),
        onsite_fees=onsite,
        amount_due=amount_due,
        payment_due=due,
        payments=payments,
        parts=parts,
        paid=paid,
        late_days=late_days,
        late_damages=damages,
        termination_right=termination,
        invoice_checks=checks,
        invoices=invoices,
        failing_kpis=kpis.failing_fee_kpis,
        failing_months_to_date=failing,
        breach_triggered=triggered,
        breach_exposure=exposure,
        confidentiality_exposure=liability.confidentiality_penalty,
        daily_pct=liability.late_payment_daily_pct,
        lines=lines,
        no_data_tables=no_data,
    )


def no_data_line(kpis: MonthKpis, terms) -> LineItem:
    """The trail's warning for a month in which some event table has no rows at all: which
    tables, which KPIs are n/a because of it, and how the terms price them (C21: the figure
    is traceable to the absence of its rows). The pricing itself is unchanged."""
    empty = kpis.tables_without_rows
    fee_kpis = [k for k in kpis.no_data_kpis if k in FEE_KPIS]
    how = (
        f"fee KPIs {', '.join(fee_kpis)} are n/a and count as {'met' if terms.na_counts_as == 'met' else 'missed'} "
        f"(na_counts_as: {terms.na_counts_as})" if fee_kpis else "no fee KPI depends on them"
    )
    return LineItem(
        "C21", "no_data", None,
        f"NO DATA: {', '.join(empty)} {'has' if len(empty) == 1 else 'have'} no rows in {kpis.month}; {how}; "
        "check that the export covers the month before settling",
    )


def fee_statements(data, terms, months: list[str], as_of: dt.date | None = None) -> list[FeeStatement]:
    """The statements of several months, sharing one calendar and one KPI computation per month."""
    workcal = WorkCalendar.from_terms(terms)
    data = with_month_memo(data)
    return [month_fee_statement(data, terms, m, as_of, workcal) for m in months]


def fee_series(statements: list[FeeStatement]) -> pd.DataFrame:
    """One row per month for trends and term-to-date sums (amounts stay Decimal)."""
    return pd.DataFrame(
        [
            {
                "month": s.month,
                "base": s.base,
                "bonus": s.bonus,
                "total_deduction": s.total_deduction,
                "onsite_fees": s.onsite_fees,
                "amount_due": s.amount_due,
                "payment_due": s.payment_due,
                "paid": s.paid,
                "balance": s.balance,
                "late_days": s.late_days,
                "late_damages": s.late_damages,
                "termination_right": s.termination_right,
                "invoices_on_time": s.invoices_on_time,
                "failing_kpis": ", ".join(s.failing_kpis),
            }
            for s in statements
        ]
    ).set_index("month")


def range_totals(statements: list[FeeStatement]) -> dict:
    """Totals over several months' statements (amounts as strings, exact), e.g. the term."""

    def total(attr):
        return str(sum((getattr(st, attr) for st in statements), ZERO))

    return {
        "months": len(statements),
        "base": total("base"),
        "bonus": total("bonus"),
        "total_deduction": total("total_deduction"),
        "onsite_fees": total("onsite_fees"),
        "amount_due": total("amount_due"),
        "paid": total("paid"),
        "late_damages": total("late_damages"),
        "months_with_bonus": sum(1 for st in statements if st.bonus > 0),
        "months_with_deduction": sum(1 for st in statements if st.total_deduction > 0),
    }
