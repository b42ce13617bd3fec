"""``sla report``: execute the parameterized notebooks, render them, publish the month's folder.

One call of :func:`build_report` produces ``<out>/<month>/``::

    index.html                     headline figures (from sla_lib) and links to everything
    <notebook>.html / .pdf         each notebook rendered without code, warnings or stderr
    fee_reconciliation_<month>.xlsx   written by the fee notebook into its ``output_dir``
    executed/<notebook>.ipynb      the executed notebooks, for analysts and diagnosis
    manifest.json                  input hashes, versions, parameters, creation time
    accounting.json                per table: rows read, used, set aside (with row, id, reason)

Publication is all-or-nothing. Everything is written into a temporary folder beside the
destination (``<out>/.<month>.tmp-<pid>-<random>``) and renamed into place only when every
notebook succeeded; an existing report of that month stays in place until then. A failing
notebook raises :class:`~sla_lib.errors.ReportError` (notebook, cell, exception) and the
temporary folder is kept as ``<out>/<month>.failed/`` for diagnosis. SIGTERM (systemd stop,
``kill``) and Ctrl-C remove the temporary folder and raise :class:`ReportInterrupted`;
a temporary folder left by a process that died harder (SIGKILL, power loss) is removed by
the next run. The temporary folder is private (0700) until it is published.

Working files holding personal data unmasked (the inputs cache the notebooks read) are
written 0600 into a private per-run folder outside the published tree
(``<tempdir>/sla-work-<uid>/run-<pid>-…``, :func:`sla_lib.folders.private_work_folder`),
removed when the run ends and, after a ``kill -9``, by the next run.

Notebooks run in kernels (``python3``) driven by papermill in this Python process when
``jobs == 1``, and in up to ``jobs`` worker processes otherwise (each worker executes one
notebook with papermill and renders its HTML and PDF, so the CPU-bound WeasyPrint step runs
in parallel too, and a worker can be terminated on SIGTERM, which a thread cannot). Each
kernel is forked from the run's zygote, which imported the notebooks' libraries once
(:mod:`sla_lib.warm_kernels`; ``SLA_WARM_KERNELS=0``: kernels start cold).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

from . import labels as L
from . import published
from .calendar import parse_month, resolve_as_of, today_in
from .errors import ReportError, SlaError
from .exact import pct_text
from .page_css import PAGE_CSS
from .rendering import PAPERMILL_ERROR_TAG, render_html, render_pdf

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
MONTHLY_NOTEBOOKS = ("complaint_statistics", "satisfaction_trends", "fee_reconciliation")
QUARTERLY_NOTEBOOK = "quarterly_trends"
FORMATS = ("html", "pdf", "xlsx")
LANGS = ("zh", "en")
KERNEL_NAME = "python3"
NOTEBOOK_TITLES = {
    "complaint_statistics": ("投诉统计", "Complaint statistics"),
    "satisfaction_trends": ("满意度趋势", "Satisfaction trends"),
    "fee_reconciliation": ("费用对账", "Fee reconciliation"),
    "quarterly_trends": ("季度趋势", "Quarterly trends"),
}
_STALE_RE = re.compile(r"^\.(?P<month>\d{4}-\d{2})\.(?:tmp|old)-(?P<pid>\d+)-")


class ReportInterrupted(SlaError):
    """SIGTERM or Ctrl-C arrived while a report was being built; nothing half-done was left."""


class _Terminated(BaseException):
    """Raised by the SIGTERM handler; a BaseException (like KeyboardInterrupt) so that no
    ``except Exception`` in papermill, nbclient or here swallows it."""


# -- result --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Document:
    """One rendered notebook; file names are relative to the report folder."""

    name: str
    title: str
    html: str | None
    pdf: str | None
    executed: str
    period: str | None = None  # the quarter of the quarterly notebook; None: the report's month


@dataclass(frozen=True)
class ReportResult:
    """A published report: its folder and, through the properties, every file in it."""

    month: str
    quarter: str | None
    lang: str
    folder: Path
    documents: tuple[Document, ...]
    workbooks: tuple[str, ...]
    headline: dict
    created_at: str

    @property
    def index(self) -> Path:
        return self.folder / "index.html"

    @property
    def manifest(self) -> Path:
        return self.folder / "manifest.json"

    @property
    def html(self) -> list[Path]:
        return [self.folder / d.html for d in self.documents if d.html]

    @property
    def pdf(self) -> list[Path]:
        return [self.folder / d.pdf for d in self.documents if d.pdf]

    @property
    def xlsx(self) -> list[Path]:
        return [self.folder / w for w in self.workbooks]

    @property
    def executed(self) -> list[Path]:
        return [self.folder / d.executed for d in self.documents]

    @property
    def files(self) -> list[Path]:
        """Every file of the report folder."""
        return sorted(p for p in self.folder.rglob("*") if p.is_file())

    @property
    def contract_id(self) -> str:
        return self.headline["contract_id"]


# -- months and quarters -------------------------------------------------------------------

def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def contract_today(terms) -> dt.date:
    """Today's date in the contract's time zone (terms.contract.timezone)."""
    return today_in(terms.contract.timezone, _utcnow())


def resolve_month(text: str, terms, today: dt.date | None = None) -> str:
    """'YYYY-MM' as given, or 'previous': the last complete month as of ``today``
    (default: today in the contract's time zone)."""
    text = str(text).strip()
    if text.lower() == "previous":
        today = today or contract_today(terms)
        return (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    try:
        parse_month(text)
    except ValueError as exc:
        raise SlaError(f"month: {exc}; expected YYYY-MM or 'previous'") from None
    return text


def resolve_quarter(text: str, terms, today: dt.date | None = None) -> str:
    """'2026Q3' (any case) as 'YYYYQn', or 'previous': the last complete quarter."""
    text = str(text).strip().upper()
    if text == "PREVIOUS":
        today = today or contract_today(terms)
        q = (today.month - 1) // 3  # 0-based quarter of today; the previous one is q - 1
        return f"{today.year - 1}Q4" if q == 0 else f"{today.year}Q{q}"
    if not re.fullmatch(r"\d{4}Q[1-4]", text):
        raise SlaError(f"quarter: not a quarter in YYYYQn form (e.g. 2026Q3): {text!r}")
    return text


def _as_of_date(as_of, terms) -> dt.date:
    return contract_today(terms) if as_of is None else resolve_as_of(as_of, terms.contract.timezone)


# -- plan ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Job:
    """What a worker needs to execute and render one notebook (picklable)."""

    name: str
    source: str
    folder: str  # the temporary report folder
    parameters: dict
    title: str
    page_title: str  # <title> of the HTML, the PDF's metadata title and page footer
    lang: str
    formats: tuple[str, ...]
    cwd: str
    font: str | None
    verbose: bool
    cell_timeout: float | None
    kernel_socket: str | None = None  # the run's kernel zygote (sla_lib.warm_kernels); None: cold kernels

    @property
    def executed(self) -> Path:
        return Path(self.folder) / "executed" / f"{self.name}.ipynb"


@dataclass
class _Outcome:
    name: str
    seconds: float
    error: tuple[int | None, str] | None = None  # (cell, message)
    # seconds per step: execute (papermill, kernel start included), cells (the cells' own
    # run time, from papermill's per-cell record), html, pdf
    phases: dict = dataclasses.field(default_factory=dict)


def _check_options(formats, lang, jobs) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise SlaError(f"formats: {', '.join(unknown) or '(none)'}: choose among {', '.join(FORMATS)}")
    if lang not in LANGS:
        raise SlaError(f"lang: {lang!r}: choose zh or en")
    if int(jobs) < 1:
        raise SlaError(f"jobs: {jobs}: at least 1")
    return formats


def notebook_sources(notebooks_dir, names, quarter: str | None) -> list[tuple[str, Path]]:
    """(name, path) of every notebook to run: ``names`` (default: the monthly ones), plus
    the quarterly one when a quarter is asked for. A missing file is an SlaError."""
    notebooks_dir = Path(notebooks_dir)
    names = [Path(n).stem for n in (MONTHLY_NOTEBOOKS if names is None else names)]
    if quarter and QUARTERLY_NOTEBOOK not in names:
        names.append(QUARTERLY_NOTEBOOK)
    found = [(n, (notebooks_dir / f"{n}.ipynb").resolve()) for n in dict.fromkeys(names)]
    missing = [str(p) for _, p in found if not p.is_file()]
    if missing:
        raise SlaError(f"notebook(s) not found: {', '.join(missing)}")
    return found


def notebook_title(name: str, source: Path, lang: str) -> str:
    """The known title of a report notebook, else its first Markdown heading, else its name."""
    if name in NOTEBOOK_TITLES:
        return NOTEBOOK_TITLES[name][0 if lang == "zh" else 1]
    import nbformat

    for cell in nbformat.read(source, as_version=4).cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#+\s+(.+?)\s*$", cell.source, re.M)
            if match:
                return match.group(1)
    return name


def notebook_parameters(name, terms_path, data_dir, month, quarter, as_of: dt.date, lang, output_dir, cache_path=None) -> dict:
    """The values papermill injects (the notebooks' ``parameters`` cell contract);
    ``cache_path`` (the inputs cache, :func:`sla_lib.views.load_inputs`) only when given."""
    params = {"terms_path": str(Path(terms_path).resolve()), "data_dir": str(Path(data_dir).resolve())}
    if name == QUARTERLY_NOTEBOOK:
        params["quarter"] = quarter
    else:
        params["month"] = month
    params.update(as_of=as_of.isoformat(), lang=lang, output_dir=str(output_dir))
    if cache_path is not None:
        params["cache_path"] = str(cache_path)
    return params


def takes_cache_path(source: Path) -> bool:
    """Whether the notebook's ``parameters`` cell declares ``cache_path`` (the report
    notebooks do; a notebook that does not is not given one: papermill would warn)."""
    import nbformat

    for cell in nbformat.read(source, as_version=4).cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            return re.search(r"^cache_path\s*=", cell.source, re.M) is not None
    return False


# -- the inputs cache ------------------------------------------------------------------------

INPUTS_CACHE = ".inputs-cache.pickle"  # 0600, in the run's private working folder (folders.private_work_folder), never in the published tree


def cache_months(terms, month: str, quarter: str | None) -> list[str]:
    """The months the notebooks compute: the term up to ``month`` (term-to-date statements,
    C19 look back, trends), ``month`` itself, and the quarter with the one before it."""
    from .views import previous_quarter, quarter_months, term_months_to

    months = term_months_to(terms, month)
    if quarter:
        months += quarter_months(previous_quarter(quarter)) + quarter_months(quarter)
    return list(dict.fromkeys(months))


def prepare_inputs_cache(folder: Path, terms_path, data_dir, terms, data, months, fingerprint: dict | None = None) -> Path:
    """Compute ``months`` into ``data.kpi_cache`` (a month that fails is left to the
    notebook, which then reports the error in its own cell) and write (terms, data) to
    ``folder/INPUTS_CACHE`` for the notebooks' :func:`sla_lib.views.load_inputs`."""
    from .kpis import month_kpis
    from .views import write_inputs_cache

    for m in months:
        with contextlib.suppress(Exception):
            month_kpis(data, terms, m)
    return write_inputs_cache(Path(folder) / INPUTS_CACHE, terms_path, data_dir, terms, data, fingerprint)


# -- execute (in a worker process or in this one) ------------------------------------------

def execute_notebook(job: _Job) -> None:
    """Run one notebook with papermill into ``executed/<name>.ipynb``. Raises
    ReportError naming the notebook, the cell and the exception."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    job.executed.parent.mkdir(parents=True, exist_ok=True)
    # without --verbose, no kernel log lines (the TCP-without-encryption notice, "KeyboardInterrupt
    # caught in kernel" when papermill shuts an idle kernel down); cell errors still come through
    quiet = [] if job.verbose else ["--IPKernelApp.log_level=CRITICAL"]
    warm = {}
    if job.kernel_socket:
        from .warm_kernels import warm_manager

        warm = {"kernel_manager_class": warm_manager(job.kernel_socket)}

    def run():
        pm.execute_notebook(
            job.source,
            str(job.executed),
            parameters=job.parameters,
            kernel_name=KERNEL_NAME,
            progress_bar=job.verbose,
            cwd=job.cwd,
            execution_timeout=job.cell_timeout,
            extra_arguments=quiet,
            # the outputs are in once the last cell replied: the kernel is killed, not asked to
            # end (a polite shutdown costs 0.2-0.5 s per notebook, waiting)
            shutdown_kernel="immediate",
            **warm,
        )

    try:
        try:
            run()
        except RuntimeError as exc:
            # jupyter_client picks a kernel's TCP ports by binding port 0 and letting go; two
            # kernels starting at once (--jobs 2) can pick the same one, and the second dies
            # with "Address already in use" before any cell ran: start it once more
            if "Kernel died before replying to kernel_info" not in str(exc):
                raise
            time.sleep(0.5)
            run()
    except PapermillExecutionError as exc:
        cell = _source_cell_number(job.executed, exc.cell_index)
        evalue = str(exc.evalue).strip().splitlines()
        message = f"{exc.ename}: {evalue[0] if evalue else ''}".rstrip(": ")
        raise ReportError(f"{job.name}.ipynb", cell, f"{message} (In [{exc.exec_count}] of the executed notebook)") from None
    except SlaError:
        raise
    except Exception as exc:  # kernel died, timeout, missing kernel, unreadable notebook
        raise ReportError(f"{job.name}.ipynb", None, f"{type(exc).__name__}: {exc}".strip()) from None


def _source_cell_number(executed: Path, cell_index: int) -> int | None:
    """1-based position, in the source notebook, of the cell papermill reports by its index
    in the executed notebook (which has the injected-parameters cell and error markers)."""
    import nbformat

    try:
        cells = nbformat.read(executed, as_version=4).cells
    except Exception:  # noqa: BLE001 - only a nicer number is lost
        return None
    cells = [c for c in cells if PAPERMILL_ERROR_TAG not in c.metadata.get("tags", [])]
    injected = sum(1 for c in cells[:cell_index] if "injected-parameters" in c.metadata.get("tags", []))
    return cell_index - injected + 1


def produce_notebook(job: _Job) -> _Outcome:
    """Execute one notebook, then write its HTML and PDF. Never raises ReportError: the
    outcome carries (cell, message) so it crosses a process boundary."""
    start = time.monotonic()
    phases = {}

    def lap(phase: str, since: float) -> float:
        now = time.monotonic()
        phases[phase] = round(now - since, 3)
        return now

    try:
        execute_notebook(job)
        mark = lap("execute", start)
        if "html" in job.formats or "pdf" in job.formats:
            import nbformat

            book = nbformat.read(job.executed, as_version=4)
            phases["cells"] = round(sum(c.metadata.get("papermill", {}).get("duration") or 0.0 for c in book.cells), 3)
            page = render_html(book, job.page_title, job.lang)
            if "html" in job.formats:
                (Path(job.folder) / f"{job.name}.html").write_text(page, encoding="utf-8")
            mark = lap("html", mark)
            if "pdf" in job.formats:
                try:
                    render_pdf(page, Path(job.folder) / f"{job.name}.pdf", job.font, job.page_title)
                except Exception as exc:  # noqa: BLE001 - reported with the notebook's name
                    raise ReportError(f"{job.name}.ipynb", None, f"rendering the PDF failed: {type(exc).__name__}: {exc}") from None
                lap("pdf", mark)
    except ReportError as exc:
        return _Outcome(job.name, time.monotonic() - start, (exc.cell, _message_of(exc)), phases)
    except Exception as exc:  # noqa: BLE001
        return _Outcome(job.name, time.monotonic() - start, (None, f"{type(exc).__name__}: {exc}"), phases)
    return _Outcome(job.name, time.monotonic() - start, phases=phases)


# -- running several notebooks -------------------------------------------------------------

def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    # disable=None: off when stderr is not a terminal (cron, systemd)
    return tqdm(total=total, desc="notebooks", unit="nb", disable=None if enabled else True)


def _worker_init(parent_pid: int) -> None:
    """Worker processes die at once on SIGTERM/SIGINT (the parent decides what to clean)
    and on their own when the parent is gone (SIGKILL of the parent)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (Linux /proc; empty elsewhere): the workers' kernels."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the workers and the kernels they started, now."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    doomed = [p for w in workers if w.pid for p in _descendants(w.pid)]
    for w in workers:
        with contextlib.suppress(Exception):
            w.terminate()
    for p in doomed:
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)
    for w in workers:
        with contextlib.suppress(Exception):
            w.join(5)
    pool.shutdown(wait=False, cancel_futures=True)


def previous_seconds(out_dir) -> dict[str, float]:
    """Seconds per notebook that the newest report in ``out_dir`` recorded in its manifest
    ({} when there is none or it cannot be read)."""
    manifests = []
    for path in Path(out_dir).glob("*/manifest.json"):
        with contextlib.suppress(OSError):
            manifests.append((path.stat().st_mtime, path))
    if not manifests:
        return {}
    try:
        notebooks = json.loads(max(manifests)[1].read_text(encoding="utf-8"))["notebooks"]
        return {n["name"]: float(n["seconds"]) for n in notebooks if n.get("seconds") is not None}
    except Exception:  # noqa: BLE001 - only the order is lost
        return {}


def longest_first(jobs: list[_Job], seconds: dict[str, float]) -> list[_Job]:
    """The jobs in the order to hand them to the workers: the longest first (by ``seconds``,
    see :func:`previous_seconds`), so that a long notebook does not start last while the
    other workers have nothing left to do; notebooks without a recorded time before them,
    in their own order."""
    unknown = [j for j in jobs if j.name not in seconds]
    return unknown + sorted((j for j in jobs if j.name in seconds), key=lambda j: -seconds[j.name])


def run_notebooks(jobs: list[_Job], workers: int, progress: bool) -> list[_Outcome]:
    """Run every job; stop starting new ones after the first failure (the ones running
    finish, so nothing writes into the folder after it is moved)."""
    outcomes: list[_Outcome] = []
    if workers <= 1 or len(jobs) == 1:
        with _progress(len(jobs), progress) as bar:
            for job in jobs:
                bar.set_postfix_str(job.name)
                outcomes.append(produce_notebook(job))
                bar.update()
                if outcomes[-1].error:
                    break
        return outcomes

    fork = "fork" in multiprocessing.get_all_start_methods()
    if fork:  # import once here; forked workers inherit the modules instead of importing each
        import papermill  # noqa: F401
        import weasyprint  # noqa: F401

        import nbformat

        for lang in {job.lang for job in jobs if "html" in job.formats or "pdf" in job.formats}:
            render_html(nbformat.v4.new_notebook(), "", lang)  # and the exporter's templates compiled (0.3 s)
    context = multiprocessing.get_context("fork" if fork else "spawn")
    pool = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context, initializer=_worker_init, initargs=(os.getpid(),))
    try:
        futures: dict[Future, _Job] = {pool.submit(produce_notebook, job): job for job in jobs}
        with _progress(len(jobs), progress) as bar:
            for future in as_completed(futures):
                try:
                    outcome = future.result()
                except CancelledError:
                    continue
                except BrokenProcessPool as exc:
                    outcome = _Outcome(futures[future].name, 0.0, (None, f"the worker process died ({exc})"))
                outcomes.append(outcome)
                bar.set_postfix_str(outcome.name)
                bar.update()
                if outcome.error:
                    for other in futures:
                        other.cancel()
    except BaseException:
        _kill_pool(pool)
        raise
    pool.shutdown(wait=True)
    return outcomes


