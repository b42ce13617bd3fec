"""The CJK font (sla_lib.fonts), the chart style and helpers (sla_lib.charts), the labels and
the notebook display helpers (sla_lib.labels, sla_lib.display)."""

from __future__ import annotations

import io
import logging
import warnings
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from matplotlib import rcParams

from sla_lib import charts as C
from sla_lib import display as D
from sla_lib import fonts as F
from sla_lib import kpis as K
from sla_lib import labels as L
from sla_lib import views as V
from sla_lib.errors import SlaError

from conftest import SAMPLES


@pytest.fixture(scope="module")
def sample():
    return V.load_inputs(SAMPLES / "contract.yaml", SAMPLES)


# -- fonts ---------------------------------------------------------------------------------


def test_packaged_truetype_font_is_the_default(monkeypatch):
    monkeypatch.delenv(F.ENV_VAR, raising=False)
    path = F.cjk_font_path()
    assert path.name == "wqy-microhei.ttc" and path.parent.parent.name == "paperang_p2_fonts_cjk"
    assert F.cjk_font_family() == "WenQuanYi Micro Hei"
    assert F._maps(str(path), "投诉满意度调休上班")


def test_environment_variable_wins_and_must_exist(monkeypatch, tmp_path):
    packaged = F._package_font()
    monkeypatch.setenv(F.ENV_VAR, str(packaged))
    assert F.cjk_font_path() == packaged
    monkeypatch.setenv(F.ENV_VAR, str(tmp_path / "missing.ttf"))
    with pytest.raises(SlaError, match="SLA_CJK_FONT.*no such font file"):
        F.cjk_font_path()


def test_system_font_fallback_and_clear_error(monkeypatch, tmp_path):
    from matplotlib import font_manager

    wqy = str(F._package_font())
    monkeypatch.delenv(F.ENV_VAR, raising=False)
    monkeypatch.setattr(F, "_package_font", lambda: None)
    dejavu = [e for e in font_manager.fontManager.ttflist if e.name == "DejaVu Sans"]
    assert dejavu and F._system_font(dejavu) is None  # DejaVu has no Chinese
    assert F._system_font([*dejavu, font_manager.FontEntry(fname=wqy, name="Some CJK font")]) == Path(wqy)
    assert F._system_font([font_manager.FontEntry(fname=str(tmp_path / "gone.ttc"), name="Noto Sans CJK SC")]) is None
    monkeypatch.setattr(F, "_system_font", lambda entries=None: None)
    with pytest.raises(SlaError, match="paperang-p2-fonts-cjk.*fonts-wqy-microhei"):
        F.cjk_font_path()


# -- style and charts ----------------------------------------------------------------------


def test_report_style_puts_the_cjk_font_first():
    family = C.use_report_style()
    assert family == "WenQuanYi Micro Hei"
    assert rcParams["font.sans-serif"][0] == family
    assert rcParams["axes.unicode_minus"] is False
    assert tuple(rcParams["figure.figsize"]) == C.FIGSIZE


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)  # the glyph lookup happens at any resolution
    return buffer.getvalue()


def test_charts_render_chinese_without_a_missing_glyph_warning(sample, caplog):
    """Every chart helper in Chinese (two in English), with warnings turned into errors (a
    missing glyph is a UserWarning) and no matplotlib log warning (findfont)."""
    terms, data = sample
    C.use_report_style()
    october = K.month_kpis(data, terms, "2026-10")
    stats = K.complaint_statistics(data, terms, "2026-10")
    trend = V.quarter_kpis(data, terms, "2026Q1")  # 2025Q4 has no data: n/a marks
    statements = V.statements_to(data, terms, "2026-10", "2026-12-31")
    handling = V.handling_time_distribution(data, terms, "2026-10", october)
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lang in ("zh", "en"):
            figures = [
                C.kpi_trend_chart(trend, list(K.KPI_DEFINITIONS), lang, highlight=V.quarter_months("2026Q1")),
                C.daily_volume_chart(V.daily_complaint_volume(data, terms, "2026-10"), lang, "2026-10"),
                C.handling_time_chart(handling, V.handling_targets(terms), lang),
                C.histogram_chart([0.5, 1, 3], 2, lang, xlabel=L.chart("contact_hours_axis", lang), title="投诉", target_label=L.chart("target_hours", lang, value=2)),
                C.stacked_bar_chart(V.category_by_channel(stats), lang, horizontal=True, title=L.chart("category_title", lang, month="2026-10"), axis_label=L.chart("count_axis", lang)),
                C.bar_chart(V.kpi_breakdown(data, terms, "2026-07", "complaint_satisfaction", "product"), "product", "rate", lang,
                            target="target", status_col="status", title="C10 投诉处理满意度：按产品", axis_label=L.chart("rate_axis", lang)),
                C.bar_chart(stats.ageing_open, "age_days", "open_complaints", lang, horizontal=False, title=L.chart("ageing_title", lang), axis_label="数量"),
                C.heatmap_chart(V.arrivals_heatmap(data, terms, V.quarter_months("2026Q3")), lang, title=L.chart("heatmap_title", lang, what="咨询", period="2026Q3")),
                C.score_chart(V.score_distribution(data, terms, "2026-10"), lang, month="2026-10", min_score=4),
                C.amounts_chart(V.fee_statement_tables(statements)["term_to_date"], lang),
            ]
            if lang == "en":  # the English labels are ASCII; two charts suffice to exercise them
                figures = figures[:2]
            for fig in figures:
                assert _png(fig).startswith(b"\x89PNG")
    assert not [r for r in caplog.records if r.name.startswith("matplotlib")], [r.getMessage() for r in caplog.records]


