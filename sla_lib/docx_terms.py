"""Read the signed contract (.docx) and write its terms file (spec section 8).

The contract is the template 电子公司客户支持服务合同 with every blank ("X") filled in by
hand. Each blank is found by the template's own wording around it: the table ``CLAUSES``
below holds, for every terms key, the clause patterns, the kind of value and the clause
label. The code only reads the document, normalises its text, applies the table and parses
the values; a new spelling of a clause is a new pattern in the table, not new code.

    extraction = extract_terms("电子公司客户支持服务合同.docx")
    extraction.found        # key -> Found(key, value, clause, quote, raw)
    extraction.missing      # [(key, clause, reason)] blanks unfilled, unreadable or not found
    write_terms_yaml(extraction, "contract.yaml", extra={"contract.id": "CS-2026-001"})

Numbers are exact ``Decimal``/``int`` from the text (never a float); money is written
quoted with two decimals, times quoted ("09:00"), so ``load_terms`` reads exactly what the
contract says.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

from .errors import SlaError, TermsError, TermsErrors

__all__ = [
    "CLAUSES",
    "LAYOUT",
    "DocxError",
    "ExtractResult",
    "Extraction",
    "Found",
    "Missing",
    "extract_terms",
    "extract_to_file",
    "normalize",
    "parse_amount",
    "parse_assignment",
    "parse_number",
    "parse_percent",
    "write_terms_yaml",
]


class DocxError(SlaError):
    """The contract file cannot be read as a Word .docx document."""


# -- the clause table (data) -------------------------------------------------------------
#
# Patterns run on the normalised text (see ``normalize``): half-width punctuation
# (, : ; ( ) %), no spaces, 凶 -> X, 虬 -> %, paragraphs and table rows one per line.
# ``{v}`` is the blank: one value, no clause punctuation (, ; 。) so a match never spans two
# clauses; ``{amount}`` may hold thousands commas and a "(大写: …)" part; ``{text}`` may hold
# commas (a time range, a list per channel); ``{name}`` runs to the end of the line.
# The first pattern of a row that matches wins.

_SLOTS = {
    "v": r"(?P<v>[^,;。\n]{0,30}?)",
    "amount": r"(?P<v>[^;。\n]{0,60}?)",
    "text": r"(?P<v>[^;。\n]{0,80}?)",
    "name": r"(?P<v>[^\n]{0,80}?)",
    "pct_end": r"(?:%|个?百分点|(?=[,;。\n]|$))",
    "end": r"(?=[,;。\n]|$)",
    "name_end": r"(?=法定代表人|地址|联系方式|统一社会信用代码|\n|$)",
}


@dataclass(frozen=True)
class Clause:
    key: str | tuple[str, ...]  # terms key(s); "info.*" keys are reported but not written
    kind: str  # see _PARSERS
    label: str  # clause id and the template's wording, X for the blank
    patterns: tuple[str, ...]
    placeholders: tuple[str, ...] = ()  # template text standing for the blank


CLAUSES: tuple[Clause, ...] = (
    Clause("contract.party_a", "name", "甲方(委托方) 公司名称",
           (r"甲方(?:\(委托方\))?:?\n?公司名称:?{name}{name_end}",
            r"甲方\(委托方\):?\n?(?!公司名称){name}{name_end}",
            r"(?m)^甲方:(?!\n?公司名称){name}{name_end}"),
           ("甲方公司全称",)),
    Clause("contract.party_b", "name", "乙方(受托方) 公司名称",
           (r"乙方(?:\(受托方\))?:?\n?公司名称:?{name}{name_end}",
            r"乙方\(受托方\):?\n?(?!公司名称){name}{name_end}",
            r"(?m)^乙方:(?!\n?公司名称){name}{name_end}"),
           ("乙方公司全称",)),
    Clause("standards.consultation_response_minutes", "minutes", "C1 一 客户咨询: 响应时间不超过X分钟",
           (r"响应时间(?:均|应)?不(?:超过|得超过|大于)[::]?{text}分钟(?=[;。\n]|$)",
            r"响应时间(?:均|应)?不(?:超过|得超过|大于){v}分钟")),
    Clause("standards.complaint_contact_hours", "hours", "C2 一 投诉处理: 接到投诉后的X小时内与客户取得联系",
           (r"接到投诉后的?{v}(?:个)?小时内",)),
    Clause("standards.complaint_solution_workdays", "workdays", "C3 一 投诉处理: 在X个工作日内给出初步解决方案",
           (r"在{v}个?工作日内给出初步解决方案",)),
    Clause("standards.followup_coverage_pct", "pct", "C6 一 客户回访: 不少于甲方当月新增客户数量的X",
           (r"新增客户(?:数量|数)的{v}(?:%|(?=[,;。\n]|$|并))",)),
    Clause("term.start", "date", "C7 二 服务期限: 自起始日期起",
           (r"服务期限(?:为|:)*自{v}起?,?至",
            r"服务期限(?:为|:)+{v}起?,?至"),
           ("起始日期",)),
    Clause("term.end", "date", "C7 二 服务期限: 至截止日期止",
           (r"服务期限[^。\n]{0,40}?至{v}止?{end}",),
           ("截止日期",)),
    Clause("term.auto_renewal_check_days", "days", "C7 二 服务期限: 合同期满前X天,双方如无异议,则自动延续",
           (r"期满前{v}[天日]",)),
    Clause("term.renewal_months", "months", "C7 二 服务期限: 自动延续(延续时长)",
           (r"自动(?:延续|续期|续展|顺延|续约)(?:延续时长为|期限为|为|:)?{v}{end}",),
           ("延续时长",)),
    Clause("term.objection_notice_days", "days", "C7 二 服务期限: 需提前X天书面通知对方",
           (r"提前{v}[天日](?:以?书面|通知)",)),
    Clause("info.hours_per_day", "hours", "C8 三 服务时间: X小时/天",
           (r"提供{v}小时/(?:天|日)",
            r"每(?:天|日){v}小时",
            r"提供\d+[×xX*]{v}小时")),
    Clause("service_hours.days", "days_per_week", "C8 三 服务时间: X天/周",
           (r"小时/(?:天|日),?{v}天/(?:周|星期)",
            r"每(?:周|星期){v}天",
            r"提供{v}[×xX*]\d+小时")),
    Clause(("service_hours.open", "service_hours.close"), "time_range", "C8 三 服务时间: 具体服务时间为(服务时间段)",
           (r"具体服务时间(?:段)?(?:为|是)?:?{text}(?=[;。\n]|$)",),
           ("详细列出服务时间段",)),
    Clause("targets.consultation_resolution_pct", "pct", "C9 三 服务质量: 客户咨询解决率不低于X%",
           (r"咨询解决率(?:应)?不低于{v}{pct_end}",)),
    Clause("targets.complaint_satisfaction_pct", "pct", "C10 三 服务质量: 投诉处理满意度不低于X%",
           (r"投诉处理满意度(?:应)?不低于{v}{pct_end}",)),
    Clause("targets.followup_satisfaction_pct", "pct", "C11 三 服务质量: 客户回访满意度不低于X%",
           (r"回访满意度(?:应)?不低于{v}(?:%|个?百分点|(?=[,;。\n]|$|乙方))",)),
    Clause("fees.monthly_base_fee", "money", "C12 四 基础服务费: 每月人民币X元",
           (r"基础服务费:?每月{amount}(?=,?用于|[;。\n]|$)",)),
    Clause("fees.bonus_pct", "pct", "C13 四 绩效奖励: 给予乙方当月基础服务费X%的绩效奖励",
           (r"给予乙方当月基础服务费的?{v}(?:%|(?=的?绩效奖励|[,;。\n]|$))",)),
    Clause("fees.penalty_step_pct", "pct", "C14 四 绩效惩罚: 每低X%",
           (r"每低{v}(?:%|个?百分点|(?=[,;。\n]|$|扣除))",)),
    Clause("fees.penalty_per_step_pct", "pct", "C14 四 绩效惩罚: 扣除当月基础服务费的X%",
           (r"扣除当月基础服务费的?{v}{pct_end}",)),
    Clause("fees.payment_workdays", "workdays", "C15 四 支付: 每月结束后的X个工作日内",
           (r"每月结束后的?{v}个?工作日内",)),
    Clause("fees.invoice_workdays", "workdays", "C16 四 发票: 收到款项后的X个工作日内",
           (r"收到款项后的?{v}个?工作日内",)),
    Clause("liability.late_payment_daily_pct", "pct", "C17 六 违约: 每逾期一日,按照未支付金额的X%",
           (r"未支付金额的{v}(?:%|(?=向乙方|[,;。\n]|$))",)),
    Clause("liability.termination_overdue_days", "days", "C18 六 违约: 逾期超过X日的,乙方有权解除合同",
           (r"逾期超过{v}[日天]",)),
    Clause("liability.breach_penalty_pct", "pct", "C19 六 违约: 合同总金额的X%",
           (r"合同总金额的{v}(?:%|(?=向甲方|[,;。\n]|$))",)),
    Clause("liability.confidentiality_penalty", "money", "C20 六 保密: 支付违约金人民币X元",
           (r"保密义务[^。\n]{0,20}?违约金{amount}(?=,?若|[;。\n]|$)",)),
    Clause("info.signed_party_a", "date", "八 甲方(盖章) 签订日期",
           (r"甲方\(盖章\)[\s\S]{0,60}?签订日期:?{v}(?=乙方|\n|$)",)),
    Clause("info.signed_party_b", "date", "八 乙方(盖章) 签订日期",
           (r"乙方\(盖章\)[\s\S]{0,60}?签订日期:?{v}(?=甲方|\n|$)",)),
)

# Keys of the terms file the contract text does not contain: (default, comment).
# FILL: no spec default; written with no value so that validation names the key.
FILL = object()
NOT_IN_CONTRACT: dict[str, tuple[object, str]] = {
    "contract.id": (FILL, "not in the contract text: fill in (e.g. CS-2026-001)"),
    "contract.timezone": ("Asia/Shanghai", "spec default (not in the contract text)"),
    "calendar_overrides.holidays": ([], "spec default: dates the holiday package lacks"),
    "calendar_overrides.workdays": ([], "spec default: dates the holiday package lacks"),
    "standards.complaint_contact_clock": ("calendar", "spec default: C2 hours on the calendar clock"),
    "standards.satisfied_min_score": (FILL, "not in the contract text: fill in (lowest 1-5 score that counts as satisfied)"),
    "na_counts_as": ("met", "spec default: a KPI with no data counts as met"),
    "fees.penalty_rounding": ("ceil", "spec default: each started step counts"),
    "fees.penalty_cap_pct": (Decimal(100), "spec default: no cap below the base fee"),
    "liability.repeated_failure_months": (FILL, "not in the contract text: fill in (failing months that count as 多次)"),
    "liability.total_contract_amount": (None, "spec default: base fee x months of the term"),
}

# The terms file, in the spec's section order. Each entry: (section or None, keys).
LAYOUT: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    ("contract", ("id", "party_a", "party_b", "timezone")),
    ("term", ("start", "end", "auto_renewal_check_days", "objection_notice_days", "renewal_months")),
    ("service_hours", ("days", "open", "close")),
    ("calendar_overrides", ("holidays", "workdays")),
    ("standards", ("consultation_response_minutes", "complaint_contact_hours", "complaint_contact_clock",
                   "complaint_solution_workdays", "followup_coverage_pct", "satisfied_min_score")),
    ("targets", ("consultation_resolution_pct", "complaint_satisfaction_pct", "followup_satisfaction_pct")),
    (None, ("na_counts_as",)),
    ("fees", ("monthly_base_fee", "bonus_pct", "penalty_step_pct", "penalty_per_step_pct", "penalty_rounding",
              "penalty_cap_pct", "payment_workdays", "invoice_workdays")),
    ("liability", ("late_payment_daily_pct", "termination_overdue_days", "repeated_failure_months",
                   "breach_penalty_pct", "total_contract_amount", "confidentiality_penalty")),
)
MONEY_KEYS = {"fees.monthly_base_fee", "liability.total_contract_amount", "liability.confidentiality_penalty"}
TIME_KEYS = {"service_hours.open", "service_hours.close"}


def _all_layout_keys() -> list[str]:
    return [f"{section}.{k}" if section else k for section, keys in LAYOUT for k in keys]


# -- text normalisation ------------------------------------------------------------------

_TRANSLATE = str.maketrans({
    "凶": "X",  # the garbled X of the template
    "虬": "%",  # the garbled % ("凶虬" = "X%")
    "【": None, "】": None, "〖": None, "〗": None, "[": None, "]": None, "〔": "(", "〕": ")",
    "—": "-", "–": "-", "―": "-", "−": "-", "‐": "-", "‑": "-", "～": "-", "~": "-", "〜": "-",
    "·": "", "\u200b": None, "\ufeff": None, "○": "〇", "◯": "〇",
})


def _space(m: re.Match) -> str:
    s = m.string
    before = s[m.start() - 1] if m.start() > 0 else ""
    after = s[m.end()] if m.end() < len(s) else ""
    return " " if re.fullmatch(r"[A-Za-z.,&)]", before) and re.fullmatch(r"[A-Za-z(&]", after) else ""


def normalize(text: str) -> str:
    """One line of contract text as the patterns see it: NFKC (full-width digits, letters
    and punctuation to half-width, ％ -> %, ￥ -> ¥, ideographic space -> space), dashes
    and tildes to '-', brackets 【】 dropped, the template's garbled 凶/虬 to X/%, and spaces
    removed (kept only between two Latin words, for company names in English)."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = re.sub(r"[ \t\r\f\v\xa0]+", " ", text)
    text = re.sub(r"-+", "-", text.strip())
    return re.sub(r" +", _space, text)