# -- headline, index, manifest -------------------------------------------------------------

def headline_figures(terms, data, month: str, as_of: dt.date) -> dict:
    """The index's figures, from sla_lib only: the fee statement's amounts and dates
    (FeeStatement.to_json, the strings `sla fees --format json` prints), its KPIs, whether
    the payment is settled, not yet due or overdue (``fees.payment_status``), and the
    previous month of the contract's amount due and KPI counts (``previous``, None for the
    first month), for the month-over-month change."""
    from .fees import month_fee_statement, payment_status
    from .kpis import KPI_LABELS

    statement = month_fee_statement(data, terms, month, as_of)
    fees = statement.to_json()
    kpis = {}
    for key, result in statement.kpis.results.items():
        zh, en = KPI_LABELS[key]
        kpis[key] = {"clause": result.clause, "label_zh": zh, "label_en": en, **result.to_json(), "status": result.status}
    statuses = [k["status"] for k in kpis.values()]
    status, days = payment_status(statement, as_of)
    previous = None  # the month before, for the change of each KPI and of the amount due
    before = [m for m in terms.contract_months if m < month]
    if before:
        prior = month_fee_statement(data, terms, before[-1], as_of)  # its KPIs are in the month memo already (C19)
        previous = {"month": before[-1], "amount_due": str(prior.amount_due),
                    "kpis": {k: {"met": r.met, "total": r.total} for k, r in prior.kpis.results.items()}}
    return {
        # published in manifest.json, the index and the e-mail: terms text is masked like data
        "contract_id": published.text(terms.contract.id),
        "party_a": published.text(terms.contract.party_a),
        "party_b": published.text(terms.contract.party_b),
        "month": month,
        "as_of": as_of.isoformat(),
        **{k: fees[k] for k in ("base", "bonus", "total_deduction", "onsite_fees", "amount_due", "payment_due",
                                "paid", "balance", "late_days", "late_damages", "failing_kpis", "no_data")},
        "na_counts_as": terms.na_counts_as,
        "payment_status": status,
        "payment_status_days": days,
        "previous": previous,
        "kpis_met": statuses.count("met"),
        "kpis_missed": statuses.count("missed"),
        "kpis_na": statuses.count("n/a"),
        "kpis": kpis,
    }


