"""`sla report` pipeline: papermill execution, HTML/PDF rendering, index, manifest, atomic
publication, failures and SIGTERM. Runs tiny notebooks written here with nbformat (not the
report notebooks), in-process or in two worker processes, with the sample data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
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
from sla_lib import rendering, report
from sla_lib.errors import ReportError, SlaError
from sla_lib.report import build_report, clean_stale, publish, resolve_month, resolve_quarter

from conftest import SAMPLES, write_notebook

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

CHART = """\
import json, sys, warnings
from pathlib import Path
import matplotlib.pyplot as plt
from matplotlib import font_manager
from sla_lib.fonts import cjk_font_family, cjk_font_path
font_manager.fontManager.addfont(str(cjk_font_path()))
plt.rcParams["font.sans-serif"] = [cjk_font_family()]
print("参数", json.dumps({"month": month, "quarter": quarter, "as_of": as_of, "lang": lang,
                          "terms": terms_path, "data": data_dir}))
warnings.warn("a stray Warning for the report filter")
print("stderr noise", file=sys.stderr)
fig, ax = plt.subplots(figsize=(3, 2))
ax.bar(["甲", "乙"], [1, 2])
ax.set_title("投诉量")"""  # the last line's Text(...) repr must not reach the report

# declares cache_path like the report notebooks, and prints what load_inputs did with it
CACHED = """\
import json
from pathlib import Path
import sla_lib.data as D
from sla_lib import views
loads = []
real_load = D.load_dataset
D.load_dataset = lambda *a, **k: loads.append(1) or real_load(*a, **k)
terms, data = views.load_inputs(terms_path, data_dir, cache_path)
print("缓存", json.dumps({"cache_path": cache_path, "exists": cache_path is not None and Path(cache_path).exists(),
                        "loads": len(loads), "months": sorted(m for _, m in data.kpi_cache)}))"""

WORKBOOK = """\
from openpyxl import Workbook
book = Workbook()
book.active["A1"] = "金额"
book.save(Path(output_dir) / f"book_{month}.xlsx")"""





@pytest.fixture(scope="module")
def nbdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("notebooks")
    write_notebook(d / "ok.ipynb", [("md", f"# {TITLE}\n\nA tiny report."), ("parameters", PARAMETERS), ("code", CHART), ("code", WORKBOOK)])
    write_notebook(d / "quarterly_trends.ipynb", [("parameters", PARAMETERS), ("code", 'print("季度", quarter)')])
    # cell 1 parameters, cell 2 prints, cell 3 raises
    write_notebook(d / "fail.ipynb", [("parameters", PARAMETERS), ("code", 'print("第二格")'), ("code", 'raise ValueError("故意的错误")'), ("code", "print('never')")])
    write_notebook(d / "slow.ipynb", [("parameters", PARAMETERS + "cache_path = None\n"), ("code", "import time\nprint('sleeping', flush=True)\ntime.sleep(600)")])
    write_notebook(d / "cached.ipynb", [("parameters", PARAMETERS + "cache_path = None\n"), ("code", CACHED)])
    write_notebook(d / "cached_fail.ipynb", [("parameters", PARAMETERS + "cache_path = None\n"), ("code", CACHED), ("code", 'raise ValueError("故意的错误")')])
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
    assert f">{Decimal(fees['amount_due']):,.2f}<" in page and f">{fees['payment_due']}<" in page  # money as in the notebooks
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
    out = rendering.prepare_for_print(f"<p>x</p>{narrow}{wide}")
    assert '<td class="sla-nowrap">产品质量</td>' in out
    styled = rendering.prepare_for_print('<table><tr><td class="data row0" id="T_0">120</td><td id=x>1</td></tr></table>')
    assert '<td class="sla-nowrap data row0" id="T_0">120</td>' in styled and '<td id=x class="sla-nowrap">1</td>' in styled
    assert "<td>这一格的文字比较长，可以换行。</td>" in out  # long texts still wrap
    assert out.count('<div class="sla-wide">') == 1 and out.index('<div class="sla-wide">') > out.index("产品质量")


# -- the inputs cache (issue #7) -------------------------------------------------------------

def _cache_report(folder: Path, name: str = "cached.ipynb") -> dict:
    """What the CACHED cell printed: the cache path it got, whether the file was there, how
    many times load_dataset ran in the kernel, the months already in data.kpi_cache."""
    nb = nbformat.read(folder / "executed" / name, as_version=4)
    stdout = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("name") == "stdout")
    return json.loads(stdout.split("缓存", 1)[1].strip().splitlines()[0])


def test_notebooks_read_the_inputs_cache_which_is_never_published(nbdir, tmp_path):
    from sla_lib.terms import load_terms

    out = tmp_path / "reports"
    result = build_report(TERMS, SAMPLES, "2026-10", out_dir=out, notebooks_dir=nbdir, notebooks=["cached"], quarter="2026Q3",
                          jobs=2, formats=("html",), as_of=AS_OF, progress=False)
    seen = _cache_report(result.folder)
    assert seen["exists"] and Path(seen["cache_path"]).name == report.INPUTS_CACHE
    # in the run's private working folder, outside the published tree (issue 12)
    import tempfile

    work = Path(seen["cache_path"]).parent
    assert work.parent == Path(tempfile.gettempdir()) / f"sla-work-{os.getuid()}" and work.name.startswith(f"run-{os.getpid()}-")
    assert out.resolve() not in Path(seen["cache_path"]).parents and not work.exists()
    assert seen["loads"] == 0  # the tables came from the cache: no table file parsed in the kernel
    # every month the notebooks compute was computed once, in the parent
    assert set(seen["months"]) == set(report.cache_months(load_terms(TERMS), "2026-10", "2026Q3"))
    assert {"2026-01", "2026-04", "2026-09", "2026-10"} <= set(seen["months"])
    assert not Path(seen["cache_path"]).exists()
    assert [p for p in out.rglob("*") if "inputs-cache" in p.name] == []
    assert "cache_path" not in json.loads(result.manifest.read_text(encoding="utf-8"))["parameters"]
    # a notebook without a cache_path parameter is not given one (papermill would warn)
    quarterly = nbformat.read(result.folder / "executed/quarterly_trends.ipynb", as_version=4)
    assert "cache_path" not in "".join(c.source for c in quarterly.cells)


def test_a_failed_run_keeps_no_inputs_cache(nbdir, tmp_path):
    out = tmp_path / "reports"
    with pytest.raises(ReportError, match="故意的错误"):
        build_report(TERMS, SAMPLES, "2026-10", out_dir=out, notebooks_dir=nbdir, notebooks=["cached_fail"],
                     jobs=1, formats=("html",), as_of=AS_OF, progress=False)
    failed = out / "2026-10.failed"
    assert _cache_report(failed, "cached_fail.ipynb")["loads"] == 0
    assert [p for p in out.rglob("*") if "inputs-cache" in p.name] == []


def test_load_inputs_uses_a_matching_cache_and_ignores_a_stale_one(tmp_path, monkeypatch):
    import pandas as pd

    import sla_lib.data as D
    from sla_lib import views
    from sla_lib.kpis import month_kpis

    data_dir = tmp_path / "data"
    shutil.copytree(SAMPLES, data_dir)
    terms_path = data_dir / "contract.yaml"
    terms, data = views.load_inputs(terms_path, data_dir)
    for month in ("2026-09", "2026-10"):
        month_kpis(data, terms, month)
    cache = views.write_inputs_cache(tmp_path / "inputs.pickle", terms_path, data_dir, terms, data)

    loads = []
    real_load = D.load_dataset
    monkeypatch.setattr(D, "load_dataset", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    monkeypatch.setattr("sla_lib.monthly.load_dataset", D.load_dataset)  # load_inputs -> monthly.open_data -> load_dataset
    cached_terms, cached = views.load_inputs(terms_path, data_dir, cache)
    assert loads == []
    assert cached_terms == terms and cached_terms.fingerprint == terms.fingerprint
    for name, frame in data.tables.items():
        pd.testing.assert_frame_equal(cached[name], frame, check_exact=True, obj=name)
    assert cached.files == data.files and cached.accounting == data.accounting
    assert cached.kpi_cache.keys() == data.kpi_cache.keys()
    key = (terms.fingerprint, "2026-10")
    assert month_kpis(cached, cached_terms, "2026-10") is cached.kpi_cache[key]  # served, not computed again
    assert cached.kpi_cache[key] == data.kpi_cache[key]

    # relative paths to the same files are the same inputs
    monkeypatch.chdir(tmp_path)
    views.load_inputs(Path("data/contract.yaml"), Path("data"), cache)
    assert loads == []

    # not these inputs: another folder, a missing or broken cache file -> the files are loaded
    for args in ((terms_path, SAMPLES, cache), (terms_path, data_dir, tmp_path / "missing.pickle")):
        _, fresh = views.load_inputs(*args)
        assert len(loads) and fresh.kpi_cache == {}
    broken = tmp_path / "broken.pickle"
    broken.write_bytes(cache.read_bytes()[:200])
    _, fresh = views.load_inputs(terms_path, data_dir, broken)
    assert fresh.kpi_cache == {}

    # a table edited, added or removed after the cache was written: stale, ignored
    before = len(loads)
    payments = data_dir / "payments.csv"
    original = payments.read_bytes()
    payments.write_bytes(original.replace(b"\n", b"\r\n", 1))  # same rows, other bytes
    _, fresh = views.load_inputs(terms_path, data_dir, cache)
    assert len(loads) == before + 1 and fresh.kpi_cache == {}
    payments.write_bytes(original)
    (data_dir / "onsite_visits.csv").unlink()
    _, fresh = views.load_inputs(terms_path, data_dir, cache)
    assert len(loads) == before + 2 and fresh["onsite_visits"].empty
    assert views.read_inputs_cache(cache, terms_path, data_dir) is None
    # and the terms file too
    shutil.copy(SAMPLES / "onsite_visits.csv", data_dir / "onsite_visits.csv")
    assert views.read_inputs_cache(cache, terms_path, data_dir) is not None
    terms_path.write_text(terms_path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert views.read_inputs_cache(cache, terms_path, data_dir) is None


# -- print: what WeasyPrint is given ---------------------------------------------------------

def _print_sample_page() -> str:
    """A rendered report page with what the notebooks show: headings, bold, a list, stdout,
    a styled table with a missed status, a wide (landscape) table, a chart; no kernel."""
    import base64
    import io

    import pandas as pd
    from matplotlib.figure import Figure

    from sla_lib.display import show

    fig = Figure(figsize=(3, 2))
    fig.subplots().bar(["a", "b"], [1, 2])
    png = io.BytesIO()
    fig.savefig(png, format="png")
    frame = pd.DataFrame({"kpi": ["complaint_contact", "complaint_solution"], "rate_pct": ["83.9161", "91.6084"],
                          "status": ["missed", "met"], "category": ["产品质量", "安装服务"]})
    wide = pd.DataFrame([[f"{r}-{c}" for c in range(12)] for r in range(3)], columns=[f"列{c}" for c in range(12)])
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {TITLE}\n\n**应付金额 211,400.00 元**, due 2026-11-13.\n\n- 第一项\n- 第二项 `C19`"),
        nbformat.v4.new_code_cell(outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="参数 2026-10\n"),
            nbformat.v4.new_output("display_data", data={"text/html": show(frame, "zh").to_html()}),
            nbformat.v4.new_output("display_data", data={"text/html": show(wide, "zh").to_html()}),
            nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(png.getvalue()).decode(), "text/plain": "<Figure>"}),
        ]),
    ]
    return rendering.render_html(nb, TITLE, "zh")


def _layout(page: str, font: str, title: str, font_url=None):
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    css = weasyprint.CSS(string=rendering._print_css(font, title, font_url), font_config=fonts)
    return weasyprint.HTML(string=page, base_url=".").render(stylesheets=[css], font_config=fonts)


def _boxes(document) -> list[tuple]:
    """Every box of every page (WeasyPrint's layout tree, an internal API): kind, position,
    size, text, and the styles a reader sees."""
    out = []

    def walk(box, depth):
        style = box.style
        size = tuple(round(v, 2) if isinstance(v, (int, float)) else None for v in (box.width, box.height))
        out.append((depth, type(box).__name__, round(box.position_x, 2), round(box.position_y, 2), size, getattr(box, "text", None),
                    str(style["color"]), str(style["background_color"]), style["font_weight"], style["font_size"],
                    tuple(style["font_family"]), style["border_top_width"], str(style["border_top_color"]), style["text_align_all"]))
        for child in getattr(box, "children", None) or ():
            walk(child, depth + 1)

    for page in document.pages:
        walk(page._page_box, 0)
    return out


def test_print_input_is_lighter_and_lays_out_the_same():
    import base64

    from sla_lib.fonts import cjk_font_path

    font, title = str(cjk_font_path()), f"{TITLE} · 2026-10 · CS-2026-001"
    page = rendering.prepare_for_print(_print_sample_page())
    pruned = rendering.prune_page_css(page, rendering._print_css(font, title))
    assert len(pruned) < len(page) - 150_000  # most of JupyterLab's stylesheets cannot apply
    assert "--jp-content-font-color1" in pruned and "jp-RenderedHTMLCommon" in pruned and ".lm-DockPanel" not in pruned
    chars = rendering.page_characters(page, title)
    assert set(TITLE) | set("应付金额产品质量列0123456789 /·") <= chars
    cut = rendering.subset_font(font, chars)
    assert len(cut) < 300_000 < Path(font).stat().st_size
    before = _layout(page, font, title)
    after = _layout(pruned, font, title, "data:font/ttf;base64," + base64.b64encode(cut).decode("ascii"))
    assert len(before.pages) == len(after.pages) >= 2  # the wide table gets its landscape page
    boxes = _boxes(before)
    assert len(boxes) > 150 and any(b[5] == "列11" for b in boxes)
    assert _boxes(after) == boxes


@pytest.mark.parametrize("harfbuzz", [True, False], ids=["harfbuzz-subset", "fonttools"])
def test_pdf_with_or_without_harfbuzz_subset(tmp_path, monkeypatch, harfbuzz):
    """Without libharfbuzz-subset the font is cut to the page's characters before WeasyPrint
    sees it; the PDF has the same text in the same embedded CJK font either way."""
    from sla_lib.fonts import cjk_font_path

    cuts = []
    real_subset = rendering.subset_font
    monkeypatch.setattr(rendering, "_harfbuzz_subsets", lambda: harfbuzz)
    monkeypatch.setattr(rendering, "subset_font", lambda *a: cuts.append(1) or real_subset(*a))
    pdf = tmp_path / "page.pdf"
    rendering.render_pdf(_print_sample_page(), pdf, str(cjk_font_path()), f"{TITLE} · 2026-10")
    text, fonts = _pdf_text_and_fonts(pdf)
    assert cuts == ([] if harfbuzz else [1])
    assert "SLA-CJK" in fonts, fonts
    for shown in (TITLE, "应付金额 211,400.00 元", "产品质量", "列11", "参数 2026-10", "第二项"):
        assert shown in text, shown


def test_longest_notebooks_are_handed_out_first(tmp_path):
    from types import SimpleNamespace as Job

    jobs = [Job(name=n) for n in ("complaint_statistics", "satisfaction_trends", "fee_reconciliation", "quarterly_trends", "new")]
    assert report.previous_seconds(tmp_path) == {}
    assert report.longest_first(jobs, {}) == jobs  # no history: as given
    for month, seconds, mtime in (("2026-09", {"fee_reconciliation": 30.0}, 1_000), ("2026-10", {"complaint_statistics": 12.2, "satisfaction_trends": 10.7,
                                  "fee_reconciliation": 7.7, "quarterly_trends": 9.8}, 2_000)):
        (tmp_path / month).mkdir()
        manifest = tmp_path / month / "manifest.json"
        manifest.write_text(json.dumps({"notebooks": [{"name": k, "seconds": v} for k, v in seconds.items()]}))
        os.utime(manifest, (mtime, mtime))
    (tmp_path / "2026-11.failed").mkdir()  # no manifest: ignored
    seconds = report.previous_seconds(tmp_path)
    assert seconds["fee_reconciliation"] == 7.7  # the newest report's times
    order = [j.name for j in report.longest_first(jobs, seconds)]
    assert order == ["new", "complaint_statistics", "satisfaction_trends", "quarterly_trends", "fee_reconciliation"]


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
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(TERMS), str(SAMPLES), str(out), str(nbdir), names, str(jobs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)})
    work = tmp / f"sla-work-{os.getuid()}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until the sleeping cell runs (papermill saved it as running)
            running = [p for p in out.glob(".2026-10.tmp-*/executed/slow.ipynb") if '"status": "running"' in p.read_text(encoding="utf-8", errors="replace")]
            if running or proc.poll() is not None:
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        assert _temp_entries(out), "the run should be writing into its temporary folder"
        assert list(work.glob(f"run-{proc.pid}-*/{report.INPUTS_CACHE}")), "the inputs cache is there while the notebooks run"
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
    assert [p for p in out.rglob("*") if "inputs-cache" in p.name] == []
    assert list(work.iterdir()) == []  # the working folder went with the run


@pytest.mark.parametrize("message, calls, fails", [
    ("Kernel died before replying to kernel_info", 2, False),  # the port race: started once more
    ("Kernel didn't respond in 60 seconds", 1, True),  # anything else: reported as it was
])
def test_a_kernel_that_dies_at_start_is_started_once_more(tmp_path, monkeypatch, message, calls, fails):
    import papermill as pm

    seen = []

    def execute(*args, **kwargs):
        seen.append(1)
        if len(seen) == 1:
            raise RuntimeError(message)

    monkeypatch.setattr(pm, "execute_notebook", execute)
    monkeypatch.setattr(report.time, "sleep", lambda s: None)
    job = report._Job(name="ok", source=str(tmp_path / "ok.ipynb"), folder=str(tmp_path), parameters={}, title="t",
                      page_title="t", lang="zh", formats=("html",), cwd=str(tmp_path), font=None, verbose=False,
                      cell_timeout=None)
    if fails:
        with pytest.raises(ReportError, match="respond in 60 seconds"):
            report.execute_notebook(job)
    else:
        report.execute_notebook(job)
    assert len(seen) == calls
