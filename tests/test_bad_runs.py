"""The bad-run matrix (issue 12, the run side): options, caches, months and folders a
careless user or an attacker gives a run, each with its expected outcome. Same shape as the
bad-input matrix (tests/test_bad_inputs.py); docs/reliability.md §1b lists the same cases.

Every case starts from a folder holding the valid minimal data set of the bad-input matrix
(``BASE``: three October-2026 records per table) and the sample terms, with the temporary
folder (``TMPDIR``, ``tempfile.tempdir``) pointed into the test's own folder. A case's
builder prepares the bad situation and returns the run: ``sla`` arguments (run in-process
through ``sla_lib.cli.main``), or a callable of the library (its SlaError printed as the
CLI prints it). Outcomes:

* ``Refused``: exit 1, exactly one line on stderr, ``error: …`` holding every fragment, no
  traceback; then the case's own check (what must have survived);
* ``Ran``: exit 0 (the suite copes: a month of the renewal, a stale or tampered cache, a
  planted link replaced as a link), then the case's check of stdout/stderr and the folders.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from sla_lib import report
from sla_lib.errors import (
    CalendarCoverageError,
    ReportError,
    SlaError,
    TableError,
    TableErrors,
    TermsError,
    TermsErrors,
)
from sla_lib.kpis import month_kpis
from sla_lib.kpi_store import KpiStore
from sla_lib.terms import load_terms

from conftest import SAMPLES, run_cli, write_notebook
from test_bad_inputs import BASE

pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset will be required:DeprecationWarning")

SAMPLE_TERMS = SAMPLES / "contract.yaml"
TERM = "the contract term 2026-01-01..2026-12-31 (renewed to 2027-12-31)"
UID = os.getuid()


@dataclass
class Setup:
    """The case's folders: ``data`` (BASE as CSV), ``terms`` (the sample terms), ``tmp``
    (the temporary folder of every run), ``root`` (the test's folder)."""

    root: Path
    data: Path
    terms: Path
    tmp: Path
    env: dict = field(default_factory=dict)

    def args(self, command: str, *more: str) -> list[str]:
        return [command, "--terms", str(self.terms), "--data", str(self.data), *more]

    @property
    def work_root(self) -> Path:
        return self.tmp / f"sla-work-{UID}"


@dataclass(frozen=True)
class Refused:
    fragments: tuple[str, ...]
    check: Callable[[Setup], None] | None = None


@dataclass(frozen=True)
class Ran:
    check: Callable[[Setup, str, str], None]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Setup], list[str] | Callable[[], object]]
    expect: Refused | Ran


# ------------------------------------------------------------------------------ helpers

def _write_base(folder: Path) -> None:
    for table, content in BASE.items():
        (folder / f"{table}.csv").write_text(content, encoding="utf-8")


def _unwritable(s: Setup) -> Path:
    """A folder this process cannot write into: /sys/kernel as root (permission bits do not
    stop root; sysfs does), else a folder made 0555."""
    if UID == 0:
        return Path("/sys/kernel")
    folder = s.root / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def _a_file(s: Setup) -> Path:
    path = s.root / "notes.txt"
    path.write_text("not a folder")
    return path





PARAMETERS = """\
terms_path = None
data_dir = None
month = None
as_of = None
lang = "zh"
output_dir = "."
cache_path = None
"""


def _notebooks(s: Setup) -> Path:
    folder = s.root / "notebooks"
    if not folder.exists():
        folder.mkdir()
        write_notebook(folder / "quick.ipynb", [("parameters", PARAMETERS), ("code", "print('月报', month)")])
        write_notebook(folder / "fail.ipynb", [("parameters", PARAMETERS), ("code", 'raise ValueError("故意的错误")')])
        write_notebook(folder / "slow.ipynb", [("parameters", PARAMETERS), ("code", "import time\ntime.sleep(600)")])
    return folder


def _report(s: Setup, notebook: str, out: Path):
    """A callable: build_report of 2026-10 with one tiny notebook, HTML only."""
    return lambda: report.build_report(s.terms, s.data, "2026-10", out_dir=out, notebooks_dir=_notebooks(s),
                                       notebooks=[notebook], jobs=1, formats=("html",), as_of="2026-12-31", progress=False)


def _json(out: str) -> dict:
    return json.loads(out)


# ------------------------------------------------------------------------------ builders

