"""Showing the frames of :mod:`sla_lib.views` in a notebook, in the report's language.

The frames keep canonical keys and exact values; this module only turns them into text at
the last moment: headers and known values through :mod:`sla_lib.labels`, money as
``211,400.00`` (Decimal, never through a float), rates (:class:`sla_lib.exact.Rate`) as
percentages to one decimal, dates as ISO dates, missing values as '—'.

This is also the one place where tables and prose become HTML (issue 12): every cell,
header, index label and caption of :func:`show`, and every value put into the prose of
:func:`md`, goes through :mod:`sla_lib.published` (masked, then escaped), so a category
``<script>`` or a product ``<img onerror=…>`` is shown as text. Both are wrapped in the
``tex2jax_ignore mathjax_ignore`` classes, so a ``$…$`` in the data is never typeset as TeX
by a notebook frontend that runs MathJax.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pandas as pd

from . import labels as L
from . import published
from .exact import Rate
from .tables import frontend_is_interactive

MISSING = "—"
RATE_PLACES = 1  # rates in reports; the JSON keeps 4 (spec §7)
# MathJax 2 and 3 skip elements with these classes (JupyterLab, classic Notebook)
NO_TEX = "tex2jax_ignore mathjax_ignore"
_STATUS_CSS = {
    "missed": "color: #b42318; font-weight: 600;",
    "late": "color: #b42318; font-weight: 600;",
    "overdue": "color: #b42318; font-weight: 600;",
    "n/a": "color: #667085;",
}


def money(value) -> str:
    """Decimal CNY -> '211,400.00' (exact; no float on the way)."""
    return f"{Decimal(value):,.2f}"


def cell_text(value, lang: str) -> str:
    """One cell as the reader sees it (plain text: masked, not yet escaped)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return L.value(bool(value), lang)
    if isinstance(value, Rate):
        return value.pct(RATE_PLACES)  # a percentage for people: one decimal, half-up from the exact rate
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))  # counts and file rows: no separators
    if isinstance(value, (float, np.floating)):
        return MISSING if np.isnan(value) else f"{float(value):,.1f}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M" if (value.hour, value.minute, value.second) != (0, 0, 0) else "%Y-%m-%d")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return published.text(L.value(value, lang))


def _html_cell(value, lang: str) -> str:
    return html.escape(cell_text(value, lang), quote=True)  # cell_text has masked the data's text already


def _header(key, lang: str) -> str:
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return str(key)
    return published.html_text(L.column(key, lang))


def show(frame: pd.DataFrame, lang: str, *, index: bool | None = None, caption: str | None = None, highlight: pd.DataFrame | None = None):
    """A pandas Styler of ``frame`` for the notebook output: headers and values in
    ``lang``, money with thousands separators, 'missed' / 'late' in red. ``index``: show
    the index (default: only when it is not a plain 0..n-1 range). ``highlight``: a frame
    of statuses of the same shape whose 'missed' / 'n/a' colour the cells of ``frame``.
    An empty frame is shown as '(none)' (Markdown)."""
    if frame.empty:
        return md("no_rows", lang)
    if index is None:
        index = not isinstance(frame.index, pd.RangeIndex)
    if index and frame.index.nlevels == 1 and frame.index.name is not None:
        # a named index becomes the first column: one header row instead of two
        frame = frame.reset_index()
        highlight = highlight.reset_index() if highlight is not None else None
        index = False
    shown = frame.copy()
    styler = shown.style.format(lambda v: _html_cell(v, lang)).format_index(lambda v: _header(v, lang), axis=1)
    styler = styler.format_index(lambda v: _html_cell(v, lang), axis=0)
    weekday_columns = [c for c in frame.columns if c == "weekday"]
    if weekday_columns:
        styler = styler.format(lambda v: L.weekday(v, lang) if pd.notna(v) else MISSING, subset=weekday_columns)
    if not index:
        styler = styler.hide(axis="index")
    status_columns = [c for c in frame.columns if c in ("status",)]
    if status_columns:
        styler = styler.map(lambda v: _STATUS_CSS.get(v, ""), subset=status_columns)
    if highlight is not None:
        css = highlight.reindex(index=frame.index, columns=frame.columns)
        styler = styler.apply(lambda _: css.map(lambda v: _STATUS_CSS.get(v, "") if isinstance(v, str) else ""), axis=None)
    text_columns = [c for c in frame.columns if _is_text(frame[c])]
    if text_columns:  # text reads from the left; numbers, money, rates and dates stay right-aligned
        left = [{"selector": "td", "props": "text-align: left;"}, {"selector": "th", "props": "text-align: left;"}]
        styler = styler.set_table_styles({c: left for c in text_columns}, overwrite=False)  # one rule per column, not per cell
    if caption:
        styler = styler.set_caption(published.html_text(caption))
    return styler.set_table_attributes(f'class="sla-table {NO_TEX}"')