def attachment_name(doc: Document, month: str, suffix: str) -> str:
    """The file name a reader sees for an e-mailed PDF: the title and the month (or quarter)."""
    safe = re.sub(r'[\\/:*?"<>|]+', "-", doc.title).strip()
    return f"{safe}_{doc.period or month}{suffix}"


def workbook_attachment_name(result: "ReportResult", workbook) -> str:
    """The file name a reader sees for the e-mailed workbook, in the report's language like
    the PDFs' (费用对账表_2026-10.xlsx / Fee reconciliation_2026-10.xlsx)."""
    return f"{L.INDEX[result.lang]['workbook_file']}_{result.month}{Path(workbook).suffix}"


def _no_data_text(result: ReportResult) -> str:
    """The warning line for a month in which an event table has no rows at all, or ''."""
    h = result.headline
    if not h.get("no_data"):
        return ""
    from .display import no_data_words

    return L.INDEX[result.lang]["no_data"].format(month=result.month, **no_data_words(h["no_data"], h["na_counts_as"], result.lang))


_MONEY_FIGURES = ("amount_due", "paid", "balance", "bonus", "total_deduction", "late_damages")


def _signed(text: str) -> str:
    return text if text.startswith("-") else f"+{text}"


def headline_rows(result: ReportResult) -> list[tuple[str, str, str]]:
    """The index's figures for people, as (label, value, note): money with separators (as
    in the notebooks), the change of the amount due from the previous month, and whether
    the balance is settled, not yet due or overdue."""
    from .display import money

    t, h = L.INDEX[result.lang], result.headline
    previous = h.get("previous")
    rows = []
    for key in ("amount_due", "payment_due", "paid", "balance", "bonus", "total_deduction", "late_damages"):
        value, note = h[key], ""
        if key in _MONEY_FIGURES:
            value = money(value)
        if key == "amount_due" and previous:
            delta = Decimal(h["amount_due"]) - Decimal(previous["amount_due"])
            note = t["change"].format(month=previous["month"], delta=_signed(money(delta)))
        if key == "balance" and h.get("payment_status"):
            note = t[h["payment_status"]].format(due=h["payment_due"], days=h["payment_status_days"])
        rows.append((t[key], value, note))
    return rows


