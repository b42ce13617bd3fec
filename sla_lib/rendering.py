"""An executed notebook as the pages a reader gets: the HTML page (input cells hidden, the
interactive tables' assets added, JupyterLab's look) and, from it, the PDF (WeasyPrint, A4,
the CJK font embedded). One job: :mod:`sla_lib.report` executes the notebooks and publishes
what this module renders.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from pathlib import Path

# cells an author can keep out of the rendered report
REMOVE_CELL_TAGS = frozenset({"remove-cell", "remove_cell", "hide-cell"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output", "hide-output"})
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# text-only reprs a notebook leaks when a plotting call is the last line of a cell
_NOISE_REPR = re.compile(r"^\s*\[?\s*(<matplotlib\.|<Figure size |Text\(|<seaborn\.|<Axes)")
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"  # papermill's marker of the cell that failed

# -- render --------------------------------------------------------------------------------

_HTML_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<style type="text/css">{{ resources.sla_css }}</style>{%- endblock html_head_css -%}
"""

_SCREEN_CSS = """
body.jp-Notebook { font-family: system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC",
  "WenQuanYi Micro Hei", sans-serif; max-width: 1100px; margin: 0 auto; padding: 16px; }
.jp-RenderedHTMLCommon table { font-size: 12px; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
"""


def _print_css(font: str | None, title: str, font_url: str | None = None) -> str:
    """A4 page, margins, page numbers; tables and images not cut; the CJK font (from
    ``font_url`` when given, else the file ``font``)."""
    face = f'@font-face {{ font-family: "SLA CJK"; src: url("{font_url or Path(font).as_uri()}"); }}' if font else ""
    family = '"SLA CJK", sans-serif' if font else "sans-serif"
    footer = title.replace("\\", "\\\\").replace('"', '\\"')
    return f"""
{face}
@page {{ size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-left {{ content: "{footer}"; font-family: {family}; font-size: 8pt; color: #666; }}
  @bottom-right {{ content: counter(page) " / " counter(pages); font-family: {family}; font-size: 8pt; color: #666; }} }}
:root {{ --jp-content-font-family: {family}; --jp-ui-font-family: {family};
  --jp-code-font-family: {family}; --jp-content-font-size1: 10pt; }}
html, body, body.jp-Notebook {{ font-size: 10pt; max-width: none; margin: 0; padding: 0; background: #fff; }}
* {{ font-family: {family} !important; }}  /* one font to embed: its Latin is fine, and each subset costs seconds */
pre, code, pre *, code * {{ font-family: "DejaVu Sans Mono", {family} !important; }}
.jp-Cell {{ padding: 0; margin: 0 0 3mm 0; }}
/* JupyterLab lays cells out as grid / flex / table boxes and keeps each output on one page
   (break-inside: avoid-page): a long table then jumps to the next page leaving a blank one,
   or is cut. Plain blocks let tables run over pages, repeating their header row. */
.jp-Cell, .jp-CodeCell, .jp-Cell-outputWrapper, .jp-Cell-inputWrapper, .jp-OutputArea,
.jp-OutputArea-child, .jp-OutputArea-output {{ display: block !important; break-inside: auto !important;
  overflow: visible !important; width: auto !important; height: auto !important; }}
.jp-RenderedHTMLCommon, .jp-RenderedText {{ overflow: visible !important; }}
img, svg {{ max-width: 100% !important; height: auto !important; break-inside: avoid; }}
table {{ max-width: 100%; font-size: 8pt; break-inside: auto; }}
thead {{ display: table-header-group; }}
tr, img {{ break-inside: avoid; }}
td, th {{ overflow-wrap: break-word; }}  /* long texts wrap; numbers and codes stay whole */
.sla-nowrap {{ white-space: nowrap; }}
@page wide {{ size: A4 landscape; }}
.sla-wide {{ page: wide; }}
.sla-wide table {{ font-size: 7.5pt; }}
h1, h2, h3, h4 {{ break-after: avoid; }}
pre {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
"""


