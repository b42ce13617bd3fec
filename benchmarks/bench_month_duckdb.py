"""Benchmark 6 (issue 13): the month's seven counts, the project against a columnar engine.

Run: `make bench` (or `python benchmarks/bench_month_duckdb.py`). Not a test. Measured side
by side in one run, on January 2026 of the 10 M-consultation data set of
bench_month_parquet.py ($SLA_BENCH_DATA, default /tmp/sla-bench-10m; generated once):

  sla kpis     the project's command (`sla kpis --format json`), a fresh process;
  sla fees     the project's command (`sla fees --format json`), a fresh process;
  duckdb       the reference query below, in a fresh process: one scan per table over the
               month's rows, timestamps as integers, C1 (and C2 with a service clock)
               service time and the C3 deadline by a join on a small per-day calendar table
               built from sla_lib.calendar; its seven met/total counts are CHECKED EQUAL to
               both project commands' (the run fails if one differs);
  read         pyarrow reading the month's row groups of the columns the counts need
               (and, second line, with the id columns too), a fresh process;
  report       `sla report --formats html` for the month (the three monthly notebooks,
               --jobs 2): the folder read month by month, the consultations' breakdowns
               counted in the engine; peak summed over the parent and its kernels
               (skip: SLA_BENCH_SKIP_REPORT=1);
  year-end     `sla fees --month 2026-12` over a year of 10 M-consultation months
               ($SLA_BENCH_YEAR, default /tmp/sla-bench-year; generated once, ~3 min,
               6 GB): C19 looks back over the term, so all twelve months are counted;
  generate     `sla generate` of one 10 M month (drawing and writing, then the fee engine
               reading it back to price the payments), a fresh process.

For each: wall time of the whole process (interpreter start and imports included: what a
user waits for), the work time the process reports itself where it can, and peak memory:
the largest sum of resident memory over the process and its children, sampled every
20 ms. Best of $SLA_BENCH_REPEATS (2) runs,
the kinds alternating so that the machine's load falls on all alike.

The reference query is also the independent check of the counting rules: run on the
committed sample (CSV) by tests/test_duckdb_reference.py, it gives sla_lib.kpis.month_kpis'
counts for all seven KPIs. It assumes what the generator writes: timestamps naive local
time of the contract zone, known channel names, no rows the loader would set aside (the
equality check with the project's counts would show it if any were).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SLA_BENCH_DATA", "/tmp/sla-bench-10m"))
PER_MONTH = int(os.environ.get("SLA_BENCH_PER_MONTH", "10000000"))
REPEATS = int(os.environ.get("SLA_BENCH_REPEATS", "2"))
MONTH = "2026-01"
AS_OF = "2027-02-28"
YEAR = Path(os.environ.get("SLA_BENCH_YEAR", "/tmp/sla-bench-year"))

DAY_US = 86_400 * 10**6
HORIZON_DAYS = 92  # the calendar table runs this many days past the month (a later response: the run stops)

KPIS = ("consultation_response", "consultation_resolution", "complaint_contact", "complaint_solution",
        "complaint_satisfaction", "followup_coverage", "followup_satisfaction")

# the columns the seven counts read, per table (without ids: the counts need none)
COUNT_COLUMNS = {
    "consultations": ["channel", "received_at", "first_response_at", "resolved"],
    "complaints": ["received_at", "first_contact_at", "preliminary_solution_at", "satisfaction"],
    "followups": ["customer_id", "visited_at", "satisfaction"],
    "new_customers": ["acquired_at"],
}
ID_COLUMNS = {"consultations": ["consultation_id"], "complaints": ["complaint_id"], "followups": ["followup_id"],
              "new_customers": ["customer_id"]}
MONTH_COLUMN = {"consultations": "received_at", "complaints": "received_at", "followups": "visited_at",
                "new_customers": "acquired_at"}


# ----------------------------------------------------------------------------- the reference query
def _month_span(month: str) -> tuple[dt.date, dt.date]:
    first = dt.date(int(month[:4]), int(month[5:]), 1)
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def calendar_table(terms, month: str):
    """The per-day calendar table (a pyarrow table, one row per day from the month's first day
    to HORIZON_DAYS after its last): day number, working day, the day's service open and close
    (µs after midnight; a day without service has close = open), the service time before the
    day (µs, cumulative from the first row) and, for the month's days, the C3 deadline (day
    number of the N-th working day after the day, sla_lib.calendar's civil-code rule)."""
    import numpy as np
    import pyarrow as pa

    from sla_lib.calendar import WorkCalendar

    workcal = WorkCalendar.from_terms(terms)
    first, nxt = _month_span(month)
    epoch = dt.date(1970, 1, 1)
    lo, month_end = (first - epoch).days, (nxt - epoch).days - 1
    days = np.arange(lo, month_end + HORIZON_DAYS + 1, dtype=np.int64)
    workday = workcal.is_workday_days(days)
    service = np.ones(len(days), dtype=bool) if terms.service_hours.days == "all" else workday
    open_us = np.full(len(days), terms.service_hours.open * 60 * 10**6, dtype=np.int64)
    close_us = np.where(service, terms.service_hours.close * 60 * 10**6, open_us)
    length = close_us - open_us
    before = np.concatenate(([0], np.cumsum(length)[:-1]))
    month_days = days[days <= month_end]
    deadline = np.full(len(days), -1, dtype=np.int64)
    deadline[:len(month_days)] = workcal.nth_workday_after_days(month_days, terms.standards.complaint_solution_workdays)
    return pa.table({"day": days, "workday": workday, "open_us": open_us, "close_us": close_us, "before_us": before,
                     "deadline_day": pa.array(deadline, mask=deadline < 0)})


