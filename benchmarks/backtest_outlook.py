"""Backtest of the month outlook (issue 15): `sla outlook` run at working days 5, 10 and 15 of
every month, each projection compared with the month's actual outcome.

Prints a Markdown block (between the markers that docs/outlook.md carries): the interval's
coverage overall and per KPI, the "will miss" warnings and their hit rate, the actual misses
that were warned of, the Brier score of P(miss) and the error of the expected remaining
volume. tests/test_outlook.py runs this script and checks that docs/outlook.md holds exactly
its output for the sample year.

Run: `python benchmarks/backtest_outlook.py` (the sample year), or
`python benchmarks/backtest_outlook.py --terms T --data D --months 2026-01:2026-06 --draws 5000`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sla_lib import views  # noqa: E402
from sla_lib.calendar import months_between  # noqa: E402
from sla_lib.kpis import KPI_DEFINITIONS, KPI_LABELS  # noqa: E402
from sla_lib.outlook import BACKTEST_WORKDAYS, INTERVAL_PCT, WILL_MISS, backtest, backtest_summary  # noqa: E402

BEGIN = "<!-- backtest:begin (benchmarks/backtest_outlook.py; do not edit by hand) -->"
END = "<!-- backtest:end -->"
DRAWS = 5000


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.1%})" if whole else "—"


def report(summary: dict, months: list[str], draws: int) -> str:
    lo, hi = INTERVAL_PCT
    lines = [
        BEGIN,
        f"Months {months[0]}..{months[-1]}, outlook at working days {', '.join(map(str, BACKTEST_WORKDAYS))}: "
        f"{summary['checkpoints']} checkpoints, {draws} simulated month ends each (seed 1).",
        "",
        f"| KPI | clause | actual month-end rate inside the {hi - lo} % interval |",
        "|---|---|---|",
    ]
    for key, (covered, count) in summary["coverage_by_kpi"].items():
        lines.append(f"| {KPI_LABELS[key][1]} | {KPI_DEFINITIONS[key][0]} | {_share(covered, count)} |")
    lines += [
        f"| **all** | | **{_share(summary['covered'], summary['intervals'])}** |",
        "",
        f"- \"Will miss\" warnings (a fee KPI with P(miss) ≥ {WILL_MISS:.0%}): {summary['warnings']} given, "
        f"{summary['warnings_true']} came true (hit rate {_share(summary['warnings_true'], summary['warnings'])}).",
        f"- Fee KPIs that missed their target at month end: {summary['actual_misses']} of {summary['fee_kpi_checks']} "
        f"checks; warned of: {_share(summary['misses_warned'], summary['actual_misses'])}.",
        f"- Brier score of P(miss) over the {summary['fee_kpi_checks']} fee-KPI checks: {summary['brier']:.4f}.",
        f"- Expected remaining volume: mean absolute error {summary['volume_mape_pct']:.1f} % of the actual remaining volume.",
        END,
    ]
    return "\n".join(lines)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", default=str(ROOT / "data" / "samples" / "contract.yaml"))
    parser.add_argument("--data", default=str(ROOT / "data" / "samples"))
    parser.add_argument("--months", default=None, help="YYYY-MM:YYYY-MM (default: the months of the term)")
    parser.add_argument("--draws", type=int, default=DRAWS)
    args = parser.parse_args(argv)
    terms, data = views.load_inputs(args.terms, args.data)
    months = months_between(*args.months.split(":")) if args.months else terms.term_months
    text = report(backtest_summary(backtest(data, terms, months, draws=args.draws)), months, args.draws)
    print(text)
    return text


if __name__ == "__main__":
    main()
