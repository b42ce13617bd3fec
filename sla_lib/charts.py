"""The one place of chart styling for every notebook: the CJK font, the theme, the figure
size, and the few chart types the reports share.

Call :func:`use_report_style` once (each notebook's first cell after the parameters). The
helpers take the frames of :mod:`sla_lib.views` and return a ``matplotlib.figure.Figure``
(not registered with pyplot, so nothing is shown twice; ``display(fig)`` shows it). They
plot what they are given: no figure here is computed, only drawn.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import font_manager, rcParams
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import labels as L
from . import published
from .fonts import cjk_font_family, cjk_font_path

FIGSIZE = (8.0, 3.6)  # inches: 960 × 432 px at 120 dpi, fits an A4 page at full width
DPI = 120
BLUE, RED, ORANGE, GREEN, GREY, LIGHT, DARK = "#2f6db5", "#c0392b", "#e08e2b", "#3a9d5d", "#8a94a6", "#c9d6ea", "#344054"
SERIES = [BLUE, ORANGE, GREEN, "#7f56d9", RED, "#0e9384", GREY]
DAY_COLORS = {"workday": BLUE, "weekend": LIGHT, "holiday": RED, "adjusted_workday": ORANGE}
CHANNEL_COLORS = {"phone": BLUE, "email": ORANGE, "chat": GREEN}

_registered: set[str] = set()


def register_cjk_font() -> str:
    """Make the CJK font (:func:`sla_lib.fonts.cjk_font_path`) known to matplotlib, once per
    process; returns its family name. Changes no style (the kernels' zygote calls it ahead)."""
    path = str(cjk_font_path())
    if path not in _registered:
        font_manager.fontManager.addfont(path)
        _registered.add(path)
    return cjk_font_family()


def use_report_style() -> str:
    """Register the CJK font (:func:`sla_lib.fonts.cjk_font_path`) with matplotlib and set
    the report theme: seaborn 'whitegrid', that font first in ``font.sans-serif`` (DejaVu
    Sans behind it for any glyph it lacks), ASCII minus signs (the font's U+2212 is not
    needed), constrained layout, 8 × 3.6 in at 120 dpi. Returns the font's family name."""
    import seaborn as sns

    family = register_cjk_font()
    sns.set_theme(context="notebook", style="whitegrid", palette=SERIES, font="sans-serif")
    rcParams.update(
        {
            "font.family": ["sans-serif"],
            "font.sans-serif": [family, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "figure.figsize": FIGSIZE,
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "figure.constrained_layout.use": True,
            "axes.titlesize": 11.5,
            "axes.titleweight": "normal",  # the CJK font has no bold face; asking for one logs a findfont warning
            "axes.labelsize": 9.5,
            "xtick.labelsize": 8.5,
            "ytick.labelsize": 8.5,
            "legend.fontsize": 8.5,
            "legend.frameon": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "pdf.fonttype": 42,  # TrueType in PDFs, selectable text
            "ps.fonttype": 42,
            "text.parse_math": False,  # labels from the data are drawn as written: '星辰 $$手机' is no formula
        }
    )
    _register_png_display()
    return family


def _register_png_display() -> None:
    """In IPython, show a bare ``Figure`` (the helpers do not go through pyplot) as a PNG,
    whatever the matplotlib backend."""
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "display_formatter"):
        select_figure_formats(shell, {"png"}, bbox_inches=None)  # constrained layout already fits; "tight" draws twice


def _figure(nrows: int = 1, ncols: int = 1, size=None, **kw):
    fig = Figure(figsize=size or FIGSIZE, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _month_ticks(months, lang: str) -> list[str]:
    ticks = [L.month_tick(m, lang) for m in months]
    years = [m[:4] for m in months]
    if len(set(years)) > 1 or lang == "en":  # show the year at the first month of each year
        ticks = [f"{t}\n{y}" if i == 0 or years[i - 1] != y else t for i, (t, y) in enumerate(zip(ticks, years))]
    return ticks


def _label(value, lang: str) -> str:
    """A category, product, channel... as drawn: its label in ``lang``, or the data's own
    text masked and neutralised (:func:`sla_lib.published.text`)."""
    return published.text(L.value(value, lang))


def _fmt_pct(value: float) -> str:
    return f"{value:g}%"


# -- KPI trends ----------------------------------------------------------------------------


def kpi_trend_chart(trend: pd.DataFrame, kpis, lang: str, ncols: int = 2, highlight=None) -> Figure:
    """Small multiples, one per KPI: the monthly rate (line; a month with nothing to measure
    is a gap with an 'n/a' mark), months that missed in red, the target as a dashed line.
    ``trend``: :func:`sla_lib.views.kpi_trend`; ``highlight``: months to shade (the
    quarter being reported, say)."""
    kpis = list(kpis)
    months = sorted(trend["month"].unique())
    x = np.arange(len(months))
    shaded = [i for i, m in enumerate(months) if highlight is not None and m in set(highlight)]
    nrows = math.ceil(len(kpis) / ncols)
    fig, axes = _figure(nrows, ncols, size=(FIGSIZE[0], 2.5 * nrows + 0.3))
    for ax, kpi in zip(axes.flat, kpis):
        if shaded:
            ax.axvspan(min(shaded) - 0.5, max(shaded) + 0.5, color=LIGHT, alpha=0.35, linewidth=0)
        part = trend[trend["kpi"] == kpi].set_index("month").reindex(months)
        y = part["rate"].to_numpy(dtype=float)
        status = part["status"].to_numpy(dtype=object)
        ax.plot(x, y, marker="o", markersize=4, color=BLUE, linewidth=1.8)
        missed = status == "missed"
        ax.scatter(x[missed], y[missed], color=RED, s=36, zorder=3)
        targets = part["target"].dropna()
        target = float(targets.iloc[0]) if len(targets) else None
        values = y[~np.isnan(y)]
        lo = min([*values, *([target] if target is not None else [])], default=0.0)
        hi = max([*values, *([target] if target is not None else [])], default=100.0)
        pad = max(2.0, (hi - lo) * 0.25)
        ax.set_ylim(max(0.0, lo - pad), min(100.0, hi + pad) if hi <= 100 else hi + pad)
        if target is not None:
            ax.axhline(target, linestyle="--", color=DARK, linewidth=1)
            ax.annotate(L.chart("target", lang, value=_fmt_pct(target)), (1, target), xycoords=("axes fraction", "data"),
                        xytext=(0, 3), textcoords="offset points", ha="right", va="bottom", fontsize=8, color=DARK)
        na_y = target if target is not None else (np.nanmean(y) if len(values) else 50.0)
        for xi in x[status == "n/a"]:  # the months with nothing to measure (a few at most)
            ax.plot([xi], [na_y], marker="o", markersize=7, markerfacecolor="white", markeredgecolor=GREY)
            ax.annotate(L.chart("na", lang), (xi, na_y), xytext=(0, -12), textcoords="offset points", ha="center", fontsize=8, color=GREY)
        ax.set_title(L.kpi(kpi, lang, clause=True), loc="left")
        ax.set_ylabel(L.chart("rate_axis", lang))
        ax.set_xticks(x, _month_ticks(months, lang))
    for ax in list(axes.flat)[len(kpis):]:
        ax.set_visible(False)
    return fig


# -- complaints ----------------------------------------------------------------------------


def _runs(flags: np.ndarray):
    """(start, end) index pairs of the runs of True."""
    padded = np.concatenate(([False], flags, [False])).astype(int)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2] - 1))


