"""`sla report` pipeline: papermill execution, HTML/PDF rendering, index, manifest, atomic
publication, failures and SIGTERM. Runs tiny notebooks written here with nbformat (not the
report notebooks), in-process or in two worker processes, with the sample data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

import sla_lib
from sla_lib import report
from sla_lib.errors import ReportError, SlaError
from sla_lib.report import build_report, clean_stale, publish, resolve_month, resolve_quarter

from conftest import SAMPLES

# WeasyPrint says so on import where the system lacks libharfbuzz-subset (see README)
pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset will be required:DeprecationWarning")

TERMS = SAMPLES / "contract.yaml"
AS_OF = "2026-12-31"
TITLE = "测试报告：投诉统计"

PARAMETERS = """\
terms_path = None
data_dir = None
month = None
quarter = None
as_of = None
lang = "zh"
output_dir = "."
"""

CHART = f"""\
import json, sys, warnings
from pathlib import Path
import matplotlib.pyplot as plt
from matplotlib import font_manager
from sla_lib.fonts import cjk_font_family, cjk_font_path
font_manager.fontManager.addfont(str(cjk_font_path()))
plt.rcParams["font.sans-serif"] = [cjk_font_family()]
print("参数", json.dumps({{"month": month, "quarter": quarter, "as_of": as_of, "lang": lang,
                          "terms": terms_path, "data": data_dir}}))
