"""The quarter picker of notebooks/quarterly_trends.ipynb and the tables of a notebook
frontend (issue 14), in a real kernel: execute requests with allow_stdin=True, as JupyterLab
sends them, and with allow_stdin=False, as papermill does."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, SAMPLES, kernel_outputs
from sla_lib.picker import PeriodPicker, term_quarters
from sla_lib.tables import BEGIN

NOTEBOOKS = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_term_quarters(sample_terms):
    assert term_quarters(sample_terms)[:4] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]


def test_static_picker_draws_each_section_once_for_the_parameter():
    drawn = []
    picker = PeriodPicker(["2026Q1", "2026Q2"], "2026Q2", "zh", interactive=False)
    picker.section(drawn.append)
    picker.section(drawn.append)
    assert drawn == ["2026Q2", "2026Q2"] and picker.dropdown is None


def test_interactive_picker_redraws_every_section():
    drawn = []
    picker = PeriodPicker(["2026Q1", "2026Q2"], "2026Q2", "en", interactive=True)
    picker.section(lambda q: drawn.append(("a", q)))
    picker.section(lambda q: drawn.append(("b", q)))
    assert picker.dropdown.description == "Quarter" and list(picker.dropdown.options) == ["2026Q1", "2026Q2"]
    picker.dropdown.value = "2026Q1"
    assert drawn == [("a", "2026Q2"), ("b", "2026Q2"), ("a", "2026Q1"), ("b", "2026Q1")]


@pytest.fixture(scope="module")
def kernel():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(NOTEBOOKS), extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _run(kc, code: str, allow_stdin: bool = True) -> list[dict]:
    """display_data / stream / error contents of one execute request; an error fails the test."""
    seen = kernel_outputs(kc, code, allow_stdin)
    errors = [s for s in seen if s["type"] == "error"]
    assert not errors, "\n".join("\n".join(e["traceback"]) for e in errors)
    return seen


def _html(outputs) -> list[str]:
    return [o["data"]["text/html"] for o in outputs if o["type"] == "display_data" and "text/html" in o["data"]]


def test_quarterly_notebook_in_jupyterlab(kernel):
    """The notebook's cells as JupyterLab runs them: a drop-down, every section in an Output
    widget; choosing another quarter redraws tables and charts for it; the tables carry the
    DataTables bundle once per session and no cell value inside a script."""
    cells = json.loads((NOTEBOOKS / "quarterly_trends.ipynb").read_text(encoding="utf-8"))["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    params = (f"terms_path = {str(SAMPLES / 'contract.yaml')!r}\ndata_dir = {str(SAMPLES)!r}\nquarter = '2026Q3'\n"
              "as_of = '2026-12-31'\nlang = 'zh'\noutput_dir = None\ncache_path = None\n")
    outputs = []
    for i, source in enumerate(code):
        outputs += _run(kernel, params if i == 0 else source)
    views = [o for o in outputs if o["type"] == "display_data" and WIDGET_VIEW in o["data"]]
    assert len(views) >= 6, "a drop-down and one Output widget per section"
    first = _html(outputs)
    assert any("2026Q3" in h for h in first)
    changed = _run(kernel, "picker.dropdown.value = '2026Q2'")
    html = _html(changed)
    tables = [h for h in html if "sla-table" in h]
    assert any("2026Q2" in h for h in html), "the quarter's title and text are drawn again"
    assert tables and any("2026-04" in h for h in tables), "the quarter's tables are drawn again"
    assert not any("2026-09" in h for h in tables if "2026-04" not in h), "no table of the previous choice is left"
    assert sum("image/png" in o.get("data", {}) for o in changed) >= 3, "the charts are drawn again"
    everything = first + html
    assert sum(BEGIN in h for h in everything) == 1, "the bundle once per session"
    assert all("slaTables.enhance" in h for h in everything if "sla-table" in h and BEGIN not in h)


def test_under_papermill_nothing_interactive(kernel):
    """allow_stdin=False (papermill, nbclient): no widget, static tables without script."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(NOTEBOOKS), extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    try:
        out = _run(kc, "import pandas as pd\nfrom IPython.display import display\nfrom sla_lib.display import show\n"
                       "from sla_lib.picker import PeriodPicker\np = PeriodPicker(['2026Q1', '2026Q2'], '2026Q2', 'zh')\n"
                       "display(p)\np.section(lambda q: display(show(pd.DataFrame({'q': [q, q]}), 'zh')))", allow_stdin=False)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert not [o for o in out if WIDGET_VIEW in o.get("data", {})]
    (table,) = _html(out)
    assert "2026Q2" in table and "<script" not in table