def daily_volume_chart(daily: pd.DataFrame, lang: str, month: str) -> Figure:
    """Bars of complaints per day coloured by day type; statutory holidays shaded and named,
    adjusted working days (调休上班) marked. ``daily``: :func:`sla_lib.views.daily_complaint_volume`."""
    fig, axes = _figure(size=(FIGSIZE[0], 3.4))
    ax = axes[0, 0]
    day = pd.to_datetime(daily["date"]).dt.day.to_numpy()
    kind = daily["day_type"].to_numpy(dtype=object)
    counts = daily["complaints"].to_numpy()
    ax.bar(day, counts, color=[DAY_COLORS[k] for k in kind], width=0.8)  # one bar per calendar day
    top = max(1, counts.max()) * 1.18
    ax.set_ylim(0, top)
    names = daily["holiday"].to_numpy(dtype=object)
    for start, end in _runs(kind == "holiday"):
        ax.axvspan(day[start] - 0.5, day[end] + 0.5, color=RED, alpha=0.08, linewidth=0)
        name = names[start]
        if isinstance(name, str):
            ax.text((day[start] + day[end]) / 2, top * 0.97, _label(name, lang), ha="center", va="top", fontsize=8.5, color=RED)
    for i in np.flatnonzero(kind == "adjusted_workday"):
        ax.text(day[i], counts[i] + top * 0.02, L.chart("adjusted_mark", lang), ha="center", va="bottom", fontsize=8.5, color=ORANGE)
    ax.set_xticks(day, [str(d) for d in day])
    ax.tick_params(axis="x", labelsize=7.5)
    ax.set_xlim(day.min() - 0.7, day.max() + 0.7)
    ax.set_xlabel(L.chart("day_of_month", lang, month=month))
    ax.set_ylabel(L.chart("complaints_axis", lang))
    ax.set_title(L.chart("daily_volume_title", lang, month=month), loc="left")
    present = [k for k in DAY_COLORS if k in set(kind)]
    ax.legend(handles=[Patch(color=DAY_COLORS[k], label=_label(k, lang)) for k in present], loc="upper left", ncols=len(present), bbox_to_anchor=(0, -0.2))
    ax.grid(axis="x", visible=False)
    return fig


