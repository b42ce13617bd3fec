"""The report notebooks, executed with papermill in-process on the sample data: they run
headless, print no warning, show no unmasked personal data, show the engine's figures, and
are committed clean (no outputs, a ``parameters`` cell)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import nbformat
import openpyxl
import papermill as pm
import pytest

from sla_lib import fees, views
from sla_lib.display import money
from sla_lib.masking import find_personal_data

from conftest import ROOT, SAMPLES, kernel_outputs

NOTEBOOKS = ROOT / "notebooks"
NAMES = ("complaint_statistics", "satisfaction_trends", "fee_reconciliation", "quarterly_trends")
AS_OF = "2026-12-31"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _execute(name: str, out: Path, **parameters) -> nbformat.NotebookNode:
    pm.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(out),
        kernel_name="python3",
        parameters=parameters,
        cwd=str(NOTEBOOKS),
        progress_bar=False,
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )
    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Each notebook executed once as `sla report` runs it (absolute paths, output_dir), plus
    fee_reconciliation in English with its default paths and no output_dir (as it opens in
    JupyterLab)."""
    folder = tmp_path_factory.mktemp("executed")
    side = folder / "side"
    common = {"terms_path": str(SAMPLES / "contract.yaml"), "data_dir": str(SAMPLES), "as_of": AS_OF, "lang": "zh", "output_dir": str(side)}
    books = {}
    for name in NAMES:
        period = {"quarter": "2026Q3"} if name == "quarterly_trends" else {"month": "2026-10"}
        books[name] = _execute(name, folder / f"{name}.ipynb", **common, **period)
    books["fee_reconciliation_en"] = _execute("fee_reconciliation", folder / "fee_reconciliation_en.ipynb", month="2026-10", as_of=AS_OF, lang="en")
    books["side"] = side
    return books


@pytest.fixture(scope="module")
def sample():
    return views.load_inputs(SAMPLES / "contract.yaml", SAMPLES)


def _outputs(book):
    return [o for cell in book.cells if cell.cell_type == "code" for o in cell.outputs]


def _text(book) -> str:
    """Everything a reader can see: streams, and of each display the representation a
    renderer shows (HTML, Markdown, else plain text; an image's text/plain is not shown)."""
    parts = []
    for o in _outputs(book):
        if o.output_type == "stream":
            parts.append(o.text)
        data = o.get("data", {})
        for kind in ("text/html", "text/markdown", "image/png", "text/plain"):
            if kind in data:
                if kind != "image/png":
                    value = data[kind]
                    parts.append(value if isinstance(value, str) else "".join(value))
                break
    return "\n".join(parts)


REPORTS = (*NAMES, "fee_reconciliation_en")


@pytest.mark.parametrize("name", REPORTS)
def test_runs_clean(executed, name):
    book = executed[name]
    outputs = _outputs(book)
    assert not [o for o in outputs if o.output_type == "error"]
    streams = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert streams == [], streams
    text = _text(book)
    for noise in ("Glyph", "missing from font", "Warning", "findfont", "Traceback", "<Figure size", "Styler object at"):
        assert noise not in text, noise
    assert not [o for o in outputs if WIDGET_VIEW in o.get("data", {})]  # headless: static tables only
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= (1 if name.startswith("fee_reconciliation") else 3)


@pytest.mark.parametrize("name", REPORTS)
def test_no_unmasked_personal_data(executed, sample, name):
    _, data = sample
    assert find_personal_data(_text(executed[name]), views.personal_names(data)) == []


def test_fee_reconciliation_shows_the_engine_figures_and_writes_the_workbook(executed, sample):
    terms, data = sample
    statement = fees.month_fee_statement(data, terms, "2026-10", as_of=views.resolve_as_of(AS_OF, terms))
    text = _text(executed["fee_reconciliation"])
    assert statement.amount_due == Decimal("211400.00")
    assert str(statement.amount_due) in text  # the trail: "... = 211400.00"
    assert f"应付金额 {money(statement.amount_due)} 元" in text  # the headline
    assert str(statement.payment_due) == "2026-11-13" and "2026-11-13" in text
    for line in statement.explanation:  # the whole explanation trail, line by line
        assert line in text, line
    workbook = executed["side"] / "fee_reconciliation_2026-10.xlsx"
    book = openpyxl.load_workbook(workbook)
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["应付金额"] == 211400 and book["汇总"]["B8"].number_format == "#,##0.00"
    assert sorted(p.name for p in executed["side"].iterdir()) == ["fee_reconciliation_2026-10.xlsx"]


def test_english_report(executed):
    english = _text(executed["fee_reconciliation_en"])
    for figure in ("Fee reconciliation 2026-10", "Amount due CNY 211,400.00", "Payments against the due date", "on time", "211400.00"):
        assert figure in english, figure
    for chinese in ("服务费对账单", "应付金额", "按时"):
        assert chinese not in english, chinese  # only the data (party names, categories) stays Chinese


def test_complaint_statistics_figures(executed):
    text = _text(executed["complaint_statistics"])
    # rates for people: one decimal, half-up from the exact rate (120/143 = 83.916 %, 131/143, 120/133)
    for figure in ("143", ">83.9<", ">91.6<", ">90.2<", "国庆节", "调休上班日", "TS-202610-0002", "共 40 件"):
        assert figure in text, figure


