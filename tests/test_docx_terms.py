"""`sla terms extract`: a filled-in contract .docx -> terms file, exactly.

The documents are built here with python-docx from the template text
(tests/fixtures/contract-template.txt, a copy of ../shared/seed/contract-template.txt), split
into paragraphs at its article and section boundaries, with each blank filled by replacing
the template's own words around it (SLOTS below, written independently of the module's
patterns), in several spellings: digits, Chinese and capital numerals, full-width
punctuation, ％, amounts with 万 and commas, values in table cells and split across runs.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement

from conftest import SAMPLES
from sla_lib import docx_terms as dtm
from sla_lib.docx_terms import (
    LAYOUT,
    extract_terms,
    extract_to_file,
    normalize,
    parse_amount,
    parse_assignment,
    parse_number,
    parse_percent,
    write_terms_yaml,
)
from sla_lib.errors import TermsError, TermsErrors
from sla_lib.terms import Terms, load_terms

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "contract-template.txt"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "contract-template.txt"


def template_text() -> str:
    """The template's body (its first line is the file name 电子公司客户支持服务合同.docx)."""
    return FIXTURE.read_text(encoding="utf-8").splitlines()[1]


# Where each blank sits: the template's words with the blank, and the same words with {}.
SLOTS = {
    "contract.party_a": ("公司名称:甲方公司全称", "公司名称:{}"),
    "contract.party_b": ("公司名称:乙方公司全称", "公司名称:{}"),
    "standards.consultation_response_minutes": ("响应时间不超过凶分钟", "响应时间不超过{}分钟"),
    "standards.complaint_contact_hours": ("投诉后的凶小时内", "投诉后的{}小时内"),
    "standards.complaint_solution_workdays": ("并在凶个工作日内", "并在{}个工作日内"),
    "standards.followup_coverage_pct": ("新增客户数量的凶,", "新增客户数量的{},"),
    "term.start": ("自起始日期起", "自{}起"),
    "term.end": ("至截止日期止", "至{}止"),
    "term.auto_renewal_check_days": ("期满前凶天", "期满前{}天"),
    "term.renewal_months": ("自动延续延续时长;", "自动延续{};"),
    "term.objection_notice_days": ("提前凶天书面通知", "提前{}天书面通知"),
    "hours_per_day": ("提供凶小时/天", "提供{}小时/天"),
    "days_per_week": ("天,凶天/周", "天,{}天/周"),
    "service_time": ("具体服务时间为详细列出服务时间段。", "具体服务时间为{}。"),
    "targets.consultation_resolution_pct": ("解决率不低于X%", "解决率不低于{}"),
    "targets.complaint_satisfaction_pct": ("投诉处理满意度不低于X%", "投诉处理满意度不低于{}"),
    "targets.followup_satisfaction_pct": ("回访满意度不低于凶虬", "回访满意度不低于{}"),
    "fees.monthly_base_fee": ("每月人民币凶元", "每月{}"),
    "fees.bonus_pct": ("基础服务费X%的绩效奖励", "基础服务费{}的绩效奖励"),
    "fees.penalty_step_pct": ("每低X%", "每低{}"),
    "fees.penalty_per_step_pct": ("基础服务费的凶%", "基础服务费的{}"),
    "fees.payment_workdays": ("结束后的凶个工作日内", "结束后的{}个工作日内"),
    "fees.invoice_workdays": ("款项后的凶个工作日内", "款项后的{}个工作日内"),
    "liability.late_payment_daily_pct": ("未支付金额的X%", "未支付金额的{}"),
    "liability.termination_overdue_days": ("逾期超过凶日", "逾期超过{}日"),
    "liability.breach_penalty_pct": ("合同总金额的X%", "合同总金额的{}"),
    "liability.confidentiality_penalty": ("支付违约金人民币凶元", "支付违约金{}"),
    "signed_a": ("签订日期:年一月日", "签订日期:{}"),
    "signed_b": ("签订日期:年月日", "签订日期:{}"),
}

# Paragraph starts: articles, sections and the labelled sub-clauses of the template.
BREAKS = (
    "甲方(委托方)", "乙方(受托方)", "甲方:", "乙方:", "公司名称:", "法定代表人:", "地址:", "联系方式:", "统一社会信用代码:",
    "鉴于", "一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、",
    "客户咨询服务:", "投诉处理服务:", "技术支持服务:", "客户回访服务:", "本合同服务期限",
    "服务时间:", "服务质量:", "费用标准:", "基础服务费:", "绩效奖励/惩罚:", "支付方式:",
    "(一)", "(二)", "权利:", "义务:", "若乙方未按照", "任何一方违反", "本合同的签订", "本合同自双方",
    "甲方(盖章)", "乙方(盖章)", "法定代表人(签字)", "签订日期",
)


