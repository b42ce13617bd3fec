"""Interactive tables (issue 14): sortable, searchable, paged, offline.

The tables stay what :func:`sla_lib.display.show` makes: an HTML ``<table class="sla-table">``
whose every cell is masked and escaped (:mod:`sla_lib.published`). Nothing from the data is
ever put into script text or JSON. A page gets, once, the DataTables library and a few lines
that turn each such table of the page into a DataTable (:data:`_INIT_JS`: initialization
only), so what the browser shows is the same escaped DOM, sorted and filtered in place.

The library is the DataTables bundle (jQuery, DataTables 2 and its extensions, MIT; see
``itables/html/dt_bundle.js`` and the licence headers in it) that the ``itables`` package
ships, read from the installed package when a page is made: no copy in this repository, no
CDN, no network request when the page is opened from disk or from an e-mail attachment.

* **Rendered reports** (:func:`sla_lib.rendering.render_html`): :func:`add_to_page` puts the
  assets once at the end of ``<head>``; the PDF is made from the same page with the assets removed
  (:func:`without_assets`): static tables.
* **JupyterLab / Notebook / VS Code** (a person at the notebook,
  :func:`frontend_is_interactive`): :func:`enable_in_notebook` makes the
  ``text/html`` output of the suite's tables carry the assets with the first table of the
  kernel session and a one-line call with every table after it. Under papermill the outputs
  stay plain tables (the rendered report adds the script at render time).

The bundle is an ES module. It is carried in a ``<script type="text/plain">`` data block
with ``%``, ``<`` and control characters percent-encoded (the minified code holds ``<!--``
and ``<script``, which would change how an HTML parser ends a raw script element, and a few
raw control characters), and imported from a ``blob:``
URL made in the page (as itables' own offline mode does).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import quote

__all__ = ["add_to_page", "assets_html", "bundle_files", "enable_in_notebook", "without_assets"]

BEGIN = "<!-- sla-tables: DataTables from the itables package -->"
END = "<!-- /sla-tables -->"
TABLE_CLASS = "sla-table"

# initialization only: every eligible table.sla-table of the page, in place, original order kept
_INIT_JS = r"""
(function () {
  var words = {
    zh: {search: "搜索：", info: "第 _START_–_END_ 行，共 _TOTAL_ 行", infoEmpty: "0 行", infoFiltered: "（从 _MAX_ 行中筛选）",
         zeroRecords: "没有匹配的行", lengthMenu: "每页 _MENU_ 行", emptyTable: "无记录"},
    en: {search: "Search:", info: "Rows _START_–_END_ of _TOTAL_", infoEmpty: "0 rows", infoFiltered: "(filtered from _MAX_)",
         zeroRecords: "No matching rows", lengthMenu: "_MENU_ rows per page", emptyTable: "No rows"}
  };
  function eligible(table) {  // DataTables needs one cell per column in every body row
    var body = table.tBodies[0], head = table.tHead;
    if (!body || !head || body.rows.length < 2 || body.querySelector("[rowspan],[colspan]")) return false;
    var n = body.rows[0].cells.length;
    for (var i = 0; i < body.rows.length; i++) if (body.rows[i].cells.length !== n) return false;
    return true;
  }
  function enhance(DataTable) {
    var page = (document.documentElement.lang || "").slice(0, 2);  // JupyterLab's is its UI's
    document.querySelectorAll("table.sla-table:not(.dataTable)").forEach(function (table) {
      if (!eligible(table)) return;
      var rows = table.tBodies[0].rows.length;
      var lang = page === "zh" || /[\u3400-\u9fff]/.test(table.tHead.textContent) ? "zh" : "en";
      DataTable.ext.errMode = "throw";  // a table DataTables cannot take stays static: no alert box
      try { new DataTable(table, {
        order: [], autoWidth: false, language: words[lang],
        searching: rows > 10, info: rows > 10, paging: rows > 25, pageLength: 25,
        lengthMenu: [10, 25, 50, 100],
        columnDefs: [{targets: "_all", render: function (d, type) {  // "—" (missing) sorts as empty
          return (type === "sort" || type === "type") && typeof d === "string" && d.trim() === "—" ? "" : d; }}]
      }); } catch (e) { console.error("sla-tables: a table was left static:", e); }
    });
  }
  window.slaTables = window.slaTables || {};
  window.slaTables.enhance = function () {
    if (!window.slaTables.ready) return;
    if (document.readyState === "loading") {  // in a page's <head>: once the tables are parsed
      document.addEventListener("DOMContentLoaded", window.slaTables.enhance);
      return;
    }
    window.slaTables.ready.then(function (m) { enhance(m.default); });
  };
  if (!window.slaTables.ready) {
    var block = document.getElementById("sla-tables-src");
    if (!block) return;
    var url = URL.createObjectURL(new Blob([decodeURIComponent(block.textContent)], {type: "text/javascript"}));
    window.slaTables.ready = import(url);
    window.slaTables.ready.then(function () { URL.revokeObjectURL(url); });
  }
  window.slaTables.enhance();
})();
"""
# tables keep their own width (DataTables stretches them to the page); header text not cut
_CSS = ("div.dt-container table.sla-table.dataTable { width: auto; margin: 0; }"
        " div.dt-container { display: inline-block; max-width: 100%; margin: 8px 0 16px; }")
_ENHANCE_JS = "<script>window.slaTables && window.slaTables.enhance && window.slaTables.enhance();</script>"


# percent-encoded in the data block (decodeURIComponent restores them): % itself; < (the
# bundle holds "<!--" and "<script", which change where a parser ends a script element);
# control characters (the bundle has a few raw ones; a parser would report them, an XML
# tree cannot hold them, and a CR would become a LF); noncharacters
_ENCODE = re.compile("[%<\x00-\x08\x0b-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")


@functools.cache
def bundle_files() -> tuple[Path, Path]:
    """(dt_bundle.js, dt_bundle.css) of the installed itables package."""
    import importlib.resources

    folder = importlib.resources.files("itables") / "html"
    js, css = Path(str(folder / "dt_bundle.js")), Path(str(folder / "dt_bundle.css"))
    if not (js.is_file() and css.is_file()):
        raise FileNotFoundError(f"the itables package has no DataTables bundle at {folder}")
    return js, css


@functools.cache
def assets_html() -> str:
    """The block a page needs once: the bundle's CSS, the bundle (encoded data block) and
    :data:`_INIT_JS`, between :data:`BEGIN` and :data:`END`."""
    js_path, css_path = bundle_files()
    js = _ENCODE.sub(lambda m: quote(m.group(0), safe=""), js_path.read_text(encoding="utf-8"))
    css = css_path.read_text(encoding="utf-8")
    if "</style" in css.lower():
        raise ValueError(f"{css_path} cannot be put into a <style> element")
    return (f'{BEGIN}\n<style id="sla-tables-css">{css}\n{_CSS}</style>\n'
            f'<script type="text/plain" id="sla-tables-src">{js}</script>\n'
            f"<script>{_INIT_JS}</script>\n{END}")


def add_to_page(page: str) -> str:
    """``page`` (a whole HTML document) with the assets once at the end of its ``<head>``
    (the tables are enhanced when the document is parsed); a page that already has them is
    returned as it is."""
    if BEGIN in page:
        return page
    at = page.find("</head>")
    if at < 0:
        at = page.rfind("</body>")
    if at < 0:
        return page + assets_html()
    return page[:at] + assets_html() + "\n" + page[at:]


def without_assets(page: str) -> str:
    """``page`` without the block of :func:`add_to_page` (static tables: the PDF)."""
    start = page.find(BEGIN)
    if start < 0:
        return page
    end = page.find(END, start)
    return page if end < 0 else page[:start] + page[end + len(END):]


# -- notebooks -----------------------------------------------------------------------------

_notebook = {"enabled": False, "sent": False}


def _styler_html(styler) -> str | None:
    """text/html of a Styler in an interactive frontend: the table as show() made it, with
    the assets (first table of the session) or the call that enhances it (every later one)."""
    html = styler._repr_html_()
    if html is None or TABLE_CLASS not in (styler.table_attributes or ""):
        return html  # not a table of the suite: as pandas shows it
    if not _notebook["sent"]:
        _notebook["sent"] = True
        return html + assets_html()
    return html + _ENHANCE_JS


def frontend_is_interactive() -> bool:
    """True in a notebook frontend (JupyterLab, Notebook, VS Code) that a person is using,
    False under papermill / nbclient / nbconvert --execute, outside IPython, or when
    unsure. The signal is the kernel's ``allow_stdin`` of the current execute request:
    interactive frontends support input(), headless executors (nbclient) switch it off."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    return bool(getattr(kernel, "_allow_stdin", False))


def enable_in_notebook(interactive: bool | None = None) -> bool:
    """Make the suite's tables interactive in the notebook frontend a person is using
    (JupyterLab, Notebook, VS Code); nothing under papermill or outside IPython.
    ``interactive`` overrides the detection. Returns whether tables are now interactive."""
    if not (frontend_is_interactive() if interactive is None else interactive):
        return False
    if _notebook["enabled"]:
        return True
    try:
        from IPython import get_ipython
        from pandas.io.formats.style import Styler
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    shell.display_formatter.formatters["text/html"].for_type(Styler, _styler_html)
    _notebook["enabled"] = True
    return True