def kpi_rows(result: ReportResult) -> list[tuple[str, str, str, str, str, str]]:
    """The index's KPI lines for people: (clause, label, rate to one decimal or 'n/a',
    target, status, change from the previous month in percentage points or '')."""
    t, h = L.INDEX[result.lang], result.headline
    previous = (h.get("previous") or {}).get("kpis", {})
    rows = []
    for key, k in h["kpis"].items():
        rate = Fraction(k["met"], k["total"]) if k["total"] else None
        before = previous.get(key)
        change = ""
        if rate is not None and before and before["total"]:
            change = _signed(pct_text(rate - Fraction(before["met"], before["total"]), 1))
        rows.append((k["clause"], k["label_zh"] if result.lang == "zh" else k["label_en"],
                     "n/a" if rate is None else pct_text(rate, 1), k["target_pct"] or "—", t["status_names"][k["status"]], change))
    return rows


def render_index(result: ReportResult, for_mail: bool = False) -> str:
    """index.html of the month: headline figures and links; ``for_mail`` names the
    attachments instead of linking files (the e-mail's HTML body)."""
    t, h, e = L.INDEX[result.lang], result.headline, published.html_text  # masked and escaped: terms text is hostile too
    title = t["title"].format(contract=h["contract_id"], month=result.month)
    rows = "".join(f"<tr><th>{e(label)}</th><td class=\"num\">{e(value)}</td><td class=\"muted\">{e(note)}</td></tr>"
                   for label, value, note in headline_rows(result))
    kpi_line = t["kpis_line"].format(met=h["kpis_met"], missed=h["kpis_missed"], na=h["kpis_na"])
    rows += f"<tr><th>{e(t['kpis'])}</th><td class=\"num\">{e(kpi_line)}</td></tr>"
    no_data = _no_data_text(result)
    warning = f'<p class="missed">{e(no_data)}</p>\n' if no_data else ""
    kpi_lines = "".join(
        f"<tr><td>{e(clause)}</td><td>{e(label)}</td><td class=\"num\">{e(rate)}</td><td class=\"num\">{e(target)}</td>"
        f"<td class=\"{e(k['status'].replace('/', ''))}\">{e(status)}</td><td class=\"num\">{e(change)}</td></tr>"
        for (clause, label, rate, target, status, change), k in zip(kpi_rows(result), h["kpis"].values())
    )
    docs = []
    for d in result.documents:
        if for_mail:
            links = f"{e(t['attached'])}: {e(attachment_name(d, result.month, '.pdf'))}" if d.pdf else ""
        else:
            links = " · ".join(f'<a href="{e(f)}">{label}</a>' for f, label in ((d.html, "HTML"), (d.pdf, "PDF")) if f)
        label = f"{d.title} {d.period}" if d.period else d.title
        docs.append(f"<tr><td>{e(label)}</td><td>{links}</td></tr>")
    for w in result.workbooks:
        link = f"{e(t['attached'])}: {e(workbook_attachment_name(result, w))}" if for_mail else f'<a href="{e(w)}">{e(w)}</a>'
        docs.append(f"<tr><td>{e(t['workbook'])}</td><td>{link}</td></tr>")
    executed = "" if for_mail else (
        f"<p class=\"muted\">{e(t['executed'])}: "
        + " · ".join(f'<a href="{e(d.executed)}">{e(d.name)}.ipynb</a>' for d in result.documents)
        + "</p>"
    )
    from . import __version__

    footer = t["as_of"].format(as_of=h["as_of"], created=result.created_at, version=__version__)
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if result.lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{e(title)}</title>\n'
        f"<style>{PAGE_CSS}</style>\n</head>\n<body>\n<h1>{e(title)}</h1>\n"
        f"<p class=\"muted\">{e(t['parties'].format(a=h['party_a'], b=h['party_b']))}</p>\n"
        f"{warning}<h2>{e(t['figures'])}</h2>\n<table>{rows}</table>\n"
        f"<table><tr><th>{e(t['clause'])}</th><th>{e(t['kpi'])}</th><th>{e(t['rate'])}</th><th>{e(t['target'])}</th>"
        f"<th>{e(t['status'])}</th><th>{e(t['change_column'])}</th></tr>{kpi_lines}</table>\n"
        f"<h2>{e(t['documents'])}</h2>\n<table>{''.join(docs)}</table>\n{executed}\n"
        f"<p class=\"muted\">{e(footer)}</p>\n</body>\n</html>\n"
    )


