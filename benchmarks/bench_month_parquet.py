"""Benchmark 2 (issue #7): one month's KPIs and fee statement for 10 M consultations read
from Parquet: consultations per second and peak memory. Run: `make bench`. Not a test.

The data set (`sla generate --months 2 --consultations-per-month 10000000 --format parquet`)
is generated once into $SLA_BENCH_DATA (default /tmp/sla-bench-10m; about 0.6 GB, 3 min) and
reused. Each measurement runs in a fresh process, so its peak resident memory (ru_maxrss) is
that of the computation alone:

  cold   the statement of the second month with no KPI cache: both months are read and
         counted (C19 looks back over the term), one month at a time;
  month  the same statement with the first month's KPIs in a --kpi-cache folder: the
         month itself is read and counted (what a monthly run costs once the cache is warm).

Times are of the library call (open the folder, read, validate, count, price), without
the interpreter's start-up and imports, which are printed separately.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SLA_BENCH_DATA", "/tmp/sla-bench-10m"))
PER_MONTH = int(os.environ.get("SLA_BENCH_PER_MONTH", "10000000"))
MONTH = "2026-02"

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from sla_lib.fees import month_fee_statement
from sla_lib.kpi_store import KpiStore
from sla_lib.monthly import MonthlyData
from sla_lib.terms import load_terms
imported = time.perf_counter() - t0
data_dir, month, cache = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
start = time.perf_counter()
terms = load_terms(data_dir / "contract.yaml")
data = MonthlyData.open(data_dir, terms)
if cache != "-":
    data.kpi_cache = KpiStore(cache, data.files)
statement = month_fee_statement(data, terms, month, as_of=terms.term.end)
seconds = time.perf_counter() - start
counted = {t: a.rows_read for t, a in data.accounting.items()}
print(json.dumps({"seconds": seconds, "imports": imported, "rows": counted,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "amount_due": str(statement.amount_due)}))
"""


def ensure_data() -> None:
    marker = DATA / f".complete-{PER_MONTH}"
    if marker.exists():
        return
    print(f"generating 2 months × {PER_MONTH:,} consultations into {DATA} (once) ...", flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sla_lib.cli", "generate", "--months", "2", "--consultations-per-month",
                    str(PER_MONTH), "--format", "parquet", "--out", str(DATA)], check=True, cwd=ROOT)
    print(f"generated in {time.perf_counter() - start:.0f} s", flush=True)
    marker.touch()


def run(cache: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(DATA), MONTH, cache], check=True, cwd=ROOT,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def main(repeats: int = 3) -> None:
    ensure_data()
    with tempfile.TemporaryDirectory() as cache:
        run(cache)  # fills the cache with both months
        # keep the first month only: the measured run counts the second
        for f in Path(cache).glob(f"*/*/{MONTH}.json"):
            f.unlink()
        month_runs = []
        for _ in range(repeats):
            month_runs.append(run(cache))
            for f in Path(cache).glob(f"*/*/{MONTH}.json"):
                f.unlink()
    cold_runs = [run("-") for _ in range(repeats)]
    for name, runs in (("cold (2 months read)", cold_runs), ("month (cache warm)", month_runs)):
        best = min(runs, key=lambda r: r["seconds"])
        consultations = best["rows"]["consultations"]
        everything = sum(best["rows"].values())
        times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(f"{name}: {best['seconds']:.2f} s for {consultations:,} consultations "
              f"({consultations / best['seconds'] / 1e6:.2f} M consultations/s; {everything:,} rows of all tables), "
              f"peak {max(r['peak_mib'] for r in runs):,.0f} MiB; imports {best['imports']:.1f} s; "
              f"amount due {best['amount_due']}; runs {times} s")


if __name__ == "__main__":
    main()