def _keep_output(output) -> bool:
    kind = output.get("output_type")
    if kind == "stream":
        return output.get("name") != "stderr"  # warnings, logging, progress bars
    if kind == "error":
        return False
    data = output.get("data", {})
    if _WIDGET_VIEW in data:  # needs a live kernel; its text/plain is a repr
        return False
    if set(data) == {"text/plain"}:
        text = data["text/plain"]
        return not _NOISE_REPR.match(text if isinstance(text, str) else "".join(text))
    return True


def _report_preprocessor():
    from nbconvert.preprocessors import Preprocessor

    class ReportView(Preprocessor):
        """The reader's view of an executed notebook: drops stderr streams (warnings,
        logging), error outputs, widget views, stray matplotlib reprs, cells tagged
        remove-cell / remove-output, papermill's error markers, and code cells left
        without output."""

        def preprocess(self, nb, resources):
            kept = []
            for cell in nb.cells:
                tags = set(cell.metadata.get("tags", []))
                if tags & REMOVE_CELL_TAGS or PAPERMILL_ERROR_TAG in tags:
                    continue
                if cell.cell_type == "code":
                    cell.outputs = [] if tags & REMOVE_OUTPUT_TAGS else [o for o in cell.outputs if _keep_output(o)]
                    if not cell.outputs:
                        continue
                kept.append(cell)
            nb.cells = kept
            return nb, resources

    return ReportView()


def render_html(notebook, title: str, lang: str, interactive: bool = True) -> str:
    """Self-contained HTML of an executed notebook (path or NotebookNode): no code, no
    prompts, no stderr, images as data URIs, no external scripts, <title> and lang.
    ``interactive``: the page carries, once, the DataTables bundle of the installed itables
    package and its initialization (:mod:`sla_lib.tables`), which make the escaped tables
    of :func:`sla_lib.display.show` sortable, searchable and paged in place; no data goes
    into script text. :func:`prepare_for_print` removes it again (static tables in PDFs)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4) if isinstance(notebook, (str, Path)) else notebook
    body, _ = _html_exporter(lang).from_notebook_node(nb, resources={"metadata": {"name": title}, "sla_css": _SCREEN_CSS})
    if interactive:
        from .tables import add_to_page

        body = add_to_page(body)
    return body


_exporters: dict = {}


def _html_exporter(lang: str):
    """The HTML exporter of ``lang``, made once per process: its Jinja templates (JupyterLab's
    and ours) are compiled on first use, a third of a second each time otherwise."""
    if lang not in _exporters:
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(
            template_name="lab",
            extra_loaders=[DictLoader({"sla_report.html.j2": _HTML_TEMPLATE})],
            template_file="sla_report.html.j2",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
            language_code=lang,  # ISO 639-1 only ("zh-CN" is refused)
        )
        exporter.register_preprocessor(_report_preprocessor(), enabled=True)
        _exporters[lang] = exporter
    return _exporters[lang]


# a table cell with a short text (a Chinese label, a channel, a masked name)
_SHORT_CELL = re.compile(r"<td\b([^>]*)>([^<]{1,6})</td>")
_CLASS_VALUE = re.compile(r"""(\bclass\s*=\s*)(["'])""")


def _nowrap_cell(match: re.Match) -> str:
    """A short cell, kept on one line by a class on the cell itself (a span inside each one
    cost WeasyPrint a styled element more per cell: a quarter of a page's elements)."""
    attributes, text = match.group(1), match.group(2)
    if _CLASS_VALUE.search(attributes):
        attributes = _CLASS_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}sla-nowrap ", attributes, count=1)
    else:
        attributes += ' class="sla-nowrap"'
    return f"<td{attributes}>{text}</td>"
_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_FIRST_ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.S)
WIDE_TABLE_COLUMNS = 10  # from this many columns a table gets a landscape page