def fill(values: dict[str, str], text: str | None = None) -> str:
    text = template_text() if text is None else text
    for key, value in values.items():
        blank, filled = SLOTS[key]
        assert text.count(blank) == 1, (key, blank)
        text = text.replace(blank, filled.format(value))
    return text


def paragraphs(text: str) -> list[str]:
    pattern = "|".join(re.escape(b) for b in sorted(BREAKS, key=len, reverse=True))
    # 法定代表人: and 签订日期 start a paragraph; 法定代表人(签字) too, but not twice
    parts = re.split(f"(?=(?:{pattern}))", text)
    return [p for p in parts if p]


FULL_WIDTH = str.maketrans({":": "：", ",": "，", "(": "（", ")": "）", ";": "；", "%": "％"})


def make_docx(path: Path, text: str, *, tables: tuple[str, ...] = (), runs: int = 0, full_width: bool = False) -> Path:
    """A .docx of the text's paragraphs. A paragraph starting with one of ``tables`` becomes a
    table row [that prefix, the rest]; ``runs`` > 0 splits every paragraph into runs of that
    many characters with changing formatting (bold, italic, underline, size)."""
    document = docx.Document()
    for para in paragraphs(text):
        prefix = next((t for t in tables if para.startswith(t)), None)
        if full_width:  # as Word's Chinese input writes it: ：，（）；％
            para = para.translate(FULL_WIDTH)
            prefix = prefix and prefix.translate(FULL_WIDTH)
        if prefix is not None:
            table = document.add_table(rows=1, cols=2)
            table.style = "Table Grid"
            table.cell(0, 0).text = prefix
            _add_runs(table.cell(0, 1).paragraphs[0], para[len(prefix):], runs)
            continue
        _add_runs(document.add_paragraph(), para, runs)
    document.save(str(path))
    return path


def _add_runs(paragraph, text: str, size: int) -> None:
    if size <= 0:
        paragraph.add_run(text)
        return
    for i in range(0, len(text), size):
        run = paragraph.add_run(text[i:i + size])
        k = i // size
        run.bold = k % 2 == 0
        run.italic = k % 3 == 0
        run.underline = k % 5 == 1
        run.font.size = docx.shared.Pt(10 + k % 4)


# The sample contract's values (data/samples/contract.yaml) as a negotiator types them.
SAMPLE_FILL = {
    "contract.party_a": "华东星辰电子有限公司",
    "contract.party_b": "汇联客户服务外包有限公司",
    "standards.consultation_response_minutes": "电话1分钟、在线客服2分钟、电子邮件240",
    "standards.complaint_contact_hours": "2",
    "standards.complaint_solution_workdays": "3",
    "standards.followup_coverage_pct": "30%",
    "term.start": "2026年1月1日",
    "term.end": "2026年12月31日",
    "term.auto_renewal_check_days": "30",
    "term.renewal_months": "一年",
    "term.objection_notice_days": "30",
    "hours_per_day": "12",
    "days_per_week": "7",
    "service_time": "每天09:00-21:00",
    "targets.consultation_resolution_pct": "90%",
    "targets.complaint_satisfaction_pct": "85%",
    "targets.followup_satisfaction_pct": "90%",
    "fees.monthly_base_fee": "人民币200,000.00元",
    "fees.bonus_pct": "5%",
    "fees.penalty_step_pct": "1%",
    "fees.penalty_per_step_pct": "2%",
    "fees.payment_workdays": "10",
    "fees.invoice_workdays": "5",
    "liability.late_payment_daily_pct": "0.05%",
    "liability.termination_overdue_days": "30",
    "liability.breach_penalty_pct": "20%",
    "liability.confidentiality_penalty": "人民币500,000元",
    "signed_a": "2025年12月20日",
    "signed_b": "2025年12月22日",
}
# What the sample's terms file has that the contract text does not.
NOT_IN_TEXT = {"contract.id": "CS-2026-001", "standards.satisfied_min_score": 4, "liability.repeated_failure_months": 2}