def engine_sends_to_loader_error(s: Setup):
    """complaints as Parquet, with K1 twice and different contents: the columnar engine finds
    the duplicate, hands October's complaints to the loader, which raises naming the row."""
    (s.data / "complaints.csv").unlink()
    text = BASE["complaints"] + "K1,C1,2026-10-08 09:00,2026-10-08 09:30,2026-10-09 10:00,2026-10-10 10:00,1\n"
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame.to_parquet(s.data / "complaints.parquet", index=False)
    return s.args("kpis", "--month", "2026-10", "--format", "json")


def out_is_a_file(s: Setup):
    return s.args("report", "--month", "2026-10", "--out", str(_a_file(s)))


def out_under_a_file(s: Setup):
    return s.args("report", "--month", "2026-10", "--out", str(_a_file(s) / "reports"))


def out_unwritable(s: Setup):
    return s.args("report", "--month", "2026-10", "--out", str(_unwritable(s)))


def kpi_cache_is_a_file(s: Setup):
    return s.args("kpis", "--month", "2026-10", "--kpi-cache", str(_a_file(s)))


def kpi_cache_under_a_file(s: Setup):
    return s.args("fees", "--month", "2026-10", "--as-of", "2026-12-31", "--kpi-cache", str(_a_file(s) / "cache"))


def kpi_cache_env_unwritable(s: Setup):
    s.env["SLA_KPI_CACHE"] = str(_unwritable(s))
    return s.args("kpis", "--month", "2026-10")


def _cache_filled(s: Setup, month: str = "2026-10") -> Path:
    """The KPI cache of ``s.data`` with ``month`` computed, as `sla kpis --kpi-cache` fills it."""
    from sla_lib.data import load_dataset

    terms = load_terms(s.terms)
    data = load_dataset(s.data, terms)
    data.kpi_cache = KpiStore(s.root / "cache", data.files)
    month_kpis(data, terms, month)
    (path,) = (s.root / "cache").glob(f"*/*/{month}.json")
    return path


def cache_entry_implausible(s: Setup):
    path = _cache_filled(s)
    entry = json.loads(path.read_text(encoding="utf-8"))
    entry["results"]["consultation_resolution"]["met"] = 5  # of 3
    path.write_text(json.dumps(entry), encoding="utf-8")
    return s.args("kpis", "--month", "2026-10", "--format", "json", "--kpi-cache", str(s.root / "cache"))


def cache_entry_corrupt(s: Setup):
    path = _cache_filled(s)
    path.write_text('{"month": "2026-10", "results": {"consultation_resolution": {"met": "lots"', encoding="utf-8")
    return s.args("kpis", "--month", "2026-10", "--format", "json", "--kpi-cache", str(s.root / "cache"))


def csv_edited_in_place(s: Setup):
    """consultations.csv edited in place after its month was cached: Q1's first response
    09:00:30 -> 09:02:30 (same length), then size and mtime as before."""
    _cache_filled(s)
    path = s.data / "consultations.csv"
    before = path.stat()
    raw = path.read_bytes()
    at = raw.index(b"2026-10-08 09:00:30")
    with open(path, "r+b") as fh:
        fh.seek(at)
        fh.write(b"2026-10-08 09:02:30")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    return s.args("kpis", "--month", "2026-10", "--format", "json", "--kpi-cache", str(s.root / "cache"))


def month_before_term(s: Setup):
    return s.args("kpis", "--month", "2025-12")


def month_after_renewal(s: Setup):
    return s.args("fees", "--month", "2028-01", "--as-of", "2028-03-01", "--format", "json")


def range_from_before_term(s: Setup):
    return s.args("fees", "--month", "2025-11:2026-02", "--as-of", "2026-12-31")


def report_month_before_term(s: Setup):
    return s.args("report", "--month", "2025-06", "--out", str(s.root / "reports"))


def report_quarter_outside(s: Setup):
    return s.args("report", "--month", "2026-10", "--quarter", "2028Q1", "--out", str(s.root / "reports"))


def renewal_payment(s: Setup):
    """A payment for January 2027, the renewal's first month, beside October's."""
    payments = s.data / "payments.csv"
    payments.write_text(payments.read_text(encoding="utf-8") + "PR1,2027-01,2027-02-03 10:00:00,1234.56\n", encoding="utf-8")
    return s.args("fees", "--month", "2027-01", "--as-of", "2027-02-28", "--format", "json")


def check_renewal_payment(s: Setup, out: str, err: str):
    obj = _json(out)
    assert obj["month"] == "2027-01" and obj["fees"]["paid"] == "1234.56"


