"""The finance team's workbook (sla_lib.excel): sheets, values, number formats, atomic write."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from sla_lib import excel as E
from sla_lib import views as V

from conftest import SAMPLES


@pytest.fixture(scope="module")
def august_tables():
    terms, data = V.load_inputs(SAMPLES / "contract.yaml", SAMPLES)
    return V.fee_statement_tables(V.statements_to(data, terms, "2026-08", "2026-12-31"), terms)


def test_workbook_in_chinese(august_tables, tmp_path):
    path = E.write_fee_workbook(august_tables, tmp_path / "out" / "fee_reconciliation_2026-08.xlsx", "zh")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总", "费用明细", "考核指标", "付款", "发票", "期内累计", "违约风险"]

    sheet = book["付款"]
    assert [c.value for c in sheet[1]] == ["付款编号", "付款日期", "付款截止日", "金额（元）", "冲抵应付（元）", "逾期天数", "逾期违约金（元）"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    late = [c.value for c in sheet[3]]
    assert late == ["FK-202608-2", dt.datetime(2026, 9, 20), dt.datetime(2026, 9, 14), 32100, 32100, 6, 96.3]
    assert sheet["D3"].number_format == "#,##0.00" and sheet["G3"].number_format == "#,##0.00"
    assert sheet["B3"].number_format == "yyyy-mm-dd"
    assert sheet["F3"].number_format == "General"  # days are a count, not money
    assert sheet.column_dimensions["A"].width >= len("FK-202608-2")

    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["应付金额"] == 212100
    assert summary["逾期违约金"] == pytest.approx(96.3)
    assert summary["乙方解约权（C18）"] == "否"

    lines = book["费用明细"]
    items = [row[1] for row in lines.iter_rows(min_row=2, values_only=True)]
    assert items[:2] == ["基础服务费", "绩效奖励"]
    explanation = lines.column_dimensions["D"]
    assert explanation.width == E.MAX_WIDTH and lines["D2"].alignment.wrap_text

    term = book["期内累计"]
    header = [c.value for c in term[1]]
    last = [c.value for c in term[term.max_row]]
    assert last[header.index("月份")] == "2026-08"
    assert last[header.index("累计扣款")] == 32000 and last[header.index("累计违约金")] == pytest.approx(96.3)


def test_workbook_in_english_and_exact_amounts(august_tables, tmp_path):
    path = E.write_fee_workbook(august_tables, tmp_path / "fee.xlsx", "en")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Fee statement", "KPIs", "Payments", "Invoices", "Term to date", "Exposure"]
    kpis = book["KPIs"]
    assert [c.value for c in kpis[1]][:3] == ["KPI", "Clause", "Fee KPI"]
    assert kpis["A3"].value == "Consultation resolution rate" and kpis["C3"].value == "yes"
    # amounts are stored as numbers (exact decimal text), dates as serial numbers
    import zipfile

    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet4.xml").decode()
    assert "<v>32100</v>" in xml and "<v>96.3</v>" in xml and "<v>46285</v>" in xml  # 46285 = 2026-09-20


def test_write_is_atomic(august_tables, tmp_path, monkeypatch):
    target = tmp_path / "fee.xlsx"
    E.write_fee_workbook(august_tables, target, "zh")
    before = target.read_bytes()
    E.write_fee_workbook(august_tables, target, "en")  # replacing an existing workbook
    assert openpyxl.load_workbook(target).sheetnames[0] == "Summary"

    def broken(self, filename):
        with open(filename, "wb") as handle:
            handle.write(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken)
    current = target.read_bytes()
    with pytest.raises(OSError, match="disk full"):
        E.write_fee_workbook(august_tables, target, "zh")
    assert target.read_bytes() == current != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fee.xlsx"]  # no temporary file left