# -- reading the .docx ---------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _paragraph_text(p) -> str:
    """All visible text of a w:p: every run, also inside hyperlinks, content controls,
    tracked insertions, smart tags and fields' results; deleted text (w:delText) and field
    codes (w:instrText) are not w:t and so are left out."""
    parts = []

    def walk(el):
        for child in el:
            tag = child.tag
            if tag == _MC_FALLBACK:  # the same text box again, for old readers
                continue
            if tag == _W + "t":
                parts.append(child.text or "")
            elif tag in (_W + "tab", _W + "br", _W + "cr"):
                parts.append(" ")
            elif tag == _W + "noBreakHyphen":
                parts.append("-")
            elif tag == _W + "p":  # a text box inside the paragraph
                parts.append("\n")
                walk(child)
                parts.append("\n")
            else:
                walk(child)

    walk(p)
    return "".join(parts)


def _blocks(container):
    """Paragraphs and table rows in document order; a table row is one block (its cells'
    text joined), so a label in one cell and the value in the next read as one clause."""
    for child in container:
        tag = child.tag
        if tag == _W + "p":
            yield _paragraph_text(child)
        elif tag == _W + "tbl":
            # rows and cells may sit in content controls; rows of nested tables come with their cell
            for tr in child.iter(_W + "tr"):
                if next(tr.iterancestors(_W + "tbl")) is not child:
                    continue
                cells = [" ".join(_blocks(tc)) for tc in tr.iter(_W + "tc") if next(tc.iterancestors(_W + "tr")) is tr]
                yield " ".join(cells)
        elif tag in (_W + "sdt", _W + "customXml", _W + "sdtContent"):
            inner = child.find(_W + "sdtContent")
            yield from _blocks(inner if inner is not None else child)