def renewal_month(s: Setup):
    return s.args("kpis", "--month", "2027-03", "--format", "json")


def no_complaints_bonus_month(s: Setup):
    """Every consultation resolved, both rated follow-ups satisfied, and no complaint at all
    in October: C10 is n/a, counted as met, so the month earns the bonus: flagged."""
    (s.data / "complaints.csv").write_text(BASE["complaints"].splitlines()[0] + "\n", encoding="utf-8")
    cons = s.data / "consultations.csv"
    cons.write_text(cons.read_text(encoding="utf-8").replace("11:00,false", "11:00,true"), encoding="utf-8")
    return s.args("fees", "--month", "2026-10", "--as-of", "2026-12-31", "--format", "json")


def no_data_in_table_format(s: Setup):
    (s.data / "followups.csv").write_text(BASE["followups"].splitlines()[0] + "\n", encoding="utf-8")
    return s.args("kpis", "--month", "2026-10")


def _linked_to_a_victim(s: Setup, name: str) -> Path:
    """``reports/<name>`` made a link to a folder holding a file that must survive; the reports folder."""
    victim = s.root / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    out = s.root / "reports"
    out.mkdir()
    (out / name).symlink_to(victim, target_is_directory=True)
    return out


def failed_is_a_symlink(s: Setup):
    return _report(s, "fail", _linked_to_a_victim(s, "2026-10.failed"))


def lock_is_a_symlink(s: Setup):
    victim = s.root / "precious.txt"
    victim.write_text("do not truncate")
    out = s.root / "reports"
    out.mkdir()
    (out / ".2026-10.lock").symlink_to(victim)
    return _report(s, "quick", out)


def work_root_is_a_symlink(s: Setup):
    elsewhere = s.root / "attacker"
    elsewhere.mkdir()
    s.work_root.symlink_to(elsewhere, target_is_directory=True)
    return s.args("report", "--month", "2026-10", "--out", str(s.root / "reports"), "--formats", "html")


def published_is_a_symlink(s: Setup):
    return _report(s, "quick", _linked_to_a_victim(s, "2026-10"))


KILLED_RUNNER = textwrap.dedent(
    """
    import sys
    from sla_lib.report import build_report
    terms, data, out, nbdir = sys.argv[1:]
    build_report(terms, data, "2026-10", out_dir=out, notebooks_dir=nbdir, notebooks=["slow"],
                 jobs=1, formats=("html",), as_of="2026-12-31", progress=False)
    """
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def killed_run(s: Setup):
    """`sla report`'s build_report in a subprocess, killed with SIGKILL once its inputs cache
    is written; the modes are checked while it runs. The run returned is the next one."""
    out = s.root / "reports"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUNNER, str(s.terms), str(s.data), str(out), str(_notebooks(s))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "TMPDIR": str(s.tmp)})
    try:
        deadline = time.monotonic() + 120
        caches = staging = []
        while time.monotonic() < deadline and proc.poll() is None:
            caches = list(s.work_root.glob(f"run-{proc.pid}-*/{report.INPUTS_CACHE}"))
            staging = list(out.glob(f".2026-10.tmp-{proc.pid}-*")) if out.exists() else []
            if caches and staging:
                break
            time.sleep(0.1)
        assert proc.poll() is None and caches and staging, proc.communicate(timeout=5)
        # at rest while it runs: private, and outside the published tree
        assert _mode(s.work_root) == 0o700 and _mode(caches[0].parent) == 0o700
        assert _mode(caches[0]) == 0o600 and _mode(staging[0]) == 0o700
        assert out.resolve() not in caches[0].resolve().parents
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert caches[0].exists() and staging[0].exists(), "kill -9 leaves them: the next run must remove them"
    s.env["killed"] = (caches[0].parent, staging[0])
    return _report(s, "quick", out)


# ------------------------------------------------------------------------------ checks

def _kpis_2026_10(s: Setup, out: str, err: str, warned: str | None):
    obj = _json(out)
    # hand-checked on BASE: Q1 true, Q2 false, Q3 true -> 2 of 3 resolved; 3 of 3 answered in time
    assert obj["kpis"]["consultation_resolution"] | {} == {"met": 2, "total": 3, "rate_pct": "66.6667", "target_pct": "90", "ok": False}
    assert obj["kpis"]["consultation_response"]["met"] == 3
    warnings = [line for line in err.splitlines() if line]
    if warned is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warnings[0].startswith("warning: KPI cache entry ") and warned in warnings[0], err
        assert "ignored and recomputed" in warnings[0]


