"""The one output rule (issue 12), unit by unit: sla_lib.published and the writers that use
it (display.show / md, excel, charts, the index page and e-mail text). The whole report built
from hostile data is tests/test_hostile.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from sla_lib import display as D
from sla_lib import published
from sla_lib.excel import write_fee_workbook
from sla_lib.masking import forget_names, remember_names


@pytest.fixture(autouse=True)
def _no_known_names():
    forget_names()
    yield
    forget_names()


def test_text_masks_and_neutralises():
    remember_names(["张伟"])
    assert published.text("张伟 13812345603") == "张* 138****5603"
    # bidi override, zero width, NUL and C1 controls become U+FFFD; line breaks and tabs spaces
    assert published.text("a\u202eb\u200bc\x00d\x85e") == "a\ufffdb\ufffdc\ufffdd\ufffde"
    assert published.text("line1\r\nline2\tx") == "line1 line2 x"
    assert published.text(None) == ""
    assert published.text(12) == "12"


def test_html_text_is_never_markup():
    assert published.html_text('<img src=x onerror="alert(1)">') == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    assert published.html_text("a & b 'c'") == "a &amp; b &#x27;c&#x27;"


@pytest.mark.parametrize(
    "value",
    ["**bold** _it_", "[x](javascript:alert(1))", "# heading", "<b>x</b>", "$\\frac{1}{2}$", "$$x$$", "`code`",
     "| a | b |", "![img](x)", "1. item", "- item", "> quote", "\\*", "a\\\\b", "&amp; &lt;"],
)
def test_markdown_text_renders_literally(value):
    rendered = D.md("contract", "en", contract=value, party_a="A", party_b="B")._repr_html_()
    soup = BeautifulSoup(rendered, "html.parser")
    paragraph = soup.find("p")
    assert paragraph is not None and [t.name for t in paragraph.find_all(True)] == []  # no element inside: text only
    assert value in paragraph.get_text()  # shown exactly as written


def test_show_escapes_cells_headers_index_and_caption():
    frame = pd.DataFrame({"<th onclick=x>": ["<script>alert(1)</script>"], "n": [1]}, index=pd.Index(["<i>idx</i>"], name=None))
    html = D.show(frame, "en", index=True, caption="<b>cap</b>").to_html()
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and soup.find("i") is None and soup.find("b") is None
    assert not [a for tag in soup.find_all(True) for a in tag.attrs if a.startswith("on")]
    text = soup.get_text()
    assert "<script>alert(1)</script>" in text and "<th onclick=x>" in text and "<b>cap</b>" in text
    assert "tex2jax_ignore" in soup.find("table")["class"]


def test_show_masks_personal_data_in_any_column():
    remember_names(["欧阳明"])
    frame = pd.DataFrame({"category": ["请回电 13812345603 欧阳明", "mailto:lily@example.org"], "complaint_id": ["TS-1", "TS-2"]})
    text = BeautifulSoup(D.show(frame, "zh").to_html(), "html.parser").get_text()
    assert "13812345603" not in text and "欧阳明" not in text and "lily@example.org" not in text
    assert "138****5603" in text and "TS-1" in text


def test_workbook_cells_are_strings_never_formulas(tmp_path):
    hostile = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx", "\rx", "ok"]
    frame = pd.DataFrame({"payment_id": hostile, "amount": [Decimal("1.00")] * len(hostile), "paid_at": [dt.date(2026, 11, 2)] * len(hostile)})
    path = write_fee_workbook({"payments": frame}, tmp_path / "book.xlsx", "en")
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in cells)
    assert [c.value for c in cells] == ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", " x", " x", "ok"]
    assert [c.quotePrefix for c in cells] == [True, True, True, True, False, False, False]
    assert sheet.cell(row=2, column=2).data_type == "n"  # amounts stay numbers


def test_chart_label_with_dollars_is_drawn_literally(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from sla_lib import charts

    charts.use_report_style()
    frame = pd.DataFrame({"product": ["星辰 $$手机", "a$\\frac{1}{2}$", "$x^"], "count": [3, 2, 1]})
    fig = charts.bar_chart(frame, "product", "count", "zh", title="$$", axis_label="n")
    FigureCanvasAgg(fig).draw()  # mathtext would raise on '$x^' and '$$'
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["星辰 $$手机", "a$\\frac{1}{2}$", "$x^"]


def test_no_prose_template_puts_a_value_where_escapes_do_not_work():
    """Backslash escapes are literal inside code spans: a value there would show its escapes."""
    import re

    from sla_lib.labels import PROSE

    inside_code = [key for key, pair in PROSE.items() for template in pair if re.search(r"`[^`]*\{\w+", template)]
    assert inside_code == []


def _result(tmp_path, **headline):
    from sla_lib.report import Document, ReportResult

    kpi = {"clause": "C10", "label_zh": "投诉处理满意度", "label_en": "Complaint satisfaction", "met": 0, "total": 0,
           "rate_pct": None, "target_pct": "85", "ok": True, "status": "n/a"}
    base = {
        "contract_id": "CS-2026-001", "party_a": "甲方", "party_b": "乙方", "month": "2026-10", "as_of": "2026-12-31",
        "base": "200000.00", "bonus": "10000.00", "total_deduction": "0.00", "onsite_fees": "0.00", "amount_due": "210000.00",
        "payment_due": "2026-11-13", "paid": "0.00", "balance": "-210000.00", "late_days": 0, "late_damages": "0.00",
        "failing_kpis": [], "no_data": [], "na_counts_as": "met", "kpis_met": 0, "kpis_missed": 0, "kpis_na": 1,
        "kpis": {"complaint_satisfaction": kpi},
    }
    docs = (Document("fee_reconciliation", "费用对账", "fee_reconciliation.html", "fee_reconciliation.pdf", "executed/fee_reconciliation.ipynb"),)
    return ReportResult("2026-10", None, "zh", tmp_path, docs, (), {**base, **headline}, "2026-11-03T07:00:05+08:00")


def test_index_and_mail_text_show_terms_text_as_masked_text(tmp_path):
    from sla_lib.delivery import report_subject
    from sla_lib.report import render_index, render_index_text

    result = _result(tmp_path, contract_id="CS-<svg onload=alert(1)>", party_a="<img src=x onerror=alert(2)> 13812345603",
                     party_b="mailto:lily@example.org")
    for for_mail in (False, True):
        soup = BeautifulSoup(render_index(result, for_mail=for_mail), "html.parser")
        assert soup.find("svg") is None and soup.find("img") is None
        assert not [a for tag in soup.find_all(True) for a in tag.attrs if a.startswith("on")]
        text = soup.get_text()
        assert "<img src=x onerror=alert(2)> 138****5603" in text and "13812345603" not in text and "lily@example.org" not in text
    plain = render_index_text(result)
    assert "13812345603" not in plain and "lily@example.org" not in plain and "CS-<svg onload=alert(1)>" in plain
    assert "\n" not in report_subject(_result(tmp_path, contract_id="CS-1\r\nBcc: x@y.z"))


def test_index_and_mail_flag_a_month_without_rows(tmp_path):
    from sla_lib.report import render_index, render_index_text

    result = _result(tmp_path, no_data=["complaints", "followups"])
    soup = BeautifulSoup(render_index(result), "html.parser")
    warning = soup.find("p", class_="missed")
    assert warning is not None
    assert warning.get_text() == "⚠ 无数据：投诉、回访 在 2026-10 没有任何记录，相关指标为 n/a（按 na_counts_as: met 计为达标）；结算前请确认导出数据覆盖本月。"
    assert warning.get_text() in render_index_text(result)
    assert BeautifulSoup(render_index(_result(tmp_path)), "html.parser").find("p", class_="missed") is None


def test_notebook_notice_names_the_tables_and_kpis(sample_terms, capsys):
    from types import SimpleNamespace

    monthly = SimpleNamespace(month="2026-10", tables_without_rows=("complaints",),
                              no_data_kpis=("complaint_contact", "complaint_solution", "complaint_satisfaction"))
    D.no_data_notice(monthly, sample_terms, "en")  # outside IPython, display prints the repr: the escaped Markdown
    shown = capsys.readouterr().out
    assert shown.startswith("> **⚠ No data (2026\\-10)**: complaints has no rows at all this month")
    assert "count as met" in shown
    D.no_data_notice(SimpleNamespace(month="2026-10", tables_without_rows=(), no_data_kpis=()), sample_terms, "en")
    assert capsys.readouterr().out == ""


def test_the_data_folders_value_labels_translate_categories(tmp_path):
    """Issue 14: under --lang en, the data's categories and products read in English; the
    data folder's value_labels.csv extends the labels (never the suite's own values), and
    its text is masked and escaped like any input."""
    from conftest import SAMPLES
    from sla_lib import labels as L
    from sla_lib.data import load_value_labels
    from sla_lib.errors import TableError

    table = load_value_labels(SAMPLES)
    assert table["产品质量"] == ("产品质量", "Product quality") and table["星辰 X20 手机"] == ("星辰 X20 手机", "Xingchen X20 phone")
    saved = dict(L.DATA_VALUES)
    try:
        (tmp_path / "value_labels.csv").write_text("value,zh,en\n物流配送,,Delivery <b>now</b>\nmet,达标?,hijacked\n", encoding="utf-8")
        L.extend_values(load_value_labels(tmp_path))
        assert D.cell_text("物流配送", "en") == "Delivery <b>now</b>" and D.cell_text("物流配送", "zh") == "物流配送"
        assert "Delivery &lt;b&gt;now&lt;/b&gt;" in D.show(pd.DataFrame({"category": ["物流配送"]}), "en").to_html()
        assert D.cell_text("met", "en") == "met" and D.cell_text("met", "zh") == "达标"  # the suite's values stay
        assert load_value_labels(tmp_path / "nowhere") == {}
        (tmp_path / "value_labels.csv").write_text("value,zh,en\nA,a,a\nA,b,b\n", encoding="utf-8")
        with pytest.raises(TableError, match="labelled twice") as info:
            load_value_labels(tmp_path)
        assert (info.value.row, info.value.column) == (3, "value")
        (tmp_path / "value_labels.csv").write_text("value,zh\nA,a\n", encoding="utf-8")
        with pytest.raises(TableError, match="required column 'en' is missing"):
            load_value_labels(tmp_path)
    finally:
        L.DATA_VALUES.clear()
        L.DATA_VALUES.update(saved)