warnings.warn("a stray Warning for the report filter")
print("stderr noise", file=sys.stderr)
fig, ax = plt.subplots(figsize=(3, 2))
ax.bar(["甲", "乙"], [1, 2])
ax.set_title("投诉量")"""  # the last line's Text(...) repr must not reach the report

WORKBOOK = """\
from openpyxl import Workbook
book = Workbook()
book.active["A1"] = "金额"
book.save(Path(output_dir) / f"book_{month}.xlsx")"""


def _notebook(path: Path, cells: list[tuple[str, str]]) -> None:
    nb = nbformat.v4.new_notebook()
    for kind, source in cells:
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(source))
        else:
            cell = nbformat.v4.new_code_cell(source)
            if kind == "parameters":
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def nbdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("notebooks")
    _notebook(d / "ok.ipynb", [("md", f"# {TITLE}\n\nA tiny report."), ("parameters", PARAMETERS), ("code", CHART), ("code", WORKBOOK)])
    _notebook(d / "quarterly_trends.ipynb", [("parameters", PARAMETERS), ("code", 'print("季度", quarter)')])
    # cell 1 parameters, cell 2 prints, cell 3 raises
    _notebook(d / "fail.ipynb", [("parameters", PARAMETERS), ("code", 'print("第二格")'), ("code", 'raise ValueError("故意的错误")'), ("code", "print('never')")])
    _notebook(d / "slow.ipynb", [("parameters", PARAMETERS), ("code", "import time\nprint('sleeping', flush=True)\ntime.sleep(600)")])
    return d


@pytest.fixture(scope="module")
def built(nbdir, tmp_path_factory):
    """One full report (ok + quarterly_trends, two worker processes, every format)."""
    out = tmp_path_factory.mktemp("built") / "reports"
    result = build_report(TERMS, SAMPLES, "2026-10", out_dir=out, notebooks_dir=nbdir, notebooks=["ok"],
                          quarter="2026Q3", jobs=2, as_of=AS_OF, progress=False)
    return result


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _temp_entries(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


# -- the published folder ------------------------------------------------------------------

def test_success_writes_every_file_and_no_temporary_folder(built):
    folder = built.folder
    assert folder.name == "2026-10" and folder.is_dir()
    names = {str(p.relative_to(folder)) for p in built.files}
    assert names == {
        "index.html", "manifest.json", "accounting.json", "book_2026-10.xlsx",
        "ok.html", "ok.pdf", "quarterly_trends.html", "quarterly_trends.pdf",
        "executed/ok.ipynb", "executed/quarterly_trends.ipynb",
    }
    assert built.index == folder / "index.html"
    assert [p.name for p in built.pdf] == ["ok.pdf", "quarterly_trends.pdf"]
    assert [p.name for p in built.xlsx] == ["book_2026-10.xlsx"]
    assert _temp_entries(folder.parent) == []
    assert not (folder.parent / "2026-10.failed").exists()


def test_parameters_are_injected(built):
    nb = nbformat.read(built.folder / "executed/ok.ipynb", as_version=4)
    stdout = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("name") == "stdout")
    params = json.loads(stdout.split("参数", 1)[1].strip().splitlines()[0])
    assert params["month"] == "2026-10" and params["as_of"] == AS_OF and params["lang"] == "zh"
    assert params["terms"] == str(TERMS.resolve()) and params["data"] == str(SAMPLES.resolve())
    quarterly = nbformat.read(built.folder / "executed/quarterly_trends.ipynb", as_version=4)
    assert "季度 2026Q3" in json.dumps(quarterly.cells[-1].outputs, ensure_ascii=False)


def test_html_hides_code_warnings_and_stderr(built):
    page = (built.folder / "ok.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in page
    assert f"<title>{TITLE} · 2026-10 · CS-2026-001</title>" in page
    body = page.split("<body", 1)[1]  # the head holds JupyterLab's CSS, class names included
    assert TITLE in body and "参数" in body  # markdown and stdout are kept
    for unwanted in ("Traceback", "Warning", "stderr noise", "import matplotlib", "plt.subplots", "Text(0.5", "In&nbsp;[", "hl-ipython3", "jp-InputPrompt"):  # hl-ipython3: highlighted code
        assert unwanted not in body, unwanted
    assert body.count("data:image/png;base64,") == 1  # the chart, embedded
    assert "<script src=" not in page and 'src="http' not in page  # self-contained


def _pdf_text_and_fonts(path: Path) -> tuple[str, set[str]]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    text = "".join(page.extract_text() for page in reader.pages)
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return text, fonts


def test_pdf_chinese_is_text_in_the_cjk_font(built):
    text, fonts = _pdf_text_and_fonts(built.folder / "ok.pdf")
    assert TITLE in text and "参数" in text
    # text extraction alone is not enough: with a missing @font-face the text is extractable
    # but drawn as empty boxes; the CJK font itself must be embedded
    assert "SLA-CJK" in fonts, fonts
    assert "Warning" not in text and "stderr noise" not in text


def test_index_links_everything_with_headline_figures(built):
    from sla_lib.data import load_dataset
    from sla_lib.fees import month_fee_statement
    from sla_lib.terms import load_terms

    terms = load_terms(TERMS)
    fees = month_fee_statement(load_dataset(SAMPLES, terms), terms, "2026-10", dt.date(2026, 12, 31)).to_json()
    page = built.index.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "CS-2026-001 2026-10 月度报告" in page
    assert f">{fees['amount_due']}<" in page and f">{fees['payment_due']}<" in page
    assert "达标" in page and "季度趋势 2026Q3" in page
    for href in ("ok.html", "ok.pdf", "quarterly_trends.pdf", "book_2026-10.xlsx", "executed/ok.ipynb"):
        assert f'href="{href}"' in page
    assert built.headline["amount_due"] == fees["amount_due"]


def test_manifest(built):
    import chinese_calendar

    manifest = json.loads(built.manifest.read_text(encoding="utf-8"))
    assert manifest["terms"]["sha256"] == hashlib.sha256(TERMS.read_bytes()).hexdigest()
    assert manifest["inputs"]["consultations"]["sha256"] == hashlib.sha256((SAMPLES / "consultations.csv").read_bytes()).hexdigest()
    assert set(manifest["inputs"]) >= {"consultations", "complaints", "followups", "new_customers", "payments", "invoices"}
    assert manifest["sla_lib_version"] == sla_lib.__version__
    assert manifest["chinese_calendar_version"] == chinese_calendar.__version__
    params = manifest["parameters"]
    assert (params["month"], params["quarter"], params["as_of"], params["lang"]) == ("2026-10", "2026Q3", AS_OF, "zh")
    assert params["terms_path"] == str(TERMS.resolve())
    created = dt.datetime.fromisoformat(manifest["created_at"])
    assert created.utcoffset() == dt.timedelta(hours=8)  # the contract's zone
    assert [n["name"] for n in manifest["notebooks"]] == ["ok", "quarterly_trends"]


def test_row_accounting_beside_the_report(built):
    accounting = json.loads((built.folder / "accounting.json").read_text(encoding="utf-8"))
    assert set(accounting) >= {"consultations", "complaints", "followups", "new_customers", "payments", "invoices"}
    for table in accounting.values():
        assert table["rows_read"] == table["rows_used"] + table["rows_set_aside"] == table["rows_used"] + len(table["set_aside"])
    assert accounting["consultations"]["rows_read"] == sum(1 for _ in open(SAMPLES / "consultations.csv", encoding="utf-8")) - 1


def test_print_preparation_keeps_labels_whole_and_turns_wide_tables_landscape():
    narrow = "<table><tr><th>类别</th><th>说明</th></tr><tr><td>产品质量</td><td>这一格的文字比较长，可以换行。</td></tr></table>"
    wide = "<table><tr>" + "".join(f"<th>列{i}</th>" for i in range(12)) + "</tr></table>"
    out = report.prepare_for_print(f"<p>x</p>{narrow}{wide}")
    assert '<td><span class="sla-nowrap">产品质量</span></td>' in out
    assert "<td>这一格的文字比较长，可以换行。</td>" in out  # long texts still wrap
    assert out.count('<div class="sla-wide">') == 1 and out.index('<div class="sla-wide">') > out.index("产品质量")


# -- failure, replacement --------------------------------------------------------------------

def test_failing_notebook_keeps_previous_report_and_names_cell(built, nbdir, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(built.folder, out / "2026-10")
    before = _snapshot(out / "2026-10")

    with pytest.raises(ReportError) as info:
        build_report(TERMS, SAMPLES, "2026-10", out_dir=out, notebooks_dir=nbdir, notebooks=["fail"],
                     jobs=1, formats=("html",), as_of=AS_OF, progress=False)
    err = info.value
    assert err.notebook == "fail.ipynb" and err.cell == 3
    message = str(err)
    assert message.startswith("fail.ipynb, cell 3: ValueError: 故意的错误")
    kept = out / "2026-10.failed" / "executed" / "fail.ipynb"
    assert err.executed_path == str(kept) and str(kept) in message
    failed_nb = nbformat.read(kept, as_version=4)
    assert any(o.get("ename") == "ValueError" for c in failed_nb.cells if c.cell_type == "code" for o in c.outputs)

    assert _snapshot(out / "2026-10") == before  # previous report untouched
    assert _temp_entries(out) == []


def test_new_report_replaces_the_old_one_whole(built, nbdir, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(built.folder, out / "2026-10")
    (out / "2026-10.failed").mkdir()  # left by an earlier failure
    result = build_report(TERMS, SAMPLES, "2026-10", out_dir=out, notebooks_dir=nbdir, notebooks=["ok"],
                          jobs=1, formats=("html",), lang="en", as_of=AS_OF, progress=False)
    names = {p.name for p in (out / "2026-10").iterdir()}
    assert names == {"index.html", "manifest.json", "accounting.json", "ok.html", "executed"}  # no PDF or workbook of the old run
    assert json.loads(result.manifest.read_text())["parameters"]["formats"] == ["html"]
    assert '<html lang="en">' in result.index.read_text(encoding="utf-8")
    assert _temp_entries(out) == [] and not (out / "2026-10.failed").exists()


def test_publish_restores_the_old_report_when_the_move_fails(tmp_path):
    final = tmp_path / "2026-10"
    final.mkdir()
    (final / "index.html").write_text("old")
    with pytest.raises(FileNotFoundError):
        publish(tmp_path / ".2026-10.tmp-1-gone", final)  # the new folder vanished
    assert (final / "index.html").read_text() == "old"
    assert _temp_entries(tmp_path) == []


def test_stale_temporary_folders_of_dead_runs_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for name in (f".2026-10.tmp-{dead.pid}-aaaa", f".2026-09.old-{dead.pid}-bbbb", f".2026-10.tmp-{os.getppid()}-cccc", "2026-10"):
        (tmp_path / name).mkdir()
    removed = clean_stale(tmp_path)
    assert sorted(p.name for p in removed) == [f".2026-09.old-{dead.pid}-bbbb", f".2026-10.tmp-{dead.pid}-aaaa"]
    assert (tmp_path / f".2026-10.tmp-{os.getppid()}-cccc").exists()  # a live run's folder stays
    assert (tmp_path / "2026-10").exists()


def test_one_run_per_month_at_a_time(tmp_path):
    with report._month_lock(tmp_path, "2026-10"):
        with pytest.raises(SlaError, match="another `sla report` for 2026-10"):
            with report._month_lock(tmp_path, "2026-10"):
                pass
        with report._month_lock(tmp_path, "2026-11"):  # another month is fine
            pass


def test_bad_options_are_clear_errors(nbdir, tmp_path):
    with pytest.raises(SlaError, match="formats: doc"):
        build_report(TERMS, SAMPLES, "2026-10", out_dir=tmp_path, formats=("html", "doc"), notebooks_dir=nbdir)
    with pytest.raises(SlaError, match="notebook.*not found.*nope.ipynb"):
        build_report(TERMS, SAMPLES, "2026-10", out_dir=tmp_path, notebooks_dir=nbdir, notebooks=["nope"])
    with pytest.raises(SlaError, match="YYYY-MM or 'previous'"):
        build_report(TERMS, SAMPLES, "Oct 2026", out_dir=tmp_path, notebooks_dir=nbdir)
    assert list(tmp_path.iterdir()) == []


# -- months ----------------------------------------------------------------------------------

SHANGHAI = SimpleNamespace(contract=SimpleNamespace(timezone="Asia/Shanghai"))
UTC = SimpleNamespace(contract=SimpleNamespace(timezone="UTC"))


@pytest.mark.parametrize(
    "today, expected",
    [(dt.date(2026, 11, 3), "2026-10"), (dt.date(2027, 1, 1), "2026-12"), (dt.date(2026, 3, 31), "2026-02"), (dt.date(2026, 1, 31), "2025-12")],
)
def test_previous_month(today, expected):
    assert resolve_month("previous", SHANGHAI, today=today) == expected


def test_previous_month_is_measured_in_the_contract_zone(monkeypatch):
    # 2026-10-31 17:00 UTC is already 2026-11-01 01:00 in Shanghai
    monkeypatch.setattr(report, "_utcnow", lambda: dt.datetime(2026, 10, 31, 17, 0, tzinfo=dt.timezone.utc))
    assert resolve_month("previous", SHANGHAI) == "2026-10"
    assert resolve_month("previous", UTC) == "2026-09"


def test_explicit_month_and_quarters():
    assert resolve_month("2026-07", SHANGHAI) == "2026-07"
    with pytest.raises(SlaError):
        resolve_month("2026-13", SHANGHAI)
    assert resolve_quarter("2026q3", SHANGHAI) == "2026Q3"
    assert resolve_quarter("previous", SHANGHAI, today=dt.date(2026, 11, 3)) == "2026Q3"
    assert resolve_quarter("previous", SHANGHAI, today=dt.date(2027, 1, 1)) == "2026Q4"
    with pytest.raises(SlaError, match="YYYYQn"):
        resolve_quarter("2026Q5", SHANGHAI)


# -- SIGTERM ---------------------------------------------------------------------------------

RUNNER = textwrap.dedent(
    """
    import sys
    from sla_lib.report import build_report
    terms, data, out, nbdir, names, jobs = sys.argv[1:]
    build_report(terms, data, "2026-10", out_dir=out, notebooks_dir=nbdir, notebooks=names.split(","),
                 jobs=int(jobs), formats=("html",), as_of="2026-12-31", progress=False)
    """
)


@pytest.mark.parametrize("jobs, names", [(1, "slow"), (2, "slow,quarterly_trends")], ids=["in-process", "workers"])
def test_sigterm_leaves_no_half_report(nbdir, tmp_path, jobs, names):
    out = tmp_path / "reports"
    (out / "2026-10").mkdir(parents=True)
    (out / "2026-10" / "index.html").write_text("previous report")
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(TERMS), str(SAMPLES), str(out), str(nbdir), names, str(jobs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until the sleeping cell runs (papermill saved it as running)
            running = [p for p in out.glob(".2026-10.tmp-*/executed/slow.ipynb") if '"status": "running"' in p.read_text(encoding="utf-8", errors="replace")]
            if running or proc.poll() is not None:
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        assert _temp_entries(out), "the run should be writing into its temporary folder"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "interrupted by SIGTERM" in stderr
    assert (out / "2026-10" / "index.html").read_text() == "previous report"
    assert _temp_entries(out) == []
    assert not (out / "2026-10.failed").exists()