def _histogram(ax, values, target: float, lang: str, *, xlabel: str, title: str, target_label: str, ok=None, discrete: bool = False, upper: float | None = None) -> None:
    values = pd.Series(values, dtype="Float64").astype(float)
    ok = pd.Series(True, index=values.index) if ok is None else pd.Series(np.asarray(ok, dtype=bool), index=values.index)
    keep = values.notna()
    values, ok = values[keep], ok[keep]
    if upper is None:
        upper = max(3 * target, float(values.quantile(0.95)) if len(values) else target)
    if discrete:
        upper = int(math.ceil(upper))
        clipped = values.clip(upper=upper).astype(int)
        within = clipped[ok].value_counts().reindex(range(upper + 1), fill_value=0)
        beyond = clipped[~ok].value_counts().reindex(range(upper + 1), fill_value=0)
        positions = np.arange(upper + 1)
        ax.bar(positions, within.to_numpy(), color=BLUE, width=0.8)
        ax.bar(positions, beyond.to_numpy(), bottom=within.to_numpy(), color=RED, width=0.8)
        ticks = [str(p) for p in positions]
        ticks[-1] = L.chart("beyond", lang, value=upper)
        ax.set_xticks(positions, ticks)
        line = target + 0.5
    else:
        width = target / 4 if target > 0 else upper / 24  # bin edges fall on the target
        upper = width * math.ceil(upper / width)
        bins = np.arange(0, upper + width / 2, width)
        clipped = values.clip(upper=upper - width / 2)  # beyond the axis: drawn in the last bin
        ax.hist([clipped[ok].to_numpy(), clipped[~ok].to_numpy()], bins=bins, stacked=True, color=[BLUE, RED])
        ax.set_xlim(0, upper)
        ticks = [t for t in ax.get_xticks() if 0 <= t <= upper * 0.9]
        ax.set_xticks([*ticks, upper], [f"{t:g}" for t in ticks] + [L.chart("beyond", lang, value=f"{upper:g}")])
        line = target
    ax.axvline(line, linestyle="--", color=DARK, linewidth=1.2)
    ax.annotate(target_label, (line, 1), xycoords=("data", "axes fraction"), xytext=(4, -4), textcoords="offset points", ha="left", va="top", fontsize=8.5, color=DARK)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(L.chart("count_axis", lang))
    ax.set_title(published.text(title), loc="left")