def prepare_for_print(html_text: str) -> str:
    """Two fixes WeasyPrint needs for notebook tables. Chinese may break between any two
    characters, so a wide table squeezes narrow columns to one character per line
    ('产/品/质/量'): short cells are kept on one line (WeasyPrint ignores word-break:
    keep-all). A table of WIDE_TABLE_COLUMNS columns or more does not fit a portrait A4
    page: it is put on landscape pages (CSS named page) instead of being cut. The
    interactive tables' script and style (:func:`sla_lib.tables.add_to_page`) are removed:
    the PDF shows the static tables."""
    from .tables import without_assets

    html_text = without_assets(html_text)

    def table(match: re.Match) -> str:
        text = _SHORT_CELL.sub(_nowrap_cell, match.group(0))
        row = _FIRST_ROW.search(text)
        columns = len(re.findall(r"<t[hd]\b", row.group(1))) if row else 0
        return f'<div class="sla-wide">{text}</div>' if columns >= WIDE_TABLE_COLUMNS else text

    return _TABLE.sub(table, html_text)


# -- print: what WeasyPrint is given ---------------------------------------------------------
#
# Two inputs make WeasyPrint slow on a notebook page, and both are cut here without changing
# what is drawn (tests/test_report.py renders a page both ways and compares every box):
#
# * JupyterLab's stylesheets (about 256 kB in <head>: ~1,000 rules for the whole Lab UI and
#   ~600 custom properties that every element then inherits). Only the rules whose selectors
#   can match an element of the page are kept (a selector naming a class that no element of
#   the page has cannot match), and only the custom properties that a kept rule (or the
#   page itself) uses, directly or through another property.
# * The CJK font: a 5 MB collection of 49,531 glyphs. Without libharfbuzz-subset, WeasyPrint
#   subsets it in pure-Python fontTools, twice per PDF (the regular face and the synthesized
#   bold one), some 3 s each. The font is then cut once, before WeasyPrint sees it, to the
#   characters the page can show. With libharfbuzz-subset WeasyPrint's own subsetting takes
#   milliseconds and the font is given as it is.

_HEAD_STYLE = re.compile(r'(<style type="text/css">)(.*?)(</style>)', re.S)
_CLASS_ATTR = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_VAR_REF = re.compile(r"var\(\s*(--[A-Za-z0-9_-]+)")
_CLASS_TOKEN = re.compile(r"\.(-?[A-Za-z_][A-Za-z0-9_-]*)")
_ATTRIBUTE_SELECTOR = re.compile(r"\[[^\]]*\]")
_KEEP_SELECTOR = re.compile(r"\\|:(?:is|where|has|matches|-webkit-any|-moz-any)\(")  # escapes, selector lists: kept as they are


def _without_not(selector: str) -> str:
    """``selector`` without its ``:not(...)`` parts (classes there need not be present)."""
    out, i = [], 0
    while True:
        j = selector.find(":not(", i)
        if j < 0:
            return "".join(out) + selector[i:]
        out.append(selector[i:j])
        depth, k = 1, j + 5
        while k < len(selector) and depth:
            depth += {"(": 1, ")": -1}.get(selector[k], 0)
            k += 1
        i = k


def _split_selectors(prelude: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(prelude):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(prelude[start:i].strip())
            start = i + 1
    parts.append(prelude[start:].strip())
    return [p for p in parts if p]


def _required_classes(selector: str) -> frozenset | None:
    """The classes an element chain must carry for ``selector`` to match; None: unknown
    (the selector is always kept)."""
    if _KEEP_SELECTOR.search(selector):
        return None
    return frozenset(_CLASS_TOKEN.findall(_ATTRIBUTE_SELECTOR.sub("", _without_not(selector))))


@dataclass(frozen=True)
class _CssRule:
    selectors: tuple[tuple[str, frozenset | None], ...]  # () for an at-rule kept whole
    declarations: tuple[tuple[str | None, str, frozenset], ...]  # (custom property or None, text, var() used)
    at_rule: str | None = None  # @media etc.: the prelude; its rules in ``children``
    children: tuple = ()
    whole: str | None = None  # kept as it is: @font-face, @keyframes, @import..., a rule with nested rules


def _parse_rules(nodes) -> tuple[_CssRule, ...]:
    import tinycss2

    rules = []
    for node in nodes:
        if node.type == "qualified-rule":
            contents = tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True)
            if any(d.type != "declaration" for d in contents):  # nested rules, or something unparsable: kept as it is
                rules.append(_CssRule((), (), whole=node.serialize()))
                continue
            selectors = tuple((s, _required_classes(s)) for s in _split_selectors(tinycss2.serialize(node.prelude)))
            declarations = []
            for d in contents:
                text = f"{d.name}:{tinycss2.serialize(d.value)}{' !important' if d.important else ''}"
                declarations.append((d.name if d.name.startswith("--") else None, text, frozenset(_VAR_REF.findall(text))))
            rules.append(_CssRule(selectors, tuple(declarations)))
        elif node.type == "at-rule" and node.lower_at_keyword in ("media", "supports") and node.content is not None:
            children = _parse_rules(tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True))
            rules.append(_CssRule((), (), f"@{node.at_keyword}{tinycss2.serialize(node.prelude)}", children))
        elif node.type == "at-rule":
            rules.append(_CssRule((), (), whole=node.serialize()))
    return tuple(rules)