def render_index_text(result: ReportResult) -> str:
    """Plain-text version of the index (the e-mail's text/plain alternative)."""
    t, h = L.INDEX[result.lang], result.headline
    lines = [t["title"].format(contract=h["contract_id"], month=result.month),
             t["parties"].format(a=h["party_a"], b=h["party_b"]), ""]
    for label, value, note in headline_rows(result):
        lines.append(f"{label}: {value}" + (f" ({note})" if note else ""))
    no_data = _no_data_text(result)
    if no_data:
        lines += [no_data, ""]
    lines.append(f"{t['kpis']}: " + t["kpis_line"].format(met=h["kpis_met"], missed=h["kpis_missed"], na=h["kpis_na"]))
    for clause, label, rate, target, status, change in kpi_rows(result):
        lines.append(f"  {clause} {label}: {rate} / {target} {status}" + (f" ({change})" if change else ""))
    lines += ["", t["documents"] + ":"]
    lines += [f"  {d.title}{' ' + d.period if d.period else ''}: {attachment_name(d, result.month, '.pdf')}" for d in result.documents if d.pdf]
    lines += [f"  {t['workbook']}: {workbook_attachment_name(result, w)}" for w in result.workbooks]
    from . import __version__

    lines += ["", t["as_of"].format(as_of=h["as_of"], created=result.created_at, version=__version__)]
    return "\n".join(published.text(line) for line in lines) + "\n"