def check_renewal_month(s: Setup, out: str, err: str):
    obj = _json(out)
    assert obj["month"] == "2027-03"
    # BASE holds October 2026 only: every event table is empty in March 2027, and says so
    assert obj["no_data"] == ["consultations", "complaints", "followups", "new_customers"]
    assert all(k["rate_pct"] is None for k in obj["kpis"].values())


def check_bonus_month_flagged(s: Setup, out: str, err: str):
    obj = _json(out)
    assert obj["no_data"] == ["complaints"] and obj["fees"]["no_data"] == ["complaints"]
    # the pricing rule is unchanged: C9 3/3, C11 2/2 rated satisfied, C10 n/a counted as met
    # -> bonus 200000.00 x 5 % = 10000.00; due 200000 + 10000 + on-site 300.00 + 0 + 450.50
    assert obj["fees"]["bonus"] == "10000.00" and obj["fees"]["amount_due"] == "210750.50"
    assert obj["kpis"]["complaint_satisfaction"]["rate_pct"] is None
    trail = obj["fees"]["explanation"]
    assert trail[1] == ("NO DATA: complaints has no rows in 2026-10; fee KPIs complaint_satisfaction are n/a and count "
                        "as met (na_counts_as: met); check that the export covers the month before settling")


def check_no_data_table_line(s: Setup, out: str, err: str):
    assert ("无数据 NO DATA: followups: no rows in 2026-10; n/a: followup_coverage, followup_satisfaction "
            "(check the export covers the month)") in out.splitlines()


def check_edited_in_place(s: Setup, out: str, err: str):
    obj = _json(out)
    # Q1 (phone, limit 1 minute) now answered after 2 min 30 s: 2 of 3 in time, not the cached 3
    assert obj["kpis"]["consultation_response"]["met"] == 2 and obj["kpis"]["consultation_response"]["total"] == 3
    assert len(list((s.root / "cache").glob("*/*/2026-10.json"))) == 2  # a fresh folder beside the stale one
    assert err == ""


def check_failed_replaced(s: Setup):
    assert (s.root / "victim" / "keep.txt").read_text() == "precious"
    failed = s.root / "reports" / "2026-10.failed"
    assert not failed.is_symlink() and (failed / "executed" / "fail.ipynb").is_file()
    assert _mode(failed) == 0o700  # a failed run stays private


def check_lock_untouched(s: Setup):
    assert (s.root / "precious.txt").read_text() == "do not truncate"
    assert not (s.root / "reports" / "2026-10").exists()


def check_work_root_untouched(s: Setup):
    assert list((s.root / "attacker").iterdir()) == []
    assert not (s.root / "reports" / "2026-10").exists()


def check_published_replaced(s: Setup, out: str, err: str):
    assert (s.root / "victim" / "keep.txt").read_text() == "precious"
    final = s.root / "reports" / "2026-10"
    assert not final.is_symlink() and (final / "index.html").is_file()
    assert list((s.root / "reports").glob(".2026-10.*-*")) == []


def check_killed_leftovers_removed(s: Setup, out: str, err: str):
    run_folder, staging = s.env["killed"]
    assert not run_folder.exists() and not staging.exists()
    assert list(s.work_root.iterdir()) == []  # the dead run's folder, and this run's own
    reports = s.root / "reports"
    assert [p.name for p in reports.iterdir() if p.name.startswith(".2026-10.tmp")] == []
    assert [p for p in reports.rglob("*") if "inputs-cache" in p.name] == []
    final = reports / "2026-10"
    assert _mode(final) == 0o777 & ~report._umask()  # published: opened like any folder made here
    assert "月报 2026-10" in (final / "executed" / "quick.ipynb").read_text(encoding="utf-8")