def histogram_chart(values, target: float, lang: str, *, xlabel: str, title: str, target_label: str, ok=None, discrete: bool = False, upper: float | None = None) -> Figure:
    """Distribution of a handling time with the contract's target as a dashed line. ``ok``
    (bool per value, as the KPI decided it) colours the values within the standard blue and
    the others red. Values above ``upper`` (default: 3 × target or the 95th percentile,
    whichever is larger) are drawn in the last bin, labelled '≥upper'. ``discrete``: whole
    numbers (working days), one bar per value."""
    fig, axes = _figure(size=(FIGSIZE[0] / 2 + 0.2, 3.2))
    _histogram(axes[0, 0], values, target, lang, xlabel=xlabel, title=title, target_label=target_label, ok=ok, discrete=discrete, upper=upper)
    return fig


def handling_time_chart(handling: pd.DataFrame, targets: dict, lang: str) -> Figure:
    """C2 and C3 side by side (:func:`sla_lib.views.handling_time_distribution`,
    :func:`sla_lib.views.handling_targets`): hours to first contact with the hour limit,
    working days to the preliminary solution with the working-day limit; complaints the KPI
    counts as missed in red."""
    fig, axes = _figure(1, 2, size=(FIGSIZE[0], 3.2))
    hours, days = targets["contact_hours"], targets["solution_workdays"]
    axis = "contact_hours_axis_service" if targets.get("contact_clock") == "service" else "contact_hours_axis"
    _histogram(axes[0, 0], handling["hours_to_first_contact"], hours, lang, xlabel=L.chart(axis, lang), title=L.chart("contact_title", lang),
               target_label=L.chart("target_hours", lang, value=f"{hours:g}"), ok=handling["contact_in_time"])
    _histogram(axes[0, 1], handling["workdays_to_solution"], days, lang, xlabel=L.chart("solution_days_axis", lang), title=L.chart("solution_title", lang),
               target_label=L.chart("target_workdays", lang, value=days), ok=handling["solution_in_time"], discrete=True)
    return fig