def test_satisfaction_and_quarterly_figures(executed):
    trends = _text(executed["satisfaction_trends"])
    for figure in (">77.8<", ">90.2<", "32,000.00", ">26.0<"):  # 249/320 = 77.8125 %, 120/133, 26.0067 %
        assert figure in trends, figure
    assert "77.8125" not in trends  # the JSON's 4 decimals are not for people
    quarter = _text(executed["quarterly_trends"])
    for figure in ("2026Q3", "2026Q2", ">77.8<", "安全隐患"):
        assert figure in quarter, figure


def test_run_from_the_inputs_cache_shows_the_same(executed, tmp_path):
    """`sla report` passes its notebooks an inputs cache (cache_path: the tables loaded and the
    months computed once, in the parent): the notebook shows exactly what it shows when it
    loads the files itself."""
    from sla_lib import report

    terms, data = views.load_inputs(SAMPLES / "contract.yaml", SAMPLES)
    cache = report.prepare_inputs_cache(tmp_path, SAMPLES / "contract.yaml", SAMPLES, terms, data, report.cache_months(terms, "2026-10", None))
    assert len(data.kpi_cache) == 10  # 2026-01 .. 2026-10
    book = _execute("satisfaction_trends", tmp_path / "satisfaction_trends.ipynb", terms_path=str(SAMPLES / "contract.yaml"),
                    data_dir=str(SAMPLES), month="2026-10", as_of=AS_OF, lang="zh", output_dir=str(tmp_path / "side"), cache_path=str(cache))
    styler_ids = re.compile(r"T_[0-9a-f]{5}")  # pandas Styler's random table ids

    assert styler_ids.sub("T_", _text(book)) == styler_ids.sub("T_", _text(executed["satisfaction_trends"]))


# -- the committed notebooks ---------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_committed_clean_with_a_parameters_cell(name):
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(book)
    assert book.metadata.kernelspec.name == "python3"
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    declared = set(pm.inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb")))
    period = "quarter" if name == "quarterly_trends" else "month"
    assert declared == {"terms_path", "data_dir", period, "as_of", "lang", "output_dir", "cache_path"}
    # thin: no data-frame library of their own, every figure comes from sla_lib
    source = "\n".join(c.source for c in code)
    assert not re.search(r"^\s*(import|from)\s+(pandas|numpy|decimal|fractions)\b", source, re.M)
    assert "mask" not in source  # masking happens in sla_lib.views


def test_drilldown_is_interactive_only_in_a_frontend():
    """In a kernel, `drilldown` shows widgets only when the execute request allows stdin
    (JupyterLab, Notebook, VS Code do; papermill/nbclient do not): the rendered report never
    gets a widget it cannot show."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(NOTEBOOKS), extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    code = (
        "import pandas as pd\n"
        "from sla_lib.display import drilldown, frontend_is_interactive\n"
        "print(frontend_is_interactive())\n"
        "drilldown(pd.DataFrame({'channel': ['phone', 'chat'], 'count': [1, 2]}), ['channel'], 'zh')"
    )

    def run(allow_stdin: bool):
        return [o["text"].strip() if o["type"] == "stream" else WIDGET_VIEW if WIDGET_VIEW in o["data"] else "table"
                for o in kernel_outputs(kc, code, allow_stdin, timeout=60) if o["type"] in ("stream", "display_data")]

    try:
        assert run(False) == ["False", "table"]
        interactive = run(True)
        assert interactive[0] == "True" and WIDGET_VIEW in interactive
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# -- renewal scenarios (issue #5) -------------------------------------------------------------


@pytest.fixture(scope="module")
def renewal_book(tmp_path_factory):
    out = tmp_path_factory.mktemp("renewal") / "renewal_scenarios.ipynb"
    return _execute(
        "renewal_scenarios", out, terms_path=str(SAMPLES / "contract.yaml"), data_dir=str(SAMPLES), as_of="2026-11-01",
        lang="zh", years=400, seed=3,
    )


def test_renewal_notebook_runs_clean_and_renders_its_plots(renewal_book):
    from nbconvert import HTMLExporter

    outputs = _outputs(renewal_book)
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    text = _text(renewal_book)
    for noise in ("Glyph", "missing from font", "Warning", "Traceback"):
        assert noise not in text
    # the July replay under 3 % per step: 8 steps × 1 % × 200,000.00 more deducted
    assert "-16,000.00" in text
    assert "2026-12-01" in text and "⚠" in text  # objection deadline 30 days ahead: warned
    assert "generous" in text and "3." in text  # the break-even sentence
    html, _ = HTMLExporter(exclude_input=True).from_notebook_node(renewal_book)
    assert html.count("data:image/png;base64") >= 2  # distribution and grid, embedded


def test_monthly_fee_report_warns_of_the_objection_deadline(executed, renewal_book):
    # as of 2026-12-31 the deadline (2026-12-01) has passed: no warning in the month's report
    assert "⚠" not in _text(executed["fee_reconciliation"])


def test_renewal_notebook_committed_clean():
    book = nbformat.read(NOTEBOOKS / "renewal_scenarios.ipynb", as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    source = "\n".join(c.source for c in code)
    assert not re.search(r"^\s*(import|from)\s+(pandas|numpy|decimal|fractions)\b", source, re.M)


def test_monthly_fee_report_within_60_days_shows_the_warning(tmp_path):
    book = _execute("fee_reconciliation", tmp_path / "fr.ipynb", terms_path=str(SAMPLES / "contract.yaml"), data_dir=str(SAMPLES),
                    month="2026-10", as_of="2026-11-15", lang="en")
    assert "The written objection deadline 2026-12-01 is 16 days away" in _text(book)