def _service_us(t: str, cal: str) -> str:
    """SQL: service time from the calendar table's first day up to instant ``t`` (µs), on the
    day row ``cal`` of t's day: the service before that day plus the part of [open, close) passed."""
    return (f"({cal}.before_us + least(greatest({t} - {cal}.day * {DAY_US} - {cal}.open_us, 0), "
            f"{cal}.close_us - {cal}.open_us))")


def _limit_us(minutes) -> int:
    """A limit in (decimal) minutes as whole µs, floored: elapsed µs ≤ this ⟺ elapsed ≤ limit,
    for the whole-µs elapsed times of TIMESTAMP values."""
    return int(Decimal(str(minutes)) * 60 * 10**6 // 1)


def reference_sql(sources: dict[str, str], terms, month: str) -> str:
    """One SQL statement giving one row: <kpi>_met and <kpi>_total for the seven KPIs, plus
    ``beyond_calendar`` (rows whose response or contact falls after the calendar table: must be
    0). ``sources``: table -> a DuckDB relation (read_parquet(...), read_csv(...)) with
    naive local TIMESTAMP columns; the table ``cal`` is :func:`calendar_table`."""
    first, nxt = _month_span(month)
    lo, hi = f"TIMESTAMP '{first} 00:00:00'", f"TIMESTAMP '{nxt} 00:00:00'"
    std = terms.standards
    limits = " ".join(f"WHEN '{c}' THEN {_limit_us(std.response_limit_minutes(c))}" for c in ("phone", "email", "chat"))
    contact_limit = int(Decimal(str(std.complaint_contact_hours)) * 3600 * 10**6 // 1)
    if std.complaint_contact_clock == "service":
        contact_elapsed = f"{_service_us('c', 'cc')} - {_service_us('r', 'a')}"
    else:
        contact_elapsed = "c - r"
    min_score = int(std.satisfied_min_score)
    return f"""
WITH con AS (
    SELECT channel, epoch_us(received_at) AS r, epoch_us(first_response_at) AS f, resolved
    FROM {sources['consultations']} WHERE received_at >= {lo} AND received_at < {hi}
), con_counts AS (
    SELECT count(*) AS total,
           count_if(resolved) AS resolved_met,
           count_if(f IS NOT NULL AND {_service_us('f', 'b')} - {_service_us('r', 'a')} <= CASE channel {limits} END)
               AS response_met,
           count_if(f IS NOT NULL AND b.day IS NULL) AS beyond
    FROM con JOIN cal a ON a.day = r // {DAY_US} LEFT JOIN cal b ON b.day = f // {DAY_US}
), cmp AS (
    SELECT epoch_us(received_at) AS r, epoch_us(first_contact_at) AS c,
           epoch_us(preliminary_solution_at) AS s, satisfaction
    FROM {sources['complaints']} WHERE received_at >= {lo} AND received_at < {hi}
), cmp_counts AS (
    SELECT count(*) AS total,
           count_if(c IS NOT NULL AND {contact_elapsed} <= {contact_limit}) AS contact_met,
           count_if(s IS NOT NULL AND s // {DAY_US} <= a.deadline_day) AS solution_met,
           count(satisfaction) AS rated,
           count_if(satisfaction >= {min_score}) AS satisfied,
           count_if(c IS NOT NULL AND cc.day IS NULL) AS beyond
    FROM cmp JOIN cal a ON a.day = r // {DAY_US} LEFT JOIN cal cc ON cc.day = c // {DAY_US}
), fu_counts AS (
    SELECT count(DISTINCT customer_id) AS followed, count(satisfaction) AS rated,
           count_if(satisfaction >= {min_score}) AS satisfied
    FROM {sources['followups']} WHERE visited_at >= {lo} AND visited_at < {hi}
), new_counts AS (
    SELECT count(*) AS total FROM {sources['new_customers']} WHERE acquired_at >= {lo} AND acquired_at < {hi}
)
SELECT con_counts.response_met AS consultation_response_met, con_counts.total AS consultation_response_total,
       con_counts.resolved_met AS consultation_resolution_met, con_counts.total AS consultation_resolution_total,
       cmp_counts.contact_met AS complaint_contact_met, cmp_counts.total AS complaint_contact_total,
       cmp_counts.solution_met AS complaint_solution_met, cmp_counts.total AS complaint_solution_total,
       cmp_counts.satisfied AS complaint_satisfaction_met, cmp_counts.rated AS complaint_satisfaction_total,
       fu_counts.followed AS followup_coverage_met, new_counts.total AS followup_coverage_total,
       fu_counts.satisfied AS followup_satisfaction_met, fu_counts.rated AS followup_satisfaction_total,
       con_counts.beyond + cmp_counts.beyond AS beyond_calendar
FROM con_counts, cmp_counts, fu_counts, new_counts
"""


def reference_counts(con, sources: dict[str, str], terms, month: str) -> dict[str, tuple[int, int]]:
    """{kpi: (met, total)} of the reference query on a DuckDB connection ``con``."""
    # a table of DuckDB's own, not a view of the Arrow table: with its true size known the
    # planner builds the joins' hash tables on the calendar (about 120 rows), not on the
    # 10 M consultations (3x the time and 1 GB more with the Arrow view, measured)
    con.register("cal_arrow", calendar_table(terms, month))
    con.execute("CREATE OR REPLACE TEMP TABLE cal AS SELECT * FROM cal_arrow")
    con.unregister("cal_arrow")
    cursor = con.execute(reference_sql(sources, terms, month))
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    if row["beyond_calendar"]:
        raise RuntimeError(f"{row['beyond_calendar']} responses or contacts fall more than {HORIZON_DAYS} days "
                           f"after the month: widen HORIZON_DAYS")
    return {k: (int(row[f"{k}_met"]), int(row[f"{k}_total"])) for k in KPIS}


def parquet_sources(folder: Path) -> dict[str, str]:
    return {t: f"read_parquet('{folder / f'{t}.parquet'}')" for t in COUNT_COLUMNS}


# ----------------------------------------------------------------------------- child processes
DUCKDB_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[3])
import duckdb
from pathlib import Path
from bench_month_duckdb import parquet_sources, reference_counts
from sla_lib.terms import load_terms
imported = time.perf_counter() - t0
start = time.perf_counter()
folder, month = Path(sys.argv[1]), sys.argv[2]
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
counts = reference_counts(con, parquet_sources(folder), load_terms(folder / "contract.yaml"), month)
print(json.dumps({"seconds": time.perf_counter() - start, "imports": imported, "counts": counts,
                  "threads": con.execute("SELECT current_setting('threads')").fetchone()[0]}))
"""

READ_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import datetime as dt
import pyarrow.parquet as pq
imported = time.perf_counter() - t0
folder, month, columns = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
month_column = json.loads(sys.argv[4])
first = dt.datetime(int(month[:4]), int(month[5:]), 1)
nxt = dt.datetime(first.year + (first.month == 12), first.month % 12 + 1, 1)
start = time.perf_counter()
rows, kept = {}, []
for table, cols in columns.items():
    pf = pq.ParquetFile(f"{folder}/{table}.parquet")
    where = pf.schema_arrow.get_field_index(month_column[table])
    groups = []
    for g in range(pf.metadata.num_row_groups):
        st = pf.metadata.row_group(g).column(where).statistics
        if st is None or not st.has_min_max or (st.min < nxt and st.max >= first):
            groups.append(g)
    data = pf.read_row_groups(groups, columns=cols)
    rows[table] = data.num_rows
    kept.append(data)  # held to the end, as a reader that counts them would
print(json.dumps({"seconds": time.perf_counter() - start, "imports": imported, "rows": rows}))
"""

GENERATE_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from sla_lib.samples import generate_scale
marks = {}
def progress(month, rows):
    marks.update(drawn=time.perf_counter() - t0, rows=rows, drawn_peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
generate_scale(sys.argv[1], sys.argv[2], months=1, consultations_per_month=int(sys.argv[3]), fmt="parquet", progress=progress)
marks["total"] = time.perf_counter() - t0
print(json.dumps(marks))
"""


def measured(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd``; wall seconds, stdout, and the peak of the summed resident memory of the
    process tree (sampled every 20 ms)."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    peak = [0]

    def sample():
        try:
            parent = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while proc.poll() is None:
            total = 0
            try:
                for p in [parent, *parent.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
            except psutil.NoSuchProcess:
                break
            peak[0] = max(peak[0], total)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} {cmd[1]} ... failed ({proc.returncode}):\n{err[-3000:]}")
    return {"wall": wall, "stdout": out, "peak_mib": peak[0] / 2**20}


def _project(command: str, data: Path = DATA, month: str = MONTH) -> dict:
    args = [sys.executable, "-m", "sla_lib.cli", command, "--terms", str(data / "contract.yaml"), "--data", str(data),
            "--month", month, "--format", "json"]
    if command == "fees":
        args += ["--as-of", AS_OF]
    run = measured(args)
    kpis = json.loads(run["stdout"])["kpis"]
    run["counts"] = {k: (kpis[k]["met"], kpis[k]["total"]) for k in KPIS}
    return run


def _duckdb() -> dict:
    run = measured([sys.executable, "-c", DUCKDB_CHILD, str(DATA), MONTH, str(Path(__file__).parent)])
    child = json.loads(run["stdout"])
    run.update(work=child["seconds"], imports=child["imports"], threads=child["threads"],
               counts={k: tuple(v) for k, v in child["counts"].items()})
    return run


def _read(with_ids: bool) -> dict:
    columns = {t: (ID_COLUMNS[t] if with_ids else []) + c for t, c in COUNT_COLUMNS.items()}
    run = measured([sys.executable, "-c", READ_CHILD, str(DATA), MONTH, json.dumps(columns), json.dumps(MONTH_COLUMN)])
    child = json.loads(run["stdout"])
    run.update(work=child["seconds"], rows=child["rows"])
    return run


def _generate(folder: str) -> dict:
    (Path(folder) / "contract.yaml").write_bytes((ROOT / "data" / "samples" / "contract.yaml").read_bytes())
    run = measured([sys.executable, "-c", GENERATE_CHILD, folder, str(Path(folder) / "contract.yaml"), str(PER_MONTH)])
    run.update(json.loads(run["stdout"]))
    return run


def _check(name: str, counts: dict, reference: dict) -> None:
    differ = {k: (counts[k], reference[k]) for k in KPIS if tuple(counts[k]) != tuple(reference[k])}
    if differ:
        raise SystemExit(f"COUNTS DIFFER: {name} vs the DuckDB query (met, total): {differ}")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_month_parquet import ensure_data

    ensure_data()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; month {MONTH} of {DATA}", flush=True)
    kinds = {"sla kpis": lambda: _project("kpis"), "sla fees": lambda: _project("fees"), "duckdb": _duckdb,
             "read": lambda: _read(False), "read + ids": lambda: _read(True)}
    runs: dict[str, list[dict]] = {k: [] for k in kinds}
    for _ in range(REPEATS):
        for name, fn in kinds.items():
            runs[name].append(fn())
    reference = runs["duckdb"][0]["counts"]
    for name in ("sla kpis", "sla fees", "duckdb"):
        for r in runs[name]:
            _check(name, r["counts"], reference)
    consultations = reference["consultation_resolution"][1]
    best = {k: min(v, key=lambda r: r["wall"]) for k, v in runs.items()}
    print("counts (met/total), equal in every run of sla kpis, sla fees and the DuckDB query: "
          + ", ".join(f"{k} {m:,}/{t:,}" for k, (m, t) in reference.items()), flush=True)
    for name, r in best.items():
        extra = ""
        if "work" in r:
            extra = f"; work in the process {min(x['work'] for x in runs[name]):.2f} s"
        if name == "duckdb":
            extra += f" ({r['threads']} threads)"
        if name.startswith("read"):
            extra += f"; rows {sum(r['rows'].values()):,}"
        walls = ", ".join(f"{x['wall']:.2f}" for x in runs[name])
        print(f"{name:10s} wall {r['wall']:6.2f} s (runs {walls}); "
              f"peak {max(x['peak_mib'] for x in runs[name]):,.0f} MiB{extra}; "
              f"{consultations / r['wall'] / 1e6:.2f} M consultations/s", flush=True)
    kp, fe, db, rd = best["sla kpis"]["wall"], best["sla fees"]["wall"], best["duckdb"]["wall"], best["read"]["wall"]
    print(f"ratios (wall, best runs): sla kpis / duckdb {kp / db:.2f}x (target <= 1.0), sla kpis / read {kp / rd:.2f}x "
          f"(target <= 1.5), sla fees / duckdb {fe / db:.2f}x, duckdb / read {db / rd:.2f}x; "
          f"work only: duckdb / read {min(x['work'] for x in runs['duckdb']) / min(x['work'] for x in runs['read']):.2f}x", flush=True)
    peak = {k: max(x["peak_mib"] for x in v) for k, v in runs.items()}
    print(f"peak memory (largest of the runs): sla kpis {peak['sla kpis']:,.0f} MiB, sla fees {peak['sla fees']:,.0f} MiB "
          f"(target <= 1,536), duckdb {peak['duckdb']:,.0f} MiB, read {peak['read']:,.0f} MiB", flush=True)
    if not os.environ.get("SLA_BENCH_SKIP_REPORT"):
        with tempfile.TemporaryDirectory(prefix="sla-bench-report-") as out:
            r = measured([sys.executable, "-m", "sla_lib.cli", "report", "--terms", str(DATA / "contract.yaml"), "--data", str(DATA),
                          "--month", MONTH, "--formats", "html", "--as-of", "2026-03-31", "--out", out])
            manifest = json.loads((Path(out) / MONTH / "manifest.json").read_text(encoding="utf-8"))
        per = ", ".join(f"{nb['name']} {nb['seconds']:.1f} s" for nb in manifest["notebooks"])
        print(f"report     sla report --formats html for {MONTH} (3 notebooks, --jobs 2): wall {r['wall']:.1f} s, peak "
              f"{r['peak_mib']:,.0f} MiB summed over the parent and its kernels ({per})", flush=True)
    if not os.environ.get("SLA_BENCH_SKIP_YEAR"):
        from bench_month_parquet import ensure_generated

        ensure_generated(YEAR, 12, f".complete-12x{PER_MONTH}", "; about 3 min, 6 GB")
        y = _project("fees", YEAR, "2026-12")
        months = json.loads(y["stdout"])
        print(f"year-end   sla fees --month 2026-12 over 12 months of {PER_MONTH:,} consultations (C19 counts all twelve): "
              f"wall {y['wall']:.1f} s, peak {y['peak_mib']:,.0f} MiB (target <= 1,536); amount due {months['fees']['amount_due']}, failing months {months['fees']['failing_months_to_date']}",
              flush=True)
    if os.environ.get("SLA_BENCH_SKIP_GENERATE"):
        return
    with tempfile.TemporaryDirectory(prefix="sla-bench-generate-") as folder:
        g = _generate(folder)
    print(f"generate   one month of {PER_MONTH:,} consultations ({g['rows']:,} rows of all tables): drawn and written in "
          f"{g['drawn']:.1f} s (target <= 30), peak {g['drawn_peak_mib']:,.0f} MiB (target <= 2,048); with the fee "
          f"engine reading it back to price the payments {g['total']:.1f} s, {g['wall']:.1f} s wall, peak {g['peak_mib']:,.0f} MiB",
          flush=True)


if __name__ == "__main__":
    main()