def read_docx_lines(docx_path) -> list[str]:
    """The document body's normalised lines: paragraphs and table rows, in order."""
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    path = Path(docx_path)
    if not path.is_file():
        raise DocxError(f"{path}: no such file")
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise DocxError(f"{path}: not a Word .docx file ({exc}); save it from Word as .docx") from None
    except Exception as exc:  # zipfile.BadZipFile, lxml errors: a damaged file
        raise DocxError(f"{path}: cannot read the .docx ({type(exc).__name__}: {exc})") from None
    lines = []
    for raw in _blocks(document.element.body):
        for part in raw.split("\n"):
            line = normalize(part)
            if line:
                lines.append(line)
    return lines


# -- numbers ------------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2,
    "三": 3, "叁": 3, "參": 3, "叄": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6,
    "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
_CN_SMALL = {"十": 10, "拾": 10, "什": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}


def _arabic(text: str) -> Decimal:
    if not re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+", text):
        raise ValueError(text)
    return Decimal(text.replace(",", ""))


def parse_number(text: str) -> Decimal:
    """A number written in digits (``30``, ``0.05``, ``200,000.00``), in Chinese numerals
    (``三十``, ``十五``, ``二十四``, ``一百零五``, ``两``, ``〇``, ``三点五``, ``二〇二六``), in capital
    numerals (``贰拾万``) or mixed (``20万``, ``1.5万``). Exact; ValueError otherwise."""
    s = text.strip()
    if not s:
        raise ValueError("empty")
    if re.fullmatch(r"[\d,.]+", s):
        return _arabic(s)
    if s == "半":
        return Decimal("0.5")
    m = re.fullmatch(r"(.+?)个?半", s)
    if m:
        return parse_number(m.group(1)) + Decimal("0.5")
    if "点" in s:
        whole, frac = s.split("点", 1)
        if not frac or any(c not in _CN_DIGITS and not c.isdigit() for c in frac):
            raise ValueError(s)
        digits = "".join(c if c.isdigit() else str(_CN_DIGITS[c]) for c in frac)
        return (parse_number(whole) if whole else Decimal(0)) + Decimal("0." + digits)
    tokens = re.findall(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|.", s)
    if len(tokens) > 1 and all(t in _CN_DIGITS for t in tokens):  # 二〇二六: digit by digit
        return Decimal("".join(str(_CN_DIGITS[t]) for t in tokens))
    total = Decimal(0)
    section = Decimal(0)
    current: Decimal | None = None
    last_unit = 0
    zero_since_unit = False
    prev = None
    for tok in tokens:
        if tok[0].isdigit():
            if current is not None:
                raise ValueError(s)
            current, prev = _arabic(tok), "digit"
        elif tok in _CN_DIGITS:
            if _CN_DIGITS[tok] == 0:
                zero_since_unit, prev = True, "zero"
                continue
            if current is not None:
                raise ValueError(s)
            current, prev = Decimal(_CN_DIGITS[tok]), "digit"
        elif tok in _CN_SMALL:
            unit = _CN_SMALL[tok]
            if last_unit and unit >= last_unit and section:  # 十百 in the wrong order
                raise ValueError(s)
            section += (current if current is not None else 1) * unit
            current, last_unit, zero_since_unit, prev = None, unit, False, "unit"
        elif tok in _CN_BIG:
            unit = _CN_BIG[tok]
            section += current if current is not None else 0
            if section == 0:
                raise ValueError(s)
            total += section * unit
            section, current, last_unit, zero_since_unit, prev = Decimal(0), None, unit, False, "unit"
        else:
            raise ValueError(s)
    if current is not None:
        # 三万五 = 35000, 一百五 = 150: a digit right after a unit of 百 or more scales one down
        if prev == "digit" and last_unit >= 100 and not zero_since_unit and len(tokens) >= 2 and \
                tokens[-2] in {**_CN_SMALL, **_CN_BIG} and not tokens[-1][0].isdigit():
            current *= Decimal(last_unit) / 10
        section += current
    if prev is None:
        raise ValueError(s)
    return total + section


def _split_alternative(text: str) -> tuple[str, str | None]:
    """'5%(百分之五)' -> ('5%', '百分之五'); the part in brackets repeats the value in words."""
    m = re.fullmatch(r"(.+?)\((?:大写|小写)?[::]?(.+)\)", text)
    if m:
        return m.group(1), m.group(2)
    return text, None


def _with_alternative(parse, text: str) -> Decimal:
    main, alt = _split_alternative(text)
    value = parse(main)
    if alt is not None:
        try:
            other = parse(alt)
        except ValueError:
            return value  # a remark such as (含), not a second spelling
        if other != value:
            raise ValueError(f"'{main}' and '{alt}' differ")
    return value


def _parse_percent(text: str) -> Decimal:
    s = text.strip().removesuffix("个百分点").removesuffix("百分点")
    for prefix, scale in (("百分之", 1), ("千分之", 10), ("万分之", 100)):
        if s.startswith(prefix):
            return parse_number(s[len(prefix):].removesuffix("%")) / scale
    if s.endswith("‰"):
        return parse_number(s[:-1]) / 10
    return parse_number(s.removesuffix("%"))


def parse_percent(text: str) -> Decimal:
    """A percentage in percent: ``5%``, ``5``, ``0.05%``, ``百分之五``, ``百分之零点零五``,
    ``万分之五`` (= 0.05), ``千分之一`` (= 0.1), ``1个百分点``, ``5%(百分之五)``."""
    return _with_alternative(_parse_percent, text)


_CURRENCY = re.compile(r"^(?:人民币|RMB|CNY|¥|\$)+|(?:人民币|RMB|CNY)$")


def _parse_amount(text: str) -> Decimal:
    s = _CURRENCY.sub("", text.strip()).strip(":")
    s = _CURRENCY.sub("", s)
    s = re.sub(r"[元圆]?整$", "", s)
    m = re.fullmatch(r"(.*?)[元圆](?:(.)角)?(?:(.)分)?", s)
    if m and (m.group(2) or m.group(3)):
        jiao = parse_number(m.group(2)) if m.group(2) else 0
        fen = parse_number(m.group(3)) if m.group(3) else 0
        return parse_number(m.group(1)) + Decimal(jiao) / 10 + Decimal(fen) / 100
    s = re.sub(r"[元圆]$", "", s)
    s = re.sub(r"^(?:人民币|RMB|CNY|¥)", "", s)
    return parse_number(s)


def parse_amount(text: str) -> Decimal:
    """An amount in yuan: ``200,000.00元``, ``人民币20万元``, ``¥200000``, ``贰拾万元整``,
    ``壹仟贰佰元伍角``, ``200,000元(大写:贰拾万元整)`` (both spellings must agree). Two decimals
    when the amount has no more (200000 -> 200000.00)."""
    value = _with_alternative(_parse_amount, text)
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value


def _whole(value: Decimal, text: str) -> int:
    if value != value.to_integral_value():
        raise ValueError(f"'{text}' is not a whole number")
    return int(value)


def _parse_count(text: str) -> int:
    s = re.sub(r"个$", "", text.strip())
    return _whole(_with_alternative(parse_number, s), text)


def _parse_decimal(text: str) -> Decimal:
    return _with_alternative(parse_number, re.sub(r"个$", "", text.strip()))


def _parse_months(text: str) -> int:
    s = re.sub(r"(?:的期限|期限|时间)$", "", text.strip())
    m = re.fullmatch(r"(.+?)(个月|月|年|周年)", s)
    if not m:
        raise ValueError(text)
    n = parse_number(m.group(1))
    return _whole(n * 12 if "年" in m.group(2) else n, text)


def _parse_days_per_week(text: str) -> str:
    n = _parse_count(text)
    if n == 7:
        return "all"
    if n == 5:
        return "workdays"
    raise ValueError(f"{n} days a week: the terms file knows 5 (workdays) or 7 (all)")


_CHANNEL_WORDS = (
    ("phone", r"电话|热线|语音|phone"),
    ("email", r"电子邮件|邮件|邮箱|e-?mail"),
    ("chat", r"在线客服|在线|网络|即时通讯|聊天|chat|IM"),
)


def _parse_minutes(text: str):
    """One limit (``5``, ``五``) or one per channel (``电话1分钟、在线客服2分钟、电子邮件240分钟``)."""
    s = text.strip()
    found = {}
    rest = s
    for channel, words in _CHANNEL_WORDS:
        m = re.search(rf"(?:{words})(?:渠道|咨询)?[::]?(?:不超过)?([\d.]+|[零〇一二两三四五六七八九十百千]+)(?:分钟)?",
                      rest, flags=re.IGNORECASE)
        if m:
            found[channel] = parse_number(m.group(1))
            rest = rest[:m.start()] + rest[m.end():]
    if found:
        if re.sub(r"[、,;和及与以内均为:]", "", rest):
            raise ValueError(f"'{s}': text left over after the per-channel limits")
        missing = [c for c, _ in _CHANNEL_WORDS if c not in found]
        if missing:
            raise ValueError(f"'{s}': per-channel limits must name every channel; missing {missing}")
        return {c: found[c] for c in ("phone", "chat", "email")}
    return _parse_decimal(s)


_DATE_PATTERNS = (
    re.compile(r"(?P<y>\d{4})[-./年](?P<m>\d{1,2})[-./月](?P<d>\d{1,2})[日号]?"),
    re.compile(r"(?P<y>[〇零一二三四五六七八九]{4})年(?P<m>[一二三四五六七八九十]{1,3})月(?P<d>[一二三四五六七八九十]{1,4})[日号]"),
    re.compile(r"(?P<y>\d{4})年(?P<m>[一二三四五六七八九十]{1,3})月(?P<d>[一二三四五六七八九十]{1,4})[日号]"),
)


def _parse_date(text: str) -> dt.date:
    """``2026年1月1日``, ``2026年01月01日``, ``2026-01-01``, ``2026.1.1``, ``2026/1/1``, ``二〇二六年一月一日``."""
    s = text.strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(s)
        if m:
            y, mo, d = (int(parse_number(m.group(g))) for g in "ymd")
            try:
                return dt.date(y, mo, d)
            except ValueError as exc:
                raise ValueError(f"'{s}' is not a date: {exc}") from None
    raise ValueError(s)


_CN_HOUR = r"[零〇一二两三四五六七八九十]{1,3}"
_TIME = re.compile(
    rf"(?P<ampm>上午|早上|早晨|中午|下午|晚上|夜间|凌晨)?"
    rf"(?:(?P<h>\d{{1,2}}):(?P<m>\d{{2}})|(?P<h2>\d{{1,2}}|{_CN_HOUR})[点时](?:(?P<half>半)|(?P<m2>\d{{1,2}}|[零〇一二三四五六七八九十]{{1,3}})分?)?)"
)


def _clock(m) -> str:
    if m.group("h") is not None:
        h, minute = int(m.group("h")), int(m.group("m"))
    else:
        h = int(parse_number(m.group("h2")))
        minute = 30 if m.group("half") else int(parse_number(m.group("m2"))) if m.group("m2") else 0
    ampm = m.group("ampm")
    if ampm in ("下午", "晚上", "夜间") and h < 12:
        h += 12
    if ampm == "中午" and h < 11:
        h += 12
    if not (0 <= minute < 60 and (0 <= h < 24 or (h == 24 and minute == 0))):
        raise ValueError(f"not a time of day: {m.group(0)}")
    return f"{h:02d}:{minute:02d}"


def _parse_time_range(text: str) -> tuple[str, str]:
    """``9:00-18:00``, ``09:00—21:00``, ``9:00至21:00``, ``上午9点至晚上9点``, ``8点半到17点半``,
    ``00:00-24:00``, ``全天24小时``: (open, close) as 'HH:MM'."""
    s = text.strip()
    if re.search(r"全天|24小时|二十四小时", s) and not _TIME.search(s.replace("24小时", "")):
        return "00:00", "24:00"
    times = list(_TIME.finditer(s))
    if len(times) != 2:
        raise ValueError(f"'{s}': expected an opening and a closing time")
    between = s[times[0].end():times[1].start()]
    if not re.fullmatch(r"-|至|到|~", between):
        raise ValueError(f"'{s}': expected a range such as 9:00-18:00")
    return _clock(times[0]), _clock(times[1])


def _parse_name(text: str) -> str:
    s = text.strip().strip(":").strip()
    if not s or len(s) > 60:
        raise ValueError(text)
    return s


_PARSERS = {
    "name": (_parse_name, "a company name"),
    "date": (_parse_date, "a date (2026年1月1日 or 2026-01-01)"),
    "days": (_parse_count, "a whole number of days"),
    "workdays": (_parse_count, "a whole number of working days"),
    "months": (_parse_months, "a period (一年, 12个月)"),
    "hours": (_parse_decimal, "a number of hours"),
    "minutes": (_parse_minutes, "a number of minutes"),
    "pct": (parse_percent, "a percentage"),
    "money": (parse_amount, "an amount in yuan"),
    "days_per_week": (_parse_days_per_week, "a number of days a week (5 or 7)"),
    "time_range": (_parse_time_range, "a time range (9:00-18:00)"),
}

_BLANK = re.compile(r"[\sXx_.\-%·…?？、()]*")


def _is_blank(raw: str, placeholders: tuple[str, ...]) -> bool:
    s = re.sub(r"(?:人民币|元|年|月|日|天|个)", "", raw)
    if raw.strip() in placeholders:
        return True
    if _BLANK.fullmatch(s):
        return True
    return bool(re.fullmatch(r"[\sX_]*年[\sX_一]*月[\sX_]*日[\sX_]*", raw))  # 签订日期: 年 月 日


# -- extraction ----------------------------------------------------------------------------


class Missing(NamedTuple):
    key: str
    clause: str
    reason: str


@dataclass(frozen=True)
class Found:
    key: str
    value: object
    clause: str
    quote: str  # the sentence it came from, shortened
    raw: str  # the text of the blank as written

    @property
    def display(self) -> str:
        return _display(self.value)


@dataclass
class Extraction:
    source: str
    found: dict[str, Found] = field(default_factory=dict)
    missing: list[Missing] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def values(self) -> dict[str, object]:
        return {k: f.value for k, f in self.found.items()}

    def terms_keys_found(self) -> list[str]:
        return [k for k in self.found if not k.startswith("info.")]

    def missing_keys(self) -> list[str]:
        return [m.key for m in self.missing]


def _display(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_display(v)}" for k, v in value.items())
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _compile(pattern: str) -> re.Pattern:
    return re.compile(re.sub(r"\{([a-z_]+)\}", lambda m: _SLOTS[m.group(1)], pattern))


_COMPILED = {clause.label: tuple(_compile(p) for p in clause.patterns) for clause in CLAUSES}


_CLAUSE_SEP = re.compile(r"[。;\n]|,(?!(?<=\d,)\d{3})(?! )")  # not 200,000 nor "Co., Ltd."


def _quote(text: str, start: int, end: int, shortest: int = 14, limit: int = 50) -> str:
    """The part of the sentence around text[start:end] that states the value: its clause
    between commas, with the next (or previous) clause when that alone is very short."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    cuts = [line_start] + [m.end() for m in _CLAUSE_SEP.finditer(text, line_start, line_end)] + [line_end]
    pieces = [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
    here = next((k for k, (a, b) in enumerate(pieces) if a <= start < b or (start == end == b)), len(pieces) - 1)
    a, b = pieces[here]
    if b - a < shortest:
        if here + 1 < len(pieces) and text[b - 1] not in "。;":
            b = pieces[here + 1][1]
        elif here > 0 and text[a - 1] not in "。;":
            a = pieces[here - 1][0]
    quote = text[a:b].rstrip(",;")
    if len(quote) > limit:
        left = max(a, start - (limit - (end - start)) * 2 // 3)
        right = min(b, left + limit)
        quote = ("…" if left > a else "") + text[left:right].rstrip(",;") + ("…" if right < b else "")
    return quote


def _keys(clause: Clause) -> tuple[str, ...]:
    return clause.key if isinstance(clause.key, tuple) else (clause.key,)


def extract_terms(docx_path) -> Extraction:
    """Read the filled-in contract and find every blank of the template (``CLAUSES``)."""
    lines = read_docx_lines(docx_path)
    return extract_from_text("\n".join(lines), source=str(docx_path))


def _miss(ex: Extraction, missing: Missing) -> None:
    """A blank of the terms file goes to ``missing``; an info-only one (签订日期, 小时/天) to
    ``warnings``: the terms file does not need it."""
    if missing.key.startswith("info."):
        ex.warnings.append(f"{missing.clause}: {missing.reason}")
    else:
        ex.missing.append(missing)


def extract_from_text(text: str, source: str = "<text>") -> Extraction:
    """As ``extract_terms`` on text that is already normalised lines joined by newlines."""
    ex = Extraction(source=source)
    for clause in CLAUSES:
        keys = _keys(clause)
        parse, what = _PARSERS[clause.kind]
        matches = []
        for pattern in _COMPILED[clause.label]:
            matches = list(pattern.finditer(text))
            if matches:
                break
        if not matches:
            for key in keys:
                _miss(ex, Missing(key, clause.label, "clause not found in the document"))
            continue
        results = []
        for m in matches:
            raw = m.group("v").strip()
            quote = _quote(text, m.start("v"), m.end("v"))
            if _is_blank(raw, clause.placeholders):
                results.append(("blank", raw, quote))
                continue
            try:
                results.append(("ok", parse(raw), raw, quote))
            except (ValueError, InvalidOperation) as exc:
                detail = str(exc)
                reason = f"cannot read '{raw}' as {what}" + (f": {detail}" if detail and detail != raw else "")
                results.append(("bad", reason, quote))
        good = [r for r in results if r[0] == "ok"]
        distinct = {_display(r[1]) for r in good}
        if len(distinct) > 1:
            listed = "; ".join(f"'{r[2]}' in 「{r[3]}」" for r in good)
            for key in keys:
                _miss(ex, Missing(key, clause.label, f"the clause appears {len(good)} times with different values: {listed}"))
            continue
        if good:
            _, value, raw, quote = good[0]
            values = value if len(keys) > 1 else (value,)
            for key, v in zip(keys, values):
                ex.found[key] = Found(key, v, clause.label, quote, raw)
            continue
        first = results[0]
        if first[0] == "blank":
            reason = f"blank not filled (still '{first[1] or '(empty)'}') in 「{first[2]}」"
        else:
            reason = f"{first[1]} in 「{first[2]}」"
        for key in keys:
            _miss(ex, Missing(key, clause.label, reason))
    _service_hours(ex)
    return ex


def _service_hours(ex: Extraction) -> None:
    """C8: a 24-hour day needs no time range; the days can be read from the range text
    (周一至周五); and the hours a day must agree with the range."""
    hours = ex.found.get("info.hours_per_day")
    open_close_missing = [m for m in ex.missing if m.key in TIME_KEYS]
    if open_close_missing and hours is not None and hours.value == 24:
        label = open_close_missing[0].clause
        ex.missing = [m for m in ex.missing if m.key not in TIME_KEYS]
        for key, clock in (("service_hours.open", "00:00"), ("service_hours.close", "24:00")):
            ex.found[key] = Found(key, clock, label, hours.quote + " (24小时/天: whole day)", hours.raw)
    days_missing = [m for m in ex.missing if m.key == "service_hours.days"]
    if days_missing and "service_hours.open" in ex.found:
        range_text = ex.found["service_hours.open"].raw
        days = "workdays" if re.search(r"周一至周五|工作日", range_text) else \
            "all" if re.search(r"周一至周日|每周七天|全年无休|节假日无休|365天", range_text) else None
        if days:
            ex.missing = [m for m in ex.missing if m.key != "service_hours.days"]
            found = ex.found["service_hours.open"]
            ex.found["service_hours.days"] = Found("service_hours.days", days, days_missing[0].clause, found.quote, range_text)
    if hours is not None and "service_hours.open" in ex.found and "service_hours.close" in ex.found:
        o, c = (ex.found[k].value for k in ("service_hours.open", "service_hours.close"))
        span = Decimal(_minutes(c) - _minutes(o)) / 60
        if span != hours.value:
            ex.warnings.append(
                f"C8: the contract says {_display(hours.value)}小时/天 but the service time {o}-{c} is "
                f"{_display(span.normalize())} hours; the terms file uses {o}-{c}"
            )


def _minutes(clock: str) -> int:
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


# -- writing the terms file ----------------------------------------------------------------


def _yaml_scalar(key: str, value) -> str:
    if value is None:
        return "null"
    if key in MONEY_KEYS and isinstance(value, (Decimal, int)):
        d = Decimal(value)
        if d == d.quantize(Decimal("0.01")):
            d = d.quantize(Decimal("0.01"))
        return f'"{format(d, "f")}"'
    if key in TIME_KEYS:
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml_scalar(key, v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_scalar(key, v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _clause_id(label: str) -> str:
    head = label.split(" ", 1)[0]
    return head if re.fullmatch(r"C\d+", head) else label.split(":")[0]


def planned_values(extraction: Extraction, extra: dict | None = None) -> dict[str, tuple[object, str]]:
    """Every key of the terms file -> (value, comment), in the spec's order."""
    extra = dict(extra or {})
    unknown = [k for k in extra if k not in _all_layout_keys()]
    if unknown:
        raise ValueError(f"no such key in the terms file: {', '.join(unknown)}")
    missing = {m.key: m for m in extraction.missing}
    plan = {}
    for key in _all_layout_keys():
        if key in extraction.found:
            f = extraction.found[key]
            value, comment = f.value, f"{_clause_id(f.clause)} 「{f.quote}」"
        elif key in missing:
            m = missing[key]
            value, comment = None, f"{_clause_id(m.clause)} MISSING: {m.reason}"
        elif key in NOT_IN_CONTRACT:
            default, comment = NOT_IN_CONTRACT[key]
            value = None if default is FILL else default
        else:  # a key the clause table does not know (terms.py grew): validation names it
            value, comment = None, "not in the contract text: fill in"
        if key in extra:
            value, comment = extra[key], "given with --set" + (f"; contract: {comment}" if key in extraction.found else "")
        plan[key] = (value, comment)
    return plan


def render_terms_yaml(extraction: Extraction, extra: dict | None = None) -> str:
    plan = planned_values(extraction, extra)
    name = Path(extraction.source).name
    out = [
        f"# Terms file extracted by `sla terms extract` from {name}.",
        "# Each value quotes the contract sentence it came from; check them against the signed copy.",
        "# Keys and meaning: spec section 8 (../shared/spec/contract-model.md); clause ids: docs/clauses.md.",
    ]
    signed = [f"{who} {extraction.found[k].display}" for who, k in (("甲方", "info.signed_party_a"), ("乙方", "info.signed_party_b"))
              if k in extraction.found]
    if signed:
        out.append(f"# 签订日期: {', '.join(signed)}")
    if extraction.missing:
        out.append(f"# {len(extraction.missing)} blank(s) missing in the contract: " + ", ".join(m.key for m in extraction.missing))
    for w in extraction.warnings:
        out.append(f"# warning: {w}")
    for section, keys in LAYOUT:
        indent = ""
        if section:
            out.append(f"{section}:")
            indent = "  "
        for k in keys:
            dotted = f"{section}.{k}" if section else k
            value, comment = plan[dotted]
            line = f"{indent}{k}: {_yaml_scalar(dotted, value)}"
            pad = " " * max(1, 40 - _width(line))
            out.append(f"{line}{pad}# {comment}")
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def write_terms_yaml(extraction: Extraction, out_path, extra: dict | None = None) -> Path:
    """Write the terms file (UTF-8): every key of spec section 8 in its order, each value
    with a comment quoting its contract sentence; blanks missing are written with no value
    (null) and keys the contract does not hold get the spec default or no value. ``extra``
    sets dotted keys (e.g. ``{"contract.id": "CS-2026-001"}``)."""
    out_path = Path(out_path)
    out_path.write_text(render_terms_yaml(extraction, extra), encoding="utf-8")
    return out_path


def parse_assignment(text: str) -> tuple[str, object]:
    """'contract.id=CS-2026-001' -> ('contract.id', 'CS-2026-001'); '4' -> 4, '0.5' -> Decimal."""
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key:
        raise ValueError(f"expected KEY=VALUE, got {text!r}")
    if key not in _all_layout_keys():
        raise ValueError(f"no such key in the terms file: {key}")
    if re.fullmatch(r"-?\d+", value):
        return key, int(value)
    if re.fullmatch(r"-?\d+\.\d+", value):
        return key, Decimal(value)
    if value in ("null", "~", ""):
        return key, None
    return key, value


# -- the command's work --------------------------------------------------------------------


@dataclass
class ExtractResult:
    extraction: Extraction
    out_path: Path
    written: bool
    unresolved: list[Missing]  # missing blanks not supplied with extra
    to_fill: list[TermsError]  # validation errors on keys written with no value
    invalid: list[TermsError]  # validation errors on values that were written
    exit_code: int

    def found_rows(self) -> list[list[str]]:
        return [[_clause_id(f.clause), f.key, f.display, f.quote] for f in self.extraction.found.values()]


def extract_to_file(docx_path, out_path, *, allow_missing: bool = False, extra: dict | None = None) -> ExtractResult:
    """What ``sla terms extract`` does: extract, write unless blanks are missing (or
    ``allow_missing``), then validate the written file with ``load_terms``.

    Exit code 1 when a blank is missing and not ``allow_missing`` (nothing is written), or
    when a value written from the contract fails validation; keys written with no value
    (allowed missing blanks, keys the contract does not hold) are reported as to fill in."""
    from .terms import load_terms

    extra = dict(extra or {})
    extraction = extract_terms(docx_path)
    planned_values(extraction, extra)  # unknown --set keys fail before anything is written
    unresolved = [m for m in extraction.missing if m.key not in extra]
    out_path = Path(out_path)
    if unresolved and not allow_missing:
        return ExtractResult(extraction, out_path, False, unresolved, [], [], 1)
    write_terms_yaml(extraction, out_path, extra)
    nulls = {k for k, (v, _) in planned_values(extraction, extra).items() if v is None}
    errors: list[TermsError] = []
    try:
        load_terms(out_path)
    except TermsErrors as exc:
        errors = list(exc.errors)
    except TermsError as exc:
        errors = [exc]
    to_fill = [e for e in errors if e.key in nulls]
    invalid = [e for e in errors if e.key not in nulls]
    return ExtractResult(extraction, out_path, True, unresolved, to_fill, invalid, 1 if invalid else 0)