# The same contract in other spellings; each must give the sample's values.
CHINESE_FILL = {
    **SAMPLE_FILL,
    "standards.consultation_response_minutes": "电话一分钟、在线客服两分钟、电子邮件二百四十",
    "standards.complaint_contact_hours": "两",
    "standards.complaint_solution_workdays": "三",
    "standards.followup_coverage_pct": "百分之三十",
    "term.start": "2026-01-01",
    "term.end": "二〇二六年十二月三十一日",
    "term.auto_renewal_check_days": "三十",
    "term.renewal_months": "12个月",
    "term.objection_notice_days": "三十",
    "hours_per_day": "十二",
    "days_per_week": "七",
    "service_time": "上午9点至晚上9点",
    "targets.consultation_resolution_pct": "百分之九十",
    "targets.complaint_satisfaction_pct": "８５ ％",
    "targets.followup_satisfaction_pct": "九十%",
    "fees.monthly_base_fee": "人民币20万元",
    "fees.bonus_pct": "百分之五",
    "fees.penalty_step_pct": "1个百分点",
    "fees.penalty_per_step_pct": "２％",
    "fees.payment_workdays": "十",
    "fees.invoice_workdays": "五",
    "liability.late_payment_daily_pct": "万分之五",
    "liability.termination_overdue_days": "三十",
    "liability.breach_penalty_pct": "百分之二十",
    "liability.confidentiality_penalty": "人民币伍拾万元整",
}
CAPITAL_FILL = {
    **SAMPLE_FILL,
    "term.start": "2026.1.1",
    "term.end": "2026/12/31",
    "term.renewal_months": "壹年",
    "service_time": "周一至周日 9:00—21:00",
    "targets.consultation_resolution_pct": "90％(百分之九十)",
    "fees.monthly_base_fee": "人民币200,000元(大写:贰拾万元整)",
    "fees.bonus_pct": "5 %",
    "fees.payment_workdays": "【10】",
    "fees.invoice_workdays": "５",
    "liability.late_payment_daily_pct": "百分之零点零五",
    "liability.confidentiality_penalty": "¥500000",
}
# As a negotiator may type it in Word (the example of docs/terms-extract.md).
MIXED_FILL = {
    **SAMPLE_FILL,
    "standards.complaint_contact_hours": "两",
    "standards.followup_coverage_pct": "百分之三十",
    "term.start": "2026年01月01日",
    "term.renewal_months": "一年",
    "term.objection_notice_days": "三十",
    "service_time": "每天上午9点至晚上9点",
    "targets.complaint_satisfaction_pct": "８５％",
    "fees.monthly_base_fee": "人民币200,000.00元(大写:贰拾万元整)",
    "fees.bonus_pct": "5%(百分之五)",
    "liability.late_payment_daily_pct": "万分之五",
    "liability.confidentiality_penalty": "人民币伍拾万元整",
}
MIXED_OPTIONS = {"tables": ("公司名称:", "基础服务费:"), "runs": 4, "full_width": True}

# Every key the contract text contains, and the sample's value of it.
CONTRACT_KEYS = [
    "contract.party_a", "contract.party_b",
    "term.start", "term.end", "term.auto_renewal_check_days", "term.objection_notice_days", "term.renewal_months",
    "service_hours.days", "service_hours.open", "service_hours.close",
    "standards.consultation_response_minutes", "standards.complaint_contact_hours",
    "standards.complaint_solution_workdays", "standards.followup_coverage_pct",
    "targets.consultation_resolution_pct", "targets.complaint_satisfaction_pct", "targets.followup_satisfaction_pct",
    "fees.monthly_base_fee", "fees.bonus_pct", "fees.penalty_step_pct", "fees.penalty_per_step_pct",
    "fees.payment_workdays", "fees.invoice_workdays",
    "liability.late_payment_daily_pct", "liability.termination_overdue_days", "liability.breach_penalty_pct",
    "liability.confidentiality_penalty",
]


def get(terms: Terms, dotted: str):
    node = terms
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def exact(value):
    """Compare exactly: a Decimal also by its digits (0.05 must not be 0.0500000001)."""
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return value.normalize()
    return value


@pytest.fixture(scope="module")
def sample_terms_file():
    return load_terms(SAMPLES / "contract.yaml")


def round_trip(tmp_path: Path, docx_path: Path, extra=None) -> Terms:
    extraction = extract_terms(docx_path)
    assert extraction.missing == []
    out = write_terms_yaml(extraction, tmp_path / "contract.yaml", extra=NOT_IN_TEXT if extra is None else extra)
    return load_terms(out)