def bar_chart(frame: pd.DataFrame, label_col: str, value_col: str, lang: str, *, title: str, axis_label: str,
              target: float | str | None = None, status_col: str | None = None, horizontal: bool = True, value_format: str = "{:,.0f}") -> Figure:
    """One bar per row of ``frame`` (a breakdown): the value written at the bar's end, 'n/a'
    where it is missing, red where ``status_col`` says 'missed', the target dashed
    (``target``: a number, or the name of a column holding it, as :func:`sla_lib.views.kpi_breakdown` has)."""
    if isinstance(target, str):
        given = pd.to_numeric(frame[target], errors="coerce").dropna()
        target = float(given.iloc[0]) if len(given) else None
    labels = [_label(v, lang) for v in frame[label_col]]
    values = pd.to_numeric(frame[value_col], errors="coerce").to_numpy(dtype=float)
    status = frame[status_col].to_numpy(dtype=object) if status_col else np.full(len(frame), "", dtype=object)
    colors = np.where(status == "missed", RED, BLUE)
    height = max(2.4, 0.32 * len(frame) + 1.0) if horizontal else 3.2
    fig, axes = _figure(size=(FIGSIZE[0], height))
    ax = axes[0, 0]
    positions = np.arange(len(frame))
    shown = np.nan_to_num(values, nan=0.0)
    if horizontal:
        ax.barh(positions, shown, color=colors, height=0.65)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_xlabel(axis_label)
        ax.grid(axis="y", visible=False)
    else:
        ax.bar(positions, shown, color=colors, width=0.65)
        ax.set_xticks(positions, labels)
        ax.set_ylabel(axis_label)
        ax.grid(axis="x", visible=False)
    finite = values[~np.isnan(values)]
    span = max([*finite, *([target] if target is not None else []), 1.0])
    for p, v in zip(positions, values):  # one label per bar
        text = L.chart("na", lang) if np.isnan(v) else value_format.format(v)
        if horizontal:
            ax.annotate(text, (0 if np.isnan(v) else v, p), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8, color=GREY if np.isnan(v) else DARK)
        else:
            ax.annotate(text, (p, 0 if np.isnan(v) else v), xytext=(0, 2), textcoords="offset points", ha="center", fontsize=8, color=GREY if np.isnan(v) else DARK)
    if horizontal:
        ax.set_xlim(0, span * 1.12)
    else:
        ax.set_ylim(0, span * 1.15)
    if target is not None:
        draw = ax.axvline if horizontal else ax.axhline
        draw(target, linestyle="--", color=DARK, linewidth=1)
        if horizontal:
            ax.annotate(L.chart("target", lang, value=_fmt_pct(target)), (target, 1), xycoords=("data", "axes fraction"), xytext=(-3, 2), textcoords="offset points", ha="right", va="bottom", fontsize=8, color=DARK)
        else:
            ax.annotate(L.chart("target", lang, value=_fmt_pct(target)), (1, target), xycoords=("axes fraction", "data"), xytext=(0, 2), textcoords="offset points", ha="right", va="bottom", fontsize=8, color=DARK)
    ax.set_title(published.text(title), loc="left")
    return fig


