"""The rendered reports in a real browser (issue 14): headless Chromium from Debian's
``chromium`` package (/usr/bin/chromium; ``.ci/run`` installs it), driven over the Chrome
DevTools Protocol with ``websocket-client`` (no browser download, no WebDriver).

One small report is built (the sample data, one month and its quarter, HTML only). The
archive page, the month's index.html and every rendered report are opened from disk, as a
manager opens them, and each must load with no console error, no uncaught exception, no
dialog (DataTables' warnings are alerts), no failed resource and no request other than
``file:``, ``data:`` and ``blob:`` (the pages are read offline and as e-mail attachments).
In the reports, the tables of ``display.show`` must be DataTables; typing into a table's
search box must change the number of rows shown. The quarterly notebook is also run in
JupyterLab (a real server on loopback): its tables are DataTables and its quarter drop-down
draws the chosen quarter again. A screenshot of every page is saved in a folder the test
prints (``SLA_SCREENSHOTS=DIR`` keeps them in DIR).

Skipped, with the reason, only when /usr/bin/chromium is missing.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import SAMPLES

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: apt-get install chromium (.ci/run does)"),
    pytest.mark.filterwarnings("ignore:HarfBuzz-Subset will be required:DeprecationWarning"),
]
websocket = pytest.importorskip("websocket")

MONTH, QUARTER, AS_OF = "2026-10", "2026Q4", "2026-12-31"
# the flags of /work/.library/env/machines/python.md: no GPU, no sandbox (root), and no
# background connections (this machine's closed network refuses them, which would log errors)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
         "--disable-default-apps", "--mute-audio", "--hide-scrollbars", "--window-size=1280,900", "--remote-debugging-port=0"]
OFFLINE_SCHEMES = ("file:", "data:", "blob:", "about:")


class Browser:
    """Headless Chromium with one page, over the DevTools protocol."""

    def __init__(self, profile: Path):
        self.proc = subprocess.Popen([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"chromium did not start (exit code {self.proc.returncode})")
            time.sleep(0.1)
        port, path = port_file.read_text().split()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def call(self, method: str, session: bool = False, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def page(self, method: str, **params):
        return self.call(method, session=True, **params)

    def pump(self, seconds: float) -> None:
        """Collect events for ``seconds``."""
        end = time.monotonic() + seconds
        self.ws.settimeout(0.1)
        try:
            while time.monotonic() < end:
                try:
                    reply = json.loads(self.ws.recv())
                except websocket.WebSocketTimeoutException:
                    continue
                if "method" in reply:
                    self.events.append(reply)
        finally:
            self.ws.settimeout(60)

    def evaluate(self, expression: str):
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        self.events.clear()
        self.page("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while not any(e["method"] == "Page.loadEventFired" for e in self.events):
            assert time.monotonic() < deadline, f"{url} did not load in 30 s"
            self.pump(0.2)

    def wait_for(self, expression: str, seconds: float = 15):
        deadline = time.monotonic() + seconds
        while True:
            value = self.evaluate(expression)
            if value or time.monotonic() > deadline:
                return value
            self.pump(0.2)

    def type_text(self, text: str) -> None:
        """Key presses into the focused element, one character at a time."""
        for ch in text:
            self.page("Input.dispatchKeyEvent", type="keyDown", text=ch, unmodifiedText=ch, key=ch)
            self.page("Input.dispatchKeyEvent", type="keyUp", key=ch)

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, dialogs, failed or non-offline requests."""
        found = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                found.append("console error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                found.append(f"uncaught exception: {d.get('exception', {}).get('description') or d.get('text')}")
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                found.append(f"log error: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif m == "Page.javascriptDialogOpening":
                found.append(f"dialog: {p.get('message')}")
                self.page("Page.handleJavaScriptDialog", accept=True)
            elif m == "Network.loadingFailed":
                found.append(f"failed resource: {p.get('errorText')} ({p.get('type')})")
            elif m == "Network.requestWillBeSent":
                url = p.get("request", {}).get("url", "")
                if not url.startswith(OFFLINE_SCHEMES):
                    found.append(f"network request: {url[:120]}")
            elif m == "Network.responseReceived":
                status = p.get("response", {}).get("status", 200)
                if status >= 400:
                    found.append(f"HTTP {status}: {p['response'].get('url', '')[:120]}")
        return found

    def screenshot(self, path: Path) -> None:
        size = self.page("Page.getLayoutMetrics")["cssContentSize"]
        height = min(int(size["height"]), 6000)
        shot = self.page("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": min(int(size["width"]), 1280), "height": height, "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def browser():
    profile = Path(tempfile.mkdtemp(prefix="sla-chromium-"))
    b = Browser(profile)
    try:
        yield b
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from sla_lib.report import build_report

    out = tmp_path_factory.mktemp("browser") / "reports"
    return build_report(SAMPLES / "contract.yaml", SAMPLES, MONTH, out_dir=out, formats=("html",), quarter=QUARTER,
                        jobs=2, as_of=AS_OF, progress=False)


@pytest.fixture(scope="module")
def shots(tmp_path_factory, pytestconfig) -> Path:
    folder = Path(os.environ["SLA_SCREENSHOTS"]) if os.environ.get("SLA_SCREENSHOTS") else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    reporter = pytestconfig.pluginmanager.getplugin("terminalreporter")
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    if reporter is not None and capture is not None:  # shown whatever the capture mode
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\ntests/test_browser.py: screenshots in {folder}")
    return folder


def _load(browser: Browser, path: Path, shots: Path, name: str) -> None:
    browser.open(path.resolve().as_uri())
    browser.pump(0.5)  # late scripts, images


VISIBLE_ROWS = "(t => t.tBodies[0].querySelectorAll('tr').length)"


def test_archive_and_month_index_load_offline_without_errors(browser, built, shots):
    for path, name in ((built.folder.parent / "index.html", "archive.png"), (built.index, "month-index.png")):
        _load(browser, path, shots, name)
        assert browser.evaluate("document.querySelectorAll('a').length") > 0, f"{path}: no links"
        browser.screenshot(shots / name)
        assert browser.problems() == [], path
    # the archive links the month's folder and the quarterly report, and they exist
    _load(browser, built.folder.parent / "index.html", shots, "archive.png")
    links = browser.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.href)")
    assert (built.folder / "index.html").as_uri() in links
    assert (built.folder / "quarterly_trends.html").as_uri() in links


def test_each_report_has_interactive_tables_that_search_offline(browser, built, shots):
    searched = 0
    for path in built.html:
        _load(browser, path, shots, path.stem)
        tables = browser.evaluate("document.querySelectorAll('table.sla-table').length")
        enhanced = browser.wait_for("document.querySelectorAll('table.sla-table.dataTable').length")
        assert tables and enhanced, f"{path.name}: {tables} tables, {enhanced} made interactive"
        # sorting: every enhanced table has clickable header cells
        assert browser.evaluate("document.querySelectorAll('table.dataTable thead th.dt-orderable-asc, "
                                "table.dataTable thead th.dt-orderable-desc').length") > 0
        # type into the search box of the table with the most rows; the rows shown change
        found = browser.evaluate(f"""(() => {{
            const boxes = Array.from(document.querySelectorAll('div.dt-container')).filter(c => c.querySelector('input.dt-input[type=search]'));
            if (!boxes.length) return null;
            boxes.sort((a, b) => b.querySelector('table').tBodies[0].rows.length - a.querySelector('table').tBodies[0].rows.length);
            const box = boxes[0], table = box.querySelector('table');
            box.setAttribute('data-under-test', '1');
            const cell = table.tBodies[0].rows[0].cells[0].textContent.trim();
            box.querySelector('input.dt-input[type=search]').focus();
            box.scrollIntoView();
            return {{cell: cell, rows: {VISIBLE_ROWS}(table)}};
        }})()""")
        if found is None:
            browser.screenshot(shots / f"{path.stem}.png")
            assert browser.problems() == [], path.name
            continue
        term = found["cell"][:40]  # the first row's first cell (an id: one row)
        browser.type_text(term)
        browser.pump(0.5)
        after = browser.evaluate(f"{VISIBLE_ROWS}(document.querySelector('[data-under-test] table'))")
        shown = browser.evaluate("document.querySelector('[data-under-test] input.dt-input').value")
        assert shown == term, f"{path.name}: typed {term!r}, the box holds {shown!r}"
        assert browser.evaluate("document.querySelector('[data-under-test] .dt-search label').textContent") == "搜索："  # the report's language
        assert after != found["rows"], f"{path.name}: typing {term!r} left {after} rows"
        texts = browser.evaluate("Array.from(document.querySelectorAll('[data-under-test] tbody tr')).map(r => r.textContent)")
        assert all(term.lower() in t.lower() for t in texts), texts[:3]
        searched += 1
        browser.screenshot(shots / f"{path.stem}.png")
        assert browser.problems() == [], path.name
    assert searched >= 1, "no report has a table with a search box"


def test_sorting_by_a_header_reorders_rows(browser, built, shots):
    path = built.folder / "complaint_statistics.html"
    _load(browser, path, shots, "sorted")
    browser.wait_for("document.querySelectorAll('table.dataTable').length")
    column = """Array.from(document.querySelector('table[data-sorted]').tBodies[0].rows).map(r => r.cells[0].textContent)"""
    box = browser.evaluate("""(() => {
        const t = Array.from(document.querySelectorAll('table.dataTable')).sort((a, b) => b.tBodies[0].rows.length - a.tBodies[0].rows.length)[0];
        t.setAttribute('data-sorted', '1');
        const th = t.tHead.rows[t.tHead.rows.length - 1].cells[0];
        th.scrollIntoView();
        const r = th.getBoundingClientRect();
        return {x: r.left + r.width / 2, y: r.top + r.height / 2};
    })()""")
    before = browser.evaluate(column)
    orders = []
    for _ in range(2):  # ascending, then descending
        for kind in ("mousePressed", "mouseReleased"):
            browser.page("Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1)
        browser.pump(0.3)
        orders.append(browser.evaluate(column))
    assert orders[1] == sorted(orders[1], reverse=True) and orders[1] != before, (before[:3], orders[1][:3])
    browser.screenshot(shots / "sorted.png")
    assert browser.problems() == []


NOTEBOOK_CELLS = [
    ("code", """import pandas as pd
from IPython.display import display
from sla_lib.display import interactive_tables, show
interactive_tables(True)  # as in JupyterLab (papermill is detected as not interactive)
frame = pd.DataFrame({"complaint_id": [f"TS-{i:04d}" for i in range(40)], "category": ["质量", "物流"] * 20,
                      "value": [i * 1.5 for i in range(40)]})"""),
    ("code", "display(show(frame, 'zh'))"),
    ("code", "display(show(frame.head(12), 'zh'))"),
]


def test_notebook_outputs_are_interactive_in_a_frontend(browser, tmp_path, shots):
    """In JupyterLab the table outputs carry the script themselves: the first one the bundle,
    later ones a one-line call. The executed notebook's outputs, put on a page in order as a
    frontend shows them, become DataTables without errors; no cell text enters a script."""
    import nbclient
    import nbformat

    from conftest import write_notebook
    from sla_lib.rendering import render_html
    from sla_lib.tables import BEGIN

    write_notebook(tmp_path / "nb.ipynb", NOTEBOOK_CELLS)
    nb = nbformat.read(tmp_path / "nb.ipynb", as_version=4)
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = ["".join(o["data"]["text/html"]) for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert len(outputs) == 2 and BEGIN in outputs[0] and BEGIN not in outputs[1] and "slaTables.enhance" in outputs[1]
    page = tmp_path / "nb.html"
    page.write_text(render_html(nb, "notebook", "zh", interactive=False), encoding="utf-8")
    assert page.read_text(encoding="utf-8").count(BEGIN) == 1
    browser.open(page.as_uri())
    assert browser.wait_for("document.querySelectorAll('table.sla-table.dataTable').length === 2")
    browser.screenshot(shots / "notebook-outputs.png")
    assert browser.problems() == []


def test_hostile_report_runs_no_script_of_the_data(browser, tmp_path, shots):
    """The values issue 12 lists (a category <script>alert(…)</script>, a product <img
    onerror=alert(…)>, an id TS-<svg onload=alert(…)>, a contract id with markup...) in every
    text column and terms field: every page of the report (archive, index, each notebook)
    opens with no dialog, no console error and no request, the tables are DataTables, and
    searching for '<script>' finds the category as text."""
    import test_hostile as th

    planted = th.build_dataset(tmp_path / "data", th.ISSUE_PLAN)
    result = th.build(planted, tmp_path / "reports", formats=("html",))
    pages = [result.folder.parent / "index.html", result.index, *result.html]
    for path in pages:
        _load(browser, path, shots, path.stem)
        if path in result.html:
            assert browser.wait_for("document.querySelectorAll('table.sla-table.dataTable').length"), path.name
        assert browser.evaluate("document.querySelectorAll('script:not([id=sla-tables-src])').length") == (1 if path in result.html else 0)
        assert browser.problems() == [], path.name  # a dialog would be the data's alert() running
    path = result.folder / "complaint_statistics.html"
    _load(browser, path, shots, "hostile")
    browser.wait_for("document.querySelectorAll('table.sla-table.dataTable').length")
    box = browser.evaluate("""(() => { const c = Array.from(document.querySelectorAll('div.dt-container'))
        .find(c => c.querySelector('input.dt-input[type=search]') && c.querySelector('table').textContent.includes('<script>'));
        if (!c) return false; c.setAttribute('data-under-test', '1'); c.querySelector('input.dt-input').focus(); return true; })()""")
    assert box, "no searchable table shows the category '<script>…' as text"
    browser.type_text("<script>")
    browser.pump(0.5)
    texts = browser.evaluate("Array.from(document.querySelectorAll('[data-under-test] tbody tr')).map(r => r.textContent)")
    assert texts and all("<script>" in t for t in texts), texts[:3]
    browser.screenshot(shots / "hostile-search.png")
    assert browser.problems() == []


def _click(browser: Browser, element_js: str) -> bool:
    """A real mouse click (press, release) in the middle of the element ``element_js`` finds."""
    where = browser.evaluate(f"""(() => {{ const el = {element_js}; if (!el) return null;
        el.scrollIntoView({{block: "center"}}); const r = el.getBoundingClientRect();
        return {{x: r.left + r.width / 2, y: r.top + r.height / 2}}; }})()""")
    if not where:
        return False
    for kind in ("mousePressed", "mouseReleased"):
        browser.page("Input.dispatchMouseEvent", type=kind, x=where["x"], y=where["y"], button="left", clickCount=1)
    return True


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab on a free loopback port, serving a copy of the quarterly notebook that
    reads the sample data."""
    import urllib.request

    from conftest import ROOT, free_port

    notebook = (ROOT / "notebooks" / "quarterly_trends.ipynb").read_text(encoding="utf-8")
    (tmp_path / "quarterly_trends.ipynb").write_text(notebook.replace("../data/samples", str(SAMPLES)), encoding="utf-8")
    port = free_port()
    jupyter = Path(os.sys.executable).with_name("jupyter")
    server = subprocess.Popen([str(jupyter), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1", "--ServerApp.token=",
                               "--ServerApp.password=", f"--ServerApp.root_dir={tmp_path}", "--allow-root",
                               "--LabApp.news_url=", "--ServerApp.log_level=CRITICAL"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
                              env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),  # no state left in $HOME
                                   "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
                                   "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings")})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2).read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "JupyterLab did not start"
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/lab/tree/quarterly_trends.ipynb"
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_quarterly_notebook_in_jupyterlab(browser, jupyterlab, shots):
    """As an analyst: open the quarterly notebook in JupyterLab, restart and run all; the
    tables are DataTables and a drop-down of the term's quarters is shown; choosing 2026Q2
    draws the quarter's tables (interactive again) and charts for it."""
    browser.open(jupyterlab)
    assert browser.wait_for("document.querySelectorAll('.jp-Cell').length > 5", 60), "the notebook did not open"
    assert browser.wait_for("document.body.textContent.includes('Idle')", 60), "no idle kernel"
    assert _click(browser, "document.querySelector('[data-command=\"notebook:restart-run-all\"]')")
    assert browser.wait_for("!!document.querySelector('.jp-Dialog button.jp-mod-accept')", 15)
    assert _click(browser, "document.querySelector('.jp-Dialog button.jp-mod-accept')")  # "Restart"
    tables = ("document.querySelectorAll('.jp-OutputArea table.sla-table.dataTable').length")
    assert browser.wait_for(f"{tables} >= 3 && !!document.querySelector('.widget-dropdown select')", 180), "no DataTables or no drop-down"
    options = browser.evaluate("Array.from(document.querySelector('.widget-dropdown select').options).map(o => o.textContent)")
    assert options[:4] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"] and browser.evaluate(
        "document.querySelector('.widget-dropdown select').selectedOptions[0].textContent") == "2026Q3"
    first = ("document.querySelector('.jp-OutputArea table.sla-table.dataTable')")
    assert "2026-07" in browser.evaluate(f"{first}.tHead.textContent")
    browser.evaluate("""(() => { const s = document.querySelector('.widget-dropdown select');
        s.value = Array.from(s.options).find(o => o.textContent === '2026Q2').value;
        s.dispatchEvent(new Event('change', {bubbles: true})); })()""")
    assert browser.wait_for(f"!!{first} && {first}.tHead.textContent.includes('2026-04')", 120), "not drawn again for 2026Q2"
    # every section drawn again (the kernel idle once more), and each of its tables a DataTable
    everything = "document.querySelectorAll('.jp-OutputArea table.sla-table').length"
    assert browser.wait_for(f"document.body.textContent.includes('季度趋势 2026Q2') && {tables} >= 3 && {tables} === {everything}"
                            " && document.querySelector('.jp-Notebook-ExecutionIndicator, .jp-KernelStatus, body').textContent.includes('Idle')", 120), (
        browser.evaluate(tables), browser.evaluate(everything))
    browser.evaluate("document.querySelector('.widget-dropdown').scrollIntoView()")
    browser.screenshot(shots / "jupyterlab-quarterly-2026Q2.png")
    # JupyterLab talks to its own server on loopback, aborts some of its own fetches, and its
    # debugger logs that a restart cancelled its request
    problems = [p for p in browser.problems() if not p.startswith(("network request: http://127.0.0.1", "network request: ws://127.0.0.1"))
                and "ERR_ABORTED" not in p and "Could not restore the debugger state" not in p]
    assert problems == []


def test_pdf_input_has_no_script(built):
    """The PDF is made from the page without the tables' script (static tables)."""
    from sla_lib.rendering import prepare_for_print
    from sla_lib.tables import BEGIN

    page = (built.folder / "complaint_statistics.html").read_text(encoding="utf-8")
    assert page.count(BEGIN) == 1
    printed = prepare_for_print(page)
    assert BEGIN not in printed and "sla-tables-src" not in printed and "<script" not in printed.lower()