# -- the fixture is the shared template --------------------------------------------------


def test_fixture_is_the_shared_template():
    if not SHARED.exists():
        pytest.skip("../shared/seed is not beside this checkout")
    assert FIXTURE.read_text(encoding="utf-8") == SHARED.read_text(encoding="utf-8")


def test_every_slot_is_in_the_template_once():
    text = template_text()
    for key, (blank, _) in SLOTS.items():
        assert text.count(blank) == 1, key


def test_layout_is_every_key_of_the_terms_model():
    written = [f"{s}.{k}" if s else k for s, keys in LAYOUT for k in keys]
    model = []
    for name, info in Terms.model_fields.items():
        if info.exclude:
            continue
        sub = info.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            model += [f"{name}.{k}" for k in sub.model_fields]
        else:
            model.append(name)
    assert written == model


# -- round trips ----------------------------------------------------------------------------


def test_sample_contract_round_trip_equals_the_sample_terms(tmp_path, sample_terms_file):
    path = make_docx(tmp_path / "电子公司客户支持服务合同.docx", fill(SAMPLE_FILL))
    terms = round_trip(tmp_path, path)
    for key in CONTRACT_KEYS:
        assert exact(get(terms, key)) == exact(get(sample_terms_file, key)), key
    # and the keys it cannot contain are the spec defaults or what was given
    assert terms.contract.id == "CS-2026-001"
    assert terms.contract.timezone == "Asia/Shanghai"
    assert terms.fees.penalty_rounding == "ceil" and terms.fees.penalty_cap_pct == 100
    assert terms.liability.total_contract_amount is None
    assert terms.na_counts_as == "met" and terms.standards.complaint_contact_clock == "calendar"


@pytest.mark.parametrize(
    "spelling, options",
    [
        (CHINESE_FILL, {"full_width": True}),
        (CAPITAL_FILL, {"tables": ("基础服务费:", "公司名称:"), "runs": 3}),
        (SAMPLE_FILL, {"runs": 1, "full_width": True, "tables": ("服务质量:", "支付方式:", "签订日期")}),
        (MIXED_FILL, MIXED_OPTIONS),
    ],
    ids=["chinese-numerals-full-width", "capital-numerals-tables-split-runs", "one-run-per-character", "docs-example"],
)
def test_other_spellings_give_the_same_terms(tmp_path, sample_terms_file, spelling, options):
    path = make_docx(tmp_path / "contract.docx", fill(spelling), **options)
    document = docx.Document(str(path))
    body = "".join(p.text for p in document.paragraphs)
    assert len(document.paragraphs) > 40 and len(document.tables) >= len(options.get("tables", ()))
    assert ("：" in body and "，" in body) == bool(options.get("full_width"))
    terms = round_trip(tmp_path, path)
    for key in CONTRACT_KEYS:
        assert exact(get(terms, key)) == exact(get(sample_terms_file, key)), key


def test_written_file_quotes_each_sentence_and_reads_numbers_exactly(tmp_path):
    path = make_docx(tmp_path / "c.docx", fill(SAMPLE_FILL))
    out = write_terms_yaml(extract_terms(path), tmp_path / "contract.yaml", extra=NOT_IN_TEXT)
    text = out.read_text(encoding="utf-8")
    assert 'monthly_base_fee: "200000.00"' in text
    assert 'confidentiality_penalty: "500000.00"' in text
    assert 'open: "09:00"' in text and 'close: "21:00"' in text
    assert "late_payment_daily_pct: 0.05" in text
    assert re.search(r"consultation_response_minutes: \{phone: 1, chat: 2, email: 240\} +# C1 「.*响应时间不超过电话1分钟", text)
    assert re.search(r"late_payment_daily_pct: 0\.05 +# C17 「.*未支付金额的0\.05%", text)
    assert "# 签订日期: 甲方 2025-12-20, 乙方 2025-12-22" in text
    terms = load_terms(out)
    assert terms.liability.late_payment_daily_pct == Decimal("0.05")
    assert str(terms.liability.late_payment_daily_pct) == "0.05"
    assert terms.fees.monthly_base_fee == Decimal("200000.00")
    # the spec's section order
    sections = [line.split(":")[0] for line in text.splitlines() if re.match(r"^[a-z_]+:", line)]
    assert sections == ["contract", "term", "service_hours", "calendar_overrides", "standards", "targets",
                        "na_counts_as", "fees", "liability"]