def stacked_bar_chart(wide: pd.DataFrame, lang: str, *, title: str, axis_label: str, horizontal: bool = False, month_index: bool = False) -> Figure:
    """Stacked bars: one bar per row of ``wide``, one segment per column (channels, ...).
    Column names and row labels are translated with the labels; ``month_index`` writes a
    'YYYY-MM' index as month ticks."""
    rows = list(wide.index)
    ticks = _month_ticks(rows, lang) if month_index else [_label(r, lang) for r in rows]
    height = max(2.6, 0.34 * len(rows) + 1.2) if horizontal else FIGSIZE[1]
    fig, axes = _figure(size=(FIGSIZE[0], height))
    ax = axes[0, 0]
    positions = np.arange(len(rows))
    base = np.zeros(len(rows))
    for i, column in enumerate(wide.columns):  # a few series
        values = pd.to_numeric(wide[column], errors="coerce").fillna(0).to_numpy(dtype=float)
        name = str(column).removesuffix("_pct")
        label = _label(name, lang)
        color = CHANNEL_COLORS.get(name, SERIES[i % len(SERIES)])
        if horizontal:
            ax.barh(positions, values, left=base, color=color, height=0.65, label=label)
        else:
            ax.bar(positions, values, bottom=base, color=color, width=0.65, label=label)
        base = base + values
    if horizontal:
        ax.set_yticks(positions, ticks)
        ax.invert_yaxis()
        ax.set_xlabel(axis_label)
        ax.grid(axis="y", visible=False)
    else:
        ax.set_xticks(positions, ticks)
        ax.set_ylabel(axis_label)
        ax.grid(axis="x", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(published.text(title), loc="left")
    return fig


def heatmap_chart(grid: pd.DataFrame, lang: str, *, title: str) -> Figure:
    """Weekday × hour counts (:func:`sla_lib.views.arrivals_heatmap`) as a heatmap."""
    import seaborn as sns

    fig, axes = _figure(size=(FIGSIZE[0], 3.3))
    ax = axes[0, 0]
    sns.heatmap(grid, ax=ax, cmap="Blues", linewidths=0.3, linecolor="white", cbar_kws={"label": L.chart("count_axis", lang), "shrink": 0.8})
    ax.set_yticks(np.arange(len(grid.index)) + 0.5, [L.weekday(d, lang) for d in grid.index], rotation=0)
    ax.set_xticks(np.arange(len(grid.columns)) + 0.5, [str(h) for h in grid.columns], rotation=0)
    ax.set_xlabel(L.chart("hour_axis", lang))
    ax.set_ylabel(L.chart("weekday_axis", lang))
    ax.set_title(published.text(title), loc="left")
    return fig


def score_chart(distribution: pd.DataFrame, lang: str, *, month: str, min_score: int) -> Figure:
    """Satisfaction scores of complaints and follow-ups side by side (:func:`sla_lib.views.score_distribution`):
    the scores that count as satisfied in green, the others grey, unrated hatched."""
    series = [c for c in distribution.columns if c != "satisfied"]
    fig, axes = _figure(1, len(series), size=(FIGSIZE[0], 3.0), sharey=False)
    satisfied = distribution["satisfied"].to_numpy(dtype=bool)
    unrated = (distribution.index == "unrated")
    colors = np.where(satisfied, GREEN, np.where(unrated, "white", GREY))
    ticks = [_label(i, lang) for i in distribution.index]
    for ax, column in zip(axes.flat, series):
        counts = distribution[column].to_numpy()
        bars = ax.bar(np.arange(len(counts)), counts, color=colors, edgecolor=GREY, width=0.7)
        for bar, hatched in zip(bars, unrated):  # six bars
            if hatched:
                bar.set_hatch("///")
        ax.bar_label(bars, fontsize=8)
        ax.set_xticks(np.arange(len(counts)), ticks)
        name = _label(column, lang)
        ax.set_title(name[:1].upper() + name[1:], loc="left")
        ax.set_xlabel(L.chart("score_axis", lang))
        ax.grid(axis="x", visible=False)
    axes[0, 0].set_ylabel(L.chart("count_axis", lang))
    fig.suptitle(L.chart("score_title", lang, month=month), x=0.01, ha="left", fontsize=11.5)
    fig.legend(handles=[Patch(color=GREEN, label=L.chart("satisfied_band", lang, value=min_score))], loc="upper right")
    return fig


def amounts_chart(term: pd.DataFrame, lang: str) -> Figure:
    """Amount due and paid per month of the term (:func:`sla_lib.views.fee_statement_tables`
    ``term_to_date``), months with a deduction marked red."""
    months = list(term["month"])
    x = np.arange(len(months))
    due = term["amount_due"].astype(float).to_numpy()  # plotting only; the tables keep Decimal
    paid = term["paid"].astype(float).to_numpy()
    deducted = term["total_deduction"].astype(float).to_numpy() > 0
    fig, axes = _figure(size=(FIGSIZE[0], 3.2))
    ax = axes[0, 0]
    ax.bar(x - 0.2, due, width=0.4, color=np.where(deducted, RED, BLUE), label=L.column("amount_due", lang))
    ax.bar(x + 0.2, paid, width=0.4, color=LIGHT, label=L.column("paid", lang))
    ax.set_xticks(x, _month_ticks(months, lang))
    ax.set_ylabel(L.chart("amount_axis", lang))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set_ylim(0, max([*due, *paid, 1.0]) * 1.08)
    handles = [Patch(color=BLUE, label=L.column("amount_due", lang)), Patch(color=LIGHT, label=L.column("paid", lang))]
    if deducted.any():
        handles.insert(1, Patch(color=RED, label=L.chart("due_with_deduction", lang)))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", visible=False)
    ax.set_title(L.chart("fees_title", lang), loc="left")
    return fig


def cost_distribution_chart(costs: pd.DataFrame, lang: str, comparison: pd.DataFrame | None = None, reference: str = "current") -> Figure:
    """The simulated yearly cost per scenario, to read at a glance.

    Left: the cumulative distribution (ECDF) of each scenario's yearly cost
    (:func:`sla_lib.views.simulated_costs`, fen), the current contract (``reference``) as a
    thick dark line, the others in colour; a curve to the left costs Party A less. Right,
    when ``comparison`` (:func:`sla_lib.renewal.compare_scenarios`) is given: each
    alternative's paired difference from the current contract, expected value and 5–95 %
    band, against the zero line of the current contract. Amounts in CNY 10k."""
    alternatives = [c for c in costs.columns if c != reference]
    right = comparison is not None and bool(alternatives)
    fig, axes = _figure(1, 2 if right else 1, size=(FIGSIZE[0], 3.6), width_ratios=[3, 2] if right else None)
    ax = axes[0, 0]
    colors = {}
    for i, name in enumerate(alternatives):
        colors[name] = SERIES[i % len(SERIES)]
    for name in [*alternatives, *([reference] if reference in costs.columns else [])]:
        values = np.sort(costs[name].to_numpy(dtype=float) / 1_000_000)  # fen -> CNY 10k, plotting only
        share = np.arange(1, len(values) + 1) / len(values)
        is_ref = name == reference
        ax.step(values, share, where="post", color=DARK if is_ref else colors[name], linewidth=2.4 if is_ref else 1.4,
                label=_label(name, lang), zorder=3 if is_ref else 2)
    ax.set_xlabel(L.chart("cost_axis", lang))
    ax.set_ylabel(L.chart("share_axis", lang))
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.1f}")
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], loc="upper left")  # the current contract first
    ax.set_title(L.chart("cost_distribution", lang), loc="left")
    if right:
        dx = axes[0, 1]
        rows = comparison.loc[[n for n in alternatives if n in comparison.index]]
        y = np.arange(len(rows))[::-1]
        mid = rows["expected_difference"].astype(float).to_numpy() / 10_000  # CNY -> 10k, plotting only
        lo = rows["difference_p5"].astype(float).to_numpy() / 10_000
        hi = rows["difference_p95"].astype(float).to_numpy() / 10_000
        for yi, name, m, a, b in zip(y, rows.index, mid, lo, hi):
            dx.plot([a, b], [yi, yi], color=colors.get(name, BLUE), linewidth=3, solid_capstyle="butt", alpha=0.55)
            dx.plot([m], [yi], marker="o", color=colors.get(name, BLUE), markersize=6)
        dx.axvline(0, color=DARK, linewidth=2.4)
        dx.set_yticks(y, [_label(n, lang) for n in rows.index])
        dx.set_ylim(-0.7, len(rows) - 0.3)
        dx.set_xlabel(L.chart("difference_axis", lang))
        reference_label = _label(reference, lang)
        dx.xaxis.set_major_formatter(lambda v, _: f"{v:+,.1f}" if abs(v) > 1e-9 else f"0\n{reference_label}")
        dx.grid(axis="y", visible=False)
        dx.set_title(L.chart("difference_title", lang), loc="left", fontsize=10)
    return fig


def grid_heatmap_chart(grid: pd.DataFrame, lang: str) -> Figure:
    """Expected yearly cost over two terms (:func:`sla_lib.renewal.cost_grid`), in CNY 10k;
    each axis labelled with its term's contract name (labels.RENEWAL_TERMS)."""
    import seaborn as sns

    fig, axes = _figure(size=(FIGSIZE[0], 3.4))
    ax = axes[0, 0]
    shown = grid.astype(float) / 10_000
    sns.heatmap(shown, ax=ax, cmap="RdYlGn_r", annot=True, fmt=".1f", linewidths=0.3, linecolor="white", cbar=False)
    ax.set_xlabel(L.column(grid.columns.name, lang))
    ax.set_ylabel(L.column(grid.index.name, lang))
    ax.set_title(L.chart("grid_title", lang), loc="left")
    return fig