CASES: list[Case] = [
    Case("a table error found by the columnar engine, named by the loader", engine_sends_to_loader_error,
         Refused(("complaints.parquet, row 4, column complaint_id", "'K1' appears in rows 1 and 4 with different contents"))),
    Case("--out is a file", out_is_a_file, Refused(("--out ", "notes.txt: is a file, not a folder"))),
    Case("--out under a file", out_under_a_file,
         Refused(("--out ", "notes.txt/reports: cannot create the folder: ", "notes.txt is a file"))),
    Case("--out a folder that cannot be written", out_unwritable, Refused(("--out ", "the folder is not writable"))),
    Case("--kpi-cache is a file", kpi_cache_is_a_file, Refused(("--kpi-cache ", "notes.txt: is a file, not a folder"))),
    Case("--kpi-cache under a file", kpi_cache_under_a_file,
         Refused(("--kpi-cache ", "notes.txt/cache: cannot create the folder", "notes.txt is a file"))),
    Case("SLA_KPI_CACHE a folder that cannot be written", kpi_cache_env_unwritable,
         Refused(("SLA_KPI_CACHE ", "the folder is not writable"))),
    Case("sla kpis: a month before the term", month_before_term, Refused((f"month 2025-12 is outside {TERM}",))),
    Case("sla fees: a month after the renewal", month_after_renewal, Refused((f"month 2028-01 is outside {TERM}",))),
    Case("sla fees: a range starting before the term", range_from_before_term, Refused((f"month 2025-11 is outside {TERM}",))),
    Case("sla report: a month before the term", report_month_before_term,
         Refused((f"month 2025-06 is outside {TERM}",), lambda s: not (s.root / "reports" / "2025-06").exists())),
    Case("a month of the renewal period is computed", renewal_month, Ran(check_renewal_month)),
    Case("a month with no complaints: a bonus month, flagged", no_complaints_bonus_month, Ran(check_bonus_month_flagged)),
    Case("no follow-ups in the month: the table format says so", no_data_in_table_format, Ran(check_no_data_table_line)),
    Case("a KPI cache entry with met above total", cache_entry_implausible,
         Ran(lambda s, out, err: _kpis_2026_10(s, out, err, "met 5 of total 3"))),
    Case("a corrupt KPI cache entry", cache_entry_corrupt, Ran(lambda s, out, err: _kpis_2026_10(s, out, err, "corrupt"))),
    Case("an export edited in place, size and mtime kept", csv_edited_in_place, Ran(check_edited_in_place)),
    Case("<month>.failed is a symlink", failed_is_a_symlink,
         Refused(("fail.ipynb, cell 2: ValueError: 故意的错误", "the report for 2026-10 was not replaced"), check_failed_replaced)),
    Case("the month's lock file is a symlink", lock_is_a_symlink,
         Refused((".2026-10.lock is a symbolic link: refusing to follow it",), check_lock_untouched)),
    Case("the working folder is a symlink", work_root_is_a_symlink,
         Refused((f"sla-work-{UID} is a symbolic link: refusing to write personal data there",), check_work_root_untouched)),
    Case("the published month folder is a symlink", published_is_a_symlink, Ran(check_published_replaced)),
    Case("a run killed with kill -9, then the next run", killed_run, Ran(check_killed_leftovers_removed)),
    Case("sla report: a quarter with no month in the contract", report_quarter_outside,
         Refused(("quarter 2028Q1 has no month in the contract term 2026-01-01..2026-12-31 (renewed to 2027-12-31)",
                  "choose a quarter from 2026Q1 to 2027Q4"), lambda s: not (s.root / "reports" / "2026-10").exists())),
    Case("a payment for a month of the renewal is settled", renewal_payment, Ran(check_renewal_payment)),
]


