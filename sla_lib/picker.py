"""A quarter (or month) picker for the analysts' notebooks (issue 14).

A notebook makes one :class:`PeriodPicker` from its parameter and lets each of its cells
draw through :meth:`PeriodPicker.section`::

    picker = PeriodPicker(term_quarters(terms), quarter, lang)
    display(picker)                      # the drop-down; nothing under papermill

    @picker.section
    def kpis(quarter):                   # runs now, and again whenever the drop-down changes
        display(show(...))

In a notebook frontend a person uses (:func:`sla_lib.display.frontend_is_interactive`),
each section draws into its own ``ipywidgets.Output`` and is drawn again, tables and charts,
for the period chosen in the drop-down. Under papermill (the rendered reports) and outside
IPython, the parameter is the source of truth: each section draws once, for it, as plain
static outputs of its cell, and no widget is made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["PeriodPicker", "term_quarters"]

_LABEL = {"quarter": {"zh": "季度", "en": "Quarter"}, "month": {"zh": "月份", "en": "Month"}}


def term_quarters(terms) -> list[str]:
    """The quarters that hold a month of the contract, oldest first ('2026Q1', ...)."""
    from .views import quarter_of

    return list(dict.fromkeys(quarter_of(m) for m in terms.contract_months))


class PeriodPicker:
    """A drop-down of ``options`` (quarters or months) that redraws the sections of a
    notebook; ``value`` is the notebook's parameter. ``kind``: 'quarter' or 'month' (the
    drop-down's label). ``interactive`` overrides the frontend detection."""

    def __init__(self, options: Sequence[str], value: str, lang: str, kind: str = "quarter", interactive: bool | None = None):
        from .display import frontend_is_interactive

        self.value = value
        self.options = list(options)
        if value not in self.options:  # a period outside the term: shown all the same
            self.options.append(value)
        self.interactive = frontend_is_interactive() if interactive is None else bool(interactive)
        self._sections: list[tuple[Callable[[str], object], object]] = []
        self.dropdown = None
        if self.interactive:
            import ipywidgets as W

            self.dropdown = W.Dropdown(options=self.options, value=value, description=_LABEL[kind][lang if lang in ("zh", "en") else "zh"],
                                       style={"description_width": "initial"})
            self.dropdown.observe(self._changed, names="value")

    def _ipython_display_(self) -> None:
        if self.dropdown is not None:
            from IPython.display import display

            display(self.dropdown)

    def section(self, render: Callable[[str], object]) -> Callable[[str], object]:
        """Draw ``render(period)`` now (static under papermill; in an Output widget that the
        drop-down redraws otherwise). Usable as a decorator; returns ``render``."""
        if not self.interactive:
            render(self.value)
            return render
        import ipywidgets as W
        from IPython.display import display

        out = W.Output()
        self._sections.append((render, out))
        display(out)
        self._draw(render, out)
        return render

    def _draw(self, render, out) -> None:
        with out:  # an exception shows in the section, the others still draw
            out.clear_output(wait=True)
            render(self.value)

    def _changed(self, change) -> None:
        self.value = change["new"]
        for render, out in self._sections:
            self._draw(render, out)

    def __repr__(self) -> str:
        return f"PeriodPicker({self.value!r})"