_parsed_css: dict[str, tuple[_CssRule, ...]] = {}


def _parsed(css: str) -> tuple[_CssRule, ...]:
    """The rules of a stylesheet, parsed once per process (JupyterLab's are the same for
    every notebook)."""
    if css not in _parsed_css:
        import tinycss2

        _parsed_css[css] = _parse_rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    return _parsed_css[css]


def _matching(rules, classes: set) -> list:
    """(rule, kept selectors) of the rules that can match; at-rules with their kept children."""
    kept = []
    for rule in rules:
        if rule.whole is not None:
            kept.append((rule, None))
        elif rule.at_rule is not None:
            children = _matching(rule.children, classes)
            if children:
                kept.append((rule, children))
        else:
            selectors = [s for s, need in rule.selectors if need is None or need <= classes]
            if selectors:
                kept.append((rule, selectors))
    return kept


def _used_variables(kept, roots: set) -> set:
    """Custom properties used by the kept rules (and ``roots``), through other custom
    properties too."""
    defined: dict[str, set] = {}
    used = set(roots)

    def visit(items):
        for rule, extra in items:
            if rule.at_rule is not None:
                visit(extra)
            elif rule.whole is not None:
                used.update(_VAR_REF.findall(rule.whole))
            else:
                for name, _, refs in rule.declarations:
                    if name is None:
                        used.update(refs)
                    else:
                        defined.setdefault(name, set()).update(refs)

    visit(kept)
    todo = list(used)
    while todo:
        for ref in defined.get(todo.pop(), ()):
            if ref not in used:
                used.add(ref)
                todo.append(ref)
    return used


def _serialize(kept, variables: set) -> str:
    out = []
    for rule, extra in kept:
        if rule.whole is not None:
            out.append(rule.whole)
        elif rule.at_rule is not None:
            inner = _serialize(extra, variables)
            if inner:
                out.append(f"{rule.at_rule}{{\n{inner}\n}}")
        else:
            body = ";".join(text for name, text, _ in rule.declarations if name is None or name in variables)
            if body:
                out.append(f"{','.join(extra)}{{{body}}}")
    return "\n".join(out)


def prune_page_css(html_text: str, extra_css: str = "") -> str:
    """``html_text`` with each stylesheet of its <head> reduced to what can apply to the
    page: rules whose selectors name only classes some element has, custom properties that
    are used (by a kept rule, the page's own <style> and style="" or ``extra_css``)."""
    head_end = html_text.find("</head>")
    if head_end < 0:
        return html_text
    head, body = html_text[:head_end], html_text[head_end:]
    classes = {c for m in _CLASS_ATTR.finditer(html_text) for c in (m.group(1) or m.group(2) or "").split()}
    sheets = [(m, _matching(_parsed(m.group(2)), classes)) for m in _HEAD_STYLE.finditer(head)]
    roots = set(_VAR_REF.findall(body)) | set(_VAR_REF.findall(extra_css))
    variables = _used_variables([item for _, kept in sheets for item in kept], roots)  # across the sheets
    pieces, last = [], 0
    for match, kept in sheets:
        pieces += [head[last:match.start()], match.group(1), "\n", _serialize(kept, variables), "\n", match.group(3)]
        last = match.end()
    pieces.append(head[last:])
    return "".join(pieces) + body