def _is_text(column: pd.Series) -> bool:
    """A column of words (ids, categories, statuses, labels): every value present is a str."""
    if not (pd.api.types.is_string_dtype(column.dtype) or pd.api.types.is_object_dtype(column.dtype)
            or isinstance(column.dtype, pd.CategoricalDtype)):
        return False
    present = column.dropna()
    return len(present) > 0 and bool(present.map(lambda v: isinstance(v, str)).all())


class Prose:
    """Prose of the report for IPython's display: ``data`` is its Markdown (values already
    escaped), shown as HTML rendered here, so what nbconvert and JupyterLab show does not
    depend on their Markdown and math handling."""

    def __init__(self, markdown: str):
        self.data = markdown

    def _repr_html_(self) -> str:
        return f'<div class="sla-prose {NO_TEX}">{_render_markdown(self.data)}</div>'

    def __repr__(self) -> str:
        return self.data


_markdown_renderer = None


def _render_markdown(markdown: str) -> str:
    global _markdown_renderer
    if _markdown_renderer is None:
        import mistune

        # escape=True: any raw HTML is shown as text (the templates of labels.py have none)
        _markdown_renderer = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
    return _markdown_renderer(markdown)


def _prose_value(value):
    """A value put into prose: numbers, dates and Decimals as they are (the templates give
    their formats); anything else is text from the data or the terms, escaped."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, Decimal, np.integer, np.floating, dt.date)):
        return published.markdown_text(value)
    return value


def md(key: str, lang: str, **values) -> Prose:
    """The prose of :data:`sla_lib.labels.PROSE` ``key`` with ``values`` put in as text:
    each value that is not a number or a date is masked and escaped
    (:func:`sla_lib.published.markdown_text`), so it can never become Markdown, HTML or TeX."""
    return Prose(L.text(key, lang, **{name: _prose_value(v) for name, v in values.items()}))


def no_data_words(tables, counts_as: str, lang: str) -> dict:
    """The words of a no-data warning (tables in ``lang``, 'met'/'missed' in ``lang``), for
    the notebooks' notice and the index page."""
    names = [str(L.value(t, lang)) for t in tables]
    return {
        "tables": ("、" if lang == "zh" else ", ").join(names),
        "have": "has" if len(names) == 1 else "have",
        "counted": str(L.value(counts_as, lang)),
        "rule": counts_as,
    }


def no_data_notice(month_kpis, terms, lang: str) -> None:
    """Display the warning for a month in which an event table has no row at all (issue 12:
    never priced silently as a bonus month): which tables, which KPIs are n/a, and how the
    terms count them. Displays nothing for a month with data in every table."""
    empty = month_kpis.tables_without_rows
    if not empty:
        return
    from IPython.display import display

    kpis = ", ".join(L.kpi(k, lang, clause=True) for k in month_kpis.no_data_kpis)
    display(md("no_data", lang, month=month_kpis.month, kpis=kpis, **no_data_words(empty, terms.na_counts_as, lang)))


def drilldown(frame: pd.DataFrame, filters: Sequence[str], lang: str, interactive: bool | None = None) -> None:
    """Display ``frame`` for analysts: in an interactive frontend, drop-downs over the
    ``filters`` columns and the filtered table below them (ipywidgets); otherwise (papermill,
    rendered reports) the whole table, static. ``interactive`` overrides the detection."""
    from IPython.display import display

    if interactive is None:
        interactive = frontend_is_interactive()
    if not interactive:
        display(show(frame, lang))
        return

    import ipywidgets as widgets

    everything = L.text("all", lang)
    dropdowns = {
        column: widgets.Dropdown(
            options=[(everything, None)] + [(cell_text(v, lang), v) for v in pd.unique(frame[column].dropna())],
            value=None,
            description=L.column(column, lang),
        )
        for column in filters
    }
    output = widgets.Output()

    def refresh(*_):
        keep = np.ones(len(frame), dtype=bool)
        for column, dropdown in dropdowns.items():
            if dropdown.value is not None:
                keep &= (frame[column] == dropdown.value).to_numpy()
        with output:
            output.clear_output(wait=True)
            display(show(frame[keep], lang))

    for dropdown in dropdowns.values():
        dropdown.observe(refresh, names="value")
    refresh()
    display(widgets.VBox([widgets.HBox(list(dropdowns.values())), output]))