def _published_or_none(value):
    return None if value is None else published.text(value)


def row_accounting(data) -> dict:
    """Per table: the file, rows read, used and set aside, and each row set aside with its
    row number, id, column and reason (C21: every figure traceable to its input rows)."""
    out = {}
    for name, account in data.accounting.items():
        out[name] = {
            "file": account.file,
            "rows_read": account.rows_read,
            "rows_used": account.rows_used,
            "rows_set_aside": len(account.set_aside),
            # published: ids and reasons quote the cells as written, so they are masked (C20)
            "set_aside": [{"row": s.row, "id": _published_or_none(s.record_id), "column": s.column, "reason": published.text(s.reason)}
                          for s in account.set_aside],
            "skipped_rows": [{"row": k.row, "reason": published.text(k.reason)} for k in account.skipped_rows],  # title rows, not records
        }
    return out


def build_manifest(result: ReportResult, terms_path, input_files: dict, parameters: dict, sources: dict, outcomes,
                   fingerprint: dict | None = None) -> dict:
    """What produced the report: hashes of the terms, the input tables and the notebooks,
    versions, parameters, timings, creation time. ``fingerprint``: the hashes already taken
    when the inputs were loaded (:func:`sla_lib.views.inputs_fingerprint`), else computed here."""
    import chinese_calendar
    import papermill

    from . import __version__
    from .kpi_store import file_digest as sha256_file

    seconds = {o.name: round(o.seconds, 2) for o in outcomes}
    phases = {o.name: o.phases for o in outcomes}
    known = {}
    if fingerprint and fingerprint.get("terms_path") == str(Path(terms_path).resolve()):
        known = {"terms": fingerprint["terms_sha256"], **fingerprint["tables"]}
    return {
        "contract_id": result.contract_id,
        "month": result.month,
        "quarter": result.quarter,
        "created_at": result.created_at,
        "sla_lib_version": __version__,
        "chinese_calendar_version": chinese_calendar.__version__,
        "papermill_version": papermill.__version__,
        "python_version": sys.version.split()[0],
        "terms": {"path": str(Path(terms_path).resolve()), "sha256": known.get("terms") or sha256_file(terms_path)},
        "inputs": {table: {"path": str(Path(p).resolve()), "sha256": known.get(Path(p).name) or sha256_file(p)}
                   for table, p in sorted(input_files.items())},
        "parameters": parameters,
        "notebooks": [
            {"name": d.name, "source": str(sources[d.name]), "source_sha256": sha256_file(sources[d.name]),
             "executed": d.executed, "seconds": seconds.get(d.name), "phases": phases.get(d.name, {})}
            for d in result.documents
        ],
        "headline": result.headline,
    }


# -- folders: staging, publication, failure, interruption ----------------------------------

def clean_stale(out_dir: Path) -> list[Path]:
    """Remove temporary and backup folders (``.<month>.tmp-<pid>-…``, ``.<month>.old-<pid>-…``)
    left by runs whose process no longer exists. An entry of that name that is a symbolic
    link or a file is unlinked itself, never followed."""
    from .folders import pid_alive, remove_entry

    removed = []
    for entry in Path(out_dir).iterdir():
        match = _STALE_RE.match(entry.name)
        if not match:
            continue
        planted = entry.is_symlink() or not entry.is_dir()
        if planted or (int(match["pid"]) != os.getpid() and not pid_alive(int(match["pid"]))):
            with contextlib.suppress(OSError):
                remove_entry(entry)
                removed.append(entry)
    return removed


def make_staging(out_dir: Path, month: str) -> Path:
    """The temporary report folder beside the destination, private (0700) until
    :func:`publish` opens it like any folder this process makes."""
    staging = Path(out_dir) / f".{month}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    os.chmod(staging, 0o700)  # whatever the umask
    (staging / "executed").mkdir()
    return staging