# characters a layout may draw without their being in the page's text: list markers, quotes,
# ellipsis, dashes; and all of ASCII and Latin-1 (text-transform, page numbers)
_LAYOUT_CHARS = set("•◦▪▫■□‐–—…‘’“”·") | {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})")


def page_characters(html_text: str, *extra: str) -> set[str]:
    """Every character the page can show: its text (entities decoded), the characters of
    CSS escapes in its stylesheets (``content: "\\25B8"``), ``extra`` (the page footer) and
    :data:`_LAYOUT_CHARS`. A superset: attribute values and style sheets count too."""
    chars = set(html.unescape(html_text)) | _LAYOUT_CHARS
    for text in extra:
        chars |= set(text)
    chars |= {chr(int(h, 16)) for h in set(_CSS_ESCAPE.findall(html_text)) if 0 < int(h, 16) < 0x110000}
    chars |= {c.upper() for c in chars} | {c.lower() for c in chars}  # text-transform
    return {c for c in "".join(chars) if c.isprintable() or c in "\t\n"}


def _harfbuzz_subsets() -> bool:
    """Whether WeasyPrint subsets fonts with libharfbuzz-subset (fast) rather than fontTools."""
    try:
        from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

        return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))
    except Exception:  # noqa: BLE001 - an older or newer WeasyPrint: assume the slow path
        return False


def subset_font(font: str, chars) -> bytes:
    """The first face of ``font`` (a .ttf/.otf or a collection) reduced to the glyphs of
    ``chars``, as TrueType/OpenType bytes: names, metrics and OpenType layout features kept
    (Pango shapes with it as with the full font), hinting dropped (WeasyPrint drops it from
    embedded fonts anyway)."""
    import io

    from fontTools import subset

    options = subset.Options()
    options.font_number = 0
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False
    options.drop_tables += ["FFTM"]  # FontForge's time stamp: fontTools would warn that it cannot subset it
    font_file = subset.load_font(font, options, lazy=True, dontLoadGlyphNames=True)
    try:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(ord(c) for c in chars))
        subsetter.subset(font_file)
        out = io.BytesIO()
        subset.save_font(font_file, out, options)
    finally:
        font_file.close()
    return out.getvalue()


def _print_font_url(font: str | None, html_text: str, title: str) -> str | None:
    """The URL of the CJK font for the page's @font-face: the font file itself when
    WeasyPrint subsets with HarfBuzz, else (a data: URL of) the font cut to the page's
    characters; the full font again if cutting fails."""
    if font is None:
        return None
    if not _harfbuzz_subsets():
        import base64

        try:
            data = subset_font(font, page_characters(html_text, title))
        except Exception:  # noqa: BLE001 - the full font is slower, never wrong
            pass
        else:
            return "data:font/ttf;base64," + base64.b64encode(data).decode("ascii")
    return Path(font).as_uri()


def render_pdf(html_text: str, pdf_path: Path, font: str | None, title: str) -> None:
    """PDF of the rendered HTML with WeasyPrint; Chinese stays text (embedded CJK font)."""
    import weasyprint

    noisy = [logging.getLogger(n) for n in ("weasyprint", "fontTools")]
    levels = [lg.level for lg in noisy]
    for lg in noisy:
        lg.setLevel(logging.ERROR)
    try:
        from weasyprint.text.fonts import FontConfiguration

        page = prepare_for_print(html_text)
        print_css = _print_css(font, title, _print_font_url(font, page, title))
        fonts = FontConfiguration()  # an @font-face in a user stylesheet needs one, shared
        css = weasyprint.CSS(string=print_css, font_config=fonts)
        doc = weasyprint.HTML(string=prune_page_css(page, print_css), base_url=str(pdf_path.parent))
        doc.write_pdf(pdf_path, stylesheets=[css], font_config=fonts)
    finally:
        for lg, level in zip(noisy, levels):
            lg.setLevel(level)