def test_24_hours_a_day_7_days_a_week(tmp_path):
    text = fill({**SAMPLE_FILL, "hours_per_day": "24", "days_per_week": "7", "service_time": "全天24小时"})
    terms = round_trip(tmp_path, make_docx(tmp_path / "c.docx", text))
    assert (terms.service_hours.days, terms.service_hours.open, terms.service_hours.close) == ("all", 0, 24 * 60)


def test_7x24_written_as_one_figure_with_the_time_range_left_as_in_the_template(tmp_path):
    values = {k: v for k, v in SAMPLE_FILL.items() if k not in ("hours_per_day", "days_per_week", "service_time")}
    text = fill(values).replace("提供凶小时/天,凶天/周", "提供7×24小时")
    terms = round_trip(tmp_path, make_docx(tmp_path / "c.docx", text))
    assert (terms.service_hours.days, terms.service_hours.open, terms.service_hours.close) == ("all", 0, 1440)


def test_workdays_nine_to_six(tmp_path):
    text = fill({**SAMPLE_FILL, "hours_per_day": "9", "days_per_week": "5", "service_time": "周一至周五9:00-18:00"})
    ex = extract_terms(make_docx(tmp_path / "c.docx", text))
    assert ex.values["service_hours.days"] == "workdays"
    assert (ex.values["service_hours.open"], ex.values["service_hours.close"]) == ("09:00", "18:00")
    assert ex.warnings == []


def test_service_days_from_the_time_range_and_hours_written_per_day_and_week(tmp_path):
    values = {k: v for k, v in SAMPLE_FILL.items() if k not in ("hours_per_day", "days_per_week", "service_time")}
    text = fill({**values, "service_time": "周一至周日9:00-21:00"}).replace("提供凶小时/天,凶天/周", "提供每天12小时")
    ex = extract_terms(make_docx(tmp_path / "a.docx", text))
    assert ex.missing == [] and ex.values["service_hours.days"] == "all" and ex.values["info.hours_per_day"] == 12
    text = fill({**values, "service_time": "9:00-18:00"}).replace("提供凶小时/天,凶天/周", "提供每天9小时,每周5天")
    ex = extract_terms(make_docx(tmp_path / "b.docx", text))
    assert ex.missing == [] and ex.values["service_hours.days"] == "workdays" and ex.warnings == []


def test_party_names_without_the_company_name_label(tmp_path):
    text = fill(SAMPLE_FILL)
    text = text.replace("甲方(委托方):公司名称:华东星辰电子有限公司", "甲方:华东星辰电子有限公司")
    text = text.replace("乙方(受托方):公司名称:汇联客户服务外包有限公司", "乙方(受托方):Huilian Outsourcing Co., Ltd.")
    ex = extract_terms(make_docx(tmp_path / "c.docx", text))
    assert ex.values["contract.party_a"] == "华东星辰电子有限公司"
    assert ex.values["contract.party_b"] == "Huilian Outsourcing Co., Ltd."


def test_hours_a_day_that_disagree_with_the_time_range_are_a_warning(tmp_path):
    text = fill({**SAMPLE_FILL, "hours_per_day": "12", "service_time": "9:00-18:00"})
    ex = extract_terms(make_docx(tmp_path / "c.docx", text))
    assert ex.missing == []
    assert any("12小时/天" in w and "9 hours" in w for w in ex.warnings)


def test_a_value_in_a_tracked_insertion_is_read_and_the_deleted_blank_is_not(tmp_path):
    path = make_docx(tmp_path / "c.docx", fill(SAMPLE_FILL))
    document = docx.Document(str(path))
    para = next(p for p in document.paragraphs if "逾期超过30日" in p.text)
    # rewrite the paragraph as Word does with track changes on: <w:del>凶</w:del><w:ins>45</w:ins>
    before, after = para.text.split("30", 1)
    for run in list(para.runs):
        run._r.getparent().remove(run._r)
    para.add_run(before)
    deleted = OxmlElement("w:del")
    r = OxmlElement("w:r")
    dt_el = OxmlElement("w:delText")
    dt_el.text = "凶"
    r.append(dt_el)
    deleted.append(r)
    para._p.append(deleted)
    inserted = OxmlElement("w:ins")
    inserted.append(copy.deepcopy(para.add_run("4")._r))
    inserted.append(copy.deepcopy(para.add_run("5")._r))
    para._p.remove(para.runs[-1]._r)
    para._p.remove(para.runs[-1]._r)
    para._p.append(inserted)
    para.add_run(after)
    document.save(str(path))
    ex = extract_terms(path)
    assert ex.values["liability.termination_overdue_days"] == 45
    assert ex.missing == []