def _umask() -> int:
    """This process's umask, read without changing it where Linux tells it."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _signals_deferred():
    """Hold SIGTERM/SIGINT during a few renames (delivered right after)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def publish(staging: Path, final: Path) -> None:
    """Move the finished folder into place. An existing report is renamed to a backup first,
    restored if the second rename fails, and deleted after; readers never see a mixture.
    The private staging folder gets the mode of a folder made under the umask (0755 under
    the usual 022) as it is published. A ``final`` that is a symbolic link is replaced as a
    link: what it points to is never written or removed."""
    from .folders import remove_entry

    backup = None
    os.chmod(staging, 0o777 & ~_umask())
    with _signals_deferred():
        if final.is_symlink() or final.exists():
            backup = final.with_name(f".{final.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
            final.rename(backup)  # rename moves a link itself
        try:
            staging.rename(final)
        except BaseException:
            if backup is not None:
                backup.rename(final)
            raise
    if backup is not None:
        with contextlib.suppress(OSError):
            remove_entry(backup)


def keep_failed(staging: Path, out_dir: Path, month: str) -> Path:
    """Move the temporary folder of a failed run to ``<out>/<month>.failed`` (replacing the
    one of an earlier failure). The kept folder stays private (0700). A ``<month>.failed``
    that is a symbolic link (or a file) is replaced as itself: the link is unlinked, never
    followed, so whatever it points to survives."""
    from .folders import remove_entry

    failed = Path(out_dir) / f"{month}.failed"
    with _signals_deferred():
        remove_entry(failed)
        staging.rename(failed)
    return failed


@contextlib.contextmanager
def _month_lock(out_dir: Path, month: str):
    """One run per month and output folder at a time (a cron run meeting a manual one).
    The lock file is opened without following a link (a link there is refused: the pid
    would be written into whatever it points to)."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    from .folders import open_lock_file

    path = Path(out_dir) / f".{month}.lock"
    with open(open_lock_file(path), "r+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            raise SlaError(f"another `sla report` for {month} is writing into {out_dir} (pid {fh.read(20).strip() or '?'}); try again when it is done") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def _terminate_raises():
    """Turn SIGTERM into an exception in the main thread, so cleanup code runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise _Terminated(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- the command ---------------------------------------------------------------------------

def _skip_iri_grammars() -> None:
    """nbformat validates notebooks with jsonschema, whose format checkers import
    rfc3987_syntax where it is installed (jsonschema[format-nongpl]): 38 Earley grammars
    compiled on import, about 1 s of every report (python-jsonschema/jsonschema#1428). No
    notebook schema has an "iri" format, the only one it checks; jsonschema leaves out the
    checker of a module it cannot import."""
    sys.modules.setdefault("rfc3987_syntax", None)


def build_report(
    terms_path,
    data_dir,
    month: str,
    out_dir="reports",
    formats=FORMATS,
    lang: str = "zh",
    jobs: int = 2,
    quarter: str | None = None,
    as_of=None,
    notebooks_dir=None,
    verbose: bool = False,
    progress: bool = True,
    notebooks=None,
    cell_timeout: float | None = 900,
) -> ReportResult:
    """Execute and render the month's notebooks and publish ``<out_dir>/<month>/``.

    ``month``: 'YYYY-MM' or 'previous'; ``quarter``: 'YYYYQn' or 'previous' adds the
    quarterly notebook; ``as_of`` (date or 'YYYY-MM-DD', default today in the contract's
    zone) is resolved once and given to every notebook and to the headline figures;
    ``notebooks``: names in ``notebooks_dir`` (default: the three monthly notebooks in
    the repository's ``notebooks/``, NOTEBOOKS_DIR);
    ``jobs``: notebooks run at the same time; ``verbose``: papermill's per-cell progress
    bar and the kernels' own log; ``progress``: a bar over the notebooks (off when stderr
    is not a terminal); ``cell_timeout``: seconds a cell may run (None: no limit).

    Raises ReportError for a failing notebook (the executed notebook is kept under
    ``<out_dir>/<month>.failed/executed/``), ReportInterrupted on SIGTERM/Ctrl-C, SlaError
    for bad options or inputs; in every case the previous report stays in place."""
    from .data import check_against_terms, raise_problems
    from .terms import load_terms

    started = time.monotonic()
    formats = _check_options(formats, lang, jobs)
    _skip_iri_grammars()
    from .warm_kernels import warm_kernels

    # the kernels' zygote imports (on the other core) while the inputs are read and counted here
    with warm_kernels(cwd=str(Path(NOTEBOOKS_DIR if notebooks_dir is None else notebooks_dir).resolve())) as zygote:
        terms = load_terms(terms_path)
        month = resolve_month(month, terms)
        from .folders import private_work_folder, remove_entry, writable_folder
        from .kpis import check_months_in_contract

        check_months_in_contract(terms, [month])  # a month the contract does not price: refused before any work
        quarter = resolve_quarter(quarter, terms) if quarter else None
        if quarter:
            from .views import quarter_months, quarter_of

            if not set(quarter_months(quarter)) & set(terms.contract_months):  # a quarter that shares no month with it
                raise SlaError(f"quarter {quarter} has no month in the contract term {terms.term.start}..{terms.term.end} "
                               f"(renewed to {terms.term.renewed_end}); choose a quarter from "
                               f"{quarter_of(terms.contract_months[0])} to {quarter_of(terms.contract_months[-1])}")
        as_of = _as_of_date(as_of, terms)
        out_dir = writable_folder(out_dir, "out_dir").resolve()  # before the inputs are read
        sources = notebook_sources(NOTEBOOKS_DIR if notebooks_dir is None else notebooks_dir, notebooks, quarter)
        font = None
        if "pdf" in formats:
            from .fonts import cjk_font_path

            font = str(cjk_font_path())
        from .monthly import open_data

        # bad inputs stop here, before any kernel starts (a Parquet folder: its money tables here, the
        # months of the headline figures below; it is read one month at a time, never whole)
        data = open_data(data_dir, terms)
        raise_problems(check_against_terms(data, terms))
        from .masking import remember_names
        from .views import personal_names

        remember_names(personal_names(data))  # masked wherever they occur in what is published
        headline = headline_figures(terms, data, month, as_of)
        from .views import inputs_fingerprint

        fingerprint = inputs_fingerprint(terms_path, data_dir)  # the files loaded above, for the cache and the manifest
        cached = {name for name, path in sources if takes_cache_path(path)}

        final = out_dir / month
        staging = None
        stack = contextlib.ExitStack()
        with _month_lock(out_dir, month), _terminate_raises():
            try:
                clean_stale(out_dir)
                # personal data at rest only in a private folder outside the published tree,
                # removed however this run ends (a run killed -9: by the next run)
                work = stack.enter_context(private_work_folder())
                staging = make_staging(out_dir, month)
                cache = None
                if cached:
                    cache = prepare_inputs_cache(work, terms_path, data_dir, terms, data, cache_months(terms, month, quarter), fingerprint)
                titles = {name: notebook_title(name, path, lang) for name, path in sources}
                kernel_socket = zygote.ready()
                jobs_ = [
                    _Job(
                        name=name,
                        source=str(path.resolve()),
                        folder=str(staging.resolve()),
                        parameters=notebook_parameters(name, terms_path, data_dir, month, quarter, as_of, lang, staging.resolve(),
                                                       cache.resolve() if name in cached else None),
                        title=titles[name],
                        page_title=f"{titles[name]} · {quarter if name == QUARTERLY_NOTEBOOK else month} · {terms.contract.id}",
                        lang=lang,
                        formats=formats,
                        cwd=str(path.resolve().parent),
                        font=font,
                        verbose=verbose,
                        cell_timeout=cell_timeout,
                        kernel_socket=kernel_socket,
                    )
                    for name, path in sources
                ]
                prepared = time.monotonic()
                try:
                    order = longest_first(jobs_, previous_seconds(out_dir)) if int(jobs) > 1 else jobs_
                    outcomes = run_notebooks(order, int(jobs), progress and not verbose)
                finally:  # never published, never kept with a failed run
                    if cache is not None:
                        cache.unlink(missing_ok=True)
                ran = time.monotonic()
                failures = [o for o in outcomes if o.error]
                if failures:
                    raise _failure_error(failures)
                result = _assemble(staging, jobs_, formats, month, quarter, lang, headline, terms)
                (staging / "index.html").write_text(render_index(result), encoding="utf-8")
                common = {k: v for k, v in jobs_[0].parameters.items() if k not in ("month", "quarter", "output_dir", "cache_path")}
                parameters = {**common, "month": month, "quarter": quarter, "formats": list(formats), "out_dir": str(final.resolve())}
                manifest = build_manifest(result, terms_path, data.files, parameters, dict(sources), outcomes, fingerprint)
                manifest["seconds"] = round(time.monotonic() - started, 2)
                # before the notebooks (inputs, headline, cache), the notebooks, after them
                manifest["phases"] = {"prepare": round(prepared - started, 2), "notebooks": round(ran - prepared, 2),
                                      "finish": round(time.monotonic() - ran, 2)}
                (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
                (staging / "accounting.json").write_text(json.dumps(row_accounting(data), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
                publish(staging, final)
            except ReportError as exc:
                raise _located(exc, keep_failed(staging, out_dir, month)) from None
            except BaseException as exc:
                if staging is not None:
                    shutil.rmtree(staging, ignore_errors=True)
                if isinstance(exc, (KeyboardInterrupt, _Terminated)):
                    how = "Ctrl-C" if isinstance(exc, KeyboardInterrupt) else str(exc)
                    raise ReportInterrupted(f"interrupted by {how}; temporary folder removed, the report for {month} was not replaced") from None
                raise
            finally:
                stack.close()  # the working folder and the inputs cache in it
    with contextlib.suppress(OSError):  # an earlier failure of this month is now history (a link: unlinked only)
        remove_entry(out_dir / f"{month}.failed")
    from .archive import write_archive

    try:  # <out>/index.html: every published month and quarter (the month is published whatever happens here)
        write_archive(out_dir, lang, now=_utcnow().astimezone(ZoneInfo(terms.contract.timezone)))
    except (OSError, SlaError) as exc:
        print(f"sla report: warning: the archive page {out_dir / 'index.html'} was not rebuilt: {exc}", file=sys.stderr)
    return dataclasses.replace(result, folder=final)


def _message_of(exc: ReportError) -> str:
    """The exception part of a ReportError's text (without the notebook, cell and path)."""
    text = str(exc)
    where = exc.notebook if exc.cell is None else f"{exc.notebook}, cell {exc.cell}"
    tail = f" (executed notebook kept at {exc.executed_path})" if exc.executed_path else ""
    return text[len(where) + 2 : len(text) - len(tail)]


def _failure_error(failures: list[_Outcome]) -> ReportError:
    first = failures[0]
    cell, message = first.error
    others = [o.name for o in failures[1:]]
    if others:
        message += f"; also failed: {', '.join(others)}"
    return ReportError(f"{first.name}.ipynb", cell, message)


def _located(exc: ReportError, failed: Path) -> ReportError:
    """The error again, pointing at the kept executed notebook; says the report stayed."""
    month = failed.name.removesuffix(".failed")
    executed = failed / "executed" / exc.notebook
    where = executed if executed.exists() else failed
    return ReportError(exc.notebook, exc.cell, f"{_message_of(exc)}; the report for {month} was not replaced", where)


def _assemble(staging: Path, jobs: list[_Job], formats, month, quarter, lang, headline, terms) -> ReportResult:
    documents = tuple(
        Document(
            name=j.name,
            title=j.title,
            html=f"{j.name}.html" if "html" in formats else None,
            pdf=f"{j.name}.pdf" if "pdf" in formats else None,
            executed=f"executed/{j.name}.ipynb",
            period=quarter if j.name == QUARTERLY_NOTEBOOK else None,
        )
        for j in jobs
    )
    workbooks = sorted(p.name for p in staging.glob("*.xlsx"))
    if "xlsx" not in formats:
        for name in workbooks:
            (staging / name).unlink()
        workbooks = []
    elif any(j.name == "fee_reconciliation" for j in jobs) and f"fee_reconciliation_{month}.xlsx" not in workbooks:
        raise ReportError("fee_reconciliation.ipynb", None, f"wrote no fee_reconciliation_{month}.xlsx into output_dir")
    created = _utcnow().astimezone(ZoneInfo(terms.contract.timezone)).isoformat(timespec="seconds")
    return ReportResult(month, quarter, lang, staging, documents, tuple(workbooks), headline, created)
