"""Seeded, deterministic, vectorized generator of realistic sample input tables (spec section 6).

The tables look like exports of the electronics company's CRM and of the two parties'
finance systems for the sample contract ``data/samples/contract.yaml`` (service every day
09:00-21:00, response limits phone 1 min / chat 2 min / email 240 min, complaint contact 2 h,
preliminary solution 3 working days, follow-up coverage 30 %, targets 90 / 85 / 90 %,
satisfied = score 4 or 5).

Public API
----------
``generate_events(seed, months, consultations_per_month, tz)``
    consultations, complaints, followups, new_customers, onsite_visits.
``generate_settlement(amounts_due, payment_due, invoice_workdays_after, seed)``
    payments and invoices for amounts and due dates computed by the fee engine.
``write_tables(tables, out_dir, fmt)``
    one ``<table>.csv`` per table (UTF-8, naive local ``YYYY-MM-DD HH:MM:SS`` timestamps,
    empty cells for missing values, booleans ``true``/``false``, money with 2 decimals);
    ``fmt="parquet"`` when pyarrow is installed.

Determinism: everything is drawn from ``np.random.default_rng(seed)`` (one spawned child
stream per table) or, for the per-customer personal data, from a counter-based hash of
``(seed, customer index)``; the same seed gives byte-identical CSVs. Generation is
vectorized: the only Python loops run over months, channels and calendar days, never over
consultations or complaints, so ``consultations_per_month`` can be scaled to millions.
A month's consultations are drawn in runs of whole days of about ``DRAW_ROWS`` (950,000)
expected rows, one run after the other from the same stream, and :func:`generate_scale`
writes every table in slices of at most ``SCALE_ROW_GROUP`` rows built in Arrow, so memory
holds one run, not a month. A month below ``DRAW_ROWS`` (the committed sample's 2,000) is
one run, drawn exactly as before; at call-centre volume (a 10 M month is 11-17 runs) the
stream differs from the one-run draw of earlier versions (same patterns, other rows), and
each run meets the month's exact resolution rate on its own. Complaints, follow-ups and new
customers are drawn a month at a time as before (written in slices all the same).

Patterns (default seed 20260101, months 2026-01..2026-12), all scripted, not left to luck:

* Volume: ``consultations_per_month`` is the mean of an ordinary month; channels phone /
  email / chat 50 / 20 / 30 %; arrivals peak 10-11, 14-16 and 19-20 h, a few at night
  (their service clock starts at the next 09:00 opening); Mondays busiest, Sundays lowest.
* Dips: Spring Festival holiday (2026-02-15..02-23) at 45 % and National Day holiday
  (2026-10-01..10-07, as chinese-calendar and spec section 2 have it; 10-08 is a working day)
  at 50 % of normal volume; other statutory holidays at 80 %. Holidays come from
  chinese-calendar, so other years get their own dates.
* Surges: 618 (June, peak 06-16..06-18) and 11.11 (November, peak 11-11) in consultations,
  new customers and, a few days later, complaints; responses are slower on peak days.
* Recall (``RECALL_MONTH`` 2026-07): the power bank ``RECALL_PRODUCT`` is recalled on
  2026-07-06; recall enquiries (category 召回咨询) and a complaint spike (more than twice an
  ordinary month) follow, with slower contact and solutions.
* Fee KPIs are set by exact counts, so noise cannot flip them: consultation resolution
  92-95 % and follow-up satisfaction 92-96 % every month; complaint satisfaction 88.5-93.5 %
  every month EXCEPT 2026-07 (about 78 %: the only month that misses a fee KPI) and
  ``EXACT_TARGET_MONTH`` 2026-11, which lands exactly on 85 % (17 of every 20 rated).
* Follow-up coverage 35-45 % of the month's new customers, except ``LOW_COVERAGE_MONTH``
  2026-02 at 26 % (below the 30 % standard); about 3 % of follow-ups are second calls to a
  customer already called that month (distinct counting matters).
* Complaints: contact mostly within 2 h (evening / night ones the next morning), preliminary
  solution on the same day up to 5 working days later (PRC working days, chinese-calendar),
  closing after a heavy-tailed time; the export is taken ``EXPORT_LAG_DAYS`` days after the
  last month, so closed_at (and satisfaction) is empty for complaints still open then, mostly
  in the last months, plus a few long-running disputes. A few closed complaints are unrated.
* Settlement: every month paid in one payment on or before its due date except
  ``SPLIT_PAYMENT_MONTH`` 2026-08: about 85 % on time, the rest ``SPLIT_LATE_DAYS`` (6)
  calendar days after the due date (moved to the next working day if that is a rest day);
  invoices are issued within the deadline except the one of ``LATE_INVOICE_MONTH`` 2026-05,
  issued one working day late.

Timestamps are naive wall-clock times in ``tz`` (Asia/Shanghai has no daylight saving, so
naive arithmetic is exact). Working days come from ``SAMPLE_CALENDAR``, the
:class:`sla_lib.calendar.WorkCalendar` of the sample terms (chinese-calendar, plus
2027-01-01 from the terms file's ``calendar_overrides``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .calendar import WorkCalendar

__all__ = [
    "DEFAULT_MONTHS",
    "DEFAULT_SEED",
    "EXACT_TARGET_MONTH",
    "LATE_INVOICE_MONTH",
    "LOW_COVERAGE_MONTH",
    "RECALL_DATE",
    "RECALL_MONTH",
    "RECALL_PRODUCT",
    "SPLIT_LATE_DAYS",
    "SPLIT_PAYMENT_MONTH",
    "TABLE_COLUMNS",
    "generate_events",
    "generate_scale",
    "generate_settlement",
    "iter_event_months",
    "write_tables",
]

DEFAULT_SEED = 20260101
DEFAULT_MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]

# Scenario months (they take effect only when generated).
RECALL_MONTH = "2026-07"
RECALL_DATE = dt.date(2026, 7, 6)
RECALL_PRODUCT = "星辰 PB20 移动电源 20000mAh"
EXACT_TARGET_MONTH = "2026-11"  # complaint satisfaction exactly 85 %
LOW_COVERAGE_MONTH = "2026-02"  # follow-up coverage below 30 %
SPLIT_PAYMENT_MONTH = "2026-08"
SPLIT_LATE_DAYS = 6
LATE_INVOICE_MONTH = "2026-05"
EXPORT_LAG_DAYS = 4  # the CRM export is taken at 00:00 this many days after the last month

# Service time of the sample contract: every day, [09:00, 21:00).
SERVICE_OPEN = 9 * 3600
SERVICE_CLOSE = 21 * 3600

TABLE_COLUMNS: dict[str, list[str]] = {
    "consultations": [
        "consultation_id", "channel", "customer_id", "customer_name", "phone", "received_at",
        "first_response_at", "resolved", "resolved_at", "product", "category", "agent_id",
    ],
    "complaints": [
        "complaint_id", "customer_id", "customer_name", "phone", "email", "received_at",
        "first_contact_at", "preliminary_solution_at", "closed_at", "satisfaction", "channel",
        "category", "product",
    ],
    "followups": ["followup_id", "customer_id", "visited_at", "satisfaction", "channel"],
    "new_customers": ["customer_id", "acquired_at"],
    "onsite_visits": ["visit_id", "customer_id", "visited_at", "fee"],
    "payments": ["payment_id", "service_month", "paid_at", "amount"],
    "invoices": ["invoice_id", "service_month", "issued_at", "amount"],
}

_DAY = 86400
SCALE_ROW_GROUP = 1_000_000  # rows per Parquet row group: a month is read group by group
# A month's consultations are drawn in runs of whole days of at most this many expected rows
# (bounded memory at any volume; a month of the committed sample is one run).
DRAW_ROWS = 950_000
_WINDOW = SERVICE_CLOSE - SERVICE_OPEN
_NAT = np.iinfo(np.int64).min
_EPOCH = dt.date(1970, 1, 1)
_CENT = Decimal("0.01")

CHANNELS = np.array(["phone", "email", "chat"])
_CHANNEL_P = [0.50, 0.20, 0.30]

PRODUCTS = np.array([
    "星辰 X20 手机", "星辰 X20 Pro 手机", "星辰 Pad 11 平板", "星辰 Book 14 笔记本",
    "星辰 Watch S3 智能手表", "星辰 Buds 3 蓝牙耳机", RECALL_PRODUCT, "星辰 65W 氮化镓充电器",
])
_PRODUCT_P = [0.24, 0.12, 0.12, 0.10, 0.10, 0.14, 0.08, 0.10]

CONSULT_CATEGORIES = np.array([
    "产品使用", "售后维修", "订单物流", "退换货", "账户与会员", "价格与促销", "技术故障", "召回咨询",
])
_CONSULT_P = [0.28, 0.16, 0.18, 0.10, 0.08, 0.08, 0.12, 0.0]
_CONSULT_P_SALE = [0.18, 0.10, 0.30, 0.14, 0.06, 0.16, 0.06, 0.0]  # sales-surge days
_RECALL_CONSULT_CAT = 7

COMPLAINT_CATEGORIES = np.array([
    "产品质量", "维修服务", "物流配送", "退换货", "服务态度", "价格与促销", "发票问题", "安全隐患",
])
# The sample's categorical values in English (the data folder's value_labels.csv; the
# Chinese is the value itself): what a data folder ships so that `--lang en` reads in English.
VALUE_LABELS_EN = {
    "星辰 X20 手机": "Xingchen X20 phone", "星辰 X20 Pro 手机": "Xingchen X20 Pro phone",
    "星辰 Pad 11 平板": "Xingchen Pad 11 tablet", "星辰 Book 14 笔记本": "Xingchen Book 14 laptop",
    "星辰 Watch S3 智能手表": "Xingchen Watch S3 smartwatch", "星辰 Buds 3 蓝牙耳机": "Xingchen Buds 3 Bluetooth earbuds",
    RECALL_PRODUCT: "Xingchen PB20 power bank 20000mAh", "星辰 65W 氮化镓充电器": "Xingchen 65W GaN charger",
    "产品使用": "Product use", "售后维修": "After-sales repair", "订单物流": "Orders and shipping",
    "退换货": "Returns and exchanges", "账户与会员": "Account and membership", "价格与促销": "Prices and promotions",
    "技术故障": "Technical faults", "召回咨询": "Recall enquiries",
    "产品质量": "Product quality", "维修服务": "Repair service", "物流配送": "Delivery", "服务态度": "Staff attitude",
    "发票问题": "Invoicing", "安全隐患": "Safety hazard",
}
_COMPLAINT_P = [0.30, 0.18, 0.14, 0.16, 0.10, 0.07, 0.05, 0.0]
_COMPLAINT_P_RECALL = [0.45, 0.0, 0.0, 0.20, 0.0, 0.0, 0.0, 0.35]
_COMPLAINT_CHANNEL_P = [0.55, 0.20, 0.25]
_FOLLOWUP_CHANNEL_P = [0.75, 0.10, 0.15]

# Relative arrivals per hour of day 0..23: peaks 10-11, 14-16, 19-20; a little at night.
_HOURS = np.array([
    0.15, 0.08, 0.05, 0.04, 0.04, 0.06, 0.15, 0.40, 1.00, 3.50, 6.00, 5.80,
    3.60, 4.20, 5.60, 5.90, 5.40, 4.20, 3.40, 5.00, 4.80, 1.30, 0.80, 0.40,
])
_OFF_HOURS = (np.arange(24) < 9) | (np.arange(24) >= 21)


def _p(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


_HOUR_P = {
    0: _p(np.where(_OFF_HOURS, _HOURS * 0.3, _HOURS)),  # phone: callback requests at night
    1: _p(_HOURS + 1.2),  # email: arrives around the clock
    2: _p(np.where(_OFF_HOURS, _HOURS * 0.8, _HOURS)),  # chat
}
_COMPLAINT_HOUR_P = _p(np.where(_OFF_HOURS, _HOURS * 0.5, _HOURS))
_ACQUIRE_HOUR_P = _p([0.6, 0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.2, 3.0, 3.2,
                      3.4, 2.9, 2.8, 2.8, 2.7, 2.6, 2.7, 3.2, 4.0, 4.4, 3.6, 1.8])

# Response delay in service-time seconds: (median, sigma, cap) per channel code.
_RESPONSE = {0: (15.0, 0.75, 1800), 1: (70 * 60.0, 0.75, 36 * 3600), 2: (35.0, 0.7, 3600)}
_ABANDON_P = {0: 0.012, 1: 0.002, 2: 0.008}
_HANDLE = {0: (300.0, 0.6), 1: (4 * 3600.0, 0.9), 2: (600.0, 0.6)}

# Working day on which the preliminary solution comes: 0 = same day, 1..5 working days later.
_SOLUTION_K_P = [0.12, 0.38, 0.28, 0.14, 0.06, 0.02]
_SOLUTION_K_P_RECALL = [0.03, 0.17, 0.25, 0.22, 0.20, 0.13]

# ---------------------------------------------------------------- names and personal data
_SURNAMES = [
    ("王", "wang", 7.1), ("李", "li", 7.0), ("张", "zhang", 6.6), ("刘", "liu", 5.4),
    ("陈", "chen", 4.5), ("杨", "yang", 3.1), ("黄", "huang", 2.4), ("赵", "zhao", 2.2),
    ("吴", "wu", 2.0), ("周", "zhou", 1.9), ("徐", "xu", 1.3), ("孙", "sun", 1.2),
    ("马", "ma", 1.2), ("朱", "zhu", 1.1), ("胡", "hu", 1.1), ("郭", "guo", 1.0),
    ("何", "he", 0.9), ("高", "gao", 0.9), ("林", "lin", 0.9), ("罗", "luo", 0.8),
    ("郑", "zheng", 0.8), ("梁", "liang", 0.7), ("谢", "xie", 0.6), ("宋", "song", 0.5),
    ("唐", "tang", 0.5), ("许", "xu", 0.5), ("韩", "han", 0.5), ("冯", "feng", 0.4),
    ("邓", "deng", 0.4), ("曹", "cao", 0.4), ("彭", "peng", 0.4), ("曾", "zeng", 0.4),
    ("肖", "xiao", 0.4), ("田", "tian", 0.3), ("董", "dong", 0.3), ("袁", "yuan", 0.3),
    ("潘", "pan", 0.3), ("于", "yu", 0.3), ("蒋", "jiang", 0.3), ("蔡", "cai", 0.3),
    ("余", "yu", 0.3), ("杜", "du", 0.3), ("叶", "ye", 0.3), ("程", "cheng", 0.3),
    ("苏", "su", 0.3), ("魏", "wei", 0.3), ("吕", "lv", 0.3), ("丁", "ding", 0.3),
    ("任", "ren", 0.3), ("沈", "shen", 0.3), ("姚", "yao", 0.2), ("卢", "lu", 0.2),
    ("姜", "jiang", 0.2), ("崔", "cui", 0.2), ("钟", "zhong", 0.2), ("谭", "tan", 0.2),
    ("陆", "lu", 0.2), ("汪", "wang", 0.2), ("范", "fan", 0.2), ("金", "jin", 0.2),
    ("石", "shi", 0.2), ("廖", "liao", 0.2), ("贾", "jia", 0.2), ("夏", "xia", 0.2),
    ("韦", "wei", 0.2), ("方", "fang", 0.2), ("白", "bai", 0.2), ("邹", "zou", 0.2),
    ("孟", "meng", 0.2), ("熊", "xiong", 0.2), ("秦", "qin", 0.2), ("邱", "qiu", 0.2),
    ("江", "jiang", 0.2), ("尹", "yin", 0.2), ("薛", "xue", 0.2), ("闫", "yan", 0.2),
    ("段", "duan", 0.2), ("雷", "lei", 0.2), ("侯", "hou", 0.2), ("龙", "long", 0.2),
    ("史", "shi", 0.2), ("陶", "tao", 0.15), ("黎", "li", 0.15), ("贺", "he", 0.15),
    ("顾", "gu", 0.15), ("毛", "mao", 0.15), ("郝", "hao", 0.15), ("龚", "gong", 0.15),
    ("邵", "shao", 0.15), ("万", "wan", 0.15), ("钱", "qian", 0.15), ("严", "yan", 0.15),
    ("武", "wu", 0.15), ("戴", "dai", 0.15), ("莫", "mo", 0.1), ("孔", "kong", 0.1),
    ("向", "xiang", 0.1), ("汤", "tang", 0.1),
    ("欧阳", "ouyang", 0.05), ("司马", "sima", 0.015), ("上官", "shangguan", 0.01),
    ("诸葛", "zhuge", 0.01), ("东方", "dongfang", 0.01), ("司徒", "situ", 0.01),
    ("慕容", "murong", 0.005), ("皇甫", "huangfu", 0.005), ("令狐", "linghu", 0.005),
]
_MALE = [
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("斌", "bin"), ("鹏", "peng"),
    ("辉", "hui"), ("华", "hua"), ("建", "jian"), ("国", "guo"), ("俊", "jun"), ("浩", "hao"),
    ("宇", "yu"), ("晨", "chen"), ("博", "bo"), ("文", "wen"), ("志", "zhi"), ("海", "hai"),
    ("峰", "feng"), ("刚", "gang"), ("亮", "liang"), ("鑫", "xin"), ("凯", "kai"), ("昊", "hao"),
    ("子", "zi"), ("轩", "xuan"), ("然", "ran"), ("泽", "ze"), ("天", "tian"), ("嘉", "jia"),
    ("成", "cheng"), ("林", "lin"), ("永", "yong"), ("东", "dong"),
]
_FEMALE = [
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"),
    ("娟", "juan"), ("霞", "xia"), ("秀", "xiu"), ("玲", "ling"), ("婷", "ting"), ("雪", "xue"),
    ("慧", "hui"), ("颖", "ying"), ("琳", "lin"), ("怡", "yi"), ("欣", "xin"), ("佳", "jia"),
    ("晶", "jing"), ("倩", "qian"), ("洁", "jie"), ("蕾", "lei"), ("梅", "mei"), ("莉", "li"),
    ("燕", "yan"), ("萍", "ping"), ("红", "hong"), ("月", "yue"), ("思", "si"), ("雨", "yu"),
    ("涵", "han"), ("悦", "yue"), ("诗", "shi"), ("梦", "meng"), ("晓", "xiao"), ("琪", "qi"),
    ("瑶", "yao"), ("璐", "lu"), ("丹", "dan"), ("薇", "wei"),
]
_SUR_CHARS = np.array([s[0] for s in _SURNAMES])
_SUR_PY = np.array([s[1] for s in _SURNAMES])
_SUR_CDF = np.cumsum(_p([s[2] for s in _SURNAMES]))
_GIVEN_CHARS = np.array([[c for c, _ in _MALE], [c for c, _ in _FEMALE]])
_GIVEN_PY = np.array([[p for _, p in _MALE], [p for _, p in _FEMALE]])
# 25 mobile prefixes: 25 x 10^8 numbers, so an affine map modulo it is a bijection.
_MOBILE_PREFIXES = np.array([130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152,
                             155, 156, 157, 158, 159, 176, 177, 180, 181, 186, 187, 189])
_MAIL_DOMAINS = np.array(["163.com", "126.com", "sina.com", "139.com", "foxmail.com", "outlook.com"])


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finalizer on a uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _hash_uniform(idx: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on (seed, salt, customer index)."""
    key = _splitmix64(np.array([(seed * 1_000_003 + salt) % 2**64], dtype=np.uint64))
    h = _splitmix64(idx.astype(np.uint64) ^ key)
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _customer_personal(idx: np.ndarray, seed: int, with_email: bool = False) -> dict[str, np.ndarray]:
    """Name, mobile and e-mail of customers by pool index: a pure function of (seed, index),
    so a customer has the same personal data in every table and every run. Mobile numbers
    and QQ numbers are bijections of the index, hence unique."""
    idx = np.asarray(idx, dtype=np.int64)
    u = [_hash_uniform(idx, seed, salt) for salt in range(9)]
    sur = np.searchsorted(_SUR_CDF, u[0], side="right").clip(0, len(_SUR_CHARS) - 1)
    female = (u[1] < 0.5).astype(np.int64)
    two = u[2] < 0.7
    g1 = (u[3] * _GIVEN_CHARS.shape[1]).astype(np.int64)
    g2 = (u[4] * _GIVEN_CHARS.shape[1]).astype(np.int64)
    name = np.strings.add(np.strings.add(_SUR_CHARS[sur], _GIVEN_CHARS[female, g1]),
                          np.where(two, _GIVEN_CHARS[female, g2], ""))
    py = np.strings.add(np.strings.add(_SUR_PY[sur], _GIVEN_PY[female, g1]),
                        np.where(two, _GIVEN_PY[female, g2], ""))

    off = int(_splitmix64(np.array([seed % 2**64], dtype=np.uint64))[0] % np.uint64(10**8))
    code = (2_654_435_761 * idx + off) % (25 * 10**8)
    phone = _fmt("", _MOBILE_PREFIXES[code // 10**8] * 10**8 + code % 10**8, 11)
    out = {"customer_name": name, "phone": phone}
    if with_email:
        qq = 10_000 + (1_500_450_271 * idx + off) % 10**9
        year = 1960 + (u[5] * 46).astype(np.int64)
        suffix = np.where(u[6] < 0.6, _fmt("", year, 4), _fmt("", year % 100, 2))  # '1988' or '88'
        domain = _MAIL_DOMAINS[(u[7] * len(_MAIL_DOMAINS)).astype(np.int64)]
        mail_py = np.strings.add(np.strings.add(np.strings.add(py, suffix), "@"), domain)
        mail_qq = np.strings.add(np.strings.lstrip(_fmt("", qq, 10), "0"), "@qq.com")
        out["email"] = np.where(u[8] < 0.45, mail_qq, mail_py)
    return out


def _fmt(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """prefix + zero-padded numbers as a fixed-width numpy string array, built from code
    points without Python string objects (fast at tens of millions of rows)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    pw = len(prefix)
    codes = np.empty((len(numbers), pw + width), dtype=np.uint32)
    if pw:
        codes[:, :pw] = np.array([ord(c) for c in prefix], dtype=np.uint32)
    pow10 = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    codes[:, pw:] = (numbers[:, None] // pow10) % 10 + ord("0")
    return codes.view(np.dtype(f"U{pw + width}")).reshape(-1)


def _customer_ids(idx: np.ndarray, width: int) -> np.ndarray:
    return _fmt("C", np.asarray(idx, dtype=np.int64) + 1, width)


# ---------------------------------------------------------------- calendar and time helpers
# The sample contract's working days: chinese-calendar plus the terms' override for 2027
# (data/samples/contract.yaml lists 2027-01-01), through the one calendar of sla_lib.
SAMPLE_CALENDAR = WorkCalendar(holidays=[dt.date(2027, 1, 1)])


def _official_day(d: dt.date) -> tuple[bool, str | None]:
    """(is working day, name of the statutory holiday if d is one of its rest days)."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:  # a year the package lacks: only the override's holiday
        on_holiday, name = (d.month, d.day) == (1, 1), "New Year's Day"
    return SAMPLE_CALENDAR.is_workday(d), (name if on_holiday and name else None)


def _day_num(d: dt.date) -> int:
    return (d - _EPOCH).days


def _date_of(day: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(day))


_WEEKDAY_FACTOR = np.array([1.08, 1.03, 1.02, 1.00, 0.97, 0.85, 0.70])  # Mon..Sun
_NORMAL_MEAN = _WEEKDAY_FACTOR.mean()


def _sales_factor(d: dt.date) -> float:
    """618 and 11.11 shopping festivals (multiplier on consultation volume)."""
    if d.month == 6:
        if 16 <= d.day <= 18:
            return 2.1 if d.day == 18 else 1.8
        if d.day in (19, 20):
            return 1.5
        return 1.25
    if d.month == 11:
        if d.day == 11:
            return 2.2
        if d.day in (12, 13):
            return 1.8
        return 1.3
    return 1.0


class _Calendar:
    """Per-day factors and PRC working days for an inclusive range of epoch day numbers."""

    def __init__(self, first: int, last: int, recall_day: int | None):
        self.first = first
        days = np.arange(first, last + 1)
        n = len(days)
        work = np.zeros(n, dtype=bool)
        base = np.ones(n)
        sales = np.ones(n)
        sales_lagged = np.ones(n)  # complaints follow the sales a few days later
        for i, day in enumerate(days):  # per-day loop: a few hundred iterations
            d = _date_of(day)
            work[i], holiday = _official_day(d)
            wd = d.weekday()
            if holiday in (chinese_calendar.Holiday.spring_festival.value,):
                base[i] = 0.45
            elif holiday in (chinese_calendar.Holiday.national_day.value,):
                base[i] = 0.50
            elif holiday:
                base[i] = 0.80
            elif work[i] and wd >= 5:  # adjusted working weekend day (调休上班)
                base[i] = 1.00
            else:
                base[i] = _WEEKDAY_FACTOR[wd]
            sales[i] = _sales_factor(d)
            sales_lagged[i] = _sales_factor(d - dt.timedelta(days=4))
        self.work = work
        self.base = base / _NORMAL_MEAN
        self.sales = sales
        self.sales_lagged = sales_lagged
        after = days - recall_day if recall_day is not None else np.full(n, -1)
        self.recall = np.where((after >= 0) & (after < 31), np.exp(-np.maximum(after, 0) / 8.0), 0.0)
        self._cw = np.cumsum(work)
        self._wd = np.flatnonzero(work) + first

    def rows(self, day0: int, day1: int) -> slice:
        return slice(day0 - self.first, day1 - self.first + 1)

    def kth_workday_after(self, day: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Day number of the k-th working day after ``day`` (k >= 1), vectorized."""
        return self._wd[self._cw[day - self.first] + k - 1]


def _clock_start(t: np.ndarray) -> np.ndarray:
    """The moment the service clock starts: t itself inside service time, else next opening."""
    day, tod = np.divmod(t, _DAY)
    return np.where(tod < SERVICE_OPEN, day * _DAY + SERVICE_OPEN,
                    np.where(tod >= SERVICE_CLOSE, (day + 1) * _DAY + SERVICE_OPEN, t))


def _service_add(start: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """start (inside service time) plus ``seconds`` of service time (every day open-close)."""
    day, tod = np.divmod(start, _DAY)
    add, rem = np.divmod(tod - SERVICE_OPEN + seconds, _WINDOW)
    return (day + add) * _DAY + SERVICE_OPEN + rem


def _lognormal_seconds(rng, median, sigma, cap, size) -> np.ndarray:
    x = rng.lognormal(np.log(median), sigma, size)
    return np.clip(np.ceil(x), 1, cap).astype(np.int64)


def _arrivals(counts: np.ndarray, day0: int) -> np.ndarray:
    return np.repeat(np.arange(day0, day0 + len(counts)), counts)


def _time_in_day(rng, days: np.ndarray, hour_p: np.ndarray) -> np.ndarray:
    hours = rng.choice(24, size=len(days), p=hour_p)
    return days * _DAY + hours * 3600 + rng.integers(0, 3600, len(days))


def _service_time_of_day(rng, days: np.ndarray, open_s=SERVICE_OPEN, close_s=SERVICE_CLOSE) -> np.ndarray:
    return days * _DAY + rng.integers(open_s, close_s, len(days))


def _pick_k(rng, n_total: int, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Indices of k of n_total items drawn without replacement (weighted: exponential keys)."""
    k = max(0, min(k, n_total))
    keys = rng.exponential(size=n_total)
    if weights is not None:
        keys = keys / weights
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(np.argpartition(keys, k - 1)[:k])


def _to_dt(t: np.ndarray) -> np.ndarray:
    return np.asarray(t, dtype=np.int64).view("datetime64[s]")


def _month_ids(prefix: str, parts: list[dict], min_width: int, width: int | None = None) -> np.ndarray:
    """'<prefix>-YYYYMM-<seq>' ids, numbered per month in the parts' (time) order (a part of a
    month numbers on from its ``offset``, the month's rows before it); the sequence is
    zero-padded to ``width`` (default: the widest month of ``parts``)."""
    if width is None:
        width = max([min_width] + [len(str(p.get("offset", 0) + p["n"])) for p in parts])
    elif any(p.get("offset", 0) + p["n"] >= 10**width for p in parts):
        raise ValueError(f"{prefix} ids: a month has more than {10**width - 1} rows")
    return np.concatenate([_fmt(f"{prefix}-{p['month'].replace('-', '')}-",
                                np.arange(p.get("offset", 0) + 1, p.get("offset", 0) + p["n"] + 1), width)
                           for p in parts])


def _cat(codes: np.ndarray, labels) -> pd.Categorical:
    """Low-cardinality text column from integer codes (-1 = missing)."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(labels))


def _stack(parts: list[dict], key: str) -> np.ndarray:
    return np.concatenate([p[key] for p in parts])


def _scores(parts: list[dict]) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(_stack(parts, "scores").astype(np.int64), _stack(parts, "unrated"))


def _satisfaction_scores(rng, satisfied: np.ndarray) -> np.ndarray:
    u = rng.random(len(satisfied))
    happy = np.where(u < 0.55, 5, 4)
    unhappy = np.where(u < 0.5, 3, np.where(u < 0.8, 2, 1))
    return np.where(satisfied, happy, unhappy)


def _parse_months(months: list[str] | None) -> list[str]:
    months = list(DEFAULT_MONTHS if months is None else months)
    for m in months:
        if not isinstance(m, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", m):
            raise ValueError(f"month {m!r} is not YYYY-MM")
    out = sorted(set(months))
    if not out:
        raise ValueError("no months to generate")
    return out


def _month_days(month: str) -> tuple[int, int]:
    y, m = int(month[:4]), int(month[5:])
    first = dt.date(y, m, 1)
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return _day_num(first), _day_num(nxt) - 1


# ---------------------------------------------------------------- events
class _EventModel:
    """The scripted world of one generation run: random streams (one per table), the
    per-month scripted rates, the calendar and the customer pool. Each ``*_part`` method
    draws one month of one table from that table's own stream, so drawing month by month
    (bounded memory, :func:`iter_event_months`) or table by table (:func:`generate_events`)
    gives the same rows as long as each table's months are drawn in order."""

    def __init__(self, seed: int, months: list[str] | None, consultations_per_month: int, tz: str):
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
        if consultations_per_month <= 0:
            raise ValueError("consultations_per_month must be positive")
        self.seed = seed
        self.months = months = _parse_months(months)
        self.cpm = cpm = float(consultations_per_month)

        root = np.random.default_rng(seed)
        r_scn, r_new, self.r_con, self.r_cmp, self.r_fu, self.r_vis = root.spawn(6)

        self.spans = spans = {m: _month_days(m) for m in months}
        first_day = spans[months[0]][0]
        last_day = spans[months[-1]][1]
        recall_day = _day_num(RECALL_DATE) if RECALL_MONTH in spans else None
        self.cal = cal = _Calendar(first_day - 40, last_day + 60, recall_day)
        self.export_at = (last_day + 1 + EXPORT_LAG_DAYS) * _DAY

        # Per-month scripted rates (exact counts are derived from them).
        self.scn = {}
        for m in months:
            self.scn[m] = {
                "resolution": r_scn.uniform(0.92, 0.95),
                "csat": 0.78 if m == RECALL_MONTH else r_scn.uniform(0.885, 0.935),
                "csat_rated": r_scn.uniform(0.90, 0.96),
                "fsat": r_scn.uniform(0.92, 0.96),
                "fsat_rated": r_scn.uniform(0.93, 0.97),
                "coverage": 0.26 if m == LOW_COVERAGE_MONTH else r_scn.uniform(0.35, 0.45),
            }

        # ---- new customers and the customer pool (every month: the pool is shared)
        self.per_day = per_day = cpm / (365.25 / 12)
        self.n_base = n_base = max(1000, int(round(5 * cpm)))
        self.base_start = (first_day - 5 * 365) * _DAY
        self.base_step = (first_day * _DAY - self.base_start) / n_base
        new_times = []
        for m in months:
            d0, d1 = spans[m]
            rows = cal.rows(d0, d1)
            lam = 0.4 * per_day * cal.base[rows] * (1 + 1.5 * (cal.sales[rows] - 1))
            days = _arrivals(r_new.poisson(lam), d0)
            new_times.append(np.sort(_time_in_day(r_new, days, _ACQUIRE_HOUR_P)))
        self.new_acq = np.concatenate(new_times)
        self.new_day = self.new_acq // _DAY
        self.n_pool = n_base + len(self.new_acq)
        self.id_width = max(6, len(str(self.n_pool)))

        n_phone_agents = max(6, int(round(cpm * 0.5 / 300)))
        n_chat_agents = max(4, int(round(cpm * 0.3 / 300)))
        n_email_agents = max(2, int(round(cpm * 0.2 / 300)))
        self.agent_offset = np.array([0, n_phone_agents + n_chat_agents, n_phone_agents])
        self.agent_count = np.array([n_phone_agents, n_email_agents, n_chat_agents])
        agent_width = max(3, len(str(n_phone_agents + n_chat_agents + n_email_agents)))
        self.agent_names = _fmt("A", np.arange(1, int(self.agent_count.sum()) + 1), agent_width)

    def acquired_before(self, t: np.ndarray) -> np.ndarray:
        base = np.clip(np.ceil((t - self.base_start) / self.base_step), 0, self.n_base).astype(np.int64)
        return base + np.searchsorted(self.new_acq, t, side="left")

    def pick_customers(self, rng, t: np.ndarray, p_recent: float) -> np.ndarray:
        n = self.acquired_before(t)
        n_old = self.acquired_before(t - 90 * _DAY)
        recent = (rng.random(len(t)) < p_recent) & (n > n_old)
        u = rng.random(len(t))
        return np.where(recent, n_old + (u * (n - n_old)).astype(np.int64), (u * n).astype(np.int64))

    def new_customer_range(self, month: str | None = None) -> tuple[int, int]:
        """[lo, hi): the positions in the pool's new customers acquired in ``month`` (None: all)."""
        if month is None:
            return 0, len(self.new_acq)
        d0, d1 = self.spans[month]
        lo, hi = np.searchsorted(self.new_day, [d0, d1 + 1], side="left")
        return int(lo), int(hi)

    def new_customers(self, month: str | None = None, rows: tuple[int, int] | None = None) -> pd.DataFrame:
        """The new customers acquired in ``month`` (None: in every month), or those at the
        positions ``rows`` = [lo, hi) of the pool's new customers."""
        lo, hi = rows if rows is not None else self.new_customer_range(month)
        return pd.DataFrame({
            "customer_id": _customer_ids(np.arange(self.n_base + lo, self.n_base + hi), self.id_width),
            "acquired_at": _to_dt(self.new_acq[lo:hi]),
        })

    # ---- consultations -----------------------------------------------------------------
    def consultation_spans(self, m: str) -> list[tuple[int, int]]:
        """The month's days cut into runs of whole days whose expected consultations stay within
        ``DRAW_ROWS`` (at least one day each): the parts :meth:`consultation_part` draws one
        after the other. A month of the committed sample (2,000 a month) is one part."""
        cal, per_day = self.cal, self.per_day
        d0, d1 = self.spans[m]
        rows = cal.rows(d0, d1)
        expected = per_day * cal.base[rows] * cal.sales[rows] + per_day * 0.9 * cal.recall[rows]
        spans, start, acc = [], d0, 0.0
        for i, e in enumerate(expected):
            if acc and acc + e > DRAW_ROWS:
                spans.append((start, d0 + i - 1))
                start, acc = d0 + i, 0.0
            acc += e
        spans.append((start, d1))
        return spans

    def consultation_parts(self, m: str):
        """The month's consultations, drawn part by part (:meth:`consultation_spans`); each part
        numbers its rows from ``offset`` (the rows of the month's earlier parts)."""
        offset = 0
        for lo, hi in self.consultation_spans(m):
            part = self.consultation_part(m, lo, hi)
            part["offset"] = offset
            offset += part["n"]
            yield part

    def consultation_part(self, m: str, d0: int | None = None, d1: int | None = None) -> dict:
        """The consultations received on days d0..d1 of month ``m`` (default: the whole month),
        with the month's exact resolution rate applied to them."""
        r_con, cal, per_day = self.r_con, self.cal, self.per_day
        if d0 is None:
            d0, d1 = self.spans[m]
        rows = cal.rows(d0, d1)
        lam = per_day * cal.base[rows] * cal.sales[rows]
        days_reg = _arrivals(r_con.poisson(lam), d0)
        days_rec = _arrivals(r_con.poisson(per_day * 0.9 * cal.recall[rows]), d0)
        day = np.concatenate([days_reg, days_rec])
        recall = np.concatenate([np.zeros(len(days_reg), bool), np.ones(len(days_rec), bool)])
        n = len(day)
        ch = r_con.choice(3, size=n, p=_CHANNEL_P)
        received = np.empty(n, dtype=np.int64)
        for c in range(3):
            sel = ch == c
            received[sel] = _time_in_day(r_con, day[sel], _HOUR_P[c])
        order = np.argsort(received, kind="stable")
        day, recall, ch, received = day[order], recall[order], ch[order], received[order]

        busy = cal.sales[day - cal.first]  # slower answers on sales-peak days
        start = _clock_start(received)
        off_hours = start != received
        delay = np.empty(n, dtype=np.int64)
        abandoned = np.zeros(n, dtype=bool)
        u = r_con.random(n)
        for c in range(3):
            sel = ch == c
            med, sig, cap = _RESPONSE[c]
            raw = r_con.lognormal(np.log(med), sig, sel.sum()) * busy[sel] ** 1.2
            delay[sel] = np.clip(np.ceil(raw), 1, cap).astype(np.int64)
            abandoned[sel] = u[sel] < _ABANDON_P[c] * busy[sel]
        callback = off_hours & (ch != 1)  # phone / chat left outside hours: called back
        delay = np.where(callback, _lognormal_seconds(r_con, 20 * 60.0, 0.6, 4 * 3600, n), delay)
        first_response = _service_add(start, delay)

        # resolution: exactly ceil(rate * n) resolved; abandoned contacts never are
        n_res = min(math.ceil(self.scn[m]["resolution"] * n), n - int(abandoned.sum()))
        answered = np.flatnonzero(~abandoned)
        cat_sale = busy > 1.2
        cat = np.where(cat_sale, r_con.choice(8, size=n, p=_p(_CONSULT_P_SALE)),
                       r_con.choice(8, size=n, p=_p(_CONSULT_P)))
        cat = np.where(recall, _RECALL_CONSULT_CAT, cat)
        product = np.where(recall, 6, r_con.choice(len(PRODUCTS), size=n, p=_p(_PRODUCT_P)))
        w = np.where(ch[answered] == 1, 1.5, 1.0) * np.where(np.isin(cat[answered], [1, 6]), 2.0, 1.0)
        unresolved = answered[_pick_k(r_con, len(answered), len(answered) - n_res, w)]
        resolved = np.ones(n, dtype=bool)
        resolved[unresolved] = False
        resolved[abandoned] = False
        handle = np.empty(n, dtype=np.int64)
        for c in range(3):
            sel = ch == c
            med, sig = _HANDLE[c]
            handle[sel] = _lognormal_seconds(r_con, med, sig, 3 * _WINDOW, sel.sum())
        later = r_con.random(n) < 0.12  # solved in a later contact
        handle = np.where(later, handle + _lognormal_seconds(r_con, 18 * 3600.0, 0.7, 10 * _WINDOW, n), handle)
        resolved_at = _service_add(first_response, handle)
        quick = _service_add(first_response, _lognormal_seconds(r_con, 300.0, 0.5, 3600, n))
        resolved_at = np.where(resolved_at >= self.export_at, quick, resolved_at)

        agent = self.agent_offset[ch] + (r_con.random(n) * self.agent_count[ch]).astype(np.int64)
        cust = self.pick_customers(r_con, received, 0.3)
        return {
            "month": m, "n": n, "channel": ch, "customer": cust, "received": received,
            "first_response": np.where(abandoned, _NAT, first_response), "resolved": resolved,
            "resolved_at": np.where(resolved, resolved_at, _NAT), "product": product,
            "category": cat, "agent": agent, "abandoned": abandoned,
        }

    def consultations(self, parts: list[dict], id_width: int | None = None) -> pd.DataFrame:
        cust = _stack(parts, "customer")
        personal = _customer_personal(cust, self.seed)
        return pd.DataFrame({
            "consultation_id": _month_ids("ZX", parts, 6, id_width),
            "channel": _cat(_stack(parts, "channel"), CHANNELS),
            "customer_id": _customer_ids(cust, self.id_width),
            "customer_name": personal["customer_name"],
            "phone": personal["phone"],
            "received_at": _to_dt(_stack(parts, "received")),
            "first_response_at": _to_dt(_stack(parts, "first_response")),
            "resolved": _stack(parts, "resolved"),
            "resolved_at": _to_dt(_stack(parts, "resolved_at")),
            "product": _cat(_stack(parts, "product"), PRODUCTS),
            "category": _cat(_stack(parts, "category"), CONSULT_CATEGORIES),
            "agent_id": _cat(np.where(_stack(parts, "abandoned"), -1, _stack(parts, "agent")), self.agent_names),
        })

    # ---- complaints --------------------------------------------------------------------
    def complaint_part(self, m: str) -> dict:
        r_cmp, cal, per_day, scn, export_at = self.r_cmp, self.cal, self.per_day, self.scn, self.export_at
        d0, d1 = self.spans[m]
        rows = cal.rows(d0, d1)
        lam = 0.08 * per_day * cal.base[rows] * (1 + 0.7 * (cal.sales_lagged[rows] - 1))
        days_reg = _arrivals(r_cmp.poisson(lam), d0)
        days_rec = _arrivals(r_cmp.poisson(0.08 * per_day * 4.8 * cal.recall[rows]), d0)
        day = np.concatenate([days_reg, days_rec])
        recall = np.concatenate([np.zeros(len(days_reg), bool), np.ones(len(days_rec), bool)])
        n = len(day)
        received = _time_in_day(r_cmp, day, _COMPLAINT_HOUR_P)
        order = np.argsort(received, kind="stable")
        day, recall, received = day[order], recall[order], received[order]
        day = received // _DAY

        ch = r_cmp.choice(3, size=n, p=_COMPLAINT_CHANNEL_P)
        product = np.where(recall, 6, r_cmp.choice(len(PRODUCTS), size=n, p=_p(_PRODUCT_P)))
        cat = np.where(recall, r_cmp.choice(8, size=n, p=_p(_COMPLAINT_P_RECALL)),
                       r_cmp.choice(8, size=n, p=_p(_COMPLAINT_P)))
        cust = self.pick_customers(r_cmp, received, 0.35)

        contact_delay = np.where(recall, _lognormal_seconds(r_cmp, 55 * 60.0, 0.85, 8 * 3600, n),
                                 _lognormal_seconds(r_cmp, 35 * 60.0, 0.85, 8 * 3600, n))
        contact = _service_add(_clock_start(received), contact_delay)
        k = np.where(recall, r_cmp.choice(6, size=n, p=_SOLUTION_K_P_RECALL),
                     r_cmp.choice(6, size=n, p=_SOLUTION_K_P))
        sol_day = cal.kth_workday_after(day, np.maximum(k, 1))
        solution = _service_time_of_day(r_cmp, sol_day)
        same_day = _service_add(contact, r_cmp.integers(1800, 4 * 3600, n))
        solution = np.where(k == 0, same_day, np.maximum(solution, _service_add(contact, np.full(n, 600))))
        closing = _lognormal_seconds(r_cmp, 18 * 3600.0, 1.1, 200 * _WINDOW, n)
        closed = _service_add(solution, closing)
        stuck = r_cmp.random(n) < 0.006  # long-running disputes, never closed in the export
        late = (k >= 4) | (contact - received > 2 * 3600)  # missed C3 or C2

        contact = np.where(contact < export_at, contact, _NAT)
        solution = np.where((contact != _NAT) & (solution < export_at), solution, _NAT)
        closed = np.where((solution != _NAT) & (closed < export_at) & ~stuck, closed, _NAT)

        # satisfaction: exact counts; the unhappy ones lean to late or recall complaints
        closed_idx = np.flatnonzero(closed != _NAT)
        if m == EXACT_TARGET_MONTH:
            n_rated = 20 * int(len(closed_idx) * scn[m]["csat_rated"] // 20) or len(closed_idx)
            n_sat = n_rated * 17 // 20 if n_rated % 20 == 0 else math.ceil(0.85 * n_rated)
        else:
            n_rated = int(round(len(closed_idx) * scn[m]["csat_rated"]))
            rate = scn[m]["csat"]
            n_sat = math.floor(rate * n_rated) if rate < 0.85 else math.ceil(rate * n_rated)
        rated = closed_idx[_pick_k(r_cmp, len(closed_idx), n_rated)]
        w = np.where(late[rated], 2.5, 1.0) * np.where(recall[rated], 1.5, 1.0)
        unhappy = rated[_pick_k(r_cmp, len(rated), len(rated) - n_sat, w)]
        satisfied = np.ones(n, dtype=bool)
        satisfied[unhappy] = False
        scores = _satisfaction_scores(r_cmp, satisfied)
        sat_mask = np.ones(n, dtype=bool)
        sat_mask[rated] = False
        return {
            "month": m, "n": n, "customer": cust, "received": received, "contact": contact,
            "solution": solution, "closed": closed, "scores": scores, "unrated": sat_mask,
            "channel": ch, "category": cat, "product": product,
        }

    def complaints(self, parts: list[dict], id_width: int | None = None) -> pd.DataFrame:
        cust = _stack(parts, "customer")
        personal = _customer_personal(cust, self.seed, with_email=True)
        return pd.DataFrame({
            "complaint_id": _month_ids("TS", parts, 4, id_width),
            "customer_id": _customer_ids(cust, self.id_width),
            "customer_name": personal["customer_name"],
            "phone": personal["phone"],
            "email": personal["email"],
            "received_at": _to_dt(_stack(parts, "received")),
            "first_contact_at": _to_dt(_stack(parts, "contact")),
            "preliminary_solution_at": _to_dt(_stack(parts, "solution")),
            "closed_at": _to_dt(_stack(parts, "closed")),
            "satisfaction": _scores(parts),
            "channel": _cat(_stack(parts, "channel"), CHANNELS),
            "category": _cat(_stack(parts, "category"), COMPLAINT_CATEGORIES),
            "product": _cat(_stack(parts, "product"), PRODUCTS),
        })

    # ---- follow-ups --------------------------------------------------------------------
    def followup_part(self, m: str) -> dict:
        r_fu, new_day, scn = self.r_fu, self.new_day, self.scn
        d0, d1 = self.spans[m]
        n_new_month = int(((new_day >= d0) & (new_day <= d1)).sum())
        distinct = int(round(scn[m]["coverage"] * n_new_month))
        k_old = int(round(0.08 * distinct))
        # candidates: new customers acquired from 9 days before the month to its last-but-one day
        lo = int(np.searchsorted(new_day, d0 - 9, side="left"))
        hi = int(np.searchsorted(new_day, d1, side="left"))
        k_new = min(distinct - k_old, hi - lo)
        w = np.where(new_day[lo:hi] >= d0, 3.0, 1.0)  # mostly this month's new customers
        chosen = lo + _pick_k(r_fu, hi - lo, k_new, w)
        acq_day = new_day[chosen]
        first = np.maximum(acq_day + 1, d0)
        last = np.minimum(acq_day + 10, d1)
        visit_day_new = first + (r_fu.random(k_new) * (last - first + 1)).astype(np.int64)
        # existing customers (e.g. after a complaint), acquired well before the month
        n_old_pool = int(self.acquired_before(np.array([(d0 - 10) * _DAY]))[0])
        old = r_fu.choice(n_old_pool, size=min(k_old, n_old_pool), replace=False)
        visit_day_old = r_fu.integers(d0, d1 + 1, len(old))
        cust = np.concatenate([self.n_base + chosen, old])
        vday = np.concatenate([visit_day_new, visit_day_old])
        # about 3 % second calls to a customer already called this month
        dup = _pick_k(r_fu, len(cust), int(round(0.03 * len(cust))))
        dup_day = vday[dup] + (r_fu.random(len(dup)) * (d1 - vday[dup] + 1)).astype(np.int64)
        cust = np.concatenate([cust, cust[dup]])
        vday = np.concatenate([vday, dup_day])
        visited = _service_time_of_day(r_fu, vday, SERVICE_OPEN + 1800, SERVICE_CLOSE - 1800)
        order = np.argsort(visited, kind="stable")
        cust, visited = cust[order], visited[order]
        n = len(cust)
        n_rated = int(round(n * scn[m]["fsat_rated"]))
        rated = _pick_k(r_fu, n, n_rated)
        unhappy = rated[_pick_k(r_fu, n_rated, n_rated - math.ceil(scn[m]["fsat"] * n_rated))]
        satisfied = np.ones(n, dtype=bool)
        satisfied[unhappy] = False
        unrated = np.ones(n, dtype=bool)
        unrated[rated] = False
        return {
            "month": m, "n": n, "customer": cust, "visited": visited,
            "scores": _satisfaction_scores(r_fu, satisfied), "unrated": unrated,
            "channel": r_fu.choice(3, size=n, p=_FOLLOWUP_CHANNEL_P),
        }

    def followups(self, parts: list[dict], id_width: int | None = None) -> pd.DataFrame:
        return pd.DataFrame({
            "followup_id": _month_ids("HF", parts, 4, id_width),
            "customer_id": _customer_ids(_stack(parts, "customer"), self.id_width),
            "visited_at": _to_dt(_stack(parts, "visited")),
            "satisfaction": _scores(parts),
            "channel": _cat(_stack(parts, "channel"), CHANNELS),
        })

    # ---- on-site visits (C5): a few per month, to complainants, billed per visit ------------
    def visit_part(self, m: str, complaint_part: dict) -> dict:
        r_vis, cal = self.r_vis, self.cal
        fees = np.array([Decimal("300.00"), Decimal("500.00")], dtype=object)
        d0, d1 = self.spans[m]
        rec_day = complaint_part["received"] // _DAY
        cand = np.flatnonzero((rec_day <= d1 - 5) & np.isin(complaint_part["category"], [0, 1, 7]))
        n_vis = min(len(cand), max(1, int(round(r_vis.integers(2, 8) * self.cpm / 2000))))
        pick = cand[_pick_k(r_vis, len(cand), n_vis)]
        vday = cal.kth_workday_after(rec_day[pick], r_vis.integers(1, 4, len(pick)))
        keep = vday <= d1
        pick, vday = pick[keep], vday[keep]
        visited = _service_time_of_day(r_vis, vday, SERVICE_OPEN, 18 * 3600)
        order = np.argsort(visited, kind="stable")
        return {
            "month": m, "n": len(pick), "customer": complaint_part["customer"][pick][order], "visited": visited[order],
            "fee": fees[(r_vis.random(len(pick)) < 0.3).astype(np.int64)][order],
        }

    def onsite_visits(self, parts: list[dict], id_width: int | None = None) -> pd.DataFrame:
        return pd.DataFrame({
            "visit_id": _month_ids("SM", parts, 2, id_width),
            "customer_id": _customer_ids(_stack(parts, "customer"), self.id_width),
            "visited_at": _to_dt(_stack(parts, "visited")),
            "fee": _stack(parts, "fee"),
        })

    def scale_id_widths(self) -> dict[str, int]:
        """Id widths fixed before any month is drawn (month-at-a-time writing): room for
        three times the mean month, far above the busiest scripted month."""
        digits = len(str(int(3 * self.cpm)))
        return {"consultations": max(6, digits), "complaints": max(4, digits - 1),
                "followups": max(4, digits - 1), "onsite_visits": max(2, digits - 3)}


def generate_events(seed: int = DEFAULT_SEED, months: list[str] | None = None,
                    consultations_per_month: int = 2000, tz: str = "Asia/Shanghai") -> dict[str, pd.DataFrame]:
    """Consultations, complaints, follow-ups, new customers and on-site visits for ``months``
    ('YYYY-MM', default 2026-01..2026-12). ``consultations_per_month`` is the mean volume of an
    ordinary month; the other tables scale with it (complaints 8 %, new customers 40 %).
    Timestamps are naive local times in ``tz``. Deterministic for a given seed. Holds every
    month in memory; :func:`iter_event_months` yields one month at a time."""
    model = _EventModel(seed, months, consultations_per_month, tz)
    con = [part for m in model.months for part in model.consultation_parts(m)]
    cmp = [model.complaint_part(m) for m in model.months]
    fu = [model.followup_part(m) for m in model.months]
    vis = [model.visit_part(m, part) for m, part in zip(model.months, cmp)]
    return {
        "consultations": model.consultations(con),
        "complaints": model.complaints(cmp),
        "followups": model.followups(fu),
        "new_customers": model.new_customers(),
        "onsite_visits": model.onsite_visits(vis),
    }


def iter_event_months(seed: int = DEFAULT_SEED, months: list[str] | None = None,
                      consultations_per_month: int = 2000, tz: str = "Asia/Shanghai"):
    """(month, tables) for each month in order: the rows :func:`generate_events` draws for
    that month (same seed, same draws), with ids padded to widths fixed in advance. Memory
    holds one month of events (plus the customer pool's acquisition times)."""
    model = _EventModel(seed, months, consultations_per_month, tz)
    widths = model.scale_id_widths()
    for m in model.months:
        cmp = model.complaint_part(m)
        yield m, {
            "consultations": model.consultations(list(model.consultation_parts(m)), widths["consultations"]),
            "complaints": model.complaints([cmp], widths["complaints"]),
            "followups": model.followups([model.followup_part(m)], widths["followups"]),
            "new_customers": model.new_customers(m),
            "onsite_visits": model.onsite_visits([model.visit_part(m, cmp)], widths["onsite_visits"]),
        }


# ---------------------------------------------------------------- settlement
def _workday_on_or_after(d: dt.date) -> dt.date:
    return SAMPLE_CALENDAR.nth_workday_after(d - dt.timedelta(days=1), 1)


def _next_workday(d: dt.date) -> dt.date:
    return SAMPLE_CALENDAR.nth_workday_after(d, 1)


def _workdays_between(lo: dt.date, hi: dt.date) -> list[dt.date]:
    return SAMPLE_CALENDAR.workdays_between(lo, hi) if lo <= hi else []


def _money(value) -> Decimal:
    return Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)


def generate_settlement(amounts_due: dict[str, Decimal], payment_due: dict[str, dt.date],
                        invoice_workdays_after: Callable[[dt.date], dt.date],
                        seed: int) -> dict[str, pd.DataFrame]:
    """Payments (A to B) and invoices (B to A) for each service month of ``amounts_due``.

    Every month is paid in full in one payment on a working day on or before
    ``payment_due[month]`` (at most a week early, never before the month has ended), except
    ``SPLIT_PAYMENT_MONTH``: about 85 % (rounded down to 1,000) on time, the rest on the first
    working day at least ``SPLIT_LATE_DAYS`` calendar days after the due date. Each payment
    gets one invoice of the same amount, issued on a working day after the payment and on or
    before ``invoice_workdays_after(paid date)``, except the invoice of
    ``LATE_INVOICE_MONTH``, issued on the first working day after that due date. Months with
    nothing due (amount <= 0) get no payment."""
    rng = np.random.default_rng(seed)
    pays, invs = [], []
    for month in sorted(amounts_due):
        amount = _money(amounts_due[month])
        if amount <= 0:
            continue
        due = payment_due[month]
        y, mo = int(month[:4]), int(month[5:])
        month_end = dt.date(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1)
        window = _workdays_between(max(month_end + dt.timedelta(days=1), due - dt.timedelta(days=7)), due)
        on_time = window[int(rng.integers(len(window)))] if window else due
        if month == SPLIT_PAYMENT_MONTH:
            first = (amount * Decimal("0.85")).quantize(Decimal("1E3"), rounding=ROUND_FLOOR).quantize(_CENT)
            if not Decimal(0) < first < amount:
                first = (amount / 2).quantize(_CENT, rounding=ROUND_FLOOR)
            late = _workday_on_or_after(due + dt.timedelta(days=SPLIT_LATE_DAYS))
            parts = [(on_time, first), (late, amount - first)]
        else:
            parts = [(on_time, amount)]
        tag = month.replace("-", "")
        for k, (paid, part) in enumerate(parts, start=1):
            paid_at = dt.datetime.combine(paid, dt.time()) + dt.timedelta(
                seconds=int(rng.integers(9 * 3600 + 1800, 16 * 3600 + 1800)))
            pays.append((f"FK-{tag}-{k}", month, paid_at, part))
            inv_due = invoice_workdays_after(paid)
            if month == LATE_INVOICE_MONTH and k == 1:
                issued = _next_workday(inv_due)
            else:
                days = _workdays_between(paid + dt.timedelta(days=1), inv_due) or [inv_due]
                issued = days[int(rng.integers(len(days)))]
            issued_at = dt.datetime.combine(issued, dt.time()) + dt.timedelta(
                seconds=int(rng.integers(10 * 3600, 17 * 3600)))
            invs.append((f"FP-{tag}-{k}", month, issued_at, part))

    def frame(rows, cols):
        df = pd.DataFrame(rows, columns=cols)
        df[cols[2]] = pd.to_datetime(df[cols[2]]).astype("datetime64[s]")
        df[cols[3]] = df[cols[3]].astype(object)
        return df

    return {
        "payments": frame(pays, TABLE_COLUMNS["payments"]),
        "invoices": frame(invs, TABLE_COLUMNS["invoices"]),
    }


# ---------------------------------------------------------------- writing
def _csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = np.where(s.to_numpy(dtype=bool), "true", "false")
        elif s.dtype == object:
            out[col] = s.map(lambda v: format(v, "f") if isinstance(v, Decimal) else v)
    return out


def write_tables(tables: dict[str, pd.DataFrame], out_dir, fmt: str = "csv") -> list[Path]:
    """Write each table to ``out_dir/<table>.<fmt>`` and return the paths in table order.

    CSV: UTF-8 without BOM, ``\\n`` line ends, timestamps ``YYYY-MM-DD HH:MM:SS`` (naive
    local), empty cells for missing values, booleans ``true``/``false``, decimals as plain
    strings ('300.00'). Parquet: the frames as they are, money as decimal."""
    out = Path(out_dir)
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: use 'csv' or 'parquet'")
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables.items():
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            _csv_ready(df).to_csv(path, index=False, encoding="utf-8", lineterminator="\n",
                                  na_rep="", date_format="%Y-%m-%d %H:%M:%S")
        else:
            df.to_parquet(path, index=False)
        paths.append(path)
    return paths


# ---------------------------------------------------------------- the committed sample set
SAMPLE_TABLES = ("consultations", "complaints", "followups", "new_customers", "onsite_visits", "payments", "invoices")


def _generate_into(out_dir: Path, terms_path, seed: int) -> list[Path]:
    """Events for the term's months; then each month priced by the fee engine on the tables
    as a loader reads them back, and payments/invoices for those amounts."""
    import tempfile

    from .calendar import WorkCalendar
    from .data import load_dataset
    from .fees import invoice_due_date, month_fee_statement
    from .terms import load_terms

    terms = load_terms(terms_path)
    events = generate_events(seed=seed, months=terms.term_months, tz=terms.contract.timezone)
    empty = {name: pd.DataFrame(columns=TABLE_COLUMNS[name]) for name in ("payments", "invoices")}
    workcal = WorkCalendar.from_terms(terms)
    with tempfile.TemporaryDirectory() as scratch:
        write_tables({**events, **empty}, scratch)
        data = load_dataset(scratch, terms)
        as_of = terms.term.start  # nothing is paid yet; only the amounts matter here
        statements = {m: month_fee_statement(data, terms, m, as_of, workcal) for m in terms.term_months}
    settlement = generate_settlement(
        {m: s.amount_due for m, s in statements.items()},
        {m: s.payment_due for m, s in statements.items()},
        lambda paid: invoice_due_date(paid, terms, workcal),
        seed,
    )
    return write_tables({**events, **settlement}, out_dir) + [write_value_labels(out_dir)]


def write_value_labels(out_dir) -> Path:
    """The data folder's value_labels.csv for the sample's products and categories
    (sla_lib.data.load_value_labels): value, zh (the value), en."""
    from .data import VALUE_LABELS_FILE

    path = Path(out_dir) / VALUE_LABELS_FILE
    frame = pd.DataFrame({"value": list(VALUE_LABELS_EN), "zh": list(VALUE_LABELS_EN), "en": list(VALUE_LABELS_EN.values())})
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def generate_sample(out_dir, terms_path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the sample data set for the terms file's term into ``out_dir`` (CSV)."""
    return _generate_into(Path(out_dir), terms_path, seed)


def sample_files_differ(out_dir, terms_path, seed: int = DEFAULT_SEED) -> list[str]:
    """Names of the files in ``out_dir`` that are not byte-identical to a fresh generation."""
    import tempfile

    with tempfile.TemporaryDirectory() as fresh:
        paths = _generate_into(Path(fresh), terms_path, seed)
        return [p.name for p in paths if not (Path(out_dir) / p.name).is_file() or (Path(out_dir) / p.name).read_bytes() != p.read_bytes()]


# ---------------------------------------------------------------- data at call-centre scale


def _ascii_strings(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """prefix (ASCII) + the last ``width`` digits of each number, zero-padded, as an Arrow
    large_string array built straight from bytes (what :func:`_fmt` gives, without numpy's
    4-byte characters or a conversion per value)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    head = prefix.encode("ascii")
    n, w = len(numbers), len(head) + width
    buf = np.empty((n, w), dtype=np.uint8)
    if head:
        buf[:, :len(head)] = np.frombuffer(head, dtype=np.uint8)
    rest = numbers.copy()
    for j in range(w - 1, len(head) - 1, -1):
        rest, digit = np.divmod(rest, 10)
        buf[:, j] = digit + 48
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))


def _large(values) -> pa.Array:
    return pa.array([str(v) for v in values], type=pa.large_string())


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, pa.scalar("", pa.large_string()))


def _arrow_personal(idx: np.ndarray, seed: int, with_email: bool = False) -> dict[str, pa.Array]:
    """:func:`_customer_personal` as Arrow arrays (the same values: the same hashes, the
    strings joined in Arrow from the small tables of surnames, given names and domains)."""
    idx = np.asarray(idx, dtype=np.int64)
    u = [_hash_uniform(idx, seed, salt) for salt in range(9 if with_email else 5)]
    sur = np.searchsorted(_SUR_CDF, u[0], side="right").clip(0, len(_SUR_CHARS) - 1)
    g = _GIVEN_CHARS.shape[1]
    female = (u[1] < 0.5).astype(np.int64) * g
    two = pa.array(u[2] < 0.7)
    g1 = female + (u[3] * g).astype(np.int64)
    g2 = female + (u[4] * g).astype(np.int64)
    blank = pa.scalar("", pa.large_string())
    chars, sounds = _large(_GIVEN_CHARS.ravel()), _large(_GIVEN_PY.ravel())
    out = {"customer_name": _join(_large(_SUR_CHARS).take(sur), chars.take(g1), pc.if_else(two, chars.take(g2), blank))}
    off = int(_splitmix64(np.array([seed % 2**64], dtype=np.uint64))[0] % np.uint64(10**8))
    code = (2_654_435_761 * idx + off) % (25 * 10**8)
    out["phone"] = _ascii_strings("", _MOBILE_PREFIXES[code // 10**8] * 10**8 + code % 10**8, 11)
    if with_email:
        py = _join(_large(_SUR_PY).take(sur), sounds.take(g1), pc.if_else(two, sounds.take(g2), blank))
        qq = 10_000 + (1_500_450_271 * idx + off) % 10**9
        year = 1960 + (u[5] * 46).astype(np.int64)
        suffix = pc.if_else(pa.array(u[6] < 0.6), _ascii_strings("", year, 4), _ascii_strings("", year % 100, 2))
        domain = _large(_MAIL_DOMAINS).take((u[7] * len(_MAIL_DOMAINS)).astype(np.int64))
        at = pa.scalar("@", pa.large_string())
        mail_py = _join(py, suffix, at, domain)
        mail_qq = _join(pc.cast(pa.array(qq), pa.large_string()), pa.scalar("@qq.com", pa.large_string()))
        out["email"] = pc.if_else(pa.array(u[8] < 0.45), mail_qq, mail_py)
    return out


def _arrow_times(t: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(t, dtype=np.int64).view("datetime64[s]"), from_pandas=True)  # NaT: null


def _arrow_cat(codes: np.ndarray, labels, field: pa.Field) -> pa.Array:
    codes = np.asarray(codes)
    index = pa.array(codes.astype(field.type.index_type.to_pandas_dtype()), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(index, pa.array([str(v) for v in labels], type=field.type.value_type))


def _arrow_scores(part: dict) -> pa.Array:
    return pa.array(part["scores"].astype(np.int64), mask=part["unrated"])


def _slice_part(part: dict, lo: int, hi: int) -> dict:
    """Rows [lo, hi) of a drawn part: every per-row array cut, ids numbered on from the part's."""
    n = part["n"]
    out = {k: (v[lo:hi] if isinstance(v, np.ndarray) and len(v) == n else v) for k, v in part.items()}
    out["n"], out["offset"] = hi - lo, part.get("offset", 0) + lo
    return out


def _id_prefix(prefix: str, part: dict) -> str:
    return f"{prefix}-{part['month'].replace('-', '')}-"


def _arrow_event_table(model: "_EventModel", name: str, part: dict, width: int, schema: pa.Schema) -> pa.Table:
    """One slice of a drawn part as the Arrow table that ``pa.Table.from_pandas`` makes of the
    table's pandas frame (``schema``), built column by column in Arrow."""
    f = {field.name: field for field in schema}
    seq = np.arange(part["offset"] + 1, part["offset"] + part["n"] + 1)
    if name == "consultations":
        personal = _arrow_personal(part["customer"], model.seed)
        cols = {
            "consultation_id": _ascii_strings(_id_prefix("ZX", part), seq, width),
            "channel": _arrow_cat(part["channel"], CHANNELS, f["channel"]),
            "customer_id": _ascii_strings("C", part["customer"] + 1, model.id_width),
            "customer_name": personal["customer_name"], "phone": personal["phone"],
            "received_at": _arrow_times(part["received"]),
            "first_response_at": _arrow_times(part["first_response"]),
            "resolved": pa.array(part["resolved"]),
            "resolved_at": _arrow_times(part["resolved_at"]),
            "product": _arrow_cat(part["product"], PRODUCTS, f["product"]),
            "category": _arrow_cat(part["category"], CONSULT_CATEGORIES, f["category"]),
            "agent_id": _arrow_cat(np.where(part["abandoned"], -1, part["agent"]), model.agent_names, f["agent_id"]),
        }
    elif name == "complaints":
        personal = _arrow_personal(part["customer"], model.seed, with_email=True)
        cols = {
            "complaint_id": _ascii_strings(_id_prefix("TS", part), seq, width),
            "customer_id": _ascii_strings("C", part["customer"] + 1, model.id_width),
            **personal,
            "received_at": _arrow_times(part["received"]),
            "first_contact_at": _arrow_times(part["contact"]),
            "preliminary_solution_at": _arrow_times(part["solution"]),
            "closed_at": _arrow_times(part["closed"]),
            "satisfaction": _arrow_scores(part),
            "channel": _arrow_cat(part["channel"], CHANNELS, f["channel"]),
            "category": _arrow_cat(part["category"], COMPLAINT_CATEGORIES, f["category"]),
            "product": _arrow_cat(part["product"], PRODUCTS, f["product"]),
        }
    elif name == "followups":
        cols = {
            "followup_id": _ascii_strings(_id_prefix("HF", part), seq, width),
            "customer_id": _ascii_strings("C", part["customer"] + 1, model.id_width),
            "visited_at": _arrow_times(part["visited"]),
            "satisfaction": _arrow_scores(part),
            "channel": _arrow_cat(part["channel"], CHANNELS, f["channel"]),
        }
    else:
        raise ValueError(name)
    arrays = [cols[field.name] for field in schema]
    return pa.Table.from_arrays([a if a.type == t.type else a.cast(t.type) for a, t in zip(arrays, schema)], schema=schema)


def _scale_month(model: "_EventModel", month: str, widths: dict[str, int], fmt: str, schemas: dict):
    """(table, slice) for one month, in slices of at most ``SCALE_ROW_GROUP`` rows: Arrow
    tables for Parquet (built in Arrow), pandas frames for CSV. Consultations are drawn part
    by part (``DRAW_ROWS``), so memory holds one part, not the month."""
    frames = {"consultations": model.consultations, "complaints": model.complaints, "followups": model.followups,
              "onsite_visits": model.onsite_visits}

    def slices(name, part):
        if name == "onsite_visits" or fmt != "parquet":  # a handful of rows (decimal fees), or CSV: pandas
            for lo in range(0, max(part["n"], 1), SCALE_ROW_GROUP):
                yield frames[name]([_slice_part(part, lo, min(lo + SCALE_ROW_GROUP, part["n"]))], widths[name])
            return
        if name not in schemas:
            schemas[name] = pa.Table.from_pandas(frames[name]([_slice_part(part, 0, min(1, part["n"]))], widths[name]),
                                                 preserve_index=False).schema
        for lo in range(0, max(part["n"], 1), SCALE_ROW_GROUP):
            yield _arrow_event_table(model, name, _slice_part(part, lo, min(lo + SCALE_ROW_GROUP, part["n"])),
                                     widths[name], schemas[name])

    complaints = model.complaint_part(month)
    for part in model.consultation_parts(month):
        yield from (("consultations", t) for t in slices("consultations", part))
        del part
    yield from (("complaints", t) for t in slices("complaints", complaints))
    yield from (("followups", t) for t in slices("followups", model.followup_part(month)))
    lo, hi = model.new_customer_range(month)
    for a in range(lo, max(hi, lo + 1), SCALE_ROW_GROUP):
        frame_rows = (a, min(a + SCALE_ROW_GROUP, hi))
        if fmt == "parquet":
            ids = np.arange(*frame_rows) + model.n_base + 1
            if "new_customers" not in schemas:
                schemas["new_customers"] = pa.Table.from_pandas(model.new_customers(rows=(lo, lo)), preserve_index=False).schema
            yield "new_customers", pa.Table.from_arrays(
                [_ascii_strings("C", ids, model.id_width), _arrow_times(model.new_acq[frame_rows[0]:frame_rows[1]])],
                schema=schemas["new_customers"])
        else:
            yield "new_customers", model.new_customers(rows=frame_rows)
    yield from (("onsite_visits", t) for t in slices("onsite_visits", model.visit_part(month, complaints)))


class _TableWriter:
    """Appends month after month to ``<table>.<fmt>`` through a temporary file, renamed into
    place by :meth:`close` (a generation that fails leaves no half-written table)."""

    def __init__(self, path: Path, fmt: str):
        self.path, self.fmt = path, fmt
        self.tmp = path.with_name(f".{path.name}.partial")
        self.writer = None
        self.rows = 0

    def write(self, frame) -> None:
        """Append a pandas frame, or (Parquet) an Arrow table."""
        if isinstance(frame, pa.Table):
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.tmp, frame.schema)
            self.writer.write_table(frame.cast(self.writer.schema), row_group_size=SCALE_ROW_GROUP)
        elif self.fmt == "csv":
            _csv_ready(frame).to_csv(self.tmp, mode="w" if self.rows == 0 else "a", header=self.rows == 0, index=False,
                                     encoding="utf-8", lineterminator="\n", na_rep="", date_format="%Y-%m-%d %H:%M:%S")
        else:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.tmp, table.schema)  # snappy, what pandas and Spark write by default
            self.writer.write_table(table.cast(self.writer.schema), row_group_size=SCALE_ROW_GROUP)
        self.rows += len(frame)

    def close(self) -> Path:
        if self.writer is not None:
            self.writer.close()
        self.tmp.replace(self.path)
        return self.path

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.tmp.unlink(missing_ok=True)


def generate_scale(out_dir, terms_path, months: int | None = None, consultations_per_month: int = 2000,
                   fmt: str = "parquet", seed: int = DEFAULT_SEED, progress=None) -> list[Path]:
    """The sample schema at any volume, written one month at a time and each month in parts:
    consultations are drawn in runs of days of about ``DRAW_ROWS`` rows and every table is
    written in slices of at most ``SCALE_ROW_GROUP`` rows (one Parquet row group each), so
    memory holds one part, not a month: the first ``months`` months of the terms' term
    (default all), ``consultations_per_month`` in an ordinary month, CSV or Parquet (snappy).
    The rows are those of :func:`iter_event_months` for the same arguments.
    Payments and invoices are then priced by the fee engine reading the written tables back
    month by month (which also checks them). ``progress(month, rows)`` is called per month."""
    from .calendar import WorkCalendar
    from .fees import invoice_due_date, month_fee_statement
    from .monthly import MonthlyData
    from .terms import load_terms

    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: use 'csv' or 'parquet'")
    terms = load_terms(terms_path)
    chosen = terms.term_months if months is None else terms.term_months[:months]
    if months is not None and not 1 <= months <= len(terms.term_months):
        raise ValueError(f"months must be 1..{len(terms.term_months)} (the term {terms.term_months[0]}..{terms.term_months[-1]})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for other in ("csv", "xlsx", "parquet"):  # a table in another format would make the folder ambiguous
        if other != fmt:
            for name in SAMPLE_TABLES:
                (out / f"{name}.{other}").unlink(missing_ok=True)
    events = [n for n in SAMPLE_TABLES if n not in ("payments", "invoices")]
    writers = {name: _TableWriter(out / f"{name}.{fmt}", fmt) for name in events}
    model = _EventModel(seed, chosen, consultations_per_month, terms.contract.timezone)
    widths, schemas = model.scale_id_widths(), {}
    # One thread encodes and writes the slices in order while the next part is drawn (both
    # release the GIL for most of their work); at most two slices wait, so memory stays bounded.
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    pending: deque = deque()
    try:
        pool = ThreadPoolExecutor(1, thread_name_prefix="sla-generate-writer")
        try:
            for month in model.months:
                rows = 0
                for name, table in _scale_month(model, month, widths, fmt, schemas):
                    pending.append(pool.submit(writers[name].write, table))
                    rows += len(table)
                    del table
                    while len(pending) > 2:
                        pending.popleft().result()
                while pending:
                    pending.popleft().result()
                if progress is not None:
                    progress(month, rows)
        finally:  # on failure: slices not yet started are dropped, the one being written ends first
            pool.shutdown(wait=True, cancel_futures=True)
        paths = [writers[name].close() for name in events]
    except BaseException:
        for w in writers.values():
            w.discard()
        raise
    empty = {name: pd.DataFrame({c: pd.Series([], dtype="datetime64[s]" if c.endswith("_at") else object)
                                 for c in TABLE_COLUMNS[name]}) for name in ("payments", "invoices")}
    write_tables(empty, out, fmt)
    workcal = WorkCalendar.from_terms(terms)
    data = MonthlyData.open(out, terms)
    statements = {m: month_fee_statement(data, terms, m, terms.term.start, workcal) for m in chosen}
    settlement = generate_settlement(
        {m: s.amount_due for m, s in statements.items()},
        {m: s.payment_due for m, s in statements.items()},
        lambda paid: invoice_due_date(paid, terms, workcal),
        seed,
    )
    return paths + write_tables(settlement, out, fmt)