def test_the_matrix_holds_every_bad_run():
    assert len(CASES) >= 12 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_run(case: Case, tmp_path, capsys, monkeypatch):
    data, tmp = tmp_path / "data", tmp_path / "tmp"
    data.mkdir()
    tmp.mkdir()
    _write_base(data)
    terms = tmp_path / "contract.yaml"
    terms.write_bytes(SAMPLE_TERMS.read_bytes())
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.delenv("SLA_KPI_CACHE", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # MonthlyData counts in two processes
    setup = Setup(root=tmp_path, data=data, terms=terms, tmp=tmp)
    run = case.build(setup)
    for key, value in setup.env.items():
        if isinstance(value, str):
            monkeypatch.setenv(key, value)
    capsys.readouterr()
    if callable(run):
        try:
            run()
            code = 0
        except SlaError as exc:  # as sla_lib.cli.main prints it
            print(f"error: {exc}", file=sys.stderr)
            code = 1
        captured = capsys.readouterr()
        out, err = captured.out, captured.err
    else:
        code, out, err = run_cli(capsys, *run)
    assert "Traceback" not in err
    if isinstance(case.expect, Refused):
        assert code == 1, (out, err)
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        for fragment in case.expect.fragments:
            assert fragment in lines[0], (fragment, lines[0])
        if case.expect.check:
            assert case.expect.check(setup) is not False
        return
    assert code == 0, err
    case.expect.check(setup, out, err)


# ------------------------------------------------------------------------------ units

def test_every_error_type_survives_pickling():
    from sla_lib.docx_terms import DocxError
    from sla_lib.report import ReportInterrupted

    errors = [
        SlaError("plain"),
        TermsError("contract.yaml", "fees.bonus_pct", "not a number"),
        TermsErrors([TermsError("a.yaml", "term.start", "x"), TermsError("a.yaml", "term.end", "y")]),
        TableError("complaints.parquet", "duplicate", 4, "complaint_id"),
        TableError("x.csv", "whole file"),
        TableErrors([TableError("a.csv", "one", 2, "c"), TableError("b.csv", "two")]),
        CalendarCoverageError(2031, " (chinese-calendar covers 2004-2026)"),
        ReportError("fee.ipynb", 3, "ValueError: x", "/r/2026-10.failed/executed/fee.ipynb"),
        ReportError("fee.ipynb", None, "no workbook"),
        ReportInterrupted("interrupted by SIGTERM"),
        DocxError("contract.docx: not a Word file"),
    ]
    for error in errors:
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and str(back) == str(error) and back.args == error.args
        assert vars(back).keys() == vars(error).keys()
        for name, value in vars(error).items():
            if isinstance(value, list):
                assert [str(v) for v in getattr(back, name)] == [str(v) for v in value]
                assert [type(v) for v in getattr(back, name)] == [type(v) for v in value]
            else:
                assert getattr(back, name) == value, name


def test_a_duplicate_the_engine_finds_is_named_by_the_loader(tmp_path):
    """The columnar engine does not decide on bad rows: a conflicting duplicate in a Parquet
    month sends the month's complaints to the loader, whose TableError names file and column."""
    from sla_lib.monthly import MonthlyData

    setup = Setup(tmp_path, tmp_path, tmp_path / "contract.yaml", tmp_path)
    _write_base(tmp_path)
    engine_sends_to_loader_error(setup)
    terms = load_terms(SAMPLE_TERMS)
    data = MonthlyData.open(tmp_path, terms)
    with pytest.raises(TableError) as info:
        month_kpis(data, terms, "2026-10")
    assert (Path(info.value.path).name, info.value.column) == ("complaints.parquet", "complaint_id")


def test_work_root_of_another_user_is_refused_and_an_open_one_closed(tmp_path, monkeypatch):
    from sla_lib.folders import work_root

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    root = tmp_path / f"sla-work-{UID}"
    root.mkdir(mode=0o777)
    root.chmod(0o777)
    assert work_root() == root and _mode(root) == 0o700  # ours but open: closed again
    if UID != 0:
        pytest.skip("needs root to give the folder to another user")
    os.chown(root, 65534, 65534)
    with pytest.raises(SlaError, match="belongs to user id 65534"):
        work_root()


def test_a_dead_runs_folder_is_found_by_its_free_lock(tmp_path):
    """A live run's folder stays (even under a pid that is alive for another reason);
    a folder whose lock is free goes, and so does a planted link, never followed."""
    from sla_lib.folders import private_work_folder, remove_dead_work_folders

    old = tempfile.tempdir
    tempfile.tempdir = str(tmp_path)
    try:
        with private_work_folder() as live:
            root = live.parent
            dead = root / f"run-{os.getpid()}-dead"
            dead.mkdir()
            (dead / ".alive").write_text("")  # nobody holds its lock
            target = tmp_path / "target"
            target.mkdir()
            (target / "keep").write_text("x")
            (root / "run-1-link").symlink_to(target, target_is_directory=True)
            removed = remove_dead_work_folders(root)
            assert sorted(p.name for p in removed) == sorted([dead.name, "run-1-link"])
            assert live.is_dir() and (target / "keep").read_text() == "x"
        assert not live.exists()
    finally:
        tempfile.tempdir = old


def test_the_kpi_key_reads_the_content(tmp_path):
    """Same size, same mtime, other bytes: another key; same bytes touched: the same key."""
    from sla_lib.kpi_store import inputs_key

    path = tmp_path / "consultations.csv"
    path.write_text(BASE["consultations"], encoding="utf-8")
    key = inputs_key({"consultations": path})
    os.utime(path, ns=(1, 2))
    assert inputs_key({"consultations": path}) == key
    path.write_text(BASE["consultations"].replace("Q1", "Q9"), encoding="utf-8")
    os.utime(path, ns=(1, 2))
    assert inputs_key({"consultations": path}) != key
