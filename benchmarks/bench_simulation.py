"""Benchmark 4 (issues #5, #7): scenario simulation throughput.

10,000 simulated years × 10 scenarios priced on the sample history, both draw methods.
Run: `make bench` (or `.venv/bin/python benchmarks/bench_simulation.py`). Not a test.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sla_lib import load_dataset, load_terms  # noqa: E402
from sla_lib.renewal import Scenario, compare_scenarios, history_from_data, simulate_years  # noqa: E402


def main(years: int = 10_000, n_scenarios: int = 10, repeat: int = 3) -> None:
    terms = load_terms(ROOT / "data/samples/contract.yaml")
    data = load_dataset(ROOT / "data/samples", terms)
    history = history_from_data(data, terms)
    scenarios = [Scenario(f"p{i}", {"fees.penalty_per_step_pct": 1 + i % 5, "fees.penalty_rounding": ["ceil", "floor", "prorata"][i % 3]}) for i in range(n_scenarios - 1)]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for method in ("bootstrap", "parametric"):
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            sim = simulate_years(history, years, 1, method)
            compare_scenarios(history, terms, scenarios, sim)
            best = min(best, time.perf_counter() - start)
        months = years * 12 * n_scenarios
        print(f"simulate {method:10s}: {years} years × {n_scenarios} scenarios in {best:.3f} s "
              f"({months / best / 1e6:.1f} M simulated months priced per second)")


if __name__ == "__main__":
    main()