def test_trend_chart_marks_na_months_and_targets(sample):
    terms, data = sample
    C.use_report_style()
    trend = V.quarter_kpis(data, terms, "2026Q1")
    fig = C.kpi_trend_chart(trend, ["complaint_satisfaction", "consultation_response"], "zh")
    first, second = fig.axes[:2]
    texts = [t.get_text() for t in first.texts]
    assert texts.count("n/a") == 3  # 2025-10, -11, -12
    assert "目标 85%" in texts
    assert first.get_title(loc="left") == "C10 投诉处理满意度"
    assert not any(t.get_text().startswith("目标") for t in second.texts)  # C1 has no target


# -- labels and display --------------------------------------------------------------------


def test_labels():
    assert L.kpi("complaint_satisfaction", "zh", clause=True) == "C10 投诉处理满意度"
    assert L.kpi("complaint_satisfaction", "en") == "Complaint satisfaction"
    assert L.value("adjusted_workday", "zh") == "调休上班日"
    assert L.value("National Day", "zh") == "国庆节"
    assert L.value(True, "en") == "yes" and L.value(1, "zh") == 1  # numbers are never looked up
    assert L.value("deduction.complaint_satisfaction", "zh") == "扣款：投诉处理满意度"
    assert L.column("unknown_key", "zh") == "unknown_key"
    assert L.month_tick("2026-07", "zh") == "7月" and L.weekday(6, "en") == "Sun"
    assert L.text("cs_intro", "en", hours=2.0, days=3, count=143).startswith("This report covers")
    assert "2 hours" in L.text("cs_intro", "en", hours=2.0, days=3, count=143)
    with pytest.raises(ValueError, match="lang"):
        L.text("cs_title", "fr", month="2026-10")
    for key, pair in [*L.PROSE.items(), *L.CHART.items(), *L.COLUMNS.items(), *L.VALUES.items()]:
        assert len(pair) == 2 and all(isinstance(p, str) and p for p in pair), key


def test_cell_text():
    assert D.cell_text(Decimal("211400.00"), "zh") == "211,400.00"
    assert D.cell_text(Decimal("-0.50"), "zh") == "-0.50"
    assert D.cell_text(None, "zh") == D.MISSING and D.cell_text(float("nan"), "en") == D.MISSING
    assert D.cell_text(pd.Timestamp("2026-10-01 15:37:02"), "zh") == "2026-10-01 15:37"
    assert D.cell_text(pd.Timestamp("2026-10-01").date(), "zh") == "2026-10-01"
    assert D.cell_text("missed", "zh") == "未达标" and D.cell_text("phone", "en") == "phone"
    assert D.cell_text(25086, "zh") == "25086"


def test_show_translates_headers_values_and_highlights():
    frame = pd.DataFrame({"kpi": ["complaint_satisfaction"], "rate_pct": ["77.8125"], "status": ["missed"], "deduction": [Decimal("32000.00")]})
    html = D.show(frame, "zh").to_html()
    for text in ("指标", "比率 %", "投诉处理满意度", "未达标", "32,000.00", "#b42318"):
        assert text in html
    wide = pd.DataFrame({"2026-07": ["77.8125"]}, index=pd.Index(["complaint_satisfaction"], name="kpi"))
    html = D.show(wide, "en", highlight=pd.DataFrame({"2026-07": ["missed"]}, index=wide.index)).to_html()
    assert "Complaint satisfaction" in html and "#b42318" in html
    assert D.show(frame.iloc[:0], "zh").data == "（无记录）"


def test_rates_to_one_decimal_and_text_columns_left_aligned():
    from fractions import Fraction

    from sla_lib.exact import Rate

    # 92849999/100000000 = 92.849999 %: one decimal from the exact rate is 92.8 (not 92.9 via '92.8500')
    assert D.cell_text(Rate(92849999, 100000000), "zh") == "92.8" and str(Rate(92849999, 100000000)) == "92.8500"
    assert D.cell_text(Rate(1857, 2000), "en") == "92.9"  # 92.85 exactly: half-up
    frame = pd.DataFrame({"category": ["物流", "产品"], "rate_pct": [Rate(2, 3), "n/a"], "total": [3, 0]})
    html = D.show(frame, "zh").to_html()
    assert ">66.7<" in html and Fraction(2, 3) == frame.loc[0, "rate_pct"]
    table_id = html.split('<table id="', 1)[1].split('"', 1)[0]
    assert f"#{table_id} td.col0 {{\n  text-align: left;\n}}" in html  # the text column
    assert "col1 {\n  text-align: left" not in html and "col2 {\n  text-align: left" not in html  # rates, counts: right


def test_drilldown_is_static_without_a_frontend(capsys):
    frame = pd.DataFrame({"channel": ["phone", "chat"], "category": ["退换货", "产品质量"], "count": [3, 4]})
    assert D.frontend_is_interactive() is False
    D.drilldown(frame, ["channel", "category"], "zh")  # outside IPython: prints the static table
    assert "Styler" in capsys.readouterr().out
    D.drilldown(frame, ["channel", "category"], "zh", interactive=True)  # widgets build without a kernel
    assert "VBox" in capsys.readouterr().out