def _term_value(terms, key: str):
    value = terms
    for part in key.split("."):
        value = getattr(value, part)
    return value


def _differs(current, value) -> bool:
    """A slider's value differs from the term's (numbers compared as numbers: 2 == 2.0)."""
    try:
        return Decimal(str(current)) != Decimal(str(value))
    except ArithmeticError:
        return str(current) != str(value)


def scenario_explorer(sim, terms, lang: str, interactive: bool | None = None):
    """Sliders for the pricing terms (penalty per step, step, bonus, cap, rounding, the three
    targets), each labelled with its contract name in ``lang`` (labels.RENEWAL_TERMS), that
    re-price the simulated years on every change (sla_lib.renewal.project: well under a
    second for 10,000 years) and show the negotiator's lines: the paired difference from the
    current contract with its band, and where the cap binds. Only in an interactive
    frontend; None otherwise."""
    if not (frontend_is_interactive() if interactive is None else interactive):
        return None
    import ipywidgets as W

    from .renewal import CURRENT, Scenario, project, projection_row
    from .views import changes_text, summary_lines

    f, t = terms.fees, terms.targets

    def slider(key, value, lo, hi, step):
        return W.FloatSlider(value=float(value), min=lo, max=hi, step=step, description=L.column(key, lang), continuous_update=False,
                             style={"description_width": "initial"}, layout=W.Layout(width="70%"))

    controls = {
        "fees.penalty_per_step_pct": slider("fees.penalty_per_step_pct", f.penalty_per_step_pct, 0, 10, 0.5),
        "fees.penalty_step_pct": slider("fees.penalty_step_pct", f.penalty_step_pct, 0.5, 5, 0.5),
        "fees.bonus_pct": slider("fees.bonus_pct", f.bonus_pct, 0, 10, 0.5),
        "fees.penalty_cap_pct": slider("fees.penalty_cap_pct", f.penalty_cap_pct, 0, 100, 5),
        "targets.consultation_resolution_pct": slider("targets.consultation_resolution_pct", t.consultation_resolution_pct, 70, 100, 0.5),
        "targets.complaint_satisfaction_pct": slider("targets.complaint_satisfaction_pct", t.complaint_satisfaction_pct, 70, 100, 0.5),
        "targets.followup_satisfaction_pct": slider("targets.followup_satisfaction_pct", t.followup_satisfaction_pct, 70, 100, 0.5),
        "fees.penalty_rounding": W.ToggleButtons(options=[(L.value(v, lang), v) for v in ("ceil", "floor", "prorata")], value=f.penalty_rounding,
                                                 description=L.column("fees.penalty_rounding", lang), style={"description_width": "initial"}),
    }
    out = W.HTML()
    baseline = project(sim, terms, CURRENT)
    name = "explore"

    def update(_=None):
        changes = {k: (str(c.value) if isinstance(c.value, float) else c.value) for k, c in controls.items()}
        proj = project(sim, Scenario(name, changes).apply(terms), name)
        moved = {k: v for k, v in changes.items() if _differs(_term_value(terms, k), v)}
        lines = summary_lines(name, changes_text(moved, lang), projection_row(proj, baseline), lang)
        out.value = Prose("\n".join(lines))._repr_html_()  # masked and escaped like every other prose

    for control in controls.values():
        control.observe(update, names="value")
    update()
    return W.VBox([*controls.values(), out])


def interactive_tables(interactive: bool | None = None) -> bool:
    """Tables of :func:`show` as sortable, searchable, paged DataTables in the notebook
    frontend a person is using (:mod:`sla_lib.tables`: the first table of the session
    carries the bundle of the itables package, later ones a one-line call; the cells stay
    the escaped HTML of :func:`show`). Under papermill nothing changes: the rendered report
    adds the script itself. Called once when this module is imported; ``interactive``
    overrides the detection. Returns whether tables are interactive now."""
    from .tables import enable_in_notebook

    return enable_in_notebook(interactive)


interactive_tables()  # include-once: a no-op under papermill, nbconvert and outside IPython