# -- blanks left unfilled ---------------------------------------------------------------------


def test_blanks_left_as_x_or_garbled_are_missing_with_their_clause(tmp_path):
    values = {k: v for k, v in SAMPLE_FILL.items() if k not in ("fees.bonus_pct", "standards.complaint_contact_hours")}
    # fees.bonus_pct is still "X%" in the template; the C2 blank is still the garbled 凶
    ex = extract_terms(make_docx(tmp_path / "c.docx", fill(values)))
    missing = {m.key: m for m in ex.missing}
    assert set(missing) == {"fees.bonus_pct", "standards.complaint_contact_hours"}
    assert missing["fees.bonus_pct"].clause.startswith("C13 四 绩效奖励")
    assert "blank not filled" in missing["fees.bonus_pct"].reason
    assert "基础服务费X%的绩效奖励" in missing["fees.bonus_pct"].reason
    assert missing["standards.complaint_contact_hours"].clause.startswith("C2 ")


@pytest.mark.parametrize("blank", ["____", "", "  ", "X", "XX"])
def test_underscores_or_empty_are_missing(tmp_path, blank):
    ex = extract_terms(make_docx(tmp_path / "c.docx", fill({**SAMPLE_FILL, "fees.payment_workdays": blank})))
    assert [m.key for m in ex.missing] == ["fees.payment_workdays"]
    assert ex.missing[0].clause == "C15 四 支付: 每月结束后的X个工作日内"


def test_unreadable_value_and_clause_not_found_are_missing(tmp_path):
    text = fill({**SAMPLE_FILL, "fees.invoice_workdays": "若干"})
    text = text.replace("合同总金额的20%", "合同总额的一部分")
    ex = extract_terms(make_docx(tmp_path / "c.docx", text))
    missing = {m.key: m.reason for m in ex.missing}
    assert missing["fees.invoice_workdays"].startswith("cannot read '若干' as a whole number of working days")
    assert missing["liability.breach_penalty_pct"] == "clause not found in the document"


def test_a_clause_twice_with_different_values_is_missing(tmp_path):
    text = fill(SAMPLE_FILL) + "补充条款:逾期超过60日的,乙方有权解除合同。"
    ex = extract_terms(make_docx(tmp_path / "c.docx", text))
    assert [m.key for m in ex.missing] == ["liability.termination_overdue_days"]
    assert "2 times with different values" in ex.missing[0].reason


def test_empty_template_lists_every_blank(tmp_path):
    ex = extract_terms(make_docx(tmp_path / "c.docx", template_text()))
    assert ex.terms_keys_found() == []
    assert len(ex.missing) == len(CONTRACT_KEYS)
    assert {m.key for m in ex.missing} == set(CONTRACT_KEYS)


def test_allow_missing_writes_null_and_validation_names_the_key(tmp_path):
    values = {k: v for k, v in SAMPLE_FILL.items() if k != "fees.bonus_pct"}
    path = make_docx(tmp_path / "c.docx", fill(values))
    out = tmp_path / "contract.yaml"
    result = extract_to_file(path, out, allow_missing=True, extra=NOT_IN_TEXT)
    assert result.written and result.exit_code == 0
    assert re.search(r"^  bonus_pct: null +# C13 MISSING: blank not filled", out.read_text(encoding="utf-8"), re.M)
    assert [e.key for e in result.to_fill] == ["fees.bonus_pct"] and result.invalid == []
    with pytest.raises(TermsError) as info:
        load_terms(out)
    assert info.value.key == "fees.bonus_pct"


def test_missing_blank_fails_and_writes_nothing(tmp_path):
    values = {k: v for k, v in SAMPLE_FILL.items() if k != "term.end"}
    out = tmp_path / "contract.yaml"
    result = extract_to_file(make_docx(tmp_path / "c.docx", fill(values)), out)
    assert result.exit_code == 1 and not result.written and not out.exists()
    assert [m.key for m in result.unresolved] == ["term.end"]
    # a value given with --set resolves it
    result = extract_to_file(tmp_path / "c.docx", out, extra={**NOT_IN_TEXT, "term.end": "2026-12-31"})
    assert result.exit_code == 0 and result.written and result.to_fill == []
    assert load_terms(out).term.end == dt.date(2026, 12, 31)


