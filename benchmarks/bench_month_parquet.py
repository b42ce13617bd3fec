"""Benchmark 2 (issue #7): a month's KPIs and fee statement for 10 M consultations read
from Parquet: consultations per second and peak memory. Run: `make bench`. Not a test.

The data set (`sla generate --months 2 --consultations-per-month 10000000 --format parquet`:
January 2026 has 10.1 M consultations, February, with the Spring Festival, 7.8 M) is
generated once into $SLA_BENCH_DATA (default /tmp/sla-bench-10m; 0.5 GB, about 2 min) and
reused. Each measurement runs in a fresh process, as `sla fees` does (MonthlyData: the
columnar engine, sla_lib.columnar, counting each month straight from the files):

  january        the statement of 2026-01, the first month of the term (nothing to look back on);
  february cold  the statement of 2026-02 with no KPI cache: C19 looks back, so January is
                 read and counted too, one month at a time (memory stays that of one month);
  february warm  the same with January's KPIs in a --kpi-cache folder.

Times are of the library call (open the folder, read, validate, count, price), without the
interpreter's start-up and imports (printed apart). Peak memory is the largest resident set
of the process.
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
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
print(json.dumps({"seconds": seconds, "imports": imported, "rows": {t: a.rows_read for t, a in data.accounting.items()},
                  "peak_mib": peak, "amount_due": str(statement.amount_due)}))
"""


def ensure_generated(folder: Path, months: int, marker_name: str, note: str = "") -> None:
    """`sla generate` of ``months`` months × PER_MONTH consultations into ``folder``, once
    (a marker file says it is complete)."""
    marker = folder / marker_name
    if marker.exists():
        return
    print(f"generating {months} months × {PER_MONTH:,} consultations into {folder} (once{note}) ...", flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sla_lib.cli", "generate", "--months", str(months), "--consultations-per-month",
                    str(PER_MONTH), "--format", "parquet", "--out", str(folder)], check=True, cwd=ROOT)
    print(f"generated in {time.perf_counter() - start:.0f} s", flush=True)
    marker.touch()


def ensure_data() -> None:
    ensure_generated(DATA, 2, f".complete-{PER_MONTH}")


def run(month: str, cache: str = "-") -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(DATA), month, cache], check=True, cwd=ROOT,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def report(name: str, runs: list[dict]) -> None:
    best = min(runs, key=lambda r: r["seconds"])
    consultations = best["rows"]["consultations"]
    everything = sum(best["rows"].values())
    times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    print(f"{name}: {consultations:,} consultations ({everything:,} rows of all tables) in {best['seconds']:.2f} s = "
          f"{consultations / best['seconds'] / 1e6:.2f} M consultations/s; peak {max(r['peak_mib'] for r in runs):,.0f} MiB; "
          f"imports {best['imports']:.1f} s; amount due {best['amount_due']}; runs {times} s", flush=True)


def main(repeats: int = 3) -> None:
    ensure_data()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}", flush=True)
    report("january", [run("2026-01") for _ in range(repeats)])
    report("february cold (january read too)", [run("2026-02") for _ in range(repeats)])
    with tempfile.TemporaryDirectory() as cache:
        run("2026-01", cache)  # january's KPIs into the cache
        warm = []
        for _ in range(repeats):
            warm.append(run("2026-02", cache))
            for f in Path(cache).glob("*/*/2026-02.json"):
                f.unlink()
    report("february warm (january cached)", warm)


if __name__ == "__main__":
    main()