def test_keys_not_in_the_contract_are_written_without_value_for_validation_to_name(tmp_path):
    out = tmp_path / "contract.yaml"
    result = extract_to_file(make_docx(tmp_path / "c.docx", fill(SAMPLE_FILL)), out)
    assert result.exit_code == 0 and result.invalid == []
    assert sorted(e.key for e in result.to_fill) == sorted(NOT_IN_TEXT)
    text = out.read_text(encoding="utf-8")
    assert re.search(r"^  id: null +# not in the contract text: fill in", text, re.M)
    with pytest.raises(TermsErrors) as info:
        load_terms(out)
    assert sorted(e.key for e in info.value.errors) == sorted(NOT_IN_TEXT)


def test_a_contract_value_out_of_range_fails_validation(tmp_path):
    text = fill({**SAMPLE_FILL, "targets.complaint_satisfaction_pct": "120%"})
    result = extract_to_file(make_docx(tmp_path / "c.docx", text), tmp_path / "contract.yaml", extra=NOT_IN_TEXT)
    assert result.written and result.exit_code == 1
    assert [e.key for e in result.invalid] == ["targets.complaint_satisfaction_pct"]


def test_not_a_docx_is_a_clear_error(tmp_path):
    bad = tmp_path / "contract.docx"
    bad.write_text("not a zip", encoding="utf-8")
    with pytest.raises(dtm.DocxError, match="contract.docx"):
        extract_terms(bad)
    with pytest.raises(dtm.DocxError, match="no such file"):
        extract_terms(tmp_path / "absent.docx")


# -- the command (after its code is pasted into sla_lib/cli.py) ------------------------------


def _run(capsys, *argv):
    from conftest import run_cli

    return run_cli(capsys, *argv)


def _need_command():
    from sla_lib import cli

    if not hasattr(cli, "terms"):
        pytest.skip("`sla terms extract` is not in sla_lib/cli.py yet")


def test_command_exits_1_on_missing_and_0_with_allow_missing(tmp_path, capsys):
    _need_command()
    values = {k: v for k, v in SAMPLE_FILL.items() if k != "fees.bonus_pct"}
    path = make_docx(tmp_path / "c.docx", fill(values))
    out = tmp_path / "contract.yaml"
    code, stdout, stderr = _run(capsys, "terms", "extract", str(path), "--out", str(out))
    assert code == 1 and not out.exists()
    assert "missing: fees.bonus_pct (C13" in stdout and "not written" in stderr
    code, stdout, _ = _run(capsys, "terms", "extract", str(path), "--out", str(out), "--allow-missing",
                           "--set", "contract.id=CS-2026-001", "--set", "standards.satisfied_min_score=4",
                           "--set", "liability.repeated_failure_months=2")
    assert code == 0 and out.exists()
    assert "to fill in: fees.bonus_pct" in stdout


def test_command_full_contract(tmp_path, capsys):
    _need_command()
    path = make_docx(tmp_path / "c.docx", fill(SAMPLE_FILL))
    out = tmp_path / "contract.yaml"
    code, stdout, _ = _run(capsys, "terms", "extract", str(path), "--out", str(out), "--set", "contract.id=CS-2026-001",
                           "--set", "standards.satisfied_min_score=4", "--set", "liability.repeated_failure_months=2")
    assert code == 0, stdout
    assert "validation (load_terms): OK" in stdout
    assert load_terms(out).fees.monthly_base_fee == Decimal("200000.00")


# -- the value readers ----------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [
    ("30", "30"), ("0.05", "0.05"), ("200,000.00", "200000.00"), ("三十", "30"), ("十五", "15"), ("二十四", "24"),
    ("一百", "100"), ("两", "2"), ("〇", "0"), ("零", "0"), ("一百零五", "105"), ("一百五", "150"), ("三万五", "35000"),
    ("贰拾万", "200000"), ("壹拾伍", "15"), ("20万", "200000"), ("1.5万", "15000"), ("二〇二六", "2026"),
    ("三点五", "3.5"), ("零点零五", "0.05"), ("十", "10"), ("一千零二十", "1020"), ("半", "0.5"), ("一个半", "1.5"),
])
def test_parse_number(text, value):
    assert parse_number(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "1,5", "十百", "一二三四五六七八九十", "abc", "三成"])
def test_parse_number_rejects(text):
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize("text, value", [
    ("5%", "5"), ("5", "5"), ("0.05%", "0.05"), ("百分之五", "5"), ("百分之零点零五", "0.05"), ("万分之五", "0.05"),
    ("千分之一", "0.1"), ("1个百分点", "1"), ("5%(百分之五)", "5"), ("5%(含)", "5"),
])
def test_parse_percent(text, value):
    assert parse_percent(normalize(text)) == Decimal(value)


def test_percent_in_figures_and_words_must_agree():
    with pytest.raises(ValueError, match="differ"):
        parse_percent("5%(百分之六)")


@pytest.mark.parametrize("text, value", [
    ("人民币20万元", "200000"), ("200,000.00元", "200000.00"), ("贰拾万元整", "200000"), ("¥200000", "200000"),
    ("￥200,000", "200000"), ("RMB 200000", "200000"), ("人民币贰拾万元整(¥200,000.00)", "200000"),
    ("200,000元(大写:人民币贰拾万元整)", "200000"), ("壹仟贰佰元伍角", "1200.5"), ("1234.56元", "1234.56"),
])
def test_parse_amount(text, value):
    assert parse_amount(normalize(text)) == Decimal(value)


def test_amount_in_figures_and_words_must_agree():
    with pytest.raises(ValueError, match="differ"):
        parse_amount("200,000元(大写:贰拾壹万元整)")


@pytest.mark.parametrize("text, value", [
    ("2026年1月1日", dt.date(2026, 1, 1)), ("2026年01月01日", dt.date(2026, 1, 1)), ("2026-01-01", dt.date(2026, 1, 1)),
    ("2026.1.1", dt.date(2026, 1, 1)), ("2026/12/31", dt.date(2026, 12, 31)), ("二〇二六年十二月三十一日", dt.date(2026, 12, 31)),
    ("2026年十二月三十一日", dt.date(2026, 12, 31)),
])
def test_parse_date(text, value):
    assert dtm._parse_date(normalize(text)) == value


@pytest.mark.parametrize("text, value", [
    ("9:00-18:00", ("09:00", "18:00")), ("09:00—21:00", ("09:00", "21:00")), ("9：00～18：00", ("09:00", "18:00")),
    ("上午9点至晚上9点", ("09:00", "21:00")), ("8点半到17点半", ("08:30", "17:30")), ("00:00-24:00", ("00:00", "24:00")),
    ("全天24小时", ("00:00", "24:00")), ("周一至周五 9:00 - 18:00", ("09:00", "18:00")), ("早上八点至下午六点", ("08:00", "18:00")),
])
def test_parse_time_range(text, value):
    assert dtm._parse_time_range(normalize(text)) == value


@pytest.mark.parametrize("text", ["9:00-12:00,13:00-18:00", "9:00", "25:00-26:00"])
def test_parse_time_range_rejects(text):
    with pytest.raises(ValueError):
        dtm._parse_time_range(normalize(text))


@pytest.mark.parametrize("text, months", [("一年", 12), ("壹年", 12), ("1年", 12), ("12个月", 12), ("半年", 6), ("两年", 24)])
def test_parse_months(text, months):
    assert dtm._parse_months(text) == months


def test_normalize():
    assert normalize("不低于 ９０ ％，") == "不低于90%,"
    assert normalize("【30】天") == "30天"
    assert normalize("Huilian Services Co., Ltd.") == "Huilian Services Co., Ltd."
    assert normalize("客户回访满意度不低于凶虬乙方") == "客户回访满意度不低于X%乙方"


def test_parse_assignment():
    assert parse_assignment("contract.id=CS-2026-001") == ("contract.id", "CS-2026-001")
    assert parse_assignment("standards.satisfied_min_score=4") == ("standards.satisfied_min_score", 4)
    assert parse_assignment("fees.penalty_cap_pct=30.5") == ("fees.penalty_cap_pct", Decimal("30.5"))
    with pytest.raises(ValueError, match="no such key"):
        parse_assignment("fees.cap=3")
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_assignment("contract.id")


if __name__ == "__main__":
    # Write the example contract of docs/terms-extract.md:
    #   python tests/test_docx_terms.py OUT.docx [KEY ...]   (KEYs left blank as in the template)
    import sys

    out, *blank = sys.argv[1:]
    make_docx(Path(out), fill({k: v for k, v in MIXED_FILL.items() if k not in blank}), **MIXED_OPTIONS)
    print(f"wrote {out}")
